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
        return calibrate_exact(c, file, &paths);
    }
    let conv = file.convention;
    let mut pre = Vec::new();
    for p in &paths {
        let img = image_io::load(p)?;
        pre.push(conv.preprocess(image_io::resize_longest(img.view(), c.size).view()));
    }
    let views: Vec<_> = pre.iter().map(|x| x.view()).collect();
    let means = weights::normalise::mean_activations(&file, c.pooling, &views)?;
    let floored = weights::normalise::store_scales(&mut file, &means);
    image_io::write_atomic(&c.output, &file.to_bytes())?;
    eprintln!(
        "neural-style: wrote {} with per-filter scales from {} images at {} px ({} nearly dead filters floored at {}x their layer's median)",
        c.output.display(),
        paths.len(),
        c.size,
        floored,
        weights::normalise::SCALE_FLOOR
    );
    Ok(0)
}

/// The f64 reference calibration: a scales file with the same bytes on any machine.
fn calibrate_exact(c: &CalibrateArgs, mut file: weights::WeightsFile, paths: &[PathBuf]) -> Result<i32, Fail> {
    if c.pooling != neural_style::Pooling::Avg {
        return Err(Fail::Usage("calibrate --exact: average pooling only (the paper's)".into()));
    }
    let mut images = Vec::new();
    for p in paths {
        images.push(weights::exact::prepare_image(&file, &weights::exact::load_png(p)?, c.size));
    }
    let means = weights::exact::mean_activations(&file, &images)?;
    let floored = weights::normalise::store_scales(&mut file, &means);
    let names: Vec<String> = paths.iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
    let sizes: Vec<String> = images.iter().map(|i| format!("{}x{}", i.dim().2, i.dim().1)).collect();
    let comment = format!(
        "neural-style normalisation scales: each filter's mean activation (average pooling) over {} images,\n\
         {} ({}), shrunk by whole-pixel box averages to at most {} px, f64 direct convolution in a\n\
         fixed order (`neural-style calibrate --exact --size {}`); {} nearly dead filters floored at {}x their layer's median.",
        paths.len(),
        names.join(", "),
        sizes.join(", "),
        c.size,
        c.size,
        floored,
        weights::normalise::SCALE_FLOOR
    );
    image_io::write_atomic(&c.output, weights::scales::to_text(&file, &comment).as_bytes())?;
    eprintln!("neural-style: wrote {} ({} images, {} filters floored)", c.output.display(), paths.len(), floored);
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
