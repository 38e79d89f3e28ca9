//! The local cluster of `tests/cluster/` for a test: a client and a fresh namespace that is
//! deleted when the test ends, pass or fail.

use std::{
    path::PathBuf,
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Client, Config, ResourceExt,
    api::{DeleteParams, ObjectMeta, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};

/// `$KUBECONFIG`, or the kubeconfig `tests/cluster/up.sh` leaves in `$SEER_CLUSTER_DIR`.
pub fn kubeconfig_path() -> PathBuf {
    if let Ok(p) = std::env::var("KUBECONFIG") {
        return p.into();
    }
    let dir =
        std::env::var("SEER_CLUSTER_DIR").map(PathBuf::from).unwrap_or_else(|_| super::cache_dir().join("cluster"));
    dir.join("kubeconfig")
}

/// A client for the running local cluster. Panics with the command to start one.
pub async fn client() -> Client {
    let path = kubeconfig_path();
    let kubeconfig = Kubeconfig::read_from(&path).unwrap_or_else(|e| {
        panic!(
            "no cluster kubeconfig at {} ({e}): start one with `tests/cluster/up.sh --control-plane-only`",
            path.display()
        )
    });
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("kubeconfig {}: {e}", path.display()));
    Client::try_from(config).unwrap_or_else(|e| panic!("cluster client: {e}"))
}

/// A namespace made for one test; deleted (in the background) when dropped.
pub struct TestNamespace {
    pub client: Client,
    pub name: String,
}

impl TestNamespace {
    /// Creates `<prefix>-<pid>-<n>` and waits until it is usable.
    pub async fn create(client: Client, prefix: &str) -> TestNamespace {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!("{prefix}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let api: Api<Namespace> = Api::all(client.clone());
        let ns =
            Namespace { metadata: ObjectMeta { name: Some(name.clone()), ..Default::default() }, ..Default::default() };
        api.create(&PostParams::default(), &ns).await.unwrap_or_else(|e| panic!("create namespace {name}: {e}"));
        TestNamespace { client, name }
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        // Drop cannot await: delete on a helper thread with its own runtime, bounded.
        let client = self.client.clone();
        let name = self.name.clone();
        let handle = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                let api: Api<Namespace> = Api::all(client);
                let _ =
                    tokio::time::timeout(Duration::from_secs(10), api.delete(&name, &DeleteParams::background())).await;
            });
        });
        let _ = handle.join();
    }
}

/// Polls `check` until it returns `Some`, at most `timeout`; panics naming `what` otherwise.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The name of an object, for messages.
pub fn name_of<K: ResourceExt>(obj: &K) -> String {
    obj.name_any()
}
