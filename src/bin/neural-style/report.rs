//! What the run tells the user: progress lines on stderr and the JSON trace.

use neural_style::optim::Progress;
use std::fmt::Write as _;

/// One JSON object for the trace (no serde: the fields are numbers and names).
/// `eval_base`, `iter_base` and `seconds_base` count the scales already done, so
/// a coarse-to-fine run numbers its evaluations on from one scale to the next.
pub fn trace_line(
    p: &Progress,
    eval_base: usize,
    iter_base: usize,
    seconds_base: f64,
    weights: neural_style::LossWeights,
    loss_scale: &str,
    item: Option<&str>,
) -> String {
    let e = p.evaluation;
    let mut layers = String::new();
    for (i, (tap, v)) in e.style_layers.iter().enumerate() {
        if i > 0 {
            layers.push(',');
        }
        let _ = write!(layers, "\"{}\":{}", tap.name(), num(*v));
    }
    let item = item.map(|i| format!("\"item\":\"{}\",", escape(i))).unwrap_or_default();
    format!(
        "{{{item}\"eval\":{},\"iteration\":{},\"loss\":{},\"content\":{},\"style\":{},\"style_layers\":{{{}}},\"tv\":{},\"content_weight\":{},\"style_weight\":{},\"tv_weight\":{},\"loss_scale\":\"{}\",\"grad_norm\":{},\"seconds\":{},\"height\":{},\"width\":{}}}",
        eval_base + p.eval,
        iter_base + p.iteration,
        num(e.loss),
        num(e.content),
        num(e.style),
        layers,
        num(e.tv),
        num32(weights.content),
        num32(weights.style),
        num32(weights.tv),
        loss_scale,
        num(p.grad_norm),
        num(seconds_base + p.seconds),
        p.x.dim().1,
        p.x.dim().2
    )
}

/// A JSON number (JSON has no NaN or infinity: those become null).
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:e}")
    } else {
        "null".into()
    }
}

/// An f32 setting as the user wrote it (`1e-3`, not its f64 widening).
fn num32(v: f32) -> String {
    if v.is_finite() {
        format!("{v:e}")
    } else {
        "null".into()
    }
}

/// `1h02m`, `3m05s`, `12.3s`.
pub fn duration(s: f64) -> String {
    if !s.is_finite() {
        return "?".into();
    }
    let t = s.round() as u64;
    if t >= 3600 {
        format!("{}h{:02}m", t / 3600, (t % 3600) / 60)
    } else if t >= 60 {
        format!("{}m{:02}s", t / 60, t % 60)
    } else {
        format!("{s:.1}s")
    }
}

/// The weighted parts of the loss in use, as shares of it: `content 31% style 69%`.
pub fn shares(e: &neural_style::Evaluation, w: neural_style::LossWeights) -> String {
    let parts = [("content", w.content as f64 * e.content), ("style", w.style as f64 * e.style), ("tv", w.tv as f64 * e.tv)];
    let used: Vec<(&str, f64)> = parts.into_iter().zip([w.content, w.style, w.tv]).filter(|(_, wt)| *wt != 0.0).map(|(p, _)| p).collect();
    let total: f64 = used.iter().map(|(_, v)| v).sum();
    used.iter().map(|(name, v)| format!("{name} {:.0}%", if total > 0.0 { 100.0 * v / total } else { 0.0 })).collect::<Vec<_>>().join(" ")
}

/// A JSON string's inside: quotes, backslashes and control characters escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}
