//! `--redis-url`: live events kept in a real `redis-server` (Debian's), shared by every server
//! process of a Solution. Two real `seer-server` processes on one Solution and one Redis: events
//! sent to one change the next recommendations of the other, for users and for session-only
//! visitors, within the per-user bound, apart from another Solution on the same Redis; with
//! Redis gone, recommendations still answer (without live events) and events get 503, until it
//! is back; `rediss://` with a private CA given by `SSL_CERT_FILE`, and refused under another CA.

mod common;

use std::{
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::{Server, fixtures};
use serde_json::{Value, json};

const PASSWORD: &str = "redis-test-s3cret";
/// Generous for a loaded test machine (the default, 100ms, is for production): these tests
/// check what is shared, not how fast.
const TIMEOUT: &str = "2s";
const NOT_BOUGHT: &str = r#"not-bought=EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#;

/// A `redis-server` on a free loopback port with its own folder, no persistence and a password,
/// stopped by PID when dropped (the test passed or not).
struct Redis {
    child: Child,
    port: u16,
    /// Kept (with its log) until the test ends, or handed to the next server on the port.
    dir: Option<tempfile::TempDir>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

impl Redis {
    /// Starts one on a free port (another try if the port is taken in between).
    fn start() -> Redis {
        for _ in 0..5 {
            let dir = tempfile::Builder::new().prefix("seer-redis-").tempdir().expect("redis folder");
            if let Some(redis) = Self::start_on(free_port(), dir, &[]) {
                return redis;
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    /// Starts one that also takes TLS on a second port (returned), with a certificate for
    /// `localhost` from a CA of its own made with `openssl` ([`Redis::ca_file`]; beside it
    /// `other-ca.crt`, a CA that did not sign it). Tests read and write through the plain port.
    fn start_tls() -> (Redis, u16) {
        for _ in 0..5 {
            let dir = tempfile::Builder::new().prefix("seer-redis-tls-").tempdir().expect("redis folder");
            let path = dir.path();
            // `openssl <args>`, the arguments split at spaces (none has one).
            let openssl = |args: &str| {
                let out =
                    Command::new("openssl").args(args.split(' ')).current_dir(path).output().unwrap_or_else(|e| {
                        panic!("cannot run openssl ({e}): install it with `apt-get install openssl`")
                    });
                assert!(out.status.success(), "openssl {args}: {}", String::from_utf8_lossy(&out.stderr));
            };
            let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
            openssl(&format!("req -x509 {key} -keyout ca.key -out ca.crt -subj /CN=seer-test-ca"));
            openssl(&format!("req -x509 {key} -keyout other-ca.key -out other-ca.crt -subj /CN=another-ca"));
            openssl(&format!("req {key} -keyout server.key -out server.csr -subj /CN=localhost"));
            std::fs::write(path.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").expect("san.ext");
            openssl(
                "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext",
            );
            let file = |name: &str| path.join(name).display().to_string();
            let tls_port = free_port();
            let tls = [
                "--tls-port".to_string(),
                tls_port.to_string(),
                "--tls-cert-file".into(),
                file("server.crt"),
                "--tls-key-file".into(),
                file("server.key"),
                "--tls-ca-cert-file".into(),
                file("ca.crt"),
                "--tls-auth-clients".into(),
                "no".into(),
            ];
            if let Some(redis) = Self::start_on(free_port(), dir, &tls) {
                return (redis, tls_port);
            }
        }
        panic!("redis-server with TLS did not start on any of 5 free ports");
    }

    /// The CA of a [`Redis::start_tls`] server.
    fn ca_file(&self) -> PathBuf {
        self.dir.as_ref().expect("the folder").path().join("ca.crt")
    }

    /// Starts one on `port` (plus `extra` arguments), waiting (at most 10 s) until it answers
    /// PING; `None` when it exits first (the port was taken).
    fn start_on(port: u16, dir: tempfile::TempDir, extra: &[String]) -> Option<Redis> {
        let log = dir.path().join("redis.log");
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--requirepass", PASSWORD])
            .args(extra)
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => panic!("cannot run redis-server ({e}): install it with `apt-get install redis-server`"),
        };
        let mut redis = Redis { child, port, dir: Some(dir) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if redis.child.try_wait().expect("try_wait").is_some() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                eprintln!("redis-server on port {port} exited at start:\n{log}");
                return None;
            }
            if redis.try_command(&["PING"]).is_some_and(|r| r == Reply::Simple("PONG".into())) {
                return Some(redis);
            }
            assert!(Instant::now() < deadline, "redis-server on port {port} did not answer within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The URL servers are given (password included).
    fn url(&self) -> String {
        format!("redis://:{PASSWORD}@127.0.0.1:{}/0", self.port)
    }

    /// Kills it by PID and waits for it to exit; returns its folder for a restart on the port.
    fn stop(mut self) -> (u16, tempfile::TempDir) {
        self.kill();
        (self.port, self.dir.take().expect("the folder"))
    }

    fn kill(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }

    /// One command, authenticated, on a fresh connection.
    fn command(&self, args: &[&str]) -> Reply {
        self.try_command(args).unwrap_or_else(|| panic!("redis command {args:?} failed"))
    }

    fn try_command(&self, args: &[&str]) -> Option<Reply> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut out = Vec::new();
        for command in [&["AUTH", PASSWORD][..], args] {
            out.extend_from_slice(format!("*{}\r\n", command.len()).as_bytes());
            for a in command {
                out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        stream.write_all(&out).ok()?;
        let mut reader = BufReader::new(stream);
        match read_reply(&mut reader)? {
            Reply::Simple(ok) if ok == "OK" => {}
            other => panic!("AUTH answered {other:?}"),
        }
        read_reply(&mut reader)
    }

    fn keys(&self) -> Vec<String> {
        let Reply::Array(keys) = self.command(&["KEYS", "*"]) else { panic!("KEYS did not answer a list") };
        let mut keys: Vec<String> = keys.into_iter().map(|k| k.text()).collect();
        keys.sort();
        keys
    }

    fn int(&self, args: &[&str]) -> i64 {
        match self.command(args) {
            Reply::Int(n) => n,
            other => panic!("{args:?} answered {other:?}"),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A RESP reply, as much of it as these tests read.
#[derive(Debug, PartialEq)]
enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

impl Reply {
    fn text(self) -> String {
        match self {
            Reply::Simple(s) => s,
            Reply::Bulk(Some(b)) => String::from_utf8(b).expect("utf-8"),
            other => panic!("not text: {other:?}"),
        }
    }
}

fn read_reply(reader: &mut impl BufRead) -> Option<Reply> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let line = line.strip_suffix("\r\n")?;
    let (kind, rest) = line.split_at(1);
    Some(match kind {
        "+" => Reply::Simple(rest.to_string()),
        "-" => Reply::Error(rest.to_string()),
        ":" => Reply::Int(rest.parse().ok()?),
        "$" => match rest.parse::<i64>().ok()? {
            n if n < 0 => Reply::Bulk(None),
            n => {
                let mut bytes = vec![0; n as usize + 2];
                reader.read_exact(&mut bytes).ok()?;
                bytes.truncate(n as usize);
                Reply::Bulk(Some(bytes))
            }
        },
        "*" => Reply::Array((0..rest.parse::<usize>().ok()?).map(|_| read_reply(reader)).collect::<Option<_>>()?),
        _ => return None,
    })
}

use common::items;

fn recommend(server: &Server, body: Value) -> Vec<String> {
    let r = server.post("/v1/recommendations", &body.to_string());
    assert_eq!(r.status, 200, "{}", r.text());
    items(&r.json(), "itemList")
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}

fn event(event_type: &str, item: &str) -> Value {
    json!({"eventType": event_type, "itemId": item, "sentAt": now()})
}

fn put_events(server: &Server, body: Value) -> common::Response {
    server.post("/v1/events", &body.to_string())
}

fn log_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}.log", std::process::id()))
}

#[test]
fn two_servers_share_events_through_redis() {
    let redis = Redis::start();
    let url = redis.url();
    let solution = &fixtures().solution;
    let args = ["--model", solution, "--live-events-per-user", "3", "--filter", NOT_BOUGHT, "--redis-timeout", TIMEOUT];
    // One given the URL as a flag, the other through the environment.
    let a = Server::start(&[&args[..], &["--redis-url", &url]].concat(), &[]);
    let b = Server::start(&args, &[("SEER_REDIS_URL", &url)]);

    // A user's events sent to A change B's very next recommendations, as they would on A.
    let user = "shared-visitor";
    let (viewed, bought) = ("i0116", "i0212");
    let neighbours: Vec<String> = [viewed, bought]
        .iter()
        .flat_map(|i| items(&b.get(&format!("/v1/similar-items/{i}?numResults=5")).json(), "itemList"))
        .filter(|i| i != viewed && i != bought)
        .collect();
    let before = recommend(&b, json!({"userId": user, "numResults": 500}));
    assert!(before.contains(&bought.to_string()));
    let r = put_events(
        &a,
        json!({"userId": user, "sessionId": "s-1", "eventList": [event("view", viewed), event("purchase", bought)]}),
    );
    assert_eq!((r.status, r.json()), (200, json!({"accepted": 2, "ignoredUnknownItems": 0})), "{}", r.text());
    let after = recommend(&b, json!({"userId": user, "numResults": 500}));
    assert_ne!(before, after, "B's next recommendations reflect the events sent to A");
    let in_top_10 = |list: &[String]| list.iter().take(10).filter(|i| neighbours.contains(i)).count();
    assert!(
        in_top_10(&after) > in_top_10(&before),
        "more neighbours of {viewed} and {bought} in B's top 10: {} before, {} after",
        in_top_10(&before),
        in_top_10(&after)
    );
    assert_eq!(recommend(&a, json!({"userId": user, "numResults": 500})), after, "A and B answer alike");
    let filtered = recommend(&b, json!({"userId": user, "numResults": 500, "filter": "not-bought"}));
    assert!(!filtered.contains(&bought.to_string()), "B excludes what was just bought on A: {filtered:?}");
    assert!(filtered.contains(&viewed.to_string()), "a view is no purchase");
    // Another user is not affected.
    assert_eq!(recommend(&b, json!({"userId": "visitor-43", "numResults": 500})), before);

    // A visitor known only by a session: events under the session, recommendations for it.
    let cold = recommend(&b, json!({"userId": "anon-session-7", "numResults": 50}));
    let r = put_events(&a, json!({"sessionId": "anon-session-7", "eventList": [event("view", viewed)]}));
    assert_eq!(r.status, 200, "{}", r.text());
    let warm = recommend(&b, json!({"userId": "anon-session-7", "numResults": 50}));
    assert_ne!(cold, warm, "the session's event reached B");
    assert!(in_top_10(&warm) > in_top_10(&cold), "{viewed}'s neighbours rise: {warm:?}");

    // The bound (3 per user) holds across requests: of five purchases the last three count.
    let buyer = "bounded-buyer";
    let picks: Vec<String> = recommend(&b, json!({"userId": buyer, "numResults": 5}));
    let purchases =
        |range: std::ops::Range<usize>| picks[range].iter().map(|i| event("purchase", i)).collect::<Vec<_>>();
    for batch in [purchases(0..3), purchases(3..5)] {
        let r = put_events(&a, json!({"userId": buyer, "sessionId": "s-2", "eventList": batch}));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let filtered = recommend(&b, json!({"userId": buyer, "numResults": 500, "filter": "not-bought"}));
    for (i, item) in picks.iter().enumerate() {
        assert_eq!(filtered.contains(item), i < 2, "purchase {i} ({item}) kept only if among the last 3: {filtered:?}");
    }

    // What Redis holds: one bounded, expiring list per user or session, under the Solution.
    let prefix = "seer:live:default/shop-for-you:";
    assert_eq!(
        redis.keys(),
        [format!("{prefix}anon-session-7"), format!("{prefix}bounded-buyer"), format!("{prefix}shared-visitor")]
    );
    assert_eq!(redis.int(&["LLEN", &format!("{prefix}bounded-buyer")]), 3);
    let ttl = redis.int(&["TTL", &format!("{prefix}bounded-buyer")]);
    assert!((3 * 86_400 - 60..=3 * 86_400).contains(&ttl), "expires after the default 3 days: {ttl}");

    // Another Solution on the same Redis keeps its own lists.
    let similar =
        Server::start(&["--model", &fixtures().similar, "--redis-url", &url, "--redis-timeout", TIMEOUT], &[]);
    let r = put_events(&similar, json!({"userId": user, "sessionId": "s-3", "eventList": [event("view", "i0001")]}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(redis.int(&["LLEN", "seer:live:default/shop-similar:shared-visitor"]), 1);
    assert_eq!(redis.int(&["LLEN", &format!("{prefix}shared-visitor")]), 2, "shop-for-you's list untouched");
    assert_eq!(recommend(&b, json!({"userId": user, "numResults": 500})), after);

    // A key Redis cannot append to (something else wrote a string there): that user's events
    // get 503 with Redis's reason and their recommendations go on without live events, while
    // the store stays up for everyone else.
    let squatter = "squatter";
    assert_eq!(redis.command(&["SET", &format!("{prefix}{squatter}"), "not a list"]), Reply::Simple("OK".into()));
    let r = put_events(&a, json!({"userId": squatter, "sessionId": "s-4", "eventList": [event("view", viewed)]}));
    assert_eq!((r.status, r.error_code().as_str()), (503, "LiveStoreUnavailable"), "{}", r.text());
    assert!(r.text().contains("WRONGTYPE"), "{}", r.text());
    assert_eq!(recommend(&a, json!({"userId": squatter, "numResults": 500})), before);
    let r = put_events(&a, json!({"userId": "next-one", "sessionId": "s-5", "eventList": [event("view", viewed)]}));
    assert_eq!(r.status, 200, "{}", r.text());

    for server in [&a, &b] {
        let metrics = server.get("/metrics").text();
        assert!(metrics.contains("seer_live_store_up 1"), "{metrics}");
    }
    let metrics = a.get("/metrics").text();
    assert!(metrics.contains(r#"seer_live_store_errors_total{op="write"} 1"#), "{metrics}");
}

#[test]
fn without_redis_recommendations_answer_and_events_get_503() {
    let redis = Redis::start();
    let url = redis.url();
    let log = log_path("redis-down");
    let args = ["--model", &fixtures().solution, "--redis-url", &url, "--redis-timeout", TIMEOUT];
    let server = Server::start_logged(&args, &[], &log);
    let user = "while-redis-dies";
    let without_events = recommend(&server, json!({"userId": user, "numResults": 50}));
    let r = put_events(&server, json!({"userId": user, "sessionId": "s", "eventList": [event("view", "i0116")]}));
    assert_eq!(r.status, 200, "{}", r.text());
    let with_events = recommend(&server, json!({"userId": user, "numResults": 50}));
    assert_ne!(with_events, without_events);

    let (port, dir) = redis.stop();
    let refused = json!({"userId": user, "sessionId": "s", "eventList": [event("view", "i0212")]});
    server.wait_until(Duration::from_secs(10), "refusing events", |s| put_events(s, refused.clone()).status == 503);
    let r = put_events(&server, refused.clone());
    assert_eq!((r.status, r.error_code().as_str()), (503, "LiveStoreUnavailable"), "{}", r.text());
    assert!(r.text().contains("send them again"), "{}", r.text());
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(
            recommend(&server, json!({"userId": user, "numResults": 50})),
            without_events,
            "recommendations go on without live events"
        );
        // Well under the 2 s timeout: while Redis is known to be down it is not waited for.
        assert!(started.elapsed() < Duration::from_secs(1), "a recommendation took {:?}", started.elapsed());
    }
    assert_eq!(server.get("/readyz").status, 200, "/readyz is about the model");
    let metrics = server.get("/metrics").text();
    assert!(metrics.contains("seer_live_store_up 0"), "{metrics}");
    assert!(metrics.contains("seer_live_store_errors_total{op="), "{metrics}");
    assert!(metrics.contains("seer_events_ingested_total 1\n"), "refused events are not counted: {metrics}");

    // Back on the same port (empty: no persistence): events are taken in again.
    let _redis = Redis::start_on(port, dir, &[]).expect("redis-server back on its port");
    server.wait_until(Duration::from_secs(10), "taking events again", |s| put_events(s, refused.clone()).status == 200);
    let back = recommend(&server, json!({"userId": user, "numResults": 50}));
    assert_ne!(back, without_events, "the event sent after the restart counts");

    let text = std::fs::read_to_string(&log).expect("server log");
    assert_eq!(text.matches("is unavailable (").count(), 1, "logged once per transition:\n{text}");
    assert_eq!(text.matches("is back:").count(), 1, "logged once per transition:\n{text}");
    assert!(!text.contains(PASSWORD), "the password is never logged:\n{text}");
    assert!(text.contains(&format!("Redis at 127.0.0.1:{port}")), "{text}");
}

#[test]
fn a_slow_redis_costs_at_most_the_timeout() {
    let redis = Redis::start();
    let url = redis.url();
    let args = ["--model", &fixtures().solution, "--redis-url", &url, "--redis-timeout", "300ms"];
    let server = Server::start(&args, &[]);
    let user = "waits-for-nobody";
    let without_events = recommend(&server, json!({"userId": user, "numResults": 50}));
    let r = put_events(&server, json!({"userId": user, "sessionId": "s", "eventList": [event("view", "i0116")]}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_ne!(recommend(&server, json!({"userId": user, "numResults": 50})), without_events);

    // Redis holds every command for 4 s: as slow as a Redis gets short of going away.
    let paused = Instant::now();
    assert_eq!(redis.command(&["CLIENT", "PAUSE", "4000", "ALL"]), Reply::Simple("OK".into()));
    let started = Instant::now();
    assert_eq!(recommend(&server, json!({"userId": user, "numResults": 50})), without_events);
    let took = started.elapsed();
    let r = put_events(&server, json!({"userId": user, "sessionId": "s", "eventList": [event("view", "i0212")]}));
    assert_eq!((r.status, r.error_code().as_str()), (503, "LiveStoreUnavailable"), "{}", r.text());
    assert!(paused.elapsed() < Duration::from_secs(3), "still within the pause: {:?}", paused.elapsed());
    assert!(took < Duration::from_secs(2), "a recommendation waited {took:?} on a paused Redis (timeout 300ms)");

    // Once Redis answers again, so does the store.
    server.wait_until(Duration::from_secs(15), "taking events again", |s| {
        put_events(s, json!({"userId": user, "sessionId": "s", "eventList": [event("view", "i0212")]})).status == 200
    });
    assert_eq!(redis.int(&["LLEN", "seer:live:default/shop-for-you:waits-for-nobody"]), 2);
}

#[test]
fn rediss_with_a_private_ca() {
    let (redis, tls_port) = Redis::start_tls();
    let ca = redis.ca_file().display().to_string();
    let url = format!("rediss://:{PASSWORD}@localhost:{tls_port}/0");
    let args = ["--model", &fixtures().solution, "--redis-url", &url, "--redis-timeout", TIMEOUT];
    // The CA comes from SSL_CERT_FILE, as a pod would mount it.
    let a = Server::start(&args, &[("SSL_CERT_FILE", &ca)]);
    let b = Server::start(&args, &[("SSL_CERT_FILE", &ca)]);
    let user = "over-tls";
    let before = recommend(&b, json!({"userId": user, "numResults": 50}));
    let r = put_events(&a, json!({"userId": user, "sessionId": "s", "eventList": [event("view", "i0116")]}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_ne!(recommend(&b, json!({"userId": user, "numResults": 50})), before, "B sees A's event through TLS");
    assert_eq!(redis.int(&["LLEN", "seer:live:default/shop-for-you:over-tls"]), 1);

    // With another CA the certificate is not trusted: nothing is sent to that Redis.
    let other_ca = redis.ca_file().with_file_name("other-ca.crt").display().to_string();
    let log = log_path("rediss-untrusted");
    let untrusted = Server::start_logged(&args, &[("SSL_CERT_FILE", &other_ca)], &log);
    let r = put_events(&untrusted, json!({"userId": user, "sessionId": "s", "eventList": [event("view", "i0212")]}));
    assert_eq!((r.status, r.error_code().as_str()), (503, "LiveStoreUnavailable"), "{}", r.text());
    assert_eq!(redis.int(&["LLEN", "seer:live:default/shop-for-you:over-tls"]), 1);
    assert_eq!(recommend(&untrusted, json!({"userId": user, "numResults": 50})), before);
    let text = std::fs::read_to_string(&log).expect("server log");
    assert!(text.contains("UnknownIssuer"), "the log says why:\n{text}");
}

#[test]
fn redis_down_at_start_is_no_reason_not_to_serve() {
    let port = free_port();
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{port}/0");
    let args = ["--model", &fixtures().solution, "--redis-url", &url, "--redis-timeout", TIMEOUT];
    // Ready (the model is loaded) with nothing listening on the Redis port.
    let server = Server::start(&args, &[]);
    let user = "early-bird";
    let cold = recommend(&server, json!({"userId": user, "numResults": 50}));
    let body = json!({"userId": user, "sessionId": "s", "eventList": [event("view", "i0116")]});
    server.wait_until(Duration::from_secs(10), "refusing events", |s| put_events(s, body.clone()).status == 503);

    let dir = tempfile::Builder::new().prefix("seer-redis-").tempdir().expect("redis folder");
    let _redis = Redis::start_on(port, dir, &[]).expect("redis-server on the port the server was given");
    server.wait_until(Duration::from_secs(10), "taking events", |s| put_events(s, body.clone()).status == 200);
    assert_ne!(recommend(&server, json!({"userId": user, "numResults": 50})), cold);
}
