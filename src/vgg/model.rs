//! VGG19 up to any tap: forward, and the backward to the input image that adds
//! each tap's gradient as it walks past it.

use super::layers::{LayerSpec, Tap, VGG19};
use super::workspace::{Buf, Workspace};
use crate::error::Error;
use crate::ops::bf16::Precision;
use crate::ops::conv::ConvGeom;
pub use crate::ops::kernels::{ConvAlgo, Kernels, WINOGRAD_MIN_CHANNELS};
use crate::ops::pool::{
    avg_pool_backward, avg_pool_backward_add, avg_pool_forward, max_pool_backward, max_pool_backward_add, max_pool_forward, pooled,
};
use crate::ops::relu::{relu_backward, relu_mask, ReluMask};
use crate::ops::winograd::Input;
use crate::preprocess::InputConvention;
use crate::rng::Rng;
use ndarray::{Array3, ArrayView3, ArrayViewMut3, ShapeBuilder};
use std::sync::atomic::{AtomicBool, Ordering};

/// Pooling between blocks: the paper's average pooling, or VGG's original max.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Pooling {
    #[default]
    /// Average pooling, as in the paper.
    Avg,
    /// Max pooling, as in the original VGG19.
    Max,
}

impl std::str::FromStr for Pooling {
    type Err = Error;

    /// `avg` or `max`.
    fn from_str(v: &str) -> Result<Self, Error> {
        crate::error::one_of("pooling", &[("avg", Pooling::Avg), ("max", Pooling::Max)], v)
    }
}

/// One convolution layer with its weights, packed once at load.
#[derive(Clone, Debug)]
pub struct ConvLayer {
    /// Which VGG19 layer.
    pub spec: &'static LayerSpec,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// The packed weights and how the convolutions run.
    pub kernels: Kernels,
    /// (c_out)
    pub bias: Vec<f32>,
}

impl ConvLayer {
    /// A layer from weights `(c_out, c_in, 3, 3)` and bias `(c_out)`, packed for
    /// the convolution [`ConvAlgo::Auto`] picks.
    pub fn new(spec: &'static LayerSpec, c_in: usize, c_out: usize, weight: Vec<f32>, bias: Vec<f32>) -> Self {
        Self::with_algo(spec, c_in, c_out, weight, bias, ConvAlgo::Auto)
    }

    /// A layer from weights `(c_out, c_in, 3, 3)` and bias, run by `algo`.
    pub fn with_algo(spec: &'static LayerSpec, c_in: usize, c_out: usize, weight: Vec<f32>, bias: Vec<f32>, algo: ConvAlgo) -> Self {
        assert_eq!(bias.len(), c_out);
        ConvLayer { spec, c_in, c_out, kernels: Kernels::new(c_in, c_out, weight, algo), bias }
    }

    /// The geometry of this layer at an `h x w` input.
    pub fn geom(&self, h: usize, w: usize) -> ConvGeom {
        ConvGeom::vgg(self.c_in, self.c_out, h, w)
    }

    /// The weights `(c_out, c_in, 3, 3)` (recovered from `U` for Winograd layers,
    /// to within rounding).
    pub fn weight(&self) -> Vec<f32> {
        self.kernels.weight()
    }

    /// Bytes of packed weights and bias.
    pub fn bytes(&self) -> usize {
        4 * self.bias.len() + self.kernels.bytes()
    }

    /// `y = relu(conv(x) + bias)`, `x (c_in, h, w)`, `y (c_out, h, w)`.
    fn forward(&self, h: usize, w: usize, x: &[f32], y: &mut [f32]) {
        self.kernels.forward(&self.geom(h, w), x, &self.bias, y)
    }

    /// Whether this layer can hand its output on already 2x2 average-pooled,
    /// with its ReLU mask, and take its gradient back still pooled.
    fn pools_in_place(&self) -> bool {
        self.kernels.pools_in_place()
    }

    /// `relu(conv(x) + bias)` as its mask and its 2x2 average pool
    /// `pooled (c_out, h/2, w/2)`: the full output is never stored.
    fn forward_pooled(&self, h: usize, w: usize, x: &[f32], pooled: &mut [f32], mask: &mut ReluMask) {
        self.kernels.forward_pooled(&self.geom(h, w), x, &self.bias, pooled, mask)
    }

    /// `relu(conv(x) + bias)` into `y`, with its mask made as it is written.
    fn forward_masked(&self, h: usize, w: usize, x: &[f32], y: &mut [f32], mask: &mut ReluMask) {
        self.kernels.forward_masked(&self.geom(h, w), x, &self.bias, y, mask)
    }

    /// `dx (+)= dL/dx` from the gradient at this layer's output in any form
    /// (plain `(c_out, h, w)`, to be masked by this layer's ReLU, or still
    /// pooled), then masked by the ReLU below if `gate` is given.
    fn backward(&self, h: usize, w: usize, dy: Input, dx: &mut [f32], accumulate: bool, gate: Option<&ReluMask>) {
        self.kernels.backward(&self.geom(h, w), dy, dx, accumulate, gate)
    }
}

/// VGG19's convolutional part with its input convention.
#[derive(Clone, Debug)]
pub struct Vgg19 {
    layers: Vec<ConvLayer>,
    /// The pooling between the blocks.
    pub pooling: Pooling,
    /// How images are prepared for the network.
    pub convention: InputConvention,
    /// The paper's normalised network (each filter's mean activation 1), whose
    /// defaults differ ([`crate::transfer::Config::resolved`]).
    pub normalised: bool,
}

/// What the backward needs from one layer's forward.
struct Saved {
    /// ReLU output > 0, (c_out, h, w)
    mask: ReluMask,
    /// max-pool winners of the pool before this layer, if any
    pool_arg: Vec<u8>,
    /// input size of this layer's pool (before pooling) and its conv's (h, w)
    pre_pool: (usize, usize),
    size: (usize, usize),
    /// dL/d(features) at this tap, if it is one, (c_out, h, w)
    tap_grad: Option<Buf>,
    /// This tap's features are recomputed in the backward (relu1_1 only).
    deferred: bool,
    /// The output went on already pooled (avg pool fused into the convolution):
    /// the gradient coming back is at the pooled size.
    fused: bool,
}

impl Vgg19 {
    /// A network from its layers, conv1_1 onwards (a prefix of VGG19 is allowed:
    /// it then runs only as deep as its last layer).
    pub fn new(layers: Vec<ConvLayer>, pooling: Pooling, convention: InputConvention) -> Result<Self, Error> {
        if layers.is_empty() || layers.len() > VGG19.len() {
            return Err(Error::Weights(format!("expected 1 to 16 convolution layers, got {}", layers.len())));
        }
        let mut c = 3;
        for (l, spec) in layers.iter().zip(VGG19.iter()) {
            if l.spec.conv != spec.conv || l.c_in != c {
                return Err(Error::Weights(format!(
                    "layer {} does not follow VGG19 (expected {} with {} input channels)",
                    l.spec.conv, spec.conv, c
                )));
            }
            c = l.c_out;
        }
        Ok(Vgg19 { layers, pooling, convention, normalised: false })
    }

    /// VGG19 with random He-initialised weights and channel counts divided by
    /// `width_div` (1 = the real widths): for tests and benchmarks.
    pub fn random(seed: u64, width_div: usize) -> Self {
        let mut rng = Rng::new(seed);
        let mut c_in = 3;
        let layers = VGG19
            .iter()
            .map(|spec| {
                let c_out = (spec.c_out / width_div).max(1);
                let std = (2.0 / (c_in * 9) as f32).sqrt();
                let w = (0..c_out * c_in * 9).map(|_| rng.normal() * std).collect();
                let b = (0..c_out).map(|_| rng.normal() * 0.01).collect();
                let layer = ConvLayer::new(spec, c_in, c_out, w, b);
                c_in = c_out;
                layer
            })
            .collect();
        Vgg19::new(layers, Pooling::Avg, InputConvention::caffe()).unwrap()
    }

    /// Drops the layers below `deepest`: a run never needs them, and conv5_2 ...
    /// conv5_4 alone hold 56 MB of weights.
    pub fn truncated(mut self, deepest: Tap) -> Vgg19 {
        self.layers.truncate(deepest.index() + 1);
        self
    }

    /// How the Winograd layers' input gradients multiply (f32 by default;
    /// bf16 is an opt-in for CPUs with AVX512_BF16, refused elsewhere with
    /// nothing changed). The forward, and so every loss, stays f32.
    pub fn set_precision(&mut self, p: Precision) -> Result<(), Error> {
        p.check()?;
        self.layers.iter_mut().try_for_each(|l| l.kernels.set_precision(p))
    }

    /// How the Winograd layers' input gradients multiply.
    pub fn precision(&self) -> Precision {
        self.layers.iter().map(|l| l.kernels.precision()).find(|&p| p != Precision::F32).unwrap_or_default()
    }

    /// The convolution layers, first to deepest kept.
    pub fn layers(&self) -> &[ConvLayer] {
        &self.layers
    }
    /// The layers, to change (e.g. normalisation scales).
    pub fn layers_mut(&mut self) -> &mut [ConvLayer] {
        &mut self.layers
    }
    /// Channels at a tap of this network.
    pub fn channels(&self, tap: Tap) -> usize {
        self.layers[tap.index()].c_out
    }
    /// The deepest tap this network can produce.
    pub fn deepest(&self) -> Tap {
        Tap::from_index(self.layers.len() - 1).unwrap()
    }
    /// Checks that every tap is within this network.
    pub fn check_taps(&self, taps: &[Tap]) -> Result<(), Error> {
        match taps.iter().find(|t| t.index() >= self.layers.len()) {
            Some(t) => Err(Error::Weights(format!("{t} is deeper than the loaded network ({} layers)", self.layers.len()))),
            None => Ok(()),
        }
    }

    /// Forward FLOPs of the convolutions up to `deepest` for an input `(h, w)`.
    pub fn flops(&self, h: usize, w: usize, deepest: Tap) -> f64 {
        let (mut h, mut w) = (h, w);
        let mut total = 0.0;
        for l in &self.layers[..=deepest.index()] {
            if l.spec.pool_before {
                (h, w) = pooled(h, w);
            }
            total += l.geom(h, w).flops();
        }
        total
    }

    /// The pool before a layer: `x (c, h, w)` to a new buffer `(c, h/2, w/2)`.
    fn pool_forward(&self, ws: &mut Workspace, c: usize, h: usize, w: usize, x: &Buf, arg: &mut Vec<u8>) -> Buf {
        let (oh, ow) = pooled(h, w);
        let y = ws.take(c * oh * ow);
        if ws.is_dry() {
            return y;
        }
        let (x, yv) = ws.pair(x, &y);
        match self.pooling {
            Pooling::Avg => avg_pool_forward(c, h, w, x, yv),
            Pooling::Max => max_pool_forward(c, h, w, x, yv, arg),
        }
        y
    }

    /// Features at each tap (same order as `taps`) for a preprocessed image `x (3, H, W)`.
    pub fn features(&self, x: ArrayView3<f32>, taps: &[Tap]) -> Vec<Array3<f32>> {
        let mut out: Vec<Option<Array3<f32>>> = vec![None; taps.len()];
        let never = AtomicBool::new(false);
        self.run_forward(
            &mut Workspace::new(),
            x,
            taps,
            false,
            &mut |tap, f| {
                for (i, t) in taps.iter().enumerate() {
                    if *t == tap {
                        out[i] = Some(f.to_owned());
                    }
                }
            },
            &never,
        );
        out.into_iter().map(|f| f.expect("every tap is reached")).collect()
    }

    /// One forward and one backward. At each tap in `taps` the forward calls
    /// `tap_grad(tap, features)`, which must overwrite the features `(C, h, w)`
    /// with dL/d(features) (in place: no second buffer at the largest layers).
    /// It is called once the next layer has read them. The backward sums these
    /// gradients as it passes the taps and returns dL/dx `(3, H, W)`.
    pub fn forward_backward(&self, x: ArrayView3<f32>, taps: &[Tap], tap_grad: impl FnMut(Tap, ArrayViewMut3<f32>)) -> Array3<f32> {
        self.forward_backward_in(&mut Workspace::new(), x, taps, tap_grad)
    }

    /// [`Self::forward_backward`] with its buffers taken from, and given back
    /// to, `ws`: repeated evaluations at one size allocate nothing new.
    ///
    /// relu1_1, when it is a tap and not the deepest, is not kept through the
    /// pass (at 512x512 it is 67 MB, as large as the largest working buffer):
    /// the backward recomputes it from the image (conv1_1 costs about 1% of an
    /// evaluation) and calls `tap_grad` for it then, just before the gradient
    /// from above is added to it.
    pub fn forward_backward_in(
        &self,
        ws: &mut Workspace,
        x: ArrayView3<f32>,
        taps: &[Tap],
        tap_grad: impl FnMut(Tap, ArrayViewMut3<f32>),
    ) -> Array3<f32> {
        self.forward_backward_cancellable(ws, x, taps, tap_grad, &AtomicBool::new(false)).expect("nothing cancels it")
    }

    /// [`Self::forward_backward_in`] that gives up at the next layer boundary
    /// once `cancel` is set, returning `None` (every buffer is given back).
    pub fn forward_backward_cancellable(
        &self,
        ws: &mut Workspace,
        x: ArrayView3<f32>,
        taps: &[Tap],
        mut tap_grad: impl FnMut(Tap, ArrayViewMut3<f32>),
        cancel: &AtomicBool,
    ) -> Option<Array3<f32>> {
        ws.begin();
        let saved = self.run_forward(ws, x, taps, true, &mut tap_grad, cancel)?;
        let grad = self.backward(ws, saved, x, &mut tap_grad, cancel)?;
        ws.end();
        Some(grad)
    }

    /// Whether relu1_1's tap is recomputed in the backward (see [`Self::forward_backward_in`]).
    fn defers_first_tap(&self, taps: &[Tap]) -> bool {
        let first = Tap::from_index(0).unwrap();
        taps.contains(&first) && taps.iter().any(|t| t.index() > 0)
    }

    /// Runs the layers up to the deepest of `taps`. `at_tap` gets each tap's
    /// features, mutable, after the next layer has used them; with `keep`, what
    /// it leaves there becomes the tap's gradient and the masks are kept for the
    /// backward.
    fn run_forward(
        &self,
        ws: &mut Workspace,
        x: ArrayView3<f32>,
        taps: &[Tap],
        keep: bool,
        at_tap: &mut impl FnMut(Tap, ArrayViewMut3<f32>),
        cancel: &AtomicBool,
    ) -> Option<Vec<Saved>> {
        let defer_first = keep && self.defers_first_tap(taps);
        let deepest = taps.iter().map(|t| t.index()).max().expect("at least one tap");
        assert!(deepest < self.layers.len(), "tap deeper than the network");
        let (c0, mut h, mut w) = x.dim();
        assert_eq!(c0, 3, "input must be (3, H, W)");
        let dry = ws.is_dry();
        let mut cur = ws.take(x.len());
        if !dry {
            ws.get_mut(&cur).iter_mut().zip(x.iter()).for_each(|(c, &v)| *c = v);
        }
        let mut c = 3;
        let mut saved: Vec<Saved> = Vec::new();
        // The tap whose features `cur` holds, with their shape, until they are used.
        let mut pending: Option<(Tap, (usize, usize, usize))> = None;
        let mut finish = |ws: &mut Workspace, tap: Tap, shape, f: Buf, saved: &mut Vec<Saved>| {
            if !ws.is_dry() {
                at_tap(tap, ArrayViewMut3::from_shape(shape, ws.get_mut(&f)).unwrap());
            }
            if keep {
                saved.last_mut().expect("a saved layer per tap").tap_grad = Some(f);
            } else {
                ws.give(f);
            }
        };
        // Whether `cur` is already pooled for the next layer (see `fused`).
        let mut cur_pooled = false;
        for (i, layer) in self.layers[..=deepest].iter().enumerate() {
            if cancel.load(Ordering::Relaxed) {
                // Every buffer back; the workspace records again next time.
                ws.give(cur);
                saved.into_iter().filter_map(|s| s.tap_grad).for_each(|b| ws.give(b));
                return None;
            }
            let pre_pool = (h, w);
            let mut pool_arg = Vec::new();
            let pooled_input = (layer.spec.pool_before && !cur_pooled).then(|| self.pool_forward(ws, c, h, w, &cur, &mut pool_arg));
            if layer.spec.pool_before {
                (h, w) = pooled(h, w);
            }
            // A layer whose output only feeds an average pool (not a tap) gives
            // its output pooled, with its mask: the full-size output, the pool
            // and the mask passes are never made.
            let tap = Tap::from_index(i).unwrap();
            let fused = i < deepest
                && self.layers[i + 1].spec.pool_before
                && self.pooling == Pooling::Avg
                && !taps.contains(&tap)
                && layer.pools_in_place();
            let input = pooled_input.as_ref().unwrap_or(&cur);
            // Winograd layers make the ReLU mask as they write (and the pool, if fused).
            let masked = fused || (keep && layer.pools_in_place());
            let (ph, pw) = pooled(h, w);
            let y = ws.take(layer.c_out * if fused { ph * pw } else { h * w });
            let mut mask = masked.then(ReluMask::default);
            if !dry {
                let (xv, yv) = ws.pair(input, &y);
                match mask.as_mut() {
                    Some(m) => {
                        *m = ReluMask::zeros(layer.c_out * h, w);
                        if fused {
                            layer.forward_pooled(h, w, xv, yv, m)
                        } else {
                            layer.forward_masked(h, w, xv, yv, m)
                        }
                    }
                    None => layer.forward(h, w, xv, yv),
                }
            }
            cur_pooled = fused;
            if let Some(p) = pooled_input {
                ws.give(p);
            }
            let prev = std::mem::replace(&mut cur, y);
            match pending.take() {
                Some((tap, _)) if defer_first && tap.index() == 0 => {
                    saved.last_mut().expect("layer 0 is saved").deferred = true;
                    ws.give(prev)
                }
                Some((tap, shape)) => finish(ws, tap, shape, prev, &mut saved),
                None => ws.give(prev),
            }
            c = layer.c_out;
            if keep {
                let mask = match mask {
                    Some(m) => m,
                    None if dry => ReluMask::default(),
                    None => relu_mask(ws.get(&cur), w),
                };
                saved.push(Saved { mask, pool_arg, pre_pool, size: (h, w), tap_grad: None, deferred: false, fused });
            }
            if taps.contains(&tap) {
                pending = Some((tap, (c, h, w)));
            }
        }
        match pending {
            Some((tap, shape)) => finish(ws, tap, shape, cur, &mut saved),
            None => ws.give(cur),
        }
        Some(saved)
    }

    fn backward(
        &self,
        ws: &mut Workspace,
        mut saved: Vec<Saved>,
        x: ArrayView3<f32>,
        at_tap: &mut impl FnMut(Tap, ArrayViewMut3<f32>),
        cancel: &AtomicBool,
    ) -> Option<Array3<f32>> {
        let (_, h0, w0) = x.dim();
        let dry = ws.is_dry();
        let first = Tap::from_index(0).unwrap();
        let defer_first = saved.first().is_some_and(|s| s.deferred);
        // g: dL/d(output of layer i's ReLU), (c_out, h, w) of layer i.
        let mut g = saved.last_mut().and_then(|s| s.tap_grad.take()).expect("the deepest layer is a tap");
        // Whether g has already been through its layer's ReLU.
        let mut g_masked = false;
        for i in (0..saved.len()).rev() {
            if cancel.load(Ordering::Relaxed) {
                ws.give(g);
                saved.into_iter().filter_map(|s| s.tap_grad).for_each(|b| ws.give(b));
                return None;
            }
            let layer = &self.layers[i];
            let (h, w) = saved[i].size;
            // g is at the pooled size if this layer's pool was fused: the mask
            // and the unpooling are applied row by row inside the convolution.
            let fused = saved[i].fused;
            // Winograd layers apply the mask as they read the gradient, unless
            // the layer above already did as it wrote it (g_masked).
            let masks_in_place = layer.pools_in_place();
            if !fused && !masks_in_place && !g_masked && !dry {
                relu_backward(ws.get_mut(&g), &saved[i].mask);
            }
            // dL/d(input of layer i): added straight into the previous tap's
            // gradient when there is one (no third buffer at the largest layers).
            let mut prev_tap = if i > 0 && !layer.spec.pool_before { saved[i - 1].tap_grad.take() } else { None };
            if i == 1 && defer_first {
                // relu1_1 again from the image, then its tap gradient in place.
                let l0 = &self.layers[0];
                let input = ws.take(x.len());
                let f = ws.take(l0.c_out * h * w);
                if !dry {
                    ws.get_mut(&input).iter_mut().zip(x.iter()).for_each(|(c, &v)| *c = v);
                    let (xv, fv) = ws.pair(&input, &f);
                    l0.forward(h, w, xv, fv);
                }
                ws.give(input);
                if !dry {
                    at_tap(first, ArrayViewMut3::from_shape((l0.c_out, h, w), ws.get_mut(&f)).unwrap());
                }
                prev_tap = Some(f);
            }
            let (dx, accumulate) = match prev_tap {
                Some(t) => (t, true),
                None => (ws.take(layer.c_in * h * w), false),
            };
            // The gradient handed down goes through the ReLU of layer i - 1:
            // a Winograd layer masks it as it writes it (same h, w: no pool between).
            let gate = (i > 0 && !layer.spec.pool_before && masks_in_place).then(|| &saved[i - 1].mask);
            if !dry {
                let (gv, dxv) = ws.pair(&g, &dx);
                let mask = &saved[i].mask;
                let dy = match (fused, masks_in_place && !g_masked) {
                    (true, _) => Input::Unpooled { dy: gv, mask },
                    (false, true) => Input::Masked { dy: gv, mask },
                    (false, false) => Input::Plain(gv),
                };
                layer.backward(h, w, dy, dxv, accumulate, gate);
            }
            g_masked = gate.is_some();
            ws.give(std::mem::replace(&mut g, dx));
            // The layer below takes the gradient still pooled if its pool was fused.
            if layer.spec.pool_before && !(i > 0 && saved[i - 1].fused) {
                let (ph, pw) = saved[i].pre_pool;
                let below = (i > 0).then(|| saved[i - 1].tap_grad.take()).flatten();
                let (c, arg) = (layer.c_in, &saved[i].pool_arg);
                // Into the tap's gradient below the pool when there is one.
                let (dp, accumulate) = match below {
                    Some(t) => (t, true),
                    None => (ws.take(c * ph * pw), false),
                };
                if !dry {
                    let (dxv, dpv) = ws.pair(&g, &dp);
                    match (self.pooling, accumulate) {
                        (Pooling::Avg, true) => avg_pool_backward_add(c, ph, pw, dxv, dpv),
                        (Pooling::Avg, false) => avg_pool_backward(c, ph, pw, dxv, dpv),
                        (Pooling::Max, true) => max_pool_backward_add(c, ph, pw, dxv, arg, dpv),
                        (Pooling::Max, false) => max_pool_backward(c, ph, pw, dxv, arg, dpv),
                    }
                }
                ws.give(std::mem::replace(&mut g, dp));
                g_masked = false;
            }
            saved.truncate(i + 1);
            saved[i].mask = ReluMask::default();
        }
        if dry {
            ws.give(g);
            return Some(Array3::zeros((0, 0, 0)));
        }
        Some(Array3::from_shape_vec((3, h0, w0), ws.into_vec(g)).unwrap())
    }

    /// Bytes of the workspace a forward and backward at `(h, w)` with `taps`
    /// will hold: the plan itself, made by running the pass's requests without
    /// its arithmetic (what the memory guard reads before allocating).
    pub fn workspace_bytes(&self, taps: &[Tap], h: usize, w: usize) -> usize {
        if taps.is_empty() {
            return 0;
        }
        let mut ws = Workspace::dry();
        let zero = [0.0f32];
        let x = ArrayView3::from_shape((3, h, w).strides((0, 0, 0)), &zero).unwrap();
        self.forward_backward_in(&mut ws, x, taps, |_, _| {});
        ws.bytes()
    }

    /// Bytes of the ReLU masks a forward at `(h, w)` keeps for the backward.
    pub fn mask_bytes(&self, taps: &[Tap], h: usize, w: usize) -> usize {
        let deepest = taps.iter().map(|t| t.index()).max().unwrap_or(0);
        let (mut h, mut w) = (h, w);
        let mut bytes = 0;
        for l in &self.layers[..=deepest.min(self.layers.len() - 1)] {
            if l.spec.pool_before {
                (h, w) = pooled(h, w);
            }
            bytes += 8 * l.c_out * h * w.div_ceil(64);
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer gives back the weights it was made from (through `U` for
    /// Winograd) and counts its bytes: the bias and the packed kernels, 18
    /// floats a kernel for im2col (the weights and their transpose), 36 for
    /// Winograd.
    #[test]
    fn a_layer_keeps_its_weights_and_counts_its_bytes() {
        let mut rng = Rng::new(1);
        let (ci, co) = (5, 7);
        for (algo, per_kernel) in [(ConvAlgo::Im2col, 18), (ConvAlgo::Winograd, 36)] {
            let w: Vec<f32> = (0..co * ci * 9).map(|_| rng.normal()).collect();
            let b: Vec<f32> = (0..co).map(|_| rng.normal()).collect();
            let l = ConvLayer::with_algo(&VGG19[1], ci, co, w.clone(), b, algo);
            let back = l.weight();
            assert_eq!(back.len(), w.len(), "{algo:?}");
            assert!(back.iter().zip(&w).all(|(a, e)| (a - e).abs() < 1e-5 * (1.0 + e.abs())), "{algo:?}");
            assert_eq!(l.bytes(), 4 * co + 4 * per_kernel * co * ci, "{algo:?}");
        }
    }

    /// The accessors: the layers, truncation to a tap, the deepest tap, the
    /// channels at a tap, the taps' check and the FLOPs.
    #[test]
    fn a_network_truncated_to_a_tap() {
        let t = |n: &str| Tap::parse(n).unwrap();
        let mut net = Vgg19::random(2, 16);
        assert_eq!((net.layers().len(), net.layers_mut().len()), (16, 16));
        assert_eq!(net.deepest(), t("relu5_4"));
        let net = net.truncated(t("relu2_1"));
        assert_eq!(net.layers().len(), 3);
        assert_eq!(net.layers()[2].spec.conv, "conv2_1");
        assert_eq!(net.deepest(), t("relu2_1"));
        assert_eq!((net.channels(t("relu1_2")), net.channels(t("relu2_1"))), (4, 8));
        assert!(net.check_taps(&[t("relu1_1"), t("relu2_1")]).is_ok());
        assert!(matches!(net.check_taps(&[t("relu1_1"), t("relu2_2")]), Err(Error::Weights(_))));
        // 2 * c_in * 9 * c_out per output position, at each layer's size.
        let want = 2.0 * 9.0 * (3.0 * 4.0 * 4096.0 + 4.0 * 4.0 * 4096.0 + 4.0 * 8.0 * 1024.0);
        assert_eq!(net.flops(64, 64, t("relu2_1")), want);
        assert_eq!(net.flops(64, 64, t("relu1_1")), 2.0 * 9.0 * 3.0 * 4.0 * 4096.0);
    }

    /// The random network for tests and benches: VGG19's widths divided, He
    /// initialisation (weights of standard deviation `sqrt(2 / (9 c_in))`),
    /// small biases.
    #[test]
    fn random_network_has_the_divided_widths_and_he_weights() {
        let net = Vgg19::random(4, 4);
        for (l, spec) in net.layers().iter().zip(VGG19.iter()) {
            assert_eq!(l.c_out, spec.c_out / 4, "{}", spec.conv);
        }
        for l in &net.layers()[3..6] {
            let w = l.weight();
            let sd = (w.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
            let he = (2.0 / (9 * l.c_in) as f64).sqrt();
            assert!((sd / he - 1.0).abs() < 0.05, "{}: sd {sd}, He {he}", l.spec.conv);
        }
        // Biases of standard deviation 0.01 (1376 of them).
        let b: Vec<f64> = net.layers().iter().flat_map(|l| l.bias.iter().map(|&v| v as f64)).collect();
        let sd = (b.iter().map(|v| v * v).sum::<f64>() / b.len() as f64).sqrt();
        assert!((sd / 0.01 - 1.0).abs() < 0.1, "bias sd {sd}");
    }

    /// relu1_1 as a tap beside deeper ones is recomputed in the backward, not
    /// kept through the pass: at the workspace's peak it costs a quarter of
    /// its size here (kept, half).
    #[test]
    fn relu1_1_is_recomputed_not_kept() {
        let net = Vgg19::random(4, 16);
        let t = |n: &str| Tap::parse(n).unwrap();
        let taps = [t("relu1_1"), t("relu2_1"), t("relu3_1"), t("relu4_1"), t("relu4_2"), t("relu5_1")];
        for (h, w) in [(64, 64), (96, 80)] {
            let extra = net.workspace_bytes(&taps, h, w) - net.workspace_bytes(&taps[1..], h, w);
            let relu1_1 = 4 * net.channels(taps[0]) * h * w;
            assert!(extra <= relu1_1 / 4, "{h}x{w}: relu1_1 as a tap costs {extra} bytes of its {relu1_1}");
        }
    }

    /// The memory guard's figures: the dry run plans the workspace a real pass
    /// uses, and the masks are one bit per ReLU output, rows in 64-bit words.
    #[test]
    fn planned_bytes_are_the_passs() {
        let winograd = Vgg19::random(5, 16);
        let layers =
            winograd.layers().iter().map(|l| ConvLayer::with_algo(l.spec, l.c_in, l.c_out, l.weight(), l.bias.clone(), ConvAlgo::Im2col));
        // The reference path makes its masks in separate passes (the dry run skips them).
        let im2col = Vgg19::new(layers.collect(), Pooling::Avg, InputConvention::caffe()).unwrap();
        let taps: Vec<Tap> = crate::vgg::paper_style_taps().into_iter().chain([Tap::parse("relu4_2").unwrap()]).collect();
        let (h, w) = (40, 136);
        let x = Array3::from_shape_fn((3, h, w), |(c, i, j)| ((c + i * j) % 7) as f32);
        for net in [winograd, im2col] {
            let mut ws = Workspace::new();
            net.forward_backward_in(&mut ws, x.view(), &taps, |_, _| {});
            assert!(ws.bytes() > 0);
            assert_eq!(net.workspace_bytes(&taps, h, w), ws.bytes());
            let masks: usize = Tap::all()
                .take(13)
                .map(|t| {
                    let (fh, fw) = t.feature_size(h, w);
                    net.channels(t) * fh * fw.div_ceil(64) * 8
                })
                .sum();
            assert_eq!(net.mask_bytes(&taps, h, w), masks);
        }
    }

    /// A network is VGG19's layers from conv1_1 on, each taking the channels
    /// the one before gives.
    #[test]
    fn only_a_prefix_of_vgg19_is_a_network() {
        let layers = Vgg19::random(3, 16).layers().to_vec();
        let net = |l: Vec<ConvLayer>| Vgg19::new(l, Pooling::Avg, InputConvention::caffe());
        assert!(net(layers.clone()).is_ok());
        assert!(net(layers[..1].to_vec()).is_ok());
        assert!(net(vec![]).is_err(), "no layers");
        assert!(net(layers[1..].to_vec()).is_err(), "not from conv1_1");
        let mut swapped = layers[..4].to_vec();
        swapped.swap(2, 3);
        assert!(net(swapped).is_err(), "out of order");
        let mut wide = layers[..2].to_vec();
        wide[1] = ConvLayer::new(&VGG19[1], 5, 4, vec![0.0; 4 * 5 * 9], vec![0.0; 4]);
        assert!(net(wide).is_err(), "conv1_2 taking 5 channels from conv1_1's 4");
        let mut too_many = layers.clone();
        too_many.push(layers[15].clone());
        assert!(net(too_many).is_err(), "17 layers");
    }
}
