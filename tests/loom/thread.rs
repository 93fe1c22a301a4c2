//! loom models: thread.
//!
//! Each model runs the shipped `threading::Thread` (its start, bootstrap, registry and joins)
//! with 2–3 model threads; every `Thread::start` is a loom thread. The target writes a loom
//! `UnsafeCell` that the joiner reads afterwards, so a join that returned without a
//! happens-before edge from the target's end is a loom data-race report, and a missing wake-up
//! is a loom deadlock.

use std::time::Duration;

use crate::common::loom::cell::UnsafeCell;
use crate::common::loom::sync::Arc;
use crate::common::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::common::loom::thread;
use crate::common::{check, clock};
use threading::{
    JoinError, RuntimeErrorKind, Thread, active_count, current_thread, enumerate, main_thread,
};

/// A value the target writes and the joiner reads (loom checks the two accesses are ordered).
struct Slot(UnsafeCell<usize>);

// SAFETY: every access is through `UnsafeCell::with(_mut)`, which loom checks for races.
unsafe impl Sync for Slot {}

impl Slot {
    fn new() -> Arc<Slot> {
        Arc::new(Slot(UnsafeCell::new(0)))
    }

    fn write(&self, v: usize) {
        // SAFETY: loom checks the access; a race is what the model looks for.
        self.0.with_mut(|p| unsafe { *p = v });
    }

    fn read(&self) -> usize {
        // SAFETY: as in `write`.
        self.0.with(|p| unsafe { *p })
    }
}

/// A started thread writing `slot`.
fn writer(slot: &Arc<Slot>, value: usize) -> Thread<usize> {
    let s = Arc::clone(slot);
    Thread::new(move || {
        s.write(value);
        value
    })
}

fn join_kind(r: Result<(), JoinError>) -> Option<RuntimeErrorKind> {
    r.err().and_then(|e| e.runtime_error()).map(|e| e.kind())
}

/// start, then join: the join returns after the target, whose write it sees; the thread is then
/// not alive and not listed; its output can be taken once; inside the target, `current_thread()`
/// is the thread itself and the main thread is someone else.
#[test]
fn start_then_join() {
    check("thread::start_then_join", || {
        let slot = Slot::new();
        let s = Arc::clone(&slot);
        let t = Thread::new(move || {
            s.write(7);
            let me = current_thread();
            (me.ident(), me != main_thread())
        });
        assert_eq!(t.ident(), None);
        t.start().unwrap();
        let ident = t.ident();
        assert!(ident.is_some());
        let other = t.clone();
        t.join().unwrap();
        assert_eq!(slot.read(), 7);
        assert!(!t.is_alive());
        assert!(!enumerate().contains(&t.untyped()));
        assert_eq!(active_count(), 1); // main only
        assert_eq!(t.join_output().unwrap(), (ident, true));
        assert_eq!(other.join_output(), Err(JoinError::NoOutput));
    });
}

/// `start` on one thread racing `join` on another: the join either says "not started" or
/// returns after the target (seeing its write); never anything else, never a hang.
#[test]
fn start_races_join() {
    check("thread::start_races_join", || {
        let slot = Slot::new();
        let t = writer(&slot, 3);
        let starter = {
            let t = t.clone();
            thread::spawn(move || t.start().unwrap())
        };
        match t.join() {
            Ok(()) => {
                assert_eq!(slot.read(), 3);
                assert!(!t.is_alive());
            }
            Err(e) => assert_eq!(
                e.runtime_error().map(|e| e.kind()),
                Some(RuntimeErrorKind::JoinNotStarted)
            ),
        }
        starter.join().unwrap();
        t.join().unwrap();
        assert_eq!(slot.read(), 3);
    });
}

/// Two racing `start`s: exactly one succeeds, the other gets "threads can only be started
/// once", and the target runs once.
#[test]
fn double_start_races() {
    check("thread::double_start_races", || {
        let runs = Arc::new(AtomicUsize::new(0));
        let r = Arc::clone(&runs);
        let t = Thread::new(move || {
            r.fetch_add(1, SeqCst);
        });
        let other = {
            let t = t.clone();
            thread::spawn(move || t.start().map_err(|e| e.kind()))
        };
        let mine = t.start().map_err(|e| e.kind());
        let theirs = other.join().unwrap();
        match (mine, theirs) {
            (Ok(()), Err(RuntimeErrorKind::ThreadStartedTwice))
            | (Err(RuntimeErrorKind::ThreadStartedTwice), Ok(())) => {}
            other => panic!("not exactly one start: {other:?}"),
        }
        t.join().unwrap();
        assert_eq!(runs.load(SeqCst), 1);
    });
}

/// `join_timeout` racing the thread's end and the clock: `true` means finished (the target's
/// write is visible, the thread is not alive); `false` is only possible if the thread was
/// still running when the join began.
#[test]
fn join_timeout_races_end() {
    check("thread::join_timeout_races_end", || {
        let slot = Slot::new();
        let t = writer(&slot, 5);
        t.start().unwrap();
        let clock_thread = thread::spawn(clock::expire);
        let alive_before = t.is_alive();
        match t.join_timeout(Duration::from_secs(1)) {
            Ok(true) => {
                assert_eq!(slot.read(), 5);
                assert!(!t.is_alive());
            }
            Ok(false) => assert!(alive_before, "timed out on a thread that had finished"),
            Err(e) => panic!("{e}"),
        }
        clock_thread.join().unwrap();
        t.join().unwrap();
        assert_eq!(slot.read(), 5);
    });
}

/// `is_alive()` and `enumerate()` racing the thread's end: once `is_alive()` is false the
/// thread is no longer listed, and after the join it is neither alive nor listed.
#[test]
fn enumerate_races_end() {
    check("thread::enumerate_races_end", || {
        let t = Thread::new(|| ());
        t.start().unwrap();
        let me = t.untyped();
        let alive = t.is_alive();
        let listed = enumerate().contains(&me);
        if !alive {
            assert!(!listed, "a finished thread is still listed");
        }
        t.join().unwrap();
        assert!(!t.is_alive());
        assert!(!enumerate().contains(&me));
        assert_eq!(enumerate(), [main_thread()]);
    });
}

/// Two joiners of one thread racing its end (one of them a thread the library did not
/// start): both return after the target and see its write.
#[test]
fn two_joiners() {
    check("thread::two_joiners", || {
        let slot = Slot::new();
        let t = writer(&slot, 9);
        t.start().unwrap();
        let joiner = {
            let (t, slot) = (t.clone(), Arc::clone(&slot));
            thread::spawn(move || {
                t.join().unwrap();
                slot.read()
            })
        };
        t.join().unwrap();
        assert_eq!(slot.read(), 9);
        assert_eq!(joiner.join().unwrap(), 9);
    });
}

/// A thread the library did not start gets a `Dummy-N` record from `current_thread()`:
/// listed while it runs, not joinable, and unlisted once it exits. (That its memory is freed
/// is checked by the integration tests: `live_records` is not modelled.)
#[test]
fn dummy_removed_at_exit() {
    check("thread::dummy_removed_at_exit", || {
        let foreign = thread::spawn(|| {
            let me = current_thread();
            assert!(me.daemon() && me.is_alive());
            assert!(enumerate().contains(&me));
            assert_eq!(join_kind(me.join()), Some(RuntimeErrorKind::JoinDummyThread));
            me.ident().unwrap()
        });
        let ident = foreign.join().unwrap();
        // loom wakes a joiner before it drops the ending thread's locals, where the guard
        // lives: wait for it (a guard never dropped shows as a branch-limit failure).
        while enumerate().iter().any(|t| t.ident() == Some(ident)) {
            thread::yield_now();
        }
        assert_eq!(enumerate(), [main_thread()]);
    });
}
