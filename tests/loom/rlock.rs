//! loom models of [`threading::RLock`], run on the shipped code: mutual exclusion between
//! owners, recursion, ownership (a non-owner's release is an error and changes nothing),
//! `is_owned` per thread, `release_save`/`acquire_restore` under contention, timed acquires
//! with the clock expiring at any point, and `try_acquire`.

use std::time::Duration;

use threading::{Lockable, RLock, RuntimeErrorKind};

use crate::common::{Exclusive, check, clock, loom, wait_parked};
use loom::sync::Arc;

/// Long enough that only `clock::expire()` ends it.
const TIMEOUT: Duration = Duration::from_secs(1);

/// An `RLock` and a critical-section observer shared by the threads of a model.
struct Shared {
    rlock: RLock,
    section: Exclusive,
}

fn shared() -> Arc<Shared> {
    Arc::new(Shared { rlock: RLock::new(), section: Exclusive::new() })
}

/// Spawns a thread running `f` on a clone of `s`.
fn spawn<T: 'static>(
    s: &Arc<Shared>,
    f: impl FnOnce(&Shared) -> T + 'static,
) -> loom::thread::JoinHandle<T> {
    let s = Arc::clone(s);
    loom::thread::spawn(move || f(&s))
}

/// Asserts the calling thread owns `r` at depth `depth`.
#[track_caller]
fn assert_owned(r: &RLock, depth: usize) {
    assert!(r.is_owned());
    assert!(r.locked());
    assert_eq!(r.recursion_count(), depth);
}

/// Asserts the calling thread does not own `r`.
#[track_caller]
fn assert_not_owned(r: &RLock) {
    assert!(!r.is_owned());
    assert_eq!(r.recursion_count(), 0);
}

/// Takes `r` to depth 2 and releases level by level, inside one critical section.
fn recursive_section(s: &Shared) {
    s.rlock.acquire();
    let inside = s.section.enter();
    assert_owned(&s.rlock, 1);
    {
        let _inner = s.rlock.lock();
        assert_owned(&s.rlock, 2);
    }
    assert_owned(&s.rlock, 1);
    drop(inside);
    s.rlock.release().unwrap();
    assert_not_owned(&s.rlock);
}

/// Two owners, each at depth 2: never both inside, and each release gives back exactly one
/// level (the lock stays held by its owner at depth 1).
#[test]
fn mutual_exclusion_with_recursion() {
    check("rlock::mutual_exclusion_with_recursion", || {
        let s = shared();
        let t = spawn(&s, recursive_section);
        recursive_section(&s);
        t.join().unwrap();
        assert_eq!(s.section.entries(), 2);
        assert!(!s.rlock.locked());
    });
}

/// Three contenders on the guard API: everyone gets through (no lost wake-up in the inner
/// lock as `RLock` drives it) and never two owners at once.
#[test]
fn three_contenders() {
    check("rlock::three_contenders", || {
        let s = shared();
        let section = |s: &Shared| {
            let _guard = s.rlock.lock();
            let _inside = s.section.enter();
            assert_owned(&s.rlock, 1);
        };
        let a = spawn(&s, section);
        let b = spawn(&s, section);
        section(&s);
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(s.section.entries(), 3);
        assert!(!s.rlock.locked());
    });
}

/// While the owner holds the lock at depth 2 and gives it up level by level, another thread's
/// `release` and `release_save` fail with "cannot release un-acquired lock" and change nothing:
/// `is_owned` stays per thread and the owner's depth is exactly what its own calls made it.
#[test]
fn non_owner_release_changes_nothing() {
    check("rlock::non_owner_release_changes_nothing", || {
        let s = shared();
        s.rlock.acquire();
        s.rlock.acquire();
        let other = spawn(&s, |s| {
            assert_not_owned(&s.rlock);
            assert_eq!(s.rlock.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
            let saved = s.rlock.release_save();
            assert_eq!(saved.unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
            assert_not_owned(&s.rlock);
        });
        assert_owned(&s.rlock, 2);
        s.rlock.release().unwrap();
        assert_owned(&s.rlock, 1);
        s.rlock.release().unwrap();
        assert_not_owned(&s.rlock);
        other.join().unwrap();
        assert!(!s.rlock.locked());
        assert_eq!(s.rlock.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnowned);
    });
}

/// The owner at depth 2 gives the lock up only once a contender sleeps in the parking lot, with
/// a spurious wake-up thrown in at any point: the contender gets through exactly once the last
/// level is released, and owns the lock alone.
#[test]
fn last_release_wakes_parked_contender() {
    check("rlock::last_release_wakes_parked_contender", || {
        let s = shared();
        s.rlock.acquire();
        s.rlock.acquire();
        let inside = s.section.enter();
        let contender = spawn(&s, |s| {
            let _guard = s.rlock.lock();
            let _inside = s.section.enter();
            assert_owned(&s.rlock, 1);
        });
        wait_parked(1);
        let spurious = loom::thread::spawn(clock::spurious_wake_all);
        s.rlock.release().unwrap();
        assert_owned(&s.rlock, 1);
        drop(inside);
        s.rlock.release().unwrap();
        contender.join().unwrap();
        spurious.join().unwrap();
        assert_eq!(s.section.entries(), 2);
        assert!(!s.rlock.locked());
    });
}

/// `release_save` at depth 2 lets a contender in; `acquire_restore` waits for it to leave and
/// restores depth 2 and ownership; the sections never overlap.
#[test]
fn release_save_acquire_restore() {
    check("rlock::release_save_acquire_restore", || {
        let s = shared();
        let contender = spawn(&s, |s| {
            let _guard = s.rlock.lock();
            let _inside = s.section.enter();
            assert_owned(&s.rlock, 1);
        });
        s.rlock.acquire();
        s.rlock.acquire();
        let inside = s.section.enter();
        drop(inside);
        let saved = s.rlock.release_save().unwrap();
        assert_eq!(saved.count(), 2);
        assert_not_owned(&s.rlock);
        s.rlock.acquire_restore(saved);
        let inside = s.section.enter();
        assert_owned(&s.rlock, 2);
        drop(inside);
        s.rlock.release().unwrap();
        s.rlock.release().unwrap();
        contender.join().unwrap();
        assert_eq!(s.section.entries(), 3);
        assert!(!s.rlock.locked());
    });
}

/// A timed acquire races the owner's release while the clock expires at any point: on success
/// the waiter owns the lock at depth 1 (and alone); on timeout it owns nothing and its release
/// is an error.
#[test]
fn timed_acquire_races_release_and_expiry() {
    check("rlock::timed_acquire_races_release_and_expiry", || {
        let s = shared();
        s.rlock.acquire();
        let inside = s.section.enter();
        let timed = spawn(&s, |s| {
            let got = s.rlock.acquire_timeout(TIMEOUT);
            if got {
                let inside = s.section.enter();
                assert_owned(&s.rlock, 1);
                drop(inside);
                s.rlock.release().unwrap();
            } else {
                assert_not_owned(&s.rlock);
                let err = s.rlock.release().unwrap_err();
                assert_eq!(err.kind(), RuntimeErrorKind::ReleaseUnowned);
            }
            got
        });
        let clock_thread = loom::thread::spawn(clock::expire);
        drop(inside);
        s.rlock.release().unwrap();
        let got = timed.join().unwrap();
        clock_thread.join().unwrap();
        assert_eq!(s.section.entries(), 1 + usize::from(got));
        assert!(!s.rlock.locked());
        assert_eq!(clock::parked(), 0);
    });
}

/// `try_acquire` racing a blocking owner: never two owners; a successful try owns the lock and
/// re-enters without blocking.
#[test]
fn try_acquire_races() {
    check("rlock::try_acquire_races", || {
        let s = shared();
        let t = spawn(&s, |s| {
            if s.rlock.try_acquire() {
                let inside = s.section.enter();
                assert!(s.rlock.try_acquire(), "re-entry by the owner failed");
                assert_owned(&s.rlock, 2);
                drop(inside);
                s.rlock.release().unwrap();
                s.rlock.release().unwrap();
                true
            } else {
                assert_not_owned(&s.rlock);
                false
            }
        });
        recursive_section(&s);
        let got = t.join().unwrap();
        assert_eq!(s.section.entries(), 1 + usize::from(got));
        assert!(!s.rlock.locked());
    });
}
