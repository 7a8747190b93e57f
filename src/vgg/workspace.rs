//! Buffers reused from one evaluation to the next.
//!
//! A forward and backward at 512x512 go through about 1 GB of activation and
//! gradient buffers, many of them larger than the allocator keeps on its heap:
//! allocated fresh, each evaluation paid for its pages again (page faults,
//! zeroing and unmapping took about a fifth of an evaluation, perf). The
//! network takes its buffers from a [`Workspace`] and gives them back when done;
//! from the second evaluation at one image size on, every request is served
//! from buffers already mapped. At most as many bytes are held as were live at
//! once (the same requests come in the same order every evaluation).

use std::sync::Mutex;

/// A pool of f32 buffers. Shared by reference; the network is its only user
/// during an evaluation, so the lock is never contended.
#[derive(Debug, Default)]
pub struct Workspace {
    free: Mutex<Vec<Vec<f32>>>,
    /// (floats handed out now, the most ever at once), for diagnostics.
    live: Mutex<(usize, usize)>,
}

impl Workspace {
    pub fn new() -> Self {
        Self::default()
    }

    /// A buffer of `n` floats whose contents are unspecified (stale values
    /// from an earlier use, or zeros): callers overwrite it. The smallest free
    /// buffer that holds `n` is reused; if none does, a new one is allocated.
    pub fn take(&self, n: usize) -> Vec<f32> {
        {
            let mut l = self.live.lock().unwrap_or_else(|e| e.into_inner());
            l.0 += n;
            l.1 = l.1.max(l.0);
        }
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let best = free.iter().enumerate().filter(|(_, v)| v.capacity() >= n).min_by_key(|(_, v)| v.capacity()).map(|(i, _)| i);
        match best {
            Some(i) => {
                let mut v = free.swap_remove(i);
                if v.len() >= n {
                    v.truncate(n);
                } else {
                    v.resize(n, 0.0);
                }
                v
            }
            None => vec![0.0; n],
        }
    }

    /// A buffer of `n` zeros.
    pub fn take_zeroed(&self, n: usize) -> Vec<f32> {
        let mut v = self.take(n);
        v.fill(0.0);
        v
    }

    /// Returns a buffer to the pool.
    pub fn give(&self, v: Vec<f32>) {
        {
            let mut l = self.live.lock().unwrap_or_else(|e| e.into_inner());
            l.0 = l.0.saturating_sub(v.len());
        }
        if v.capacity() > 0 {
            self.free.lock().unwrap_or_else(|e| e.into_inner()).push(v);
        }
    }

    /// Capacities of the free buffers, largest first (diagnostics).
    pub fn capacities(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.free.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|v| v.capacity()).collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    }

    /// The most floats handed out at once so far: what a perfect plan would hold.
    pub fn peak_live(&self) -> usize {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).1
    }

    /// Bytes held by free buffers.
    pub fn bytes(&self) -> usize {
        4 * self.free.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|v| v.capacity()).sum::<usize>()
    }
}
