//! Exponential smoothing state-space models (ETS) with automatic selection by AICc.
//!
//! The taxonomy of Hyndman, Koehler, Ord & Snyder (2008): error A/M, trend N/A/Ad, season
//! N/A/M. Every form is fitted by maximum likelihood (Nelder–Mead over the smoothing
//! parameters and the initial level and slope; the initial season comes from a classical
//! decomposition of the first seasons, which keeps the search small even for m = 52) and the
//! form with the lowest AICc wins. As in R's `ets`, additive error with multiplicative
//! season is not tried (numerically unstable) and multiplicative forms need positive data.
//! `augurs-ets` fits only non-seasonal forms; Seer needs the seasonal ones, so all forms
//! share this one implementation.
//!
//! The state updates are written with the absolute one-step error ε: the additive- and the
//! multiplicative-error forms then share them exactly and differ only in the likelihood.

use super::model::Input;
use super::optim::nelder_mead;
use super::{Forecast, stats};

/// Trend component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    /// None.
    None,
    /// Additive.
    Additive,
    /// Additive damped.
    Damped,
}

/// Season component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Season {
    /// None.
    None,
    /// Additive.
    Additive,
    /// Multiplicative.
    Multiplicative,
}

/// One ETS form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Multiplicative error (otherwise additive).
    pub multiplicative_error: bool,
    /// Trend.
    pub trend: Trend,
    /// Season.
    pub season: Season,
}

/// A fitted ETS model.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Its form.
    pub spec: Spec,
    /// α, β, γ, φ (unused ones are 0, φ is 1 without damping).
    pub params: [f64; 4],
    /// AICc.
    pub aicc: f64,
    /// Final level, slope and season (season[j] is the index of position j in the cycle).
    level: f64,
    slope: f64,
    season: Vec<f64>,
    /// Season length used.
    m: usize,
    /// One-step error variance (absolute for additive error, relative for multiplicative).
    sigma2: f64,
    n: usize,
}

/// Parameters live on the real line; these maps put them in their admissible ranges
/// (α ∈ (0,1), β ∈ (0,α), γ ∈ (0,1−α), φ ∈ [0.8, 0.98]).
fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

const EPS: f64 = 1e-4;

struct Workspace<'a> {
    y: &'a [f64],
    spec: Spec,
    m: usize,
    season0: &'a [f64],
    season: Vec<f64>,
    scale: f64,
}

impl Workspace<'_> {
    /// Decodes the free parameters into (α, β, γ, φ, l0, b0).
    fn decode(&self, x: &[f64]) -> ([f64; 4], f64, f64) {
        let mut i = 0;
        let mut next = || {
            let v = x[i];
            i += 1;
            v
        };
        let alpha = EPS + (1.0 - 2.0 * EPS) * logistic(next());
        let beta = if self.spec.trend == Trend::None { 0.0 } else { EPS + (alpha - 2.0 * EPS) * logistic(next()) };
        let gamma =
            if self.spec.season == Season::None { 0.0 } else { EPS + (1.0 - alpha - 2.0 * EPS) * logistic(next()) };
        let phi = match self.spec.trend {
            Trend::Damped => 0.8 + 0.18 * logistic(next()),
            _ => 1.0,
        };
        let l0 = next() * self.scale;
        let b0 = if self.spec.trend == Trend::None { 0.0 } else { next() * self.scale };
        ([alpha, beta, gamma, phi], l0, b0)
    }

    /// Runs the filter; returns −2·log-likelihood up to a constant (∞ if inadmissible) and
    /// leaves the final states in the workspace.
    fn run(&mut self, x: &[f64]) -> (f64, f64, f64, f64) {
        let ([alpha, beta, gamma, phi], mut l, mut b) = self.decode(x);
        self.season.copy_from_slice(self.season0);
        let (trend, seas, mult_err) = (self.spec.trend, self.spec.season, self.spec.multiplicative_error);
        let m = self.m;
        let mut sse = 0.0;
        let mut log_sum = 0.0;
        let mut j = 0usize;
        for &y in self.y {
            let lb = match trend {
                Trend::None => l,
                Trend::Additive => l + b,
                Trend::Damped => l + phi * b,
            };
            let s = self.season[j];
            let yhat = match seas {
                Season::None => lb,
                Season::Additive => lb + s,
                Season::Multiplicative => lb * s,
            };
            let eps = y - yhat;
            if mult_err {
                if yhat <= 0.0 {
                    return (f64::INFINITY, l, b, 0.0);
                }
                let e = eps / yhat;
                sse += e * e;
                log_sum += yhat.ln();
            } else {
                sse += eps * eps;
            }
            match seas {
                Season::Multiplicative => {
                    if s.abs() < 1e-10 || lb.abs() < 1e-10 {
                        return (f64::INFINITY, l, b, 0.0);
                    }
                    let u = eps / s;
                    l = lb + alpha * u;
                    b = phi * b + beta * u;
                    self.season[j] = s + gamma * eps / lb;
                }
                _ => {
                    l = lb + alpha * eps;
                    b = phi * b + beta * eps;
                    if seas == Season::Additive {
                        self.season[j] = s + gamma * eps;
                    }
                }
            }
            j += 1;
            if j == m {
                j = 0;
            }
        }
        let n = self.y.len() as f64;
        if !sse.is_finite() || sse <= 0.0 {
            // A perfect fit: give it a tiny but finite variance so AICc still ranks it best.
            sse = sse.max(1e-300);
        }
        let neg2ll = n * (sse / n).ln() + 2.0 * log_sum;
        (neg2ll, l, b, sse / n)
    }
}

/// Fits one ETS form; `None` when it cannot be fitted to this data.
pub fn fit(y: &[f64], m: usize, spec: Spec) -> Option<Fit> {
    let n = y.len();
    let m = if spec.season == Season::None { 1 } else { m };
    let multiplicative_season = spec.season == Season::Multiplicative;
    if n < 3 || (spec.season != Season::None && (m < 2 || n < 2 * m)) {
        return None;
    }
    let season0 = if spec.season == Season::None {
        vec![if multiplicative_season { 1.0 } else { 0.0 }]
    } else {
        let window = &y[..n.min(5 * m).max(2 * m)];
        stats::seasonal_indices(window, m, multiplicative_season)?
    };
    if multiplicative_season && season0.iter().any(|s| *s <= 0.0) {
        return None;
    }
    // Initial level and slope: a line through the first seasonally adjusted points.
    let k = n.min(if m > 1 { m.max(10) } else { 10 });
    let adj: Vec<f64> = (0..k)
        .map(|t| match spec.season {
            Season::None => y[t],
            Season::Additive => y[t] - season0[t % m],
            Season::Multiplicative => y[t] / season0[t % m],
        })
        .collect();
    let (l0, b0) = if spec.trend == Trend::None || k < 3 {
        (stats::mean(&adj), 0.0)
    } else {
        let tm = (k as f64 - 1.0) / 2.0;
        let ym = stats::mean(&adj);
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (t, v) in adj.iter().enumerate() {
            sxy += (t as f64 - tm) * (v - ym);
            sxx += (t as f64 - tm).powi(2);
        }
        let slope = sxy / sxx;
        (ym - slope * (tm + 1.0), slope)
    };
    let scale = y.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1e-8);
    let mut x0 = vec![logit(0.3)];
    if spec.trend != Trend::None {
        x0.push(logit(0.1 / 0.3));
    }
    if spec.season != Season::None {
        x0.push(logit(0.1 / 0.7));
    }
    if spec.trend == Trend::Damped {
        x0.push(logit((0.97 - 0.8) / 0.18));
    }
    x0.push(l0 / scale);
    if spec.trend != Trend::None {
        x0.push(b0 / scale);
    }
    let mut ws = Workspace { y, spec, m, season0: &season0, season: season0.clone(), scale };
    let dim = x0.len();
    let (best, value) = nelder_mead(|x| ws.run(x).0, &x0, 0.5, 120 * dim + 100, 1e-9);
    if !value.is_finite() || value >= f64::MAX / 8.0 {
        return None;
    }
    let (neg2ll, level, slope, sigma2) = ws.run(&best);
    let (params, _, _) = ws.decode(&best);
    let n_params = dim + if spec.season == Season::None { 0 } else { m - 1 } + 1;
    let nf = n as f64;
    let kf = n_params as f64;
    if nf - kf - 1.0 <= 0.0 {
        return None;
    }
    let aicc = neg2ll + 2.0 * kf + 2.0 * kf * (kf + 1.0) / (nf - kf - 1.0);
    Some(Fit { spec, params, aicc, level, slope, season: ws.season, m, sigma2, n })
}

impl Fit {
    /// Point forecasts and standard deviations for `h` steps.
    pub fn predict(&self, h: usize) -> (Vec<f64>, Vec<f64>) {
        let [alpha, beta, gamma, phi] = self.params;
        let mut mean = Vec::with_capacity(h);
        let mut sd = Vec::with_capacity(h);
        let mut phi_sum = 0.0;
        let mut phi_pow = 1.0;
        let mut var_sum: f64 = 0.0; // Σ c_j² for j < current step
        let sigma = self.sigma2.sqrt();
        for step in 1..=h {
            phi_pow *= phi;
            phi_sum += phi_pow;
            let trend = match self.spec.trend {
                Trend::None => self.level,
                Trend::Additive => self.level + step as f64 * self.slope,
                Trend::Damped => self.level + phi_sum * self.slope,
            };
            let s = self.season[(self.n + step - 1) % self.m];
            let yhat = match self.spec.season {
                Season::None => trend,
                Season::Additive => trend + s,
                Season::Multiplicative => trend * s,
            };
            mean.push(yhat);
            let sd_step = (1.0 + var_sum).sqrt() * sigma;
            sd.push(if self.spec.multiplicative_error { sd_step * yhat.abs() } else { sd_step });
            // c_j for j = step (used from the next step on), Hyndman et al. (2008) table 6.1;
            // for multiplicative forms this is the usual linear approximation.
            let j = step;
            let mut c = alpha;
            c += match self.spec.trend {
                Trend::None => 0.0,
                Trend::Additive => beta * j as f64,
                Trend::Damped => beta * phi_sum,
            };
            if self.spec.season != Season::None && j % self.m == 0 {
                c += gamma;
            }
            var_sum += c * c;
        }
        (mean, sd)
    }
}

/// All forms worth trying on this data.
pub fn candidates(y: &[f64], m: usize) -> Vec<Spec> {
    let positive = y.iter().all(|v| *v > 0.0);
    let seasonal = m > 1 && y.len() >= 2 * m + 2;
    let mut out = Vec::new();
    for multiplicative_error in [false, true] {
        if multiplicative_error && !positive {
            continue;
        }
        for trend in [Trend::None, Trend::Additive, Trend::Damped] {
            for season in [Season::None, Season::Additive, Season::Multiplicative] {
                if season != Season::None && !seasonal {
                    continue;
                }
                if season == Season::Multiplicative && (!positive || !multiplicative_error) {
                    continue;
                }
                out.push(Spec { multiplicative_error, trend, season });
            }
        }
    }
    out
}

/// Fits every candidate form and keeps the one with the lowest AICc.
pub fn auto_fit(y: &[f64], m: usize) -> Option<Fit> {
    candidates(y, m).into_iter().filter_map(|spec| fit(y, m, spec)).min_by(|a, b| a.aicc.total_cmp(&b.aicc))
}

pub(crate) fn auto_forecast(input: &Input) -> Forecast {
    let h = input.horizon();
    // A constant series has nothing to fit: forecast the constant with no spread.
    let first = input.y[0];
    if input.y.iter().all(|v| *v == first) || input.y.len() < 4 {
        let mean = vec![stats::mean(input.y); h];
        let sd = (input.y.iter().map(|v| (v - mean[0]).powi(2)).sum::<f64>() / input.y.len() as f64).sqrt();
        return Forecast::gaussian(input.levels(), mean, &vec![sd; h], input.non_negative);
    }
    match auto_fit(input.y, input.season()) {
        Some(fit) => {
            let (mean, sd) = fit.predict(h);
            Forecast::gaussian(input.levels(), mean, &sd, input.non_negative)
        }
        None => super::naive::seasonal_naive(input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{Algorithm, ForecastSpec};

    #[test]
    fn pure_seasonal_series_is_forecast_nearly_exactly() {
        let pat = [10.0, 14.0, 18.0, 12.0, 8.0, 6.0];
        let y: Vec<f64> = (0..60).map(|t| 50.0 + pat[t % 6]).collect();
        let spec = ForecastSpec { horizon: 12, season: 6, quantiles: vec![0.1, 0.5, 0.9] };
        let f = Algorithm::Ets.forecast(&y, &spec).expect("forecast");
        for h in 0..12 {
            assert!((f.mean[h] - (50.0 + pat[(60 + h) % 6])).abs() < 0.5, "{h}: {:?}", f.mean);
        }
    }

    #[test]
    fn trend_is_extrapolated_and_intervals_widen() {
        let mut rng = stats::Rng::new(3);
        let y: Vec<f64> = (0..100).map(|t| 5.0 + 2.0 * t as f64 + rng.uniform() - 0.5).collect();
        let fit = auto_fit(&y, 1).expect("fit");
        assert_ne!(fit.spec.trend, Trend::None);
        let (mean, sd) = fit.predict(10);
        assert!((mean[9] - (5.0 + 2.0 * 109.0)).abs() < 3.0, "{mean:?}");
        assert!(sd[9] > sd[0]);
    }

    #[test]
    fn random_walk_interval_widens_with_lead() {
        let mut rng = stats::Rng::new(9);
        let mut v = 100.0;
        let y: Vec<f64> = (0..300)
            .map(|_| {
                v += rng.uniform() - 0.5;
                v
            })
            .collect();
        let spec = ForecastSpec { horizon: 20, season: 1, quantiles: vec![0.1, 0.9] };
        let f = Algorithm::Ets.forecast(&y, &spec).expect("forecast");
        let w = |h: usize| f.quantiles[1][h] - f.quantiles[0][h];
        assert!(w(19) > 2.0 * w(0), "{} {}", w(0), w(19));
    }
}
