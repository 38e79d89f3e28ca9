//! Recommendation recipes, filters and Amazon Personalize's offline metrics, on in-memory
//! interactions.
//!
//! The trainer parses files into a [`Dataset`] (dense integer indices for users, items and
//! event types, so every model works on plain arrays), splits it with [`split::personalize_split`]
//! exactly as Personalize does, fits a recipe and scores it with [`metrics`]. The server keeps the
//! fitted model and asks it for recommendations with the user's live events and a [`filter`].
//! Between the two, [`persist`] turns a fitted recipe into files (a JSON header and safetensors)
//! and back.

pub mod als;
pub mod ann;
pub mod data;
pub mod ease;
pub mod filter;
mod kernels;
pub mod knn;
pub mod metrics;
pub mod persist;
pub mod personalization;
pub mod popularity;
pub mod recipe;
mod serving;
pub mod sims;
pub mod split;

/// The seeded generator (it moved to the crate root, shared with forecasting).
pub use crate::rng;

pub use ann::{AnnParams, MipsIndex};
pub use data::{Attributes, Dataset, DatasetBuilder, Event, IdMap};
pub use ease::{Ease, EaseParams};
pub use filter::{BoundFilter, Filter, FilterContext, FilterError, parse_filter_value};
pub use knn::{ItemKnn, ItemKnnParams};
pub use metrics::{RankedList, evaluate};
pub use persist::{ModelFileError, TrainedModel};
pub use personalization::{PersonalizationParams, UserPersonalization};
pub use popularity::{Popularity, Trending};
pub use recipe::{RecipeModel, RecipeParams, evaluate_offline};
pub use serving::ServingParams;
pub use sims::{SimilarItems, SimsParams};
pub use split::{PersonalizeSplit, TestCase, personalize_split};

/// What can go wrong building data or fitting a recipe. Bad input is an error, never a panic.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RecommendError {
    /// No interactions to learn from.
    #[error("no interactions to train on")]
    Empty,
    /// A parameter outside its range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// Parameter name, as the Solution spells it.
        name: &'static str,
        /// What was expected.
        reason: String,
    },
    /// A numeric routine did not converge or met a singular system.
    #[error("numerical failure in {0}")]
    Numerical(&'static str),
    /// More distinct ids than the dense index type can hold.
    #[error("too many distinct {0} (more than 2^32)")]
    TooMany(&'static str),
}

/// A scored recommendation: the dense item index and its score (higher is better).
pub type Scored = (u32, f32);

/// Best first: higher score, then lower index (so results are deterministic).
fn best_first(a: &Scored, b: &Scored) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Sort by score, best first, ties by index so results are deterministic; keep `n`.
pub(crate) fn top_n(mut scored: Vec<Scored>, n: usize) -> Vec<Scored> {
    if scored.len() > n && n > 0 {
        scored.select_nth_unstable_by(n - 1, best_first);
        scored.truncate(n);
    }
    scored.sort_by(best_first);
    scored.truncate(n);
    scored
}

/// The best `k` of a stream of scored items, as [`top_n`] would choose them from all of it,
/// holding at most `4k` at a time: whenever the buffer fills it is cut back to its best `k`, and
/// the `k`-th best score becomes a floor below which nothing is kept (thousands of candidates
/// then cost a comparison each rather than a place in a sort).
pub(crate) struct Best {
    k: usize,
    floor: f32,
    buffer: Vec<Scored>,
}

impl Best {
    /// Collects into `buffer` (cleared; pass a reused one to avoid allocating).
    pub(crate) fn new(k: usize, mut buffer: Vec<Scored>) -> Self {
        buffer.clear();
        Self { k, floor: f32::NEG_INFINITY, buffer }
    }

    pub(crate) fn push(&mut self, item: u32, score: f32) {
        // Equal to the floor may still win on the index.
        if self.k == 0 || score < self.floor {
            return;
        }
        self.buffer.push((item, score));
        if self.buffer.len() >= 4 * self.k {
            self.buffer.select_nth_unstable_by(self.k - 1, best_first);
            self.buffer.truncate(self.k);
            self.floor = self.buffer[self.k - 1].1;
        }
    }

    /// The best `k`, best first.
    pub(crate) fn into_sorted(self) -> Vec<Scored> {
        top_n(self.buffer, self.k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_of_a_stream_is_top_n_of_all_of_it() {
        let mut rng = crate::rng::SplitMix64::new(11);
        // Few distinct scores, so ties (broken by the lower index) cross the floor.
        let all: Vec<Scored> = (0..5000u32).map(|i| (i, rng.below(40) as f32)).collect();
        for k in [0, 1, 7, 32, 200, 6000] {
            let mut best = Best::new(k, vec![(9, 9.0)]);
            all.iter().for_each(|&(i, v)| best.push(i, v));
            assert_eq!(best.into_sorted(), top_n(all.clone(), k), "k {k}");
        }
    }
}
