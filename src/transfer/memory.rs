//! The memory guard's estimate.

use super::Config;
use crate::optim::Optimizer;
use crate::vgg::Vgg19;

/// Bytes a run at `(h, w)` will need at its peak, estimated before allocating:
/// the network's weights (twice: as loaded and flipped for the backward), the
/// forward's ReLU masks (bits) and tap gradients (written over the features), the
/// content targets, two of the largest activations in flight (a layer's input
/// and output, or a gradient and the one it is added into), and the optimiser's
/// vectors. At 512x512 it says 631-655 MB (1-2 threads) where `/usr/bin/time -v`
/// measured 578-583 MB: it errs on the safe side by about a tenth.
pub fn estimate_memory(net: &Vgg19, config: &Config, h: usize, w: usize) -> u64 {
    let deepest = config.content_layers.iter().chain(&config.style_layers).map(|t| t.index()).max().unwrap_or(0);
    let (mut fh, mut fw) = (h, w);
    let mut masks = 0u64;
    let mut largest = 0u64;
    let mut taps = 0u64;
    let mut weights = 0u64;
    for (i, l) in net.layers().iter().enumerate().take(deepest + 1) {
        if l.spec.pool_before {
            (fh, fw) = (fh / 2, fw / 2);
        }
        let n = (l.c_out * fh * fw) as u64;
        masks += n.div_ceil(8); // one bit per element
        largest = largest.max(n * 4);
        if config.content_layers.iter().chain(&config.style_layers).any(|t| t.index() == i) {
            taps += n * 4; // the tap's gradient, kept for the backward
        }
        if config.content_layers.iter().any(|t| t.index() == i) {
            taps += n * 4; // the content target P
        }
        weights += l.bytes() as u64;
    }
    let pixels = (3 * h * w) as u64 * 4;
    let optimiser = match config.optimizer {
        Optimizer::Lbfgs { history } => (2 * history as u64 + 12) * pixels,
        Optimizer::Adam { .. } => 8 * pixels,
    };
    // Per thread: an im2col tile (<= 2 x 4 MiB) and Winograd's V and M (<= 16 MiB).
    let columns = 24 * 1024 * 1024 * rayon::current_num_threads() as u64;
    weights + masks + taps + 2 * largest + optimiser + columns + 64 * 1024 * 1024
}

