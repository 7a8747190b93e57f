//! The library's front door: configure, run with a progress callback that can
//! stop early, get the image back. The paper's three modes follow from which
//! images are given:
//! - content and style: **transfer**;
//! - content alone: **content reconstruction** from the content layers;
//! - style alone: **style reconstruction** (texture synthesis) from the style layers.

use crate::color::{self, PreserveColors};
use crate::error::Error;
use crate::image_io::{fit_longest, resize, resize_longest};
use crate::objective::{content_targets, style_targets, LossWeights, Objective};
use crate::optim::{adam, lbfgs, Callback, Evaluator};
use crate::rng::Rng;
use crate::vgg::{paper_content_taps, paper_style_taps, Tap, Vgg19};
use ndarray::{Array3, ArrayView3};
use std::sync::Arc;

/// Where the optimisation starts.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Init {
    /// White noise: each pixel uniform in [0, 1] (the paper's start).
    Noise,
    /// The content image.
    #[default]
    Content,
    /// The (first) style image, resampled to the output size.
    Style,
    /// A given RGB image `(3, H, W)` in [0, 1] of the output size.
    Image(Array3<f32>),
}

/// Everything a run needs besides the images and the network.
#[derive(Clone, Debug)]
pub struct Config {
    /// Longest side of the result; the content image is resampled to it.
    pub size: usize,
    /// The style images' longest side is `size * style_scale`.
    pub style_scale: f32,
    /// Optimiser iterations (L-BFGS iterations or Adam steps).
    pub iterations: usize,
    /// Cap on evaluations (forward+backward passes), if any.
    pub max_evals: Option<usize>,
    /// alpha, beta, gamma.
    pub weights: LossWeights,
    pub content_layers: Vec<Tap>,
    pub style_layers: Vec<Tap>,
    /// `w_l` per style layer; `1 / (number of style layers)` each if `None`.
    pub style_layer_weights: Option<Vec<f32>>,
    /// Blend of several style images' Grams; equal if `None`. Must sum to 1.
    pub style_blend: Option<Vec<f32>>,
    pub init: Init,
    /// Seed of the noise start.
    pub seed: u64,
    pub optimizer: Optimizer,
    /// Keep the photograph's colours (luminance-only transfer or histogram matching).
    pub preserve_colors: PreserveColors,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            size: 512,
            style_scale: 1.0,
            iterations: DEFAULT_ITERATIONS,
            max_evals: None,
            weights: LossWeights { content: DEFAULT_CONTENT_WEIGHT, style: DEFAULT_STYLE_WEIGHT, tv: DEFAULT_TV_WEIGHT },
            content_layers: paper_content_taps(),
            style_layers: paper_style_taps(),
            style_layer_weights: None,
            style_blend: None,
            init: Init::Content,
            seed: 0,
            optimizer: Optimizer::default(),
            preserve_colors: PreserveColors::None,
        }
    }
}

/// Defaults chosen by looking at results on the paper's images (README, "Defaults").
pub const DEFAULT_ITERATIONS: usize = 100;
pub const DEFAULT_CONTENT_WEIGHT: f32 = 2e-4;
pub const DEFAULT_STYLE_WEIGHT: f32 = 1.0;
pub const DEFAULT_TV_WEIGHT: f32 = 0.0;

/// The result of a run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// RGB `(3, H, W)` in [0, 1]: the best (lowest loss) image seen.
    pub image: Array3<f32>,
    /// Its weighted loss.
    pub loss: f64,
    pub evals: usize,
    pub iterations: usize,
    pub stop: StopReason,
    pub seconds: f64,
    /// Of `seconds`, the time spent in forward+backward passes.
    pub eval_seconds: f64,
}

/// Which of the paper's modes the given images make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Transfer,
    ContentReconstruction,
    TextureSynthesis,
}

pub fn mode(has_content: bool, has_style: bool) -> Result<Mode, Error> {
    match (has_content, has_style) {
        (true, true) => Ok(Mode::Transfer),
        (true, false) => Ok(Mode::ContentReconstruction),
        (false, true) => Ok(Mode::TextureSynthesis),
        (false, false) => Err(Error::Config("give a content image, a style image, or both".into())),
    }
}

fn check_weight(name: &str, v: f32) -> Result<(), Error> {
    if !v.is_finite() || v < 0.0 {
        return Err(Error::Config(format!("{name} must be a finite number >= 0, got {v}")));
    }
    Ok(())
}

impl Config {
    /// Checks settings that do not depend on the images.
    pub fn validate(&self) -> Result<(), Error> {
        if self.size == 0 {
            return Err(Error::Config("--size must be at least 1".into()));
        }
        if !(self.style_scale.is_finite() && self.style_scale > 0.0) {
            return Err(Error::Config(format!("--style-scale must be > 0, got {}", self.style_scale)));
        }
        check_weight("--content-weight", self.weights.content)?;
        check_weight("--style-weight", self.weights.style)?;
        check_weight("--tv-weight", self.weights.tv)?;
        if let Some(w) = &self.style_layer_weights {
            if w.len() != self.style_layers.len() {
                return Err(Error::Config(format!(
                    "--style-layer-weights has {} values for {} style layers",
                    w.len(),
                    self.style_layers.len()
                )));
            }
            for v in w {
                check_weight("--style-layer-weights", *v)?;
            }
        }
        for (list, flag) in [(&self.content_layers, "--content-layers"), (&self.style_layers, "--style-layers")] {
            let mut seen = list.clone();
            seen.sort();
            seen.dedup();
            if seen.len() != list.len() {
                return Err(Error::Config(format!("{flag} names a layer twice")));
            }
        }
        match self.optimizer {
            Optimizer::Lbfgs { history: 0 } => Err(Error::Config("--lbfgs-history must be at least 1".into())),
            Optimizer::Adam { learning_rate } if !(learning_rate.is_finite() && learning_rate > 0.0) => {
                Err(Error::Config(format!("--learning-rate must be > 0, got {learning_rate}")))
            }
            _ => Ok(()),
        }
    }

    /// Size `(h, w)` of the result for the given image sizes.
    pub fn output_size(&self, content: Option<(usize, usize)>, style: Option<(usize, usize)>) -> Result<(usize, usize), Error> {
        let (h, w) = content.or(style).ok_or_else(|| Error::Config("no images".into()))?;
        Ok(fit_longest(h, w, self.size))
    }
}

/// A configured style transfer, ready to run: targets computed, start chosen.
pub struct Prepared {
    pub objective: Objective,
    /// The preprocessed start `(3, H, W)`.
    pub x0: Array3<f32>,
    pub mode: Mode,
    /// For luminance-only transfer: the content image whose chroma the result gets.
    pub recolor: Option<Array3<f32>>,
}

impl Prepared {
    /// A preprocessed image `(3, H, W)` as the picture the user gets: RGB in
    /// [0, 1], with the content's colours put back for luminance-only transfer.
    pub fn picture(&self, x: ArrayView3<f32>) -> Array3<f32> {
        let rgb = self.objective.net.convention.deprocess(x);
        match &self.recolor {
            Some(c) => color::recombine(rgb.view(), c.view()),
            None => rgb,
        }
    }
}

/// Resamples the images, computes the targets and the start. `content` and
/// `styles` are RGB `(3, H, W)` in [0, 1] at any size.
pub fn prepare(net: Arc<Vgg19>, config: &Config, content: Option<ArrayView3<f32>>, styles: &[ArrayView3<f32>]) -> Result<Prepared, Error> {
    config.validate()?;
    let mode = mode(content.is_some(), !styles.is_empty())?;
    let conv = net.convention;
    let dims = |a: &ArrayView3<f32>| (a.dim().1, a.dim().2);
    let (h, w) = config.output_size(content.as_ref().map(dims), styles.first().map(dims))?;

    let content_full = content.map(|c| resize(c, h, w));
    let style_size = ((config.size as f32 * config.style_scale).round() as usize).max(1);
    let mut styles_rgb: Vec<Array3<f32>> = styles.iter().map(|s| resize_longest(*s, style_size)).collect();
    // Colour control: what the network sees of the content and the styles.
    let (content_rgb, recolor) = match (config.preserve_colors, &content_full) {
        (PreserveColors::None, _) => (content_full.clone(), None),
        (_, None) => return Err(Error::Config("--preserve-colors needs a content image".into())),
        (PreserveColors::Luminance, Some(c)) => {
            let lum = color::luminance_rgb(c.view());
            for s in styles_rgb.iter_mut() {
                *s = color::match_luminance(color::luminance_rgb(s.view()).view(), lum.view());
            }
            (Some(lum), Some(c.clone()))
        }
        (PreserveColors::Histogram(how), Some(c)) => {
            for s in styles_rgb.iter_mut() {
                *s = color::match_histogram(s.view(), c.view(), how);
            }
            (Some(c.clone()), None)
        }
    };
    let mut weights = config.weights;
    let content_t = match (&content_rgb, mode) {
        (Some(c), Mode::Transfer | Mode::ContentReconstruction) => {
            content_targets(&net, conv.preprocess(c.view()).view(), &config.content_layers)?
        }
        _ => Vec::new(),
    };
    if mode == Mode::TextureSynthesis {
        weights.content = 0.0;
    }
    let style_t = if mode == Mode::ContentReconstruction {
        weights.style = 0.0;
        Vec::new()
    } else {
        let pre: Vec<Array3<f32>> = styles_rgb.iter().map(|s| conv.preprocess(s.view())).collect();
        let views: Vec<ArrayView3<f32>> = pre.iter().map(|p| p.view()).collect();
        let blend = config.style_blend.clone().unwrap_or_else(|| vec![1.0 / styles.len() as f32; styles.len()]);
        let n = config.style_layers.len().max(1) as f32;
        let layer_w = config.style_layer_weights.clone().unwrap_or_else(|| vec![1.0 / n; config.style_layers.len()]);
        style_targets(&net, &views, &blend, &config.style_layers, &layer_w)?
    };

    let start_rgb = match &config.init {
        Init::Noise => {
            let mut rng = Rng::new(config.seed);
            Array3::from_shape_simple_fn((3, h, w), || rng.uniform())
        }
        Init::Content => match &content_rgb {
            Some(c) => c.clone(),
            None => return Err(Error::Config("--init content needs a content image".into())),
        },
        Init::Style => resize(styles_rgb.first().ok_or_else(|| Error::Config("--init style needs a style image".into()))?.view(), h, w),
        Init::Image(img) => {
            if (img.dim().1, img.dim().2) != (h, w) {
                return Err(Error::Config(format!(
                    "the --init image is {}x{} but the result is {}x{}",
                    img.dim().2,
                    img.dim().1,
                    w,
                    h
                )));
            }
            match recolor {
                Some(_) => color::luminance_rgb(img.view()),
                None => img.clone(),
            }
        }
    };
    let x0 = conv.preprocess(start_rgb.view());
    Ok(Prepared { objective: Objective::new(net, content_t, style_t, weights), x0, mode, recolor })
}

/// Runs the optimiser on a prepared problem. `callback` sees every evaluation and
/// may return [`Control::Stop`] to end the run with the best image so far.
pub fn optimise(prepared: &Prepared, config: &Config, callback: &mut Callback) -> Result<Outcome, Error> {
    let shape = prepared.x0.dim();
    let x0 = prepared.x0.as_standard_layout().as_slice().unwrap().to_vec();
    let max_evals = config.max_evals.unwrap_or(usize::MAX).max(1);
    let ev = Evaluator::new(&prepared.objective, &x0, shape, max_evals, callback);
    let stop = match config.optimizer {
        Optimizer::Lbfgs { history } => lbfgs::run(&ev, x0, config.iterations, history),
        Optimizer::Adam { learning_rate } => {
            let unit = prepared.objective.net.convention.unit();
            // The step is given in 0..255 pixel units; the image moves in preprocessed units.
            let lr = learning_rate / 255.0 / unit.iter().sum::<f32>() * 3.0;
            adam::run(&ev, x0, config.iterations, lr)
        }
    };
    let stop = match stop {
        Ok(s) => s,
        // A stop asked for (or a non-finite loss) surfaces as an error inside
        // the optimiser; the run still ends with the best image so far.
        Err(e) => ev.stop.borrow().clone().ok_or(e)?,
    };
    let (loss, best) = ev.best();
    let x = Array3::from_shape_vec(shape, best).unwrap();
    Ok(Outcome {
        image: prepared.picture(x.view()),
        loss,
        evals: ev.evals.get(),
        iterations: ev.iteration.get(),
        stop,
        seconds: ev.seconds(),
        eval_seconds: ev.eval_seconds.get(),
    })
}

/// Prepare and optimise in one call.
///
/// ```no_run
/// use neural_style::{transfer, image_io, weights, Pooling};
/// use std::sync::Arc;
/// # fn main() -> Result<(), neural_style::Error> {
/// let net = Arc::new(weights::shipped().to_network(Pooling::Avg, false)?);
/// let content = image_io::load("photo.jpg".as_ref())?;
/// let style = image_io::load("painting.jpg".as_ref())?;
/// let config = transfer::Config { size: 256, iterations: 50, ..Default::default() };
/// let out = transfer::run(net, &config, Some(content.view()), &[style.view()], &mut |p| {
///     eprintln!("eval {} loss {:.3e}", p.eval, p.evaluation.loss);
///     transfer::Control::Continue
/// })?;
/// image_io::save(out.image.view(), "out.png".as_ref())?;
/// # Ok(()) }
/// ```
pub fn run(
    net: Arc<Vgg19>,
    config: &Config,
    content: Option<ArrayView3<f32>>,
    styles: &[ArrayView3<f32>],
    callback: &mut dyn FnMut(&Progress) -> Control,
) -> Result<Outcome, Error> {
    let prepared = prepare(net, config, content, styles)?;
    optimise(&prepared, config, callback)
}

pub use crate::optim::{Control, Optimizer, Progress, StopReason};

/// Bytes a run at `(h, w)` will need at its peak, estimated before allocating:
/// the network's weights (twice: as loaded and flipped for the backward), the
/// forward's ReLU masks and tap gradients, the largest activations in flight,
/// and the optimiser's vectors. Measured against `/usr/bin/time -v` in the README.
pub fn estimate_memory(net: &Vgg19, config: &Config, h: usize, w: usize) -> u64 {
    let deepest = config.content_layers.iter().chain(&config.style_layers).map(|t| t.index()).max().unwrap_or(0);
    let (mut fh, mut fw) = (h, w);
    let mut masks = 0u64;
    let mut largest = 0u64;
    let mut taps = 0u64;
    let mut weights = 0u64;
    for (i, l) in net.layers().iter().enumerate().take(deepest + 1) {
        if l.spec.pool_before {
            (fh, fw) = (fh / 2, fw / 2);
        }
        let n = (l.c_out * fh * fw) as u64;
        masks += n.div_ceil(8); // one bit per element
        largest = largest.max(n * 4);
        if config.content_layers.iter().chain(&config.style_layers).any(|t| t.index() == i) {
            taps += n * 4 * 2; // gradient kept, plus the content target
        }
        weights += (l.weight.len() * 8 + l.bias.len() * 4) as u64;
    }
    let pixels = (3 * h * w) as u64 * 4;
    let optimiser = match config.optimizer {
        Optimizer::Lbfgs { history } => (2 * history as u64 + 12) * pixels,
        Optimizer::Adam { .. } => 8 * pixels,
    };
    let columns = 2 * 4 * 1024 * 1024 * rayon::current_num_threads() as u64;
    weights + masks + taps + 4 * largest + optimiser + columns + 64 * 1024 * 1024
}

/// One step of a coarse-to-fine run: the longest side and the iterations there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub size: usize,
    pub iterations: usize,
}

/// Each smaller scale runs this many times the iterations of the next larger one
/// (the paper's follow-up runs 500 at the small size, then 200).
pub const COARSE_ITERATION_FACTOR: f64 = 2.5;

/// The sizes of a coarse-to-fine run: `scales` sizes doubling up to `size`
/// (never below 32 pixels), the largest with `iterations` and each smaller one
/// with 2.5 times the next one's, or the given per-scale iterations.
pub fn coarse_to_fine(size: usize, scales: usize, iterations: usize, per_scale: Option<&[usize]>) -> Result<Vec<Scale>, Error> {
    if scales == 0 {
        return Err(Error::Config("--scales must be at least 1".into()));
    }
    let mut sizes: Vec<usize> = (0..scales).rev().map(|k| (size >> k).max(32.min(size))).collect();
    sizes.dedup();
    if let Some(p) = per_scale {
        if p.len() != sizes.len() {
            return Err(Error::Config(format!("--scale-iterations has {} values for {} scales", p.len(), sizes.len())));
        }
        return Ok(sizes.iter().zip(p).map(|(&size, &iterations)| Scale { size, iterations }).collect());
    }
    let n = sizes.len();
    Ok(sizes
        .iter()
        .enumerate()
        .map(|(k, &size)| Scale { size, iterations: (iterations as f64 * COARSE_ITERATION_FACTOR.powi((n - 1 - k) as i32)).round() as usize })
        .collect())
}
