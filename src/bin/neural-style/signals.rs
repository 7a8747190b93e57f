//! Ctrl-C and SIGTERM: the first says at once that the run is stopping, and
//! abandons the running evaluation at its next layer boundary so the best
//! image so far is written within about a second; a second exits at once with
//! 130, without saving.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

static RECEIVED: AtomicUsize = AtomicUsize::new(0);
/// Shared with the objective (`Objective::set_cancel`).
static CANCEL: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// SIGINT and SIGTERM have these numbers on every Unix (POSIX leaves them to
/// the system, but Linux, the BSDs and macOS agree); no libc crate is needed.
#[cfg(unix)]
const SIGINT: i32 = 2;
#[cfg(unix)]
const SIGTERM: i32 = 15;
#[cfg(unix)]
const STDERR: i32 = 2;
/// `signal` returns `SIG_ERR`, `(void (*)(int)) -1`, when it fails.
#[cfg(unix)]
const SIG_ERR: usize = usize::MAX;
#[cfg(unix)]
const STOPPING: &[u8] = b"\nneural-style: stopping: the best image so far will be written (press Ctrl-C again to quit without saving)\n";
#[cfg(unix)]
const STOPPING_BATCH: &[u8] =
    b"\nneural-style: stopping after this item, which is not written: running the batch again paints it (press Ctrl-C again to quit at once)\n";
/// Whether a batch runs (its first Ctrl-C writes nothing).
static BATCH: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" {
    fn signal(signum: i32, handler: usize) -> usize;
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn _exit(code: i32) -> !;
}

#[cfg(unix)]
extern "C" fn on_signal(_: i32) {
    // Only async-signal-safe work here: atomics, write(2) and _exit.
    if RECEIVED.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: _exit is async-signal-safe and never returns.
        unsafe { _exit(130) }
    }
    if let Some(flag) = CANCEL.get() {
        flag.store(true, Ordering::SeqCst);
    }
    let text = if BATCH.load(Ordering::SeqCst) { STOPPING_BATCH } else { STOPPING };
    // SAFETY: write(2) is async-signal-safe; the buffer is a static byte string.
    unsafe { write(STDERR, text.as_ptr(), text.len()) };
}

/// Installs the handlers (Unix; elsewhere the default behaviour stays) for a
/// single run or a `batch`. A handler that cannot be installed is said once on
/// stderr: the run goes on, but that signal then ends it without saving.
pub fn install(batch: bool) {
    BATCH.store(batch, Ordering::SeqCst);
    cancel_flag();
    #[cfg(unix)]
    for (sig, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
        // SAFETY: `on_signal` is an `extern "C" fn(i32)` that only touches atomics
        // and calls `write` and `_exit`; `signal` is the C library's, linked by std.
        let previous = unsafe { signal(sig, on_signal as extern "C" fn(i32) as usize) };
        if previous == SIG_ERR {
            eprintln!("neural-style: could not install the {name} handler; that signal will stop the run without saving");
        }
    }
}

/// Whether a stop was asked for.
pub fn stop_requested() -> bool {
    RECEIVED.load(Ordering::SeqCst) > 0
}

/// The flag the first signal sets, for the objective to stop mid-pass.
pub fn cancel_flag() -> Arc<AtomicBool> {
    CANCEL.get_or_init(|| Arc::new(AtomicBool::new(false))).clone()
}
