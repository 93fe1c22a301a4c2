//! Spinning: `std::hint::spin_loop` in production, `loom::thread::yield_now` in a model (a spin
//! without a loom yield exhausts loom's branch budget).

/// Signals a spin-wait loop to the processor (or yields to another model thread under loom).
#[inline]
pub fn spin_loop() {
    #[cfg(not(threading_loom))]
    std::hint::spin_loop();
    #[cfg(threading_loom)]
    loom::thread::yield_now();
}

/// Bounded exponential backoff used before parking: a few rounds of `spin_loop` (1, 2, 4, …
/// pauses), then a few `yield_now`s, then [`SpinWait::spin`] returns `false` and the caller
/// parks.
///
/// Under loom the budget is one round, so models stay small while still running this code.
#[derive(Debug, Default)]
pub struct SpinWait {
    counter: u32,
}

impl SpinWait {
    #[cfg(not(threading_loom))]
    const SPINS: u32 = 3;
    #[cfg(not(threading_loom))]
    const YIELDS: u32 = 10;
    #[cfg(threading_loom)]
    const SPINS: u32 = 0;
    #[cfg(threading_loom)]
    const YIELDS: u32 = 1;

    /// A fresh backoff.
    #[inline]
    pub const fn new() -> SpinWait {
        SpinWait { counter: 0 }
    }

    /// Forgets previous spins.
    #[inline]
    pub fn reset(&mut self) {
        self.counter = 0;
    }

    /// Spins or yields once; returns `false` once the budget is used up (time to park).
    #[inline]
    #[cfg_attr(
        threading_loom,
        allow(clippy::absurd_extreme_comparisons, reason = "SPINS is 0 under loom: yields only")
    )]
    pub fn spin(&mut self) -> bool {
        if self.counter >= Self::YIELDS {
            return false;
        }
        self.counter += 1;
        if self.counter <= Self::SPINS {
            for _ in 0..(1u32 << self.counter) {
                spin_loop();
            }
        } else {
            crate::thread::yield_now();
        }
        true
    }
}

/// A value aligned and padded to 128 bytes, so it shares no cache line (nor the adjacent line
/// that x86's spatial prefetcher pulls in with it) with its neighbours.
///
/// For an atomic that one thread polls while others write next to it: without the padding each
/// poll takes the line away from the writers (false sharing). The same layout as
/// `crossbeam_utils::CachePadded` on x86-64 and aarch64.
///
/// # Examples
///
/// ```
/// use threading_core::atomic::{AtomicUsize, Ordering};
/// use threading_core::hint::CachePadded;
///
/// let epoch = CachePadded(AtomicUsize::new(0));
/// epoch.fetch_add(1, Ordering::Relaxed);
/// assert_eq!(epoch.load(Ordering::Relaxed), 1);
/// assert_eq!(std::mem::align_of_val(&epoch), 128);
/// ```
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct CachePadded<T>(pub T);

impl<T> core::ops::Deref for CachePadded<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}
