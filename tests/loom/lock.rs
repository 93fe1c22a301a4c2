//! loom models of [`threading::Lock`], run on the shipped code: mutual exclusion, no lost
//! wake-up (a release always lets a parked acquirer through), timed acquires racing a release
//! while the clock expires at any point (and not stranding another sleeper through the `PARKED`
//! bit), release from another thread, racing releases (also while a wake-up is under way),
//! spurious wake-ups and `try_acquire`.

use std::time::Duration;

use threading::{Lock, RuntimeErrorKind};

use crate::common::{Exclusive, check, clock, loom, wait_parked};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// Long enough that only `clock::expire()` ends it.
const TIMEOUT: Duration = Duration::from_secs(1);

/// A lock and a critical-section observer shared by the threads of a model.
struct Shared {
    lock: Lock,
    section: Exclusive,
}

fn shared() -> Arc<Shared> {
    Arc::new(Shared { lock: Lock::new(), section: Exclusive::new() })
}

/// `acquire`, one critical section, `release`.
fn critical(s: &Shared) {
    s.lock.acquire();
    held(s);
}

/// The critical section and `release` of a thread that has acquired the lock.
fn held(s: &Shared) {
    let inside = s.section.enter();
    assert!(s.lock.locked());
    drop(inside);
    s.lock.release().unwrap();
}

/// `acquire_timeout`, and a critical section if it succeeded; returns whether it did.
fn timed_critical(s: &Shared) -> bool {
    let got = s.lock.acquire_timeout(TIMEOUT);
    if got {
        held(s);
    }
    got
}

/// Spawns a thread running `f` on a clone of `s`.
fn spawn<T: 'static>(
    s: &Arc<Shared>,
    f: impl FnOnce(&Shared) -> T + 'static,
) -> loom::thread::JoinHandle<T> {
    let s = Arc::clone(s);
    loom::thread::spawn(move || f(&s))
}

/// Two threads, guard and Python-style API: never both inside, every section ordered after
/// the previous one (Acquire/Release), and the lock free at the end.
#[test]
fn mutual_exclusion() {
    check("lock::mutual_exclusion", || {
        let s = shared();
        let t = spawn(&s, |s| {
            let _guard = s.lock.lock();
            let _inside = s.section.enter();
        });
        critical(&s);
        t.join().unwrap();
        assert_eq!(s.section.entries(), 2);
        assert!(!s.lock.locked());
    });
}

/// Three contenders: whatever the interleaving, everyone gets through (a lost wake-up shows as
/// a loom deadlock) and never two at once.
#[test]
fn three_contenders() {
    check("lock::three_contenders", || {
        let s = shared();
        let a = spawn(&s, critical);
        let b = spawn(&s, critical);
        critical(&s);
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(s.section.entries(), 3);
        assert!(!s.lock.locked());
    });
}

/// The holder releases only once one contender is asleep in the parking lot; the sleeper and a
/// second contender (anywhere in its acquire) both get through.
#[test]
fn release_wakes_parked_acquirer() {
    check("lock::release_wakes_parked_acquirer", || {
        let s = shared();
        s.lock.acquire();
        let a = spawn(&s, critical);
        let b = spawn(&s, critical);
        wait_parked(1);
        s.lock.release().unwrap();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(s.section.entries(), 2);
        assert!(!s.lock.locked());
        assert_eq!(clock::parked(), 0);
    });
}

/// A `Lock` has no owner: another thread releases it, and the first thread's second `acquire`
/// (which blocks, the lock not being reentrant) gets through.
#[test]
fn release_from_other_thread() {
    check("lock::release_from_other_thread", || {
        let s = shared();
        s.lock.acquire();
        let t = spawn(&s, |s| s.lock.release());
        s.lock.acquire();
        assert_eq!(t.join().unwrap(), Ok(()));
        s.lock.release().unwrap();
        assert_eq!(s.lock.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnlocked);
    });
}

/// Two releases of a locked lock race while a third thread waits in `acquire`. The lock has
/// no owner, so a release may also release the waiter's acquisition; what must hold is that
/// every successful release matches one acquisition, a failed one reports "release unlocked
/// lock" and changes nothing, and the waiter is never stranded.
#[test]
fn racing_releases() {
    check("lock::racing_releases", || {
        let s = shared();
        s.lock.acquire();
        let waiter = spawn(&s, |s| s.lock.acquire());
        let other = spawn(&s, |s| s.lock.release());
        let mine = s.lock.release();
        let theirs = other.join().unwrap();
        waiter.join().unwrap();
        let released = [mine, theirs];
        for r in &released {
            if let Err(e) = r {
                assert_eq!(e.kind(), RuntimeErrorKind::ReleaseUnlocked);
            }
        }
        match released.iter().filter(|r| r.is_ok()).count() {
            // Both acquisitions (the first and the waiter's) were released.
            2 => assert!(!s.lock.locked()),
            // One release failed: the waiter still holds the lock.
            1 => {
                assert!(s.lock.locked());
                s.lock.release().unwrap();
            }
            _ => panic!("both releases of a locked lock failed"),
        }
        assert_eq!(s.lock.release().unwrap_err().kind(), RuntimeErrorKind::ReleaseUnlocked);
    });
}

/// Two acquirers asleep; the holder's release wakes one and, the other still sleeping, puts
/// `PARKED` back on the now free lock; the holder's second (stray) release can land on exactly
/// that state. Its swap wipes the hint, so it must wake a sleeper too, or the woken acquirer's
/// fast-path release strands the other one (a loom deadlock). Every acquisition is released
/// exactly once in the end, whoever's release did it.
#[test]
fn stray_release_during_wakeup() {
    check("lock::stray_release_during_wakeup", || {
        let s = shared();
        s.lock.acquire();
        let sleepers = [(); 2].map(|()| {
            spawn(&s, |s| {
                s.lock.acquire();
                s.lock.release()
            })
        });
        wait_parked(2);
        let mut results = vec![s.lock.release(), s.lock.release()];
        results.extend(sleepers.map(|t| t.join().unwrap()));
        for r in &results {
            if let Err(e) = r {
                assert_eq!(e.kind(), RuntimeErrorKind::ReleaseUnlocked);
            }
        }
        // Three acquisitions, four releases: the lock ends free and exactly one release failed.
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3, "{results:?}");
        assert!(!s.lock.locked());
        assert_eq!(clock::parked(), 0);
    });
}

/// A timed acquire races the holder's release while the clock runs out at any point: it either
/// gets the lock (and is alone inside) or times out, never hangs; the lock ends up free with
/// nobody parked.
#[test]
fn timed_acquire_races_release_and_expiry() {
    check("lock::timed_acquire_races_release_and_expiry", || {
        let s = shared();
        s.lock.acquire();
        let inside = s.section.enter();
        let timed = spawn(&s, timed_critical);
        let clock_thread = loom::thread::spawn(clock::expire);
        drop(inside);
        s.lock.release().unwrap();
        let got = timed.join().unwrap();
        clock_thread.join().unwrap();
        assert_eq!(s.section.entries(), 1 + usize::from(got));
        assert!(!s.lock.locked());
        assert_eq!(clock::parked(), 0);
    });
}

/// Both waiters asleep, then the clock expires and the holder releases: the timed waiter's
/// timeout must not clear `PARKED` while the untimed waiter still sleeps (it gets
/// `was_last_thread == false`), or the release takes the fast path and strands it.
#[test]
fn timeout_keeps_other_sleeper() {
    check("lock::timeout_keeps_other_sleeper", || {
        let s = shared();
        s.lock.acquire();
        let untimed = spawn(&s, critical);
        let timed = spawn(&s, timed_critical);
        wait_parked(2);
        clock::expire();
        s.lock.release().unwrap();
        untimed.join().unwrap();
        let got = timed.join().unwrap();
        assert_eq!(s.section.entries(), 1 + usize::from(got));
        assert!(!s.lock.locked());
    });
}

/// The same with the clock on its own thread, so the timeout fires at every point of both
/// waiters' acquires and of the release.
#[test]
fn timeout_keeps_other_sleeper_any_time() {
    check("lock::timeout_keeps_other_sleeper_any_time", || {
        let s = shared();
        s.lock.acquire();
        let untimed = spawn(&s, critical);
        let timed = spawn(&s, timed_critical);
        let clock_thread = loom::thread::spawn(clock::expire);
        s.lock.release().unwrap();
        untimed.join().unwrap();
        let got = timed.join().unwrap();
        clock_thread.join().unwrap();
        assert_eq!(s.section.entries(), 1 + usize::from(got));
        assert!(!s.lock.locked());
    });
}

/// Spurious wake-ups at any point while two threads wait: never two holders, nobody lost.
#[test]
fn spurious_wakeups() {
    check("lock::spurious_wakeups", || {
        let s = shared();
        s.lock.acquire();
        let inside = s.section.enter();
        let a = spawn(&s, critical);
        let b = spawn(&s, critical);
        clock::spurious_wake_all();
        drop(inside);
        s.lock.release().unwrap();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(s.section.entries(), 3);
        assert!(!s.lock.locked());
    });
}

/// `try_acquire` racing another `try_acquire` and a blocking `acquire`: never two holders, and
/// the first try on the free lock cannot fail (so at least one try succeeds).
#[test]
fn try_acquire_races() {
    check("lock::try_acquire_races", || {
        let s = shared();
        let wins = Arc::new(AtomicUsize::new(0));
        let w = Arc::clone(&wins);
        let t = spawn(&s, move |s| {
            if s.lock.try_acquire() {
                w.fetch_add(1, SeqCst);
                held(s);
            }
        });
        let mine = s.lock.try_acquire();
        if mine {
            held(&s);
        }
        let blocking = spawn(&s, critical);
        t.join().unwrap();
        blocking.join().unwrap();
        let wins = wins.load(SeqCst) + usize::from(mine);
        assert!(wins >= 1, "both tries failed");
        assert_eq!(s.section.entries(), wins + 1);
        assert!(!s.lock.locked());
    });
}
