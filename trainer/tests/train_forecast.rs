//! `seer-trainer train` for a Predictor, on a folder: a complete version (files, metrics,
//! forecasts for every item and step, manifest last, `latest`), the same digest `validate`
//! prints, values in small units written with their digits, and bad input refused with nothing
//! written.

use std::process::Command;

use seer_api::{artifact::ArtifactKind, metrics::ForecastMetrics};
use seer_storage::{
    ObjectStore, ObjectUri, S3Settings,
    artifacts::{self, ArtifactLocation},
};

/// Three items, 10 weeks of daily data with a weekly pattern (item c is intermittent).
fn data() -> String {
    let mut s = String::from("item_id,store,timestamp,demand\n");
    for day in 0..70 {
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + chrono::Days::new(day);
        let pattern = [5.0, 6.0, 7.0, 8.0, 9.0, 20.0, 22.0][(day % 7) as usize];
        s.push_str(&format!("a,s1,{date},{}\n", pattern));
        s.push_str(&format!("b,s1,{date},{}\n", pattern * 2.0 + (day % 3) as f64));
        s.push_str(&format!("c,s2,{date},{}\n", if day % 5 == 0 { 3 } else { 0 }));
    }
    s
}

fn manifests(data_uri: &str, spec_extra: &str) -> String {
    format!(
        "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {{name: shop, namespace: team-a}}\nspec:\n  domain: RETAIL\n  datasets:\n  - type: TARGET_TIME_SERIES\n    uri: {data_uri}\n    dataFrequency: D\n---\napiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {{name: demand, namespace: team-a}}\nspec:\n  datasetGroupRef: {{name: shop}}\n  forecastFrequency: D\n  forecastTypes: [\"0.1\", \"0.5\", \"0.9\", mean]\n  forecastDimensions: [store]\n{spec_extra}"
    )
}

/// Where the Predictor of [`manifests`] keeps its versions under `root`.
fn location(root: &str) -> ArtifactLocation {
    ArtifactLocation {
        root: ObjectUri::parse(root).expect("uri"),
        namespace: "team-a".into(),
        kind: ArtifactKind::Predictor,
        name: "demand".into(),
    }
}

fn run(args: &[&str], manifest: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_seer-trainer")).args(args).arg("-f").arg(manifest).output().expect("run trainer")
}

#[tokio::test]
async fn trains_a_complete_version() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("target.csv"), data()).expect("data");
    let manifest = dir.path().join("m.yaml");
    let data_uri = format!("file://{}/target.csv", dir.path().display());
    std::fs::write(
        &manifest,
        manifests(&data_uri, "  forecastHorizon: 7\n  algorithm: AUTO\n  backtest: {windows: 2}\n"),
    )
    .expect("manifest");
    let root = format!("file://{}/artifacts", dir.path().display());
    let out = run(&["train", "--output", &root, "--version", "v1"], &manifest);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(summary["version"], "v1");
    assert!(summary["metrics"]["AverageWeightedQuantileLoss"].as_f64().expect("wQL") >= 0.0);

    let store = ObjectStore::connect(&S3Settings::default()).await;
    let location = location(&root);
    assert_eq!(artifacts::latest_version(&store, &location).await.expect("latest").as_deref(), Some("v1"));
    let loaded = artifacts::load(&store, &location, "v1").await.expect("a complete, checked version");
    assert_eq!(loaded.manifest.algorithm, "AUTO");

    // The digest is the one `validate` prints.
    let validated = run(&["validate"], &manifest);
    let report: serde_json::Value = serde_json::from_slice(&validated.stdout).expect("validate JSON");
    assert_eq!(report["digest"], loaded.manifest.dataset_digest);

    let metrics: ForecastMetrics = serde_json::from_slice(&loaded.files["metrics.json"]).expect("metrics.json");
    assert_eq!(metrics.algorithm, "AUTO");
    assert_eq!(metrics.predictor_evaluation_results[0].algorithm, "AUTO");
    assert_eq!(metrics.predictor_evaluation_results[0].test_windows.len(), 3, "a summary and two windows");
    assert_eq!(metrics.summary.weighted_quantile_losses.len(), 3);
    // AUTO's score by velocity class, like a single algorithm's: every backtested item once.
    let classes: u64 = metrics.velocity_breakdown.iter().map(|v| v.item_count).sum();
    assert_eq!(classes, 3, "{:?}", metrics.velocity_breakdown);
    assert!(metrics.velocity_breakdown.iter().all(|v| v.metrics.weighted_quantile_losses.len() == 3));

    let csv = String::from_utf8(loaded.files["forecasts/forecasts.csv"].clone()).expect("utf-8");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("item_id,store,date,p10,p50,p90,mean"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3 * 7, "every item, every step");
    assert_eq!(rows[0][..3], ["a", "s1", "2024-03-11"], "the day after the data");
    for r in &rows {
        let q: Vec<f64> = r[3..6].iter().map(|v| v.parse().expect("number")).collect();
        assert!(q[0] <= q[1] && q[1] <= q[2], "quantiles in order: {r:?}");
    }
    // Item a repeats its week exactly: the p50 of a Saturday (2024-03-16) is about 20.
    let saturday = rows.iter().find(|r| r[0] == "a" && r[2] == "2024-03-16").expect("row");
    let p50: f64 = saturday[4].parse().expect("p50");
    assert!((p50 - 20.0).abs() < 2.0, "{saturday:?}");

    assert!(!loaded.files.keys().any(|f| f.starts_with("backtest/")), "no backtest export unless asked for");

    // A second version with the same name is refused; a new one moves `latest`.
    let again = run(&["train", "--output", &root, "--version", "v1"], &manifest);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[tokio::test]
async fn the_backtest_export_is_what_the_metrics_score() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("target.csv"), data()).expect("data");
    let manifest = dir.path().join("m.yaml");
    let data_uri = format!("file://{}/target.csv", dir.path().display());
    let spec = "  forecastHorizon: 7\n  algorithm: AUTO\n  backtest: {windows: 2, export: true}\n";
    std::fs::write(&manifest, manifests(&data_uri, spec)).expect("manifest");
    let root = format!("file://{}/artifacts", dir.path().display());
    let out = run(&["train", "--output", &root, "--version", "v1"], &manifest);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store = ObjectStore::connect(&S3Settings::default()).await;
    let location = location(&root);
    let loaded = artifacts::load(&store, &location, "v1").await.expect("a complete, checked version");
    let text = |f: &str| String::from_utf8(loaded.files[f].clone()).expect("utf-8");

    // Every item, both windows (oldest first), every step, beside the actual value.
    let csv = text("backtest/forecasts.csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("item_id,store,backtestwindow_start_time,backtestwindow_end_time,date,target_value,p10,p50,p90,mean")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3 * 2 * 7);
    assert_eq!(rows[0][..6], ["a", "s1", "2024-02-26", "2024-03-03", "2024-02-26", "5"]);
    assert_eq!(rows[13][..6], ["a", "s1", "2024-03-04", "2024-03-10", "2024-03-10", "22"]);
    assert_eq!(rows[14][..5], ["b", "s1", "2024-02-26", "2024-03-03", "2024-02-26"]);

    // They are the forecasts AUTO's headline metrics score: recomputed from the file, wQL[0.5]
    // and WAPE (of the mean) agree with metrics.json to the digits the file keeps.
    let number = |v: &str| v.parse::<f64>().expect("number");
    let (mut loss, mut abs_error, mut abs_actual) = (0.0, 0.0, 0.0);
    for r in &rows {
        let (y, p50, mean) = (number(r[5]), number(r[7]), number(r[9]));
        loss += 2.0 * 0.5 * (y - p50).abs();
        abs_error += (y - mean).abs();
        abs_actual += y.abs();
    }
    let metrics: ForecastMetrics = serde_json::from_slice(&loaded.files["metrics.json"]).expect("metrics.json");
    let wql50 = metrics.summary.weighted_quantile_losses.iter().find(|w| w.quantile == 0.5).expect("wQL[0.5]");
    assert!((loss / abs_actual - wql50.loss_value).abs() < 1e-5, "{} vs {}", loss / abs_actual, wql50.loss_value);
    let wape = metrics.summary.error_metrics.iter().find(|e| e.forecast_type == "mean").and_then(|e| e.wape);
    assert!((abs_error / abs_actual - wape.expect("WAPE")).abs() < 1e-5);

    // Each item's accuracy per window and over both.
    let csv = text("backtest/accuracy.csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "item_id,store,backtest_window,backtestwindow_start_time,backtestwindow_end_time,wQL[0.1],wQL[0.5],wQL[0.9],\
             Average wQL,WAPE,RMSE,MASE,MAPE"
        )
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let kinds: Vec<[&str; 5]> = rows.iter().map(|r| [r[0], r[1], r[2], r[3], r[4]]).collect();
    assert_eq!(
        kinds[..3],
        [
            ["a", "s1", "Computed", "2024-02-26", "2024-03-03"],
            ["a", "s1", "Computed", "2024-03-04", "2024-03-10"],
            ["a", "s1", "Summary", "2024-02-26", "2024-03-10"],
        ]
    );
    assert_eq!(rows.len(), 3 * 3);
    assert!(rows.iter().all(|r| r.len() == 13 && number(r[8]) >= 0.0), "{rows:?}");
}

#[tokio::test]
async fn spec_export_copies_the_forecasts_to_another_bucket_or_fails_the_version() {
    let server = seer_testkit::s3::S3Server::start();
    let s3 =
        ObjectStore::connect(&S3Settings::static_endpoint(&server.endpoint, &server.access_key, &server.secret_key))
            .await;
    s3.create_bucket(&ObjectUri::parse("s3://exports").expect("uri")).await.expect("bucket");
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("target.csv"), data()).expect("data");
    // The export's own Secret, as the operator mounts it: one file per key.
    let creds = dir.path().join("export-creds");
    std::fs::create_dir(&creds).expect("creds");
    std::fs::write(creds.join("AWS_ACCESS_KEY_ID"), &server.access_key).expect("key");
    std::fs::write(creds.join("AWS_SECRET_ACCESS_KEY"), &server.secret_key).expect("secret");
    let data_uri = format!("file://{}/target.csv", dir.path().display());
    let root = format!("file://{}/artifacts", dir.path().display());
    let store = ObjectStore::connect(&S3Settings::default()).await;
    let location = location(&root);
    let train = |creds: &std::path::Path, format: &str, version: &str| {
        let export = format!(
            "  export:\n    format: {format}\n    destination:\n      uri: s3://exports/demand\n      s3: {{endpoint: \"{}\", region: us-east-1, credentialsSecretRef: {{name: export-creds}}}}\n",
            server.endpoint
        );
        let manifest = dir.path().join(format!("{version}.yaml"));
        std::fs::write(&manifest, manifests(&data_uri, &format!("  forecastHorizon: 7\n  algorithm: ETS\n{export}")))
            .expect("manifest");
        Command::new(env!("CARGO_BIN_EXE_seer-trainer"))
            .args(["train", "--output", &root, "--version", version, "--export-credentials-dir"])
            .arg(creds)
            .arg("-f")
            .arg(&manifest)
            .output()
            .expect("run trainer")
    };

    // CSV: the version's own export, byte for byte, under <destination>/<version>/.
    let out = train(&creds, "CSV", "v1");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let own = artifacts::load(&store, &location, "v1").await.expect("v1").files["forecasts/forecasts.csv"].clone();
    let copy = s3.get(&ObjectUri::parse("s3://exports/demand/v1/forecasts.csv").expect("uri")).await.expect("copy");
    assert_eq!(copy, own);

    // Parquet: the same rows, typed.
    let out = train(&creds, "PARQUET", "v2");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes =
        s3.get(&ObjectUri::parse("s3://exports/demand/v2/forecasts.parquet").expect("uri")).await.expect("copy");
    let reader = parquet::file::reader::SerializedFileReader::new(bytes::Bytes::from(bytes)).expect("Parquet");
    use parquet::file::reader::FileReader as _;
    let rows: Vec<String> = reader
        .get_row_iter(None)
        .expect("rows")
        .map(|r| {
            let r = r.expect("row");
            let cells: Vec<String> =
                r.get_column_iter().map(|(_, v)| v.to_string().trim_matches('"').to_string()).collect();
            cells.join(",")
        })
        .collect();
    let own = String::from_utf8(
        artifacts::load(&store, &location, "v2").await.expect("v2").files["forecasts/forecasts.csv"].clone(),
    )
    .expect("utf-8");
    let own: Vec<&str> = own.lines().skip(1).collect();
    assert_eq!(rows.len(), own.len());
    for (p, c) in rows.iter().zip(&own) {
        let (p, c): (Vec<&str>, Vec<&str>) = (p.split(',').collect(), c.split(',').collect());
        assert_eq!(p[..3], c[..3], "item, store, date");
        for (x, y) in p[3..].iter().zip(&c[3..]) {
            let (x, y): (f64, f64) = (x.parse().expect("number"), y.parse().expect("number"));
            assert!((x - y).abs() <= 1e-6 * x.abs().max(1.0), "{p:?} vs {c:?}");
        }
    }

    // A destination that refuses the write (a wrong secret key) fails the version: nothing is
    // left of it.
    let wrong = dir.path().join("wrong-creds");
    std::fs::create_dir(&wrong).expect("creds");
    std::fs::write(wrong.join("AWS_ACCESS_KEY_ID"), &server.access_key).expect("key");
    std::fs::write(wrong.join("AWS_SECRET_ACCESS_KEY"), "not-the-secret").expect("secret");
    let out = train(&wrong, "CSV", "v3");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("spec.export: cannot write s3://exports/demand/v3/forecasts.csv"), "{err}");
    assert!(artifacts::read_manifest(&store, &location, "v3").await.is_err(), "no v3");
    assert_eq!(artifacts::latest_version(&store, &location).await.expect("latest").as_deref(), Some("v2"));
}

#[test]
fn a_series_in_small_units_keeps_its_digits() {
    // Rates around 1e-5: the export used to round every value to four decimals, writing zeros.
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::from("item_id,store,timestamp,demand\n");
    for day in 0..70 {
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + chrono::Days::new(day);
        let pattern = [5.0, 6.0, 7.0, 8.0, 9.0, 20.0, 22.0][(day % 7) as usize];
        text.push_str(&format!("a,s1,{date},{:e}\n", pattern * 1e-6));
    }
    std::fs::write(dir.path().join("target.csv"), text).expect("data");
    let manifest = dir.path().join("m.yaml");
    let data_uri = format!("file://{}/target.csv", dir.path().display());
    std::fs::write(&manifest, manifests(&data_uri, "  forecastHorizon: 7\n  algorithm: SEASONAL_NAIVE\n"))
        .expect("manifest");
    let root = dir.path().join("artifacts");
    let out = run(&["train", "--output", &format!("file://{}", root.display()), "--version", "v1"], &manifest);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let folder = root.join("team-a/predictor/demand/v1");
    let csv = std::fs::read_to_string(folder.join("forecasts/forecasts.csv")).expect("export");
    // The Saturday (2024-03-16) repeats the last one: 2e-5, in every column.
    let saturday = csv.lines().find(|l| l.starts_with("a,s1,2024-03-16,")).expect("row");
    let mean: f64 = saturday.rsplit(',').next().and_then(|v| v.parse().ok()).expect("mean");
    assert!((mean - 2e-5).abs() < 1e-12, "{saturday}");
    let history = std::fs::read_to_string(folder.join("history.csv")).expect("history");
    assert!(history.lines().any(|l| l == "a,s1,2024-03-09,0.00002"), "{history}");
}

#[test]
fn bad_input_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("target.csv"), data()).expect("data");
    let data_uri = format!("file://{}/target.csv", dir.path().display());
    let root = format!("file://{}/artifacts", dir.path().display());
    let cases = [
        (
            "  forecastHorizon: 40\n  algorithm: SEASONAL_NAIVE\n  backtest: {windows: 2}\n",
            "too long for a history of 70 points",
        ),
        ("  forecastHorizon: 7\n  algorithm: DEEPAR\n", "not available in this version"),
        ("  forecastHorizon: 7\n  forecastDimensions: [region]\n", "forecastDimensions names 'region'"),
        ("  forecastHorizon: 7\n  algorithmParameters: {seasonality: weekly}\n", "seasonality"),
    ];
    for (i, (extra, want)) in cases.iter().enumerate() {
        let manifest = dir.path().join(format!("m{i}.yaml"));
        let mut text = manifests(&data_uri, extra);
        if extra.contains("forecastDimensions") {
            text = text.replacen("  forecastDimensions: [store]\n", "", 1);
        }
        std::fs::write(&manifest, text).expect("manifest");
        let out = run(&["train", "--output", &root, "--version", "v1"], &manifest);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(want), "case {i}: {err}");
    }
    assert!(!dir.path().join("artifacts").exists(), "nothing is written for refused input");
}
