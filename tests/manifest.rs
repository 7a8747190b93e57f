//! Cargo.toml tells the truth: `rust-version` is at least what every
//! dependency in the resolved graph needs (the AVX-512 intrinsics need 1.89 on
//! top of that). And every source file is under mutation testing.

use std::path::Path;
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

/// Every source file with a function in it belongs to a module of
/// `tools/mutants.sh`, so mutation testing cannot quietly skip new code (the
/// flow, the trace and the batch's session went unlisted for a while).
#[test]
fn mutation_testing_knows_every_source_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("tools/mutants.sh")).unwrap();
    let listed: Vec<&str> = script
        .lines()
        .filter(|l| l.trim_start().contains(") echo \"src/"))
        .flat_map(|l| l.split('"').nth(1).unwrap().split_whitespace())
        .collect();
    let mut files = Vec::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 40, "found only {} source files", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("fn "))
        .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"))
        .filter(|name| !listed.contains(&name.as_str()))
        .collect();
    assert!(missing.is_empty(), "not in any module of tools/mutants.sh: {missing:?}");
    for name in &listed {
        assert!(root.join(name).is_file(), "tools/mutants.sh lists {name}, which does not exist");
    }
}
