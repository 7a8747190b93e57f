//! The memory guard's estimate.

use super::Config;
use crate::ops::winograd;
use crate::optim::Optimizer;
use crate::vgg::{Tap, Vgg19};
use crate::Precision;

/// Bytes a run at `(h, w)` will need at its peak, before allocating any of it:
/// the packed weights, the workspace of a forward and backward (its plan,
/// [`Vgg19::workspace_bytes`]), the ReLU masks, the targets, Winograd's scratch
/// (the largest layer's, [`winograd::scratch_bytes`], and at bf16 the
/// largest [`winograd::bf16_scratch_bytes`] beside it), the optimiser's and
/// the evaluator's vectors (L-BFGS: `2 * history + 22` images, Adam 18), and
/// 64 MB for the rest (the binary with its embedded weights, decoded images,
/// buffers of the loss). It is a few percent above `/usr/bin/time -v` of
/// square runs with the history full (`docs/performance.md`). argmin's
/// vectors are pooled ([`crate::optim`]): at history 10 at most 33 exist.
///
/// `threads`: the threads the run will use (each keeps its own Winograd
/// scratch), given explicitly: the caller may not be inside the run's pool.
pub fn estimate_memory(net: &Vgg19, config: &Config, h: usize, w: usize, threads: usize) -> u64 {
    let taps: Vec<Tap> = config.content_layers.iter().chain(&config.style_layers).copied().collect();
    let deepest = taps.iter().map(|t| t.index()).max().unwrap_or(0);
    let threads = threads.max(1);
    let (mut fh, mut fw) = (h, w);
    let mut targets = 0;
    let mut scratch = 0;
    let mut scratch16 = 0;
    let mut weights = 0;
    for (i, l) in net.layers().iter().enumerate().take(deepest + 1) {
        if l.spec.pool_before {
            (fh, fw) = (fh / 2, fw / 2);
        }
        if config.content_layers.iter().any(|t| t.index() == i) {
            targets += 4 * l.c_out * fh * fw; // the content target P
        }
        if config.style_layers.iter().any(|t| t.index() == i) {
            targets += 4 * l.c_out * l.c_out; // the target Gram A
        }
        scratch = scratch.max(winograd::scratch_bytes(&l.geom(fh, fw), threads));
        if l.kernels.precision() == Precision::Bf16 {
            scratch16 = scratch16.max(winograd::bf16_scratch_bytes(&l.geom(fh, fw), threads));
        }
        weights += l.bytes();
    }
    let pixels = 4 * 3 * h * w;
    let optimiser = match config.optimizer {
        Optimizer::Lbfgs { history } => (2 * history + 22) * pixels,
        Optimizer::Adam { .. } => 18 * pixels,
    };
    let network = net.workspace_bytes(&taps, h, w) + net.mask_bytes(&taps, h, w);
    (weights + network + targets + scratch + scratch16 + optimiser + (64 << 20)) as u64
}
