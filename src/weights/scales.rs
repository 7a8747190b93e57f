//! The normalisation scales as text: one line per layer, its name, its number
//! of filters and each filter's mean activation (shortest round-trip f32).
//! `weights/vgg19.scales` holds the shipped VGG19's, made by
//! `neural-style calibrate --exact` (see `weights/README.md`).

use super::WeightsFile;
use crate::error::Error;

/// The shipped VGG19's scales, embedded like its weights.
pub static SHIPPED_SCALES: &str = include_str!("../../weights/vgg19.scales");

/// `# comment` lines, then `conv1_1 64 v1 v2 ...` per layer with scales.
pub fn to_text(weights: &WeightsFile, comment: &str) -> String {
    let mut out = String::new();
    for line in comment.lines() {
        out.push_str(&format!("# {line}\n"));
    }
    for rec in &weights.layers {
        if let Some(s) = &rec.scales {
            out.push_str(&format!("{} {}", rec.name, s.len()));
            for v in s {
                out.push_str(&format!(" {v:e}"));
            }
            out.push('\n');
        }
    }
    out
}

/// Layer names and their scales, in file order.
pub fn parse(text: &str) -> Result<Vec<(String, Vec<f32>)>, Error> {
    let bad = |n: usize, m: String| Error::Weights(format!("scales line {}: {m}", n + 1));
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let name = parts.next().unwrap_or_default().to_string();
        let count: usize = parts.next().and_then(|c| c.parse().ok()).ok_or_else(|| bad(n, "expected NAME COUNT VALUES...".into()))?;
        let values =
            parts.map(|v| v.parse::<f32>().map_err(|_| bad(n, format!("'{v}' is not a number")))).collect::<Result<Vec<f32>, _>>()?;
        if values.len() != count {
            return Err(bad(n, format!("{name}: {count} filters announced, {} values", values.len())));
        }
        if let Some(v) = values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(bad(n, format!("{name}: scale {v} is not a positive number")));
        }
        out.push((name, values));
    }
    Ok(out)
}

impl WeightsFile {
    /// Stores parsed scales in the layers they name (each layer at most once,
    /// with one scale per filter).
    pub fn set_scales(&mut self, scales: &[(String, Vec<f32>)]) -> Result<(), Error> {
        for (name, values) in scales {
            let rec = self
                .layers
                .iter_mut()
                .find(|r| &r.name == name)
                .ok_or_else(|| Error::Weights(format!("scales for unknown layer {name}")))?;
            if values.len() != rec.shape[0] {
                return Err(Error::Weights(format!("{name} has {} filters but {} scales", rec.shape[0], values.len())));
            }
            rec.scales = Some(values.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_damage_is_refused() {
        let mut f = crate::weights::shipped();
        for (i, rec) in f.layers.iter_mut().enumerate() {
            rec.scales = Some((0..rec.shape[0]).map(|k| 1.0 + (i * 1000 + k) as f32 / 7.0).collect());
        }
        let text = to_text(&f, "made by a test");
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.len(), 16);
        let mut g = crate::weights::shipped();
        g.set_scales(&parsed).unwrap();
        for (a, b) in f.layers.iter().zip(&g.layers) {
            assert_eq!(a.scales, b.scales, "{}", a.name);
        }
        assert!(text.starts_with("# made by a test\nconv1_1 64 1e0 1.1428572e0 "), "{}", &text[..60]);
        // Comments and blank lines are skipped; a layer without scales is not written.
        assert_eq!(parse("# a\n\n   \n  conv1_1 2 1 2.5  \n").unwrap(), [("conv1_1".to_string(), vec![1.0, 2.5])]);
        g.layers[3].scales = None;
        assert_eq!(parse(&to_text(&g, "")).unwrap().len(), 15);
        for bad in ["conv1_1\n", "conv1_1 x 1\n", "conv1_1 1 0\n", "conv1_1 1 inf\n", "conv1_1 1 NaN\n"] {
            let e = parse(&format!("# ok\nconv1_1 1 1\n{bad}")).unwrap_err().to_string();
            assert!(e.contains("scales line 3"), "{bad:?}: {e}");
        }
        assert!(parse("conv1_1 2 1.0\n").is_err(), "count mismatch");
        assert!(parse("conv1_1 1 -1.0\n").is_err(), "negative");
        assert!(parse("conv1_1 1 x\n").is_err(), "not a number");
        assert!(g.set_scales(&[("conv9_9".into(), vec![1.0])]).is_err());
        assert!(g.set_scales(&[("conv1_1".into(), vec![1.0; 3])]).is_err());
    }
}
