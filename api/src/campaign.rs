//! Campaign: an autoscaled real-time endpoint for a Predictor or a Solution (Amazon
//! Personalize's campaign; Amazon Forecast's forecast + QueryForecast).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Condition, PodPlacement, ResourceRequirements, SecretKeySelector};

/// The model a Campaign serves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelReference {
    /// `Predictor` or `Solution`. Immutable.
    #[schemars(extend("x-kubernetes-validations" = [
        {"rule": "self == 'Predictor' || self == 'Solution'", "message": "modelRef.kind must be Predictor or Solution"},
        {"rule": "self == oldSelf", "message": "modelRef.kind is immutable; create a new Campaign instead"}
    ]))]
    #[schemars(length(max = 16))]
    pub kind: String,
    /// Name of the Predictor or Solution, in the Campaign's namespace.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Which new versions the Campaign moves to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PromotionPolicy {
    #[default]
    Latest,
    Manual,
    IfBetter,
}

/// Which new versions the Campaign moves to. Latest: every new successful version.
/// Manual: only the version named in `spec.version`. IfBetter: a new version only when its
/// metric beats the serving version's by `minImprovement`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "self.policy != 'IfBetter' || has(self.metric)", "message": "promotion policy IfBetter needs a metric", "fieldPath": ".metric"}
]))]
pub struct Promotion {
    /// Latest (default), Manual or IfBetter.
    #[serde(default)]
    pub policy: PromotionPolicy,
    /// For IfBetter: the metric compared, by its name in `metrics.json` (e.g.
    /// `AverageWeightedQuantileLoss`, lower is better; `normalized_discounted_cumulative_gain_at_10`, higher is better).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub metric: Option<String>,
    /// For IfBetter: the least relative improvement that promotes, e.g. 0.02 for 2 %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub min_improvement: Option<f64>,
}

/// Horizontal autoscaling of the server pods (an autoscaling/v2 HorizontalPodAutoscaler).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "!has(self.minReplicas) || self.minReplicas <= self.maxReplicas", "message": "minReplicas must not exceed maxReplicas", "fieldPath": ".minReplicas"}
]))]
pub struct Autoscaling {
    /// Fewest replicas; unset means derived from `minProvisionedTPS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub min_replicas: Option<i32>,
    /// Most replicas.
    #[serde(default = "default_max_replicas")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_replicas: i32,
    /// Average CPU utilisation (percent of requests) the autoscaler aims for.
    #[serde(default = "default_target_cpu", rename = "targetCPUUtilizationPercentage")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization_percentage: i32,
}

fn default_max_replicas() -> i32 {
    10
}
fn default_target_cpu() -> i32 {
    70
}

impl Default for Autoscaling {
    fn default() -> Self {
        Autoscaling {
            min_replicas: None,
            max_replicas: default_max_replicas(),
            target_cpu_utilization_percentage: default_target_cpu(),
        }
    }
}

/// How recommendations give new and less-seen items exposure (Personalize's item exploration).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Exploration {
    /// Share of exploration, 0 (none: only relevance) to 1 (most); Personalize's default is 0.3.
    #[serde(default = "default_exploration_weight")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub exploration_weight: f64,
    /// Only items created (or first seen) within this many days are explored; default 30.
    #[serde(default = "default_item_age_cutoff")]
    #[schemars(range(min = 1, max = 3650))]
    pub item_age_cut_off_days: i32,
}

fn default_exploration_weight() -> f64 {
    0.3
}
fn default_item_age_cutoff() -> i32 {
    30
}

impl Default for Exploration {
    fn default() -> Self {
        Exploration {
            exploration_weight: default_exploration_weight(),
            item_age_cut_off_days: default_item_age_cutoff(),
        }
    }
}

/// Kind of Kubernetes Service in front of the server pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
}

/// The Service in front of the server pods.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "!has(self.nodePort) || self.type != 'ClusterIP'", "message": "nodePort needs type NodePort or LoadBalancer", "fieldPath": ".nodePort"}
]))]
pub struct ServiceSpec {
    /// ClusterIP (default), NodePort or LoadBalancer.
    #[serde(default, rename = "type")]
    pub type_: ServiceType,
    /// Port the Service listens on; default 80.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
    /// Fixed node port for NodePort or LoadBalancer; unset lets Kubernetes choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub node_port: Option<i32>,
    /// Extra annotations on the Service (e.g. for a cloud load balancer).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// Who may call the endpoint. With nothing set, anyone who can reach the Service can.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessControl {
    /// Secret key holding an API key that callers send as `Authorization: Bearer <key>` or `X-Api-Key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_secret_ref: Option<SecretKeySelector>,
    /// Secret with an AWS-style access key pair that AWS SDK clients sign their requests with
    /// (Signature Version 4), so existing Personalize / Forecast client code authenticates unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_access_key_secret_ref: Option<crate::AccessKeySecretRef>,
}

/// Where the server keeps each user's recent events so every replica sees every event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventStore {
    /// Secret key holding a Redis URL (`redis://[:password@]host:port/db` or `rediss://...`).
    pub redis_url_secret_ref: SecretKeySelector,
}

/// Spec of a Campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "kube", derive(kube::CustomResource))]
#[cfg_attr(
    feature = "kube",
    kube(
        group = "seer.dev",
        version = "v1alpha1",
        kind = "Campaign",
        namespaced,
        status = "CampaignStatus",
        shortname = "scmp",
        category = "seer",
        doc = "A Campaign serves a Predictor's forecasts or a Solution's recommendations over HTTP from autoscaled pods, and rolls to new versions as its promotion policy says.",
        printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
        printcolumn(name = "Model", type_ = "string", json_path = ".spec.modelRef.name"),
        printcolumn(name = "Serving", type_ = "string", json_path = ".status.servingVersion"),
        printcolumn(name = "Replicas", type_ = "integer", json_path = ".status.readyReplicas"),
        printcolumn(name = "URL", type_ = "string", json_path = ".status.url", priority = 1),
        printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "(self.version == 'latest') == (!has(self.promotion) || self.promotion.policy != 'Manual')",
        "message": "a pinned version goes with promotion policy Manual, and Manual needs a pinned version",
        "fieldPath": ".version"
    },
    {
        "rule": "!has(self.exploration) || self.modelRef.kind == 'Solution'",
        "message": "exploration applies to Solutions only",
        "fieldPath": ".exploration"
    },
    {
        "rule": "!has(self.eventStore) || self.modelRef.kind == 'Solution'",
        "message": "eventStore applies to Solutions only",
        "fieldPath": ".eventStore"
    }
]))]
pub struct CampaignSpec {
    /// The Predictor or Solution to serve.
    pub model_ref: ModelReference,
    /// `latest` (default) or a pinned version name such as `v3` (with promotion policy Manual).
    #[serde(default = "default_version")]
    #[schemars(length(min = 1, max = 63))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self == 'latest' || self.matches('^v[1-9][0-9]*$')",
        "message": "version must be latest or a version name such as v3"
    }]))]
    pub version: String,
    /// Which new versions to move to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion: Option<Promotion>,
    /// Requests per second the Campaign must always be able to serve; sets the least
    /// number of replicas (as in Personalize). Default 1.
    #[serde(default = "default_min_tps", rename = "minProvisionedTPS")]
    #[schemars(range(min = 1, max = 100000))]
    pub min_provisioned_tps: i32,
    /// Replica bounds and the autoscaling target.
    #[serde(default)]
    pub autoscaling: Autoscaling,
    /// CPU and memory of each server pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Scheduling constraints and extra pod metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<PodPlacement>,
    /// Server image; unset means the image the operator was installed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// ServiceAccount of the server pods (e.g. for IAM roles to read artifacts). Unset means
    /// no service-account token is mounted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// The Service in front of the pods.
    #[serde(default)]
    pub service: ServiceSpec,
    /// Solutions only: exploration of new items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploration: Option<Exploration>,
    /// Who may call the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessControl>,
    /// Solutions only: a shared store of recent events for all replicas. Unset keeps events
    /// in each pod's memory (fine for one replica).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_store: Option<EventStore>,
}

fn default_version() -> String {
    "latest".into()
}
fn default_min_tps() -> i32 {
    1
}

/// Observed state of a Campaign.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling, Stalled and Serving.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// Version the pods serve now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_version: Option<String>,
    /// Version served before the last rollout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<String>,
    /// In-cluster URL of the endpoint (`http://<service>.<namespace>.svc.cluster.local:<port>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Replicas the Deployment has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Replicas ready to serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
}
