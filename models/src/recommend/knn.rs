//! Item-based neighbours over whole histories (item kNN), a signal of USER_PERSONALIZATION.
//!
//! [`SimilarItems`](super::SimilarItems) counts pairs of events that are close in a user's
//! history: "bought together", where order matters. This model forgets the order: two items are
//! alike when the same users had them, anywhere in their histories, which is what collaborative
//! filtering between items means for data whose order carries nothing (a user's favourite
//! artists) and a useful complement to the factor model everywhere else.
//!
//! Each user contributes to every pair of their distinct items with weight `|u|^-γ` (heavy users,
//! who have everything, say less about any one pair: γ = 1 is a random walk's transition
//! probability), and the similarity of `b` to `a` is `Σ_u w_u / (n_a^(1−β) · n_b^β)` with `n_x`
//! the users of `x`: β = 0.5 is cosine-like, a larger β damps popular neighbours. Each item keeps
//! its top neighbours; a user's score for `b` is the sum of `b`'s similarity to their items.
//!
//! Cost: Σ_u |u|² pair updates, so heavy users count only their newest `max_user_items` distinct
//! items (a grocery household has thousands of events; its recent baskets say the most).

use rayon::prelude::*;
use sprs::CsMat;

use super::data::Dataset;
use super::{RecommendError, Scored, top_n};

/// Item-kNN hyperparameters.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemKnnParams {
    /// Neighbours kept per item.
    pub neighbors: usize,
    /// Distinct items per user counted (the newest ones).
    pub max_user_items: usize,
    /// γ: a user's weight is `|u|^-γ`.
    pub user_weight_exponent: f32,
    /// β in 0..=1: popularity damping of the neighbour.
    pub popularity_damping: f32,
    /// Shrinkage `h`: similarities are divided by `norm + h`, so pairs seen in a handful of users
    /// (rare items, whose raw similarity is noisy and often large) count less.
    pub shrinkage: f32,
}

impl Default for ItemKnnParams {
    fn default() -> Self {
        Self { neighbors: 100, max_user_items: 200, user_weight_exponent: 0.5, popularity_damping: 0.5, shrinkage: 0.0 }
    }
}

/// Fitted item-to-item neighbours.
#[derive(Clone, Debug)]
pub struct ItemKnn {
    /// items × items, top neighbours per row.
    pub(super) neighbors: CsMat<f32>,
    pub(super) params: ItemKnnParams,
}

impl ItemKnn {
    /// Fit on the interactions of `ds`.
    pub fn fit(ds: &Dataset, params: &ItemKnnParams) -> Result<Self, RecommendError> {
        if params.neighbors == 0 || params.max_user_items < 2 {
            return Err(RecommendError::InvalidParameter {
                name: "neighbors/maxUserItems",
                reason: "need at least 1 neighbour and 2 items per user".into(),
            });
        }
        if !(0.0..=1.0).contains(&params.popularity_damping)
            || !params.user_weight_exponent.is_finite()
            || params.shrinkage.is_nan()
            || params.shrinkage < 0.0
        {
            return Err(RecommendError::InvalidParameter {
                name: "popularityDamping/userWeightExponent",
                reason: "damping must be between 0 and 1, the exponent a number".into(),
            });
        }
        let n = ds.n_items();
        // Users' distinct items, newest first, capped.
        let mut user_start = vec![0usize];
        let mut user_items: Vec<u32> = Vec::with_capacity(ds.events().len());
        let mut seen = vec![false; n];
        for u in 0..ds.n_users() as u32 {
            let from = user_items.len();
            for e in ds.user_events(u).iter().rev() {
                if user_items.len() - from >= params.max_user_items {
                    break;
                }
                if !seen[e.item as usize] {
                    seen[e.item as usize] = true;
                    user_items.push(e.item);
                }
            }
            for &i in &user_items[from..] {
                seen[i as usize] = false;
            }
            user_start.push(user_items.len());
        }
        let n_users = user_start.len() - 1;
        let weight: Vec<f32> = (0..n_users)
            .map(|u| ((user_start[u + 1] - user_start[u]).max(1) as f32).powf(-params.user_weight_exponent))
            .collect();
        // The transpose: users of each item.
        let mut item_start = vec![0usize; n + 1];
        for &i in &user_items {
            item_start[i as usize + 1] += 1;
        }
        for i in 0..n {
            item_start[i + 1] += item_start[i];
        }
        let mut fill = item_start.clone();
        let mut item_users = vec![0u32; user_items.len()];
        for u in 0..n_users {
            for &i in &user_items[user_start[u]..user_start[u + 1]] {
                item_users[fill[i as usize]] = u as u32;
                fill[i as usize] += 1;
            }
        }
        let count: Vec<f32> = (0..n).map(|i| (item_start[i + 1] - item_start[i]) as f32).collect();
        let beta = params.popularity_damping;
        let damp: Vec<f32> = count.iter().map(|&c| c.max(1.0).powf(beta)).collect();
        // Item by item, in parallel: add up the co-users' items in a dense scratch row.
        let rows: Vec<Vec<Scored>> = (0..n)
            .into_par_iter()
            .map_init(
                || (vec![0f32; n], Vec::<u32>::new()),
                |(scratch, touched), a| {
                    for &u in &item_users[item_start[a]..item_start[a + 1]] {
                        let w = weight[u as usize];
                        let u = u as usize;
                        for &b in &user_items[user_start[u]..user_start[u + 1]] {
                            if b as usize == a {
                                continue;
                            }
                            let slot = &mut scratch[b as usize];
                            if *slot == 0.0 {
                                touched.push(b);
                            }
                            *slot += w;
                        }
                    }
                    let na = count[a].max(1.0).powf(1.0 - beta);
                    let scored: Vec<Scored> = touched
                        .iter()
                        .map(|&b| (b, scratch[b as usize] / (na * damp[b as usize] + params.shrinkage)))
                        .collect();
                    for &b in touched.iter() {
                        scratch[b as usize] = 0.0;
                    }
                    touched.clear();
                    top_n(scored, params.neighbors)
                },
            )
            .collect();
        Ok(Self { neighbors: super::sims::neighbour_matrix(rows), params: params.clone() })
    }

    /// Neighbours of `i` with their similarity (ascending item index).
    pub fn neighbors(&self, i: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        let (columns, values) = super::sims::csr_row(&self.neighbors, i as usize);
        columns.iter().zip(values).map(|(&j, &s)| (j as u32, s))
    }

    /// The parameters it was fitted with.
    pub fn params(&self) -> &ItemKnnParams {
        &self.params
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.neighbors.rows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::DatasetBuilder;

    #[test]
    fn items_of_the_same_users_are_neighbours_whatever_the_order() {
        let mut b = DatasetBuilder::new();
        // Users 0..20 have a, b, c (in any order, far apart); users 20..40 have x, y.
        for u in 0..40 {
            let items: &[&str] = if u < 20 { &["a", "b", "c"] } else { &["x", "y"] };
            for (t, it) in items.iter().enumerate() {
                b.add_event(&format!("u{u}"), it, ((t * 7 + u) % 5) as i64, None, None).unwrap();
            }
        }
        let ds = b.build();
        let knn = ItemKnn::fit(&ds, &ItemKnnParams::default()).unwrap();
        let id = |s: &str| ds.items().get(s).unwrap();
        let nb: Vec<u32> = knn.neighbors(id("a")).map(|(j, _)| j).collect();
        assert_eq!(nb.len(), 2);
        assert!(nb.contains(&id("b")) && nb.contains(&id("c")));
        assert_eq!(knn.neighbors(id("x")).map(|(j, _)| j).collect::<Vec<_>>(), vec![id("y")]);
        assert!(ItemKnn::fit(&ds, &ItemKnnParams { neighbors: 0, ..Default::default() }).is_err());
    }
}
