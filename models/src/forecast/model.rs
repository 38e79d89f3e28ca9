//! The algorithms a Predictor can name, behind one entry point.

use super::{
    Forecast, ForecastError, arima, covariates::Covariates, ets, global, intermittent, interpolate, naive, npts, theta,
    validate_quantiles,
};

/// What to forecast: how far, with which season, which quantiles.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastSpec {
    /// Steps ahead (Amazon Forecast's `ForecastHorizon`).
    pub horizon: usize,
    /// Season length in periods (24 for hourly data with a daily cycle, 12 for monthly, 1 for none).
    pub season: usize,
    /// Quantile levels in (0, 1) (`ForecastTypes` other than `mean`).
    pub quantiles: Vec<f64>,
    /// A longer cycle the data may have, in periods (a week of hours, 168, for hourly data);
    /// ETS then also tries seasonal forms of that length and keeps whichever AICc prefers.
    /// `None` where there is none; ignored unless longer than `season`.
    pub long_season: Option<usize>,
}

impl ForecastSpec {
    /// Checks the spec itself: horizon ≥ 1, season ≥ 1, quantiles in (0, 1).
    pub fn validate(&self) -> Result<(), ForecastError> {
        if self.horizon == 0 {
            return Err(ForecastError::ZeroHorizon);
        }
        if self.season == 0 {
            return Err(ForecastError::ZeroSeason);
        }
        validate_quantiles(&self.quantiles)
    }
}

/// A forecasting algorithm. The statistical ones are fitted per item on its own history;
/// [`Algorithm::BoostedTrees`] is global: one model learned across all items, with their
/// related time series and metadata ([`global`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// The last season repeated; quantiles from its in-sample errors at the same lead.
    SeasonalNaive,
    /// Non-parametric time series (Amazon's NPTS): resample the past, recent values more likely.
    Npts,
    /// NPTS drawing only from the same season position.
    SeasonalNpts,
    /// NPTS with uniform weights over the past (climatological forecaster).
    Climatological,
    /// Climatological forecaster per season position.
    SeasonalClimatological,
    /// Exponential smoothing state-space model chosen by AICc (seasonal and damped forms included).
    Ets,
    /// Seasonal ARIMA with automatic order selection.
    Arima,
    /// The Theta method with seasonal adjustment.
    Theta,
    /// Croston's method for intermittent demand.
    Croston,
    /// Syntetos–Boylan approximation (bias-corrected Croston).
    Sba,
    /// Teunter–Syntetos–Babai: demand probability updated every period.
    Tsb,
    /// Gradient-boosted quantile trees learned across all items, on their lags, related
    /// time series, item metadata and the calendar ([`global`]).
    BoostedTrees,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Algorithm; 12] = [
        Algorithm::SeasonalNaive,
        Algorithm::Npts,
        Algorithm::SeasonalNpts,
        Algorithm::Climatological,
        Algorithm::SeasonalClimatological,
        Algorithm::Ets,
        Algorithm::Arima,
        Algorithm::Theta,
        Algorithm::Croston,
        Algorithm::Sba,
        Algorithm::Tsb,
        Algorithm::BoostedTrees,
    ];

    /// The name used in `metrics.json` and in a Predictor's `algorithm`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::SeasonalNaive => "SEASONAL_NAIVE",
            Algorithm::Npts => "NPTS",
            Algorithm::SeasonalNpts => "SEASONAL_NPTS",
            Algorithm::Climatological => "CLIMATOLOGICAL",
            Algorithm::SeasonalClimatological => "SEASONAL_CLIMATOLOGICAL",
            Algorithm::Ets => "ETS",
            Algorithm::Arima => "ARIMA",
            Algorithm::Theta => "THETA",
            Algorithm::Croston => "CROSTON",
            Algorithm::Sba => "CROSTON_SBA",
            Algorithm::Tsb => "CROSTON_TSB",
            Algorithm::BoostedTrees => "BOOSTED_TREES",
        }
    }

    /// The algorithm of a name (case-insensitive), as the Predictor spec spells it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// Whether the algorithm learns across items ([`global::forecast_items`]): backtests and
    /// the trainer run it once over all items instead of once per item.
    pub fn is_global(self) -> bool {
        self == Algorithm::BoostedTrees
    }

    /// Fits the algorithm to `history` (NaN = missing) and forecasts `spec.horizon` steps.
    /// A global algorithm called this way learns from this one history alone, without
    /// covariates; [`global::forecast_items`] is how it is meant to run.
    pub fn forecast(self, history: &[f64], spec: &ForecastSpec) -> Result<Forecast, ForecastError> {
        spec.validate()?;
        super::validate_values(history)?;
        let unit = unit_of(history);
        if unit != 1.0 {
            let scaled: Vec<f64> = history.iter().map(|v| v / unit).collect();
            let mut f = self.forecast_in_range(&scaled, spec)?;
            for v in f.quantiles.iter_mut().flatten().chain(f.mean.iter_mut()) {
                *v = (*v * unit).clamp(f64::MIN, f64::MAX);
            }
            return Ok(f);
        }
        self.forecast_in_range(history, spec)
    }

    /// [`Algorithm::forecast`] of a validated history whose magnitudes the models can square.
    fn forecast_in_range(self, history: &[f64], spec: &ForecastSpec) -> Result<Forecast, ForecastError> {
        let y = interpolate(history);
        // Sales, counts and traffic cannot go below zero: quantiles are floored there.
        let non_negative = y.iter().all(|v| *v >= 0.0);
        let input = Input { y: &y, spec, non_negative };
        Ok(match self {
            Algorithm::SeasonalNaive => naive::seasonal_naive(&input),
            Algorithm::Npts => npts::forecast(&input, npts::Kind::Exponential, false),
            Algorithm::SeasonalNpts => npts::forecast(&input, npts::Kind::Exponential, true),
            Algorithm::Climatological => npts::forecast(&input, npts::Kind::Uniform, false),
            Algorithm::SeasonalClimatological => npts::forecast(&input, npts::Kind::Uniform, true),
            Algorithm::Ets => ets::auto_forecast(&input),
            Algorithm::Arima => arima::auto_forecast(&input),
            Algorithm::Theta => theta::forecast(&input),
            Algorithm::Croston => intermittent::forecast(&input, intermittent::Kind::Croston),
            Algorithm::Sba => intermittent::forecast(&input, intermittent::Kind::Sba),
            Algorithm::Tsb => intermittent::forecast(&input, intermittent::Kind::Tsb),
            Algorithm::BoostedTrees => {
                let seasons = if spec.season > 1 { vec![spec.season] } else { Vec::new() };
                let histories = [history];
                let cutoffs = [Some(history.len())];
                let mut out = global::forecast_items(&histories, &Covariates::default(), &cutoffs, spec, &seasons)?;
                out.pop().flatten().ok_or(ForecastError::AllMissing)?
            }
        })
    }
}

/// The unit a history is fitted in: 1, or a power of two where its largest magnitude is beyond
/// 1e100 or below 1e-100. The models square values (variances, sums of squares), which overflows
/// near f64's limits (a history of 1e300 gave infinite intervals); dividing by a power of two is
/// exact, so such a history is fitted in those units and its forecast scaled back. Ordinary data
/// is never rescaled, so its forecasts are bit for bit what they were.
fn unit_of(history: &[f64]) -> f64 {
    let peak = history.iter().filter(|v| v.is_finite()).fold(0.0_f64, |a, v| a.max(v.abs()));
    if peak > 1e100 || (peak > 0.0 && peak < 1e-100) {
        // Within the normal exponents, so that the power itself is neither 0 nor infinite.
        2f64.powi((peak.log2().floor() as i32).clamp(-1022, 1023))
    } else {
        1.0
    }
}

/// A validated, gap-free history and what to forecast, as every model receives it.
pub(crate) struct Input<'a> {
    pub y: &'a [f64],
    pub spec: &'a ForecastSpec,
    pub non_negative: bool,
}

impl Input<'_> {
    pub fn levels(&self) -> &[f64] {
        &self.spec.quantiles
    }
    pub fn horizon(&self) -> usize {
        self.spec.horizon
    }
    pub fn season(&self) -> usize {
        self.spec.season
    }
    pub fn long_season(&self) -> Option<usize> {
        self.spec.long_season
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ForecastSpec {
        ForecastSpec { horizon: 3, season: 2, quantiles: vec![0.1, 0.5, 0.9], long_season: None }
    }

    #[test]
    fn bad_input_is_a_typed_error_for_every_algorithm() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.forecast(&[], &spec()), Err(ForecastError::EmptySeries), "{alg:?}");
            assert_eq!(alg.forecast(&[f64::NAN; 4], &spec()), Err(ForecastError::AllMissing), "{alg:?}");
            let mut s = spec();
            s.quantiles = vec![0.0];
            assert_eq!(alg.forecast(&[1.0; 4], &s), Err(ForecastError::QuantileOutOfRange(0.0)), "{alg:?}");
            s = spec();
            s.horizon = 0;
            assert_eq!(alg.forecast(&[1.0; 4], &s), Err(ForecastError::ZeroHorizon), "{alg:?}");
            s = spec();
            s.season = 0;
            assert_eq!(alg.forecast(&[1.0; 4], &s), Err(ForecastError::ZeroSeason), "{alg:?}");
        }
    }

    #[test]
    fn tiny_gappy_and_long_horizon_inputs_still_forecast() {
        // One point, gaps, a season longer than the history, a horizon far past it: no panic,
        // ordered quantiles of the asked length.
        let inputs: [&[f64]; 3] = [&[5.0], &[1.0, f64::NAN, 3.0, f64::NAN, 5.0], &[0.0, 0.0, 2.0]];
        let s = ForecastSpec { horizon: 40, season: 12, quantiles: vec![0.1, 0.5, 0.9], long_season: None };
        for alg in Algorithm::ALL {
            for y in inputs {
                let f = alg.forecast(y, &s).expect("forecast");
                assert_eq!(f.horizon(), 40);
                for h in 0..40 {
                    assert!(f.quantiles[0][h] <= f.quantiles[1][h] + 1e-9, "{alg:?} {y:?}");
                    assert!(f.quantiles[1][h] <= f.quantiles[2][h] + 1e-9, "{alg:?} {y:?}");
                    assert!(f.mean[h].is_finite());
                }
            }
        }
    }

    /// Awkward histories a user's data can hold, at several lengths.
    fn awkward(n: usize) -> Vec<(&'static str, Vec<f64>)> {
        let mut rng = crate::forecast::stats::Rng::new(n as u64);
        let mut noisy = |scale: f64| -> Vec<f64> { (0..n).map(|_| scale * (1.0 + rng.uniform())).collect() };
        vec![
            ("constant", vec![5.0; n]),
            ("zeros", vec![0.0; n]),
            ("negative", (0..n).map(|t| -(t as f64) - 1.0).collect()),
            ("alternating sign", (0..n).map(|t| if t % 2 == 0 { 1.0 } else { -1.0 }).collect()),
            ("spike at the end", (0..n).map(|t| if t + 1 == n { 1000.0 } else { 1.0 }).collect()),
            ("mixed magnitudes", (0..n).map(|t| if t % 5 == 0 { 1e12 } else { 1e-3 }).collect()),
            ("exponential growth", (0..n).map(|t| (t as f64 * 0.5).exp()).collect()),
            ("step", (0..n).map(|t| if t < n / 2 { 0.0 } else { 100.0 }).collect()),
            ("sparse", (0..n).map(|t| if t % 7 == 3 { 2.0 } else { 0.0 }).collect()),
            ("last value missing", (0..n).map(|t| if t + 1 == n { f64::NAN } else { (t % 4) as f64 }).collect()),
            ("near f64's largest", noisy(1e300)),
            ("near f64's smallest", noisy(1e-300)),
            ("subnormal", noisy(1e-310)),
            ("large and negative", noisy(-1e300)),
        ]
    }

    #[test]
    fn awkward_histories_give_finite_ordered_forecasts() {
        // Every algorithm, every history above: no error, no panic, finite values of the asked
        // shape, quantiles in order, nothing below zero where the history has nothing below zero.
        for n in [3, 30, 120] {
            for (what, y) in awkward(n) {
                let non_negative = y.iter().filter(|v| !v.is_nan()).all(|v| *v >= 0.0);
                for (season, long_season) in [(1, None), (7, None), (24, Some(168))] {
                    let s = ForecastSpec { horizon: 30, season, quantiles: vec![0.01, 0.5, 0.99], long_season };
                    for alg in Algorithm::ALL {
                        let at = format!("{alg:?} on {what} (n = {n}, season {season})");
                        let f = alg.forecast(&y, &s).unwrap_or_else(|e| panic!("{at}: {e}"));
                        assert_eq!(f.horizon(), 30, "{at}");
                        for h in 0..30 {
                            let q: Vec<f64> = f.quantiles.iter().map(|q| q[h]).collect();
                            assert!(q.iter().chain([&f.mean[h]]).all(|v| v.is_finite()), "{at}: {q:?} {:e}", f.mean[h]);
                            // In order up to rounding (an empirical quantile interpolated between
                            // two equal draws may come out one ulp apart).
                            let ordered = |a: f64, b: f64| a <= b + 1e-12 * b.abs().max(1.0);
                            assert!(ordered(q[0], q[1]) && ordered(q[1], q[2]), "{at}: step {h}: {q:?}");
                            assert!(!non_negative || (q[0] >= 0.0 && f.mean[h] >= 0.0), "{at}: step {h}: {q:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_history_beyond_1e100_is_forecast_as_in_ordinary_units() {
        // Fitted in units of a power of two and scaled back: the forecast of the ordinary
        // history, multiplied (the models are scale-invariant up to their tolerances).
        let unit = 2f64.powi(1000);
        let base: Vec<f64> = (0..60).map(|t| 100.0 + 10.0 * ((t % 7) as f64) + (t as f64 * 0.37).sin()).collect();
        let huge: Vec<f64> = base.iter().map(|v| v * unit).collect();
        let s = ForecastSpec { horizon: 14, season: 7, quantiles: vec![0.1, 0.5, 0.9], long_season: None };
        for alg in [Algorithm::Ets, Algorithm::Arima, Algorithm::Theta, Algorithm::SeasonalNaive] {
            let a = alg.forecast(&base, &s).expect("forecast");
            let b = alg.forecast(&huge, &s).expect("forecast");
            for (x, y) in a.quantiles.iter().flatten().chain(&a.mean).zip(b.quantiles.iter().flatten().chain(&b.mean)) {
                assert!((x * unit - y).abs() <= 1e-6 * y.abs().max(unit), "{alg:?}: {:e} vs {y:e}", x * unit);
            }
        }
        assert_eq!(unit_of(&base), 1.0);
    }

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
        }
        assert_eq!(Algorithm::from_name("ets"), Some(Algorithm::Ets));
    }
}
