//! Backtests the way Amazon Forecast ran them: 1–5 windows, the latest one `offset` points
//! before the end of each item's history, each earlier one a horizon further back; every
//! algorithm forecasts each window from the data before it and is scored on the window.
//! Filled points are left out of the scores (they are not observations). Results are kept
//! per algorithm, per window, per item and per velocity class, all as accumulators.

use rayon::prelude::*;

use super::metrics::{MetricAccumulator, mase_scale};
use super::{Algorithm, Covariates, Forecast, ForecastError, ForecastSpec, Series, global};

/// How to backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestConfig {
    /// Horizon, season and quantiles, as for the final forecast.
    pub spec: ForecastSpec,
    /// Number of windows, 1 to 5.
    pub windows: usize,
    /// Points between the end of the history and the start of the latest window;
    /// `None` means the horizon (Amazon Forecast's default). At least the horizon.
    pub offset: Option<usize>,
}

impl BacktestConfig {
    /// Checks windows and the spec.
    pub fn validate(&self) -> Result<(), ForecastError> {
        self.spec.validate()?;
        if !(1..=5).contains(&self.windows) {
            return Err(ForecastError::BadWindows(self.windows));
        }
        Ok(())
    }

    fn offset(&self) -> usize {
        self.offset.unwrap_or(self.spec.horizon).max(self.spec.horizon)
    }

    /// History an item needs to be backtested: every window plus two points to fit on.
    pub fn needed_history(&self) -> usize {
        self.offset() + (self.windows - 1) * self.spec.horizon + 2
    }

    /// Cutoff (length of the fitting history) of window `w` (0 = latest) for an item of length `n`.
    fn cutoff(&self, n: usize, w: usize) -> usize {
        n - self.offset() - w * self.spec.horizon
    }
}

/// Item velocity classes of the console's breakdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Velocity {
    /// Top third of mean demand among non-intermittent items.
    Fast,
    /// Middle third.
    Medium,
    /// Bottom third.
    Slow,
    /// Average interval between non-zero demands above 1.32 periods (Syntetos–Boylan).
    Intermittent,
}

impl Velocity {
    /// Name in `metrics.json`.
    pub fn name(self) -> &'static str {
        match self {
            Velocity::Fast => "fast",
            Velocity::Medium => "medium",
            Velocity::Slow => "slow",
            Velocity::Intermittent => "intermittent",
        }
    }
}

/// Classifies items by their histories: intermittent first, the rest by mean-demand terciles.
pub fn velocity_classes(histories: &[&[f64]]) -> Vec<Velocity> {
    let stats: Vec<(bool, f64)> = histories
        .iter()
        .map(|h| {
            let observed: Vec<f64> = h.iter().copied().filter(|v| v.is_finite()).collect();
            let nonzero = observed.iter().filter(|v| **v != 0.0).count();
            let adi = if nonzero == 0 { f64::INFINITY } else { observed.len() as f64 / nonzero as f64 };
            (adi > 1.32, super::stats::mean(&observed))
        })
        .collect();
    let mut means: Vec<f64> = stats.iter().filter(|(i, _)| !i).map(|(_, m)| *m).collect();
    super::stats::sort(&mut means);
    let lo = super::stats::sorted_quantile(&means, 1.0 / 3.0);
    let hi = super::stats::sorted_quantile(&means, 2.0 / 3.0);
    stats
        .into_iter()
        .map(|(intermittent, m)| {
            if intermittent {
                Velocity::Intermittent
            } else if m >= hi {
                Velocity::Fast
            } else if m >= lo {
                Velocity::Medium
            } else {
                Velocity::Slow
            }
        })
        .collect()
}

/// One item's results: per window, per algorithm, its forecast and score. Serializable so a
/// trainer shard can hand it to the merge.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ItemBacktest {
    /// Index of the item in the input.
    pub item: usize,
    /// `forecasts[w][a]`: window w (0 = latest), algorithm a; `None` if it failed.
    pub forecasts: Vec<Vec<Option<Forecast>>>,
    /// `scores[w][a]`: that forecast's metrics.
    pub scores: Vec<Vec<MetricAccumulator>>,
    /// The actual values of each window and which of them count.
    pub actuals: Vec<(Vec<f64>, Vec<bool>)>,
    /// MASE scale of each window's history.
    pub scales: Vec<Option<f64>>,
    /// Length of the history each window was forecast from.
    pub histories: Vec<usize>,
}

/// The results of a backtest.
#[derive(Debug, Clone)]
pub struct BacktestReport {
    /// Algorithms, in the order of every per-algorithm vector.
    pub algorithms: Vec<Algorithm>,
    /// Quantile levels.
    pub levels: Vec<f64>,
    /// Items backtested.
    pub items: Vec<ItemBacktest>,
    /// Items too short for the windows (left out).
    pub skipped: Vec<usize>,
    /// Velocity class of every input item.
    pub velocity: Vec<Velocity>,
    /// Number of windows.
    pub windows: usize,
    /// Steps ahead forecast in every window.
    pub horizon: usize,
    /// Season length the windows were forecast with.
    pub season: usize,
}

/// Forecasts and scores the global algorithms in every window of the backtested `items`:
/// per window, one model learned from every item's history before that item's cutoff.
/// `items[k].item` indexes `histories` (the items' values) and `covariates`; `seasons` are
/// the season lengths the global model uses as lags.
pub fn fill_global(
    items: &mut [ItemBacktest],
    histories: &[&[f64]],
    covariates: &Covariates,
    algorithms: &[Algorithm],
    config: &BacktestConfig,
    seasons: &[usize],
) -> Result<(), ForecastError> {
    for (a, _) in algorithms.iter().enumerate().filter(|(_, alg)| alg.is_global()) {
        for w in 0..config.windows {
            let mut cutoffs = vec![None; histories.len()];
            for it in items.iter() {
                if let (Some(c), Some(&cut)) = (cutoffs.get_mut(it.item), it.histories.get(w)) {
                    *c = Some(cut);
                }
            }
            let mut forecasts = global::forecast_items(histories, covariates, &cutoffs, &config.spec, seasons)?;
            for it in items.iter_mut() {
                let f = forecasts.get_mut(it.item).and_then(Option::take);
                let mut acc = MetricAccumulator::new(&config.spec.quantiles);
                if let Some(f) = &f {
                    let (actual, counted) = &it.actuals[w];
                    let skip: Vec<bool> = counted.iter().map(|c| !c).collect();
                    acc.add(f, actual, Some(&skip), it.scales[w])?;
                }
                it.forecasts[w][a] = f;
                it.scores[w][a] = acc;
            }
        }
    }
    Ok(())
}

/// Backtests `algorithms` on every item, in parallel over items. Global algorithms are left
/// without forecasts here (they need every item at once): see [`fill_global`].
pub fn backtest(
    series: &[Series],
    algorithms: &[Algorithm],
    config: &BacktestConfig,
) -> Result<BacktestReport, ForecastError> {
    config.validate()?;
    if algorithms.is_empty() {
        return Err(ForecastError::NoAlgorithms);
    }
    let levels = config.spec.quantiles.clone();
    let needed = config.needed_history();
    let results: Vec<Result<Option<ItemBacktest>, ForecastError>> = series
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            if s.values.len() < needed {
                return Ok(None);
            }
            let mut item = ItemBacktest {
                item: i,
                forecasts: Vec::with_capacity(config.windows),
                scores: Vec::with_capacity(config.windows),
                actuals: Vec::with_capacity(config.windows),
                scales: Vec::with_capacity(config.windows),
                histories: Vec::with_capacity(config.windows),
            };
            for w in 0..config.windows {
                let cut = config.cutoff(s.values.len(), w);
                let history = &s.values[..cut];
                let h = config.spec.horizon;
                let actual = s.values[cut..cut + h].to_vec();
                let counted: Vec<bool> = (cut..cut + h).map(|t| s.is_scored(t)).collect();
                let skip: Vec<bool> = counted.iter().map(|c| !c).collect();
                let scale = mase_scale(history, config.spec.season);
                let mut fcs = Vec::with_capacity(algorithms.len());
                let mut scores = Vec::with_capacity(algorithms.len());
                for alg in algorithms {
                    let mut acc = MetricAccumulator::new(&levels);
                    if alg.is_global() {
                        // Learned across items: [`fill_global`] forecasts it for all of them.
                        fcs.push(None);
                        scores.push(acc);
                        continue;
                    }
                    match alg.forecast(history, &config.spec) {
                        Ok(f) => {
                            acc.add(&f, &actual, Some(&skip), scale)?;
                            fcs.push(Some(f));
                        }
                        // A window whose history is all missing cannot be forecast by anyone.
                        Err(ForecastError::AllMissing) => fcs.push(None),
                        Err(e) => return Err(e),
                    }
                    scores.push(acc);
                }
                item.forecasts.push(fcs);
                item.scores.push(scores);
                item.actuals.push((actual, counted));
                item.scales.push(scale);
                item.histories.push(cut);
            }
            Ok(Some(item))
        })
        .collect();
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r? {
            Some(item) => items.push(item),
            None => skipped.push(i),
        }
    }
    if items.is_empty() {
        let longest = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
        return Err(ForecastError::HorizonTooLong { horizon: config.spec.horizon, history: longest, needed });
    }
    let histories: Vec<&[f64]> = series.iter().map(|s| s.values.as_slice()).collect();
    Ok(BacktestReport {
        algorithms: algorithms.to_vec(),
        levels,
        items,
        skipped,
        velocity: velocity_classes(&histories),
        windows: config.windows,
        horizon: config.spec.horizon,
        season: config.spec.season,
    })
}

impl BacktestReport {
    /// Metrics of algorithm `a` in window `w`, over all items.
    pub fn window_metrics(&self, a: usize, w: usize) -> MetricAccumulator {
        let mut acc = MetricAccumulator::new(&self.levels);
        for item in &self.items {
            // Same levels by construction: merge cannot fail.
            let _ = acc.merge(&item.scores[w][a]);
        }
        acc
    }

    /// Metrics of algorithm `a` over all windows.
    pub fn summary(&self, a: usize) -> MetricAccumulator {
        let mut acc = MetricAccumulator::new(&self.levels);
        for w in 0..self.windows {
            let _ = acc.merge(&self.window_metrics(a, w));
        }
        acc
    }

    /// Metrics of algorithm `a` per velocity class, over all windows.
    pub fn by_velocity(&self, a: usize) -> Vec<(Velocity, u64, MetricAccumulator)> {
        let mut out: Vec<(Velocity, u64, MetricAccumulator)> = Vec::new();
        for v in [Velocity::Fast, Velocity::Medium, Velocity::Slow, Velocity::Intermittent] {
            let mut acc = MetricAccumulator::new(&self.levels);
            let mut count = 0;
            for item in self.items.iter().filter(|i| self.velocity[i.item] == v) {
                count += 1;
                for w in 0..self.windows {
                    let _ = acc.merge(&item.scores[w][a]);
                }
            }
            if count > 0 {
                out.push((v, count, acc));
            }
        }
        out
    }

    /// The wire form of one algorithm's evaluation; `window_label(w)` names window w's
    /// first and last timestamps (the trainer knows the calendar, this crate does not).
    pub fn evaluation(
        &self,
        a: usize,
        window_label: &dyn Fn(usize) -> (String, String),
    ) -> seer_api::metrics::AlgorithmEvaluation {
        let windows: Vec<MetricAccumulator> = (0..self.windows).map(|w| self.window_metrics(a, w)).collect();
        evaluation_of(self.algorithms[a].name(), &self.levels, &windows, self.items.len(), window_label).0
    }
}

/// The wire form of an evaluation from its per-window accumulators (window 0 = the latest):
/// the `SUMMARY` over all windows first, then one `COMPUTED` entry per window. Also returns
/// the summary accumulator. Used for single algorithms and for AUTO's out-of-sample score.
pub fn evaluation_of(
    algorithm: &str,
    levels: &[f64],
    windows: &[MetricAccumulator],
    item_count: usize,
    window_label: &dyn Fn(usize) -> (String, String),
) -> (seer_api::metrics::AlgorithmEvaluation, MetricAccumulator) {
    let mut summary = MetricAccumulator::new(levels);
    for w in windows {
        // Same levels by construction: merge cannot fail.
        let _ = summary.merge(w);
    }
    let mut test_windows = Vec::with_capacity(windows.len() + 1);
    if !windows.is_empty() {
        test_windows.push(seer_api::metrics::TestWindow {
            test_window_start: window_label(windows.len() - 1).0,
            test_window_end: window_label(0).1,
            item_count: item_count as u64,
            evaluation_type: "SUMMARY".to_string(),
            metrics: summary.to_accuracy_metrics(),
        });
    }
    for (w, acc) in windows.iter().enumerate() {
        let (start, end) = window_label(w);
        test_windows.push(seer_api::metrics::TestWindow {
            test_window_start: start,
            test_window_end: end,
            item_count: item_count as u64,
            evaluation_type: "COMPUTED".to_string(),
            metrics: acc.to_accuracy_metrics(),
        });
    }
    (seer_api::metrics::AlgorithmEvaluation { algorithm: algorithm.to_string(), test_windows }, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_short_items() {
        let pat = [1.0, 2.0, 3.0, 4.0];
        let long = Series::new((0..40).map(|t| pat[t % 4]).collect());
        let short = Series::new(vec![1.0; 5]);
        let cfg = BacktestConfig {
            spec: ForecastSpec { horizon: 4, season: 4, quantiles: vec![0.1, 0.5, 0.9], long_season: None },
            windows: 3,
            offset: None,
        };
        let r = backtest(&[long, short], &[Algorithm::SeasonalNaive, Algorithm::Climatological], &cfg).expect("bt");
        assert_eq!(r.skipped, vec![1]);
        assert_eq!(r.items.len(), 1);
        // Seasonal naive is exact on a pure seasonal series, the climatological forecaster is not.
        assert_eq!(r.summary(0).average_wql(), Some(0.0));
        assert!(r.summary(1).average_wql().expect("wql") > 0.1);
        assert_eq!(r.summary(0).points, 12);
        let ev = r.evaluation(0, &|w| (format!("s{w}"), format!("e{w}")));
        assert_eq!(ev.test_windows.len(), 4);
        assert_eq!(ev.test_windows[0].evaluation_type, "SUMMARY");
    }

    #[test]
    fn filled_points_are_left_out() {
        let values: Vec<f64> = (0..20).map(|t| t as f64).collect();
        let mut filled = vec![false; 20];
        filled[19] = true;
        let s = Series { start: 0, values, filled: Some(filled) };
        let cfg = BacktestConfig {
            spec: ForecastSpec { horizon: 2, season: 1, quantiles: vec![0.5], long_season: None },
            windows: 1,
            offset: None,
        };
        let r = backtest(&[s], &[Algorithm::SeasonalNaive], &cfg).expect("bt");
        assert_eq!(r.summary(0).points, 1);
    }

    #[test]
    fn bad_configs_are_errors() {
        let s = Series::new(vec![1.0; 10]);
        let mut cfg = BacktestConfig {
            spec: ForecastSpec { horizon: 2, season: 1, quantiles: vec![0.5], long_season: None },
            windows: 6,
            offset: None,
        };
        assert_eq!(
            backtest(std::slice::from_ref(&s), &[Algorithm::Npts], &cfg).err(),
            Some(ForecastError::BadWindows(6))
        );
        cfg.windows = 1;
        cfg.spec.horizon = 20;
        assert!(matches!(
            backtest(std::slice::from_ref(&s), &[Algorithm::Npts], &cfg),
            Err(ForecastError::HorizonTooLong { .. })
        ));
        cfg.spec.horizon = 2;
        cfg.spec.quantiles = vec![1.5];
        assert_eq!(backtest(&[s], &[Algorithm::Npts], &cfg).err(), Some(ForecastError::QuantileOutOfRange(1.5)));
    }

    #[test]
    fn velocity_classes_by_demand() {
        let a = vec![100.0; 10];
        let b = vec![10.0; 10];
        let c = vec![1.0; 10];
        let d = vec![0.0, 0.0, 5.0, 0.0, 0.0, 3.0];
        let classes = velocity_classes(&[&a, &b, &c, &d]);
        assert_eq!(classes, vec![Velocity::Fast, Velocity::Medium, Velocity::Slow, Velocity::Intermittent]);
    }
}
