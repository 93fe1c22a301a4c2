//! loom models of the shipped primitives (built only under `--cfg threading_loom`).
#![cfg(threading_loom)]

use threading_core::model::loom;
use loom::sync::Arc;
use loom::thread;
use std::time::Duration;
use threading::Lock;

#[test]
fn smoke_lock_timed_vs_release() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        lock.acquire();
        let l2 = lock.clone();
        let t = thread::spawn(move || l2.acquire_timeout(Duration::from_millis(10)));
        let c = thread::spawn(|| threading_core::model::clock::expire());
        lock.release().unwrap();
        let got = t.join().unwrap();
        c.join().unwrap();
        if got { lock.release().unwrap(); }
        assert!(!lock.locked());
    });
}

#[test]
fn smoke_lock_mutex() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let n = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let ts: Vec<_> = (0..2).map(|_| { let l = lock.clone(); let n = n.clone(); thread::spawn(move || {
            let _g = l.lock();
            let v = n.load(loom::sync::atomic::Ordering::Relaxed);
            n.store(v + 1, loom::sync::atomic::Ordering::Relaxed);
        })}).collect();
        for t in ts { t.join().unwrap(); }
        assert_eq!(n.load(loom::sync::atomic::Ordering::Relaxed), 2);
    });
}

#[test]
fn smoke_lock_three() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let ts: Vec<_> = (0..3).map(|_| { let l = lock.clone(); thread::spawn(move || {
            let _g = l.lock();
        })}).collect();
        for t in ts { t.join().unwrap(); }
    });
}
