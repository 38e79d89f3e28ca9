//! `seer-trainer train` for a Predictor: ingest the target time series, featurize it onto the
//! forecast frequency, backtest the algorithms, choose (AUTO: a per-item weighted ensemble),
//! forecast the horizon after the data, and write the versioned artifact — `model.json`,
//! `metrics.json`, `forecasts/forecasts.csv`, and `manifest.json` last.
//!
//! The global algorithm (`BOOSTED_TREES`, alone or in AUTO) also reads the related time
//! series and the item metadata ([`crate::covariates`]) and learns one model across all
//! items: once per backtest window ([`backtest_global`]) and once for the final forecast
//! ([`global_forecasts`]).
//!
//! The parts are shared with sharded training ([`crate::sharded`]): [`Plan`] (what the
//! Predictor asks for), [`target_series`], [`backtest_items`], [`backtest_global`] and
//! [`assemble`] (the backtest), [`score`] (AUTO's choice and `metrics.json`),
//! [`global_forecasts`] and [`write_version`].
//!
//! Every core is used: the backtest and the final forecasts run item by item on rayon's
//! pool ([`backtest_items`], [`train`], and the shards' candidate forecasts); the global
//! model's trees are fitted in parallel inside `seer-models`.

use std::{collections::BTreeMap, fmt::Write as _};

use rayon::prelude::*;
use seer_api::{
    DatasetGroup, DatasetType, ForecastAlgorithm, Predictor,
    artifact::{ArtifactKind, ArtifactManifest, HISTORY_FILE, METRICS_FILE},
    metrics::{ForecastMetrics, VelocityMetrics},
};
use seer_models::forecast::{
    Algorithm, AutoConfig, AutoModel, BacktestConfig, BacktestReport, Covariates, Forecast, ForecastSpec,
    MetricAccumulator, Series,
    auto::OptimizationMetric,
    backtest,
    backtest::{ItemBacktest, Velocity, evaluation_of, fill_global, velocity_classes},
    global,
};
use seer_storage::{
    ObjectStore, ObjectUri,
    artifacts::{ArtifactLocation, ArtifactWriter},
};
use serde::Serialize;

use crate::{
    TrainerError,
    backtest_export::{self, BacktestExport, ExportInput},
    covariates::read_covariates,
    featurize::{ItemKey, ItemSeries, TargetCollector, TargetFilling},
    forecast_csv::{column_name, csv_number, forecast_value, key_fields, key_header},
    forecast_export::ExportTarget,
    frequency::{Frequency, Grid},
    ingest::{self, Cell, Role},
    progress::{self, Progress},
};

/// Where and under which name a version is written.
pub struct Destination {
    /// Artifact root, e.g. `s3://seer-artifacts` (versions go to `<root>/<ns>/predictor/<name>/<version>/`).
    pub root: ObjectUri,
    pub version: String,
    /// A Predictor's `spec.export`, connected: where its forecasts are also copied.
    pub export: Option<ExportTarget>,
}

impl Destination {
    /// Version `version` under `root`, copied nowhere else.
    pub fn new(root: ObjectUri, version: impl Into<String>) -> Self {
        Destination { root, version: version.into(), export: None }
    }
}

fn algorithms_for(spec: ForecastAlgorithm) -> Result<Vec<Algorithm>, String> {
    Ok(match spec {
        ForecastAlgorithm::Auto => Algorithm::ALL.to_vec(),
        ForecastAlgorithm::SeasonalNaive => vec![Algorithm::SeasonalNaive],
        ForecastAlgorithm::Npts => vec![Algorithm::Npts],
        ForecastAlgorithm::Ets => vec![Algorithm::Ets],
        ForecastAlgorithm::Arima => vec![Algorithm::Arima],
        ForecastAlgorithm::Theta => vec![Algorithm::Theta],
        ForecastAlgorithm::Croston => vec![Algorithm::Sba],
        ForecastAlgorithm::BoostedTrees => vec![Algorithm::BoostedTrees],
        ForecastAlgorithm::Deepar | ForecastAlgorithm::CnnQr => {
            return Err(format!(
                "algorithm {spec:?} is not available in this version; use AUTO, BOOSTED_TREES (the global model, \
                 which also reads related time series and item metadata) or a statistical model"
            ));
        }
    })
}

fn optimization_metric(m: seer_api::OptimizationMetric) -> OptimizationMetric {
    match m {
        seer_api::OptimizationMetric::AverageWeightedQuantileLoss => OptimizationMetric::AverageWeightedQuantileLoss,
        seer_api::OptimizationMetric::WAPE => OptimizationMetric::Wape,
        seer_api::OptimizationMetric::RMSE => OptimizationMetric::Rmse,
        seer_api::OptimizationMetric::MASE => OptimizationMetric::Mase,
        seer_api::OptimizationMetric::MAPE => OptimizationMetric::Mape,
    }
}

/// What a Predictor asks to be trained, checked before any data is read.
#[derive(Clone, Debug)]
pub struct Plan {
    pub frequency: Frequency,
    pub horizon: usize,
    pub season: usize,
    /// Candidate algorithms: all of them for AUTO, else the one.
    pub algorithms: Vec<Algorithm>,
    /// Season lengths the global model takes seasonal lags at ([`Frequency::seasons`]).
    pub seasons: Vec<usize>,
    /// Horizon, season and quantile levels (0.5 alone when only `mean` was asked for).
    pub spec: ForecastSpec,
    pub backtest: BacktestConfig,
    pub auto: AutoConfig,
    /// `AUTO`, or the single algorithm's name: the version's `algorithm`.
    pub algorithm_name: String,
}

impl Plan {
    /// The plan of a Predictor, or the first thing wrong with its spec.
    pub fn from_predictor(predictor: &Predictor) -> Result<Plan, TrainerError> {
        let spec = &predictor.spec;
        let frequency = Frequency::parse(&spec.forecast_frequency).map_err(|m| manifest_error(predictor, m))?;
        let horizon =
            usize::try_from(spec.forecast_horizon).ok().filter(|h| (1..=500).contains(h)).ok_or_else(|| {
                manifest_error(predictor, format!("forecastHorizon {} is not between 1 and 500", spec.forecast_horizon))
            })?;
        let mut quantiles = Vec::new();
        for t in spec.forecast_types.iter().filter(|t| *t != "mean") {
            match t.parse::<f64>() {
                Ok(q) if q > 0.0 && q < 1.0 => quantiles.push(q),
                _ => {
                    return Err(manifest_error(
                        predictor,
                        format!("forecastTypes: {t:?} is not a quantile in (0, 1) or mean"),
                    ));
                }
            }
        }
        if quantiles.is_empty() {
            quantiles.push(0.5); // the mean alone still needs a distribution to be scored
        }
        // A season set by hand is the one used; otherwise the frequency's, and its longer cycle
        // (a week of hours for hourly data), which ETS may choose.
        let (season, long_season) = match spec.algorithm_parameters.get("seasonality") {
            Some(s) => {
                let season = s.parse::<usize>().ok().filter(|s| *s >= 1).ok_or_else(|| {
                    manifest_error(
                        predictor,
                        format!("algorithmParameters.seasonality: {s:?} is not a whole number ≥ 1"),
                    )
                })?;
                (season, None)
            }
            None => {
                let season = frequency.default_season();
                (season, frequency.seasons().into_iter().find(|s| *s > season))
            }
        };
        let algorithms = algorithms_for(spec.algorithm).map_err(|m| manifest_error(predictor, m))?;
        let forecast_spec = ForecastSpec { horizon, season, quantiles, long_season };
        let backtest = BacktestConfig {
            spec: forecast_spec.clone(),
            windows: usize::try_from(spec.backtest.windows).unwrap_or(1),
            offset: spec.backtest.offset.and_then(|o| usize::try_from(o).ok()),
        };
        backtest.validate().map_err(|e| manifest_error(predictor, format!("backtest: {e}")))?;
        let algorithm_name = if spec.algorithm == ForecastAlgorithm::Auto {
            "AUTO".to_string()
        } else {
            algorithms.first().map(|a| a.name().to_string()).unwrap_or_default()
        };
        Ok(Plan {
            frequency,
            horizon,
            season,
            algorithms,
            seasons: frequency.seasons(),
            spec: forecast_spec,
            backtest,
            auto: AutoConfig { metric: optimization_metric(spec.optimization_metric), ..AutoConfig::default() },
            algorithm_name,
        })
    }

    /// Whether a candidate learns across items, and so needs the covariates.
    pub fn has_global(&self) -> bool {
        self.algorithms.iter().any(|a| a.is_global())
    }

    /// Every Predictor setting that shapes training, as one JSON line: shards record it and
    /// the merge refuses shards trained with other settings.
    pub fn fingerprint(predictor: &Predictor) -> String {
        let s = &predictor.spec;
        serde_json::json!({
            "forecastHorizon": s.forecast_horizon,
            "forecastFrequency": s.forecast_frequency,
            "forecastTypes": s.forecast_types,
            "forecastDimensions": s.forecast_dimensions,
            "algorithm": s.algorithm,
            "algorithmParameters": s.algorithm_parameters,
            "backtest": s.backtest,
            "featurization": s.featurization,
            "optimizationMetric": s.optimization_metric,
        })
        .to_string()
    }
}

/// `model.json`: what was chosen for each series and how to read the grid.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelFile<'a> {
    format_version: u32,
    frequency: &'a str,
    season: usize,
    horizon: usize,
    forecast_types: &'a [String],
    forecast_dimensions: &'a [String],
    first_forecast_date: String,
    items: Vec<ModelItem>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelItem {
    item_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dimensions: Vec<String>,
    ensemble: Vec<(String, f64)>,
}

pub(crate) fn manifest_error(predictor: &Predictor, message: String) -> TrainerError {
    TrainerError::Manifest { file: format!("Predictor {}", predictor.metadata.name.as_deref().unwrap_or("?")), message }
}

/// An item as messages name it: `item a` or `item a (s1)` with its dimension values.
pub fn item_label(key: &ItemKey) -> String {
    if key.dimensions.is_empty() {
        format!("item {}", key.item_id)
    } else {
        format!("item {} ({})", key.item_id, key.dimensions.join(", "))
    }
}

/// The target series of a DatasetGroup on the Predictor's frequency.
pub struct Target {
    /// The grid, anchored at the earliest timestamp of the whole dataset.
    pub grid: Grid,
    /// That earliest timestamp (unix seconds).
    pub anchor: i64,
    /// The last period of the dataset: every series ends there (backfilled).
    pub end: i64,
    /// The series kept, in item order.
    pub items: Vec<ItemSeries>,
}

/// Reads the target series of a DatasetGroup onto the Predictor's frequency, keeping the
/// items `keep` accepts. The grid and the end come from every row, kept or not, so that a
/// shard sees the calendar of the whole dataset.
pub async fn target_series(
    store: &ObjectStore,
    group: &DatasetGroup,
    predictor: &Predictor,
    frequency: Frequency,
    keep: &dyn Fn(&ItemKey) -> bool,
) -> Result<Target, TrainerError> {
    let spec = &predictor.spec;
    let dataset = group
        .spec
        .datasets
        .iter()
        .find(|d| d.type_ == DatasetType::TargetTimeSeries)
        .ok_or_else(|| manifest_error(predictor, "its DatasetGroup has no TARGET_TIME_SERIES dataset".into()))?;
    let mut collector = TargetCollector::default();
    let mut dims_positions: Option<Vec<usize>> = None;
    ingest::read_dataset(store, dataset, group.spec.domain, |schema, row| {
        if dims_positions.is_none() {
            let mut positions = Vec::new();
            for d in &spec.forecast_dimensions {
                let pos = schema.columns.iter().position(|c| c.name.eq_ignore_ascii_case(d)).ok_or_else(|| {
                    TrainerError::data(
                        (row.location)(),
                        format!(
                            "forecastDimensions names '{d}', which is not a column (columns: {})",
                            schema.names().join(", ")
                        ),
                    )
                })?;
                positions.push(pos);
            }
            dims_positions = Some(positions);
        }
        let cell = |role: Role| schema.position(role).map(|i| &row.cells[i]);
        let (Some(Cell::Str(item)), Some(Cell::Time(t))) = (cell(Role::ItemId), cell(Role::Timestamp)) else {
            return Ok(()); // no key: counted as skipped by `validate`
        };
        let value = match cell(Role::Target) {
            Some(Cell::Float(v)) => *v,
            Some(Cell::Int(v)) => *v as f64,
            _ => f64::NAN,
        };
        let dimensions = dims_positions.iter().flatten().map(|&p| row.cells[p].to_text().unwrap_or_default()).collect();
        let key = ItemKey { item_id: item.clone(), dimensions };
        if keep(&key) {
            collector.push(key, *t, value);
        } else {
            collector.observe(*t);
        }
        Ok(())
    })
    .await?;
    let (Some(anchor), Some(latest)) = (collector.earliest(), collector.latest()) else {
        return Err(TrainerError::data(&dataset.uri, "no rows with an item_id and a timestamp"));
    };
    let grid = Grid::new(frequency, anchor);
    let filling = TargetFilling::from_spec(&spec.featurization, group.spec.domain.target_field())
        .map_err(|m| manifest_error(predictor, format!("featurization: {m}")))?;
    let end = grid.period(latest);
    let items = collector.build(&grid, spec.featurization.aggregation, filling);
    Ok(Target { grid, anchor, end, items })
}

/// Backtests every item on rayon's pool, one item per task (so progress can be counted):
/// `None` for items too short for the windows. An item's backtest depends on that item
/// alone, so this computes what one `backtest` call over all items does.
pub fn backtest_items(
    items: &[ItemSeries],
    plan: &Plan,
    progress: &Progress,
) -> Result<Vec<Option<ItemBacktest>>, TrainerError> {
    let needed = plan.backtest.needed_history();
    items
        .par_iter()
        .map(|it| {
            let result = if it.series.values.len() < needed {
                Ok(None)
            } else {
                backtest(std::slice::from_ref(&it.series), &plan.algorithms, &plan.backtest)
                    .map(|mut report| report.items.pop())
                    .map_err(|e| TrainerError::data(item_label(&it.key), format!("backtest: {e}")))
            };
            progress.inc();
            result
        })
        .collect()
}

/// Adds the items of the DatasetGroup's ITEM_METADATA that have no target series (new
/// products) to `target`, each with an empty history starting after the data's end, so
/// that the global model forecasts them from their metadata and related time series (as
/// Amazon Forecast's cold-start forecasts did). Only when a candidate is global and the
/// Predictor has no forecast dimensions (a new item's dimension values are not known).
/// Returns the indices of the items added.
pub async fn add_new_items(
    store: &ObjectStore,
    group: &DatasetGroup,
    predictor: &Predictor,
    plan: &Plan,
    target: &mut Target,
) -> Result<Vec<usize>, TrainerError> {
    let metadata = group.spec.datasets.iter().find(|d| d.type_ == DatasetType::ItemMetadata);
    let (Some(metadata), true) = (metadata, plan.has_global() && predictor.spec.forecast_dimensions.is_empty()) else {
        return Ok(Vec::new());
    };
    let known: std::collections::HashSet<&str> = target.items.iter().map(|i| i.key.item_id.as_str()).collect();
    let mut new: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    ingest::read_dataset(store, metadata, group.spec.domain, |schema, row| {
        if let Some(Cell::Str(item)) = schema.position(Role::ItemId).map(|i| &row.cells[i])
            && !known.contains(item.as_str())
        {
            new.insert(item.clone());
        }
        Ok(())
    })
    .await?;
    let first = target.items.len();
    for item_id in new {
        target.items.push(ItemSeries {
            key: ItemKey { item_id, dimensions: Vec::new() },
            series: Series { start: target.end + 1, values: Vec::new(), filled: None },
        });
    }
    let added: Vec<usize> = (first..target.items.len()).collect();
    if !added.is_empty() {
        progress::note(&format!(
            "{} new items (in the item metadata, without history) forecast by {}",
            added.len(),
            global_names(plan)
        ));
    }
    Ok(added)
}

/// The covariates of the target's series ([`read_covariates`]) when a candidate is global;
/// `None` (nothing read) otherwise.
pub async fn covariates_for(
    store: &ObjectStore,
    group: &DatasetGroup,
    predictor: &Predictor,
    plan: &Plan,
    target: &Target,
) -> Result<Option<Covariates>, TrainerError> {
    if !plan.has_global() {
        return Ok(None);
    }
    read_covariates(store, group, predictor, target, plan.horizon).await.map(Some)
}

/// The names of the global candidates, for messages.
fn global_names(plan: &Plan) -> String {
    plan.algorithms.iter().filter(|a| a.is_global()).map(|a| a.name()).collect::<Vec<_>>().join(", ")
}

/// Fills in the global candidates' part of the items' backtests (which [`backtest_items`]
/// leaves empty): per window, one model learned across every backtested item before the
/// window, forecasting each of them. Each backtest's `item` becomes the item's index.
pub fn backtest_global(
    backtests: &mut [Option<ItemBacktest>],
    items: &[ItemSeries],
    plan: &Plan,
    covariates: &Covariates,
    predictor: &Predictor,
) -> Result<(), TrainerError> {
    let mut done: Vec<ItemBacktest> = backtests
        .iter_mut()
        .enumerate()
        .filter_map(|(i, b)| {
            let mut b = b.take()?;
            b.item = i;
            Some(b)
        })
        .collect();
    let names = global_names(plan);
    progress::note(&format!(
        "backtesting {names}: one model per window ({}) across {} items",
        plan.backtest.windows,
        done.len()
    ));
    let histories: Vec<&[f64]> = items.iter().map(|i| i.series.values.as_slice()).collect();
    let result = fill_global(&mut done, &histories, covariates, &plan.algorithms, &plan.backtest, &plan.seasons);
    let count = done.len();
    for b in done {
        let i = b.item;
        backtests[i] = Some(b);
    }
    result.map_err(|e| manifest_error(predictor, format!("backtest of {names}: {e}")))?;
    progress::note(&format!("backtested {names} {count}/{count} items"));
    Ok(())
}

/// Whether the chosen model forecasts with a global candidate (for some item).
pub fn uses_global(plan: &Plan, model: &AutoModel) -> bool {
    plan.algorithms.iter().any(|a| a.is_global() && model.uses(*a))
}

/// The global model's forecasts of the horizon after the data: one model learned across
/// all `items`, one forecast per item (`None` where it has none).
pub fn global_forecasts(
    items: &[ItemSeries],
    plan: &Plan,
    covariates: &Covariates,
    predictor: &Predictor,
) -> Result<Vec<Option<Forecast>>, TrainerError> {
    let names = global_names(plan);
    progress::note(&format!("fitting {names} across {} items for the forecast", items.len()));
    let histories: Vec<&[f64]> = items.iter().map(|i| i.series.values.as_slice()).collect();
    let cutoffs: Vec<Option<usize>> = histories.iter().map(|h| Some(h.len())).collect();
    let out = global::forecast_items(&histories, covariates, &cutoffs, &plan.spec, &plan.seasons)
        .map_err(|e| manifest_error(predictor, format!("forecast of {names}: {e}")))?;
    progress::note(&format!("forecast {names} {}/{} items", out.iter().filter(|f| f.is_some()).count(), items.len()));
    Ok(out)
}

/// The backtest report of all items (in item order) from their own backtests: what one
/// `backtest` call over them returns, velocity classes (terciles over all items) included.
pub fn assemble(plan: &Plan, backtests: Vec<Option<ItemBacktest>>, items: &[ItemSeries]) -> BacktestReport {
    let mut done = Vec::new();
    let mut skipped = Vec::new();
    for (i, b) in backtests.into_iter().enumerate() {
        match b {
            Some(mut b) => {
                b.item = i;
                done.push(b);
            }
            None => skipped.push(i),
        }
    }
    let histories: Vec<&[f64]> = items.iter().map(|i| i.series.values.as_slice()).collect();
    BacktestReport {
        algorithms: plan.algorithms.clone(),
        levels: plan.backtest.spec.quantiles.clone(),
        items: done,
        skipped,
        velocity: velocity_classes(&histories),
        windows: plan.backtest.windows,
        horizon: plan.backtest.spec.horizon,
        season: plan.backtest.spec.season,
    }
}

/// AUTO's choice (or the single algorithm), `metrics.json`, and the backtest export when the
/// Predictor asks for it.
pub struct Scored {
    pub model: AutoModel,
    pub metrics: ForecastMetrics,
    pub backtest_export: Option<BacktestExport>,
}

/// Chooses and scores from the backtest report of all items. Every metric comes from
/// adding the items' sums ([`seer_models::forecast::MetricAccumulator::merge`]).
pub fn score(
    plan: &Plan,
    predictor: &Predictor,
    report: &BacktestReport,
    target: &Target,
) -> Result<Scored, TrainerError> {
    let spec = &predictor.spec;
    if report.items.is_empty() {
        let longest = target.items.iter().map(|s| s.series.values.len()).max().unwrap_or(0);
        let needed = plan.backtest.needed_history();
        let too_long =
            seer_models::forecast::ForecastError::HorizonTooLong { horizon: plan.horizon, history: longest, needed };
        return Err(manifest_error(
            predictor,
            format!(
                "backtest: {too_long}, the longest series at frequency {} with {} window(s); shorten \
                 forecastHorizon or backtest, or add data",
                spec.forecast_frequency, plan.backtest.windows
            ),
        ));
    }
    let model = AutoModel::from_backtest(report, target.items.len(), &plan.auto);
    let end = target.end;
    let offset = plan.backtest.offset.unwrap_or(plan.horizon).max(plan.horizon) as i64;
    let h = plan.horizon as i64;
    let grid = &target.grid;
    // The first period of backtest window w (0 = the latest).
    let first = |w: usize| end + 1 - offset - (w as i64) * h;
    let label = |w: usize| (grid.label(first(w)), grid.label(first(w) + h - 1));
    let mut evaluations: Vec<_> = (0..plan.algorithms.len()).map(|a| report.evaluation(a, &label)).collect();
    let velocity_metrics = |classes: Vec<(Velocity, u64, MetricAccumulator)>| -> Vec<VelocityMetrics> {
        classes
            .into_iter()
            .map(|(v, count, acc)| VelocityMetrics {
                velocity: v.name().to_string(),
                item_count: count,
                metrics: acc.to_accuracy_metrics(),
            })
            .collect()
    };
    let (summary, velocity) = if spec.algorithm == ForecastAlgorithm::Auto {
        let windows = AutoModel::evaluate(report, &plan.auto);
        let (auto, total) = evaluation_of("AUTO", &report.levels, &windows, report.items.len(), &label);
        evaluations.insert(0, auto);
        (total.to_accuracy_metrics(), velocity_metrics(AutoModel::evaluate_by_velocity(report, &plan.auto)))
    } else {
        (report.summary(0).to_accuracy_metrics(), velocity_metrics(report.by_velocity(0)))
    };
    let metrics = ForecastMetrics {
        optimization_metric: plan.auto.metric.name().to_string(),
        algorithm: plan.algorithm_name.clone(),
        summary,
        predictor_evaluation_results: evaluations,
        velocity_breakdown: velocity,
    };
    let backtest_export = spec.backtest.export.then(|| {
        let keys: Vec<&ItemKey> = target.items.iter().map(|i| &i.key).collect();
        let date = |w: usize, step: usize| grid.label(first(w) + step as i64);
        backtest_export::export(&ExportInput {
            report,
            keys: &keys,
            forecast_dimensions: &spec.forecast_dimensions,
            forecast_types: &spec.forecast_types,
            auto: (spec.algorithm == ForecastAlgorithm::Auto).then_some(&plan.auto),
            date: &date,
        })
    });
    Ok(Scored { model, metrics, backtest_export })
}

/// Where a Predictor's versions live under a root.
pub fn location_of(predictor: &Predictor, root: &ObjectUri) -> ArtifactLocation {
    ArtifactLocation {
        root: root.clone(),
        namespace: predictor.metadata.namespace.clone().unwrap_or_else(|| "default".into()),
        kind: ArtifactKind::Predictor,
        name: predictor.metadata.name.clone().unwrap_or_else(|| "predictor".into()),
    }
}

/// Trains one version and writes its artifact.
pub async fn train(
    store: &ObjectStore,
    group: &DatasetGroup,
    predictor: &Predictor,
    destination: &Destination,
) -> Result<ArtifactManifest, TrainerError> {
    let plan = Plan::from_predictor(predictor)?;
    let mut target = target_series(store, group, predictor, plan.frequency, &|_| true).await?;
    let new_items = add_new_items(store, group, predictor, &plan, &mut target).await?;
    let covariates = covariates_for(store, group, predictor, &plan, &target).await?;
    // An existing version is refused before the work, not after it.
    let writer = ArtifactWriter::create(store, location_of(predictor, &destination.root), &destination.version).await?;

    let progress = Progress::start("backtested", "items", target.items.len());
    let mut backtests = backtest_items(&target.items, &plan, &progress)?;
    progress.finish();
    if let Some(covariates) = &covariates {
        backtest_global(&mut backtests, &target.items, &plan, covariates, predictor)?;
    }
    let report = assemble(&plan, backtests, &target.items);
    let mut scored = score(&plan, predictor, &report, &target)?;
    // New items have no history for the local models: the global model alone forecasts them.
    for &i in &new_items {
        if let (Some(w), Some(global)) =
            (scored.model.weights.get_mut(i), plan.algorithms.iter().find(|a| a.is_global()))
        {
            *w = vec![(*global, 1.0)];
        }
    }

    // The global model's forecasts, when an ensemble takes them: one model over all items.
    let global = match &covariates {
        Some(covariates) if uses_global(&plan, &scored.model) => {
            global_forecasts(&target.items, &plan, covariates, predictor)?
        }
        _ => Vec::new(),
    };
    // Forecast the horizon after the data, each item with its ensemble.
    let progress = Progress::start("forecast", "items", target.items.len());
    let forecasts: Vec<Forecast> = target
        .items
        .par_iter()
        .enumerate()
        .map(|(i, item)| {
            let f = scored
                .model
                .forecast_with(i, &item.series.values, &plan.spec, global.get(i).and_then(Option::as_ref))
                .map_err(|e| TrainerError::data(item_label(&item.key), format!("cannot forecast: {e}")));
            progress.inc();
            f
        })
        .collect::<Result<_, _>>()?;
    progress.finish();

    // The one dataset digest, over every dataset of the group (as `validate` prints it), not
    // only the target series read here.
    let digest = seer_storage::digest::dataset_digest(&crate::validate::group_objects(store, group).await?);
    let export = destination.export.as_ref().map(|e| (e, destination.version.as_str()));
    write_version(writer, predictor, &plan, &target, &forecasts, &scored, &digest, export).await
}

/// Writes a version's files, then the copy of `spec.export` (to `export`'s target, as
/// version `export`'s name), then its manifest and `latest`; on a failure before the
/// manifest, removes what it wrote, so that nothing partial is left.
#[allow(clippy::too_many_arguments)]
pub async fn write_version(
    mut writer: ArtifactWriter<'_>,
    predictor: &Predictor,
    plan: &Plan,
    target: &Target,
    forecasts: &[Forecast],
    scored: &Scored,
    digest: &str,
    export: Option<(&ExportTarget, &str)>,
) -> Result<ArtifactManifest, TrainerError> {
    let spec = &predictor.spec;
    let (grid, end, horizon) = (&target.grid, target.end, plan.horizon);
    let mut csv = String::new();
    let columns: Vec<String> = spec.forecast_types.iter().map(|t| column_name(t)).collect();
    let _ = writeln!(csv, "{},date,{}", key_header(&spec.forecast_dimensions), columns.join(","));
    for (item, f) in target.items.iter().zip(forecasts) {
        for step in 0..horizon {
            let period = end + 1 + step as i64;
            let mut line = key_fields(&item.key);
            let _ = write!(line, ",{}", grid.label(period));
            for t in &spec.forecast_types {
                let _ = write!(line, ",{}", csv_number(forecast_value(f, t, step)));
            }
            csv.push_str(&line);
            csv.push('\n');
        }
    }

    // The recent history of every series, for charts beside the forecast: the last
    // max(4 horizons, 2 seasons) periods; filled points are left empty.
    let mut history = String::new();
    let _ = writeln!(history, "{},date,value", key_header(&spec.forecast_dimensions));
    let keep = (4 * horizon).max(2 * plan.season);
    for item in &target.items {
        let values = &item.series.values;
        for (offset, value) in values.iter().enumerate().skip(values.len().saturating_sub(keep)) {
            let mut line = key_fields(&item.key);
            let filled = item.series.filled.as_ref().and_then(|f| f.get(offset)).copied().unwrap_or(false);
            let shown = if filled { f64::NAN } else { *value };
            let _ = writeln!(line, ",{},{}", grid.label(item.series.start + offset as i64), csv_number(shown));
            history.push_str(&line);
        }
    }

    let model_file = ModelFile {
        format_version: 1,
        frequency: &spec.forecast_frequency,
        season: plan.season,
        horizon,
        forecast_types: &spec.forecast_types,
        forecast_dimensions: &spec.forecast_dimensions,
        first_forecast_date: grid.label(end + 1),
        items: target
            .items
            .iter()
            .zip(&scored.model.weights)
            .map(|(i, w)| ModelItem {
                item_id: i.key.item_id.clone(),
                dimensions: i.key.dimensions.clone(),
                ensemble: w.iter().map(|(a, x)| (a.name().to_string(), *x)).collect(),
            })
            .collect(),
    };
    let properties = BTreeMap::from([
        ("forecastHorizon".to_string(), serde_json::json!(horizon)),
        ("forecastFrequency".to_string(), serde_json::json!(spec.forecast_frequency)),
        ("forecastTypes".to_string(), serde_json::json!(spec.forecast_types)),
        ("forecastDimensions".to_string(), serde_json::json!(spec.forecast_dimensions)),
        ("items".to_string(), serde_json::json!(target.items.len())),
        ("headlineMetrics".to_string(), serde_json::json!(scored.metrics.headline())),
    ]);
    let files = [
        ("model.json", encode(predictor, &model_file)?),
        (METRICS_FILE, encode(predictor, &scored.metrics)?),
        (HISTORY_FILE, history.into_bytes()),
    ];
    let backtests = scored.backtest_export.as_ref().map(|e| {
        [
            (backtest_export::FORECASTS_FILE, e.forecasts.clone().into_bytes()),
            (backtest_export::ACCURACY_FILE, e.accuracy.clone().into_bytes()),
        ]
    });
    let csv = csv.into_bytes();
    // `spec.export`'s copy is made now (Parquet from the rows, CSV as written) and written
    // after the version's files, before its manifest.
    let export_copy = export.map(|(to, version)| {
        let dates: Vec<String> = (0..horizon).map(|s| grid.label(end + 1 + s as i64)).collect();
        let series = || target.items.iter().map(|item| &item.key).zip(forecasts).collect();
        (to, version, to.encode(&csv, &spec.forecast_dimensions, &spec.forecast_types, &dates, series))
    });
    let files = files.into_iter().chain([("forecasts/forecasts.csv", csv)]);
    for (path, data) in files.chain(backtests.into_iter().flatten()) {
        if let Err(e) = writer.put_file(path, data).await {
            // Best effort: the error to report is the first one.
            let _ = writer.abort().await;
            return Err(e.into());
        }
    }
    if let Some((to, version, bytes)) = export_copy {
        let copied = match bytes {
            Ok(bytes) => to.write(version, bytes).await,
            Err(e) => Err(e),
        };
        if let Err(e) = copied {
            let _ = writer.abort().await;
            return Err(manifest_error(predictor, format!("spec.export: {e}")));
        }
    }
    Ok(writer.commit(&plan.algorithm_name, digest, properties).await?)
}

pub(crate) fn encode<T: Serialize>(predictor: &Predictor, value: &T) -> Result<Vec<u8>, TrainerError> {
    serde_json::to_vec_pretty(value).map_err(|e| manifest_error(predictor, format!("cannot encode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(frequency: &str, parameters: &str) -> Plan {
        let predictor: Predictor = serde_yaml::from_str(&format!(
            "apiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {{name: p}}\nspec:\n  datasetGroupRef: {{name: g}}\n  forecastHorizon: 24\n  forecastFrequency: {frequency}\n{parameters}"
        ))
        .expect("predictor");
        Plan::from_predictor(&predictor).expect("plan")
    }

    #[test]
    fn hourly_data_offers_ets_a_weekly_season() {
        let hourly = plan("H", "");
        assert_eq!((hourly.spec.season, hourly.spec.long_season), (24, Some(168)));
        assert_eq!(hourly.backtest.spec.long_season, Some(168));
        assert_eq!(plan("2H", "").spec.long_season, Some(84));
        assert_eq!(plan("D", "").spec.long_season, None);
        // A season set by hand is the one used.
        let weekly = plan("H", "  algorithmParameters: {seasonality: '168'}\n");
        assert_eq!((weekly.spec.season, weekly.spec.long_season), (168, None));
        let none = plan("H", "  algorithmParameters: {seasonality: '1'}\n");
        assert_eq!((none.spec.season, none.spec.long_season), (1, None));
    }
}
