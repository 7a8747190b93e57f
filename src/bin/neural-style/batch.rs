//! `batch`: many pictures with one network, through the library's
//! [`neural_style::transfer::batch`]; here only what is printed, the summary
//! file and the exit code.

use crate::args::BatchArgs;
use crate::run::{duration, progress_line, scale_line, session};
use crate::{check_writable, Fail};
use neural_style::transfer::batch::{self, ItemRecord, Listener, Place, Plan, Status};
use neural_style::transfer::{Control, Prepared, Scale, ScaledProgress};
use neural_style::{image_io, Error};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Prints the batch's progress and writes its summary lines.
struct Printer<'a> {
    b: &'a BatchArgs,
    started: Instant,
    summary: Option<(BufWriter<File>, PathBuf)>,
}

impl Listener for Printer<'_> {
    fn scale(&mut self, place: &Place, k: usize, schedule: &[Scale], prepared: &Prepared) {
        scale_line(&self.b.run, &format!("{}: ", place.label), k, schedule, prepared, self.started);
    }

    fn progress(&mut self, place: &Place, sp: &ScaledProgress) -> Control {
        progress_line(&self.b.run, &format!("{}: ", place.label), sp, Some((place.left_after, place.mean_seconds)))
    }

    fn note(&mut self, place: &Place, text: &str) {
        eprintln!("{}: note: {text}", place.label);
    }

    fn finished(&mut self, place: &Place, r: &ItemRecord) -> Result<(), Error> {
        let label = &place.label;
        match (r.status, &r.error) {
            (Status::Skipped, _) if !self.b.run.quiet => eprintln!("{label}: {} exists; skipped", r.output.display()),
            (Status::Done, _) if !self.b.run.quiet => eprintln!(
                "{label}: wrote {}: loss {:.4e} after {} iterations, {}",
                r.output.display(),
                r.loss.unwrap_or(f64::NAN),
                r.iterations.unwrap_or(0),
                duration(r.seconds)
            ),
            (Status::Failed, Some(e)) => eprintln!("{label}: failed: {e}"),
            _ => {}
        }
        if let Some((file, path)) = self.summary.as_mut() {
            writeln!(file, "{}", r.to_json()).and_then(|_| file.flush()).map_err(|e| Error::io(&*path, e))?;
        }
        Ok(())
    }
}

pub(crate) fn run(b: &BatchArgs) -> Result<i32, Fail> {
    crate::signals::install(true);
    let started = Instant::now();
    let a = &b.run;
    // Bad input is found before anything starts: one line, exit 2.
    std::fs::create_dir_all(&b.output_dir).map_err(|e| Fail::Usage(format!("--output-dir: {}: {e}", b.output_dir.display())))?;
    check_writable("--output-dir", &b.output_dir.join("probe.png"), &[]).map_err(|f| match f {
        Fail::Run(e) => Fail::Usage(format!("--output-dir: {e}")),
        f => f,
    })?;
    let mut plan = Plan::new(b.contents.clone(), b.styles.clone(), b.output_dir.clone(), b.sequence, b.shard)?;
    plan.flow = b.flow;
    let inputs: Vec<&Path> = b.contents.iter().chain(&b.styles).map(PathBuf::as_path).collect();
    let mut printer = Printer { b, started, summary: None };
    if let Some(p) = &b.summary {
        check_writable("--summary", p, &inputs)?;
        printer.summary = Some((BufWriter::new(File::create(p).map_err(|e| Error::io(p, e))?), p.clone()));
    }
    if let Some(t) = &a.trace {
        check_writable("--trace", t, &inputs)?;
    }
    // `--init PATH`: every item starts from it (resized to each result).
    let init = a.init_path.as_deref().map(image_io::load).transpose()?;
    let mut session = session(a)?;
    let (all, mine) = (plan.items.len(), plan.mine.clone());
    let shard_name = b.shard.map(|(k, n)| format!(" (shard {k}/{n}: items {}..{} of {all})", mine.start + 1, mine.end)).unwrap_or_default();
    if !a.quiet {
        eprintln!("neural-style: batch of {} items{shard_name} into {}", mine.len(), b.output_dir.display());
    }
    if b.sequence && b.contents.len() == 1 {
        eprintln!("neural-style: note: --sequence with one frame: nothing to follow; it is painted alone");
    }
    let s = batch::run(&mut session, &plan, init.as_ref(), &mut printer)?;
    eprintln!(
        "neural-style: batch{shard_name}: {} done, {} skipped, {} failed{} in {}; style targets reused {}",
        s.done,
        s.skipped,
        s.failed,
        if s.interrupted { ", interrupted" } else { "" },
        duration(s.seconds),
        times(session.style_reuses())
    );
    Ok(if s.interrupted {
        130
    } else if s.failed > 0 {
        1
    } else {
        0
    })
}

/// `1 time`, `3 times`.
fn times(n: usize) -> String {
    if n == 1 {
        "1 time".into()
    } else {
        format!("{n} times")
    }
}
