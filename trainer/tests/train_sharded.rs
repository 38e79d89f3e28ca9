//! `train --shard i/n` and `merge --shards n`: the shards together give the version one
//! unsharded `train` gives — the same forecasts, models and metrics — on a real
//! S3-compatible server and on a folder; a missing shard, or shards of another count, are
//! errors that name them, and nothing is written for them. With AUTO, whose global
//! candidate (BOOSTED_TREES) learns across the items of its shard only, the local
//! candidates' backtests are the same and the version has the same items and rows.

use std::{path::Path, process::Command};

use seer_api::artifact::ArtifactKind;
use seer_storage::{
    ObjectStore, ObjectUri, S3Settings,
    artifacts::{self, ArtifactLocation},
};
use seer_testkit::s3::S3Server;

/// 60 items over 10 weeks of days: seasonal ones at three levels of demand, trending ones,
/// and intermittent ones, so AUTO has velocity classes big enough to choose per class.
fn data() -> String {
    let mut s = String::from("item_id,store,timestamp,demand\n");
    let mut rng: u64 = 7;
    let mut next = || {
        rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (rng >> 11) as f64 / (1u64 << 53) as f64
    };
    for item in 0..60 {
        let level = [2.0, 20.0, 200.0][item % 3];
        for day in 0..70u64 {
            // Item 5 starts late: too short for the backtest, forecast with the fallback.
            if item == 5 && day < 60 {
                continue;
            }
            let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + chrono::Days::new(day);
            let week = [1.0, 1.1, 0.9, 1.0, 1.2, 1.8, 1.6][(day % 7) as usize];
            let v = match item % 4 {
                3 => {
                    if next() < 0.25 {
                        (1.0 + 4.0 * next()).round()
                    } else {
                        0.0
                    }
                }
                2 => (level * (1.0 + day as f64 / 70.0) + level * 0.2 * next()).round(),
                _ => (level * week * (0.8 + 0.4 * next())).round(),
            };
            s.push_str(&format!("item_{item},s{},{date},{v}\n", item % 2));
        }
    }
    s
}

fn manifests(data_uri: &str, s3: &str, spec_extra: &str) -> String {
    format!(
        "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {{name: shop, namespace: team-a}}\nspec:\n  domain: RETAIL\n{s3}  datasets:\n  - type: TARGET_TIME_SERIES\n    uri: {data_uri}\n    dataFrequency: D\n---\napiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {{name: demand, namespace: team-a}}\nspec:\n  datasetGroupRef: {{name: shop}}\n  forecastFrequency: D\n  forecastHorizon: 7\n  forecastTypes: [\"0.1\", \"0.5\", \"0.9\", mean]\n  forecastDimensions: [store]\n  backtest: {{windows: 2, export: true}}\n{spec_extra}"
    )
}

struct Trainer<'a> {
    manifest: &'a Path,
    root: &'a str,
    credentials: Option<&'a Path>,
}

impl Trainer<'_> {
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_seer-trainer"));
        cmd.args(args).arg("-f").arg(self.manifest).args(["--output", self.root]).env("SEER_PROGRESS", "off");
        if let Some(dir) = self.credentials {
            cmd.arg("--credentials-dir").arg(dir);
        }
        cmd.output().expect("run trainer")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// Two JSON documents equal, numbers to 1e-9 (relative).
fn assert_close(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => {
            let (x, y) = (x.as_f64().expect("f64"), y.as_f64().expect("f64"));
            assert!((x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0), "{path}: {x} vs {y}");
        }
        (Array(x), Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: lengths");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_close(x, y, &format!("{path}[{i}]"));
            }
        }
        (Object(x), Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{path}: keys");
            for (k, v) in x {
                assert_close(v, &y[k], &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

async fn sharded_equals_unsharded(store: &ObjectStore, trainer: &Trainer<'_>, root: &str, algorithm: &str) {
    let location = ArtifactLocation {
        root: ObjectUri::parse(root).expect("uri"),
        namespace: "team-a".into(),
        kind: ArtifactKind::Predictor,
        name: "demand".into(),
    };
    trainer.ok(&["train", "--version", "v1"]);

    // Shard 0 alone: not a version yet, and the merge names the missing shard.
    let out = trainer.ok(&["train", "--version", "v2", "--shard", "0/2"]);
    assert!(out.contains("\"index\": 0"), "{out}");
    assert!(artifacts::read_manifest(store, &location, "v2").await.is_err(), "no version before the merge");
    assert_eq!(artifacts::latest_version(store, &location).await.expect("latest").as_deref(), Some("v1"));
    let err = trainer.fails(&["merge", "--version", "v2", "--shards", "2"]);
    assert!(
        err.contains("1 of 2 shard(s) missing") && err.contains("1/2") && err.contains("v2/shards/1-of-2"),
        "{err}"
    );

    trainer.ok(&["train", "--version", "v2", "--shard", "1/2"]);
    // Merging with another count names the shards that do not fit.
    let err = trainer.fails(&["merge", "--version", "v2", "--shards", "3"]);
    assert!(err.contains("0-of-2, 1-of-2") && err.contains("--shards 3"), "{err}");
    assert!(artifacts::read_manifest(store, &location, "v2").await.is_err(), "nothing written by failed merges");

    let out = trainer.ok(&["merge", "--version", "v2", "--shards", "2"]);
    assert!(out.contains("\"version\": \"v2\""), "{out}");
    assert_eq!(artifacts::latest_version(store, &location).await.expect("latest").as_deref(), Some("v2"));
    let shards = ObjectUri::parse(&format!("{}/", location.shards_uri("v2"))).expect("uri");
    assert!(store.list(&shards).await.expect("list").is_empty(), "shards removed after the merge");

    let one = artifacts::load(store, &location, "v1").await.expect("v1");
    let two = artifacts::load(store, &location, "v2").await.expect("v2");
    assert_eq!(one.manifest.algorithm, algorithm);
    assert_eq!(two.manifest.algorithm, algorithm);
    assert_eq!(one.manifest.dataset_digest, two.manifest.dataset_digest);
    let csv =
        |a: &artifacts::LoadedArtifact| String::from_utf8(a.files["forecasts/forecasts.csv"].clone()).expect("csv");
    assert_eq!(csv(&one).lines().count(), 1 + 60 * 7);
    let json = |a: &artifacts::LoadedArtifact, f: &str| -> serde_json::Value {
        serde_json::from_slice(&a.files[f]).expect("json")
    };
    let (m1, m2) = (json(&one, "metrics.json"), json(&two, "metrics.json"));
    if algorithm == "AUTO" {
        // The global candidate of a shard learned from that shard's items: what depends on
        // it (the ensembles, the forecasts, AUTO's scores) is close, not the same. Everything
        // else is: the items and rows, and every local candidate's backtest.
        let keys = |a: &artifacts::LoadedArtifact| -> Vec<String> {
            csv(a).lines().map(|l| l.splitn(4, ',').take(3).collect::<Vec<_>>().join(",")).collect()
        };
        assert_eq!(keys(&one), keys(&two), "the same items and dates, in the same order");
        let (j1, j2) = (json(&one, "model.json"), json(&two, "model.json"));
        let ids = |j: &serde_json::Value| -> Vec<serde_json::Value> {
            j["items"].as_array().expect("items").iter().map(|i| i["itemId"].clone()).collect()
        };
        assert_eq!(ids(&j1), ids(&j2), "the same items");
        let results = |m: &serde_json::Value| -> Vec<serde_json::Value> {
            let all = m["PredictorEvaluationResults"].as_array().expect("results").clone();
            all.into_iter().filter(|r| !matches!(r["Algorithm"].as_str(), Some("AUTO" | "BOOSTED_TREES"))).collect()
        };
        let (r1, r2) = (results(&m1), results(&m2));
        assert_eq!(r1.len(), 11, "every local candidate: {m1}");
        assert_close(&serde_json::Value::Array(r1), &serde_json::Value::Array(r2), "local candidates");
        for f in ["backtest/forecasts.csv", "backtest/accuracy.csv"] {
            let lines = |a: &artifacts::LoadedArtifact| a.files[f].split(|b| *b == b'\n').count();
            assert_eq!(lines(&one), lines(&two), "{f}: the same rows");
        }
        return;
    }
    assert_eq!(csv(&one), csv(&two), "the same forecasts, in the same order");
    for f in ["backtest/forecasts.csv", "backtest/accuracy.csv"] {
        assert_eq!(one.files[f], two.files[f], "{f}: the merge exports the same backtests");
    }
    assert_eq!(one.files["model.json"], two.files["model.json"], "the same ensembles");
    assert_close(&m1, &m2, "metrics");
    assert!(m1["VelocityBreakdown"].as_array().is_some_and(|v| v.len() >= 3), "{m1}");
    assert_close(&one.manifest.properties["headlineMetrics"], &two.manifest.properties["headlineMetrics"], "headline");
}

#[tokio::test]
async fn auto_in_shards_on_a_real_s3_server_equals_one_run() {
    let server = S3Server::start();
    let store =
        ObjectStore::connect(&S3Settings::static_endpoint(&server.endpoint, &server.access_key, &server.secret_key))
            .await;
    for bucket in ["s3://data", "s3://artifacts"] {
        store.create_bucket(&ObjectUri::parse(bucket).expect("uri")).await.expect("bucket");
    }
    store.put(&ObjectUri::parse("s3://data/target.csv").expect("uri"), data().into_bytes()).await.expect("put");
    let dir = tempfile::tempdir().expect("tmp");
    let creds = dir.path().join("creds");
    std::fs::create_dir(&creds).expect("creds");
    std::fs::write(creds.join("AWS_ACCESS_KEY_ID"), &server.access_key).expect("key");
    std::fs::write(creds.join("AWS_SECRET_ACCESS_KEY"), &server.secret_key).expect("secret");
    let manifest = dir.path().join("m.yaml");
    let s3 = format!("  s3: {{endpoint: \"{}\", region: us-east-1}}\n", server.endpoint);
    std::fs::write(&manifest, manifests("s3://data/target.csv", &s3, "  algorithm: AUTO\n")).expect("manifest");
    let trainer = Trainer { manifest: &manifest, root: "s3://artifacts/seer", credentials: Some(&creds) };
    sharded_equals_unsharded(&store, &trainer, "s3://artifacts/seer", "AUTO").await;
}

#[tokio::test]
async fn a_single_algorithm_in_shards_on_a_folder_equals_one_run() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("target.csv"), data()).expect("data");
    let manifest = dir.path().join("m.yaml");
    let data_uri = format!("file://{}/target.csv", dir.path().display());
    std::fs::write(&manifest, manifests(&data_uri, "", "  algorithm: THETA\n")).expect("manifest");
    let root = format!("file://{}/artifacts", dir.path().display());
    let trainer = Trainer { manifest: &manifest, root: &root, credentials: None };
    let store = ObjectStore::connect(&S3Settings::default()).await;
    sharded_equals_unsharded(&store, &trainer, &root, "THETA").await;

    // Shards must agree with the files the merge is given.
    trainer.ok(&["train", "--version", "v3", "--shard", "0/1"]);
    let other = dir.path().join("other.yaml");
    std::fs::write(&other, manifests(&data_uri, "", "  algorithm: NPTS\n")).expect("manifest");
    let t2 = Trainer { manifest: &other, root: &root, credentials: None };
    let err = t2.fails(&["merge", "--version", "v3", "--shards", "1"]);
    assert!(err.contains("shard 0/1 disagrees on the algorithm"), "{err}");
    // --shard needs --version, and a well-formed i/n.
    let err = trainer.fails(&["train", "--shard", "0/2"]);
    assert!(err.contains("--version"), "{err}");
    let err = trainer.fails(&["train", "--version", "v4", "--shard", "2/2"]);
    assert!(err.contains("0 ≤ i < n"), "{err}");
    // A version name the store would refuse is refused before any training.
    for args in [&["train", "--version", "v4b"][..], &["merge", "--version", "latest", "--shards", "1"]] {
        let err = trainer.fails(args);
        assert!(err.contains("--version") && err.contains("version names are v1, v2"), "{err}");
    }
}

#[test]
fn shards_do_not_depend_on_row_order_and_may_be_empty() {
    // Unsharded on the rows as written; 5 shards (some empty) on the rows reversed.
    let dir = tempfile::tempdir().expect("tmp");
    let text = data();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let few: Vec<&str> = lines.into_iter().filter(|l| l.starts_with("item_1,") || l.starts_with("item_2,")).collect();
    std::fs::write(dir.path().join("a.csv"), format!("{header}\n{}\n", few.join("\n"))).expect("a");
    let reversed: Vec<&str> = few.iter().rev().copied().collect();
    std::fs::write(dir.path().join("b.csv"), format!("{header}\n{}\n", reversed.join("\n"))).expect("b");
    let root = format!("file://{}/artifacts", dir.path().display());
    let write_manifest = |name: &str, csv: &str| {
        let path = dir.path().join(name);
        let uri = format!("file://{}/{csv}", dir.path().display());
        std::fs::write(&path, manifests(&uri, "", "  algorithm: SEASONAL_NAIVE\n")).expect("manifest");
        path
    };
    let (ma, mb) = (write_manifest("a.yaml", "a.csv"), write_manifest("b.yaml", "b.csv"));
    let ta = Trainer { manifest: &ma, root: &root, credentials: None };
    let tb = Trainer { manifest: &mb, root: &root, credentials: None };
    ta.ok(&["train", "--version", "v1"]);
    // Two items in five shards: at least three shards are empty.
    for i in 0..5 {
        tb.ok(&["train", "--version", "v2", "--shard", &format!("{i}/5")]);
    }
    tb.ok(&["merge", "--version", "v2", "--shards", "5"]);
    let read = |v: &str, f: &str| {
        std::fs::read(dir.path().join(format!("artifacts/team-a/predictor/demand/{v}/{f}"))).expect(f)
    };
    assert_eq!(read("v1", "forecasts/forecasts.csv"), read("v2", "forecasts/forecasts.csv"));
    assert_eq!(read("v1", "model.json"), read("v2", "model.json"));
    let json = |v: &str| -> serde_json::Value { serde_json::from_slice(&read(v, "metrics.json")).expect("json") };
    assert_close(&json("v1"), &json("v2"), "metrics");

    // Data that changes between shards is refused by the merge, naming the digests.
    tb.ok(&["train", "--version", "v3", "--shard", "0/2"]);
    let mut more = std::fs::read_to_string(dir.path().join("b.csv")).expect("b");
    more.push_str("item_1,s1,2024-03-11,5\n");
    std::fs::write(dir.path().join("b.csv"), more).expect("b");
    tb.ok(&["train", "--version", "v3", "--shard", "1/2"]);
    let err = tb.fails(&["merge", "--version", "v3", "--shards", "2"]);
    assert!(err.contains("shard 1/2 disagrees on the dataset digest") && err.contains("(shard 0/2)"), "{err}");
}
