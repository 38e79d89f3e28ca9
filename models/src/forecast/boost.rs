//! Gradient-boosted regression trees on binned features, with the pinball (quantile), squared
//! or Huber loss: the learner of the global forecasting model ([`super::global`]).
//!
//! Written here because the Rust crates for the job do not fit: `forust-ml` has only the
//! squared and logistic losses, and `gbt-quantile` finds each split by a pass over every row
//! per candidate threshold. This is the LightGBM/`HistGradientBoostingRegressor` recipe,
//! kept small: every feature cut into at most 255 quantile bins (plus one for missing), trees
//! grown depth-first from per-bin gradient sums (a child's histogram is its parent's minus its
//! sibling's, so only the smaller child is counted row by row), the split gain of the squared loss
//! (G_L²/n_L + G_R²/n_R − G²/n), and for the pinball loss the leaf value set to the τ-quantile
//! of the leaf's residuals (the gradient of the pinball loss is only a sign; the quantile is
//! the exact line search); for the Huber loss (squared residuals up to a threshold δ, linear
//! beyond) δ is a quantile of the absolute residuals at every tree and a leaf's value one
//! step of the M-estimate from the median of its residuals, as in Friedman's gradient
//! boosting paper. Missing values go right at every split.

use rayon::prelude::*;

use super::stats::Rng;

/// Bin of a missing value.
const MISSING: u8 = u8::MAX;
/// Bins for observed values (0..MAX_BINS); `MISSING` is the last.
const MAX_BINS: usize = 255;
/// Values sampled per feature to place the bin edges.
const EDGE_SAMPLE: usize = 50_000;

/// The loss a booster minimises.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Loss {
    /// Pinball loss at level τ: the model estimates the τ-quantile.
    Quantile(f64),
    /// Huber loss whose threshold δ is, at every tree, this quantile of the absolute
    /// residuals (Friedman's M-regression, 2001): squared for the bulk of the rows, linear for
    /// the largest residuals; the model estimates a mean that a few extreme rows cannot drag.
    /// `Huber(1.0)` (no threshold) is the squared loss.
    Huber(f64),
}

/// Training settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Params {
    pub trees: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    pub min_leaf: usize,
    /// Share of the rows each tree is grown on (row subsampling), in (0, 1].
    pub subsample: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self { trees: 120, learning_rate: 0.08, max_depth: 6, min_leaf: 20, subsample: 0.6 }
    }
}

/// A feature matrix cut into bins, column by column.
pub(crate) struct Binned {
    rows: usize,
    /// `bins[c][r]`.
    bins: Vec<Vec<u8>>,
    /// `edges[c][b]`: the largest value of bin b of column c (a value x is in the first bin
    /// whose edge is ≥ x; above every edge, the last bin).
    edges: Vec<Vec<f64>>,
}

impl Binned {
    /// Bins `columns` (`columns[c][r]`, NaN = missing). All columns have the same length.
    pub fn new(columns: &[Vec<f64>]) -> Binned {
        let rows = columns.first().map_or(0, Vec::len);
        let (bins, edges): (Vec<Vec<u8>>, Vec<Vec<f64>>) = columns
            .par_iter()
            .map(|col| {
                let edges = edges_of(col);
                let bins = col.iter().map(|&x| bin_of(&edges, x)).collect();
                (bins, edges)
            })
            .unzip();
        Binned { rows, bins, edges }
    }
}

/// Bin edges of one column: midpoints between its distinct values when there are few, else
/// the values at evenly spaced ranks of a sample.
fn edges_of(col: &[f64]) -> Vec<f64> {
    let step = col.len().div_ceil(EDGE_SAMPLE).max(1);
    let mut v: Vec<f64> = col.iter().step_by(step).copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    if v.len() <= 1 {
        return Vec::new();
    }
    if v.len() <= MAX_BINS {
        return v.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
    }
    let mut edges: Vec<f64> = (1..MAX_BINS).map(|k| v[k * (v.len() - 1) / MAX_BINS]).collect();
    edges.dedup();
    edges
}

fn bin_of(edges: &[f64], x: f64) -> u8 {
    if x.is_nan() {
        return MISSING;
    }
    // At most MAX_BINS - 1 edges, so the bin fits below MISSING.
    edges.partition_point(|e| *e < x) as u8
}

#[derive(Debug, Clone)]
enum Node {
    Split { feature: usize, bin: u8, threshold: f64, left: usize, right: usize },
    Leaf(f64),
}

#[derive(Debug, Clone)]
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn predict(&self, row: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            match &self.nodes[i] {
                Node::Leaf(v) => return *v,
                Node::Split { feature, threshold, left, right, .. } => {
                    let x = row.get(*feature).copied().unwrap_or(f64::NAN);
                    i = if x <= *threshold { *left } else { *right };
                }
            }
        }
    }

    fn predict_binned(&self, data: &Binned, r: usize) -> f64 {
        let mut i = 0;
        loop {
            match &self.nodes[i] {
                Node::Leaf(v) => return *v,
                Node::Split { feature, bin, left, right, .. } => {
                    let b = data.bins[*feature][r];
                    i = if b != MISSING && b <= *bin { *left } else { *right };
                }
            }
        }
    }
}

/// A fitted booster.
#[derive(Debug, Clone)]
pub(crate) struct Booster {
    base: f64,
    trees: Vec<Tree>,
}

impl Booster {
    /// The model's estimate for one row of raw features (NaN = missing).
    pub fn predict(&self, row: &[f64]) -> f64 {
        self.base + self.trees.iter().map(|t| t.predict(row)).sum::<f64>()
    }

    /// Fits a booster to `y` (finite) on `data`'s rows.
    pub fn fit(data: &Binned, y: &[f64], loss: Loss, params: &Params) -> Booster {
        let n = data.rows.min(y.len());
        let base = match loss {
            Loss::Quantile(tau) => quantile_of(&mut y[..n].to_vec(), tau),
            Loss::Huber(_) => quantile_of(&mut y[..n].to_vec(), 0.5),
        };
        let mut f = vec![base; n];
        let mut trees = Vec::with_capacity(params.trees);
        let mut rng = Rng::new(0x5eed);
        let min_leaf = params.min_leaf.max(1);
        for _ in 0..params.trees {
            let rows: Vec<u32> = if params.subsample >= 1.0 || n < 4 * min_leaf {
                (0..n as u32).collect()
            } else {
                (0..n as u32).filter(|_| rng.uniform() < params.subsample).collect()
            };
            let delta = match loss {
                Loss::Huber(alpha) if alpha < 1.0 => {
                    let mut abs: Vec<f64> = (0..n).map(|r| (y[r] - f[r]).abs()).collect();
                    quantile_of(&mut abs, alpha)
                }
                _ => f64::INFINITY,
            };
            let grad: Vec<f64> = (0..n)
                .map(|r| match loss {
                    Loss::Quantile(tau) => {
                        if y[r] > f[r] {
                            -tau
                        } else {
                            1.0 - tau
                        }
                    }
                    Loss::Huber(_) => (f[r] - y[r]).clamp(-delta, delta),
                })
                .collect();
            let tree = grow(data, &grad, y, &f, rows, loss, delta, params, min_leaf);
            for (r, fr) in f.iter_mut().enumerate() {
                *fr += tree.predict_binned(data, r);
            }
            trees.push(tree);
        }
        Booster { base, trees }
    }
}

/// The τ-quantile of `v` (reordered), by selection.
fn quantile_of(v: &mut [f64], tau: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let k = ((tau * v.len() as f64).floor() as usize).min(v.len() - 1);
    let (_, x, _) = v.select_nth_unstable_by(k, f64::total_cmp);
    *x
}

/// Gradient sums and row counts per bin of every feature, for one node's rows.
struct Histogram {
    grad: Vec<[f64; 256]>,
    count: Vec<[u32; 256]>,
}

impl Histogram {
    fn of(data: &Binned, grad: &[f64], rows: &[u32]) -> Histogram {
        let (grad, count) = data
            .bins
            .par_iter()
            .map(|col| {
                let mut g = [0.0f64; 256];
                let mut n = [0u32; 256];
                for &r in rows {
                    let b = col[r as usize] as usize;
                    g[b] += grad[r as usize];
                    n[b] += 1;
                }
                (g, n)
            })
            .unzip();
        Histogram { grad, count }
    }

    /// The histogram of a node's other child: the parent's minus this child's (LightGBM's
    /// subtraction trick: only the smaller child is ever counted row by row).
    fn rest_of(mut parent: Histogram, child: &Histogram) -> Histogram {
        for (pg, cg) in parent.grad.iter_mut().zip(&child.grad) {
            for (a, b) in pg.iter_mut().zip(cg) {
                *a -= b;
            }
        }
        for (pn, cn) in parent.count.iter_mut().zip(&child.count) {
            for (a, b) in pn.iter_mut().zip(cn) {
                *a -= b;
            }
        }
        parent
    }

    /// The best split: (gain, feature, bin); rows in bins ≤ bin go left, missing ones right.
    fn best_split(&self, data: &Binned, rows: usize, min_leaf: usize) -> Option<(f64, usize, u8)> {
        let g_total: f64 = self.grad.first().map_or(0.0, |g| g.iter().sum());
        let parent = g_total * g_total / rows as f64;
        (0..data.bins.len())
            .into_par_iter()
            .filter_map(|c| {
                let (g, cnt) = (&self.grad[c], &self.count[c]);
                let used = data.edges[c].len() + 1;
                let mut gl = 0.0;
                let mut nl = 0usize;
                let mut best: Option<(f64, usize, u8)> = None;
                // The last candidate puts every observed value left and the missing ones right.
                for b in 0..used {
                    gl += g[b];
                    nl += cnt[b] as usize;
                    let nr = rows - nl;
                    if nl < min_leaf {
                        continue;
                    }
                    if nr < min_leaf {
                        break;
                    }
                    let gr = g_total - gl;
                    let gain = gl * gl / nl as f64 + gr * gr / nr as f64 - parent;
                    if gain > best.map_or(1e-12, |b| b.0) {
                        best = Some((gain, c, b as u8));
                    }
                }
                best
            })
            .reduce_with(|a, b| if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) { b } else { a })
    }
}

struct Pending {
    node: usize,
    rows: Vec<u32>,
    depth: usize,
    /// The node's histogram when its parent could derive it.
    histogram: Option<Histogram>,
}

#[allow(clippy::too_many_arguments)]
fn grow(
    data: &Binned,
    grad: &[f64],
    y: &[f64],
    f: &[f64],
    rows: Vec<u32>,
    loss: Loss,
    delta: f64,
    params: &Params,
    min_leaf: usize,
) -> Tree {
    let splittable = |rows: usize, depth: usize| depth < params.max_depth && rows >= 2 * min_leaf;
    let mut nodes = vec![Node::Leaf(0.0)];
    let mut queue = vec![Pending { node: 0, rows, depth: 0, histogram: None }];
    while let Some(p) = queue.pop() {
        let mut split = None;
        if splittable(p.rows.len(), p.depth) {
            let histogram = p.histogram.unwrap_or_else(|| Histogram::of(data, grad, &p.rows));
            split = histogram.best_split(data, p.rows.len(), min_leaf).map(|s| (s, histogram));
        }
        match split {
            Some(((_, feature, bin), histogram)) => {
                let col = &data.bins[feature];
                let (l, r): (Vec<u32>, Vec<u32>) = p.rows.iter().partition(|&&i| {
                    let b = col[i as usize];
                    b != MISSING && b <= bin
                });
                let depth = p.depth + 1;
                let (mut hl, mut hr) = (None, None);
                if splittable(l.len(), depth) || splittable(r.len(), depth) {
                    if l.len() <= r.len() {
                        let small = Histogram::of(data, grad, &l);
                        hr = Some(Histogram::rest_of(histogram, &small));
                        hl = Some(small);
                    } else {
                        let small = Histogram::of(data, grad, &r);
                        hl = Some(Histogram::rest_of(histogram, &small));
                        hr = Some(small);
                    }
                }
                let left = nodes.len();
                nodes.push(Node::Leaf(0.0));
                nodes.push(Node::Leaf(0.0));
                let threshold = data.edges[feature].get(bin as usize).copied().unwrap_or(f64::INFINITY);
                nodes[p.node] = Node::Split { feature, bin, threshold, left, right: left + 1 };
                queue.push(Pending { node: left, rows: l, depth, histogram: hl });
                queue.push(Pending { node: left + 1, rows: r, depth, histogram: hr });
            }
            None => {
                let mut residuals: Vec<f64> = p.rows.iter().map(|&i| y[i as usize] - f[i as usize]).collect();
                let value = match loss {
                    Loss::Quantile(tau) => quantile_of(&mut residuals, tau),
                    // One step of the M-estimate from the leaf's median.
                    Loss::Huber(_) => {
                        let median = quantile_of(&mut residuals, 0.5);
                        let pull: f64 = residuals.iter().map(|r| (r - median).clamp(-delta, delta)).sum();
                        median + pull / residuals.len().max(1) as f64
                    }
                };
                nodes[p.node] = Node::Leaf(params.learning_rate * value);
            }
        }
    }
    Tree { nodes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pinball(y: &[f64], q: &[f64], tau: f64) -> f64 {
        y.iter().zip(q).map(|(y, q)| if y > q { tau * (y - q) } else { (1.0 - tau) * (q - y) }).sum::<f64>()
            / y.len() as f64
    }

    #[test]
    fn learns_a_step_and_an_interaction() {
        // y = 10·[x0 > 0.5] + 5·[x1 > 0.5 and x2 = 1], no noise: the trees find both.
        let n = 2000;
        let mut rng = Rng::new(7);
        let mut cols = vec![Vec::new(), Vec::new(), Vec::new()];
        let mut y = Vec::new();
        for _ in 0..n {
            let a = (rng.next_u64() % 1000) as f64 / 1000.0;
            let b = (rng.next_u64() % 1000) as f64 / 1000.0;
            let c = (rng.next_u64() % 2) as f64;
            cols[0].push(a);
            cols[1].push(b);
            cols[2].push(c);
            y.push(10.0 * f64::from(u8::from(a > 0.5)) + 5.0 * f64::from(u8::from(b > 0.5 && c == 1.0)));
        }
        let data = Binned::new(&cols);
        let params = Params { trees: 200, learning_rate: 0.1, max_depth: 4, min_leaf: 5, subsample: 1.0 };
        let m = Booster::fit(&data, &y, Loss::Huber(1.0), &params);
        for (row, want) in
            [([0.9, 0.9, 1.0], 15.0), ([0.9, 0.9, 0.0], 10.0), ([0.1, 0.9, 1.0], 5.0), ([0.1, 0.1, 0.0], 0.0)]
        {
            assert!((m.predict(&row) - want).abs() < 0.2, "{row:?}: {} vs {want}", m.predict(&row));
        }
    }

    #[test]
    fn quantile_loss_estimates_quantiles() {
        // y = x + uniform noise on [0, 10): the τ-quantile is x + 10τ; each fitted quantile
        // beats the others at its own level and sits near the truth.
        let n = 6000;
        let mut rng = Rng::new(11);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let a = (rng.next_u64() % 100) as f64;
            x.push(a);
            y.push(a + (rng.next_u64() % 10_000) as f64 / 1000.0);
        }
        let data = Binned::new(std::slice::from_ref(&x));
        let params = Params { trees: 150, learning_rate: 0.1, max_depth: 3, min_leaf: 20, subsample: 0.7 };
        let fits: Vec<Vec<f64>> = [0.1, 0.5, 0.9]
            .iter()
            .map(|&tau| {
                let m = Booster::fit(&data, &y, Loss::Quantile(tau), &params);
                x.iter().map(|&a| m.predict(&[a])).collect()
            })
            .collect();
        for (k, tau) in [0.1, 0.5, 0.9].into_iter().enumerate() {
            let err: f64 = x.iter().zip(&fits[k]).map(|(a, q)| (q - (a + 10.0 * tau)).abs()).sum::<f64>() / n as f64;
            assert!(err < 0.6, "τ {tau}: mean error {err}");
            for other in 0..3 {
                if other != k {
                    assert!(pinball(&y, &fits[k], tau) < pinball(&y, &fits[other], tau), "τ {tau} vs fit {other}");
                }
            }
        }
    }

    #[test]
    fn huber_loss_is_not_dragged_by_a_few_huge_targets() {
        // y = x + noise in [0, 1), except one row in a hundred at x + 1000 (a launch from
        // zero, as a ratio to the level before it). The squared loss's mean follows those rows
        // (about +10 everywhere); the Huber loss's stays near x + 0.5.
        let n = 5000;
        let mut rng = Rng::new(13);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let a = (rng.next_u64() % 100) as f64 / 10.0;
            x.push(a);
            y.push(a + rng.uniform() + if i % 100 == 7 { 1000.0 } else { 0.0 });
        }
        let data = Binned::new(std::slice::from_ref(&x));
        let params = Params { trees: 150, learning_rate: 0.1, max_depth: 3, min_leaf: 20, subsample: 1.0 };
        let error = |loss: Loss| {
            let m = Booster::fit(&data, &y, loss, &params);
            x.iter().map(|&a| (m.predict(&[a]) - (a + 0.5)).abs()).sum::<f64>() / n as f64
        };
        let (squared, huber) = (error(Loss::Huber(1.0)), error(Loss::Huber(0.97)));
        assert!(squared > 5.0, "squared loss: mean error {squared}");
        assert!(huber < 1.0, "Huber loss: mean error {huber}");
    }

    #[test]
    fn missing_values_and_constant_columns_do_not_break_it() {
        let cols = vec![vec![f64::NAN, 1.0, f64::NAN, 2.0, 3.0, f64::NAN], vec![4.0; 6]];
        let y = vec![0.0, 1.0, 0.0, 2.0, 3.0, 0.0];
        let data = Binned::new(&cols);
        let params = Params { trees: 50, learning_rate: 0.3, max_depth: 3, min_leaf: 1, subsample: 1.0 };
        let m = Booster::fit(&data, &y, Loss::Huber(1.0), &params);
        assert!(m.predict(&[f64::NAN, 4.0]).abs() < 0.1);
        assert!((m.predict(&[3.0, 4.0]) - 3.0).abs() < 0.1);
        assert_eq!(Binned::new(&[]).rows, 0);
    }
}
