//! The library's documented defaults by what they mean, through the public
//! path (the prepared objective, its start, its targets), not by comparing a
//! constant with itself: a default that kept its literal but changed what it
//! is taken from (the result's size or the photograph's, the layers' count or
//! a fixed share) fails here. The count defaults (iterations, progress,
//! snapshots) are in `tests/counts.rs`, the content weight's in
//! `tests/optimise.rs`.

use ndarray::Array3;
use neural_style::image_io::{resize, resize_longest};
use neural_style::transfer::{self, Config, Prepared};
use neural_style::vgg::Tap;
use neural_style::Vgg19;
use std::sync::Arc;

fn image(seed: u64, h: usize, w: usize) -> Array3<f32> {
    let mut r = neural_style::rng::Rng::new(seed);
    Array3::from_shape_simple_fn((3, h, w), || r.uniform())
}

fn net() -> Arc<Vgg19> {
    Arc::new(Vgg19::random(11, 8))
}

fn prepare(config: &Config, photo: Option<&Array3<f32>>, paintings: &[&Array3<f32>]) -> Prepared {
    let styles: Vec<_> = paintings.iter().map(|p| p.view()).collect();
    transfer::prepare(net(), config, photo.map(|p| p.view()), &styles).unwrap()
}

/// `--size` [512] is the result's longest side, whichever side that is and
/// whatever the photograph's size.
#[test]
fn the_default_size_is_the_results_longest_side() {
    let painting = image(2, 40, 40);
    for ((h, w), want) in [((300, 400), (384, 512)), ((600, 450), (512, 384)), ((1024, 768), (512, 384))] {
        let p = prepare(&Config::default(), Some(&image(1, h, w)), &[&painting]);
        assert_eq!(p.x0.dim(), (3, want.0, want.1), "a {h}x{w} photograph");
    }
}

/// `--style-scale` [1.0]: the painting is brought to the result's longest
/// side (not the photograph's, not left as it is) before its Grams are taken.
#[test]
fn the_default_style_scale_brings_the_painting_to_the_results_size() {
    let (photo, painting) = (image(3, 300, 400), image(4, 400, 500));
    let grams = |p: &Prepared| p.objective.style.iter().map(|t| t.gram.clone()).collect::<Vec<_>>();
    let default = grams(&prepare(&Config::default(), Some(&photo), &[&painting]));
    let at_result = resize_longest(painting.view(), 512);
    assert_eq!(default, grams(&prepare(&Config::default(), Some(&photo), &[&at_result])), "the painting at 512");
    let at_photo = resize_longest(painting.view(), 400);
    assert_ne!(default, grams(&prepare(&Config::default(), Some(&photo), &[&at_photo])), "told apart from the photograph's size");
}

/// `--init` [content if given, else noise]: a transfer starts from the
/// photograph at the result's size; a texture from uniform noise in [0, 1],
/// each channel drawn on its own.
#[test]
fn the_default_start_is_the_photograph_else_uniform_noise() {
    let (photo, painting) = (image(5, 60, 80), image(6, 40, 40));
    let config = Config { size: 64, ..Config::default() };
    let p = prepare(&config, Some(&photo), &[&painting]);
    let conv = p.objective.net.convention;
    assert_eq!(p.x0, conv.preprocess(resize(photo.view(), 48, 64).view()), "the photograph");
    let texture = prepare(&config, None, &[&painting]);
    let rgb = conv.deprocess(texture.x0.view());
    let n = rgb.len() as f64;
    let mean = rgb.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = rgb.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    assert!((mean - 0.5).abs() < 0.02 && (var - 1.0 / 12.0).abs() < 0.005, "uniform in [0, 1]: mean {mean}, variance {var}");
    let (r, g) = (rgb.index_axis(ndarray::Axis(0), 0), rgb.index_axis(ndarray::Axis(0), 1));
    let same = r.iter().zip(g.iter()).filter(|(a, b)| (*a - *b).abs() < 1e-3).count();
    assert!(same < r.len() / 50, "the channels are drawn apart ({same} of {} pixels equal)", r.len());
}

/// `--content-layers` [relu4_2], `--style-layers` [relu1_1 ... relu5_1] and
/// `--style-layer-weights` [1/number of layers each]: the paper's taps, and
/// the weights an equal share that follows the layers' count.
#[test]
fn the_default_layers_are_the_papers_with_equal_shares() {
    let (photo, painting) = (image(7, 48, 64), image(8, 40, 40));
    let config = Config { size: 64, ..Config::default() };
    let p = prepare(&config, Some(&photo), &[&painting]);
    let names = |taps: Vec<Tap>| taps.iter().map(|t| t.name()).collect::<Vec<_>>();
    assert_eq!(names(p.objective.content.iter().map(|c| c.tap).collect()), ["relu4_2"]);
    assert_eq!(names(p.objective.style.iter().map(|s| s.tap).collect()), ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]);
    assert!(p.objective.style.iter().all(|s| s.layer_weight == 0.2), "1/5 each");
    let three = Config { style_layers: Tap::parse_list("relu1_1,relu3_1,relu5_1").unwrap(), ..config };
    let p = prepare(&three, Some(&photo), &[&painting]);
    assert!(p.objective.style.iter().all(|s| (s.layer_weight - 1.0 / 3.0).abs() < 1e-7), "1/3 each of three");
}

/// `--style-weight` [1] and `--tv-weight` [0]: beta is 1 as given and no
/// total variation enters the loss, which is alpha * content + style.
#[test]
fn the_default_style_and_tv_weights_leave_beta_as_given_and_no_tv() {
    let (photo, painting) = (image(9, 48, 64), image(10, 40, 40));
    let p = prepare(&Config { size: 64, ..Config::default() }, Some(&photo), &[&painting]);
    let w = p.objective.weights;
    assert_eq!((w.style, w.tv), (1.0, 0.0));
    let x = p.x0.mapv(|v| v + 7.0);
    let e = p.objective.evaluate(x.view());
    assert!(e.tv > 0.0, "the image has variation to penalise");
    let want = w.content as f64 * e.content + e.style;
    assert!((e.loss - want).abs() <= 1e-9 * want, "loss {} against alpha * content + style {want}", e.loss);
}

/// Each `--init` variant is its own picture: `content` the photograph,
/// `style` the first painting brought to the result's size, an image that
/// image, `noise` uniform noise from the seed (another seed, another start);
/// no two alike.
#[test]
fn every_start_is_its_own_picture() {
    use neural_style::transfer::Init;
    let (photo, painting, other) = (image(11, 48, 64), image(12, 30, 40), image(13, 48, 64));
    let start = |init: Init, seed: u64| prepare(&Config { size: 64, init, seed, ..Config::default() }, Some(&photo), &[&painting]).x0;
    let conv = net().convention;
    let content = start(Init::Content, 0);
    assert_eq!(content, conv.preprocess(photo.view()));
    let style = start(Init::Style, 0);
    assert_eq!(style, conv.preprocess(resize(resize_longest(painting.view(), 64).view(), 48, 64).view()));
    assert_eq!(start(Init::Image(other.clone()), 0), conv.preprocess(other.view()));
    let noise = start(Init::Noise, 0);
    let mut rng = neural_style::rng::Rng::new(0);
    assert_eq!(noise, conv.preprocess(Array3::from_shape_simple_fn((3, 48, 64), || rng.uniform()).view()));
    assert_ne!(noise, start(Init::Noise, 1), "the seed moves the noise");
    assert_eq!(content, start(Init::Content, 1), "and nothing else");
    let all = [&content, &style, &noise];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
}
