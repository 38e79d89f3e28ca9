//! Which version a Campaign serves (promotion), and whether its rollout is done: pure
//! functions. `docs/operator.md` lists the rows; each has a test below.

use seer_api::{ModelVersion, PromotionPolicy, VersionPhase};

use crate::conditions::Summary;

/// What the reconcile observed.
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    pub policy: PromotionPolicy,
    /// `spec.version`: `latest` or a pinned name.
    pub pinned: &'a str,
    /// The promotion metric and the relative improvement it needs (IfBetter).
    pub metric: Option<&'a str>,
    pub min_improvement: f64,
    /// The model's versions, oldest first (None: the model does not exist).
    pub versions: Option<&'a [ModelVersion]>,
    /// What serves now (`status.servingVersion`).
    pub serving: Option<&'a str>,
}

/// The outcome: a version to run, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    Serve { version: String, note: Option<String> },
    Wait(Summary),
}

/// Whether a larger value of the metric is better (recommendation metrics) or a smaller one
/// (forecast errors and losses).
pub fn higher_is_better(metric: &str) -> bool {
    let m = metric.to_ascii_lowercase();
    ["coverage", "precision", "recall", "reciprocal_rank", "discounted_cumulative_gain", "hit_rate"]
        .iter()
        .any(|k| m.contains(k))
}

/// Chooses the version to serve.
pub fn choose(i: &Inputs<'_>) -> Choice {
    let ready = i.serving.is_some();
    let Some(versions) = i.versions else {
        return Choice::Wait(Summary::Progressing {
            reason: "ModelNotFound".into(),
            message: "the Predictor or Solution named by modelRef does not exist (yet)".into(),
            ready,
        });
    };
    let latest_ok = versions.iter().rev().find(|v| v.phase == VersionPhase::Succeeded);
    match i.policy {
        PromotionPolicy::Manual => match versions.iter().find(|v| v.name == i.pinned) {
            Some(v) if v.phase == VersionPhase::Succeeded => Choice::Serve { version: v.name.clone(), note: None },
            Some(v) if v.phase == VersionPhase::Failed => Choice::Wait(Summary::stalled(
                "VersionFailed",
                format!("the pinned version {} failed to train", v.name),
            )),
            Some(v) => Choice::Wait(Summary::Progressing {
                reason: "WaitingForVersion".into(),
                message: format!("the pinned version {} is still training", v.name),
                ready,
            }),
            None => Choice::Wait(Summary::stalled(
                "VersionNotFound",
                format!("the model has no version {} (it may have been pruned by historyLimit)", i.pinned),
            )),
        },
        PromotionPolicy::Latest | PromotionPolicy::IfBetter => {
            let Some(latest) = latest_ok else {
                return Choice::Wait(Summary::Progressing {
                    reason: "WaitingForModel".into(),
                    message: "the model has no trained version yet".into(),
                    ready,
                });
            };
            if i.policy == PromotionPolicy::Latest {
                return Choice::Serve { version: latest.name.clone(), note: None };
            }
            let current =
                i.serving.and_then(|s| versions.iter().find(|v| v.name == s && v.phase == VersionPhase::Succeeded));
            let Some(current) = current else {
                return Choice::Serve { version: latest.name.clone(), note: None };
            };
            if current.name == latest.name {
                return Choice::Serve { version: current.name.clone(), note: None };
            }
            let metric = i.metric.unwrap_or("AverageWeightedQuantileLoss");
            match (current.metrics.get(metric), latest.metrics.get(metric)) {
                (Some(&old), Some(&new)) => {
                    let gain = if higher_is_better(metric) { new - old } else { old - new };
                    let relative = if old.abs() > f64::EPSILON { gain / old.abs() } else { gain };
                    if gain > 0.0 && relative >= i.min_improvement {
                        Choice::Serve {
                            version: latest.name.clone(),
                            note: Some(format!("{metric} {old:.4} → {new:.4} ({:+.1}%)", 100.0 * relative)),
                        }
                    } else {
                        Choice::Serve {
                            version: current.name.clone(),
                            note: Some(format!(
                                "{} not promoted: {metric} {new:.4} against {old:.4} needs {:.1}% improvement",
                                latest.name,
                                100.0 * i.min_improvement
                            )),
                        }
                    }
                }
                _ => Choice::Serve {
                    version: current.name.clone(),
                    note: Some(format!("{} not promoted: {metric} is missing from its metrics", latest.name)),
                },
            }
        }
    }
}

/// Replicas the HPA may not go below: the spec's floor, or what `minProvisionedTPS` needs
/// at `tps_per_replica`, whichever is higher, within `maxReplicas`.
pub fn min_replicas(spec_min: Option<i32>, min_tps: i32, tps_per_replica: i32, max: i32) -> i32 {
    let for_tps = (min_tps.max(1) + tps_per_replica.max(1) - 1) / tps_per_replica.max(1);
    spec_min.unwrap_or(1).max(for_tps).clamp(1, max.max(1))
}

/// A Deployment's rollout as the Campaign sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rollout {
    /// The controller has seen the newest template.
    pub observed: bool,
    pub replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    /// The version the Deployment's template runs.
    pub template_version: Option<String>,
}

impl Rollout {
    /// Every replica runs the newest template and at least one is available.
    pub fn complete(&self) -> bool {
        self.observed && self.updated >= self.replicas && self.available >= 1 && self.available >= self.updated
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use seer_api::VersionTrigger;

    use super::*;

    fn v(name: &str, phase: VersionPhase, wql: Option<f64>) -> ModelVersion {
        ModelVersion {
            name: name.into(),
            phase,
            trigger: VersionTrigger::Created,
            generation: None,
            job_name: None,
            dataset_digest: None,
            spec_digest: None,
            algorithm: None,
            artifact_uri: Some(format!("s3://b/ns/predictor/p/{name}")),
            start_time: None,
            completion_time: None,
            metrics: wql.map(|x| BTreeMap::from([("AverageWeightedQuantileLoss".to_string(), x)])).unwrap_or_default(),
            reason: None,
            message: None,
        }
    }

    fn inputs<'a>(
        policy: PromotionPolicy,
        versions: Option<&'a [ModelVersion]>,
        serving: Option<&'a str>,
    ) -> Inputs<'a> {
        Inputs { policy, pinned: "latest", metric: None, min_improvement: 0.0, versions, serving }
    }

    use PromotionPolicy::*;
    use VersionPhase::*;

    #[test]
    fn missing_model_and_no_version_wait() {
        assert!(matches!(choose(&inputs(Latest, None, None)), Choice::Wait(ref s) if s.reason() == "ModelNotFound"));
        let vs = [v("v1", Training, None)];
        assert!(
            matches!(choose(&inputs(Latest, Some(&vs), None)), Choice::Wait(ref s) if s.reason() == "WaitingForModel")
        );
    }

    #[test]
    fn latest_follows_the_newest_success() {
        let vs = [v("v1", Succeeded, Some(0.2)), v("v2", Succeeded, Some(0.3)), v("v3", Failed, None)];
        assert_eq!(choose(&inputs(Latest, Some(&vs), Some("v1"))), Choice::Serve { version: "v2".into(), note: None });
    }

    #[test]
    fn manual_stays_pinned_and_stalls_on_a_missing_or_failed_pin() {
        let vs = [v("v1", Succeeded, Some(0.2)), v("v2", Succeeded, Some(0.1)), v("v3", Failed, None)];
        let mut i = inputs(Manual, Some(&vs), Some("v1"));
        i.pinned = "v1";
        assert_eq!(choose(&i), Choice::Serve { version: "v1".into(), note: None });
        i.pinned = "v9";
        assert!(matches!(choose(&i), Choice::Wait(Summary::Stalled { ref reason, .. }) if reason == "VersionNotFound"));
        i.pinned = "v3";
        assert!(matches!(choose(&i), Choice::Wait(Summary::Stalled { ref reason, .. }) if reason == "VersionFailed"));
    }

    #[test]
    fn if_better_promotes_only_past_the_margin() {
        let vs = [v("v1", Succeeded, Some(0.20)), v("v2", Succeeded, Some(0.19))];
        let mut i = inputs(IfBetter, Some(&vs), Some("v1"));
        i.min_improvement = 0.10;
        assert!(matches!(choose(&i), Choice::Serve { ref version, note: Some(_) } if version == "v1"), "5% < 10%");
        i.min_improvement = 0.04;
        assert!(matches!(choose(&i), Choice::Serve { ref version, .. } if version == "v2"));
        // Nothing serving yet: the newest version goes out.
        i.serving = None;
        assert!(matches!(choose(&i), Choice::Serve { ref version, .. } if version == "v2"));
        // A worse version is never promoted; a missing metric neither.
        let worse = [v("v1", Succeeded, Some(0.20)), v("v2", Succeeded, Some(0.25))];
        let i = inputs(IfBetter, Some(&worse), Some("v1"));
        assert!(matches!(choose(&i), Choice::Serve { ref version, .. } if version == "v1"));
        let unknown = [v("v1", Succeeded, Some(0.20)), v("v2", Succeeded, None)];
        let i = inputs(IfBetter, Some(&unknown), Some("v1"));
        assert!(matches!(choose(&i), Choice::Serve { ref version, .. } if version == "v1"));
    }

    #[test]
    fn if_better_knows_which_way_is_better() {
        assert!(higher_is_better("normalized_discounted_cumulative_gain_at_10"));
        assert!(!higher_is_better("WAPE"));
        let mut a = v("v1", Succeeded, None);
        a.metrics.insert("precision_at_10".into(), 0.10);
        let mut b = v("v2", Succeeded, None);
        b.metrics.insert("precision_at_10".into(), 0.12);
        let vs = [a, b];
        let mut i = inputs(IfBetter, Some(&vs), Some("v1"));
        i.metric = Some("precision_at_10");
        assert!(matches!(choose(&i), Choice::Serve { ref version, .. } if version == "v2"));
    }

    #[test]
    fn min_replicas_from_tps() {
        assert_eq!(min_replicas(None, 1, 500, 10), 1);
        assert_eq!(min_replicas(None, 1200, 500, 10), 3);
        assert_eq!(min_replicas(Some(4), 100, 500, 10), 4);
        assert_eq!(min_replicas(None, 100_000, 500, 10), 10, "never above maxReplicas");
    }

    #[test]
    fn rollout_is_complete_when_every_replica_is_new_and_one_is_available() {
        let mut r = Rollout {
            observed: true,
            replicas: 2,
            updated: 2,
            ready: 2,
            available: 2,
            template_version: Some("v2".into()),
        };
        assert!(r.complete());
        r.updated = 1;
        assert!(!r.complete());
        r = Rollout { observed: false, ..r };
        assert!(!r.complete());
    }
}
