//! The training controller's decisions, as pure functions of what was observed: whether to
//! start a version (and why), whether a schedule tick is skipped (and why), which versions
//! history pruning removes, and what the conditions say. `docs/operator.md` lists them as a
//! table; every row has a test below.

use chrono::{DateTime, Utc};
use seer_api::{ConditionStatus, ModelVersion, RetrainSpec, VersionPhase, VersionTrigger, conditions::types};

use crate::{
    conditions::{Observed, Summary},
    training::schedule::Due,
};

/// The DatasetGroup as the training controller needs to see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupState {
    /// No DatasetGroup of that name.
    Missing,
    /// Being validated (or not yet looked at).
    Validating,
    /// Validation failed: the group's message.
    Invalid(String),
    /// Valid, with its data digest.
    Ready,
}

/// What the reconcile observed.
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    /// Digest of everything in the spec (and the DatasetGroup's spec) that affects training.
    pub spec_digest: &'a str,
    /// The versions, oldest first, with phases brought up to date from their Jobs.
    pub versions: &'a [ModelVersion],
    pub group: GroupState,
    pub retrain: Option<&'a RetrainSpec>,
    /// Where the schedule stands (None without a schedule).
    pub due: Option<Due>,
    /// The data digest taken at a due tick, when `onlyIfDataChanged` asked for it.
    pub fresh_data_digest: Option<&'a str>,
}

/// What to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Start a new version, for this reason.
    pub start: Option<VersionTrigger>,
    /// A due tick was skipped: the reason (`StillTraining`, `MissedDeadline`, `DataUnchanged`).
    pub skipped: Option<&'static str>,
    /// The tick acted on (trained or skipped), recorded as `lastScheduleTime`.
    pub acted_tick: Option<DateTime<Utc>>,
    /// Ready / Reconciling / Stalled.
    pub summary: Summary,
    /// The `Training` condition.
    pub training: Observed,
}

fn in_progress(v: &ModelVersion) -> bool {
    matches!(v.phase, VersionPhase::Pending | VersionPhase::Training)
}

/// Decides what the training controller does next.
pub fn decide(o: &Inputs<'_>) -> Decision {
    let latest = o.versions.last();
    let latest_ok = o.versions.iter().rev().find(|v| v.phase == VersionPhase::Succeeded);
    let serving = latest_ok.is_some();
    let tick = o.due.as_ref().and_then(|d| d.tick);
    let suspended = o.retrain.is_some_and(|r| r.suspend);
    let ready_summary = || match latest_ok {
        Some(v) => Summary::ready("Trained", format!("version {} is trained", v.name)),
        None => Summary::progressing("NoVersion", "no version has been trained yet"),
    };
    let idle_training =
        |reason: &str, message: String| Observed::new(types::TRAINING, ConditionStatus::False, reason, message);
    let mut d = Decision {
        start: None,
        skipped: None,
        acted_tick: None,
        summary: ready_summary(),
        training: idle_training("Idle", String::new()),
    };

    // A version in progress: wait for it; a tick meanwhile is skipped (and recorded).
    if let Some(v) = o.versions.iter().find(|v| in_progress(v)) {
        d.summary = Summary::Progressing {
            reason: "Training".into(),
            message: format!("training version {}", v.name),
            ready: serving,
        };
        d.training =
            Observed::new(types::TRAINING, ConditionStatus::True, "Training", format!("training version {}", v.name));
        if tick.is_some() && !suspended {
            d.skipped = Some("StillTraining");
            d.acted_tick = tick;
        }
        return d;
    }

    // Nothing can train before the data is valid.
    let group_block = match &o.group {
        GroupState::Missing => Some(Summary::Progressing {
            reason: "DatasetGroupNotFound".into(),
            message: "the DatasetGroup named by datasetGroupRef does not exist (yet)".into(),
            ready: serving,
        }),
        GroupState::Validating => Some(Summary::Progressing {
            reason: "WaitingForData".into(),
            message: "the DatasetGroup is being validated".into(),
            ready: serving,
        }),
        GroupState::Invalid(message) => {
            Some(Summary::stalled("DataInvalid", format!("the DatasetGroup is not valid: {message}")))
        }
        GroupState::Ready => None,
    };
    if let Some(summary) = group_block {
        d.summary = summary;
        return d;
    }

    // A spec that no version was trained from (or the very first): train it.
    if latest.is_none_or(|v| v.spec_digest.as_deref() != Some(o.spec_digest)) {
        let trigger = if latest.is_none() { VersionTrigger::Created } else { VersionTrigger::SpecChanged };
        d.start = Some(trigger);
        d.acted_tick = if suspended { None } else { tick };
        d.summary = Summary::Progressing {
            reason: "Training".into(),
            message: "starting a new version".into(),
            ready: serving,
        };
        d.training = Observed::new(types::TRAINING, ConditionStatus::True, "Training", "starting a new version");
        return d;
    }

    // The newest version of this spec failed: a spec change (or the next tick) is needed.
    if let Some(v) = latest.filter(|v| v.phase == VersionPhase::Failed) {
        let reason = v.reason.clone().unwrap_or_else(|| "TrainingFailed".into());
        let message = format!("version {} failed: {}", v.name, v.message.clone().unwrap_or_default());
        d.training = idle_training(&reason, message.clone());
        if !(v.trigger == VersionTrigger::Schedule && serving) {
            d.summary = Summary::stalled(&reason, message);
        }
    } else if let Some(v) = latest {
        d.training = idle_training("Succeeded", format!("version {} is trained", v.name));
    }

    // A due tick.
    if let (Some(t), Some(due)) = (tick, o.due.as_ref()) {
        if suspended {
            return d;
        }
        d.acted_tick = Some(t);
        if due.missed_deadline {
            d.skipped = Some("MissedDeadline");
        } else if o.retrain.is_some_and(|r| r.only_if_data_changed)
            && o.fresh_data_digest.is_some()
            && latest_ok.and_then(|v| v.dataset_digest.as_deref()) == o.fresh_data_digest
        {
            d.skipped = Some("DataUnchanged");
        } else {
            d.start = Some(VersionTrigger::Schedule);
            d.summary = Summary::Progressing {
                reason: "Training".into(),
                message: "scheduled retraining".into(),
                ready: serving,
            };
            d.training = Observed::new(types::TRAINING, ConditionStatus::True, "Training", "scheduled retraining");
        }
    }
    d
}

/// The versions history pruning removes: the oldest beyond `limit`, never one in progress,
/// never the newest succeeded one, never one in `protected` (served by a Campaign).
pub fn prune(versions: &[ModelVersion], limit: usize, protected: &[String]) -> Vec<String> {
    let latest_ok = versions.iter().rev().find(|v| v.phase == VersionPhase::Succeeded).map(|v| v.name.clone());
    let mut excess = versions.len().saturating_sub(limit.max(1));
    let mut out = Vec::new();
    for v in versions {
        if excess == 0 {
            break;
        }
        if in_progress(v) || Some(&v.name) == latest_ok.as_ref() || protected.contains(&v.name) {
            continue;
        }
        out.push(v.name.clone());
        excess -= 1;
    }
    out
}

/// The name of the next version: one more than the highest `vN` seen.
pub fn next_version<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let max = names.into_iter().filter_map(|n| n.strip_prefix('v')?.parse::<u64>().ok()).max().unwrap_or(0);
    format!("v{}", max + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(name: &str, phase: VersionPhase, trigger: VersionTrigger, spec: &str) -> ModelVersion {
        ModelVersion {
            name: name.into(),
            phase,
            trigger,
            generation: Some(1),
            job_name: None,
            dataset_digest: Some("data1".into()),
            spec_digest: Some(spec.into()),
            algorithm: None,
            artifact_uri: None,
            start_time: None,
            completion_time: None,
            metrics: Default::default(),
            reason: (phase == VersionPhase::Failed).then(|| "OOMKilled".into()),
            message: (phase == VersionPhase::Failed).then(|| "out of memory".into()),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    fn due(missed: bool) -> Option<Due> {
        Some(Due {
            tick: Some(at("2026-11-29T03:00:00Z")),
            missed_deadline: missed,
            next: Some(at("2026-11-30T03:00:00Z")),
        })
    }

    fn observed<'a>(versions: &'a [ModelVersion], group: GroupState) -> Inputs<'a> {
        Inputs { spec_digest: "spec1", versions, group, retrain: None, due: None, fresh_data_digest: None }
    }

    use VersionPhase::*;
    use VersionTrigger::*;

    #[test]
    fn new_resource_with_valid_data_starts_v1() {
        let d = decide(&observed(&[], GroupState::Ready));
        assert_eq!(d.start, Some(Created));
        assert!(matches!(d.summary, Summary::Progressing { ready: false, .. }));
    }

    #[test]
    fn missing_or_validating_group_waits_and_invalid_group_stalls() {
        let d = decide(&observed(&[], GroupState::Missing));
        assert_eq!((d.start, d.summary.reason()), (None, "DatasetGroupNotFound"));
        let d = decide(&observed(&[], GroupState::Validating));
        assert_eq!((d.start, d.summary.reason()), (None, "WaitingForData"));
        let d = decide(&observed(&[], GroupState::Invalid("ts.csv line 3: bad".into())));
        assert!(matches!(d.summary, Summary::Stalled { ref message, .. } if message.contains("line 3")));
        assert_eq!(d.start, None);
    }

    #[test]
    fn training_in_progress_waits_and_a_tick_meanwhile_is_skipped() {
        let vs = [version("v1", Succeeded, Created, "spec1"), version("v2", Training, Schedule, "spec1")];
        let mut o = observed(&vs, GroupState::Ready);
        o.due = due(false);
        let d = decide(&o);
        assert_eq!((d.start, d.skipped), (None, Some("StillTraining")));
        assert_eq!(d.acted_tick, Some(at("2026-11-29T03:00:00Z")));
        assert!(matches!(d.summary, Summary::Progressing { ready: true, .. }), "a retrain never flips Ready");
        assert_eq!(d.training.status, ConditionStatus::True);
    }

    #[test]
    fn spec_change_starts_a_new_version() {
        let vs = [version("v1", Succeeded, Created, "old")];
        let d = decide(&observed(&vs, GroupState::Ready));
        assert_eq!(d.start, Some(SpecChanged));
    }

    #[test]
    fn succeeded_and_nothing_due_is_ready() {
        let vs = [version("v1", Succeeded, Created, "spec1")];
        let d = decide(&observed(&vs, GroupState::Ready));
        assert_eq!(d.start, None);
        assert!(matches!(d.summary, Summary::Ready { .. }));
    }

    #[test]
    fn failed_version_of_this_spec_stalls_without_retrying() {
        let vs = [version("v1", Failed, Created, "spec1")];
        let d = decide(&observed(&vs, GroupState::Ready));
        assert_eq!(d.start, None);
        assert!(matches!(d.summary, Summary::Stalled { ref reason, .. } if reason == "OOMKilled"));
    }

    #[test]
    fn failed_scheduled_retrain_keeps_ready_and_reports_on_training() {
        let vs = [version("v1", Succeeded, Created, "spec1"), version("v2", Failed, Schedule, "spec1")];
        let d = decide(&observed(&vs, GroupState::Ready));
        assert!(matches!(d.summary, Summary::Ready { .. }));
        assert_eq!((d.training.status, d.training.reason.as_str()), (ConditionStatus::False, "OOMKilled"));
    }

    #[test]
    fn due_tick_trains_unless_suspended_late_or_data_unchanged() {
        let vs = [version("v1", Succeeded, Created, "spec1")];
        let mut retrain = RetrainSpec { schedule: "0 3 * * *".into(), ..Default::default() };
        let mut o = observed(&vs, GroupState::Ready);
        o.due = due(false);
        o.retrain = Some(&retrain);
        assert_eq!(decide(&o).start, Some(Schedule));

        o.due = due(true);
        let d = decide(&o);
        assert_eq!((d.start, d.skipped), (None, Some("MissedDeadline")));

        retrain.only_if_data_changed = true;
        let mut o = observed(&vs, GroupState::Ready);
        o.retrain = Some(&retrain);
        o.due = due(false);
        o.fresh_data_digest = Some("data1");
        let d = decide(&o);
        assert_eq!((d.start, d.skipped), (None, Some("DataUnchanged")));
        o.fresh_data_digest = Some("data2");
        assert_eq!(decide(&o).start, Some(Schedule));

        retrain.suspend = true;
        let mut o = observed(&vs, GroupState::Ready);
        o.retrain = Some(&retrain);
        o.due = due(false);
        let d = decide(&o);
        assert_eq!((d.start, d.skipped, d.acted_tick), (None, None, None));
    }

    #[test]
    fn pruning_keeps_the_limit_the_newest_success_in_progress_and_served_versions() {
        let vs = [
            version("v1", Succeeded, Created, "s"),
            version("v2", Failed, Schedule, "s"),
            version("v3", Succeeded, Schedule, "s"),
            version("v4", Succeeded, Schedule, "s"),
            version("v5", Training, Schedule, "s"),
        ];
        assert_eq!(prune(&vs, 2, &["v1".into()]), vec!["v2".to_string(), "v3".to_string()]);
        assert_eq!(prune(&vs, 5, &[]), Vec::<String>::new());
        assert_eq!(prune(&vs, 1, &[]), vec!["v1".to_string(), "v2".to_string(), "v3".to_string()]);
    }

    #[test]
    fn next_version_counts_up_from_the_highest() {
        assert_eq!(next_version([]), "v1");
        assert_eq!(next_version(["v1", "v9", "v10", "latest"]), "v11");
    }
}
