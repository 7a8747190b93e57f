//! The paper's losses and their gradients with respect to the features (or, for
//! total variation, the image). Each adds `scale * gradient` into a buffer the
//! caller owns and returns the unweighted loss in f64.

pub mod gram;
pub mod tap;
pub mod temporal;
pub mod tv;

pub use gram::gram;
pub use tap::{guided_gram, tap_in_place, StyleTerm, TapLosses};
pub use temporal::temporal;
pub use tv::total_variation;
