//! Bodies of the inference server's native HTTP API (`/v1/...`), shared by the server and
//! any Rust client. The AWS-compatible routes translate to and from these.
//!
//! Their JSON Schemas (`schemars`) are the bodies of the server's `/openapi.json`, so the
//! limits the server enforces are written here as schema keywords too (`numResults` 1 to 500,
//! 1 to 10 events, ...): a client reading the document learns them, and the contract test
//! checks that the server answers accordingly.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Most items `numResults` may ask for, and most items `inputList` may hold.
pub const MAX_RESULTS: u32 = 500;

/// Most events in one `POST /v1/events` (PutEvents' limit).
pub const MAX_EVENTS: usize = 10;

/// A string holding at least one character that is not white space (`char::is_whitespace`,
/// Unicode's White_Space, listed out: `\s` means other sets in ECMA-262 and in Python).
pub const NOT_BLANK: &str =
    "[^\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/// One point of a forecast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastPoint {
    /// Start of the period (ISO 8601).
    pub timestamp: String,
    /// Forecast value.
    pub value: f64,
}

/// `GET /v1/forecasts/{itemId}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecommendationRequest {
    /// The user; unknown users get the cold-start path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The item, for SIMILAR_ITEMS recipes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// How many items to return (default 25, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "whole_number")]
    #[schemars(range(min = 1, max = MAX_RESULTS))]
    pub num_results: Option<u32>,
    /// Contextual metadata (e.g. `{"DEVICE": "mobile"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
    /// Name of a filter of the Solution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Values of the filter's `$PARAMETERS` (ignored without a `filter`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filter_values: BTreeMap<String, String>,
}

/// One recommended item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoredItem {
    /// The item.
    pub item_id: String,
    /// Relevance score; higher is better.
    pub score: f64,
}

/// Response of `POST /v1/recommendations`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecommendationResponse {
    /// Items, best first.
    pub item_list: Vec<ScoredItem>,
    /// Identifier of this answer, to attribute later events to it.
    pub recommendation_id: String,
}

/// `POST /v1/personalized-ranking`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RankingRequest {
    /// The user.
    pub user_id: String,
    /// Items to rank (1 to 500; repeated items count once).
    #[schemars(length(min = 1, max = MAX_RESULTS))]
    pub input_list: Vec<String>,
    /// Contextual metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
}

/// Response of `POST /v1/personalized-ranking`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RankingResponse {
    /// The input items, best first.
    pub personalized_ranking: Vec<ScoredItem>,
    /// Identifier of this answer.
    pub recommendation_id: String,
}

/// One user event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// e.g. `click`, `purchase`, `watch`.
    #[schemars(pattern(NOT_BLANK))]
    pub event_type: String,
    /// The item.
    #[schemars(length(min = 1))]
    pub item_id: String,
    /// When it happened: unix seconds (a number, or a string of digits), an RFC 3339
    /// date-time, or a date (midnight UTC); as a number, within the years 0 to 9999.
    #[schemars(schema_with = "sent_at_schema")]
    pub sent_at: serde_json::Value,
    /// A value such as a rating or a watch fraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_value: Option<f64>,
}

/// `POST /v1/events`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventsRequest {
    /// The user; may be absent for anonymous sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The session.
    #[schemars(pattern(NOT_BLANK))]
    pub session_id: String,
    /// The events, oldest first (1 to 10).
    #[schemars(length(min = 1, max = MAX_EVENTS))]
    pub event_list: Vec<Event>,
}

/// Response of `POST /v1/events`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventsResponse {
    /// Events kept (the user's next recommendations reflect them).
    pub accepted: usize,
    /// Events on items the model does not know, ignored (and counted in the metrics).
    pub ignored_unknown_items: usize,
}

/// Body of every error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorBody,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code (e.g. `InvalidInput`, `NotFound`).
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

/// `sentAt`: unix seconds as a number within the range a four-digit year names
/// ([`crate::unix_time`]) or a string of at most 11 digits (10 after a minus sign: every such
/// string is in that range), or an RFC 3339 date-time, or a date (midnight UTC).
fn sent_at_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    use crate::unix_time::{EARLIEST_UNIX_SECONDS, END_UNIX_SECONDS};
    schemars::json_schema!({
        "anyOf": [
            {"type": "number", "minimum": EARLIEST_UNIX_SECONDS, "exclusiveMaximum": END_UNIX_SECONDS},
            {"type": "string", "pattern": "^(\\+?[0-9]{1,11}|-[0-9]{1,10})$"},
            {"type": "string", "format": "date-time"},
            {"type": "string", "format": "date"}
        ]
    })
}

/// An optional `u32` that may be written as a JSON float with no fraction (`500.0`): JSON
/// Schema's `integer` (and so the API document) counts it as an integer, and some clients'
/// JSON libraries write every number that way.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(n) => {
            if let Some(i) = n.as_u64() {
                return u32::try_from(i).map(Some).map_err(|_| D::Error::custom(format!("{i} is too large")));
            }
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => Ok(Some(f as u32)),
                _ => Err(D::Error::custom(format!("invalid value: {n}, expected a whole number"))),
            }
        }
    }
}
