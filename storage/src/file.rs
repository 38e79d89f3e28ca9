//! Local folders (`file://`), for laptops and tests. Writes go to a temporary file in the
//! same folder and are renamed into place, so a reader never sees half a file.

use std::path::{Path, PathBuf};

use crate::{ObjectInfo, ObjectUri, StorageError};

fn io(uri: &ObjectUri, operation: &'static str, e: std::io::Error) -> StorageError {
    if e.kind() == std::io::ErrorKind::NotFound {
        StorageError::NotFound { uri: uri.to_string() }
    } else {
        StorageError::Io { uri: uri.to_string(), operation, message: e.to_string() }
    }
}

pub(crate) async fn get(uri: &ObjectUri, path: &str) -> Result<Vec<u8>, StorageError> {
    tokio::fs::read(path).await.map_err(|e| io(uri, "read", e))
}

pub(crate) async fn put(uri: &ObjectUri, path: &str, data: Vec<u8>) -> Result<(), StorageError> {
    let target = PathBuf::from(path);
    let dir = target
        .parent()
        .ok_or_else(|| StorageError::InvalidUri { uri: uri.to_string(), reason: "has no parent folder".into() })?;
    tokio::fs::create_dir_all(dir).await.map_err(|e| io(uri, "create folder", e))?;
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("object");
    let tmp = dir.join(format!(".{name}.tmp-{}-{}", std::process::id(), unique()));
    let write = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        tokio::io::AsyncWriteExt::write_all(&mut f, &data).await?;
        f.sync_all().await?;
        tokio::fs::rename(&tmp, &target).await
    };
    if let Err(e) = write.await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(io(uri, "write", e));
    }
    Ok(())
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn info(path: &Path, meta: &std::fs::Metadata) -> ObjectInfo {
    // No ETag on a file system: modification time and size play its part in digests.
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    ObjectInfo {
        uri: ObjectUri::File { path: path.to_string_lossy().into_owned() },
        size: meta.len(),
        etag: Some(format!("{mtime:x}-{:x}", meta.len())),
    }
}

pub(crate) async fn head(uri: &ObjectUri, path: &str) -> Result<Option<ObjectInfo>, StorageError> {
    match tokio::fs::metadata(path).await {
        Ok(meta) if meta.is_file() => Ok(Some(info(Path::new(path), &meta))),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(uri, "stat", e)),
    }
}

/// Every file whose path starts with `prefix` (a folder is walked recursively), skipping
/// in-flight temporary files (the caller sorts).
pub(crate) async fn list(uri: &ObjectUri, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
    let prefix = prefix.to_string();
    let uri2 = uri.clone();
    tokio::task::spawn_blocking(move || {
        let (dir, name_prefix) = if prefix.ends_with('/') {
            (PathBuf::from(&prefix), String::new())
        } else {
            let p = PathBuf::from(&prefix);
            let dir = p.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
            (dir, p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
        };
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io(&uri2, "list", e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io(&uri2, "list", e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with(&name_prefix) {
                continue;
            }
            walk(&entry.path(), &uri2, &mut out)?;
        }
        Ok(out)
    })
    .await
    .map_err(|e| StorageError::Io { uri: uri.to_string(), operation: "list", message: e.to_string() })?
}

fn walk(path: &Path, uri: &ObjectUri, out: &mut Vec<ObjectInfo>) -> Result<(), StorageError> {
    let meta = std::fs::metadata(path).map_err(|e| io(uri, "stat", e))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|e| io(uri, "list", e))? {
            walk(&entry.map_err(|e| io(uri, "list", e))?.path(), uri, out)?;
        }
    } else if meta.is_file() {
        let hidden_tmp =
            path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') && n.contains(".tmp-"));
        if !hidden_tmp {
            out.push(info(path, &meta));
        }
    }
    Ok(())
}

pub(crate) async fn delete(uri: &ObjectUri, path: &str) -> Result<(), StorageError> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(uri, "delete", e)),
    }
}

/// After a prefix's files were deleted: removes the folders under `path` (a folder prefix
/// ending in `/`) that are left empty, and `path` itself when it is, so that a deleted
/// version or `shards/` leaves no empty tree behind. Folders with files stay.
pub(crate) async fn prune_empty_folders(uri: &ObjectUri, path: &str) -> Result<(), StorageError> {
    let Some(folder) = path.strip_suffix('/') else { return Ok(()) };
    let folder = std::path::PathBuf::from(folder);
    let uri = uri.clone();
    tokio::task::spawn_blocking(move || prune(&folder).map_err(|e| io(&uri, "remove empty folders", e))).await.map_err(
        |e| StorageError::Io { uri: path.to_string(), operation: "remove empty folders", message: e.to_string() },
    )?
}

/// Removes the empty folders under `dir`, depth first, then `dir` if it is empty.
fn prune(dir: &Path) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            prune(&entry.path())?;
        }
    }
    match std::fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        // Not empty (it holds files), or gone already: both fine.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.kind() == std::io::ErrorKind::DirectoryNotEmpty => {
            Ok(())
        }
        Err(e) => Err(e),
    }
}
