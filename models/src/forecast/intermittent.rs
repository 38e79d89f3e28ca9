//! Croston, SBA and TSB for intermittent demand (many zeros).
//!
//! The three methods give a flat demand rate. For quantiles, the forecast is read as what it
//! models: a demand occurs with probability p and then has a size. The size distribution is
//! the item's recent non-zero demands rescaled so the mixture's mean is the method's rate.
//! So p10 of a part that sells one month in four is 0, as it should be, instead of a
//! negative Gaussian bound floored at 0.

use super::model::Input;
use super::{Forecast, stats};

/// Which intermittent-demand method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Croston,
    Sba,
    Tsb,
}

/// Smoothing constants searched (the usual range for intermittent demand is 0.05–0.3).
const GRID: [f64; 6] = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3];
/// Recent non-zero demands that shape the size distribution.
const SIZE_WINDOW: usize = 60;

/// One-step SES over `v`; returns the final level and the in-sample squared error.
fn ses(v: &[f64], alpha: f64) -> (f64, f64) {
    let mut level = v[0];
    let mut sse = 0.0;
    for &x in &v[1..] {
        let e = x - level;
        sse += e * e;
        level += alpha * e;
    }
    (level, sse)
}

fn best_ses(v: &[f64]) -> (f64, f64) {
    if v.len() < 2 {
        return (v.first().copied().unwrap_or(0.0), 0.1);
    }
    GRID.iter()
        .map(|&a| {
            let (l, sse) = ses(v, a);
            (l, a, sse)
        })
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(l, a, _)| (l, a))
        .unwrap_or((v[0], 0.1))
}

/// Flat rate and demand probability of the method.
fn rate(y: &[f64], kind: Kind) -> (f64, f64) {
    let sizes: Vec<f64> = y.iter().copied().filter(|v| *v != 0.0).collect();
    if sizes.is_empty() {
        return (0.0, 0.0);
    }
    match kind {
        Kind::Croston | Kind::Sba => {
            let mut intervals = Vec::with_capacity(sizes.len());
            let mut since = 0usize;
            for v in y {
                since += 1;
                if *v != 0.0 {
                    // The first interval counts from the start of the history.
                    intervals.push(since as f64);
                    since = 0;
                }
            }
            let (z, _) = best_ses(&sizes);
            let (p_int, a_p) = best_ses(&intervals);
            let p_int = p_int.max(1.0);
            let mut f = z / p_int;
            if kind == Kind::Sba {
                f *= 1.0 - a_p / 2.0;
            }
            (f, (1.0 / p_int).min(1.0))
        }
        Kind::Tsb => {
            let occur: Vec<f64> = y.iter().map(|v| if *v != 0.0 { 1.0 } else { 0.0 }).collect();
            let mut best = (f64::INFINITY, 0.0, 0.0);
            for &a_d in &GRID {
                for &a_z in &GRID {
                    let mut p = occur[0].max(mean_of(&occur));
                    let mut z = sizes[0];
                    let mut sse = 0.0;
                    for (x, o) in y.iter().zip(&occur) {
                        let e = x - p * z;
                        sse += e * e;
                        p += a_d * (o - p);
                        if *x != 0.0 {
                            z += a_z * (x - z);
                        }
                    }
                    if sse < best.0 {
                        best = (sse, p, z);
                    }
                }
            }
            (best.1 * best.2, best.1.clamp(0.0, 1.0))
        }
    }
}

fn mean_of(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

pub(crate) fn forecast(input: &Input, kind: Kind) -> Forecast {
    let y = input.y;
    let h = input.horizon();
    let levels = input.levels();
    let (f, p) = rate(y, kind);
    let mean = vec![f; h];
    if !input.non_negative {
        // Negative values are not demand: fall back to a Gaussian on the in-sample error.
        let sd = (y.iter().map(|v| (v - f).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
        return Forecast::gaussian(levels, mean, &vec![sd; h], false);
    }
    let mut sizes: Vec<f64> = y.iter().rev().copied().filter(|v| *v > 0.0).take(SIZE_WINDOW).collect();
    if sizes.is_empty() || p <= 0.0 || f <= 0.0 {
        return Forecast { levels: levels.to_vec(), quantiles: vec![vec![0.0; h]; levels.len()], mean };
    }
    stats::sort(&mut sizes);
    let scale = (f / p) / mean_of(&sizes);
    let quantiles = levels
        .iter()
        .map(|&tau| {
            let q = if tau <= 1.0 - p { 0.0 } else { scale * stats::sorted_quantile(&sizes, (tau - (1.0 - p)) / p) };
            vec![q; h]
        })
        .collect();
    Forecast { levels: levels.to_vec(), quantiles, mean }
}

#[cfg(test)]
mod tests {
    use crate::forecast::{Algorithm, ForecastSpec};

    #[test]
    fn regular_intermittent_demand() {
        // A demand of 4 every 4th period: rate 1, p = 1/4.
        let y: Vec<f64> = (0..80).map(|t| if t % 4 == 3 { 4.0 } else { 0.0 }).collect();
        let spec = ForecastSpec { horizon: 3, season: 1, quantiles: vec![0.5, 0.9], long_season: None };
        let c = Algorithm::Croston.forecast(&y, &spec).expect("forecast");
        assert!((c.mean[0] - 1.0).abs() < 1e-6, "{:?}", c.mean);
        assert_eq!(c.quantiles[0][0], 0.0);
        assert!((c.quantiles[1][0] - 4.0).abs() < 1e-6);
        let s = Algorithm::Sba.forecast(&y, &spec).expect("forecast");
        assert!(s.mean[0] < c.mean[0]);
        let t = Algorithm::Tsb.forecast(&y, &spec).expect("forecast");
        assert!((t.mean[0] - 1.0).abs() < 0.5, "{:?}", t.mean);
    }

    #[test]
    fn all_zero_history_forecasts_zero() {
        let spec = ForecastSpec { horizon: 2, season: 1, quantiles: vec![0.5], long_season: None };
        let f = Algorithm::Tsb.forecast(&[0.0; 10], &spec).expect("forecast");
        assert_eq!(f.mean, vec![0.0, 0.0]);
    }
}
