//! The process around the routes: loading from a real S3 server through the `latest` pointer,
//! following `latest` to a new version under load, refusing a tampered artifact, and a
//! graceful stop on SIGTERM.

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};
use std::time::Duration;

use common::{Server, fixtures, request, train_solution, train_solution_as};
use seer_storage::{ObjectStore, ObjectUri, S3Settings};
use seer_testkit::s3::S3Server;

#[test]
fn serves_a_solution_from_s3_through_latest() {
    let s3 = S3Server::start();
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let rt = tokio::runtime::Runtime::new().expect("runtime");
                rt.block_on(async {
                    let store = ObjectStore::connect(&S3Settings::static_endpoint(
                        &s3.endpoint,
                        &s3.access_key,
                        &s3.secret_key,
                    ))
                    .await;
                    store.create_bucket(&ObjectUri::parse("s3://seer-art").expect("uri")).await.expect("bucket");
                    train_solution(&store, "s3://seer-art").await;
                })
            })
            .join()
            .expect("train into S3");
    });
    let env = [
        ("AWS_ENDPOINT_URL", s3.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", s3.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", s3.secret_key.as_str()),
        ("AWS_REGION", "us-east-1"),
    ];
    // The resource folder: the server follows `latest` to v1.
    let server = Server::start(&["--model", "s3://seer-art/default/solution/shop-for-you"], &env);
    let r = server.post("/v1/recommendations", r#"{"userId": "u0001", "numResults": 3}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-seer-model-version"), Some("v1"));
    assert_eq!(r.json()["itemList"].as_array().expect("items").len(), 3);
}

/// Trains `version` of the example Solution into the folder `root` on a thread of its own.
fn train_into(root: &str, version: &str) {
    let (root, version) = (root.to_string(), version.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let store = ObjectStore::connect(&S3Settings::default()).await;
            train_solution_as(&store, &root, &version).await;
        })
    })
    .join()
    .expect("training thread");
}

#[test]
fn follows_latest_to_a_new_version_under_load_without_a_failed_request() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = format!("file://{}", dir.path().display());
    train_into(&root, "v1");
    let server = Server::start(
        &["--model", &format!("{root}/default/solution/shop-for-you"), "--follow-latest", "--poll-interval", "100ms"],
        &[],
    );
    let stop = Arc::new(AtomicBool::new(false));
    let on_v2 = Arc::new(AtomicUsize::new(0));
    let load = {
        let (addr, stop, on_v2) = (server.addr.clone(), stop.clone(), on_v2.clone());
        std::thread::spawn(move || {
            let body = br#"{"userId": "u0001", "numResults": 5}"#;
            let mut answers: Vec<(u16, Option<String>)> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let r =
                    request(&addr, "POST", "/v1/recommendations", &[("content-type", "application/json")], Some(body));
                let version = r.header("x-seer-model-version").map(str::to_string);
                if version.as_deref() == Some("v2") {
                    on_v2.fetch_add(1, Ordering::Relaxed);
                }
                answers.push((r.status, version));
            }
            answers
        })
    };
    // The trainer writes v2 and then moves `latest`: the server must switch on its own while
    // the load runs; the load goes on until it has had answers from v2 itself.
    train_into(&root, "v2");
    server
        .wait_until(Duration::from_secs(60), "20 answers from v2 under load", |_| on_v2.load(Ordering::Relaxed) >= 20);
    stop.store(true, Ordering::Relaxed);
    let answers = load.join().expect("load thread");
    assert!(answers.len() > 10, "load was running: {} answers", answers.len());
    assert!(answers.iter().all(|(status, _)| *status == 200), "a request failed: {answers:?}");
    let versions: Vec<&str> = answers.iter().map(|(_, v)| v.as_deref().unwrap_or("none")).collect();
    let first_v2 = versions.iter().position(|v| *v == "v2").expect("answers from v2 under load");
    assert!(versions[..first_v2].iter().all(|v| *v == "v1"), "before the switch every answer is v1: {versions:?}");
    assert!(versions[first_v2..].iter().all(|v| *v == "v2"), "after it every answer is v2: {versions:?}");
    assert!(first_v2 > 0, "v1 answered before the switch");
    let metrics = server.get("/metrics").text();
    assert!(metrics.contains(r#"version="v2""#) && !metrics.contains(r#"version="v1""#), "{metrics}");
}

#[test]
fn a_tampered_or_missing_artifact_is_refused() {
    // A copy of the Solution with one byte of its tensors changed.
    let dir = tempfile::tempdir().expect("tmp");
    let from = fixtures().root.join("default/solution/shop-for-you/v1");
    let to = dir.path().join("ns/solution/shop/v1");
    std::fs::create_dir_all(&to).expect("mkdir");
    for entry in std::fs::read_dir(&from).expect("read fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
    let manifest = std::fs::read_to_string(to.join("manifest.json")).expect("manifest");
    std::fs::write(
        to.join("manifest.json"),
        manifest.replace("\"shop-for-you\"", "\"shop\"").replace("\"namespace\": \"default\"", "\"namespace\": \"ns\""),
    )
    .expect("rename in manifest");
    let tensors = to.join("tensors.safetensors");
    let mut bytes = std::fs::read(&tensors).expect("tensors");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&tensors, bytes).expect("tamper");

    let uri = format!("file://{}", to.display());
    let mut server = Server::spawn(&["--model", &uri], &[]);
    let status = server.wait_exit(Duration::from_secs(60));
    assert_eq!(status.code(), Some(1), "a checksum mismatch stops the server");

    let mut server = Server::spawn(&["--model", &format!("file://{}/ns/solution/absent", dir.path().display())], &[]);
    assert_eq!(server.wait_exit(Duration::from_secs(60)).code(), Some(1), "no latest pointer");
}

#[test]
fn sigterm_fails_readyz_keeps_serving_then_exits_zero() {
    let mut server = Server::start(&["--model", &fixtures().predictor, "--shutdown-delay", "5s"], &[]);
    assert_eq!(server.get("/readyz").status, 200);
    server.terminate();
    server.wait_until(Duration::from_secs(10), "unready", |s| s.get("/readyz").status == 503);
    let r = server.get("/readyz");
    assert_eq!(r.error_code(), "ShuttingDown");
    // Within the delay it still answers everything else.
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(server.get("/v1/forecasts/item_000").status, 200);
    let status = server.wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "a graceful stop exits 0");
}

#[test]
fn taken_in_events_reach_the_event_log_by_a_graceful_stop() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = format!("file://{}", dir.path().display());
    train_into(&root, "v1");
    // An interval far beyond the test: only the stop writes the part.
    let mut server = Server::start(
        &[
            "--model",
            &format!("{root}/default/solution/shop-for-you"),
            "--log-events",
            "--event-log-interval",
            "10m",
            "--shutdown-delay",
            "0s",
        ],
        &[],
    );
    let r = server.post(
        "/v1/events",
        r#"{"userId": "u0001", "sessionId": "s", "eventList": [
            {"eventType": "view", "itemId": "i0001", "sentAt": 1767400000},
            {"eventType": "purchase", "itemId": "brand-new-item", "sentAt": 1767400100, "eventValue": 2}
        ]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let log = dir.path().join("default/events/shop-for-you");
    assert!(!log.exists(), "nothing written before a batch fills or the stop");
    server.terminate();
    assert_eq!(server.wait_exit(Duration::from_secs(30)).code(), Some(0));
    let days: Vec<_> = std::fs::read_dir(&log).expect("the event log").flatten().collect();
    assert_eq!(days.len(), 1);
    let parts: Vec<_> = std::fs::read_dir(days[0].path()).expect("a day").flatten().collect();
    assert_eq!(parts.len(), 1, "one part");
    let text = std::fs::read_to_string(parts[0].path()).expect("part");
    assert_eq!(
        text,
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\nu0001,i0001,1767400000,view,\n\
         u0001,brand-new-item,1767400100,purchase,2\n",
        "every event, the new item's too"
    );
}
