//! What a served USER_PERSONALIZATION version computes once, when it is loaded, so that a request
//! does only the work that depends on the request.
//!
//! - **User vectors**: every trained user's collaborative factors folded in from their training
//!   history, exactly as a request would fold them in (the same code on the same history). A
//!   request for a known user with no live events takes them instead of solving the fold-in
//!   again; one with live events folds in its whole history, so new events still move the answer
//!   at once. This is the model's user embedding (what a factor model's serving stores per user),
//!   not a cache of answers: every signal of the blend, the candidates and the ranking are still
//!   computed per request.
//! - **Skipped signals**: the item-to-item sums (neighbours of the recent events and of the whole
//!   history, item kNN, EASE) are most of a request's work, and a learned blend may hardly use
//!   them (on complete_journey the user's own items and the collaborative factors carry it). At
//!   load, [`prune_signals`] compares the served top 10 with exact scoring's on a sample of
//!   trained users and skips those signals, weakest weight first, while the sample keeps
//!   [`ServingParams::min_recall`]. A per-version choice checked against exact answers, the same
//!   for every user and request.
//!
//! Built by [`super::TrainedModel::prepare_serving`] in the server, after the item index;
//! offline evaluation and training never build it, and a request that cannot use it computes
//! what it needs itself.

use rayon::prelude::*;

use super::data::Event;
use super::personalization::{
    EASE, HISTORY_KNN, HISTORY_NEIGHBORS, RECENT_NEIGHBORS, RequestOptions, SIGNALS, UserPersonalization,
};

/// The signals serving may skip: the sums over item-to-item neighbour rows, which are most of a
/// request's work. The collaborative, popularity and own-history signals cost little.
const SKIPPABLE: [usize; 4] = [RECENT_NEIGHBORS, HISTORY_NEIGHBORS, HISTORY_KNN, EASE];

/// How much of each item-to-item neighbour list a served request sums over the user's history.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServingParams {
    /// SIMS neighbours of each history item in the whole-history signal (strongest first).
    pub history_neighbors: usize,
    /// Item-kNN neighbours of each history item (strongest first).
    pub knn_neighbors: usize,
    /// The user's newest distinct items whose EASE rows are summed (at most the model's own
    /// number).
    pub ease_user_items: usize,
    /// The user's newest distinct items whose SIMS rows make the whole-history signal.
    pub history_items: usize,
    /// The user's newest distinct items whose item-kNN rows are summed (at most the model's own
    /// number).
    pub knn_user_items: usize,
    /// Candidates each item-to-item signal proposes (its best), and the popular items added.
    pub signal_candidates: usize,
    /// The user's own items that are candidates: the best by the blend's own-history signals
    /// (how often, how recently, whether due, how repeatable).
    pub own_candidates: usize,
    /// The served top 10 must keep at least this share of exact scoring's (every item scored,
    /// nothing cut), measured at load on a sample of trained users: the item-to-item signals the
    /// learned blend weighs least (recent and whole-history neighbours, item kNN, EASE) are
    /// skipped in serving, weakest first, while the sample stays at or above it.
    pub min_recall: f64,
    /// Trained users in that sample (evenly spaced); 0 skips nothing.
    pub calibration_users: usize,
}

impl Default for ServingParams {
    fn default() -> Self {
        // On complete_journey (68k items, heavy grocery histories) these keep the served top 10
        // at recall 0.995 of exact scoring (bench/server/RESULTS.md) for a fraction of the sums.
        Self {
            history_neighbors: 20,
            knn_neighbors: 30,
            ease_user_items: 100,
            history_items: 100,
            knn_user_items: 100,
            signal_candidates: 50,
            own_candidates: 100,
            min_recall: 0.97,
            calibration_users: 200,
        }
    }
}

/// Precomputed per-version serving state (see the module documentation).
#[derive(Clone, Debug, Default)]
pub(super) struct Serving {
    /// The whole-history SIMS rows, strongest first, cut to `history_neighbors`.
    pub(super) sims: NeighbourRows,
    /// The item-kNN rows, strongest first, cut to `knn_neighbors`.
    pub(super) knn: NeighbourRows,
    /// What a request sums and how many candidates it takes (the counts at least 1).
    pub(super) params: ServingParams,
    /// Per blend signal (`SIGNAL_NAMES` order): whether a served request skips it (see
    /// [`prune_signals`]).
    pub(super) skipped: [bool; SIGNALS],
    factors: usize,
    /// Row `u`: trained user `u`'s folded-in factors (zeros where `folded[u]` is false).
    user_vectors: Vec<f32>,
    /// Whether user `u`'s fold-in exists (a user without events, or a fold-in that failed
    /// numerically, takes the request's own path).
    folded: Vec<bool>,
}

impl Serving {
    /// Folds in every user of `histories` (`user → training events`) with `model`, users in
    /// parallel.
    pub(super) fn build<'a>(
        model: &UserPersonalization,
        params: &ServingParams,
        n_users: usize,
        histories: impl Fn(u32) -> &'a [Event] + Sync,
    ) -> Self {
        let factors = model.factors();
        let rows: Vec<Option<Vec<f32>>> = (0..n_users as u32)
            .into_par_iter()
            .map(|u| {
                let history = histories(u);
                if history.is_empty() {
                    return None;
                }
                model.fold_in_history(history).ok().filter(|x| x.len() == factors)
            })
            .collect();
        let mut user_vectors = vec![0f32; n_users * factors];
        let mut folded = vec![false; n_users];
        for (u, row) in rows.into_iter().enumerate() {
            if let Some(x) = row {
                user_vectors[u * factors..(u + 1) * factors].copy_from_slice(&x);
                folded[u] = true;
            }
        }
        let n_items = model.n_items();
        Self {
            skipped: [false; SIGNALS],
            sims: NeighbourRows::build(n_items, |i| model.sims.cooccurrence(i), params.history_neighbors),
            knn: NeighbourRows::build(n_items, |i| model.knn.neighbors(i), params.knn_neighbors),
            params: ServingParams {
                signal_candidates: params.signal_candidates.max(1),
                own_candidates: params.own_candidates.max(1),
                ..params.clone()
            },
            factors,
            user_vectors,
            folded,
        }
    }

    /// Trained user `u`'s folded-in factors, if they were computed.
    pub(super) fn user_vector(&self, u: u32) -> Option<&[f32]> {
        let u = u as usize;
        if !self.folded.get(u).copied().unwrap_or(false) {
            return None;
        }
        self.user_vectors.get(u * self.factors..(u + 1) * self.factors)
    }

    /// The signals a served request skips.
    pub(super) fn skips(&self, signal: usize) -> bool {
        self.skipped.get(signal).copied().unwrap_or(false)
    }

    /// Users with a precomputed vector.
    pub(super) fn users(&self) -> usize {
        self.folded.iter().filter(|&&f| f).count()
    }
}

/// Skips the item-to-item signals that `model`'s learned blend barely uses, as far as the served
/// top 10 of a sample of trained users keeps `params.min_recall` of exact scoring's: weakest
/// |weight| first, each tried on top of those already skipped and kept skipped only if the sample
/// holds. Both sides run without exploration (it is the same on both). The index and the cut rows
/// are in place, so the sample measures everything serving approximates, together.
pub(super) fn prune_signals<'a>(
    model: &mut UserPersonalization,
    params: &ServingParams,
    n_users: usize,
    histories: impl Fn(u32) -> &'a [Event] + Sync,
) {
    let step = n_users.div_ceil(params.calibration_users.max(1)).max(1);
    let sample: Vec<u32> = (0..n_users as u32)
        .step_by(step)
        .filter(|&u| !histories(u).is_empty())
        .take(params.calibration_users)
        .collect();
    if sample.is_empty() || model.serving.is_none() {
        return;
    }
    let top10 = |m: &UserPersonalization, u: u32, options: &RequestOptions| -> Vec<u32> {
        m.recommend(histories(u), 10, options, |_| true)
            .map(|r| r.into_iter().map(|s| s.0).collect())
            .unwrap_or_default()
    };
    let exact_options = RequestOptions { exact: true, exploration_weight: Some(0.0), ..RequestOptions::default() };
    let exact: Vec<Vec<u32>> = sample.par_iter().map(|&u| top10(model, u, &exact_options)).collect();
    let weights = model.weights();
    let mut order = SKIPPABLE;
    order.sort_by(|&a, &b| weights[a].abs().total_cmp(&weights[b].abs()));
    for signal in order {
        let Some(sv) = model.serving.as_mut() else { return };
        sv.skipped[signal] = true;
        let m = &*model;
        let (hits, total) = sample
            .par_iter()
            .zip(&exact)
            .map(|(&u, want)| {
                let options = RequestOptions {
                    trained_user: Some(u),
                    exploration_weight: Some(0.0),
                    ..RequestOptions::default()
                };
                let got = top10(m, u, &options);
                (got.iter().filter(|i| want.contains(i)).count(), want.len())
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        let recall = if total == 0 { 1.0 } else { hits as f64 / total as f64 };
        if recall < params.min_recall
            && let Some(sv) = model.serving.as_mut()
        {
            sv.skipped[signal] = false;
        }
    }
}

/// Item-to-item neighbour rows packed for request-time sums: per item, its strongest neighbours
/// as `(item, weight)`, strongest first (ties by item), in one array.
#[derive(Clone, Debug, Default)]
pub(super) struct NeighbourRows {
    offsets: Vec<usize>,
    entries: Vec<(u32, f32)>,
}

impl NeighbourRows {
    /// The first `keep` of each of the `n_items` rows of `row`, by weight.
    fn build<I: Iterator<Item = (u32, f32)>>(n_items: usize, row: impl Fn(u32) -> I, keep: usize) -> Self {
        let mut offsets = Vec::with_capacity(n_items + 1);
        offsets.push(0);
        let mut entries = Vec::new();
        let mut one: Vec<(u32, f32)> = Vec::new();
        for i in 0..n_items as u32 {
            one.clear();
            one.extend(row(i));
            one.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            one.truncate(keep);
            entries.extend_from_slice(&one);
            offsets.push(entries.len());
        }
        Self { offsets, entries }
    }

    /// Item `i`'s row (empty for an unknown item).
    pub(super) fn row(&self, i: u32) -> &[(u32, f32)] {
        let i = i as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.entries.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }
}
