//! What became of a trainer Job, read the way a person would read `kubectl describe`:
//! the Job's own conditions, then its pods' container states for the termination message
//! (the trainer's one-line reason) or, when a pod was killed without one, the kill's reason
//! (OOMKilled, Evicted, DeadlineExceeded).

use k8s_openapi::api::{batch::v1::Job, core::v1::Pod};

/// The outcome of a Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    /// Not finished (pending, running or retrying).
    Running,
    /// Finished successfully; the last pod's termination message, if any.
    Succeeded { message: Option<String> },
    /// Finished in failure: a CamelCase reason and a message for people.
    Failed { reason: String, message: String },
}

/// The outcome of `job`, with `pods` the pods it made (any order).
pub fn outcome(job: &Job, pods: &[Pod]) -> JobOutcome {
    let conditions = job.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
    let holds = |type_: &str| conditions.iter().find(|c| c.type_ == type_ && c.status == "True");
    if holds("Complete").is_some() || holds("SuccessCriteriaMet").is_some() {
        return JobOutcome::Succeeded { message: latest_termination(pods).and_then(|t| t.message) };
    }
    let Some(failed) = holds("Failed").or_else(|| holds("FailureTarget")) else {
        return JobOutcome::Running;
    };
    let job_reason = failed.reason.clone().unwrap_or_else(|| "JobFailed".into());
    match latest_termination(pods) {
        Some(Termination { message: Some(m), reason, .. }) if !m.trim().is_empty() => JobOutcome::Failed {
            reason: if reason.as_deref() == Some("OOMKilled") { "OOMKilled".into() } else { "TrainerFailed".into() },
            message: m.trim().to_string(),
        },
        Some(Termination { reason: Some(r), exit_code, .. }) if r == "OOMKilled" => JobOutcome::Failed {
            reason: r,
            message: format!(
                "the trainer was killed for using more memory than its limit (exit code {exit_code}); raise spec.trainer.resources.limits.memory"
            ),
        },
        Some(Termination { pod_reason: Some(r), pod_message, .. }) => JobOutcome::Failed {
            message: pod_message.unwrap_or_else(|| format!("the trainer pod was stopped: {r}")),
            reason: r,
        },
        _ => JobOutcome::Failed {
            message: failed.message.clone().unwrap_or_else(|| format!("the Job failed ({job_reason})")),
            reason: job_reason,
        },
    }
}

/// The end of the trainer container in the newest pod that has one.
#[derive(Clone, Debug, Default)]
struct Termination {
    reason: Option<String>,
    message: Option<String>,
    exit_code: i32,
    pod_reason: Option<String>,
    pod_message: Option<String>,
}

fn latest_termination(pods: &[Pod]) -> Option<Termination> {
    let mut sorted: Vec<&Pod> = pods.iter().collect();
    sorted.sort_by_key(|p| p.metadata.creation_timestamp.clone());
    sorted.iter().rev().find_map(|pod| {
        let status = pod.status.as_ref()?;
        let terminated = status
            .container_statuses
            .as_ref()
            .and_then(|cs| cs.iter().find_map(|c| c.state.as_ref().and_then(|s| s.terminated.clone())));
        let pod_reason = status.reason.clone();
        if terminated.is_none() && pod_reason.is_none() {
            return None;
        }
        Some(Termination {
            reason: terminated.as_ref().and_then(|t| t.reason.clone()),
            message: terminated.as_ref().and_then(|t| t.message.clone()),
            exit_code: terminated.as_ref().map(|t| t.exit_code).unwrap_or_default(),
            pod_reason,
            pod_message: status.message.clone(),
        })
    })
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Jobs and pods in the states the Job controller and kubelet leave them in.
    use k8s_openapi::api::{
        batch::v1::{Job, JobCondition, JobStatus},
        core::v1::{ContainerState, ContainerStateTerminated, ContainerStatus, Pod, PodStatus},
    };

    pub fn job(condition: Option<(&str, &str)>) -> Job {
        Job {
            status: Some(JobStatus {
                conditions: condition.map(|(type_, reason)| {
                    vec![JobCondition {
                        type_: type_.into(),
                        status: "True".into(),
                        reason: Some(reason.into()),
                        message: Some(format!("Job has reached {reason}")),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub fn pod(reason: Option<&str>, message: Option<&str>, pod_reason: Option<&str>) -> Pod {
        Pod {
            status: Some(PodStatus {
                reason: pod_reason.map(str::to_string),
                container_statuses: (reason.is_some() || message.is_some()).then(|| {
                    vec![ContainerStatus {
                        name: "trainer".into(),
                        state: Some(ContainerState {
                            terminated: Some(ContainerStateTerminated {
                                exit_code: 1,
                                reason: reason.map(str::to_string),
                                message: message.map(str::to_string),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fixtures::*, *};

    #[test]
    fn running_until_a_condition_says_otherwise() {
        assert_eq!(outcome(&job(None), &[]), JobOutcome::Running);
    }

    #[test]
    fn success_carries_the_termination_message() {
        let out =
            outcome(&job(Some(("Complete", "Completed"))), &[pod(Some("Completed"), Some("{\"digest\":\"x\"}"), None)]);
        assert_eq!(out, JobOutcome::Succeeded { message: Some("{\"digest\":\"x\"}".into()) });
    }

    #[test]
    fn failure_takes_the_trainers_message() {
        let out = outcome(
            &job(Some(("Failed", "BackoffLimitExceeded"))),
            &[pod(Some("Error"), Some("s3://b/ts.csv line 7: demand is not a number"), None)],
        );
        assert_eq!(
            out,
            JobOutcome::Failed {
                reason: "TrainerFailed".into(),
                message: "s3://b/ts.csv line 7: demand is not a number".into()
            }
        );
    }

    #[test]
    fn a_kill_without_message_gets_its_reason() {
        let oom = outcome(&job(Some(("Failed", "BackoffLimitExceeded"))), &[pod(Some("OOMKilled"), None, None)]);
        assert!(
            matches!(oom, JobOutcome::Failed { ref reason, ref message } if reason == "OOMKilled" && message.contains("memory"))
        );
        let evicted = outcome(&job(Some(("Failed", "BackoffLimitExceeded"))), &[pod(None, None, Some("Evicted"))]);
        assert!(matches!(evicted, JobOutcome::Failed { ref reason, .. } if reason == "Evicted"));
        let deadline = outcome(&job(Some(("Failed", "DeadlineExceeded"))), &[]);
        assert!(matches!(deadline, JobOutcome::Failed { ref reason, .. } if reason == "DeadlineExceeded"));
    }
}
