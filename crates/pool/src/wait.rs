//! [`wait`] and [`as_completed`]: block on many futures at once, like Python's
//! `concurrent.futures.wait` and `as_completed`.
//!
//! # Implementation details
//!
//! Both install one `Waiter` (CPython's `_Waiter`) on every future that is not done yet:
//! an entry `(waiter, index)` in the future's waiter list, pushed under the future's lock.
//! When such a future finishes, or its cancellation is noticed by an executor
//! (`set_running_or_notify_cancel`), it calls `Waiter::notify` with its index, still under its
//! own lock, and forgets the entry. The waiter records the index under its own lock and
//! decides whether the waiting thread must wake ("fire"):
//!
//! | mode | fires when |
//! |---|---|
//! | `FirstCompleted`, `as_completed` | any future is notified |
//! | `FirstException` | a future fails, or none is left |
//! | `AllCompleted` | none is left |
//!
//! "None left" is a countdown that starts at *number of futures + 1*: each future found done at
//! installation takes one off (it will never notify), each notification takes one off, and the
//! waiting thread takes the extra one off once everything is installed. A notification that
//! arrives while the waiting thread is still installing can therefore never fire early.
//!
//! The waiting thread sleeps in the parking lot on the address of the waiter's `signal` byte
//! (`FIRED` and `PARKED` bits), with `validate` checking `FIRED`: the same no-lost-wake-up
//! argument as for a single future. There is no polling: the only wake-ups are a firing
//! notification, the deadline, or a spurious one (which just re-checks).
//!
//! Afterwards `wait` removes its entry from every future it installed on, taking each future's
//! lock; since notifications happen under that lock, every completion that happened before the
//! removal has been recorded, and the `done` list is exact for that moment. `as_completed`
//! takes the recorded indices in batches (clearing `FIRED` under the waiter's lock, as CPython
//! clears its event), yields them in completion order, and removes the remaining entries when
//! it ends or is dropped.
//!
//! Lock order: a future's lock, then a waiter's lock. The waiting thread never holds the
//! waiter's lock while taking a future's lock, so there is no cycle.

use alloc::sync::Arc;
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::iter::FusedIterator;
use std::mem;
use std::ptr;
use std::time::Duration;

use threading_core::atomic::{AtomicU8, Ordering};
use threading_core::cell::UnsafeCell;
use threading_core::hint::SpinWait;
use threading_core::park::{self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN};
use threading_core::time::{self, Instant};
use threading_lock::Lock;

use crate::error::TimeoutError;
use crate::future::{FutureCore, failed};
use sealed::Sealed as _;

/// The sealed part of [`Waitable`].
pub(crate) mod sealed {
    use crate::future::FutureCore;

    /// Gives `wait` and `as_completed` the type-independent core of a future.
    #[allow(unreachable_pub, reason = "sealed-trait pattern: public in a private module")]
    pub trait Sealed {
        /// The future's core.
        fn core(&self) -> &FutureCore;
    }
}

/// Something [`wait`] and [`as_completed`] can wait on: a [`Future`](crate::Future), a
/// reference to one, or a `Box`/`&dyn Waitable` (to mix futures of different value types).
///
/// The trait is sealed: it is implemented only by this crate's futures and by references and
/// boxes of them.
///
/// # Examples
///
/// ```
/// use threading::futures::{wait, Future, ReturnWhen, Waitable};
///
/// let numbers = Future::new();
/// let words = Future::new();
/// numbers.set_result(1).unwrap();
/// words.set_result("one").unwrap();
/// let mixed: Vec<&dyn Waitable> = vec![&numbers, &words];
/// let split = wait(mixed, ReturnWhen::AllCompleted);
/// assert_eq!(split.done.len(), 2);
/// ```
pub trait Waitable: sealed::Sealed {}

impl<W: Waitable + ?Sized> sealed::Sealed for &W {
    fn core(&self) -> &FutureCore {
        (**self).core()
    }
}
impl<W: Waitable + ?Sized> Waitable for &W {}

impl<W: Waitable + ?Sized> sealed::Sealed for Box<W> {
    fn core(&self) -> &FutureCore {
        (**self).core()
    }
}
impl<W: Waitable + ?Sized> Waitable for Box<W> {}

/// When [`wait`] should return: Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION` and
/// `ALL_COMPLETED`.
///
/// # Examples
///
/// ```
/// use threading::futures::ReturnWhen;
///
/// assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReturnWhen {
    /// As soon as any future finishes or is cancelled (`FIRST_COMPLETED`).
    FirstCompleted,
    /// As soon as any future fails; if none fails, when all are done (`FIRST_EXCEPTION`).
    FirstException,
    /// When every future is done (`ALL_COMPLETED`, Python's default).
    #[default]
    AllCompleted,
}

/// How a future completed, as told to its waiters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completion {
    Succeeded,
    Failed,
    Cancelled,
}

/// What the waiter waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Wait(ReturnWhen),
    AsCompleted,
}

/// The waiting thread must look (set under the waiter's lock).
const FIRED: u8 = 0b01;
/// The waiting thread may be parked on `signal`.
const PARKED: u8 = 0b10;

/// CPython's `_Waiter`: what a waiting thread and the futures it waits on share.
struct Waiter {
    mode: Mode,
    lock: Lock,
    /// Guarded by `lock`.
    state: UnsafeCell<WaiterState>,
    /// `FIRED` | `PARKED`; the parking key is its address.
    signal: AtomicU8,
}

// SAFETY: `state` is only touched with `lock` held; the rest are a `Lock` and an atomic.
unsafe impl Send for Waiter {}
// SAFETY: as above.
unsafe impl Sync for Waiter {}

struct WaiterState {
    /// Indices of the futures notified since the last `take_finished`, in notification order.
    finished: Vec<usize>,
    /// The countdown described in the module documentation.
    remaining: usize,
}

impl Waiter {
    fn new(mode: Mode, futures: usize) -> Arc<Waiter> {
        Arc::new(Waiter {
            mode,
            lock: Lock::new(),
            state: UnsafeCell::new(WaiterState { finished: Vec::new(), remaining: futures + 1 }),
            signal: AtomicU8::new(0),
        })
    }

    fn id(&self) -> usize {
        ptr::from_ref(self).addr()
    }

    fn key(&self) -> usize {
        ptr::from_ref(&self.signal).addr()
    }

    /// Runs `f` on the state with the lock held; if it returns `true`, fires (and wakes the
    /// waiting thread after unlocking).
    fn update(&self, f: impl FnOnce(&mut WaiterState, Mode) -> bool) {
        let old = {
            let _guard = self.lock.lock();
            // SAFETY: `lock` is held.
            let fire = self.state.with_mut(|s| f(unsafe { &mut *s }, self.mode));
            if !fire {
                return;
            }
            self.signal.fetch_or(FIRED, Ordering::Release)
        };
        if old & PARKED != 0 {
            // SAFETY: our own key; nothing else runs in the call.
            unsafe {
                park::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN);
            }
        }
    }

    /// A future, installed at `index`, completed `how`.
    fn notify(&self, index: usize, how: Completion) {
        self.update(|s, mode| {
            s.finished.push(index);
            match mode {
                Mode::AsCompleted | Mode::Wait(ReturnWhen::FirstCompleted) => true,
                Mode::Wait(ReturnWhen::FirstException) if how == Completion::Failed => true,
                Mode::Wait(_) => count_down(s),
            }
        });
    }

    /// One count less for a future that was done at installation (it will not notify), or
    /// for the installing thread itself once it has installed everything.
    fn discount(&self) {
        self.update(|s, _| count_down(s));
    }

    /// The notified indices since the last call, in notification order; clears `FIRED`.
    fn take_finished(&self) -> Vec<usize> {
        let _guard = self.lock.lock();
        self.signal.fetch_and(!FIRED, Ordering::Relaxed);
        // SAFETY: `lock` is held.
        self.state.with_mut(|s| unsafe { mem::take(&mut (*s).finished) })
    }

    /// Blocks until fired or `deadline`; returns whether it fired.
    fn wait(&self, deadline: Option<Instant>) -> bool {
        let mut spin = SpinWait::new();
        let mut signal = self.signal.load(Ordering::Acquire);
        loop {
            if signal & FIRED != 0 {
                return true;
            }
            if deadline.is_some_and(|d| time::now() >= d) {
                return false;
            }
            if signal & PARKED == 0 {
                if spin.spin() {
                    signal = self.signal.load(Ordering::Acquire);
                    continue;
                }
                if let Err(s) = self.signal.compare_exchange_weak(
                    signal,
                    signal | PARKED,
                    Ordering::Relaxed,
                    Ordering::Acquire,
                ) {
                    signal = s;
                    continue;
                }
            }
            // Sleep only while not fired, checked with the queue locked: a notifier sets FIRED
            // before it unparks.
            let validate = || self.signal.load(Ordering::Relaxed) & FIRED == 0;
            // SAFETY: our own key; the callbacks only load an atomic and cannot panic.
            unsafe {
                park::park(self.key(), validate, || {}, |_, _| {}, DEFAULT_PARK_TOKEN, deadline);
            }
            signal = self.signal.load(Ordering::Acquire);
        }
    }
}

/// Takes one off the countdown; fires at zero.
fn count_down(s: &mut WaiterState) -> bool {
    s.remaining -= 1;
    s.remaining == 0
}

/// A waiter installed on one future: the future tells `waiter` that entry `index` completed.
pub(crate) struct WaiterEntry {
    waiter: Arc<Waiter>,
    index: usize,
}

impl WaiterEntry {
    pub(crate) fn notify(&self, how: Completion) {
        self.waiter.notify(self.index, how);
    }

    pub(crate) fn waiter_id(&self) -> usize {
        self.waiter.id()
    }
}

/// Drops duplicates (by identity), keeping the first occurrence: Python's `set(fs)`.
fn dedup<F: Waitable>(futures: impl IntoIterator<Item = F>) -> Vec<F> {
    let mut seen = HashSet::new();
    futures.into_iter().filter(|f| seen.insert(f.core().id())).collect()
}

/// The two halves of a [`wait`]: Python's `DoneAndNotDoneFutures` named tuple.
///
/// Both lists keep the order in which the futures were given (duplicates removed), and hold
/// the very items given: references if `wait` got references, owned futures if it got owned
/// ones.
///
/// # Examples
///
/// ```
/// use threading::futures::{wait_timeout, Future, ReturnWhen};
/// use std::time::Duration;
///
/// let (a, b) = (Future::new(), Future::<i32>::new());
/// a.set_result(1).unwrap();
/// let split = wait_timeout([&a, &b], Duration::ZERO, ReturnWhen::AllCompleted);
/// assert_eq!(split.done, [&a]);
/// assert_eq!(split.not_done, [&b]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneAndNotDoneFutures<F> {
    /// The futures that finished, or were cancelled and noticed by an executor.
    pub done: Vec<F>,
    /// The others.
    pub not_done: Vec<F>,
}

/// Waits until the futures are done as `return_when` says: Python's
/// `concurrent.futures.wait(fs, return_when=…)`.
///
/// Returns the futures split into [`done` and `not_done`](DoneAndNotDoneFutures), in the order
/// given, duplicates merged. A future counts as done once it has finished, or has been
/// cancelled *and* its executor has noticed (as in CPython, a future cancelled by hand with no
/// executor behind it stays in `not_done`). An empty input returns at once.
///
/// # Examples
///
/// ```
/// use threading::futures::{wait, ReturnWhen, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(2).unwrap();
/// let fs: Vec<_> = (0..4).map(|i| pool.submit(move || i * 10).unwrap()).collect();
/// let split = wait(&fs, ReturnWhen::AllCompleted);
/// assert_eq!(split.done.len(), 4);
/// assert!(split.not_done.is_empty());
/// ```
pub fn wait<I>(futures: I, return_when: ReturnWhen) -> DoneAndNotDoneFutures<I::Item>
where
    I: IntoIterator,
    I::Item: Waitable,
{
    wait_until(futures, None, return_when)
}

/// Like [`wait`], returning after `timeout` at the latest: Python's `wait(fs, timeout=t, …)`.
///
/// Running out of time is not an error: the split is returned as it is then. A zero timeout
/// only looks; a timeout too large to represent waits forever.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threading::futures::{wait_timeout, Future, ReturnWhen};
///
/// let pending = Future::<()>::new();
/// let split = wait_timeout([&pending], Duration::from_millis(10), ReturnWhen::FirstCompleted);
/// assert_eq!(split.not_done, [&pending]);
/// ```
pub fn wait_timeout<I>(
    futures: I,
    timeout: Duration,
    return_when: ReturnWhen,
) -> DoneAndNotDoneFutures<I::Item>
where
    I: IntoIterator,
    I::Item: Waitable,
{
    wait_until(futures, time::deadline_after(timeout), return_when)
}

/// Like [`wait`], returning at `deadline` at the latest.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
/// use threading::futures::{wait_deadline, Future, ReturnWhen};
///
/// let pending = Future::<()>::new();
/// let split = wait_deadline([&pending], Instant::now(), ReturnWhen::AllCompleted);
/// assert!(split.done.is_empty());
/// ```
pub fn wait_deadline<I>(
    futures: I,
    deadline: Instant,
    return_when: ReturnWhen,
) -> DoneAndNotDoneFutures<I::Item>
where
    I: IntoIterator,
    I::Item: Waitable,
{
    wait_until(futures, Some(deadline), return_when)
}

fn wait_until<I>(
    futures: I,
    deadline: Option<Instant>,
    return_when: ReturnWhen,
) -> DoneAndNotDoneFutures<I::Item>
where
    I: IntoIterator,
    I::Item: Waitable,
{
    let futures = dedup(futures);
    let waiter = Waiter::new(Mode::Wait(return_when), futures.len());
    let mut done = vec![false; futures.len()];
    let mut installed = Vec::with_capacity(futures.len());
    let mut failed_already = false;
    for (index, f) in futures.iter().enumerate() {
        let entry = WaiterEntry { waiter: Arc::clone(&waiter), index };
        match f.core().install(entry) {
            Some(state) => {
                done[index] = true;
                failed_already |= failed(state);
                waiter.discount();
            }
            None => installed.push(index),
        }
    }
    // CPython returns before installing anything in these cases; so do we, in effect.
    let early = installed.is_empty()
        || (return_when == ReturnWhen::FirstCompleted && installed.len() < futures.len())
        || (return_when == ReturnWhen::FirstException && failed_already);
    // The installing thread's own count (see the module docs).
    waiter.discount();
    if !early {
        waiter.wait(deadline);
    }
    for &index in &installed {
        futures[index].core().uninstall(waiter.id());
    }
    for index in waiter.take_finished() {
        done[index] = true;
    }
    let mut split = DoneAndNotDoneFutures { done: Vec::new(), not_done: Vec::new() };
    for (f, is_done) in futures.into_iter().zip(done) {
        if is_done { split.done.push(f) } else { split.not_done.push(f) }
    }
    split
}

/// Yields the futures as they complete: Python's `concurrent.futures.as_completed(fs)`.
///
/// The futures already done come first (in the order given), then the others in the order
/// they finish (or are cancelled and noticed by their executor). Duplicates are yielded once.
/// The futures are collected when this is called; waiting starts at the first `next()`.
/// The iterator keeps no reference to a future it has yielded.
///
/// Without a timeout every item is `Ok`; see [`as_completed_timeout`].
///
/// # Examples
///
/// ```
/// use threading::futures::{as_completed, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(3).unwrap();
/// let fs: Vec<_> = (1..=3).map(|i| pool.submit(move || i).unwrap()).collect();
/// let mut total = 0;
/// for f in as_completed(&fs) {
///     total += f.unwrap().result().unwrap();
/// }
/// assert_eq!(total, 6);
/// ```
pub fn as_completed<I>(futures: I) -> AsCompleted<I::Item>
where
    I: IntoIterator,
    I::Item: Waitable,
{
    AsCompleted::new(futures, Limit::None)
}

/// Like [`as_completed`], with one time budget for the whole iteration: Python's
/// `as_completed(fs, timeout=t)`.
///
/// The budget starts at the first `next()` (as in CPython, where `as_completed` is a
/// generator). Once it is spent, `next()` yields the futures that are already done, then
/// `Err(TimeoutError)` saying how many futures were unfinished (`"2 (of 4) futures
/// unfinished"`), then ends.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threading::futures::{as_completed_timeout, Future};
///
/// let (done, pending) = (Future::new(), Future::<i32>::new());
/// done.set_result(1).unwrap();
/// let items: Vec<_> = as_completed_timeout([&done, &pending], Duration::ZERO).collect();
/// assert_eq!(items.len(), 2);
/// assert_eq!(items[0], Ok(&done));
/// assert_eq!(items[1].as_ref().unwrap_err().to_string(), "1 (of 2) futures unfinished");
/// ```
pub fn as_completed_timeout<I>(futures: I, timeout: Duration) -> AsCompleted<I::Item>
where
    I: IntoIterator,
    I::Item: Waitable,
{
    AsCompleted::new(futures, Limit::Timeout(timeout))
}

/// Like [`as_completed_timeout`], with a deadline instead of a budget.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
/// use threading::futures::{as_completed_deadline, Future};
///
/// let pending = Future::<i32>::new();
/// let mut it = as_completed_deadline([&pending], Instant::now());
/// assert!(it.next().unwrap().is_err());
/// assert!(it.next().is_none());
/// ```
pub fn as_completed_deadline<I>(futures: I, deadline: Instant) -> AsCompleted<I::Item>
where
    I: IntoIterator,
    I::Item: Waitable,
{
    AsCompleted::new(futures, Limit::Deadline(deadline))
}

/// When an [`AsCompleted`] gives up.
#[derive(Debug, Clone, Copy)]
enum Limit {
    None,
    Timeout(Duration),
    Deadline(Instant),
}

/// The iterator of [`as_completed`]: yields each future as it completes.
///
/// Items are `Ok(future)`, or one final `Err(TimeoutError)` when a time budget runs out.
/// Dropping the iterator early removes its waiter from the futures.
#[must_use = "iterators are lazy: as_completed waits only when iterated"]
pub struct AsCompleted<F: Waitable> {
    /// The futures by index; `None` once yielded.
    items: Vec<Option<F>>,
    limit: Limit,
    /// Resolved from `limit` at the first `next()`.
    deadline: Option<Instant>,
    waiter: Arc<Waiter>,
    /// Done but not yet yielded.
    ready: VecDeque<usize>,
    /// Installed and not yet notified.
    pending: Vec<bool>,
    pending_count: usize,
    started: bool,
    finished: bool,
}

impl<F: Waitable> AsCompleted<F> {
    fn new(futures: impl IntoIterator<Item = F>, limit: Limit) -> AsCompleted<F> {
        let items: Vec<Option<F>> = dedup(futures).into_iter().map(Some).collect();
        let n = items.len();
        AsCompleted {
            items,
            limit,
            deadline: None,
            waiter: Waiter::new(Mode::AsCompleted, n),
            ready: VecDeque::new(),
            pending: vec![false; n],
            pending_count: 0,
            started: false,
            finished: false,
        }
    }

    /// The first `next()`: fixes the deadline and installs the waiter.
    fn start(&mut self) {
        self.started = true;
        self.deadline = match self.limit {
            Limit::None => None,
            Limit::Timeout(t) => time::deadline_after(t),
            Limit::Deadline(d) => Some(d),
        };
        for (index, f) in self.items.iter().enumerate() {
            let f = f.as_ref().expect("nothing is yielded before the first next()");
            let entry = WaiterEntry { waiter: Arc::clone(&self.waiter), index };
            match f.core().install(entry) {
                Some(_) => self.ready.push_back(index),
                None => {
                    self.pending[index] = true;
                    self.pending_count += 1;
                }
            }
        }
    }

    /// Ends the iteration: removes the waiter from the futures not yet notified.
    fn finish(&mut self) {
        self.finished = true;
        for (index, pending) in self.pending.iter_mut().enumerate() {
            if mem::take(pending)
                && let Some(f) = &self.items[index]
            {
                f.core().uninstall(self.waiter.id());
            }
        }
        self.pending_count = 0;
    }
}

impl<F: Waitable> Iterator for AsCompleted<F> {
    type Item = Result<F, TimeoutError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        if !self.started {
            self.start();
        }
        loop {
            if let Some(index) = self.ready.pop_front() {
                return self.items[index].take().map(Ok);
            }
            if self.pending_count == 0 {
                self.finish();
                return None;
            }
            let newly = self.waiter.take_finished();
            if !newly.is_empty() {
                for &index in &newly {
                    self.pending[index] = false;
                }
                self.pending_count -= newly.len();
                self.ready.extend(newly);
                continue;
            }
            if self.deadline.is_some_and(|d| time::now() >= d) {
                let error = TimeoutError::unfinished(self.pending_count, self.items.len());
                self.finish();
                return Some(Err(error));
            }
            self.waiter.wait(self.deadline);
        }
    }
}

impl<F: Waitable> FusedIterator for AsCompleted<F> {}

impl<F: Waitable> Drop for AsCompleted<F> {
    fn drop(&mut self) {
        if !self.finished {
            self.finish();
        }
    }
}

impl<F: Waitable> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("futures", &self.items.len())
            .field("ready", &self.ready.len())
            .field("pending", &self.pending_count)
            .field("finished", &self.finished)
            .finish()
    }
}
