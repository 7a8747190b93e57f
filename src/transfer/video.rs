//! Video frames painted coherently (Ruder, Dosovitskiy & Brox 2016): the
//! previous frame's result is warped along the optical flow to the new frame
//! ([`crate::flow`]); the new frame starts from it (what the flow cannot
//! carry, disocclusions and motion boundaries, from the new photograph) and
//! the temporal loss holds each reliable pixel to it.

use crate::flow::{self, Flow, TvL1};
use ndarray::{Array2, Array3, ArrayView3, Zip};

/// The previous frame, carried to this one: its result warped along the flow
/// and where that warp can be trusted. RGB `(3, H, W)` and `(H, W)`, both at
/// the result's size.
#[derive(Clone, Debug)]
pub struct Previous {
    /// The previous result, warped to this frame.
    pub warped: Array3<f32>,
    /// 1 where the flow is reliable, 0 at disocclusions, motion boundaries
    /// and where the flow leaves the frame.
    pub reliable: Array2<f32>,
}

impl Previous {
    /// Carries `result` (the previous frame's painting) from the photograph
    /// `before` to the photograph `now`, all three RGB at one size: the flow
    /// from `now` to `before` warps it, the flow back checks it.
    pub fn follow(result: ArrayView3<f32>, before: ArrayView3<f32>, now: ArrayView3<f32>, params: &TvL1) -> Previous {
        let (back, forth) = rayon::join(|| flow::estimate(now, before, params), || flow::estimate(before, now, params));
        Previous::along(result, &back, &forth)
    }

    /// [`Previous::follow`] with the flows given: `back` from this frame to
    /// the previous, `forth` the other way.
    pub fn along(result: ArrayView3<f32>, back: &Flow, forth: &Flow) -> Previous {
        Previous { warped: flow::warp(result, back), reliable: flow::reliability(back, forth) }
    }

    /// The start of this frame: the warped result where it is reliable, the
    /// photograph `now` elsewhere.
    pub fn start(&self, now: ArrayView3<f32>) -> Array3<f32> {
        let mut out = now.to_owned();
        for (mut plane, warped) in out.outer_iter_mut().zip(self.warped.outer_iter()) {
            Zip::from(&mut plane).and(&warped).and(&self.reliable).for_each(|o, &w, &c| *o = c * w + (1.0 - c) * *o);
        }
        out
    }
}
