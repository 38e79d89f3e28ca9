//! Non-Parametric Time Series forecaster (Amazon Forecast's NPTS) and its variants.
//!
//! Each step ahead is a value drawn from the past: NPTS favours recent values with weights
//! e^{−λ·distance}; the climatological variant draws uniformly; the seasonal variants draw
//! only from the same season position (e.g. the same hour of the day). Sample paths are
//! built autoregressively (a drawn value can be drawn again later), as Amazon's NPTS does,
//! and quantiles are read off the samples. Values are always ones seen before, so sparse
//! and count data keep their shape (zeros stay zeros).

use super::model::Input;
use super::{Forecast, stats};

/// How past values are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// e^{−λ·distance}.
    Exponential,
    /// Uniform (climatological).
    Uniform,
}

/// Sample paths per item: enough for stable p10/p90 at small cost.
const PATHS: usize = 256;
/// Decay per step back for NPTS (memory of about 10 steps).
const LAMBDA: f64 = 0.1;
/// Decay per season back for seasonal NPTS (memory of about 2 seasons).
const LAMBDA_SEASONAL: f64 = 0.5;
/// Most recent points NPTS looks at (Amazon's default context length).
const CONTEXT: usize = 1100;

pub(crate) fn forecast(input: &Input, kind: Kind, seasonal: bool) -> Forecast {
    let n = input.y.len();
    let m = if seasonal && input.season() > 1 && input.season() <= n { input.season() } else { 1 };
    let context = n.min(CONTEXT.max(4 * m));
    let hist = &input.y[n - context..];
    let h_max = input.horizon();
    let lambda = if m > 1 { LAMBDA_SEASONAL } else { LAMBDA };
    // Seed from the data so a forecast is reproducible run to run.
    let seed = hist.iter().fold(n as u64, |acc, v| acc.rotate_left(5) ^ v.to_bits());
    let mut rng = stats::Rng::new(seed);
    let mut samples = vec![0.0; PATHS * h_max];
    let mut path: Vec<f64> = Vec::with_capacity(context + h_max);
    for p in 0..PATHS {
        path.clear();
        path.extend_from_slice(hist);
        for h in 0..h_max {
            let t = path.len(); // index of the value being drawn
            // Candidates: t − m, t − 2m, ... ≥ 0; there are ⌊t/m⌋ of them.
            let count = t / m;
            let d = match kind {
                Kind::Uniform => 1 + (rng.uniform() * count as f64) as usize,
                Kind::Exponential => {
                    // Truncated geometric by inversion: P(d) ∝ e^{−λd}, d = 1..count.
                    let tail = 1.0 - (-lambda * count as f64).exp();
                    let u = rng.uniform() * tail;
                    1 + (-(1.0 - u).ln() / lambda) as usize
                }
            }
            .min(count);
            let v = path[t - d * m];
            path.push(v);
            samples[h * PATHS + p] = v;
        }
    }
    let levels = input.levels();
    let mut quantiles = vec![vec![0.0; h_max]; levels.len()];
    let mut mean = vec![0.0; h_max];
    for h in 0..h_max {
        let s = &mut samples[h * PATHS..(h + 1) * PATHS];
        stats::sort(s);
        mean[h] = s.iter().sum::<f64>() / PATHS as f64;
        for (k, &tau) in levels.iter().enumerate() {
            quantiles[k][h] = stats::sorted_quantile(s, tau);
        }
    }
    Forecast { levels: levels.to_vec(), quantiles, mean }
}

#[cfg(test)]
mod tests {
    use crate::forecast::{Algorithm, ForecastSpec};

    #[test]
    fn seasonal_npts_draws_from_the_same_position() {
        let pat = [0.0, 10.0, 20.0];
        let y: Vec<f64> = (0..60).map(|t| pat[t % 3]).collect();
        let spec = ForecastSpec { horizon: 6, season: 3, quantiles: vec![0.1, 0.9], long_season: None };
        let f = Algorithm::SeasonalNpts.forecast(&y, &spec).expect("forecast");
        for h in 0..6 {
            assert_eq!(f.mean[h], pat[h % 3]);
            assert_eq!(f.quantiles[0][h], pat[h % 3]);
        }
        let c = Algorithm::Climatological.forecast(&y, &spec).expect("forecast");
        assert!((c.mean[0] - 10.0).abs() < 2.0);
        assert_eq!(c.quantiles[0][0], 0.0);
        assert_eq!(c.quantiles[1][0], 20.0);
    }

    #[test]
    fn npts_favours_recent_values() {
        let mut y = vec![100.0; 200];
        y.extend(vec![1.0; 30]);
        let spec = ForecastSpec { horizon: 3, season: 1, quantiles: vec![0.5], long_season: None };
        let f = Algorithm::Npts.forecast(&y, &spec).expect("forecast");
        assert_eq!(f.quantiles[0][0], 1.0);
    }
}
