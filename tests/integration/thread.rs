//! Behaviour tests for [`threading::Thread`] and the module functions around it: CPython's
//! `Lib/test/test_threading.py` (`ThreadTests`, `ThreadJoinOnShutdown`,
//! `ThreadingExceptionTests`, `ExceptHookTests`) and the THR-xx / EXC-xx rows of
//! `python-semantics.md` §8–9.
//!
//! Test names carry the row ID (`thr_05_...`) or the CPython test name (`test_various_ops`).
//! What needs a whole process (the end of the program, stderr, process-wide settings) runs
//! `tests/bin/daemon_child.rs` as a child process.
//!
//! The test harness runs tests on its own threads, which this crate did not start: there
//! `current_thread()` is a `Dummy-N` record, a daemon, so threads created directly by a test
//! are daemon threads by default (as in Python, where a thread inherits its creator's flag).

use std::collections::HashSet;
use std::hash::{Hash as _, Hasher as _};
#[cfg(not(miri))] // Only the child-process tests, which Miri cannot run, use these.
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use threading::{
    Condition, Event, ExceptHookArgs, JoinError, Lock, MAIN_ID, MIN_STACK_SIZE, PanicLocation, Run,
    RuntimeError, RuntimeErrorKind, StartError, TIMEOUT_MAX, Thread, Timer, ValueErrorKind,
    active_count, current_thread, default_excepthook, enumerate, excepthook, get_ident,
    get_native_id, live_records, main_thread, set_excepthook, set_stack_size, stack_size,
};
use threading_tests::{PATIENCE, assert_timeout, timed, wait_until};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Runs the child process in `mode`, with a clean environment for its output (no backtraces,
/// the default stack size); fails the test if it is still running after [`PATIENCE`].
#[cfg(not(miri))] // Only for the child-process tests, which Miri cannot run.
pub(crate) fn child(args: &[&str]) -> Output {
    child_with(args, None)
}

/// [`child`], with `RUST_BACKTRACE` set to `backtrace` if given.
#[cfg(not(miri))] // Only for the child-process tests, which Miri cannot run.
fn child_with(args: &[&str], backtrace: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_daemon_child"));
    match backtrace {
        Some(value) => cmd.env("RUST_BACKTRACE", value),
        None => cmd.env_remove("RUST_BACKTRACE"),
    };
    cmd.args(args)
        .env_remove("RUST_MIN_STACK")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let process = cmd.spawn().expect("start the child process");
    let pid = process.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(process.wait_with_output()));
    match rx.recv_timeout(PATIENCE) {
        Ok(output) => output.expect("wait for the child process"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("child {args:?} still running after {PATIENCE:?}");
        }
    }
}

#[cfg(not(miri))] // Only for the child-process tests, which Miri cannot run.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `RuntimeErrorKind` of a failed join.
fn join_kind(r: Result<(), JoinError>) -> Option<RuntimeErrorKind> {
    r.err().and_then(|e| e.runtime_error()).map(|e| e.kind())
}

/// The N of a `Thread-N…` name.
fn counter_of(name: &str) -> usize {
    let digits: String =
        name.trim_start_matches("Thread-").chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("not a Thread-N name: {name}"))
}

/// What a capturing excepthook saw: message, location, thread name.
pub(crate) type Reports = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

/// Installs an excepthook that records the reports of threads whose name starts with `prefix`
/// and passes every other report to the default hook (so tests running in parallel keep
/// their behaviour). The tests that install a hook take turns through the returned guard,
/// which restores the default hook when dropped.
pub(crate) fn capture_reports(prefix: &'static str) -> (HookGuard, Reports) {
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let reports: Reports = Arc::default();
    let r = Arc::clone(&reports);
    set_excepthook(move |args: &ExceptHookArgs| {
        let name = args.thread().map(Thread::name);
        if name.as_deref().is_some_and(|n| n.starts_with(prefix)) {
            let location = args.location().map(ToString::to_string);
            r.lock().unwrap().push((args.message().to_owned(), location, name));
        } else {
            default_excepthook(args);
        }
    });
    (HookGuard { _turn: turn }, reports)
}

/// Restores the default excepthook when dropped.
pub(crate) struct HookGuard {
    _turn: MutexGuard<'static, ()>,
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        set_excepthook(default_excepthook);
    }
}

/// A counting semaphore over `threading::Condition` (CPython's test uses a BoundedSemaphore).
struct Sema {
    cond: Condition<Lock>,
    free: AtomicUsize,
}

impl Sema {
    fn new(n: usize) -> Sema {
        Sema { cond: Condition::with_lock(Lock::new()), free: AtomicUsize::new(n) }
    }

    fn acquire(&self) {
        let g = self.cond.lock();
        g.wait_for(|| self.free.load(Ordering::SeqCst) > 0).unwrap();
        self.free.fetch_sub(1, Ordering::SeqCst);
    }

    fn release(&self) {
        let g = self.cond.lock();
        self.free.fetch_add(1, Ordering::SeqCst);
        g.notify().unwrap();
    }
}

/// CPython's `TestThread`: at most 3 of the tasks run at once, checked with a counter.
struct TestThread {
    sema: Arc<Sema>,
    running: Arc<Mutex<usize>>,
}

impl Run for TestThread {
    type Output = ();
    fn run(self) {
        self.sema.acquire();
        {
            let mut n = self.running.lock().unwrap();
            *n += 1;
            assert!(*n <= 3, "{n} tasks running at once");
        }
        std::thread::yield_now();
        *self.running.lock().unwrap() -= 1;
        self.sema.release();
    }
}

/// CPython's `test_various_ops`, with the given stack size per thread (`None`: the default).
fn various_ops(stack: Option<usize>) {
    const NUMTASKS: usize = 10;
    let sema = Arc::new(Sema::new(3));
    let running = Arc::new(Mutex::new(0));
    let mut threads = Vec::new();
    for i in 0..NUMTASKS {
        let mut b = Thread::builder().name(format!("<thread {i}>"));
        if let Some(size) = stack {
            b = b.stack_size(size);
        }
        let t = b.build(TestThread { sema: Arc::clone(&sema), running: Arc::clone(&running) });
        assert_eq!(t.ident(), None);
        assert_eq!(format!("{t:?}"), format!("<Thread(<thread {i}>, initial daemon)>"));
        t.start().unwrap();
        threads.push(t);
    }
    // THR-05: 11 distinct native ids (the threads and the caller), none missing.
    let mut native: HashSet<u64> = threads.iter().map(|t| t.native_id().unwrap()).collect();
    native.insert(get_native_id());
    assert_eq!(native.len(), NUMTASKS + 1);
    for t in &threads {
        t.join().unwrap();
        assert!(!t.is_alive());
        let ident = t.ident().unwrap();
        assert_ne!(ident, 0);
        assert!(format!("{t:?}").ends_with(&format!(", stopped daemon {ident})>")), "{t:?}");
    }
    assert_eq!(*running.lock().unwrap(), 0);
    let idents: HashSet<usize> = threads.iter().map(|t| t.ident().unwrap()).collect();
    assert_eq!(idents.len(), NUMTASKS);
}

// ---------------------------------------------------------------------------------------------
// ThreadTests

#[test]
fn test_various_ops() {
    various_ops(None);
}

#[test]
fn test_various_ops_small_stack() {
    various_ops(Some(256 << 10));
}

#[test]
fn test_various_ops_large_stack() {
    various_ops(Some(1 << 20));
}

fn named_target() {}

/// A `Run` type of ours, for its default name.
struct Worker;

impl Run for Worker {
    type Output = &'static str;
    fn run(self) -> &'static str {
        "worked"
    }
}

/// A generic `Run` type: its name drops the arguments.
struct Generic<T>(T);

impl<T: Send + 'static> Run for Generic<T> {
    type Output = T;
    fn run(self) -> T {
        self.0
    }
}

#[test]
fn thr_01_test_name_default_names() {
    let explicit = Thread::builder().name("myname1").build(|| ());
    assert_eq!(explicit.name(), "myname1");
    let plain = Thread::new(|| ());
    let n = counter_of(&plain.name());
    assert_eq!(plain.name(), format!("Thread-{n} (<closure>)"));
    let func = Thread::new(named_target);
    let m = counter_of(&func.name());
    assert!(m > n, "the counter goes up: {n} then {m}");
    assert_eq!(func.name(), format!("Thread-{m} (named_target)"));
    // `name=''` counts as no name.
    let empty = Thread::builder().name("").build(named_target);
    let k = counter_of(&empty.name());
    assert!(k > m);
    assert_eq!(empty.name(), format!("Thread-{k} (named_target)"));
    let worker = Thread::new(Worker);
    assert!(worker.name().ends_with(" (Worker)"), "{}", worker.name());
    let generic = Thread::new(Generic(vec![1u8]));
    assert!(generic.name().ends_with(" (Generic)"), "{}", generic.name());
}

#[test]
fn thr_01_closure_in_generic_function_is_a_closure() {
    fn make<T: Send + 'static>(v: T) -> Thread<T> {
        Thread::new(move || v)
    }
    let t = make(5u64);
    assert!(t.name().ends_with(" (<closure>)"), "{}", t.name());
    let nested = Thread::new(|| {
        let inner = || 1;
        Thread::new(inner).name()
    });
    nested.start().unwrap();
    let inner_name = nested.join_output().unwrap();
    assert!(inner_name.ends_with(" (<closure>)"), "{inner_name}");
}

#[test]
fn thr_02_explicit_name_wins_and_setter() {
    let t = Thread::builder().name(123.to_string()).build(named_target);
    assert_eq!(t.name(), "123");
    t.set_name(42.to_string());
    assert_eq!(t.name(), "42");
    // Renaming works at any stage, also from inside the thread.
    let t = Thread::builder().name("before").build(|| current_thread().set_name("inside"));
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(t.name(), "inside");
}

#[test]
fn thr_30_thread_and_timer_share_the_counter() {
    let a = Thread::new(|| ());
    let timer = Timer::new(Duration::ZERO, || ());
    let b = Thread::new(|| ());
    let (na, nt, nb) = (counter_of(&a.name()), counter_of(&timer.name()), counter_of(&b.name()));
    assert!(na < nt && nt < nb, "{na} {nt} {nb}");
    assert_eq!(timer.name(), format!("Thread-{nt}"), "a Timer's name has no target part");
}

#[test]
fn thr_04_test_boolean_target_a_run_type_runs() {
    let t = Thread::new(Worker);
    t.start().unwrap();
    assert_eq!(t.join_output().unwrap(), "worked");
}

#[test]
fn thr_17_run_called_directly_runs_in_the_caller() {
    // `run` consumes the target: a second call does not compile (Python: AttributeError).
    let me = get_ident();
    let here = move || get_ident() == me;
    assert!(Run::run(here));
    assert_eq!(Run::run(Worker), "worked");
}

#[test]
fn thr_05_ident_and_native_id_lifecycle() {
    let go = Arc::new(Event::new());
    let g = Arc::clone(&go);
    let t = Thread::new(move || {
        g.wait();
        (get_ident(), get_native_id())
    });
    assert_eq!((t.ident(), t.native_id()), (None, None));
    t.start().unwrap();
    // THR-15: known as soon as `start` returns.
    let (ident, native) = (t.ident().unwrap(), t.native_id().unwrap());
    assert_ne!(ident, 0);
    assert_ne!(ident, get_ident());
    go.set();
    let t2 = t.clone();
    assert_eq!(t.join_output().unwrap(), (ident, native));
    // Kept after the thread has finished.
    assert_eq!((t2.ident(), t2.native_id()), (Some(ident), Some(native)));
}

#[test]
fn thr_06_is_alive_lifecycle() {
    let go = Arc::new(Event::new());
    let g = Arc::clone(&go);
    let t = Thread::new(move || g.wait());
    assert!(!t.is_alive());
    t.start().unwrap();
    assert!(t.is_alive());
    assert!(enumerate().contains(&t.untyped()), "listed as soon as start returns");
    go.set();
    t.join().unwrap();
    assert!(!t.is_alive());
}

#[test]
fn thr_07_test_repr_stages() {
    let go = Arc::new(Event::new());
    let g = Arc::clone(&go);
    let t = Thread::builder().name("n").daemon(false).build(move || g.wait());
    assert_eq!(format!("{t:?}"), "<Thread(n, initial)>");
    t.start().unwrap();
    let ident = t.ident().unwrap();
    assert_eq!(format!("{t:?}"), format!("<Thread(n, started {ident})>"));
    go.set();
    t.join().unwrap();
    assert_eq!(format!("{t:?}"), format!("<Thread(n, stopped {ident})>"));
    let d = Thread::builder().name("d").daemon(true).build(|| ());
    assert_eq!(format!("{d:?}"), "<Thread(d, initial daemon)>");
    assert_eq!(
        format!("{:?}", main_thread()),
        format!("<_MainThread(MainThread, started {MAIN_ID})>")
    );
    let dummy = std::thread::spawn(|| format!("{:?}", current_thread())).join().unwrap();
    assert!(
        dummy.starts_with("<_DummyThread(Dummy-") && dummy.contains(", started daemon "),
        "{dummy}"
    );
}

#[test]
fn test_repr_daemon() {
    let t = Thread::builder().daemon(false).build(|| ());
    assert!(!format!("{t:?}").contains("daemon"));
    t.set_daemon(true).unwrap();
    assert!(format!("{t:?}").contains("daemon"));
}

#[test]
fn test_daemon_param() {
    assert!(!Thread::builder().daemon(false).build(|| ()).daemon());
    assert!(Thread::builder().daemon(true).build(|| ()).daemon());
}

#[test]
fn daemon_defaults_to_the_creating_threads_flag() {
    // A test thread is a Dummy-N record, a daemon: what it creates is a daemon.
    assert!(current_thread().daemon());
    assert!(Thread::new(|| ()).daemon());
    // Inside a non-daemon thread, new threads are non-daemon; inside a daemon one, daemon.
    for flag in [false, true] {
        let t = Thread::builder().daemon(flag).build(|| Thread::new(|| ()).daemon());
        t.start().unwrap();
        assert_eq!(t.join_output().unwrap(), flag);
    }
    // The main thread is not a daemon (its children are not: see the shutdown child test).
    assert!(!main_thread().daemon());
}

#[test]
fn thr_08_test_start_thread_again() {
    let t = Thread::new(|| ());
    t.start().unwrap();
    let err: StartError = t.start().unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::ThreadStartedTwice);
    assert_eq!(err.to_string(), "threads can only be started once");
    t.join().unwrap();
    // Even after it has finished.
    assert_eq!(t.start().unwrap_err().kind(), RuntimeErrorKind::ThreadStartedTwice);
    // The main thread and dummy records were never "started" by anyone: same error.
    assert_eq!(main_thread().start().unwrap_err().kind(), RuntimeErrorKind::ThreadStartedTwice);
    // THR-31: ThreadError is RuntimeError.
    let runtime: RuntimeError = t.start().unwrap_err().into();
    assert_eq!(runtime.kind(), RuntimeErrorKind::ThreadStartedTwice);
}

#[test]
fn thr_10_test_joining_current_thread() {
    let t = Thread::new(|| {
        let err = current_thread().join().unwrap_err();
        (err.runtime_error().map(|e| e.kind()), err.to_string())
    });
    t.start().unwrap();
    assert_eq!(
        t.join_output().unwrap(),
        (Some(RuntimeErrorKind::JoinCurrentThread), "cannot join current thread".to_owned())
    );
    // Also with a timeout, and through another handle to the same thread.
    let t = Thread::new(|| {
        let me = current_thread();
        join_kind(me.join_timeout(Duration::from_secs(1)).map(|_| ()))
    });
    t.start().unwrap();
    assert_eq!(t.join_output().unwrap(), Some(RuntimeErrorKind::JoinCurrentThread));
}

#[test]
fn test_joining_inactive_thread() {
    let t = Thread::new(|| ());
    let err = t.join().unwrap_err();
    assert_eq!(err, JoinError::Runtime(RuntimeError::new(RuntimeErrorKind::JoinNotStarted)));
    assert_eq!(err.to_string(), "cannot join thread before it is started");
    assert_eq!(
        join_kind(t.join_timeout(Duration::ZERO).map(|_| ())),
        Some(RuntimeErrorKind::JoinNotStarted)
    );
    assert_eq!(t.clone().join_output().unwrap_err(), err);
}

#[test]
fn test_daemonize_active_thread() {
    let t = Thread::new(|| ());
    t.start().unwrap();
    let err = t.set_daemon(true).unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::DaemonOfActiveThread);
    assert_eq!(err.to_string(), "cannot set daemon status of active thread");
    t.join().unwrap();
    assert!(t.set_daemon(false).is_err(), "also after it has finished");
    assert!(main_thread().set_daemon(true).is_err());
}

#[test]
fn thr_12_zero_timeout_only_looks() {
    let go = Arc::new(Event::new());
    let g = Arc::clone(&go);
    let t = Thread::new(move || g.wait());
    t.start().unwrap();
    let (elapsed, r) = timed(|| t.join_timeout(Duration::ZERO));
    assert_eq!(r, Ok(false));
    assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
    assert!(t.is_alive());
    let (elapsed, r) = timed(|| t.join_timeout(Duration::from_millis(100)));
    assert_eq!(r, Ok(false));
    assert_timeout(elapsed, Duration::from_millis(100));
    go.set();
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert_eq!(t.join_timeout(Duration::ZERO), Ok(true));
    assert_eq!(t.join_deadline(Instant::now()), Ok(true), "a past deadline on a finished thread");
}

#[test]
fn thr_13_test_join_from_multiple_threads() {
    let go = Arc::new(Event::new());
    let g = Arc::clone(&go);
    let worker = Thread::new(move || g.wait());
    worker.start().unwrap();
    let joiners: Vec<Thread<bool>> = (0..10)
        .map(|_| {
            let w = worker.clone();
            Thread::new(move || {
                w.join().unwrap();
                !w.is_alive()
            })
        })
        .collect();
    for j in &joiners {
        j.start().unwrap();
    }
    go.set();
    worker.join().unwrap();
    worker.join().unwrap();
    for j in joiners {
        assert!(j.join_output().unwrap());
    }
}

#[test]
fn thr_22_test_foreign_thread_gets_a_dummy_record() {
    let records_before = live_records();
    let (tx, rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let foreign = std::thread::spawn(move || {
        let me = current_thread();
        // test_ident_of_no_threading_threads: the ident is the thread's own.
        assert_eq!(me.ident(), Some(get_ident()));
        assert_eq!(me.native_id(), Some(get_native_id()));
        assert!(current_thread() == me, "the same record every time");
        tx.send(me).unwrap();
        release_rx.recv().unwrap();
    });
    let dummy = rx.recv().unwrap();
    assert!(dummy.name().starts_with("Dummy-"), "{}", dummy.name());
    assert!(dummy.daemon() && dummy.is_alive());
    assert!(enumerate().contains(&dummy));
    assert_eq!(join_kind(dummy.join()), Some(RuntimeErrorKind::JoinDummyThread));
    assert_eq!(dummy.join().unwrap_err().to_string(), "cannot join a dummy thread");
    release_tx.send(()).unwrap();
    foreign.join().unwrap();
    // Removed when the OS thread exits (its thread-local guard is dropped then).
    wait_until("the dummy record is unlisted", || !enumerate().contains(&dummy));
    assert!(!dummy.is_alive());
    drop(dummy);
    wait_until("the dummy record is freed", || live_records() <= records_before);
}

#[test]
fn thr_26_test_main_thread() {
    let main = main_thread();
    assert_eq!(main.name(), "MainThread");
    assert_eq!(main.ident(), Some(MAIN_ID));
    assert!(main.is_alive() && !main.daemon());
    assert!(enumerate().contains(&main), "the main thread is listed");
    assert_eq!(enumerate()[0], main, "listed first (smallest ident)");
    #[cfg(target_os = "linux")]
    assert_eq!(main.native_id(), Some(u64::from(std::process::id())));
    let t = Thread::new(|| {
        (main_thread().ident() != current_thread().ident(), main_thread() == main_thread())
    });
    t.start().unwrap();
    assert_eq!(t.join_output().unwrap(), (true, true));
    // A test thread is not the main thread.
    assert!(current_thread() != main);
}

#[test]
fn thr_27_timeout_max_and_a_huge_timeout_join() {
    assert_eq!(TIMEOUT_MAX, Duration::MAX);
    let go = Arc::new(Event::new());
    let g = Arc::clone(&go);
    let t = Thread::new(move || g.wait());
    t.start().unwrap();
    let setter = std::thread::spawn(move || go.set());
    assert_eq!(t.join_timeout(TIMEOUT_MAX), Ok(true));
    assert_eq!(t.join_timeout(Duration::from_secs(u64::MAX)), Ok(true));
    setter.join().unwrap();
}

#[test]
fn thr_29_test_old_threading_api_has_snake_case_counterparts() {
    // isDaemon/setDaemon, getName/setName, activeCount, currentThread.
    let t = Thread::new(|| ());
    assert!(t.daemon());
    t.set_daemon(false).unwrap();
    assert!(!t.daemon());
    t.set_name("name");
    assert_eq!(t.name(), "name");
    assert!(active_count() >= 1);
    assert!(current_thread().is_alive());
}

#[test]
fn test_enumerate_after_join() {
    for _ in 1..if cfg!(miri) { 20 } else { 100 } {
        let t = Thread::new(|| ());
        t.start().unwrap();
        t.join().unwrap();
        let l = enumerate();
        assert!(!l.contains(&t.untyped()), "still listed after join: {l:?}");
    }
}

#[test]
fn test_no_refcycle_through_target() {
    /// An object whose thread's target refers back to the object.
    struct RunSelf {
        thread: Mutex<Option<Thread>>,
    }
    let (_hook, reports) = capture_reports("refcycle-");
    for should_panic in [false, true] {
        let object = Arc::new(RunSelf { thread: Mutex::new(None) });
        let weak = Arc::downgrade(&object);
        let o = Arc::clone(&object);
        let t = Thread::builder().name("refcycle-target").build(move || {
            let _other_ref = &o;
            assert!(!should_panic, "raising");
        });
        *object.thread.lock().unwrap() = Some(t.untyped());
        t.start().unwrap();
        assert_eq!(t.join().is_err(), should_panic);
        drop(t);
        drop(object);
        assert!(
            weak.upgrade().is_none(),
            "the target kept its object alive (panic: {should_panic})"
        );
    }
    assert_eq!(reports.lock().unwrap().len(), 1);
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn test_leak_without_join() {
    // In a fresh process: here, other tests' records come and go and no count is stable.
    let out = child(&["unjoined"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let before = lines[0].strip_prefix("before: ").unwrap();
    let after = lines[1].strip_prefix("after: ").unwrap();
    assert_eq!(before, after, "the unjoined thread's record was not freed");
}

#[test]
fn ten_thousand_short_threads_leave_the_registry_as_it_was() {
    // In this process other tests come and go: ours must all be gone. The exact counts are
    // checked in a child process below.
    let mut idents = HashSet::new();
    let (batches, per_batch) = if cfg!(miri) { (4, 10) } else { (100, 100) };
    for _ in 0..batches {
        let batch: Vec<Thread<usize>> = (0..per_batch).map(|i| Thread::new(move || i)).collect();
        for t in &batch {
            t.start().unwrap();
        }
        for (i, t) in batch.into_iter().enumerate() {
            idents.insert(t.ident().unwrap());
            assert_eq!(t.join_output().unwrap(), i);
        }
    }
    assert_eq!(idents.len(), batches * per_batch, "idents are unique");
    let listed: HashSet<usize> = enumerate().iter().filter_map(Thread::ident).collect();
    assert!(listed.is_disjoint(&idents), "a joined thread is still listed");
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn ten_thousand_short_threads_in_a_fresh_process() {
    let out = child(&["many", "10000"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let before = lines[0].strip_prefix("before: ").unwrap();
    let after = lines[1].strip_prefix("after: ").unwrap();
    assert_eq!(before, after, "registry size and record count changed");
    assert_eq!(before, "1 1", "only the main thread, listed and alive");
}

#[test]
fn join_output_value_once() {
    let t = Thread::new(|| String::from("result"));
    let other = t.clone();
    let untyped = t.untyped();
    t.start().unwrap();
    assert_eq!(untyped.clone().join_output(), Err(JoinError::NoOutput), "wrong type: not taken");
    assert_eq!(t.join_output().unwrap(), "result");
    assert_eq!(other.join_output(), Err(JoinError::NoOutput));
    assert_eq!(untyped.join(), Ok(()), "joins still work");
}

#[test]
fn unit_output_through_an_untyped_handle() {
    let t = Thread::new(|| ());
    t.start().unwrap();
    assert_eq!(t.untyped().join_output(), Ok(()));
}

#[test]
fn a_name_with_a_nul_byte_still_starts() {
    // The OS cannot take the NUL (std would panic on it): the OS name stops there, ours does not.
    let t = Thread::builder().name("a\0b").spawn(|| current_thread().name()).unwrap();
    assert_eq!(t.join_output().unwrap(), "a\0b");
}

#[test]
fn builder_spawn_starts() {
    let t = Thread::builder().name("spawned").spawn(|| current_thread().name()).unwrap();
    assert!(t.ident().is_some());
    assert_eq!(t.join_output().unwrap(), "spawned");
}

#[test]
fn identity_equality_and_hash() {
    let a = Thread::new(|| 1);
    let b = Thread::new(|| 1);
    assert!(a == a.clone() && a != b);
    assert!(a.untyped() == a);
    #[allow(clippy::mutable_key_type, reason = "Hash and Eq are the identity, which never changes")]
    let set: HashSet<Thread> = [a.untyped(), a.untyped(), b.untyped()].into_iter().collect();
    assert_eq!(set.len(), 2);
    let inside = Thread::new(current_thread);
    inside.start().unwrap();
    let seen = inside.clone().join_output().unwrap();
    assert!(seen == inside, "current_thread() inside is the thread itself");
}

#[test]
fn active_count_matches_enumerate() {
    let go = Arc::new(Event::new());
    let threads: Vec<Thread> = (0..3)
        .map(|_| {
            let g = Arc::clone(&go);
            Thread::new(move || g.wait())
        })
        .collect();
    for t in &threads {
        t.start().unwrap();
    }
    let listed = enumerate();
    for t in &threads {
        assert!(listed.contains(t));
    }
    let idents: Vec<usize> = listed.iter().map(|t| t.ident().unwrap()).collect();
    let mut sorted = idents.clone();
    sorted.sort_unstable();
    assert_eq!(idents, sorted, "enumerate is sorted by ident");
    assert!(active_count() >= 4);
    go.set();
    for t in &threads {
        t.join().unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// stack_size

#[test]
fn stack_size_rejects_what_python_rejects() {
    for bad in [1, 100, MIN_STACK_SIZE - 1] {
        let err = set_stack_size(bad).unwrap_err();
        assert_eq!(err.kind(), ValueErrorKind::StackSize);
        assert_eq!(err.to_string(), "size not valid: must be 0 or at least 32768 bytes");
    }
    // No test in this process changes the setting (the child process does, below).
    assert_eq!(stack_size(), 0);
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn stack_size_set_globally_is_honoured() {
    // The same recursion (16 MiB of frames) dies on the default stack and runs with
    // `set_stack_size(64 MiB)`.
    let out = child(&["deep", "global"]);
    assert!(out.status.success(), "{out:?}");
    assert!(text(&out.stdout).starts_with("recursed: "));
    let out = child(&["deep", "default"]);
    assert!(!out.status.success(), "the recursion fit in the default stack: {out:?}");
    // Under ThreadSanitizer (`cargo xtask tsan` sets `--cfg threading_tsan`) the runtime's own
    // SIGSEGV handling ends the child before Rust's stack-overflow handler prints its message.
    if !cfg!(threading_tsan) {
        assert!(text(&out.stderr).contains("overflowed its stack"), "{out:?}");
    }
}

/// Recursion needing about `depth` KiB of stack.
fn recurse(depth: usize) -> u64 {
    let frame = std::hint::black_box([depth as u8; 1024]);
    if depth == 0 { u64::from(frame[0]) } else { recurse(depth - 1) + u64::from(frame[1]) }
}

#[test]
fn stack_size_per_thread_is_honoured() {
    // 16 MiB of frames (the default stack is 2 MiB; the child test shows that overflows).
    let t = Thread::builder().stack_size(64 << 20).build(|| recurse(16 * 1024));
    t.start().unwrap();
    assert!(t.join_output().unwrap() > 0);
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn start_failure_is_an_error_and_the_thread_can_start_again() {
    // Per-thread: the OS refuses a 1 TiB stack.
    let t = Thread::builder().stack_size(1 << 40).build(|| ());
    let err = t.start().unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::CantStartThread);
    assert_eq!(err.to_string(), "can't start new thread");
    assert!(err.io_error_kind().is_some());
    assert!(std::error::Error::source(&err).is_some());
    assert!(!t.is_alive() && t.ident().is_none());
    assert_eq!(join_kind(t.join()), Some(RuntimeErrorKind::JoinNotStarted));
    // Process-wide, with a retry once the setting is fixed (a child process: the setting is
    // global).
    let out = child(&["start-retry"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        text(&out.stdout),
        format!(
            "first: can't start new thread (os error: yes)\nsecond: Ok(7)\n\
             min: Ok({MIN_STACK_SIZE}) Ok(8)\n"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// ThreadJoinOnShutdown, THR-23

#[cfg(not(miri))] // Only for the child-process tests, which Miri cannot run.
fn temp_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("threading-{tag}-{}", std::process::id()))
}

#[cfg(not(miri))] // Only for the child-process tests, which Miri cannot run.
fn assert_file_complete(path: &std::path::Path) {
    let content = std::fs::read_to_string(path).expect("the non-daemon thread wrote its file");
    let lines: Vec<&str> = content.lines().collect();
    assert_eq!(lines.len(), 2001, "the file is incomplete");
    assert_eq!(lines[1999], "line 1999");
    assert_eq!(lines[2000], "done");
    let _ = std::fs::remove_file(path);
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn thr_23_test_join_nondaemon_on_shutdown() {
    let path = temp_path("shutdown");
    let (elapsed, out) = timed(|| child(&["shutdown", path.to_str().unwrap()]));
    assert!(out.status.success(), "{out:?}");
    // test_1_join_on_shutdown: the thread joined the main thread, which ended first.
    assert_eq!(text(&out.stdout), "end of main\nend of thread\n");
    assert_eq!(text(&out.stderr), "");
    assert_file_complete(&path);
    // The daemon threads (one spinning, one blocked forever) were not waited for.
    assert!(elapsed < PATIENCE / 2, "{elapsed:?}");
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn thr_23_exit_code_comes_from_process_exit() {
    let path = temp_path("exit");
    let out = child(&["exit", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(text(&out.stdout), "end of main\nend of thread\n");
    assert_file_complete(&path);
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn thr_23_a_thread_calling_exit_while_joined_does_not_deadlock() {
    let out = child(&["worker-exit"]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert_eq!(text(&out.stdout), "b saw a finish: Ok(())\n");
}

// ---------------------------------------------------------------------------------------------
// ExceptHookTests, THR-16

/// The default report of the child's `failing_thread`, panicking at `location`.
#[cfg(not(miri))] // Only for the child-process tests, which Miri cannot run.
fn default_report(location: &str) -> String {
    format!("Exception in thread excepthook thread:\npanicked at {location}:\nrun failed\n")
}

/// The location the child's panicking target reports (`tests/bin/daemon_child.rs:L:C`).
#[cfg(not(miri))] // Only for the child-process tests, which Miri cannot run.
fn child_panic_location(stderr: &str) -> String {
    let line = stderr.lines().find(|l| l.starts_with("panicked at ")).expect("a location line");
    line.trim_start_matches("panicked at ").trim_end_matches(':').to_owned()
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn thr_16_exc_01_test_excepthook_default_report_once() {
    let out = child(&["panic"]);
    assert!(out.status.success(), "the exit code is unaffected: {out:?}");
    let stderr = text(&out.stderr);
    let location = child_panic_location(&stderr);
    assert!(location.starts_with("tests/bin/daemon_child.rs:"), "{location}");
    assert_eq!(stderr, default_report(&location), "exactly one report, no Rust panic message");
    assert_eq!(stderr.matches("run failed").count(), 1);
    assert_eq!(text(&out.stdout), "joined: the thread panicked: run failed\n");
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn exc_01_backtrace_when_asked_for() {
    let out = child_with(&["panic"], Some("1"));
    assert!(out.status.success(), "{out:?}");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.matches("stack backtrace:").count(), 1, "{stderr}");
    assert!(stderr.contains("failing_thread"), "the target's frame is shown: {stderr}");
    assert!(!stderr.contains("panic_filter"), "the hook's own frames are trimmed: {stderr}");
    // Trimmed like Rust's own hook: from the first frame after the panic machinery up to the
    // thread's start, both markers excluded, then the note.
    assert!(!stderr.contains("__rust_end_short_backtrace"), "{stderr}");
    assert!(!stderr.contains("__rust_begin_short_backtrace"), "{stderr}");
    let first = stderr.split("stack backtrace:\n").nth(1).and_then(|b| b.lines().next());
    assert!(
        first.is_some_and(|l| l
            .trim_start()
            .split_once(": ")
            .is_some_and(|(n, _)| n.parse::<usize>().is_ok())),
        "the backtrace starts with a numbered frame: {first:?}"
    );
    assert!(stderr.contains("note: Some details are omitted"), "{stderr}");
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn exc_03_test_custom_excepthook_receives_the_panic_once() {
    let out = child(&["hook-count"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        text(&out.stdout),
        "calls: 1, message: run failed, thread: excepthook thread, backtrace: false\n"
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr, default_report(&child_panic_location(&stderr)));
    // With RUST_BACKTRACE=1 the hook is handed the backtrace.
    let out = child_with(&["hook-count"], Some("1"));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        text(&out.stdout),
        "calls: 1, message: run failed, thread: excepthook thread, backtrace: true\n"
    );
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn a_hook_panicking_with_a_payload_that_panics_on_drop_is_survived() {
    let out = child(&["hook-panics-bad-payload"]);
    assert!(out.status.success(), "{out:?}");
    assert!(text(&out.stderr).starts_with("Exception in threading.excepthook:\n"), "{out:?}");
    assert_eq!(text(&out.stdout), "joined: the thread panicked: run failed\nafter: 42\n");
}

#[test]
fn exc_03_custom_hook_in_process() {
    let (_hook, reports) = capture_reports("exc03-");
    let t = Thread::builder().name("exc03-thread").build(|| -> u8 { panic!("run failed") });
    t.start().unwrap();
    let err = t.join().unwrap_err();
    assert_eq!(err, JoinError::Panicked("run failed".into()));
    assert_eq!(err.to_string(), "the thread panicked: run failed");
    assert!(err.is_panicked() && err.runtime_error().is_none());
    assert!(!t.is_alive());
    let r = reports.lock().unwrap().clone();
    assert_eq!(r.len(), 1, "{r:?}");
    let (message, location, name) = &r[0];
    assert_eq!(message, "run failed");
    assert!(
        location.as_deref().is_some_and(|l| l.contains("tests/integration/thread.rs")),
        "{location:?}"
    );
    assert_eq!(name.as_deref(), Some("exc03-thread"));
    // Every join says so, and the output is not there.
    assert_eq!(t.join_timeout(Duration::ZERO), Err(JoinError::Panicked("run failed".into())));
    assert_eq!(t.join_output(), Err(JoinError::Panicked("run failed".into())));
}

#[test]
fn exc_03_formatted_and_non_string_payloads() {
    let (_hook, reports) = capture_reports("payload-");
    let n = 7;
    let t = Thread::builder().name("payload-fmt").build(move || panic!("value {n}"));
    t.start().unwrap();
    assert_eq!(t.join().unwrap_err().panic_message(), Some("value 7"));
    let t = Thread::builder().name("payload-any").build(|| std::panic::panic_any(42u32));
    t.start().unwrap();
    assert_eq!(t.join().unwrap_err().panic_message(), Some("Box<dyn Any>"));
    let r = reports.lock().unwrap();
    assert_eq!(r.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["value 7", "Box<dyn Any>"]);
}

#[test]
fn exc_03_payload_is_available_to_the_hook() {
    let _turn = capture_reports("unused-");
    let seen = Arc::new(Mutex::new(None));
    let s = Arc::clone(&seen);
    set_excepthook(move |args: &ExceptHookArgs| {
        if args.thread().is_some_and(|t| t.name() == "payload-owner") {
            *s.lock().unwrap() = args.payload().and_then(|p| p.downcast_ref::<u32>()).copied();
        } else {
            default_excepthook(args);
        }
    });
    let t = Thread::builder().name("payload-owner").build(|| std::panic::panic_any(99u32));
    t.start().unwrap();
    let _ = t.join();
    assert_eq!(*seen.lock().unwrap(), Some(99));
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn exc_06_test_custom_excepthook_fail() {
    let out = child(&["hook-panics"]);
    assert!(out.status.success(), "a panicking hook does not kill the process: {out:?}");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("Exception in threading.excepthook:\npanicked at "), "{stderr}");
    assert!(stderr.ends_with(":\nthreading_hook failed\n"), "{stderr}");
    assert_eq!(stderr.lines().count(), 3, "nothing else: {stderr}");
    assert_eq!(text(&out.stdout), "joined: the thread panicked: run failed\nafter: 42\n");
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn exc_07_test_original_excepthook() {
    let out = child(&["hook-restore"]);
    assert!(out.status.success(), "{out:?}");
    let stderr = text(&out.stderr);
    let blocks: Vec<&str> = stderr.split("---\n").collect();
    assert_eq!(blocks.len(), 4, "{stderr}");
    assert_eq!(blocks[0], blocks[2], "the default output is restored exactly");
    assert_eq!(blocks[1], "Running a thread failed\n");
    assert_eq!(blocks[0], default_report(&child_panic_location(blocks[0])));
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn test_excepthook_thread_none_names_the_ident() {
    let out = child(&["hook-none"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stderr), format!("Exception in thread {MAIN_ID}:\nbug\n"));
}

#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/daemon_child.
#[test]
fn a_panic_caught_inside_the_target_is_not_reported() {
    let out = child(&["caught-inside"]);
    assert!(out.status.success(), "{out:?}");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("caught quietly"), "{stderr}");
    assert_eq!(stderr.matches("escaped").count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("Exception in thread catcher:\npanicked at tests/bin/daemon_child.rs:")
    );
    assert!(stderr.ends_with("escaped\nException in thread MainThread:\nby hand\n"), "{stderr}");
    assert_eq!(text(&out.stdout), "joined: the thread panicked: escaped\n");
}

#[test]
fn excepthook_by_hand_calls_the_installed_hook() {
    let _turn = capture_reports("unused-");
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    set_excepthook(move |args: &ExceptHookArgs| {
        if args.message() == "by hand" {
            assert!(args.location().is_none() && args.backtrace().is_none());
            assert!(args.payload().is_none());
            c.fetch_add(1, Ordering::SeqCst);
        } else {
            default_excepthook(args);
        }
    });
    excepthook(&ExceptHookArgs::new("by hand", Some(current_thread())));
    excepthook(&ExceptHookArgs::new("by hand", None));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_panic_outside_our_threads_still_reaches_rusts_hook() {
    // The filter only routes panics of our targets. A std thread's panic is Rust's business:
    // it is caught by `join` as usual (its message goes to the previous hook, which the test
    // harness captures), and no excepthook sees it.
    let (_hook, reports) = capture_reports("");
    let r = std::thread::Builder::new()
        .name("plain std".into())
        .spawn(|| panic!("std panic"))
        .unwrap()
        .join();
    assert!(r.is_err());
    assert!(reports.lock().unwrap().is_empty());
}

#[test]
fn error_and_location_accessors_report_what_they_hold() {
    let here = PanicLocation::new("src/x.rs", 12, 5);
    assert_eq!((here.file(), here.line(), here.column()), ("src/x.rs", 12, 5));
    assert!(JoinError::Panicked("boom".into()).is_panicked());
    assert!(!JoinError::NoOutput.is_panicked());
    assert!(!JoinError::Runtime(RuntimeError::new(RuntimeErrorKind::JoinNotStarted)).is_panicked());
    // The OS refuses a 1 TiB stack (per thread: nothing global changes).
    let t = Thread::builder().stack_size(1 << 40).build(|| ());
    let err = t.start().unwrap_err();
    let io = err.into_io_error().expect("the OS error is kept");
    assert!(io.raw_os_error().is_some(), "{io:?}");
}

#[test]
fn equal_threads_hash_alike_and_different_threads_apart() {
    fn hash_of<T>(t: &Thread<T>) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }
    let (a, b) = (Thread::new(|| ()), Thread::new(|| ()));
    assert_eq!(hash_of(&a), hash_of(&a.clone()));
    assert_ne!(hash_of(&a), hash_of(&b), "two thread objects hash the same");
    assert_eq!(hash_of(&current_thread()), hash_of(&current_thread()));
}

#[test]
fn set_daemon_to_the_value_it_has_keeps_it() {
    let t = Thread::builder().daemon(true).build(|| ());
    t.set_daemon(true).unwrap();
    assert!(t.daemon());
    t.set_daemon(false).unwrap();
    t.set_daemon(false).unwrap();
    assert!(!t.daemon());
}

#[test]
fn a_failed_start_leaves_the_daemon_flag_and_the_thread_unstarted() {
    for daemon in [false, true] {
        // The OS refuses a 1 TiB stack (per thread: nothing global changes).
        let t = Thread::builder().daemon(daemon).stack_size(1 << 40).build(|| ());
        assert!(t.start().is_err());
        assert_eq!(t.daemon(), daemon, "the failed start changed the daemon flag");
        assert!(!t.is_alive() && t.ident().is_none());
        // Still unstarted: the flag can be changed, as before any start.
        t.set_daemon(!daemon).unwrap();
        assert_eq!(t.daemon(), !daemon);
    }
}

#[test]
fn live_records_counts_the_records_that_exist() {
    // Three thread objects that were never started exist as records, as does this test
    // thread's dummy record (tests running in parallel only add to the count).
    let _current = current_thread();
    let threads: Vec<Thread> = (0..3).map(|_| Thread::new(|| ())).collect();
    assert!(live_records() >= 4, "counted {}", live_records());
    drop(threads);
}

#[test]
fn the_os_thread_gets_the_name_up_to_a_nul() {
    for (name, os_name) in [("os-visible", "os-visible"), ("cut\0here", "cut")] {
        let t =
            Thread::builder().name(name).build(|| std::thread::current().name().map(String::from));
        t.start().unwrap();
        assert_eq!(t.name(), name, "our own name keeps everything, NUL included");
        assert_eq!(t.join_output().unwrap().as_deref(), Some(os_name));
    }
}
