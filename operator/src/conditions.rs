//! Building `status.conditions`: the aggregate `Ready`, kstatus' `Reconciling` and
//! `Stalled`, and a domain condition, from one summary of where the resource stands.
//! `lastTransitionTime` moves only when a condition's status changes, and the conditions
//! that changed status or reason are the transitions events are published for.

use seer_api::{Condition, ConditionStatus, conditions::types};

/// Where a resource stands, as one of the three kstatus states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Summary {
    /// It does what its spec asks.
    Ready { reason: String, message: String },
    /// The operator is working toward the spec (training, validating, rolling out, waiting on
    /// a dependency). `ready` keeps `Ready` True while something already serves, e.g. during
    /// a scheduled retrain, which never flips `Ready`.
    Progressing { reason: String, message: String, ready: bool },
    /// The operator cannot make progress until something changes (the spec, a Secret).
    Stalled { reason: String, message: String },
}

impl Summary {
    pub fn ready(reason: &str, message: impl Into<String>) -> Summary {
        Summary::Ready { reason: reason.into(), message: message.into() }
    }
    pub fn progressing(reason: &str, message: impl Into<String>) -> Summary {
        Summary::Progressing { reason: reason.into(), message: message.into(), ready: false }
    }
    pub fn stalled(reason: &str, message: impl Into<String>) -> Summary {
        Summary::Stalled { reason: reason.into(), message: message.into() }
    }
    /// The reason of whichever state this is.
    pub fn reason(&self) -> &str {
        match self {
            Summary::Ready { reason, .. } | Summary::Progressing { reason, .. } | Summary::Stalled { reason, .. } => {
                reason
            }
        }
    }
}

/// One condition as the reconciler sees it now (before transition times are merged in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub type_: &'static str,
    pub status: ConditionStatus,
    pub reason: String,
    pub message: String,
}

impl Observed {
    pub fn new(type_: &'static str, status: ConditionStatus, reason: &str, message: impl Into<String>) -> Observed {
        Observed { type_, status, reason: reason.into(), message: message.into() }
    }
}

/// `Ready`, `Reconciling` and `Stalled` for a summary.
pub fn from_summary(summary: &Summary) -> Vec<Observed> {
    use ConditionStatus::{False, True};
    let (ready, reconciling, stalled, reason, message) = match summary {
        Summary::Ready { reason, message } => (True, False, False, reason, message),
        Summary::Progressing { reason, message, ready } => {
            (if *ready { True } else { False }, True, False, reason, message)
        }
        Summary::Stalled { reason, message } => (False, False, True, reason, message),
    };
    // A False kstatus condition carries no news: one fixed reason, so that only real
    // changes count as transitions.
    let aside = |status: ConditionStatus| -> (&str, String) {
        if status == True { (reason.as_str(), message.clone()) } else { ("AsExpected", String::new()) }
    };
    let (reconciling_reason, reconciling_message) = aside(reconciling);
    let (stalled_reason, stalled_message) = aside(stalled);
    vec![
        Observed::new(types::READY, ready, reason, message.clone()),
        Observed::new(types::RECONCILING, reconciling, reconciling_reason, reconciling_message),
        Observed::new(types::STALLED, stalled, stalled_reason, stalled_message),
    ]
}

/// The new condition list: every observed condition, with `lastTransitionTime` kept from
/// the old list when the status did not change; conditions of other types are kept as they were.
pub fn merge(old: &[Condition], observed: Vec<Observed>, generation: Option<i64>, now: &str) -> Vec<Condition> {
    let mut out: Vec<Condition> =
        old.iter().filter(|c| !observed.iter().any(|o| o.type_ == c.type_)).cloned().collect();
    for o in observed {
        let previous = old.iter().find(|c| c.type_ == o.type_);
        let last_transition_time = match previous {
            Some(p) if p.status == o.status => p.last_transition_time.clone(),
            _ => now.to_string(),
        };
        out.push(Condition {
            type_: o.type_.to_string(),
            status: o.status,
            reason: o.reason,
            message: truncate(&o.message, 32 * 1024),
            last_transition_time,
            observed_generation: generation,
        });
    }
    out.sort_by_key(|c| order(&c.type_));
    out
}

/// Conditions whose status or reason differ from the old list: what events are published for.
pub fn transitions<'a>(old: &[Condition], new: &'a [Condition]) -> Vec<&'a Condition> {
    new.iter()
        .filter(|n| match old.iter().find(|o| o.type_ == n.type_) {
            Some(o) => o.status != n.status || o.reason != n.reason,
            None => true,
        })
        .collect()
}

/// The condition of a type, if present.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether a condition of this type is True.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find(conditions, type_).is_some_and(|c| c.status == ConditionStatus::True)
}

fn order(type_: &str) -> u8 {
    match type_ {
        types::READY => 0,
        types::RECONCILING => 1,
        types::STALLED => 2,
        _ => 3,
    }
}

/// At most `max` bytes, cut at a character boundary (the API server limits message sizes).
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_time_moves_only_when_status_changes() {
        let first = merge(&[], from_summary(&Summary::progressing("Training", "v1")), Some(1), "t1");
        assert_eq!(first.len(), 3);
        assert!(first.iter().all(|c| c.last_transition_time == "t1" && c.observed_generation == Some(1)));
        // Same statuses, new reason and message: times stay.
        let second = merge(&first, from_summary(&Summary::progressing("Training", "still v1")), Some(1), "t2");
        assert!(second.iter().all(|c| c.last_transition_time == "t1"));
        assert!(transitions(&first, &second).is_empty());
        let ready = merge(&second, from_summary(&Summary::ready("Trained", "v1")), Some(1), "t3");
        let ready_cond = find(&ready, types::READY).expect("Ready");
        assert_eq!((ready_cond.status, ready_cond.last_transition_time.as_str()), (ConditionStatus::True, "t3"));
        let changed: Vec<&str> = transitions(&second, &ready).iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(changed, vec!["Ready", "Reconciling"]);
    }

    #[test]
    fn other_conditions_are_kept_and_order_is_stable() {
        let old = merge(&[], vec![Observed::new("DataValid", ConditionStatus::True, "Valid", "ok")], None, "t0");
        let new = merge(&old, from_summary(&Summary::stalled("SecretNotFound", "no secret s")), Some(2), "t1");
        let types: Vec<&str> = new.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types, vec!["Ready", "Reconciling", "Stalled", "DataValid"]);
        assert_eq!(find(&new, "Stalled").map(|c| c.message.as_str()), Some("no secret s"));
    }

    #[test]
    fn a_retrain_keeps_ready_true() {
        let s = Summary::Progressing { reason: "Training".into(), message: "v2".into(), ready: true };
        let c = merge(&[], from_summary(&s), Some(1), "t");
        assert!(is_true(&c, types::READY) && is_true(&c, types::RECONCILING));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("ééé", 3), "é…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
