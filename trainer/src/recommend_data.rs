//! A DatasetGroup's interactions, items and users — and the events the inference servers
//! logged for the Solution (DESIGN.md §5) — as one in-memory recommendation
//! `Dataset`, with the Solution's event filter applied.
//! Every row left out is counted under its reason; a row that cannot be read is an error
//! naming the file, the line and the column.

use std::collections::BTreeMap;

use seer_api::{DatasetGroup, DatasetType, EventFilter};
use seer_models::recommend::{Dataset, DatasetBuilder};
use seer_storage::{ObjectInfo, ObjectStore, ObjectUri};
use serde::Serialize;

use crate::{
    TrainerError,
    ingest::{self, Cell, Role},
};

/// What was read and what was left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestCounts {
    /// Interaction rows read from the INTERACTIONS dataset.
    pub interactions: u64,
    /// Interaction rows read from the event log.
    pub logged_events: u64,
    /// Interactions kept for training.
    pub kept: u64,
    /// Rows left out, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Items whose `CREATION_TIMESTAMP` was read: new ones among them are explored like items
    /// that have no events yet.
    pub items_with_creation_timestamp: u64,
}

/// The training data of a Solution.
pub struct RecommendationData {
    pub dataset: Dataset,
    pub counts: IngestCounts,
    /// Every object read (the dataset objects and the event log parts).
    pub objects: Vec<ObjectInfo>,
}

/// Which interactions training keeps.
struct Keep<'a> {
    event_types: &'a [String],
    threshold: Option<f64>,
}

impl Keep<'_> {
    /// `None` to keep, or the reason to leave the event out.
    fn reason(&self, event_type: Option<&str>, value: Option<f64>) -> Option<&'static str> {
        if !self.event_types.is_empty() && !self.event_types.iter().any(|t| Some(t.as_str()) == event_type) {
            return Some("EVENT_TYPE not in eventFilter.eventTypes");
        }
        match (self.threshold, value) {
            (Some(min), Some(v)) if v < min => Some("EVENT_VALUE below eventFilter.eventValueThreshold"),
            (Some(_), None) => Some("no EVENT_VALUE (eventFilter.eventValueThreshold is set)"),
            _ => None,
        }
    }
}

fn numeric(cell: Option<&Cell>) -> Option<f64> {
    match cell? {
        Cell::Float(v) => Some(*v),
        Cell::Int(v) => Some(*v as f64),
        _ => None,
    }
}

/// Reads the group's INTERACTIONS (required), ITEMS and USERS datasets and, when `event_log`
/// is given and holds any parts, the logged events, keeping what `filter` allows.
pub async fn load(
    store: &ObjectStore,
    group: &DatasetGroup,
    filter: Option<&EventFilter>,
    event_log: Option<&ObjectUri>,
) -> Result<RecommendationData, TrainerError> {
    let group_name = group.metadata.name.clone().unwrap_or_default();
    let interactions = group.spec.datasets.iter().find(|d| d.type_ == DatasetType::Interactions).ok_or_else(|| {
        TrainerError::Manifest {
            file: format!("DatasetGroup {group_name}"),
            message: "spec.datasets has no INTERACTIONS dataset, which a Solution trains on".into(),
        }
    })?;
    let keep = Keep {
        event_types: filter.map(|f| f.event_types.as_slice()).unwrap_or_default(),
        threshold: filter.and_then(|f| f.event_value_threshold),
    };
    let mut builder = DatasetBuilder::new();
    let mut counts = IngestCounts::default();
    let mut objects = Vec::new();

    let mut sources = vec![(interactions.clone(), false)];
    if let Some(log) = event_log
        && !store.list(log).await?.is_empty()
    {
        sources.push((event_log_dataset(log), true));
    }
    for (dataset, logged) in &sources {
        let (schema, read) = ingest::read_dataset(store, dataset, group.spec.domain, |schema, row| {
            let cell = |role: Role| schema.position(role).map(|i| &row.cells[i]);
            if *logged {
                counts.logged_events += 1;
            } else {
                counts.interactions += 1;
            }
            let user = cell(Role::UserId).and_then(Cell::to_text);
            let item = cell(Role::ItemId).and_then(Cell::to_text);
            let time = match cell(Role::Timestamp) {
                Some(Cell::Time(t)) => Some(*t),
                _ => None,
            };
            let (Some(user), Some(item), Some(time)) = (user, item, time) else {
                *counts.skipped.entry("missing USER_ID, ITEM_ID or TIMESTAMP".into()).or_default() += 1;
                return Ok(());
            };
            let event_type = cell(Role::EventType).and_then(Cell::to_text);
            let value = numeric(cell(Role::EventValue));
            if let Some(reason) = keep.reason(event_type.as_deref(), value) {
                *counts.skipped.entry(reason.into()).or_default() += 1;
                return Ok(());
            }
            counts.kept += 1;
            builder
                .add_event(&user, &item, time, event_type.as_deref(), value.map(|v| v as f32))
                .map_err(|e| TrainerError::data((row.location)(), e.to_string()))
        })
        .await?;
        if !keep.event_types.is_empty() && schema.position(Role::EventType).is_none() {
            return Err(TrainerError::data(
                &dataset.uri,
                "the Solution's eventFilter.eventTypes is set, but the interactions have no EVENT_TYPE column",
            ));
        }
        if keep.threshold.is_some() && schema.position(Role::EventValue).is_none() {
            return Err(TrainerError::data(
                &dataset.uri,
                "the Solution's eventFilter.eventValueThreshold is set, but the interactions have no EVENT_VALUE column",
            ));
        }
        objects.extend(read);
    }
    if counts.kept == 0 {
        let why = if counts.skipped.is_empty() {
            String::new()
        } else {
            format!(
                " (left out: {})",
                counts.skipped.iter().map(|(k, v)| format!("{v} × {k}")).collect::<Vec<_>>().join(", ")
            )
        };
        return Err(TrainerError::data(&interactions.uri, format!("no interactions to train on{why}")));
    }

    for dataset in group.spec.datasets.iter().filter(|d| matches!(d.type_, DatasetType::Items | DatasetType::Users)) {
        let is_items = dataset.type_ == DatasetType::Items;
        let (_, read) = ingest::read_dataset(store, dataset, group.spec.domain, |schema, row| {
            let key = if is_items { Role::ItemId } else { Role::UserId };
            let Some(id) = schema.position(key).and_then(|i| row.cells[i].to_text()) else {
                let what = if is_items { "ITEMS rows without ITEM_ID" } else { "USERS rows without USER_ID" };
                *counts.skipped.entry(what.into()).or_default() += 1;
                return Ok(());
            };
            let fail = |e: seer_models::recommend::RecommendError| TrainerError::data((row.location)(), e.to_string());
            if is_items {
                builder.add_item(&id).map_err(fail)?;
            }
            for (column, cell) in schema.columns.iter().zip(row.cells) {
                match (column.role, cell) {
                    (Role::CreationTime, Cell::Time(t)) => {
                        builder.set_item_created(&id, *t).map_err(fail)?;
                        counts.items_with_creation_timestamp += 1;
                    }
                    (Role::CreationTime, Cell::Missing) => {}
                    (Role::CreationTime, other) => {
                        return Err(TrainerError::data(
                            (row.location)(),
                            format!(
                                "column '{}': expected Unix seconds or a date-time, found {:?} (declare it as \
                                 integer or timestamp)",
                                column.name,
                                other.to_text().unwrap_or_default()
                            ),
                        ));
                    }
                    (Role::Other, cell) => {
                        let Some(value) = cell.to_text() else { continue };
                        if is_items {
                            builder.set_item_attribute(&id, &column.name, &value).map_err(fail)?;
                        } else {
                            builder.set_user_attribute(&id, &column.name, &value).map_err(fail)?;
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        })
        .await?;
        objects.extend(read);
    }
    Ok(RecommendationData { dataset: builder.build(), counts, objects })
}

/// The event log read as an interactions dataset (CSV with a header, unix seconds).
fn event_log_dataset(log: &ObjectUri) -> seer_api::Dataset {
    seer_api::Dataset {
        type_: DatasetType::Interactions,
        uri: format!("{}/", log.to_string().trim_end_matches('/')),
        format: seer_api::DataFormat::Csv,
        schema: None,
        timestamp_format: Some("epoch".into()),
        time_zone: None,
        data_frequency: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_filter_reasons() {
        let types = vec!["purchase".to_string()];
        let keep = Keep { event_types: &types, threshold: Some(4.0) };
        assert_eq!(keep.reason(Some("purchase"), Some(5.0)), None);
        assert!(keep.reason(Some("view"), Some(5.0)).is_some_and(|r| r.contains("eventTypes")));
        assert!(keep.reason(Some("purchase"), Some(3.0)).is_some_and(|r| r.contains("Threshold")));
        assert!(keep.reason(Some("purchase"), None).is_some_and(|r| r.contains("no EVENT_VALUE")));
        let all = Keep { event_types: &[], threshold: None };
        assert_eq!(all.reason(None, None), None);
    }
}
