//! The trainer's errors. Each says where (file, line, column, or the manifest field) and
//! what was expected, in one line, because the operator shows it as a condition message.

use seer_storage::StorageError;

/// Everything that stops a trainer subcommand.
#[derive(Debug, thiserror::Error)]
pub enum TrainerError {
    /// A manifest file is missing, unparsable, or lacks what the subcommand needs.
    #[error("{file}: {message}")]
    Manifest { file: String, message: String },
    /// Data that does not match its schema: `uri:line: column 'x': message`.
    #[error("{location}: {message}")]
    Data { location: String, message: String },
    /// Object storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl TrainerError {
    pub(crate) fn data(location: impl Into<String>, message: impl Into<String>) -> TrainerError {
        TrainerError::Data { location: location.into(), message: message.into() }
    }
}
