//! Shared support for the workspace's integration tests, after CPython's `Lib/test/lock_tests.py`.
//!
//! * [`Bunch`]: a group of threads running the same closure, with counters for "started" and
//!   "finished" and an optional gate that holds them before exit (CPython's `Bunch`).
//! * [`assert_timeout`]: CPython's tolerance for timed operations (at least 0.6× and less than
//!   10× the expected duration).
//! * [`wait_threads_blocked`]: CPython's helper of that name, a moment for started threads to
//!   block.
//! * [`wait_until`]: polls an observable condition with a deadline, for the places where CPython
//!   sleeps "long enough for the threads to block".
//! * [`assert_stays`]: the negative check, "the waiters are still blocked", held for a while.
//! * [`wait_until_asleep`]: waits until a given thread sleeps in the kernel (Linux: `/proc`).
//!
//! * [`arm_watchdog`]: aborts the whole test process if it is still running after
//!   [`WATCHDOG`], so a deadlocked test fails CI in minutes instead of at its time limit. Every
//!   helper here arms it.
//!
//! * [`soak`]: the soak engine behind `cargo xtask soak` (every primitive at once, invariants
//!   checked continuously).
//!
//! This is test code, not algorithm code: it may use `std::sync` freely.

pub mod soak;

use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long any helper waits for something that should happen "soon" before failing the test.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// How long a test process may run before [`arm_watchdog`]'s thread aborts it. The whole
/// integration suite takes seconds; this is for a deadlock, which would otherwise hang CI.
pub const WATCHDOG: Duration = Duration::from_secs(10 * 60);

/// Starts (once per process) a thread that aborts the process, with a message, after
/// [`WATCHDOG`].
///
/// Not under Miri: there the clock is virtual (it advances with every basic block interpreted
/// and jumps ahead whenever every thread is blocked), so ten "minutes" pass within a few minutes
/// of a healthy run, and a thread still sleeping when `main` returns would be reported as a
/// leak. Miri detects a real deadlock by itself ("deadlock: the evaluated program deadlocked").
pub fn arm_watchdog() {
    if cfg!(miri) {
        return;
    }
    static ARMED: std::sync::Once = std::sync::Once::new();
    ARMED.call_once(|| {
        thread::Builder::new()
            .name("test-watchdog".into())
            .spawn(|| {
                thread::sleep(WATCHDOG);
                eprintln!(
                    "threading-tests watchdog: the test process is still running after \
                     {WATCHDOG:?}: a test is deadlocked; aborting"
                );
                std::process::abort();
            })
            .expect("spawn the test watchdog");
    });
}

/// Asserts `elapsed` is a plausible duration for an operation that should take `expected`:
/// CPython's `assertTimeout` tolerance, `0.6 × expected <= elapsed < 10 × expected`.
///
/// # Panics
///
/// When `elapsed` is outside the tolerance.
#[track_caller]
pub fn assert_timeout(elapsed: Duration, expected: Duration) {
    arm_watchdog();
    let low = expected.mul_f64(0.6);
    let high = expected * 10;
    assert!(
        elapsed >= low && elapsed < high,
        "elapsed {elapsed:?} outside [{low:?}, {high:?}) for an expected {expected:?}"
    );
}

/// Polls `cond` every millisecond until it holds; panics after [`PATIENCE`].
///
/// For conditions that are observable (a counter, `locked()`, a waiter count), not for "the
/// thread has probably blocked by now".
///
/// # Panics
///
/// If `cond` is still false after [`PATIENCE`].
#[track_caller]
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    arm_watchdog();
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// CPython's `wait_threads_blocked(n)`: the threads of `bunch` have started, then `0.01 * n` s
/// (at most 1 s) for them to block, for the checks that need threads asleep ("parked" cannot
/// be observed from outside).
pub fn wait_threads_blocked(bunch: &Bunch, n: usize) {
    bunch.wait_for_started();
    thread::sleep(Duration::from_millis(10 * n as u64).min(Duration::from_secs(1)));
}

/// Waits until the thread with OS id `native_id` (its `threading::get_native_id()`) is asleep
/// in the kernel, for the checks that need a waiter parked rather than still spinning.
///
/// On Linux this reads the thread's state in `/proc/self/task/<id>/stat` until it is `S`
/// (sleeping) on two reads 10 ms apart, so a short block elsewhere is not mistaken for a park;
/// on a loaded machine a spinning waiter's `yield_now`s can take many milliseconds each, so a
/// fixed delay is not enough there. Elsewhere (under Miri, whose isolation forbids opening
/// files, and if `/proc` cannot be read) it falls back to a 200 ms pause.
pub fn wait_until_asleep(native_id: u64) {
    arm_watchdog();
    if cfg!(miri) {
        thread::sleep(Duration::from_millis(200));
        return;
    }
    let path = format!("/proc/self/task/{native_id}/stat");
    let state = || {
        let stat = std::fs::read_to_string(&path).ok()?;
        // `pid (comm) S ...`: the state follows the last ')' (comm may contain anything).
        stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next())
    };
    if state().is_none() {
        thread::sleep(Duration::from_millis(200));
        return;
    }
    let deadline = Instant::now() + PATIENCE;
    let mut asleep_before = false;
    loop {
        let asleep = state() == Some('S');
        if asleep && asleep_before {
            return;
        }
        asleep_before = asleep;
        assert!(Instant::now() < deadline, "thread {native_id} never went to sleep");
        thread::sleep(Duration::from_millis(10));
    }
}

/// Asserts `cond` holds during the whole of `period`, polling every millisecond.
///
/// The negative counterpart of [`wait_until`], for CPython's "`_wait()`, then assert nobody got
/// through yet". It is a check, not synchronisation: a correct primitive passes it however the
/// threads are scheduled, and a broken one is caught only if it misbehaves within `period`.
///
/// # Panics
///
/// As soon as `cond` is false.
#[track_caller]
pub fn assert_stays(what: &str, period: Duration, mut cond: impl FnMut() -> bool) {
    arm_watchdog();
    let end = Instant::now() + period;
    loop {
        assert!(cond(), "expected {what} to hold for {period:?}, but it stopped holding");
        if Instant::now() >= end {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `f` on the calling thread and returns how long it took, with its result.
pub fn timed<R>(f: impl FnOnce() -> R) -> (Duration, R) {
    arm_watchdog();
    let start = Instant::now();
    let r = f();
    (start.elapsed(), r)
}

#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }

    fn wait(&self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = self.cv.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// A bunch of threads running the same closure: CPython's `lock_tests.Bunch`.
///
/// Each thread gets its index `0..n`. With `wait_before_exit`, threads finish `f` and then wait
/// until [`Bunch::do_finish`] before they count as finished, as in CPython, where the
/// `finished` list is appended after the wait.
///
/// Dropping a `Bunch` opens the gate and joins every thread; a panic in any thread is re-raised
/// by [`Bunch::wait_for_finished`] (or by the drop, if not already panicking).
pub struct Bunch {
    n: usize,
    started: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
    gate: Arc<Gate>,
    handles: Vec<JoinHandle<()>>,
}

impl Bunch {
    /// Starts `n` threads, each running `f(index)`.
    pub fn new<F>(n: usize, wait_before_exit: bool, f: F) -> Bunch
    where
        F: Fn(usize) + Send + Sync + 'static,
    {
        arm_watchdog();
        let f = Arc::new(f);
        let started = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Gate::default());
        if !wait_before_exit {
            gate.open();
        }
        let handles = (0..n)
            .map(|i| {
                let (f, started, finished, gate) =
                    (f.clone(), started.clone(), finished.clone(), gate.clone());
                thread::Builder::new()
                    .name(format!("bunch-{i}"))
                    .spawn(move || {
                        started.fetch_add(1, Ordering::SeqCst);
                        let r = panic::catch_unwind(panic::AssertUnwindSafe(|| f(i)));
                        gate.wait();
                        finished.fetch_add(1, Ordering::SeqCst);
                        if let Err(p) = r {
                            panic::resume_unwind(p);
                        }
                    })
                    .expect("spawn bunch thread")
            })
            .collect();
        Bunch { n, started, finished, gate, handles }
    }

    /// How many threads have started.
    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    /// How many threads have finished (returned from `f` and passed the gate).
    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }

    /// Waits until every thread has started.
    #[track_caller]
    pub fn wait_for_started(&self) {
        wait_until("all bunch threads started", || self.started() == self.n);
    }

    /// Lets threads created with `wait_before_exit` finish.
    pub fn do_finish(&self) {
        self.gate.open();
    }

    /// Opens the gate, joins every thread and re-raises the first panic among them.
    #[track_caller]
    pub fn wait_for_finished(mut self) {
        self.join_all();
    }

    fn join_all(&mut self) {
        self.gate.open();
        let mut first_panic = None;
        for h in self.handles.drain(..) {
            if let Err(p) = h.join() {
                first_panic.get_or_insert(p);
            }
        }
        if let Some(p) = first_panic
            && !thread::panicking()
        {
            panic::resume_unwind(p);
        }
    }
}

impl Drop for Bunch {
    fn drop(&mut self) {
        self.join_all();
    }
}

impl std::fmt::Debug for Bunch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bunch")
            .field("n", &self.n)
            .field("started", &self.started())
            .field("finished", &self.finished())
            .finish()
    }
}

/// The OS thread ids of the pool workers whose names start with `prefix` (the pool's
/// `thread_name_prefix`), in start order.
///
/// # Panics
///
/// If a matching thread has no OS id (it has not started).
pub fn worker_ids(prefix: &str) -> Vec<u64> {
    let mut workers: Vec<(String, u64)> = threading::enumerate()
        .into_iter()
        .filter(|t| t.name().starts_with(&format!("{prefix}_")))
        .map(|t| (t.name(), t.native_id().expect("a started worker has an OS id")))
        .collect();
    workers.sort();
    workers.into_iter().map(|(_, id)| id).collect()
}
