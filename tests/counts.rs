//! Exact counts a user relies on without reading the code: the caps on
//! evaluations and iterations, the snapshots' cadence and names, the progress
//! lines and the trace's lines, each at its boundaries (a cap of 1, a cadence
//! equal to the iteration count).

mod common;

use common::cli::{json_number, run, s, stderr, Dir};
use std::path::PathBuf;

/// A tiny transfer with `extra` flags; its stderr, trace lines and the
/// `(iterations, evaluations)` the last line reports.
fn paint(d: &Dir, name: &str, extra: &[&str]) -> (String, Vec<String>, (usize, usize)) {
    let (c, st) = (d.image("c.png", 24, 20), d.image("st.png", 20, 20));
    let (out, trace) = (d.path(&format!("{name}.png")), d.path(&format!("{name}.jsonl")));
    let mut args = vec!["-c", s(&c), "-s", s(&st), "-o", s(&out), "--size", "24", "--trace", s(&trace)];
    args.extend(extra);
    let o = run(&args);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let lines: Vec<String> = std::fs::read_to_string(&trace).unwrap().lines().map(str::to_string).collect();
    let wrote = err.lines().find(|l| l.contains("wrote")).unwrap_or_else(|| panic!("{err}"));
    let after = |word: &str| -> usize {
        let before = wrote.split(&format!(" {word}")).next().unwrap();
        before.rsplit(' ').next().unwrap().parse().unwrap_or_else(|_| panic!("{wrote}"))
    };
    (err.clone(), lines, (after("iterations"), after("evaluations")))
}

#[test]
fn the_evaluation_cap_is_exact() {
    let d = Dir::new("counts-evals");
    for cap in [1usize, 3] {
        let (err, trace, (_, evals)) = paint(&d, &format!("cap{cap}"), &["--max-evals", &cap.to_string(), "--iterations", "50"]);
        assert_eq!(trace.len(), cap, "one trace line per evaluation");
        assert_eq!(evals, cap, "{err}");
        assert!(err.contains("stopped: the evaluation cap"), "{err}");
    }
}

#[test]
fn the_iteration_cap_is_exact_and_every_evaluation_is_traced_once() {
    let d = Dir::new("counts-iters");
    for n in [1usize, 5] {
        let (err, trace, (iterations, evals)) = paint(&d, &format!("it{n}"), &["--iterations", &n.to_string()]);
        assert_eq!(iterations, n, "{err}");
        assert!(err.contains("stopped: the iterations asked for"), "{err}");
        assert_eq!(trace.len(), evals, "trace lines against the evaluations reported");
        let counted: Vec<usize> = trace.iter().map(|l| common::cli::json_number(l, "eval").unwrap() as usize).collect();
        assert_eq!(counted, (1..=evals).collect::<Vec<_>>(), "evaluations numbered 1, 2, ... without gaps");
        let last_iteration = common::cli::json_number(trace.last().unwrap(), "iteration").unwrap() as usize;
        assert!(last_iteration < n, "the last evaluation comes before the last iteration ends: {last_iteration}");
    }
}

#[test]
fn snapshots_come_every_k_iterations_and_never_duplicate_the_result() {
    let d = Dir::new("counts-snap");
    // (every, iterations, the snapshots expected)
    let cases: [(usize, usize, &[usize]); 4] = [(2, 5, &[2, 4]), (3, 3, &[]), (1, 3, &[1, 2]), (4, 9, &[4, 8])];
    for (every, n, want) in cases {
        let name = format!("snap{every}-{n}");
        paint(&d, &name, &["--iterations", &n.to_string(), "--save-every", &every.to_string()]);
        let mut found: Vec<usize> = std::fs::read_dir(&d.0)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter_map(|f| f.strip_prefix(&format!("{name}_"))?.strip_suffix(".png")?.parse().ok())
            .collect();
        found.sort();
        assert_eq!(found, want, "--save-every {every} --iterations {n}");
        for k in want {
            let p: PathBuf = d.path(&format!("{name}_{k:04}.png"));
            assert!(image::open(&p).is_ok(), "{} decodes", p.display());
        }
    }
}

#[test]
fn progress_lines_come_at_the_first_evaluation_and_every_p_after() {
    let d = Dir::new("counts-print");
    for every in [1usize, 2, 7] {
        let (err, _, (_, evals)) = paint(&d, &format!("p{every}"), &["--iterations", "6", "--print-every", &every.to_string()]);
        let printed: Vec<usize> =
            err.lines().filter_map(|l| l.strip_prefix("eval")).map(|l| l.split_whitespace().next().unwrap().parse().unwrap()).collect();
        let want: Vec<usize> = (1..=evals).filter(|&e| e == 1 || e % every == 0).collect();
        assert_eq!(printed, want, "--print-every {every} over {evals} evaluations");
    }
    let (c, st, out) = (d.image("c.png", 24, 20), d.image("st.png", 20, 20), d.path("quiet.png"));
    let o = run(&["-c", s(&c), "-s", s(&st), "-o", s(&out), "--size", "24", "--iterations", "3", "--quiet"]);
    assert!(o.status.success() && stderr(&o).is_empty(), "--quiet prints nothing: {}", stderr(&o));
}

/// Each progress line's pace is the seconds so far over the iterations so far
/// (the trace's figures at that evaluation), and its time left that pace times
/// the iterations still to come; its shares are the weighted parts of the loss.
#[test]
fn the_progress_line_tells_the_pace_and_the_time_left() {
    let d = Dir::new("counts-pace");
    let (err, trace, _) = paint(&d, "pace", &["--iterations", "6", "--print-every", "1"]);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("eval")).collect();
    assert!(lines.len() >= 6, "{err}");
    let seconds = |text: &str| -> f64 {
        match text.split_once('m') {
            Some((m, s)) => m.parse::<f64>().unwrap() * 60.0 + s.trim_end_matches('s').parse::<f64>().unwrap(),
            None => text.trim_end_matches('s').parse().unwrap(),
        }
    };
    for line in lines {
        let w: Vec<&str> = line.split_whitespace().collect();
        let eval: usize = w[1].parse().unwrap();
        let (done, total) = w[3].split_once('/').unwrap();
        let (done, total): (usize, usize) = (done.parse().unwrap(), total.parse().unwrap());
        let pace: f64 = w.iter().find_map(|t| t.strip_suffix("s/iter")).unwrap().parse().unwrap();
        let left = seconds(w[w.iter().position(|t| *t == "left").unwrap() - 1]);
        let row = &trace[eval - 1];
        assert_eq!(json_number(row, "iteration").unwrap() as usize, done, "{line}");
        let want = json_number(row, "seconds").unwrap() / done.max(1) as f64;
        assert!((pace - want).abs() <= 0.0051, "{line}: pace {pace} against {want:.4}");
        let want_left = want * (total - done) as f64;
        assert!((left - want_left).abs() <= 0.051 + 0.5 * f64::from(want_left >= 59.5), "{line}: {left} left against {want_left:.3}");
        // The shares are the weighted parts in use (no TV weight: no TV share).
        let part = |name: &str| json_number(row, &format!("{name}_weight")).unwrap() * json_number(row, name).unwrap();
        let (content, style) = (part("content"), part("style"));
        let share = 100.0 * content / (content + style);
        let (open, close) = (line.find('(').unwrap(), line.find(')').unwrap());
        assert_eq!(&line[open + 1..close], format!("content {:.0}% style {:.0}%", share, 100.0 - share), "{line}");
    }
    // All three parts of a size to be seen (from noise, a light style and a
    // heavy TV weight): each share is its own weighted part of the sum.
    let (err, trace, _) =
        paint(&d, "parts", &["--iterations", "3", "--print-every", "1", "--init", "noise", "--style-weight", "2e-2", "--tv-weight", "1e4"]);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("eval")).collect();
    assert!(lines.len() >= 3, "{err}");
    for line in lines {
        let row = &trace[line.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() - 1];
        let part = |name: &str| json_number(row, &format!("{name}_weight")).unwrap() * json_number(row, name).unwrap();
        let parts = [("content", part("content")), ("style", part("style")), ("tv", part("tv"))];
        let total: f64 = parts.iter().map(|p| p.1).sum();
        let (open, close) = (line.find('(').unwrap(), line.find(')').unwrap());
        let shown: Vec<&str> = line[open + 1..close].split_whitespace().collect();
        assert_eq!(shown.len(), 6, "{line}");
        for ((name, value), pair) in parts.iter().zip(shown.chunks(2)) {
            assert_eq!(pair[0], *name, "{line}");
            let printed: f64 = pair[1].trim_end_matches('%').parse().unwrap();
            assert!(printed >= 5.0, "{line}: every part should be seen");
            assert!((printed - 100.0 * value / total).abs() <= 0.51, "{line}: {name} against {:.2}%", 100.0 * value / total);
        }
    }
}

/// The documented defaults of the counts, by what they mean: with no count
/// flags a run makes 100 iterations (`--iterations`), prints at the first
/// evaluation and every 10th (`--print-every`) and writes no snapshot
/// (`--save-every`), only the result.
#[test]
fn the_count_defaults_mean_what_the_help_says() {
    let d = Dir::new("counts-defaults");
    let (err, trace, (iterations, evals)) = paint(&d, "plain", &[]);
    assert_eq!(iterations, 100, "{err}");
    assert!(err.contains("stopped: the iterations asked for"), "{err}");
    assert_eq!(trace.len(), evals);
    let printed: Vec<usize> =
        err.lines().filter_map(|l| l.strip_prefix("eval")).map(|l| l.split_whitespace().next().unwrap().parse().unwrap()).collect();
    let want: Vec<usize> = (1..=evals).filter(|&e| e == 1 || e % 10 == 0).collect();
    assert_eq!(printed, want, "progress over {evals} evaluations");
    let written: Vec<String> = std::fs::read_dir(&d.0)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|f| f.starts_with("plain"))
        .collect();
    assert_eq!(written.len(), 2, "the result and its trace, no snapshot: {written:?}");
}
