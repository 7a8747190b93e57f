//! argmin's L-BFGS with the More-Thuente line search over pooled image
//! vectors (`Point`, in `point.rs`).

use super::evaluator::{Evaluator, StopReason};
use super::point::{Point, PoolScope};
use crate::error::Error;
use argmin::core::observers::{Observe, ObserverMode};
use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus, KV};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use std::cell::Cell;
use std::rc::Rc;

/// History of 10 pairs: measured in `benches/` and by eye on the paper's images
/// (`docs/design.md`, "The defaults and why"); memory is `2 * history * 3 * H * W` floats.
pub const DEFAULT_HISTORY: usize = 10;

struct Problem<'e, 'a>(&'e Evaluator<'a>);

fn to_argmin(e: Error) -> argmin::core::Error {
    argmin::core::Error::msg(e.to_string())
}

impl CostFunction for Problem<'_, '_> {
    type Param = Point;
    type Output = f32;
    fn cost(&self, x: &Point) -> Result<f32, argmin::core::Error> {
        self.0.loss(x).map_err(to_argmin)
    }
}

impl Gradient for Problem<'_, '_> {
    type Param = Point;
    type Gradient = Point;
    fn gradient(&self, x: &Point) -> Result<Point, argmin::core::Error> {
        self.0.with_gradient(x, |g| Point::collect(x.len(), g)).map_err(to_argmin)
    }
}

/// Counts iterations into the evaluator, so each evaluation knows its iteration.
struct IterationCounter(Rc<Cell<usize>>);

impl<I: State> Observe<I> for IterationCounter {
    fn observe_iter(&mut self, state: &I, _kv: &KV) -> Result<(), argmin::core::Error> {
        // argmin observes before it increments: iteration k (0-based) just finished.
        self.0.set(state.get_iter() as usize + 1);
        Ok(())
    }
}

/// Runs L-BFGS from `x0` for at most `iterations` iterations. Returns why it stopped.
pub(crate) fn run(ev: &Evaluator, x0: Vec<f32>, iterations: usize, history: usize) -> Result<StopReason, Error> {
    if iterations == 0 {
        ev.loss(&x0)?;
        return Ok(StopReason::Iterations);
    }
    // Scale the objective so the first trial step (the negative gradient) moves
    // the steepest pixel by about one unit of the preprocessed image.
    let g0 = ev.gradient(&x0)?;
    let gmax = g0.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if gmax > 0.0 && gmax.is_finite() {
        ev.scale.set(1.0 / gmax);
    }
    let linesearch = MoreThuenteLineSearch::new().with_c(1e-4, 0.9).map_err(|e| Error::Optimizer(e.to_string()))?;
    let solver = LBFGS::new(linesearch, history.max(1))
        .with_tolerance_grad(0.0)
        .and_then(|s| s.with_tolerance_cost(0.0))
        .map_err(|e| Error::Optimizer(e.to_string()))?;
    let problem = Problem(ev);
    // Every image-sized vector of the run, argmin's included, is pooled until it ends.
    let _pool = PoolScope::open();
    let result = Executor::new(problem, solver)
        .configure(|s| s.param(Point::from(x0)).max_iters(iterations as u64))
        .ctrlc(false)
        .timer(false)
        .add_observer(IterationCounter(ev.iteration.clone()), ObserverMode::Always)
        .run();
    if let Some(reason) = ev.stop.borrow().clone() {
        return Ok(reason);
    }
    match result {
        Ok(res) => Ok(match res.state.get_termination_status() {
            TerminationStatus::Terminated(TerminationReason::MaxItersReached) => StopReason::Iterations,
            TerminationStatus::Terminated(r) => StopReason::Converged(r.to_string()),
            TerminationStatus::NotTerminated => StopReason::Iterations,
        }),
        Err(e) => Err(Error::Optimizer(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::point::FRESH;
    use crate::optim::{test_objective, Control, Progress};

    /// A run's image-sized vectors come from its pool: as many as are ever
    /// alive at once (history pairs and a few dozen more), not one per
    /// operation of every iteration.
    #[test]
    fn a_run_reuses_its_vectors() {
        let (obj, x) = test_objective(5, 16);
        let fresh = |iterations: usize| {
            let mut cb = |_: &Progress| Control::Continue;
            let ev = Evaluator::new(&obj, &x, (3, 16, 16), usize::MAX, &mut cb);
            FRESH.with(|f| f.set(0));
            run(&ev, x.clone(), iterations, 3).unwrap();
            (FRESH.with(|f| f.get()), ev.evals.get())
        };
        let (short, _) = fresh(10);
        let (long, evals) = fresh(40);
        assert!(evals > 40, "{evals} evaluations");
        assert!(short < 40, "{short} vectors made in 10 iterations");
        assert!(long <= short + 2, "{long} vectors made in 40 iterations against {short} in 10");
    }
}
