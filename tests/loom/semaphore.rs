//! loom models of [`threading::Semaphore`] and [`threading::BoundedSemaphore`], run on the
//! shipped code: permits are never negative, never lost and never duplicated under concurrent
//! acquire, release, `release_n`, timeouts (the clock expiring at any point) and spurious
//! wake-ups; a release publishes the releaser's writes to the acquirer; a bounded semaphore's
//! check is atomic with the increment.

use std::time::Duration;

use threading::{BoundedSemaphore, Semaphore, ValueErrorKind};

use crate::common::{Exclusive, check, clock, loom, wait_parked};
use loom::cell::UnsafeCell;
use loom::sync::Arc;

/// Long enough that only `clock::expire()` ends it.
const TIMEOUT: Duration = Duration::from_secs(1);

/// A semaphore and a critical-section observer shared by the threads of a model.
struct Shared {
    sem: Semaphore,
    section: Exclusive,
}

fn shared(value: usize) -> Arc<Shared> {
    Arc::new(Shared { sem: Semaphore::new(value), section: Exclusive::new() })
}

/// Spawns a thread running `f` on a clone of `s`.
fn spawn<S: 'static, T: 'static>(
    s: &Arc<S>,
    f: impl FnOnce(&S) -> T + 'static,
) -> loom::thread::JoinHandle<T> {
    let s = Arc::clone(s);
    loom::thread::spawn(move || f(&s))
}

/// `acquire`, one critical section, `release`.
fn critical(s: &Shared) {
    s.sem.acquire();
    held(s);
}

/// The critical section and `release` of a thread that holds the only permit.
fn held(s: &Shared) {
    let inside = s.section.enter();
    assert_eq!(s.sem.value(), 0, "a second permit exists while one is held");
    drop(inside);
    s.sem.release();
}

/// `acquire_timeout`, and a critical section if it succeeded; returns whether it did.
fn timed_critical(s: &Shared) -> bool {
    let got = s.sem.acquire_timeout(TIMEOUT);
    if got {
        held(s);
    }
    got
}

/// `Semaphore(1)`, two contenders (guard and Python-style API): never both inside, every
/// section ordered after the previous one (Acquire/Release), and the permit back at the end.
#[test]
fn two_contenders() {
    check("semaphore::two_contenders", || {
        let s = shared(1);
        let t = spawn(&s, |s| {
            let _permit = s.sem.permit();
            let _inside = s.section.enter();
        });
        critical(&s);
        t.join().unwrap();
        assert_eq!(s.section.entries(), 2);
        assert_eq!(s.sem.value(), 1);
        assert_eq!(clock::parked(), 0);
    });
}

/// `Semaphore(1)`, three contenders: everyone gets through (a lost wake-up shows as a loom
/// deadlock), never two at once.
#[test]
fn three_contenders() {
    check("semaphore::three_contenders", || {
        let s = shared(1);
        let a = spawn(&s, critical);
        let b = spawn(&s, critical);
        critical(&s);
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(s.section.entries(), 3);
        assert_eq!(s.sem.value(), 1);
    });
}

/// `Semaphore(0)` as a signal: the writes before `release` are visible after the `acquire`
/// that takes its permit (loom reports a data race on the cell otherwise).
#[test]
fn release_publishes_writes() {
    check("semaphore::release_publishes_writes", || {
        let sem = Arc::new(Semaphore::new(0));
        let data = Arc::new(UnsafeCell::new(0_u32));
        let (s, d) = (Arc::clone(&sem), Arc::clone(&data));
        let t = loom::thread::spawn(move || {
            // SAFETY: loom checks this access; nobody reads before the release below.
            d.with_mut(|p| unsafe { *p = 42 });
            s.release();
        });
        sem.acquire();
        // SAFETY: loom checks this access against the write (ordered by the semaphore).
        assert_eq!(data.with(|p| unsafe { *p }), 42);
        t.join().unwrap();
        assert_eq!(sem.value(), 0);
    });
}

/// `Semaphore(0)`: a timed acquire races a release while the clock runs out at any point.
/// Either it took the permit or it timed out and the permit is still there; nothing parked.
#[test]
fn timed_acquire_races_release_and_expiry() {
    check("semaphore::timed_acquire_races_release_and_expiry", || {
        let sem = Arc::new(Semaphore::new(0));
        let timed = spawn(&sem, |s| s.acquire_timeout(TIMEOUT));
        let clock_thread = loom::thread::spawn(clock::expire);
        sem.release();
        let got = timed.join().unwrap();
        clock_thread.join().unwrap();
        // value + successful acquires == releases
        assert_eq!(sem.value() + usize::from(got), 1);
        assert_eq!(clock::parked(), 0);
    });
}

/// Two acquirers asleep at zero; one `release_n(2)` lets both through.
#[test]
fn release_n_wakes_two_parked() {
    check("semaphore::release_n_wakes_two_parked", || {
        let sem = Arc::new(Semaphore::new(0));
        let a = spawn(&sem, Semaphore::acquire);
        let b = spawn(&sem, Semaphore::acquire);
        wait_parked(2);
        sem.release_n(2).unwrap();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(sem.value(), 0);
        assert_eq!(clock::parked(), 0);
    });
}

/// The same with `release_n(2)` at any point of the two acquires (one may be spinning, one
/// setting `PARKED`, one asleep): both get through.
#[test]
fn release_n_races_two_acquirers() {
    check("semaphore::release_n_races_two_acquirers", || {
        let sem = Arc::new(Semaphore::new(0));
        let a = spawn(&sem, Semaphore::acquire);
        let b = spawn(&sem, Semaphore::acquire);
        sem.release_n(2).unwrap();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(sem.value(), 0);
    });
}

/// Two sleepers, then the clock expires and one permit is released: the timed sleeper's
/// timeout must not clear `PARKED` while the untimed one still sleeps, or the release takes the
/// fast path and strands it. Whoever gets the permit (the timed one may, by its last look)
/// gives it back after its section, so both finish.
#[test]
fn timeout_keeps_other_sleeper() {
    check("semaphore::timeout_keeps_other_sleeper", || {
        let s = shared(0);
        let untimed = spawn(&s, critical);
        let timed = spawn(&s, timed_critical);
        wait_parked(2);
        clock::expire();
        s.sem.release();
        let got = timed.join().unwrap();
        untimed.join().unwrap();
        assert_eq!(s.section.entries(), 1 + usize::from(got));
        assert_eq!(s.sem.value(), 1);
    });
}

/// The same with the clock on its own thread, so the timeout fires at every point of the
/// release (and of the wake-ups and last looks that follow). Both sleepers are parked first:
/// their entry races are covered by the models above, and this keeps the model small.
#[test]
fn timeout_keeps_other_sleeper_any_time() {
    check("semaphore::timeout_keeps_other_sleeper_any_time", || {
        let sem = Arc::new(Semaphore::new(0));
        let untimed = spawn(&sem, Semaphore::acquire);
        let timed = spawn(&sem, |s| s.acquire_timeout(TIMEOUT));
        wait_parked(2);
        let clock_thread = loom::thread::spawn(clock::expire);
        sem.release();
        if timed.join().unwrap() {
            // The timed thread took the only permit: the untimed one needs another.
            sem.release();
        }
        untimed.join().unwrap();
        clock_thread.join().unwrap();
        assert_eq!(sem.value(), 0);
    });
}

/// A sleeper woken spuriously at any point (also before it sleeps, and while the release
/// wakes it) looks again and still gets exactly the one permit.
#[test]
fn spurious_wakeups() {
    check("semaphore::spurious_wakeups", || {
        let s = shared(0);
        let waiter = spawn(&s, critical);
        let spurious = loom::thread::spawn(clock::spurious_wake_all);
        s.sem.release();
        waiter.join().unwrap();
        spurious.join().unwrap();
        assert_eq!(s.section.entries(), 1);
        assert_eq!(s.sem.value(), 1);
    });
}

/// A parked sleeper woken spuriously goes back to sleep (nobody released), and the release
/// that follows wakes it.
#[test]
fn spurious_wakeup_of_parked_waiter() {
    check("semaphore::spurious_wakeup_of_parked_waiter", || {
        let sem = Arc::new(Semaphore::new(0));
        let waiter = spawn(&sem, Semaphore::acquire);
        wait_parked(1);
        clock::spurious_wake_all();
        sem.release();
        waiter.join().unwrap();
        assert_eq!(sem.value(), 0);
    });
}

/// `try_acquire` on `Semaphore(1)` from two threads: exactly one wins (a try fails only at
/// zero, SEM-15), and the winner's section is exclusive.
#[test]
fn try_acquire_exactly_one_wins() {
    check("semaphore::try_acquire_exactly_one_wins", || {
        let s = shared(1);
        let t = spawn(&s, |s| {
            let won = s.sem.try_acquire();
            if won {
                let _inside = s.section.enter();
            }
            won
        });
        let mine = s.sem.try_acquire();
        if mine {
            let _inside = s.section.enter();
        }
        let theirs = t.join().unwrap();
        assert!(mine ^ theirs, "exactly one try must win: {mine} {theirs}");
        assert_eq!(s.sem.value(), 0);
        assert_eq!(s.section.entries(), 1);
    });
}

/// `BoundedSemaphore(1)` held (value 0), one acquirer asleep or arriving, two releases racing:
/// the value never exceeds 1, at least one release succeeds (the waiter gets through), a
/// refused release says "too many" and changed nothing, and the books balance.
#[test]
fn bounded_over_release_races_acquire() {
    check("semaphore::bounded_over_release_races_acquire", || {
        let sem = Arc::new(BoundedSemaphore::new(1));
        sem.acquire();
        let waiter = spawn(&sem, BoundedSemaphore::acquire);
        let other = spawn(&sem, BoundedSemaphore::release);
        let mine = sem.release();
        assert!(sem.value() <= 1);
        let theirs = other.join().unwrap();
        waiter.join().unwrap();
        let results = [mine, theirs];
        for r in &results {
            if let Err(e) = r {
                assert_eq!(e.kind(), ValueErrorKind::SemaphoreReleasedTooManyTimes);
            }
        }
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert!(ok >= 1, "both releases refused, but the waiter got a permit");
        // 1 initial - 2 acquires + ok releases
        assert_eq!(sem.value(), ok - 1);
    });
}

/// `BoundedSemaphore(2)` at zero: `release_n(2)` and `release()` race; the first wins and the
/// second is refused as a whole (BSEM-02), so the value is exactly the winner's count.
#[test]
fn bounded_release_n_all_or_nothing() {
    check("semaphore::bounded_release_n_all_or_nothing", || {
        let sem = Arc::new(BoundedSemaphore::new(2));
        sem.acquire();
        sem.acquire();
        let two = spawn(&sem, |s| s.release_n(2));
        let one = sem.release();
        let two = two.join().unwrap();
        match (two, one) {
            (Ok(()), Err(e)) => {
                assert_eq!(e.kind(), ValueErrorKind::SemaphoreReleasedTooManyTimes);
                assert_eq!(sem.value(), 2);
            }
            (Err(e), Ok(())) => {
                assert_eq!(e.kind(), ValueErrorKind::SemaphoreReleasedTooManyTimes);
                assert_eq!(sem.value(), 1);
            }
            other => panic!("exactly one release must win: {other:?}"),
        }
    });
}
