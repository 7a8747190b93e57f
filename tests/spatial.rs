//! Spatial control (Gatys et al. 2017): masks brought down to every tap as the
//! network pools, and two flat-colour styles painted on two halves.

use ndarray::{Array2, Array3};
use neural_style::objective::guides;
use neural_style::optim::Control;
use neural_style::transfer::{self, Config, Init};
use neural_style::vgg::{paper_style_taps, Tap};
use neural_style::{weights, Pooling};
use std::sync::Arc;

#[test]
fn masks_come_down_to_each_tap_like_the_features() {
    let net = neural_style::Vgg19::random(4, 8);
    let taps = paper_style_taps();
    for (h, w) in [(32, 32), (37, 29)] {
        let mask = Array2::from_shape_fn((h, w), |(_, j)| if j < w / 2 { 1.0f32 } else { 0.0 });
        let x = Array3::<f32>::zeros((3, h, w));
        let feats = net.features(x.view(), &taps);
        for ((g, f), tap) in guides(mask.view(), &taps).iter().zip(&feats).zip(&taps) {
            assert_eq!(g.dim(), (f.dim().1, f.dim().2), "{tap} at {h}x{w}");
        }
    }
    // 8x8, left half white: one pool keeps it (4x4, left half 1); a pool over
    // the boundary averages (a 2-wide column at 0.5 after three pools of 12).
    let mask = Array2::from_shape_fn((8, 8), |(_, j)| if j < 4 { 1.0f32 } else { 0.0 });
    let g = guides(mask.view(), &[Tap::parse("relu2_1").unwrap()]);
    assert_eq!(g[0], Array2::from_shape_fn((4, 4), |(_, j)| if j < 2 { 1.0 } else { 0.0 }));
    let mask = Array2::from_shape_fn((8, 12), |(_, j)| if j < 6 { 1.0f32 } else { 0.0 });
    let g = guides(mask.view(), &[Tap::parse("relu3_1").unwrap()]);
    assert_eq!(g[0].row(0).to_vec(), vec![1.0, 0.5, 0.0]);
    // Any mask, odd sizes: the same numbers as the reference average pool applied per block.
    let mut r = neural_style::rng::Rng::new(7);
    let (h, w) = (37, 29);
    let mask = Array2::from_shape_simple_fn((h, w), || r.uniform());
    let mut want = (mask.iter().copied().collect::<Vec<f32>>(), h, w);
    for (tap, g) in taps.iter().zip(guides(mask.view(), &taps)) {
        // Pool the reference down to this tap's size (the taps come in order).
        while want.1 > g.dim().0 {
            want = (neural_style::ops::pool::avg_pool_reference(1, want.1, want.2, &want.0), want.1 / 2, want.2 / 2);
        }
        assert_eq!(g.dim(), (want.1, want.2), "{tap}");
        assert_eq!(g.iter().copied().collect::<Vec<f32>>(), want.0, "{tap}: the guide is not the mask average-pooled");
    }
}

fn flat(rgb: [f32; 3], h: usize, w: usize, seed: u64) -> Array3<f32> {
    // Flat colour with a little texture, so the Grams are not degenerate.
    let mut r = neural_style::rng::Rng::new(seed);
    Array3::from_shape_fn((3, h, w), |(c, _, _)| (rgb[c] + 0.06 * (r.uniform() - 0.5)).clamp(0.0, 1.0))
}

#[test]
fn two_styles_on_two_halves() {
    let net = Arc::new(weights::shipped().to_network(Pooling::Avg, false).unwrap());
    let (h, w) = (32, 48);
    let content = Array3::from_shape_fn((3, h, w), |(_, i, j)| 0.35 + 0.3 * ((i / 4 + j / 4) % 2) as f32);
    let red = flat([0.85, 0.15, 0.1], 32, 32, 1);
    let blue = flat([0.1, 0.2, 0.85], 32, 32, 2);
    let left = Array2::from_shape_fn((h, w), |(_, j)| if j < w / 2 { 1.0f32 } else { 0.0 });
    let right = left.mapv(|v| 1.0 - v);
    let config = Config {
        size: w,
        iterations: 60,
        init: Init::Content,
        style_masks: Some(vec![left, right]),
        weights: neural_style::transfer::Weights { content: Some(0.05), style: 1.0, tv: 0.0, temporal: 0.0 },
        ..Config::default()
    };
    let out = transfer::run(net, &config, Some(content.view()), &[red.view(), blue.view()], &mut |_| Control::Continue).unwrap();
    let mean = |c: usize, j0: usize, j1: usize| {
        let v = out.image.slice(ndarray::s![c, .., j0..j1]);
        v.sum() / v.len() as f32
    };
    // Away from the seam (a 3x3 network blurs the boundary).
    let (l, r) = ((2, w / 2 - 6), (w / 2 + 6, w - 2));
    let (lr, lb, rr, rb) = (mean(0, l.0, l.1), mean(2, l.0, l.1), mean(0, r.0, r.1), mean(2, r.0, r.1));
    assert!(lr > lb + 0.2, "left half should be red: R {lr} B {lb}");
    assert!(rb > rr + 0.2, "right half should be blue: R {rr} B {rb}");
    // Swapping the masks swaps the colours (the masks, not the order, decide).
    let swapped = Config {
        style_masks: config.style_masks.clone().map(|mut m| {
            m.swap(0, 1);
            m
        }),
        ..config.clone()
    };
    let net = Arc::new(weights::shipped().to_network(Pooling::Avg, false).unwrap());
    let out2 = transfer::run(net, &swapped, Some(content.view()), &[red.view(), blue.view()], &mut |_| Control::Continue).unwrap();
    let v = out2.image.slice(ndarray::s![0, .., l.0..l.1]);
    let b = out2.image.slice(ndarray::s![2, .., l.0..l.1]);
    assert!(b.sum() > v.sum(), "with the masks swapped the left half is blue");
}

mod common;
use common::cli::{run, s, stderr, Dir};

#[test]
fn masks_from_the_command_line_with_colours_coarse_to_fine_and_batch() {
    let d = Dir::new("spatial-cli");
    let c = d.image("c.png", 40, 30);
    let (s1, s2) = (d.image("s1.png", 24, 24), d.image("s2.png", 28, 20));
    let left = d.path("left.png");
    image::GrayImage::from_fn(40, 30, |x, _| image::Luma([if x < 20 { 255 } else { 0 }])).save(&left).unwrap();
    let right = d.path("right.png");
    image::GrayImage::from_fn(40, 30, |x, _| image::Luma([if x < 20 { 0 } else { 255 }])).save(&right).unwrap();
    let masks = format!("{},{}", s(&left), s(&right));
    let styles = format!("{},{}", s(&s1), s(&s2));
    let out = d.path("out.png");
    let base = ["--content", s(&c), "--style", &styles, "--output", s(&out), "--size", "40", "--iterations", "3"];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        run(&a)
    };
    for extra in [
        vec!["--style-masks", &masks],
        vec!["--style-masks", &masks, "--preserve-colors", "luminance", "--scales", "2"],
        vec!["--style-masks", &masks, "--style-image-masks", &masks],
    ] {
        let _ = std::fs::remove_file(&out);
        let o = with(&extra);
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        assert!(out.exists(), "{extra:?}");
    }
    // Refused before anything starts: one line, exit 2.
    for (extra, needle) in [
        (vec!["--style-masks", s(&left)], "2 style images"),
        (vec!["--style-image-masks", &masks], "--style-image-masks: needs style masks"),
        (vec!["--style-masks", &masks, "--style-blend-weights", "1,2"], "does not apply"),
    ] {
        let _ = std::fs::remove_file(&out);
        let o = with(&extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{extra:?}: {}", stderr(&o));
        assert!(!out.exists());
    }
    // In a batch every item gets the masks.
    let o = run(&[
        "batch",
        "--contents",
        s(&c),
        "--styles",
        s(&s1),
        "--output-dir",
        s(&d.path("out")),
        "--style-masks",
        s(&left),
        "--size",
        "40",
        "--iterations",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.path("out/c__s1.png").exists());
}
