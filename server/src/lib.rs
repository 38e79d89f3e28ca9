//! `seer-server`: the inference server a Campaign runs. It loads an artifact written by
//! `seer-trainer` (checksums verified) and serves forecasts, recommendations, ranking, similar
//! items and events over HTTP (DESIGN.md §6), the AWS runtime services' wire APIs beside them
//! ([`aws`]), with health, readiness and Prometheus metrics.
//!
//! Depends on `seer-api`, `seer-models` and `seer-storage`. It must never link Kubernetes
//! crates: `seer-api` is used without its `kube` feature.

pub mod app;
pub mod auth;
pub mod aws;
pub mod config;
pub mod errors;
pub mod event_log;
pub mod follow;
pub mod live;
pub mod live_redis;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod openapi_markdown;
pub mod routes;
pub mod serve;
pub mod shutdown;
pub mod state;
