//! Cargo.toml tells the truth: `rust-version` is at least what every
//! dependency in the resolved graph needs (the AVX-512 intrinsics need 1.89 on
//! top of that).

use std::process::Command;

fn version(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap()).collect()
}

#[test]
fn rust_version_covers_every_dependency() {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", "x86_64-unknown-linux-gnu"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    // Each package object has `"name":"..."` before its `"rust_version":...`.
    let mut needs: Vec<(Vec<u32>, String)> = Vec::new();
    let mut ours = None;
    for part in text.split("\"rust_version\":").skip(1) {
        let Some(v) = part.strip_prefix('"').and_then(|p| p.split('"').next()) else { continue };
        needs.push((version(v), v.to_string()));
    }
    for (name, v) in text.split("{\"name\":\"").skip(1).filter_map(|p| {
        let name = p.split('"').next()?;
        let v = p.split("\"rust_version\":\"").nth(1)?.split('"').next()?;
        Some((name.to_string(), v.to_string()))
    }) {
        if name == "neural-style" {
            ours = Some(version(&v));
        }
    }
    let ours = ours.expect("our package states a rust-version");
    assert!(needs.len() > 5, "rust_version fields found: {}", needs.len());
    let (max, which) = needs.iter().max().unwrap();
    assert!(&ours >= max, "rust-version {ours:?} is below {which} needed by a dependency");
    assert!(ours >= version("1.89"), "the AVX-512 intrinsics need Rust 1.89");
}
