//! The command line: flags, their defaults, and their checks. Hand-written to
//! keep the binary's dependencies to the library's.

use neural_style::color::{Histogram, PreserveColors};
use neural_style::optim::lbfgs::DEFAULT_HISTORY;
use neural_style::transfer::{Config, Init, LossScale, Optimizer};
use neural_style::{Pooling, Tap};
use std::path::{Path, PathBuf};

pub const HELP: &str = "\
neural-style: paint a photograph in the style of a painting (Gatys, Ecker & Bethge, CVPR 2016), on the CPU, offline.

USAGE
  neural-style --content PHOTO --style PAINTING[,PAINTING...] --output OUT.png [options]
  neural-style --content PHOTO --output OUT.png [options]       content reconstruction
  neural-style --style PAINTING --output OUT.png [options]      texture synthesis
  neural-style calibrate --images DIR --output WEIGHTS.nsw [--weights PATH] [--size N]
  neural-style calibrate --exact --images DIR --output SCALES [--size N]   the shipped scales
  neural-style sheet --output SHEET.png [--cols N] [--cell N] IMAGE[=LABEL] ...   contact sheet
  neural-style plot --trace TRACE.jsonl --output LOSS.svg [--title TEXT]           loss plot
  neural-style batch --contents DIR|FILE,.. --styles FILE,.. --output-dir OUT [options]   many pictures

BATCH  (every transfer flag below applies to each item; the network is loaded once and each
        style's targets computed once per size)
  --contents DIR|FILE,...    content images; a folder gives its .png/.jpg files by name
  --styles FILE,...          each content is painted in each style, one at a time
  --output-dir DIR           results as DIR/{content stem}__{style stem}.png; existing ones are
                             skipped, so a killed batch resumes where it stopped
  --sequence                 frames of a video: per style, contents in name order, each frame
                             starting from the previous frame's result
  --shard K/N                this worker's share (0 <= K < N): a contiguous run of the items,
                             the same on every machine (e.g. a Slurm array task)
  --summary FILE.jsonl       one JSON line per item: inputs, output, status, seconds, loss, error

IMAGES
  --content PATH             photograph (PNG or JPEG)
  --style PATH[,PATH...]     painting(s); several are blended
  --style-blend-weights W,.. weight of each style image (normalised to sum 1; default equal)
  --style-masks M,..         spatial control: one greyscale mask per style image over the content
                             (resized to the result; white = this style); uncovered parts keep
                             the content only
  --style-image-masks M,..   with --style-masks: a mask over each style image (take the style
                             from part of the painting)
  --output PATH              result, .png or .jpg (required)
  --size N                   longest side of the result [512]
  --style-scale F            style images' longest side is size * F [1.0]
  --init noise|content|style|PATH   starting image [content if given, else noise; noise with
                             --normalized];
                             'random' and 'image' as in jcjohnson/neural-style; PATH is
                             resized to the result's size
  --seed N                   seed of the noise start [0]
  --preserve-colors MODE     keep the photograph's colours: luminance (transfer on luminance only),
                             histogram (style colours matched to the content's, eigen square roots),
                             histogram-cholesky (the same with Cholesky factors) [off]

OBJECTIVE  (alpha * content + beta * style + gamma * total variation)
  --content-weight F         content weight [0.6; 0.03 with --normalized]; alpha = F / positions
                             at the content layer
  --style-weight F           beta [1]
  --tv-weight F              TV weight [0]; gamma = F / pixels (on the preprocessed image)
  --loss-scale mean|paper    mean: the weights above, the same look at any size [mean];
                             paper: the weights are the paper's literal alpha, beta, gamma
  --content-layers L,..      [relu4_2]
  --style-layers L,..        [relu1_1,relu2_1,relu3_1,relu4_1,relu5_1]
  --style-layer-weights W,.. w_l per style layer [1/number of layers each]
  --pooling avg|max          [avg, as in the paper]
  --weights PATH             another weights file (.nsw; see tools/) [the built-in VGG19]
  --normalized               the paper's normalised network: each filter's mean activation 1
                             (scales shipped for the built-in VGG19; for --weights, from `calibrate`)

OPTIMISER
  --iterations N             optimiser iterations [100]
  --max-evals N              cap on forward+backward passes [none]
  --optimizer lbfgs|adam     [lbfgs]
  --lbfgs-history N          L-BFGS memory [10]
  --scales N                 coarse to fine: optimise at size/2^(N-1) first, upsample, ..., up to
                             --size; each smaller scale runs 2.5x the iterations of the next [1]
  --scale-iterations I,..    iterations at each scale, smallest first [from --iterations]
  --learning-rate F          Adam step in 0..255 pixel units [10]

RUN
  --threads N                worker threads [all cores]
  --max-memory MB            refuse runs estimated to need more [what the machine has available]
  --print-every N            progress line every N evaluations [10]
  --save-every N             write OUT_NNNN.ext every N iterations [never]
  --trace PATH               one JSON line per evaluation
  --quiet                    no progress on stderr
  --help, --version
";

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
    pub scales: usize,
    pub scale_iterations: Option<Vec<usize>>,
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
    Help,
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

fn taps(flag: &str, v: &str) -> Result<Vec<Tap>, Usage> {
    Tap::parse_list(v).map_err(|e| Usage(format!("{flag}: {e}")))
}

const FLAGS_WITHOUT_VALUE: [&str; 6] = ["--quiet", "--normalized", "--help", "--version", "--sequence", "--exact"];

/// Splits `--flag value` and `--flag=value` pairs, refusing unknown shapes.
fn pairs(argv: &[String]) -> Result<Vec<(String, Option<String>)>, Usage> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        if !a.starts_with("--") {
            return usage(format!("unexpected argument '{a}' (flags start with --; see --help)"));
        }
        if let Some((k, v)) = a.split_once('=') {
            out.push((k.to_string(), Some(v.to_string())));
        } else if FLAGS_WITHOUT_VALUE.contains(&a.as_str()) {
            out.push((a.clone(), None));
        } else {
            match argv.get(i + 1) {
                Some(v) if !v.starts_with("--") => {
                    out.push((a.clone(), Some(v.clone())));
                    i += 1;
                }
                _ => return usage(format!("{a}: missing value")),
            }
        }
        i += 1;
    }
    Ok(out)
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
    if asks_for_help(argv) {
        return Ok(Command::Help);
    }
    if argv.iter().any(|a| a == "--version") {
        return Ok(Command::Version);
    }
    if let Some((a, hint)) = argv.iter().find_map(|a| peer_hint(a).map(|h| (a, h))) {
        return usage(format!("{a}: {hint}"));
    }
    match argv.first().map(String::as_str) {
        Some("batch") => return parse_batch(&argv[1..]),
        Some("calibrate") => return parse_calibrate(&argv[1..]),
        Some("sheet") => return parse_sheet(&argv[1..]),
        Some("plot") => return parse_plot(&argv[1..]),
        _ => {}
    }
    parse_run(argv, None).map(Command::Run)
}

/// The inputs and output a batch fixes for the transfer flags' checks.
struct Preset {
    content: PathBuf,
    styles: Vec<PathBuf>,
    output: PathBuf,
}

/// The transfer flags. In a batch (`preset`) the images and the output come
/// from the batch's own flags, and `--content`, `--style`, `--output` are refused.
fn parse_run(argv: &[String], preset: Option<Preset>) -> Result<Box<Args>, Usage> {
    let batch = preset.is_some();
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
        print_every: 10,
        save_every: None,
        trace: None,
        quiet: false,
        scales: 1,
        scale_iterations: None,
        style_masks: None,
        style_image_masks: None,
    };
    let mut output = None;
    let mut init: Option<String> = None;
    let mut history = DEFAULT_HISTORY;
    let mut lr = 10.0f32;
    let mut optimizer = "lbfgs".to_string();
    let mut blend: Option<Vec<f32>> = None;
    let mut content_weight_given = false;
    if let Some(p) = preset {
        a.content = Some(p.content);
        a.styles = p.styles;
        output = Some(p.output);
    }
    for (k, v) in pairs(argv)? {
        let v = v.unwrap_or_default();
        let c = &mut a.config;
        match k.as_str() {
            "--content" | "--style" | "--output" if batch => {
                return usage(format!("batch: {k}: use --contents, --styles and --output-dir (see --help)"))
            }
            "--content" => a.content = Some(PathBuf::from(v)),
            "--style" => a.styles = v.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect(),
            "--style-blend-weights" => blend = Some(list_f32(&k, &v)?),
            "--style-masks" => a.style_masks = Some(v.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect()),
            "--style-image-masks" => a.style_image_masks = Some(v.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect()),
            "--output" => output = Some(PathBuf::from(v)),
            "--size" => c.size = positive(&k, &v)?,
            "--style-scale" => {
                c.style_scale = finite(&k, &v)?;
                if c.style_scale == 0.0 {
                    return usage("--style-scale: must be > 0");
                }
            }
            "--iterations" => c.iterations = number(&k, &v)?,
            "--max-evals" => c.max_evals = Some(positive(&k, &v)?),
            "--content-weight" => {
                c.weights.content = finite(&k, &v)?;
                content_weight_given = true;
            }
            "--loss-scale" => {
                c.loss_scale = match v.as_str() {
                    "mean" => LossScale::Mean,
                    "paper" => LossScale::Paper,
                    _ => return usage(format!("--loss-scale: expected mean or paper, got '{v}'")),
                }
            }
            "--style-weight" => c.weights.style = finite(&k, &v)?,
            "--tv-weight" => c.weights.tv = finite(&k, &v)?,
            "--content-layers" => c.content_layers = taps(&k, &v)?,
            "--style-layers" => c.style_layers = taps(&k, &v)?,
            "--style-layer-weights" => c.style_layer_weights = Some(list_f32(&k, &v)?),
            "--init" => init = Some(v),
            "--seed" => c.seed = number(&k, &v)?,
            "--preserve-colors" => {
                c.preserve_colors = match v.as_str() {
                    "none" => PreserveColors::None,
                    "luminance" => PreserveColors::Luminance,
                    "histogram" => PreserveColors::Histogram(Histogram::Eigen),
                    "histogram-cholesky" => PreserveColors::Histogram(Histogram::Cholesky),
                    _ => return usage(format!("--preserve-colors: expected luminance, histogram or histogram-cholesky, got '{v}'")),
                }
            }
            "--pooling" => {
                a.pooling = match v.as_str() {
                    "avg" => Pooling::Avg,
                    "max" => Pooling::Max,
                    _ => return usage(format!("--pooling: expected avg or max, got '{v}'")),
                }
            }
            "--optimizer" => optimizer = v,
            "--lbfgs-history" => history = positive(&k, &v)?,
            "--learning-rate" => {
                lr = finite(&k, &v)?;
                if lr == 0.0 {
                    return usage("--learning-rate: must be > 0");
                }
            }
            "--weights" => a.weights = Some(PathBuf::from(v)),
            "--normalized" => a.normalized = true,
            "--threads" => a.threads = Some(positive(&k, &v)?),
            "--max-memory" => a.max_memory_mb = Some(positive(&k, &v)? as u64),
            "--print-every" => a.print_every = positive(&k, &v)?,
            "--save-every" => a.save_every = Some(positive(&k, &v)?),
            "--trace" => a.trace = Some(PathBuf::from(v)),
            "--quiet" => a.quiet = true,
            "--scales" => a.scales = positive(&k, &v)?,
            "--scale-iterations" => {
                a.scale_iterations = Some(v.split(',').map(|x| number(&k, x)).collect::<Result<_, _>>()?);
            }
            _ if batch => return usage(format!("batch: unknown flag '{k}' (see --help)")),
            _ => return usage(format!("unknown flag '{k}' (see --help)")),
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
    if a.normalized && !content_weight_given {
        a.config.weights.content = match a.config.loss_scale {
            LossScale::Mean => neural_style::transfer::DEFAULT_CONTENT_WEIGHT_NORMALIZED,
            // The literal alpha it maps to at 512x384 (relu4_2 has 64x48 positions).
            LossScale::Paper => neural_style::transfer::DEFAULT_CONTENT_WEIGHT_NORMALIZED / 3072.0,
        };
    }
    a.config.init = match init.as_deref() {
        // The normalised network reaches the paper's look from noise, as the paper ran it.
        None if a.content.is_some() && !a.styles.is_empty() && !a.normalized => Init::Content,
        None => Init::Noise,
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
    neural_style::transfer::coarse_to_fine(a.config.size, a.scales, a.config.iterations, a.scale_iterations.as_deref())
        .map_err(|e| Usage(crate::describe(&e)))?;
    Ok(Box::new(a))
}

/// Image files by name: a folder's `.png`/`.jpg`/`.jpeg` files sorted, a file as
/// itself. Missing, unreadable or empty entries are usage errors.
fn image_list(flag: &str, v: &str) -> Result<Vec<PathBuf>, Usage> {
    let mut out = Vec::new();
    for entry in v.split(',').filter(|s| !s.is_empty()) {
        let path = PathBuf::from(entry);
        if path.is_dir() {
            let read = std::fs::read_dir(&path).map_err(|e| Usage(format!("{flag}: {entry}: {e}")))?;
            let mut files: Vec<PathBuf> =
                read.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && is_image_name(p)).collect();
            if files.is_empty() {
                return usage(format!("{flag}: {entry}: no .png or .jpg files in this folder"));
            }
            files.sort();
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

fn is_image_name(p: &Path) -> bool {
    let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    matches!(ext.as_str(), "png" | "jpg" | "jpeg")
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

fn parse_batch(argv: &[String]) -> Result<Command, Usage> {
    let (mut contents, mut styles, mut output_dir, mut sequence, mut shard_of, mut summary) = (None, None, None, false, None, None);
    let mut rest = Vec::new();
    for (k, v) in pairs(argv)? {
        match (k.as_str(), v) {
            ("--contents", Some(v)) => contents = Some(image_list(&k, &v)?),
            ("--styles", Some(v)) => styles = Some(image_list(&k, &v)?),
            ("--output-dir", Some(v)) => output_dir = Some(PathBuf::from(v)),
            ("--sequence", _) => sequence = true,
            ("--shard", Some(v)) => shard_of = Some(shard(&v)?),
            ("--summary", Some(v)) => summary = Some(PathBuf::from(v)),
            (_, v) => {
                rest.push(k);
                rest.extend(v);
            }
        }
    }
    let contents = contents.ok_or_else(|| Usage("batch: --contents DIR|FILE,... is required".into()))?;
    let styles = styles.ok_or_else(|| Usage("batch: --styles FILE,... is required".into()))?;
    let output_dir = output_dir.ok_or_else(|| Usage("batch: --output-dir DIR is required".into()))?;
    let preset = Preset { content: contents[0].clone(), styles: vec![styles[0].clone()], output: output_dir.join("item.png") };
    let run = parse_run(&rest, Some(preset))?;
    Ok(Command::Batch(BatchArgs { run, contents, styles, output_dir, sequence, shard: shard_of, summary }))
}

fn parse_calibrate(argv: &[String]) -> Result<Command, Usage> {
    let mut images = None;
    let mut output = None;
    let mut weights = None;
    let mut size = 256;
    let mut pooling = Pooling::Avg;
    let mut exact = false;
    for (k, v) in pairs(argv)? {
        let v = v.unwrap_or_default();
        match k.as_str() {
            "--exact" => exact = true,
            "--images" => images = Some(PathBuf::from(v)),
            "--output" => output = Some(PathBuf::from(v)),
            "--weights" => weights = Some(PathBuf::from(v)),
            "--size" => size = positive(&k, &v)?,
            "--pooling" => {
                pooling = match v.as_str() {
                    "avg" => Pooling::Avg,
                    "max" => Pooling::Max,
                    _ => return usage(format!("--pooling: expected avg or max, got '{v}'")),
                }
            }
            _ => return usage(format!("calibrate: unknown flag '{k}' (see --help)")),
        }
    }
    Ok(Command::Calibrate(CalibrateArgs {
        images: images.ok_or_else(|| Usage("calibrate: --images DIR is required".into()))?,
        output: output.ok_or_else(|| Usage("calibrate: --output PATH is required".into()))?,
        weights,
        size,
        pooling,
        exact,
    }))
}

fn parse_sheet(argv: &[String]) -> Result<Command, Usage> {
    let (mut output, mut cols, mut cell, mut items) = (None, 4, None, Vec::new());
    let mut i = 0;
    while i < argv.len() {
        let a = argv[i].as_str();
        let value = || argv.get(i + 1).cloned().ok_or_else(|| Usage(format!("sheet: {a}: missing value")));
        match a {
            "--output" => output = Some(PathBuf::from(value()?)),
            "--cols" => cols = positive(a, &value()?)?,
            "--cell" => cell = Some(positive(a, &value()?)?),
            _ if a.starts_with("--") => return usage(format!("sheet: unknown flag '{a}'")),
            _ => {
                let (path, label) = match a.split_once('=') {
                    Some((p, l)) => (p.to_string(), l.to_string()),
                    None => (a.to_string(), Path::new(a).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()),
                };
                items.push((PathBuf::from(path), label));
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    if items.is_empty() {
        return usage("sheet: give at least one IMAGE[=LABEL]");
    }
    let output = output.ok_or_else(|| Usage("sheet: --output is required".into()))?;
    Ok(Command::Sheet(SheetArgs { output, cols, cell, items }))
}

fn parse_plot(argv: &[String]) -> Result<Command, Usage> {
    let (mut trace, mut output, mut title) = (None, None, "neural-style: loss by evaluation".to_string());
    for (k, v) in pairs(argv)? {
        let v = v.unwrap_or_default();
        match k.as_str() {
            "--trace" => trace = Some(PathBuf::from(v)),
            "--output" => output = Some(PathBuf::from(v)),
            "--title" => title = v,
            _ => return usage(format!("plot: unknown flag '{k}'")),
        }
    }
    Ok(Command::Plot(PlotArgs {
        trace: trace.ok_or_else(|| Usage("plot: --trace is required".into()))?,
        output: output.ok_or_else(|| Usage("plot: --output is required".into()))?,
        title,
    }))
}
