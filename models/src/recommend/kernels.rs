//! The two inner loops every request and every ALS sweep spends its time in: a dot product and
//! a row added into a sum.
//!
//! Both are written with eight independent accumulators (lanes): floating-point sums are not
//! reassociated by the compiler, so a plain `sum()` runs one lane at a time, while this form
//! vectorises. Where the CPU has AVX2 the same code runs compiled for it (one 8-lane register
//! instead of two 4-lane ones, chosen at run time: release builds target baseline x86-64): the
//! same operations in the same order, so the same result to the bit on every machine.

/// `a · b` over their common length.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above (the detection is cached).
        return unsafe { dot_avx2(a, b) };
    }
    dot_lanes(a, b)
}

/// `out[i] += row[i]` over their common length.
pub(crate) fn add_assign(out: &mut [f32], row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: as in `dot`.
        return unsafe { add_assign_avx2(out, row) };
    }
    add_assign_lanes(out, row)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn add_assign_avx2(out: &mut [f32], row: &[f32]) {
    add_assign_lanes(out, row)
}

#[inline(always)]
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn add_assign_lanes(out: &mut [f32], row: &[f32]) {
    out.iter_mut().zip(row).for_each(|(a, b)| *a += b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dispatched_kernels_are_the_portable_ones_to_the_bit() {
        let mut rng = crate::rng::SplitMix64::new(3);
        for n in [0, 1, 7, 8, 9, 64, 65, 200] {
            let a: Vec<f32> = (0..n).map(|_| (rng.next_f64() - 0.5) as f32 * 10.0).collect();
            let b: Vec<f32> = (0..n).map(|_| (rng.next_f64() - 0.5) as f32).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() <= 1e-4 * (1.0 + plain.abs()), "n {n}");
            assert_eq!(dot(&a, &b).to_bits(), dot_lanes(&a, &b).to_bits(), "n {n}");
            let (mut x, mut y) = (a.clone(), a.clone());
            add_assign(&mut x, &b);
            add_assign_lanes(&mut y, &b);
            assert_eq!(x, y);
            assert!(x.iter().zip(a.iter().zip(&b)).all(|(s, (p, q))| *s == p + q));
        }
    }
}
