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

/// A spin before parking whose length adapts to how long the waits it guards really take: for
/// hand-offs between two running threads (a condition ping-pong), where a spin shorter than the
/// scheduler's wake-up latency makes *both* sides park on every round.
///
/// [`spin`](AdaptiveSpin::spin) first runs a [`SpinWait`] (a few microseconds), then keeps
/// yielding the processor while its condition holds, for up to the current budget (0 to
/// [`AdaptiveSpin::MAX`]). If the condition still holds the caller parks and then reports the
/// outcome with [`parked`](AdaptiveSpin::parked):
///
/// * woken by a notify within `MAX` of the start of the spin: a longer spin would have caught
///   it, so the budget grows to 1.5 × the time the wait took (at most `MAX`);
/// * woken later, timed out, or woken without a notify: the budget halves.
///
/// So a ping-pong whose every wait ends in a wake-up (about 10 µs per wake-up on a 2-core VM)
/// moves to spinning after one round, and waits that last longer than `MAX` soon spin for no
/// more than the `SpinWait`. The budget is a heuristic shared by every waiter of one primitive
/// (relaxed loads and stores, updates may be lost); it changes when a thread parks, never what
/// it sees. Spinning yields between looks, so a busy processor goes to other threads.
///
/// Under loom it is the `SpinWait` alone (one yield) and `parked` does nothing: the clock is
/// virtual there and a spin changes no outcome.
///
/// # Examples
///
/// ```
/// use threading_core::atomic::{AtomicBool, Ordering};
/// use threading_core::hint::AdaptiveSpin;
///
/// static SPIN: AdaptiveSpin = AdaptiveSpin::new();
/// let done = AtomicBool::new(true);
/// // Already done: no park needed.
/// assert!(SPIN.spin(None, || !done.load(Ordering::Relaxed)).is_none());
/// ```
#[derive(Debug, Default)]
pub struct AdaptiveSpin {
    /// The yield phase's budget in nanoseconds.
    #[cfg(not(threading_loom))]
    budget: std::sync::atomic::AtomicU32,
}

/// A spin that ended with its condition still holding: the caller parks, then hands this to
/// [`AdaptiveSpin::parked`].
#[derive(Debug)]
#[must_use = "report the park's outcome with AdaptiveSpin::parked"]
pub struct Spun {
    #[cfg(not(threading_loom))]
    start: std::time::Instant,
}

impl AdaptiveSpin {
    /// The longest yield phase: 50 µs, a few scheduler wake-ups on a virtual machine.
    pub const MAX: std::time::Duration = std::time::Duration::from_micros(50);

    /// A budget of zero (just the [`SpinWait`]) until a park shows a longer spin would pay.
    #[must_use]
    pub const fn new() -> AdaptiveSpin {
        AdaptiveSpin {
            #[cfg(not(threading_loom))]
            budget: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Spins while `waiting()` returns `true`, for at most the budget, and not past
    /// `deadline` (`None`: none). `None`: it stopped holding. `Some`: it still holds (or the
    /// deadline passed); park, then call [`parked`](AdaptiveSpin::parked).
    #[inline]
    pub fn spin(
        &self,
        deadline: Option<crate::time::Instant>,
        mut waiting: impl FnMut() -> bool,
    ) -> Option<Spun> {
        let mut spin = SpinWait::new();
        #[cfg(not(threading_loom))]
        let start = std::time::Instant::now();
        while waiting() {
            if spin.spin() {
                continue;
            }
            #[cfg(not(threading_loom))]
            {
                let budget = self.budget.load(std::sync::atomic::Ordering::Relaxed);
                let mut end = start + std::time::Duration::from_nanos(u64::from(budget));
                if let Some(deadline) = deadline {
                    end = end.min(deadline);
                }
                while std::time::Instant::now() < end {
                    crate::thread::yield_now();
                    if !waiting() {
                        return None;
                    }
                }
            }
            #[cfg(threading_loom)]
            let _ = deadline;
            return Some(Spun {
                #[cfg(not(threading_loom))]
                start,
            });
        }
        None
    }

    /// After the park that followed [`spin`](AdaptiveSpin::spin): `notified` says whether a
    /// notify (rather than a timeout, or nothing) ended it. Adjusts the budget.
    #[inline]
    pub fn parked(&self, spun: Spun, notified: bool) {
        #[cfg(not(threading_loom))]
        {
            use std::sync::atomic::Ordering::Relaxed;
            let budget = self.budget.load(Relaxed);
            let next = next_budget(budget, spun.start.elapsed(), notified);
            if next != budget {
                self.budget.store(next, Relaxed);
            }
        }
        #[cfg(threading_loom)]
        let _ = (spun, notified);
    }
}

/// [`AdaptiveSpin`]'s new budget (ns) after a park: a wait that a notify ended within
/// [`AdaptiveSpin::MAX`] of the spin's start (`took`) grows it to 1.5 × `took`; anything else
/// halves it.
#[cfg(not(threading_loom))]
fn next_budget(budget: u32, took: std::time::Duration, notified: bool) -> u32 {
    if notified && took < AdaptiveSpin::MAX {
        let grown = (took.as_nanos() * 3 / 2).min(AdaptiveSpin::MAX.as_nanos());
        budget.max(u32::try_from(grown).unwrap_or(u32::MAX))
    } else {
        budget / 2
    }
}

#[cfg(all(test, not(threading_loom)))]
mod tests {
    use super::{AdaptiveSpin, next_budget};
    use std::time::Duration;

    #[test]
    fn a_soon_notify_grows_the_budget_to_one_and_a_half_times_the_wait() {
        assert_eq!(next_budget(0, Duration::from_micros(10), true), 15_000);
        // Never below what it was, never above MAX.
        assert_eq!(next_budget(20_000, Duration::from_micros(10), true), 20_000);
        assert_eq!(next_budget(0, Duration::from_micros(40), true), 50_000);
    }

    #[test]
    fn a_late_notify_a_timeout_or_no_notify_halves_the_budget() {
        assert_eq!(next_budget(40_000, AdaptiveSpin::MAX, true), 20_000);
        assert_eq!(next_budget(40_000, Duration::from_secs(1), true), 20_000);
        assert_eq!(next_budget(40_000, Duration::from_micros(1), false), 20_000);
        assert_eq!(next_budget(1, Duration::from_micros(1), false), 0);
    }

    #[test]
    fn spin_returns_none_once_the_condition_stops_holding() {
        let spin = AdaptiveSpin::new();
        let mut looks = 0;
        assert!(
            spin.spin(None, || {
                looks += 1;
                looks < 3
            })
            .is_none()
        );
        assert_eq!(looks, 3);
    }

    #[test]
    fn with_no_budget_spin_gives_up_after_the_spin_wait_and_parked_adapts() {
        let spin = AdaptiveSpin::new();
        let mut looks = 0;
        let spun = spin.spin(None, || {
            looks += 1;
            true
        });
        // The SpinWait's ten rounds, each after a look, and one last look.
        assert_eq!(looks, 11);
        spin.parked(spun.expect("still waiting"), false);
        assert_eq!(spin.budget.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[test]
    fn a_passed_deadline_ends_the_yield_phase() {
        let spin = AdaptiveSpin::new();
        spin.budget.store(50_000, std::sync::atomic::Ordering::Relaxed);
        let deadline = std::time::Instant::now();
        let mut looks = 0;
        let spun = spin.spin(Some(deadline), || {
            looks += 1;
            true
        });
        assert!(spun.is_some());
        assert_eq!(looks, 11, "no yield-phase look after the deadline");
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
