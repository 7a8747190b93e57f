//! The choice of convolution for a layer and its packed weights: Winograd
//! F(4x4,3x3) ([`super::winograd`]) or im2col + GEMM ([`super::conv`], the
//! reference), one set of forward and backward entry points for both.

use super::bf16::Precision;
use super::conv::{conv_backward_input, conv_backward_input_add, conv_forward, flip_transpose, ConvGeom};
use super::relu::{relu_backward, ReluMask};
use super::simd::Isa;
use super::winograd::{Input, Output, WinogradWeights};

/// How a layer's convolutions run, with the weights packed for that.
#[derive(Clone, Debug)]
pub enum Kernels {
    /// im2col + GEMM: weights `(c_out, c_in, 3, 3)` and, for the input gradient,
    /// flipped and transposed `(c_in, c_out, 3, 3)`.
    Im2col {
        /// `(c_out, c_in, 3, 3)`.
        weight: Vec<f32>,
        /// `(c_in, c_out, 3, 3)`, flipped.
        weight_t: Vec<f32>,
    },
    /// Winograd F(4x4,3x3): `U (36, c_out, c_in)`, read transposed and
    /// re-indexed for the input gradient (no second copy).
    Winograd(WinogradWeights),
}

/// Which convolution a layer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvAlgo {
    /// Winograd where it measured faster (see [`WINOGRAD_MIN_CHANNELS`]), im2col for the rest.
    Auto,
    /// im2col + GEMM, the reference.
    Im2col,
    /// Winograd F(4x4,3x3).
    Winograd,
}

/// Layers with at least this many input channels use Winograd under
/// [`ConvAlgo::Auto`]: every layer, conv1_1 (3 channels in) included.
/// `cargo bench --bench engine -- layers 512 --threads 1` (`docs/performance.md`)
/// measured F(4x4,3x3) faster than im2col on every layer, conv1_1 too (10.3
/// against 15.6 ms forward, 10.9 against 62.0 input gradient).
pub const WINOGRAD_MIN_CHANNELS: usize = 1;

impl Kernels {
    /// Packs weights `(c_out, c_in, 3, 3)` for the convolution `algo` picks.
    pub fn new(c_in: usize, c_out: usize, weight: Vec<f32>, algo: ConvAlgo) -> Self {
        assert_eq!(weight.len(), c_out * c_in * 9);
        let winograd = match algo {
            ConvAlgo::Auto => c_in >= WINOGRAD_MIN_CHANNELS,
            ConvAlgo::Im2col => false,
            ConvAlgo::Winograd => true,
        };
        if winograd {
            // Only the transformed weights are kept: 4x the size, forward and backward.
            Kernels::Winograd(WinogradWeights::new(c_out, c_in, &weight))
        } else {
            let weight_t = flip_transpose(&ConvGeom::vgg(c_in, c_out, 1, 1), &weight);
            Kernels::Im2col { weight, weight_t }
        }
    }

    /// The weights `(c_out, c_in, 3, 3)` (recovered from `U` for Winograd, to
    /// within rounding).
    pub fn weight(&self) -> Vec<f32> {
        match self {
            Kernels::Im2col { weight, .. } => weight.clone(),
            Kernels::Winograd(u) => u.weight(),
        }
    }

    /// How the input gradient's products multiply: im2col is f32 only (a
    /// precision other than f32 leaves it so); Winograd takes `p` if this CPU
    /// can run it.
    pub fn set_precision(&mut self, p: Precision) -> Result<(), crate::Error> {
        match self {
            Kernels::Im2col { .. } => p.check(),
            Kernels::Winograd(u) => u.set_precision(p),
        }
    }

    /// How the input gradient's products multiply.
    pub fn precision(&self) -> Precision {
        match self {
            Kernels::Im2col { .. } => Precision::F32,
            Kernels::Winograd(u) => u.precision(),
        }
    }

    /// Bytes of the packed weights.
    pub fn bytes(&self) -> usize {
        match self {
            Kernels::Im2col { weight, weight_t } => 4 * (weight.len() + weight_t.len()),
            Kernels::Winograd(u) => u.bytes(),
        }
    }

    /// `y = relu(conv(x) + bias)`.
    pub fn forward(&self, g: &ConvGeom, x: &[f32], bias: &[f32], y: &mut [f32]) {
        match self {
            Kernels::Im2col { weight, .. } => conv_forward(g, x, weight, Some(bias), true, y),
            Kernels::Winograd(u) => u.forward(g, x, Some(bias), true, false, y),
        }
    }

    /// Whether the output can be handed on already 2x2 average-pooled, with
    /// its ReLU mask, and the gradient taken back still pooled (Winograd).
    pub fn pools_in_place(&self) -> bool {
        matches!(self, Kernels::Winograd(_))
    }

    /// `relu(conv(x) + bias)` as its mask and its 2x2 average pool (Winograd only).
    pub fn forward_pooled(&self, g: &ConvGeom, x: &[f32], bias: &[f32], pooled: &mut [f32], mask: &mut ReluMask) {
        match self {
            Kernels::Winograd(u) => u.forward_pooled(g, x, Some(bias), pooled, mask),
            Kernels::Im2col { .. } => unreachable!("only Winograd layers pool in place"),
        }
    }

    /// `relu(conv(x) + bias)` into `y`, with its mask made as it is written (Winograd only).
    pub fn forward_masked(&self, g: &ConvGeom, x: &[f32], bias: &[f32], y: &mut [f32], mask: &mut ReluMask) {
        match self {
            Kernels::Winograd(u) => u.forward_masked(g, x, Some(bias), y, mask),
            Kernels::Im2col { .. } => unreachable!("only Winograd layers mask in place"),
        }
    }

    /// `dx (+)= dL/dx` from the gradient `dy` at this layer's output, in any
    /// [`Input`] form (plain; still to be masked by this layer's ReLU; still
    /// pooled: those two Winograd only), then, with a `gate`, `dx` zeroed where
    /// the ReLU below was not positive (Winograd does it while the rows are in
    /// cache, im2col in a pass after).
    pub fn backward(&self, g: &ConvGeom, dy: Input, dx: &mut [f32], accumulate: bool, gate: Option<&ReluMask>) {
        match (self, dy) {
            (Kernels::Winograd(u), dy) => {
                let out = match gate {
                    Some(gate) => Output::Gated { y: dx, accumulate, gate },
                    None => Output::Full { y: dx, accumulate },
                };
                u.backward_into(Isa::detect(), g, dy, out)
            }
            (Kernels::Im2col { weight_t, .. }, Input::Plain(dy)) => {
                match accumulate {
                    false => conv_backward_input(g, dy, weight_t, dx),
                    true => conv_backward_input_add(g, dy, weight_t, dx),
                }
                if let Some(gate) = gate {
                    relu_backward(dx, gate);
                }
            }
            (Kernels::Im2col { .. }, _) => unreachable!("only Winograd layers mask and unpool in place"),
        }
    }
}
