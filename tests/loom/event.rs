//! loom models of [`threading::Event`], run on the shipped code: `set` wakes every waiter and
//! publishes what the setter wrote; `set(); clear()` still wakes parked waiters with `true`
//! (EVT-06); set/clear races never strand a waiter; a timed wait racing `set` and the clock
//! never hangs and returns `true` only after a `set`; a timed-out waiter does not hide another
//! sleeper from `set`; a `set` does not wake a thread that started waiting after a later
//! `clear`; spurious wake-ups never end a timed wait early; waiting on a set event.
//!
//! Without a clock thread time never runs out, so a timed wait that returns `false` there is a
//! bug, and a missing wake-up shows as a loom deadlock.

use std::time::Duration;

use threading::Event;

use crate::common::{check, clock, loom, wait_parked};
use loom::cell::UnsafeCell;
use loom::sync::Arc;

/// Long enough that only `clock::expire()` ends it.
const TIMEOUT: Duration = Duration::from_secs(1);

/// An event and a value the setter writes before `set` and a woken waiter reads after: loom
/// reports the read as a data race unless `set` → `wait` is a happens-before edge.
struct Shared {
    event: Event,
    data: UnsafeCell<u32>,
}

// SAFETY: `data` is a loom cell; every access goes through loom, which reports a data race
// (the bug these models look for) instead of letting it happen.
unsafe impl Sync for Shared {}

fn shared() -> Arc<Shared> {
    Arc::new(Shared { event: Event::new(), data: UnsafeCell::new(0) })
}

impl Shared {
    /// Writes the payload, then sets the event.
    fn publish(&self) {
        // SAFETY: checked by loom, see `Shared`.
        self.data.with_mut(|d| unsafe { *d = 42 });
        self.event.set();
    }

    /// Reads the payload; only valid after a wait that returned `true`.
    fn payload(&self) -> u32 {
        // SAFETY: checked by loom, see `Shared`.
        self.data.with(|d| unsafe { *d })
    }
}

/// Spawns a thread running `f` on a clone of `s`.
fn spawn<T: 'static>(
    s: &Arc<Shared>,
    f: impl FnOnce(&Shared) -> T + 'static,
) -> loom::thread::JoinHandle<T> {
    let s = Arc::clone(s);
    loom::thread::spawn(move || f(&s))
}

/// `wait()`, then the payload (which the `set` must have published).
fn untimed(s: &Shared) -> u32 {
    s.event.wait();
    s.payload()
}

/// `wait_timeout(TIMEOUT)`; the payload if it returned `true`.
fn timed(s: &Shared) -> Option<u32> {
    s.event.wait_timeout(TIMEOUT).then(|| s.payload())
}

/// Two waiters (one untimed, one timed) race one `set`: both return, both see the payload,
/// and nobody is left parked.
#[test]
fn two_waiters_and_set() {
    check("event::two_waiters_and_set", || {
        let s = shared();
        let a = spawn(&s, untimed);
        let b = spawn(&s, timed);
        s.publish();
        assert_eq!(a.join().unwrap(), 42);
        assert_eq!(b.join().unwrap(), Some(42), "a timed wait gave up though time never ran out");
        assert!(s.event.is_set());
        assert_eq!(clock::parked(), 0);
    });
}

/// EVT-06: with both waiters asleep, `set(); clear()` back to back. Both must return `true`
/// (the untimed one must return at all) although the flag is already clear when they run.
#[test]
fn set_clear_wakes_parked_waiters() {
    check("event::set_clear_wakes_parked_waiters", || {
        let s = shared();
        let a = spawn(&s, untimed);
        let b = spawn(&s, timed);
        wait_parked(2);
        s.publish();
        s.event.clear();
        assert_eq!(a.join().unwrap(), 42);
        assert_eq!(b.join().unwrap(), Some(42));
        assert!(!s.event.is_set());
        assert_eq!(clock::parked(), 0);
    });
}

/// `set(); clear()` from one thread while another thread sets the event, with a waiter anywhere
/// in its wait: whatever the interleaving, the waiter returns (it may miss the first pulse only
/// if it had not announced itself yet, and then the second `set` wakes it).
#[test]
fn set_clear_races_setter_and_waiter() {
    check("event::set_clear_races_setter_and_waiter", || {
        let s = shared();
        let waiter = spawn(&s, |s| s.event.wait());
        let pulser = spawn(&s, |s| {
            s.event.set();
            s.event.clear();
        });
        pulser.join().unwrap();
        s.event.set();
        waiter.join().unwrap();
        assert!(s.event.is_set());
        assert_eq!(clock::parked(), 0);
    });
}

/// A `set` wakes exactly the threads that were queued when it took effect: a thread that saw
/// the flag set, cleared it and only then started waiting must not be woken by that same `set`
/// (whose wake-up may still be in flight), so its timed wait ends by timing out, with `false`.
#[test]
fn clear_then_wait_is_not_woken_by_earlier_set() {
    check("event::clear_then_wait_is_not_woken_by_earlier_set", || {
        let s = shared();
        let early = spawn(&s, untimed);
        wait_parked(1);
        let setter = spawn(&s, Shared::publish);
        while !s.event.is_set() {
            loom::thread::yield_now();
        }
        s.event.clear();
        let clock_thread = loom::thread::spawn(clock::expire);
        assert!(!s.event.wait_timeout(TIMEOUT), "woken by a set from before the clear");
        assert_eq!(early.join().unwrap(), 42);
        setter.join().unwrap();
        clock_thread.join().unwrap();
        assert_eq!(clock::parked(), 0);
    });
}

/// Two racing `set`s and an untimed waiter: the waiter returns, the event ends set, and the
/// `PARKED` bookkeeping leaves nobody in the queue.
#[test]
fn racing_sets() {
    check("event::racing_sets", || {
        let s = shared();
        let waiter = spawn(&s, |s| s.event.wait());
        let other = spawn(&s, |s| s.event.set());
        s.event.set();
        other.join().unwrap();
        waiter.join().unwrap();
        assert!(s.event.is_set());
        assert_eq!(clock::parked(), 0);
    });
}

/// A timed wait races `set` while the clock runs out at any point: it never hangs, and if it
/// returns `true` the payload is visible (the event really was set); the event ends set.
#[test]
fn timed_wait_races_set_and_expiry() {
    check("event::timed_wait_races_set_and_expiry", || {
        let s = shared();
        let waiter = spawn(&s, timed);
        let clock_thread = loom::thread::spawn(clock::expire);
        s.publish();
        if let Some(v) = waiter.join().unwrap() {
            assert_eq!(v, 42);
        }
        clock_thread.join().unwrap();
        assert!(s.event.is_set());
        assert_eq!(clock::parked(), 0);
    });
}

/// The same with `set(); clear()`: a `true` result still means a `set` happened before (the
/// payload is visible), a `false` one is a genuine timeout, and nothing hangs.
#[test]
fn timed_wait_races_set_clear_and_expiry() {
    check("event::timed_wait_races_set_clear_and_expiry", || {
        let s = shared();
        let waiter = spawn(&s, timed);
        let clock_thread = loom::thread::spawn(clock::expire);
        s.publish();
        s.event.clear();
        if let Some(v) = waiter.join().unwrap() {
            assert_eq!(v, 42);
        }
        clock_thread.join().unwrap();
        assert!(!s.event.is_set());
        assert_eq!(clock::parked(), 0);
    });
}

/// Both waiters asleep, then the clock expires and the event is set: the timed waiter's timeout
/// must not clear `PARKED` while the untimed waiter still sleeps (`was_last_thread` is false),
/// or `set` takes the fast path and strands it.
#[test]
fn timeout_keeps_other_waiter() {
    check("event::timeout_keeps_other_waiter", || {
        let s = shared();
        let a = spawn(&s, untimed);
        let b = spawn(&s, timed);
        wait_parked(2);
        clock::expire();
        s.publish();
        assert_eq!(a.join().unwrap(), 42);
        if let Some(v) = b.join().unwrap() {
            assert_eq!(v, 42);
        }
        assert_eq!(clock::parked(), 0);
    });
}

/// The same with the clock on its own thread, so the timeout fires at every point of both
/// waits and of the `set`.
#[test]
fn timeout_keeps_other_waiter_any_time() {
    check("event::timeout_keeps_other_waiter_any_time", || {
        let s = shared();
        let a = spawn(&s, untimed);
        let b = spawn(&s, timed);
        let clock_thread = loom::thread::spawn(clock::expire);
        s.publish();
        assert_eq!(a.join().unwrap(), 42);
        if let Some(v) = b.join().unwrap() {
            assert_eq!(v, 42);
        }
        clock_thread.join().unwrap();
        assert_eq!(clock::parked(), 0);
    });
}

/// Spurious wake-ups at any point of a timed wait, then a `set`: time never runs out, so the
/// wait must park again after each spurious wake-up and return `true`, never an early `false`.
#[test]
fn spurious_wakeup_timed_waiter() {
    check("event::spurious_wakeup_timed_waiter", || {
        let s = shared();
        let waiter = spawn(&s, timed);
        let spurious = loom::thread::spawn(clock::spurious_wake_all);
        s.publish();
        spurious.join().unwrap();
        assert_eq!(waiter.join().unwrap(), Some(42), "a spurious wake-up ended the wait early");
        assert_eq!(clock::parked(), 0);
    });
}

/// A spurious wake-up of an asleep timed waiter, then `set(); clear()` at any point relative to
/// its re-check: the waiter either was queued at the `set` (and returns `true`) or re-parked
/// after the `clear` (then the final `set` wakes it); it never returns `false`, never hangs.
#[test]
fn spurious_wakeup_then_set_clear() {
    check("event::spurious_wakeup_then_set_clear", || {
        let s = shared();
        let waiter = spawn(&s, timed);
        wait_parked(1);
        clock::spurious_wake_all();
        s.publish();
        s.event.clear();
        s.event.set();
        assert_eq!(waiter.join().unwrap(), Some(42));
        assert_eq!(clock::parked(), 0);
    });
}

/// Waiting on an event that is already set returns at once, in every form (EVT-03), and after
/// `clear` a zero timeout or a past deadline reports `false` without sleeping.
#[test]
fn wait_on_set_event() {
    check("event::wait_on_set_event", || {
        let s = shared();
        s.publish();
        let other = spawn(&s, |s| {
            s.event.wait();
            assert_eq!(s.payload(), 42);
            assert!(s.event.wait_timeout(Duration::ZERO));
            assert!(s.event.wait_timeout(TIMEOUT));
            assert!(s.event.wait_deadline(threading_core::time::now()));
        });
        other.join().unwrap();
        s.event.clear();
        assert!(!s.event.wait_timeout(Duration::ZERO));
        assert!(!s.event.wait_deadline(threading_core::time::now()));
        assert_eq!(clock::parked(), 0);
    });
}
