//! ReLU. The forward is fused into the convolution (`conv_forward(.., relu: true, ..)`);
//! what the backward needs is only where the output was positive, kept as one
//! byte per element.

use super::simd::{multiversion, Isa};
use rayon::prelude::*;

/// Elements per parallel chunk of the element-wise passes (fixed, so results do
/// not depend on the thread count; 64 Ki elements is ~0.1 ms of work).
pub const CHUNK: usize = 64 * 1024;

/// In-place ReLU: `x = max(x, 0)`.
pub fn relu_forward(x: &mut [f32]) {
    x.par_chunks_mut(CHUNK).for_each(|c| c.iter_mut().for_each(|v| *v = v.max(0.0)));
}

/// Where a ReLU output was positive, one bit per element: all the backward
/// needs (1/32 of keeping the f32 activations).
#[derive(Clone, Debug, Default)]
pub struct ReluMask {
    len: usize,
    bits: Vec<u64>,
}

impl ReluMask {
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn get(&self, i: usize) -> bool {
        self.bits[i / 64] >> (i % 64) & 1 == 1
    }
}

/// The mask of a ReLU output `y`: bit i is `y[i] > 0`.
#[inline(never)]
pub fn relu_mask(y: &[f32]) -> ReluMask {
    let isa = Isa::detect();
    let mut bits = vec![0u64; y.len().div_ceil(64)];
    bits.par_chunks_mut(CHUNK / 64).zip(y.par_chunks(CHUNK)).for_each(|(b, y)| mask_chunk(isa, y, b));
    ReluMask { len: y.len(), bits }
}

multiversion! {
    /// Bits of `y > 0`, 64 to a word, without branches (vectorised).
    fn mask_chunk(y: &[f32], bits: &mut [u64]) {
        for (word, y) in bits.iter_mut().zip(y.chunks(64)) {
            let mut acc = 0u64;
            for (j, &v) in y.iter().enumerate() {
                acc |= ((v > 0.0) as u64) << j;
            }
            *word = acc;
        }
    }
}

/// `dy *= mask`: the gradient through ReLU, in place.
#[inline(never)]
pub fn relu_backward(dy: &mut [f32], mask: &ReluMask) {
    assert_eq!(dy.len(), mask.len);
    let isa = Isa::detect();
    dy.par_chunks_mut(CHUNK).zip(mask.bits.par_chunks(CHUNK / 64)).for_each(|(d, b)| apply_chunk(isa, d, b));
}

multiversion! {
    /// `d[i] = 0` where bit i is clear, as a select per lane (vectorised).
    fn apply_chunk(d: &mut [f32], bits: &[u64]) {
        for (d, &word) in d.chunks_mut(64).zip(bits) {
            if word == u64::MAX {
                continue;
            }
            for (j, v) in d.iter_mut().enumerate() {
                *v = if (word >> j) & 1 == 1 { *v } else { 0.0 };
            }
        }
    }
}
