//! [`Event`]: a flag that threads can wait for, like Python's `threading.Event`.
//!
//! # Implementation details
//!
//! The whole event is one byte, with two bits. Sleeping threads wait in the parking lot
//! ([`threading_core::park`]), keyed on the address of that byte.
//!
//! | `state` | meaning |
//! |---|---|
//! | `0` | unset, nobody parked |
//! | `SET` | set (then nobody is parked: see the invariant below) |
//! | `PARKED` | unset, some thread may be parked or about to park |
//!
//! **Invariant: `SET` and `PARKED` are never both set.** A waiter adds `PARKED` only with a
//! compare-exchange from a state without `SET`, and the only way to add `SET` to a state with
//! `PARKED` is the wake-up below, which replaces the whole byte with `SET`.
//!
//! **`is_set`** is one `Acquire` load. **`clear`** is one `fetch_and(!SET)`: it never touches
//! `PARKED`, so clearing cannot hide a sleeper from the next `set`.
//!
//! **`set`** with nobody parked is one compare-exchange `0 → SET`, the same cost as
//! `Lock::release`. It fails when the event is already set (nothing to do) or when `PARKED` is
//! set. Then `set` calls `unpark_filter`, which takes the parking lot's queue lock, selects
//! *every* thread parked on the event, and, in its callback, still with the queue locked, stores
//! `SET` (dropping `PARKED`), and hands each selected thread the token `TOKEN_SET`.
//!
//! **`wait`** returns at once if `SET` is seen. Otherwise it spins briefly while nobody is
//! parked, then sets `PARKED` and parks with `validate` checking, with the queue locked, that the
//! state is still exactly `PARKED`. It returns `true` when it sees `SET` or when it is unparked
//! with `TOKEN_SET`. A timed-out park re-reads the flag and returns it; `ParkResult::Invalid` (the
//! state changed before it slept, or a spurious wake-up) just looks again and parks again, with
//! the same deadline, so a timeout is one total budget.
//!
//! ## Why no wake-up is lost, even with `set(); clear()` (EVT-06)
//!
//! `validate` and the `set` callback both run with the queue locked, so they are ordered. If a
//! waiter's `validate` ran first, the waiter is in the queue when `set` selects threads, so it is
//! woken with `TOKEN_SET` and returns `true`, whatever `clear` did to the flag since. If the
//! callback ran first, `validate` sees `SET` (or, after a quick `clear`, `0`) instead of
//! `PARKED`, so the waiter does not sleep and looks at the state again. The token plays the role
//! of CPython's "notified" result (and of the generation counter that other designs keep): it
//! says "a `set` happened while you were in the queue", which the flag alone cannot say once it
//! has been cleared. Keeping that knowledge in the token instead of in a counter in the state
//! word keeps the fast `set` a compare-exchange against the constant `0`.
//!
//! A `set` that takes the fast path saw `0`, so no thread had announced itself with `PARKED`: a
//! waiter's later compare-exchange to `PARKED` fails on `SET` (and the waiter returns `true`),
//! unless a `clear` came in between, in which case the waiter's check of the flag comes after
//! that `clear` and waiting is the right answer.
//!
//! ## The `PARKED` bit and timeouts
//!
//! `PARKED` is cleared only with the queue locked: by the `set` callback (which wakes everyone)
//! or by the `timed_out` callback of the *last* sleeper to give up. A thread that set or saw
//! `PARKED` but has not slept yet then fails `validate` and announces itself again, exactly as in
//! `Lock`. While any thread is in the queue, `PARKED` stays set, so no `set` can take the fast
//! path and skip it.
//!
//! ## Linearisability
//!
//! A `set` takes effect at its successful compare-exchange or at the store in its callback; a
//! `wait` that returns `true` saw `SET` or was in the queue at such a callback; a timed `wait`
//! that returns `false` was in the queue (with `PARKED` set, so no `set` at all could happen)
//! from its last `validate` until it timed out, and saw the flag unset afterwards. A waiter
//! that is woken with `TOKEN_SET` is synchronised with the `set` through the parking lot (the
//! callback's `Release` store, then the queue's unlock, then the unpark).
//!
//! The loom models in `tests/loom/event.rs` check this on the code below.

use std::fmt;
use std::time::Duration;

use threading_core::atomic::{AtomicU8, Ordering};
use threading_core::hint::SpinWait;
use threading_core::park::{self, DEFAULT_PARK_TOKEN, FilterOp, ParkResult, UnparkToken};
use threading_core::time::{self, Instant};

/// The flag.
const SET: u8 = 0b01;
/// A thread may be parked (or about to park) waiting for the flag.
const PARKED: u8 = 0b10;

/// The token `set` hands every thread it wakes: "the flag was set while you were queued".
const TOKEN_SET: UnparkToken = UnparkToken(1);

/// A flag that threads can wait for: Python's [`threading.Event`].
///
/// An event starts unset. [`set`](Event::set) sets it and wakes every thread waiting for it;
/// [`clear`](Event::clear) unsets it, so that later waits block again;
/// [`is_set`](Event::is_set) reads it. [`wait`](Event::wait) blocks until the flag is set,
/// [`wait_timeout`](Event::wait_timeout) and [`wait_deadline`](Event::wait_deadline) give up
/// after a while and return the flag.
///
/// A thread that was waiting when `set` was called returns `true` even if another thread clears
/// the event again before the waiter gets to run (CPython gh-57711).
///
/// Everything a thread did before `set` is visible to a thread whose `wait` (or `is_set`)
/// returns `true` because of that `set`.
///
/// # Examples
///
/// A start signal: the workers wait until the main thread says go.
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use threading::Event;
///
/// let start = Arc::new(Event::new());
/// let workers: Vec<_> = (0..3)
///     .map(|i| {
///         let start = Arc::clone(&start);
///         thread::spawn(move || {
///             start.wait(); // blocks until `set`
///             i * 10
///         })
///     })
///     .collect();
/// start.set(); // every waiter wakes
/// let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
/// assert_eq!(results, [0, 10, 20]);
/// ```
///
/// # Differences from Python
///
/// * `wait()` without a timeout returns `()`: Python's returns `True`, always, so there is
///   nothing to test. `wait(timeout)` is [`wait_timeout`](Event::wait_timeout) (and
///   [`wait_deadline`](Event::wait_deadline)), returning the flag as a `bool`, as in Python.
/// * Timeouts are `Duration`s. Python's negative and NaN timeouts (which return `False` at once
///   if the event is unset) are [`Duration::ZERO`] here. A timeout too large to represent, such
///   as [`Duration::MAX`], waits forever, where Python raises `OverflowError`.
/// * A timed wait that runs out of time re-reads the flag and returns `true` if it was set just
///   as time ran out; CPython can return `False` then (its result is "was I notified").
/// * The deprecated `isSet` alias and CPython's `_at_fork_reinit` are not provided.
///
/// [`threading.Event`]: https://docs.python.org/3/library/threading.html#event-objects
pub struct Event {
    /// See the state table in the module documentation.
    state: AtomicU8,
}

impl Event {
    threading_core::const_fn! {
        /// Creates an unset event: Python's `Event()`.
        ///
        /// `const`, so an `Event` can live in a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use threading::Event;
        ///
        /// static SHUTDOWN: Event = Event::new();
        /// assert!(!SHUTDOWN.is_set());
        /// ```
        pub fn new() -> Event {
            Event { state: AtomicU8::new(0) }
        }
    }

    /// Whether the flag is set: Python's `is_set()`.
    ///
    /// One atomic load, never blocks. The answer may be out of date as soon as it is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Event;
    ///
    /// let ev = Event::new();
    /// assert!(!ev.is_set());
    /// ev.set();
    /// assert!(ev.is_set());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_set(&self) -> bool {
        self.state.load(Ordering::Acquire) & SET != 0
    }

    /// Sets the flag and wakes every thread waiting for it: Python's `set()`.
    ///
    /// Threads that call [`wait`](Event::wait) afterwards do not block until the event is
    /// [cleared](Event::clear). Setting an event that is already set does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::thread;
    /// use threading::Event;
    ///
    /// let done = Arc::new(Event::new());
    /// let d = Arc::clone(&done);
    /// let worker = thread::spawn(move || {
    ///     // ... work ...
    ///     d.set();
    /// });
    /// done.wait();
    /// assert!(done.is_set());
    /// worker.join().unwrap();
    /// ```
    #[inline]
    pub fn set(&self) {
        if self.state.compare_exchange(0, SET, Ordering::Release, Ordering::Relaxed).is_err() {
            self.set_slow();
        }
    }

    /// Unsets the flag: Python's `clear()`.
    ///
    /// Threads that call [`wait`](Event::wait) afterwards block until the next
    /// [`set`](Event::set). Threads already woken by an earlier `set` are not affected: their
    /// `wait` still returns (`true`), even if they have not run yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Event;
    ///
    /// let ev = Event::new();
    /// ev.set();
    /// ev.clear();
    /// assert!(!ev.is_set());
    /// assert!(!ev.wait_timeout(Duration::from_millis(1))); // blocks again
    /// ```
    #[inline]
    pub fn clear(&self) {
        // Leaves PARKED alone: sleepers stay visible to the next `set`.
        self.state.fetch_and(!SET, Ordering::Release);
    }

    /// Blocks until the flag is set: Python's `wait()`.
    ///
    /// Returns at once if the event is already set. Returns `()` rather than Python's `True`,
    /// which an untimed `wait` always returns; use [`wait_timeout`](Event::wait_timeout) for a
    /// `bool`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::thread;
    /// use threading::Event;
    ///
    /// let ready = Arc::new(Event::new());
    /// let r = Arc::clone(&ready);
    /// let t = thread::spawn(move || r.set());
    /// ready.wait();
    /// t.join().unwrap();
    /// ```
    #[inline]
    pub fn wait(&self) {
        if !self.is_set() {
            let set = self.wait_slow(None);
            debug_assert!(set, "an untimed wait returned without the event being set");
        }
    }

    /// Blocks until the flag is set or `timeout` has passed, and returns the flag: Python's
    /// `wait(timeout)`.
    ///
    /// Returns `true` at once if the event is set, whatever the timeout. Otherwise a zero
    /// timeout returns `false` at once (Python's `wait(0)`, `wait(-1)` and `wait(nan)`), and a
    /// timeout too large to represent as a deadline (such as [`Duration::MAX`]) waits forever.
    /// The timeout is one budget for the whole call: a spurious wake-up never restarts it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Event;
    ///
    /// let ev = Event::new();
    /// assert!(!ev.wait_timeout(Duration::from_millis(10))); // nobody sets it: times out
    /// ev.set();
    /// assert!(ev.wait_timeout(Duration::ZERO)); // already set: true at once
    /// ```
    #[inline]
    #[must_use = "the result says whether the event was set or the wait timed out"]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        if self.is_set() {
            return true;
        }
        if timeout.is_zero() {
            return false;
        }
        self.wait_slow(time::deadline_after(timeout))
    }

    /// Blocks until the flag is set or `deadline` has passed, and returns the flag.
    ///
    /// Returns `true` at once if the event is set; a deadline in the past returns the flag
    /// without sleeping. For loops that share one time budget across several waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Event;
    ///
    /// let (a, b) = (Event::new(), Event::new());
    /// a.set();
    /// let deadline = Instant::now() + Duration::from_millis(20);
    /// assert!(a.wait_deadline(deadline));
    /// assert!(!b.wait_deadline(deadline)); // b uses what is left of the 20 ms
    /// ```
    #[inline]
    #[must_use = "the result says whether the event was set or the wait timed out"]
    pub fn wait_deadline(&self, deadline: Instant) -> bool {
        if self.is_set() {
            return true;
        }
        if time::now() >= deadline {
            return self.is_set();
        }
        self.wait_slow(Some(deadline))
    }

    /// The blocking path of every wait: spin a little, then park until woken by a `set` or
    /// until `deadline` (`None`: no deadline). Returns the flag (see the module documentation
    /// for why a wake-up by `set` counts as set even if the flag was cleared since).
    #[cold]
    fn wait_slow(&self, deadline: Option<Instant>) -> bool {
        let mut spin = SpinWait::new();
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            if state & SET != 0 {
                return true;
            }

            // Nobody asleep yet: spin briefly, the flag may be about to be set.
            if state & PARKED == 0 && spin.spin() {
                state = self.state.load(Ordering::Acquire);
                continue;
            }

            // Announce a sleeper, so `set` takes the slow path and wakes us. The failure
            // ordering is `Acquire` because a failure that shows `SET` returns `true`.
            if state & PARKED == 0
                && let Err(s) = self.state.compare_exchange_weak(
                    state,
                    state | PARKED,
                    Ordering::Relaxed,
                    Ordering::Acquire,
                )
            {
                state = s;
                continue;
            }

            // Sleep only if the event is still unset with PARKED, checked with the queue
            // locked, so a `set` between our announcement and the sleep cannot be missed.
            let validate = || self.state.load(Ordering::Relaxed) == PARKED;
            let before_sleep = || {};
            // The last sleeper to give up clears PARKED, so `set` goes back to the fast path.
            let timed_out = |_, was_last_thread| {
                if was_last_thread {
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
            };
            // SAFETY: the key is the address of our own state byte; the callbacks only touch
            // that atomic and neither panic nor call into the parking lot.
            let result = unsafe {
                park::park(
                    self.key(),
                    validate,
                    before_sleep,
                    timed_out,
                    DEFAULT_PARK_TOKEN,
                    deadline,
                )
            };
            match result {
                // Woken by a `set`: the event was set while we were queued (EVT-06), even if
                // it has been cleared since.
                ParkResult::Unparked(token) => {
                    debug_assert_eq!(token, TOKEN_SET);
                    return true;
                }
                // Out of time: the answer is the flag now.
                ParkResult::TimedOut => return self.is_set(),
                // The state changed before we slept, or a spurious wake-up: look again, and
                // park again with the same deadline.
                ParkResult::Invalid => {}
            }
            spin.reset();
            state = self.state.load(Ordering::Acquire);
        }
    }

    /// The `set` path when the fast compare-exchange failed: the event is already set, or
    /// threads may be parked.
    #[cold]
    fn set_slow(&self) {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & SET != 0 {
                return; // already set
            }
            if state & PARKED != 0 {
                break;
            }
            // Unset and nobody parked (the last sleeper timed out meanwhile): the fast path.
            match self.state.compare_exchange_weak(state, SET, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(s) => state = s,
            }
        }
        // Select every sleeper, and set the flag in the same critical section of the queue, so
        // each sleeper either is selected (and told the flag was set) or has not validated yet
        // (and will see the new state). Storing `SET` drops `PARKED`: the queue is empty then.
        let filter = |_| FilterOp::Unpark;
        let callback = |_| {
            self.state.store(SET, Ordering::Release);
            TOKEN_SET
        };
        // SAFETY: our own key; the filter and the callback only touch our atomic and cannot
        // panic or call into the parking lot.
        unsafe {
            park::unpark_filter(self.key(), filter, callback);
        }
    }

    #[inline]
    fn key(&self) -> usize {
        std::ptr::from_ref(&self.state).addr()
    }
}

impl Default for Event {
    /// An unset event.
    fn default() -> Event {
        Event::new()
    }
}

impl fmt::Debug for Event {
    /// `Event { is_set: false }`: the Rust form of Python's `<threading.Event at 0x…: unset>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event").field("is_set", &self.is_set()).finish()
    }
}
