//! The one doorway to `matrixmultiply::sgemm`, and the one place where parallel
//! tasks write disjoint column ranges of a shared row-major matrix.
//!
//! All `unsafe` of the crate's hot paths lives here. Everything else calls the
//! safe [`gemm`] (whole slices, bounds checked once per call) or goes through a
//! [`ColumnTiles`] handed out by the caller that owns the buffer.

use std::marker::PhantomData;

/// A strided matrix view over a slice: element `(i, j)` is `data[i*rs + j*cs]`.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `(rows, cols)` view.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        MatRef { data, rows, cols, rs: cols, cs: 1 }
    }
    /// The transpose of this view (no copy: strides swap).
    pub fn t(self) -> Self {
        MatRef { data: self.data, rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs }
    }
    fn check(&self) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.rs + (self.cols - 1) * self.cs;
            assert!(last < self.data.len(), "matrix view exceeds its slice");
        }
    }
}

/// `C = alpha * A B + beta * C`, C row-major `(m, n)` with row stride `ldc`.
///
/// A is `(m, k)`, B is `(k, n)`; both may be any strided views (a transpose is free).
/// Each element of C is a dot product over k taken in the same order whatever
/// m and n are, so splitting C into tiles does not change a single bit.
pub fn gemm(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32], ldc: usize) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "gemm: inner dimensions differ");
    a.check();
    b.check();
    if m == 0 || n == 0 {
        return;
    }
    assert!((m - 1) * ldc + n <= c.len(), "gemm: C exceeds its slice");
    // SAFETY: the three views were bounds-checked above; `c` is borrowed mutably
    // for the call, so nothing else reads or writes it meanwhile.
    unsafe { sgemm_raw(alpha, a, b, beta, c.as_mut_ptr(), ldc) }
}

/// # Safety
/// `a` and `b` must be checked views; `c` must be valid for writes of the `(m, n)`
/// window with row stride `ldc`, and no other thread may touch that window.
unsafe fn sgemm_raw(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: *mut f32, ldc: usize) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    matrixmultiply::sgemm(
        m,
        k,
        n,
        alpha,
        a.data.as_ptr(),
        a.rs as isize,
        a.cs as isize,
        b.data.as_ptr(),
        b.rs as isize,
        b.cs as isize,
        beta,
        c,
        ldc as isize,
        1,
    );
}

/// A row-major `(rows, cols)` buffer split into windows (row and column ranges)
/// that parallel tasks fill independently: the output of a convolution `(C_out, H*W)` tiled over
/// output positions.
///
/// Each tile's window `[:, col0..col0+ncols]` is interleaved in memory with its
/// neighbours', so it cannot be a `&mut [T]`; this type hands out one row
/// segment or one GEMM at a time instead.
pub struct ColumnTiles<'a, T> {
    ptr: *mut T,
    rows: usize,
    cols: usize,
    _buf: PhantomData<&'a mut [T]>,
}

// SAFETY: a `ColumnTiles` is only a pointer to a buffer it borrows mutably; the
// contract of `tile` makes the windows handed to different threads disjoint.
unsafe impl<T: Send> Sync for ColumnTiles<'_, T> {}
unsafe impl<T: Send> Send for ColumnTiles<'_, T> {}

impl<'a, T> ColumnTiles<'a, T> {
    pub fn new(buf: &'a mut [T], rows: usize, cols: usize) -> Self {
        assert_eq!(buf.len(), rows * cols, "ColumnTiles: buffer is not (rows, cols)");
        ColumnTiles { ptr: buf.as_mut_ptr(), rows, cols, _buf: PhantomData }
    }

    /// The window of rows `row0..row0+nrows` and columns `col0..col0+ncols`.
    ///
    /// # Safety
    /// While the returned [`Tile`] lives, no other tile overlapping it may exist.
    /// Callers hand each window of a fixed partition to exactly one task.
    pub unsafe fn tile(&self, row0: usize, nrows: usize, col0: usize, ncols: usize) -> Tile<'_, T> {
        assert!(row0 + nrows <= self.rows && col0 + ncols <= self.cols, "tile exceeds the matrix");
        Tile { ptr: self.ptr.add(row0 * self.cols + col0), rows: nrows, ncols, ld: self.cols, _m: PhantomData }
    }
}

/// One column window of a [`ColumnTiles`] buffer, owned by one task.
pub struct Tile<'t, T> {
    ptr: *mut T,
    rows: usize,
    ncols: usize,
    ld: usize,
    _m: PhantomData<&'t mut T>,
}

impl<T> Tile<'_, T> {
    /// Row `r` of the window: `ncols` contiguous elements.
    pub fn row_mut(&mut self, r: usize) -> &mut [T] {
        assert!(r < self.rows);
        // SAFETY: the window's rows are disjoint from each other and, by the
        // contract of `ColumnTiles::tile`, from every other live window.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(r * self.ld), self.ncols) }
    }
}

impl Tile<'_, f32> {
    /// `window = alpha * A B + beta * window`, A `(rows, k)`, B `(k, ncols)`.
    pub fn gemm(&mut self, alpha: f32, a: MatRef, b: MatRef, beta: f32) {
        assert_eq!(a.rows, self.rows, "tile gemm: rows differ");
        assert_eq!(b.cols, self.ncols, "tile gemm: columns differ");
        assert_eq!(a.cols, b.rows, "tile gemm: inner dimensions differ");
        a.check();
        b.check();
        if self.rows == 0 || self.ncols == 0 {
            return;
        }
        // SAFETY: views checked; the window is valid for writes (it lies inside
        // the borrowed buffer, checked in `tile`) and owned by this task alone.
        unsafe { sgemm_raw(alpha, a, b, beta, self.ptr, self.ld) }
    }
}
