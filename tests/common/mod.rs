//! Helpers shared by the integration tests: random data and tolerant comparison.
#![allow(dead_code)]

pub mod cli;
pub mod messages;
pub mod oracles;

use neural_style::rng::Rng;

pub fn randn(seed: u64, n: usize) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.normal()).collect()
}

/// Largest |a-b| relative to the largest |b| (1 if b is all zeros); infinite
/// where either side has a NaN (`f32::max` would skip it, so an output left
/// at a NaN fill, or a NaN result, would pass unseen).
pub fn rel_err(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-30);
    a.iter().zip(b).fold(0.0f32, |m, (x, y)| {
        let d = (x - y).abs();
        if d.is_nan() {
            f32::INFINITY
        } else {
            m.max(d)
        }
    }) / scale
}

pub fn assert_close(what: &str, a: &[f32], b: &[f32], tol: f32) {
    let e = rel_err(a, b);
    assert!(e <= tol, "{what}: relative error {e} > {tol}");
}

pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
}

/// Runs `f` on a rayon pool of `threads` threads.
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

/// Checks the directional derivative of `loss` at `x` along a random `v`
/// against `<grad, v>` by central differences in f64 on f32 evaluations.
pub fn check_directional(what: &str, x: &[f32], grad: &[f32], eps: f32, tol: f64, loss: impl Fn(&[f32]) -> f64) {
    let v = randn(777, x.len());
    let xp: Vec<f32> = x.iter().zip(&v).map(|(a, b)| a + eps * b).collect();
    let xm: Vec<f32> = x.iter().zip(&v).map(|(a, b)| a - eps * b).collect();
    let fd = (loss(&xp) - loss(&xm)) / (2.0 * eps as f64);
    let an = dot(grad, &v);
    let err = (fd - an).abs() / an.abs().max(fd.abs()).max(1e-12);
    assert!(err <= tol, "{what}: finite difference {fd} vs analytic {an} (relative error {err} > {tol})");
}

/// Recomputes a weights file's trailing CRC-32, so an edited file gets past
/// the checksum to the checks behind it.
pub fn reseal(b: &mut [u8]) {
    if b.len() >= 4 {
        let n = b.len() - 4;
        let crc = neural_style::weights::crc32::crc32(&b[..n]);
        b[n..].copy_from_slice(&crc.to_le_bytes());
    }
}
