//! Every error a client can see: a status and `{"error": {"code", "message"}}`, plus the JSON
//! body extractor that turns malformed, mistyped or oversized bodies into such errors.

use axum::{
    Json,
    extract::{
        FromRequest, Request,
        rejection::{PathRejection, QueryRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Response},
};
use seer_api::http::{ErrorBody, ErrorResponse};
use serde::de::DeserializeOwned;

/// An error answered to the client.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// 400: the request is understood but a value is wrong.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidInput", message)
    }

    /// 404: an item (or route) that does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", message)
    }

    /// 400: a route for the other kind of model (a forecast asked of a Solution, ...).
    pub fn wrong_model(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "WrongModelKind", message)
    }

    /// 503: no model loaded yet.
    pub fn not_ready() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "NotReady", "the model is still loading")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorResponse { error: ErrorBody { code: self.code.to_string(), message: self.message } };
        (self.status, Json(body)).into_response()
    }
}

/// A JSON request body. Unlike `axum::Json` it does not insist on a `Content-Type` (clients
/// and `curl -d` often omit it); the size limit is the router's `DefaultBodyLimit`.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", "the request body is over the limit")
            } else {
                ApiError::invalid(format!("cannot read the request body: {}", rejection.body_text()))
            }
        })?;
        // serde also reads a struct from a JSON array of its fields in order (`[null, null]`);
        // the API's bodies are objects, and the document says so.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::invalid("the request body must be a JSON object"));
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(value)) => Ok(Self(value)),
            // axum names the field (`numResults: invalid type: ...`) through serde_path_to_error.
            Err(rejection) => Err(ApiError::new(StatusCode::BAD_REQUEST, "InvalidInput", rejection.body_text())),
        }
    }
}

/// A path parameter axum could not read (percent-encoded bytes that are not UTF-8, ...).
impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::invalid(format!("path: {}", rejection.body_text()))
    }
}

/// A query string axum could not read.
impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::invalid(format!("query: {}", rejection.body_text()))
    }
}

/// Fallback for paths no route serves.
pub async fn no_route() -> ApiError {
    ApiError::not_found(
        "no such route; see /v1/forecasts, /v1/recommendations, /v1/personalized-ranking, /v1/similar-items, /v1/events",
    )
}

/// Fallback for a known path with another method.
pub async fn wrong_method() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "this route does not take that method")
}
