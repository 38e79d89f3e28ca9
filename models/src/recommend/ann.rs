//! Approximate maximum-inner-product search over item factors, for catalogs too large to score
//! every item on every request.
//!
//! A user's collaborative score for item `i` is the inner product `x·yᵢ` of their factors and the
//! item's. Scoring all items costs `items × factors` multiply-adds and a pass over the whole
//! factor matrix (17 MB for 68k items and 64 factors) per request. Instead, the items go into an
//! HNSW graph (Malkov & Yashunin 2016, the `instant-distance` crate) that finds the nearest
//! points to a query by visiting a few thousand of them.
//!
//! HNSW finds nearest neighbours by distance, not largest inner products. The standard reduction
//! (Bachrach et al. 2014) closes the gap: with `M` the largest item norm, each item becomes the
//! unit vector `ŷᵢ = (yᵢ/M, √(1 − ‖yᵢ‖²/M²))` and the query `q̂ = (x/‖x‖, 0)`, so
//! `‖q̂ − ŷᵢ‖² = 2 − 2·x·yᵢ/(‖x‖·M)`: the nearest items are exactly those with the largest inner
//! products. The index only proposes candidates; callers score them exactly (`x·yᵢ`) and
//! re-rank, so what approximation loses is recall (an item of the true top missing from the
//! proposals), never a wrong score. The recall lost is measured against exact scoring by the
//! server's `recommend_scoring` example and `bench/server`.

use std::cell::RefCell;
use std::sync::Arc;

use instant_distance::{Builder, Hnsw, Point, Search};

/// When and how to build the index.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnnParams {
    /// Catalogs with at most this many items are scored exactly (no index): below it a pass over
    /// every item is about as fast as a search and loses nothing.
    pub min_items: usize,
    /// Candidates an index search keeps (HNSW's `ef` at query time): a request takes this many
    /// collaborative candidates (at most the model's `candidates`). Larger: higher recall,
    /// slower searches.
    pub ef_search: usize,
    /// Candidates kept while building (`ef_construction`). Larger: a better graph, a slower build.
    pub ef_construction: usize,
    /// Seed of the layer assignment (the same seed gives the same graph).
    pub seed: u64,
}

impl Default for AnnParams {
    fn default() -> Self {
        // Chosen on complete_journey (68k items, 64 factors; bench/server/RESULTS.md): a larger
        // ef_construction gives a better graph, but 100 took minutes to build on 2 cores, 16
        // about ten seconds. The index only adds candidates to those of the blend's other
        // sources (the history's neighbours, popular items), which find most of the top 10:
        // ef_search 32 keeps the recommendations' top 10 there at a quarter of 128's search.
        Self { min_items: 20_000, ef_search: 32, ef_construction: 16, seed: 42 }
    }
}

/// An item as an HNSW point: its augmented, unit-norm factors.
#[derive(Clone, Debug)]
struct Augmented(Box<[f32]>);

impl Point for Augmented {
    fn distance(&self, other: &Self) -> f32 {
        squared_distance(&self.0, &other.0)
    }
}

/// `‖a − b‖²` with eight independent accumulators, so it vectorises (see `als::dot`).
fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            let d = x[l] - y[l];
            acc[l] += d * d;
        }
    }
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| (x - y) * (x - y)).sum();
    acc.iter().sum::<f32>() + tail
}

/// An HNSW index over item factors for maximum inner product.
#[derive(Clone)]
pub struct MipsIndex {
    hnsw: Arc<Hnsw<Augmented>>,
    /// The item behind each point of the graph (the graph numbers points its own way).
    items: Vec<u32>,
    factors: usize,
    ef_search: usize,
}

impl std::fmt::Debug for MipsIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MipsIndex")
            .field("items", &self.items.len())
            .field("factors", &self.factors)
            .field("ef_search", &self.ef_search)
            .finish()
    }
}

thread_local! {
    /// Search state (visited set, heaps), reused by every search on this thread.
    static SEARCH: RefCell<Search> = RefCell::new(Search::default());
}

impl MipsIndex {
    /// Index `item_factors` (row-major, `factors` columns). Items whose factors are all zero
    /// (never seen in training) are left out: their inner product with anyone is 0.
    pub fn build(item_factors: &[f32], factors: usize, params: &AnnParams) -> Self {
        let factors = factors.max(1);
        let norms: Vec<f32> = item_factors.chunks_exact(factors).map(|y| y.iter().map(|v| v * v).sum()).collect();
        let max_sq = norms.iter().copied().fold(0f32, f32::max).max(f32::MIN_POSITIVE);
        let max = max_sq.sqrt();
        let mut points = Vec::with_capacity(norms.len());
        let mut items = Vec::with_capacity(norms.len());
        for (i, (y, &sq)) in item_factors.chunks_exact(factors).zip(&norms).enumerate() {
            if sq <= 0.0 {
                continue;
            }
            let mut p: Vec<f32> = y.iter().map(|v| v / max).collect();
            p.push((1.0 - sq / max_sq).max(0.0).sqrt());
            points.push(Augmented(p.into_boxed_slice()));
            items.push(i as u32);
        }
        let (hnsw, ids) = Builder::default()
            .ef_construction(params.ef_construction.max(1))
            .ef_search(params.ef_search.max(1))
            .seed(params.seed)
            .build_hnsw(points);
        // `build_hnsw` renumbers the points: map the graph's numbering back to items.
        let mut by_point = vec![u32::MAX; items.len()];
        for (item, pid) in items.iter().zip(&ids) {
            if let Some(slot) = by_point.get_mut(pid.into_inner() as usize) {
                *slot = *item;
            }
        }
        Self { hnsw: Arc::new(hnsw), items: by_point, factors, ef_search: params.ef_search.max(1) }
    }

    /// Items indexed.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item is indexed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// HNSW's `ef` at query time: the most candidates one search returns.
    pub fn ef_search(&self) -> usize {
        self.ef_search
    }

    /// Appends to `out` up to `ef_search` items with the largest inner product with `x` (user
    /// factors), best first by the index's estimate. Nothing for a zero query.
    pub fn candidates(&self, x: &[f32], out: &mut Vec<u32>) {
        let norm = x.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm <= 0.0 || !norm.is_finite() || x.len() != self.factors {
            return;
        }
        let mut q: Vec<f32> = x.iter().map(|v| v / norm).collect();
        q.push(0.0);
        let query = Augmented(q.into_boxed_slice());
        SEARCH.with(|search| {
            let mut search = search.borrow_mut();
            out.extend(
                self.hnsw.search(&query, &mut search).filter_map(|item| {
                    self.items.get(item.pid.into_inner() as usize).copied().filter(|&i| i != u32::MAX)
                }),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn finds_the_largest_inner_products() {
        let (n, k) = (3000, 16);
        let mut rng = SplitMix64::new(7);
        // Norms vary by item, as ALS factors do (popular items are longer).
        let factors: Vec<f32> = (0..n * k)
            .map(|j| {
                let scale = 0.2 + ((j / k) % 10) as f32 / 5.0;
                ((rng.next_f64() - 0.5) * 2.0) as f32 * scale
            })
            .collect();
        // A well-built graph (ef_construction 100): this checks the inner-product reduction, not
        // the quick default build.
        let index =
            MipsIndex::build(&factors, k, &AnnParams { ef_search: 64, ef_construction: 100, ..AnnParams::default() });
        assert_eq!(index.len(), n);
        let mut hits = 0;
        let queries = 50;
        for _ in 0..queries {
            let x: Vec<f32> = (0..k).map(|_| (rng.next_f64() - 0.5) as f32).collect();
            let mut exact: Vec<(u32, f32)> = factors
                .chunks_exact(k)
                .enumerate()
                .map(|(i, y)| (i as u32, y.iter().zip(&x).map(|(a, b)| a * b).sum()))
                .collect();
            exact.sort_by(|a, b| b.1.total_cmp(&a.1));
            let mut found = Vec::new();
            index.candidates(&x, &mut found);
            assert!(found.len() <= 64 && found.len() >= 10);
            hits += exact[..10].iter().filter(|(i, _)| found.contains(i)).count();
        }
        let recall = hits as f64 / (10 * queries) as f64;
        assert!(recall >= 0.95, "recall@10 {recall}");
        // A zero query proposes nothing; unseen (zero) items are not indexed.
        let mut none = Vec::new();
        index.candidates(&[0.0; 16], &mut none);
        assert!(none.is_empty());
        let mut with_zero = factors.clone();
        with_zero[..k].iter_mut().for_each(|v| *v = 0.0);
        assert_eq!(MipsIndex::build(&with_zero, k, &AnnParams::default()).len(), n - 1);
    }
}
