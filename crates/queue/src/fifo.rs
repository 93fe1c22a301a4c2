//! [`FifoEngine`]: the engine of [`Queue`](crate::Queue), either the lock-free
//! [`FifoInner`] (a bounded queue) or the locked engine of [`crate::engine`] (an unbounded
//! one), with the same methods.
//!
//! # Implementation details
//!
//! `FifoInner` keeps the items in a lock-free [`Array`] (a ring of stamped slots, with a
//! locked overflow for a `maxsize` beyond the ring); `maxsize` and `retired` (the tasks
//! marked done: Python's `unfinished_tasks` is the array's pushes minus these) are atomics.
//! Nothing is counted per waiting thread: each "condition" is a flag in a word its wakers
//! change anyway, and its waiters park on that word's address, as the
//! [`Lock`](threading_lock::Lock)'s `PARKED` bit works.
//!
//! | condition | flag in | waker sees it in | waiters park while |
//! |---|---|---|---|
//! | `not_empty` (getters) | the ring's tail | its claim of a slot (a compare-exchange) | the tail and the overflow's pushes are unchanged |
//! | `not_full` (putters) | the ring's head | its claim of an item | the head and `room` are unchanged |
//! | `all_tasks_done` (joiners) | `retired` | the `task_done` that reaches zero | `retired` is unchanged |
//!
//! **No lost wake-up.** A waiter sets its flag with an RMW, which also returns the word's
//! latest value; it looks at the state with that value and sleeps only if it must, with a
//! `validate` (run with the parking queue locked) that the word still holds what the RMW left.
//! Every change a waiter waits for changes that word (a push moves the tail, a pop the head, a
//! `task_done` the count, a shutdown sets `SHUT` in the tail), so either the change comes
//! before the waiter's RMW in the word's modification order, and the waiter sees it, or after,
//! and then the waker's own RMW of the word sees the flag and wakes a waiter after its change;
//! that waiter is in the parking queue by then, or its `validate` fails and it looks again.
//! Three changes do not move the head although they make room: a new `maxsize`, a shutdown
//! and a get from the overflow. Those bump `room` and then read the head's flag with an RMW
//! (`Array::make_room`):
//! a putter registering later synchronises with that RMW and sees the change; one registered
//! earlier is seen by it, and its `validate` also checks `room`.
//!
//! A flag is cleared only with the parking queue locked, when the last thread leaves it (woken
//! or timed out), so while threads sleep every waker sees it; a thread that set it and has not
//! slept yet then fails `validate` and looks again. Wakers never clear it. A woken waiter, or
//! one whose `validate` failed, loops: looks at the state again, exactly like a Python `while`
//! loop around `cond.wait()`; no result of `park` carries meaning by itself.
//!
//! Likewise a put into the overflow moves no tail: it bumps the overflow's pushes (which a
//! getter's `validate` also checks) and then reads the tail's flag with an RMW.
//!
//! **Cost.** A put is a claim in the tail (a compare-exchange) and a store of the slot's
//! stamp, nothing else (its claim counts its task); a get is a claim in the head and a stamp
//! store; a `task_done` is a compare-exchange of `retired` after reading the tail.
//! Nobody waiting costs nothing more; a waker whose flag is set calls the parking lot.
//!
//! **Task accounting.** The unfinished tasks are the array's pushes (its claims, read from the
//! tail, plus the overflow's pushes) minus `retired`; with one counter per side, producers never write the consumers'
//! word. Whoever reads `retired` (acquire) and then the tail sees every push of the tasks
//! counted there (each was got, which follows its claim), so the difference is never
//! negative, and the `task_done` of whoever got an item always finds its push. `task_done`
//! fails when `retired` would pass the pushes; it wakes the joiners when it brings the two
//! level (a push since it read the tail only makes that wake-up needless; the joiners look
//! again). An immediate shutdown discards what it can pop after setting the mark (which
//! includes every put that claimed a slot before it) and retires that many tasks, never
//! more than were pushed.

use threading_core::atomic::{AtomicUsize, Ordering};
use threading_core::error::{ValueError, ValueErrorKind};
use threading_core::hint::{CachePadded, SpinWait};

use crate::array::{Array, MAX_CAP, Pop, Refused};
use crate::engine::{Inner, Wait};
use crate::error::{Empty, Full, GetError, PutError, ShutDown};
use crate::storage::Fifo;
use crate::wake::{key, sleep, wake_all, wake_one};

/// `retired` flag: a joiner may be parked (on `retired`'s address).
const JOINERS: usize = 1;
/// What one task adds to `retired` (the count lives above the flag).
const TASK: usize = 2;

/// The lock-free FIFO queue engine.
pub(crate) struct FifoInner<T> {
    items: Array<T>,
    /// 0: unbounded.
    maxsize: AtomicUsize,
    /// Tasks marked done (or discarded by an immediate shutdown), times [`TASK`], plus the
    /// [`JOINERS`] flag. Python's `unfinished_tasks` is the array's pushes minus these: a put
    /// counts its task by claiming its slot, with no write of its own.
    retired: CachePadded<AtomicUsize>,
}

impl<T> FifoInner<T> {
    threading_core::const_fn! {
        /// An empty engine bounded by `maxsize` (not 0), with a ring of up to
        /// [`MAX_CAP`] slots.
        pub(crate) fn new(maxsize: usize) -> FifoInner<T> {
            let cap = if maxsize < MAX_CAP { maxsize } else { MAX_CAP };
            FifoInner {
                items: Array::new(cap),
                maxsize: AtomicUsize::new(maxsize),
                retired: CachePadded(AtomicUsize::new(0)),
            }
        }
    }

    /// Python's `put`: waits (as `wait` allows) for room, then adds the item, which counts it
    /// as an unfinished task. `_track_tasks` (the locked engine's signature, which
    /// `SimpleQueue` sets to `false`) changes nothing: the count is derived from the array's
    /// pushes, and a `SimpleQueue` never asks for it.
    #[inline]
    pub(crate) fn put(&self, item: T, wait: Wait, _track_tasks: bool) -> Result<(), PutError<T>> {
        let mut item = item;
        let mut spin = SpinWait::new();
        loop {
            match self.items.push(item, &self.maxsize) {
                Ok(getters_waiting) => {
                    // `not_empty.notify()`.
                    if getters_waiting {
                        wake_one(self.items.getters_key(), || self.items.clear_getters());
                    }
                    return Ok(());
                }
                // As CPython: a shut-down queue refuses puts even if there is room.
                Err((back, Refused::Shut)) => return Err(PutError::ShutDown(ShutDown(back))),
                Err((back, Refused::Full)) => {
                    item = back;
                    if wait.expired() {
                        return Err(PutError::Full(Full(item)));
                    }
                    // A consumer is often about to make room: look again a few times first.
                    if spin.spin() {
                        continue;
                    }
                    let room = self.items.room();
                    if let Some(seen) = self.items.register_putter(&self.maxsize) {
                        let validate = || self.items.head_is(seen) && self.items.room() == room;
                        let key = self.items.putters_key();
                        sleep(key, validate, || self.items.clear_putters(), wait.deadline());
                    }
                }
            }
        }
    }

    /// Python's `get`: waits (as `wait` allows) for an item and removes it. A shut-down queue
    /// still hands out what it holds, then refuses.
    #[inline]
    pub(crate) fn get(&self, wait: Wait) -> Result<T, GetError> {
        let mut spin = SpinWait::new();
        loop {
            match self.items.pop() {
                Pop::Item(item, putters_waiting) => {
                    // `not_full.notify()`.
                    if putters_waiting {
                        wake_one(self.items.putters_key(), || self.items.clear_putters());
                    }
                    return Ok(item);
                }
                Pop::Empty { shut: true } => return Err(GetError::ShutDown(ShutDown(()))),
                Pop::Empty { shut: false } => {
                    if wait.expired() {
                        return Err(GetError::Empty(Empty));
                    }
                    // The producer is often only nanoseconds away: look again a few times
                    // before announcing a sleeper (which makes its put call the parking lot).
                    if spin.spin() {
                        continue;
                    }
                    if let Some(seen) = self.items.register_getter() {
                        let key = self.items.getters_key();
                        let validate = || self.items.getter_may_sleep(seen);
                        sleep(key, validate, || self.items.clear_getters(), wait.deadline());
                    }
                }
            }
        }
    }

    /// Python's `task_done`.
    pub(crate) fn task_done(&self) -> Result<(), ValueError> {
        let mut retired = self.retired.load(Ordering::Acquire);
        loop {
            // After `retired` (acquire): every push of a task counted there is seen.
            let pushed = self.items.pushed();
            if retired / TASK >= pushed {
                return Err(ValueError::new(ValueErrorKind::TaskDoneTooManyTimes));
            }
            match self.retired.compare_exchange_weak(
                retired,
                retired + TASK,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // `all_tasks_done.notify_all()` when the last task is done (a put since
                    // `pushed` was read only makes this wake-up needless).
                    if retired & JOINERS != 0 && retired / TASK + 1 == pushed {
                        self.wake_joiners();
                    }
                    return Ok(());
                }
                Err(now) => retired = now,
            }
        }
    }

    /// Python's `join`, with an optional deadline: returns whether every task was done.
    pub(crate) fn join(&self, wait: Wait) -> bool {
        loop {
            if self.unfinished_with(self.retired.load(Ordering::Acquire)) == 0 {
                return true;
            }
            if wait.expired() {
                return false;
            }
            // Only a `task_done` (or a discarding shutdown) can bring the count to zero, and
            // each changes `retired`: sleep while it holds what this RMW left.
            let seen = self.retired.fetch_or(JOINERS, Ordering::AcqRel) | JOINERS;
            if self.unfinished_with(seen) == 0 {
                return true;
            }
            let key = key(&self.retired);
            let validate = || self.retired.load(Ordering::Acquire) == seen;
            let clear = || {
                self.retired.fetch_and(!JOINERS, Ordering::Relaxed);
            };
            sleep(key, validate, clear, wait.deadline());
        }
    }

    /// Python's `shutdown(immediate)`. Returns the discarded items (`None` unless
    /// `immediate`), for the caller to drop.
    pub(crate) fn shutdown(&self, immediate: bool) -> Option<Vec<T>> {
        let getters_waiting = self.items.shut();
        let putters_waiting = self.items.make_room();
        let discarded = immediate.then(|| {
            // Every put that claimed a slot before the mark is popped here (or by a getter).
            let mut discarded = Vec::new();
            while let Pop::Item(item, _) = self.items.pop() {
                discarded.push(item);
            }
            discarded
        });
        if let Some(d) = &discarded {
            // CPython: one `unfinished_tasks -= 1` per discarded item, never below zero
            // (items taken by `get` but not yet marked done stay counted: Q-17). No push
            // claims a slot after the mark, so `pushed` is final.
            let pushed = self.items.pushed();
            let update = |n: usize| {
                let retired = (n / TASK + d.len()).min(pushed);
                Some((retired * TASK) | (n & JOINERS))
            };
            let before = self.retired.fetch_update(Ordering::AcqRel, Ordering::Acquire, update);
            if before.is_ok_and(|n| n & JOINERS != 0 && n / TASK + d.len() >= pushed) {
                self.wake_joiners();
            }
        }
        // `notify_all()` on `not_empty` and `not_full`: every waiter looks again.
        if getters_waiting {
            wake_all(self.items.getters_key(), || self.items.clear_getters());
        }
        if putters_waiting {
            wake_all(self.items.putters_key(), || self.items.clear_putters());
        }
        discarded
    }

    /// Changes `maxsize`; wakes the waiting putters, who look whether there is room now
    ///
    pub(crate) fn set_maxsize(&self, maxsize: usize) {
        self.maxsize.store(maxsize, Ordering::Release);
        if self.items.make_room() {
            wake_all(self.items.putters_key(), || self.items.clear_putters());
        }
    }

    /// Wakes every joiner (`all_tasks_done.notify_all()`).
    fn wake_joiners(&self) {
        wake_all(key(&self.retired), || {
            self.retired.fetch_and(!JOINERS, Ordering::Relaxed);
        });
    }

    /// Items in the queue (puts under way included).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// The bound, `0` for none.
    #[inline]
    pub(crate) fn maxsize(&self) -> usize {
        self.maxsize.load(Ordering::Acquire)
    }

    /// Python's `unfinished_tasks`.
    #[inline]
    pub(crate) fn unfinished(&self) -> usize {
        self.unfinished_with(self.retired.load(Ordering::Acquire))
    }

    /// Unfinished tasks, with `retired` loaded (acquire) before the pushes are counted.
    fn unfinished_with(&self, retired: usize) -> usize {
        self.items.pushed().saturating_sub(retired / TASK)
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.items.is_shut()
    }
}

/// The engine of [`Queue`](crate::Queue): the lock-free [`FifoInner`] for a bounded queue on a
/// 64-bit target, the locked [`Inner`] otherwise (an unbounded queue, where the lock measured
/// faster than a lock-free list in the 2026-12 experiment, `docs/experiments`; a 32-bit target, where the ring's positions could wrap).
#[expect(
    clippy::large_enum_variant,
    reason = "chosen in a `const fn`, which cannot box; the size is the padding that keeps the \
              ring's head, tail and task count on cache lines of their own"
)]
pub(crate) enum FifoEngine<T> {
    /// `maxsize > 0` at construction.
    Array(FifoInner<T>),
    /// `maxsize == 0` at construction, or a 32-bit target.
    Locked(Inner<Fifo<T>>),
}

/// What an immediate shutdown discarded, for the caller to drop.
#[expect(dead_code, reason = "held only to be dropped by the caller, outside any lock")]
pub(crate) enum Discarded<T> {
    /// From the lock-free engine.
    Array(Option<Vec<T>>),
    /// From the locked engine.
    Locked(Option<Fifo<T>>),
}

/// Calls `$method` on whichever engine `$self` is.
macro_rules! dispatch {
    ($self:ident.$method:ident($($arg:expr),*)) => {
        match $self {
            FifoEngine::Array(e) => e.$method($($arg),*),
            FifoEngine::Locked(e) => e.$method($($arg),*),
        }
    };
}

impl<T> FifoEngine<T> {
    threading_core::const_fn! {
        /// An empty engine bounded by `maxsize` (`0`: unbounded); `items` (empty) is used by
        /// the locked engine only.
        pub(crate) fn new(items: Fifo<T>, maxsize: usize) -> FifoEngine<T> {
            if maxsize > 0 && cfg!(target_pointer_width = "64") {
                std::mem::forget(items);
                FifoEngine::Array(FifoInner::new(maxsize))
            } else {
                FifoEngine::Locked(Inner::new(items, maxsize))
            }
        }
    }

    /// See [`FifoInner::put`].
    #[inline]
    pub(crate) fn put(&self, item: T, wait: Wait, track_tasks: bool) -> Result<(), PutError<T>> {
        dispatch!(self.put(item, wait, track_tasks))
    }

    /// See [`FifoInner::get`].
    #[inline]
    pub(crate) fn get(&self, wait: Wait) -> Result<T, GetError> {
        dispatch!(self.get(wait))
    }

    /// See [`FifoInner::task_done`].
    pub(crate) fn task_done(&self) -> Result<(), ValueError> {
        dispatch!(self.task_done())
    }

    /// See [`FifoInner::join`].
    pub(crate) fn join(&self, wait: Wait) -> bool {
        dispatch!(self.join(wait))
    }

    /// See [`FifoInner::shutdown`].
    pub(crate) fn shutdown(&self, immediate: bool) -> Discarded<T> {
        match self {
            FifoEngine::Array(e) => Discarded::Array(e.shutdown(immediate)),
            FifoEngine::Locked(e) => Discarded::Locked(e.shutdown(immediate)),
        }
    }

    /// See [`FifoInner::set_maxsize`].
    pub(crate) fn set_maxsize(&self, maxsize: usize) {
        dispatch!(self.set_maxsize(maxsize));
    }

    /// See [`FifoInner::len`].
    #[inline]
    pub(crate) fn len(&self) -> usize {
        dispatch!(self.len())
    }

    /// See [`FifoInner::maxsize`].
    #[inline]
    pub(crate) fn maxsize(&self) -> usize {
        dispatch!(self.maxsize())
    }

    /// See [`FifoInner::unfinished`].
    #[inline]
    pub(crate) fn unfinished(&self) -> usize {
        dispatch!(self.unfinished())
    }

    /// See [`FifoInner::is_shutdown`].
    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        dispatch!(self.is_shutdown())
    }
}
