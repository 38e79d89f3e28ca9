//! Helpers shared by the operator's integration tests.
#![allow(dead_code)] // each test binary uses its own subset

pub mod manifests;
pub mod validation_cases;

use std::{path::PathBuf, time::Duration};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{
    Api,
    api::{Patch, PatchParams},
};
use seer_testkit::cluster::wait_for;

/// The repository root (the workspace folder).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("operator crate sits in the workspace root").to_path_buf()
}

/// Every YAML document of a file, as JSON values.
pub fn yaml_documents(path: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| serde_json::Value::deserialize(doc).unwrap_or_else(|e| panic!("parse {}: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

use serde::Deserialize;

/// The committed CRDs under `crds/`, by kind, as JSON.
pub fn committed_crds() -> Vec<(String, serde_json::Value)> {
    let dir = repo_root().join("crds");
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    entries.sort();
    for path in entries {
        for doc in yaml_documents(&path) {
            let kind = doc["spec"]["names"]["kind"].as_str().expect("CRD has a kind").to_string();
            out.push((kind, doc));
        }
    }
    out
}

/// The openAPIV3Schema of a CRD document.
pub fn crd_schema(crd: &serde_json::Value) -> &serde_json::Value {
    &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
}

/// Installs the CRDs as `kubectl apply --server-side` would and waits until they are served.
pub async fn install_crds(client: &kube::Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for (_, crd) in seer_operator::crds::all() {
        let name = crd.metadata.name.clone().expect("CRD name");
        api.patch(&name, &PatchParams::apply("seer-tests").force(), &Patch::Apply(&crd))
            .await
            .unwrap_or_else(|e| panic!("install CRD {name}: {e}"));
        wait_for(&format!("CRD {name} to be established"), Duration::from_secs(30), || {
            let api = api.clone();
            let name = name.clone();
            async move {
                let crd = api.get(&name).await.ok()?;
                let established =
                    crd.status?.conditions?.iter().any(|c| c.type_ == "Established" && c.status == "True");
                established.then_some(())
            }
        })
        .await;
    }
}
