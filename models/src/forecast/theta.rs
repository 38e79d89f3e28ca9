//! The Theta method (Assimakopoulos & Nikolopoulos 2000) in its standard form: the series
//! is seasonally adjusted when its season passes the 90% autocorrelation test (classical
//! multiplicative decomposition, additive if there are non-positive values), then forecast
//! as simple exponential smoothing plus half the slope of the linear trend — Hyndman &
//! Billah's (2003) equivalent "SES with drift" — and re-seasonalized. Its intervals are
//! those of SES, widened by nothing else; that is what the method's state-space form gives.

use super::model::Input;
use super::optim::nelder_mead;
use super::{Forecast, stats};

pub(crate) fn forecast(input: &Input) -> Forecast {
    let y = input.y;
    let n = y.len();
    let m = input.season();
    let h = input.horizon();
    let positive = y.iter().all(|v| *v > 0.0);
    let seasonal = m > 1 && stats::seasonality_test(y, m);
    let idx = if seasonal { stats::seasonal_indices(y, m, positive) } else { None };
    let adj: Vec<f64> = match &idx {
        Some(s) if positive => y.iter().enumerate().map(|(t, v)| v / s[t % m]).collect(),
        Some(s) => y.iter().enumerate().map(|(t, v)| v - s[t % m]).collect(),
        None => y.to_vec(),
    };
    // Slope of the least-squares line.
    let tm = (n as f64 - 1.0) / 2.0;
    let ym = stats::mean(&adj);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (t, v) in adj.iter().enumerate() {
        sxy += (t as f64 - tm) * (v - ym);
        sxx += (t as f64 - tm).powi(2);
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    // SES with α and the initial level fitted by least squares.
    let scale = adj.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1e-8);
    let sse = |x: &[f64]| {
        let alpha = 1e-4 + (1.0 - 2e-4) / (1.0 + (-x[0]).exp());
        let mut l = x[1] * scale;
        let mut s = 0.0;
        for v in &adj {
            let e = v - l;
            s += e * e;
            l += alpha * e;
        }
        (s, l, alpha)
    };
    let (best, _) = nelder_mead(|x| sse(x).0, &[0.0, adj[0] / scale], 0.5, 300, 1e-10);
    let (s, level, alpha) = sse(&best);
    let sigma = (s / (n as f64 - 2.0).max(1.0)).sqrt();
    let decay = (1.0 - alpha).powi(n as i32);
    let mut mean = Vec::with_capacity(h);
    let mut sd = Vec::with_capacity(h);
    for step in 1..=h {
        let drift = 0.5 * slope * (step as f64 - 1.0 + 1.0 / alpha - decay / alpha);
        let base = level + drift;
        let spread = sigma * (1.0 + (step as f64 - 1.0) * alpha * alpha).sqrt();
        match &idx {
            Some(si) if positive => {
                let f = si[(n + step - 1) % m];
                mean.push(base * f);
                sd.push(spread * f);
            }
            Some(si) => {
                mean.push(base + si[(n + step - 1) % m]);
                sd.push(spread);
            }
            None => {
                mean.push(base);
                sd.push(spread);
            }
        }
    }
    Forecast::gaussian(input.levels(), mean, &sd, input.non_negative)
}

#[cfg(test)]
mod tests {
    use crate::forecast::{Algorithm, ForecastSpec};

    #[test]
    fn seasonal_series_with_trend() {
        let pat = [1.2, 0.8, 1.0, 1.0];
        let y: Vec<f64> = (0..80).map(|t| (100.0 + t as f64) * pat[t % 4]).collect();
        let spec = ForecastSpec { horizon: 4, season: 4, quantiles: vec![0.5], long_season: None };
        let f = Algorithm::Theta.forecast(&y, &spec).expect("forecast");
        for h in 0..4 {
            let truth = (100.0 + (80 + h) as f64) * pat[(80 + h) % 4];
            // Theta halves the trend, so allow a few steps' worth of slope.
            assert!((f.mean[h] - truth).abs() / truth < 0.05, "{h}: {} vs {truth}", f.mean[h]);
        }
    }
}
