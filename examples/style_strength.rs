//! How far a result's fine luminance structure moved from the photograph's:
//! the style's strength as the eye sees it, for comparing colour modes.
//!
//!     cargo run --release --example style_strength -- PHOTO RESULT [RESULT...]
//!
//!     cargo run --release --example style_strength -- --look REFERENCE RESULT [RESULT...]
//!
//!     cargo run --release --example style_strength -- --at 256 PHOTO RESULT [RESULT...]
//!
//! For each result, in 0-255 units, the photograph resampled to the result's
//! size first:
//! - `strokes`: mean |hp(result) - hp(photo)|, hp being the luminance (Rec.
//!   601) minus its Gaussian blur (sigma 3 px): how far the fine structure
//!   moved, the style's strength (a plain transfer and a colour mode of the
//!   same pair and settings compare as a ratio);
//! - `layout`: mean |blur(result) - blur(photo)| of the luminance (sigma 4 px):
//!   how far the picture's large shapes moved, whether the photograph is there.
//!
//! With `--at N`: each result (and the photograph) brought to longest side N
//! first, so results of different sizes are measured at one scale of the look
//! (a 512 px result at 256 px: strokes twice as wide in pixels as a 256 px
//! run's, seen as a 256 px run's are).
//!
//! With `--look`: whether a larger picture has the look of a smaller one (coarse
//! to fine): each result brought down to the reference's size, both blurred
//! (sigma 2 px at the reference's size), the mean absolute difference over the
//! RGB channels.

use ndarray::{Array2, ArrayView3};
use neural_style::{image_io, Error};

/// Luminance `(H, W)` of an RGB image in [0, 1], in 0-255 units.
fn luminance(x: ArrayView3<f32>) -> Array2<f64> {
    let (_, h, w) = x.dim();
    Array2::from_shape_fn((h, w), |(i, j)| 255.0 * (0.299 * x[[0, i, j]] + 0.587 * x[[1, i, j]] + 0.114 * x[[2, i, j]]) as f64)
}

/// Separable Gaussian blur, edges clamped.
fn blur(x: &Array2<f64>, sigma: f64) -> Array2<f64> {
    let r = (3.0 * sigma).ceil() as isize;
    let k: Vec<f64> = (-r..=r).map(|d| (-((d * d) as f64) / (2.0 * sigma * sigma)).exp()).collect();
    let sum: f64 = k.iter().sum();
    let (h, w) = x.dim();
    let pass = |src: &Array2<f64>, along_rows: bool| {
        Array2::from_shape_fn((h, w), |(i, j)| {
            (-r..=r)
                .zip(&k)
                .map(|(d, kv)| {
                    let (ii, jj) = if along_rows { (i as isize, j as isize + d) } else { (i as isize + d, j as isize) };
                    kv * src[[ii.clamp(0, h as isize - 1) as usize, jj.clamp(0, w as isize - 1) as usize]]
                })
                .sum::<f64>()
                / sum
        })
    };
    pass(&pass(x, true), false)
}

/// Luminance minus its blur: the fine structure.
fn high_pass(x: ArrayView3<f32>) -> Array2<f64> {
    let y = luminance(x);
    &y - &blur(&y, 3.0)
}

/// Each RGB channel blurred (sigma 2 px), 0-255 units.
fn blurred_rgb(x: ArrayView3<f32>) -> Vec<Array2<f64>> {
    (0..3).map(|c| blur(&x.index_axis(ndarray::Axis(0), c).mapv(|v| 255.0 * v as f64), 2.0)).collect()
}

fn main() -> Result<(), Error> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || -> ! {
        eprintln!("usage: style_strength [--look | --at N] PHOTO RESULT [RESULT...]");
        std::process::exit(2);
    };
    let look = args.first().is_some_and(|a| a == "--look");
    if look {
        args.remove(0);
    }
    let mut at = None;
    if args.first().is_some_and(|a| a == "--at") {
        at = Some(args.get(1).and_then(|n| n.parse::<usize>().ok()).filter(|&n| n > 0).unwrap_or_else(|| usage()));
        args.drain(..2);
    }
    let Some((photo, results)) = args.split_first().filter(|(_, r)| !r.is_empty()) else { usage() };
    let photo = image_io::load(photo.as_ref())?;
    let mean_abs = |a: &Array2<f64>, b: &Array2<f64>| (a - b).mapv(f64::abs).mean().unwrap_or(0.0);
    for r in results {
        let mut result = image_io::load(r.as_ref())?;
        if let Some(n) = at {
            let (_, h, w) = result.dim();
            let s = n as f64 / h.max(w) as f64;
            let (h, w) = (((h as f64 * s).round() as usize).max(1), ((w as f64 * s).round() as usize).max(1));
            result = image_io::resize(result.view(), h, w);
        }
        if look {
            let (_, h, w) = photo.dim();
            let (got, want) = (blurred_rgb(image_io::resize(result.view(), h, w).view()), blurred_rgb(photo.view()));
            let d = got.iter().zip(&want).map(|(a, b)| mean_abs(a, b)).sum::<f64>() / 3.0;
            println!("{r}: look {d:.2}");
            continue;
        }
        let (_, h, w) = result.dim();
        let photo = image_io::resize(photo.view(), h, w);
        let strokes = mean_abs(&high_pass(result.view()), &high_pass(photo.view()));
        let layout = mean_abs(&blur(&luminance(result.view()), 4.0), &blur(&luminance(photo.view()), 4.0));
        println!("{r}: strokes {strokes:.2} layout {layout:.2}");
    }
    Ok(())
}
