//! Interactions, items and users in memory, under dense indices.
//!
//! Ids arrive as strings (Personalize's `USER_ID`/`ITEM_ID` are strings); every model works on
//! `u32` indices into arrays instead, so the maps live here once and the models never hash.
//! Events are kept sorted by user, then time, then arrival order, so a user's history is one
//! contiguous slice and "the newest events" is a suffix of it.

use std::collections::HashMap;

use sprs::{CsMat, TriMat};

use super::RecommendError;

/// A two-way map between string ids and dense indices `0..len`.
#[derive(Clone, Debug, Default)]
pub struct IdMap {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl IdMap {
    /// Index of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> Result<u32, RecommendError> {
        if let Some(&i) = self.index.get(name) {
            return Ok(i);
        }
        let i = u32::try_from(self.names.len()).map_err(|_| RecommendError::TooMany("ids"))?;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        Ok(i)
    }

    /// A map from names in index order; an error naming the first name that repeats.
    pub fn from_names(names: Vec<String>) -> Result<Self, String> {
        let mut index = HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| "more than 2^32 ids".to_string())?;
            if index.insert(n.clone(), i).is_some() {
                return Err(format!("id {n:?} appears twice"));
            }
        }
        Ok(Self { names, index })
    }

    /// The names, in index order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Index of a known `name`.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// Name of index `i`.
    pub fn name(&self, i: u32) -> Option<&str> {
        self.names.get(i as usize).map(String::as_str)
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Categorical or numeric attributes of items or users, by column name (upper case, as
/// Personalize's schemas and filter expressions write them). Values stay strings: filters
/// compare numerically when both sides parse as numbers, and multi-valued categorical fields
/// (`Action|Comedy`) are split on `|` where a value is matched.
#[derive(Clone, Debug, Default)]
pub struct Attributes {
    columns: IdMap,
    /// `[column][row]`.
    values: Vec<Vec<Option<Box<str>>>>,
}

impl Attributes {
    /// Set `column` of `row` to `value`.
    pub fn set(&mut self, row: u32, column: &str, value: &str) -> Result<(), RecommendError> {
        let c = self.columns.intern(&column.to_ascii_uppercase())? as usize;
        if self.values.len() <= c {
            self.values.resize_with(c + 1, Vec::new);
        }
        let col = &mut self.values[c];
        if col.len() <= row as usize {
            col.resize(row as usize + 1, None);
        }
        col[row as usize] = if value.is_empty() { None } else { Some(value.into()) };
        Ok(())
    }

    /// Value of `column` (any case) for `row`.
    pub fn get(&self, row: u32, column: &str) -> Option<&str> {
        let c = self.columns.get(&column.to_ascii_uppercase())? as usize;
        self.get_by_index(row, c)
    }

    /// Value of column number `c` for `row`.
    pub fn get_by_index(&self, row: u32, c: usize) -> Option<&str> {
        self.values.get(c)?.get(row as usize)?.as_deref()
    }

    /// Column names.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        (0..self.columns.len() as u32).filter_map(|i| self.columns.name(i))
    }

    /// Number of columns.
    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    /// Whether the column exists.
    pub fn has_column(&self, column: &str) -> bool {
        self.columns.get(&column.to_ascii_uppercase()).is_some()
    }
}

/// One interaction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    /// Dense user index.
    pub user: u32,
    /// Dense item index.
    pub item: u32,
    /// Timestamp (unix seconds, or any increasing per-user order).
    pub timestamp: i64,
    /// Dense event-type index (see [`Dataset::event_types`]); the empty type when absent.
    pub event_type: u32,
    /// `EVENT_VALUE`, when present.
    pub value: Option<f32>,
}

/// Interactions plus the catalog (items and users, with attributes), under dense indices.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    users: IdMap,
    items: IdMap,
    event_types: IdMap,
    events: Vec<Event>,
    user_start: Vec<usize>,
    item_counts: Vec<u32>,
    /// Item attributes (rows are item indices).
    pub item_attributes: Attributes,
    /// User attributes (rows are user indices).
    pub user_attributes: Attributes,
    item_created: Vec<Option<i64>>,
}

impl Dataset {
    /// Users (every user with an event or attributes).
    pub fn users(&self) -> &IdMap {
        &self.users
    }
    /// Items (every item with an event or in the items dataset): the catalog.
    pub fn items(&self) -> &IdMap {
        &self.items
    }
    /// Event types.
    pub fn event_types(&self) -> &IdMap {
        &self.event_types
    }
    /// Number of users.
    pub fn n_users(&self) -> usize {
        self.users.len()
    }
    /// Number of items in the catalog.
    pub fn n_items(&self) -> usize {
        self.items.len()
    }
    /// All events, by user then time.
    pub fn events(&self) -> &[Event] {
        &self.events
    }
    /// The events of user `u`, oldest first.
    pub fn user_events(&self, u: u32) -> &[Event] {
        let u = u as usize;
        match (self.user_start.get(u), self.user_start.get(u + 1)) {
            (Some(&a), Some(&b)) => &self.events[a..b],
            _ => &[],
        }
    }
    /// Positions of user `u`'s events in [`Dataset::events`].
    pub fn user_range(&self, u: u32) -> std::ops::Range<usize> {
        let u = u as usize;
        match (self.user_start.get(u), self.user_start.get(u + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        }
    }
    /// Events per item.
    pub fn item_counts(&self) -> &[u32] {
        &self.item_counts
    }
    /// `CREATION_TIMESTAMP` of an item, when the items dataset gave one.
    pub fn item_created(&self, i: u32) -> Option<i64> {
        self.item_created.get(i as usize).copied().flatten()
    }
    /// The newest timestamp of any event, or of any item's creation.
    pub fn max_timestamp(&self) -> Option<i64> {
        let ev = self.events.iter().map(|e| e.timestamp).max();
        let cr = self.item_created.iter().flatten().copied().max();
        ev.max(cr)
    }

    /// The users × items matrix of event counts (CSR). Several events on the same pair add up,
    /// which is how repeat purchases become confidence in ALS.
    pub fn user_item_matrix(&self) -> CsMat<f32> {
        let mut tri = TriMat::new((self.n_users(), self.n_items()));
        for e in &self.events {
            tri.add_triplet(e.user as usize, e.item as usize, 1.0f32);
        }
        tri.to_csr()
    }

    /// The same catalog with only the events `keep` accepts (maps and attributes unchanged,
    /// so indices stay valid across the split).
    pub fn filter_events(&self, keep: impl Fn(usize, &Event) -> bool) -> Dataset {
        let events: Vec<Event> = self.events.iter().enumerate().filter(|(k, e)| keep(*k, e)).map(|(_, e)| *e).collect();
        let mut out = Dataset {
            users: self.users.clone(),
            items: self.items.clone(),
            event_types: self.event_types.clone(),
            events,
            user_start: Vec::new(),
            item_counts: Vec::new(),
            item_attributes: self.item_attributes.clone(),
            user_attributes: self.user_attributes.clone(),
            item_created: self.item_created.clone(),
        };
        out.index();
        out
    }

    /// Sort events and rebuild the per-user offsets and per-item counts.
    fn index(&mut self) {
        // Stable sort: equal timestamps keep their arrival order.
        self.events.sort_by_key(|e| (e.user, e.timestamp));
        self.user_start = vec![0; self.users.len() + 1];
        for e in &self.events {
            self.user_start[e.user as usize + 1] += 1;
        }
        for u in 0..self.users.len() {
            self.user_start[u + 1] += self.user_start[u];
        }
        self.item_counts = vec![0; self.items.len()];
        for e in &self.events {
            self.item_counts[e.item as usize] += 1;
        }
    }
}

/// Builds a [`Dataset`] from rows as the trainer parses them.
#[derive(Debug, Default)]
pub struct DatasetBuilder {
    ds: Dataset,
}

impl DatasetBuilder {
    /// An empty builder. The empty event type is index 0.
    pub fn new() -> Self {
        let mut ds = Dataset::default();
        // Index 0 is "no event type"; interning a fresh map cannot fail.
        let _ = ds.event_types.intern("");
        Self { ds }
    }

    /// Add one interaction.
    pub fn add_event(
        &mut self,
        user: &str,
        item: &str,
        timestamp: i64,
        event_type: Option<&str>,
        value: Option<f32>,
    ) -> Result<(), RecommendError> {
        let user = self.ds.users.intern(user)?;
        let item = self.ds.items.intern(item)?;
        let event_type = self.ds.event_types.intern(event_type.unwrap_or(""))?;
        self.ds.events.push(Event { user, item, timestamp, event_type, value });
        Ok(())
    }

    /// Declare an event type without an event, so a catalog rebuilt from a saved model (the
    /// server's, for filters on `Interactions.EVENT_TYPE`) keeps the model's type indices.
    pub fn add_event_type(&mut self, event_type: &str) -> Result<u32, RecommendError> {
        self.ds.event_types.intern(event_type)
    }

    /// Declare an item (from the items dataset), so it is in the catalog without interactions.
    pub fn add_item(&mut self, item: &str) -> Result<u32, RecommendError> {
        self.ds.items.intern(item)
    }

    /// Declare a user, so indices follow the order users are declared in.
    pub fn add_user(&mut self, user: &str) -> Result<u32, RecommendError> {
        self.ds.users.intern(user)
    }

    /// Set an item attribute.
    pub fn set_item_attribute(&mut self, item: &str, column: &str, value: &str) -> Result<(), RecommendError> {
        let i = self.ds.items.intern(item)?;
        self.ds.item_attributes.set(i, column, value)
    }

    /// Set an item's `CREATION_TIMESTAMP`.
    pub fn set_item_created(&mut self, item: &str, timestamp: i64) -> Result<(), RecommendError> {
        let i = self.ds.items.intern(item)? as usize;
        if self.ds.item_created.len() <= i {
            self.ds.item_created.resize(i + 1, None);
        }
        self.ds.item_created[i] = Some(timestamp);
        Ok(())
    }

    /// Set a user attribute.
    pub fn set_user_attribute(&mut self, user: &str, column: &str, value: &str) -> Result<(), RecommendError> {
        let u = self.ds.users.intern(user)?;
        self.ds.user_attributes.set(u, column, value)
    }

    /// Finish: sort and index.
    pub fn build(mut self) -> Dataset {
        self.ds.item_created.resize(self.ds.items.len(), None);
        self.ds.index();
        self.ds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_sorted_and_indexed() {
        let mut b = DatasetBuilder::new();
        b.add_event("u1", "b", 20, Some("click"), None).unwrap();
        b.add_event("u1", "a", 10, None, Some(2.0)).unwrap();
        b.add_event("u2", "a", 5, None, None).unwrap();
        b.add_item("c").unwrap();
        b.set_item_attribute("c", "genre", "Drama").unwrap();
        let ds = b.build();
        assert_eq!(ds.n_users(), 2);
        assert_eq!(ds.n_items(), 3);
        let u1 = ds.users().get("u1").unwrap();
        let ev = ds.user_events(u1);
        assert_eq!(ev.len(), 2);
        assert_eq!(ds.items().name(ev[0].item), Some("a"));
        assert_eq!(ds.item_counts(), &[1, 2, 0]);
        let c = ds.items().get("c").unwrap();
        assert_eq!(ds.item_attributes.get(c, "GENRE"), Some("Drama"));
        let m = ds.user_item_matrix();
        assert_eq!(m.nnz(), 3);
    }
}
