//! Convolution (stride 1, square kernel, zero padding): forward by im2col + GEMM
//! tiled over output positions, input gradient by the same kernel on flipped,
//! transposed weights; plain direct references beside both.
//!
//! Why the backward is a convolution: for stride 1,
//! `dX = col2im(W^T dY)` equals the convolution of `dY` (padding `k-1-pad`) with
//! `W'[i, o, kh, kw] = W[o, i, k-1-kh, k-1-kw]`. Computing it that way keeps the
//! tiles independent (col2im's scatter makes neighbouring tiles overlap), makes
//! every sum's order fixed, and reuses the tuned forward path. The col2im form is
//! kept as the reference (`conv_backward_reference`, feature `testing`) and tested against it.

use super::gemm::{uniform, ColumnTiles, MatRef};
pub use super::geom::ConvGeom;
#[cfg(any(test, feature = "testing"))]
use super::im2col::col2im_reference;
use super::im2col::im2col_tile;
use rayon::prelude::*;
use std::cell::RefCell;

/// Weights `(c_out, c_in, k, k)` rearranged for the input gradient:
/// `(c_in, c_out, k, k)` with both kernel axes reversed.
pub fn flip_transpose(g: &ConvGeom, w: &[f32]) -> Vec<f32> {
    let (k, kk) = (g.k, g.k * g.k);
    assert_eq!(w.len(), g.c_out * g.c_in * kk);
    let mut wt = vec![0.0; w.len()];
    for o in 0..g.c_out {
        for i in 0..g.c_in {
            for kh in 0..k {
                for kw in 0..k {
                    wt[((i * g.c_out + o) * k + (k - 1 - kh)) * k + (k - 1 - kw)] = w[((o * g.c_in + i) * k + kh) * k + kw];
                }
            }
        }
    }
    wt
}

/// Output positions per tile, at most. matrixmultiply packs the weights (A,
/// `c_out x K`) once per call and the columns once per element, so A's packing
/// is amortised over the tile's positions: at 64 positions it took 25% of an
/// evaluation, at 512 a few percent (perf on `cargo bench --bench engine`).
/// 1024 is matrixmultiply's `nc` block: beyond it A is packed again anyway.
pub const MAX_TILE: usize = 512;

/// Parallel pieces a layer is cut into, at least, so two threads (one of them
/// sometimes at half speed) share the work dynamically.
pub const MIN_TASKS: usize = 8;

/// Rows of the output (output channels) per task, at least: GEMM kernels are
/// 8 or 16 rows tall and the columns are packed once per row block.
pub const MIN_ROWS: usize = 64;

/// How a layer's output `(c_out, P)` is cut into tasks: position tiles of
/// `positions` columns, each split into row blocks of `rows` output channels.
/// Every element of the result is the same whatever the cut (each is one dot
/// product over K in a fixed order), so this may depend on anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// Columns (output positions) per task.
    pub positions: usize,
    /// Output channels per task.
    pub rows: usize,
}

impl Tiling {
    /// The measured default for a geometry.
    pub fn for_geom(g: &ConvGeom) -> Tiling {
        let p = (g.out_h() * g.out_w()).max(1);
        let positions = MAX_TILE.min(p);
        let tiles = p.div_ceil(positions);
        let mut rows = g.c_out.max(1);
        while tiles * g.c_out.div_ceil(rows) < MIN_TASKS && rows / 2 >= MIN_ROWS {
            rows /= 2;
        }
        Tiling { positions, rows }
    }
    /// One task per `positions` columns, all rows together.
    pub fn columns(positions: usize) -> Tiling {
        Tiling { positions: positions.max(1), rows: usize::MAX }
    }
}

thread_local! {
    /// Per-thread column buffer, kept across calls and evaluations.
    static COLUMNS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// `y = w * x + bias`, then ReLU if `relu`. Shapes: `x (c_in, h, w)`,
/// `w (c_out, c_in, k, k)`, `bias (c_out)`, `y (c_out, out_h, out_w)`.
pub fn conv_forward(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, relu: bool, y: &mut [f32]) {
    conv_forward_with(g, x, w, bias, relu, y, Tiling::for_geom(g))
}

/// [`conv_forward`] with an explicit cut into tasks.
pub fn conv_forward_with(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, relu: bool, y: &mut [f32], tiling: Tiling) {
    conv_core(g, x, w, bias, relu, false, y, tiling)
}

/// `y = w * x (+ y if accumulate) + bias`, then ReLU if `relu`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn conv_core(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, relu: bool, accumulate: bool, y: &mut [f32], tiling: Tiling) {
    let kdim = g.patch_len();
    let p = g.out_h() * g.out_w();
    assert_eq!(x.len(), g.c_in * g.h * g.w, "conv: input is not (c_in, h, w)");
    assert_eq!(w.len(), g.c_out * kdim, "conv: weights are not (c_out, c_in, k, k)");
    assert_eq!(y.len(), g.c_out * p, "conv: output is not (c_out, out_h, out_w)");
    if let Some(b) = bias {
        assert_eq!(b.len(), g.c_out, "conv: bias is not (c_out)");
    }
    if p == 0 || g.c_out == 0 {
        return;
    }
    let tile = tiling.positions.max(1);
    let rows = tiling.rows.clamp(1, g.c_out);
    let row_blocks = g.c_out.div_ceil(rows);
    let mut tiles = ColumnTiles::new(y, g.c_out, p);
    let grid = tiles.grid(uniform(g.c_out, rows), uniform(p, tile));
    let tasks = p.div_ceil(tile) * row_blocks;
    (0..tasks).into_par_iter().with_max_len(1).for_each(|task| {
        let (ti, rb) = (task / row_blocks, task % row_blocks);
        let p0 = ti * tile;
        let p1 = (p0 + tile).min(p);
        let t = p1 - p0;
        let r0 = rb * rows;
        let r1 = (r0 + rows).min(g.c_out);
        // Task (ti, rb): rows r0..r1 of columns p0..p1.
        let mut out = grid.take(rb, ti);
        let wmat = MatRef::row_major(&w[r0 * kdim..r1 * kdim], r1 - r0, kdim);
        COLUMNS.with(|cell| {
            let mut col = cell.borrow_mut();
            if col.len() < kdim * t {
                col.resize(kdim * t, 0.0);
            }
            let col = &mut col[..kdim * t];
            im2col_tile(g, x, p0, p1, col);
            out.gemm(1.0, wmat, MatRef::row_major(col, kdim, t), if accumulate { 1.0 } else { 0.0 });
        });
        if bias.is_some() || relu {
            for o in r0..r1 {
                let b = bias.map_or(0.0, |b| b[o]);
                let row = out.row_mut(o - r0);
                if relu {
                    row.iter_mut().for_each(|v| *v = (*v + b).max(0.0));
                } else {
                    row.iter_mut().for_each(|v| *v += b);
                }
            }
        }
    });
}

/// Input gradient of a convolution: `dx (c_in, h, w)` from `dy (c_out, out_h, out_w)`,
/// given `wt = flip_transpose(g, w)`. Overwrites `dx`.
pub fn conv_backward_input(g: &ConvGeom, dy: &[f32], wt: &[f32], dx: &mut [f32]) {
    let gb = g.input_gradient();
    conv_core(&gb, dy, wt, None, false, false, dx, Tiling::for_geom(&gb))
}

/// [`conv_backward_input`] adding into `dx` instead of overwriting it, so a
/// gradient arriving from a tap needs no second buffer.
pub fn conv_backward_input_add(g: &ConvGeom, dy: &[f32], wt: &[f32], dx: &mut [f32]) {
    let gb = g.input_gradient();
    conv_core(&gb, dy, wt, None, false, true, dx, Tiling::for_geom(&gb))
}

/// Direct convolution, one multiply-add at a time. Reference only.
#[cfg(any(test, feature = "testing"))]
pub fn conv_forward_reference(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    let (k, oh, ow) = (g.k, g.out_h(), g.out_w());
    let mut y = vec![0.0f32; g.c_out * oh * ow];
    for o in 0..g.c_out {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut s = bias.map_or(0.0, |b| b[o] as f64);
                for i in 0..g.c_in {
                    for kh in 0..k {
                        for kw in 0..k {
                            let iy = oy as isize + kh as isize - g.pad as isize;
                            let ix = ox as isize + kw as isize - g.pad as isize;
                            if iy >= 0 && ix >= 0 && (iy as usize) < g.h && (ix as usize) < g.w {
                                s += w[((o * g.c_in + i) * k + kh) * k + kw] as f64 * x[(i * g.h + iy as usize) * g.w + ix as usize] as f64;
                            }
                        }
                    }
                }
                y[(o * oh + oy) * ow + ox] = s as f32;
            }
        }
    }
    y
}

/// Input gradient as the textbook writes it, untiled: `dX = col2im(W^T dY)`. Reference only.
#[cfg(any(test, feature = "testing"))]
pub fn conv_backward_reference(g: &ConvGeom, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let (kdim, p) = (g.patch_len(), g.out_h() * g.out_w());
    let mut dcol = vec![0.0f32; kdim * p];
    for r in 0..kdim {
        for q in 0..p {
            let mut s = 0.0f64;
            for o in 0..g.c_out {
                s += w[o * kdim + r] as f64 * dy[o * p + q] as f64;
            }
            dcol[r * p + q] = s as f32;
        }
    }
    col2im_reference(g, &dcol)
}
