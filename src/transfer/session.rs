//! A painting session: what one picture leaves for the next. The network, the
//! style-target cache, the memory guard, numbered snapshots and the trace, so
//! a program paints many pictures as the binary does, loading once.

use super::{
    check_memory, run_scaled, Config, Init, MemoryLimit, OnScale, Outcome, Prepared, Previous, RunOptions, Scale, ScaledProgress,
    StyleCache,
};
use crate::error::Error;
use crate::image_io;
use crate::optim::Control;
use crate::trace::Record;
use crate::vgg::Vgg19;
use ndarray::{Array3, ArrayView3};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// One picture to paint.
#[derive(Default)]
pub struct Picture<'a> {
    /// The photograph, RGB `(3, H, W)` in [0, 1], if any.
    pub content: Option<ArrayView3<'a, f32>>,
    /// The paintings, RGB `(3, H, W)` in [0, 1].
    pub styles: &'a [ArrayView3<'a, f32>],
    /// The caller's name for `styles`, for the style-target cache: the same key
    /// must mean the same images.
    pub style_key: u64,
    /// Where the result will go: numbered snapshots are named after it
    /// (`out.png` -> `out_0010.png`). No snapshots without it.
    pub output: Option<&'a Path>,
    /// The batch item (`[7/40] beach__starry`), written to the trace.
    pub item: Option<&'a str>,
    /// A start other than the config's, RGB at any size (resized to the
    /// result).
    pub init: Option<Array3<f32>>,
    /// A video frame's previous frame, carried here along the flow: adds the
    /// temporal loss (weight `config.weights.temporal`). The start is the
    /// caller's to choose ([`Previous::start`]).
    pub previous: Option<&'a Previous>,
}

/// A painted picture, counted over all its scales.
#[derive(Debug)]
pub struct Painted {
    /// The last scale's outcome: its image is the result.
    pub outcome: Outcome,
    /// Iterations over all scales.
    pub iterations: usize,
    /// Evaluations over all scales.
    pub evals: usize,
    /// Seconds over all scales.
    pub seconds: f64,
    /// The numbered snapshots written, in order.
    pub snapshots: Vec<PathBuf>,
}

/// The network and what is kept between pictures. Settings that do not depend
/// on the images are checked once, by [`Session::new`].
pub struct Session {
    net: Arc<Vgg19>,
    config: Config,
    cache: StyleCache,
    memory: MemoryLimit,
    save_every: Option<usize>,
    trace: Option<(BufWriter<File>, PathBuf)>,
    cancel: Option<Arc<AtomicBool>>,
}

impl Session {
    /// A session painting with `config` on `net`: no memory check beyond what
    /// the machine has available ([`MemoryLimit::Available`]), no snapshots,
    /// no trace.
    pub fn new(net: Arc<Vgg19>, config: Config) -> Result<Session, Error> {
        config.validate()?;
        // A pinned instruction set this CPU lacks is said, not ignored.
        crate::ops::simd::Isa::pinned()?;
        let net = super::fitted(net, &config);
        Ok(Session { net, config, cache: StyleCache::new(), memory: MemoryLimit::Available, save_every: None, trace: None, cancel: None })
    }

    /// Refuses pictures whose estimated peak exceeds `limit`, naming a size that fits.
    pub fn memory_limit(mut self, limit: MemoryLimit) -> Self {
        self.memory = limit;
        self
    }

    /// Writes the best image so far every `every` iterations (counted over
    /// all scales) beside [`Picture::output`]. The final iteration's is not
    /// written: it is the result.
    pub fn save_every(mut self, every: Option<usize>) -> Self {
        self.save_every = every.filter(|&n| n > 0);
        self
    }

    /// Writes one JSON line per evaluation to `path` ([`Record`]), flushed
    /// line by line so a killed run keeps it.
    pub fn trace_to(mut self, path: &Path) -> Result<Self, Error> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        self.trace = Some((BufWriter::new(file), path.to_path_buf()));
        Ok(self)
    }

    /// A flag that, when set (e.g. by a Ctrl-C handler), abandons the running
    /// evaluation at its next layer boundary; the picture ends with the best
    /// image so far.
    pub fn cancel_with(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// The network.
    pub fn net(&self) -> &Arc<Vgg19> {
        &self.net
    }

    /// The settings every picture is painted with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many pictures took their style targets from the cache.
    pub fn style_reuses(&self) -> usize {
        self.cache.hits()
    }

    /// Paints one picture, coarse to fine when the config says so. `on_scale`
    /// is told as each scale starts (`&mut |_, _, _| {}` to hear nothing); `callback` sees every evaluation and may
    /// stop the run (the best image so far comes back). A trace or snapshot
    /// that cannot be written stops the run and is the error returned.
    pub fn paint(
        &mut self,
        picture: &Picture,
        on_scale: &mut OnScale,
        callback: &mut dyn for<'a, 'p> FnMut(&ScaledProgress<'a, 'p>) -> Control,
    ) -> Result<Painted, Error> {
        let mut config = self.config.clone();
        if let Some(img) = &picture.init {
            config.init = Init::Image(img.clone());
        }
        // Inside the caller's pool: its threads are the run's.
        let threads = rayon::current_num_threads();
        check_memory(&self.net, &config, picture.content, picture.styles.first().copied(), self.memory, threads)?;

        let mut failure: Option<Error> = None;
        let mut snapshots = Vec::new();
        let mut last_saved = 0;
        let (save_every, output, loss_scale) = (self.save_every, picture.output, config.loss_scale);
        let trace = &mut self.trace;
        let mut inner = |sp: &ScaledProgress| {
            if let Some((file, path)) = trace.as_mut() {
                let line = Record::of(sp, loss_scale, picture.item).to_json();
                if let Err(e) = writeln!(file, "{line}").and_then(|_| file.flush()) {
                    failure.get_or_insert(Error::io(&*path, e));
                }
            }
            if let (Some(every), Some(out)) = (save_every, output) {
                if sp.iteration >= last_saved + every {
                    last_saved = sp.iteration - sp.iteration % every;
                    let best = ArrayView3::from_shape(sp.progress.x.dim(), sp.progress.best).expect("the image's shape");
                    let path = numbered(out, last_saved);
                    match image_io::save(sp.prepared.picture(best).view(), &path) {
                        Ok(()) => snapshots.push(path),
                        Err(e) => {
                            failure.get_or_insert(e);
                        }
                    }
                }
            }
            match failure {
                Some(_) => Control::Stop,
                None => callback(sp),
            }
        };
        let mut each_scale = |k: usize, schedule: &[Scale], prepared: &Prepared| on_scale(k, schedule, prepared);
        let options = RunOptions {
            cache: Some((&mut self.cache, picture.style_key)),
            cancel: self.cancel.clone(),
            on_scale: Some(&mut each_scale),
            previous: picture.previous,
        };
        let scaled = run_scaled(self.net.clone(), &config, picture.content, picture.styles, options, &mut inner)?;
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(Painted { outcome: scaled.outcome, iterations: scaled.iterations, evals: scaled.evals, seconds: scaled.seconds, snapshots })
    }
}

/// `out.png` -> `out_0010.png`.
pub fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}_{n:04}.{ext}"))
}
