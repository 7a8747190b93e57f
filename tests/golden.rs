//! The shipped network against an independent forward pass: features at
//! relu1_1, relu2_1, relu3_1 and relu4_2 of a small image made by formula,
//! computed by `tools/golden_features.py` (numpy, f64, direct convolution) and
//! committed in `tests/data/golden_vgg19.txt`. Catches wiring: the channel
//! order and range of the input, which layer a tap reads, pooling, ReLU.
//! Also the preprocessing of known pixels, value by value.

use ndarray::Array3;
use neural_style::vgg::Tap;
use neural_style::{weights, Pooling};

const H: usize = 24;
const W: usize = 20;

/// The script's image: ((7c + 3y + 5x) mod 17) / 16 + 0.03 sin(x y + c), RGB in [0, 1].
fn image() -> Array3<f32> {
    Array3::from_shape_fn((3, H, W), |(c, y, x)| (((7 * c + 3 * y + 5 * x) % 17) as f64 / 16.0 + 0.03 * ((x * y + c) as f64).sin()) as f32)
}

struct Golden {
    tap: Tap,
    shape: (usize, usize, usize),
    sums: Vec<f64>,
    values: Vec<(usize, f64)>,
}

fn golden() -> Vec<Golden> {
    let text = include_str!("data/golden_vgg19.txt");
    let mut out: Vec<Golden> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("tap") => {
                let w: Vec<&str> = words.collect();
                let n = |i: usize| w[i].parse::<usize>().unwrap();
                out.push(Golden { tap: Tap::parse(w[0]).unwrap(), shape: (n(1), n(2), n(3)), sums: vec![], values: vec![] });
            }
            Some("sums") => out.last_mut().unwrap().sums = words.map(|v| v.parse().unwrap()).collect(),
            Some("values") => {
                out.last_mut().unwrap().values = words
                    .map(|p| {
                        let (i, v) = p.split_once(':').unwrap();
                        (i.parse().unwrap(), v.parse().unwrap())
                    })
                    .collect()
            }
            _ => panic!("unexpected line in golden file: {line}"),
        }
    }
    out
}

#[test]
fn shipped_network_matches_an_independent_forward_pass() {
    let gold = golden();
    assert_eq!(gold.len(), 4, "four taps in the golden file");
    let net = weights::shipped().to_network(Pooling::Avg, false).unwrap();
    let x = net.convention.preprocess(image().view());
    let taps: Vec<Tap> = gold.iter().map(|g| g.tap).collect();
    for (g, f) in gold.iter().zip(net.features(x.view(), &taps)) {
        assert_eq!(f.dim(), g.shape, "{} shape", g.tap);
        let (c, h, w) = f.dim();
        let flat = f.as_slice().unwrap();
        let scale = g.values.iter().map(|v| v.1.abs()).fold(1e-6, f64::max);
        for &(i, want) in &g.values {
            let got = flat[i] as f64;
            assert!((got - want).abs() <= 1e-4 * scale, "{} value {i}: {got} vs {want} (scale {scale})", g.tap);
        }
        assert_eq!(g.sums.len(), c);
        let sum_scale = g.sums.iter().map(|v| v.abs()).fold(1e-6, f64::max);
        for (k, &want) in g.sums.iter().enumerate() {
            let got: f64 = flat[k * h * w..(k + 1) * h * w].iter().map(|&v| v as f64).sum();
            assert!((got - want).abs() <= 1e-4 * sum_scale, "{} channel {k} sum: {got} vs {want}", g.tap);
        }
    }
}

#[test]
fn preprocessing_of_known_pixels() {
    // Caffe's convention: BGR, 0..255, mean pixel [103.939, 116.779, 123.68] (B, G, R) subtracted.
    let conv = weights::shipped().convention;
    let mut rgb = Array3::<f32>::zeros((3, 1, 2));
    // Pixel 0: pure red at full intensity; pixel 1: (0.2, 0.4, 0.6).
    rgb[[0, 0, 0]] = 1.0;
    rgb[[0, 0, 1]] = 0.2;
    rgb[[1, 0, 1]] = 0.4;
    rgb[[2, 0, 1]] = 0.6;
    let x = conv.preprocess(rgb.view());
    let want = [
        [0.0 - 103.939, 0.0 - 116.779, 255.0 - 123.68],    // B, G, R of pixel 0
        [153.0 - 103.939, 102.0 - 116.779, 51.0 - 123.68], // B, G, R of pixel 1
    ];
    for (p, w) in want.iter().enumerate() {
        for c in 0..3 {
            assert!((x[[c, 0, p]] - w[c]).abs() < 1e-3, "pixel {p} channel {c}: {} vs {}", x[[c, 0, p]], w[c]);
        }
    }
    // And back.
    let back = conv.deprocess(x.view());
    for (a, b) in back.iter().zip(rgb.iter()) {
        assert!((a - b).abs() < 1e-6);
    }
    // torchvision's convention (for `--weights` converted from its file): RGB,
    // 0..1, ImageNet mean subtracted and divided by the std, channel by channel.
    let tv = neural_style::preprocess::InputConvention::torchvision();
    let x = tv.preprocess(rgb.view());
    let (mean, std) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    for (p, px) in [[1.0f32, 0.0, 0.0], [0.2, 0.4, 0.6]].iter().enumerate() {
        for c in 0..3 {
            let want = (px[c] - mean[c]) / std[c];
            assert!((x[[c, 0, p]] - want).abs() < 1e-5, "torchvision pixel {p} channel {c}: {} vs {want}", x[[c, 0, p]]);
        }
    }
    let back = tv.deprocess(x.view());
    for (a, b) in back.iter().zip(rgb.iter()) {
        assert!((a - b).abs() < 1e-6);
    }
}

/// An RGB image `(3, 20, 16)` from a formula, made in f32 as the script makes it.
fn made(f: impl Fn(usize, usize, usize) -> f64) -> Array3<f32> {
    Array3::from_shape_fn((3, 20, 16), |(c, y, x)| f(c, y, x) as f32)
}

#[test]
fn objective_matches_an_independent_autograd() {
    use neural_style::objective::{content_targets, style_targets};
    use neural_style::vgg::{paper_content_taps, paper_style_taps};
    use neural_style::{LossWeights, Objective};
    use std::sync::Arc;
    // tests/data/golden_objective.txt, from tools/golden_objective.py (PyTorch, float64).
    let text = include_str!("data/golden_objective.txt");
    let field = |name: &str| text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap()[name.len() + 1..].to_string();
    let num = |name: &str| field(name).trim().parse::<f64>().unwrap();
    let style: Vec<(String, f64)> = field("style")
        .split_whitespace()
        .map(|p| {
            let (t, v) = p.split_once(':').unwrap();
            (t.to_string(), v.parse().unwrap())
        })
        .collect();
    let grad: Vec<f64> = field("grad").split_whitespace().map(|v| v.parse().unwrap()).collect();

    let net = Arc::new(weights::shipped().to_network(Pooling::Avg, false).unwrap());
    let conv = net.convention;
    let content = conv.preprocess(made(|c, y, x| ((3 * c + 5 * y + 7 * x) % 13) as f64 / 12.0).view());
    let sa = conv.preprocess(made(|c, y, x| ((11 * c + y * y + 2 * x) % 19) as f64 / 18.0).view());
    let sb = conv.preprocess(made(|c, y, x| (0.7 * x as f64 + 0.3 * y as f64 + c as f64).sin().abs()).view());
    let x = conv.preprocess(made(|c, y, x| ((5 * c + 2 * y + 3 * x) % 11) as f64 / 10.0 + 0.05 * ((x * y) as f64).cos()).view());
    let ct = content_targets(&net, content.view(), &paper_content_taps()).unwrap();
    let st = style_targets(&net, &[sa.view(), sb.view()], &[0.7, 0.3], &paper_style_taps(), &[0.2; 5]).unwrap();
    let obj = Objective::new(net, ct, st, LossWeights { content: 1e-3, style: 1.0, tv: 1e-3 });
    let e = obj.evaluate(x.view());

    let close = |what: &str, got: f64, want: f64| assert!((got - want).abs() <= 1e-4 * want.abs(), "{what}: {got} vs {want}");
    close("content", e.content, num("content"));
    close("tv", e.tv, num("tv"));
    close("loss", e.loss, num("loss"));
    assert_eq!(e.style_layers.len(), style.len());
    for ((tap, got), (name, want)) in e.style_layers.iter().zip(&style) {
        assert_eq!(tap.name(), name);
        close(&format!("style at {name}"), *got, *want);
    }
    let g = e.grad.as_slice().unwrap();
    assert_eq!(g.len(), grad.len());
    let scale = grad.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // A NaN anywhere is the worst (f64::max alone would skip it).
    let worst =
        g.iter().zip(&grad).fold(0.0f64, |m, (&a, &b)| if (a as f64 - b).is_nan() { f64::INFINITY } else { m.max((a as f64 - b).abs()) });
    assert!(worst <= 1e-4 * scale, "gradient: worst difference {worst} against a largest {scale}");
}
