//! [`Future`]: the eventual outcome of a task, like Python's `concurrent.futures.Future`.
//!
//! # Implementation details
//!
//! A `Future<T>` is a handle to one shared, reference-counted `Inner<T>`. Its state is one
//! byte, [`FutureCore::state`]:
//!
//! | bits | meaning |
//! |---|---|
//! | `0..3` | `PENDING`, `RUNNING`, `CANCELLED`, `CANCELLED_AND_NOTIFIED` or `FINISHED`, as in CPython |
//! | `FAILED` | `FINISHED` with a failure (lets `wait(FirstException)` decide without knowing `T`) |
//! | `CALLBACKS` | the done callbacks are running (`into_result` waits for them) |
//! | `PARKED` | some thread is, or is about to be, parked on this future; never cleared |
//!
//! **Transitions** happen with the future's internal [`Lock`] held, except the start of a
//! task (`set_running_or_notify_cancel()`, `PENDING → RUNNING`), which is one
//! compare-exchange out of `PENDING`; `cancel()` (`PENDING → CANCELLED`) also moves only out of
//! `PENDING`, so exactly one of the two wins. A future is completed at most once: `set_result` and
//! `set_exception` check for `PENDING`/`RUNNING` and store the outcome in the same critical
//! section that publishes `FINISHED`. The lock also guards the lists of done callbacks and of
//! `wait`/`as_completed` waiters, so a callback or waiter registered concurrently with the
//! completion is either in the list the completer takes, or sees the final state and acts
//! itself (a callback then runs on the registering thread, as in CPython). Waiters are
//! notified with the lock still held (as CPython does with its condition), so a `wait` that
//! removes its waiter under the same lock afterwards has heard of every completion before it.
//!
//! **Reading** needs no lock: a state store is a `Release` compare-exchange done after the
//! outcome was written, and readers load the state with `Acquire`. Once `FINISHED`, the outcome
//! is never written again while any handle exists, except by
//! [`into_result`](Future::into_result) on the *only* handle, which is consumed by the call; so
//! `result()` can hand out `&T` for as long as its handle lives.
//!
//! **Waiting** spins briefly ([`SpinWait`]), then sets `PARKED` and parks on the address of the
//! state byte. `validate` (run with the parking queue locked) re-checks the state, and every
//! transition to a done state is followed by `unpark_all` if the old state had `PARKED`, so a
//! completion between the check and the sleep is never missed. Whatever wakes the thread
//! (`Unparked`, `Invalid`, a spurious wake-up, `TimedOut`), it looks at the state again; a
//! timed wait stops once its deadline has passed. Since `PARKED` is never cleared, a completion
//! may call `unpark_all` with nobody parked: harmless, and only after somebody once had to wait.
//!
//! **Handles.** `Inner::handles` counts the `Future` values (clones included); the executor's
//! own reference (the task in the work queue) does not count. `into_result` moves the value out only when
//! its handle is the last one, after the done callbacks have finished (they get a counted
//! handle of their own while they run), so no `&T` can be alive at that moment.
//!
//! **Unretrieved failures.** When the last reference to a failed future goes away and nobody
//! ever looked at the failure, `Inner`'s destructor reports it (see [`crate::report`]).

use alloc::sync::Arc;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::{self, AssertUnwindSafe, RefUnwindSafe, UnwindSafe};
use std::ptr;
use std::time::Duration;

use threading_core::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use threading_core::cell::UnsafeCell;
use threading_core::error::{RuntimeError, RuntimeErrorKind};
use threading_core::hint::SpinWait;
use threading_core::park::{self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN};
use threading_core::thread;
use threading_core::time::{self, Instant};
use threading_lock::Lock;

use crate::error::{CancelledError, FutureError, InvalidStateError, TimeoutError};
use crate::report::{self, Report};
use crate::wait::{Completion, WaiterEntry};

/// Not started yet.
pub(crate) const PENDING: u8 = 0;
/// A worker is running the task.
pub(crate) const RUNNING: u8 = 1;
/// Cancelled; `wait`/`as_completed` have not been told yet (a worker will, when it dequeues it).
pub(crate) const CANCELLED: u8 = 2;
/// Cancelled, and the waiters were told.
pub(crate) const CANCELLED_AND_NOTIFIED: u8 = 3;
/// Has its outcome.
pub(crate) const FINISHED: u8 = 4;
/// The bits holding one of the five states above.
const STATE: u8 = 0b0111;
/// `FINISHED` with a failure.
pub(crate) const FAILED: u8 = 0b1000;
/// The done callbacks are running.
const CALLBACKS: u8 = 0b1_0000;
/// A thread may be parked on the state byte.
const PARKED: u8 = 0b10_0000;

/// Whether `state` is one of the done states (`CANCELLED`, `CANCELLED_AND_NOTIFIED`, `FINISHED`).
#[inline]
const fn is_done(state: u8) -> bool {
    state & STATE >= CANCELLED
}

/// Python's name for a state, as in `InvalidStateError` messages.
const fn state_name(state: u8) -> &'static str {
    match state & STATE {
        PENDING => "PENDING",
        RUNNING => "RUNNING",
        CANCELLED => "CANCELLED",
        CANCELLED_AND_NOTIFIED => "CANCELLED_AND_NOTIFIED",
        _ => "FINISHED",
    }
}

/// The part of a future that does not depend on its value type: what `wait` and
/// `as_completed` work with.
#[allow(unreachable_pub, reason = "named by the sealed `Waitable` trait, not reachable by users")]
pub struct FutureCore {
    /// See the table in the module documentation.
    state: AtomicU8,
    /// Guards every transition, `waiters` and the owning `Inner`'s callbacks.
    lock: Lock,
    /// Installed `wait`/`as_completed` waiters; guarded by `lock`.
    /// Boxed on first use: most futures are never waited on by `wait`/`as_completed`.
    #[allow(clippy::box_collection, reason = "one word instead of three in every future")]
    waiters: UnsafeCell<Option<Box<Vec<WaiterEntry>>>>,
}

// SAFETY: `waiters` is only touched with `lock` held, and its entries (`Arc<Waiter>`) are
// `Send + Sync`; the rest are an atomic and a `Lock`.
unsafe impl Send for FutureCore {}
// SAFETY: as above.
unsafe impl Sync for FutureCore {}

impl FutureCore {
    fn new() -> FutureCore {
        FutureCore {
            state: AtomicU8::new(PENDING),
            lock: Lock::new(),
            waiters: UnsafeCell::new(None),
        }
    }

    /// An identity for de-duplication: the address of the core.
    pub(crate) fn id(&self) -> usize {
        ptr::from_ref(self).addr()
    }

    /// The state byte (`Acquire`).
    #[inline]
    pub(crate) fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    /// The parking key: the address of the state byte.
    fn key(&self) -> usize {
        ptr::from_ref(&self.state).addr()
    }

    /// With `lock` held: moves to state `to` and adds the flag bits `extra`, keeping `PARKED`
    /// (which waiters set without the lock). Returns the old byte.
    fn transition(&self, to: u8, extra: u8) -> u8 {
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            let new = (old & !STATE) | to | extra;
            match self.state.compare_exchange_weak(old, new, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return old,
                Err(s) => old = s,
            }
        }
    }

    /// Like `transition`, but only out of state `from`: fails with the current byte once the
    /// state is anything else. For the moves out of `PENDING`, which race the lock-free start
    /// in `set_running_or_notify_cancel`.
    fn transition_from(&self, from: u8, to: u8, extra: u8) -> Result<u8, u8> {
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            if old & STATE != from {
                return Err(old);
            }
            let new = (old & !STATE) | to | extra;
            match self.state.compare_exchange_weak(old, new, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return Ok(old),
                Err(s) => old = s,
            }
        }
    }

    /// Wakes every thread parked on this future if `old` (a state before a transition) says
    /// there may be one.
    fn wake(&self, old: u8) {
        if old & PARKED != 0 {
            // SAFETY: the key is our own state byte's address; nothing else runs in the call.
            unsafe {
                park::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN);
            }
        }
    }

    /// Blocks until `ready(state)` holds or `deadline` passes (`None`: no deadline); returns the
    /// last state seen (loaded with `Acquire`).
    fn wait_until(&self, ready: impl Fn(u8) -> bool, deadline: Option<Instant>) -> u8 {
        let mut spin = SpinWait::new();
        let mut state = self.state();
        loop {
            if ready(state) {
                return state;
            }
            if deadline.is_some_and(|d| time::now() >= d) {
                return state;
            }
            if state & PARKED == 0 {
                // The worker is probably about to finish: spin a little before sleeping.
                if spin.spin() {
                    state = self.state();
                    continue;
                }
                if let Err(s) = self.state.compare_exchange_weak(
                    state,
                    state | PARKED,
                    Ordering::Relaxed,
                    Ordering::Acquire,
                ) {
                    state = s;
                    continue;
                }
            }
            // Sleep only while not ready, checked with the queue locked: every transition that
            // can make us ready happens before its `unpark_all` (see `wake`).
            let validate = || !ready(self.state.load(Ordering::Relaxed));
            // SAFETY: our own key; the callbacks only load an atomic and cannot panic (`ready`
            // is a pure bit test).
            unsafe {
                park::park(self.key(), validate, || {}, |_, _| {}, DEFAULT_PARK_TOKEN, deadline);
            }
            // Unparked, Invalid (state changed, or spurious) or TimedOut: look again.
            state = self.state();
        }
    }

    /// With `lock` held: tells every installed waiter that this future completed, and forgets
    /// them (a future completes, or is notified of its cancellation, only once).
    fn notify_waiters(&self, how: Completion) {
        // Not `unwrap_or_default()`: that allocates an empty `Box<Vec>` on every completion.
        // SAFETY: `lock` is held (callers), which guards `waiters`.
        if let Some(waiters) = self.waiters.with_mut(|w| unsafe { (*w).take() }) {
            for entry in waiters.iter() {
                entry.notify(how);
            }
        }
    }

    /// Installs `entry` unless the future is already done for `wait`'s purposes (`FINISHED` or
    /// `CANCELLED_AND_NOTIFIED`); then returns that state instead.
    pub(crate) fn install(&self, entry: WaiterEntry) -> Option<u8> {
        let _guard = self.lock.lock();
        let state = self.state.load(Ordering::Relaxed);
        if matches!(state & STATE, FINISHED | CANCELLED_AND_NOTIFIED) {
            return Some(state);
        }
        // SAFETY: `lock` is held.
        self.waiters.with_mut(|w| unsafe { (*w).get_or_insert_default().push(entry) });
        None
    }

    /// Removes the entries of `waiter` (by identity), if still installed.
    pub(crate) fn uninstall(&self, waiter: usize) {
        let _guard = self.lock.lock();
        // SAFETY: `lock` is held.
        self.waiters.with_mut(|w| unsafe {
            if let Some(list) = &mut *w {
                list.retain(|e| e.waiter_id() != waiter);
            }
        });
    }
}

impl fmt::Debug for FutureCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FutureCore").field("state", &state_name(self.state())).finish()
    }
}

/// Whether `state` is `FINISHED` with a failure.
pub(crate) const fn failed(state: u8) -> bool {
    state & (STATE | FAILED) == FINISHED | FAILED
}

/// A done callback.
type Callback<T> = Box<dyn FnOnce(&Future<T>) + Send>;

/// What a future and its completer share.
pub(crate) struct Inner<T> {
    core: FutureCore,
    /// How many `Future` handles exist (clones and callback views included).
    handles: AtomicUsize,
    /// Somebody looked at the failure (no report when the future goes away).
    retrieved: AtomicBool,
    /// `thread::current_id()` of the thread running the done callbacks, 0 if none.
    callback_thread: AtomicUsize,
    /// Where an unretrieved failure goes.
    report: Report,
    /// Set once, with `core.lock` held, before `FINISHED` is published; see the module docs.
    outcome: UnsafeCell<Option<Result<T, FutureError>>>,
    /// Callbacks to run on completion; guarded by `core.lock`.
    /// Boxed on first use, like `FutureCore::waiters`.
    #[allow(clippy::box_collection, reason = "one word instead of three in every future")]
    callbacks: UnsafeCell<Option<Box<Vec<Callback<T>>>>>,
}

/// What a [`Future`] points at: a bare future's [`Inner`], or an executor task that embeds one
/// next to its closure (one allocation per task).
pub(crate) trait Shared<T> {
    fn inner(&self) -> &Inner<T>;
}

impl<T> Shared<T> for Inner<T> {
    fn inner(&self) -> &Inner<T> {
        self
    }
}

/// What a finished future holds, as seen by a reader.
enum Seen<'a, T> {
    Value(&'a T),
    Failed(FutureError),
    Cancelled,
    NotDone,
}

impl<T> Inner<T> {
    pub(crate) fn new(report: Report) -> Inner<T> {
        Inner {
            core: FutureCore::new(),
            handles: AtomicUsize::new(1),
            retrieved: AtomicBool::new(false),
            callback_thread: AtomicUsize::new(0),
            report,
            outcome: UnsafeCell::new(None),
            callbacks: UnsafeCell::new(None),
        }
    }

    /// Waits for the outcome until `deadline` and says what it is.
    fn seen(&self, deadline: Option<Instant>) -> Seen<'_, T> {
        let state = self.core.wait_until(is_done, deadline);
        match state & STATE {
            CANCELLED | CANCELLED_AND_NOTIFIED => Seen::Cancelled,
            FINISHED => {
                // SAFETY: FINISHED was loaded with Acquire after the outcome was stored, and it
                // is not written again while a handle (the caller's) exists; see module docs.
                let outcome = self.outcome.with(|o| unsafe { &*o });
                match outcome {
                    Some(Ok(v)) => Seen::Value(v),
                    Some(Err(e)) => {
                        self.retrieved.store(true, Ordering::Relaxed);
                        Seen::Failed(e.clone())
                    }
                    None => Seen::Failed(
                        InvalidStateError::new(format!("the result of {} was taken", self.repr()))
                            .into(),
                    ),
                }
            }
            _ => Seen::NotDone,
        }
    }

    /// `cancel()`: see [`Future::cancel`]. `view` makes a handle for the callbacks.
    pub(crate) fn cancel(&self, view: impl FnOnce() -> Future<T>) -> bool {
        let guard = self.core.lock.lock();
        // Only out of PENDING: a worker may start the task meanwhile without the lock (see
        // `set_running_or_notify_cancel`); then it runs and this cancel fails. No `CALLBACKS`
        // flag: only `into_result` of a `FINISHED` future looks at it.
        let old = match self.core.transition_from(PENDING, CANCELLED, 0) {
            Ok(old) => old,
            Err(state) => return matches!(state & STATE, CANCELLED | CANCELLED_AND_NOTIFIED),
        };
        // SAFETY: `core.lock` is held, which guards `callbacks`.
        let callbacks =
            self.callbacks.with_mut(|c| unsafe { (*c).take() }).map(|b| *b).unwrap_or_default();
        drop(guard);
        self.core.wake(old);
        self.run_callbacks(callbacks, view);
        true
    }

    /// `set_running_or_notify_cancel()`: see [`Future::set_running_or_notify_cancel`].
    ///
    /// `PENDING → RUNNING`, what every worker does before every task, is one compare-exchange
    /// without the lock: nothing guarded by the lock changes with it (callbacks and waiters only
    /// care about done states). `cancel` also moves only out of `PENDING`
    /// (`transition_from(PENDING, ..)`), so exactly one of the two wins; a completion by hand
    /// (`set_result` on a pending future) that races it reads the latest state in its own
    /// compare-exchange and simply comes after the start.
    pub(crate) fn set_running_or_notify_cancel(&self) -> Result<bool, RuntimeError> {
        if self.core.transition_from(PENDING, RUNNING, 0).is_ok() {
            return Ok(true);
        }
        // Not PENDING, and no state leads back to PENDING.
        let _guard = self.core.lock.lock();
        match self.core.state.load(Ordering::Relaxed) & STATE {
            CANCELLED => {
                self.core.transition(CANCELLED_AND_NOTIFIED, 0);
                self.core.notify_waiters(Completion::Cancelled);
                Ok(false)
            }
            _ => Err(RuntimeError::new(RuntimeErrorKind::FutureUnexpectedState)),
        }
    }

    /// `set_result`/`set_exception`: stores `outcome` unless the future is already done.
    /// `view` makes a handle for the callbacks.
    pub(crate) fn complete(
        &self,
        outcome: Result<T, FutureError>,
        view: impl FnOnce() -> Future<T>,
    ) -> Result<(), (InvalidStateError, Result<T, FutureError>)> {
        let guard = self.core.lock.lock();
        let state = self.core.state.load(Ordering::Relaxed);
        if is_done(state) {
            let message = format!("{}: {}", state_name(state), self.repr());
            drop(guard);
            return Err((InvalidStateError::new(message), outcome));
        }
        let failed = outcome.is_err();
        // SAFETY: `core.lock` is held and the state is not FINISHED, so no reader looks at the
        // outcome yet; the Release transition below publishes it.
        self.outcome.with_mut(|o| unsafe { *o = Some(outcome) });
        // SAFETY: `core.lock` is held.
        let callbacks =
            self.callbacks.with_mut(|c| unsafe { (*c).take() }).map(|b| *b).unwrap_or_default();
        let extra =
            if failed { FAILED } else { 0 } | if callbacks.is_empty() { 0 } else { CALLBACKS };
        let old = self.core.transition(FINISHED, extra);
        // After FINISHED is stored, as CPython's `set_result`: a `wait`/`as_completed` that
        // hears of this future must find it done.
        self.core.notify_waiters(if failed { Completion::Failed } else { Completion::Succeeded });
        drop(guard);
        self.core.wake(old);
        self.run_callbacks(callbacks, view);
        Ok(())
    }

    /// Runs the callbacks taken at completion, each with a handle of its own; a panicking one
    /// is reported and the others still run. Then clears `CALLBACKS`.
    fn run_callbacks(&self, callbacks: Vec<Callback<T>>, view: impl FnOnce() -> Future<T>) {
        if callbacks.is_empty() {
            return;
        }
        // A counted handle of its own for the callbacks (see `into_result`).
        let view = view();
        self.callback_thread.store(thread::current_id(), Ordering::Relaxed);
        for callback in callbacks {
            call_callback(&view, callback);
        }
        self.callback_thread.store(0, Ordering::Relaxed);
        drop(view);
        // Release: the view's drop (its `handles` decrement) happens before `into_result` sees
        // CALLBACKS clear.
        let old = self.core.state.fetch_and(!CALLBACKS, Ordering::Release);
        self.core.wake(old);
    }

    /// Python's repr: `<Future at 0x… state=…>`.
    pub(crate) fn repr(&self) -> String {
        let state = self.core.state();
        let addr = ptr::from_ref(self).addr();
        let what = match state & STATE {
            PENDING => "pending".to_owned(),
            RUNNING => "running".to_owned(),
            CANCELLED | CANCELLED_AND_NOTIFIED => "cancelled".to_owned(),
            _ => {
                // SAFETY: FINISHED was loaded with Acquire; see `seen`.
                match self.outcome.with(|o| unsafe { &*o }) {
                    Some(Ok(_)) => format!("finished returned {}", short_type_name::<T>()),
                    Some(Err(e)) => format!("finished raised {}", e.python_name()),
                    None => "finished".to_owned(),
                }
            }
        };
        format!("<Future at {addr:#x} state={what}>")
    }
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        // Happens-after every handle's last access (each drop is a Release decrement of
        // `handles`) and the completer's (its last write is a Release store of `state`). The
        // `Arc` that owns us already orders this, but loom cannot see inside
        // `alloc::sync::Arc`; read-modify-writes read the latest values, so loom sees it too.
        self.handles.fetch_add(0, Ordering::AcqRel);
        let state = self.core.state.fetch_or(0, Ordering::AcqRel);
        if !failed(state) || !self.report.is_on() || self.retrieved.load(Ordering::Relaxed) {
            return;
        }
        let failed = self.outcome.with(|o| {
            // SAFETY: `&mut self`: nobody else can reach the outcome.
            matches!(unsafe { &*o }, Some(Err(FutureError::Panicked(_))))
        });
        if failed {
            let repr = self.repr();
            // SAFETY: as above.
            if let Some(Err(error)) = self.outcome.with_mut(|o| unsafe { (*o).take() }) {
                self.report.unretrieved(&error, &repr);
            }
        }
    }
}

/// Calls one done callback, reporting a panic instead of letting it escape.
fn call_callback<T>(future: &Future<T>, callback: Callback<T>) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| callback(future))) {
        report::callback_panicked(&future.inner().repr(), &*payload);
    }
}

/// `std::any::type_name` without module paths: `alloc::string::String` → `String`,
/// `core::option::Option<i32>` → `Option<i32>`.
pub(crate) fn short_type_name<T: ?Sized>() -> String {
    let full = std::any::type_name::<T>();
    let mut out = String::with_capacity(full.len());
    let mut word = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or(""));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(word.rsplit("::").next().unwrap_or(""));
    out
}

/// The eventual outcome of a task: Python's [`concurrent.futures.Future`].
///
/// [`ThreadPoolExecutor::submit`](crate::ThreadPoolExecutor::submit) returns one; it is
/// *pending* until a worker starts the task (*running*), then *finished* with the task's value
/// or its failure. A pending future can be *cancelled* instead, and then never runs.
///
/// * Looking: [`done`](Future::done), [`running`](Future::running),
///   [`cancelled`](Future::cancelled) answer at once.
/// * Waiting: [`result`](Future::result) (and `_timeout`, `_deadline`) block until the future
///   is done and give its value or a [`FutureError`]; [`exception`](Future::exception) gives
///   the failure, if any; [`into_result`](Future::into_result) moves the value out.
/// * Reacting: [`add_done_callback`](Future::add_done_callback) runs a closure when the future
///   is done (at once if it already is).
/// * Executor authors and tests: [`Future::new`],
///   [`set_running_or_notify_cancel`](Future::set_running_or_notify_cancel),
///   [`set_result`](Future::set_result),
///   [`set_exception`](Future::set_exception).
///
/// A `Future` is a cheap handle: [`Clone`] it to let several threads wait on the same
/// outcome. Handles compare equal (and hash alike) when they belong to the same future, like
/// Python's identity.
///
/// # Getting the value out
///
/// Once set, the value never changes, so [`result`](Future::result) returns `&T`: every
/// handle can look at it, for as long as that handle lives. To *own* the value, call
/// [`into_result`](Future::into_result) on the last handle (the common case: `submit`
/// returned the only one); it fails with [`FutureError::InvalidState`] while other handles
/// exist. A `Clone` value can also be copied out: `f.result().cloned()`.
///
/// # Examples
///
/// ```
/// use threading::futures::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(2).unwrap();
/// let f = pool.submit(|| 6 * 7).unwrap();
/// assert_eq!(f.result(), Ok(&42));
/// assert!(f.done());
///
/// let g = pool.submit(|| String::from("owned")).unwrap();
/// assert_eq!(g.into_result().unwrap(), "owned");
/// ```
///
/// # Differences from Python
///
/// * `result(timeout=t)` is [`result_timeout`](Future::result_timeout) (plus
///   [`result_deadline`](Future::result_deadline)); likewise for `exception`. A timeout too
///   large to represent waits forever (Python: `OverflowError`).
/// * Failures are values: `result()` returns `Err(FutureError)` where Python raises.
///   A task's failure is its panic, as [`TaskPanic`](crate::TaskPanic) text.
/// * `exception()` returns `Ok(None)` for a value, `Ok(Some(failure))` for a failed task,
///   and `Err` for `CancelledError`/`TimeoutError`, which Python raises.
/// * A callback that panics is reported through the thread excepthook and the other callbacks
///   still run,
///   like an `Exception` in Python; there is no equivalent of a `BaseException` escaping from
///   `set_result` (FUT-19).
/// * A failed future of an executor that is dropped without anyone looking at its failure is
///   reported (see [`Unretrieved`](crate::Unretrieved)); Python stays silent.
///
/// [`concurrent.futures.Future`]: https://docs.python.org/3/library/concurrent.futures.html#future-objects
pub struct Future<T> {
    shared: Arc<dyn Shared<T>>,
}

// SAFETY: a `Future` gives shared access to `T` (`result() -> &T`) from every thread holding a
// handle, and moves `T` between threads (`set_result`, `into_result`): `T: Send + Sync` covers
// both. Everything else in `Inner` is atomics, a `Lock`, and data guarded by that lock.
unsafe impl<T: Send + Sync> Send for Future<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Future<T> {}

// No poisoning: a panic inside any method leaves the future consistent (transitions are
// single atomic stores under the lock, callbacks run outside it).
impl<T> UnwindSafe for Future<T> {}
impl<T> RefUnwindSafe for Future<T> {}

impl<T: 'static> Future<T> {
    /// A pending future not tied to any executor: Python's `Future()`.
    ///
    /// Python reserves this for executor implementations and tests; here too, it is how a
    /// future gets completed by hand with [`set_result`](Future::set_result) and friends.
    /// A failure of such a future that nobody looks at is not reported.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::Future;
    ///
    /// let f = Future::new();
    /// assert!(!f.done());
    /// assert_eq!(f.set_running_or_notify_cancel(), Ok(true));
    /// assert!(f.running());
    /// f.set_result("done").unwrap();
    /// assert_eq!(f.result(), Ok(&"done"));
    /// ```
    #[must_use]
    pub fn new() -> Future<T> {
        Future::first(Arc::new(Inner::new(Report::Off)))
    }
}

impl<T> Future<T> {
    /// The first handle of a new future (its `Inner` starts with one handle).
    pub(crate) fn first(shared: Arc<dyn Shared<T>>) -> Future<T> {
        Future { shared }
    }

    /// Another counted handle on `shared` (for done callbacks).
    pub(crate) fn another(shared: Arc<dyn Shared<T>>) -> Future<T> {
        shared.inner().handles.fetch_add(1, Ordering::Relaxed);
        Future { shared }
    }

    /// The shared state.
    #[inline]
    fn inner(&self) -> &Inner<T> {
        self.shared.inner()
    }

    /// Attempts to cancel the future: Python's `cancel()`.
    ///
    /// Returns `true` if the future is now cancelled: it was pending (and will never run), or
    /// was already cancelled. Returns `false` if it is running or finished; then it cannot be
    /// cancelled. Cancelling wakes every thread blocked in [`result`](Future::result) (they
    /// get [`FutureError::Cancelled`]) and runs the done callbacks.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::Future;
    ///
    /// let f = Future::<()>::new();
    /// assert!(f.cancel());
    /// assert!(f.cancelled() && f.done());
    /// assert!(f.cancel()); // still cancelled
    ///
    /// let g = Future::<()>::new();
    /// g.set_running_or_notify_cancel().unwrap();
    /// assert!(!g.cancel()); // running: too late
    /// ```
    pub fn cancel(&self) -> bool {
        self.inner().cancel(|| self.clone())
    }

    /// Whether the future was cancelled: Python's `cancelled()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::Future;
    ///
    /// let f = Future::<u8>::new();
    /// assert!(!f.cancelled());
    /// f.cancel();
    /// assert!(f.cancelled());
    /// ```
    #[must_use]
    pub fn cancelled(&self) -> bool {
        matches!(self.inner().core.state() & STATE, CANCELLED | CANCELLED_AND_NOTIFIED)
    }

    /// Whether the task is running right now: Python's `running()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::Future;
    ///
    /// let f = Future::<u8>::new();
    /// assert!(!f.running());
    /// f.set_running_or_notify_cancel().unwrap();
    /// assert!(f.running());
    /// f.set_result(1).unwrap();
    /// assert!(!f.running());
    /// ```
    #[must_use]
    pub fn running(&self) -> bool {
        self.inner().core.state() & STATE == RUNNING
    }

    /// Whether the future is cancelled or finished: Python's `done()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::Future;
    ///
    /// let f = Future::new();
    /// assert!(!f.done());
    /// f.set_result(()).unwrap();
    /// assert!(f.done());
    /// ```
    #[must_use]
    pub fn done(&self) -> bool {
        is_done(self.inner().core.state())
    }

    /// Waits for the future and returns its value: Python's `result()`.
    ///
    /// Blocks until the future is done (briefly spinning first, then sleeping).
    ///
    /// # Errors
    ///
    /// * [`FutureError::Cancelled`] if the future was cancelled;
    /// * [`FutureError::Panicked`] (or whatever [`set_exception`](Future::set_exception) was
    ///   given) if the task failed; every call returns the same failure;
    /// * [`FutureError::InvalidState`] if the value was moved out, which
    ///   [`into_result`](Future::into_result) only does when no other handle exists, so it
    ///   cannot be seen through a live handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use threading::futures::Future;
    ///
    /// let f = Arc::new(Future::new());
    /// let setter = Arc::clone(&f);
    /// let t = std::thread::spawn(move || setter.set_result(42).unwrap());
    /// assert_eq!(f.result(), Ok(&42));
    /// t.join().unwrap();
    /// ```
    pub fn result(&self) -> Result<&T, FutureError> {
        self.result_until(None)
    }

    /// Like [`result`](Future::result), waiting at most `timeout`: Python's
    /// `result(timeout=t)`.
    ///
    /// A zero timeout only looks; a timeout too large to represent waits forever.
    ///
    /// # Errors
    ///
    /// [`FutureError::Timeout`] if the future is not done in time, otherwise as
    /// [`result`](Future::result).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::futures::Future;
    ///
    /// let f = Future::<i32>::new();
    /// assert!(f.result_timeout(Duration::from_millis(10)).unwrap_err().is_timeout());
    /// f.set_result(1).unwrap();
    /// assert_eq!(f.result_timeout(Duration::ZERO), Ok(&1));
    /// ```
    pub fn result_timeout(&self, timeout: Duration) -> Result<&T, FutureError> {
        self.result_until(time::deadline_after(timeout))
    }

    /// Like [`result`](Future::result), waiting until `deadline` at the latest.
    ///
    /// # Errors
    ///
    /// As [`result_timeout`](Future::result_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::futures::Future;
    ///
    /// let f = Future::<i32>::new();
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert!(f.result_deadline(deadline).unwrap_err().is_timeout());
    /// ```
    pub fn result_deadline(&self, deadline: Instant) -> Result<&T, FutureError> {
        self.result_until(Some(deadline))
    }

    fn result_until(&self, deadline: Option<Instant>) -> Result<&T, FutureError> {
        match self.inner().seen(deadline) {
            Seen::Value(v) => Ok(v),
            Seen::Failed(e) => Err(e),
            Seen::Cancelled => Err(FutureError::Cancelled(CancelledError)),
            Seen::NotDone => Err(FutureError::Timeout(TimeoutError::new())),
        }
    }

    /// Waits for the future and moves its value out, consuming this handle.
    ///
    /// The owned counterpart of [`result`](Future::result), for values that are not `Clone`
    /// or are too big to copy. It waits for the done callbacks too (they may be looking at the
    /// value), then takes the value if this is the future's last handle.
    ///
    /// # Errors
    ///
    /// As [`result`](Future::result); and [`FutureError::InvalidState`] if other handles of
    /// the future exist (clones, or the handles `wait` and `as_completed` hand back when given
    /// owned futures): the value stays in the future for them. A failure is returned whatever
    /// the number of handles.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::{Future, FutureError};
    ///
    /// let f = Future::new();
    /// f.set_result(vec![1, 2, 3]).unwrap();
    /// let other = f.clone();
    /// assert!(matches!(f.into_result(), Err(FutureError::InvalidState(_))));
    /// assert_eq!(other.into_result(), Ok(vec![1, 2, 3])); // the last handle gets it
    /// ```
    pub fn into_result(self) -> Result<T, FutureError> {
        let inner = self.inner();
        let state = inner.core.wait_until(is_done, None);
        if state & STATE != FINISHED {
            return Err(FutureError::Cancelled(CancelledError));
        }
        // Callbacks may hold `&T`: let them finish, unless we are one of them.
        if state & CALLBACKS != 0
            && inner.callback_thread.load(Ordering::Relaxed) != thread::current_id()
        {
            inner.core.wait_until(|s| s & CALLBACKS == 0, None);
        }
        let _guard = inner.core.lock.lock();
        // Acquire: pairs with the Release decrement of every other handle that went away, so
        // their reads of the value happen before the move below.
        let unique = inner.handles.load(Ordering::Acquire) == 1;
        // SAFETY: FINISHED (Acquire above); only this function writes the outcome after
        // FINISHED, and only through the last handle, which is `self`.
        let outcome = inner.outcome.with_mut(|o| unsafe {
            match &*o {
                Some(Err(e)) => Some(Err(e.clone())),
                Some(Ok(_)) if unique => (*o).take(),
                _ => None,
            }
        });
        match outcome {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => {
                inner.retrieved.store(true, Ordering::Relaxed);
                Err(e)
            }
            None => Err(InvalidStateError::new(format!(
                "the result of {} is shared with other handles",
                inner.repr()
            ))
            .into()),
        }
    }

    /// Waits for the future and returns the task's failure, if any: Python's `exception()`.
    ///
    /// `Ok(None)` if the task returned a value, `Ok(Some(failure))` if it failed.
    ///
    /// # Errors
    ///
    /// [`FutureError::Cancelled`] if the future was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::{Future, TaskPanic};
    ///
    /// let ok = Future::new();
    /// ok.set_result(5).unwrap();
    /// assert_eq!(ok.exception(), Ok(None));
    ///
    /// let failed = Future::<i32>::new();
    /// failed.set_exception(TaskPanic::new("test")).unwrap();
    /// assert_eq!(failed.exception().unwrap().unwrap().panic_message(), Some("test"));
    /// ```
    pub fn exception(&self) -> Result<Option<FutureError>, FutureError> {
        self.exception_until(None)
    }

    /// Like [`exception`](Future::exception), waiting at most `timeout`: Python's
    /// `exception(timeout=t)`.
    ///
    /// # Errors
    ///
    /// [`FutureError::Timeout`] if the future is not done in time;
    /// [`FutureError::Cancelled`] if it was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::futures::Future;
    ///
    /// let f = Future::<i32>::new();
    /// assert!(f.exception_timeout(Duration::ZERO).unwrap_err().is_timeout());
    /// ```
    pub fn exception_timeout(&self, timeout: Duration) -> Result<Option<FutureError>, FutureError> {
        self.exception_until(time::deadline_after(timeout))
    }

    /// Like [`exception`](Future::exception), waiting until `deadline` at the latest.
    ///
    /// # Errors
    ///
    /// As [`exception_timeout`](Future::exception_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use threading::futures::Future;
    ///
    /// let f = Future::<i32>::new();
    /// f.cancel();
    /// assert!(f.exception_deadline(Instant::now()).unwrap_err().is_cancelled());
    /// ```
    pub fn exception_deadline(
        &self,
        deadline: Instant,
    ) -> Result<Option<FutureError>, FutureError> {
        self.exception_until(Some(deadline))
    }

    fn exception_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<Option<FutureError>, FutureError> {
        match self.inner().seen(deadline) {
            Seen::Value(_) => Ok(None),
            Seen::Failed(e) => Ok(Some(e)),
            Seen::Cancelled => Err(FutureError::Cancelled(CancelledError)),
            Seen::NotDone => Err(FutureError::Timeout(TimeoutError::new())),
        }
    }

    /// Marks the future running, or finds out that it was cancelled: Python's
    /// `set_running_or_notify_cancel()`, for executors.
    ///
    /// Returns `Ok(true)` if the future was pending and is now running: the executor should run
    /// the task. Returns `Ok(false)` if it was cancelled: the task must not run, and the
    /// threads in [`wait`](crate::wait) and [`as_completed`](crate::as_completed) are now told
    /// that it is done.
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] of kind
    /// [`FutureUnexpectedState`](RuntimeErrorKind::FutureUnexpectedState) ("Future in
    /// unexpected state") if it is already running, finished, or was cancelled and notified.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::Future;
    ///
    /// let f = Future::<()>::new();
    /// assert_eq!(f.set_running_or_notify_cancel(), Ok(true));
    /// assert!(f.set_running_or_notify_cancel().is_err()); // already running
    ///
    /// let g = Future::<()>::new();
    /// g.cancel();
    /// assert_eq!(g.set_running_or_notify_cancel(), Ok(false)); // do not run it
    /// ```
    pub fn set_running_or_notify_cancel(&self) -> Result<bool, RuntimeError> {
        self.inner().set_running_or_notify_cancel()
    }

    /// Finishes the future with `value`: Python's `set_result()`, for executors and tests.
    ///
    /// Wakes every waiting thread, tells `wait`/`as_completed`, then runs the done callbacks on
    /// the calling thread.
    ///
    /// # Errors
    ///
    /// [`InvalidStateError`] if the future is already finished or cancelled; the first outcome
    /// is kept and `value` is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::Future;
    ///
    /// let f = Future::new();
    /// f.set_result(1).unwrap();
    /// assert!(f.set_result(2).is_err());
    /// assert_eq!(f.result(), Ok(&1));
    /// ```
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError> {
        self.inner().complete(Ok(value), || self.clone()).map_err(|(e, _)| e)
    }

    /// Finishes the future with a failure: Python's `set_exception()`, for executors and tests.
    ///
    /// # Errors
    ///
    /// [`InvalidStateError`] if the future is already finished or cancelled; the first outcome
    /// is kept.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::{Future, TaskPanic};
    ///
    /// let f = Future::<i32>::new();
    /// f.set_exception(TaskPanic::new("doh!")).unwrap();
    /// assert_eq!(f.result().unwrap_err().panic_message(), Some("doh!"));
    /// ```
    pub fn set_exception(&self, error: impl Into<FutureError>) -> Result<(), InvalidStateError> {
        self.inner().complete(Err(error.into()), || self.clone()).map_err(|(e, _)| e)
    }
}

impl<T: Send + Sync + 'static> Future<T> {
    /// Runs `callback` with the future once it is done (finished or cancelled): Python's
    /// `add_done_callback()`.
    ///
    /// If the future is already done, `callback` runs at once, on the calling thread, before
    /// this method returns. Otherwise it runs on the thread that completes or cancels the
    /// future (a pool worker, usually), after the waiting threads were woken. Callbacks run in
    /// the order they were added. A callback that panics is reported through the thread
    /// excepthook (`threading::excepthook`, standard error by default)
    /// (`exception calling callback for <Future …>`); the other callbacks still run and the
    /// panic goes no further.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use threading::futures::Future;
    ///
    /// let seen = Arc::new(Mutex::new(None));
    /// let f = Future::new();
    /// let s = Arc::clone(&seen);
    /// f.add_done_callback(move |f| *s.lock().unwrap() = Some(*f.result().unwrap()));
    /// f.set_result(5).unwrap();
    /// assert_eq!(*seen.lock().unwrap(), Some(5));
    ///
    /// // Already done: runs at once.
    /// let s = Arc::clone(&seen);
    /// f.add_done_callback(move |_| *s.lock().unwrap() = None);
    /// assert_eq!(*seen.lock().unwrap(), None);
    /// ```
    pub fn add_done_callback(&self, callback: impl FnOnce(&Future<T>) + Send + 'static) {
        let guard = self.inner().core.lock.lock();
        if !is_done(self.inner().core.state.load(Ordering::Relaxed)) {
            // SAFETY: `core.lock` is held.
            self.inner()
                .callbacks
                .with_mut(|c| unsafe { (*c).get_or_insert_default().push(Box::new(callback)) });
            return;
        }
        drop(guard);
        call_callback(self, Box::new(callback));
    }
}

impl<T> Clone for Future<T> {
    /// Another handle to the same future.
    fn clone(&self) -> Future<T> {
        Future::another(Arc::clone(&self.shared))
    }
}

impl<T> Drop for Future<T> {
    fn drop(&mut self) {
        // Release: this handle's reads of the value happen before a later `into_result`.
        self.inner().handles.fetch_sub(1, Ordering::Release);
    }
}

impl<T: 'static> Default for Future<T> {
    /// A pending future: [`Future::new`].
    fn default() -> Future<T> {
        Future::new()
    }
}

impl<T> PartialEq for Future<T> {
    /// Identity: both handles belong to the same future (Python's `is`).
    fn eq(&self, other: &Future<T>) -> bool {
        ptr::addr_eq(Arc::as_ptr(&self.shared), Arc::as_ptr(&other.shared))
    }
}

impl<T> Eq for Future<T> {}

impl<T> Hash for Future<T> {
    /// By identity, consistent with [`PartialEq`].
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.shared).addr().hash(state);
    }
}

impl<T> fmt::Debug for Future<T> {
    /// Python's repr: `<Future at 0x… state=pending>`, `state=running`, `state=cancelled`,
    /// `state=finished returned i32`, `state=finished raised TaskPanic`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner().repr())
    }
}

impl<T> crate::wait::sealed::Sealed for Future<T> {
    fn core(&self) -> &FutureCore {
        &self.inner().core
    }
}

impl<T> crate::Waitable for Future<T> {}
