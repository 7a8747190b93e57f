//! Gram matrices normalised by positions: `G = F F^T / M` for features
//! `F (N, M)` (N channels, M = h*w positions).

use crate::ops::gemm::{gemm, MatRef};
use rayon::prelude::*;

/// Rows of G per parallel task (fixed: the result does not depend on threads).
const ROWS_PER_TASK: usize = 16;

/// `G (N, N) = F F^T / M`.
#[inline(never)]
pub fn gram(f: &[f32], n: usize, m: usize) -> Vec<f32> {
    assert_eq!(f.len(), n * m, "gram: features are not (N, M)");
    let mut g = vec![0.0f32; n * n];
    if m == 0 {
        return g;
    }
    let fm = MatRef::row_major(f, n, m);
    let scale = 1.0 / m as f32;
    g.par_chunks_mut(ROWS_PER_TASK * n).enumerate().for_each(|(b, rows)| {
        let r0 = b * ROWS_PER_TASK;
        let nr = rows.len() / n;
        let a = MatRef::row_major(&f[r0 * m..(r0 + nr) * m], nr, m);
        gemm(scale, a, fm.t(), 0.0, rows, n);
    });
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
