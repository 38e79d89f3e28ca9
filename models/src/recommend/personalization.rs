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

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use sprs::TriMat;

use super::als::{Als, AlsParams};
use super::ann::{AnnParams, MipsIndex};
use super::data::{Dataset, Event};
use super::ease::{Ease, EaseParams};
use super::knn::{ItemKnn, ItemKnnParams};
use super::popularity::{Popularity, Trending};
use super::serving::{Serving, ServingParams};
use super::sims::{FastHash, SimilarItems, SimsParams};
use super::split::{TestCase, personalize_split};
use super::{Best, RecommendError, Scored, top_n};

/// Decay weights below this count as 0 (far above f32's smallest normal, 1.2e-38).
const TINY: f32 = 1e-30;
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

/// Positions in [`SIGNAL_NAMES`] of the item-to-item signals, the ones serving may skip.
pub(super) const RECENT_NEIGHBORS: usize = 3;
pub(super) const HISTORY_NEIGHBORS: usize = 6;
pub(super) const HISTORY_KNN: usize = 11;
pub(super) const EASE: usize = 12;

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
    /// An index of the item factors for collaborative candidates on large catalogs (see
    /// [`UserPersonalization::index_items`]); `None`: every item is scored.
    pub(super) ann: Option<MipsIndex>,
    /// Derived once, on first use: the most popular items (every request's candidates) and the
    /// items exploration may pick from.
    pub(super) derived: OnceLock<Derived>,
    /// What serving precomputed at load (see [`super::serving`]); `None` offline.
    pub(super) serving: Option<Serving>,
}

/// What a served model computes once from its fitted parts.
#[derive(Clone, Debug, Default)]
pub(super) struct Derived {
    /// The 50 most popular items, best first.
    popular: Vec<u32>,
    /// Per item: `ln(1 + popularity) / ln(1 + the largest)`, the blend's popularity signal.
    log_popularity: Vec<f32>,
    /// Items with too few events to be placed by behaviour (below the metadata prior) and a
    /// known first appearance, newest first: `(born, item)`.
    explorable: Vec<(i64, u32)>,
    /// The explorable items' metadata tokens, item `k`'s at
    /// `explorable_offsets[k]..explorable_offsets[k + 1]`.
    explorable_tokens: Vec<u32>,
    explorable_offsets: Vec<usize>,
}

/// Candidate items and their signals.
type Candidates = (Vec<u32>, Vec<[f32; SIGNALS]>);

/// Per-request options.
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    /// Overrides the model's exploration weight.
    pub exploration_weight: Option<f32>,
    /// Score every item for the collaborative candidates even where the model has an index
    /// (what the index loses is measured against this).
    pub exact: bool,
    /// "Now" for the age cutoff (default: the newest training timestamp).
    pub now: Option<i64>,
    /// The history is exactly trained user `u`'s training history (no live events): what was
    /// precomputed for them at load ([`UserPersonalization::prepare_serving`]) may stand in for
    /// computing it again. Never set it for any other history.
    pub trained_user: Option<u32>,
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
        // The item-to-item models side by side (EASE is single-threaded; SIMS and item kNN spread
        // over the pool).
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
            ann: None,
            derived: OnceLock::new(),
            serving: None,
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

    /// Build an index of the item factors for the collaborative candidates when the catalog has
    /// more than `params.min_items` items (see [`super::ann`]); smaller catalogs keep scoring every
    /// item. With an index a request takes the index's best proposals (at most the model's
    /// number of candidates) instead of the exact top. An index the model already has (built at
    /// training and saved with it) is kept, searched with `params`' probes and candidates, unless
    /// `params.lists` asks for another number of lists. Returns whether the model has an index.
    /// Requests can still ask for exact scoring ([`RequestOptions::exact`]).
    pub fn index_items(&mut self, params: &AnnParams) -> bool {
        if self.als.n_items() <= params.min_items {
            self.ann = None;
            return false;
        }
        let keep = self.ann.as_ref().filter(|ix| params.lists == 0 || params.lists == ix.lists());
        self.ann = Some(match keep {
            Some(index) => index.with_search(params),
            None => MipsIndex::build(self.als.item_factors(), self.als.factors(), params),
        });
        true
    }

    /// Precompute what requests of trained users need that does not depend on the request (their
    /// folded-in factors; see the `serving` module), for the `n_users` users of `histories`.
    pub fn prepare_serving<'a>(
        &mut self,
        params: &ServingParams,
        n_users: usize,
        histories: impl Fn(u32) -> &'a [Event] + Sync,
    ) {
        self.serving = None;
        self.serving = Some(Serving::build(self, params, n_users, &histories));
        super::serving::prune_signals(self, params, n_users, &histories);
    }

    /// The blend signals served requests skip (see [`ServingParams::min_recall`]), by name.
    pub fn skipped_signals(&self) -> Vec<&'static str> {
        let Some(sv) = self.serving.as_ref() else { return Vec::new() };
        SIGNAL_NAMES.iter().enumerate().filter(|&(k, _)| sv.skips(k)).map(|(_, &name)| name).collect()
    }

    /// Drops what [`Self::prepare_serving`] computed: requests compute everything again (for
    /// measuring what it saves).
    pub fn clear_serving(&mut self) {
        self.serving = None;
    }

    /// Trained users with precomputed serving state (0 before [`Self::prepare_serving`]).
    pub fn prepared_users(&self) -> usize {
        self.serving.as_ref().map_or(0, Serving::users)
    }

    /// Number of collaborative factors.
    pub(super) fn factors(&self) -> usize {
        self.als.factors()
    }

    /// Number of items.
    pub(super) fn n_items(&self) -> usize {
        self.als.n_items()
    }

    /// The user's collaborative factors folded in from `history`, as a request computes them.
    pub(super) fn fold_in_history(&self, history: &[Event]) -> Result<Vec<f32>, RecommendError> {
        let fold = |s: &mut Scratch| {
            s.prepare(self.als.n_items());
            self.own_items(history, s, true);
            let hist: Vec<(u32, f32)> = s.own.iter().map(|&(i, _, w)| (i, w)).collect();
            s.finish();
            if hist.is_empty() { Ok(vec![0.0; self.als.factors()]) } else { self.als.fold_in(&hist) }
        };
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => fold(&mut scratch),
            Err(_) => fold(&mut Scratch::default()),
        })
    }

    /// The index of the item factors, if [`UserPersonalization::index_items`] built one.
    pub fn item_index(&self) -> Option<&MipsIndex> {
        self.ann.as_ref()
    }

    /// The top collaborative candidates for a user with `history` by the exact inner product
    /// and, where the model has an index, by the index: `(exact, approximate)`, best first, the
    /// model's number of candidates each (for measuring what the index loses).
    pub fn collaborative_candidates(&self, history: &[Event]) -> Result<(Vec<u32>, Option<Vec<u32>>), RecommendError> {
        let mut agg: HashMap<u32, f32, FastHash> = HashMap::default();
        let norm = length_norm(history.len(), self.mean_history, self.params.length_normalization);
        for e in history {
            if let Some(w) = self.item_weight.get(e.item as usize) {
                *agg.entry(e.item).or_insert(0.0) += strength(e, self.params.use_event_value) * w / norm;
            }
        }
        let hist: Vec<(u32, f32)> = agg.into_iter().collect();
        if hist.is_empty() {
            return Ok((Vec::new(), self.ann.as_ref().map(|_| Vec::new())));
        }
        let x = self.als.fold_in(&hist)?;
        let all: Vec<Scored> = self.als.scores(&x).into_iter().enumerate().map(|(i, v)| (i as u32, v)).collect();
        let exact = top_n(all, self.params.candidates).into_iter().map(|t| t.0).collect();
        let approximate = self.ann.as_ref().map(|index| {
            let mut c = Vec::new();
            index.candidates(&x, &mut c);
            c.truncate(self.params.candidates);
            c
        });
        Ok((exact, approximate))
    }

    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            let popular = self.popularity.recommend(50, |_| true).into_iter().map(|s| s.0).collect();
            let kappa = self.params.sims.metadata_prior_events;
            let mut explorable: Vec<(i64, u32)> = self
                .item_born
                .iter()
                .enumerate()
                .filter_map(|(i, b)| Some(((*b)?, i as u32)))
                .filter(|&(_, i)| self.sims.count(i) < kappa)
                .collect();
            explorable.sort_unstable_by(|a, b| b.cmp(a));
            // Their metadata tokens side by side in the same order: a request walks thousands of
            // them, and one array is one stream instead of a pointer per item.
            let mut explorable_tokens = Vec::new();
            let mut explorable_offsets = Vec::with_capacity(explorable.len() + 1);
            explorable_offsets.push(0);
            for &(_, i) in &explorable {
                explorable_tokens.extend_from_slice(self.sims.tokens(i));
                explorable_offsets.push(explorable_tokens.len());
            }
            let log_popularity =
                (0..self.als.n_items() as u32).map(|i| self.popularity.count(i).ln_1p() / self.max_log_pop).collect();
            Derived { popular, log_popularity, explorable, explorable_tokens, explorable_offsets }
        })
    }

    fn popular(&self) -> &[u32] {
        &self.derived().popular
    }

    /// The item-to-item model inside (SIMS requests can share it).
    pub fn similar_items(&self) -> &SimilarItems {
        &self.sims
    }

    /// Coordinate ascent on mean NDCG@10 over the validation users.
    fn learn_weights(&mut self, cases: &[&TestCase]) -> Result<(), RecommendError> {
        let disc: Vec<f64> = (1..=10).map(|r| 1.0 / ((r + 1) as f64).log2()).collect();
        let mut users: Vec<BlendUser> = Vec::with_capacity(cases.len());
        let mut best_w = [1.0, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        // Candidates of every validation user, in parallel (each is a fold-in and a pass over
        // the catalog).
        let all: Vec<Candidates> = {
            use rayon::prelude::*;
            cases.par_iter().map(|c| self.candidates(&c.history, None, true, None)).collect::<Result<_, _>>()?
        };
        for (c, (items, feats)) in cases.iter().zip(all) {
            let columns: Vec<Vec<f32>> = (0..SIGNALS).map(|f| feats.iter().map(|r| r[f]).collect()).collect();
            let hit: Vec<bool> = items.iter().map(|i| c.relevant.contains(i)).collect();
            let ideal: f64 = disc.iter().take(c.relevant.len()).sum();
            let scores = feats.iter().map(|r| r.iter().zip(&best_w).map(|(a, b)| a * b).sum()).collect();
            // A user none of whose held-out items is among the candidates scores 0 whatever the
            // weights: leave them out of the search (they still count in the mean).
            if ideal > 0.0 && hit.iter().any(|&h| h) {
                users.push(BlendUser::new(columns, hit, ideal, scores));
            }
        }
        let n_cases = cases.len().max(1) as f64;
        // Mean NDCG@10 for each of the moves `ds` of signal `f` (only that column changes, so a
        // trial does not re-score everything): one parallel pass over the users for all of them
        // (few synchronisations, which matters on a busy machine), each move's users summed in
        // order (the same result on any number of threads).
        let eval = |users: &[BlendUser], f: usize, ds: &[f32]| -> Vec<f64> {
            use rayon::prelude::*;
            let per_user: Vec<Vec<f64>> =
                users.par_iter().map(|u| ds.iter().map(|&d| u.ndcg_at_10(f, d, &disc)).collect()).collect();
            (0..ds.len()).map(|k| per_user.iter().map(|p| p[k]).sum::<f64>() / n_cases).collect()
        };
        // The collaborative weight stays 1 (scores are scale-free); the others move relative to it.
        const GRID: [f32; 19] = [
            -8.0, -4.0, -2.0, -1.0, -0.5, -0.25, -0.1, -0.05, -0.02, 0.0, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0,
            8.0,
        ];
        let mut best = eval(&users, 0, &[0.0])[0];
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
                let tries: Vec<f32> = tries.into_iter().filter(|&g| g != *w).collect();
                let moves: Vec<f32> = tries.iter().map(|&g| g - *w).collect();
                for (g, v) in tries.into_iter().zip(eval(&users, f, &moves)) {
                    if v > best + 1e-9 {
                        best = v;
                        chosen = g;
                    }
                }
                let d = chosen - *w;
                if d != 0.0 {
                    users.iter_mut().for_each(|u| u.apply(f, d));
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

    /// The user's own items into `s.own` (and `s.own_slot`), in order of each item's newest
    /// event: count and recency (by position from the newest event), with two half-lives: a
    /// fixed one (the last session or basket) and a quarter of the user's history (long-run habits
    /// of heavy users); and, with `fold_in`, each item's summed confidence for the fold-in.
    fn own_items(&self, history: &[Event], s: &mut Scratch, fold_in: bool) {
        let hl = self.params.recency_half_life.max(1e-3);
        let hl_long = hl.max(history.len() as f32 / 4.0);
        let norm = length_norm(history.len(), self.mean_history, self.params.length_normalization);
        // 2^(−p/hl) by repeated multiplication, flushed to 0 before it turns subnormal (whose
        // arithmetic is a hundred times slower, and heavy histories reach it).
        let (step, step_long) = ((-std::f32::consts::LN_2 / hl).exp(), (-std::f32::consts::LN_2 / hl_long).exp());
        let (mut decay, mut decay_long) = (1.0f32, 1.0f32);
        for e in history.iter().rev() {
            let (d, d_long) = (decay, decay_long);
            decay = if decay * step < TINY { 0.0 } else { decay * step };
            decay_long = if decay_long * step_long < TINY { 0.0 } else { decay_long * step_long };
            let Some(slot) = s.own_slot.get_mut(e.item as usize) else { continue };
            if *slot == 0 {
                s.own.push((e.item, Own { first: e.timestamp, last: e.timestamp, ..Own::default() }, 0.0));
                *slot = s.own.len() as u32;
            }
            let (_, o, strength_sum) = &mut s.own[*slot as usize - 1];
            o.count += 1.0;
            o.recency += d;
            o.recency_long += d_long;
            o.first = o.first.min(e.timestamp);
            if fold_in && let Some(w) = self.item_weight.get(e.item as usize) {
                *strength_sum += strength(e, self.params.use_event_value) * w / norm;
            }
        }
        let now = history.last().map_or(0, |e| e.timestamp);
        for (_, o, _) in &mut s.own {
            o.log_count = o.count.ln_1p();
            o.due_now = o.due(now);
        }
    }

    /// The `k` own items (of `s.own`) with the best blended score over the own-history signals
    /// alone, which need no candidate list to normalise them.
    fn best_own(&self, s: &Scratch, scale: &OwnScale, user_repeat_share: f32, k: usize) -> Vec<u32> {
        // The weights of the own-history signals, in SIGNAL_NAMES order (as in `candidates_in`).
        let w = &self.weights;
        let scored = s
            .own
            .iter()
            .map(|&(i, o, _)| {
                let repeat = self.repeat_rate.get(i as usize).copied().unwrap_or(0.0);
                let score = w[1] * o.log_count / scale.count
                    + w[2] * o.recency / scale.recency
                    + w[5]
                    + w[7] * o.recency_long / scale.recency_long
                    + w[8] * o.due_now
                    + w[9] * repeat
                    + w[10] * user_repeat_share;
                (i, score)
            })
            .collect();
        top_n(scored, k).into_iter().map(|t| t.0).collect()
    }

    /// Candidate items for a history, with their signals (per-user normalised). `exact`: take
    /// the collaborative candidates by scoring every item even where an index exists.
    fn candidates(
        &self,
        history: &[Event],
        forced: Option<&[u32]>,
        exact: bool,
        trained_user: Option<u32>,
    ) -> Result<Candidates, RecommendError> {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.candidates_in(history, forced, exact, trained_user, &mut scratch),
            // Only if a candidate computation ever re-entered itself on this thread.
            Err(_) => self.candidates_in(history, forced, exact, trained_user, &mut Scratch::default()),
        })
    }

    fn candidates_in(
        &self,
        history: &[Event],
        forced: Option<&[u32]>,
        exact: bool,
        trained_user: Option<u32>,
        s: &mut Scratch,
    ) -> Result<Candidates, RecommendError> {
        let n_items = self.als.n_items();
        s.prepare(n_items);
        // A trained user's factors folded in at load stand in for the fold-in (and the
        // confidences it sums).
        let precomputed = trained_user.and_then(|u| self.serving.as_ref()?.user_vector(u));
        self.own_items(history, s, precomputed.is_none());
        let own_scale = OwnScale::of(s);
        // How much of this user's history is coming back to something they had before.
        let user_repeat_share = if history.is_empty() { 0.0 } else { 1.0 - s.own.len() as f32 / history.len() as f32 };
        // Served requests sum the packed rows prepared at load (strongest neighbours first, cut
        // to the serving parameters); exact scoring and offline evaluation the model's own.
        let packed = if exact { None } else { self.serving.as_ref() };
        let skip = |signal: usize| packed.is_some_and(|sv| sv.skips(signal));
        // Neighbours of the newest events.
        let recent_events = if skip(RECENT_NEIGHBORS) { 0 } else { self.params.recent_events };
        for (p, e) in history.iter().rev().take(recent_events).enumerate() {
            let decay = 0.8f32.powi(p as i32);
            for (j, v) in self.sims.cooccurrence(e.item) {
                s.recent.add(j, decay * v);
            }
        }
        // Neighbours of the whole history, undecayed (where order carries no signal).
        let history_items =
            if skip(HISTORY_NEIGHBORS) { 0 } else { packed.map_or(usize::MAX, |sv| sv.params.history_items) };
        for &(j, o, _) in s.own.iter().take(history_items) {
            let weight = o.log_count;
            match packed {
                Some(sv) => sv.sims.row(j).iter().for_each(|&(i, v)| s.whole.add(i, weight * v)),
                None => self.sims.cooccurrence(j).for_each(|(i, v)| s.whole.add(i, weight * v)),
            }
        }
        // Item-based neighbours of the newest distinct items (as many as the model counts per
        // user): the own list is in order of each item's newest event.
        let keep = self.params.knn.max_user_items.max(self.params.ease.max_user_items);
        let newest_distinct = s.own.iter().take(keep).map(|o| o.0);
        let knn_items = if skip(HISTORY_KNN) { 0 } else { packed.map_or(usize::MAX, |sv| sv.params.knn_user_items) };
        let knn_items = knn_items.min(self.params.knn.max_user_items);
        for j in newest_distinct.clone().take(knn_items) {
            match packed {
                Some(sv) => sv.knn.row(j).iter().for_each(|&(i, v)| s.knn.add(i, v)),
                None => self.knn.neighbors(j).for_each(|(i, v)| s.knn.add(i, v)),
            }
        }
        let ease_items = if skip(EASE) { 0 } else { packed.map_or(usize::MAX, |sv| sv.params.ease_user_items) };
        let ease_any = self.ease.scores_into(newest_distinct.take(ease_items), &mut s.ease);
        let x = match precomputed {
            Some(x) => x.to_vec(),
            None => {
                let hist: Vec<(u32, f32)> = s.own.iter().map(|&(i, _, w)| (i, w)).collect();
                if hist.is_empty() { vec![0.0; self.als.factors()] } else { self.als.fold_in(&hist)? }
            }
        };
        let mut items: Vec<u32> = match forced {
            Some(f) => {
                let mut c: Vec<u32> = f.iter().copied().filter(|&i| (i as usize) < n_items).collect();
                c.sort_unstable();
                c.dedup();
                c
            }
            None => {
                let mut c: Vec<u32> = Vec::new();
                match self.ann.as_ref().filter(|_| !exact) {
                    Some(index) => {
                        // Proposals best first; exact scores below re-rank them.
                        index.candidates(&x, &mut c);
                        c.truncate(self.params.candidates);
                    }
                    None => {
                        let mut all = std::mem::take(&mut s.all);
                        all.clear();
                        all.extend(
                            (0..n_items as u32)
                                .zip(self.als.item_factors().chunks_exact(self.als.factors()))
                                .map(|(i, y)| (i, super::kernels::dot(&x, y))),
                        );
                        let top = top_n(all, self.params.candidates);
                        c.extend(top.iter().map(|t| t.0));
                        s.all = top;
                    }
                }
                // Each item-to-item signal's best; a served request takes fewer of them.
                let per_signal = packed.map_or(self.params.candidates, |sv| sv.params.signal_candidates);
                match packed.map(|sv| sv.params.own_candidates).filter(|&k| k < s.own.len()) {
                    Some(k) => c.extend(self.best_own(s, &own_scale, user_repeat_share, k)),
                    None => c.extend(s.own.iter().map(|o| o.0)),
                }
                c.extend(s.recent.top(per_signal));
                c.extend(s.whole.top(per_signal));
                c.extend(s.knn.top(per_signal));
                if ease_any {
                    let covered = self.ease.covered();
                    let scored = covered.iter().copied().zip(s.ease.iter().copied()).collect();
                    c.extend(top_n(scored, per_signal).into_iter().map(|t| t.0));
                }
                c.extend(self.popular().iter().take(per_signal).copied());
                c.sort_unstable();
                c.dedup();
                c
            }
        };
        items.retain(|&i| (i as usize) < n_items);
        let cf: Vec<f32> = items.iter().map(|&i| self.als.score(&x, i)).collect();
        let ease_of = |i: u32| if ease_any { self.ease.column(i).map_or(0.0, |c| s.ease[c]) } else { 0.0 };
        let own_of = |i: u32| match s.own_slot[i as usize] {
            0 => Own::default(),
            slot => s.own[slot as usize - 1].1,
        };
        // A skipped signal is 0 for every item: its (stale) sums are not read.
        let signal = |on: bool, sums: &DenseSignal, i: u32| if on { sums.get(i) } else { 0.0 };
        let (recent_on, whole_on, knn_on) = (!skip(RECENT_NEIGHBORS), !skip(HISTORY_NEIGHBORS), !skip(HISTORY_KNN));
        let cf_max = max_abs(cf.iter().copied());
        let OwnScale { count: cnt_max, recency: rec_max, recency_long: long_max } = own_scale;
        let nb_max = max_abs(items.iter().map(|&i| signal(recent_on, &s.recent, i)));
        let wh_max = max_abs(items.iter().map(|&i| signal(whole_on, &s.whole, i)));
        let knn_max = max_abs(items.iter().map(|&i| signal(knn_on, &s.knn, i)));
        let ease_max = max_abs(items.iter().map(|&i| ease_of(i)));
        let log_popularity = &self.derived().log_popularity;
        let feats = items
            .iter()
            .zip(&cf)
            .map(|(&i, &c)| {
                let o = own_of(i);
                let (cnt, rec, long) = (o.count, o.recency, o.recency_long);
                [
                    c / cf_max,
                    o.log_count / cnt_max,
                    rec / rec_max,
                    signal(recent_on, &s.recent, i) / nb_max,
                    log_popularity.get(i as usize).copied().unwrap_or(0.0),
                    if cnt > 0.0 { 1.0 } else { 0.0 },
                    signal(whole_on, &s.whole, i) / wh_max,
                    long / long_max,
                    o.due_now,
                    if cnt > 0.0 { self.repeat_rate.get(i as usize).copied().unwrap_or(0.0) } else { 0.0 },
                    if cnt > 0.0 { user_repeat_share } else { 0.0 },
                    signal(knn_on, &s.knn, i) / knn_max,
                    ease_of(i) / ease_max,
                ]
            })
            .collect();
        s.finish();
        Ok((items, feats))
    }

    /// The blended score of every candidate.
    fn blended(
        &self,
        history: &[Event],
        forced: Option<&[u32]>,
        exact: bool,
        trained_user: Option<u32>,
    ) -> Result<Vec<Scored>, RecommendError> {
        let (items, feats) = self.candidates(history, forced, exact, trained_user)?;
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
            let scored: Vec<Scored> = self
                .blended(history, None, options.exact, options.trained_user)?
                .into_iter()
                .filter(|&(i, _)| allow(i))
                .collect();
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

    /// Replaces the exploration weight (clamped to 0–1) and the item age cutoff (seconds, at
    /// least 1) where given; see [`super::TrainedModel::set_exploration`].
    pub fn set_exploration(&mut self, weight: Option<f32>, item_age_cutoff_secs: Option<i64>) {
        if let Some(w) = weight.filter(|w| w.is_finite()) {
            self.params.exploration_weight = w.clamp(0.0, 1.0);
        }
        if let Some(secs) = item_age_cutoff_secs {
            self.params.exploration_item_age_cutoff = secs.max(1);
        }
    }

    /// Give up to ⌈w·n/2⌉ evenly spaced slots to new, little-seen items matching the user's
    /// taste. The first slot stays the model's best (one result is never an exploration pick),
    /// and an exploration item carries the score of the item before it, so scores never rise
    /// down the list.
    fn explore(
        &self,
        base: Vec<Scored>,
        history: &[Event],
        n: usize,
        w: f32,
        now: i64,
        allow: &dyn Fn(u32) -> bool,
    ) -> Vec<Scored> {
        let slots = ((w * n as f32) / 2.0).ceil() as usize;
        let slots = slots.min(n.saturating_sub(1));
        if slots == 0 {
            return base;
        }
        let cutoff = self.params.exploration_item_age_cutoff;
        let recent: Vec<u32> = history.iter().rev().take(10).map(|e| e.item).collect();
        // The mean metadata similarity to the recent items, through per-token weights: thousands
        // of new items may be eligible, and this costs one lookup per token of each.
        let (mut weights, mut set) =
            SCRATCH.with(|cell| cell.try_borrow_mut().map(|mut s| std::mem::take(&mut s.tokens)).unwrap_or_default());
        self.sims.anchor_token_weights(&recent, &mut weights, &mut set);
        // The best `slots` not already in the list: at most all of `base` is among the best
        // `slots + base.len()`, so those are enough (and checking `base` for thousands of
        // items is not).
        let mut best = Best::new(slots + base.len(), Vec::new());
        // Newest first, so those within the age cutoff are a prefix.
        let derived = self.derived();
        let within = derived.explorable.partition_point(|&(born, _)| now.saturating_sub(born) <= cutoff);
        for (k, &(born, i)) in derived.explorable.iter().take(within).enumerate() {
            if !allow(i) {
                continue;
            }
            let range = derived.explorable_offsets.get(k..k + 2).unwrap_or(&[0, 0]);
            let tokens = derived.explorable_tokens.get(range[0]..range[1]).unwrap_or(&[]);
            // Newer first among equals.
            best.push(i, SimilarItems::token_affinity(&weights, tokens) + 1e-9 * born as f32);
        }
        for &t in &set {
            if let Some(w) = weights.get_mut(t as usize) {
                *w = 0.0;
            }
        }
        set.clear();
        SCRATCH.with(|cell| {
            if let Ok(mut s) = cell.try_borrow_mut() {
                s.tokens = (weights, set);
            }
        });
        let mut fresh = best.into_sorted();
        fresh.retain(|f| !base.iter().any(|b| b.0 == f.0));
        fresh.truncate(slots);
        if fresh.is_empty() {
            return base;
        }
        // Exploration takes k evenly spaced positions of 1..n (never 0): ⌊(j+1)·n/(k+1)⌋.
        let k = fresh.len();
        let explore_at: Vec<usize> = (0..k).map(|j| (j + 1) * n / (k + 1)).collect();
        let mut out: Vec<Scored> = Vec::with_capacity(n);
        let mut b = base.into_iter();
        let mut f = fresh.into_iter();
        for pos in 0..n {
            let pick = if explore_at.contains(&pos) {
                f.next().map(|s| (s, true)).or_else(|| b.next().map(|s| (s, false)))
            } else {
                b.next().map(|s| (s, false)).or_else(|| f.next().map(|s| (s, true)))
            };
            match pick {
                Some(((item, score), fresh)) => {
                    let score = match out.last() {
                        Some(&(_, before)) if fresh => before,
                        _ => score,
                    };
                    out.push((item, score));
                }
                None => break,
            }
        }
        out
    }

    /// PERSONALIZED_RANKING: `items` re-ranked for a user with `history`. Items the model does not
    /// know keep their input order after the known ones.
    pub fn rank(&self, history: &[Event], items: &[u32]) -> Result<Vec<Scored>, RecommendError> {
        let scored = if history.is_empty() {
            items.iter().map(|&i| (i, self.derived().log_popularity.get(i as usize).copied().unwrap_or(0.0))).collect()
        } else {
            self.blended(history, Some(items), true, None)?
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

/// One validation user of the blend search: the candidates' signals column by column, whether
/// each candidate is relevant, the ideal DCG, and the scores under the current weights.
struct BlendUser {
    columns: Vec<Vec<f32>>,
    hit: Vec<bool>,
    ideal: f64,
    scores: Vec<f32>,
    /// Per column, the candidates where it is not 0, when they are few (the own-item signals): a
    /// trial of that column re-scores only them.
    nonzero: Vec<Option<Vec<u32>>>,
    /// Per column, its largest absolute value.
    bound: Vec<f32>,
    /// Candidates by current score, best first (ties: lower index first).
    order: Vec<u32>,
}

impl BlendUser {
    fn new(columns: Vec<Vec<f32>>, hit: Vec<bool>, ideal: f64, scores: Vec<f32>) -> Self {
        let nonzero = columns
            .iter()
            .map(|col| {
                let nz: Vec<u32> = (0..col.len() as u32).filter(|&j| col[j as usize] != 0.0).collect();
                (nz.len() * 4 <= col.len()).then_some(nz)
            })
            .collect();
        let bound = columns.iter().map(|col| col.iter().fold(0.0f32, |m, x| m.max(x.abs()))).collect();
        let order = (0..scores.len() as u32).collect();
        let mut user = Self { columns, hit, ideal, scores, nonzero, bound, order };
        user.sort();
        user
    }

    /// Moves signal `f`'s weight by `d` for good.
    fn apply(&mut self, f: usize, d: f32) {
        self.scores.iter_mut().zip(&self.columns[f]).for_each(|(s, x)| *s += d * x);
        self.sort();
    }

    fn sort(&mut self) {
        let s = &self.scores;
        // `+ 0.0` makes −0 equal to 0, as the comparisons in `ndcg_at_10` see them.
        self.order.sort_unstable_by(|&a, &b| (s[b as usize] + 0.0).total_cmp(&(s[a as usize] + 0.0)).then(a.cmp(&b)));
    }

    /// NDCG@10 with signal `f`'s weight moved by `d` (`disc`: the discounts of ranks 1..=10). The
    /// same as scoring every candidate and taking the 10 best (by score, then lower index), with
    /// less work: see the two cases.
    fn ndcg_at_10(&self, f: usize, d: f32, disc: &[f64]) -> f64 {
        // The 10 best by (score descending, index ascending).
        let mut top: Vec<(f32, usize)> = Vec::with_capacity(11);
        let offer = |top: &mut Vec<(f32, usize)>, v: f32, j: usize| {
            let ahead = |t: &(f32, usize)| v > t.0 || (v == t.0 && j < t.1);
            if top.len() < 10 || top.last().is_some_and(ahead) {
                let at = top.iter().position(ahead).unwrap_or(top.len());
                top.insert(at, (v, j));
                top.truncate(10);
            }
        };
        let col = &self.columns[f];
        match &self.nonzero[f] {
            // Only the column's few non-zero candidates move: the others keep their
            // order, so the best 10 of those are the first 10 of `order`.
            Some(nz) => {
                for &j in self.order.iter().filter(|&&j| col[j as usize] == 0.0).take(10) {
                    offer(&mut top, self.scores[j as usize], j as usize);
                }
                for &j in nz {
                    offer(&mut top, self.scores[j as usize] + d * col[j as usize], j as usize);
                }
            }
            // In order of the current score: a candidate moves by at most |d|·bound, so
            // once the current score plus that is below the 10th best, none after it
            // can enter.
            None => {
                let reach = d.abs() * self.bound[f];
                for &j in &self.order {
                    let s = self.scores[j as usize];
                    if top.len() == 10 && s + reach < top[9].0 {
                        break;
                    }
                    offer(&mut top, s + d * col[j as usize], j as usize);
                }
            }
        }
        let dcg: f64 = top.iter().enumerate().filter(|(_, t)| self.hit[t.1]).map(|(r, _)| disc[r]).sum();
        dcg / self.ideal
    }
}

thread_local! {
    /// Work areas of [`UserPersonalization::candidates`], one per thread, reused by every request.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Dense per-item work areas for one candidate computation. A heavy user's neighbourhoods touch
/// tens of thousands of items; adding into arrays indexed by item (and resetting only what was
/// touched) costs a fraction of hashing each addition, and nothing is allocated once the arrays
/// have grown to the catalog.
#[derive(Debug, Default)]
struct Scratch {
    /// Per item: 1 + its place in `own`, 0 when the user never had it.
    own_slot: Vec<u32>,
    /// The user's items in order of their newest event: what the history says about each, and
    /// its summed confidence for the fold-in.
    own: Vec<(u32, Own, f32)>,
    recent: DenseSignal,
    whole: DenseSignal,
    knn: DenseSignal,
    /// EASE scores by column.
    ease: Vec<f32>,
    /// Every item's collaborative score (exact scoring).
    all: Vec<Scored>,
    /// Exploration's per-token weights (zero between requests) and the tokens set.
    tokens: (Vec<f32>, Vec<u32>),
}

impl Scratch {
    /// Sizes the arrays for `n_items` and clears what an interrupted computation left.
    fn prepare(&mut self, n_items: usize) {
        if self.own_slot.len() < n_items {
            self.own_slot.resize(n_items, 0);
        }
        for signal in [&mut self.recent, &mut self.whole, &mut self.knn] {
            signal.clear();
            signal.grow(n_items);
        }
        self.finish();
    }

    /// Resets what this computation touched.
    fn finish(&mut self) {
        for &(i, _, _) in &self.own {
            if let Some(slot) = self.own_slot.get_mut(i as usize) {
                *slot = 0;
            }
        }
        self.own.clear();
        self.recent.clear();
        self.whole.clear();
        self.knn.clear();
    }
}

/// The largest |value| (at least 1e-12, so it can divide): each signal's per-user scale.
fn max_abs(values: impl Iterator<Item = f32>) -> f32 {
    values.fold(0.0f32, |m, a| m.max(a.abs())).max(1e-12)
}

/// The scales of the own-history signals over the user's items, which the candidate list does
/// not change: computed once per request, for choosing the own candidates and for the features.
#[derive(Clone, Copy, Debug)]
struct OwnScale {
    count: f32,
    recency: f32,
    recency_long: f32,
}

impl OwnScale {
    fn of(s: &Scratch) -> Self {
        Self {
            count: max_abs(s.own.iter().map(|o| o.1.log_count)),
            recency: max_abs(s.own.iter().map(|o| o.1.recency)),
            recency_long: max_abs(s.own.iter().map(|o| o.1.recency_long)),
        }
    }
}

/// A signal summed per item: per item its value and the computation that last wrote it (a
/// value from an older one reads as 0), and the items written in this one, in order (an item can
/// sum to 0 and still be among them). Value and stamp sit side by side, so an addition touches
/// one cache line, and clearing is a new stamp rather than a pass over the items.
#[derive(Debug, Default)]
struct DenseSignal {
    slots: Vec<(f32, u32)>,
    /// The current computation's stamp (≥ 1 once cleared; slots start at 0).
    stamp: u32,
    touched: Vec<u32>,
}

impl DenseSignal {
    fn grow(&mut self, n: usize) {
        self.stamp = self.stamp.max(1);
        if self.slots.len() < n {
            self.slots.resize(n, (0.0, 0));
        }
    }

    fn add(&mut self, i: u32, v: f32) {
        if let Some(slot) = self.slots.get_mut(i as usize) {
            if slot.1 == self.stamp {
                slot.0 += v;
            } else {
                *slot = (v, self.stamp);
                self.touched.push(i);
            }
        }
    }

    /// The item's value; 0 where it has none.
    fn get(&self, i: u32) -> f32 {
        match self.slots.get(i as usize) {
            Some(&(v, stamp)) if stamp == self.stamp => v,
            _ => 0.0,
        }
    }

    /// The `n` items with the largest values.
    fn top(&self, n: usize) -> impl Iterator<Item = u32> + use<> {
        let mut best = Best::new(n, Vec::new());
        self.touched.iter().for_each(|&i| best.push(i, self.get(i)));
        best.into_sorted().into_iter().map(|t| t.0)
    }

    fn clear(&mut self) {
        self.touched.clear();
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            // Once in 2³² computations: old stamps could read as current.
            self.slots.iter_mut().for_each(|s| *s = (0.0, 0));
            self.stamp = 1;
        }
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
    /// `ln(1 + count)` and [`Own::due`] at the user's newest event, once the history is read
    /// (0 for items the user never had, as the formulas give).
    log_count: f32,
    due_now: f32,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// NDCG@10 the plain way: score every candidate, take the 10 best (ties: lower index).
    fn scan(u: &BlendUser, f: usize, d: f32, disc: &[f64]) -> f64 {
        let mut v: Vec<(f32, usize)> =
            u.scores.iter().zip(&u.columns[f]).enumerate().map(|(j, (&s, &x))| (s + d * x, j)).collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        v.iter().take(10).enumerate().filter(|(_, t)| u.hit[t.1]).map(|(r, _)| disc[r]).sum::<f64>() / u.ideal
    }

    #[test]
    fn the_blend_search_scores_like_a_full_scan() {
        let disc: Vec<f64> = (1..=10).map(|r| 1.0 / ((r + 1) as f64).log2()).collect();
        let mut rng = SplitMix64::new(7);
        let weights = [1.0f32, -2.0, 0.5, 0.25];
        for trial in 0..40 {
            let n = 20 + trial * 7;
            // A dense column, a sparse one (a few own items), a coarse one with many ties, and a
            // column of zeros.
            let dense: Vec<f32> = (0..n).map(|_| rng.next_f64() as f32).collect();
            let sparse: Vec<f32> = (0..n).map(|j| if j % 9 == 0 { rng.next_f64() as f32 } else { 0.0 }).collect();
            let coarse: Vec<f32> = (0..n).map(|_| (rng.next_f64() * 3.0).floor() as f32 / 2.0).collect();
            let zeros = vec![0.0f32; n];
            let columns = vec![dense, sparse, coarse, zeros];
            let scores: Vec<f32> = (0..n).map(|j| columns.iter().zip(&weights).map(|(c, w)| c[j] * w).sum()).collect();
            let hit: Vec<bool> = (0..n).map(|_| rng.next_f64() < 0.1).collect();
            let ideal: f64 = disc.iter().take(hit.iter().filter(|&&h| h).count().max(1)).sum();
            let mut u = BlendUser::new(columns, hit, ideal, scores);
            assert!(u.nonzero[1].is_some() && u.nonzero[0].is_none());
            for f in 0..4 {
                for d in [-8.0, -1.0, -0.5, -0.02, 0.0, 0.05, 0.5, 1.0, 4.0] {
                    assert_eq!(u.ndcg_at_10(f, d, &disc), scan(&u, f, d, &disc), "trial {trial}, column {f}, move {d}");
                }
            }
            // After a weight moves for good, the order follows.
            u.apply(1, -1.5);
            u.apply(2, 0.75);
            for f in 0..4 {
                for d in [-4.0, 0.1, 2.0] {
                    assert_eq!(u.ndcg_at_10(f, d, &disc), scan(&u, f, d, &disc), "trial {trial}, column {f}, move {d}");
                }
            }
        }
    }
}
