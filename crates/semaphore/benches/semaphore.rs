//! Semaphore against its peers, in the same run: `cargo bench -p threading-semaphore`.
//!
//! Group `semaphore`, ids `<case>/<impl>`:
//! * `uncontended`: one acquire + release on one thread (the semaphore passes through
//!   `black_box` once per iteration, as in the lock bench). `threading` is our `Semaphore`,
//!   `threading_lock` our `Lock` (the baseline of the performance target: a semaphore should
//!   cost no more than a lock), `parking_lot` and `std` the classic semaphore built from a
//!   mutex-protected counter and a condition variable (below).
//! * `uncontended_guard`: the same through the RAII permit (`with sem:`).
//! * `contended_2t`: 2 threads each doing `ITERS` increments of a shared counter under a
//!   `Semaphore(1)` (time per increment), as in the lock bench.
//!
//! `benches/cpython/bench_semaphore.py` measures the same cases with CPython's `threading.Semaphore`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use threading_core::hint::CachePadded;

const ITERS: u64 = 20_000;

/// The textbook semaphore on `parking_lot`: a counter under a mutex, and a condvar to wait on.
struct PlSemaphore {
    value: parking_lot::Mutex<usize>,
    cv: parking_lot::Condvar,
}

impl PlSemaphore {
    fn new(value: usize) -> Self {
        PlSemaphore { value: parking_lot::Mutex::new(value), cv: parking_lot::Condvar::new() }
    }

    fn acquire(&self) {
        let mut v = self.value.lock();
        while *v == 0 {
            self.cv.wait(&mut v);
        }
        *v -= 1;
    }

    fn release(&self) {
        *self.value.lock() += 1;
        self.cv.notify_one();
    }
}

/// The same on `std::sync`.
struct StdSemaphore {
    value: std::sync::Mutex<usize>,
    cv: std::sync::Condvar,
}

impl StdSemaphore {
    fn new(value: usize) -> Self {
        StdSemaphore { value: std::sync::Mutex::new(value), cv: std::sync::Condvar::new() }
    }

    fn acquire(&self) {
        let mut v = self.value.lock().unwrap();
        while *v == 0 {
            v = self.cv.wait(v).unwrap();
        }
        *v -= 1;
    }

    fn release(&self) {
        *self.value.lock().unwrap() += 1;
        self.cv.notify_one();
    }
}

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("semaphore");
    // Every primitive alone in a 128-byte-aligned heap block, so no case depends on the stack
    // slot it lands in or on what shares its cache line.
    let ours = Box::new(CachePadded(threading::Semaphore::new(1)));
    g.bench_function(BenchmarkId::new("uncontended", "threading"), |b| {
        b.iter(|| {
            let s = black_box(&ours.0);
            s.acquire();
            s.release();
        })
    });
    let lock = Box::new(CachePadded(threading::Lock::new()));
    g.bench_function(BenchmarkId::new("uncontended", "threading_lock"), |b| {
        b.iter(|| {
            let s = black_box(&lock.0);
            s.acquire();
            s.release().unwrap();
        })
    });
    let pl = Box::new(CachePadded(PlSemaphore::new(1)));
    g.bench_function(BenchmarkId::new("uncontended", "parking_lot"), |b| {
        b.iter(|| {
            let s = black_box(&pl.0);
            s.acquire();
            s.release();
        })
    });
    let std = Box::new(CachePadded(StdSemaphore::new(1)));
    g.bench_function(BenchmarkId::new("uncontended", "std"), |b| {
        b.iter(|| {
            let s = black_box(&std.0);
            s.acquire();
            s.release();
        })
    });
    let guard_ours = Box::new(CachePadded(threading::Semaphore::new(1)));
    g.bench_function(BenchmarkId::new("uncontended_guard", "threading"), |b| {
        b.iter(|| drop(black_box(&guard_ours.0).permit()))
    });
    g.finish();
}

/// Runs `work(ITERS)` on two threads started together; returns the time per increment.
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
    let mut g = c.benchmark_group("semaphore");
    g.sample_size(20);
    g.bench_function(BenchmarkId::new("contended_2t", "threading"), |b| {
        struct S(threading::Semaphore, AtomicU64);
        let s = Arc::new(S(threading::Semaphore::new(1), AtomicU64::new(0)));
        b.iter_custom(|n| {
            two_threads(n, s.clone(), |s, k| {
                for _ in 0..k {
                    let _p = s.0.permit();
                    s.1.store(s.1.load(Relaxed) + 1, Relaxed);
                }
            }) * (n as u32)
        })
    });
    g.bench_function(BenchmarkId::new("contended_2t", "threading_lock"), |b| {
        struct S(threading::Lock, AtomicU64);
        let s = Arc::new(S(threading::Lock::new(), AtomicU64::new(0)));
        b.iter_custom(|n| {
            two_threads(n, s.clone(), |s, k| {
                for _ in 0..k {
                    let _g = s.0.lock();
                    s.1.store(s.1.load(Relaxed) + 1, Relaxed);
                }
            }) * (n as u32)
        })
    });
    g.bench_function(BenchmarkId::new("contended_2t", "parking_lot"), |b| {
        struct S(PlSemaphore, AtomicU64);
        let s = Arc::new(S(PlSemaphore::new(1), AtomicU64::new(0)));
        b.iter_custom(|n| {
            two_threads(n, s.clone(), |s, k| {
                for _ in 0..k {
                    s.0.acquire();
                    s.1.store(s.1.load(Relaxed) + 1, Relaxed);
                    s.0.release();
                }
            }) * (n as u32)
        })
    });
    g.bench_function(BenchmarkId::new("contended_2t", "std"), |b| {
        struct S(StdSemaphore, AtomicU64);
        let s = Arc::new(S(StdSemaphore::new(1), AtomicU64::new(0)));
        b.iter_custom(|n| {
            two_threads(n, s.clone(), |s, k| {
                for _ in 0..k {
                    s.0.acquire();
                    s.1.store(s.1.load(Relaxed) + 1, Relaxed);
                    s.0.release();
                }
            }) * (n as u32)
        })
    });
    g.finish();
}

criterion_group!(benches, uncontended, contended);
criterion_main!(benches);
