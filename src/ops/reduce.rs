//! Sums whose order does not depend on scheduling: fixed chunks summed in f64 in
//! parallel, then the partial sums added in chunk order.

use super::relu::CHUNK;
use rayon::prelude::*;

/// `sum f(a_i, b_i)` over two slices of equal length, deterministic.
pub fn sum_map2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f64 + Sync) -> f64 {
    assert_eq!(a.len(), b.len());
    let parts: Vec<f64> =
        a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)).map(|(a, b)| a.iter().zip(b).map(|(&x, &y)| f(x, y)).sum()).collect();
    parts.iter().sum()
}
