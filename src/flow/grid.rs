//! Planes `(H, W)` of `f32`: luminance, bilinear sampling with clamped
//! borders, Gaussian smoothing, resampling and the difference operators the
//! flow solver pairs (forward differences and their negative adjoint, the
//! divergence).

use ndarray::{Array2, ArrayView2, ArrayView3};

/// Luminance (ITU-R BT.601) of an RGB `(3, H, W)` image in [0, 1], in 0..255.
pub fn luminance(rgb: ArrayView3<f32>) -> Array2<f32> {
    let (_, h, w) = rgb.dim();
    Array2::from_shape_fn((h, w), |(i, j)| 255.0 * (0.299 * rgb[[0, i, j]] + 0.587 * rgb[[1, i, j]] + 0.114 * rgb[[2, i, j]]))
}

/// `p` at the real position `(y, x)`, bilinear; outside, the nearest border
/// value (Neumann).
#[inline]
pub fn sample(p: ArrayView2<f32>, y: f32, x: f32) -> f32 {
    let (h, w) = p.dim();
    let y = y.clamp(0.0, (h - 1) as f32);
    let x = x.clamp(0.0, (w - 1) as f32);
    let (i0, j0) = (y.floor() as usize, x.floor() as usize);
    let (i1, j1) = ((i0 + 1).min(h - 1), (j0 + 1).min(w - 1));
    let (fy, fx) = (y - i0 as f32, x - j0 as f32);
    let top = p[[i0, j0]] * (1.0 - fx) + p[[i0, j1]] * fx;
    let bottom = p[[i1, j0]] * (1.0 - fx) + p[[i1, j1]] * fx;
    top * (1.0 - fy) + bottom * fy
}

/// `p` at the real position `(y, x)`, bicubic (Keys, a = -0.5); outside, the
/// nearest border value. Sharper than [`sample`] between pixels, which the
/// flow's sub-pixel accuracy needs (IPOL's TV-L1 warps bicubically too).
#[inline]
pub fn sample_cubic(p: ArrayView2<f32>, y: f32, x: f32) -> f32 {
    let (h, w) = p.dim();
    let y = y.clamp(0.0, (h - 1) as f32);
    let x = x.clamp(0.0, (w - 1) as f32);
    let (i, j) = (y.floor() as isize, x.floor() as isize);
    let (fy, fx) = (y - i as f32, x - j as f32);
    let weights = |t: f32| {
        let t2 = t * t;
        let t3 = t2 * t;
        [-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0, -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2]
    };
    let (wy, wx) = (weights(fy), weights(fx));
    let at = |n: usize, k: isize| k.clamp(0, n as isize - 1) as usize;
    let mut out = 0.0;
    for (a, wya) in wy.iter().enumerate() {
        let row = at(h, i - 1 + a as isize);
        let mut r = 0.0;
        for (b, wxb) in wx.iter().enumerate() {
            r += wxb * p[[row, at(w, j - 1 + b as isize)]];
        }
        out += wya * r;
    }
    out
}

/// A separable Gaussian blur of standard deviation `sigma` px (borders
/// mirrored by clamping).
pub fn blur(p: ArrayView2<f32>, sigma: f32) -> Array2<f32> {
    if sigma <= 0.0 {
        return p.to_owned();
    }
    let r = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r).map(|d| (-(d * d) as f32 / (2.0 * sigma * sigma)).exp()).collect();
    let total: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / total).collect();
    let (h, w) = p.dim();
    let at = |n: usize, i: isize| i.clamp(0, n as isize - 1) as usize;
    let rows = Array2::from_shape_fn((h, w), |(i, j)| (-r..=r).map(|d| k[(d + r) as usize] * p[[i, at(w, j as isize + d)]]).sum::<f32>());
    Array2::from_shape_fn((h, w), |(i, j)| (-r..=r).map(|d| k[(d + r) as usize] * rows[[at(h, i as isize + d), j]]).sum::<f32>())
}

/// `p` resampled to `(h, w)` (bilinear, pixel centres aligned). Shrinking
/// should follow a blur.
pub fn resample(p: ArrayView2<f32>, h: usize, w: usize) -> Array2<f32> {
    let (h0, w0) = p.dim();
    let (sy, sx) = (h0 as f32 / h as f32, w0 as f32 / w as f32);
    Array2::from_shape_fn((h, w), |(i, j)| sample(p, (i as f32 + 0.5) * sy - 0.5, (j as f32 + 0.5) * sx - 0.5))
}

/// Central differences `(d/dx, d/dy)`, one-sided at the borders.
pub fn central_gradient(p: ArrayView2<f32>) -> (Array2<f32>, Array2<f32>) {
    let (h, w) = p.dim();
    let dx = Array2::from_shape_fn((h, w), |(i, j)| {
        let (a, b) = (j.saturating_sub(1), (j + 1).min(w - 1));
        if b > a {
            (p[[i, b]] - p[[i, a]]) / (b - a) as f32
        } else {
            0.0
        }
    });
    let dy = Array2::from_shape_fn((h, w), |(i, j)| {
        let (a, b) = (i.saturating_sub(1), (i + 1).min(h - 1));
        if b > a {
            (p[[b, j]] - p[[a, j]]) / (b - a) as f32
        } else {
            0.0
        }
    });
    (dx, dy)
}

/// Forward differences, 0 on the last column (x) and the last row (y).
pub fn forward_gradient(p: &[f32], h: usize, w: usize, dx: &mut [f32], dy: &mut [f32]) {
    for i in 0..h {
        for j in 0..w {
            let k = i * w + j;
            dx[k] = if j + 1 < w { p[k + 1] - p[k] } else { 0.0 };
            dy[k] = if i + 1 < h { p[k + w] - p[k] } else { 0.0 };
        }
    }
}

/// The divergence of `(px, py)`: minus the adjoint of [`forward_gradient`].
pub fn divergence(px: &[f32], py: &[f32], h: usize, w: usize, div: &mut [f32]) {
    for i in 0..h {
        for j in 0..w {
            let k = i * w + j;
            let x = if j + 1 < w { px[k] } else { 0.0 } - if j > 0 { px[k - 1] } else { 0.0 };
            let y = if i + 1 < h { py[k] } else { 0.0 } - if i > 0 { py[k - w] } else { 0.0 };
            div[k] = x + y;
        }
    }
}

/// The median of each `(2r+1)^2` window (clamped at the borders).
pub fn median(p: ArrayView2<f32>, r: usize) -> Array2<f32> {
    let (h, w) = p.dim();
    let mut window = Vec::with_capacity((2 * r + 1) * (2 * r + 1));
    let mut out = Array2::zeros((h, w));
    for i in 0..h {
        for j in 0..w {
            window.clear();
            for a in i.saturating_sub(r)..(i + r + 1).min(h) {
                for b in j.saturating_sub(r)..(j + r + 1).min(w) {
                    window.push(p[[a, b]]);
                }
            }
            let mid = window.len() / 2;
            window.select_nth_unstable_by(mid, f32::total_cmp);
            out[[i, j]] = window[mid];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divergence_is_minus_the_adjoint_of_the_forward_gradient() {
        let (h, w) = (5, 7);
        let u: Vec<f32> = (0..h * w).map(|k| ((k * 37) % 11) as f32 - 5.0).collect();
        let px: Vec<f32> = (0..h * w).map(|k| ((k * 13) % 7) as f32 - 3.0).collect();
        let py: Vec<f32> = (0..h * w).map(|k| ((k * 5) % 9) as f32 - 4.0).collect();
        let (mut dx, mut dy, mut div) = (vec![0.0; h * w], vec![0.0; h * w], vec![0.0; h * w]);
        forward_gradient(&u, h, w, &mut dx, &mut dy);
        divergence(&px, &py, h, w, &mut div);
        let lhs: f32 = (0..h * w).map(|k| dx[k] * px[k] + dy[k] * py[k]).sum();
        let rhs: f32 = (0..h * w).map(|k| -u[k] * div[k]).sum();
        assert_eq!(lhs, rhs);
    }

    #[test]
    fn sampling_is_exact_at_pixels_and_linear_between() {
        let p = Array2::from_shape_fn((4, 5), |(i, j)| (3 * i + 2 * j) as f32);
        assert_eq!(sample(p.view(), 2.0, 3.0), 12.0);
        assert_eq!(sample(p.view(), 1.5, 2.25), 9.0);
        assert_eq!(sample(p.view(), -4.0, 9.0), p[[0, 4]], "clamped");
    }

    #[test]
    fn cubic_sampling_is_exact_at_pixels_and_on_quadratics_inside() {
        // Keys' cubic (a = -0.5) reproduces polynomials up to degree 2.
        let p = Array2::from_shape_fn((8, 9), |(i, j)| (i * i) as f32 + 0.5 * (j * j) as f32 - (i * j) as f32);
        assert_eq!(sample_cubic(p.view(), 3.0, 4.0), p[[3, 4]]);
        let (y, x) = (3.25f32, 4.6f32);
        let want = y * y + 0.5 * x * x - y * x;
        assert!((sample_cubic(p.view(), y, x) - want).abs() < 1e-3, "{} against {want}", sample_cubic(p.view(), y, x));
        assert_eq!(sample_cubic(p.view(), 20.0, -3.0), p[[7, 0]], "clamped");
    }
}
