//! How the pods Seer starts (trainer Jobs, Campaign servers) are sized and placed.
//! These mirror the core/v1 fields of the same names so they read as Kubernetes users
//! expect, without making this crate depend on Kubernetes types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{LocalObjectReference, schema::FreeForm};

/// A Kubernetes resource quantity such as `2`, `500m` or `4Gi`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
#[schemars(schema_with = "crate::schema::quantity")]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // YAML authors write `cpu: 2` as often as `cpu: "2"`: take both, as Kubernetes does.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(i64),
            Float(f64),
        }
        Ok(Quantity(match Raw::deserialize(deserializer)? {
            Raw::Text(s) => s,
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => f.to_string(),
        }))
    }
}

/// Compute resources of a container, as in core/v1 `ResourceRequirements`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequirements {
    /// Minimum resources the scheduler reserves, e.g. `{cpu: 500m, memory: 1Gi}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, Quantity>,
    /// Maximum resources the container may use; going over the memory limit kills it (OOMKilled).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Quantity>,
}

/// A toleration, as in core/v1 `Toleration`: lets pods run on nodes with matching taints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key the toleration applies to; empty with operator `Exists` matches every taint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `Exists` or `Equal` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Exists", "Equal"]))]
    pub operator: Option<String>,
    /// Taint value the toleration matches, with operator `Equal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Taint effect to match: `NoSchedule`, `PreferNoSchedule` or `NoExecute`; empty matches all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["NoSchedule", "PreferNoSchedule", "NoExecute"]))]
    pub effect: Option<String>,
    /// For `NoExecute`: how long the pod stays bound after the taint appears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// Where and how pods are scheduled, and what extra metadata they carry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodPlacement {
    /// Node labels a node must have to run the pods.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations for node taints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub tolerations: Vec<Toleration>,
    /// Pod affinity and anti-affinity, exactly as core/v1 `Affinity`; passed to the pods as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<FreeForm>,
    /// PriorityClass of the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Secrets for pulling the images from a private registry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    /// Extra labels on the pods (the operator's own labels win on conflict).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Extra annotations on the pods, e.g. for a service mesh or a log shipper.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// How the trainer Jobs of a Predictor or Solution run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainerSpec {
    /// Trainer image; unset means the image the operator was installed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// CPU and memory for the trainer container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Scheduling constraints and extra pod metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<PodPlacement>,
    /// ServiceAccount for the trainer pods, e.g. one bound to a cloud IAM role (IRSA, workload
    /// identity). Unset means no service-account token is mounted at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Seconds a training Job may run before it is stopped and the version fails.
    #[serde(default = "default_active_deadline_seconds")]
    #[schemars(range(min = 60))]
    pub active_deadline_seconds: i64,
    /// Retries of a failed trainer pod before the version is marked failed.
    #[serde(default = "default_backoff_limit")]
    #[schemars(range(min = 0, max = 10))]
    pub backoff_limit: i32,
    /// Predictors only: split training over this many pods (an Indexed Job, each pod the
    /// series whose key hashes to its index), then join them in one merge pod. For data too
    /// large for one pod's time or memory; the result is the same as unsharded training,
    /// except that the global model (BOOSTED_TREES, alone or in AUTO) learns from each
    /// shard's series only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub shards: Option<i32>,
}

impl Default for TrainerSpec {
    fn default() -> Self {
        TrainerSpec {
            image: None,
            resources: None,
            placement: None,
            service_account_name: None,
            active_deadline_seconds: default_active_deadline_seconds(),
            backoff_limit: default_backoff_limit(),
            shards: None,
        }
    }
}

fn default_active_deadline_seconds() -> i64 {
    6 * 3600
}
fn default_backoff_limit() -> i32 {
    1
}
