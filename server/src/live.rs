//! Recent events per user, bounded, so the next recommendation reflects what a user just did.
//! Events are kept by item id (not by a model's dense index) so they outlive a swap to a new
//! model version. They live in this process ([`LiveHistory`]) or, with `--redis-url`, in Redis
//! ([`RedisHistory`]), shared by every replica; [`LiveStore`] is either, behind one interface.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::Duration,
};

use crate::live_redis::RedisHistory;

/// Where live events are kept. An enum rather than a trait object: two kinds, and the
/// in-memory path stays a direct call with no boxed future.
#[derive(Debug)]
pub enum LiveStore {
    /// In this process: each replica sees only the events sent to it.
    Memory(LiveHistory),
    /// In Redis: every replica sees every event.
    Redis(RedisHistory),
}

/// Why events could not be kept. Reads never fail (they fall back to no live events).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LiveStoreError {
    /// Known to be down (a recent call timed out or could not reach Redis); not tried until
    /// the next successful probe.
    #[error("the live-history store (Redis) is unavailable")]
    Unavailable,
    /// No answer in time: the store counts as down.
    #[error("the live-history store (Redis) did not answer within {0:?}")]
    Timeout(Duration),
    /// No connection (refused, dropped, authentication failed): the store counts as down.
    #[error("the live-history store (Redis) cannot be reached: {0}")]
    Connection(String),
    /// Redis answered with an error (out of memory, a key of another type, ...): this call
    /// failed, but the store is up.
    #[error("the live-history store (Redis) refused: {0}")]
    Rejected(String),
}

impl LiveStoreError {
    /// Whether the store should count as down (rather than one call having been refused).
    pub fn is_outage(&self) -> bool {
        !matches!(self, Self::Rejected(_))
    }
}

impl LiveStore {
    /// `key`'s recent events, oldest first (none when the store cannot be read in time).
    pub async fn recent(&self, key: &str) -> Vec<LiveEvent> {
        match self {
            Self::Memory(m) => m.recent(key),
            Self::Redis(r) => r.recent(key).await,
        }
    }

    /// Appends `events` (oldest first) to `key`'s history.
    pub async fn record(&self, key: &str, events: Vec<LiveEvent>) -> Result<(), LiveStoreError> {
        match self {
            Self::Memory(m) => {
                m.record(key, events);
                Ok(())
            }
            Self::Redis(r) => r.record(key, &events).await,
        }
    }
}

/// One event as taken in.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveEvent {
    pub item: String,
    pub event_type: String,
    /// Unix seconds.
    pub timestamp: i64,
    pub value: Option<f32>,
}

/// Bounded per user (the newest events win) and in users (the user who first appeared longest
/// ago is dropped first, an O(1) approximation of least-recently-used).
#[derive(Debug)]
pub struct LiveHistory {
    per_user: usize,
    max_users: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    users: HashMap<String, VecDeque<LiveEvent>>,
    arrival: VecDeque<String>,
}

impl LiveHistory {
    pub fn new(per_user: usize, max_users: usize) -> Self {
        Self { per_user: per_user.max(1), max_users: max_users.max(1), inner: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves the map consistent (every change is
        // a single push/pop), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends `events` (oldest first) to `user`'s history.
    pub fn record(&self, user: &str, events: impl IntoIterator<Item = LiveEvent>) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        if !inner.users.contains_key(user) {
            while inner.users.len() >= self.max_users {
                match inner.arrival.pop_front() {
                    Some(old) => {
                        inner.users.remove(&old);
                    }
                    None => break,
                }
            }
            inner.arrival.push_back(user.to_string());
        }
        let history = inner.users.entry(user.to_string()).or_default();
        for e in events {
            if history.len() >= self.per_user {
                history.pop_front();
            }
            history.push_back(e);
        }
    }

    /// `user`'s recent events, oldest first.
    pub fn recent(&self, user: &str) -> Vec<LiveEvent> {
        self.lock().users.get(user).map(|h| h.iter().cloned().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(item: &str) -> LiveEvent {
        LiveEvent { item: item.into(), event_type: "view".into(), timestamp: 1, value: None }
    }

    #[test]
    fn bounded_per_user_and_in_users() {
        let live = LiveHistory::new(2, 2);
        live.record("u1", [ev("a"), ev("b"), ev("c")]);
        assert_eq!(live.recent("u1").iter().map(|e| e.item.as_str()).collect::<Vec<_>>(), ["b", "c"]);
        live.record("u2", [ev("x")]);
        live.record("u1", [ev("d")]);
        live.record("u3", [ev("y")]);
        assert!(live.recent("u1").is_empty(), "the first user is dropped for the third");
        assert_eq!(live.recent("u2").len(), 1);
        assert_eq!(live.recent("u3").len(), 1);
        assert!(live.recent("nobody").is_empty());
    }
}
