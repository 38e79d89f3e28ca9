//! The router: routes, the API key on `/v1/*`, the body limit, and the middleware that takes
//! the request's model snapshot, names its version in a header and records metrics.

use std::time::Instant;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::HeaderValue,
    middleware::{self, Next},
    response::Response,
    routing::{get, post},
};

use crate::{
    auth, errors,
    routes::{events, forecasts, health, recommendations},
    state::{AppState, Snapshot},
};

/// Header naming the model version that answered.
pub const MODEL_VERSION_HEADER: &str = "x-seer-model-version";

/// Every route, with `max_body` bytes as the request body limit.
pub fn router(state: AppState, max_body: usize) -> Router {
    let v1 = Router::new()
        .route("/v1/forecasts/{itemId}", get(forecasts::get))
        .route("/v1/forecasts/{itemId}/chart.svg", get(forecasts::chart))
        .route("/v1/recommendations", post(recommendations::recommend))
        .route("/v1/personalized-ranking", post(recommendations::rank))
        .route("/v1/similar-items/{itemId}", get(recommendations::similar))
        .route("/v1/events", post(events::put))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_api_key));
    Router::new()
        .merge(v1)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(errors::no_route)
        .method_not_allowed_fallback(errors::wrong_method)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Takes the model snapshot the handler will use, then labels the response with its version
/// and counts it by route template and status.
async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let method = request.method().as_str().to_string();
    let model = state.model.current();
    let version = model.as_ref().and_then(|m| HeaderValue::from_str(m.version()).ok());
    request.extensions_mut().insert(Snapshot(model));
    let mut response = next.run(request).await;
    if let Some(v) = version {
        response.headers_mut().insert(MODEL_VERSION_HEADER, v);
    }
    state.metrics.observe(&route, &method, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}
