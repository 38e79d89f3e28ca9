//! The objects a Campaign owns, built from its spec and the chosen version: pure builders,
//! applied with server-side apply by `reconcile.rs`.

use std::collections::BTreeMap;

use k8s_openapi::{
    api::{
        apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment},
        autoscaling::v2::{
            CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
            MetricTarget, ResourceMetricSource,
        },
        core::v1::{
            Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, HTTPGetAction, PodTemplateSpec,
            Probe, SecretKeySelector, Service, ServicePort, ServiceSpec, TopologySpreadConstraint, Volume, VolumeMount,
        },
        policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec},
    },
    apimachinery::pkg::{
        apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference},
        util::intstr::IntOrString,
    },
};
use seer_api::{Campaign, S3Connection, ServiceType};

use crate::{error::Result, pod, trainer_job};

/// The port `seer-server` listens on in the pod.
pub const SERVER_PORT: i32 = 8080;
/// The Service's port when the spec names none.
pub const DEFAULT_SERVICE_PORT: i32 = 80;
/// How long a server pod keeps serving after SIGTERM with `/readyz` failing, so that every
/// kube-proxy has dropped it from the Service before it stops listening (endpoint changes
/// take seconds to reach every node on a busy cluster). Within `terminationGracePeriodSeconds`.
pub const SHUTDOWN_DELAY: &str = "10s";
/// Pod-template annotation naming the version a Deployment runs.
pub const VERSION_ANNOTATION: &str = "seer.dev/version";

/// What the builders need besides the Campaign.
pub struct Inputs<'a> {
    pub campaign: &'a Campaign,
    pub namespace: &'a str,
    pub name: &'a str,
    pub owner: OwnerReference,
    pub image: String,
    pub image_pull_policy: String,
    /// The version folder `seer-server --model` loads.
    pub model_uri: String,
    pub version: String,
    /// The artifact storage's connection (as the AWS SDK's environment).
    pub storage: Option<&'a S3Connection>,
    pub min_replicas: i32,
    /// The storage endpoint's private CA, trusted in the pods.
    pub ca_bundle: Option<pod::CaBundle<'a>>,
}

/// The selector labels (stable for the Deployment's life).
pub fn selector_labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), "seer-server".to_string()),
        ("app.kubernetes.io/instance".to_string(), name.to_string()),
        ("seer.dev/campaign".to_string(), name.to_string()),
    ])
}

fn labels(name: &str) -> BTreeMap<String, String> {
    let mut l = selector_labels(name);
    l.insert(trainer_job::MANAGED_BY.0.into(), trainer_job::MANAGED_BY.1.into());
    l
}

fn meta(i: &Inputs<'_>) -> ObjectMeta {
    ObjectMeta {
        name: Some(i.name.to_string()),
        namespace: Some(i.namespace.to_string()),
        labels: Some(labels(i.name)),
        owner_references: Some(vec![i.owner.clone()]),
        ..Default::default()
    }
}

/// The Deployment: no `replicas` (the HPA owns scaling), surge-only rollouts, spread over
/// nodes, ready on `/readyz`.
/// The server's arguments. A Solution's server logs the events it takes in
/// (`<root>/<ns>/events/<solution>/`), where the Solution's next training reads them, and
/// explores as the Campaign's `spec.exploration` says.
fn server_args(i: &Inputs<'_>) -> Vec<String> {
    let spec = &i.campaign.spec;
    let mut args = vec![
        "--model".into(),
        i.model_uri.clone(),
        "--listen".into(),
        format!("0.0.0.0:{SERVER_PORT}"),
        "--shutdown-delay".into(),
        SHUTDOWN_DELAY.into(),
    ];
    if spec.model_ref.kind == "Solution" {
        args.push("--log-events".into());
        if let Some(e) = &spec.exploration {
            args.extend([
                "--exploration-weight".into(),
                e.exploration_weight.to_string(),
                "--exploration-item-age-cutoff-days".into(),
                e.item_age_cut_off_days.to_string(),
            ]);
        }
    }
    args
}

pub fn deployment(i: &Inputs<'_>) -> Result<Deployment> {
    let spec = &i.campaign.spec;
    let secret_env = |name: &str, sel: &seer_api::SecretKeySelector| EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: sel.name.clone(),
                key: sel.key.clone(),
                optional: Some(false),
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut env = vec![EnvVar { name: "HOME".into(), value: Some("/tmp".into()), ..Default::default() }];
    if let Some(c) = i.storage {
        env.extend(trainer_job::aws_env(c));
    }
    if let Some(key) = spec.access.as_ref().and_then(|a| a.api_key_secret_ref.as_ref()) {
        env.push(secret_env("SEER_API_KEY", key));
    }
    // The key pair AWS SDK clients sign with (the server's AWS routes verify Signature
    // Version 4 with it); SEER_AWS_*, since AWS_* are the storage's credentials.
    if let Some(keys) = spec.access.as_ref().and_then(|a| a.aws_access_key_secret_ref.as_ref()) {
        for (name, key) in [
            ("SEER_AWS_ACCESS_KEY_ID", &keys.access_key_id_key),
            ("SEER_AWS_SECRET_ACCESS_KEY", &keys.secret_access_key_key),
        ] {
            env.push(secret_env(name, &seer_api::SecretKeySelector { name: keys.name.clone(), key: key.clone() }));
        }
    }
    // AWS-style requests naming another Campaign's ARN are answered ResourceNotFoundException.
    env.push(EnvVar { name: "SEER_CAMPAIGN_NAME".into(), value: Some(i.name.to_string()), ..Default::default() });
    if let Some(store) = &spec.event_store {
        env.push(secret_env("SEER_REDIS_URL", &store.redis_url_secret_ref));
    }
    let probe = |path: &str, period: i32| Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String("http".into()),
            ..Default::default()
        }),
        period_seconds: Some(period),
        failure_threshold: Some(3),
        ..Default::default()
    };
    let container = Container {
        name: "server".into(),
        image: Some(i.image.clone()),
        image_pull_policy: Some(i.image_pull_policy.clone()),
        args: Some(server_args(i)),
        ports: Some(vec![ContainerPort {
            name: Some("http".into()),
            container_port: SERVER_PORT,
            ..Default::default()
        }]),
        env: Some(env),
        readiness_probe: Some(probe("/readyz", 2)),
        liveness_probe: Some(Probe { initial_delay_seconds: Some(10), ..probe("/healthz", 10) }),
        // Loading a large model takes a while; liveness waits for it.
        startup_probe: Some(Probe { failure_threshold: Some(150), ..probe("/healthz", 2) }),
        resources: pod::resources(spec.resources.as_ref()),
        volume_mounts: Some(vec![VolumeMount { name: "tmp".into(), mount_path: "/tmp".into(), ..Default::default() }]),
        ..Default::default()
    };
    let placement = spec.placement.as_ref();
    let mut pod_spec = pod::pod_spec(container, spec.service_account_name.as_deref(), placement, None)?;
    pod_spec.volumes = Some(vec![Volume {
        name: "tmp".into(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }]);
    pod::add_ca_bundle(&mut pod_spec, i.ca_bundle);
    pod_spec.termination_grace_period_seconds = Some(45);
    pod_spec.topology_spread_constraints = Some(vec![TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "kubernetes.io/hostname".into(),
        when_unsatisfiable: "ScheduleAnyway".into(),
        label_selector: Some(LabelSelector { match_labels: Some(selector_labels(i.name)), ..Default::default() }),
        ..Default::default()
    }]);
    let mut annotations = pod::pod_annotations(placement).unwrap_or_default();
    annotations.insert(VERSION_ANNOTATION.into(), i.version.clone());
    Ok(Deployment {
        metadata: meta(i),
        spec: Some(DeploymentSpec {
            replicas: None,
            selector: LabelSelector { match_labels: Some(selector_labels(i.name)), ..Default::default() },
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_unavailable: Some(IntOrString::Int(0)),
                    max_surge: Some(IntOrString::Int(1)),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod::pod_labels(&labels(i.name), placement)),
                    annotations: Some(annotations),
                    ..Default::default()
                }),
                spec: Some(pod_spec),
            },
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// The Service in front of the pods.
pub fn service(i: &Inputs<'_>) -> Service {
    let s = &i.campaign.spec.service;
    let mut metadata = meta(i);
    if !s.annotations.is_empty() {
        metadata.annotations = Some(s.annotations.clone());
    }
    Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some(
                match s.type_ {
                    ServiceType::ClusterIP => "ClusterIP",
                    ServiceType::NodePort => "NodePort",
                    ServiceType::LoadBalancer => "LoadBalancer",
                }
                .into(),
            ),
            selector: Some(selector_labels(i.name)),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: s.port.unwrap_or(DEFAULT_SERVICE_PORT),
                target_port: Some(IntOrString::String("http".into())),
                node_port: s.node_port,
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The HorizontalPodAutoscaler (autoscaling/v2, CPU utilisation).
pub fn hpa(i: &Inputs<'_>) -> HorizontalPodAutoscaler {
    let a = &i.campaign.spec.autoscaling;
    HorizontalPodAutoscaler {
        metadata: meta(i),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: "Deployment".into(),
                name: i.name.to_string(),
            },
            min_replicas: Some(i.min_replicas),
            max_replicas: a.max_replicas.max(i.min_replicas),
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(a.target_cpu_utilization_percentage),
                        ..Default::default()
                    },
                }),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The PodDisruptionBudget: with two or more replicas a drain keeps at least one serving;
/// with one, a drain may move it (a budget of one would block drains for good).
pub fn pdb(i: &Inputs<'_>) -> PodDisruptionBudget {
    let (min_available, max_unavailable) =
        if i.min_replicas >= 2 { (Some(IntOrString::Int(1)), None) } else { (None, Some(IntOrString::Int(1))) };
    PodDisruptionBudget {
        metadata: meta(i),
        spec: Some(PodDisruptionBudgetSpec {
            selector: Some(LabelSelector { match_labels: Some(selector_labels(i.name)), ..Default::default() }),
            min_available,
            max_unavailable,
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".into()),
        }),
        ..Default::default()
    }
}

/// Where clients reach the Campaign inside the cluster.
pub fn url(namespace: &str, name: &str, campaign: &Campaign) -> String {
    let port = campaign.spec.service.port.unwrap_or(DEFAULT_SERVICE_PORT);
    format!("http://{name}.{namespace}.svc.cluster.local:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(yaml: &str) -> Campaign {
        serde_yaml::from_str(yaml).expect("campaign")
    }

    fn inputs(c: &Campaign, min: i32) -> Inputs<'_> {
        Inputs {
            campaign: c,
            namespace: "ns",
            name: "shop",
            owner: OwnerReference { name: "shop".into(), ..Default::default() },
            image: "server:1".into(),
            image_pull_policy: "IfNotPresent".into(),
            model_uri: "s3://b/ns/solution/s/v2".into(),
            version: "v2".into(),
            storage: None,
            min_replicas: min,
            ca_bundle: None,
        }
    }

    const BASE: &str = "apiVersion: seer.dev/v1alpha1\nkind: Campaign\nmetadata: {name: shop, namespace: ns}\nspec:\n  modelRef: {kind: Solution, name: s}\n";

    #[test]
    fn deployment_leaves_replicas_to_the_hpa_and_never_goes_below_capacity() {
        let c = campaign(BASE);
        let d = deployment(&inputs(&c, 1)).expect("deployment");
        let spec = d.spec.expect("spec");
        assert_eq!(spec.replicas, None);
        let ru = spec.strategy.and_then(|s| s.rolling_update).expect("rolling update");
        assert_eq!(ru.max_unavailable, Some(IntOrString::Int(0)));
        let tpl = spec.template;
        let annotations = tpl.metadata.and_then(|m| m.annotations).unwrap_or_default();
        assert_eq!(annotations.get(VERSION_ANNOTATION).map(String::as_str), Some("v2"));
        let pod = tpl.spec.expect("pod");
        let c0 = &pod.containers[0];
        assert!(c0.args.clone().unwrap_or_default().contains(&"s3://b/ns/solution/s/v2".to_string()));
        let readiness = c0.readiness_probe.as_ref().and_then(|p| p.http_get.as_ref()).and_then(|h| h.path.clone());
        assert_eq!(readiness.as_deref(), Some("/readyz"));
        assert!(pod.topology_spread_constraints.is_some());
        assert_eq!(pod.automount_service_account_token, Some(false));
    }

    #[test]
    fn api_key_and_redis_come_from_secrets() {
        let c = campaign(&format!(
            "{BASE}  access: {{apiKeySecretRef: {{name: keys, key: api}}, awsAccessKeySecretRef: {{name: aws}}}}\n  eventStore: {{redisUrlSecretRef: {{name: redis, key: url}}}}\n"
        ));
        let d = deployment(&inputs(&c, 1)).expect("deployment");
        let env = d
            .spec
            .and_then(|s| s.template.spec)
            .map(|p| p.containers[0].env.clone().unwrap_or_default())
            .unwrap_or_default();
        for (name, secret) in [
            ("SEER_API_KEY", "keys"),
            ("SEER_REDIS_URL", "redis"),
            ("SEER_AWS_ACCESS_KEY_ID", "aws"),
            ("SEER_AWS_SECRET_ACCESS_KEY", "aws"),
        ] {
            let e = env.iter().find(|e| e.name == name).expect(name);
            assert!(e.value.is_none());
            assert_eq!(
                e.value_from.as_ref().and_then(|v| v.secret_key_ref.as_ref()).map(|s| s.name.as_str()),
                Some(secret)
            );
        }
    }

    #[test]
    fn the_server_knows_its_campaign_name() {
        let c = campaign(BASE);
        let d = deployment(&inputs(&c, 1)).expect("deployment");
        let env = d.spec.and_then(|s| s.template.spec).and_then(|p| p.containers[0].env.clone()).unwrap_or_default();
        let name = env.iter().find(|e| e.name == "SEER_CAMPAIGN_NAME").and_then(|e| e.value.as_deref());
        assert_eq!(name, Some("shop"));
    }

    #[test]
    fn a_solution_server_logs_events_and_explores_as_the_campaign_says() {
        let args = |c: &Campaign| server_args(&inputs(c, 1));
        let plain = args(&campaign(BASE));
        assert!(plain.contains(&"--log-events".to_string()), "{plain:?}");
        assert!(!plain.iter().any(|a| a.starts_with("--exploration")), "{plain:?}");
        let c = campaign(&format!("{BASE}  exploration: {{explorationWeight: 0.1, itemAgeCutOffDays: 7}}\n"));
        let a = args(&c).join(" ");
        assert!(a.ends_with("--log-events --exploration-weight 0.1 --exploration-item-age-cutoff-days 7"), "{a}");
        let predictor = campaign(&BASE.replace("kind: Solution", "kind: Predictor"));
        assert!(!args(&predictor).contains(&"--log-events".to_string()));
    }

    #[test]
    fn service_hpa_and_pdb() {
        let c = campaign(&format!(
            "{BASE}  service: {{type: NodePort, port: 8080, nodePort: 30080}}\n  autoscaling: {{maxReplicas: 4}}\n"
        ));
        let i = inputs(&c, 2);
        let s = service(&i).spec.expect("service");
        assert_eq!(s.type_.as_deref(), Some("NodePort"));
        assert_eq!(s.ports.as_ref().map(|p| (p[0].port, p[0].node_port)), Some((8080, Some(30080))));
        let h = hpa(&i).spec.expect("hpa");
        assert_eq!((h.min_replicas, h.max_replicas), (Some(2), 4));
        let p = pdb(&i).spec.expect("pdb");
        assert_eq!(p.min_available, Some(IntOrString::Int(1)));
        let p1 = pdb(&inputs(&c, 1)).spec.expect("pdb");
        assert_eq!((p1.min_available, p1.max_unavailable), (None, Some(IntOrString::Int(1))));
        assert_eq!(url("ns", "shop", &c), "http://shop.ns.svc.cluster.local:8080");
    }
}
