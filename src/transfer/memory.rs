//! The memory guard's estimate.

use super::Config;
use crate::optim::Optimizer;
use crate::vgg::Vgg19;

/// Bytes a run at `(h, w)` will need at its peak, estimated before allocating:
/// the network's weights (twice: as loaded and flipped for the backward), the
/// forward's ReLU masks and tap gradients, the largest activations in flight,
/// and the optimiser's vectors. Measured against `/usr/bin/time -v` in the README.
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
            taps += n * 4 * 2; // gradient kept, plus the content target
        }
        weights += (l.weight.len() * 8 + l.bias.len() * 4) as u64;
    }
    let pixels = (3 * h * w) as u64 * 4;
    let optimiser = match config.optimizer {
        Optimizer::Lbfgs { history } => (2 * history as u64 + 12) * pixels,
        Optimizer::Adam { .. } => 8 * pixels,
    };
    let columns = 2 * 4 * 1024 * 1024 * rayon::current_num_threads() as u64;
    weights + masks + taps + 4 * largest + optimiser + columns + 64 * 1024 * 1024
}

