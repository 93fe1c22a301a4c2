//! Tests for the pool: `Future`, `wait`, `as_completed` and `ThreadPoolExecutor`.
//!
//! Ports of CPython's `Lib/test/test_concurrent_futures/` (`test_future.py` `FutureTests`,
//! `test_wait.py`, `test_as_completed.py`, `executor.py` `ExecutorTest`,
//! `test_thread_pool.py`, `test_shutdown.py`, `test_init.py`), keeping their names, and the
//! FUT-, WAIT-, ASC- and EXE- rows of `python-semantics.md` (test names start with the row).
//! Tasks that must stay busy wait on a [`Gate`], never on a sleep; the few sleeps left only make
//! it likely that a waiter is already blocked, and each test passes whichever way that goes.

use std::collections::HashSet;
use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread;
use std::time::{Duration, Instant};

use threading::futures::{
    BrokenThreadPool, CancelledError, DoneAndNotDoneFutures, Future, FutureError, ReturnWhen,
    SubmitError, TaskPanic, ThreadPoolExecutor, Waitable, as_completed, as_completed_deadline,
    as_completed_timeout, wait, wait_timeout,
};
use threading::{RuntimeErrorKind, ValueErrorKind};
use threading_tests::{assert_timeout, timed, wait_until, wait_until_asleep, worker_ids};

/// A short timeout for the timing tests. Under Miri the virtual clock advances 5 µs per
/// interpreted basic block, so starting workers and running the tasks that must finish within
/// the budget takes far longer than 50 "ms": the budget grows with it.
const SHORT: Duration =
    if cfg!(miri) { Duration::from_millis(1000) } else { Duration::from_millis(50) };

/// A one-shot gate tasks can block on (CPython's tests use an `Event`).
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
}

impl Gate {
    fn new() -> Arc<Gate> {
        Arc::new(Gate::default())
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }

    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.cv.wait(open).unwrap();
        }
    }
}

/// Opens the gate when dropped, so a failing assertion never leaves a worker blocked.
struct OpenOnDrop(Arc<Gate>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// Submits a task that returns `value` once `gate` opens, and waits until it is running (so
/// it holds a worker).
fn submit_busy<T: Send + 'static>(
    pool: &ThreadPoolExecutor,
    gate: &Arc<Gate>,
    value: T,
) -> Future<T> {
    let (started_tx, started) = mpsc::channel();
    let g = Arc::clone(gate);
    let busy = pool
        .submit(move || {
            started_tx.send(()).unwrap();
            g.wait();
            value
        })
        .unwrap();
    started.recv().unwrap();
    busy
}

/// Runs `f` on a new thread and returns once that thread sleeps (in `f`, blocked); `f`'s
/// result arrives on the returned channel.
fn asleep_in<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> mpsc::Receiver<R> {
    let (tid_tx, tid) = mpsc::channel();
    let (result_tx, result) = mpsc::channel();
    thread::spawn(move || {
        tid_tx.send(threading::get_native_id()).unwrap();
        let _ = result_tx.send(f());
    });
    wait_until_asleep(tid.recv().unwrap());
    result
}

/// A failure like Python's `Exception('test')`.
fn failure(message: &str) -> FutureError {
    TaskPanic::new(message).into()
}

/// The six futures of CPython's `util.py`, one per state: `PENDING_FUTURE`, `RUNNING_FUTURE`,
/// `CANCELLED_FUTURE`, `CANCELLED_AND_NOTIFIED_FUTURE`, `EXCEPTION_FUTURE`,
/// `SUCCESSFUL_FUTURE` (which returns 42).
struct States {
    pending: Future<i32>,
    running: Future<i32>,
    cancelled: Future<i32>,
    cancelled_and_notified: Future<i32>,
    exception: Future<i32>,
    successful: Future<i32>,
}

fn states() -> States {
    let pending = Future::new();
    let running = Future::new();
    assert_eq!(running.set_running_or_notify_cancel(), Ok(true));
    let cancelled = Future::new();
    assert!(cancelled.cancel());
    let cancelled_and_notified = Future::new();
    assert!(cancelled_and_notified.cancel());
    assert_eq!(cancelled_and_notified.set_running_or_notify_cancel(), Ok(false));
    let exception = Future::new();
    exception.set_exception(failure("OSError")).unwrap();
    let successful = Future::new();
    successful.set_result(42).unwrap();
    States { pending, running, cancelled, cancelled_and_notified, exception, successful }
}

/// The thread name a task runs on.
fn current_name() -> String {
    thread::current().name().unwrap_or("").to_owned()
}

// -------------------------------------------------------------------------------------------
// test_future.py: FutureTests

#[test]
fn test_done_callback_with_result() {
    let seen = Arc::new(Mutex::new(None));
    let f = Future::new();
    let s = Arc::clone(&seen);
    f.add_done_callback(move |f| *s.lock().unwrap() = Some(*f.result().unwrap()));
    f.set_result(5).unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(5));
}

#[test]
fn test_done_callback_with_exception() {
    let seen = Arc::new(Mutex::new(None));
    let f = Future::<i32>::new();
    let s = Arc::clone(&seen);
    f.add_done_callback(move |f| *s.lock().unwrap() = f.exception().unwrap());
    f.set_exception(failure("test")).unwrap();
    assert_eq!(seen.lock().unwrap().as_ref().unwrap().panic_message(), Some("test"));
}

#[test]
fn test_done_callback_with_cancel() {
    let was_cancelled = Arc::new(Mutex::new(None));
    let f = Future::<i32>::new();
    let w = Arc::clone(&was_cancelled);
    f.add_done_callback(move |f| *w.lock().unwrap() = Some(f.cancelled()));
    assert!(f.cancel());
    assert_eq!(*was_cancelled.lock().unwrap(), Some(true));
}

/// FUT-18: a panicking callback is reported, never reaches `set_result`'s caller, and the
/// callbacks after it still run.
#[test]
fn fut_18_test_done_callback_raises() {
    let raising_was_called = Arc::new(AtomicUsize::new(0));
    let fn_was_called = Arc::new(AtomicUsize::new(0));
    let f = Future::new();
    let r = Arc::clone(&raising_was_called);
    f.add_done_callback(move |_| {
        r.fetch_add(1, Ordering::SeqCst);
        panic::resume_unwind(Box::new("doh!"));
    });
    let c = Arc::clone(&fn_was_called);
    f.add_done_callback(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    f.set_result(5).unwrap();
    assert_eq!(raising_was_called.load(Ordering::SeqCst), 1);
    assert_eq!(fn_was_called.load(Ordering::SeqCst), 1);
    assert_eq!(f.result(), Ok(&5));
}

#[test]
fn test_done_callback_already_successful() {
    let seen = Arc::new(Mutex::new(None));
    let f = Future::new();
    f.set_result(5).unwrap();
    let s = Arc::clone(&seen);
    f.add_done_callback(move |f| *s.lock().unwrap() = Some(*f.result().unwrap()));
    assert_eq!(*seen.lock().unwrap(), Some(5));
}

#[test]
fn test_done_callback_already_failed() {
    let seen = Arc::new(Mutex::new(None));
    let f = Future::<i32>::new();
    f.set_exception(failure("test")).unwrap();
    let s = Arc::clone(&seen);
    f.add_done_callback(move |f| *s.lock().unwrap() = f.exception().unwrap());
    assert_eq!(seen.lock().unwrap().as_ref().unwrap().panic_message(), Some("test"));
}

#[test]
fn test_done_callback_already_cancelled() {
    let was_cancelled = Arc::new(Mutex::new(None));
    let f = Future::<i32>::new();
    assert!(f.cancel());
    let w = Arc::clone(&was_cancelled);
    f.add_done_callback(move |f| *w.lock().unwrap() = Some(f.cancelled()));
    assert_eq!(*was_cancelled.lock().unwrap(), Some(true));
}

/// FUT-17, FUT-18: on an already-done future the callback runs at once, on the calling
/// thread; its panic is reported and goes no further.
#[test]
fn fut_17_test_done_callback_raises_already_succeeded() {
    let f = Future::new();
    f.set_result(5).unwrap();
    let me = thread::current().id();
    let ran_on = Arc::new(Mutex::new(None));
    let r = Arc::clone(&ran_on);
    f.add_done_callback(move |_| {
        *r.lock().unwrap() = Some(thread::current().id());
        panic::resume_unwind(Box::new("doh!"));
    });
    assert_eq!(*ran_on.lock().unwrap(), Some(me));
}

/// Callbacks run in the order they were added, each once.
#[test]
fn done_callbacks_run_in_order() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let f = Future::<()>::new();
    for i in 0..5 {
        let o = Arc::clone(&order);
        f.add_done_callback(move |_| o.lock().unwrap().push(i));
    }
    f.set_result(()).unwrap();
    assert!(!f.cancel());
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
}

/// FUT-21: the repr by state (the address is not checked, only the shape).
#[test]
fn fut_21_test_repr() {
    let s = states();
    let shape = |f: &Future<i32>, state: &str| {
        let repr = format!("{f:?}");
        assert!(repr.starts_with("<Future at 0x"), "{repr}");
        assert!(repr.ends_with(&format!(" state={state}>")), "{repr} does not end in {state}");
        let addr = &repr["<Future at 0x".len()..repr.find(" state=").unwrap()];
        assert!(addr.chars().all(|c| c.is_ascii_hexdigit()), "{repr}");
    };
    shape(&s.pending, "pending");
    shape(&s.running, "running");
    shape(&s.cancelled, "cancelled");
    shape(&s.cancelled_and_notified, "cancelled");
    shape(&s.exception, "finished raised TaskPanic");
    shape(&s.successful, "finished returned i32");
    let unit = Future::new();
    unit.set_result(()).unwrap();
    assert!(format!("{unit:?}").ends_with("state=finished returned ()>"));
    let string = Future::new();
    string.set_result(String::new()).unwrap();
    assert!(format!("{string:?}").ends_with("state=finished returned String>"));
    let nested = Future::new();
    nested.set_result(vec![Some(String::new())]).unwrap();
    assert!(format!("{nested:?}").ends_with("state=finished returned Vec<Option<String>>>"));
}

/// FUT-12 (via `cancel`): the six states, as CPython's `test_cancel`.
#[test]
fn test_cancel() {
    let s = states();
    assert!(s.pending.cancel());
    assert!(s.pending.cancelled());
    assert!(!s.running.cancel());
    assert!(s.running.running());
    assert!(s.cancelled.cancel());
    assert!(s.cancelled_and_notified.cancel());
    // Still notified: `wait` counts it done.
    assert_eq!(
        wait_timeout([&s.cancelled_and_notified], Duration::ZERO, ReturnWhen::AllCompleted)
            .done
            .len(),
        1
    );
    assert!(!s.exception.cancel());
    assert!(!s.exception.cancelled());
    assert!(!s.successful.cancel());
    assert_eq!(s.successful.result(), Ok(&42));
}

/// FUT-03.
#[test]
fn fut_03_test_cancelled() {
    let s = states();
    assert!(!s.pending.cancelled());
    assert!(!s.running.cancelled());
    assert!(s.cancelled.cancelled());
    assert!(s.cancelled_and_notified.cancelled());
    assert!(!s.exception.cancelled());
    assert!(!s.successful.cancelled());
}

/// FUT-04.
#[test]
fn fut_04_test_done() {
    let s = states();
    assert!(!s.pending.done());
    assert!(!s.running.done());
    assert!(s.cancelled.done());
    assert!(s.cancelled_and_notified.done());
    assert!(s.exception.done());
    assert!(s.successful.done());
}

#[test]
fn test_running() {
    let s = states();
    assert!(!s.pending.running());
    assert!(s.running.running());
    assert!(!s.cancelled.running());
    assert!(!s.cancelled_and_notified.running());
    assert!(!s.exception.running());
    assert!(!s.successful.running());
}

/// FUT-06, FUT-07.
#[test]
fn fut_06_test_result_with_timeout() {
    let s = states();
    assert!(s.pending.result_timeout(Duration::ZERO).unwrap_err().is_timeout());
    assert!(s.running.result_timeout(Duration::ZERO).unwrap_err().is_timeout());
    assert_eq!(
        s.cancelled.result_timeout(Duration::ZERO),
        Err(FutureError::Cancelled(CancelledError))
    );
    assert!(s.cancelled_and_notified.result_timeout(Duration::ZERO).unwrap_err().is_cancelled());
    assert_eq!(s.exception.result_timeout(Duration::ZERO), Err(failure("OSError")));
    assert_eq!(s.successful.result_timeout(Duration::ZERO), Ok(&42));
}

/// FUT-06: a timed result on a pending future gives up after about the timeout.
#[test]
fn fut_06_result_timeout_takes_the_timeout() {
    let f = Future::<i32>::new();
    let (elapsed, r) = timed(|| f.result_timeout(SHORT));
    assert!(r.unwrap_err().is_timeout());
    assert_timeout(elapsed, SHORT);
}

/// FUT-07: a failed future gives the same failure every time, on every handle.
#[test]
fn fut_07_same_failure_every_time() {
    let f = Future::<i32>::new();
    f.set_exception(failure("once")).unwrap();
    let g = f.clone();
    assert_eq!(f.result().unwrap_err(), g.result().unwrap_err());
    assert_eq!(f.exception().unwrap(), Some(failure("once")));
    assert_eq!(g.into_result(), Err(failure("once")));
}

/// FUT-09: a blocked `result` wakes for `set_result` from another thread.
#[test]
fn fut_09_test_result_with_success() {
    let f = Future::new();
    let setter = f.clone();
    let (ready_tx, ready) = mpsc::channel();
    let t = thread::spawn(move || {
        ready.recv().unwrap();
        // Not synchronisation: gives the main thread time to block (it passes either way).
        thread::sleep(Duration::from_millis(10));
        setter.set_result(42).unwrap();
    });
    ready_tx.send(()).unwrap();
    assert_eq!(f.result_timeout(Duration::from_secs(5)), Ok(&42));
    t.join().unwrap();
}

/// FUT-09: a blocked `result` wakes for `cancel` from another thread.
#[test]
fn fut_09_test_result_with_cancel() {
    let f = Future::<i32>::new();
    let canceller = f.clone();
    let (ready_tx, ready) = mpsc::channel();
    let t = thread::spawn(move || {
        ready.recv().unwrap();
        thread::sleep(Duration::from_millis(10));
        assert!(canceller.cancel());
    });
    ready_tx.send(()).unwrap();
    assert!(f.result_timeout(Duration::from_secs(5)).unwrap_err().is_cancelled());
    t.join().unwrap();
}

/// FUT-10.
#[test]
fn fut_10_test_exception_with_timeout() {
    let s = states();
    assert!(s.pending.exception_timeout(Duration::ZERO).unwrap_err().is_timeout());
    assert!(s.running.exception_timeout(Duration::ZERO).unwrap_err().is_timeout());
    assert!(s.cancelled.exception_timeout(Duration::ZERO).unwrap_err().is_cancelled());
    assert!(s.cancelled_and_notified.exception_timeout(Duration::ZERO).unwrap_err().is_cancelled());
    assert_eq!(s.exception.exception_timeout(Duration::ZERO), Ok(Some(failure("OSError"))));
    assert_eq!(s.successful.exception_timeout(Duration::ZERO), Ok(None));
}

/// FUT-11.
#[test]
fn fut_11_test_exception_with_success() {
    let f = Future::<i32>::new();
    let setter = f.clone();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(10));
        setter.set_exception(failure("OSError")).unwrap();
    });
    assert_eq!(f.exception_timeout(Duration::from_secs(5)), Ok(Some(failure("OSError"))));
    t.join().unwrap();
}

/// FUT-12: `set_running_or_notify_cancel` in every state.
#[test]
fn fut_12_set_running_or_notify_cancel_states() {
    let s = states();
    assert_eq!(s.pending.set_running_or_notify_cancel(), Ok(true));
    assert_eq!(s.cancelled.set_running_or_notify_cancel(), Ok(false));
    for f in [&s.running, &s.cancelled_and_notified, &s.exception, &s.successful] {
        let err = f.set_running_or_notify_cancel().unwrap_err();
        assert_eq!(err.kind(), RuntimeErrorKind::FutureUnexpectedState);
        assert_eq!(err.to_string(), "Future in unexpected state");
    }
}

/// FUT-13.
#[test]
fn fut_13_test_multiple_set_result() {
    let f = Future::new();
    f.set_result(1).unwrap();
    let err = f.set_result(2).unwrap_err().to_string();
    assert!(err.starts_with("FINISHED: <Future at 0x"), "{err}");
    assert!(err.ends_with(" state=finished returned i32>"), "{err}");
    assert!(f.done());
    assert_eq!(f.result(), Ok(&1));
}

/// FUT-13.
#[test]
fn fut_13_test_multiple_set_exception() {
    let f = Future::<i32>::new();
    f.set_exception(failure("ValueError")).unwrap();
    let err = f.set_exception(failure("Exception")).unwrap_err().to_string();
    assert!(err.starts_with("FINISHED: <Future at 0x"), "{err}");
    assert!(err.ends_with(" state=finished raised TaskPanic>"), "{err}");
    assert_eq!(f.exception(), Ok(Some(failure("ValueError"))));
}

/// FUT-13: setting a cancelled future fails with its state name and keeps it cancelled.
#[test]
fn fut_13_set_result_on_cancelled() {
    let f = Future::new();
    f.cancel();
    let err = f.set_result(1).unwrap_err().to_string();
    assert!(err.starts_with("CANCELLED: <Future at 0x"), "{err}");
    assert!(err.ends_with(" state=cancelled>"), "{err}");
    assert!(f.cancelled());
    let g = Future::new();
    g.cancel();
    g.set_running_or_notify_cancel().unwrap();
    assert!(g.set_result(1).unwrap_err().to_string().starts_with("CANCELLED_AND_NOTIFIED: "));
}

/// FUT-15: callbacks see each kind of completion.
#[test]
fn fut_15_callbacks_for_every_completion() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (ok, failed, cancelled) = (Future::new(), Future::new(), Future::new());
    for f in [&ok, &failed, &cancelled] {
        let l = Arc::clone(&log);
        f.add_done_callback(move |f: &Future<i32>| {
            let what = if f.cancelled() {
                "cancelled".to_owned()
            } else {
                match f.result() {
                    Ok(v) => format!("value {v}"),
                    Err(e) => format!("failed {}", e.panic_message().unwrap()),
                }
            };
            l.lock().unwrap().push(what);
        });
    }
    ok.set_result(5).unwrap();
    failed.set_exception(failure("t")).unwrap();
    cancelled.cancel();
    assert_eq!(*log.lock().unwrap(), ["value 5", "failed t", "cancelled"]);
}

/// FUT-22: the error types and their Python names.
#[test]
fn fut_22_error_names() {
    let cases: [(FutureError, &str); 4] = [
        (CancelledError.into(), "CancelledError"),
        (threading::futures::TimeoutError::default().into(), "TimeoutError"),
        (BrokenThreadPool.into(), "BrokenThreadPool"),
        (failure("x"), "TaskPanic"),
    ];
    for (err, name) in cases {
        assert_eq!(err.python_name(), name);
        assert!(std::error::Error::source(&err).is_some());
    }
    assert_eq!(
        BrokenThreadPool.to_string(),
        "A thread initializer failed, the thread pool is not usable anymore"
    );
}

/// Handles: equal by identity, hash by identity, `into_result` only on the last one.
#[test]
fn future_handles_identity_and_into_result() {
    let f = Future::new();
    let g = f.clone();
    assert_eq!(f, g);
    assert_ne!(f, Future::new());
    let set: HashSet<_> = [f.clone(), g.clone(), f.clone()].into_iter().collect();
    assert_eq!(set.len(), 1);
    drop(set);
    f.set_result(vec![1]).unwrap();
    assert!(matches!(g.into_result(), Err(FutureError::InvalidState(_))));
    assert_eq!(f.into_result(), Ok(vec![1]));
}

/// A huge timeout waits forever (until set), without an overflow panic.
#[test]
fn huge_timeout_waits_until_set() {
    let f = Future::new();
    let setter = f.clone();
    let t = thread::spawn(move || setter.set_result(3).unwrap());
    assert_eq!(f.result_timeout(Duration::MAX), Ok(&3));
    t.join().unwrap();
    assert_eq!(f.exception_timeout(Duration::MAX), Ok(None));
}

/// Many threads blocked on one future are all woken by one `set_result`.
#[test]
fn many_waiters_one_future() {
    let f = Future::new();
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            let f = f.clone();
            thread::spawn(move || *f.result().unwrap())
        })
        .collect();
    f.set_result(11).unwrap();
    for w in waiters {
        assert_eq!(w.join().unwrap(), 11);
    }
}

// -------------------------------------------------------------------------------------------
// test_wait.py: WaitTests (ThreadPoolWaitTests)

fn mul(x: i32, y: i32) -> i32 {
    x * y
}

/// WAIT-02: duplicates are merged.
#[test]
fn wait_02_test_20369() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let future = pool.submit(|| mul(1, 2)).unwrap();
    let split = wait([&future, &future], ReturnWhen::AllCompleted);
    assert_eq!(split.done, [&future]);
    assert!(split.not_done.is_empty());
}

/// WAIT-09: a plain-cancelled future counts as not done.
#[test]
fn wait_09_test_first_completed() {
    let s = states();
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let future1 = pool.submit(|| mul(21, 2)).unwrap();
    let g = Arc::clone(&gate);
    let future2 = pool.submit(move || g.wait()).unwrap();
    let split =
        wait([&s.cancelled as &dyn Waitable, &future1, &future2], ReturnWhen::FirstCompleted);
    assert_eq!(split.done.len(), 1);
    assert!(ptr_eq(split.done[0], &future1));
    assert_eq!(split.not_done.len(), 2);
    gate.open();
    future2.result().unwrap();
}

/// Identity of a `&dyn Waitable` and a future.
fn ptr_eq<T>(w: &dyn Waitable, f: &Future<T>) -> bool {
    std::ptr::addr_eq(w as *const dyn Waitable, f as *const Future<T>)
}

#[test]
fn test_first_completed_some_already_completed() {
    let s = states();
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let g = Arc::clone(&gate);
    let future1 = pool
        .submit(move || -> i32 {
            g.wait();
            0
        })
        .unwrap();
    let split =
        wait([&s.cancelled_and_notified, &s.successful, &future1], ReturnWhen::FirstCompleted);
    assert_eq!(split.done, [&s.cancelled_and_notified, &s.successful]);
    assert_eq!(split.not_done, [&future1]);
    gate.open();
    future1.result().unwrap();
}

/// WAIT-05: `FirstException` returns when a future fails; `done` holds what finished before.
#[test]
fn wait_05_test_first_exception() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let (event1, event2) = (Gate::new(), Gate::new());
    let _open = (OpenOnDrop(Arc::clone(&event1)), OpenOnDrop(Arc::clone(&event2)));
    let future1 = pool.submit(|| mul(2, 21)).unwrap();
    let e1 = Arc::clone(&event1);
    let future2 = pool
        .submit(move || -> i32 {
            e1.wait();
            panic::resume_unwind(Box::new("this is an exception"))
        })
        .unwrap();
    let e2 = Arc::clone(&event2);
    let future3 = pool
        .submit(move || -> i32 {
            e2.wait();
            0
        })
        .unwrap();
    // Ensure that future1 is completed before future2 finishes.
    let f1 = future1.clone();
    let e1 = Arc::clone(&event1);
    let t = thread::spawn(move || {
        f1.result().unwrap();
        e1.open();
    });
    let split = wait([&future1, &future2, &future3], ReturnWhen::FirstException);
    assert_eq!(split.done, [&future1, &future2]);
    assert_eq!(split.not_done, [&future3]);
    assert_eq!(future2.exception().unwrap().unwrap().panic_message(), Some("this is an exception"));
    t.join().unwrap();
    event2.open();
    future3.result().unwrap();
}

#[test]
fn test_first_exception_some_already_complete() {
    let s = states();
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let future1 = pool.submit(|| -> i32 { panic::resume_unwind(Box::new("divmod")) }).unwrap();
    let g = Arc::clone(&gate);
    let future2 = pool
        .submit(move || -> i32 {
            g.wait();
            0
        })
        .unwrap();
    let split = wait(
        [&s.successful, &s.cancelled, &s.cancelled_and_notified, &future1, &future2],
        ReturnWhen::FirstException,
    );
    assert_eq!(split.done, [&s.successful, &s.cancelled_and_notified, &future1]);
    assert_eq!(split.not_done, [&s.cancelled, &future2]);
    assert!(future1.result().unwrap_err().is_panic());
    gate.open();
    future2.result().unwrap();
}

/// WAIT-06.
#[test]
fn wait_06_test_first_exception_one_already_failed() {
    let s = states();
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let g = Arc::clone(&gate);
    let future1 = pool
        .submit(move || -> i32 {
            g.wait();
            0
        })
        .unwrap();
    let (elapsed, split) = timed(|| wait([&s.exception, &future1], ReturnWhen::FirstException));
    assert_eq!(split.done, [&s.exception]);
    assert_eq!(split.not_done, [&future1]);
    assert!(elapsed < Duration::from_secs(5));
    gate.open();
    future1.result().unwrap();
}

#[test]
fn test_all_completed() {
    let s = states();
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let future1 = pool.submit(|| -> i32 { panic::resume_unwind(Box::new("divmod")) }).unwrap();
    let future2 = pool.submit(|| mul(2, 21)).unwrap();
    let split = wait(
        [&s.successful, &s.cancelled_and_notified, &s.exception, &future1, &future2],
        ReturnWhen::AllCompleted,
    );
    assert_eq!(split.done.len(), 5);
    assert!(split.not_done.is_empty());
    assert_eq!(future1.exception().unwrap().unwrap().panic_message(), Some("divmod"));
}

/// WAIT-08: on timeout it returns the partial split and does not fail.
#[test]
fn wait_08_test_timeout() {
    let s = states();
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let g = Arc::clone(&gate);
    let future = pool
        .submit(move || -> i32 {
            g.wait();
            0
        })
        .unwrap();
    let (elapsed, split) = timed(|| {
        wait_timeout(
            [&s.cancelled_and_notified, &s.exception, &s.successful, &future],
            SHORT,
            ReturnWhen::AllCompleted,
        )
    });
    assert_timeout(elapsed, SHORT);
    assert_eq!(split.done, [&s.cancelled_and_notified, &s.exception, &s.successful]);
    assert_eq!(split.not_done, [&future]);
    gate.open();
    future.result().unwrap();
}

/// WAIT-09: plain CANCELLED is not done for `wait`, whatever `return_when`.
#[test]
fn wait_09_plain_cancelled_is_not_done() {
    for return_when in
        [ReturnWhen::FirstCompleted, ReturnWhen::FirstException, ReturnWhen::AllCompleted]
    {
        let c = Future::<i32>::new();
        c.cancel();
        let split = wait_timeout([&c], Duration::from_millis(10), return_when);
        assert!(split.done.is_empty());
        assert_eq!(split.not_done, [&c]);
    }
}

/// WAIT-11.
#[test]
fn wait_11_empty_returns_at_once() {
    let none: [&Future<i32>; 0] = [];
    let (elapsed, split) = timed(|| wait(none, ReturnWhen::AllCompleted));
    assert_eq!(split, DoneAndNotDoneFutures { done: vec![], not_done: vec![] });
    assert!(elapsed < Duration::from_secs(1));
}

/// `wait` on owned futures hands the same futures back.
#[test]
fn wait_owned_futures() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let fs: Vec<Future<i32>> = (0..4).map(|i| pool.submit(move || i).unwrap()).collect();
    let split = wait(fs, ReturnWhen::AllCompleted);
    let values: Vec<i32> = split.done.into_iter().map(|f| f.into_result().unwrap()).collect();
    assert_eq!(values, [0, 1, 2, 3]);
}

/// Issue #14406: many futures finishing while `wait` installs its waiter.
#[test]
fn test_pending_calls_race() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let fs: Vec<_> = (0..100)
        .map(|_| {
            let g = Arc::clone(&gate);
            pool.submit(move || g.wait()).unwrap()
        })
        .collect();
    gate.open();
    let split = wait(&fs, ReturnWhen::AllCompleted);
    assert_eq!(split.done.len(), 100);
}

// -------------------------------------------------------------------------------------------
// test_as_completed.py: AsCompletedTests

#[test]
fn test_no_timeout() {
    let s = states();
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let future1 = pool.submit(|| mul(2, 21)).unwrap();
    let future2 = pool.submit(|| mul(7, 6)).unwrap();
    let all = [&s.cancelled_and_notified, &s.exception, &s.successful, &future1, &future2];
    let completed: Vec<_> = as_completed(all).map(Result::unwrap).collect();
    assert_eq!(completed.len(), 5);
    for f in all {
        assert!(completed.contains(&f));
    }
}

/// ASC-04: the already-done futures are yielded, then the timeout (with 0 and a short one).
#[test]
fn asc_04_test_future_times_out() {
    let s = states();
    let pool = ThreadPoolExecutor::new(5).unwrap();
    for timeout in [Duration::ZERO, SHORT] {
        let gate = Gate::new();
        let _open = OpenOnDrop(Arc::clone(&gate));
        let g = Arc::clone(&gate);
        let future = pool
            .submit(move || -> i32 {
                g.wait();
                0
            })
            .unwrap();
        let mut completed = Vec::new();
        let mut timed_out = false;
        let (elapsed, ()) = timed(|| {
            for f in as_completed_timeout(
                [&s.cancelled_and_notified, &s.exception, &s.successful, &future],
                timeout,
            ) {
                match f {
                    Ok(f) => completed.push(f),
                    Err(_) => timed_out = true,
                }
            }
        });
        assert!(timed_out);
        assert_eq!(completed, [&s.cancelled_and_notified, &s.exception, &s.successful]);
        if !timeout.is_zero() {
            assert_timeout(elapsed, timeout);
        }
        gate.open();
        future.result().unwrap();
    }
}

#[test]
fn test_duplicate_futures() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let future1 = pool.submit(|| 1).unwrap();
    let completed: Vec<_> = as_completed(std::iter::repeat_n(&future1, 3)).collect();
    assert_eq!(completed.len(), 1);
}

/// ASC-07: the iterator keeps no reference to the futures it yielded: an owned future it
/// yields is the last handle, so its value can be moved out.
#[test]
fn asc_07_test_free_reference_yielded_future() {
    let mut futures_list: Vec<Future<String>> = (0..8).map(|_| Future::new()).collect();
    let notified = Future::new();
    notified.cancel();
    notified.set_running_or_notify_cancel().unwrap();
    futures_list.push(notified);
    let finished = Future::new();
    finished.set_result("42".to_owned()).unwrap();
    futures_list.push(finished);
    let setters: Vec<Future<String>> = futures_list[..8].to_vec();

    let mut it = as_completed_timeout(futures_list, Duration::ZERO);
    let first = it.next().unwrap().unwrap();
    assert!(first.cancelled());
    let second = it.next().unwrap().unwrap();
    assert_eq!(second.into_result().unwrap(), "42");
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
    drop(it);

    // The second half of CPython's test: complete the others one by one; each yielded future
    // is the last handle once its setter is dropped.
    let mut setters: Vec<Option<Future<String>>> = setters.into_iter().map(Some).collect();
    let mut it = as_completed(setters.iter().map(|s| s.clone().unwrap()).collect::<Vec<_>>());
    for (i, slot) in setters.iter_mut().enumerate() {
        let setter = slot.take().unwrap();
        setter.set_result(format!("test {i}")).unwrap();
        drop(setter);
        let yielded = it.next().unwrap().unwrap();
        assert_eq!(yielded.into_result(), Ok(format!("test {i}")));
    }
    assert!(it.next().is_none());
}

/// ASC-03: the timeout message counts the unfinished futures.
#[test]
fn asc_03_test_correct_timeout_exception_msg() {
    let s = states();
    let all = [&s.cancelled_and_notified, &s.pending, &s.running, &s.successful];
    let items: Vec<_> = as_completed_timeout(all, Duration::ZERO).collect();
    let err = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(err.to_string(), "2 (of 4) futures unfinished");
    assert_eq!(err.futures_unfinished(), Some((2, 4)));
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 2);
}

/// ASC-05: the time budget starts at the first `next()`.
#[test]
fn asc_05_timeout_starts_at_first_next() {
    let pending = Future::<i32>::new();
    let mut it = as_completed_timeout([&pending], SHORT);
    thread::sleep(SHORT * 2);
    let (elapsed, item) = timed(|| it.next());
    assert!(item.unwrap().is_err());
    assert_timeout(elapsed, SHORT);
}

/// ASC-06: a plain-cancelled future is never yielded.
#[test]
fn asc_06_plain_cancelled_never_yielded() {
    let c = Future::<i32>::new();
    c.cancel();
    let items: Vec<_> = as_completed_timeout([&c], SHORT).collect();
    assert_eq!(items.len(), 1);
    assert!(items[0].is_err());
}

/// As futures finish one by one, `as_completed` yields them in finishing order.
#[test]
fn as_completed_yields_in_finishing_order() {
    let fs: Vec<Future<usize>> = (0..4).map(|_| Future::new()).collect();
    let setters = fs.clone();
    let mut it = as_completed(fs);
    for i in [2, 0, 3, 1] {
        setters[i].set_result(i).unwrap();
        let f = it.next().unwrap().unwrap();
        assert_eq!(f.result(), Ok(&i));
    }
    assert!(it.next().is_none());
}

/// An owned future yielded by `as_completed` is not kept by the iterator (ASC-07): once the
/// producer's handle is gone, `into_result` gets the value.
#[test]
fn asc_07_yielded_owned_future_is_unique() {
    let f = Future::new();
    let setter = f.clone();
    let mut it = as_completed(vec![f]);
    setter.set_result(String::from("value")).unwrap();
    drop(setter);
    let yielded = it.next().unwrap().unwrap();
    assert_eq!(yielded.into_result(), Ok(String::from("value")));
    assert!(it.next().is_none());
}

/// Dropping the iterator early removes its waiter: the futures complete normally afterwards.
#[test]
fn as_completed_dropped_early() {
    let (a, b) = (Future::new(), Future::new());
    let mut it = as_completed_deadline([&a, &b], Instant::now() + Duration::from_secs(60));
    a.set_result(1).unwrap();
    assert_eq!(it.next().unwrap(), Ok(&a));
    drop(it);
    b.set_result(2).unwrap();
    assert_eq!(b.result(), Ok(&2));
}

// -------------------------------------------------------------------------------------------
// executor.py: ExecutorTest (ThreadPoolExecutorTest)

/// EXE-01.
#[test]
fn exe_01_test_submit() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let future = pool.submit(|| 2_i32.pow(8)).unwrap();
    assert_eq!(future.result(), Ok(&256));
    let (x, y) = (2, 8);
    assert_eq!(pool.submit(move || mul(x, y)).unwrap().into_result(), Ok(16));
}

/// EXE-03.
#[test]
fn exe_03_test_map() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let got: Vec<u64> =
        pool.map(|x: u64| x.pow(x as u32), 0..10).unwrap().map(Result::unwrap).collect();
    let want: Vec<u64> = (0..10u64).map(|x| x.pow(x as u32)).collect();
    assert_eq!(got, want);
    // Input order however the tasks finish: small inputs are the slowest here.
    let got: Vec<u64> = pool
        .map(
            |x: u64| {
                thread::sleep(Duration::from_millis(5 * (4 - x)));
                x
            },
            0..5,
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, [0, 1, 2, 3, 4]);
}

/// A failed item is an `Err` at its position; the others are unaffected.
#[test]
fn test_map_exception() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let mut i = pool
        .map(
            |(a, b): (i32, i32)| {
                if b == 0 {
                    panic::resume_unwind(Box::new("ZeroDivisionError"));
                }
                (a / b, a % b)
            },
            [(1, 2), (1, 3), (1, 0), (1, 5)],
        )
        .unwrap();
    assert_eq!(i.next().unwrap(), Ok((0, 1)));
    assert_eq!(i.next().unwrap(), Ok((0, 1)));
    assert_eq!(i.next().unwrap().unwrap_err().panic_message(), Some("ZeroDivisionError"));
    assert_eq!(i.next().unwrap(), Ok((0, 1)));
    assert!(i.next().is_none());
}

/// EXE-07: the map budget runs from the call; `TimeoutError` after the earlier results.
#[test]
fn exe_07_test_map_timeout() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let g = Arc::clone(&gate);
    let (elapsed, results) = timed(|| {
        pool.map_timeout(
            move |block: bool| {
                if block {
                    g.wait();
                }
            },
            [false, false, true],
            SHORT,
        )
        .unwrap()
        .collect::<Vec<_>>()
    });
    assert_eq!(results.len(), 3);
    assert_eq!(results[..2], [Ok(()), Ok(())]);
    assert!(results[2].as_ref().unwrap_err().is_timeout());
    assert_timeout(elapsed, SHORT);
}

#[test]
fn test_shutdown_race_issue12456() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let it = pool.map(|x: i32| x.to_string(), [2; 6]).unwrap();
    pool.shutdown();
    assert_eq!(it.map(Result::unwrap).collect::<Vec<_>>(), ["2"; 6]);
}

/// Issue #16284: the executor does not keep a finished task's closure (and its captures).
#[test]
fn test_no_stale_references() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let my_object = Arc::new(());
    let weak: Weak<()> = Arc::downgrade(&my_object);
    // Deliberately discarding the future.
    drop(pool.submit(move || drop(my_object)).unwrap());
    wait_until("the task's captures are dropped", || weak.upgrade().is_none());
}

/// EXE-09.
#[test]
fn exe_09_test_max_workers_negative() {
    let err = ThreadPoolExecutor::new(0).unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::MaxWorkers);
    assert_eq!(err.to_string(), "max_workers must be greater than 0");
    let err = ThreadPoolExecutor::builder().max_workers(0).build().unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::MaxWorkers);
}

/// Issue #14406: the map iterator keeps no reference to the results it yielded.
#[test]
fn test_free_reference() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    for obj in pool.map(|_| Arc::new(()), 0..10).unwrap() {
        let obj = obj.unwrap();
        assert_eq!(Arc::strong_count(&obj), 1, "the iterator or the pool kept a reference");
    }
}

// -------------------------------------------------------------------------------------------
// test_thread_pool.py: ThreadPoolExecutorTest

/// Issue 11777: `map` submits everything at once, without iteration.
#[test]
fn test_map_submits_without_iteration() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let finished = Arc::new(Mutex::new(Vec::new()));
    let f = Arc::clone(&finished);
    let it = pool.map(move |n| f.lock().unwrap().push(n), 0..10).unwrap();
    pool.shutdown();
    let mut got = finished.lock().unwrap().clone();
    got.sort_unstable();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    drop(it);
}

/// EXE-10.
#[test]
fn exe_10_test_default_workers() {
    let pool = ThreadPoolExecutor::default();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(pool.max_workers(), (cpus + 4).min(32));
    assert_eq!(ThreadPoolExecutor::default_max_workers(), pool.max_workers());
}

#[test]
fn test_saturation() {
    let pool = ThreadPoolExecutor::new(4).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    for _ in 0..15 * pool.max_workers() {
        let g = Arc::clone(&gate);
        pool.submit(move || g.wait()).unwrap();
    }
    assert_eq!(pool.worker_count(), pool.max_workers());
    gate.open();
    pool.shutdown();
}

/// EXE-12.
#[test]
fn exe_12_test_idle_thread_reuse() {
    let pool = ThreadPoolExecutor::default();
    assert_eq!(pool.worker_count(), 0, "workers start lazily");
    pool.submit(|| mul(21, 2)).unwrap().result().unwrap();
    pool.submit(|| mul(6, 7)).unwrap().result().unwrap();
    pool.submit(|| mul(3, 14)).unwrap().result().unwrap();
    assert_eq!(pool.worker_count(), 1);
    pool.shutdown();
}

/// EXE-12: lazy start and idle reuse, many rounds of sequential submit-and-wait.
#[test]
fn exe_12_sequential_submits_use_one_worker() {
    let pool = ThreadPoolExecutor::new(8).unwrap();
    let names: HashSet<String> = (0..if cfg!(miri) { 40 } else { 200 })
        .map(|_| pool.submit(current_name).unwrap().into_result().unwrap())
        .collect();
    assert_eq!(pool.worker_count(), 1);
    assert_eq!(names.len(), 1);
}

/// EXE-08.
#[test]
fn exe_08_test_executor_map_current_future_cancel() {
    let stop_event = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&stop_event));
    let log = Arc::new(Mutex::new(Vec::new()));
    let log_n_wait = {
        let (log, stop) = (Arc::clone(&log), Arc::clone(&stop_event));
        move |ident: &str| {
            log.lock().unwrap().push(format!("ident='{ident}' started"));
            stop.wait();
            log.lock().unwrap().push(format!("ident='{ident}' stopped"));
        }
    };
    {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let first = log_n_wait.clone();
        let fut = pool.submit(move || first("first")).unwrap();
        {
            let mut gen_ =
                pool.map_timeout(log_n_wait, ["second", "third"], Duration::ZERO).unwrap();
            assert!(gen_.next().unwrap().unwrap_err().is_timeout());
        }
        stop_event.open();
        fut.result().unwrap();
    }
    assert_eq!(*log.lock().unwrap(), ["ident='first' started", "ident='first' stopped"]);
}

// -------------------------------------------------------------------------------------------
// test_shutdown.py: ThreadPoolShutdownTest

/// EXE-17.
#[test]
fn exe_17_test_run_after_shutdown() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    pool.shutdown();
    let err = pool.submit(|| 2_i32.pow(5)).unwrap_err();
    match err {
        SubmitError::Shutdown(e) => assert_eq!(e.kind(), RuntimeErrorKind::ScheduleAfterShutdown),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.to_string(), "cannot schedule new futures after shutdown");
    assert!(pool.map(|x: i32| x, [1]).is_err());
}

/// EXE-18.
#[test]
fn exe_18_test_hang_issue12364() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let fs: Vec<_> =
        (0..50).map(|_| pool.submit(|| thread::sleep(Duration::from_millis(1))).unwrap()).collect();
    pool.shutdown();
    for f in &fs {
        assert!(f.done() && !f.cancelled());
        f.result().unwrap();
    }
}

/// EXE-20.
#[test]
fn exe_20_test_cancel_futures() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let running = submit_busy(&pool, &gate, "ran");
    let queued: Vec<_> = (0..5).map(|i| pool.submit(move || i).unwrap()).collect();
    pool.shutdown_cancel_nowait();
    assert!(queued.iter().all(Future::cancelled));
    // `wait` hears of them at once (CPython would leave them un-notified).
    assert_eq!(wait_timeout(&queued, Duration::ZERO, ReturnWhen::AllCompleted).done.len(), 5);
    gate.open();
    pool.shutdown();
    assert_eq!(running.result(), Ok(&"ran"));
}

/// EXE-25: a future cancelled right before shutdown never runs, and shutdown does not hang.
#[test]
fn exe_25_test_hang_gh94440() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    pool.submit(|| 0).unwrap().result().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let f = pool.submit(move || r.fetch_add(1, Ordering::SeqCst)).unwrap();
    let cancelled = f.cancel();
    pool.shutdown();
    if cancelled {
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        // CANCELLED_AND_NOTIFIED: the worker (or the shutdown) told the waiters.
        assert_eq!(wait_timeout([&f], Duration::ZERO, ReturnWhen::AllCompleted).done, [&f]);
    } else {
        assert!(f.done());
    }
}

/// EXE-12, test_threads_terminate: three blocking submits start three workers.
#[test]
fn test_threads_terminate() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    for _ in 0..3 {
        let g = Arc::clone(&gate);
        pool.submit(move || g.wait()).unwrap();
    }
    assert_eq!(pool.worker_count(), 3);
    gate.open();
    pool.shutdown();
}

/// EXE-22: the `with` block is the executor's scope; dropping it shuts it down and waits.
#[test]
fn exe_22_test_context_manager_shutdown() {
    let done = Arc::new(AtomicUsize::new(0));
    {
        let e = ThreadPoolExecutor::new(5).unwrap();
        let got: Vec<i32> = e.map(|x: i32| x.abs(), -5..5).unwrap().map(Result::unwrap).collect();
        assert_eq!(got, [5, 4, 3, 2, 1, 0, 1, 2, 3, 4]);
        let d = Arc::clone(&done);
        e.submit(move || {
            thread::sleep(Duration::from_millis(20));
            d.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 1, "the drop waited for the queued task");
}

/// test_del_shutdown: results computed before the executor went away are all there.
#[test]
fn test_del_shutdown() {
    let executor = ThreadPoolExecutor::new(5).unwrap();
    let res = executor.map(|x: i32| x.abs(), -5..5).unwrap();
    drop(executor);
    let got: Vec<i32> = res.map(Result::unwrap).collect();
    assert_eq!(got, (-5..5).map(i32::abs).collect::<Vec<_>>());
}

/// EXE-19.
#[test]
fn exe_19_test_shutdown_no_wait() {
    let executor = ThreadPoolExecutor::new(5).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let g = Arc::clone(&gate);
    let slow = executor.submit(move || g.wait()).unwrap();
    let res = executor.map(|x: i32| x.abs(), -5..5).unwrap();
    let (elapsed, ()) = timed(|| executor.shutdown_nowait());
    assert!(elapsed < Duration::from_secs(1), "shutdown(wait=False) waited");
    gate.open();
    assert_eq!(
        res.map(Result::unwrap).collect::<Vec<_>>(),
        (-5..5).map(i32::abs).collect::<Vec<_>>()
    );
    slow.result().unwrap();
}

/// EXE-21.
#[test]
fn exe_21_shutdown_any_number_of_times() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    pool.submit(|| ()).unwrap();
    pool.shutdown();
    pool.shutdown();
    pool.shutdown_cancel_nowait();
    pool.shutdown_nowait();
    pool.shutdown_cancel();
}

/// EXE-14.
#[test]
fn exe_14_test_thread_names_assigned() {
    let executor = ThreadPoolExecutor::builder()
        .max_workers(5)
        .thread_name_prefix("SpecialPool")
        .build()
        .unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let started = Arc::new(AtomicUsize::new(0));
    let names: Vec<_> = (0..5)
        .map(|_| {
            let (g, s) = (Arc::clone(&gate), Arc::clone(&started));
            executor
                .submit(move || {
                    s.fetch_add(1, Ordering::SeqCst);
                    g.wait();
                    current_name()
                })
                .unwrap()
        })
        .collect();
    // All five running at once: each on its own worker.
    wait_until("five tasks running", || started.load(Ordering::SeqCst) == 5);
    gate.open();
    let mut names: Vec<String> = names.into_iter().map(|f| f.into_result().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        ["SpecialPool_0", "SpecialPool_1", "SpecialPool_2", "SpecialPool_3", "SpecialPool_4"]
    );
}

/// EXE-14.
#[test]
fn exe_14_test_thread_names_default() {
    let executor = ThreadPoolExecutor::new(5).unwrap();
    let name = executor.submit(current_name).unwrap().into_result().unwrap();
    let (prefix, index) = name.rsplit_once('_').unwrap();
    assert_eq!(index, "0");
    let number = prefix.strip_prefix("ThreadPoolExecutor-").unwrap();
    assert!(number.parse::<usize>().is_ok(), "{name}");
    // Each executor gets its own number.
    let other = ThreadPoolExecutor::new(1).unwrap();
    let other_name = other.submit(current_name).unwrap().into_result().unwrap();
    assert_ne!(other_name.rsplit_once('_').unwrap().0, prefix);
}

#[test]
fn test_cancel_futures_wait_false() {
    let t = ThreadPoolExecutor::default();
    let f = t.submit(|| "apple").unwrap();
    t.shutdown_cancel_nowait();
    // Cancelled if it had not started, otherwise it ran; never left pending.
    assert!(f.cancelled() || f.result() == Ok(&"apple"));
}

/// EXE-27: a waiting shutdown from inside a worker does not join itself (no hang).
#[test]
fn exe_27_shutdown_from_a_worker() {
    let pool = Arc::new(ThreadPoolExecutor::new(2).unwrap());
    let p = Arc::clone(&pool);
    let f = pool.submit(move || p.shutdown()).unwrap();
    assert_eq!(f.result_timeout(Duration::from_secs(20)), Ok(&()));
    assert!(pool.submit(|| ()).is_err());
    pool.shutdown();
}

/// Dropping the last handle of the executor inside one of its own tasks does not hang.
#[test]
fn executor_dropped_inside_its_task() {
    let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
    let (tx, rx) = mpsc::channel();
    let p = Arc::clone(&pool);
    let f = pool
        .submit(move || {
            rx.recv().unwrap();
            drop(p); // the last handle: Drop runs shutdown() on this worker
        })
        .unwrap();
    drop(pool);
    tx.send(()).unwrap();
    assert_eq!(f.result_timeout(Duration::from_secs(20)), Ok(&()));
}

// -------------------------------------------------------------------------------------------
// test_init.py

thread_local! {
    static INITIALIZER_STATUS: std::cell::RefCell<&'static str> = const { std::cell::RefCell::new("uninitialized") };
}

/// EXE-23: the initializer runs once per worker, before its first task.
#[test]
fn exe_23_test_initializer() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(move || {
            c.fetch_add(1, Ordering::SeqCst);
            INITIALIZER_STATUS.with(|s| *s.borrow_mut() = "initialized");
        })
        .build()
        .unwrap();
    let futures: Vec<_> =
        (0..2).map(|_| pool.submit(|| INITIALIZER_STATUS.with(|s| *s.borrow())).unwrap()).collect();
    for f in &futures {
        assert_eq!(f.result(), Ok(&"initialized"));
    }
    for _ in 0..10 {
        pool.submit(|| ()).unwrap().result().unwrap();
    }
    // Once shut down, every worker started has run its initializer, exactly once.
    pool.shutdown();
    assert!(calls.load(Ordering::SeqCst) <= 2);
    assert_eq!(calls.load(Ordering::SeqCst), pool.worker_count());
}

/// EXE-24: a failing initializer breaks the pool: queued futures fail with BrokenThreadPool,
/// and later submits fail with it.
#[test]
fn exe_24_failing_initializer() {
    for fails_by_panic in [false, true] {
        let (entered_tx, entered) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let go_rx = Mutex::new(go_rx);
        let entered_tx = Mutex::new(entered_tx);
        let executor = ThreadPoolExecutor::builder()
            .max_workers(2)
            .initializer(move || -> Result<(), String> {
                let _ = entered_tx.lock().unwrap().send(());
                let _ = go_rx.lock().unwrap().recv();
                if fails_by_panic {
                    panic::resume_unwind(Box::new("error in initializer"));
                }
                Err("error in initializer".to_owned())
            })
            .build()
            .unwrap();
        let future = executor.submit(|| 1).unwrap();
        entered.recv().unwrap(); // the worker is in its initializer: the future is queued
        go.send(()).unwrap();
        assert_eq!(future.result(), Err(FutureError::BrokenThreadPool(BrokenThreadPool)));
        wait_until("the executor is broken", || {
            matches!(executor.submit(|| 1), Err(SubmitError::BrokenThreadPool(_)))
        });
        let err = executor.submit(|| 1).unwrap_err();
        assert_eq!(err, SubmitError::BrokenThreadPool(BrokenThreadPool));
        assert_eq!(
            err.to_string(),
            "A thread initializer failed, the thread pool is not usable anymore"
        );
        drop(go);
    }
}

// -------------------------------------------------------------------------------------------
// Beyond CPython's tests

/// EXE-16: panicking tasks never kill a worker, never hang a waiter, and are never lost.
#[test]
fn exe_16_thousand_panicking_tasks() {
    let pool =
        ThreadPoolExecutor::builder().max_workers(4).report_unretrieved(false).build().unwrap();
    let fs: Vec<Future<u32>> = (0..if cfg!(miri) { 50 } else { 1000 })
        .map(|i| pool.submit(move || panic::resume_unwind(Box::new(format!("task {i}")))).unwrap())
        .collect();
    for (i, f) in fs.iter().enumerate() {
        assert_eq!(f.result().unwrap_err().panic_message(), Some(format!("task {i}").as_str()));
    }
    assert!(pool.worker_count() <= 4);
    // The pool still works.
    assert_eq!(pool.submit(|| 2 + 2).unwrap().into_result(), Ok(4));
    assert_eq!(pool.map(|x: i32| x + 1, 0..100).unwrap().filter(Result::is_ok).count(), 100);
}

/// EXE-16: a real `panic!` is caught too, and its message kept.
#[test]
fn exe_16_panic_message_is_kept() {
    let pool =
        ThreadPoolExecutor::builder().max_workers(1).report_unretrieved(false).build().unwrap();
    let f = pool.submit(|| -> i32 { panic!("boom {}", 7) }).unwrap();
    assert_eq!(f.exception(), Ok(Some(FutureError::Panicked(TaskPanic::new("boom 7")))));
    assert_eq!(pool.submit(|| 1).unwrap().into_result(), Ok(1));
    assert_eq!(pool.worker_count(), 1);
}

/// A failed future dropped without anyone looking is reported once; looked-at failures and
/// successes are not reported; reporting can be turned off.
#[test]
fn unretrieved_failure_reported_once() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&reports);
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .on_unretrieved(move |u| {
            assert!(u.future().contains("state=finished raised TaskPanic"), "{}", u.future());
            r.lock().unwrap().push(u.error().panic_message().unwrap().to_owned());
        })
        .build()
        .unwrap();
    // Dropped before it ran: the worker drops the last reference.
    drop(pool.submit(|| -> () { panic::resume_unwind(Box::new("ignored")) }).unwrap());
    // Looked at: not reported.
    let seen = pool.submit(|| -> () { panic::resume_unwind(Box::new("seen")) }).unwrap();
    assert!(seen.result().is_err());
    drop(seen);
    // Looked at through exception(): not reported.
    let seen = pool.submit(|| -> () { panic::resume_unwind(Box::new("seen too")) }).unwrap();
    assert!(seen.exception().unwrap().is_some());
    drop(seen);
    // Succeeded: not reported.
    drop(pool.submit(|| ()).unwrap());
    // Dropped after it finished, with clones: reported once, when the last one goes.
    let f = pool.submit(|| -> () { panic::resume_unwind(Box::new("late")) }).unwrap();
    let g = f.clone();
    assert!(wait(std::slice::from_ref(&f), ReturnWhen::AllCompleted).not_done.is_empty());
    drop(f);
    assert!(reports.lock().unwrap().iter().all(|m| m != "late"));
    drop(g);
    pool.shutdown();
    let mut got = reports.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, ["ignored", "late"]);

    let quiet =
        ThreadPoolExecutor::builder().max_workers(1).report_unretrieved(false).build().unwrap();
    drop(quiet.submit(|| -> () { panic::resume_unwind(Box::new("off")) }).unwrap());
    quiet.shutdown();
}

/// A `map` iterator dropped before reaching a failed item reports it (never silently lost).
#[test]
fn unretrieved_failure_in_dropped_map() {
    let reports = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&reports);
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .on_unretrieved(move |_| {
            r.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let mut it = pool
        .map(|x: i32| if x == 1 { panic::resume_unwind(Box::new("second")) } else { x }, [0, 1])
        .unwrap();
    assert_eq!(it.next().unwrap(), Ok(0));
    wait_until("the second task ran", || pool.submit(|| ()).unwrap().result().is_ok());
    drop(it);
    pool.shutdown();
    assert_eq!(reports.load(Ordering::SeqCst), 1);
}

/// Dropping the executor waits for every queued task (Python's `with` block, EXE-18).
#[test]
fn drop_waits_for_queued_work() {
    let done = Arc::new(AtomicUsize::new(0));
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let pool = ThreadPoolExecutor::new(2).unwrap();
    for _ in 0..20 {
        let (d, g) = (Arc::clone(&done), Arc::clone(&gate));
        pool.submit(move || {
            g.wait();
            d.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    let opener = {
        let g = Arc::clone(&gate);
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            g.open();
        })
    };
    drop(pool);
    assert_eq!(done.load(Ordering::SeqCst), 20);
    opener.join().unwrap();
}

/// Futures from many submitting threads at once all complete with their own values.
#[test]
fn concurrent_submitters() {
    let pool = Arc::new(ThreadPoolExecutor::new(4).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                let fs: Vec<_> = (0..if cfg!(miri) { 25 } else { 250 })
                    .map(|i| pool.submit(move || t * 1000 + i).unwrap())
                    .collect();
                fs.into_iter().enumerate().all(|(i, f)| f.into_result() == Ok(t * 1000 + i))
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap());
    }
}

// -------------------------------------------------------------------------------------------
// Workers are `threading::Thread`s

/// EXE-14, EXE-15: workers are listed by `threading::enumerate()` under their names, are not
/// daemons, and leave the list once the pool is shut down.
#[test]
fn exe_15_workers_visible_in_enumerate() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .thread_name_prefix("EnumeratedPool")
        .build()
        .unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let started = Arc::new(AtomicUsize::new(0));
    let fs: Vec<_> = (0..2)
        .map(|_| {
            let (g, s) = (Arc::clone(&gate), Arc::clone(&started));
            pool.submit(move || {
                s.fetch_add(1, Ordering::SeqCst);
                g.wait();
                let me = threading::current_thread();
                (me.name(), me.daemon())
            })
            .unwrap()
        })
        .collect();
    wait_until("both tasks running", || started.load(Ordering::SeqCst) == 2);
    let mut listed: Vec<String> = threading::enumerate()
        .iter()
        .map(|t| t.name())
        .filter(|n| n.starts_with("EnumeratedPool_"))
        .collect();
    listed.sort();
    assert_eq!(listed, ["EnumeratedPool_0", "EnumeratedPool_1"]);
    gate.open();
    for f in fs {
        let (name, daemon) = f.into_result().unwrap();
        assert!(name.starts_with("EnumeratedPool_"));
        assert!(!daemon, "pool workers are not daemons");
    }
    pool.shutdown();
    assert!(threading::enumerate().iter().all(|t| !t.name().starts_with("EnumeratedPool_")));
}

/// A panicking done callback is reported through the thread excepthook (here on a worker,
/// where Rust's panic hook stays quiet about caught panics) and the other callbacks still run.
#[test]
fn callback_panic_on_a_worker_does_not_stop_the_others() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let g = Arc::clone(&gate);
    let f = pool.submit(move || g.wait()).unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    f.add_done_callback(|_| panic::resume_unwind(Box::new("callback failed")));
    let r = Arc::clone(&ran);
    f.add_done_callback(move |_| {
        r.fetch_add(1, Ordering::SeqCst);
    });
    gate.open();
    f.result().unwrap();
    pool.shutdown(); // the callbacks have run on the worker by now
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(pool.worker_count(), 1);
}

/// Runs `pool_child MODE` and returns its stdout; it must exit successfully, in time.
#[cfg(not(miri))] // Only for the child-process tests, which Miri cannot run.
fn run_child(mode: &str) -> String {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_pool_child"))
        .arg(mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pool_child");
    // A child that does not end (a worker nobody shut down) fails the test instead of
    // hanging it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("poll pool_child").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("pool_child {mode} did not exit within 60 s");
        }
        thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("read pool_child's output");
    assert!(
        out.status.success(),
        "pool_child {mode}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// EXE-26: at the end of the program, queued work of a pool nobody shut down still runs, after
/// `main` returned, and the process then exits (idle workers do not keep it alive).
#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/pool_child.
#[test]
fn exe_26_test_interpreter_shutdown() {
    assert_eq!(run_child("queued"), "main end\ntask 0\ntask 1\ntask 2\n");
}

/// EXE-26: a submit from an at-exit handler fails with Python's message.
#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/pool_child.
#[test]
fn exe_26_test_submit_after_interpreter_shutdown() {
    assert_eq!(
        run_child("submit_at_exit"),
        "main end\nruntime-error: cannot schedule new futures after interpreter shutdown\n"
    );
}

// -------------------------------------------------------------------------------------------
// Error values, shutdown variants, builder switches, and how idle workers sleep and wake.

/// Each `FutureError` says which kind it is (and no other), displays like the error it holds,
/// and names that error as its source; the same for `SubmitError`.
#[test]
fn future_errors_tell_their_kind_and_display_their_cause() {
    use std::error::Error as _;
    let timeout = Future::<i32>::new().result_timeout(Duration::ZERO).unwrap_err();
    let done = Future::<i32>::new();
    done.set_result(1).unwrap();
    let invalid = FutureError::InvalidState(done.set_result(2).unwrap_err());
    let cases = [
        (
            FutureError::Cancelled(CancelledError),
            [true, false, false, false],
            "the future was cancelled",
        ),
        (timeout, [false, true, false, false], "timed out waiting for the future"),
        (
            FutureError::BrokenThreadPool(BrokenThreadPool),
            [false, false, true, false],
            "A thread initializer failed, the thread pool is not usable anymore",
        ),
        (invalid, [false, false, false, false], "FINISHED: <Future at "),
        (failure("boom"), [false, false, false, true], "task panicked: boom"),
    ];
    for (error, kinds, text) in cases {
        let got = [error.is_cancelled(), error.is_timeout(), error.is_broken(), error.is_panic()];
        assert_eq!(got, kinds, "{error:?}");
        assert!(error.to_string().starts_with(text), "{error}");
        let source = error.source().expect("every FutureError has its cause as source");
        assert_eq!(source.to_string(), error.to_string());
    }
    assert_eq!(CancelledError.to_string(), "the future was cancelled");
    assert_eq!(TaskPanic::new("m").to_string(), "task panicked: m");

    let pool = ThreadPoolExecutor::new(1).unwrap();
    pool.shutdown();
    let refused = pool.submit(|| ()).unwrap_err();
    let source = refused.source().expect("a SubmitError has its cause as source");
    assert_eq!(source.to_string(), "cannot schedule new futures after shutdown");
    assert_eq!(refused.to_string(), source.to_string());
    let broken = SubmitError::BrokenThreadPool(BrokenThreadPool);
    assert_eq!(broken.source().unwrap().to_string(), BrokenThreadPool.to_string());
}

/// `shutdown_nowait` and `shutdown_cancel` refuse later submits, as `shutdown` does; the
/// cancelling one cancels what is still queued.
#[test]
fn every_shutdown_variant_refuses_new_tasks() {
    let nowait = ThreadPoolExecutor::new(1).unwrap();
    nowait.shutdown_nowait();
    assert!(matches!(nowait.submit(|| 1), Err(SubmitError::Shutdown(_))));

    let cancel = ThreadPoolExecutor::new(1).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let busy = submit_busy(&cancel, &gate, 1);
    let queued = cancel.submit(|| 2).unwrap();
    let opener = {
        let gate = Arc::clone(&gate);
        thread::spawn(move || {
            // Lets the busy task finish once the shutdown has cancelled the queued one.
            wait_until("the queued task cancelled", || queued.cancelled());
            gate.open();
            queued
        })
    };
    cancel.shutdown_cancel();
    assert!(opener.join().unwrap().cancelled());
    assert_eq!(busy.result(), Ok(&1));
    assert!(matches!(cancel.submit(|| 3), Err(SubmitError::Shutdown(_))));
}

/// `report_unretrieved(true)` keeps a hook set by `on_unretrieved` (it only turns reporting
/// back on when it was off); `false` turns the hook off.
#[test]
fn report_unretrieved_true_keeps_the_hook() {
    for (on, expected) in [(true, 1), (false, 0)] {
        let reports = Arc::new(AtomicUsize::new(0));
        let r = Arc::clone(&reports);
        let pool = ThreadPoolExecutor::builder()
            .max_workers(1)
            .on_unretrieved(move |_| {
                r.fetch_add(1, Ordering::SeqCst);
            })
            .report_unretrieved(on)
            .build()
            .unwrap();
        drop(pool.submit(|| -> () { panic::resume_unwind(Box::new("unseen")) }).unwrap());
        pool.shutdown();
        assert_eq!(reports.load(Ordering::SeqCst), expected, "report_unretrieved({on})");
    }
}

/// A worker held on its way back to the queue (in a done-callback of its last task) counts as
/// idle: the next submit waits for it instead of starting a second worker (CPython's
/// `_idle_semaphore`).
#[test]
fn exe_12_a_worker_on_its_way_back_is_reused() {
    let pool = ThreadPoolExecutor::new(4).unwrap();
    let (task_gate, callback_gate) = (Gate::new(), Gate::new());
    let _open = (OpenOnDrop(Arc::clone(&task_gate)), OpenOnDrop(Arc::clone(&callback_gate)));
    let g = Arc::clone(&task_gate);
    let first = pool.submit(move || g.wait()).unwrap();
    let (in_callback_tx, in_callback) = mpsc::channel();
    let g = Arc::clone(&callback_gate);
    first.add_done_callback(move |_| {
        in_callback_tx.send(()).unwrap();
        g.wait();
    });
    task_gate.open();
    in_callback.recv().unwrap();
    let second = pool.submit(|| 2).unwrap();
    assert_eq!(pool.worker_count(), 1, "the returning worker will take the job");
    callback_gate.open();
    assert_eq!(second.result_timeout(Duration::from_secs(10)), Ok(&2));
    assert_eq!(pool.worker_count(), 1);
}

/// A worker that went to sleep (parked, not spinning) is woken by the next submit and reused;
/// a sleeping pool uses no processor.
#[test]
fn exe_12_a_sleeping_worker_is_woken_and_reused() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(4)
        .thread_name_prefix("sleepy-reuse")
        .build()
        .unwrap();
    for round in 1..=3 {
        assert_eq!(pool.submit(move || round).unwrap().result(), Ok(&round));
        let ids = worker_ids("sleepy-reuse");
        assert_eq!(ids.len(), 1);
        wait_until_asleep(ids[0]);
    }
    assert_eq!(pool.worker_count(), 1);
}

/// Two pools with a sleeping worker each: a submit to one wakes that pool's worker, not the
/// other's (each pool parks its workers on a key of its own). In a child process: see
/// `pool_child own_key`.
#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/pool_child.
#[test]
fn a_submit_wakes_a_worker_of_its_own_pool() {
    assert_eq!(run_child("own_key"), "Ok(1)\n");
}

/// Two sleeping workers and two tasks that must run at the same time: the first worker woken
/// passes the wake-up on to the second (only one wake-up is in flight at a time).
#[test]
fn a_woken_worker_passes_the_wake_up_on() {
    let pool =
        ThreadPoolExecutor::builder().max_workers(2).thread_name_prefix("pass-on").build().unwrap();
    let meet = || {
        let both = Arc::new(threading::Barrier::new(2));
        move || both.wait_timeout(Duration::from_secs(5)).is_ok()
    };
    for _ in 0..2 {
        let task = meet();
        let futures: Vec<_> = (0..2).map(|_| pool.submit(task.clone()).unwrap()).collect();
        assert!(futures.iter().all(|f| f.result() == Ok(&true)), "both ran at once");
        let ids = worker_ids("pass-on");
        assert_eq!(ids.len(), 2);
        for id in ids {
            wait_until_asleep(id);
        }
    }
}

/// After a worker slept and woke for a task that blocks, a second task starts a second worker
/// (the woken worker no longer counts as a sleeper).
#[test]
fn a_woken_worker_no_longer_counts_as_asleep() {
    let pool =
        ThreadPoolExecutor::builder().max_workers(4).thread_name_prefix("woke-up").build().unwrap();
    pool.submit(|| ()).unwrap().result().unwrap();
    wait_until_asleep(worker_ids("woke-up")[0]);
    let both = Arc::new(threading::Barrier::new(2));
    let (started_tx, started) = mpsc::channel();
    let b = Arc::clone(&both);
    let first = pool
        .submit(move || {
            started_tx.send(()).unwrap();
            b.wait_timeout(Duration::from_secs(5)).is_ok()
        })
        .unwrap();
    started.recv().unwrap();
    let second = pool.submit(move || both.wait_timeout(Duration::from_secs(5)).is_ok()).unwrap();
    assert_eq!(second.result(), Ok(&true));
    assert_eq!(first.result(), Ok(&true));
    assert_eq!(pool.worker_count(), 2);
}

/// A pool that cannot start a thread: with no worker the submit fails and queues nothing (the
/// task could never run); with a worker alive the task waits for it instead (CPython would
/// raise in both cases; here the task is not lost either way).
#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/pool_child.
#[test]
fn a_failed_worker_start_refuses_only_when_no_worker_is_left() {
    let out = run_child("spawn_fails");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("no worker: can't start new thread"), "{out}");
    assert_eq!(lines[1..], ["retried: Ok(1)", "queued behind: Ok(Ok(2)) workers 1"], "{out}");
}

// -------------------------------------------------------------------------------------------
// Callbacks, waiters, reports and the end of the program, case by case

/// `into_result` waits for the done callbacks running on another thread (they may hold `&T`),
/// then takes the value; called from inside a callback it does not wait for itself.
#[test]
fn into_result_waits_for_running_callbacks() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let (task_gate, callback_gate) = (Gate::new(), Gate::new());
    let _open = (OpenOnDrop(Arc::clone(&task_gate)), OpenOnDrop(Arc::clone(&callback_gate)));
    let f = submit_busy(&pool, &task_gate, 7);
    let callback_done = Arc::new(AtomicUsize::new(0));
    let (in_callback_tx, in_callback) = mpsc::channel();
    let (g, d) = (Arc::clone(&callback_gate), Arc::clone(&callback_done));
    f.add_done_callback(move |f: &Future<i32>| {
        // Not the last handle (this one and the caller's exist): refused, without a hang.
        let inside = f.clone().into_result();
        in_callback_tx
            .send(inside.is_err_and(|e| matches!(e, FutureError::InvalidState(_))))
            .unwrap();
        g.wait();
        d.store(1, Ordering::SeqCst);
    });
    task_gate.open();
    assert_eq!(in_callback.recv_timeout(Duration::from_secs(5)), Ok(true));
    let d = Arc::clone(&callback_done);
    let taken = asleep_in(move || (f.into_result(), d.load(Ordering::SeqCst)));
    callback_gate.open();
    let returned = taken.recv_timeout(Duration::from_secs(5));
    assert_eq!(returned, Ok((Ok(7), 1)), "returned only after the callback");
}

/// A done callback of a pool future gets a handle of that future: done, with its value.
#[test]
fn a_pool_futures_callback_sees_it_done() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let f = submit_busy(&pool, &gate, 5);
    let (seen_tx, seen) = mpsc::channel();
    f.add_done_callback(move |f: &Future<i32>| {
        seen_tx.send((f.done(), f.result_timeout(Duration::ZERO).ok().copied())).unwrap();
    });
    gate.open();
    assert_eq!(seen.recv_timeout(Duration::from_secs(5)), Ok((true, Some(5))));
    assert_eq!(f.into_result(), Ok(5));
}

/// `exception_deadline`: the failure, `None` for a success, a timeout for a pending future.
#[test]
fn exception_deadline_outcomes() {
    let soon = || Instant::now() + SHORT;
    let failed = Future::<i32>::new();
    failed.set_exception(failure("bad")).unwrap();
    assert_eq!(failed.exception_deadline(soon()), Ok(Some(failure("bad"))));
    let ok = Future::new();
    ok.set_result(1).unwrap();
    assert_eq!(ok.exception_deadline(soon()), Ok(None));
    let pending = Future::<i32>::new();
    assert!(pending.exception_deadline(soon()).unwrap_err().is_timeout());
}

/// Handles hash by identity: clones alike, distinct futures (almost surely) differently.
#[test]
fn future_hash_is_by_identity() {
    use std::hash::{BuildHasher, RandomState};
    let hasher = RandomState::new();
    let f = Future::<i32>::new();
    let other = Future::<i32>::new();
    assert_eq!(hasher.hash_one(&f), hasher.hash_one(f.clone()));
    assert_ne!(hasher.hash_one(&f), hasher.hash_one(&other));
}

/// A `map` iterator knows how many results are left, and dropping it cancels the tasks that
/// have not started (CPython's `result_iterator` cancels them in its `finally`).
#[test]
fn map_len_and_drop_cancels_the_rest() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let busy = submit_busy(&pool, &gate, ());
    let mut it = pool.map(|x: usize| x, 0..3).unwrap();
    assert_eq!(it.size_hint(), (3, Some(3)));
    assert_eq!(it.len(), 3);
    gate.open();
    assert_eq!(it.next(), Some(Ok(0)));
    assert_eq!(it.size_hint(), (2, Some(2)));
    assert_eq!((it.next(), it.next(), it.next()), (Some(Ok(1)), Some(Ok(2)), None));
    assert_eq!(it.size_hint(), (0, Some(0)));
    drop((it, busy));
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let _busy = submit_busy(&pool, &gate, ());
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let it = pool.map(move |_: i32| r.fetch_add(1, Ordering::SeqCst), [1, 2, 3]).unwrap();
    drop(it); // nothing started: all three are cancelled
    gate.open();
    pool.shutdown();
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

/// A waiter asleep in `wait` is woken by the completion it waits for.
#[test]
fn a_sleeping_wait_is_woken_by_the_completion() {
    let f = Future::new();
    let g = f.clone();
    let done = asleep_in(move || wait([g], ReturnWhen::AllCompleted).done.len());
    f.set_result(1).unwrap();
    assert_eq!(done.recv_timeout(Duration::from_secs(5)), Ok(1));
}

/// Two waiters on one future: the one that times out removes only its own entry, the other
/// is still told of the completion.
#[test]
fn a_timed_out_waiter_leaves_the_others_installed() {
    let f = Future::new();
    let g = f.clone();
    let done = asleep_in(move || as_completed([g]).next().is_some_and(|r| r.is_ok()));
    let split = wait_timeout([f.clone()], SHORT, ReturnWhen::AllCompleted);
    assert_eq!((split.done.len(), split.not_done.len()), (0, 1));
    assert!(as_completed_timeout([f.clone()], SHORT).next().unwrap().is_err());
    f.set_result(1).unwrap();
    assert_eq!(done.recv_timeout(Duration::from_secs(5)), Ok(true));
}

/// A panicking done callback is reported through the excepthook (CPython logs
/// "exception calling callback for <Future …>"), and the next callback still runs.
#[test]
fn a_panicking_callback_is_reported() {
    let (_turn, reports) = crate::thread::capture_reports("cb-report");
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .thread_name_prefix("cb-report")
        .build()
        .unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let f = submit_busy(&pool, &gate, 1);
    let (next_tx, next) = mpsc::channel();
    f.add_done_callback(|_| panic::resume_unwind(Box::new("callback boom")));
    f.add_done_callback(move |_| next_tx.send(()).unwrap());
    gate.open();
    next.recv_timeout(Duration::from_secs(5)).unwrap();
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let (message, _, thread) = &reports[0];
    assert!(message.starts_with("exception calling callback for <Future at 0x"), "{message}");
    assert!(message.contains("callback boom"), "{message}");
    assert_eq!(thread.as_deref(), Some("cb-report_0"));
}

/// Without a hook, an unretrieved failure goes to the excepthook with CPython's asyncio text,
/// from the thread that dropped the last handle (here the worker).
#[test]
fn an_unretrieved_failure_goes_to_the_excepthook() {
    let (_turn, reports) = crate::thread::capture_reports("unretrieved-report");
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .thread_name_prefix("unretrieved-report")
        .report_unretrieved(false)
        .report_unretrieved(true) // on again: through the excepthook, as by default
        .build()
        .unwrap();
    let gate = Gate::new();
    let _open = OpenOnDrop(Arc::clone(&gate));
    let g = Arc::clone(&gate);
    drop(pool.submit(move || -> () {
        g.wait();
        panic::resume_unwind(Box::new("nobody looked"))
    }));
    gate.open();
    pool.shutdown();
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let message = &reports[0].0;
    assert!(message.starts_with("Future exception was never retrieved\nfuture: <Future at"));
    assert!(message.contains("state=finished raised TaskPanic>"), "{message}");
    assert!(message.ends_with("nobody looked"), "{message}");
}

/// A failing initializer is reported through the excepthook ("Exception in initializer:").
#[test]
fn a_failing_initializer_is_reported() {
    let (_turn, reports) = crate::thread::capture_reports("init-report");
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .thread_name_prefix("init-report")
        .initializer(|| -> Result<(), String> { Err("no database".into()) })
        .build()
        .unwrap();
    assert!(pool.submit(|| 1).unwrap().result().unwrap_err().is_broken());
    pool.shutdown();
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let message = &reports[0].0;
    assert!(message.starts_with("Exception in initializer:\n"), "{message}");
    assert!(message.contains("no database"), "{message}");
}

/// At the end of the program every pool that started a worker is shut down (two here, so the
/// list keeps both), and a pool that never started one refuses submits too.
#[cfg(not(miri))] // Miri cannot spawn a process: this runs tests/bin/pool_child.
#[test]
fn exe_26_every_pool_is_shut_down_at_exit() {
    assert_eq!(
        run_child("two_pools"),
        "main end\n\
         used pool: runtime-error: cannot schedule new futures after interpreter shutdown\n\
         unused pool: runtime-error: cannot schedule new futures after interpreter shutdown\n"
    );
}

/// A `result()` asleep on a pending future (nobody started it) is woken by `set_result` and
/// by `cancel`, the transitions straight out of PENDING.
#[test]
fn a_sleeping_result_is_woken_out_of_pending() {
    for cancel in [false, true] {
        let f = Future::<i32>::new();
        let g = f.clone();
        let got = asleep_in(move || g.result().copied());
        if cancel {
            assert!(f.cancel());
        } else {
            f.set_result(3).unwrap();
        }
        let expected = if cancel { Err(FutureError::Cancelled(CancelledError)) } else { Ok(3) };
        assert_eq!(got.recv_timeout(Duration::from_secs(5)), Ok(expected), "cancel: {cancel}");
    }
}

/// `FirstException` sleeps through a success: a `wait` asleep on two pending futures is still
/// waiting after one of them finishes well, and returns when the other fails.
#[test]
fn first_exception_sleeps_through_a_success() {
    let (ok, bad) = (Future::<i32>::new(), Future::<i32>::new());
    let (a, b) = (ok.clone(), bad.clone());
    let got = asleep_in(move || {
        let split = wait([&a, &b], ReturnWhen::FirstException);
        (split.done.len(), split.not_done.len())
    });
    ok.set_result(1).unwrap();
    assert_eq!(got.recv_timeout(Duration::from_millis(200)), Err(mpsc::RecvTimeoutError::Timeout));
    bad.set_exception(failure("late")).unwrap();
    assert_eq!(got.recv_timeout(Duration::from_secs(5)), Ok((2, 0)));
}

/// In a stream of trivial tasks (which lets the workers take several jobs at once), a task
/// that waits for the task submitted right after it still gets it run on the other worker: a
/// worker that finds the shared queue empty steals from the other's batch, so no task waits
/// behind a busy worker while another idles (EXE-12's "idle workers are used" with batches).
/// Repeated, since whether the pair lands in one batch depends on timing.
#[test]
fn batched_dependent_pair_runs_on_both_workers() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    for round in 0..50 {
        // No wait between the stream and the pair: the batches are at their largest.
        let warm: Vec<_> = (0..2_000).map(|i| pool.submit(move || i).unwrap()).collect();
        let gate = Future::<()>::new();
        let g = gate.clone();
        let waiter =
            pool.submit(move || g.result_timeout(Duration::from_secs(10)).is_ok()).unwrap();
        let opener = pool.submit(move || gate.set_result(()).unwrap()).unwrap();
        let fillers: Vec<_> = (0..16).map(|i| pool.submit(move || i).unwrap()).collect();
        assert_eq!(waiter.result(), Ok(&true), "round {round}: the pair did not run together");
        opener.result().unwrap();
        for f in warm.iter().chain(&fillers) {
            f.result().unwrap();
        }
    }
}
