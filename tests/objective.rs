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

/// The taps an objective reads are its targets' (sorted, once each), and the
/// arena an evaluation leaves is the one the dry run plans (what the memory
/// estimate reads), holding at least the most that was live at once.
#[test]
fn taps_and_workspace_are_what_was_planned() {
    use neural_style::objective::content_targets;
    use neural_style::vgg::Tap;
    use neural_style::{LossWeights, Objective};
    let net = std::sync::Arc::new(Vgg19::random(6, 16));
    let (c, s, x) = (image(3), image(4), image(5));
    let t = |n: &str| Tap::parse(n).unwrap();
    let ct = content_targets(&net, c.view(), &[t("relu3_1")]).unwrap();
    let st = style_targets(&net, &[s.view()], &[1.0], &[t("relu1_1"), t("relu3_1")], &[0.5, 0.5]).unwrap();
    let obj = Objective::new(net.clone(), ct, st, LossWeights { content: 1.0, style: 1.0, tv: 0.0 });
    assert_eq!(obj.taps(), &[t("relu1_1"), t("relu3_1")]);
    assert_eq!(obj.workspace_bytes(), 0, "nothing held before the first evaluation");
    obj.evaluate(x.view());
    let planned = net.workspace_bytes(obj.taps(), 16, 16);
    assert!(planned > 0);
    assert_eq!(obj.workspace_bytes(), planned, "the arena is the planned one");
    let live = 4 * obj.workspace_peak_live();
    // At least relu1_1's features were live at once, and the plan packs them tightly.
    let relu1_1 = 4 * net.channels(t("relu1_1")) * 16 * 16;
    assert!(live >= relu1_1 && live <= planned && 2 * live >= planned, "{live} bytes live at once in an arena of {planned}");
}

/// Guided targets need one layer weight and one guide per tap.
#[test]
fn guided_targets_need_a_weight_and_a_guide_per_tap() {
    use neural_style::objective::{guided_style_targets, guides};
    let net = Vgg19::random(5, 16);
    let s = image(2);
    let taps = paper_style_taps();
    let mask = ndarray::Array2::from_elem((16, 16), 1.0f32);
    let region = guides(mask.view(), &taps);
    assert_eq!(guided_style_targets(&net, s.view(), None, &taps, &[0.2; 5], region.clone()).unwrap().len(), 5);
    for (weights, region) in [(&[0.2f32; 4][..], region.clone()), (&[0.2; 5][..], region[..4].to_vec())] {
        match guided_style_targets(&net, s.view(), None, &taps, weights, region) {
            Err(Error::Invalid { field: "style_masks", .. }) => {}
            other => panic!("{} weights: {:?}", weights.len(), other.map(|t| t.len())),
        }
    }
}

/// Two style terms at one tap (two regions, or two images kept apart): the
/// trace's per-layer E is their sum, and the style loss their weighted sum.
#[test]
fn style_layers_add_the_terms_of_one_tap() {
    use neural_style::vgg::Tap;
    use neural_style::{LossWeights, Objective};
    let net = std::sync::Arc::new(Vgg19::random(6, 16));
    let tap = [Tap::parse("relu2_1").unwrap()];
    let mut terms = style_targets(&net, &[image(1).view()], &[1.0], &tap, &[0.5]).unwrap();
    terms.extend(style_targets(&net, &[image(2).view()], &[1.0], &tap, &[0.5]).unwrap());
    let obj = Objective::new(net.clone(), Vec::new(), terms.clone(), LossWeights { content: 0.0, style: 1.0, tv: 0.0 });
    let e = obj.evaluate(image(3).view());
    let alone = |t: &neural_style::StyleTarget| {
        let one = neural_style::StyleTarget { layer_weight: 1.0, ..t.clone() };
        Objective::new(net.clone(), Vec::new(), vec![one], LossWeights { content: 0.0, style: 1.0, tv: 0.0 })
            .evaluate(image(3).view())
            .style
    };
    let (e1, e2) = (alone(&terms[0]), alone(&terms[1]));
    assert!(e1 > 0.0 && e2 > 0.0 && (e1 - e2).abs() > 1e-3 * e1);
    assert_eq!(e.style_layers.len(), 1);
    assert!((e.style_layers[0].1 - (e1 + e2)).abs() <= 1e-9 * (e1 + e2), "{:?} vs {e1} + {e2}", e.style_layers);
    assert!((e.style - 0.5 * (e1 + e2)).abs() <= 1e-9 * e.style);
}
