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
}

impl Context {
    pub fn new(client: Client, config: OperatorConfig, metrics: Metrics) -> Arc<Context> {
        let reporter = Reporter { controller: FIELD_MANAGER.into(), instance: config.identity.clone() };
        let recorder = Recorder::new(client.clone(), reporter);
        Arc::new(Context { client, config, metrics, recorder })
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
