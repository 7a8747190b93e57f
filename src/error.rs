//! The library's one error type. The binary formats it as a single line.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// A file could not be read or written.
    Io { path: PathBuf, source: std::io::Error },
    /// An image file could not be decoded or encoded, or is empty.
    Image { path: PathBuf, reason: String },
    /// A weights file is malformed, damaged or does not describe VGG19.
    Weights(String),
    /// A layer name that is not one of `relu1_1` ... `relu5_4`.
    UnknownLayer(String),
    /// Settings that cannot work together or are out of range.
    Config(String),
    /// One setting of [`crate::transfer::Config`] (or of a run) is invalid:
    /// `field` names it as in the library (`size`, `weights.content`,
    /// `optimizer.history`, ...), so a front end can name its own flag.
    Invalid { field: &'static str, reason: String },
    /// The loss or its gradient stopped being finite.
    NonFinite(String),
    /// The run would need more memory than allowed.
    Memory(String),
    /// The optimiser failed for a reason other than convergence.
    Optimizer(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            Error::Image { path, reason } => write!(f, "{}: {}", path.display(), reason),
            Error::Weights(m) => write!(f, "weights: {m}"),
            Error::UnknownLayer(name) => write!(
                f,
                "unknown layer '{name}': expected one of relu1_1, relu1_2, relu2_1, relu2_2, relu3_1 ... relu3_4, relu4_1 ... relu4_4, relu5_1 ... relu5_4"
            ),
            Error::Config(m) => f.write_str(m),
            Error::Invalid { field, reason } => write!(f, "{field}: {reason}"),
            Error::NonFinite(m) => write!(f, "non-finite values: {m}"),
            Error::Memory(m) => write!(f, "not enough memory: {m}"),
            Error::Optimizer(m) => write!(f, "optimiser: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
    pub fn image(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Image { path: path.into(), reason: reason.into() }
    }
}
