//! Benchmarks (not tests): per-layer convolution forward and input-gradient
//! GFLOP/s at VGG19's real shapes, and whole evaluations (forward + backward +
//! losses) with the shipped weights. Prints a table: median, min and max of N runs.
//!
//!     cargo bench --bench engine                      # everything, sizes 256 and 512, 1 and 2 threads
//!     cargo bench --bench engine -- eval 512 --runs 7 # only whole evaluations at 512
//!
//! Words on the command line pick parts (`layers`, `winograd` (the layers without
//! the im2col reference), `eval`, `memory`, `losses`), sizes (numbers >= 16),
//! `--threads 1,2`, `--runs N` and `--precision f32|bf16` (the Winograd
//! input gradients', in `winograd`, `layers` and `eval`).

use ndarray::Array3;
use neural_style::objective::{content_targets, style_targets};
use neural_style::ops::conv::{conv_backward_input, conv_forward, flip_transpose, ConvGeom};
use neural_style::ops::winograd::WinogradWeights;
use neural_style::rng::Rng;
use neural_style::vgg::{paper_content_taps, paper_style_taps, VGG19};
use neural_style::{weights, LossWeights, Objective, Pooling, Precision};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn time(runs: usize, f: impl FnMut()) -> Stats {
    time_after(runs, || {}, f)
}

/// `f` timed alone, each run after an untimed `setup` (a buffer restored).
fn time_after(runs: usize, mut setup: impl FnMut(), mut f: impl FnMut()) -> Stats {
    setup();
    f(); // warm-up: page faults, thread-local buffers
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            setup();
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Stats { median: t[t.len() / 2], min: t[0], max: t[t.len() - 1] }
}

fn randn(seed: u64, n: usize) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.normal()).collect()
}

/// `im2col`: also time the reference path (`layers`); without it (`winograd`)
/// only the engine's, much sooner.
fn layers(size: usize, threads: usize, runs: usize, im2col: bool) {
    println!(
        "\n## Convolutions at {size}x{size}, {threads} thread(s), precision {}: GFLOP/s (median of {runs}; time in ms: median [min, max])",
        PRECISION.get_or_init(Precision::default).name()
    );
    println!(
        "| layer | shape | im2col forward GFLOP/s | forward ms | backward GFLOP/s | backward ms | Winograd forward ms | backward ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let (mut h, mut w) = (size, size);
    let (mut tf, mut tb, mut flops) = (0.0, 0.0, 0.0);
    let (mut twf, mut twb) = (0.0, 0.0);
    for (i, spec) in VGG19.iter().enumerate().take(13) {
        if spec.pool_before {
            (h, w) = (h / 2, w / 2);
        }
        let g = ConvGeom::vgg(spec.c_in, spec.c_out, h, w);
        let x = randn(i as u64, g.c_in * h * w);
        let wt = randn(100 + i as u64, g.c_out * g.patch_len());
        let b = randn(200 + i as u64, g.c_out);
        let wflip = flip_transpose(&g, &wt);
        let mut y = vec![0.0; g.c_out * h * w];
        let mut dx = vec![0.0; g.c_in * h * w];
        let mut u = WinogradWeights::new(g.c_out, g.c_in, &wt);
        u.set_precision(*PRECISION.get_or_init(Precision::default)).unwrap();
        let wf = time(runs, || u.forward(&g, &x, Some(&b), true, false, &mut y));
        let wb = time(runs, || u.backward_input(&g, &y, &mut dx, false));
        (twf, twb) = (twf + wf.median, twb + wb.median);
        let gf = g.flops() / 1e9;
        flops += gf;
        // The reference's cells: GFLOP/s, then ms.
        let (f, bw) = if im2col {
            let f = time(runs, || conv_forward(&g, &x, &wt, Some(&b), true, &mut y));
            let bw = time(runs, || conv_backward_input(&g, &y, &wflip, &mut dx));
            (tf, tb) = (tf + f.median, tb + bw.median);
            (format!("{:.1} | {}", gf / f.median, ms(f)), format!("{:.1} | {}", gf / bw.median, ms(bw)))
        } else {
            ("- | -".to_string(), "- | -".to_string())
        };
        println!("| {} | {}x{}x{}->{} | {f} | {bw} | {} | {} |", spec.conv, spec.c_in, h, w, spec.c_out, ms(wf), ms(wb));
    }
    let (f, bw) = if im2col {
        (format!("{:.1} | {:.0}", flops / tf, tf * 1e3), format!("{:.1} | {:.0}", flops / tb, tb * 1e3))
    } else {
        ("- | -".to_string(), "- | -".to_string())
    };
    println!("| conv1_1..conv5_1 | {flops:.1} GFLOP | {f} | {bw} | {:.0} | {:.0} |", twf * 1e3, twb * 1e3);
}

/// `median [min, max]` in ms.
fn ms(s: Stats) -> String {
    format!("{:.1} [{:.1}, {:.1}]", s.median * 1e3, s.min * 1e3, s.max * 1e3)
}

/// The default objective's taps at a square size: name, channels, side,
/// style tap, content tap.
fn taps(size: usize) -> [(&'static str, usize, usize, bool, bool); 6] {
    [
        ("relu1_1", 64, size, true, false),
        ("relu2_1", 128, size / 2, true, false),
        ("relu3_1", 256, size / 4, true, false),
        ("relu4_1", 512, size / 8, true, false),
        ("relu4_2", 512, size / 8, false, true),
        ("relu5_1", 512, size / 16, true, false),
    ]
}

/// GFLOP of one style tap's GEMMs: the Gram's N(N+1)/2 dot products of M,
/// and the gradient (G - A) F, 2 N^2 M.
fn style_gflop(n: usize, m: usize) -> f64 {
    ((n * (n + 1)) as f64 * m as f64 + 2.0 * (n * n * m) as f64) / 1e9
}

/// The losses at the paper's taps (Gram, style loss and gradient, content
/// loss at relu4_2), alone: what an evaluation spends outside the convolutions
/// at the taps. Features are ReLU-like (half zeros).
fn losses(size: usize, threads: usize, runs: usize) {
    use neural_style::loss::{gram, tap_in_place, StyleTerm};
    println!("\n## Losses at the taps, {size}x{size}, {threads} thread(s): ms, median [min, max] of {runs}");
    println!("| tap | features | Gram ms | Gram GFLOP/s | tap (Gram + loss + gradient) ms | GFLOP/s |");
    println!("|---|---|---|---|---|---|");
    let (mut tg, mut tt) = (0.0, 0.0);
    for (i, &(name, n, side, style, content)) in taps(size).iter().enumerate() {
        let m = side * side;
        let f: Vec<f32> = randn(300 + i as u64, n * m).into_iter().map(|v| v.max(0.0)).collect();
        let target = gram(&f, n, m);
        let p = randn(400 + i as u64, n * m);
        let g = time(runs, || {
            std::hint::black_box(gram(&f, n, m));
        });
        let buf = std::cell::RefCell::new(f.clone());
        let styles = [StyleTerm { gram: &target, weight: 0.2, guide: None }];
        // The features restored before each run, untimed: the engine's taps
        // work in place on the forward pass's features, with no copy.
        let t = time_after(
            runs,
            || buf.borrow_mut().copy_from_slice(&f),
            || {
                let mut buf = buf.borrow_mut();
                std::hint::black_box(tap_in_place(
                    &mut buf,
                    n,
                    m,
                    content.then_some((&p[..], 1e-3)),
                    if style { &styles[..] } else { &[] },
                ));
            },
        );
        let gf = (n * (n + 1)) as f64 * m as f64 / 1e9;
        let tf = if style { style_gflop(n, m) } else { 0.0 };
        if style {
            tg += g.median;
        }
        tt += t.median;
        println!(
            "| {name} | {n}x{side}x{side} | {:.1} [{:.1}, {:.1}] | {:.0} | {:.1} [{:.1}, {:.1}] | {:.0} |",
            g.median * 1e3,
            g.min * 1e3,
            g.max * 1e3,
            gf / g.median,
            t.median * 1e3,
            t.min * 1e3,
            t.max * 1e3,
            tf / t.median
        );
    }
    println!("| all | | {:.1} | | {:.1} | |", tg * 1e3, tt * 1e3);
}

/// `--precision` (f32 unless given): how the whole-evaluation parts multiply.
static PRECISION: std::sync::OnceLock<Precision> = std::sync::OnceLock::new();

fn objective(size: usize) -> (Objective, Array3<f32>) {
    let mut net = weights::shipped().to_network(Pooling::Avg, false).unwrap();
    net.set_precision(*PRECISION.get_or_init(Precision::default)).unwrap();
    let net = Arc::new(net.truncated(*paper_style_taps().iter().max().unwrap()));
    let img = |seed| {
        let mut r = Rng::new(seed);
        net.convention.preprocess(Array3::from_shape_simple_fn((3, size, size), || r.uniform()).view())
    };
    let (c, s, x) = (img(1), img(2), img(3));
    let ct = content_targets(&net, c.view(), &paper_content_taps()).unwrap();
    let st = style_targets(&net, &[s.view()], &[1.0], &paper_style_taps(), &[0.2; 5]).unwrap();
    (Objective::new(net, ct, st, LossWeights { content: 1e-3, style: 1.0, tv: 0.0 }), x)
}

/// Multiply-adds (x2) the convolutions of one evaluation really do: Winograd's
/// 36 per tile per channel pair (edge tiles included), im2col's direct count,
/// forward and input gradient.
fn conv_flops_done(net: &neural_style::Vgg19, size: usize, deepest: usize) -> f64 {
    let (mut h, mut w) = (size, size);
    let mut total = 0.0;
    for l in &net.layers()[..=deepest] {
        if l.spec.pool_before {
            (h, w) = (h / 2, w / 2);
        }
        total += match l.kernels {
            neural_style::vgg::Kernels::Winograd(_) => 2.0 * 2.0 * 36.0 * (h.div_ceil(4) * w.div_ceil(4) * l.c_in * l.c_out) as f64,
            neural_style::vgg::Kernels::Im2col { .. } => 2.0 * l.geom(h, w).flops(),
        };
    }
    total
}

fn evaluation(size: usize, threads: usize, runs: usize, peak: f64) -> String {
    let (obj, x) = objective(size);
    let deepest = *obj.taps().iter().max().unwrap();
    let direct = 2.0 * obj.net.flops(size, size, deepest) / 1e9;
    let done = conv_flops_done(&obj.net, size, deepest.index()) / 1e9;
    let t = time(runs, || {
        std::hint::black_box(obj.evaluate(x.view()));
    });
    let share = 100.0 * done / t.median / (peak * threads as f64);
    let style: f64 = taps(size).iter().filter(|t| t.3).map(|&(_, n, side, _, _)| style_gflop(n, side * side)).sum();
    let roof = 100.0 * (done + style) / t.median / (peak * threads as f64);
    format!(
        "| {size}x{size} | {threads} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} | {share:.0}% | {roof:.0}% |",
        t.median,
        t.min,
        t.max,
        direct / t.median,
        done / t.median
    )
}

/// One core's f32 FMA peak in GFLOP/s, measured: 12 independent chains of
/// fused multiply-adds on the widest vectors this CPU has.
fn core_peak() -> (f64, &'static str) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        #[target_feature(enable = "avx512f")]
        fn avx512(iters: usize) -> f32 {
            let mut acc = [_mm512_set1_ps(0.0); 12];
            let (a, b) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
            for _ in 0..iters {
                for v in acc.iter_mut() {
                    *v = _mm512_fmadd_ps(*v, a, b);
                }
            }
            acc.iter().map(|&v| _mm512_reduce_add_ps(v)).sum()
        }
        #[target_feature(enable = "avx2,fma")]
        fn avx2(iters: usize) -> f32 {
            let mut acc = [_mm256_set1_ps(0.0); 12];
            let (a, b) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
            for _ in 0..iters {
                for v in acc.iter_mut() {
                    *v = _mm256_fmadd_ps(*v, a, b);
                }
            }
            let mut out = [0.0f32; 8];
            // SAFETY: `out` holds 8 floats.
            acc.iter()
                .map(|&v| unsafe {
                    _mm256_storeu_ps(out.as_mut_ptr(), v);
                    out.iter().sum::<f32>()
                })
                .sum()
        }
        let iters = 50_000_000;
        let run = |lanes: f64, f: &dyn Fn() -> f32| {
            let t = time(3, || {
                std::hint::black_box(f());
            });
            2.0 * lanes * 12.0 * iters as f64 / t.min / 1e9
        };
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the feature was detected.
            return (run(16.0, &|| unsafe { avx512(iters) }), "AVX-512");
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the features were detected.
            return (run(8.0, &|| unsafe { avx2(iters) }), "AVX2+FMA");
        }
    }
    (f64::NAN, "unknown")
}

/// Resident and peak memory of this process (Linux /proc), in MB.
fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    format!("RSS {:.0} MB, peak {:.0} MB", field("VmRSS:"), field("VmHWM:"))
}

/// Where the memory of an evaluation goes: RSS after each step.
fn memory(size: usize) {
    println!("\n## Memory at {size}x{size} ({} thread(s))", rayon::current_num_threads());
    println!("start: {}", rss());
    let (obj, x) = objective(size);
    let weights: usize = obj.net.layers().iter().map(|l| l.bytes()).sum();
    println!("network and targets: {} (packed weights {:.0} MB)", rss(), weights as f64 / 1e6);
    for i in 1..=3 {
        std::hint::black_box(obj.evaluate(x.view()));
        println!(
            "after evaluation {i}: {} (workspace {:.0} MB, at most {:.0} MB in use at once)",
            rss(),
            obj.workspace_bytes() as f64 / 1e6,
            4.0 * obj.workspace_peak_live() as f64 / 1e6
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let mut parts: Vec<&str> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    let mut threads = vec![1, 2];
    let mut runs = 5;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--threads" => {
                threads = args[i + 1].split(',').map(|t| t.parse().unwrap()).collect();
                i += 1;
            }
            "--runs" => {
                runs = args[i + 1].parse().unwrap();
                i += 1;
            }
            "--precision" => {
                PRECISION.set(args[i + 1].parse().unwrap()).unwrap();
                i += 1;
            }
            p @ ("layers" | "winograd" | "eval" | "memory" | "losses") => parts.push(p),
            n => {
                if let Ok(s) = n.parse::<usize>() {
                    sizes.push(s);
                }
            }
        }
        i += 1;
    }
    if parts.is_empty() {
        parts = vec!["layers", "eval"];
    }
    if sizes.is_empty() {
        sizes = vec![256, 512];
    }
    let pool = |t: usize| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
    for (part, im2col) in [("layers", true), ("winograd", false)] {
        if parts.contains(&part) {
            for &s in &sizes {
                for &t in &threads {
                    pool(t).install(|| layers(s, t, runs, im2col));
                }
            }
        }
    }
    if parts.contains(&"losses") {
        for &s in &sizes {
            for &t in &threads {
                pool(t).install(|| losses(s, t, runs));
            }
        }
    }
    if parts.contains(&"memory") {
        for &s in &sizes {
            for &t in &threads {
                pool(t).install(|| memory(s));
            }
        }
    }
    if parts.contains(&"eval") {
        let (peak, isa) = core_peak();
        println!("\n## One evaluation (forward + input gradient + losses), shipped VGG19 to relu5_1, {runs} runs");
        println!(
            "One core's measured f32 FMA peak: {peak:.0} GFLOP/s ({isa}); kernels: {}; precision {}.",
            neural_style::ops::simd::Isa::detect().name(),
            PRECISION.get_or_init(Precision::default).name()
        );
        println!("GFLOP/s of the direct convolutions' count, and of the convolution multiplies actually done (Winograd), the latter as a share of the cores' peak; then the Winograd roof's share: those multiplies and the style taps' GEMMs (Gram, (G - A) F) over the time and the peak.");
        println!(
            "| size | threads | median s | min s | max s | direct GFLOP/s | done GFLOP/s | share of peak | share of the Winograd roof |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for &s in &sizes {
            for &t in &threads {
                println!("{}", pool(t).install(|| evaluation(s, t, runs, peak)));
            }
        }
    }
}
