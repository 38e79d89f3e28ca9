//! `seer-trainer`: Seer's batch binary, as a library so its parts are testable. It reads the
//! resource manifests it is given, ingests the data from object storage, validates it,
//! trains, evaluates and writes a versioned artifact (manifest last).
//!
//! It also converts Amazon Forecast and Personalize resources (the AWS CLI's `describe-*`
//! output) into Seer manifests: [`import_aws`].
//!
//! Depends on `seer-api`, `seer-models` and `seer-storage`. It never talks to the Kubernetes
//! API: the operator passes it everything through arguments and files, and reads its results
//! from storage, its standard output and its termination message.

pub mod backtest_export;
pub mod connection;
pub mod covariates;
pub mod error;
pub mod featurize;
pub mod forecast_csv;
pub mod forecast_export;
pub mod frequency;
pub mod import_aws;
pub mod ingest;
pub mod manifests;
pub mod progress;
pub mod recommend_data;
pub mod shard;
pub mod sharded;
pub mod train_forecast;
pub mod train_recommend;
pub mod validate;

pub use error::TrainerError;
