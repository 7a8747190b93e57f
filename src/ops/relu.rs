//! ReLU. The forward is fused into the convolution (`conv_forward(.., relu: true, ..)`);
//! what the backward needs is only where the output was positive, kept as one
//! byte per element.

use rayon::prelude::*;

/// Elements per parallel chunk of the element-wise passes (fixed, so results do
/// not depend on the thread count; 64 Ki elements is ~0.1 ms of work).
pub const CHUNK: usize = 64 * 1024;

/// In-place ReLU: `x = max(x, 0)`.
pub fn relu_forward(x: &mut [f32]) {
    x.par_chunks_mut(CHUNK).for_each(|c| c.iter_mut().for_each(|v| *v = v.max(0.0)));
}

/// The mask the backward needs: `mask[i] = (y[i] > 0)` for a ReLU output `y`.
pub fn relu_mask(y: &[f32], mask: &mut Vec<u8>) {
    mask.resize(y.len(), 0);
    mask.par_chunks_mut(CHUNK).zip(y.par_chunks(CHUNK)).for_each(|(m, y)| {
        for (m, &v) in m.iter_mut().zip(y) {
            *m = (v > 0.0) as u8;
        }
    });
}

/// `dy *= mask`: the gradient through ReLU, in place.
pub fn relu_backward(dy: &mut [f32], mask: &[u8]) {
    assert_eq!(dy.len(), mask.len());
    dy.par_chunks_mut(CHUNK).zip(mask.par_chunks(CHUNK)).for_each(|(d, m)| {
        for (d, &m) in d.iter_mut().zip(m) {
            if m == 0 {
                *d = 0.0;
            }
        }
    });
}
