//! `seer-trainer train` for a Solution: on a real S3-compatible server, the example shop data
//! gives a complete version (model files that load back, Personalize's metrics, manifest last);
//! events the inference servers logged are read with the dataset; the event filter and bad
//! input are honoured with nothing written.

use std::path::{Path, PathBuf};
use std::process::Command;

use seer_api::{DatasetGroup, Solution, artifact::ArtifactKind, metrics::RecommendationMetrics};
use seer_models::recommend::TrainedModel;
use seer_storage::{
    ObjectStore, ObjectUri, S3Settings,
    artifacts::{self, ArtifactLocation},
    events::{EVENT_LOG_HEADER, event_log_uri, event_part_uri},
};
use seer_testkit::s3::S3Server;
use seer_trainer::{manifests::Manifests, train_forecast::Destination, train_recommend};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/recommendations")
}

fn manifests(data: &str, solution_extra: &str) -> String {
    format!(
        "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {{name: shop, namespace: team-a}}\nspec:\n  domain: ECOMMERCE\n  datasets:\n  - type: INTERACTIONS\n    uri: {data}/interactions.csv\n    timestampFormat: epoch\n  - type: ITEMS\n    uri: {data}/items.csv\n  - type: USERS\n    uri: {data}/users.csv\n---\napiVersion: seer.dev/v1alpha1\nkind: Solution\nmetadata: {{name: for-you, namespace: team-a}}\nspec:\n  datasetGroupRef: {{name: shop}}\n  recipe: USER_PERSONALIZATION\n  recipeParameters: {{hiddenDimension: 16, iterations: 5}}\n{solution_extra}"
    )
}

fn parse(yaml: &str) -> (DatasetGroup, Solution) {
    let mut m = Manifests::default();
    m.add_documents("test.yaml", yaml).expect("manifests");
    (m.dataset_group.expect("group"), m.solution.expect("solution"))
}

fn location(root: &str) -> ArtifactLocation {
    ArtifactLocation {
        root: ObjectUri::parse(root).expect("uri"),
        namespace: "team-a".into(),
        kind: ArtifactKind::Solution,
        name: "for-you".into(),
    }
}

#[tokio::test]
async fn trains_a_solution_from_s3_and_learns_from_logged_events() {
    let server = S3Server::start();
    let store =
        ObjectStore::connect(&S3Settings::static_endpoint(&server.endpoint, &server.access_key, &server.secret_key))
            .await;
    for bucket in ["s3://shop-data", "s3://seer-artifacts"] {
        store.create_bucket(&ObjectUri::parse(bucket).expect("uri")).await.expect("bucket");
    }
    for file in ["interactions.csv", "items.csv", "users.csv"] {
        let bytes = std::fs::read(examples().join(file)).expect("example data");
        store.put(&ObjectUri::parse(&format!("s3://shop-data/{file}")).expect("uri"), bytes).await.expect("put");
    }
    let (group, solution) = parse(&manifests("s3://shop-data", ""));
    let root = "s3://seer-artifacts";
    let destination = Destination::new(ObjectUri::parse(root).expect("uri"), "v1");
    let manifest = train_recommend::train(&store, &group, &solution, &destination).await.expect("train");
    assert_eq!(manifest.algorithm, "USER_PERSONALIZATION");

    let loc = location(root);
    assert_eq!(artifacts::latest_version(&store, &loc).await.expect("latest").as_deref(), Some("v1"));
    let loaded = artifacts::load(&store, &loc, "v1").await.expect("a complete, checked version");
    let metrics: RecommendationMetrics = serde_json::from_slice(&loaded.files["metrics.json"]).expect("metrics.json");
    assert!(metrics.normalized_discounted_cumulative_gain_at_10 > 0.0, "{metrics:?}");
    assert!(metrics.coverage > 0.0 && metrics.coverage <= 1.0);
    assert_eq!(metrics.extra["ingest"]["loggedEvents"], 0);
    // No schema declared: the header's CREATION_TIMESTAMP is still read as Unix seconds.
    assert_eq!(metrics.extra["ingest"]["itemsWithCreationTimestamp"], 240);
    let files: Vec<(String, Vec<u8>)> = loaded.files.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let model = TrainedModel::load(&files).expect("the model files load back");
    assert_eq!(model.items().len(), 240, "every item of items.csv is in the catalog");

    // The servers' event log is read with the dataset at the next training.
    let log = event_log_uri(&ObjectUri::parse(root).expect("uri"), "team-a", "for-you");
    let part = format!("{EVENT_LOG_HEADER}\nnew-user,i0001,1767400000,purchase,1\nnew-user,i0002,1767400100,view,\n");
    store.put(&event_part_uri(&log, "2026-01-03", "0001"), part.into_bytes()).await.expect("put part");
    let destination = Destination::new(ObjectUri::parse(root).expect("uri"), "v2");
    train_recommend::train(&store, &group, &solution, &destination).await.expect("train v2");
    let loaded = artifacts::load(&store, &loc, "v2").await.expect("v2");
    let metrics: RecommendationMetrics = serde_json::from_slice(&loaded.files["metrics.json"]).expect("metrics.json");
    assert_eq!(metrics.extra["ingest"]["loggedEvents"], 2);
    let files: Vec<(String, Vec<u8>)> = loaded.files.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let model = TrainedModel::load(&files).expect("v2 loads");
    assert!(model.users().get("new-user").is_some(), "the logged user is known to the new version");
}

#[tokio::test]
async fn event_filter_keeps_only_the_named_types_and_values() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = format!("file://{}", examples().canonicalize().expect("examples").display());
    let root = format!("file://{}/artifacts", dir.path().display());
    let store = ObjectStore::connect(&S3Settings::default()).await;
    let (group, solution) = parse(&manifests(&data, "  eventFilter: {eventTypes: [purchase]}\n"));
    let destination = Destination::new(ObjectUri::parse(&root).expect("uri"), "v1");
    train_recommend::train(&store, &group, &solution, &destination).await.expect("train");
    let loaded = artifacts::load(&store, &location(&root), "v1").await.expect("v1");
    let metrics: RecommendationMetrics = serde_json::from_slice(&loaded.files["metrics.json"]).expect("metrics");
    let ingest = &metrics.extra["ingest"];
    let skipped = ingest["skipped"]["EVENT_TYPE not in eventFilter.eventTypes"].as_u64().expect("skipped views");
    assert!(skipped > 0);
    assert_eq!(ingest["kept"].as_u64().expect("kept") + skipped, ingest["interactions"].as_u64().expect("read"));

    // A threshold no event reaches leaves nothing to train on: an error, and no version.
    let (group, solution) = parse(&manifests(&data, "  eventFilter: {eventValueThreshold: 1000000}\n"));
    let destination = Destination::new(ObjectUri::parse(&root).expect("uri"), "v2");
    let err = train_recommend::train(&store, &group, &solution, &destination).await.expect_err("nothing kept");
    let text = err.to_string();
    assert!(text.contains("interactions.csv") && text.contains("no interactions to train on"), "{text}");
    assert!(artifacts::read_manifest(&store, &location(&root), "v2").await.is_err(), "no v2 written");
}

#[test]
fn the_binary_trains_a_solution_and_reports_bad_input_in_the_termination_log() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = format!("file://{}", examples().canonicalize().expect("examples").display());
    let manifest = dir.path().join("m.yaml");
    std::fs::write(
        &manifest,
        manifests(&data, "  recipe: SIMILAR_ITEMS\n").replace("  recipe: USER_PERSONALIZATION\n", ""),
    )
    .expect("manifest");
    let root = format!("file://{}/artifacts", dir.path().display());
    let bin = env!("CARGO_BIN_EXE_seer-trainer");
    let out = Command::new(bin)
        .args(["train", "--output", &root, "--version", "v1", "-f"])
        .arg(&manifest)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(summary["algorithm"], "SIMILAR_ITEMS");
    assert!(summary["metrics"]["normalized_discounted_cumulative_gain_at_10"].as_f64().is_some());

    // A malformed interactions file: the reason names file, line and column, and no version exists.
    std::fs::write(dir.path().join("interactions.csv"), "USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,yesterday\n").expect("bad");
    for f in ["items.csv", "users.csv"] {
        std::fs::copy(examples().join(f), dir.path().join(f)).expect("copy");
    }
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, manifests(&format!("file://{}", dir.path().display()), "")).expect("manifest");
    let log = dir.path().join("termination-log");
    std::fs::write(&log, "").expect("log");
    let out = Command::new(bin)
        .args(["train", "--output", &root, "--version", "v2", "-f"])
        .arg(&bad)
        .env("SEER_TERMINATION_LOG", &log)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let reason = std::fs::read_to_string(&log).expect("log");
    assert!(reason.contains("interactions.csv:2") && reason.contains("TIMESTAMP"), "{reason}");
    assert!(!dir.path().join("artifacts/team-a/solution/for-you/v2/manifest.json").exists());
}

#[tokio::test]
async fn timestamps_in_milliseconds_are_an_error_naming_line_column_and_unit() {
    // Date.now() in an export: milliseconds, which read as seconds would be the year 55,000.
    let dir = tempfile::tempdir().expect("tmp");
    let store = ObjectStore::connect(&S3Settings::default()).await;
    let root = format!("file://{}/artifacts", dir.path().display());
    let data = format!("file://{}", dir.path().display());
    let copy = |f: &str| std::fs::copy(examples().join(f), dir.path().join(f)).expect("copy");
    copy("users.csv");
    copy("items.csv");
    std::fs::write(
        dir.path().join("interactions.csv"),
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\nu0060,i0116,1767271330,view,1\nu0059,i0212,1767335150000,view,1\n",
    )
    .expect("interactions");
    let (group, solution) = parse(&manifests(&data, ""));
    let destination = Destination::new(ObjectUri::parse(&root).expect("uri"), "v1");
    let err = train_recommend::train(&store, &group, &solution, &destination).await.expect_err("milliseconds");
    let text = err.to_string();
    for want in ["interactions.csv:3", "column 'TIMESTAMP'", "1767335150000 read as Unix seconds", "milliseconds"] {
        assert!(text.contains(want), "{text:?} should contain {want:?}");
    }

    // The items' CREATION_TIMESTAMP (a plain long in Personalize's schema) is checked alike.
    copy("interactions.csv");
    let items = std::fs::read_to_string(examples().join("items.csv")).expect("items");
    let items = items.replacen(",1741699129\n", ",1741699129000\n", 1);
    std::fs::write(dir.path().join("items.csv"), items).expect("items");
    let err = train_recommend::train(&store, &group, &solution, &destination).await.expect_err("milliseconds");
    let text = err.to_string();
    for want in ["items.csv:2", "column 'CREATION_TIMESTAMP'", "1741699129000 read as Unix seconds", "milliseconds"] {
        assert!(text.contains(want), "{text:?} should contain {want:?}");
    }
    assert!(artifacts::read_manifest(&store, &location(&root), "v1").await.is_err(), "no version written");
}
