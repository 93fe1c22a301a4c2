//! loom models: barrier.
//!
//! Each model runs the shipped `threading::Barrier` with 2–3 threads. A missing wake-up shows
//! as a loom deadlock, a wrong index or outcome as a failed assertion.

use std::time::Duration;

use crate::common::loom::sync::Arc;
use crate::common::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::common::loom::thread;
use crate::common::{check, clock};
use threading::{Barrier, BrokenBarrierError};

/// Two parties trip: both are released, with indices 0 and 1 (BAR-03), and the barrier is
/// ready for the next round (BAR-05).
#[test]
fn trip_two() {
    check("barrier::trip_two", || {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let t = thread::spawn(move || b.wait());
        let mine = barrier.wait().unwrap();
        let theirs = t.join().unwrap().unwrap();
        assert_eq!(mine + theirs, 1);
        assert_ne!(mine, theirs);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.broken());
    });
}

/// The action runs exactly once, in the last thread to arrive, and its effects are visible to
/// every thread once `wait` returns (BAR-06). The Relaxed load would let loom return a stale
/// value without a happens-before edge from the action to the release.
#[test]
fn action_once_before_release() {
    check("barrier::action_once_before_release", || {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let barrier = Arc::new(Barrier::with_action(2, move || {
            c.fetch_add(1, Ordering::Relaxed);
        }));
        let (b, c) = (barrier.clone(), calls.clone());
        let t = thread::spawn(move || {
            let index = b.wait().unwrap();
            assert_eq!(c.load(Ordering::Relaxed), 1);
            index
        });
        let mine = barrier.wait().unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        let theirs = t.join().unwrap();
        assert_eq!(mine + theirs, 1);
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    });
}

/// A timed waiter races the last arrival and the clock: either the round trips and both get
/// their index, or the timeout breaks it and both get the error, never a mix (BAR-11 in spirit:
/// a timeout breaks the barrier for everyone).
#[test]
fn timeout_races_last_arrival() {
    check("barrier::timeout_races_last_arrival", || {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let timed = thread::spawn(move || b.wait_timeout(Duration::from_secs(1)));
        let clock = thread::spawn(clock::expire);
        let mine = barrier.wait();
        let theirs = timed.join().unwrap();
        clock.join().unwrap();
        match (mine, theirs) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a + b, 1);
                assert!(!barrier.broken());
            }
            (Err(BrokenBarrierError), Err(BrokenBarrierError)) => assert!(barrier.broken()),
            other => panic!("mixed outcome within one round: {other:?}"),
        }
    });
}

/// `abort` racing a waiter: the waiter always gets the error (it can never trip alone), and
/// the barrier stays broken (BAR-08, BAR-18).
#[test]
fn abort_races_wait() {
    check("barrier::abort_races_wait", || {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let t = thread::spawn(move || b.wait());
        barrier.abort();
        assert_eq!(t.join().unwrap(), Err(BrokenBarrierError));
        assert!(barrier.broken());
        assert_eq!(barrier.n_waiting(), 0);
    });
}

/// `reset` wakes a waiter with the error; then the barrier works again, also when the next
/// round's first thread arrives before the reset waiter has left.
#[test]
fn reset_then_reuse() {
    check("barrier::reset_then_reuse", || {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let t = thread::spawn(move || {
            let first = b.wait();
            let second = b.wait();
            (first, second)
        });
        while barrier.n_waiting() == 0 {
            thread::yield_now();
        }
        barrier.reset();
        let mine = barrier.wait().unwrap();
        let (first, second) = t.join().unwrap();
        assert_eq!(first, Err(BrokenBarrierError));
        assert_eq!(mine + second.unwrap(), 1);
        assert!(!barrier.broken());
    });
}

/// Two rounds on the same barrier: a fast thread entering round 2 is never taken for a
/// waiter of round 1; each round hands out indices 0 and 1 (BAR-05, BAR-19).
#[test]
fn two_rounds() {
    check("barrier::two_rounds", || {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let t = thread::spawn(move || [b.wait().unwrap(), b.wait().unwrap()]);
        let mine = [barrier.wait().unwrap(), barrier.wait().unwrap()];
        let theirs = t.join().unwrap();
        assert_eq!(mine[0] + theirs[0], 1);
        assert_eq!(mine[1] + theirs[1], 1);
    });
}

/// Spurious wake-ups (`ParkResult::Invalid` without a state change) are absorbed: both waiters
/// still trip normally.
#[test]
fn spurious_wakeup() {
    check("barrier::spurious_wakeup", || {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let t = thread::spawn(move || b.wait());
        let spurious = thread::spawn(clock::spurious_wake_all);
        let mine = barrier.wait().unwrap();
        let theirs = t.join().unwrap().unwrap();
        spurious.join().unwrap();
        assert_eq!(mine + theirs, 1);
    });
}

/// `wait_timeout(0)` with a missing party breaks the barrier at once (BAR-13), without a clock
/// thread: the deadline is already due when the thread parks. A later `wait` gets the error.
#[test]
fn zero_timeout_breaks() {
    check("barrier::zero_timeout_breaks", || {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let t = thread::spawn(move || b.wait_timeout(Duration::ZERO));
        let theirs = t.join().unwrap();
        assert_eq!(theirs, Err(BrokenBarrierError));
        assert!(barrier.broken());
        assert_eq!(barrier.wait(), Err(BrokenBarrierError));
    });
}

/// `abort` while the last arrival runs the action: the whole round gets the error (the
/// documented difference from CPython), or, if the abort comes after the trip, the round
/// succeeds and the barrier is left broken. Never a mix, never a hang.
#[test]
fn abort_races_action() {
    check("barrier::abort_races_action", || {
        let barrier = Arc::new(Barrier::with_action(2, || {}));
        let b = barrier.clone();
        let t = thread::spawn(move || b.wait());
        let b = barrier.clone();
        let aborter = thread::spawn(move || b.abort());
        let mine = barrier.wait();
        let theirs = t.join().unwrap();
        aborter.join().unwrap();
        assert_eq!(mine.is_ok(), theirs.is_ok(), "mixed outcome: {mine:?} {theirs:?}");
        assert!(barrier.broken());
    });
}

/// `abort` then `reset` while the aborted waiter may still be inside `wait`: the waiter gets
/// the error whether it leaves before or after the reset, and the barrier then forms a fresh
/// round of two. (Mutation testing: repairing a broken barrier at once although a thread of
/// the broken round had not left yet made that thread see a new generation and return an
/// index, as if its round had tripped.)
#[test]
fn abort_then_reset_while_the_waiter_leaves() {
    check("barrier::abort_then_reset_while_the_waiter_leaves", || {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let t = thread::spawn(move || b.wait());
        while barrier.n_waiting() == 0 {
            thread::yield_now();
        }
        barrier.abort();
        barrier.reset();
        assert_eq!(t.join().unwrap(), Err(BrokenBarrierError));
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.broken());
        let b = barrier.clone();
        let t = thread::spawn(move || b.wait());
        let mine = barrier.wait().unwrap();
        assert_eq!(mine + t.join().unwrap().unwrap(), 1);
    });
}
