//! A Solution version served: the trained recipe, a catalog for filters, the Solution's named
//! filters, and the request logic (history = training events + live events, filters bound per
//! request, cold start for unknown users).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use seer_api::{artifact::SolutionCatalog, http::ScoredItem};
use seer_models::recommend::{
    Dataset, DatasetBuilder, Event, Filter, FilterContext, RecipeModel, TrainedModel, parse_filter_value,
    personalization::RequestOptions,
};

use crate::{errors::ApiError, live::LiveEvent};

/// Most items a request may ask for or rank.
pub const MAX_RESULTS: usize = seer_api::http::MAX_RESULTS as usize;
/// Items returned when a request does not say.
pub const DEFAULT_RESULTS: usize = 25;

/// One Solution version, ready to answer.
#[derive(Debug)]
pub struct Recommender {
    trained: TrainedModel,
    /// Items and event types under the model's indices (no events): what filters look up.
    catalog: Dataset,
    filters: BTreeMap<String, Filter>,
}

/// A request's filter: its name in the Solution and `filterValues`.
#[derive(Debug)]
pub struct FilterRequest<'a> {
    pub name: Option<&'a str>,
    pub values: &'a BTreeMap<String, String>,
}

impl Recommender {
    /// Wraps a loaded model with the Solution's filters (`name`, expression) and the item and
    /// user attributes they look up.
    pub fn new(
        trained: TrainedModel,
        filters: &[(String, String)],
        attributes: &SolutionCatalog,
    ) -> Result<Self, String> {
        let mut builder = DatasetBuilder::new();
        let fail = |e: seer_models::recommend::RecommendError| format!("catalog: {e}");
        for name in trained.items().names() {
            builder.add_item(name).map_err(fail)?;
        }
        for name in trained.users().names() {
            builder.add_user(name).map_err(fail)?;
        }
        for name in trained.event_types().names() {
            builder.add_event_type(name).map_err(fail)?;
        }
        // Attributes only of ids the model knows: the indices must stay the model's.
        for (item, values) in &attributes.items {
            if trained.items().get(item).is_some() {
                for (column, value) in values {
                    builder.set_item_attribute(item, column, value).map_err(fail)?;
                }
            }
        }
        for (user, values) in &attributes.users {
            if trained.users().get(user).is_some() {
                for (column, value) in values {
                    builder.set_user_attribute(user, column, value).map_err(fail)?;
                }
            }
        }
        let catalog = builder.build();
        let mut parsed = BTreeMap::new();
        for (name, expression) in filters {
            let filter = Filter::parse(expression).map_err(|e| format!("filter {name}: {e}"))?;
            if parsed.insert(name.clone(), filter).is_some() {
                return Err(format!("filter {name} is given twice"));
            }
        }
        Ok(Self { trained, catalog, filters: parsed })
    }

    /// The recipe.
    pub fn recipe(&self) -> seer_api::Recipe {
        self.trained.recipe()
    }

    /// The recipe's name as Personalize spells it (`USER_PERSONALIZATION`), for messages.
    pub fn recipe_name(&self) -> String {
        match serde_json::to_value(self.trained.recipe()) {
            Ok(serde_json::Value::String(name)) => name,
            _ => format!("{:?}", self.trained.recipe()),
        }
    }

    /// Number of items in the catalog.
    pub fn n_items(&self) -> usize {
        self.trained.items().len()
    }

    /// The ids of the users the model was trained on.
    pub fn user_ids(&self) -> impl Iterator<Item = &str> {
        self.trained.users().names().iter().map(String::as_str)
    }

    /// Whether the model knows `item`.
    pub fn knows_item(&self, item: &str) -> bool {
        self.trained.items().get(item).is_some()
    }

    /// Whether the items dataset has `column` (any case, as filters name them).
    pub fn has_item_column(&self, column: &str) -> bool {
        self.catalog.item_attributes.has_column(column)
    }

    /// `item`'s values of `columns` (those it has), by the column names as given.
    pub fn item_metadata(&self, item: &str, columns: &[String]) -> BTreeMap<String, String> {
        let Some(i) = self.trained.items().get(item) else {
            return BTreeMap::new();
        };
        columns.iter().filter_map(|c| Some((c.clone(), self.catalog.item_attributes.get(i, c)?.to_string()))).collect()
    }

    /// `POST /v1/recommendations`.
    pub fn recommend(
        &self,
        user: Option<&str>,
        item: Option<&str>,
        n: usize,
        live: &[LiveEvent],
        filter: &FilterRequest<'_>,
    ) -> Result<Vec<ScoredItem>, ApiError> {
        let (user_index, history) = self.history(user, live);
        // A borrowed history is the user's training history, with no live event after it: what
        // the model precomputed for them at load stands in (see `Model::load_with`).
        let options = RequestOptions {
            trained_user: user_index.filter(|_| matches!(history, Cow::Borrowed(_))),
            ..RequestOptions::default()
        };
        let current = match item {
            Some(name) => Some(self.item_index(name)?),
            None => None,
        };
        let bound = self.bind(filter, user_index, &history, current)?;
        let allow = |i: u32| bound.as_ref().is_none_or(|f| f.allows(i));
        let scored = match (self.trained.model(), current) {
            (RecipeModel::UserPersonalization(m), Some(i)) if user.is_none() => m.similar_items().similar(i, n, allow),
            (RecipeModel::UserPersonalization(m), _) => m
                .recommend(&history, n, &options, allow)
                .map_err(|e| ApiError::invalid(format!("cannot recommend: {e}")))?,
            (RecipeModel::SimilarItems(m), Some(i)) => m.similar(i, n, allow),
            (RecipeModel::SimilarItems(_), None) => {
                return Err(ApiError::invalid(format!(
                    "this Solution ({}) recommends items related to an item: give itemId",
                    self.recipe_name()
                )));
            }
            (RecipeModel::Popularity(m), _) => m.recommend(n, allow),
            (RecipeModel::Trending(m), _) => m.recommend(n, allow),
        };
        Ok(self.named(scored))
    }

    /// `POST /v1/personalized-ranking`: known items ranked by the model, then the items it does
    /// not know in their input order (score 0).
    pub fn rank(&self, user: &str, input: &[String], live: &[LiveEvent]) -> Result<Vec<ScoredItem>, ApiError> {
        let RecipeModel::UserPersonalization(m) = self.trained.model() else {
            return Err(ApiError::wrong_model(format!(
                "personalized ranking needs a USER_PERSONALIZATION or PERSONALIZED_RANKING Solution; this one is {}",
                self.recipe_name()
            )));
        };
        let (_, history) = self.history(Some(user), live);
        let mut seen = HashSet::new();
        let unique: Vec<&String> = input.iter().filter(|i| seen.insert(i.as_str())).collect();
        let known: Vec<u32> = unique.iter().filter_map(|i| self.trained.items().get(i)).collect();
        let ranked = m.rank(&history, &known).map_err(|e| ApiError::invalid(format!("cannot rank: {e}")))?;
        let mut out = self.named(ranked);
        out.extend(
            unique.iter().filter(|i| !self.knows_item(i)).map(|i| ScoredItem { item_id: (*i).clone(), score: 0.0 }),
        );
        Ok(out)
    }

    /// `GET /v1/similar-items/{itemId}`.
    pub fn similar(&self, item: &str, n: usize) -> Result<Vec<ScoredItem>, ApiError> {
        let i = self.item_index(item)?;
        let scored = match self.trained.model() {
            RecipeModel::SimilarItems(m) => m.similar(i, n, |_| true),
            RecipeModel::UserPersonalization(m) => m.similar_items().similar(i, n, |_| true),
            RecipeModel::Popularity(_) | RecipeModel::Trending(_) => {
                return Err(ApiError::wrong_model(format!(
                    "similar items need a SIMILAR_ITEMS, SIMS or USER_PERSONALIZATION Solution; this one is {}",
                    self.recipe_name()
                )));
            }
        };
        Ok(self.named(scored))
    }

    fn item_index(&self, item: &str) -> Result<u32, ApiError> {
        self.trained.items().get(item).ok_or_else(|| ApiError::not_found(format!("unknown item {item:?}")))
    }

    /// The user's training events (none for unknown users: cold start) followed by their live
    /// events on items this model knows; borrowed from the model when there are no live events.
    fn history(&self, user: Option<&str>, live: &[LiveEvent]) -> (Option<u32>, Cow<'_, [Event]>) {
        let index = user.and_then(|u| self.trained.users().get(u));
        let trained: &[Event] = index.map_or(&[], |u| self.trained.histories().user(u));
        if live.is_empty() {
            return (index, Cow::Borrowed(trained));
        }
        let mut history = trained.to_vec();
        let user_field = index.unwrap_or(u32::MAX);
        history.extend(live.iter().filter_map(|e| {
            Some(Event {
                user: user_field,
                item: self.trained.items().get(&e.item)?,
                timestamp: e.timestamp,
                event_type: self.trained.event_types().get(&e.event_type).unwrap_or(0),
                value: e.value,
            })
        }));
        (index, Cow::Owned(history))
    }

    fn bind<'a>(
        &'a self,
        request: &FilterRequest<'_>,
        user: Option<u32>,
        history: &[Event],
        current_item: Option<u32>,
    ) -> Result<Option<seer_models::recommend::BoundFilter<'a>>, ApiError> {
        // Values without a filter have nothing to fill in: ignored, as absent fields are.
        let Some(name) = request.name else {
            return Ok(None);
        };
        // A filter the Solution does not have is a missing resource, as an unknown item is.
        let filter = self.filters.get(name).ok_or_else(|| {
            ApiError::not_found(format!(
                "filter: this Solution has no filter {name:?} (filters: {})",
                if self.filters.is_empty() {
                    "none".to_string()
                } else {
                    self.filters.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))
        })?;
        let mut values = HashMap::new();
        for (key, raw) in request.values {
            let key = key.trim_start_matches('$').to_ascii_uppercase();
            let parsed = parse_filter_value(&key, raw).map_err(|e| ApiError::invalid(format!("filterValues: {e}")))?;
            values.insert(key, parsed);
        }
        let ctx = FilterContext { user, history, current_item, values };
        Ok(Some(filter.bind(&self.catalog, &ctx)))
    }

    fn named(&self, scored: Vec<(u32, f32)>) -> Vec<ScoredItem> {
        scored
            .into_iter()
            .filter_map(|(i, s)| {
                let score = if s.is_finite() { f64::from(s) } else { 0.0 };
                Some(ScoredItem { item_id: self.trained.items().name(i)?.to_string(), score })
            })
            .collect()
    }
}
