//! Barrier against `std::sync::Barrier`, in the same run: `cargo xtask bench` (or
//! `cargo bench -p threading-barrier`).
//!
//! Group `barrier`, ids `<case>/<impl>`: `rounds_2t` is 2 threads passing the same barrier
//! round after round, `rounds_4t` the same with 4 threads (on a 2-core machine most of those
//! waits end up parked). The time is per round, measured on one of the threads after a first
//! round that lines them all up, so thread start-up is not counted.
//! `benches/cpython/bench_barrier.py` measures the same cases with CPython's `threading.Barrier`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// `parties` threads (this one and `parties - 1` helpers) each pass `barrier` `1 + rounds`
/// times; returns the time this thread took for the last `rounds` rounds.
fn rounds<B: Send + Sync + 'static>(
    parties: usize,
    rounds: u64,
    barrier: &Arc<B>,
    wait: fn(&B),
) -> Duration {
    let helpers: Vec<_> = (1..parties)
        .map(|_| {
            let barrier = Arc::clone(barrier);
            std::thread::spawn(move || {
                for _ in 0..=rounds {
                    wait(&barrier);
                }
            })
        })
        .collect();
    wait(barrier); // everybody has started
    let start = Instant::now();
    for _ in 0..rounds {
        wait(barrier);
    }
    let elapsed = start.elapsed();
    for h in helpers {
        h.join().unwrap();
    }
    elapsed
}

fn barrier(c: &mut Criterion) {
    let mut g = c.benchmark_group("barrier");
    g.sample_size(30);
    for parties in [2, 4] {
        let case = format!("rounds_{parties}t");
        let ours = Arc::new(threading::Barrier::new(parties));
        g.bench_function(BenchmarkId::new(&case, "threading"), |b| {
            b.iter_custom(|n| {
                rounds(parties, n, &ours, |b| {
                    b.wait().unwrap();
                })
            })
        });
        let std = Arc::new(std::sync::Barrier::new(parties));
        g.bench_function(BenchmarkId::new(&case, "std"), |b| {
            b.iter_custom(|n| {
                rounds(parties, n, &std, |b| {
                    b.wait();
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, barrier);
criterion_main!(benches);
