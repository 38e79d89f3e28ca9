//! Recent events per user, in memory and bounded, so the next recommendation reflects what a
//! user just did. Events are kept by item id (not by a model's dense index) so they outlive a
//! swap to a new model version.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

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
