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
