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
    // A file with every encoding and scales, written by Rust, read and written
    // again by tools/nsw.py: the same bytes.
    let mut small = WeightsFile::from_network(&neural_style::Vgg19::random(3, 32), "written by the test");
    let l = &mut small.layers[1];
    let n = l.shape.iter().product::<usize>();
    l.weights = weights::Encoding::Codebook {
        table: (0..256).map(|i| i as f32 / 256.0 - 0.5).collect(),
        codes: (0..n).map(|i| (i * 7 % 256) as u8).collect(),
    };
    l.scales = Some(vec![0.5; l.shape[0]]);
    let dir = std::env::temp_dir().join(format!("ns-nsw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("rust.nsw"), dir.join("python.nsw"));
    std::fs::write(&a, small.to_bytes()).unwrap();
    let script = "import sys; sys.path.insert(0, 'tools'); import nsw\n\
d = nsw.read(sys.argv[1])\n\
layers = [dict(l, weights=l.get('weights'), table=l.get('table'), codes=l.get('codes')) for l in d['layers']]\n\
nsw.write(sys.argv[2], d['order'], d['scale'], d['mean'], d['std'], d['note'], layers)\n";
    python(&["-c", script, a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "tools/nsw.py rewrites the Rust writer's file differently");
    std::fs::remove_dir_all(&dir).ok();
}
