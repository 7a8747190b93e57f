//! The one table of the command line's flags: which subcommands take each,
//! whether it takes a value, its help line and its default (read from the
//! library's constants, never written twice). The lexer, the help text and the
//! "unknown flag" messages all come from it; `args.rs` turns the raw values it
//! gives into checked settings (ripgrep's low-level / high-level split).

use crate::args::{list, number, paths, positive, set, taps, word, Args};
use neural_style::optim::adam::DEFAULT_LEARNING_RATE;
use neural_style::optim::lbfgs::DEFAULT_HISTORY;
use neural_style::transfer::{self, Config};

/// Evaluations between progress lines.
pub const DEFAULT_PRINT_EVERY: usize = 10;
/// `calibrate`'s image size.
pub const DEFAULT_CALIBRATE_SIZE: usize = 256;
/// `sheet`'s columns.
pub const DEFAULT_SHEET_COLS: usize = 4;
/// `plot`'s title.
pub const DEFAULT_PLOT_TITLE: &str = "neural-style: loss by evaluation";

/// The subcommands, as bits of a flag's `cmds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Run = 1,
    Batch = 2,
    Calibrate = 4,
    Sheet = 8,
    Plot = 16,
    Flow = 32,
}

impl Cmd {
    fn bit(self) -> u8 {
        self as u8
    }

    /// The subcommand's word, for messages (`batch: unknown flag ...`).
    fn prefix(self) -> &'static str {
        match self {
            Cmd::Run => "",
            Cmd::Batch => "batch: ",
            Cmd::Calibrate => "calibrate: ",
            Cmd::Sheet => "sheet: ",
            Cmd::Plot => "plot: ",
            Cmd::Flow => "flow: ",
        }
    }
}

const TRANSFER: u8 = Cmd::Run as u8 | Cmd::Batch as u8;
const ALL: u8 = 63;

/// The help's sections, in the order printed: a flag's `section` indexes it.
const SECTIONS: [&str; 9] = [
    "IMAGES",
    "OBJECTIVE  (alpha * content + beta * style + gamma * total variation)",
    "OPTIMISER",
    "RUN",
    "BATCH  (every transfer flag above applies to each item; the network is loaded once and each\n        style's targets computed once per size)",
    "CALIBRATE  (the paper's normalised network: per-filter scales from your images)",
    "SHEET  (a contact sheet of pictures: neural-style sheet [flags] IMAGE[=LABEL] ...)",
    "PLOT  (the loss curves of a --trace file as SVG)",
    "FLOW  (the optical flow between two frames, as batch --sequence computes it)",
];
const IMAGES: u8 = 0;
const OBJECTIVE: u8 = 1;
const OPTIMISER: u8 = 2;
const RUN: u8 = 3;
const BATCH: u8 = 4;
const CALIBRATE: u8 = 5;
const SHEET: u8 = 6;
const PLOT: u8 = 7;
const FLOW: u8 = 8;

/// How a transfer flag's value goes into [`Args`]: the complaint, if any,
/// without the flag's name (the caller puts it in front).
pub type Apply = fn(&mut Args, &str) -> Result<(), String>;

/// One flag of one or more subcommands.
pub struct Flag {
    pub name: &'static str,
    /// The value's placeholder in the help (`N`, `PATH`), `None` for a switch.
    pub value: Option<&'static str>,
    /// Bits of the [`Cmd`]s that take it.
    cmds: u8,
    section: u8,
    /// Help; `{d}` is replaced by the default, else the default is appended as `[d]`.
    help: &'static str,
    default: Option<fn() -> String>,
    /// The library setting it gives ([`neural_style::Error::Invalid`]'s field).
    field: Option<&'static str>,
    /// Where a transfer flag's value goes (the others are read by name).
    pub apply: Option<Apply>,
}

const fn flag(name: &'static str, value: Option<&'static str>, cmds: u8, section: u8, help: &'static str) -> Flag {
    Flag { name, value, cmds, section, help, default: None, field: None, apply: None }
}

/// A transfer flag whose value `apply` puts into [`Args`].
const fn to(apply: Apply, f: Flag) -> Flag {
    Flag { apply: Some(apply), ..f }
}

/// A flag that gives the library setting `field`, so the library's complaints
/// about that setting name the flag.
const fn sets(field: &'static str, f: Flag) -> Flag {
    Flag { field: Some(field), ..f }
}

/// The transfer flag that gives a library setting, by its field name.
pub fn for_field(field: &str) -> Option<&'static str> {
    FLAGS.iter().find(|f| f.field == Some(field) && f.cmds & TRANSFER != 0).map(|f| f.name)
}

const fn with_default(f: Flag, default: fn() -> String) -> Flag {
    Flag { default: Some(default), ..f }
}

/// Every flag. A name may appear once per subcommand (`--output` means the
/// result of a run but the file `calibrate` writes).
#[rustfmt::skip]
pub static FLAGS: &[Flag] = &[
    // images
    to(|a, v| { a.content = Some(v.into()); Ok(()) }, flag("--content", Some("PATH"), Cmd::Run as u8, IMAGES, "photograph (PNG or JPEG)")),
    to(|a, v| { a.styles = paths(v); Ok(()) }, flag("--style", Some("PATH[,PATH...]"), Cmd::Run as u8, IMAGES, "painting(s); several are blended")),
    to(|a, v| set(&mut a.config.style_blend, list(v).map(Some)), sets("style_blend", flag("--style-blend-weights", Some("W,.."), TRANSFER, IMAGES, "weight of each style image (normalised to sum 1; default equal)"))),
    to(|a, v| { a.style_masks = Some(paths(v)); Ok(()) }, sets("style_masks", flag("--style-masks", Some("M,.."), TRANSFER, IMAGES, "spatial control: one greyscale mask per style image over the content\n(resized to the result; white = this style); uncovered parts keep\nthe content only"))),
    to(|a, v| { a.style_image_masks = Some(paths(v)); Ok(()) }, sets("style_image_masks", flag("--style-image-masks", Some("M,.."), TRANSFER, IMAGES, "with --style-masks: a mask over each style image (take the style\nfrom part of the painting)"))),
    to(|a, v| { a.output = v.into(); Ok(()) }, flag("--output", Some("PATH"), Cmd::Run as u8, IMAGES, "result, .png or .jpg (required)")),
    to(|a, v| set(&mut a.config.size, positive(v)), with_default(sets("size", flag("--size", Some("N"), TRANSFER, IMAGES, "longest side of the result")), || Config::default().size.to_string())),
    to(|a, v| set(&mut a.config.style_scale, number(v)), with_default(sets("style_scale", flag("--style-scale", Some("F"), TRANSFER, IMAGES, "style images' longest side is size * F")), || format!("{:?}", Config::default().style_scale))),
    to(|a, v| { a.init = Some(v.into()); Ok(()) }, sets("init", flag("--init", Some("noise|content|style|PATH"), TRANSFER, IMAGES, "starting image [content if given, else noise; noise with\n--normalized]; 'random' and 'image' as in jcjohnson/neural-style;\nPATH is resized to the result's size"))),
    to(|a, v| set(&mut a.config.seed, number(v)), with_default(flag("--seed", Some("N"), TRANSFER, IMAGES, "seed of the noise start"), || Config::default().seed.to_string())),
    to(|a, v| set(&mut a.config.preserve_colors, word(v)), sets("preserve_colors", flag("--preserve-colors", Some("MODE"), TRANSFER, IMAGES, "keep the photograph's colours: original (paint, then put the\nphotograph's colours back: every stroke kept), luminance (transfer on\nluminance only), histogram (style colours matched to the content's, eigen\nsquare roots), histogram-cholesky (the same with Cholesky factors) [off]"))),
    // objective
    to(|a, v| set(&mut a.config.weights.content, number(v).map(Some)), with_default(sets("weights.content", flag("--content-weight", Some("F"), TRANSFER, OBJECTIVE, "content weight [{d}]; alpha = F / positions\nat the content layer")), || format!("{}; {} from --init noise; {} with --normalized", transfer::DEFAULT_CONTENT_WEIGHT, transfer::DEFAULT_CONTENT_WEIGHT_NOISE, transfer::DEFAULT_CONTENT_WEIGHT_NORMALIZED))),
    to(|a, v| set(&mut a.config.weights.style, number(v)), with_default(sets("weights.style", flag("--style-weight", Some("F"), TRANSFER, OBJECTIVE, "beta")), || transfer::DEFAULT_STYLE_WEIGHT.to_string())),
    to(|a, v| set(&mut a.config.weights.tv, number(v)), with_default(sets("weights.tv", flag("--tv-weight", Some("F"), TRANSFER, OBJECTIVE, "TV weight [{d}]; gamma = F / pixels (on the preprocessed image)")), || transfer::DEFAULT_TV_WEIGHT.to_string())),
    to(|a, v| set(&mut a.config.loss_scale, word(v)), flag("--loss-scale", Some("mean|paper"), TRANSFER, OBJECTIVE, "mean: the weights above, the same look at any size [mean];\npaper: the weights are the paper's literal alpha, beta, gamma")),
    to(|a, v| set(&mut a.config.content_layers, taps(v)), with_default(sets("content_layers", flag("--content-layers", Some("L,.."), TRANSFER, OBJECTIVE, "")), || tap_list(&Config::default().content_layers))),
    to(|a, v| set(&mut a.config.style_layers, taps(v)), with_default(sets("style_layers", flag("--style-layers", Some("L,.."), TRANSFER, OBJECTIVE, "")), || tap_list(&Config::default().style_layers))),
    to(|a, v| set(&mut a.config.style_layer_weights, list(v).map(Some)), sets("style_layer_weights", flag("--style-layer-weights", Some("W,.."), TRANSFER, OBJECTIVE, "w_l per style layer [1/number of layers each]"))),
    to(|a, v| set(&mut a.pooling, word(v)), flag("--pooling", Some("avg|max"), TRANSFER, OBJECTIVE, "[avg, as in the paper]")),
    to(|a, v| { a.weights = Some(v.into()); Ok(()) }, flag("--weights", Some("PATH"), TRANSFER, OBJECTIVE, "another weights file (.nsw; see tools/) [the built-in VGG19]")),
    to(|a, _| { a.normalized = true; Ok(()) }, flag("--normalized", None, TRANSFER, OBJECTIVE, "the paper's normalised network: each filter's mean activation 1\n(scales shipped for the built-in VGG19; for --weights, from `calibrate`)")),
    // optimiser
    to(|a, v| set(&mut a.config.iterations, number(v)), with_default(flag("--iterations", Some("N"), TRANSFER, OPTIMISER, "optimiser iterations"), || transfer::DEFAULT_ITERATIONS.to_string())),
    to(|a, v| set(&mut a.config.max_evals, positive(v).map(Some)), flag("--max-evals", Some("N"), TRANSFER, OPTIMISER, "cap on forward+backward passes [none]")),
    to(|a, v| { a.optimizer = v.into(); Ok(()) }, flag("--optimizer", Some("lbfgs|adam"), TRANSFER, OPTIMISER, "[lbfgs]")),
    to(|a, v| set(&mut a.history, number(v)), with_default(sets("optimizer.history", flag("--lbfgs-history", Some("N"), TRANSFER, OPTIMISER, "L-BFGS memory")), || DEFAULT_HISTORY.to_string())),
    to(|a, v| set(&mut a.config.scales, number(v).map(Some)), with_default(sets("scales", flag("--scales", Some("N"), TRANSFER, OPTIMISER, "coarse to fine in N scales: optimise at size/2^(N-1) first, upsample,\n..., up to --size; each smaller scale runs {d}x the iterations of the\nnext; 1: the size alone [above --start-size: from it]")), || transfer::COARSE_ITERATION_FACTOR.to_string())),
    to(|a, v| set(&mut a.config.start_size, positive(v)), with_default(sets("start_size", flag("--start-size", Some("N"), TRANSFER, OPTIMISER, "where the look is formed: a larger --size is painted at N first\n(--iterations), then refined at sizes doubling up to --size,\n{d}")), || format!("{} iterations each [{}]", transfer::REFINE_ITERATIONS, transfer::DEFAULT_START_SIZE))),
    to(|a, v| set(&mut a.config.scale_iterations, list(v).map(Some)), sets("scale_iterations", flag("--scale-iterations", Some("I,.."), TRANSFER, OPTIMISER, "iterations at each scale, smallest first [from --iterations]"))),
    to(|a, v| set(&mut a.learning_rate, number(v)), with_default(sets("optimizer.learning_rate", flag("--learning-rate", Some("F"), TRANSFER, OPTIMISER, "Adam step in 0..255 pixel units")), || DEFAULT_LEARNING_RATE.to_string())),
    // run
    to(|a, v| set(&mut a.threads, positive(v).map(Some)), flag("--threads", Some("N"), TRANSFER, RUN, "worker threads [all cores]")),
    to(|a, v| set(&mut a.precision, word(v)), flag("--precision", Some("f32|bf16"), TRANSFER, RUN, "the input gradients' multiplies: bf16 (CPUs with AVX512_BF16) is\nfaster, the loss stays f32's [f32]")),
    to(|a, v| set(&mut a.max_memory_mb, positive(v).map(|mb| Some(mb as u64))), flag("--max-memory", Some("MB"), TRANSFER, RUN, "refuse runs estimated to need more [what the machine has available]")),
    to(|a, v| set(&mut a.print_every, positive(v)), with_default(flag("--print-every", Some("N"), TRANSFER, RUN, "progress line every N evaluations"), || DEFAULT_PRINT_EVERY.to_string())),
    to(|a, v| set(&mut a.save_every, positive(v).map(Some)), flag("--save-every", Some("N"), TRANSFER, RUN, "write OUT_NNNN.ext every N iterations [never]")),
    to(|a, v| { a.trace = Some(v.into()); Ok(()) }, flag("--trace", Some("PATH"), TRANSFER, RUN, "one JSON line per evaluation, written as each ends")),
    to(|a, _| { a.quiet = true; Ok(()) }, flag("--quiet", None, TRANSFER, RUN, "no progress on stderr")),
    flag("--help", None, ALL, RUN, "this text (-h and `help` too; after a subcommand, its flags)"),
    flag("--version", None, ALL, RUN, "the version"),
    // batch
    flag("--contents", Some("DIR|FILE,..."), Cmd::Batch as u8, BATCH, "content images; a folder gives its .png/.jpg files by name"),
    flag("--styles", Some("FILE,..."), Cmd::Batch as u8, BATCH, "each content is painted in each style, one at a time"),
    sets("output_dir", flag("--output-dir", Some("DIR"), Cmd::Batch as u8, BATCH, "results as DIR/{content stem}__{style stem}.png; existing ones are\nskipped, so a killed batch resumes where it stopped")),
    flag("--sequence", None, Cmd::Batch as u8, BATCH, "frames of a video: per style, contents in name order, each frame\nstarting from the previous frame's result"),
    sets("shard", flag("--shard", Some("K/N"), Cmd::Batch as u8, BATCH, "this worker's share (0 <= K < N): a contiguous run of the items,\nthe same on every machine (e.g. a Slurm array task)")),
    flag("--summary", Some("FILE.jsonl"), Cmd::Batch as u8, BATCH, "one JSON line per item: inputs, output, status, seconds, loss, error"),
    to(|a, v| set(&mut a.config.weights.temporal, number(v)), with_default(sets("weights.temporal", flag("--temporal-weight", Some("F"), Cmd::Batch as u8, BATCH, "with --sequence: how hard a frame holds to the previous frame's result\ncarried along the optical flow (Ruder et al. 2016)")), || transfer::DEFAULT_TEMPORAL_WEIGHT.to_string())),
    flag("--no-flow", None, Cmd::Batch as u8, BATCH, "with --sequence: start each frame from the previous result as it is\n(no optical flow, no temporal loss)"),
    // calibrate
    flag("--images", Some("DIR"), Cmd::Calibrate as u8, CALIBRATE, "the PNG or JPEG images to average over (required)"),
    flag("--output", Some("PATH"), Cmd::Calibrate as u8, CALIBRATE, "the weights file (.nsw) or, with --exact, the scales file to write (required)"),
    flag("--weights", Some("PATH"), Cmd::Calibrate as u8, CALIBRATE, "the weights to calibrate [the built-in VGG19]"),
    with_default(flag("--size", Some("N"), Cmd::Calibrate as u8, CALIBRATE, "longest side of each image"), || DEFAULT_CALIBRATE_SIZE.to_string()),
    flag("--pooling", Some("avg|max"), Cmd::Calibrate as u8, CALIBRATE, "[avg]"),
    flag("--exact", None, Cmd::Calibrate as u8, CALIBRATE, "the f64 reference path (PNG only): a scales file with the same bytes\non any machine (how weights/vgg19.scales is made)"),
    // sheet
    flag("--output", Some("PATH"), Cmd::Sheet as u8, SHEET, "the sheet, .png or .jpg (required)"),
    with_default(flag("--cols", Some("N"), Cmd::Sheet as u8, SHEET, "pictures per row"), || DEFAULT_SHEET_COLS.to_string()),
    flag("--cell", Some("N"), Cmd::Sheet as u8, SHEET, "longest side of each picture [as it is]"),
    // plot
    flag("--trace", Some("PATH"), Cmd::Plot as u8, PLOT, "a --trace file (required)"),
    flag("--output", Some("PATH"), Cmd::Plot as u8, PLOT, "the SVG to write (required)"),
    with_default(flag("--title", Some("TEXT"), Cmd::Plot as u8, PLOT, "the plot's title"), || DEFAULT_PLOT_TITLE.to_string()),
    // flow
    flag("--from", Some("PATH"), Cmd::Flow as u8, FLOW, "the first frame (required)"),
    flag("--to", Some("PATH"), Cmd::Flow as u8, FLOW, "the second frame, the same size (required)"),
    flag("--output", Some("PATH"), Cmd::Flow as u8, FLOW, "the flow from --from to --to as a Middlebury .flo file (required)"),
    flag("--picture", Some("PATH"), Cmd::Flow as u8, FLOW, "also its colour-wheel picture (.png or .jpg)"),
    flag("--size", Some("N"), Cmd::Flow as u8, FLOW, "bring both frames to this longest side first [as they are]"),
    flag("--threads", Some("N"), Cmd::Flow as u8, FLOW, "worker threads [all cores]"),
];

fn tap_list(t: &[neural_style::Tap]) -> String {
    t.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",")
}

/// The flag `name` of subcommand `cmd`, if it has one (short forms too).
fn lookup(cmd: Cmd, name: &str) -> Option<&'static Flag> {
    let name = SHORT.iter().find(|(short, _)| *short == name).map_or(name, |(_, long)| long);
    FLAGS.iter().find(|f| f.name == name && f.cmds & cmd.bit() != 0)
}

/// Short forms, wherever the long one is a flag.
const SHORT: [(&str, &str); 3] = [("-c", "--content"), ("-s", "--style"), ("-o", "--output")];

/// The flags of jcjohnson/neural-style and neural-style-pt whose names differ
/// from ours (matched with any number of leading dashes, `_` or `-`).
const PEERS: [(&str, &str); 11] = [
    ("content-image", "did you mean --content?"),
    ("style-image", "did you mean --style?"),
    ("output-image", "did you mean --output?"),
    ("image-size", "did you mean --size?"),
    ("num-iterations", "did you mean --iterations?"),
    ("original-colors", "did you mean --preserve-colors original?"),
    ("print-iter", "did you mean --print-every?"),
    ("save-iter", "did you mean --save-every?"),
    ("lbfgs-num-correction", "did you mean --lbfgs-history?"),
    ("gpu", "neural-style runs on the CPU: drop it (--threads N sets the threads)"),
    ("backend", "neural-style has its own engine: drop it"),
];

/// What to say of `arg`, which is no flag of `cmd`: the peers' name for one of
/// ours, ours written another way, another subcommand's flag, or a slip of
/// the keyboard (the nearest flag).
fn unknown(cmd: Cmd, arg: &str) -> String {
    let name = arg.trim_start_matches('-').replace('_', "-").to_ascii_lowercase();
    let ours = FLAGS.iter().filter(|f| f.cmds & cmd.bit() != 0);
    let hint = if let Some((_, hint)) = PEERS.iter().find(|(peer, _)| *peer == name) {
        hint.to_string()
    } else if let Some(f) = lookup(cmd, &format!("--{name}")) {
        format!("did you mean {}?", f.name)
    } else if cmd == Cmd::Batch && lookup(Cmd::Run, &format!("--{name}")).is_some() {
        "use --contents, --styles and --output-dir".to_string()
    } else if let Some(near) = neural_style::error::closest(&name, ours.map(|f| &f.name[2..])) {
        format!("did you mean --{near}?")
    } else if let Some(other) = FLAGS.iter().find(|f| f.name[2..] == name) {
        let all = [
            (Cmd::Run, "a single run"),
            (Cmd::Batch, "`batch`"),
            (Cmd::Calibrate, "`calibrate`"),
            (Cmd::Sheet, "`sheet`"),
            (Cmd::Plot, "`plot`"),
            (Cmd::Flow, "`flow`"),
        ];
        let owners: Vec<&str> = all.iter().filter(|(c, _)| other.cmds & c.bit() != 0).map(|(_, w)| *w).collect();
        format!("a flag of {}", owners.join(" and "))
    } else {
        "see --help".to_string()
    };
    format!("{}{arg}: unknown flag; {hint}", cmd.prefix())
}

/// What the command line said, not yet checked: each flag's values in order
/// (a later one wins), the words that are not flags (only `sheet` takes any),
/// and what could not be read, every problem at once.
#[derive(Default)]
pub struct Raw {
    values: Vec<(&'static Flag, Option<String>)>,
    pub positionals: Vec<String>,
    pub errors: Vec<String>,
}

impl Raw {
    /// The last value given to `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.iter().rev().find(|(f, _)| f.name == name).and_then(|(_, v)| v.as_deref())
    }

    /// Whether the switch or flag `name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.values.iter().any(|(f, _)| f.name == name)
    }

    /// `(flag, value)` pairs in the order given.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static Flag, Option<&str>)> {
        self.values.iter().map(|(f, v)| (*f, v.as_deref()))
    }
}

/// Splits `argv` (after the subcommand's word) into `--flag value`,
/// `--flag=value` and switches, by the table. Unknown flags, switches given a
/// value, flags missing theirs and stray words are each one line of
/// [`Raw::errors`].
pub fn lex(cmd: Cmd, argv: &[String]) -> Raw {
    let mut raw = Raw::default();
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if !a.starts_with('-') || a.len() == 1 {
            match cmd {
                Cmd::Sheet => raw.positionals.push(a.clone()),
                _ => raw.errors.push(format!("{}unexpected argument '{a}' (flags start with --; see --help)", cmd.prefix())),
            }
            continue;
        }
        let (name, inline) = match a.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        let Some(flag) = lookup(cmd, name) else {
            raw.errors.push(unknown(cmd, name));
            // A value after it is the unknown flag's, not a stray word.
            if inline.is_none() && argv.get(i).is_some_and(|v| !v.starts_with("--")) {
                i += 1;
            }
            continue;
        };
        let value = match (flag.value, inline) {
            (None, None) => None,
            (None, Some(_)) => {
                raw.errors.push(format!("{}{name}: takes no value", cmd.prefix()));
                continue;
            }
            (Some(_), Some(v)) => Some(v),
            (Some(_), None) => match argv.get(i) {
                Some(v) if !v.starts_with("--") => {
                    i += 1;
                    Some(v.clone())
                }
                _ => {
                    raw.errors.push(format!("{}{name}: missing value", cmd.prefix()));
                    continue;
                }
            },
        };
        raw.values.push((flag, value));
    }
    raw
}

/// What bare `neural-style` prints: the one command to try.
pub const SHORT_USAGE: &str = "\
neural-style: paint a photograph in the style of a painting (Gatys, Ecker & Bethge, CVPR 2016).

  neural-style -c PHOTO -s PAINTING -o OUT.png     try it; add --size 256 for a quick look
  neural-style --help                              every flag, by topic
";

/// Each subcommand's usage line(s).
fn usage_of(cmd: Cmd) -> &'static str {
    match cmd {
        Cmd::Run => {
            "  neural-style --content PHOTO --style PAINTING[,PAINTING...] --output OUT.png [options]   transfer\n  \
             neural-style --content PHOTO --output OUT.png [options]       content reconstruction\n  \
             neural-style --style PAINTING --output OUT.png [options]      texture synthesis\n"
        }
        Cmd::Batch => "  neural-style batch --contents DIR|FILE,.. --styles FILE,.. --output-dir OUT [options]   many pictures\n",
        Cmd::Calibrate => "  neural-style calibrate [--exact] --images DIR --output PATH [options]   normalisation scales\n",
        Cmd::Sheet => "  neural-style sheet --output SHEET.png [options] IMAGE[=LABEL] ...   contact sheet\n",
        Cmd::Plot => "  neural-style plot --trace TRACE.jsonl --output LOSS.svg [options]   loss plot\n",
        Cmd::Flow => "  neural-style flow --from A.png --to B.png --output F.flo [--picture F.png]   optical flow\n",
    }
}

/// The help: every flag of `cmd` (all of them for `None`), by section, the
/// images first; a subcommand's help has its own usage line only.
pub fn help(cmd: Option<Cmd>) -> String {
    let mut out = String::from(
        "neural-style: paint a photograph in the style of a painting (Gatys, Ecker & Bethge, CVPR 2016), on the CPU, offline.\n\nUSAGE\n",
    );
    match cmd {
        Some(c) => out.push_str(usage_of(c)),
        None => {
            for c in [Cmd::Run, Cmd::Batch, Cmd::Calibrate, Cmd::Sheet, Cmd::Plot, Cmd::Flow] {
                out.push_str(usage_of(c));
            }
            out.push_str("  (`neural-style SUBCOMMAND --help` gives a subcommand's flags alone; -c, -s, -o are short for --content, --style, --output)\n");
        }
    }
    let wanted = |f: &Flag| match cmd {
        None => true,
        Some(c) => f.cmds & c.bit() != 0,
    };
    for (k, heading) in SECTIONS.iter().enumerate() {
        let flags: Vec<&Flag> = FLAGS.iter().filter(|f| f.section as usize == k && wanted(f)).collect();
        if flags.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(heading);
        out.push('\n');
        for f in flags {
            out.push_str(&line(f));
        }
    }
    out
}

/// `  --name VALUE   help [default]`, continuation lines under the help.
fn line(f: &Flag) -> String {
    const COL: usize = 29;
    let short = SHORT.iter().find(|(_, long)| *long == f.name).map(|(s, _)| format!("{s}, ")).unwrap_or_default();
    let head = match f.value {
        Some(v) => format!("  {short}{} {v}", f.name),
        None => format!("  {short}{}", f.name),
    };
    let mut text = f.help.to_string();
    if let Some(d) = f.default {
        if text.contains("{d}") {
            text = text.replace("{d}", &d());
        } else if text.is_empty() {
            text = format!("[{}]", d());
        } else {
            text = format!("{text} [{}]", d());
        }
    }
    let mut out = String::new();
    for (i, l) in text.lines().enumerate() {
        if i == 0 {
            if head.len() >= COL {
                out.push_str(&format!("{head}\n{:COL$}{l}\n", ""));
            } else {
                out.push_str(&format!("{head:COL$}{l}\n"));
            }
        } else {
            out.push_str(&format!("{:COL$}{l}\n", ""));
        }
    }
    if text.is_empty() {
        out.push_str(&format!("{head}\n"));
    }
    out
}
