//! What every pod the operator starts has in common: the restricted Pod Security profile,
//! no service-account token unless one is asked for, and the placement and sizing a spec
//! gives (nodeSelector, tolerations, affinity, priority class, image pull secrets, extra
//! labels and annotations, resources), and the storage's private CA bundle when there is one.

use std::collections::BTreeMap;

use k8s_openapi::{
    api::core::v1::{
        Affinity, Capabilities, Container, EnvVar, KeyToPath, LocalObjectReference, PodSecurityContext, PodSpec,
        ResourceRequirements, SeccompProfile, SecretVolumeSource, SecurityContext, Toleration, Volume, VolumeMount,
    },
    apimachinery::pkg::api::resource::Quantity,
};
use seer_api::PodPlacement;

use crate::config::OperatorConfig;
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

/// Where the storage's CA bundle is mounted in trainer and server pods.
pub const CA_BUNDLE_DIR: &str = "/etc/seer/storage-ca";

/// A private CA bundle for the storage endpoint: a Secret in the pod's namespace and its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaBundle<'a> {
    pub secret: &'a str,
    pub key: &'a str,
}

impl<'a> CaBundle<'a> {
    /// The bundle the operator was configured with (`--storage-ca-secret`), if any.
    pub fn from_config(config: &'a OperatorConfig) -> Option<Self> {
        config.storage_ca_secret.as_deref().map(|secret| CaBundle { secret, key: &config.storage_ca_key })
    }
}

/// Mounts the bundle (read-only) into every container and points `SSL_CERT_FILE` (what the
/// Rust AWS SDK's TLS roots come from) and `AWS_CA_BUNDLE` (other AWS SDKs and the CLI) at it.
/// The Secret must exist in the pod's namespace: the pod waits for it otherwise, which its
/// events say.
pub fn add_ca_bundle(spec: &mut PodSpec, ca: Option<CaBundle<'_>>) {
    let Some(ca) = ca else { return };
    spec.volumes.get_or_insert_with(Vec::new).push(Volume {
        name: "storage-ca".into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(ca.secret.to_string()),
            items: Some(vec![KeyToPath { key: ca.key.to_string(), path: ca.key.to_string(), mode: None }]),
            optional: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    });
    let file = format!("{CA_BUNDLE_DIR}/{}", ca.key);
    for c in &mut spec.containers {
        c.volume_mounts.get_or_insert_with(Vec::new).push(VolumeMount {
            name: "storage-ca".into(),
            mount_path: CA_BUNDLE_DIR.into(),
            read_only: Some(true),
            ..Default::default()
        });
        let env = c.env.get_or_insert_with(Vec::new);
        for name in ["SSL_CERT_FILE", "AWS_CA_BUNDLE"] {
            env.push(EnvVar { name: name.into(), value: Some(file.clone()), ..Default::default() });
        }
    }
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
    fn ca_bundle_is_mounted_and_trusted_in_every_container() {
        let mut spec = pod_spec(Container { name: "c".into(), ..Default::default() }, None, None, None).expect("spec");
        add_ca_bundle(&mut spec, None);
        assert!(spec.volumes.is_none(), "no bundle, no volume");
        add_ca_bundle(&mut spec, Some(CaBundle { secret: "my-ca", key: "bundle.pem" }));
        let volume = &spec.volumes.as_ref().expect("volumes")[0];
        let secret = volume.secret.as_ref().expect("a Secret volume");
        assert_eq!(secret.secret_name.as_deref(), Some("my-ca"));
        assert_eq!(secret.items.as_ref().expect("items")[0].key, "bundle.pem");
        let c = &spec.containers[0];
        let mount = &c.volume_mounts.as_ref().expect("mounts")[0];
        assert_eq!((mount.mount_path.as_str(), mount.read_only), (CA_BUNDLE_DIR, Some(true)));
        let env: Vec<(&str, Option<&str>)> =
            c.env.as_ref().expect("env").iter().map(|e| (e.name.as_str(), e.value.as_deref())).collect();
        assert_eq!(
            env,
            [
                ("SSL_CERT_FILE", Some("/etc/seer/storage-ca/bundle.pem")),
                ("AWS_CA_BUNDLE", Some("/etc/seer/storage-ca/bundle.pem"))
            ]
        );
    }

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
