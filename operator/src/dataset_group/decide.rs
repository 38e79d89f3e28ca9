//! The DatasetGroup controller's decisions, pure. `docs/operator.md` lists them as a table;
//! each row has a test below.

use seer_api::ValidationReport;

use crate::{conditions::Summary, job_state::JobOutcome};

/// What the reconcile observed for the current generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inputs {
    /// The status already describes this generation with a final DataValid (True or False).
    pub settled: bool,
    /// A dataset URI that names no object, if any.
    pub missing_uri: Option<String>,
    /// The validation Job of this generation, if it exists.
    pub job: Option<JobOutcome>,
}

/// What to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Status already says it all.
    Nothing,
    /// A dataset is missing: stall until the spec (or the data, on the periodic re-check) changes.
    Missing { summary: Summary },
    /// Start the validation Job.
    StartJob,
    /// The Job runs.
    Wait,
    /// The Job succeeded: record the report.
    Valid(Box<ValidationReport>),
    /// The data or the schema is wrong (the message names the file and the line).
    Invalid { reason: String, message: String },
}

/// Decides the next step.
pub fn decide(i: &Inputs) -> Decision {
    if i.settled {
        return Decision::Nothing;
    }
    if let Some(uri) = &i.missing_uri {
        return Decision::Missing {
            summary: Summary::stalled(
                "DatasetNotFound",
                format!("{uri}: no objects found (expected a file or a prefix with files)"),
            ),
        };
    }
    match &i.job {
        None => Decision::StartJob,
        Some(JobOutcome::Running) => Decision::Wait,
        Some(JobOutcome::Succeeded { message }) => {
            match message.as_deref().map(serde_json::from_str::<ValidationReport>) {
                Some(Ok(report)) => Decision::Valid(Box::new(report)),
                Some(Err(e)) => Decision::Invalid {
                    reason: "ValidationReportUnreadable".into(),
                    message: format!("the validation Job succeeded but its report could not be read: {e}"),
                },
                None => Decision::Invalid {
                    reason: "ValidationReportMissing".into(),
                    message: "the validation Job succeeded without a report in its termination message".into(),
                },
            }
        }
        Some(JobOutcome::Failed { reason, message }) => Decision::Invalid {
            reason: if reason == "TrainerFailed" { "InvalidData".into() } else { reason.clone() },
            message: message.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(job: Option<JobOutcome>) -> Inputs {
        Inputs { settled: false, missing_uri: None, job }
    }

    #[test]
    fn settled_status_needs_nothing() {
        let i = Inputs { settled: true, missing_uri: Some("s3://b/x".into()), job: None };
        assert_eq!(decide(&i), Decision::Nothing);
    }

    #[test]
    fn a_missing_dataset_stalls_naming_the_uri() {
        let i = Inputs { settled: false, missing_uri: Some("s3://b/ts.csv".into()), job: None };
        assert!(
            matches!(decide(&i), Decision::Missing { summary: Summary::Stalled { ref message, .. } } if message.contains("s3://b/ts.csv"))
        );
    }

    #[test]
    fn no_job_starts_one_and_a_running_job_is_waited_for() {
        assert_eq!(decide(&inputs(None)), Decision::StartJob);
        assert_eq!(decide(&inputs(Some(JobOutcome::Running))), Decision::Wait);
    }

    #[test]
    fn success_records_the_report() {
        let msg = r#"{"digest":"abc","totalRows":10,"datasets":[{"type":"TARGET_TIME_SERIES","uri":"s3://b/t.csv","objects":1,"rows":10,"skippedRows":0}]}"#;
        let d = decide(&inputs(Some(JobOutcome::Succeeded { message: Some(msg.into()) })));
        assert!(matches!(d, Decision::Valid(ref r) if r.digest == "abc" && r.datasets[0].rows == 10));
        let d = decide(&inputs(Some(JobOutcome::Succeeded { message: None })));
        assert!(matches!(d, Decision::Invalid { ref reason, .. } if reason == "ValidationReportMissing"));
    }

    #[test]
    fn failure_is_invalid_data_with_the_trainers_words() {
        let d = decide(&inputs(Some(JobOutcome::Failed {
            reason: "TrainerFailed".into(),
            message: "s3://b/t.csv line 4: demand: not a number".into(),
        })));
        assert_eq!(
            d,
            Decision::Invalid {
                reason: "InvalidData".into(),
                message: "s3://b/t.csv line 4: demand: not a number".into()
            }
        );
    }
}
