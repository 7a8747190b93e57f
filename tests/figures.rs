//! Contact sheets and loss plots: layout, labels, and reading a trace.
#![cfg(feature = "figures")]

use ndarray::Array3;
use neural_style::figures::plot::{read_trace, svg};
use neural_style::figures::sheet::{contact_sheet, text_width, Layout};

#[test]
fn contact_sheet_layout() {
    let a = Array3::from_elem((3, 20, 30), 0.5f32);
    let b = Array3::from_elem((3, 10, 40), 0.25f32);
    let c = Array3::from_elem((3, 20, 20), 0.75f32);
    let cells = vec![(a.view(), "relu1_1".to_string()), (b.view(), "B".to_string()), (c.view(), "1e-3".to_string())];
    let layout = Layout::new(&[(20, 30), (10, 40), (20, 20)], 2);
    assert_eq!((layout.rows, layout.cols, layout.cell_h, layout.cell_w), (2, 2, 20, 40));
    let sheet = contact_sheet(&cells, 2);
    assert_eq!((sheet.dim().1, sheet.dim().2), layout.canvas());
    // Each picture sits centred in its cell.
    let (y, x) = layout.origin(0);
    assert_eq!(sheet[[0, y + 10, x + 5 + 15]], 0.5);
    let (y, x) = layout.origin(1);
    assert_eq!(sheet[[1, y + 5 + 5, x + 20]], 0.25);
    let (y, x) = layout.origin(2);
    assert_eq!(sheet[[2, y + 10, x + 10 + 10]], 0.75);
    assert!(layout.origin(2).0 > layout.origin(0).0 + 20, "second row below the first's labels");
    // Labels are drawn (black pixels under the first cell), the rest of the band is white.
    let (y0, x0) = layout.origin(0);
    let band = sheet.slice(ndarray::s![0, y0 + 20..y0 + 20 + 20, x0..x0 + 40]);
    assert!(band.iter().any(|v| *v == 0.0), "label pixels");
    assert!(band.iter().any(|v| *v == 1.0), "background");
    assert_eq!(text_width("ab"), 24);
}

#[test]
fn loss_plot_from_a_trace() {
    let trace = "{\"eval\":1,\"iteration\":0,\"loss\":1e3,\"content\":0e0,\"style\":5e2,\"style_layers\":{\"relu1_1\":1e2,\"relu2_1\":2e2},\"tv\":0e0}\n\
                 {\"eval\":2,\"iteration\":1,\"loss\":5e2,\"content\":1e1,\"style\":2e2,\"style_layers\":{\"relu1_1\":5e1,\"relu2_1\":1e2},\"tv\":0e0}\n";
    let series = read_trace(trace).unwrap();
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["total (weighted)", "content", "style relu1_1", "style relu2_1"]);
    assert_eq!(series[0].points, vec![(1.0, 1e3), (2.0, 5e2)]);
    assert_eq!(series[3].points[1], (2.0, 1e2));
    let out = svg(&series, "test");
    assert!(out.starts_with("<svg") && out.trim_end().ends_with("</svg>"));
    assert_eq!(out.matches("<polyline").count(), 4);
    assert!(out.contains("style relu2_1") && out.contains("1e1") && out.contains("1e3"));
    assert!(read_trace("").is_err());
    // A title with markup characters stays text (the SVG remains well formed).
    let out = svg(&series, "a < b & \"c\"");
    assert!(out.contains("a &lt; b &amp; &quot;c&quot;") && !out.contains("a < b"), "{out}");
}

#[test]
fn long_labels_are_cut_to_their_cell() {
    use neural_style::figures::sheet::fit;
    assert_eq!(fit("relu1_1", 200), "relu1_1");
    let long = "a label far too long for its picture";
    let cut = fit(long, 120);
    assert!(text_width(&cut) <= 120 && cut.ends_with("..") && long.starts_with(cut.trim_end_matches('.')), "{cut}");
}
