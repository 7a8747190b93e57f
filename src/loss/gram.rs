//! Gram matrices normalised by positions: `G = F F^T / M` for features
//! `F (N, M)` (N channels, M = h*w positions).

use crate::ops::cache::caches;
use crate::ops::simd::{aligned_window, gemm_rows, padded_stride, transpose_slice, window_start, Isa, Strided, LANES};
use rayon::prelude::*;
use std::cell::RefCell;

/// Positions per parallel task: about an eighth of the layer, at least 256.
/// A function of the shape alone, so the sum's order (and every bit of G) is
/// the same for any number of threads. Splitting over positions packs each
/// feature once; splitting G's rows instead repacked all of F per task (perf).
pub fn position_chunk(m: usize) -> usize {
    m.div_ceil(8).max(256).min(m.max(1))
}

thread_local! {
    /// A slice of the features transposed: `(positions, N)` with a padded row stride.
    static TRANSPOSED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// `G (N, N) = F F^T / M`: partial Grams over position chunks, added in order.
/// Each chunk goes through in slices of positions: the slice is transposed
/// into `T (positions, N)` and the GEMM micro-kernel adds `T^T T` for the
/// blocks of 8 rows on and above the diagonal only (G is symmetric; the lower
/// half is mirrored at the end). Each element is the same sum, in the same
/// order, for any number of threads.
#[inline(never)]
pub fn gram(f: &[f32], n: usize, m: usize) -> Vec<f32> {
    assert_eq!(f.len(), n * m, "gram: features are not (N, M)");
    if m == 0 || n == 0 {
        return vec![0.0; n * n];
    }
    let isa = Isa::detect();
    let chunk = position_chunk(m);
    let ld = padded_stride(n);
    // Positions per slice: the transposed slice takes about a quarter of one
    // core's L2 (256 KiB at 1 MiB), re-read for every row block of G.
    let slice = (caches().l2 / 16 / ld).clamp(16, 4096);
    // Each partial Gram in a buffer of its own, at a 64-byte boundary `skip`
    // floats in (the micro-kernel's rows of C then start on cache lines).
    let partials: Vec<(Vec<f32>, usize)> = (0..m.div_ceil(chunk))
        .into_par_iter()
        .with_max_len(1)
        .map(|c| {
            let (k0, k1) = (c * chunk, ((c + 1) * chunk).min(m));
            let mut buf = Vec::new();
            let g = aligned_window(&mut buf, n * n);
            TRANSPOSED.with(|cell| {
                let t = &mut *cell.borrow_mut();
                let t = aligned_window(t, slice * ld);
                for (s, p0) in (k0..k1).step_by(slice).enumerate() {
                    let p1 = (p0 + slice).min(k1);
                    let len = p1 - p0;
                    transpose_slice(isa, f, n, m, p0, p1, t, ld);
                    for r0 in (0..n).step_by(8) {
                        let rows = 8.min(n - r0);
                        // Columns from the vector holding the diagonal on.
                        let j0 = r0 / LANES * LANES;
                        let a = Strided { data: &t[..], offset: r0, rs: 1, cs: ld };
                        gemm_rows(isa, rows, len, n - j0, 1.0, a, &t[j0..], ld, s > 0, &mut g[r0 * n + j0..], n);
                    }
                }
            });
            let skip = window_start(&buf);
            (buf, skip)
        })
        .collect();
    fn view(p: &(Vec<f32>, usize), len: usize) -> &[f32] {
        &p.0[p.1..p.1 + len]
    }
    // The partial Grams added in chunk order (the same sums for any thread
    // count), rows in parallel; then the upper half scaled and mirrored.
    let (first, rest) = partials.split_first().expect("at least one chunk");
    let mut g = view(first, n * n).to_vec();
    g.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        for p in rest.iter().map(|p| view(p, n * n)) {
            row[i..].iter_mut().zip(&p[i * n + i..(i + 1) * n]).for_each(|(a, b)| *a += b);
        }
    });
    let scale = 1.0 / m as f32;
    let mut out = vec![0.0f32; n * n];
    out.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        for (j, v) in row.iter_mut().enumerate() {
            *v = if i <= j { g[i * n + j] } else { g[j * n + i] } * scale;
        }
    });
    out
}

/// `G = F F^T / M` one dot product at a time, in f64. Reference only.
#[cfg(any(test, feature = "testing"))]
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
