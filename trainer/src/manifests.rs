//! Reading the manifests a trainer is given: the same YAML a user would `kubectl apply`,
//! several documents per file allowed.

use std::path::Path;

use seer_api::{DatasetGroup, Predictor, Solution};
use seer_storage::ObjectUri;
use serde::Deserialize;

use crate::TrainerError;

/// The resources found in the given files.
#[derive(Debug, Default)]
pub struct Manifests {
    pub dataset_group: Option<DatasetGroup>,
    pub predictor: Option<Predictor>,
    pub solution: Option<Solution>,
}

impl Manifests {
    /// Reads every document of every file. Documents of other kinds (a Campaign, a Secret)
    /// are ignored; two of the same kind are an error, since it would be unclear which to use.
    pub fn read(files: &[impl AsRef<Path>]) -> Result<Manifests, TrainerError> {
        let mut out = Manifests::default();
        for file in files {
            let path = file.as_ref();
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| TrainerError::Manifest { file: name.clone(), message: format!("cannot read: {e}") })?;
            out.add_documents(&name, &text)?;
        }
        Ok(out)
    }

    /// Adds the documents of one YAML text (named `file` in errors).
    pub fn add_documents(&mut self, file: &str, text: &str) -> Result<(), TrainerError> {
        let err = |message: String| TrainerError::Manifest { file: file.to_string(), message };
        for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
            let value = serde_yaml::Value::deserialize(doc).map_err(|e| err(format!("document {}: {e}", i + 1)))?;
            if value.is_null() {
                continue;
            }
            let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_string();
            let api_version = value.get("apiVersion").and_then(|k| k.as_str()).unwrap_or_default();
            if api_version != seer_api::API_VERSION {
                continue;
            }
            let parse = |what: &str| format!("document {} ({what}): ", i + 1);
            match kind.as_str() {
                "DatasetGroup" => set_once(
                    &mut self.dataset_group,
                    serde_yaml::from_value(value).map_err(|e| err(format!("{}{e}", parse("DatasetGroup"))))?,
                    || err("more than one DatasetGroup".into()),
                )?,
                "Predictor" => set_once(
                    &mut self.predictor,
                    serde_yaml::from_value(value).map_err(|e| err(format!("{}{e}", parse("Predictor"))))?,
                    || err("more than one Predictor".into()),
                )?,
                "Solution" => set_once(
                    &mut self.solution,
                    serde_yaml::from_value(value).map_err(|e| err(format!("{}{e}", parse("Solution"))))?,
                    || err("more than one Solution".into()),
                )?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// Reads every `s3://BUCKET/KEY` dataset of the group from `ROOT/KEY` instead: the
/// documented way to run the example manifests (which name a bucket) against a local folder
/// or another bucket, e.g. `--data-root file://$PWD/examples`. `file://` datasets are kept.
pub fn rebase_datasets(group: &mut DatasetGroup, root: &str) -> Result<(), TrainerError> {
    let root = ObjectUri::parse(root.trim_end_matches('/')).map_err(TrainerError::from)?;
    for dataset in &mut group.spec.datasets {
        if let ObjectUri::S3 { key, .. } = ObjectUri::parse(&dataset.uri).map_err(TrainerError::from)? {
            dataset.uri = root.join(&key).to_string();
        }
    }
    Ok(())
}

fn set_once<T>(slot: &mut Option<T>, value: T, dup: impl FnOnce() -> TrainerError) -> Result<(), TrainerError> {
    if slot.is_some() {
        return Err(dup());
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kinds_and_names_bad_documents() {
        let mut m = Manifests::default();
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n---\napiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {name: d}\nspec:\n  domain: RETAIL\n  datasets: [{type: TARGET_TIME_SERIES, uri: 'file:///x.csv'}]\n";
        m.add_documents("a.yaml", text).unwrap();
        assert!(m.dataset_group.is_some());
        let bad = "apiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {name: p}\nspec: {forecastHorizon: 7}\n";
        let err = m.add_documents("b.yaml", bad).unwrap_err().to_string();
        assert!(err.starts_with("b.yaml: document 1 (Predictor):"), "{err}");
        assert!(err.contains("datasetGroupRef"), "{err}");
        let err = m.add_documents("c.yaml", text).unwrap_err().to_string();
        assert!(err.contains("more than one DatasetGroup"), "{err}");
    }

    #[test]
    fn data_root_replaces_the_bucket_of_s3_datasets_only() {
        let mut m = Manifests::default();
        let text = "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {name: d}\nspec:\n  domain: RETAIL\n  datasets:\n  - {type: TARGET_TIME_SERIES, uri: 's3://seer-examples/forecast/t.csv'}\n  - {type: RELATED_TIME_SERIES, uri: 's3://b/forecast/related/'}\n  - {type: ITEM_METADATA, uri: 'file:///data/items.csv'}\n";
        m.add_documents("a.yaml", text).unwrap();
        let mut group = m.dataset_group.unwrap();
        rebase_datasets(&mut group, "file:///home/me/examples/").unwrap();
        let uris: Vec<&str> = group.spec.datasets.iter().map(|d| d.uri.as_str()).collect();
        assert_eq!(
            uris,
            [
                "file:///home/me/examples/forecast/t.csv",
                "file:///home/me/examples/forecast/related/",
                "file:///data/items.csv"
            ]
        );
        let err = rebase_datasets(&mut group, "examples").unwrap_err().to_string();
        assert!(err.contains("examples") && err.contains("s3:// or file://"), "{err}");
    }
}
