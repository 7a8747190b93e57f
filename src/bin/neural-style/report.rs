//! How the binary words durations, the loss's shares and why a run stopped.

use neural_style::optim::StopReason;

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

/// Why a run stopped, in words (the optimiser's own text only where it says more).
pub fn stop_reason(stop: &StopReason) -> String {
    match stop {
        StopReason::Iterations => "the iterations asked for".into(),
        StopReason::Evaluations => "the evaluation cap (--max-evals)".into(),
        StopReason::Converged(_) => "converged: the line search found no lower loss".into(),
        StopReason::Stopped => "stopped as asked".into(),
        StopReason::NonFinite(why) => format!("non-finite values ({why})"),
    }
}
