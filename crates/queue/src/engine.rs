//! The locked engine behind [`LifoQueue`](crate::LifoQueue),
//! [`PriorityQueue`](crate::PriorityQueue), [`SimpleQueue`](crate::SimpleQueue) and an
//! unbounded [`Queue`](crate::Queue): a [`Lock`]-protected [`State`] and three parking keys
//! standing for CPython's three conditions. (A bounded `Queue` uses the lock-free engine of
//! [`crate::fifo`].)
//!
//! # Implementation details
//!
//! CPython's `Queue` is a `deque` plus one mutex shared by three conditions: `not_empty`
//! (getters wait on it, every put notifies one), `not_full` (putters wait, every get notifies
//! one) and `all_tasks_done` (joiners wait, the `task_done` that reaches zero notifies all).
//! This engine keeps that shape, with the conditions replaced by something cheaper.
//!
//! **State.** Everything Python keeps in the queue object lives in one [`State`] behind an
//! internal [`Lock`]: the items (in a [`Storage`]: FIFO, LIFO or heap), `maxsize`,
//! `unfinished_tasks`, the shutdown flag, and how many threads are waiting on each of the
//! three "conditions". Every decision — put or refuse, take or wait, count or wake — is taken
//! with the lock held, so the algorithm is a plain sequential state machine; the only
//! concurrency question is how waiting threads sleep and wake up.
//!
//! **Sleeping.** A thread that must wait registers itself (`getters`, `putters` or `joiners`
//! += 1), reads the **epoch** of its condition (an `AtomicUsize`: `not_empty`, `not_full`,
//! `all_tasks_done`) with the lock held, and releases the lock. It spins briefly watching the
//! epoch, then sets the epoch's `PARKED` bit (a compare-exchange, so it is ordered with every
//! bump: it either sees the bump and gives up sleeping, or the bump sees the bit) and parks in
//! the parking lot ([`threading_core::park`]) on the address of the epoch, with a `validate`
//! callback that sleeps only if the epoch still reads "unchanged, `PARKED`". It wakes up on an
//! unpark, a changed epoch (`ParkResult::Invalid`), a spurious wake-up or its deadline; in
//! every case it re-takes the lock, unregisters, and looks at the state again, exactly like a
//! Python `while` loop around `cond.wait()`. No result of `park` carries meaning by itself.
//!
//! | epoch bits | meaning |
//! |---|---|
//! | bit 0 (`PARKED`) | some thread may be parked on this key |
//! | bits 1.. | a counter, bumped by every waker that found registered waiters |
//!
//! **Waking.** A thread that makes progress possible (a put for getters, a get or a raised
//! `maxsize` for putters, the last `task_done` for joiners, a shutdown for everybody) checks
//! the matching waiter count *with the lock held*. Only if it is non-zero does it bump the
//! epoch (a `fetch_add`, still under the lock), and only if the bump saw `PARKED` does it call,
//! after unlocking, `unpark_one` (a put or a get, like `notify()`) or `unpark_all` (the others,
//! like `notify_all()`). So the uncontended path — nobody waiting — costs one lock acquire and
//! release, and a waiter that is still spinning costs its waker one `fetch_add`, not a trip to
//! the parking lot. `PARKED` is cleared only with the parking queue locked, when the last
//! sleeper leaves it (woken or timed out), as the `Lock`'s own `PARKED` bit is; a thread that
//! had set it but not slept yet then fails `validate` and looks again.
//!
//! **No lost wake-up.** Take a waiter W and a waker K on the same condition. Both decide with
//! the lock held, so one of them comes first. If K comes first, W sees the new state and does
//! not wait. If W comes first, K sees W counted and bumps the epoch after W read it. If W's
//! compare-exchange comes after the bump, W sees the change and looks again. Otherwise K's bump
//! sees `PARKED` and K unparks after unlocking; then either W's `validate` (run with the parking
//! queue locked) runs after K's unpark, hence after the bump, and W does not sleep, or W is
//! already in the parking queue when K's unpark runs, and K wakes some parked waiter (W or
//! another one) who re-checks the state. That is the classic condition variable argument:
//! every put that finds getters waiting wakes one of them (or finds them still awake), and a
//! woken getter either takes an item or finds that another thread took it; so there is never
//! an item in the queue while every getter sleeps. (Putters and `not_full` are symmetric.) A
//! timed waiter that is woken while its deadline passes looks at the state before at the
//! clock, as CPython's loops do, so an item (or room) it was woken for is never left behind.
//! The loom models in `tests/loom/queue.rs` check all of this on this code, including
//! spurious wake-ups and deadlines expiring at every point.
//!
//! **Spinning.** Before parking, a waiter spins briefly ([`SpinWait`]) watching its epoch: in a
//! producer/consumer pipeline the other side is often only nanoseconds away, and a futex
//! sleep and wake-up cost microseconds.
//!
//! **Panics.** The only user code that runs under the lock is `Ord::cmp` of a
//! `PriorityQueue`'s items. The storage undoes a push or pop that panics
//! ([`crate::storage`]), and the counts here are updated only after the storage call returned,
//! so a panic leaves the queue exactly as it was; the lock guard releases the lock while
//! unwinding. Items are never dropped under the lock: an immediate shutdown takes them out and
//! drops them after unlocking, so an item whose `Drop` panics or uses the queue cannot break
//! it.
//!
//! # Why not crossbeam
//!
//! A bounded `crossbeam_channel` would be the obvious fast path for `Queue(n)`, but it cannot
//! carry the Python semantics: `maxsize` changes at run time, `maxsize == 0` means
//! unbounded (crossbeam's `bounded(0)` is a rendezvous), task accounting (`unfinished_tasks`)
//! must change atomically with the items, and a shutdown must refuse puts while still handing
//! out what is left. Wrapping a channel in a lock for those would pay for both, and loom cannot
//! see inside crossbeam, so the shipped queue would not be the model-checked one. Under one
//! short lock critical section the whole state machine stays simple and is checked by loom as
//! shipped. Under contention every item crosses one contended lock, though, and SPSC and
//! MPMC throughput measured 2.6× (2×2 MPMC) to 6.5× (SPSC) crossbeam's lock-free channel on a
//! quiet 2-core VM; so a bounded `Queue`, the producer/consumer case, uses the lock-free ring
//! of [`crate::array`] instead, with the same semantics (also written on the core crate, so
//! also checked as shipped). Uncontended, this engine's put+get measures 0.9–1.0×
//! `crossbeam_channel`'s unbounded flavour (README, "Performance"), so the unbounded queues
//! keep it.

use std::time::Duration;

use threading_core::atomic::{AtomicUsize, Ordering};
use threading_core::cell::UnsafeCell;
use threading_core::error::{ValueError, ValueErrorKind};
use threading_core::hint::{CachePadded, SpinWait};
use threading_core::time::{self, Instant};
use threading_lock::Lock;

use crate::error::{Empty, Full, GetError, PutError, ShutDown};
use crate::storage::Storage;
use crate::wake::{self, key};

/// How long a put or get may wait.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wait {
    /// Not at all (`block=False`, or a zero timeout).
    No,
    /// Until the deadline; `None` is forever.
    Until(Option<Instant>),
}

impl Wait {
    /// Python's `timeout=t`: zero is a single try, a timeout too large to represent waits
    /// forever.
    #[inline]
    pub(crate) fn timeout(timeout: Duration) -> Wait {
        if timeout.is_zero() { Wait::No } else { Wait::Until(time::deadline_after(timeout)) }
    }

    /// Whether the time to wait has run out.
    #[inline]
    pub(crate) fn expired(self) -> bool {
        match self {
            Wait::No => true,
            Wait::Until(None) => false,
            Wait::Until(Some(deadline)) => time::now() >= deadline,
        }
    }

    /// The deadline for `park` (`None`: none).
    #[inline]
    pub(crate) fn deadline(self) -> Option<Instant> {
        match self {
            Wait::No => None,
            Wait::Until(d) => d,
        }
    }
}

/// Everything the queue knows, only touched with [`Inner::lock`] held.
#[derive(Debug)]
pub(crate) struct State<S> {
    pub(crate) items: S,
    /// 0: unbounded.
    pub(crate) maxsize: usize,
    /// Items put and not yet marked done (Python's `unfinished_tasks`).
    pub(crate) unfinished: usize,
    pub(crate) shutdown: bool,
    /// Threads registered as waiting for an item / for room / for `unfinished == 0`.
    getters: usize,
    putters: usize,
    joiners: usize,
}

impl<S: Storage> State<S> {
    /// Whether one more item fits.
    #[inline]
    fn has_room(&self) -> bool {
        self.maxsize == 0 || self.items.len() < self.maxsize
    }
}

/// The locked queue engine (every queue but a bounded `Queue`).
pub(crate) struct Inner<S> {
    lock: Lock,
    state: UnsafeCell<State<S>>,
    /// Epochs of the three conditions; their addresses are the parking keys. Bumped, with the
    /// lock held, by a waker that found registered waiters.
    ///
    /// `not_empty` and `not_full` each have a cache line of their own: a waiter spins reading
    /// its epoch while the other side writes `lock` and `state`, and sharing their line made
    /// every poll take it away from the writer (measured in `benches/queue.rs`: 6–10% less
    /// time per item in SPSC and 2×2 MPMC).
    not_empty: CachePadded<AtomicUsize>,
    not_full: CachePadded<AtomicUsize>,
    all_tasks_done: AtomicUsize,
}

// SAFETY: `state` (which owns the items) is only accessed with `lock` held (`Inner::locked`),
// so sharing an `Inner` only moves items between threads: `S: Send` is enough, as for
// `Mutex<S>`.
unsafe impl<S: Send> Sync for Inner<S> {}
// SAFETY: as above; moving an `Inner` moves its items.
unsafe impl<S: Send> Send for Inner<S> {}

/// What a put decided with the lock held.
enum PutStep<T> {
    /// The item is in; wake a getter if one is waiting.
    Done {
        wake: bool,
    },
    Refused(PutError<T>),
    /// Wait for the `not_full` epoch to move on from this value.
    Wait(T, usize),
}

/// What a get decided with the lock held.
enum GetStep<T> {
    /// Got an item; wake a putter if one is waiting.
    Done {
        item: T,
        wake: bool,
    },
    Refused(GetError),
    /// Wait for the `not_empty` epoch to move on from this value.
    Wait(usize),
}

impl<S: Storage> Inner<S> {
    threading_core::const_fn! {
        /// An empty engine over `items` (which must be empty).
        pub(crate) fn new(items: S, maxsize: usize) -> Inner<S> {
            Inner {
                lock: Lock::new(),
                state: UnsafeCell::new(State {
                    items,
                    maxsize,
                    unfinished: 0,
                    shutdown: false,
                    getters: 0,
                    putters: 0,
                    joiners: 0,
                }),
                not_empty: CachePadded(AtomicUsize::new(0)),
                not_full: CachePadded(AtomicUsize::new(0)),
                all_tasks_done: AtomicUsize::new(0),
            }
        }
    }

    /// Python's `put`: waits (as `wait` allows) for room, then adds the item and counts it
    /// as an unfinished task (if `track_tasks`).
    #[inline]
    pub(crate) fn put(
        &self,
        item: S::Item,
        wait: Wait,
        track_tasks: bool,
    ) -> Result<(), PutError<S::Item>> {
        let mut item = item;
        let mut registered = false;
        loop {
            let step = self.locked(|s| {
                if registered {
                    s.putters -= 1;
                }
                // As CPython: a shut-down queue refuses puts even if there is room.
                if s.shutdown {
                    return PutStep::Refused(PutError::ShutDown(ShutDown(item)));
                }
                if s.has_room() {
                    // May panic (a PriorityQueue's `Ord`): the storage is then unchanged and
                    // nothing below has happened yet.
                    s.items.push(item);
                    if track_tasks {
                        s.unfinished += 1;
                    }
                    // Like `not_empty.notify()`, but free when nobody waits, and without a
                    // parking-lot call when the waiters are still spinning.
                    let wake = s.getters > 0 && bump(&self.not_empty);
                    return PutStep::Done { wake };
                }
                if wait.expired() {
                    return PutStep::Refused(PutError::Full(Full(item)));
                }
                s.putters += 1;
                PutStep::Wait(item, self.not_full.load(Ordering::Relaxed))
            });
            match step {
                PutStep::Done { wake } => {
                    if wake {
                        unpark_one(&self.not_empty);
                    }
                    return Ok(());
                }
                PutStep::Refused(err) => return Err(err),
                PutStep::Wait(back, epoch) => {
                    item = back;
                    registered = true;
                    sleep(&self.not_full, epoch, wait.deadline());
                }
            }
        }
    }

    /// Python's `get`: waits (as `wait` allows) for an item and removes it. A shut-down queue
    /// still hands out what it holds, then refuses.
    #[inline]
    pub(crate) fn get(&self, wait: Wait) -> Result<S::Item, GetError> {
        let mut registered = false;
        loop {
            let step = self.locked(|s| {
                if registered {
                    s.getters -= 1;
                }
                // May panic (a PriorityQueue's `Ord`): the storage is then unchanged.
                if let Some(item) = s.items.pop() {
                    let wake = s.putters > 0 && bump(&self.not_full);
                    return GetStep::Done { item, wake };
                }
                if s.shutdown {
                    return GetStep::Refused(GetError::ShutDown(ShutDown(())));
                }
                if wait.expired() {
                    return GetStep::Refused(GetError::Empty(Empty));
                }
                s.getters += 1;
                GetStep::Wait(self.not_empty.load(Ordering::Relaxed))
            });
            match step {
                GetStep::Done { item, wake } => {
                    if wake {
                        unpark_one(&self.not_full);
                    }
                    return Ok(item);
                }
                GetStep::Refused(err) => return Err(err),
                GetStep::Wait(epoch) => {
                    registered = true;
                    sleep(&self.not_empty, epoch, wait.deadline());
                }
            }
        }
    }

    /// Python's `task_done`.
    pub(crate) fn task_done(&self) -> Result<(), ValueError> {
        let wake = self.locked(|s| {
            if s.unfinished == 0 {
                return Err(ValueError::new(ValueErrorKind::TaskDoneTooManyTimes));
            }
            s.unfinished -= 1;
            // `all_tasks_done.notify_all()`.
            Ok(s.unfinished == 0 && s.joiners > 0 && bump(&self.all_tasks_done))
        })?;
        if wake {
            unpark_all(&self.all_tasks_done);
        }
        Ok(())
    }

    /// Python's `join`, with an optional deadline: returns whether every task was done.
    pub(crate) fn join(&self, wait: Wait) -> bool {
        let mut registered = false;
        loop {
            let epoch = self.locked(|s| {
                if registered {
                    s.joiners -= 1;
                }
                if s.unfinished == 0 {
                    return Ok(true);
                }
                if wait.expired() {
                    return Ok(false);
                }
                s.joiners += 1;
                Err(self.all_tasks_done.load(Ordering::Relaxed))
            });
            match epoch {
                Ok(done) => return done,
                Err(epoch) => {
                    registered = true;
                    sleep(&self.all_tasks_done, epoch, wait.deadline());
                }
            }
        }
    }

    /// Python's `shutdown(immediate)`. Returns the discarded items (`None` unless
    /// `immediate`), for the caller to drop after the lock is released.
    pub(crate) fn shutdown(&self, immediate: bool) -> Option<S> {
        let (discarded, wake) = self.locked(|s| {
            s.shutdown = true;
            let discarded = if immediate { Some(s.items.take_all()) } else { None };
            if let Some(d) = &discarded {
                // CPython: one `unfinished_tasks -= 1` per discarded item, never below zero
                // (items taken by `get` but not yet marked done stay counted: Q-17).
                s.unfinished = s.unfinished.saturating_sub(d.len());
            }
            // `notify_all()` on the three conditions: every waiter looks again. Joiners only
            // need to if the discard may have finished the last task.
            let wake = [
                s.getters > 0 && bump(&self.not_empty),
                s.putters > 0 && bump(&self.not_full),
                immediate && s.joiners > 0 && s.unfinished == 0 && bump(&self.all_tasks_done),
            ];
            (discarded, wake)
        });
        for (wake, epoch) in wake.into_iter().zip(self.epochs()) {
            if wake {
                unpark_all(epoch);
            }
        }
        discarded
    }

    /// Changes `maxsize`; wakes the waiting putters if there may be room now.
    pub(crate) fn set_maxsize(&self, maxsize: usize) {
        let wake = self.locked(|s| {
            s.maxsize = maxsize;
            // `not_full.notify_all()` if there may be room now.
            s.putters > 0 && s.has_room() && bump(&self.not_full)
        });
        if wake {
            unpark_all(&self.not_full);
        }
    }

    /// Items in the queue.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.locked(|s| s.items.len())
    }

    /// The bound, `0` for none.
    #[inline]
    pub(crate) fn maxsize(&self) -> usize {
        self.locked(|s| s.maxsize)
    }

    /// Python's `unfinished_tasks`.
    #[inline]
    pub(crate) fn unfinished(&self) -> usize {
        self.locked(|s| s.unfinished)
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.locked(|s| s.shutdown)
    }

    /// The three epochs in the order `[not_empty, not_full, all_tasks_done]`.
    fn epochs(&self) -> [&AtomicUsize; 3] {
        [&self.not_empty, &self.not_full, &self.all_tasks_done]
    }

    /// Runs `f` on the state with the internal lock held. The lock guard releases the lock
    /// also if `f` unwinds.
    #[inline]
    fn locked<R>(&self, f: impl FnOnce(&mut State<S>) -> R) -> R {
        let _guard = self.lock.lock();
        // SAFETY: `state` is only accessed here, with the lock held, and `f` cannot reach
        // `locked` again: it only gets `&mut State` and the lock-free helpers (`bump`, epoch
        // loads). User code that runs inside (`Ord::cmp`) has no access to this engine's
        // state; if it calls back into the same queue it deadlocks on the lock (as CPython's
        // non-reentrant queue does) rather than alias the state.
        self.state.with_mut(|state| f(unsafe { &mut *state }))
    }
}

/// Bit 0 of an epoch: a thread may be parked on it (set by the sleeper before it parks,
/// cleared with the parking queue locked when the last sleeper leaves the queue).
const PARKED: usize = 1;
/// What [`bump`] adds to an epoch: the counter lives above the `PARKED` bit.
const ONE: usize = 2;

/// Marks a change the waiters on `epoch` must look at, and returns whether one of them may be
/// parked (so the caller must unpark after unlocking). Call with the lock held.
#[inline]
fn bump(epoch: &AtomicUsize) -> bool {
    epoch.fetch_add(ONE, Ordering::Relaxed) & PARKED != 0
}

/// Sleeps until `epoch` moves on from `seen` (or a spurious wake-up, or `deadline`). The
/// caller then re-takes the lock and looks at the state: the result carries no meaning.
fn sleep(epoch: &AtomicUsize, seen: usize, deadline: Option<Instant>) {
    let seen = seen & !PARKED;
    let moved = |e: usize| e & !PARKED != seen;
    // The other side is often about to act: spin a little before parking.
    let mut spin = SpinWait::new();
    while spin.spin() {
        if moved(epoch.load(Ordering::Relaxed)) {
            return;
        }
    }
    // Announce a sleeper, so the next `bump` tells its caller to unpark. An RMW, so it is
    // ordered with every `bump`: either it sees the bump (and we look again), or the bump sees
    // the bit.
    let mut e = epoch.load(Ordering::Relaxed);
    while e & PARKED == 0 {
        if moved(e) {
            return;
        }
        match epoch.compare_exchange_weak(e, e | PARKED, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break,
            Err(now) => e = now,
        }
    }
    // Checked with the parking queue locked: a bump before it makes us return at once, a bump
    // after it saw PARKED and is followed by an unpark, which finds us in the queue.
    let validate = || epoch.load(Ordering::Relaxed) == seen | PARKED;
    // The last sleeper to give up clears PARKED (with the queue locked), so bumps go back to
    // not unparking. A thread that set the bit and has not slept yet then fails `validate`.
    wake::sleep(key(epoch), validate, || clear_parked(epoch), deadline);
}

/// Drops the `PARKED` hint (run with the parking queue locked, when nobody sleeps there any
/// more; a thread that set it but has not slept yet fails `validate` and looks again).
fn clear_parked(epoch: &AtomicUsize) {
    epoch.fetch_and(!PARKED, Ordering::Relaxed);
}

/// Wakes one sleeper on `epoch` (Python's `notify()`).
#[inline]
fn unpark_one(epoch: &AtomicUsize) {
    wake::wake_one(key(epoch), || clear_parked(epoch));
}

/// Wakes every sleeper on `epoch` (Python's `notify_all()`).
fn unpark_all(epoch: &AtomicUsize) {
    wake::wake_all(key(epoch), || clear_parked(epoch));
}
