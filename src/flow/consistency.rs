//! Where a flow can be trusted: the forward-backward check of Sundaram, Brox
//! & Keutzer (2010), with the thresholds Ruder et al. (2016) use.

use super::grid::{central_gradient, sample};
use super::Flow;
use ndarray::Array2;

/// A weight map `c (H, W)` in {0, 1} over frame B for the flow `b_to_a` (the
/// one that warps A onto B), checked against `a_to_b`: 0 where the two do not
/// undo each other (`|w + w'|^2 > 0.01 (|w|^2 + |w'|^2) + 0.5`, a
/// disocclusion: what B shows was hidden in A), where the flow changes fast
/// (`|grad u|^2 + |grad v|^2 > 0.01 |w|^2 + 0.002`, a motion boundary), and
/// where the flow leaves the frame; 1 elsewhere.
pub fn reliability(b_to_a: &Flow, a_to_b: &Flow) -> Array2<f32> {
    let (h, w) = b_to_a.dim();
    assert_eq!(a_to_b.dim(), (h, w), "flows of one size");
    let (ux, uy) = central_gradient(b_to_a.u.view());
    let (vx, vy) = central_gradient(b_to_a.v.view());
    Array2::from_shape_fn((h, w), |(i, j)| {
        let (u, v) = (b_to_a.u[[i, j]], b_to_a.v[[i, j]]);
        let (y, x) = (i as f32 + v, j as f32 + u);
        if y < 0.0 || x < 0.0 || y > (h - 1) as f32 || x > (w - 1) as f32 {
            return 0.0;
        }
        let (uf, vf) = (sample(a_to_b.u.view(), y, x), sample(a_to_b.v.view(), y, x));
        let back = (u + uf).powi(2) + (v + vf).powi(2);
        let occluded = back > 0.01 * (u * u + v * v + uf * uf + vf * vf) + 0.5;
        let gradient = ux[[i, j]].powi(2) + uy[[i, j]].powi(2) + vx[[i, j]].powi(2) + vy[[i, j]].powi(2);
        let boundary = gradient > 0.01 * (u * u + v * v) + 0.002;
        if occluded || boundary {
            0.0
        } else {
            1.0
        }
    })
}
