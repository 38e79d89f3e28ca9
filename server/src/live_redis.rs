//! Live history in Redis (`--redis-url`), so every replica of a Campaign sees every event a
//! user sends to any of them.
//!
//! One Redis list per user (or session), `seer:live:<namespace>/<solution>:<key>`, holding that
//! key's newest events as small JSON values, oldest first. A write is one `MULTI` of `RPUSH`,
//! `LTRIM` (the `--live-events-per-user` bound) and `EXPIRE` (`--live-events-ttl`), so a list
//! is never seen over its bound and an idle user's events go away by themselves; a read is one
//! `LRANGE`. The namespace and Solution in the key keep two Solutions sharing one Redis apart.
//!
//! Redis must never make a recommendation fail or hang: every call is bounded by
//! `--redis-timeout`, and once a call times out or cannot reach Redis the store counts as down
//! (an error Redis answers, such as out of memory, fails that call only). While it is down reads
//! are skipped at once (a recommendation goes on without live events) and writes are refused
//! at once (`POST /v1/events` answers 503, so the client keeps its events and sends them again
//! rather than losing them); a ping every [`PROBE_INTERVAL`] notices when Redis is back. Each
//! transition is logged once and `seer_live_store_up` follows it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use redis::{
    Client, IntoConnectionInfo,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use serde::{Deserialize, Serialize};

use crate::{
    live::{LiveEvent, LiveStoreError},
    metrics::LiveStoreMetrics,
};

/// How often the store's health is checked with a `PING` (and, while it is down, how soon a
/// Redis that is back is used again).
pub const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// Live events of one Solution in Redis.
pub struct RedisHistory {
    conn: ConnectionManager,
    /// `seer:live:<namespace>/<solution>:`.
    prefix: String,
    /// Events kept per key (`LTRIM key -per_key -1`).
    per_key: isize,
    ttl_seconds: i64,
    timeout: Duration,
    health: Arc<Health>,
}

// Not derived: the connection's own `Debug` shows the URL's password.
impl std::fmt::Debug for RedisHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHistory")
            .field("server", &self.health.server)
            .field("prefix", &self.prefix)
            .field("per_key", &self.per_key)
            .field("ttl_seconds", &self.ttl_seconds)
            .field("timeout", &self.timeout)
            .field("up", &self.health.is_up())
            .finish()
    }
}

/// Up or down, with the transition logged once and mirrored in the metrics.
#[derive(Debug)]
struct Health {
    up: AtomicBool,
    /// `host:port` (or the socket path): what logs name, never the URL, which may hold a password.
    server: String,
    metrics: LiveStoreMetrics,
}

impl Health {
    fn failed(&self, op: &str, error: &LiveStoreError) {
        self.metrics.errors.with_label_values(&[op]).inc();
        if error.is_outage() && self.up.swap(false, Ordering::AcqRel) {
            self.metrics.up.set(0);
            eprintln!(
                "seer-server: live history: Redis at {} is unavailable ({op}: {error}); recommendations go on \
                 without live events and POST /v1/events answers 503 meanwhile",
                self.server
            );
        }
    }

    fn succeeded(&self) {
        // One load on the hot path; the swap (and the log line) only on the transition.
        if !self.up.load(Ordering::Acquire) && !self.up.swap(true, Ordering::AcqRel) {
            self.metrics.up.set(1);
            eprintln!("seer-server: live history: Redis at {} is back: live events are kept there again", self.server);
        }
    }

    fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }
}

/// One stored event. Short field names: a list holds up to `--live-events-per-user` of them
/// for every active user.
#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    #[serde(borrow, rename = "i")]
    item: std::borrow::Cow<'a, str>,
    #[serde(borrow, rename = "t")]
    event_type: std::borrow::Cow<'a, str>,
    #[serde(rename = "s")]
    timestamp: i64,
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    value: Option<f32>,
}

impl RedisHistory {
    /// Checks `url` and prepares the connection for the Solution `namespace/solution`. It does
    /// not wait for Redis: one that is down at start is logged and retried, and the model is
    /// served meanwhile. Errors name the problem, never the URL.
    pub fn new(
        url: &str,
        namespace: &str,
        solution: &str,
        per_key: usize,
        ttl: Duration,
        timeout: Duration,
        metrics: LiveStoreMetrics,
    ) -> Result<Self, String> {
        let info = url.into_connection_info().map_err(|e| format!("--redis-url: not a Redis URL ({e})"))?;
        let server = info.addr().to_string();
        let client = Client::open(info).map_err(|e| format!("--redis-url: {e}"))?;
        let config = ConnectionManagerConfig::new()
            // Reconnects are driven by the probe (and by requests); a failed connect is not
            // retried inside one call, which the timeout would cut short anyway.
            .set_number_of_retries(0)
            .set_connection_timeout(Some(timeout.max(Duration::from_secs(1))))
            .set_response_timeout(Some(timeout));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("--redis-url: cannot set up the connection to {server}: {e}"))?;
        let ttl_seconds = i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX);
        Ok(Self {
            conn,
            prefix: key_prefix(namespace, solution),
            per_key: isize::try_from(per_key.max(1)).unwrap_or(isize::MAX),
            ttl_seconds,
            timeout,
            // Up until a call says otherwise: the first probe runs at once.
            health: Arc::new(Health { up: AtomicBool::new(true), server, metrics }),
        })
    }

    /// `host:port` of the Redis server (no credentials).
    pub fn server(&self) -> &str {
        &self.health.server
    }

    /// Whether Redis counts as up: no call has timed out or failed to reach it since the last
    /// one that succeeded.
    pub fn is_up(&self) -> bool {
        self.health.is_up()
    }

    /// `key`'s recent events, oldest first; none while Redis is down or slower than the timeout.
    pub async fn recent(&self, key: &str) -> Vec<LiveEvent> {
        if !self.health.is_up() {
            return Vec::new();
        }
        let mut conn = self.conn.clone();
        let mut read = redis::cmd("LRANGE");
        read.arg(self.key(key)).arg(-self.per_key).arg(-1);
        match self.bounded(read.query_async::<Vec<Vec<u8>>>(&mut conn)).await {
            Ok(values) => {
                self.health.succeeded();
                // A value this server cannot read (written by something else) is skipped.
                values.iter().filter_map(|v| decode(v)).collect()
            }
            Err(e) => {
                self.health.failed("read", &e);
                Vec::new()
            }
        }
    }

    /// Appends `events` (oldest first) to `key`'s list, trims it to the bound and renews its
    /// expiry, all in one transaction. Refused at once while Redis is down.
    pub async fn record(&self, key: &str, events: &[LiveEvent]) -> Result<(), LiveStoreError> {
        if !self.health.is_up() {
            return Err(LiveStoreError::Unavailable);
        }
        let key = self.key(key);
        let values: Vec<Vec<u8>> = events.iter().map(encode).collect();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("RPUSH")
            .arg(&key)
            .arg(values)
            .ignore()
            .cmd("LTRIM")
            .arg(&key)
            .arg(-self.per_key)
            .arg(-1)
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(self.ttl_seconds)
            .ignore();
        let mut conn = self.conn.clone();
        match self.bounded(pipe.exec_async(&mut conn)).await {
            Ok(()) => {
                self.health.succeeded();
                Ok(())
            }
            Err(e) => {
                self.health.failed("write", &e);
                Err(e)
            }
        }
    }

    /// Pings Redis every [`PROBE_INTERVAL`] for as long as the process runs, so a Redis that
    /// went away is noticed (and one that is back is used again) without waiting for a request.
    pub fn spawn_probe(&self) -> tokio::task::JoinHandle<()> {
        let (conn, health, timeout) = (self.conn.clone(), self.health.clone(), self.timeout);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PROBE_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let mut conn = conn.clone();
                let ping = redis::cmd("PING");
                match tokio::time::timeout(timeout, ping.query_async::<String>(&mut conn)).await {
                    Ok(Ok(_)) => health.succeeded(),
                    // Any error, answered or not, means Redis cannot serve us now (a ping
                    // fails while Redis loads its data, say).
                    Ok(Err(e)) => health.failed("ping", &LiveStoreError::Connection(e.to_string())),
                    Err(_) => health.failed("ping", &LiveStoreError::Timeout(timeout)),
                }
            }
        })
    }

    fn key(&self, key: &str) -> String {
        let mut k = String::with_capacity(self.prefix.len() + key.len());
        k.push_str(&self.prefix);
        k.push_str(key);
        k
    }

    async fn bounded<T>(&self, call: impl Future<Output = redis::RedisResult<T>>) -> Result<T, LiveStoreError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(classify(&e)),
            Err(_) => Err(LiveStoreError::Timeout(self.timeout)),
        }
    }
}

/// No connection (I/O, refused, dropped, failed authentication) takes the store down; an error
/// Redis answered (a full Redis, a key of another type, in a pipeline or not) fails the call.
fn classify(e: &redis::RedisError) -> LiveStoreError {
    if e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || e.kind() == redis::ErrorKind::AuthenticationFailed
    {
        LiveStoreError::Connection(e.to_string())
    } else {
        LiveStoreError::Rejected(e.to_string())
    }
}

/// `seer:live:<namespace>/<solution>:`. Kubernetes names hold neither `/` nor `:`, so no two
/// Solutions share a prefix; the user or session id follows, as it is.
pub fn key_prefix(namespace: &str, solution: &str) -> String {
    format!("seer:live:{namespace}/{solution}:")
}

fn encode(e: &LiveEvent) -> Vec<u8> {
    let stored = Stored {
        item: e.item.as_str().into(),
        event_type: e.event_type.as_str().into(),
        timestamp: e.timestamp,
        value: e.value,
    };
    // Serializing strings, integers and finite floats cannot fail.
    serde_json::to_vec(&stored).unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Option<LiveEvent> {
    let s: Stored<'_> = serde_json::from_slice(bytes).ok()?;
    Some(LiveEvent {
        item: s.item.into_owned(),
        event_type: s.event_type.into_owned(),
        timestamp: s.timestamp,
        value: s.value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_the_stored_form() {
        let events = [
            LiveEvent { item: "i0001".into(), event_type: "view".into(), timestamp: 1_767_000_000, value: None },
            LiveEvent {
                item: "a \"quoted\" ü item".into(),
                event_type: "purchase".into(),
                timestamp: -5,
                value: Some(0.1),
            },
        ];
        for e in &events {
            let bytes = encode(e);
            assert_eq!(decode(&bytes).as_ref(), Some(e), "{}", String::from_utf8_lossy(&bytes));
        }
        assert_eq!(encode(&events[0]), br#"{"i":"i0001","t":"view","s":1767000000}"#);
        assert_eq!(decode(b"not json"), None);
        assert_eq!(decode(br#"{"i":"x"}"#), None);
    }

    #[test]
    fn keys_are_namespaced_by_the_solution() {
        assert_eq!(key_prefix("team-a", "shop"), "seer:live:team-a/shop:");
        assert_ne!(key_prefix("team-a", "shop"), key_prefix("team-b", "shop"));
    }

    #[tokio::test]
    async fn urls_are_checked_and_never_echoed() {
        let metrics = crate::metrics::Metrics::new().expect("metrics").live_store();
        let new = |url: &str| {
            RedisHistory::new(url, "ns", "s", 10, Duration::from_secs(60), Duration::from_millis(100), metrics.clone())
        };
        let history = new("redis://user:s3cret@127.0.0.1:1/2").expect("a valid URL");
        assert_eq!(history.server(), "127.0.0.1:1");
        assert!(!format!("{history:?}").contains("s3cret"), "{history:?}");
        let err = new("http://user:s3cret@example.com").expect_err("not a Redis URL");
        assert!(!err.contains("s3cret") && err.contains("--redis-url"), "{err}");
        let tls = new("rediss://user:s3cret@redis.example.com:6380").expect("TLS");
        assert_eq!(tls.server(), "redis.example.com:6380");
        assert!(!format!("{tls:?}").contains("s3cret"), "{tls:?}");
    }
}
