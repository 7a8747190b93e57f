//! The binary end to end at tiny sizes: the three modes, the trace, flags, and
//! every bad input answered by one line, the right exit code and no output file.

mod common;

use common::cli::{refuses, run, s, stderr, Dir};
use common::messages::{self, did_you_mean};

#[test]
fn transfer_content_reconstruction_and_texture_synthesis() {
    let d = Dir::new("modes");
    let c = d.image("c.png", 40, 30);
    let st = d.image("s.jpg", 20, 36);
    let out = d.path("t.png");
    let o = run(&["--content", s(&c), "--style", s(&st), "--output", s(&out), "--size", "32", "--iterations", "3", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(image::image_dimensions(&out).unwrap(), (32, 24));

    let out = d.path("c.jpg");
    let o = run(&["--content", s(&c), "--output", s(&out), "--size", "24", "--iterations", "3", "--content-layers", "relu2_2", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(image::image_dimensions(&out).unwrap(), (24, 18));

    let out = d.path("s.png");
    let o =
        run(&["--style", s(&st), "--output", s(&out), "--size", "36", "--iterations", "3", "--style-layers", "relu1_1,relu2_1", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(image::image_dimensions(&out).unwrap(), (20, 36));
}

#[test]
fn trace_has_every_field_per_evaluation() {
    let d = Dir::new("trace");
    let c = d.image("c.png", 32, 32);
    let st = d.image("style.png", 32, 32);
    let (out, trace) = (d.path("o.png"), d.path("t.jsonl"));
    let o = run(&[
        "--content",
        s(&c),
        "--style",
        s(&st),
        "--output",
        s(&out),
        "--size",
        "32",
        "--iterations",
        "4",
        "--trace",
        s(&trace),
        "--tv-weight",
        "1e-3",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 5, "one line per evaluation, got {}", lines.len());
    for (i, l) in lines.iter().enumerate() {
        assert!(l.starts_with(&format!("{{\"eval\":{},", i + 1)), "{l}");
        assert!(!l.contains("\"style\":0e0"), "content and style differ: {l}");
        for key in [
            "\"iteration\":",
            "\"loss\":",
            "\"content\":",
            "\"style\":",
            "\"tv\":",
            "\"content_weight\":",
            "\"style_weight\":",
            "\"tv_weight\":",
            "\"loss_scale\":\"mean\"",
            "\"grad_norm\":",
            "\"seconds\":",
        ] {
            assert!(l.contains(key), "missing {key} in {l}");
        }
        for layer in ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"] {
            assert!(l.contains(&format!("\"{layer}\":")), "missing {layer} in {l}");
        }
        // The literal parts and weights add up to the loss; under the default
        // --loss-scale mean, the TV weight is the one given over the pixels.
        let f = |key: &str| -> f64 {
            let at = l.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
            l[at..].split([',', '}']).next().unwrap().parse().unwrap()
        };
        let total = f("content_weight") * f("content") + f("style_weight") * f("style") + f("tv_weight") * f("tv");
        assert!((total - f("loss")).abs() <= 1e-5 * f("loss"), "{total} vs {l}");
        let pixels = f("height") * f("width");
        assert!((f("tv_weight") * pixels - 1e-3).abs() < 1e-8, "tv weight {} over {pixels} pixels", f("tv_weight"));
    }
}

#[test]
fn zero_iterations_traces_and_saves_the_start() {
    let d = Dir::new("zero");
    let c = d.image("c.png", 32, 24);
    let st = d.image("s.png", 32, 32);
    let (out, trace) = (d.path("o.png"), d.path("t.jsonl"));
    let o = run(&[
        "--content",
        s(&c),
        "--style",
        s(&st),
        "--output",
        s(&out),
        "--size",
        "32",
        "--iterations",
        "0",
        "--trace",
        s(&trace),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&trace).unwrap().lines().count(), 1);
    // The start is the content image, at its own size: the output is it, exactly.
    assert_eq!(image::open(&out).unwrap().to_rgb8(), image::open(&c).unwrap().to_rgb8());
}

#[test]
fn same_seed_same_bytes_for_any_thread_count() {
    let d = Dir::new("det");
    let c = d.image("c.png", 32, 32);
    let st = d.image("s.png", 24, 24);
    let mut outs = Vec::new();
    for t in ["1", "2"] {
        let out = d.path(&format!("o{t}.png"));
        let o = run(&[
            "--content",
            s(&c),
            "--style",
            s(&st),
            "--output",
            s(&out),
            "--size",
            "32",
            "--iterations",
            "4",
            "--init",
            "noise",
            "--seed",
            "7",
            "--threads",
            t,
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        outs.push(std::fs::read(&out).unwrap());
    }
    assert!(outs[0] == outs[1], "--threads 1 and 2 give different images");
}

#[test]
fn the_seed_changes_a_noise_start_and_only_a_noise_start() {
    let d = Dir::new("seed");
    let c = d.image("c.png", 32, 32);
    let st = d.image("s.png", 24, 24);
    let paint = |init: &str, seed: &str| {
        let out = d.path(&format!("{init}-{seed}.png"));
        let args =
            ["-c", s(&c), "-s", s(&st), "-o", s(&out), "--size", "32", "--iterations", "3", "--init", init, "--seed", seed, "--quiet"];
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(&out).unwrap()
    };
    assert_eq!(paint("noise", "7"), paint("noise", "7"), "one seed, one picture");
    assert_ne!(paint("noise", "7"), paint("noise", "8"), "another seed, another start");
    // A start from the photograph has no randomness for the seed to change.
    assert_eq!(paint("content", "7"), paint("content", "8"));
}

#[test]
fn save_every_writes_numbered_snapshots() {
    let d = Dir::new("snap");
    let c = d.image("c.png", 24, 24);
    let st = d.image("style.png", 24, 24);
    let out = d.path("o.png");
    let o = run(&[
        "--content",
        s(&c),
        "--style",
        s(&st),
        "--output",
        s(&out),
        "--size",
        "24",
        "--iterations",
        "4",
        "--save-every",
        "2",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.path("o_0002.png").exists(), "the snapshot at iteration 2");
    // The last iteration's picture is the result itself: no copy of it beside.
    assert!(out.exists() && !d.path("o_0004.png").exists());
}

#[test]
fn help_and_version() {
    let o = run(&["--help"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for flag in ["--content", "--style-blend-weights", "--lbfgs-history", "--trace", "--max-memory"] {
        assert!(text.contains(flag), "--help lacks {flag}");
    }
    let o = run(&["--version"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("neural-style "));
}

#[test]
fn help_in_every_spelling_and_for_every_subcommand() {
    // (arguments, a flag of that help's own, a flag it must not list)
    let cases: [(&[&str], &str, &str); 7] = [
        (&["-h"], "  --style-layers", "  --nothing"),
        (&["help"], "  --cols", "  --nothing"),
        (&["sheet", "--help"], "  --cols N", "  --style-layers"),
        (&["plot", "--help"], "  --title TEXT", "  --cols"),
        (&["calibrate", "-h"], "  --exact", "  --style-layers"),
        (&["batch", "--help"], "  --shard K/N", "  --cols"),
        (&["--content", "x.png", "-h"], "--content PATH", "  --nothing"),
    ];
    for (args, has, lacks) in cases {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains(has), "{args:?}: help lacks {has}");
        assert!(!text.contains(lacks), "{args:?}: help lists {lacks}");
    }
}

#[test]
fn the_peers_flags_get_one_line_naming_ours() {
    let cases: [(&[&str], String); 8] = [
        (&["-content_image", "a.png", "-style_image", "b.png"], did_you_mean("--content")),
        (&["--style_image", "b.png"], did_you_mean("--style")),
        (&["-output_image", "o.png"], did_you_mean("--output")),
        (&["-image_size", "512"], did_you_mean("--size")),
        (&["-num_iterations", "1000"], did_you_mean("--iterations")),
        (&["-original_colors", "1"], did_you_mean("--preserve-colors original")),
        (&["-lbfgs_num_correction", "5"], did_you_mean("--lbfgs-history")),
        (&["-gpu", "-1"], "CPU".to_string()),
    ];
    for (args, hint) in cases {
        let o = run(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        // One line for each of the peers' flags, the first naming ours.
        let peers = args.iter().filter(|a| a.starts_with('-') && a.contains('_')).count().max(1);
        assert_eq!(err.trim_end().lines().count(), peers, "{args:?}: {err}");
        assert!(err.lines().next().unwrap().contains(args[0]) && err.contains(&hint), "{args:?}: {err}");
    }
}

#[test]
fn init_takes_the_peers_words_image_and_random() {
    let d = Dir::new("init-words");
    let (c, st) = (d.image("c.png", 24, 20), d.image("s.png", 20, 20));
    let paint = |init: &str| {
        let out = d.path(&format!("{init}.png"));
        let args =
            ["--content", s(&c), "--style", s(&st), "--output", s(&out), "--size", "24", "--iterations", "1", "--init", init, "--quiet"];
        let o = run(&args);
        assert!(o.status.success(), "--init {init}: {}", stderr(&o));
        std::fs::read(&out).unwrap()
    };
    paint("random");
    // "image" is the content: the same bytes as --init content.
    assert_eq!(paint("image"), paint("content"));
}

/// Each `--init` start that cannot be made is refused up front with its own
/// line (not a later library error, not "No such file"); each one that can,
/// starts: `style` with a painting, an image file that exists.
#[test]
fn init_refuses_each_start_it_cannot_make_with_its_reason() {
    let d = Dir::new("init-refusals");
    let (c, st) = (d.image("c.png", 24, 20), d.image("s.png", 20, 20));
    let out = d.path("out.png");
    let (c, st, out) = (s(&c), s(&st), s(&out));
    let missing = d.path("missing.png");
    let cases: [(&[&str], &str); 5] = [
        (
            &["--content", c, "--style", st, "--init", "randm"],
            "--init: expected noise, content, style or an image file; 'randm' is neither; did you mean random?",
        ),
        (&["--content", c, "--style", st, "--init", s(&missing)], "is neither"),
        (&["--style", st, "--init", "content"], "--init content: needs --content"),
        (&["--style", st, "--init", "image"], "--init image: needs --content"),
        (&["--content", c, "--init", "style"], "--init style: needs --style"),
    ];
    for (args, line) in cases {
        refuses(
            &[args, &["--output", out, "--size", "24", "--iterations", "1", "--quiet"]].concat(),
            2,
            &[line],
            d.path("out.png").as_path(),
        );
    }
    // Zero iterations write the start: an image file starts as itself, not
    // as the photograph (what the start would be without it) nor noise.
    let start = |init: &str| {
        let o = run(&["--content", c, "--style", st, "--output", out, "--size", "24", "--iterations", "0", "--init", init, "--quiet"]);
        assert!(o.status.success(), "--init {init}: {}", stderr(&o));
        image::open(out).unwrap().to_rgb8()
    };
    let file = d.image("start.png", 24, 20);
    let (from_file, wanted) = (start(s(&file)), image::open(&file).unwrap().to_rgb8());
    let off = from_file.as_raw().iter().zip(wanted.as_raw()).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
    assert!(off <= 1, "--init FILE: the start is {off}/255 away from the file");
    assert_ne!(from_file, start("content"));
    assert_ne!(start("style"), start("noise"));
    // A start of another size is resized to the result, and said so unless
    // --quiet; one of the result's size is not.
    let told = |init: &std::path::Path, quiet: bool| {
        let mut args = vec!["--content", c, "--style", st, "--output", out, "--size", "24", "--iterations", "0", "--init", s(init)];
        args.extend(quiet.then_some("--quiet"));
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o).lines().filter(|l| l.contains("--init:")).map(str::to_string).collect::<Vec<_>>()
    };
    let big = d.image("big.png", 48, 40);
    assert_eq!(told(&big, false), [format!("neural-style: --init: {} is 48x40; resized to the result's 24x20", s(&big))]);
    assert!(told(&big, true).is_empty());
    assert!(told(&file, false).is_empty(), "the result's size");
}

/// `--optimizer adam` without `--learning-rate` steps by the documented
/// default (10, as `--help` says), which moves the picture; another rate
/// paints another picture.
#[test]
fn adam_steps_by_the_documented_learning_rate() {
    let d = Dir::new("adam-rate");
    let (c, st, out) = (d.image("c.png", 24, 20), d.image("s.png", 20, 20), d.path("out.png"));
    let paint = |extra: &[&str]| {
        let mut args = vec!["-c", s(&c), "-s", s(&st), "-o", s(&out), "--size", "24", "--optimizer", "adam", "--quiet"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        std::fs::read(&out).unwrap()
    };
    let default = paint(&["--iterations", "3"]);
    assert_eq!(default, paint(&["--iterations", "3", "--learning-rate", "10"]), "the default rate is 10");
    assert_ne!(default, paint(&["--iterations", "3", "--learning-rate", "20"]));
    assert_ne!(default, paint(&["--iterations", "0"]), "the default rate moves the picture");
}

/// `sheet` lays its pictures out `--cols` to a row, and `plot` draws a
/// trace's curves under the title given.
#[test]
fn sheet_and_plot_write_what_they_say() {
    let d = Dir::new("tools-run");
    let pics: Vec<String> = ["a.png", "bb.png", "ccc.png"].iter().map(|f| s(&d.image(f, 20, 16)).to_string()).collect();
    let sheet = |cols: &str| {
        let out = d.path(&format!("sheet{cols}.png"));
        let mut args = vec!["sheet", "--output", s(&out), "--cols", cols];
        args.extend(pics.iter().map(String::as_str));
        let o = run(&args);
        assert!(o.status.success(), "sheet --cols {cols}: {}", stderr(&o));
        image::image_dimensions(&out).unwrap()
    };
    let ((w3, h3), (w2, h2)) = (sheet("3"), sheet("2"));
    assert!(w3 >= 60 && w3 > w2 && h2 > h3 && h3 >= 16, "3 to a row {w3}x{h3}, 2 to a row {w2}x{h2}");

    let (trace, svg) = (d.path("t.jsonl"), d.path("loss.svg"));
    let out = d.path("out.png");
    let o = run(&[
        "--content",
        &pics[0],
        "--style",
        &pics[1],
        "--output",
        s(&out),
        "--size",
        "20",
        "--iterations",
        "3",
        "--trace",
        s(&trace),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["plot", "--trace", s(&trace), "--output", s(&svg), "--title", "three iterations"]);
    assert!(o.status.success(), "plot: {}", stderr(&o));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") || text.contains("<svg "), "not an SVG: {}", &text[..text.len().min(80)]);
    assert!(text.contains("three iterations"), "the title is missing");
}

/// What a mode cannot run without is refused before anything is loaded, one
/// line each: colours kept without both images, a reconstruction or a
/// texture without a layer, no image at all, no output.
#[test]
fn each_mode_refuses_what_it_cannot_run_without() {
    let d = Dir::new("mode-refusals");
    let c = d.image("c.png", 24, 20);
    let out = d.path("out.png");
    let (c, out) = (s(&c), s(&out));
    let cases: [(&[&str], &str); 6] = [
        (&["--content", c, "--output", out, "--preserve-colors", "luminance"], "--preserve-colors: needs both --content and --style"),
        (&["--style", c, "--output", out, "--preserve-colors", "histogram"], "--preserve-colors: needs both --content and --style"),
        (&["--content", c, "--output", out, "--content-layers", ""], "--content-layers: content reconstruction needs at least one layer"),
        (&["--style", c, "--output", out, "--style-layers", ""], "--style-layers: texture synthesis needs at least one layer"),
        (&["--output", out], "give --content, --style, or both (see --help)"),
        (&["--content", c, "--style", c], "--output: required"),
    ];
    for (args, line) in cases {
        // Small, so that a run let through by mistake ends at once.
        refuses(&[args, &["--size", "24", "--iterations", "1"]].concat(), 2, &[line], std::path::Path::new(out));
    }
}

/// `--style-blend-weights`: only their proportions count (1,2 paints what
/// 2,4 paints, not what 2,1 paints); weights that are negative, not finite or
/// all zero, or not one per painting, are refused with their own line; so are
/// masks that are not one per painting.
#[test]
fn blend_weights_count_by_proportion_and_bad_ones_are_refused() {
    let d = Dir::new("blend-weights");
    let (c, a, b) = (d.image("c.png", 24, 20), d.image("a.png", 20, 20), d.image("bb.png", 20, 20));
    let mask = d.image("m.png", 24, 20);
    let two_masks = format!("{},{}", s(&mask), s(&mask));
    let out = d.path("out.png");
    let styles = format!("{},{}", s(&a), s(&b));
    let args = |extra: &[&str]| -> Vec<String> {
        let base = ["--content", s(&c), "--style", &styles, "--output", s(&out), "--size", "24", "--iterations", "2", "--quiet"];
        base.iter().chain(extra).map(|a| a.to_string()).collect()
    };
    let paint = |weights: &str| {
        let _ = std::fs::remove_file(&out);
        let o = run(&args(&["--style-blend-weights", weights]).iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{weights}: {}", stderr(&o));
        std::fs::read(&out).unwrap()
    };
    let one_two = paint("1,2");
    assert_eq!(one_two, paint("2,4"), "only the proportions count");
    assert_ne!(one_two, paint("2,1"), "the weights follow the paintings' order");
    std::fs::remove_file(&out).unwrap();
    let refusals: [(&[&str], &str); 6] = [
        (&["--style-blend-weights", "0,0"], "--style-blend-weights: finite weights >= 0, not all zero"),
        (&["--style-blend-weights", "-1,2"], "--style-blend-weights: finite weights >= 0, not all zero"),
        (&["--style-blend-weights", "nan,1"], "--style-blend-weights: finite weights >= 0, not all zero"),
        (&["--style-blend-weights", "1,1,1"], "--style-blend-weights: 3 weights for 2 style images"),
        (&["--style-masks", s(&mask)], "--style-masks: 1 masks for 2 style images"),
        (&["--style-masks", &two_masks, "--style-image-masks", s(&mask)], "--style-image-masks: 1 masks for 2 style images"),
    ];
    for (extra, line) in refusals {
        refuses(&args(extra), 2, &[line], &out);
    }
}

#[test]
fn coarse_to_fine_runs_each_scale_and_traces_them_in_one_sequence() {
    let d = Dir::new("scales");
    let c = d.image("c.png", 64, 48);
    let st = d.image("style.png", 40, 40);
    let (out, trace) = (d.path("o.png"), d.path("t.jsonl"));
    let o = run(&[
        "--content",
        s(&c),
        "--style",
        s(&st),
        "--output",
        s(&out),
        "--size",
        "64",
        "--scales",
        "2",
        "--scale-iterations",
        "3,2",
        "--trace",
        s(&trace),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(image::image_dimensions(&out).unwrap(), (64, 48));
    let text = std::fs::read_to_string(&trace).unwrap();
    let sizes: Vec<&str> = text.lines().map(|l| l.rsplit("\"width\":").next().unwrap().trim_end_matches('}')).collect();
    assert_eq!(sizes.first(), Some(&"32"));
    assert_eq!(sizes.last(), Some(&"64"));
    for (i, l) in text.lines().enumerate() {
        assert!(l.starts_with(&format!("{{\"eval\":{},", i + 1)), "evaluations number on across scales: {l}");
    }
    assert!(stderr(&o).contains(messages::SCALE_2_OF_2));
}

#[test]
fn preserve_colors_modes_run() {
    let d = Dir::new("colors");
    let c = d.image("c.png", 32, 32);
    let st = d.image("style.png", 32, 32);
    for mode in ["luminance", "histogram", "histogram-cholesky", "original"] {
        let out = d.path(&format!("{mode}.png"));
        let o = run(&[
            "--content",
            s(&c),
            "--style",
            s(&st),
            "--output",
            s(&out),
            "--size",
            "32",
            "--iterations",
            "2",
            "--preserve-colors",
            mode,
            "--quiet",
        ]);
        assert!(o.status.success(), "{mode}: {}", stderr(&o));
        assert!(out.exists());
    }
    let o = run(&["--style", s(&st), "--output", s(&d.path("x.png")), "--preserve-colors", "luminance"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Mean of each channel of an image file, in 0..1.
fn mean_rgb(p: &std::path::Path) -> [f64; 3] {
    let img = image::open(p).unwrap().to_rgb8();
    let n = (img.width() * img.height()) as f64;
    let mut m = [0.0; 3];
    for px in img.pixels() {
        for (m, &v) in m.iter_mut().zip(&px.0) {
            *m += v as f64 / 255.0 / n;
        }
    }
    m
}

/// Mean absolute difference of two images of one size, in 0..1.
fn mean_abs_diff(a: &std::path::Path, b: &std::path::Path) -> f64 {
    let (a, b) = (image::open(a).unwrap().to_rgb8(), image::open(b).unwrap().to_rgb8());
    assert_eq!(a.dimensions(), b.dimensions());
    let n = a.as_raw().len() as f64;
    a.as_raw().iter().zip(b.as_raw()).map(|(&x, &y)| (x as f64 - y as f64).abs() / 255.0).sum::<f64>() / n
}

/// A picture of one hue with a pattern: `tint` scales a grey checker and ramp.
fn tinted(d: &Dir, name: &str, tint: [f32; 3], cell: u32) -> std::path::PathBuf {
    let p = d.path(name);
    image::RgbImage::from_fn(32, 32, |x, y| {
        let v = 0.35 + 0.4 * ((x / cell + y / cell) % 2) as f32 + 0.2 * (x + y) as f32 / 64.0;
        image::Rgb(tint.map(|t| (255.0 * (v * t).min(1.0)) as u8))
    })
    .save(&p)
    .unwrap();
    p
}

/// Content reconstruction from noise comes back to the photograph, nearly
/// exactly from relu1_1 and less so from higher layers (the paper's Fig. 1): a
/// content layer ignored, a target from the wrong image or a dropped content
/// gradient leave it far off or the layers alike.
#[test]
fn content_reconstruction_returns_to_the_photograph() {
    let d = Dir::new("reconstruct");
    let c = d.image("c.png", 32, 32);
    let paint = |layer: &str, its: &str| {
        let out = d.path(&format!("{layer}_{its}.png"));
        let a =
            ["--content", s(&c), "--output", s(&out), "--size", "32", "--init", "noise", "--iterations", its, "--content-layers", layer];
        let o = run(&[&a[..], &["--quiet"]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        mean_abs_diff(&out, &c)
    };
    let start = paint("relu1_1", "0");
    let (low, high) = (paint("relu1_1", "150"), paint("relu2_1", "150"));
    assert!(start > 0.2, "the noise start is far from the photograph ({start})");
    assert!(low < 0.05, "relu1_1 reconstruction is {low} from the photograph (noise: {start})");
    assert!(high > low + 0.05 && high < start, "relu2_1 reconstruction {high}, relu1_1 {low}, noise {start}");
}

/// `--preserve-colors`: a reddish photograph in a bluish style stays reddish in
/// every mode, while the plain transfer turns it bluer.
#[test]
fn preserve_colors_keeps_the_photographs_hue() {
    let d = Dir::new("hue");
    let c = tinted(&d, "red.png", [1.0, 0.45, 0.3], 4);
    let st = tinted(&d, "blue.png", [0.25, 0.45, 1.0], 2);
    let redness = |p: &std::path::Path| {
        let m = mean_rgb(p);
        m[0] - m[2]
    };
    let paint = |mode: Option<&str>| {
        let out = d.path(&format!("{}.png", mode.unwrap_or("plain")));
        let mut a = vec!["--content", s(&c), "--style", s(&st), "--output", s(&out), "--size", "32", "--iterations", "40"];
        a.extend(["--style-weight", "1e3", "--quiet"]);
        if let Some(m) = mode {
            a.extend(["--preserve-colors", m]);
        }
        let o = run(&a);
        assert!(o.status.success(), "{mode:?}: {}", stderr(&o));
        redness(&out)
    };
    let (photo, painting, plain) = (redness(&c), redness(&st), paint(None));
    assert!(photo > 0.2 && painting < -0.2, "made pictures: {photo} {painting}");
    assert!(plain < photo - 0.1, "the plain transfer keeps the photograph's hue ({plain} vs {photo}): the test cannot tell");
    for mode in ["luminance", "histogram", "histogram-cholesky", "original"] {
        let kept = paint(Some(mode));
        assert!(kept > plain + 0.1 && kept > 0.5 * photo, "{mode}: redness {kept}, photograph {photo}, plain transfer {plain}");
    }
}

#[test]
fn flow_writes_the_flo_file_and_its_picture_and_refuses_frames_of_two_sizes() {
    let d = Dir::new("flow-cmd");
    let (a, b, other) = (d.image("a.png", 40, 30), d.image("b.png", 40, 30), d.image("c.png", 30, 30));
    let (flo, pic) = (d.path("f.flo"), d.path("f.png"));
    let o = run(&["flow", "--from", s(&a), "--to", s(&b), "--output", s(&flo), "--picture", s(&pic)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&flo).unwrap();
    let f = neural_style::flow::files::from_flo(&bytes, &flo).unwrap();
    assert_eq!(f.dim(), (30, 40));
    assert_eq!(image::image_dimensions(&pic).unwrap(), (40, 30));
    let o = run(&["flow", "--from", s(&a), "--to", s(&other), "--output", s(&flo)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the same size"), "{}", stderr(&o));
    let o = run(&["flow", "--from", s(&a)]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(e.contains("flow: --to PATH is required") && e.contains("flow: --output PATH is required"), "{e}");
}
