//! A flow on disk and on screen: the Middlebury `.flo` file (Baker et al.,
//! "A Database and Evaluation Methodology for Optical Flow", IJCV 2011) and
//! its colour-wheel picture (hue = direction, saturation = length).

use super::Flow;
use crate::error::Error;
use byteorder::{LittleEndian, ReadBytesExt, WriteBytesExt};
use ndarray::Array3;
use std::path::Path;

/// The `.flo` file's first four bytes, `PIEH` read as a little-endian `f32`.
const TAG: f32 = 202021.25;

/// The `.flo` bytes: the tag, width and height (`i32`), then `(u, v)` per
/// pixel, row by row, all little-endian.
pub fn to_flo(flow: &Flow) -> Vec<u8> {
    let (h, w) = flow.dim();
    let mut out = Vec::with_capacity(12 + 8 * h * w);
    out.write_f32::<LittleEndian>(TAG).unwrap();
    out.write_i32::<LittleEndian>(w as i32).unwrap();
    out.write_i32::<LittleEndian>(h as i32).unwrap();
    for ((i, j), &u) in flow.u.indexed_iter() {
        out.write_f32::<LittleEndian>(u).unwrap();
        out.write_f32::<LittleEndian>(flow.v[[i, j]]).unwrap();
    }
    out
}

/// A flow from `.flo` bytes; `name` is for the error.
pub fn from_flo(bytes: &[u8], name: &Path) -> Result<Flow, Error> {
    let bad = |why: &str| Error::Config(format!("{}: not a .flo file ({why})", name.display()));
    let mut r = bytes;
    if r.read_f32::<LittleEndian>().map_err(|_| bad("too short"))? != TAG {
        return Err(bad("wrong tag"));
    }
    let w = r.read_i32::<LittleEndian>().map_err(|_| bad("too short"))?;
    let h = r.read_i32::<LittleEndian>().map_err(|_| bad("too short"))?;
    if w <= 0 || h <= 0 || r.len() != 8 * w as usize * h as usize {
        return Err(bad("size and length disagree"));
    }
    let (h, w) = (h as usize, w as usize);
    let mut flow = Flow::zeros(h, w);
    for i in 0..h {
        for j in 0..w {
            flow.u[[i, j]] = r.read_f32::<LittleEndian>().unwrap();
            flow.v[[i, j]] = r.read_f32::<LittleEndian>().unwrap();
        }
    }
    Ok(flow)
}

/// Writes `flow` to `path` as `.flo` (atomically).
pub fn save_flo(flow: &Flow, path: &Path) -> Result<(), Error> {
    crate::image_io::write_atomic(path, &to_flo(flow))
}

/// The Middlebury colour wheel: 55 hues from red through yellow, green,
/// cyan, blue and magenta back to red, RGB in 0..255.
fn wheel() -> Vec<[f32; 3]> {
    let (ry, yg, gc, cb, bm, mr) = (15, 6, 4, 11, 13, 6);
    let ramp = |i: usize, n: usize| 255.0 * i as f32 / n as f32;
    let mut out = Vec::with_capacity(55);
    out.extend((0..ry).map(|i| [255.0, ramp(i, ry), 0.0]));
    out.extend((0..yg).map(|i| [255.0 - ramp(i, yg), 255.0, 0.0]));
    out.extend((0..gc).map(|i| [0.0, 255.0, ramp(i, gc)]));
    out.extend((0..cb).map(|i| [0.0, 255.0 - ramp(i, cb), 255.0]));
    out.extend((0..bm).map(|i| [ramp(i, bm), 0.0, 255.0]));
    out.extend((0..mr).map(|i| [255.0, 0.0, 255.0 - ramp(i, mr)]));
    out
}

/// The colour picture of `flow` (RGB `(3, H, W)` in [0, 1]): the direction
/// as the hue, the length as the saturation, lengths scaled by the largest
/// in the flow (Middlebury's `flowToColor`). No motion is white.
pub fn picture(flow: &Flow) -> Array3<f32> {
    let wheel = wheel();
    let n = wheel.len();
    let (h, w) = flow.dim();
    let largest = largest(flow).max(1e-6);
    let mut out = Array3::zeros((3, h, w));
    for ((i, j), &u) in flow.u.indexed_iter() {
        let (fx, fy) = (u / largest, flow.v[[i, j]] / largest);
        let rad = (fx * fx + fy * fy).sqrt();
        let angle = (-fy).atan2(-fx) / std::f32::consts::PI;
        let fk = (angle + 1.0) / 2.0 * (n - 1) as f32;
        let k0 = fk.floor() as usize % n;
        let (k1, f) = ((k0 + 1) % n, fk - fk.floor());
        for c in 0..3 {
            let col = ((1.0 - f) * wheel[k0][c] + f * wheel[k1][c]) / 255.0;
            out[[c, i, j]] = if rad <= 1.0 { 1.0 - rad * (1.0 - col) } else { col * 0.75 };
        }
    }
    out
}

/// The largest displacement of `flow`, px.
pub fn largest(flow: &Flow) -> f32 {
    flow.u.iter().zip(&flow.v).map(|(u, v)| u.hypot(*v)).fold(0.0, f32::max)
}
