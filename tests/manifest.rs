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
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let packages = meta["packages"].as_array().expect("a list of packages");
    let mut ours = None;
    // (needed version, package) for every other package that states one.
    let mut needs: Vec<(Vec<u32>, String)> = Vec::new();
    for p in packages {
        let name = p["name"].as_str().expect("every package has a name");
        match (name, p["rust_version"].as_str()) {
            ("neural-style", v) => ours = Some(version(v.expect("our package states a rust-version"))),
            (_, Some(v)) => needs.push((version(v), format!("{name} {}", p["version"].as_str().unwrap_or("?")))),
            (_, None) => {}
        }
    }
    let ours = ours.expect("our package is in the metadata");
    assert!(needs.len() > 5, "rust_version fields found: {}", needs.len());
    let (max, which) = needs.iter().max().unwrap();
    assert!(&ours >= max, "rust-version {ours:?} is below {max:?} needed by {which}");
    assert!(ours >= version("1.89"), "the AVX-512 intrinsics need Rust 1.89");
}
