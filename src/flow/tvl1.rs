//! TV-L1 optical flow (Zach, Pock & Bischof 2007; Wedel, Pock, Zach,
//! Bischof & Cremers 2009), as Sánchez, Meinhardt-Llopis & Facciolo describe
//! it (IPOL 2013): minimise `sum |grad u| + |grad v| + lambda |I1(x + w) - I0(x)|`
//! over the flow `w = (u, v)`, the data term linearised around the current
//! flow (the second frame warped bicubically) and re-linearised `warps`
//! times per scale, from a coarse pyramid level to the finest; where the flow
//! points outside the second frame only the TV term acts. Each linearisation is solved by alternating a pointwise
//! thresholding step (the data term, auxiliary `v`) with Chambolle's
//! projection for the TV term (dual `p`), coupled by `theta`. A median filter
//! after each warp removes outliers (Wedel et al.).

use super::grid::{blur, central_gradient, divergence, forward_gradient, luminance, median, resample, sample_cubic};
use super::Flow;
use ndarray::{Array2, ArrayView3};
use rayon::prelude::*;

/// The solver's settings. [`TvL1::default`] is IPOL's with a stronger data
/// term (lambda 0.3), a tighter stop (epsilon 0.002) and a 5x5 median, each
/// chosen on the synthetic sequences of `tools/flow_compare.py`
/// (`docs/performance.md`, "Video").
#[derive(Clone, Debug, PartialEq)]
pub struct TvL1 {
    /// Weight of the data term (intensities in 0..255).
    pub lambda: f32,
    /// Time step of the dual update (at most 0.25 for convergence).
    pub tau: f32,
    /// Coupling between the flow and its auxiliary variable.
    pub theta: f32,
    /// Stop a linearisation when the mean squared change of the flow falls
    /// below `epsilon^2`.
    pub epsilon: f32,
    /// Linearisations per scale.
    pub warps: usize,
    /// Iterations per linearisation at most.
    pub max_iterations: usize,
    /// Pyramid levels at most (the coarsest keeps at least 16 px a side).
    pub scales: usize,
    /// Size ratio between pyramid levels.
    pub zoom: f32,
    /// Median filter radius after each warp (0: none; 2: 5x5).
    pub median_radius: usize,
}

impl Default for TvL1 {
    fn default() -> Self {
        TvL1 { lambda: 0.3, tau: 0.25, theta: 0.3, epsilon: 0.002, warps: 5, max_iterations: 300, scales: 6, zoom: 0.5, median_radius: 2 }
    }
}

/// The flow from frame `a` to frame `b` (RGB `(3, H, W)` in [0, 1], the same
/// size): where each pixel of `a` is found in `b`.
pub fn estimate(a: ArrayView3<f32>, b: ArrayView3<f32>, params: &TvL1) -> Flow {
    assert_eq!(a.dim(), b.dim(), "frames of one size");
    // Pyramid, finest first: each level blurred (IPOL's sigma for the zoom) and shrunk.
    let mut levels = vec![(luminance(a), luminance(b))];
    let sigma = 0.6 * (1.0 / (params.zoom * params.zoom) - 1.0).max(0.0).sqrt();
    while levels.len() < params.scales.max(1) {
        let (h, w) = levels.last().unwrap().0.dim();
        let (nh, nw) = ((h as f32 * params.zoom).round() as usize, (w as f32 * params.zoom).round() as usize);
        if nh < 16 || nw < 16 {
            break;
        }
        let (i0, i1) = levels.last().unwrap();
        let next = (resample(blur(i0.view(), sigma).view(), nh, nw), resample(blur(i1.view(), sigma).view(), nh, nw));
        levels.push(next);
    }
    let (h, w) = levels.last().unwrap().0.dim();
    let mut flow = Flow::zeros(h, w);
    for (i0, i1) in levels.iter().rev() {
        let (h, w) = i0.dim();
        let (h0, w0) = flow.dim();
        if (h0, w0) != (h, w) {
            // A coarser level's flow, upsampled and scaled to this level's pixels.
            let (sy, sx) = (h as f32 / h0 as f32, w as f32 / w0 as f32);
            flow = Flow { u: resample(flow.u.view(), h, w) * sx, v: resample(flow.v.view(), h, w) * sy };
        }
        flow = solve(i0, i1, flow, params);
    }
    flow
}

/// Below this squared gradient the data term gives no direction.
const GRAD_IS_ZERO: f32 = 1e-10;

/// One pyramid level: `warps` linearisations around `flow`, each solved.
fn solve(i0: &Array2<f32>, i1: &Array2<f32>, flow: Flow, p: &TvL1) -> Flow {
    let (h, w) = i0.dim();
    let n = h * w;
    let (i1x, i1y) = central_gradient(i1.view());
    let i0 = i0.as_slice().expect("contiguous");
    let plane = |p: Array2<f32>| p.as_standard_layout().into_owned().into_raw_vec_and_offset().0;
    let (mut u1, mut u2) = (plane(flow.u), plane(flow.v));
    let zeros = || vec![0.0f32; n];
    let (mut p11, mut p12, mut p21, mut p22) = (zeros(), zeros(), zeros(), zeros());
    let (mut i1wx, mut i1wy, mut rho_c, mut grad) = (zeros(), zeros(), zeros(), zeros());
    let (mut v1, mut v2, mut div1, mut div2) = (zeros(), zeros(), zeros(), zeros());
    let (mut u1x, mut u1y, mut u2x, mut u2y) = (zeros(), zeros(), zeros(), zeros());
    let (l_t, taut) = (p.lambda * p.theta, p.tau / p.theta);
    for _ in 0..p.warps {
        // Linearise I1(x + w) around the current flow.
        (rho_c.par_chunks_mut(w), i1wx.par_chunks_mut(w), i1wy.par_chunks_mut(w), grad.par_chunks_mut(w))
            .into_par_iter()
            .enumerate()
            .for_each(|(i, (rho, gx, gy, g))| {
                for j in 0..w {
                    let k = i * w + j;
                    let (y, x) = (i as f32 + u2[k], j as f32 + u1[k]);
                    if y < 0.0 || x < 0.0 || y > (h - 1) as f32 || x > (w - 1) as f32 {
                        // Seen outside the second frame: no data, the TV term alone decides.
                        (gx[j], gy[j], g[j], rho[j]) = (0.0, 0.0, 0.0, 0.0);
                        continue;
                    }
                    let (wx, wy) = (sample_cubic(i1x.view(), y, x), sample_cubic(i1y.view(), y, x));
                    (gx[j], gy[j], g[j]) = (wx, wy, wx * wx + wy * wy);
                    rho[j] = sample_cubic(i1.view(), y, x) - wx * u1[k] - wy * u2[k] - i0[k];
                }
            });
        for _ in 0..p.max_iterations {
            // The data term, pointwise: v = u moved towards the linearised constancy.
            (v1.par_iter_mut(), v2.par_iter_mut()).into_par_iter().enumerate().for_each(|(k, (a, b))| {
                let rho = rho_c[k] + i1wx[k] * u1[k] + i1wy[k] * u2[k];
                let (d1, d2) = if rho < -l_t * grad[k] {
                    (l_t * i1wx[k], l_t * i1wy[k])
                } else if rho > l_t * grad[k] {
                    (-l_t * i1wx[k], -l_t * i1wy[k])
                } else if grad[k] < GRAD_IS_ZERO {
                    (0.0, 0.0)
                } else {
                    let f = -rho / grad[k];
                    (f * i1wx[k], f * i1wy[k])
                };
                (*a, *b) = (u1[k] + d1, u2[k] + d2);
            });
            divergence(&p11, &p12, h, w, &mut div1);
            divergence(&p21, &p22, h, w, &mut div2);
            // The TV term: u = v + theta div p; the change decides when to stop.
            let change: f64 = (u1.par_chunks_mut(w), u2.par_chunks_mut(w))
                .into_par_iter()
                .enumerate()
                .map(|(i, (a, b))| {
                    let mut s = 0.0f64;
                    for j in 0..w {
                        let k = i * w + j;
                        let (na, nb) = (v1[k] + p.theta * div1[k], v2[k] + p.theta * div2[k]);
                        s += ((na - a[j]) * (na - a[j]) + (nb - b[j]) * (nb - b[j])) as f64;
                        (a[j], b[j]) = (na, nb);
                    }
                    s
                })
                .collect::<Vec<f64>>()
                .iter()
                .sum();
            forward_gradient(&u1, h, w, &mut u1x, &mut u1y);
            forward_gradient(&u2, h, w, &mut u2x, &mut u2y);
            (p11.par_iter_mut(), p12.par_iter_mut(), p21.par_iter_mut(), p22.par_iter_mut()).into_par_iter().enumerate().for_each(
                |(k, (a, b, c, d))| {
                    let g1 = 1.0 + taut * (u1x[k] * u1x[k] + u1y[k] * u1y[k]).sqrt();
                    let g2 = 1.0 + taut * (u2x[k] * u2x[k] + u2y[k] * u2y[k]).sqrt();
                    (*a, *b) = ((*a + taut * u1x[k]) / g1, (*b + taut * u1y[k]) / g1);
                    (*c, *d) = ((*c + taut * u2x[k]) / g2, (*d + taut * u2y[k]) / g2);
                },
            );
            if change / (n as f64) < (p.epsilon * p.epsilon) as f64 {
                break;
            }
        }
        if p.median_radius > 0 {
            u1 = median(Array2::from_shape_vec((h, w), u1).unwrap().view(), p.median_radius).into_raw_vec_and_offset().0;
            u2 = median(Array2::from_shape_vec((h, w), u2).unwrap().view(), p.median_radius).into_raw_vec_and_offset().0;
        }
    }
    Flow { u: Array2::from_shape_vec((h, w), u1).unwrap(), v: Array2::from_shape_vec((h, w), u2).unwrap() }
}
