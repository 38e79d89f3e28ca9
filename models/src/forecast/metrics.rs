//! Amazon Forecast's accuracy metrics, kept as sums so shards merge exactly.
//!
//! Definitions (Amazon Forecast developer guide, "Evaluating predictor accuracy"):
//! - wQL\[τ\] = 2·Σ[τ·(y−q)⁺ + (1−τ)·(q−y)⁺] / Σ|y|, summed over items and time points;
//! - average wQL = mean of wQL over the quantiles;
//! - WAPE = Σ|y−ŷ| / Σ|y|; RMSE = √(Σ(y−ŷ)²/n);
//! - MASE = per item, mean|y−ŷ| over the horizon divided by the in-sample mean absolute
//!   seasonal-naive error (lag m), then averaged over items (as M4 scored it);
//! - MAPE = mean of |y−ŷ|/|y| over points with y ≠ 0.
//!
//! Each ratio is kept as numerator and denominator (MASE as a sum of per-item values and a
//! count), so adding two accumulators gives exactly the metrics of the union — never an
//! average of ratios.

use seer_api::metrics::{AccuracyMetrics, ErrorMetric, WeightedQuantileLoss};

use super::{Forecast, ForecastError};

/// The sums behind every metric of one evaluation (an algorithm on a window, a velocity
/// class, a shard). Add two with [`MetricAccumulator::merge`]. Serializable so shards can
/// hand their raw sums to the merge (never ratios).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricAccumulator {
    /// Quantile levels, in order.
    pub levels: Vec<f64>,
    /// Per level: Σ 2·[τ(y−q)⁺ + (1−τ)(q−y)⁺].
    pub quantile_loss: Vec<f64>,
    /// Per level: points where y ≤ q (calibration and interval coverage).
    pub below: Vec<u64>,
    /// Per level: points where y < q (with `below`, coverage of intervals that include
    /// their ends: many zero actuals sit exactly on a p10 of 0).
    pub below_strict: Vec<u64>,
    /// Σ|y|.
    pub abs_actual: f64,
    /// Σ|y−ŷ| of the mean forecast.
    pub abs_error: f64,
    /// Σ(y−ŷ)² of the mean forecast.
    pub sq_error: f64,
    /// Points scored.
    pub points: u64,
    /// Σ|y−ŷ|/|y| over points with y ≠ 0.
    pub ape_sum: f64,
    /// Points with y ≠ 0.
    pub ape_points: u64,
    /// Σ over items of that item's MASE (items whose scale is positive).
    pub mase_sum: f64,
    /// Items in `mase_sum`.
    pub mase_items: u64,
    /// Items scored (at least one point).
    pub items: u64,
}

impl MetricAccumulator {
    /// An empty accumulator for a quantile set.
    pub fn new(levels: &[f64]) -> Self {
        Self {
            levels: levels.to_vec(),
            quantile_loss: vec![0.0; levels.len()],
            below: vec![0; levels.len()],
            below_strict: vec![0; levels.len()],
            abs_actual: 0.0,
            abs_error: 0.0,
            sq_error: 0.0,
            points: 0,
            ape_sum: 0.0,
            ape_points: 0,
            mase_sum: 0.0,
            mase_items: 0,
            items: 0,
        }
    }

    /// Scores one item's forecast against its actuals. `actual[h]` that are NaN (missing)
    /// or marked in `skip` (filled) are left out. `scale` is the item's in-sample mean
    /// absolute seasonal-naive error (see [`mase_scale`]); `None` or 0 leaves the item out
    /// of MASE only (its MASE would be infinite).
    pub fn add(
        &mut self,
        forecast: &Forecast,
        actual: &[f64],
        skip: Option<&[bool]>,
        scale: Option<f64>,
    ) -> Result<(), ForecastError> {
        if actual.len() != forecast.horizon() {
            return Err(ForecastError::LengthMismatch { forecast: forecast.horizon(), actual: actual.len() });
        }
        if forecast.levels.len() != self.levels.len()
            || forecast.levels.iter().zip(&self.levels).any(|(a, b)| (a - b).abs() > 1e-12)
        {
            return Err(ForecastError::QuantileMismatch);
        }
        let mut item_abs = 0.0;
        let mut item_points = 0u64;
        for (h, &y) in actual.iter().enumerate() {
            if !y.is_finite() || skip.is_some_and(|s| s.get(h).copied().unwrap_or(false)) {
                continue;
            }
            for (k, &tau) in self.levels.iter().enumerate() {
                let q = forecast.quantiles[k][h];
                self.quantile_loss[k] += pinball2(tau, y, q);
                if y <= q {
                    self.below[k] += 1;
                    if y < q {
                        self.below_strict[k] += 1;
                    }
                }
            }
            let e = y - forecast.mean[h];
            self.abs_actual += y.abs();
            self.abs_error += e.abs();
            self.sq_error += e * e;
            self.points += 1;
            if y != 0.0 {
                self.ape_sum += (e / y).abs();
                self.ape_points += 1;
            }
            item_abs += e.abs();
            item_points += 1;
        }
        if item_points > 0 {
            self.items += 1;
            if let Some(s) = scale.filter(|s| *s > 0.0 && s.is_finite()) {
                self.mase_sum += item_abs / item_points as f64 / s;
                self.mase_items += 1;
            }
        }
        Ok(())
    }

    /// Adds another accumulator of the same quantile set (shards, windows, classes).
    pub fn merge(&mut self, other: &Self) -> Result<(), ForecastError> {
        if other.levels != self.levels {
            return Err(ForecastError::QuantileMismatch);
        }
        for (a, b) in self.quantile_loss.iter_mut().zip(&other.quantile_loss) {
            *a += b;
        }
        for (a, b) in self.below.iter_mut().zip(&other.below) {
            *a += b;
        }
        for (a, b) in self.below_strict.iter_mut().zip(&other.below_strict) {
            *a += b;
        }
        self.abs_actual += other.abs_actual;
        self.abs_error += other.abs_error;
        self.sq_error += other.sq_error;
        self.points += other.points;
        self.ape_sum += other.ape_sum;
        self.ape_points += other.ape_points;
        self.mase_sum += other.mase_sum;
        self.mase_items += other.mase_items;
        self.items += other.items;
        Ok(())
    }

    /// wQL per level; `None` when Σ|y| is 0 (the metric is undefined, as in Amazon Forecast).
    pub fn weighted_quantile_losses(&self) -> Vec<Option<f64>> {
        self.quantile_loss.iter().map(|l| ratio(*l, self.abs_actual)).collect()
    }

    /// Mean wQL over the levels.
    pub fn average_wql(&self) -> Option<f64> {
        let all: Option<Vec<f64>> = self.weighted_quantile_losses().into_iter().collect();
        all.filter(|v| !v.is_empty()).map(|v| v.iter().sum::<f64>() / v.len() as f64)
    }

    /// Σ|y−ŷ| / Σ|y|.
    pub fn wape(&self) -> Option<f64> {
        ratio(self.abs_error, self.abs_actual)
    }

    /// √(Σ(y−ŷ)²/n).
    pub fn rmse(&self) -> Option<f64> {
        (self.points > 0).then(|| (self.sq_error / self.points as f64).sqrt())
    }

    /// Mean over items of the per-item MASE.
    pub fn mase(&self) -> Option<f64> {
        (self.mase_items > 0).then(|| self.mase_sum / self.mase_items as f64)
    }

    /// Mean absolute percentage error over points with y ≠ 0.
    pub fn mape(&self) -> Option<f64> {
        (self.ape_points > 0).then(|| self.ape_sum / self.ape_points as f64)
    }

    /// Share of points at or below the quantile of `level` (its empirical coverage).
    pub fn share_below(&self, level: f64) -> Option<f64> {
        let k = self.levels.iter().position(|l| (l - level).abs() < 1e-12)?;
        (self.points > 0).then(|| self.below[k] as f64 / self.points as f64)
    }

    /// Share of points inside the closed interval [q_lo, q_hi] of two levels.
    pub fn coverage(&self, lo: f64, hi: f64) -> Option<f64> {
        let k_lo = self.levels.iter().position(|l| (l - lo).abs() < 1e-12)?;
        let k_hi = self.levels.iter().position(|l| (l - hi).abs() < 1e-12)?;
        (self.points > 0)
            .then(|| (self.below[k_hi] as f64 - self.below_strict[k_lo] as f64).max(0.0) / self.points as f64)
    }

    /// The wire form `metrics.json` carries, with the AWS names.
    pub fn to_accuracy_metrics(&self) -> AccuracyMetrics {
        AccuracyMetrics {
            weighted_quantile_losses: self
                .levels
                .iter()
                .zip(self.weighted_quantile_losses())
                .filter_map(|(q, l)| l.map(|loss_value| WeightedQuantileLoss { quantile: *q, loss_value }))
                .collect(),
            average_weighted_quantile_loss: self.average_wql(),
            error_metrics: vec![ErrorMetric {
                forecast_type: "mean".to_string(),
                wape: self.wape(),
                rmse: self.rmse(),
                mase: self.mase(),
                mape: self.mape(),
            }],
        }
    }
}

/// Twice the pinball loss of quantile `q` at level `tau` for actual `y`.
#[inline]
pub fn pinball2(tau: f64, y: f64, q: f64) -> f64 {
    let d = y - q;
    2.0 * if d >= 0.0 { tau * d } else { (tau - 1.0) * d }
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

/// The MASE scale of a history: mean |y_t − y_{t−m}| over the observed pairs. `None` when
/// there is no pair (history shorter than m + 1); falls back to m = 1 like M4 when the
/// history is shorter than two seasons would need.
pub fn mase_scale(history: &[f64], m: usize) -> Option<f64> {
    let m = if m == 0 || history.len() <= m { 1 } else { m };
    let (mut s, mut n) = (0.0, 0usize);
    for t in m..history.len() {
        let d = history[t] - history[t - m];
        if d.is_finite() {
            s += d.abs();
            n += 1;
        }
    }
    (n > 0).then(|| s / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(levels: &[f64], q: Vec<Vec<f64>>, mean: Vec<f64>) -> Forecast {
        Forecast { levels: levels.to_vec(), quantiles: q, mean }
    }

    #[test]
    fn hand_computed_values() {
        // y = [10, 0, 5]; p10 = [8, 1, 5]; p50 = [9, 0, 7]; mean = [9, 1, 6].
        let f = fc(&[0.1, 0.5], vec![vec![8.0, 1.0, 5.0], vec![9.0, 0.0, 7.0]], vec![9.0, 1.0, 6.0]);
        let mut acc = MetricAccumulator::new(&[0.1, 0.5]);
        acc.add(&f, &[10.0, 0.0, 5.0], None, Some(2.0)).expect("add");
        // p10: 2·[0.1·2 + 0.9·1 + 0] = 2.2 ; Σ|y| = 15 -> 0.146666…
        // p50: 2·[0.5·1 + 0 + 0.5·2] = 3.0 -> 0.2
        let w = acc.weighted_quantile_losses();
        assert!((w[0].expect("w") - 2.2 / 15.0).abs() < 1e-12);
        assert!((w[1].expect("w") - 0.2).abs() < 1e-12);
        assert!((acc.average_wql().expect("avg") - (2.2 / 15.0 + 0.2) / 2.0).abs() < 1e-12);
        // mean errors: 1, -1, -1 -> WAPE 3/15, RMSE 1, MAPE (0.1 + 0.2)/2, MASE (3/3)/2.
        assert!((acc.wape().expect("wape") - 0.2).abs() < 1e-12);
        assert!((acc.rmse().expect("rmse") - 1.0).abs() < 1e-12);
        assert!((acc.mape().expect("mape") - 0.15).abs() < 1e-12);
        assert!((acc.mase().expect("mase") - 0.5).abs() < 1e-12);
        assert_eq!(acc.share_below(0.5), Some(2.0 / 3.0));
        // [p10, p50] holds y = 5 (5 ≤ 5 ≤ 7) only: 10 > 9 and 0 < 1.
        assert_eq!(acc.coverage(0.1, 0.5), Some(1.0 / 3.0));
    }

    #[test]
    fn merging_adds_sums_not_ratios() {
        let f1 = fc(&[0.5], vec![vec![0.0]], vec![0.0]);
        let f2 = fc(&[0.5], vec![vec![0.0]], vec![0.0]);
        let mut a = MetricAccumulator::new(&[0.5]);
        a.add(&f1, &[100.0], None, Some(1.0)).expect("add");
        let mut b = MetricAccumulator::new(&[0.5]);
        b.add(&f2, &[1.0], None, Some(1.0)).expect("add");
        let mut whole = MetricAccumulator::new(&[0.5]);
        whole.add(&f1, &[100.0], None, Some(1.0)).expect("add");
        whole.add(&f2, &[1.0], None, Some(1.0)).expect("add");
        a.merge(&b).expect("merge");
        assert_eq!(a, whole);
        // wQL of the union is 101/101 = 1 (both ratios are 1 here); WAPE likewise; MASE averages items.
        assert!((a.wape().expect("wape") - 1.0).abs() < 1e-12);
        assert!((a.mase().expect("mase") - 50.5).abs() < 1e-12);
    }

    #[test]
    fn skipped_and_missing_points_are_left_out() {
        let f = fc(&[0.5], vec![vec![1.0, 1.0, 1.0]], vec![1.0, 1.0, 1.0]);
        let mut acc = MetricAccumulator::new(&[0.5]);
        acc.add(&f, &[2.0, f64::NAN, 50.0], Some(&[false, false, true]), None).expect("add");
        assert_eq!(acc.points, 1);
        assert_eq!(acc.wape(), Some(0.5));
        assert_eq!(acc.mase(), None);
    }

    #[test]
    fn zero_actuals_give_undefined_ratios_not_nan() {
        let f = fc(&[0.5], vec![vec![1.0]], vec![1.0]);
        let mut acc = MetricAccumulator::new(&[0.5]);
        acc.add(&f, &[0.0], None, Some(1.0)).expect("add");
        assert_eq!(acc.wape(), None);
        assert_eq!(acc.average_wql(), None);
        assert_eq!(acc.mape(), None);
        assert_eq!(acc.rmse(), Some(1.0));
    }

    #[test]
    fn mismatches_are_errors() {
        let f = fc(&[0.5], vec![vec![1.0]], vec![1.0]);
        let mut acc = MetricAccumulator::new(&[0.1]);
        assert_eq!(acc.add(&f, &[1.0], None, None), Err(ForecastError::QuantileMismatch));
        let mut acc = MetricAccumulator::new(&[0.5]);
        assert!(matches!(acc.add(&f, &[1.0, 2.0], None, None), Err(ForecastError::LengthMismatch { .. })));
    }

    #[test]
    fn mase_scale_is_seasonal_naive_error() {
        let y = [1.0, 2.0, 4.0, 3.0, 6.0];
        assert_eq!(mase_scale(&y, 2), Some((3.0 + 1.0 + 2.0) / 3.0));
        assert_eq!(mase_scale(&y, 10), Some((1.0 + 2.0 + 1.0 + 3.0) / 4.0));
    }
}
