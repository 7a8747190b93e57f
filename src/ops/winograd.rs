//! Winograd F(2x2, 3x3) convolution (Lavin & Gray, "Fast Algorithms for
//! Convolutional Neural Networks", 2016) for VGG's 3x3, stride 1, pad 1 layers:
//! each 2x2 output tile costs 16 multiplies per input channel instead of 36, as
//! 16 GEMMs `(c_out, c_in) x (c_in, tiles)`. The im2col path in `conv` stays the
//! reference; `tests/ops.rs` tests the two against each other.
//!
//! **Used for wide layers** (>= 256 input and output channels: conv3_2 onwards,
//! see `vgg::WINOGRAD_MIN_CHANNELS`). `cargo bench --bench engine -- layers 512
//! --threads 1` (quiet) prints both paths per layer: with whole layers per task
//! on one thread, Winograd took conv4_2 from 207 to 134 ms, conv3_2 from 218 to
//! 175 ms and conv5_1 from 61 to 34 ms, and the whole evaluation at 512 from
//! 5.24 to 4.28 s. It loses on the thin layers (conv1_2: 437 vs 274 ms), where
//! its scalar transforms cost more than the multiplies saved.
//!
//! `Y = A^T [ (G g G^T) . (B^T d B) ] A` per tile, with
//! `B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]`,
//! `G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]`, `A^T = [1 1 1 0; 0 1 -1 -1]`.

use super::conv::{ConvGeom, MIN_ROWS};
use super::gemm::{gemm, ColumnTiles, MatRef};
use rayon::prelude::*;
use std::cell::RefCell;

/// Tiles (2x2 outputs) per task, at most: the 16 weight matrices are packed once
/// per task, so fewer tiles would spend the time packing (as with im2col tiles).
pub const MAX_TILES: usize = 256;

/// Weights `(c_out, c_in, 3, 3)` transformed to `U (16, c_out, c_in)`, `U_k = (G g G^T)_k`.
pub fn transform_weights(c_out: usize, c_in: usize, w: &[f32]) -> Vec<f32> {
    assert_eq!(w.len(), c_out * c_in * 9);
    let mut u = vec![0.0f32; 16 * c_out * c_in];
    for o in 0..c_out {
        for i in 0..c_in {
            let g = &w[(o * c_in + i) * 9..(o * c_in + i + 1) * 9];
            // G g: (4, 3)
            let mut gg = [[0.0f32; 3]; 4];
            for c in 0..3 {
                let (g0, g1, g2) = (g[c], g[3 + c], g[6 + c]);
                gg[0][c] = g0;
                gg[1][c] = 0.5 * (g0 + g1 + g2);
                gg[2][c] = 0.5 * (g0 - g1 + g2);
                gg[3][c] = g2;
            }
            // (G g) G^T: (4, 4)
            for r in 0..4 {
                let (a, b, c) = (gg[r][0], gg[r][1], gg[r][2]);
                let row = [a, 0.5 * (a + b + c), 0.5 * (a - b + c), c];
                for (s, v) in row.into_iter().enumerate() {
                    u[((r * 4 + s) * c_out + o) * c_in + i] = v;
                }
            }
        }
    }
    u
}

/// The weights `(c_out, c_in, 3, 3)` back from `U (16, c_out, c_in)`:
/// `g = G+ U G+^T` with the left inverse `G+ = [1 0 0 0; 0 1 -1 0; 0 0 0 1]`
/// (exact in exact arithmetic; here to within rounding).
pub fn inverse_transform_weights(c_out: usize, c_in: usize, u: &[f32]) -> Vec<f32> {
    assert_eq!(u.len(), 16 * c_out * c_in);
    let mut w = vec![0.0f32; c_out * c_in * 9];
    for o in 0..c_out {
        for i in 0..c_in {
            let at = |r: usize, s: usize| u[((r * 4 + s) * c_out + o) * c_in + i];
            // Rows: G+ U, (3, 4).
            let mut t = [[0.0f32; 4]; 3];
            for s in 0..4 {
                t[0][s] = at(0, s);
                t[1][s] = at(1, s) - at(2, s);
                t[2][s] = at(3, s);
            }
            for r in 0..3 {
                let g = &mut w[(o * c_in + i) * 9 + r * 3..(o * c_in + i) * 9 + r * 3 + 3];
                g[0] = t[r][0];
                g[1] = t[r][1] - t[r][2];
                g[2] = t[r][3];
            }
        }
    }
    w
}

/// `B^T d B` for one 4x4 patch.
#[inline(always)]
fn input_tile(d: &[[f32; 4]; 4]) -> [f32; 16] {
    let mut t = [[0.0f32; 4]; 4];
    for c in 0..4 {
        t[0][c] = d[0][c] - d[2][c];
        t[1][c] = d[1][c] + d[2][c];
        t[2][c] = d[2][c] - d[1][c];
        t[3][c] = d[1][c] - d[3][c];
    }
    let mut v = [0.0f32; 16];
    for r in 0..4 {
        v[r * 4] = t[r][0] - t[r][2];
        v[r * 4 + 1] = t[r][1] + t[r][2];
        v[r * 4 + 2] = t[r][2] - t[r][1];
        v[r * 4 + 3] = t[r][1] - t[r][3];
    }
    v
}

/// `A^T m A` for one tile: the 2x2 outputs, row-major.
#[inline(always)]
fn output_tile(m: &[f32; 16]) -> [f32; 4] {
    let mut t = [[0.0f32; 4]; 2];
    for c in 0..4 {
        t[0][c] = m[c] + m[4 + c] + m[8 + c];
        t[1][c] = m[4 + c] - m[8 + c] - m[12 + c];
    }
    [t[0][0] + t[0][1] + t[0][2], t[0][1] - t[0][2] - t[0][3], t[1][0] + t[1][1] + t[1][2], t[1][1] - t[1][2] - t[1][3]]
}

thread_local! {
    /// Per-thread V (16, c_in, tiles) and M (16, rows, tiles), kept across calls.
    static SCRATCH: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Tile rows per task and output rows per block. Every output element is the
/// same whatever the cut (each M_k element is one GEMM dot product over c_in in
/// a fixed order; the transforms are per tile), so the cut may follow the thread
/// count: one thread takes whole layers (splitting output rows recomputes and
/// repacks V per block: measured 2x slower on conv5_1), more threads get about
/// two tasks each, from smaller tile batches first (down to 64 tiles), then from
/// row blocks.
fn cut(g: &ConvGeom) -> (usize, usize) {
    let (th, tw) = (g.h.div_ceil(2).max(1), g.w.div_ceil(2).max(1));
    let threads = rayon::current_num_threads();
    let want = if threads > 1 { 2 * threads } else { 1 };
    let mut tile_rows = (MAX_TILES / tw).clamp(1, th);
    while th.div_ceil(tile_rows) < want && tile_rows > 1 && (tile_rows / 2) * tw >= 64 {
        tile_rows /= 2;
    }
    let tasks = th.div_ceil(tile_rows);
    let mut rows = g.c_out.max(1);
    while tasks * g.c_out.div_ceil(rows) < want && rows / 2 >= MIN_ROWS {
        rows /= 2;
    }
    (tile_rows, rows)
}

/// `y = conv(x, w) + bias` (then ReLU if `relu`; added to `y` if `accumulate`)
/// for a 3x3, pad 1 geometry, with `u = transform_weights(w)`.
/// Shapes: `x (c_in, h, w)`, `u (16, c_out, c_in)`, `y (c_out, h, w)`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub fn conv_winograd(g: &ConvGeom, x: &[f32], u: &[f32], bias: Option<&[f32]>, relu: bool, accumulate: bool, y: &mut [f32]) {
    assert!(g.k == 3 && g.pad == 1, "Winograd F(2x2,3x3) is for 3x3, pad 1");
    let (ci, co, h, w) = (g.c_in, g.c_out, g.h, g.w);
    assert_eq!(x.len(), ci * h * w, "winograd: input is not (c_in, h, w)");
    assert_eq!(u.len(), 16 * co * ci, "winograd: weights are not (16, c_out, c_in)");
    assert_eq!(y.len(), co * h * w, "winograd: output is not (c_out, h, w)");
    if h == 0 || w == 0 || co == 0 {
        return;
    }
    let (th, tw) = (h.div_ceil(2), w.div_ceil(2));
    let (tile_rows, rows) = cut(g);
    let row_blocks = co.div_ceil(rows);
    let tasks = th.div_ceil(tile_rows) * row_blocks;
    let out = ColumnTiles::new(y, co, h * w);
    (0..tasks).into_par_iter().with_max_len(1).for_each(|task| {
        let (tb, rb) = (task / row_blocks, task % row_blocks);
        let (tr0, tr1) = (tb * tile_rows, ((tb + 1) * tile_rows).min(th));
        let nt = (tr1 - tr0) * tw;
        let (o0, o1) = (rb * rows, ((rb + 1) * rows).min(co));
        let nb = o1 - o0;
        // Output rows 2*tr0 .. min(2*tr1, h): columns of the (c_out, h*w) matrix.
        let (y0, y1) = (2 * tr0, (2 * tr1).min(h));
        // SAFETY: task (tb, rb) owns output channels o0..o1 of rows y0..y1, a
        // fixed partition visited once per task index.
        let mut win = unsafe { out.tile(o0, nb, y0 * w, (y1 - y0) * w) };
        SCRATCH.with(|cell| {
            let (v, m) = &mut *cell.borrow_mut();
            if v.len() < 16 * ci * nt {
                v.resize(16 * ci * nt, 0.0);
            }
            if m.len() < 16 * nb * nt {
                m.resize(16 * nb * nt, 0.0);
            }
            // V (16, c_in, nt)
            let plane = ci * nt;
            for c in 0..ci {
                let xc = &x[c * h * w..(c + 1) * h * w];
                for tr in tr0..tr1 {
                    for tx in 0..tw {
                        let mut d = [[0.0f32; 4]; 4];
                        for (r, row) in d.iter_mut().enumerate() {
                            let iy = (2 * tr + r) as isize - 1;
                            if iy < 0 || iy >= h as isize {
                                continue;
                            }
                            let src = &xc[iy as usize * w..(iy as usize + 1) * w];
                            for (s, v) in row.iter_mut().enumerate() {
                                let ix = (2 * tx + s) as isize - 1;
                                if ix >= 0 && (ix as usize) < w {
                                    *v = src[ix as usize];
                                }
                            }
                        }
                        let t = (tr - tr0) * tw + tx;
                        for (k, val) in input_tile(&d).into_iter().enumerate() {
                            v[k * plane + c * nt + t] = val;
                        }
                    }
                }
            }
            // M_k (nb, nt) = U_k[o0..o1] (nb, c_in) x V_k (c_in, nt)
            for k in 0..16 {
                let uk = MatRef::row_major(&u[(k * co + o0) * ci..(k * co + o1) * ci], nb, ci);
                let vk = MatRef::row_major(&v[k * plane..(k + 1) * plane], ci, nt);
                gemm(1.0, uk, vk, 0.0, &mut m[k * nb * nt..(k + 1) * nb * nt], nt);
            }
            // Y = A^T M A per tile, then bias, ReLU, into the output window.
            for ob in 0..nb {
                let b = bias.map_or(0.0, |b| b[o0 + ob]);
                let dst = win.row_mut(ob);
                for tr in tr0..tr1 {
                    for tx in 0..tw {
                        let t = (tr - tr0) * tw + tx;
                        let mut mt = [0.0f32; 16];
                        for (k, val) in mt.iter_mut().enumerate() {
                            *val = m[(k * nb + ob) * nt + t];
                        }
                        let yt = output_tile(&mt);
                        for (q, &val) in yt.iter().enumerate() {
                            let (oy, ox) = (2 * tr + q / 2, 2 * tx + q % 2);
                            if oy < h && ox < w {
                                let at = (oy - y0) * w + ox;
                                let mut s = val + b;
                                if accumulate {
                                    s += dst[at];
                                }
                                dst[at] = if relu { s.max(0.0) } else { s };
                            }
                        }
                    }
                }
            }
        });
    });
}
