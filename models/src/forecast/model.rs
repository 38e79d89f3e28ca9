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

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
        }
        assert_eq!(Algorithm::from_name("ets"), Some(Algorithm::Ets));
    }
}
