//! The inner loops every request and every ALS sweep spends its time in: a dot product, a row
//! added into a sum, and the dot products of one query with a block of rows (the item index's
//! scan).
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

use half::f16;

/// Rows per block of [`block_dots`].
pub(crate) const BLOCK: usize = 8;

/// `out[r] = x · row r` for the [`BLOCK`] rows of `block`, stored dimension-major (`x.len()`
/// groups of `BLOCK` values: every row's first value, then every row's second, ...). Laid out
/// so, a block needs no horizontal sums: each dimension is one broadcast multiply-add into eight
/// lanes.
pub(crate) fn block_dots(x: &[f32], block: &[f32], out: &mut [f32; BLOCK]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: as in `dot`.
        return unsafe { block_dots_avx2(x, block, out) };
    }
    block_dots_lanes(x, block, out, |v| v)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn block_dots_avx2(x: &[f32], block: &[f32], out: &mut [f32; BLOCK]) {
    block_dots_lanes(x, block, out, |v| v)
}

#[inline(always)]
fn block_dots_lanes<T: Copy>(x: &[f32], block: &[T], out: &mut [f32; BLOCK], widen: impl Fn(T) -> f32) {
    // Four independent sums (dimensions mod 4) so the additions do not wait on each other.
    let mut acc = [[0f32; BLOCK]; 4];
    let mut xs = x.chunks_exact(4);
    let mut rows = block.chunks_exact(4 * BLOCK);
    for (x4, r4) in (&mut xs).zip(&mut rows) {
        for (j, a) in acc.iter_mut().enumerate() {
            let (v, r) = (x4[j], &r4[j * BLOCK..(j + 1) * BLOCK]);
            for l in 0..BLOCK {
                a[l] += v * widen(r[l]);
            }
        }
    }
    for (&v, r) in xs.remainder().iter().zip(rows.remainder().chunks_exact(BLOCK)) {
        for l in 0..BLOCK {
            acc[0][l] += v * widen(r[l]);
        }
    }
    for l in 0..BLOCK {
        out[l] = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
    }
}

/// [`block_dots`] over rows stored as 16-bit floats (widened exactly to f32 as they are read).
pub(crate) fn block_dots_f16(x: &[f32], block: &[f16], out: &mut [f32; BLOCK]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("f16c") {
        // SAFETY: the CPU supports AVX2 and F16C, checked just above.
        return unsafe { block_dots_f16_avx2(x, block, out) };
    }
    block_dots_lanes(x, block, out, f16::to_f32)
}

/// The same sums in the same order as [`block_dots_lanes`] (so the same bits), eight rows per
/// 256-bit register, widening eight 16-bit floats with one F16C instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,f16c")]
fn block_dots_f16_avx2(x: &[f32], block: &[f16], out: &mut [f32; BLOCK]) {
    use std::arch::x86_64::{
        __m128i, __m256, _mm_loadu_si128, _mm256_add_ps, _mm256_cvtph_ps, _mm256_mul_ps, _mm256_set1_ps,
        _mm256_setzero_ps, _mm256_storeu_ps,
    };
    const _: () = assert!(BLOCK == 8, "one 256-bit register holds a block's lanes");
    let dims = x.len().min(block.len() / BLOCK);
    let row = |d: usize| -> __m256 {
        let r = &block[d * BLOCK..(d + 1) * BLOCK];
        // SAFETY: `r` is 8 f16 values, the 16 bytes an unaligned 128-bit load reads.
        _mm256_cvtph_ps(unsafe { _mm_loadu_si128(r.as_ptr().cast::<__m128i>()) })
    };
    let mut acc = [_mm256_setzero_ps(); 4];
    let whole = dims / 4 * 4;
    for d in (0..whole).step_by(4) {
        for (j, a) in acc.iter_mut().enumerate() {
            *a = _mm256_add_ps(*a, _mm256_mul_ps(_mm256_set1_ps(x[d + j]), row(d + j)));
        }
    }
    for (d, &v) in x.iter().enumerate().take(dims).skip(whole) {
        acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(_mm256_set1_ps(v), row(d)));
    }
    let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    // SAFETY: `out` is 8 f32 values, the 32 bytes an unaligned 256-bit store writes.
    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), sum) };
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

    #[test]
    fn block_dots_are_the_rows_dot_products() {
        let mut rng = crate::rng::SplitMix64::new(5);
        for k in [1, 3, 4, 7, 64, 65] {
            let x: Vec<f32> = (0..k).map(|_| (rng.next_f64() - 0.5) as f32).collect();
            let rows: Vec<Vec<f32>> =
                (0..BLOCK).map(|_| (0..k).map(|_| (rng.next_f64() - 0.5) as f32 * 4.0).collect()).collect();
            let block: Vec<f32> = (0..k).flat_map(|d| rows.iter().map(move |r| r[d])).collect();
            let mut out = [0f32; BLOCK];
            block_dots(&x, &block, &mut out);
            let mut lanes = [0f32; BLOCK];
            block_dots_lanes(&x, &block, &mut lanes, |v| v);
            // The same rows as 16-bit floats: the dispatched kernel and the portable one agree to
            // the bit, and both are the dot products with the rounded rows.
            let halves: Vec<f16> = block.iter().map(|&v| f16::from_f32(v)).collect();
            let (mut out16, mut lanes16) = ([0f32; BLOCK], [0f32; BLOCK]);
            block_dots_f16(&x, &halves, &mut out16);
            block_dots_lanes(&x, &halves, &mut lanes16, f16::to_f32);
            for (r, row) in rows.iter().enumerate() {
                let want: f32 = x.iter().zip(row).map(|(a, b)| a * b).sum();
                assert!((out[r] - want).abs() <= 1e-5 * (1.0 + want.abs()), "k {k} row {r}");
                assert_eq!(out[r].to_bits(), lanes[r].to_bits(), "k {k} row {r}");
                let rounded: f32 = x.iter().zip(row).map(|(a, b)| a * f16::from_f32(*b).to_f32()).sum();
                assert!((out16[r] - rounded).abs() <= 1e-5 * (1.0 + rounded.abs()), "k {k} row {r}");
                assert_eq!(out16[r].to_bits(), lanes16[r].to_bits(), "k {k} row {r}");
            }
        }
    }
}
