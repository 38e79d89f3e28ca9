//! Seasonal naive: the last observed season repeated.
//!
//! Its quantiles come from its own in-sample errors at the same lead: the h-step forecast
//! copies the value k = ⌈h/m⌉ seasons back, so its error distribution is that of
//! y_t − y_{t−k·m} over the history. No distribution is assumed, and the interval widens
//! with every season ahead the way the method's real errors do.

use super::model::Input;
use super::{Forecast, stats};

pub(crate) fn seasonal_naive(input: &Input) -> Forecast {
    let y = input.y;
    let n = y.len();
    // Fewer than one full season: fall back to the plain naive forecast (m = 1).
    let m = if input.season() <= n { input.season() } else { 1 };
    let h_max = input.horizon();
    let point: Vec<f64> = (1..=h_max).map(|h| y[n - m + (h - 1) % m]).collect();
    let levels = input.levels();
    let mut quantiles = vec![vec![0.0; h_max]; levels.len()];
    let mut errors: Vec<f64> = Vec::with_capacity(n);
    let mut last_k = 0;
    let mut qs = vec![0.0; levels.len()];
    for h in 1..=h_max {
        let k = (h - 1) / m + 1;
        if k != last_k {
            last_k = k;
            let lag = k * m;
            errors.clear();
            errors.extend((lag..n).map(|t| y[t] - y[t - lag]));
            stats::sort(&mut errors);
            for (q, &tau) in qs.iter_mut().zip(levels) {
                *q = if errors.is_empty() { 0.0 } else { stats::sorted_quantile(&errors, tau) };
            }
        }
        for (k, q) in qs.iter().enumerate() {
            let v = point[h - 1] + q;
            quantiles[k][h - 1] = if input.non_negative { v.max(0.0) } else { v };
        }
    }
    // Quantiles of one step can cross only through the floor at zero; keep them ordered.
    for h in 0..h_max {
        let mut col: Vec<f64> = quantiles.iter().map(|q| q[h]).collect();
        let mut order: Vec<usize> = (0..levels.len()).collect();
        order.sort_by(|a, b| levels[*a].total_cmp(&levels[*b]));
        let mut sorted: Vec<f64> = order.iter().map(|&i| col[i]).collect();
        stats::sort(&mut sorted);
        for (rank, &i) in order.iter().enumerate() {
            col[i] = sorted[rank];
        }
        for (k, v) in col.into_iter().enumerate() {
            quantiles[k][h] = v;
        }
    }
    Forecast { levels: levels.to_vec(), quantiles, mean: point }
}

#[cfg(test)]
mod tests {
    use crate::forecast::{Algorithm, ForecastSpec};

    #[test]
    fn repeats_last_season_and_widens_per_season() {
        let pat = [3.0, 7.0, 5.0, 1.0];
        // Pattern on a random walk: errors k seasons back grow with k.
        let mut rng = crate::forecast::stats::Rng::new(4);
        let mut level = 0.0;
        let y: Vec<f64> = (0..400)
            .map(|t| {
                level += rng.uniform() - 0.5;
                pat[t % 4] + level
            })
            .collect();
        let spec = ForecastSpec { horizon: 8, season: 4, quantiles: vec![0.1, 0.5, 0.9], long_season: None };
        let f = Algorithm::SeasonalNaive.forecast(&y, &spec).expect("forecast");
        for h in 0..8 {
            assert_eq!(f.mean[h], y[396 + h % 4]);
        }
        let width = |h: usize| f.quantiles[2][h] - f.quantiles[0][h];
        assert!(width(0) > 0.0);
        assert!(width(4) >= width(0));
    }
}
