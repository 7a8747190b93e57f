//! VGG19's convolution layers by their paper names, and the taps (`relu1_1` ...
//! `relu5_4`) where features are read.

use crate::error::Error;
use std::fmt;

/// One convolution layer of VGG19: its name, channels, and whether a 2x2 pool
/// comes before it (the first layer of blocks 2..5).
#[derive(Clone, Copy, Debug)]
pub struct LayerSpec {
    /// `conv1_1` ... as in the paper.
    pub conv: &'static str,
    /// `relu1_1` ...: the tap after this convolution.
    pub relu: &'static str,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Whether a 2x2 pool comes before this convolution.
    pub pool_before: bool,
}

const fn spec(conv: &'static str, relu: &'static str, c_in: usize, c_out: usize, pool_before: bool) -> LayerSpec {
    LayerSpec { conv, relu, c_in, c_out, pool_before }
}

/// The 16 convolution layers of VGG19 in order. All are 3x3, stride 1, pad 1,
/// each followed by a ReLU.
pub const VGG19: [LayerSpec; 16] = [
    spec("conv1_1", "relu1_1", 3, 64, false),
    spec("conv1_2", "relu1_2", 64, 64, false),
    spec("conv2_1", "relu2_1", 64, 128, true),
    spec("conv2_2", "relu2_2", 128, 128, false),
    spec("conv3_1", "relu3_1", 128, 256, true),
    spec("conv3_2", "relu3_2", 256, 256, false),
    spec("conv3_3", "relu3_3", 256, 256, false),
    spec("conv3_4", "relu3_4", 256, 256, false),
    spec("conv4_1", "relu4_1", 256, 512, true),
    spec("conv4_2", "relu4_2", 512, 512, false),
    spec("conv4_3", "relu4_3", 512, 512, false),
    spec("conv4_4", "relu4_4", 512, 512, false),
    spec("conv5_1", "relu5_1", 512, 512, true),
    spec("conv5_2", "relu5_2", 512, 512, false),
    spec("conv5_3", "relu5_3", 512, 512, false),
    spec("conv5_4", "relu5_4", 512, 512, false),
];

/// A place where features are read: the output of one of VGG19's ReLUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tap(usize);

impl Tap {
    /// Parses a paper name such as `relu4_2`.
    pub fn parse(name: &str) -> Result<Tap, Error> {
        VGG19.iter().position(|l| l.relu == name.trim()).map(Tap).ok_or_else(|| Error::UnknownLayer(name.trim().to_string()))
    }
    /// Parses a comma-separated list such as `relu1_1,relu2_1`.
    pub fn parse_list(names: &str) -> Result<Vec<Tap>, Error> {
        names.split(',').filter(|s| !s.trim().is_empty()).map(Tap::parse).collect()
    }
    /// The tap after convolution layer `index` (0 = conv1_1).
    pub fn from_index(index: usize) -> Option<Tap> {
        (index < VGG19.len()).then_some(Tap(index))
    }
    /// Position of the convolution whose ReLU this is (0 = conv1_1).
    pub fn index(self) -> usize {
        self.0
    }
    /// The paper's name, `relu1_1` ...
    pub fn name(self) -> &'static str {
        VGG19[self.0].relu
    }
    /// The layer this tap follows.
    pub fn spec(self) -> &'static LayerSpec {
        &VGG19[self.0]
    }
    /// Channels of the features at this tap.
    pub fn channels(self) -> usize {
        VGG19[self.0].c_out
    }
    /// Spatial size of this tap's features for an input of `(h, w)`.
    pub fn feature_size(self, h: usize, w: usize) -> (usize, usize) {
        VGG19[..=self.0].iter().filter(|l| l.pool_before).fold((h, w), |(h, w), _| (h / 2, w / 2))
    }
    /// Every tap, shallow to deep.
    pub fn all() -> impl Iterator<Item = Tap> {
        (0..VGG19.len()).map(Tap)
    }
}

impl fmt::Display for Tap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The paper's style layers: relu1_1, relu2_1, relu3_1, relu4_1, relu5_1.
pub fn paper_style_taps() -> Vec<Tap> {
    ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].iter().map(|n| Tap::parse(n).unwrap()).collect()
}

/// The paper's content layer: relu4_2.
pub fn paper_content_taps() -> Vec<Tap> {
    vec![Tap::parse("relu4_2").unwrap()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paper names, positions, channels and sizes of every tap, and the
    /// errors for names that are not taps.
    #[test]
    fn taps_by_their_paper_names() {
        let all: Vec<Tap> = Tap::all().collect();
        assert_eq!(all.len(), 16);
        for (i, t) in all.iter().enumerate() {
            assert_eq!(t.index(), i);
            assert_eq!(Tap::from_index(i), Some(*t));
            assert_eq!(Tap::parse(t.name()).unwrap(), *t, "{t}");
            assert_eq!(t.to_string(), t.name());
            assert_eq!(t.channels(), VGG19[i].c_out);
            assert_eq!(t.spec().conv, VGG19[i].conv);
        }
        assert_eq!(Tap::from_index(16), None);
        let t = |n: &str| Tap::parse(n).unwrap();
        assert_eq!(t("relu1_1").index(), 0);
        assert_eq!(t(" relu4_2 ").index(), 9, "names are trimmed");
        assert_eq!(t("relu5_4").index(), 15);
        assert_eq!(t("relu3_1").name(), "relu3_1");
        assert_eq!((t("relu1_2").channels(), t("relu3_4").channels(), t("relu5_1").channels()), (64, 256, 512));
        for bad in ["relu6_1", "conv1_1", "", "relu1_1,relu2_1"] {
            match Tap::parse(bad) {
                Err(Error::UnknownLayer(n)) => assert_eq!(n, bad.trim()),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert_eq!(Tap::parse_list("relu1_1, relu2_1,,relu5_1,").unwrap(), vec![t("relu1_1"), t("relu2_1"), t("relu5_1")]);
        assert_eq!(Tap::parse_list("").unwrap(), vec![]);
        assert!(Tap::parse_list("relu1_1,relu9_9").is_err());
        // Pools before blocks 2..5 halve the size, rounding down.
        assert_eq!(t("relu1_2").feature_size(512, 384), (512, 384));
        assert_eq!(t("relu2_1").feature_size(512, 384), (256, 192));
        assert_eq!(t("relu4_2").feature_size(512, 384), (64, 48));
        assert_eq!(t("relu5_1").feature_size(100, 30), (6, 1));
        assert_eq!(paper_style_taps(), ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].map(t).to_vec());
        assert_eq!(paper_content_taps(), vec![t("relu4_2")]);
    }
}
