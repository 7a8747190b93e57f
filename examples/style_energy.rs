//! Where each style layer's `E_l` comes from, plain or normalised network:
//! for a photograph C and a painting S at one size, per style layer, the mean
//! activation of each image, the Gram entries' size on and off the diagonal,
//! `E_l` of C against S's Gram, and the share of `E_l` on the diagonal.
//!
//!     cargo run --release --example style_energy -- photo.jpg painting.jpg [SIZE]

use neural_style::loss::gram::gram;
use neural_style::{image_io, vgg, weights, Error, Pooling};

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: style_energy PHOTO PAINTING [SIZE]");
        std::process::exit(2);
    }
    let size: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(256);
    let file = weights::shipped();
    let taps = vgg::paper_style_taps();
    for normalised in [false, true] {
        let net = file.to_network(Pooling::Avg, normalised)?;
        let image = |p: &str| -> Result<_, Error> {
            let rgb = image_io::resize_longest(image_io::load(p.as_ref())?.view(), size);
            Ok(net.features(net.convention.preprocess(rgb.view()).view(), &taps))
        };
        let (c, s) = (image(&args[0])?, image(&args[1])?);
        println!("{} network, {size} px", if normalised { "normalised" } else { "plain" });
        println!("layer     N      M   mean(C)   mean(S)  diag(A)  offdiag(A)       E_l  diag share");
        for ((tap, fc), fs) in taps.iter().zip(&c).zip(&s) {
            let (n, h, w) = fs.dim();
            let m = h * w;
            let a = gram(fs.as_slice().unwrap(), n, m);
            let (hc, wc) = (fc.dim().1, fc.dim().2);
            let g = gram(fc.as_slice().unwrap(), n, hc * wc);
            let (mut diag, mut off, mut e, mut e_diag) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            for i in 0..n {
                for j in 0..n {
                    let (av, d) = (a[i * n + j] as f64, (g[i * n + j] - a[i * n + j]) as f64);
                    e += d * d;
                    if i == j {
                        diag += av;
                        e_diag += d * d;
                    } else {
                        off += av;
                    }
                }
            }
            let mean = |f: &ndarray::Array3<f32>| f.iter().map(|&v| v as f64).sum::<f64>() / f.len() as f64;
            println!(
                "{:8} {:4} {:6} {:9.3} {:9.3} {:8.3e} {:11.3e} {:9.3e} {:10.3}",
                tap.name(),
                n,
                m,
                mean(fc),
                mean(fs),
                diag / n as f64,
                off / (n * n - n) as f64,
                e / (4.0 * (n * n) as f64),
                e_diag / e.max(1e-30)
            );
        }
    }
    Ok(())
}
