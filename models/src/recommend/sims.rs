//! SIMILAR_ITEMS / SIMS: item-to-item neighbours from co-occurrence, with popularity damping,
//! and from item metadata so that a new item without interactions still has neighbours.
//!
//! Co-occurrence is counted between events that are close in a user's history (within a window
//! of positions, weighted by 1/distance), not between every pair a user ever touched: that keeps
//! the work O(events·window) on heavy users (a grocery household has hundreds of items) and it is
//! what "viewed/bought together" means. Nothing dense of size items×items is ever built; each item
//! keeps its top neighbours in a sparse row.
//!
//! Similarity is `c(a,b) / (n(a)^(1−β) · n(b)^β)`: β = 0.5 is cosine; a larger β damps popular
//! neighbours more, so the list is not just the bestsellers.
//!
//! Metadata similarity is the IDF-weighted share of the query item's attribute values that the
//! other item also has (rare shared values count more than "department = GROCERY"). The two are
//! blended per neighbour by how much evidence it has: with `n` events the co-occurrence part
//! weighs `n/(n+κ)`, the metadata part the rest, so a brand-new item is placed by its metadata
//! alone and fades into its behaviour as events arrive.

use std::collections::HashMap;

use rayon::prelude::*;
use sprs::{CsMat, TriMat};

use super::data::Dataset;
use super::{RecommendError, Scored, top_n};

/// SIMS hyperparameters.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimsParams {
    /// How many following events of the same user count as co-occurring.
    pub window: usize,
    /// Popularity damping β in 0..=1.
    pub popularity_damping: f32,
    /// Neighbours kept per item.
    pub neighbors: usize,
    /// Events at which behaviour and metadata weigh the same (κ).
    pub metadata_prior_events: f32,
    /// A pair `d` positions apart counts `d^-γ` (γ = 1: adjacency matters; 0: any pair in the
    /// window counts the same, for histories whose order means nothing).
    pub distance_decay: f32,
    /// Least number of distinct users in whose histories two items co-occur (within the
    /// window) for them to be neighbours: the Solution's `minCointeractionCount`.
    #[serde(default = "one")]
    pub min_cointeraction_users: u32,
}

fn one() -> u32 {
    1
}

impl Default for SimsParams {
    fn default() -> Self {
        // Window 50: the validation split preferred it to 10 on the two sets whose order is weak
        // (lastfm's is random); it costs O(events·window) and stays a few seconds on 1.3M events.
        Self {
            window: 50,
            popularity_damping: 0.5,
            neighbors: 50,
            metadata_prior_events: 5.0,
            distance_decay: 1.0,
            min_cointeraction_users: 1,
        }
    }
}

/// A fitted item-to-item model.
#[derive(Clone, Debug)]
pub struct SimilarItems {
    /// items × items, top neighbours per row, co-occurrence similarity.
    pub(super) neighbors: CsMat<f32>,
    pub(super) counts: Vec<f32>,
    /// Attribute tokens per item (sorted), and IDF per token.
    pub(super) item_tokens: Vec<Vec<u32>>,
    pub(super) postings: Vec<Vec<u32>>,
    pub(super) idf: Vec<f32>,
    pub(super) kappa: f32,
    /// The parameters it was fitted with (kept for the saved model's header).
    pub(super) params: SimsParams,
}

impl SimilarItems {
    /// Fit on the interactions and item attributes of `ds`.
    pub fn fit(ds: &Dataset, params: &SimsParams) -> Result<Self, RecommendError> {
        if !(0.0..=1.0).contains(&params.popularity_damping) {
            return Err(RecommendError::InvalidParameter {
                name: "popularityDamping",
                reason: "must be between 0 and 1".into(),
            });
        }
        if params.window == 0 || params.neighbors == 0 {
            return Err(RecommendError::InvalidParameter {
                name: "window/neighbors",
                reason: "must be at least 1".into(),
            });
        }
        let n = ds.n_items();
        let counts: Vec<f32> = ds.item_counts().iter().map(|&c| c as f32).collect();
        // Where each item occurs: (position in the event array). Then, item by item, add up its
        // window neighbours in a dense scratch row (fits in cache; no hashing) and keep the top.
        let events = ds.events();
        let mut occ_start = vec![0usize; n + 1];
        for e in events {
            occ_start[e.item as usize + 1] += 1;
        }
        for i in 0..n {
            occ_start[i + 1] += occ_start[i];
        }
        let mut fill = occ_start.clone();
        let mut occ = vec![0usize; events.len()];
        for (k, e) in events.iter().enumerate() {
            occ[fill[e.item as usize]] = k;
            fill[e.item as usize] += 1;
        }
        let beta = params.popularity_damping;
        let damp: Vec<f32> = counts.iter().map(|&c| c.max(1.0).powf(beta)).collect();
        let by_distance: Vec<f32> =
            (0..=params.window).map(|d| (d.max(1) as f32).powf(-params.distance_decay)).collect();
        let min_users = params.min_cointeraction_users.max(1);
        // Item by item, in parallel; each thread its own dense scratch rows.
        let rows: Vec<Vec<Scored>> = (0..n)
            .into_par_iter()
            .map_init(
                || Scratch::new(n),
                |sc, a| {
                    for &k in &occ[occ_start[a]..occ_start[a + 1]] {
                        let user = ds.user_range(events[k].user);
                        let lo = k.saturating_sub(params.window).max(user.start);
                        let hi = (k + params.window + 1).min(user.end);
                        for (k2, b) in events.iter().enumerate().take(hi).skip(lo) {
                            if b.item as usize == a {
                                continue;
                            }
                            let slot = &mut sc.sum[b.item as usize];
                            if *slot == 0.0 {
                                sc.touched.push(b.item);
                            }
                            *slot += by_distance[k.abs_diff(k2)];
                            let u = events[k].user;
                            if sc.last_user[b.item as usize] != u {
                                sc.last_user[b.item as usize] = u;
                                sc.shared[b.item as usize] += 1;
                            }
                        }
                    }
                    let na = counts[a].max(1.0).powf(1.0 - beta);
                    let scored: Vec<Scored> = sc
                        .touched
                        .iter()
                        .filter(|&&b| sc.shared[b as usize] >= min_users)
                        .map(|&b| (b, sc.sum[b as usize] / (na * damp[b as usize])))
                        .collect();
                    sc.clear();
                    top_n(scored, params.neighbors)
                },
            )
            .collect();
        let (item_tokens, postings, idf) = tokenize(ds)?;
        Ok(Self {
            neighbors: neighbour_matrix(rows),
            counts,
            item_tokens,
            postings,
            idf,
            kappa: params.metadata_prior_events,
            params: params.clone(),
        })
    }

    /// Co-occurrence neighbours of `i` with their similarity (unsorted).
    pub fn cooccurrence(&self, i: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        let (columns, values) = csr_row(&self.neighbors, i as usize);
        columns.iter().zip(values).map(|(&j, &s)| (j as u32, s))
    }

    /// Metadata similarity of `b` to `a` in 0..=1.
    pub fn metadata_similarity(&self, a: u32, b: u32) -> f32 {
        let (Some(ta), Some(tb)) = (self.item_tokens.get(a as usize), self.item_tokens.get(b as usize)) else {
            return 0.0;
        };
        let total: f32 = ta.iter().map(|&t| self.idf[t as usize]).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let shared: f32 = ta.iter().filter(|t| tb.binary_search(t).is_ok()).map(|&t| self.idf[t as usize]).sum();
        shared / total
    }

    /// Adds to `weights` (indexed by token, grown to the vocabulary) each token's share of the mean
    /// metadata similarity to `anchors`, and appends the tokens set to `set` (to clear them after):
    /// then [`Self::token_affinity`] of an item's tokens is the mean over the anchors `a` of
    /// [`Self::metadata_similarity`]`(a, item)`, at one lookup per token of the item instead of
    /// one intersection per anchor.
    pub(super) fn anchor_token_weights(&self, anchors: &[u32], weights: &mut Vec<f32>, set: &mut Vec<u32>) {
        if weights.len() < self.idf.len() {
            weights.resize(self.idf.len(), 0.0);
        }
        let n = anchors.len().max(1) as f32;
        let idf = |t: u32| self.idf.get(t as usize).copied().unwrap_or(0.0);
        for &a in anchors {
            let Some(ta) = self.item_tokens.get(a as usize) else { continue };
            let total: f32 = ta.iter().map(|&t| idf(t)).sum();
            if total <= 0.0 {
                continue;
            }
            for &t in ta {
                if let Some(w) = weights.get_mut(t as usize) {
                    *w += idf(t) / total / n;
                    set.push(t);
                }
            }
        }
    }

    /// The affinity of an item with metadata `tokens` under weights from
    /// [`Self::anchor_token_weights`].
    pub(super) fn token_affinity(weights: &[f32], tokens: &[u32]) -> f32 {
        tokens.iter().map(|&t| weights.get(t as usize).copied().unwrap_or(0.0)).sum()
    }

    /// Item `i`'s metadata tokens (sorted; empty without metadata).
    pub(super) fn tokens(&self, i: u32) -> &[u32] {
        self.item_tokens.get(i as usize).map_or(&[], Vec::as_slice)
    }

    /// Events of item `i` seen in training.
    pub fn count(&self, i: u32) -> f32 {
        self.counts.get(i as usize).copied().unwrap_or(0.0)
    }

    /// The `n` items most similar to `item` that `allow` accepts (never `item` itself).
    pub fn similar(&self, item: u32, n: usize, allow: impl Fn(u32) -> bool) -> Vec<Scored> {
        let mut cand: HashMap<u32, f32> = HashMap::new();
        let cf: Vec<(u32, f32)> = self.cooccurrence(item).collect();
        let max_cf = cf.iter().map(|c| c.1).fold(0.0f32, f32::max);
        if max_cf > 0.0 {
            for (j, s) in cf {
                cand.insert(j, s / max_cf);
            }
        }
        let warm_query = max_cf > 0.0;
        // Metadata candidates: every item sharing a value, or only the cold ones when the query
        // item has behaviour of its own (warm neighbours are better placed by co-occurrence).
        if let Some(tokens) = self.item_tokens.get(item as usize) {
            for &t in tokens {
                for &j in &self.postings[t as usize] {
                    if !warm_query || self.count(j) < self.kappa {
                        cand.entry(j).or_insert(0.0);
                    }
                }
            }
        }
        let max_pop = self.counts.iter().copied().fold(1.0f32, f32::max).ln_1p();
        let scored: Vec<Scored> = cand
            .into_iter()
            .filter(|&(j, _)| j != item && allow(j))
            .map(|(j, cf)| {
                let meta = self.metadata_similarity(item, j);
                let s = if warm_query {
                    let nj = self.count(j);
                    let w = nj / (nj + self.kappa);
                    w * cf + (1.0 - w) * meta
                } else {
                    // Only metadata to go by: popularity breaks ties.
                    meta + 1e-3 * self.count(j).ln_1p() / max_pop
                };
                (j, s)
            })
            .filter(|&(_, s)| s > 0.0)
            .collect();
        top_n(scored, n)
    }
}

/// Row `i` of a CSR matrix as (columns, values), without allocating; empty past the last row.
pub(super) fn csr_row(m: &CsMat<f32>, i: usize) -> (&[usize], &[f32]) {
    if i >= m.outer_dims() {
        return (&[], &[]);
    }
    let range = m.indptr().outer_inds_sz(i);
    match (m.indices().get(range.clone()), m.data().get(range)) {
        (Some(columns), Some(values)) => (columns, values),
        _ => (&[], &[]),
    }
}

/// For each of `n_tokens` tokens, the items that have it (ascending).
pub(super) fn postings(item_tokens: &[Vec<u32>], n_tokens: usize) -> Vec<Vec<u32>> {
    let mut postings: Vec<Vec<u32>> = vec![Vec::new(); n_tokens];
    for (i, toks) in item_tokens.iter().enumerate() {
        for &t in toks {
            if let Some(p) = postings.get_mut(t as usize) {
                p.push(i as u32);
            }
        }
    }
    postings
}

/// The items × items matrix of per-item neighbour lists (row `a`: item `a`'s neighbours).
pub(super) fn neighbour_matrix(rows: Vec<Vec<Scored>>) -> CsMat<f32> {
    let n = rows.len();
    let mut tri = TriMat::new((n, n));
    for (a, row) in rows.into_iter().enumerate() {
        for (b, s) in row {
            tri.add_triplet(a, b as usize, s);
        }
    }
    tri.to_csr()
}

/// One thread's dense scratch rows for [`SimilarItems::fit`] (they fit in cache; no hashing).
struct Scratch {
    /// Distance-weighted co-occurrence with the item being scored.
    sum: Vec<f32>,
    /// Distinct users sharing each touched item with it; events are grouped by user, so a user
    /// is new to a slot exactly when it differs from the last one counted there.
    shared: Vec<u32>,
    last_user: Vec<u32>,
    /// The slots set, to clear them for the next item.
    touched: Vec<u32>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Self { sum: vec![0.0; n], shared: vec![0; n], last_user: vec![u32::MAX; n], touched: Vec::new() }
    }

    fn clear(&mut self) {
        for &b in &self.touched {
            self.sum[b as usize] = 0.0;
            self.shared[b as usize] = 0;
            self.last_user[b as usize] = u32::MAX;
        }
        self.touched.clear();
    }
}

/// A multiply-shift hasher for `u32` keys: the co-occurrence counts do tens of millions of
/// lookups, and SipHash's protection against crafted keys buys nothing for dense indices.
#[derive(Clone, Copy, Default)]
pub(crate) struct FastHash;

#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl std::hash::BuildHasher for FastHash {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0 ^ i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Attribute values of every item as tokens `column=value` (multi-valued fields split on `|`),
/// with posting lists and IDF. Columns that look like ids or free text (a distinct value for most
/// items) are skipped: they never make two items alike.
type Tokens = (Vec<Vec<u32>>, Vec<Vec<u32>>, Vec<f32>);
fn tokenize(ds: &Dataset) -> Result<Tokens, RecommendError> {
    let attrs = &ds.item_attributes;
    let n = ds.n_items();
    let mut dict: HashMap<String, u32> = HashMap::new();
    let mut item_tokens: Vec<Vec<u32>> = vec![Vec::new(); n];
    let columns: Vec<String> = attrs.columns().map(str::to_string).collect();
    for (c, name) in columns.iter().enumerate() {
        if name == "CREATION_TIMESTAMP" {
            continue;
        }
        let mut values: HashMap<&str, u32> = HashMap::new();
        let mut present = 0usize;
        for i in 0..n as u32 {
            if let Some(v) = attrs.get_by_index(i, c) {
                present += 1;
                *values.entry(v).or_insert(0) += 1;
            }
        }
        if present == 0 || values.len() * 2 > present.max(2) {
            continue;
        }
        for (i, toks) in item_tokens.iter_mut().enumerate() {
            if let Some(v) = attrs.get_by_index(i as u32, c) {
                for part in v.split('|').map(str::trim).filter(|p| !p.is_empty()) {
                    let key = format!("{name}={part}");
                    let next = u32::try_from(dict.len()).map_err(|_| RecommendError::TooMany("attribute values"))?;
                    let t = *dict.entry(key).or_insert(next);
                    toks.push(t);
                }
            }
        }
    }
    for toks in item_tokens.iter_mut() {
        toks.sort_unstable();
        toks.dedup();
    }
    let postings = postings(&item_tokens, dict.len());
    let with_any = item_tokens.iter().filter(|t| !t.is_empty()).count().max(1) as f32;
    let idf = postings.iter().map(|p| (with_any / p.len().max(1) as f32).ln().max(0.0) + 0.1).collect();
    Ok((item_tokens, postings, idf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::DatasetBuilder;

    #[test]
    fn min_cointeraction_users_drops_pairs_few_users_share() -> Result<(), RecommendError> {
        let mut b = DatasetBuilder::new();
        // "a" and "c" together in three users' histories; "a" and "b" in one (twice).
        for u in ["u1", "u2", "u3"] {
            b.add_event(u, "a", 1, None, None)?;
            b.add_event(u, "c", 2, None, None)?;
        }
        b.add_event("u4", "a", 1, None, None)?;
        b.add_event("u4", "b", 2, None, None)?;
        b.add_event("u4", "b", 3, None, None)?;
        let ds = b.build();
        let id = |name: &str| ds.items().get(name).ok_or(RecommendError::Empty);
        let (a, bb, c) = (id("a")?, id("b")?, id("c")?);
        let neighbours = |min: u32| -> Result<Vec<u32>, RecommendError> {
            let params = SimsParams { min_cointeraction_users: min, ..SimsParams::default() };
            Ok(SimilarItems::fit(&ds, &params)?.cooccurrence(a).map(|(j, _)| j).collect())
        };
        let all = neighbours(1)?;
        assert!(all.contains(&bb) && all.contains(&c), "{all:?}");
        assert_eq!(neighbours(2)?, vec![c]);
        assert_eq!(neighbours(3)?, vec![c]);
        assert!(neighbours(4)?.is_empty());
        Ok(())
    }
}
