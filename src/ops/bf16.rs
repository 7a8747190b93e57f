//! bf16 multiplies for the Winograd input gradient's products, opt in
//! (`--precision bf16`): `U'` and `V` rounded to bf16 (8 bits of mantissa)
//! as they are packed, the products and sums in f32 by AVX512_BF16's
//! `vdpbf16ps`, which does twice the multiplies of an f32 FMA per
//! instruction. The forward (so the loss) and the transforms stay f32; f32
//! stays the default and the reference ([`super::winograd`] says why the
//! forward is not rounded).
//!
//! Layouts: a matrix `A (rows, k)` is held as pairs along k, one 32-bit word
//! per pair, the even element in the low half (so a row of pairs is the row's
//! bf16 values in order); `B (k, ncols)` as rows of pairs, word `(q, j)`
//! holding `B[2q, j]` low and `B[2q + 1, j]` high, so that one vector holds
//! 16 columns of two consecutive k. An odd k is padded with a zero.

use crate::error::Error;
use crate::ops::simd::Isa;

/// How the Winograd input gradient's products multiply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Precision {
    /// f32 throughout: the default and the reference.
    #[default]
    F32,
    /// bf16 operands, f32 sums (AVX-512 with AVX512_BF16 only).
    Bf16,
}

impl std::str::FromStr for Precision {
    type Err = Error;

    /// `f32` or `bf16`.
    fn from_str(v: &str) -> Result<Self, Error> {
        crate::error::one_of("precision", &[("f32", Precision::F32), ("bf16", Precision::Bf16)], v)
    }
}

impl Precision {
    /// `"f32"` or `"bf16"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Bf16 => "bf16",
        }
    }

    /// Whether this CPU, at the kernels' level ([`Isa::detect`]), can run it;
    /// why not otherwise.
    pub fn check(self) -> Result<(), Error> {
        let refuse = |reason: String| Err(Error::Invalid { field: "precision", reason });
        match self {
            Precision::F32 => Ok(()),
            Precision::Bf16 if kernel_available() => Ok(()),
            Precision::Bf16 if cpu_has_bf16() => refuse(format!(
                "bf16 needs the avx512 kernels, and {} pins them to {} (f32 runs everywhere)",
                crate::ops::simd::ISA_VARIABLE,
                Isa::detect().name()
            )),
            Precision::Bf16 => refuse("bf16 needs AVX-512 with AVX512_BF16, which this CPU lacks (f32 runs everywhere)".into()),
        }
    }
}

/// Whether the CPU has AVX-512F and AVX512_BF16.
fn cpu_has_bf16() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bf16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether the bf16 kernel runs here: AVX512_BF16 on the CPU and the kernels
/// at the AVX-512 level (not pinned lower).
pub fn kernel_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        cpu_has_bf16() && Isa::detect().level() == crate::ops::simd::Level::Avx512
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `x` rounded to the nearest bf16, ties to even; a NaN stays a NaN.
#[inline(always)]
pub fn to_bf16(x: f32) -> u16 {
    let b = x.to_bits();
    let rounded = b.wrapping_add(0x7fff + ((b >> 16) & 1)) >> 16;
    // Branch-free (a select), so loops of it vectorise.
    let nan = (b & 0x7fff_ffff) > 0x7f80_0000;
    (if nan { (b >> 16) | 0x40 } else { rounded }) as u16
}

/// The f32 a bf16 stands for (exact).
#[inline(always)]
pub fn from_bf16(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

/// One word of pairs: `lo` in the low half.
#[inline(always)]
pub fn pair(lo: f32, hi: f32) -> u32 {
    to_bf16(lo) as u32 | (to_bf16(hi) as u32) << 16
}

crate::ops::simd::multiversion! {
    /// `out[j] = pair(s lo[j], s hi[j])` (`hi` zero where absent): two rows
    /// of a `B (k, ncols)` made one row of pairs, scaled by `s` (a power of
    /// two here, so exactly).
    pub fn pack_pair_rows(s: f32, lo: &[f32], hi: Option<&[f32]>, out: &mut [u32]) {
        let n = out.len();
        let lo = &lo[..n];
        match hi {
            Some(hi) => {
                let hi = &hi[..n];
                for j in 0..n {
                    out[j] = pair(s * lo[j], s * hi[j]);
                }
            }
            None => {
                for j in 0..n {
                    out[j] = to_bf16(s * lo[j]) as u32;
                }
            }
        }
    }
}

/// `C (rows, ncols) = A B` with `A (rows, 2 kpairs)` as pairs (word
/// `(r, q)` at `a[r * rsa + q * csa]`), `B (2 kpairs, ncols)` as rows of
/// pairs (row stride `ldb` words) and `C` f32 (row stride `ldc`): products
/// of the bf16 values, summed in f32 one pair at a time in increasing order,
/// the same for any blocking.
#[allow(clippy::too_many_arguments)]
pub fn gemm_bf16(
    rows: usize,
    kpairs: usize,
    ncols: usize,
    a: &[u32],
    rsa: usize,
    csa: usize,
    b: &[u32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
) {
    if rows == 0 || ncols == 0 {
        return;
    }
    if kpairs == 0 {
        (0..rows).for_each(|r| c[r * ldc..r * ldc + ncols].fill(0.0));
        return;
    }
    assert!((rows - 1) * rsa + (kpairs - 1) * csa < a.len(), "gemm_bf16: A exceeds its slice");
    assert!((kpairs - 1) * ldb + ncols <= b.len() && ncols <= ldb, "gemm_bf16: B exceeds its slice");
    assert!((rows - 1) * ldc + ncols <= c.len() && ncols <= ldc, "gemm_bf16: C exceeds its slice");
    #[cfg(target_arch = "x86_64")]
    if kernel_available() {
        let mut r0 = 0;
        while r0 < rows {
            let n = (rows - r0).min(avx512::MR);
            // SAFETY: AVX-512F and AVX512_BF16 were detected; the asserts above
            // bound every word and float the kernel touches (rows r0..r0+n,
            // pairs < kpairs, columns < ncols).
            unsafe {
                let (ap, cp) = (a.as_ptr().add(r0 * rsa), c.as_mut_ptr().add(r0 * ldc));
                match n {
                    8 => avx512::rows::<8>(kpairs, ncols, ap, rsa, csa, b.as_ptr(), ldb, cp, ldc),
                    7 => avx512::rows::<7>(kpairs, ncols, ap, rsa, csa, b.as_ptr(), ldb, cp, ldc),
                    6 => avx512::rows::<6>(kpairs, ncols, ap, rsa, csa, b.as_ptr(), ldb, cp, ldc),
                    5 => avx512::rows::<5>(kpairs, ncols, ap, rsa, csa, b.as_ptr(), ldb, cp, ldc),
                    4 => avx512::rows::<4>(kpairs, ncols, ap, rsa, csa, b.as_ptr(), ldb, cp, ldc),
                    3 => avx512::rows::<3>(kpairs, ncols, ap, rsa, csa, b.as_ptr(), ldb, cp, ldc),
                    2 => avx512::rows::<2>(kpairs, ncols, ap, rsa, csa, b.as_ptr(), ldb, cp, ldc),
                    _ => avx512::rows::<1>(kpairs, ncols, ap, rsa, csa, b.as_ptr(), ldb, cp, ldc),
                }
            }
            r0 += n;
        }
        return;
    }
    gemm_bf16_reference(rows, kpairs, ncols, a, rsa, csa, b, ldb, c, ldc)
}

/// [`gemm_bf16`] in plain Rust: each product of two bf16 values is exact in
/// f32; a pair's two products are added to the sum one after the other. The
/// kernel may round a pair's sum once (hardware), so the two agree to f32
/// rounding, not bit for bit.
#[allow(clippy::too_many_arguments)]
pub fn gemm_bf16_reference(
    rows: usize,
    kpairs: usize,
    ncols: usize,
    a: &[u32],
    rsa: usize,
    csa: usize,
    b: &[u32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
) {
    let half = |w: u32, t: usize| from_bf16((w >> (16 * t)) as u16);
    for r in 0..rows {
        for j in 0..ncols {
            let mut s = 0.0f32;
            for q in 0..kpairs {
                let (aw, bw) = (a[r * rsa + q * csa], b[q * ldb + j]);
                s += half(aw, 0) * half(bw, 0);
                s += half(aw, 1) * half(bw, 1);
            }
            c[r * ldc + j] = s;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// Rows per call, at most: 8 x 3 vectors, 24 accumulators of 32 registers.
    pub const MR: usize = 8;

    /// `R` rows of C, all `ncols` columns, in panels of 48, 32 or 16 columns
    /// and a masked last panel.
    ///
    /// # Safety
    /// AVX-512F and AVX512_BF16 must be available; `a` readable at `r * rsa +
    /// q * csa` for r < R, q < kpairs; `b` at `q * ldb + j` and `c` writable at
    /// `r * ldc + j` for j < ncols.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn rows<const R: usize>(
        kpairs: usize,
        ncols: usize,
        a: *const u32,
        rsa: usize,
        csa: usize,
        b: *const u32,
        ldb: usize,
        c: *mut f32,
        ldc: usize,
    ) {
        let mut j = 0;
        while j + 48 <= ncols {
            panel::<R, 3>(kpairs, a, rsa, csa, b.add(j), ldb, c.add(j), ldc, u16::MAX);
            j += 48;
        }
        if j + 32 <= ncols {
            panel::<R, 2>(kpairs, a, rsa, csa, b.add(j), ldb, c.add(j), ldc, u16::MAX);
            j += 32;
        }
        if j + 16 <= ncols {
            panel::<R, 1>(kpairs, a, rsa, csa, b.add(j), ldb, c.add(j), ldc, u16::MAX);
            j += 16;
        }
        if j < ncols {
            panel::<R, 1>(kpairs, a, rsa, csa, b.add(j), ldb, c.add(j), ldc, (1u16 << (ncols - j)) - 1);
        }
    }

    /// One R x 16NV block: per pair of k, NV vector loads of B (the last
    /// under `last`), R 32-bit broadcasts of A and R NV `vdpbf16ps`.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn panel<const R: usize, const NV: usize>(
        kpairs: usize,
        a: *const u32,
        rsa: usize,
        csa: usize,
        b: *const u32,
        ldb: usize,
        c: *mut f32,
        ldc: usize,
        last: u16,
    ) {
        let mut acc = [[_mm512_setzero_ps(); NV]; R];
        let mask = |j: usize| if j + 1 == NV { last } else { u16::MAX };
        for q in 0..kpairs {
            let bp = b.add(q * ldb);
            let bv: [__m512bh; NV] =
                std::array::from_fn(|j| std::mem::transmute(_mm512_maskz_loadu_epi32(mask(j), bp.add(16 * j) as *const i32)));
            for (r, acc) in acc.iter_mut().enumerate() {
                let av: __m512bh = std::mem::transmute(_mm512_set1_epi32(*a.add(r * rsa + q * csa) as i32));
                for j in 0..NV {
                    acc[j] = _mm512_dpbf16_ps(acc[j], av, bv[j]);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            for (j, &v) in acc.iter().enumerate() {
                _mm512_mask_storeu_ps(c.add(r * ldc + 16 * j), mask(j), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_precision_is_read_by_its_name_and_bf16_runs_where_the_kernel_does() {
        for p in [Precision::F32, Precision::Bf16] {
            assert_eq!(p.name().parse::<Precision>().ok(), Some(p));
        }
        assert_eq!(Precision::default(), Precision::F32);
        let err = "fp16".parse::<Precision>().unwrap_err().to_string();
        assert!(err.contains("expected f32 or bf16, got 'fp16'"), "{err}");
        assert!(Precision::F32.check().is_ok());
        assert_eq!(Precision::Bf16.check().is_ok(), kernel_available());
        assert!(!kernel_available() || cpu_has_bf16());
    }
}
