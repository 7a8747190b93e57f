//! The paper's losses one layer at a time, each pass on its own: oracles for
//! the engine's fused in-place tap gradient (`loss::tap_in_place`). Plain
//! loops; the sums use the library's deterministic `sum_map2`, so the loss
//! values compare bit for bit and the gradients to rounding.

use neural_style::loss::gram::{gram, gram_reference};
use neural_style::ops::reduce::sum_map2;

/// `L = 1/2 sum (F - P)^2`; adds `scale * (F - P)` into `grad`.
pub fn content_layer(f: &[f32], p: &[f32], scale: f32, grad: &mut [f32]) -> f64 {
    assert_eq!(f.len(), p.len(), "content: features and target differ in shape");
    assert_eq!(f.len(), grad.len());
    for ((g, a), b) in grad.iter_mut().zip(f).zip(p) {
        *g += scale * (a - b);
    }
    0.5 * sum_map2(f, p, |a, b| {
        let d = a as f64 - b as f64;
        d * d
    })
}

/// `E = 1/(4 N^2) sum (G - A)^2` with `G = F F^T / M` for `f (N, M)`; adds
/// `scale * (G - A) F / (N^2 M)` into `grad (N, M)` (accumulated in f64).
pub fn style_layer(f: &[f32], n: usize, m: usize, a: &[f32], scale: f32, grad: &mut [f32]) -> f64 {
    assert_eq!(a.len(), n * n, "style: target is not (N, N)");
    assert_eq!(grad.len(), n * m, "style: gradient is not (N, M)");
    let g = gram(f, n, m);
    let e = sum_map2(&g, a, |g, a| {
        let x = g as f64 - a as f64;
        x * x
    }) / (4.0 * (n * n) as f64);
    if scale != 0.0 && m > 0 {
        let alpha = scale as f64 / ((n * n) as f64 * m as f64);
        for i in 0..n {
            for p in 0..m {
                let s: f64 = (0..n).map(|j| (g[i * n + j] - a[i * n + j]) as f64 * f[j * m + p] as f64).sum();
                grad[i * m + p] += (alpha * s) as f32;
            }
        }
    }
    e
}

/// `E` alone in f64 from the definition.
pub fn style_layer_reference(f: &[f32], n: usize, m: usize, a: &[f32]) -> f64 {
    let g = gram_reference(f, n, m);
    g.iter().zip(a).map(|(&g, &a)| (g as f64 - a as f64).powi(2)).sum::<f64>() / (4.0 * (n * n) as f64)
}
