//! The paper's normalised VGG19: each filter's mean activation over images and
//! positions becomes 1. This computes those means (the scales) over calibration
//! images; [`WeightsFile::to_network`] applies them.

use super::WeightsFile;
use crate::error::Error;
use crate::vgg::{Pooling, Tap};
use ndarray::ArrayView3;

/// Mean activation of every filter of every layer over the given preprocessed
/// images `(3, H, W)`: `m[l][k] = mean over images and positions of relu_l[k]`.
/// Runs the network exactly as stored (unnormalised), with `pooling`.
pub fn mean_activations(weights: &WeightsFile, pooling: Pooling, images: &[ArrayView3<f32>]) -> Result<Vec<Vec<f64>>, Error> {
    if images.is_empty() {
        return Err(Error::Config("calibration needs at least one image".into()));
    }
    let net = weights.to_network(pooling, false)?;
    let taps: Vec<Tap> = (0..net.layers().len()).map(|i| Tap::from_index(i).unwrap()).collect();
    let mut sums: Vec<Vec<f64>> = net.layers().iter().map(|l| vec![0.0; l.c_out]).collect();
    for img in images {
        for (l, f) in net.features(*img, &taps).into_iter().enumerate() {
            let (c, h, w) = f.dim();
            let fs = f.as_slice().unwrap();
            for k in 0..c {
                let mean = fs[k * h * w..(k + 1) * h * w].iter().map(|&v| v as f64).sum::<f64>() / (h * w).max(1) as f64;
                sums[l][k] += mean / images.len() as f64;
            }
        }
    }
    Ok(sums)
}

/// A filter's scale is at least this fraction of its layer's median mean.
///
/// Measured on the shipped VGG19 over six CC0 photographs: one conv2_1 filter
/// averaged 6e-7 (the layer's median 109). Divided by that, it blew the Gram of
/// The Starry Night up to a style loss of 1e24 and the run to NaN. A filter that
/// barely fires on the calibration images gets this floor instead.
pub const SCALE_FLOOR: f64 = 0.01;

/// Stores per-filter scales in `weights`: each filter's mean activation, at
/// least [`SCALE_FLOOR`] times its layer's median (a dead layer keeps 1).
/// Returns how many filters were floored.
pub fn store_scales(weights: &mut WeightsFile, means: &[Vec<f64>]) -> usize {
    let mut floored = 0;
    for (rec, m) in weights.layers.iter_mut().zip(means) {
        let mut sorted = m.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let floor = SCALE_FLOOR * sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
        rec.scales = Some(
            m.iter()
                .map(|&v| {
                    if floor <= 0.0 {
                        1.0
                    } else if v < floor {
                        floored += 1;
                        floor as f32
                    } else {
                        v as f32
                    }
                })
                .collect(),
        );
    }
    floored
}

/// The calibration scan (`neural-style calibrate`): each image in `paths`
/// (PNG or JPEG) brought to `size` px on its longest side, every filter's
/// mean activation with `pooling` stored as its scale. Returns how many nearly
/// dead filters were floored ([`SCALE_FLOOR`]).
pub fn calibrate(weights: &mut WeightsFile, paths: &[std::path::PathBuf], size: usize, pooling: Pooling) -> Result<usize, Error> {
    let conv = weights.convention;
    let mut pre = Vec::new();
    for p in paths {
        let img = crate::image_io::load(p)?;
        pre.push(conv.preprocess(crate::image_io::resize_longest(img.view(), size).view()));
    }
    let views: Vec<_> = pre.iter().map(|x| x.view()).collect();
    let means = mean_activations(weights, pooling, &views)?;
    Ok(store_scales(weights, &means))
}

/// The f64 reference calibration (average pooling, PNG only): the same scales
/// file ([`super::scales`]) on any machine, its comment saying how it was made.
pub fn calibrate_exact(weights: &mut WeightsFile, paths: &[std::path::PathBuf], size: usize) -> Result<String, Error> {
    use super::exact;
    let images = paths.iter().map(|p| Ok(exact::prepare_image(weights, &exact::load_png(p)?, size))).collect::<Result<Vec<_>, Error>>()?;
    let means = exact::mean_activations(weights, &images)?;
    let floored = store_scales(weights, &means);
    let names: Vec<String> = paths.iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
    let sizes: Vec<String> = images.iter().map(|i| format!("{}x{}", i.dim().2, i.dim().1)).collect();
    let comment = format!(
        "neural-style normalisation scales: each filter's mean activation (average pooling) over {} images,\n\
         {} ({}), shrunk by whole-pixel box averages to at most {size} px, f64 direct convolution in a\n\
         fixed order (`neural-style calibrate --exact --size {size}`); {floored} nearly dead filters floored at {SCALE_FLOOR}x their layer's median.",
        paths.len(),
        names.join(", "),
        sizes.join(", "),
    );
    Ok(super::scales::to_text(weights, &comment))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scales are the means, floored at 1% of the layer's median (the upper
    /// one for an even count); a layer whose median is 0 keeps 1 everywhere.
    #[test]
    fn scales_are_the_means_floored_at_a_hundredth_of_the_median() {
        let mut f = crate::weights::shipped();
        f.layers.truncate(3);
        let means = vec![
            vec![5.0, 0.001, 100.0, 2.0, 0.02], // median 2: floor 0.02, one filter below, one at it
            vec![4.0, 1.0, 3.0, 0.001],         // upper median 3: floor 0.03
            vec![0.0, 0.0, 7.0],                // median 0: a dead layer
        ];
        assert_eq!(store_scales(&mut f, &means), 2);
        let got: Vec<Vec<f32>> = f.layers.iter().map(|l| l.scales.clone().unwrap()).collect();
        assert_eq!(got[0], [5.0, 0.02, 100.0, 2.0, 0.02]);
        assert_eq!(got[1], [4.0, 1.0, 3.0, 0.03]);
        assert_eq!(got[2], [1.0, 1.0, 1.0]);
        assert!(mean_activations(&f, Pooling::Avg, &[]).is_err());
    }
}
