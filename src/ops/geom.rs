//! The shape of one convolution, shared by every way of computing it
//! (im2col, Winograd, the direct references).

/// Geometry of one convolution: input `(c_in, h, w)`, kernel `(c_out, c_in, k, k)`,
/// zero padding `pad` on every side, stride 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel side (3 in VGG).
    pub k: usize,
    /// Zero padding on each side (1 in VGG).
    pub pad: usize,
}

impl ConvGeom {
    /// VGG's convolution: 3x3, pad 1, same size out as in.
    pub fn vgg(c_in: usize, c_out: usize, h: usize, w: usize) -> Self {
        ConvGeom { c_in, c_out, h, w, k: 3, pad: 1 }
    }
    /// Output height.
    pub fn out_h(&self) -> usize {
        (self.h + 2 * self.pad + 1).saturating_sub(self.k)
    }
    /// Output width.
    pub fn out_w(&self) -> usize {
        (self.w + 2 * self.pad + 1).saturating_sub(self.k)
    }
    /// Rows of the column matrix: `c_in * k * k`.
    pub fn patch_len(&self) -> usize {
        self.c_in * self.k * self.k
    }
    /// The convolution that computes this one's input gradient (see module docs).
    pub fn input_gradient(&self) -> ConvGeom {
        assert!(self.pad < self.k, "input gradient needs pad < k");
        ConvGeom { c_in: self.c_out, c_out: self.c_in, h: self.out_h(), w: self.out_w(), k: self.k, pad: self.k - 1 - self.pad }
    }
    /// Multiply-adds of the forward pass, times two: its FLOP count.
    pub fn flops(&self) -> f64 {
        2.0 * (self.c_out * self.patch_len() * self.out_h() * self.out_w()) as f64
    }
}
