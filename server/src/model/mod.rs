//! The model being served: loading a version from storage (every file checked against its
//! manifest), what it is, and the handle requests read it through.

pub mod chart;
mod forecasts;
pub mod location;
mod recommender;

use std::sync::Arc;

use arc_swap::ArcSwapOption;
use seer_api::FilterSpec;
use seer_api::artifact::{ArtifactKind, ArtifactManifest, CATALOG_FILE, FILTERS_FILE, HISTORY_FILE, SolutionCatalog};
use seer_models::recommend::{AnnParams, ServingParams, TrainedModel};
use seer_storage::{ObjectStore, S3Settings, artifacts};

pub use forecasts::{FORECASTS_FILE, ForecastIndex, ForecastQuery, parse_instant, parse_request_instant};
pub use location::parse_model_uri;
pub use recommender::{DEFAULT_RESULTS, FilterRequest, MAX_RESULTS, Recommender};

use crate::errors::ApiError;

/// One loaded version.
#[derive(Debug)]
pub struct Model {
    pub manifest: ArtifactManifest,
    pub body: ModelBody,
    /// A Predictor's recent history per series (`history.csv`, one column `value`), for charts.
    pub history: Option<ForecastIndex>,
}

/// What a version answers.
#[derive(Debug)]
pub enum ModelBody {
    /// A Predictor: its forecast export.
    Forecast(ForecastIndex),
    /// A Solution: its recipe.
    Recommend(Box<Recommender>),
}

impl Model {
    /// The version's name (`v3`), as the response header gives it.
    pub fn version(&self) -> &str {
        &self.manifest.version
    }

    /// `<namespace>/<kind>/<name>`, for messages.
    pub fn resource(&self) -> String {
        format!("{}/{}/{}", self.manifest.namespace, self.manifest.kind, self.manifest.name)
    }

    /// The forecasts, or a clear error when this is a Solution.
    pub fn forecasts(&self) -> Result<&ForecastIndex, ApiError> {
        match &self.body {
            ModelBody::Forecast(f) => Ok(f),
            ModelBody::Recommend(_) => Err(ApiError::wrong_model(format!(
                "this server serves the Solution {}: forecasts come from a server of a Predictor",
                self.resource()
            ))),
        }
    }

    /// The recommender, or a clear error when this is a Predictor.
    pub fn recommender(&self) -> Result<&Recommender, ApiError> {
        match &self.body {
            ModelBody::Recommend(r) => Ok(r),
            ModelBody::Forecast(_) => Err(ApiError::wrong_model(format!(
                "this server serves the Predictor {}: recommendations, ranking, similar items and events \
                 need a server of a Solution",
                self.resource()
            ))),
        }
    }
}

/// Reads `uri` (a version folder, or a resource folder meaning its `latest`), checks every
/// file against the manifest and builds the model. `filters` are the Solution's named filters.
pub async fn load(uri: &str, filters: &[(String, String)]) -> Result<Model, String> {
    load_with(uri, filters, &LoadOptions::default()).await
}

/// How a loaded Solution is prepared for serving.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// When and how its items are indexed for approximate candidates.
    pub ann: AnnParams,
    /// What serving may approximate beyond the index (see [`ServingParams::min_recall`]).
    pub serving: ServingParams,
    /// Exploration weight instead of the trained one.
    pub exploration_weight: Option<f32>,
    /// Exploration's item age cutoff, in days, instead of the trained one.
    pub exploration_item_age_cutoff_days: Option<u32>,
}

/// [`load`], with `options` saying when and how a Solution's items are indexed for
/// approximate candidates (built here, off the async threads; the time it took is logged) and
/// which exploration settings replace the trained ones.
pub async fn load_with(uri: &str, filters: &[(String, String)], options: &LoadOptions) -> Result<Model, String> {
    let (location, version) = parse_model_uri(uri)?;
    let store = ObjectStore::connect(&S3Settings::from_env()).await;
    let version = match version {
        Some(v) => v,
        None => artifacts::latest_version(&store, &location)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{}: no `latest` pointer; give a version folder", location.resource_uri()))?,
    };
    let loaded = artifacts::load(&store, &location, &version).await.map_err(|e| e.to_string())?;
    let at = location.version_uri(&version);
    let body = match loaded.manifest.kind {
        ArtifactKind::Predictor => {
            if !filters.is_empty() {
                return Err("--filter applies to Solutions; this is a Predictor".into());
            }
            let csv = loaded.files.get(FORECASTS_FILE).ok_or_else(|| format!("{at}: no {FORECASTS_FILE}"))?;
            ModelBody::Forecast(ForecastIndex::parse(csv).map_err(|e| format!("{at}/{e}"))?)
        }
        ArtifactKind::Solution => {
            let files: Vec<(&String, &Vec<u8>)> = loaded.files.iter().collect();
            let mut trained = TrainedModel::load(&files).map_err(|e| format!("{at}: {e}"))?;
            let cutoff = options.exploration_item_age_cutoff_days.map(|d| i64::from(d) * 86_400);
            if (options.exploration_weight.is_some() || cutoff.is_some())
                && trained.set_exploration(options.exploration_weight, cutoff)
            {
                eprintln!(
                    "seer-server: exploration weight {}, item age cutoff {} (the Campaign's, not the trained ones)",
                    options.exploration_weight.map_or("as trained".to_string(), |w| w.to_string()),
                    options.exploration_item_age_cutoff_days.map_or("as trained".to_string(), |d| format!("{d} days")),
                );
            }
            let (ann, serving) = (options.ann.clone(), options.serving.clone());
            let trained = tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                let saved = trained.item_index_lists();
                if trained.index_items(&ann) {
                    let lists = trained.item_index_lists().unwrap_or(0);
                    let how = if saved == Some(lists) {
                        "with the index saved at training".to_string()
                    } else {
                        format!("indexed in {:.1} s", started.elapsed().as_secs_f64())
                    };
                    eprintln!(
                        "seer-server: {} items for approximate candidates (IVF, {lists} lists, {} probes), {how}",
                        trained.items().len(),
                        ann.probes,
                    );
                }
                let started = std::time::Instant::now();
                let users = trained.prepare_serving(&serving);
                if users > 0 {
                    let skipped = trained.skipped_signals();
                    eprintln!(
                        "seer-server: folded in {users} trained users for serving in {:.1} s; requests skip {}",
                        started.elapsed().as_secs_f64(),
                        if skipped.is_empty() {
                            "no signal".to_string()
                        } else {
                            format!(
                                "the signals {} (the served top 10 keeps at least {} of exact scoring's on a sample of trained users)",
                                skipped.join(", "),
                                serving.min_recall
                            )
                        }
                    );
                }
                trained
            })
            .await
            .map_err(|e| format!("{at}: indexing the items failed: {e}"))?;
            // The Solution's own filters and catalog, when the trainer wrote them; `--filter`
            // flags add to (and override by name) the Solution's filters.
            let mut all: Vec<(String, String)> = match loaded.files.get(FILTERS_FILE) {
                Some(bytes) => serde_json::from_slice::<Vec<FilterSpec>>(bytes)
                    .map_err(|e| format!("{at}/{FILTERS_FILE}: {e}"))?
                    .into_iter()
                    .filter(|f| !filters.iter().any(|(name, _)| *name == f.name))
                    .map(|f| (f.name, f.expression))
                    .collect(),
                None => Vec::new(),
            };
            all.extend(filters.iter().cloned());
            let catalog = match loaded.files.get(CATALOG_FILE) {
                Some(bytes) => {
                    serde_json::from_slice::<SolutionCatalog>(bytes).map_err(|e| format!("{at}/{CATALOG_FILE}: {e}"))?
                }
                None => SolutionCatalog::default(),
            };
            ModelBody::Recommend(Box::new(Recommender::new(trained, &all, &catalog).map_err(|e| format!("{at}: {e}"))?))
        }
    };
    let history = match loaded.files.get(HISTORY_FILE) {
        Some(csv) => Some(ForecastIndex::parse(csv).map_err(|e| format!("{at}/{HISTORY_FILE}: {e}"))?),
        None => None,
    };
    Ok(Model { manifest: loaded.manifest, body, history })
}

/// The model requests read: one atomic load per request, no lock. Empty while loading; a
/// later hot swap stores a new version and requests in flight finish on the old one.
#[derive(Debug, Default)]
pub struct ModelHandle(ArcSwapOption<Model>);

impl ModelHandle {
    /// The current model, if loaded.
    pub fn current(&self) -> Option<Arc<Model>> {
        self.0.load_full()
    }

    /// Serves `model` from now on.
    pub fn store(&self, model: Model) {
        self.0.store(Some(Arc::new(model)));
    }
}
