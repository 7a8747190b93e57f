//! Adam (Kingma & Ba), the alternative optimiser peers offer.

use super::evaluator::{Evaluator, StopReason};
use crate::error::Error;

/// The default step, in 0..255 pixel units (`transfer::optimise` converts it).
pub const DEFAULT_LEARNING_RATE: f32 = 10.0;
/// Decay of the first moment.
pub const BETA1: f32 = 0.9;
/// Decay of the second moment.
pub const BETA2: f32 = 0.999;
/// Added to the root of the second moment.
pub const EPS: f32 = 1e-8;

/// Runs `iterations` Adam steps of size `lr` (in preprocessed-image units) from
/// `x0`. A stop (asked for, the evaluation cap, a non-finite loss) comes back
/// as the evaluator's error; the caller reads the evaluator's reason and best point.
pub(crate) fn run(ev: &Evaluator, mut x: Vec<f32>, iterations: usize, lr: f32) -> Result<StopReason, Error> {
    let mut m = vec![0.0f32; x.len()];
    let mut v = vec![0.0f32; x.len()];
    for t in 1..=iterations {
        let g = ev.gradient(&x)?;
        let (c1, c2) = (1.0 - BETA1.powi(t as i32), 1.0 - BETA2.powi(t as i32));
        for i in 0..x.len() {
            m[i] = BETA1 * m[i] + (1.0 - BETA1) * g[i];
            v[i] = BETA2 * v[i] + (1.0 - BETA2) * g[i] * g[i];
            x[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + EPS);
        }
        ev.iteration.set(t);
    }
    // The final point, so the best image can be the last one.
    ev.loss(&x)?;
    Ok(StopReason::Iterations)
}
