//! Behaviour tests for [`threading::RLock`]: CPython's `Lib/test/lock_tests.py`
//! (`BaseLockTests` as it applies to RLock, and `RLockTests`) and the RLOCK-xx rows of
//! `python-semantics.md` §2.
//!
//! Test names carry the row ID (`rlock_05_...`) or the CPython test name (`rlock_test_...`).
//! Rows with no Rust counterpart are covered by what their Python arguments turn into in Rust:
//! RLOCK-06 (argument errors: a `Duration` cannot be negative, and "non-blocking with a
//! timeout" has no spelling), RLOCK-13 (constructor arguments: `new` takes none) and RLOCK-16
//! (`RLock()` is a factory: here it is the type itself).

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use threading::{Lockable, RLock, RLockGuard, RLockState, RuntimeErrorKind};
use threading_tests::{Bunch, assert_stays, assert_timeout, timed, wait_until};

/// How long the negative checks ("nobody got through yet") watch.
const SETTLE: Duration = Duration::from_millis(50);

/// A timeout that is expected to expire: long enough to measure, short enough for a fast suite.
const SHORT: Duration = Duration::from_millis(200);

/// Far longer than any test needs; "is it still waiting?" is asserted well before.
const LONG: Duration = Duration::from_secs(20);

/// Runs `f` on a new thread and returns its result.
fn in_other_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    thread::spawn(f).join().expect("helper thread panicked")
}

/// The calling thread's id as the RLock records it (Python's `get_ident()`), read through
/// the public API: the owner field of a saved state.
fn my_ident() -> usize {
    let r = RLock::new();
    r.acquire();
    let state = r.release_save().unwrap();
    state.owner()
}

/// A thread holding an RLock at some depth until [`Holder::let_go`] (or until dropped).
struct Holder {
    bunch: Bunch,
    go: mpsc::Sender<()>,
}

impl Holder {
    /// Starts a thread that acquires `rlock` `depth` times and holds it; returns once it does.
    /// The thread releases every level itself (panicking if a release fails) before exiting.
    fn start(rlock: &Arc<RLock>, depth: usize) -> Holder {
        let r = Arc::clone(rlock);
        let (go, wait_go) = mpsc::channel::<()>();
        let wait_go = Mutex::new(wait_go);
        let acquired = Arc::new(AtomicBool::new(false));
        let a = Arc::clone(&acquired);
        let bunch = Bunch::new(1, false, move |_| {
            for _ in 0..depth {
                r.acquire();
            }
            assert_eq!(r.recursion_count(), depth);
            a.store(true, Ordering::SeqCst);
            // Err means the test dropped the holder (it failed): release anyway.
            let _ = wait_go.lock().unwrap().recv();
            for _ in 0..depth {
                r.release().expect("the holder's own level was taken away");
            }
        });
        wait_until("the other thread holds the rlock", || acquired.load(Ordering::SeqCst));
        Holder { bunch, go }
    }

    /// Lets the holder release every level and exit; re-raises its panic, if any.
    fn let_go(self) {
        self.go.send(()).unwrap();
        self.bunch.wait_for_finished();
    }
}

// ---------------------------------------------------------------------------------------------
// BaseLockTests, as they apply to RLock
// ---------------------------------------------------------------------------------------------

#[test]
fn rlock_test_constructor() {
    static STATIC_RLOCK: RLock = RLock::new();
    assert!(!STATIC_RLOCK.locked());
    assert!(!RLock::new().locked());
    assert!(!RLock::default().locked());
    // A static RLock works like any other.
    let _g = STATIC_RLOCK.lock();
    let _h = STATIC_RLOCK.lock();
    assert_eq!(STATIC_RLOCK.recursion_count(), 2);
}

#[test]
fn rlock_13_constructor_takes_no_arguments() {
    // Python 3.13 deprecates `RLock(1)`; `new` has no parameters, so both ways of making one
    // give the same, unlocked RLock.
    let (a, b) = (RLock::new(), RLock::default());
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert!(a.try_acquire() && b.try_acquire());
    a.release().unwrap();
    b.release().unwrap();
}

#[test]
fn rlock_16_type_name_and_bool_results() {
    // Python: `type(RLock()).__name__ == 'RLock'`, and the C RLock's acquire returns `True`
    // (not `_PyRLock`'s `1`) on re-entry. Here acquires that can fail return a real `bool`.
    assert!(std::any::type_name::<RLock>().ends_with("::RLock"));
    let r = RLock::new();
    let first: bool = r.try_acquire();
    let again: bool = r.try_acquire();
    assert!(first && again);
    r.release().unwrap();
    r.release().unwrap();
}

#[test]
fn rlock_11_debug_shows_owner_and_count() {
    // Python: `<unlocked _thread.RLock object owner=0 count=0 at 0x…>` and
    // `<locked _thread.RLock object owner=<get_ident()> count=2 at 0x…>`.
    let r = Arc::new(RLock::new());
    assert_eq!(format!("{r:?}"), "RLock { locked: false, owner: 0 }");
    r.acquire();
    r.acquire();
    let me = my_ident();
    assert_ne!(me, 0);
    assert_eq!(format!("{r:?}"), format!("RLock {{ locked: true, owner: {me}, count: 2 }}"));
    // Another thread cannot read the count (it belongs to the owner), but sees the owner.
    let r2 = Arc::clone(&r);
    let seen = in_other_thread(move || format!("{r2:?}"));
    assert_eq!(seen, format!("RLock {{ locked: true, owner: {me} }}"));
    r.release().unwrap();
    r.release().unwrap();
    assert_eq!(format!("{r:?}"), "RLock { locked: false, owner: 0 }");

    let g = r.lock();
    assert_eq!(
        format!("{g:?}"),
        format!("RLockGuard {{ rlock: RLock {{ locked: true, owner: {me}, count: 1 }} }}")
    );
    drop(g);
    assert!(format!("{r:#?}").contains("locked: false"));
}

#[test]
fn rlock_test_acquire_destroy() {
    // Dropping a held RLock is fine, at any depth.
    {
        let r = RLock::new();
        r.acquire();
        r.acquire();
    } // dropped while held at depth 2
    // Also when the last reference goes away in another thread than the owner.
    let r = Arc::new(RLock::new());
    r.acquire();
    let r2 = Arc::clone(&r);
    drop(r);
    in_other_thread(move || {
        assert!(r2.locked());
        assert!(!r2.is_owned());
        drop(r2);
    });
}

#[test]
fn rlock_test_acquire_release() {
    let r = RLock::new();
    r.acquire();
    assert!(r.locked());
    assert!(r.is_owned());
    r.release().unwrap();
    assert!(!r.locked());
    assert!(!r.is_owned());
}

#[test]
fn rlock_test_try_acquire() {
    let r = RLock::new();
    assert!(r.try_acquire());
    assert!(r.locked());
    assert_eq!(r.recursion_count(), 1);
    r.release().unwrap();
    assert!(!r.locked());
}

#[test]
fn rlock_test_try_acquire_contended() {
    let r = Arc::new(RLock::new());
    r.acquire();
    let r2 = Arc::clone(&r);
    let got = in_other_thread(move || {
        let got = r2.try_acquire();
        let guard = r2.try_lock().is_some();
        let timed_out = !r2.acquire_timeout(Duration::ZERO);
        (got, guard, timed_out)
    });
    assert_eq!(got, (false, false, true));
    assert_eq!(r.recursion_count(), 1, "failed attempts elsewhere change nothing here");
    r.release().unwrap();
}

#[test]
fn rlock_04_contenders_block_until_count_is_zero() {
    // BaseLockTests.test_acquire_contended with the RLock twist: N contenders stay blocked
    // until the owner's count is back to zero, not just until its first release.
    const N: usize = 5;
    let r = Arc::new(RLock::new());
    r.acquire();
    r.acquire();
    let r2 = Arc::clone(&r);
    let b = Bunch::new(N, false, move |_| {
        r2.acquire();
        assert_eq!(r2.recursion_count(), 1);
        r2.release().unwrap();
    });
    b.wait_for_started();
    assert_stays("no contender got through at depth 2", SETTLE, || b.finished() == 0);
    r.release().unwrap();
    assert!(r.locked());
    assert_stays("no contender got through at depth 1", SETTLE, || b.finished() == 0);
    r.release().unwrap();
    wait_until("every contender finished", || b.finished() == N);
    b.wait_for_finished();
    assert!(!r.locked());
}

#[test]
fn rlock_test_with() {
    // BaseLockTests.test_with: the guard releases on normal exit and when the body panics.
    let r = Arc::new(RLock::new());
    let check_free = |r: &Arc<RLock>| {
        let r2 = Arc::clone(r);
        assert!(in_other_thread(move || {
            let ok = r2.try_acquire();
            if ok {
                r2.release().unwrap();
            }
            ok
        }));
    };
    {
        let _g: RLockGuard<'_> = r.lock();
        assert!(r.is_owned());
    }
    check_free(&r);
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        let _g = r.lock();
        panic!("TypeError");
    }));
    assert!(caught.is_err());
    assert!(!r.locked());
    check_free(&r);
}

#[test]
fn rlock_test_thread_leak() {
    let r = Arc::new(RLock::new());
    let r2 = Arc::clone(&r);
    Bunch::new(15, false, move |_| {
        r2.acquire();
        r2.acquire();
        r2.release().unwrap();
        r2.release().unwrap();
    })
    .wait_for_finished();
    assert!(!r.locked());
}

#[test]
fn rlock_test_timeout() {
    // BaseLockTests.test_timeout: a generous timeout on a free lock does not wait; a timed
    // acquire of a lock held elsewhere fails after about the timeout.
    let r = Arc::new(RLock::new());
    let (elapsed, got) = timed(|| r.acquire_timeout(Duration::from_secs(5)));
    assert!(got);
    assert!(elapsed < Duration::from_secs(5));
    let r2 = Arc::clone(&r);
    let (elapsed, got) = in_other_thread(move || timed(|| r2.acquire_timeout(SHORT)));
    assert!(!got);
    assert_timeout(elapsed, SHORT);
    let r2 = Arc::clone(&r);
    let (elapsed, got) = in_other_thread(move || timed(|| r2.lock_timeout(SHORT).is_some()));
    assert!(!got);
    assert_timeout(elapsed, SHORT);
    assert_eq!(r.recursion_count(), 1);
    r.release().unwrap();
    assert!(!r.locked());
}

#[test]
fn rlock_state_after_timeout() {
    // LockTests.test_state_after_timeout for RLock: a timed-out acquire leaves no trace in the
    // waiter (it does not become owner) nor in the lock.
    let r = Arc::new(RLock::new());
    let holder = Holder::start(&r, 1);
    assert!(!r.acquire_timeout(Duration::from_millis(10)));
    assert!(!r.is_owned());
    assert_eq!(r.recursion_count(), 0);
    assert_eq!(r.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    holder.let_go();
    assert!(!r.locked());
    assert!(r.try_acquire());
    assert_eq!(r.recursion_count(), 1);
    r.release().unwrap();
}

#[test]
fn rlock_acquire_timeout_succeeds_when_released_in_time() {
    let r = Arc::new(RLock::new());
    r.acquire();
    r.acquire();
    let started = Arc::new(AtomicBool::new(false));
    let (r2, s) = (Arc::clone(&r), Arc::clone(&started));
    let t = thread::spawn(move || {
        s.store(true, Ordering::SeqCst);
        let (elapsed, got) = timed(|| r2.acquire_timeout(LONG));
        let count = r2.recursion_count();
        if got {
            r2.release().unwrap();
        }
        (elapsed, got, count)
    });
    wait_until("the waiter started", || started.load(Ordering::SeqCst));
    r.release().unwrap();
    r.release().unwrap();
    let (elapsed, got, count) = t.join().unwrap();
    assert!(got, "released long before the timeout");
    assert!(elapsed < LONG);
    assert_eq!(count, 1, "the waiter starts its own count at 1");
    assert!(!r.locked());
}

#[test]
fn rlock_huge_timeout_on_free_lock_succeeds() {
    // Python raises OverflowError above TIMEOUT_MAX; here "too large for an Instant" means
    // "forever". No overflow panic, first acquire or re-entry.
    let r = RLock::new();
    assert!(r.acquire_timeout(Duration::MAX));
    assert!(r.acquire_timeout(Duration::from_secs(u64::MAX / 2)));
    assert!(r.lock_timeout(Duration::MAX).is_some());
    assert_eq!(r.recursion_count(), 2);
    r.release().unwrap();
    r.release().unwrap();
    assert!(!r.locked());
    assert!(r.lock_timeout(Duration::MAX).is_some());
    assert!(!r.locked());
}

#[test]
fn rlock_huge_timeout_on_held_lock_waits_until_released() {
    let r = Arc::new(RLock::new());
    r.acquire();
    let results = Arc::new(Mutex::new(Vec::new()));
    let (r2, res) = (Arc::clone(&r), Arc::clone(&results));
    let waiters = Bunch::new(3, false, move |i| {
        let got = match i {
            0 => r2.acquire_timeout(Duration::MAX),
            1 => r2.acquire_timeout(Duration::from_secs(u64::MAX)),
            _ => {
                let g = r2.lock_timeout(Duration::MAX);
                res.lock().unwrap().push(g.is_some());
                return; // the guard releases
            }
        };
        res.lock().unwrap().push(got);
        r2.release().unwrap();
    });
    waiters.wait_for_started();
    assert_stays("the huge-timeout waiters are still waiting", SETTLE, || waiters.finished() == 0);
    r.release().unwrap();
    waiters.wait_for_finished();
    assert_eq!(*results.lock().unwrap(), [true, true, true]);
    assert!(!r.locked());
}

#[test]
fn rlock_acquire_deadline_in_the_past() {
    let r = Arc::new(RLock::new());
    let past = Instant::now();
    assert!(r.acquire_deadline(past), "free lock: the single try succeeds");
    assert!(r.acquire_deadline(past), "re-entry ignores the deadline");
    assert!(r.lock_deadline(past).is_some());
    assert_eq!(r.recursion_count(), 2);
    let r2 = Arc::clone(&r);
    let (elapsed, (got, guard)) = in_other_thread(move || {
        timed(|| (r2.acquire_deadline(past), r2.lock_deadline(past).is_some()))
    });
    assert!(!got && !guard);
    assert!(elapsed < Duration::from_millis(100), "a past deadline took {elapsed:?}");
    r.release().unwrap();
    r.release().unwrap();
    assert!(!r.locked());
}

#[test]
fn rlock_acquire_deadline_in_the_future_times_out() {
    let r = Arc::new(RLock::new());
    r.acquire();
    let r2 = Arc::clone(&r);
    let ((e1, got), (e2, guard)) = in_other_thread(move || {
        (
            timed(|| r2.acquire_deadline(Instant::now() + SHORT)),
            timed(|| r2.lock_deadline(Instant::now() + SHORT).is_some()),
        )
    });
    assert!(!got && !guard);
    assert_timeout(e1, SHORT);
    assert_timeout(e2, SHORT);
    // A future deadline on a lock the caller owns is immediate re-entry.
    let (elapsed, got) = timed(|| r.acquire_deadline(Instant::now() + LONG));
    assert!(got);
    assert!(elapsed < LONG);
    r.release().unwrap();
    r.release().unwrap();
}

#[test]
fn rlock_acquire_deadline_succeeds_when_released_in_time() {
    let r = Arc::new(RLock::new());
    r.acquire();
    let (r2, barrier) = (Arc::clone(&r), Arc::new(Barrier::new(2)));
    let b2 = Arc::clone(&barrier);
    let t = thread::spawn(move || {
        b2.wait();
        let g = r2.lock_deadline(Instant::now() + LONG);
        (g.is_some(), r2.recursion_count())
    });
    barrier.wait();
    r.release().unwrap();
    assert_eq!(t.join().unwrap(), (true, 1));
    assert!(!r.locked());
}

// ---------------------------------------------------------------------------------------------
// RLockTests and the RLOCK rows
// ---------------------------------------------------------------------------------------------

#[test]
fn rlock_01_test_reacquire() {
    // RLockTests.test_reacquire plus RLOCK-01: another thread gets it only after as many
    // releases as acquires.
    let r = Arc::new(RLock::new());
    r.acquire();
    r.acquire();
    r.release().unwrap();
    let r2 = Arc::clone(&r);
    assert!(!in_other_thread(move || r2.try_acquire()), "still held at depth 1");
    r.acquire();
    r.release().unwrap();
    r.release().unwrap();
    let r2 = Arc::clone(&r);
    assert!(
        in_other_thread(move || {
            let ok = r2.try_acquire();
            r2.release().unwrap();
            ok
        }),
        "free after the last release"
    );
    assert!(!r.locked());
}

#[test]
fn rlock_test_release_unacquired() {
    let r = RLock::new();
    let err = r.release().unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::ReleaseUnowned);
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
    r.acquire();
    r.acquire();
    r.release().unwrap();
    r.acquire();
    r.release().unwrap();
    r.release().unwrap();
    assert_eq!(r.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    // Nothing broke: it still works.
    assert!(r.try_acquire());
    r.release().unwrap();
    assert!(!r.locked());
}

#[test]
fn rlock_test_release_save_unacquired() {
    let r = RLock::new();
    let err = r.release_save().unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::ReleaseUnowned);
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
    r.acquire();
    r.acquire();
    r.release().unwrap();
    r.acquire();
    r.release().unwrap();
    r.release().unwrap();
    assert_eq!(r.release_save().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    assert!(!r.locked());
}

#[test]
fn rlock_03_test_different_thread() {
    // A non-owner cannot release, even while the RLock is held; nothing changes.
    let r = Arc::new(RLock::new());
    let holder = Holder::start(&r, 2);
    let err = r.release().unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::ReleaseUnowned);
    assert_eq!(r.release_save().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    assert!(r.locked(), "a failed release by a non-owner changed the lock");
    assert!(!r.try_acquire());
    holder.let_go(); // the holder releases both levels itself, without error
    assert!(!r.locked());
}

#[test]
fn rlock_05_owner_reacquire_never_blocks() {
    // `R.acquire(); R.acquire(False); R.acquire(timeout=0); R._recursion_count()` →
    // `True; True; 3`, and every other way in behaves the same for the owner.
    let r = RLock::new();
    r.acquire();
    assert!(r.try_acquire());
    assert!(r.acquire_timeout(Duration::ZERO));
    assert_eq!(r.recursion_count(), 3);
    assert!(r.acquire_deadline(Instant::now()));
    let (elapsed, guards) = timed(|| {
        [
            r.try_lock().is_some(),
            r.lock_timeout(Duration::ZERO).is_some(),
            r.lock_deadline(Instant::now()).is_some(),
        ]
    });
    assert_eq!(guards, [true; 3]);
    assert!(elapsed < Duration::from_millis(100), "owner re-entry took {elapsed:?}");
    assert_eq!(r.recursion_count(), 4, "the three guards were dropped again");
    for _ in 0..4 {
        r.release().unwrap();
    }
    assert!(!r.locked());
}

#[test]
fn rlock_06_argument_errors_cannot_be_expressed() {
    // Python's C RLock raises ValueError for `acquire(False, 1)` and `acquire(timeout=-5)`,
    // even for the owner. Neither call can be written in Rust: non-blocking is `try_acquire`
    // (no timeout parameter), and a negative or NaN timeout is not a `Duration`.
    assert!(Duration::try_from_secs_f64(-5.0).is_err());
    assert!(Duration::try_from_secs_f64(f64::NAN).is_err());
    // What remains: the owner's try_acquire is a re-entry (True), as `_PyRLock` returns.
    let r = RLock::new();
    r.acquire();
    assert!(r.try_acquire());
    assert_eq!(r.recursion_count(), 2);
    r.release().unwrap();
    r.release().unwrap();
}

#[test]
fn rlock_08_test_recursion_count() {
    let r = Arc::new(RLock::new());
    assert_eq!(r.recursion_count(), 0);
    r.acquire();
    assert_eq!(r.recursion_count(), 1);
    r.acquire();
    r.acquire();
    assert_eq!(r.recursion_count(), 3);
    let r2 = Arc::clone(&r);
    assert_eq!(in_other_thread(move || r2.recursion_count()), 0, "not the owner");
    r.release().unwrap();
    assert_eq!(r.recursion_count(), 2);
    r.release().unwrap();
    r.release().unwrap();
    assert_eq!(r.recursion_count(), 0);

    // CPython's second half: while another thread holds it, our count is 0, before and after
    // that thread releases.
    let holder = Holder::start(&r, 3);
    assert_eq!(r.recursion_count(), 0);
    assert!(r.locked());
    holder.let_go();
    assert_eq!(r.recursion_count(), 0);
    assert!(!r.locked());
}

#[test]
fn rlock_09_test_is_owned() {
    let r = Arc::new(RLock::new());
    assert!(!r.is_owned());
    r.acquire();
    assert!(r.is_owned());
    r.acquire();
    assert!(r.is_owned());
    let r2 = Arc::clone(&r);
    assert!(!in_other_thread(move || r2.is_owned() || Lockable::is_owned(&*r2)));
    r.release().unwrap();
    assert!(r.is_owned());
    r.release().unwrap();
    assert!(!r.is_owned());
}

#[test]
fn rlock_test_locked() {
    // RLockTests.test_locked (Python 3.14's `RLock.locked()`): true at any depth, from any
    // thread.
    let r = Arc::new(RLock::new());
    assert!(!r.locked());
    r.acquire();
    assert!(r.locked());
    r.acquire();
    assert!(r.locked());
    let r2 = Arc::clone(&r);
    assert!(in_other_thread(move || r2.locked()));
    r.release().unwrap();
    assert!(r.locked());
    r.release().unwrap();
    assert!(!r.locked());
    let r2 = Arc::clone(&r);
    assert!(!in_other_thread(move || r2.locked()));
}

#[test]
fn rlock_10_release_save_and_acquire_restore() {
    // `R.acquire()×2; s=R._release_save(); [T2] acquire(False); R._acquire_restore(s)`.
    let r = Arc::new(RLock::new());
    r.acquire();
    r.acquire();
    let state: RLockState = r.release_save().unwrap();
    assert_eq!(state.count(), 2);
    assert_eq!(state.owner(), my_ident());
    assert!(!r.locked(), "released completely");
    assert!(!r.is_owned());
    assert_eq!(r.recursion_count(), 0);
    let r2 = Arc::clone(&r);
    assert!(in_other_thread(move || {
        let ok = r2.try_acquire();
        r2.release().unwrap();
        ok
    }));
    r.acquire_restore(state);
    assert!(r.is_owned());
    assert_eq!(r.recursion_count(), 2);
    r.release().unwrap();
    r.release().unwrap();
    assert!(!r.locked());
}

#[test]
fn rlock_10_release_save_at_every_depth() {
    let r = RLock::new();
    for depth in 1..=5 {
        for _ in 0..depth {
            r.acquire();
        }
        let s = r.release_save().unwrap();
        assert_eq!(s.count(), depth);
        assert!(!r.locked());
        // Once saved, the lock is not ours: a second save fails and changes nothing.
        assert_eq!(r.release_save().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
        r.acquire_restore(s);
        assert_eq!(r.recursion_count(), depth);
        // Nested: acquire more on top, save again, restore again.
        r.acquire();
        let s2 = r.release_save().unwrap();
        assert_eq!(s2.count(), depth + 1);
        assert_eq!(s2.owner(), s.owner());
        r.acquire_restore(s2);
        for _ in 0..=depth {
            r.release().unwrap();
        }
        assert!(!r.locked());
    }
}

#[test]
fn rlock_10_acquire_restore_waits_for_the_lock() {
    // `_acquire_restore` blocks while another thread holds the lock, then restores the depth.
    let r = Arc::new(RLock::new());
    r.acquire();
    r.acquire();
    r.acquire();
    let state = r.release_save().unwrap();
    let holder = Holder::start(&r, 1);
    let restored = Arc::new(AtomicBool::new(false));
    thread::scope(|s| {
        let restorer = s.spawn(|| {
            // A different thread restoring someone else's state is not the point here; the
            // main thread restores. This scoped thread only lets the holder go once the main
            // thread is seen blocked.
            assert_stays("acquire_restore is blocked", SETTLE, || !restored.load(Ordering::SeqCst));
            holder.let_go();
        });
        r.acquire_restore(state);
        restored.store(true, Ordering::SeqCst);
        restorer.join().unwrap();
    });
    assert_eq!(r.recursion_count(), 3);
    for _ in 0..3 {
        r.release().unwrap();
    }
    assert!(!r.locked());
}

#[test]
fn rlock_release_save_by_non_owner_fails_and_changes_nothing() {
    let r = Arc::new(RLock::new());
    let holder = Holder::start(&r, 2);
    assert_eq!(r.release_save().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    assert_eq!(Lockable::release(&*r).unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    assert!(r.locked());
    holder.let_go(); // would panic in the holder if its count had been touched
    assert!(!r.locked());
}

/// Through the trait only, as a `Condition` would use it.
fn lockable_round_trip<L: Lockable<Saved = RLockState>>(lock: &L) {
    assert!(!lock.is_owned());
    assert_eq!(lock.release_save().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    assert_eq!(lock.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    lock.acquire();
    assert!(lock.is_owned());
    assert!(lock.try_acquire(), "re-entry");
    assert!(lock.acquire_until(Some(Instant::now())), "re-entry ignores the deadline");
    assert!(lock.acquire_until(None));
    let saved = lock.release_save().unwrap();
    assert_eq!(saved.count(), 4);
    assert!(!lock.is_owned());
    lock.acquire_restore(saved);
    assert!(lock.is_owned());
    for _ in 0..4 {
        lock.release().unwrap();
    }
    assert!(!lock.is_owned());
    assert_eq!(lock.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
}

#[test]
fn rlock_lockable_protocol() {
    let r = RLock::new();
    lockable_round_trip(&r);
    lockable_round_trip(&&r);
    lockable_round_trip(&Arc::new(RLock::new()));
    assert!(!r.locked());
}

#[test]
fn rlock_lockable_acquire_until_times_out_when_held_elsewhere() {
    let r = Arc::new(RLock::new());
    let holder = Holder::start(&r, 1);
    assert!(!Lockable::try_acquire(&*r));
    assert!(!Lockable::acquire_until(&*r, Some(Instant::now())));
    let (elapsed, got) = timed(|| Lockable::acquire_until(&*r, Some(Instant::now() + SHORT)));
    assert!(!got);
    assert_timeout(elapsed, SHORT);
    holder.let_go();
    assert!(Lockable::acquire_until(&*r, Some(Instant::now() + LONG)));
    r.release().unwrap();
}

#[test]
fn rlock_15_owner_exits_while_holding() {
    // If the owner dies holding it, the RLock stays locked for good, and no other thread
    // (including threads started later, which get fresh ids) owns it or can release it.
    let r = Arc::new(RLock::new());
    let r2 = Arc::clone(&r);
    let dead_owner = in_other_thread(move || {
        r2.acquire();
        r2.acquire();
        my_ident()
    });
    assert!(r.locked());
    assert!(!r.is_owned());
    assert_eq!(r.recursion_count(), 0);
    assert!(!r.acquire_timeout(Duration::from_millis(20)));
    assert_eq!(r.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    assert_eq!(r.release_save().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    assert_eq!(format!("{r:?}"), format!("RLock {{ locked: true, owner: {dead_owner} }}"));
    // Many new threads: none of them is mistaken for the dead owner.
    let r2 = Arc::clone(&r);
    let mistaken = Arc::new(AtomicUsize::new(0));
    let m = Arc::clone(&mistaken);
    Bunch::new(8, false, move |_| {
        if r2.is_owned()
            || r2.recursion_count() != 0
            || r2.try_acquire()
            || r2.release().is_ok()
            || my_ident() == dead_owner
        {
            m.fetch_add(1, Ordering::SeqCst);
        }
    })
    .wait_for_finished();
    assert_eq!(mistaken.load(Ordering::SeqCst), 0);
    assert!(r.locked());
}

// ---------------------------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------------------------

#[test]
fn rlock_guards_every_form() {
    let r = RLock::new();
    let g = r.lock();
    assert!(std::ptr::eq(g.rlock(), &r));
    drop(g);
    assert!(!r.locked());
    let g = r.try_lock().expect("free");
    drop(g);
    let g = r.lock_timeout(SHORT).expect("free");
    drop(g);
    let g = r.lock_deadline(Instant::now() + SHORT).expect("free");
    drop(g);
    assert!(!r.locked());
}

#[test]
fn rlock_guards_nest_and_count() {
    let r = RLock::new();
    let a = r.lock();
    let b = r.try_lock().expect("re-entry");
    let c = r.lock_timeout(Duration::ZERO).expect("re-entry");
    let d = r.lock_deadline(Instant::now()).expect("re-entry");
    assert_eq!(r.recursion_count(), 4);
    // Dropped out of order: each guard gives back one level, whichever it is.
    drop(b);
    assert_eq!(r.recursion_count(), 3);
    drop(a);
    assert_eq!(r.recursion_count(), 2);
    drop(d);
    assert_eq!(r.recursion_count(), 1);
    assert!(r.locked());
    drop(c);
    assert!(!r.locked());
    assert_eq!(r.recursion_count(), 0);
}

#[test]
fn rlock_guards_mix_with_acquire_release() {
    let r = RLock::new();
    r.acquire();
    {
        let _g = r.lock();
        r.acquire();
        assert_eq!(r.recursion_count(), 3);
        r.release().unwrap();
    }
    assert_eq!(r.recursion_count(), 1);
    r.release().unwrap();
    assert!(!r.locked());
}

#[test]
fn rlock_failed_guard_acquire_changes_nothing() {
    // Regression guard for the `then_some` bug fixed in Lock and RLock: a failed
    // try_lock/lock_timeout/lock_deadline must not build (and drop) a guard.
    let r = Arc::new(RLock::new());
    let holder = Holder::start(&r, 1);
    assert!(r.try_lock().is_none());
    assert!(r.lock_timeout(Duration::ZERO).is_none());
    assert!(r.lock_timeout(Duration::from_millis(5)).is_none());
    assert!(r.lock_deadline(Instant::now()).is_none());
    assert!(r.lock_deadline(Instant::now() + Duration::from_millis(5)).is_none());
    assert!(r.locked(), "a failed guard acquire released the holder's lock");
    holder.let_go(); // panics in the holder if its level was taken away
    assert!(!r.locked());
}

#[test]
fn rlock_guard_after_manual_release_is_harmless() {
    // Documented: a guard whose level was given up behind its back drops silently.
    let r = RLock::new();
    let g = r.lock();
    r.release().unwrap();
    drop(g);
    assert!(!r.locked());
    // After a release_save behind its back, too.
    let g = r.lock();
    let _state = r.release_save().unwrap();
    drop(g);
    assert!(!r.locked());
    assert!(r.try_acquire());
    r.release().unwrap();
}

// ---------------------------------------------------------------------------------------------
// Panics: no poisoning
// ---------------------------------------------------------------------------------------------

#[test]
fn rlock_panic_at_depth_three_releases_everything() {
    let r = Arc::new(RLock::new());
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        let _a = r.lock();
        let _b = r.lock();
        let _c = r.lock();
        assert_eq!(r.recursion_count(), 3);
        panic!("boom at depth 3");
    }));
    assert!(caught.is_err());
    assert!(!r.locked());
    assert_eq!(r.recursion_count(), 0);
    let r2 = Arc::clone(&r);
    assert!(in_other_thread(move || {
        let ok = r2.try_acquire();
        r2.release().unwrap();
        ok
    }));
}

#[test]
fn rlock_panic_unwinds_only_the_guarded_levels() {
    // Levels taken with `acquire` outside the panicking scope stay held; only guards unwind.
    let r = RLock::new();
    r.acquire();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        let _a = r.lock();
        let _b = r.lock();
        panic!("boom");
    }));
    assert!(caught.is_err());
    assert_eq!(r.recursion_count(), 1);
    assert!(r.is_owned());
    r.release().unwrap();
    assert!(!r.locked());
}

#[test]
fn rlock_catch_unwind_without_assert_unwind_safe() {
    // RLock is RefUnwindSafe: a closure borrowing it crosses catch_unwind as is.
    let r = RLock::new();
    let caught = panic::catch_unwind(|| {
        let _g = r.lock();
        let _h = r.lock();
        panic!("boom");
    });
    assert!(caught.is_err());
    assert!(!r.locked());
    // And a guard alive across a (caught) panic keeps its level.
    let g = r.lock();
    let caught = panic::catch_unwind(|| {
        let _h = r.lock();
        panic!("inner");
    });
    assert!(caught.is_err());
    assert_eq!(r.recursion_count(), 1);
    drop(g);
    assert!(!r.locked());
}

#[test]
fn rlock_panic_in_thread_holding_guard_releases() {
    let r = Arc::new(RLock::new());
    let r2 = Arc::clone(&r);
    let joined = thread::spawn(move || {
        let _a = r2.lock();
        let _b = r2.lock();
        let _c = r2.lock();
        panic!("boom in a thread");
    })
    .join();
    assert!(joined.is_err());
    assert!(!r.locked());
    // No poisoning: every way in still works.
    assert!(r.try_acquire());
    r.release().unwrap();
    drop(r.lock());
    assert!(r.acquire_timeout(SHORT));
    r.release().unwrap();
    assert!(!r.locked());
}

#[test]
fn rlock_panic_in_thread_wakes_a_waiter() {
    // A waiter blocked on the RLock gets it when the holder's thread dies of a panic.
    let r = Arc::new(RLock::new());
    let barrier = Arc::new(Barrier::new(2));
    let (r2, b2) = (Arc::clone(&r), Arc::clone(&barrier));
    let panicker = thread::spawn(move || {
        let _a = r2.lock();
        let _b = r2.lock();
        b2.wait(); // the waiter may start
        b2.wait(); // the waiter is (about to be) blocked
        panic!("boom");
    });
    barrier.wait();
    let r2 = Arc::clone(&r);
    let waiter = Bunch::new(1, false, move |_| {
        let g = r2.lock_timeout(LONG);
        assert!(g.is_some());
        assert_eq!(r2.recursion_count(), 1);
    });
    waiter.wait_for_started();
    barrier.wait();
    assert!(panicker.join().is_err());
    waiter.wait_for_finished();
    assert!(!r.locked());
}
