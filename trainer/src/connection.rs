//! How the trainer reaches object storage: the DatasetGroup's `s3` settings, then the
//! environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, ...), with credentials from files that a
//! Secret is mounted as (never from a manifest).

use std::path::Path;

use seer_api::S3Connection;
use seer_storage::{S3Settings, s3::StaticCredentials};

use crate::TrainerError;

/// Settings for a DatasetGroup's data. `credentials_dir` is a folder holding the Secret's
/// keys as files (the operator mounts the referenced Secret there).
pub fn s3_settings(
    connection: Option<&S3Connection>,
    credentials_dir: Option<&Path>,
) -> Result<S3Settings, TrainerError> {
    let mut settings = S3Settings::from_env();
    if let Some(c) = connection {
        settings = settings.with_connection(c);
    }
    if let Some(dir) = credentials_dir {
        let keys = connection.and_then(|c| c.credentials_secret_ref.as_ref());
        let (id_key, secret_key, token_key) = match keys {
            Some(k) => (k.access_key_id_key.as_str(), k.secret_access_key_key.as_str(), k.session_token_key.as_deref()),
            None => ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", None),
        };
        let read = |key: &str| -> Result<String, TrainerError> {
            let path = dir.join(key);
            std::fs::read_to_string(&path).map(|s| s.trim().to_string()).map_err(|e| TrainerError::Manifest {
                file: path.display().to_string(),
                message: format!("cannot read the credential key {key:?}: {e}"),
            })
        };
        settings.credentials = Some(StaticCredentials {
            access_key_id: read(id_key)?,
            secret_access_key: read(secret_key)?,
            session_token: token_key.map(read).transpose()?,
        });
    }
    Ok(settings)
}
