//! Optical flow against exact ground truth on pictures the test makes: a
//! textured scene moved by a known field, the frames sampled from one
//! continuous function so the truth is exact; the consistency check on an
//! occlusion; `.flo` files and the colour picture.

use ndarray::{Array2, Array3};
use neural_style::flow::{self, files, Flow, TvL1};

/// A smooth, textured scene at real coordinates (RGB in [0, 1]).
fn scene(y: f32, x: f32) -> [f32; 3] {
    let a = 0.5 + 0.2 * (x * 0.21).sin() * (y * 0.17).cos() + 0.15 * ((x + 2.0 * y) * 0.09).sin();
    let b = 0.5 + 0.25 * ((x - y) * 0.13).cos() + 0.1 * (x * 0.37 + 1.0).sin() * (y * 0.29).sin();
    let c = 0.5 + 0.3 * (((x * 0.05).sin() + (y * 0.07).cos()) * 2.0).tanh() * 0.8;
    [a, b, c]
}

/// A frame of `h x w` whose pixel `(i, j)` shows the scene at `at(i, j)`.
fn frame(h: usize, w: usize, at: impl Fn(f32, f32) -> (f32, f32)) -> Array3<f32> {
    let mut out = Array3::zeros((3, h, w));
    for i in 0..h {
        for j in 0..w {
            let (y, x) = at(i as f32, j as f32);
            let rgb = scene(y, x);
            for c in 0..3 {
                out[[c, i, j]] = rgb[c];
            }
        }
    }
    out
}

/// Pixels at least `m` from every border.
fn inner(h: usize, w: usize, m: usize) -> Array2<f32> {
    Array2::from_shape_fn((h, w), |(i, j)| (i >= m && j >= m && i + m < h && j + m < w) as u8 as f32)
}

#[test]
fn a_translation_is_found_to_a_tenth_of_a_pixel() {
    let (h, w) = (72, 96);
    let (dy, dx) = (1.5f32, -2.25f32);
    // B shows at (i, j) what A showed at (i - dy, j - dx): A's pixel moved by (dy, dx).
    let a = frame(h, w, |i, j| (i, j));
    let b = frame(h, w, |i, j| (i - dy, j - dx));
    let truth = Flow { u: Array2::from_elem((h, w), dx), v: Array2::from_elem((h, w), dy) };
    let found = flow::estimate(a.view(), b.view(), &TvL1::default());
    let epe = found.endpoint_error(&truth, Some(&inner(h, w, 6)));
    assert!(epe < 0.1, "endpoint error {epe} px");
    // No motion is found where there is none.
    let still = flow::estimate(a.view(), a.view(), &TvL1::default());
    assert!(still.endpoint_error(&Flow::zeros(h, w), None) < 1e-3);
}

#[test]
fn a_rotation_and_a_zoom_are_found() {
    let (h, w) = (80, 80);
    let (cy, cx) = (40.0f32, 40.0f32);
    // Rotation by 3 degrees about the centre, and a zoom by 4%: B(p) = A(M^-1 (p - c) + c).
    for (name, m) in [
        ("rotation", [[3f32.to_radians().cos(), -3f32.to_radians().sin()], [3f32.to_radians().sin(), 3f32.to_radians().cos()]]),
        ("zoom", [[1.04, 0.0], [0.0, 1.04]]),
    ] {
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        let inv = [[m[1][1] / det, -m[0][1] / det], [-m[1][0] / det, m[0][0] / det]];
        let a = frame(h, w, |i, j| (i, j));
        let b = frame(h, w, |i, j| {
            let (y, x) = (i - cy, j - cx);
            (inv[0][0] * y + inv[0][1] * x + cy, inv[1][0] * y + inv[1][1] * x + cx)
        });
        // A's pixel p goes to M (p - c) + c.
        let truth = Flow {
            u: Array2::from_shape_fn((h, w), |(i, j)| m[1][0] * (i as f32 - cy) + m[1][1] * (j as f32 - cx) + cx - j as f32),
            v: Array2::from_shape_fn((h, w), |(i, j)| m[0][0] * (i as f32 - cy) + m[0][1] * (j as f32 - cx) + cy - i as f32),
        };
        let found = flow::estimate(a.view(), b.view(), &TvL1::default());
        let epe = found.endpoint_error(&truth, Some(&inner(h, w, 8)));
        assert!(epe < 0.25, "{name}: endpoint error {epe} px");
    }
}

#[test]
fn warping_along_the_flow_brings_the_previous_frame_to_the_next() {
    let (h, w) = (48, 64);
    let a = frame(h, w, |i, j| (i, j));
    let b = frame(h, w, |i, j| (i - 1.0, j - 3.0));
    // The flow from B to A warps A onto B.
    let back = Flow { u: Array2::from_elem((h, w), -3.0), v: Array2::from_elem((h, w), -1.0) };
    let warped = flow::warp(a.view(), &back);
    let inside = inner(h, w, 4);
    let worst = (0..3)
        .flat_map(|c| (0..h).flat_map(move |i| (0..w).map(move |j| (c, i, j))))
        .filter(|&(_, i, j)| inside[[i, j]] > 0.5)
        .map(|(c, i, j)| (warped[[c, i, j]] - b[[c, i, j]]).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "{worst}");
}

#[test]
fn the_consistency_check_marks_what_was_hidden_and_keeps_the_rest() {
    // A square moves 6 px right over a still background: behind it, B shows
    // what A hid (a strip of 6 px at its left edge in B).
    let (h, w) = (40, 60);
    let mut a_to_b = Flow::zeros(h, w);
    let mut b_to_a = Flow::zeros(h, w);
    for i in 10..30 {
        for j in 10..30 {
            a_to_b.u[[i, j]] = 6.0; // A's square moves right
            b_to_a.u[[i, j + 6]] = -6.0; // B's square came from the left
        }
    }
    let c = flow::reliability(&b_to_a, &a_to_b);
    // The uncovered strip: B's pixels (12..28, 10..16) have zero backward flow but A's
    // pixel there moved on: the flows do not undo each other.
    for i in 12..28 {
        for j in 10..16 {
            assert_eq!(c[[i, j]], 0.0, "disoccluded ({i}, {j})");
        }
    }
    assert_eq!(c[[20, 22]], 1.0, "inside the square");
    assert_eq!(c[[5, 45]], 1.0, "background");
    // A flow leaving the frame is not trusted.
    let out = Flow { u: Array2::from_elem((h, w), -5.0), v: Array2::zeros((h, w)) };
    let back = Flow { u: Array2::from_elem((h, w), 5.0), v: Array2::zeros((h, w)) };
    let c = flow::reliability(&out, &back);
    assert_eq!(c[[20, 2]], 0.0);
    assert_eq!(c[[20, 30]], 1.0);
}

#[test]
fn flo_files_round_trip_and_refuse_other_bytes() {
    let f = Flow {
        u: Array2::from_shape_fn((3, 5), |(i, j)| i as f32 - 0.5 * j as f32),
        v: Array2::from_shape_fn((3, 5), |(i, j)| (i * j) as f32),
    };
    let bytes = files::to_flo(&f);
    assert_eq!(&bytes[..4], b"PIEH");
    assert_eq!(bytes.len(), 12 + 3 * 5 * 8);
    assert_eq!(files::from_flo(&bytes, "x.flo".as_ref()).unwrap(), f);
    assert!(files::from_flo(&bytes[..20], "x.flo".as_ref()).is_err());
    assert!(files::from_flo(b"PNG\x00 and more bytes", "x.flo".as_ref()).is_err());
}

#[test]
fn the_colour_picture_is_white_at_rest_and_hued_by_direction() {
    let mut f = Flow::zeros(1, 4);
    (f.u[[0, 1]], f.v[[0, 1]]) = (1.0, 0.0); // right
    (f.u[[0, 2]], f.v[[0, 2]]) = (-1.0, 0.0); // left
    (f.u[[0, 3]], f.v[[0, 3]]) = (0.0, 1.0); // down
    let p = files::picture(&f);
    let px = |j: usize| [p[[0, 0, j]], p[[1, 0, j]], p[[2, 0, j]]];
    assert_eq!(px(0), [1.0, 1.0, 1.0]);
    // Middlebury's wheel (image rows grow downwards): right red, left cyan-blue, down yellow.
    let (r, l, d) = (px(1), px(2), px(3));
    assert!(r[0] > 0.99 && r[1] < 0.01 && r[2] < 0.01, "right is red: {r:?}");
    assert!(l[0] < 0.01 && l[1] > 0.5 && l[2] > 0.99, "left is cyan-blue: {l:?}");
    assert!(d[0] > 0.99 && d[1] > 0.5 && d[2] < 0.01, "down is yellow: {d:?}");
}

/// A frame's start: the previous result warped where the flow is reliable,
/// the new photograph where it is not, and in proportion in between.
#[test]
fn a_frame_starts_from_the_warped_result_where_reliable_and_the_photograph_elsewhere() {
    use neural_style::transfer::Previous;
    let (h, w) = (3, 4);
    let warped = Array3::from_shape_fn((3, h, w), |(c, y, x)| 0.1 + 0.05 * (c + y + x) as f32);
    let now = Array3::from_shape_fn((3, h, w), |(c, y, x)| 0.9 - 0.03 * (c * 5 + y * 2 + x) as f32);
    let reliable = Array2::from_shape_fn((h, w), |(y, x)| [0.0, 1.0, 0.25][(y + x) % 3]);
    let start = Previous { warped: warped.clone(), reliable: reliable.clone() }.start(now.view());
    for ((c, y, x), &v) in start.indexed_iter() {
        let r = reliable[[y, x]];
        let want = r * warped[[c, y, x]] + (1.0 - r) * now[[c, y, x]];
        assert!((v - want).abs() < 1e-6, "({c}, {y}, {x}) reliability {r}: {v} against {want}");
    }
}
