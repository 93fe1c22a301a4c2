//! loom models: pool (`Future`, `wait`, `as_completed`, `ThreadPoolExecutor`).
//!
//! Each model runs the shipped `threading::futures` code with at most 4 threads (main
//! included; an executor's worker is a model thread too). A lost wake-up shows as a loom
//! deadlock, a wrong outcome as a failed assertion.

use std::time::Duration;

use crate::common::loom::sync::Arc;
use crate::common::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::common::loom::thread;
use crate::common::{check, clock, loom};
use threading::futures::{Future, ReturnWhen, SubmitError, ThreadPoolExecutor, as_completed, wait};

/// `cancel()` races `set_running_or_notify_cancel()`: exactly one wins, and a cancelled
/// future never runs (FUT-12, EXE-25).
#[test]
fn cancel_vs_start() {
    check("pool::cancel_vs_start", || {
        let f = Future::<u32>::new();
        let worker = f.clone();
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let t = thread::spawn(move || {
            let start = worker.set_running_or_notify_cancel().unwrap();
            if start {
                r.fetch_add(1, Ordering::Relaxed);
                worker.set_result(7).unwrap();
            }
            start
        });
        let cancelled = f.cancel();
        let started = t.join().unwrap();
        assert_ne!(cancelled, started, "exactly one of cancel and start wins");
        if cancelled {
            assert!(f.cancelled());
            assert_eq!(ran.load(Ordering::Relaxed), 0, "a cancelled future ran");
            assert!(f.result().unwrap_err().is_cancelled());
        } else {
            assert_eq!(f.result(), Ok(&7));
        }
    });
}

/// Two lock-free starts race a `cancel` of a future with a done callback: exactly one of the
/// three wins; a cancelled future never runs and its callback runs once, at the cancel
/// (`PENDING → RUNNING` is one compare-exchange without the future's lock; `cancel` moves only
/// out of `PENDING`).
#[test]
fn start_twice_vs_cancel() {
    check("pool::start_twice_vs_cancel", || {
        let f = Future::<u32>::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        f.add_done_callback(move |f| {
            assert!(f.cancelled());
            c.fetch_add(1, Ordering::Relaxed);
        });
        let starters: Vec<_> = (0..2)
            .map(|_| {
                let worker = f.clone();
                thread::spawn(move || worker.set_running_or_notify_cancel().unwrap_or(false))
            })
            .collect();
        let cancelled = f.cancel();
        let started = starters.into_iter().map(|t| t.join().unwrap());
        let started = started.filter(|&s| s).count();
        assert_eq!(started + usize::from(cancelled), 1, "exactly one start or the cancel wins");
        assert_eq!(calls.load(Ordering::Relaxed), usize::from(cancelled));
        assert_eq!(f.running(), started == 1);
    });
}

/// A timed `result` races `set_result` and the clock: `Ok` only with the value, `Timeout`
/// otherwise, never a hang; afterwards the value is there (FUT-06, FUT-09).
#[test]
fn result_vs_timeout() {
    check("pool::result_vs_timeout", || {
        let f = Future::<u32>::new();
        let setter = f.clone();
        let t = thread::spawn(move || setter.set_result(42).unwrap());
        let c = thread::spawn(clock::expire);
        match f.result_timeout(Duration::from_secs(1)) {
            Ok(v) => assert_eq!(*v, 42),
            Err(e) => assert!(e.is_timeout(), "unexpected {e:?}"),
        }
        t.join().unwrap();
        c.join().unwrap();
        assert_eq!(f.result(), Ok(&42));
    });
}

/// A blocked `result` is woken by `cancel` from another thread (FUT-09), also when spurious
/// wake-ups hit it first.
#[test]
fn cancel_wakes_result() {
    check("pool::cancel_wakes_result", || {
        let f = Future::<u32>::new();
        let canceller = f.clone();
        let t = thread::spawn(move || assert!(canceller.cancel()));
        let s = thread::spawn(clock::spurious_wake_all);
        assert!(f.result().unwrap_err().is_cancelled());
        t.join().unwrap();
        s.join().unwrap();
    });
}

/// A callback registered while the future completes runs exactly once, and sees the value
/// (FUT-15, FUT-17).
#[test]
fn callback_while_completing() {
    check("pool::callback_while_completing", || {
        let f = Future::<u32>::new();
        let setter = f.clone();
        let t = thread::spawn(move || setter.set_result(5).unwrap());
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        f.add_done_callback(move |f| {
            assert_eq!(f.result(), Ok(&5));
            c.fetch_add(1, Ordering::Relaxed);
        });
        t.join().unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    });
}

/// `wait(FirstCompleted)` with two completions racing it: it returns with at least one future
/// done, every future it calls done is done, and nothing is lost (WAIT-01).
#[test]
fn wait_first_completed_two() {
    check("pool::wait_first_completed_two", || {
        let (a, b) = (Future::<u32>::new(), Future::<u32>::new());
        let (sa, sb) = (a.clone(), b.clone());
        let ta = thread::spawn(move || sa.set_result(1).unwrap());
        let tb = thread::spawn(move || sb.set_result(2).unwrap());
        let split = wait([&a, &b], ReturnWhen::FirstCompleted);
        assert!(!split.done.is_empty());
        assert_eq!(split.done.len() + split.not_done.len(), 2);
        for f in &split.done {
            assert!(f.done());
        }
        ta.join().unwrap();
        tb.join().unwrap();
    });
}

/// `wait(AllCompleted)` while one future completes and another is cancelled-and-notified by
/// an executor: both end up in `done` (WAIT-09's notified case).
#[test]
fn wait_all_completed_with_cancel() {
    check("pool::wait_all_completed_with_cancel", || {
        let (a, b) = (Future::<u32>::new(), Future::<u32>::new());
        let (sa, sb) = (a.clone(), b.clone());
        let ta = thread::spawn(move || sa.set_result(1).unwrap());
        let tb = thread::spawn(move || {
            sb.cancel();
            assert_eq!(sb.set_running_or_notify_cancel(), Ok(false));
        });
        let split = wait([&a, &b], ReturnWhen::AllCompleted);
        assert_eq!(split.done, [&a, &b]);
        ta.join().unwrap();
        tb.join().unwrap();
    });
}

/// `as_completed` over two futures completed by two threads yields each exactly once, and
/// only once it is done (a completion used to notify waiters before it stored FINISHED).
#[test]
fn as_completed_two() {
    check("pool::as_completed_two", || {
        let (a, b) = (Future::<u32>::new(), Future::<u32>::new());
        let (sa, sb) = (a.clone(), b.clone());
        let ta = thread::spawn(move || sa.set_result(1).unwrap());
        let tb = thread::spawn(move || sb.set_result(2).unwrap());
        let mut sum = 0;
        for f in as_completed([&a, &b]) {
            let f = f.unwrap();
            // Yielded means done: the state is FINISHED before any waiter hears of it.
            assert!(f.done(), "as_completed yielded {f:?} before it was done");
            sum += f.result().unwrap();
        }
        assert_eq!(sum, 3);
        ta.join().unwrap();
        tb.join().unwrap();
    });
}

/// Submit, then wait: the value arrives; a second sequential submit reuses the idle worker
/// (EXE-12), in every interleaving, because the worker counts itself idle before it
/// publishes the first result.
#[test]
fn submit_then_reuse() {
    check("pool::submit_then_reuse", || {
        let pool = ThreadPoolExecutor::new(2).unwrap();
        assert_eq!(pool.submit(|| 1).unwrap().result(), Ok(&1));
        assert_eq!(pool.submit(|| 2).unwrap().into_result(), Ok(2));
        assert_eq!(pool.worker_count(), 1);
    });
}

/// `into_result` on the only handle waits for the done callbacks (which look at the value)
/// before moving the value out.
#[test]
fn into_result_waits_for_callbacks() {
    check("pool::into_result_waits_for_callbacks", || {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        let f = pool.submit(|| 9_usize).unwrap();
        f.add_done_callback(move |f| s.store(*f.result().unwrap(), Ordering::Relaxed));
        assert_eq!(f.into_result(), Ok(9));
        assert_eq!(seen.load(Ordering::Relaxed), 9, "the callback ran before into_result");
    });
}

/// `shutdown` racing `submit`: a refused submit says "shutdown"; an accepted future runs to
/// completion (shutdown lets queued work finish), none is stranded.
#[test]
fn shutdown_vs_submit() {
    check("pool::shutdown_vs_submit", || {
        let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
        let p = pool.clone();
        let t = thread::spawn(move || p.submit(|| 3));
        pool.shutdown();
        match t.join().unwrap() {
            Ok(f) => assert_eq!(f.result(), Ok(&3)),
            Err(e) => assert!(matches!(e, SubmitError::Shutdown(_)), "unexpected {e:?}"),
        }
    });
}

/// `shutdown_cancel` racing `submit` (EXE-20): an accepted future is either cancelled (and
/// `wait` hears of it) or finished; it is never left pending.
#[test]
fn shutdown_cancel_vs_submit() {
    check("pool::shutdown_cancel_vs_submit", || {
        let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
        let p = pool.clone();
        let t = thread::spawn(move || p.submit(|| 4));
        pool.shutdown_cancel();
        if let Ok(f) = t.join().unwrap() {
            let split = wait([&f], ReturnWhen::AllCompleted);
            assert_eq!(split.done, [&f]);
            assert!(f.cancelled() || f.result() == Ok(&4));
        }
    });
}

/// Two tasks where the first waits for the second, submitted together to a fresh pool, run on
/// two workers: the "queued > idle" rule starts a second worker for the second task. A stranded
/// task shows as a loom deadlock. With three model threads and `Thread`'s machinery this model
/// has more than 480,000 executions at bound 2, so it runs at bound 1 (about 14,000).
#[test]
fn dependent_pair() {
    check_at_most(1, "pool::dependent_pair", || {
        let pool = ThreadPoolExecutor::new(2).unwrap();
        let gate = Future::<()>::new();
        let g = gate.clone();
        let a = pool.submit(move || *g.result().unwrap()).unwrap();
        pool.submit(move || gate.set_result(()).unwrap()).unwrap();
        assert_eq!(a.result(), Ok(&()));
        assert_eq!(pool.worker_count(), 2);
    });
}

/// The same pair when the pool's worker is idle (spinning or asleep) as the pair arrives: the
/// wake-up reaches it, and a second worker still starts for the second task.
///
/// Three model threads with every primitive of the pool (and `Thread`'s registry) in play: at
/// bound 1 this model already has about 150,000 executions (45 s), so it runs at bound 0
/// ([`check_at_most`]): no preemptions, but every interleaving at the points where a thread
/// blocks, which is where a stranded task shows up (as a deadlock).
#[test]
fn dependent_pair_after_idle() {
    check_at_most(0, "pool::dependent_pair_after_idle", || {
        let pool = ThreadPoolExecutor::new(2).unwrap();
        assert_eq!(pool.submit(|| 0).unwrap().result(), Ok(&0)); // the worker is now idle
        let gate = Future::<()>::new();
        let g = gate.clone();
        let a = pool.submit(move || *g.result().unwrap()).unwrap();
        let b = pool.submit(move || gate.set_result(()).unwrap()).unwrap();
        assert_eq!(a.result(), Ok(&()));
        assert_eq!(b.result(), Ok(&()));
        assert_eq!(pool.worker_count(), 2);
    });
}

/// Three sequential submits to a one-worker pool: each completes. Between the first and the
/// second the worker may be on its way to sleep (counted as a sleeper, not yet parked), so the
/// second submit's wake-up finds nobody parked; the pool must then clear its "wake-up in
/// flight" mark, or the third submit, with the worker really asleep, wakes nobody (a loom
/// deadlock). At bound 2: 8,984 executions; at bound 3, 122,160.
#[test]
fn a_wake_that_finds_nobody_is_not_left_pending() {
    check("pool::a_wake_that_finds_nobody_is_not_left_pending", || {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        for i in 0..3 {
            assert_eq!(pool.submit(move || i).unwrap().into_result(), Ok(i));
        }
    });
}

/// A worker that takes a batch (a job beyond the one it runs, into its own queue) racing
/// `shutdown_cancel`: every accepted future ends up finished with its own value or cancelled,
/// never pending and never run twice, whether its job sat in the shared queue or in the
/// worker's batch. Four tasks on one worker make the second refill take a batch in some
/// interleavings (its first refill measured the jobs as fast: the virtual clock stands still;
/// 145 of 2,266 executions at bound 2).
#[test]
fn batch_vs_shutdown_cancel() {
    check("pool::batch_vs_shutdown_cancel", || {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let runs = Arc::new(AtomicUsize::new(0));
        let fs: Vec<_> = (0..4_usize)
            .map(|i| {
                let r = runs.clone();
                pool.submit(move || {
                    r.fetch_add(1, Ordering::Relaxed);
                    i
                })
                .unwrap()
            })
            .collect();
        pool.shutdown_cancel();
        let mut finished = 0;
        for (i, f) in fs.iter().enumerate() {
            assert!(f.done(), "future {i} left pending");
            if !f.cancelled() {
                assert_eq!(f.result(), Ok(&i));
                finished += 1;
            }
        }
        assert_eq!(runs.load(Ordering::Relaxed), finished, "each finished task ran once");
    });
}

/// `shutdown_cancel_nowait` cancels the jobs in a worker's batch before it returns, as it
/// does those in the shared queue (CPython cancels every future not started). The worker is
/// held inside the gate task, so nothing behind it can start: right after the call both
/// tasks behind the gate are cancelled, whether the worker took one of them into its batch
/// (when it took the gate task, after a fast first task let its batch grow) or not.
#[test]
fn shutdown_cancel_nowait_cancels_a_batch() {
    check("pool::shutdown_cancel_nowait_cancels_a_batch", || {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        assert_eq!(pool.submit(|| 0).unwrap().result(), Ok(&0));
        let gate = Future::<()>::new();
        let g = gate.clone();
        let held = pool.submit(move || *g.result().unwrap()).unwrap();
        let behind = [pool.submit(|| 2).unwrap(), pool.submit(|| 3).unwrap()];
        pool.shutdown_cancel_nowait();
        for f in &behind {
            assert!(f.cancelled(), "a task behind the gate was not cancelled");
        }
        gate.set_result(()).unwrap();
        assert!(held.cancelled() || held.result() == Ok(&()));
    });
}

/// [`check`], with the preemption bound capped at `bound` for a model too big for the CI bound;
/// prints the same summary line, which `cargo xtask loom` collects.
fn check_at_most(bound: usize, name: &str, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    let bound = builder.preemption_bound.unwrap_or(bound).min(bound);
    builder.preemption_bound = Some(bound);
    let executions = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let e = executions.clone();
    let start = std::time::Instant::now();
    builder.check(move || {
        e.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    eprintln!(
        "loom-model {name}: {} executions, bound {:?}, {:.2?}",
        executions.load(std::sync::atomic::Ordering::Relaxed),
        Some(bound),
        start.elapsed()
    );
}
