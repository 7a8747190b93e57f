//! The smaller subcommands: calibrate (the paper's normalised network), sheet
//! (contact sheets), plot (loss curves from a trace).

use crate::args::{path, positive, word, Problems};
use crate::flags::{self, Cmd, Raw};
use crate::{check_writable, Fail};
use neural_style::{image_io, weights, Error, Pooling};
use std::path::{Path, PathBuf};

/// `calibrate`, `sheet` or `plot`: every problem of the command line at once,
/// then the work.
pub(crate) fn run(cmd: Cmd, raw: &Raw) -> Result<i32, Fail> {
    let mut p = Problems(raw.errors.clone());
    match cmd {
        Cmd::Calibrate => {
            let images = p.required(raw, "calibrate", "--images", "DIR", path);
            let output = p.required(raw, "calibrate", "--output", "PATH", path);
            let size = p.read(raw, "--size", positive).unwrap_or(flags::DEFAULT_CALIBRATE_SIZE);
            let pooling: Pooling = p.read(raw, "--pooling", word).unwrap_or_default();
            p.finish()?;
            let weights = raw.value("--weights").map(PathBuf::from);
            calibrate(&images.unwrap_or_default(), &output.unwrap_or_default(), weights, size, pooling, raw.has("--exact"))
        }
        Cmd::Sheet => {
            let stem = |a: &str| Path::new(a).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let items: Vec<(PathBuf, String)> = (raw.positionals.iter())
                .map(|a| a.split_once('=').map_or((a.into(), stem(a)), |(path, label)| (path.into(), label.into())))
                .collect();
            if items.is_empty() {
                p.push("sheet: give at least one IMAGE[=LABEL]");
            }
            let output = p.required(raw, "sheet", "--output", "PATH", path);
            let cols = p.read(raw, "--cols", positive).unwrap_or(flags::DEFAULT_SHEET_COLS);
            let cell = p.read(raw, "--cell", positive);
            p.finish()?;
            sheet(&output.unwrap_or_default(), cols, cell, &items)
        }
        Cmd::Flow => {
            let from = p.required(raw, "flow", "--from", "PATH", path);
            let to = p.required(raw, "flow", "--to", "PATH", path);
            let output = p.required(raw, "flow", "--output", "PATH", path);
            let size = p.read(raw, "--size", positive);
            let threads = p.read(raw, "--threads", positive);
            p.finish()?;
            let (from, to, output) = (from.unwrap_or_default(), to.unwrap_or_default(), output.unwrap_or_default());
            let picture = raw.value("--picture").map(PathBuf::from);
            crate::pool(threads)?.install(|| flow(&from, &to, &output, picture.as_deref(), size))
        }
        _ => {
            let trace = p.required(raw, "plot", "--trace", "PATH", path);
            let output = p.required(raw, "plot", "--output", "PATH", path);
            p.finish()?;
            plot(&trace.unwrap_or_default(), &output.unwrap_or_default(), raw.value("--title").unwrap_or(flags::DEFAULT_PLOT_TITLE))
        }
    }
}

fn calibrate(images: &Path, output: &Path, weights: Option<PathBuf>, size: usize, pooling: Pooling, exact: bool) -> Result<i32, Fail> {
    let mut file = match &weights {
        Some(p) => weights::load(p)?,
        None => weights::shipped(),
    };
    check_writable("--output", output, &weights.iter().map(PathBuf::as_path).collect::<Vec<_>>())?;
    let paths = image_io::images_in(images)?;
    if paths.is_empty() {
        return Err(Fail::Usage(format!("--images: no PNG or JPEG files in {}", images.display())));
    }
    if exact {
        if pooling != Pooling::Avg {
            return Err(Fail::Usage("calibrate --exact: average pooling only (the paper's)".into()));
        }
        let text = weights::normalise::calibrate_exact(&mut file, &paths, size)?;
        image_io::write_atomic(output, text.as_bytes())?;
        eprintln!("neural-style: wrote {} ({} images)", output.display(), paths.len());
        return Ok(0);
    }
    let floored = weights::normalise::calibrate(&mut file, &paths, size, pooling)?;
    image_io::write_atomic(output, &file.to_bytes())?;
    eprintln!(
        "neural-style: wrote {} with per-filter scales from {} images at {} px ({floored} nearly dead filters floored at {}x their layer's median)",
        output.display(),
        paths.len(),
        size,
        weights::normalise::SCALE_FLOOR
    );
    Ok(0)
}

fn sheet(output: &Path, cols: usize, cell: Option<usize>, items: &[(PathBuf, String)]) -> Result<i32, Fail> {
    image_io::format_for(output).map_err(|e| Fail::Usage(format!("--output: {e}")))?;
    check_writable("--output", output, &items.iter().map(|(p, _)| p.as_path()).collect::<Vec<_>>())?;
    let mut pictures = Vec::new();
    for (p, label) in items {
        let img = image_io::load(p)?;
        let img = match cell {
            Some(n) => image_io::resize_longest(img.view(), n),
            None => img,
        };
        pictures.push((img, label.clone()));
    }
    let cells: Vec<_> = pictures.iter().map(|(img, l)| (img.view(), l.clone())).collect();
    image_io::save(neural_style::figures::sheet::contact_sheet(&cells, cols).view(), output)?;
    Ok(0)
}

fn plot(trace: &Path, output: &Path, title: &str) -> Result<i32, Fail> {
    let text = std::fs::read_to_string(trace).map_err(|e| Error::io(trace, e))?;
    let series =
        neural_style::figures::plot::read_trace(&text).map_err(|e| Fail::Run(Error::Config(format!("{}: {e}", trace.display()))))?;
    check_writable("--output", output, &[trace])?;
    image_io::write_atomic(output, neural_style::figures::plot::svg(&series, title).as_bytes())?;
    Ok(0)
}

/// The optical flow from one frame to the next, as `.flo` and, if asked, as a picture.
fn flow(from: &Path, to: &Path, output: &Path, picture: Option<&Path>, size: Option<usize>) -> Result<i32, Fail> {
    check_writable("--output", output, &[from, to])?;
    if let Some(p) = picture {
        image_io::format_for(p).map_err(|e| Fail::Usage(format!("--picture: {e}")))?;
        check_writable("--picture", p, &[from, to, output])?;
    }
    let fit = |p: &Path| -> Result<_, Error> {
        let img = image_io::load(p)?;
        Ok(match size {
            Some(n) => image_io::resize_longest(img.view(), n),
            None => img,
        })
    };
    let (a, b) = (fit(from)?, fit(to)?);
    if a.dim() != b.dim() {
        let (d, e) = (a.dim(), b.dim());
        return Err(Fail::Usage(format!("--to: {}x{} against --from's {}x{}: the frames must be the same size", e.2, e.1, d.2, d.1)));
    }
    let started = std::time::Instant::now();
    let f = neural_style::flow::estimate(a.view(), b.view(), &neural_style::flow::TvL1::default());
    let seconds = started.elapsed().as_secs_f64();
    neural_style::flow::files::save_flo(&f, output)?;
    if let Some(p) = picture {
        image_io::save(neural_style::flow::files::picture(&f).view(), p)?;
    }
    let (h, w) = f.dim();
    eprintln!(
        "neural-style: wrote {} ({w}x{h}, largest motion {:.1} px) in {seconds:.2}s",
        output.display(),
        neural_style::flow::files::largest(&f)
    );
    Ok(0)
}
