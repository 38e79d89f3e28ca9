//! POPULARITY_COUNT and TRENDING_NOW.
//!
//! Popularity is Personalize's recommended baseline and the cold-start answer for unknown
//! users. Trending ranks items by how fast their popularity grows: the count in the newest
//! window against the window before, scaled like a Poisson z-score so a jump from 0 to 1 does not
//! outrank a jump from 100 to 300.

use super::data::Dataset;
use super::{RecommendError, Scored, top_n};

/// POPULARITY_COUNT: items by number of events.
#[derive(Clone, Debug)]
pub struct Popularity {
    pub(super) counts: Vec<f32>,
}

impl Popularity {
    /// Count events per item.
    pub fn fit(ds: &Dataset) -> Result<Self, RecommendError> {
        if ds.events().is_empty() {
            return Err(RecommendError::Empty);
        }
        Ok(Self { counts: ds.item_counts().iter().map(|&c| c as f32).collect() })
    }

    /// Events of item `i`.
    pub fn count(&self, i: u32) -> f32 {
        self.counts.get(i as usize).copied().unwrap_or(0.0)
    }

    /// Per-item scores (the counts).
    pub fn scores(&self) -> &[f32] {
        &self.counts
    }

    /// The `n` most popular items that `allow` accepts.
    pub fn recommend(&self, n: usize, allow: impl Fn(u32) -> bool) -> Vec<Scored> {
        let scored = self.counts.iter().enumerate().map(|(i, &c)| (i as u32, c)).filter(|&(i, c)| c > 0.0 && allow(i));
        top_n(scored.collect(), n)
    }
}

/// TRENDING_NOW: growth of popularity between the newest window and the one before.
#[derive(Clone, Debug)]
pub struct Trending {
    pub(super) scores: Vec<f32>,
    /// Window (timestamp units) and its end, as fitted.
    pub(super) window: i64,
    pub(super) now: i64,
}

impl Trending {
    /// Score items by growth over `window` (same unit as the timestamps) ending at `now`
    /// (default: the newest event).
    pub fn fit(ds: &Dataset, window: i64, now: Option<i64>) -> Result<Self, RecommendError> {
        if window <= 0 {
            return Err(RecommendError::InvalidParameter { name: "trendWindow", reason: "must be positive".into() });
        }
        let now = now.or_else(|| ds.events().iter().map(|e| e.timestamp).max()).ok_or(RecommendError::Empty)?;
        let mut recent = vec![0f32; ds.n_items()];
        let mut before = vec![0f32; ds.n_items()];
        for e in ds.events() {
            let age = now - e.timestamp;
            if (0..window).contains(&age) {
                recent[e.item as usize] += 1.0;
            } else if (window..2 * window).contains(&age) {
                before[e.item as usize] += 1.0;
            }
        }
        let scores = recent
            .iter()
            .zip(&before)
            .map(|(&r, &b)| if r > 0.0 { (r - b) / (b + 1.0).sqrt() } else { f32::NEG_INFINITY })
            .collect();
        Ok(Self { scores, window, now })
    }

    /// Per-item growth scores (`-inf` for items with no recent event).
    pub fn scores(&self) -> &[f32] {
        &self.scores
    }

    /// The `n` fastest-growing items that `allow` accepts.
    pub fn recommend(&self, n: usize, allow: impl Fn(u32) -> bool) -> Vec<Scored> {
        let scored =
            self.scores.iter().enumerate().map(|(i, &s)| (i as u32, s)).filter(|&(i, s)| s.is_finite() && allow(i));
        top_n(scored.collect(), n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::DatasetBuilder;

    #[test]
    fn popularity_and_trending_differ() {
        let mut b = DatasetBuilder::new();
        // "old" is popular long ago, "new" is rising in the last window.
        for t in 0..50 {
            b.add_event(&format!("u{t}"), "old", t, None, None).unwrap();
        }
        for t in 0..10 {
            b.add_event(&format!("v{t}"), "new", 190 + t, None, None).unwrap();
        }
        b.add_event("w", "old", 195, None, None).unwrap();
        let ds = b.build();
        let pop = Popularity::fit(&ds).unwrap();
        let trend = Trending::fit(&ds, 20, None).unwrap();
        let old = ds.items().get("old").unwrap();
        let new = ds.items().get("new").unwrap();
        assert_eq!(pop.recommend(1, |_| true)[0].0, old);
        assert_eq!(trend.recommend(1, |_| true)[0].0, new);
        assert!(Trending::fit(&ds, 0, None).is_err());
    }
}
