//! What a run is asked to do: [`Config`], its defaults and its checks.

use crate::color::PreserveColors;
use crate::error::Error;
use crate::image_io::fit_longest;
use crate::objective::LossWeights;
use crate::optim::Optimizer;
use crate::transfer::Mode;
use crate::vgg::{paper_content_taps, paper_style_taps, Tap};
use ndarray::{Array2, Array3};

/// Where the optimisation starts.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Init {
    /// Chosen by the library ([`Config::resolved`]): the content image for a
    /// transfer with the plain network, white noise otherwise (the
    /// reconstructions, texture synthesis and the normalised network, as the
    /// paper ran them).
    #[default]
    Auto,
    /// White noise: each pixel uniform in [0, 1] (the paper's start).
    Noise,
    /// The content image.
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
    /// The content, style and TV weights as the user gives them; `loss_scale`
    /// says how they become the objective's literal alpha, beta, gamma.
    pub weights: Weights,
    /// How the weights map to the paper's literal ones.
    pub loss_scale: LossScale,
    /// Layers whose responses the content loss matches.
    pub content_layers: Vec<Tap>,
    /// Layers whose Gram matrices the style loss matches.
    pub style_layers: Vec<Tap>,
    /// `w_l` per style layer; `1 / (number of style layers)` each if `None`.
    pub style_layer_weights: Option<Vec<f32>>,
    /// Blend of several style images' Grams; equal if `None`. Must sum to 1.
    pub style_blend: Option<Vec<f32>>,
    /// The starting image.
    pub init: Init,
    /// Seed of the noise start.
    pub seed: u64,
    /// Scales of coarse to fine ([`super::coarse_to_fine`]): sizes doubling up
    /// to `size`; 1 paints at `size` only. `None` (the default): the look is
    /// painted at `start_size` and refined up to `size` when that is larger
    /// ([`Config::schedule`]).
    pub scales: Option<usize>,
    /// Where the look is formed when `scales` is `None`: larger pictures are
    /// painted at this longest side first, then refined.
    pub start_size: usize,
    /// Iterations at each scale, smallest first; `None`: from `iterations`.
    pub scale_iterations: Option<Vec<usize>>,
    /// L-BFGS or Adam.
    pub optimizer: Optimizer,
    /// Keep the photograph's colours (luminance-only transfer or histogram matching).
    pub preserve_colors: PreserveColors,
    /// Spatial control (Gatys et al. 2017): one mask `(H, W)` in [0, 1] per
    /// style image, over the content image (resampled to the result; 1 = this
    /// style applies). Each style is then its own guided term; parts no mask
    /// covers get the content loss only.
    pub style_masks: Option<Vec<Array2<f32>>>,
    /// With `style_masks`: one mask per style image over that image, to take
    /// the style from part of it.
    pub style_image_masks: Option<Vec<Array2<f32>>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            size: 512,
            style_scale: 1.0,
            iterations: DEFAULT_ITERATIONS,
            max_evals: None,
            weights: Weights::default(),
            loss_scale: LossScale::Mean,
            content_layers: paper_content_taps(),
            style_layers: paper_style_taps(),
            style_layer_weights: None,
            style_blend: None,
            init: Init::Auto,
            seed: 0,
            scales: None,
            start_size: DEFAULT_START_SIZE,
            scale_iterations: None,
            optimizer: Optimizer::default(),
            preserve_colors: PreserveColors::None,
            style_masks: None,
            style_image_masks: None,
        }
    }
}

/// The weights as the user gives them ([`Config::weights`]); [`LossScale`]
/// turns them into the objective's literal alpha, beta, gamma
/// ([`LossWeights`]), a different type so the two cannot be mixed up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    /// The content weight; `None`: the default for the network and the loss
    /// scale ([`Config::resolved`]).
    pub content: Option<f32>,
    /// The style weight.
    pub style: f32,
    /// The total variation weight.
    pub tv: f32,
    /// delta, the temporal loss's weight: how hard a video frame holds to
    /// the previous frame's result warped along the flow (used only when a
    /// [`super::Picture`] has a `previous` frame; literal at every size).
    pub temporal: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { content: None, style: DEFAULT_STYLE_WEIGHT, tv: DEFAULT_TV_WEIGHT, temporal: DEFAULT_TEMPORAL_WEIGHT }
    }
}

/// How the user's weights become the objective's literal alpha, beta, gamma.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LossScale {
    /// Size-free: alpha = content weight / positions at the (first) content
    /// layer, gamma = TV weight / pixels, beta as given (the Grams are already
    /// per position). The content loss sums over positions while the style loss
    /// does not, so with literal weights the look moved with the size (about 4x
    /// in alpha/beta per doubling); here one weight gives one look at any size.
    #[default]
    Mean,
    /// The paper's literal sums: the weights are alpha, beta, gamma as given.
    Paper,
}

impl std::str::FromStr for LossScale {
    type Err = Error;

    /// `mean` or `paper`.
    fn from_str(v: &str) -> Result<Self, Error> {
        crate::error::one_of("loss_scale", &[("mean", LossScale::Mean), ("paper", LossScale::Paper)], v)
    }
}

impl LossScale {
    /// `"mean"` or `"paper"`.
    pub fn name(self) -> &'static str {
        match self {
            LossScale::Mean => "mean",
            LossScale::Paper => "paper",
        }
    }

    /// The literal weights for `content_positions` positions at the content
    /// layer and `pixels` pixels. `w.content` must be resolved
    /// ([`Config::resolved`]); `None` counts as 0.
    pub fn literal(self, w: Weights, content_positions: usize, pixels: usize) -> LossWeights {
        let content = w.content.unwrap_or(0.0);
        match self {
            LossScale::Paper => LossWeights { content, style: w.style, tv: w.tv },
            LossScale::Mean => LossWeights {
                content: (content as f64 / content_positions.max(1) as f64) as f32,
                style: w.style,
                tv: (w.tv as f64 / pixels.max(1) as f64) as f32,
            },
        }
    }

    /// The default content weight in this scale, for the plain or the
    /// normalised network and a start from the photograph or from noise: under
    /// [`LossScale::Paper`] the literal alpha that the size-free default is at
    /// the reference size, 512x384.
    pub fn default_content_weight(self, normalised: bool, from_noise: bool) -> f32 {
        let mean = match (normalised, from_noise) {
            (true, _) => DEFAULT_CONTENT_WEIGHT_NORMALIZED,
            (false, true) => DEFAULT_CONTENT_WEIGHT_NOISE,
            (false, false) => DEFAULT_CONTENT_WEIGHT,
        };
        match self {
            LossScale::Mean => mean,
            LossScale::Paper => mean / REFERENCE_CONTENT_POSITIONS as f32,
        }
    }
}

/// Positions at relu4_2 for a 512x384 picture (64x48), the size the defaults
/// were chosen at: a size-free content weight `c` is the literal `c / 3072` there.
pub const REFERENCE_CONTENT_POSITIONS: usize = 64 * 48;

/// Defaults chosen by looking at results on the paper's images (`docs/design.md`, "Defaults").
pub const DEFAULT_ITERATIONS: usize = 100;
/// Under [`LossScale::Mean`]: 2e-4 literal at 512x384 (relu4_2 has 64x48 positions), the
/// weight the earlier literal default was chosen with.
pub const DEFAULT_CONTENT_WEIGHT: f32 = 0.6;
/// From white noise with the plain network (`--init noise`): with 0.6 the town
/// of Tübingen x The Starry Night was a ghost after 100 iterations at 512 px;
/// 3 keeps every house readable under the strokes (`docs/design.md`).
pub const DEFAULT_CONTENT_WEIGHT_NOISE: f32 = 3.0;
/// beta.
pub const DEFAULT_STYLE_WEIGHT: f32 = 1.0;
/// With the paper's normalised network (`--normalized`), started from noise as
/// the paper did: 1e-5 literal at 512x384, which gave its Figure 3's look
/// (`docs/normalised.md`). Its 1e-3 and 1e-4 leave a photograph.
pub const DEFAULT_CONTENT_WEIGHT_NORMALIZED: f32 = 0.03;
/// The longest side where the look is formed: a larger picture is painted
/// at 512 first and refined, so it is the 512 px picture with finer strokes
/// (the strokes are set by the receptive fields, fixed in pixels).
pub const DEFAULT_START_SIZE: usize = 512;
/// Iterations at each scale above the first in the default coarse to fine
/// (`docs/design.md`, "Large pictures").
pub const REFINE_ITERATIONS: usize = 25;
/// The smallest size of luminance-only transfer's warm-up ([`Config::schedule`]):
/// below it the receptive fields cover most of the picture, and a 256 px look
/// warmed up at 128 px lost the town of Tübingen under The Scream's strokes;
/// a 256 px look needs none (0.94-0.99 of the plain run's strokes without).
pub const GREY_WARM_UP_MIN: usize = 256;
/// No total variation unless asked for.
pub const DEFAULT_TV_WEIGHT: f32 = 0.0;
/// The temporal weight of a video frame: on a 4 px/frame pan at 192 px, 30
/// iterations, it brings the difference along the motion to 0.19x that of
/// frames painted alone with each frame's style loss at 0.80-0.91x theirs
/// (`docs/performance.md`, "Video"; 1e3 gave 0.61x, 1e5 0.10x).
pub const DEFAULT_TEMPORAL_WEIGHT: f32 = 3e4;

/// An invalid setting, named by its field.
fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Invalid { field, reason: reason.into() }
}

fn check_weight(field: &'static str, v: f32) -> Result<(), Error> {
    if !v.is_finite() || v < 0.0 {
        return Err(invalid(field, format!("must be a finite number >= 0, got {v}")));
    }
    Ok(())
}

impl Config {
    /// Checks settings that do not depend on the images.
    pub fn validate(&self) -> Result<(), Error> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }

    /// Every setting that does not depend on the images and is wrong, each
    /// named by its field ([`Error::Invalid`]), in the order of the fields:
    /// a front end can report them all at once.
    pub fn problems(&self) -> Vec<Error> {
        let mut out = Vec::new();
        if self.size == 0 {
            out.push(invalid("size", "must be at least 1"));
        }
        if !(self.style_scale.is_finite() && self.style_scale > 0.0) {
            out.push(invalid("style_scale", format!("must be > 0, got {}", self.style_scale)));
        }
        let weights = [
            ("weights.content", self.weights.content),
            ("weights.style", Some(self.weights.style)),
            ("weights.tv", Some(self.weights.tv)),
            ("weights.temporal", Some(self.weights.temporal)),
        ];
        out.extend(weights.into_iter().filter_map(|(field, w)| check_weight(field, w?).err()));
        if let Some(w) = &self.style_layer_weights {
            if w.len() != self.style_layers.len() {
                out.push(invalid("style_layer_weights", format!("{} values for {} style layers", w.len(), self.style_layers.len())));
            }
            out.extend(w.iter().find_map(|v| check_weight("style_layer_weights", *v).err()));
        }
        for (list, field) in [(&self.content_layers, "content_layers"), (&self.style_layers, "style_layers")] {
            let mut seen = list.clone();
            seen.sort();
            seen.dedup();
            if seen.len() != list.len() {
                out.push(invalid(field, "names a layer twice"));
            }
        }
        if self.style_image_masks.is_some() && self.style_masks.is_none() {
            out.push(invalid("style_image_masks", "needs style masks"));
        }
        if self.style_masks.is_some() && self.style_blend.is_some() {
            out.push(invalid("style_blend", "does not apply with style masks: each region has its own style"));
        }
        let masks = self.style_masks.iter().chain(&self.style_image_masks).flatten();
        if masks.into_iter().any(|m| m.is_empty() || m.iter().any(|v| !(v.is_finite() && (0.0..=1.0).contains(v)))) {
            out.push(invalid("style_masks", "masks must be non-empty with values in [0, 1]"));
        }
        if self.start_size == 0 {
            out.push(invalid("start_size", "must be at least 1"));
        }
        out.extend(Config { size: self.size.max(1), start_size: self.start_size.max(1), ..self.clone() }.schedule().err());
        match self.optimizer {
            Optimizer::Lbfgs { history: 0 } => out.push(invalid("optimizer.history", "must be at least 1")),
            Optimizer::Adam { learning_rate } if !(learning_rate.is_finite() && learning_rate > 0.0) => {
                out.push(invalid("optimizer.learning_rate", format!("must be > 0, got {learning_rate}")))
            }
            _ => {}
        }
        out
    }

    /// The settings left to the library filled in for a run in `mode` on the
    /// plain or the normalised network: the content weight
    /// ([`LossScale::default_content_weight`]; 0 for texture synthesis) and
    /// the start ([`Init::Auto`]). What the user set is kept.
    pub fn resolved(&self, mode: Mode, normalised: bool) -> Config {
        let mut c = self.clone();
        if c.init == Init::Auto {
            c.init = if mode == Mode::Transfer && !normalised { Init::Content } else { Init::Noise };
        }
        let from_noise = c.init == Init::Noise;
        c.weights.content = match mode {
            Mode::TextureSynthesis => Some(0.0),
            _ => Some(self.weights.content.unwrap_or_else(|| self.loss_scale.default_content_weight(normalised, from_noise))),
        };
        c
    }

    /// The sizes and iterations of the run: `scales` doubling up to `size` if
    /// given ([`super::coarse_to_fine`]); otherwise `size` alone when it is at
    /// most `start_size`, else `start_size` with `iterations` (the look) and
    /// sizes doubling up to `size` (the last step may be less than double),
    /// each with [`REFINE_ITERATIONS`] (or `scale_iterations`); in
    /// luminance-only transfer from the photograph, a warm-up at half the
    /// look's size first ([`GREY_WARM_UP_MIN`]).
    pub fn schedule(&self) -> Result<Vec<super::Scale>, Error> {
        let per_scale = self.scale_iterations.as_deref();
        if let Some(n) = self.scales {
            return super::coarse_to_fine(self.size, n, self.iterations, per_scale);
        }
        let mut sizes = vec![self.size.min(self.start_size)];
        while *sizes.last().unwrap() < self.size {
            sizes.push((sizes.last().unwrap() * 2).min(self.size));
        }
        let iterations: Vec<usize> = match per_scale {
            Some(p) if p.len() != sizes.len() => {
                return Err(invalid("scale_iterations", format!("{} values for {} scales", p.len(), sizes.len())))
            }
            Some(p) => p.to_vec(),
            None => (0..sizes.len()).map(|k| if k == 0 { self.iterations } else { REFINE_ITERATIONS }).collect(),
        };
        let mut steps: Vec<super::Scale> =
            sizes.into_iter().zip(iterations).map(|(size, iterations)| super::Scale { size, iterations }).collect();
        if let Some(warm) = self.grey_warm_up(steps[0].size).filter(|_| per_scale.is_none()) {
            steps.insert(0, warm);
        }
        Ok(steps)
    }

    /// Luminance-only transfer started from the photograph leaves it slowly:
    /// a grey photograph is nearer the grey painting's Grams, and after the
    /// default 100 iterations at 512 px it kept 0.81 of a plain run's strokes
    /// on coffee x The Shipwreck. So a look of at least twice
    /// [`GREY_WARM_UP_MIN`] starts from a painting at half its size with half
    /// the iterations (about 1/8 more time), which brings it to the plain
    /// run's strength (`docs/performance.md`, "Colour"). `None` for every
    /// other run, a start other than the photograph, or no iterations.
    /// `Init::Auto` counts as the photograph; a run resolves it first
    /// ([`Config::resolved`]), so on the normalised network, where it is
    /// noise, there is no warm-up.
    fn grey_warm_up(&self, look: usize) -> Option<super::Scale> {
        let grey = self.preserve_colors == PreserveColors::Luminance;
        let from_photo = matches!(self.init, Init::Auto | Init::Content);
        (grey && from_photo && look / 2 >= GREY_WARM_UP_MIN && self.iterations > 0)
            .then(|| super::Scale { size: look / 2, iterations: self.iterations.div_ceil(2) })
    }

    /// The deepest layer any loss reads: the network need not run further.
    pub fn deepest_tap(&self) -> Option<Tap> {
        self.content_layers.iter().chain(&self.style_layers).max().copied()
    }

    /// `w_l` for each style layer: as given, or `1 / (number of style layers)` each.
    pub fn layer_weights(&self) -> Vec<f32> {
        let n = self.style_layers.len().max(1) as f32;
        self.style_layer_weights.clone().unwrap_or_else(|| vec![1.0 / n; self.style_layers.len()])
    }

    /// Size `(h, w)` of the result for the given image sizes.
    pub fn output_size(&self, content: Option<(usize, usize)>, style: Option<(usize, usize)>) -> Result<(usize, usize), Error> {
        let (h, w) = content.or(style).ok_or_else(|| Error::Config("no images".into()))?;
        Ok(fit_longest(h, w, self.size))
    }
}
