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

/// Where lock-free code waits for another thread's next few instructions (in a linked queue:
/// "the pusher that claimed a block's last slot is linking the next block"), with the waker
/// saying when it has done them.
///
/// In production it is an empty type: [`wait_until`](Progress::wait_until) spins with a short
/// exponential backoff, then yields the processor, until its condition holds, and
/// [`notify`](Progress::notify) does nothing. Under loom it is a loom mutex and condition
/// variable, so a waiting model thread blocks until notified instead of looping: loom explores
/// every schedule of its runnable threads, and two threads that spin-wait on a third one that is
/// preempted would give it unboundedly many (each yield lets the other spinner run again).
/// Forgetting a `notify` after a change some thread waits for makes the model report a deadlock,
/// so the models also check that every such wait has its waker.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use threading_core::atomic::{AtomicBool, Ordering};
/// use threading_core::hint::Progress;
///
/// let step = Arc::new((AtomicBool::new(false), Progress::new()));
/// let s = Arc::clone(&step);
/// let t = std::thread::spawn(move || {
///     s.0.store(true, Ordering::Release);
///     s.1.notify();
/// });
/// step.1.wait_until(|| step.0.load(Ordering::Acquire));
/// t.join().unwrap();
/// ```
#[derive(Debug, Default)]
pub struct Progress {
    #[cfg(threading_loom)]
    lock: loom::sync::Mutex<()>,
    #[cfg(threading_loom)]
    changed: loom::sync::Condvar,
}

impl Progress {
    crate::const_fn! {
        /// A new waiting place.
        pub fn new() -> Progress {
            Progress {
                #[cfg(threading_loom)]
                lock: loom::sync::Mutex::new(()),
                #[cfg(threading_loom)]
                changed: loom::sync::Condvar::new(),
            }
        }
    }

    /// Returns once `done()` holds; `done` is called again after each backoff step (or, under
    /// loom, after each [`notify`](Progress::notify)).
    #[cfg(not(threading_loom))]
    #[inline]
    pub fn wait_until(&self, mut done: impl FnMut() -> bool) {
        let mut round = 0u32;
        while !done() {
            if round < 6 {
                for _ in 0..(1u32 << round) {
                    spin_loop();
                }
                round += 1;
            } else {
                crate::thread::yield_now();
            }
        }
    }

    /// Returns once `done()` holds; `done` is called again after each backoff step (or, under
    /// loom, after each [`notify`](Progress::notify)).
    #[cfg(threading_loom)]
    pub fn wait_until(&self, mut done: impl FnMut() -> bool) {
        let mut guard = self.lock.lock().expect("a model thread panicked");
        while !done() {
            guard = self.changed.wait(guard).expect("a model thread panicked");
        }
    }

    /// Tells the waiters that what they wait for may have happened (call it after the change).
    #[inline]
    pub fn notify(&self) {
        #[cfg(threading_loom)]
        {
            drop(self.lock.lock().expect("a model thread panicked"));
            self.changed.notify_all();
        }
    }
}
