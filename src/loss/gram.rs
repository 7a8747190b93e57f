//! Gram matrices normalised by positions: `G = F F^T / M` for features
//! `F (N, M)` (N channels, M = h*w positions).

use crate::ops::gemm::{gemm, MatRef};
use rayon::prelude::*;

/// Positions per parallel task: about an eighth of the layer, at least 256.
/// A function of the shape alone, so the sum's order (and every bit of G) is
/// the same for any number of threads. Splitting over positions packs each
/// feature once; splitting G's rows instead repacked all of F per task (perf).
pub fn position_chunk(m: usize) -> usize {
    m.div_ceil(8).max(256).min(m.max(1))
}

/// `G (N, N) = F F^T / M`: partial Grams over position chunks, added in order.
#[inline(never)]
pub fn gram(f: &[f32], n: usize, m: usize) -> Vec<f32> {
    assert_eq!(f.len(), n * m, "gram: features are not (N, M)");
    if m == 0 || n == 0 {
        return vec![0.0; n * n];
    }
    let chunk = position_chunk(m);
    let scale = 1.0 / m as f32;
    let partials: Vec<Vec<f32>> = (0..m.div_ceil(chunk))
        .into_par_iter()
        .with_max_len(1)
        .map(|c| {
            let (k0, k1) = (c * chunk, ((c + 1) * chunk).min(m));
            // F[:, k0..k1] as an (N, k1-k0) view with row stride M.
            let a = MatRef { data: &f[k0..], rows: n, cols: k1 - k0, rs: m, cs: 1 };
            let mut g = vec![0.0f32; n * n];
            gemm(scale, a, a.t(), 0.0, &mut g, n);
            g
        })
        .collect();
    let mut parts = partials.into_iter();
    let mut g = parts.next().unwrap();
    for p in parts {
        g.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
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
