//! `seer-api`: the shared vocabulary of Seer.
//!
//! What it holds:
//! - the `spec` and `status` of the four custom resources (group `seer.dev`, version
//!   `v1alpha1`): [`DatasetGroupSpec`], [`PredictorSpec`], [`SolutionSpec`], [`CampaignSpec`];
//! - the wire types every binary shares: the artifact manifest ([`artifact`]), the
//!   `metrics.json` documents ([`metrics`]) and the HTTP bodies of the inference server
//!   ([`http`]).
//!
//! What it must never depend on: any I/O, async runtime, the algorithms (`seer-models`) or
//! storage (`seer-storage`). The kube `CustomResource` wrappers (`DatasetGroup`, `Predictor`,
//! `Solution`, `Campaign`) only exist with the `kube` feature, which the operator and the
//! trainer enable; without it this crate links no Kubernetes crate, so the server and the
//! models stay free of them.
//!
//! Every field's doc comment is its description in the generated CRD, which is what
//! `kubectl explain` prints: write them for a user, not for a Rust reader.

// kube's `printcolumn(...)` attributes repeat `type_ = "string"` by design; clippy reads
// them as duplicated attributes.
#![allow(clippy::duplicated_attributes)]

pub mod artifact;
pub mod campaign;
pub mod conditions;
pub mod dataset_group;
pub mod http;
pub mod metrics;
pub mod predictor;
pub mod references;
pub mod retrain;
pub mod schema;
pub mod solution;
pub mod storage;
pub mod unix_time;
pub mod versions;
pub mod workload;

pub use campaign::*;
pub use conditions::{Condition, ConditionStatus};
pub use dataset_group::*;
pub use predictor::*;
pub use references::*;
pub use retrain::RetrainSpec;
pub use solution::*;
pub use storage::*;
pub use versions::*;
pub use workload::*;

/// The API group of every Seer resource.
pub const GROUP: &str = "seer.dev";
/// The served and stored version of every Seer resource.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` as it appears in manifests.
pub const API_VERSION: &str = "seer.dev/v1alpha1";
