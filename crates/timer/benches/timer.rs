//! Timer against a hand-made std equivalent, in the same run: `cargo bench -p threading-timer`.
//!
//! Group `timer`, ids `<case>/<impl>`: `start_cancel_join` creates and starts a timer with a
//! one-hour interval, cancels it and joins its thread (the cancel must wake the timer thread:
//! the case takes microseconds, not an hour). The `std` peer is a thread waiting on
//! `mpsc::Receiver::recv_timeout(1 h)`, woken by a send. `benches/cpython/bench_timer.py` measures
//! the same case with CPython's `threading.Timer`.

use std::sync::mpsc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const HOUR: Duration = Duration::from_secs(3600);

fn start_cancel_join(c: &mut Criterion) {
    let mut g = c.benchmark_group("timer");
    g.bench_function(BenchmarkId::new("start_cancel_join", "threading"), |b| {
        b.iter(|| {
            let t = threading::Timer::new(HOUR, || unreachable!("cancelled"));
            t.start().unwrap();
            t.cancel();
            t.join().unwrap();
        })
    });
    g.bench_function(BenchmarkId::new("start_cancel_join", "std"), |b| {
        b.iter(|| {
            let (cancel, cancelled) = mpsc::channel::<()>();
            let h = std::thread::spawn(move || {
                if cancelled.recv_timeout(HOUR).is_err() {
                    unreachable!("cancelled");
                }
            });
            cancel.send(()).unwrap();
            h.join().unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, start_cancel_join);
criterion_main!(benches);
