//! The converters in tools/: the torchvision converter on a small checkpoint of
//! torchvision's structure that the test makes, and the Python writer agreeing
//! byte for byte with the Rust one.

use neural_style::preprocess::InputConvention;
use neural_style::weights::{self, WeightsFile};
use neural_style::Pooling;
use std::path::Path;
use std::process::Command;

fn python(args: &[&str]) {
    let out = Command::new("python3").args(args).output().expect("python3 runs (the tools need only its standard library)");
    assert!(out.status.success(), "python3 {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn torchvision_converter_on_a_checkpoint_of_the_same_structure() {
    let dir = std::env::temp_dir().join(format!("ns-tools-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pth = dir.join("vgg19-fixture.pth");
    let nsw = dir.join("vgg19-fixture.nsw");
    python(&["tools/make_torchvision_fixture.py", pth.to_str().unwrap(), "16"]);
    python(&["tools/convert_torchvision.py", pth.to_str().unwrap(), nsw.to_str().unwrap()]);
    let f = weights::load(Path::new(&nsw)).unwrap();
    assert_eq!(f.convention, InputConvention::torchvision());
    assert_eq!(f.layers.len(), 16);
    // The fixture's formula: weight i of conv L is ((7i + L) % 101 - 50) / 1000, bias k is (k + L) / 100.
    for (l, rec) in f.layers.iter().enumerate() {
        let w = rec.weights.decode();
        for i in [0, 1, w.len() / 2, w.len() - 1] {
            assert_eq!(w[i], (((i * 7 + l) % 101) as f32 - 50.0) / 1000.0, "conv {l} weight {i}");
        }
        assert_eq!(rec.bias[1], (1 + l) as f32 / 100.0);
    }
    assert_eq!(f.layers[2].name, "conv2_1");
    assert_eq!(f.layers[2].shape, [8, 4, 3, 3]);
    let net = f.to_network(Pooling::Avg, false).unwrap();
    assert_eq!(net.layers().len(), 16);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn python_and_rust_writers_agree_byte_for_byte() {
    let f = WeightsFile::parse(weights::SHIPPED).unwrap();
    assert!(f.to_bytes() == weights::SHIPPED, "re-serialising the shipped file changes it");
}
