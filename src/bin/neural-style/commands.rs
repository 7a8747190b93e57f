//! The smaller subcommands: calibrate (the paper's normalised network), sheet
//! (contact sheets), plot (loss curves from a trace).

use crate::args::{CalibrateArgs, PlotArgs, SheetArgs};
use crate::{check_writable, Fail};
use neural_style::{image_io, weights, Error};
use std::path::PathBuf;

pub(crate) fn calibrate(c: &CalibrateArgs) -> Result<i32, Fail> {
    let mut file = match &c.weights {
        Some(p) => weights::load(p)?,
        None => weights::shipped(),
    };
    check_writable("--output", &c.output, &c.weights.iter().map(PathBuf::as_path).collect::<Vec<_>>())?;
    let paths = image_io::images_in(&c.images)?;
    if paths.is_empty() {
        return Err(Fail::Usage(format!("--images: no PNG or JPEG files in {}", c.images.display())));
    }
    if c.exact {
        if c.pooling != neural_style::Pooling::Avg {
            return Err(Fail::Usage("calibrate --exact: average pooling only (the paper's)".into()));
        }
        let text = weights::normalise::calibrate_exact(&mut file, &paths, c.size)?;
        image_io::write_atomic(&c.output, text.as_bytes())?;
        eprintln!("neural-style: wrote {} ({} images)", c.output.display(), paths.len());
        return Ok(0);
    }
    let floored = weights::normalise::calibrate(&mut file, &paths, c.size, c.pooling)?;
    image_io::write_atomic(&c.output, &file.to_bytes())?;
    eprintln!(
        "neural-style: wrote {} with per-filter scales from {} images at {} px ({floored} nearly dead filters floored at {}x their layer's median)",
        c.output.display(),
        paths.len(),
        c.size,
        weights::normalise::SCALE_FLOOR
    );
    Ok(0)
}

pub(crate) fn sheet(c: &SheetArgs) -> Result<i32, Fail> {
    image_io::format_for(&c.output).map_err(|e| Fail::Usage(format!("--output: {e}")))?;
    check_writable("--output", &c.output, &c.items.iter().map(|(p, _)| p.as_path()).collect::<Vec<_>>())?;
    let mut pictures = Vec::new();
    for (p, label) in &c.items {
        let img = image_io::load(p)?;
        let img = match c.cell {
            Some(n) => image_io::resize_longest(img.view(), n),
            None => img,
        };
        pictures.push((img, label.clone()));
    }
    let cells: Vec<_> = pictures.iter().map(|(img, l)| (img.view(), l.clone())).collect();
    image_io::save(neural_style::figures::sheet::contact_sheet(&cells, c.cols).view(), &c.output)?;
    Ok(0)
}

pub(crate) fn plot(c: &PlotArgs) -> Result<i32, Fail> {
    let text = std::fs::read_to_string(&c.trace).map_err(|e| Error::io(&c.trace, e))?;
    let series =
        neural_style::figures::plot::read_trace(&text).map_err(|e| Fail::Run(Error::Config(format!("{}: {e}", c.trace.display()))))?;
    check_writable("--output", &c.output, &[c.trace.as_path()])?;
    image_io::write_atomic(&c.output, neural_style::figures::plot::svg(&series, &c.title).as_bytes())?;
    Ok(0)
}
