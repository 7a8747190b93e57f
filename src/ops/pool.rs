//! 2x2 pooling with stride 2 (floor: an odd last row or column is dropped, as in
//! VGG). Average pooling is the paper's choice; max pooling is the option peers
//! offer. Each forward sits beside its backward; shapes `x (c, h, w)`,
//! `y (c, h/2, w/2)`.

use rayon::prelude::*;

/// Output size of a 2x2 stride-2 pool over `(h, w)`.
pub fn pooled(h: usize, w: usize) -> (usize, usize) {
    (h / 2, w / 2)
}

/// `y[c,i,j] = mean of x[c, 2i..2i+2, 2j..2j+2]`.
#[inline(never)]
pub fn avg_pool_forward(c: usize, h: usize, w: usize, x: &[f32], y: &mut [f32]) {
    let (oh, ow) = pooled(h, w);
    assert_eq!(x.len(), c * h * w);
    assert_eq!(y.len(), c * oh * ow);
    if oh * ow == 0 {
        return;
    }
    y.par_chunks_mut(oh * ow).zip(x.par_chunks(h * w)).for_each(|(y, x)| {
        for i in 0..oh {
            let r0 = &x[2 * i * w..2 * i * w + w];
            let r1 = &x[(2 * i + 1) * w..(2 * i + 1) * w + w];
            for (j, out) in y[i * ow..(i + 1) * ow].iter_mut().enumerate() {
                *out = 0.25 * ((r0[2 * j] + r0[2 * j + 1]) + (r1[2 * j] + r1[2 * j + 1]));
            }
        }
    });
}

/// `dx[c, 2i+a, 2j+b] = dy[c,i,j] / 4`; zero on a dropped odd row or column. Overwrites `dx`.
pub fn avg_pool_backward(c: usize, h: usize, w: usize, dy: &[f32], dx: &mut [f32]) {
    avg_pool_backward_core(c, h, w, dy, dx, false)
}

/// [`avg_pool_backward`] adding into `dx`: a tap's gradient below the pool
/// takes the pooled gradient in the same pass.
pub fn avg_pool_backward_add(c: usize, h: usize, w: usize, dy: &[f32], dx: &mut [f32]) {
    avg_pool_backward_core(c, h, w, dy, dx, true)
}

#[inline(never)]
fn avg_pool_backward_core(c: usize, h: usize, w: usize, dy: &[f32], dx: &mut [f32], accumulate: bool) {
    let (oh, ow) = pooled(h, w);
    assert_eq!(dx.len(), c * h * w);
    assert_eq!(dy.len(), c * oh * ow);
    if h * w == 0 {
        return;
    }
    dx.par_chunks_mut(h * w).enumerate().for_each(|(ch, dx)| {
        if !accumulate {
            dx.fill(0.0);
        }
        let dy = &dy[ch * oh * ow..(ch + 1) * oh * ow];
        for i in 0..oh {
            let dyr = &dy[i * ow..(i + 1) * ow];
            for a in 0..2 {
                let row = &mut dx[(2 * i + a) * w..(2 * i + a) * w + 2 * ow];
                for (pair, &d) in row.chunks_exact_mut(2).zip(dyr) {
                    let g = 0.25 * d;
                    if accumulate {
                        pair[0] += g;
                        pair[1] += g;
                    } else {
                        pair[0] = g;
                        pair[1] = g;
                    }
                }
            }
        }
    });
}

/// `y[c,i,j] = max of the 2x2 window`; `arg` records which of the four
/// (0..4, row-major in the window; the first maximum wins) for the backward.
#[inline(never)]
pub fn max_pool_forward(c: usize, h: usize, w: usize, x: &[f32], y: &mut [f32], arg: &mut Vec<u8>) {
    let (oh, ow) = pooled(h, w);
    assert_eq!(x.len(), c * h * w);
    assert_eq!(y.len(), c * oh * ow);
    arg.resize(y.len(), 0);
    if oh * ow == 0 {
        return;
    }
    y.par_chunks_mut(oh * ow).zip(arg.par_chunks_mut(oh * ow)).zip(x.par_chunks(h * w)).for_each(|((y, arg), x)| {
        for i in 0..oh {
            for j in 0..ow {
                let mut best = x[2 * i * w + 2 * j];
                let mut which = 0u8;
                for (n, (a, b)) in [(0, 1), (1, 0), (1, 1)].into_iter().enumerate() {
                    let v = x[(2 * i + a) * w + 2 * j + b];
                    if v > best {
                        best = v;
                        which = n as u8 + 1;
                    }
                }
                y[i * ow + j] = best;
                arg[i * ow + j] = which;
            }
        }
    });
}

/// Routes each `dy` to the window element that won the forward's max. Overwrites `dx`.
pub fn max_pool_backward(c: usize, h: usize, w: usize, dy: &[f32], arg: &[u8], dx: &mut [f32]) {
    max_pool_backward_core(c, h, w, dy, arg, dx, false)
}

/// [`max_pool_backward`] adding into `dx`.
pub fn max_pool_backward_add(c: usize, h: usize, w: usize, dy: &[f32], arg: &[u8], dx: &mut [f32]) {
    max_pool_backward_core(c, h, w, dy, arg, dx, true)
}

#[inline(never)]
fn max_pool_backward_core(c: usize, h: usize, w: usize, dy: &[f32], arg: &[u8], dx: &mut [f32], accumulate: bool) {
    let (oh, ow) = pooled(h, w);
    assert_eq!(dx.len(), c * h * w);
    assert_eq!(dy.len(), c * oh * ow);
    assert_eq!(arg.len(), dy.len());
    if h * w == 0 {
        return;
    }
    dx.par_chunks_mut(h * w).enumerate().for_each(|(ch, dx)| {
        if !accumulate {
            dx.fill(0.0);
        }
        let base = ch * oh * ow;
        for i in 0..oh {
            for j in 0..ow {
                let n = arg[base + i * ow + j] as usize;
                dx[(2 * i + n / 2) * w + 2 * j + n % 2] += dy[base + i * ow + j];
            }
        }
    });
}

/// Average pooling, one window at a time. Reference only.
#[cfg(any(test, feature = "testing"))]
pub fn avg_pool_reference(c: usize, h: usize, w: usize, x: &[f32]) -> Vec<f32> {
    let (oh, ow) = pooled(h, w);
    let mut y = vec![0.0; c * oh * ow];
    for ch in 0..c {
        for i in 0..oh {
            for j in 0..ow {
                let at = |a: usize, b: usize| x[(ch * h + 2 * i + a) * w + 2 * j + b];
                y[(ch * oh + i) * ow + j] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4.0;
            }
        }
    }
    y
}

/// Max pooling, one window at a time. Reference only.
#[cfg(any(test, feature = "testing"))]
pub fn max_pool_reference(c: usize, h: usize, w: usize, x: &[f32]) -> Vec<f32> {
    let (oh, ow) = pooled(h, w);
    let mut y = vec![0.0; c * oh * ow];
    for ch in 0..c {
        for i in 0..oh {
            for j in 0..ow {
                let at = |a: usize, b: usize| x[(ch * h + 2 * i + a) * w + 2 * j + b];
                y[(ch * oh + i) * ow + j] = at(0, 0).max(at(0, 1)).max(at(1, 0)).max(at(1, 1));
            }
        }
    }
    y
}
