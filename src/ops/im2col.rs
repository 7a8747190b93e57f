//! im2col for a tile of output positions, and its plain reference.
//!
//! The column matrix of a convolution with geometry `g` is `(K, P)` with
//! `K = c_in * k * k` (row `(ci*k + kh)*k + kw`) and `P = out_h * out_w`
//! (column `oy*out_w + ox`): column p holds the input patch under output p,
//! zeros where the patch hangs over the border.

use super::geom::ConvGeom;

/// Fill `col` `(K, p1-p0)` row-major with the columns `p0..p1` of the column matrix.
///
/// Works a row segment at a time: one `copy_from_slice` of the overlapping input
/// row plus zero fills at the borders, so no per-element bounds checks.
#[inline(never)]
pub fn im2col_tile(g: &ConvGeom, x: &[f32], p0: usize, p1: usize, col: &mut [f32]) {
    let t = p1 - p0;
    let (k, ow, h, w) = (g.k, g.out_w(), g.h, g.w);
    debug_assert_eq!(x.len(), g.c_in * h * w);
    debug_assert_eq!(col.len(), g.c_in * k * k * t);
    for ci in 0..g.c_in {
        let plane = &x[ci * h * w..(ci + 1) * h * w];
        for kh in 0..k {
            for kw in 0..k {
                let row = (ci * k + kh) * k + kw;
                let dst = &mut col[row * t..(row + 1) * t];
                // Valid ox for this kw: 0 <= ox + kw - pad < w.
                let ox_lo = g.pad.saturating_sub(kw);
                let ox_hi = (w + g.pad).saturating_sub(kw).min(ow);
                let mut p = p0;
                while p < p1 {
                    let oy = p / ow;
                    let xs = p % ow;
                    let xe = ow.min(xs + (p1 - p));
                    let seg = &mut dst[p - p0..p - p0 + (xe - xs)];
                    let iy = (oy + kh) as isize - g.pad as isize;
                    let a = ox_lo.clamp(xs, xe);
                    let b = ox_hi.clamp(xs, xe);
                    if iy < 0 || iy >= h as isize || a >= b {
                        seg.fill(0.0);
                    } else {
                        let src_row = &plane[iy as usize * w..(iy as usize + 1) * w];
                        seg[..a - xs].fill(0.0);
                        // input column of ox is ox + kw - pad
                        let s0 = a + kw - g.pad;
                        seg[a - xs..b - xs].copy_from_slice(&src_row[s0..s0 + (b - a)]);
                        seg[b - xs..].fill(0.0);
                    }
                    p += xe - xs;
                }
            }
        }
    }
}

/// Calls `f(col_index, x_index)` for every entry of the column matrix `(K, P)`
/// that reads the input (the rest are border zeros): the one definition of the
/// patch layout that both references share.
#[cfg(any(test, feature = "testing"))]
fn for_each_patch_entry(g: &ConvGeom, mut f: impl FnMut(usize, usize)) {
    let (k, oh, ow) = (g.k, g.out_h(), g.out_w());
    let p = oh * ow;
    for ci in 0..g.c_in {
        for kh in 0..k {
            for kw in 0..k {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let iy = oy as isize + kh as isize - g.pad as isize;
                        let ix = ox as isize + kw as isize - g.pad as isize;
                        if iy >= 0 && ix >= 0 && (iy as usize) < g.h && (ix as usize) < g.w {
                            f(((ci * k + kh) * k + kw) * p + oy * ow + ox, (ci * g.h + iy as usize) * g.w + ix as usize);
                        }
                    }
                }
            }
        }
    }
}

/// The whole column matrix `(K, P)`, one element at a time. Reference only.
#[cfg(any(test, feature = "testing"))]
pub fn im2col_reference(g: &ConvGeom, x: &[f32]) -> Vec<f32> {
    let mut col = vec![0.0; g.patch_len() * g.out_h() * g.out_w()];
    for_each_patch_entry(g, |c, i| col[c] = x[i]);
    col
}

/// Scatter-add a column matrix `(K, P)` back onto an image `(c_in, h, w)`: the
/// adjoint of im2col. Reference only (the fast backward is a convolution, see `conv`).
#[cfg(any(test, feature = "testing"))]
pub fn col2im_reference(g: &ConvGeom, col: &[f32]) -> Vec<f32> {
    let mut x = vec![0.0; g.c_in * g.h * g.w];
    for_each_patch_entry(g, |c, i| x[i] += col[c]);
    x
}
