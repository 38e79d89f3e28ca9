//! The artifact manifest: the last file written into a version's folder
//! (`<storage>/<namespace>/<kind>/<name>/<version>/manifest.json`). A version without a
//! manifest does not exist; every file it lists is checked against its size and SHA-256
//! when read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the manifest format this build writes; readers accept this and older.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;
/// File name of the manifest inside a version folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of the metrics document inside a version folder.
pub const METRICS_FILE: &str = "metrics.json";
/// Name of the pointer object beside the version folders that holds the newest complete version.
pub const LATEST_POINTER: &str = "latest";
/// In a Predictor version: the recent history of every series (`item_id, <dimensions>, date,
/// value`; the last max(4 horizons, 2 seasons) periods, filled points empty), so a chart can
/// show what came before the forecast.
pub const HISTORY_FILE: &str = "history.csv";
/// In a Solution version: the Solution's named filters (a JSON list of `{name, expression}`),
/// so a server applies them by name without being told them again.
pub const FILTERS_FILE: &str = "filters.json";
/// In a Solution version: the item and user attributes filter expressions look up
/// (`Items.GENRE`, `Users.AGE`), as [`SolutionCatalog`].
pub const CATALOG_FILE: &str = "catalog.json";

/// `catalog.json`: attribute values by id and column (upper case), for filters at serving time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolutionCatalog {
    /// `ITEM_ID` → column → value.
    #[serde(default)]
    pub items: BTreeMap<String, BTreeMap<String, String>>,
    /// `USER_ID` → column → value.
    #[serde(default)]
    pub users: BTreeMap<String, BTreeMap<String, String>>,
}

/// Which kind of resource produced an artifact; also the path segment in storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactKind {
    Predictor,
    Solution,
}

impl ArtifactKind {
    /// The path segment used in storage (`predictor`, `solution`).
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Predictor => "predictor",
            ArtifactKind::Solution => "solution",
        }
    }
}

impl std::fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One file of a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactFile {
    /// Path relative to the version folder, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactManifest {
    /// Manifest format version ([`MANIFEST_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Predictor or Solution.
    pub kind: ArtifactKind,
    /// Namespace of the resource.
    pub namespace: String,
    /// Name of the resource.
    pub name: String,
    /// Version name (`v1`, `v2`, ...).
    pub version: String,
    /// Algorithm or recipe that produced the model.
    pub algorithm: String,
    /// Digest of the dataset objects the version was trained on.
    pub dataset_digest: String,
    /// When the manifest was written (RFC 3339).
    pub created: String,
    /// Every other file of the version.
    pub files: Vec<ArtifactFile>,
    /// Free-form facts for readers (forecast types, horizon, frequency, recipe, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, serde_json::Value>,
}
