//! Every op against its plain reference at awkward sizes; tiling and thread
//! count never change a bit.

mod common;
use common::*;
use neural_style::ops::conv::*;
use neural_style::ops::im2col::{im2col_reference, im2col_tile};
use neural_style::ops::pool::*;

const SIZES: [usize; 5] = [1, 2, 5, 7, 13];

fn geoms() -> Vec<ConvGeom> {
    let mut v = Vec::new();
    for &h in &SIZES {
        for &w in &SIZES {
            for &(c_in, c_out) in &[(1, 1), (3, 5), (5, 3)] {
                v.push(ConvGeom { c_in, c_out, h, w, k: 3, pad: 1 });
            }
        }
    }
    // Other kernels and paddings: 1x1, 3x3 valid, 5x5 pad 2, 2x2 pad 1, 3x3 pad 2.
    for &(k, pad) in &[(1, 0), (3, 0), (5, 2), (2, 1), (3, 2), (5, 1)] {
        v.push(ConvGeom { c_in: 3, c_out: 4, h: 7, w: 5, k, pad });
        v.push(ConvGeom { c_in: 2, c_out: 1, h: 13, w: 2, k, pad });
    }
    v
}

#[test]
fn im2col_tiles_match_reference() {
    for g in geoms() {
        let x = randn(1, g.c_in * g.h * g.w);
        let full = im2col_reference(&g, &x);
        let p = g.out_h() * g.out_w();
        let kdim = g.patch_len();
        for tile in [1, 3, 7, p.max(1)] {
            let mut p0 = 0;
            while p0 < p {
                let p1 = (p0 + tile).min(p);
                let mut col = vec![f32::NAN; kdim * (p1 - p0)];
                im2col_tile(&g, &x, p0, p1, &mut col);
                for r in 0..kdim {
                    for q in p0..p1 {
                        assert_eq!(col[r * (p1 - p0) + q - p0], full[r * p + q], "{g:?} tile {tile} row {r} pos {q}");
                    }
                }
                p0 = p1;
            }
        }
    }
}

#[test]
fn conv_forward_matches_direct_reference() {
    for g in geoms() {
        let x = randn(2, g.c_in * g.h * g.w);
        let w = randn(3, g.c_out * g.patch_len());
        let b = randn(4, g.c_out);
        let want = conv_forward_reference(&g, &x, &w, Some(&b));
        let mut y = vec![f32::NAN; want.len()];
        conv_forward(&g, &x, &w, Some(&b), false, &mut y);
        assert_close(&format!("conv forward {g:?}"), &y, &want, 1e-5);
        // Fused ReLU.
        let mut yr = vec![f32::NAN; want.len()];
        conv_forward(&g, &x, &w, Some(&b), true, &mut yr);
        let want_r: Vec<f32> = want.iter().map(|v| v.max(0.0)).collect();
        assert_close(&format!("conv forward+relu {g:?}"), &yr, &want_r, 1e-5);
    }
}

#[test]
fn conv_backward_matches_col2im_reference() {
    for g in geoms().into_iter().filter(|g| g.pad < g.k) {
        let dy = randn(5, g.c_out * g.out_h() * g.out_w());
        let w = randn(6, g.c_out * g.patch_len());
        let want = conv_backward_reference(&g, &dy, &w);
        let mut dx = vec![f32::NAN; g.c_in * g.h * g.w];
        conv_backward_input(&g, &dy, &flip_transpose(&g, &w), &mut dx);
        assert_close(&format!("conv backward {g:?}"), &dx, &want, 1e-5);
    }
}

#[test]
fn conv_backward_is_the_adjoint_by_finite_differences() {
    // L(x) = <conv(x), r>: dL/dx = backward(r). Linear, so central differences are exact up to rounding.
    let g = ConvGeom { c_in: 5, c_out: 3, h: 7, w: 13, k: 3, pad: 1 };
    let w = randn(7, g.c_out * g.patch_len());
    let r = randn(8, g.c_out * g.h * g.w);
    let x = randn(9, g.c_in * g.h * g.w);
    let mut dx = vec![0.0; x.len()];
    conv_backward_input(&g, &r, &flip_transpose(&g, &w), &mut dx);
    check_directional("conv backward", &x, &dx, 1e-2, 1e-4, |x| {
        let mut y = vec![0.0; r.len()];
        conv_forward(&g, x, &w, None, false, &mut y);
        dot(&y, &r)
    });
}

#[test]
fn tiled_equals_untiled_bit_for_bit() {
    for g in [
        ConvGeom { c_in: 5, c_out: 7, h: 13, w: 13, k: 3, pad: 1 },
        ConvGeom { c_in: 64, c_out: 64, h: 24, w: 17, k: 3, pad: 1 },
        ConvGeom { c_in: 300, c_out: 33, h: 9, w: 11, k: 3, pad: 1 },
    ] {
        let x = randn(10, g.c_in * g.h * g.w);
        let w = randn(11, g.c_out * g.patch_len());
        let b = randn(12, g.c_out);
        let p = g.out_h() * g.out_w();
        let mut untiled = vec![0.0; g.c_out * p];
        conv_forward_with(&g, &x, &w, Some(&b), true, &mut untiled, Tiling::columns(p));
        let tilings = [1, 5, 16, 37].map(Tiling::columns).into_iter().chain([
            Tiling::for_geom(&g),
            Tiling { positions: 7, rows: 3 },
            Tiling { positions: p, rows: 16 },
        ]);
        for tiling in tilings {
            let mut y = vec![0.0; g.c_out * p];
            conv_forward_with(&g, &x, &w, Some(&b), true, &mut y, tiling);
            assert!(y == untiled, "{g:?}: {tiling:?} differs from untiled");
        }
    }
}

#[test]
fn one_and_two_threads_bit_identical() {
    let g = ConvGeom { c_in: 64, c_out: 128, h: 32, w: 29, k: 3, pad: 1 };
    let x = randn(13, g.c_in * g.h * g.w);
    let w = randn(14, g.c_out * g.patch_len());
    let run = || {
        let mut y = vec![0.0; g.c_out * g.h * g.w];
        conv_forward(&g, &x, &w, None, true, &mut y);
        let mut dx = vec![0.0; x.len()];
        conv_backward_input(&g, &y, &flip_transpose(&g, &w), &mut dx);
        (y, dx)
    };
    let one = with_threads(1, run);
    let two = with_threads(2, run);
    assert!(one == two, "1 thread and 2 threads differ");
}

#[test]
fn pooling_matches_reference() {
    for &h in &SIZES {
        for &w in &SIZES {
            for c in [1, 3, 5] {
                let x = randn(15, c * h * w);
                let (oh, ow) = pooled(h, w);
                let mut y = vec![f32::NAN; c * oh * ow];
                avg_pool_forward(c, h, w, &x, &mut y);
                assert_close("avg pool", &y, &avg_pool_reference(c, h, w, &x), 1e-6);
                let mut arg = Vec::new();
                max_pool_forward(c, h, w, &x, &mut y, &mut arg);
                assert_eq!(y, max_pool_reference(c, h, w, &x), "max pool {c}x{h}x{w}");
            }
        }
    }
}

#[test]
fn pooling_backward_by_finite_differences() {
    for &(c, h, w) in &[(3, 7, 5), (1, 13, 13), (5, 2, 7)] {
        let x = randn(16, c * h * w);
        let (oh, ow) = pooled(h, w);
        let r = randn(17, c * oh * ow);
        let mut dx = vec![f32::NAN; x.len()];
        avg_pool_backward(c, h, w, &r, &mut dx);
        check_directional("avg pool backward", &x, &dx, 1e-2, 1e-4, |x| {
            let mut y = vec![0.0; r.len()];
            avg_pool_forward(c, h, w, x, &mut y);
            dot(&y, &r)
        });
        let mut y = vec![0.0; r.len()];
        let mut arg = Vec::new();
        max_pool_forward(c, h, w, &x, &mut y, &mut arg);
        max_pool_backward(c, h, w, &r, &arg, &mut dx);
        // Small step: the winners must not change (random normals are well separated).
        check_directional("max pool backward", &x, &dx, 1e-4, 1e-3, |x| {
            let mut y = vec![0.0; r.len()];
            let mut a = Vec::new();
            max_pool_forward(c, h, w, x, &mut y, &mut a);
            dot(&y, &r)
        });
    }
}

#[test]
fn relu_backward_by_finite_differences() {
    use neural_style::ops::relu::*;
    // Rows of 100 (two words each, the second partly used).
    let x = randn(18, 1000);
    let r = randn(19, 1000);
    let mut y = x.clone();
    relu_forward(&mut y);
    let mask = relu_mask(&y, 100);
    assert_eq!(mask.words_per_row(), 2);
    for (i, v) in y.iter().enumerate() {
        assert_eq!(mask.get(i), *v > 0.0);
    }
    let mut g = r.clone();
    relu_backward(&mut g, &mask);
    // A mask of no elements (rows of width 0) leaves nothing to do.
    relu_backward(&mut [], &ReluMask::zeros(4, 0));
    check_directional("relu backward", &x, &g, 1e-4, 1e-3, |x| {
        let mut y = x.to_vec();
        relu_forward(&mut y);
        dot(&y, &r)
    });
}

/// The ReLU mask and backward over many parallel tasks (rows of 100, more
/// than three tasks' worth): every bit and every gradient element where the
/// plain element-wise definition puts it, so the tasks' rows and words stay
/// aligned.
#[test]
fn relu_mask_and_backward_over_many_tasks() {
    use neural_style::ops::relu::*;
    let w = 100;
    let rows = 3 * CHUNK / w + 7;
    let y = randn(20, rows * w);
    let mask = relu_mask(&y, w);
    let dy = randn(21, rows * w);
    let mut g = dy.clone();
    relu_backward(&mut g, &mask);
    for i in 0..rows * w {
        assert_eq!(mask.get(i), y[i] > 0.0, "bit {i}");
        assert_eq!(g[i], if y[i] > 0.0 { dy[i] } else { 0.0 }, "element {i}");
    }
}

#[test]
fn winograd_matches_direct_reference() {
    use neural_style::ops::simd::Isa;
    use neural_style::ops::winograd::WinogradWeights;
    let mut geoms: Vec<ConvGeom> = geoms().into_iter().filter(|g| g.k == 3 && g.pad == 1).collect();
    // Sizes around the tile (4) and vector (16 tiles) boundaries, VGG-like channels.
    for &(h, w) in &[(3, 4), (4, 4), (8, 9), (17, 63), (33, 17), (6, 65)] {
        geoms.push(ConvGeom { c_in: 9, c_out: 19, h, w, k: 3, pad: 1 });
    }
    geoms.push(ConvGeom { c_in: 70, c_out: 130, h: 33, w: 17, k: 3, pad: 1 });
    for g in geoms {
        let x = randn(40, g.c_in * g.h * g.w);
        let w = randn(41, g.c_out * g.patch_len());
        let b = randn(42, g.c_out);
        let want = conv_forward_reference(&g, &x, &w, Some(&b));
        let u = WinogradWeights::new(g.c_out, g.c_in, &w);
        let old = randn(43, want.len());
        let want_acc: Vec<f32> = want.iter().zip(&old).map(|(a, o)| (a + o).max(0.0)).collect();
        let dy = randn(44, want.len());
        let want_dx = conv_backward_reference(&g, &dy, &w);
        for isa in Isa::available() {
            let mut y = vec![f32::NAN; want.len()];
            u.forward_with(isa, &g, &x, Some(&b), false, false, &mut y);
            assert_close(&format!("winograd {} {g:?}", isa.name()), &y, &want, 1e-5);
            // Accumulating with ReLU: y = relu(old + conv + b).
            let mut y = old.clone();
            u.forward_with(isa, &g, &x, Some(&b), true, true, &mut y);
            assert_close(&format!("winograd accumulate+relu {} {g:?}", isa.name()), &y, &want_acc, 1e-5);
            // The input gradient from the same U, read flipped and transposed.
            let mut dx = vec![f32::NAN; x.len()];
            u.backward_input_with(isa, &g, &dy, &mut dx, false);
            assert_close(&format!("winograd backward {} {g:?}", isa.name()), &dx, &want_dx, 1e-5);
            let mut dx2 = old[..x.len().min(old.len())].to_vec();
            dx2.resize(x.len(), 0.5);
            let base = dx2.clone();
            u.backward_input_with(isa, &g, &dy, &mut dx2, true);
            let want_dx2: Vec<f32> = want_dx.iter().zip(&base).map(|(a, o)| a + o).collect();
            assert_close(&format!("winograd backward accumulate {} {g:?}", isa.name()), &dx2, &want_dx2, 1e-5);
        }
    }
}

#[test]
fn winograd_is_bit_identical_on_one_two_and_three_threads() {
    use neural_style::ops::winograd::WinogradWeights;
    let g = ConvGeom { c_in: 64, c_out: 128, h: 45, w: 31, k: 3, pad: 1 };
    let x = randn(45, g.c_in * g.h * g.w);
    let u = WinogradWeights::new(g.c_out, g.c_in, &randn(46, g.c_out * g.patch_len()));
    let run = || {
        let mut y = vec![0.0; g.c_out * g.h * g.w];
        u.forward(&g, &x, None, true, false, &mut y);
        let mut dx = vec![0.0; g.c_in * g.h * g.w];
        u.backward_input(&g, &y, &mut dx, false);
        (y, dx)
    };
    let one = with_threads(1, run);
    assert!(one == with_threads(2, run), "1 and 2 threads differ");
    assert!(one == with_threads(3, run), "1 and 3 threads differ");
}

#[test]
fn winograd_cut_gives_every_thread_work_and_streams_least() {
    use neural_style::ops::winograd::{Cut, MIN_TILES, ONE_THREAD_ROWS, TASKS_PER_THREAD};
    // VGG19's convolutions at 512 px: (c_in, c_out, side), forward and input gradient.
    let layers = [
        (3, 64, 512),
        (64, 64, 512),
        (64, 128, 256),
        (128, 128, 256),
        (128, 256, 128),
        (256, 256, 128),
        (256, 512, 64),
        (512, 512, 64),
        (512, 512, 32),
    ];
    for (ci, co, s) in layers {
        for (c_in, c_out) in [(ci, co), (co, ci)] {
            let g = ConvGeom { c_in, c_out, h: s, w: s, k: 3, pad: 1 };
            let tw = s.div_ceil(4);
            let one = Cut::for_geom(&g, 1);
            let rows = c_out.min(ONE_THREAD_ROWS);
            assert_eq!((one.task_rows, one.rows), (one.block_rows, rows), "{g:?}: one thread, one task per block and channel block");
            let two = Cut::for_geom(&g, 2);
            assert_eq!(two.block_rows, one.block_rows, "{g:?}: the blocks do not depend on the threads");
            let tasks = two.block_rows.div_ceil(two.task_rows) * c_out.div_ceil(two.rows);
            assert!(tasks >= 2, "{g:?}: {two:?} leaves a thread idle");
            if c_out >= 128 {
                assert!(tasks >= 2 * TASKS_PER_THREAD, "{g:?}: {two:?} gives {tasks} tasks");
            }
            assert!(two.task_rows == two.block_rows || two.task_rows * tw >= MIN_TILES, "{g:?}: {two:?} tasks too narrow");
            assert!(two.rows == c_out || (two.rows >= 64 && two.rows.is_multiple_of(8)), "{g:?}: {two:?}");
        }
    }
    // conv4_2: U (36 x 512 x 512 floats, 38 MB) outweighs a block's V (at
    // most 128 or 256 tiles, 9 or 19 MB, by the machine's L2), so two
    // threads split the output channels and keep the block's tiles together:
    // U is streamed once per block, not once per tile run (2-thread input
    // gradient 20 -> 16 ms, `layers 512`).
    let conv4_2 = ConvGeom { c_in: 512, c_out: 512, h: 64, w: 64, k: 3, pad: 1 };
    let cut = Cut::for_geom(&conv4_2, 2);
    assert!(cut.task_rows == cut.block_rows && cut.rows < 512, "{cut:?}");
    // The blocks follow the L2: each plane V_k of a block within half of it.
    let v_k = |c: Cut, g: &ConvGeom| 4 * g.c_in * c.block_rows * g.w.div_ceil(4);
    let l2 = neural_style::ops::cache::caches().l2;
    assert!(v_k(cut, &conv4_2) <= l2 / 2, "{cut:?} against {l2} bytes of L2");
    let conv5_1 = ConvGeom { c_in: 512, c_out: 512, h: 32, w: 32, k: 3, pad: 1 };
    assert!(v_k(Cut::for_geom(&conv5_1, 1), &conv5_1) <= l2 / 2);
}

#[test]
fn winograd_weights_transform_back() {
    use neural_style::ops::winograd::WinogradWeights;
    let w = randn(47, 7 * 5 * 9);
    let back = WinogradWeights::new(7, 5, &w).weight();
    assert_close("weights back from G g G^T", &back, &w, 1e-6);
}

#[test]
#[allow(clippy::needless_range_loop)] // the identity is written with its indices
fn winograd_matrices_compute_the_correlation_and_its_flip() {
    use neural_style::ops::winograd::{AT, BT, FLIP_INDEX, FLIP_SCALE, G};
    // 1-D: y_i = sum_k g_k d_{i+k} = sum_j AT[i][j] (G g)_j (BT d)_j for every basis g, d.
    for kk in 0..3 {
        for t in 0..6 {
            for i in 0..4 {
                let got: f64 = (0..6).map(|j| AT[i][j] * G[j][kk] * BT[j][t]).sum();
                let want = if t == i + kk { 1.0 } else { 0.0 };
                assert!((got - want).abs() < 1e-12, "identity fails at i={i} k={kk} t={t}: {got}");
            }
        }
    }
    // Reversing g re-indexes and scales G g.
    for j in 0..6 {
        for kk in 0..3 {
            let got = G[j][2 - kk];
            let want = FLIP_SCALE[j] as f64 * G[FLIP_INDEX[j]][kk];
            assert!((got - want).abs() < 1e-12, "flip fails at row {j}");
        }
    }
}

#[test]
fn winograd_fused_mask_and_pool_match_the_separate_passes() {
    use neural_style::ops::relu::{relu_backward, relu_mask, ReluMask};
    use neural_style::ops::simd::Isa;
    use neural_style::ops::winograd::{Input, Output, WinogradWeights};
    use neural_style::Precision;
    // Odd sizes drop a row or column in the pool; 70 wide spans two mask words.
    for &(c_in, c_out, h, w) in &[(3, 8, 7, 9), (8, 16, 12, 70), (5, 9, 1, 6), (16, 8, 17, 33)] {
        let g = ConvGeom { c_in, c_out, h, w, k: 3, pad: 1 };
        let x = randn(80, c_in * h * w);
        let u = WinogradWeights::new(c_out, c_in, &randn(81, c_out * c_in * 9));
        let b = randn(82, c_out);
        let (ph, pw) = (h / 2, w / 2);
        let check = |isa: Isa, u: &WinogradWeights| {
            // Forward: full output, then mask and pool, against the fused form.
            let mut y = vec![0.0; c_out * h * w];
            u.forward_with(isa, &g, &x, Some(&b), true, false, &mut y);
            let want_mask = relu_mask(&y, w);
            let mut want_pool = vec![0.0; c_out * ph * pw];
            avg_pool_forward(c_out, h, w, &y, &mut want_pool);
            let mut pooled = vec![f32::NAN; c_out * ph * pw];
            let mut mask = ReluMask::zeros(c_out * h, w);
            u.conv_with(isa, &g, Input::Plain(&x), Some(&b), true, Output::Pooled { pooled: &mut pooled, mask: &mut mask });
            assert!(pooled == want_pool, "pooled output differs ({} {} {g:?})", u.precision().name(), isa.name());
            for i in 0..y.len() {
                assert_eq!(mask.get(i), want_mask.get(i), "mask bit {i} ({} {} {g:?})", u.precision().name(), isa.name());
            }
            // Backward: unpool, mask, then the input gradient, against the fused form.
            let dyp = randn(83, c_out * ph * pw);
            let mut dy = vec![0.0; c_out * h * w];
            avg_pool_backward(c_out, h, w, &dyp, &mut dy);
            relu_backward(&mut dy, &want_mask);
            let mut want_dx = vec![0.0; c_in * h * w];
            u.backward_input_with(isa, &g, &dy, &mut want_dx, false);
            let mut dx = vec![f32::NAN; c_in * h * w];
            u.backward_from(isa, &g, Input::Unpooled { dy: &dyp, mask: &mask }, &mut dx, false);
            assert!(dx == want_dx, "unpooled input gradient differs ({} {} {g:?})", u.precision().name(), isa.name());
            // Full output with its mask made as it is written; the gradient masked as it is read.
            let mut y2 = vec![f32::NAN; y.len()];
            let mut mask2 = ReluMask::zeros(c_out * h, w);
            u.conv_with(isa, &g, Input::Plain(&x), Some(&b), true, Output::Masked { y: &mut y2, mask: &mut mask2 });
            assert!(y2 == y, "masked output differs ({} {} {g:?})", u.precision().name(), isa.name());
            for i in 0..y.len() {
                assert_eq!(
                    mask2.get(i),
                    want_mask.get(i),
                    "mask bit {i} of the masked output ({} {} {g:?})",
                    u.precision().name(),
                    isa.name()
                );
            }
            let dyf = randn(84, c_out * h * w);
            let mut dym = dyf.clone();
            relu_backward(&mut dym, &want_mask);
            let mut want_dx = vec![0.0; c_in * h * w];
            u.backward_input_with(isa, &g, &dym, &mut want_dx, false);
            let mut dx = vec![f32::NAN; c_in * h * w];
            u.backward_from(isa, &g, Input::Masked { dy: &dyf, mask: &mask2 }, &mut dx, false);
            assert!(dx == want_dx, "masked input gradient differs ({} {} {g:?})", u.precision().name(), isa.name());
            // The input gradient gated by a ReLU mask below (c_in channels) as it
            // is written, added to what dx held, against adding then masking.
            let below = relu_mask(&randn(85, c_in * h * w), w);
            let held = randn(86, c_in * h * w);
            let mut want_dx = held.clone();
            u.backward_from(isa, &g, Input::Masked { dy: &dyf, mask: &mask2 }, &mut want_dx, true);
            relu_backward(&mut want_dx, &below);
            let mut dx = held.clone();
            let out = Output::Gated { y: &mut dx, accumulate: true, gate: &below };
            u.backward_into(isa, &g, Input::Masked { dy: &dyf, mask: &mask2 }, out);
            assert!(dx == want_dx, "gated input gradient differs ({} {} {g:?})", u.precision().name(), isa.name());
            assert!(dx.iter().enumerate().any(|(i, &v)| !below.get(i) && held[i] != 0.0 && v == 0.0), "nothing was gated");
        };
        for isa in Isa::available() {
            check(isa, &u);
        }
        // bf16 multiplies (where this CPU has them): the fused forms are the
        // same numbers as the separate passes at that precision too.
        let mut u16 = u.clone();
        if u16.set_precision(Precision::Bf16).is_ok() {
            check(Isa::detect(), &u16);
        }
    }
}

/// The transposition of a slice of features (the Gram's packing) at every ISA
/// this CPU has, at sizes that leave partial 16x16 blocks on both sides.
#[test]
fn transpose_slice_matches_indexing_at_every_isa() {
    use neural_style::ops::simd::{transpose_slice, Isa};
    for isa in Isa::available() {
        for (n, m, p0, p1) in [(16, 16, 0, 16), (64, 100, 3, 91), (37, 50, 0, 50), (5, 33, 7, 8), (48, 300, 17, 300)] {
            let f: Vec<f32> = (0..n * m).map(|i| i as f32).collect();
            let ld = n + 5;
            let mut t = vec![-1.0; (p1 - p0) * ld];
            transpose_slice(isa, &f, n, m, p0, p1, &mut t, ld);
            for p in p0..p1 {
                for r in 0..n {
                    assert_eq!(t[(p - p0) * ld + r], f[r * m + p], "{} n {n} m {m} p {p} r {r}", isa.name());
                }
                assert!(t[(p - p0) * ld + n..(p - p0 + 1) * ld].iter().all(|&v| v == -1.0), "padding written");
            }
        }
    }
}

/// The GEMM micro-kernels of every ISA this CPU has against a plain triple
/// loop, at shapes that leave partial row blocks and partial vectors (8 and
/// 16 lanes), with and without accumulation, through strided A.
#[test]
fn gemm_rows_matches_the_triple_loop_at_every_isa_and_edge() {
    use neural_style::ops::simd::{gemm_rows, Isa, Strided};
    for isa in Isa::available() {
        for rows in [1, 3, 4, 5, 8, 9] {
            for ncols in [1, 7, 8, 9, 17, 24, 25, 47, 50] {
                for kdim in [1, 2, 5] {
                    // A stored transposed (column stride 1 along rows' other axis).
                    let a = randn(90, rows * kdim + 3);
                    let (rs, cs) = (1, rows);
                    let ldb = ncols + 3;
                    let b = randn(91, kdim * ldb);
                    let ldc = ncols + 2;
                    let old = randn(92, rows * ldc);
                    for accumulate in [false, true] {
                        let mut c = old.clone();
                        gemm_rows(isa, rows, kdim, ncols, 0.5, Strided { data: &a, offset: 2, rs, cs }, &b, ldb, accumulate, &mut c, ldc);
                        for r in 0..rows {
                            for j in 0..ldc {
                                let got = c[r * ldc + j];
                                if j >= ncols {
                                    assert_eq!(got, old[r * ldc + j], "{} wrote past the columns", isa.name());
                                    continue;
                                }
                                let dot: f32 = (0..kdim).map(|p| a[2 + r * rs + p * cs] * b[p * ldb + j]).sum();
                                let want = 0.5 * dot + if accumulate { old[r * ldc + j] } else { 0.0 };
                                assert!(
                                    (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                                    "{} {rows}x{ncols}x{kdim} acc {accumulate}: {got} vs {want}",
                                    isa.name()
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The checks in front of the unsafe GEMM: a view that reaches past its slice
/// (as A, as B, or strided so only its last element is outside) is refused
/// before any memory is read; the exact fit and empty views are accepted.
#[test]
fn gemm_refuses_views_past_their_slices() {
    use neural_style::ops::gemm::{gemm, MatRef};
    let data = vec![1.0f32; 12];
    let fits = |a: MatRef, b: MatRef| {
        let mut c = vec![0.0f32; a.rows * b.cols];
        let ldc = b.cols;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| gemm(1.0, a, b, 0.0, &mut c, ldc))).is_ok()
    };
    let exact = MatRef::row_major(&data, 3, 4);
    let b = MatRef::row_major(&data, 4, 3);
    assert!(fits(exact, b), "3x4 and 4x3 in 12 floats");
    // And computes: A B of two ramps against the triple loop.
    let ramp: Vec<f32> = (0..12).map(|i| i as f32 - 5.0).collect();
    let (a, b2) = (MatRef::row_major(&ramp, 3, 4), MatRef::row_major(&ramp, 4, 3));
    let mut c = vec![1.0f32; 9];
    gemm(2.0, a, b2, 0.5, &mut c, 3);
    for (i, j) in (0..3).flat_map(|i| (0..3).map(move |j| (i, j))) {
        let want = 0.5 + 2.0 * (0..4).map(|p| ramp[i * 4 + p] * ramp[p * 3 + j]).sum::<f32>();
        assert_eq!(c[i * 3 + j], want, "C[{i}][{j}]");
    }
    assert!(fits(MatRef::row_major(&data[..0], 0, 4), b), "an empty A in an empty slice");
    assert!(fits(exact, MatRef::row_major(&data[..0], 4, 0)), "an empty B in an empty slice");
    // No rows of C, whatever its row stride: nothing to write, nothing checked.
    gemm(1.0, MatRef::row_major(&data[..0], 0, 4), b, 0.0, &mut [], 5);
    let over = MatRef { data: &data[..11], rows: 3, cols: 4, rs: 4, cs: 1 };
    assert!(!fits(over, b), "A one past its slice");
    assert!(!fits(exact, MatRef { data: &data[..11], rows: 4, cols: 3, rs: 3, cs: 1 }), "B one past its slice");
    let strided = MatRef { data: &data, rows: 3, cols: 2, rs: 4, cs: 2 };
    assert!(fits(strided, MatRef::row_major(&data, 2, 3)), "last element at 4 * 2 + 2 = 10");
    let strided_over = MatRef { data: &data, rows: 3, cols: 2, rs: 5, cs: 2 };
    assert!(!fits(strided_over, MatRef::row_major(&data, 2, 3)), "last element at 5 * 2 + 2 = 12");
}

/// The caches the blocking derives from: sysfs's sizes parsed, each level
/// found by its `level` and `type` (instruction caches ignored), a level
/// sysfs leaves out taken from the fallback, nothing at all refused.
#[test]
fn cache_sizes_come_from_sysfs_with_a_fallback() {
    use neural_style::ops::cache::{caches, parse_size, read, Caches, FALLBACK};
    assert_eq!(parse_size("48K"), Some(48 << 10));
    assert_eq!(parse_size("2048K\n"), Some(2 << 20));
    assert_eq!(parse_size("32M"), Some(32 << 20));
    assert_eq!(parse_size("65536"), Some(65536));
    assert_eq!(parse_size("1G"), Some(1 << 30));
    assert_eq!(parse_size("512KiB"), Some(512 << 10));
    assert_eq!(parse_size("2MiB"), Some(2 << 20));
    for bad in ["", "K", "0K", "12Q", "-1K", "1.5M"] {
        assert_eq!(parse_size(bad), None, "{bad:?}");
    }
    let dir = std::env::temp_dir().join(format!("ns-caches-{}", std::process::id()));
    let index = |i: usize, level: &str, kind: &str, size: &str| {
        let d = dir.join(format!("index{i}"));
        std::fs::create_dir_all(&d).unwrap();
        for (f, v) in [("level", level), ("type", kind), ("size", size)] {
            std::fs::write(d.join(f), format!("{v}\n")).unwrap();
        }
    };
    index(0, "1", "Data", "48K");
    index(1, "1", "Instruction", "64K");
    index(2, "2", "Unified", "2048K");
    assert_eq!(read(&dir), Some(Caches { l1d: 48 << 10, l2: 2 << 20, l3: FALLBACK.l3 }), "no L3 given");
    index(3, "3", "Unified", "105M");
    assert_eq!(read(&dir), Some(Caches { l1d: 48 << 10, l2: 2 << 20, l3: 105 << 20 }));
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    assert_eq!(read(&dir), None, "an empty directory says nothing");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(read(&dir), None, "nor does a missing one");
    // This machine's, and the fallback's: sizes a CPU could have, which the
    // blocking divides (an L1 of 32 KiB, L2 of 1 MiB, L3 of 32 MiB).
    for c in [caches(), FALLBACK] {
        assert!(c.l1d >= 4 << 10 && c.l2 >= c.l1d && c.l3 >= c.l2 / 4, "{c:?}");
    }
}

/// Empty products at every level: no rows or no columns touch nothing; no
/// steps (k = 0) give C = 0 in the rows' first `ncols` columns (the stride's
/// padding kept), or leave C as it was when accumulating.
#[test]
fn gemm_rows_with_nothing_to_multiply() {
    use neural_style::ops::simd::{gemm_rows, Isa, Strided};
    let (a, b) = (vec![1.0f32; 64], vec![1.0f32; 64]);
    let sa = Strided { data: &a, offset: 0, rs: 4, cs: 1 };
    let (rows, ncols, ldc) = (3, 5, 7);
    let fresh = || (0..rows * ldc).map(|i| i as f32 + 1.0).collect::<Vec<f32>>();
    for isa in Isa::available() {
        for (r, n) in [(0, ncols), (rows, 0)] {
            let mut c = fresh();
            gemm_rows(isa, r, 4, n, 1.0, sa, &b, 8, false, &mut c, ldc);
            assert_eq!(c, fresh(), "{}: {r} x {n}", isa.name());
        }
        let mut c = fresh();
        gemm_rows(isa, rows, 0, ncols, 1.0, sa, &b, 8, false, &mut c, ldc);
        for (i, (&got, was)) in c.iter().zip(fresh()).enumerate() {
            assert_eq!(got, if i % ldc < ncols { 0.0 } else { was }, "{}: k = 0, element {i}", isa.name());
        }
        let mut c = fresh();
        gemm_rows(isa, rows, 0, ncols, 1.0, sa, &b, 8, true, &mut c, ldc);
        assert_eq!(c, fresh(), "{}: k = 0, accumulating", isa.name());
    }
}

/// A padded row stride is the row rounded up to whole vectors, one vector
/// more only where that rounding is a multiple of 256 bytes.
#[test]
fn padded_strides_are_whole_vectors_off_256_bytes() {
    use neural_style::ops::simd::{padded_stride, LANES};
    for cols in 1..=1100 {
        let (ld, rounded) = (padded_stride(cols), cols.div_ceil(LANES) * LANES);
        assert!(ld >= cols && ld % LANES == 0 && ld % 64 != 0, "cols {cols}: {ld}");
        let want = if rounded % 64 == 0 { rounded + LANES } else { rounded };
        assert_eq!(ld, want, "cols {cols}");
    }
}

/// The scratch windows the micro-kernels read and write start on a cache
/// line, whatever the allocation gave, and keep their length as they grow.
#[test]
fn aligned_windows_start_on_a_cache_line() {
    use neural_style::ops::simd::{aligned_window, window_start, LANES};
    let mut v = Vec::<f32>::new();
    for n in [1, 15, 16, 100, 4096, 1 << 20, 3] {
        let w = aligned_window(&mut v, n);
        assert_eq!((w.len(), w.as_ptr() as usize % 64), (n, 0), "n {n}");
        let p = w.as_ptr();
        assert_eq!(p, v[window_start(&v)..].as_ptr(), "n {n}");
    }
    // The buffer holds the window and at most a vector's worth before it (what
    // the memory estimate counts), grown only when a larger window is asked for.
    for n in [1, 100, 4096, 1 << 16] {
        let mut v = Vec::<f32>::new();
        aligned_window(&mut v, n);
        assert_eq!(v.len(), n + LANES - 1, "n {n}");
        aligned_window(&mut v, n / 2);
        assert_eq!(v.len(), n + LANES - 1, "n {n}: a smaller window reuses the buffer");
    }
    // Other element types (bf16 pairs are u32 words, so also 16 to a line).
    let mut v = Vec::<u32>::new();
    for n in [1, 17, 4096] {
        let w = aligned_window(&mut v, n);
        assert_eq!((w.len(), w.as_ptr() as usize % 64), (n, 0), "u32, n {n}");
    }
    let mut v = Vec::<u16>::new();
    aligned_window(&mut v, 1000);
    assert_eq!(v.len(), 1000 + 31, "u16: the slack is a line's worth of elements less one");
}

/// bf16 rounding is to the nearest, ties to even, and a NaN stays one.
#[test]
fn bf16_rounds_to_nearest_ties_to_even() {
    use neural_style::ops::bf16::{from_bf16, pair, to_bf16};
    // 1 + 2^-8 is halfway between 1 (even) and 1 + 2^-7: down; 1 + 3 2^-8 is
    // halfway between 1 + 2^-7 (odd) and 1 + 2^-6: up; just past half: up.
    assert_eq!(to_bf16(1.0), 0x3f80);
    assert_eq!(to_bf16(1.0 + 2f32.powi(-8)), 0x3f80);
    assert_eq!(to_bf16(1.0 + 3.0 * 2f32.powi(-8)), 0x3f82);
    assert_eq!(to_bf16(1.0 + 2f32.powi(-8) + 2f32.powi(-20)), 0x3f81);
    assert_eq!(to_bf16(-1.0 - 2f32.powi(-7)), 0xbf81);
    assert_eq!(to_bf16(f32::MAX), 0x7f80, "past the largest bf16: infinity");
    assert_eq!((to_bf16(f32::INFINITY), to_bf16(f32::NEG_INFINITY)), (0x7f80, 0xff80), "infinities stay infinities");
    assert!(from_bf16(to_bf16(f32::NAN)).is_nan());
    assert!(from_bf16(to_bf16(f32::from_bits(0x7f80_0001))).is_nan(), "a NaN with only low bits set is not rounded to infinity");
    // Within half a unit in the last place: at most 2^-8 of |x|.
    for x in randn(90, 1000) {
        let r = from_bf16(to_bf16(x));
        assert!((r - x).abs() <= x.abs() * 2f32.powi(-8), "{x} -> {r}");
    }
    assert_eq!(pair(1.0, -2.0), 0xc000_3f80, "the even element in the low half");
}

/// The bf16 GEMM against its plain reference and against f64 on the rounded
/// operands, at every row count the kernel splits into and column counts
/// around its panels, without touching C outside its columns.
#[test]
fn bf16_gemm_matches_its_reference_at_every_edge() {
    use neural_style::ops::bf16::{from_bf16, gemm_bf16, gemm_bf16_reference, kernel_available, pair};
    if !kernel_available() {
        println!("no AVX512_BF16 here: gemm_bf16 is its reference, checked against f64 only");
    }
    for &rows in &[1, 2, 3, 4, 5, 6, 7, 8, 9, 17] {
        for &kpairs in &[1, 2, 5, 33] {
            for &ncols in &[1, 15, 16, 17, 47, 48, 49, 97] {
                let (lda, ldb, ldc) = (kpairs + 3, ncols + 5, ncols + 7);
                let a: Vec<u32> = randn(91, rows * lda).chunks_exact(1).zip(randn(92, rows * lda)).map(|(x, y)| pair(x[0], y)).collect();
                let b: Vec<u32> = randn(93, kpairs * ldb).iter().zip(randn(94, kpairs * ldb)).map(|(&x, y)| pair(x, y.max(0.0))).collect();
                let mut c = vec![f32::NAN; rows * ldc];
                gemm_bf16(rows, kpairs, ncols, &a, lda, 1, &b, ldb, &mut c, ldc);
                let mut want = vec![f32::NAN; rows * ldc];
                gemm_bf16_reference(rows, kpairs, ncols, &a, lda, 1, &b, ldb, &mut want, ldc);
                // A stored by columns (how the input gradient reads `U'`): the same numbers.
                let at: Vec<u32> = (0..kpairs * rows).map(|i| a[(i % rows) * lda + i / rows]).collect();
                let (mut ct, mut wantt) = (vec![f32::NAN; rows * ldc], vec![f32::NAN; rows * ldc]);
                gemm_bf16(rows, kpairs, ncols, &at, 1, rows, &b, ldb, &mut ct, ldc);
                gemm_bf16_reference(rows, kpairs, ncols, &at, 1, rows, &b, ldb, &mut wantt, ldc);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert!(bits(&ct) == bits(&c) && bits(&wantt) == bits(&want), "{rows}x{kpairs}x{ncols}: A by columns differs");
                let half = |w: u32, t: usize| from_bf16((w >> (16 * t)) as u16) as f64;
                for r in 0..rows {
                    for j in 0..ldc {
                        let at = format!("{rows}x{kpairs}x{ncols} at ({r}, {j})");
                        let (got, refr) = (c[r * ldc + j], want[r * ldc + j]);
                        if j >= ncols {
                            assert!(got.is_nan(), "{at}: written outside C's columns");
                            continue;
                        }
                        let (exact, scale) = (0..kpairs).flat_map(|q| [0, 1].map(move |t| (q, t))).fold((0.0, 0.0), |(s, m), (q, t)| {
                            let p = half(a[r * lda + q], t) * half(b[q * ldb + j], t);
                            (s + p, m + p.abs())
                        });
                        let tol = 1e-6 * f64::max(scale, 1e-30);
                        assert!((got as f64 - exact).abs() <= tol, "{at}: {got} against exactly {exact}");
                        assert!((refr as f64 - exact).abs() <= tol, "{at}: the reference's {refr} against exactly {exact}");
                    }
                }
            }
        }
    }
}

/// bf16 Winograd (where this CPU has it): the forward stays f32's to the bit;
/// the input gradient against the direct f64-accumulated reference on
/// VGG-like and awkward shapes is close to bf16's rounding as F(4x4)'s
/// transforms amplify it (measured 5.1e-2 to 7.3e-2 of the largest element,
/// against f32's 4e-6 to 1e-5), not equal to f32's (the setting does change
/// the products), and the same bits on one, two and three threads.
#[test]
fn winograd_bf16_is_close_to_the_reference_and_thread_independent() {
    use neural_style::ops::winograd::WinogradWeights;
    use neural_style::Precision;
    let mut u = WinogradWeights::new(1, 1, &[0.0; 9]);
    if u.set_precision(Precision::Bf16).is_err() {
        assert_eq!(u.precision(), Precision::F32, "a refused precision changed the weights");
        // Refused only where it cannot run: no AVX512_BF16, or the kernels pinned lower.
        #[cfg(target_arch = "x86_64")]
        assert!(
            !(is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bf16"))
                || neural_style::ops::simd::Isa::detect().name() != "avx512",
            "bf16 refused on a CPU that has it"
        );
        println!("no AVX512_BF16 at the kernels' level here: bf16 is refused (checked), nothing else to check");
        return;
    }
    for &(c_in, c_out, h, w) in &[(3, 64, 17, 33), (9, 19, 8, 9), (64, 64, 32, 31), (70, 130, 33, 17), (256, 128, 12, 16), (64, 3, 9, 70)] {
        let g = ConvGeom { c_in, c_out, h, w, k: 3, pad: 1 };
        let x: Vec<f32> = randn(95, c_in * h * w).iter().map(|v| v.max(0.0)).collect();
        let wt: Vec<f32> = randn(96, c_out * c_in * 9).iter().map(|v| v / (9.0 * c_in as f32).sqrt()).collect();
        let u32 = WinogradWeights::new(c_out, c_in, &wt);
        let mut u16 = u32.clone();
        u16.set_precision(Precision::Bf16).unwrap();
        let dy = randn(97, c_out * h * w);
        let want_dx = conv_backward_reference(&g, &dy, &wt);
        let run = |u: &WinogradWeights| {
            let mut y = vec![f32::NAN; c_out * h * w];
            u.forward(&g, &x, None, false, false, &mut y);
            let mut dx = vec![f32::NAN; x.len()];
            u.backward_input(&g, &dy, &mut dx, false);
            (y, dx)
        };
        let (y16, dx16) = with_threads(1, || run(&u16));
        let (y32, dx32) = with_threads(1, || run(&u32));
        assert!(y16 == y32, "bf16 changed the forward ({g:?})");
        println!("{g:?}: input gradient {:.1e} (f32 {:.1e})", rel_err(&dx16, &want_dx), rel_err(&dx32, &want_dx));
        assert_close(&format!("bf16 input gradient {g:?}"), &dx16, &want_dx, 0.1);
        assert!(dx16 != dx32, "bf16 gave f32's bits ({g:?})");
        for threads in [2, 3] {
            assert!(with_threads(threads, || run(&u16)) == (y16.clone(), dx16.clone()), "bf16 on {threads} threads differs ({g:?})");
        }
    }
}

/// The bf16 GEMM with nothing to multiply: no rows or no columns leave C
/// alone (however short A and B are), no pairs make C zero.
#[test]
fn bf16_gemm_with_nothing_to_multiply() {
    use neural_style::ops::bf16::gemm_bf16;
    let mut c = vec![7.0f32; 12];
    gemm_bf16(0, 2, 3, &[], 2, 1, &[], 3, &mut c, 3);
    gemm_bf16(3, 2, 0, &[], 2, 1, &[], 3, &mut c, 3);
    assert!(c.iter().all(|&v| v == 7.0), "C changed with no rows or no columns: {c:?}");
    gemm_bf16(2, 0, 3, &[], 1, 1, &[], 3, &mut c, 4);
    assert_eq!(c, [0.0, 0.0, 0.0, 7.0, 0.0, 0.0, 0.0, 7.0, 7.0, 7.0, 7.0, 7.0], "an empty sum is zero, in C's columns only");
}
