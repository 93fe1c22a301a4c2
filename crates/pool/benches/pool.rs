//! The thread pool against its peers, in the same run: `cargo bench -p threading-pool`.
//!
//! Group `pool`, ids `<case>/<impl>`:
//!
//! * `round_trip`: submit a trivial task to a one-worker pool and wait for its value.
//!   `crossbeam` is the classic hand-rolled pool: a crossbeam-channel job queue and a oneshot
//!   (`bounded(1)`) reply channel per job.
//! * `many_tasks`: the cost per task of pushing many trivial tasks through a pool of
//!   `available_parallelism()` workers and waiting for all of them (in chunks of
//!   [`CHUNK`]; criterion's time is per task). Ours keeps every future and reads every result;
//!   `many_tasks_map` goes through `map`. Peers: `rayon` (`scope` + `spawn`) and `threadpool`
//!   (`execute` + `join`), neither of which hands back results.
//! * `cpu_bound_1`, `cpu_bound_n`: counting primes in 32 pieces on 1 worker and on
//!   `available_parallelism()` workers (time for the whole job). After the criterion run, the
//!   speedup (median of 7 runs each) is printed next to the target 0.9 × N.
//!
//! `benches/cpython/bench_pool.py` measures the same cases with CPython's `ThreadPoolExecutor`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use threading::futures::ThreadPoolExecutor;

/// Tasks per batch in `many_tasks`, for every implementation: bounded memory for the futures
/// kept. 10 000 rather than 100 000: a batch of 100 000 live futures (about 13 MB) no longer
/// fits in the caches, and glibc returns the freed heap to the kernel after every batch and
/// page-faults it back in the next, so the case measured memory traffic more than the pool
/// (about 300 ns per task at 100 000 against 140 ns at 10 000 for ours, see
/// `examples/many_tasks.rs`). The peers keep no futures and do the same work either way; each
/// still waits for the whole batch (`scope`, `join`) before the next.
const CHUNK: u64 = 10_000;

/// A boxed job for the crossbeam baseline.
type Job = Box<dyn FnOnce() + Send>;

fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool");
    let pool = ThreadPoolExecutor::new(1).unwrap();
    g.bench_function(BenchmarkId::new("round_trip", "threading"), |b| {
        b.iter(|| *pool.submit(|| black_box(1_u64)).unwrap().result().unwrap())
    });
    drop(pool);

    let (jobs, queue) = crossbeam::channel::unbounded::<Job>();
    let worker = std::thread::spawn(move || {
        for job in queue {
            job();
        }
    });
    g.bench_function(BenchmarkId::new("round_trip", "crossbeam"), |b| {
        b.iter(|| {
            let (reply, answer) = crossbeam::channel::bounded(1);
            jobs.send(Box::new(move || {
                let _ = reply.send(black_box(1_u64));
            }))
            .unwrap();
            answer.recv().unwrap()
        })
    });
    drop(jobs);
    worker.join().unwrap();
    g.finish();
}

/// Runs `iters` tasks in batches of at most [`CHUNK`] with `batch(n)`; the total time.
fn per_task(iters: u64, mut batch: impl FnMut(u64)) -> Duration {
    let start = Instant::now();
    let mut left = iters;
    while left > 0 {
        let n = left.min(CHUNK);
        batch(n);
        left -= n;
    }
    start.elapsed()
}

fn many_tasks(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool");
    g.sample_size(20);
    let n = workers();

    let pool = ThreadPoolExecutor::new(n).unwrap();
    // One vector for the futures of every batch: allocating it anew per batch is the
    // harness's cost, not the pool's (and its size makes glibc consolidate its free lists).
    let mut fs = Vec::with_capacity(usize::try_from(CHUNK).unwrap());
    g.bench_function(BenchmarkId::new("many_tasks", "threading"), |b| {
        b.iter_custom(|iters| {
            per_task(iters, |k| {
                fs.extend((0..k).map(|i| pool.submit(move || black_box(i)).unwrap()));
                for f in &fs {
                    black_box(f.result().unwrap());
                }
                fs.clear();
            })
        })
    });
    g.bench_function(BenchmarkId::new("many_tasks_map", "threading"), |b| {
        b.iter_custom(|iters| {
            per_task(iters, |k| {
                for r in pool.map(black_box, 0..k).unwrap() {
                    black_box(r.unwrap());
                }
            })
        })
    });
    drop(pool);

    let rayon_pool = rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    g.bench_function(BenchmarkId::new("many_tasks", "rayon"), |b| {
        b.iter_custom(|iters| {
            per_task(iters, |k| {
                rayon_pool.scope(|s| {
                    for i in 0..k {
                        s.spawn(move |_| {
                            black_box(i);
                        });
                    }
                });
            })
        })
    });
    drop(rayon_pool);

    let tp = threadpool::ThreadPool::new(n);
    g.bench_function(BenchmarkId::new("many_tasks", "threadpool"), |b| {
        b.iter_custom(|iters| {
            per_task(iters, |k| {
                for i in 0..k {
                    tp.execute(move || {
                        black_box(i);
                    });
                }
                tp.join();
            })
        })
    });
    g.finish();
}

/// Whether `n` is prime, by trial division (deliberately plain CPU work).
fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

/// Pieces of the CPU-bound job, and numbers per piece.
const PIECES: u64 = 32;
const SPAN: u64 = 6_000;

/// Counts the primes below `PIECES * SPAN`, one task per piece.
fn count_primes(pool: &ThreadPoolExecutor) -> usize {
    let fs: Vec<_> = (0..PIECES)
        .map(|p| {
            pool.submit(move || (p * SPAN..(p + 1) * SPAN).filter(|&k| is_prime(k)).count())
                .unwrap()
        })
        .collect();
    fs.into_iter().map(|f| f.into_result().unwrap()).sum()
}

fn cpu_bound(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool");
    g.sample_size(20);
    let one = ThreadPoolExecutor::new(1).unwrap();
    let all = ThreadPoolExecutor::new(workers()).unwrap();
    assert_eq!(count_primes(&one), count_primes(&all));
    g.bench_function(BenchmarkId::new("cpu_bound_1", "threading"), |b| {
        b.iter(|| count_primes(&one))
    });
    g.bench_function(BenchmarkId::new("cpu_bound_n", "threading"), |b| {
        b.iter(|| count_primes(&all))
    });
    g.finish();

    // The speedup, as medians of a few runs on the same pools.
    let median = |pool: &ThreadPoolExecutor| {
        let mut runs: Vec<Duration> = (0..7)
            .map(|_| {
                let t = Instant::now();
                black_box(count_primes(pool));
                t.elapsed()
            })
            .collect();
        runs.sort();
        runs[runs.len() / 2]
    };
    let (t1, tn) = (median(&one), median(&all));
    eprintln!(
        "pool/cpu_bound: 1 worker {t1:.2?}, {n} workers {tn:.2?}: speedup {:.2} (target >= {:.2})",
        t1.as_secs_f64() / tn.as_secs_f64(),
        0.9 * workers() as f64,
        n = workers(),
    );
}

criterion_group!(benches, round_trip, many_tasks, cpu_bound);
criterion_main!(benches);
