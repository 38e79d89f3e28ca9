//! Probabilistic forecasting: models, AUTO ensemble, backtests and Amazon Forecast's
//! accuracy metrics, on in-memory series.
//!
//! The shape of the module follows what the trainer needs: a [`Series`] per item (NaN where
//! a value is missing, a mask for values the featurization filled), an [`Algorithm`] that
//! turns a history into a [`Forecast`] (any set of quantiles plus the mean), [`backtest()`]s
//! that score algorithms the way Amazon Forecast did, and [`auto`] that combines them per item.
//! Every score is kept as sums ([`metrics::MetricAccumulator`]) so that shards trained apart
//! merge exactly by adding them.

pub mod arima;
pub mod auto;
pub mod backtest;
mod boost;
pub mod covariates;
pub mod ets;
pub mod global;
pub mod intermittent;
pub mod metrics;
pub mod model;
pub mod naive;
pub mod npts;
mod optim;
pub mod stats;
pub mod theta;

pub use auto::{AutoConfig, AutoModel};
pub use backtest::{BacktestConfig, BacktestReport, backtest};
pub use covariates::Covariates;
pub use metrics::MetricAccumulator;
pub use model::{Algorithm, ForecastSpec};

/// Why a forecast or a score could not be made. Every variant is a problem of the input,
/// so the trainer can name the item and field and stop before writing an artifact.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    /// The history has no values at all.
    #[error("the series is empty")]
    EmptySeries,
    /// Every value in the history is missing.
    #[error("the series has no observed value (all NaN)")]
    AllMissing,
    /// A non-finite value other than NaN (which means missing) was given.
    #[error("value at index {index} is infinite")]
    Infinite { index: usize },
    /// The forecast horizon is zero.
    #[error("the forecast horizon must be at least 1")]
    ZeroHorizon,
    /// The history is too short for the horizon and backtest windows asked for.
    #[error("horizon {horizon} is too long for a history of {history} points (needs at least {needed})")]
    HorizonTooLong { horizon: usize, history: usize, needed: usize },
    /// A quantile outside the open interval (0, 1), or not a number.
    #[error("quantile {0} is outside (0, 1)")]
    QuantileOutOfRange(f64),
    /// No quantile asked for.
    #[error("at least one quantile is needed")]
    NoQuantiles,
    /// Season length zero.
    #[error("the season length must be at least 1")]
    ZeroSeason,
    /// Backtest windows outside 1..=5 (Amazon Forecast's range).
    #[error("backtest windows must be 1 to 5, got {0}")]
    BadWindows(usize),
    /// Accumulators of different quantile sets cannot be merged.
    #[error("cannot merge metrics of different quantile sets")]
    QuantileMismatch,
    /// Forecast and actuals have different lengths.
    #[error("forecast has {forecast} steps but {actual} actual values were given")]
    LengthMismatch { forecast: usize, actual: usize },
    /// No algorithm to evaluate or combine.
    #[error("no algorithm given")]
    NoAlgorithms,
}

/// One item's target history on a regular grid.
///
/// Missing values are NaN (models skip or interpolate them). `filled` marks values that the
/// featurization filled in (Amazon Forecast's `filling`): models train on them, but backtests
/// leave them out of every score, as Amazon Forecast did, because they are not observations.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Index of the first value on the forecast-frequency grid (periods since an epoch the
    /// caller chooses); it only matters to line series up with calendars.
    pub start: i64,
    /// Values, NaN where missing.
    pub values: Vec<f64>,
    /// Same length as `values` when present: `true` where the value was filled.
    pub filled: Option<Vec<bool>>,
}

impl Series {
    /// A series of observed values starting at period 0.
    pub fn new(values: Vec<f64>) -> Self {
        Self { start: 0, values, filled: None }
    }

    /// Checks the history is usable: not empty, not all missing, no infinities.
    pub fn validate(&self) -> Result<(), ForecastError> {
        validate_values(&self.values)
    }

    /// Whether the point at `i` counts in scores (observed and not filled).
    pub fn is_scored(&self, i: usize) -> bool {
        let observed = self.values.get(i).is_some_and(|v| v.is_finite());
        let filled = self.filled.as_ref().and_then(|f| f.get(i).copied()).unwrap_or(false);
        observed && !filled
    }
}

pub(crate) fn validate_values(values: &[f64]) -> Result<(), ForecastError> {
    if values.is_empty() {
        return Err(ForecastError::EmptySeries);
    }
    if let Some(index) = values.iter().position(|v| v.is_infinite()) {
        return Err(ForecastError::Infinite { index });
    }
    if values.iter().all(|v| v.is_nan()) {
        return Err(ForecastError::AllMissing);
    }
    Ok(())
}

/// Checks a quantile set: non-empty, each in (0, 1).
pub fn validate_quantiles(quantiles: &[f64]) -> Result<(), ForecastError> {
    if quantiles.is_empty() {
        return Err(ForecastError::NoQuantiles);
    }
    match quantiles.iter().find(|q| !(**q > 0.0 && **q < 1.0)) {
        Some(q) => Err(ForecastError::QuantileOutOfRange(*q)),
        None => Ok(()),
    }
}

/// A probabilistic forecast of one item: per forecast type, one value per step ahead.
/// Serializable so a trainer shard can hand its forecasts to the merge.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Forecast {
    /// The quantile levels, in the order asked for.
    pub levels: Vec<f64>,
    /// `quantiles[k][h]`: the `levels[k]` quantile at `h + 1` steps ahead.
    pub quantiles: Vec<Vec<f64>>,
    /// The mean at each step ahead.
    pub mean: Vec<f64>,
}

impl Forecast {
    /// Number of steps ahead.
    pub fn horizon(&self) -> usize {
        self.mean.len()
    }

    /// The forecast of a quantile level, if it was asked for.
    pub fn quantile(&self, level: f64) -> Option<&[f64]> {
        self.levels.iter().position(|l| (l - level).abs() < 1e-12).map(|k| self.quantiles[k].as_slice())
    }

    /// Builds a Gaussian forecast: `mean ± z(τ)·sd` per step. Quantiles are sorted per step
    /// so they never cross, and floored at zero when `non_negative` (counts, sales), which
    /// only moves quantiles that would be impossible anyway.
    pub(crate) fn gaussian(levels: &[f64], mean: Vec<f64>, sd: &[f64], non_negative: bool) -> Self {
        let quantiles = levels
            .iter()
            .map(|&tau| {
                let z = stats::normal_quantile(tau);
                mean.iter()
                    .zip(sd)
                    .map(|(m, s)| {
                        let q = m + z * s;
                        if non_negative { q.max(0.0) } else { q }
                    })
                    .collect()
            })
            .collect();
        let mean = if non_negative { mean.into_iter().map(|m| m.max(0.0)).collect() } else { mean };
        Self { levels: levels.to_vec(), quantiles, mean }
    }

    /// Weighted average of forecasts of the same shape (quantile averaging: the combined
    /// quantile is the weighted mean of the members' quantiles, which keeps them ordered).
    pub(crate) fn weighted(members: &[(&Forecast, f64)]) -> Option<Self> {
        let (first, _) = members.first()?;
        let total: f64 = members.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return None;
        }
        let h = first.horizon();
        let mut out = Self {
            levels: first.levels.clone(),
            quantiles: vec![vec![0.0; h]; first.levels.len()],
            mean: vec![0.0; h],
        };
        for (f, w) in members {
            let w = w / total;
            for (acc, q) in out.quantiles.iter_mut().zip(&f.quantiles) {
                for (a, v) in acc.iter_mut().zip(q) {
                    *a += w * v;
                }
            }
            for (a, v) in out.mean.iter_mut().zip(&f.mean) {
                *a += w * v;
            }
        }
        Some(out)
    }
}

/// Fills missing values for fitting: linear interpolation inside, the nearest value at the
/// ends. Models need a complete grid; the gaps stay out of scores (see [`Series::is_scored`]).
pub(crate) fn interpolate(values: &[f64]) -> Vec<f64> {
    let mut out = values.to_vec();
    let known: Vec<usize> = (0..out.len()).filter(|&i| out[i].is_finite()).collect();
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        return out;
    };
    for v in out.iter_mut().take(first) {
        *v = values[first];
    }
    for v in out.iter_mut().skip(last + 1) {
        *v = values[last];
    }
    for pair in known.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        for (i, v) in out.iter_mut().enumerate().take(b).skip(a + 1) {
            let w = (i - a) as f64 / (b - a) as f64;
            *v = values[a] * (1.0 - w) + values[b] * w;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_fills_inside_and_ends() {
        let v = interpolate(&[f64::NAN, 1.0, f64::NAN, 3.0, f64::NAN]);
        assert_eq!(v, vec![1.0, 1.0, 2.0, 3.0, 3.0]);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        assert_eq!(Series::new(vec![]).validate(), Err(ForecastError::EmptySeries));
        assert_eq!(Series::new(vec![f64::NAN; 3]).validate(), Err(ForecastError::AllMissing));
        assert_eq!(Series::new(vec![1.0, f64::INFINITY]).validate(), Err(ForecastError::Infinite { index: 1 }));
        assert_eq!(validate_quantiles(&[0.5, 1.0]), Err(ForecastError::QuantileOutOfRange(1.0)));
        assert_eq!(validate_quantiles(&[]), Err(ForecastError::NoQuantiles));
        assert!(validate_quantiles(&[f64::NAN]).is_err());
    }

    #[test]
    fn filled_points_are_not_scored() {
        let s = Series { start: 0, values: vec![1.0, 2.0, f64::NAN], filled: Some(vec![false, true, false]) };
        assert!(s.is_scored(0));
        assert!(!s.is_scored(1));
        assert!(!s.is_scored(2));
    }
}
