//! The Jobs that run `seer-trainer` (validation of a DatasetGroup, training of a version):
//! the resources it needs as YAML in a ConfigMap of the same name, the data's credentials
//! Secret mounted as files, the artifact storage's settings as the AWS SDK's environment,
//! the restricted pod profile, a deadline and a backoff limit. Both are owned by the
//! resource, so deleting it deletes them.

use std::collections::BTreeMap;

use k8s_openapi::{
    api::{
        batch::v1::{Job, JobSpec},
        core::v1::{
            ConfigMap, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource, PodTemplateSpec,
            SecretKeySelector, SecretVolumeSource, Volume, VolumeMount,
        },
    },
    apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference},
};
use kube::{Resource, ResourceExt};
use seer_api::{PodPlacement, S3Connection};

use crate::{error::Result, pod};

/// Labels every object the operator makes carries.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "seer-operator");
/// The label naming the resource a Job works for: `seer.dev/<kind>=<name>`.
pub fn owner_label(kind_lower: &str) -> String {
    format!("seer.dev/{kind_lower}")
}

/// Whether `job` belongs to `obj` itself, not to an earlier object of the same name (deleted
/// and created again) whose Jobs the garbage collector has yet to remove.
pub fn owned_by<K: Resource>(job: &Job, obj: &K) -> bool {
    let Some(uid) = obj.meta().uid.as_deref() else { return false };
    job.owner_references().iter().any(|o| o.uid == uid)
}

/// Annotations on a training Job, read back after an operator restart.
pub mod annotations {
    pub const VERSION: &str = "seer.dev/version";
    pub const GENERATION: &str = "seer.dev/generation";
    pub const SPEC_DIGEST: &str = "seer.dev/spec-digest";
    pub const TRIGGER: &str = "seer.dev/trigger";
    pub const DATASET_DIGEST: &str = "seer.dev/dataset-digest";
    /// On a sharded training Job: how many shards; on its merge Job as well.
    pub const SHARDS: &str = "seer.dev/shards";
    /// `merge` on the Job that joins a sharded version's shards.
    pub const ROLE: &str = "seer.dev/role";
}

/// Where the ConfigMap with the resources is mounted in the trainer pod.
pub const MANIFESTS_DIR: &str = "/etc/seer/manifests";
/// The file with the resources' YAML in that folder.
pub const MANIFESTS_FILE: &str = "resources.yaml";
/// Where the data's credentials Secret is mounted (the trainer's `SEER_CREDENTIALS_DIR`).
pub const CREDENTIALS_DIR: &str = "/var/run/seer/credentials";
/// Where the Secret of a Predictor's `spec.export.destination` is mounted (the trainer's
/// `SEER_EXPORT_CREDENTIALS_DIR`).
pub const EXPORT_CREDENTIALS_DIR: &str = "/var/run/seer/export-credentials";

/// Everything that differs between trainer Jobs.
pub struct TrainerJob<'a> {
    pub name: String,
    pub namespace: String,
    pub owner: OwnerReference,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub image: String,
    pub image_pull_policy: String,
    /// `seer-trainer` arguments (the manifests' `-f` is added).
    pub args: Vec<String>,
    /// The resources as YAML documents.
    pub manifests_yaml: String,
    /// The DatasetGroup's connection (its credentials Secret is mounted as files).
    pub data_connection: Option<&'a S3Connection>,
    /// The artifact storage's connection (as `AWS_*` environment).
    pub artifact_connection: Option<&'a S3Connection>,
    /// The connection of `spec.export`'s destination (its credentials Secret is mounted as
    /// files).
    pub export_connection: Option<&'a S3Connection>,
    pub resources: Option<&'a seer_api::ResourceRequirements>,
    pub placement: Option<&'a PodPlacement>,
    pub service_account: Option<&'a str>,
    pub active_deadline_seconds: i64,
    pub backoff_limit: i32,
    /// Split over this many pods (an Indexed Job, `--shard $(JOB_COMPLETION_INDEX)/n`).
    pub shards: Option<i32>,
    /// The storage endpoint's private CA, trusted in the pod.
    pub ca_bundle: Option<pod::CaBundle<'a>>,
}

impl TrainerJob<'_> {
    fn meta(&self) -> ObjectMeta {
        ObjectMeta {
            name: Some(self.name.clone()),
            namespace: Some(self.namespace.clone()),
            labels: Some(self.labels.clone()),
            annotations: (!self.annotations.is_empty()).then(|| self.annotations.clone()),
            owner_references: Some(vec![self.owner.clone()]),
            ..Default::default()
        }
    }

    /// The ConfigMap holding the resources the trainer reads.
    pub fn config_map(&self) -> ConfigMap {
        ConfigMap {
            metadata: self.meta(),
            data: Some(BTreeMap::from([(MANIFESTS_FILE.to_string(), self.manifests_yaml.clone())])),
            ..Default::default()
        }
    }

    /// The Job.
    pub fn job(&self) -> Result<Job> {
        let mut env = vec![EnvVar { name: "HOME".into(), value: Some("/tmp".into()), ..Default::default() }];
        if let Some(c) = self.artifact_connection {
            env.extend(aws_env(c));
        }
        let mut mounts = vec![
            VolumeMount {
                name: "manifests".into(),
                mount_path: MANIFESTS_DIR.into(),
                read_only: Some(true),
                ..Default::default()
            },
            VolumeMount { name: "tmp".into(), mount_path: "/tmp".into(), ..Default::default() },
        ];
        let mut volumes = vec![
            Volume {
                name: "manifests".into(),
                config_map: Some(ConfigMapVolumeSource { name: self.name.clone(), ..Default::default() }),
                ..Default::default()
            },
            Volume { name: "tmp".into(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Default::default() },
        ];
        // Credentials Secrets as files, each in its own folder, which an env var names: the
        // data's (`SEER_CREDENTIALS_DIR`) and `spec.export`'s (`SEER_EXPORT_CREDENTIALS_DIR`).
        let secrets = [
            (self.data_connection, "credentials", CREDENTIALS_DIR, "SEER_CREDENTIALS_DIR"),
            (self.export_connection, "export-credentials", EXPORT_CREDENTIALS_DIR, "SEER_EXPORT_CREDENTIALS_DIR"),
        ];
        for (connection, volume, dir, variable) in secrets {
            let Some(secret) = connection.and_then(|c| c.credentials_secret_ref.as_ref()) else { continue };
            mounts.push(VolumeMount {
                name: volume.into(),
                mount_path: dir.into(),
                read_only: Some(true),
                ..Default::default()
            });
            volumes.push(Volume {
                name: volume.into(),
                secret: Some(SecretVolumeSource { secret_name: Some(secret.name.clone()), ..Default::default() }),
                ..Default::default()
            });
            env.push(EnvVar { name: variable.into(), value: Some(dir.into()), ..Default::default() });
        }
        let mut args = self.args.clone();
        let shards = self.shards.filter(|n| *n > 1);
        if let Some(n) = shards {
            // Kubernetes sets JOB_COMPLETION_INDEX in an Indexed Job's pods and expands it here.
            args.extend(["--shard".to_string(), format!("$(JOB_COMPLETION_INDEX)/{n}")]);
        }
        args.extend(["-f".to_string(), format!("{MANIFESTS_DIR}/{MANIFESTS_FILE}")]);
        let container = Container {
            name: "trainer".into(),
            image: Some(self.image.clone()),
            image_pull_policy: Some(self.image_pull_policy.clone()),
            args: Some(args),
            env: Some(env),
            volume_mounts: Some(mounts),
            resources: pod::resources(self.resources),
            // The trainer writes its one-line reason there; the logs' tail if it could not.
            termination_message_policy: Some("FallbackToLogsOnError".into()),
            ..Default::default()
        };
        let mut spec = pod::pod_spec(container, self.service_account, self.placement, Some("Never"))?;
        spec.volumes = Some(volumes);
        pod::add_ca_bundle(&mut spec, self.ca_bundle);
        let template = PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(pod::pod_labels(&self.labels, self.placement)),
                annotations: pod::pod_annotations(self.placement),
                ..Default::default()
            }),
            spec: Some(spec),
        };
        Ok(Job {
            metadata: self.meta(),
            spec: Some(JobSpec {
                backoff_limit: Some(self.backoff_limit),
                active_deadline_seconds: Some(self.active_deadline_seconds),
                completion_mode: shards.map(|_| "Indexed".to_string()),
                completions: shards,
                parallelism: shards,
                template,
                ..Default::default()
            }),
            ..Default::default()
        })
    }
}

/// The Job that joins a sharded version: the shards Job's pod (image, storage, manifests,
/// placement) running `seer-trainer merge` once.
pub fn merge_job(shards_job: &Job, name: &str, version: &str, shards: i32, root: &str) -> Job {
    let mut job = Job { metadata: shards_job.metadata.clone(), spec: shards_job.spec.clone(), status: None };
    let meta = &mut job.metadata;
    meta.name = Some(name.to_string());
    meta.uid = None;
    meta.resource_version = None;
    meta.creation_timestamp = None;
    meta.managed_fields = None;
    meta.generation = None;
    let mut annotations = meta.annotations.clone().unwrap_or_default();
    annotations.insert(annotations::ROLE.into(), "merge".into());
    meta.annotations = Some(annotations);
    if let Some(spec) = job.spec.as_mut() {
        spec.completion_mode = None;
        spec.completions = None;
        spec.parallelism = None;
        // The controller-set selector and labels of the shards Job's pods are not ours to copy.
        spec.selector = None;
        spec.manual_selector = None;
        if let Some(labels) = spec.template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.retain(|k, _| !k.starts_with("batch.kubernetes.io/") && k != "controller-uid" && k != "job-name");
        }
        if let Some(pod) = spec.template.spec.as_mut() {
            for c in &mut pod.containers {
                c.args = Some(vec![
                    "merge".into(),
                    "--version".into(),
                    version.into(),
                    "--shards".into(),
                    shards.to_string(),
                    "--output".into(),
                    root.into(),
                    "-f".into(),
                    format!("{MANIFESTS_DIR}/{MANIFESTS_FILE}"),
                ]);
            }
        }
    }
    job
}

/// The AWS SDK's environment for a connection; credentials by reference to the Secret.
pub fn aws_env(c: &S3Connection) -> Vec<EnvVar> {
    let mut env = Vec::new();
    let plain = |name: &str, value: String| EnvVar { name: name.into(), value: Some(value), ..Default::default() };
    if let Some(endpoint) = &c.endpoint {
        env.push(plain("AWS_ENDPOINT_URL", endpoint.clone()));
    }
    env.push(plain("AWS_REGION", c.region.clone().unwrap_or_else(|| "us-east-1".into())));
    if let Some(secret) = &c.credentials_secret_ref {
        let from = |name: &str, key: &str| EnvVar {
            name: name.into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret.name.clone(),
                    key: key.into(),
                    optional: Some(false),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        env.push(from("AWS_ACCESS_KEY_ID", &secret.access_key_id_key));
        env.push(from("AWS_SECRET_ACCESS_KEY", &secret.secret_access_key_key));
        if let Some(token) = &secret.session_token_key {
            env.push(from("AWS_SESSION_TOKEN", token));
        }
    }
    env
}

/// A Kubernetes name from parts, at most 63 characters (a label value limit, since the Job
/// name becomes its pods' `job-name` label): cut and suffixed with a hash when too long.
pub fn child_name(parts: &[&str]) -> String {
    let full = parts.join("-");
    if full.len() <= 63 {
        return full;
    }
    let hash = seer_storage::digest::sha256_hex(full.as_bytes());
    let mut cut = full[..54.min(full.len())].trim_end_matches('-').to_string();
    while !full.is_char_boundary(cut.len()) {
        cut.pop();
    }
    format!("{cut}-{}", &hash[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_with_a_hash_and_stay_distinct() {
        assert_eq!(child_name(&["demand", "predictor", "v3"]), "demand-predictor-v3");
        let a = child_name(&[&"x".repeat(60), "predictor", "v1"]);
        let b = child_name(&[&"x".repeat(60), "predictor", "v2"]);
        assert!(a.len() <= 63 && b.len() <= 63);
        assert_ne!(a, b);
    }

    #[test]
    fn job_mounts_manifests_and_credentials_and_passes_storage_env() {
        let data = S3Connection {
            endpoint: Some("http://s3:9000".into()),
            credentials_secret_ref: Some(seer_api::S3CredentialsSecretRef {
                name: "data-creds".into(),
                access_key_id_key: "id".into(),
                secret_access_key_key: "secret".into(),
                session_token_key: None,
            }),
            ..Default::default()
        };
        let mut export = data.clone();
        if let Some(secret) = export.credentials_secret_ref.as_mut() {
            secret.name = "export-creds".into();
        }
        let tj = TrainerJob {
            name: "demand-predictor-v1".into(),
            namespace: "ns".into(),
            owner: OwnerReference { name: "demand".into(), ..Default::default() },
            labels: BTreeMap::from([("seer.dev/predictor".to_string(), "demand".to_string())]),
            annotations: BTreeMap::new(),
            image: "trainer:1".into(),
            image_pull_policy: "IfNotPresent".into(),
            args: vec!["train".into(), "--version".into(), "v1".into()],
            manifests_yaml: "kind: Predictor\n".into(),
            data_connection: Some(&data),
            artifact_connection: Some(&data),
            export_connection: Some(&export),
            resources: None,
            placement: None,
            service_account: None,
            active_deadline_seconds: 600,
            backoff_limit: 1,
            shards: None,
            ca_bundle: None,
        };
        let job = tj.job().expect("job");
        let spec = job.spec.as_ref().expect("spec");
        assert_eq!((spec.backoff_limit, spec.active_deadline_seconds), (Some(1), Some(600)));
        let pod = spec.template.spec.as_ref().expect("pod");
        assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
        assert_eq!(pod.automount_service_account_token, Some(false));
        let c = &pod.containers[0];
        let args = c.args.clone().unwrap_or_default();
        assert_eq!(args[args.len() - 2..], ["-f".to_string(), "/etc/seer/manifests/resources.yaml".to_string()]);
        let env = c.env.clone().unwrap_or_default();
        let key_id = env.iter().find(|e| e.name == "AWS_ACCESS_KEY_ID").expect("key id env");
        assert!(key_id.value.is_none(), "credentials never as plain values");
        assert_eq!(
            key_id.value_from.as_ref().and_then(|v| v.secret_key_ref.as_ref()).map(|s| s.key.as_str()),
            Some("id")
        );
        assert!(env.iter().any(|e| e.name == "SEER_CREDENTIALS_DIR"));
        let volumes = pod.volumes.clone().unwrap_or_default();
        assert!(volumes.iter().any(|v| v.secret.as_ref().and_then(|s| s.secret_name.as_deref()) == Some("data-creds")));
        // spec.export's own Secret, in its own folder.
        let export_volume = volumes
            .iter()
            .find(|v| v.secret.as_ref().and_then(|s| s.secret_name.as_deref()) == Some("export-creds"))
            .expect("the export's Secret mounted");
        let mounts = c.volume_mounts.clone().unwrap_or_default();
        let mount = mounts.iter().find(|m| m.name == export_volume.name).expect("mounted");
        assert_eq!(mount.mount_path, EXPORT_CREDENTIALS_DIR);
        let dir = env.iter().find(|e| e.name == "SEER_EXPORT_CREDENTIALS_DIR").and_then(|e| e.value.as_deref());
        assert_eq!(dir, Some(EXPORT_CREDENTIALS_DIR));
        assert_eq!(
            tj.config_map().data.and_then(|d| d.get(MANIFESTS_FILE).cloned()).as_deref(),
            Some("kind: Predictor\n")
        );
    }
}
