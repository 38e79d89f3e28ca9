//! `POST /v1/events`: a user's events, reflected by their very next recommendation.

use axum::{Json, extract::State, http::StatusCode};
use seer_api::http::{EventsRequest, EventsResponse, MAX_SENT_AT_SECONDS};

use crate::{
    errors::{ApiError, JsonBody},
    event_log::LoggedEvent,
    live::LiveEvent,
    model::{Recommender, parse_request_instant},
    state::{AppState, Current},
};

/// Most events in one request (PutEvents' limit).
pub const MAX_EVENTS: usize = seer_api::http::MAX_EVENTS;

pub async fn put(
    State(state): State<AppState>,
    Current(model): Current,
    JsonBody(request): JsonBody<EventsRequest>,
) -> Result<Json<EventsResponse>, ApiError> {
    put_with(&state, model.recommender()?, &request).await.map(Json)
}

/// The logic behind `POST /v1/events`, which PutEvents also calls: checks every event, keeps
/// those on known items as the user's live history and logs them all.
pub async fn put_with(
    state: &AppState,
    recommender: &Recommender,
    request: &EventsRequest,
) -> Result<EventsResponse, ApiError> {
    if request.session_id.trim().is_empty() {
        return Err(ApiError::invalid("sessionId: must not be empty"));
    }
    if request.event_list.is_empty() || request.event_list.len() > MAX_EVENTS {
        return Err(ApiError::invalid(format!(
            "eventList: give 1 to {MAX_EVENTS} events, not {}",
            request.event_list.len()
        )));
    }
    let mut kept = Vec::with_capacity(request.event_list.len());
    let mut logged = Vec::with_capacity(request.event_list.len());
    let mut unknown = 0;
    for (i, e) in request.event_list.iter().enumerate() {
        if e.event_type.trim().is_empty() {
            return Err(ApiError::invalid(format!("eventList[{i}].eventType: must not be empty")));
        }
        if e.item_id.is_empty() {
            return Err(ApiError::invalid(format!("eventList[{i}].itemId: must not be empty")));
        }
        let timestamp = sent_at(&e.sent_at).ok_or_else(|| {
            ApiError::invalid(format!("eventList[{i}].sentAt: expected unix seconds, a date or an RFC 3339 date-time"))
        })?;
        let value = match e.event_value {
            Some(v) if !v.is_finite() => {
                return Err(ApiError::invalid(format!("eventList[{i}].eventValue: must be a finite number")));
            }
            v => v.map(|v| v as f32),
        };
        logged.push((e, timestamp, value));
        if recommender.knows_item(&e.item_id) {
            kept.push(LiveEvent { item: e.item_id.clone(), event_type: e.event_type.clone(), timestamp, value });
        } else {
            unknown += 1;
        }
    }
    // Keyed by the user when known, else by the session (an anonymous visitor's app asks for
    // recommendations with its session id as userId).
    let key = request.user_id.as_deref().filter(|u| !u.is_empty()).unwrap_or(&request.session_id);
    let accepted = kept.len();
    if accepted > 0 {
        // Not kept means not taken in at all (not logged either): the client gets a 503 and
        // sends the same events again, rather than the other replicas never seeing them.
        state.live.record(key, kept).await.map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "LiveStoreUnavailable",
                format!("{e}; the events were not taken in: send them again"),
            )
        })?;
    }
    // Every valid event goes to the log, new items included: that is how they enter training.
    if let Some(log) = state.event_log.get() {
        log.append(logged.iter().map(|(e, timestamp, value)| LoggedEvent {
            user: key,
            item: &e.item_id,
            timestamp: *timestamp,
            event_type: &e.event_type,
            value: *value,
        }));
    }
    state.metrics.events(accepted, unknown);
    Ok(EventsResponse { accepted, ignored_unknown_items: unknown })
}

/// `sentAt` as unix seconds: a number or a string of up to 15 digits (sizes under 10^15, so
/// any later conversion to a date succeeds), or a date or an RFC 3339 date-time.
fn sent_at(value: &serde_json::Value) -> Option<i64> {
    let in_range = |f: f64| f.is_finite() && f.abs() < MAX_SENT_AT_SECONDS;
    match value {
        serde_json::Value::Number(n) => n.as_f64().filter(|f| in_range(*f)).map(|f| f.floor() as i64),
        serde_json::Value::String(s) => {
            let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
            if (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                s.parse::<i64>().ok()
            } else {
                parse_request_instant(s)
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::sent_at;

    /// Exactly the forms `/openapi.json` gives for `sentAt`.
    #[test]
    fn sent_at_takes_the_documented_forms_only() {
        assert_eq!(sent_at(&json!(1_700_000_000)), Some(1_700_000_000));
        assert_eq!(sent_at(&json!(1_700_000_000.9)), Some(1_700_000_000));
        assert_eq!(sent_at(&json!(-1.5)), Some(-2));
        assert_eq!(sent_at(&json!(999_999_999_999_999.9)), Some(999_999_999_999_999));
        assert_eq!(sent_at(&json!(1e15)), None, "the limit is exclusive");
        assert_eq!(sent_at(&json!(i64::MAX)), None);
        assert_eq!(sent_at(&json!("+1700000000")), Some(1_700_000_000));
        assert_eq!(sent_at(&json!("999999999999999")), Some(999_999_999_999_999));
        assert_eq!(sent_at(&json!("1000000000000000")), None, "16 digits");
        assert_eq!(sent_at(&json!("2024-03-01")), Some(1_709_251_200));
        assert_eq!(sent_at(&json!("2024-03-01T01:00:00+01:00")), Some(1_709_251_200));
        for bad in
            [json!("2024-03-01T00:00:00"), json!(" 1700000000"), json!("1e9"), json!(""), json!(null), json!(true)]
        {
            assert_eq!(sent_at(&bad), None, "{bad}");
        }
    }
}
