//! Predictor: a probabilistic forecaster trained on a DatasetGroup (Amazon Forecast's
//! AutoPredictor / predictor).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{DeletionPolicy, LocalObjectReference, RetrainSpec, StorageLocation, TrainerSpec};

/// Forecasting algorithm. AUTO (the default) backtests the others per item and combines
/// the best into a weighted ensemble, like Amazon Forecast's AutoPredictor.
/// SEASONAL_NAIVE, NPTS, ETS, ARIMA, THETA and CROSTON are local statistical models (one
/// per series); BOOSTED_TREES is the global model: gradient-boosted quantile trees learned
/// across all series, with the related time series, the item metadata and the calendar.
/// DEEPAR and CNN_QR are reserved names (Amazon Forecast's deep global models), not
/// available in this version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ForecastAlgorithm {
    #[default]
    Auto,
    SeasonalNaive,
    Npts,
    Ets,
    Arima,
    Theta,
    Croston,
    BoostedTrees,
    Deepar,
    CnnQr,
}

/// Accuracy metric a Predictor optimises for (AUTO's selection and weighting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OptimizationMetric {
    #[default]
    AverageWeightedQuantileLoss,
    WAPE,
    RMSE,
    MASE,
    MAPE,
}

/// How values within one forecast period are combined when the data is finer than the
/// forecast frequency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    #[default]
    Sum,
    Avg,
    First,
    Min,
    Max,
}

/// How missing values are filled: zero, nan (leave missing), value (a constant you give),
/// or mean / median / min / max of the 64 most recent points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FillMethod {
    Zero,
    Nan,
    Value,
    Mean,
    Median,
    Min,
    Max,
}

/// Filling for one attribute, as in Amazon Forecast's featurization config. Target
/// defaults: middlefill and backfill `zero`. Related time series have no defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "!has(self.middlefill) || self.middlefill != 'value' || has(self.middlefillValue)",
     "message": "middlefill: value needs middlefillValue", "fieldPath": ".middlefillValue"},
    {"rule": "!has(self.backfill) || self.backfill != 'value' || has(self.backfillValue)",
     "message": "backfill: value needs backfillValue", "fieldPath": ".backfillValue"},
    {"rule": "!has(self.futurefill) || self.futurefill != 'value' || has(self.futurefillValue)",
     "message": "futurefill: value needs futurefillValue", "fieldPath": ".futurefillValue"}
]))]
pub struct AttributeFilling {
    /// The target field or a related time series column.
    #[schemars(length(min = 1, max = 63))]
    pub attribute_name: String,
    /// Gaps between the start of a series and the start of the dataset; only `none` is supported (as in AWS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["none"]))]
    pub frontfill: Option<String>,
    /// Gaps inside a series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middlefill: Option<FillMethod>,
    /// Constant for `middlefill: value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middlefill_value: Option<f64>,
    /// Gaps between a series' last point and the end of the dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<FillMethod>,
    /// Constant for `backfill: value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill_value: Option<f64>,
    /// Related time series only: gaps in the forecast horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub futurefill: Option<FillMethod>,
    /// Constant for `futurefill: value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub futurefill_value: Option<f64>,
}

/// How raw data becomes the regular series the models see.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Featurization {
    /// How values inside one forecast period are combined: sum (default), avg, first, min, max.
    #[serde(default)]
    pub aggregation: Aggregation,
    /// Per-attribute filling of missing values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub attributes: Vec<AttributeFilling>,
}

/// Backtesting: the last windows of history are held out, forecast and scored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BacktestSpec {
    /// Number of backtest windows, 1 to 5.
    #[serde(default = "default_backtest_windows")]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self >= 1 && self <= 5",
        "message": "backtest windows must be between 1 and 5"
    }]))]
    pub windows: i32,
    /// Points from the end of the data to the start of the last backtest window; at least the
    /// forecast horizon (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i32>,
    /// Also write the backtests out, as Amazon Forecast's predictor backtest export did: the
    /// version's `backtest/forecasts.csv` (each item's forecast of every window beside the
    /// actual values) and `backtest/accuracy.csv` (each item's metrics per window and over all
    /// windows), for the chosen algorithm or AUTO's ensemble.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub export: bool,
}

fn default_backtest_windows() -> i32 {
    1
}

impl Default for BacktestSpec {
    fn default() -> Self {
        BacktestSpec { windows: default_backtest_windows(), offset: None, export: false }
    }
}

/// Where to copy the forecast export (besides the artifact's own `forecasts/`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastExport {
    /// Destination of the export, a prefix under which each version writes
    /// `<version>/forecasts.csv` (or `forecasts.parquet`) before the version is complete. Its
    /// `s3.credentialsSecretRef` is mounted into the trainer pod; without one, the artifact
    /// storage's credentials are used.
    pub destination: StorageLocation,
    /// File format of the export: CSV (default; the same file as the version's own
    /// `forecasts/forecasts.csv`) or PARQUET (the same columns, typed: strings and doubles).
    #[serde(default)]
    pub format: crate::DataFormat,
}

/// Spec of a Predictor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "kube", derive(kube::CustomResource))]
#[cfg_attr(
    feature = "kube",
    kube(
        group = "seer.dev",
        version = "v1alpha1",
        kind = "Predictor",
        namespaced,
        status = "PredictorStatus",
        shortname = "spred",
        category = "seer",
        doc = "A Predictor trains a probabilistic forecaster (quantiles such as p10/p50/p90) on a DatasetGroup, evaluates it by backtesting and keeps versioned artifacts.",
        printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
        printcolumn(name = "Algorithm", type_ = "string", json_path = ".spec.algorithm"),
        printcolumn(name = "Version", type_ = "string", json_path = ".status.latestVersion"),
        printcolumn(
            name = "wQL",
            type_ = "number",
            json_path = ".status.latestMetrics.AverageWeightedQuantileLoss",
            description = "Average weighted quantile loss of the latest version (lower is better)"
        ),
        printcolumn(name = "WAPE", type_ = "number", json_path = ".status.latestMetrics.WAPE", priority = 1),
        printcolumn(name = "MASE", type_ = "number", json_path = ".status.latestMetrics.MASE", priority = 1),
        printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "!has(self.backtest) || !has(self.backtest.offset) || self.backtest.offset >= self.forecastHorizon",
        "message": "backtest.offset must be at least forecastHorizon",
        "fieldPath": ".backtest.offset"
    }
]))]
pub struct PredictorSpec {
    /// The DatasetGroup (same namespace) with the target time series and optional related data.
    pub dataset_group_ref: LocalObjectReference,
    /// How many periods of `forecastFrequency` to forecast, 1 to 500.
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self >= 1 && self <= 500",
        "message": "forecastHorizon must be between 1 and 500"
    }]))]
    pub forecast_horizon: i32,
    /// Period of the forecast: `1min`, `5min`, `15min`, `30min`, `H`, `D`, `W`, `M`, `Q`, `Y`,
    /// or a multiple such as `2W`. Data finer than this is aggregated (see featurization).
    #[schemars(length(min = 1, max = 16))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.matches('^([1-9][0-9]*)?(min|H|D|W|M|Q|Y)$')",
        "message": "forecastFrequency must be a frequency such as 15min, H, D, W, 2W, M, Q or Y"
    }]))]
    pub forecast_frequency: String,
    /// Forecast types: up to 5 quantiles written as strings between 0 and 1 with up to three
    /// decimals (`"0.1"`, `"0.5"`, `"0.9"`, the default), and/or `mean`.
    #[serde(default = "default_forecast_types")]
    #[schemars(length(min = 1, max = 5), inner(length(max = 5)))]
    #[schemars(extend("x-kubernetes-validations" = [
        {
            "rule": "self.all(t, t == 'mean' || (t.matches('^0\\\\.[0-9]{1,3}$') && double(t) > 0.0))",
            "message": "each forecast type must be a quantile strictly between 0 and 1 such as \"0.1\", or mean"
        },
        {
            "rule": "self.all(t, self.exists_one(u, u == t))",
            "message": "forecast types must be unique"
        }
    ]))]
    pub forecast_types: Vec<String>,
    /// Columns of the target time series that, with `item_id`, identify a series (e.g.
    /// `store_id`); forecasts are made per item and dimension values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10), inner(length(min = 1, max = 63)))]
    pub forecast_dimensions: Vec<String>,
    /// AUTO (default), SEASONAL_NAIVE, NPTS, ETS, ARIMA, THETA, CROSTON or BOOSTED_TREES (the
    /// global model, which also reads related time series and item metadata); DEEPAR and
    /// CNN_QR are reserved, not available in this version.
    #[serde(default)]
    pub algorithm: ForecastAlgorithm,
    /// Algorithm-specific settings as strings (e.g. `seasonality: "168"`); see the docs of each algorithm.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub algorithm_parameters: BTreeMap<String, String>,
    /// Backtest windows and offset used to score versions.
    #[serde(default)]
    pub backtest: BacktestSpec,
    /// Aggregation to the forecast frequency and filling of missing values.
    #[serde(default)]
    pub featurization: Featurization,
    /// Metric AUTO optimises (its choice and ensemble weights): AverageWeightedQuantileLoss
    /// (default), WAPE, RMSE, MASE or MAPE. `kubectl get` shows the average wQL whatever it is.
    #[serde(default)]
    pub optimization_metric: OptimizationMetric,
    /// Retrain on a schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrain: Option<RetrainSpec>,
    /// Also copy each version's forecasts to this location (Amazon Forecast's forecast export
    /// job, made at every training). A version whose copy cannot be written fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<ForecastExport>,
    /// Where versions are stored; unset means the operator's default storage, under
    /// `<namespace>/predictor/<name>/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<StorageLocation>,
    /// Resources, placement and limits of the trainer Jobs.
    #[serde(default)]
    pub trainer: TrainerSpec,
    /// Whether deleting the Predictor deletes its artifacts (`Delete`) or keeps them (`Retain`, the default).
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

fn default_forecast_types() -> Vec<String> {
    vec!["0.1".into(), "0.5".into(), "0.9".into()]
}

/// Observed state of a Predictor.
pub type PredictorStatus = crate::TrainedModelStatus;
