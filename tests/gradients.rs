//! Finite-difference checks of the losses' gradients and of the whole objective
//! on a tiny random-weight VGG19, with labelled tolerances; determinism across
//! thread counts.

mod common;
use common::oracles::{content_layer, style_layer, style_layer_reference};
use common::*;
use ndarray::{Array3, ArrayView3};
use neural_style::loss::gram::{gram, gram_reference};
use neural_style::loss::*;
use neural_style::objective::{content_targets, style_targets};
use neural_style::vgg::{paper_content_taps, paper_style_taps, Tap};
use neural_style::{LossWeights, Objective, Vgg19};
use std::sync::Arc;

#[test]
fn gram_matches_reference() {
    // (24, 3000): several position chunks; (300, 2100): several slices of
    // positions within each chunk (wide rows leave room for fewer positions).
    for &(n, m) in &[(1, 1), (3, 7), (5, 13), (17, 49), (64, 100), (24, 3000), (9, 1300), (40, 513), (300, 2100)] {
        let f = randn(20, n * m);
        assert_close(&format!("gram {n}x{m}"), &gram(&f, n, m), &gram_reference(&f, n, m), 1e-5);
    }
}

#[test]
fn style_loss_value_and_gradient() {
    for &(n, m) in &[(1, 5), (5, 13), (17, 20)] {
        let f = randn(21, n * m);
        let a = gram(&randn(22, n * m), n, m);
        let mut g = vec![0.0; n * m];
        let e = style_layer(&f, n, m, &a, 1.0, &mut g);
        let e_ref = style_layer_reference(&f, n, m, &a);
        assert!((e - e_ref).abs() <= 1e-5 * e_ref.abs(), "style E {e} vs reference {e_ref}");
        // Tolerance 1e-3: f32 features, central differences with eps 1e-3.
        check_directional("style gradient", &f, &g, 1e-3, 1e-3, |f| style_layer_reference(f, n, m, &a));
    }
}

#[test]
fn paper_form_of_style_loss_for_equal_sizes() {
    // For equal sizes E = 1/(4 N^2 M^2) sum (G~ - A~)^2 on unnormalised Grams.
    let (n, m) = (6, 11);
    let f = randn(23, n * m);
    let s = randn(24, n * m);
    let raw = |x: &[f32]| gram(x, n, m).iter().map(|v| v * m as f32).collect::<Vec<f32>>();
    let paper: f64 = raw(&f).iter().zip(raw(&s)).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>() / (4.0 * (n * n * m * m) as f64);
    let mut g = vec![0.0; n * m];
    let e = style_layer(&f, n, m, &gram(&s, n, m), 0.0, &mut g);
    assert!((e - paper).abs() <= 1e-5 * paper, "{e} vs paper's {paper}");
}

#[test]
fn content_loss_value_and_gradient() {
    let f = randn(25, 300);
    let p = randn(26, 300);
    let mut g = vec![0.0; 300];
    let l = content_layer(&f, &p, 1.0, &mut g);
    let want: f64 = f.iter().zip(&p).map(|(a, b)| 0.5 * ((a - b) as f64).powi(2)).sum();
    assert!((l - want).abs() < 1e-9 * want);
    check_directional("content gradient", &f, &g, 1e-2, 1e-3, |f| f.iter().zip(&p).map(|(a, b)| 0.5 * ((a - b) as f64).powi(2)).sum());
}

#[test]
fn total_variation_value_and_gradient() {
    for &(c, h, w) in &[(3, 1, 1), (3, 5, 7), (1, 13, 2)] {
        let x = randn(27, c * h * w);
        let mut g = vec![0.0; x.len()];
        total_variation(&x, c, h, w, 1.0, &mut g);
        check_directional("tv gradient", &x, &g, 1e-2, 1e-4, |x| {
            let mut scratch = vec![0.0; x.len()];
            total_variation(x, c, h, w, 0.0, &mut scratch)
        });
    }
}

#[test]
fn temporal_loss_value_and_gradient() {
    for &(c, h, w) in &[(3, 1, 1), (3, 5, 7), (1, 13, 2)] {
        let (x, t) = (randn(40, c * h * w), randn(41, c * h * w));
        // A reliability map with zeros, ones and values between.
        let weights: Vec<f32> = (0..h * w).map(|k| [0.0, 1.0, 0.25][k % 3]).collect();
        let mut g = vec![0.0; x.len()];
        let l = temporal(&x, &t, &weights, 1.0, &mut g);
        // The definition, written out: (1/D) sum_c sum_k w_k (x - t)^2, D = H*W.
        let want: f64 = (0..c * h * w).map(|k| weights[k % (h * w)] as f64 * ((x[k] - t[k]) as f64).powi(2)).sum::<f64>() / (h * w) as f64;
        assert!((l - want).abs() <= 1e-6 * want.max(1e-12), "{l} against {want}");
        for k in (0..x.len()).filter(|k| weights[k % (h * w)] == 0.0) {
            assert_eq!(g[k], 0.0, "an unreliable pixel pulls nothing");
        }
        check_directional("temporal gradient", &x, &g, 1e-2, 1e-3, |x| {
            let mut scratch = vec![0.0; x.len()];
            temporal(x, &t, &weights, 0.0, &mut scratch)
        });
    }
}

fn tiny_objective(h: usize, w: usize) -> (Objective, Array3<f32>) {
    let net = Arc::new(Vgg19::random(5, 16));
    let content = Array3::from_shape_vec((3, h, w), randn(30, 3 * h * w)).unwrap();
    let style = Array3::from_shape_vec((3, h + 3, w - 2), randn(31, 3 * (h + 3) * (w - 2))).unwrap();
    let style2 = Array3::from_shape_vec((3, h, w), randn(32, 3 * h * w)).unwrap();
    let ct = content_targets(&net, content.view(), &paper_content_taps()).unwrap();
    let st = style_targets(&net, &[style.view(), style2.view()], &[0.7, 0.3], &paper_style_taps(), &[0.2; 5]).unwrap();
    let obj = Objective::new(net, ct, st, LossWeights { content: 1e-2, style: 1.0, tv: 1e-3 });
    let x = Array3::from_shape_vec((3, h, w), randn(33, 3 * h * w)).unwrap();
    (obj, x)
}

#[test]
fn whole_objective_gradient_by_finite_differences() {
    let (h, w) = (21, 19);
    for pooling in [neural_style::Pooling::Avg, neural_style::Pooling::Max] {
        let (mut obj, x) = tiny_objective(h, w);
        let mut net = (*obj.net).clone();
        net.pooling = pooling;
        obj.net = Arc::new(net);
        let e = obj.evaluate(x.view());
        assert!(e.content > 0.0 && e.style > 0.0 && e.tv > 0.0);
        let loss = |v: &[f32]| obj.evaluate(ArrayView3::from_shape((3, h, w), v).unwrap()).loss;
        // ReLU kinks and f32 forward passes: 2% along a random direction.
        check_directional(&format!("objective ({pooling:?} pooling)"), x.as_slice().unwrap(), e.grad.as_slice().unwrap(), 1e-3, 2e-2, loss);
    }
}

#[test]
fn objective_with_a_temporal_term_by_finite_differences() {
    let (h, w) = (17, 15);
    let (mut obj, x) = tiny_objective(h, w);
    let target = Array3::from_shape_vec((3, h, w), randn(50, 3 * h * w)).unwrap();
    let reliable = ndarray::Array2::from_shape_fn((h, w), |(i, j)| ((i + j) % 4 != 0) as u8 as f32);
    let before = obj.evaluate(x.view());
    obj.temporal = Some(neural_style::objective::Temporal { target, reliable, weight: 0.5 });
    let e = obj.evaluate(x.view());
    assert!(e.temporal > 0.0 && before.temporal == 0.0);
    assert!((e.loss - before.loss - 0.5f32 as f64 * e.temporal).abs() <= 1e-9 * e.loss, "the term adds delta * L_t");
    let loss = |v: &[f32]| obj.evaluate(ArrayView3::from_shape((3, h, w), v).unwrap()).loss;
    check_directional("objective with a temporal term", x.as_slice().unwrap(), e.grad.as_slice().unwrap(), 1e-3, 2e-2, loss);
}

#[test]
fn evaluation_parts_add_up() {
    let (obj, x) = tiny_objective(16, 16);
    let e = obj.evaluate(x.view());
    let style: f64 = e.style_layers.iter().map(|(_, v)| 0.2f32 as f64 * v).sum();
    assert!((style - e.style).abs() <= 1e-12 * e.style.abs().max(1.0));
    let total = 1e-2f32 as f64 * e.content + e.style + 1e-3f32 as f64 * e.tv;
    assert!((total - e.loss).abs() <= 1e-9 * e.loss.abs());
    let names: Vec<&str> = e.style_layers.iter().map(|(t, _)| t.name()).collect();
    assert_eq!(names, ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]);
}

#[test]
fn forward_stops_at_the_deepest_tap() {
    let net = Vgg19::random(1, 16);
    let x = Array3::from_shape_vec((3, 12, 10), randn(34, 360)).unwrap();
    let taps = [Tap::parse("relu2_1").unwrap(), Tap::parse("relu1_2").unwrap()];
    let f = net.features(x.view(), &taps);
    assert_eq!(f[0].dim(), (128 / 16, 6, 5));
    assert_eq!(f[1].dim(), (64 / 16, 12, 10));
}

/// `L = sum over taps of <r_t, F_t(x)>` for fixed random `r_t`: the gradient
/// every tap's features get is `r_t`.
/// Also gives `sum |r_t F_t(x)|`, the scale of `L`'s rounding.
fn tap_directions(net: &Vgg19, x: ArrayView3<f32>, taps: &[Tap]) -> (f64, f64, Array3<f32>) {
    let r = |t: Tap, n: usize| randn(300 + t.index() as u64, n);
    let (mut loss, mut scale) = (0.0, 0.0);
    let grad = net.forward_backward(x, taps, |t, mut f| {
        let rt = r(t, f.len());
        let f = f.as_slice_mut().unwrap();
        loss += dot(f, &rt);
        scale += f.iter().zip(&rt).map(|(a, b)| (a * b).abs() as f64).sum::<f64>();
        f.copy_from_slice(&rt);
    });
    (loss, scale, grad)
}

/// The input gradient of several taps at once is the sum of each tap's alone
/// (the backward is linear in the taps' gradients), for every tap: those just
/// below a pool (relu1_2, relu2_2, relu3_4, relu4_4), whose gradient meets the
/// one coming back through the pool, relu1_1 recomputed in the backward, and
/// the pooled layers fused or not.
///
/// Each is also exact by Euler's theorem: without biases the network (ReLU,
/// either pooling) is positively homogeneous of degree 1, `F(s x) = s F(x)`,
/// so `<dL/dx, x> = L(x)` for `L = sum <r_t, F_t(x)>`, with no finite step and
/// no ReLU kink crossed (finite differences on this network wander by 1-3%).
#[test]
fn input_gradient_of_many_taps_is_the_sum_of_each_taps() {
    let (h, w) = (20, 26);
    let t = |n: &str| Tap::parse(n).unwrap();
    let below_pools = [t("relu1_1"), t("relu1_2"), t("relu2_2"), t("relu3_1"), t("relu3_4"), t("relu4_4"), t("relu5_1")];
    let all: Vec<Tap> = Tap::all().collect();
    for (seed, pooling) in [(35, neural_style::Pooling::Avg), (36, neural_style::Pooling::Max)] {
        let x = Array3::from_shape_vec((3, h, w), randn(seed, 3 * h * w)).unwrap();
        let mut net = Vgg19::random(6, 16);
        net.pooling = pooling;
        net.layers_mut().iter_mut().for_each(|l| l.bias.fill(0.0));
        let euler = |what: &str, taps: &[Tap]| {
            let (loss, scale, grad) = tap_directions(&net, x.view(), taps);
            let along_x = dot(grad.as_slice().unwrap(), x.as_slice().unwrap());
            let err = (along_x - loss).abs() / scale;
            assert!(err < 3e-5, "{what} ({pooling:?} pooling): <dL/dx, x> = {along_x} against L = {loss} (sum |r F| {scale})");
            grad
        };
        for taps in [&below_pools[..], &all[..]] {
            let together = euler(&format!("{} taps", taps.len()), taps);
            let mut alone = Array3::<f32>::zeros((3, h, w));
            for &tap in taps {
                alone += &euler(tap.name(), &[tap]);
            }
            let what = format!("{} taps ({pooling:?} pooling): together against one at a time", taps.len());
            assert_close(&what, together.as_slice().unwrap(), alone.as_slice().unwrap(), 1e-5);
        }
    }
}

#[test]
fn objective_is_bit_identical_on_one_two_and_three_threads() {
    let (obj, x) = tiny_objective(37, 29);
    let one = with_threads(1, || obj.evaluate(x.view()));
    for t in [2, 3] {
        // Twice each: the second evaluation runs on the planned workspace.
        for _ in 0..2 {
            let other = with_threads(t, || obj.evaluate(x.view()));
            assert_eq!(one.loss.to_bits(), other.loss.to_bits(), "loss differs between 1 and {t} threads");
            assert!(one.grad == other.grad, "gradients differ between 1 and {t} threads");
        }
    }
}

#[test]
fn in_place_tap_gradient_matches_separate_losses() {
    for &(n, m) in &[(1, 1), (3, 7), (64, 5000), (5, 20000)] {
        let f = randn(50, n * m);
        let p = randn(51, n * m);
        let a = gram(&randn(52, n * m), n, m);
        let mut want = vec![0.0; n * m];
        let lc = content_layer(&f, &p, 0.3, &mut want);
        let e = style_layer(&f, n, m, &a, 2.0, &mut want);
        let mut got = f.clone();
        let l = tap_in_place(&mut got, n, m, Some((&p, 0.3)), &[StyleTerm { gram: &a, weight: 2.0, guide: None }]);
        assert_eq!(l.content, Some(lc));
        assert_eq!(l.style, vec![e]);
        assert_close(&format!("in-place gradient {n}x{m}"), &got, &want, 1e-5);
        // Content alone and style alone.
        let mut only_c = f.clone();
        let l = tap_in_place(&mut only_c, n, m, Some((&p, 1.0)), &[]);
        assert!(l.style.is_empty());
        let want_c: Vec<f32> = f.iter().zip(&p).map(|(a, b)| a - b).collect();
        assert_close("content alone", &only_c, &want_c, 1e-6);
    }
}

/// Spatial control at one tap: guided style terms (two overlapping regions
/// and a plain one) against finite differences in several directions, and a
/// guide of ones is exactly the plain term.
#[test]
fn guided_style_terms_value_and_gradient() {
    let (n, m) = (6, 50);
    let f = randn(60, n * m).iter().map(|v| v.abs() + 0.1).collect::<Vec<f32>>();
    let a1 = gram(&randn(61, n * m), n, m);
    let a2 = gram(&randn(62, n * m), n, m);
    let g1: Vec<f32> = (0..m).map(|p| if p < m / 2 { 1.0 } else { 0.2 * (p % 3) as f32 }).collect();
    let g2: Vec<f32> = (0..m).map(|p| (p as f32 / m as f32).min(0.9)).collect();
    let loss_grad = |x: &[f32], terms: &[StyleTerm]| {
        let mut g = x.to_vec();
        let l = tap_in_place(&mut g, n, m, None, terms);
        (l.style.iter().zip(terms).map(|(e, t)| e * t.weight as f64).sum::<f64>(), g)
    };
    let terms = [
        StyleTerm { gram: &a1, weight: 1.5, guide: Some(&g1) },
        StyleTerm { gram: &a2, weight: 0.7, guide: Some(&g2) },
        StyleTerm { gram: &a2, weight: 0.3, guide: None },
    ];
    // The guided Gram by definition: (F g)(F g)^T / sum g^2.
    let mass: f64 = g1.iter().map(|&v| v as f64 * v as f64).sum();
    let (gg, got_mass) = guided_gram(&f, n, m, &g1);
    assert!((got_mass - mass).abs() < 1e-9 * mass);
    for (i, j) in [(0, 0), (2, 5), (5, 1)] {
        let want: f64 = (0..m).map(|p| (f[i * m + p] * g1[p]) as f64 * (f[j * m + p] * g1[p]) as f64).sum::<f64>() / mass;
        assert!((gg[i * n + j] as f64 - want).abs() < 1e-5 * want.abs().max(1.0), "G[{i},{j}] {} vs {want}", gg[i * n + j]);
    }
    let (_, grad) = loss_grad(&f, &terms);
    for seed in 0..3u64 {
        // Each direction differs: rotate f's sign pattern through the seed.
        let x: Vec<f32> = f.iter().enumerate().map(|(k, v)| v * (1.0 + 0.01 * ((k as u64 + seed) % 5) as f32)).collect();
        let (_, gx) = loss_grad(&x, &terms);
        check_directional(&format!("guided style, point {seed}"), &x, &gx, 1e-2, 1e-3, |y| loss_grad(y, &terms).0);
    }
    assert!(grad.iter().any(|v| *v != 0.0));
    // Each region alone carries a gradient only where its guide is non-zero.
    let zero_right: Vec<f32> = (0..m).map(|p| if p < m / 2 { 1.0 } else { 0.0 }).collect();
    let (_, gl) = loss_grad(&f, &[StyleTerm { gram: &a1, weight: 1.0, guide: Some(&zero_right) }]);
    for r in 0..n {
        assert!(gl[r * m + m / 2..(r + 1) * m].iter().all(|v| *v == 0.0), "gradient outside the region");
        assert!(gl[r * m..r * m + m / 2].iter().any(|v| *v != 0.0), "no gradient inside the region");
    }
    // A guide zero everywhere (a region too small to reach this tap): its Gram
    // is zero, its E that of the target alone, and it adds nothing (no 0/0)
    // to the other terms' gradient.
    let nowhere = vec![0.0f32; m];
    let plain = StyleTerm { gram: &a2, weight: 0.3, guide: None };
    let (lp, gp) = loss_grad(&f, &[plain]);
    let mut ge = f.clone();
    let l = tap_in_place(&mut ge, n, m, None, &[plain, StyleTerm { gram: &a1, weight: 1.5, guide: Some(&nowhere) }]);
    let e_alone = a1.iter().map(|&a| (a as f64).powi(2)).sum::<f64>() / (4.0 * (n * n) as f64);
    assert!((l.style[1] - e_alone).abs() <= 1e-9 * e_alone, "{} vs {e_alone}", l.style[1]);
    assert_eq!((l.style[0] * 0.3f32 as f64).to_bits(), lp.to_bits());
    assert!(ge == gp, "an empty region changed the gradient");
    // A guide of ones is the plain term, bit for bit.
    let ones = vec![1.0f32; m];
    let (l1, g1s) = loss_grad(&f, &[StyleTerm { gram: &a1, weight: 2.0, guide: Some(&ones) }]);
    let (l0, g0s) = loss_grad(&f, &[StyleTerm { gram: &a1, weight: 2.0, guide: None }]);
    assert_eq!(l1.to_bits(), l0.to_bits());
    assert!(g1s == g0s);
}

/// A full-width VGG19 with the same weights, packed for `algo`.
fn full_width(algo: neural_style::vgg::ConvAlgo) -> Vgg19 {
    let base = Vgg19::random(21, 1);
    let layers = base
        .layers()
        .iter()
        .map(|l| neural_style::vgg::ConvLayer::with_algo(l.spec, l.c_in, l.c_out, l.weight(), l.bias.clone(), algo))
        .collect();
    Vgg19::new(layers, neural_style::Pooling::Avg, base.convention).unwrap()
}

#[test]
fn winograd_layers_match_im2col_layers_in_the_network() {
    use neural_style::vgg::{ConvAlgo, Kernels};
    let auto = full_width(ConvAlgo::Auto);
    let im2col = full_width(ConvAlgo::Im2col);
    // Auto packs every layer for Winograd.
    let wino: Vec<&str> = auto.layers().iter().filter(|l| matches!(l.kernels, Kernels::Winograd(_))).map(|l| l.spec.conv).collect();
    assert_eq!(wino.first(), Some(&"conv1_1"));
    assert_eq!(wino.len(), 16);
    let (h, w) = (44, 38);
    let x = Array3::from_shape_vec((3, h, w), randn(60, 3 * h * w)).unwrap().mapv(|v| 50.0 * v);
    let taps = [Tap::parse("relu3_1").unwrap(), Tap::parse("relu4_2").unwrap(), Tap::parse("relu5_4").unwrap()];
    let (fa, fi) = (auto.features(x.view(), &taps), im2col.features(x.view(), &taps));
    for (t, (a, b)) in taps.iter().zip(fa.iter().zip(&fi)) {
        // f32 Winograd vs im2col through up to 16 Winograd layers.
        assert_close(&format!("features at {t}"), a.as_slice().unwrap(), b.as_slice().unwrap(), 1e-3);
    }
    let grad = |net: &Vgg19| net.forward_backward(x.view(), &taps, |_, mut f| f.mapv_inplace(|v| v * 1e-3)).into_raw_vec_and_offset().0;
    assert_close("input gradient", &grad(&auto), &grad(&im2col), 1e-3);
    // Thread counts change the Winograd cut, never a bit of the result.
    let one = with_threads(1, || grad(&auto));
    assert!(one == with_threads(2, || grad(&auto)), "Winograd network differs between 1 and 2 threads");
    assert!(one == with_threads(3, || grad(&auto)), "Winograd network differs between 1 and 3 threads");
}
