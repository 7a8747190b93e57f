//! The main job: load, check, prepare, optimise (scale by scale), report, save.
//! [`Painter`] keeps what one picture leaves for the next (the network, the
//! trace, the style targets), so `batch` paints many with it.

use crate::args::Args;
use crate::{check_writable, load_network, report, signals, Fail};
use ndarray::Array3;
use neural_style::optim::{Control, StopReason};
use neural_style::transfer::{self, Init, MemoryLimit, Outcome, RunOptions, ScaledProgress, Scaling, StyleCache};
use neural_style::{image_io, Error, Tap, Vgg19};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

fn dims(x: &Array3<f32>) -> (usize, usize) {
    (x.dim().1, x.dim().2)
}

/// One picture to paint.
pub(crate) struct Picture<'a> {
    pub content: Option<&'a Array3<f32>>,
    pub styles: &'a [Array3<f32>],
    /// The caller's name for `styles`, for the style-target cache.
    pub style_key: u64,
    /// Where the result goes (numbered snapshots are named after it).
    pub output: &'a Path,
    /// `[7/40] beach__starry` in a batch; printed before each progress line and
    /// written to the trace as `"item"`.
    pub item: Option<String>,
    /// The start, if not the one the flags say (resized to the result).
    pub init: Option<Array3<f32>>,
    /// For the batch's ETA: pictures after this one, and the mean seconds of
    /// those already painted, if any.
    pub after: Option<(usize, Option<f64>)>,
}

/// A painted picture, counted over all its scales.
pub(crate) struct Painted {
    pub outcome: Outcome,
    pub iterations: usize,
    pub evals: usize,
    pub seconds: f64,
    /// The last numbered snapshot written (`--save-every`), 0 if none.
    last_saved: usize,
}

/// What stays from one picture to the next.
pub(crate) struct Painter<'a> {
    a: &'a Args,
    /// The flags' configuration with the masks loaded.
    config: transfer::Config,
    pub net: Arc<Vgg19>,
    started: Instant,
    trace: Option<BufWriter<File>>,
    pub cache: StyleCache,
}

impl<'a> Painter<'a> {
    /// Loads the network (as deep as the deepest tap) and opens the trace.
    pub fn new(a: &'a Args, started: Instant) -> Result<Self, Fail> {
        let c = &a.config;
        let deepest = c.content_layers.iter().chain(&c.style_layers).max().copied().expect("parse requires a content or style layer");
        let net = Arc::new(load_network(a.weights.as_ref(), a.pooling, a.normalized, deepest as Tap)?);
        let trace = match &a.trace {
            Some(p) => Some(BufWriter::new(File::create(p).map_err(|e| Error::io(p, e))?)),
            None => None,
        };
        let mut config = a.config.clone();
        config.style_masks = a.style_masks.as_deref().map(load_masks).transpose()?;
        config.style_image_masks = a.style_image_masks.as_deref().map(load_masks).transpose()?;
        Ok(Painter { a, config, net, started, trace, cache: StyleCache::new() })
    }

    /// Paints one picture, scale by scale. Stops early (with the best image so
    /// far) on Ctrl-C or when the trace or a snapshot cannot be written.
    pub fn paint(&mut self, picture: &Picture) -> Result<Painted, Fail> {
        let a = self.a;
        let mut config = self.config.clone();
        if let Some(img) = &picture.init {
            config.init = Init::Image(img.clone());
        }
        let content = picture.content.map(|c| c.view());
        let styles: Vec<_> = picture.styles.iter().map(|s| s.view()).collect();
        let limit = match a.max_memory_mb {
            Some(mb) => MemoryLimit::Bytes(mb * 1024 * 1024),
            None => MemoryLimit::Available,
        };
        // Inside the run's pool (main.rs): its threads are the run's.
        transfer::check_memory(&self.net, &config, content, styles.first().copied(), limit, rayon::current_num_threads())?;

        let prefix = picture.item.as_ref().map(|i| format!("{i}: ")).unwrap_or_default();
        let (quiet, started) = (a.quiet, self.started);
        let mut on_scale = |k: usize, schedule: &[transfer::Scale], prepared: &transfer::Prepared| {
            let n = schedule.len();
            if !quiet {
                let (_, ph, pw) = prepared.x0.dim();
                eprintln!(
                    "neural-style: {prefix}{:?}, {pw}x{ph}{}, {} threads, {} iterations; {:.1}s since start",
                    prepared.mode,
                    if n > 1 { format!(" (scale {} of {n})", k + 1) } else { String::new() },
                    rayon::current_num_threads(),
                    schedule[k].iterations,
                    started.elapsed().as_secs_f64()
                );
            }
        };
        let mut trace_error: Option<Error> = None;
        let mut save_error: Option<Error> = None;
        let mut last_saved = 0;
        let trace = &mut self.trace;
        let mut callback = |sp: &ScaledProgress| {
            let p = sp.progress;
            if let (Some(t), Some(path)) = (trace.as_mut(), a.trace.as_ref()) {
                let record = report::trace_record(sp, config.loss_scale.name(), picture.item.as_deref());
                // Line by line, flushed: `tail -f` follows it and a killed run keeps it.
                if let Err(e) = writeln!(t, "{}", record.to_json()).and_then(|_| t.flush()) {
                    trace_error.get_or_insert(Error::io(path, e));
                }
            }
            if !a.quiet && (p.eval == 1 || p.eval.is_multiple_of(a.print_every)) {
                let per_iter = sp.seconds / sp.iteration.max(1) as f64;
                let left = per_iter * sp.total_iterations.saturating_sub(sp.iteration) as f64;
                let batch = match picture.after {
                    Some((n, mean)) => {
                        let each = mean.unwrap_or(per_iter * sp.total_iterations as f64);
                        format!(", batch {} left", report::duration(left + each * n as f64))
                    }
                    None => String::new(),
                };
                eprintln!(
                    "{prefix}eval {:>5}  iter {:>4}/{}  loss {:.4e}  ({})  {:.2}s/iter  {} left{batch}",
                    sp.eval,
                    sp.iteration,
                    sp.total_iterations,
                    p.evaluation.loss,
                    report::shares(p.evaluation, sp.weights),
                    per_iter,
                    report::duration(left)
                );
            }
            if let Some(every) = a.save_every {
                if sp.iteration >= last_saved + every {
                    last_saved = sp.iteration - sp.iteration % every;
                    let x = ndarray::ArrayView3::from_shape(p.x.dim(), p.best).unwrap();
                    if let Err(e) = image_io::save(sp.prepared.picture(x).view(), &numbered(picture.output, last_saved)) {
                        save_error.get_or_insert(e);
                    }
                }
            }
            if signals::stop_requested() || trace_error.is_some() || save_error.is_some() {
                Control::Stop
            } else {
                Control::Continue
            }
        };
        let options = RunOptions {
            scaling: Scaling { scales: a.scales, iterations: a.scale_iterations.clone() },
            cache: Some((&mut self.cache, picture.style_key)),
            cancel: Some(signals::cancel_flag()),
            on_scale: Some(&mut on_scale),
        };
        let scaled = transfer::run_scaled(self.net.clone(), &config, content, &styles, options, &mut callback)?;
        if let (Some(t), Some(path)) = (self.trace.as_mut(), a.trace.as_ref()) {
            t.flush().map_err(|e| Error::io(path, e))?;
        }
        if let Some(e) = trace_error.or(save_error) {
            return Err(Fail::Run(e));
        }
        Ok(Painted { outcome: scaled.outcome, iterations: scaled.iterations, evals: scaled.evals, seconds: scaled.seconds, last_saved })
    }

    /// Writes the last numbered snapshot, which the callback cannot see: the
    /// last iteration ends after the last evaluation.
    pub fn last_snapshot(&self, painted: &Painted, output: &Path) -> Result<(), Error> {
        if let Some(every) = self.a.save_every {
            if painted.iterations.is_multiple_of(every) && painted.iterations > painted.last_saved {
                image_io::save(painted.outcome.image.view(), &numbered(output, painted.iterations))?;
            }
        }
        Ok(())
    }
}

/// One picture from the command line.
pub(crate) fn run(a: &Args) -> Result<i32, Fail> {
    signals::install();
    let started = Instant::now();
    image_io::format_for(&a.output).map_err(|e| Fail::Usage(format!("--output: {e}")))?;
    let mut inputs: Vec<&Path> = a.styles.iter().map(PathBuf::as_path).collect();
    inputs.extend(a.content.as_deref());
    inputs.extend(a.init_path.as_deref());
    inputs.extend(a.weights.as_deref());
    inputs.extend(a.style_masks.iter().chain(&a.style_image_masks).flatten().map(PathBuf::as_path));
    check_writable("--output", &a.output, &inputs)?;
    if let Some(t) = &a.trace {
        let mut all = inputs.clone();
        all.push(&a.output);
        check_writable("--trace", t, &all)?;
    }

    let mut painter = Painter::new(a, started)?;
    let content = a.content.as_deref().map(image_io::load).transpose()?;
    let styles = a.styles.iter().map(|p| image_io::load(p)).collect::<Result<Vec<_>, _>>()?;
    let mut init = None;
    if let Some(p) = &a.init_path {
        let img = image_io::load(p)?;
        let (h, w) = a.config.output_size(content.as_ref().map(dims), styles.first().map(dims))?;
        if dims(&img) != (h, w) && !a.quiet {
            eprintln!("neural-style: --init: {} is {}x{}; resized to the result's {w}x{h}", p.display(), img.dim().2, img.dim().1);
        }
        init = Some(img);
    }
    let picture = Picture { content: content.as_ref(), styles: &styles, style_key: 0, output: &a.output, item: None, init, after: None };
    let painted = painter.paint(&picture)?;
    let outcome = &painted.outcome;
    let (_, h, w) = outcome.image.dim();
    image_io::save(outcome.image.view(), &a.output)?;
    painter.last_snapshot(&painted, &a.output)?;
    if !a.quiet {
        eprintln!(
            "neural-style: wrote {} ({w}x{h}): loss {:.4e} after {} iterations, {} evaluations, {} ({:.2}s per evaluation at the last scale, {:.1}% outside the passes); stopped: {:?}",
            a.output.display(),
            outcome.loss,
            painted.iterations,
            painted.evals,
            report::duration(painted.seconds),
            outcome.seconds / outcome.evals.max(1) as f64,
            100.0 * (1.0 - outcome.eval_seconds / outcome.seconds.max(1e-9)),
            outcome.stop
        );
    }
    match &outcome.stop {
        StopReason::Stopped if signals::stop_requested() => {
            eprintln!("neural-style: interrupted; wrote the best image so far to {}", a.output.display());
            Ok(130)
        }
        StopReason::NonFinite(why) => {
            eprintln!("neural-style: non-finite values: {why}; wrote the last finite image to {}", a.output.display());
            Ok(1)
        }
        _ => Ok(0),
    }
}

/// Greyscale masks in [0, 1] (the mean of the channels).
fn load_masks(paths: &[PathBuf]) -> Result<Vec<ndarray::Array2<f32>>, Error> {
    paths.iter().map(|p| Ok(image_io::load(p)?.mean_axis(ndarray::Axis(0)).expect("three channels"))).collect()
}

/// `out.png` -> `out_0010.png`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}_{n:04}.{ext}"))
}
