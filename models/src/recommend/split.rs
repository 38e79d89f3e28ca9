//! Personalize's offline-evaluation split.
//!
//! Amazon Personalize trains on 90% of the users with all their interactions; for the other 10%
//! it gives the solution version each user's oldest 90% of interactions as input and compares the
//! recommendations with that user's newest 10%. Doing exactly the same makes our metrics
//! comparable with the numbers users saw in Personalize.

use super::data::{Dataset, Event};
use super::rng::SplitMix64;

/// One held-out user: what the model sees and what it should find.
#[derive(Clone, Debug)]
pub struct TestCase {
    /// Dense user index.
    pub user: u32,
    /// The user's oldest events (input at evaluation time), oldest first.
    pub history: Vec<Event>,
    /// Distinct items of the user's newest events (the relevant items), in time order.
    pub relevant: Vec<u32>,
}

/// The result of [`personalize_split`].
#[derive(Clone, Debug)]
pub struct PersonalizeSplit {
    /// Training data: every event of the users that are not held out.
    pub train: Dataset,
    /// The held-out users.
    pub test: Vec<TestCase>,
}

/// Hold out `user_fraction` of the users (at random, from `seed`) and, of each, the newest
/// `event_fraction` of their events (at least one, and at least one left as history). Users with
/// fewer than two events cannot be split and always train. Personalize's defaults are 0.1 and 0.1.
pub fn personalize_split(ds: &Dataset, user_fraction: f64, event_fraction: f64, seed: u64) -> PersonalizeSplit {
    let mut eligible: Vec<u32> = (0..ds.n_users() as u32).filter(|&u| ds.user_events(u).len() >= 2).collect();
    let mut rng = SplitMix64::new(seed);
    rng.shuffle(&mut eligible);
    let n_test = ((eligible.len() as f64 * user_fraction).round() as usize).min(eligible.len());
    let mut chosen = eligible[..n_test].to_vec();
    chosen.sort_unstable();
    let mut is_test = vec![false; ds.n_users()];
    let mut test = Vec::with_capacity(chosen.len());
    for &u in &chosen {
        is_test[u as usize] = true;
        let ev = ds.user_events(u);
        let n_out = ((ev.len() as f64 * event_fraction).ceil() as usize).clamp(1, ev.len() - 1);
        let cut = ev.len() - n_out;
        let mut relevant: Vec<u32> = Vec::new();
        for e in &ev[cut..] {
            if !relevant.contains(&e.item) {
                relevant.push(e.item);
            }
        }
        test.push(TestCase { user: u, history: ev[..cut].to_vec(), relevant });
    }
    let train = ds.filter_events(|_, e| !is_test[e.user as usize]);
    PersonalizeSplit { train, test }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::DatasetBuilder;

    #[test]
    fn holds_out_newest_tenth_of_a_tenth_of_users() {
        let mut b = DatasetBuilder::new();
        for u in 0..100 {
            for t in 0..20 {
                b.add_event(&format!("u{u}"), &format!("i{}", (u + t) % 30), t, None, None).unwrap();
            }
        }
        let ds = b.build();
        let s = personalize_split(&ds, 0.1, 0.1, 7);
        assert_eq!(s.test.len(), 10);
        for case in &s.test {
            assert_eq!(case.history.len(), 18);
            assert_eq!(case.relevant.len(), 2);
            assert!(case.history.iter().all(|e| e.timestamp < 18));
            assert!(s.train.user_events(case.user).is_empty());
        }
        assert_eq!(s.train.events().len(), 90 * 20);
        // Same seed, same split.
        let again = personalize_split(&ds, 0.1, 0.1, 7);
        let a: Vec<u32> = s.test.iter().map(|c| c.user).collect();
        let b: Vec<u32> = again.test.iter().map(|c| c.user).collect();
        assert_eq!(a, b);
    }
}
