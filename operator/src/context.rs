//! The one value every reconcile gets: the API client, settings, metrics and the event
//! recorder, plus the two writes all controllers share (status and events).

use std::sync::Arc;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::events::{Event, EventType, Recorder, Reporter},
};
use seer_api::{Condition, ConditionStatus, conditions::types};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    conditions,
    config::OperatorConfig,
    error::{Error, Result},
    metrics::Metrics,
};

/// The field manager of everything the operator writes with server-side apply.
pub const FIELD_MANAGER: &str = "seer-operator";

/// Shared by every reconcile.
pub struct Context {
    pub client: Client,
    pub config: OperatorConfig,
    pub metrics: Metrics,
    pub recorder: Recorder,
    /// Consecutive failed reconciles per object (`kind/namespace/name`), for backoff.
    failures: Failures,
}

impl Context {
    pub fn new(client: Client, config: OperatorConfig, metrics: Metrics) -> Arc<Context> {
        let reporter = Reporter { controller: FIELD_MANAGER.into(), instance: config.identity.clone() };
        let recorder = Recorder::new(client.clone(), reporter);
        Arc::new(Context { client, config, metrics, recorder, failures: Default::default() })
    }

    /// Server-side apply of a status (`{"status": ...}` on `/status`), forced: the operator
    /// owns every status field of its kinds.
    pub async fn apply_status<K>(&self, obj: &K, status: &impl Serialize) -> Result<()>
    where
        K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        let (namespace, name) = namespace_and_name(obj)?;
        let api: Api<K> = Api::namespaced(self.client.clone(), &namespace);
        let patch = serde_json::json!({
            "apiVersion": K::api_version(&()),
            "kind": K::kind(&()),
            "status": status,
        });
        api.patch_status(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&patch)).await?;
        Ok(())
    }

    /// The delay before the next retry of an object whose reconcile failed again.
    pub fn backoff(&self, key: String) -> std::time::Duration {
        self.failures.next_delay(key)
    }

    /// Forgets an object's failures after a reconcile that worked.
    pub fn succeeded(&self, key: &str) {
        self.failures.reset(key);
    }

    /// Shows a transient failure on the resource (`Reconciling` with the error's reason,
    /// `Ready` kept as it was) before the controller retries with backoff. Best effort: a
    /// failure to write it is only logged, the retry comes anyway.
    pub async fn report_transient<K>(&self, obj: &K, old: &[Condition], error: &Error)
    where
        K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        let ready = conditions::is_true(old, types::READY);
        let summary = conditions::Summary::Progressing {
            reason: error.reason().into(),
            message: format!("{error}; retrying"),
            ready,
        };
        let merged = conditions::merge(old, conditions::from_summary(&summary), obj.meta().generation, &now_rfc3339());
        if merged.as_slice() == old {
            return;
        }
        let Ok((namespace, name)) = namespace_and_name(obj) else { return };
        let api: Api<K> = Api::namespaced(self.client.clone(), &namespace);
        let patch = serde_json::json!({"status": {"conditions": merged}});
        if let Err(e) = api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
            eprintln!("seer-operator: cannot report {error} on {namespace}/{name}: {e}");
        }
        self.publish_transitions(obj, old, &merged).await;
    }

    /// One event per condition that changed status or reason (`Ready` and the domain
    /// condition; `Reconciling`/`Stalled` mirror them). Failing to publish is logged, never
    /// an error of the reconcile.
    pub async fn publish_transitions<K>(&self, obj: &K, old: &[Condition], new: &[Condition])
    where
        K: Resource<DynamicType = ()>,
    {
        let reference: ObjectReference = obj.object_ref(&());
        for c in conditions::transitions(old, new) {
            if c.type_ == types::RECONCILING || c.type_ == types::STALLED {
                continue;
            }
            let warning = (c.status == ConditionStatus::False && c.type_ != types::READY)
                || (c.type_ == types::READY && conditions::is_true(new, types::STALLED));
            let event = Event {
                type_: if warning { EventType::Warning } else { EventType::Normal },
                reason: c.reason.clone(),
                note: Some(conditions::truncate(&format!("{} {:?}: {}", c.type_, c.status, c.message), 1000)),
                action: format!("Set{}", c.type_),
                secondary: None,
            };
            self.publish(&reference, event).await;
        }
    }

    /// Publishes one event, logging a failure.
    pub async fn publish(&self, reference: &ObjectReference, event: Event) {
        if let Err(e) = self.recorder.publish(&event, reference).await {
            eprintln!(
                "seer-operator: cannot publish event {} for {}/{}: {e}",
                event.reason,
                reference.namespace.as_deref().unwrap_or(""),
                reference.name.as_deref().unwrap_or("")
            );
        }
    }
}

/// The namespace and name of a namespaced object.
pub fn namespace_and_name<K: Resource>(obj: &K) -> Result<(String, String)> {
    let namespace = obj.meta().namespace.clone().ok_or(Error::Unnamed("namespace"))?;
    let name = obj.meta().name.clone().ok_or(Error::Unnamed("name"))?;
    Ok((namespace, name))
}

/// The current time as the API's RFC 3339 (seconds, `Z`).
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The generation of an object (`metadata.generation`).
pub fn generation<K: ResourceExt>(obj: &K) -> Option<i64> {
    obj.meta().generation
}

/// Consecutive failures per object: retries after 2 s, 4 s, 8 s, ... up to 5 minutes.
#[derive(Default)]
pub struct Failures(std::sync::Mutex<std::collections::HashMap<String, u32>>);

impl Failures {
    /// Counts one more failure of `key` and returns how long to wait before retrying.
    pub fn next_delay(&self, key: String) -> std::time::Duration {
        let mut failures = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = failures.entry(key).or_default();
        *n = n.saturating_add(1);
        std::time::Duration::from_secs((1u64 << (*n).min(9)).min(300))
    }

    /// Forgets `key`'s failures.
    pub fn reset(&self, key: &str) {
        let mut failures = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Failures;

    #[test]
    fn backoff_doubles_per_object_up_to_five_minutes_and_resets_on_success() {
        let f = Failures::default();
        let delays: Vec<Duration> = (0..10).map(|_| f.next_delay("predictor/ns/a".into())).collect();
        assert_eq!(delays[..4], [2, 4, 8, 16].map(Duration::from_secs));
        assert_eq!(delays[9], Duration::from_secs(300));
        assert_eq!(f.next_delay("predictor/ns/b".into()), Duration::from_secs(2), "per object");
        f.reset("predictor/ns/a");
        assert_eq!(f.next_delay("predictor/ns/a".into()), Duration::from_secs(2));
    }
}
