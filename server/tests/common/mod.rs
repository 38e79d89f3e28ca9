//! Shared by the server's integration tests: artifacts trained from `examples/` with the real
//! trainer (once per test binary), the real `seer-server` binary on a loopback port, and a
//! small HTTP/1.1 client.

#![allow(dead_code)] // each test file uses its part

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use seer_api::{DatasetGroup, Predictor, Solution};
use seer_storage::{ObjectStore, ObjectUri, S3Settings};
use seer_trainer::train_forecast::Destination;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Version folders of the two example models.
pub struct Fixtures {
    /// `file://.../default/predictor/retail-demand/v1`.
    pub predictor: String,
    /// `file://.../default/solution/shop-for-you/v1` (USER_PERSONALIZATION).
    pub solution: String,
    /// `file://.../default/solution/shop-similar/v1` (SIMILAR_ITEMS).
    pub similar: String,
    /// The folder holding them.
    pub root: PathBuf,
}

/// The example DatasetGroup of `examples/<folder>` with its data read from the repository.
pub fn dataset_group(folder: &str) -> DatasetGroup {
    let text = std::fs::read_to_string(repo().join("examples").join(folder).join("dataset-group.yaml"))
        .expect("example dataset group");
    let local = format!("file://{}/", repo().join("examples").canonicalize().expect("examples").display());
    let mut group: DatasetGroup = serde_yaml::from_str(&text.replace("s3://seer-examples/", &local)).expect("yaml");
    group.metadata.namespace = Some("default".into());
    group
}

/// The example Solution, with fewer ALS iterations (debug builds are slow).
pub fn solution() -> Solution {
    let text = std::fs::read_to_string(repo().join("examples/recommendations/solution.yaml")).expect("solution");
    let mut s: Solution = serde_yaml::from_str(&text.replace("iterations: 15", "iterations: 5")).expect("yaml");
    s.metadata.namespace = Some("default".into());
    s
}

/// Trains the example Solution into `root` (a `file://` or `s3://` URI) as `v1`.
#[allow(dead_code)] // each test binary compiles this module and uses part of it
pub async fn train_solution(store: &ObjectStore, root: &str) {
    train_solution_as(store, root, "v1").await;
}

/// Trains the example Solution into `root` as `version` (and moves `latest` to it).
pub async fn train_solution_as(store: &ObjectStore, root: &str, version: &str) {
    train_version(store, root, &solution(), version).await;
}

async fn train(store: &ObjectStore, root: &str, solution: &Solution) {
    train_version(store, root, solution, "v1").await;
}

async fn train_version(store: &ObjectStore, root: &str, solution: &Solution, version: &str) {
    let destination = Destination::new(ObjectUri::parse(root).expect("root"), version);
    seer_trainer::train_recommend::train(store, &dataset_group("recommendations"), solution, &destination)
        .await
        .expect("train the example Solution");
}

/// The example Predictor and Solution, trained once per test binary.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        // Under the target folder: kept for a look after a failure, gone with `cargo clean`.
        let root = tempfile::Builder::new()
            .prefix("seer-server-fixtures-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("fixture folder")
            .keep();
        let root_uri = format!("file://{}", root.display());
        let uri = root_uri.clone();
        // Trained on a thread of its own: tests may already be inside a tokio runtime.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async {
                let store = ObjectStore::connect(&S3Settings::default()).await;
                let text = std::fs::read_to_string(repo().join("examples/forecast/predictor.yaml")).expect("predictor");
                let mut predictor: Predictor = serde_yaml::from_str(&text).expect("yaml");
                predictor.metadata.namespace = Some("default".into());
                predictor.spec.algorithm = seer_api::ForecastAlgorithm::SeasonalNaive;
                let destination = Destination::new(ObjectUri::parse(&uri).expect("root"), "v1");
                seer_trainer::train_forecast::train(&store, &dataset_group("forecast"), &predictor, &destination)
                    .await
                    .expect("train the example Predictor");
                train_solution(&store, &uri).await;
                let text = std::fs::read_to_string(repo().join("examples/recommendations/similar-items.yaml"))
                    .expect("similar-items");
                let mut similar: Solution = serde_yaml::from_str(&text).expect("yaml");
                similar.metadata.namespace = Some("default".into());
                train(&store, &uri, &similar).await;
            })
        })
        .join()
        .expect("training thread");
        Fixtures {
            predictor: format!("{root_uri}/default/predictor/retail-demand/v1"),
            solution: format!("{root_uri}/default/solution/shop-for-you/v1"),
            similar: format!("{root_uri}/default/solution/shop-similar/v1"),
            root,
        }
    })
}

/// A running `seer-server`, killed (if still running) when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
}

impl Server {
    /// Starts the binary with `args` (plus `--listen 127.0.0.1:0`) and `env`, and waits (at
    /// most 60 s) until `/readyz` answers 200.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let server = Self::spawn(args, env);
        server.wait_until(Duration::from_secs(60), "ready", |s| s.get("/readyz").status == 200);
        server
    }

    /// Like [`Server::start`], with the server's stderr written to `log` (to read what it logs).
    pub fn start_logged(args: &[&str], env: &[(&str, &str)], log: &Path) -> Server {
        let file = std::fs::File::create(log).expect("log file");
        let server = Self::spawn_with_stderr(args, env, Stdio::from(file));
        server.wait_until(Duration::from_secs(60), "ready", |s| s.get("/readyz").status == 200);
        server
    }

    /// Starts the binary and returns once it listens.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Server {
        Self::spawn_with_stderr(args, env, Stdio::inherit())
    }

    fn spawn_with_stderr(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_seer-server"));
        command.args(args).args(["--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(stderr);
        command.env_remove("SEER_API_KEY").env_remove("SEER_REDIS_URL");
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start seer-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("seer-server listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, addr }
    }

    /// Polls `check` every 20 ms until it holds, failing after `bound`.
    pub fn wait_until(&self, bound: Duration, what: &str, check: impl Fn(&Server) -> bool) {
        let deadline = Instant::now() + bound;
        while !check(self) {
            assert!(Instant::now() < deadline, "not {what} within {bound:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn get(&self, path: &str) -> Response {
        request(&self.addr, "GET", path, &[], None)
    }

    pub fn post(&self, path: &str, body: &str) -> Response {
        request(&self.addr, "POST", path, &[("content-type", "application/json")], Some(body.as_bytes()))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("kill");
        assert!(status.success());
    }

    /// Waits at most `bound` for the process to exit.
    pub fn wait_exit(&mut self, bound: Duration) -> ExitStatus {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "seer-server did not exit within {bound:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error body's code, asserting the `{"error": {"code", "message"}}` shape.
    pub fn error_code(&self) -> String {
        let v = self.json();
        assert!(v["error"]["message"].is_string(), "error body without a message: {v}");
        v["error"]["code"].as_str().unwrap_or_else(|| panic!("error body without a code: {v}")).to_string()
    }
}

/// One request on a fresh connection (`Connection: close`, so the body is what follows the
/// headers). Connection errors give status 0.
pub fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Response {
    let failed = |e: std::io::Error| Response { status: 0, headers: Vec::new(), body: e.to_string().into_bytes() };
    let mut stream = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or_default();
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    if let Err(e) = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body)) {
        return failed(e);
    }
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw)
        && raw.is_empty()
    {
        return failed(e);
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response { status, headers, body: raw[split + 4..].to_vec() }
}

/// The item IDs of a list (`itemList`, `personalizedRanking`) in a response body, in order.
pub fn items(body: &serde_json::Value, list: &str) -> Vec<String> {
    body[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {body}"))
        .iter()
        .map(|i| i["itemId"].as_str().expect("itemId").to_string())
        .collect()
}
