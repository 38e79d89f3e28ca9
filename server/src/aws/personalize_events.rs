//! Personalize Events: `PutEvents` translated onto `POST /v1/events` (the same live history and
//! event log, so the user's next recommendations reflect the events), and `PutItems` /
//! `PutUsers`, checked and acknowledged. A served Solution version's catalog does not change
//! (as a Personalize campaign's does not before its next training), and Seer does not store
//! item and user records sent this way yet: the startup log and docs/aws-runtime.md say so,
//! and `seer_aws_records_not_stored_total` counts them.

use axum::{
    body::Bytes,
    extract::{Extension, State, rejection::BytesRejection},
    response::{IntoResponse, Response},
};
use seer_api::http::{Event, EventsRequest, MAX_EVENTS};
use serde::Deserialize;

use super::{AwsError, Protocol, arn, body_error, check_length, current, ok, parse, required};
use crate::{
    routes::events::put_with,
    state::{AppState, Snapshot},
};

const P: Protocol = Protocol::RestJson;

/// `PutEventsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutEventsRequest {
    tracking_id: Option<String>,
    user_id: Option<String>,
    session_id: Option<String>,
    event_list: Option<Vec<AwsEvent>>,
}

/// `Event`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwsEvent {
    event_id: Option<String>,
    event_type: Option<String>,
    event_value: Option<f64>,
    item_id: Option<String>,
    /// A JSON object, as a string.
    properties: Option<String>,
    /// Epoch seconds (what the SDKs send for a `timestamp` in a REST-JSON body).
    sent_at: Option<serde_json::Value>,
    recommendation_id: Option<String>,
    impression: Option<Vec<String>>,
    metric_attribution: Option<serde_json::Value>,
}

/// `PutItemsRequest` and `PutUsersRequest`: a dataset ARN and 1 to 10 records.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutRecordsRequest {
    dataset_arn: Option<String>,
    items: Option<Vec<Record>>,
    users: Option<Vec<Record>>,
}

/// `Item` / `User`: an id and its properties as a JSON object in a string.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    item_id: Option<String>,
    user_id: Option<String>,
    properties: Option<String>,
}

/// `POST /events`.
pub async fn put_events(
    State(state): State<AppState>,
    Extension(snapshot): Extension<Snapshot>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    events(&state, &snapshot, body).await.map_or_else(IntoResponse::into_response, |()| ok(P, &serde_json::json!({})))
}

async fn events(state: &AppState, snapshot: &Snapshot, body: Result<Bytes, BytesRejection>) -> Result<(), AwsError> {
    let request: PutEventsRequest = parse(&body.map_err(|e| body_error(P, e))?, P)?;
    check_length(P, "trackingId", required(P, "trackingId", &request.tracking_id)?, 1, 256)?;
    let session_id = required(P, "sessionId", &request.session_id)?;
    check_length(P, "sessionId", session_id, 1, 256)?;
    if let Some(user) = &request.user_id {
        check_length(P, "userId", user, 1, 256)?;
    }
    let list = required(P, "eventList", &request.event_list)?;
    if list.is_empty() || list.len() > MAX_EVENTS {
        return Err(AwsError::invalid(P, format!("eventList: give 1 to {MAX_EVENTS} events, not {}", list.len())));
    }
    let mut event_list = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let at = |member: &str| format!("eventList[{i}].{member}");
        let event_type = required(P, &at("eventType"), &e.event_type)?;
        check_length(P, &at("eventType"), event_type, 1, 256)?;
        let sent_at = required(P, &at("sentAt"), &e.sent_at)?;
        // Without an item there is nothing to learn from: Seer's recipes learn from
        // user-item interactions.
        let item_id = required(P, &at("itemId"), &e.item_id)?;
        check_length(P, &at("itemId"), item_id, 1, 256)?;
        for (member, value, max) in [("eventId", &e.event_id, 256), ("recommendationId", &e.recommendation_id, 40)] {
            if let Some(v) = value {
                check_length(P, &at(member), v, 1, max)?;
            }
        }
        if let Some(properties) = &e.properties {
            check_properties(&at("properties"), properties, 1024)?;
        }
        if let Some(impression) = &e.impression
            && (impression.is_empty() || impression.len() > 25)
        {
            return Err(AwsError::invalid(P, format!("{}: give 1 to 25 items", at("impression"))));
        }
        if e.metric_attribution.as_ref().is_some_and(|m| !m.is_object()) {
            return Err(AwsError::invalid(P, format!("{}: must be an object", at("metricAttribution"))));
        }
        event_list.push(Event {
            event_type: event_type.clone(),
            item_id: item_id.clone(),
            sent_at: sent_at.clone(),
            event_value: e.event_value,
        });
    }
    let model = current(snapshot, P)?;
    let recommender = model.recommender().map_err(|_| {
        AwsError::not_found(P, "this server serves a Predictor: events go to the server of a Solution's Campaign")
    })?;
    let native = EventsRequest { user_id: request.user_id.clone(), session_id: session_id.clone(), event_list };
    put_with(state, recommender, &native).await.map_err(|e| AwsError::from_api(P, e))?;
    Ok(())
}

/// `POST /items`.
pub async fn put_items(
    State(state): State<AppState>,
    Extension(snapshot): Extension<Snapshot>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    records(&state, &snapshot, body, Kind::Items)
        .map_or_else(IntoResponse::into_response, |()| ok(P, &serde_json::json!({})))
}

/// `POST /users`.
pub async fn put_users(
    State(state): State<AppState>,
    Extension(snapshot): Extension<Snapshot>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    records(&state, &snapshot, body, Kind::Users)
        .map_or_else(IntoResponse::into_response, |()| ok(P, &serde_json::json!({})))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Items,
    Users,
}

fn records(
    state: &AppState,
    snapshot: &Snapshot,
    body: Result<Bytes, BytesRejection>,
    kind: Kind,
) -> Result<(), AwsError> {
    let request: PutRecordsRequest = parse(&body.map_err(|e| body_error(P, e))?, P)?;
    let dataset = required(P, "datasetArn", &request.dataset_arn)?;
    arn::parse("datasetArn", dataset, "personalize", &["dataset"]).map_err(|e| AwsError::invalid(P, e))?;
    let (list_member, id_member, max_properties) = match kind {
        Kind::Items => ("items", "itemId", 32_000),
        Kind::Users => ("users", "userId", 24_000),
    };
    let list = required(
        P,
        list_member,
        match kind {
            Kind::Items => &request.items,
            Kind::Users => &request.users,
        },
    )?;
    if list.is_empty() || list.len() > 10 {
        return Err(AwsError::invalid(P, format!("{list_member}: give 1 to 10 records, not {}", list.len())));
    }
    for (i, record) in list.iter().enumerate() {
        let id = match kind {
            Kind::Items => &record.item_id,
            Kind::Users => &record.user_id,
        };
        let member = format!("{list_member}[{i}].{id_member}");
        check_length(P, &member, required(P, &member, id)?, 1, 256)?;
        if let Some(properties) = &record.properties {
            check_properties(&format!("{list_member}[{i}].properties"), properties, max_properties)?;
        }
    }
    let model = current(snapshot, P)?;
    model.recommender().map_err(|_| {
        AwsError::not_found(P, "this server serves a Predictor: records go to the server of a Solution's Campaign")
    })?;
    state.metrics.aws_records_not_stored(list_member, list.len());
    Ok(())
}

/// `properties`: a JSON object written as a string, of 1 to `max` characters.
fn check_properties(member: &str, text: &str, max: usize) -> Result<(), AwsError> {
    check_length(P, member, text, 1, max)?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(AwsError::invalid(P, format!("{member}: must be a JSON object written as a string"))),
    }
}

/// `PutActions`, `PutActionInteractions`.
pub async fn unsupported() -> AwsError {
    AwsError::unknown_operation(
        P,
        "PutActions and PutActionInteractions are not supported by Seer (no action datasets)",
    )
}
