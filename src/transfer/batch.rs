//! Many pictures with one [`Session`]: every content image in every style,
//! into one folder as `{content stem}__{style stem}.png`.
//!
//! - **Resume**: a result that exists is skipped, and results are written
//!   atomically, so a killed batch is resumed by running it again.
//! - **Shards**: [`Plan::new`] with `shard = (k, n)` takes the k-th of n
//!   contiguous, equal runs of the items, the same on every machine, so a
//!   cluster's scheduler is all that coordinates the workers.
//! - **Sequences** (video frames): the items go style by style, frames in name
//!   order. When the previous frame is this worker's and was painted, its
//!   result is carried to the new frame along the optical flow
//!   ([`super::Previous`]): the new frame starts from it and the temporal loss
//!   holds it there (Ruder et al. 2016). Without flow ([`Plan::flow`] false)
//!   a frame starts from the previous result as it is.
//! - **Failures**: an item whose content cannot be read or painted is reported
//!   ([`Status::Failed`]) and the rest go on. A stop asked for (the callback's
//!   [`Control::Stop`] or the session's cancel flag) ends the batch without
//!   writing the unfinished item.

use super::{Control, Picture, Previous, ScaledProgress, Session, StopReason};
use crate::error::Error;
use crate::flow::TvL1;
use crate::image_io;
use crate::trace::JsonObject;
use ndarray::{Array3, ArrayView3};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One content painted in one style.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// Index into [`Plan::contents`].
    pub content: usize,
    /// Index into [`Plan::styles`].
    pub style: usize,
    /// `{content stem}__{style stem}`: the result's file name without `.png`.
    pub name: String,
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Every item in a fixed order: by content then style, or with `sequence` by
/// style then frame, so each style's frames follow one another.
pub fn items(contents: &[PathBuf], styles: &[PathBuf], sequence: bool) -> Vec<Item> {
    let item = |c: usize, s: usize| Item { content: c, style: s, name: format!("{}__{}", stem(&contents[c]), stem(&styles[s])) };
    if sequence {
        (0..styles.len()).flat_map(|s| (0..contents.len()).map(move |c| item(c, s))).collect()
    } else {
        (0..contents.len()).flat_map(|c| (0..styles.len()).map(move |s| item(c, s))).collect()
    }
}

/// Shard `k` of `n`: the contiguous run `[k*len/n, (k+1)*len/n)`, so the shards
/// cover every item once and, for frames, each worker keeps its frames together.
pub fn shard(len: usize, k: usize, n: usize) -> std::ops::Range<usize> {
    k * len / n..(k + 1) * len / n
}

/// What a batch paints: the inputs, the items and this worker's share.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The content images (video frames in order, with `sequence`).
    pub contents: Vec<PathBuf>,
    /// The style images.
    pub styles: Vec<PathBuf>,
    /// Where the results go.
    pub output_dir: PathBuf,
    /// Frames of a video: each follows the previous frame's result.
    pub sequence: bool,
    /// With `sequence`: carry the previous result along the optical flow and
    /// add the temporal loss (true, the default); false starts each frame
    /// from the previous result unwarped.
    pub flow: bool,
    /// Every item of the batch, all shards.
    pub items: Vec<Item>,
    /// This worker's share of `items`.
    pub mine: std::ops::Range<usize>,
}

impl Plan {
    /// The items of `contents` times `styles`, and shard `k` of `n` of them.
    /// Refuses two items with one output name, a shard outside `0 <= k < n`,
    /// and an output that is also an input.
    pub fn new(
        contents: Vec<PathBuf>,
        styles: Vec<PathBuf>,
        output_dir: PathBuf,
        sequence: bool,
        shard_of: Option<(usize, usize)>,
    ) -> Result<Plan, Error> {
        let invalid = |field, reason: String| Error::Invalid { field, reason };
        if contents.is_empty() || styles.is_empty() {
            return Err(invalid("batch", "needs at least one content and one style image".into()));
        }
        let all = items(&contents, &styles, sequence);
        let mut seen = std::collections::HashSet::new();
        if let Some(twin) = all.iter().find(|it| !seen.insert(&it.name)) {
            let reason = format!("two items would both write {}.png (contents or styles with the same name)", twin.name);
            return Err(invalid("batch", reason));
        }
        let mine = match shard_of {
            Some((k, n)) if k >= n => return Err(invalid("shard", format!("expected K/N with 0 <= K < N, got {k}/{n}"))),
            Some((k, n)) => shard(all.len(), k, n),
            None => 0..all.len(),
        };
        let plan = Plan { contents, styles, output_dir, sequence, flow: true, items: all, mine };
        for it in plan.mine() {
            let out = plan.output(it);
            if plan.contents.iter().chain(&plan.styles).any(|p| *p == out) {
                return Err(invalid("output_dir", format!("{} is also an input", out.display())));
            }
        }
        Ok(plan)
    }

    /// This worker's items, in order.
    pub fn mine(&self) -> &[Item] {
        &self.items[self.mine.clone()]
    }

    /// Where an item's result goes.
    pub fn output(&self, item: &Item) -> PathBuf {
        self.output_dir.join(format!("{}.png", item.name))
    }
}

/// How an item ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Painted and written.
    Done,
    /// Its result existed: not painted again.
    Skipped,
    /// Its content could not be read, or painting or writing it failed.
    Failed,
    /// A stop was asked for while it was painted: nothing written, so the next
    /// run paints it.
    Interrupted,
}

impl Status {
    /// `done`, `skipped`, `failed`, `interrupted`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }
}

/// What became of one item: a line of the batch's summary.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemRecord {
    /// The item's name.
    pub item: String,
    /// Its content image.
    pub content: PathBuf,
    /// Its style image.
    pub style: PathBuf,
    /// Its result.
    pub output: PathBuf,
    /// How it ended.
    pub status: Status,
    /// Seconds spent on it.
    pub seconds: f64,
    /// The final loss, if it was painted.
    pub loss: Option<f64>,
    /// Iterations over all scales, if it was painted.
    pub iterations: Option<usize>,
    /// Why it failed.
    pub error: Option<String>,
}

impl ItemRecord {
    /// The summary's JSON line (without the newline).
    pub fn to_json(&self) -> String {
        let mut o = JsonObject::new();
        o.string("item", &self.item);
        o.string("content", &self.content.display().to_string()).string("style", &self.style.display().to_string());
        o.string("output", &self.output.display().to_string()).string("status", self.status.name());
        o.number("seconds", (self.seconds * 1000.0).round() / 1000.0);
        match self.loss {
            Some(l) => o.number("loss", l),
            None => o.null("loss"),
        };
        match &self.error {
            Some(e) => o.string("error", e),
            None => o.null("error"),
        };
        o.finish()
    }
}

/// Where an item stands in the batch, for progress lines and the ETA.
#[derive(Clone, Debug)]
pub struct Place {
    /// `[7/40] beach__starry`.
    pub label: String,
    /// Items after this one that were still to paint when the batch started.
    pub left_after: usize,
    /// Mean seconds of the items painted so far, if any.
    pub mean_seconds: Option<f64>,
}

/// What a batch tells its caller. Every method has a default that does
/// nothing, so a caller implements only what it prints or records.
pub trait Listener {
    /// As each scale of an item starts: `(item, scale, all scales, prepared)`.
    fn scale(&mut self, _place: &Place, _scale: usize, _schedule: &[super::Scale], _prepared: &super::Prepared) {}

    /// Every evaluation of the item being painted; [`Control::Stop`] ends the
    /// batch after this item (not written, [`Status::Interrupted`]).
    fn progress(&mut self, _place: &Place, _progress: &ScaledProgress) -> Control {
        Control::Continue
    }

    /// An item ended. An error (e.g. a summary file that cannot be written)
    /// ends the batch with it.
    fn finished(&mut self, _place: &Place, _record: &ItemRecord) -> Result<(), Error> {
        Ok(())
    }

    /// Something the user may not expect about an item (a video frame of
    /// another size than the one before starts afresh).
    fn note(&mut self, _place: &Place, _text: &str) {}
}

/// A listener that hears nothing.
impl Listener for () {}

/// How a batch ended, counted over this worker's items.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Items painted and written.
    pub done: usize,
    /// Items whose result existed.
    pub skipped: usize,
    /// Items that failed.
    pub failed: usize,
    /// Whether a stop ended the batch early.
    pub interrupted: bool,
    /// Seconds of the whole batch.
    pub seconds: f64,
}

/// Paints this worker's items of `plan` with `session`. `init` (RGB, any size)
/// is every item's start where no previous frame gives one. The output folder
/// must exist.
pub fn run(session: &mut Session, plan: &Plan, init: Option<&Array3<f32>>, listener: &mut dyn Listener) -> Result<Summary, Error> {
    let started = Instant::now();
    let mine = plan.mine();
    let styles = plan.styles.iter().map(|p| image_io::load(p)).collect::<Result<Vec<_>, _>>()?;
    // For the ETA: how many items after each one were still to paint at the
    // start (one look at the folder, not one per item and item).
    let todo: Vec<bool> = mine.iter().map(|it| !plan.output(it).exists()).collect();
    let mut todo_after = vec![0; mine.len()];
    for i in (0..mine.len().saturating_sub(1)).rev() {
        todo_after[i] = todo_after[i + 1] + todo[i + 1] as usize;
    }
    let mut summary = Summary::default();
    let mut painted_seconds: Vec<f64> = Vec::new();
    for (i, it) in mine.iter().enumerate() {
        let out = plan.output(it);
        let mean_seconds = (!painted_seconds.is_empty()).then(|| painted_seconds.iter().sum::<f64>() / painted_seconds.len() as f64);
        let place = Place { label: format!("[{}/{}] {}", i + 1, mine.len(), it.name), left_after: todo_after[i], mean_seconds };
        let t0 = Instant::now();
        let mut record = ItemRecord {
            item: it.name.clone(),
            content: plan.contents[it.content].clone(),
            style: plan.styles[it.style].clone(),
            output: out.clone(),
            status: Status::Skipped,
            seconds: 0.0,
            loss: None,
            iterations: None,
            error: None,
        };
        if !out.exists() {
            // A frame follows the previous frame's result (Ruder et al. 2016),
            // when that frame is this worker's and was painted.
            let previous =
                (plan.sequence && i > 0 && mine[i - 1].style == it.style).then(|| &mine[i - 1]).filter(|p| plan.output(p).exists());
            let result = paint_item(session, plan, it, &styles[it.style], previous, init, &place, listener);
            record.seconds = t0.elapsed().as_secs_f64();
            match result {
                Ok((status, loss, iterations)) => {
                    (record.status, record.loss, record.iterations) = (status, Some(loss), Some(iterations));
                    if status == Status::Done {
                        painted_seconds.push(record.seconds);
                    }
                }
                Err(e) => (record.status, record.error) = (Status::Failed, Some(e.to_string())),
            }
        }
        match record.status {
            Status::Done => summary.done += 1,
            Status::Skipped => summary.skipped += 1,
            Status::Failed => summary.failed += 1,
            Status::Interrupted => summary.interrupted = true,
        }
        listener.finished(&place, &record)?;
        if summary.interrupted {
            break;
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Reads, paints and writes one item: `(status, final loss, iterations)`.
/// `previous`: the frame before it, painted; `init`: the start otherwise.
#[allow(clippy::too_many_arguments)]
fn paint_item(
    session: &mut Session,
    plan: &Plan,
    it: &Item,
    style: &Array3<f32>,
    previous: Option<&Item>,
    init: Option<&Array3<f32>>,
    place: &Place,
    listener: &mut dyn Listener,
) -> Result<(Status, f64, usize), Error> {
    let content = image_io::load(&plan.contents[it.content])?;
    let out = plan.output(it);
    let mut start = init.cloned();
    let mut carried = None;
    if let Some(prev) = previous {
        let result = image_io::load(&plan.output(prev))?;
        let (_, h, w) = result.dim();
        let size = session.config().output_size(Some(image_io::dims(&content.view())), Some(image_io::dims(&style.view())))?;
        if !plan.flow {
            start = Some(result);
        } else if size != (h, w) {
            let (_, ch, cw) = content.dim();
            listener.note(place, &format!("{cw}x{ch}, not the previous frame's size: painted afresh, without the flow"));
        } else {
            // The flow between the photographs at the painting's size.
            let before = image_io::resize(image_io::load(&plan.contents[prev.content])?.view(), h, w);
            let now = image_io::resize(content.view(), h, w);
            let p = Previous::follow(result.view(), before.view(), now.view(), &TvL1::default());
            start = Some(p.start(now.view()));
            carried = Some(p);
        }
    }
    let styles: [ArrayView3<f32>; 1] = [style.view()];
    let picture = Picture {
        content: Some(content.view()),
        styles: &styles,
        style_key: it.style as u64,
        output: Some(&out),
        item: Some(&place.label),
        init: start,
        previous: carried.as_ref(),
    };
    let painted = {
        let listener_cell = std::cell::RefCell::new(&mut *listener);
        let mut on_scale = |k: usize, schedule: &[super::Scale], prepared: &super::Prepared| {
            listener_cell.borrow_mut().scale(place, k, schedule, prepared);
        };
        session.paint(&picture, &mut on_scale, &mut |sp| listener_cell.borrow_mut().progress(place, sp))?
    };
    // The listener's stop or the session's cancel flag.
    if painted.outcome.stop == StopReason::Stopped {
        // Not written: a half-painted picture under the final name would be
        // skipped as done on the next run.
        return Ok((Status::Interrupted, painted.outcome.loss, painted.iterations));
    }
    image_io::save(painted.outcome.image.view(), &out)?;
    Ok((Status::Done, painted.outcome.loss, painted.iterations))
}
