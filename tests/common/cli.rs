//! Running the binary from tests: a scratch folder that makes its own
//! pictures, and the command's output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_neural-style");

/// A scratch folder, removed when dropped.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("ns-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    pub fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }

    /// A small picture with structure: gradients and a checker whose cell size
    /// depends on the name, so two names give two different pictures.
    pub fn image(&self, f: &str, w: u32, h: u32) -> PathBuf {
        let p = self.path(f);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let name = p.file_name().unwrap().to_str().unwrap().as_bytes().to_vec();
        let cell = 2 + name.len() as u32 % 5 + name[0] as u32 % 3;
        image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 255 / w.max(1)) as u8,
                (y * 255 / h.max(1)) as u8,
                if (x / cell + y / cell).is_multiple_of(2) { 40 } else { 220 },
            ])
        })
        .save(&p)
        .unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The number after `"key":` in a JSON line (no JSON parser in the tests).
pub fn json_number(line: &str, key: &str) -> Option<f64> {
    let at = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = &line[at..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// The string after `"key":` in a JSON line (without escapes).
pub fn json_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let rest = &line[at..];
    Some(&rest[..rest.find('"')?])
}

/// Runs the binary with `args`, which must be refused: exit `code`, no panic,
/// one line naming every needle, no file at `out`. The line, trimmed.
pub fn refuses<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S], code: i32, needles: &[&str], out: &Path) -> String {
    let o = Command::new(BIN).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "args {args:?}: stderr {err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "panic for {args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line expected for {args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in the message for {args:?}: {err}");
    }
    assert!(!out.exists(), "an output file appeared for {args:?}");
    err.trim_end().to_string()
}
