//! Warping along a flow by bilinear sampling.

use super::grid::sample;
use super::Flow;
use ndarray::{Array3, ArrayView3};

/// `img` (`(C, H, W)`, any channels) brought to the frame a flow starts from:
/// `out[c, i, j] = img[c, i + v[i, j], j + u[i, j]]`, bilinear, clamped at the
/// borders. With the flow from frame t to frame t-1, this carries what was
/// painted at t-1 to where it is at t.
///
/// No adjoint is needed here: the temporal loss holds the image to a warped
/// *fixed* picture, so no gradient flows through the warp.
pub fn warp(img: ArrayView3<f32>, flow: &Flow) -> Array3<f32> {
    let (c, h, w) = img.dim();
    assert_eq!(flow.dim(), (h, w), "flow and image of one size");
    Array3::from_shape_fn((c, h, w), |(ch, i, j)| {
        sample(img.index_axis(ndarray::Axis(0), ch), i as f32 + flow.v[[i, j]], j as f32 + flow.u[[i, j]])
    })
}
