//! The command line's one flag table, seen from outside: every flag a
//! subcommand's help lists is taken by that subcommand in both spellings, no
//! other subcommand's flag is listed, the lexer refuses what the table does not
//! allow (every problem at once), and the defaults the help prints are the
//! library's constants.

mod common;

use common::cli::{run, stderr};
use common::messages::did_you_mean;
use neural_style::optim::lbfgs::DEFAULT_HISTORY;
use neural_style::transfer::{self, Config};

/// Subcommands by their word (`None`: a single run).
const SUBCOMMANDS: [Option<&str>; 5] = [None, Some("batch"), Some("calibrate"), Some("sheet"), Some("plot")];

/// A subcommand's help; for a single run, the whole help up to the batch's section.
fn help(sub: Option<&str>) -> String {
    let args: Vec<&str> = sub.into_iter().chain(["--help"]).collect();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{args:?}");
    let text = String::from_utf8(o.stdout).unwrap();
    match sub {
        Some(_) => text,
        None => text.split("\nBATCH").next().unwrap().to_string(),
    }
}

/// The flags a help lists: `(name, takes a value)`, short forms read as long.
fn listed(text: &str) -> Vec<(String, bool)> {
    text.lines()
        .filter_map(|l| {
            // Flag lines are indented by two; help continues under a deeper indent.
            let l = l.strip_prefix("  ").filter(|l| !l.starts_with(' '))?;
            let l = ["-c, ", "-s, ", "-o, "].iter().find_map(|s| l.strip_prefix(s)).unwrap_or(l);
            let mut words = l.split_whitespace();
            let name = words.next().filter(|w| w.starts_with("--") && w.len() > 2)?;
            // A value placeholder is upper case (`N`, `PATH`) or a choice (`avg|max`).
            let value = words.next().is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase()) || w.contains('|'));
            Some((name.to_string(), value))
        })
        .collect()
}

/// The lexer's complaints of a command line (stderr lines that are about flags).
fn lexer_errors(args: &[&str]) -> Vec<String> {
    let err = stderr(&run(args));
    err.lines()
        .map(|l| l.trim_start_matches("neural-style: ").to_string())
        .filter(|l| ["unknown flag", "missing value", "takes no value", "unexpected argument"].iter().any(|w| l.contains(w)))
        .collect()
}

#[test]
fn every_listed_flag_is_taken_in_both_spellings_and_only_by_its_subcommands() {
    let whole = String::from_utf8(run(&["--help"]).stdout).unwrap();
    for sub in SUBCOMMANDS {
        let text = help(sub);
        let mine = listed(&text);
        assert!(mine.len() >= 3, "{sub:?} lists its flags: {text}");
        for (name, value) in &mine {
            assert_eq!(mine.iter().filter(|(n, _)| n == name).count(), 1, "{sub:?} lists {name} twice");
            assert!(whole.contains(name.as_str()), "the whole help lacks {name}");
            if matches!(name.as_str(), "--help" | "--version") {
                continue;
            }
            let spellings: Vec<Vec<String>> = match value {
                true => vec![vec![name.clone(), "7".into()], vec![format!("{name}=7")]],
                false => vec![vec![name.clone()]],
            };
            for words in spellings {
                let args: Vec<&str> = sub.into_iter().chain(words.iter().map(String::as_str)).collect();
                assert_eq!(lexer_errors(&args), Vec::<String>::new(), "{args:?}");
            }
        }
        // A single run's flags that this subcommand does not list are refused.
        if let Some(word) = sub.filter(|w| *w != "batch") {
            for (name, _) in listed(&help(None)).iter().filter(|(n, _)| !mine.iter().any(|(m, _)| m == n)) {
                let args = [word, name.as_str(), "7"];
                assert!(lexer_errors(&args).iter().any(|l| l.contains("unknown flag")), "{args:?} accepted");
            }
        }
    }
}

#[test]
fn the_lexer_refuses_what_the_table_does_not_allow_all_at_once() {
    assert_eq!(lexer_errors(&["--colour", "x"]), ["--colour: unknown flag; see --help"]);
    assert_eq!(lexer_errors(&["plot", "--cols", "3"]), ["plot: --cols: unknown flag; a flag of `sheet`"]);
    assert_eq!(lexer_errors(&["--quiet=1"]), ["--quiet: takes no value"]);
    assert_eq!(lexer_errors(&["--size"]), ["--size: missing value"]);
    assert_eq!(lexer_errors(&["--size", "--quiet"]), ["--size: missing value"]);
    assert_eq!(lexer_errors(&["photo.png"]), ["unexpected argument 'photo.png' (flags start with --; see --help)"]);
    assert_eq!(
        lexer_errors(&["batch", "--content", "a.png"]),
        ["batch: --content: unknown flag; use --contents, --styles and --output-dir"]
    );
    // Every problem, in order, each with the nearest flag.
    let all = lexer_errors(&["--sytle", "s.png", "--iteration", "5", "--image-size", "64", "--styles", "a,b", "-o"]);
    let hint = |flag: &str, near: &str| format!("{flag}: unknown flag; {}", did_you_mean(near));
    assert_eq!(
        all,
        [
            hint("--sytle", "--style"),
            hint("--iteration", "--iterations"),
            hint("--image-size", "--size"),
            hint("--styles", "--style"),
            "-o: missing value".to_string(),
        ]
    );
    assert_eq!(lexer_errors(&["--output-dir", "x"]), ["--output-dir: unknown flag; a flag of `batch`"]);
    // Batch's own hint is batch's: another subcommand is told whose flag it is.
    assert_eq!(lexer_errors(&["plot", "--content", "x"]), ["plot: --content: unknown flag; a flag of a single run"]);
    assert_eq!(lexer_errors(&["sheet", "--iterations", "3"]), ["sheet: --iterations: unknown flag; a flag of a single run and `batch`"]);
    assert_eq!(lexer_errors(&["-content_image", "a", "--num_iterations", "9"]).len(), 2);
    // An unknown flag given its value inline takes no word after it.
    assert_eq!(
        lexer_errors(&["--colour=red", "photo.png"]),
        ["--colour: unknown flag; see --help", "unexpected argument 'photo.png' (flags start with --; see --help)"]
    );
    assert_eq!(lexer_errors(&["sheet", "a.png=A", "--cols", "2", "b.png"]), Vec::<String>::new(), "sheet takes words");
}

/// The usage lines of a help: those between `USAGE` and the first blank line.
fn usage(text: &str) -> Vec<String> {
    text.split("USAGE\n").nth(1).unwrap_or("").lines().take_while(|l| !l.is_empty()).map(String::from).collect()
}

#[test]
fn each_help_opens_with_its_own_usage() {
    const WORDS: [&str; 5] = ["batch", "calibrate", "sheet", "plot", "flow"];
    for word in WORDS {
        let text = String::from_utf8(run(&[word, "--help"]).stdout).unwrap();
        let lines = usage(&text);
        assert_eq!(lines.len(), 1, "{word}: {text}");
        assert!(lines[0].starts_with(&format!("  neural-style {word} ")) && lines[0].contains("--output"), "{word}: {lines:?}");
    }
    // The whole help: a single run's three forms (transfer, content alone,
    // style alone), then each subcommand's line in order, then the hint.
    let whole = usage(&String::from_utf8(run(&["--help"]).stdout).unwrap());
    assert_eq!(whole.len(), 3 + WORDS.len() + 1, "{whole:?}");
    for (line, flags) in whole.iter().zip([&["--content", "--style"][..], &["--content"], &["--style"]]) {
        assert!(line.starts_with("  neural-style --") && flags.iter().all(|f| line.contains(f)), "{line}");
    }
    assert!(!whole[1].contains("--style") && !whole[2].contains("--content"), "{whole:?}");
    for (line, word) in whole[3..].iter().zip(WORDS) {
        assert!(line.starts_with(&format!("  neural-style {word} ")), "{line}");
    }
}

#[test]
fn short_forms_and_the_last_value_win() {
    // One value for the scales agrees with --scales 1, not with 3: the later --scales decides.
    let err = |scales: [&str; 2]| {
        let args = ["-c", "missing.png", "-s", "missing.png", "-o", "o.png", "--scales", scales[0], "--scales", scales[1]];
        stderr(&run(&[&args[..], &["--scale-iterations", "4"]].concat()))
    };
    assert!(err(["1", "3"]).contains("--scale-iterations: 1 values for 3 scales"), "{}", err(["1", "3"]));
    let e = err(["3", "1"]);
    assert!(!e.contains("--scale") && !e.contains("unknown flag") && e.contains("missing.png"), "{e}");
}

#[test]
fn defaults_in_the_help_are_the_library_constants() {
    let text = help(None);
    let line = |name: &str| text.lines().find(|l| l.trim_start().starts_with(&format!("{name} "))).unwrap().to_string();
    let c = Config::default();
    assert!(line("--size").ends_with(&format!("[{}]", c.size)));
    assert!(line("--iterations").ends_with(&format!("[{}]", c.iterations)));
    assert!(line("--lbfgs-history").ends_with(&format!("[{DEFAULT_HISTORY}]")));
    assert!(line("--style-layers").ends_with("[relu1_1,relu2_1,relu3_1,relu4_1,relu5_1]"));
    assert!(line("--content-weight").contains(&format!(
        "[{}; {} from --init noise; {} with",
        transfer::DEFAULT_CONTENT_WEIGHT,
        transfer::DEFAULT_CONTENT_WEIGHT_NOISE,
        transfer::DEFAULT_CONTENT_WEIGHT_NORMALIZED
    )));
    assert!(text.contains(&format!("{}x the iterations", transfer::COARSE_ITERATION_FACTOR)));
    assert!(!text.contains("{d}"), "a placeholder left in the help");
}
