//! S3-compatible object storage through aws-sdk-s3.

use aws_sdk_s3::{
    Client,
    config::{BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation},
    error::{DisplayErrorContext, SdkError},
    primitives::ByteStream,
};

use crate::{ObjectInfo, ObjectUri, StorageError};

/// How to reach an S3-compatible server. Unset fields come from the AWS SDK's usual sources
/// (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, web
/// identity / IRSA, instance metadata).
#[derive(Clone, Default, PartialEq)]
pub struct S3Settings {
    /// Endpoint URL of a non-AWS server, e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    /// Region to sign for; defaults to the SDK's, then `us-east-1`.
    pub region: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which self-hosted servers need.
    pub force_path_style: bool,
    /// A static key pair; `None` uses the SDK's default credential chain.
    pub credentials: Option<StaticCredentials>,
}

/// An access key pair (read from a Secret or the environment, never from a spec).
#[derive(Clone, PartialEq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    // Never print credentials, not even in debug logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("force_path_style", &self.force_path_style)
            .field("credentials", &self.credentials.as_ref().map(|_| "<static>"))
            .finish()
    }
}

impl S3Settings {
    /// A self-hosted S3-compatible server at `endpoint` with a static key pair: path-style,
    /// region us-east-1 (what tests and the quickstart's embedded server use).
    pub fn static_endpoint(endpoint: &str, access_key_id: &str, secret_access_key: &str) -> S3Settings {
        S3Settings {
            endpoint: Some(endpoint.to_string()),
            region: Some("us-east-1".to_string()),
            force_path_style: true,
            credentials: Some(StaticCredentials {
                access_key_id: access_key_id.to_string(),
                secret_access_key: secret_access_key.to_string(),
                session_token: None,
            }),
        }
    }

    /// Settings from the environment: `AWS_ENDPOINT_URL`, `AWS_REGION`, and
    /// `SEER_S3_FORCE_PATH_STYLE=true` (on by default when an endpoint is set, since
    /// self-hosted servers rarely resolve bucket subdomains).
    pub fn from_env() -> S3Settings {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let endpoint = var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL"));
        let force_path_style = match var("SEER_S3_FORCE_PATH_STYLE") {
            Some(v) => v == "true" || v == "1",
            None => endpoint.is_some(),
        };
        S3Settings {
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            endpoint,
            force_path_style,
            credentials: None,
        }
    }
}

impl S3Settings {
    /// These settings with a resource's connection laid over them: its endpoint (which turns
    /// path-style on, as self-hosted servers need), region and path-style choice. Credentials
    /// are not in a connection, only a Secret reference: the caller reads that Secret.
    pub fn with_connection(mut self, connection: &seer_api::S3Connection) -> S3Settings {
        if let Some(endpoint) = &connection.endpoint {
            self.endpoint = Some(endpoint.clone());
            self.force_path_style = true;
        }
        if let Some(region) = &connection.region {
            self.region = Some(region.clone());
        }
        if let Some(path_style) = connection.force_path_style {
            self.force_path_style = path_style;
        }
        self
    }
}

pub(crate) async fn client(settings: &S3Settings) -> Client {
    let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let mut builder = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(settings.force_path_style)
        // Many S3-compatible servers do not implement the newer default checksums.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    if let Some(endpoint) = &settings.endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    match (&settings.region, shared.region()) {
        (Some(r), _) => builder = builder.region(Region::new(r.clone())),
        (None, None) => builder = builder.region(Region::new("us-east-1")),
        (None, Some(_)) => {}
    }
    if let Some(c) = &settings.credentials {
        builder = builder.credentials_provider(Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
            None,
            "seer-static",
        ));
    }
    Client::from_conf(builder.build())
}

fn io_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    uri: &ObjectUri,
    operation: &'static str,
    err: SdkError<E, R>,
) -> StorageError {
    StorageError::Io { uri: uri.to_string(), operation, message: DisplayErrorContext(&err).to_string() }
}

pub(crate) async fn get(client: &Client, uri: &ObjectUri, bucket: &str, key: &str) -> Result<Vec<u8>, StorageError> {
    let out = client.get_object().bucket(bucket).key(key).send().await.map_err(|e| {
        if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
            StorageError::NotFound { uri: uri.to_string() }
        } else {
            io_error(uri, "GET", e)
        }
    })?;
    let body = out.body.collect().await.map_err(|e| StorageError::Io {
        uri: uri.to_string(),
        operation: "GET",
        message: e.to_string(),
    })?;
    Ok(body.into_bytes().to_vec())
}

pub(crate) async fn put(
    client: &Client,
    uri: &ObjectUri,
    bucket: &str,
    key: &str,
    data: Vec<u8>,
) -> Result<(), StorageError> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data))
        .send()
        .await
        .map_err(|e| io_error(uri, "PUT", e))?;
    Ok(())
}

pub(crate) async fn head(
    client: &Client,
    uri: &ObjectUri,
    bucket: &str,
    key: &str,
) -> Result<Option<ObjectInfo>, StorageError> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(Some(ObjectInfo {
            uri: uri.clone(),
            size: out.content_length().unwrap_or_default().max(0) as u64,
            etag: out.e_tag().map(str::to_string),
        })),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
        Err(e) => Err(io_error(uri, "HEAD", e)),
    }
}

pub(crate) async fn list(
    client: &Client,
    uri: &ObjectUri,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<ObjectInfo>, StorageError> {
    let mut out = Vec::new();
    let mut pages = client.list_objects_v2().bucket(bucket).prefix(prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| io_error(uri, "LIST", e))?;
        for obj in page.contents() {
            let Some(key) = obj.key() else { continue };
            out.push(ObjectInfo {
                uri: ObjectUri::S3 { bucket: bucket.to_string(), key: key.to_string() },
                size: obj.size().unwrap_or_default().max(0) as u64,
                etag: obj.e_tag().map(str::to_string),
            });
        }
    }
    // Some S3-compatible servers (s3s-fs among them) list without ETags; digests need one
    // per object to notice a same-size rewrite, so ask for it.
    for info in out.iter_mut().filter(|o| o.etag.is_none()) {
        if let ObjectUri::S3 { bucket, key } = &info.uri
            && let Some(found) = head(client, &info.uri, bucket, key).await?
        {
            info.etag = found.etag;
        }
    }
    Ok(out)
}

pub(crate) async fn delete(client: &Client, uri: &ObjectUri, bucket: &str, key: &str) -> Result<(), StorageError> {
    client.delete_object().bucket(bucket).key(key).send().await.map_err(|e| io_error(uri, "DELETE", e))?;
    Ok(())
}

pub(crate) async fn create_bucket(client: &Client, uri: &ObjectUri, bucket: &str) -> Result<(), StorageError> {
    match client.create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you()) => Ok(()),
        // Some servers answer BucketAlreadyExists to its owner too: fine if we can reach it.
        Err(e) if e.as_service_error().is_some_and(|s| s.is_bucket_already_exists()) => {
            client.head_bucket().bucket(bucket).send().await.map(|_| ()).map_err(|_| io_error(uri, "CREATE BUCKET", e))
        }
        Err(e) => Err(io_error(uri, "CREATE BUCKET", e)),
    }
}
