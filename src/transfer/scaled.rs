//! A whole run as the binary makes it, for any program ([`super::Session`]
//! keeps what is shared between runs): the memory guard
//! (refuse a run that would not fit, naming a size that would) and coarse to
//! fine (each scale starts from the last one's result, upsampled), with one
//! progress callback that sees global counts and the weights in force.

use super::{estimate_memory, optimise, prepare_cached, Config, Init, Outcome, Prepared, Previous, Scale, StopReason, StyleCache};
use crate::error::Error;
use crate::image_io::{dims, resize};
use crate::objective::{LossWeights, Temporal};
use crate::optim::{Control, Progress};
use crate::vgg::Vgg19;
use ndarray::ArrayView3;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Memory the machine can give now (Linux `MemAvailable`), in bytes.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Whose memory limit a run is held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryLimit {
    /// What the machine has available now ([`available_memory`]); no check if unknown.
    Available,
    /// A limit the user set, in bytes.
    Bytes(u64),
    /// No check.
    None,
}

/// Refuses a run on `threads` threads whose estimate ([`estimate_memory`])
/// exceeds the limit, with the largest `size` (shrinking by 10%) that would
/// fit in the message.
pub fn check_memory(
    net: &Vgg19,
    config: &Config,
    content: Option<ArrayView3<f32>>,
    style: Option<ArrayView3<f32>>,
    limit: MemoryLimit,
    threads: usize,
) -> Result<(), Error> {
    let (c, s) = (content.as_ref().map(dims), style.as_ref().map(dims));
    let (h, w) = config.output_size(c, s)?;
    let need = estimate_memory(net, config, h, w, threads);
    let (bytes, user_limit) = match limit {
        MemoryLimit::None => return Ok(()),
        MemoryLimit::Bytes(b) => (b, true),
        MemoryLimit::Available => match available_memory() {
            Some(b) => (b, false),
            None => return Ok(()),
        },
    };
    if need <= bytes {
        return Ok(());
    }
    let mut fit = None;
    let mut size = config.size;
    while size > 16 && fit.is_none() {
        size = (size * 9 / 10).max(16);
        let smaller = Config { size, ..config.clone() };
        let (fh, fw) = smaller.output_size(c, s)?;
        if estimate_memory(net, &smaller, fh, fw, threads) <= bytes {
            fit = Some(size);
        }
    }
    Err(Error::Memory { width: w, height: h, needed_mb: need >> 20, limit_mb: bytes >> 20, user_limit, fits: fit })
}

/// One evaluation of a multi-scale run.
pub struct ScaledProgress<'a, 'p> {
    /// The evaluation within its scale.
    pub progress: &'a Progress<'p>,
    /// 0-based scale, and how many there are.
    pub scale: usize,
    /// How many scales in all.
    pub scales: usize,
    /// Evaluations over all scales so far.
    pub eval: usize,
    /// Iterations completed over all scales so far.
    pub iteration: usize,
    /// Seconds since the run started.
    pub seconds: f64,
    /// Iterations of all scales together.
    pub total_iterations: usize,
    /// The literal alpha, beta, gamma at this scale.
    pub weights: LossWeights,
    /// The scale's prepared problem (for [`Prepared::picture`] of the best image).
    pub prepared: &'a Prepared,
}

/// A multi-scale run's result, counted over all its scales.
pub struct Scaled {
    /// The last scale's outcome (its image is the result).
    pub outcome: Outcome,
    /// Iterations over all scales.
    pub iterations: usize,
    /// Evaluations over all scales.
    pub evals: usize,
    /// Seconds over all scales.
    pub seconds: f64,
}

/// Told as each scale starts: `(scale, all scales, prepared)`.
pub type OnScale<'a> = dyn FnMut(usize, &[Scale], &Prepared) + 'a;

/// Everything a run may be given besides the network, the config and the images.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Style targets kept between runs, with the caller's key for these styles.
    pub cache: Option<(&'a mut StyleCache, u64)>,
    /// Abandons a running evaluation when set (e.g. by a Ctrl-C handler).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Called as each scale starts: `(scale, all scales, prepared)`.
    pub on_scale: Option<&'a mut OnScale<'a>>,
    /// A video frame's previous frame: the temporal loss at every scale
    /// (brought to its size).
    pub previous: Option<&'a Previous>,
}

/// Runs coarse to fine: each scale prepared at its size, the first from
/// `config.init`, the next ones from the previous result upsampled; stops
/// after a scale that ended early (a stop asked for, a non-finite loss).
pub fn run_scaled(
    net: Arc<Vgg19>,
    config: &Config,
    content: Option<ArrayView3<f32>>,
    styles: &[ArrayView3<f32>],
    mut options: RunOptions,
    callback: &mut dyn for<'a, 'p> FnMut(&ScaledProgress<'a, 'p>) -> Control,
) -> Result<Scaled, Error> {
    // The schedule of the start `prepare` will make (`Init::Auto` is noise
    // on the normalised network, where the luminance warm-up does not apply).
    let mode = super::mode(content.is_some(), !styles.is_empty())?;
    let schedule = config.resolved(mode, net.normalised).schedule()?;
    let total_iterations: usize = schedule.iter().map(|s| s.iterations).sum();
    let (c, s) = (content.as_ref().map(dims), styles.first().map(dims));
    let (mut iter_base, mut eval_base, mut seconds_base) = (0, 0, 0.0);
    let mut last: Option<Outcome> = None;
    for (k, step) in schedule.iter().enumerate() {
        let mut cfg = Config { size: step.size, iterations: step.iterations, scales: Some(1), scale_iterations: None, ..config.clone() };
        let (h, w) = cfg.output_size(c, s)?;
        match &last {
            Some(prev) => cfg.init = Init::Image(resize(prev.image.view(), h, w)),
            None => {
                if let Init::Image(img) = &cfg.init {
                    if (img.dim().1, img.dim().2) != (h, w) {
                        cfg.init = Init::Image(resize(img.view(), h, w));
                    }
                }
            }
        }
        let cache = options.cache.as_mut().map(|(c, key)| (&mut **c, *key));
        let mut prepared = prepare_cached(net.clone(), &cfg, content, styles, cache)?;
        if let Some(flag) = &options.cancel {
            prepared.objective.set_cancel(flag.clone());
        }
        if let Some(prev) = options.previous.filter(|_| cfg.weights.temporal > 0.0) {
            let reliable = crate::flow::resample(prev.reliable.view(), h, w);
            let mut warped = resize(prev.warped.view(), h, w);
            if prepared.objective.grey.is_some() {
                // Luminance-only transfer paints grey under the photograph's
                // chroma: the previous picture's luminance is what to follow.
                warped = crate::color::luminance_rgb(warped.view());
            }
            let target = net.convention.preprocess(warped.view());
            prepared.objective.temporal = Some(Temporal { target, reliable, weight: cfg.weights.temporal });
        }
        if let Some(f) = options.on_scale.as_mut() {
            f(k, &schedule, &prepared);
        }
        let weights = prepared.objective.weights;
        let o = {
            let prepared_ref = &prepared;
            let mut inner = |p: &Progress<'_>| {
                callback(&ScaledProgress {
                    progress: p,
                    scale: k,
                    scales: schedule.len(),
                    eval: eval_base + p.eval,
                    iteration: iter_base + p.iteration,
                    seconds: seconds_base + p.seconds,
                    total_iterations,
                    weights,
                    prepared: prepared_ref,
                })
            };
            optimise(&prepared, &cfg, &mut inner)?
        };
        iter_base += o.iterations;
        eval_base += o.evals;
        seconds_base += o.seconds;
        let early = !matches!(o.stop, StopReason::Iterations | StopReason::Converged(_));
        last = Some(o);
        if early {
            break;
        }
    }
    let outcome = last.expect("at least one scale");
    Ok(Scaled { outcome, iterations: iter_base, evals: eval_base, seconds: seconds_base })
}
