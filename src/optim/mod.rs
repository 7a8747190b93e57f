//! Optimisers over the preprocessed image: argmin's L-BFGS (default) and Adam.

pub mod adam;
mod evaluator;
pub mod lbfgs;
mod point;

pub(crate) use evaluator::Evaluator;
pub use evaluator::{Callback, Control, Progress, StopReason};

/// Which optimiser, with its one setting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// L-BFGS keeping `history` correction pairs.
    Lbfgs {
        /// Correction pairs kept.
        history: usize,
    },
    /// Adam with a step in 0..255 pixel units.
    Adam {
        /// The step.
        learning_rate: f32,
    },
}

impl Default for Optimizer {
    fn default() -> Self {
        Optimizer::Lbfgs { history: lbfgs::DEFAULT_HISTORY }
    }
}

/// A small objective for the optimisers' unit tests: VGG19 at 1/16 width with
/// random weights, random content and style images, and a random start, all
/// `(3, side, side)` (the start flattened).
#[cfg(test)]
pub(crate) fn test_objective(seed: u64, side: usize) -> (crate::Objective, Vec<f32>) {
    use crate::objective::{content_targets, style_targets};
    use crate::vgg::{paper_content_taps, paper_style_taps, Vgg19};
    let net = std::sync::Arc::new(Vgg19::random(seed, 16));
    let mut rng = crate::rng::Rng::new(seed + 1);
    let mut img = || ndarray::Array3::from_shape_simple_fn((3, side, side), || rng.uniform() * 100.0);
    let (c, s, x) = (img(), img(), img());
    let ct = content_targets(&net, c.view(), &paper_content_taps()).unwrap();
    let st = style_targets(&net, &[s.view()], &[1.0], &paper_style_taps(), &[0.2; 5]).unwrap();
    let weights = crate::LossWeights { content: 1e-3, style: 1.0, tv: 1e-2 };
    (crate::Objective::new(net, ct, st, weights), x.iter().copied().collect())
}
