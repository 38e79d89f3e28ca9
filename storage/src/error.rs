//! Storage errors: each names the URI it was about and what went wrong.

/// What went wrong in object storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A URI that is not `s3://bucket[/key]` or `file:///path`.
    #[error("invalid storage URI {uri:?}: {reason}")]
    InvalidUri { uri: String, reason: String },
    /// The object does not exist.
    #[error("{uri}: not found")]
    NotFound { uri: String },
    /// The server or file system refused or failed.
    #[error("{uri}: {operation} failed: {message}")]
    Io { uri: String, operation: &'static str, message: String },
    /// Content does not match what the manifest recorded.
    #[error("{uri}: {message}")]
    Corrupt { uri: String, message: String },
    /// A document (manifest, pointer) could not be parsed or written.
    #[error("{uri}: invalid {what}: {message}")]
    Invalid { uri: String, what: &'static str, message: String },
}

impl StorageError {
    /// Whether retrying later may help (network and server errors), as opposed to a
    /// problem with the request itself.
    pub fn is_transient(&self) -> bool {
        matches!(self, StorageError::Io { .. })
    }
}
