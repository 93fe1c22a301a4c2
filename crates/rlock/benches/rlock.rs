//! RLock against `parking_lot::ReentrantMutex`, in the same run: `cargo xtask bench`.
//!
//! Group `rlock`, ids `<case>/<impl>`: `depth1` is one acquire + release on one thread,
//! `depth3` acquires three levels deep and releases them all (time per full round); both with
//! guards, like for like with parking_lot. `depth1_calls`/`depth3_calls` use Python's
//! `acquire()`/`release()` call style, where every release checks the caller's identity.
//! `benches/cpython/bench_rlock.py` measures the same cases with CPython's `threading.RLock`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use threading_core::hint::CachePadded;

fn rlock(c: &mut Criterion) {
    let mut g = c.benchmark_group("rlock");
    // Every primitive alone in a 128-byte-aligned heap block, so no case depends on the stack
    // slot it lands in or on what shares its cache line.
    let ours = Box::new(CachePadded(threading::RLock::new()));
    // Like for like with parking_lot, which only has guards: `with rlock:` nested.
    g.bench_function(BenchmarkId::new("depth1", "threading"), |b| {
        b.iter(|| drop(black_box(&ours.0).lock()))
    });
    g.bench_function(BenchmarkId::new("depth3", "threading"), |b| {
        b.iter(|| {
            let r = black_box(&ours.0);
            let g1 = r.lock();
            let g2 = r.lock();
            let g3 = r.lock();
            drop(g3);
            drop(g2);
            drop(g1);
        })
    });
    // Python's call style: every `release()` checks the caller's identity.
    g.bench_function(BenchmarkId::new("depth1_calls", "threading"), |b| {
        b.iter(|| {
            black_box(&ours.0).acquire();
            black_box(&ours.0).release().unwrap();
        })
    });
    g.bench_function(BenchmarkId::new("depth3_calls", "threading"), |b| {
        b.iter(|| {
            let r = black_box(&ours.0);
            r.acquire();
            r.acquire();
            r.acquire();
            r.release().unwrap();
            r.release().unwrap();
            r.release().unwrap();
        })
    });
    let pl = Box::new(CachePadded(parking_lot::ReentrantMutex::new(())));
    g.bench_function(BenchmarkId::new("depth1", "parking_lot"), |b| {
        b.iter(|| drop(black_box(&pl.0).lock()))
    });
    g.bench_function(BenchmarkId::new("depth3", "parking_lot"), |b| {
        b.iter(|| {
            let r = black_box(&pl.0);
            let g1 = r.lock();
            let g2 = r.lock();
            let g3 = r.lock();
            drop(g3);
            drop(g2);
            drop(g1);
        })
    });
    g.finish();
}

criterion_group!(benches, rlock);
criterion_main!(benches);
