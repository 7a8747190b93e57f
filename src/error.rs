//! The library's one error type. The binary formats it as a single line.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
/// The library's one error type.
pub enum Error {
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// An image file could not be decoded or encoded, or is empty.
    Image {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A weights file is malformed, damaged or does not describe VGG19.
    Weights(String),
    /// A layer name that is not one of `relu1_1` ... `relu5_4`.
    UnknownLayer(String),
    /// Settings that cannot work together or are out of range.
    Config(String),
    /// One setting of [`crate::transfer::Config`] (or of a run) is invalid:
    /// `field` names it as in the library (`size`, `weights.content`,
    /// `optimizer.history`, ...), so a front end can name its own flag.
    Invalid {
        /// The setting, as named in the library.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The loss or its gradient stopped being finite at an evaluation.
    NonFinite {
        /// 1-based count of the evaluation.
        evaluation: usize,
        /// The loss there.
        loss: f64,
        /// The gradient's L2 norm there.
        grad_norm: f64,
    },
    /// A `width x height` run would need about `needed_mb`, more than the
    /// limit (`limit_mb`, set by the caller if `user_limit`, else what the
    /// machine has available); `fits` is the largest size that would fit.
    Memory {
        /// Width of the run.
        width: usize,
        /// Height of the run.
        height: usize,
        /// Its estimate, MB.
        needed_mb: u64,
        /// The limit, MB.
        limit_mb: u64,
        /// Whether the caller set the limit (else it is what the machine has).
        user_limit: bool,
        /// The largest size that would fit, if any.
        fits: Option<usize>,
    },
    /// Line `line` (1-based) of a trace file cannot be read.
    Trace {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The optimiser failed for a reason other than convergence.
    Optimizer(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            Error::Image { path, reason } => write!(f, "{}: {}", path.display(), reason),
            Error::Weights(m) => write!(f, "weights: {m}"),
            Error::UnknownLayer(name) => {
                write!(f, "unknown layer '{name}': ")?;
                let known = crate::vgg::VGG19.iter().map(|l| l.relu);
                match name.strip_prefix("conv").map(|rest| format!("relu{rest}")).filter(|r| known.clone().any(|k| k == r)) {
                    // The loss reads the ReLU after the convolution.
                    Some(relu) => write!(f, "the losses read the ReLUs after the convolutions: did you mean {relu}?"),
                    None => match closest(name, known) {
                        Some(near) => write!(f, "did you mean {near}? (relu1_1 ... relu5_4)"),
                        None => write!(f, "expected one of relu1_1, relu1_2, relu2_1, relu2_2, relu3_1 ... relu3_4, relu4_1 ... relu4_4, relu5_1 ... relu5_4"),
                    },
                }
            }
            Error::Config(m) => f.write_str(m),
            Error::Invalid { field, reason } => write!(f, "{field}: {reason}"),
            Error::NonFinite { evaluation, loss, grad_norm } => {
                write!(f, "non-finite values: at evaluation {evaluation} the loss is {loss} and the gradient norm {grad_norm}")
            }
            Error::Memory { width, height, needed_mb, limit_mb, user_limit, fits } => {
                let whose = if *user_limit { "the limit set is" } else { "this machine has available" };
                write!(f, "not enough memory: a {width}x{height} run needs about {needed_mb} MB but {whose} {limit_mb} MB; ")?;
                match fits {
                    Some(s) => write!(f, "size {s} would fit"),
                    None => write!(f, "no size would fit (the network's weights alone need more)"),
                }
            }
            Error::Trace { line, reason } => write!(f, "trace line {line}: {reason}"),
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
    /// An [`Error::Io`] at `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
    /// An [`Error::Image`] at `path`.
    pub fn image(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Image { path: path.into(), reason: reason.into() }
    }
}

/// The value of `words` named `v`, or [`Error::Invalid`] for `field` listing
/// the words: how the library's settings read their names (`avg`, `luminance`).
pub(crate) fn one_of<T: Copy>(field: &'static str, words: &[(&str, T)], v: &str) -> Result<T, Error> {
    match words.iter().find(|(w, _)| *w == v) {
        Some((_, t)) => Ok(*t),
        None => {
            let names: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
            let (last, rest) = names.split_last().expect("at least one word");
            let list = if rest.is_empty() { last.to_string() } else { format!("{} or {last}", rest.join(", ")) };
            let hint = closest(v, names.iter().copied()).map(|w| format!(" (did you mean {w}?)")).unwrap_or_default();
            Err(Error::Invalid { field, reason: format!("expected {list}, got '{v}'{hint}") })
        }
    }
}

/// Levenshtein distance between two words, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diag + usize::from(ca != *cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The word of `known` nearest to `word`, if it is near enough to be a slip
/// of the keyboard: at most 2 edits, and fewer than a third of the word.
pub fn closest<'a>(word: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = 2.min(word.chars().count().div_ceil(3));
    known.map(|k| (edit_distance(word, k), k)).filter(|(d, _)| *d <= limit).min_by_key(|(d, _)| *d).map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_unknown_layer_is_answered_with_the_nearest_name() {
        let says = |name: &str| Error::UnknownLayer(name.into()).to_string();
        // A convolution's name: the ReLU after it, which exists.
        assert_eq!(says("conv4_2"), "unknown layer 'conv4_2': the losses read the ReLUs after the convolutions: did you mean relu4_2?");
        // A convolution VGG19 does not have is no such hint.
        assert!(!says("conv9_9").contains("relu9_9"), "{}", says("conv9_9"));
        // A slip of the keyboard: the nearest name.
        assert_eq!(says("relu4_22"), "unknown layer 'relu4_22': did you mean relu4_2? (relu1_1 ... relu5_4)");
        // Nothing near: the names.
        assert!(says("pool").starts_with("unknown layer 'pool': expected one of relu1_1, relu1_2,"), "{}", says("pool"));
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions_by_character() {
        for (a, b, d) in [
            ("", "", 0),
            ("", "abc", 3),
            ("kitten", "sitting", 3),
            ("flaw", "lawn", 2),
            ("intention", "execution", 5),
            ("relu4_2", "relu4_22", 1),
            ("ab", "ba", 2),     // a transposition is two edits
            ("über", "uber", 1), // characters, not bytes
            ("avg", "avg", 0),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} -> {b}");
            assert_eq!(edit_distance(b, a), d, "{b} -> {a}");
        }
    }

    #[test]
    fn the_closest_word_is_the_nearest_within_a_slip() {
        let known = ["lbfgs", "adam", "abcd", "abce"];
        let near = |w: &str| closest(w, known.iter().copied());
        assert_eq!(near("abce"), Some("abce"), "the nearest, not the first near enough");
        assert_eq!(near("lbfgz"), Some("lbfgs"));
        // Five letters allow two edits, and two are allowed; three are not.
        assert_eq!(near("lbfxx"), Some("lbfgs"));
        assert_eq!(near("lbxxx"), None);
        // Three letters allow one edit.
        assert_eq!(near("adm"), Some("adam"));
        assert_eq!(near("xyz"), None);
    }

    #[test]
    fn only_a_file_error_has_a_source_and_it_is_the_system_s() {
        let io = Error::io("in.png", std::io::Error::new(std::io::ErrorKind::NotFound, "gone"));
        assert_eq!(io.to_string(), "in.png: gone");
        let source = io.source().expect("a file error keeps its source");
        assert_eq!(source.to_string(), "gone");
        let kind = source.downcast_ref::<std::io::Error>().map(|e| e.kind());
        assert_eq!(kind, Some(std::io::ErrorKind::NotFound));
        for other in [Error::image("in.png", "not an image"), Error::Weights("short".into()), Error::Optimizer("x".into())] {
            assert!(other.source().is_none(), "{other}");
        }
    }
}
