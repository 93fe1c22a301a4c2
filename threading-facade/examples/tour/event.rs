//! Tour: `Event`, a start signal for a group of workers, and a timed wait that times out.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use threading::Event;

const WORKERS: usize = 4;

/// Runs this part of the tour.
pub(crate) fn run() {
    println!("== Event: {WORKERS} workers wait on `start`; main sets it once and they all go");
    let start = Arc::new(Event::new());
    let all_waiting = Arc::new(Event::new());
    let arrived = Arc::new(AtomicUsize::new(0));
    let order = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..WORKERS)
        .map(|i| {
            let (start, all_waiting) = (Arc::clone(&start), Arc::clone(&all_waiting));
            let (arrived, order) = (Arc::clone(&arrived), Arc::clone(&order));
            thread::spawn(move || {
                // The last worker to arrive tells main that everybody is (about to be) waiting.
                if arrived.fetch_add(1, Ordering::SeqCst) + 1 == WORKERS {
                    all_waiting.set();
                }
                start.wait();
                order.lock().unwrap().push(i);
            })
        })
        .collect();
    all_waiting.wait();
    println!(
        "all {WORKERS} workers have reached start.wait(); start.is_set() = {}",
        start.is_set()
    );
    start.set();
    for h in handles {
        h.join().unwrap();
    }
    println!("they went in this order: {:?} (the scheduler decides)", order.lock().unwrap());
    println!(
        "`start` stays set, so a late worker does not wait: wait_timeout(0) = {}",
        start.wait_timeout(Duration::ZERO)
    );

    println!("\n== Event: a timed wait that nobody sets returns false when time runs out");
    let never = Event::new();
    let t = Instant::now();
    let got = never.wait_timeout(Duration::from_millis(50));
    println!("wait_timeout(50 ms) = {got} after {} ms", t.elapsed().as_millis());
    never.set();
    never.clear();
    println!("after set(); clear(): is_set() = {}, {never:?}\n", never.is_set());
}
