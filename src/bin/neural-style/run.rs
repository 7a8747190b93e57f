//! The main job: load, check, prepare, optimise (scale by scale), report, save.

use crate::args::Args;
use crate::{check_writable, load_network, report, signals, Fail};
use neural_style::transfer::{self, Control, Init, StopReason};
use neural_style::{image_io, Error, Tap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Memory the machine can give now (Linux `MemAvailable`), in bytes.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub(crate) fn run(a: &Args) -> Result<i32, Fail> {
    signals::install();
    let started = Instant::now();
    image_io::format_for(&a.output).map_err(|e| Fail::Usage(format!("--output: {e}")))?;
    let mut inputs: Vec<&Path> = a.styles.iter().map(PathBuf::as_path).collect();
    inputs.extend(a.content.as_deref());
    inputs.extend(a.init_path.as_deref());
    inputs.extend(a.weights.as_deref());
    check_writable("--output", &a.output, &inputs)?;
    if let Some(t) = &a.trace {
        let mut all = inputs.clone();
        all.push(&a.output);
        check_writable("--trace", t, &all)?;
    }

    let mut config = a.config.clone();
    let taps: Vec<Tap> = config.content_layers.iter().chain(&config.style_layers).copied().collect();
    let deepest = taps.iter().max().copied().expect("parse requires a content or style layer");
    let net = Arc::new(load_network(a.weights.as_ref(), a.pooling, a.normalized, deepest)?);

    let content = a.content.as_deref().map(image_io::load).transpose()?;
    let styles = a.styles.iter().map(|p| image_io::load(p)).collect::<Result<Vec<_>, _>>()?;
    let dims = |x: &ndarray::Array3<f32>| (x.dim().1, x.dim().2);
    let (h, w) = config.output_size(content.as_ref().map(dims), styles.first().map(dims))?;
    if let Some(p) = &a.init_path {
        let mut img = image_io::load(p)?;
        if dims(&img) != (h, w) {
            if !a.quiet {
                eprintln!("neural-style: --init: {} is {}x{}; resized to the result's {w}x{h}", p.display(), img.dim().2, img.dim().1);
            }
            img = image_io::resize(img.view(), h, w);
        }
        config.init = Init::Image(img);
    }

    let need = transfer::estimate_memory(&net, &config, h, w);
    let limit = a.max_memory_mb.map(|mb| mb * 1024 * 1024).or_else(available_memory);
    if let Some(limit) = limit {
        if need > limit {
            // The largest --size (shrinking by 10%) whose estimate fits.
            let mut fit = None;
            let mut size = config.size;
            while size > 16 && fit.is_none() {
                size = (size * 9 / 10).max(16);
                let mut c = config.clone();
                c.size = size;
                let (fh, fw) = c.output_size(content.as_ref().map(dims), styles.first().map(dims))?;
                if transfer::estimate_memory(&net, &c, fh, fw) <= limit {
                    fit = Some(size);
                }
            }
            let advice = match fit {
                Some(s) => format!("--size {s} would fit"),
                None => "even --size 16 would not fit (the network's weights alone need more)".to_string(),
            };
            let limit = match a.max_memory_mb {
                Some(_) => format!("--max-memory allows {} MB", limit >> 20),
                None => format!("this machine has {} MB available", limit >> 20),
            };
            return Err(Fail::Run(Error::Memory(format!("a {w}x{h} run needs about {} MB but {limit}; {advice}", need >> 20))));
        }
    }

    let content_view = content.as_ref().map(|c| c.view());
    let style_views: Vec<_> = styles.iter().map(|s| s.view()).collect();
    let schedule = transfer::coarse_to_fine(config.size, a.scales, config.iterations, a.scale_iterations.as_deref())?;
    let mut trace = match &a.trace {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p).map_err(|e| Error::io(p, e))?)),
        None => None,
    };
    let mut trace_error: Option<Error> = None;
    let mut save_error: Option<Error> = None;
    let mut last_saved = 0;
    // Iterations and evaluations of the scales already done.
    let (mut iter_base, mut eval_base, mut seconds_base) = (0, 0, 0.0);
    let mut outcome = None;
    for (k, step) in schedule.iter().enumerate() {
        let mut cfg = config.clone();
        cfg.size = step.size;
        cfg.iterations = step.iterations;
        if let Some(prev) = &outcome {
            // Start from the previous scale's result, upsampled.
            let prev: &transfer::Outcome = prev;
            let (ph, pw) = cfg.output_size(content.as_ref().map(dims), styles.first().map(dims))?;
            cfg.init = Init::Image(image_io::resize(prev.image.view(), ph, pw));
        }
        let mut prepared = transfer::prepare(net.clone(), &cfg, content_view, &style_views)?;
        prepared.objective.set_cancel(signals::cancel_flag());
        let (_, ph, pw) = prepared.x0.dim();
        if !a.quiet {
            eprintln!(
                "neural-style: {:?}, {pw}x{ph}{}, {} threads, {} iterations; {:.1}s since start",
                prepared.mode,
                if schedule.len() > 1 { format!(" (scale {} of {})", k + 1, schedule.len()) } else { String::new() },
                rayon::current_num_threads(),
                cfg.iterations,
                started.elapsed().as_secs_f64()
            );
        }
        let weights = prepared.objective.weights;
        let mut callback = |p: &transfer::Progress| {
            if let (Some(t), Some(path)) = (trace.as_mut(), a.trace.as_ref()) {
                let line = report::trace_line(p, eval_base, iter_base, seconds_base, weights, cfg.loss_scale.name());
                // Line by line, flushed: `tail -f` follows it and a killed run keeps it.
                if let Err(e) = writeln!(t, "{line}").and_then(|_| t.flush()) {
                    trace_error.get_or_insert(Error::io(path, e));
                }
            }
            if !a.quiet && (p.eval == 1 || p.eval.is_multiple_of(a.print_every)) {
                let per_iter = p.seconds / p.iteration.max(1) as f64;
                let left = per_iter * cfg.iterations.saturating_sub(p.iteration) as f64;
                eprintln!(
                    "eval {:>5}  iter {:>4}/{}  loss {:.4e}  ({})  {:.2}s/iter  {} left",
                    p.eval,
                    p.iteration,
                    cfg.iterations,
                    p.evaluation.loss,
                    report::shares(p.evaluation, weights),
                    per_iter,
                    report::duration(left)
                );
            }
            if let Some(every) = a.save_every {
                let done = iter_base + p.iteration;
                if done >= last_saved + every {
                    last_saved = done - done % every;
                    let x = ndarray::ArrayView3::from_shape(p.x.dim(), p.best).unwrap();
                    if let Err(e) = image_io::save(prepared.picture(x).view(), &numbered(&a.output, last_saved)) {
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
        let o = transfer::optimise(&prepared, &cfg, &mut callback)?;
        iter_base += o.iterations;
        eval_base += o.evals;
        seconds_base += o.seconds;
        let stop_early = !matches!(o.stop, StopReason::Iterations | StopReason::Converged(_));
        outcome = Some(o);
        if stop_early {
            break;
        }
    }
    let outcome = outcome.expect("at least one scale");
    let (_, h, w) = outcome.image.dim();
    if let Some(t) = trace.as_mut() {
        t.flush().map_err(|e| Error::io(a.trace.as_ref().unwrap(), e))?;
    }
    image_io::save(outcome.image.view(), &a.output)?;
    if let Some(every) = a.save_every {
        // The last iteration ends after the last evaluation the callback saw.
        if iter_base % every == 0 && iter_base > last_saved {
            image_io::save(outcome.image.view(), &numbered(&a.output, iter_base))?;
        }
    }
    if let Some(e) = trace_error.or(save_error) {
        return Err(Fail::Run(e));
    }
    if !a.quiet {
        eprintln!(
            "neural-style: wrote {} ({w}x{h}): loss {:.4e} after {} iterations, {} evaluations, {} ({:.2}s per evaluation at the last scale, {:.1}% outside the passes); stopped: {:?}",
            a.output.display(),
            outcome.loss,
            iter_base,
            eval_base,
            report::duration(seconds_base),
            outcome.seconds / outcome.evals.max(1) as f64,
            100.0 * (1.0 - outcome.eval_seconds / outcome.seconds.max(1e-9)),
            outcome.stop
        );
    }
    match outcome.stop {
        StopReason::Stopped if signals::stop_requested() => {
            eprintln!("neural-style: interrupted; wrote the best image so far to {}", a.output.display());
            Ok(130)
        }
        StopReason::NonFinite(why) => {
            Err(Fail::Run(Error::NonFinite(format!("{why}; wrote the last finite image to {}", a.output.display()))))
        }
        _ => Ok(0),
    }
}

/// `out.png` -> `out_0010.png`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}_{n:04}.{ext}"))
}
