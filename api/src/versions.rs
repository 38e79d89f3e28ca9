//! The trained versions of a Predictor or Solution, as recorded in their status.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a version is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VersionPhase {
    Pending,
    Training,
    Succeeded,
    Failed,
}

/// Why a version was trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VersionTrigger {
    Created,
    SpecChanged,
    Schedule,
}

/// One trained (or training) version of a model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelVersion {
    /// Version name, `v1`, `v2`, ...; also the artifact folder and part of the Job name.
    pub name: String,
    /// Pending, Training, Succeeded or Failed.
    pub phase: VersionPhase,
    /// What started it: Created, SpecChanged or Schedule.
    pub trigger: VersionTrigger,
    /// The `metadata.generation` of the spec it was trained from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Name of the trainer Job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// Digest of the DatasetGroup's data it was trained on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_digest: Option<String>,
    /// Digest of the spec fields (this resource's and its DatasetGroup's) that affect
    /// training; a spec whose digest no version has gets a new version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_digest: Option<String>,
    /// Algorithm (or, for AUTO, the ensemble) that was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// URI of the version's artifact folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_uri: Option<String>,
    /// When training started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// When training finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<String>,
    /// Headline metrics from the version's `metrics.json`, by their AWS names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
    /// For a failed version: a CamelCase reason (e.g. `OOMKilled`, `DeadlineExceeded`, `InvalidData`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a failed version: what went wrong, from the trainer's termination message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A schedule tick that did not train a version, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedTick {
    /// The scheduled time of the tick (RFC 3339).
    pub time: String,
    /// `DataUnchanged`, `StillTraining` or `MissedDeadline`.
    pub reason: String,
}

/// Observed state of a Predictor or a Solution: the versions it trained and the newest one's metrics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainedModelStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling, Stalled and Training.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<crate::Condition>,
    /// Newest version that finished training successfully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<String>,
    /// Headline metrics of the latest version: Amazon Forecast's names for a Predictor
    /// (AverageWeightedQuantileLoss, WAPE, RMSE, MASE, MAPE), Amazon Personalize's for a
    /// Solution (coverage, mean_reciprocal_rank_at_25, normalized_discounted_cumulative_gain_at_10, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub latest_metrics: BTreeMap<String, f64>,
    /// Versions, newest last, bounded by `retrain.historyLimit`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<ModelVersion>,
    /// Time of the last schedule tick acted on (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_schedule_time: Option<String>,
    /// Time of the next schedule tick (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_schedule_time: Option<String>,
    /// Schedule ticks that were skipped and why, newest last (bounded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_ticks: Vec<SkippedTick>,
}
