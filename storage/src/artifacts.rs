//! Versioned artifacts: `<root>/<namespace>/<kind>/<name>/<version>/`.
//!
//! Writing: every file first, then `manifest.json` (with each file's size and SHA-256),
//! then the `latest` pointer beside the version folders. A version without a manifest does
//! not exist, so a trainer that dies half-way leaves nothing a reader would take.
//! Reading: the manifest, then each file checked against it.

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
        || path == MANIFEST_FILE;
    if bad {
        return Err(StorageError::InvalidUri {
            uri: version_uri.join(path).to_string(),
            reason: "artifact file paths are relative, without '.', '..' or empty parts, and not manifest.json".into(),
        });
    }
    Ok(())
}

/// Writes one new version. Files go up as they are added; [`ArtifactWriter::commit`]
/// writes the manifest and moves `latest`.
pub struct ArtifactWriter<'a> {
    store: &'a ObjectStore,
    location: ArtifactLocation,
    version: String,
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
        Ok(ArtifactWriter { store, location, version: version.to_string(), files: BTreeMap::new() })
    }

    /// Uploads one file of the version (relative path such as `model.safetensors` or `forecasts/part-0.csv`).
    pub async fn put_file(&mut self, path: &str, data: Vec<u8>) -> Result<(), StorageError> {
        let version_uri = self.location.version_uri(&self.version);
        check_relative(&version_uri, path)?;
        let entry = ArtifactFile { path: path.to_string(), size: data.len() as u64, sha256: sha256_hex(&data) };
        self.store.put(&version_uri.join(path), data).await?;
        self.files.insert(path.to_string(), entry);
        Ok(())
    }

    /// Writes the manifest (making the version exist), then points `latest` at it unless a
    /// newer version is already there.
    pub async fn commit(
        self,
        algorithm: &str,
        dataset_digest: &str,
        properties: BTreeMap<String, serde_json::Value>,
    ) -> Result<ArtifactManifest, StorageError> {
        let version_uri = self.location.version_uri(&self.version);
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
        let manifest_uri = version_uri.join(MANIFEST_FILE);
        let body = serde_json::to_vec_pretty(&manifest).map_err(|e| StorageError::Invalid {
            uri: manifest_uri.to_string(),
            what: "manifest",
            message: e.to_string(),
        })?;
        self.store.put(&manifest_uri, body).await?;
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
    let base = location.resource_uri();
    let base_str = format!("{base}/");
    let mut versions: Vec<String> = store
        .list(&ObjectUri::parse(&base_str)?)
        .await?
        .into_iter()
        .filter_map(|o| {
            let rel = o.uri.to_string().strip_prefix(&base_str)?.to_string();
            let (version, file) = rel.split_once('/')?;
            (file == MANIFEST_FILE && version_order(version).is_some()).then(|| version.to_string())
        })
        .collect();
    versions.sort_by_key(|v| version_order(v));
    Ok(versions)
}

/// Reads and checks a version's manifest.
pub async fn read_manifest(
    store: &ObjectStore,
    location: &ArtifactLocation,
    version: &str,
) -> Result<ArtifactManifest, StorageError> {
    let uri = location.version_uri(version).join(MANIFEST_FILE);
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
        Some(format!(
            "describes {}/{} {} but was found at {}",
            manifest.kind,
            manifest.name,
            manifest.version,
            location.version_uri(version)
        ))
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
    let uri = location.version_uri(&manifest.version).join(path);
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
