//! The same behaviour, checked on a local folder and on a real S3-compatible server
//! (s3s-fs on loopback): objects, listings, digests and versioned artifacts.

use std::collections::BTreeMap;

use seer_api::artifact::ArtifactKind;
use seer_storage::{
    ObjectStore, ObjectUri, S3Settings, StorageError,
    artifacts::{self, ArtifactLocation, ArtifactWriter, ShardId},
    digest::dataset_digest,
};
use seer_testkit::s3::S3Server;

async fn s3_store(server: &S3Server, secret: &str) -> ObjectStore {
    ObjectStore::connect(&S3Settings::static_endpoint(&server.endpoint, &server.access_key, secret)).await
}

/// Runs every check against storage rooted at `root`.
async fn exercise(store: &ObjectStore, root: &ObjectUri) {
    // Objects: put, get, head, list, delete.
    let a = root.join("data/a.csv");
    let b = root.join("data/sub/b.csv");
    store.put(&a, b"x,y\n1,2\n".to_vec()).await.expect("put a");
    store.put(&b, b"z\n".to_vec()).await.expect("put b");
    assert_eq!(store.get(&a).await.expect("get a"), b"x,y\n1,2\n");
    assert_eq!(store.head(&a).await.expect("head a").expect("a exists").size, 8);
    assert!(store.head(&root.join("data/missing.csv")).await.expect("head missing").is_none());
    match store.get(&root.join("data/missing.csv")).await {
        Err(StorageError::NotFound { uri }) => assert!(uri.ends_with("data/missing.csv"), "{uri}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let listed = store.list(&root.join("data/")).await.expect("list");
    let keys: Vec<String> = listed.iter().map(|o| o.uri.to_string()).collect();
    assert_eq!(keys, vec![a.to_string(), b.to_string()]);

    // The dataset digest changes when an object is rewritten, and only then.
    let before = dataset_digest(&listed);
    assert_eq!(before, dataset_digest(&store.list(&root.join("data/")).await.expect("list")));
    store.put(&a, b"x,y\n1,3\n".to_vec()).await.expect("rewrite a");
    assert_ne!(before, dataset_digest(&store.list(&root.join("data/")).await.expect("list")));

    store.delete(&b).await.expect("delete b");
    store.delete(&b).await.expect("deleting twice is fine");
    assert_eq!(store.list(&root.join("data/")).await.expect("list").len(), 1);

    // Artifacts: files first, manifest last, latest after it.
    let location = ArtifactLocation {
        root: root.join("artifacts"),
        namespace: "team-a".into(),
        kind: ArtifactKind::Predictor,
        name: "demand".into(),
    };
    assert_eq!(artifacts::latest_version(store, &location).await.expect("latest"), None);

    // A trainer that dies after its files but before its manifest leaves no version.
    let mut dead = ArtifactWriter::create(store, location.clone(), "v1").await.expect("create v1");
    dead.put_file("model.json", b"{}".to_vec()).await.expect("put file");
    drop(dead);
    assert!(artifacts::list_versions(store, &location).await.expect("list").is_empty());
    assert!(artifacts::read_manifest(store, &location, "v1").await.is_err());

    for (version, body) in [("v1", "first"), ("v2", "second")] {
        let mut w = ArtifactWriter::create(store, location.clone(), version).await.expect("create");
        w.put_file("model.json", format!("{{\"m\":\"{body}\"}}").into_bytes()).await.expect("model");
        w.put_file("forecasts/part-0.csv", b"item_id,date,p50\n".to_vec()).await.expect("forecasts");
        let m = w.commit("ETS", "sha256:abc", BTreeMap::new()).await.expect("commit");
        assert_eq!(m.files.len(), 2);
        assert_eq!(artifacts::latest_version(store, &location).await.expect("latest").as_deref(), Some(version));
    }
    assert_eq!(artifacts::list_versions(store, &location).await.expect("versions"), vec!["v1", "v2"]);

    // A complete version is never overwritten.
    match ArtifactWriter::create(store, location.clone(), "v2").await {
        Err(e) => assert!(e.to_string().contains("already exists"), "{e}"),
        Ok(_) => panic!("v2 must not be created twice"),
    }
    // A late v3 commit after v4 does not move latest backwards.
    let w4 = ArtifactWriter::create(store, location.clone(), "v4").await.expect("v4");
    let w3 = ArtifactWriter::create(store, location.clone(), "v3").await.expect("v3");
    w4.commit("ETS", "sha256:abc", BTreeMap::new()).await.expect("commit v4");
    w3.commit("ETS", "sha256:abc", BTreeMap::new()).await.expect("commit v3");
    assert_eq!(artifacts::latest_version(store, &location).await.expect("latest").as_deref(), Some("v4"));

    // Reads check every file against the manifest.
    let loaded = artifacts::load(store, &location, "v2").await.expect("load v2");
    assert_eq!(loaded.files["model.json"], b"{\"m\":\"second\"}");
    let model = location.version_uri("v2").join("model.json");
    store.put(&model, b"{\"m\":\"tampered\"}".to_vec()).await.expect("tamper");
    match artifacts::load(store, &location, "v2").await {
        Err(StorageError::Corrupt { uri, message }) => {
            assert!(uri.ends_with("v2/model.json"), "{uri}");
            assert!(message.contains("differs"), "{message}");
        }
        other => panic!("expected a checksum failure, got {other:?}"),
    }

    // Bad names are refused with the reason.
    let err = ArtifactWriter::create(store, location.clone(), "latest").await.err().expect("bad version name");
    assert!(err.to_string().contains("v1, v2"), "{err}");
    let mut w5 = ArtifactWriter::create(store, location.clone(), "v5").await.expect("v5");
    let err = w5.put_file("../escape", vec![]).await.expect_err("path escape");
    assert!(err.to_string().contains("'..'"), "{err}");

    // Shards write under <version>/shards/<i>-of-<n>/ with their own manifest, never the
    // version's manifest or `latest`; an aborted writer leaves nothing.
    let shard = ShardId::new(1, 2).expect("shard");
    let mut s1 = ArtifactWriter::create_shard(store, location.clone(), "v6", shard).await.expect("shard writer");
    s1.put_file("shard.bin", b"partial".to_vec()).await.expect("shard file");
    s1.commit("AUTO", "sha256:abc", BTreeMap::new()).await.expect("shard commit");
    assert_eq!(artifacts::latest_version(store, &location).await.expect("latest").as_deref(), Some("v4"));
    assert!(artifacts::read_manifest(store, &location, "v6").await.is_err(), "the version does not exist yet");
    assert!(!artifacts::list_versions(store, &location).await.expect("versions").contains(&"v6".to_string()));
    // ... but its folder is taken: a new version must not be named v6.
    let folders = artifacts::version_folders(store, &location).await.expect("folders");
    assert!(folders.contains(&"v6".to_string()) && folders.windows(2).all(|w| w[0] != w[1]), "{folders:?}");
    let m = artifacts::read_shard_manifest(store, &location, "v6", shard).await.expect("shard manifest");
    assert_eq!(artifacts::read_shard_file(store, &location, &m, shard, "shard.bin").await.expect("read"), b"partial");
    assert!(location.shard_uri("v6", shard).to_string().ends_with("/v6/shards/1-of-2"));
    match artifacts::read_shard_manifest(store, &location, "v6", ShardId::new(0, 2).expect("shard")).await {
        Err(StorageError::NotFound { uri }) => assert!(uri.ends_with("v6/shards/0-of-2/manifest.json"), "{uri}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let mut w6 = ArtifactWriter::create(store, location.clone(), "v6").await.expect("v6");
    assert!(w6.put_file("shards/x", vec![]).await.is_err(), "shards/ is reserved");
    w6.put_file("model.json", b"{}".to_vec()).await.expect("model");
    w6.abort().await.expect("abort");
    assert!(store.head(&location.version_uri("v6").join("model.json")).await.expect("head").is_none());
    assert_eq!(artifacts::delete_shards(store, &location, "v6").await.expect("delete shards"), 2);
    if let ObjectUri::File { path } = location.version_uri("v6") {
        assert!(!std::path::Path::new(&path).join("shards").exists(), "no empty folders left");
    }
    assert!(ShardId::new(2, 2).is_err() && ShardId::new(0, 0).is_err());

    // Deleting a version removes the manifest first, then the files.
    artifacts::delete_version(store, &location, "v1").await.expect("delete v1");
    assert_eq!(artifacts::list_versions(store, &location).await.expect("versions"), vec!["v2", "v3", "v4"]);
    assert!(
        store
            .list(&ObjectUri::parse(&format!("{}/", location.version_uri("v1"))).expect("uri"))
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn local_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = ObjectUri::parse(&format!("file://{}/store", dir.path().display())).expect("uri");
    let store = ObjectStore::connect(&S3Settings::default()).await;
    exercise(&store, &root).await;
}

#[tokio::test]
async fn s3_compatible_server() {
    let server = S3Server::start();
    let store = s3_store(&server, &server.secret_key).await;
    let root = ObjectUri::parse("s3://seer-test/prefix").expect("uri");
    store.create_bucket(&root).await.expect("create bucket");
    store.create_bucket(&root).await.expect("creating it again is fine");
    exercise(&store, &root).await;
}

#[tokio::test]
async fn s3_errors_name_the_object_and_never_panic() {
    let server = S3Server::start();
    let good = s3_store(&server, &server.secret_key).await;
    good.create_bucket(&ObjectUri::parse("s3://seer-test").expect("uri")).await.expect("bucket");
    let bad = s3_store(&server, "wrong-secret").await;
    let uri = ObjectUri::parse("s3://seer-test/x.csv").expect("uri");
    let err = bad.put(&uri, b"1".to_vec()).await.expect_err("wrong credentials must fail");
    assert!(err.is_transient() || matches!(err, StorageError::Io { .. }));
    assert!(err.to_string().contains("s3://seer-test/x.csv"), "{err}");
    let missing = good.get(&ObjectUri::parse("s3://no-such-bucket/x").expect("uri")).await.expect_err("missing bucket");
    assert!(missing.to_string().contains("s3://no-such-bucket/x"), "{missing}");
}
