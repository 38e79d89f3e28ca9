//! Solution: a recommender trained on a DatasetGroup's interactions (Amazon Personalize's
//! solution and solution versions).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{DeletionPolicy, LocalObjectReference, RetrainSpec, StorageLocation, TrainerSpec};

/// What the Solution recommends. USER_PERSONALIZATION: items for a user; PERSONALIZED_RANKING:
/// a given list re-ranked for a user; SIMILAR_ITEMS (and SIMS, its co-occurrence-only
/// variant): items like a given item; POPULARITY_COUNT: the most interacted-with items;
/// TRENDING_NOW: the items whose popularity grows fastest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Recipe {
    UserPersonalization,
    PersonalizedRanking,
    SimilarItems,
    Sims,
    PopularityCount,
    TrendingNow,
}

/// Tuning of the recipe. Every field is optional; defaults are chosen per recipe and dataset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecipeParameters {
    /// USER_PERSONALIZATION / PERSONALIZED_RANKING: size of the learned user and item vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 8, max = 1024))]
    pub hidden_dimension: Option<i32>,
    /// USER_PERSONALIZATION / PERSONALIZED_RANKING: training passes over the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 200))]
    pub iterations: Option<i32>,
    /// USER_PERSONALIZATION / PERSONALIZED_RANKING: L2 regularisation of the vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub regularization: Option<f64>,
    /// USER_PERSONALIZATION / PERSONALIZED_RANKING: confidence weight of an observed interaction (implicit-feedback alpha).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub alpha: Option<f64>,
    /// Weight of a user's most recent events against their long-term profile, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub recency_weight: Option<f64>,
    /// SIMILAR_ITEMS / SIMS: how strongly popular items are discounted, 0 (not) to 1 (fully).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub popularity_discount_factor: Option<f64>,
    /// SIMILAR_ITEMS / SIMS: least number of users two items must share to be neighbours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub min_cointeraction_count: Option<i32>,
    /// SIMILAR_ITEMS: weight of item metadata against co-occurrence, 0 to 1 (metadata is
    /// what gives new items neighbours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub metadata_weight: Option<f64>,
    /// TRENDING_NOW: the window popularity growth is measured over, e.g. `30m`, `1h`, `1d`, `7d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.matches('^[1-9][0-9]*(m|h|d)$')",
        "message": "trendWindow must be a duration such as 30m, 1h or 7d"
    }]))]
    #[schemars(length(max = 16))]
    pub trend_window: Option<String>,
}

/// Which interactions training uses.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventFilter {
    /// Only interactions with these `EVENT_TYPE` values (e.g. `purchase`); empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20), inner(length(min = 1, max = 256)))]
    pub event_types: Vec<String>,
    /// Only interactions whose `EVENT_VALUE` is at least this (e.g. ratings of 4 and up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_value_threshold: Option<f64>,
}

/// A named filter in Amazon Personalize's filter expression language, applied at request
/// time by name, e.g. `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")` or
/// `INCLUDE ItemID WHERE Items.GENRE IN ($GENRES)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilterSpec {
    /// Name a request uses to apply the filter (`filter` in the HTTP API; the last part of a filterArn).
    #[schemars(length(min = 1, max = 63))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.matches('^[a-zA-Z0-9][a-zA-Z0-9_-]*$')",
        "message": "filter names hold letters, digits, _ and -"
    }]))]
    pub name: String,
    /// The expression; it starts with INCLUDE or EXCLUDE, and `|` joins several.
    #[schemars(length(min = 1, max = 2500))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.startsWith('INCLUDE ') || self.startsWith('EXCLUDE ')",
        "message": "a filter expression starts with INCLUDE or EXCLUDE"
    }]))]
    pub expression: String,
}

/// Spec of a Solution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "kube", derive(kube::CustomResource))]
#[cfg_attr(
    feature = "kube",
    kube(
        group = "seer.dev",
        version = "v1alpha1",
        kind = "Solution",
        namespaced,
        status = "SolutionStatus",
        shortname = "ssol",
        category = "seer",
        doc = "A Solution trains a recommender (a recipe such as USER_PERSONALIZATION or SIMILAR_ITEMS) on a DatasetGroup's interactions, evaluates it offline and keeps versioned artifacts.",
        printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
        printcolumn(name = "Recipe", type_ = "string", json_path = ".spec.recipe"),
        printcolumn(name = "Version", type_ = "string", json_path = ".status.latestVersion"),
        printcolumn(
            name = "NDCG@10",
            type_ = "number",
            json_path = ".status.latestMetrics.normalized_discounted_cumulative_gain_at_10",
            description = "NDCG at 10 of the latest version on held-out interactions (higher is better)"
        ),
        printcolumn(name = "Coverage", type_ = "number", json_path = ".status.latestMetrics.coverage", priority = 1),
        printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
    )
)]
#[serde(rename_all = "camelCase")]
pub struct SolutionSpec {
    /// The DatasetGroup (same namespace) with the interactions and optional items and users.
    pub dataset_group_ref: LocalObjectReference,
    /// The recipe. Immutable: a Campaign's API depends on it.
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self == oldSelf",
        "message": "recipe is immutable; create a new Solution instead"
    }]))]
    pub recipe: Recipe,
    /// Tuning of the recipe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe_parameters: Option<RecipeParameters>,
    /// Which interactions training uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_filter: Option<EventFilter>,
    /// Named filter expressions that requests can apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.all(f, self.exists_one(g, g.name == f.name))",
        "message": "filter names must be unique"
    }]))]
    pub filters: Vec<FilterSpec>,
    /// Retrain on a schedule (new interactions and events the Campaign took in are included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrain: Option<RetrainSpec>,
    /// Where versions are stored; unset means the operator's default storage, under
    /// `<namespace>/solution/<name>/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<StorageLocation>,
    /// Resources, placement and limits of the trainer Jobs.
    #[serde(default)]
    pub trainer: TrainerSpec,
    /// Whether deleting the Solution deletes its artifacts and its Campaigns' event log (`Delete`) or keeps them (`Retain`, the default).
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// Observed state of a Solution.
pub type SolutionStatus = crate::TrainedModelStatus;
