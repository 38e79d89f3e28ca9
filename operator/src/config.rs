//! The operator's settings: command-line flags, each with an environment variable so the
//! Helm chart can set them.

use std::net::SocketAddr;

/// Settings shared by every controller.
#[derive(Clone, Debug, clap::Args)]
pub struct OperatorConfig {
    /// Image of the trainer Jobs, unless a resource's `spec.trainer.image` names another.
    #[arg(long, env = "SEER_TRAINER_IMAGE", default_value = concat!("localhost/seer/seer-trainer:", env!("CARGO_PKG_VERSION")))]
    pub trainer_image: String,
    /// Image of the Campaigns' server pods, unless a Campaign's `spec.image` names another.
    #[arg(long, env = "SEER_SERVER_IMAGE", default_value = concat!("localhost/seer/seer-server:", env!("CARGO_PKG_VERSION")))]
    pub server_image: String,
    /// Pull policy of both images.
    #[arg(long, env = "SEER_IMAGE_PULL_POLICY", default_value = "IfNotPresent")]
    pub image_pull_policy: String,
    /// Default artifact storage (`s3://bucket/prefix` or `file:///path`), used by every
    /// Predictor and Solution without `spec.artifacts`.
    #[arg(long, env = "SEER_ARTIFACT_ROOT")]
    pub artifact_root: Option<String>,
    /// Endpoint of the default S3-compatible storage (unset: AWS S3).
    #[arg(long, env = "SEER_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// Region of the default storage.
    #[arg(long, env = "SEER_S3_REGION")]
    pub s3_region: Option<String>,
    /// Path-style addressing for the default storage (self-hosted servers need it).
    #[arg(long, env = "SEER_S3_FORCE_PATH_STYLE", default_value_t = false)]
    pub s3_force_path_style: bool,
    /// Name of the Secret (in each resource's namespace) holding `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY` for the default storage; unset: the SDK's default chain
    /// (IRSA, instance metadata).
    #[arg(long, env = "SEER_STORAGE_SECRET")]
    pub storage_secret: Option<String>,
    /// Name of a Secret (in each resource's namespace) with a PEM bundle of the CA(s) the
    /// storage endpoint's certificate chains to; trainer and server pods mount it and trust
    /// it (`SSL_CERT_FILE`, `AWS_CA_BUNDLE`). Unset: the images' public roots.
    #[arg(long, env = "SEER_STORAGE_CA_SECRET")]
    pub storage_ca_secret: Option<String>,
    /// The bundle's key in that Secret.
    #[arg(long, env = "SEER_STORAGE_CA_KEY", default_value = "ca.crt")]
    pub storage_ca_key: String,
    /// Requests per second one Campaign replica is provisioned for: `minProvisionedTPS`
    /// divided by this (rounded up) is the HPA's floor.
    #[arg(long, env = "SEER_TPS_PER_REPLICA", default_value_t = 500)]
    pub tps_per_replica: i32,
    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    #[arg(long, env = "SEER_OPERATOR_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// Namespace of the leader-election Lease (the operator's own namespace).
    #[arg(long, env = "POD_NAMESPACE", default_value = "seer-system")]
    pub lease_namespace: String,
    /// Name of the leader-election Lease.
    #[arg(long, env = "SEER_LEASE_NAME", default_value = "seer-operator")]
    pub lease_name: String,
    /// Seconds a leader's Lease lasts without renewal; a standby takes over after it.
    #[arg(long, env = "SEER_LEASE_SECONDS", default_value_t = 15)]
    pub lease_seconds: u64,
    /// This replica's identity in the Lease (the pod name).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// Run without leader election (one replica only, e.g. on a laptop).
    #[arg(long, env = "SEER_NO_LEADER_ELECTION", default_value_t = false)]
    pub no_leader_election: bool,
    /// Watch only this namespace (a namespaced install); unset: every namespace.
    #[arg(long, env = "SEER_WATCH_NAMESPACE")]
    pub watch_namespace: Option<String>,
    /// Seconds between re-reads of a resource that is waiting on something outside the
    /// cluster (a Job's pods, a schedule's next tick is computed exactly).
    #[arg(long, env = "SEER_RESYNC_SECONDS", default_value_t = 30)]
    pub resync_seconds: u64,
}

impl OperatorConfig {
    /// Settings for tests and for a library user: defaults everywhere.
    pub fn for_tests(artifact_root: &str) -> OperatorConfig {
        OperatorConfig {
            trainer_image: "localhost/seer/seer-trainer:test".into(),
            server_image: "localhost/seer/seer-server:test".into(),
            image_pull_policy: "IfNotPresent".into(),
            artifact_root: Some(artifact_root.into()),
            s3_endpoint: None,
            s3_region: None,
            s3_force_path_style: false,
            storage_secret: None,
            storage_ca_secret: None,
            storage_ca_key: "ca.crt".into(),
            tps_per_replica: 500,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            lease_namespace: "default".into(),
            lease_name: "seer-operator".into(),
            lease_seconds: 15,
            identity: None,
            no_leader_election: true,
            resync_seconds: 30,
            watch_namespace: None,
        }
    }
}
