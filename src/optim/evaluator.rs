//! What the optimisers see of the objective: one cached evaluation per distinct
//! point, the best point so far, the stop flag, and the progress callback.

use crate::error::Error;
use crate::objective::{Evaluation, Objective};
use ndarray::ArrayView3;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;

/// What the callback says after each evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop with the best image so far.
    Stop,
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum StopReason {
    /// The iteration cap was reached.
    Iterations,
    /// The evaluation cap was reached.
    Evaluations,
    /// The optimiser converged (or its line search could make no more progress).
    Converged(String),
    /// The progress callback asked to stop (e.g. Ctrl-C).
    Stopped,
    /// The loss or gradient became NaN or infinite; the best finite image is kept.
    NonFinite(String),
}

impl std::fmt::Display for StopReason {
    /// Why a run stopped, in words (the optimiser's own text only where it says more).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Iterations => write!(f, "the iterations asked for"),
            StopReason::Evaluations => write!(f, "the evaluation cap"),
            StopReason::Converged(_) => write!(f, "converged: the line search found no lower loss"),
            StopReason::Stopped => write!(f, "stopped as asked"),
            StopReason::NonFinite(why) => write!(f, "non-finite values ({why})"),
        }
    }
}

/// One evaluation as the callback sees it.
pub struct Progress<'a> {
    /// 1-based count of evaluations (distinct points).
    pub eval: usize,
    /// L-BFGS / Adam iterations completed before this evaluation.
    pub iteration: usize,
    /// The loss parts and the gradient at this point.
    pub evaluation: &'a Evaluation,
    /// L2 norm of the gradient of the weighted total.
    pub grad_norm: f64,
    /// Seconds since the optimisation started.
    pub seconds: f64,
    /// The preprocessed image `(3, H, W)` this evaluation was at.
    pub x: ArrayView3<'a, f32>,
    /// The best (lowest loss) preprocessed image so far, flattened.
    pub best: &'a [f32],
}

/// What the optimiser calls after each evaluation.
pub type Callback<'a> = dyn FnMut(&Progress) -> Control + 'a;

/// A point `(3*H*W)`, its unscaled loss and gradient `(3*H*W)`.
type Cached = (Vec<f32>, f64, Vec<f32>);

pub(crate) struct Evaluator<'a> {
    objective: &'a Objective,
    shape: (usize, usize, usize),
    /// Loss and gradient are multiplied by this before the optimiser sees them
    /// (a constant: it changes L-BFGS's first trial step, not the minimiser).
    pub(crate) scale: Cell<f32>,
    /// The last point with its loss and gradient: argmin asks for the cost and
    /// then the gradient at the same point.
    cache: RefCell<Option<Cached>>,
    best: RefCell<(f64, Vec<f32>)>,
    pub(crate) evals: Cell<usize>,
    pub(crate) iteration: Rc<Cell<usize>>,
    max_evals: usize,
    pub(crate) stop: RefCell<Option<StopReason>>,
    callback: RefCell<&'a mut Callback<'a>>,
    start: Instant,
    /// Seconds spent in forward+backward passes (the rest is the optimiser's and the callback's).
    pub(crate) eval_seconds: Cell<f64>,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(
        objective: &'a Objective,
        x0: &[f32],
        shape: (usize, usize, usize),
        max_evals: usize,
        callback: &'a mut Callback<'a>,
    ) -> Self {
        Evaluator {
            objective,
            shape,
            scale: Cell::new(1.0),
            cache: RefCell::new(None),
            best: RefCell::new((f64::INFINITY, x0.to_vec())),
            evals: Cell::new(0),
            iteration: Rc::new(Cell::new(0)),
            max_evals,
            stop: RefCell::new(None),
            callback: RefCell::new(callback),
            start: Instant::now(),
            eval_seconds: Cell::new(0.0),
        }
    }

    /// The loss at `x`, times `scale`: one forward and one backward per
    /// distinct point, the cached value for a repeated one.
    pub(crate) fn loss(&self, x: &[f32]) -> Result<f32, Error> {
        self.ensure(x)?;
        let cache = self.cache.borrow();
        let (_, loss, _) = cache.as_ref().expect("ensured");
        Ok((*loss * self.scale.get() as f64) as f32)
    }

    /// The gradient at `x`, times `scale` (cached like the loss).
    pub(crate) fn gradient(&self, x: &[f32]) -> Result<Vec<f32>, Error> {
        self.with_gradient(x, |g| g.collect())
    }

    /// What `f` makes of the gradient at `x`, times `scale`, element by element.
    pub(crate) fn with_gradient<T>(&self, x: &[f32], f: impl FnOnce(&mut dyn Iterator<Item = f32>) -> T) -> Result<T, Error> {
        self.ensure(x)?;
        let s = self.scale.get();
        let cache = self.cache.borrow();
        let (_, _, g) = cache.as_ref().expect("ensured");
        Ok(f(&mut g.iter().map(|v| v * s)))
    }

    /// Evaluates at `x` unless the cache holds it already.
    fn ensure(&self, x: &[f32]) -> Result<(), Error> {
        if self.cache.borrow().as_ref().is_some_and(|(cx, _, _)| cx.as_slice() == x) {
            return Ok(());
        }
        if let Some(reason) = self.stop.borrow().as_ref() {
            return Err(Error::Optimizer(format!("stopped: {reason:?}")));
        }
        // The cached gradient is another point's: dropped before the pass, so
        // two image-sized gradients never exist at once (the point's vector is
        // kept for the new cache entry).
        let mut cx = self.cache.borrow_mut().take().map(|(cx, _, _)| cx).unwrap_or_default();
        let view = ArrayView3::from_shape(self.shape, x).expect("parameter has the image's shape");
        let t = Instant::now();
        let Some(e) = self.objective.try_evaluate(view) else {
            // Cancelled mid-pass: the best image so far stands.
            *self.stop.borrow_mut() = Some(StopReason::Stopped);
            return Err(Error::Optimizer("stopped: cancelled".into()));
        };
        self.eval_seconds.set(self.eval_seconds.get() + t.elapsed().as_secs_f64());
        let n = self.evals.get() + 1;
        self.evals.set(n);
        let grad_norm = e.grad.iter().map(|v| (*v as f64) * (*v as f64)).sum::<f64>().sqrt();
        if !e.loss.is_finite() || !grad_norm.is_finite() {
            let err = Error::NonFinite { evaluation: n, loss: e.loss, grad_norm };
            let why = err.to_string();
            *self.stop.borrow_mut() = Some(StopReason::NonFinite(why.trim_start_matches("non-finite values: ").to_string()));
            return Err(err);
        }
        {
            // Copied into the vectors already held, not into new ones: fewer
            // image-sized allocations for the allocator to keep around.
            let mut best = self.best.borrow_mut();
            if e.loss < best.0 {
                best.0 = e.loss;
                best.1.clear();
                best.1.extend_from_slice(x);
            }
        }
        let control = {
            let best = self.best.borrow();
            let p = Progress {
                eval: n,
                iteration: self.iteration.get(),
                evaluation: &e,
                grad_norm,
                seconds: self.start.elapsed().as_secs_f64(),
                x: view,
                best: &best.1,
            };
            (self.callback.borrow_mut())(&p)
        };
        let mut stop = self.stop.borrow_mut();
        if control == Control::Stop && stop.is_none() {
            *stop = Some(StopReason::Stopped);
        } else if n >= self.max_evals && stop.is_none() {
            *stop = Some(StopReason::Evaluations);
        }
        drop(stop);
        // The gradient moves into the cache: no copy of it per evaluation.
        let (grad, _) = e.grad.into_raw_vec_and_offset();
        cx.clear();
        cx.extend_from_slice(x);
        *self.cache.borrow_mut() = Some((cx, e.loss, grad));
        Ok(())
    }

    /// The best point so far and its (unscaled) loss.
    pub(crate) fn best(&self) -> (f64, Vec<f32>) {
        self.best.borrow().clone()
    }
    pub(crate) fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::test_objective;

    /// What the optimiser sees is one function: the scaled loss's differences
    /// match the scaled gradient (a loss scaled differently from its gradient
    /// would mislead the line search's sufficient-decrease test).
    #[test]
    fn scaled_loss_and_gradient_agree() {
        let (obj, x) = test_objective(3, 20);
        let mut cb = |_: &Progress| Control::Continue;
        let ev = Evaluator::new(&obj, &x, (3, 20, 20), usize::MAX, &mut cb);
        ev.scale.set(1e-3);
        let g = ev.gradient(&x).unwrap();
        let norm = g.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
        let eps = 1e-2 / norm;
        let at = |t: f64| {
            let p: Vec<f32> = x.iter().zip(&g).map(|(&x, &g)| x + (t * g as f64) as f32).collect();
            ev.loss(&p).unwrap() as f64
        };
        // Central difference along the gradient: d/dt loss(x + t g) = |g|^2.
        let slope = (at(eps) - at(-eps)) / (2.0 * eps);
        assert!((slope / (norm * norm) - 1.0).abs() < 0.05, "slope {slope}, |g|^2 {}", norm * norm);
        let unscaled = obj.evaluate(ndarray::ArrayView3::from_shape((3, 20, 20), &x).unwrap()).loss;
        assert!((ev.loss(&x).unwrap() as f64 / unscaled - 1e-3).abs() < 1e-6, "the loss is scaled by the scale");
    }
}
