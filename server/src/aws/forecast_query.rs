//! Forecast Query (JSON 1.1): `QueryForecast` on `POST /` with
//! `X-Amz-Target: AmazonForecastRuntime.QueryForecast`, translated onto
//! `GET /v1/forecasts/{itemId}?<dimension>=<value>&start=&end=`.

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Extension, State, rejection::BytesRejection},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use chrono::DateTime;
use serde::{Deserialize, Serialize};

use super::{AwsError, Protocol, arn, body_error, check_campaign, current, ok, parse, required};
use crate::{
    model::{ForecastQuery, parse_instant},
    state::{AppState, Snapshot},
};

const P: Protocol = Protocol::Json11;

/// The service's target prefix.
const TARGET_PREFIX: &str = "AmazonForecastRuntime.";

/// `QueryForecastRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueryForecastRequest {
    forecast_arn: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    filters: Option<BTreeMap<String, String>>,
    next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueryForecastResponse {
    forecast: Forecast,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Forecast {
    /// By statistic (`p10`, `p50`, `p90`, `mean`).
    predictions: BTreeMap<String, Vec<DataPoint>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DataPoint {
    /// `yyyy-MM-ddTHH:mm:ss`, as the service writes it.
    timestamp: String,
    value: f64,
}

/// `POST /`: the operation the `X-Amz-Target` header names.
pub async fn dispatch(
    State(state): State<AppState>,
    Extension(snapshot): Extension<Snapshot>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let answer = match target.strip_prefix(TARGET_PREFIX) {
        Some("QueryForecast") => query_forecast(&state, &snapshot, body).map(|r| ok(P, &r)),
        Some("QueryWhatIfForecast") => {
            Err(AwsError::unknown_operation(P, "QueryWhatIfForecast is not supported by Seer (no what-if analyses)"))
        }
        _ => Err(AwsError::unknown_operation(
            P,
            format!("X-Amz-Target {target:?}: POST / serves AmazonForecastRuntime.QueryForecast"),
        )),
    };
    answer.unwrap_or_else(IntoResponse::into_response)
}

fn query_forecast(
    state: &AppState,
    snapshot: &Snapshot,
    body: Result<Bytes, BytesRejection>,
) -> Result<QueryForecastResponse, AwsError> {
    let request: QueryForecastRequest = parse(&body.map_err(|e| body_error(P, e))?, P)?;
    let arn_text = required(P, "ForecastArn", &request.forecast_arn)?;
    let filters = required(P, "Filters", &request.filters)?;
    if arn_text.len() > 256 {
        return Err(AwsError::invalid(P, "ForecastArn: longer than 256 characters"));
    }
    let arn = arn::parse("ForecastArn", arn_text, "forecast", &["forecast"]).map_err(|e| AwsError::invalid(P, e))?;
    if filters.is_empty() || filters.len() > 50 {
        return Err(AwsError::invalid(P, format!("Filters: give 1 to 50 filters, not {}", filters.len())));
    }
    if request.next_token.is_some() {
        // Every answer is whole: there is never a token to continue from.
        return Err(AwsError::new(
            P,
            axum::http::StatusCode::BAD_REQUEST,
            "InvalidNextTokenException",
            "NextToken: this server never gives one (answers are never split)",
        ));
    }
    check_campaign(&state.aws, P, "ForecastArn", &arn)?;
    let model = current(snapshot, P)?;
    let index = model.forecasts().map_err(|_| {
        AwsError::not_found(P, format!("ForecastArn: {:?} is not a forecast: this server serves a Solution", arn.name))
    })?;
    let mut dimensions = filters.clone();
    let item = dimensions
        .remove("item_id")
        .ok_or_else(|| AwsError::invalid(P, "Filters: item_id is required (with the forecast dimensions, if any)"))?;
    let date = |member: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|v| {
                parse_instant(v).ok_or_else(|| {
                    AwsError::invalid(P, format!("{member}: {v:?} is not a date-time of the form 2024-03-01T00:00:00"))
                })
            })
            .transpose()
    };
    let query = ForecastQuery {
        dimensions,
        start: date("StartDate", &request.start_date)?,
        end: date("EndDate", &request.end_date)?,
    };
    if let (Some(a), Some(b)) = (query.start, query.end)
        && a > b
    {
        return Err(AwsError::invalid(P, "StartDate is after EndDate"));
    }
    let forecast = index.forecast(&item, &query).map_err(|e| AwsError::from_api(P, e))?;
    let predictions = forecast
        .predictions
        .into_iter()
        .map(|(statistic, points)| {
            let points = points
                .into_iter()
                .map(|p| DataPoint { timestamp: aws_timestamp(&p.timestamp), value: p.value })
                .collect();
            (statistic, points)
        })
        .collect();
    Ok(QueryForecastResponse { forecast: Forecast { predictions } })
}

/// The export's date (`2024-03-01`, or a date-time) as the service writes timestamps.
fn aws_timestamp(date: &str) -> String {
    parse_instant(date)
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .map_or_else(|| date.to_string(), |t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_written_as_the_service_writes_them() {
        assert_eq!(super::aws_timestamp("2024-03-01"), "2024-03-01T00:00:00");
        assert_eq!(super::aws_timestamp("2024-03-01T10:30:00"), "2024-03-01T10:30:00");
        assert_eq!(super::aws_timestamp("2024-03-01T10:30:00+01:00"), "2024-03-01T09:30:00");
    }
}
