//! Ctrl-C and SIGTERM: the first asks the run to stop and keep its best image;
//! a second exits at once with 130.

use std::sync::atomic::{AtomicUsize, Ordering};

static RECEIVED: AtomicUsize = AtomicUsize::new(0);

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

extern "C" {
    fn signal(signum: i32, handler: usize) -> usize;
    fn _exit(code: i32) -> !;
}

extern "C" fn on_signal(_: i32) {
    // Only async-signal-safe work here: an atomic add and _exit.
    if RECEIVED.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: _exit is async-signal-safe and never returns.
        unsafe { _exit(130) }
    }
}

/// Installs the handlers (Unix; elsewhere the default behaviour stays).
pub fn install() {
    #[cfg(unix)]
    // SAFETY: `on_signal` is an `extern "C" fn(i32)` that only touches an atomic
    // and calls `_exit`; `signal` is the C library's, linked by std.
    unsafe {
        signal(SIGINT, on_signal as extern "C" fn(i32) as usize);
        signal(SIGTERM, on_signal as extern "C" fn(i32) as usize);
    }
}

/// Whether a stop was asked for.
pub fn stop_requested() -> bool {
    RECEIVED.load(Ordering::SeqCst) > 0
}
