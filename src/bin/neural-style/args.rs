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
    Version,
}

/// A usage error: printed as one line, exit code 2.
pub struct Usage(pub String);

fn usage<T>(msg: impl Into<String>) -> Result<T, Usage> {
    Err(Usage(msg.into()))
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, Usage> {
    v.trim().parse().or_else(|_| usage(format!("{flag}: '{v}' is not a valid number")))
}

fn finite(flag: &str, v: &str) -> Result<f32, Usage> {
    let x: f32 = number(flag, v)?;
    if !x.is_finite() || x < 0.0 {
        return usage(format!("{flag}: must be a finite number >= 0, got '{v}'"));
    }
    Ok(x)
}

fn list_f32(flag: &str, v: &str) -> Result<Vec<f32>, Usage> {
    v.split(',').map(|s| finite(flag, s)).collect()
}

fn positive(flag: &str, v: &str) -> Result<usize, Usage> {
    let n: usize = number(flag, v)?;
    if n == 0 {
        return usage(format!("{flag}: must be at least 1"));
    }
    Ok(n)
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

/// The flags of jcjohnson/neural-style and neural-style-pt, and what to use
/// here instead (matched with any number of leading dashes, `_` or `-`).
const PEER_FLAGS: [(&str, &str); 22] = [
    ("content-image", "did you mean --content?"),
    ("style-image", "did you mean --style?"),
    ("output-image", "did you mean --output?"),
    ("image-size", "did you mean --size?"),
    ("num-iterations", "did you mean --iterations?"),
    ("content-weight", "did you mean --content-weight?"),
    ("style-weight", "did you mean --style-weight?"),
    ("tv-weight", "did you mean --tv-weight?"),
    ("original-colors", "did you mean --preserve-colors luminance?"),
    ("init", "did you mean --init (content, noise, style or a file; 'image' and 'random' work too)?"),
    ("print-iter", "did you mean --print-every?"),
    ("save-iter", "did you mean --save-every?"),
    ("style-blend-weights", "did you mean --style-blend-weights?"),
    ("style-scale", "did you mean --style-scale?"),
    ("pooling", "did you mean --pooling?"),
    ("optimizer", "did you mean --optimizer?"),
    ("learning-rate", "did you mean --learning-rate?"),
    ("lbfgs-num-correction", "did you mean --lbfgs-history?"),
    ("seed", "did you mean --seed?"),
    ("content-layers", "did you mean --content-layers (relu4_2, ...)?"),
    ("gpu", "neural-style runs on the CPU: drop it (--threads N sets the threads)"),
    ("backend", "neural-style has its own engine: drop it"),
];

/// The hint for a peer's flag written the peer's way (`-content_image`,
/// `--image_size`), if `arg` is one.
fn peer_hint(arg: &str) -> Option<&'static str> {
    if !arg.starts_with('-') || arg.starts_with("--") && !arg.contains('_') {
        return None;
    }
    let name = arg.trim_start_matches('-').split('=').next().unwrap_or("").replace('_', "-");
    PEER_FLAGS.iter().find(|(peer, _)| *peer == name).map(|(_, hint)| *hint)
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
    if let Some((a, hint)) = argv.iter().find_map(|a| peer_hint(a).map(|h| (a, h))) {
        return usage(format!("{a}: {hint}"));
    }
    let cmd = sub.unwrap_or(Cmd::Run);
    let rest = if sub.is_some() { &argv[1..] } else { argv };
    let raw = flags::lex(cmd, rest).map_err(Usage)?;
    match cmd {
        Cmd::Run => parse_run(&raw, None).map(Command::Run),
        Cmd::Batch => parse_batch(&raw),
        Cmd::Calibrate => parse_calibrate(&raw),
        Cmd::Sheet => parse_sheet(&raw),
        Cmd::Plot => parse_plot(&raw),
    }
}

/// The inputs and output a batch fixes for the transfer flags' checks.
struct Preset {
    content: PathBuf,
    styles: Vec<PathBuf>,
    output: PathBuf,
}

/// The transfer flags. In a batch (`preset`) the images and the output come
/// from the batch's own flags, and `--content`, `--style`, `--output` are refused.
fn parse_run(raw: &Raw, preset: Option<Preset>) -> Result<Box<Args>, Usage> {
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
    let mut init: Option<String> = None;
    let mut history = DEFAULT_HISTORY;
    let mut lr = neural_style::optim::adam::DEFAULT_LEARNING_RATE;
    let mut optimizer = "lbfgs".to_string();
    let mut blend: Option<Vec<f32>> = None;
    if let Some(p) = preset {
        a.content = Some(p.content);
        a.styles = p.styles;
        output = Some(p.output);
    }
    // In the order given: a later value of a flag wins.
    for (k, v) in raw.pairs() {
        let v = v.unwrap_or_default();
        let c = &mut a.config;
        match k {
            "--content" => a.content = Some(PathBuf::from(v)),
            "--style" => a.styles = v.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect(),
            "--style-blend-weights" => blend = Some(list_f32(k, v)?),
            "--style-masks" => a.style_masks = Some(v.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect()),
            "--style-image-masks" => a.style_image_masks = Some(v.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect()),
            "--output" => output = Some(PathBuf::from(v)),
            "--size" => c.size = positive(k, v)?,
            "--style-scale" => c.style_scale = number(k, v)?,
            "--iterations" => c.iterations = number(k, v)?,
            "--max-evals" => c.max_evals = Some(positive(k, v)?),
            "--content-weight" => c.weights.content = Some(number(k, v)?),
            "--loss-scale" => c.loss_scale = word(k, v)?,
            "--style-weight" => c.weights.style = number(k, v)?,
            "--tv-weight" => c.weights.tv = number(k, v)?,
            "--content-layers" => c.content_layers = taps(k, v)?,
            "--style-layers" => c.style_layers = taps(k, v)?,
            "--style-layer-weights" => c.style_layer_weights = Some(list_f32(k, v)?),
            "--init" => init = Some(v.to_string()),
            "--seed" => c.seed = number(k, v)?,
            "--preserve-colors" => c.preserve_colors = word(k, v)?,
            "--pooling" => a.pooling = word(k, v)?,
            "--optimizer" => optimizer = v.to_string(),
            "--lbfgs-history" => history = positive(k, v)?,
            "--learning-rate" => lr = number(k, v)?,
            "--weights" => a.weights = Some(PathBuf::from(v)),
            "--normalized" => a.normalized = true,
            "--threads" => a.threads = Some(positive(k, v)?),
            "--max-memory" => a.max_memory_mb = Some(positive(k, v)? as u64),
            "--print-every" => a.print_every = positive(k, v)?,
            "--save-every" => a.save_every = Some(positive(k, v)?),
            "--trace" => a.trace = Some(PathBuf::from(v)),
            "--quiet" => a.quiet = true,
            "--scales" => c.scales = number(k, v)?,
            "--scale-iterations" => c.scale_iterations = Some(v.split(',').map(|x| number(k, x)).collect::<Result<_, _>>()?),
            // The batch's own flags, --help and --version: taken elsewhere.
            _ => {}
        }
    }
    a.output = output.ok_or_else(|| Usage("--output: required (where to write the result)".into()))?;
    if a.content.is_none() && a.styles.is_empty() {
        return usage("give --content, --style, or both (see --help)");
    }
    a.config.optimizer = match optimizer.as_str() {
        "lbfgs" => Optimizer::Lbfgs { history },
        "adam" => Optimizer::Adam { learning_rate: lr },
        _ => return usage(format!("--optimizer: expected lbfgs or adam, got '{optimizer}'")),
    };
    if let Some(b) = blend {
        if b.len() != a.styles.len() {
            return usage(format!("--style-blend-weights: {} weights for {} style images", b.len(), a.styles.len()));
        }
        let sum: f32 = b.iter().sum();
        if sum <= 0.0 {
            return usage("--style-blend-weights: the weights must not all be zero");
        }
        a.config.style_blend = Some(b.iter().map(|w| w / sum).collect());
    }
    match (&a.style_masks, &a.style_image_masks) {
        (None, Some(_)) => return usage("--style-image-masks: needs --style-masks"),
        (Some(m), _) if m.len() != a.styles.len() => {
            return usage(format!("--style-masks: {} masks for {} style images (one per style)", m.len(), a.styles.len()))
        }
        (_, Some(m)) if m.len() != a.styles.len() => {
            return usage(format!("--style-image-masks: {} masks for {} style images (one per style)", m.len(), a.styles.len()))
        }
        (Some(_), _) if a.config.style_blend.is_some() => {
            return usage("--style-blend-weights: does not apply with --style-masks (each region has its own style)")
        }
        _ => {}
    }
    if a.content.is_some() && a.styles.is_empty() && a.config.content_layers.is_empty() {
        return usage("--content-layers: content reconstruction needs at least one layer");
    }
    if a.content.is_none() && a.config.style_layers.is_empty() {
        return usage("--style-layers: texture synthesis needs at least one layer");
    }
    a.config.init = match init.as_deref() {
        // The library's choice (`Config::resolved`).
        None => Init::Auto,
        // jcjohnson/neural-style's words: "random" is noise, "image" the content.
        Some("noise" | "random") => Init::Noise,
        Some("content" | "image") if a.content.is_some() => Init::Content,
        Some(w @ ("content" | "image")) => return usage(format!("--init {w}: needs --content")),
        Some("style") if !a.styles.is_empty() => Init::Style,
        Some("style") => return usage("--init style: needs --style"),
        Some(path) => {
            a.init_path = Some(PathBuf::from(path));
            Init::Noise // replaced by the loaded image
        }
    };
    if a.config.preserve_colors != PreserveColors::None && (a.content.is_none() || a.styles.is_empty()) {
        return usage("--preserve-colors: needs both --content and --style");
    }
    a.config.validate().map_err(|e| Usage(crate::describe(&e)))?;
    Ok(Box::new(a))
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

fn parse_batch(raw: &Raw) -> Result<Command, Usage> {
    let required = |flag: &str, what: &str| raw.value(flag).ok_or_else(|| Usage(format!("batch: {flag} {what} is required")));
    let contents = image_list("--contents", required("--contents", "DIR|FILE,...")?)?;
    let styles = image_list("--styles", required("--styles", "FILE,...")?)?;
    let output_dir = PathBuf::from(required("--output-dir", "DIR")?);
    let shard = raw.value("--shard").map(shard).transpose()?;
    let preset = Preset { content: contents[0].clone(), styles: vec![styles[0].clone()], output: output_dir.join("item.png") };
    let run = parse_run(raw, Some(preset))?;
    let (sequence, summary) = (raw.has("--sequence"), raw.value("--summary").map(PathBuf::from));
    Ok(Command::Batch(BatchArgs { run, contents, styles, output_dir, sequence, shard, summary }))
}

fn parse_calibrate(raw: &Raw) -> Result<Command, Usage> {
    Ok(Command::Calibrate(CalibrateArgs {
        images: raw.value("--images").map(PathBuf::from).ok_or_else(|| Usage("calibrate: --images DIR is required".into()))?,
        output: raw.value("--output").map(PathBuf::from).ok_or_else(|| Usage("calibrate: --output PATH is required".into()))?,
        weights: raw.value("--weights").map(PathBuf::from),
        size: raw.value("--size").map_or(Ok(flags::DEFAULT_CALIBRATE_SIZE), |v| positive("--size", v))?,
        pooling: raw.value("--pooling").map_or(Ok(Pooling::Avg), |v| word("--pooling", v))?,
        exact: raw.has("--exact"),
    }))
}

fn parse_sheet(raw: &Raw) -> Result<Command, Usage> {
    let items: Vec<(PathBuf, String)> = raw
        .positionals
        .iter()
        .map(|a| match a.split_once('=') {
            Some((p, l)) => (PathBuf::from(p), l.to_string()),
            None => (PathBuf::from(a), Path::new(a).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()),
        })
        .collect();
    if items.is_empty() {
        return usage("sheet: give at least one IMAGE[=LABEL]");
    }
    Ok(Command::Sheet(SheetArgs {
        output: raw.value("--output").map(PathBuf::from).ok_or_else(|| Usage("sheet: --output is required".into()))?,
        cols: raw.value("--cols").map_or(Ok(flags::DEFAULT_SHEET_COLS), |v| positive("--cols", v))?,
        cell: raw.value("--cell").map(|v| positive("--cell", v)).transpose()?,
        items,
    }))
}

fn parse_plot(raw: &Raw) -> Result<Command, Usage> {
    Ok(Command::Plot(PlotArgs {
        trace: raw.value("--trace").map(PathBuf::from).ok_or_else(|| Usage("plot: --trace is required".into()))?,
        output: raw.value("--output").map(PathBuf::from).ok_or_else(|| Usage("plot: --output is required".into()))?,
        title: raw.value("--title").unwrap_or(flags::DEFAULT_PLOT_TITLE).to_string(),
    }))
}
