//! A real S3-compatible server (`s3s-fs`) on 127.0.0.1 for one test.

use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Version of s3s-fs the tests use (later versions need a newer rustc).
pub const S3S_FS_VERSION: &str = "0.14.1";

/// A running s3s-fs, killed when dropped.
pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    /// The folder it stores buckets in (removed on drop).
    pub root: tempfile::TempDir,
}

/// Where `make tools` installs s3s-fs, or `$SEER_S3S_FS`.
pub fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("SEER_S3S_FS") {
        return p.into();
    }
    super::cache_dir().join(format!("tools/s3s-fs-{S3S_FS_VERSION}/bin/s3s-fs"))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port on loopback");
    listener.local_addr().expect("local addr").port()
}

impl S3Server {
    /// Starts s3s-fs on a free loopback port and waits (at most 20 s) until it accepts
    /// connections. Panics with an install hint when the binary is missing.
    pub fn start() -> S3Server {
        let bin = binary();
        assert!(bin.exists(), "s3s-fs not found at {}: run `make tools` (or set SEER_S3S_FS) first", bin.display());
        let root = tempfile::tempdir().expect("temp dir for s3s-fs");
        let access_key = "seer-test-access".to_string();
        let secret_key = "seer-test-secret-key".to_string();
        let port = free_port();
        let child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", &access_key, "--secret-key", &secret_key])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let server = S3Server { child, endpoint: format!("http://127.0.0.1:{port}"), access_key, secret_key, root };
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("socket address");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen on {addr} within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// The server's process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
