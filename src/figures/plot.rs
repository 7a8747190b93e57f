//! A loss plot from a `--trace` file: total loss, content loss and each style
//! layer's loss against evaluations, log scale, as a self-contained SVG.

use crate::error::Error;

/// One curve: a name and its values by evaluation (non-positive values are skipped on a log axis).
pub struct Series {
    /// The curve's name in the legend.
    pub name: String,
    /// `(evaluation, value)` points in order.
    pub points: Vec<(f64, f64)>,
}

/// Reads the trace's lines ([`crate::trace`]) into series: `loss`, `content`,
/// and one per style layer.
pub fn read_trace(text: &str) -> Result<Vec<Series>, Error> {
    let mut series: Vec<Series> = Vec::new();
    let mut push = |name: &str, x: f64, y: f64| match series.iter_mut().find(|s| s.name == name) {
        Some(s) => s.points.push((x, y)),
        None => series.push(Series { name: name.to_string(), points: vec![(x, y)] }),
    };
    for r in crate::trace::read(text)? {
        let eval = r.eval as f64;
        push("total (weighted)", eval, r.loss);
        push("content", eval, r.content);
        for (k, v) in &r.style_layers {
            push(&format!("style {k}"), eval, *v);
        }
    }
    if series.is_empty() {
        return Err(Error::Config("the trace has no evaluations".into()));
    }
    Ok(series)
}

const COLOURS: [&str; 8] = ["#000000", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

/// Text for an SVG text node: `&`, `<`, `>` and quotes escaped.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An SVG line chart with a log10 y axis.
pub fn svg(series: &[Series], title: &str) -> String {
    let title = xml_escape(title);
    let (w, h, left, right, top, bottom) = (760.0, 460.0, 70.0, 180.0, 40.0, 50.0);
    let pos: Vec<(f64, f64)> = series.iter().flat_map(|s| s.points.iter().copied()).filter(|p| p.1 > 0.0 && p.1.is_finite()).collect();
    let xmax = pos.iter().map(|p| p.0).fold(1.0, f64::max);
    let (lo, hi) = pos.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1.log10()), b.max(p.1.log10())));
    let (lo, hi) = if lo.is_finite() { (lo.floor(), hi.ceil().max(lo.floor() + 1.0)) } else { (0.0, 1.0) };
    let px = |x: f64| left + (x - 1.0).max(0.0) / (xmax - 1.0).max(1.0) * (w - left - right);
    let py = |y: f64| top + (hi - y.log10()) / (hi - lo) * (h - top - bottom);
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{left}\" y=\"22\" font-size=\"14\">{title}</text>\n"
    );
    for d in (lo as i32)..=(hi as i32) {
        let y = top + (hi - d as f64) / (hi - lo) * (h - top - bottom);
        o += &format!("<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">1e{d}</text>\n", w - right, left - 6.0, y + 4.0);
    }
    o += &format!("<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{}\" stroke=\"black\"/><line x1=\"{left}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", h - bottom, w - right, h - bottom, h - bottom);
    for i in 0..=4 {
        let x = 1.0 + (xmax - 1.0) * i as f64 / 4.0;
        o += &format!("<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", px(x), h - bottom + 16.0, x.round());
    }
    o += &format!("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">evaluation</text>\n", (left + w - right) / 2.0, h - 12.0);
    for (i, s) in series.iter().enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        let pts: Vec<String> =
            s.points.iter().filter(|p| p.1 > 0.0 && p.1.is_finite()).map(|p| format!("{:.1},{:.1}", px(p.0), py(p.1))).collect();
        if !pts.is_empty() {
            o += &format!("<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"1.5\" points=\"{}\"/>\n", pts.join(" "));
        }
        let ly = top + 16.0 * i as f64;
        o += &format!("<line x1=\"{}\" x2=\"{}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{c}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{:.1}\">{}</text>\n", w - right + 10.0, w - right + 30.0, w - right + 35.0, ly + 4.0, xml_escape(&s.name));
    }
    o += "</svg>\n";
    o
}
