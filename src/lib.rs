//! # neural-style
//!
//! Style transfer after Gatys, Ecker & Bethge, "Image Style Transfer Using
//! Convolutional Neural Networks" (CVPR 2016), on the CPU, with no ML framework.
//!
//! ## Conventions (written once, here)
//! - **Tensors** are `f32`, row-major, `(C, H, W)`: channel planes one after
//!   another, rows within a plane. A layer's features as a matrix are
//!   `F (N, M)` with `N = C` channels and `M = H*W` positions, the same memory.
//!   There is no batch axis.
//! - **Convolution weights** are `(O, I, KH, KW)` (out channel, in channel,
//!   kernel row, kernel column), applied as a cross-correlation (no flip), stride
//!   1, zero padding. Biases are `(O)`. The input-gradient pass is the
//!   convolution with the weights flipped and transposed, `(I, O, KH, KW)`.
//!   Every layer runs Winograd F(4x4,3x3) and keeps only the transformed
//!   weights `U (36, O, I)`, which serve the forward and, read transposed and
//!   re-indexed, the input gradient ([`ops::winograd`]); im2col + GEMM stays
//!   as the reference path.
//! - **Vector instructions** are chosen at run time ([`ops::simd::Isa`]):
//!   AVX-512, AVX2+FMA or the baseline; results are deterministic for a given
//!   choice.
//! - **Images** handed to and returned by the library are `(3, H, W)` RGB in
//!   [0, 1] ([`image_io`]).
//! - The **preprocessed image** is what the network eats and what the optimiser
//!   moves: `(3, H, W)` in the weights' own input convention
//!   ([`preprocess::InputConvention`]). For the shipped VGG19 that is Caffe's:
//!   BGR, 0..255, mean pixel `[103.939, 116.779, 123.68]` (B, G, R) subtracted.
//!   Losses, gradients and total variation are taken with respect to it.
//! - **Layers** are named as in the paper: `conv4_2` is a convolution, `relu4_2`
//!   the tap after its ReLU ([`vgg::Tap`]). Pooling between blocks is 2x2,
//!   stride 2, average by default.
//! - **Determinism**: every parallel loop works on a partition fixed by the
//!   shapes and the machine's caches ([`ops::cache`]) alone, and every sum runs
//!   in a fixed order, so results are bit-identical for any number of threads
//!   (across machines they may differ in the last bits: the caches and the
//!   instruction set change the blocking and the rounding).
//!
//! ## Losses (F_l is `(N_l, M_l)`)
//! - content `L_c = 1/2 sum (F_l - P_l)^2`, summed over the content layers;
//! - Gram `G_l = F_l F_l^T / M_l`;
//! - style `E_l = 1/(4 N_l^2) sum (G_l - A_l)^2`, `L_s = sum_l w_l E_l`;
//! - total variation `L_tv = sum (x[c,i,j+1]-x[c,i,j])^2 + (x[c,i+1,j]-x[c,i,j])^2`;
//! - temporal (a video frame, [`objective::Temporal`]) `L_t = (1/D) sum c (x - warped)^2`,
//!   `D = H*W`, `c` the flow's reliability;
//! - total `L = alpha L_c + beta L_s + gamma L_tv (+ delta L_t)`.

#![warn(missing_docs)] // every public item says what it is (CI denies warnings)

pub mod color;
pub mod error;
#[cfg(feature = "figures")]
pub mod figures;
pub mod flow;
pub mod image_io;
pub mod loss;
pub mod objective;
pub mod ops;
pub mod optim;
pub mod preprocess;
pub mod rng;
pub mod trace;
pub mod transfer;
pub mod vgg;
pub mod weights;

pub use error::Error;

/// The README's and the documents' Rust blocks, compiled and run as doctests.
#[cfg(doctest)]
mod documents {
    #[doc = include_str!("../README.md")]
    struct Readme;
    #[doc = include_str!("../docs/usage.md")]
    struct Usage;
    #[doc = include_str!("../docs/design.md")]
    struct Design;
}
pub use objective::{ContentTarget, Evaluation, LossWeights, Objective, StyleTarget};
pub use ops::bf16::Precision;
pub use vgg::{Pooling, Tap, Vgg19};
