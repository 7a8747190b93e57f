//! `batch`: many pictures with one network. Contents times styles into an
//! output folder; results that exist are skipped (writes are atomic, so a
//! killed batch resumes where it stopped); `--shard K/N` takes a fixed share
//! for one worker of a cluster; `--sequence` paints video frames, each from
//! the previous frame's result.

use crate::args::BatchArgs;
use crate::report;
use crate::run::{Painter, Picture};
use crate::{check_writable, signals, Fail};
use neural_style::trace::escape;
use neural_style::{image_io, Error};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One content painted in one style.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Item {
    pub content: usize,
    pub style: usize,
    /// `{content stem}__{style stem}`.
    pub name: String,
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Every item in a fixed order: by content then style, or with `sequence` by
/// style then frame, so each style's frames follow one another.
pub(crate) fn items(contents: &[PathBuf], styles: &[PathBuf], sequence: bool) -> Vec<Item> {
    let item = |c: usize, s: usize| Item { content: c, style: s, name: format!("{}__{}", stem(&contents[c]), stem(&styles[s])) };
    if sequence {
        (0..styles.len()).flat_map(|s| (0..contents.len()).map(move |c| item(c, s))).collect()
    } else {
        (0..contents.len()).flat_map(|c| (0..styles.len()).map(move |s| item(c, s))).collect()
    }
}

/// Shard `k` of `n`: the contiguous run `[k*len/n, (k+1)*len/n)`, so the shards
/// cover every item once and, for frames, each worker keeps its frames together.
pub(crate) fn shard(len: usize, k: usize, n: usize) -> std::ops::Range<usize> {
    k * len / n..(k + 1) * len / n
}

/// Writes through a hidden temporary name and renames, so the final name only
/// ever holds a whole image.
fn save_atomic(image: &ndarray::Array3<f32>, path: &Path) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.partial-{}.png", stem(path), std::process::id()));
    image_io::save(image.view(), &tmp)?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

struct Summary {
    file: Option<(BufWriter<File>, PathBuf)>,
    done: usize,
    skipped: usize,
    failed: usize,
}

impl Summary {
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        b: &BatchArgs,
        item: &Item,
        output: &Path,
        status: &str,
        seconds: f64,
        loss: Option<f64>,
        error: Option<&str>,
    ) -> Result<(), Fail> {
        match status {
            "done" => self.done += 1,
            "skipped" => self.skipped += 1,
            "failed" => self.failed += 1,
            _ => {}
        }
        let Some((file, path)) = self.file.as_mut() else { return Ok(()) };
        let s = |p: &Path| escape(&p.display().to_string());
        let loss = loss.filter(|l| l.is_finite()).map_or("null".to_string(), |l| format!("{l:e}"));
        let error = error.map_or("null".to_string(), |e| format!("\"{}\"", escape(e)));
        writeln!(
            file,
            "{{\"item\":\"{}\",\"content\":\"{}\",\"style\":\"{}\",\"output\":\"{}\",\"status\":\"{status}\",\"seconds\":{seconds:.3},\"loss\":{loss},\"error\":{error}}}",
            escape(&item.name),
            s(&b.contents[item.content]),
            s(&b.styles[item.style]),
            s(output)
        )
        .and_then(|_| file.flush())
        .map_err(|e| Fail::Run(Error::io(&*path, e)))
    }
}

pub(crate) fn run(b: &BatchArgs) -> Result<i32, Fail> {
    signals::install();
    let started = Instant::now();
    let a = &b.run;
    // Bad input is found before anything starts: one line, exit 2.
    std::fs::create_dir_all(&b.output_dir).map_err(|e| Fail::Usage(format!("--output-dir: {}: {e}", b.output_dir.display())))?;
    let probe = b.output_dir.join("probe.png");
    let inputs: Vec<&Path> = b.contents.iter().chain(&b.styles).map(PathBuf::as_path).collect();
    check_writable("--output-dir", &probe, &[]).map_err(|f| match f {
        Fail::Run(e) => Fail::Usage(format!("--output-dir: {e}")),
        f => f,
    })?;
    let all = items(&b.contents, &b.styles, b.sequence);
    let mut seen = std::collections::HashSet::new();
    for it in &all {
        if !seen.insert(&it.name) {
            return Err(Fail::Usage(format!("batch: two items would both write {}.png (contents or styles with the same name)", it.name)));
        }
    }
    let range = match b.shard {
        Some((k, n)) => shard(all.len(), k, n),
        None => 0..all.len(),
    };
    let mine = &all[range.clone()];
    let output = |it: &Item| b.output_dir.join(format!("{}.png", it.name));
    for it in mine {
        if inputs.contains(&output(it).as_path()) {
            return Err(Fail::Usage(format!("--output-dir: {} is also an input", output(it).display())));
        }
    }
    let mut summary = Summary { file: None, done: 0, skipped: 0, failed: 0 };
    if let Some(p) = &b.summary {
        check_writable("--summary", p, &inputs)?;
        summary.file = Some((BufWriter::new(File::create(p).map_err(|e| Error::io(p, e))?), p.clone()));
    }
    if let Some(t) = &a.trace {
        check_writable("--trace", t, &inputs)?;
    }
    let styles = b.styles.iter().map(|p| image_io::load(p)).collect::<Result<Vec<_>, _>>()?;
    // `--init PATH`: every item starts from it (resized to each result).
    let init_image = a.init_path.as_deref().map(image_io::load).transpose()?;
    let mut painter = Painter::new(a, started)?;
    let shard_name =
        b.shard.map(|(k, n)| format!(" (shard {k}/{n}: items {}..{} of {})", range.start + 1, range.end, all.len())).unwrap_or_default();
    if !a.quiet {
        eprintln!("neural-style: batch of {} items{shard_name} into {}", mine.len(), b.output_dir.display());
    }

    let mut painted_seconds = Vec::new();
    // For the ETA: how many items after each one were still to paint at the
    // start (one look at the folder, not one per item and item).
    let todo: Vec<bool> = mine.iter().map(|it| !output(it).exists()).collect();
    let mut todo_after: Vec<usize> = vec![0; mine.len()];
    for i in (0..mine.len().saturating_sub(1)).rev() {
        todo_after[i] = todo_after[i + 1] + todo[i + 1] as usize;
    }
    let mut interrupted = false;
    for (i, it) in mine.iter().enumerate() {
        let out = output(it);
        let label = format!("[{}/{}] {}", i + 1, mine.len(), it.name);
        if out.exists() {
            if !a.quiet {
                eprintln!("{label}: {} exists; skipped", out.display());
            }
            summary.line(b, it, &out, "skipped", 0.0, None, None)?;
            continue;
        }
        let t0 = Instant::now();
        let content = match image_io::load(&b.contents[it.content]) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{label}: failed: {e}");
                summary.line(b, it, &out, "failed", 0.0, None, Some(&e.to_string()))?;
                continue;
            }
        };
        // A frame starts from the previous frame's result (Ruder et al. 2016),
        // when that frame is this worker's and was painted.
        let previous = if b.sequence && i > 0 && mine[i - 1].style == it.style { Some(output(&mine[i - 1])) } else { None };
        let init = match previous.filter(|p| p.exists()) {
            Some(p) => Some(image_io::load(&p)?),
            None => init_image.clone(),
        };
        let mean = (!painted_seconds.is_empty()).then(|| painted_seconds.iter().sum::<f64>() / painted_seconds.len() as f64);
        let left = todo_after[i];
        let picture = Picture {
            content: Some(&content),
            styles: std::slice::from_ref(&styles[it.style]),
            style_key: it.style as u64,
            output: &out,
            item: Some(label.clone()),
            init,
            after: Some((left, mean)),
        };
        let painted = match painter.paint(&picture) {
            Ok(p) => p,
            Err(f) => {
                let e = match f {
                    Fail::Usage(m) => m,
                    Fail::Run(e) => e.to_string(),
                };
                eprintln!("{label}: failed: {e}");
                summary.line(b, it, &out, "failed", t0.elapsed().as_secs_f64(), None, Some(&e))?;
                continue;
            }
        };
        if signals::stop_requested() {
            // Not written: a half-painted picture under the final name would be
            // skipped as done on the next run.
            interrupted = true;
            summary.line(b, it, &out, "interrupted", t0.elapsed().as_secs_f64(), Some(painted.outcome.loss), None)?;
            break;
        }
        let seconds = t0.elapsed().as_secs_f64();
        match save_atomic(&painted.outcome.image, &out).and_then(|_| painter.last_snapshot(&painted, &out)) {
            Ok(()) => {
                painted_seconds.push(seconds);
                if !a.quiet {
                    eprintln!(
                        "{label}: wrote {}: loss {:.4e} after {} iterations, {}",
                        out.display(),
                        painted.outcome.loss,
                        painted.iterations,
                        report::duration(seconds)
                    );
                }
                summary.line(b, it, &out, "done", seconds, Some(painted.outcome.loss), None)?;
            }
            Err(e) => {
                eprintln!("{label}: failed: {e}");
                summary.line(b, it, &out, "failed", seconds, None, Some(&e.to_string()))?;
            }
        }
    }
    eprintln!(
        "neural-style: batch{shard_name}: {} done, {} skipped, {} failed{} in {}; style targets reused {} times",
        summary.done,
        summary.skipped,
        summary.failed,
        if interrupted { ", interrupted" } else { "" },
        report::duration(started.elapsed().as_secs_f64()),
        painter.cache.hits()
    );
    Ok(if interrupted {
        130
    } else if summary.failed > 0 {
        1
    } else {
        0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_item_once_in_contiguous_runs() {
        for len in 0..20 {
            for n in 1..7 {
                let mut next = 0;
                for k in 0..n {
                    let r = shard(len, k, n);
                    assert_eq!(r.start, next, "len {len} n {n} k {k}");
                    assert!(r.end >= r.start);
                    assert!(r.len() <= len.div_ceil(n), "balanced: len {len} n {n} k {k}");
                    next = r.end;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn items_are_named_and_ordered() {
        let c = [PathBuf::from("a/f1.jpg"), PathBuf::from("b/f2.png")];
        let s = [PathBuf::from("x/starry.jpg"), PathBuf::from("scream.jpg")];
        let names = |v: Vec<Item>| v.into_iter().map(|i| i.name).collect::<Vec<_>>();
        assert_eq!(names(items(&c, &s, false)), ["f1__starry", "f1__scream", "f2__starry", "f2__scream"]);
        assert_eq!(names(items(&c, &s, true)), ["f1__starry", "f2__starry", "f1__scream", "f2__scream"]);
    }
}
