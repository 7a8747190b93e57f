//! The calibration of the paper's normalised network, computed so that any
//! machine gives the same bytes: images decoded from PNG (exact), brought down
//! by whole-pixel box averages, and VGG19 run as a plain f64 direct convolution
//! whose every sum has one fixed order (no Winograd, no GEMM blocking, no SIMD
//! dispatch, no fused multiply-add; threads only split independent filters).
//! Slow (about 10 s for three small photographs on two cores) and run once.

use super::WeightsFile;
use crate::error::Error;
use crate::vgg::VGG19;
use ndarray::Array3;
use rayon::prelude::*;

/// A PNG's pixels as RGB8 `(3, H, W)`. PNG only: its decoding is exact, while
/// JPEG decoders may round differently from one machine to another.
pub fn load_png(path: &std::path::Path) -> Result<Array3<u8>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |reason: String| Error::Image { path: path.to_path_buf(), reason };
    if !bytes.starts_with(b"\x89PNG") {
        return Err(bad("not a PNG (exact calibration reads PNG only)".into()));
    }
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).map_err(|e| bad(e.to_string()))?.to_rgb8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    Ok(Array3::from_shape_fn((3, h, w), |(c, y, x)| img.get_pixel(x as u32, y as u32)[c]))
}

/// An RGB8 picture `(3, H, W)` in 0..255 shrunk by the whole factor that
/// brings its longest side to at most `size` (box average of factor x factor
/// pixels, the ragged edge dropped), then preprocessed by `weights`'
/// convention, all in f64.
pub fn prepare_image(weights: &WeightsFile, rgb8: &Array3<u8>, size: usize) -> Array3<f64> {
    let (_, h, w) = rgb8.dim();
    let f = h.max(w).div_ceil(size.max(1)).max(1);
    let (oh, ow) = ((h / f).max(1), (w / f).max(1));
    let conv = &weights.convention;
    Array3::from_shape_fn((3, oh, ow), |(c, y, x)| {
        let src = conv.source(c);
        let mut sum = 0.0f64;
        // Inside the picture: y < max(h / f, 1) and dy < min(f, h).
        for dy in 0..f.min(h) {
            for dx in 0..f.min(w) {
                sum += rgb8[[src, y * f + dy, x * f + dx]] as f64;
            }
        }
        let v = sum / (f.min(h) * f.min(w)) as f64 / 255.0;
        (v * conv.scale as f64 - conv.mean[c] as f64) / conv.std[c] as f64
    })
}

/// `relu(conv3x3(x) + b)`, zero padding, one output filter at a time; the
/// sum for each output is bias, then input channels in order, then the nine
/// taps in row order.
fn conv_relu(x: &Array3<f64>, w: &[f32], b: &[f32], c_out: usize) -> Array3<f64> {
    let (c_in, h, wd) = x.dim();
    let (ph, pw) = (h + 2, wd + 2);
    let mut padded = vec![0.0f64; c_in * ph * pw];
    for ((c, y, xx), v) in x.indexed_iter() {
        padded[(c * ph + y + 1) * pw + xx + 1] = *v;
    }
    let mut out = vec![0.0f64; c_out * h * wd];
    out.par_chunks_mut(h * wd).enumerate().for_each(|(o, plane)| {
        plane.fill(b[o] as f64);
        for i in 0..c_in {
            for ky in 0..3 {
                for kx in 0..3 {
                    let wv = w[((o * c_in + i) * 3 + ky) * 3 + kx] as f64;
                    for y in 0..h {
                        let row = &padded[(i * ph + y + ky) * pw + kx..][..wd];
                        let dst = &mut plane[y * wd..(y + 1) * wd];
                        for (d, s) in dst.iter_mut().zip(row) {
                            *d += wv * s;
                        }
                    }
                }
            }
        }
        plane.iter_mut().for_each(|v| *v = v.max(0.0));
    });
    Array3::from_shape_vec((c_out, h, wd), out).unwrap()
}

/// 2x2 average pooling, stride 2 (odd edges dropped, as the network does).
fn avg_pool(x: &Array3<f64>) -> Array3<f64> {
    let (c, h, w) = x.dim();
    Array3::from_shape_fn((c, h / 2, w / 2), |(k, y, xx)| {
        (x[[k, 2 * y, 2 * xx]] + x[[k, 2 * y, 2 * xx + 1]] + x[[k, 2 * y + 1, 2 * xx]] + x[[k, 2 * y + 1, 2 * xx + 1]]) / 4.0
    })
}

/// Mean activation of every filter of every layer (average pooling, the
/// network as stored), averaged over `images` (preprocessed, from
/// [`prepare_image`]): `m[l][k]`. The same bits on any machine.
pub fn mean_activations(weights: &WeightsFile, images: &[Array3<f64>]) -> Result<Vec<Vec<f64>>, Error> {
    if images.is_empty() {
        return Err(Error::Config("calibration needs at least one image".into()));
    }
    let mut means: Vec<Vec<f64>> = weights.layers.iter().map(|l| vec![0.0; l.shape[0]]).collect();
    for img in images {
        let mut x = img.clone();
        for (l, (rec, spec)) in weights.layers.iter().zip(VGG19.iter()).enumerate() {
            if spec.pool_before {
                x = avg_pool(&x);
            }
            if x.dim().0 != rec.shape[1] || x.dim().1 == 0 || x.dim().2 == 0 {
                return Err(Error::Config(format!("{}: input {:?} does not fit weights {:?}", rec.name, x.dim(), rec.shape)));
            }
            x = conv_relu(&x, &rec.weights.decode(), &rec.bias, rec.shape[0]);
            let (_, h, w) = x.dim();
            for (m, plane) in means[l].iter_mut().zip(x.outer_iter()) {
                *m += plane.iter().sum::<f64>() / (h * w) as f64 / images.len() as f64;
            }
        }
    }
    Ok(means)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::vgg::Pooling;

    /// The f64 path computes what the engine computes (to f32 accuracy),
    /// averaged over two images of different sizes (the second 1x1 at conv5_x,
    /// where padding is all a 3x3 window sees).
    #[test]
    fn exact_means_match_the_engine() {
        let file = crate::weights::shipped();
        let mut rng = Rng::new(3);
        let mut rgb8 = |h, w| Array3::from_shape_simple_fn((3, h, w), || (rng.uniform() * 255.0) as u8);
        let imgs = [prepare_image(&file, &rgb8(40, 36), 40), prepare_image(&file, &rgb8(24, 20), 48)];
        let exact = mean_activations(&file, &imgs).unwrap();
        let imgs32: Vec<Array3<f32>> = imgs.iter().map(|i| i.mapv(|v| v as f32)).collect();
        let views: Vec<_> = imgs32.iter().map(|i| i.view()).collect();
        let engine = crate::weights::normalise::mean_activations(&file, Pooling::Avg, &views).unwrap();
        for (l, (e, m)) in exact.iter().zip(&engine).enumerate() {
            let scale = e.iter().cloned().fold(0.0, f64::max).max(1e-9);
            for (k, (e, m)) in e.iter().zip(m).enumerate() {
                assert!((m - e).abs() <= 1e-4 * scale, "layer {l} filter {k}: engine {m} exact {e}");
            }
        }
        // Too small to reach conv5_1 (a side below 16 pools to nothing).
        let small = prepare_image(&file, &rgb8(12, 40), 40);
        assert!(matches!(mean_activations(&file, &[small]), Err(Error::Config(m)) if m.contains("conv5_1")));
        assert!(mean_activations(&file, &[]).is_err());
    }

    /// Shrinking by a whole factor: the factor that brings the longest side to
    /// at most `size`, box averages, the ragged edge dropped, a side shorter
    /// than the factor averaged over what there is.
    #[test]
    fn shrinking_keeps_whole_boxes() {
        let mut file = crate::weights::shipped();
        file.convention = crate::preprocess::InputConvention::torchvision();
        // 7x7 (h x w) to at most 3: factor 3, 2x2 outputs, row and column 6 dropped.
        let rgb8 = Array3::from_shape_fn((3, 7, 7), |(c, y, x)| (30 * c + 7 * y + x) as u8);
        let img = prepare_image(&file, &rgb8, 3);
        assert_eq!(img.dim(), (3, 2, 2));
        let conv = &file.convention;
        for c in 0..3 {
            for (y, x) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let (top, left) = (3 * y, 3 * x);
                let mean = (top..top + 3).flat_map(|i| (left..left + 3).map(move |j| (30 * c + 7 * i + j) as f64)).sum::<f64>() / 9.0;
                let want = (mean / 255.0 - conv.mean[c] as f64) / conv.std[c] as f64;
                assert!((img[[c, y, x]] - want).abs() < 1e-12, "channel {c} at {y},{x}: {} against {want}", img[[c, y, x]]);
            }
        }
        // 2 rows, 9 columns, at most 3: factor 3 is taller than the picture.
        let rgb8 = Array3::from_shape_fn((3, 2, 9), |(_, y, x)| (10 * y + x) as u8);
        let img = prepare_image(&file, &rgb8, 3);
        assert_eq!(img.dim(), (3, 1, 3));
        let want = ((1 + 2 + 10 + 11 + 12) as f64 / 6.0 / 255.0 - conv.mean[0] as f64) / conv.std[0] as f64;
        assert!((img[[0, 0, 0]] - want).abs() < 1e-12);
    }

    /// PNGs load pixel for pixel; anything else is refused by name.
    #[test]
    fn only_pngs_load() {
        let dir = std::env::temp_dir().join(format!("neural-style-exact-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = image::RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 40, y as u8 * 60, 7]));
        let png = dir.join("a.png");
        img.save(&png).unwrap();
        let got = load_png(&png).unwrap();
        assert_eq!(got.dim(), (3, 3, 5));
        assert!(got.indexed_iter().all(|((c, y, x), &v)| v == img.get_pixel(x as u32, y as u32)[c]));
        let jpg = dir.join("a.jpg");
        img.save(&jpg).unwrap();
        assert!(matches!(load_png(&jpg), Err(Error::Image { reason, .. }) if reason.contains("not a PNG")));
        assert!(matches!(load_png(&dir.join("missing.png")), Err(Error::Io { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn box_average_preprocesses_like_the_convention() {
        let file = crate::weights::shipped();
        // 4x2 pixels shrunk by 2: each output is a 2x2 average.
        let rgb8 = Array3::from_shape_fn((3, 2, 4), |(c, y, x)| (10 * c + 2 * y + x) as u8);
        let img = prepare_image(&file, &rgb8, 2);
        assert_eq!(img.dim(), (3, 1, 2));
        // BGR, 0..255, mean subtracted: channel 0 is blue (RGB channel 2).
        let blue = (20.0 + 21.0 + 22.0 + 23.0) / 4.0;
        assert!((img[[0, 0, 0]] - (blue - file.convention.mean[0] as f64)).abs() < 1e-9, "{}", img[[0, 0, 0]]);
    }
}
