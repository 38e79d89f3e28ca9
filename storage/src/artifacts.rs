//! Versioned artifacts: `<root>/<namespace>/<kind>/<name>/<version>/`.
//!
//! Writing: every file first, then `manifest.json` (with each file's size and SHA-256),
//! then the `latest` pointer beside the version folders. A version without a manifest does
//! not exist, so a trainer that dies half-way leaves nothing a reader would take.
//! Reading: the manifest, then each file checked against it.
//!
//! Sharded training (a Kubernetes Indexed Job, one pod per shard) writes each shard's
//! partial output under the version folder, in `shards/<index>-of-<count>/` with its own
//! `manifest.json` (written last, like a version's), and never the version's manifest or
//! `latest`: a version folder with only `shards/` in it does not exist yet. The merge step
//! reads the shards, writes the version's files and manifest, moves `latest`, then removes
//! `shards/`.

use std::collections::BTreeMap;

use seer_api::artifact::{
    ArtifactFile, ArtifactKind, ArtifactManifest, LATEST_POINTER, MANIFEST_FILE, MANIFEST_SCHEMA_VERSION,
};

use crate::{ObjectStore, ObjectUri, StorageError, digest::sha256_hex};

/// Where one resource's versions live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactLocation {
    /// Storage root, e.g. `s3://seer-artifacts` or `file:///var/lib/seer`.
    pub root: ObjectUri,
    pub namespace: String,
    pub kind: ArtifactKind,
    pub name: String,
}

impl ArtifactLocation {
    /// `<root>/<namespace>/<kind>/<name>`.
    pub fn resource_uri(&self) -> ObjectUri {
        self.root.join(&format!("{}/{}/{}", self.namespace, self.kind, self.name))
    }
    /// `<root>/<namespace>/<kind>/<name>/<version>`.
    pub fn version_uri(&self, version: &str) -> ObjectUri {
        self.resource_uri().join(version)
    }
    /// `<root>/<namespace>/<kind>/<name>/latest`.
    pub fn latest_uri(&self) -> ObjectUri {
        self.resource_uri().join(LATEST_POINTER)
    }
    /// `<version>/shards`: the partial outputs of a version trained in shards.
    pub fn shards_uri(&self, version: &str) -> ObjectUri {
        self.version_uri(version).join(SHARDS_FOLDER)
    }
    /// `<version>/shards/<index>-of-<count>`: where one shard writes.
    pub fn shard_uri(&self, version: &str, shard: ShardId) -> ObjectUri {
        self.shards_uri(version).join(&shard.folder())
    }
}

/// The folder under a version where shards write their partial outputs.
pub const SHARDS_FOLDER: &str = "shards";

/// Shard `index` of `count` (`0 <= index < count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardId {
    pub index: u32,
    pub count: u32,
}

impl ShardId {
    /// A shard, or why not.
    pub fn new(index: u32, count: u32) -> Result<ShardId, String> {
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: expected i/n with n ≥ 1 and 0 ≤ i < n"));
        }
        Ok(ShardId { index, count })
    }
    /// `<index>-of-<count>`, the shard's folder name.
    pub fn folder(self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

impl std::fmt::Display for ShardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The order of a version name, or `None` if it is not one. Two forms exist: `v<N>` (what
/// the operator names versions) and a UTC timestamp `YYYYMMDDTHHMMSSZ` (what a standalone
/// `seer-trainer train` names them by default); numbered versions sort before timestamped ones.
pub fn version_order(name: &str) -> Option<(u8, u64)> {
    if let Some(n) = name.strip_prefix('v') {
        if n.is_empty() || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return n.parse().ok().map(|n| (0, n));
    }
    let b = name.as_bytes();
    let stamp =
        b.len() == 16 && b[8] == b'T' && b[15] == b'Z' && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit);
    if stamp {
        let digits: String = name.chars().filter(char::is_ascii_digit).collect();
        return digits.parse().ok().map(|n| (1, n));
    }
    None
}

/// A version name for now: `YYYYMMDDTHHMMSSZ` (UTC).
pub fn timestamp_version() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

fn check_relative(version_uri: &ObjectUri, path: &str) -> Result<(), StorageError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.split('/').any(|s| s.is_empty() || s == "." || s == "..")
        || path == MANIFEST_FILE
        || path.split('/').next() == Some(SHARDS_FOLDER);
    if bad {
        return Err(StorageError::InvalidUri {
            uri: version_uri.join(path).to_string(),
            reason: "artifact file paths are relative, without '.', '..' or empty parts, and neither manifest.json \
                     nor under shards/"
                .into(),
        });
    }
    Ok(())
}

/// Writes one new version (or one shard of it). Files go up as they are added;
/// [`ArtifactWriter::commit`] writes the manifest and moves `latest` (a shard's: only its
/// own manifest); [`ArtifactWriter::abort`] removes what was written.
pub struct ArtifactWriter<'a> {
    store: &'a ObjectStore,
    location: ArtifactLocation,
    version: String,
    shard: Option<ShardId>,
    files: BTreeMap<String, ArtifactFile>,
}

impl<'a> ArtifactWriter<'a> {
    /// Starts a version. Fails if the name is not `v<N>` or the version already exists
    /// (a complete version is never overwritten).
    pub async fn create(
        store: &'a ObjectStore,
        location: ArtifactLocation,
        version: &str,
    ) -> Result<ArtifactWriter<'a>, StorageError> {
        let uri = location.version_uri(version);
        if version_order(version).is_none() {
            return Err(StorageError::InvalidUri {
                uri: uri.to_string(),
                reason: "version names are v1, v2, ... or UTC timestamps such as 20260101T120000Z".into(),
            });
        }
        if store.head(&uri.join(MANIFEST_FILE)).await?.is_some() {
            return Err(StorageError::Invalid {
                uri: uri.to_string(),
                what: "version",
                message: "this version already exists and is never overwritten".into(),
            });
        }
        Ok(ArtifactWriter { store, location, version: version.to_string(), shard: None, files: BTreeMap::new() })
    }

    /// Starts one shard's partial output of a version, in `<version>/shards/<i>-of-<n>/`.
    /// Fails like [`ArtifactWriter::create`] when the version is complete already. A shard
    /// written again (a retried pod) replaces its files and manifest.
    pub async fn create_shard(
        store: &'a ObjectStore,
        location: ArtifactLocation,
        version: &str,
        shard: ShardId,
    ) -> Result<ArtifactWriter<'a>, StorageError> {
        let mut writer = ArtifactWriter::create(store, location, version).await?;
        writer.shard = Some(shard);
        // A shard manifest left by an earlier try describes files about to be replaced.
        store.delete(&writer.base_uri().join(MANIFEST_FILE)).await?;
        Ok(writer)
    }

    /// The folder files go to: the version's, or the shard's.
    fn base_uri(&self) -> ObjectUri {
        match self.shard {
            Some(shard) => self.location.shard_uri(&self.version, shard),
            None => self.location.version_uri(&self.version),
        }
    }

    /// Uploads one file of the version (relative path such as `model.safetensors` or `forecasts/part-0.csv`).
    pub async fn put_file(&mut self, path: &str, data: Vec<u8>) -> Result<(), StorageError> {
        let base = self.base_uri();
        check_relative(&base, path)?;
        let entry = ArtifactFile { path: path.to_string(), size: data.len() as u64, sha256: sha256_hex(&data) };
        self.store.put(&base.join(path), data).await?;
        self.files.insert(path.to_string(), entry);
        Ok(())
    }

    /// Gives up: removes the files uploaded so far (no manifest was written, so the version
    /// never existed), leaving nothing behind.
    pub async fn abort(self) -> Result<(), StorageError> {
        let base = self.base_uri();
        for path in self.files.keys() {
            self.store.delete(&base.join(path)).await?;
        }
        Ok(())
    }

    /// Writes the manifest (making the version exist), then points `latest` at it unless a
    /// newer version is already there. A shard writes only its own manifest (with a `shard`
    /// property `{index, count}`).
    pub async fn commit(
        self,
        algorithm: &str,
        dataset_digest: &str,
        mut properties: BTreeMap<String, serde_json::Value>,
    ) -> Result<ArtifactManifest, StorageError> {
        let base = self.base_uri();
        if let Some(shard) = self.shard {
            properties.insert(SHARD_PROPERTY.into(), serde_json::json!({"index": shard.index, "count": shard.count}));
        }
        let manifest = ArtifactManifest {
            schema_version: MANIFEST_SCHEMA_VERSION,
            kind: self.location.kind,
            namespace: self.location.namespace.clone(),
            name: self.location.name.clone(),
            version: self.version.clone(),
            algorithm: algorithm.to_string(),
            dataset_digest: dataset_digest.to_string(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            files: self.files.into_values().collect(),
            properties,
        };
        let manifest_uri = base.join(MANIFEST_FILE);
        let body = serde_json::to_vec_pretty(&manifest).map_err(|e| StorageError::Invalid {
            uri: manifest_uri.to_string(),
            what: "manifest",
            message: e.to_string(),
        })?;
        self.store.put(&manifest_uri, body).await?;
        if self.shard.is_some() {
            return Ok(manifest);
        }
        let newer_exists = match latest_version(self.store, &self.location).await? {
            Some(current) => version_order(&current) > version_order(&self.version),
            None => false,
        };
        if !newer_exists {
            self.store.put(&self.location.latest_uri(), format!("{}\n", self.version).into_bytes()).await?;
        }
        Ok(manifest)
    }
}

/// The version the `latest` pointer names, if any.
pub async fn latest_version(store: &ObjectStore, location: &ArtifactLocation) -> Result<Option<String>, StorageError> {
    let uri = location.latest_uri();
    match store.get(&uri).await {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            if version_order(&text).is_none() {
                return Err(StorageError::Invalid {
                    uri: uri.to_string(),
                    what: "latest pointer",
                    message: format!("holds {text:?}, not a version name"),
                });
            }
            Ok(Some(text))
        }
        Err(StorageError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The complete versions (those with a manifest), oldest first.
pub async fn list_versions(store: &ObjectStore, location: &ArtifactLocation) -> Result<Vec<String>, StorageError> {
    version_files(store, location, |file| file == MANIFEST_FILE).await
}

/// Every version folder holding any object (complete, in progress or failed), oldest first:
/// names a new version must not take, since a version is never overwritten.
pub async fn version_folders(store: &ObjectStore, location: &ArtifactLocation) -> Result<Vec<String>, StorageError> {
    version_files(store, location, |_| true).await
}

/// The versions under the resource folder with a file that `keep` accepts, oldest first.
async fn version_files(
    store: &ObjectStore,
    location: &ArtifactLocation,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<String>, StorageError> {
    let base = location.resource_uri();
    let base_str = format!("{base}/");
    let mut versions: Vec<String> = store
        .list(&ObjectUri::parse(&base_str)?)
        .await?
        .into_iter()
        .filter_map(|o| {
            let rel = o.uri.to_string().strip_prefix(&base_str)?.to_string();
            let (version, file) = rel.split_once('/')?;
            (keep(file) && version_order(version).is_some()).then(|| version.to_string())
        })
        .collect();
    versions.sort_by_key(|v| version_order(v));
    versions.dedup();
    Ok(versions)
}

/// The property of a shard's manifest that names the shard.
pub const SHARD_PROPERTY: &str = "shard";

/// Reads and checks a version's manifest.
pub async fn read_manifest(
    store: &ObjectStore,
    location: &ArtifactLocation,
    version: &str,
) -> Result<ArtifactManifest, StorageError> {
    read_manifest_at(store, location, version, &location.version_uri(version)).await
}

/// Reads and checks one shard's manifest; `NotFound` when the shard has not finished.
pub async fn read_shard_manifest(
    store: &ObjectStore,
    location: &ArtifactLocation,
    version: &str,
    shard: ShardId,
) -> Result<ArtifactManifest, StorageError> {
    let base = location.shard_uri(version, shard);
    let manifest = read_manifest_at(store, location, version, &base).await?;
    let recorded = manifest.properties.get(SHARD_PROPERTY);
    let expected = serde_json::json!({"index": shard.index, "count": shard.count});
    if recorded != Some(&expected) {
        return Err(StorageError::Invalid {
            uri: base.join(MANIFEST_FILE).to_string(),
            what: "manifest",
            message: format!("records shard {recorded:?}, expected {expected}"),
        });
    }
    Ok(manifest)
}

/// Reads one file of a shard and checks it against the shard's manifest.
pub async fn read_shard_file(
    store: &ObjectStore,
    location: &ArtifactLocation,
    manifest: &ArtifactManifest,
    shard: ShardId,
    path: &str,
) -> Result<Vec<u8>, StorageError> {
    read_file_at(store, &location.shard_uri(&manifest.version, shard), manifest, path).await
}

/// Removes a version's `shards/` folder (after a merge); returns how many objects.
pub async fn delete_shards(
    store: &ObjectStore,
    location: &ArtifactLocation,
    version: &str,
) -> Result<usize, StorageError> {
    store.delete_prefix(&ObjectUri::parse(&format!("{}/", location.shards_uri(version)))?).await
}

async fn read_manifest_at(
    store: &ObjectStore,
    location: &ArtifactLocation,
    version: &str,
    base: &ObjectUri,
) -> Result<ArtifactManifest, StorageError> {
    let uri = base.join(MANIFEST_FILE);
    let bytes = store.get(&uri).await?;
    let manifest: ArtifactManifest = serde_json::from_slice(&bytes).map_err(|e| StorageError::Invalid {
        uri: uri.to_string(),
        what: "manifest",
        message: e.to_string(),
    })?;
    let problem = if manifest.schema_version > MANIFEST_SCHEMA_VERSION {
        Some(format!(
            "schema version {} is newer than this build understands ({MANIFEST_SCHEMA_VERSION}); upgrade Seer",
            manifest.schema_version
        ))
    } else if manifest.kind != location.kind || manifest.name != location.name || manifest.version != version {
        Some(format!("describes {}/{} {} but was found at {}", manifest.kind, manifest.name, manifest.version, base))
    } else {
        None
    };
    match problem {
        Some(message) => Err(StorageError::Invalid { uri: uri.to_string(), what: "manifest", message }),
        None => Ok(manifest),
    }
}

/// Reads one file of a version and checks it against the manifest.
pub async fn read_file(
    store: &ObjectStore,
    location: &ArtifactLocation,
    manifest: &ArtifactManifest,
    path: &str,
) -> Result<Vec<u8>, StorageError> {
    read_file_at(store, &location.version_uri(&manifest.version), manifest, path).await
}

async fn read_file_at(
    store: &ObjectStore,
    base: &ObjectUri,
    manifest: &ArtifactManifest,
    path: &str,
) -> Result<Vec<u8>, StorageError> {
    let uri = base.join(path);
    let entry = manifest
        .files
        .iter()
        .find(|f| f.path == path)
        .ok_or_else(|| StorageError::NotFound { uri: format!("{uri} (not in the manifest)") })?;
    let data = store.get(&uri).await?;
    if data.len() as u64 != entry.size {
        return Err(StorageError::Corrupt {
            uri: uri.to_string(),
            message: format!("size {} differs from the manifest's {}", data.len(), entry.size),
        });
    }
    let sum = sha256_hex(&data);
    if sum != entry.sha256 {
        return Err(StorageError::Corrupt {
            uri: uri.to_string(),
            message: format!("SHA-256 {sum} differs from the manifest's {}", entry.sha256),
        });
    }
    Ok(data)
}

/// A version read whole: its manifest and every file, all checked.
#[derive(Clone, Debug)]
pub struct LoadedArtifact {
    pub manifest: ArtifactManifest,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Reads a whole version, checking every file.
pub async fn load(
    store: &ObjectStore,
    location: &ArtifactLocation,
    version: &str,
) -> Result<LoadedArtifact, StorageError> {
    let manifest = read_manifest(store, location, version).await?;
    let mut files = BTreeMap::new();
    for f in &manifest.files {
        files.insert(f.path.clone(), read_file(store, location, &manifest, &f.path).await?);
    }
    Ok(LoadedArtifact { manifest, files })
}

/// Deletes a version: the manifest first (so it stops existing at once), then its files.
pub async fn delete_version(
    store: &ObjectStore,
    location: &ArtifactLocation,
    version: &str,
) -> Result<(), StorageError> {
    let uri = location.version_uri(version);
    store.delete(&uri.join(MANIFEST_FILE)).await?;
    store.delete_prefix(&ObjectUri::parse(&format!("{uri}/"))?).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_and_their_order() {
        assert_eq!(version_order("v1"), Some((0, 1)));
        assert!(version_order("v10") > version_order("v9"));
        assert!(version_order("20260101T000000Z") > version_order("v999"));
        assert!(version_order("20260102T000000Z") > version_order("20260101T235959Z"));
        for bad in ["v0", "v01", "v", "latest", "2026-01-01", "20260101T000000"] {
            assert_eq!(version_order(bad), None, "{bad}");
        }
        assert!(version_order(&timestamp_version()).is_some());
    }
}
