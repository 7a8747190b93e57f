//! What the run tells the user: progress lines on stderr and the JSON trace.

use neural_style::trace::Record;
use neural_style::transfer::ScaledProgress;

/// The trace's record of one evaluation, counted over all scales.
pub fn trace_record(sp: &ScaledProgress, loss_scale: &str, item: Option<&str>) -> Record {
    let (p, e) = (sp.progress, sp.progress.evaluation);
    Record {
        item: item.map(str::to_string),
        eval: sp.eval,
        iteration: sp.iteration,
        loss: e.loss,
        content: e.content,
        style: e.style,
        style_layers: e.style_layers.iter().map(|(t, v)| (t.name().to_string(), *v)).collect(),
        tv: e.tv,
        content_weight: sp.weights.content,
        style_weight: sp.weights.style,
        tv_weight: sp.weights.tv,
        loss_scale: loss_scale.to_string(),
        grad_norm: p.grad_norm,
        seconds: sp.seconds,
        height: p.x.dim().1,
        width: p.x.dim().2,
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
