//! Scheduled retraining, shared by Predictor and Solution.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// When to train new versions on a schedule. A scheduled retrain never flips `Ready`:
/// the previous version keeps serving until the new one is complete.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetrainSpec {
    /// Cron schedule in the five-field format of a Kubernetes CronJob (`0 3 * * 1` is
    /// Mondays at 03:00), or a macro such as `@daily` / `@weekly`.
    #[schemars(length(min = 1, max = 128))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.startsWith('@') || self.split(' ').filter(f, f != '').size() == 5",
        "message": "schedule must be a five-field cron expression or a macro such as @daily"
    }]))]
    pub schedule: String,
    /// IANA time zone the schedule is read in, e.g. `Europe/Berlin`. Default: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub time_zone: Option<String>,
    /// Pause scheduled retraining without removing the schedule.
    #[serde(default)]
    pub suspend: bool,
    /// Skip a tick when the DatasetGroup's data digest equals the one the latest version trained on.
    #[serde(default)]
    pub only_if_data_changed: bool,
    /// A tick missed by more than this many seconds (operator down, say) is skipped, not replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub starting_deadline_seconds: Option<i64>,
    /// How many versions (and their artifacts) to keep; older ones are removed, never one a Campaign serves.
    #[serde(default = "default_history_limit")]
    #[schemars(range(min = 1, max = 100))]
    pub history_limit: i32,
}

fn default_history_limit() -> i32 {
    5
}
