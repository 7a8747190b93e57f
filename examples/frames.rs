//! Test footage with exact optical flow, and the measure of a painted
//! sequence's coherence along the motion (`tools/measure.sh sequence`,
//! `tools/flow_compare.py`):
//!
//!     cargo run --release --example frames -- synth KIND PHOTO OUTDIR [FRAMES] [WIDTH HEIGHT]
//!     cargo run --release --example frames -- coherence FRAMES PAINTED
//!     cargo run --release --example frames -- square PHOTO SIDE OUT.png
//!
//! `synth` writes FRAMES (6) frames `frame_0000.png` ... of WIDTH x HEIGHT
//! (256 x 192) cut from the photograph, moving by KIND: `pan` (4 px right per
//! frame), `drift` (3.37 px right and 1.21 px down per frame: a sub-pixel translation), `zoom` (3% in per frame), `rotation` (2 degrees per frame about the
//! centre) or `object` (a square of the photograph sliding 5 px per frame over
//! the still photograph, hiding and uncovering it). Beside each frame t >= 1
//! it writes the exact flows `back_t.flo` (frame t to t-1) and `forth_t.flo`
//! (t-1 to t).
//!
//! `coherence` prints the mean absolute difference (0-255, all channels)
//! between each PNG of PAINTED (name order) and the previous one warped to
//! it by the exact backward flow, over the pixels the forward-backward check
//! of the exact flows keeps; then the same for the frames themselves (what
//! the motion alone leaves: sampling). Flicker shows as a large figure; a
//! painting that stays put while the scene moves (ghosting) too.
//!
//! `square` writes the photograph's central square brought to SIDE x SIDE (the
//! memory measurement's input, `tools/measure.sh memory`).

use ndarray::Array3;
use neural_style::flow::{self, files, Flow};
use neural_style::{image_io, Error};
use std::path::{Path, PathBuf};

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |k: usize, default: usize| args.get(k).and_then(|s| s.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("synth") if args.len() >= 4 => {
            let kind = match args[1].as_str() {
                "pan" => Kind::Pan,
                "drift" => Kind::Drift,
                "zoom" => Kind::Zoom,
                "rotation" => Kind::Rotation,
                "object" => Kind::Object,
                other => return Err(Error::Config(format!("unknown kind {other}: pan, zoom, rotation or object"))),
            };
            synth(kind, Path::new(&args[2]), Path::new(&args[3]), num(4, 6), (num(5, 256), num(6, 192)))
        }
        Some("coherence") if args.len() == 3 => {
            let (painted, photos) = coherence(Path::new(&args[1]), Path::new(&args[2]))?;
            println!("{painted:.2} (the frames themselves: {photos:.2})");
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
            eprintln!("usage: frames synth pan|zoom|rotation|object PHOTO OUTDIR [FRAMES] [WIDTH HEIGHT] | frames coherence FRAMES PAINTED | frames square PHOTO SIDE OUT.png");
            std::process::exit(2);
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Pan,
    Drift,
    Zoom,
    Rotation,
    Object,
}

/// `img (3, H, W)` at the real position `(y, x)`, bilinear, clamped.
fn sample(img: &Array3<f32>, c: usize, y: f32, x: f32) -> f32 {
    let (_, h, w) = img.dim();
    let (y, x) = (y.clamp(0.0, (h - 1) as f32), x.clamp(0.0, (w - 1) as f32));
    let (i0, j0) = (y.floor() as usize, x.floor() as usize);
    let (i1, j1) = ((i0 + 1).min(h - 1), (j0 + 1).min(w - 1));
    let (fy, fx) = (y - i0 as f32, x - j0 as f32);
    let top = img[[c, i0, j0]] * (1.0 - fx) + img[[c, i0, j1]] * fx;
    let bottom = img[[c, i1, j0]] * (1.0 - fx) + img[[c, i1, j1]] * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Where frame `t`'s pixel `(i, j)` looks in the photograph (`(y, x)`), and
/// whether it belongs to the moving object.
fn source(kind: Kind, t: f32, i: f32, j: f32, (fw, fh): (f32, f32), (ph, pw): (f32, f32)) -> ((f32, f32), bool) {
    let (cy, cx) = (ph / 2.0, pw / 2.0);
    let (y, x) = (i - fh / 2.0, j - fw / 2.0);
    match kind {
        Kind::Pan => ((cy + y, cx + x - 20.0 + PAN * t), false),
        Kind::Drift => ((cy + y - 10.0 + DRIFT.0 * t, cx + x - 20.0 + DRIFT.1 * t), false),
        Kind::Zoom => {
            let z = ZOOM.powf(t);
            ((cy + y / z, cx + x / z), false)
        }
        Kind::Rotation => {
            let a = -ROTATION.to_radians() * t;
            ((cy + a.cos() * y + a.sin() * x, cx - a.sin() * y + a.cos() * x), false)
        }
        Kind::Object => {
            // A square of side fh/3 sliding right, showing another part of the photograph.
            let side = fh / 3.0;
            let (top, left) = (fh / 3.0, fw / 8.0 + OBJECT * t);
            if i >= top && i < top + side && j >= left && j < left + side {
                ((cy - fh / 2.0 + (i - top) * 0.8 + 10.0, cx + fw / 2.0 - side + (j - left) * 0.8 - 30.0), true)
            } else {
                ((cy + y, cx + x), false)
            }
        }
    }
}

/// Pan, zoom, rotation and object motion per frame.
const PAN: f32 = 4.0;
/// A sub-pixel translation: rows and columns per frame.
const DRIFT: (f32, f32) = (1.21, 3.37);
const ZOOM: f32 = 1.03;
const ROTATION: f32 = 2.0;
const OBJECT: f32 = 5.0;

/// The exact flow from frame `from` to frame `to` (`from` +- 1) of `kind`.
fn exact_flow(kind: Kind, from: f32, to: f32, (fw, fh): (usize, usize)) -> Flow {
    let mut f = Flow::zeros(fh, fw);
    let (cy, cx) = (fh as f32 / 2.0, fw as f32 / 2.0);
    for i in 0..fh {
        for j in 0..fw {
            let (y, x) = (i as f32 - cy, j as f32 - cx);
            // Where the point seen at (i, j) in `from` is seen in `to`.
            let (ty, tx) = match kind {
                Kind::Pan => (y, x - PAN * (to - from)),
                Kind::Drift => (y - DRIFT.0 * (to - from), x - DRIFT.1 * (to - from)),
                Kind::Zoom => {
                    let z = ZOOM.powf(to - from);
                    (y * z, x * z)
                }
                Kind::Rotation => {
                    let a = ROTATION.to_radians() * (to - from);
                    (a.cos() * y + a.sin() * x, -a.sin() * y + a.cos() * x)
                }
                Kind::Object => {
                    let (_, moving) = source(kind, from, i as f32, j as f32, (fw as f32, fh as f32), (1.0, 1.0));
                    (y, if moving { x + OBJECT * (to - from) } else { x })
                }
            };
            (f.u[[i, j]], f.v[[i, j]]) = (tx - x, ty - y);
        }
    }
    f
}

fn synth(kind: Kind, photo: &Path, dir: &Path, frames: usize, (fw, fh): (usize, usize)) -> Result<(), Error> {
    let x = image_io::resize_longest(image_io::load(photo)?.view(), fw.max(fh) * 3 / 2);
    let (_, ph, pw) = x.dim();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for t in 0..frames {
        let mut frame = Array3::zeros((3, fh, fw));
        for i in 0..fh {
            for j in 0..fw {
                let ((y, sx), _) = source(kind, t as f32, i as f32, j as f32, (fw as f32, fh as f32), (ph as f32, pw as f32));
                for c in 0..3 {
                    frame[[c, i, j]] = sample(&x, c, y, sx);
                }
            }
        }
        image_io::save(frame.view(), &dir.join(format!("frame_{t:04}.png")))?;
        if t > 0 {
            let t = t as f32;
            files::save_flo(&exact_flow(kind, t, t - 1.0, (fw, fh)), &dir.join(format!("back_{:04}.flo", t as usize)))?;
            files::save_flo(&exact_flow(kind, t - 1.0, t, (fw, fh)), &dir.join(format!("forth_{:04}.flo", t as usize)))?;
        }
    }
    Ok(())
}

/// The PNG files of `dir` in name order.
fn pngs(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>, Error> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png") && p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    paths.sort();
    Ok(paths)
}

fn read_flo(path: &Path) -> Result<Flow, Error> {
    files::from_flo(&std::fs::read(path).map_err(|e| Error::io(path, e))?, path)
}

/// `(painted, frames)`: the mean difference along the exact motion.
fn coherence(frames_dir: &Path, painted_dir: &Path) -> Result<(f64, f64), Error> {
    let along = |paths: &[PathBuf]| -> Result<f64, Error> {
        let (mut sum, mut count) = (0.0f64, 0usize);
        for t in 1..paths.len() {
            let (prev, now) = (image_io::load(&paths[t - 1])?, image_io::load(&paths[t])?);
            let back = read_flo(&frames_dir.join(format!("back_{t:04}.flo")))?;
            let forth = read_flo(&frames_dir.join(format!("forth_{t:04}.flo")))?;
            let (_, h, w) = now.dim();
            if back.dim() != (h, w) {
                return Err(Error::Config(format!("{}: {w}x{h}, the flows are {}x{}", paths[t].display(), back.dim().1, back.dim().0)));
            }
            let warped = flow::warp(prev.view(), &back);
            let keep = flow::reliability(&back, &forth);
            for ((c, i, j), &v) in now.indexed_iter() {
                if keep[[i, j]] > 0.5 {
                    sum += (255.0 * (v - warped[[c, i, j]]) as f64).abs();
                    count += 1;
                }
            }
        }
        Ok(sum / count.max(1) as f64)
    };
    Ok((along(&pngs(painted_dir, "")?)?, along(&pngs(frames_dir, "frame_")?)?))
}
