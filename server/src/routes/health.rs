//! `/healthz` (the process answers), `/readyz` (a model is loaded and no stop signal came),
//! `/metrics` (Prometheus text format).

use axum::{
    Json,
    extract::{Extension, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{errors::ApiError, state::AppState, state::Snapshot};

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<AppState>, Extension(Snapshot(model)): Extension<Snapshot>) -> Response {
    if state.is_stopping() {
        return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ShuttingDown", "the server is shutting down")
            .into_response();
    }
    match model {
        Some(m) => Json(json!({"status": "ready", "model": m.resource(), "version": m.version()})).into_response(),
        None => ApiError::not_ready().into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render() {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal", format!("cannot render metrics: {e}"))
            .into_response(),
    }
}
