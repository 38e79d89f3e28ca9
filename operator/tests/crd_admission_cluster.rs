//! The CRDs on a real kube-apiserver: they install, and every admission case of
//! `tests/validation/cases.yaml` (the same the local CEL test reads) gets the same answer
//! from the server as a dry run — including the OpenAPI checks (`serverOnly` cases) and the
//! CEL cost limits that only the server applies; and every manifest of `examples/`, `docs/`
//! and the READMEs is accepted as written.
//!
//! Needs the control-plane tier: `tests/cluster/up.sh --control-plane-only`, then
//! `cargo test -p seer-operator --test crd_admission_cluster -- --ignored` (`make cluster-test`).

mod support;

use kube::{
    Api,
    api::{ApiResource, DynamicObject, GroupVersionKind, PostParams},
};
use seer_testkit::cluster::{TestNamespace, client};
use support::{install_crds, manifests, repo_root, validation_cases};

fn resource(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(seer_api::GROUP, seer_api::VERSION, kind))
}

#[tokio::test]
#[ignore = "needs the local cluster: tests/cluster/up.sh --control-plane-only"]
async fn admission_cases_on_a_real_api_server() {
    let client = client().await;
    install_crds(&client).await;
    let ns = TestNamespace::create(client.clone(), "seer-admission").await;
    let cases = validation_cases::load(&repo_root());
    let mut failures = Vec::new();

    for (i, case) in cases.iter().enumerate() {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns.name, &resource(case.kind()));
        let name = format!("case-{i}");
        let with_name = |v: &serde_json::Value| -> DynamicObject {
            let mut v = v.clone();
            v["metadata"] = serde_json::json!({"name": name, "namespace": ns.name});
            serde_json::from_value(v).expect("case is a Kubernetes object")
        };
        let dry_run = PostParams { dry_run: true, ..Default::default() };
        let result = match &case.old {
            None => api.create(&dry_run, &with_name(&case.object)).await,
            Some(old) => {
                let created = match api.create(&PostParams::default(), &with_name(old)).await {
                    Ok(o) => o,
                    Err(e) => {
                        failures.push(format!("{}: the old object was refused: {e}", case.name));
                        continue;
                    }
                };
                let mut new = with_name(&case.object);
                new.metadata.resource_version = created.metadata.resource_version.clone();
                api.replace(&name, &dry_run, &new).await
            }
        };
        match (&case.reject, result) {
            (None, Ok(_)) => {}
            (None, Err(e)) => failures.push(format!("{}: expected acceptance, got {e}", case.name)),
            (Some(want), Ok(_)) => {
                failures.push(format!("{}: expected rejection at {}, was accepted", case.name, want.field))
            }
            (Some(want), Err(kube::Error::Api(status))) => {
                let msg = &status.message;
                if status.code != 422 || !msg.contains(&format!("{}: ", want.field)) || !msg.contains(&want.message) {
                    failures.push(format!(
                        "{}: expected 422 at {} with {:?}, got {} {msg}",
                        case.name, want.field, want.message, status.code
                    ));
                }
            }
            (Some(_), Err(e)) => failures.push(format!("{}: unexpected error {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ on the API server:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Every manifest of `examples/`, `docs/` and the READMEs (`support::manifests`) is accepted
/// by the API server as it is written (a dry-run create in a test namespace; the examples
/// are also applied for real by `tests/e2e/examples.sh`).
#[tokio::test]
#[ignore = "needs the local cluster: tests/cluster/up.sh --control-plane-only"]
async fn every_manifest_of_examples_and_docs_is_accepted() {
    let client = client().await;
    install_crds(&client).await;
    let ns = TestNamespace::create(client.clone(), "seer-manifests").await;
    let all = manifests::all(&repo_root());
    assert!(all.iter().any(|m| m.source.starts_with("docs/")), "no manifest found under docs/");
    let mut failures = Vec::new();
    for m in &all {
        let doc = match &m.parsed {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{}: {e}", m.source));
                continue;
            }
        };
        let mut v = serde_json::to_value(doc).expect("YAML maps to JSON");
        v["metadata"]["namespace"] = serde_json::json!(ns.name);
        let kind = v["kind"].as_str().unwrap_or_default().to_string();
        let object: DynamicObject = match serde_json::from_value(v) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{}: not a Kubernetes object: {e}", m.source));
                continue;
            }
        };
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns.name, &resource(&kind));
        if let Err(e) = api.create(&PostParams { dry_run: true, ..Default::default() }, &object).await {
            failures.push(format!("{}: refused: {e}", m.source));
        }
    }
    assert!(failures.is_empty(), "{} of {} manifests refused:\n{}", failures.len(), all.len(), failures.join("\n"));
}
