//! Bad input, interruption, non-finite values: one clear line on stderr, exit 2
//! for usage errors and 1 at run time, never a panic, and no output file.

mod common;

use common::cli::refuses;
use common::messages;
use neural_style::weights::WeightsFile;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_neural-style");

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ns-robust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn picture(p: &Path, w: u32, h: u32, cell: u32) {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 5) as u8, if (x / cell + y / cell).is_multiple_of(2) { 30 } else { 200 }])
    })
    .save(p)
    .unwrap();
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A tiny photograph and painting in their own folder, and where the result goes.
struct Case {
    d: PathBuf,
    content: PathBuf,
    style: PathBuf,
    out: PathBuf,
}

fn case(name: &str) -> Case {
    let d = dir(name);
    let (content, style) = (d.join("c.png"), d.join("s.png"));
    picture(&content, 32, 24, 4);
    picture(&style, 24, 24, 3);
    let out = d.join("out.png");
    Case { d, content, style, out }
}

impl Case {
    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut a = vec![
            "--content".into(),
            s(&self.content),
            "--style".into(),
            s(&self.style),
            "--output".into(),
            s(&self.out),
            "--size".into(),
            "24".into(),
            "--iterations".into(),
            "2".into(),
            "--quiet".into(),
        ];
        a.extend(extra.iter().map(|e| e.to_string()));
        a
    }
    fn with(&self, flag: &str, value: &str) -> Vec<String> {
        let mut a = self.args(&[]);
        match a.iter().position(|x| x == flag) {
            Some(i) => a[i + 1] = value.to_string(),
            None => {
                a.push(flag.into());
                a.push(value.into());
            }
        }
        a
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.d);
    }
}

#[test]
fn bad_image_files() {
    let c = case("images");
    let missing = c.d.join("missing.png");
    let empty = c.d.join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let text = c.d.join("notes.png");
    std::fs::write(&text, b"this is not a picture\n").unwrap();
    let truncated = c.d.join("trunc.png");
    let full = std::fs::read(&c.content).unwrap();
    std::fs::write(&truncated, &full[..full.len() / 2]).unwrap();
    let gif = c.d.join("anim.gif");
    std::fs::write(&gif, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
    let zero = c.d.join("zero.png");
    // A PNG header claiming 0x0 pixels.
    let mut z = full.clone();
    z[16..24].copy_from_slice(&[0; 8]);
    std::fs::write(&zero, &z).unwrap();
    let folder = c.d.join("folder.png");
    std::fs::create_dir_all(&folder).unwrap();
    for (p, why) in [
        (&missing, "No such file"),
        (&empty, "empty"),
        (&text, "not an image"),
        (&truncated, "decode"),
        (&gif, "not supported"),
        (&zero, "decode"),
        (&folder, "folder.png"),
    ] {
        refuses(&c.with("--content", &s(p)), 1, &[&s(p), why], &c.out);
        refuses(&c.with("--style", &s(p)), 1, &[&s(p)], &c.out);
    }
}

#[test]
fn bad_flags() {
    let c = case("flags");
    let other = c.d.join("other.png");
    picture(&other, 10, 10, 2);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (c.with("--style-layers", "relu1_1,relu9_1"), "relu9_1"),
        (c.with("--content-layers", "conv4_2"), "conv4_2"),
        (c.with("--content-weight", "-1"), "--content-weight"),
        (c.with("--style-weight", "nan"), "--style-weight"),
        (c.with("--tv-weight", "inf"), "--tv-weight"),
        (c.with("--size", "0"), "--size"),
        (c.with("--size", "big"), "--size"),
        (c.with("--style-blend-weights", "0.5,0.5"), "--style-blend-weights"),
        (c.with("--style-layer-weights", "1,2"), "--style-layer-weights"),
        (c.with("--pooling", "median"), "--pooling"),
        (c.with("--optimizer", "sgd"), "--optimizer"),
        (c.with("--lbfgs-history", "0"), "--lbfgs-history"),
        (c.with("--output", &s(&c.d.join("out.bmp"))), "--output"),
        (c.args(&["--bogus", "1"]), "--bogus"),
        (c.args(&["--seed"]), "--seed: missing value"),
        (vec!["--content".into(), s(&c.content)], "--output"),
        (vec!["--output".into(), s(&c.out)], "--content"),
    ];
    for (args, needle) in cases {
        refuses(&args, 2, &[needle], &c.out);
    }
}

#[test]
fn bad_weights_files() {
    let c = case("weights");
    let good = WeightsFile::from_network(&neural_style::Vgg19::random(1, 16), "random").to_bytes();
    let variants: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.nsw", good[..good.len() / 3].to_vec(), "truncated"),
        (
            "corrupt.nsw",
            {
                let mut b = good.clone();
                let n = b.len();
                b[n / 2] ^= 0xff;
                b
            },
            "checksum",
        ),
        ("other.nsw", b"PK\x03\x04 a zip, say a .pth".to_vec(), "not a neural-style weights file"),
        (
            "nonfinite.nsw",
            {
                let mut f = WeightsFile::parse(&good).unwrap();
                f.layers[0].bias[0] = f32::NAN;
                f.to_bytes()
            },
            "non-finite",
        ),
        (
            "shallow.nsw",
            {
                let mut f = WeightsFile::parse(&good).unwrap();
                f.layers.truncate(3);
                f.to_bytes()
            },
            "deeper",
        ),
    ];
    for (name, bytes, why) in variants {
        let p = c.d.join(name);
        std::fs::write(&p, bytes).unwrap();
        refuses(&c.with("--weights", &s(&p)), 1, &[name, why], &c.out);
    }
    let missing = c.d.join("missing.nsw");
    refuses(&c.with("--weights", &s(&missing)), 1, &["missing.nsw"], &c.out);
}

#[test]
fn init_of_another_size_is_resized_with_a_note() {
    let c = case("init-size");
    let other = c.d.join("other.png");
    picture(&other, 10, 10, 2);
    // Not --quiet: the note goes with the progress lines.
    let args: Vec<String> = c.with("--init", &s(&other)).into_iter().filter(|a| a != "--quiet").collect();
    let o = Command::new(BIN).args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("--init") && err.contains("10x10") && err.contains("resized"), "{err}");
    let reference = c.d.join("reference.png");
    let o = Command::new(BIN).args(c.with("--output", &s(&reference))).output().unwrap();
    assert!(o.status.success());
    assert_eq!(image::image_dimensions(&c.out).unwrap(), image::image_dimensions(&reference).unwrap());
}

#[test]
fn output_checked_before_the_long_work() {
    let c = case("output");
    refuses(&c.with("--output", &s(&c.d.join("no/such/dir/out.png"))), 2, &["does not exist"], &c.d.join("no/such/dir/out.png"));
    // The output would overwrite an input.
    let before = std::fs::read(&c.content).unwrap();
    let o = Command::new(BIN).args(c.with("--output", &s(&c.content))).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(messages::ALSO_AN_INPUT));
    assert_eq!(std::fs::read(&c.content).unwrap(), before, "the input was touched");
}

#[test]
fn memory_guard_names_a_size_that_fits() {
    let c = case("memory");
    let msg = refuses(
        &c.args(&["--size", "4000", "--max-memory", "300"]),
        1,
        &["not enough memory", "--max-memory allows 300 MB", "--size"],
        &c.out,
    );
    let fit: usize = msg.rsplit("--size ").next().unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(fit < 4000 && fit > 16, "{msg}");
    // And that size does fit.
    let o = Command::new(BIN).args(c.args(&["--size", &fit.to_string(), "--max-memory", "300", "--iterations", "0"])).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn non_finite_loss_stops_with_a_message_and_keeps_an_image() {
    let c = case("nan");
    // A network whose activations overflow f32.
    let mut f = WeightsFile::from_network(&neural_style::Vgg19::random(2, 16), "overflowing");
    for l in &mut f.layers {
        if let neural_style::weights::Encoding::F32(w) = &mut l.weights {
            w.iter_mut().for_each(|v| *v *= 1e12);
        }
    }
    let p = c.d.join("huge.nsw");
    std::fs::write(&p, f.to_bytes()).unwrap();
    let o = Command::new(BIN).args(c.with("--weights", &s(&p))).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(messages::NON_FINITE) && err.lines().count() == 1, "{err}");
    assert!(c.out.exists(), "the last finite image (the start) is written");
}

fn wait_for(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let t = Instant::now();
    while t.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The binary started with `args`, once its optimisation is under way (the
/// trace has lines), its stderr piped.
fn under_way(args: &[String], trace: &Path) -> std::process::Child {
    let child = Command::new(BIN).args(args).stderr(Stdio::piped()).spawn().unwrap();
    let t = Instant::now();
    while std::fs::read_to_string(trace).map_or(0, |t| t.lines().count()) < 3 && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// A single scale at `size` px for many iterations, its stderr piped, once
/// its trace exists: the trace is opened after the signal handler is
/// installed and before the targets are made.
fn starting(c: &Case, size: &str, trace: &Path) -> std::process::Child {
    let child = Command::new(BIN)
        .args(c.args(&["--size", size, "--scales", "1", "--iterations", "100000", "--trace", &s(trace)]))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !trace.exists() && t.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child
}

fn kill(sig: &str, pid: u32) {
    assert!(Command::new("kill").args([sig, &pid.to_string()]).status().unwrap().success());
}

#[test]
fn sigint_and_sigterm_write_the_best_image_and_exit_130() {
    for sig in ["-INT", "-TERM"] {
        let c = case(&format!("signal{sig}"));
        let trace = c.d.join("trace.jsonl");
        let mut child = under_way(&c.args(&["--size", "64", "--iterations", "100000", "--trace", &s(&trace)]), &trace);
        kill(sig, child.id());
        let status = wait_for(&mut child, Duration::from_secs(60)).expect("exits after the signal");
        assert_eq!(status.code(), Some(130), "{sig}");
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(err.contains(messages::INTERRUPTED), "{err}");
        assert!(err.contains(messages::STOPPING) && err.contains(messages::AGAIN_TO_QUIT), "the first signal is answered at once: {err}");
        assert_eq!(image::image_dimensions(&c.out).unwrap(), (64, 48));
        // No temporary file left behind.
        let leftovers: Vec<_> =
            std::fs::read_dir(&c.d).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(".tmp")).collect();
        assert!(leftovers.is_empty());
    }
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let c = case("twice");
    let trace = c.d.join("trace.jsonl");
    // At 1024 px preparing the targets takes about a second, the cancelled
    // run's save a good part of one more: the second Ctrl-C, sent as soon as
    // the first is answered, lands well before any image could be written.
    let mut child = starting(&c, "1024", &trace);
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(messages::STOPPING) {
                let _ = tx.send(());
            }
        }
    });
    // Two signals, the second only once the first has been handled (so they
    // cannot merge into one pending signal).
    kill("-INT", child.id());
    rx.recv_timeout(Duration::from_secs(30)).expect("the first Ctrl-C is answered at once");
    kill("-INT", child.id());
    let status = wait_for(&mut child, Duration::from_secs(30)).expect("exits");
    assert_eq!(status.code(), Some(130));
    assert!(!c.out.exists(), "the second Ctrl-C quits without saving");
}

/// The first Ctrl-C stops the pass under way, not only the next iteration:
/// sent as the run starts (the trace is opened after the handler is
/// installed and before the targets are made), it leaves no evaluation in the
/// trace. A binary whose cancel flag were not the one the handler sets would
/// finish the first evaluation (about a second at 512 px) and trace it.
#[test]
fn ctrl_c_stops_the_pass_under_way() {
    let c = case("mid-pass");
    let trace = c.d.join("trace.jsonl");
    let mut child = starting(&c, "512", &trace);
    kill("-INT", child.id());
    let status = wait_for(&mut child, Duration::from_secs(120)).expect("exits after the signal");
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    let lines = std::fs::read_to_string(&trace).unwrap().lines().count();
    assert_eq!(lines, 0, "no evaluation finishes after the first Ctrl-C: {err}");
}

/// Ctrl-C in a batch says what happens: the item is not written, and running
/// the batch again paints it.
#[test]
fn ctrl_c_in_a_batch_says_the_item_is_not_written() {
    let c = case("batch-signal");
    let (frames, out, trace) = (c.d.join("frames"), c.d.join("out"), c.d.join("trace.jsonl"));
    std::fs::create_dir_all(&frames).unwrap();
    picture(&frames.join("a.png"), 64, 48, 3);
    let args: Vec<String> = ["batch", "--contents", &s(&frames), "--styles", &s(&c.style), "--output-dir", &s(&out)]
        .into_iter()
        .chain(["--size", "64", "--iterations", "100000", "--trace", &s(&trace)])
        .map(String::from)
        .collect();
    let mut child = under_way(&args, &trace);
    kill("-INT", child.id());
    let status = wait_for(&mut child, Duration::from_secs(60)).expect("exits after the signal");
    assert_eq!(status.code(), Some(130));
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains(messages::NOT_WRITTEN) && !err.contains(messages::BEST_SO_FAR), "{err}");
    assert!(!out.join("a__s.png").exists());
}

/// The rough edges a first user met, each answered plainly.
#[test]
fn first_contact_rough_edges() {
    let c = case("rough");
    // Without --quiet: what the user reads.
    let run = |args: &[String]| {
        let o = Command::new(BIN).args(args.iter().filter(|a| *a != "--quiet")).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    // A folder that takes no file: said as such, before anything starts.
    let (code, err) = run(&c.with("--output", "/proc/out.png"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&messages::cannot_write_in("--output", "/proc")), "{err}");
    // No style weight: the run converges, said in words, not the optimiser's.
    let (code, err) = run(&c.args(&["--size", "24", "--iterations", "30", "--style-weight", "0"]));
    assert_eq!(code, Some(0), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(last.contains(messages::STOPPED) && !last.contains("Converged(") && !last.contains("MoreThuente"), "{last}");
    // Forgetting --style says which mode runs.
    let no_style: Vec<String> = c.args(&[]).into_iter().filter(|a| *a != "--style" && *a != s(&c.style)).collect();
    let (code, err) = run(&no_style);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains(messages::NO_STYLE), "{err}");
    // A mask of another shape than the photograph is said to be stretched.
    let mask = c.d.join("tall.png");
    picture(&mask, 10, 40, 2);
    let (code, err) = run(&c.args(&["--size", "24", "--iterations", "1", "--style-masks", &s(&mask)]));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("tall.png is 10x40") && err.contains(messages::STRETCHED), "{err}");
    // A mask of the photograph's shape at another size is not: nor is a run
    // with both images said to be another mode.
    let same = c.d.join("same.png");
    picture(&same, 64, 48, 2);
    let (code, err) = run(&c.args(&["--size", "24", "--iterations", "1", "--style-masks", &s(&same)]));
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains(messages::STRETCHED) && !err.contains(messages::NO_STYLE) && !err.contains(messages::NO_CONTENT), "{err}");
    // Forgetting --content says which mode runs too.
    let no_content: Vec<String> = c.args(&[]).into_iter().filter(|a| *a != "--content" && *a != s(&c.content)).collect();
    let (code, err) = run(&no_content);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains(messages::NO_CONTENT) && !err.contains(messages::NO_STYLE), "{err}");
}

/// `NEURAL_STYLE_ISA` pins the kernels' level; a word it does not know, or a
/// level this CPU lacks, is refused in one line before anything starts.
#[test]
fn the_instruction_set_can_be_pinned_and_a_wrong_one_is_refused() {
    let c = case("isa");
    let with = |isa: &str| Command::new(BIN).args(c.args(&[])).env("NEURAL_STYLE_ISA", isa).output().unwrap();
    let names: Vec<&str> = neural_style::ops::simd::Isa::available().iter().map(|i| i.name()).collect();
    assert_eq!(names[0], "portable", "every CPU runs the portable level: {names:?}");
    assert!(names.iter().all(|n| ["avx512", "avx2", "portable"].contains(n)), "the words the variable takes: {names:?}");
    for name in names {
        let o = with(name);
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let _ = std::fs::remove_file(&c.out);
    let o = with("avx3");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("NEURAL_STYLE_ISA: expected avx512, avx2 or portable, got 'avx3'"), "{err}");
    assert!(!c.out.exists());
}

/// `--precision bf16` rounds the input gradients' products only: where the
/// CPU has AVX512_BF16 the first evaluation's loss (a forward) is f32's to
/// the bit and the picture is not (f32, the default, paints what no flag
/// paints); pinned below AVX-512 (every CPU can be)
/// it is refused in one line before anything starts, as is a word it does
/// not know.
#[test]
fn bf16_precision_changes_the_gradient_only_and_is_refused_where_it_cannot_run() {
    let c = case("precision");
    let trace = c.d.join("trace.jsonl");
    let with = |precision: &str, isa: Option<&str>| {
        let mut cmd = Command::new(BIN);
        cmd.args(c.args(&["--size", "48", "--iterations", "3", "--precision", precision, "--trace", &s(&trace)]));
        if let Some(isa) = isa {
            cmd.env("NEURAL_STYLE_ISA", isa);
        }
        let o = cmd.output().unwrap();
        let lines = std::fs::read_to_string(&trace).unwrap_or_default();
        let first = lines.lines().next().unwrap_or_default().split(",\"").find(|f| f.starts_with("loss\"")).map(String::from);
        let _ = std::fs::remove_file(&trace);
        (o, first, std::fs::read(&c.out).ok())
    };
    let (o, loss32, pic32) = with("f32", None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // f32 is the default: the same picture without the flag.
    let o = Command::new(BIN).args(c.args(&["--size", "48", "--iterations", "3"])).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(&c.out).ok() == pic32, "the default is not f32");
    if neural_style::ops::bf16::kernel_available() {
        let (o, loss16, pic16) = with("bf16", None);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(loss32.is_some() && loss16 == loss32, "the first loss differs: {loss32:?} against {loss16:?}");
        assert!(pic16 != pic32, "bf16 painted f32's picture");
    }
    let _ = std::fs::remove_file(&c.out);
    let (o, _, pic) = with("bf16", Some("portable"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // It says why: the level pinned, or the CPU.
    let has = cpu_has_bf16();
    let why = if has { "NEURAL_STYLE_ISA pins them to portable" } else { "which this CPU lacks" };
    assert!(err.contains("bf16 needs") && err.contains(why), "{err}");
    assert!(pic.is_none(), "a refused run wrote a picture");
    let (o, _, _) = with("bf61", None);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--precision: expected f32 or bf16, got 'bf61' (did you mean bf16?)"), "{err}");
}

/// Whether the CPU has AVX-512F and AVX512_BF16 (whatever level is pinned).
fn cpu_has_bf16() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bf16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}
