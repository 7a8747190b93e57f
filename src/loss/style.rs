//! The style loss of one layer: `E = 1/(4 N^2) sum_ij (G - A)_ij^2` with
//! `G = F F^T / M`, and its gradient `dE/dF = (G - A) F / (N^2 M)`.

use super::gram::{gram, position_chunk};
use crate::ops::gemm::{uniform, ColumnTiles, MatRef};
use crate::ops::reduce::sum_map2;
use rayon::prelude::*;

/// Returns `E` for features `f (N, M)` against the target Gram `a (N, N)`, and
/// adds `scale * dE/dF` into `grad (N, M)`.
pub fn style_layer(f: &[f32], n: usize, m: usize, a: &[f32], scale: f32, grad: &mut [f32]) -> f64 {
    assert_eq!(a.len(), n * n, "style: target is not (N, N)");
    assert_eq!(grad.len(), n * m, "style: gradient is not (N, M)");
    let mut d = gram(f, n, m);
    let nn = (n * n) as f64;
    let e = sum_map2(&d, a, |g, a| {
        let x = g as f64 - a as f64;
        x * x
    }) / (4.0 * nn);
    // d = G - A
    d.iter_mut().zip(a).for_each(|(g, a)| *g -= a);
    if scale != 0.0 && m > 0 {
        let alpha = (scale as f64 / (nn * m as f64)) as f32;
        // dF[:, p0..p1] += alpha * D F[:, p0..p1], one position chunk per task.
        let chunk = position_chunk(m);
        let dm = MatRef::row_major(&d, n, n);
        let mut tiles = ColumnTiles::new(grad, n, m);
        let grid = tiles.grid(vec![(0, n)], uniform(m, chunk));
        (0..m.div_ceil(chunk)).into_par_iter().with_max_len(1).for_each(|c| {
            let (p0, p1) = (c * chunk, ((c + 1) * chunk).min(m));
            let mut out = grid.take(0, c);
            let fm = MatRef { data: &f[p0..], rows: n, cols: p1 - p0, rs: m, cs: 1 };
            out.gemm(alpha, dm, fm, 1.0);
        });
    }
    e
}

/// `E` alone in f64 from the definition. Reference only.
pub fn style_layer_reference(f: &[f32], n: usize, m: usize, a: &[f32]) -> f64 {
    let g = super::gram::gram_reference(f, n, m);
    g.iter().zip(a).map(|(&g, &a)| (g as f64 - a as f64).powi(2)).sum::<f64>() / (4.0 * (n * n) as f64)
}
