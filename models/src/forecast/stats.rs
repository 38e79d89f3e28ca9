//! Small numerical helpers the models share: the normal quantile, empirical quantiles,
//! autocorrelation, a KPSS statistic, classical decomposition and a seeded generator.

use crate::rng::SplitMix64;

/// Inverse of the standard normal CDF (Acklam's rational approximation, relative error
/// below 1.2e-9, refined by one Halley step on `erfc`), so any quantile level in (0, 1) works.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let low = 0.024_25;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// Empirical quantile of sorted data (linear interpolation between order statistics,
/// the "type 7" definition numpy and R use by default).
pub fn sorted_quantile(sorted: &[f64], tau: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = tau * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            let w = pos - lo as f64;
            sorted[lo] * (1.0 - w) + sorted[hi] * w
        }
    }
}

/// Sorts in place, NaN last (they should not be there; this keeps sorting total).
pub fn sort(v: &mut [f64]) {
    v.sort_unstable_by(|a, b| a.total_cmp(b));
}

/// Mean of the finite values.
pub fn mean(v: &[f64]) -> f64 {
    let (s, n) = v.iter().filter(|x| x.is_finite()).fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Autocorrelation at `lag` (biased estimator, as R's `acf`).
pub fn acf(y: &[f64], lag: usize) -> f64 {
    let n = y.len();
    if lag >= n {
        return 0.0;
    }
    let m = mean(y);
    let denom: f64 = y.iter().map(|v| (v - m) * (v - m)).sum();
    if denom <= 0.0 {
        return 0.0;
    }
    let num: f64 = (lag..n).map(|t| (y[t] - m) * (y[t - lag] - m)).sum();
    num / denom
}

/// Whether a season of length `m` is significant: the lag-`m` autocorrelation exceeds the
/// 90% bound with Bartlett's variance (the test Theta and M4's benchmarks use).
pub fn seasonality_test(y: &[f64], m: usize) -> bool {
    if m < 2 || y.len() < 3 * m {
        return false;
    }
    let r: Vec<f64> = (1..=m).map(|k| acf(y, k)).collect();
    let sum_sq: f64 = r[..m - 1].iter().map(|x| x * x).sum();
    let limit = 1.645 * ((1.0 + 2.0 * sum_sq) / y.len() as f64).sqrt();
    r[m - 1].abs() > limit
}

/// KPSS level-stationarity statistic with a Bartlett window of `4(n/100)^{1/4}` lags
/// (R's `tseries::kpss.test` short lag, which `auto.arima` uses).
pub fn kpss_statistic(y: &[f64]) -> f64 {
    let n = y.len();
    if n < 3 {
        return 0.0;
    }
    let m = mean(y);
    let mut s = 0.0;
    let mut eta = 0.0;
    let mut gamma0 = 0.0;
    for v in y {
        let e = v - m;
        s += e;
        eta += s * s;
        gamma0 += e * e;
    }
    let nf = n as f64;
    let lags = (4.0 * (nf / 100.0).powf(0.25)).floor() as usize;
    let mut var = gamma0 / nf;
    for l in 1..=lags.min(n - 1) {
        let g: f64 = (l..n).map(|t| (y[t] - m) * (y[t - l] - m)).sum::<f64>() / nf;
        var += 2.0 * (1.0 - l as f64 / (lags as f64 + 1.0)) * g;
    }
    if var <= 0.0 {
        return 0.0;
    }
    eta / (nf * nf * var)
}

/// Classical decomposition's seasonal indices (length `m`): centred moving average trend,
/// detrended values averaged per season position. Multiplicative indices average 1,
/// additive ones 0. `None` when there are fewer than two full seasons.
pub fn seasonal_indices(y: &[f64], m: usize, multiplicative: bool) -> Option<Vec<f64>> {
    let n = y.len();
    if m < 2 || n < 2 * m {
        return None;
    }
    let half = m / 2;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    // Running sum for the moving average; even m uses the 2×m centred average.
    for t in half..n - half {
        let trend = if m % 2 == 1 {
            y[t - half..=t + half].iter().sum::<f64>() / m as f64
        } else {
            let inner: f64 = y[t - half + 1..t + half].iter().sum();
            (inner + 0.5 * (y[t - half] + y[t + half])) / m as f64
        };
        let d = if multiplicative {
            if trend.abs() < 1e-12 {
                continue;
            }
            y[t] / trend
        } else {
            y[t] - trend
        };
        sums[t % m] += d;
        counts[t % m] += 1;
    }
    if counts.contains(&0) {
        return None;
    }
    let mut idx: Vec<f64> = sums.iter().zip(&counts).map(|(s, c)| s / *c as f64).collect();
    let avg = idx.iter().sum::<f64>() / m as f64;
    for v in &mut idx {
        if multiplicative {
            *v /= avg;
        } else {
            *v -= avg;
        }
    }
    Some(idx)
}

/// Strength of seasonality in [0, 1] (Wang, Smith & Hyndman): 1 − Var(remainder) /
/// Var(season + remainder), from a classical additive decomposition.
pub fn seasonal_strength(y: &[f64], m: usize) -> f64 {
    let Some(idx) = seasonal_indices(y, m, false) else {
        return 0.0;
    };
    let n = y.len();
    let half = m / 2;
    let (mut r_sum, mut r_sq, mut sr_sum, mut sr_sq, mut cnt) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for t in half..n - half {
        let trend = if m.is_multiple_of(2) {
            let inner: f64 = y[t - half + 1..t + half].iter().sum();
            (inner + 0.5 * (y[t - half] + y[t + half])) / m as f64
        } else {
            y[t - half..=t + half].iter().sum::<f64>() / m as f64
        };
        let sr = y[t] - trend;
        let r = sr - idx[t % m];
        r_sum += r;
        r_sq += r * r;
        sr_sum += sr;
        sr_sq += sr * sr;
        cnt += 1.0;
    }
    if cnt < 2.0 {
        return 0.0;
    }
    let var_r = r_sq / cnt - (r_sum / cnt).powi(2);
    let var_sr = sr_sq / cnt - (sr_sum / cnt).powi(2);
    if var_sr <= 0.0 { 0.0 } else { (1.0 - var_r / var_sr).max(0.0) }
}

/// The crate's seeded generator as forecasting draws from it: uniforms in the open (0, 1),
/// so a quantile of a sample never lands exactly on 0 or 1.
#[derive(Debug, Clone)]
pub struct Rng(SplitMix64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(SplitMix64::new(seed ^ 0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_known_values() {
        assert!((normal_quantile(0.5)).abs() < 1e-9);
        assert!((normal_quantile(0.9) - 1.281_551_565_5).abs() < 1e-7);
        assert!((normal_quantile(0.1) + 1.281_551_565_5).abs() < 1e-7);
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-7);
        assert!((normal_quantile(0.001) + 3.090_232_306).abs() < 1e-6);
    }

    #[test]
    fn empirical_quantile_interpolates() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(sorted_quantile(&v, 0.5), 3.0);
        assert!((sorted_quantile(&v, 0.1) - 1.4).abs() < 1e-12);
    }

    #[test]
    fn seasonal_indices_recover_pattern() {
        let pat = [1.0, 5.0, 3.0, -9.0];
        let y: Vec<f64> = (0..40).map(|t| 10.0 + pat[t % 4]).collect();
        let idx = seasonal_indices(&y, 4, false).expect("indices");
        for (a, b) in idx.iter().zip(pat) {
            assert!((a - b).abs() < 1e-9, "{idx:?}");
        }
        assert!(seasonal_strength(&y, 4) > 0.99);
        assert!(seasonality_test(&y, 4));
    }

    #[test]
    fn kpss_separates_noise_from_trend() {
        let mut rng = Rng::new(1);
        let noise: Vec<f64> = (0..200).map(|_| rng.uniform() - 0.5).collect();
        let trend: Vec<f64> = (0..200).map(|t| t as f64).collect();
        assert!(kpss_statistic(&noise) < 0.463);
        assert!(kpss_statistic(&trend) > 0.463);
    }
}
