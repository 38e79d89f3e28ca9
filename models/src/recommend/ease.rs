//! EASE (Steck 2019): a linear item-to-item model in closed form, a signal of USER_PERSONALIZATION.
//!
//! With `X` the users × items matrix of who had what (0/1), EASE finds the item-item weights `B`
//! that best rebuild `X` from itself, `min ‖X − XB‖² + λ‖B‖²` with a zero diagonal (an item may
//! not explain itself). The solution is closed-form: `P = (XᵀX + λI)⁻¹`, `B_ij = −P_ij / P_jj`.
//! A user's score for `j` is `Σ_{i ∈ history} B_ij`. Unlike neighbour counts, the weights are
//! learned jointly, so items that only echo each other do not add up: on small and mid-sized
//! catalogs it is among the strongest collaborative models known.
//!
//! The inverse is dense, so the model covers the `max_items` items with the most users (the
//! ones that can be learned from at all; the factor model and the neighbours cover the long
//! tail); heavy users count with their newest `max_user_items` distinct items, as in
//! [`ItemKnn`](super::ItemKnn). Cost: `Σ_u min(|u|, m)²` to build `XᵀX`, `max_items³` for the
//! inverse.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Side};

use super::RecommendError;
use super::data::Dataset;

/// EASE hyperparameters.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EaseParams {
    /// Items covered (the most popular by users); 0 turns the model off.
    pub max_items: usize,
    /// Distinct items per user counted (the newest ones).
    pub max_user_items: usize,
    /// L2 regularisation λ.
    pub regularization: f32,
}

impl Default for EaseParams {
    fn default() -> Self {
        Self { max_items: 2000, max_user_items: 200, regularization: 100.0 }
    }
}

/// A fitted EASE model.
#[derive(Clone, Debug)]
pub struct Ease {
    /// The dense item index of each covered column.
    pub(super) items: Vec<u32>,
    /// Column of each item (`u32::MAX`: not covered).
    pub(super) column: Vec<u32>,
    /// `B`, columns × columns, row-major (row: the history item, column: the scored item).
    pub(super) weights: Vec<f32>,
    pub(super) params: EaseParams,
}

impl Ease {
    /// Fit on the interactions of `ds`.
    pub fn fit(ds: &Dataset, params: &EaseParams) -> Result<Self, RecommendError> {
        if params.max_user_items == 0 || params.regularization.is_nan() || params.regularization <= 0.0 {
            return Err(RecommendError::InvalidParameter {
                name: "ease",
                reason: "maxUserItems must be at least 1 and regularization positive".into(),
            });
        }
        let n = ds.n_items();
        // Users per item (distinct), then the most popular items with at least two users.
        let mut users = vec![0u32; n];
        let mut last = vec![u32::MAX; n];
        for e in ds.events() {
            if last[e.item as usize] != e.user {
                last[e.item as usize] = e.user;
                users[e.item as usize] += 1;
            }
        }
        let mut order: Vec<u32> = (0..n as u32).filter(|&i| users[i as usize] >= 2).collect();
        order.sort_by(|a, b| users[*b as usize].cmp(&users[*a as usize]).then(a.cmp(b)));
        order.truncate(params.max_items);
        order.sort_unstable();
        let m = order.len();
        let mut column = vec![u32::MAX; n];
        for (c, &i) in order.iter().enumerate() {
            column[i as usize] = c as u32;
        }
        if m == 0 {
            return Ok(Self { items: order, column, weights: Vec::new(), params: params.clone() });
        }
        // G = XᵀX over the covered items (upper triangle, then mirrored).
        let mut g = vec![0f32; m * m];
        let mut cols: Vec<usize> = Vec::new();
        let mut counted: Vec<u32> = Vec::new();
        let mut seen = vec![false; n];
        for u in 0..ds.n_users() as u32 {
            cols.clear();
            counted.clear();
            // The user's newest distinct items, as many as are counted.
            for e in ds.user_events(u).iter().rev() {
                if counted.len() >= params.max_user_items {
                    break;
                }
                if std::mem::replace(&mut seen[e.item as usize], true) {
                    continue;
                }
                counted.push(e.item);
                let c = column[e.item as usize];
                if c != u32::MAX {
                    cols.push(c as usize);
                }
            }
            for &i in &counted {
                seen[i as usize] = false;
            }
            cols.sort_unstable();
            for (p, &a) in cols.iter().enumerate() {
                let row = &mut g[a * m..(a + 1) * m];
                for &b in &cols[p..] {
                    row[b] += 1.0;
                }
            }
        }
        // Single precision: λ on the diagonal keeps the system well conditioned, and it halves
        // the time of the inverse, which is most of the fit.
        let lambda = params.regularization;
        let gm = Mat::<f32>::from_fn(m, m, |r, c| {
            let v = if r <= c { g[r * m + c] } else { g[c * m + r] };
            if r == c { v + lambda } else { v }
        });
        drop(g);
        let llt = gm.llt(Side::Lower).map_err(|_| RecommendError::Numerical("EASE Gram matrix"))?;
        let p = llt.inverse();
        let mut weights = vec![0f32; m * m];
        for i in 0..m {
            for j in 0..m {
                if i != j {
                    weights[i * m + j] = -p[(i, j)] / p[(j, j)];
                }
            }
        }
        if weights.iter().any(|w| !w.is_finite()) {
            return Err(RecommendError::Numerical("EASE weights"));
        }
        Ok(Self { items: order, column, weights, params: params.clone() })
    }

    /// Scores of the covered items for a history of distinct items (newest first; only the
    /// first `max_user_items` count): `(item, score)` for every covered item.
    pub fn scores(&self, history: impl Iterator<Item = u32>) -> Vec<(u32, f32)> {
        let m = self.items.len();
        if m == 0 {
            return Vec::new();
        }
        let mut s = vec![0f32; m];
        let mut any = false;
        for i in history.take(self.params.max_user_items) {
            if let Some(&c) = self.column.get(i as usize)
                && c != u32::MAX
            {
                any = true;
                let row = &self.weights[c as usize * m..(c as usize + 1) * m];
                s.iter_mut().zip(row).for_each(|(a, b)| *a += b);
            }
        }
        if !any {
            return Vec::new();
        }
        self.items.iter().copied().zip(s).collect()
    }

    /// [`Ease::scores`] into `out`, indexed by column (see [`Ease::column`]), without allocating
    /// once `out` has grown: `false` (and `out` all zero) when no history item is covered.
    pub fn scores_into(&self, history: impl Iterator<Item = u32>, out: &mut Vec<f32>) -> bool {
        let m = self.items.len();
        out.clear();
        out.resize(m, 0.0);
        let mut any = false;
        for i in history.take(self.params.max_user_items) {
            if let Some(c) = self.column(i)
                && let Some(row) = self.weights.get(c * m..(c + 1) * m)
            {
                any = true;
                super::kernels::add_assign(out, row);
            }
        }
        any
    }

    /// The column of item `i`, if the model covers it.
    pub fn column(&self, i: u32) -> Option<usize> {
        self.column.get(i as usize).copied().filter(|&c| c != u32::MAX).map(|c| c as usize)
    }

    /// The covered items, in column order.
    pub fn covered(&self) -> &[u32] {
        &self.items
    }

    /// The parameters it was fitted with.
    pub fn params(&self) -> &EaseParams {
        &self.params
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::DatasetBuilder;

    #[test]
    fn items_of_the_same_users_score_and_the_diagonal_is_zero() {
        let mut b = DatasetBuilder::new();
        for u in 0..40 {
            let items: &[&str] = if u < 20 { &["a", "b", "c"] } else { &["x", "y", "z"] };
            for (t, it) in items.iter().enumerate() {
                if (u + t) % 4 != 0 {
                    b.add_event(&format!("u{u}"), it, t as i64, None, None).unwrap();
                }
            }
        }
        b.add_event("solo", "rare", 0, None, None).unwrap();
        let ds = b.build();
        let ease = Ease::fit(&ds, &EaseParams { regularization: 1.0, ..Default::default() }).unwrap();
        let id = |s: &str| ds.items().get(s).unwrap();
        assert_eq!(ease.items.len(), 6, "the item with one user is not covered");
        let s: std::collections::HashMap<u32, f32> = ease.scores([id("a")].into_iter()).into_iter().collect();
        assert!(s[&id("b")] > s[&id("x")] && s[&id("c")] > s[&id("y")]);
        assert_eq!(s[&id("a")], 0.0);
        assert!(ease.scores([id("rare")].into_iter()).is_empty());
        assert!(Ease::fit(&ds, &EaseParams { regularization: 0.0, ..Default::default() }).is_err());
    }
}
