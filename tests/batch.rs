//! `neural-style batch`: every item once, style targets reused, resumable,
//! failures reported without stopping the rest, shards, video frames, and bad
//! input refused before anything starts.

mod common;

use common::cli::{json_number, json_string, run, s, stderr, Dir};
use common::messages::{batch_counts, reused};
use std::path::Path;

/// Flags that make each item take a fraction of a second.
const QUICK: [&str; 6] = ["--size", "24", "--iterations", "3", "--threads", "2"];

fn batch(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["batch"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&QUICK);
    run(&args)
}

fn pngs(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    v.sort();
    v
}

fn statuses(summary: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(summary)
        .unwrap()
        .lines()
        .map(|l| (json_string(l, "item").unwrap().to_string(), json_string(l, "status").unwrap().to_string()))
        .collect()
}

#[test]
fn every_item_once_style_targets_reused_and_a_rerun_does_only_what_is_missing() {
    let d = Dir::new("batch-all");
    d.image("frames/a.png", 32, 24);
    d.image("frames/b.png", 32, 24);
    let s1 = d.image("starry.png", 30, 30);
    let s2 = d.image("scream.png", 20, 28);
    let (out, sum) = (d.path("out"), d.path("sum.jsonl"));
    let styles = format!("{},{}", s(&s1), s(&s2));
    let o = batch(&["--contents", s(&d.path("frames")), "--styles", &styles, "--output-dir", s(&out), "--summary", s(&sum)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(pngs(&out), ["a__scream.png", "a__starry.png", "b__scream.png", "b__starry.png"]);
    // Two styles at one size: computed twice, reused for the other two items.
    assert!(stderr(&o).contains(&batch_counts(4, 0, 0)), "{}", stderr(&o));
    assert!(stderr(&o).contains(&reused(2)), "{}", stderr(&o));
    assert!(stderr(&o).contains("[3/4] b__starry"), "items are named in the progress: {}", stderr(&o));
    let st = statuses(&sum);
    assert_eq!(st.len(), 4);
    assert!(st.iter().all(|(_, status)| status == "done"), "{st:?}");
    let line = std::fs::read_to_string(&sum).unwrap().lines().next().unwrap().to_string();
    assert!(json_number(&line, "loss").unwrap() > 0.0 && json_number(&line, "seconds").is_some(), "{line}");
    // No temporary file is left beside the results.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 4);

    let kept = std::fs::metadata(out.join("a__starry.png")).unwrap().modified().unwrap();
    std::fs::remove_file(out.join("b__scream.png")).unwrap();
    let o = batch(&["--contents", s(&d.path("frames")), "--styles", &styles, "--output-dir", s(&out), "--summary", s(&sum)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(&batch_counts(1, 3, 0)), "{}", stderr(&o));
    let st = statuses(&sum);
    assert_eq!(st.iter().filter(|(_, x)| x == "skipped").count(), 3, "{st:?}");
    assert!(st.contains(&("b__scream".to_string(), "done".to_string())), "{st:?}");
    assert_eq!(pngs(&out).len(), 4);
    assert_eq!(std::fs::metadata(out.join("a__starry.png")).unwrap().modified().unwrap(), kept, "an existing result was rewritten");
}

/// Each item's line (wrote, or exists and skipped) is printed, and with
/// `--quiet` only the batch's closing count is.
#[test]
fn each_item_says_what_happened_unless_quiet() {
    let d = Dir::new("batch-quiet");
    let (c, st, out) = (d.image("c.png", 32, 24), d.image("st.png", 24, 24), d.path("out"));
    let go = |quiet: bool| {
        let mut args = vec!["--contents", s(&c), "--styles", s(&st), "--output-dir", s(&out)];
        if quiet {
            args.push("--quiet");
        }
        let o = batch(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let err = go(false);
    assert!(err.lines().any(|l| l.starts_with("[1/1] c__st: wrote ")), "{err}");
    let err = go(false);
    assert!(err.lines().any(|l| l.starts_with("[1/1] c__st: ") && l.ends_with("exists; skipped")), "{err}");
    std::fs::remove_dir_all(&out).unwrap();
    for (err, counts) in [(go(true), batch_counts(1, 0, 0)), (go(true), batch_counts(0, 1, 0))] {
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(&counts), "{err}");
    }
}

#[test]
fn a_content_that_cannot_be_read_is_reported_and_the_rest_go_on() {
    let d = Dir::new("batch-bad-item");
    let good = d.image("good.png", 32, 24);
    let bad = d.path("broken.png");
    std::fs::write(&bad, b"not a picture").unwrap();
    let st = d.image("style.png", 24, 24);
    let (out, sum) = (d.path("out"), d.path("sum.jsonl"));
    let contents = format!("{},{}", s(&bad), s(&good));
    let o = batch(&["--contents", &contents, "--styles", s(&st), "--output-dir", s(&out), "--summary", s(&sum)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&batch_counts(1, 0, 1)), "{err}");
    // Each item says what happened to it: the broken one why it failed, the
    // good one its run (the scale line) and what it wrote.
    let said = |needle: &str| err.lines().any(|l| l.contains(needle));
    assert!(said("[1/2] broken__style: failed: ") && said("not an image"), "{err}");
    assert!(said("[2/2] good__style: Transfer, ") && said("[2/2] good__style: wrote "), "{err}");
    assert_eq!(pngs(&out), ["good__style.png"]);
    let text = std::fs::read_to_string(&sum).unwrap();
    let failed = text.lines().find(|l| l.contains("\"status\":\"failed\"")).expect("a failed line");
    assert!(failed.contains("broken.png") && !failed.contains("\"error\":null"), "{failed}");
}

#[test]
fn shards_split_the_items_between_workers() {
    let d = Dir::new("batch-shards");
    for f in ["c/p.png", "c/q.png", "c/r.png"] {
        d.image(f, 24, 24);
    }
    let st = d.image("st.png", 24, 24);
    let out = d.path("out");
    let mut seen = Vec::new();
    for k in 0..2 {
        let sum = d.path(&format!("sum{k}.jsonl"));
        let shard = format!("{k}/2");
        let o =
            batch(&["--contents", s(&d.path("c")), "--styles", s(&st), "--output-dir", s(&out), "--shard", &shard, "--summary", s(&sum)]);
        assert!(o.status.success(), "{}", stderr(&o));
        let st = statuses(&sum);
        assert!(st.iter().all(|(_, x)| x == "done"), "shard {k}: {st:?}");
        seen.extend(st.into_iter().map(|(i, _)| i));
    }
    // 3 items over 2 shards: [0, 1) and [1, 3), nothing done twice.
    assert_eq!(seen, ["p__st", "q__st", "r__st"]);
    assert_eq!(pngs(&out).len(), 3);
}

#[test]
fn frames_of_a_sequence_start_from_the_previous_result() {
    let d = Dir::new("batch-seq");
    for f in ["f/0.png", "f/1.png", "f/2.png"] {
        d.image(f, 32, 24);
    }
    let st = d.image("st.png", 24, 24);
    let frames = d.path("f");
    // The first evaluation's content loss: 0 when a frame starts from its own
    // photograph, not 0 when it starts from the previous frame's painting.
    let first_content = |sequence: bool, name: &str| {
        let (out, trace) = (d.path(&format!("out-{name}")), d.path(&format!("{name}.jsonl")));
        let mut args = vec!["--contents", s(&frames), "--styles", s(&st), "--output-dir", s(&out), "--trace", s(&trace)];
        if sequence {
            args.push("--sequence");
        }
        let o = batch(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = std::fs::read_to_string(&trace).unwrap();
        let firsts: Vec<f64> =
            text.lines().filter(|l| json_number(l, "eval") == Some(1.0)).map(|l| json_number(l, "content").unwrap()).collect();
        assert_eq!(firsts.len(), 3, "one first evaluation per item: {text}");
        firsts
    };
    let plain = first_content(false, "plain");
    assert!(plain.iter().all(|&c| c == 0.0), "{plain:?}");
    let seq = first_content(true, "seq");
    assert_eq!(seq[0], 0.0, "the first frame starts from its photograph");
    assert!(seq[1] > 0.0 && seq[2] > 0.0, "later frames start from the previous result: {seq:?}");
    // Two styles: each style's sequence starts from its first photograph,
    // never from the other style's last frame.
    d.image("styles/a.png", 24, 24);
    d.image("styles/b.png", 20, 28);
    let (styles, out, trace) = (d.path("styles"), d.path("out-two"), d.path("two.jsonl"));
    let o = batch(&["--contents", s(&frames), "--styles", s(&styles), "--output-dir", s(&out), "--trace", s(&trace), "--sequence"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&trace).unwrap();
    let firsts: Vec<(String, f64)> = text
        .lines()
        .filter(|l| json_number(l, "eval") == Some(1.0))
        .map(|l| (json_string(l, "item").unwrap().to_string(), json_number(l, "content").unwrap()))
        .collect();
    assert_eq!(firsts.len(), 6, "one first evaluation per item: {text}");
    for (item, content) in &firsts {
        assert_eq!(
            item.ends_with("] 0__a") || item.ends_with("] 0__b"),
            *content == 0.0,
            "{item} starts from its photograph only if it is a first frame: {firsts:?}"
        );
    }
}

/// Frames of a pan: windows of one smooth picture, `step` px further right each.
fn pan(d: &Dir, frames: usize, step: u32) -> std::path::PathBuf {
    let (w, h) = (40u32, 30u32);
    let wide = |x: f32, y: f32| {
        let v = |a: f32, b: f32, c: f32| (127.5 + 100.0 * (x * a + b).sin() * (y * c).cos()) as u8;
        image::Rgb([v(0.31, 0.0, 0.23), v(0.17, 1.0, 0.41), v(0.53, 2.0, 0.11)])
    };
    for k in 0..frames {
        let img = image::RgbImage::from_fn(w, h, |x, y| wide((x + step * k as u32) as f32, y as f32));
        img.save(d.path(&format!("frames/f{k}.png"))).unwrap_or_else(|_| {
            std::fs::create_dir_all(d.path("frames")).unwrap();
            img.save(d.path(&format!("frames/f{k}.png"))).unwrap()
        });
    }
    d.path("frames")
}

#[test]
fn a_sequence_follows_the_motion_with_flow_and_the_temporal_loss() {
    let d = Dir::new("batch-flow");
    let frames = pan(&d, 3, 2);
    let st = d.image("st.png", 24, 24);
    // Each item's (temporal weight, temporal loss) at its first evaluation and at its last.
    let temporal = |extra: &[&str], name: &str| {
        let (out, trace) = (d.path(&format!("out-{name}")), d.path(&format!("{name}.jsonl")));
        let mut args = vec!["--contents", s(&frames), "--styles", s(&st), "--output-dir", s(&out), "--trace", s(&trace), "--sequence"];
        args.extend(extra);
        let o = batch(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = std::fs::read_to_string(&trace).unwrap();
        let rows: Vec<(f64, f64, f64)> = text
            .lines()
            .map(|l| (json_number(l, "eval").unwrap(), json_number(l, "temporal_weight").unwrap(), json_number(l, "temporal").unwrap()))
            .collect();
        let starts: Vec<usize> = (0..rows.len()).filter(|&k| rows[k].0 == 1.0).collect();
        assert_eq!(starts.len(), 3, "{text}");
        starts
            .iter()
            .map(|&k| (rows[k].1, rows[k].2, rows[k + 1..].iter().take_while(|r| r.0 > 1.0).map(|r| r.2).fold(0.0, f64::max)))
            .collect::<Vec<_>>()
    };
    let with = temporal(&["--temporal-weight", "3"], "flow");
    assert_eq!((with[0].0, with[0].1), (0.0, 0.0), "the first frame has nothing to follow");
    for (k, &(weight, first, later)) in with.iter().enumerate().skip(1) {
        assert_eq!(weight, 3.0, "frame {k}: the weight asked for");
        // The start is the previous result carried along the flow: where the flow is
        // trusted it is the temporal target itself.
        assert_eq!(first, 0.0, "frame {k} starts on its temporal target");
        assert!(later > 0.0, "frame {k}: the painting moves off it and is held: {later}");
    }
    // Luminance-only transfer follows the previous picture's luminance (its
    // colours are the photograph's): it starts on that target too.
    let grey = temporal(&["--temporal-weight", "3", "--preserve-colors", "luminance"], "lum");
    for (k, &(weight, first, later)) in grey.iter().enumerate().skip(1) {
        assert_eq!(weight, 3.0);
        assert!(first < 1e-6 * later.max(1e-30), "luminance frame {k} starts on its target: {first} (later {later})");
    }
    let without = temporal(&["--no-flow"], "noflow");
    assert!(without.iter().all(|&(w, t, l)| w == 0.0 && t == 0.0 && l == 0.0), "{without:?}");
    let e = stderr(&batch(&["--contents", s(&frames), "--styles", s(&st), "--output-dir", s(&d.path("x")), "--no-flow"]));
    assert!(e.contains("--sequence only"), "{e}");
    // A frame of another size is painted afresh, with a note; one frame alone has nothing to follow.
    d.image("frames/f9.png", 30, 30);
    let o = batch(&["--contents", s(&frames), "--styles", s(&st), "--output-dir", s(&d.path("sizes")), "--sequence"]);
    assert!(o.status.success() && stderr(&o).contains("not the previous frame's size"), "{}", stderr(&o));
    let one = d.path("frames/f0.png");
    let o = batch(&["--contents", s(&one), "--styles", s(&st), "--output-dir", s(&d.path("one")), "--sequence"]);
    assert!(o.status.success() && stderr(&o).contains("one frame"), "{}", stderr(&o));
}

#[test]
fn bad_batch_input_is_one_line_exit_2_and_nothing_starts() {
    let d = Dir::new("batch-refuse");
    let c = d.image("c.png", 24, 24);
    let st = d.image("st.png", 24, 24);
    std::fs::create_dir_all(d.path("empty")).unwrap();
    let file = d.path("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let out = d.path("out");
    let under_file = file.join("out");
    let (missing, empty, nope) = (d.path("missing.png"), d.path("empty"), d.path("nope.jpg"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--contents", s(&missing), "--styles", s(&st), "--output-dir", s(&out)], "missing.png"),
        (vec!["--contents", s(&empty), "--styles", s(&st), "--output-dir", s(&out)], "no .png or .jpg"),
        (vec!["--contents", s(&c), "--styles", s(&nope), "--output-dir", s(&out)], "nope.jpg"),
        (vec!["--contents", s(&c), "--styles", s(&st), "--output-dir", s(&out), "--shard", "3/3"], "--shard"),
        (vec!["--contents", s(&c), "--styles", s(&st), "--output-dir", s(&out), "--shard", "1/0"], "--shard"),
        (vec!["--contents", s(&c), "--styles", s(&st), "--output-dir", s(&out), "--shard", "a/b"], "--shard"),
        (vec!["--contents", s(&c), "--styles", s(&st), "--output-dir", s(&under_file)], "--output-dir"),
        (vec!["--contents", s(&c), "--styles", s(&st), "--output-dir", s(&out), "--content", s(&c)], "--contents"),
        (vec!["--styles", s(&st), "--output-dir", s(&out)], "--contents"),
        (vec!["--contents", s(&c), "--styles", s(&st)], "--output-dir"),
    ];
    for (args, needle) in cases {
        let o = batch(&args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{args:?}: one line: {e}");
        assert!(e.contains(needle), "{args:?}: '{needle}' not in: {e}");
        assert!(!out.join("c__st.png").exists(), "{args:?} started work");
    }
}

#[test]
fn init_path_applies_to_every_item() {
    let d = Dir::new("batch-init");
    d.image("c/a.png", 32, 24);
    d.image("c/b.png", 32, 24);
    let st = d.image("st.png", 24, 24);
    let start = d.image("start.png", 20, 20);
    let (out, trace) = (d.path("out"), d.path("t.jsonl"));
    let o = batch(&["--contents", s(&d.path("c")), "--styles", s(&st), "--output-dir", s(&out), "--init", s(&start), "--trace", s(&trace)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).trim_end().ends_with(&reused(1)), "one style, two items: {}", stderr(&o));
    let text = std::fs::read_to_string(&trace).unwrap();
    let firsts: Vec<f64> =
        text.lines().filter(|l| json_number(l, "eval") == Some(1.0)).map(|l| json_number(l, "content").unwrap()).collect();
    assert_eq!(firsts.len(), 2);
    // The same as a single run from that picture (not the noise start the
    // flag stands in for until the picture is loaded).
    let (single, a, single_png) = (d.path("single.jsonl"), d.path("c/a.png"), d.path("single.png"));
    let mut args = vec!["--content", s(&a), "--style", s(&st), "--output", s(&single_png)];
    args.extend_from_slice(&["--init", s(&start), "--trace", s(&single)]);
    args.extend_from_slice(&QUICK);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = std::fs::read_to_string(&single).unwrap().lines().next().map(|l| json_number(l, "content").unwrap()).unwrap();
    assert!(first > 0.0);
    assert_eq!(firsts[0].to_bits(), first.to_bits(), "batch {} vs single {first}", firsts[0]);
}

#[test]
fn shards_cover_every_item_once_in_contiguous_balanced_runs() {
    use neural_style::transfer::batch::shard;
    for len in 0..20 {
        for n in 1..7 {
            let mut covered = vec![0; len];
            let mut next = 0;
            for k in 0..n {
                let r = shard(len, k, n);
                assert_eq!(r.start, next, "contiguous: len {len} n {n} k {k}");
                assert!(r.len() <= len.div_ceil(n) && r.len() >= len / n, "balanced: len {len} n {n} k {k}: {r:?}");
                for i in r.clone() {
                    covered[i] += 1;
                }
                next = r.end;
            }
            assert!(covered.iter().all(|&c| c == 1), "each item once: len {len} n {n}: {covered:?}");
        }
    }
}

#[test]
fn items_are_named_and_ordered_and_a_plan_refuses_twins() {
    use neural_style::transfer::batch::{items, Plan};
    use std::path::PathBuf;
    let c = [PathBuf::from("a/f1.jpg"), PathBuf::from("b/f2.png")];
    let s = [PathBuf::from("x/starry.jpg"), PathBuf::from("scream.jpg")];
    let names = |v: Vec<neural_style::transfer::batch::Item>| v.into_iter().map(|i| i.name).collect::<Vec<_>>();
    assert_eq!(names(items(&c, &s, false)), ["f1__starry", "f1__scream", "f2__starry", "f2__scream"]);
    assert_eq!(names(items(&c, &s, true)), ["f1__starry", "f2__starry", "f1__scream", "f2__scream"]);
    let plan = Plan::new(c.to_vec(), s.to_vec(), PathBuf::from("out"), true, Some((1, 2))).unwrap();
    assert_eq!(names(plan.mine().to_vec()), ["f1__scream", "f2__scream"], "the second half, frames together");
    assert_eq!(plan.output(&plan.mine()[0]), PathBuf::from("out/f1__scream.png"));
    let twins = [PathBuf::from("a/f1.jpg"), PathBuf::from("b/f1.png")];
    assert!(Plan::new(twins.to_vec(), s.to_vec(), PathBuf::from("out"), false, None).is_err());
    assert!(Plan::new(c.to_vec(), s.to_vec(), PathBuf::from("out"), false, Some((2, 2))).is_err());
}

/// The library's batch, as a program embedding it runs one: events in order,
/// a frame started from the previous result, a stop that writes nothing.
#[test]
fn the_library_batch_reports_each_item_and_a_stop_writes_nothing() {
    use neural_style::transfer::batch::{self, ItemRecord, Listener, Place, Plan, Status};
    use neural_style::transfer::{Config, Control, ScaledProgress, Session};
    use std::sync::Arc;
    struct Log {
        finished: Vec<(String, Status)>,
        first_losses: Vec<f64>,
        stop_in: Option<String>,
    }
    impl Listener for Log {
        fn progress(&mut self, place: &Place, p: &ScaledProgress) -> Control {
            if p.eval == 1 {
                self.first_losses.push(p.progress.evaluation.loss);
            }
            match &self.stop_in {
                Some(name) if place.label.ends_with(name.as_str()) => Control::Stop,
                _ => Control::Continue,
            }
        }
        fn finished(&mut self, _: &Place, r: &ItemRecord) -> Result<(), neural_style::Error> {
            self.finished.push((r.item.clone(), r.status));
            Ok(())
        }
    }
    let d = Dir::new("batch-lib");
    let frames: Vec<_> = ["f1.png", "f2.png", "f3.png"].iter().map(|f| d.image(&format!("frames/{f}"), 32, 24)).collect();
    let st = d.image("st.png", 24, 24);
    let out = d.path("out");
    std::fs::create_dir_all(&out).unwrap();
    let net = Arc::new(neural_style::Vgg19::random(5, 8));
    let config = Config { size: 24, iterations: 3, ..Config::default() };
    let mut session = Session::new(net, config).unwrap();
    let plan = Plan::new(frames, vec![st], out.clone(), true, None).unwrap();
    let mut log = Log { finished: Vec::new(), first_losses: Vec::new(), stop_in: Some("f2__st".into()) };
    let s = batch::run(&mut session, &plan, None, &mut log).unwrap();
    assert_eq!(log.finished, [("f1__st".to_string(), Status::Done), ("f2__st".to_string(), Status::Interrupted)]);
    assert_eq!((s.done, s.skipped, s.failed, s.interrupted), (1, 0, 0, true));
    assert_eq!(pngs(&out), ["f1__st.png"], "the interrupted frame is not written");
    // The three frames are one picture (same-length names), so a frame started
    // from its photograph has f1's first loss, and one started from the
    // previous painted frame does not.
    let cold = log.first_losses[0];
    assert_ne!(log.first_losses[1].to_bits(), cold.to_bits(), "f2 started from its photograph, not from f1's result");
    // Again without the stop: f1 skipped, f2 and f3 painted from their predecessors.
    log = Log { finished: Vec::new(), first_losses: Vec::new(), stop_in: None };
    let s = batch::run(&mut session, &plan, None, &mut log).unwrap();
    assert_eq!((s.done, s.skipped, s.failed, s.interrupted), (2, 1, 0, false));
    assert_eq!(log.finished.iter().map(|(_, st)| *st).collect::<Vec<_>>(), [Status::Skipped, Status::Done, Status::Done]);
    assert_eq!(log.first_losses.len(), 2);
    assert!(log.first_losses.iter().all(|l| l.to_bits() != cold.to_bits()), "a frame started cold: {:?} vs {cold}", log.first_losses);
    assert_eq!(pngs(&out), ["f1__st.png", "f2__st.png", "f3__st.png"]);
}

/// The progress line's batch ETA: this item's time left plus the items still
/// to paint after it, each at the mean time of the items painted so far (the
/// summary's seconds), or, before any, at this item's own pace times its
/// iterations.
#[test]
fn the_batch_time_left_counts_the_items_to_come() {
    let d = Dir::new("batch-eta");
    for f in ["a", "b", "c", "d", "e"] {
        d.image(&format!("frames/{f}.png"), 64, 48);
    }
    let st = d.image("st.png", 24, 24);
    let (out, sum) = (d.path("out"), d.path("sum.jsonl"));
    // The last item is already painted: it is not to come for anyone.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::copy(&st, out.join("e__st.png")).unwrap();
    let frames = d.path("frames");
    let o = run(&[
        "batch",
        "--contents",
        s(&frames),
        "--styles",
        s(&st),
        "--output-dir",
        s(&out),
        "--summary",
        s(&sum),
        "--size",
        "64",
        "--iterations",
        "4",
        "--threads",
        "2",
        "--print-every",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let seconds = |text: &str| -> f64 {
        match text.split_once('m') {
            Some((m, s)) => m.parse::<f64>().unwrap() * 60.0 + s.trim_end_matches('s').parse::<f64>().unwrap(),
            None => text.trim_end_matches('s').parse().unwrap(),
        }
    };
    let summary = std::fs::read_to_string(&sum).unwrap();
    let item_seconds: Vec<f64> = summary.lines().map(|l| json_number(l, "seconds").unwrap()).collect();
    assert_eq!(item_seconds.len(), 5, "{summary}");
    // [1/5] paints with three to come and no mean yet (its own pace); [2/5]
    // with two and [1/5]'s time as the mean; [3/5] with one and the mean of
    // two; [4/5] with none (e, done before, is not to come).
    for (k, to_come) in [(1, 3.0), (2, 2.0), (3, 1.0), (4, 0.0)] {
        let label = format!("[{k}/5] {}__st: ", ["a", "b", "c", "d"][k - 1]);
        let lines: Vec<&str> = err.lines().filter_map(|l| l.strip_prefix(label.as_str())).filter(|l| l.starts_with("eval")).collect();
        assert!(lines.len() >= 4, "{label}: {err}");
        for line in lines {
            let w: Vec<&str> = line.split_whitespace().collect();
            let total: f64 = w[3].split_once('/').unwrap().1.parse().unwrap();
            let pace: f64 = w.iter().find_map(|t| t.strip_suffix("s/iter")).unwrap().parse().unwrap();
            let left = seconds(w[w.iter().position(|t| t.starts_with("left")).unwrap() - 1]);
            let batch = seconds(w[w.iter().position(|t| *t == "batch").unwrap() + 1]);
            let each = if k == 1 { pace * total } else { item_seconds[..k - 1].iter().sum::<f64>() / (k - 1) as f64 };
            let want = left + each * to_come;
            // Printed to 0.1 s, or to 1 s from a minute on (the pace to 0.01 s a step).
            let printed = |t: f64| if t >= 59.95 { 0.5 } else { 0.05 };
            let tol = printed(batch) + printed(left) + 0.005 * total * to_come;
            assert!((batch - want).abs() <= tol, "{label}{line}: batch {batch} left against {want:.3}");
        }
    }
}

/// The library's snapshots: every 2 iterations of 5 writes `out_0002` and
/// `out_0004`; `Some(0)` means never (as `None`), not a division by zero.
#[test]
fn a_session_saves_every_n_iterations_and_zero_means_never() {
    use neural_style::transfer::{Config, Control, Picture, Session};
    use std::sync::Arc;
    let d = Dir::new("session-snap");
    let (c, st) = (
        neural_style::image_io::load(&d.image("c.png", 24, 24)).unwrap(),
        neural_style::image_io::load(&d.image("s.png", 24, 24)).unwrap(),
    );
    let net = Arc::new(neural_style::Vgg19::random(5, 8));
    let snapshots = |every: Option<usize>, name: &str| {
        let out = d.path(&format!("{name}.png"));
        let mut session = Session::new(net.clone(), Config { size: 24, iterations: 5, ..Config::default() }).unwrap().save_every(every);
        let styles = [st.view()];
        let picture = Picture { content: Some(c.view()), styles: &styles, output: Some(&out), ..Picture::default() };
        let painted = session.paint(&picture, &mut |_, _, _| {}, &mut |_| Control::Continue).unwrap();
        assert_eq!(painted.iterations, 5);
        painted.snapshots.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect::<Vec<_>>()
    };
    assert_eq!(snapshots(Some(2), "two"), ["two_0002.png", "two_0004.png"]);
    assert!(d.path("two_0004.png").exists());
    assert!(snapshots(Some(0), "zero").is_empty());
    assert!(snapshots(None, "none").is_empty());
}
