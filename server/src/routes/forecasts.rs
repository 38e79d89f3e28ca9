//! `GET /v1/forecasts/{itemId}[?<dimension>=<value>&start=&end=]`.

use axum::{
    Json,
    extract::{Path, Query},
};
use seer_api::http::ForecastResponse;

use crate::{
    errors::ApiError,
    model::{ForecastQuery, parse_instant},
    state::Current,
};

pub async fn get(
    Current(model): Current,
    Path(item): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<ForecastResponse>, ApiError> {
    let index = model.forecasts()?;
    let mut query = ForecastQuery::default();
    for (key, value) in params {
        let instant = || {
            parse_instant(&value).ok_or_else(|| {
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
    Ok(Json(index.forecast(&item, &query)?))
}
