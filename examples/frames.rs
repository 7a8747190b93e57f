//! Test footage for `batch --sequence` and a measure of flicker, used by
//! `tools/measure.sh sequence`:
//!
//!     cargo run --release --example frames -- pan PHOTO OUTDIR [FRAMES] [STEP]
//!     cargo run --release --example frames -- flicker DIR
//!     cargo run --release --example frames -- square PHOTO SIDE OUT.png
//!
//! `pan` writes FRAMES (8) frames of 256x192, `frame_0000.png` ..., windows of
//! the photograph brought to 320 px on its longest side, each STEP (6) pixels
//! right of the last: a slow pan. `flicker` prints the mean absolute difference
//! (0-255, all channels) between consecutive PNG images of DIR in name order.
//! `square` writes the photograph's central square brought to SIDE x SIDE (the
//! memory measurement's input, `tools/measure.sh memory`).

use neural_style::{image_io, Error};
use std::path::{Path, PathBuf};

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("pan") if args.len() >= 3 => {
            let frames = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(8);
            let step = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(6);
            pan(Path::new(&args[1]), Path::new(&args[2]), frames, step)
        }
        Some("flicker") if args.len() == 2 => {
            println!("{:.1}", flicker(Path::new(&args[1]))?);
            Ok(())
        }
        Some("square") if args.len() == 4 => {
            let side = args[2].parse().unwrap_or(512);
            let x = image_io::load(Path::new(&args[1]))?;
            let (_, h, w) = x.dim();
            let s = h.min(w);
            let (top, left) = ((h - s) / 2, (w - s) / 2);
            let square = x.slice(ndarray::s![.., top..top + s, left..left + s]);
            image_io::save(image_io::resize(square, side, side).view(), Path::new(&args[3]))
        }
        _ => {
            eprintln!("usage: frames pan PHOTO OUTDIR [FRAMES] [STEP] | frames flicker DIR | frames square PHOTO SIDE OUT.png");
            std::process::exit(2);
        }
    }
}

/// Frame size (width, height).
const FRAME: (usize, usize) = (256, 192);

fn pan(photo: &Path, dir: &Path, frames: usize, step: usize) -> Result<(), Error> {
    let x = image_io::resize_longest(image_io::load(photo)?.view(), 320);
    let (_, h, w) = x.dim();
    let (fw, fh) = FRAME;
    assert!(h >= fh && w >= fw + step * frames.saturating_sub(1), "the photograph is too small to pan across");
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let top = (h - fh) / 2;
    for k in 0..frames {
        let left = k * step;
        let window = x.slice(ndarray::s![.., top..top + fh, left..left + fw]);
        image_io::save(window, &dir.join(format!("frame_{k:04}.png")))?;
    }
    Ok(())
}

fn flicker(dir: &Path) -> Result<f64, Error> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    paths.sort();
    let images = paths.iter().map(|p| image_io::load(p)).collect::<Result<Vec<_>, _>>()?;
    let (mut sum, mut count) = (0.0f64, 0usize);
    for pair in images.windows(2) {
        assert_eq!(pair[0].dim(), pair[1].dim(), "frames of different sizes");
        for (a, b) in pair[0].iter().zip(pair[1].iter()) {
            sum += (255.0 * (a - b) as f64).abs();
            count += 1;
        }
    }
    Ok(sum / count.max(1) as f64)
}
