//! AUTO: per item, a weighted ensemble of the algorithms that did best in its backtests.
//!
//! Like Amazon Forecast's AutoPredictor, the choice is made per item on the optimization
//! metric. One short window is a noisy judge of one item, so each item's relative scores are
//! shrunk towards the algorithms' scores over all items before the best `top_k` are kept;
//! they are weighted by inverse score and combined by averaging their quantiles (which keeps
//! quantiles ordered and is the combination that provably does no worse in pinball loss than
//! the members' weighted average loss).

use rayon::prelude::*;

use super::backtest::BacktestReport;
use super::metrics::MetricAccumulator;
use super::{Algorithm, Forecast, ForecastError, ForecastSpec, Series};

/// The metric AUTO optimises (a Predictor's `optimizationMetric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OptimizationMetric {
    /// Average weighted quantile loss (Amazon Forecast's default).
    #[default]
    AverageWeightedQuantileLoss,
    /// WAPE of the mean.
    Wape,
    /// RMSE of the mean.
    Rmse,
    /// MASE of the mean.
    Mase,
    /// MAPE of the mean.
    Mape,
}

impl OptimizationMetric {
    /// The AWS name.
    pub fn name(self) -> &'static str {
        match self {
            Self::AverageWeightedQuantileLoss => "AverageWeightedQuantileLoss",
            Self::Wape => "WAPE",
            Self::Rmse => "RMSE",
            Self::Mase => "MASE",
            Self::Mape => "MAPE",
        }
    }

    /// One item's score (lower is better). Within an item the denominators of wQL and WAPE
    /// are the same for every algorithm, so the numerators rank them, and stay defined when
    /// the item sold nothing in the window.
    fn item_score(self, acc: &MetricAccumulator) -> f64 {
        match self {
            Self::AverageWeightedQuantileLoss => acc.quantile_loss.iter().sum(),
            Self::Wape => acc.abs_error,
            Self::Rmse => acc.sq_error,
            Self::Mase => acc.mase_sum + acc.abs_error * f64::EPSILON,
            Self::Mape => acc.ape_sum + acc.abs_error * f64::EPSILON,
        }
    }
}

/// How AUTO chooses.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoConfig {
    /// The metric to optimise.
    pub metric: OptimizationMetric,
    /// Members per item.
    pub top_k: usize,
    /// Weight (0..1) of the all-items ranking against the item's own.
    pub shrinkage: f64,
}

impl Default for AutoConfig {
    fn default() -> Self {
        Self { metric: OptimizationMetric::default(), top_k: 3, shrinkage: 0.5 }
    }
}

/// The chosen members and weights of every item.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoModel {
    /// `weights[item]`: (algorithm, weight) pairs, weights summing to 1.
    pub weights: Vec<Vec<(Algorithm, f64)>>,
}

/// Per-item relative scores (each algorithm's score over the item's mean score) of the
/// given windows, or `None` when no window of the item could be scored.
fn relative_scores(report: &BacktestReport, item: usize, metric: OptimizationMetric, windows: &[usize]) -> Vec<f64> {
    let it = &report.items[item];
    let raw: Vec<f64> = (0..report.algorithms.len())
        .map(|a| {
            let mut failed = false;
            let s: f64 = windows
                .iter()
                .map(|&w| {
                    failed |= it.forecasts[w][a].is_none();
                    metric.item_score(&it.scores[w][a])
                })
                .sum();
            if failed { f64::INFINITY } else { s }
        })
        .collect();
    let finite: Vec<f64> = raw.iter().copied().filter(|v| v.is_finite()).collect();
    let mean = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
    raw.iter().map(|v| if mean > 0.0 { v / mean } else if v.is_finite() { 1.0 } else { f64::INFINITY }).collect()
}

/// Weights of every backtested item (in report order) from the given windows.
fn choose(report: &BacktestReport, config: &AutoConfig, windows: &[usize]) -> Vec<Vec<(usize, f64)>> {
    let n_alg = report.algorithms.len();
    let rel: Vec<Vec<f64>> =
        (0..report.items.len()).map(|i| relative_scores(report, i, config.metric, windows)).collect();
    let mut global = vec![0.0; n_alg];
    for a in 0..n_alg {
        let vals: Vec<f64> = rel.iter().map(|r| r[a]).filter(|v| v.is_finite()).collect();
        global[a] = if vals.is_empty() { f64::INFINITY } else { vals.iter().sum::<f64>() / vals.len() as f64 };
    }
    let lambda = config.shrinkage.clamp(0.0, 1.0);
    rel.iter()
        .map(|r| {
            let mut scored: Vec<(usize, f64)> =
                (0..n_alg).map(|a| (a, (1.0 - lambda) * r[a] + lambda * global[a])).filter(|(_, s)| s.is_finite()).collect();
            scored.sort_by(|x, y| x.1.total_cmp(&y.1));
            scored.truncate(config.top_k.max(1));
            match scored.first() {
                Some(&(a, s)) if s <= 1e-12 => vec![(a, 1.0)],
                _ => {
                    let total: f64 = scored.iter().map(|(_, s)| 1.0 / s).sum();
                    scored.into_iter().map(|(a, s)| (a, (1.0 / s) / total)).collect()
                }
            }
        })
        .collect()
}

impl AutoModel {
    /// Chooses members and weights per item from a backtest of the candidates. Items the
    /// backtest skipped (too short) get the algorithms that did best over all items.
    pub fn from_backtest(report: &BacktestReport, n_items: usize, config: &AutoConfig) -> Self {
        let windows: Vec<usize> = (0..report.windows).collect();
        let chosen = choose(report, config, &windows);
        let mut fallback: Vec<(usize, f64)> = (0..report.algorithms.len())
            .map(|a| {
                let s = report.summary(a);
                (a, config.metric.item_score(&s))
            })
            .collect();
        fallback.sort_by(|x, y| x.1.total_cmp(&y.1));
        fallback.truncate(1);
        let mut weights = vec![vec![(report.algorithms[fallback[0].0], 1.0)]; n_items];
        for (item, w) in report.items.iter().zip(chosen) {
            if item.item < n_items {
                weights[item.item] = w.into_iter().map(|(a, x)| (report.algorithms[a], x)).collect();
            }
        }
        Self { weights }
    }

    /// Forecasts every item with its ensemble, in parallel.
    pub fn forecast_all(&self, series: &[Series], spec: &ForecastSpec) -> Vec<Result<Forecast, ForecastError>> {
        series.par_iter().enumerate().map(|(i, s)| self.forecast(i, &s.values, spec)).collect()
    }

    /// Forecasts one item with its ensemble.
    pub fn forecast(&self, item: usize, history: &[f64], spec: &ForecastSpec) -> Result<Forecast, ForecastError> {
        let members = self.weights.get(item).ok_or(ForecastError::NoAlgorithms)?;
        let mut fcs = Vec::with_capacity(members.len());
        for (alg, w) in members {
            fcs.push((alg.forecast(history, spec)?, *w));
        }
        let refs: Vec<(&Forecast, f64)> = fcs.iter().map(|(f, w)| (f, *w)).collect();
        Forecast::weighted(&refs).ok_or(ForecastError::NoAlgorithms)
    }

    /// AUTO's own backtest score: with two or more windows, each window is scored with
    /// weights chosen on the other windows (so the score is out of sample); with one window
    /// the choice and the score share it and the score is optimistic.
    pub fn evaluate(report: &BacktestReport, config: &AutoConfig) -> Vec<MetricAccumulator> {
        (0..report.windows)
            .map(|w| {
                let others: Vec<usize> = (0..report.windows).filter(|x| *x != w).collect();
                let pick = if others.is_empty() { vec![w] } else { others };
                let chosen = choose(report, config, &pick);
                let mut acc = MetricAccumulator::new(&report.levels);
                for (item, weights) in report.items.iter().zip(chosen) {
                    let members: Vec<(&Forecast, f64)> = weights
                        .iter()
                        .filter_map(|(a, x)| item.forecasts[w][*a].as_ref().map(|f| (f, *x)))
                        .collect();
                    if let Some(f) = Forecast::weighted(&members) {
                        let (actual, counted) = &item.actuals[w];
                        let skip: Vec<bool> = counted.iter().map(|c| !c).collect();
                        let _ = acc.add(&f, actual, Some(&skip), item.scales[w]);
                    }
                }
                acc
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{BacktestConfig, backtest};

    #[test]
    fn auto_picks_the_right_model_per_item() {
        // Item 0 is purely seasonal (seasonal naive is exact); item 1 is a constant level
        // with rare spikes, where the climatological median is right and seasonal naive is not.
        let pat = [1.0, 9.0, 4.0, 6.0];
        let seasonal = Series::new((0..64).map(|t| 10.0 + pat[t % 4]).collect());
        let spiky = Series::new((0..64).map(|t| if t % 7 == 0 { 50.0 } else { 5.0 }).collect());
        let spec = ForecastSpec { horizon: 4, season: 4, quantiles: vec![0.1, 0.5, 0.9] };
        let cfg = BacktestConfig { spec: spec.clone(), windows: 3, offset: None };
        let algs = [Algorithm::SeasonalNaive, Algorithm::Climatological];
        let items = [seasonal, spiky];
        let report = backtest(&items, &algs, &cfg).expect("bt");
        let auto = AutoModel::from_backtest(&report, 2, &AutoConfig { top_k: 1, shrinkage: 0.0, ..Default::default() });
        assert_eq!(auto.weights[0], vec![(Algorithm::SeasonalNaive, 1.0)]);
        assert_eq!(auto.weights[1], vec![(Algorithm::Climatological, 1.0)]);
        let f = auto.forecast_all(&items, &spec);
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|r| r.is_ok()));
    }
}
