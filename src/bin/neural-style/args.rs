//! The command line's checked settings: the raw values [`flags::lex`] gives
//! (by the one flag table) turned into typed, validated arguments per
//! subcommand. Hand-written to keep the binary's dependencies to the library's.

use crate::flags::{self, Cmd, Raw};
use neural_style::color::PreserveColors;
use neural_style::optim::lbfgs::DEFAULT_HISTORY;
use neural_style::optim::Optimizer;
use neural_style::transfer::{Config, Init};
use neural_style::{Pooling, Tap};
use std::path::{Path, PathBuf};

/// Everything the command line said.
pub struct Args {
    pub content: Option<PathBuf>,
    pub styles: Vec<PathBuf>,
    pub output: PathBuf,
    pub init_path: Option<PathBuf>,
    pub config: Config,
    pub pooling: Pooling,
    pub weights: Option<PathBuf>,
    pub normalized: bool,
    pub threads: Option<usize>,
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

pub struct CalibrateArgs {
    pub images: PathBuf,
    pub output: PathBuf,
    pub weights: Option<PathBuf>,
    pub size: usize,
    pub pooling: Pooling,
    /// The f64 reference path, writing a scales file (same bytes on any machine).
    pub exact: bool,
}

pub struct SheetArgs {
    pub output: PathBuf,
    pub cols: usize,
    /// Longest side of each picture in the sheet, if resampled.
    pub cell: Option<usize>,
    pub items: Vec<(PathBuf, String)>,
}

pub struct PlotArgs {
    pub trace: PathBuf,
    pub output: PathBuf,
    pub title: String,
}

/// `batch`: the transfer flags (a template for every item) and its own.
pub struct BatchArgs {
    pub run: Box<Args>,
    /// The content images, folders expanded (image files by name).
    pub contents: Vec<PathBuf>,
    pub styles: Vec<PathBuf>,
    pub output_dir: PathBuf,
    /// Frames of a video: each starts from the previous frame's result.
    pub sequence: bool,
    /// `(k, n)`: this worker's share of the items.
    pub shard: Option<(usize, usize)>,
    pub summary: Option<PathBuf>,
}

pub enum Command {
    Run(Box<Args>),
    Batch(BatchArgs),
    Calibrate(CalibrateArgs),
    Sheet(SheetArgs),
    Plot(PlotArgs),
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
struct Problems(Vec<String>);

impl Problems {
    /// `r`'s value, or `None` with its complaint kept.
    fn take<T>(&mut self, r: Result<T, Usage>) -> Option<T> {
        r.map_err(|u| self.0.push(u.0)).ok()
    }

    /// Sets `slot` to `r`'s value, or keeps its complaint.
    fn set<T>(&mut self, slot: &mut T, r: Result<T, Usage>) {
        if let Some(v) = self.take(r) {
            *slot = v;
        }
    }

    fn push(&mut self, msg: impl Into<String>) {
        self.0.push(msg.into());
    }
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, Usage> {
    v.trim().parse().or_else(|_| usage(format!("{flag}: '{v}' is not a valid number")))
}

fn list<T: std::str::FromStr>(flag: &str, v: &str) -> Result<Vec<T>, Usage> {
    v.split(',').map(|s| number(flag, s)).collect()
}

fn positive(flag: &str, v: &str) -> Result<usize, Usage> {
    match number(flag, v)? {
        0 => usage(format!("{flag}: must be at least 1")),
        n => Ok(n),
    }
}

/// A library setting read from its word (`avg`, `luminance`), complaints naming `flag`.
fn word<T: std::str::FromStr<Err = neural_style::Error>>(flag: &str, v: &str) -> Result<T, Usage> {
    v.parse().map_err(|e| match e {
        neural_style::Error::Invalid { reason, .. } => Usage(format!("{flag}: {reason}")),
        e => Usage(format!("{flag}: {e}")),
    })
}

fn taps(flag: &str, v: &str) -> Result<Vec<Tap>, Usage> {
    Tap::parse_list(v).map_err(|e| Usage(format!("{flag}: {e}")))
}

fn paths(v: &str) -> Vec<PathBuf> {
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
        Cmd::Calibrate => parse_calibrate(&raw, &mut problems),
        Cmd::Sheet => parse_sheet(&raw, &mut problems),
        Cmd::Plot => parse_plot(&raw, &mut problems),
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
        content: None,
        styles: Vec::new(),
        output: PathBuf::new(),
        init_path: None,
        config: Config::default(),
        pooling: Pooling::Avg,
        weights: None,
        normalized: false,
        threads: None,
        max_memory_mb: None,
        print_every: flags::DEFAULT_PRINT_EVERY,
        save_every: None,
        trace: None,
        quiet: false,
        style_masks: None,
        style_image_masks: None,
    };
    let mut output = None;
    let mut init: Option<&str> = None;
    let (mut history, mut lr) = (DEFAULT_HISTORY, neural_style::optim::adam::DEFAULT_LEARNING_RATE);
    let mut optimizer = "lbfgs";
    let mut blend: Option<Vec<f32>> = None;
    if let Some(pre) = preset {
        (a.content, a.styles, output) = (Some(pre.content), pre.styles, Some(pre.output));
    }
    // In the order given: a later value of a flag wins.
    for (k, v) in raw.pairs() {
        let v = v.unwrap_or_default();
        let c = &mut a.config;
        match k {
            "--content" => a.content = Some(PathBuf::from(v)),
            "--style" => a.styles = paths(v),
            "--style-blend-weights" => blend = p.take(list(k, v)),
            "--style-masks" => a.style_masks = Some(paths(v)),
            "--style-image-masks" => a.style_image_masks = Some(paths(v)),
            "--output" => output = Some(PathBuf::from(v)),
            "--size" => p.set(&mut c.size, positive(k, v)),
            "--style-scale" => p.set(&mut c.style_scale, number(k, v)),
            "--iterations" => p.set(&mut c.iterations, number(k, v)),
            "--max-evals" => c.max_evals = p.take(positive(k, v)),
            "--content-weight" => c.weights.content = p.take(number(k, v)),
            "--loss-scale" => p.set(&mut c.loss_scale, word(k, v)),
            "--style-weight" => p.set(&mut c.weights.style, number(k, v)),
            "--tv-weight" => p.set(&mut c.weights.tv, number(k, v)),
            "--content-layers" => p.set(&mut c.content_layers, taps(k, v)),
            "--style-layers" => p.set(&mut c.style_layers, taps(k, v)),
            "--style-layer-weights" => c.style_layer_weights = p.take(list(k, v)),
            "--init" => init = Some(v),
            "--seed" => p.set(&mut c.seed, number(k, v)),
            "--preserve-colors" => p.set(&mut c.preserve_colors, word(k, v)),
            "--pooling" => p.set(&mut a.pooling, word(k, v)),
            "--optimizer" => optimizer = v,
            "--lbfgs-history" => p.set(&mut history, number(k, v)),
            "--learning-rate" => p.set(&mut lr, number(k, v)),
            "--weights" => a.weights = Some(PathBuf::from(v)),
            "--normalized" => a.normalized = true,
            "--threads" => a.threads = p.take(positive(k, v)),
            "--max-memory" => a.max_memory_mb = p.take(positive(k, v)).map(|mb| mb as u64),
            "--print-every" => p.set(&mut a.print_every, positive(k, v)),
            "--save-every" => a.save_every = p.take(positive(k, v)),
            "--trace" => a.trace = Some(PathBuf::from(v)),
            "--quiet" => a.quiet = true,
            "--scales" => c.scales = p.take(number(k, v)),
            "--start-size" => p.set(&mut c.start_size, positive(k, v)),
            "--scale-iterations" => c.scale_iterations = p.take(list(k, v)),
            // The batch's own flags, --help and --version: taken elsewhere.
            _ => {}
        }
    }
    // What is missing is worth saying only when no flag was misspelt.
    match output {
        Some(o) => a.output = o,
        None if raw.errors.is_empty() => p.push("--output: required (where to write the result; -o for short)"),
        None => {}
    }
    if a.content.is_none() && a.styles.is_empty() && raw.errors.is_empty() {
        p.push("give --content, --style, or both (see --help)");
    }
    a.config.optimizer = match optimizer {
        "lbfgs" => Optimizer::Lbfgs { history },
        "adam" => Optimizer::Adam { learning_rate: lr },
        _ => {
            p.push(format!("--optimizer: expected lbfgs or adam, got '{optimizer}'"));
            Optimizer::default()
        }
    };
    if let Some(b) = blend {
        let sum: f32 = b.iter().sum();
        if b.len() != a.styles.len() {
            p.push(format!("--style-blend-weights: {} weights for {} style images", b.len(), a.styles.len()));
        } else if !(sum > 0.0 && b.iter().all(|w| w.is_finite() && *w >= 0.0)) {
            p.push("--style-blend-weights: finite weights >= 0, not all zero");
        } else {
            a.config.style_blend = Some(b.iter().map(|w| w / sum).collect());
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
    if let Some(v) = init {
        a.config.init = p.take(init_word(v, &a)).unwrap_or_default();
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

/// Image files by name: a folder's `.png`/`.jpg`/`.jpeg` files sorted, a file as
/// itself. Missing, unreadable or empty entries are usage errors.
fn image_list(flag: &str, v: &str) -> Result<Vec<PathBuf>, Usage> {
    let mut out = Vec::new();
    for entry in v.split(',').filter(|s| !s.is_empty()) {
        let path = PathBuf::from(entry);
        if path.is_dir() {
            let files = neural_style::image_io::images_in(&path).map_err(|e| Usage(format!("{flag}: {e}")))?;
            if files.is_empty() {
                return usage(format!("{flag}: {entry}: no .png or .jpg files in this folder"));
            }
            out.extend(files);
        } else if let Err(e) = std::fs::File::open(&path) {
            return usage(format!("{flag}: {entry}: {e}"));
        } else {
            out.push(path);
        }
    }
    if out.is_empty() {
        return usage(format!("{flag}: no images given"));
    }
    Ok(out)
}

/// `K/N` with `0 <= K < N`.
fn shard(v: &str) -> Result<(usize, usize), Usage> {
    let bad = || Usage(format!("--shard: expected K/N with 0 <= K < N, got '{v}'"));
    let (k, n) = v.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if k >= n {
        return Err(bad());
    }
    Ok((k, n))
}

fn parse_batch(raw: &Raw, p: &mut Problems) -> Option<Command> {
    let mut required = |flag: &str, what: &str| {
        let v = raw.value(flag);
        if v.is_none() {
            p.push(format!("batch: {flag} {what} is required"));
        }
        v
    };
    let (contents, styles, output_dir) =
        (required("--contents", "DIR|FILE,..."), required("--styles", "FILE,..."), required("--output-dir", "DIR"));
    let contents = contents.and_then(|v| p.take(image_list("--contents", v)));
    let styles = styles.and_then(|v| p.take(image_list("--styles", v)));
    let shard = raw.value("--shard").and_then(|v| p.take(shard(v)));
    let (contents, styles, output_dir) = (contents?, styles?, PathBuf::from(output_dir?));
    let preset = Preset { content: contents[0].clone(), styles: vec![styles[0].clone()], output: output_dir.join("item.png") };
    let run = parse_run(raw, Some(preset), p)?;
    let (sequence, summary) = (raw.has("--sequence"), raw.value("--summary").map(PathBuf::from));
    Some(Command::Batch(BatchArgs { run, contents, styles, output_dir, sequence, shard, summary }))
}

/// The value of the required flag `flag` of subcommand `cmd`.
fn required(raw: &Raw, cmd: &str, flag: &str, what: &str, p: &mut Problems) -> Option<PathBuf> {
    let v = raw.value(flag).map(PathBuf::from);
    if v.is_none() {
        p.push(format!("{cmd}: {flag} {what} is required"));
    }
    v
}

fn parse_calibrate(raw: &Raw, p: &mut Problems) -> Option<Command> {
    let images = required(raw, "calibrate", "--images", "DIR", p);
    let output = required(raw, "calibrate", "--output", "PATH", p);
    let mut c = CalibrateArgs {
        images: images.unwrap_or_default(),
        output: output.unwrap_or_default(),
        weights: raw.value("--weights").map(PathBuf::from),
        size: flags::DEFAULT_CALIBRATE_SIZE,
        pooling: Pooling::Avg,
        exact: raw.has("--exact"),
    };
    if let Some(v) = raw.value("--size") {
        p.set(&mut c.size, positive("--size", v));
    }
    if let Some(v) = raw.value("--pooling") {
        p.set(&mut c.pooling, word("--pooling", v));
    }
    Some(Command::Calibrate(c))
}

fn parse_sheet(raw: &Raw, p: &mut Problems) -> Option<Command> {
    let stem = |a: &str| Path::new(a).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let items: Vec<(PathBuf, String)> = raw
        .positionals
        .iter()
        .map(|a| match a.split_once('=') {
            Some((path, label)) => (PathBuf::from(path), label.to_string()),
            None => (PathBuf::from(a), stem(a)),
        })
        .collect();
    if items.is_empty() {
        p.push("sheet: give at least one IMAGE[=LABEL]");
    }
    let output = required(raw, "sheet", "--output", "PATH", p).unwrap_or_default();
    let mut c = SheetArgs { output, cols: flags::DEFAULT_SHEET_COLS, cell: None, items };
    if let Some(v) = raw.value("--cols") {
        p.set(&mut c.cols, positive("--cols", v));
    }
    c.cell = raw.value("--cell").and_then(|v| p.take(positive("--cell", v)));
    Some(Command::Sheet(c))
}

fn parse_plot(raw: &Raw, p: &mut Problems) -> Option<Command> {
    Some(Command::Plot(PlotArgs {
        trace: required(raw, "plot", "--trace", "PATH", p).unwrap_or_default(),
        output: required(raw, "plot", "--output", "PATH", p).unwrap_or_default(),
        title: raw.value("--title").unwrap_or(flags::DEFAULT_PLOT_TITLE).to_string(),
    }))
}
