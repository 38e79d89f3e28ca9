//! `seer-trainer train` with the global model (`BOOSTED_TREES`) on a folder: it reads the
//! related time series known in the horizon and the item metadata, and its forecast follows
//! them; a related value that does not fit its declared type is refused naming the file,
//! the line and the column, with nothing written.

use std::{path::Path, process::Command};

/// Whether item `item` is on promotion on day `day`: about one day in five, at no weekly
/// rhythm (a hash of the two), so that only the related column can tell.
fn promo(item: usize, day: u64) -> bool {
    let mut h = (item as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ day.wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 32;
    h.is_multiple_of(5)
}

const ITEMS: usize = 8;
const DAYS: u64 = 120;
const HORIZON: u64 = 14;

fn date(day: u64) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + chrono::Days::new(day)
}

/// Sales are 10 + 40·promo (plus a little noise) for items of two stores.
fn target() -> String {
    let mut s = String::from("item_id,store,timestamp,demand\n");
    for item in 0..ITEMS {
        for day in 0..DAYS {
            let noise = ((day * 7 + item as u64 * 3) % 5) as f64 * 0.2;
            let v = 10.0 + 40.0 * f64::from(u8::from(promo(item, day))) + noise;
            s.push_str(&format!("item_{item},s{},{},{v}\n", item % 2, date(day)));
        }
    }
    s
}

/// The promotions over the history and the horizon, with the price.
fn related() -> String {
    let mut s = String::from("item_id,store,timestamp,promo,price\n");
    for item in 0..ITEMS {
        for day in 0..DAYS + HORIZON {
            s.push_str(&format!("item_{item},s{},{},{},{}\n", item % 2, date(day), u8::from(promo(item, day)), 2.5));
        }
    }
    s
}

fn manifests(dir: &Path, related_name: &str) -> String {
    let d = dir.display();
    format!(
        "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {{name: shop, namespace: team-a}}\nspec:\n  domain: RETAIL\n  datasets:\n  - type: TARGET_TIME_SERIES\n    uri: file://{d}/target.csv\n  - type: RELATED_TIME_SERIES\n    uri: file://{d}/{related_name}\n    schema:\n      attributes:\n      - {{name: item_id, type: string}}\n      - {{name: store, type: string}}\n      - {{name: timestamp, type: timestamp}}\n      - {{name: promo, type: integer}}\n      - {{name: price, type: float}}\n  - type: ITEM_METADATA\n    uri: file://{d}/items.csv\n---\napiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {{name: demand, namespace: team-a}}\nspec:\n  datasetGroupRef: {{name: shop}}\n  forecastFrequency: D\n  forecastHorizon: {HORIZON}\n  forecastTypes: [\"0.1\", \"0.5\", \"0.9\"]\n  forecastDimensions: [store]\n  algorithm: BOOSTED_TREES\n  backtest: {{windows: 2}}\n"
    )
}

fn write_data(dir: &Path) {
    std::fs::write(dir.join("target.csv"), target()).expect("target");
    std::fs::write(dir.join("related.csv"), related()).expect("related");
    let mut items = String::from("item_id,category\n");
    for item in 0..ITEMS {
        items.push_str(&format!("item_{item},{}\n", ["toys", "garden"][item % 2]));
    }
    std::fs::write(dir.join("items.csv"), items).expect("items");
}

fn train(dir: &Path, manifest: &Path) -> std::process::Output {
    let root = format!("file://{}/artifacts", dir.display());
    Command::new(env!("CARGO_BIN_EXE_seer-trainer"))
        .args(["train", "--output", &root, "--version", "v1", "-f"])
        .arg(manifest)
        .output()
        .expect("run trainer")
}

#[test]
fn boosted_trees_forecast_follows_the_promotions_known_ahead() {
    let dir = tempfile::tempdir().expect("tmp");
    write_data(dir.path());
    let manifest = dir.path().join("m.yaml");
    std::fs::write(&manifest, manifests(dir.path(), "related.csv")).expect("manifest");
    let out = train(dir.path(), &manifest);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("related time series: 2 columns (promo, price) for 8/8 series"), "{stderr}");
    assert!(stderr.contains("item metadata: 1 attribute (category) for 8/8 series"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(summary["algorithm"], "BOOSTED_TREES");

    let version = dir.path().join("artifacts/team-a/predictor/demand/v1");
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(version.join("metrics.json")).expect("metrics")).expect("json");
    assert_eq!(metrics["PredictorEvaluationResults"][0]["Algorithm"], "BOOSTED_TREES", "{metrics}");
    let csv = std::fs::read_to_string(version.join("forecasts/forecasts.csv")).expect("export");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("item_id,store,date,p10,p50,p90"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), ITEMS * HORIZON as usize);
    for item in 0..ITEMS {
        let (mut on, mut off) = (Vec::new(), Vec::new());
        for step in 0..HORIZON {
            let day = DAYS + step;
            let id = format!("item_{item}");
            let label = date(day).to_string();
            let row = rows.iter().find(|r| r[0] == id && r[2] == label).expect("a row per item and day");
            let p50: f64 = row[4].parse().expect("p50");
            if promo(item, day) { on.push(p50) } else { off.push(p50) }
        }
        assert!(!on.is_empty() && !off.is_empty(), "item {item}: the horizon has days with and without promotion");
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        // 50 on promotion, 10 without: the forecast must tell them apart, every day.
        let lowest_on = on.iter().copied().fold(f64::INFINITY, f64::min);
        let highest_off = off.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(lowest_on > highest_off, "item {item}: promotion days {on:?}, others {off:?}");
        assert!(mean(&on) > 2.5 * mean(&off), "item {item}: promotion days {on:?}, others {off:?}");
    }
}

#[test]
fn a_related_value_that_is_not_a_number_is_refused_naming_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    write_data(dir.path());
    // Line 1 is the header: line 4 is item_0 on 2024-01-03; its promo becomes a word.
    let text = related();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines[3].starts_with("item_0,s0,2024-01-03,"), "{}", lines[3]);
    lines[3] = "item_0,s0,2024-01-03,yes,2.5".into();
    std::fs::write(dir.path().join("related-bad.csv"), lines.join("\n") + "\n").expect("bad");
    let manifest = dir.path().join("m.yaml");
    std::fs::write(&manifest, manifests(dir.path(), "related-bad.csv")).expect("manifest");
    let out = train(dir.path(), &manifest);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("related-bad.csv:4") && stderr.contains("column 'promo'") && stderr.contains("\"yes\""),
        "{stderr}"
    );
    assert!(!dir.path().join("artifacts").exists(), "nothing is written for refused input");
}

/// A new product: in the item metadata and the related time series (its promotions in the
/// horizon), not in the target. AUTO forecasts it with the global model alone, at the level
/// of the items of its category, higher on its promotion days.
#[test]
fn a_new_item_with_metadata_is_forecast_like_its_category() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let base = |item: usize| if item.is_multiple_of(2) { 40.0 } else { 8.0 };
    let mut target = String::from("item_id,timestamp,demand\n");
    let mut related = String::from("item_id,timestamp,promo\n");
    let mut items = String::from("item_id,category\n");
    for item in 0..ITEMS {
        items.push_str(&format!("item_{item},{}\n", ["toys", "garden"][item % 2]));
        for day in 0..DAYS + HORIZON {
            let on = promo(item, day);
            related.push_str(&format!("item_{item},{},{}\n", date(day), u8::from(on)));
            if day < DAYS {
                let noise = 1.0 + ((day * 7 + item as u64 * 3) % 5) as f64 * 0.02;
                let v = base(item) * (1.0 + 2.0 * f64::from(u8::from(on))) * noise;
                target.push_str(&format!("item_{item},{},{v}\n", date(day)));
            }
        }
    }
    items.push_str("item_new,toys\n");
    let new_promo = |day: u64| day == DAYS + 3 || day == DAYS + 10;
    for day in DAYS..DAYS + HORIZON {
        related.push_str(&format!("item_new,{},{}\n", date(day), u8::from(new_promo(day))));
    }
    std::fs::write(d.join("target.csv"), target).expect("target");
    std::fs::write(d.join("related.csv"), related).expect("related");
    std::fs::write(d.join("items.csv"), items).expect("items");
    let p = d.display();
    let manifest = d.join("m.yaml");
    std::fs::write(
        &manifest,
        format!(
            "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {{name: shop, namespace: team-a}}\nspec:\n  domain: RETAIL\n  datasets:\n  - {{type: TARGET_TIME_SERIES, uri: 'file://{p}/target.csv'}}\n  - {{type: RELATED_TIME_SERIES, uri: 'file://{p}/related.csv'}}\n  - {{type: ITEM_METADATA, uri: 'file://{p}/items.csv'}}\n---\napiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {{name: demand, namespace: team-a}}\nspec:\n  datasetGroupRef: {{name: shop}}\n  forecastFrequency: D\n  forecastHorizon: {HORIZON}\n  forecastTypes: [\"0.1\", \"0.5\", \"0.9\"]\n"
        ),
    )
    .expect("manifest");
    let out = train(d, &manifest);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("1 new items (in the item metadata, without history)"), "{stderr}");

    let version = d.join("artifacts/team-a/predictor/demand/v1");
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(version.join("model.json")).expect("model")).expect("json");
    let entry = model["items"].as_array().expect("items").iter().find(|i| i["itemId"] == "item_new").expect("listed");
    assert_eq!(entry["ensemble"], serde_json::json!([["BOOSTED_TREES", 1.0]]), "{entry}");
    let csv = std::fs::read_to_string(version.join("forecasts/forecasts.csv")).expect("export");
    let p50: Vec<(u64, f64)> = csv
        .lines()
        .filter(|l| l.starts_with("item_new,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let day = (DAYS..DAYS + HORIZON).find(|d| date(*d).to_string() == f[1]).expect("a horizon date");
            (day, f[3].parse::<f64>().expect("p50"))
        })
        .collect();
    assert_eq!(p50.len(), HORIZON as usize, "{csv}");
    let plain: Vec<f64> = p50.iter().filter(|(d, _)| !new_promo(*d)).map(|(_, v)| *v).collect();
    let level = plain.iter().sum::<f64>() / plain.len() as f64;
    // Toys sell about 40 a day without promotion, garden items 8.
    assert!((20.0..80.0).contains(&level), "new toy forecast at {level}: {p50:?}");
    for (day, v) in &p50 {
        if new_promo(*day) {
            assert!(*v > 1.5 * level, "promotion on day {day}: {v} against {level}: {p50:?}");
        }
    }
}
