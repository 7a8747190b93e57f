//! The shell commands of the README and of `docs/usage.md` run as written, on
//! small pictures: every `neural-style ...` line of a `sh` block (and the
//! README's `cargo run --release -- ...`), its images made here, its outputs
//! in a scratch folder, at a tiny size. Lines that need a cluster or another
//! program (`$VARIABLES`, `ffmpeg`, `#SBATCH`) and `cargo test` are left out.
//! The Rust blocks are doctests (`src/lib.rs`).

mod common;

use common::cli::{run, stderr, Dir};
use std::path::Path;

/// The commands of the `sh` blocks of `text`, continuation lines joined.
fn commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        current.push_str(line.trim_end_matches('\\').trim());
        current.push(' ');
        if !line.ends_with('\\') {
            // A chain (`a && b`) is its commands, one after another.
            out.extend(std::mem::take(&mut current).split("&&").map(|c| c.trim().to_string()));
        }
    }
    out
}

/// Runs one documented command with its files made in `d`; `None` if it is not
/// one this test can run here.
fn run_documented(d: &Dir, command: &str) -> Option<std::process::Output> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let args: &[&str] = match words.as_slice() {
        ["neural-style", rest @ ..] => rest,
        ["cargo", "run", "--release", "--", rest @ ..] => rest,
        _ => return None,
    };
    if command.contains('$') {
        return None;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut argv: Vec<String> = Vec::new();
    let mut previous = "";
    for (i, w) in args.iter().enumerate() {
        let is_output = matches!(previous, "--output" | "-o" | "--trace" | "--summary" | "--output-dir");
        let value = if is_output {
            d.path(&format!("out{i}-{}", w.trim_end_matches('/').replace('/', "_"))).display().to_string()
        } else if w.ends_with('/') {
            // A folder of pictures.
            for name in ["one.png", "two.png"] {
                d.image(&format!("{}{name}", w), 40, 30);
            }
            d.path(w).display().to_string()
        } else if w.ends_with(".png") || w.ends_with(".jpg") {
            // Each picture of a list: the repository's own, or one made here.
            let made: Vec<String> = w
                .split(',')
                .map(|p| match root.join(p).exists() {
                    true => root.join(p).display().to_string(),
                    false => d.image(p, 40, 30).display().to_string(),
                })
                .collect();
            made.join(",")
        } else {
            w.to_string()
        };
        argv.push(value);
        previous = w;
    }
    // Painting commands are made quick; `flow` and help take none of these flags.
    if !argv.iter().any(|a| a == "--help" || a == "flow") {
        argv.extend(["--size", "32", "--iterations", "2", "--quiet"].map(String::from));
    }
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    Some(run(&argv))
}

#[test]
fn the_documented_commands_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ran = 0;
    for doc in ["README.md", "docs/usage.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for (k, command) in commands(&text).iter().enumerate() {
            let d = Dir::new(&format!("docs-{}-{k}", doc.replace('/', "-")));
            let Some(o) = run_documented(&d, command) else { continue };
            assert!(o.status.success(), "{doc}: `{command}`: {}", stderr(&o));
            ran += 1;
        }
    }
    // The set-up command, three quick-start lines, batch twice, video.
    assert!(ran >= 7, "only {ran} documented commands found");
}
