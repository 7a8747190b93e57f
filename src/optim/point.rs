//! The vector argmin's L-BFGS works with: an image `(3*H*W)` whose buffer
//! comes from, and goes back to, a pool of the thread running the solver.
//!
//! argmin's arithmetic returns a new vector for every operation: an
//! iteration makes and drops a few dozen image-sized vectors (two-loop
//! recursion, line search states, the history's pairs). With plain `Vec`s,
//! glibc's dynamic mmap threshold soon serves them from the heap, and the holes
//! they leave there, split by smaller allocations, stayed resident, so a run's
//! peak grew with its path (`docs/performance.md`, the memory figures). Pooled, no more
//! image-sized buffers exist than were ever alive at once, and the arithmetic
//! is the same as argmin's for `Vec` (same operations in the same order:
//! results are bit-identical).

use argmin_math::{ArgminAdd, ArgminDot, ArgminL1Norm, ArgminL2Norm, ArgminMinMax, ArgminMul, ArgminSignum, ArgminSub, ArgminZeroLike};
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

thread_local! {
    /// Free buffers, while a [`PoolScope`] is open on this thread.
    static POOL: RefCell<Option<Vec<Vec<f32>>>> = const { RefCell::new(None) };
}

/// While alive, dropped [`Point`]s of this thread keep their buffers for the
/// next ones; at its end the buffers are freed.
pub(crate) struct PoolScope {
    outer: Option<Vec<Vec<f32>>>,
}

impl PoolScope {
    pub(crate) fn open() -> Self {
        PoolScope { outer: POOL.with(|p| p.borrow_mut().replace(Vec::new())) }
    }
}

impl Drop for PoolScope {
    fn drop(&mut self) {
        POOL.with(|p| *p.borrow_mut() = self.outer.take());
    }
}

/// Buffers the pool holds now (for tests).
#[cfg(test)]
fn pooled() -> usize {
    POOL.with(|p| p.borrow().as_ref().map_or(0, |v| v.len()))
}

#[cfg(test)]
thread_local! {
    /// Points of this thread that found no free buffer (for tests).
    pub(crate) static FRESH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// An image-sized vector with a pooled buffer.
#[derive(Debug, PartialEq)]
pub(crate) struct Point(Vec<f32>);

impl Point {
    /// A point of the values `it` yields (`len` of them), in a pooled buffer if one is free.
    pub(crate) fn collect(len: usize, it: impl Iterator<Item = f32>) -> Self {
        let mut v = POOL.with(|p| p.borrow_mut().as_mut().and_then(|free| free.pop())).unwrap_or_else(|| {
            #[cfg(test)]
            FRESH.with(|f| f.set(f.get() + 1));
            Vec::new()
        });
        v.clear();
        v.reserve_exact(len);
        v.extend(it);
        debug_assert_eq!(v.len(), len);
        Point(v)
    }

    /// `f(a)` for each element.
    fn map(&self, f: impl Fn(f32) -> f32) -> Self {
        Point::collect(self.len(), self.iter().map(|&a| f(a)))
    }

    /// `f(a, b)` element by element; the lengths must agree.
    fn zip(&self, other: &Point, f: impl Fn(f32, f32) -> f32) -> Self {
        assert_eq!(self.len(), other.len(), "points of different lengths");
        Point::collect(self.len(), self.iter().zip(other.iter()).map(|(&a, &b)| f(a, b)))
    }
}

impl From<Vec<f32>> for Point {
    fn from(v: Vec<f32>) -> Self {
        Point(v)
    }
}

impl Drop for Point {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        if v.capacity() > 0 {
            // Outside a scope (or while the thread ends) the buffer is freed.
            let _ = POOL.try_with(|p| {
                if let Some(free) = p.borrow_mut().as_mut() {
                    free.push(v);
                }
            });
        }
    }
}

impl Clone for Point {
    fn clone(&self) -> Self {
        self.map(|a| a)
    }
}

impl Deref for Point {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl DerefMut for Point {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.0
    }
}

// argmin-math's operations, as its `Vec<f32>` implementations compute them.

impl ArgminAdd<Point, Point> for Point {
    fn add(&self, other: &Point) -> Point {
        self.zip(other, |a, b| a + b)
    }
}

impl ArgminAdd<f32, Point> for Point {
    fn add(&self, other: &f32) -> Point {
        self.map(|a| a + other)
    }
}

impl ArgminSub<Point, Point> for Point {
    fn sub(&self, other: &Point) -> Point {
        self.zip(other, |a, b| a - b)
    }
}

impl ArgminSub<f32, Point> for Point {
    fn sub(&self, other: &f32) -> Point {
        self.map(|a| a - other)
    }
}

impl ArgminMul<Point, Point> for Point {
    fn mul(&self, other: &Point) -> Point {
        self.zip(other, |a, b| a * b)
    }
}

impl ArgminMul<f32, Point> for Point {
    fn mul(&self, other: &f32) -> Point {
        self.map(|a| a * other)
    }
}

/// What argmin's generic `scaled_add` (`x + factor * d`) needs.
impl ArgminMul<Point, Point> for f32 {
    fn mul(&self, other: &Point) -> Point {
        other.map(|a| a * self)
    }
}

impl ArgminDot<Point, f32> for Point {
    fn dot(&self, other: &Point) -> f32 {
        self.iter().zip(other.iter()).map(|(a, b)| a * b).sum()
    }
}

impl ArgminL1Norm<f32> for Point {
    fn l1_norm(&self) -> f32 {
        self.iter().map(|a| a.abs()).sum()
    }
}

impl ArgminL2Norm<f32> for Point {
    fn l2_norm(&self) -> f32 {
        self.iter().map(|a| a.powi(2)).sum::<f32>().sqrt()
    }
}

impl ArgminSignum for Point {
    fn signum(mut self) -> Self {
        for a in self.iter_mut() {
            *a = a.signum();
        }
        self
    }
}

impl ArgminZeroLike for Point {
    fn zero_like(&self) -> Point {
        Point::collect(self.len(), std::iter::repeat_n(0.0, self.len()))
    }
}

impl ArgminMinMax for Point {
    fn min(x: &Self, y: &Self) -> Self {
        x.zip(y, |a, b| if a < b { a } else { b })
    }
    fn max(x: &Self, y: &Self) -> Self {
        x.zip(y, |a, b| if a > b { a } else { b })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argmin_math::ArgminScaledAdd;

    fn vec_and_point(seed: u64, n: usize) -> (Vec<f32>, Point) {
        let mut rng = crate::rng::Rng::new(seed);
        let v: Vec<f32> = (0..n).map(|_| rng.uniform() * 2.0 - 1.0).collect();
        (v.clone(), Point::from(v))
    }

    /// Every operation gives argmin's `Vec<f32>` result bit for bit.
    #[test]
    fn operations_match_argmins_vec() {
        let (mut a, _) = vec_and_point(1, 1001);
        let (mut b, _) = vec_and_point(2, 1001);
        // Ties, where min and max pick by the comparison's strictness: equal
        // values, and zeros of opposite signs (equal, but not the same bits).
        (a[3], b[3], a[4], b[4], a[5], b[5]) = (0.25, 0.25, -0.0, 0.0, 0.0, -0.0);
        b[6] = a[6];
        let (pa, pb) = (Point::from(a.clone()), Point::from(b.clone()));
        let s = 0.37f32;
        let same = |p: Point, v: Vec<f32>, what: &str| assert!(p.0 == v, "{what}");
        same(pa.add(&pb), a.add(&b), "add");
        same(pa.add(&s), a.add(&s), "add scalar");
        same(pa.sub(&pb), a.sub(&b), "sub");
        same(pa.sub(&s), a.sub(&s), "sub scalar");
        same(pa.mul(&pb), a.mul(&b), "mul");
        same(pa.mul(&s), a.mul(&s), "mul scalar");
        same(s.mul(&pa), s.mul(&a), "scalar mul");
        same(pa.scaled_add(&s, &pb), a.scaled_add(&s, &b), "scaled add");
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
        let min = <Point as ArgminMinMax>::min(&pa, &pb);
        assert!(bits(&min) == bits(&<Vec<f32> as ArgminMinMax>::min(&a, &b)), "min");
        let max = <Point as ArgminMinMax>::max(&pa, &pb);
        assert!(bits(&max) == bits(&<Vec<f32> as ArgminMinMax>::max(&a, &b)), "max");
        assert_eq!((min[4].to_bits(), max[5].to_bits()), (0.0f32.to_bits(), (-0.0f32).to_bits()), "a tie gives the second");
        same(pa.clone().signum(), a.clone().signum(), "signum");
        same(pa.zero_like(), a.zero_like(), "zero like");
        same(pa.clone(), a.clone(), "clone");
        let dot: f32 = a.dot(&b);
        assert_eq!(pa.dot(&pb).to_bits(), dot.to_bits(), "dot");
        assert_eq!(pa.l1_norm().to_bits(), a.l1_norm().to_bits(), "l1 norm");
        assert_eq!(pa.l2_norm().to_bits(), a.l2_norm().to_bits(), "l2 norm");
    }

    /// In a scope, buffers are reused: no more exist than were alive at once.
    #[test]
    fn scope_reuses_buffers_and_frees_them_at_its_end() {
        let (_, p) = vec_and_point(3, 64);
        drop(p);
        assert_eq!(pooled(), 0, "outside a scope nothing is kept");
        {
            let _scope = PoolScope::open();
            let (_, a) = vec_and_point(4, 64);
            let ptr = a.as_ptr();
            let b = a.mul(&2.0);
            drop(a);
            assert_eq!(pooled(), 1);
            let c = b.add(&1.0);
            assert_eq!(c.as_ptr(), ptr, "the freed buffer serves the next point");
            assert_eq!(pooled(), 0);
            assert_eq!(c[5], b[5] + 1.0);
            drop((b, c));
            assert_eq!(pooled(), 2);
        }
        assert_eq!(pooled(), 0, "the scope's end frees its buffers");
    }
}
