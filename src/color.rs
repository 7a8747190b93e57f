//! Colour control after Gatys et al., "Preserving Color in Neural Artistic Style
//! Transfer" (2016) and "Controlling Perceptual Factors in Neural Style
//! Transfer" (CVPR 2017). Images are `(3, H, W)` RGB in [0, 1].
//!
//! - **Luminance-only transfer**: run the transfer on luminance (YIQ's Y,
//!   replicated to three channels), the style's luminance first matched to the
//!   content's mean and standard deviation; then put the content's I and Q back.
//! - **Colour histogram matching**: move the style's colours, `x' = A x + b`, so
//!   their mean and covariance are the content's. `A = S_c^{1/2} S_s^{-1/2}` with
//!   symmetric square roots from an eigen-decomposition ([`Histogram::Eigen`],
//!   no rotation of the colour axes), or `A = L_c L_s^{-1}` from Cholesky
//!   factors ([`Histogram::Cholesky`]).

use crate::error::Error;
use ndarray::{Array3, ArrayView3};

/// How colours are preserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PreserveColors {
    #[default]
    /// Colours of the styled result as they come.
    None,
    /// Style transferred on luminance only; the photograph keeps its colours (Gatys et al. 2017).
    Luminance,
    /// The style image's colours matched to the photograph's before the transfer.
    Histogram(Histogram),
    /// Painted as usual, then the result's luminance with the photograph's
    /// chroma (jcjohnson/neural-style's `-original_colors 1`): every stroke
    /// kept, the photograph's colours back.
    Original,
}

impl PreserveColors {
    /// Whether the style images are changed before the transfer (so their
    /// targets depend on the content and cannot be cached).
    pub fn changes_styles(self) -> bool {
        matches!(self, PreserveColors::Luminance | PreserveColors::Histogram(_))
    }
}

impl std::str::FromStr for PreserveColors {
    type Err = Error;

    /// `none`, `luminance`, `histogram`, `histogram-cholesky` or `original`.
    fn from_str(v: &str) -> Result<Self, Error> {
        use PreserveColors as P;
        let words = [
            ("none", P::None),
            ("luminance", P::Luminance),
            ("histogram", P::Histogram(Histogram::Eigen)),
            ("histogram-cholesky", P::Histogram(Histogram::Cholesky)),
            ("original", P::Original),
        ];
        crate::error::one_of("preserve_colors", &words, v)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// How the colour histogram is matched: which matrix square root of the covariances.
pub enum Histogram {
    /// Symmetric square roots from an eigen-decomposition.
    Eigen,
    /// Cholesky factors.
    Cholesky,
}

type M3 = [[f64; 3]; 3];

const RGB_TO_YIQ: M3 = [[0.299, 0.587, 0.114], [0.595_716, -0.274_453, -0.321_263], [0.211_456, -0.522_591, 0.311_135]];

fn mul(a: &M3, b: &M3) -> M3 {
    let mut c = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            c[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    c
}

fn transpose(a: &M3) -> M3 {
    let mut t = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            t[i][j] = a[j][i];
        }
    }
    t
}

#[allow(clippy::needless_range_loop)] // index arithmetic of the cofactors
fn inverse(m: &M3) -> M3 {
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    let mut inv = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let (a, b) = ((j + 1) % 3, (j + 2) % 3);
            let (c, d) = ((i + 1) % 3, (i + 2) % 3);
            inv[i][j] = (m[a][c] * m[b][d] - m[a][d] * m[b][c]) / det;
        }
    }
    inv
}

/// Applies a 3x3 colour matrix and offset to every pixel.
fn apply(x: ArrayView3<f32>, a: &M3, b: [f64; 3]) -> Array3<f32> {
    let (_, h, w) = x.dim();
    let mut out = Array3::zeros((3, h, w));
    for i in 0..h {
        for j in 0..w {
            let p = [x[[0, i, j]] as f64, x[[1, i, j]] as f64, x[[2, i, j]] as f64];
            for c in 0..3 {
                out[[c, i, j]] = (a[c][0] * p[0] + a[c][1] * p[1] + a[c][2] * p[2] + b[c]) as f32;
            }
        }
    }
    out
}

/// RGB to YIQ, `(3, H, W)` to `(3, H, W)`.
pub fn rgb_to_yiq(x: ArrayView3<f32>) -> Array3<f32> {
    apply(x, &RGB_TO_YIQ, [0.0; 3])
}

/// YIQ to RGB (not clamped).
pub fn yiq_to_rgb(x: ArrayView3<f32>) -> Array3<f32> {
    apply(x, &inverse(&RGB_TO_YIQ), [0.0; 3])
}

/// Mean and covariance of the pixels' colours.
pub fn mean_cov(x: ArrayView3<f32>) -> ([f64; 3], M3) {
    let (_, h, w) = x.dim();
    let n = (h * w).max(1) as f64;
    let mean: [f64; 3] = std::array::from_fn(|c| x.index_axis(ndarray::Axis(0), c).iter().map(|&v| v as f64).sum::<f64>() / n);
    let mut cov = [[0.0; 3]; 3];
    for i in 0..h {
        for j in 0..w {
            let d = [x[[0, i, j]] as f64 - mean[0], x[[1, i, j]] as f64 - mean[1], x[[2, i, j]] as f64 - mean[2]];
            for a in 0..3 {
                for b in 0..3 {
                    cov[a][b] += d[a] * d[b] / n;
                }
            }
        }
    }
    (mean, cov)
}

/// Symmetric eigen-decomposition by Jacobi rotations: `(eigenvalues, V)` with
/// `S = V diag(l) V^T`.
fn eigen_sym(s: &M3) -> ([f64; 3], M3) {
    let mut a = *s;
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for _ in 0..64 {
        let off = a[0][1].abs() + a[0][2].abs() + a[1][2].abs();
        if off < 1e-15 {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q].abs() < 1e-300 {
                continue;
            }
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let (c, s_) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
            let mut r = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
            r[p][p] = c;
            r[q][q] = c;
            r[p][q] = s_;
            r[q][p] = -s_;
            a = mul(&transpose(&r), &mul(&a, &r));
            v = mul(&v, &r);
        }
    }
    ([a[0][0], a[1][1], a[2][2]], v)
}

/// `S^p` for a symmetric positive semi-definite S (eigenvalues floored at `eps`).
fn sym_power(s: &M3, p: f64) -> M3 {
    let (l, v) = eigen_sym(s);
    let eps = 1e-8;
    let mut d = [[0.0; 3]; 3];
    for i in 0..3 {
        d[i][i] = l[i].max(eps).powf(p);
    }
    mul(&v, &mul(&d, &transpose(&v)))
}

/// Lower Cholesky factor of a symmetric positive definite S (diagonal floored).
fn cholesky(s: &M3) -> M3 {
    let mut l = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                l[i][j] = (s[i][i] - sum).max(1e-8).sqrt();
            } else {
                l[i][j] = (s[i][j] - sum) / l[j][j];
            }
        }
    }
    l
}

/// The style image with its colours' mean and covariance moved to the content's.
pub fn match_histogram(style: ArrayView3<f32>, content: ArrayView3<f32>, how: Histogram) -> Array3<f32> {
    let (ms, ss) = mean_cov(style);
    let (mc, sc) = mean_cov(content);
    let a = match how {
        Histogram::Eigen => mul(&sym_power(&sc, 0.5), &sym_power(&ss, -0.5)),
        Histogram::Cholesky => mul(&cholesky(&sc), &inverse(&cholesky(&ss))),
    };
    let b = [0, 1, 2].map(|c| mc[c] - (0..3).map(|k| a[c][k] * ms[k]).sum::<f64>());
    let mut out = apply(style, &a, b);
    out.mapv_inplace(|v| v.clamp(0.0, 1.0));
    out
}

/// Luminance replicated to three channels: the image the network sees in
/// luminance-only transfer.
pub fn luminance_rgb(x: ArrayView3<f32>) -> Array3<f32> {
    let y = rgb_to_yiq(x).index_axis(ndarray::Axis(0), 0).to_owned();
    let (h, w) = y.dim();
    Array3::from_shape_fn((3, h, w), |(_, i, j)| y[[i, j]].clamp(0.0, 1.0))
}

/// The style's luminance image with its mean moved to the content's (both as
/// three equal channels) and its contrast (standard deviation) raised to the
/// content's if lower, never lowered: lowering it to the content's (Gatys et
/// al. 2017) took most of the strokes away from a painting of stronger
/// contrast than the photograph (`docs/performance.md`, Colour).
pub fn match_luminance(style_lum: ArrayView3<f32>, content_lum: ArrayView3<f32>) -> Array3<f32> {
    let stats = |x: ArrayView3<f32>| {
        let y = x.index_axis(ndarray::Axis(0), 0);
        let n = y.len().max(1) as f64;
        let m = y.iter().map(|&v| v as f64).sum::<f64>() / n;
        let v = y.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / n;
        (m, v.sqrt().max(1e-6))
    };
    let ((ms, ss), (mc, sc)) = (stats(style_lum), stats(content_lum));
    let gain = (sc / ss).max(1.0);
    style_lum.mapv(|v| (((v as f64 - ms) * gain + mc) as f32).clamp(0.0, 1.0))
}

/// The result's luminance with the content's chroma (I, Q), in [0, 1]. The
/// luminance is kept exactly: where the chroma would push a channel out of
/// [0, 1] it is scaled down just enough (clamping the channels instead would
/// flatten the strokes on saturated colours).
pub fn recombine(result: ArrayView3<f32>, content: ArrayView3<f32>) -> Array3<f32> {
    let r = rgb_to_yiq(result);
    let mut chroma = rgb_to_yiq(content);
    chroma.index_axis_mut(ndarray::Axis(0), 0).fill(0.0);
    // (3, H, W): what the chroma adds to each channel; its luminance is 0.
    let d = yiq_to_rgb(chroma.view());
    let (_, h, w) = d.dim();
    let mut out = Array3::zeros((3, h, w));
    for i in 0..h {
        for j in 0..w {
            let y = r[[0, i, j]].clamp(0.0, 1.0);
            // How much of the chroma fits with every channel in [0, 1].
            let room = (0..3).fold(1.0f32, |t, k| {
                let dk = d[[k, i, j]];
                let limit = if dk > 0.0 {
                    (1.0 - y) / dk
                } else if dk < 0.0 {
                    y / -dk
                } else {
                    1.0
                };
                t.min(limit)
            });
            for c in 0..3 {
                out[[c, i, j]] = (y + room * d[[c, i, j]]).clamp(0.0, 1.0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `recombine` keeps the result's luminance exactly, also where the
    /// photograph's chroma is too strong for it (saturated red under a light
    /// or dark stroke), and stays in [0, 1]; with room, the chroma is whole.
    #[test]
    fn recombine_keeps_the_luminance_where_clamping_would_not() {
        let levels = [0.02f32, 0.3, 0.5, 0.8, 0.98];
        let result = Array3::from_shape_fn((3, 1, 5), |(_, _, j)| levels[j]);
        let red = Array3::from_shape_fn((3, 1, 5), |(c, _, _)| [0.7f32, 0.3, 0.3][c]);
        let out = recombine(result.view(), red.view());
        let (y, yiq) = (rgb_to_yiq(out.view()), rgb_to_yiq(red.view()));
        for (j, &l) in levels.iter().enumerate() {
            assert!((y[[0, 0, j]] - l).abs() < 1e-5, "luminance {} for {l}", y[[0, 0, j]]);
            assert!((0..3).all(|c| (0.0..=1.0).contains(&out[[c, 0, j]])));
        }
        // Mid-grey has room for the whole chroma of this red.
        assert!((y[[1, 0, 2]] - yiq[[1, 0, 2]]).abs() < 1e-5 && (y[[2, 0, 2]] - yiq[[2, 0, 2]]).abs() < 1e-5);
        // Near white, a clamp per channel would have lost luminance.
        let clamped = |c: usize| (0.98 + yiq_to_rgb(yiq.view())[[c, 0, 4]] - yiq[[0, 0, 4]]).clamp(0.0, 1.0);
        let clamped_y = 0.299 * clamped(0) + 0.587 * clamped(1) + 0.114 * clamped(2);
        assert!(clamped_y < 0.97, "the case needs clamping: {clamped_y}");
    }

    #[test]
    fn eigen_reconstructs() {
        let s = [[2.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 0.5]];
        let half = sym_power(&s, 0.5);
        let back = mul(&half, &half);
        for i in 0..3 {
            for j in 0..3 {
                assert!((back[i][j] - s[i][j]).abs() < 1e-9);
            }
        }
    }
}
