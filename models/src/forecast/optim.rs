//! Nelder–Mead simplex minimisation: derivative-free, robust on the small (2–10 parameter)
//! likelihoods of ETS, ARIMA and Theta, and allocation-free inside its loop.

/// Minimises `f` from `x0` with initial steps `step`. Stops after `max_evals` evaluations or
/// when the simplex's function values differ by less than `tol` (relative). Returns the
/// best point and its value.
pub(crate) fn nelder_mead<F: FnMut(&[f64]) -> f64>(
    mut f: F,
    x0: &[f64],
    step: f64,
    max_evals: usize,
    tol: f64,
) -> (Vec<f64>, f64) {
    let n = x0.len();
    if n == 0 {
        let v = f(x0);
        return (Vec::new(), v);
    }
    let mut pts: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
    let mut vals: Vec<f64> = Vec::with_capacity(n + 1);
    pts.push(x0.to_vec());
    vals.push(sanitize(f(x0)));
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += if p[i].abs() > 1e-8 { step * p[i].abs().max(1.0) } else { step };
        vals.push(sanitize(f(&p)));
        pts.push(p);
    }
    let mut evals = n + 1;
    let mut centroid = vec![0.0; n];
    let mut trial = vec![0.0; n];
    let mut trial2 = vec![0.0; n];
    let mut order: Vec<usize> = (0..=n).collect();
    while evals < max_evals {
        order.sort_by(|a, b| vals[*a].total_cmp(&vals[*b]));
        let (best, worst, second) = (order[0], order[n], order[n - 1]);
        let spread = (vals[worst] - vals[best]).abs();
        if spread <= tol * (vals[best].abs() + tol) {
            break;
        }
        centroid.iter_mut().for_each(|c| *c = 0.0);
        for &i in &order[..n] {
            for (c, x) in centroid.iter_mut().zip(&pts[i]) {
                *c += x / n as f64;
            }
        }
        // Reflection.
        for j in 0..n {
            trial[j] = centroid[j] + (centroid[j] - pts[worst][j]);
        }
        let fr = sanitize(f(&trial));
        evals += 1;
        if fr < vals[best] {
            // Expansion.
            for j in 0..n {
                trial2[j] = centroid[j] + 2.0 * (centroid[j] - pts[worst][j]);
            }
            let fe = sanitize(f(&trial2));
            evals += 1;
            if fe < fr {
                pts[worst].copy_from_slice(&trial2);
                vals[worst] = fe;
            } else {
                pts[worst].copy_from_slice(&trial);
                vals[worst] = fr;
            }
        } else if fr < vals[second] {
            pts[worst].copy_from_slice(&trial);
            vals[worst] = fr;
        } else {
            // Contraction (outside if the reflection helped a little, inside otherwise).
            let outside = fr < vals[worst];
            for j in 0..n {
                let d = if outside { trial[j] - centroid[j] } else { pts[worst][j] - centroid[j] };
                trial2[j] = centroid[j] + 0.5 * d;
            }
            let fc = sanitize(f(&trial2));
            evals += 1;
            if fc < vals[worst].min(fr) {
                pts[worst].copy_from_slice(&trial2);
                vals[worst] = fc;
            } else {
                // Shrink towards the best.
                let best_pt = pts[best].clone();
                for i in 0..=n {
                    if i == best {
                        continue;
                    }
                    for j in 0..n {
                        pts[i][j] = best_pt[j] + 0.5 * (pts[i][j] - best_pt[j]);
                    }
                    vals[i] = sanitize(f(&pts[i]));
                    evals += 1;
                }
            }
        }
    }
    let best = (0..=n).min_by(|a, b| vals[*a].total_cmp(&vals[*b])).unwrap_or(0);
    (pts[best].clone(), vals[best])
}

fn sanitize(v: f64) -> f64 {
    if v.is_finite() { v } else { f64::MAX / 4.0 }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_minimum_of_rosenbrock() {
        let (x, v) = super::nelder_mead(
            |p| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2),
            &[-1.2, 1.0],
            0.5,
            5000,
            1e-14,
        );
        assert!(v < 1e-6, "{x:?} {v}");
    }
}
