//! loom models: timer.
//!
//! The shipped `threading::Timer` (a `Thread` waiting on an `Event` with the interval as its
//! timeout) with its interval's expiry placed by a clock thread (`clock::expire()`) at every
//! point: the function runs at most once, and never after a cancel that happened before the
//! expiry.

use std::time::Duration;

use crate::common::loom::sync::Arc;
use crate::common::loom::sync::atomic::AtomicBool;
use crate::common::loom::sync::atomic::AtomicUsize;
use crate::common::loom::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use crate::common::loom::thread;
use crate::common::{check, clock};
use threading::Timer;

/// A timer counting its calls.
fn counting_timer(calls: &Arc<AtomicUsize>) -> Timer {
    let c = Arc::clone(calls);
    Timer::new(Duration::from_secs(1), move || {
        c.fetch_add(1, SeqCst);
    })
}

/// `cancel` racing the interval's expiry: the function runs at most once, and not at all if
/// the cancel happened before the expiry (the clock thread saw the cancel's flag, an
/// acquire/release edge, before it made time run out).
///
/// "Before" must be a happens-before edge: an earlier version asked whether a `SeqCst` load
/// on the cancelling thread still saw "expiry not begun", which orders nothing, and loom
/// rightly found runs where the function was called.
#[test]
fn cancel_races_expiry() {
    check("timer::cancel_races_expiry", || {
        let calls = Arc::new(AtomicUsize::new(0));
        let timer = counting_timer(&calls);
        timer.start().unwrap();
        let cancelled = Arc::new(AtomicBool::new(false));
        let c = Arc::clone(&cancelled);
        let clock_thread = thread::spawn(move || {
            let after_cancel = c.load(Acquire);
            clock::expire();
            after_cancel
        });
        timer.cancel();
        cancelled.store(true, Release);
        timer.join().unwrap();
        let expired_after_cancel = clock_thread.join().unwrap();
        let n = calls.load(SeqCst);
        assert!(n <= 1, "called {n} times");
        if expired_after_cancel {
            assert_eq!(n, 0, "called although the cancel came before the expiry");
        }
        assert!(timer.finished().is_set());
        assert!(!timer.is_alive());
    });
}

/// Without a cancel, the timer fires once when the interval runs out, and its function's
/// effects are visible after the join.
#[test]
fn fires_on_expiry() {
    check("timer::fires_on_expiry", || {
        let calls = Arc::new(AtomicUsize::new(0));
        let timer = counting_timer(&calls);
        timer.start().unwrap();
        clock::expire();
        timer.join().unwrap();
        assert_eq!(calls.load(SeqCst), 1);
        timer.cancel(); // after firing: no effect
        assert_eq!(calls.load(SeqCst), 1);
    });
}

/// A cancel before `start`: the timer thread ends at once, without waiting for the clock and
/// without calling the function.
#[test]
fn cancel_before_start() {
    check("timer::cancel_before_start", || {
        let calls = Arc::new(AtomicUsize::new(0));
        let timer = counting_timer(&calls);
        timer.cancel();
        timer.start().unwrap();
        timer.join().unwrap();
        assert_eq!(calls.load(SeqCst), 0);
    });
}
