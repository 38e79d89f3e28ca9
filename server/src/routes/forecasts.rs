//! `GET /v1/forecasts/{itemId}[?<dimension>=<value>&start=&end=]` and its `chart.svg`.

use axum::{
    extract::{
        Path, Query,
        rejection::{PathRejection, QueryRejection},
    },
    http::header,
    response::IntoResponse,
};

use crate::{
    errors::ApiError,
    model::{ForecastQuery, chart, parse_request_instant},
    state::Current,
};

/// The body is a [`seer_api::http::ForecastResponse`]: rendered once at load for a whole series (the export
/// does not change while served), per request for a window.
pub async fn get(
    Current(model): Current,
    item: Result<Path<String>, PathRejection>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let index = model.forecasts()?;
    let (Path(item), Query(params)) = (item?, params?);
    let json = index.forecast_json(&item, &query_of(params)?)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json))
}

/// `GET /v1/forecasts/{itemId}/chart.svg`: the same series, drawn with its recent history.
pub async fn chart(
    Current(model): Current,
    item: Result<Path<String>, PathRejection>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let index = model.forecasts()?;
    let (Path(item), Query(params)) = (item?, params?);
    let query = query_of(params)?;
    let forecast = index.forecast(&item, &query)?;
    // The history of the same series (same dimensions), when the version has one.
    let whole = ForecastQuery { dimensions: query.dimensions.clone(), ..ForecastQuery::default() };
    let history = model
        .history
        .as_ref()
        .and_then(|h| h.forecast(&item, &whole).ok())
        .and_then(|mut h| h.predictions.remove("value"))
        .unwrap_or_default();
    let svg = chart::render(&item, &history, &forecast);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg))
}

fn query_of(params: Vec<(String, String)>) -> Result<ForecastQuery, ApiError> {
    let mut query = ForecastQuery::default();
    for (key, value) in params {
        let instant = || {
            parse_request_instant(&value).ok_or_else(|| {
                ApiError::invalid(format!("{key}: {value:?} is not a date (2024-03-01) or date-time (RFC 3339)"))
            })
        };
        match key.as_str() {
            "start" => query.start = Some(instant()?),
            "end" => query.end = Some(instant()?),
            _ => {
                if query.dimensions.insert(key.clone(), value).is_some() {
                    return Err(ApiError::invalid(format!("{key} is given twice")));
                }
            }
        }
    }
    if let (Some(a), Some(b)) = (query.start, query.end)
        && a > b
    {
        return Err(ApiError::invalid("start is after end"));
    }
    Ok(query)
}
