//! Benchmark (not a test) for issue 26's bf16 stretch, before any of it is in
//! the engine: one core's peak of `vdpbf16ps` (AVX512_BF16), and a bf16 GEMM
//! micro-kernel shaped like the engine's f32 one (8 rows x 48 columns, 24
//! accumulators) against the engine's `gemm_rows` on the Winograd multiplies'
//! shapes. The bf16 result is first checked against the same product of the
//! rounded operands in f64.
//!
//!     cargo bench --bench bf16                # 1 thread, 7 runs
//!     cargo bench --bench bf16 -- --runs 15
//!
//! Layouts (what an engine path would have to produce): `A (rows, k)` as pairs
//! along k, one 32-bit word per pair, low half the even element; `B (k, ncols)`
//! as rows of pairs, `B[2q + t, j]` at `q * 2 ncols + 2 j + t`, so one vector
//! holds 16 columns of two consecutive k.

use neural_style::ops::simd::{gemm_rows, Isa, Strided};
use neural_style::rng::Rng;
use std::time::Instant;

/// f32 to bf16, rounding to nearest even (no NaN among the inputs here).
fn bf16(x: f32) -> u16 {
    let b = x.to_bits();
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

fn f32_of(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

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

    /// `C (8 R-blocks of rows, 48 NV-columns) = A B` for `A` and `B` in the
    /// layouts of the file's header: per pair of k, three vector loads of `B`,
    /// eight 32-bit broadcasts of `A` and 24 `vdpbf16ps`.
    ///
    /// # Safety
    /// AVX-512F and AVX512_BF16 must be available; `a` readable at `r * lda + q`
    /// for r < 8, q < kpairs; `b` at `q * ldb + 2 j + t` for j < 48, t < 2;
    /// `c` writable at `r * ldc + j`.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub unsafe fn panel(kpairs: usize, a: *const u32, lda: usize, b: *const u16, ldb: usize, c: *mut f32, ldc: usize) {
        let mut acc = [[_mm512_setzero_ps(); 3]; 8];
        for q in 0..kpairs {
            let bp = b.add(q * ldb);
            let bv: [__m512bh; 3] = std::array::from_fn(|j| std::mem::transmute(_mm512_loadu_si512(bp.add(32 * j) as *const _)));
            for (r, acc) in acc.iter_mut().enumerate() {
                let av: __m512bh = std::mem::transmute(_mm512_set1_epi32(*a.add(r * lda + q) as i32));
                for j in 0..3 {
                    acc[j] = _mm512_dpbf16_ps(acc[j], av, bv[j]);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            for (j, &v) in acc.iter().enumerate() {
                _mm512_storeu_ps(c.add(r * ldc + 16 * j), v);
            }
        }
    }

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
    if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bf16") {
        return run(runs);
    }
    let _ = runs;
    println!("This CPU has no AVX512_BF16: nothing to measure.");
}

#[cfg(target_arch = "x86_64")]
fn run(runs: usize) {
    let iters = 40_000_000;
    // SAFETY (both kernels below): main checked AVX-512F and AVX512_BF16.
    let (fast, _) = time(3, || {
        std::hint::black_box(unsafe { kernel::peak_chains(iters) });
    });
    println!("One core's vdpbf16ps peak: {:.0} GFLOP/s (16 chains, fastest of 3).", 2.0 * 32.0 * 16.0 * iters as f64 / fast / 1e9);
    println!("\n## M = U V per Winograd plane, 1 thread: the engine's f32 gemm_rows against a bf16 8x48 kernel ({runs} runs; GFLOP/s of the fastest and the median)");
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
        let a16: Vec<u32> = (0..rows * kp).map(|i| bf16(a[2 * i]) as u32 | (bf16(a[2 * i + 1]) as u32) << 16).collect();
        let mut b16 = vec![0u16; k * cols];
        for q in 0..kp {
            for j in 0..cols {
                for t in 0..2 {
                    b16[q * 2 * cols + 2 * j + t] = bf16(b[(2 * q + t) * cols + j]);
                }
            }
        }
        let mut c16 = vec![0.0f32; rows * cols];
        let bf16_gemm = |c: &mut [f32]| {
            for r0 in (0..rows).step_by(8) {
                for j0 in (0..cols).step_by(48) {
                    // SAFETY: rows and cols are multiples of 8 and 48, k is even,
                    // so every read and write is inside the three buffers.
                    unsafe {
                        kernel::panel(
                            kp,
                            a16[r0 * kp..].as_ptr(),
                            kp,
                            b16[2 * j0..].as_ptr(),
                            2 * cols,
                            c[r0 * cols + j0..].as_mut_ptr(),
                            cols,
                        )
                    };
                }
            }
        };
        bf16_gemm(&mut c16);
        // The operands as the kernel sees them, rounded once.
        let (ar, br): (Vec<f64>, Vec<f64>) =
            (a.iter().map(|&v| f32_of(bf16(v)) as f64).collect(), b.iter().map(|&v| f32_of(bf16(v)) as f64).collect());
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
