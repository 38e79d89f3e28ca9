//! One handle for both kinds of storage; every operation dispatches on the URI's scheme.

use crate::{ObjectUri, S3Settings, StorageError, file, s3};

/// An object as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Where it is.
    pub uri: ObjectUri,
    /// Size in bytes.
    pub size: u64,
    /// The server's ETag (for files: modification time and size).
    pub etag: Option<String>,
}

/// Reads and writes objects at `s3://` and `file://` URIs.
#[derive(Clone, Debug)]
pub struct ObjectStore {
    s3: aws_sdk_s3::Client,
}

impl ObjectStore {
    /// A store that reaches S3 with `settings` (and any `file://` path). Makes no request.
    pub async fn connect(settings: &S3Settings) -> ObjectStore {
        ObjectStore { s3: s3::client(settings).await }
    }

    /// Creates an S3 bucket (or, for `file://`, the folder). An existing bucket that this
    /// caller owns is fine.
    pub async fn create_bucket(&self, uri: &ObjectUri) -> Result<(), StorageError> {
        match uri {
            ObjectUri::S3 { bucket, .. } => s3::create_bucket(&self.s3, uri, bucket).await,
            ObjectUri::File { path } => tokio::fs::create_dir_all(path).await.map_err(|e| StorageError::Io {
                uri: uri.to_string(),
                operation: "create folder",
                message: e.to_string(),
            }),
        }
    }

    /// The whole content of an object.
    pub async fn get(&self, uri: &ObjectUri) -> Result<Vec<u8>, StorageError> {
        match uri {
            ObjectUri::S3 { bucket, key } => s3::get(&self.s3, uri, bucket, key).await,
            ObjectUri::File { path } => file::get(uri, path).await,
        }
    }

    /// Writes an object whole; readers see the old content or the new, never a mix.
    pub async fn put(&self, uri: &ObjectUri, data: Vec<u8>) -> Result<(), StorageError> {
        match uri {
            ObjectUri::S3 { bucket, key } => s3::put(&self.s3, uri, bucket, key, data).await,
            ObjectUri::File { path } => file::put(uri, path, data).await,
        }
    }

    /// Size and ETag of an object, or `None` if it does not exist.
    pub async fn head(&self, uri: &ObjectUri) -> Result<Option<ObjectInfo>, StorageError> {
        match uri {
            ObjectUri::S3 { bucket, key } => s3::head(&self.s3, uri, bucket, key).await,
            ObjectUri::File { path } => file::head(uri, path).await,
        }
    }

    /// Every object whose key starts with the URI's key (a folder for `file://`), sorted.
    pub async fn list(&self, prefix: &ObjectUri) -> Result<Vec<ObjectInfo>, StorageError> {
        let mut out = match prefix {
            ObjectUri::S3 { bucket, key } => s3::list(&self.s3, prefix, bucket, key).await?,
            ObjectUri::File { path } => file::list(prefix, path).await?,
        };
        out.sort_by_key(|o| o.uri.to_string());
        Ok(out)
    }

    /// Removes an object; removing a missing object is not an error.
    pub async fn delete(&self, uri: &ObjectUri) -> Result<(), StorageError> {
        match uri {
            ObjectUri::S3 { bucket, key } => s3::delete(&self.s3, uri, bucket, key).await,
            ObjectUri::File { path } => file::delete(uri, path).await,
        }
    }

    /// Removes every object under a prefix; returns how many.
    pub async fn delete_prefix(&self, prefix: &ObjectUri) -> Result<usize, StorageError> {
        let objects = self.list(prefix).await?;
        for o in &objects {
            self.delete(&o.uri).await?;
        }
        if let ObjectUri::File { path } = prefix {
            file::prune_empty_folders(prefix, path).await?;
        }
        Ok(objects.len())
    }
}
