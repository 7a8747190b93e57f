//! ReLU. The forward is fused into the convolution (`conv_forward(.., relu: true, ..)`);
//! what the backward needs is only where the output was positive, kept as one
//! bit per element.

use super::simd::{multiversion, Isa};
use rayon::prelude::*;

/// Elements per parallel chunk of the element-wise passes (fixed, so results do
/// not depend on the thread count; 64 Ki elements is ~0.1 ms of work).
pub const CHUNK: usize = 64 * 1024;

/// In-place ReLU: `x = max(x, 0)`.
pub fn relu_forward(x: &mut [f32]) {
    x.par_chunks_mut(CHUNK).for_each(|c| c.iter_mut().for_each(|v| *v = v.max(0.0)));
}

/// Where a ReLU output `(c, h, w)` was positive, one bit per element: all the
/// backward needs (1/32 of keeping the f32 activations). Each row of `w`
/// starts a new 64-bit word, so the rows can be written by different tasks
/// (the Winograd output transform writes them as it goes).
#[derive(Clone, Debug, Default)]
pub struct ReluMask {
    rows: usize,
    w: usize,
    /// (rows, words_per_row)
    bits: Vec<u64>,
}

impl ReluMask {
    /// All clear, for `rows = c * h` rows of `w` elements.
    pub fn zeros(rows: usize, w: usize) -> Self {
        ReluMask { rows, w, bits: vec![0; rows * w.div_ceil(64)] }
    }
    /// Elements covered: `rows * w`.
    pub fn len(&self) -> usize {
        self.rows * self.w
    }
    /// Whether the mask has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Words per row: `ceil(w / 64)`.
    pub fn words_per_row(&self) -> usize {
        self.w.div_ceil(64)
    }
    /// Row `r` (`= c * h + y`).
    pub fn row(&self, r: usize) -> &[u64] {
        let n = self.words_per_row();
        &self.bits[r * n..(r + 1) * n]
    }
    /// The words, `(rows, words_per_row)`, for writers that own disjoint rows.
    pub fn words_mut(&mut self) -> &mut [u64] {
        &mut self.bits
    }
    /// Bit `i` of the flat `(rows, w)` layout.
    pub fn get(&self, i: usize) -> bool {
        let (r, x) = (i / self.w, i % self.w);
        self.row(r)[x / 64] >> (x % 64) & 1 == 1
    }
}

/// The mask of a ReLU output `y (rows, w)`: bit i is `y[i] > 0`.
#[inline(never)]
pub fn relu_mask(y: &[f32], w: usize) -> ReluMask {
    assert!(w > 0 && y.len().is_multiple_of(w), "relu_mask: not whole rows of {w}");
    let isa = Isa::detect();
    let mut m = ReluMask::zeros(y.len() / w, w);
    let wpr = m.words_per_row();
    let rows_per_task = (CHUNK / w).max(1);
    m.bits.par_chunks_mut(wpr * rows_per_task).zip(y.par_chunks(w * rows_per_task)).for_each(|(b, y)| {
        for (b, y) in b.chunks_mut(wpr).zip(y.chunks(w)) {
            mask_row(isa, y, b);
        }
    });
    m
}

multiversion! {
    /// Bits of `y > 0` for one row (vectorised).
    pub(crate) fn mask_row(y: &[f32], bits: &mut [u64]) {
        mask_bits(y, bits)
    }
}

/// Bits of `y > 0`, 64 to a word, without branches.
#[inline(always)]
pub(crate) fn mask_bits(y: &[f32], bits: &mut [u64]) {
    for (word, y) in bits.iter_mut().zip(y.chunks(64)) {
        let mut acc = 0u64;
        for (j, &v) in y.iter().enumerate() {
            acc |= ((v > 0.0) as u64) << j;
        }
        *word = acc;
    }
}

/// `dy *= mask`: the gradient through ReLU, in place.
#[inline(never)]
pub fn relu_backward(dy: &mut [f32], mask: &ReluMask) {
    assert_eq!(dy.len(), mask.len());
    if mask.is_empty() {
        return;
    }
    let isa = Isa::detect();
    let (w, wpr) = (mask.w, mask.words_per_row());
    let rows_per_task = (CHUNK / w).max(1);
    dy.par_chunks_mut(w * rows_per_task).zip(mask.bits.par_chunks(wpr * rows_per_task)).for_each(|(d, b)| {
        for (d, b) in d.chunks_mut(w).zip(b.chunks(wpr)) {
            apply_row(isa, d, b);
        }
    });
}

multiversion! {
    /// `d[i] = 0` where bit i is clear, as a select per lane (vectorised).
    pub(crate) fn apply_row(d: &mut [f32], bits: &[u64]) {
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
