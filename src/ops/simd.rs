//! Which vector instructions the fast kernels use, chosen once at run time, and
//! the GEMM micro-kernel of the Winograd path.
//!
//! The element-wise transforms are written once as plain Rust (fixed-width
//! loops) and compiled three times by `multiversion!`: for AVX-512, for
//! AVX2+FMA and for the baseline target; the compiler vectorises each copy for
//! its instruction set. Only the GEMM micro-kernel (and the 16x16 transpose
//! that packs the Gram's operand, the masked copy) is written with intrinsics
//! (AVX-512), beside a portable kernel that computes the same sums.
//!
//! Results are deterministic for a given [`Isa`]: the transforms do the same
//! operations in the same order at every vector width (no fused multiply-add),
//! and each GEMM element is one dot product in a fixed order. Two ISAs may
//! differ in the last bits of the GEMM (FMA or not).
//!
//! The `unsafe` here is of two kinds, both fenced in this file: calling a
//! `#[target_feature]` function, allowed once [`Isa::detect`] has seen the
//! feature (an `Isa` cannot be made otherwise), and the raw pointers of the
//! AVX-512 micro-kernel, whose bounds [`gemm_rows`] checks before the call.

/// The instruction set a kernel runs with. Only [`Isa::detect`] and
/// [`Isa::available`] make one, so a value names features this CPU has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Isa(Level);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

/// The environment variable that pins the kernels' level (`avx512`, `avx2` or
/// `portable`), so a slower level can be measured on a faster CPU.
pub const ISA_VARIABLE: &str = "NEURAL_STYLE_ISA";

impl Isa {
    /// The level the kernels run with: [`ISA_VARIABLE`]'s if it is set and
    /// this CPU has it ([`Isa::pinned`] says why not otherwise, and then this
    /// is the best level), else the best this CPU has (AVX-512F, else AVX2
    /// with FMA, else the baseline). Read once.
    pub fn detect() -> Isa {
        static CHOSEN: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| Isa::pinned().ok().flatten().unwrap_or_else(Isa::best))
    }

    /// The best level this CPU has.
    pub fn best() -> Isa {
        *Isa::available().last().expect("the portable level is always available")
    }

    /// The level [`ISA_VARIABLE`] pins, `None` if it is unset, or why it
    /// cannot be used (an unknown word, a level this CPU lacks).
    pub fn pinned() -> Result<Option<Isa>, crate::Error> {
        match std::env::var(ISA_VARIABLE) {
            Err(_) => Ok(None),
            Ok(word) => Isa::named(word.trim()).map(Some),
        }
    }

    /// The level called `word` (`avx512`, `avx2`, `portable`), if this CPU has it.
    pub fn named(word: &str) -> Result<Isa, crate::Error> {
        let have = Isa::available();
        let names: Vec<&str> = have.iter().map(|i| i.name()).collect();
        let invalid = |reason: String| crate::Error::Invalid { field: ISA_VARIABLE, reason };
        match have.into_iter().find(|i| i.name() == word) {
            Some(isa) => Ok(isa),
            None if ["avx512", "avx2", "portable"].contains(&word) => {
                Err(invalid(format!("this CPU cannot run {word} (it can run {})", names.join(", "))))
            }
            None => Err(invalid(format!("expected avx512, avx2 or portable, got '{word}'"))),
        }
    }

    /// Every level this CPU can run, from the baseline up: tests compare them.
    pub fn available() -> Vec<Isa> {
        #[allow(unused_mut)]
        let mut v = vec![Isa(Level::Portable)];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                v.push(Isa(Level::Avx2));
                if is_x86_feature_detected!("avx512f") {
                    v.push(Isa(Level::Avx512));
                }
            }
        }
        v
    }

    /// `"avx512"`, `"avx2"` or `"portable"`.
    pub fn name(self) -> &'static str {
        match self.0 {
            Level::Portable => "portable",
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => "avx2",
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => "avx512",
        }
    }
}

/// Defines `pub fn name(isa: Isa, args...)` that runs `body` compiled for the
/// given instruction set: the body is written once, `#[inline(always)]` into a
/// `#[target_feature]` copy per level.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name(isa: $crate::ops::simd::Isa, $($arg: $ty),*) {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn avx512($($arg: $ty),*) { body($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn avx2($($arg: $ty),*) { body($($arg),*) }
            match isa.level() {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: an `Isa` at this level exists only if the CPU has the features.
                $crate::ops::simd::Level::Avx512 => unsafe { avx512($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                $crate::ops::simd::Level::Avx2 => unsafe { avx2($($arg),*) },
                _ => body($($arg),*),
            }
        }
    };
}
pub(crate) use multiversion;

impl Isa {
    pub(crate) fn level(self) -> Level {
        self.0
    }
}

/// Floats in one AVX-512 vector: the micro-kernel's column unit.
pub const LANES: usize = 16;

/// A window of `n` elements of `v` that starts on a 64-byte boundary, `v`
/// grown as needed (its old contents are not kept in place). Large
/// allocations start 16 bytes past a page here (glibc), so without this
/// every other vector load of a row would straddle two cache lines.
pub fn aligned_window<T: Copy + Default>(v: &mut Vec<T>, n: usize) -> &mut [T] {
    let slack = 64 / std::mem::size_of::<T>().max(1) - 1;
    if v.len() < n + slack {
        v.resize(n + slack, T::default());
    }
    let skip = window_start(v);
    &mut v[skip..skip + n]
}

/// Asks the cache for the lines of `s` ahead of their use, to be written
/// (`write`: fetched for ownership) or read. A hint: no effect on any result,
/// and none off x86-64. For buffers written or read in many short runs at
/// once (the Winograd transforms' 36 rows), which the hardware's stream
/// prefetcher does not follow.
#[inline(always)]
pub fn prefetch(s: &[f32], write: bool) {
    #[cfg(target_arch = "x86_64")]
    for line in s.chunks(LANES) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_ET0, _MM_HINT_T1};
        let p = line.as_ptr() as *const i8;
        // SAFETY: a prefetch only hints; `p` points into `s` all the same.
        unsafe {
            if write {
                _mm_prefetch::<_MM_HINT_ET0>(p)
            } else {
                _mm_prefetch::<_MM_HINT_T1>(p)
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (s, write);
}

/// Where [`aligned_window`] starts in `v`: the floats before the first 64-byte boundary.
pub fn window_start<T>(v: &[T]) -> usize {
    v.as_ptr().align_offset(64).min(64 / std::mem::size_of::<T>().max(1) - 1)
}

/// A row stride for a buffer of `cols` floats per row: a whole number of
/// vectors, and not a multiple of 256 bytes, so rows read together do not all
/// fall into the same few L1 sets.
pub fn padded_stride(cols: usize) -> usize {
    let ld = cols.div_ceil(LANES) * LANES;
    if ld.is_multiple_of(64) {
        ld + LANES
    } else {
        ld
    }
}

/// A strided matrix operand: element `(r, p)` at `data[offset + r*rs + p*cs]`
/// (row-major, transposed or any other strides, read without packing).
#[derive(Clone, Copy, Debug)]
pub struct Strided<'a> {
    /// The elements.
    pub data: &'a [f32],
    /// Where element `(0, 0)` is.
    pub offset: usize,
    /// Distance between rows.
    pub rs: usize,
    /// Distance between columns.
    pub cs: usize,
}

/// `C (rows, ncols) = alpha * A B (+ C if accumulate)` for a strided `A (rows,
/// kdim)`, `B (kdim, ncols)` row-major with row stride `ldb` and `C` row-major
/// with row stride `ldc`. No packing: A is read by broadcasts from its rows,
/// B by vectors from its rows. Each element of C is one dot product over `p` in
/// increasing order, the same whatever `rows`, `ncols` or the blocking.
#[allow(clippy::too_many_arguments)]
pub fn gemm_rows(
    isa: Isa,
    rows: usize,
    kdim: usize,
    ncols: usize,
    alpha: f32,
    a: Strided,
    b: &[f32],
    ldb: usize,
    accumulate: bool,
    c: &mut [f32],
    ldc: usize,
) {
    if rows == 0 || ncols == 0 {
        return;
    }
    if kdim == 0 {
        // An empty sum: C = 0 (+ C).
        if !accumulate {
            (0..rows).for_each(|r| c[r * ldc..r * ldc + ncols].fill(0.0));
        }
        return;
    }
    assert!(a.offset + (rows - 1) * a.rs + (kdim - 1) * a.cs < a.data.len(), "gemm_rows: A exceeds its slice");
    assert!((kdim - 1) * ldb + ncols <= b.len() && ncols <= ldb, "gemm_rows: B exceeds its slice");
    assert!((rows - 1) * ldc + ncols <= c.len() && ncols <= ldc, "gemm_rows: C exceeds its slice");
    let mut r0 = 0;
    // Blocks of up to MR rows through a micro-kernel, one `rows::<R>` per block height.
    macro_rules! blocks {
        ($kernel:ident, $($r:literal)*) => {
            while r0 < rows {
                let n = (rows - r0).min($kernel::MR);
                // SAFETY: the level exists only when its features were
                // detected; the asserts above bound every element the kernel
                // touches (rows r0..r0+n <= rows, columns < ncols, steps < kdim).
                unsafe {
                    let ap = a.data.as_ptr().add(a.offset + r0 * a.rs);
                    let (bp, cp) = (b.as_ptr(), c.as_mut_ptr().add(r0 * ldc));
                    match n {
                        $($r => $kernel::rows::<$r>(kdim, ncols, alpha, ap, a.rs, a.cs, bp, ldb, accumulate, cp, ldc),)*
                        _ => $kernel::rows::<1>(kdim, ncols, alpha, ap, a.rs, a.cs, bp, ldb, accumulate, cp, ldc),
                    }
                };
                r0 += n;
            }
        };
    }
    #[cfg(target_arch = "x86_64")]
    match isa.0 {
        Level::Avx512 => blocks!(avx512, 8 7 6 5 4 3 2),
        Level::Avx2 => blocks!(avx2, 6 5 4 3 2),
        Level::Portable => {}
    }
    if r0 < rows {
        let a = Strided { offset: a.offset + r0 * a.rs, ..a };
        gemm_portable(isa, rows - r0, kdim, ncols, alpha, a, b, ldb, accumulate, &mut c[r0 * ldc..], ldc);
    }
}

multiversion! {
    /// The portable kernel: blocks of 4 rows by 16 columns in local arrays,
    /// which the compiler keeps in vector registers. Same sums as the AVX-512
    /// kernel, without fused multiply-adds.
    #[allow(clippy::too_many_arguments)]
    fn gemm_portable(rows: usize, kdim: usize, ncols: usize, alpha: f32, a: Strided, b: &[f32], ldb: usize, accumulate: bool, c: &mut [f32], ldc: usize) {
        const MR: usize = 4;
        let mut r0 = 0;
        while r0 < rows {
            let mr = MR.min(rows - r0);
            for j0 in (0..ncols).step_by(LANES) {
                let nc = LANES.min(ncols - j0);
                let mut acc = [[0.0f32; LANES]; MR];
                for p in 0..kdim {
                    let brow = &b[p * ldb + j0..p * ldb + j0 + nc];
                    for (r, acc) in acc.iter_mut().enumerate().take(mr) {
                        let av = a.data[a.offset + (r0 + r) * a.rs + p * a.cs];
                        for (s, &bv) in acc.iter_mut().zip(brow) {
                            *s += av * bv;
                        }
                    }
                }
                for (r, acc) in acc.iter().enumerate().take(mr) {
                    let dst = &mut c[(r0 + r) * ldc + j0..(r0 + r) * ldc + j0 + nc];
                    for (d, &s) in dst.iter_mut().zip(acc) {
                        *d = if accumulate { alpha * s + *d } else { alpha * s };
                    }
                }
            }
            r0 += mr;
        }
    }
}

/// `dst[x] = src[x]` where bit `x` of `bits` (64 to a word) is set, else 0:
/// a ReLU's mask applied. AVX-512 turns each 16 bits into a load mask.
pub fn masked_copy(isa: Isa, src: &[f32], bits: &[u64], dst: &mut [f32]) {
    let n = dst.len();
    assert!(src.len() >= n && bits.len() * 64 >= n, "masked_copy: short source or mask");
    #[cfg(target_arch = "x86_64")]
    if isa.0 == Level::Avx512 {
        // SAFETY: AVX-512 was detected; src holds n floats, dst n, bits n bits (checked).
        return unsafe { avx512::masked_copy(src.as_ptr(), bits.as_ptr(), dst.as_mut_ptr(), n) };
    }
    masked_copy_portable(isa, &src[..n], bits, dst)
}

multiversion! {
    fn masked_copy_portable(src: &[f32], bits: &[u64], dst: &mut [f32]) {
        for ((r, d), &word) in dst.chunks_mut(64).zip(src.chunks(64)).zip(bits) {
            for (j, (v, &g)) in r.iter_mut().zip(d).enumerate() {
                *v = if (word >> j) & 1 == 1 { g } else { 0.0 };
            }
        }
    }
}

/// `t[(p - p0) * ld + r] = f[r * m + p]` for rows `r < n` and positions
/// `p0..p1`: a slice of features `F (n, m)` transposed into `T (p1 - p0, n)`
/// with row stride `ld`. AVX-512 moves 16x16 blocks through registers, AVX2 8x8; the
/// rest goes one element at a time.
#[allow(clippy::too_many_arguments)]
pub fn transpose_slice(isa: Isa, f: &[f32], n: usize, m: usize, p0: usize, p1: usize, t: &mut [f32], ld: usize) {
    assert!(n * m <= f.len() && p0 <= p1 && p1 <= m, "transpose_slice: outside the features");
    assert!(n <= ld && (p1 - p0) * ld <= t.len(), "transpose_slice: short destination");
    let (mut rdone, mut pdone) = (0, p0);
    #[cfg(target_arch = "x86_64")]
    {
        // Square blocks of this side through registers.
        let side = match isa.0 {
            Level::Avx512 => Some(16),
            Level::Avx2 => Some(8),
            Level::Portable => None,
        };
        if let Some(side) = side {
            (rdone, pdone) = (n / side * side, p0 + (p1 - p0) / side * side);
            for r0 in (0..rdone).step_by(side) {
                for q0 in (p0..pdone).step_by(side) {
                    let (src, dst) = (f[r0 * m + q0..].as_ptr(), t[(q0 - p0) * ld + r0..].as_mut_ptr());
                    // SAFETY: the level was detected; rows r0..r0+side <= n of f
                    // hold positions q0..q0+side <= p1 <= m, and t holds rows
                    // q0-p0..q0-p0+side <= p1-p0 of ld >= n floats (checked above).
                    unsafe {
                        match isa.0 {
                            Level::Avx512 => avx512::transpose16(src, m, dst, ld),
                            _ => avx2::transpose8(src, m, dst, ld),
                        }
                    }
                }
            }
        }
    }
    let mut one = |r: usize, p: usize| t[(p - p0) * ld + r] = f[r * m + p];
    // What the blocks left: the last positions of every row, the last rows of the blocked positions.
    for r in 0..n {
        (pdone..p1).for_each(|p| one(r, p));
    }
    for r in rdone..n {
        (p0..pdone).for_each(|p| one(r, p));
    }
}

/// The AVX2 + FMA micro-kernel: the AVX-512 one's design on 16 registers of
/// 8 lanes, shaped as BLIS shapes its AVX2 kernel: 6 rows x 2 vectors (12
/// accumulators, 2 of B, 1 broadcast). 6x16 measured 24% faster than 4x24 at
/// 512 px (`docs/performance.md`).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Rows per micro-kernel call, at most.
    pub const MR: usize = 6;

    /// `R` rows of C, all `ncols` columns, in panels of 16 or 8 columns and a
    /// masked last panel.
    ///
    /// # Safety
    /// AVX2 and FMA must be available; `a` must be readable at `r*rsa + p*csa`
    /// for r < R, p < kdim; `b` at `p*ldb + j` and `c` writable at `r*ldc + j`
    /// for j < ncols.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn rows<const R: usize>(
        kdim: usize,
        ncols: usize,
        alpha: f32,
        a: *const f32,
        rsa: usize,
        csa: usize,
        b: *const f32,
        ldb: usize,
        acc: bool,
        c: *mut f32,
        ldc: usize,
    ) {
        let mut j = 0;
        while j + 16 <= ncols {
            panel::<R, 2, false>(kdim, alpha, a, rsa, csa, b.add(j), ldb, acc, c.add(j), ldc, 8);
            j += 16;
        }
        if j + 8 <= ncols {
            panel::<R, 1, false>(kdim, alpha, a, rsa, csa, b.add(j), ldb, acc, c.add(j), ldc, 8);
            j += 8;
        }
        if j < ncols {
            panel::<R, 1, true>(kdim, alpha, a, rsa, csa, b.add(j), ldb, acc, c.add(j), ldc, ncols - j);
        }
    }

    /// `dst (8, 8) = src (8, 8)^T` through registers (pairs, quads, then
    /// 128-bit halves), as [`super::avx512::transpose16`] does with 16.
    ///
    /// # Safety
    /// AVX2 must be available; `src` readable at `i * lds + j` and `dst`
    /// writable at `j * ldd + i` for i, j < 8.
    #[target_feature(enable = "avx2")]
    pub unsafe fn transpose8(src: *const f32, lds: usize, dst: *mut f32, ldd: usize) {
        let r: [__m256; 8] = std::array::from_fn(|i| _mm256_loadu_ps(src.add(i * lds)));
        let mut t = [_mm256_setzero_ps(); 8];
        for i in 0..4 {
            t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
        }
        // u[4q + k] holds column k + 4l of rows 4q..4q+4 in its 128-bit half l.
        let mut u = [_mm256_setzero_ps(); 8];
        for q in 0..2 {
            let (a, b, c, d) = (t[4 * q], t[4 * q + 1], t[4 * q + 2], t[4 * q + 3]);
            u[4 * q] = _mm256_shuffle_ps::<0x44>(a, c);
            u[4 * q + 1] = _mm256_shuffle_ps::<0xee>(a, c);
            u[4 * q + 2] = _mm256_shuffle_ps::<0x44>(b, d);
            u[4 * q + 3] = _mm256_shuffle_ps::<0xee>(b, d);
        }
        for k in 0..4 {
            _mm256_storeu_ps(dst.add(k * ldd), _mm256_permute2f128_ps::<0x20>(u[k], u[4 + k]));
            _mm256_storeu_ps(dst.add((k + 4) * ldd), _mm256_permute2f128_ps::<0x31>(u[k], u[4 + k]));
        }
    }

    /// `-1` in the first `n` of 8 lanes: the mask of a partial vector.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn lanes(n: usize) -> __m256i {
        const ONES: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
        _mm256_loadu_si256(ONES.as_ptr().add(8 - n) as *const __m256i)
    }

    /// One R x 8NV block: per step, NV vector loads of B, R broadcasts of A
    /// and R NV fused multiply-adds; with MASKED, the last vector holds `last`
    /// columns.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn panel<const R: usize, const NV: usize, const MASKED: bool>(
        kdim: usize,
        alpha: f32,
        a: *const f32,
        rsa: usize,
        csa: usize,
        b: *const f32,
        ldb: usize,
        accumulate: bool,
        c: *mut f32,
        ldc: usize,
        last: usize,
    ) {
        let mut acc = [[_mm256_setzero_ps(); NV]; R];
        let rows: [*const f32; R] = std::array::from_fn(|r| a.add(r * rsa));
        let mask = lanes(last);
        let (mut bp, mut off) = (b, 0);
        for _ in 0..kdim {
            let mut bv = [_mm256_setzero_ps(); NV];
            for (j, v) in bv.iter_mut().enumerate() {
                *v = if MASKED && j + 1 == NV { _mm256_maskload_ps(bp.add(8 * j), mask) } else { _mm256_loadu_ps(bp.add(8 * j)) };
            }
            for r in 0..R {
                let av = _mm256_set1_ps(*rows[r].add(off));
                for j in 0..NV {
                    acc[r][j] = _mm256_fmadd_ps(av, bv[j], acc[r][j]);
                }
            }
            bp = bp.add(ldb);
            off += csa;
        }
        let al = _mm256_set1_ps(alpha);
        for (r, acc) in acc.iter().enumerate() {
            for (j, &v) in acc.iter().enumerate() {
                let p = c.add(r * ldc + 8 * j);
                if MASKED && j + 1 == NV {
                    let out = if accumulate { _mm256_fmadd_ps(v, al, _mm256_maskload_ps(p, mask)) } else { _mm256_mul_ps(v, al) };
                    _mm256_maskstore_ps(p, mask, out);
                } else {
                    let out = if accumulate { _mm256_fmadd_ps(v, al, _mm256_loadu_ps(p)) } else { _mm256_mul_ps(v, al) };
                    _mm256_storeu_ps(p, out);
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// Rows per micro-kernel call, at most: with 3 column vectors, 24
    /// accumulators of the 32 registers (VGG's channel counts are multiples
    /// of 8; the last rows of other counts take a smaller `R`).
    pub const MR: usize = 8;

    /// `R` rows of C, all `ncols` columns, in panels of 48, 32 or 16 columns
    /// and a masked last panel.
    ///
    /// # Safety
    /// AVX-512F must be available; `a` must be readable at `r*rsa + p*csa`
    /// for r < R, p < kdim; `b` at `p*ldb + j` and `c` writable at `r*ldc + j`
    /// for j < ncols.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn rows<const R: usize>(
        kdim: usize,
        ncols: usize,
        alpha: f32,
        a: *const f32,
        rsa: usize,
        csa: usize,
        b: *const f32,
        ldb: usize,
        acc: bool,
        c: *mut f32,
        ldc: usize,
    ) {
        let mut j = 0;
        while j + 48 <= ncols {
            panel::<R, 3, false>(kdim, alpha, a, rsa, csa, b.add(j), ldb, acc, c.add(j), ldc, u16::MAX);
            j += 48;
        }
        if j + 32 <= ncols {
            panel::<R, 2, false>(kdim, alpha, a, rsa, csa, b.add(j), ldb, acc, c.add(j), ldc, u16::MAX);
            j += 32;
        }
        if j + 16 <= ncols {
            panel::<R, 1, false>(kdim, alpha, a, rsa, csa, b.add(j), ldb, acc, c.add(j), ldc, u16::MAX);
            j += 16;
        }
        if j < ncols {
            let mask = (1u16 << (ncols - j)) - 1;
            panel::<R, 1, true>(kdim, alpha, a, rsa, csa, b.add(j), ldb, acc, c.add(j), ldc, mask);
        }
    }

    /// One R x 16NV block: per step, NV vector loads of B, R broadcasts of A
    /// and R NV fused multiply-adds. `last` masks the columns of the last vector.
    #[target_feature(enable = "avx512f")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn panel<const R: usize, const NV: usize, const MASKED: bool>(
        kdim: usize,
        alpha: f32,
        a: *const f32,
        rsa: usize,
        csa: usize,
        b: *const f32,
        ldb: usize,
        accumulate: bool,
        c: *mut f32,
        ldc: usize,
        last: u16,
    ) {
        let mut acc = [[_mm512_setzero_ps(); NV]; R];
        let rows: [*const f32; R] = std::array::from_fn(|r| a.add(r * rsa));
        let mask = |j: usize| if MASKED && j + 1 == NV { last } else { u16::MAX };
        let mut bp = b;
        let mut off = 0;
        let step = |acc: &mut [[__m512; NV]; R], bp: *const f32, off: usize| {
            let mut bv = [_mm512_setzero_ps(); NV];
            for (j, v) in bv.iter_mut().enumerate() {
                *v = if MASKED { _mm512_maskz_loadu_ps(mask(j), bp.add(16 * j)) } else { _mm512_loadu_ps(bp.add(16 * j)) };
            }
            for r in 0..R {
                let av = _mm512_set1_ps(*rows[r].add(off));
                for j in 0..NV {
                    acc[r][j] = _mm512_fmadd_ps(av, bv[j], acc[r][j]);
                }
            }
        };
        // Two steps per trip: half the loop overhead.
        for _ in 0..kdim / 2 {
            step(&mut acc, bp, off);
            step(&mut acc, bp.add(ldb), off + csa);
            bp = bp.add(2 * ldb);
            off += 2 * csa;
        }
        if kdim % 2 == 1 {
            step(&mut acc, bp, off);
        }
        let al = _mm512_set1_ps(alpha);
        for (r, acc) in acc.iter().enumerate() {
            for (j, &v) in acc.iter().enumerate() {
                let p = c.add(r * ldc + 16 * j);
                let out = if accumulate { _mm512_fmadd_ps(v, al, _mm512_maskz_loadu_ps(mask(j), p)) } else { _mm512_mul_ps(v, al) };
                if MASKED {
                    _mm512_mask_storeu_ps(p, mask(j), out);
                } else {
                    _mm512_storeu_ps(p, out);
                }
            }
        }
    }

    /// A 16x16 block transposed through registers: `dst[j * ldd + i] =
    /// src[i * lds + j]` for i, j < 16 (unpack pairs of rows, then pairs of
    /// pairs, then 128-bit lanes twice).
    ///
    /// # Safety
    /// AVX-512F must be available; `src` readable at `i * lds + j` and `dst`
    /// writable at `j * ldd + i` for i, j < 16.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn transpose16(src: *const f32, lds: usize, dst: *mut f32, ldd: usize) {
        let r: [__m512; 16] = std::array::from_fn(|i| _mm512_loadu_ps(src.add(i * lds)));
        let mut t = [_mm512_setzero_ps(); 16];
        for i in 0..8 {
            t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
        }
        let pd = |a: __m512| _mm512_castps_pd(a);
        let mut u = [_mm512_setzero_ps(); 16];
        for i in 0..4 {
            let (a, b, c, d) = (t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3]);
            u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(a), pd(c)));
            u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(a), pd(c)));
            u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(b), pd(d)));
            u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(b), pd(d)));
        }
        // u[4q + k] holds column k + 4l of rows 4q..4q+4 in its 128-bit lane l.
        let mut v = [_mm512_setzero_ps(); 16];
        for k in 0..4 {
            v[k] = _mm512_shuffle_f32x4::<0x88>(u[k], u[4 + k]);
            v[4 + k] = _mm512_shuffle_f32x4::<0xdd>(u[k], u[4 + k]);
            v[8 + k] = _mm512_shuffle_f32x4::<0x88>(u[8 + k], u[12 + k]);
            v[12 + k] = _mm512_shuffle_f32x4::<0xdd>(u[8 + k], u[12 + k]);
        }
        for k in 0..4 {
            let out = [
                _mm512_shuffle_f32x4::<0x88>(v[k], v[8 + k]),
                _mm512_shuffle_f32x4::<0x88>(v[4 + k], v[12 + k]),
                _mm512_shuffle_f32x4::<0xdd>(v[k], v[8 + k]),
                _mm512_shuffle_f32x4::<0xdd>(v[4 + k], v[12 + k]),
            ];
            for (l, &o) in out.iter().enumerate() {
                _mm512_storeu_ps(dst.add((k + 4 * l) * ldd), o);
            }
        }
    }

    /// `dst[x] = bit x ? src[x] : 0`, 16 lanes a step under a load mask.
    ///
    /// # Safety
    /// AVX-512F must be available; `src` and `dst` hold `n` floats, `bits` `n` bits.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_copy(src: *const f32, bits: *const u64, dst: *mut f32, n: usize) {
        let mut x = 0;
        while x < n {
            let word = *bits.add(x / 64);
            let k = ((word >> (x % 64)) & 0xFFFF) as u16;
            let tail = if n - x >= 16 { u16::MAX } else { (1u16 << (n - x)) - 1 };
            let v = _mm512_maskz_loadu_ps(k & tail, src.add(x));
            _mm512_mask_storeu_ps(dst.add(x), tail, v);
            x += 16;
        }
    }
}
