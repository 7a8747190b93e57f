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

/// Stores per-filter scales in `weights` (a dead filter, mean 0, keeps scale 1).
/// Returns how many filters were dead.
pub fn store_scales(weights: &mut WeightsFile, means: &[Vec<f64>]) -> usize {
    let mut dead = 0;
    for (rec, m) in weights.layers.iter_mut().zip(means) {
        rec.scales = Some(
            m.iter()
                .map(|&v| {
                    if v > 1e-12 {
                        v as f32
                    } else {
                        dead += 1;
                        1.0
                    }
                })
                .collect(),
        );
    }
    dead
}
