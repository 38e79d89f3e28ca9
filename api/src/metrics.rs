//! `metrics.json`: accuracy of a version, with the names Amazon Forecast
//! (`GetAccuracyMetrics`) and Amazon Personalize (`DescribeSolutionVersion` metrics) use, so
//! dashboards and habits carry over.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Weighted quantile loss of one quantile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WeightedQuantileLoss {
    /// The quantile, e.g. 0.1.
    pub quantile: f64,
    /// 2·Σ[τ(y−q)⁺ + (1−τ)(q−y)⁺] / Σ|y|.
    pub loss_value: f64,
}

/// Point-error metrics of one forecast type (usually `mean` or a quantile used as the point forecast).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorMetric {
    /// Forecast type the errors are of (`mean`, `0.5`, ...).
    pub forecast_type: String,
    /// Σ|y−ŷ| / Σ|y|.
    #[serde(rename = "WAPE")]
    pub wape: Option<f64>,
    /// √(mean (y−ŷ)²).
    #[serde(rename = "RMSE")]
    pub rmse: Option<f64>,
    /// Mean absolute error scaled by the in-sample seasonal-naive error.
    #[serde(rename = "MASE")]
    pub mase: Option<f64>,
    /// Mean of |y−ŷ|/|y| over points with y ≠ 0.
    #[serde(rename = "MAPE")]
    pub mape: Option<f64>,
}

/// The metrics of one evaluation (a window, a summary, a velocity class).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccuracyMetrics {
    /// Per quantile.
    pub weighted_quantile_losses: Vec<WeightedQuantileLoss>,
    /// Mean of the weighted quantile losses.
    pub average_weighted_quantile_loss: Option<f64>,
    /// Point-error metrics.
    pub error_metrics: Vec<ErrorMetric>,
}

/// One backtest window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestWindow {
    /// First timestamp of the window.
    pub test_window_start: String,
    /// Last timestamp of the window.
    pub test_window_end: String,
    /// Series scored.
    pub item_count: u64,
    /// `SUMMARY` for the average over windows, `COMPUTED` for one window.
    pub evaluation_type: String,
    /// The metrics.
    pub metrics: AccuracyMetrics,
}

/// The evaluation of one algorithm (AUTO's ensemble is one too).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlgorithmEvaluation {
    /// Algorithm name (`ETS`, `AUTO`, ...).
    pub algorithm: String,
    /// Windows, the `SUMMARY` first.
    pub test_windows: Vec<TestWindow>,
}

/// Metrics of the items in one velocity class (how fast they sell or move).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VelocityMetrics {
    /// `fast`, `medium`, `slow` or `intermittent`.
    pub velocity: String,
    /// Items in the class.
    pub item_count: u64,
    /// Their metrics over all windows.
    pub metrics: AccuracyMetrics,
}

/// `metrics.json` of a Predictor version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForecastMetrics {
    /// The metric AUTO optimised.
    pub optimization_metric: String,
    /// Algorithm that was chosen (or `AUTO`).
    pub algorithm: String,
    /// Summary metrics of the chosen algorithm.
    pub summary: AccuracyMetrics,
    /// Every algorithm that was evaluated.
    pub predictor_evaluation_results: Vec<AlgorithmEvaluation>,
    /// Chosen algorithm's metrics by item velocity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub velocity_breakdown: Vec<VelocityMetrics>,
}

/// `metrics.json` of a Solution version, with Personalize's metric names, plus any
/// further metrics by name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecommendationMetrics {
    /// Share of the catalog that appears in some recommendation list.
    pub coverage: f64,
    /// Mean reciprocal rank of the first relevant item within the top 25.
    pub mean_reciprocal_rank_at_25: f64,
    /// NDCG at 5.
    pub normalized_discounted_cumulative_gain_at_5: f64,
    /// NDCG at 10.
    pub normalized_discounted_cumulative_gain_at_10: f64,
    /// NDCG at 25.
    pub normalized_discounted_cumulative_gain_at_25: f64,
    /// Precision at 5.
    pub precision_at_5: f64,
    /// Precision at 10.
    pub precision_at_10: f64,
    /// Precision at 25.
    pub precision_at_25: f64,
    /// Other metrics (baselines, per-segment figures).
    #[serde(default, flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl ForecastMetrics {
    /// The headline figures a resource's status shows, by AWS name.
    pub fn headline(&self) -> BTreeMap<String, f64> {
        headline_of(&self.summary)
    }
}

/// The headline figures of one set of metrics: wQL average and the errors of the first
/// error-metric entry (the point forecast).
pub fn headline_of(metrics: &AccuracyMetrics) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    if let Some(v) = metrics.average_weighted_quantile_loss {
        out.insert("AverageWeightedQuantileLoss".to_string(), v);
    }
    if let Some(e) = metrics.error_metrics.first() {
        for (name, value) in [("WAPE", e.wape), ("RMSE", e.rmse), ("MASE", e.mase), ("MAPE", e.mape)] {
            if let Some(v) = value {
                out.insert(name.to_string(), v);
            }
        }
    }
    out
}

impl RecommendationMetrics {
    /// The headline figures a resource's status shows, by Personalize name.
    pub fn headline(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("coverage".to_string(), self.coverage),
            ("mean_reciprocal_rank_at_25".to_string(), self.mean_reciprocal_rank_at_25),
            (
                "normalized_discounted_cumulative_gain_at_10".to_string(),
                self.normalized_discounted_cumulative_gain_at_10,
            ),
            ("precision_at_10".to_string(), self.precision_at_10),
        ])
    }
}
