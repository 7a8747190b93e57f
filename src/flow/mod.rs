//! Dense optical flow between two frames, for painting video without flicker
//! (Ruder, Dosovitskiy & Brox, "Artistic style transfer for videos", 2016).
//!
//! - [`tvl1`]: the TV-L1 flow of Zach, Pock & Bischof (2007) with Wedel et
//!   al.'s (2009) median filtering, solved coarse to fine with warps as in
//!   Sánchez, Meinhardt-Llopis & Facciolo's IPOL description (2013).
//! - [`warp()`]: bilinear sampling of an image along a flow.
//! - [`consistency`]: the forward-backward check of Sundaram, Brox & Keutzer
//!   (2010), as Ruder et al. use it: a weight map `c` in [0, 1] that is 0 at
//!   disocclusions and motion boundaries.
//! - [`files`]: the Middlebury `.flo` file and the colour-wheel picture of a
//!   flow (Baker et al. 2011).
//!
//! ## Conventions
//! A flow from frame A to frame B is two planes `(H, W)` of A's size: the
//! pixel `(i, j)` of A is seen in B at row `i + v[i, j]`, column `j + u[i, j]`
//! (`u` horizontal, `v` vertical, in pixels). Frames are RGB `(3, H, W)` in
//! [0, 1]; the flow works on their luminance in 0..255.

pub mod consistency;
pub mod files;
mod grid;
pub mod tvl1;
mod warp;

pub use consistency::reliability;
pub use tvl1::{estimate, TvL1};
pub use warp::warp;

/// A plane resampled to `(h, w)`, bilinear (for weight maps).
pub fn resample(p: ndarray::ArrayView2<f32>, h: usize, w: usize) -> Array2<f32> {
    match p.dim() == (h, w) {
        true => p.to_owned(),
        false => grid::resample(p, h, w),
    }
}

use ndarray::Array2;

/// A dense displacement field: `u` horizontal, `v` vertical, `(H, W)` each.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    /// Columns to move right.
    pub u: Array2<f32>,
    /// Rows to move down.
    pub v: Array2<f32>,
}

impl Flow {
    /// No motion at `(h, w)`.
    pub fn zeros(h: usize, w: usize) -> Flow {
        Flow { u: Array2::zeros((h, w)), v: Array2::zeros((h, w)) }
    }

    /// `(H, W)`.
    pub fn dim(&self) -> (usize, usize) {
        self.u.dim()
    }

    /// The mean endpoint error against `truth`, in pixels, over the pixels
    /// where `mask` (if given) is above one half.
    pub fn endpoint_error(&self, truth: &Flow, mask: Option<&Array2<f32>>) -> f64 {
        let (mut sum, mut n) = (0.0f64, 0usize);
        for ((i, j), &u) in self.u.indexed_iter() {
            if mask.is_some_and(|m| m[[i, j]] <= 0.5) {
                continue;
            }
            let (du, dv) = (u - truth.u[[i, j]], self.v[[i, j]] - truth.v[[i, j]]);
            sum += ((du * du + dv * dv) as f64).sqrt();
            n += 1;
        }
        sum / n.max(1) as f64
    }
}
