//! loom models of the parking-lot contract ([`threading_core::park`]) as the loom backend
//! implements it. The primitives' models rely on these properties, so they are checked here on
//! their own: `validate` false → `Invalid` without sleeping, no lost wake-up between `validate`
//! and an unpark, the `timed_out` callback and its `was_last_thread` flag, FIFO `unpark_one`,
//! `deadline: None` never timing out under `clock::expire()`, and spurious wake-ups.

use std::cell::Cell;
use std::time::Duration;

use threading_core::park::{self, DEFAULT_PARK_TOKEN, ParkResult, ParkToken, UnparkToken};
use threading_core::time::{self, Instant};

use crate::common::{check, clock, loom, wait_parked};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};

/// The parking key of `x`: its address, as the primitives do.
fn key_of<T>(x: &T) -> usize {
    std::ptr::from_ref(x).addr()
}

/// A deadline that only `clock::expire()` reaches.
fn soon() -> Option<Instant> {
    time::deadline_after(Duration::from_secs(1))
}

/// What one `park` call saw: its result and whether each callback ran.
#[derive(Debug, PartialEq, Eq)]
struct Parked {
    result: ParkResult,
    slept: bool,
    /// `was_last_thread` if `timed_out` ran.
    timed_out: Option<bool>,
}

/// Parks on `key` with `validate`, recording which callbacks ran.
fn park_on(key: usize, validate: impl FnOnce() -> bool, deadline: Option<Instant>) -> Parked {
    park_with_token(key, validate, DEFAULT_PARK_TOKEN, deadline)
}

fn park_with_token(
    key: usize,
    validate: impl FnOnce() -> bool,
    token: ParkToken,
    deadline: Option<Instant>,
) -> Parked {
    let slept = Cell::new(false);
    let timed_out = Cell::new(None);
    // SAFETY: `key` is the address of an object the model keeps alive; the callbacks only set
    // local cells.
    let result = unsafe {
        park::park(
            key,
            validate,
            || slept.set(true),
            |k, last| {
                assert_eq!(k, key, "timed_out got another key");
                timed_out.set(Some(last));
            },
            token,
            deadline,
        )
    };
    Parked { result, slept: slept.get(), timed_out: timed_out.get() }
}

/// `unpark_one(key)` whose callback returns `token`; returns what the callback was given.
fn unpark_one(key: usize, token: UnparkToken) -> park::UnparkResult {
    let seen = Cell::new(None);
    // SAFETY: as in `park_with_token`; the callback only sets a local cell.
    let result = unsafe {
        park::unpark_one(key, |r| {
            seen.set(Some(r));
            token
        })
    };
    assert_eq!(seen.get(), Some(result), "the callback saw another result than returned");
    result
}

/// `validate` returning false: `Invalid` at once, no sleep, no `timed_out`, nothing queued.
#[test]
fn validate_false_is_invalid() {
    check("core::validate_false_is_invalid", || {
        let anchor = Arc::new(0u8);
        let key = key_of(&*anchor);
        clock::expire();
        let p = park_on(key, || false, soon());
        assert_eq!(p, Parked { result: ParkResult::Invalid, slept: false, timed_out: None });
        assert_eq!(clock::parked(), 0);
        assert_eq!(unpark_one(key, UnparkToken(1)).unparked_threads, 0);
    });
}

/// The flag-then-unpark protocol loses no wake-up: `validate` runs with the queue locked, so an
/// unpark either finds the sleeper or the sleeper sees the flag. The woken thread gets the
/// callback's token, and the unparker's result says whether it woke someone.
#[test]
fn no_lost_wakeup() {
    check("core::no_lost_wakeup", || {
        let flag = Arc::new(AtomicBool::new(false));
        let f = Arc::clone(&flag);
        let waiter = loom::thread::spawn(move || {
            let key = key_of(&*f);
            let mut unparked = false;
            while !f.load(SeqCst) {
                let p = park_on(key, || !f.load(SeqCst), None);
                assert_eq!(p.timed_out, None);
                match p.result {
                    ParkResult::Unparked(token) => {
                        assert!(p.slept);
                        assert_eq!(token, UnparkToken(7));
                        unparked = true;
                    }
                    ParkResult::Invalid => assert!(!p.slept),
                    ParkResult::TimedOut => panic!("timed out without a deadline"),
                }
            }
            unparked
        });
        flag.store(true, SeqCst);
        let r = unpark_one(key_of(&*flag), UnparkToken(7));
        assert!(!r.have_more_threads);
        assert_eq!(r.requeued_threads, 0);
        let unparked = waiter.join().unwrap();
        assert_eq!(r.unparked_threads == 1, unparked);
        assert_eq!(clock::parked(), 0);
    });
}

/// A timed park racing an unpark and the clock: exactly one of "unparked" (the unparker's
/// result counts it, `timed_out` does not run) and "timed out" (`timed_out` runs once with
/// `was_last_thread`, the unparker found nobody).
#[test]
fn timeout_races_unpark() {
    check("core::timeout_races_unpark", || {
        let anchor = Arc::new(0u8);
        let a = Arc::clone(&anchor);
        let waiter = loom::thread::spawn(move || park_on(key_of(&*a), || true, soon()));
        let clock_thread = loom::thread::spawn(clock::expire);
        let r = unpark_one(key_of(&*anchor), UnparkToken(3));
        let p = waiter.join().unwrap();
        clock_thread.join().unwrap();
        assert!(p.slept);
        match p.result {
            ParkResult::Unparked(token) => {
                assert_eq!(token, UnparkToken(3));
                assert_eq!(p.timed_out, None);
                assert_eq!(r.unparked_threads, 1);
            }
            ParkResult::TimedOut => {
                assert_eq!(p.timed_out, Some(true));
                assert_eq!(r.unparked_threads, 0);
            }
            ParkResult::Invalid => panic!("Invalid without a failed validate"),
        }
        assert_eq!(clock::parked(), 0);
    });
}

/// `unpark_one` wakes the longest-parked thread first.
#[test]
fn unpark_one_is_fifo() {
    check("core::unpark_one_is_fifo", || {
        let anchor = Arc::new(0u8);
        let a = Arc::clone(&anchor);
        let first = loom::thread::spawn(move || park_on(key_of(&*a), || true, None).result);
        wait_parked(1);
        let a = Arc::clone(&anchor);
        let second = loom::thread::spawn(move || park_on(key_of(&*a), || true, None).result);
        wait_parked(2);
        let r1 = unpark_one(key_of(&*anchor), UnparkToken(1));
        assert_eq!((r1.unparked_threads, r1.have_more_threads), (1, true));
        let r2 = unpark_one(key_of(&*anchor), UnparkToken(2));
        assert_eq!((r2.unparked_threads, r2.have_more_threads), (1, false));
        assert_eq!(first.join().unwrap(), ParkResult::Unparked(UnparkToken(1)));
        assert_eq!(second.join().unwrap(), ParkResult::Unparked(UnparkToken(2)));
    });
}

/// With `deadline: None` a thread never times out, however the clock moves; a timed sleeper on
/// the same key that does time out is told it was not the last one (`was_last_thread` false),
/// which is what lets `Lock` keep its `PARKED` bit for the untimed sleeper.
#[test]
fn no_deadline_never_times_out() {
    check("core::no_deadline_never_times_out", || {
        let anchor = Arc::new(0u8);
        let a = Arc::clone(&anchor);
        let untimed = loom::thread::spawn(move || park_on(key_of(&*a), || true, None));
        wait_parked(1);
        let a = Arc::clone(&anchor);
        let timed = loom::thread::spawn(move || park_on(key_of(&*a), || true, soon()));
        let clock_thread = loom::thread::spawn(clock::expire);
        let t = timed.join().unwrap();
        assert_eq!(t, Parked { result: ParkResult::TimedOut, slept: true, timed_out: Some(false) });
        clock_thread.join().unwrap();
        assert_eq!(clock::parked(), 1, "the untimed sleeper timed out");
        let r = unpark_one(key_of(&*anchor), UnparkToken(5));
        assert_eq!((r.unparked_threads, r.have_more_threads), (1, false));
        let u = untimed.join().unwrap();
        assert_eq!(
            u,
            Parked { result: ParkResult::Unparked(UnparkToken(5)), slept: true, timed_out: None }
        );
    });
}

/// `clock::spurious_wake_all()` makes a sleeper return `Invalid` with nobody unparking it, and
/// takes it off the queue; its `timed_out` does not run.
#[test]
fn spurious_wakeup_is_invalid() {
    check("core::spurious_wakeup_is_invalid", || {
        let anchor = Arc::new(0u8);
        let a = Arc::clone(&anchor);
        let sleeper = loom::thread::spawn(move || park_on(key_of(&*a), || true, soon()));
        wait_parked(1);
        clock::spurious_wake_all();
        let p = sleeper.join().unwrap();
        assert_eq!(p, Parked { result: ParkResult::Invalid, slept: true, timed_out: None });
        assert_eq!(clock::parked(), 0);
        assert_eq!(unpark_one(key_of(&*anchor), UnparkToken(1)).unparked_threads, 0);
        clock::expire(); // no effect on a thread that is not parked any more
    });
}

threading_core::global! {
    /// A process-wide counter, created afresh in every execution.
    static STARTED: loom::sync::atomic::AtomicUsize = loom::sync::atomic::AtomicUsize::new(0);
}

/// Drops count into `STARTED`'s neighbour: proves a thread-local value is dropped when its
/// model thread ends.
struct CountDrop(Arc<loom::sync::atomic::AtomicUsize>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

threading_core::thread_local! {
    static MINE: Cell<usize> = const { Cell::new(0) };
}

threading_core::thread_local! {
    static DROPPER: std::cell::RefCell<Option<CountDrop>> = std::cell::RefCell::new(None);
}

/// `thread::spawn` starts a model thread; ids are distinct, the spawner knows the child's
/// (`JoinHandle::id`), and the model's first thread is the main thread (`MAIN_ID`); `thread_local!` gives each thread its own value and drops it when the
/// thread ends; `global!` is shared and fresh in every execution.
#[test]
fn spawn_ids_thread_locals_and_globals() {
    use threading_core::thread::{self as th, Builder, MAIN_ID};
    check("core::spawn_ids_thread_locals_and_globals", || {
        assert_eq!(STARTED.load(SeqCst), 0, "a global survived into the next execution");
        assert_eq!(th::current_id(), MAIN_ID);
        assert!(th::is_main_thread());
        MINE.with(|m| m.set(1));
        let dropped = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let d = Arc::clone(&dropped);
        let b = Builder { name: Some("child".into()), stack_size: None };
        let h = th::spawn(b, move || {
            STARTED.fetch_add(1, SeqCst);
            assert!(!th::is_main_thread());
            assert_eq!(MINE.with(Cell::get), 0, "a thread-local leaked across threads");
            DROPPER.with(|slot| *slot.borrow_mut() = Some(CountDrop(d)));
            th::current_id()
        })
        .unwrap();
        let id = h.id();
        let child = h.join().unwrap();
        assert_eq!(child, id, "JoinHandle::id is the child's current_id");
        assert_ne!(child, MAIN_ID);
        // loom wakes the joiner before it drops the ending thread's locals (std drops them
        // first), so wait for the drop; a value never dropped shows as a branch-limit failure.
        while dropped.load(SeqCst) == 0 {
            loom::thread::yield_now();
        }
        assert_eq!(MINE.with(Cell::get), 1);
        assert_eq!(STARTED.load(SeqCst), 1);
    });
}
