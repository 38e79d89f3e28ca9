//! Which objects a dataset URI names, shared by the trainer (which reads them) and the
//! operator (which checks that they exist and takes the data digest at a schedule tick).

use crate::{ObjectInfo, ObjectStore, ObjectUri, StorageError};

/// The objects a dataset URI names: the object itself, or every object under it as a
/// prefix. Folder markers and the `_`/`.`-prefixed files that Spark and Hadoop leave beside
/// data (`_SUCCESS`, `.crc`) are skipped. None at all is `NotFound`.
pub async fn dataset_objects(store: &ObjectStore, uri: &str) -> Result<Vec<ObjectInfo>, StorageError> {
    // One listing answers both cases, and never asks a server to HEAD a "folder" (some
    // S3-compatible servers answer that with an error instead of 404).
    let parsed = ObjectUri::parse(uri)?;
    let base = uri.trim_end_matches('/');
    let folder = format!("{base}/");
    let objects: Vec<ObjectInfo> = store
        .list(&parsed)
        .await?
        .into_iter()
        .filter(|o| {
            let s = o.uri.to_string();
            let name = s.rsplit('/').next().unwrap_or_default();
            (s == base || s.starts_with(&folder))
                && !s.ends_with('/')
                && !name.starts_with('_')
                && !name.starts_with('.')
        })
        .collect();
    if objects.is_empty() {
        return Err(StorageError::NotFound {
            uri: format!("{uri} (no objects: expected a file or a prefix with files)"),
        });
    }
    Ok(objects)
}
