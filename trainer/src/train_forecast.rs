//! `seer-trainer train` for a Predictor: ingest the target time series, featurize it onto the
//! forecast frequency, backtest the algorithms, choose (AUTO: a per-item weighted ensemble),
//! forecast the horizon after the data, and write the versioned artifact — `model.json`,
//! `metrics.json`, `forecasts/forecasts.csv`, and `manifest.json` last.

use std::{collections::BTreeMap, fmt::Write as _};

use seer_api::{
    DatasetGroup, DatasetType, ForecastAlgorithm, Predictor,
    artifact::{ArtifactKind, ArtifactManifest, METRICS_FILE},
    metrics::{ForecastMetrics, VelocityMetrics},
};
use seer_models::forecast::{
    Algorithm, AutoConfig, AutoModel, BacktestConfig, ForecastSpec, auto::OptimizationMetric, backtest,
    backtest::evaluation_of,
};
use seer_storage::{
    ObjectStore, ObjectUri,
    artifacts::{ArtifactLocation, ArtifactWriter},
};
use serde::Serialize;

use crate::{
    TrainerError,
    featurize::{ItemKey, ItemSeries, TargetCollector, TargetFilling},
    frequency::{Frequency, Grid},
    ingest::{self, Cell, Role},
};

/// Where and under which name a version is written.
#[derive(Clone, Debug)]
pub struct Destination {
    /// Artifact root, e.g. `s3://seer-artifacts` (versions go to `<root>/<ns>/predictor/<name>/<version>/`).
    pub root: ObjectUri,
    pub version: String,
}

/// A forecast type as the export names it: `0.1` -> `p10`, `mean` -> `mean`.
pub fn column_name(forecast_type: &str) -> String {
    match forecast_type.parse::<f64>() {
        Ok(q) => {
            let pct = format!("{:.4}", q * 100.0);
            format!("p{}", pct.trim_end_matches('0').trim_end_matches('.'))
        }
        Err(_) => forecast_type.to_string(),
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
        ForecastAlgorithm::Deepar | ForecastAlgorithm::CnnQr => {
            return Err(format!(
                "algorithm {spec:?} is not available in this version; use AUTO or a statistical model"
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

fn manifest_error(predictor: &Predictor, message: String) -> TrainerError {
    TrainerError::Manifest { file: format!("Predictor {}", predictor.metadata.name.as_deref().unwrap_or("?")), message }
}

/// Reads the target series of a DatasetGroup onto the Predictor's frequency.
pub async fn target_series(
    store: &ObjectStore,
    group: &DatasetGroup,
    predictor: &Predictor,
    frequency: Frequency,
) -> Result<(Grid, Vec<ItemSeries>), TrainerError> {
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
        let dimensions = dims_positions
            .iter()
            .flatten()
            .map(|&p| match &row.cells[p] {
                Cell::Str(s) => s.clone(),
                Cell::Int(i) => i.to_string(),
                Cell::Float(f) => f.to_string(),
                Cell::Bool(b) => b.to_string(),
                Cell::Time(t) => t.to_string(),
                Cell::Missing => String::new(),
            })
            .collect();
        collector.push(ItemKey { item_id: item.clone(), dimensions }, *t, value);
        Ok(())
    })
    .await?;
    let earliest = collector
        .earliest()
        .ok_or_else(|| TrainerError::data(&dataset.uri, "no rows with an item_id and a timestamp"))?;
    let grid = Grid::new(frequency, earliest);
    let filling = TargetFilling::from_spec(&spec.featurization, group.spec.domain.target_field())
        .map_err(|m| manifest_error(predictor, format!("featurization: {m}")))?;
    let series = collector.build(&grid, spec.featurization.aggregation, filling);
    Ok((grid, series))
}

/// Trains one version and writes its artifact.
pub async fn train(
    store: &ObjectStore,
    group: &DatasetGroup,
    predictor: &Predictor,
    destination: &Destination,
) -> Result<ArtifactManifest, TrainerError> {
    let spec = &predictor.spec;
    let frequency = Frequency::parse(&spec.forecast_frequency).map_err(|m| manifest_error(predictor, m))?;
    let horizon = usize::try_from(spec.forecast_horizon).ok().filter(|h| (1..=500).contains(h)).ok_or_else(|| {
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
    let season = match spec.algorithm_parameters.get("seasonality") {
        Some(s) => s.parse::<usize>().ok().filter(|s| *s >= 1).ok_or_else(|| {
            manifest_error(predictor, format!("algorithmParameters.seasonality: {s:?} is not a whole number ≥ 1"))
        })?,
        None => frequency.default_season(),
    };
    let algorithms = algorithms_for(spec.algorithm).map_err(|m| manifest_error(predictor, m))?;

    let (grid, items) = target_series(store, group, predictor, frequency).await?;
    let series: Vec<_> = items.iter().map(|i| i.series.clone()).collect();
    let forecast_spec = ForecastSpec { horizon, season, quantiles: quantiles.clone() };
    let config = BacktestConfig {
        spec: forecast_spec.clone(),
        windows: usize::try_from(spec.backtest.windows).unwrap_or(1),
        offset: spec.backtest.offset.and_then(|o| usize::try_from(o).ok()),
    };
    let report = backtest(&series, &algorithms, &config).map_err(|e| manifest_error(predictor, e.to_string()))?;
    if report.items.is_empty() {
        let longest = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
        return Err(manifest_error(
            predictor,
            format!(
                "the history is too short for {} backtest window(s) of {horizon} periods: the longest series has {longest} \
                 periods at frequency {}, {} are needed; shorten forecastHorizon or backtest, or add data",
                config.windows,
                spec.forecast_frequency,
                config.needed_history()
            ),
        ));
    }

    // Choose and score.
    let auto_config = AutoConfig { metric: optimization_metric(spec.optimization_metric), ..AutoConfig::default() };
    let model = AutoModel::from_backtest(&report, series.len(), &auto_config);
    let end = series.iter().map(|s| s.start + s.values.len() as i64 - 1).max().unwrap_or(0);
    let offset = config.offset.unwrap_or(horizon).max(horizon) as i64;
    let h = horizon as i64;
    let label = |w: usize| {
        let first = end + 1 - offset - (w as i64) * h;
        (grid.label(first), grid.label(first + h - 1))
    };
    let mut evaluations: Vec<_> = (0..algorithms.len()).map(|a| report.evaluation(a, &label)).collect();
    let (algorithm_name, summary, velocity) = if spec.algorithm == ForecastAlgorithm::Auto {
        let windows = AutoModel::evaluate(&report, &auto_config);
        let (auto, total) = evaluation_of("AUTO", &report.levels, &windows, report.items.len(), &label);
        evaluations.insert(0, auto);
        ("AUTO".to_string(), total.to_accuracy_metrics(), Vec::new())
    } else {
        let velocity = report
            .by_velocity(0)
            .into_iter()
            .map(|(v, count, acc)| VelocityMetrics {
                velocity: v.name().to_string(),
                item_count: count,
                metrics: acc.to_accuracy_metrics(),
            })
            .collect();
        (algorithms[0].name().to_string(), report.summary(0).to_accuracy_metrics(), velocity)
    };
    let metrics = ForecastMetrics {
        optimization_metric: auto_config.metric.name().to_string(),
        algorithm: algorithm_name.clone(),
        summary,
        predictor_evaluation_results: evaluations,
        velocity_breakdown: velocity,
    };

    // Forecast the horizon after the data.
    let forecasts = model.forecast_all(&series, &forecast_spec);
    let mut csv = String::new();
    let columns: Vec<String> = spec.forecast_types.iter().map(|t| column_name(t)).collect();
    let _ = writeln!(
        csv,
        "item_id,{}date,{}",
        spec.forecast_dimensions.iter().map(|d| format!("{d},")).collect::<String>(),
        columns.join(",")
    );
    for (item, forecast) in items.iter().zip(&forecasts) {
        let f = forecast
            .as_ref()
            .map_err(|e| TrainerError::data(format!("item {}", item.key.item_id), format!("cannot forecast: {e}")))?;
        for step in 0..horizon {
            let period = end + 1 + step as i64;
            let mut line = csv_field(&item.key.item_id);
            for d in &item.key.dimensions {
                line.push(',');
                line.push_str(&csv_field(d));
            }
            let _ = write!(line, ",{}", grid.label(period));
            for t in &spec.forecast_types {
                let v = if t == "mean" {
                    f.mean[step]
                } else {
                    t.parse::<f64>().ok().and_then(|q| f.quantile(q)).map(|q| q[step]).unwrap_or(f64::NAN)
                };
                let _ = write!(line, ",{}", round(v));
            }
            csv.push_str(&line);
            csv.push('\n');
        }
    }

    let model_file = ModelFile {
        format_version: 1,
        frequency: &spec.forecast_frequency,
        season,
        horizon,
        forecast_types: &spec.forecast_types,
        forecast_dimensions: &spec.forecast_dimensions,
        first_forecast_date: grid.label(end + 1),
        items: items
            .iter()
            .zip(&model.weights)
            .map(|(i, w)| ModelItem {
                item_id: i.key.item_id.clone(),
                dimensions: i.key.dimensions.clone(),
                ensemble: w.iter().map(|(a, x)| (a.name().to_string(), *x)).collect(),
            })
            .collect(),
    };

    let location = ArtifactLocation {
        root: destination.root.clone(),
        namespace: predictor.metadata.namespace.clone().unwrap_or_else(|| "default".into()),
        kind: ArtifactKind::Predictor,
        name: predictor.metadata.name.clone().unwrap_or_else(|| "predictor".into()),
    };
    let mut writer = ArtifactWriter::create(store, location, &destination.version).await?;
    writer.put_file("model.json", encode(predictor, &model_file)?).await?;
    writer.put_file(METRICS_FILE, encode(predictor, &metrics)?).await?;
    writer.put_file("forecasts/forecasts.csv", csv.into_bytes()).await?;
    let properties = BTreeMap::from([
        ("forecastHorizon".to_string(), serde_json::json!(horizon)),
        ("forecastFrequency".to_string(), serde_json::json!(spec.forecast_frequency)),
        ("forecastTypes".to_string(), serde_json::json!(spec.forecast_types)),
        ("forecastDimensions".to_string(), serde_json::json!(spec.forecast_dimensions)),
        ("items".to_string(), serde_json::json!(items.len())),
        ("headlineMetrics".to_string(), serde_json::json!(metrics.headline())),
    ]);
    // The one dataset digest, over every dataset of the group (as `validate` prints it), not
    // only the target series read here.
    let digest = seer_storage::digest::dataset_digest(&crate::validate::group_objects(store, group).await?);
    Ok(writer.commit(&algorithm_name, &digest, properties).await?)
}

fn round(v: f64) -> String {
    if v.is_finite() { format!("{}", (v * 1e4).round() / 1e4) } else { String::new() }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn encode<T: Serialize>(predictor: &Predictor, value: &T) -> Result<Vec<u8>, TrainerError> {
    serde_json::to_vec_pretty(value).map_err(|e| manifest_error(predictor, format!("cannot encode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_column_names() {
        assert_eq!(column_name("0.1"), "p10");
        assert_eq!(column_name("0.5"), "p50");
        assert_eq!(column_name("0.05"), "p5");
        assert_eq!(column_name("0.125"), "p12.5");
        assert_eq!(column_name("mean"), "mean");
    }
}
