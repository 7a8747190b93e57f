//! Colour control: the colour transforms round-trip, histogram matching gives
//! the content's mean and covariance, luminance matching its mean (contrast kept), and
//! luminance-only transfer keeps the content's chroma.

mod common;
use ndarray::Array3;
use neural_style::color::*;
use neural_style::rng::Rng;

/// Colours in [0.2, 0.8] with correlated channels, so matching needs no clamping.
fn picture(seed: u64, tint: [f32; 3]) -> Array3<f32> {
    picture_sized(seed, tint, 20, 30)
}

/// The same at another size.
fn picture_sized(seed: u64, tint: [f32; 3], h: usize, w: usize) -> Array3<f32> {
    let mut r = Rng::new(seed);
    Array3::from_shape_fn((3, h, w), |(c, i, j)| {
        let base = 0.5 + 0.15 * ((i as f32 * 0.3).sin() + (j as f32 * 0.2).cos()) / 2.0;
        (base + tint[c] * (r.uniform() - 0.5)).clamp(0.0, 1.0)
    })
}

#[test]
fn yiq_round_trip() {
    let x = picture(1, [0.4, 0.3, 0.2]);
    let back = yiq_to_rgb(rgb_to_yiq(x.view()).view());
    common::assert_close("rgb -> yiq -> rgb", back.as_slice().unwrap(), x.as_slice().unwrap(), 1e-5);
    // Grey has no chroma.
    let grey = Array3::from_elem((3, 2, 2), 0.4f32);
    let yiq = rgb_to_yiq(grey.view());
    assert!((yiq[[0, 0, 0]] - 0.4).abs() < 1e-6 && yiq[[1, 1, 1]].abs() < 1e-6 && yiq[[2, 0, 1]].abs() < 1e-6);
}

/// Mean and covariance of the pixels' colours, from lists of each channel's
/// values (the test's own, not the library's).
fn moments(x: &Array3<f32>) -> ([f64; 3], [[f64; 3]; 3]) {
    let ch: Vec<Vec<f64>> = (0..3).map(|c| x.index_axis(ndarray::Axis(0), c).iter().map(|&v| v as f64).collect()).collect();
    let n = ch[0].len() as f64;
    let mean: [f64; 3] = std::array::from_fn(|c| ch[c].iter().sum::<f64>() / n);
    let cov = std::array::from_fn(|a| {
        std::array::from_fn(|b| ch[a].iter().zip(&ch[b]).map(|(u, v)| (u - mean[a]) * (v - mean[b])).sum::<f64>() / n)
    });
    (mean, cov)
}

#[test]
fn mean_and_covariance_of_the_colours() {
    let x = picture(7, [0.3, 0.2, 0.25]);
    let ((m, c), (mo, co)) = (mean_cov(x.view()), moments(&x));
    for a in 0..3 {
        assert!((m[a] - mo[a]).abs() < 1e-9, "mean {a}: {} vs {}", m[a], mo[a]);
        for b in 0..3 {
            assert!((c[a][b] - co[a][b]).abs() < 1e-9, "cov {a}{b}: {} vs {}", c[a][b], co[a][b]);
        }
    }
    assert!(co[0][0] > 1e-3 && co[0][1].abs() > 1e-4, "a picture with spread and correlated colours");
}

#[test]
fn histogram_matching_reproduces_mean_and_covariance() {
    let content = picture(2, [0.3, 0.1, 0.2]);
    let style = picture(3, [0.1, 0.25, 0.05]).mapv(|v| 0.8 * v + 0.05);
    let (mc, _) = moments(&content);
    let (ms, _) = moments(&style);
    assert!((0..3).any(|a| (ms[a] - mc[a]).abs() > 1e-2), "the style starts with other colours");
    assert_histogram_matched(&content, &style, "tinted");
}

#[test]
fn luminance_matching_and_recombination() {
    let content = picture(4, [0.3, 0.2, 0.1]);
    // Another size: a statistic that forgot to divide by the pixel count
    // would scale both images' alike only at equal sizes.
    let style = picture_sized(5, [0.05, 0.05, 0.3], 24, 36);
    let cl = luminance_rgb(content.view());
    assert!(cl.index_axis(ndarray::Axis(0), 0) == cl.index_axis(ndarray::Axis(0), 2), "three equal channels");
    let sl = match_luminance(luminance_rgb(style.view()).view(), cl.view());
    let stats = |x: &Array3<f32>| {
        let y: Vec<f64> = x.index_axis(ndarray::Axis(0), 0).iter().map(|&v| v as f64).collect();
        let m = y.iter().sum::<f64>() / y.len() as f64;
        (m, (y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / y.len() as f64).sqrt())
    };
    let ((m1, s1), (m2, s2)) = (stats(&sl), stats(&cl));
    let (_, s0) = stats(&luminance_rgb(style.view()));
    assert!((m1 - m2).abs() < 1e-4, "the content's mean luminance: {m1} against {m2}");
    assert!((s1 - s0.max(s2)).abs() < 1e-4, "the larger contrast of the two: {s1} against {s0} and {s2}");
    // Both ways: a painting of more contrast keeps its own, one of less is raised.
    let flat = picture_sized(7, [0.5, 0.5, 0.5], 24, 36).mapv(|v| 0.45 + 0.1 * v);
    let punchy = picture_sized(8, [0.5, 0.5, 0.5], 24, 36).mapv(|v| if v > 0.5 { 0.7 } else { 0.3 });
    for (painting, photo) in [(&flat, &punchy), (&punchy, &flat)] {
        let (p_lum, c_lum) = (luminance_rgb(painting.view()), luminance_rgb(photo.view()));
        let (_, got) = stats(&match_luminance(p_lum.view(), c_lum.view()));
        let (want_own, want_photo) = (stats(&p_lum).1, stats(&c_lum).1);
        assert!((got - want_own.max(want_photo)).abs() < 2e-3, "{got} against {want_own} and {want_photo}");
    }
    // A result recombined with the content keeps the content's I and Q, and its own Y.
    let result = picture(6, [0.2, 0.2, 0.2]);
    let out = recombine(result.view(), content.view());
    let (yo, yc, yr) = (rgb_to_yiq(out.view()), rgb_to_yiq(content.view()), rgb_to_yiq(result.view()));
    for (i, j) in [(3, 4), (10, 20), (19, 29)] {
        assert!((yo[[0, i, j]] - yr[[0, i, j]]).abs() < 1e-4);
        assert!((yo[[1, i, j]] - yc[[1, i, j]]).abs() < 1e-4 && (yo[[2, i, j]] - yc[[2, i, j]]).abs() < 1e-4);
    }
}

/// `match_histogram` in both modes gives `style` the mean and covariance of
/// `content` (no pixel clamped).
fn assert_histogram_matched(content: &Array3<f32>, style: &Array3<f32>, what: &str) {
    let (mc, cc) = moments(content);
    for how in [Histogram::Eigen, Histogram::Cholesky] {
        let m = match_histogram(style.view(), content.view(), how);
        assert!(m.iter().all(|v| *v > 0.0 && *v < 1.0), "{what} {how:?}: no clamping in this test");
        let (mm, cm) = moments(&m);
        for a in 0..3 {
            assert!((mm[a] - mc[a]).abs() < 1e-5, "{what} {how:?} mean {a}: {} vs {}", mm[a], mc[a]);
            for b in 0..3 {
                let tol = 1e-4 * cc[a][b].abs().max(1e-5);
                assert!((cm[a][b] - cc[a][b]).abs() < tol, "{what} {how:?} cov {a}{b}: {} vs {}", cm[a][b], cc[a][b]);
            }
        }
    }
}

#[test]
fn histogram_matching_with_nearly_grey_colours() {
    // Channels that move together with a little independent noise: a
    // covariance close to rank one (eigenvalues some 1000x apart), strongly
    // off-diagonal, so the eigen square roots must really diagonalise it.
    let grey = |seed: u64, level: f32, noise: f32, h: usize, w: usize| {
        let mut r = Rng::new(seed);
        let mut base = Rng::new(seed + 100);
        let g: Vec<f32> = (0..h * w).map(|_| level + 0.25 * (base.uniform() - 0.5)).collect();
        Array3::from_shape_fn((3, h, w), |(c, i, j)| g[i * w + j] + noise * (r.uniform() - 0.5) + 0.02 * c as f32)
    };
    assert_histogram_matched(&grey(11, 0.5, 0.02, 18, 22), &grey(12, 0.45, 0.06, 25, 17), "nearly grey");
}

#[test]
fn histogram_matching_when_one_pair_of_channels_dominates() {
    // Two channels that move together and one independent of them: one
    // off-diagonal entry of the covariance dwarfs the other two (a
    // diagonalisation that weighed the off-diagonal entries wrongly would
    // stop before it started). Each pair in turn.
    for (p, q) in [(1, 2), (0, 2), (0, 1)] {
        let lone = 3 - p - q;
        let picture = |seed: u64, h: usize, w: usize, spread: f32| {
            let mut r = Rng::new(seed);
            let mut x = Array3::<f32>::zeros((3, h, w));
            x.index_axis_mut(ndarray::Axis(0), lone).iter_mut().for_each(|v| *v = 0.5 + 0.1 * (r.uniform() - 0.5));
            x.index_axis_mut(ndarray::Axis(0), p).iter_mut().for_each(|v| *v = 0.5 + spread * (r.uniform() - 0.5));
            let lead = x.index_axis(ndarray::Axis(0), p).to_owned();
            x.index_axis_mut(ndarray::Axis(0), q).zip_mut_with(&lead, |v, &l| *v = 0.9 * l + 0.05 + 0.02 * (r.uniform() - 0.5));
            x
        };
        let (content, style) = (picture(21, 16, 20, 0.4), picture(22, 21, 15, 0.2));
        let (_, cc) = moments(&content);
        assert!(cc[p][q].abs() > 50.0 * (cc[lone][p].abs() + cc[lone][q].abs()), "channels {p} and {q} dominate: {cc:?}");
        assert_histogram_matched(&content, &style, &format!("channels {p} and {q} tied"));
    }
}

#[test]
fn histogram_matching_of_a_pattern_with_exactly_uncorrelated_channels() {
    // A repeated 2x2 pattern in values exact in binary: red and green have
    // the same variance and exactly zero covariance, red and blue move
    // together. The diagonalisation meets a pair it has nothing to rotate
    // (0/0 if it tried).
    let cell = |i: usize, j: usize| -> [f32; 3] {
        let (r, g) = (if j.is_multiple_of(2) { 0.4375 } else { 0.5625 }, if i.is_multiple_of(2) { 0.4375 } else { 0.5625 });
        [r, g, if j.is_multiple_of(2) { 0.46875 } else { 0.53125 }]
    };
    let content = Array3::from_shape_fn((3, 8, 8), |(c, i, j)| cell(i, j)[c]);
    let (_, cc) = moments(&content);
    assert!(cc[0][1] == 0.0 && cc[0][0] == cc[1][1] && cc[0][2] != 0.0, "{cc:?}");
    assert_histogram_matched(&content, &picture(41, [0.1, 0.1, 0.1]), "pattern");
}

/// 3x3 helpers in f64 for the references below.
type M3 = [[f64; 3]; 3];
fn mat_mul(a: &M3, b: &M3) -> M3 {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}
fn mat_inv(a: &M3) -> M3 {
    let c = |i: usize, j: usize| {
        let (r0, r1, c0, c1) = ((i + 1) % 3, (i + 2) % 3, (j + 1) % 3, (j + 2) % 3);
        a[r0][c0] * a[r1][c1] - a[r0][c1] * a[r1][c0]
    };
    let det: f64 = (0..3).map(|j| a[0][j] * c(0, j)).sum();
    std::array::from_fn(|i| std::array::from_fn(|j| c(j, i) / det))
}

/// Each histogram variant against its own reference, so the two cannot be
/// swapped: Cholesky's `A = L_c L_s^-1` from a textbook Cholesky (lower
/// triangular: the red channel comes from the red channel alone); eigen's
/// `A = S_c^1/2 S_s^-1/2` from the Denman-Beavers iteration (no eigen
/// decomposition), and `A` maps the style's covariance to the content's
/// through symmetric factors.
#[test]
fn each_histogram_variant_matches_its_own_reference() {
    let (content, style) = (picture(31, [0.3, 0.2, 0.25]), picture(32, [0.2, 0.35, 0.15]));
    let (mc, sc) = moments(&content);
    let (ms, ss) = moments(&style);
    let cholesky = |s: &M3| -> M3 {
        let mut l = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..=i {
                let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
                l[i][j] = if i == j { (s[i][i] - sum).sqrt() } else { (s[i][j] - sum) / l[j][j] };
            }
        }
        l
    };
    // Denman-Beavers: Y -> S^1/2, Z -> S^-1/2.
    let roots = |s: &M3| -> (M3, M3) {
        let (mut y, mut z) = (*s, std::array::from_fn(|i| std::array::from_fn(|j| f64::from(u8::from(i == j)))));
        for _ in 0..60 {
            let (yi, zi) = (mat_inv(&y), mat_inv(&z));
            let ny = std::array::from_fn(|i| std::array::from_fn(|j| 0.5 * (y[i][j] + zi[i][j])));
            z = std::array::from_fn(|i| std::array::from_fn(|j| 0.5 * (z[i][j] + yi[i][j])));
            y = ny;
        }
        (y, z)
    };
    let a_chol = mat_mul(&cholesky(&sc), &mat_inv(&cholesky(&ss)));
    let a_eig = mat_mul(&roots(&sc).0, &roots(&ss).1);
    for (how, a) in [(Histogram::Cholesky, a_chol), (Histogram::Eigen, a_eig)] {
        let out = match_histogram(style.view(), content.view(), how);
        let (_, h, w) = style.dim();
        for (i, j) in [(0, 0), (7, 11), (h - 1, w - 1)] {
            for c in 0..3 {
                let want = mc[c] + (0..3).map(|k| a[c][k] * (style[[k, i, j]] as f64 - ms[k])).sum::<f64>();
                assert!(
                    (out[[c, i, j]] as f64 - want).abs() < 1e-4,
                    "{how:?} pixel ({i}, {j}) channel {c}: {} against {want}",
                    out[[c, i, j]]
                );
            }
        }
    }
    assert!(a_chol[0][1].abs() < 1e-12 && a_chol[0][2].abs() < 1e-12, "Cholesky's red from red alone");
    assert!(a_eig[0][1].abs() > 1e-3 || a_eig[0][2].abs() > 1e-3, "the eigen variant mixes the channels, so the two differ here");
}
