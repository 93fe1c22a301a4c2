//! [`Barrier`]: a reusable rendezvous point for a fixed number of threads, like Python's
//! `threading.Barrier`.
//!
//! # Implementation details
//!
//! The state lives in an [`Inner`] protected by an internal [`Lock`]; every decision (join a
//! round, trip it, break it, give up) is taken with that lock held, so the algorithm is a plain
//! state machine. Sleeping is done in the parking lot ([`threading_core::park`]) on the address
//! of the `epoch` counter, which every state change bumps (with the lock held) before waking all
//! sleepers with `unpark_all` (after unlocking). A thread records the epoch with the lock held
//! and sleeps only if `validate` (run with the parking queue locked) still sees that epoch, so a
//! change between the unlock and the sleep is never missed. Whatever the park result — woken,
//! `Invalid` (epoch changed or spurious wake-up) or timed out — the thread re-takes the lock and
//! looks at the state again.
//!
//! | `phase` | meaning | a new arrival |
//! |---|---|---|
//! | `Filling` | `count` threads of round `generation` are waiting | joins with index `count` |
//! | `Tripping` | all parties arrived; the last one runs the action without the lock | waits |
//! | `Broken` | the round failed; `count` of its threads have not left yet | gets the error |
//! | `Resetting` | broken, and `reset()` was called; the reset completes when `count` hits 0 | waits |
//!
//! Rounds are told apart by `generation`, as in Java's `CyclicBarrier`: a trip increments it and
//! restarts at `Filling` with `count = 0`, so a fast thread may join the next round before the
//! woken threads of the previous one have even run; they see `generation` changed and return
//! their index. A broken round keeps its `generation` until *all* its threads have left (that is
//! what `Resetting` waits for), so "my generation is over" always means "my round tripped".

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::time::Duration;

use threading_core::atomic::{AtomicUsize, Ordering};
use threading_core::cell::UnsafeCell;
use threading_core::error::{ValueError, ValueErrorKind};
use threading_core::hint::SpinWait;
use threading_core::park::{self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, ParkResult};
use threading_core::time::{self, Instant};
use threading_lock::Lock;

use crate::BrokenBarrierError;

/// The callback a [`Barrier`] runs when it trips.
type Action = Box<dyn Fn() + Send + Sync>;

/// Python's message for a barrier with no parties.
const PARTIES_MESSAGE: &str = "parties must be > 0";

/// Where the current round is; see the table in the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Filling,
    Tripping,
    Broken,
    Resetting,
}

/// The barrier's state, only touched with [`Barrier::lock`] held.
#[derive(Debug)]
struct Inner {
    /// Threads of the current round inside `wait` (while filling: the number that arrived).
    count: usize,
    /// The round number; changes on a trip and when a reset completes (wrapping).
    generation: usize,
    phase: Phase,
}

/// A barrier for a fixed number of threads: Python's [`threading.Barrier`].
///
/// Each of `parties` threads calls [`wait`](Barrier::wait); all of them block until the last
/// one arrives, then all are released together. The barrier is then ready for the next round,
/// so the same `Barrier` can separate the phases of an iterative computation.
///
/// * Each waiter gets its **arrival index**, `0` for the first thread of a round up to
///   `parties - 1` for the last one, as in CPython (`index = self._count`). Use it to pick one
///   thread for some housekeeping.
/// * An optional **action** runs exactly once per round, in the last thread to arrive, before
///   any thread is released ([`Barrier::with_action`], [`BarrierBuilder::action`]).
/// * A waiter that **times out breaks the barrier**: it and every other waiter of the round get
///   [`BrokenBarrierError`], and so does every later `wait` until [`reset`](Barrier::reset).
///   [`abort`](Barrier::abort) breaks it on purpose; a panicking action breaks it too.
///
/// # Examples
///
/// Three threads do three rounds of work in lockstep:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::thread;
/// use threading::Barrier;
///
/// let rounds = Arc::new(AtomicUsize::new(0));
/// let r = Arc::clone(&rounds);
/// let barrier = Arc::new(Barrier::with_action(3, move || {
///     r.fetch_add(1, Ordering::SeqCst); // runs once per round, before anyone goes on
/// }));
/// let handles: Vec<_> = (0..3)
///     .map(|_| {
///         let (barrier, rounds) = (Arc::clone(&barrier), Arc::clone(&rounds));
///         thread::spawn(move || {
///             for round in 0..3 {
///                 // ... work for `round` ...
///                 let index = barrier.wait().unwrap();
///                 assert!(index < 3);
///                 assert_eq!(rounds.load(Ordering::SeqCst), round + 1);
///             }
///         })
///     })
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert_eq!(rounds.load(Ordering::SeqCst), 3);
/// ```
///
/// # Differences from Python
///
/// * `Barrier(parties, action, timeout)` is [`Barrier::new`], [`Barrier::with_action`] or
///   [`Barrier::builder`]`(parties).action(f).timeout(t).build()`. `parties` is a `usize`, so
///   only `0` is rejected ([`new`](Barrier::new) panics with Python's message,
///   [`try_new`](Barrier::try_new) returns [`ValueError`]).
/// * `wait(timeout=t)` is [`wait_timeout`](Barrier::wait_timeout), plus
///   [`wait_deadline`](Barrier::wait_deadline). In Python `wait(None)` falls back to the
///   constructor's timeout (BAR-12); here [`wait`](Barrier::wait) uses the default timeout,
///   while `wait_timeout(Duration::MAX)` really waits forever.
/// * A thread that arrives while the previous round's threads are still waking up joins the
///   next round at once; CPython makes it wait until they have all left (its "draining"
///   state). The rounds never mix either way (BAR-19).
/// * The action runs without the barrier's internal lock. [`abort`](Barrier::abort) or
///   [`reset`](Barrier::reset) called while it runs (for instance by the action itself) break
///   that round: every thread of it, including the one running the action, gets
///   [`BrokenBarrierError`]. In CPython those calls block until the action has finished (and
///   deadlock if the action makes them).
/// * `n_waiting` and `broken` are the methods [`n_waiting`](Barrier::n_waiting) and
///   [`broken`](Barrier::broken).
///
/// [`threading.Barrier`]: https://docs.python.org/3/library/threading.html#barrier-objects
pub struct Barrier {
    parties: usize,
    action: Option<Action>,
    timeout: Option<Duration>,
    /// Protects `inner`.
    lock: Lock,
    inner: UnsafeCell<Inner>,
    /// Bumped (with `lock` held) on every change a sleeping thread must look at; its address is
    /// the parking key.
    epoch: AtomicUsize,
}

// SAFETY: `inner` is only accessed with `lock` held (see `Barrier::locked`); the other fields
// are immutable or atomic, and the action is `Send + Sync`.
unsafe impl Send for Barrier {}
// SAFETY: as above.
unsafe impl Sync for Barrier {}

// A panic anywhere (in the action or in a caller) leaves the state consistent: a panicking
// action breaks the barrier, which is the documented outcome. There is no poisoning.
impl UnwindSafe for Barrier {}
impl RefUnwindSafe for Barrier {}

/// What a thread does after looking at the state on arrival.
enum Arrival {
    /// The barrier is broken.
    Broken,
    /// Draining a trip or a reset: sleep until the epoch moves on from this value.
    Wait(usize),
    /// Joined round `generation` with `index`; sleep until the epoch moves on from `epoch`.
    Joined { index: usize, generation: usize, epoch: usize },
    /// Last to arrive, and there is an action to run.
    RunAction(usize),
    /// Last to arrive, no action: the round tripped.
    Tripped(usize),
}

/// What a joined thread does after waking up.
enum Wake {
    Done(Result<usize, BrokenBarrierError>, bool),
    Sleep { epoch: usize, forever: bool },
}

impl Barrier {
    threading_core::const_fn! {
        /// Creates a barrier for `parties` threads, with no action and no default timeout:
        /// Python's `Barrier(parties)`.
        ///
        /// `const`, so a `Barrier` can live in a `static`.
        ///
        /// # Panics
        ///
        /// If `parties` is 0, with Python's message "parties must be > 0" (BAR-01). Use
        /// [`try_new`](Barrier::try_new) when the count comes from input.
        ///
        /// # Examples
        ///
        /// ```
        /// use threading::Barrier;
        ///
        /// static BARRIER: Barrier = Barrier::new(3);
        /// assert_eq!(BARRIER.parties(), 3);
        /// assert_eq!(BARRIER.n_waiting(), 0);
        /// assert!(!BARRIER.broken());
        /// ```
        pub fn new(parties: usize) -> Barrier {
            assert!(parties > 0, "parties must be > 0");
            Barrier {
                parties,
                action: None,
                timeout: None,
                lock: Lock::new(),
                inner: UnsafeCell::new(Inner { count: 0, generation: 0, phase: Phase::Filling }),
                epoch: AtomicUsize::new(0),
            }
        }
    }

    /// Creates a barrier for `parties` threads, or returns Python's `ValueError` if `parties`
    /// is 0.
    ///
    /// # Errors
    ///
    /// [`ValueError`] of kind [`BarrierParties`](ValueErrorKind::BarrierParties) ("parties must
    /// be > 0") if `parties` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Barrier, ValueErrorKind};
    ///
    /// let err = Barrier::try_new(0).unwrap_err();
    /// assert_eq!(err.kind(), ValueErrorKind::BarrierParties);
    /// assert_eq!(err.to_string(), "parties must be > 0");
    /// assert_eq!(Barrier::try_new(2).unwrap().parties(), 2);
    /// ```
    pub fn try_new(parties: usize) -> Result<Barrier, ValueError> {
        Barrier::builder(parties).try_build()
    }

    /// Creates a barrier for `parties` threads that runs `action` each time it trips:
    /// Python's `Barrier(parties, action)`.
    ///
    /// The action runs once per round, in the last thread to arrive, before any thread is
    /// released. If it panics, the barrier breaks: the other waiters get
    /// [`BrokenBarrierError`] and the panic continues in the thread that ran it.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 ("parties must be > 0").
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Barrier;
    ///
    /// let barrier = Barrier::with_action(1, || println!("tripped"));
    /// assert_eq!(barrier.wait(), Ok(0)); // prints "tripped"
    /// ```
    pub fn with_action(parties: usize, action: impl Fn() + Send + Sync + 'static) -> Barrier {
        Barrier::builder(parties).action(action).build()
    }

    /// Starts building a barrier for `parties` threads with an action and/or a default timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Barrier;
    ///
    /// let barrier = Barrier::builder(2)
    ///     .action(|| println!("both arrived"))
    ///     .timeout(Duration::from_secs(5))
    ///     .build();
    /// assert_eq!(barrier.parties(), 2);
    /// ```
    pub fn builder(parties: usize) -> BarrierBuilder {
        BarrierBuilder { parties, action: None, timeout: None }
    }

    /// Waits until all parties have called `wait`, and returns this thread's arrival index:
    /// Python's `wait()`.
    ///
    /// The index is `0` for the first thread of the round and `parties - 1` for the last one,
    /// which also runs the action (if any) before the others are released. If the barrier was
    /// built with a default [`timeout`](BarrierBuilder::timeout), this waits at most that long.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] if the barrier is broken when the thread arrives, or breaks while
    /// it waits (a timeout of any waiter, [`abort`](Barrier::abort), [`reset`](Barrier::reset),
    /// or a panicking action in another thread).
    ///
    /// # Panics
    ///
    /// If this thread is the last to arrive and the action panics: the panic propagates here
    /// (after breaking the barrier for the other waiters).
    ///
    /// Calling `wait` on the same barrier from inside its action never returns (as in CPython).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::thread;
    /// use threading::Barrier;
    ///
    /// let barrier = Arc::new(Barrier::new(2));
    /// let b = Arc::clone(&barrier);
    /// let other = thread::spawn(move || b.wait());
    /// let mine = barrier.wait().unwrap();
    /// let theirs = other.join().unwrap().unwrap();
    /// assert_eq!(mine + theirs, 1); // indices 0 and 1
    /// ```
    pub fn wait(&self) -> Result<usize, BrokenBarrierError> {
        let deadline = self.timeout.and_then(time::deadline_after);
        self.wait_until(deadline)
    }

    /// Like [`wait`](Barrier::wait), but waits at most `timeout` for the other parties:
    /// Python's `wait(timeout)`.
    ///
    /// If the time runs out before the barrier trips, **the barrier breaks**: this thread and
    /// every other waiter get [`BrokenBarrierError`]. A zero timeout breaks it at once unless
    /// this thread is the last to arrive (BAR-13). A timeout too large to represent (such as
    /// `Duration::MAX`) waits forever.
    ///
    /// # Errors
    ///
    /// As [`wait`](Barrier::wait), plus the timeout.
    ///
    /// # Panics
    ///
    /// As [`wait`](Barrier::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::{Barrier, BrokenBarrierError};
    ///
    /// let barrier = Barrier::new(2);
    /// // Nobody else comes: the wait times out and breaks the barrier.
    /// assert_eq!(barrier.wait_timeout(Duration::from_millis(10)), Err(BrokenBarrierError));
    /// assert!(barrier.broken());
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, BrokenBarrierError> {
        self.wait_until(time::deadline_after(timeout))
    }

    /// Like [`wait_timeout`](Barrier::wait_timeout), with a deadline instead of a duration.
    ///
    /// A deadline in the past breaks the barrier at once unless this thread is the last to
    /// arrive.
    ///
    /// # Errors
    ///
    /// As [`wait_timeout`](Barrier::wait_timeout).
    ///
    /// # Panics
    ///
    /// As [`wait`](Barrier::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Barrier;
    ///
    /// let barrier = Barrier::new(1);
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(barrier.wait_deadline(deadline), Ok(0)); // one party: never blocks
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> Result<usize, BrokenBarrierError> {
        self.wait_until(Some(deadline))
    }

    /// Puts the barrier back into its initial, empty state: Python's `reset()`.
    ///
    /// Threads waiting in the current round get [`BrokenBarrierError`]. A broken barrier is
    /// repaired. If threads of the broken round have not left yet, threads arriving meanwhile
    /// wait until they have, then form the next round.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Barrier;
    ///
    /// let barrier = Barrier::new(1);
    /// barrier.abort();
    /// assert!(barrier.wait().is_err());
    /// barrier.reset();
    /// assert!(!barrier.broken());
    /// assert_eq!(barrier.wait(), Ok(0));
    /// ```
    pub fn reset(&self) {
        let changed = self.locked(|s| {
            match s.phase {
                Phase::Resetting => return false,
                Phase::Filling if s.count == 0 => return false,
                Phase::Broken if s.count == 0 => {
                    s.phase = Phase::Filling;
                    s.generation = s.generation.wrapping_add(1);
                }
                // Waiters (or the thread running the action) get the error; the last of them
                // to leave completes the reset.
                Phase::Filling | Phase::Tripping | Phase::Broken => s.phase = Phase::Resetting,
            }
            self.bump();
            true
        });
        if changed {
            self.wake_all();
        }
    }

    /// Breaks the barrier: Python's `abort()`.
    ///
    /// Threads waiting now, and every later [`wait`](Barrier::wait), get
    /// [`BrokenBarrierError`] until [`reset`](Barrier::reset). Use it to make the other threads
    /// give up when one of them cannot continue.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::thread;
    /// use threading::{Barrier, BrokenBarrierError};
    ///
    /// let barrier = Arc::new(Barrier::new(2));
    /// let b = Arc::clone(&barrier);
    /// let waiter = thread::spawn(move || b.wait());
    /// barrier.abort();
    /// assert_eq!(waiter.join().unwrap(), Err(BrokenBarrierError));
    /// assert!(barrier.broken());
    /// ```
    pub fn abort(&self) {
        let changed = self.locked(|s| {
            if s.phase == Phase::Broken {
                return false;
            }
            s.phase = Phase::Broken;
            self.bump();
            true
        });
        if changed {
            self.wake_all();
        }
    }

    /// The number of threads required to trip the barrier: Python's `parties`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Barrier;
    ///
    /// assert_eq!(Barrier::new(4).parties(), 4);
    /// ```
    #[must_use]
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of threads waiting in the current round: Python's `n_waiting`.
    ///
    /// 0 while the barrier is broken or resetting. While the action runs it is `parties`. The
    /// answer may be out of date as soon as it is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::thread;
    /// use threading::Barrier;
    ///
    /// let barrier = Arc::new(Barrier::new(2));
    /// assert_eq!(barrier.n_waiting(), 0);
    /// let b = Arc::clone(&barrier);
    /// let t = thread::spawn(move || b.wait());
    /// while barrier.n_waiting() < 1 {
    ///     thread::yield_now();
    /// }
    /// barrier.wait().unwrap();
    /// t.join().unwrap().unwrap();
    /// ```
    #[must_use]
    pub fn n_waiting(&self) -> usize {
        self.locked(|s| match s.phase {
            Phase::Filling | Phase::Tripping => s.count,
            Phase::Broken | Phase::Resetting => 0,
        })
    }

    /// Whether the barrier is broken: Python's `broken`.
    ///
    /// True after a timeout, [`abort`](Barrier::abort) or a panicking action, until
    /// [`reset`](Barrier::reset).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Barrier;
    ///
    /// let barrier = Barrier::new(2);
    /// assert!(!barrier.broken());
    /// barrier.abort();
    /// assert!(barrier.broken());
    /// barrier.reset();
    /// assert!(!barrier.broken());
    /// ```
    #[must_use]
    pub fn broken(&self) -> bool {
        self.locked(|s| s.phase == Phase::Broken)
    }

    /// Every wait: arrive, then trip the round or sleep until it trips or breaks.
    fn wait_until(&self, deadline: Option<Instant>) -> Result<usize, BrokenBarrierError> {
        loop {
            let arrival = self.locked(|s| match s.phase {
                Phase::Broken => Arrival::Broken,
                Phase::Tripping | Phase::Resetting => Arrival::Wait(self.epoch()),
                Phase::Filling => {
                    let index = s.count;
                    s.count += 1;
                    if s.count < self.parties {
                        Arrival::Joined { index, generation: s.generation, epoch: self.epoch() }
                    } else if self.action.is_some() {
                        s.phase = Phase::Tripping;
                        Arrival::RunAction(index)
                    } else {
                        self.trip(s);
                        Arrival::Tripped(index)
                    }
                }
            });
            match arrival {
                Arrival::Broken => return Err(BrokenBarrierError),
                // As in CPython, waiting for the previous round to drain is not timed.
                Arrival::Wait(epoch) => {
                    self.sleep(epoch, None);
                }
                Arrival::Tripped(index) => {
                    self.wake_all();
                    return Ok(index);
                }
                Arrival::RunAction(index) => return self.run_action(index),
                Arrival::Joined { index, generation, epoch } => {
                    return self.wait_joined(index, generation, epoch, deadline);
                }
            }
        }
    }

    /// The last arrival runs the action, then trips the round (unless it was broken meanwhile).
    fn run_action(&self, index: usize) -> Result<usize, BrokenBarrierError> {
        /// Breaks the round if the action panics.
        struct BreakOnUnwind<'a>(&'a Barrier);
        impl Drop for BreakOnUnwind<'_> {
            fn drop(&mut self) {
                let barrier = self.0;
                barrier.locked(|s| {
                    if s.phase == Phase::Tripping {
                        s.phase = Phase::Broken;
                        barrier.bump();
                    }
                    barrier.leave_broken(s);
                });
                barrier.wake_all();
            }
        }

        let guard = BreakOnUnwind(self);
        if let Some(action) = &self.action {
            action();
        }
        std::mem::forget(guard);
        let result = self.locked(|s| {
            if s.phase == Phase::Tripping {
                self.trip(s);
                Ok(index)
            } else {
                // `abort` or `reset` while the action ran.
                self.leave_broken(s);
                Err(BrokenBarrierError)
            }
        });
        self.wake_all();
        result
    }

    /// A thread that joined round `generation` sleeps until the round trips or breaks, or until
    /// `deadline`, when it breaks the round itself.
    fn wait_joined(
        &self,
        index: usize,
        generation: usize,
        mut epoch: usize,
        mut deadline: Option<Instant>,
    ) -> Result<usize, BrokenBarrierError> {
        loop {
            let timed_out = self.sleep(epoch, deadline);
            let wake = self.locked(|s| {
                if s.generation != generation {
                    // A broken round keeps its generation until all its threads left, and we
                    // have not: the round tripped.
                    return Wake::Done(Ok(index), false);
                }
                match s.phase {
                    Phase::Broken | Phase::Resetting => {
                        Wake::Done(Err(BrokenBarrierError), self.leave_broken(s))
                    }
                    // The last thread arrived in time; only an abort or reset can stop the
                    // trip now, so stop counting time (CPython's waiters are blocked on the
                    // lock the action runs under).
                    Phase::Tripping => Wake::Sleep { epoch: self.epoch(), forever: true },
                    Phase::Filling if timed_out => {
                        s.phase = Phase::Broken;
                        self.bump();
                        self.leave_broken(s);
                        Wake::Done(Err(BrokenBarrierError), true)
                    }
                    Phase::Filling => Wake::Sleep { epoch: self.epoch(), forever: false },
                }
            });
            match wake {
                Wake::Done(result, wake_others) => {
                    if wake_others {
                        self.wake_all();
                    }
                    return result;
                }
                Wake::Sleep { epoch: e, forever } => {
                    epoch = e;
                    if forever {
                        deadline = None;
                    }
                }
            }
        }
    }

    /// Trips the round: the next one starts empty. Call with the lock held.
    fn trip(&self, s: &mut Inner) {
        s.count = 0;
        s.generation = s.generation.wrapping_add(1);
        s.phase = Phase::Filling;
        self.bump();
    }

    /// A thread of a broken (or resetting) round leaves; the last to leave a resetting round
    /// completes the reset. Returns whether sleepers must be woken. Call with the lock held.
    fn leave_broken(&self, s: &mut Inner) -> bool {
        s.count -= 1;
        if s.phase == Phase::Resetting && s.count == 0 {
            s.phase = Phase::Filling;
            s.generation = s.generation.wrapping_add(1);
            self.bump();
            return true;
        }
        false
    }

    /// Sleeps until the epoch is no longer `epoch` (or a spurious wake-up), or until
    /// `deadline`. Returns whether the deadline passed.
    fn sleep(&self, epoch: usize, deadline: Option<Instant>) -> bool {
        // The other parties are often about to arrive: spin a little before parking.
        let mut spin = SpinWait::new();
        while spin.spin() {
            if self.epoch.load(Ordering::Relaxed) != epoch {
                return false;
            }
        }
        // Checked with the queue locked: a bump before it makes us return at once, a bump
        // after it is followed by `wake_all`, which finds us in the queue.
        let validate = || self.epoch.load(Ordering::Relaxed) == epoch;
        // SAFETY: the key is the address of our own `epoch`, which no other primitive parks
        // on; the callbacks only read that atomic and cannot panic.
        let result = unsafe {
            park::park(self.key(), validate, || {}, |_, _| {}, DEFAULT_PARK_TOKEN, deadline)
        };
        result == ParkResult::TimedOut
    }

    /// Wakes every sleeper; each one looks at the state again.
    fn wake_all(&self) {
        // SAFETY: our own key, see `sleep`.
        unsafe {
            park::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN);
        }
    }

    /// Marks a change sleepers must see. Call with the lock held.
    fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// The current epoch. Call with the lock held.
    fn epoch(&self) -> usize {
        self.epoch.load(Ordering::Relaxed)
    }

    /// Runs `f` on the state with the internal lock held.
    fn locked<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let _guard = self.lock.lock();
        // SAFETY: `inner` is only accessed here, with the lock held, and `f` cannot reach
        // `locked` again (it only gets `&mut Inner` and calls the lock-free helpers).
        self.inner.with_mut(|inner| f(unsafe { &mut *inner }))
    }

    #[inline]
    fn key(&self) -> usize {
        std::ptr::from_ref(&self.epoch).addr()
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n_waiting, phase) = self.locked(|s| (s.count, s.phase));
        let mut d = f.debug_struct("Barrier");
        d.field("parties", &self.parties);
        match phase {
            Phase::Filling | Phase::Tripping => d.field("n_waiting", &n_waiting),
            Phase::Broken => d.field("broken", &true),
            Phase::Resetting => d.field("resetting", &true),
        };
        d.finish_non_exhaustive()
    }
}

/// Builds a [`Barrier`] with an action and/or a default timeout: the keyword arguments of
/// Python's `Barrier(parties, action=None, timeout=None)`.
///
/// Created by [`Barrier::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threading::{Barrier, BrokenBarrierError};
///
/// let barrier = Barrier::builder(2).timeout(Duration::from_millis(10)).build();
/// // `wait` uses the default timeout: nobody else comes, so the barrier breaks.
/// assert_eq!(barrier.wait(), Err(BrokenBarrierError));
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct BarrierBuilder {
    parties: usize,
    action: Option<Action>,
    timeout: Option<Duration>,
}

impl BarrierBuilder {
    /// Sets the action, run once per round by the last thread to arrive, before any thread is
    /// released. A panic in it breaks the barrier and propagates in that thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use threading::Barrier;
    ///
    /// static TRIPS: AtomicUsize = AtomicUsize::new(0);
    /// let barrier = Barrier::builder(1).action(|| { TRIPS.fetch_add(1, Ordering::SeqCst); }).build();
    /// barrier.wait().unwrap();
    /// barrier.wait().unwrap();
    /// assert_eq!(TRIPS.load(Ordering::SeqCst), 2);
    /// ```
    pub fn action(mut self, action: impl Fn() + Send + Sync + 'static) -> BarrierBuilder {
        self.action = Some(Box::new(action));
        self
    }

    /// Sets the default timeout of [`Barrier::wait`]. A duration too large to represent waits
    /// forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Barrier;
    ///
    /// let barrier = Barrier::builder(1).timeout(Duration::from_secs(1)).build();
    /// assert_eq!(barrier.wait(), Ok(0));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> BarrierBuilder {
        self.timeout = Some(timeout);
        self
    }

    /// Builds the barrier.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 ("parties must be > 0"); see [`try_build`](BarrierBuilder::try_build).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Barrier;
    ///
    /// let barrier = Barrier::builder(3).build();
    /// assert_eq!(barrier.parties(), 3);
    /// ```
    #[must_use]
    pub fn build(self) -> Barrier {
        match self.try_build() {
            Ok(barrier) => barrier,
            Err(_) => panic!("{PARTIES_MESSAGE}"),
        }
    }

    /// Builds the barrier, or returns Python's `ValueError` if `parties` is 0.
    ///
    /// # Errors
    ///
    /// [`ValueError`] of kind [`BarrierParties`](ValueErrorKind::BarrierParties) if `parties`
    /// is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Barrier;
    ///
    /// assert!(Barrier::builder(0).try_build().is_err());
    /// assert!(Barrier::builder(1).try_build().is_ok());
    /// ```
    pub fn try_build(self) -> Result<Barrier, ValueError> {
        if self.parties == 0 {
            return Err(ValueError::new(ValueErrorKind::BarrierParties));
        }
        let mut barrier = Barrier::new(self.parties);
        barrier.action = self.action;
        barrier.timeout = self.timeout;
        Ok(barrier)
    }
}

impl fmt::Debug for BarrierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierBuilder")
            .field("parties", &self.parties)
            .field("action", &self.action.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}
