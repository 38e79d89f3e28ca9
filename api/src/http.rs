//! Bodies of the inference server's native HTTP API (`/v1/...`), shared by the server and
//! any Rust client. The AWS-compatible routes translate to and from these.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One point of a forecast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForecastPoint {
    /// Start of the period (ISO 8601).
    pub timestamp: String,
    /// Forecast value.
    pub value: f64,
}

/// `GET /v1/forecasts/{itemId}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForecastResponse {
    /// The item.
    pub item_id: String,
    /// Forecast dimension values of the series, if any.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    /// Points per forecast type (`p10`, `p50`, `p90`, `mean`).
    pub predictions: BTreeMap<String, Vec<ForecastPoint>>,
}

/// `POST /v1/recommendations`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendationRequest {
    /// The user; unknown users get the cold-start path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The item, for SIMILAR_ITEMS recipes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// How many items to return (default 25, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_results: Option<u32>,
    /// Contextual metadata (e.g. `{"DEVICE": "mobile"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
    /// Name of a filter of the Solution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Values of the filter's `$PARAMETERS`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filter_values: BTreeMap<String, String>,
}

/// One recommended item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoredItem {
    /// The item.
    pub item_id: String,
    /// Relevance score; higher is better.
    pub score: f64,
}

/// Response of `POST /v1/recommendations`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendationResponse {
    /// Items, best first.
    pub item_list: Vec<ScoredItem>,
    /// Identifier of this answer, to attribute later events to it.
    pub recommendation_id: String,
}

/// `POST /v1/personalized-ranking`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RankingRequest {
    /// The user.
    pub user_id: String,
    /// Items to rank.
    pub input_list: Vec<String>,
    /// Contextual metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
}

/// Response of `POST /v1/personalized-ranking`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RankingResponse {
    /// The input items, best first.
    pub personalized_ranking: Vec<ScoredItem>,
    /// Identifier of this answer.
    pub recommendation_id: String,
}

/// One user event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// e.g. `click`, `purchase`, `watch`.
    pub event_type: String,
    /// The item.
    pub item_id: String,
    /// When it happened (RFC 3339, or unix seconds as a number).
    pub sent_at: serde_json::Value,
    /// A value such as a rating or a watch fraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_value: Option<f64>,
}

/// `POST /v1/events`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsRequest {
    /// The user; may be absent for anonymous sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The session.
    pub session_id: String,
    /// The events, oldest first.
    pub event_list: Vec<Event>,
}

/// Response of `POST /v1/events`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsResponse {
    /// Events kept (the user's next recommendations reflect them).
    pub accepted: usize,
    /// Events on items the model does not know, ignored (and counted in the metrics).
    pub ignored_unknown_items: usize,
}

/// Body of every error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorBody,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code (e.g. `InvalidInput`, `NotFound`).
    pub code: String,
    /// A sentence for people.
    pub message: String,
}
