//! What every pod the operator starts has in common: the restricted Pod Security profile,
//! no service-account token unless one is asked for, and the placement and sizing a spec
//! gives (nodeSelector, tolerations, affinity, priority class, image pull secrets, extra
//! labels and annotations, resources).

use std::collections::BTreeMap;

use k8s_openapi::{
    api::core::v1::{
        Affinity, Capabilities, Container, LocalObjectReference, PodSecurityContext, PodSpec, ResourceRequirements,
        SeccompProfile, SecurityContext, Toleration,
    },
    apimachinery::pkg::api::resource::Quantity,
};
use seer_api::PodPlacement;

use crate::error::{Error, Result};

/// UID and GID the images run as (distroless `nonroot`).
pub const RUN_AS: i64 = 65532;

/// The pod-level half of the restricted profile.
pub fn pod_security_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS),
        run_as_group: Some(RUN_AS),
        fs_group: Some(RUN_AS),
        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), ..Default::default() }),
        ..Default::default()
    }
}

/// The container-level half of the restricted profile: read-only root, no privilege
/// escalation, every capability dropped.
pub fn container_security_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Default::default() }),
        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), ..Default::default() }),
        ..Default::default()
    }
}

/// Converts a spec's resources to the core/v1 type.
pub fn resources(spec: Option<&seer_api::ResourceRequirements>) -> Option<ResourceRequirements> {
    let spec = spec?;
    let convert = |m: &BTreeMap<String, seer_api::Quantity>| -> Option<BTreeMap<String, Quantity>> {
        (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), Quantity(v.0.clone()))).collect())
    };
    Some(ResourceRequirements {
        requests: convert(&spec.requests),
        limits: convert(&spec.limits),
        ..Default::default()
    })
}

/// A pod spec around one container with the restricted profile, the service account (or no
/// token at all) and the placement applied.
pub fn pod_spec(
    container: Container,
    service_account: Option<&str>,
    placement: Option<&PodPlacement>,
    restart_policy: Option<&str>,
) -> Result<PodSpec> {
    let mut container = container;
    container.security_context = Some(container_security_context());
    let mut spec = PodSpec {
        containers: vec![container],
        security_context: Some(pod_security_context()),
        automount_service_account_token: Some(service_account.is_some()),
        service_account_name: service_account.map(str::to_string),
        restart_policy: restart_policy.map(str::to_string),
        enable_service_links: Some(false),
        ..Default::default()
    };
    if let Some(p) = placement {
        apply_placement(&mut spec, p)?;
    }
    Ok(spec)
}

fn apply_placement(spec: &mut PodSpec, p: &PodPlacement) -> Result<()> {
    if !p.node_selector.is_empty() {
        spec.node_selector = Some(p.node_selector.clone());
    }
    if !p.tolerations.is_empty() {
        spec.tolerations = Some(
            p.tolerations
                .iter()
                .map(|t| Toleration {
                    key: t.key.clone(),
                    operator: t.operator.clone(),
                    value: t.value.clone(),
                    effect: t.effect.clone(),
                    toleration_seconds: t.toleration_seconds,
                })
                .collect(),
        );
    }
    if let Some(affinity) = &p.affinity {
        let value = serde_json::to_value(affinity).map_err(|source| Error::Serialize { what: "affinity", source })?;
        let affinity: Affinity = serde_json::from_value(value).map_err(|e| Error::InvalidSpec {
            reason: "InvalidAffinity",
            message: format!("placement.affinity is not a core/v1 Affinity: {e}"),
        })?;
        spec.affinity = Some(affinity);
    }
    spec.priority_class_name = p.priority_class_name.clone();
    if !p.image_pull_secrets.is_empty() {
        spec.image_pull_secrets =
            Some(p.image_pull_secrets.iter().map(|r| LocalObjectReference { name: r.name.clone() }).collect());
    }
    Ok(())
}

/// Labels for a pod template: the operator's own, then the spec's extra ones (which may not
/// override the operator's, since selectors depend on them).
pub fn pod_labels(own: &BTreeMap<String, String>, placement: Option<&PodPlacement>) -> BTreeMap<String, String> {
    let mut labels = placement.map(|p| p.labels.clone()).unwrap_or_default();
    labels.extend(own.clone());
    labels
}

/// Annotations for a pod template from the spec's placement.
pub fn pod_annotations(placement: Option<&PodPlacement>) -> Option<BTreeMap<String, String>> {
    placement.filter(|p| !p.annotations.is_empty()).map(|p| p.annotations.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restricted_profile_and_no_token_by_default() {
        let spec = pod_spec(Container { name: "c".into(), ..Default::default() }, None, None, Some("Never"))
            .expect("pod spec");
        assert_eq!(spec.automount_service_account_token, Some(false));
        let sc = spec.containers[0].security_context.as_ref().expect("security context");
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        assert_eq!(sc.allow_privilege_escalation, Some(false));
        assert_eq!(sc.capabilities.as_ref().and_then(|c| c.drop.clone()), Some(vec!["ALL".to_string()]));
        let psc = spec.security_context.as_ref().expect("pod security context");
        assert_eq!(psc.run_as_non_root, Some(true));
        assert_eq!(psc.seccomp_profile.as_ref().map(|s| s.type_.as_str()), Some("RuntimeDefault"));
    }

    #[test]
    fn placement_is_applied_and_bad_affinity_is_a_spec_error() {
        let mut p = PodPlacement::default();
        p.node_selector.insert("pool".into(), "gpu".into());
        p.tolerations.push(seer_api::Toleration {
            key: Some("dedicated".into()),
            operator: Some("Exists".into()),
            ..Default::default()
        });
        p.priority_class_name = Some("batch".into());
        p.image_pull_secrets.push(seer_api::LocalObjectReference { name: "regcred".into() });
        p.labels.insert("team".into(), "ml".into());
        p.labels.insert("app.kubernetes.io/name".into(), "hijack".into());
        let spec = pod_spec(Container::default(), Some("trainer"), Some(&p), None).expect("pod spec");
        assert_eq!(spec.node_selector.as_ref().and_then(|n| n.get("pool")).map(String::as_str), Some("gpu"));
        assert_eq!(spec.tolerations.as_ref().map(Vec::len), Some(1));
        assert_eq!(spec.priority_class_name.as_deref(), Some("batch"));
        assert_eq!(spec.service_account_name.as_deref(), Some("trainer"));
        assert_eq!(spec.automount_service_account_token, Some(true));
        let own = BTreeMap::from([("app.kubernetes.io/name".to_string(), "seer-trainer".to_string())]);
        let labels = pod_labels(&own, Some(&p));
        assert_eq!(labels.get("app.kubernetes.io/name").map(String::as_str), Some("seer-trainer"));
        assert_eq!(labels.get("team").map(String::as_str), Some("ml"));

        let bad: seer_api::schema::FreeForm =
            serde_json::from_value(serde_json::json!({"nodeAffinity": "nope"})).expect("free form");
        p.affinity = Some(bad);
        let err = pod_spec(Container::default(), None, Some(&p), None).expect_err("bad affinity");
        assert!(err.is_permanent() && err.to_string().contains("placement.affinity"), "{err}");
    }
}
