//! Local against its peers, in the same run: `cargo xtask bench` (or `cargo bench -p threading-local`).
//!
//! Group `local`, ids `<case>/<impl>`: `get` reads an already initialised per-thread value
//! (`Local<Cell<u64>>::get`, `thread_local::ThreadLocal::get`, `std::thread_local!` `with`).
//! `new_get_drop` creates an object, initialises this thread's value and drops the object (the
//! cold paths: id assignment, slot allocation, drop). `benches/cpython/bench_local.py` measures the
//! same cases with CPython's `threading.local`.

use std::cell::Cell;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

std::thread_local! {
    static STD: Cell<u64> = const { Cell::new(1) };
}

fn get(c: &mut Criterion) {
    let mut g = c.benchmark_group("local");
    let ours = threading::Local::new(|| Cell::new(1u64));
    let _ = ours.get();
    g.bench_function(BenchmarkId::new("get", "threading"), |b| b.iter(|| black_box(&ours).get()));
    let peer = thread_local::ThreadLocal::new();
    let _ = peer.get_or(|| Cell::new(1u64));
    g.bench_function(BenchmarkId::new("get", "thread_local"), |b| {
        b.iter(|| black_box(&peer).get().map(Cell::get))
    });
    g.bench_function(BenchmarkId::new("get", "std"), |b| b.iter(|| STD.with(Cell::get)));
    g.finish();
}

fn new_get_drop(c: &mut Criterion) {
    let mut g = c.benchmark_group("local");
    g.bench_function(BenchmarkId::new("new_get_drop", "threading"), |b| {
        b.iter(|| {
            let l = threading::Local::new(|| Cell::new(1u64));
            black_box(l.get())
        })
    });
    g.bench_function(BenchmarkId::new("new_get_drop", "thread_local"), |b| {
        b.iter(|| {
            let l = thread_local::ThreadLocal::new();
            black_box(l.get_or(|| Cell::new(1u64)).get())
        })
    });
    g.finish();
}

criterion_group!(benches, get, new_get_drop);
criterion_main!(benches);
