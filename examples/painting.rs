//! Writes a stand-in painting for the README's first command: swirling,
//! thick strokes in a night palette, drawn from a fixed seed (no file of
//! someone else's is shipped; the paper's paintings are not in the repository).
//!
//!     cargo run --release --example painting -- painting.png

use neural_style::image_io;
use neural_style::rng::Rng;
use std::f32::consts::PI;

fn main() -> Result<(), neural_style::Error> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "painting.png".into());
    let (h, w) = (400, 640);
    let palette = [[0.08, 0.12, 0.35], [0.15, 0.3, 0.6], [0.55, 0.7, 0.85], [0.95, 0.85, 0.3], [0.1, 0.2, 0.15]];
    // A background of slow colour waves, then strokes that follow a swirling field.
    let mut img = ndarray::Array3::<f32>::from_shape_fn((3, h, w), |(c, y, x)| {
        let t = 0.5 + 0.5 * ((x as f32 / 90.0).sin() * (y as f32 / 70.0).cos());
        palette[0][c] * (1.0 - t) + palette[1][c] * t
    });
    let mut rng = Rng::new(1889);
    for _ in 0..2500 {
        let (mut x, mut y) = (rng.uniform() * w as f32, rng.uniform() * h as f32);
        let colour = palette[(rng.uniform() * palette.len() as f32) as usize % palette.len()];
        let width = 2.0 + 4.0 * rng.uniform();
        for _ in 0..40 {
            // The stroke turns around centres spaced over the canvas.
            let angle = (x / 120.0).sin() * PI + (y / 80.0).cos() * PI;
            (x, y) = (x + 2.0 * angle.cos(), y + 2.0 * angle.sin());
            let (x0, x1) = ((x - width).max(0.0) as usize, ((x + width) as usize).min(w));
            let (y0, y1) = ((y - width).max(0.0) as usize, ((y + width) as usize).min(h));
            for yy in y0..y1 {
                for xx in x0..x1 {
                    for (c, v) in colour.iter().enumerate() {
                        img[(c, yy, xx)] = 0.3 * img[(c, yy, xx)] + 0.7 * v;
                    }
                }
            }
        }
    }
    image_io::save(img.view(), out.as_ref())
}
