//! Behaviour tests for [`threading::Condition`]: CPython's `Lib/test/lock_tests.py`
//! `ConditionTests` and the COND-xx rows of `python-semantics.md` §3, plus what the Rust API
//! adds (panics inside `wait_for`, conditions sharing one lock, huge timeouts) and a
//! producer/consumer stress test.
//!
//! Test names carry the row ID (`cond_12_...`) or the CPython test name (`cond_test_...`).
//! "How many threads are waiting" is read from the condition's `Debug` output (Python's
//! `repr`, COND-24, which shows `len(self._waiters)`), so the tests wait for a thread to be
//! *in the queue* rather than sleep and hope. A thread is in the queue from the moment its
//! wait has pushed its node, before it releases the lock, so a notify from then on reaches it.
//!
//! Rows with no Rust counterpart: the `OverflowError` for a huge timeout (here it waits
//! forever, see `cond_huge_timeout_waits_forever`), and the NaN/negative timeouts of §0 (a
//! `Duration` cannot express them). COND-18's "returns the predicate's own object" becomes
//! "returns its last `bool`; capture anything else in the closure".

use std::collections::VecDeque;
use std::fmt::Debug;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use threading::{Condition, ConditionGuard, Lock, Lockable, RLock, RuntimeError, RuntimeErrorKind};
use threading_tests::{Bunch, assert_stays, assert_timeout, timed, wait_until};

/// How long the negative checks ("nobody got through yet") watch.
const SETTLE: Duration = Duration::from_millis(50);

/// A timeout that is expected to expire: long enough to measure, short enough for a fast suite.
const SHORT: Duration = Duration::from_millis(100);

/// Far longer than any test needs; a wait with it is expected to be notified.
const LONG: Duration = Duration::from_secs(20);

/// How many threads are in `cond`'s queue, from its `Debug` output (Python's
/// `len(cond._waiters)`).
fn waiters<L: Lockable + Debug>(cond: &Condition<L>) -> usize {
    let repr = format!("{cond:?}");
    let count = repr.rsplit("waiters: ").next().expect("Debug shows the waiter count");
    count.trim_end_matches([' ', '}']).parse().expect("a number of waiters")
}

/// Waits until exactly `n` threads are in `cond`'s queue.
#[track_caller]
fn wait_for_waiters<L: Lockable + Debug>(cond: &Condition<L>, n: usize) {
    wait_until(&format!("{n} threads wait on the condition"), || waiters(cond) == n);
}

/// Runs `f` on a new thread and returns its result.
fn in_other_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    thread::spawn(f).join().expect("helper thread panicked")
}

/// Locks a std mutex of test bookkeeping, ignoring poison (a panicking test thread re-raises
/// through its `Bunch` anyway).
fn book<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------------
// ConditionTests
// ---------------------------------------------------------------------------------------------

#[test]
fn cond_test_acquire() {
    // COND-01: by default the lock is an RLock, so the condition can be acquired twice.
    let cond = Condition::new();
    cond.acquire();
    cond.acquire();
    assert_eq!(cond.lock_ref().recursion_count(), 2);
    cond.release().unwrap();
    cond.release().unwrap();
    assert!(!cond.lock_ref().locked());
    let _: &RLock = cond.lock_ref();

    // COND-02: a lock passed in is shared.
    let lock = Lock::new();
    let cond = Condition::with_lock(&lock);
    cond.acquire();
    assert!(!lock.try_acquire());
    cond.release().unwrap();
    assert!(lock.try_acquire());
    assert!(!cond.try_acquire());
    lock.release().unwrap();
    // COND-03: `with cond:` holds the lock for the block.
    {
        let _guard = cond.lock();
        assert!(!lock.try_acquire());
        assert!(lock.locked());
    }
    assert!(!lock.locked());
}

#[test]
fn cond_acquire_variants_act_on_the_lock() {
    let cond = Arc::new(Condition::with_lock(Lock::new()));
    assert!(cond.acquire_timeout(SHORT));
    assert!(!cond.acquire_timeout(Duration::ZERO), "a Lock is not reentrant");
    let (elapsed, got) = timed(|| cond.acquire_timeout(SHORT));
    assert!(!got);
    assert_timeout(elapsed, SHORT);
    assert!(!cond.acquire_deadline(Instant::now() + Duration::from_millis(10)));
    assert!(cond.try_lock().is_none());
    assert!(cond.lock_timeout(Duration::from_millis(10)).is_none());
    assert!(cond.lock_deadline(Instant::now()).is_none());
    // Released from another thread (a Lock has no owner), the guards work again.
    let c = Arc::clone(&cond);
    in_other_thread(move || c.release().unwrap());
    drop(cond.try_lock().expect("free"));
    drop(cond.lock_timeout(SHORT).expect("free"));
    drop(cond.lock_deadline(Instant::now() + SHORT).expect("free"));
    assert!(cond.acquire_deadline(Instant::now()), "a free lock: a past deadline is one try");
    cond.release().unwrap();
    assert_eq!(cond.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnlocked);
    // An RLock condition: release by a non-owner is the RLock's error.
    let cond = Condition::new();
    assert_eq!(cond.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
}

#[test]
fn cond_test_unacquired_wait() {
    // COND-04, with every form of wait; nothing changes and nobody is queued.
    let cond = Condition::new();
    let kind = RuntimeErrorKind::WaitUnacquired;
    assert_eq!(cond.wait().unwrap_err().kind(), kind);
    assert_eq!(cond.wait_timeout(Duration::ZERO).unwrap_err().kind(), kind);
    assert_eq!(cond.wait_timeout(SHORT).unwrap_err().kind(), kind);
    assert_eq!(cond.wait_deadline(Instant::now()).unwrap_err().kind(), kind);
    assert_eq!(cond.wait_for(|| false).unwrap_err().kind(), kind);
    assert_eq!(cond.wait_for_timeout(|| false, SHORT).unwrap_err().kind(), kind);
    let err = cond.wait().unwrap_err();
    assert_eq!(err.to_string(), "cannot wait on un-acquired lock");
    assert_eq!(waiters(&cond), 0);
    assert!(!cond.lock_ref().locked());
}

#[test]
fn cond_test_unacquired_notify() {
    // COND-05.
    let cond = Condition::new();
    let kind = RuntimeErrorKind::NotifyUnacquired;
    assert_eq!(cond.notify().unwrap_err().kind(), kind);
    assert_eq!(cond.notify_n(0).unwrap_err().kind(), kind);
    assert_eq!(cond.notify_n(3).unwrap_err().kind(), kind);
    assert_eq!(cond.notify_all().unwrap_err().kind(), kind);
    assert_eq!(cond.notify().unwrap_err().to_string(), "cannot notify on un-acquired lock");
}

#[test]
fn cond_unacquired_notify_does_not_wake_a_waiter() {
    // The error comes before anything else: a waiter stays in the queue.
    let cond = Arc::new(Condition::new());
    let c = Arc::clone(&cond);
    let waiter = Bunch::new(1, false, move |_| {
        let guard = c.lock();
        assert_eq!(guard.wait_timeout(LONG), Ok(true));
    });
    wait_for_waiters(&cond, 1);
    assert!(cond.notify_all().is_err());
    assert_eq!(waiters(&cond), 1);
    cond.lock().notify().unwrap();
    waiter.wait_for_finished();
}

/// CPython's `_check_notify`: five waiters, `notify(3)`, then `notify(5)` while the woken three
/// wait a second time (so the two still in their first wait are woken first, FIFO), then
/// `notify_all`. `wait` must return `true` each time and the phases must not mix.
fn check_notify<L: Lockable + Debug + Send + Sync + 'static>(cond: &Arc<Condition<L>>) {
    const N: usize = 5;
    const COUNT1: usize = 3;
    const COUNT2: usize = N - COUNT1;
    #[derive(Default)]
    struct Book {
        results1: Vec<(bool, usize)>,
        results2: Vec<(bool, usize)>,
    }
    let book_ = Arc::new(Mutex::new(Book::default()));
    let phase = Arc::new(AtomicUsize::new(0));
    let (c, b, p) = (Arc::clone(cond), Arc::clone(&book_), Arc::clone(&phase));
    let bunch = Bunch::new(N, false, move |_| {
        c.acquire();
        // The untimed wait (`Ok(())` is Python's `True`)...
        let result = c.wait().is_ok();
        c.release().unwrap();
        book(&b).results1.push((result, p.load(SeqCst)));
        c.acquire();
        // ...and a huge timeout, which also waits forever and reports `true` when notified.
        let result = c.wait_timeout(Duration::MAX).unwrap();
        c.release().unwrap();
        book(&b).results2.push((result, p.load(SeqCst)));
    });
    wait_for_waiters(cond, N);
    assert!(book(&book_).results1.is_empty());

    // Notify 3 threads at first.
    cond.acquire();
    cond.notify_n(COUNT1).unwrap();
    assert_eq!(waiters(cond), N - COUNT1, "notify(3) took three waiters off the queue");
    phase.store(1, SeqCst);
    cond.release().unwrap();
    wait_until("the three woken threads return", || book(&book_).results1.len() >= COUNT1);
    assert_eq!(book(&book_).results1, vec![(true, 1); COUNT1]);
    assert!(book(&book_).results2.is_empty());

    // Notify 5: the two in their first wait (queued first), then the three in their second.
    wait_for_waiters(cond, N);
    cond.acquire();
    cond.notify_n(5).unwrap();
    assert_eq!(waiters(cond), 0);
    phase.store(2, SeqCst);
    cond.release().unwrap();
    wait_until("all five return", || {
        let b = book(&book_);
        b.results1.len() + b.results2.len() >= N + COUNT1
    });
    {
        let b = book(&book_);
        let mut expected1 = vec![(true, 1); COUNT1];
        expected1.extend([(true, 2); COUNT2]);
        assert_eq!(b.results1, expected1);
        assert_eq!(b.results2, vec![(true, 2); COUNT1]);
    }

    // Notify all: the last two, in their second wait.
    wait_for_waiters(cond, COUNT2);
    cond.acquire();
    cond.notify_all().unwrap();
    assert_eq!(waiters(cond), 0);
    phase.store(3, SeqCst);
    cond.release().unwrap();
    bunch.wait_for_finished();
    let b = book(&book_);
    let mut expected2 = vec![(true, 2); COUNT1];
    expected2.extend([(true, 3); COUNT2]);
    assert_eq!(b.results2, expected2);
    assert_eq!(b.results1.len(), N);
}

#[test]
fn cond_test_notify() {
    // COND-07/COND-12/COND-14, over the default RLock; twice, to check the state is still ok.
    let cond = Arc::new(Condition::new());
    check_notify(&cond);
    check_notify(&cond);
}

#[test]
fn cond_test_notify_over_lock() {
    // The same over a plain Lock (CPython runs ConditionTests with both).
    let cond = Arc::new(Condition::with_lock(Lock::new()));
    check_notify(&cond);
    check_notify(&cond);
}

#[test]
fn cond_test_timeout() {
    // COND-23: five timed waits with nobody notifying all time out, after the timeout: no
    // spurious wake-ups.
    let cond = Arc::new(Condition::new());
    let results = Arc::new(Mutex::new(Vec::new()));
    let (c, r) = (Arc::clone(&cond), Arc::clone(&results));
    Bunch::new(5, false, move |_| {
        let guard = c.lock();
        let (elapsed, result) = timed(|| guard.wait_timeout(SHORT));
        drop(guard);
        book(&r).push((elapsed, result));
    })
    .wait_for_finished();
    let results = book(&results);
    assert_eq!(results.len(), 5);
    for &(elapsed, result) in results.iter() {
        assert_timeout(elapsed, SHORT);
        assert_eq!(result, Ok(false));
    }
    assert_eq!(waiters(&cond), 0);
}

#[test]
fn cond_test_waitfor() {
    // COND-19: wait_for keeps waiting across notifies until the predicate holds.
    let cond = Arc::new(Condition::new());
    let state = Arc::new(AtomicUsize::new(0)); // changed only with the lock held
    let (c, s) = (Arc::clone(&cond), Arc::clone(&state));
    let waiter = Bunch::new(1, false, move |_| {
        let guard = c.lock();
        assert_eq!(guard.wait_for(|| s.load(SeqCst) == 4), Ok(true));
        assert_eq!(s.load(SeqCst), 4);
    });
    for _ in 0..4 {
        wait_for_waiters(&cond, 1);
        let guard = cond.lock();
        state.fetch_add(1, SeqCst);
        guard.notify().unwrap();
    }
    waiter.wait_for_finished();
}

#[test]
fn cond_test_waitfor_timeout() {
    // Only three increments, so `state == 4` is never reached: false after the timeout.
    let cond = Arc::new(Condition::new());
    let state = Arc::new(AtomicUsize::new(0));
    let success = Arc::new(AtomicBool::new(false));
    let (c, s, ok) = (Arc::clone(&cond), Arc::clone(&state), Arc::clone(&success));
    let waiter = Bunch::new(1, false, move |_| {
        let guard = c.lock();
        let (elapsed, result) = timed(|| guard.wait_for_timeout(|| s.load(SeqCst) == 4, SHORT));
        assert_eq!(result, Ok(false));
        assert_timeout(elapsed, SHORT);
        ok.store(true, SeqCst);
    });
    for _ in 0..3 {
        // Queued again, or (on a very slow machine) already timed out.
        wait_until("the waiter is queued", || waiters(&cond) == 1 || waiter.finished() == 1);
        let guard = cond.lock();
        state.fetch_add(1, SeqCst);
        guard.notify().unwrap();
    }
    waiter.wait_for_finished();
    assert!(success.load(SeqCst));
}

// ---------------------------------------------------------------------------------------------
// python-semantics.md §3
// ---------------------------------------------------------------------------------------------

#[test]
fn cond_03_guard_derefs_to_the_condition() {
    // `with c as v:` — the guard is the Rust `v`: it waits and notifies itself.
    let cond = Condition::with_lock(Lock::new());
    let guard: ConditionGuard<'_, Lock> = cond.lock();
    assert!(std::ptr::eq(guard.condition(), &cond));
    assert!(guard.lock_ref().locked());
    assert_eq!(guard.wait_timeout(Duration::ZERO), Ok(false));
    guard.notify_all().unwrap();
    drop(guard);
    assert!(!cond.lock_ref().locked());
}

#[test]
fn cond_06_plain_lock_ownership_is_is_locked() {
    // With a plain Lock held by another thread, this thread may still wait (releasing the
    // other thread's lock, and holding it afterwards) and notify, as in CPython.
    let lock = Arc::new(Lock::new());
    let cond = Condition::with_lock(Arc::clone(&lock));
    let release = Arc::new(AtomicBool::new(false));
    let (l, r) = (Arc::clone(&lock), Arc::clone(&release));
    let holder = thread::spawn(move || {
        l.acquire();
        wait_until("told to release", || r.load(SeqCst));
        // The waiter re-acquired the lock; releasing it is still fine (no owner).
        l.release()
    });
    wait_until("the other thread holds the lock", || lock.locked());
    assert!(cond.lock_ref().is_owned(), "for a Lock, `is_owned` means `is locked`");
    assert_eq!(cond.wait_timeout(Duration::from_millis(10)), Ok(false));
    assert!(lock.locked(), "the wait re-acquired the lock for this thread");
    assert_eq!(cond.notify(), Ok(()));
    release.store(true, SeqCst);
    assert_eq!(holder.join().unwrap(), Ok(()));
    assert!(!lock.locked());

    // With the default RLock the real owner is checked.
    let cond = Arc::new(Condition::new());
    let entered = Arc::new(AtomicBool::new(false));
    let leave = Arc::new(AtomicBool::new(false));
    let (c, e, l) = (Arc::clone(&cond), Arc::clone(&entered), Arc::clone(&leave));
    let owner = Bunch::new(1, false, move |_| {
        let _guard = c.lock();
        e.store(true, SeqCst);
        wait_until("told to leave", || l.load(SeqCst));
    });
    wait_until("the other thread owns the rlock", || entered.load(SeqCst));
    let kind = cond.wait_timeout(Duration::from_millis(10)).unwrap_err().kind();
    assert_eq!(kind, RuntimeErrorKind::WaitUnacquired);
    assert_eq!(cond.notify().unwrap_err().kind(), RuntimeErrorKind::NotifyUnacquired);
    leave.store(true, SeqCst);
    owner.wait_for_finished();
}

#[test]
fn cond_07_wait_returns_true_when_notified() {
    let cond = Arc::new(Condition::new());
    let c = Arc::clone(&cond);
    let waiter = thread::spawn(move || {
        let guard = c.lock();
        (guard.wait_timeout(LONG), guard.lock_ref().is_owned())
    });
    wait_for_waiters(&cond, 1);
    cond.lock().notify().unwrap();
    assert_eq!(waiter.join().unwrap(), (Ok(true), true));
}

#[test]
fn cond_10_untimed_wait_has_no_limit() {
    let cond = Arc::new(Condition::new());
    let done = Arc::new(AtomicBool::new(false));
    let (c, d) = (Arc::clone(&cond), Arc::clone(&done));
    let waiter = Bunch::new(1, false, move |_| {
        let guard = c.lock();
        guard.wait().unwrap();
        d.store(true, SeqCst);
    });
    wait_for_waiters(&cond, 1);
    assert_stays("the waiter is still waiting", SHORT, || !done.load(SeqCst));
    cond.lock().notify().unwrap();
    waiter.wait_for_finished();
    assert!(done.load(SeqCst));
}

#[test]
fn cond_12_notify_n_is_fifo() {
    // Five waiters queued in order 0–4: notify(2) wakes {0, 1}, notify() wakes {2}, notify(10)
    // wakes {3, 4}. (The order in which they *return* is the lock's business, so the sets are
    // compared.)
    let cond = Arc::new(Condition::new());
    let woken = Arc::new(Mutex::new(Vec::new()));
    let mut bunches = Vec::new();
    for i in 0..5 {
        let (c, w) = (Arc::clone(&cond), Arc::clone(&woken));
        bunches.push(Bunch::new(1, false, move |_| {
            let guard = c.lock();
            assert_eq!(guard.wait_timeout(LONG), Ok(true));
            book(&w).push(i);
        }));
        wait_for_waiters(&cond, i + 1);
    }
    let sorted = |n: usize| {
        wait_until("the woken threads return", || book(&woken).len() == n);
        let mut v = book(&woken).clone();
        v.sort_unstable();
        v
    };
    cond.lock().notify_n(2).unwrap();
    assert_eq!(sorted(2), [0, 1]);
    assert_eq!(waiters(&cond), 3);
    cond.lock().notify().unwrap();
    assert_eq!(sorted(3), [0, 1, 2]);
    assert_eq!(waiters(&cond), 2);
    cond.lock().notify_n(10).unwrap();
    assert_eq!(sorted(5), [0, 1, 2, 3, 4]);
    assert_eq!(waiters(&cond), 0);
    for b in bunches {
        b.wait_for_finished();
    }
}

#[test]
fn cond_notify_n_zero_wakes_nobody() {
    let cond = Arc::new(Condition::new());
    let c = Arc::clone(&cond);
    let waiter = Bunch::new(1, false, move |_| {
        assert_eq!(c.lock().wait_timeout(LONG), Ok(true));
    });
    wait_for_waiters(&cond, 1);
    cond.lock().notify_n(0).unwrap();
    assert_stays("the waiter is still queued", SETTLE, || waiters(&cond) == 1);
    cond.lock().notify_n(1).unwrap();
    waiter.wait_for_finished();
}

#[test]
fn cond_14_notify_all_wakes_only_current_waiters() {
    let cond = Arc::new(Condition::new());
    let c = Arc::clone(&cond);
    let early = Bunch::new(3, false, move |_| {
        assert_eq!(c.lock().wait_timeout(LONG), Ok(true));
    });
    wait_for_waiters(&cond, 3);
    let guard = cond.lock();
    guard.notify_all().unwrap();
    assert_eq!(waiters(&cond), 0);
    // A late waiter (this thread, still holding the lock) is not woken by it.
    let (elapsed, late) = timed(|| guard.wait_timeout(SHORT));
    assert_eq!(late, Ok(false));
    assert_timeout(elapsed, SHORT);
    drop(guard);
    early.wait_for_finished();
}

#[test]
fn cond_15_notified_waiter_returns_after_the_notifier_releases() {
    let cond = Arc::new(Condition::with_lock(Lock::new()));
    let returned = Arc::new(AtomicBool::new(false));
    let (c, r) = (Arc::clone(&cond), Arc::clone(&returned));
    let waiter = Bunch::new(1, false, move |_| {
        let guard = c.lock();
        assert_eq!(guard.wait_timeout(LONG), Ok(true));
        r.store(true, SeqCst);
    });
    wait_for_waiters(&cond, 1);
    let guard = cond.lock();
    guard.notify().unwrap();
    assert_eq!(waiters(&cond), 0, "notified: off the queue");
    assert_stays("the notified waiter waits for the lock", SETTLE, || !returned.load(SeqCst));
    drop(guard);
    waiter.wait_for_finished();
    assert!(returned.load(SeqCst));
}

#[test]
fn cond_16_timed_out_waiter_leaves_the_queue() {
    // A times out; B waits; a later notify(1) reaches B and is not lost on A.
    let cond = Arc::new(Condition::new());
    let c = Arc::clone(&cond);
    // A must still be queued when B joins the queue. Under Miri the virtual clock advances
    // 5 µs per interpreted basic block, so starting B takes far longer than 50 "ms".
    let a_timeout = if cfg!(miri) { Duration::from_secs(2) } else { Duration::from_millis(50) };
    let a = thread::spawn(move || {
        let guard = c.lock();
        guard.wait_timeout(a_timeout)
    });
    wait_for_waiters(&cond, 1);
    let c = Arc::clone(&cond);
    let b = Bunch::new(1, false, move |_| {
        assert_eq!(c.lock().wait_timeout(LONG), Ok(true));
    });
    wait_for_waiters(&cond, 2);
    assert_eq!(a.join().unwrap(), Ok(false));
    assert_eq!(waiters(&cond), 1);
    cond.lock().notify().unwrap();
    b.wait_for_finished();
    assert_eq!(waiters(&cond), 0);
}

#[test]
fn cond_16_timed_out_waiter_in_the_middle_of_the_queue() {
    // Queue: A (long), B (short), C (long). B times out and unlinks itself from the middle;
    // notify(2) then reaches A and C.
    let cond = Arc::new(Condition::new());
    let long_waiter = |cond: &Arc<Condition>| {
        let c = Arc::clone(cond);
        Bunch::new(1, false, move |_| assert_eq!(c.lock().wait_timeout(LONG), Ok(true)))
    };
    let a = long_waiter(&cond);
    wait_for_waiters(&cond, 1);
    let c = Arc::clone(&cond);
    let b = thread::spawn(move || c.lock().wait_timeout(SHORT));
    wait_for_waiters(&cond, 2);
    let c_waiter = long_waiter(&cond);
    // Normally B is still waiting when C joins the queue behind it.
    wait_until("C is queued", || waiters(&cond) == 3 || b.is_finished());
    assert_eq!(b.join().unwrap(), Ok(false));
    wait_for_waiters(&cond, 2);
    cond.lock().notify_n(2).unwrap();
    a.wait_for_finished();
    c_waiter.wait_for_finished();
    assert_eq!(waiters(&cond), 0);
}

#[test]
fn cond_17_rlock_depth_released_completely_and_restored() {
    let cond = Arc::new(Condition::new());
    cond.acquire();
    cond.acquire();
    cond.acquire();
    let notified = Arc::new(AtomicBool::new(false));
    let (c, n) = (Arc::clone(&cond), Arc::clone(&notified));
    let notifier = Bunch::new(1, false, move |_| {
        // Gets the lock while the main thread waits, and owns it alone.
        let guard = c.lock();
        assert!(guard.lock_ref().is_owned());
        assert_eq!(guard.lock_ref().recursion_count(), 1);
        n.store(true, SeqCst);
        guard.notify().unwrap();
    });
    while !notified.load(SeqCst) {
        assert_eq!(cond.wait_timeout(LONG), Ok(true));
    }
    assert!(cond.lock_ref().is_owned());
    assert_eq!(cond.lock_ref().recursion_count(), 3);
    for _ in 0..3 {
        cond.release().unwrap();
    }
    assert!(!cond.lock_ref().locked());
    notifier.wait_for_finished();
}

#[test]
fn cond_17_depth_restored_after_timeout_and_zero_wait() {
    let cond = Condition::new();
    cond.acquire();
    cond.acquire();
    assert_eq!(cond.wait_timeout(Duration::from_millis(10)), Ok(false));
    assert_eq!(cond.lock_ref().recursion_count(), 2);
    // §0: a zero timeout still releases and re-acquires the lock.
    let (elapsed, r) = timed(|| cond.wait_timeout(Duration::ZERO));
    assert_eq!(r, Ok(false));
    assert!(elapsed < SHORT);
    assert_eq!(cond.lock_ref().recursion_count(), 2);
    assert_eq!(cond.wait_deadline(Instant::now()), Ok(false));
    assert_eq!(cond.lock_ref().recursion_count(), 2);
    cond.release().unwrap();
    cond.release().unwrap();
}

#[test]
fn cond_18_wait_for_already_true_returns_at_once() {
    // Python returns the predicate's own value ('value'); here its `bool`, and anything else
    // comes out through the closure.
    let cond = Condition::new();
    let guard = cond.lock();
    let mut calls = 0;
    let mut value = None;
    let (elapsed, r) = timed(|| {
        guard.wait_for(|| {
            calls += 1;
            value = Some("value");
            true
        })
    });
    assert_eq!(r, Ok(true));
    assert_eq!((calls, value), (1, Some("value")));
    assert!(elapsed < SHORT);
    assert_eq!(guard.wait_for_timeout(|| true, Duration::ZERO), Ok(true));
    assert_eq!(guard.wait_for_deadline(|| true, Instant::now()), Ok(true));
}

#[test]
fn cond_20_wait_for_budget_is_not_restarted_by_wake_ups() {
    // A notifier keeps waking the waiter; the predicate never holds. The total time is still
    // about one timeout (a budget restarted at each wake-up would never run out).
    let cond = Arc::new(Condition::new());
    let stop = Arc::new(AtomicBool::new(false));
    let (c, s) = (Arc::clone(&cond), Arc::clone(&stop));
    let notifier = Bunch::new(1, false, move |_| {
        let deadline = Instant::now() + LONG;
        while !s.load(SeqCst) && Instant::now() < deadline {
            c.lock().notify_all().unwrap();
            thread::sleep(Duration::from_millis(5));
        }
    });
    let guard = cond.lock();
    let mut calls = 0;
    let (elapsed, r) = timed(|| {
        guard.wait_for_timeout(
            || {
                calls += 1;
                false
            },
            SHORT,
        )
    });
    stop.store(true, SeqCst);
    drop(guard);
    notifier.wait_for_finished();
    assert_eq!(r, Ok(false));
    assert_timeout(elapsed, SHORT);
    assert!(calls > 2, "the notifier woke the waiter several times ({calls} evaluations)");
}

#[test]
fn cond_20_wait_for_deadline_is_one_budget() {
    let cond = Condition::new();
    let guard = cond.lock();
    let deadline = Instant::now() + SHORT;
    let (elapsed, r) = timed(|| guard.wait_for_deadline(|| false, deadline));
    assert_eq!(r, Ok(false));
    assert_timeout(elapsed, SHORT);
    assert!(Instant::now() >= deadline);
}

#[test]
fn cond_21_wait_for_checks_ownership_only_if_it_must_wait() {
    let cond = Condition::new();
    assert_eq!(cond.wait_for(|| true), Ok(true));
    assert_eq!(cond.wait_for_timeout(|| true, Duration::ZERO), Ok(true));
    let err = cond.wait_for_timeout(|| false, Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::WaitUnacquired);
    assert_eq!(err.to_string(), "cannot wait on un-acquired lock");
    assert_eq!(waiters(&cond), 0);
}

#[test]
fn cond_22_wait_for_zero_timeout_evaluates_twice() {
    let cond = Condition::new();
    let guard = cond.lock();
    let mut calls = 0;
    let (elapsed, r) = timed(|| {
        guard.wait_for_timeout(
            || {
                calls += 1;
                false
            },
            Duration::ZERO,
        )
    });
    assert_eq!(r, Ok(false));
    assert_eq!(calls, 2, "evaluated, one non-blocking wait, evaluated again");
    assert!(elapsed < SHORT);
    assert!(guard.lock_ref().is_owned());
    // A deadline in the past is the same.
    let mut calls = 0;
    let past = Instant::now();
    let r = guard.wait_for_deadline(
        || {
            calls += 1;
            false
        },
        past,
    );
    assert_eq!((r, calls), (Ok(false), 2));
}

#[test]
fn cond_24_debug_shows_lock_and_waiters() {
    // Python: `<Condition(<unlocked _thread.lock object at 0x…>, 0)>`.
    let cond = Arc::new(Condition::with_lock(Lock::new()));
    assert_eq!(format!("{cond:?}"), "Condition { lock: Lock { locked: false }, waiters: 0 }");
    let c = Arc::clone(&cond);
    let waiter = Bunch::new(1, false, move |_| {
        assert_eq!(c.lock().wait_timeout(LONG), Ok(true));
    });
    wait_for_waiters(&cond, 1);
    let guard = cond.lock();
    assert_eq!(format!("{cond:?}"), "Condition { lock: Lock { locked: true }, waiters: 1 }");
    assert_eq!(
        format!("{guard:?}"),
        "ConditionGuard { condition: Condition { lock: Lock { locked: true }, waiters: 1 } }"
    );
    guard.notify().unwrap();
    drop(guard);
    waiter.wait_for_finished();
    let rcond = Condition::new();
    assert_eq!(
        format!("{rcond:?}"),
        "Condition { lock: RLock { locked: false, owner: 0 }, waiters: 0 }"
    );
    assert!(format!("{rcond:#?}").contains("waiters: 0"));
}

// ---------------------------------------------------------------------------------------------
// Rust-side behaviour: panics, shared locks, huge timeouts, misuse
// ---------------------------------------------------------------------------------------------

#[test]
fn cond_panic_in_wait_for_predicate_restores_the_lock() {
    // The predicate panics after a wake-up: the panic propagates with the RLock held at the
    // caller's depth, the queue is empty, and the condition works normally afterwards.
    let cond = Arc::new(Condition::new());
    cond.acquire();
    cond.acquire();
    let c = Arc::clone(&cond);
    let notifier = Bunch::new(1, false, move |_| {
        wait_for_waiters(&c, 1);
        c.lock().notify().unwrap();
    });
    let calls = AtomicUsize::new(0);
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        cond.wait_for(|| {
            assert!(calls.fetch_add(1, SeqCst) == 0, "boom in the predicate");
            false
        })
    }));
    assert!(caught.is_err());
    assert_eq!(calls.load(SeqCst), 2);
    notifier.wait_for_finished();
    assert!(cond.lock_ref().is_owned());
    assert_eq!(cond.lock_ref().recursion_count(), 2);
    assert_eq!(waiters(&cond), 0);
    cond.release().unwrap();
    cond.release().unwrap();
    assert!(!cond.lock_ref().locked());

    // Still usable: a waiter is queued and notified as usual.
    let c = Arc::clone(&cond);
    let waiter = Bunch::new(1, false, move |_| {
        assert_eq!(c.lock().wait_timeout(LONG), Ok(true));
    });
    wait_for_waiters(&cond, 1);
    cond.lock().notify().unwrap();
    waiter.wait_for_finished();
}

/// A `Lock` behind a user [`Lockable`] whose `release_save` panics once when armed: a lock
/// that fails in the middle of a `wait`, after the waiter is in the queue.
#[derive(Debug)]
struct PanicOnReleaseSave {
    lock: Lock,
    armed: AtomicBool,
}

impl Lockable for PanicOnReleaseSave {
    type Saved = ();

    fn acquire(&self) {
        self.lock.acquire();
    }

    fn try_acquire(&self) -> bool {
        self.lock.try_acquire()
    }

    fn acquire_until(&self, deadline: Option<Instant>) -> bool {
        Lockable::acquire_until(&self.lock, deadline)
    }

    fn release(&self) -> Result<(), RuntimeError> {
        self.lock.release()
    }

    fn is_owned(&self) -> bool {
        Lockable::is_owned(&self.lock)
    }

    fn release_save(&self) -> Result<(), RuntimeError> {
        assert!(!self.armed.swap(false, SeqCst), "boom in release_save");
        Lockable::release_save(&self.lock)
    }

    fn acquire_restore(&self, saved: ()) {
        Lockable::acquire_restore(&self.lock, saved);
    }
}

#[test]
fn cond_panic_in_release_save_takes_the_waiter_out_of_the_queue() {
    // The waiter's node is queued before the lock is released; a lock that panics then must
    // not leave it behind (a dangling node the next notify would spend itself on).
    let cond = Arc::new(Condition::with_lock(PanicOnReleaseSave {
        lock: Lock::new(),
        armed: AtomicBool::new(true),
    }));
    cond.acquire();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| cond.wait_timeout(LONG)));
    assert!(caught.is_err());
    assert_eq!(waiters(&cond), 0);
    assert!(cond.lock_ref().lock.locked(), "release_save panicked before releasing");
    cond.release().unwrap();

    // The next notify reaches a real waiter.
    let c = Arc::clone(&cond);
    let waiter = Bunch::new(1, false, move |_| {
        c.acquire();
        let notified = c.wait_timeout(LONG);
        c.release().unwrap();
        assert_eq!(notified, Ok(true));
    });
    wait_for_waiters(&cond, 1);
    cond.acquire();
    cond.notify().unwrap();
    cond.release().unwrap();
    waiter.wait_for_finished();
    assert_eq!(waiters(&cond), 0);
}

#[test]
fn cond_panic_in_wait_for_under_a_guard_releases_the_lock() {
    let cond = Condition::with_lock(Lock::new());
    let caught = panic::catch_unwind(|| {
        let guard = cond.lock();
        let _ = guard.wait_for_timeout(|| panic!("boom"), SHORT);
    });
    assert!(caught.is_err());
    assert!(!cond.lock_ref().locked(), "the guard released the lock as it unwound");
    assert_eq!(waiters(&cond), 0);
    // Also when the panic comes after a timed wait.
    let mut first = true;
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        let guard = cond.lock();
        let _ = guard.wait_for_timeout(
            || {
                assert!(std::mem::take(&mut first), "boom after the wait");
                false
            },
            Duration::from_millis(5),
        );
    }));
    assert!(caught.is_err());
    assert!(!cond.lock_ref().locked());
    assert_eq!(waiters(&cond), 0);
}

#[test]
fn cond_conditions_sharing_a_borrowed_lock() {
    // Two conditions over one `&Lock` (a bounded buffer's not_empty / not_full): each has its
    // own queue, and a wait on one releases the lock for the other's users.
    let lock = Lock::new();
    let not_empty = Condition::with_lock(&lock);
    let not_full = Condition::with_lock(&lock);
    let items = AtomicUsize::new(0);
    thread::scope(|s| {
        let consumer = s.spawn(|| {
            let guard = not_empty.lock();
            assert_eq!(guard.wait_for_timeout(|| items.load(SeqCst) > 0, LONG), Ok(true));
            items.fetch_sub(1, SeqCst);
        });
        let producer = s.spawn(|| {
            let guard = not_full.lock();
            assert_eq!(guard.wait_timeout(LONG), Ok(true));
        });
        wait_for_waiters(&not_empty, 1);
        wait_for_waiters(&not_full, 1);
        // Both released the one lock while waiting. A waiter is queued *before* it releases
        // the lock (so no notify can slip between), hence "eventually", not "at once": Miri's
        // scheduler preempts a waiter in that window.
        wait_until("both waiters released the lock", || !lock.locked());
        {
            // Notifying not_full wakes only its waiter; locking through either condition is
            // holding the shared lock.
            let guard = not_empty.lock();
            assert!(!not_full.try_acquire());
            not_full.notify_all().unwrap();
            assert_eq!(waiters(&not_full), 0);
            assert_eq!(waiters(&not_empty), 1);
            drop(guard);
        }
        producer.join().unwrap();
        assert_stays("the consumer still waits", SETTLE, || waiters(&not_empty) == 1);
        {
            let _guard = not_full.lock();
            items.fetch_add(1, SeqCst);
            not_empty.notify().unwrap();
        }
        consumer.join().unwrap();
    });
    assert_eq!(items.load(SeqCst), 0);
    assert!(!lock.locked());
}

#[test]
fn cond_conditions_sharing_an_arc_rlock() {
    // Two conditions over one `Arc<RLock>`: ownership is the shared RLock's, so the owner can
    // notify one through a guard taken on the other, and a wait on one releases every level.
    let rlock = Arc::new(RLock::new());
    let a = Arc::new(Condition::with_lock(Arc::clone(&rlock)));
    let b = Arc::new(Condition::with_lock(Arc::clone(&rlock)));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let waiter = Bunch::new(1, false, move |_| {
        let _outer = b2.lock();
        a2.acquire(); // depth 2, through the other condition
        assert_eq!(a2.lock_ref().recursion_count(), 2);
        assert_eq!(a2.wait_timeout(LONG), Ok(true));
        assert_eq!(b2.lock_ref().recursion_count(), 2);
        a2.release().unwrap();
    });
    wait_for_waiters(&a, 1);
    // Queued first, released next (see `cond_conditions_sharing_a_borrowed_lock`).
    wait_until("waiting on `a` released both levels", || !rlock.locked());
    {
        let guard = b.lock();
        assert!(a.lock_ref().is_owned());
        b.notify_all().unwrap(); // `b` has no waiters: nobody wakes
        assert_eq!(waiters(&a), 1);
        a.notify().unwrap(); // owned through `b`'s guard: allowed
        assert_eq!(waiters(&a), 0);
        drop(guard);
    }
    waiter.wait_for_finished();
    assert!(!rlock.locked());
    // `into_lock` hands the shared lock back.
    let back: Arc<RLock> = Arc::into_inner(a).expect("last reference").into_lock();
    assert!(Arc::ptr_eq(&back, &rlock));
}

#[test]
fn cond_huge_timeout_waits_forever() {
    // Python raises OverflowError; here a timeout too large for an `Instant` means "forever".
    let cond = Arc::new(Condition::new());
    let results = Arc::new(Mutex::new(Vec::new()));
    let flag = Arc::new(AtomicBool::new(false));
    let (c, r, f) = (Arc::clone(&cond), Arc::clone(&results), Arc::clone(&flag));
    let waiters_bunch = Bunch::new(2, false, move |i| {
        let guard = c.lock();
        let result = if i == 0 {
            guard.wait_timeout(Duration::MAX)
        } else {
            guard.wait_for_timeout(|| f.load(SeqCst), Duration::MAX)
        };
        book(&r).push(result);
    });
    wait_for_waiters(&cond, 2);
    assert_stays("both still wait", SETTLE, || book(&results).is_empty());
    {
        let guard = cond.lock();
        flag.store(true, SeqCst);
        guard.notify_all().unwrap();
    }
    waiters_bunch.wait_for_finished();
    assert_eq!(*book(&results), [Ok(true), Ok(true)]);
}

#[test]
fn cond_wait_deadline_notified_before_it() {
    let cond = Arc::new(Condition::with_lock(Lock::new()));
    let c = Arc::clone(&cond);
    let waiter = thread::spawn(move || c.lock().wait_deadline(Instant::now() + LONG));
    wait_for_waiters(&cond, 1);
    cond.lock().notify().unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(true));
    let guard = cond.lock();
    let (elapsed, r) = timed(|| guard.wait_deadline(Instant::now() + SHORT));
    assert_eq!(r, Ok(false));
    assert_timeout(elapsed, SHORT);
}

#[test]
fn cond_wait_after_release_behind_the_guards_back_is_an_error() {
    // The guard's `wait` still checks: the lock was released through the condition.
    let cond = Condition::new();
    let guard = cond.lock();
    cond.release().unwrap();
    assert_eq!(guard.wait().unwrap_err().kind(), RuntimeErrorKind::WaitUnacquired);
    assert_eq!(guard.notify().unwrap_err().kind(), RuntimeErrorKind::NotifyUnacquired);
    drop(guard); // its release fails silently
    assert!(!cond.lock_ref().locked());
}

#[test]
fn cond_static_and_default() {
    static COND: Condition = Condition::new();
    {
        let guard = COND.lock();
        assert_eq!(guard.wait_timeout(Duration::from_millis(1)), Ok(false));
    }
    assert!(!COND.lock_ref().locked());
    let d = Condition::default();
    assert_eq!(waiters(&d), 0);
    assert!(!d.into_lock().locked());
}

#[test]
fn cond_drop_after_use() {
    // A condition whose waiters are gone can be dropped, over a lock left held too.
    let cond = Arc::new(Condition::with_lock(Lock::new()));
    let c = Arc::clone(&cond);
    let waiter = thread::spawn(move || c.lock().wait_timeout(LONG));
    wait_for_waiters(&cond, 1);
    cond.lock().notify().unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(true));
    cond.acquire();
    let cond = Arc::into_inner(cond).expect("last reference");
    assert!(cond.lock_ref().locked());
    assert_eq!(waiters(&cond), 0);
} // `cond` is dropped here, its lock still held

// ---------------------------------------------------------------------------------------------
// Stress
// ---------------------------------------------------------------------------------------------

/// Producers and consumers on a bounded buffer guarded by one `Lock` and two conditions,
/// waking each other with single `notify`s (a lost notification would stall a side until its
/// wait reports a timeout, failing the test). Consumers mix untimed waits with very short
/// timed ones, so timeouts race notifications all the time. Checked: the buffer never holds
/// more than its capacity, the lock excludes (a `try_lock` of the bookkeeping never fails),
/// and every item is consumed exactly once.
#[test]
fn cond_stress_bounded_buffer() {
    const PRODUCERS: usize = 3;
    const CONSUMERS: usize = 3;
    const ITEMS: usize = if cfg!(miri) { 60 } else { 3_000 }; // per producer
    const TOTAL: usize = PRODUCERS * ITEMS;
    const CAPACITY: usize = 4;

    struct State {
        buffer: VecDeque<usize>,
        consumed: usize,
        seen: Vec<bool>,
        max_len: usize,
    }
    struct Shared {
        lock: Arc<Lock>,
        not_empty: Condition<Arc<Lock>>,
        not_full: Condition<Arc<Lock>>,
        /// Only touched with `lock` held: `try_lock` must always succeed.
        state: Mutex<State>,
    }
    impl Shared {
        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            assert!(self.lock.locked());
            self.state.try_lock().expect("two threads inside the condition's lock")
        }
    }
    let lock = Arc::new(Lock::new());
    let shared = Arc::new(Shared {
        not_empty: Condition::with_lock(Arc::clone(&lock)),
        not_full: Condition::with_lock(Arc::clone(&lock)),
        lock,
        state: Mutex::new(State {
            buffer: VecDeque::new(),
            consumed: 0,
            seen: vec![false; TOTAL],
            max_len: 0,
        }),
    });

    let s = Arc::clone(&shared);
    let producers = Bunch::new(PRODUCERS, false, move |p| {
        for i in 0..ITEMS {
            let guard = s.not_full.lock();
            let room = guard.wait_for_timeout(|| s.state().buffer.len() < CAPACITY, LONG);
            assert_eq!(room, Ok(true), "a producer was never woken");
            {
                let mut st = s.state();
                st.buffer.push_back(p * ITEMS + i);
                st.max_len = st.max_len.max(st.buffer.len());
                assert!(st.buffer.len() <= CAPACITY);
            }
            s.not_empty.notify().unwrap();
        }
    });
    let s = Arc::clone(&shared);
    let consumers = Bunch::new(CONSUMERS, false, move |c| {
        let mut round = 0usize;
        loop {
            let guard = s.not_empty.lock();
            let ready = || {
                let st = s.state();
                !st.buffer.is_empty() || st.consumed == TOTAL
            };
            round += 1;
            if (round + c).is_multiple_of(3) {
                // A very short timed wait, retried: timeouts race the producers' notifies.
                let deadline = Instant::now() + LONG;
                while !guard.wait_for_timeout(ready, Duration::from_micros(50)).unwrap() {
                    assert!(Instant::now() < deadline, "a consumer was never woken");
                }
            } else {
                let got = guard.wait_for_timeout(ready, LONG);
                assert_eq!(got, Ok(true), "a consumer was never woken");
            }
            let mut st = s.state();
            let Some(item) = st.buffer.pop_front() else {
                // Everything is consumed; pass the word on to the other consumers.
                drop(st);
                s.not_empty.notify_all().unwrap();
                return;
            };
            assert!(!std::mem::replace(&mut st.seen[item], true), "item {item} consumed twice");
            st.consumed += 1;
            let done = st.consumed == TOTAL;
            drop(st);
            s.not_full.notify().unwrap();
            if done {
                s.not_empty.notify_all().unwrap();
            }
        }
    });
    producers.wait_for_finished();
    consumers.wait_for_finished();
    let _guard = shared.not_empty.lock();
    let st = shared.state();
    assert_eq!(st.consumed, TOTAL);
    assert!(st.seen.iter().all(|&s| s));
    assert!(st.buffer.is_empty());
    assert!(st.max_len >= 1 && st.max_len <= CAPACITY);
    drop(st);
    assert_eq!(waiters(&shared.not_empty), 0);
    assert_eq!(waiters(&shared.not_full), 0);
}

/// Many short timed waits racing `notify_all` storms on one condition: every wait ends, the
/// queue ends empty, and no wait reports `true` unless a notify was issued after it started
/// (checked through a notify counter read before and after).
#[test]
fn cond_stress_timeouts_race_notify_all() {
    const THREADS: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 20 } else { 300 };
    let cond = Arc::new(Condition::new());
    let notifies = Arc::new(AtomicUsize::new(0)); // written with the lock held
    let stop = Arc::new(AtomicBool::new(false));
    let (c, n, s) = (Arc::clone(&cond), Arc::clone(&notifies), Arc::clone(&stop));
    let notifier = Bunch::new(1, false, move |_| {
        while !s.load(SeqCst) {
            let guard = c.lock();
            n.fetch_add(1, SeqCst);
            guard.notify_all().unwrap();
            drop(guard);
            thread::yield_now();
        }
    });
    let (c, n) = (Arc::clone(&cond), Arc::clone(&notifies));
    let trues = Arc::new(AtomicUsize::new(0));
    let t = Arc::clone(&trues);
    Bunch::new(THREADS, false, move |_| {
        // At least ROUNDS waits, and on until this thread was notified once (a starved
        // notifier only makes the test slower, up to PATIENCE).
        let deadline = Instant::now() + threading_tests::PATIENCE;
        let mut mine = 0;
        let mut round = 0;
        while round < ROUNDS || mine == 0 {
            assert!(Instant::now() < deadline, "the notifier never reached this waiter");
            round += 1;
            let guard = c.lock();
            let before = n.load(SeqCst);
            let notified = guard.wait_timeout(Duration::from_micros(100)).unwrap();
            if notified {
                assert!(n.load(SeqCst) > before, "woken with no notify since the wait began");
                mine += 1;
            }
        }
        t.fetch_add(mine, SeqCst);
    })
    .wait_for_finished();
    stop.store(true, SeqCst);
    notifier.wait_for_finished();
    assert_eq!(waiters(&cond), 0);
    assert!(trues.load(SeqCst) >= THREADS);
}
