//! USER_PERSONALIZATION and PERSONALIZED_RANKING.
//!
//! One score per (user, item) from a few signals, blended with weights learned from the data:
//!
//! - **collaborative**: implicit ALS, with the user's factors folded in from their history at
//!   request time (so a user's new events move them at once, and unknown users work as soon as they
//!   have one event). Confidence is BM25-weighted: an event on a niche item counts more than one
//!   on a bestseller (the item's IDF) and long histories are normalised (b = 0.8);
//! - **item-to-item over the whole history**, order-free: item kNN ([`ItemKnn`], items alike when
//!   the same users had them) and EASE ([`Ease`], a closed-form linear item model over the most
//!   popular items), the two strongest simple collaborative models where order means little;
//! - **repeat consumption**: how often and how recently the user had the item, whether a repeat
//!   is "due" (time since the last event against the user's usual gap for that item), how often
//!   the item's buyers come back to it (milk vs a kettle, learned across users) and how much of
//!   this user's history is repeats. Whether people come back to what they had (groceries: yes,
//!   half the time; films and reviews: almost never) is not a switch: the blend learns a weight
//!   for each of these signals, positive where people repeat and negative where they don't;
//! - **recent events**: item-to-item neighbours ([`SimilarItems`]) of the user's newest events,
//!   decayed by position, so what was just viewed changes what comes next; and the neighbours of
//!   the whole history, undecayed, for data whose order means little;
//! - **popularity**, as a prior.
//!
//! The weights are fit by coordinate ascent on NDCG@10 over a validation split made the same way
//! as Personalize's test split (10% of the training users — more, up to half, until there are
//! about 1000 of them — and their newest 10% of events), with the models trained on everything
//! but those held-out events, which costs little data. The served model is that one (no second
//! training), so training time stays one ALS fit. Each signal is normalised per user
//! (divided by its largest value among the candidates), so the weights transfer between users.
//!
//! Exploration: with weight `w` > 0, up to ⌈w·n/2⌉ of the `n` slots go to new items (created or
//! first seen within the age cutoff) that have too few events to be placed by behaviour; they are
//! chosen by how well their metadata matches the user's recent items. Offline metrics are computed
//! with exploration off, because held-out history cannot reward exposure.
//!
//! Users without any event get trending and popular items.

use std::collections::HashMap;

use sprs::TriMat;

use super::als::{Als, AlsParams};
use super::data::{Dataset, Event};
use super::ease::{Ease, EaseParams};
use super::knn::{ItemKnn, ItemKnnParams};
use super::popularity::{Popularity, Trending};
use super::sims::{FastHash, SimilarItems, SimsParams};
use super::split::{TestCase, personalize_split};
use super::{RecommendError, Scored, top_n};

/// Number of blended signals.
pub const SIGNALS: usize = 13;
/// Names of the signals, in weight order (for logs and metrics).
pub const SIGNAL_NAMES: [&str; SIGNALS] = [
    "collaborative",
    "own_frequency",
    "own_recency",
    "recent_neighbors",
    "popularity",
    "owned",
    "history_neighbors",
    "own_recency_long",
    "own_due",
    "own_item_repeat_rate",
    "own_user_repeat_share",
    "history_knn",
    "ease",
];

/// USER_PERSONALIZATION hyperparameters.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersonalizationParams {
    /// The collaborative model.
    pub als: AlsParams,
    /// The item-to-item model used for recent events.
    pub sims: SimsParams,
    /// The item-based neighbours of the whole history.
    pub knn: ItemKnnParams,
    /// The EASE item-to-item model.
    pub ease: EaseParams,
    /// Newest events whose neighbours are scored.
    pub recent_events: usize,
    /// Half-life, in events, of the recency of the user's own items.
    pub recency_half_life: f32,
    /// Candidates taken from the collaborative model per request.
    pub candidates: usize,
    /// Exploration weight in 0..=1 (Personalize's default 0.3).
    pub exploration_weight: f32,
    /// Items newer than this (timestamp units; Personalize: 30 days) may be explored.
    pub exploration_item_age_cutoff: i64,
    /// Window of TRENDING_NOW for users without events.
    pub trend_window: i64,
    /// Use `EVENT_VALUE` (log-scaled) as the strength of an interaction instead of counting events.
    pub use_event_value: bool,
    /// Exponent of the items' inverse document frequency in the ALS confidence (0: off; 1: BM25's
    /// IDF): an event on a niche item says more about a user than one on a bestseller.
    pub idf_exponent: f32,
    /// BM25's `b` for the ALS confidence: 0 leaves long histories alone, 1 divides each event's
    /// strength by the user's history length over the average one.
    pub length_normalization: f32,
    /// Validation users at most (the blend is fit on them).
    pub max_validation_users: usize,
    /// Seed of the validation split.
    pub seed: u64,
    /// Train the signals again on all events (the validation hold-out included) once the blend is
    /// learned: a little more data for twice the training time.
    pub refit_on_all: bool,
}

impl Default for PersonalizationParams {
    fn default() -> Self {
        Self {
            als: AlsParams::default(),
            sims: SimsParams::default(),
            knn: ItemKnnParams::default(),
            ease: EaseParams::default(),
            recent_events: 20,
            recency_half_life: 10.0,
            candidates: 200,
            exploration_weight: 0.3,
            exploration_item_age_cutoff: 30 * 86_400,
            trend_window: 7 * 86_400,
            use_event_value: false,
            // BM25's weighting (b = 0.8): on all three benchmark sets the validation split scored it
            // at least as well as plain counts, and lastfm (niche artists) clearly better.
            idf_exponent: 1.0,
            length_normalization: 0.8,
            max_validation_users: 1000,
            seed: 42,
            refit_on_all: false,
        }
    }
}

/// A fitted USER_PERSONALIZATION model.
#[derive(Clone, Debug)]
pub struct UserPersonalization {
    pub(super) params: PersonalizationParams,
    pub(super) als: Als,
    pub(super) sims: SimilarItems,
    pub(super) knn: ItemKnn,
    pub(super) ease: Ease,
    pub(super) popularity: Popularity,
    pub(super) trending: Trending,
    pub(super) weights: [f32; SIGNALS],
    pub(super) validation_ndcg: f64,
    /// First event (or creation) time per item, for the exploration age cutoff.
    pub(super) item_born: Vec<Option<i64>>,
    pub(super) now: i64,
    pub(super) max_log_pop: f32,
    /// Per item: the share of its buyers who had it more than once (smoothed). Some items are
    /// bought again and again (milk), others once (a kettle); this is learned across users.
    pub(super) repeat_rate: Vec<f32>,
    /// Per item: the confidence weight of its events in ALS (1 without IDF weighting).
    pub(super) item_weight: Vec<f32>,
    /// Mean number of events per user with any, for length normalisation.
    pub(super) mean_history: f32,
}

/// Candidate items and their signals.
type Candidates = (Vec<u32>, Vec<[f32; SIGNALS]>);

/// Per-request options.
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    /// Overrides the model's exploration weight.
    pub exploration_weight: Option<f32>,
    /// "Now" for the age cutoff (default: the newest training timestamp).
    pub now: Option<i64>,
}

impl UserPersonalization {
    /// Fit on `ds`: split off a validation set, train the signals, learn the blend.
    pub fn fit(ds: &Dataset, params: &PersonalizationParams) -> Result<Self, RecommendError> {
        if !(0.0..=1.0).contains(&params.exploration_weight) {
            return Err(RecommendError::InvalidParameter {
                name: "explorationWeight",
                reason: "must be between 0 and 1".into(),
            });
        }
        if ds.events().is_empty() {
            return Err(RecommendError::Empty);
        }
        // Personalize's 10% of users, or more (up to half) so the blend sees enough users: only
        // their newest tenth of events leaves training, so this costs little data.
        let eligible = (0..ds.n_users() as u32).filter(|&u| ds.user_events(u).len() >= 2).count().max(1);
        let fraction = (params.max_validation_users as f64 / eligible as f64).clamp(0.1, 0.5);
        let val = personalize_split(ds, fraction, 0.1, params.seed ^ 0x5EED);
        // Keep the validation users' older events in training; drop only what is held out.
        let mut cutoff = vec![usize::MAX; ds.n_users()];
        for case in &val.test {
            cutoff[case.user as usize] = case.history.len();
        }
        let fit_ds = ds.filter_events(|k, e| k - ds.user_range(e.user).start < cutoff[e.user as usize]);
        let mut model = Self::fit_signals(&fit_ds, params)?;
        let mut cases: Vec<&TestCase> = val.test.iter().collect();
        cases.truncate(params.max_validation_users);
        if !cases.is_empty() {
            model.learn_weights(&cases)?;
        }
        if params.refit_on_all {
            let mut full = Self::fit_signals(ds, params)?;
            full.weights = model.weights;
            full.validation_ndcg = model.validation_ndcg;
            return Ok(full);
        }
        Ok(model)
    }

    /// Train every signal on `ds`, with default blend weights.
    fn fit_signals(ds: &Dataset, params: &PersonalizationParams) -> Result<Self, RecommendError> {
        let (item_weight, mean_history) = confidence_weights(ds, params);
        let matrix = {
            let mut tri = TriMat::new((ds.n_users(), ds.n_items()));
            for u in 0..ds.n_users() as u32 {
                let h = ds.user_events(u);
                let norm = length_norm(h.len(), mean_history, params.length_normalization);
                for e in h {
                    let w = strength(e, params.use_event_value) * item_weight[e.item as usize] / norm;
                    tri.add_triplet(e.user as usize, e.item as usize, w);
                }
            }
            tri.to_csr()
        };
        let als = Als::fit(&matrix, &params.als)?;
        // The item-to-item models side by side (SIMS and EASE are single-threaded).
        let ((sims, knn), ease) = rayon::join(
            || (SimilarItems::fit(ds, &params.sims), ItemKnn::fit(ds, &params.knn)),
            || Ease::fit(ds, &params.ease),
        );
        let (sims, knn, ease) = (sims?, knn?, ease?);
        let popularity = Popularity::fit(ds)?;
        let trending = Trending::fit(ds, params.trend_window.max(1), None)?;
        let mut item_born: Vec<Option<i64>> = (0..ds.n_items() as u32).map(|i| ds.item_created(i)).collect();
        for e in ds.events() {
            let b = &mut item_born[e.item as usize];
            if b.is_none_or(|t| e.timestamp < t) {
                *b = Some(e.timestamp);
            }
        }
        let max_log_pop = popularity.scores().iter().copied().fold(0.0f32, f32::max).ln_1p().max(1e-6);
        let repeat_rate = repeat_rates(ds);
        Ok(Self {
            params: params.clone(),
            als,
            sims,
            knn,
            ease,
            popularity,
            trending,
            weights: [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            validation_ndcg: 0.0,
            item_born,
            now: ds.max_timestamp().unwrap_or(0),
            max_log_pop,
            repeat_rate,
            item_weight,
            mean_history,
        })
    }

    /// The learned blend weights, in [`SIGNAL_NAMES`] order.
    pub fn weights(&self) -> [f32; SIGNALS] {
        self.weights
    }

    /// The same model with other blend weights (in [`SIGNAL_NAMES`] order): for experiments and
    /// for overriding what was learned.
    pub fn with_weights(mut self, weights: [f32; SIGNALS]) -> Self {
        self.weights = weights;
        self
    }

    /// NDCG@10 of the learned blend on the validation users.
    pub fn validation_ndcg(&self) -> f64 {
        self.validation_ndcg
    }

    /// The item-to-item model inside (SIMS requests can share it).
    pub fn similar_items(&self) -> &SimilarItems {
        &self.sims
    }

    /// Coordinate ascent on mean NDCG@10 over the validation users.
    fn learn_weights(&mut self, cases: &[&TestCase]) -> Result<(), RecommendError> {
        // Per validation user: signals column by column, whether each candidate is relevant, and
        // how many relevant items there are (for the ideal DCG).
        struct User {
            columns: Vec<Vec<f32>>,
            hit: Vec<bool>,
            ideal: f64,
            scores: Vec<f32>,
        }
        let disc: Vec<f64> = (1..=10).map(|r| 1.0 / ((r + 1) as f64).log2()).collect();
        let mut users: Vec<User> = Vec::with_capacity(cases.len());
        let mut best_w = [1.0, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        // Candidates of every validation user, in parallel (each is a fold-in and a pass over
        // the catalog).
        let all: Vec<Candidates> = {
            use rayon::prelude::*;
            cases.par_iter().map(|c| self.candidates(&c.history, None)).collect::<Result<_, _>>()?
        };
        for (c, (items, feats)) in cases.iter().zip(all) {
            let columns: Vec<Vec<f32>> = (0..SIGNALS).map(|f| feats.iter().map(|r| r[f]).collect()).collect();
            let hit: Vec<bool> = items.iter().map(|i| c.relevant.contains(i)).collect();
            let ideal: f64 = disc.iter().take(c.relevant.len()).sum();
            let scores = feats.iter().map(|r| r.iter().zip(&best_w).map(|(a, b)| a * b).sum()).collect();
            // A user none of whose held-out items is among the candidates scores 0 whatever the
            // weights: leave them out of the search (they still count in the mean).
            if ideal > 0.0 && hit.iter().any(|&h| h) {
                users.push(User { columns, hit, ideal, scores });
            }
        }
        let n_cases = cases.len().max(1) as f64;
        // Mean NDCG@10 when signal `f`'s weight moves by `d`: only that column changes, so each
        // trial costs one pass over the candidates instead of a full re-scoring. Users in
        // parallel, summed in order (the same result on any number of threads).
        let eval = |users: &[User], f: usize, d: f32| -> f64 {
            use rayon::prelude::*;
            let per_user: Vec<f64> = users
                .par_iter()
                .map(|u| {
                    let mut top: Vec<(f32, usize)> = Vec::with_capacity(11);
                    let col = &u.columns[f];
                    for (j, (&s, &x)) in u.scores.iter().zip(col).enumerate() {
                        let v = s + d * x;
                        if top.len() < 10 || v > top[top.len() - 1].0 {
                            let at = top.iter().position(|t| v > t.0).unwrap_or(top.len());
                            top.insert(at, (v, j));
                            top.truncate(10);
                        }
                    }
                    let dcg: f64 = top.iter().enumerate().filter(|(_, t)| u.hit[t.1]).map(|(r, _)| disc[r]).sum();
                    dcg / u.ideal
                })
                .collect();
            per_user.iter().sum::<f64>() / n_cases
        };
        // The collaborative weight stays 1 (scores are scale-free); the others move relative to it.
        const GRID: [f32; 19] = [
            -8.0, -4.0, -2.0, -1.0, -0.5, -0.25, -0.1, -0.05, -0.02, 0.0, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0,
            8.0,
        ];
        let mut best = eval(&users, 0, 0.0);
        for pass in 0..4 {
            let before = best;
            for (f, w) in best_w.iter_mut().enumerate().skip(1) {
                // Coarse grid first, then relative refinements around the current weight.
                let tries: Vec<f32> = if pass < 2 {
                    GRID.to_vec()
                } else {
                    [0.5, 0.7, 0.85, 1.2, 1.4, 2.0].iter().map(|m| m * *w).collect()
                };
                let mut chosen = *w;
                for g in tries {
                    let v = eval(&users, f, g - *w);
                    if v > best + 1e-9 {
                        best = v;
                        chosen = g;
                    }
                }
                let d = chosen - *w;
                if d != 0.0 {
                    for u in &mut users {
                        u.scores.iter_mut().zip(&u.columns[f]).for_each(|(s, x)| *s += d * x);
                    }
                    *w = chosen;
                }
            }
            if pass == 3 && best <= before + 1e-6 {
                break;
            }
        }
        self.weights = best_w;
        self.validation_ndcg = best;
        Ok(())
    }

    /// Candidate items for a history, with their signals (per-user normalised).
    fn candidates(&self, history: &[Event], forced: Option<&[u32]>) -> Result<Candidates, RecommendError> {
        let n_items = self.als.n_items();
        // Own items: count and recency (by position from the newest event).
        // Two half-lives: a fixed one (the last session or basket) and a quarter of the user's
        // history (long-run habits of heavy users).
        let mut own: HashMap<u32, Own, FastHash> = HashMap::default();
        let hl = self.params.recency_half_life.max(1e-3);
        let hl_long = hl.max(history.len() as f32 / 4.0);
        for (p, e) in history.iter().rev().enumerate() {
            let o = own.entry(e.item).or_insert(Own { first: e.timestamp, last: e.timestamp, ..Own::default() });
            o.count += 1.0;
            o.recency += (-(p as f32) * std::f32::consts::LN_2 / hl).exp();
            o.recency_long += (-(p as f32) * std::f32::consts::LN_2 / hl_long).exp();
            o.first = o.first.min(e.timestamp);
        }
        let user_now = history.last().map_or(0, |e| e.timestamp);
        // How much of this user's history is coming back to something they had before.
        let user_repeat_share = if history.is_empty() { 0.0 } else { 1.0 - own.len() as f32 / history.len() as f32 };
        // Neighbours of the newest events.
        let mut recent: HashMap<u32, f32, FastHash> = HashMap::default();
        for (p, e) in history.iter().rev().take(self.params.recent_events).enumerate() {
            let decay = 0.8f32.powi(p as i32);
            for (j, s) in self.sims.cooccurrence(e.item) {
                *recent.entry(j).or_insert(0.0) += decay * s;
            }
        }
        // Neighbours of the whole history, undecayed (where order carries no signal).
        let mut whole: HashMap<u32, f32, FastHash> = HashMap::default();
        for (&j, o) in &own {
            for (i, s) in self.sims.cooccurrence(j) {
                *whole.entry(i).or_insert(0.0) += o.count.ln_1p() * s;
            }
        }
        // Item-based neighbours of the newest distinct items (as many as the model counts per user).
        let newest_distinct: Vec<u32> = {
            let keep = self.params.knn.max_user_items.max(self.params.ease.max_user_items);
            let mut done: std::collections::HashSet<u32, FastHash> = std::collections::HashSet::default();
            let mut out = Vec::new();
            for e in history.iter().rev() {
                if out.len() >= keep {
                    break;
                }
                if done.insert(e.item) {
                    out.push(e.item);
                }
            }
            out
        };
        let mut knn: HashMap<u32, f32, FastHash> = HashMap::default();
        for &j in newest_distinct.iter().take(self.params.knn.max_user_items) {
            for (i, s) in self.knn.neighbors(j) {
                *knn.entry(i).or_insert(0.0) += s;
            }
        }
        let ease: HashMap<u32, f32, FastHash> = self.ease.scores(newest_distinct.iter().copied()).into_iter().collect();
        let mut agg: HashMap<u32, f32, FastHash> = HashMap::default();
        let norm = length_norm(history.len(), self.mean_history, self.params.length_normalization);
        for e in history {
            if let Some(w) = self.item_weight.get(e.item as usize) {
                *agg.entry(e.item).or_insert(0.0) += strength(e, self.params.use_event_value) * w / norm;
            }
        }
        let hist: Vec<(u32, f32)> = agg.into_iter().collect();
        let x = if hist.is_empty() { vec![0.0; self.als.factors()] } else { self.als.fold_in(&hist)? };
        let mut items: Vec<u32> = match forced {
            Some(f) => f.iter().copied().filter(|&i| (i as usize) < n_items).collect(),
            None => {
                let all = self.als.scores(&x);
                let mut c: Vec<u32> =
                    top_n(all.into_iter().enumerate().map(|(i, s)| (i as u32, s)).collect(), self.params.candidates)
                        .into_iter()
                        .map(|s| s.0)
                        .collect();
                c.extend(own.keys().copied());
                c.extend(
                    top_n(recent.iter().map(|(&i, &s)| (i, s)).collect(), self.params.candidates)
                        .into_iter()
                        .map(|s| s.0),
                );
                c.extend(
                    top_n(whole.iter().map(|(&i, &s)| (i, s)).collect(), self.params.candidates)
                        .into_iter()
                        .map(|s| s.0),
                );
                c.extend(
                    top_n(knn.iter().map(|(&i, &s)| (i, s)).collect(), self.params.candidates).into_iter().map(|s| s.0),
                );
                c.extend(
                    top_n(ease.iter().map(|(&i, &s)| (i, s)).collect(), self.params.candidates)
                        .into_iter()
                        .map(|s| s.0),
                );
                c.extend(self.popularity.recommend(50, |_| true).into_iter().map(|s| s.0));
                c.sort_unstable();
                c.dedup();
                c
            }
        };
        items.sort_unstable();
        items.dedup();
        let cf: Vec<f32> = items.iter().map(|&i| self.als.score(&x, i)).collect();
        let max_abs = |v: &mut dyn Iterator<Item = f32>| v.fold(0.0f32, |m, a| m.max(a.abs())).max(1e-12);
        let cf_max = max_abs(&mut cf.iter().copied());
        let cnt_max = max_abs(&mut own.values().map(|o| o.count.ln_1p()));
        let rec_max = max_abs(&mut own.values().map(|o| o.recency));
        let long_max = max_abs(&mut own.values().map(|o| o.recency_long));
        let nb_max = max_abs(&mut items.iter().map(|i| recent.get(i).copied().unwrap_or(0.0)));
        let wh_max = max_abs(&mut items.iter().map(|i| whole.get(i).copied().unwrap_or(0.0)));
        let knn_max = max_abs(&mut items.iter().map(|i| knn.get(i).copied().unwrap_or(0.0)));
        let ease_max = max_abs(&mut items.iter().map(|i| ease.get(i).copied().unwrap_or(0.0)));
        let feats = items
            .iter()
            .zip(&cf)
            .map(|(&i, &c)| {
                let o = own.get(&i).copied().unwrap_or_default();
                let (cnt, rec, long) = (o.count, o.recency, o.recency_long);
                [
                    c / cf_max,
                    cnt.ln_1p() / cnt_max,
                    rec / rec_max,
                    recent.get(&i).copied().unwrap_or(0.0) / nb_max,
                    self.popularity.count(i).ln_1p() / self.max_log_pop,
                    if cnt > 0.0 { 1.0 } else { 0.0 },
                    whole.get(&i).copied().unwrap_or(0.0) / wh_max,
                    long / long_max,
                    o.due(user_now),
                    if cnt > 0.0 { self.repeat_rate.get(i as usize).copied().unwrap_or(0.0) } else { 0.0 },
                    if cnt > 0.0 { user_repeat_share } else { 0.0 },
                    knn.get(&i).copied().unwrap_or(0.0) / knn_max,
                    ease.get(&i).copied().unwrap_or(0.0) / ease_max,
                ]
            })
            .collect();
        Ok((items, feats))
    }

    /// The blended score of every candidate.
    fn blended(&self, history: &[Event], forced: Option<&[u32]>) -> Result<Vec<Scored>, RecommendError> {
        let (items, feats) = self.candidates(history, forced)?;
        Ok(items
            .into_iter()
            .zip(feats)
            .map(|(i, f)| (i, f.iter().zip(&self.weights).map(|(a, b)| a * b).sum()))
            .collect())
    }

    /// Top `n` items for a user with `history` (training events plus live ones, oldest first) that
    /// `allow` accepts.
    pub fn recommend(
        &self,
        history: &[Event],
        n: usize,
        options: &RequestOptions,
        allow: impl Fn(u32) -> bool,
    ) -> Result<Vec<Scored>, RecommendError> {
        let base = if history.is_empty() {
            self.cold_start(n, &allow)
        } else {
            let scored: Vec<Scored> = self.blended(history, None)?.into_iter().filter(|&(i, _)| allow(i)).collect();
            top_n(scored, n)
        };
        let w = options.exploration_weight.unwrap_or(self.params.exploration_weight).clamp(0.0, 1.0);
        if w <= 0.0 || n == 0 {
            return Ok(base);
        }
        Ok(self.explore(base, history, n, w, options.now.unwrap_or(self.now), &allow))
    }

    /// Trending and popular items, for users with no events yet.
    fn cold_start(&self, n: usize, allow: &dyn Fn(u32) -> bool) -> Vec<Scored> {
        let trend = self.trending.recommend(n, allow);
        let pop = self.popularity.recommend(2 * n, allow);
        let mut out: Vec<Scored> = Vec::with_capacity(n);
        // Alternate trending and popular, popular first, without duplicates.
        let mut t = trend.into_iter();
        let mut p = pop.into_iter();
        while out.len() < n {
            let mut progressed = false;
            for next in [p.next(), t.next()].into_iter().flatten() {
                progressed = true;
                if out.len() < n && !out.iter().any(|o| o.0 == next.0) {
                    out.push(next);
                }
            }
            if !progressed {
                break;
            }
        }
        let len = out.len() as f32;
        out.iter_mut().enumerate().for_each(|(r, s)| s.1 = (len - r as f32) / len.max(1.0));
        out
    }

    /// Give up to ⌈w·n/2⌉ evenly spaced slots to new, little-seen items matching the user's taste.
    fn explore(
        &self,
        base: Vec<Scored>,
        history: &[Event],
        n: usize,
        w: f32,
        now: i64,
        allow: &dyn Fn(u32) -> bool,
    ) -> Vec<Scored> {
        let cutoff = self.params.exploration_item_age_cutoff;
        let kappa = self.params.sims.metadata_prior_events;
        let recent: Vec<u32> = history.iter().rev().take(10).map(|e| e.item).collect();
        let fresh: Vec<Scored> = self
            .item_born
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let i = i as u32;
                let born = (*b)?;
                let new = now - born <= cutoff && self.sims.count(i) < kappa && allow(i);
                if !new || base.iter().any(|s| s.0 == i) {
                    return None;
                }
                let affinity = if recent.is_empty() {
                    0.0
                } else {
                    recent.iter().map(|&r| self.sims.metadata_similarity(r, i)).sum::<f32>() / recent.len() as f32
                };
                // Newer first among equals.
                Some((i, affinity + 1e-9 * born as f32))
            })
            .collect();
        let slots = ((w * n as f32) / 2.0).ceil() as usize;
        let fresh = top_n(fresh, slots.min(n));
        if fresh.is_empty() {
            return base;
        }
        let mut out: Vec<Scored> = Vec::with_capacity(n);
        let every = (n / fresh.len()).max(1);
        let mut b = base.into_iter();
        let mut f = fresh.into_iter();
        for pos in 0..n {
            let pick =
                if pos % every == every - 1 { f.next().or_else(|| b.next()) } else { b.next().or_else(|| f.next()) };
            match pick {
                Some(s) => out.push(s),
                None => break,
            }
        }
        out
    }

    /// PERSONALIZED_RANKING: `items` re-ranked for a user with `history`. Items the model does not
    /// know keep their input order after the known ones.
    pub fn rank(&self, history: &[Event], items: &[u32]) -> Result<Vec<Scored>, RecommendError> {
        let scored = if history.is_empty() {
            items.iter().map(|&i| (i, self.popularity.count(i).ln_1p() / self.max_log_pop)).collect()
        } else {
            self.blended(history, Some(items))?
        };
        let mut known = top_n(scored, items.len());
        for &i in items {
            if !known.iter().any(|s| s.0 == i) {
                known.push((i, f32::NEG_INFINITY));
            }
        }
        Ok(known)
    }
}

/// Per item, (users with ≥ 2 events on it + 1·prior) / (users with any + 1), with the catalog-wide
/// share as the prior, so rarely seen items fall back to the average.
fn repeat_rates(ds: &Dataset) -> Vec<f32> {
    let mut users = vec![0f32; ds.n_items()];
    let mut repeaters = vec![0f32; ds.n_items()];
    let mut seen: HashMap<u32, u32, FastHash> = HashMap::default();
    for u in 0..ds.n_users() as u32 {
        seen.clear();
        for e in ds.user_events(u) {
            *seen.entry(e.item).or_insert(0) += 1;
        }
        for (&i, &c) in &seen {
            users[i as usize] += 1.0;
            if c >= 2 {
                repeaters[i as usize] += 1.0;
            }
        }
    }
    let prior = repeaters.iter().sum::<f32>() / users.iter().sum::<f32>().max(1.0);
    users.iter().zip(&repeaters).map(|(&n, &r)| (r + prior) / (n + 1.0)).collect()
}

/// What a user's history says about one of their own items.
#[derive(Clone, Copy, Debug, Default)]
struct Own {
    count: f32,
    recency: f32,
    recency_long: f32,
    first: i64,
    last: i64,
}

impl Own {
    /// How "due" a repeat is: 1 when the time since the last event equals the user's usual gap
    /// between events on this item, falling off either side (a repurchase cycle). 0 for items had
    /// once, where there is no cycle to speak of.
    fn due(&self, now: i64) -> f32 {
        if self.count < 2.0 || self.last <= self.first {
            return 0.0;
        }
        let gap = (self.last - self.first) as f64 / (self.count as f64 - 1.0);
        let ratio = (now - self.last).max(0) as f64 / gap;
        (-(ratio - 1.0).powi(2) / 2.0).exp() as f32
    }
}

/// Per item, `idf^p` (BM25's `ln(1 + (N − n + 0.5)/(n + 0.5))` over `N` users, `n` of them with the
/// item) scaled so the mean over events is 1 (so ALS's α keeps its meaning); and the mean history
/// length of users with events.
fn confidence_weights(ds: &Dataset, params: &PersonalizationParams) -> (Vec<f32>, f32) {
    let with_events = (0..ds.n_users() as u32).filter(|&u| !ds.user_events(u).is_empty()).count().max(1);
    let mean_history = ds.events().len() as f32 / with_events as f32;
    let p = params.idf_exponent;
    if p == 0.0 {
        return (vec![1.0; ds.n_items()], mean_history);
    }
    let mut users = vec![0f32; ds.n_items()];
    let mut last_user = vec![u32::MAX; ds.n_items()];
    for e in ds.events() {
        if last_user[e.item as usize] != e.user {
            last_user[e.item as usize] = e.user;
            users[e.item as usize] += 1.0;
        }
    }
    let n = with_events as f32;
    let mut w: Vec<f32> = users.iter().map(|&c| ((n - c + 0.5) / (c + 0.5)).ln_1p().powf(p)).collect();
    let mean = ds.events().iter().map(|e| w[e.item as usize] as f64).sum::<f64>() / ds.events().len().max(1) as f64;
    if mean > 0.0 {
        w.iter_mut().for_each(|x| *x /= mean as f32);
    }
    (w, mean_history)
}

/// BM25's length normalisation `(1 − b) + b·len/mean`.
fn length_norm(len: usize, mean: f32, b: f32) -> f32 {
    ((1.0 - b) + b * len as f32 / mean.max(1e-6)).max(1e-3)
}

/// Strength of one event: 1, or log(1 + EVENT_VALUE) when values carry the strength (play counts).
fn strength(e: &Event, use_value: bool) -> f32 {
    if use_value { e.value.map_or(1.0, |v| v.max(0.0).ln_1p().max(0.1)) } else { 1.0 }
}
