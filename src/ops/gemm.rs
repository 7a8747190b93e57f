//! The one doorway to `matrixmultiply::sgemm`, and the one place where parallel
//! tasks write disjoint column ranges of a shared row-major matrix.
//!
//! All `unsafe` of the crate's hot paths lives here (the SIMD intrinsics of
//! `simd.rs` aside). Everything else calls the safe [`gemm`] (whole slices,
//! bounds checked once per call) or takes tiles from a [`TileGrid`], a fixed
//! partition of a [`ColumnTiles`] buffer checked disjoint when it is made.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

/// A strided matrix view over a slice: element `(i, j)` is `data[i*rs + j*cs]`.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    /// The elements, addressed through the strides.
    pub data: &'a [f32],
    /// Rows of the matrix.
    pub rows: usize,
    /// Columns of the matrix.
    pub cols: usize,
    /// Distance between rows.
    pub rs: usize,
    /// Distance between columns.
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
    /// Tiles over `buf`, a row-major `(rows, cols)` buffer.
    pub fn new(buf: &'a mut [T], rows: usize, cols: usize) -> Self {
        assert_eq!(buf.len(), rows * cols, "ColumnTiles: buffer is not (rows, cols)");
        ColumnTiles { ptr: buf.as_mut_ptr(), rows, cols, _buf: PhantomData }
    }

    /// The window of rows `row0..row0+nrows` and columns `col0..col0+ncols`.
    ///
    /// # Safety
    /// While the returned [`Tile`] lives, no other tile overlapping it may exist
    /// ([`TileGrid::take`] guarantees it).
    unsafe fn tile(&self, row0: usize, nrows: usize, col0: usize, ncols: usize) -> Tile<'_, T> {
        assert!(row0 + nrows <= self.rows && col0 + ncols <= self.cols, "tile exceeds the matrix");
        Tile { ptr: self.ptr.add(row0 * self.cols + col0), rows: nrows, ncols, ld: self.cols, _m: PhantomData }
    }

    /// A partition into row blocks x column ranges (each list sorted and
    /// non-overlapping, `[start, end)`), for parallel tasks to take one tile
    /// each. Borrows the buffer for as long as the grid lives.
    pub fn grid(&mut self, rows: Vec<(usize, usize)>, cols: Vec<(usize, usize)>) -> TileGrid<'_, T> {
        check_ranges("rows", &rows, self.rows);
        check_ranges("columns", &cols, self.cols);
        let taken = (0..rows.len() * cols.len()).map(|_| AtomicBool::new(false)).collect();
        TileGrid { tiles: self, rows, cols, taken }
    }
}

/// `[start, end)` ranges in order, none overlapping, within `0..len`.
fn check_ranges(what: &str, ranges: &[(usize, usize)], len: usize) {
    let mut end = 0;
    for &(a, b) in ranges {
        assert!(a <= b && a >= end && b <= len, "tile grid: {what} {a}..{b} overlap or exceed 0..{len}");
        end = b;
    }
}

/// `[k*step, min((k+1)*step, len))` for k = 0, 1, ...: a uniform split.
pub fn uniform(len: usize, step: usize) -> Vec<(usize, usize)> {
    let step = step.max(1);
    (0..len.div_ceil(step)).map(|k| (k * step, ((k + 1) * step).min(len))).collect()
}

/// A checked partition of a [`ColumnTiles`] buffer: tile `(i, j)` is row
/// block `i` by column range `j`; each may be taken once, so no two live
/// tiles overlap.
pub struct TileGrid<'g, T> {
    tiles: &'g ColumnTiles<'g, T>,
    rows: Vec<(usize, usize)>,
    cols: Vec<(usize, usize)>,
    taken: Vec<AtomicBool>,
}

impl<T> TileGrid<'_, T> {
    /// Tile `(row_block, col_block)`. Panics if it was taken before.
    pub fn take(&self, row_block: usize, col_block: usize) -> Tile<'_, T> {
        let ((r0, r1), (c0, c1)) = (self.rows[row_block], self.cols[col_block]);
        let first = !self.taken[row_block * self.cols.len() + col_block].swap(true, Ordering::AcqRel);
        assert!(first, "tile ({row_block}, {col_block}) taken twice");
        // SAFETY: the grid's ranges were checked disjoint and in bounds when it
        // was made, it borrows the buffer exclusively, and each tile is handed
        // out once: no other live tile overlaps this one.
        unsafe { self.tiles.tile(r0, r1 - r0, c0, c1 - c0) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_tiles_cover_their_windows_once() {
        let mut buf = vec![0u32; 6 * 10];
        let mut tiles = ColumnTiles::new(&mut buf, 6, 10);
        let grid = tiles.grid(uniform(6, 4), vec![(0, 3), (3, 3), (3, 10)]);
        for (i, j) in [(0, 0), (0, 2), (1, 0), (1, 1), (1, 2), (0, 1)] {
            let mut t = grid.take(i, j);
            for r in 0..t.rows {
                t.row_mut(r).iter_mut().for_each(|v| *v += 1 + j as u32);
            }
        }
        drop(grid);
        // Every element written exactly once, by its own column range.
        for r in 0..6 {
            assert_eq!(buf[r * 10..r * 10 + 3], [1; 3]);
            assert_eq!(buf[r * 10 + 3..r * 10 + 10], [3; 7]);
        }
    }

    #[test]
    #[should_panic(expected = "taken twice")]
    fn a_tile_cannot_be_taken_twice() {
        let mut buf = vec![0f32; 4];
        let mut tiles = ColumnTiles::new(&mut buf, 2, 2);
        let grid = tiles.grid(vec![(0, 2)], vec![(0, 2)]);
        let _a = grid.take(0, 0);
        let _b = grid.take(0, 0);
    }

    #[test]
    #[should_panic(expected = "overlap")]
    fn overlapping_ranges_are_refused() {
        let mut buf = vec![0f32; 20];
        let mut tiles = ColumnTiles::new(&mut buf, 2, 10);
        let _ = tiles.grid(vec![(0, 2)], vec![(0, 5), (4, 10)]);
    }
}
