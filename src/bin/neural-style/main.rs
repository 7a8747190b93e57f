//! The `neural-style` binary: a thin layer over the library. Every failure is
//! one line on stderr; exit 2 for usage errors, 1 for failures at run time,
//! 130 when interrupted (after writing the best image so far).

mod args;
mod batch;
mod commands;
mod flags;
mod run;
mod signals;

use args::{Command, Usage};
use neural_style::Error;
use std::path::Path;

pub(crate) enum Fail {
    Usage(String),
    Run(Error),
}

impl From<Error> for Fail {
    /// An invalid setting is the user's to fix: a usage error naming the flag.
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid { .. } => Fail::Usage(describe(&e)),
            e => Fail::Run(e),
        }
    }
}

/// An error as the binary says it: library settings by their flags.
pub(crate) fn describe(e: &Error) -> String {
    match e {
        Error::Invalid { field, reason } => format!("{}: {reason}", flags::for_field(field).unwrap_or(field)),
        Error::Memory { width, height, needed_mb, limit_mb, user_limit, fits } => {
            let whose = match user_limit {
                true => format!("--max-memory allows {limit_mb} MB"),
                false => format!("this machine has {limit_mb} MB available"),
            };
            let advice = match fits {
                Some(s) => format!("--size {s} would fit"),
                None => "even --size 16 would not fit (the network's weights alone need more)".to_string(),
            };
            format!("not enough memory: a {width}x{height} run needs about {needed_mb} MB but {whose}; {advice}")
        }
        e => e.to_string(),
    }
}
impl From<Usage> for Fail {
    fn from(u: Usage) -> Self {
        Fail::Usage(u.0)
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let code = match real_main(&argv) {
        Ok(code) => code,
        Err(Fail::Usage(m)) => {
            // Every problem of the command line, one per line.
            for line in m.lines() {
                eprintln!("neural-style: {line}");
            }
            2
        }
        Err(Fail::Run(e)) => {
            eprintln!("neural-style: {}", describe(&e));
            1
        }
    };
    std::process::exit(code);
}

fn real_main(argv: &[String]) -> Result<i32, Fail> {
    match args::parse(argv)? {
        Command::Help(sub) => {
            print!("{}", flags::help(sub));
            Ok(0)
        }
        Command::Usage => {
            eprint!("{}", flags::SHORT_USAGE);
            Ok(2)
        }
        Command::Version => {
            println!("neural-style {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        Command::Tool(cmd, raw) => commands::run(cmd, &raw),
        Command::Run(a) => pool(a.threads)?.install(|| run::run(&a)),
        Command::Batch(b) => pool(b.run.threads)?.install(|| batch::run(&b)),
    }
}

pub(crate) fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Fail> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| Fail::Run(Error::Config(format!("cannot start threads: {e}"))))
}

/// [`neural_style::image_io::check_output`], its complaints naming `flag`.
pub(crate) fn check_writable(flag: &str, path: &Path, inputs: &[&Path]) -> Result<(), Fail> {
    neural_style::image_io::check_output(path, inputs).map_err(|e| match e {
        Error::Invalid { reason, .. } => Fail::Usage(format!("{flag}: {reason}")),
        e => Fail::Run(e),
    })
}
