//! Winograd F(4x4,3x3) against im2col on the shipped weights: layer by layer on
//! real activations, and the whole objective on an image with structure (made
//! here: smooth gradients, edges and a checkerboard, no file).

mod common;
use common::*;
use ndarray::{Array3, ArrayView3};
use neural_style::objective::{content_targets, style_targets};
use neural_style::ops::conv::{conv_backward_input, conv_forward, flip_transpose, ConvGeom};
use neural_style::ops::pool::{avg_pool_forward, pooled};
use neural_style::ops::winograd::WinogradWeights;
use neural_style::vgg::{paper_content_taps, paper_style_taps, ConvAlgo, ConvLayer, Tap, VGG19};
use neural_style::{weights, LossWeights, Objective, Pooling, Vgg19};
use std::sync::Arc;

/// An RGB image in [0, 1] with the things photographs have: gradients, edges, texture.
fn picture(h: usize, w: usize, seed: u64) -> Array3<f32> {
    let noise = randn(seed, 3 * h * w);
    Array3::from_shape_fn((3, h, w), |(c, y, x)| {
        let (fy, fx) = (y as f32 / h as f32, x as f32 / w as f32);
        let sky = if fy < 0.4 { 0.3 + 0.5 * fy + 0.2 * c as f32 / 3.0 } else { 0.2 };
        let house = if (0.45..0.8).contains(&fy) && (0.2..0.6).contains(&fx) { 0.8 - 0.3 * c as f32 / 3.0 } else { 0.0 };
        let checker = if (x / 3 + y / 3) % 2 == 0 && fy > 0.8 { 0.3 } else { 0.0 };
        (sky + house + checker + 0.02 * noise[(c * h + y) * w + x]).clamp(0.0, 1.0)
    })
}

/// The shipped network up to relu5_1, packed for `algo`.
fn shipped(algo: ConvAlgo) -> Vgg19 {
    let f = weights::shipped();
    let mut c_in = 3;
    let layers = VGG19[..13]
        .iter()
        .zip(&f.layers)
        .map(|(spec, rec)| {
            let l = ConvLayer::with_algo(spec, c_in, spec.c_out, rec.weights.decode(), rec.bias.clone(), algo);
            c_in = spec.c_out;
            l
        })
        .collect();
    Vgg19::new(layers, Pooling::Avg, f.convention).unwrap()
}

#[test]
fn every_layer_on_real_weights_and_activations() {
    let f = weights::shipped();
    let im2col = shipped(ConvAlgo::Im2col);
    let (h0, w0) = (44, 38);
    let x = im2col.convention.preprocess(picture(h0, w0, 1).view());
    println!("| layer | forward rel. error | input-gradient rel. error |");
    let (mut worst_fwd, mut worst_bwd): (f32, f32) = (0.0, 0.0);
    let (mut h, mut w) = (h0, w0);
    for (i, spec) in VGG19[..13].iter().enumerate() {
        // The layer's real input: the image, or the previous ReLU's output (pooled).
        let input = if i == 0 {
            x.as_slice().unwrap().to_vec()
        } else {
            let prev = im2col.features(x.view(), &[Tap::from_index(i - 1).unwrap()]).remove(0);
            let (c, ph, pw) = prev.dim();
            if spec.pool_before {
                let (oh, ow) = pooled(ph, pw);
                let mut p = vec![0.0; c * oh * ow];
                avg_pool_forward(c, ph, pw, prev.as_slice().unwrap(), &mut p);
                p
            } else {
                prev.into_raw_vec_and_offset().0
            }
        };
        if spec.pool_before {
            (h, w) = pooled(h, w);
        }
        let g = ConvGeom::vgg(spec.c_in, spec.c_out, h, w);
        let (wt, b) = (f.layers[i].weights.decode(), &f.layers[i].bias);
        let u = WinogradWeights::new(spec.c_out, spec.c_in, &wt);
        let (mut want, mut got) = (vec![0.0; spec.c_out * h * w], vec![0.0; spec.c_out * h * w]);
        conv_forward(&g, &input, &wt, Some(b), true, &mut want);
        u.forward(&g, &input, Some(b), true, false, &mut got);
        let fwd = rel_err(&got, &want);
        let dy = randn(100 + i as u64, spec.c_out * h * w);
        let (mut want_dx, mut got_dx) = (vec![0.0; input.len()], vec![0.0; input.len()]);
        conv_backward_input(&g, &dy, &flip_transpose(&g, &wt), &mut want_dx);
        u.backward_input(&g, &dy, &mut got_dx, false);
        let bwd = rel_err(&got_dx, &want_dx);
        println!("| {} | {fwd:.2e} | {bwd:.2e} |", spec.conv);
        worst_fwd = worst_fwd.max(fwd);
        worst_bwd = worst_bwd.max(bwd);
    }
    // What these bounds leave room for: `docs/performance.md` (accuracy).
    assert!(worst_fwd < 1e-5, "worst forward relative error {worst_fwd}");
    assert!(worst_bwd < 1e-4, "worst input-gradient relative error {worst_bwd}");
}

#[test]
fn whole_objective_matches_im2col_on_real_weights() {
    let (h, w) = (64, 56);
    let nets = [Arc::new(shipped(ConvAlgo::Auto)), Arc::new(shipped(ConvAlgo::Im2col))];
    let conv = nets[0].convention;
    let (content, style, x) = (
        conv.preprocess(picture(h, w, 2).view()),
        conv.preprocess(picture(48, 40, 3).view().permuted_axes([0, 2, 1]).as_standard_layout().view()),
        conv.preprocess(picture(h, w, 4).view()),
    );
    let eval = |net: &Arc<Vgg19>, x: ArrayView3<f32>| {
        let ct = content_targets(net, content.view(), &paper_content_taps()).unwrap();
        let st = style_targets(net, &[style.view()], &[1.0], &paper_style_taps(), &[0.2; 5]).unwrap();
        Objective::new(net.clone(), ct, st, LossWeights { content: 1e-3, style: 1.0, tv: 0.0 }).evaluate(x)
    };
    let (a, b) = (eval(&nets[0], x.view()), eval(&nets[1], x.view()));
    let rel = |p: f64, q: f64| (p - q).abs() / q.abs();
    println!("content {:.2e} style {:.2e}", rel(a.content, b.content), rel(a.style, b.style));
    assert!(rel(a.content, b.content) < 1e-4, "content {} vs {}", a.content, b.content);
    assert!(rel(a.style, b.style) < 1e-4, "style {} vs {}", a.style, b.style);
    for ((t, ea), (_, eb)) in a.style_layers.iter().zip(&b.style_layers) {
        assert!(rel(*ea, *eb) < 1e-4, "style at {t}: {ea} vs {eb}");
    }
    let g = rel_err(a.grad.as_slice().unwrap(), b.grad.as_slice().unwrap());
    println!("gradient {g:.2e}");
    assert!(g < 1e-4, "gradient relative error {g}");
}
