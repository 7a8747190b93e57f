//! Contact sheets: pictures in a grid with a label under each, drawn with the
//! crate's own 5x7 bitmap font (no font files, no dependencies). For the
//! paper's figures (`tools/figures.sh`) and any comparison a user wants.

use ndarray::{s, Array3, ArrayView3};

/// Glyphs 5 pixels wide, 7 tall: each row's 5 bits, most significant on the left.
const FONT: &[(char, [u8; 7])] = &[
    ('A', [14, 17, 17, 31, 17, 17, 17]),
    ('B', [30, 17, 17, 30, 17, 17, 30]),
    ('C', [14, 17, 16, 16, 16, 17, 14]),
    ('D', [30, 17, 17, 17, 17, 17, 30]),
    ('E', [31, 16, 16, 30, 16, 16, 31]),
    ('F', [31, 16, 16, 30, 16, 16, 16]),
    ('G', [14, 17, 16, 23, 17, 17, 15]),
    ('H', [17, 17, 17, 31, 17, 17, 17]),
    ('I', [14, 4, 4, 4, 4, 4, 14]),
    ('J', [7, 2, 2, 2, 2, 18, 12]),
    ('K', [17, 18, 20, 24, 20, 18, 17]),
    ('L', [16, 16, 16, 16, 16, 16, 31]),
    ('M', [17, 27, 21, 21, 17, 17, 17]),
    ('N', [17, 17, 25, 21, 19, 17, 17]),
    ('O', [14, 17, 17, 17, 17, 17, 14]),
    ('P', [30, 17, 17, 30, 16, 16, 16]),
    ('Q', [14, 17, 17, 17, 21, 18, 13]),
    ('R', [30, 17, 17, 30, 20, 18, 17]),
    ('S', [15, 16, 16, 14, 1, 1, 30]),
    ('T', [31, 4, 4, 4, 4, 4, 4]),
    ('U', [17, 17, 17, 17, 17, 17, 14]),
    ('V', [17, 17, 17, 17, 17, 10, 4]),
    ('W', [17, 17, 17, 21, 21, 21, 10]),
    ('X', [17, 17, 10, 4, 10, 17, 17]),
    ('Y', [17, 17, 17, 10, 4, 4, 4]),
    ('Z', [31, 1, 2, 4, 8, 16, 31]),
    ('0', [14, 17, 19, 21, 25, 17, 14]),
    ('1', [4, 12, 4, 4, 4, 4, 14]),
    ('2', [14, 17, 1, 2, 4, 8, 31]),
    ('3', [31, 2, 4, 2, 1, 17, 14]),
    ('4', [2, 6, 10, 18, 31, 2, 2]),
    ('5', [31, 16, 30, 1, 1, 17, 14]),
    ('6', [6, 8, 16, 30, 17, 17, 14]),
    ('7', [31, 1, 2, 4, 8, 8, 8]),
    ('8', [14, 17, 17, 14, 17, 17, 14]),
    ('9', [14, 17, 17, 15, 1, 2, 12]),
    ('_', [0, 0, 0, 0, 0, 0, 31]),
    ('-', [0, 0, 0, 31, 0, 0, 0]),
    ('+', [0, 4, 4, 31, 4, 4, 0]),
    ('.', [0, 0, 0, 0, 0, 12, 12]),
    (',', [0, 0, 0, 0, 12, 4, 8]),
    (':', [0, 12, 12, 0, 12, 12, 0]),
    ('/', [0, 1, 2, 4, 8, 16, 0]),
    ('=', [0, 0, 31, 0, 31, 0, 0]),
    ('(', [2, 4, 8, 8, 8, 4, 2]),
    (')', [8, 4, 2, 2, 2, 4, 8]),
    (' ', [0; 7]),
];

/// Pixels per font pixel, and the label band under each cell.
const GLYPH_SCALE: usize = 2;
const LABEL_H: usize = 7 * GLYPH_SCALE + 8;
const GAP: usize = 6;

fn glyph(c: char) -> [u8; 7] {
    let c = c.to_ascii_uppercase();
    FONT.iter().find(|(g, _)| *g == c).map_or([31, 17, 17, 17, 17, 17, 31], |(_, rows)| *rows)
}

/// Width in pixels of a label.
pub fn text_width(text: &str) -> usize {
    text.chars().count() * 6 * GLYPH_SCALE
}

/// `text` shortened to `width` pixels, its end replaced by `..` when cut, so
/// that neighbouring labels never overlap.
pub fn fit(text: &str, width: usize) -> String {
    if text_width(text) <= width {
        return text.to_string();
    }
    let keep = (width / (6 * GLYPH_SCALE)).saturating_sub(2);
    format!("{}..", text.chars().take(keep).collect::<String>())
}

/// Draws `text` in black with its top-left corner at `(y, x)`, clipped to the canvas.
pub fn draw_text(canvas: &mut Array3<f32>, y: usize, x: usize, text: &str) {
    let (_, h, w) = canvas.dim();
    for (n, ch) in text.chars().enumerate() {
        for (r, bits) in glyph(ch).iter().enumerate() {
            for col in 0..5 {
                if bits >> (4 - col) & 1 == 1 {
                    for dy in 0..GLYPH_SCALE {
                        for dx in 0..GLYPH_SCALE {
                            let (py, px) = (y + r * GLYPH_SCALE + dy, x + (n * 6 + col) * GLYPH_SCALE + dx);
                            if py < h && px < w {
                                for c in 0..3 {
                                    canvas[[c, py, px]] = 0.0;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Where each cell goes: the grid's cell size is the largest picture's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Pictures per row.
    pub cols: usize,
    /// Rows of pictures.
    pub rows: usize,
    /// Height of a cell (the tallest picture), pixels.
    pub cell_h: usize,
    /// Width of a cell (the widest picture), pixels.
    pub cell_w: usize,
}

impl Layout {
    /// The layout of pictures of `sizes` `(h, w)` in `cols` columns.
    pub fn new(sizes: &[(usize, usize)], cols: usize) -> Layout {
        let cols = cols.clamp(1, sizes.len().max(1));
        let cell_h = sizes.iter().map(|s| s.0).max().unwrap_or(0);
        let cell_w = sizes.iter().map(|s| s.1).max().unwrap_or(0);
        Layout { cols, rows: sizes.len().div_ceil(cols), cell_h, cell_w }
    }
    /// Canvas size `(h, w)`.
    pub fn canvas(&self) -> (usize, usize) {
        (GAP + self.rows * (self.cell_h + LABEL_H + GAP), GAP + self.cols * (self.cell_w + GAP))
    }
    /// Top-left corner `(y, x)` of cell `i` (row-major).
    pub fn origin(&self, i: usize) -> (usize, usize) {
        let (r, c) = (i / self.cols, i % self.cols);
        (GAP + r * (self.cell_h + LABEL_H + GAP), GAP + c * (self.cell_w + GAP))
    }
}

/// Pictures `(3, H, W)` in [0, 1] in a grid of `cols` columns on white, each
/// centred in its cell with its label under it.
pub fn contact_sheet(cells: &[(ArrayView3<f32>, String)], cols: usize) -> Array3<f32> {
    let sizes: Vec<(usize, usize)> = cells.iter().map(|(img, _)| (img.dim().1, img.dim().2)).collect();
    let layout = Layout::new(&sizes, cols);
    let (h, w) = layout.canvas();
    let mut canvas = Array3::from_elem((3, h, w), 1.0f32);
    for (i, (img, label)) in cells.iter().enumerate() {
        let (y0, x0) = layout.origin(i);
        let (_, ih, iw) = img.dim();
        let (y, x) = (y0 + (layout.cell_h - ih) / 2, x0 + (layout.cell_w - iw) / 2);
        canvas.slice_mut(s![.., y..y + ih, x..x + iw]).assign(img);
        let label = fit(label, layout.cell_w);
        let tx = x0 + layout.cell_w.saturating_sub(text_width(&label)) / 2;
        draw_text(&mut canvas, y0 + layout.cell_h + 4, tx, &label);
    }
    canvas
}
