//! Property tests with random bytes (run in CI): the weights parser and image
//! loading never panic, whatever they are fed. Mutations of valid files reach
//! deeper than pure noise; half of the weights mutations get a fresh checksum
//! so the parser's later checks are exercised too. `NS_FUZZ_CASES` sets the
//! count (default 20000 weights files and 1000 images per format: under a second
//! on a quiet machine with the fixed seeds). Mutated image headers that claim
//! large sizes make the decoder allocate: 3000 images per format took 58 s.

mod common;
use common::reseal;
use neural_style::image_io;
use neural_style::rng::Rng;
use neural_style::weights::{WeightsFile, SHIPPED};
use neural_style::{Pooling, Vgg19};
use std::panic::catch_unwind;

fn cases(default: usize) -> usize {
    std::env::var("NS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    match rng.next_u64() % 5 {
        0 => {
            let n = (rng.next_u64() % 8 + 1) as usize;
            for _ in 0..n {
                let i = (rng.next_u64() as usize) % b.len();
                b[i] ^= 1 << (rng.next_u64() % 8);
            }
        }
        1 => {
            let cut = (rng.next_u64() as usize) % b.len();
            b.truncate(cut);
        }
        2 => {
            // Overwrite a run in the first 256 bytes (headers, tables).
            let i = (rng.next_u64() as usize) % b.len().min(256);
            for j in i..(i + 4).min(b.len()) {
                b[j] = rng.next_u64() as u8;
            }
        }
        3 => {
            let n = (rng.next_u64() % 512) as usize;
            b = (0..n).map(|_| rng.next_u64() as u8).collect();
        }
        _ => {
            let i = (rng.next_u64() as usize) % b.len();
            let extra: Vec<u8> = (0..(rng.next_u64() % 16)).map(|_| rng.next_u64() as u8).collect();
            b.splice(i..i, extra);
        }
    }
    b
}

#[test]
fn weights_parser_never_panics() {
    let base = WeightsFile::from_network(&Vgg19::random(1, 64), "fuzz").to_bytes();
    let mut rng = Rng::new(2024);
    let n = cases(20000);
    let mut accepted = 0;
    for i in 0..n {
        let mut b = mutate(&mut rng, &base);
        if i % 2 == 0 {
            reseal(&mut b);
        }
        let r = catch_unwind(|| match WeightsFile::parse(&b) {
            Ok(f) => f.to_network(Pooling::Avg, false).is_ok(),
            Err(e) => {
                assert!(!e.to_string().is_empty());
                false
            }
        });
        assert!(r.is_ok(), "weights case {i} panicked");
        accepted += r.unwrap() as usize;
    }
    // The shipped file's header and first table, mutated too.
    for i in 0..n / 4 {
        let mut b = mutate(&mut rng, &SHIPPED[..4096]);
        reseal(&mut b);
        assert!(catch_unwind(|| WeightsFile::parse(&b).is_ok()).is_ok(), "shipped-prefix case {i} panicked");
    }
    eprintln!("fuzz: {} weights inputs, {accepted} parsed into a network, none panicked", n + n / 4);
    // Half the inputs are resealed (fresh CRC) to reach the deeper checks: a
    // parser that rejected everything, or accepted everything, would not be tested.
    assert!(accepted > n / 100, "only {accepted} of {n} mutated files parsed: the deeper checks were not reached");
    assert!(accepted < n / 2, "{accepted} of {n} mutated files parsed: damage goes unnoticed");
}

fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(17, 11, |x, y| image::Rgb([(x * 13) as u8, (y * 23) as u8, ((x ^ y) * 9) as u8]));
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, format).unwrap();
    buf.into_inner()
}

#[test]
fn image_loading_never_panics() {
    let mut rng = Rng::new(7);
    let n = cases(1000);
    let mut decoded = 0;
    for format in [image::ImageFormat::Png, image::ImageFormat::Jpeg] {
        let base = encoded(format);
        for i in 0..n {
            let b = mutate(&mut rng, &base);
            let r = catch_unwind(|| image_io::decode(&b).is_ok());
            assert!(r.is_ok(), "{format:?} case {i} panicked");
            decoded += r.unwrap() as usize;
        }
    }
    eprintln!("fuzz: {} image inputs, {decoded} decoded, none panicked", 2 * n);
    // Some mutations only touch pixel data (decoded), most break the stream.
    assert!(decoded > n / 50 && decoded < 2 * n, "{decoded} of {} mutated images decoded", 2 * n);
}
