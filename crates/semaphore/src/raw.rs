//! [`RawSemaphore`]: the counting algorithm shared by `Semaphore` and `BoundedSemaphore`.
//!
//! # Implementation details
//!
//! The whole semaphore is one word, `state`: the value (the number of permits) in the high
//! bits and a `PARKED` hint in bit 0. Python's `Semaphore` is a counter guarded by a
//! `Condition(Lock())`; here the counter *is* the atomic, so the uncontended paths are one
//! compare-exchange each way, as for `Lock`:
//!
//! * acquire: load, then `state → state - ONE` if the value is above zero (`Acquire`);
//! * release of `n`: load, check the bound, then `state → state + n·ONE` (`Release`), and only
//!   if the old state had `PARKED` set, wake up to `n` sleepers;
//! * `Semaphore::release()` (one permit, bound [`MAX_VALUE`]): one `fetch_add` of `ONE`, with
//!   no load before it, and the bound checked on the value it returns. A load before the
//!   compare-exchange put its latency on the critical path: 17.7 ns for an acquire+release
//!   against our `Lock`'s 13 ns, and 13.8 ns (the `Lock`'s) with the `fetch_add`.
//!
//! | `state` | meaning |
//! |---|---|
//! | `v·ONE` | value `v`, nobody parked |
//! | `v·ONE \| PARKED` | value `v`, some thread may be parked (`v > 0`: a release is waking it) |
//!
//! A thread that finds the value at zero spins briefly (a release may be imminent), then sets
//! `PARKED` and sleeps in the parking lot ([`threading_core::park`]) keyed on the address of
//! `state`, with `validate` requiring `state == PARKED` (value zero, hint set) while the queue
//! is locked. A release that saw `PARKED` wakes the first `n` sleepers of the queue (FIFO) and,
//! with the queue locked, clears `PARKED` when no sleeper is left; a sleeper that times out
//! clears it when it was the last one. Woken threads go back to the top of the loop and compete
//! for the permits like any newcomer; a loser parks again.
//!
//! **No lost wake-up, no stranded permit.** A thread sleeps only after `validate` saw the value
//! at zero with `PARKED` set, with the queue locked; `PARKED` is cleared only with the queue
//! locked and empty for this key, so while any thread sleeps the bit is set and every release
//! that increments the value takes the slow path and wakes `min(n, sleepers)` of them (a thread
//! between its `PARKED` store and its sleep fails `validate` once the state changes, and looks
//! again). So whenever threads sleep, each permit added since the value was last zero has a
//! woken thread on its way to claim it; a woken thread stops being on its way only by taking a
//! permit, or by seeing the value at zero again (then every permit is taken, and nothing is
//! stranded). In particular `release_n(n)` lets up to `n` sleepers through.
//!
//! **Never negative, never past the bound.** The value only decreases by a compare-exchange
//! from a state with value ≥ 1. It increases by a compare-exchange whose new value was checked
//! against the bound first (the bound is [`MAX_VALUE`] for `Semaphore`, the initial value for
//! `BoundedSemaphore`), so the check is atomic with the increment and a refused release changes
//! nothing (Python's BoundedSemaphore check happens under its lock, which gives the same
//! all-or-nothing result). The one exception is `Semaphore::release()`, whose `fetch_add` may
//! find the value already at `MAX_VALUE`: it then subtracts its permit again and reports the
//! overflow. Meanwhile the value reads one above the bound, and an acquire may take that
//! permit; the net effect is the same as that acquire taking one of the `MAX_VALUE` permits
//! before the refused release, so the release still changes nothing. The word cannot wrap:
//! it holds values up to `usize::MAX / 2`, twice `MAX_VALUE`, and each thread has at most one
//! such permit in flight.
//!
//! **Ordering.** Every change of `state` is a read-modify-write, so a release (`Release`) and
//! the acquire that later takes one of its permits (`Acquire`) synchronise, even through other
//! releases and acquires in between: a semaphore used as a signal publishes the releaser's
//! writes to the acquirer.
//!
//! **Deadlines.** A timed acquire parks with one deadline fixed up front, so the budget is
//! total across re-parks (Python subtracts the time already spent). When the parking lot
//! reports the deadline, the acquire takes one last look at the value (CPython's loop checks
//! the value before the time), and returns `false` if it is still zero.
//!
//! The loom models in `tests/loom/semaphore.rs` check these claims on this code.

use threading_core::atomic::{AtomicUsize, Ordering};
use threading_core::hint::SpinWait;
use threading_core::park::{self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, FilterOp, ParkResult};
use threading_core::time::Instant;

/// A thread may be parked waiting for a permit.
const PARKED: usize = 0b1;
/// One permit in `state` (the value lives above the `PARKED` bit).
const ONE: usize = 0b10;

/// The largest value a semaphore can hold: `usize::MAX / 4`. The word could hold twice as
/// much (one bit is the `PARKED` hint); the rest is headroom for `Semaphore::release()`, which
/// adds before it checks.
pub(crate) const MAX_VALUE: usize = usize::MAX >> 2;

/// A release would take the value past its bound; nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exceeded;

/// The counter and its parking protocol; see the module documentation.
pub(crate) struct RawSemaphore {
    /// The value times [`ONE`], plus the [`PARKED`] bit.
    state: AtomicUsize,
}

impl RawSemaphore {
    threading_core::const_fn! {
        /// A semaphore holding `value` permits; the caller has checked `value <= MAX_VALUE`.
        pub(crate) fn new(value: usize) -> RawSemaphore {
            RawSemaphore { state: AtomicUsize::new(value << 1) }
        }
    }

    /// The value right now (a snapshot).
    #[inline]
    pub(crate) fn value(&self) -> usize {
        self.state.load(Ordering::Relaxed) >> 1
    }

    /// Takes a permit if there is one; never blocks.
    #[inline]
    pub(crate) fn try_acquire(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state < ONE {
                return false;
            }
            match self.state.compare_exchange_weak(
                state,
                state - ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(s) => state = s,
            }
        }
    }

    /// Takes a permit, waiting until `deadline` (`None`: forever). Returns whether it did.
    #[inline]
    pub(crate) fn acquire_until(&self, deadline: Option<Instant>) -> bool {
        self.try_acquire() || self.acquire_slow(deadline)
    }

    /// Adds `n` permits (`n >= 1`) if the value stays at most `limit`, and wakes up to `n`
    /// sleepers. Otherwise changes nothing and returns [`Exceeded`].
    #[inline]
    pub(crate) fn release(&self, n: usize, limit: usize) -> Result<(), Exceeded> {
        debug_assert!(n >= 1 && limit <= MAX_VALUE);
        if n == 1 && limit == MAX_VALUE {
            // `Semaphore::release()`: add first, check after (see the module documentation).
            let old = self.state.fetch_add(ONE, Ordering::Release);
            if old >> 1 >= MAX_VALUE {
                self.state.fetch_sub(ONE, Ordering::Relaxed);
                return Err(Exceeded);
            }
            if old & PARKED != 0 {
                self.wake(1);
            }
            return Ok(());
        }
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            match (state >> 1).checked_add(n) {
                Some(v) if v <= limit => {}
                _ => return Err(Exceeded),
            }
            // Cannot overflow: the new value is at most `limit <= MAX_VALUE`, so
            // `state + n·ONE = new_value·ONE + PARKED bit <= usize::MAX`.
            match self.state.compare_exchange_weak(
                state,
                state + n * ONE,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(s) => state = s,
            }
        }
        if state & PARKED != 0 {
            self.wake(n);
        }
        Ok(())
    }

    /// The contended path of every acquire: spin a little, then park until woken or until
    /// `deadline`. Returns whether a permit was taken.
    #[cold]
    fn acquire_slow(&self, deadline: Option<Instant>) -> bool {
        let mut spin = SpinWait::new();
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            // A permit is there (maybe with sleepers): take it, keeping PARKED for their sake.
            if state >= ONE {
                match self.state.compare_exchange_weak(
                    state,
                    state - ONE,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return true,
                    Err(s) => state = s,
                }
                continue;
            }

            // Value zero and nobody sleeping yet: spin briefly, a release may be about to come.
            if state & PARKED == 0 && spin.spin() {
                state = self.state.load(Ordering::Relaxed);
                continue;
            }

            // Announce a sleeper, so that releases take the slow path.
            if state & PARKED == 0
                && let Err(s) = self.state.compare_exchange_weak(
                    state,
                    state | PARKED,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
            {
                state = s;
                continue;
            }

            let key = self.key();
            // Sleep only if the value is still zero with PARKED set, checked with the queue
            // locked, so a release between our CAS and the sleep cannot be missed.
            let validate = || self.state.load(Ordering::Relaxed) == PARKED;
            // The last sleeper to give up clears PARKED, so releases go back to the fast path.
            let timed_out = |_, was_last_thread| {
                if was_last_thread {
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
            };
            // SAFETY: the key is the address of our own state word; the callbacks only touch
            // that atomic and neither panic nor call into the parking lot.
            let result = unsafe {
                park::park(key, validate, || {}, timed_out, DEFAULT_PARK_TOKEN, deadline)
            };
            if result == ParkResult::TimedOut {
                // One last look, as CPython's loop checks the value before the clock.
                return self.try_acquire();
            }
            // Unparked (a release woke us) or Invalid (the state changed before we slept, or a
            // spurious wake-up): look again.
            spin.reset();
            state = self.state.load(Ordering::Relaxed);
        }
    }

    /// Wakes the first `n` sleepers (FIFO); clears `PARKED` if that empties the queue.
    #[cold]
    fn wake(&self, n: usize) {
        let key = self.key();
        // Runs with the queue locked. With no sleeper left, drop the PARKED hint; a thread that
        // set it but has not slept yet fails `validate` (the state changed) and looks again.
        let callback = |result: park::UnparkResult| {
            if !result.have_more_threads {
                self.state.fetch_and(!PARKED, Ordering::Relaxed);
            }
            DEFAULT_UNPARK_TOKEN
        };
        if n == 1 {
            // SAFETY: our own key; the callback only touches our atomic and cannot panic.
            unsafe { park::unpark_one(key, callback) };
        } else {
            let mut left = n;
            // Stop at the (n+1)-th sleeper, so `have_more_threads` tells whether one is left.
            let filter = |_| {
                if left == 0 {
                    FilterOp::Stop
                } else {
                    left -= 1;
                    FilterOp::Unpark
                }
            };
            // SAFETY: as above; the filter only counts and cannot panic.
            unsafe { park::unpark_filter(key, filter, callback) };
        }
    }

    #[inline]
    fn key(&self) -> usize {
        std::ptr::from_ref(&self.state).addr()
    }
}
