//! Amazon Personalize's offline metrics, with its definitions:
//!
//! - `precision_at_K`: relevant items among the top K, divided by K;
//! - `normalized_discounted_cumulative_gain_at_K`: Σ 1/log(1+rank) over relevant items in the
//!   top K, divided by the same sum for the ideal list (all relevant items first);
//! - `mean_reciprocal_rank_at_25`: 1/rank of the first relevant item in the top 25 (0 if none);
//! - `coverage`: distinct items recommended over all test users, divided by the number of
//!   distinct items in the interactions and items datasets (the catalog).
//!
//! Every per-user metric is averaged over the test users.

use std::collections::BTreeMap;

use seer_api::metrics::RecommendationMetrics;

/// One user's recommendations (best first) and the items they actually interacted with.
#[derive(Clone, Debug)]
pub struct RankedList<'a> {
    /// Recommended items, best first (at least 25 for every metric to be exact).
    pub recommended: &'a [u32],
    /// The relevant (held-out) items.
    pub relevant: &'a [u32],
}

/// Precision at `k` of one list.
pub fn precision_at(list: &RankedList<'_>, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let hits = list.recommended.iter().take(k).filter(|i| list.relevant.contains(i)).count();
    hits as f64 / k as f64
}

/// NDCG at `k` of one list (binary relevance, discount 1/log2(1+rank), rank from 1).
pub fn ndcg_at(list: &RankedList<'_>, k: usize) -> f64 {
    let disc = |rank: usize| 1.0 / ((rank + 1) as f64).log2();
    let dcg: f64 = list
        .recommended
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, i)| list.relevant.contains(i))
        .map(|(r, _)| disc(r + 1))
        .sum();
    let ideal: f64 = (1..=list.relevant.len().min(k)).map(disc).sum();
    // `+ 0.0`: an empty float sum is -0.0, which would print as "-0.0000".
    if ideal > 0.0 { dcg / ideal + 0.0 } else { 0.0 }
}

/// Reciprocal rank of the first relevant item within the top `k` (0 when none).
pub fn reciprocal_rank_at(list: &RankedList<'_>, k: usize) -> f64 {
    list.recommended.iter().take(k).position(|i| list.relevant.contains(i)).map_or(0.0, |p| 1.0 / (p + 1) as f64)
}

/// All of Personalize's metrics over `lists`, with coverage over a catalog of `catalog_size`
/// items (the top 25 of each list count as recommended).
pub fn evaluate(lists: &[RankedList<'_>], catalog_size: usize) -> RecommendationMetrics {
    let n = lists.len().max(1) as f64;
    let mean = |f: &dyn Fn(&RankedList<'_>) -> f64| lists.iter().map(f).sum::<f64>() / n + 0.0;
    let mut seen: Vec<u32> = lists.iter().flat_map(|l| l.recommended.iter().take(25).copied()).collect();
    seen.sort_unstable();
    seen.dedup();
    RecommendationMetrics {
        coverage: if catalog_size > 0 { seen.len() as f64 / catalog_size as f64 } else { 0.0 },
        mean_reciprocal_rank_at_25: mean(&|l| reciprocal_rank_at(l, 25)),
        normalized_discounted_cumulative_gain_at_5: mean(&|l| ndcg_at(l, 5)),
        normalized_discounted_cumulative_gain_at_10: mean(&|l| ndcg_at(l, 10)),
        normalized_discounted_cumulative_gain_at_25: mean(&|l| ndcg_at(l, 25)),
        precision_at_5: mean(&|l| precision_at(l, 5)),
        precision_at_10: mean(&|l| precision_at(l, 10)),
        precision_at_25: mean(&|l| precision_at(l, 25)),
        extra: BTreeMap::new(),
    }
}
