//! Tour: `Condition`, a producer and three consumers sharing a buffer (the producer/consumer
//! example of Python's `threading` docs).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::thread;

use threading::Condition;

const CONSUMERS: usize = 3;
const ITEMS: usize = 9;

/// What the condition's lock protects. Like Python's, a `Condition` holds no data: the buffer
/// lives next to it and is only touched with the condition's lock held (the `Mutex` is there
/// to give the threads `&mut` access; it is never contended).
#[derive(Default)]
struct Shared {
    items: VecDeque<usize>,
    done: bool,
}

/// Runs this part of the tour.
pub(crate) fn run() {
    println!("== Condition: one producer, {CONSUMERS} consumers, `wait_for` an item");
    let cond = Arc::new(Condition::new());
    let shared = Arc::new(Mutex::new(Shared::default()));

    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|i| {
            let (cond, shared) = (Arc::clone(&cond), Arc::clone(&shared));
            thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    // with cond:
                    //     cond.wait_for(lambda: items or done)
                    let guard = cond.lock();
                    guard
                        .wait_for(|| {
                            let s = shared.lock().unwrap();
                            !s.items.is_empty() || s.done
                        })
                        .unwrap();
                    match shared.lock().unwrap().items.pop_front() {
                        Some(item) => got.push(item),
                        None => break, // done, and nothing left
                    }
                }
                println!("consumer {i} got {got:?}");
                got
            })
        })
        .collect();

    for item in 0..ITEMS {
        // with cond: make_an_item_available(); cond.notify()
        let guard = cond.lock();
        shared.lock().unwrap().items.push_back(item);
        guard.notify().unwrap();
        drop(guard);
        thread::yield_now();
    }
    {
        let guard = cond.lock();
        shared.lock().unwrap().done = true;
        guard.notify_all().unwrap(); // wake every consumer: no more items will come
    }
    let mut all: Vec<usize> = consumers.into_iter().flat_map(|c| c.join().unwrap()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..ITEMS).collect::<Vec<_>>());
    println!("all {ITEMS} items consumed, each exactly once\n");

    println!("== Condition: waiting with a time budget");
    let guard = cond.lock();
    let never = guard.wait_for_timeout(|| false, std::time::Duration::from_millis(20)).unwrap();
    println!("wait_for_timeout(never true, 20 ms) = {never}");
    drop(guard);
    match cond.notify() {
        Ok(()) => println!("notify without the lock?!"),
        Err(e) => println!("notify without holding the lock: RuntimeError(\"{e}\")\n"),
    }
}
