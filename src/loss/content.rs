//! The content loss of one layer: `L = 1/2 sum (F - P)^2`, gradient `F - P`.

use crate::ops::reduce::sum_map2;
use crate::ops::relu::CHUNK;
use rayon::prelude::*;

/// Returns `L` for features `f` against target `p` (same shape) and adds
/// `scale * (F - P)` into `grad`.
pub fn content_layer(f: &[f32], p: &[f32], scale: f32, grad: &mut [f32]) -> f64 {
    assert_eq!(f.len(), p.len(), "content: features and target differ in shape");
    assert_eq!(f.len(), grad.len());
    let l = 0.5
        * sum_map2(f, p, |a, b| {
            let d = a as f64 - b as f64;
            d * d
        });
    if scale != 0.0 {
        grad.par_chunks_mut(CHUNK).enumerate().for_each(|(i, g)| {
            let o = i * CHUNK;
            for (j, g) in g.iter_mut().enumerate() {
                *g += scale * (f[o + j] - p[o + j]);
            }
        });
    }
    l
}
