//! The objective `L = alpha L_c + beta L_s + gamma L_tv (+ delta L_t)` over a
//! preprocessed image, with targets computed once (`L_t`: the temporal loss
//! of a video frame, [`Temporal`]). One [`Objective::evaluate`] is one forward
//! and one backward and returns every loss part with the gradient.

use crate::error::Error;
use crate::loss::{gram, guided_gram, tap_in_place, temporal, total_variation, StyleTerm};
use crate::preprocess::GreyLine;
use crate::vgg::{Tap, Vgg19, Workspace};
use ndarray::{Array2, Array3, ArrayView2, ArrayView3};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// alpha, beta, gamma.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossWeights {
    /// alpha: the weight of the content loss.
    pub content: f32,
    /// beta: the weight of the style loss.
    pub style: f32,
    /// gamma: the weight of the total variation.
    pub tv: f32,
}

/// `P_l`: the content image's features at one tap.
#[derive(Clone, Debug)]
pub struct ContentTarget {
    /// The layer whose responses are matched.
    pub tap: Tap,
    /// (N, h, w)
    pub features: Array3<f32>,
}

/// `A_l` at one tap, with the layer's weight `w_l`. Several targets may share
/// a tap: one per region under spatial control, each with its guide.
#[derive(Clone, Debug)]
pub struct StyleTarget {
    /// The layer whose Gram matrix is matched.
    pub tap: Tap,
    /// (N, N), normalised by positions (or by the style image's mask's mass);
    /// a blend when several style images are given.
    pub gram: Array2<f32>,
    /// `w_l`: this layer's share of the style loss.
    pub layer_weight: f32,
    /// Spatial control: the region's guide `(h, w)` at this tap for the
    /// image being optimised (its mask brought down as the network's pooling
    /// does); the term then compares the Gram of the guided features.
    pub guide: Option<Array2<f32>>,
}

/// A video frame's hold on the previous one (Ruder et al. 2016): the
/// previous result warped along the flow, preprocessed `(3, H, W)` as the
/// image, the flow's reliability `(H, W)` in [0, 1], and the weight `delta`
/// of `L_t = (1/D) sum c (x - warped)^2` (`D = H*W`).
#[derive(Clone, Debug)]
pub struct Temporal {
    /// The previous frame's result warped to this frame, preprocessed.
    pub target: Array3<f32>,
    /// Where the flow is trusted (1) or not (0), `(H, W)`.
    pub reliable: Array2<f32>,
    /// delta.
    pub weight: f32,
}

/// Every part of one evaluation.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The weighted total `alpha L_c + beta L_s + gamma L_tv`.
    pub loss: f64,
    /// Unweighted `L_c`.
    pub content: f64,
    /// Unweighted `L_s = sum_l w_l E_l`.
    pub style: f64,
    /// Each style layer's unweighted `E_l`.
    pub style_layers: Vec<(Tap, f64)>,
    /// Unweighted `L_tv`.
    pub tv: f64,
    /// Unweighted `L_t` (0 without a [`Temporal`] term).
    pub temporal: f64,
    /// dL/dx, `(3, H, W)`, of the weighted total.
    pub grad: Array3<f32>,
}

/// Content targets for a preprocessed content image `(3, H, W)`.
pub fn content_targets(net: &Vgg19, image: ArrayView3<f32>, taps: &[Tap]) -> Result<Vec<ContentTarget>, Error> {
    net.check_taps(taps)?;
    if taps.is_empty() {
        return Ok(Vec::new());
    }
    let feats = net.features(image, taps);
    Ok(taps.iter().zip(feats).map(|(&tap, features)| ContentTarget { tap, features }).collect())
}

/// Style targets: for each tap, the blend `sum_s b_s G_l(image_s)` of the style
/// images' normalised Grams. `blend` must sum to 1 (checked to 1e-4);
/// `layer_weights` gives `w_l` per tap.
pub fn style_targets(
    net: &Vgg19,
    images: &[ArrayView3<f32>],
    blend: &[f32],
    taps: &[Tap],
    layer_weights: &[f32],
) -> Result<Vec<StyleTarget>, Error> {
    net.check_taps(taps)?;
    if images.len() != blend.len() {
        return Err(Error::Invalid {
            field: "style_blend",
            reason: format!("{} style images but {} blend weights", images.len(), blend.len()),
        });
    }
    if taps.len() != layer_weights.len() {
        return Err(Error::Invalid {
            field: "style_layer_weights",
            reason: format!("{} style layers but {} layer weights", taps.len(), layer_weights.len()),
        });
    }
    let total: f32 = blend.iter().sum();
    if (total - 1.0).abs() > 1e-4 || blend.iter().any(|b| !b.is_finite() || *b < 0.0) {
        return Err(Error::Invalid { field: "style_blend", reason: format!("must be non-negative and sum to 1 (sum {total})") });
    }
    let mut grams: Vec<Array2<f32>> = taps.iter().map(|&t| Array2::zeros((net.channels(t), net.channels(t)))).collect();
    for (img, &b) in images.iter().zip(blend) {
        if taps.is_empty() {
            break;
        }
        for (acc, f) in grams.iter_mut().zip(net.features(*img, taps)) {
            let (n, h, w) = f.dim();
            let g = gram(f.as_slice().unwrap(), n, h * w);
            acc.iter_mut().zip(&g).for_each(|(a, g)| *a += b * g);
        }
    }
    Ok(taps
        .iter()
        .zip(grams)
        .zip(layer_weights)
        .map(|((&tap, gram), &layer_weight)| StyleTarget { tap, gram, layer_weight, guide: None })
        .collect())
}

/// A mask `(H, W)` in [0, 1] brought to every tap's resolution the way the
/// network's average pooling brings the image: one `(h, w)` per tap.
pub fn guides(mask: ArrayView2<f32>, taps: &[Tap]) -> Vec<Array2<f32>> {
    taps.iter()
        .map(|&tap| {
            let mut g = mask.to_owned();
            for spec in &crate::vgg::VGG19[..=tap.index()] {
                if spec.pool_before {
                    let (h, w) = g.dim();
                    g = Array2::from_shape_fn((h / 2, w / 2), |(i, j)| {
                        (g[[2 * i, 2 * j]] + g[[2 * i, 2 * j + 1]] + g[[2 * i + 1, 2 * j]] + g[[2 * i + 1, 2 * j + 1]]) / 4.0
                    });
                }
            }
            g
        })
        .collect()
}

/// Guided style targets (spatial control): for one preprocessed style image
/// `(3, H, W)`, optionally with its own mask `(H, W)` (the part of the
/// painting to take the style from), the Gram at each tap, each paired with
/// `region`'s guides for the image being optimised (from [`guides`]).
pub fn guided_style_targets(
    net: &Vgg19,
    image: ArrayView3<f32>,
    image_mask: Option<ArrayView2<f32>>,
    taps: &[Tap],
    layer_weights: &[f32],
    region: Vec<Array2<f32>>,
) -> Result<Vec<StyleTarget>, Error> {
    net.check_taps(taps)?;
    if taps.len() != layer_weights.len() || taps.len() != region.len() {
        return Err(Error::Invalid {
            field: "style_masks",
            reason: format!("{} style layers, {} layer weights, {} guides", taps.len(), layer_weights.len(), region.len()),
        });
    }
    let feats = net.features(image, taps);
    let own = image_mask.map(|m| guides(m, taps));
    let mut out = Vec::with_capacity(taps.len());
    for (k, ((&tap, f), guide)) in taps.iter().zip(feats).zip(region).enumerate() {
        let (n, h, w) = f.dim();
        let gram = match &own {
            Some(g) => {
                let (gram, mass) = guided_gram(f.as_slice().unwrap(), n, h * w, g[k].as_slice().unwrap());
                if mass <= 0.0 {
                    return Err(Error::Invalid { field: "style_image_masks", reason: format!("the style image's mask is empty at {tap}") });
                }
                gram
            }
            None => gram(f.as_slice().unwrap(), n, h * w),
        };
        let gram = Array2::from_shape_vec((n, n), gram).unwrap();
        out.push(StyleTarget { tap, gram, layer_weight: layer_weights[k], guide: Some(guide) });
    }
    Ok(out)
}

/// The whole objective, ready to evaluate at any image of any size.
pub struct Objective {
    /// The network, deep enough for every target.
    pub net: Arc<Vgg19>,
    /// Content targets, one per content layer.
    pub content: Vec<ContentTarget>,
    /// Style targets, one per style layer (and guide).
    pub style: Vec<StyleTarget>,
    /// alpha, beta, gamma.
    pub weights: LossWeights,
    /// The temporal term of a video frame, if any.
    pub temporal: Option<Temporal>,
    /// Luminance-only transfer: the image is evaluated at its nearest grey
    /// image and its gradient kept along the grey line, so the optimiser
    /// paints luminance only (colour the network sees but the result drops
    /// would waste strokes).
    pub grey: Option<GreyLine>,
    taps: Vec<Tap>,
    /// Forward+backward passes run so far.
    passes: AtomicUsize,
    /// Buffers kept from one evaluation to the next.
    workspace: Mutex<Workspace>,
    /// Set from anywhere (e.g. a Ctrl-C handler) to abandon a running
    /// [`Objective::try_evaluate`] at the next layer boundary.
    cancel: Arc<AtomicBool>,
}

impl Clone for Objective {
    fn clone(&self) -> Self {
        let mut o = Objective::new(self.net.clone(), self.content.clone(), self.style.clone(), self.weights);
        o.temporal = self.temporal.clone();
        o.grey = self.grey;
        o
    }
}

impl Objective {
    /// An objective over `net` with these targets and weights.
    pub fn new(net: Arc<Vgg19>, content: Vec<ContentTarget>, style: Vec<StyleTarget>, weights: LossWeights) -> Self {
        let mut taps: Vec<Tap> = content.iter().map(|c| c.tap).chain(style.iter().map(|s| s.tap)).collect();
        taps.sort();
        taps.dedup();
        Objective {
            net,
            content,
            style,
            weights,
            temporal: None,
            grey: None,
            taps,
            passes: AtomicUsize::new(0),
            workspace: Mutex::new(Workspace::new()),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The taps this objective reads, shallow to deep.
    pub fn taps(&self) -> &[Tap] {
        &self.taps
    }

    /// Bytes the reused buffers hold between evaluations.
    pub fn workspace_bytes(&self) -> usize {
        self.workspace.lock().unwrap_or_else(|e| e.into_inner()).bytes()
    }

    /// The most floats the network's buffers held at once.
    pub fn workspace_peak_live(&self) -> usize {
        self.workspace.lock().unwrap_or_else(|e| e.into_inner()).peak_live()
    }

    /// How many forward+backward passes [`Objective::evaluate`] has run.
    pub fn passes(&self) -> usize {
        self.passes.load(Ordering::Relaxed)
    }

    /// The flag that abandons a running [`Objective::try_evaluate`]: share it
    /// with whatever decides to stop (the binary's Ctrl-C handler sets it).
    pub fn set_cancel(&mut self, flag: Arc<AtomicBool>) {
        self.cancel = flag;
    }

    /// One forward and one backward at the preprocessed image `x (3, H, W)`.
    /// Content targets must match the feature sizes of `x` (same image size).
    pub fn evaluate(&self, x: ArrayView3<f32>) -> Evaluation {
        self.evaluate_unless(x, &AtomicBool::new(false)).expect("nothing cancels it")
    }

    /// [`Objective::evaluate`], or `None` if the cancel flag
    /// ([`Objective::set_cancel`]) was set before it finished: the pass stops at
    /// the next layer boundary.
    pub fn try_evaluate(&self, x: ArrayView3<f32>) -> Option<Evaluation> {
        self.evaluate_unless(x, &self.cancel)
    }

    fn evaluate_unless(&self, x: ArrayView3<f32>, cancel: &AtomicBool) -> Option<Evaluation> {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        self.passes.fetch_add(1, Ordering::Relaxed);
        let on_line;
        let x = match &self.grey {
            Some(line) => {
                let mut p = x.to_owned();
                line.project(&mut p);
                on_line = p;
                on_line.view()
            }
            None => x,
        };
        let (_, h, w) = x.dim();
        let mut content = 0.0;
        // Each style target's E, in the targets' order.
        let mut style_e = vec![f64::NAN; self.style.len()];
        let mut grad = if self.taps.is_empty() {
            Array3::zeros(x.dim())
        } else {
            let mut ws = self.workspace.lock().unwrap_or_else(|e| e.into_inner());
            self.net.forward_backward_cancellable(
                &mut ws,
                x,
                &self.taps,
                |tap, mut f| {
                    let (n, fh, fw) = f.dim();
                    let fs = f.as_slice_mut().expect("features are contiguous");
                    let c = self.content.iter().find(|c| c.tap == tap).map(|c| {
                        assert_eq!(c.features.len(), fs.len(), "content target size differs from the image's");
                        (c.features.as_slice().unwrap(), self.weights.content)
                    });
                    let here: Vec<usize> = (0..self.style.len()).filter(|&i| self.style[i].tap == tap).collect();
                    let terms: Vec<StyleTerm> = here
                        .iter()
                        .map(|&i| {
                            let s = &self.style[i];
                            let guide = s.guide.as_ref().map(|g| {
                                assert_eq!(g.dim(), (fh, fw), "style guide size differs from the features'");
                                g.as_slice().expect("guides are contiguous")
                            });
                            StyleTerm { gram: s.gram.as_slice().unwrap(), weight: self.weights.style * s.layer_weight, guide }
                        })
                        .collect();
                    let l = tap_in_place(fs, n, fh * fw, c, &terms);
                    content += l.content.unwrap_or(0.0);
                    for (i, e) in here.into_iter().zip(l.style) {
                        style_e[i] = e;
                    }
                },
                cancel,
            )?
        };
        let style: f64 = self.style.iter().zip(&style_e).map(|(s, e)| s.layer_weight as f64 * e).sum();
        // Each style layer's E (summed over regions), in the order first given.
        let mut style_layers: Vec<(Tap, f64)> = Vec::new();
        for (s, &e) in self.style.iter().zip(&style_e) {
            match style_layers.iter_mut().find(|(t, _)| *t == s.tap) {
                Some((_, sum)) => *sum += e,
                None => style_layers.push((s.tap, e)),
            }
        }
        let tv = total_variation(x.as_standard_layout().as_slice().unwrap(), 3, h, w, self.weights.tv, grad.as_slice_mut().unwrap());
        let mut loss = self.weights.content as f64 * content + self.weights.style as f64 * style + self.weights.tv as f64 * tv;
        let mut l_t = 0.0;
        if let Some(t) = &self.temporal {
            assert_eq!(t.target.dim(), x.dim(), "temporal target size differs from the image's");
            let (target, reliable) = (t.target.as_slice().expect("contiguous"), t.reliable.as_slice().expect("contiguous"));
            l_t = temporal(x.as_standard_layout().as_slice().unwrap(), target, reliable, t.weight, grad.as_slice_mut().unwrap());
            loss += t.weight as f64 * l_t;
        }
        if let Some(line) = &self.grey {
            line.project_gradient(&mut grad);
        }
        Some(Evaluation { loss, content, style, style_layers, tv, temporal: l_t, grad })
    }
}
