//! What every request handler shares.

use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicBool, Ordering},
};

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{
    aws::AwsSettings,
    errors::ApiError,
    event_log::EventLog,
    live::LiveStore,
    metrics::Metrics,
    model::{Model, ModelHandle},
};

/// Shared state: the model handle, live events, metrics, access control, readiness.
#[derive(Debug)]
pub struct Shared {
    pub model: ModelHandle,
    pub live: LiveStore,
    pub metrics: Metrics,
    /// The key `/v1/*` requires, if any.
    pub api_key: Option<String>,
    /// Access keys and the Campaign's name, for the AWS-style routes.
    pub aws: AwsSettings,
    /// Where taken-in events are appended (`--log-events`, set once the model says where).
    pub event_log: OnceLock<Arc<EventLog>>,
    stopping: AtomicBool,
}

/// The state as handlers get it.
pub type AppState = Arc<Shared>;

impl Shared {
    pub fn new(live: LiveStore, metrics: Metrics, api_key: Option<String>) -> Self {
        Self {
            model: ModelHandle::default(),
            live,
            metrics,
            api_key,
            aws: AwsSettings::default(),
            event_log: OnceLock::new(),
            stopping: AtomicBool::new(false),
        }
    }

    /// With `aws` for the AWS-style routes (by default: no access keys, any Campaign name).
    pub fn with_aws(mut self, aws: AwsSettings) -> Self {
        self.aws = aws;
        self
    }

    /// From now on `/readyz` fails (SIGTERM came).
    pub fn start_stopping(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether SIGTERM came.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// The model version this request is answered with, taken once per request by the router's
/// middleware so the handler and the `x-seer-model-version` header always agree, even when a
/// new version is swapped in while the request runs.
#[derive(Clone, Debug)]
pub struct Snapshot(pub Option<Arc<Model>>);

/// A handler argument: the request's model, or 503 while none is loaded.
pub struct Current(pub Arc<Model>);

impl<S: Send + Sync> FromRequestParts<S> for Current {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Snapshot>() {
            Some(Snapshot(Some(model))) => Ok(Self(model.clone())),
            _ => Err(ApiError::not_ready()),
        }
    }
}
