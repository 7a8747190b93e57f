//! The temporal loss of Ruder, Dosovitskiy & Brox (2016) over an image
//! `x (C, H, W)`: `L_t = (1/D) sum_{c,i,j} w[i,j] (x[c,i,j] - t[c,i,j])^2`
//! with `D = H*W` pixels, `t` the previous frame's result warped along the
//! flow and `w` in [0, 1] where the flow can be trusted.

/// Returns `L_t` and adds `scale * dL_t/dx` into `grad (C, H, W)`.
pub fn temporal(x: &[f32], target: &[f32], weights: &[f32], scale: f32, grad: &mut [f32]) -> f64 {
    let pixels = weights.len();
    assert_eq!(x.len(), target.len());
    assert_eq!(grad.len(), x.len());
    assert!(pixels > 0 && x.len().is_multiple_of(pixels), "weights are one plane of the image");
    let d = pixels as f32;
    let mut l = 0.0f64;
    for ((xc, tc), gc) in x.chunks(pixels).zip(target.chunks(pixels)).zip(grad.chunks_mut(pixels)) {
        for k in 0..pixels {
            let diff = xc[k] - tc[k];
            l += (weights[k] * diff * diff) as f64;
            gc[k] += scale * 2.0 * weights[k] * diff / d;
        }
    }
    l / pixels as f64
}
