//! AUTO: a weighted ensemble of the algorithms, chosen on backtests by the optimization metric.
//!
//! Like Amazon Forecast's AutoPredictor the choice is per item, but through the item's
//! velocity class (fast, medium, slow, intermittent): measured on the shared datasets, one
//! short backtest window is too noisy a judge of a single item (per-item picks lost to the
//! best single model), while a class has enough items to judge well and still separates the
//! items that need intermittent-demand methods from those that need seasonal ones. Per class,
//! greedy ensemble selection (Caruana et al. 2004) adds, round by round, the member that
//! lowers the backtest loss of the combined forecast most, and keeps the best round; members
//! are combined by averaging their quantiles, which keeps quantiles ordered and never loses
//! to the members' weighted average pinball loss (the loss is convex in the quantile).

use rayon::prelude::*;

use super::backtest::{BacktestReport, ItemBacktest, Velocity};
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
}

/// How AUTO chooses.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoConfig {
    /// The metric to optimise.
    pub metric: OptimizationMetric,
    /// One ensemble per velocity class (otherwise one for all items).
    pub per_class: bool,
}

impl Default for AutoConfig {
    fn default() -> Self {
        Self { metric: OptimizationMetric::default(), per_class: true }
    }
}

/// The chosen members and weights of every item.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoModel {
    /// `weights[item]`: (algorithm, weight) pairs, weights summing to 1.
    pub weights: Vec<Vec<(Algorithm, f64)>>,
}

/// Rounds of greedy ensemble selection (Caruana et al. 2004): each round adds one member
/// (repeats allowed), so weights are multiples of 1/ROUNDS.
const ROUNDS: usize = 20;
/// The first rounds take the best single algorithms in order, this many, before greedy
/// additions start ("sorted ensemble initialization", Caruana et al. 2004): the greedy path
/// then starts from a mix rather than from the one member that happened to fit a short
/// window best. The best round is still the one kept, so the ensemble never loses to the
/// best single member on the windows it was chosen on. Measured on the shared datasets with
/// one backtest window: avg wQL lower or equal on all six sets (stallion 0.1089 → 0.1081,
/// bike_sharing 0.3237 → 0.3220, m4_weekly 0.0348 → 0.0347).
const SORTED_INIT: usize = 3;
/// Velocity classes with fewer backtested items than this use the all-items ensemble.
const MIN_CLASS_ITEMS: usize = 30;

/// Whether window `w` of an item judges the algorithms fairly enough to choose by: the
/// latest window always does (every item keeps one); an earlier one only when its history
/// holds two seasons and a horizon. On shorter histories the seasonal models and ARIMA
/// fall back to simple forms or fit on a few points, so such windows judge models the final
/// fit (on the whole history) will not use. Measured on the shared datasets: on M4 weekly
/// (80 to 2597 weeks, m = 52) every item's second window with this rule beat one window for
/// all, and beat two windows for all (short items' second window is misleading).
fn informative(report: &BacktestReport, it: &ItemBacktest, w: usize) -> bool {
    w == 0 || it.histories.get(w).is_some_and(|n| *n >= report.horizon + 2 * report.season)
}

impl OptimizationMetric {
    /// Loss of one forecast on one window, in units every item of a dataset shares, so
    /// that summing over items gives the metric's numerator.
    fn window_loss(self, f: &Forecast, actual: &[f64], counted: &[bool], levels: &[f64], scale: Option<f64>) -> f64 {
        let mut loss = 0.0;
        let mut n = 0usize;
        for (h, (&y, &c)) in actual.iter().zip(counted).enumerate() {
            if !c {
                continue;
            }
            n += 1;
            let e = (y - f.mean[h]).abs();
            loss += match self {
                Self::AverageWeightedQuantileLoss => {
                    levels.iter().zip(&f.quantiles).map(|(tau, q)| super::metrics::pinball2(*tau, y, q[h])).sum()
                }
                Self::Wape => e,
                Self::Rmse => e * e,
                Self::Mase => e / scale.filter(|s| *s > 0.0).unwrap_or(1.0),
                Self::Mape => {
                    if y != 0.0 {
                        e / y.abs()
                    } else {
                        0.0
                    }
                }
            };
        }
        if self == Self::Mase && n > 0 { loss / n as f64 } else { loss }
    }
}

/// Greedy ensemble selection over the given items and windows: start empty, add the
/// algorithm that lowers the combined forecast's loss most, `ROUNDS` times. Returns
/// (algorithm index, weight) pairs, or `None` when no item has an informative window among
/// `windows` to judge by.
fn select(
    report: &BacktestReport,
    items: &[usize],
    windows: &[usize],
    metric: OptimizationMetric,
) -> Option<Vec<(usize, f64)>> {
    let n_alg = report.algorithms.len();
    // Every algorithm must have forecast every chosen item-window to be combinable there.
    let mut counts = vec![0usize; n_alg];
    // Running sums of the ensemble's quantiles and means per (item, window).
    let mut sums: Vec<Forecast> = Vec::with_capacity(items.len() * windows.len());
    let mut keys: Vec<(usize, usize)> = Vec::with_capacity(items.len() * windows.len());
    for &i in items {
        for &w in windows {
            let it = &report.items[i];
            if !informative(report, it, w) {
                continue;
            }
            if let Some(Some(f)) = it.forecasts[w].first() {
                let h = f.horizon();
                sums.push(Forecast {
                    levels: f.levels.clone(),
                    quantiles: vec![vec![0.0; h]; f.levels.len()],
                    mean: vec![0.0; h],
                });
                keys.push((i, w));
            }
        }
    }
    if keys.is_empty() {
        return None;
    }
    let mut scratch: Option<Forecast> = None;
    let mut best_loss = f64::INFINITY;
    let mut best_counts = vec![0usize; n_alg];
    let init = SORTED_INIT.min(n_alg);
    let mut ranked: Vec<(usize, f64)> = Vec::new();
    for round in 0..ROUNDS {
        let mut best: Option<(usize, f64)> = None;
        let mut totals: Vec<(usize, f64)> = Vec::new();
        for a in 0..n_alg {
            let mut total = 0.0;
            let mut ok = true;
            for (sum, &(i, w)) in sums.iter().zip(&keys) {
                let it = &report.items[i];
                let Some(f) = &it.forecasts[w][a] else {
                    ok = false;
                    break;
                };
                let tmp = scratch.get_or_insert_with(|| f.clone());
                if tmp.horizon() != f.horizon() {
                    *tmp = f.clone();
                }
                let k = round as f64;
                for ((t, s), q) in tmp.quantiles.iter_mut().zip(&sum.quantiles).zip(&f.quantiles) {
                    for ((tv, sv), qv) in t.iter_mut().zip(s).zip(q) {
                        *tv = (sv + qv) / (k + 1.0);
                    }
                }
                for ((tv, sv), qv) in tmp.mean.iter_mut().zip(&sum.mean).zip(&f.mean) {
                    *tv = (sv + qv) / (k + 1.0);
                }
                let (actual, counted) = &it.actuals[w];
                total += metric.window_loss(tmp, actual, counted, &report.levels, it.scales[w]);
            }
            if ok && best.is_none_or(|(_, b)| total < b) {
                best = Some((a, total));
            }
            if ok {
                totals.push((a, total));
            }
        }
        if round == 0 {
            ranked = totals.clone();
            ranked.sort_by(|x, y| x.1.total_cmp(&y.1));
        }
        // Sorted initialization: round r < init adds the r-th best single algorithm.
        if round > 0 && round < init && round < ranked.len() {
            let forced = ranked[round].0;
            best = totals.iter().find(|(a, _)| *a == forced).copied();
        }
        let Some((a, loss)) = best else { break };
        counts[a] += 1;
        // Later rounds may overshoot; keep the best ensemble seen.
        if loss < best_loss {
            best_loss = loss;
            best_counts.copy_from_slice(&counts);
        }
        for (sum, &(i, w)) in sums.iter_mut().zip(&keys) {
            if let Some(f) = &report.items[i].forecasts[w][a] {
                for (s, q) in sum.quantiles.iter_mut().zip(&f.quantiles) {
                    s.iter_mut().zip(q).for_each(|(sv, qv)| *sv += qv);
                }
                sum.mean.iter_mut().zip(&f.mean).for_each(|(sv, qv)| *sv += qv);
            }
        }
    }
    let total: usize = best_counts.iter().sum();
    if total == 0 {
        return Some(vec![(0, 1.0)]);
    }
    Some(best_counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(a, c)| (a, *c as f64 / total as f64)).collect())
}

/// Weights of every backtested item (in report order), chosen on the given windows: one
/// ensemble per velocity class (so intermittent items get intermittent-demand members and
/// fast movers theirs), the all-items ensemble for classes too small to judge. `None` when
/// no item has an informative window among `windows`.
fn choose(report: &BacktestReport, config: &AutoConfig, windows: &[usize]) -> Option<Vec<Vec<(usize, f64)>>> {
    let all: Vec<usize> = (0..report.items.len()).collect();
    let global = select(report, &all, windows, config.metric)?;
    let mut by_class: std::collections::HashMap<super::backtest::Velocity, Vec<(usize, f64)>> =
        std::collections::HashMap::new();
    if config.per_class {
        for v in [Velocity::Fast, Velocity::Medium, Velocity::Slow, Velocity::Intermittent] {
            let members: Vec<usize> =
                all.iter().copied().filter(|&i| report.velocity[report.items[i].item] == v).collect();
            if members.len() >= MIN_CLASS_ITEMS
                && let Some(w) = select(report, &members, windows, config.metric)
            {
                by_class.insert(v, w);
            }
        }
    }
    Some(report.items.iter().map(|it| by_class.get(&report.velocity[it.item]).unwrap_or(&global).clone()).collect())
}

impl AutoModel {
    /// Chooses members and weights per item from a backtest of the candidates. Items the
    /// backtest skipped (too short) get the algorithms that did best over all items.
    pub fn from_backtest(report: &BacktestReport, n_items: usize, config: &AutoConfig) -> Self {
        let windows: Vec<usize> = (0..report.windows).collect();
        // Only when no item could be forecast by the first algorithm in any window (every
        // history all missing) is there nothing to choose by: that algorithm then stands alone.
        let chosen = choose(report, config, &windows).unwrap_or_else(|| vec![vec![(0, 1.0)]; report.items.len()]);
        let all: Vec<usize> = (0..report.items.len()).collect();
        let fallback: Vec<(Algorithm, f64)> = select(report, &all, &windows, config.metric)
            .unwrap_or_else(|| vec![(0, 1.0)])
            .into_iter()
            .map(|(a, x)| (report.algorithms[a], x))
            .collect();
        let mut weights = vec![fallback; n_items];
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
        self.forecast_with(item, history, spec, None)
    }

    /// Whether any item's ensemble has `algorithm` as a member.
    pub fn uses(&self, algorithm: Algorithm) -> bool {
        self.weights.iter().any(|members| members.iter().any(|(a, _)| *a == algorithm))
    }

    /// Forecasts one item with its ensemble, taking a global member's forecast from `global`
    /// (made by [`super::global::forecast_items`] over all items) instead of fitting it to
    /// this item alone.
    pub fn forecast_with(
        &self,
        item: usize,
        history: &[f64],
        spec: &ForecastSpec,
        global: Option<&Forecast>,
    ) -> Result<Forecast, ForecastError> {
        let members = self.weights.get(item).ok_or(ForecastError::NoAlgorithms)?;
        let mut fcs = Vec::with_capacity(members.len());
        for (alg, w) in members {
            match (alg.is_global(), global) {
                (true, Some(g)) => fcs.push((g.clone(), *w)),
                _ => fcs.push((alg.forecast(history, spec)?, *w)),
            }
        }
        let refs: Vec<(&Forecast, f64)> = fcs.iter().map(|(f, w)| (f, *w)).collect();
        Forecast::weighted(&refs).ok_or(ForecastError::NoAlgorithms)
    }

    /// Combines forecasts the members already made (e.g. when every algorithm was run
    /// anyway): `member(alg)` gives the item's forecast by `alg`.
    pub fn combine<'a>(&self, item: usize, member: impl Fn(Algorithm) -> Option<&'a Forecast>) -> Option<Forecast> {
        let members: Vec<(&Forecast, f64)> =
            self.weights.get(item)?.iter().map(|(a, w)| member(*a).map(|f| (f, *w))).collect::<Option<_>>()?;
        Forecast::weighted(&members)
    }

    /// AUTO's own backtest score: with two or more windows, each window is scored with
    /// weights chosen on the other windows (so the score is out of sample); with one window
    /// the choice and the score share it and the score is optimistic.
    pub fn evaluate(report: &BacktestReport, config: &AutoConfig) -> Vec<MetricAccumulator> {
        let mut windows = vec![MetricAccumulator::new(&report.levels); report.windows];
        Self::backtest_forecasts(report, config, |_, w, f, actual, skip, scale| {
            let _ = windows[w].add(f, actual, Some(skip), scale);
        });
        windows
    }

    /// The same score as [`AutoModel::evaluate`], all windows together, by velocity class
    /// (the classes with items, fastest first, with their item counts), like
    /// [`BacktestReport::by_velocity`] for one algorithm.
    pub fn evaluate_by_velocity(
        report: &BacktestReport,
        config: &AutoConfig,
    ) -> Vec<(Velocity, u64, MetricAccumulator)> {
        let classes = [Velocity::Fast, Velocity::Medium, Velocity::Slow, Velocity::Intermittent];
        let mut accs = vec![MetricAccumulator::new(&report.levels); classes.len()];
        let mut counts = [0u64; 4];
        for it in &report.items {
            if let Some(k) = classes.iter().position(|v| *v == report.velocity[it.item]) {
                counts[k] += 1;
            }
        }
        Self::backtest_forecasts(report, config, |item, _, f, actual, skip, scale| {
            if let Some(k) = classes.iter().position(|v| *v == report.velocity[item]) {
                let _ = accs[k].add(f, actual, Some(skip), scale);
            }
        });
        classes.into_iter().zip(counts).zip(accs).filter(|((_, n), _)| *n > 0).map(|((v, n), a)| (v, n, a)).collect()
    }

    /// Calls `sink(item, window, forecast, actual, skip, scale)` with AUTO's combined forecast
    /// of every backtested item and window, its weights chosen as [`AutoModel::evaluate`] says:
    /// what AUTO's backtest score is made of, for exporting it point by point.
    pub fn backtest_forecasts(
        report: &BacktestReport,
        config: &AutoConfig,
        mut sink: impl FnMut(usize, usize, &Forecast, &[f64], &[bool], Option<f64>),
    ) {
        for w in 0..report.windows {
            // Chosen on the other windows where they can judge (see `informative`), else in sample.
            let others: Vec<usize> = (0..report.windows).filter(|x| *x != w).collect();
            let chosen = choose(report, config, &others)
                .or_else(|| choose(report, config, &[w]))
                .unwrap_or_else(|| vec![vec![(0, 1.0)]; report.items.len()]);
            for (item, weights) in report.items.iter().zip(chosen) {
                let members: Vec<(&Forecast, f64)> =
                    weights.iter().filter_map(|(a, x)| item.forecasts[w][*a].as_ref().map(|f| (f, *x))).collect();
                if let Some(f) = Forecast::weighted(&members) {
                    let (actual, counted) = &item.actuals[w];
                    let skip: Vec<bool> = counted.iter().map(|c| !c).collect();
                    sink(item.item, w, &f, actual, &skip, item.scales[w]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{BacktestConfig, backtest};

    #[test]
    fn exact_model_gets_all_the_weight() {
        let pat = [1.0, 9.0, 4.0, 6.0];
        let items: Vec<Series> =
            (0..5).map(|k| Series::new((0..64).map(|t| 10.0 * k as f64 + pat[t % 4]).collect())).collect();
        let spec = ForecastSpec { horizon: 4, season: 4, quantiles: vec![0.1, 0.5, 0.9], long_season: None };
        let cfg = BacktestConfig { spec: spec.clone(), windows: 3, offset: None };
        let algs = [Algorithm::Climatological, Algorithm::SeasonalNaive, Algorithm::Npts];
        let report = backtest(&items, &algs, &cfg).expect("bt");
        let auto = AutoModel::from_backtest(&report, items.len(), &AutoConfig::default());
        assert_eq!(auto.weights[0], vec![(Algorithm::SeasonalNaive, 1.0)]);
        let f = auto.forecast_all(&items, &spec);
        assert!(f.iter().all(|r| r.is_ok()));
    }

    #[test]
    fn ensemble_is_no_worse_than_any_member_on_the_backtest() {
        let mut rng = crate::forecast::stats::Rng::new(8);
        let items: Vec<Series> = (0..40)
            .map(|k| {
                let mut level = 20.0;
                Series::new(
                    (0..80)
                        .map(|t| {
                            level += rng.uniform() - 0.5;
                            level + ((t + k) % 6) as f64 + 3.0 * rng.uniform()
                        })
                        .collect(),
                )
            })
            .collect();
        let spec = ForecastSpec { horizon: 6, season: 6, quantiles: vec![0.1, 0.5, 0.9], long_season: None };
        let cfg = BacktestConfig { spec, windows: 2, offset: None };
        let algs = [Algorithm::SeasonalNaive, Algorithm::Npts, Algorithm::Theta, Algorithm::Climatological];
        let report = backtest(&items, &algs, &cfg).expect("bt");
        // With the choice made on both windows, the ensemble's in-sample loss is at most the best member's.
        let config = AutoConfig { per_class: false, ..AutoConfig::default() };
        let auto = AutoModel::from_backtest(&report, items.len(), &config);
        let mut acc = crate::forecast::MetricAccumulator::new(&report.levels);
        for it in &report.items {
            for w in 0..2 {
                let f = auto
                    .combine(it.item, |a| algs.iter().position(|x| *x == a).and_then(|k| it.forecasts[w][k].as_ref()))
                    .expect("combine");
                let (y, c) = &it.actuals[w];
                let skip: Vec<bool> = c.iter().map(|v| !v).collect();
                acc.add(&f, y, Some(&skip), it.scales[w]).expect("add");
            }
        }
        let ens = acc.average_wql().expect("wql");
        for a in 0..algs.len() {
            assert!(ens <= report.summary(a).average_wql().expect("wql") + 1e-12);
        }
    }

    /// Constant forecasts (every quantile and the mean at `v`) for a hand-made report.
    fn flat(v: f64, h: usize) -> Forecast {
        Forecast { levels: vec![0.1, 0.5, 0.9], quantiles: vec![vec![v; h]; 3], mean: vec![v; h] }
    }

    #[test]
    fn windows_with_short_histories_do_not_choose() {
        // Two algorithms; in the latest window the second is exact, in the earlier window the
        // first is, by a wider margin. The earlier window's history (20 points) is shorter than
        // a horizon and two seasons (4 + 2 * 12), so only the latest window may choose.
        let h = 4;
        let items: Vec<ItemBacktest> = (0..5)
            .map(|item| ItemBacktest {
                item,
                forecasts: vec![
                    vec![Some(flat(12.0, h)), Some(flat(10.0, h))],
                    vec![Some(flat(10.0, h)), Some(flat(30.0, h))],
                ],
                scores: vec![vec![MetricAccumulator::new(&[0.1, 0.5, 0.9]); 2]; 2],
                actuals: vec![(vec![10.0; h], vec![true; h]), (vec![10.0; h], vec![true; h])],
                scales: vec![Some(1.0), Some(1.0)],
                histories: vec![24, 20],
            })
            .collect();
        let mut report = BacktestReport {
            algorithms: vec![Algorithm::SeasonalNaive, Algorithm::Ets],
            levels: vec![0.1, 0.5, 0.9],
            items,
            skipped: vec![],
            velocity: vec![Velocity::Fast; 5],
            windows: 2,
            horizon: h,
            season: 12,
        };
        let auto = AutoModel::from_backtest(&report, 5, &AutoConfig::default());
        assert_eq!(auto.weights[0], vec![(Algorithm::Ets, 1.0)]);
        // With a long enough history the earlier window counts, and its larger loss decides.
        for it in &mut report.items {
            it.histories = vec![44, 40];
        }
        let auto = AutoModel::from_backtest(&report, 5, &AutoConfig::default());
        assert_eq!(auto.weights[0], vec![(Algorithm::SeasonalNaive, 1.0)]);
        // The out-of-sample score of the latest window, chosen on the short earlier window
        // alone, falls back to choosing in sample rather than on nothing.
        for it in &mut report.items {
            it.histories = vec![24, 20];
        }
        let windows = AutoModel::evaluate(&report, &AutoConfig::default());
        assert_eq!(windows[0].average_wql(), Some(0.0));
        // By velocity: the same score, every item in its class once.
        let classes = AutoModel::evaluate_by_velocity(&report, &AutoConfig::default());
        assert_eq!(classes.len(), 1);
        assert_eq!((classes[0].0, classes[0].1), (Velocity::Fast, 5));
        let mut all = MetricAccumulator::new(&report.levels);
        for w in &windows {
            all.merge(w).expect("same levels");
        }
        assert_eq!(classes[0].2.average_wql(), all.average_wql());
    }

    #[test]
    fn beats_each_model_when_each_is_right_for_part_of_the_items() {
        // 90 smooth seasonal items (30 per demand tercile), where the seasonal naive forecast
        // is nearly exact, and 40 intermittent ones, where it is poor and Croston's method is
        // right; each model is wrong for the other part. Scored on a horizon after the history.
        let mut rng = crate::forecast::stats::Rng::new(11);
        let (h, m, n) = (6, 6, 72);
        let pat = [3.0, 8.0, 5.0, 9.0, 2.0, 6.0];
        let mut full: Vec<Vec<f64>> = (0..90)
            .map(|k| {
                let level = 10.0 * (1 + k / 30) as f64;
                (0..n + h).map(|t| level + pat[t % m] + 0.3 * rng.uniform()).collect()
            })
            .collect();
        full.extend((0..40).map(|_| {
            (0..n + h).map(|_| if rng.uniform() < 0.25 { 1.0 + (4.0 * rng.uniform()).floor() } else { 0.0 }).collect()
        }));
        let history: Vec<Series> = full.iter().map(|v| Series::new(v[..n].to_vec())).collect();
        let spec = ForecastSpec { horizon: h, season: m, quantiles: vec![0.1, 0.5, 0.9], long_season: None };
        let algs = [Algorithm::SeasonalNaive, Algorithm::Croston];
        let report =
            backtest(&history, &algs, &BacktestConfig { spec: spec.clone(), windows: 2, offset: None }).expect("bt");
        let auto = AutoModel::from_backtest(&report, history.len(), &AutoConfig::default());
        let future: Vec<Vec<Forecast>> =
            algs.iter().map(|a| history.iter().map(|s| a.forecast(&s.values, &spec).expect("fc")).collect()).collect();
        let score = |fcs: &[Forecast]| {
            let mut acc = crate::forecast::MetricAccumulator::new(&spec.quantiles);
            for (f, y) in fcs.iter().zip(&full) {
                acc.add(f, &y[n..], None, None).expect("add");
            }
            acc.average_wql().expect("wql")
        };
        let combined: Vec<Forecast> = (0..history.len())
            .map(|i| auto.combine(i, |a| algs.iter().position(|x| *x == a).map(|k| &future[k][i])).expect("combine"))
            .collect();
        let ens = score(&combined);
        for (a, fcs) in algs.iter().zip(&future) {
            assert!(ens < score(fcs), "AUTO {ens} vs {} {}", a.name(), score(fcs));
        }
    }
}
