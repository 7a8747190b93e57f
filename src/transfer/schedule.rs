//! Coarse to fine: the sizes and iterations of a multi-scale run.

use crate::error::Error;

/// One step of a coarse-to-fine run: the longest side and the iterations there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Longest side at this scale.
    pub size: usize,
    /// Iterations at this scale.
    pub iterations: usize,
}

/// Each smaller scale runs this many times the iterations of the next larger one
/// (the paper's follow-up runs 500 at the small size, then 200).
pub const COARSE_ITERATION_FACTOR: f64 = 2.5;

/// The sizes of a coarse-to-fine run: `scales` sizes doubling up to `size`
/// (never below 32 pixels), the largest with `iterations` and each smaller one
/// with 2.5 times the next one's, or the given per-scale iterations.
pub fn coarse_to_fine(size: usize, scales: usize, iterations: usize, per_scale: Option<&[usize]>) -> Result<Vec<Scale>, Error> {
    if scales == 0 {
        return Err(Error::Invalid { field: "scales", reason: "must be at least 1".into() });
    }
    let mut sizes: Vec<usize> = (0..scales).rev().map(|k| (size >> k).max(32.min(size))).collect();
    sizes.dedup();
    if let Some(p) = per_scale {
        if p.len() != sizes.len() {
            return Err(Error::Invalid { field: "scale_iterations", reason: format!("{} values for {} scales", p.len(), sizes.len()) });
        }
        return Ok(sizes.iter().zip(p).map(|(&size, &iterations)| Scale { size, iterations }).collect());
    }
    let n = sizes.len();
    Ok(sizes
        .iter()
        .enumerate()
        .map(|(k, &size)| Scale {
            size,
            iterations: (iterations as f64 * COARSE_ITERATION_FACTOR.powi((n - 1 - k) as i32)).round() as usize,
        })
        .collect())
}
