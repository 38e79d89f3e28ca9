//! Where data is read from and artifacts are written to, and how to authenticate there.
//! Credentials only ever come from Secret references, never from a spec field.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How to reach an S3-compatible object store (AWS S3, MinIO, Ceph RGW, Garage, R2, ...).
/// Every field is optional: unset fields fall back to the operator's default storage
/// settings (Helm values), then to the AWS SDK's usual environment and instance sources
/// (including IAM roles for service accounts).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct S3Connection {
    /// Endpoint URL of an S3-compatible server, e.g. `http://minio.storage:9000`. Unset means AWS S3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.startsWith('http://') || self.startsWith('https://')",
        "message": "endpoint must be an http:// or https:// URL"
    }]))]
    #[schemars(length(max = 2048))]
    pub endpoint: Option<String>,
    /// Region to sign requests for, e.g. `us-east-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub region: Option<String>,
    /// Address buckets as `endpoint/bucket` instead of `bucket.endpoint`; most self-hosted servers need this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_path_style: Option<bool>,
    /// Secret holding an access key pair. Unset means the SDK's default credential chain
    /// (environment, web identity / IRSA, instance metadata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<S3CredentialsSecretRef>,
    /// Secret key holding a PEM CA bundle to trust for the endpoint's TLS certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle_secret_ref: Option<crate::SecretKeySelector>,
}

/// A Secret in the same namespace that holds S3 credentials.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct S3CredentialsSecretRef {
    // Not `#[serde(flatten)]` of AccessKeySecretRef: flattening hides misspelt fields from
    // unknown-field checks (examples_typed), so the three fields are spelled out.
    /// Name of the Secret.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key of the access key ID within the Secret.
    #[serde(default = "crate::references::default_access_key_id_key")]
    pub access_key_id_key: String,
    /// Key of the secret access key within the Secret.
    #[serde(default = "crate::references::default_secret_access_key_key")]
    pub secret_access_key_key: String,
    /// Key of an optional session token within the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token_key: Option<String>,
}

/// A place in object storage: a URI and how to reach it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageLocation {
    /// `s3://bucket/prefix` or `file:///absolute/path`.
    #[schemars(length(min = 1, max = 2048))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.startsWith('s3://') || self.startsWith('file://')",
        "message": "uri must start with s3:// or file://"
    }]))]
    pub uri: String,
    /// Connection settings for an `s3://` URI; ignored for `file://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Connection>,
}

/// What happens to a resource's artifacts in object storage when the resource is deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DeletionPolicy {
    #[default]
    Retain,
    Delete,
}
