//! Approximate maximum-inner-product search over item factors, for catalogs too large to score
//! every item on every request.
//!
//! A user's collaborative score for item `i` is the inner product `x·yᵢ` of their factors and the
//! item's. Scoring all items costs `items × factors` multiply-adds and a pass over the whole
//! factor matrix (17 MB for 68k items and 64 factors) per request. Instead the items are
//! partitioned into lists by k-means (an inverted-file index, IVF: Jégou, Douze & Schmid 2011),
//! each list stored contiguously; a request scores the lists' centroids, then every item of the
//! `probes` nearest lists, a sequential pass over a few percent of the matrix.
//!
//! The scan is bound by the bytes it reads, so the lists hold a 16-bit float copy of the factors
//! in blocks of eight items, dimension by dimension (one F16C widening and one multiply-add per
//! dimension scores eight items, with no horizontal sums): half the bytes of f32 rows. Its scores
//! only choose the proposals, which the request then scores exactly from the f32 factors.
//!
//! k-means partitions by distance, not by inner product. The standard reduction (Bachrach et al.
//! 2014) closes the gap: with `M` the largest item norm, each item becomes the unit vector
//! `ŷᵢ = (yᵢ/M, √(1 − ‖yᵢ‖²/M²))` and the query `q̂ = (x/‖x‖, 0)`, so
//! `‖q̂ − ŷᵢ‖² = 2 − 2·x·yᵢ/(‖x‖·M)`: the nearest items are exactly those with the largest inner
//! products, and the lists nearest to `q̂` hold them. What approximation loses is recall (an item
//! of the true top in a list not probed, or a near-tie rounded out of the proposals), never a
//! wrong score. The recall is measured against exact scoring by
//! `models/examples/ann_recall` and `bench/server`.
//!
//! Written here rather than taken from a crate: the IVF crates on crates.io wrap C++ (faiss) or
//! serve L2/cosine over their own storage; this is k-means plus a scan, over the factor layout
//! the model already has. (An HNSW graph, `instant-distance`, came first: its searches chase
//! pointers across the whole matrix, which cost more than this scan and found fewer of the top.)

use std::cell::RefCell;
use std::sync::Arc;

use half::f16;
use rayon::prelude::*;

use super::Best;
use super::kernels::{BLOCK, block_dots, block_dots_f16, dot};
use crate::rng::SplitMix64;

/// When and how to build the index.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnnParams {
    /// Catalogs with at most this many items are scored exactly (no index): below it a pass over
    /// every item is about as fast as a search and loses nothing.
    pub min_items: usize,
    /// Lists (k-means cells) the items are partitioned into; 0 chooses about 4·√items.
    pub lists: usize,
    /// Lists a search scores, nearest to the query first. Larger: higher recall, slower searches.
    pub probes: usize,
    /// Collaborative candidates a search returns, the best by exact inner product (a request takes
    /// at most the model's own number of candidates).
    pub candidates: usize,
    /// Seed of the k-means initialisation (the same seed gives the same lists).
    pub seed: u64,
}

impl Default for AnnParams {
    fn default() -> Self {
        // Chosen on complete_journey (68k items, 64 factors; bench/server/RESULTS.md): 1,042 lists
        // of ~65 items, 64 of them probed (~4,200 items scored), find 0.96 of the exact
        // collaborative top 10 over all its users (48 probes: 0.95; 522 lists of ~130 items needed
        // ~4,200 scored for 0.92). The index only adds candidates to those of the blend's other
        // sources (the history's neighbours, the user's own items, popular items); its best 32
        // keep the served top 10.
        Self { min_items: 20_000, lists: 0, probes: 64, candidates: 32, seed: 42 }
    }
}

/// Lloyd iterations of the k-means build.
const KMEANS_ITERATIONS: usize = 10;
/// Points per list the k-means centroids are learned from (a sample; every item is assigned).
const SAMPLE_PER_LIST: usize = 64;
/// At most this many points in the sample: the build's Lloyd iterations then cost at most
/// `MAX_SAMPLE × lists × factors` each, and assigning every item `items × lists × factors` once
/// (about a minute on two cores for a million items and 4,000 lists).
const MAX_SAMPLE: usize = 1 << 17;

/// An inverted-file index over item factors for maximum inner product.
#[derive(Clone)]
pub struct MipsIndex {
    inner: Arc<Lists>,
    probes: usize,
    candidates: usize,
}

struct Lists {
    factors: usize,
    /// Items indexed.
    len: usize,
    /// Items in the catalog (indexed or not).
    n_items: usize,
    /// The centroids, `factors + 1` coordinates each (the augmented one last), list by list.
    centroids: Vec<f32>,
    /// The centroids' first `factors` coordinates (the query's augmented one is 0), in blocks of
    /// [`BLOCK`] centroids laid out for [`block_dots`]; the last block padded with zeros.
    centroid_blocks: Vec<f32>,
    /// ‖c‖² of each centroid.
    centroid_sq: Vec<f32>,
    /// List `l` holds blocks `offsets[l]..offsets[l + 1]` of `items` and `vectors`.
    offsets: Vec<usize>,
    /// The indexed items, list by list, [`BLOCK`] per block; a list's last block padded with
    /// [`PAD`].
    items: Vec<u32>,
    /// Their factors as 16-bit floats, block by block, laid out for [`block_dots_f16`] (zeros for
    /// padding): the scan reads half the bytes, and what rounding loses (about 1e-3 of each
    /// product) only reorders near-ties among the proposals, which exact scoring re-ranks.
    vectors: Vec<f16>,
}

/// The item number of a padding slot.
const PAD: u32 = u32::MAX;

/// In [`MipsIndex::parts`]' list of each item: an item the index leaves out (all-zero factors).
pub const UNINDEXED: u32 = u32::MAX;

impl std::fmt::Debug for MipsIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MipsIndex")
            .field("items", &self.inner.len)
            .field("lists", &self.lists())
            .field("factors", &self.inner.factors)
            .field("probes", &self.probes)
            .field("candidates", &self.candidates)
            .finish()
    }
}

/// A search's buffers: the lists by distance to the query, the scored items.
#[derive(Default)]
struct SearchBuffers {
    lists: Vec<(u32, f32)>,
    scored: Vec<(u32, f32)>,
}

thread_local! {
    /// Reused by every search on this thread.
    static SEARCH: RefCell<SearchBuffers> = RefCell::default();
}

/// Index of the row of `centroids` (`dims` columns, squared norms `sq`) nearest to the unit
/// vector `p`: the largest `2·p·c − ‖c‖²`.
fn nearest(p: &[f32], centroids: &[f32], sq: &[f32], dims: usize) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (l, (c, &s)) in centroids.chunks_exact(dims).zip(sq).enumerate() {
        let v = 2.0 * dot(p, c) - s;
        if v > best.1 {
            best = (l, v);
        }
    }
    best.0
}

impl MipsIndex {
    /// Index `item_factors` (row-major, `factors` columns). Items whose factors are all zero
    /// (never seen in training) are left out: their inner product with anyone is 0.
    pub fn build(item_factors: &[f32], factors: usize, params: &AnnParams) -> Self {
        let factors = factors.max(1);
        let dims = factors + 1;
        let norms: Vec<f32> = item_factors.chunks_exact(factors).map(|y| y.iter().map(|v| v * v).sum()).collect();
        let max_sq = norms.iter().copied().fold(0f32, f32::max).max(f32::MIN_POSITIVE);
        let max = max_sq.sqrt();
        let mut points: Vec<f32> = Vec::with_capacity(norms.len() * dims);
        let mut kept: Vec<u32> = Vec::with_capacity(norms.len());
        for (i, (y, &sq)) in item_factors.chunks_exact(factors).zip(&norms).enumerate() {
            if sq <= 0.0 {
                continue;
            }
            points.extend(y.iter().map(|v| v / max));
            points.push((1.0 - sq / max_sq).max(0.0).sqrt());
            kept.push(i as u32);
        }
        let n = kept.len();
        let n_items = item_factors.len() / factors;
        if n == 0 {
            // Nothing to index (no item has factors): every search proposes nothing.
            return Self::assemble(item_factors, factors, Vec::new(), &vec![UNINDEXED; n_items], params);
        }
        let lists = match params.lists {
            0 => (4.0 * (n as f64).sqrt()).round() as usize,
            l => l,
        }
        .clamp(1, n.max(1));
        let mut rng = SplitMix64::new(params.seed);
        // Centroids learned on a sample: initialised at distinct sample points, then Lloyd.
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        order.truncate((lists * SAMPLE_PER_LIST).min(MAX_SAMPLE).min(n));
        let point = |p: usize| &points[p * dims..(p + 1) * dims];
        let mut centroids: Vec<f32> = order.iter().take(lists).flat_map(|&p| point(p).iter().copied()).collect();
        centroids.resize(lists * dims, 0.0);
        let sq_of = |c: &[f32]| c.chunks_exact(dims).map(|c| dot(c, c)).collect::<Vec<f32>>();
        for _ in 0..KMEANS_ITERATIONS {
            let sq = sq_of(&centroids);
            let assigned: Vec<usize> = order.par_iter().map(|&p| nearest(point(p), &centroids, &sq, dims)).collect();
            let mut sums = vec![0f64; lists * dims];
            let mut counts = vec![0usize; lists];
            for (&p, &l) in order.iter().zip(&assigned) {
                counts[l] += 1;
                for (s, v) in sums[l * dims..(l + 1) * dims].iter_mut().zip(point(p)) {
                    *s += f64::from(*v);
                }
            }
            for l in 0..lists {
                let c = &mut centroids[l * dims..(l + 1) * dims];
                if counts[l] == 0 {
                    // An empty list restarts at a random sample point.
                    c.copy_from_slice(point(order[rng.below(order.len().max(1))]));
                } else {
                    let k = counts[l] as f64;
                    c.iter_mut().zip(&sums[l * dims..(l + 1) * dims]).for_each(|(c, s)| *c = (s / k) as f32);
                }
            }
        }
        let centroid_sq = sq_of(&centroids);
        let assigned: Vec<usize> =
            (0..n).into_par_iter().map(|p| nearest(point(p), &centroids, &centroid_sq, dims)).collect();
        let mut list_of = vec![UNINDEXED; n_items];
        for (&item, &l) in kept.iter().zip(&assigned) {
            list_of[item as usize] = l as u32;
        }
        Self::assemble(item_factors, factors, centroids, &list_of, params)
    }

    /// The index [`Self::parts`] describes, over the same item factors: what the trainer saves
    /// with a model so that a server loading it skips the k-means. An error says what does not
    /// fit (a list number out of range, lengths that disagree).
    pub fn from_parts(
        item_factors: &[f32],
        factors: usize,
        centroids: Vec<f32>,
        list_of_item: &[u32],
        params: &AnnParams,
    ) -> Result<Self, String> {
        let dims = factors + 1;
        if factors == 0 || !item_factors.len().is_multiple_of(factors) {
            return Err(format!("{} item factors do not make rows of {factors}", item_factors.len()));
        }
        if centroids.is_empty() || !centroids.len().is_multiple_of(dims) {
            return Err(format!("{} centroid values do not make rows of {dims}", centroids.len()));
        }
        let lists = centroids.len() / dims;
        if list_of_item.len() != item_factors.len() / factors {
            return Err(format!(
                "{} items have a list, the factors are of {}",
                list_of_item.len(),
                item_factors.len() / factors
            ));
        }
        if let Some((i, l)) = list_of_item.iter().enumerate().find(|(_, l)| **l != UNINDEXED && **l as usize >= lists) {
            return Err(format!("item {i} is in list {l}, of {lists}"));
        }
        if !centroids.iter().all(|v| v.is_finite()) {
            return Err("a centroid is not finite".into());
        }
        Ok(Self::assemble(item_factors, factors, centroids, list_of_item, params))
    }

    /// What the index is made of, to save: its centroids (`factors + 1` values each, list by
    /// list) and the list of every item ([`UNINDEXED`] for items left out).
    pub fn parts(&self) -> (&[f32], Vec<u32>) {
        let ix = &*self.inner;
        let mut list_of = vec![UNINDEXED; ix.n_items];
        for l in 0..self.lists() {
            for &item in &ix.items[ix.offsets[l] * BLOCK..ix.offsets[l + 1] * BLOCK] {
                if item != PAD {
                    list_of[item as usize] = l as u32;
                }
            }
        }
        (&ix.centroids, list_of)
    }

    /// The same lists, searched with `params`' probes and candidates.
    pub fn with_search(&self, params: &AnnParams) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            probes: params.probes.clamp(1, self.lists().max(1)),
            candidates: params.candidates.max(1),
        }
    }

    /// Lays the lists out: each list's items (ascending) in blocks, their factors as 16-bit
    /// floats; `list_of_item[i]` is item i's list, below `centroids.len() / (factors + 1)`.
    fn assemble(
        item_factors: &[f32],
        factors: usize,
        centroids: Vec<f32>,
        list_of_item: &[u32],
        params: &AnnParams,
    ) -> Self {
        let dims = factors + 1;
        let lists = centroids.len() / dims;
        // Counting sort into contiguous lists, each a whole number of blocks.
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); lists];
        for (item, &l) in list_of_item.iter().enumerate() {
            if let Some(list) = members.get_mut(l as usize) {
                list.push(item as u32);
            }
        }
        let len = members.iter().map(Vec::len).sum();
        let mut offsets = Vec::with_capacity(lists + 1);
        offsets.push(0);
        let (mut items, mut vectors, mut block) = (Vec::new(), Vec::new(), Vec::new());
        for list in &members {
            for chunk in list.chunks(BLOCK) {
                let row =
                    |r: usize| chunk.get(r).map(|&i| &item_factors[i as usize * factors..(i as usize + 1) * factors]);
                items.extend((0..BLOCK).map(|r| chunk.get(r).copied().unwrap_or(PAD)));
                block.clear();
                push_block(&mut block, factors, row);
                vectors.extend(block.iter().map(|&v| f16::from_f32(v)));
            }
            offsets.push(items.len() / BLOCK);
        }
        let mut centroid_blocks = Vec::new();
        for b in 0..lists.div_ceil(BLOCK) {
            push_block(&mut centroid_blocks, factors, |r| {
                let l = b * BLOCK + r;
                centroids.get(l * dims..l * dims + factors)
            });
        }
        let centroid_sq = centroids.chunks_exact(dims).map(|c| dot(c, c)).collect();
        let inner = Lists {
            factors,
            len,
            n_items: list_of_item.len(),
            centroids,
            centroid_blocks,
            centroid_sq,
            offsets,
            items,
            vectors,
        };
        Self {
            inner: Arc::new(inner),
            probes: params.probes.clamp(1, lists.max(1)),
            candidates: params.candidates.max(1),
        }
    }

    /// Items indexed.
    pub fn len(&self) -> usize {
        self.inner.len
    }

    /// Whether no item is indexed.
    pub fn is_empty(&self) -> bool {
        self.inner.len == 0
    }

    /// Lists the items are partitioned into.
    pub fn lists(&self) -> usize {
        self.inner.offsets.len().saturating_sub(1)
    }

    /// Lists a search scores.
    pub fn probes(&self) -> usize {
        self.probes
    }

    /// The most candidates one search returns.
    pub fn candidates_per_search(&self) -> usize {
        self.candidates
    }

    /// Appends to `out` up to [`Self::candidates_per_search`] items with the largest inner
    /// product with `x` (user factors) among the probed lists, best first. Nothing for a zero
    /// query.
    pub fn candidates(&self, x: &[f32], out: &mut Vec<u32>) {
        let ix = &*self.inner;
        let norm = x.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm <= 0.0 || !norm.is_finite() || x.len() != ix.factors || ix.len == 0 {
            return;
        }
        let stride = ix.factors * BLOCK;
        SEARCH.with(|cell| {
            let Ok(mut buffers) = cell.try_borrow_mut() else { return };
            let SearchBuffers { lists: by_distance, scored } = &mut *buffers;
            // ‖q̂ − c‖² = 1 + ‖c‖² − 2·(x/‖x‖)·c (the query's augmented coordinate is 0).
            by_distance.clear();
            let mut d = [0f32; BLOCK];
            for (b, block) in ix.centroid_blocks.chunks_exact(stride).enumerate() {
                block_dots(x, block, &mut d);
                for (r, &v) in d.iter().enumerate() {
                    let l = b * BLOCK + r;
                    if let Some(&sq) = ix.centroid_sq.get(l) {
                        by_distance.push((l as u32, sq - 2.0 * v / norm));
                    }
                }
            }
            let probes = self.probes.min(by_distance.len());
            if probes < by_distance.len() {
                by_distance.select_nth_unstable_by(probes - 1, |a, b| a.1.total_cmp(&b.1));
            }
            let mut best = Best::new(self.candidates, std::mem::take(scored));
            for &(l, _) in &by_distance[..probes] {
                let (from, to) = (ix.offsets[l as usize], ix.offsets[l as usize + 1]);
                for b in from..to {
                    block_dots_f16(x, &ix.vectors[b * stride..(b + 1) * stride], &mut d);
                    for (&item, &v) in ix.items[b * BLOCK..(b + 1) * BLOCK].iter().zip(&d) {
                        if item != PAD {
                            best.push(item, v);
                        }
                    }
                }
            }
            *scored = best.into_sorted();
            out.extend(scored.iter().map(|s| s.0));
        });
    }
}

/// Appends one block of up to [`BLOCK`] rows (`row(r)`, `None` past the last) to `out`, laid out
/// for [`block_dots`]: dimension by dimension, the rows' values side by side, zeros for missing
/// rows.
fn push_block<'a>(out: &mut Vec<f32>, factors: usize, row: impl Fn(usize) -> Option<&'a [f32]>) {
    let rows: Vec<Option<&[f32]>> = (0..BLOCK).map(row).collect();
    for d in 0..factors {
        out.extend(rows.iter().map(|r| r.and_then(|r| r.get(d)).copied().unwrap_or(0.0)));
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
        let index = MipsIndex::build(&factors, k, &AnnParams { candidates: 64, ..AnnParams::default() });
        assert_eq!(index.len(), n);
        assert_eq!(index.lists(), 219, "about 4·√3000");
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
        assert!(MipsIndex::build(&vec![0.0; 4 * k], k, &AnnParams::default()).is_empty(), "nothing to index");
        let mut with_zero = factors.clone();
        with_zero[..k].iter_mut().for_each(|v| *v = 0.0);
        assert_eq!(MipsIndex::build(&with_zero, k, &AnnParams::default()).len(), n - 1);
    }

    #[test]
    fn an_index_rebuilt_from_its_parts_searches_alike() {
        let (n, k) = (2000, 8);
        let mut rng = SplitMix64::new(3);
        let mut factors: Vec<f32> = (0..n * k).map(|_| (rng.next_f64() - 0.5) as f32).collect();
        factors[5 * k..6 * k].iter_mut().for_each(|v| *v = 0.0);
        let params = AnnParams::default();
        let built = MipsIndex::build(&factors, k, &params);
        let (centroids, list_of) = built.parts();
        assert_eq!(list_of.len(), n);
        assert_eq!(list_of[5], UNINDEXED, "an item with zero factors is left out");
        let rebuilt = MipsIndex::from_parts(&factors, k, centroids.to_vec(), &list_of, &params).expect("parts");
        assert_eq!((rebuilt.len(), rebuilt.lists(), rebuilt.probes()), (built.len(), built.lists(), built.probes()));
        for _ in 0..20 {
            let x: Vec<f32> = (0..k).map(|_| (rng.next_f64() - 0.5) as f32).collect();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            built.candidates(&x, &mut a);
            rebuilt.candidates(&x, &mut b);
            assert_eq!(a, b);
        }
        // Other search settings over the same lists.
        let wider = rebuilt.with_search(&AnnParams { probes: 10_000, candidates: 5, ..params.clone() });
        assert_eq!((wider.probes(), wider.candidates_per_search()), (built.lists(), 5));
        // Parts that do not fit are refused with what is wrong.
        let mut bad = list_of.clone();
        bad[0] = built.lists() as u32;
        let err = MipsIndex::from_parts(&factors, k, centroids.to_vec(), &bad, &params).unwrap_err();
        assert!(err.contains("item 0 is in list"), "{err}");
        let err = MipsIndex::from_parts(&factors, k, centroids.to_vec(), &list_of[1..], &params).unwrap_err();
        assert!(err.contains("1999 items have a list"), "{err}");
        let err = MipsIndex::from_parts(&factors, k, centroids[1..].to_vec(), &list_of, &params).unwrap_err();
        assert!(err.contains("do not make rows of 9"), "{err}");
    }
}
