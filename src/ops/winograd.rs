//! Winograd F(4x4, 3x3) convolution (Lavin & Gray, "Fast Algorithms for
//! Convolutional Neural Networks", 2016) for VGG's 3x3, stride 1, pad 1 layers,
//! forward and input gradient from one set of transformed weights.
//!
//! Each 4x4 output tile is `Y = A^T [ sum_i U_i . V_i ] A` with `U = G g G^T`
//! (6x6 per filter) and `V = B^T d B` (6x6 per input patch): 36 multiplies per
//! 16 outputs per channel pair instead of 144, done as 36 GEMMs
//! `M_k (c_out, tiles) = U_k (c_out, c_in) x V_k (c_in, tiles)`.
//!
//! **Interpolation points** `0, 1, -1, 2, 1/2` and infinity (matrices below,
//! derived exactly by `tools/winograd_matrices.py`). Two reasons:
//! - accuracy: in f32 over 256 channels of ReLU-like inputs the worst error of a
//!   tile, relative to its largest output, was 2.9e-6 with these points against
//!   8.6e-6 with the usual `0, +-1, +-2` (same script);
//! - the set is closed under `p -> 1/p`, so the transformed *flipped* kernel is
//!   the transformed kernel re-indexed and scaled: `U'_ab = c_a c_b U_{pi(a) pi(b)}`
//!   with `pi = [5, 1, 2, 4, 3, 0]`, `c = [-1, 1, 1, 1/4, 4, -1]`. The input
//!   gradient (a convolution with the flipped, transposed weights, see
//!   [`super::conv`]) therefore reads the same `U`, transposed, with no second
//!   copy of the weights: 4x the plain weights in all, not 8x.
//!
//! The transforms are vectorised across the tiles of a row (written once,
//! compiled per instruction set by [`super::simd`]); the input transform reads
//! the image rows directly (no patch gathering) and the output transform adds
//! the bias, the previous contents (when accumulating) and the ReLU as it
//! writes. The im2col path in [`super::conv`] stays the reference; the tests
//! compare the two on every layer shape.
//!
//! **bf16** (opt in, [`Precision::Bf16`]): the input gradient's 36 products
//! multiply bf16 `U'` and `V` ([`super::bf16`]): the input transform rounds
//! pairs of channels as it finishes them, each task rounds its rows of `U'`
//! before its products. The forward stays f32, so the loss is f32's: with the
//! forward in bf16 too, F(4x4)'s transforms amplified the rounding to 4.8e-2
//! to 9.1e-2 of a layer's largest output (random weights, the tests' shapes)
//! and the default job's loss came out 2.3% worse (`docs/performance.md`).

use super::bf16::{gemm_bf16, pack_pair_rows, Precision};
use super::cache::caches;
use super::gemm::{uniform, ColumnTiles};
use super::geom::ConvGeom;
use super::relu::{apply_row, mask_bits, mask_row, ReluMask};
use super::simd::{aligned_window, gemm_rows, masked_copy, multiversion, prefetch, Isa, Strided, LANES};
use rayon::prelude::*;
use std::cell::RefCell;

/// `A^T (4, 6)`: rows are powers 0..3 of the points, infinity last.
pub const AT: [[f64; 6]; 4] =
    [[1.0, 1.0, 1.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, 2.0, 0.5, 0.0], [0.0, 1.0, 1.0, 4.0, 0.25, 0.0], [0.0, 1.0, -1.0, 8.0, 0.125, 1.0]];

/// `G (6, 3)`: `[1, p, p^2] / prod_{q != p} (p - q)`, infinity last.
pub const G: [[f64; 3]; 6] = [
    [-1.0, 0.0, 0.0],
    [-1.0, -1.0, -1.0],
    [1.0 / 9.0, -1.0 / 9.0, 1.0 / 9.0],
    [1.0 / 9.0, 2.0 / 9.0, 4.0 / 9.0],
    [16.0 / 9.0, 8.0 / 9.0, 4.0 / 9.0],
    [0.0, 0.0, 1.0],
];

/// `B^T (6, 6)`, solved so that `A^T [(G g) . (B^T d)]` is the correlation.
pub const BT: [[f64; 6]; 6] = [
    [-1.0, 2.5, 0.0, -2.5, 1.0, 0.0],
    [0.0, 1.0, -1.5, -1.5, 1.0, 0.0],
    [0.0, -1.0, 3.5, -3.5, 1.0, 0.0],
    [0.0, 0.5, -1.0, -0.5, 1.0, 0.0],
    [0.0, 2.0, -1.0, -2.0, 1.0, 0.0],
    [0.0, -1.0, 2.5, 0.0, -2.5, 1.0],
];

/// `pi`: the point `1/p` for each point `p` (0 and infinity swap).
pub const FLIP_INDEX: [usize; 6] = [5, 1, 2, 4, 3, 0];
/// `c`: `G rev(g) = c . (G g)[pi]` row by row.
pub const FLIP_SCALE: [f32; 6] = [-1.0, 1.0, 1.0, 0.25, 4.0, -1.0];

/// Output tile side.
const M: usize = 4;
/// Transformed positions per tile.
const K: usize = 36;

/// The tiles of a task, at most. Each task streams all of `U` (4x the
/// layer's weights) once, so fewer, larger tasks save memory traffic on the
/// deep layers, while `V (36, c_in, tiles)` must stay small enough to be
/// re-read from cache: `cargo bench --bench engine -- layers` chose this
/// (`docs/performance.md`).
pub const MAX_TILES: usize = 256;

/// Bytes of `V` per task, at most (the tile count shrinks to fit): each of
/// its 36 planes `V_k (c_in, tiles)`, which the task's product with `U_k`
/// re-reads for every block of output channels, within half of one core's
/// L2, the other half left to `U_k`'s panel and `M_k`. 18 MiB at 1 MiB of L2
/// (the tuned 16 MiB was about that), 36 MiB at Intel's 2 MiB, 9 MiB at Zen
/// 3's 512 KiB.
pub fn max_v_bytes() -> usize {
    K * caches().l2 / 2
}

/// Tiles per task, at least, when a layer is cut for several threads: the
/// micro-kernel works on 48 tiles at a time.
pub const MIN_TILES: usize = 64;

/// Tasks per thread a layer is cut into where it can be, so that a slower
/// vCPU does not hold the other back for long. More tasks stream `U` or `V`
/// more often: `cargo bench --bench engine -- eval 512 --threads 2`, three
/// alternating runs each, gave 0.38-0.40 s with 2 (and with 1) against
/// 0.40-0.42 s with 3, which cut the deep layers into tile runs that each
/// stream all of `U` (conv4_x's input gradient 20 ms against 16).
pub const TASKS_PER_THREAD: usize = 2;

/// Output channels per task, at most, with several threads. Each row block of
/// a task reads its part of `U` but all of the block's `V`, so fewer row
/// blocks read `V` fewer times: `cargo bench --bench engine -- eval 512`
/// (three alternating runs) gave 0.43-0.45 s on 2 threads with 512 against
/// 0.47-0.51 with 128.
pub const MAX_ROWS: usize = 512;

/// Output channels per task on one thread. A task's `M (36, rows, tiles)`
/// grows with its rows: with 512, conv4_1's scratch at 512x512 was 29 MB,
/// with 128 it is 15 MB, and the time did not move (`eval 512 --threads 1`,
/// bench binaries run alternately, three rounds of 7: 0.72-0.75 s with 512,
/// 0.70-0.73 with 256, 0.68-0.72 with 128; 0.20 s each at 256x256).
pub const ONE_THREAD_ROWS: usize = 128;

/// Where a convolution's input rows come from.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// `x (c_in, h, w)`.
    Plain(&'a [f32]),
    /// The gradient below a 2x2 average pool and a ReLU, never stored at full
    /// size: element `(c, y, x)` is `dy[c, y/2, x/2] / 4` where the ReLU's
    /// output was positive, else 0 (and 0 on a dropped odd row or column), for
    /// `dy (c_in, h/2, w/2)`. The same numbers as `avg_pool_backward` then
    /// `relu_backward`, one row at a time.
    Unpooled {
        /// `(c_in, h/2, w/2)`.
        dy: &'a [f32],
        /// The ReLU's mask `(c_in * h, w)`.
        mask: &'a ReluMask,
    },
    /// The gradient below a ReLU, masked one row at a time: element
    /// `(c, y, x)` is `dy[c, y, x]` where the ReLU's output was positive, else
    /// 0, for `dy (c_in, h, w)` (what `relu_backward` would leave).
    Masked {
        /// `(c_in, h, w)`.
        dy: &'a [f32],
        /// The ReLU's mask `(c_in * h, w)`.
        mask: &'a ReluMask,
    },
}

/// Where a convolution's output goes.
pub enum Output<'a> {
    /// `y (c_out, h, w)`, added to if `accumulate`.
    Full {
        /// `(c_out, h, w)`.
        y: &'a mut [f32],
        /// Add to `y` instead of overwriting it.
        accumulate: bool,
    },
    /// The ReLU'd output only as its mask and its 2x2 average pool
    /// `(c_out, h/2, w/2)`: the full output is never stored. The same numbers
    /// as a full output followed by `relu_mask` and `avg_pool_forward`.
    Pooled {
        /// `(c_out, h/2, w/2)`.
        pooled: &'a mut [f32],
        /// Written: `(c_out * h, w)`.
        mask: &'a mut ReluMask,
    },
    /// The ReLU'd output `y (c_out, h, w)` and its mask, made as it is
    /// written (the same as `relu_mask` over `y` afterwards).
    Masked {
        /// `(c_out, h, w)`.
        y: &'a mut [f32],
        /// Written: `(c_out * h, w)`.
        mask: &'a mut ReluMask,
    },
    /// `y (c_out, h, w)`, added to if `accumulate`, then zeroed where `gate`
    /// is clear: an input gradient handed on through the ReLU below, masked
    /// while its rows are in cache (the same as `relu_backward` afterwards).
    Gated {
        /// `(c_out, h, w)`.
        y: &'a mut [f32],
        /// Add to `y` instead of overwriting it.
        accumulate: bool,
        /// The mask of the ReLU below, `(c_out * h, w)`.
        gate: &'a ReluMask,
    },
}

/// Transformed weights of one layer: `U (36, c_out, c_in)`, `U_k = (G g G^T)_k`
/// with `k = 6a + b`.
#[derive(Clone, Debug)]
pub struct WinogradWeights {
    /// Output channels.
    pub c_out: usize,
    /// Input channels.
    pub c_in: usize,
    /// (36, c_out, c_in). Rows padded off multiples of 256 bytes (so the input
    /// gradient's reads down a column spread over the L1 sets) cost 9 MB at
    /// 512x512 and measured no faster (`engine layers 512`, `docs/performance.md`).
    u: Vec<f32>,
    /// How the input gradient's products multiply ([`Precision::Bf16`]: `U`
    /// and `V` rounded to bf16 as a task packs them; the forward stays f32).
    precision: Precision,
}

impl WinogradWeights {
    /// Transforms weights `(c_out, c_in, 3, 3)` (in f64, rounded once), in
    /// parallel over runs of kernels (each writes its run of all 36 planes).
    pub fn new(c_out: usize, c_in: usize, w: &[f32]) -> Self {
        assert_eq!(w.len(), c_out * c_in * 9, "winograd: weights are not (c_out, c_in, 3, 3)");
        let n = c_out * c_in;
        let mut u = vec![0.0f32; K * n];
        // Kernels per task: enough work per task, enough tasks per layer.
        const RUN: usize = 4096;
        let mut runs: Vec<Vec<&mut [f32]>> = (0..n.div_ceil(RUN)).map(|_| Vec::with_capacity(K)).collect();
        for plane in u.chunks_mut(n.max(1)) {
            for (run, part) in runs.iter_mut().zip(plane.chunks_mut(RUN)) {
                run.push(part);
            }
        }
        runs.into_par_iter().enumerate().for_each(|(r, mut planes)| {
            for (j, g) in w[r * RUN * 9..].chunks_exact(9).take(planes[0].len()).enumerate() {
                // G g: (6, 3), then (G g) G^T: (6, 6)
                let mut gg = [[0.0f64; 3]; 6];
                for (a, row) in gg.iter_mut().enumerate() {
                    for (c, v) in row.iter_mut().enumerate() {
                        *v = (0..3).map(|r| G[a][r] * g[r * 3 + c] as f64).sum();
                    }
                }
                for a in 0..6 {
                    for b in 0..6 {
                        let v: f64 = (0..3).map(|c| gg[a][c] * G[b][c]).sum();
                        planes[a * 6 + b][j] = v as f32;
                    }
                }
            }
        });
        WinogradWeights { c_out, c_in, u, precision: Precision::F32 }
    }

    /// How the input gradient's products multiply from now on; refused (and
    /// nothing changed) if this CPU cannot run `p` ([`Precision::check`]).
    /// The forward, and so the loss, stays f32 whatever `p`.
    pub fn set_precision(&mut self, p: Precision) -> Result<(), crate::Error> {
        p.check()?;
        self.precision = p;
        Ok(())
    }

    /// How the input gradient's products multiply.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The weights `(c_out, c_in, 3, 3)` back, to within rounding: rows 0, 1
    /// and 5 of `G` are `-e0`, `-(e0+e1+e2)` and `e2`, so `g = L U L^T` with
    /// `L` picking and combining those three positions.
    pub fn weight(&self) -> Vec<f32> {
        let n = self.c_out * self.c_in;
        // g_r from (G g)_0, (G g)_1, (G g)_5: g0 = -t0, g2 = t5, g1 = -t1 - g0 - g2.
        let back = |t0: f64, t1: f64, t5: f64| [-t0, -t1 + t0 - t5, t5];
        let mut w = vec![0.0f32; n * 9];
        for (oi, g) in w.chunks_exact_mut(9).enumerate() {
            let at = |a: usize, b: usize| self.u[(a * 6 + b) * n + oi] as f64;
            // Columns first: for each kernel column position b in {0, 1, 5}, the rows.
            let cols: Vec<[f64; 3]> = [0, 1, 5].iter().map(|&b| back(at(0, b), at(1, b), at(5, b))).collect();
            for r in 0..3 {
                let row = back(cols[0][r], cols[1][r], cols[2][r]);
                for c in 0..3 {
                    g[r * 3 + c] = row[c] as f32;
                }
            }
        }
        w
    }

    /// Bytes of `U`.
    pub fn bytes(&self) -> usize {
        4 * self.u.len()
    }

    /// `y = conv(x) + bias` (then ReLU if `relu`; added to `y` if `accumulate`).
    /// Shapes: `x (c_in, h, w)`, `y (c_out, h, w)`; `g` must be this layer's 3x3, pad 1 geometry.
    #[allow(clippy::too_many_arguments)]
    pub fn forward(&self, g: &ConvGeom, x: &[f32], bias: Option<&[f32]>, relu: bool, accumulate: bool, y: &mut [f32]) {
        self.forward_with(Isa::detect(), g, x, bias, relu, accumulate, y)
    }

    /// [`Self::forward`] with a chosen instruction set (tests compare them).
    #[allow(clippy::too_many_arguments)]
    pub fn forward_with(&self, isa: Isa, g: &ConvGeom, x: &[f32], bias: Option<&[f32]>, relu: bool, accumulate: bool, y: &mut [f32]) {
        self.conv_with(isa, g, Input::Plain(x), bias, relu, Output::Full { y, accumulate })
    }

    /// `relu(conv(x) + bias)` given as its ReLU mask `(c_out * h, w)` and its
    /// 2x2 average pool `pooled (c_out, h/2, w/2)`.
    pub fn forward_pooled(&self, g: &ConvGeom, x: &[f32], bias: Option<&[f32]>, pooled: &mut [f32], mask: &mut ReluMask) {
        self.conv_with(Isa::detect(), g, Input::Plain(x), bias, true, Output::Pooled { pooled, mask })
    }

    /// `relu(conv(x) + bias)` into `y (c_out, h, w)` with its ReLU mask.
    pub fn forward_masked(&self, g: &ConvGeom, x: &[f32], bias: Option<&[f32]>, y: &mut [f32], mask: &mut ReluMask) {
        self.conv_with(Isa::detect(), g, Input::Plain(x), bias, true, Output::Masked { y, mask })
    }

    /// The general form: any input, any output, forward weights.
    pub fn conv_with(&self, isa: Isa, g: &ConvGeom, x: Input, bias: Option<&[f32]>, relu: bool, out: Output) {
        assert!(g.c_in == self.c_in && g.c_out == self.c_out, "winograd: geometry does not match the weights");
        conv(isa, g, x, &self.operand(false), bias, relu, out)
    }

    /// Input gradient: `dx (+)= conv(dy, flip_transpose(w))`, `dy (c_out, h, w)`,
    /// `dx (c_in, h, w)`, where `g` is the forward geometry.
    pub fn backward_input(&self, g: &ConvGeom, dy: &[f32], dx: &mut [f32], accumulate: bool) {
        self.backward_input_with(Isa::detect(), g, dy, dx, accumulate)
    }

    /// [`Self::backward_input`] with a chosen instruction set.
    pub fn backward_input_with(&self, isa: Isa, g: &ConvGeom, dy: &[f32], dx: &mut [f32], accumulate: bool) {
        self.backward_from(isa, g, Input::Plain(dy), dx, accumulate)
    }

    /// The input gradient from `dy` given in any [`Input`] form (e.g. still
    /// pooled, with the ReLU mask to apply).
    pub fn backward_from(&self, isa: Isa, g: &ConvGeom, dy: Input, dx: &mut [f32], accumulate: bool) {
        self.backward_into(isa, g, dy, Output::Full { y: dx, accumulate })
    }

    /// The input gradient from `dy` in any [`Input`] form into a full or a
    /// gated ([`Output::Gated`]) output.
    pub fn backward_into(&self, isa: Isa, g: &ConvGeom, dy: Input, dx: Output) {
        assert!(g.c_in == self.c_in && g.c_out == self.c_out, "winograd: geometry does not match the weights");
        assert!(matches!(dx, Output::Full { .. } | Output::Gated { .. }), "winograd: an input gradient is a full output");
        conv(isa, &g.input_gradient(), dy, &self.operand(true), None, false, dx)
    }

    fn operand(&self, flipped: bool) -> Operand<'_> {
        let bf16 = flipped && self.precision == Precision::Bf16;
        Operand { u: &self.u, c_out: self.c_out, c_in: self.c_in, flipped, bf16 }
    }
}

/// `U` read as the forward's `(c_out, c_in)` matrices, or (flipped) as the
/// input gradient's `U'_k (c_in, c_out) = c_a c_b U_{pi(a) pi(b)}^T`.
struct Operand<'a> {
    u: &'a [f32],
    c_out: usize,
    c_in: usize,
    flipped: bool,
    /// Multiply in bf16 (the input gradient only).
    bf16: bool,
}

impl Operand<'_> {
    /// Where row `r0` of the k-th matrix starts, its row and column strides and its scale.
    fn matrix(&self, k: usize, r0: usize) -> (usize, usize, usize, f32) {
        let n = self.c_out * self.c_in;
        if self.flipped {
            let (a, b) = (k / 6, k % 6);
            let kk = FLIP_INDEX[a] * 6 + FLIP_INDEX[b];
            (kk * n + r0, 1, self.c_in, FLIP_SCALE[a] * FLIP_SCALE[b])
        } else {
            (k * n + r0 * self.c_in, self.c_in, 1, 1.0)
        }
    }

    /// bf16, the input gradient only: rows `r0..r0 + rows` of the k-th
    /// (flipped) matrix, scaled, as pairs along its columns, stored by pairs:
    /// `out (ceil(c_out / 2), rows)`, word `(q, r)` holding columns `2q` and
    /// `2q + 1` of row `r0 + r` (a zero past the last column). Those are
    /// rows `2q`, `2q + 1` of the forward's `U_kk`, read along.
    fn pack_flipped(&self, isa: Isa, k: usize, r0: usize, rows: usize, out: &mut [u32]) {
        let (offset, rs, cs, alpha) = self.matrix(k, r0);
        debug_assert!(self.flipped && rs == 1);
        let kpairs = self.c_out.div_ceil(2);
        for (q, words) in out.chunks_exact_mut(rows).take(kpairs).enumerate() {
            let lo = &self.u[offset + 2 * q * cs..][..rows];
            let hi = (2 * q + 1 < self.c_out).then(|| &self.u[offset + (2 * q + 1) * cs..][..rows]);
            pack_pair_rows(isa, alpha, lo, hi, words);
        }
    }
}

/// Per-thread buffers, kept across calls and evaluations.
#[derive(Default)]
struct Scratch {
    /// M (36, rows, ldm) of one task
    m: Vec<f32>,
    /// six transformed rows and four phases (input); Z, one output row and
    /// four finished rows (output)
    rows: Vec<f32>,
    /// six input rows rebuilt from a pooled or masked gradient
    unpooled: Vec<f32>,
    /// bf16 only: two channels' 36 rows of `V` in f32, before they are paired
    pairs: Vec<f32>,
    /// bf16 only: the rows of `U'_k` a task multiplies, as pairs
    a16: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// V (36, c_in, ldv) of the block being convolved, shared by the block's
    /// tasks; a cell of its own, because the calling thread also runs tasks.
    static BLOCK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// bf16 only: V (36, ceil(c_in / 2), ldv) as pairs of channels.
    static BLOCK16: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// How a layer is cut: blocks of `block_rows` rows of tiles are transformed
/// one after another (`V` of a block is shared by its tasks), each block into
/// tasks of `task_rows` rows of tiles times `rows` output channels. Every
/// output element is the same whatever the cut (each `M_k` element is one dot
/// product in a fixed order; the transforms are per tile), so the cut may
/// follow the thread count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cut {
    /// Rows of tiles transformed together (their `V` shared).
    pub block_rows: usize,
    /// Rows of tiles per task.
    pub task_rows: usize,
    /// Output channels per task.
    pub rows: usize,
}

impl Cut {
    /// Blocks as large as [`MAX_TILES`] and [`max_v_bytes`] allow, all of one
    /// height. One thread: one task per block, [`ONE_THREAD_ROWS`] output
    /// channels at a time. More threads: at least
    /// [`TASKS_PER_THREAD`] tasks per thread where the layer allows, cut into
    /// tile runs (each keeping [`MIN_TILES`] tiles) times output-channel blocks
    /// (of 64 rows or more) so that the least memory is streamed: every tile
    /// run reads all of `U`, every channel block all of the block's `V`.
    pub fn for_geom(g: &ConvGeom, threads: usize) -> Cut {
        let (th, tw) = (g.h.div_ceil(M).max(1), g.w.div_ceil(M).max(1));
        let max_tiles = MAX_TILES.min(max_v_bytes() / (4 * K * g.c_in.max(1))).max(tw);
        let block_rows = th.div_ceil(th.div_ceil((max_tiles / tw).max(1)));
        let co = g.c_out.max(1);
        let single = Cut { block_rows, task_rows: block_rows, rows: co.min(MAX_ROWS) };
        if threads <= 1 {
            return Cut { rows: co.min(ONE_THREAD_ROWS), ..single };
        }
        let want = TASKS_PER_THREAD * threads;
        // Floats streamed per block: all of U per tile run, all of the
        // block's V per channel block.
        let (u, v) = (co * g.c_in, block_rows * tw * g.c_in);
        // Enough tasks first, then the least traffic, then more tasks.
        let mut best = (0, std::cmp::Reverse(usize::MAX), 0);
        let mut cut = single;
        for parts in 1..=block_rows {
            let task_rows = block_rows.div_ceil(parts);
            if parts > 1 && task_rows * tw < MIN_TILES {
                break;
            }
            let runs = block_rows.div_ceil(task_rows);
            let mut rows = co.min(MAX_ROWS);
            loop {
                let blocks = co.div_ceil(rows);
                let key = (want.min(runs * blocks), std::cmp::Reverse(runs * u + blocks * v), runs * blocks);
                if key > best {
                    (best, cut) = (key, Cut { block_rows, task_rows, rows });
                }
                if rows / 2 < 64 || !(rows / 2).is_multiple_of(8) {
                    break;
                }
                rows /= 2;
            }
        }
        cut
    }
}

/// Bytes of scratch a convolution of `g` uses on `threads` threads: the
/// shared `V` of one block, plus each thread's `M` and row buffers. The
/// buffers are kept, at the largest size a run's layers asked for.
pub fn scratch_bytes(g: &ConvGeom, threads: usize) -> usize {
    let (ldv, _, per_thread) = scratch_shape(g, threads);
    4 * (g.c_in * K * ldv + LANES + threads * per_thread)
}

/// Bytes of scratch the input gradient of the layer of forward geometry `g`
/// adds at [`Precision::Bf16`], kept beside [`scratch_bytes`]' (their own
/// buffers): its `V` as pairs, and per thread two channels' f32 rows of `V`
/// and the packed rows of one `U'_k`.
pub fn bf16_scratch_bytes(g: &ConvGeom, threads: usize) -> usize {
    let g = g.input_gradient();
    let (ldv, rows, _) = scratch_shape(&g, threads);
    let cpairs = g.c_in.div_ceil(2);
    4 * (cpairs * K * ldv + LANES + threads * (2 * K * ldv + rows * cpairs + 2 * LANES))
}

/// A convolution's row stride of `V`, output channels per task and floats of
/// per-thread buffers (each also holds up to LANES - 1 floats before its
/// aligned window).
fn scratch_shape(g: &ConvGeom, threads: usize) -> (usize, usize, usize) {
    let (th, tw) = (g.h.div_ceil(M).max(1), g.w.div_ceil(M).max(1));
    let cut = Cut::for_geom(g, threads);
    let ldv = (cut.block_rows.min(th) * tw + LANES - 1).div_ceil(LANES) * LANES;
    let ldm = (cut.task_rows.min(th) * tw).div_ceil(LANES) * LANES;
    let rows = cut.rows.min(g.c_out);
    (ldv, rows, K * rows * ldm + 28 * (tw + 1) + 6 * g.w + M * g.w + 3 * LANES)
}

/// Channels per input-transform task.
const CHANNELS_PER_TASK: usize = 8;

/// The convolution of `g` (3x3, pad 1) with the operand's matrices.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn conv(isa: Isa, g: &ConvGeom, input: Input, op: &Operand, bias: Option<&[f32]>, relu: bool, output: Output) {
    assert!(g.k == 3 && g.pad == 1, "Winograd F(4x4,3x3) is for 3x3, pad 1");
    let (ci, co, h, w) = (g.c_in, g.c_out, g.h, g.w);
    let (ph, pw) = (h / 2, w / 2);
    match input {
        Input::Plain(x) => assert_eq!(x.len(), ci * h * w, "winograd: input is not (c_in, h, w)"),
        Input::Unpooled { dy, mask } => {
            assert_eq!(dy.len(), ci * ph * pw, "winograd: pooled input is not (c_in, h/2, w/2)");
            assert_eq!(mask.len(), ci * h * w, "winograd: mask is not (c_in * h, w)");
            assert_eq!(mask.words_per_row(), w.div_ceil(64), "winograd: mask rows are not of width w");
        }
        Input::Masked { dy, mask } => {
            assert_eq!(dy.len(), ci * h * w, "winograd: input is not (c_in, h, w)");
            assert_eq!(mask.len(), ci * h * w, "winograd: mask is not (c_in * h, w)");
            assert_eq!(mask.words_per_row(), w.div_ceil(64), "winograd: mask rows are not of width w");
        }
    }
    match &output {
        Output::Full { y, .. } => assert_eq!(y.len(), co * h * w, "winograd: output is not (c_out, h, w)"),
        Output::Gated { y, gate, .. } => {
            assert_eq!(y.len(), co * h * w, "winograd: output is not (c_out, h, w)");
            assert_eq!(gate.len(), co * h * w, "winograd: gate is not (c_out * h, w)");
            assert_eq!(gate.words_per_row(), w.div_ceil(64), "winograd: gate rows are not of width w");
        }
        Output::Masked { y, mask } => {
            assert!(relu, "winograd: a masked output is a ReLU output");
            assert_eq!(y.len(), co * h * w, "winograd: output is not (c_out, h, w)");
            assert_eq!(mask.len(), co * h * w, "winograd: mask is not (c_out * h, w)");
            assert_eq!(mask.words_per_row(), w.div_ceil(64), "winograd: mask rows are not of width w");
        }
        Output::Pooled { pooled, mask } => {
            assert!(relu, "winograd: a pooled output is a ReLU output");
            assert_eq!(pooled.len(), co * ph * pw, "winograd: pooled output is not (c_out, h/2, w/2)");
            assert_eq!(mask.len(), co * h * w, "winograd: mask is not (c_out * h, w)");
            assert_eq!(mask.words_per_row(), w.div_ceil(64), "winograd: mask rows are not of width w");
        }
    }
    assert_eq!(op.u.len(), K * op.c_out * op.c_in, "winograd: U is not (36, c_out, c_in)");
    if let Some(b) = bias {
        assert_eq!(b.len(), co, "winograd: bias is not (c_out)");
    }
    if h == 0 || w == 0 || co == 0 {
        return;
    }
    assert!(ci > 0, "winograd: no input channels");
    let (th, tw) = (h.div_ceil(M), w.div_ceil(M));
    let wpr = w.div_ceil(64);
    let cut = Cut::for_geom(g, rayon::current_num_threads());
    // The output's windows: full rows, or pooled rows and mask rows.
    let mut gate = None;
    let (mut full, mut pooled, mut bits, accumulate) = match output {
        Output::Full { y, accumulate } => (Some(ColumnTiles::new(y, co, h * w)), None, None, accumulate),
        Output::Gated { y, accumulate, gate: m } => {
            gate = Some(m);
            (Some(ColumnTiles::new(y, co, h * w)), None, None, accumulate)
        }
        Output::Masked { y, mask } => {
            (Some(ColumnTiles::new(y, co, h * w)), None, Some(ColumnTiles::new(mask.words_mut(), co, h * wpr)), false)
        }
        Output::Pooled { pooled, mask } => {
            (None, Some(ColumnTiles::new(pooled, co, ph * pw)), Some(ColumnTiles::new(mask.words_mut(), co, h * wpr)), false)
        }
    };
    // One channel's 36 rows of V over the block's tile rows b0..b1, into
    // `vc` (36 rows), with the thread's row buffers.
    let transform = |c: usize, b0: usize, b1: usize, vc: &mut [&mut [f32]], rows: &mut [f32], unpooled: &mut [f32]| {
        for tr in b0..b1 {
            // Input rows 4tr-1 .. 4tr+4; those outside the image are zero.
            let y = |r: usize| (M * tr + r).checked_sub(1).filter(|&y| y < h);
            let d: [Option<&[f32]>; 6] = match input {
                Input::Plain(x) => std::array::from_fn(|r| y(r).map(|y| &x[(c * h + y) * w..(c * h + y + 1) * w])),
                Input::Unpooled { dy, mask } => {
                    for (r, row) in unpooled.chunks_exact_mut(w).enumerate() {
                        match y(r) {
                            Some(y) if y < 2 * ph => {
                                unpool_row(isa, &dy[(c * ph + y / 2) * pw..(c * ph + y / 2 + 1) * pw], mask.row(c * h + y), row)
                            }
                            _ => row.fill(0.0),
                        }
                    }
                    let u = &*unpooled;
                    std::array::from_fn(|r| y(r).map(|_| &u[r * w..(r + 1) * w]))
                }
                Input::Masked { dy, mask } => {
                    for (r, row) in unpooled.chunks_exact_mut(w).enumerate() {
                        if let Some(y) = y(r) {
                            masked_copy(isa, &dy[(c * h + y) * w..(c * h + y + 1) * w], mask.row(c * h + y), row);
                        }
                    }
                    let u = &*unpooled;
                    std::array::from_fn(|r| y(r).map(|_| &u[r * w..(r + 1) * w]))
                }
            };
            input_tile_row(isa, d, w, tw, rows, vc, (tr - b0) * tw);
        }
    };
    let bf16 = op.bf16;
    // bf16: the products' depth in pairs of input channels.
    let cpairs = ci.div_ceil(2);
    BLOCK.with(|cell| {
        let mut vbuf = cell.borrow_mut();
        let mut vbuf16 = BLOCK16.with(|cell| std::mem::take(&mut *cell.borrow_mut()));
        for b0 in (0..th).step_by(cut.block_rows) {
            let b1 = (b0 + cut.block_rows).min(th);
            // Columns of V: the block's tiles, with room for a task's last
            // 16-wide panel to run past its own tiles.
            let ldv = ((b1 - b0) * tw + LANES - 1).div_ceil(LANES) * LANES;
            let (v, v16): (&[f32], &[u32]) = if !bf16 {
                let v = aligned_window(&mut vbuf, ci * K * ldv);
                // V (36, c_in, ldv): each plane V_k's rows a step apart for the
                // products. Channel c's 36 rows, handed to its transform task,
                // are rows[36 c..36 (c + 1)]. Channels in parallel.
                rows_by_channel(v, ci, ldv).par_chunks_mut(K * CHANNELS_PER_TASK).enumerate().for_each(|(chunk, vs)| {
                    SCRATCH.with(|cell| {
                        let Scratch { rows, unpooled, .. } = &mut *cell.borrow_mut();
                        let rows = aligned_window(rows, (6 * 4 + 4) * (tw + 1));
                        let unpooled = aligned_window(unpooled, 6 * w);
                        for (j, vc) in vs.chunks_mut(K).enumerate() {
                            transform(chunk * CHANNELS_PER_TASK + j, b0, b1, vc, rows, unpooled);
                        }
                    })
                });
                (&*v, &[])
            } else {
                let v16 = aligned_window(&mut vbuf16, cpairs * K * ldv);
                // V (36, c_in / 2, ldv) as pairs of channels: pair q's 36 rows
                // are rows[36 q..36 (q + 1)], made from its two channels' f32
                // rows in the thread's scratch.
                let cols = (b1 - b0) * tw;
                rows_by_channel(v16, cpairs, ldv).par_chunks_mut(K * CHANNELS_PER_TASK / 2).enumerate().for_each(|(chunk, vs)| {
                    SCRATCH.with(|cell| {
                        let Scratch { rows, unpooled, pairs, .. } = &mut *cell.borrow_mut();
                        let rows = aligned_window(rows, (6 * 4 + 4) * (tw + 1));
                        let unpooled = aligned_window(unpooled, 6 * w);
                        let (lo, hi) = aligned_window(pairs, 2 * K * ldv).split_at_mut(K * ldv);
                        for (j, vq) in vs.chunks_mut(K).enumerate() {
                            let c = 2 * (chunk * CHANNELS_PER_TASK / 2 + j);
                            let mut l = lo.chunks_exact_mut(ldv);
                            transform(c, b0, b1, &mut std::array::from_fn::<_, K, _>(|_| l.next().unwrap()), rows, unpooled);
                            if c + 1 < ci {
                                let mut h = hi.chunks_exact_mut(ldv);
                                transform(c + 1, b0, b1, &mut std::array::from_fn::<_, K, _>(|_| h.next().unwrap()), rows, unpooled);
                            }
                            for (k, row) in vq.iter_mut().enumerate() {
                                let hi = (c + 1 < ci).then(|| &hi[k * ldv..k * ldv + cols]);
                                pack_pair_rows(isa, 1.0, &lo[k * ldv..k * ldv + cols], hi, &mut row[..cols]);
                            }
                        }
                    })
                });
                (&[], &*v16)
            };
            let row_blocks = co.div_ceil(cut.rows);
            let tasks = (b1 - b0).div_ceil(cut.task_rows) * row_blocks;
            // The block's tiles: output channel blocks x runs of task_rows tile
            // rows, as output rows (4 per tile row), pooled rows (2) and mask rows.
            let runs: Vec<(usize, usize)> = uniform(b1 - b0, cut.task_rows).into_iter().map(|(a, b)| (b0 + a, b0 + b)).collect();
            let span = |per: usize, cap: usize, len: usize| -> Vec<(usize, usize)> {
                runs.iter().map(|&(a, b)| ((per * a).min(cap) * len, (per * b).min(cap) * len)).collect()
            };
            let channel_blocks = uniform(co, cut.rows);
            let full_grid = full.as_mut().map(|t| t.grid(channel_blocks.clone(), span(M, h, w)));
            let pooled_grid = pooled.as_mut().map(|t| t.grid(channel_blocks.clone(), span(2, ph, pw)));
            let bits_grid = bits.as_mut().map(|t| t.grid(channel_blocks.clone(), span(M, h, wpr)));
            (0..tasks).into_par_iter().with_max_len(1).for_each(|task| {
                let (tb, rb) = (task / row_blocks, task % row_blocks);
                let tr0 = b0 + tb * cut.task_rows;
                let tr1 = (tr0 + cut.task_rows).min(b1);
                let (o0, o1) = (rb * cut.rows, ((rb + 1) * cut.rows).min(co));
                let nb = o1 - o0;
                let col0 = (tr0 - b0) * tw;
                let ldm = ((tr1 - tr0) * tw).div_ceil(LANES) * LANES;
                // Output rows 4*tr0 .. min(4*tr1, h), pooled rows 2*tr0 .. min(2*tr1, h/2).
                let (y0, q0) = (M * tr0, (2 * tr0).min(ph));
                // Task (tb, rb) of this block: output channels o0..o1 of rows
                // y0..y1 (pooled rows q0..q1).
                let mut win = full_grid.as_ref().map(|g| g.take(rb, tb));
                let mut pwin = pooled_grid.as_ref().map(|g| g.take(rb, tb));
                let mut bwin = bits_grid.as_ref().map(|g| g.take(rb, tb));
                SCRATCH.with(|cell| {
                    let s = &mut *cell.borrow_mut();
                    let m = aligned_window(&mut s.m, K * nb * ldm);
                    // M_k (nb, tiles) = U_k[o0..o1] (nb, c_in) x V_k (c_in, tiles)
                    for k in 0..K {
                        let mk = &mut m[k * nb * ldm..(k + 1) * nb * ldm];
                        if bf16 {
                            let a16 = aligned_window(&mut s.a16, cpairs * nb);
                            op.pack_flipped(isa, k, o0, nb, a16);
                            gemm_bf16(nb, cpairs, ldm, a16, 1, nb, &v16[k * cpairs * ldv + col0..], ldv, mk, ldm);
                        } else {
                            let (offset, rs, cs, alpha) = op.matrix(k, o0);
                            let uk = Strided { data: op.u, offset, rs, cs };
                            gemm_rows(isa, nb, ci, ldm, alpha, uk, &v[k * ci * ldv + col0..], ldv, false, mk, ldm);
                        }
                    }
                    let rows = aligned_window(&mut s.rows, 4 * 6 * tw + M * tw + M * w);
                    for ob in 0..nb {
                        let b = bias.map_or(0.0, |b| b[o0 + ob]);
                        let mob = &m[ob * ldm..];
                        for tr in tr0..tr1 {
                            let r0 = M * tr - y0;
                            let nrows = M.min(h - M * tr);
                            let col = (tr - tr0) * tw;
                            if let Some(win) = win.as_mut() {
                                let dst = &mut win.row_mut(ob)[r0 * w..(r0 + nrows) * w];
                                output_tile_row(isa, mob, nb * ldm, col, tw, rows, b, relu, accumulate, dst, w);
                                if let Some(gate) = gate {
                                    for (r, y) in dst.chunks_exact_mut(w).enumerate() {
                                        apply_row(isa, y, gate.row((o0 + ob) * h + M * tr + r));
                                    }
                                }
                                if let (None, Some(bwin)) = (pwin.as_ref(), bwin.as_mut()) {
                                    let brow = &mut bwin.row_mut(ob)[r0 * wpr..(r0 + nrows) * wpr];
                                    for (y, bits) in dst.chunks_exact(w).zip(brow.chunks_exact_mut(wpr)) {
                                        mask_row(isa, y, bits);
                                    }
                                }
                            }
                            if let (Some(pwin), Some(bwin)) = (pwin.as_mut(), bwin.as_mut()) {
                                let (p0, p1) = ((2 * tr).min(ph) - q0, (2 * tr + 2).min(ph) - q0);
                                let prow = &mut pwin.row_mut(ob)[p0 * pw..p1 * pw];
                                let brow = &mut bwin.row_mut(ob)[r0 * wpr..(r0 + nrows) * wpr];
                                output_tile_row_pooled(isa, mob, nb * ldm, col, tw, rows, b, w, nrows, brow, prow);
                            }
                        }
                    }
                });
            });
        }
        BLOCK16.with(|cell| *cell.borrow_mut() = vbuf16);
    });
}

/// The rows of `v (36, channels, ld)` ordered by channel: channel c's 36
/// rows, `V_0[c]` to `V_35[c]`, are `rows[36 c..36 (c + 1)]` (what one
/// channel's input transform writes).
fn rows_by_channel<T>(v: &mut [T], channels: usize, ld: usize) -> Vec<&mut [T]> {
    let mut planes: Vec<_> = v.chunks_mut(channels * ld).map(|p| p.chunks_mut(ld)).collect();
    let mut rows = Vec::with_capacity(channels * K);
    for _ in 0..channels {
        rows.extend(planes.iter_mut().map(|p| p.next().expect("a plane has a row per channel")));
    }
    rows
}

multiversion! {
    /// One row of the gradient below a 2x2 average pool and a ReLU:
    /// `row[x] = dy[x/2] / 4` where the mask bit is set, else 0.
    fn unpool_row(dy: &[f32], bits: &[u64], row: &mut [f32]) {
        let pw = dy.len();
        let (pairs, rest) = row.split_at_mut(2 * pw);
        for (pair, &d) in pairs.chunks_exact_mut(2).zip(dy) {
            let g = 0.25 * d;
            pair[0] = g;
            pair[1] = g;
        }
        rest.fill(0.0);
        for (r, &word) in row.chunks_mut(64).zip(bits) {
            for (j, v) in r.iter_mut().enumerate() {
                *v = if (word >> j) & 1 == 1 { *v } else { 0.0 };
            }
        }
    }
}

multiversion! {
    /// `V_k[c][col0 + tx] = (B^T d B)_k` for the tiles of one tile row of one
    /// channel, from its six input rows `d` (`None` outside the image) of
    /// width `w`; `v` holds channel c's 36 rows, `V_0[c]` to `V_35[c]`.
    /// `buf` holds the six rows `B^T d` (padded,
    /// `4 (tw + 1)` each) and their four phases.
    #[allow(clippy::too_many_arguments)]
    fn input_tile_row(d: [Option<&[f32]>; 6], w: usize, tw: usize, buf: &mut [f32], v: &mut [&mut [f32]], col0: usize) {
        // The next tile row's runs of the 36 rows, fetched while this one is
        // made: 36 short runs at once are more than the hardware follows.
        for row in v.iter() {
            prefetch(row.get(col0 + tw..(col0 + 2 * tw).min(row.len())).unwrap_or(&[]), true);
        }
        let wp = M * (tw + 1);
        let (trows, phases) = buf.split_at_mut(6 * wp);
        let mut t = trows.chunks_exact_mut(wp);
        let mut t: [&mut [f32]; 6] = std::array::from_fn(|_| t.next().unwrap());
        for ti in t.iter_mut() {
            ti[0] = 0.0;
            ti[w + 1..].fill(0.0);
        }
        // Columns: t_i[x + 1] = sum_r B^T[i][r] d_r[x], vectorised along the row.
        if d.iter().any(|r| r.is_none()) {
            // Edge rows: the general form with zeros.
            for x in 0..w {
                let at = |r: usize| d[r].map_or(0.0, |s| s[x]);
                let (d0, d1, d2, d3, d4, d5) = (at(0), at(1), at(2), at(3), at(4), at(5));
                t[0][x + 1] = -d0 + 2.5 * (d1 - d3) + d4;
                t[1][x + 1] = d1 - 1.5 * (d2 + d3) + d4;
                t[2][x + 1] = 3.5 * (d2 - d3) - d1 + d4;
                t[3][x + 1] = 0.5 * (d1 - d3) - d2 + d4;
                t[4][x + 1] = 2.0 * (d1 - d3) - d2 + d4;
                t[5][x + 1] = 2.5 * (d2 - d4) - d1 + d5;
            }
        } else {
            let [d0, d1, d2, d3, d4, d5] = d.map(|s| &s.unwrap()[..w]);
            let [t0, t1, t2, t3, t4, t5] = &mut t;
            let (t0, t1, t2, t3, t4, t5) = (&mut t0[1..w + 1], &mut t1[1..w + 1], &mut t2[1..w + 1], &mut t3[1..w + 1], &mut t4[1..w + 1], &mut t5[1..w + 1]);
            for x in 0..w {
                let (d0, d1, d2, d3, d4, d5) = (d0[x], d1[x], d2[x], d3[x], d4[x], d5[x]);
                t0[x] = -d0 + 2.5 * (d1 - d3) + d4;
                t1[x] = d1 - 1.5 * (d2 + d3) + d4;
                t2[x] = 3.5 * (d2 - d3) - d1 + d4;
                t3[x] = 0.5 * (d1 - d3) - d2 + d4;
                t4[x] = 2.0 * (d1 - d3) - d2 + d4;
                t5[x] = 2.5 * (d2 - d4) - d1 + d5;
            }
        }
        // Rows: each t_i split into its four phases (p_q[tx] = t_i[4 tx + q]),
        // so that the six taps of tile tx are p0, p1, p2, p3 at tx and p0, p1
        // at tx + 1, all read contiguously.
        let mut out = v.iter_mut();
        let (p0, rest) = phases.split_at_mut(tw + 1);
        let (p1, rest) = rest.split_at_mut(tw + 1);
        let (p2, p3) = rest.split_at_mut(tw + 1);
        for ti in t.iter() {
            deinterleave4(ti, p0, p1, p2, p3);
            let mut o = || &mut out.next().unwrap()[col0..col0 + tw];
            let (o0, o1, o2, o3, o4, o5) = (o(), o(), o(), o(), o(), o());
            bt_rows(p0, p1, p2, p3, o0, o1, o2, o3, o4, o5);
        }
    }
}

/// `p_q[i] = t[4 i + q]` for `i < p0.len()`. Separate arguments, so the
/// compiler knows the five slices do not overlap and vectorises.
#[inline(always)]
fn deinterleave4(t: &[f32], p0: &mut [f32], p1: &mut [f32], p2: &mut [f32], p3: &mut [f32]) {
    let n = p0.len();
    let (t, p1, p2, p3) = (&t[..4 * n], &mut p1[..n], &mut p2[..n], &mut p3[..n]);
    for (q, c) in t.chunks_exact(4).enumerate() {
        p0[q] = c[0];
        p1[q] = c[1];
        p2[q] = c[2];
        p3[q] = c[3];
    }
}

/// `o_j[tx] = (B^T d)_j` with `d = (p0, p1, p2, p3)[tx], (p0, p1)[tx + 1]`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn bt_rows(
    p0: &[f32],
    p1: &[f32],
    p2: &[f32],
    p3: &[f32],
    o0: &mut [f32],
    o1: &mut [f32],
    o2: &mut [f32],
    o3: &mut [f32],
    o4: &mut [f32],
    o5: &mut [f32],
) {
    let n = o0.len();
    let (p0, p1, p2, p3) = (&p0[..n + 1], &p1[..n + 1], &p2[..n], &p3[..n]);
    let (o1, o2, o3, o4, o5) = (&mut o1[..n], &mut o2[..n], &mut o3[..n], &mut o4[..n], &mut o5[..n]);
    for tx in 0..n {
        let (d0, d1, d2, d3, d4, d5) = (p0[tx], p1[tx], p2[tx], p3[tx], p0[tx + 1], p1[tx + 1]);
        o0[tx] = -d0 + 2.5 * (d1 - d3) + d4;
        o1[tx] = d1 - 1.5 * (d2 + d3) + d4;
        o2[tx] = 3.5 * (d2 - d3) - d1 + d4;
        o3[tx] = 0.5 * (d1 - d3) - d2 + d4;
        o4[tx] = 2.0 * (d1 - d3) - d2 + d4;
        o5[tx] = 2.5 * (d2 - d4) - d1 + d5;
    }
}

/// Fetches the 36 runs `m[k * mplane + col ..][..tw]` (the next tile row's,
/// or the next channel's first) that the output transform reads next, as far
/// as `m` goes.
#[inline(always)]
fn prefetch_next(m: &[f32], mplane: usize, col: usize, tw: usize) {
    for k in 0..K {
        let at = (k * mplane + col).min(m.len());
        prefetch(&m[at..(at + tw).min(m.len())], false);
    }
}

/// `Z[i][b][tx] = sum_a A^T[i][a] M[6a + b][tx]` for one channel's tiles
/// `m[k * mplane + col0 + tx]`, into `z (4, 6, tw)`.
#[inline(always)]
fn at_columns(m: &[f32], mplane: usize, col0: usize, tw: usize, z: &mut [f32]) {
    for b in 0..6 {
        let ma = |a: usize| &m[(6 * a + b) * mplane + col0..][..tw];
        let (z0, rest) = z[b * tw..].split_at_mut(6 * tw);
        let (z1, rest) = rest.split_at_mut(6 * tw);
        let (z2, z3) = rest.split_at_mut(6 * tw);
        at_cols(ma(0), ma(1), ma(2), ma(3), ma(4), ma(5), &mut z0[..tw], z1, z2, z3);
    }
}

/// `z_i[tx] = (A^T m)_i` with `m = (m0 .. m5)[tx]`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn at_cols(
    m0: &[f32],
    m1: &[f32],
    m2: &[f32],
    m3: &[f32],
    m4: &[f32],
    m5: &[f32],
    z0: &mut [f32],
    z1: &mut [f32],
    z2: &mut [f32],
    z3: &mut [f32],
) {
    let n = z0.len();
    let (m0, m1, m2, m3, m4, m5) = (&m0[..n], &m1[..n], &m2[..n], &m3[..n], &m4[..n], &m5[..n]);
    let (z1, z2, z3) = (&mut z1[..n], &mut z2[..n], &mut z3[..n]);
    for tx in 0..n {
        let (m0, m1, m2, m3, m4, m5) = (m0[tx], m1[tx], m2[tx], m3[tx], m4[tx], m5[tx]);
        let (s, d) = (m1 + m2, m1 - m2);
        z0[tx] = m0 + s + m3 + m4;
        z1[tx] = d + 2.0 * m3 + 0.5 * m4;
        z2[tx] = s + 4.0 * m3 + 0.25 * m4;
        z3[tx] = d + 8.0 * m3 + 0.125 * m4 + m5;
    }
}

/// `line[4 tx + j] = (A^T n)_j` with `n = (n0 .. n5)[tx]`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn at_rows(n0: &[f32], n1: &[f32], n2: &[f32], n3: &[f32], n4: &[f32], n5: &[f32], line: &mut [f32]) {
    let n = line.len() / M;
    let (n0, n1, n2, n3, n4, n5) = (&n0[..n], &n1[..n], &n2[..n], &n3[..n], &n4[..n], &n5[..n]);
    for (tx, q) in line.chunks_exact_mut(M).enumerate() {
        let (a0, a1, a2, a3, a4, a5) = (n0[tx], n1[tx], n2[tx], n3[tx], n4[tx], n5[tx]);
        let (s, d) = (a1 + a2, a1 - a2);
        q[0] = a0 + s + a3 + a4;
        q[1] = d + 2.0 * a3 + 0.5 * a4;
        q[2] = s + 4.0 * a3 + 0.25 * a4;
        q[3] = d + 8.0 * a3 + 0.125 * a4 + a5;
    }
}

multiversion! {
    /// One channel's output rows of tile row `tr`: `Y = A^T M A` per tile from
    /// `m[k * mplane + col0 + tx]`, plus `bias` (and the old `dst` if
    /// `accumulate`), ReLU if `relu`, into `dst (nrows, w)`.
    #[allow(clippy::too_many_arguments)]
    fn output_tile_row(m: &[f32], mplane: usize, col0: usize, tw: usize, buf: &mut [f32], bias: f32, relu: bool, accumulate: bool, dst: &mut [f32], w: usize) {
        let nrows = dst.len() / w;
        prefetch_next(m, mplane, col0 + tw, tw);
        let (z, line) = buf.split_at_mut(4 * 6 * tw);
        let line = &mut line[..M * tw];
        // Z[i][b][tx] = sum_a A^T[i][a] M[6a + b][tx]: columns first, along the tiles.
        at_columns(m, mplane, col0, tw, z);
        // Then the rows: out[4 tx + j] = sum_b A^T[j][b] Z[i][b][tx].
        for i in 0..nrows {
            let zi = |b: usize| &z[(i * 6 + b) * tw..][..tw];
            at_rows(zi(0), zi(1), zi(2), zi(3), zi(4), zi(5), line);
            let out = &mut dst[i * w..(i + 1) * w];
            let line = &line[..w];
            match (accumulate, relu) {
                (false, false) => out.iter_mut().zip(line).for_each(|(o, &v)| *o = v + bias),
                (false, true) => out.iter_mut().zip(line).for_each(|(o, &v)| *o = (v + bias).max(0.0)),
                (true, false) => out.iter_mut().zip(line).for_each(|(o, &v)| *o += v + bias),
                (true, true) => out.iter_mut().zip(line).for_each(|(o, &v)| *o = (*o + v + bias).max(0.0)),
            }
        }
    }
}

multiversion! {
    /// Like `output_tile_row` with ReLU, but the finished rows go out only as
    /// their mask bits (`bits (nrows, ceil(w/64))`) and their 2x2 average pool
    /// (`pooled (rows, w/2)`, the pooled rows of this tile row that exist).
    #[allow(clippy::too_many_arguments)]
    fn output_tile_row_pooled(m: &[f32], mplane: usize, col0: usize, tw: usize, buf: &mut [f32], bias: f32, w: usize, nrows: usize, bits: &mut [u64], pooled: &mut [f32]) {
        prefetch_next(m, mplane, col0 + tw, tw);
        let (z, rest) = buf.split_at_mut(4 * 6 * tw);
        let (line, done) = rest.split_at_mut(M * tw);
        let done = &mut done[..M * w];
        at_columns(m, mplane, col0, tw, z);
        let wpr = w.div_ceil(64);
        for i in 0..nrows {
            let zi = |b: usize| &z[(i * 6 + b) * tw..][..tw];
            at_rows(zi(0), zi(1), zi(2), zi(3), zi(4), zi(5), line);
            let out = &mut done[i * w..(i + 1) * w];
            out.iter_mut().zip(&line[..w]).for_each(|(o, &v)| *o = (v + bias).max(0.0));
            mask_bits(out, &mut bits[i * wpr..(i + 1) * wpr]);
        }
        let pw = w / 2;
        for (p, prow) in pooled.chunks_exact_mut(pw.max(1)).enumerate().take(if pw == 0 { 0 } else { usize::MAX }) {
            let (r0, r1) = (&done[2 * p * w..(2 * p + 1) * w], &done[(2 * p + 1) * w..(2 * p + 2) * w]);
            for (j, out) in prow.iter_mut().enumerate() {
                *out = 0.25 * ((r0[2 * j] + r0[2 * j + 1]) + (r1[2 * j] + r1[2 * j + 1]));
            }
        }
    }
}
