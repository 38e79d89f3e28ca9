//! `--log-events`: the events a Solution's server takes in are appended to the event log in
//! object storage (DESIGN.md §5, `seer_storage::events`), so the next training learns from them.
//! Events are buffered and written as one CSV part per batch — when the batch is full, every
//! interval, and once more at a graceful stop — so nothing taken in is lost on shutdown. A part
//! that cannot be written goes back to the front of the buffer and is tried again.

use std::{
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use seer_storage::{
    ObjectStore, ObjectUri,
    events::{EVENT_LOG_HEADER, event_part_uri},
};
use tokio::sync::Notify;

/// One event as a line of the interactions layout.
pub struct LoggedEvent<'a> {
    pub user: &'a str,
    pub item: &'a str,
    pub timestamp: i64,
    pub event_type: &'a str,
    pub value: Option<f32>,
}

/// The buffer and where it goes.
#[derive(Debug)]
pub struct EventLog {
    store: ObjectStore,
    log: ObjectUri,
    pending: Mutex<Vec<String>>,
    batch: usize,
    wake: Notify,
    seq: AtomicU64,
    /// Distinguishes the parts of replicas writing at the same millisecond (the pod name).
    writer: String,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

impl EventLog {
    /// A log under `log` (`<root>/<namespace>/events/<solution>`), flushed at `batch` events.
    pub fn new(store: ObjectStore, log: ObjectUri, batch: usize) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_default();
        let writer = if host.is_empty() { format!("pid{}", std::process::id()) } else { file_name_safe(&host) };
        Self {
            store,
            log,
            pending: Mutex::new(Vec::new()),
            batch: batch.max(1),
            wake: Notify::new(),
            seq: AtomicU64::new(0),
            writer,
        }
    }

    fn pending(&self) -> MutexGuard<'_, Vec<String>> {
        // A panic elsewhere while holding the lock leaves whole lines: keep them.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Events waiting to be written.
    pub fn pending_len(&self) -> usize {
        self.pending().len()
    }

    /// Buffers events; a full batch wakes the writer.
    pub fn append<'a>(&self, events: impl IntoIterator<Item = LoggedEvent<'a>>) {
        let len = {
            let mut pending = self.pending();
            for e in events {
                pending.push(format!(
                    "{},{},{},{},{}",
                    csv_field(e.user),
                    csv_field(e.item),
                    e.timestamp,
                    csv_field(e.event_type),
                    e.value.map(|v| v.to_string()).unwrap_or_default()
                ));
            }
            pending.len()
        };
        if len >= self.batch {
            self.wake.notify_one();
        }
    }

    /// Writes what is buffered as one part; returns how many events it held.
    pub async fn flush(&self) -> Result<usize, String> {
        let lines = std::mem::take(&mut *self.pending());
        if lines.is_empty() {
            return Ok(0);
        }
        let now = chrono::Utc::now();
        let part =
            format!("{}-{}-{:06}", now.format("%H%M%S%3f"), self.writer, self.seq.fetch_add(1, Ordering::Relaxed));
        let uri = event_part_uri(&self.log, &now.format("%Y-%m-%d").to_string(), &part);
        let mut body = String::with_capacity(64 * (lines.len() + 1));
        body.push_str(EVENT_LOG_HEADER);
        body.push('\n');
        for l in &lines {
            body.push_str(l);
            body.push('\n');
        }
        match self.store.put(&uri, body.into_bytes()).await {
            Ok(()) => Ok(lines.len()),
            Err(e) => {
                // Back in front of anything that arrived meanwhile, in order.
                let mut pending = self.pending();
                let newer = std::mem::replace(&mut *pending, lines);
                pending.extend(newer);
                Err(format!("cannot write {uri}: {e}"))
            }
        }
    }

    /// Flushes every `interval` and whenever a batch fills, until the server stops.
    pub async fn run(&self, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = self.wake.notified() => {}
            }
            if let Err(e) = self.flush().await {
                eprintln!("seer-server: event log: {e} (kept in memory, tried again)");
            }
        }
    }
}

/// A pod name as a file-name part: letters, digits and `-` only.
fn file_name_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn batches_become_parts_and_nothing_is_lost_on_a_failed_write() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = ObjectStore::connect(&seer_storage::S3Settings::default()).await;
        let log = ObjectUri::parse(&format!("file://{}/ns/events/sol", dir.path().display())).expect("uri");
        let events = EventLog::new(store, log.clone(), 2);
        events.append([
            LoggedEvent { user: "u1", item: "a,b", timestamp: 10, event_type: "view", value: None },
            LoggedEvent { user: "u2", item: "c", timestamp: 11, event_type: "purchase", value: Some(2.5) },
        ]);
        assert_eq!(events.flush().await, Ok(2));
        assert_eq!(events.flush().await, Ok(0), "nothing left");
        let files: Vec<_> = walk(dir.path());
        assert_eq!(files.len(), 1, "{files:?}");
        let text = std::fs::read_to_string(&files[0]).expect("part");
        assert_eq!(text, format!("{EVENT_LOG_HEADER}\nu1,\"a,b\",10,view,\nu2,c,11,purchase,2.5\n"));

        // A log whose folder cannot be created (a file is in the way) keeps the events.
        std::fs::write(dir.path().join("blocked"), "x").expect("file");
        let store = ObjectStore::connect(&seer_storage::S3Settings::default()).await;
        let bad = ObjectUri::parse(&format!("file://{}/blocked/events", dir.path().display())).expect("uri");
        let events = EventLog::new(store, bad, 10);
        events.append([LoggedEvent { user: "u", item: "i", timestamp: 1, event_type: "t", value: None }]);
        assert!(events.flush().await.is_err());
        assert_eq!(events.pending().len(), 1, "kept for the next try");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read").flatten() {
            let p = entry.path();
            if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
        }
        out
    }
}
