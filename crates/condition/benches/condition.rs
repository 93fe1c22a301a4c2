//! Condition against its peers, in the same run: `cargo xtask bench` (or
//! `cargo bench -p threading-condition`).
//!
//! Group `condition`, ids `<case>/<impl>`:
//!
//! * `ping_pong`: one round trip between two threads. Thread A sets `turn = B`, notifies and
//!   waits until `turn == A`; thread B mirrors it. Time per round trip (two notifies, two
//!   wake-ups). Impls: our `Condition` over a `Lock` (`threading`) and over its default `RLock`
//!   (`threading_rlock`), `std::sync::{Mutex, Condvar}` (`std`) and `parking_lot::{Mutex,
//!   Condvar}` (`parking_lot`).
//! * `notify_no_waiters`: one `notify` with the lock held and nobody waiting.
//!
//! `benches/cpython/bench_condition.py` measures the same cases with CPython's `threading.Condition`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use threading::{Condition, Lock, Lockable, RLock};

/// The two sides of a ping-pong: `side(true, n)` is thread A, `side(false, n)` thread B; each
/// plays `n` rounds.
trait PingPong: Send + Sync + 'static {
    fn side(&self, a: bool, rounds: u64);
}

/// Our condition; `turn` (`true`: A's turn) is only touched with the lock held.
struct Ours<L: Lockable> {
    cond: Condition<L>,
    turn: AtomicBool,
}

impl<L: Lockable + Send + Sync + 'static> PingPong for Ours<L> {
    fn side(&self, a: bool, rounds: u64) {
        for _ in 0..rounds {
            let guard = self.cond.lock();
            if a {
                self.turn.store(false, Relaxed);
                guard.notify().unwrap();
                guard.wait_for(|| self.turn.load(Relaxed)).unwrap();
            } else {
                guard.wait_for(|| !self.turn.load(Relaxed)).unwrap();
                self.turn.store(true, Relaxed);
                guard.notify().unwrap();
            }
        }
    }
}

/// `std::sync::{Mutex, Condvar}`, the mutex holding `turn`.
struct Std {
    turn: std::sync::Mutex<bool>,
    cv: std::sync::Condvar,
}

impl PingPong for Std {
    fn side(&self, a: bool, rounds: u64) {
        for _ in 0..rounds {
            let mut turn = self.turn.lock().unwrap();
            if a {
                *turn = false;
                self.cv.notify_one();
                drop(self.cv.wait_while(turn, |t| !*t).unwrap());
            } else {
                turn = self.cv.wait_while(turn, |t| *t).unwrap();
                *turn = true;
                self.cv.notify_one();
            }
        }
    }
}

/// `parking_lot::{Mutex, Condvar}`.
struct ParkingLot {
    turn: parking_lot::Mutex<bool>,
    cv: parking_lot::Condvar,
}

impl PingPong for ParkingLot {
    fn side(&self, a: bool, rounds: u64) {
        for _ in 0..rounds {
            let mut turn = self.turn.lock();
            if a {
                *turn = false;
                self.cv.notify_one();
                self.cv.wait_while(&mut turn, |t| !*t);
            } else {
                self.cv.wait_while(&mut turn, |t| *t);
                *turn = true;
                self.cv.notify_one();
            }
        }
    }
}

/// Plays `rounds` round trips between this thread (A) and a new thread (B); returns the time
/// from the start signal until both are done.
fn run<P: PingPong>(shared: &Arc<P>, rounds: u64) -> Duration {
    let start = Arc::new(Barrier::new(2));
    let b = {
        let (shared, start) = (Arc::clone(shared), Arc::clone(&start));
        std::thread::spawn(move || {
            start.wait();
            shared.side(false, rounds);
        })
    };
    start.wait();
    let t = Instant::now();
    shared.side(true, rounds);
    b.join().unwrap();
    t.elapsed()
}

fn ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("condition");
    g.sample_size(30);
    fn bench<P: PingPong>(
        g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
        name: &str,
        shared: P,
    ) {
        let shared = Arc::new(shared);
        g.bench_function(BenchmarkId::new("ping_pong", name), |b| {
            b.iter_custom(|n| run(&shared, n))
        });
    }
    bench(
        &mut g,
        "threading",
        Ours { cond: Condition::with_lock(Lock::new()), turn: AtomicBool::new(true) },
    );
    bench(&mut g, "threading_rlock", Ours { cond: Condition::new(), turn: AtomicBool::new(true) });
    bench(&mut g, "std", Std { turn: std::sync::Mutex::new(true), cv: std::sync::Condvar::new() });
    bench(
        &mut g,
        "parking_lot",
        ParkingLot { turn: parking_lot::Mutex::new(true), cv: parking_lot::Condvar::new() },
    );
    g.finish();
}

fn notify_no_waiters(c: &mut Criterion) {
    let mut g = c.benchmark_group("condition");
    let ours = Condition::with_lock(Lock::new());
    let guard = ours.lock();
    g.bench_function(BenchmarkId::new("notify_no_waiters", "threading"), |b| {
        b.iter(|| black_box(&guard).notify().unwrap())
    });
    drop(guard);
    let ours_r: Condition<RLock> = Condition::new();
    let guard = ours_r.lock();
    g.bench_function(BenchmarkId::new("notify_no_waiters", "threading_rlock"), |b| {
        b.iter(|| black_box(&guard).notify().unwrap())
    });
    drop(guard);
    let (m, cv) = (std::sync::Mutex::new(()), std::sync::Condvar::new());
    let guard = m.lock().unwrap();
    g.bench_function(BenchmarkId::new("notify_no_waiters", "std"), |b| {
        b.iter(|| black_box(&cv).notify_one())
    });
    drop(guard);
    let (m, cv) = (parking_lot::Mutex::new(()), parking_lot::Condvar::new());
    let guard = m.lock();
    g.bench_function(BenchmarkId::new("notify_no_waiters", "parking_lot"), |b| {
        b.iter(|| black_box(&cv).notify_one())
    });
    drop(guard);
    g.finish();
}

criterion_group!(benches, ping_pong, notify_no_waiters);
criterion_main!(benches);
