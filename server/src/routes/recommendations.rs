//! `POST /v1/recommendations`, `POST /v1/personalized-ranking`, `GET /v1/similar-items/{itemId}`.

use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
};
use seer_api::http::{RankingRequest, RankingResponse, RecommendationRequest, RecommendationResponse};

use crate::{
    errors::{ApiError, JsonBody},
    model::{DEFAULT_RESULTS, FilterRequest, MAX_RESULTS, Recommender},
    state::{AppState, Current},
};

pub async fn recommend(
    State(state): State<AppState>,
    Current(model): Current,
    JsonBody(request): JsonBody<RecommendationRequest>,
) -> Result<Json<RecommendationResponse>, ApiError> {
    recommend_with(&state, model.recommender()?, &request).await.map(Json)
}

/// The logic behind `POST /v1/recommendations`, which GetRecommendations also calls.
pub async fn recommend_with(
    state: &AppState,
    recommender: &Recommender,
    request: &RecommendationRequest,
) -> Result<RecommendationResponse, ApiError> {
    let n = num_results(request.num_results.map(u64::from))?;
    let user = request.user_id.as_deref().filter(|u| !u.is_empty());
    let live = match user {
        Some(u) => state.live.recent(u).await,
        None => Vec::new(),
    };
    let filter = FilterRequest { name: request.filter.as_deref(), values: &request.filter_values };
    let item_list = recommender.recommend(user, request.item_id.as_deref(), n, &live, &filter)?;
    Ok(RecommendationResponse { item_list, recommendation_id: recommendation_id() })
}

pub async fn rank(
    State(state): State<AppState>,
    Current(model): Current,
    JsonBody(request): JsonBody<RankingRequest>,
) -> Result<Json<RankingResponse>, ApiError> {
    rank_with(&state, model.recommender()?, &request).await.map(Json)
}

/// The logic behind `POST /v1/personalized-ranking`, which GetPersonalizedRanking also calls.
pub async fn rank_with(
    state: &AppState,
    recommender: &Recommender,
    request: &RankingRequest,
) -> Result<RankingResponse, ApiError> {
    if request.input_list.is_empty() || request.input_list.len() > MAX_RESULTS {
        return Err(ApiError::invalid(format!(
            "inputList: give 1 to {MAX_RESULTS} items, not {}",
            request.input_list.len()
        )));
    }
    let live = state.live.recent(&request.user_id).await;
    let personalized_ranking = recommender.rank(&request.user_id, &request.input_list, &live)?;
    Ok(RankingResponse { personalized_ranking, recommendation_id: recommendation_id() })
}

pub async fn similar(
    Current(model): Current,
    item: Result<Path<String>, PathRejection>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<RecommendationResponse>, ApiError> {
    let recommender = model.recommender()?;
    let (Path(item), Query(params)) = (item?, params?);
    let mut n = None;
    for (key, value) in params {
        match key.as_str() {
            "numResults" => {
                n = Some(value.parse::<u64>().map_err(|_| {
                    ApiError::invalid(format!("numResults: {value:?} is not a whole number from 1 to {MAX_RESULTS}"))
                })?)
            }
            _ => return Err(ApiError::invalid(format!("unknown query parameter {key:?} (known: numResults)"))),
        }
    }
    let item_list = recommender.similar(&item, num_results(n)?)?;
    Ok(Json(RecommendationResponse { item_list, recommendation_id: recommendation_id() }))
}

/// `numResults`: 25 when absent, else 1 to 500.
fn num_results(n: Option<u64>) -> Result<usize, ApiError> {
    match n {
        None => Ok(DEFAULT_RESULTS),
        Some(n) if (1..=MAX_RESULTS as u64).contains(&n) => Ok(n as usize),
        Some(n) => Err(ApiError::invalid(format!("numResults: {n} is not between 1 and {MAX_RESULTS}"))),
    }
}

/// A process-unique id for one answer (time and a counter), for attributing later events.
fn recommendation_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("rid-{nanos:x}-{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}
