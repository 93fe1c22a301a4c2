//! Behaviour tests for [`threading::Event`]: CPython's `Lib/test/lock_tests.py` (`EventTests`)
//! and the EVT-xx rows of `python-semantics.md` §6, plus stress tests.
//!
//! Test names carry the row ID (`evt_06_...`) or the CPython test name (`evt_test_...`). Rows
//! with no Rust counterpart: EVT-10 (the deprecated `isSet` alias is deliberately not provided).
//! EVT-05 (negative and NaN timeouts) becomes `Duration::ZERO`, the only "no wait" a `Duration`
//! can express.
//!
//! "The waiters are blocked" cannot be observed through the API (nor in Python): like CPython's
//! `wait_threads_blocked`, [`wait_threads_blocked`] waits until the threads have started and then
//! gives them a moment to block. The exact property ("a `set` wakes every *parked* waiter") is
//! checked by the loom models in `tests/loom/event.rs`, which can wait until threads are parked.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use threading::Event;
use threading_tests::{
    Bunch, assert_stays, assert_timeout, timed, wait_threads_blocked, wait_until,
};

/// How long the negative checks ("nobody got through yet") watch.
const SETTLE: Duration = Duration::from_millis(50);

/// A timeout that is expected to expire: long enough to measure, short enough for a fast suite.
const SHORT: Duration = Duration::from_millis(100);

/// Far longer than any test needs (CPython's `support.LONG_TIMEOUT`).
const LONG: Duration = Duration::from_secs(20);

/// "Returns at once": far below any timeout used here, far above any scheduling hiccup.
const AT_ONCE: Duration = Duration::from_secs(2);

/// A results list shared with a `Bunch` (CPython's `results = []`).
fn results<T>() -> Arc<Mutex<Vec<T>>> {
    Arc::new(Mutex::new(Vec::new()))
}

fn push<T>(list: &Mutex<Vec<T>>, v: T) {
    list.lock().unwrap().push(v);
}

fn take<T>(list: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *list.lock().unwrap())
}

#[test]
fn evt_test_constructor() {
    static STATIC_EVENT: Event = Event::new();
    assert!(!STATIC_EVENT.is_set());
    assert!(!Event::new().is_set());
    assert!(!Event::default().is_set());
    STATIC_EVENT.set();
    assert!(STATIC_EVENT.is_set());
    STATIC_EVENT.clear();
}

#[test]
fn evt_test_is_set() {
    let evt = Event::new();
    assert!(!evt.is_set());
    evt.set();
    assert!(evt.is_set());
    evt.set();
    assert!(evt.is_set());
    evt.clear();
    assert!(!evt.is_set());
    evt.clear();
    assert!(!evt.is_set());
}

#[test]
fn evt_09_test_repr_debug() {
    // Python: '<threading.Event at 0x…: unset>' / '…: set>'.
    let evt = Event::new();
    assert_eq!(format!("{evt:?}"), "Event { is_set: false }");
    evt.set();
    assert_eq!(format!("{evt:?}"), "Event { is_set: true }");
    assert!(format!("{evt:#?}").contains("is_set: true"));
    evt.clear();
    assert_eq!(format!("{evt:?}"), format!("{:?}", Event::default()));
}

/// CPython's `_check_notify`: five threads block in `wait()`, nobody gets through until `set`,
/// then every one does, and a second wait returns `true` at once.
fn check_notify(evt: &Arc<Event>) {
    const N: usize = 5;
    let (results1, results2) = (results(), results());
    let bunch = {
        let (evt, r1, r2) = (Arc::clone(evt), Arc::clone(&results1), Arc::clone(&results2));
        Bunch::new(N, false, move |_| {
            evt.wait(); // Python's `wait()`, which always returns True
            push(&r1, true);
            push(&r2, evt.wait_timeout(LONG));
        })
    };
    wait_threads_blocked(&bunch, N);
    assert_stays("the waiters blocked", SETTLE, || results1.lock().unwrap().is_empty());
    evt.set();
    bunch.wait_for_finished();
    assert_eq!(take(&results1), [true; N]);
    assert_eq!(take(&results2), [true; N]);
}

#[test]
fn evt_02_test_notify() {
    let evt = Arc::new(Event::new());
    check_notify(&evt);
    // Another time, after an explicit clear() (EVT-07: the event is reusable).
    evt.set();
    evt.clear();
    check_notify(&evt);
}

#[test]
fn evt_test_timeout() {
    const N: usize = 5;
    let evt = Arc::new(Event::new());
    let run = |evt: &Arc<Event>| {
        let (results1, results2) = (results(), results());
        let (e, r1, r2) = (Arc::clone(evt), Arc::clone(&results1), Arc::clone(&results2));
        Bunch::new(N, false, move |_| {
            push(&r1, e.wait_timeout(Duration::ZERO));
            push(&r2, timed(|| e.wait_timeout(SHORT)));
        })
        .wait_for_finished();
        (take(&results1), take(&results2))
    };

    let (results1, results2) = run(&evt);
    assert_eq!(results1, [false; N]);
    for (elapsed, r) in results2 {
        assert!(!r);
        assert_timeout(elapsed, SHORT);
    }

    // The event is set.
    evt.set();
    let (results1, results2) = run(&evt);
    assert_eq!(results1, [true; N]);
    for (elapsed, r) in results2 {
        assert!(r);
        assert!(elapsed < SHORT, "a wait on a set event took {elapsed:?}");
    }
}

#[test]
fn evt_06_test_set_and_clear() {
    // gh-57711: wait() returns true even when the event is cleared before the waiting thread
    // is woken up.
    const N: usize = 5;
    let event = Arc::new(Event::new());
    let res = results();
    let bunch = {
        let (e, r) = (Arc::clone(&event), Arc::clone(&res));
        Bunch::new(N, false, move |_| push(&r, e.wait_timeout(LONG)))
    };
    wait_threads_blocked(&bunch, N);
    event.set();
    event.clear();
    bunch.wait_for_finished();
    assert_eq!(take(&res), [true; N]);
    assert!(!event.is_set());
}

#[test]
fn evt_06_set_and_clear_wakes_untimed_waiters() {
    // The same with `wait()`: a lost wake-up would hang here, so the waiters report back and the
    // test fails (instead of hanging) if one does not return in time.
    const N: usize = 5;
    let event = Arc::new(Event::new());
    let returned = Arc::new(AtomicUsize::new(0));
    let bunch = {
        let (e, r) = (Arc::clone(&event), Arc::clone(&returned));
        Bunch::new(N, false, move |_| {
            e.wait();
            r.fetch_add(1, Ordering::SeqCst);
        })
    };
    wait_threads_blocked(&bunch, N);
    event.set();
    event.clear();
    let stranded = Instant::now() + LONG;
    while returned.load(Ordering::SeqCst) < N && Instant::now() < stranded {
        thread::sleep(Duration::from_millis(1));
    }
    let n = returned.load(Ordering::SeqCst);
    if n < N {
        event.set(); // let the stranded waiters go, so the Bunch can be joined
        panic!("set(); clear() stranded {} of {N} waiters", N - n);
    }
    bunch.wait_for_finished();
}

#[test]
fn evt_07_cleared_event_blocks_again() {
    let e = Event::new();
    e.set();
    e.clear();
    let (elapsed, r) = timed(|| e.wait_timeout(Duration::from_millis(50)));
    assert!(!r);
    assert_timeout(elapsed, Duration::from_millis(50));
}

#[test]
fn evt_03_set_event_returns_at_once_whatever_the_timeout() {
    // Python: e.wait(None), wait(0), wait(-1), wait(0.5) all return True at once.
    let e = Event::new();
    e.set();
    let (elapsed, all) = timed(|| {
        e.wait();
        [
            e.wait_timeout(Duration::ZERO),
            e.wait_timeout(SHORT),
            e.wait_timeout(Duration::MAX),
            e.wait_deadline(Instant::now()),
            e.wait_deadline(Instant::now() + LONG),
        ]
    });
    assert_eq!(all, [true; 5]);
    assert!(elapsed < AT_ONCE, "took {elapsed:?}");
}

#[test]
fn evt_05_zero_timeout_and_past_deadline_return_false_at_once() {
    // Python's wait(0), wait(-1) and wait(nan) on an unset event: False at once. A Duration
    // cannot be negative or NaN, so ZERO (and a deadline already passed) stand for all three.
    let e = Event::new();
    let (elapsed, r) = timed(|| {
        [
            e.wait_timeout(Duration::ZERO),
            e.wait_deadline(Instant::now()),
            e.wait_deadline(Instant::now().checked_sub(Duration::from_secs(1)).unwrap()),
        ]
    });
    assert_eq!(r, [false; 3]);
    assert!(elapsed < AT_ONCE, "took {elapsed:?}");
}

#[test]
fn evt_wait_deadline_times_out_at_the_deadline() {
    let e = Event::new();
    let (elapsed, r) = timed(|| e.wait_deadline(Instant::now() + SHORT));
    assert!(!r);
    assert_timeout(elapsed, SHORT);
}

#[test]
fn evt_deadline_is_one_budget_for_several_waits() {
    // Two waits sharing one deadline take the budget once, not twice.
    let (a, b) = (Event::new(), Event::new());
    let (elapsed, r) = timed(|| {
        let deadline = Instant::now() + SHORT;
        [a.wait_deadline(deadline), b.wait_deadline(deadline)]
    });
    assert_eq!(r, [false; 2]);
    assert_timeout(elapsed, SHORT);
}

#[test]
fn evt_timed_wait_returns_true_when_set_in_time() {
    let e = Arc::new(Event::new());
    let waiter = {
        let e = Arc::clone(&e);
        thread::spawn(move || timed(|| e.wait_timeout(LONG)))
    };
    thread::sleep(Duration::from_millis(20));
    e.set();
    let (elapsed, r) = waiter.join().unwrap();
    assert!(r);
    assert!(elapsed < LONG / 2, "returned only after {elapsed:?}");
}

#[test]
fn evt_huge_timeout_waits_forever_until_set() {
    // Python raises OverflowError for a timeout above TIMEOUT_MAX; here it means "forever".
    let e = Arc::new(Event::new());
    let done = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (e, done) = (Arc::clone(&e), Arc::clone(&done));
        thread::spawn(move || {
            let r = e.wait_timeout(Duration::MAX);
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    assert_stays("the Duration::MAX waiter blocked", SETTLE, || !done.load(Ordering::SeqCst));
    e.set();
    assert!(waiter.join().unwrap());
}

#[test]
fn evt_set_publishes_prior_writes() {
    // Everything the setter wrote before `set` is visible after `wait`.
    for _ in 0..if cfg!(miri) { 10 } else { 100 } {
        let e = Arc::new(Event::new());
        let data = Arc::new(AtomicU64::new(0));
        let reader = {
            let (e, data) = (Arc::clone(&e), Arc::clone(&data));
            thread::spawn(move || {
                e.wait();
                data.load(Ordering::Relaxed)
            })
        };
        data.store(42, Ordering::Relaxed);
        e.set();
        assert_eq!(reader.join().unwrap(), 42);
    }
}

#[test]
fn evt_test_reset_internal_locks() {
    // CPython's test_reset_internal_locks / test_at_fork_reinit checks that the event's
    // internal condition still works after `_at_fork_reinit()`. There is no fork support to
    // port; what carries over is that the internal state never gets stuck: after a round of
    // waiters that time out and a round that is woken, the event behaves like a new one, and
    // an event owned exclusively can be reset by assigning a new one.
    let evt = Arc::new(Event::new());
    let timeouts = {
        let e = Arc::clone(&evt);
        Bunch::new(3, false, move |_| assert!(!e.wait_timeout(Duration::from_millis(20))))
    };
    timeouts.wait_for_finished();
    let woken = {
        let e = Arc::clone(&evt);
        Bunch::new(3, false, move |_| e.wait())
    };
    wait_threads_blocked(&woken, 3);
    evt.set();
    woken.wait_for_finished();
    evt.clear();
    assert_eq!(format!("{evt:?}"), format!("{:?}", Event::new()));
    assert!(!evt.wait_timeout(Duration::from_millis(1)));
    evt.set();
    assert!(evt.wait_timeout(Duration::ZERO));

    let mut owned = Event::new();
    owned.set();
    owned = Event::new();
    assert!(!owned.is_set());
}

#[test]
fn evt_many_waiters_all_woken() {
    const N: usize = 16;
    let e = Arc::new(Event::new());
    let res = results();
    let bunch = {
        let (e, r) = (Arc::clone(&e), Arc::clone(&res));
        Bunch::new(N, false, move |i| {
            // Half untimed, half timed: both kinds are woken by one `set`.
            if i % 2 == 0 {
                e.wait();
                push(&r, true);
            } else {
                push(&r, e.wait_timeout(LONG));
            }
        })
    };
    bunch.wait_for_started();
    e.set();
    bunch.wait_for_finished();
    assert_eq!(take(&res), [true; N]);
}

#[test]
fn evt_ping_pong_round_trips() {
    // Two events hand a token back and forth; every round trip completes in order.
    const ROUNDS: usize = if cfg!(miri) { 50 } else { 2_000 };
    let (ping, pong) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let partner = {
        let (ping, pong, count) = (Arc::clone(&ping), Arc::clone(&pong), Arc::clone(&count));
        thread::spawn(move || {
            for _ in 0..ROUNDS {
                assert!(ping.wait_timeout(LONG), "ping lost");
                ping.clear();
                count.fetch_add(1, Ordering::SeqCst);
                pong.set();
            }
        })
    };
    for round in 1..=ROUNDS {
        ping.set();
        assert!(pong.wait_timeout(LONG), "pong lost in round {round}");
        pong.clear();
        assert_eq!(count.load(Ordering::SeqCst), round);
    }
    partner.join().unwrap();
}

/// A reusable two-phase barrier made of events only: every round sets and clears each event
/// with waiters parked on it, and a lost wake-up hangs the round (caught by the timed waits).
#[test]
fn evt_stress_set_clear_rounds() {
    const N: usize = 6;
    const ROUNDS: usize = if cfg!(miri) { 20 } else { 200 };
    struct Rounds {
        go: Event,
        back: Event,
        all_in: Event,
        all_out: Event,
        arrived: AtomicUsize,
        left: AtomicUsize,
    }
    let r = Arc::new(Rounds {
        go: Event::new(),
        back: Event::new(),
        all_in: Event::new(),
        all_out: Event::new(),
        arrived: AtomicUsize::new(0),
        left: AtomicUsize::new(0),
    });
    let bunch = {
        let r = Arc::clone(&r);
        Bunch::new(N, false, move |i| {
            for round in 0..ROUNDS {
                // Mix untimed and timed waits.
                if (i + round) % 2 == 0 {
                    r.go.wait();
                } else {
                    assert!(r.go.wait_timeout(LONG), "stranded at go, round {round}");
                }
                if r.arrived.fetch_add(1, Ordering::SeqCst) + 1 == N {
                    r.arrived.store(0, Ordering::SeqCst);
                    r.all_in.set();
                }
                assert!(r.back.wait_timeout(LONG), "stranded at back, round {round}");
                if r.left.fetch_add(1, Ordering::SeqCst) + 1 == N {
                    r.left.store(0, Ordering::SeqCst);
                    r.all_out.set();
                }
            }
        })
    };
    for round in 0..ROUNDS {
        r.go.set();
        assert!(r.all_in.wait_timeout(LONG), "round {round}: not everyone arrived");
        r.all_in.clear();
        r.go.clear(); // nobody is before `go` now; the next round waits for the next `set`
        r.back.set();
        assert!(r.all_out.wait_timeout(LONG), "round {round}: not everyone left");
        r.all_out.clear();
        r.back.clear();
    }
    bunch.wait_for_finished();
}

/// Set/clear pulses racing many short timed waits and `is_set` readers: nothing hangs, a wait
/// that returns `false` took its whole timeout, and a final `set` releases everyone.
#[test]
fn evt_stress_pulses_and_timed_waits() {
    const N: usize = 6;
    const TICK: Duration = Duration::from_millis(2);
    let e = Arc::new(Event::new());
    let stop = Arc::new(AtomicBool::new(false));
    let trues = Arc::new(AtomicUsize::new(0));
    let bunch = {
        let (e, stop, trues) = (Arc::clone(&e), Arc::clone(&stop), Arc::clone(&trues));
        Bunch::new(N, false, move |_| {
            while !stop.load(Ordering::SeqCst) {
                let (elapsed, r) = timed(|| e.wait_timeout(TICK));
                if r {
                    trues.fetch_add(1, Ordering::Relaxed);
                } else {
                    assert!(elapsed >= TICK.mul_f64(0.6), "gave up early after {elapsed:?}");
                }
                let _ = e.is_set();
            }
            e.wait(); // released by the final `set`
        })
    };
    let pulser = {
        let (e, stop) = (Arc::clone(&e), Arc::clone(&stop));
        thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                e.set();
                e.clear();
                thread::yield_now();
            }
        })
    };
    wait_until("some waits saw a pulse", || trues.load(Ordering::Relaxed) >= 100);
    stop.store(true, Ordering::SeqCst);
    pulser.join().unwrap();
    e.set();
    bunch.wait_for_finished();
    assert!(e.is_set());
}

/// Two events' waiters sleep in different parking-lot queues: a `set` wakes the waiters of its
/// own event only. (Mutation testing: `Event::key` returning a constant put every event's
/// sleepers in one queue, and `a.set()` woke `b`'s timed waiter, which returned `true`.)
#[test]
fn evt_set_wakes_only_its_own_events_waiters() {
    let (a, b) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let b_result = results();
    let b_waiter = {
        let (b, r) = (Arc::clone(&b), Arc::clone(&b_result));
        Bunch::new(1, false, move |_| push(&r, b.wait_timeout(SHORT * 3)))
    };
    let a_waiter = {
        let a = Arc::clone(&a);
        Bunch::new(1, false, move |_| a.wait())
    };
    wait_threads_blocked(&b_waiter, 5);
    wait_threads_blocked(&a_waiter, 5);
    a.set(); // slow path: `a` has a parked waiter
    a_waiter.wait_for_finished();
    b_waiter.wait_for_finished();
    assert_eq!(take(&b_result), [false], "b's waiter saw a set of another event");
    assert!(!b.is_set());
}
