//! The network's operations on `(C, H, W)` f32 slices, each fast path beside its
//! plain reference. See the crate root for layouts.

pub mod bf16;
pub mod cache;
pub mod conv;
pub mod gemm;
pub mod geom;
pub mod im2col;
pub mod kernels;
pub mod pool;
pub mod reduce;
pub mod relu;
pub mod simd;
pub mod winograd;
