//! `POST /v1/events`: a user's events, reflected by their very next recommendation.

use axum::{Json, extract::State, http::StatusCode};
use seer_api::{
    http::{EventsRequest, EventsResponse},
    unix_time::checked_unix_seconds,
};

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
        let timestamp = sent_at(&e.sent_at).map_err(|m| ApiError::invalid(format!("eventList[{i}].sentAt: {m}")))?;
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

/// `sentAt` as unix seconds: a number or a string of digits, or a date or an RFC 3339
/// date-time; as a number, within the range a four-digit year names, as the trainer reads the
/// event log back (a millisecond count sent as seconds is told so).
fn sent_at(value: &serde_json::Value) -> Result<i64, String> {
    const FORMS: &str = "expected unix seconds, a date or an RFC 3339 date-time";
    let secs = match value {
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i,
            // Well within i64 (2^63), where flooring and converting are exact.
            (None, Some(f)) if f.abs() < 9.2e18 => f.floor() as i64,
            (None, Some(f)) => return Err(format!("{f:e} read as Unix seconds is beyond the year 9999")),
            (None, None) => return Err(FORMS.into()),
        },
        serde_json::Value::String(s) => {
            let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let secs = s.parse::<i64>().map_err(|_| format!("{s} read as Unix seconds is beyond the year 9999"))?;
                // As the document's pattern says: 11 digits, 10 after a minus sign, so that every
                // string it allows is in range (and the range's own check names milliseconds).
                if digits.len() > if s.starts_with('-') { 10 } else { 11 } {
                    checked_unix_seconds(secs)?;
                    return Err(format!(
                        "{s:?}: unix seconds as a string have at most 11 digits (10 after a minus sign)"
                    ));
                }
                secs
            } else {
                parse_request_instant(s).ok_or(FORMS)?
            }
        }
        _ => return Err(FORMS.into()),
    };
    checked_unix_seconds(secs)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::sent_at;

    /// Exactly the forms `/openapi.json` gives for `sentAt`.
    #[test]
    fn sent_at_takes_the_documented_forms_only() {
        assert_eq!(sent_at(&json!(1_700_000_000)), Ok(1_700_000_000));
        assert_eq!(sent_at(&json!(1_700_000_000.9)), Ok(1_700_000_000));
        assert_eq!(sent_at(&json!(-1.5)), Ok(-2));
        assert_eq!(sent_at(&json!(253_402_300_799.9)), Ok(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(sent_at(&json!("+1700000000")), Ok(1_700_000_000));
        assert_eq!(sent_at(&json!(-62_167_219_200_i64)), Ok(-62_167_219_200), "0000-01-01T00:00:00Z");
        assert!(sent_at(&json!("000000000001")).unwrap_err().contains("at most 11 digits"));
        assert!(sent_at(&json!("-00000000001")).unwrap_err().contains("10 after a minus sign"));
        assert_eq!(sent_at(&json!("99999999999")), Ok(99_999_999_999), "the largest the pattern allows");
        assert_eq!(sent_at(&json!("-9999999999")), Ok(-9_999_999_999), "the smallest");
        assert_eq!(sent_at(&json!("2024-03-01")), Ok(1_709_251_200));
        assert_eq!(sent_at(&json!("2024-03-01T01:00:00+01:00")), Ok(1_709_251_200));
        for bad in
            [json!("2024-03-01T00:00:00"), json!(" 1700000000"), json!("1e9"), json!(""), json!(null), json!(true)]
        {
            assert_eq!(sent_at(&bad), Err("expected unix seconds, a date or an RFC 3339 date-time".into()), "{bad}");
        }
        // Every date and date-time the document allows is taken, whatever its year and offset.
        for edge in ["0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "3906-07-22"] {
            assert!(sent_at(&json!(edge)).is_ok(), "{edge}");
        }
        // Numbers beyond the year 9999; milliseconds are named as the likely unit.
        let out_of_range = "read as Unix seconds is beyond the year 9999";
        for (bad, shown) in [
            (json!(253_402_387_200_i64), "253402387200"),
            (json!(1e300), "1e300"),
            (json!(i64::MAX), "9223372036854775807"),
            (json!("99999999999999999999"), "99999999999999999999"),
        ] {
            let err = sent_at(&bad).unwrap_err();
            assert!(err.starts_with(&format!("{shown} {out_of_range}")), "{bad}: {err}");
        }
        for ms in [json!(1_700_000_000_000_i64), json!("1700000000000"), json!(1_700_000_000_000.0)] {
            assert!(sent_at(&ms).unwrap_err().contains("(it looks like milliseconds: divide by 1000)"), "{ms}");
        }
    }
}
