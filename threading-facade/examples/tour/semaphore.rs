//! Tour: `Semaphore` limiting concurrent downloads, and `BoundedSemaphore` catching an extra
//! release.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use threading::{BoundedSemaphore, Semaphore};

const DOWNLOADS: usize = 6;
const AT_ONCE: usize = 2;

/// Runs this part of the tour.
pub(crate) fn run() {
    println!("== Semaphore: {DOWNLOADS} downloads, at most {AT_ONCE} at a time (`with sem:`)");
    let sem = Arc::new(Semaphore::new(AT_ONCE));
    let active = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..DOWNLOADS)
        .map(|i| {
            let (sem, active, max_seen) = (sem.clone(), active.clone(), max_seen.clone());
            thread::spawn(move || {
                let _permit = sem.permit(); // blocks while AT_ONCE downloads are running
                let now = active.fetch_add(1, SeqCst) + 1;
                max_seen.fetch_max(now, SeqCst);
                println!("  [{:>4} ms] download {i} starts ({now} running)", ms(start));
                thread::sleep(Duration::from_millis(30)); // the "download"
                active.fetch_sub(1, SeqCst);
                println!("  [{:>4} ms] download {i} ends", ms(start));
            }) // the permit is given back here
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    println!(
        "max concurrency observed: {} (limit {AT_ONCE}); value back to {}",
        max_seen.load(SeqCst),
        sem.value()
    );

    println!("\n== Semaphore: release(n) lets n waiting threads through at once");
    let gate = Arc::new(Semaphore::new(0));
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let gate = gate.clone();
            thread::spawn(move || gate.acquire())
        })
        .collect();
    gate.release_n(3).unwrap();
    for w in waiters {
        w.join().unwrap();
    }
    println!("3 waiters through; {:?}", gate);
    if let Err(e) = gate.release_n(0) {
        println!("release_n(0): ValueError(\"{e}\")");
    }

    println!("\n== BoundedSemaphore: releasing more often than acquiring is a bug it reports");
    let pool = BoundedSemaphore::new(2);
    pool.acquire();
    pool.release().unwrap();
    match pool.release() {
        Ok(()) => println!("released above the bound?!"),
        Err(e) => println!("one release too many: ValueError(\"{e}\"); {pool:?}\n"),
    }
}

/// Milliseconds since `start`.
fn ms(start: Instant) -> u128 {
    start.elapsed().as_millis()
}
