//! Every manifest a user may copy — the files under `examples/` and the whole manifests in
//! the Markdown of `docs/` and the READMEs (see `support::manifests`) — deserializes into the
//! typed API with no field left over: a misspelt or stale field fails here, not in a user's
//! cluster.

mod support;

use serde::de::DeserializeOwned;
use support::{manifests, repo_root};

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
fn examples_and_docs_manifests_deserialize_with_unknown_fields_denied() {
    let all = manifests::all(&repo_root());
    let from_examples = all.iter().filter(|m| m.source.starts_with("examples/")).count();
    assert!(from_examples >= 6, "expected the example manifests, found {from_examples}");
    let mut kinds = Vec::new();
    let mut failures = Vec::new();
    for m in all {
        let doc = match m.parsed {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{}: {e}", m.source));
                continue;
            }
        };
        let kind = doc.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_string();
        if doc.get("apiVersion").and_then(|v| v.as_str()) != Some(seer_api::API_VERSION) {
            failures.push(format!("{}: apiVersion must be {}", m.source, seer_api::API_VERSION));
        }
        if doc.get("metadata").and_then(|md| md.get("name")).and_then(|n| n.as_str()).is_none() {
            failures.push(format!("{}: metadata.name is missing", m.source));
        }
        let result = match kind.as_str() {
            "DatasetGroup" => strict::<seer_api::DatasetGroup>(doc).map(|_| ()),
            "Predictor" => strict::<seer_api::Predictor>(doc).map(|_| ()),
            "Solution" => strict::<seer_api::Solution>(doc).map(|_| ()),
            "Campaign" => strict::<seer_api::Campaign>(doc).map(|_| ()),
            other => Err(format!("unexpected kind {other:?}")),
        };
        if let Err(e) = result {
            failures.push(format!("{}: {e}", m.source));
        }
        kinds.push(kind);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for kind in ["DatasetGroup", "Predictor", "Solution", "Campaign"] {
        assert!(kinds.iter().any(|k| k == kind), "no example of {kind}");
    }
}

#[test]
fn markdown_blocks_with_seer_objects_only() {
    let md = "text\n```yaml\napiVersion: seer.dev/v1alpha1\nkind: Campaign\n```\n```yaml\nspec: {}\n```\n```sh\napiVersion: seer.dev/x\n```\n";
    let blocks = manifests::markdown_yaml_blocks(md);
    assert_eq!(blocks, vec![(2, "apiVersion: seer.dev/v1alpha1\nkind: Campaign\n".to_string())]);
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
