//! Saving and loading trained recommenders: bytes in, bytes out (the trainer writes the files,
//! the inference server reads them; nothing here touches a disk).
//!
//! # Format, version 2
//!
//! A saved model is two files, both written by [`TrainedModel::save`] and both needed by
//! [`TrainedModel::load`]:
//!
//! - `model.json`: a small JSON header,
//!   ```json
//!   {
//!     "format": "seer-recommend-model",
//!     "formatVersion": 2,
//!     "recipe": "USER_PERSONALIZATION",
//!     "tensorsFile": "tensors.safetensors",
//!     "items": ["ITEM_ID of index 0", "..."],
//!     "users": ["USER_ID of index 0", "..."],
//!     "eventTypes": ["", "purchase", "..."],
//!     "model": { "kind": "userPersonalization", "parameters": {...}, "blendWeights": {...}, ... }
//!   }
//!   ```
//!   `recipe` is the Solution's recipe (`USER_PERSONALIZATION`, `PERSONALIZED_RANKING`,
//!   `SIMILAR_ITEMS`, `SIMS`, `POPULARITY_COUNT`, `TRENDING_NOW`). `items`, `users` and
//!   `eventTypes` are the id maps: the position in the list is the dense index every tensor uses.
//!   `users` and `eventTypes` are empty for recipes that do not serve users. `model` depends on
//!   `kind`:
//!   - `userPersonalization` (USER_PERSONALIZATION, PERSONALIZED_RANKING): `parameters` (every
//!     [`PersonalizationParams`] field, camelCase, ALS and SIMS parameters nested), `blendWeights`
//!     (signal name → weight, one entry per name in [`SIGNAL_NAMES`]), `validationNdcgAt10`,
//!     `now` (the newest training timestamp), `maxLogPopularity` and `meanHistory` (mean events
//!     per user, for the length normalisation of the ALS confidence);
//!   - `similarItems` (SIMILAR_ITEMS, SIMS): `parameters` ([`SimsParams`]);
//!   - `popularity` (POPULARITY_COUNT): nothing more;
//!   - `trending` (TRENDING_NOW): `window` and `now` (timestamp units).
//!
//!   A reader checks `format` and `formatVersion` before anything else; a version it does not know
//!   is an error, never a guess. Fields are added only with a new version.
//! - `tensors.safetensors`: the arrays, in the [safetensors](https://github.com/huggingface/safetensors)
//!   layout (little-endian), with `n_items`/`n_users` the lengths of the id maps, `k` the ALS
//!   factors:
//!
//!   | tensor | dtype | shape | recipe kinds |
//!   |---|---|---|---|
//!   | `als.user_factors` | F32 | `[n_users, k]` | userPersonalization |
//!   | `als.item_factors` | F32 | `[n_items, k]` | userPersonalization |
//!   | `sims.neighbors.offsets` | U64 | `[n_items + 1]` | userPersonalization, similarItems |
//!   | `sims.neighbors.items` | U32 | `[nnz]` (ascending within an item) | 〃 |
//!   | `sims.neighbors.scores` | F32 | `[nnz]` | 〃 |
//!   | `sims.counts` | F32 | `[n_items]` (training events per item) | 〃 |
//!   | `sims.tokens.offsets` | U64 | `[n_items + 1]` | 〃 |
//!   | `sims.tokens.ids` | U32 | `[n_item_tokens]` (ascending within an item) | 〃 |
//!   | `sims.idf` | F32 | `[n_tokens]` (IDF of each attribute value) | 〃 |
//!   | `knn.neighbors.offsets`, `.items`, `.scores` | U64, U32, F32 | as `sims.neighbors.*` (item-based neighbours of whole histories) | userPersonalization |
//!   | `ease.items` | U32 | `[m]` (ascending: the items EASE covers) | userPersonalization |
//!   | `ease.weights` | F32 | `[m, m]` (row: history item, column: scored item, both as in `ease.items`) | userPersonalization |
//!   | `popularity.counts` | F32 | `[n_items]` | userPersonalization, popularity |
//!   | `trending.scores` | F32 | `[n_items]` (−∞: no recent event) | userPersonalization, trending |
//!   | `personalization.item_born` | I64 | `[n_items]` (first event or creation; `i64::MIN`: unknown) | userPersonalization |
//!   | `personalization.repeat_rate` | F32 | `[n_items]` | userPersonalization |
//!   | `personalization.item_weight` | F32 | `[n_items]` (ALS confidence weight of the item's events) | userPersonalization |
//!   | `history.offsets` | U64 | `[n_users + 1]` (user `u`'s events are `offsets[u]..offsets[u+1]`) | userPersonalization |
//!   | `history.items` | U32 | `[n_events]` | 〃 |
//!   | `history.timestamps` | I64 | `[n_events]` | 〃 |
//!   | `history.event_types` | U32 | `[n_events]` | 〃 |
//!   | `history.values` | F32 | `[n_events]` (NaN: no `EVENT_VALUE`) | 〃 |
//!   | `ann.centroids` | F32 | `[lists, k + 1]` (the item index's k-means centroids, augmented coordinate last; see [`super::ann`]) | userPersonalization, when indexed |
//!   | `ann.lists` | U32 | `[n_items]` (each item's list; `u32::MAX`: not indexed) | 〃 |
//!
//!   The history is the training events, oldest first per user: the server needs them to fold a
//!   known user in (and for `Interactions.` filters). The `ann.*` pair is there when the trainer
//!   indexed the items (catalogs above [`super::AnnParams::min_items`]), so that a server loading
//!   the model skips the k-means (seconds for tens of thousands of items, about a minute for a
//!   million); version 1 is version 2 without it, and is read too (the server then builds the
//!   index). Derived arrays (the ALS Gram matrix, the
//!   attribute postings) are recomputed on load, so a file cannot hold them inconsistent.
//!
//! Everything is checked on load: dtypes, shapes against the id maps and parameters, offsets
//! (monotone, ending at the array length), indices (in range). A problem is a
//! [`ModelFileError`] that names the file and what is wrong.

use std::collections::BTreeMap;

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors, View};
use seer_api::solution::Recipe;
use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::RecommendError;
use super::als::Als;
use super::ann::MipsIndex;
use super::data::{Dataset, Event, IdMap};
use super::ease::{Ease, EaseParams};
use super::knn::ItemKnn;
use super::personalization::{PersonalizationParams, SIGNAL_NAMES, SIGNALS, UserPersonalization};
use super::popularity::{Popularity, Trending};
use super::recipe::RecipeModel;
use super::sims::{SimilarItems, SimsParams, postings};

/// `format` in the header.
pub const FORMAT: &str = "seer-recommend-model";
/// The version this code writes. It reads this one and version 1 (the same without the item
/// index's tensors).
pub const FORMAT_VERSION: u32 = 2;
/// Name of the JSON header file.
pub const HEADER_FILE: &str = "model.json";
/// Name of the tensors file.
pub const TENSORS_FILE: &str = "tensors.safetensors";

/// A saved model that cannot be read (or written): which file, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("model file {file}: {problem}")]
pub struct ModelFileError {
    /// The file name (`model.json` or `tensors.safetensors`).
    pub file: String,
    /// What is wrong.
    pub problem: String,
}

fn header_err(problem: impl Into<String>) -> ModelFileError {
    ModelFileError { file: HEADER_FILE.into(), problem: problem.into() }
}

fn tensors_err(problem: impl Into<String>) -> ModelFileError {
    ModelFileError { file: TENSORS_FILE.into(), problem: problem.into() }
}

impl RecipeModel {
    fn serves(&self, recipe: Recipe) -> bool {
        matches!(
            (self, recipe),
            (Self::UserPersonalization(_), Recipe::UserPersonalization | Recipe::PersonalizedRanking)
                | (Self::SimilarItems(_), Recipe::SimilarItems | Recipe::Sims)
                | (Self::Popularity(_), Recipe::PopularityCount)
                | (Self::Trending(_), Recipe::TrendingNow)
        )
    }

    fn n_items(&self) -> usize {
        match self {
            Self::UserPersonalization(m) => m.als.n_items(),
            Self::SimilarItems(m) => m.counts.len(),
            Self::Popularity(m) => m.counts.len(),
            Self::Trending(m) => m.scores.len(),
        }
    }
}

/// Training events per user (dense indices), oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histories {
    offsets: Vec<usize>,
    events: Vec<Event>,
}

impl Histories {
    /// Every user's events of `ds`.
    pub fn from_dataset(ds: &Dataset) -> Self {
        let mut offsets = Vec::with_capacity(ds.n_users() + 1);
        offsets.push(0);
        for u in 0..ds.n_users() as u32 {
            offsets.push(ds.user_range(u).end);
        }
        Self { offsets, events: ds.events().to_vec() }
    }

    /// Events of user `u` (empty for an unknown index).
    pub fn user(&self, u: u32) -> &[Event] {
        let u = u as usize;
        match (self.offsets.get(u), self.offsets.get(u + 1)) {
            (Some(&a), Some(&b)) => self.events.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// All events, by user.
    pub fn events(&self) -> &[Event] {
        &self.events
    }
}

/// A trained recipe with what the server needs around it: the id maps and, for the recipes that
/// serve users, their training histories. Saved and loaded as described in the module doc.
#[derive(Clone, Debug)]
pub struct TrainedModel {
    recipe: Recipe,
    model: RecipeModel,
    items: IdMap,
    users: IdMap,
    event_types: IdMap,
    histories: Histories,
}

impl TrainedModel {
    /// Wrap `model`, fitted on `ds`, for `recipe`.
    pub fn new(recipe: Recipe, model: RecipeModel, ds: &Dataset) -> Result<Self, RecommendError> {
        if !model.serves(recipe) {
            return Err(RecommendError::InvalidParameter {
                name: "recipe",
                reason: format!("{recipe:?} is not served by this kind of model"),
            });
        }
        if model.n_items() != ds.n_items() {
            return Err(RecommendError::InvalidParameter {
                name: "dataset",
                reason: format!("the model has {} items, the dataset {}", model.n_items(), ds.n_items()),
            });
        }
        let personal = matches!(model, RecipeModel::UserPersonalization(_));
        Ok(Self {
            recipe,
            items: ds.items().clone(),
            users: if personal { ds.users().clone() } else { IdMap::default() },
            event_types: if personal { ds.event_types().clone() } else { IdMap::default() },
            histories: if personal { Histories::from_dataset(ds) } else { Histories::default() },
            model,
        })
    }

    /// The recipe.
    pub fn recipe(&self) -> Recipe {
        self.recipe
    }
    /// The fitted model.
    pub fn model(&self) -> &RecipeModel {
        &self.model
    }
    /// Item ids.
    pub fn items(&self) -> &IdMap {
        &self.items
    }
    /// User ids (empty for item-only recipes).
    pub fn users(&self) -> &IdMap {
        &self.users
    }
    /// Event types (empty for item-only recipes).
    pub fn event_types(&self) -> &IdMap {
        &self.event_types
    }
    /// Training histories (empty for item-only recipes).
    pub fn histories(&self) -> &Histories {
        &self.histories
    }

    /// Index the items for approximate collaborative candidates where the recipe has item factors
    /// and the catalog is large (see [`super::UserPersonalization::index_items`]; an index saved
    /// with the model is kept). Returns whether the model has an index.
    pub fn index_items(&mut self, params: &super::AnnParams) -> bool {
        match &mut self.model {
            RecipeModel::UserPersonalization(m) => m.index_items(params),
            _ => false,
        }
    }

    /// The item index's lists, when the model has one (built by [`Self::index_items`], or saved
    /// with the model and loaded with it).
    pub fn item_index_lists(&self) -> Option<usize> {
        match &self.model {
            RecipeModel::UserPersonalization(m) => m.item_index().map(MipsIndex::lists),
            _ => None,
        }
    }

    /// Replaces the trained exploration settings where given (a Campaign's `spec.exploration`):
    /// the weight (0–1, clamped) and the age in seconds past which new items are no longer
    /// explored. Only USER_PERSONALIZATION explores; returns whether the model took them.
    pub fn set_exploration(&mut self, weight: Option<f32>, item_age_cutoff_secs: Option<i64>) -> bool {
        match &mut self.model {
            RecipeModel::UserPersonalization(m) => {
                m.set_exploration(weight, item_age_cutoff_secs);
                true
            }
            _ => false,
        }
    }

    /// Precompute what serving the trained users needs that does not depend on the request (see
    /// [`super::UserPersonalization::prepare_serving`]); nothing for other recipes. Returns the
    /// number of users prepared.
    pub fn prepare_serving(&mut self, params: &super::ServingParams) -> usize {
        let histories = &self.histories;
        let n_users = self.users.len();
        match &mut self.model {
            RecipeModel::UserPersonalization(m) => {
                m.prepare_serving(params, n_users, |u| histories.user(u));
                m.prepared_users()
            }
            _ => 0,
        }
    }

    /// The blend signals served requests skip (see [`super::ServingParams::min_recall`]); none
    /// for recipes without a blend.
    pub fn skipped_signals(&self) -> Vec<&'static str> {
        match &self.model {
            RecipeModel::UserPersonalization(m) => m.skipped_signals(),
            _ => Vec::new(),
        }
    }

    /// The files of this model: `(name, bytes)`, header first.
    pub fn save(&self) -> Result<Vec<(String, Vec<u8>)>, ModelFileError> {
        let mut t = Tensors::default();
        let model = match &self.model {
            RecipeModel::UserPersonalization(m) => {
                let k = m.als.factors();
                t.f32("als.user_factors", vec![m.als.n_users(), k], m.als.user_factors());
                t.f32("als.item_factors", vec![m.als.n_items(), k], m.als.item_factors());
                put_sims(&mut t, &m.sims);
                put_neighbors(&mut t, "knn.neighbors", &m.knn.neighbors);
                t.u32("ease.items", &m.ease.items);
                t.f32("ease.weights", vec![m.ease.items.len(), m.ease.items.len()], &m.ease.weights);
                t.f32("popularity.counts", vec![m.popularity.counts.len()], &m.popularity.counts);
                t.f32("trending.scores", vec![m.trending.scores.len()], &m.trending.scores);
                let born: Vec<i64> = m.item_born.iter().map(|b| b.unwrap_or(i64::MIN)).collect();
                t.i64("personalization.item_born", &born);
                t.f32("personalization.repeat_rate", vec![m.repeat_rate.len()], &m.repeat_rate);
                t.f32("personalization.item_weight", vec![m.item_weight.len()], &m.item_weight);
                let h = &self.histories;
                t.u64("history.offsets", &h.offsets);
                let items: Vec<u32> = h.events.iter().map(|e| e.item).collect();
                t.u32("history.items", &items);
                let ts: Vec<i64> = h.events.iter().map(|e| e.timestamp).collect();
                t.i64("history.timestamps", &ts);
                let et: Vec<u32> = h.events.iter().map(|e| e.event_type).collect();
                t.u32("history.event_types", &et);
                let values: Vec<f32> = h.events.iter().map(|e| e.value.unwrap_or(f32::NAN)).collect();
                t.f32("history.values", vec![values.len()], &values);
                if let Some(index) = m.ann.as_ref().filter(|ix| !ix.is_empty()) {
                    let (centroids, lists) = index.parts();
                    t.f32("ann.centroids", vec![index.lists(), k + 1], centroids);
                    t.u32("ann.lists", &lists);
                }
                ModelHeader::UserPersonalization {
                    parameters: Box::new(m.params.clone()),
                    blend_weights: SIGNAL_NAMES.iter().map(|n| n.to_string()).zip(m.weights).collect(),
                    validation_ndcg_at10: m.validation_ndcg,
                    now: m.now,
                    max_log_popularity: m.max_log_pop,
                    mean_history: m.mean_history,
                }
            }
            RecipeModel::SimilarItems(m) => {
                put_sims(&mut t, m);
                ModelHeader::SimilarItems { parameters: m.params.clone() }
            }
            RecipeModel::Popularity(m) => {
                t.f32("popularity.counts", vec![m.counts.len()], &m.counts);
                ModelHeader::Popularity {}
            }
            RecipeModel::Trending(m) => {
                t.f32("trending.scores", vec![m.scores.len()], &m.scores);
                ModelHeader::Trending { window: m.window, now: m.now }
            }
        };
        let header = Header {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            recipe: self.recipe,
            tensors_file: TENSORS_FILE.into(),
            items: self.items.names().to_vec(),
            users: self.users.names().to_vec(),
            event_types: self.event_types.names().to_vec(),
            model,
        };
        let json = serde_json::to_vec_pretty(&header).map_err(|e| header_err(format!("cannot write: {e}")))?;
        let tensors = safetensors::serialize(t.0.iter().map(|(n, t)| (n.as_str(), t)), None)
            .map_err(|e| tensors_err(format!("cannot write: {e}")))?;
        Ok(vec![(HEADER_FILE.into(), json), (TENSORS_FILE.into(), tensors)])
    }

    /// Read a model from the files [`TrainedModel::save`] wrote (by name; other files are
    /// ignored).
    pub fn load<N: AsRef<str>, B: AsRef<[u8]>>(files: &[(N, B)]) -> Result<Self, ModelFileError> {
        let find = |name: &str| {
            files
                .iter()
                .find(|(n, _)| n.as_ref() == name)
                .map(|(_, b)| b.as_ref())
                .ok_or_else(|| ModelFileError { file: name.into(), problem: "missing".into() })
        };
        let raw: serde_json::Value =
            serde_json::from_slice(find(HEADER_FILE)?).map_err(|e| header_err(format!("not valid JSON: {e}")))?;
        match raw.get("format").and_then(|v| v.as_str()) {
            Some(FORMAT) => {}
            Some(other) => return Err(header_err(format!("format is {other:?}, expected {FORMAT:?}"))),
            None => return Err(header_err(format!("no \"format\" field (expected {FORMAT:?})"))),
        }
        match raw.get("formatVersion").and_then(|v| v.as_u64()) {
            Some(v) if (1..=FORMAT_VERSION as u64).contains(&v) => {}
            Some(v) => {
                return Err(header_err(format!(
                    "format version {v} is not supported (this build reads versions 1 to {FORMAT_VERSION})"
                )));
            }
            None => return Err(header_err("no numeric \"formatVersion\" field")),
        }
        let header: Header = serde_json::from_value(raw).map_err(|e| header_err(format!("invalid header: {e}")))?;
        let bytes = find(&header.tensors_file)?;
        let file_err = |problem: String| ModelFileError { file: header.tensors_file.clone(), problem };
        let st = SafeTensors::deserialize(bytes).map_err(|e| file_err(format!("not a valid safetensors file: {e}")))?;
        let r = Reader { st: &st, file: &header.tensors_file };
        let items = IdMap::from_names(header.items).map_err(|e| header_err(format!("items: {e}")))?;
        let users = IdMap::from_names(header.users).map_err(|e| header_err(format!("users: {e}")))?;
        let event_types = IdMap::from_names(header.event_types).map_err(|e| header_err(format!("eventTypes: {e}")))?;
        let n_items = items.len();
        let kind_matches = matches!(
            (&header.model, header.recipe),
            (ModelHeader::UserPersonalization { .. }, Recipe::UserPersonalization | Recipe::PersonalizedRanking)
                | (ModelHeader::SimilarItems { .. }, Recipe::SimilarItems | Recipe::Sims)
                | (ModelHeader::Popularity {}, Recipe::PopularityCount)
                | (ModelHeader::Trending { .. }, Recipe::TrendingNow)
        );
        if !kind_matches {
            return Err(header_err(format!("recipe {:?} does not match the model kind", header.recipe)));
        }
        let mut histories = Histories::default();
        let model = match header.model {
            ModelHeader::UserPersonalization {
                parameters,
                blend_weights,
                validation_ndcg_at10,
                now,
                max_log_popularity,
                mean_history,
            } => {
                let mut weights = [0f32; SIGNALS];
                for (w, name) in weights.iter_mut().zip(SIGNAL_NAMES) {
                    *w = *blend_weights.get(name).ok_or_else(|| header_err(format!("blendWeights has no {name:?}")))?;
                }
                if let Some(extra) = blend_weights.keys().find(|k| !SIGNAL_NAMES.contains(&k.as_str())) {
                    return Err(header_err(format!("blendWeights has an unknown signal {extra:?}")));
                }
                let k = parameters.als.factors;
                if k == 0 {
                    return Err(header_err("parameters.als.factors is 0"));
                }
                let n_users = users.len();
                let user_factors = r.f32("als.user_factors", &[n_users, k])?;
                let item_factors = r.f32("als.item_factors", &[n_items, k])?;
                let als = Als::from_factors(&parameters.als, user_factors, item_factors);
                let sims = read_sims(&r, n_items, parameters.sims.clone())?;
                let ease = read_ease(&r, n_items, parameters.ease.clone())?;
                let knn = ItemKnn {
                    neighbors: read_neighbors(&r, "knn.neighbors", n_items)?,
                    params: parameters.knn.clone(),
                };
                let popularity = Popularity { counts: r.f32("popularity.counts", &[n_items])? };
                let trending =
                    Trending { scores: r.f32("trending.scores", &[n_items])?, window: parameters.trend_window, now };
                let item_born = r
                    .i64("personalization.item_born", Some(n_items))?
                    .into_iter()
                    .map(|b| if b == i64::MIN { None } else { Some(b) })
                    .collect();
                let repeat_rate = r.f32("personalization.repeat_rate", &[n_items])?;
                let item_weight = r.f32("personalization.item_weight", &[n_items])?;
                histories = read_histories(&r, n_users, n_items, event_types.len())?;
                let ann = read_index(&r, als.item_factors(), k)?;
                RecipeModel::UserPersonalization(Box::new(UserPersonalization {
                    params: *parameters,
                    als,
                    sims,
                    knn,
                    ease,
                    popularity,
                    trending,
                    weights,
                    validation_ndcg: validation_ndcg_at10,
                    item_born,
                    now,
                    max_log_pop: max_log_popularity,
                    repeat_rate,
                    item_weight,
                    mean_history,
                    ann,
                    derived: std::sync::OnceLock::new(),
                    serving: None,
                }))
            }
            ModelHeader::SimilarItems { parameters } => {
                RecipeModel::SimilarItems(Box::new(read_sims(&r, n_items, parameters)?))
            }
            ModelHeader::Popularity {} => {
                RecipeModel::Popularity(Popularity { counts: r.f32("popularity.counts", &[n_items])? })
            }
            ModelHeader::Trending { window, now } => {
                RecipeModel::Trending(Trending { scores: r.f32("trending.scores", &[n_items])?, window, now })
            }
        };
        Ok(Self { recipe: header.recipe, model, items, users, event_types, histories })
    }
}

/// The JSON header.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Header {
    format: String,
    format_version: u32,
    recipe: Recipe,
    tensors_file: String,
    items: Vec<String>,
    users: Vec<String>,
    event_types: Vec<String>,
    model: ModelHeader,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
enum ModelHeader {
    UserPersonalization {
        parameters: Box<PersonalizationParams>,
        blend_weights: BTreeMap<String, f32>,
        #[serde(rename = "validationNdcgAt10")]
        validation_ndcg_at10: f64,
        now: i64,
        max_log_popularity: f32,
        mean_history: f32,
    },
    SimilarItems {
        parameters: SimsParams,
    },
    Popularity {},
    Trending {
        window: i64,
        now: i64,
    },
}

/// One array to write.
struct Tensor {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Tensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// The arrays of one model, by name.
#[derive(Default)]
struct Tensors(Vec<(String, Tensor)>);

impl Tensors {
    fn put(&mut self, name: &str, dtype: Dtype, shape: Vec<usize>, data: Vec<u8>) {
        self.0.push((name.to_string(), Tensor { dtype, shape, data }));
    }
    fn f32(&mut self, name: &str, shape: Vec<usize>, v: &[f32]) {
        self.put(name, Dtype::F32, shape, v.iter().flat_map(|x| x.to_le_bytes()).collect());
    }
    fn u32(&mut self, name: &str, v: &[u32]) {
        self.put(name, Dtype::U32, vec![v.len()], v.iter().flat_map(|x| x.to_le_bytes()).collect());
    }
    fn u64(&mut self, name: &str, v: &[usize]) {
        self.put(name, Dtype::U64, vec![v.len()], v.iter().flat_map(|&x| (x as u64).to_le_bytes()).collect());
    }
    fn i64(&mut self, name: &str, v: &[i64]) {
        self.put(name, Dtype::I64, vec![v.len()], v.iter().flat_map(|x| x.to_le_bytes()).collect());
    }
}

/// An items × items neighbour matrix as `<prefix>.offsets`, `.items` and `.scores`.
fn put_neighbors(t: &mut Tensors, prefix: &str, m: &CsMat<f32>) {
    let indptr = m.proper_indptr();
    t.u64(&format!("{prefix}.offsets"), &indptr);
    let idx: Vec<u32> = m.indices().iter().map(|&j| j as u32).collect();
    t.u32(&format!("{prefix}.items"), &idx);
    t.f32(&format!("{prefix}.scores"), vec![m.data().len()], m.data());
}

fn read_neighbors(r: &Reader<'_>, prefix: &str, n_items: usize) -> Result<CsMat<f32>, ModelFileError> {
    let idx = r.u32(&format!("{prefix}.items"), None)?;
    let nnz = idx.len();
    let scores = r.f32_1d(&format!("{prefix}.scores"), Some(nnz))?;
    let offsets = r.offsets(&format!("{prefix}.offsets"), n_items, nnz)?;
    let idx: Vec<usize> = idx.into_iter().map(|j| j as usize).collect();
    CsMat::try_new((n_items, n_items), offsets, idx, scores)
        .map_err(|(_, _, _, e)| r.err(format!("{prefix} is not a valid sparse matrix: {e}")))
}

fn put_sims(t: &mut Tensors, m: &SimilarItems) {
    let n = m.counts.len();
    put_neighbors(t, "sims.neighbors", &m.neighbors);
    t.f32("sims.counts", vec![n], &m.counts);
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    let mut ids = Vec::new();
    for toks in &m.item_tokens {
        ids.extend_from_slice(toks);
        offsets.push(ids.len());
    }
    t.u64("sims.tokens.offsets", &offsets);
    t.u32("sims.tokens.ids", &ids);
    t.f32("sims.idf", vec![m.idf.len()], &m.idf);
}

/// Typed, shape-checked reads from the tensors file.
struct Reader<'a> {
    st: &'a SafeTensors<'a>,
    file: &'a str,
}

impl Reader<'_> {
    fn err(&self, problem: String) -> ModelFileError {
        ModelFileError { file: self.file.to_string(), problem }
    }

    /// The bytes of `name`, checking its dtype and (where given) its shape.
    fn view(&self, name: &str, dtype: Dtype, shape: Option<&[usize]>) -> Result<TensorView<'_>, ModelFileError> {
        let v = self.st.tensor(name).map_err(|_| self.err(format!("tensor {name} is missing")))?;
        if v.dtype() != dtype {
            return Err(self.err(format!("tensor {name} is {:?}, expected {dtype:?}", v.dtype())));
        }
        match shape {
            Some(s) if v.shape() != s => {
                Err(self.err(format!("tensor {name} has shape {:?}, expected {s:?}", v.shape())))
            }
            None if v.shape().len() != 1 => {
                Err(self.err(format!("tensor {name} has shape {:?}, expected one dimension", v.shape())))
            }
            _ => Ok(v),
        }
    }

    fn f32(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelFileError> {
        let v = self.view(name, Dtype::F32, Some(shape))?;
        Ok(v.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// A one-dimensional F32 tensor of `len` values, or of any length.
    fn f32_1d(&self, name: &str, len: Option<usize>) -> Result<Vec<f32>, ModelFileError> {
        let v = self.view(name, Dtype::F32, len.map(|l| [l]).as_ref().map(|s| s.as_slice()))?;
        Ok(v.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    fn u32(&self, name: &str, len: Option<usize>) -> Result<Vec<u32>, ModelFileError> {
        let v = self.view(name, Dtype::U32, len.map(|l| [l]).as_ref().map(|s| s.as_slice()))?;
        Ok(v.data().chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    fn i64(&self, name: &str, len: Option<usize>) -> Result<Vec<i64>, ModelFileError> {
        let v = self.view(name, Dtype::I64, len.map(|l| [l]).as_ref().map(|s| s.as_slice()))?;
        Ok(v.data()
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect())
    }

    /// Offsets of `rows` rows into an array of `len`: `rows + 1` values, from 0, never
    /// decreasing, ending at `len`.
    fn offsets(&self, name: &str, rows: usize, len: usize) -> Result<Vec<usize>, ModelFileError> {
        let v = self.view(name, Dtype::U64, Some(&[rows + 1]))?;
        let out: Vec<usize> = v
            .data()
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as usize)
            .collect();
        let ok = out.first() == Some(&0) && out.windows(2).all(|w| w[0] <= w[1]) && out.last() == Some(&len);
        if !ok {
            return Err(
                self.err(format!("tensor {name} is not a list of offsets from 0 to {len} that never decreases"))
            );
        }
        Ok(out)
    }
}

/// The item index the trainer saved (`ann.centroids`, `ann.lists`), if it saved one; searched
/// with the default settings until the server sets its own.
fn read_index(r: &Reader<'_>, item_factors: &[f32], k: usize) -> Result<Option<MipsIndex>, ModelFileError> {
    let lists = match r.st.tensor("ann.centroids") {
        Ok(v) => v.shape().first().copied().unwrap_or(0),
        Err(_) if r.st.tensor("ann.lists").is_err() => return Ok(None),
        // Only one of the pair: the read below names the missing tensor.
        Err(_) => 0,
    };
    let centroids = r.f32("ann.centroids", &[lists, k + 1])?;
    let list_of_item = r.u32("ann.lists", Some(item_factors.len() / k.max(1)))?;
    MipsIndex::from_parts(item_factors, k, centroids, &list_of_item, &super::AnnParams::default())
        .map(Some)
        .map_err(|e| r.err(format!("the item index (ann.centroids, ann.lists) does not fit the item factors: {e}")))
}

fn read_sims(r: &Reader<'_>, n_items: usize, params: SimsParams) -> Result<SimilarItems, ModelFileError> {
    let neighbors = read_neighbors(r, "sims.neighbors", n_items)?;
    let counts = r.f32("sims.counts", &[n_items])?;
    let ids = r.u32("sims.tokens.ids", None)?;
    let tok_offsets = r.offsets("sims.tokens.offsets", n_items, ids.len())?;
    let idf = r.f32_1d("sims.idf", None)?;
    if let Some(bad) = ids.iter().find(|&&t| t as usize >= idf.len()) {
        return Err(r.err(format!("sims.tokens.ids holds {bad}, but sims.idf has {} tokens", idf.len())));
    }
    let item_tokens: Vec<Vec<u32>> = tok_offsets.windows(2).map(|w| ids[w[0]..w[1]].to_vec()).collect();
    let postings = postings(&item_tokens, idf.len());
    Ok(SimilarItems { neighbors, counts, item_tokens, postings, idf, kappa: params.metadata_prior_events, params })
}

fn read_ease(r: &Reader<'_>, n_items: usize, params: EaseParams) -> Result<Ease, ModelFileError> {
    let items = r.u32("ease.items", None)?;
    let m = items.len();
    if items.windows(2).any(|w| w[0] >= w[1]) || items.last().is_some_and(|&i| i as usize >= n_items) {
        return Err(r.err(format!("ease.items must be ascending item indices below {n_items}")));
    }
    let weights = r.f32("ease.weights", &[m, m])?;
    let mut column = vec![u32::MAX; n_items];
    for (c, &i) in items.iter().enumerate() {
        column[i as usize] = c as u32;
    }
    Ok(Ease { items, column, weights, params })
}

fn read_histories(
    r: &Reader<'_>,
    n_users: usize,
    n_items: usize,
    n_event_types: usize,
) -> Result<Histories, ModelFileError> {
    let items = r.u32("history.items", None)?;
    let n = items.len();
    let timestamps = r.i64("history.timestamps", Some(n))?;
    let event_types = r.u32("history.event_types", Some(n))?;
    let values = r.f32_1d("history.values", Some(n))?;
    let offsets = r.offsets("history.offsets", n_users, n)?;
    if let Some(bad) = items.iter().find(|&&i| i as usize >= n_items) {
        return Err(r.err(format!("history.items holds item {bad}, but there are {n_items} items")));
    }
    if let Some(bad) = event_types.iter().find(|&&t| t as usize >= n_event_types) {
        return Err(r.err(format!("history.event_types holds {bad}, but there are {n_event_types} event types")));
    }
    let mut events = Vec::with_capacity(n);
    for (u, w) in offsets.windows(2).enumerate() {
        for k in w[0]..w[1] {
            events.push(Event {
                user: u as u32,
                item: items[k],
                timestamp: timestamps[k],
                event_type: event_types[k],
                value: if values[k].is_nan() { None } else { Some(values[k]) },
            });
        }
    }
    Ok(Histories { offsets, events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::personalization::RequestOptions;
    use crate::recommend::rng::SplitMix64;
    use crate::recommend::{AnnParams, DatasetBuilder, SimsParams};

    /// Four clusters of 12 items with attributes, 120 users with 10 events each (two event types,
    /// play counts as values), and one item without events.
    fn dataset() -> Dataset {
        let mut b = DatasetBuilder::new();
        let mut rng = SplitMix64::new(7);
        for c in 0..4 {
            for k in 0..12 {
                let id = format!("i{c}_{k}");
                b.set_item_attribute(&id, "GENRE", &format!("G{c}")).unwrap();
                b.set_item_attribute(&id, "BRAND", &format!("B{}", k % 3)).unwrap();
            }
        }
        b.add_item("lonely").unwrap();
        for u in 0..120 {
            let c = u % 4;
            for t in 0..10 {
                let k = rng.below(12);
                let kind = if t % 3 == 0 { "purchase" } else { "click" };
                let value = if t % 4 == 0 { None } else { Some((1 + rng.below(40)) as f32) };
                b.add_event(&format!("u{u}"), &format!("i{c}_{k}"), (u * 100 + t) as i64, Some(kind), value).unwrap();
            }
        }
        b.build()
    }

    fn personalization(ds: &Dataset) -> UserPersonalization {
        let mut p = PersonalizationParams::default();
        p.als.factors = 6;
        p.als.iterations = 5;
        p.max_validation_users = 40;
        p.use_event_value = true;
        p.idf_exponent = 1.0;
        p.length_normalization = 0.8;
        UserPersonalization::fit(ds, &p).unwrap()
    }

    fn saved(ds: &Dataset) -> Vec<(String, Vec<u8>)> {
        let m = personalization(ds);
        TrainedModel::new(Recipe::UserPersonalization, RecipeModel::UserPersonalization(Box::new(m)), ds)
            .unwrap()
            .save()
            .unwrap()
    }

    fn file<'a>(files: &'a mut [(String, Vec<u8>)], name: &str) -> &'a mut Vec<u8> {
        &mut files.iter_mut().find(|f| f.0 == name).unwrap().1
    }

    fn edit_header(files: &mut [(String, Vec<u8>)], edit: impl FnOnce(&mut serde_json::Value)) {
        let h = file(files, HEADER_FILE);
        let mut v: serde_json::Value = serde_json::from_slice(h).unwrap();
        edit(&mut v);
        *h = serde_json::to_vec(&v).unwrap();
    }

    fn load_err(files: &[(String, Vec<u8>)]) -> ModelFileError {
        TrainedModel::load(files).expect_err("load should fail")
    }

    #[test]
    fn user_personalization_round_trip_gives_identical_recommendations() {
        let ds = dataset();
        let original = personalization(&ds);
        let trained = TrainedModel::new(
            Recipe::PersonalizedRanking,
            RecipeModel::UserPersonalization(Box::new(original.clone())),
            &ds,
        )
        .unwrap();
        let files = trained.save().unwrap();
        assert_eq!(files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), [HEADER_FILE, TENSORS_FILE]);
        let loaded = TrainedModel::load(&files).unwrap();
        assert_eq!(loaded.recipe(), Recipe::PersonalizedRanking);
        assert_eq!(loaded.items().names(), ds.items().names());
        assert_eq!(loaded.users().names(), ds.users().names());
        assert_eq!(loaded.event_types().names(), ds.event_types().names());
        assert_eq!(loaded.histories(), trained.histories());
        let RecipeModel::UserPersonalization(m) = loaded.model() else { panic!("wrong kind") };
        assert_eq!(m.weights(), original.weights());
        assert_eq!(m.validation_ndcg(), original.validation_ndcg());
        let opts = RequestOptions { exploration_weight: Some(0.3), ..RequestOptions::default() };
        for u in 0..ds.n_users() as u32 {
            let h = loaded.histories().user(u);
            assert_eq!(h, ds.user_events(u));
            let a = original.recommend(h, 20, &opts, |_| true).unwrap();
            let b = m.recommend(h, 20, &opts, |_| true).unwrap();
            assert_eq!(a, b, "user {u}");
            let list: Vec<u32> = (0..ds.n_items() as u32).step_by(3).collect();
            assert_eq!(original.rank(h, &list).unwrap(), m.rank(h, &list).unwrap());
        }
        assert_eq!(
            original.recommend(&[], 10, &opts, |_| true).unwrap(),
            m.recommend(&[], 10, &opts, |_| true).unwrap()
        );
        for i in 0..ds.n_items() as u32 {
            assert_eq!(original.similar_items().similar(i, 10, |_| true), m.similar_items().similar(i, 10, |_| true));
        }
        // Saving the loaded model gives the same bytes.
        assert_eq!(loaded.save().unwrap(), files);
    }

    #[test]
    fn item_recipes_round_trip() {
        let ds = dataset();
        let sims = SimilarItems::fit(&ds, &SimsParams::default()).unwrap();
        let files = TrainedModel::new(Recipe::Sims, RecipeModel::SimilarItems(Box::new(sims.clone())), &ds)
            .unwrap()
            .save()
            .unwrap();
        let loaded = TrainedModel::load(&files).unwrap();
        assert!(loaded.users().is_empty() && loaded.histories().events().is_empty());
        let RecipeModel::SimilarItems(m) = loaded.model() else { panic!("wrong kind") };
        for i in 0..ds.n_items() as u32 {
            assert_eq!(sims.similar(i, 10, |_| true), m.similar(i, 10, |_| true));
        }
        let pop = Popularity::fit(&ds).unwrap();
        let files = TrainedModel::new(Recipe::PopularityCount, RecipeModel::Popularity(pop.clone()), &ds)
            .unwrap()
            .save()
            .unwrap();
        let RecipeModel::Popularity(m) = TrainedModel::load(&files).unwrap().model else { panic!("wrong kind") };
        assert_eq!(pop.recommend(10, |_| true), m.recommend(10, |_| true));
        let trend = Trending::fit(&ds, 500, None).unwrap();
        let files =
            TrainedModel::new(Recipe::TrendingNow, RecipeModel::Trending(trend.clone()), &ds).unwrap().save().unwrap();
        let RecipeModel::Trending(m) = TrainedModel::load(&files).unwrap().model else { panic!("wrong kind") };
        assert_eq!(trend.recommend(10, |_| true), m.recommend(10, |_| true));
        assert_eq!((m.window, m.now), (trend.window, trend.now));
        // A recipe that the model does not serve.
        assert!(TrainedModel::new(Recipe::UserPersonalization, RecipeModel::Popularity(pop), &ds).is_err());
    }

    #[test]
    fn truncated_or_corrupt_files_name_the_file() {
        let ds = dataset();
        let files = saved(&ds);
        // Truncated tensors.
        let mut f = files.clone();
        let t = file(&mut f, TENSORS_FILE);
        t.truncate(t.len() / 2);
        let e = load_err(&f);
        assert_eq!(e.file, TENSORS_FILE);
        assert!(e.problem.contains("not a valid safetensors file"), "{e}");
        // A few bytes only.
        let mut f = files.clone();
        file(&mut f, TENSORS_FILE).truncate(5);
        assert_eq!(load_err(&f).file, TENSORS_FILE);
        // Truncated header.
        let mut f = files.clone();
        let h = file(&mut f, HEADER_FILE);
        h.truncate(h.len() / 2);
        let e = load_err(&f);
        assert_eq!(e.file, HEADER_FILE);
        assert!(e.problem.contains("not valid JSON"), "{e}");
        // A missing file.
        let e = load_err(&files[..1]);
        assert_eq!((e.file.as_str(), e.problem.as_str()), (TENSORS_FILE, "missing"));
        // A user more in the header than rows of user factors.
        let mut f = files.clone();
        edit_header(&mut f, |v| v["users"].as_array_mut().unwrap().push("extra".into()));
        let e = load_err(&f);
        assert_eq!(e.file, TENSORS_FILE);
        assert!(e.problem.contains("als.user_factors"), "{e}");
        // A corrupt header field.
        let mut f = files.clone();
        edit_header(&mut f, |v| {
            v["model"]["blendWeights"].as_object_mut().unwrap().remove("popularity").map(|_| ()).unwrap()
        });
        let e = load_err(&f);
        assert_eq!(e.file, HEADER_FILE);
        assert!(e.problem.contains("popularity"), "{e}");
        // Duplicate ids.
        let mut f = files.clone();
        edit_header(&mut f, |v| {
            let first = v["items"][0].clone();
            v["items"][1] = first;
        });
        assert!(load_err(&f).problem.contains("appears twice"));
    }

    #[test]
    fn the_item_index_is_saved_and_loaded_with_the_model() {
        let ds = dataset();
        let mut trained = TrainedModel::new(
            Recipe::UserPersonalization,
            RecipeModel::UserPersonalization(Box::new(personalization(&ds))),
            &ds,
        )
        .unwrap();
        let plain = trained.save().unwrap();
        let params = AnnParams { min_items: 0, lists: 5, ..AnnParams::default() };
        assert!(trained.index_items(&params));
        assert_eq!(trained.item_index_lists(), Some(5));
        let files = trained.save().unwrap();
        let mut loaded = TrainedModel::load(&files).unwrap();
        assert_eq!(loaded.item_index_lists(), Some(5), "loaded with its index");
        let (RecipeModel::UserPersonalization(a), RecipeModel::UserPersonalization(b)) =
            (trained.model(), loaded.model())
        else {
            panic!("wrong kind")
        };
        let (ia, ib) = (a.item_index().unwrap(), b.item_index().unwrap());
        assert_eq!(ia.parts(), ib.parts());
        for u in 0..ds.n_users() as u32 {
            let x = a.als.user_factor(u);
            let (mut ca, mut cb) = (Vec::new(), Vec::new());
            ia.with_search(&params).candidates(x, &mut ca);
            ib.with_search(&params).candidates(x, &mut cb);
            assert_eq!(ca, cb, "user {u}");
        }
        // The server's settings: the saved lists are kept (lists 0: any), another number rebuilds.
        assert!(loaded.index_items(&AnnParams { min_items: 0, probes: 2, ..AnnParams::default() }));
        assert_eq!(loaded.item_index_lists(), Some(5));
        assert!(loaded.index_items(&AnnParams { min_items: 0, lists: 3, ..AnnParams::default() }));
        assert_eq!(loaded.item_index_lists(), Some(3));
        // A model saved without an index (version 1, or a small catalog) loads without one.
        let mut v1 = plain.clone();
        edit_header(&mut v1, |v| v["formatVersion"] = 1.into());
        assert_eq!(TrainedModel::load(&v1).unwrap().item_index_lists(), None);
        assert_eq!(TrainedModel::load(&plain).unwrap().item_index_lists(), None);
        // An index that does not fit the factors is refused with what is wrong.
        let RecipeModel::UserPersonalization(m) = trained.model() else { panic!("wrong kind") };
        let mut t = Tensors::default();
        let (centroids, mut lists) = m.item_index().unwrap().parts();
        lists[0] = 9;
        t.f32("ann.centroids", vec![5, m.als.factors() + 1], centroids);
        t.u32("ann.lists", &lists);
        let st_bytes = safetensors::serialize(t.0.iter().map(|(n, t)| (n.as_str(), t)), None).unwrap();
        let st = SafeTensors::deserialize(&st_bytes).unwrap();
        let r = Reader { st: &st, file: TENSORS_FILE };
        let e = read_index(&r, m.als.item_factors(), m.als.factors()).unwrap_err();
        assert_eq!(e.file, TENSORS_FILE);
        assert!(e.problem.contains("item 0 is in list 9, of 5"), "{e}");
    }

    #[test]
    fn wrong_format_or_version_is_refused() {
        let ds = dataset();
        let mut f = saved(&ds);
        edit_header(&mut f, |v| v["formatVersion"] = 3.into());
        let e = load_err(&f);
        assert_eq!(e.file, HEADER_FILE);
        assert!(e.problem.contains("format version 3 is not supported"), "{e}");
        let mut f = saved(&ds);
        edit_header(&mut f, |v| v["format"] = "something-else".into());
        assert!(load_err(&f).problem.contains("something-else"));
        let mut f = saved(&ds);
        edit_header(&mut f, |v| v["recipe"] = "TRENDING_NOW".into());
        assert!(load_err(&f).problem.contains("does not match"));
    }

    #[test]
    fn mismatched_shapes_are_reported() {
        let ds = dataset();
        let files = saved(&ds);
        // One item fewer in the header than rows in the tensors.
        let mut f = files.clone();
        edit_header(&mut f, |v| {
            v["items"].as_array_mut().unwrap().pop();
        });
        let e = load_err(&f);
        assert_eq!(e.file, TENSORS_FILE);
        let n = ds.n_items();
        assert!(e.problem.contains(&format!("expected [{}, 6]", n - 1)), "{e}");
        // Factors that do not match the parameters.
        let mut f = files.clone();
        edit_header(&mut f, |v| v["model"]["parameters"]["als"]["factors"] = 8.into());
        let e = load_err(&f);
        assert!(e.problem.contains("als.user_factors has shape") && e.problem.contains(", 8]"), "{e}");
        // A tensor of the wrong type.
        let mut t = Tensors::default();
        let st = SafeTensors::deserialize(&files[1].1).unwrap();
        for (name, view) in st.tensors() {
            let (dtype, data) = if name == "popularity.counts" {
                (Dtype::I32, view.data().to_vec())
            } else {
                (view.dtype(), view.data().to_vec())
            };
            t.put(&name, dtype, view.shape().to_vec(), data);
        }
        let mut f = files.clone();
        *file(&mut f, TENSORS_FILE) = safetensors::serialize(t.0.iter().map(|(n, t)| (n.as_str(), t)), None).unwrap();
        let e = load_err(&f);
        assert!(e.problem.contains("popularity.counts is I32, expected F32"), "{e}");
    }
}
