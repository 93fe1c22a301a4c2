//! Smoke test of the `threading` facade: every re-export is reachable under its Python name and
//! does its basic job through the facade path.
//!
//! One section per primitive. To add one (Condition, Semaphore, BoundedSemaphore, Event,
//! Barrier): add its row(s) to `REEXPORTS` and a `facade_<name>` test using each of its public
//! types once. Detailed behaviour lives in `tests/integration/<name>.rs`.

use std::any::type_name;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use threading::{
    Barrier, BarrierBuilder, BrokenBarrierError, Condition, ConditionGuard, Local, Lock, LockGuard,
    Lockable, RLock, RLockGuard, RLockState, RuntimeError, RuntimeErrorKind, ValueError,
    ValueErrorKind,
};

/// A function returning a type's name: `std::any::type_name::<T>`.
type NameOf = fn() -> &'static str;

/// `(type_name::<threading::X>(), "X")`: each facade name resolves to a type of that name (a
/// re-export, not an alias to something else).
const REEXPORTS: &[(NameOf, &str)] = &[
    (type_name::<Lock>, "Lock"),
    (type_name::<LockGuard<'static>>, "LockGuard"),
    (type_name::<RLock>, "RLock"),
    (type_name::<RLockGuard<'static>>, "RLockGuard"),
    (type_name::<RLockState>, "RLockState"),
    (type_name::<RuntimeError>, "RuntimeError"),
    (type_name::<RuntimeErrorKind>, "RuntimeErrorKind"),
    (type_name::<ValueError>, "ValueError"),
    (type_name::<ValueErrorKind>, "ValueErrorKind"),
    (type_name::<Condition>, "Condition"),
    (type_name::<ConditionGuard<'static>>, "ConditionGuard"),
    (type_name::<Barrier>, "Barrier"),
    (type_name::<BarrierBuilder>, "BarrierBuilder"),
    (type_name::<BrokenBarrierError>, "BrokenBarrierError"),
    (type_name::<Local<u8>>, "Local"),
    // Semaphore, BoundedSemaphore, SemaphoreGuard, Event: one row each.
];

#[test]
fn facade_reexports_have_their_python_names() {
    for (name_of, expected) in REEXPORTS {
        let full = name_of();
        let base = full.split('<').next().unwrap();
        assert!(base.rsplit("::").next() == Some(*expected), "threading::{expected} is {full}");
    }
}

#[test]
fn facade_errors_are_the_core_types() {
    // The facade re-exports the one error type every primitive returns, so errors from
    // different primitives compare and match alike.
    let from_facade: RuntimeError = RuntimeError::new(RuntimeErrorKind::ReleaseUnowned);
    let from_core: threading_core::error::RuntimeError = from_facade;
    assert_eq!(from_core, RLock::new().release().unwrap_err());
    let v: threading_core::error::ValueError = ValueError::new(ValueErrorKind::BarrierParties);
    assert_eq!(v.to_string(), "parties must be > 0");
}

#[test]
fn facade_lock() {
    let lock = Arc::new(Lock::new());
    {
        let guard: LockGuard<'_> = lock.lock();
        assert!(guard.lock().locked());
        assert!(!lock.try_acquire());
    }
    assert!(!lock.locked());
    // Acquired here, released by another thread: a Lock has no owner.
    lock.acquire();
    let l = Arc::clone(&lock);
    thread::spawn(move || l.release().unwrap()).join().unwrap();
    assert!(lock.acquire_timeout(Duration::from_secs(5)));
    lock.release().unwrap();
}

#[test]
fn facade_rlock() {
    let r = RLock::new();
    let outer: RLockGuard<'_> = r.lock();
    let inner = r.lock();
    assert_eq!(r.recursion_count(), 2);
    let saved: RLockState = r.release_save().unwrap();
    assert_eq!(saved.count(), 2);
    assert!(!r.locked());
    r.acquire_restore(saved);
    drop(inner);
    drop(outer);
    assert!(!r.locked());
}

#[test]
fn facade_lockable() {
    // Generic code over both locks, as Condition is.
    fn depth_saved<L: Lockable>(lock: &L) -> L::Saved {
        lock.acquire();
        assert!(lock.is_owned());
        lock.release_save().unwrap()
    }
    let lock = Lock::new();
    depth_saved(&lock);
    assert!(!lock.locked());
    let r = RLock::new();
    r.acquire();
    assert_eq!(depth_saved(&r).count(), 2);
    assert!(!r.locked());
}

#[test]
fn facade_runtime_error() {
    let err: RuntimeError = Lock::new().release().unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::ReleaseUnlocked);
    assert_eq!(err.to_string(), "release unlocked lock");
    let err = RLock::new().release().unwrap_err();
    assert!(matches!(err.kind(), RuntimeErrorKind::ReleaseUnowned));
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
    // It is a std error, usable with `?` into `Box<dyn Error>`.
    fn fails() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Lock::new().release()?;
        Ok(())
    }
    assert_eq!(fails().unwrap_err().to_string(), "release unlocked lock");
}

#[test]
fn facade_value_error() {
    // No primitive in the facade returns a ValueError yet (Semaphore and Barrier will); the
    // type and its kinds are reachable and carry CPython's messages.
    let cases = [
        (ValueErrorKind::SemaphoreReleasedTooManyTimes, "Semaphore released too many times"),
        (ValueErrorKind::ReleaseCountZero, "n must be one or more"),
        (ValueErrorKind::BarrierParties, "parties must be > 0"),
    ];
    for (kind, message) in cases {
        let err: ValueError = ValueError::new(kind);
        assert_eq!(err.kind(), kind);
        assert_eq!(err.to_string(), message);
        assert_eq!(err.message(), message);
    }
}

// Condition, Semaphore, BoundedSemaphore, Event, Barrier: a `facade_<name>` test each.

#[test]
fn facade_condition() {
    // Default: over a new RLock, as in Python; the guard is the `with cond:` block.
    let cond = Arc::new(Condition::new());
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiter = {
        let (cond, ready) = (Arc::clone(&cond), Arc::clone(&ready));
        thread::spawn(move || {
            let guard: ConditionGuard<'_> = cond.lock();
            guard.wait_for(|| ready.load(std::sync::atomic::Ordering::SeqCst)).unwrap()
        })
    };
    {
        let guard = cond.lock();
        ready.store(true, std::sync::atomic::Ordering::SeqCst);
        guard.notify_all().unwrap();
    }
    assert!(waiter.join().unwrap());
    // Over a plain Lock; notifying without the lock is Python's RuntimeError.
    let over_lock = Condition::with_lock(Lock::new());
    assert_eq!(over_lock.notify().unwrap_err().kind(), RuntimeErrorKind::NotifyUnacquired);
    let g = over_lock.lock();
    assert_eq!(g.wait_timeout(Duration::from_millis(1)), Ok(false));
    assert!(over_lock.lock_ref().locked());
}

#[test]
fn facade_barrier() {
    let builder: BarrierBuilder = Barrier::builder(2).timeout(Duration::from_secs(60));
    let barrier = Arc::new(builder.build());
    let other = {
        let b = Arc::clone(&barrier);
        thread::spawn(move || b.wait())
    };
    let mine = barrier.wait().unwrap();
    let theirs = other.join().unwrap().unwrap();
    assert_eq!(mine + theirs, 1, "arrival indices 0 and 1");
    barrier.abort();
    let err: BrokenBarrierError = barrier.wait().unwrap_err();
    assert_eq!(err.to_string(), "barrier is broken");
    assert!(Barrier::try_new(0).is_err());
}

#[test]
fn facade_local() {
    // Python's doctest: a thread sets its own value; the main thread's is unchanged.
    let mydata = Arc::new(Local::new(|| std::cell::Cell::new(0)));
    mydata.set(42);
    let d = Arc::clone(&mydata);
    let seen = thread::spawn(move || {
        let fresh = d.get();
        d.set(11);
        (fresh, d.get())
    })
    .join()
    .unwrap();
    assert_eq!(seen, (0, 11));
    assert_eq!(mydata.get(), 42);
    assert_eq!(mydata.with(std::cell::Cell::get), 42);
}
