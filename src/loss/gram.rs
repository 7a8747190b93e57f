//! Gram matrices normalised by positions: `G = F F^T / M` for features
//! `F (N, M)` (N channels, M = h*w positions).

use crate::ops::simd::{dots4x4, Isa};
use rayon::prelude::*;

/// Positions per parallel task: about an eighth of the layer, at least 256.
/// A function of the shape alone, so the sum's order (and every bit of G) is
/// the same for any number of threads. Splitting over positions packs each
/// feature once; splitting G's rows instead repacked all of F per task (perf).
pub fn position_chunk(m: usize) -> usize {
    m.div_ceil(8).max(256).min(m.max(1))
}

/// `G (N, N) = F F^T / M`: partial Grams over position chunks, added in order.
/// G is symmetric: each chunk computes the 4x4 blocks on and above the
/// diagonal only ([`dots4x4`], both operands read along their rows, nothing
/// packed), in slices of positions that keep the rows in cache; the lower
/// half is mirrored at the end.
#[inline(never)]
pub fn gram(f: &[f32], n: usize, m: usize) -> Vec<f32> {
    assert_eq!(f.len(), n * m, "gram: features are not (N, M)");
    if m == 0 || n == 0 {
        return vec![0.0; n * n];
    }
    let isa = Isa::detect();
    let chunk = position_chunk(m);
    // Positions per slice: the N rows of a slice take about 1 MB.
    let slice = (256 * 1024 / n).clamp(64, 4096) / 16 * 16;
    let partials: Vec<Vec<f32>> = (0..m.div_ceil(chunk))
        .into_par_iter()
        .with_max_len(1)
        .map(|c| {
            let (k0, k1) = (c * chunk, ((c + 1) * chunk).min(m));
            let mut g = vec![0.0f32; n * n];
            for p0 in (k0..k1).step_by(slice) {
                let p1 = (p0 + slice).min(k1);
                // Row r of the slice; rows past N repeat the last (their sums are dropped).
                let row = |r: usize| &f[r.min(n - 1) * m + p0..r.min(n - 1) * m + p1];
                for i0 in (0..n).step_by(4) {
                    for j0 in (i0..n).step_by(4) {
                        let d = dots4x4(isa, std::array::from_fn(|i| row(i0 + i)), std::array::from_fn(|j| row(j0 + j)));
                        for (i, di) in d.iter().enumerate().take(n - i0) {
                            for (j, &v) in di.iter().enumerate().take(n - j0) {
                                g[(i0 + i) * n + j0 + j] += v;
                            }
                        }
                    }
                }
            }
            g
        })
        .collect();
    let mut parts = partials.into_iter();
    let mut g = parts.next().unwrap();
    for p in parts {
        g.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
    }
    let scale = 1.0 / m as f32;
    for i in 0..n {
        for j in i..n {
            let v = g[i * n + j] * scale;
            g[i * n + j] = v;
            g[j * n + i] = v;
        }
    }
    g
}

/// `G = F F^T / M` one dot product at a time, in f64. Reference only.
pub fn gram_reference(f: &[f32], n: usize, m: usize) -> Vec<f32> {
    let mut g = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let s: f64 = (0..m).map(|k| f[i * m + k] as f64 * f[j * m + k] as f64).sum();
            g[i * n + j] = (s / m as f64) as f32;
        }
    }
    g
}
