//! One picture from the command line, and what single runs and `batch` share:
//! the session built from the flags, and the progress lines.

use crate::args::Args;
use crate::{check_writable, signals, Fail};
use neural_style::optim::StopReason;
use neural_style::transfer::{Control, MemoryLimit, Picture, Prepared, Scale, ScaledProgress, Session};
use neural_style::{image_io, weights, Error};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The session the flags ask for: the network as deep as the deepest tap, the
/// masks loaded, the memory limit, snapshots, the trace and Ctrl-C.
pub(crate) fn session(a: &Args) -> Result<Session, Fail> {
    let mut net = weights::network(a.weights.as_deref(), a.pooling, a.normalized, a.config.deepest_tap())?;
    net.set_precision(a.precision)?;
    let mut config = a.config.clone();
    config.style_masks = a.style_masks.as_deref().map(load_masks).transpose()?;
    config.style_image_masks = a.style_image_masks.as_deref().map(load_masks).transpose()?;
    let limit = a.max_memory_mb.map_or(MemoryLimit::Available, |mb| MemoryLimit::Bytes(mb * 1024 * 1024));
    let mut s = Session::new(Arc::new(net), config)?.memory_limit(limit).save_every(a.save_every).cancel_with(signals::cancel_flag());
    if let Some(t) = &a.trace {
        s = s.trace_to(t)?;
    }
    Ok(s)
}

/// Greyscale masks in [0, 1] (the mean of the channels).
fn load_masks(paths: &[PathBuf]) -> Result<Vec<ndarray::Array2<f32>>, Error> {
    paths.iter().map(|p| Ok(image_io::load(p)?.mean_axis(ndarray::Axis(0)).expect("three channels"))).collect()
}

/// The line told as each scale starts.
pub(crate) fn scale_line(a: &Args, prefix: &str, k: usize, schedule: &[Scale], prepared: &Prepared, started: Instant) {
    if a.quiet {
        return;
    }
    let (n, (_, ph, pw)) = (schedule.len(), prepared.x0.dim());
    eprintln!(
        "neural-style: {prefix}{:?}, {pw}x{ph}{}, {} threads, {} iterations; {:.1}s since start",
        prepared.mode,
        if n > 1 { format!(" (scale {} of {n})", k + 1) } else { String::new() },
        rayon::current_num_threads(),
        schedule[k].iterations,
        started.elapsed().as_secs_f64()
    );
}

/// The progress line every `--print-every` evaluations; `batch_left` is the
/// batch's ETA after this item, `(items, mean seconds of one)`. Stops on Ctrl-C.
pub(crate) fn progress_line(a: &Args, prefix: &str, sp: &ScaledProgress, batch_left: Option<(usize, Option<f64>)>) -> Control {
    let p = sp.progress;
    if !a.quiet && (p.eval == 1 || p.eval.is_multiple_of(a.print_every)) {
        let per_iter = sp.seconds / sp.iteration.max(1) as f64;
        let left = per_iter * sp.total_iterations.saturating_sub(sp.iteration) as f64;
        let batch = match batch_left {
            Some((n, mean)) => {
                let each = mean.unwrap_or(per_iter * sp.total_iterations as f64);
                format!(", batch {} left", duration(left + each * n as f64))
            }
            None => String::new(),
        };
        eprintln!(
            "{prefix}eval {:>5}  iter {:>4}/{}  loss {:.4e}  ({})  {:.2}s/iter  {} left{batch}",
            sp.eval,
            sp.iteration,
            sp.total_iterations,
            p.evaluation.loss,
            shares(p.evaluation, sp.weights),
            per_iter,
            duration(left)
        );
    }
    if signals::stop_requested() {
        Control::Stop
    } else {
        Control::Continue
    }
}

/// What the user may not expect: the mode picked by the images alone, and
/// masks of another shape than the photograph (stretched to it).
fn notes(a: &Args, content: Option<&ndarray::Array3<f32>>) {
    match (content, a.styles.is_empty()) {
        (Some(_), true) => eprintln!("neural-style: no --style given: a content reconstruction (add --style PAINTING for a transfer)"),
        (None, false) => eprintln!("neural-style: no --content given: texture synthesis from the painting"),
        _ => {}
    }
    let Some(c) = content else { return };
    let aspect = |h: usize, w: usize| w as f64 / h as f64;
    let want = aspect(c.dim().1, c.dim().2);
    for p in a.style_masks.iter().flatten() {
        if let Ok((w, h)) = image::image_dimensions(p) {
            if (aspect(h as usize, w as usize) / want - 1.0).abs() > 0.02 {
                eprintln!("neural-style: note: {} is {w}x{h}, another shape than the photograph: it is stretched to it", p.display());
            }
        }
    }
}

/// One picture from the command line.
pub(crate) fn run(a: &Args) -> Result<i32, Fail> {
    signals::install(false);
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

    let mut session = session(a)?;
    let content = a.content.as_deref().map(image_io::load).transpose()?;
    let styles = a.styles.iter().map(|p| image_io::load(p)).collect::<Result<Vec<_>, _>>()?;
    let style_views: Vec<_> = styles.iter().map(|s| s.view()).collect();
    let mut init = None;
    if let Some(p) = &a.init_path {
        let img = image_io::load(p)?;
        let (h, w) =
            a.config.output_size(content.as_ref().map(|c| image_io::dims(&c.view())), styles.first().map(|s| image_io::dims(&s.view())))?;
        if image_io::dims(&img.view()) != (h, w) && !a.quiet {
            eprintln!("neural-style: --init: {} is {}x{}; resized to the result's {w}x{h}", p.display(), img.dim().2, img.dim().1);
        }
        init = Some(img);
    }
    if !a.quiet {
        notes(a, content.as_ref());
    }
    let picture =
        Picture { content: content.as_ref().map(|c| c.view()), styles: &style_views, output: Some(&a.output), init, ..Default::default() };
    let painted = session.paint(&picture, &mut |k, schedule, prepared| scale_line(a, "", k, schedule, prepared, started), &mut |sp| {
        progress_line(a, "", sp, None)
    })?;
    let outcome = &painted.outcome;
    let (_, h, w) = outcome.image.dim();
    image_io::save(outcome.image.view(), &a.output)?;
    if !a.quiet {
        eprintln!(
            "neural-style: wrote {} ({w}x{h}): loss {:.4e} after {} iterations, {} evaluations, {} ({:.2}s per evaluation at the last scale, {:.1}% outside the passes); stopped: {}",
            a.output.display(),
            outcome.loss,
            painted.iterations,
            painted.evals,
            duration(painted.seconds),
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

/// `1h02m`, `3m05s`, `12.3s`.
pub fn duration(s: f64) -> String {
    if !s.is_finite() {
        return "?".into();
    }
    let t = s.round() as u64;
    if t >= 3600 {
        format!("{}h{:02}m", t / 3600, (t % 3600) / 60)
    } else if t >= 60 {
        format!("{}m{:02}s", t / 60, t % 60)
    } else {
        format!("{s:.1}s")
    }
}

/// The weighted parts of the loss in use, as shares of it: `content 31% style 69%`.
pub fn shares(e: &neural_style::Evaluation, w: neural_style::LossWeights) -> String {
    let parts = [("content", w.content as f64 * e.content), ("style", w.style as f64 * e.style), ("tv", w.tv as f64 * e.tv)];
    let used: Vec<(&str, f64)> = parts.into_iter().zip([w.content, w.style, w.tv]).filter(|(_, wt)| *wt != 0.0).map(|(p, _)| p).collect();
    let total: f64 = used.iter().map(|(_, v)| v).sum();
    used.iter().map(|(name, v)| format!("{name} {:.0}%", if total > 0.0 { 100.0 * v / total } else { 0.0 })).collect::<Vec<_>>().join(" ")
}
