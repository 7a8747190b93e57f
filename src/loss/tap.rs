//! Every loss at one tap, with its gradient written over the features in place:
//! `dL/dF = c (F - P) + s (G - A) F / (N^2 M)` column by column, so the largest
//! layers need no second buffer of their size.

use super::gram::gram;
use crate::ops::gemm::ColumnTiles;
use crate::ops::reduce::sum_map2;
use crate::ops::simd::{gemm_rows, Isa, Strided};
use rayon::prelude::*;
use std::cell::RefCell;

/// About 256 Ki floats of features per task, so each task's two scratch
/// buffers stay near 1 MiB.
fn chunk_for(n: usize, m: usize) -> usize {
    (256 * 1024 / n.max(1)).clamp(16, m.max(16))
}

thread_local! {
    /// A chunk of the features and of its gradient, `(N, chunk)` each.
    static BUFFERS: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Loss values at one tap.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TapLosses {
    /// `1/2 sum (F - P)^2`, if there was a content target.
    pub content: Option<f64>,
    /// `E = 1/(4 N^2) sum (G - A)^2`, if there was a style target.
    pub style: Option<f64>,
}

/// Computes the losses of features `f (N, M)` against a content target
/// `(P (N, M), c)` and a style target `(A (N, N), s)`, then overwrites `f` with
/// `c dL_c/dF + s dE/dF`.
#[inline(never)]
pub fn tap_in_place(f: &mut [f32], n: usize, m: usize, content: Option<(&[f32], f32)>, style: Option<(&[f32], f32)>) -> TapLosses {
    assert_eq!(f.len(), n * m, "features are not (N, M)");
    let content_loss = content.map(|(p, _)| {
        assert_eq!(p.len(), f.len(), "content target differs in shape");
        0.5 * sum_map2(f, p, |a, b| {
            let d = a as f64 - b as f64;
            d * d
        })
    });
    let (style_loss, d) = match style {
        Some((a, _)) => {
            assert_eq!(a.len(), n * n, "style target is not (N, N)");
            let mut d = gram(f, n, m);
            let e = sum_map2(&d, a, |g, a| {
                let x = g as f64 - a as f64;
                x * x
            }) / (4.0 * (n * n) as f64);
            d.iter_mut().zip(a).for_each(|(g, a)| *g -= a);
            (Some(e), d)
        }
        None => (None, Vec::new()),
    };
    let losses = TapLosses { content: content_loss, style: style_loss };
    if m == 0 || n == 0 {
        return losses;
    }
    let s_alpha = style.map(|(_, s)| (s as f64 / ((n * n) as f64 * m as f64)) as f32);
    let chunk = chunk_for(n, m);
    let isa = Isa::detect();
    let tiles = ColumnTiles::new(f, n, m);
    (0..m.div_ceil(chunk)).into_par_iter().with_max_len(1).for_each(|ci| {
        let (p0, p1) = (ci * chunk, ((ci + 1) * chunk).min(m));
        let t = p1 - p0;
        // SAFETY: chunk ci covers columns p0..p1 of a fixed partition, one task each.
        let mut win = unsafe { tiles.tile(0, n, p0, t) };
        BUFFERS.with(|cell| {
            let (fin, out) = &mut *cell.borrow_mut();
            fin.resize(n * t, 0.0);
            out.resize(n * t, 0.0);
            for r in 0..n {
                fin[r * t..(r + 1) * t].copy_from_slice(win.row_mut(r));
            }
            if let Some((p, c)) = content {
                for r in 0..n {
                    let (o, fr, pr) = (&mut out[r * t..(r + 1) * t], &fin[r * t..(r + 1) * t], &p[r * m + p0..r * m + p1]);
                    for j in 0..t {
                        o[j] = c * (fr[j] - pr[j]);
                    }
                }
            }
            if let Some(alpha) = s_alpha {
                // out (+)= alpha D F[:, p0..p1]
                let a = Strided { data: &d, offset: 0, rs: n, cs: 1 };
                gemm_rows(isa, n, n, t, alpha, a, &fin[..n * t], t, content.is_some(), &mut out[..n * t], t);
            }
            for r in 0..n {
                win.row_mut(r).copy_from_slice(&out[r * t..(r + 1) * t]);
            }
        });
    });
    losses
}
