//! Tour: `Queue` as a producer/consumer pipeline — producers put messages, consumers process
//! them and call `task_done`, `join` waits for the work, `shutdown` ends the consumers — then
//! the other queue kinds in a few lines.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use threading::queue::{LifoQueue, PriorityQueue, PutError, Queue, SimpleQueue};

const PRODUCERS: usize = 2;
const CONSUMERS: usize = 3;
const MESSAGES: usize = 5;

/// Runs this part of the tour.
pub(crate) fn run() {
    println!(
        "== Queue: {PRODUCERS} producers, {CONSUMERS} consumers, a queue of at most 4 messages"
    );
    let q = Arc::new(Queue::new(4));
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|c| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let mut handled = 0;
                // `get` fails with ShutDown once the queue is shut down and drained.
                while let Ok(msg) = q.get() {
                    // "Process" it: a little work, so the messages spread over the consumers.
                    drop(msg);
                    thread::sleep(Duration::from_millis(1));
                    handled += 1;
                    q.task_done().unwrap();
                }
                println!("consumer {c}: queue shut down after {handled} message(s)");
                handled
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                for i in 0..MESSAGES {
                    // Waits while 4 messages are queued.
                    q.put(format!("producer {p}, message {i}")).unwrap();
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    q.join();
    println!(
        "join(): every message processed (unfinished_tasks = {}, qsize = {})",
        q.unfinished_tasks(),
        q.qsize()
    );
    q.shutdown();
    let handled: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    println!("{handled} messages handled in total");
    match q.put_nowait(String::from("too late")) {
        Err(PutError::ShutDown(e)) => {
            let message = e.to_string();
            println!("put after shutdown: {message}, item {:?} handed back", e.into_inner());
        }
        other => println!("unexpected: {other:?}"),
    }

    println!("\n== Queue(1): put_timeout on a full queue gives the item back");
    let small = Queue::new(1);
    small.put("first").unwrap();
    if let Err(err) = small.put_timeout("second", Duration::from_millis(20)) {
        let message = err.to_string();
        println!("put_timeout: {message} ({:?} handed back)", err.into_inner());
    }
    println!("task_done twice for one item: {}", {
        small.task_done().unwrap();
        small.task_done().unwrap_err()
    });

    println!("\n== LifoQueue, PriorityQueue and SimpleQueue");
    let lifo = LifoQueue::new(0);
    let prio = PriorityQueue::new(0);
    let simple = SimpleQueue::new();
    for (rank, job) in [(2, "write docs"), (1, "fix the bug"), (3, "lunch")] {
        lifo.put(job).unwrap();
        prio.put((rank, job)).unwrap();
        simple.put(job);
    }
    let lifo_order: Vec<_> = (0..3).map(|_| lifo.get().unwrap()).collect();
    let prio_order: Vec<_> = (0..3).map(|_| prio.get().unwrap().1).collect();
    let simple_order: Vec<_> = (0..3).map(|_| simple.get()).collect();
    println!("LifoQueue:     {lifo_order:?}");
    println!("PriorityQueue: {prio_order:?}");
    println!("SimpleQueue:   {simple_order:?}\n");
}
