//! VGG19's convolutional part (Simonyan & Zisserman), as the paper uses it.

pub mod layers;
pub mod model;
pub mod workspace;

pub use layers::{paper_content_taps, paper_style_taps, LayerSpec, Tap, VGG19};
pub use model::{ConvAlgo, ConvLayer, Kernels, Pooling, Vgg19, WINOGRAD_MIN_CHANNELS};
pub use workspace::Workspace;
