//! Stress tests: many threads, many iterations, the invariant checked on every step.
//!
//! Each test protects a deliberately non-atomic read-modify-write (a `Relaxed` load followed by
//! a `Relaxed` store, so two threads inside at once lose an update) and an "inside" counter that
//! must never exceed the number of holders the primitive allows. The final count is compared
//! with the number of successful acquisitions, so a broken exclusion, a lost wake-up (the test
//! hangs and `PATIENCE` fails it) or an acquisition reported but not taken all fail.
//!
//! Iteration counts are small enough for a debug build on a 2-core machine (well under a second
//! each) and large enough to mix fast-path, spinning and parked acquisitions.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use threading::{Lock, RLock};

// Under Miri every basic block is interpreted: a few hundred steps per thread still mix the
// fast path, spinning and parking, and keep the module to seconds.
const THREADS: usize = if cfg!(miri) { 4 } else { 8 };
const ITERS: usize = if cfg!(miri) { 200 } else { 20_000 };

/// A counter whose increment is a non-atomic read-modify-write, plus an overlap detector.
#[derive(Default)]
struct Guarded {
    value: AtomicUsize,
    inside: AtomicUsize,
}

impl Guarded {
    /// The critical section: at most `max_inside` threads at once, one (racy) increment.
    fn critical(&self, max_inside: usize) {
        let now = self.inside.fetch_add(1, SeqCst) + 1;
        assert!(now <= max_inside, "{now} threads inside, at most {max_inside} allowed");
        let v = self.value.load(Relaxed);
        if v.is_multiple_of(64) {
            thread::yield_now(); // widen the window for a second thread to slip in
        }
        self.value.store(v + 1, Relaxed);
        self.inside.fetch_sub(1, SeqCst);
    }
}

/// Runs `f(thread_index)` on `THREADS` threads and returns the sum of their results.
fn run_threads(f: impl Fn(usize) -> usize + Send + Sync + 'static) -> usize {
    let f = Arc::new(f);
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let f = Arc::clone(&f);
            thread::spawn(move || f(i))
        })
        .collect();
    handles.into_iter().map(|h| h.join().expect("stress thread panicked")).sum()
}

#[test]
fn stress_lock_every_acquire_form_is_exclusive() {
    let shared = Arc::new((Lock::new(), Guarded::default()));
    let s = Arc::clone(&shared);
    let acquired = run_threads(move |t| {
        let (lock, data) = &*s;
        let mut got = 0;
        for i in 0..ITERS {
            // Every thread cycles through every way of taking the lock.
            let ok = match (t + i) % 5 {
                0 => {
                    lock.acquire();
                    true
                }
                1 => lock.try_acquire(),
                2 => lock.acquire_timeout(Duration::from_micros(50)),
                3 => lock.acquire_timeout(Duration::MAX),
                _ => {
                    let _guard = lock.lock();
                    data.critical(1);
                    got += 1;
                    continue;
                }
            };
            if ok {
                data.critical(1);
                got += 1;
                lock.release().expect("the holder releases a locked lock");
            }
        }
        got
    });
    let (lock, data) = &*shared;
    assert_eq!(data.value.load(SeqCst), acquired, "an update was lost: exclusion broken");
    assert!(acquired >= THREADS * ITERS * 2 / 5, "blocking forms always acquire");
    assert!(!lock.locked());
}

#[test]
fn stress_lock_released_by_other_threads() {
    // The lock as a binary semaphore: whoever holds it hands it on, and a *different* thread
    // releases it. Each round one thread acquires (blocking) and another releases.
    const ROUNDS: usize = if cfg!(miri) { 50 } else { 2_000 };
    let lock = Arc::new(Lock::new());
    let handed = Arc::new(AtomicUsize::new(0));
    lock.acquire();
    let (l, h) = (Arc::clone(&lock), Arc::clone(&handed));
    let taker = thread::spawn(move || {
        for _ in 0..ROUNDS {
            l.acquire(); // blocks until the releaser below lets it through
            h.fetch_add(1, SeqCst);
        }
    });
    for round in 0..ROUNDS {
        // Wait until the taker is holding it again (or, for round 0, the main thread does),
        // then release on its behalf.
        while handed.load(SeqCst) < round {
            thread::yield_now();
        }
        loop {
            match lock.release() {
                Ok(()) => break,
                // The taker has not re-acquired yet after the previous hand-off.
                Err(_) => thread::yield_now(),
            }
        }
    }
    taker.join().unwrap();
    assert_eq!(handed.load(SeqCst), ROUNDS);
    assert!(lock.locked(), "the taker's last acquire is still held");
    lock.release().unwrap();
}

#[test]
fn stress_rlock_recursive_exclusion() {
    let shared = Arc::new((RLock::new(), Guarded::default()));
    let s = Arc::clone(&shared);
    let acquired = run_threads(move |t| {
        let (rlock, data) = &*s;
        let mut got = 0;
        for i in 0..ITERS {
            let depth = 1 + (t + i) % 3;
            let ok = if i % 4 == 3 {
                rlock.acquire_timeout(Duration::from_micros(50))
            } else {
                rlock.acquire();
                true
            };
            if !ok {
                continue;
            }
            // Re-enter: never blocks for the owner, whatever the form.
            for d in 1..depth {
                match d % 3 {
                    0 => rlock.acquire(),
                    1 => assert!(rlock.try_acquire(), "the owner re-enters at once"),
                    _ => assert!(rlock.acquire_timeout(Duration::ZERO)),
                }
            }
            assert_eq!(rlock.recursion_count(), depth);
            assert!(rlock.is_owned());
            data.critical(1);
            got += 1;
            for _ in 0..depth {
                rlock.release().expect("the owner releases");
            }
            assert!(!rlock.is_owned());
        }
        got
    });
    let (rlock, data) = &*shared;
    assert_eq!(data.value.load(SeqCst), acquired, "an update was lost: exclusion broken");
    assert!(acquired >= THREADS * ITERS * 3 / 4, "blocking acquires always succeed");
    assert!(!rlock.locked());
}

#[test]
fn stress_rlock_non_owners_never_release() {
    // While threads churn through the RLock, others keep trying to release it without owning
    // it: every such attempt must fail and change nothing.
    let shared = Arc::new((RLock::new(), Guarded::default(), AtomicUsize::new(0)));
    let s = Arc::clone(&shared);
    let acquired = run_threads(move |t| {
        let (rlock, data, rejected) = &*s;
        let mut got = 0;
        for _ in 0..ITERS / 2 {
            if t % 2 == 0 {
                let _g = rlock.lock();
                data.critical(1);
                got += 1;
            } else if rlock.release().is_err() {
                rejected.fetch_add(1, Relaxed);
            } else {
                panic!("a thread that does not own the RLock released it");
            }
        }
        got
    });
    let (rlock, data, rejected) = &*shared;
    assert_eq!(data.value.load(SeqCst), acquired);
    assert_eq!(rejected.load(SeqCst), THREADS / 2 * (ITERS / 2));
    assert!(!rlock.locked());
}
