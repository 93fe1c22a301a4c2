//! A child process for the integration tests of `threading::Thread` that need a whole process:
//! the end of the program (non-daemon threads are waited for, daemon threads are not), what
//! reaches stderr when a thread panics, and process-wide settings (`set_stack_size`, the
//! registry's size after many threads); also the one queue check that needs the parking lot
//! to itself (`queue-own-wake`).
//!
//! `tests/integration/thread.rs` runs it as `daemon_child MODE [ARG]` (the path comes from
//! `env!("CARGO_BIN_EXE_daemon_child")`) and checks its exit status, stdout, stderr and files.
//! Each mode is one function below; its doc says what the parent expects.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use threading::{
    Event, ExceptHookArgs, MIN_STACK_SIZE, Thread, default_excepthook, enumerate, excepthook,
    live_records, main_thread, set_excepthook, set_stack_size, stack_size,
};

/// Lines the non-daemon writer writes after `main` has returned.
const LINES: usize = 2000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(0).as_str() {
        "shutdown" => shutdown(&arg(1), false),
        "exit" => shutdown(&arg(1), true),
        "worker-exit" => worker_exit(),
        "panic" => panic_default(),
        "hook-count" => hook_count(),
        "hook-panics" => hook_panics(),
        "hook-panics-bad-payload" => hook_panics_bad_payload(),
        "hook-restore" => hook_restore(),
        "hook-none" => default_excepthook(&ExceptHookArgs::new("bug", None)),
        "caught-inside" => caught_inside(),
        "deep" => deep(&arg(1)),
        "start-retry" => start_retry(),
        "many" => many(arg(1).parse().expect("a thread count")),
        "unjoined" => unjoined(),
        "queue-own-wake" => queue_own_wake(),
        other => panic!("unknown mode {other:?}"),
    }
}

/// THR-23, CPython's `test_join_nondaemon_on_shutdown`, `ThreadJoinOnShutdown.test_1` and
/// `test_4_daemon_threads`: `main` returns (or calls `process::exit(3)`) while
///
/// * a non-daemon thread waits for the main thread to end (`main_thread().join()`, which
///   returns once `main` has returned) and then writes `LINES` lines and `done` to `path`;
/// * one daemon thread loops doing I/O forever, and another waits for an event nobody sets.
///
/// Expected: stdout `end of main\nend of thread\n`, the file complete, the process gone
/// promptly (the daemon threads are not waited for), exit status 0 (or 3).
fn shutdown(path: &str, exit: bool) {
    let spinner = Thread::builder().daemon(true).build(|| {
        let mut null = std::fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
        loop {
            let _ = null.write_all(b"daemon thread still running\n");
            std::thread::yield_now();
        }
    });
    spinner.start().unwrap();
    let never = Arc::new(Event::new());
    let n = Arc::clone(&never);
    Thread::builder().daemon(true).spawn(move || n.wait()).unwrap();

    let path = path.to_owned();
    let writer = Thread::new(move || {
        main_thread().join().unwrap();
        let mut file = std::fs::File::create(&path).unwrap();
        for i in 0..LINES {
            writeln!(file, "line {i}").unwrap();
            file.flush().unwrap();
        }
        writeln!(file, "done").unwrap();
        println!("end of thread");
    });
    assert!(!writer.daemon(), "threads created by the main thread are not daemons");
    writer.start().unwrap();
    println!("end of main");
    if exit {
        std::process::exit(3);
    }
}

/// A non-daemon thread `a` calls `process::exit(5)` while another non-daemon thread `b` joins
/// it. Expected: no deadlock; `b`'s join returns (`a` counts as finished), `b` prints
/// `b saw a finish: Ok(())`, and the exit status is 5. The main thread waits forever.
fn worker_exit() {
    let b_joining = Arc::new(Event::new());
    let ready = Arc::clone(&b_joining);
    let a = Thread::new(move || {
        ready.wait();
        std::process::exit(5);
    });
    let a2 = a.clone();
    let joining = Arc::clone(&b_joining);
    let b = Thread::new(move || {
        joining.set();
        let r = a2.join();
        println!("b saw a finish: {r:?}");
    });
    a.start().unwrap();
    b.start().unwrap();
    Event::new().wait();
}

/// THR-16, EXC-01: a thread named `excepthook thread` panics with `run failed`; the default
/// excepthook reports it. Expected stderr: exactly
/// `Exception in thread excepthook thread:\npanicked at <file>:<line>:<col>:\nrun failed\n`
/// (one copy, no second one from Rust's panic hook); stdout `joined: the thread panicked: run
/// failed`; exit status 0.
fn panic_default() {
    let t = failing_thread();
    t.start().unwrap();
    println!("joined: {}", t.join().unwrap_err());
}

/// The thread every excepthook mode runs: always the same code, hence the same location.
fn failing_thread() -> Thread {
    Thread::builder().name("excepthook thread").build(|| panic!("run failed"))
}

/// EXC-03 and "exactly once": a custom hook counts its calls and forwards to the default.
/// Expected: stdout `calls: 1, message: run failed, thread: excepthook thread, backtrace: B`
/// (B: whether the hook got a backtrace, i.e. `RUST_BACKTRACE` is set); stderr one copy of the
/// report.
fn hook_count() {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let s = Arc::clone(&seen);
    set_excepthook(move |args: &ExceptHookArgs| {
        CALLS.fetch_add(1, Ordering::SeqCst);
        let name = args.thread().map(Thread::name).unwrap_or_default();
        let backtrace = args.backtrace().is_some();
        *s.lock().unwrap() =
            format!("message: {}, thread: {name}, backtrace: {backtrace}", args.message());
        default_excepthook(args);
    });
    let t = failing_thread();
    t.start().unwrap();
    let _ = t.join();
    println!("calls: {}, {}", CALLS.load(Ordering::SeqCst), seen.lock().unwrap());
}

/// EXC-06: the hook itself panics with `threading_hook failed`. Expected stderr:
/// `Exception in threading.excepthook:\npanicked at …:\nthreading_hook failed\n` and nothing
/// else; the join still returns the target's panic; a later thread still runs; stdout
/// `joined: the thread panicked: run failed` and `after: 42`; exit status 0.
fn hook_panics() {
    set_excepthook(|_: &ExceptHookArgs| panic!("threading_hook failed"));
    fail_then_run_another();
}

/// Runs [`failing_thread`] and prints its join error (`joined: …`), then shows that a later
/// thread still runs (`after: 42`).
fn fail_then_run_another() {
    let t = failing_thread();
    t.start().unwrap();
    println!("joined: {}", t.join().unwrap_err());
    let after = Thread::new(|| 42);
    after.start().unwrap();
    println!("after: {}", after.join_output().unwrap());
}

/// The hook panics with a payload whose own `Drop` panics: the failure is reported and the
/// payload's panic swallowed, so the target's thread still finishes. Expected stdout as for
/// `hook-panics`; exit status 0.
fn hook_panics_bad_payload() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("payload dropped");
        }
    }
    set_excepthook(|_: &ExceptHookArgs| std::panic::panic_any(PanicsOnDrop));
    fail_then_run_another();
}

/// EXC-07: the default report, then a custom hook's (`Running a thread failed`), then the
/// default again after `set_excepthook(default_excepthook)`. Expected: stderr is the default
/// report, `Running a thread failed\n`, and the same default report again, each block ended by
/// a `---\n` line printed by the main thread after each join.
fn hook_restore() {
    let run = || {
        let t = failing_thread();
        t.start().unwrap();
        let _ = t.join();
        eprintln!("---");
    };
    run();
    set_excepthook(|_: &ExceptHookArgs| eprintln!("Running a thread failed"));
    run();
    set_excepthook(default_excepthook);
    run();
}

/// A target that catches a panic itself (`caught quietly`) and then panics for real
/// (`escaped`). Expected stderr: one report, for `escaped` only (a panic caught inside a
/// target is not printed, like an exception a Python thread handles); stdout
/// `joined: the thread panicked: escaped`.
fn caught_inside() {
    let t = Thread::builder().name("catcher").build(|| {
        let caught = std::panic::catch_unwind(|| panic!("caught quietly"));
        assert!(caught.is_err());
        panic!("escaped");
    });
    t.start().unwrap();
    println!("joined: {}", t.join().unwrap_err());
    // And the default report for a report made by hand, with a thread, still works.
    excepthook(&ExceptHookArgs::new("by hand", Some(main_thread())));
}

/// Recursion that needs about `DEPTH` KiB of stack (more than Rust's 2 MiB default).
fn recurse(depth: usize) -> u64 {
    let frame = std::hint::black_box([depth as u8; 1024]);
    if depth == 0 { u64::from(frame[0]) } else { recurse(depth - 1) + u64::from(frame[1]) }
}

/// How deep `deep` recurses: 16 MiB of frames.
const DEPTH: usize = 16 * 1024;

/// Stack sizes are honoured: the recursion runs in a thread whose stack size comes from
/// `set_stack_size(64 MiB)` (`global`) or from nowhere (`default`: it must overflow the
/// default stack and kill the process). Expected: `global` prints `recursed` and exits 0;
/// `default` dies of the stack overflow.
fn deep(how: &str) {
    if how == "global" {
        assert_eq!(set_stack_size(64 << 20), Ok(0));
        assert_eq!(threading::stack_size(), 64 << 20);
    }
    let t = Thread::new(|| recurse(DEPTH));
    t.start().unwrap();
    let r = t.join_output().unwrap();
    println!("recursed: {r}");
}

/// A failed start leaves the thread unstarted: with the process-wide stack size at 1 TiB the
/// OS refuses (`can't start new thread`, an OS error kept); back at the default, the same
/// thread starts and runs. Expected stdout: `first: can't start new thread (os error: yes)`,
/// `second: Ok(7)`.
fn start_retry() {
    let t = Thread::new(|| 7);
    set_stack_size(1 << 40).unwrap();
    let err = t.start().unwrap_err();
    println!("first: {err} (os error: {})", if err.io_error().is_some() { "yes" } else { "no" });
    assert!(!t.is_alive() && t.ident().is_none());
    set_stack_size(0).unwrap();
    t.start().unwrap();
    println!("second: {:?}", t.join_output());
    // The smallest size allowed is allowed, and a thread starts with it.
    let min = set_stack_size(MIN_STACK_SIZE).map(|_| stack_size());
    let small = Thread::new(|| 8);
    small.start().unwrap();
    println!("min: {min:?} {:?}", small.join_output());
    set_stack_size(0).unwrap();
}

/// `n` short threads, 100 at a time, leave the registry and the record count as they were.
/// Expected stdout: `before: E R`, `after: E R` with the same numbers (E = `enumerate().len()`,
/// R = `live_records()`).
/// `test_leak_without_join`: a thread that nobody joins still frees its record once it ends.
/// Prints `before: <entries> <records>` and `after: …`, as `many` does.
fn unjoined() {
    let before = (enumerate().len(), live_records());
    println!("before: {} {}", before.0, before.1);
    let ran = Arc::new(Event::new());
    let r = Arc::clone(&ran);
    Thread::new(move || r.set()).start().unwrap();
    ran.wait();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while (enumerate().len(), live_records()) != before && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("after: {} {}", enumerate().len(), live_records());
}

fn many(n: usize) {
    let before = (enumerate().len(), live_records());
    println!("before: {} {}", before.0, before.1);
    let mut left = n;
    while left > 0 {
        let batch: Vec<Thread<usize>> =
            (0..left.min(100)).map(|i| Thread::new(move || i)).collect();
        for t in &batch {
            t.start().unwrap();
        }
        for t in batch {
            t.join_output().unwrap();
        }
        left = left.saturating_sub(100);
    }
    // A record is freed when its thread's bootstrap returns, a moment after the join: poll for
    // the counts (a check with a deadline, not a synchronisation).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while (enumerate().len(), live_records()) != before && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("after: {} {}", enumerate().len(), live_records());
}

/// Each queue wakes its own waiters: a getter parked on `first`, then one parked on `second`;
/// a put on `second` must reach its getter at once (were the queues sharing one parking key,
/// the wake-up would go to `first`'s getter, which parks again, and `second`'s would sleep
/// on). Run for an unbounded queue (the locked engine) and a bounded one (the lock-free ring),
/// then the same for putters parked on two full bounded queues, woken by a get. A waiter that
/// never parks (spins or yields instead) fails `wait_until_asleep`. A process of its own,
/// because in the test binary other tests' wake-ups on a shared key would rescue the stranded
/// waiter. Expected stdout, for each of `locked`, `ring`: `second: Ok("for second") at once`
/// and `first: Ok("for first")`; then `putters: second at once`, `putters: first`.
fn queue_own_wake() {
    use std::time::Instant;
    use threading::Queue;
    const PATIENT: Duration = Duration::from_secs(6);
    /// Runs `wait` on a new thread and returns once that thread is asleep in the kernel.
    fn asleep<R: Send + 'static>(
        wait: impl FnOnce() -> R + Send + 'static,
    ) -> std::thread::JoinHandle<(R, Instant)> {
        let (tx, rx) = std::sync::mpsc::channel();
        let h = std::thread::spawn(move || {
            tx.send(threading::get_native_id()).unwrap();
            (wait(), Instant::now())
        });
        // Parked, not still spinning (a spinning waiter would see its own queue change).
        threading_tests::wait_until_asleep(rx.recv().unwrap());
        h
    }
    let when =
        |at: Instant, since: Instant| if at - since < PATIENT / 2 { "at once" } else { "late" };
    for (name, maxsize) in [("locked", 0), ("ring", 2)] {
        let (first, second) = (Arc::new(Queue::new(maxsize)), Arc::new(Queue::new(maxsize)));
        // Used once, so that the positions a sleeper records are not all 0.
        for q in [&first, &second] {
            q.put("warm-up").unwrap();
            q.get().unwrap();
        }
        let (q1, q2) = (Arc::clone(&first), Arc::clone(&second));
        let a = asleep(move || q1.get_timeout(PATIENT));
        let b = asleep(move || q2.get_timeout(PATIENT));
        let put_at = Instant::now();
        second.put("for second").unwrap();
        let (got, at) = b.join().unwrap();
        println!("{name} second: {got:?} {}", when(at, put_at));
        first.put("for first").unwrap();
        println!("{name} first: {:?}", a.join().unwrap().0);
    }
    let (first, second) = (Arc::new(Queue::new(1)), Arc::new(Queue::new(1)));
    for q in [&first, &second] {
        q.put(9).unwrap();
        q.get().unwrap();
        q.put(0).unwrap();
    }
    let (q1, q2) = (Arc::clone(&first), Arc::clone(&second));
    let a = asleep(move || q1.put_timeout(1, PATIENT).is_ok());
    let b = asleep(move || q2.put_timeout(2, PATIENT).is_ok());
    let get_at = Instant::now();
    assert_eq!(second.get(), Ok(0));
    let (put, at) = b.join().unwrap();
    assert!(put);
    println!("putters: second {}", when(at, get_at));
    assert_eq!(first.get(), Ok(0));
    assert!(a.join().unwrap().0);
    println!("putters: first");
}
