//! Thread against `std::thread`, in the same run: `cargo bench -p threading-thread`.
//!
//! Group `thread`, ids `<case>/<impl>`: `start_join` creates, starts and joins a thread whose
//! target does nothing (`Thread::new` + `start` + `join` against `std::thread::spawn` +
//! `join`); `current_thread` is one `current_thread()` (against `std::thread::current()`) on
//! the bench's thread, after the first call. `benches/cpython/bench_thread.py` measures the same
//! cases with CPython's `threading`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn start_join(c: &mut Criterion) {
    let mut g = c.benchmark_group("thread");
    g.bench_function(BenchmarkId::new("start_join", "threading"), |b| {
        b.iter(|| {
            let t = threading::Thread::new(|| ());
            t.start().unwrap();
            t.join().unwrap();
        })
    });
    g.bench_function(BenchmarkId::new("start_join", "std"), |b| {
        b.iter(|| std::thread::spawn(|| ()).join().unwrap())
    });
    g.finish();
}

fn current(c: &mut Criterion) {
    let mut g = c.benchmark_group("thread");
    drop(threading::current_thread());
    g.bench_function(BenchmarkId::new("current_thread", "threading"), |b| {
        b.iter(|| black_box(threading::current_thread()))
    });
    g.bench_function(BenchmarkId::new("current_thread", "std"), |b| {
        b.iter(|| black_box(std::thread::current()))
    });
    g.finish();
}

criterion_group!(benches, start_join, current);
criterion_main!(benches);
