//! Between pictures and the network's input: an image is `(3, H, W)` RGB in
//! [0, 1]; the network's "preprocessed image" is what its weights expect,
//! described by an [`InputConvention`] stored in the weights file.

use ndarray::{Array3, ArrayView3};

/// Order of the colour channels the network's first layer expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelOrder {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red (the Caffe VGG19).
    Bgr,
}

/// `net[c] = (rgb[src(c)] * scale - mean[c]) / std[c]`, with `mean` and `std`
/// in the network's channel order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputConvention {
    /// The channel order the network was trained on.
    pub order: ChannelOrder,
    /// The value of full intensity: 255 (Caffe) or 1 (torchvision).
    pub scale: f32,
    /// Per-channel mean subtracted after scaling (network order).
    pub mean: [f32; 3],
    /// Per-channel divisor after the mean (network order).
    pub std: [f32; 3],
}

impl InputConvention {
    /// The VGG team's Caffe convention: BGR, 0..255, mean pixel subtracted, no std.
    pub fn caffe() -> Self {
        InputConvention { order: ChannelOrder::Bgr, scale: 255.0, mean: [103.939, 116.779, 123.68], std: [1.0; 3] }
    }
    /// torchvision's: RGB, 0..1, ImageNet mean and std.
    pub fn torchvision() -> Self {
        InputConvention { order: ChannelOrder::Rgb, scale: 1.0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }
    }

    /// The RGB channel that feeds network channel `c`.
    pub fn source(&self, c: usize) -> usize {
        match self.order {
            ChannelOrder::Rgb => c,
            ChannelOrder::Bgr => 2 - c,
        }
    }

    /// RGB `(3, H, W)` in [0, 1] to the network's input `(3, H, W)`.
    pub fn preprocess(&self, rgb: ArrayView3<f32>) -> Array3<f32> {
        let (_, h, w) = rgb.dim();
        Array3::from_shape_fn((3, h, w), |(c, i, j)| (rgb[[self.source(c), i, j]] * self.scale - self.mean[c]) / self.std[c])
    }

    /// The network's input back to RGB `(3, H, W)`, clamped to [0, 1].
    pub fn deprocess(&self, x: ArrayView3<f32>) -> Array3<f32> {
        let (_, h, w) = x.dim();
        Array3::from_shape_fn((3, h, w), |(c, i, j)| {
            let n = match self.order {
                ChannelOrder::Rgb => c,
                ChannelOrder::Bgr => 2 - c,
            };
            ((x[[n, i, j]] * self.std[n] + self.mean[n]) / self.scale).clamp(0.0, 1.0)
        })
    }

    /// How much one unit of the preprocessed image is in [0, 1] pixel units, per
    /// network channel: `std / scale`.
    pub fn unit(&self) -> [f32; 3] {
        [self.std[0] / self.scale, self.std[1] / self.scale, self.std[2] / self.scale]
    }

    /// Where grey images lie in the network's input: grey level `y` in [0, 1]
    /// is `slope[c] * y + offset[c]` in network channel `c`.
    pub fn grey_line(&self) -> GreyLine {
        GreyLine { slope: std::array::from_fn(|c| self.scale / self.std[c]), offset: std::array::from_fn(|c| -self.mean[c] / self.std[c]) }
    }
}

/// The grey images in the network's input, pixel by pixel a line
/// `slope * y + offset` (see [`InputConvention::grey_line`]). Luminance-only
/// transfer optimises on it: the image is brought onto it (the nearest point,
/// per pixel) and its gradient along it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GreyLine {
    /// Per network channel, what one grey level adds.
    pub slope: [f32; 3],
    /// Per network channel, black.
    pub offset: [f32; 3],
}

impl GreyLine {
    /// `x (3, H, W)`, a preprocessed image, moved to the nearest grey image:
    /// per pixel `y = sum_c slope_c (x_c - offset_c) / sum_c slope_c^2`.
    pub fn project(&self, x: &mut Array3<f32>) {
        let (a, b) = (self.slope, self.offset);
        let aa: f32 = a.iter().map(|v| v * v).sum();
        let (_, h, w) = x.dim();
        for i in 0..h {
            for j in 0..w {
                let y = (0..3).map(|c| a[c] * (x[[c, i, j]] - b[c])).sum::<f32>() / aa;
                for c in 0..3 {
                    x[[c, i, j]] = a[c] * y + b[c];
                }
            }
        }
    }

    /// A gradient `g (3, H, W)` at a grey image kept to its part along the
    /// line (per pixel `slope (slope . g) / |slope|^2`): a step along it
    /// leaves the image grey. The same projection through the origin.
    pub fn project_gradient(&self, g: &mut Array3<f32>) {
        GreyLine { offset: [0.0; 3], ..*self }.project(g);
    }
}
