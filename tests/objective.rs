//! The objective's own checks of its targets: style blends and layer weights
//! that cannot be right are refused by the library (the binary normalises a
//! blend before it gets here, so only these tests reach them).

mod common;
use ndarray::Array3;
use neural_style::objective::style_targets;
use neural_style::vgg::{paper_style_taps, Vgg19};
use neural_style::Error;

fn image(seed: u64) -> Array3<f32> {
    Array3::from_shape_vec((3, 16, 16), common::randn(seed, 3 * 16 * 16)).unwrap()
}

#[test]
fn style_blends_must_be_weights_that_sum_to_one() {
    let net = Vgg19::random(5, 16);
    let (a, b) = (image(1), image(2));
    let taps = paper_style_taps();
    let targets = |blend: &[f32], layer_weights: &[f32]| style_targets(&net, &[a.view(), b.view()], blend, &taps, layer_weights);
    let field = |r: Result<_, Error>| match r {
        Err(Error::Invalid { field, .. }) => field,
        Err(e) => panic!("another error: {e}"),
        Ok(_) => "accepted",
    };
    assert_eq!(targets(&[0.3, 0.7], &[0.2; 5]).unwrap().len(), 5);
    assert_eq!(field(targets(&[1.0, 0.0], &[0.2; 5])), "accepted", "a zero weight leaves an image out");
    assert_eq!(field(targets(&[0.3, 0.2], &[0.2; 5])), "style_blend", "a blend summing to 0.5");
    assert_eq!(field(targets(&[1.5, -0.5], &[0.2; 5])), "style_blend", "a negative weight in a blend summing to 1");
    assert_eq!(field(targets(&[f32::NAN, 1.0], &[0.2; 5])), "style_blend", "a NaN weight");
    assert_eq!(field(targets(&[1.0], &[0.2; 5])), "style_blend", "one weight for two images");
    assert_eq!(field(targets(&[0.5, 0.5], &[0.25; 4])), "style_layer_weights", "four weights for five layers");
}
