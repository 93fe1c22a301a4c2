//! loom models: queue.
//!
//! Each model runs the shipped `threading::Queue` (or `SimpleQueue`, `PriorityQueue`: the same
//! engine) with 2–4 threads. A missing wake-up shows as a loom deadlock, a lost or duplicated
//! item, a wrong count or a missing happens-before edge as a failed assertion or a loom error.

use std::time::Duration;

use crate::common::loom::sync::Arc;
use crate::common::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::common::loom::thread;
use crate::common::{check, clock, wait_parked};
use threading::queue::{Empty, GetError, PriorityQueue, PutError, Queue, ShutDown, SimpleQueue};

/// Writes the two `#[test]`s of a model that runs on both FIFO engines: `$name` on an unbounded
/// queue (the locked engine) and `$ring` on a bounded one (the lock-free ring, `maxsize` 2),
/// each calling `$with(maxsize, model name)`.
macro_rules! on_both_engines {
    ($name:ident, $ring:ident, $with:ident) => {
        #[test]
        fn $name() {
            $with(0, concat!("queue::", stringify!($name)));
        }

        #[test]
        fn $ring() {
            $with(2, concat!("queue::", stringify!($ring)));
        }
    };
}

/// Two producers race into a queue of capacity 1 (one of them must wait for room) while the
/// main thread takes an item; the other is there once both producers are done: each item comes
/// out exactly once, and the counts agree.
#[test]
fn capacity_one_no_loss_no_duplicate() {
    check("queue::capacity_one_no_loss_no_duplicate", || {
        let q = Arc::new(Queue::new(1));
        let producers: Vec<_> = [1, 2]
            .into_iter()
            .map(|x| {
                let q = q.clone();
                thread::spawn(move || q.put(x).unwrap())
            })
            .collect();
        let a = q.get().unwrap();
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(q.qsize(), 1);
        let b = q.get_nowait().unwrap();
        assert_eq!(a + b, 3);
        assert_ne!(a, b);
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), 2);
    });
}

/// A producer blocked on a full queue of capacity 1 and a consumer hand three items over in
/// order: every put that waits is woken by a get, every get that waits by a put.
#[test]
fn capacity_one_fifo_handoff() {
    check("queue::capacity_one_fifo_handoff", || {
        let q = Arc::new(Queue::new(1));
        let q2 = q.clone();
        let producer = thread::spawn(move || {
            for x in 1..=3 {
                q2.put(x).unwrap();
            }
        });
        let got: Vec<_> = (0..3).map(|_| q.get().unwrap()).collect();
        producer.join().unwrap();
        assert_eq!(got, [1, 2, 3]);
        assert!(q.empty());
    });
}

on_both_engines!(two_getters_two_puts, two_getters_two_puts_ring, two_getters_two_puts_with);

/// Two getters wait on an empty queue and two puts arrive: both getters get an item (every
/// put wakes a different sleeper, and the `PARKED` hint survives the first wake-up while the
/// second getter still sleeps).
fn two_getters_two_puts_with(maxsize: usize, name: &str) {
    check(name, move || two_getters_two_puts_on(Queue::new(maxsize)));
}

/// The body of the two-getters models: two getters wait on `q` (empty), two puts arrive, and
/// both getters get an item.
fn two_getters_two_puts_on(q: Queue<i32>) {
    let q = Arc::new(q);
    let getters: Vec<_> = (0..2)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || q.get().unwrap())
        })
        .collect();
    q.put(1).unwrap();
    q.put(2).unwrap();
    let sum: i32 = getters.into_iter().map(|g| g.join().unwrap()).sum();
    assert_eq!(sum, 3);
    assert!(q.empty());
}

on_both_engines!(
    join_returns_when_last_task_done,
    join_returns_when_last_task_done_ring,
    join_returns_when_last_task_done_with
);

/// `join` returns exactly when the last `task_done` lands: two workers each take an item,
/// "process" it (a Relaxed store, visible to the joiner only through the queue's
/// happens-before edges) and mark it done; after `join` both results are visible.
fn join_returns_when_last_task_done_with(maxsize: usize, name: &str) {
    check(name, move || {
        let q = Arc::new(Queue::new(maxsize));
        let processed = Arc::new(AtomicUsize::new(0));
        q.put(1).unwrap();
        q.put(2).unwrap();
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (q, processed) = (q.clone(), processed.clone());
                thread::spawn(move || {
                    let x = q.get().unwrap();
                    processed.fetch_add(x, Ordering::Relaxed);
                    q.task_done().unwrap();
                })
            })
            .collect();
        q.join();
        // Both task_done calls happened before join returned, and so did the work before them.
        assert_eq!(processed.load(Ordering::Relaxed), 3);
        assert_eq!(q.unfinished_tasks(), 0);
        assert!(q.task_done().is_err());
        for w in workers {
            w.join().unwrap();
        }
    });
}

on_both_engines!(
    shutdown_wakes_blocked_getters,
    shutdown_wakes_blocked_getters_ring,
    shutdown_wakes_blocked_getters_with
);

/// `shutdown()` racing two getters on an empty queue wakes both, parked or not, with
/// `ShutDown`.
fn shutdown_wakes_blocked_getters_with(maxsize: usize, name: &str) {
    check(name, move || {
        let q = Arc::new(Queue::<u8>::new(maxsize));
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || q.get())
            })
            .collect();
        q.shutdown();
        for g in getters {
            assert_eq!(g.join().unwrap(), Err(ShutDown::new()));
        }
        assert!(q.is_shutdown());
    });
}

/// `shutdown()` racing two putters blocked on a full queue wakes both with `ShutDown`
/// holding their items; the item queued before stays and is still handed out, then gets fail.
#[test]
fn shutdown_wakes_blocked_putters() {
    check("queue::shutdown_wakes_blocked_putters", || {
        let q = Arc::new(Queue::new(1));
        q.put(0).unwrap();
        let putters: Vec<_> = [1, 2]
            .into_iter()
            .map(|x| {
                let q = q.clone();
                thread::spawn(move || q.put(x).map_err(ShutDown::into_inner))
            })
            .collect();
        q.shutdown();
        let mut back: Vec<_> =
            putters.into_iter().map(|p| p.join().unwrap().unwrap_err()).collect();
        back.sort_unstable();
        assert_eq!(back, [1, 2]);
        assert_eq!(q.get(), Ok(0));
        assert_eq!(q.get(), Err(ShutDown::new()));
        assert_eq!(q.unfinished_tasks(), 1);
    });
}

on_both_engines!(
    shutdown_immediate_races_get_and_join,
    shutdown_immediate_races_get_and_join_ring,
    shutdown_immediate_races_get_and_join_with
);

/// An immediate shutdown races a getter and a joiner: whether the getter took the item (and
/// marks it done) or the shutdown discarded it, `join` returns and nothing is counted twice.
fn shutdown_immediate_races_get_and_join_with(maxsize: usize, name: &str) {
    check(name, move || {
        let q = Arc::new(Queue::new(maxsize));
        q.put(7).unwrap();
        let q2 = q.clone();
        let getter = thread::spawn(move || match q2.get() {
            Ok(x) => {
                q2.task_done().unwrap();
                Some(x)
            }
            Err(_shutdown) => None,
        });
        let q3 = q.clone();
        let joiner = thread::spawn(move || q3.join());
        q.shutdown_immediate();
        let got = getter.join().unwrap();
        joiner.join().unwrap();
        assert!(got.is_none() || got == Some(7));
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), 0);
    });
}

on_both_engines!(get_timeout_races_put, get_timeout_races_put_ring, get_timeout_races_put_with);

/// A timed get races a put and the clock: it either gets the item or reports `Empty`, and in
/// the second case the item is still in the queue (woken and timed out at once, it looks at the
/// queue before at the clock).
fn get_timeout_races_put_with(maxsize: usize, name: &str) {
    check(name, move || {
        let q = Arc::new(Queue::new(maxsize));
        let q2 = q.clone();
        let producer = thread::spawn(move || q2.put(7).unwrap());
        let clock = thread::spawn(clock::expire);
        let got = q.get_timeout(Duration::from_secs(1));
        producer.join().unwrap();
        clock.join().unwrap();
        match got {
            Ok(x) => {
                assert_eq!(x, 7);
                assert_eq!(q.qsize(), 0);
            }
            Err(e) => {
                assert_eq!(e, GetError::Empty(Empty));
                assert_eq!(q.get_nowait(), Ok(7));
            }
        }
    });
}

/// A timed put on a full queue races a get and the clock: it either puts its item or gets it
/// back in `Full`; the counts match the outcome.
#[test]
fn put_timeout_races_get() {
    check("queue::put_timeout_races_get", || {
        let q = Arc::new(Queue::new(1));
        q.put(1).unwrap();
        let q2 = q.clone();
        let consumer = thread::spawn(move || q2.get().unwrap());
        let clock = thread::spawn(clock::expire);
        let put = q.put_timeout(2, Duration::from_secs(1));
        assert_eq!(consumer.join().unwrap(), 1);
        clock.join().unwrap();
        match put {
            Ok(()) => {
                assert_eq!(q.get_nowait(), Ok(2));
                assert_eq!(q.unfinished_tasks(), 2);
            }
            Err(PutError::Full(full)) => {
                assert_eq!(full.into_inner(), 2);
                assert!(q.empty());
                assert_eq!(q.unfinished_tasks(), 1);
            }
            Err(PutError::ShutDown(_)) => panic!("nobody shut the queue down"),
        }
    });
}

on_both_engines!(
    spurious_wakeup_of_getter,
    spurious_wakeup_of_getter_ring,
    spurious_wakeup_of_getter_with
);

/// A getter parked on an empty queue is woken spuriously, goes back to sleep, and still gets
/// the item put afterwards.
fn spurious_wakeup_of_getter_with(maxsize: usize, name: &str) {
    check(name, move || {
        let q = Arc::new(Queue::new(maxsize));
        let q2 = q.clone();
        let getter = thread::spawn(move || q2.get().unwrap());
        wait_parked(1);
        clock::spurious_wake_all();
        q.put(5).unwrap();
        assert_eq!(getter.join().unwrap(), 5);
    });
}

/// Raising `maxsize` wakes a putter blocked on the full queue, whether it is parked or
/// about to park.
#[test]
fn set_maxsize_wakes_putter() {
    check("queue::set_maxsize_wakes_putter", || {
        let q = Arc::new(Queue::new(1));
        q.put(1).unwrap();
        let q2 = q.clone();
        let putter = thread::spawn(move || q2.put(2).unwrap());
        q.set_maxsize(2);
        putter.join().unwrap();
        assert_eq!(q.qsize(), 2);
        assert!(q.full());
    });
}

/// `SimpleQueue`: a getter waiting on the empty queue gets the item of a racing put.
#[test]
fn simple_queue_get_put() {
    check("queue::simple_queue_get_put", || {
        let q = Arc::new(SimpleQueue::new());
        let q2 = q.clone();
        let getter = thread::spawn(move || q2.get());
        q.put(3);
        assert_eq!(getter.join().unwrap(), 3);
        assert_eq!(q.get_nowait(), Err(Empty));
    });
}

/// `PriorityQueue`: two racing puts, then the smallest comes out first whatever the order of
/// arrival (the heap is only touched under the lock; loom checks its cell accesses).
#[test]
fn priority_racing_puts() {
    check("queue::priority_racing_puts", || {
        let q = Arc::new(PriorityQueue::new(0));
        let putters: Vec<_> = [2, 1]
            .into_iter()
            .map(|x| {
                let q = q.clone();
                thread::spawn(move || q.put(x).unwrap())
            })
            .collect();
        for p in putters {
            p.join().unwrap();
        }
        assert_eq!(q.get(), Ok(1));
        assert_eq!(q.get(), Ok(2));
    });
}

/// An item that counts its drops, to check that the ring and its overflow drop every item
/// exactly once: taken by a get, discarded by a shutdown, or left in the queue when it is
/// dropped.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Two producers race the second and third item into a bounded queue whose ring has two slots
/// while the main thread takes all three: the third put waits for room or lands in the next lap
/// of the ring, and the gets follow; no item is lost or duplicated.
#[test]
fn ring_two_producers_wrap_a_lap() {
    check("queue::ring_two_producers_wrap_a_lap", || {
        let q = Arc::new(Queue::new(2));
        q.put(1).unwrap();
        let producers: Vec<_> = [2, 3]
            .into_iter()
            .map(|x| {
                let q = q.clone();
                thread::spawn(move || q.put(x).unwrap())
            })
            .collect();
        let mut got: Vec<i32> = (0..3).map(|_| q.get().unwrap()).collect();
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(got[0], 1);
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(q.get_nowait(), Err(GetError::Empty(Empty)));
        assert_eq!(q.unfinished_tasks(), 3);
    });
}

/// `maxsize` raised past a full ring (to unbounded): a producer's further items go to the
/// overflow while the main thread takes items, and they come out first in, first out.
#[test]
fn overflow_keeps_fifo() {
    check("queue::overflow_keeps_fifo", || {
        let q = Arc::new(Queue::new(2));
        q.put(1).unwrap();
        q.put(2).unwrap();
        q.set_maxsize(0);
        let q2 = q.clone();
        let producer = thread::spawn(move || {
            q2.put(3).unwrap();
            q2.put(4).unwrap();
        });
        let got: Vec<i32> = (0..4).map(|_| q.get().unwrap()).collect();
        producer.join().unwrap();
        assert_eq!(got, [1, 2, 3, 4]);
        assert!(q.empty());
        assert_eq!(q.unfinished_tasks(), 4);
    });
}

/// A get from the overflow makes room without moving the ring's head, and still wakes a
/// putter blocked on the full queue (ring of one slot, two items in the overflow, `maxsize`
/// lowered to 2 so that only the overflow get makes room).
#[test]
fn overflow_get_wakes_putter() {
    check("queue::overflow_get_wakes_putter", || {
        let q = Arc::new(Queue::new(1));
        q.put(1).unwrap();
        q.set_maxsize(3);
        q.put(2).unwrap();
        q.put(3).unwrap();
        q.set_maxsize(2);
        let q2 = q.clone();
        let putter = thread::spawn(move || q2.put(4).unwrap());
        let got: Vec<i32> = (0..4).map(|_| q.get().unwrap()).collect();
        putter.join().unwrap();
        assert_eq!(got, [1, 2, 3, 4]);
    });
}

/// A put into the overflow races a shutdown: it either gets in, and the item is still handed
/// out before gets fail, or it is refused with its item back; every item is dropped once.
#[test]
fn overflow_put_races_shutdown() {
    check("queue::overflow_put_races_shutdown", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let q = Arc::new(Queue::new(1));
        q.put(Counted(drops.clone())).unwrap();
        q.set_maxsize(0);
        let (q2, d2) = (q.clone(), drops.clone());
        // A refused put hands the item back; it is dropped here.
        let putter = thread::spawn(move || q2.put(Counted(d2)).is_ok());
        q.shutdown();
        let put = putter.join().unwrap();
        let mut got = 0;
        while let Ok(item) = q.get() {
            drop(item);
            got += 1;
        }
        assert_eq!(got, 1 + usize::from(put));
        assert_eq!(q.unfinished_tasks(), got);
        drop(q);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}

/// An immediate shutdown races a getter over an item in the ring and one in the overflow:
/// whatever the getter does not take is discarded, the counts follow Q-17, and every item is
/// dropped once, also when the queue is dropped afterwards.
#[test]
fn overflow_shutdown_immediate_races_a_get() {
    check("queue::overflow_shutdown_immediate_races_a_get", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let q = Arc::new(Queue::new(1));
        q.put(Counted(drops.clone())).unwrap();
        q.set_maxsize(0);
        q.put(Counted(drops.clone())).unwrap();
        let q2 = q.clone();
        let getter = thread::spawn(move || q2.get_nowait().is_ok());
        q.shutdown_immediate();
        let got = getter.join().unwrap();
        assert_eq!(q.qsize(), 0);
        assert!(q.get_nowait().is_err_and(|e| e.is_shutdown()));
        assert_eq!(q.unfinished_tasks(), usize::from(got));
        drop(q);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}

/// Two getters wait on a bounded queue whose ring has one slot and whose `maxsize` was raised
/// to unbounded; two puts arrive. The second put lands in the overflow whenever the first item
/// is still in the ring, and then it must wake the second getter itself (the ring's tail does
/// not move): both getters get an item.
#[test]
fn overflow_put_wakes_a_second_getter() {
    check("queue::overflow_put_wakes_a_second_getter", || {
        let q = Queue::new(1);
        q.set_maxsize(0);
        two_getters_two_puts_on(q);
    });
}
