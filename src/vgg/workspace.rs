//! One arena for the activations and gradients of a forward and backward,
//! planned from the first evaluation at an image size and reused for every
//! evaluation after it.
//!
//! A forward and backward at 512x512 go through about 1 GB of activation and
//! gradient buffers. Allocated fresh, each evaluation paid for its pages again
//! (page faults, zeroing and unmapping took about a fifth of an evaluation,
//! perf); kept whole in a pool of buffers, a large buffer held a small tensor
//! while the next large one needed new memory (129 MB held at 512x512 where at
//! most 87 MB were in use at once).
//!
//! Here every buffer is a range of one arena. The first evaluation places them
//! first-fit as they come and records every request and release; at its end
//! the record becomes a plan: buffers by decreasing size, each at the lowest
//! offset free of every buffer alive at the same time (the arena then holds
//! about what is in use at its fullest moment). Later evaluations make the same
//! requests in the same order and get the planned ranges; a request that
//! differs drops the plan and the evaluation is recorded again.
//!
//! Buffers are handles ([`Buf`]); the arena hands out slices for them, two at
//! a time when a layer reads one and writes another (they never overlap).

use crate::ops::simd::{window_start, LANES};

/// A range of the arena: `len` floats at `offset`. Not `Clone`: one owner,
/// given back once.
#[derive(Debug, PartialEq, Eq)]
pub struct Buf {
    offset: usize,
    len: usize,
    /// The request's number in this evaluation.
    id: usize,
}

/// Where each request of an evaluation goes.
#[derive(Debug, Default)]
struct Plan {
    /// (len, offset) of request k
    placed: Vec<(usize, usize)>,
}

/// The arena, its free ranges (while recording), the record and the plan.
#[derive(Debug, Default)]
pub struct Workspace {
    arena: Vec<f32>,
    /// Floats the arena has (its length, or the length it would have if dry).
    size: usize,
    /// Places requests without memory behind them: the network runs its
    /// requests but none of its arithmetic, to size the plan beforehand.
    dry: bool,
    /// Free ranges `(offset, len)`, sorted by offset, never adjacent (recording only).
    free: Vec<(usize, usize)>,
    /// This evaluation's requests so far: (len, taken at event, given at event).
    record: Vec<(usize, usize, Option<usize>)>,
    events: usize,
    plan: Option<Plan>,
    /// Floats handed out now, and the most at once.
    live: usize,
    peak: usize,
}

impl Workspace {
    /// An empty arena; the first pass plans it.
    pub fn new() -> Self {
        Self::default()
    }

    /// A workspace that only plans: see [`crate::Vgg19::workspace_bytes`].
    pub fn dry() -> Self {
        Workspace { dry: true, ..Self::default() }
    }

    /// Whether this workspace only plans (callers skip their arithmetic).
    pub fn is_dry(&self) -> bool {
        self.dry
    }

    /// Starts an evaluation: requests are numbered from 0 again.
    pub fn begin(&mut self) {
        self.record.clear();
        self.events = 0;
        self.live = 0;
        self.free = vec![(0, self.size)];
        self.free.retain(|&(_, l)| l > 0);
    }

    /// Ends an evaluation: a recorded one becomes the plan (and the arena is
    /// cut to the plan's size).
    pub fn end(&mut self) {
        if self.plan.is_none() && self.record.iter().all(|r| r.2.is_some()) {
            let plan = place(&self.record);
            self.size = plan.placed.iter().map(|&(l, o)| l + o).max().unwrap_or(0);
            if !self.dry {
                // Nothing is live between evaluations: no contents to keep.
                self.arena = Vec::new();
                self.resize_arena(0);
            }
            self.plan = Some(plan);
        }
    }

    /// A buffer of `n` floats whose contents are unspecified (stale values
    /// from an earlier use, or zeros): callers overwrite it.
    pub fn take(&mut self, n: usize) -> Buf {
        self.live += n;
        self.peak = self.peak.max(self.live);
        let id = self.record.len();
        self.record.push((n, self.events, None));
        self.events += 1;
        if let Some(plan) = &self.plan {
            match plan.placed.get(id) {
                Some(&(len, offset)) if len == n => return Buf { offset, len: n, id },
                _ => {
                    // Not the planned sequence: record this evaluation afresh,
                    // placing first-fit after everything planned so far.
                    self.plan = None;
                    self.free.clear();
                }
            }
        }
        let offset = self.first_fit(n);
        Buf { offset, len: n, id }
    }

    fn first_fit(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        if let Some(i) = self.free.iter().position(|&(_, len)| len >= n) {
            let (offset, len) = self.free[i];
            if len == n {
                self.free.remove(i);
            } else {
                self.free[i] = (offset + n, len - n);
            }
            return offset;
        }
        // Grow: a free range at the end is extended, otherwise a new one added.
        let end = self.size;
        let offset = match self.free.last() {
            Some(&(o, l)) if o + l == end => {
                self.free.pop();
                o
            }
            _ => end,
        };
        let old = self.size;
        self.size = offset + n;
        if !self.dry {
            self.resize_arena(old);
        }
        offset
    }

    /// Makes the arena hold `size` floats from a 64-byte boundary (so that
    /// rows of a width of 16 floats start on cache lines), keeping the first
    /// `keep` of them where a reallocation moved the boundary.
    fn resize_arena(&mut self, keep: usize) {
        let before = window_start(&self.arena);
        self.arena.resize(self.size + LANES - 1, 0.0);
        let after = window_start(&self.arena);
        if after != before {
            self.arena.copy_within(before..before + keep, after);
        }
    }

    /// Where floats of the arena start: its first 64-byte boundary.
    fn base(&self) -> usize {
        window_start(&self.arena)
    }

    /// Gives a buffer back.
    pub fn give(&mut self, b: Buf) {
        self.live -= b.len;
        if let Some(r) = self.record.get_mut(b.id) {
            r.2 = Some(self.events);
        }
        self.events += 1;
        if self.plan.is_some() || b.len == 0 {
            return;
        }
        let i = self.free.partition_point(|&(o, _)| o < b.offset);
        self.free.insert(i, (b.offset, b.len));
        if i + 1 < self.free.len() && self.free[i].0 + self.free[i].1 == self.free[i + 1].0 {
            self.free[i].1 += self.free[i + 1].1;
            self.free.remove(i + 1);
        }
        if i > 0 && self.free[i - 1].0 + self.free[i - 1].1 == self.free[i].0 {
            self.free[i - 1].1 += self.free[i].1;
            self.free.remove(i);
        }
    }

    /// The floats of a buffer.
    pub fn get(&self, b: &Buf) -> &[f32] {
        let o = self.base() + b.offset;
        &self.arena[o..o + b.len]
    }

    /// The floats of a buffer, to write.
    pub fn get_mut(&mut self, b: &Buf) -> &mut [f32] {
        let o = self.base() + b.offset;
        &mut self.arena[o..o + b.len]
    }

    /// `a` to read and `b` to write, at once (live buffers never overlap).
    pub fn pair(&mut self, a: &Buf, b: &Buf) -> (&[f32], &mut [f32]) {
        if a.len == 0 {
            return (&[], self.get_mut(b));
        }
        if b.len == 0 {
            return (self.get(a), &mut []);
        }
        assert!(a.offset + a.len <= b.offset || b.offset + b.len <= a.offset, "buffers overlap");
        let base = self.base();
        let arena = &mut self.arena[base..];
        if a.offset < b.offset {
            let (lo, hi) = arena.split_at_mut(b.offset);
            (&lo[a.offset..a.offset + a.len], &mut hi[..b.len])
        } else {
            let (lo, hi) = arena.split_at_mut(a.offset);
            (&hi[..a.len], &mut lo[b.offset..b.offset + b.len])
        }
    }

    /// A copy of a buffer's contents; the buffer is given back.
    pub fn into_vec(&mut self, b: Buf) -> Vec<f32> {
        let v = self.get(&b).to_vec();
        self.give(b);
        v
    }

    /// Bytes of the arena (planned, if dry).
    pub fn bytes(&self) -> usize {
        4 * self.size
    }

    /// The most floats handed out at once so far.
    pub fn peak_live(&self) -> usize {
        self.peak
    }
}

/// Offsets for recorded requests `(len, from event, to event)`: largest first,
/// each at the lowest offset that overlaps no placed request alive at the same
/// time.
fn place(record: &[(usize, usize, Option<usize>)]) -> Plan {
    let mut order: Vec<usize> = (0..record.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(record[i].0), i));
    let mut placed: Vec<(usize, usize)> = vec![(0, 0); record.len()];
    let mut done: Vec<usize> = Vec::new();
    for i in order {
        let (len, t0, t1) = record[i];
        let t1 = t1.unwrap_or(usize::MAX);
        let mut busy: Vec<(usize, usize)> = done
            .iter()
            .filter(|&&j| {
                let (_, s0, s1) = record[j];
                s0 < t1 && t0 < s1.unwrap_or(usize::MAX)
            })
            .map(|&j| (placed[j].1, placed[j].1 + placed[j].0))
            .collect();
        busy.sort_unstable();
        let mut offset = 0;
        for (b0, b1) in busy {
            if b0 >= offset + len {
                break;
            }
            offset = offset.max(b1);
        }
        placed[i] = (len, offset);
        done.push(i);
    }
    Plan { placed }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One evaluation's requests: a (kept), b, c (b freed before c), d.
    fn pass(ws: &mut Workspace) -> Vec<(usize, usize)> {
        ws.begin();
        let a = ws.take(100);
        let b = ws.take(300);
        ws.give(b);
        let c = ws.take(200);
        let d = ws.take(50);
        let spans: Vec<(usize, usize)> = [&a, &c, &d].iter().map(|x| (x.offset, x.len)).collect();
        for x in [a, c, d] {
            ws.give(x);
        }
        ws.end();
        spans
    }

    /// Buffers start on a cache line (the arena from a 64-byte boundary,
    /// sizes of 16 floats) and keep their contents while the recording arena
    /// grows under them, through reallocations that move the boundary.
    #[test]
    fn buffers_keep_contents_and_alignment_as_the_arena_grows() {
        let mut ws = Workspace::new();
        ws.begin();
        let mut held = Vec::new();
        for k in 0..40 {
            let b = ws.take(16 * (k + 1) * (k + 1));
            assert_eq!(ws.get(&b).as_ptr() as usize % 64, 0, "buffer {k}");
            ws.get_mut(&b).iter_mut().enumerate().for_each(|(i, v)| *v = (k * 100_000 + i) as f32);
            held.push((k, b));
            for (k, b) in &held {
                assert!(ws.get(b).iter().enumerate().all(|(i, &v)| v == (k * 100_000 + i) as f32), "buffer {k} moved");
            }
        }
        for (_, b) in held {
            ws.give(b);
        }
        ws.end();
    }

    #[test]
    fn plan_holds_what_is_in_use_at_once_and_repeats() {
        let mut ws = Workspace::new();
        pass(&mut ws);
        // At most a + c + d = 350 floats are in use at once (a + b = 400 before that).
        assert_eq!(ws.peak_live(), 400);
        assert_eq!(ws.bytes(), 4 * 400, "the plan packs b's range for c and d");
        let second = pass(&mut ws);
        assert_eq!(pass(&mut ws), second, "the plan gives the same ranges every time");
        // Live buffers never overlap.
        for (i, &(o1, l1)) in second.iter().enumerate() {
            for &(o2, l2) in &second[i + 1..] {
                assert!(o1 + l1 <= o2 || o2 + l2 <= o1, "{second:?}");
            }
        }
        assert_eq!(ws.bytes(), 4 * 400);
    }

    #[test]
    fn a_different_pass_is_recorded_again() {
        let mut ws = Workspace::new();
        pass(&mut ws);
        ws.begin();
        let a = ws.take(100);
        let b = ws.take(1000); // not the planned 300
        assert!(a.offset + a.len <= b.offset || b.offset + b.len <= a.offset);
        ws.give(a);
        ws.give(b);
        ws.end();
        assert_eq!(ws.bytes(), 4 * 1100);
    }

    /// A pass from a script: `Some(n)` takes `n` floats, `None` gives back the
    /// oldest buffer still held (and the rest at the end). Every buffer is
    /// filled with its own number when taken and checked when given, live
    /// buffers are checked never to overlap. Returns each request's `(offset, len)`.
    fn scripted(ws: &mut Workspace, script: &[Option<usize>]) -> Vec<(usize, usize)> {
        ws.begin();
        let mut live: std::collections::VecDeque<Buf> = Default::default();
        let mut spans = Vec::new();
        let check = |ws: &Workspace, b: &Buf| {
            if !ws.is_dry() {
                assert!(ws.get(b).iter().all(|&v| v == b.id as f32), "request {} was overwritten", b.id);
            }
        };
        for step in script {
            match *step {
                Some(n) => {
                    let b = ws.take(n);
                    for o in &live {
                        let apart = b.offset + b.len <= o.offset || o.offset + o.len <= b.offset || b.len == 0 || o.len == 0;
                        assert!(apart, "request {} {:?} overlaps request {} {:?}", b.id, (b.offset, b.len), o.id, (o.offset, o.len));
                    }
                    if !ws.is_dry() {
                        ws.get_mut(&b).fill(b.id as f32);
                    }
                    spans.push((b.offset, b.len));
                    live.push_back(b);
                }
                None => {
                    let b = live.pop_front().expect("the script gives only what it took");
                    check(ws, &b);
                    ws.give(b);
                }
            }
        }
        for b in live {
            check(ws, &b);
            ws.give(b);
        }
        ws.end();
        spans
    }

    /// Recording places first-fit: a freed range is reused (split, or whole
    /// when it fits exactly), neighbours freed merge, a request larger than
    /// any free range extends a free range at the end of the arena. The peak
    /// is the most floats held at once.
    #[test]
    fn recording_places_first_fit() {
        let mut ws = Workspace::new();
        // a, b, c 100 each; a back; d 60 in a's place, e 40 exactly in the rest;
        // b, c, d back (b and c merge into 100..300); f 150 at 100; e back
        // (merging with d's 0..60); g 400 fits nowhere and extends the free
        // 250..300 at the end of the arena to 250..650.
        let script = [Some(100), Some(100), Some(100), None, Some(60), Some(40), None, None, None, Some(150), None, Some(400)];
        let spans = scripted(&mut ws, &script);
        assert_eq!(spans, [(0, 100), (100, 100), (200, 100), (0, 60), (60, 40), (100, 150), (250, 400)]);
        assert_eq!(ws.peak_live(), 550);
        // A peak reached after a buffer came back counts what is held, not what was taken.
        let mut ws = Workspace::new();
        scripted(&mut ws, &[Some(100), None, Some(100), Some(30), None, None]);
        assert_eq!(ws.peak_live(), 130);
    }

    /// A range given back merges with a free neighbour on either side, so a
    /// request as large as both fits there; an empty buffer given back leaves
    /// no range behind to keep neighbours apart.
    #[test]
    fn freed_neighbours_merge_on_either_side() {
        // The later range first, then the one before it.
        let mut ws = Workspace::new();
        ws.begin();
        let (_a, b, c) = (ws.take(100), ws.take(100), ws.take(100));
        ws.give(c);
        ws.give(b);
        let d = ws.take(200);
        assert_eq!((d.offset, ws.size), (100, 300));
        // An empty buffer given back between a range and its neighbour.
        let mut ws = Workspace::new();
        ws.begin();
        let a = ws.take(100);
        let z = ws.take(0);
        ws.give(z);
        let b = ws.take(100);
        ws.give(a);
        ws.give(b);
        let c = ws.take(200);
        assert_eq!((c.offset, ws.size), (0, 200));
    }

    /// `pair` hands out the two buffers' own floats, an empty one on either side included.
    #[test]
    fn pair_gives_each_buffers_floats() {
        let mut ws = Workspace::new();
        ws.begin();
        let (x, y, e) = (ws.take(10), ws.take(20), ws.take(0));
        ws.get_mut(&x).fill(1.0);
        ws.get_mut(&y).fill(2.0);
        for (a, b) in [(&x, &y), (&y, &x)] {
            let (r, w) = ws.pair(a, b);
            assert_eq!((r.len(), w.len()), (a.len, b.len));
            assert!(r.iter().all(|&v| v == if a.id == x.id { 1.0 } else { 2.0 }));
            assert!(w.iter().all(|&v| v == if b.id == x.id { 1.0 } else { 2.0 }));
        }
        let (r, w) = ws.pair(&e, &y);
        assert!(r.is_empty() && w.len() == 20 && w.iter().all(|&v| v == 2.0));
        let (r, w) = ws.pair(&y, &e);
        assert!(w.is_empty() && r.len() == 20 && r.iter().all(|&v| v == 2.0));
    }

    /// The plan can be smaller than first-fit: a, b, a back, c twice their size
    /// does not fit a's hole while recording (400 floats) but is placed below
    /// b in the plan (300). Later passes get the planned ranges, inside the
    /// arena, the same every time, and the arena no longer grows.
    #[test]
    fn the_plan_packs_tighter_than_recording_and_holds() {
        let script = [Some(100), Some(100), None, Some(200)];
        for mut ws in [Workspace::new(), Workspace::dry()] {
            let recorded = scripted(&mut ws, &script);
            assert_eq!(recorded, [(0, 100), (100, 100), (200, 200)]);
            assert_eq!(ws.bytes(), 4 * 300, "the plan, not the 400 floats recording used");
            let planned = scripted(&mut ws, &script);
            assert_eq!(planned, [(0, 100), (200, 100), (0, 200)]);
            assert_eq!(scripted(&mut ws, &script), planned);
            assert_eq!(ws.bytes(), 4 * 300);
            assert_eq!(ws.arena.len(), if ws.is_dry() { 0 } else { 300 + LANES - 1 });
        }
    }

    /// Many passes of one long random script: nothing overlaps or is
    /// overwritten, recording or planned; the plan is the same every pass and
    /// holds at least the most in use at once (largest-first is not always
    /// smaller than first-fit: here 30,689 floats against 30,199); then a
    /// different script is recorded again.
    #[test]
    fn random_passes_never_overlap_and_repeat_the_plan() {
        let mut rng = crate::rng::Rng::new(11);
        let mut script = Vec::new();
        let mut held = 0;
        for _ in 0..400 {
            if held > 0 && rng.uniform() < 0.45 {
                script.push(None);
                held -= 1;
            } else {
                let n = if rng.uniform() < 0.05 { 0 } else { 1 + (rng.uniform() * 1000.0) as usize };
                script.push(Some(n));
                held += 1;
            }
        }
        let mut ws = Workspace::new();
        let recorded = scripted(&mut ws, &script);
        assert_ne!(recorded, scripted(&mut ws, &script), "the plan places differently from recording");
        let planned = scripted(&mut ws, &script);
        assert!(ws.bytes() >= 4 * ws.peak_live());
        assert!(planned.iter().all(|&(o, l)| o + l <= ws.bytes() / 4), "a planned range outside the arena");
        for _ in 0..3 {
            assert_eq!(scripted(&mut ws, &script), planned);
        }
        // One request more at the start: the plan is dropped and the pass recorded.
        let mut other = vec![Some(5000)];
        other.extend_from_slice(&script);
        scripted(&mut ws, &other);
        let again = scripted(&mut ws, &other);
        assert!(again.iter().all(|&(o, l)| o + l <= ws.bytes() / 4));
        assert_eq!(scripted(&mut ws, &other), again);
    }

    /// A pass given up before its end (cancelled) leaves no plan: the next one
    /// records again from the start of the arena it left, without growing it.
    #[test]
    fn an_abandoned_pass_is_recorded_again_in_the_same_arena() {
        let mut ws = Workspace::new();
        ws.begin();
        let a = ws.take(300);
        let b = ws.take(100);
        ws.give(a);
        ws.give(b);
        assert_eq!(ws.bytes(), 4 * 400);
        // No `end`: nothing is planned.
        assert_eq!(scripted(&mut ws, &[Some(250), Some(150)]), [(0, 250), (250, 150)]);
        assert_eq!(ws.bytes(), 4 * 400);
    }

    #[test]
    fn a_dry_workspace_plans_without_memory() {
        let mut ws = Workspace::dry();
        pass(&mut ws);
        assert_eq!(ws.bytes(), 4 * 400);
        assert!(ws.arena.is_empty());
    }
}
