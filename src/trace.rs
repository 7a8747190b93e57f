//! The run's trace (`--trace`): one JSON object per evaluation and per line,
//! written and read here, so the writer and the readers (`plot`) cannot drift
//! apart. No serde: a [`Record`]'s fields are numbers and names.
//!
//! `loss = content_weight*content + style_weight*style + tv_weight*tv +
//! temporal_weight*temporal` holds on every line: the parts are the
//! objective's unweighted terms, the weights the literal ones in force (the
//! temporal ones 0 except for a video frame that follows another).

use crate::error::Error;
use crate::transfer::{LossScale, ScaledProgress};
use std::fmt::Write as _;

/// One evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The batch item (`[7/40] beach__starry`), if any.
    pub item: Option<String>,
    /// Counted over all scales of a coarse-to-fine run.
    pub eval: usize,
    /// Optimiser iterations completed before this evaluation.
    pub iteration: usize,
    /// The weighted loss.
    pub loss: f64,
    /// The literal content loss (before its weight).
    pub content: f64,
    /// The literal style loss (before its weight).
    pub style: f64,
    /// Each style layer's `E_l`, by tap name.
    pub style_layers: Vec<(String, f64)>,
    /// The literal total variation (before its weight).
    pub tv: f64,
    /// The temporal loss (before its weight; 0 without one).
    pub temporal: f64,
    /// The literal content weight in force.
    pub content_weight: f32,
    /// The literal style weight in force.
    pub style_weight: f32,
    /// The literal TV weight in force.
    pub tv_weight: f32,
    /// The temporal weight in force (0 without a temporal term).
    pub temporal_weight: f32,
    /// `mean` or `paper`.
    pub loss_scale: String,
    /// L2 norm of the gradient.
    pub grad_norm: f64,
    /// Seconds since the run started.
    pub seconds: f64,
    /// The image's height at this scale.
    pub height: usize,
    /// The image's width at this scale.
    pub width: usize,
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

/// One JSON object written field by field, in order: the trace's records and
/// the batch's summary lines.
pub struct JsonObject(String);

impl JsonObject {
    /// `{`.
    pub fn new() -> Self {
        JsonObject(String::from("{"))
    }

    fn key(&mut self, k: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        let _ = write!(self.0, "\"{}\":", escape(k));
        &mut self.0
    }

    /// A string field.
    pub fn string(&mut self, k: &str, v: &str) -> &mut Self {
        let _ = write!(self.key(k), "\"{}\"", escape(v));
        self
    }

    /// A number field (`null` if not finite).
    pub fn number(&mut self, k: &str, v: f64) -> &mut Self {
        let text = num(v);
        self.key(k).push_str(&text);
        self
    }

    /// An f32 setting as the user wrote it (`1e-3`, not its f64 widening).
    pub fn setting(&mut self, k: &str, v: f32) -> &mut Self {
        let text = num32(v);
        self.key(k).push_str(&text);
        self
    }

    /// A whole number field.
    pub fn count(&mut self, k: &str, v: usize) -> &mut Self {
        let _ = write!(self.key(k), "{v}");
        self
    }

    /// A field `null`.
    pub fn null(&mut self, k: &str) -> &mut Self {
        self.key(k).push_str("null");
        self
    }

    /// A field whose value is JSON already (a nested object).
    pub fn raw(&mut self, k: &str, json: &str) -> &mut Self {
        self.key(k).push_str(json);
        self
    }

    /// The object's text.
    pub fn finish(&self) -> String {
        format!("{}}}", self.0)
    }
}

impl Default for JsonObject {
    fn default() -> Self {
        Self::new()
    }
}

impl Record {
    /// The record of one evaluation of a (coarse-to-fine) run, counted over all
    /// its scales; `item` names the batch item, if any.
    pub fn of(sp: &ScaledProgress, loss_scale: LossScale, item: Option<&str>) -> Record {
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
            temporal: e.temporal,
            content_weight: sp.weights.content,
            style_weight: sp.weights.style,
            tv_weight: sp.weights.tv,
            temporal_weight: sp.prepared.objective.temporal.as_ref().map_or(0.0, |t| t.weight),
            loss_scale: loss_scale.name().to_string(),
            grad_norm: p.grad_norm,
            seconds: sp.seconds,
            height: p.x.dim().1,
            width: p.x.dim().2,
        }
    }

    /// The JSON line (without the newline).
    pub fn to_json(&self) -> String {
        let mut o = JsonObject::new();
        if let Some(i) = &self.item {
            o.string("item", i);
        }
        let mut layers = JsonObject::new();
        for (k, v) in &self.style_layers {
            layers.number(k, *v);
        }
        o.count("eval", self.eval).count("iteration", self.iteration);
        o.number("loss", self.loss).number("content", self.content).number("style", self.style);
        o.raw("style_layers", &layers.finish()).number("tv", self.tv).number("temporal", self.temporal);
        o.setting("content_weight", self.content_weight).setting("style_weight", self.style_weight).setting("tv_weight", self.tv_weight);
        o.setting("temporal_weight", self.temporal_weight);
        o.string("loss_scale", &self.loss_scale).number("grad_norm", self.grad_norm).number("seconds", self.seconds);
        o.count("height", self.height).count("width", self.width);
        o.finish()
    }

    /// Reads one line. `eval` and `loss` are required (traces of older versions
    /// lack some fields: those read as NaN or 0); unknown fields are ignored;
    /// `null` numbers read as NaN.
    pub fn parse(line: &str) -> Result<Record, Error> {
        let bad = |m: String| Error::Config(format!("trace: {m}"));
        let mut p = Parser { s: line.as_bytes(), i: 0 };
        let Value::Object(fields) = p.value().map_err(bad)? else {
            return Err(bad("a line is not a JSON object".into()));
        };
        p.ws();
        if p.i != p.s.len() {
            return Err(bad("text after the object".into()));
        }
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
        let number = |k: &str| -> Result<f64, Error> {
            match get(k) {
                Some(Value::Number(v)) => Ok(*v),
                Some(Value::Null) => Ok(f64::NAN),
                Some(_) => Err(bad(format!("\"{k}\" is not a number"))),
                None => Err(bad(format!("no \"{k}\""))),
            }
        };
        let count = |k: &str| -> Result<usize, Error> {
            let v = number(k)?;
            if v.fract() == 0.0 && v >= 0.0 {
                Ok(v as usize)
            } else {
                Err(bad(format!("\"{k}\" is not a count")))
            }
        };
        let string = |k: &str| match get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let style_layers = match get("style_layers") {
            Some(Value::Object(o)) => o
                .iter()
                .map(|(k, v)| match v {
                    Value::Number(x) => Ok((k.clone(), *x)),
                    Value::Null => Ok((k.clone(), f64::NAN)),
                    _ => Err(bad(format!("style layer \"{k}\" is not a number"))),
                })
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        Ok(Record {
            item: string("item"),
            eval: count("eval")?,
            iteration: count("iteration").unwrap_or(0),
            loss: number("loss")?,
            content: number("content").unwrap_or(f64::NAN),
            style: number("style").unwrap_or(f64::NAN),
            style_layers,
            tv: number("tv").unwrap_or(f64::NAN),
            temporal: number("temporal").unwrap_or(0.0),
            content_weight: number("content_weight").unwrap_or(f64::NAN) as f32,
            style_weight: number("style_weight").unwrap_or(f64::NAN) as f32,
            tv_weight: number("tv_weight").unwrap_or(f64::NAN) as f32,
            temporal_weight: number("temporal_weight").unwrap_or(0.0) as f32,
            loss_scale: string("loss_scale").unwrap_or_default(),
            grad_norm: number("grad_norm").unwrap_or(f64::NAN),
            seconds: number("seconds").unwrap_or(f64::NAN),
            height: count("height").unwrap_or(0),
            width: count("width").unwrap_or(0),
        })
    }
}

/// Every record of a trace file's text (blank lines skipped); errors name the line.
pub fn read(text: &str) -> Result<Vec<Record>, Error> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| Record::parse(l).map_err(|e| Error::Trace { line: n + 1, reason: e.to_string() }))
        .collect()
}

/// The JSON values a trace line holds.
enum Value {
    Null,
    Number(f64),
    String(String),
    Object(Vec<(String, Value)>),
}

/// A small JSON reader for the trace's objects: objects, strings, numbers,
/// null, true/false (read as 1/0); no arrays.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.i))
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Value::Object(fields));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.eat(b':')?;
                    fields.push((key, self.value()?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::Object(fields));
                        }
                        _ => return Err(format!("expected ',' or '}}' at byte {}", self.i)),
                    }
                }
            }
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'n') => self.word("null", Value::Null),
            Some(b't') => self.word("true", Value::Number(1.0)),
            Some(b'f') => self.word("false", Value::Number(0.0)),
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len() && matches!(self.s[self.i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                text.parse().map(Value::Number).map_err(|_| format!("'{text}' at byte {start} is not a number"))
            }
            None => Err("unexpected end of line".into()),
        }
    }

    fn word(&mut self, w: &str, v: Value) -> Result<Value, String> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(format!("unexpected text at byte {}", self.i))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if self.s.get(self.i) != Some(&b'"') {
            return Err(format!("expected a string at byte {}", self.i));
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.s.len() && !matches!(self.s[self.i], b'"' | b'\\') {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).map_err(|_| "invalid UTF-8".to_string())?);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let e = *self.s.get(self.i + 1).ok_or("unfinished escape")?;
                    self.i += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'u' => {
                            let hex = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
                            let code = u32::from_str_radix(std::str::from_utf8(hex).unwrap_or("x"), 16).map_err(|_| "bad \\u escape")?;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            self.i += 4;
                        }
                        _ => return Err(format!("unknown escape at byte {}", self.i - 1)),
                    }
                }
                _ => return Err("unterminated string".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            item: Some("[2/6] a \"quoted\" \\ name\t".into()),
            eval: 7,
            iteration: 6,
            loss: 1.2345678901234e7,
            content: 3.5e9,
            style: 2.25e5,
            style_layers: vec![("relu1_1".into(), 1.5e3), ("relu5_1".into(), f64::NAN)],
            tv: 0.0,
            temporal: 12.5,
            content_weight: 2e-4,
            style_weight: 1.0,
            tv_weight: 1e-3,
            temporal_weight: 0.5,
            loss_scale: "mean".into(),
            grad_norm: 0.125,
            seconds: 12.5,
            height: 384,
            width: 512,
        }
    }

    #[test]
    fn strings_are_escaped_as_strict_json_asks() {
        // Quotes, backslashes and every control character below U+0020 escaped
        // (a strict reader, Python's `json.loads` among them, refuses them raw);
        // the space and everything above it kept.
        assert_eq!(escape("a \"b\" \\ c"), "a \\\"b\\\" \\\\ c");
        assert_eq!(escape("\t\n\u{0}\u{1f}"), "\\u0009\\u000a\\u0000\\u001f");
        assert_eq!(escape(" ~\u{7f}é"), " ~\u{7f}é");
    }

    #[test]
    fn every_json_escape_is_read() {
        // Traces written by other programs may use any of JSON's escapes.
        let fields = r#""eval":1,"iteration":0,"loss":1,"content":0,"style":0,"tv":0,"content_weight":1,"style_weight":1,"tv_weight":0"#;
        let item = Record::parse(&format!(r#"{{{fields},"item":"q\" b\\ s\/ n\n t\t r\r b\b f\f u\u00e9\u0041"}}"#)).unwrap().item;
        assert_eq!(item.as_deref(), Some("q\" b\\ s/ n\n t\t r\r b\u{8} f\u{c} uéA"));
        assert!(Record::parse(r#"{"eval":1,"item":"\x"}"#).unwrap_err().to_string().contains("unknown escape"));
    }

    #[test]
    fn an_object_is_its_fields_in_order() {
        let text = JsonObject::new()
            .string("name", "x\"y")
            .count("n", 3)
            .number("v", 0.5)
            .number("bad", f64::NAN)
            .null("none")
            .raw("o", "{\"k\":1}")
            .setting("w", 1e-3)
            .finish();
        assert_eq!(text, r#"{"name":"x\"y","n":3,"v":5e-1,"bad":null,"none":null,"o":{"k":1},"w":1e-3}"#);
        assert_eq!(JsonObject::new().finish(), "{}");
    }

    #[test]
    fn an_empty_object_is_read_where_it_stands() {
        // A run without style terms traces its layers as `{}`.
        let line = r#"{"eval":2,"iteration":1,"loss":3,"content":3,"style":0,"style_layers":{},"tv":0,"content_weight":1,"style_weight":1,"tv_weight":0}"#;
        let r = Record::parse(line).unwrap();
        assert_eq!((r.eval, r.iteration, r.style_layers.len(), r.tv_weight), (2, 1, 0, 0.0));
        // An empty line object is read whole: what it lacks is what is reported.
        let e = Record::parse("{ }").unwrap_err().to_string();
        assert!(e.contains("no \"eval\""), "{e}");
    }

    #[test]
    fn a_line_cut_short_is_an_error_not_a_panic() {
        // What a run killed while writing leaves: the line ends inside a value.
        for cut in [r#"{"eval":1,"loss":12"#, r#"{"eval":1,"loss":1.5e"#, "12", r#"{"eval":1,"item":"a"#, r#"{"eval":"#] {
            assert!(Record::parse(cut).is_err(), "{cut}");
        }
    }

    #[test]
    fn records_round_trip() {
        let r = record();
        let line = r.to_json();
        let back = Record::parse(&line).unwrap();
        // NaN is written as null and read back as NaN.
        assert!(back.style_layers[1].1.is_nan());
        let mut r2 = r.clone();
        r2.style_layers[1].1 = 0.0;
        let mut b2 = back.clone();
        b2.style_layers[1].1 = 0.0;
        assert_eq!(b2, r2, "{line}");
        assert_eq!(back.content_weight.to_bits(), 2e-4f32.to_bits(), "f32 settings come back exactly");
        let none = Record { item: None, ..r };
        assert_eq!(Record::parse(&none.to_json()).unwrap().item, None);
    }

    #[test]
    fn spacing_and_order_do_not_matter_and_damage_is_named() {
        let line = r#"{ "eval": 1, "iteration" : 0, "loss":1e3, "content":1, "style":2,"tv":0, "style_layers": {"relu1_1": 5},
            "content_weight":1,"style_weight":1,"tv_weight":0, "extra": "ignored"}"#
            .replace('\n', " ");
        let r = Record::parse(&line).unwrap();
        assert_eq!((r.eval, r.loss, r.style_layers.len()), (1, 1e3, 1));
        assert!(Record::parse(r#"{"eval":1}"#).unwrap_err().to_string().contains("loss"));
        assert!(Record::parse(r#"{"eval":1.5,"loss":0}"#).is_err());
        assert!(Record::parse(r#"{"eval":1,"loss":"x"}"#).is_err());
        assert!(Record::parse("[1,2]").is_err());
        assert!(Record::parse(r#"{"eval":1} x"#).is_err());
        let e = read("\n{\"eval\":1,\"iteration\":0,\"loss\":1,\"content\":1,\"style\":1,\"tv\":0,\"content_weight\":1,\"style_weight\":1,\"tv_weight\":0}\n{oops\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }
}
