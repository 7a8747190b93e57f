//! Every loss at one tap, with its gradient written over the features in place:
//! `dL/dF = c (F - P) + s (G - A) F / (N^2 M)` column by column, so the largest
//! layers need no second buffer of their size.
//!
//! A style term may be guided (Gatys et al. 2017, spatial control): with a guide
//! `g (M)` over the positions, `G_g = (F diag g)(F diag g)^T / mass`,
//! `mass = sum g^2`, and `dE/dF = (G_g - A) F diag(g^2) / (N^2 mass)`; a guide
//! of ones is the plain term.

use super::gram::gram;
use crate::ops::cache::caches;
use crate::ops::gemm::{uniform, ColumnTiles};
use crate::ops::reduce::sum_map2;
use crate::ops::simd::{gemm_rows, padded_stride, Isa, Strided};
use rayon::prelude::*;
use std::cell::RefCell;

/// Positions per task: a quarter of one core's L2 for each of the task's
/// `(N, chunk)` buffers (64 Ki floats at 1 MiB), so the chunk's features and
/// gradient stay in L2 between the two products that read them.
fn chunk_for(n: usize, m: usize) -> usize {
    (caches().l2 / 16 / n.max(1)).clamp(16, m.max(16))
}

thread_local! {
    /// A chunk of the features, of its gradient, and of the features times a
    /// guide squared: `(N, chunk)` each.
    static BUFFERS: RefCell<(Vec<f32>, Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
}

/// One style term at a tap: the target Gram `A (N, N)`, its weight `s` and,
/// for spatial control, a guide `g (M)` over the positions.
#[derive(Clone, Copy, Debug)]
pub struct StyleTerm<'a> {
    /// The target Gram `A (N, N)`.
    pub gram: &'a [f32],
    /// The weight `s` of this term (layer weight times style weight).
    pub weight: f32,
    /// A guide `g (M)` over the positions, for spatial control.
    pub guide: Option<&'a [f32]>,
}

/// A style term's backward: `D = G - A`, the factor `s / (N^2 mass)`, the guide.
type Backward<'a> = (Vec<f32>, f32, Option<&'a [f32]>);

/// Loss values at one tap.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TapLosses {
    /// `1/2 sum (F - P)^2`, if there was a content target.
    pub content: Option<f64>,
    /// `E = 1/(4 N^2) sum (G - A)^2` of each style term, in order.
    pub style: Vec<f64>,
}

/// `G_g (N, N)` of features `f (N, M)` under guide `g (M)`, and the mass
/// `sum g^2` (0 for a guide that is zero everywhere).
pub fn guided_gram(f: &[f32], n: usize, m: usize, g: &[f32]) -> (Vec<f32>, f64) {
    assert_eq!(g.len(), m, "guide is not (M)");
    let mass: f64 = g.iter().map(|&v| v as f64 * v as f64).sum();
    if mass <= 0.0 {
        return (vec![0.0; n * n], 0.0);
    }
    let fg: Vec<f32> = f.chunks(m.max(1)).flat_map(|row| row.iter().zip(g).map(|(a, b)| a * b)).collect();
    let mut gram = gram(&fg, n, m);
    let scale = (m as f64 / mass) as f32;
    gram.iter_mut().for_each(|v| *v *= scale);
    (gram, mass)
}

/// Computes the losses of features `f (N, M)` against a content target
/// `(P (N, M), c)` and style terms, then overwrites `f` with
/// `c dL_c/dF + sum s dE/dF`.
#[inline(never)]
pub fn tap_in_place(f: &mut [f32], n: usize, m: usize, content: Option<(&[f32], f32)>, styles: &[StyleTerm]) -> TapLosses {
    assert_eq!(f.len(), n * m, "features are not (N, M)");
    let content_loss = content.map(|(p, _)| {
        assert_eq!(p.len(), f.len(), "content target differs in shape");
        0.5 * sum_map2(f, p, |a, b| {
            let d = a as f64 - b as f64;
            d * d
        })
    });
    // Per style term: E, D = G - A and the gradient's factor s / (N^2 mass).
    let mut style_loss = Vec::with_capacity(styles.len());
    let mut terms: Vec<Backward> = Vec::with_capacity(styles.len());
    for t in styles {
        assert_eq!(t.gram.len(), n * n, "style target is not (N, N)");
        let (mut d, mass) = match t.guide {
            Some(g) => guided_gram(f, n, m, g),
            None => (gram(f, n, m), m as f64),
        };
        let e = sum_map2(&d, t.gram, |g, a| {
            let x = g as f64 - a as f64;
            x * x
        }) / (4.0 * (n * n) as f64);
        style_loss.push(e);
        if mass > 0.0 {
            d.iter_mut().zip(t.gram).for_each(|(g, a)| *g -= a);
            terms.push((d, (t.weight as f64 / ((n * n) as f64 * mass)) as f32, t.guide));
        }
    }
    let losses = TapLosses { content: content_loss, style: style_loss };
    if m == 0 || n == 0 {
        return losses;
    }
    let chunk = chunk_for(n, m);
    let isa = Isa::detect();
    let mut tiles = ColumnTiles::new(f, n, m);
    let grid = tiles.grid(vec![(0, n)], uniform(m, chunk));
    (0..m.div_ceil(chunk)).into_par_iter().with_max_len(1).for_each(|ci| {
        let (p0, p1) = (ci * chunk, ((ci + 1) * chunk).min(m));
        let t = p1 - p0;
        // Rows of the buffers: t floats at a padded stride.
        let ld = padded_stride(t);
        let mut win = grid.take(0, ci);
        BUFFERS.with(|cell| {
            let (fin, out, scaled) = &mut *cell.borrow_mut();
            fin.resize(n * ld, 0.0);
            out.resize(n * ld, 0.0);
            for r in 0..n {
                fin[r * ld..r * ld + t].copy_from_slice(win.row_mut(r));
            }
            if let Some((p, c)) = content {
                for r in 0..n {
                    let (o, fr, pr) = (&mut out[r * ld..r * ld + t], &fin[r * ld..r * ld + t], &p[r * m + p0..r * m + p1]);
                    for j in 0..t {
                        o[j] = c * (fr[j] - pr[j]);
                    }
                }
            }
            let mut written = content.is_some();
            for (d, alpha, guide) in &terms {
                // out (+)= alpha D F[:, p0..p1] (diag g^2 on the columns if guided)
                let a = Strided { data: d, offset: 0, rs: n, cs: 1 };
                let b: &[f32] = match guide {
                    Some(g) => {
                        scaled.resize(n * ld, 0.0);
                        let g = &g[p0..p1];
                        for r in 0..n {
                            for ((o, x), gv) in scaled[r * ld..r * ld + t].iter_mut().zip(&fin[r * ld..r * ld + t]).zip(g) {
                                *o = x * (gv * gv);
                            }
                        }
                        &scaled[..n * ld]
                    }
                    None => &fin[..n * ld],
                };
                gemm_rows(isa, n, n, t, *alpha, a, b, ld, written, &mut out[..n * ld], ld);
                written = true;
            }
            for r in 0..n {
                let row = win.row_mut(r);
                if written {
                    row.copy_from_slice(&out[r * ld..r * ld + t]);
                } else {
                    row.fill(0.0);
                }
            }
        });
    });
    losses
}
