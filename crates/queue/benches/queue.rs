//! Queue against its peers, in the same run: `cargo bench -p threading-queue`.
//!
//! Group `queue`, ids `<case>/<impl>`:
//!
//! * `uncontended_bounded`: one `put` + one `get` on one thread, capacity 1024
//!   (`threading::Queue::new(1024)`, `crossbeam_channel::bounded(1024)`,
//!   `std::sync::mpsc::sync_channel(1024)`);
//! * `uncontended_unbounded`: the same on an unbounded queue (`Queue::new(0)`,
//!   `threading::SimpleQueue` as `threading_simple`, `crossbeam_channel::unbounded()`,
//!   `std::sync::mpsc::channel()`);
//! * `spsc`: one producer and one consumer thread pass `ITEMS` items through capacity 1024
//!   (time per item);
//! * `mpmc_2x2`: two producers and two consumers pass `ITEMS` items through capacity 1024
//!   (time per item; `std`'s receiver cannot be shared, so no `std` row).
//!
//! `benches/cpython/bench_queue.py` measures the same cases with CPython's `queue.Queue` and
//! `queue.SimpleQueue`.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Items per threaded run.
const ITEMS: u64 = 20_000;
/// Capacity of the bounded queues.
const CAP: usize = 1024;

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue");

    let q = threading::Queue::new(CAP);
    g.bench_function(BenchmarkId::new("uncontended_bounded", "threading"), |b| {
        b.iter(|| {
            black_box(&q).put(black_box(1u64)).unwrap();
            black_box(black_box(&q).get().unwrap());
        })
    });
    let (tx, rx) = crossbeam_channel::bounded(CAP);
    g.bench_function(BenchmarkId::new("uncontended_bounded", "crossbeam"), |b| {
        b.iter(|| {
            black_box(&tx).send(black_box(1u64)).unwrap();
            black_box(black_box(&rx).recv().unwrap());
        })
    });
    let (tx, rx) = std::sync::mpsc::sync_channel(CAP);
    g.bench_function(BenchmarkId::new("uncontended_bounded", "std"), |b| {
        b.iter(|| {
            black_box(&tx).send(black_box(1u64)).unwrap();
            black_box(black_box(&rx).recv().unwrap());
        })
    });

    let q = threading::Queue::new(0);
    g.bench_function(BenchmarkId::new("uncontended_unbounded", "threading"), |b| {
        b.iter(|| {
            black_box(&q).put(black_box(1u64)).unwrap();
            black_box(black_box(&q).get().unwrap());
        })
    });
    let q = threading::SimpleQueue::new();
    g.bench_function(BenchmarkId::new("uncontended_unbounded", "threading_simple"), |b| {
        b.iter(|| {
            black_box(&q).put(black_box(1u64));
            black_box(black_box(&q).get());
        })
    });
    let (tx, rx) = crossbeam_channel::unbounded();
    g.bench_function(BenchmarkId::new("uncontended_unbounded", "crossbeam"), |b| {
        b.iter(|| {
            black_box(&tx).send(black_box(1u64)).unwrap();
            black_box(black_box(&rx).recv().unwrap());
        })
    });
    let (tx, rx) = std::sync::mpsc::channel();
    g.bench_function(BenchmarkId::new("uncontended_unbounded", "std"), |b| {
        b.iter(|| {
            black_box(&tx).send(black_box(1u64)).unwrap();
            black_box(black_box(&rx).recv().unwrap());
        })
    });
    g.finish();
}

/// Runs `producers` threads each calling `produce(ITEMS / producers)` and `consumers` threads
/// each calling `consume(ITEMS / consumers)`, started together; returns the total time of
/// `iters` such runs divided by `ITEMS` (time per item, times `iters`).
fn run_threads<P, C>(iters: u64, producers: u64, consumers: u64, produce: P, consume: C) -> Duration
where
    P: Fn(u64) + Send + Sync + Clone + 'static,
    C: Fn(u64) + Send + Sync + Clone + 'static,
{
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Arc::new(Barrier::new((producers + consumers + 1) as usize));
        let mut handles = Vec::new();
        for _ in 0..producers {
            let (start, produce) = (Arc::clone(&start), produce.clone());
            handles.push(thread::spawn(move || {
                start.wait();
                produce(ITEMS / producers);
            }));
        }
        for _ in 0..consumers {
            let (start, consume) = (Arc::clone(&start), consume.clone());
            handles.push(thread::spawn(move || {
                start.wait();
                consume(ITEMS / consumers);
            }));
        }
        start.wait();
        let t = Instant::now();
        for h in handles {
            h.join().unwrap();
        }
        total += t.elapsed();
    }
    total / ITEMS as u32
}

fn threaded(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue");
    g.sample_size(20);
    for (case, p, n) in [("spsc", 1, 1), ("mpmc_2x2", 2, 2)] {
        g.bench_function(BenchmarkId::new(case, "threading"), |b| {
            let q = Arc::new(threading::Queue::new(CAP));
            b.iter_custom(|iters| {
                let (qp, qc) = (Arc::clone(&q), Arc::clone(&q));
                run_threads(
                    iters,
                    p,
                    n,
                    move |k| {
                        for i in 0..k {
                            qp.put(i).unwrap();
                        }
                    },
                    move |k| {
                        for _ in 0..k {
                            black_box(qc.get().unwrap());
                        }
                    },
                )
            })
        });
        g.bench_function(BenchmarkId::new(case, "crossbeam"), |b| {
            let (tx, rx) = crossbeam_channel::bounded(CAP);
            b.iter_custom(|iters| {
                let (tx, rx) = (tx.clone(), rx.clone());
                run_threads(
                    iters,
                    p,
                    n,
                    move |k| {
                        for i in 0..k {
                            tx.send(i).unwrap();
                        }
                    },
                    move |k| {
                        for _ in 0..k {
                            black_box(rx.recv().unwrap());
                        }
                    },
                )
            })
        });
    }
    g.bench_function(BenchmarkId::new("spsc", "std"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (tx, rx) = std::sync::mpsc::sync_channel(CAP);
                let start = Arc::new(Barrier::new(3));
                let s = Arc::clone(&start);
                let producer = thread::spawn(move || {
                    s.wait();
                    for i in 0..ITEMS {
                        tx.send(i).unwrap();
                    }
                });
                let s = Arc::clone(&start);
                let consumer = thread::spawn(move || {
                    s.wait();
                    for _ in 0..ITEMS {
                        black_box(rx.recv().unwrap());
                    }
                });
                start.wait();
                let t = Instant::now();
                producer.join().unwrap();
                consumer.join().unwrap();
                total += t.elapsed();
            }
            total / ITEMS as u32
        })
    });
    g.finish();
}

criterion_group!(benches, uncontended, threaded);
criterion_main!(benches);
