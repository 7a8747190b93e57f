//! The command line's checked settings: the raw values [`flags::lex`] gives
//! (by the one flag table) turned into typed, validated arguments per
//! subcommand. Hand-written to keep the binary's dependencies to the library's.

use crate::flags::{self, Cmd, Raw};
use neural_style::color::PreserveColors;
use neural_style::optim::lbfgs::DEFAULT_HISTORY;
use neural_style::optim::Optimizer;
use neural_style::transfer::{Config, Init};
use neural_style::{Pooling, Precision, Tap};
use std::path::{Path, PathBuf};

/// Everything the command line said.
#[derive(Default)]
pub struct Args {
    pub content: Option<PathBuf>,
    pub styles: Vec<PathBuf>,
    pub output: PathBuf,
    /// `--init` as given: a word or an image file ([`init_word`]).
    pub init: Option<String>,
    pub init_path: Option<PathBuf>,
    pub config: Config,
    pub pooling: Pooling,
    pub weights: Option<PathBuf>,
    pub normalized: bool,
    pub optimizer: String,
    pub history: usize,
    pub learning_rate: f32,
    pub threads: Option<usize>,
    pub precision: Precision,
    pub max_memory_mb: Option<u64>,
    pub print_every: usize,
    pub save_every: Option<usize>,
    pub trace: Option<PathBuf>,
    pub quiet: bool,
    /// Spatial control: one greyscale mask per style image, over the content.
    pub style_masks: Option<Vec<PathBuf>>,
    /// Masks over the style images themselves.
    pub style_image_masks: Option<Vec<PathBuf>>,
}

/// `batch`: the transfer flags (a template for every item) and its own.
pub struct BatchArgs {
    pub run: Box<Args>,
    /// The content images, folders expanded (image files by name).
    pub contents: Vec<PathBuf>,
    pub styles: Vec<PathBuf>,
    pub output_dir: PathBuf,
    /// Frames of a video: each follows the previous frame's result.
    pub sequence: bool,
    /// With `sequence`: along the optical flow, with the temporal loss.
    pub flow: bool,
    /// `(k, n)`: this worker's share of the items.
    pub shard: Option<(usize, usize)>,
    pub summary: Option<PathBuf>,
}

pub enum Command {
    Run(Box<Args>),
    Batch(BatchArgs),
    /// `calibrate`, `sheet`, `plot` or `flow`: read by [`crate::commands`].
    Tool(Cmd, Raw),
    /// Help for one subcommand, or for all (`None`).
    Help(Option<Cmd>),
    /// No arguments at all: the short usage, exit 2.
    Usage,
    Version,
}

/// A usage error: one line per problem, exit code 2.
pub struct Usage(pub String);

fn usage<T>(msg: impl Into<String>) -> Result<T, Usage> {
    Err(Usage(msg.into()))
}

/// The problems found so far: parsing goes on after one, so that every
/// mistake of a command line is reported at once.
#[derive(Default)]
pub struct Problems(pub Vec<String>);

impl Problems {
    /// `r`'s value, or `None` with its complaint kept.
    fn take<T>(&mut self, r: Result<T, Usage>) -> Option<T> {
        r.map_err(|u| self.0.push(u.0)).ok()
    }

    pub fn push(&mut self, msg: impl Into<String>) {
        self.0.push(msg.into());
    }

    /// The flag `name`'s value read by `parse`, if given; a complaint names it.
    pub fn read<T>(&mut self, raw: &Raw, name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        parse(raw.value(name)?).map_err(|e| self.push(format!("{name}: {e}"))).ok()
    }

    /// [`Problems::read`] of a flag `cmd` cannot do without.
    pub fn required<T>(&mut self, raw: &Raw, cmd: &str, name: &str, what: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        if !raw.has(name) {
            self.push(format!("{cmd}: {name} {what} is required"));
        }
        self.read(raw, name, parse)
    }

    /// Every problem as one usage error, if there is any.
    pub fn finish(self) -> Result<(), Usage> {
        match self.0.is_empty() {
            true => Ok(()),
            false => Err(Usage(self.0.join("\n"))),
        }
    }
}

/// `slot = r`, or `r`'s complaint: a flag's [`flags::Apply`].
pub fn set<T>(slot: &mut T, r: Result<T, String>) -> Result<(), String> {
    *slot = r?;
    Ok(())
}

pub fn number<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.trim().parse().map_err(|_| format!("'{v}' is not a valid number"))
}

pub fn list<T: std::str::FromStr>(v: &str) -> Result<Vec<T>, String> {
    v.split(',').map(number).collect()
}

pub fn positive(v: &str) -> Result<usize, String> {
    match number(v)? {
        0 => Err("must be at least 1".into()),
        n => Ok(n),
    }
}

/// A library setting read from its word (`avg`, `luminance`).
pub fn word<T: std::str::FromStr<Err = neural_style::Error>>(v: &str) -> Result<T, String> {
    v.parse().map_err(|e| match e {
        neural_style::Error::Invalid { reason, .. } => reason,
        e => e.to_string(),
    })
}

pub fn taps(v: &str) -> Result<Vec<Tap>, String> {
    Tap::parse_list(v).map_err(|e| e.to_string())
}

pub fn path(v: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(v))
}

pub fn paths(v: &str) -> Vec<PathBuf> {
    v.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect()
}

/// The start `--init` names: one of its words, or an image file that exists
/// (`Init::Auto` then, replaced by the loaded image).
fn init_word(v: &str, a: &Args) -> Result<Init, Usage> {
    const WORDS: [&str; 5] = ["noise", "content", "style", "random", "image"];
    match v {
        // jcjohnson/neural-style's words: "random" is noise, "image" the content.
        "noise" | "random" => Ok(Init::Noise),
        "content" | "image" if a.content.is_some() => Ok(Init::Content),
        "content" | "image" => usage(format!("--init {v}: needs --content")),
        "style" if !a.styles.is_empty() => Ok(Init::Style),
        "style" => usage("--init style: needs --style"),
        path if Path::new(path).is_file() => Ok(Init::Auto),
        other => {
            let near = neural_style::error::closest(other, WORDS.into_iter()).map(|w| format!("; did you mean {w}?")).unwrap_or_default();
            usage(format!("--init: expected noise, content, style or an image file; '{other}' is neither{near}"))
        }
    }
}

/// `-h` or `--help` anywhere (every subcommand too), or `help` as the first word.
fn asks_for_help(argv: &[String]) -> bool {
    argv.first().is_some_and(|a| a == "help") || argv.iter().any(|a| matches!(a.as_str(), "-h" | "--help"))
}

pub fn parse(argv: &[String]) -> Result<Command, Usage> {
    let sub = match argv.first().map(String::as_str) {
        Some("batch") => Some(Cmd::Batch),
        Some("calibrate") => Some(Cmd::Calibrate),
        Some("sheet") => Some(Cmd::Sheet),
        Some("plot") => Some(Cmd::Plot),
        Some("flow") => Some(Cmd::Flow),
        _ => None,
    };
    if asks_for_help(argv) {
        return Ok(Command::Help(sub));
    }
    if argv.iter().any(|a| a == "--version") {
        return Ok(Command::Version);
    }
    if argv.is_empty() {
        return Ok(Command::Usage);
    }
    let cmd = sub.unwrap_or(Cmd::Run);
    let raw = flags::lex(cmd, if sub.is_some() { &argv[1..] } else { argv });
    let mut problems = Problems(raw.errors.clone());
    let command = match cmd {
        Cmd::Run => parse_run(&raw, None, &mut problems).map(Command::Run),
        Cmd::Batch => parse_batch(&raw, &mut problems),
        tool => return Ok(Command::Tool(tool, raw)),
    };
    match command {
        Some(c) if problems.0.is_empty() => Ok(c),
        _ => Err(Usage(problems.0.join("\n"))),
    }
}

/// The inputs and output a batch fixes for the transfer flags' checks.
struct Preset {
    content: PathBuf,
    styles: Vec<PathBuf>,
    output: PathBuf,
}

/// The transfer flags. In a batch (`preset`) the images and the output come
/// from the batch's own flags. Every problem goes to `p`.
fn parse_run(raw: &Raw, preset: Option<Preset>, p: &mut Problems) -> Option<Box<Args>> {
    let mut a = Args {
        config: Config::default(),
        optimizer: "lbfgs".into(),
        history: DEFAULT_HISTORY,
        learning_rate: neural_style::optim::adam::DEFAULT_LEARNING_RATE,
        print_every: flags::DEFAULT_PRINT_EVERY,
        ..Default::default()
    };
    let batch = preset.is_some();
    if let Some(pre) = preset {
        (a.content, a.styles, a.output) = (Some(pre.content), pre.styles, pre.output);
    }
    // In the order given: a later value of a flag wins.
    for (flag, v) in raw.pairs() {
        if let Some(apply) = flag.apply {
            if let Err(e) = apply(&mut a, v.unwrap_or_default()) {
                p.push(format!("{}: {e}", flag.name));
            }
        }
    }
    // What is missing is worth saying only when no flag was misspelt.
    if !batch && !raw.has("--output") && raw.errors.is_empty() {
        p.push("--output: required (where to write the result; -o for short)");
    }
    if a.content.is_none() && a.styles.is_empty() && raw.errors.is_empty() {
        p.push("give --content, --style, or both (see --help)");
    }
    a.config.optimizer = match a.optimizer.as_str() {
        "lbfgs" => Optimizer::Lbfgs { history: a.history },
        "adam" => Optimizer::Adam { learning_rate: a.learning_rate },
        other => {
            p.push(format!("--optimizer: expected lbfgs or adam, got '{other}'"));
            Optimizer::default()
        }
    };
    if let Some(b) = a.config.style_blend.as_mut() {
        let sum: f32 = b.iter().sum();
        if b.len() != a.styles.len() {
            p.push(format!("--style-blend-weights: {} weights for {} style images", b.len(), a.styles.len()));
        } else if !(sum > 0.0 && b.iter().all(|w| w.is_finite() && *w >= 0.0)) {
            p.push("--style-blend-weights: finite weights >= 0, not all zero");
        } else {
            b.iter_mut().for_each(|w| *w /= sum);
        }
    }
    for (masks, flag) in [(&a.style_masks, "--style-masks"), (&a.style_image_masks, "--style-image-masks")] {
        if let Some(m) = masks.as_ref().filter(|m| m.len() != a.styles.len()) {
            p.push(format!("{flag}: {} masks for {} style images (one per style)", m.len(), a.styles.len()));
        }
    }
    if a.content.is_some() && a.styles.is_empty() && a.config.content_layers.is_empty() {
        p.push("--content-layers: content reconstruction needs at least one layer");
    }
    if a.content.is_none() && a.config.style_layers.is_empty() {
        p.push("--style-layers: texture synthesis needs at least one layer");
    }
    if let Some(v) = a.init.clone() {
        a.config.init = p.take(init_word(&v, &a)).unwrap_or_default();
        a.init_path = (a.config.init == Init::Auto).then(|| PathBuf::from(v)).filter(|p| p.is_file());
    }
    if a.config.preserve_colors != PreserveColors::None && (a.content.is_none() || a.styles.is_empty()) {
        p.push("--preserve-colors: needs both --content and --style");
    }
    // The masks are paths here; the library sees whether they are given.
    let mut given = a.config.clone();
    given.style_masks = a.style_masks.as_ref().map(|_| vec![ndarray::Array2::ones((1, 1))]);
    given.style_image_masks = a.style_image_masks.as_ref().map(|_| vec![ndarray::Array2::ones((1, 1))]);
    for e in given.problems() {
        p.push(crate::describe(&e));
    }
    Some(Box::new(a))
}

/// Image files by name: a folder's images sorted, a file as itself.
fn image_list(v: &str) -> Result<Vec<PathBuf>, String> {
    neural_style::image_io::images_of(&paths(v)).map_err(|e| e.to_string())
}

/// `K/N` (the library checks `K < N`).
fn shard(v: &str) -> Result<(usize, usize), String> {
    let bad = || format!("expected K/N with 0 <= K < N, got '{v}'");
    let (k, n) = v.split_once('/').ok_or_else(bad)?;
    Ok((number(k).map_err(|_| bad())?, number(n).map_err(|_| bad())?))
}

fn parse_batch(raw: &Raw, p: &mut Problems) -> Option<Command> {
    let contents = p.required(raw, "batch", "--contents", "DIR|FILE,...", image_list);
    let styles = p.required(raw, "batch", "--styles", "FILE,...", image_list);
    let output_dir = p.required(raw, "batch", "--output-dir", "DIR", path);
    let shard = p.read(raw, "--shard", shard);
    let (contents, styles, output_dir) = (contents?, styles?, output_dir?);
    let preset = Preset { content: contents[0].clone(), styles: vec![styles[0].clone()], output: output_dir.join("item.png") };
    let run = parse_run(raw, Some(preset), p)?;
    let (sequence, flow, summary) = (raw.has("--sequence"), !raw.has("--no-flow"), raw.value("--summary").map(PathBuf::from));
    if !sequence && (raw.has("--no-flow") || raw.has("--temporal-weight")) {
        p.push("batch: --no-flow and --temporal-weight apply to --sequence only");
    }
    Some(Command::Batch(BatchArgs { run, contents, styles, output_dir, sequence, flow, shard, summary }))
}
