//! Total variation of an image `x (C, H, W)`:
//! `L = sum_{c,i,j} (x[c,i,j+1]-x[c,i,j])^2 + (x[c,i+1,j]-x[c,i,j])^2`.

/// Returns `L` and adds `scale * dL/dx` into `grad (C, H, W)`.
pub fn total_variation(x: &[f32], c: usize, h: usize, w: usize, scale: f32, grad: &mut [f32]) -> f64 {
    assert_eq!(x.len(), c * h * w);
    assert_eq!(grad.len(), x.len());
    let mut l = 0.0f64;
    for ch in 0..c {
        let base = ch * h * w;
        for i in 0..h {
            for j in 0..w {
                let at = base + i * w + j;
                if j + 1 < w {
                    let d = x[at + 1] - x[at];
                    l += (d as f64) * (d as f64);
                    grad[at + 1] += scale * 2.0 * d;
                    grad[at] -= scale * 2.0 * d;
                }
                if i + 1 < h {
                    let d = x[at + w] - x[at];
                    l += (d as f64) * (d as f64);
                    grad[at + w] += scale * 2.0 * d;
                    grad[at] -= scale * 2.0 * d;
                }
            }
        }
    }
    l
}
