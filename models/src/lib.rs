//! `seer-models`: the algorithms of Seer — forecasting, recommendation, accuracy metrics,
//! backtesting and train/test splits — on in-memory data.
//!
//! Depends only on `seer-api` (for the wire types of metrics). It must never do I/O, be
//! async, or depend on Kubernetes, object storage or HTTP: the trainer feeds it data and
//! the server asks it for predictions, so it stays testable and fast to build.

pub mod forecast;
pub mod recommend;
pub mod rng;
