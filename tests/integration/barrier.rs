//! Behaviour tests for [`threading::Barrier`] and [`threading::BrokenBarrierError`]: CPython's
//! `Lib/test/lock_tests.py` (`BarrierTests`) and the BAR-xx rows of `python-semantics.md` §7.
//!
//! Test names carry the row ID (`bar_05_...`) or the CPython test name (`bar_test_...`).
//! CPython's `BarrierTests` use `N = 5` threads and a barrier with a default timeout of 2 s
//! (`setUp`), which the ports below keep.

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use threading::{Barrier, BarrierBuilder, BrokenBarrierError, ValueErrorKind};
use threading_tests::{Bunch, assert_timeout, timed, wait_until};

/// CPython's `BarrierTests.N`.
const N: usize = 5;

/// CPython's `BarrierTests.defaultTimeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// A timeout that is expected to expire: long enough to measure, short enough for a fast suite.
const SHORT: Duration = Duration::from_millis(200);

/// CPython's `setUp`: a barrier for `N` with the default timeout.
fn setup() -> Arc<Barrier> {
    Arc::new(Barrier::builder(N).timeout(DEFAULT_TIMEOUT).build())
}

/// CPython's `run_threads`: runs `f` on `N` threads and re-raises the first failure.
fn run_threads(f: impl Fn(usize) + Send + Sync + 'static) {
    Bunch::new(N, false, f).wait_for_finished();
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("<non-string panic>")
    }
}

#[test]
fn bar_01_zero_parties_panics_with_python_message() {
    let err = panic::catch_unwind(|| Barrier::new(0)).unwrap_err();
    assert_eq!(panic_message(&*err), "parties must be > 0");
    let err = panic::catch_unwind(|| Barrier::builder(0).build()).unwrap_err();
    assert_eq!(panic_message(&*err), "parties must be > 0");
    let err = panic::catch_unwind(|| Barrier::with_action(0, || {})).unwrap_err();
    assert_eq!(panic_message(&*err), "parties must be > 0");
}

#[test]
fn bar_01_try_new_zero_parties_is_value_error() {
    let err = Barrier::try_new(0).unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::BarrierParties);
    assert_eq!(err.to_string(), "parties must be > 0");
    let err = Barrier::builder(0).action(|| {}).try_build().unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::BarrierParties);
    assert_eq!(Barrier::try_new(1).unwrap().parties(), 1);
}

#[test]
fn bar_02_initial_properties() {
    let b = Barrier::new(3);
    assert_eq!((b.parties(), b.n_waiting(), b.broken()), (3, 0, false));
    static STATIC_BARRIER: Barrier = Barrier::new(2);
    assert_eq!((STATIC_BARRIER.parties(), STATIC_BARRIER.n_waiting()), (2, 0));
    assert!(!STATIC_BARRIER.broken());
}

#[test]
fn bar_03_test_wait_return() {
    let barrier = setup();
    let results = Arc::new(Mutex::new(Vec::new()));
    let (b, r) = (barrier.clone(), results.clone());
    run_threads(move |_| {
        let i = b.wait().unwrap();
        r.lock().unwrap().push(i);
    });
    let mut results = results.lock().unwrap().clone();
    assert_eq!(results.iter().sum::<usize>(), (0..N).sum::<usize>());
    results.sort_unstable();
    assert_eq!(results, (0..N).collect::<Vec<_>>());
}

#[test]
fn bar_04_indices_follow_arrival_order() {
    // CPython: `index = self._count`, so the first arrival gets 0 and the last parties - 1.
    let barrier = Arc::new(Barrier::new(3));
    let mut handles = Vec::new();
    for k in 0..2 {
        let b = barrier.clone();
        handles.push(thread::spawn(move || b.wait()));
        wait_until("the thread to be waiting", || barrier.n_waiting() == k + 1);
    }
    assert_eq!(barrier.wait(), Ok(2)); // last arrival
    let got: Vec<_> = handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
    assert_eq!(got, [0, 1]);
}

/// CPython's `multipass`: each pass, nobody gets past a `wait` before all arrived.
fn multipass(passes: usize) {
    let barrier = setup();
    let phase = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let (b, ph) = (barrier.clone(), phase.clone());
    run_threads(move |_| {
        let m = b.parties();
        assert_eq!(m, N);
        for i in 0..passes {
            ph[0].fetch_add(1, Ordering::SeqCst);
            assert_eq!(ph[1].load(Ordering::SeqCst), i * m);
            b.wait().unwrap();
            ph[1].fetch_add(1, Ordering::SeqCst);
            assert_eq!(ph[0].load(Ordering::SeqCst), (i + 1) * m);
            b.wait().unwrap();
        }
        assert_eq!(b.n_waiting(), 0);
        assert!(!b.broken());
    });
    assert_eq!(phase[0].load(Ordering::SeqCst), passes * N);
    assert_eq!(phase[1].load(Ordering::SeqCst), passes * N);
}

#[test]
fn bar_05_test_barrier() {
    multipass(1);
}

#[test]
fn bar_05_test_barrier_10() {
    multipass(10);
}

#[test]
fn bar_06_test_action() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let barrier = Arc::new(Barrier::with_action(N, move || {
        c.fetch_add(1, Ordering::SeqCst);
    }));
    let (b, c) = (barrier.clone(), calls.clone());
    run_threads(move |_| {
        b.wait().unwrap();
        assert_eq!(c.load(Ordering::SeqCst), 1);
    });
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn bar_06_action_runs_in_the_last_arriving_thread() {
    let ran_in = Arc::new(Mutex::new(Vec::new()));
    let r = ran_in.clone();
    let barrier = Arc::new(Barrier::with_action(3, move || {
        r.lock().unwrap().push(thread::current().id());
    }));
    let last = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let (b, l) = (barrier.clone(), last.clone());
            thread::spawn(move || {
                for _ in 0..3 {
                    if b.wait().unwrap() == 2 {
                        l.lock().unwrap().push(thread::current().id());
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut ran_in = ran_in.lock().unwrap().clone();
    let mut last = last.lock().unwrap().clone();
    assert_eq!(ran_in.len(), 3, "once per round");
    ran_in.sort_by_key(|id| format!("{id:?}"));
    last.sort_by_key(|id| format!("{id:?}"));
    assert_eq!(ran_in, last, "the action runs in the thread that got index parties - 1");
}

#[test]
fn bar_07_panicking_action_breaks_the_barrier_and_propagates() {
    let barrier = Arc::new(Barrier::with_action(2, || panic!("division by zero")));
    let b = barrier.clone();
    let first = thread::spawn(move || b.wait());
    wait_until("the first thread to be waiting", || barrier.n_waiting() == 1);
    // We are the last to arrive, so we run the action and get its panic.
    let err = panic::catch_unwind(AssertUnwindSafe(|| barrier.wait())).unwrap_err();
    assert_eq!(panic_message(&*err), "division by zero");
    assert_eq!(first.join().unwrap(), Err(BrokenBarrierError));
    assert!(barrier.broken());
    assert_eq!(barrier.wait(), Err(BrokenBarrierError));
    // No poisoning: reset repairs it. The action still panics on the next trip.
    barrier.reset();
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn bar_08_test_abort() {
    let barrier = setup();
    let results1 = Arc::new(AtomicUsize::new(0));
    let results2 = Arc::new(AtomicUsize::new(0));
    let (b, r1, r2) = (barrier.clone(), results1.clone(), results2.clone());
    run_threads(move |_| {
        let outcome = b.wait().and_then(|i| {
            if i == N / 2 {
                b.abort(); // CPython: raise RuntimeError, caught by abort()
                return Ok(false);
            }
            b.wait().map(|_| true)
        });
        match outcome {
            Ok(true) => r1.fetch_add(1, Ordering::SeqCst),
            Ok(false) => 0,
            Err(BrokenBarrierError) => r2.fetch_add(1, Ordering::SeqCst),
        };
    });
    assert_eq!(results1.load(Ordering::SeqCst), 0);
    assert_eq!(results2.load(Ordering::SeqCst), N - 1);
    assert!(barrier.broken());
}

#[test]
fn bar_test_reset() {
    let barrier = setup();
    let results1 = Arc::new(AtomicUsize::new(0));
    let results2 = Arc::new(AtomicUsize::new(0));
    let results3 = Arc::new(AtomicUsize::new(0));
    let (b, r1, r2, r3) = (barrier.clone(), results1.clone(), results2.clone(), results3.clone());
    run_threads(move |_| {
        let i = b.wait().unwrap();
        if i == N / 2 {
            wait_until("the others to be in the barrier", || b.n_waiting() == N - 1);
            b.reset();
        } else {
            match b.wait() {
                Ok(_) => r1.fetch_add(1, Ordering::SeqCst),
                Err(BrokenBarrierError) => r2.fetch_add(1, Ordering::SeqCst),
            };
        }
        // Now, pass the barrier again.
        b.wait().unwrap();
        r3.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(results1.load(Ordering::SeqCst), 0);
    assert_eq!(results2.load(Ordering::SeqCst), N - 1);
    assert_eq!(results3.load(Ordering::SeqCst), N);
}

#[test]
fn bar_test_abort_and_reset() {
    let barrier = setup();
    let barrier2 = Arc::new(Barrier::new(N));
    let results1 = Arc::new(AtomicUsize::new(0));
    let results2 = Arc::new(AtomicUsize::new(0));
    let results3 = Arc::new(AtomicUsize::new(0));
    let (b, b2) = (barrier.clone(), barrier2.clone());
    let (r1, r2, r3) = (results1.clone(), results2.clone(), results3.clone());
    run_threads(move |_| {
        let outcome = b.wait().and_then(|i| {
            if i == N / 2 {
                b.abort();
                return Ok(false);
            }
            b.wait().map(|_| true)
        });
        match outcome {
            Ok(true) => r1.fetch_add(1, Ordering::SeqCst),
            Ok(false) => 0,
            Err(BrokenBarrierError) => r2.fetch_add(1, Ordering::SeqCst),
        };
        // Synchronise and reset the barrier: first so that everyone has left it, after so that
        // nobody enters it before the reset.
        if b2.wait().unwrap() == N / 2 {
            b.reset();
        }
        b2.wait().unwrap();
        b.wait().unwrap();
        r3.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(results1.load(Ordering::SeqCst), 0);
    assert_eq!(results2.load(Ordering::SeqCst), N - 1);
    assert_eq!(results3.load(Ordering::SeqCst), N);
}

#[test]
fn bar_test_timeout() {
    // CPython: one thread is late (sleeps 1 s) and the others `wait(0.5)`. Here the late thread
    // arrives only once the barrier is broken, so no sleep is needed.
    let barrier = setup();
    let slowest = Arc::new(Mutex::new(Duration::ZERO));
    let (b, s) = (barrier.clone(), slowest.clone());
    run_threads(move |_| {
        let i = b.wait().unwrap();
        if i == N / 2 {
            wait_until("the barrier to break", || b.broken());
            assert_eq!(b.wait_timeout(SHORT), Err(BrokenBarrierError));
        } else {
            let (elapsed, r) = timed(|| b.wait_timeout(SHORT));
            assert_eq!(r, Err(BrokenBarrierError));
            let mut s = s.lock().unwrap();
            *s = (*s).max(elapsed);
        }
    });
    // The first timeout breaks it for everyone; the thread that started waiting first waited
    // about SHORT.
    assert_timeout(*slowest.lock().unwrap(), SHORT);
    assert!(barrier.broken());
}

#[test]
fn bar_12_test_default_timeout() {
    let barrier = Arc::new(Barrier::builder(N).timeout(SHORT).build());
    let b = barrier.clone();
    run_threads(move |_| {
        let i = b.wait().unwrap();
        if i == N / 2 {
            wait_until("the barrier to break", || b.broken());
        }
        assert_eq!(b.wait(), Err(BrokenBarrierError));
    });
    // And again after a reset: `wait()` (Python's `wait(None)`) still uses the default.
    barrier.reset();
    let (elapsed, r) = timed(|| barrier.wait());
    assert_eq!(r, Err(BrokenBarrierError));
    assert_timeout(elapsed, SHORT);
}

#[test]
fn bar_11_timeout_breaks_untimed_waiters_too() {
    let barrier = Arc::new(Barrier::new(3));
    let b = barrier.clone();
    let untimed = thread::spawn(move || b.wait());
    wait_until("the untimed thread to be waiting", || barrier.n_waiting() == 1);
    let (elapsed, r) = timed(|| barrier.wait_timeout(SHORT));
    assert_eq!(r, Err(BrokenBarrierError));
    assert_timeout(elapsed, SHORT);
    assert_eq!(untimed.join().unwrap(), Err(BrokenBarrierError));
    assert!(barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn bar_13_zero_timeout_breaks_at_once() {
    let barrier = Barrier::new(2);
    let (elapsed, r) = timed(|| barrier.wait_timeout(Duration::ZERO));
    assert_eq!(r, Err(BrokenBarrierError));
    assert!(elapsed < SHORT);
    assert!(barrier.broken());
    // The last arrival never waits, so a zero timeout cannot break a one-party barrier.
    assert_eq!(Barrier::new(1).wait_timeout(Duration::ZERO), Ok(0));
}

#[test]
fn bar_13_deadline_in_the_past_breaks_at_once() {
    let barrier = Barrier::new(2);
    let past = Instant::now();
    assert_eq!(barrier.wait_deadline(past), Err(BrokenBarrierError));
    assert!(barrier.broken());
}

#[test]
fn bar_wait_deadline_in_the_future_times_out() {
    let barrier = Barrier::new(2);
    let (elapsed, r) = timed(|| barrier.wait_deadline(Instant::now() + SHORT));
    assert_eq!(r, Err(BrokenBarrierError));
    assert_timeout(elapsed, SHORT);
}

#[test]
fn bar_huge_timeout_waits_forever() {
    // Python raises OverflowError above TIMEOUT_MAX; here it means "no deadline".
    let barrier = Arc::new(Barrier::builder(2).timeout(Duration::MAX).build());
    let b = barrier.clone();
    let t = thread::spawn(move || b.wait_timeout(Duration::MAX));
    wait_until("the thread to be waiting", || barrier.n_waiting() == 1);
    assert_eq!(barrier.wait(), Ok(1));
    assert_eq!(t.join().unwrap(), Ok(0));
}

#[test]
fn bar_timeout_met_in_time_succeeds() {
    let barrier = Arc::new(Barrier::new(2));
    let b = barrier.clone();
    let t = thread::spawn(move || b.wait_timeout(Duration::from_secs(20)));
    wait_until("the thread to be waiting", || barrier.n_waiting() == 1);
    assert_eq!(barrier.wait_timeout(Duration::from_secs(20)), Ok(1));
    assert_eq!(t.join().unwrap(), Ok(0));
    assert!(!barrier.broken());
}

#[test]
fn bar_timeout_during_the_action_does_not_break() {
    // The last thread arrived in time; the action taking long is not the waiter's timeout (in
    // CPython the waiter is blocked on the lock the action runs under, then sees the trip).
    let barrier = Arc::new(Barrier::with_action(2, || thread::sleep(2 * SHORT)));
    let b = barrier.clone();
    let t = thread::spawn(move || b.wait_timeout(SHORT / 2));
    wait_until("the thread to be waiting", || barrier.n_waiting() == 1);
    assert_eq!(barrier.wait(), Ok(1));
    assert_eq!(t.join().unwrap(), Ok(0));
    assert!(!barrier.broken());
}

#[test]
fn bar_14_test_single_thread() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let b = Barrier::with_action(1, move || {
        c.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!([b.wait(), b.wait(), b.wait()], [Ok(0), Ok(0), Ok(0)]);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn bar_15_debug_shows_waiters_or_broken() {
    let barrier = Arc::new(Barrier::new(3));
    assert_eq!(format!("{barrier:?}"), "Barrier { parties: 3, n_waiting: 0, .. }");
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let b = barrier.clone();
            thread::spawn(move || b.wait())
        })
        .collect();
    wait_until("two threads waiting", || barrier.n_waiting() == 2);
    assert_eq!(format!("{barrier:?}"), "Barrier { parties: 3, n_waiting: 2, .. }");
    barrier.wait().unwrap();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    assert_eq!(format!("{barrier:?}"), "Barrier { parties: 3, n_waiting: 0, .. }");
    barrier.abort();
    assert_eq!(format!("{barrier:?}"), "Barrier { parties: 3, broken: true, .. }");
    let builder = Barrier::builder(2).timeout(SHORT);
    assert_eq!(
        format!("{builder:?}"),
        "BarrierBuilder { parties: 2, action: false, timeout: Some(200ms) }"
    );
}

#[test]
fn bar_16_broken_barrier_error_traits() {
    fn is_error<E: std::error::Error + Send + Sync + Copy + Eq + 'static>(_: E) {}
    is_error(BrokenBarrierError);
    assert_eq!(BrokenBarrierError.to_string(), "barrier is broken");
    assert_eq!(format!("{BrokenBarrierError:?}"), "BrokenBarrierError");
    let boxed: Box<dyn std::error::Error> = Box::new(BrokenBarrierError);
    assert_eq!(boxed.to_string(), "barrier is broken");
}

#[test]
fn bar_17_n_waiting_counts_and_is_zero_when_broken() {
    let barrier = Arc::new(Barrier::new(3));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let b = barrier.clone();
            thread::spawn(move || b.wait())
        })
        .collect();
    wait_until("two threads waiting", || barrier.n_waiting() == 2);
    barrier.abort();
    assert_eq!(barrier.n_waiting(), 0);
    for h in handles {
        assert_eq!(h.join().unwrap(), Err(BrokenBarrierError));
    }
    assert_eq!(barrier.n_waiting(), 0);
    assert!(barrier.broken());
}

#[test]
fn bar_18_abort_with_nobody_waiting_then_reset() {
    let b = Barrier::new(2);
    b.abort();
    assert!(b.broken());
    assert_eq!(b.wait(), Err(BrokenBarrierError));
    b.abort(); // aborting twice is harmless
    b.reset();
    assert_eq!((b.broken(), b.n_waiting()), (false, 0));
    b.reset(); // so is resetting a healthy barrier
    assert_eq!((b.broken(), b.n_waiting()), (false, 0));
    assert_eq!(Barrier::new(1).wait(), Ok(0));
}

#[test]
fn bar_19_rounds_never_mix() {
    let barrier = Arc::new(Barrier::new(2));
    let results = Arc::new(Mutex::new(Vec::new()));
    let (b, r) = (barrier.clone(), results.clone());
    Bunch::new(6, false, move |_| {
        let i = b.wait().unwrap();
        r.lock().unwrap().push(i);
    })
    .wait_for_finished();
    let mut results = results.lock().unwrap().clone();
    results.sort_unstable();
    assert_eq!(results, [0, 0, 0, 1, 1, 1]);
}

#[test]
fn bar_many_rounds_indices_distinct_per_round() {
    const THREADS: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 20 } else { 200 };
    let barrier = Arc::new(Barrier::new(THREADS));
    let seen: Arc<Vec<AtomicUsize>> = Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
    let (b, s) = (barrier.clone(), seen.clone());
    Bunch::new(THREADS, false, move |_| {
        for round in s.iter() {
            let i = b.wait().unwrap();
            let before = round.fetch_or(1 << i, Ordering::SeqCst);
            assert_eq!(before & (1 << i), 0, "index {i} handed out twice in one round");
        }
    })
    .wait_for_finished();
    assert!(seen.iter().all(|mask| mask.load(Ordering::SeqCst) == (1 << THREADS) - 1));
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn bar_many_rounds_with_action_runs_once_per_round() {
    const THREADS: usize = 3;
    const ROUNDS: usize = if cfg!(miri) { 20 } else { 300 };
    let trips = Arc::new(AtomicUsize::new(0));
    let t = trips.clone();
    let barrier = Arc::new(Barrier::with_action(THREADS, move || {
        t.fetch_add(1, Ordering::SeqCst);
    }));
    let (b, t) = (barrier.clone(), trips.clone());
    Bunch::new(THREADS, false, move |_| {
        for round in 0..ROUNDS {
            b.wait().unwrap();
            // Every thread of round `round` sees exactly round + 1 trips; the next trip needs
            // this thread, so the count cannot run ahead.
            assert_eq!(t.load(Ordering::SeqCst), round + 1);
        }
    })
    .wait_for_finished();
    assert_eq!(trips.load(Ordering::SeqCst), ROUNDS);
}

#[test]
fn bar_reset_waiters_then_next_round_works() {
    let barrier = Arc::new(Barrier::new(3));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let b = barrier.clone();
            thread::spawn(move || (b.wait(), b.wait()))
        })
        .collect();
    wait_until("two threads waiting", || barrier.n_waiting() == 2);
    barrier.reset();
    // The reset waiters retry at once and meet us in the next round.
    let mine = barrier.wait().unwrap();
    let mut indices = vec![mine];
    for h in handles {
        let (first, second) = h.join().unwrap();
        assert_eq!(first, Err(BrokenBarrierError));
        indices.push(second.unwrap());
    }
    indices.sort_unstable();
    assert_eq!(indices, [0, 1, 2]);
    assert!(!barrier.broken());
}

#[test]
fn bar_abort_from_the_action_breaks_the_whole_round() {
    // Documented difference: in CPython the action runs under the barrier's lock, so calling
    // abort() from it deadlocks. Here the round breaks for everyone.
    let barrier = Arc::new_cyclic(|weak: &std::sync::Weak<Barrier>| {
        let weak = weak.clone();
        Barrier::with_action(2, move || {
            if let Some(b) = weak.upgrade() {
                b.abort();
            }
        })
    });
    let b = barrier.clone();
    let t = thread::spawn(move || b.wait());
    wait_until("the thread to be waiting", || barrier.n_waiting() == 1);
    assert_eq!(barrier.wait(), Err(BrokenBarrierError));
    assert_eq!(t.join().unwrap(), Err(BrokenBarrierError));
    assert!(barrier.broken());
}

#[test]
fn bar_reset_from_the_action_breaks_the_round_and_repairs() {
    let barrier = Arc::new_cyclic(|weak: &std::sync::Weak<Barrier>| {
        let weak = weak.clone();
        Barrier::with_action(2, move || {
            if let Some(b) = weak.upgrade() {
                b.reset();
            }
        })
    });
    let b = barrier.clone();
    let t = thread::spawn(move || b.wait());
    wait_until("the thread to be waiting", || barrier.n_waiting() == 1);
    assert_eq!(barrier.wait(), Err(BrokenBarrierError));
    assert_eq!(t.join().unwrap(), Err(BrokenBarrierError));
    // Both threads of the round have left, so the reset is complete.
    assert_eq!((barrier.broken(), barrier.n_waiting()), (false, 0));
    assert_eq!(Barrier::new(1).wait(), Ok(0));
}

#[test]
fn bar_builder_is_send_and_barrier_is_send_sync_unwind_safe() {
    fn send_sync<T: Send + Sync>() {}
    fn unwind_safe<T: panic::UnwindSafe + panic::RefUnwindSafe>() {}
    send_sync::<Barrier>();
    send_sync::<BarrierBuilder>();
    send_sync::<BrokenBarrierError>();
    unwind_safe::<Barrier>();
    unwind_safe::<BrokenBarrierError>();
    // A barrier can be moved to and shared with scoped threads without an Arc.
    let barrier = Barrier::new(2);
    let indices: HashSet<usize> = thread::scope(|s| {
        let h = s.spawn(|| barrier.wait().unwrap());
        let mine = barrier.wait().unwrap();
        [mine, h.join().unwrap()].into_iter().collect()
    });
    assert_eq!(indices, HashSet::from([0, 1]));
}

/// `reset` of an idle barrier (nobody waiting, not broken) changes nothing: it is not broken,
/// and the next round forms as usual with the same indices. (Mutation testing: treating the
/// idle barrier as one with waiters put it into the resetting phase with nobody left to finish
/// the reset.)
#[test]
fn bar_reset_of_an_idle_barrier_is_a_no_op() {
    let barrier = Arc::new(Barrier::builder(2).timeout(DEFAULT_TIMEOUT).build());
    barrier.reset();
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    let b = Arc::clone(&barrier);
    let other = thread::spawn(move || b.wait());
    let mine = barrier.wait();
    let theirs = other.join().unwrap();
    let mut got = [mine.expect("round after reset"), theirs.expect("round after reset")];
    got.sort_unstable();
    assert_eq!(got, [0, 1]);
    assert!(!barrier.broken());
}
