//! Event against its peers, in the same run: `cargo bench -p threading-event`.
//!
//! Group `event`, ids `<case>/<impl>`. The peers are the classic event built from a mutex, a
//! condition variable and a `bool` (`std`: `std::sync::{Mutex, Condvar}`; `parking_lot`:
//! `parking_lot::{Mutex, Condvar}`), which is what CPython's `threading.Event` is too.
//!
//! * `is_set`: one `is_set()` on an unset event; `std_atomic` is a bare
//!   `AtomicBool::load(Acquire)`, the floor. The results are counted, not `black_box`ed one by
//!   one (see `count_true`), so the harness does not dwarf a single load.
//! * `set_no_waiters`: one `set()` of an unset event nobody waits on (`threading`), against one
//!   `Lock::release()` of a held lock (`threading_lock`). Both are timed on their own: a batch of
//!   up to 1024 distinct events (locks) is cleared (acquired) outside the timed region, then each
//!   is set (released) once inside it, and the time is divided by the batch size.
//! * `set_clear`: a `set()` + `clear()` pair; `threading_lock` is the matching Lock
//!   `acquire()` + `release()` pair.
//! * `wait_set`: `wait()` on an event that is already set.
//! * `ping_pong`: a round trip between two threads through two events (`ping.set()`, the other
//!   thread's `ping.wait(); ping.clear(); pong.set()`, then `pong.wait(); pong.clear()`).
//!
//! `benches/cpython/bench_event.py` measures the same cases with CPython's `threading.Event`.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// How many distinct events (locks) one timed batch of `set_no_waiters` uses.
const BATCH: usize = 1024;

/// The operations every benchmarked event has.
trait Ev: Send + Sync + 'static {
    fn new() -> Self;
    fn is_set(&self) -> bool;
    fn set(&self);
    fn clear(&self);
    fn wait(&self);
}

impl Ev for threading::Event {
    fn new() -> Self {
        threading::Event::new()
    }
    #[inline]
    fn is_set(&self) -> bool {
        threading::Event::is_set(self)
    }
    #[inline]
    fn set(&self) {
        threading::Event::set(self);
    }
    #[inline]
    fn clear(&self) {
        threading::Event::clear(self);
    }
    #[inline]
    fn wait(&self) {
        threading::Event::wait(self);
    }
}

/// The classic event over `std::sync`.
#[derive(Default)]
struct StdEvent {
    flag: std::sync::Mutex<bool>,
    cv: std::sync::Condvar,
}

impl Ev for StdEvent {
    fn new() -> Self {
        StdEvent::default()
    }
    #[inline]
    fn is_set(&self) -> bool {
        *self.flag.lock().unwrap()
    }
    #[inline]
    fn set(&self) {
        *self.flag.lock().unwrap() = true;
        self.cv.notify_all();
    }
    #[inline]
    fn clear(&self) {
        *self.flag.lock().unwrap() = false;
    }
    #[inline]
    fn wait(&self) {
        let mut set = self.flag.lock().unwrap();
        while !*set {
            set = self.cv.wait(set).unwrap();
        }
    }
}

/// The classic event over `parking_lot`.
#[derive(Default)]
struct PlEvent {
    flag: parking_lot::Mutex<bool>,
    cv: parking_lot::Condvar,
}

impl Ev for PlEvent {
    fn new() -> Self {
        PlEvent::default()
    }
    #[inline]
    fn is_set(&self) -> bool {
        *self.flag.lock()
    }
    #[inline]
    fn set(&self) {
        *self.flag.lock() = true;
        self.cv.notify_all();
    }
    #[inline]
    fn clear(&self) {
        *self.flag.lock() = false;
    }
    #[inline]
    fn wait(&self) {
        let mut set = self.flag.lock();
        while !*set {
            self.cv.wait(&mut set);
        }
    }
}

fn single_thread<E: Ev>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
) {
    let ev = E::new();
    c.bench_function(BenchmarkId::new("is_set", name), |b| {
        b.iter_custom(|iters| count_true(iters, || black_box(&ev).is_set()))
    });
    c.bench_function(BenchmarkId::new("set_clear", name), |b| {
        b.iter(|| {
            black_box(&ev).set();
            black_box(&ev).clear();
        })
    });
    let set = E::new();
    set.set();
    c.bench_function(BenchmarkId::new("wait_set", name), |b| b.iter(|| black_box(&set).wait()));
}

/// Times `iters` calls of `read`, counting the `true`s instead of handing each result to
/// `black_box`: for a one-load operation, `b.iter`'s per-call `black_box` of the result costs
/// as much as the load. `read` goes through `black_box(&x)`, so every call still loads.
fn count_true(iters: u64, mut read: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    let mut n = 0u64;
    for _ in 0..iters {
        n += u64::from(read());
    }
    let elapsed = start.elapsed();
    black_box(n);
    elapsed
}

/// Times `timed(item)` over `iters` items taken from `items` in batches, running `reset(item)`
/// on each batch first, outside the timed region.
fn batched<T>(iters: u64, items: &[T], reset: impl Fn(&T), timed: impl Fn(&T)) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = usize::try_from(left).map_or(items.len(), |l| l.min(items.len()));
        let batch = &items[..n];
        for it in batch {
            reset(it);
        }
        let start = Instant::now();
        for it in batch {
            timed(black_box(it));
        }
        total += start.elapsed();
        left -= n as u64;
    }
    total
}

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("event");
    single_thread::<threading::Event>(&mut g, "threading");
    single_thread::<StdEvent>(&mut g, "std");
    single_thread::<PlEvent>(&mut g, "parking_lot");

    let flag = AtomicBool::new(false);
    g.bench_function(BenchmarkId::new("is_set", "std_atomic"), |b| {
        b.iter_custom(|iters| count_true(iters, || black_box(&flag).load(Ordering::Acquire)))
    });

    let lock = threading::Lock::new();
    g.bench_function(BenchmarkId::new("set_clear", "threading_lock"), |b| {
        b.iter(|| {
            black_box(&lock).acquire();
            black_box(&lock).release().unwrap();
        })
    });

    let events: Vec<threading::Event> = (0..BATCH).map(|_| threading::Event::new()).collect();
    g.bench_function(BenchmarkId::new("set_no_waiters", "threading"), |b| {
        b.iter_custom(|iters| {
            batched(iters, &events, threading::Event::clear, threading::Event::set)
        })
    });
    let locks: Vec<threading::Lock> = (0..BATCH).map(|_| threading::Lock::new()).collect();
    g.bench_function(BenchmarkId::new("set_no_waiters", "threading_lock"), |b| {
        b.iter_custom(|iters| {
            batched(iters, &locks, threading::Lock::acquire, |l| l.release().unwrap())
        })
    });
    g.finish();
}

/// `iters` round trips between this thread and a partner thread, through two events.
fn ping_pong<E: Ev>(iters: u64) -> Duration {
    let ping = Arc::new(E::new());
    let pong = Arc::new(E::new());
    let stop = Arc::new(AtomicBool::new(false));
    let partner = {
        let (ping, pong, stop) = (Arc::clone(&ping), Arc::clone(&pong), Arc::clone(&stop));
        std::thread::spawn(move || {
            loop {
                ping.wait();
                ping.clear();
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                pong.set();
            }
        })
    };
    let start = Instant::now();
    for _ in 0..iters {
        ping.set();
        pong.wait();
        pong.clear();
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    ping.set();
    partner.join().unwrap();
    elapsed
}

fn two_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("event");
    g.sample_size(30);
    g.bench_function(BenchmarkId::new("ping_pong", "threading"), |b| {
        b.iter_custom(ping_pong::<threading::Event>)
    });
    g.bench_function(BenchmarkId::new("ping_pong", "std"), |b| {
        b.iter_custom(ping_pong::<StdEvent>)
    });
    g.bench_function(BenchmarkId::new("ping_pong", "parking_lot"), |b| {
        b.iter_custom(ping_pong::<PlEvent>)
    });
    g.finish();
}

criterion_group!(benches, uncontended, two_threads);
criterion_main!(benches);
