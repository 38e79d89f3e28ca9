//! `seer-trainer validate` on real storage: a folder and a real S3-compatible server, CSV,
//! gzip and Parquet, one file or a prefix — and every kind of bad input answered with the
//! file, line and column.

use std::{io::Write, path::Path, process::Command, sync::Arc};

use seer_storage::{ObjectStore, ObjectUri, S3Settings};
use seer_testkit::s3::S3Server;
use seer_trainer::{manifests::Manifests, validate::validate};

const TARGET_CSV: &str = "item_id,timestamp,demand\na,2024-01-01,1\na,2024-01-02,2\nb,2024-01-01,\nb,2024-01-03,4.5\n";

fn group(uri: &str, extra: &str) -> String {
    format!(
        "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {{name: g}}\nspec:\n  domain: RETAIL\n  datasets:\n  - type: TARGET_TIME_SERIES\n    uri: {uri}\n{extra}"
    )
}

async fn run_validate(yaml: &str, store: &ObjectStore) -> Result<seer_trainer::validate::ValidationReport, String> {
    let mut m = Manifests::default();
    m.add_documents("test.yaml", yaml).map_err(|e| e.to_string())?;
    validate(store, m.dataset_group.as_ref().expect("group")).await.map_err(|e| e.to_string())
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, data).expect("write");
    format!("file://{}", path.display())
}

async fn local_store() -> ObjectStore {
    ObjectStore::connect(&S3Settings::default()).await
}

#[tokio::test]
async fn counts_rows_items_and_time_range_from_a_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let uri = write(dir.path(), "t.csv", TARGET_CSV.as_bytes());
    let report = run_validate(&group(&uri, ""), &local_store().await).await.expect("valid");
    let d = &report.datasets[0];
    assert_eq!((d.rows, d.items, d.objects), (4, Some(2), 1));
    assert_eq!(d.start_time.as_deref(), Some("2024-01-01T00:00:00Z"));
    assert_eq!(d.end_time.as_deref(), Some("2024-01-03T00:00:00Z"));
    assert!(report.digest.starts_with("sha256:"));
}

#[tokio::test]
async fn a_spreadsheets_trailing_empty_columns_are_read_past() {
    // "a,b,c,," from a spreadsheet: unnamed columns, not one column named twice.
    let dir = tempfile::tempdir().expect("tmp");
    let uri = write(dir.path(), "t.csv", b"item_id,timestamp,demand,,\na,2024-01-01,1,,\na,2024-01-02,2,,\n");
    let report = run_validate(&group(&uri, ""), &local_store().await).await.expect("valid");
    assert_eq!((report.datasets[0].rows, report.datasets[0].items), (2, Some(1)));
}

#[tokio::test]
async fn named_time_zones_follow_daylight_saving() {
    // Hourly local times in Los Angeles around the spring-forward night (2024-03-10, 02:00
    // PST becomes 03:00 PDT) and on the fall-back night (2024-11-03, 01:00 happens twice).
    let dir = tempfile::tempdir().expect("tmp");
    let csv = "item_id,timestamp,demand\na,2024-03-10 01:00:00,1\na,2024-03-10 03:00:00,2\na,2024-11-03 01:30:00,3\n";
    let uri = write(dir.path(), "la.csv", csv.as_bytes());
    let extra = "    timestampFormat: yyyy-MM-dd HH:mm:ss\n    timeZone: America/Los_Angeles\n";
    let report = run_validate(&group(&uri, extra), &local_store().await).await.expect("valid");
    let d = &report.datasets[0];
    // 01:00 PST is 09:00 UTC; 01:30 on the fall-back night is the first one, PDT: 08:30 UTC.
    assert_eq!(d.start_time.as_deref(), Some("2024-03-10T09:00:00Z"));
    assert_eq!(d.end_time.as_deref(), Some("2024-11-03T08:30:00Z"));

    let err = run_validate(&group(&uri, "    timeZone: America/Springfield\n"), &local_store().await)
        .await
        .expect_err("unknown zone");
    assert!(err.contains("la.csv") && err.contains("timeZone: unknown time zone \"America/Springfield\""), "{err}");
}

#[tokio::test]
async fn reads_a_prefix_of_gzip_parts_and_skips_rows_without_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"item_id,timestamp,demand\nc,2024-01-05,7\n,2024-01-06,1\n").expect("gzip");
    write(dir.path(), "parts/part-0.csv", TARGET_CSV.as_bytes());
    write(dir.path(), "parts/part-1.csv.gz", &gz.finish().expect("gzip"));
    write(dir.path(), "parts/_SUCCESS", b"");
    let uri = format!("file://{}/parts/", dir.path().display());
    let report = run_validate(&group(&uri, ""), &local_store().await).await.expect("valid");
    let d = &report.datasets[0];
    assert_eq!((d.objects, d.rows, d.items, d.skipped_rows), (2, 5, Some(3), 1));
    assert_eq!(d.skipped_reasons.get("missing item_id"), Some(&1));
}

#[tokio::test]
async fn bad_input_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = local_store().await;
    let cases: &[(&str, &[u8], &str, &[&str])] = &[
        (
            "nonnumeric.csv",
            b"item_id,timestamp,demand\na,2024-01-01,1\na,2024-01-02,lots\n",
            "",
            &[":3", "column 'demand'", "expected a number, found \"lots\""],
        ),
        (
            "badtime.csv",
            b"item_id,timestamp,demand\na,01/02/2024,1\n",
            "",
            &[":2", "column 'timestamp'", "cannot read \"01/02/2024\""],
        ),
        (
            "missingcol.csv",
            b"item_id,timestamp,sales\na,2024-01-01,1\n",
            "",
            &[":1", "missing column 'demand'", "item_id, timestamp, sales"],
        ),
        ("empty.csv", b"", "", &["empty.csv", "the file is empty"]),
        ("headeronly.csv", b"item_id,timestamp,demand\n", "", &["no data rows"]),
        (
            "ragged.csv",
            b"item_id,timestamp,demand\na,2024-01-01,1,9\n",
            "",
            &[":2", "expected 3 fields like the header, found 4"],
        ),
        (
            "twice.csv",
            b"item_id,timestamp,demand,DEMAND\na,2024-01-01,1,100\n",
            "",
            &[":1", "column 'DEMAND' appears twice in the header (columns 3 and 4"],
        ),
        (
            "milliseconds.csv",
            b"item_id,timestamp,demand\na,1704067200000,1\n",
            "    timestampFormat: epoch\n",
            &[":2", "column 'timestamp'", "beyond the year 9999 (it looks like milliseconds: divide by 1000)"],
        ),
        (
            "extra.csv",
            b"item_id,timestamp,demand,price\na,2024-01-01,1,2\n",
            "    schema:\n      attributes:\n      - {name: item_id, type: string}\n      - {name: timestamp, type: timestamp}\n      - {name: demand, type: float}\n",
            &["column 'price' is not in the dataset's schema"],
        ),
    ];
    for (name, data, extra, wants) in cases {
        let uri = write(dir.path(), name, data);
        let err = run_validate(&group(&uri, extra), &store).await.expect_err(name);
        for want in *wants {
            assert!(err.contains(want), "{name}: {err:?} should contain {want:?}");
        }
    }
    let err = run_validate(&group(&format!("file://{}/nothing-here", dir.path().display()), ""), &store)
        .await
        .expect_err("missing");
    assert!(err.contains("no objects found"), "{err}");
}

fn parquet_bytes() -> Vec<u8> {
    parquet_with_demand(&[3.0, 5.0])
}

/// Three rows (x, y, y on 2024-01-01..03), the second's demand missing; `demand` fills the others.
fn parquet_with_demand(demand: &[f64; 2]) -> Vec<u8> {
    use parquet::{
        column::writer::ColumnWriter, data_type::ByteArray, file::writer::SerializedFileWriter,
        schema::parser::parse_message_type,
    };
    let schema = Arc::new(
        parse_message_type(
            "message m { REQUIRED BYTE_ARRAY item_id (UTF8); REQUIRED INT32 timestamp (DATE); OPTIONAL DOUBLE demand; }",
        )
        .expect("schema"),
    );
    let mut buf = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut buf, schema, Default::default()).expect("writer");
    let mut rg = writer.next_row_group().expect("row group");
    let mut i = 0;
    while let Some(mut col) = rg.next_column().expect("column") {
        match col.untyped() {
            ColumnWriter::ByteArrayColumnWriter(w) => {
                w.write_batch(&[ByteArray::from("x"), ByteArray::from("y"), ByteArray::from("y")], None, None)
                    .expect("ids");
            }
            ColumnWriter::Int32ColumnWriter(w) => {
                w.write_batch(&[19723, 19724, 19725], None, None).expect("dates");
            }
            ColumnWriter::DoubleColumnWriter(w) => {
                w.write_batch(demand, Some(&[1, 0, 1]), None).expect("values");
            }
            _ => unreachable!("only three columns"),
        }
        col.close().expect("close column");
        i += 1;
    }
    assert_eq!(i, 3);
    rg.close().expect("close row group");
    writer.close().expect("close file");
    buf
}

#[tokio::test]
async fn reads_parquet_from_a_real_s3_server() {
    let server = S3Server::start();
    let store =
        ObjectStore::connect(&S3Settings::static_endpoint(&server.endpoint, &server.access_key, &server.secret_key))
            .await;
    store.create_bucket(&ObjectUri::parse("s3://data").expect("uri")).await.expect("bucket");
    store.put(&ObjectUri::parse("s3://data/ts/part-0.parquet").expect("uri"), parquet_bytes()).await.expect("put");
    store.put(&ObjectUri::parse("s3://data/ts/part-1.parquet").expect("uri"), parquet_bytes()).await.expect("put");
    let yaml = group("s3://data/ts", "    format: PARQUET\n");
    let report = run_validate(&yaml, &store).await.expect("valid parquet");
    let d = &report.datasets[0];
    assert_eq!((d.objects, d.rows, d.items), (2, 6, Some(2)));
    assert_eq!(d.start_time.as_deref(), Some("2024-01-01T00:00:00Z"));
    assert_eq!(d.end_time.as_deref(), Some("2024-01-03T00:00:00Z"));

    // The digest changes when an object changes, and only then.
    let again = run_validate(&yaml, &store).await.expect("valid");
    assert_eq!(again.digest, report.digest);
    store.put(&ObjectUri::parse("s3://data/ts/part-2.parquet").expect("uri"), parquet_bytes()).await.expect("put");
    assert_ne!(run_validate(&yaml, &store).await.expect("valid").digest, report.digest);

    // An infinite value is an error naming the object, the row and the column, as "inf" is in CSV
    // (it used to be read as a gap and filled).
    store
        .put(
            &ObjectUri::parse("s3://data/inf/part-0.parquet").expect("uri"),
            parquet_with_demand(&[3.0, f64::INFINITY]),
        )
        .await
        .expect("put");
    let err = run_validate(&group("s3://data/inf", "    format: PARQUET\n"), &store).await.expect_err("infinite");
    for want in ["s3://data/inf/part-0.parquet: row 3", "column 'demand'", "expected a finite number, found inf"] {
        assert!(err.contains(want), "{err:?} should contain {want:?}");
    }

    // Not Parquet at all.
    store.put(&ObjectUri::parse("s3://data/bad/x.parquet").expect("uri"), b"item_id\n".to_vec()).await.expect("put");
    let err = run_validate(&group("s3://data/bad/x.parquet", "    format: PARQUET\n"), &store).await.expect_err("bad");
    assert!(err.contains("s3://data/bad/x.parquet") && err.contains("not a readable Parquet file"), "{err}");
}

#[test]
fn the_binary_prints_json_or_writes_the_termination_log() {
    let bin = env!("CARGO_BIN_EXE_seer-trainer");
    let dir = tempfile::tempdir().expect("tmp");
    let good = write(dir.path(), "t.csv", TARGET_CSV.as_bytes());
    let manifest = dir.path().join("good.yaml");
    std::fs::write(&manifest, group(&good, "")).expect("write");
    let out = Command::new(bin).args(["validate", "-f"]).arg(&manifest).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["totalRows"], 4);

    let bad = write(dir.path(), "bad.csv", b"item_id,timestamp,demand\na,2024-01-01,x\n");
    let manifest = dir.path().join("bad.yaml");
    std::fs::write(&manifest, group(&bad, "")).expect("write");
    let log = dir.path().join("termination-log");
    std::fs::write(&log, "").expect("log");
    let out = Command::new(bin)
        .args(["validate", "-f"])
        .arg(&manifest)
        .env("SEER_TERMINATION_LOG", &log)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let reason = std::fs::read_to_string(&log).expect("log");
    assert!(reason.contains("bad.csv:2") && reason.contains("column 'demand'"), "{reason}");
    assert!(!reason.contains('\n'));
}
