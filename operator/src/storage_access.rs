//! How the operator reaches object storage for a resource: the resource's own location and
//! connection if it names one, else the operator's default storage; credentials only from
//! the Secret that the resource (or the operator's settings) names, read from the API in the
//! resource's namespace and nowhere else.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use seer_api::{S3Connection, StorageLocation, artifact::ArtifactKind};
use seer_storage::{ObjectStore, ObjectUri, S3Settings, artifacts::ArtifactLocation, s3::StaticCredentials};

use crate::{
    config::OperatorConfig,
    context::Context,
    error::{Error, Result},
};

/// Where a Predictor's or Solution's versions are stored, and the Secret that unlocks it.
#[derive(Clone, Debug, PartialEq)]
pub struct ArtifactStorage {
    /// The root (`s3://bucket/prefix`), under which `<namespace>/<kind>/<name>/` lies.
    pub root: String,
    /// The connection (endpoint, region, path style, credentials Secret).
    pub connection: S3Connection,
}

impl ArtifactStorage {
    /// The resource's `spec.artifacts`, else the operator's default storage.
    pub fn resolve(spec: Option<&StorageLocation>, config: &OperatorConfig) -> Result<ArtifactStorage> {
        match spec {
            Some(location) => {
                Ok(ArtifactStorage { root: location.uri.clone(), connection: with_defaults(location.s3.as_ref(), config) })
            }
            None => match &config.artifact_root {
                Some(root) => Ok(ArtifactStorage { root: root.clone(), connection: with_defaults(None, config) }),
                None => Err(Error::InvalidSpec {
                    reason: "NoArtifactStorage",
                    message: "no spec.artifacts and the operator has no default storage (Helm value storage.uri / SEER_ARTIFACT_ROOT)".into(),
                }),
            },
        }
    }

    /// The resource's folder in this storage.
    pub fn location(&self, namespace: &str, kind: ArtifactKind, name: &str) -> Result<ArtifactLocation> {
        let root = ObjectUri::parse(&self.root)
            .map_err(|e| Error::InvalidSpec { reason: "InvalidArtifactUri", message: format!("artifacts.uri: {e}") })?;
        Ok(ArtifactLocation { root, namespace: namespace.to_string(), kind, name: name.to_string() })
    }
}

/// A connection with every unset field taken from the operator's default storage settings
/// (as the CRDs document: "unset fields fall back to the operator's default storage").
pub fn with_defaults(spec: Option<&S3Connection>, config: &OperatorConfig) -> S3Connection {
    let mut c = spec.cloned().unwrap_or_default();
    c.endpoint = c.endpoint.or_else(|| config.s3_endpoint.clone());
    c.region = c.region.or_else(|| config.s3_region.clone());
    c.force_path_style = c.force_path_style.or(config.s3_force_path_style.then_some(true));
    c.credentials_secret_ref = c.credentials_secret_ref.or_else(|| {
        config.storage_secret.as_ref().map(|name| seer_api::S3CredentialsSecretRef {
            name: name.clone(),
            access_key_id_key: "AWS_ACCESS_KEY_ID".into(),
            secret_access_key_key: "AWS_SECRET_ACCESS_KEY".into(),
            session_token_key: None,
        })
    });
    c
}

/// A store for a connection, with credentials read from the Secret it names (in `namespace`).
pub async fn connect(ctx: &Context, namespace: &str, connection: Option<&S3Connection>) -> Result<ObjectStore> {
    let mut settings = S3Settings::from_env();
    if let Some(c) = connection {
        settings = settings.with_connection(c);
        if let Some(secret_ref) = &c.credentials_secret_ref {
            let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
            let secret = secrets.get_opt(&secret_ref.name).await?.ok_or_else(|| Error::MissingReference {
                reason: "SecretNotFound",
                message: format!("Secret {namespace}/{} (S3 credentials) does not exist", secret_ref.name),
            })?;
            let key = |key: &str| -> Result<String> {
                secret
                    .data
                    .as_ref()
                    .and_then(|d| d.get(key))
                    .map(|v| String::from_utf8_lossy(&v.0).trim().to_string())
                    .or_else(|| secret.string_data.as_ref().and_then(|d| d.get(key)).cloned())
                    .ok_or_else(|| Error::MissingReference {
                        reason: "SecretKeyNotFound",
                        message: format!("Secret {namespace}/{} has no key {key:?}", secret_ref.name),
                    })
            };
            settings.credentials = Some(StaticCredentials {
                access_key_id: key(&secret_ref.access_key_id_key)?,
                secret_access_key: key(&secret_ref.secret_access_key_key)?,
                session_token: secret_ref.session_token_key.as_deref().map(key).transpose()?,
            });
        }
    }
    Ok(ObjectStore::connect(&settings).await)
}
