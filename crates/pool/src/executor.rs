//! [`ThreadPoolExecutor`]: Python's `concurrent.futures.ThreadPoolExecutor`.
//!
//! # Implementation details
//!
//! **The work queue** is a `VecDeque` of queue entries guarded by the pool's internal
//! [`Lock`], with the pool's bookkeeping next to it (workers, idle count, `shutdown`, `broken`).
//! It is built from the workspace's own primitives on purpose: a crossbeam channel would be
//! faster to write, but loom cannot see inside it, and the pool's correctness (no accepted
//! future stranded by a shutdown or a broken pool) lives exactly at the boundary between the
//! queue and the pool state. With one lock for both, "is the pool open?" and "enqueue" are
//! one step, and so are "close" and "drain".
//!
//! **A task is one allocation**: its future's state and its closure live in one `Task`,
//! referenced by the [`Future`] handles (as the future's shared state) and by the queue entry
//! (as work to run). The worker that dequeues the entry takes the closure out, runs it under
//! `catch_unwind` and completes the future; the closure is dropped as soon as it has run or
//! was cancelled, not when the future goes away.
//!
//! **Batches.** Once every worker has started, a worker that takes a job from the shared
//! queue may take a few more behind it into its own short queue ([`Batch`], guarded by a lock
//! of its own that nobody else takes per job), so that a stream of trivial tasks does not
//! cost every worker the pool's lock per task (measured: 345–356 ns per task with one job per
//! take, 141–178 with batches, against the `threadpool` crate's 221–484 in the same runs of
//! `examples/many_tasks.rs`). How many is learned per worker ([`BatchSize`]): doubling up to
//! [`MAX_BATCH`] while its jobs, from one take to the next, took under [`BATCH_JOB_TIME`]
//! each, and back to one otherwise (after a slow task, or a wait for work); and never more
//! than a `2 × max_workers`-th of the queue, so the other workers keep most of it. A job in a
//! batch is still pending: `cancel()` works on it, and `shutdown(cancel_futures=True)` and a
//! broken pool drain the batches with the shared queue. A worker that finds the shared queue
//! empty steals from the others' batches before it idles, and a take that leaves work in a
//! batch passes a wake-up on as for the shared queue, so a task never waits behind a busy
//! worker while another idles (a task waiting for the one submitted after it still gets it
//! run).
//!
//! **Idle workers** first spin briefly watching `signal`, an epoch counter bumped (with the
//! lock held) when a job is queued while some worker watches it, or when the pool closes; then
//! they park in the parking lot on its address. `validate` checks that the epoch has not moved
//! since the worker saw the queue empty, so a job queued between that look and the sleep is
//! never missed. The lock-protected counts `spinning` and `sleepers` say who watches:
//!
//! * a `submit` wakes a sleeper only if nobody is spinning (a spinning worker will find the
//!   job) and no wake-up is already on its way (`wake_pending`): at most one at a time, so a
//!   burst of tasks into an idle pool costs one wake-up, not one per task;
//! * a worker that takes a job and sees more queued passes the wake-up on to the next sleeper,
//!   so a burst still reaches every idle worker;
//! * `wake_pending` is cleared by the woken worker, or by the unpark itself when it found
//!   nobody parked (a sleeper between registering and parking sees the epoch move and comes
//!   back by itself); `shutdown` wakes everyone.
//!
//! **Lazy workers, idle reuse.** As in CPython, `submit` starts a new worker only while fewer
//! than `max_workers` exist and no idle worker will take the task: precisely, when the queued
//! jobs outnumber the idle workers (spinning, sleeping, or *returning*: done with a task and on
//! the way back to the queue). A worker counts itself returning *before* it publishes its
//! task's outcome, so a caller that waits for a result and then submits again always finds it
//! idle: sequential submit-and-wait uses one thread. CPython's `_idle_semaphore` counts
//! finished tasks instead; one worker that finished five tasks then counts as five idle
//! workers, and a burst can leave a task queued behind a busy worker that waits for it. Once
//! all `max_workers` have started, nothing is counted any more (no shared counter per task).
//!
//! **Shutdown** sets `shutdown` under the lock (later submits fail), optionally drains the
//! queue and cancels those futures (and notifies their waiters at once, since no worker will
//! ever dequeue them), bumps the epoch and wakes every worker. A worker exits when the queue is
//! empty and the pool is shut down or broken, so queued work still runs. `shutdown()` then
//! joins the workers, except the calling thread itself if it is one of them.
//!
//! **Broken pool.** A worker whose initializer fails marks the pool broken and drains the
//! queue, failing every queued future with [`BrokenThreadPool`] (a future cancelled meanwhile
//! is just notified); later submits fail with it too.
//!
//! **Tasks never kill workers**: each runs under `catch_unwind`, and its panic becomes the
//! future's [`TaskPanic`].
//!
//! **At the end of the program** the thread crate joins every non-daemon thread, workers
//! included. Like CPython's `_python_exit`, an at-exit hook registered when the first worker
//! starts (after the thread crate's own, so it runs first) shuts every live pool down without
//! waiting: queued work still runs, idle workers exit, and a later `submit` fails with
//! "cannot schedule new futures after interpreter shutdown".

use alloc::sync::Arc;
use std::collections::VecDeque;
use std::fmt;
use std::mem;
use std::panic::{self, AssertUnwindSafe, RefUnwindSafe, UnwindSafe};
use std::ptr;
use std::time::Duration;

use threading_core::atomic::{AtomicBool, AtomicUsize, Ordering};
use threading_core::cell::UnsafeCell;
use threading_core::error::{RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind};
use threading_core::hint::SpinWait;
use threading_core::park::{self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN};
use threading_core::thread;
use threading_core::time::{self, Instant};
use threading_lock::Lock;
use threading_thread::Thread;

use crate::error::{BrokenThreadPool, FutureError, SubmitError, TaskPanic};
use crate::future::{Future, Inner, Shared as FutureShared};
use crate::report::{Hook, Report, Unretrieved};

threading_core::global! {
    /// CPython's `ThreadPoolExecutor._counter`: numbers the default thread-name prefixes.
    static EXECUTORS: AtomicUsize = AtomicUsize::new(0);
}

/// A queued task, as the worker sees it: run it (or cancel it, or fail it), exactly once.
trait Work: Send + Sync {
    /// Runs the task unless its future was cancelled; counts the worker as returning (idle)
    /// before the outcome is published (`full`: see `Idle::returning`). Returns whether it
    /// counted itself.
    fn run(self: Arc<Self>, idle: &Idle, full: &mut bool) -> bool;
    /// `shutdown(cancel_futures=True)`, or a task nobody will ever run: cancel and notify.
    fn cancel(self: Arc<Self>);
    /// A broken pool: fail with `error` (just notify if cancelled).
    fn fail(self: Arc<Self>, error: FutureError);
}

/// A submitted task: its future's state and its closure, in one allocation shared by the
/// [`Future`] handles (as `dyn Shared<T>`) and the work queue (as `dyn Work`).
struct Task<F, T> {
    inner: Inner<T>,
    /// Taken (and dropped) by whoever holds the queue entry: the worker that runs it, or the
    /// thread that cancels or fails it. Nobody else touches it.
    task: UnsafeCell<Option<F>>,
}

// SAFETY: `task` is only touched through the queue entry, by one thread at a time (it moves
// with the entry); `inner` hands out `&T` only through `Future`, whose own `Send`/`Sync` need
// `T: Send + Sync`, and moves `T` between threads, which `T: Send` allows.
unsafe impl<F: Send, T: Send> Send for Task<F, T> {}
// SAFETY: as above.
unsafe impl<F: Send, T: Send> Sync for Task<F, T> {}

impl<F, T> FutureShared<T> for Task<F, T> {
    fn inner(&self) -> &Inner<T> {
        &self.inner
    }
}

impl<F, T> Task<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    /// Takes the closure out (the caller holds the queue entry).
    fn take(&self) -> Option<F> {
        // SAFETY: only the holder of the queue entry calls this, see `task`.
        self.task.with_mut(|t| unsafe { (*t).take() })
    }

    /// A new handle for the callbacks.
    fn view(self: &Arc<Self>) -> Future<T> {
        Future::another(Arc::clone(self) as Arc<dyn FutureShared<T>>)
    }
}

impl<F, T> Work for Task<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Arc<Self>, idle: &Idle, full: &mut bool) -> bool {
        let task = self.take();
        let Some(task) = task.filter(|_| self.inner.set_running_or_notify_cancel() == Ok(true))
        else {
            // Cancelled (its closure is dropped here, not kept until the future goes).
            return false;
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(task))
            .map_err(|payload| FutureError::Panicked(TaskPanic::from_payload(&*payload)));
        let counted = idle.returning(full);
        // A future finished meanwhile by hand keeps its first outcome.
        let _ = self.inner.complete(outcome, || self.view());
        counted
    }

    fn cancel(self: Arc<Self>) {
        drop(self.take());
        self.inner.cancel(|| self.view());
        let _ = self.inner.set_running_or_notify_cancel();
    }

    fn fail(self: Arc<Self>, error: FutureError) {
        drop(self.take());
        if self.inner.set_running_or_notify_cancel().unwrap_or(false) {
            let _ = self.inner.complete(Err(error), || self.view());
        }
    }
}

/// A queue entry. Dropping one that was neither run, cancelled nor failed cancels its future,
/// so no future is ever left pending by a lost task.
struct Job(Option<Arc<dyn Work>>);

impl Job {
    fn run(mut self, idle: &Idle, full: &mut bool) -> bool {
        self.0.take().is_some_and(|work| work.run(idle, full))
    }

    fn cancel(mut self) {
        if let Some(work) = self.0.take() {
            work.cancel();
        }
    }

    fn fail(mut self, error: FutureError) {
        if let Some(work) = self.0.take() {
            work.fail(error);
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(work) = self.0.take() {
            work.cancel();
        }
    }
}

/// Workers that have finished a task and are on their way back to the queue (counted before
/// the task's outcome is published; see the module docs). Once every worker is started the
/// count no longer matters and is left alone, so a full pool has no contended atomic per task.
struct Idle {
    returning: AtomicUsize,
    full: AtomicBool,
}

impl Idle {
    /// A worker finished a task and goes back for the next. Returns whether it counted itself
    /// (then `next_job` must uncount it). `full` is the worker's own copy of `self.full`: once
    /// it has seen the pool full (which is final) it stops loading the shared flag, whose cache
    /// line the submitting thread keeps writing (it sits next to the queue's lock).
    fn returning(&self, full: &mut bool) -> bool {
        if *full || self.full.load(Ordering::Relaxed) {
            *full = true;
            return false;
        }
        self.returning.fetch_add(1, Ordering::Relaxed);
        true
    }
}

/// What a worker runs first; `Err` (or a panic) breaks the pool.
type Initializer = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// The result of a thread initializer: `()` (it cannot fail, except by panicking) or
/// `Result<(), E>` for any displayable `E`.
///
/// # Examples
///
/// ```
/// use threading::futures::ThreadPoolExecutor;
///
/// let plain = ThreadPoolExecutor::builder().initializer(|| println!("hello")).build();
/// let fallible = ThreadPoolExecutor::builder()
///     .initializer(|| -> Result<(), std::io::Error> { Ok(()) })
///     .build();
/// assert!(plain.is_ok() && fallible.is_ok());
/// ```
pub trait InitializerResult {
    /// `Ok(())`, or the failure as text.
    ///
    /// # Errors
    ///
    /// The initializer's error, formatted with `Display`.
    fn into_init_result(self) -> Result<(), String>;
}

impl InitializerResult for () {
    fn into_init_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: fmt::Display> InitializerResult for Result<(), E> {
    fn into_init_result(self) -> Result<(), String> {
        self.map_err(|e| e.to_string())
    }
}

/// A worker's own short queue: jobs it took from the shared queue together with the one it
/// runs first (see the module documentation). Guarded by its own `lock`, which its worker
/// takes per job; an idle worker steals from it, and `close` and `initializer_failed` drain
/// it, all inside the pool's lock.
struct Batch {
    lock: Lock,
    jobs: UnsafeCell<VecDeque<Job>>,
    /// `jobs` is not empty. Set (with both locks held) when the worker takes a batch; cleared
    /// with `lock` held by whoever takes its last job. Read by other workers under the pool's
    /// lock, which orders it after every setting, and by the owner, which did every setting
    /// itself; a stale `true` just costs a look.
    filled: AtomicBool,
}

// SAFETY: `jobs` is only touched with `lock` held; jobs are `Send`.
unsafe impl Send for Batch {}
// SAFETY: as above.
unsafe impl Sync for Batch {}

impl Batch {
    fn new() -> Batch {
        Batch {
            lock: Lock::new(),
            jobs: UnsafeCell::new(VecDeque::new()),
            filled: AtomicBool::new(false),
        }
    }

    /// Runs `f` on the jobs with the lock held, then updates `filled`.
    fn with_jobs<R>(&self, f: impl FnOnce(&mut VecDeque<Job>) -> R) -> R {
        let _guard = self.lock.lock();
        self.jobs.with_mut(|jobs| {
            // SAFETY: `lock` is held.
            let jobs = unsafe { &mut *jobs };
            let result = f(jobs);
            let filled = !jobs.is_empty();
            if self.filled.load(Ordering::Relaxed) != filled {
                self.filled.store(filled, Ordering::Relaxed);
            }
            result
        })
    }

    /// Takes the first job, if any.
    fn pop(&self) -> Option<Job> {
        self.with_jobs(VecDeque::pop_front)
    }
}

/// How many jobs a worker takes from the shared queue at once, adapted to how long its jobs
/// take: the worker's own, not shared.
struct BatchSize {
    /// Jobs to take at the next refill (the one to run included): 1 ..= [`MAX_BATCH`].
    size: usize,
    /// When the worker last took jobs from the shared queue, and how many, while batching
    /// was possible (`None`: it was not).
    last: Option<(Instant, usize)>,
}

/// The most jobs a worker takes at once.
const MAX_BATCH: usize = 8;
/// Jobs that took less than this each on average (from one refill to the next, waiting
/// included) let the next batch double; slower ones bring it back to one.
const BATCH_JOB_TIME: Duration = Duration::from_micros(2);

impl BatchSize {
    fn new() -> BatchSize {
        BatchSize { size: 1, last: None }
    }

    /// At a refill, with the pool's lock held: how many jobs beyond the first to take, given
    /// `queued` jobs behind it and `max_workers` workers, all started (`full`).
    fn extra(&mut self, queued: usize, max_workers: usize, full: bool) -> usize {
        if !full {
            self.last = None;
            return 0;
        }
        let now = time::now();
        if let Some((at, taken)) = self.last {
            let took = now.saturating_duration_since(at);
            let budget = BATCH_JOB_TIME.saturating_mul(u32::try_from(taken).unwrap_or(u32::MAX));
            self.size = if took < budget { (self.size * 2).min(MAX_BATCH) } else { 1 };
        }
        // Leave most of the queue to the other workers.
        let extra = (self.size - 1).min(queued / (2 * max_workers));
        self.last = Some((now, extra + 1));
        extra
    }
}

/// The pool's state; guarded by `Shared::lock`.
struct State {
    jobs: VecDeque<Job>,
    /// Every worker started (they stay listed, as in CPython's `_threads`).
    workers: Vec<Thread>,
    /// Each worker's [`Batch`], for `shutdown(cancel_futures)` and a broken pool to drain.
    batches: Vec<Arc<Batch>>,
    /// How many workers were ever started (names them; `worker_count`).
    started: usize,
    /// Workers parked (or about to park) waiting for a job.
    sleepers: usize,
    /// Workers awake and watching for a job (they need no wake-up).
    spinning: usize,

    shutdown: bool,
    /// Shut down by the program's exit (not by `shutdown`): submits get CPython's
    /// "after interpreter shutdown" message.
    exit_shutdown: bool,
    broken: bool,
}

impl State {
    /// Whether some worker's batch may hold a job.
    fn batched(&self) -> bool {
        self.batches.iter().any(|b| b.filled.load(Ordering::Relaxed))
    }

    /// The first job of the first batch that has one.
    fn steal(&self) -> Option<Job> {
        self.batches.iter().filter(|b| b.filled.load(Ordering::Relaxed)).find_map(|b| b.pop())
    }

    /// Every job nobody has started: the shared queue's, then the workers' batches'.
    fn take_jobs(&mut self) -> Vec<Job> {
        let mut jobs: Vec<Job> = mem::take(&mut self.jobs).into();
        for batch in &self.batches {
            batch.with_jobs(|own| jobs.extend(own.drain(..)));
        }
        jobs
    }
}

/// What the executor handle and its workers share.
struct Shared {
    max_workers: usize,
    prefix: String,
    initializer: Option<Initializer>,
    report: Report,
    lock: Lock,
    state: UnsafeCell<State>,
    /// Epoch: bumped under `lock` when a job is queued or the pool closes. Workers park on it.
    signal: AtomicUsize,
    /// Workers on their way back to the queue.
    idle: Idle,
    /// A wake-up is on its way to a sleeping worker (at most one at a time). Set under `lock`
    /// by `should_wake`; cleared by the woken worker, or by the unpark itself when it finds
    /// nobody asleep.
    wake_pending: AtomicBool,
}

// SAFETY: `state` is only touched with `lock` held; jobs are `Send`; the rest is `Sync`.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Shared {
    fn key(&self) -> usize {
        ptr::from_ref(&self.signal).addr()
    }

    /// Runs `f` on the state with the lock held.
    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let _guard = self.lock.lock();
        // SAFETY: `lock` is held.
        self.state.with_mut(|s| f(unsafe { &mut *s }))
    }

    /// Queues `job`, starting a worker if CPython would. Gives the job back if refused.
    fn push(self: &Arc<Self>, job: Job) -> Result<(), (SubmitError, Job)> {
        let wake = {
            let _guard = self.lock.lock();
            // SAFETY: `lock` is held.
            let state = self.state.with_mut(|s| unsafe { &mut *s });
            if state.broken {
                return Err((SubmitError::BrokenThreadPool(BrokenThreadPool), job));
            }
            if state.shutdown && !state.exit_shutdown {
                let error = RuntimeError::new(RuntimeErrorKind::ScheduleAfterShutdown);
                return Err((SubmitError::Shutdown(error), job));
            }
            if state.exit_shutdown || exit::exiting() {
                let error = RuntimeError::new(RuntimeErrorKind::ScheduleAfterInterpreterShutdown);
                return Err((SubmitError::Shutdown(error), job));
            }
            state.jobs.push_back(job);
            // Only a worker that saw the queue empty (spinning, or registered to sleep, both
            // counted under this lock) watches the epoch; the others will find the job.
            if state.spinning + state.sleepers > 0 {
                self.signal.fetch_add(1, Ordering::Relaxed);
            }
            // CPython's `_adjust_thread_count`: start a worker unless an idle one will take
            // the job. Idle means waiting in `next_job` or on the way back to it, and each
            // idle worker takes one queued job. (CPython counts finished tasks instead, which
            // can exceed the idle workers and leave a job waiting behind a busy one.)
            // If starting a worker fails while others are alive, the job stays queued and
            // they will run it; with no worker at all, nobody could: take it back (no worker
            // can have seen it).
            if state.started < self.max_workers
                && state.jobs.len()
                    > state.spinning + state.sleepers + self.idle.returning.load(Ordering::Relaxed)
                && let Err(error) = self.spawn(state)
                && state.started == 0
            {
                let job = state.jobs.pop_back().expect("just pushed");
                return Err((SubmitError::Spawn(error), job));
            }
            self.should_wake(state)
        };
        if wake {
            self.wake_one();
        }
        Ok(())
    }

    /// With `lock` held, after queueing: whether to wake a sleeping worker. Not if a worker is
    /// awake and watching (it will find the job), nor if a wake-up is already on its way (that
    /// worker wakes the next one if more work is left, see `next_job`).
    fn should_wake(&self, state: &State) -> bool {
        let wake =
            state.sleepers > 0 && state.spinning == 0 && !self.wake_pending.load(Ordering::Relaxed);
        if wake {
            self.wake_pending.store(true, Ordering::Relaxed);
        }
        wake
    }

    /// Wakes one sleeping worker (outside the lock), after `should_wake` said so.
    fn wake_one(&self) {
        let callback = |result: park::UnparkResult| {
            if result.unparked_threads == 0 {
                // Nobody was parked: no wake-up is on its way after all. A sleeper between
                // registering and parking saw the epoch move (every push bumps it while
                // someone sleeps) and comes back by itself; a later push may wake again.
                self.wake_pending.store(false, Ordering::Relaxed);
            }
            // Otherwise the woken worker clears `wake_pending` once back under the lock.
            DEFAULT_UNPARK_TOKEN
        };
        // SAFETY: our own key; the callback only stores an atomic and cannot panic.
        unsafe {
            park::unpark_one(self.key(), callback);
        }
    }

    /// Starts worker number `state.started` (a non-daemon [`Thread`], as in CPython), with
    /// `lock` held.
    fn spawn(self: &Arc<Self>, state: &mut State) -> Result<(), RuntimeError> {
        if state.started == 0 {
            exit::register(self);
        }
        let name = format!("{}_{}", self.prefix, state.started);
        let shared = Arc::clone(self);
        let batch = Arc::new(Batch::new());
        let own = Arc::clone(&batch);
        let thread = Thread::builder()
            .name(name)
            .daemon(false)
            .spawn(move || worker(&shared, &own))
            .map_err(|e| e.runtime_error())?;
        state.batches.push(batch);
        // After the first start: the thread crate's at-exit join is registered by now, so ours
        // runs before it (C's `atexit` runs handlers in reverse order).
        exit::register_hook();
        state.workers.push(thread);
        state.started += 1;
        if state.started == self.max_workers {
            self.idle.full.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The next job for a worker, or `None` once the queue is empty and the pool is shut down
    /// or broken.
    fn next_job(&self, returning: bool, own: &Batch, size: &mut BatchSize) -> Option<Job> {
        // The worker's own batch first (a returning worker is counted idle: it goes through
        // the pool's lock to uncount itself; it has no batch then, see `BatchSize::extra`).
        // `filled` is only ever set by this worker, so `false` here is never stale.
        if !returning
            && own.filled.load(Ordering::Relaxed)
            && let Some(job) = own.pop()
        {
            return Some(job);
        }
        let mut spin = SpinWait::new();
        let mut guard = self.lock.lock();
        if returning {
            // Back: from now on `spinning`/`sleepers` (or the job taken) account for us.
            self.idle.returning.fetch_sub(1, Ordering::Relaxed);
        }
        loop {
            // SAFETY: `lock` is held (`guard`).
            let state = self.state.with_mut(|s| unsafe { &mut *s });
            let taken = match state.jobs.pop_front() {
                Some(job) => {
                    let full = self.idle.full.load(Ordering::Relaxed);
                    let extra = size.extra(state.jobs.len(), self.max_workers, full);
                    if extra > 0 {
                        own.with_jobs(|own| own.extend(state.jobs.drain(..extra)));
                    }
                    Some(job)
                }
                // Nothing shared: a job another worker took in a batch and has not started, so
                // a task never waits behind a busy worker while this one idles.
                None => state.steal(),
            };
            if let Some(job) = taken {
                // More work left and everyone asleep: pass the wake-up on (also for work in
                // a batch, which an idle worker steals: its owner may be busy for long).
                let more = !state.jobs.is_empty() || state.batched();
                let wake = more && self.should_wake(state);
                drop(guard);
                if wake {
                    self.wake_one();
                }
                return Some(job);
            }
            if state.shutdown || state.broken {
                return None;
            }
            let epoch = self.signal.load(Ordering::Relaxed);
            // A job may be about to arrive: watch the epoch for a moment before sleeping.
            // Meanwhile `spinning` tells `submit` that no wake-up is needed.
            state.spinning += 1;
            drop(guard);
            let mut moved = false;
            while spin.spin() {
                if self.signal.load(Ordering::Relaxed) != epoch {
                    moved = true;
                    break;
                }
            }
            guard = self.lock.lock();
            // SAFETY: `lock` is held.
            let state = self.state.with_mut(|s| unsafe { &mut *s });
            state.spinning -= 1;
            if moved || self.signal.load(Ordering::Relaxed) != epoch {
                continue;
            }
            state.sleepers += 1;
            drop(guard);
            // Sleep only if nothing was queued (and the pool did not close) since we looked,
            // checked with the parking queue locked: every push bumps the epoch first.
            let validate = || self.signal.load(Ordering::Relaxed) == epoch;
            // SAFETY: our own key; the callbacks only load an atomic and cannot panic.
            let result = unsafe {
                park::park(self.key(), validate, || {}, |_, _| {}, DEFAULT_PARK_TOKEN, None)
            };
            guard = self.lock.lock();
            // SAFETY: `lock` is held.
            let state = self.state.with_mut(|s| unsafe { &mut *s });
            state.sleepers -= 1;
            if result.is_unparked() {
                // The wake-up in flight (if any) has arrived.
                self.wake_pending.store(false, Ordering::Relaxed);
            }
            spin.reset();
        }
    }

    /// Closes the pool; with `cancel_futures`, cancels what is still queued. Returns the
    /// workers to join when `wait`.
    fn close(&self, cancel_futures: bool, wait: bool) -> (Vec<Job>, Vec<Thread>) {
        let taken = self.with_state(|state| {
            state.shutdown = true;
            let jobs = if cancel_futures { state.take_jobs() } else { Vec::new() };
            let workers = if wait { state.workers.clone() } else { Vec::new() };
            self.signal.fetch_add(1, Ordering::Relaxed);
            (jobs, workers)
        });
        // SAFETY: our own key.
        unsafe {
            park::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN);
        }
        taken
    }

    /// A worker's initializer failed: break the pool and fail what is queued.
    fn initializer_failed(&self) {
        let jobs: Vec<Job> = self.with_state(|state| {
            state.broken = true;
            self.signal.fetch_add(1, Ordering::Relaxed);
            state.take_jobs()
        });
        // SAFETY: our own key.
        unsafe {
            park::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN);
        }
        for job in jobs {
            job.fail(FutureError::BrokenThreadPool(BrokenThreadPool));
        }
    }
}

/// A worker thread's body: CPython's `_worker`.
fn worker(shared: &Shared, own: &Batch) {
    if let Some(init) = &shared.initializer {
        let failure = match panic::catch_unwind(AssertUnwindSafe(|| init())) {
            Ok(Ok(())) => None,
            Ok(Err(message)) => Some(message),
            Err(payload) => Some(crate::error::payload_text(&*payload)),
        };
        if let Some(message) = failure {
            shared.initializer_failed();
            crate::report::initializer_failed(&message);
            return;
        }
    }
    let mut returning = false;
    let mut full = false;
    let mut size = BatchSize::new();
    while let Some(job) = shared.next_job(returning, own, &mut size) {
        returning = job.run(&shared.idle, &mut full);
    }
}

/// A pool of worker threads that run tasks and hand back [`Future`]s: Python's
/// [`concurrent.futures.ThreadPoolExecutor`].
///
/// * [`submit`](ThreadPoolExecutor::submit) queues a closure and returns the [`Future`] of its
///   value; [`map`](ThreadPoolExecutor::map) runs a closure over many inputs and yields the
///   results in input order.
/// * Workers start lazily, at most one per `submit`, and only while no worker is idle and
///   fewer than `max_workers` exist; they are named `ThreadPoolExecutor-N_M` (or
///   `<prefix>_M`) and are reused until the pool shuts down.
/// * A task that panics does not hurt its worker: the panic becomes the future's
///   [`FutureError::Panicked`].
/// * [`shutdown`](ThreadPoolExecutor::shutdown) stops accepting tasks, lets the queued ones run
///   and joins the workers; dropping the executor does the same (Python's `with` block).
///
/// # Examples
///
/// ```
/// use threading::futures::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(4).unwrap();
/// let squares: Vec<i32> = pool.map(|x| x * x, 0..5).unwrap().map(Result::unwrap).collect();
/// assert_eq!(squares, [0, 1, 4, 9, 16]);
///
/// let f = pool.submit(|| "hello from a worker".len()).unwrap();
/// assert_eq!(f.result(), Ok(&19));
/// // Dropping the pool waits for its workers.
/// ```
///
/// # Differences from Python
///
/// * `ThreadPoolExecutor(max_workers=None)` is [`ThreadPoolExecutor::default`]; `initargs`
///   are the captures of the [`initializer`](ThreadPoolExecutorBuilder::initializer) closure;
///   `submit(fn, *args)` takes a closure (capture the arguments).
/// * `shutdown(wait, cancel_futures)` is a method family: [`shutdown`](ThreadPoolExecutor::shutdown),
///   [`shutdown_nowait`](ThreadPoolExecutor::shutdown_nowait),
///   [`shutdown_cancel`](ThreadPoolExecutor::shutdown_cancel) and
///   [`shutdown_cancel_nowait`](ThreadPoolExecutor::shutdown_cancel_nowait).
/// * A shutdown that waits, called from one of the pool's own workers (including by dropping
///   the last `Arc` of the executor in a task), joins the other workers and skips itself, where
///   Python raises `RuntimeError('cannot join current thread')`.
/// * `shutdown(cancel_futures=True)` also notifies `wait`/`as_completed` about the futures it
///   cancels; in CPython a waiter on such a future is never woken.
/// * A failed future that is dropped without anyone looking at its failure is reported on
///   the thread excepthook (`threading::excepthook`, standard error by default) or to
///   [`on_unretrieved`](ThreadPoolExecutorBuilder::on_unretrieved);
///   [`report_unretrieved(false)`](ThreadPoolExecutorBuilder::report_unretrieved) turns that
///   off.
/// * A worker whose initializer fails reports it through the thread excepthook (Python logs it as
///   CRITICAL) and exits; so do the other workers once the queue is drained, instead of
///   idling until shutdown.
/// * In a stream of trivial tasks a worker takes a few at once (at most 8, and only while
///   each takes under 2 µs), where CPython's take one at a time; those tasks stay pending
///   until they start, an idle worker takes them over, and `shutdown(cancel_futures=True)`
///   cancels them, so what a program can observe is the same.
///
/// [`concurrent.futures.ThreadPoolExecutor`]: https://docs.python.org/3/library/concurrent.futures.html#threadpoolexecutor
pub struct ThreadPoolExecutor {
    shared: Arc<Shared>,
}

impl UnwindSafe for ThreadPoolExecutor {}
impl RefUnwindSafe for ThreadPoolExecutor {}

impl ThreadPoolExecutor {
    /// A pool of at most `max_workers` threads: Python's `ThreadPoolExecutor(max_workers)`.
    ///
    /// No thread starts until the first [`submit`](ThreadPoolExecutor::submit).
    ///
    /// # Errors
    ///
    /// [`ValueError`] of kind [`MaxWorkers`](ValueErrorKind::MaxWorkers) ("max_workers must
    /// be greater than 0") if `max_workers` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    /// use threading::ValueErrorKind;
    ///
    /// let pool = ThreadPoolExecutor::new(2).unwrap();
    /// assert_eq!(pool.max_workers(), 2);
    /// assert_eq!(pool.worker_count(), 0); // lazy
    /// let err = ThreadPoolExecutor::new(0).unwrap_err();
    /// assert_eq!(err.kind(), ValueErrorKind::MaxWorkers);
    /// assert_eq!(err.to_string(), "max_workers must be greater than 0");
    /// ```
    pub fn new(max_workers: usize) -> Result<ThreadPoolExecutor, ValueError> {
        ThreadPoolExecutor::builder().max_workers(max_workers).build()
    }

    /// A builder for the other options: thread name prefix, initializer, failure reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::builder()
    ///     .max_workers(2)
    ///     .thread_name_prefix("SpecialPool")
    ///     .build()
    ///     .unwrap();
    /// let name = pool.submit(|| std::thread::current().name().map(String::from)).unwrap();
    /// assert_eq!(name.result().unwrap().as_deref(), Some("SpecialPool_0"));
    /// ```
    pub fn builder() -> ThreadPoolExecutorBuilder {
        ThreadPoolExecutorBuilder::new()
    }

    /// Python's default `max_workers`: `min(32, CPUs + 4)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let n = ThreadPoolExecutor::default_max_workers();
    /// assert!((5..=32).contains(&n));
    /// assert_eq!(ThreadPoolExecutor::default().max_workers(), n);
    /// ```
    #[must_use]
    pub fn default_max_workers() -> usize {
        (thread::available_parallelism() + 4).min(32)
    }

    /// The most workers this pool starts.
    #[must_use]
    pub fn max_workers(&self) -> usize {
        self.shared.max_workers
    }

    /// How many workers have been started so far (Python's `len(executor._threads)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(5).unwrap();
    /// for i in 0..3 {
    ///     pool.submit(move || i).unwrap().result().unwrap();
    /// }
    /// assert_eq!(pool.worker_count(), 1); // the idle worker was reused
    /// ```
    #[must_use]
    pub fn worker_count(&self) -> usize {
        self.shared.with_state(|s| s.started)
    }

    /// Queues `task` and returns the future of its value: Python's `submit(fn, *args)`.
    ///
    /// Starts a worker if no idle one can take the task and fewer than `max_workers` exist.
    /// If the task panics, the future holds the panic ([`FutureError::Panicked`]).
    ///
    /// # Errors
    ///
    /// * [`SubmitError::Shutdown`] after [`shutdown`](ThreadPoolExecutor::shutdown) (Python's
    ///   `RuntimeError('cannot schedule new futures after shutdown')`);
    /// * [`SubmitError::BrokenThreadPool`] once a thread initializer has failed;
    /// * [`SubmitError::Spawn`] if no worker exists and none could be started.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(2).unwrap();
    /// let f = pool.submit(|| 2_i32.pow(8)).unwrap();
    /// assert_eq!(f.result(), Ok(&256));
    /// ```
    pub fn submit<F, T>(&self, task: F) -> Result<Future<T>, SubmitError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let task = Arc::new(Task {
            inner: Inner::new(self.shared.report.clone()),
            task: UnsafeCell::new(Some(task)),
        });
        let future = Future::first(Arc::clone(&task) as Arc<dyn FutureShared<T>>);
        match self.shared.push(Job(Some(task))) {
            Ok(()) => Ok(future),
            // Dropping the job cancels its (unreachable) future.
            Err((error, _job)) => Err(error),
        }
    }

    /// Runs `f` on every item and yields the results in input order: Python's
    /// `map(fn, iterable)`.
    ///
    /// Every item is submitted at once (the input is consumed by this call); the results are
    /// waited for lazily, as the returned [`Map`] is iterated. A failed item is an `Err` at its
    /// position (the iteration goes on). Dropping the iterator cancels the tasks that have not
    /// started.
    ///
    /// # Errors
    ///
    /// As [`submit`](ThreadPoolExecutor::submit); the items submitted before the failure are
    /// cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(3).unwrap();
    /// let mut results = pool.map(|x: i32| 10 / x, [5, 0, 2]).unwrap();
    /// assert_eq!(results.next().unwrap(), Ok(2));
    /// assert!(results.next().unwrap().unwrap_err().is_panic()); // divide by zero
    /// assert_eq!(results.next().unwrap(), Ok(5));
    /// assert!(results.next().is_none());
    /// ```
    pub fn map<I, F, T>(&self, f: F, items: I) -> Result<Map<T>, SubmitError>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        self.map_until(f, items, None)
    }

    /// Like [`map`](ThreadPoolExecutor::map), with one time budget for the whole iteration:
    /// Python's `map(fn, iterable, timeout=t)`.
    ///
    /// The budget starts now (at the call). Once it is spent, the first result not yet
    /// available is `Err(FutureError::Timeout)`, the tasks not yet started are cancelled, and
    /// the iteration ends.
    ///
    /// # Errors
    ///
    /// As [`map`](ThreadPoolExecutor::map).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(1).unwrap();
    /// let slow = |ms: u64| std::thread::sleep(Duration::from_millis(ms));
    /// let results: Vec<_> = pool.map_timeout(slow, [0, 0, 500], Duration::from_millis(100))
    ///     .unwrap()
    ///     .collect();
    /// assert_eq!(results.len(), 3);
    /// assert!(results[0].is_ok() && results[1].is_ok());
    /// assert!(results[2].as_ref().unwrap_err().is_timeout());
    /// ```
    pub fn map_timeout<I, F, T>(
        &self,
        f: F,
        items: I,
        timeout: Duration,
    ) -> Result<Map<T>, SubmitError>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        self.map_until(f, items, time::deadline_after(timeout))
    }

    fn map_until<I, F, T>(
        &self,
        f: F,
        items: I,
        deadline: Option<Instant>,
    ) -> Result<Map<T>, SubmitError>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        let f = Arc::new(f);
        let items = items.into_iter();
        // Sized up front when the input says how long it is (no regrowing per doubling).
        let mut futures = VecDeque::with_capacity(items.size_hint().0);
        for item in items {
            let f = Arc::clone(&f);
            match self.submit(move || f(item)) {
                Ok(future) => futures.push_back(future),
                Err(error) => {
                    for future in &futures {
                        future.cancel();
                    }
                    return Err(error);
                }
            }
        }
        Ok(Map { futures, deadline, ended: false })
    }

    /// Stops accepting tasks, lets the queued ones run, and waits for every worker to exit:
    /// Python's `shutdown(wait=True)`, also what dropping the executor does.
    ///
    /// Can be called any number of times. Called from one of the pool's workers, it does not
    /// wait for that worker (a thread cannot join itself).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(2).unwrap();
    /// let fs: Vec<_> = (0..10).map(|i| pool.submit(move || i).unwrap()).collect();
    /// pool.shutdown();
    /// assert!(fs.iter().all(|f| f.done())); // queued work ran before the workers exited
    /// assert!(pool.submit(|| 0).is_err());
    /// ```
    pub fn shutdown(&self) {
        self.shutdown_with(true, false);
    }

    /// Stops accepting tasks and returns at once; queued tasks still run: Python's
    /// `shutdown(wait=False)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(1).unwrap();
    /// let f = pool.submit(|| 7).unwrap();
    /// pool.shutdown_nowait();
    /// assert_eq!(f.result(), Ok(&7));
    /// ```
    pub fn shutdown_nowait(&self) {
        self.shutdown_with(false, false);
    }

    /// Stops accepting tasks, cancels the queued ones that have not started, and waits for the
    /// workers: Python's `shutdown(wait=True, cancel_futures=True)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(1).unwrap();
    /// let (started_tx, started) = mpsc::channel();
    /// let (release, release_rx) = mpsc::channel::<()>();
    /// let busy = pool.submit(move || { started_tx.send(()).unwrap(); release_rx.recv().unwrap(); 1 }).unwrap();
    /// started.recv().unwrap();
    /// let queued = pool.submit(|| 2).unwrap();
    /// std::thread::spawn(move || release.send(()).unwrap());
    /// pool.shutdown_cancel();
    /// assert!(queued.cancelled());
    /// assert_eq!(busy.result(), Ok(&1));
    /// ```
    pub fn shutdown_cancel(&self) {
        self.shutdown_with(true, true);
    }

    /// Stops accepting tasks, cancels the queued ones, and returns at once: Python's
    /// `shutdown(wait=False, cancel_futures=True)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(1).unwrap();
    /// pool.shutdown_cancel_nowait();
    /// assert!(pool.submit(|| ()).is_err());
    /// ```
    pub fn shutdown_cancel_nowait(&self) {
        self.shutdown_with(false, true);
    }

    fn shutdown_with(&self, wait: bool, cancel_futures: bool) {
        let (cancelled, workers) = self.shared.close(cancel_futures, wait);
        for job in cancelled {
            job.cancel();
        }
        for worker in workers {
            // Joining the calling thread itself (a worker shutting its own pool down) fails at
            // once with "cannot join current thread": skipped, see the type docs. A worker's
            // body never panics (tasks and initializers run under `catch_unwind`).
            let _ = worker.join();
        }
    }
}

impl Default for ThreadPoolExecutor {
    /// A pool with Python's default size, [`default_max_workers`](ThreadPoolExecutor::default_max_workers).
    fn default() -> ThreadPoolExecutor {
        ThreadPoolExecutor::builder().build().expect("the default max_workers is positive")
    }
}

impl Drop for ThreadPoolExecutor {
    /// `shutdown(wait=True)`: the end of Python's `with ThreadPoolExecutor() as ex:` block.
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (workers, queued, shutdown, broken) =
            self.shared.with_state(|s| (s.started, s.jobs.len(), s.shutdown, s.broken));
        f.debug_struct("ThreadPoolExecutor")
            .field("prefix", &self.shared.prefix)
            .field("max_workers", &self.shared.max_workers)
            .field("workers", &workers)
            .field("queued", &queued)
            .field("shutdown", &shutdown)
            .field("broken", &broken)
            .finish()
    }
}

/// Builds a [`ThreadPoolExecutor`] with Python's keyword arguments (`max_workers`,
/// `thread_name_prefix`, `initializer`) and the failure-report settings.
///
/// # Examples
///
/// ```
/// use threading::futures::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::builder()
///     .max_workers(3)
///     .thread_name_prefix("io")
///     .initializer(|| println!("worker ready"))
///     .report_unretrieved(false)
///     .build()
///     .unwrap();
/// assert_eq!(pool.max_workers(), 3);
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct ThreadPoolExecutorBuilder {
    max_workers: Option<usize>,
    prefix: Option<String>,
    initializer: Option<Initializer>,
    report: Report,
}

impl ThreadPoolExecutorBuilder {
    /// Python's defaults: `min(32, CPUs + 4)` workers, prefix `ThreadPoolExecutor-N`, no
    /// initializer, unretrieved failures reported through the thread excepthook.
    pub fn new() -> ThreadPoolExecutorBuilder {
        ThreadPoolExecutorBuilder {
            max_workers: None,
            prefix: None,
            initializer: None,
            report: Report::Stderr,
        }
    }

    /// The most worker threads the pool starts (must be at least 1, checked by
    /// [`build`](ThreadPoolExecutorBuilder::build)).
    pub fn max_workers(mut self, max_workers: usize) -> ThreadPoolExecutorBuilder {
        self.max_workers = Some(max_workers);
        self
    }

    /// Worker names become `<prefix>_0`, `<prefix>_1`, …: Python's `thread_name_prefix`. An
    /// empty prefix means the default, `ThreadPoolExecutor-N`.
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> ThreadPoolExecutorBuilder {
        let prefix = prefix.into();
        self.prefix = (!prefix.is_empty()).then_some(prefix);
        self
    }

    /// Runs `init` once in each worker, before its first task: Python's `initializer` (its
    /// `initargs` are the closure's captures).
    ///
    /// `init` returns `()` or `Result<(), E>`. If it returns an error or panics, the pool is
    /// broken: the failure is reported through the thread excepthook, every queued future fails with
    /// [`BrokenThreadPool`], and so does every later submit.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::builder()
    ///     .max_workers(1)
    ///     .initializer(|| -> Result<(), String> { Err("no database".into()) })
    ///     .build()
    ///     .unwrap();
    /// let f = pool.submit(|| 1).unwrap();
    /// assert!(f.result().unwrap_err().is_broken());
    /// ```
    pub fn initializer<F, R>(mut self, init: F) -> ThreadPoolExecutorBuilder
    where
        F: Fn() -> R + Send + Sync + 'static,
        R: InitializerResult,
    {
        self.initializer = Some(Arc::new(move || init().into_init_result()));
        self
    }

    /// Whether a failed future that is dropped without anyone looking at its failure is
    /// reported (through the thread excepthook, `threading::excepthook`, which prints to standard
    /// error by default; or to [`on_unretrieved`](ThreadPoolExecutorBuilder::on_unretrieved)).
    /// On by default; `false` turns it off.
    pub fn report_unretrieved(mut self, on: bool) -> ThreadPoolExecutorBuilder {
        if !on {
            self.report = Report::Off;
        } else if !self.report.is_on() {
            self.report = Report::Stderr;
        }
        self
    }

    /// Sends unretrieved failures (see [`Unretrieved`]) to `hook` instead of the excepthook.
    /// The hook runs on whichever thread drops the last reference to the future; a hook that
    /// panics is reported through the excepthook.
    pub fn on_unretrieved(
        mut self,
        hook: impl Fn(&Unretrieved<'_>) + Send + Sync + 'static,
    ) -> ThreadPoolExecutorBuilder {
        let hook: Hook = Arc::new(Box::new(hook));
        self.report = Report::Hook(hook);
        self
    }

    /// Creates the executor (no thread starts yet).
    ///
    /// # Errors
    ///
    /// [`ValueError`] of kind [`MaxWorkers`](ValueErrorKind::MaxWorkers) if `max_workers` is 0.
    pub fn build(self) -> Result<ThreadPoolExecutor, ValueError> {
        let max_workers = self.max_workers.unwrap_or_else(ThreadPoolExecutor::default_max_workers);
        if max_workers == 0 {
            return Err(ValueError::new(ValueErrorKind::MaxWorkers));
        }
        let prefix = self.prefix.unwrap_or_else(|| {
            format!("ThreadPoolExecutor-{}", EXECUTORS.fetch_add(1, Ordering::Relaxed))
        });
        let shared = Shared {
            max_workers,
            prefix,
            initializer: self.initializer,
            report: self.report,
            lock: Lock::new(),
            state: UnsafeCell::new(State {
                jobs: VecDeque::new(),
                workers: Vec::new(),
                batches: Vec::new(),
                started: 0,
                sleepers: 0,
                spinning: 0,
                shutdown: false,
                exit_shutdown: false,
                broken: false,
            }),
            signal: AtomicUsize::new(0),
            idle: Idle { returning: AtomicUsize::new(0), full: AtomicBool::new(false) },
            wake_pending: AtomicBool::new(false),
        };
        Ok(ThreadPoolExecutor { shared: Arc::new(shared) })
    }
}

impl Default for ThreadPoolExecutorBuilder {
    fn default() -> ThreadPoolExecutorBuilder {
        ThreadPoolExecutorBuilder::new()
    }
}

impl fmt::Debug for ThreadPoolExecutorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolExecutorBuilder")
            .field("max_workers", &self.max_workers)
            .field("thread_name_prefix", &self.prefix)
            .field("initializer", &self.initializer.is_some())
            .field("report", &self.report)
            .finish()
    }
}

/// The iterator of [`ThreadPoolExecutor::map`]: the results in input order.
///
/// Each item waits for its task. Items are `Ok(value)` or `Err(FutureError)` for a task that
/// failed (the iteration continues); with a time budget
/// ([`map_timeout`](ThreadPoolExecutor::map_timeout)), the first item not ready in time is
/// `Err(FutureError::Timeout)` and ends the iteration. Dropping the iterator cancels the tasks
/// that have not started (CPython's `result_iterator` `finally`).
#[must_use = "dropping the iterator cancels the tasks that have not started"]
pub struct Map<T> {
    futures: VecDeque<Future<T>>,
    deadline: Option<Instant>,
    ended: bool,
}

impl<T> Map<T> {
    /// Cancels every remaining task that has not started, and ends the iteration.
    fn cancel_rest(&mut self) {
        self.ended = true;
        for future in mem::take(&mut self.futures) {
            future.cancel();
        }
    }
}

impl<T> Iterator for Map<T> {
    type Item = Result<T, FutureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        let future = self.futures.pop_front()?;
        let waited = match self.deadline {
            Some(d) => future.result_deadline(d).map(|_| ()),
            None => future.result().map(|_| ()),
        };
        if let Err(error) = waited
            && error.is_timeout()
        {
            future.cancel();
            self.cancel_rest();
            return Some(Err(error));
        }
        // Done: `into_result` returns at once, and this is the only handle.
        Some(future.into_result())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = if self.ended { 0 } else { self.futures.len() };
        (n, Some(n))
    }
}

impl<T> std::iter::FusedIterator for Map<T> {}

impl<T> ExactSizeIterator for Map<T> {}

impl<T> Drop for Map<T> {
    fn drop(&mut self) {
        self.cancel_rest();
    }
}

impl<T> fmt::Debug for Map<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("remaining", &self.futures.len())
            .field("deadline", &self.deadline)
            .field("ended", &self.ended)
            .finish()
    }
}

/// CPython's `_python_exit`: when the program ends, shut down every live pool (without
/// waiting) before the thread crate joins the non-daemon threads, so idle workers exit once
/// their queue is empty and queued work still runs; later submits fail.
mod exit {
    use alloc::sync::{Arc, Weak};
    use alloc::vec::Vec;
    use std::panic::{self, AssertUnwindSafe};

    use threading_core::atomic::{AtomicBool, Ordering};
    use threading_core::cell::UnsafeCell;
    use threading_lock::Lock;

    use super::Shared;

    /// The pools that have started a worker.
    struct Pools {
        lock: Lock,
        /// Guarded by `lock`.
        list: UnsafeCell<Vec<Weak<Shared>>>,
        registered: AtomicBool,
        exiting: AtomicBool,
    }

    // SAFETY: `list` is only touched with `lock` held; `Weak<Shared>` is `Send + Sync`.
    unsafe impl Sync for Pools {}

    threading_core::global! {
        static POOLS: Pools = Pools {
            lock: Lock::new(),
            list: UnsafeCell::new(Vec::new()),
            registered: AtomicBool::new(false),
            exiting: AtomicBool::new(false),
        };
    }

    /// Lists `pool` (when it starts its first worker), forgetting pools that are gone.
    pub(super) fn register(pool: &Arc<Shared>) {
        let _guard = POOLS.lock.lock();
        // SAFETY: `lock` is held.
        POOLS.list.with_mut(|l| unsafe {
            (*l).retain(|p| p.strong_count() > 0);
            (*l).push(Arc::downgrade(pool));
        });
    }

    /// Registers the at-exit shutdown, once per process.
    pub(super) fn register_hook() {
        if !POOLS.registered.load(Ordering::Relaxed)
            && !POOLS.registered.swap(true, Ordering::AcqRel)
        {
            let _ = threading_core::process::at_exit(at_exit);
        }
    }

    /// Whether the program is exiting.
    pub(super) fn exiting() -> bool {
        POOLS.exiting.load(Ordering::Relaxed)
    }

    extern "C" fn at_exit() {
        let _ = panic::catch_unwind(AssertUnwindSafe(shutdown_all));
    }

    fn shutdown_all() {
        POOLS.exiting.store(true, Ordering::Relaxed);
        let pools: Vec<Arc<Shared>> = {
            let _guard = POOLS.lock.lock();
            // SAFETY: `lock` is held.
            POOLS.list.with_mut(|l| unsafe { (*l).iter().filter_map(Weak::upgrade).collect() })
        };
        for pool in pools {
            pool.with_state(|state| state.exit_shutdown = !state.shutdown);
            pool.close(false, false);
        }
    }
}
