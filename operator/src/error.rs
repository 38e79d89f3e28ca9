//! The operator's errors, split the way the controllers act on them: transient ones (an API
//! conflict, object storage unreachable) are retried with backoff while the resource shows
//! `Reconciling`; permanent ones (an invalid spec, a missing Secret) show `Stalled` with a
//! reason and wait for the spec (or the thing referenced) to change.

use thiserror::Error;

/// What went wrong while reconciling one object.
#[derive(Debug, Error)]
pub enum Error {
    /// A Kubernetes API call failed (network, conflict, server error).
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// Object storage could not be reached or answered with an error.
    #[error("object storage: {0}")]
    Storage(#[from] seer_storage::StorageError),
    /// The spec asks for something that cannot work; fixing the spec is the way out.
    #[error("{message}")]
    InvalidSpec {
        /// CamelCase reason shown on the `Stalled` condition.
        reason: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
    /// A referenced object (Secret, DatasetGroup, model) is missing or unusable.
    #[error("{message}")]
    MissingReference {
        /// CamelCase reason shown on the conditions.
        reason: &'static str,
        /// What is missing.
        message: String,
    },
    /// The object has no namespace or name (cannot happen for a namespaced resource from the API).
    #[error("object without {0}")]
    Unnamed(&'static str),
    /// Serializing a child object or a status failed.
    #[error("serializing {what}: {source}")]
    Serialize {
        /// What was being serialized.
        what: &'static str,
        /// The serde error.
        source: serde_json::Error,
    },
    /// The finalizer machinery failed (adding or removing the finalizer, or the cleanup).
    #[error("finalizer: {0}")]
    Finalizer(String),
    /// Not a failure: a step waits for something under way (a deleted resource's trainer Jobs
    /// to stop). Looked at again soon, neither counted nor logged as an error.
    #[error("{0}")]
    Waiting(String),
}

impl Error {
    /// Permanent errors are not retried on a timer: the resource shows `Stalled` and the
    /// controller waits for a change to the resource or to what it refers to.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Error::InvalidSpec { .. } | Error::Unnamed(_))
    }

    /// A short label for metrics (`seer_operator_reconcile_errors_total{reason}`).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Kube(kube::Error::Api(status)) if status.code == 409 => "Conflict",
            Error::Kube(_) => "KubernetesApi",
            Error::Storage(_) => "StorageUnavailable",
            Error::InvalidSpec { reason, .. } | Error::MissingReference { reason, .. } => reason,
            Error::Unnamed(_) => "Unnamed",
            Error::Serialize { .. } => "Serialize",
            Error::Finalizer(_) => "Finalizer",
            Error::Waiting(_) => "Waiting",
        }
    }
}

/// How a resource shows an error it cannot act past now: a permanent one `Stalled`, a
/// missing reference `Reconciling` (the thing may appear; looked at again after
/// `resync`), either with the domain condition False for the same reason. `None` for a
/// transient error, which the controller retries with backoff instead.
pub fn shown(
    e: &Error,
    domain: &'static str,
    ready: bool,
    resync: std::time::Duration,
) -> Option<(crate::conditions::Summary, crate::conditions::Observed, Option<std::time::Duration>)> {
    use crate::conditions::{Observed, Summary};
    let summary = if e.is_permanent() {
        Summary::stalled(e.reason(), e.to_string())
    } else if matches!(e, Error::MissingReference { .. }) {
        Summary::Progressing { reason: e.reason().into(), message: e.to_string(), ready }
    } else {
        return None;
    };
    let domain = Observed::new(domain, seer_api::ConditionStatus::False, e.reason(), e.to_string());
    Some((summary, domain, (!e.is_permanent()).then_some(resync)))
}

/// The result of one reconcile step.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_spec_is_permanent_and_storage_is_not() {
        let e = Error::InvalidSpec { reason: "InvalidSchedule", message: "bad cron".into() };
        assert!(e.is_permanent());
        assert_eq!(e.reason(), "InvalidSchedule");
        let e = Error::MissingReference { reason: "SecretNotFound", message: "no secret".into() };
        assert!(!e.is_permanent(), "a Secret created later must be picked up by the retry");
    }
}
