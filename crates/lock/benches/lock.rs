//! Lock against its peers, in the same run: `cargo xtask bench` (or `cargo bench -p threading-lock`).
//!
//! Group `lock`, ids `<case>/<impl>`: `uncontended` is one acquire + release on one thread;
//! `contended_2t` is 2 threads each doing `ITERS` locked increments of a shared counter (time per
//! increment). `benches/cpython/bench_lock.py` measures the same cases with CPython's `threading.Lock`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use threading_core::hint::CachePadded;

const ITERS: u64 = 20_000;

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("lock");
    // Every primitive alone in a 128-byte-aligned heap block, so no case depends on the stack
    // slot it lands in or on what shares its cache line.
    let ours = Box::new(CachePadded(threading::Lock::new()));
    g.bench_function(BenchmarkId::new("uncontended", "threading"), |b| {
        b.iter(|| {
            // One black_box, as in the peers' `drop(black_box(&m).lock())`.
            let lock = black_box(&ours.0);
            lock.acquire();
            lock.release().unwrap();
        })
    });
    let guard_ours = Box::new(CachePadded(threading::Lock::new()));
    g.bench_function(BenchmarkId::new("uncontended_guard", "threading"), |b| {
        b.iter(|| drop(black_box(&guard_ours.0).lock()))
    });
    let std = Box::new(CachePadded(std::sync::Mutex::new(())));
    g.bench_function(BenchmarkId::new("uncontended", "std"), |b| {
        b.iter(|| drop(black_box(&std.0).lock()))
    });
    let pl = Box::new(CachePadded(parking_lot::Mutex::new(())));
    g.bench_function(BenchmarkId::new("uncontended", "parking_lot"), |b| {
        b.iter(|| drop(black_box(&pl.0).lock()))
    });
    g.finish();
}

/// Runs `work(ITERS)` on two threads started together, `iters` times; returns `iters` times
/// the time per increment, which is what `iter_custom` wants (the total for `iters` iterations,
/// one iteration being one increment).
fn two_threads<S: Send + Sync + 'static>(
    iters: u64,
    shared: Arc<S>,
    work: fn(&S, u64),
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Arc::new(Barrier::new(3));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (shared, start) = (shared.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    work(&shared, ITERS);
                })
            })
            .collect();
        start.wait();
        let t = Instant::now();
        for h in handles {
            h.join().unwrap();
        }
        total += t.elapsed();
    }
    total / (2 * ITERS as u32)
}

fn contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("lock");
    g.sample_size(20);
    g.bench_function(BenchmarkId::new("contended_2t", "threading"), |b| {
        struct S(threading::Lock, AtomicU64);
        let s = Arc::new(S(threading::Lock::new(), AtomicU64::new(0)));
        b.iter_custom(|n| {
            two_threads(n, s.clone(), |s, k| {
                for _ in 0..k {
                    let _g = s.0.lock();
                    s.1.store(s.1.load(Relaxed) + 1, Relaxed);
                }
            })
        })
    });
    g.bench_function(BenchmarkId::new("contended_2t", "std"), |b| {
        let s = Arc::new(std::sync::Mutex::new(0u64));
        b.iter_custom(|n| {
            two_threads(n, s.clone(), |s, k| {
                for _ in 0..k {
                    *s.lock().unwrap() += 1;
                }
            })
        })
    });
    g.bench_function(BenchmarkId::new("contended_2t", "parking_lot"), |b| {
        let s = Arc::new(parking_lot::Mutex::new(0u64));
        b.iter_custom(|n| {
            two_threads(n, s.clone(), |s, k| {
                for _ in 0..k {
                    *s.lock() += 1;
                }
            })
        })
    });
    g.finish();
}

criterion_group!(benches, uncontended, contended);
criterion_main!(benches);
