//! loom models of [`threading::Condition`], run on the shipped code: no lost notify, `notify_n`
//! waking exactly `min(n, waiters)` in FIFO order, `notify_all`, an `RLock` held at depth 2
//! released completely and restored, a timed wait racing a notify while the clock expires at
//! any point (a waiter reports `true` exactly when it consumed a notification, and a
//! notification it did not consume reaches the next waiter), spurious wake-ups that never
//! produce `true`, a `Condition` over a plain `Lock`, and `wait_for` with and without a budget.
//!
//! State "protected by the condition's lock" lives in a [`Guarded`] cell: a loom `UnsafeCell`,
//! so loom reports an access that the lock does not order (a wait that returns without really
//! re-acquiring the lock, say). A lost wake-up shows as a loom deadlock.
//!
//! The models with several waiters queue them in a known order without `wait_parked`: each
//! thread is spawned by the previous one while that one holds the lock, so its `lock()`
//! returns only once the previous waiter's wait has queued it and released the lock. The
//! notify can then land at any point of the waiters' waits (spinning, parking or asleep),
//! not only once they sleep.

use std::time::Duration;

use threading::{Condition, Lock, Lockable, RLock, RuntimeErrorKind};

use crate::common::{Exclusive, check, clock, loom};
use loom::sync::Arc;

/// Long enough that only `clock::expire()` ends it.
const TIMEOUT: Duration = Duration::from_secs(1);

/// A value that may only be touched with the condition's lock held; loom checks that the
/// accesses are ordered.
struct Guarded<T>(loom::cell::UnsafeCell<T>);

// SAFETY: every access goes through `get`/`set`, which the models only call with the lock held;
// loom's `UnsafeCell` reports any access that is not ordered after the previous one.
unsafe impl<T: Send> Sync for Guarded<T> {}

impl<T: Copy> Guarded<T> {
    fn new(value: T) -> Guarded<T> {
        Guarded(loom::cell::UnsafeCell::new(value))
    }

    /// Reads the value (the lock must be held).
    #[track_caller]
    fn get(&self) -> T {
        // SAFETY: called with the lock held; loom checks it.
        self.0.with(|p| unsafe { *p })
    }

    /// Writes the value (the lock must be held).
    #[track_caller]
    fn set(&self, value: T) {
        // SAFETY: called with the lock held; loom checks it.
        self.0.with_mut(|p| unsafe { *p = value });
    }
}

/// A condition (over `L`), a counter protected by its lock and a critical-section observer.
struct Shared<L: Lockable> {
    cond: Condition<L>,
    /// What the notifiers changed (a flag, a count of items, a count of notifications).
    state: Guarded<usize>,
    /// How many waiters have returned from their wait (written with the lock held).
    woken: Guarded<usize>,
    section: Exclusive,
}

fn shared_with<L: Lockable>(lock: L) -> Arc<Shared<L>> {
    Arc::new(Shared {
        cond: Condition::with_lock(lock),
        state: Guarded::new(0),
        woken: Guarded::new(0),
        section: Exclusive::new(),
    })
}

/// A condition over the default `RLock`.
fn shared() -> Arc<Shared<RLock>> {
    shared_with(RLock::new())
}

/// Spawns a thread running `f` on a clone of `s`.
fn spawn<L: Lockable + Send + Sync + 'static, T: 'static>(
    s: &Arc<Shared<L>>,
    f: impl FnOnce(&Shared<L>) -> T + 'static,
) -> loom::thread::JoinHandle<T> {
    let s = Arc::clone(s);
    loom::thread::spawn(move || f(&s))
}

/// Takes the lock, sets `state` to `value` and notifies one waiter, inside a critical section.
fn set_and_notify<L: Lockable>(s: &Shared<L>, value: usize) {
    let guard = s.cond.lock();
    let _inside = s.section.enter();
    s.state.set(value);
    guard.notify().unwrap();
}

/// Spins, taking and releasing the lock, until `pred` holds with the lock held; returns with
/// the lock held. For sequencing a model's steps ("the other thread is in the queue by now").
fn lock_when<L: Lockable>(s: &Shared<L>, mut pred: impl FnMut(&Shared<L>) -> bool) {
    loop {
        s.cond.acquire();
        if pred(s) {
            return;
        }
        s.cond.release().unwrap();
        loom::thread::yield_now();
    }
}

/// How many nodes are in the condition's queue, read through `Debug` (Python's
/// `len(cond._waiters)`).
fn waiters<L: Lockable + std::fmt::Debug>(cond: &Condition<L>) -> usize {
    let repr = format!("{cond:?}");
    let tail = repr.rsplit("waiters: ").next().expect("Debug shows the waiter count");
    tail.trim_end_matches([' ', '}']).parse().expect("a number of waiters")
}

/// A waiter racing a notifier at every point: with the flag protected by the lock, the waiter
/// either sees it set before waiting or is notified (a lost notify is a loom deadlock), and an
/// untimed `wait` returns only after the notify (no spurious wake-up in the shipped code).
#[test]
fn no_lost_notify() {
    check("condition::no_lost_notify", || {
        let s = shared();
        let notifier = spawn(&s, |s| set_and_notify(s, 1));
        let guard = s.cond.lock();
        if s.state.get() == 0 {
            guard.wait().unwrap();
            assert_eq!(s.state.get(), 1, "wait returned without the notify");
        }
        let inside = s.section.enter();
        assert!(s.cond.lock_ref().is_owned());
        drop(inside);
        drop(guard);
        notifier.join().unwrap();
        assert_eq!(s.section.entries(), 2);
        assert!(!s.cond.lock_ref().locked());
    });
}

/// The waiters of the two-waiter models, by their place in the queue.
const A: usize = 1;
const B: usize = 2;

/// Counts the calling waiter (`who`) as returned from its wait, with the lock held, and
/// records who returned first.
fn returned<L: Lockable>(s: &Shared<L>, who: usize) {
    let _inside = s.section.enter();
    if s.woken.get() == 0 {
        s.state.set(who);
    }
    s.woken.set(s.woken.get() + 1);
}

/// Queues two untimed waiters in a known order, then runs `notifier` on a third thread.
///
/// The calling thread is waiter `A`: it holds the lock while it spawns `B`, so `B`'s `lock()`
/// returns only once `A`'s wait has queued `A` and released the lock. `B` spawns the notifier
/// the same way, so the notifier starts with both in the queue, `A` first (whether or not they
/// are asleep yet). Returns once all three are done; `state` then holds who returned first.
fn two_waiters<L: Lockable + Send + Sync + 'static>(s: &Arc<Shared<L>>, notifier: fn(&Shared<L>)) {
    let guard = s.cond.lock();
    let b = {
        let s = Arc::clone(s);
        loom::thread::spawn(move || {
            let guard = s.cond.lock();
            let notifier = {
                let s = Arc::clone(&s);
                loom::thread::spawn(move || notifier(&s))
            };
            guard.wait().unwrap();
            returned(&s, B);
            drop(guard);
            notifier
        })
    };
    guard.wait().unwrap();
    returned(s, A);
    drop(guard);
    b.join().unwrap().join().unwrap();
    assert_eq!(s.woken.get(), 2);
    assert_eq!(s.section.entries(), 2);
}

/// Two waiters, `notify_n(1)`: exactly one leaves the queue, the first one (FIFO), and returns;
/// the other stays in the queue until a second `notify` releases it.
#[test]
fn notify_one_of_two() {
    check("condition::notify_one_of_two", || {
        let s = shared_with(Lock::new());
        two_waiters(&s, |s| {
            let guard = s.cond.lock();
            assert_eq!(waiters(&s.cond), 2);
            guard.notify_n(1).unwrap();
            drop(guard);
            // The notified waiter returns; the other one is still in the queue when it does.
            lock_when(s, |s| s.woken.get() == 1);
            assert_eq!(s.state.get(), A, "notify woke the second waiter first");
            assert_eq!(waiters(&s.cond), 1, "notify_n(1) woke more than one waiter");
            s.cond.notify().unwrap();
            s.cond.release().unwrap();
        });
        assert_eq!(waiters(&s.cond), 0);
    });
}

/// Two waiters, `notify_n(2)` wakes both at once (a waiter left behind deadlocks the model).
#[test]
fn notify_n_wakes_both() {
    check("condition::notify_n_wakes_both", || {
        let s = shared_with(Lock::new());
        two_waiters(&s, |s| s.cond.lock().notify_n(2).unwrap());
        assert_eq!(waiters(&s.cond), 0);
    });
}

/// Two waiters, `notify_all` wakes both at once (a waiter left behind deadlocks the model).
#[test]
fn notify_all_wakes_both() {
    check("condition::notify_all_wakes_both", || {
        let s = shared_with(Lock::new());
        two_waiters(&s, |s| s.cond.lock().notify_all().unwrap());
        assert_eq!(waiters(&s.cond), 0);
    });
}

/// `notify_all` wakes only the threads waiting at that moment: the notifier's own timed wait
/// right after it is not woken by it and times out when the clock expires, while the earlier
/// waiter returns `true`.
#[test]
fn notify_all_skips_later_waiters() {
    check("condition::notify_all_skips_later_waiters", || {
        let s = shared_with(Lock::new());
        let guard = s.cond.lock();
        // Its `lock()` returns once our wait below has queued us and released the lock.
        let notifier = spawn(&s, |s| {
            let guard = s.cond.lock();
            guard.notify_all().unwrap();
            let clock_thread = loom::thread::spawn(clock::expire);
            // A late waiter: nobody notifies it, so only the deadline can end its wait.
            assert_eq!(guard.wait_timeout(TIMEOUT), Ok(false));
            drop(guard);
            clock_thread.join().unwrap();
        });
        assert_eq!(guard.wait_timeout(TIMEOUT), Ok(true));
        drop(guard);
        notifier.join().unwrap();
        assert_eq!(waiters(&s.cond), 0);
    });
}

/// A waiter holding the default `RLock` at depth 2 releases it completely: another thread
/// takes it (and owns it) while the waiter waits, and the wait restores depth 2 and ownership.
#[test]
fn rlock_depth_restored() {
    check("condition::rlock_depth_restored", || {
        let s = shared();
        let notifier = spawn(&s, |s| {
            let guard = s.cond.lock();
            let _inside = s.section.enter();
            assert!(s.cond.lock_ref().is_owned());
            assert_eq!(s.cond.lock_ref().recursion_count(), 1);
            s.state.set(1);
            guard.notify().unwrap();
        });
        s.cond.acquire();
        s.cond.acquire();
        while s.state.get() == 0 {
            s.cond.wait().unwrap();
        }
        let inside = s.section.enter();
        assert!(s.cond.lock_ref().is_owned());
        assert_eq!(s.cond.lock_ref().recursion_count(), 2);
        drop(inside);
        s.cond.release().unwrap();
        assert_eq!(s.cond.lock_ref().recursion_count(), 1);
        s.cond.release().unwrap();
        notifier.join().unwrap();
        assert_eq!(s.section.entries(), 2);
        assert!(!s.cond.lock_ref().locked());
    });
}

/// A timed waiter `A` (first in the queue) and an untimed waiter `B` (second); the notifier
/// expires the clock and then notifies once, so `A`'s timeout (wherever `A` is in its wait:
/// spinning, parking, parked or settling) races the notify. If `A` reports `true` it consumed
/// the notification: `B` is still in the queue and a second `notify` releases it. If `A`
/// reports `false` it was not notified, and the one notification reaches `B` (otherwise the
/// model deadlocks: a lost notify). Either way every notification sent is one `true` reported.
/// (`timeout_or_notify_exactly_once` lets a clock thread expire at any point instead.)
#[test]
fn timeout_races_notify() {
    check("condition::timeout_races_notify", || {
        let s = shared_with(Lock::new());
        // Queued in order A, B, then the notifier, as in `two_waiters`.
        let guard = s.cond.lock();
        let b = {
            let s = Arc::clone(&s);
            loom::thread::spawn(move || {
                let guard = s.cond.lock();
                let notifier = {
                    let s = Arc::clone(&s);
                    loom::thread::spawn(move || {
                        let guard = s.cond.lock();
                        clock::expire();
                        guard.notify().unwrap();
                    })
                };
                guard.wait().unwrap();
                s.woken.set(s.woken.get() + 1);
                drop(guard);
                notifier
            })
        };
        let a_notified = guard.wait_timeout(TIMEOUT).unwrap();
        s.woken.set(s.woken.get() + 1);
        if a_notified {
            // A consumed the notification, so B is still waiting, in the queue: notify again.
            assert_eq!(waiters(&s.cond), 1);
            guard.notify().unwrap();
        }
        drop(guard);
        b.join().unwrap().join().unwrap();
        assert_eq!(s.woken.get(), 2);
        assert_eq!(waiters(&s.cond), 0);
    });
}

/// A timed waiter and a notifier racing the clock, with nobody else waiting: `true` only if the
/// notify reached the waiter's node; `false` otherwise, and then a notify after the timeout
/// reached nobody (the queue is empty) and the waiter is not woken later.
#[test]
fn timeout_or_notify_exactly_once() {
    check("condition::timeout_or_notify_exactly_once", || {
        let s = shared();
        let notifier = spawn(&s, |s| {
            lock_when(s, |s| s.state.get() == 1);
            s.state.set(2);
            s.cond.notify().unwrap();
            s.cond.release().unwrap();
        });
        let clock_thread = loom::thread::spawn(clock::expire);
        let guard = s.cond.lock();
        s.state.set(1);
        let notified = guard.wait_timeout(TIMEOUT).unwrap();
        // With the lock re-acquired: a `true` means the notify came first; a `false` that it
        // had not come before the deadline (it may have come in between, to an empty queue).
        if notified {
            assert_eq!(s.state.get(), 2);
        }
        assert_eq!(waiters(&s.cond), 0);
        drop(guard);
        notifier.join().unwrap();
        clock_thread.join().unwrap();
    });
}

/// Spurious wake-ups injected at any point, with nobody notifying: a timed wait never reports
/// `true`, and ends (as `false`) only when the clock expires.
#[test]
fn spurious_wakeup_is_not_a_notify() {
    check("condition::spurious_wakeup_is_not_a_notify", || {
        let s = shared();
        let spurious = loom::thread::spawn(clock::spurious_wake_all);
        let clock_thread = loom::thread::spawn(clock::expire);
        let guard = s.cond.lock();
        assert_eq!(guard.wait_timeout(TIMEOUT), Ok(false));
        assert_eq!(waiters(&s.cond), 0);
        drop(guard);
        spurious.join().unwrap();
        clock_thread.join().unwrap();
    });
}

/// An untimed wait with a spurious wake-up thrown in and a notifier racing it: the wait returns
/// only after the notify (it sees the notifier's write).
#[test]
fn spurious_wakeup_then_notify() {
    check("condition::spurious_wakeup_then_notify", || {
        let s = shared();
        let spurious = loom::thread::spawn(clock::spurious_wake_all);
        let notifier = spawn(&s, |s| {
            lock_when(s, |s| s.state.get() == 1);
            s.state.set(2);
            s.cond.notify().unwrap();
            s.cond.release().unwrap();
        });
        let guard = s.cond.lock();
        s.state.set(1);
        guard.wait().unwrap();
        assert_eq!(s.state.get(), 2, "wait returned before the notify");
        drop(guard);
        spurious.join().unwrap();
        notifier.join().unwrap();
    });
}

/// A `Condition` over a plain `Lock`: no lost notify, mutual exclusion around the waits, and
/// `notify`/`wait` without the lock locked are errors that change nothing.
#[test]
fn over_plain_lock() {
    check("condition::over_plain_lock", || {
        let s = shared_with(Lock::new());
        assert_eq!(s.cond.notify().unwrap_err().kind(), RuntimeErrorKind::NotifyUnacquired);
        assert_eq!(s.cond.wait().unwrap_err().kind(), RuntimeErrorKind::WaitUnacquired);
        let notifier = spawn(&s, |s| set_and_notify(s, 1));
        let guard = s.cond.lock();
        if s.state.get() == 0 {
            guard.wait().unwrap();
            assert_eq!(s.state.get(), 1, "wait returned without the notify");
        }
        let inside = s.section.enter();
        assert!(s.cond.lock_ref().locked());
        drop(inside);
        drop(guard);
        notifier.join().unwrap();
        assert_eq!(s.section.entries(), 2);
        assert!(!s.cond.lock_ref().locked());
    });
}

/// `wait_for` across two notifies: the predicate is re-evaluated after each wake-up (always
/// with the lock held) and `wait_for` returns `true` only once it holds.
#[test]
fn wait_for_predicate() {
    check("condition::wait_for_predicate", || {
        let s = shared_with(Lock::new());
        let producer = spawn(&s, |s| {
            for i in 1..=2 {
                let guard = s.cond.lock();
                s.state.set(i);
                guard.notify().unwrap();
            }
        });
        let guard = s.cond.lock();
        assert_eq!(guard.wait_for(|| s.state.get() == 2), Ok(true));
        assert_eq!(s.state.get(), 2);
        drop(guard);
        producer.join().unwrap();
    });
}

/// `wait_for_timeout` racing a producer and the clock: the result is the predicate's last
/// value, evaluated with the lock held, so `true` means the item is there and `false` that it
/// was not when time ran out. The lock is held again either way.
#[test]
fn wait_for_timeout_races_expiry() {
    check("condition::wait_for_timeout_races_expiry", || {
        let s = shared();
        let producer = spawn(&s, |s| set_and_notify(s, 1));
        let clock_thread = loom::thread::spawn(clock::expire);
        let guard = s.cond.lock();
        let mut seen = usize::MAX;
        let got = guard
            .wait_for_timeout(
                || {
                    seen = s.state.get();
                    seen == 1
                },
                TIMEOUT,
            )
            .unwrap();
        assert_eq!(got, seen == 1);
        assert!(s.cond.lock_ref().is_owned());
        assert_eq!(waiters(&s.cond), 0);
        drop(guard);
        producer.join().unwrap();
        clock_thread.join().unwrap();
    });
}
