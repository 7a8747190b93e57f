//! The library's front door: configure, run with a progress callback that can
//! stop early, get the image back. The paper's three modes follow from which
//! images are given:
//! - content and style: **transfer**;
//! - content alone: **content reconstruction** from the content layers;
//! - style alone: **style reconstruction** (texture synthesis) from the style layers.

pub mod batch;
mod config;
mod memory;
mod scaled;
mod schedule;
mod session;
mod style_cache;
mod video;

pub use crate::optim::Control;
use crate::optim::{Optimizer, Progress, StopReason};
pub use config::{
    Config, Init, LossScale, Weights, DEFAULT_CONTENT_WEIGHT, DEFAULT_CONTENT_WEIGHT_NOISE, DEFAULT_CONTENT_WEIGHT_NORMALIZED,
    DEFAULT_ITERATIONS, DEFAULT_START_SIZE, DEFAULT_STYLE_WEIGHT, DEFAULT_TEMPORAL_WEIGHT, DEFAULT_TV_WEIGHT, GREY_WARM_UP_MIN,
    REFERENCE_CONTENT_POSITIONS, REFINE_ITERATIONS,
};
pub use memory::estimate_memory;
pub use scaled::{available_memory, check_memory, run_scaled, MemoryLimit, OnScale, RunOptions, Scaled, ScaledProgress};
pub use schedule::{coarse_to_fine, Scale, COARSE_ITERATION_FACTOR};
pub use session::{numbered, Painted, Picture, Session};
pub use style_cache::StyleCache;
use style_cache::StyleKey;
pub use video::Previous;

use crate::color::{self, PreserveColors};
use crate::error::Error;
use crate::image_io::{dims, resize, resize_longest};
use crate::objective::{content_targets, guided_style_targets, guides, style_targets, LossWeights, Objective, StyleTarget};
use crate::optim::{adam, lbfgs, Callback, Evaluator};
use crate::rng::Rng;
use crate::vgg::Vgg19;
use ndarray::{Array2, Array3, ArrayView2, ArrayView3};
use std::sync::Arc;

/// The result of a run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// RGB `(3, H, W)` in [0, 1]: the best (lowest loss) image seen.
    pub image: Array3<f32>,
    /// Its weighted loss.
    pub loss: f64,
    /// Forward and backward passes run.
    pub evals: usize,
    /// Optimiser iterations run.
    pub iterations: usize,
    /// Why the optimiser stopped.
    pub stop: StopReason,
    /// Wall time of the optimisation.
    pub seconds: f64,
    /// Of `seconds`, the time spent in forward+backward passes.
    pub eval_seconds: f64,
}

/// Which of the paper's modes the given images make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A photograph in the style of a painting.
    Transfer,
    /// The photograph alone, from the responses of its content layers.
    ContentReconstruction,
    /// The painting alone: texture synthesis from its Gram matrices.
    TextureSynthesis,
}

/// The mode the given images make (an error without either).
pub fn mode(has_content: bool, has_style: bool) -> Result<Mode, Error> {
    match (has_content, has_style) {
        (true, true) => Ok(Mode::Transfer),
        (true, false) => Ok(Mode::ContentReconstruction),
        (false, true) => Ok(Mode::TextureSynthesis),
        (false, false) => Err(Error::Config("give a content image, a style image, or both".into())),
    }
}

/// A configured style transfer, ready to run: targets computed, start chosen.
pub struct Prepared {
    /// The objective, targets computed.
    pub objective: Objective,
    /// The preprocessed start `(3, H, W)`.
    pub x0: Array3<f32>,
    /// Which of the three modes.
    pub mode: Mode,
    /// For luminance-only transfer: the content image whose chroma the result gets.
    pub recolor: Option<Array3<f32>>,
}

impl Prepared {
    /// A preprocessed image `(3, H, W)` as the picture the user gets: RGB in
    /// [0, 1], with the content's colours put back for luminance-only transfer.
    pub fn picture(&self, x: ArrayView3<f32>) -> Array3<f32> {
        let rgb = match &self.objective.grey {
            Some(line) => {
                let mut on_line = x.to_owned();
                line.project(&mut on_line);
                self.objective.net.convention.deprocess(on_line.view())
            }
            None => self.objective.net.convention.deprocess(x),
        };
        match &self.recolor {
            Some(c) => color::recombine(rgb.view(), c.view()),
            None => rgb,
        }
    }
}

/// `net` without the layers below the deepest tap `config` reads, when the
/// caller handed it over (no other owner): a run never needs them, and
/// conv5_2 ... conv5_4 alone are about 110 MB of transformed weights, which a
/// program that built the whole network would otherwise pay for.
pub(crate) fn fitted(net: Arc<Vgg19>, config: &Config) -> Arc<Vgg19> {
    match (config.deepest_tap(), Arc::try_unwrap(net)) {
        (Some(t), Ok(n)) if n.layers().len() > t.index() + 1 => Arc::new(n.truncated(t)),
        (_, Ok(n)) => Arc::new(n),
        (_, Err(shared)) => shared,
    }
}

/// Resamples the images, computes the targets and the start. `content` and
/// `styles` are RGB `(3, H, W)` in [0, 1] at any size.
pub fn prepare(net: Arc<Vgg19>, config: &Config, content: Option<ArrayView3<f32>>, styles: &[ArrayView3<f32>]) -> Result<Prepared, Error> {
    prepare_cached(net, config, content, styles, None)
}

/// [`prepare`], taking the style targets from `cache` when the same style
/// images (named by the caller's `key`) were prepared before with the same
/// style settings and size, and keeping them there otherwise. The cache must
/// serve one network. With colour preservation the style images depend on the
/// content, so nothing is cached.
pub fn prepare_cached(
    net: Arc<Vgg19>,
    config: &Config,
    content: Option<ArrayView3<f32>>,
    styles: &[ArrayView3<f32>],
    cache: Option<(&mut StyleCache, u64)>,
) -> Result<Prepared, Error> {
    config.validate()?;
    let mode = mode(content.is_some(), !styles.is_empty())?;
    let config = &config.resolved(mode, net.normalised);
    let conv = net.convention;
    let (h, w) = config.output_size(content.as_ref().map(dims), styles.first().map(dims))?;

    let content_full = content.map(|c| resize(c, h, w));
    let style_size = ((config.size as f32 * config.style_scale).round() as usize).max(1);
    let mut styles_rgb: Vec<Array3<f32>> = styles.iter().map(|s| resize_longest(*s, style_size)).collect();
    // The paintings as they are, for the style's strength in colour modes.
    let plain_styles = config.preserve_colors.changes_styles().then(|| styles_rgb.clone());
    // Colour control: what the network sees of the content and the styles.
    let (content_rgb, recolor) = match (config.preserve_colors, &content_full) {
        (PreserveColors::None, _) => (content_full.clone(), None),
        (_, None) => return Err(Error::Invalid { field: "preserve_colors", reason: "needs a content image".into() }),
        (PreserveColors::Luminance, Some(c)) => {
            let lum = color::luminance_rgb(c.view());
            for s in styles_rgb.iter_mut() {
                *s = color::match_luminance(color::luminance_rgb(s.view()).view(), lum.view());
            }
            (Some(lum), Some(c.clone()))
        }
        (PreserveColors::Original, Some(c)) => (Some(c.clone()), Some(c.clone())),
        (PreserveColors::Histogram(how), Some(c)) => {
            // The painting's colours moved to the photograph's, under the
            // painting's own luminance (its contrast kept, as in luminance mode).
            let photo_lum = color::luminance_rgb(c.view());
            for s in styles_rgb.iter_mut() {
                let matched = color::match_histogram(s.view(), c.view(), how);
                let lum = color::match_luminance(color::luminance_rgb(s.view()).view(), photo_lum.view());
                *s = color::recombine(lum.view(), matched.view());
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
    let compute_styles = || blended_targets(&net, config, &styles_rgb);
    let mut style_t = match (mode, cache) {
        (Mode::ContentReconstruction, _) => {
            weights.style = 0.0;
            Vec::new()
        }
        (_, _) if config.style_masks.is_some() => guided_targets(&net, config, &styles_rgb, h, w)?,
        (_, Some((cache, key))) if !config.preserve_colors.changes_styles() => {
            cache.get_or_insert(StyleKey::new(key, config, style_size), compute_styles)?
        }
        _ => compute_styles()?,
    };

    // Colours kept in the loop make the style loss start smaller (a grey or
    // recoloured painting is nearer the photograph), most at the low layers,
    // so the style would lose its strength: each style layer's weight is
    // raised by how much smaller its loss starts.
    if let (Some(plain), Some(photo), Some(seen), Mode::Transfer, None) =
        (&plain_styles, &content_full, &content_rgb, mode, &config.style_masks)
    {
        colour_balance(&net, config, plain, &mut style_t, photo, seen)?;
    }
    let start_rgb = match &config.init {
        // `Auto` is resolved above; it reads as noise.
        Init::Noise | Init::Auto => {
            let mut rng = Rng::new(config.seed);
            Array3::from_shape_simple_fn((3, h, w), || rng.uniform())
        }
        Init::Content => match &content_rgb {
            Some(c) => c.clone(),
            None => return Err(Error::Invalid { field: "init", reason: "content needs a content image".into() }),
        },
        Init::Style => resize(
            styles_rgb.first().ok_or_else(|| Error::Invalid { field: "init", reason: "style needs a style image".into() })?.view(),
            h,
            w,
        ),
        Init::Image(img) => {
            if (img.dim().1, img.dim().2) != (h, w) {
                let reason = format!("the image is {}x{} but the result is {}x{}", img.dim().2, img.dim().1, w, h);
                return Err(Error::Invalid { field: "init", reason });
            }
            match config.preserve_colors {
                PreserveColors::Luminance => color::luminance_rgb(img.view()),
                _ => img.clone(),
            }
        }
    };
    let mut x0 = conv.preprocess(start_rgb.view());
    let grey = (config.preserve_colors == PreserveColors::Luminance).then(|| conv.grey_line());
    if let Some(line) = &grey {
        line.project(&mut x0);
    }
    let positions = content_t.first().map_or(1, |c| c.features.dim().1 * c.features.dim().2);
    let weights = config.loss_scale.literal(weights, positions, h * w);
    let mut objective = Objective::new(net, content_t, style_t, weights);
    objective.grey = grey;
    Ok(Prepared { objective, x0, mode, recolor })
}

/// The style targets of the paintings `styles_rgb` (RGB, at their style
/// size), their Grams blended as the config says (equally by default).
fn blended_targets(net: &Vgg19, config: &Config, styles_rgb: &[Array3<f32>]) -> Result<Vec<StyleTarget>, Error> {
    let pre: Vec<Array3<f32>> = styles_rgb.iter().map(|s| net.convention.preprocess(s.view())).collect();
    let views: Vec<ArrayView3<f32>> = pre.iter().map(|p| p.view()).collect();
    let n = styles_rgb.len();
    let blend = config.style_blend.clone().unwrap_or_else(|| vec![1.0 / n as f32; n]);
    style_targets(net, &views, &blend, &config.style_layers, &config.layer_weights())
}

/// Each style layer's loss from the photograph as the network sees it in a
/// colour mode (`seen`, the `targets`) against the plain problem's (the
/// photograph, the plain paintings' targets); where the colour mode's starts
/// smaller, that layer's weight is raised by the ratio, so every layer starts
/// with the share of the loss it has in a plain run.
fn colour_balance(
    net: &Arc<Vgg19>,
    config: &Config,
    plain_styles: &[Array3<f32>],
    targets: &mut [StyleTarget],
    photo: &Array3<f32>,
    seen: &Array3<f32>,
) -> Result<(), Error> {
    let conv = net.convention;
    let plain_targets = blended_targets(net, config, plain_styles)?;
    let unit = LossWeights { content: 0.0, style: 1.0, tv: 0.0 };
    let per_layer = |t: Vec<StyleTarget>, x: &Array3<f32>| {
        Objective::new(net.clone(), Vec::new(), t, unit).evaluate(conv.preprocess(x.view()).view()).style_layers
    };
    let (plain, here) = (per_layer(plain_targets, photo), per_layer(targets.to_vec(), seen));
    for t in targets.iter_mut() {
        let e = |layers: &[(crate::vgg::Tap, f64)]| layers.iter().find(|(tap, _)| *tap == t.tap).map_or(0.0, |l| l.1);
        let (p, h) = (e(&plain), e(&here));
        if h > 0.0 && p > h {
            t.layer_weight *= (p / h) as f32;
        }
    }
    Ok(())
}

/// Spatial control: one guided style term per style image and tap, its guide
/// the style's mask resampled to the result `(h, w)` and brought down to the tap.
fn guided_targets(net: &Vgg19, config: &Config, styles_rgb: &[Array3<f32>], h: usize, w: usize) -> Result<Vec<StyleTarget>, Error> {
    let masks = config.style_masks.as_ref().expect("checked by the caller");
    if masks.len() != styles_rgb.len() {
        return Err(Error::Invalid {
            field: "style_masks",
            reason: format!("{} masks for {} style images", masks.len(), styles_rgb.len()),
        });
    }
    if let Some(im) = &config.style_image_masks {
        if im.len() != styles_rgb.len() {
            let reason = format!("{} masks for {} style images", im.len(), styles_rgb.len());
            return Err(Error::Invalid { field: "style_image_masks", reason });
        }
    }
    let layer_w = config.layer_weights();
    let conv = net.convention;
    let mut out = Vec::new();
    for (i, (style, mask)) in styles_rgb.iter().zip(masks).enumerate() {
        let region = guides(resize_mask(mask.view(), h, w).view(), &config.style_layers);
        let own = config.style_image_masks.as_ref().map(|im| resize_mask(im[i].view(), style.dim().1, style.dim().2));
        let pre = conv.preprocess(style.view());
        out.extend(guided_style_targets(net, pre.view(), own.as_ref().map(|m| m.view()), &config.style_layers, &layer_w, region)?);
    }
    Ok(out)
}

/// A mask `(H, W)` resampled to `(h, w)` like the images, kept in [0, 1].
pub fn resize_mask(mask: ArrayView2<f32>, h: usize, w: usize) -> Array2<f32> {
    let (mh, mw) = mask.dim();
    let three = Array3::from_shape_fn((3, mh, mw), |(_, i, j)| mask[[i, j]]);
    resize(three.view(), h, w).index_axis(ndarray::Axis(0), 0).to_owned()
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
/// let config = transfer::Config { size: 256, iterations: 50, ..Default::default() };
/// let net = Arc::new(weights::network(None, Pooling::Avg, false, config.deepest_tap())?);
/// let content = image_io::load("photo.jpg".as_ref())?;
/// let style = image_io::load("painting.jpg".as_ref())?;
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
    let prepared = prepare(fitted(net, config), config, content, styles)?;
    optimise(&prepared, config, callback)
}
