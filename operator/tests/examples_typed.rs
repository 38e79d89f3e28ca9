//! Every manifest under `examples/` deserializes into the typed API with no field left
//! over: a misspelt or stale field in an example fails here, not in a user's cluster.

mod support;

use std::path::{Path, PathBuf};

use serde::{Deserialize, de::DeserializeOwned};
use support::repo_root;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Deserializes one document, collecting every field the types do not know. The kube
/// wrappers take `apiVersion` and `kind` as given (they are checked by the caller).
fn strict<T: DeserializeOwned>(doc: serde_yaml::Value) -> Result<T, String> {
    let mut unknown = Vec::new();
    let value = serde_ignored::deserialize(doc, |path| {
        let p = path.to_string();
        if p != "apiVersion" && p != "kind" {
            unknown.push(p);
        }
    })
    .map_err(|e| e.to_string())?;
    if unknown.is_empty() { Ok(value) } else { Err(format!("unknown fields: {}", unknown.join(", "))) }
}

#[test]
fn examples_deserialize_with_unknown_fields_denied() {
    let mut files = Vec::new();
    yaml_files(&repo_root().join("examples"), &mut files);
    files.sort();
    assert!(files.len() >= 6, "expected the example manifests, found {files:?}");
    let mut kinds = Vec::new();
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read example");
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let doc = match serde_yaml::Value::deserialize(doc) {
                Ok(d) => d,
                Err(e) => {
                    failures.push(format!("{}: {e}", file.display()));
                    continue;
                }
            };
            let kind = doc.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_string();
            if doc.get("apiVersion").and_then(|v| v.as_str()) != Some(seer_api::API_VERSION) {
                failures.push(format!("{}: apiVersion must be {}", file.display(), seer_api::API_VERSION));
            }
            let result = match kind.as_str() {
                "DatasetGroup" => strict::<seer_api::DatasetGroup>(doc).map(|_| ()),
                "Predictor" => strict::<seer_api::Predictor>(doc).map(|_| ()),
                "Solution" => strict::<seer_api::Solution>(doc).map(|_| ()),
                "Campaign" => strict::<seer_api::Campaign>(doc).map(|_| ()),
                other => Err(format!("unexpected kind {other:?}")),
            };
            if let Err(e) = result {
                failures.push(format!("{}: {e}", file.display()));
            }
            kinds.push(kind);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for kind in ["DatasetGroup", "Predictor", "Solution", "Campaign"] {
        assert!(kinds.iter().any(|k| k == kind), "no example of {kind}");
    }
}

#[test]
fn a_misspelt_field_is_reported() {
    let text = "apiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {name: x}\nspec:\n  datasetGroupRef: {name: d}\n  forecastHorizon: 7\n  forecastFrequency: D\n  forcastTypes: [\"0.5\"]\n";
    let doc: serde_yaml::Value = serde_yaml::from_str(text).expect("yaml");
    let err = strict::<seer_api::Predictor>(doc).expect_err("misspelt field must fail");
    assert!(err.contains("spec.forcastTypes"), "{err}");

    // Deeper down too, e.g. in a credentials reference.
    let text = "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {name: x}\nspec:\n  domain: RETAIL\n  datasets: [{type: TARGET_TIME_SERIES, uri: 's3://b/k'}]\n  s3: {credentialsSecretRef: {name: s, accessKeyIDKey: K}}\n";
    let doc: serde_yaml::Value = serde_yaml::from_str(text).expect("yaml");
    let err = strict::<seer_api::DatasetGroup>(doc).expect_err("misspelt nested field must fail");
    // (serde_ignored writes `?` for each Option level of the path)
    assert!(err.contains("credentialsSecretRef") && err.contains("accessKeyIDKey"), "{err}");
}
