//! Status conditions, shaped like `metav1.Condition` so that kstatus, Argo CD and Flux
//! read them without help, and the names of the condition types and reasons Seer uses.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Whether a condition holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

/// One observation of the resource's state, as in `metav1.Condition`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Type of the condition: `Ready` (the aggregate), `Reconciling` and `Stalled`
    /// (kstatus), or a domain condition (`DataValid`, `Training`, `Serving`).
    #[serde(rename = "type")]
    pub type_: String,
    /// Status of the condition: True, False or Unknown.
    pub status: ConditionStatus,
    /// A CamelCase word for why the condition last changed, for machines and alerts.
    pub reason: String,
    /// A sentence for people that says what happened and, for failures, what to do.
    #[serde(default)]
    pub message: String,
    /// When the status last changed (RFC 3339).
    #[schemars(extend("format" = "date-time"))]
    pub last_transition_time: String,
    /// The `metadata.generation` this condition was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Names of the condition types.
pub mod types {
    /// The aggregate: the resource does what its spec asks.
    pub const READY: &str = "Ready";
    /// kstatus: the operator is working toward the spec.
    pub const RECONCILING: &str = "Reconciling";
    /// kstatus: the operator cannot make progress until something changes.
    pub const STALLED: &str = "Stalled";
    /// DatasetGroup: every dataset is present and matches its schema.
    pub const DATA_VALID: &str = "DataValid";
    /// Predictor/Solution: a version is being trained.
    pub const TRAINING: &str = "Training";
    /// Campaign: the endpoint answers with the chosen version.
    pub const SERVING: &str = "Serving";
}
