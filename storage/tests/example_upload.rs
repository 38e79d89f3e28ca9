//! `examples/upload.sh` puts the example data into a real S3-compatible server and into a
//! folder, byte for byte, where the example manifests expect it.

use std::{path::PathBuf, process::Command};

use seer_storage::{ObjectStore, ObjectUri, S3Settings};
use seer_testkit::s3::S3Server;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

const FILES: [&str; 6] = [
    "forecast/target_time_series.csv",
    "forecast/related_time_series.csv",
    "forecast/item_metadata.csv",
    "recommendations/interactions.csv",
    "recommendations/items.csv",
    "recommendations/users.csv",
];

#[tokio::test]
async fn upload_to_s3_then_read_back() {
    let server = S3Server::start();
    let out = Command::new("bash")
        .arg(repo().join("examples/upload.sh"))
        .arg("s3://seer-examples")
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("AWS_ACCESS_KEY_ID", &server.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_key)
        .output()
        .expect("run upload.sh");
    assert!(out.status.success(), "upload.sh failed: {}", String::from_utf8_lossy(&out.stderr));
    let store =
        ObjectStore::connect(&S3Settings::static_endpoint(&server.endpoint, &server.access_key, &server.secret_key))
            .await;
    for f in FILES {
        let uri = ObjectUri::parse(&format!("s3://seer-examples/{f}")).expect("uri");
        let want = std::fs::read(repo().join("examples").join(f)).expect("example file");
        assert_eq!(store.get(&uri).await.expect("uploaded object"), want, "{f}");
    }
}

#[test]
fn upload_to_a_folder_and_refuse_bad_destinations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dest = format!("file://{}/examples", dir.path().display());
    let out = Command::new("bash").arg(repo().join("examples/upload.sh")).arg(&dest).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in FILES {
        let got = std::fs::read(dir.path().join("examples").join(f)).expect("copied file");
        assert_eq!(got, std::fs::read(repo().join("examples").join(f)).expect("example"), "{f}");
    }
    let out = Command::new("bash").arg(repo().join("examples/upload.sh")).arg("gs://bucket").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must start with s3:// or file://"));
}
