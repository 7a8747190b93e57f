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
