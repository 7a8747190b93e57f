//! Benchmark (not a test) of the bf16 multiplies (`--precision bf16`): one
//! core's peak of `vdpbf16ps` (AVX512_BF16), and the engine's bf16 GEMM
//! ([`neural_style::ops::bf16::gemm_bf16`], 8 rows x 48 columns, 24
//! accumulators, like the f32 one) against its f32 `gemm_rows` on the
//! Winograd multiplies' shapes. The bf16 result is first checked against the
//! same product of the rounded operands in f64.
//!
//!     cargo bench --bench bf16                # 1 thread, 7 runs
//!     cargo bench --bench bf16 -- --runs 15
//!
//! Layouts: those of [`neural_style::ops::bf16`].

use neural_style::ops::bf16::{from_bf16, gemm_bf16, kernel_available, pair, to_bf16};
use neural_style::ops::simd::{gemm_rows, Isa, Strided};
use neural_style::rng::Rng;
use std::time::Instant;

/// Fastest and median of `runs` timings of `f`, after one warm-up.
fn time(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (t[0], t[runs / 2])
}

#[cfg(target_arch = "x86_64")]
mod kernel {
    use std::arch::x86_64::*;

    /// One core's peak of `vdpbf16ps`, GFLOP/s (a product and its addition
    /// count 2): 16 independent chains.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub fn peak_chains(iters: usize) -> f32 {
        let mut acc = [_mm512_set1_ps(0.0); 16];
        let (a, b) = (
            _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5), _mm512_set1_ps(0.25)),
            _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-7), _mm512_set1_ps(1e-7)),
        );
        for _ in 0..iters {
            for v in acc.iter_mut() {
                *v = _mm512_dpbf16_ps(*v, a, b);
            }
            // Keeps each chain in its register: without it LLVM (1.95)
            // rotated the accumulators through moves and the stack, about
            // 207 GFLOP/s on a Zen 5 that reaches 480 this way.
            // SAFETY: an empty instruction that touches no memory.
            unsafe { std::arch::asm!("", options(nomem, nostack, preserves_flags)) };
        }
        acc.iter().map(|&v| _mm512_reduce_add_ps(v)).sum()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let runs = args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).map_or(7, |v| v.parse().unwrap());
    #[cfg(target_arch = "x86_64")]
    if kernel_available() {
        return run(runs);
    }
    let _ = runs;
    println!("This CPU has no AVX512_BF16: nothing to measure.");
}

#[cfg(target_arch = "x86_64")]
fn run(runs: usize) {
    let iters = 40_000_000;
    // SAFETY: main checked AVX-512F and AVX512_BF16.
    let (fast, _) = time(3, || {
        std::hint::black_box(unsafe { kernel::peak_chains(iters) });
    });
    println!("One core's vdpbf16ps peak: {:.0} GFLOP/s (16 chains, fastest of 3).", 2.0 * 32.0 * 16.0 * iters as f64 / fast / 1e9);
    println!("\n## M = U V per Winograd plane, 1 thread: the engine's f32 gemm_rows against its bf16 gemm_bf16 ({runs} runs; GFLOP/s of the fastest and the median)");
    println!("| rows x k x columns | f32 gemm_rows | bf16 kernel | bf16 / f32 (fastest) | bf16's largest error against f64 on the rounded operands |");
    println!("|---|---|---|---|---|");
    // conv3_x-like (c_out 256 in two blocks of 128, c_in 256), conv4_x-like
    // (c_in 512) and conv1_2-like (64 x 64), each on a block of 240 tiles.
    for (rows, k, cols) in [(128, 256, 240), (128, 512, 240), (64, 64, 480)] {
        let mut rng = Rng::new(7);
        let a: Vec<f32> = (0..rows * k).map(|_| rng.normal()).collect();
        let b: Vec<f32> = (0..k * cols).map(|_| rng.normal().max(0.0)).collect();
        // The bf16 layouts.
        let kp = k / 2;
        let a16: Vec<u32> = (0..rows * kp).map(|i| pair(a[2 * i], a[2 * i + 1])).collect();
        let b16: Vec<u32> =
            (0..kp * cols).map(|i| pair(b[(2 * (i / cols)) * cols + i % cols], b[(2 * (i / cols) + 1) * cols + i % cols])).collect();
        let mut c16 = vec![0.0f32; rows * cols];
        let bf16_gemm = |c: &mut [f32]| gemm_bf16(rows, kp, cols, &a16, kp, 1, &b16, cols, c, cols);
        bf16_gemm(&mut c16);
        // The operands as the kernel sees them, rounded once.
        let (ar, br): (Vec<f64>, Vec<f64>) =
            (a.iter().map(|&v| from_bf16(to_bf16(v)) as f64).collect(), b.iter().map(|&v| from_bf16(to_bf16(v)) as f64).collect());
        let mut worst = 0.0f64;
        for r in 0..rows {
            for j in 0..cols {
                let (exact, scale) = (0..k).fold((0.0, 0.0), |(s, m), p| {
                    let x = ar[r * k + p] * br[p * cols + j];
                    (s + x, m + x.abs())
                });
                worst = worst.max((c16[r * cols + j] as f64 - exact).abs() / f64::max(scale, 1e-30));
            }
        }
        assert!(worst < 1e-5, "the bf16 kernel is wrong: {worst:e}");
        let isa = Isa::detect();
        let mut c32 = vec![0.0f32; rows * cols];
        let reps = 200;
        let (f32_fast, f32_med) = time(runs, || {
            for _ in 0..reps {
                gemm_rows(isa, rows, k, cols, 1.0, Strided { data: &a, offset: 0, rs: k, cs: 1 }, &b, cols, false, &mut c32, cols);
            }
            std::hint::black_box(&c32);
        });
        let (b_fast, b_med) = time(runs, || {
            for _ in 0..reps {
                bf16_gemm(&mut c16);
            }
            std::hint::black_box(&c16);
        });
        let gf = 2.0 * (rows * k * cols * reps) as f64 / 1e9;
        println!(
            "| {rows} x {k} x {cols} | {:.0} ({:.0}) | {:.0} ({:.0}) | {:.2} | {worst:.1e} |",
            gf / f32_fast,
            gf / f32_med,
            gf / b_fast,
            gf / b_med,
            f32_fast / b_fast
        );
    }
}
