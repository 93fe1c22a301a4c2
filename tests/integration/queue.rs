//! Behaviour tests for [`threading::Queue`], [`threading::LifoQueue`],
//! [`threading::PriorityQueue`] and [`threading::SimpleQueue`]: CPython's
//! `Lib/test/test_queue.py` (`BaseQueueTestMixin` for the three kinds, the shutdown tests,
//! `FailingQueueTest` as panic safety, `BaseSimpleQueueTest`) and the Q-xx rows of
//! `python-semantics.md` §16, plus stress and panic-safety tests.
//!
//! Test names carry the CPython test name (`test_basic`, …) inside a module per kind
//! (`fifo::`, `lifo::`, `priority::`), or the row ID (`q_05_…`). CPython's "sleep 0.1 s, then
//! unclog" trigger thread (`_TriggerThread`) becomes [`do_blocking_test`]: the blocking call
//! runs in a thread that must stay blocked for a while ([`assert_stays`]) until the trigger
//! runs.

use std::cmp::Ordering as CmpOrdering;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, Weak};
use std::thread;
use std::time::{Duration, Instant};

use threading::queue::{Empty, Full, GetError, PutError, ShutDown};
use threading::{LifoQueue, PriorityQueue, Queue, SimpleQueue, ValueErrorKind};
use threading_tests::{Bunch, assert_stays, assert_timeout, timed, wait_until, wait_until_asleep};

/// CPython's `QUEUE_SIZE`.
const QUEUE_SIZE: usize = 5;

/// A timeout that is expected to expire: long enough to measure, short enough for a fast suite.
const SHORT: Duration = Duration::from_millis(100);

/// How long a call must stay blocked before [`do_blocking_test`] unclogs it.
const BLOCKED_FOR: Duration = Duration::from_millis(20);

/// Generous bound for "returns at once" (a non-blocking call takes microseconds).
const AT_ONCE: Duration = Duration::from_millis(500);

/// CPython's `do_blocking_test`: runs `block` in a thread, checks that it stays blocked, then
/// runs `trigger` (which must let it finish) and returns `block`'s result.
#[track_caller]
fn do_blocking_test<R: Send + 'static>(
    block: impl FnOnce() -> R + Send + 'static,
    trigger: impl FnOnce(),
) -> R {
    let done = Arc::new(AtomicBool::new(false));
    let d = Arc::clone(&done);
    let handle = thread::spawn(move || {
        let r = block();
        d.store(true, Ordering::SeqCst);
        r
    });
    assert_stays("the blocking call to block", BLOCKED_FOR, || !done.load(Ordering::SeqCst));
    trigger();
    handle.join().unwrap()
}

/// CPython's `qfull`.
fn qfull<Q: QueueLike>(q: &Q) -> bool {
    q.maxsize() > 0 && q.qsize() == q.maxsize()
}

/// What the generic helpers below need from the three queue kinds (their methods have the
/// same names, but no common trait: this is test scaffolding only).
trait QueueLike {
    fn maxsize(&self) -> usize;
    fn qsize(&self) -> usize;
}

macro_rules! impl_queue_like {
    ($($q:ident),*) => {$(
        impl<T: Ord> QueueLike for $q<T> {
            fn maxsize(&self) -> usize {
                $q::maxsize(self)
            }
            fn qsize(&self) -> usize {
                $q::qsize(self)
            }
        }
    )*};
}
impl_queue_like!(Queue, LifoQueue, PriorityQueue);

/// The ports of `BaseQueueTestMixin` and the shutdown tests, once per queue kind.
/// `$order` is the order in which 111, 333, 222 come out.
macro_rules! base_queue_tests {
    ($kind:ident, $Q:ident, $order:expr) => {
        mod $kind {
            use super::*;

            type Q<T> = $Q<T>;

            /// CPython's `basic_queue_test`.
            fn basic_queue_test(q: &Arc<Q<i32>>) {
                assert_eq!(q.qsize(), 0, "call this function with an empty queue");
                assert!(q.empty());
                assert!(!q.full());
                q.put(111).unwrap();
                q.put(333).unwrap();
                q.put(222).unwrap();
                let actual = [q.get().unwrap(), q.get().unwrap(), q.get().unwrap()];
                assert_eq!(actual, $order, "didn't seem to queue the correct data");
                for i in 0..QUEUE_SIZE as i32 - 1 {
                    q.put(i).unwrap();
                    assert!(q.qsize() > 0, "queue should not be empty");
                }
                assert!(!qfull(&**q), "queue should not be full");
                let last = 2 * QUEUE_SIZE as i32;
                let full = 3 * 2 * QUEUE_SIZE as i32;
                q.put(last).unwrap();
                assert!(qfull(&**q), "queue should be full");
                assert!(!q.empty());
                assert!(q.full());
                assert_eq!(q.put_nowait(full).unwrap_err().into_inner(), full);
                let err = q.put_timeout(full, Duration::from_millis(10)).unwrap_err();
                assert!(err.is_full(), "didn't appear to time-out with a full queue");
                // Test a blocking put.
                let q2 = Arc::clone(q);
                do_blocking_test(
                    move || q2.put(full).unwrap(),
                    || {
                        q.get().unwrap();
                    },
                );
                let q2 = Arc::clone(q);
                do_blocking_test(
                    move || q2.put_timeout(full, Duration::from_secs(10)).unwrap(),
                    || {
                        q.get().unwrap();
                    },
                );
                // Empty it.
                for _ in 0..QUEUE_SIZE {
                    q.get().unwrap();
                }
                assert_eq!(q.qsize(), 0, "queue should be empty");
                assert_eq!(q.get_nowait(), Err(GetError::Empty(Empty)));
                let err = q.get_timeout(Duration::from_millis(10)).unwrap_err();
                assert!(err.is_empty(), "didn't appear to time-out with an empty queue");
                // Test a blocking get.
                let q2 = Arc::clone(q);
                let got = do_blocking_test(move || q2.get().unwrap(), || q.put(-7).unwrap());
                assert_eq!(got, -7);
                let q2 = Arc::clone(q);
                let got = do_blocking_test(
                    move || q2.get_timeout(Duration::from_secs(10)).unwrap(),
                    || q.put(-8).unwrap(),
                );
                assert_eq!(got, -8);
                // Every item put so far is still an unfinished task (nobody called task_done).
                assert_eq!(q.unfinished_tasks(), 3 + QUEUE_SIZE + 2 + 2);
                for _ in 0..q.unfinished_tasks() {
                    q.task_done().unwrap();
                }
            }

            #[test]
            fn test_basic() {
                // Done twice to make sure it works with the same instance reused.
                let q = Arc::new(Q::new(QUEUE_SIZE));
                basic_queue_test(&q);
                basic_queue_test(&q);
            }

            /// CPython's `queue_join_test`: two workers sum 0..100, a -1 stops each.
            fn queue_join_test(q: &Arc<Q<i64>>) {
                let cum = Arc::new(AtomicU64::new(0));
                let workers: Vec<_> = (0..2)
                    .map(|_| {
                        let (q, cum) = (Arc::clone(q), Arc::clone(&cum));
                        thread::spawn(move || {
                            loop {
                                let x = q.get().unwrap();
                                if x < 0 {
                                    q.task_done().unwrap();
                                    return;
                                }
                                cum.fetch_add(x as u64, Ordering::SeqCst);
                                q.task_done().unwrap();
                            }
                        })
                    })
                    .collect();
                for i in 0..100 {
                    q.put(i).unwrap();
                }
                q.join();
                assert_eq!(
                    cum.load(Ordering::SeqCst),
                    (0..100).sum::<u64>(),
                    "q.join() did not block until all tasks were done"
                );
                for _ in 0..2 {
                    q.put(-1).unwrap(); // instruct the threads to close
                }
                q.join(); // verify that you can join twice
                for w in workers {
                    w.join().unwrap();
                }
            }

            #[test]
            fn test_queue_task_done() {
                let q = Q::<i32>::new(0);
                let err = q.task_done().unwrap_err();
                assert_eq!(err.kind(), ValueErrorKind::TaskDoneTooManyTimes);
                assert_eq!(err.to_string(), "task_done() called too many times");
                assert_eq!(q.unfinished_tasks(), 0);
            }

            #[test]
            fn test_queue_join() {
                // Joins successfully, and before anything else (done twice for insurance).
                let q = Arc::new(Q::new(0));
                queue_join_test(&q);
                queue_join_test(&q);
                assert!(q.task_done().is_err(), "did not detect task count going negative");
            }

            #[test]
            fn test_queue_join_bounded() {
                // The same through a queue of capacity 1: producers block on every put.
                let q = Arc::new(Q::new(1));
                queue_join_test(&q);
            }

            #[test]
            fn test_nowait() {
                let q = Q::new(QUEUE_SIZE);
                for _ in 0..QUEUE_SIZE {
                    q.put_nowait(1).unwrap();
                }
                assert!(matches!(q.put_nowait(1), Err(PutError::Full(_))));
                for _ in 0..QUEUE_SIZE {
                    q.get_nowait().unwrap();
                }
                assert!(matches!(q.get_nowait(), Err(GetError::Empty(_))));
            }

            #[test]
            fn test_shrinking_queue() {
                // Issue 10110.
                let q = Q::new(3);
                q.put(1).unwrap();
                q.put(2).unwrap();
                q.put(3).unwrap();
                assert!(q.put_nowait(4).unwrap_err().is_full());
                assert_eq!(q.qsize(), 3);
                q.set_maxsize(2); // shrink the queue
                assert_eq!(q.maxsize(), 2);
                assert!(q.put_nowait(4).unwrap_err().is_full());
                assert!(q.full());
                q.set_maxsize(0); // unbounded
                q.put_nowait(4).unwrap();
                assert!(!q.full());
                assert_eq!(q.qsize(), 4);
            }

            #[test]
            fn test_shutdown_empty() {
                let q = Q::<&str>::new(0);
                q.shutdown();
                assert_eq!(q.put("data").unwrap_err().into_inner(), "data");
                assert_eq!(q.get(), Err(ShutDown::new()));
            }

            #[test]
            fn test_shutdown_nonempty() {
                let q = Q::new(0);
                q.put("data").unwrap();
                q.shutdown();
                assert_eq!(q.get(), Ok("data"));
                assert_eq!(q.get(), Err(ShutDown::new()));
            }

            #[test]
            fn test_shutdown_immediate() {
                let q = Q::new(0);
                q.put("data").unwrap();
                q.shutdown_immediate();
                assert_eq!(q.get(), Err(ShutDown::new()));
            }

            #[test]
            fn test_shutdown_allowed_transitions() {
                // Allowed transitions: from alive via shutdown to immediate.
                let q = Q::<u8>::new(0);
                assert!(!q.is_shutdown());
                q.shutdown();
                assert!(q.is_shutdown());
                q.shutdown_immediate();
                assert!(q.is_shutdown());
                q.shutdown();
                assert!(q.is_shutdown());
            }

            /// An immediate shutdown after a normal one discards what is left.
            #[test]
            fn test_shutdown_then_immediate_discards_the_rest() {
                let q = Q::new(0);
                q.put('a').unwrap();
                q.put('b').unwrap();
                q.shutdown();
                assert_eq!(q.qsize(), 2);
                q.shutdown_immediate();
                assert_eq!((q.qsize(), q.unfinished_tasks()), (0, 0));
                assert!(q.get_nowait().unwrap_err().is_shutdown());
            }

            fn shutdown_all_methods_in_one_thread(immediate: bool) {
                let q = Q::new(2);
                q.put("L").unwrap();
                q.put_nowait("O").unwrap();
                if immediate {
                    q.shutdown_immediate()
                } else {
                    q.shutdown()
                }
                assert!(q.put("E").is_err());
                assert!(q.put_nowait("W").unwrap_err().is_shutdown());
                assert!(q.put_timeout("W", SHORT).unwrap_err().is_shutdown());
                if immediate {
                    assert_eq!(q.get(), Err(ShutDown::new()));
                    assert!(q.get_nowait().unwrap_err().is_shutdown());
                    assert_eq!(
                        q.task_done().unwrap_err().kind(),
                        ValueErrorKind::TaskDoneTooManyTimes
                    );
                    q.join();
                } else {
                    assert!(["L", "O"].contains(&q.get().unwrap()));
                    q.task_done().unwrap();
                    assert!(["L", "O"].contains(&q.get().unwrap()));
                    q.task_done().unwrap();
                    q.join();
                    // On shutdown(), once the queue is empty, gets raise ShutDown.
                    assert_eq!(q.get(), Err(ShutDown::new()));
                    assert!(q.get_nowait().unwrap_err().is_shutdown());
                    assert!(q.get_timeout(Duration::from_secs(1)).unwrap_err().is_shutdown());
                }
            }

            #[test]
            fn test_shutdown_all_methods_in_one_thread() {
                shutdown_all_methods_in_one_thread(false);
            }

            #[test]
            fn test_shutdown_immediate_all_methods_in_one_thread() {
                shutdown_all_methods_in_one_thread(true);
            }

            /// CPython's `_shutdown_all_methods_in_many_threads` (with fewer messages).
            fn shutdown_all_methods_in_many_threads(immediate: bool) {
                const WRITERS: usize = 4;
                const READERS: usize = 6;
                const JOINERS: usize = 2;
                const NB_MSGS: usize = if cfg!(miri) { 128 } else { 4096 };
                const NB_MSGS_W: usize = NB_MSGS / WRITERS;
                const WHEN_EXEC_SHUTDOWN: usize = NB_MSGS_W / 2;
                let q = Arc::new(Q::<(usize, &str)>::new(0));
                let res_puts = Arc::new(Mutex::new(Vec::new()));
                let res_gets = Arc::new(Mutex::new(Vec::new()));
                let nparties = WRITERS + READERS + if immediate { JOINERS } else { 0 };
                let barrier_start = Arc::new(Barrier::new(nparties));
                let ev_exec_shutdown = Arc::new(AtomicBool::new(false));
                let mut threads = Vec::new();
                for _ in 0..WRITERS {
                    let (q, res, barrier, ev) = (
                        Arc::clone(&q),
                        Arc::clone(&res_puts),
                        Arc::clone(&barrier_start),
                        Arc::clone(&ev_exec_shutdown),
                    );
                    threads.push(thread::spawn(move || {
                        for i in 0..WHEN_EXEC_SHUTDOWN / 2 {
                            q.put((i, "LOYD")).unwrap();
                        }
                        barrier.wait();
                        for i in WHEN_EXEC_SHUTDOWN / 2..NB_MSGS_W {
                            if q.put((i, "YDLO")).is_err() {
                                res.lock().unwrap().push(false);
                                break;
                            }
                            // Trigger the shutdown; only one thread does.
                            if i == WHEN_EXEC_SHUTDOWN && !ev.swap(true, Ordering::SeqCst) {
                                res.lock().unwrap().push(true);
                            }
                        }
                    }));
                }
                for _ in 0..READERS {
                    let (q, res, barrier) =
                        (Arc::clone(&q), Arc::clone(&res_gets), Arc::clone(&barrier_start));
                    threads.push(thread::spawn(move || {
                        // Get at least one item.
                        q.get().unwrap();
                        q.task_done().unwrap();
                        barrier.wait();
                        loop {
                            match q.get_nowait() {
                                Ok(_) => q.task_done().unwrap(),
                                Err(GetError::ShutDown(_)) => {
                                    res.lock().unwrap().push(true);
                                    break;
                                }
                                Err(GetError::Empty(_)) => thread::yield_now(),
                            }
                        }
                    }));
                }
                let res_shutdown = {
                    let (q, ev) = (Arc::clone(&q), Arc::clone(&ev_exec_shutdown));
                    thread::spawn(move || {
                        wait_until("a writer triggers the shutdown", || ev.load(Ordering::SeqCst));
                        if immediate {
                            q.shutdown_immediate()
                        } else {
                            q.shutdown()
                        }
                        q.qsize() == 0
                    })
                };
                if immediate {
                    for _ in 0..JOINERS {
                        let (q, barrier) = (Arc::clone(&q), Arc::clone(&barrier_start));
                        threads.push(thread::spawn(move || {
                            barrier.wait();
                            q.join();
                        }));
                    }
                }
                for t in threads {
                    t.join().unwrap();
                }
                let shutdown_saw_empty = res_shutdown.join().unwrap();
                assert!(res_puts.lock().unwrap().contains(&true));
                let gets = res_gets.lock().unwrap();
                assert_eq!(gets.iter().filter(|&&r| r).count(), READERS);
                if immediate {
                    assert!(shutdown_saw_empty);
                    assert!(q.empty());
                }
                assert_eq!(q.unfinished_tasks(), 0);
            }

            #[test]
            fn test_shutdown_all_methods_in_many_threads() {
                shutdown_all_methods_in_many_threads(false);
            }

            #[test]
            fn test_shutdown_immediate_all_methods_in_many_threads() {
                shutdown_all_methods_in_many_threads(true);
            }

            /// Starts `n` threads that wait for `go`, then run `f`; returns their results.
            fn after_go<R: Send + 'static>(
                n: usize,
                go: &Arc<Barrier>,
                f: impl Fn() -> R + Send + Sync + 'static,
            ) -> Vec<thread::JoinHandle<R>> {
                let f = Arc::new(f);
                (0..n)
                    .map(|_| {
                        let (go, f) = (Arc::clone(go), Arc::clone(&f));
                        thread::spawn(move || {
                            go.wait();
                            f()
                        })
                    })
                    .collect()
            }

            fn shutdown_get(immediate: bool) {
                let q = Arc::new(Q::new(2));
                q.put("Y").unwrap();
                q.put("D").unwrap(); // queue full
                let n = if immediate { 2 } else { 3 };
                let go = Arc::new(Barrier::new(n + 1));
                let q2 = Arc::clone(&q);
                let threads = after_go(n, &go, move || q2.get().is_ok());
                if immediate {
                    q.shutdown_immediate()
                } else {
                    q.shutdown()
                }
                go.wait();
                let mut results: Vec<bool> =
                    threads.into_iter().map(|t| t.join().unwrap()).collect();
                results.sort_unstable();
                if immediate {
                    // Every get raised ShutDown.
                    assert_eq!(results, [false, false]);
                } else {
                    // One of them raised ShutDown, the others got "Y" and "D".
                    assert_eq!(results, [false, true, true]);
                }
            }

            #[test]
            fn test_shutdown_get() {
                shutdown_get(false);
            }

            #[test]
            fn test_shutdown_immediate_get() {
                shutdown_get(true);
            }

            fn shutdown_put(immediate: bool) {
                let q = Arc::new(Q::new(2));
                q.put("Y").unwrap();
                q.put("D").unwrap(); // queue full
                let putters: Vec<_> = ["E", "W"]
                    .into_iter()
                    .map(|msg| {
                        let q = Arc::clone(&q);
                        thread::spawn(move || q.put(msg))
                    })
                    .collect();
                // Both putters block, then the shutdown wakes them.
                assert_stays("the putters to block", BLOCKED_FOR, || {
                    putters.iter().all(|p| !p.is_finished())
                });
                if immediate {
                    q.shutdown_immediate()
                } else {
                    q.shutdown()
                }
                let mut back: Vec<_> = putters
                    .into_iter()
                    .map(|p| p.join().unwrap().unwrap_err().into_inner())
                    .collect();
                back.sort_unstable();
                assert_eq!(back, ["E", "W"], "every blocked put fails with its item back");
                assert_eq!(q.qsize(), if immediate { 0 } else { 2 });
            }

            #[test]
            fn test_shutdown_put() {
                shutdown_put(false);
            }

            #[test]
            fn test_shutdown_immediate_put() {
                shutdown_put(true);
            }

            fn shutdown_join(immediate: bool) {
                let q = Arc::new(Q::new(0));
                q.put("Y").unwrap();
                let nb = q.qsize();
                let joiners: Vec<_> = (0..2)
                    .map(|_| {
                        let q = Arc::clone(&q);
                        thread::spawn(move || q.join())
                    })
                    .collect();
                let go = Arc::new(Barrier::new(if immediate { 1 } else { nb + 1 }));
                let getters = if immediate {
                    Vec::new()
                } else {
                    let q2 = Arc::clone(&q);
                    after_go(nb, &go, move || match q2.get() {
                        Ok(_) => {
                            q2.task_done().unwrap();
                            true
                        }
                        Err(_) => false,
                    })
                };
                if immediate {
                    q.shutdown_immediate()
                } else {
                    q.shutdown()
                }
                go.wait();
                for g in getters {
                    assert!(g.join().unwrap());
                }
                for j in joiners {
                    j.join().unwrap();
                }
                assert_eq!(q.unfinished_tasks(), 0);
            }

            #[test]
            fn test_shutdown_immediate_join() {
                shutdown_join(true);
            }

            #[test]
            fn test_shutdown_join() {
                shutdown_join(false);
            }

            fn shutdown_put_join(immediate: bool) {
                let q = Arc::new(Q::new(2));
                q.put("Y").unwrap(); // queue not full
                let go = Arc::new(Barrier::new(2));
                let q2 = Arc::clone(&q);
                let putter = after_go(1, &go, move || q2.put("E").is_err());
                let q3 = Arc::clone(&q);
                let joiner = thread::spawn(move || q3.join());
                assert_eq!(q.unfinished_tasks(), 1);
                if immediate {
                    q.shutdown_immediate()
                } else {
                    q.shutdown()
                }
                go.wait();
                if immediate {
                    assert!(q.get_nowait().unwrap_err().is_shutdown());
                } else {
                    assert_eq!(q.get(), Ok("Y"));
                    q.task_done().unwrap();
                }
                for p in putter {
                    assert!(p.join().unwrap(), "the put after the shutdown failed");
                }
                joiner.join().unwrap();
            }

            #[test]
            fn test_shutdown_immediate_put_join() {
                shutdown_put_join(true);
            }

            #[test]
            fn test_shutdown_put_join() {
                shutdown_put_join(false);
            }

            #[test]
            fn test_shutdown_get_task_done_join() {
                let q = Arc::new(Q::new(2));
                q.put("Y").unwrap();
                q.put("D").unwrap();
                assert_eq!(q.unfinished_tasks(), q.qsize());
                let go = Arc::new(Barrier::new(3));
                let q2 = Arc::clone(&q);
                let getters = after_go(2, &go, move || match q2.get() {
                    Ok(_) => {
                        q2.task_done().unwrap();
                        true
                    }
                    Err(_) => false,
                });
                let joiners: Vec<_> = (0..2)
                    .map(|_| {
                        let q = Arc::clone(&q);
                        thread::spawn(move || q.join())
                    })
                    .collect();
                go.wait();
                q.shutdown();
                for g in getters {
                    assert!(g.join().unwrap());
                }
                for j in joiners {
                    j.join().unwrap();
                }
            }

            #[test]
            fn test_shutdown_pending_get() {
                // a get blocked on an empty queue is woken by shutdown().
                let q = Arc::new(Q::<u8>::new(0));
                let q2 = Arc::clone(&q);
                let result = do_blocking_test(move || q2.get(), || q.shutdown());
                assert_eq!(result, Err(ShutDown::new()));
            }

            /// Q-16, `test_shutdown_immediate`: the discarded items' tasks are done.
            #[test]
            fn q_16_immediate_shutdown_counts_discarded_tasks_done() {
                let q = Q::new(0);
                q.put(1).unwrap();
                q.put(2).unwrap();
                q.shutdown_immediate();
                assert_eq!(q.qsize(), 0);
                assert_eq!(q.unfinished_tasks(), 0);
                assert_eq!(q.get(), Err(ShutDown::new()));
                assert!(q.task_done().is_err());
                assert!(q.join_timeout(AT_ONCE));
            }

            /// items already taken, whose `task_done` is still due, stay counted.
            #[test]
            fn q_17_immediate_shutdown_keeps_tasks_of_taken_items() {
                let q = Arc::new(Q::new(0));
                q.put(1).unwrap();
                q.put(2).unwrap();
                q.get().unwrap();
                q.shutdown_immediate();
                assert_eq!(q.unfinished_tasks(), 1);
                assert!(!q.join_timeout(Duration::from_millis(20)));
                let q2 = Arc::clone(&q);
                do_blocking_test(move || q2.join(), || q.task_done().unwrap());
                assert_eq!(q.unfinished_tasks(), 0);
            }

            /// Q-14 and the brief: raising `maxsize` wakes the blocked putters.
            #[test]
            fn q_14_raising_maxsize_wakes_putters() {
                let q = Arc::new(Q::new(1));
                q.put(0).unwrap();
                let putters: Vec<_> = (1..=2)
                    .map(|x| {
                        let q = Arc::clone(&q);
                        thread::spawn(move || q.put(x))
                    })
                    .collect();
                assert_stays("the putters to block", BLOCKED_FOR, || {
                    putters.iter().all(|p| !p.is_finished())
                });
                q.set_maxsize(1); // no room: nobody gets through
                assert_stays("the putters to stay blocked", BLOCKED_FOR, || {
                    putters.iter().all(|p| !p.is_finished())
                });
                q.set_maxsize(0); // unbounded: both get through
                for p in putters {
                    p.join().unwrap().unwrap();
                }
                assert_eq!(q.qsize(), 3);
            }

            #[test]
            fn q_14_raising_maxsize_by_one_lets_one_putter_through() {
                let q = Arc::new(Q::new(1));
                q.put(0).unwrap();
                let putters: Vec<_> = (1..=2)
                    .map(|x| {
                        let q = Arc::clone(&q);
                        thread::spawn(move || q.put_timeout(x, Duration::from_secs(30)))
                    })
                    .collect();
                assert_stays("the putters to block", BLOCKED_FOR, || {
                    putters.iter().all(|p| !p.is_finished())
                });
                q.set_maxsize(2);
                wait_until("one putter gets through", || {
                    putters.iter().filter(|p| p.is_finished()).count() == 1
                });
                assert_eq!(q.qsize(), 2);
                assert_stays("the other to stay blocked", BLOCKED_FOR, || {
                    putters.iter().filter(|p| p.is_finished()).count() == 1
                });
                q.get().unwrap();
                for p in putters {
                    p.join().unwrap().unwrap();
                }
                assert_eq!(q.qsize(), 2);
            }

            /// Q-19 with timed puts: a shutdown wakes them before their time is up.
            #[test]
            fn q_19_shutdown_wakes_timed_putters_and_getters() {
                let full = Arc::new(Q::new(1));
                full.put(0).unwrap();
                let f2 = Arc::clone(&full);
                let (elapsed, r) = timed(|| {
                    do_blocking_test(
                        move || f2.put_timeout(1, Duration::from_secs(30)),
                        || full.shutdown(),
                    )
                });
                assert!(r.unwrap_err().is_shutdown());
                assert!(elapsed < Duration::from_secs(10));
                let empty = Arc::new(Q::<u8>::new(0));
                let e2 = Arc::clone(&empty);
                let r = do_blocking_test(
                    move || e2.get_timeout(Duration::from_secs(30)),
                    || empty.shutdown_immediate(),
                );
                assert!(r.unwrap_err().is_shutdown());
            }

            #[test]
            fn stress_mpmc_every_item_exactly_once() {
                stress_mpmc(
                    |cap| Arc::new(Q::new(cap)),
                    |q, x| q.put(x).unwrap(),
                    |q| q.get().ok(),
                    |q| q.shutdown(),
                );
            }

            #[test]
            fn stress_mpmc_with_timeouts() {
                // Timed puts and gets racing each other: a put that times out hands its item
                // back and is retried, so still every item arrives exactly once.
                stress_mpmc(
                    |cap| Arc::new(Q::new(cap)),
                    |q, x| {
                        let mut x = x;
                        loop {
                            match q.put_timeout(x, Duration::from_micros(50)) {
                                Ok(()) => return,
                                Err(PutError::Full(full)) => x = full.into_inner(),
                                Err(PutError::ShutDown(_)) => panic!("shut down early"),
                            }
                        }
                    },
                    |q| loop {
                        match q.get_timeout(Duration::from_micros(50)) {
                            Ok(x) => return Some(x),
                            Err(GetError::Empty(_)) => {}
                            Err(GetError::ShutDown(_)) => return None,
                        }
                    },
                    |q| q.shutdown(),
                );
            }

            #[test]
            fn debug_and_default() {
                let q: Q<u8> = Q::default();
                assert_eq!(q.maxsize(), 0);
                q.put(1).unwrap();
                let text = format!("{q:?}");
                assert!(text.starts_with(stringify!($Q)), "{text}");
                assert!(text.contains("qsize: 1"), "{text}");
                assert!(text.contains("unfinished_tasks: 1"), "{text}");
                assert!(text.contains("is_shutdown: false"), "{text}");
            }

            #[test]
            fn static_queue() {
                static Q_STATIC: Q<u32> = Q::new(2);
                Q_STATIC.put(1).unwrap();
                assert_eq!(Q_STATIC.get(), Ok(1));
                Q_STATIC.task_done().unwrap();
                Q_STATIC.join();
            }
        }
    };
}

base_queue_tests!(fifo, Queue, [111, 333, 222]);
base_queue_tests!(lifo, LifoQueue, [222, 333, 111]);
base_queue_tests!(priority, PriorityQueue, [111, 222, 333]);

/// Runs `PRODUCERS` threads putting `0..ITEMS` between them and `CONSUMERS` threads taking
/// until `get` returns `None` (after `close`), through a queue of capacity 4; checks every item
/// arrived exactly once, the sum, and the task count.
fn stress_mpmc<Q: Send + Sync + 'static>(
    make: impl FnOnce(usize) -> Arc<Q>,
    put: fn(&Q, u64),
    get: fn(&Q) -> Option<u64>,
    close: fn(&Q),
) {
    const PRODUCERS: u64 = 4;
    const CONSUMERS: usize = 4;
    const ITEMS: u64 = if cfg!(miri) { 200 } else { 20_000 };
    let q = make(4);
    let seen: Arc<Vec<AtomicBool>> = Arc::new((0..ITEMS).map(|_| AtomicBool::new(false)).collect());
    let sum = Arc::new(AtomicU64::new(0));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                for x in (p..ITEMS).step_by(PRODUCERS as usize) {
                    put(&q, x);
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let (q, seen, sum) = (Arc::clone(&q), Arc::clone(&seen), Arc::clone(&sum));
            thread::spawn(move || {
                let mut n = 0u64;
                while let Some(x) = get(&q) {
                    assert!(!seen[x as usize].swap(true, Ordering::SeqCst), "item {x} twice");
                    sum.fetch_add(x, Ordering::SeqCst);
                    n += 1;
                }
                n
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    close(&q);
    let got: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(got, ITEMS, "items lost");
    assert!(seen.iter().all(|s| s.load(Ordering::SeqCst)));
    assert_eq!(sum.load(Ordering::SeqCst), ITEMS * (ITEMS - 1) / 2);
}

#[test]
fn stress_simple_queue_mpmc_every_item_exactly_once() {
    const CONSUMERS: usize = 4;
    stress_mpmc(
        |_| Arc::new(SimpleQueue::<Option<u64>>::new()),
        |q, x| q.put(Some(x)),
        |q| q.get(),
        |q| {
            for _ in 0..CONSUMERS {
                q.put(None);
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Q-xx rows.

#[test]
fn q_02_maxsize_zero_is_unbounded() {
    let q = Queue::new(0);
    for i in 0..1000 {
        q.put_nowait(i).unwrap();
    }
    assert!(!q.full());
    assert_eq!(q.qsize(), 1000);
    // Not a rendezvous: a put with nobody getting returns at once.
    let (elapsed, r) = timed(|| q.put_timeout(1000, Duration::from_secs(10)));
    r.unwrap();
    assert!(elapsed < AT_ONCE);
}

#[test]
fn q_03_qsize_empty_full_report_state() {
    let q = Queue::new(2);
    assert_eq!((q.empty(), q.full(), q.qsize()), (true, false, 0));
    q.put(1).unwrap();
    q.put(2).unwrap();
    assert_eq!((q.empty(), q.full(), q.qsize()), (false, true, 2));
}

#[test]
fn q_05_timed_put_on_full_queue_raises_full_after_timeout() {
    let q = Queue::new(1);
    q.put(0).unwrap();
    let (elapsed, r) = timed(|| q.put_timeout(1, SHORT));
    assert_eq!(r.unwrap_err().into_inner(), 1);
    assert_timeout(elapsed, SHORT);
    let (elapsed, r) = timed(|| q.put_timeout(2, Duration::ZERO));
    assert!(r.unwrap_err().is_full());
    assert!(elapsed < AT_ONCE);
    let (elapsed, r) = timed(|| q.put_deadline(3, Instant::now() + SHORT));
    assert!(r.unwrap_err().is_full());
    assert_timeout(elapsed, SHORT);
    let (elapsed, r) = timed(|| q.put_deadline(4, Instant::now() - SHORT));
    assert!(r.unwrap_err().is_full());
    assert!(elapsed < AT_ONCE);
}

#[test]
fn q_06_nonblocking_or_timed_get_on_empty_queue_raises_empty() {
    let q = Queue::<u8>::new(0);
    assert_eq!(q.get_nowait(), Err(GetError::Empty(Empty)));
    let (elapsed, r) = timed(|| q.get_timeout(Duration::ZERO));
    assert!(r.unwrap_err().is_empty());
    assert!(elapsed < AT_ONCE);
    let (elapsed, r) = timed(|| q.get_timeout(SHORT));
    assert!(r.unwrap_err().is_empty());
    assert_timeout(elapsed, SHORT);
    let (elapsed, r) = timed(|| q.get_deadline(Instant::now() + SHORT));
    assert!(r.unwrap_err().is_empty());
    assert_timeout(elapsed, SHORT);
}

/// Python rejects a negative timeout with `ValueError`; a `Duration` cannot be
/// negative, and the nearest value, zero, is a single try that still returns what is there.
#[test]
fn q_08_zero_timeout_is_a_single_try() {
    let q = Queue::new(5);
    q.put_timeout(1, Duration::ZERO).unwrap();
    assert_eq!(q.get_timeout(Duration::ZERO), Ok(1));
    let unbounded = Queue::new(0);
    unbounded.put_timeout(1, Duration::ZERO).unwrap();
}

/// a huge timeout waits forever (instead of `OverflowError`), and only matters if the
/// call has to wait.
#[test]
fn q_10_huge_timeouts_wait_forever() {
    let q = Arc::new(Queue::new(1));
    q.put_timeout(1, Duration::MAX).unwrap(); // room: no wait
    let q2 = Arc::clone(&q);
    do_blocking_test(
        move || q2.put_timeout(2, Duration::MAX).unwrap(),
        || {
            assert_eq!(q.get(), Ok(1));
        },
    );
    assert_eq!(q.get_timeout(Duration::MAX), Ok(2)); // an item: no wait
    let q2 = Arc::clone(&q);
    let got = do_blocking_test(move || q2.get_timeout(Duration::MAX), || q.put(3).unwrap());
    assert_eq!(got, Ok(3));
    for _ in 0..3 {
        q.task_done().unwrap();
    }
    assert!(q.join_timeout(Duration::MAX));
    let simple = Arc::new(SimpleQueue::new());
    let s2 = Arc::clone(&simple);
    let got = do_blocking_test(move || s2.get_timeout(Duration::MAX), || simple.put(4));
    assert_eq!(got, Ok(4));
}

#[test]
fn q_11_task_done_too_many_times() {
    let q = Queue::new(0);
    q.put(1).unwrap();
    q.task_done().unwrap();
    let err = q.task_done().unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::TaskDoneTooManyTimes);
    assert_eq!(err.to_string(), "task_done() called too many times");
    assert_eq!(q.unfinished_tasks(), 0, "the count stays at zero");
}

#[test]
fn q_12_join_blocks_until_every_task_done() {
    let q = Arc::new(Queue::new(0));
    assert!(q.join_timeout(AT_ONCE), "a fresh queue joins at once");
    q.put(1).unwrap();
    q.put(2).unwrap();
    assert!(!q.join_timeout(Duration::from_millis(20)));
    q.get().unwrap();
    q.get().unwrap();
    q.task_done().unwrap();
    assert!(!q.join_timeout(Duration::from_millis(20)), "one task still due");
    let q2 = Arc::clone(&q);
    do_blocking_test(move || q2.join(), || q.task_done().unwrap());
    q.join(); // and again
}

#[test]
fn join_timeout_measures_its_timeout() {
    let q = Queue::new(0);
    q.put(1).unwrap();
    let (elapsed, done) = timed(|| q.join_timeout(SHORT));
    assert!(!done);
    assert_timeout(elapsed, SHORT);
    let (elapsed, done) = timed(|| q.join_deadline(Instant::now() + SHORT));
    assert!(!done);
    assert_timeout(elapsed, SHORT);
}

#[test]
fn many_joiners_all_released_by_last_task_done() {
    let q = Arc::new(Queue::new(0));
    q.put(()).unwrap();
    let joiners: Vec<_> = (0..4)
        .map(|_| {
            let q = Arc::clone(&q);
            thread::spawn(move || q.join())
        })
        .collect();
    assert_stays("the joiners to block", BLOCKED_FOR, || joiners.iter().all(|j| !j.is_finished()));
    q.get().unwrap();
    q.task_done().unwrap();
    for j in joiners {
        j.join().unwrap();
    }
}

/// three distinct error types with their own messages; a failed put's error holds the
/// item.
#[test]
fn q_23_errors_are_distinct_types() {
    fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    let q = Queue::new(1);
    q.put(vec![1]).unwrap();
    let full: Full<Vec<i32>> = match q.put_nowait(vec![2, 3]) {
        Err(PutError::Full(full)) => full,
        other => panic!("expected Full, got {other:?}"),
    };
    is_error(&full);
    assert_eq!(full.to_string(), "queue is full");
    assert_eq!(format!("{full:?}"), "Full(..)");
    assert_eq!(full.into_inner(), [2, 3]);
    assert_eq!((q.qsize(), q.unfinished_tasks()), (1, 1), "the refused put changed nothing");
    is_error(&Empty);
    assert_eq!(Empty.to_string(), "queue is empty");
    let shut = ShutDown::new();
    is_error(&shut);
    assert_eq!(shut.to_string(), "queue is shut down");
    assert_eq!(format!("{shut:?}"), "ShutDown(..)");
    let q = Queue::new(0);
    q.shutdown();
    let put_err: ShutDown<String> = q.put(String::from("late")).unwrap_err();
    assert_eq!(put_err.into_inner(), "late");
    let put_err = q.put_nowait(String::from("7")).unwrap_err();
    is_error(&put_err);
    assert!(put_err.is_shutdown() && !put_err.is_full());
    assert_eq!(put_err.to_string(), "queue is shut down");
    assert!(PutError::from(q.put(String::new()).unwrap_err()).is_shutdown());
    let get_err: GetError = q.get_nowait().unwrap_err();
    is_error(&get_err);
    assert!(get_err.is_shutdown() && !get_err.is_empty());
    assert_eq!(GetError::from(Empty), GetError::Empty(Empty));
    assert_eq!(GetError::from(ShutDown::new()), GetError::ShutDown(ShutDown::new()));
    // `?` works: each converts into the "either" enum.
    fn forward(q: &Queue<u8>) -> Result<u8, GetError> {
        let x = q.get_nowait()?;
        Ok(x)
    }
    assert!(forward(&Queue::new(0)).unwrap_err().is_empty());
}

/// Q-24, `BaseSimpleQueueTest.test_basic`.
#[test]
fn q_24_simple_queue_basic() {
    let q = SimpleQueue::new();
    assert!(q.empty());
    assert_eq!(q.qsize(), 0);
    q.put(1);
    assert!(!q.empty());
    assert_eq!(q.qsize(), 1);
    q.put(2);
    q.put_nowait(3);
    q.put(4);
    assert!(!q.empty());
    assert_eq!(q.qsize(), 4);
    assert_eq!(q.get(), 1);
    assert_eq!(q.qsize(), 3);
    assert_eq!(q.get_nowait(), Ok(2));
    assert_eq!(q.qsize(), 2);
    assert_eq!(q.get_timeout(Duration::ZERO), Ok(3));
    assert!(!q.empty());
    assert_eq!(q.qsize(), 1);
    assert_eq!(q.get_timeout(SHORT), Ok(4));
    assert!(q.empty());
    assert_eq!(q.qsize(), 0);
    assert_eq!(q.get_nowait(), Err(Empty));
    assert_eq!(q.get_timeout(Duration::from_millis(1)), Err(Empty));
    let (elapsed, r) = timed(|| q.get_timeout(SHORT));
    assert_eq!(r, Err(Empty));
    assert_timeout(elapsed, SHORT);
    let (elapsed, r) = timed(|| q.get_deadline(Instant::now() + SHORT));
    assert_eq!(r, Err(Empty));
    assert_timeout(elapsed, SHORT);
    assert!(q.empty());
}

/// Python's `get(timeout=-1)` is a `ValueError`; the nearest `Duration`, zero, is a
/// single try.
#[test]
fn q_25_simple_queue_zero_timeout() {
    let q = SimpleQueue::new();
    q.put(1);
    assert_eq!(q.get_timeout(Duration::ZERO), Ok(1));
    assert_eq!(q.get_timeout(Duration::ZERO), Err(Empty));
}

#[test]
fn simple_queue_blocking_get() {
    let q = Arc::new(SimpleQueue::new());
    let q2 = Arc::clone(&q);
    let got = do_blocking_test(move || q2.get(), || q.put("empty"));
    assert_eq!(got, "empty");
}

/// `BaseSimpleQueueTest.test_order`.
#[test]
fn simple_queue_test_order() {
    let q = SimpleQueue::new();
    let inputs: Vec<u32> = (0..100).collect();
    for &x in &inputs {
        q.put(x);
    }
    let results: Vec<u32> = (0..100).map(|_| q.get()).collect();
    assert_eq!(results, inputs);
}

/// How many items [`simple_run_threads`] passes through (CPython: 10,000).
const SIMPLE_INPUTS: u32 = if cfg!(miri) { 200 } else { 10_000 };

/// `BaseSimpleQueueTest.run_threads`: `n` feeders share `inputs`, each ending with a `None`;
/// `n` consumers collect until `None`.
fn simple_run_threads(n: usize, consume: fn(&SimpleQueue<Option<u32>>) -> Option<u32>) {
    let q = Arc::new(SimpleQueue::new());
    let inputs = Arc::new(Mutex::new((0..SIMPLE_INPUTS).collect::<Vec<_>>()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut threads = Vec::new();
    for _ in 0..n {
        let (q, inputs) = (Arc::clone(&q), Arc::clone(&inputs));
        threads.push(thread::spawn(move || {
            loop {
                let next = inputs.lock().unwrap().pop();
                match next {
                    Some(x) => q.put(Some(x)),
                    None => {
                        q.put(None);
                        return;
                    }
                }
            }
        }));
    }
    for _ in 0..n {
        let (q, results) = (Arc::clone(&q), Arc::clone(&results));
        threads.push(thread::spawn(move || {
            while let Some(x) = consume(&q) {
                results.lock().unwrap().push(x);
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let mut results = results.lock().unwrap().clone();
    results.sort_unstable();
    assert_eq!(results, (0..SIMPLE_INPUTS).collect::<Vec<_>>());
    assert!(q.empty());
}

#[test]
fn simple_queue_test_many_threads() {
    simple_run_threads(20, SimpleQueue::get);
}

#[test]
fn simple_queue_test_many_threads_nonblock() {
    simple_run_threads(20, |q| {
        loop {
            match q.get_nowait() {
                Ok(v) => return v,
                Err(Empty) => thread::yield_now(),
            }
        }
    });
}

#[test]
fn simple_queue_test_many_threads_timeout() {
    simple_run_threads(20, |q| {
        loop {
            if let Ok(v) = q.get_timeout(Duration::from_micros(10)) {
                return v;
            }
        }
    });
}

/// `BaseSimpleQueueTest.test_references`: the queue does not keep items alive after `get`.
#[test]
fn simple_queue_test_references() {
    let q = SimpleQueue::new();
    let item = Arc::new(42);
    q.put(Arc::clone(&item));
    assert_eq!(Arc::strong_count(&item), 2);
    drop(q.get());
    assert_eq!(Arc::strong_count(&item), 1);
    q.put(Arc::clone(&item));
    drop(q);
    assert_eq!(Arc::strong_count(&item), 1, "dropping the queue drops its items");
}

#[test]
fn simple_queue_static_default_debug() {
    static LOG: SimpleQueue<&str> = SimpleQueue::new();
    LOG.put("x");
    assert_eq!(format!("{LOG:?}"), "SimpleQueue { qsize: 1, .. }");
    assert_eq!(LOG.get(), "x");
    let q: SimpleQueue<u8> = SimpleQueue::default();
    assert!(q.empty());
}

// ---------------------------------------------------------------------------------------------
// Ordering details.

#[test]
fn priority_queue_equal_priorities_come_out_fifo() {
    /// Ordered by priority only; the payload says which put it was.
    #[derive(Debug)]
    struct Job(u8, &'static str);
    impl PartialEq for Job {
        fn eq(&self, other: &Job) -> bool {
            self.0 == other.0
        }
    }
    impl Eq for Job {}
    impl PartialOrd for Job {
        fn partial_cmp(&self, other: &Job) -> Option<CmpOrdering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Job {
        fn cmp(&self, other: &Job) -> CmpOrdering {
            self.0.cmp(&other.0)
        }
    }
    let q = PriorityQueue::new(0);
    for (p, name) in [(2, "a"), (1, "b"), (2, "c"), (1, "d"), (2, "e"), (0, "f"), (1, "g")] {
        q.put(Job(p, name)).unwrap();
    }
    let names: Vec<_> = (0..7).map(|_| q.get().unwrap().1).collect();
    assert_eq!(names, ["f", "b", "d", "g", "a", "c", "e"]);
}

#[test]
fn priority_queue_reverse_for_largest_first() {
    let q = PriorityQueue::new(0);
    for x in [3, 9, 1] {
        q.put(std::cmp::Reverse(x)).unwrap();
    }
    assert_eq!(q.get().unwrap().0, 9);
}

#[test]
fn priority_queue_many_items_sorted() {
    let q = PriorityQueue::new(0);
    let mut x: u64 = 12345;
    let mut all = Vec::new();
    let n = if cfg!(miri) { 200 } else { 2000 };
    for _ in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let v = (x >> 40) % 500;
        all.push(v);
        q.put(v).unwrap();
    }
    all.sort_unstable();
    let out: Vec<_> = (0..n).map(|_| q.get().unwrap()).collect();
    assert_eq!(out, all);
}

#[test]
fn lifo_queue_is_a_stack_under_interleaving() {
    let q = LifoQueue::new(0);
    q.put(1).unwrap();
    q.put(2).unwrap();
    assert_eq!(q.get(), Ok(2));
    q.put(3).unwrap();
    assert_eq!(q.get(), Ok(3));
    assert_eq!(q.get(), Ok(1));
}

// ---------------------------------------------------------------------------------------------
// Panic safety: CPython's `FailingQueueTest` and "do not replicate" #4 of §18.

/// Which thread's next comparison of [`Touchy`] items panics (once; then it resets).
type Switch = Arc<Mutex<Option<thread::ThreadId>>>;

/// Makes the calling thread's next comparison of items sharing `switch` panic.
fn arm(switch: &Switch) {
    *switch.lock().unwrap() = Some(thread::current().id());
}

/// An item whose comparison panics when its shared switch is armed for the comparing thread:
/// CPython's `FailingQueue` (`fail_next_put`/`fail_next_get`), for `Ord`.
#[derive(Debug, Clone)]
struct Touchy {
    key: i32,
    fail: Switch,
}

impl PartialEq for Touchy {
    fn eq(&self, other: &Touchy) -> bool {
        self.key == other.key
    }
}

impl Eq for Touchy {}

impl PartialOrd for Touchy {
    fn partial_cmp(&self, other: &Touchy) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Touchy {
    fn cmp(&self, other: &Touchy) -> CmpOrdering {
        let me = thread::current().id();
        let fire = {
            let mut armed = self.fail.lock().unwrap_or_else(|e| e.into_inner());
            let fire = *armed == Some(me);
            if fire {
                *armed = None;
            }
            fire
        };
        if fire {
            panic!("You Lose");
        }
        self.key.cmp(&other.key)
    }
}

/// Runs `f`, expects it to panic with "You Lose".
#[track_caller]
fn expect_you_lose<R>(f: impl FnOnce() -> R) {
    let err = panic::catch_unwind(AssertUnwindSafe(f)).map(|_| ()).unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&"You Lose"));
}

/// CPython's `failing_queue_test`, for the queue whose user code can fail: `PriorityQueue`.
fn failing_queue_test(q: &Arc<PriorityQueue<Touchy>>, fail: &Switch) {
    let item = |key| Touchy { key, fail: Arc::clone(fail) };
    assert_eq!(q.qsize(), 0, "call this function with an empty queue");
    for i in 0..QUEUE_SIZE as i32 - 1 {
        q.put(item(i)).unwrap();
    }
    let counts = |q: &PriorityQueue<Touchy>| (q.qsize(), q.unfinished_tasks());
    let before = counts(q);
    // A failing non-blocking put.
    arm(fail);
    expect_you_lose(|| q.put_nowait(item(-1)));
    assert_eq!(counts(q), before, "a put that panicked did not happen");
    // A failing timed put.
    arm(fail);
    expect_you_lose(|| q.put_timeout(item(-2), SHORT));
    assert_eq!(counts(q), before);
    q.put(item(100)).unwrap(); // "last"
    assert!(q.full(), "queue should be full");
    // A failing blocking put: it waits for room, then its comparison panics.
    let q2 = Arc::clone(q);
    let f2 = Arc::clone(fail);
    let outcome = do_blocking_test(
        move || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                arm(&f2);
                q2.put(Touchy { key: -3, fail: Arc::clone(&f2) })
            }))
        },
        || drop(q.get().unwrap()),
    );
    assert!(outcome.is_err(), "the blocked put panicked");
    // Check the queue isn't damaged: the put failed, the get succeeded; re-add.
    assert_eq!(q.qsize(), QUEUE_SIZE - 1);
    q.put(item(100)).unwrap();
    assert!(q.full());
    // A failing timed blocking put.
    let q2 = Arc::clone(q);
    let f2 = Arc::clone(fail);
    let outcome = do_blocking_test(
        move || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                arm(&f2);
                q2.put_timeout(Touchy { key: -4, fail: Arc::clone(&f2) }, Duration::from_secs(10))
            }))
        },
        || drop(q.get().unwrap()),
    );
    assert!(outcome.is_err());
    q.put(item(100)).unwrap();
    assert!(q.full());
    q.get().unwrap();
    assert!(!q.full());
    q.put(item(100)).unwrap();
    assert!(q.full());
    // Empty it, keeping track of the order.
    let out: Vec<i32> = (0..QUEUE_SIZE).map(|_| q.get().unwrap().key).collect();
    let mut sorted = out.clone();
    sorted.sort_unstable();
    assert_eq!(out, sorted, "still a heap after the panics");
    assert_eq!(q.qsize(), 0);
    // A failing get (with enough items that the heap must compare) leaves its item queued.
    for k in [7, 3, 5] {
        q.put(item(k)).unwrap();
    }
    let before = counts(q);
    arm(fail);
    expect_you_lose(|| q.get());
    assert_eq!(counts(q), before, "a get that panicked left its item in the queue");
    arm(fail);
    expect_you_lose(|| q.get_timeout(SHORT));
    assert_eq!(counts(q), before);
    assert_eq!(q.get().unwrap().key, 3);
    assert_eq!(q.get().unwrap().key, 5);
    assert_eq!(q.get().unwrap().key, 7);
    // Every task is still counted once: the successful puts, minus nothing.
    let unfinished = q.unfinished_tasks();
    for _ in 0..unfinished {
        q.task_done().unwrap();
    }
    assert!(q.task_done().is_err());
    assert!(q.join_timeout(AT_ONCE));
}

#[test]
fn q_27_test_failing_queue() {
    // Done twice to the same instance.
    let q = Arc::new(PriorityQueue::new(QUEUE_SIZE));
    let fail = Switch::default();
    failing_queue_test(&q, &fail);
    failing_queue_test(&q, &fail);
}

/// "Do not replicate" #4: CPython's `qsize()` becomes 2 while `unfinished_tasks` is 1 after an
/// incomparable put; here the counts always agree, and the lock is released by the panic.
#[test]
fn priority_panic_keeps_qsize_and_unfinished_tasks_in_step() {
    let fail = Switch::default();
    let q = PriorityQueue::new(0);
    q.put(Touchy { key: 1, fail: Arc::clone(&fail) }).unwrap();
    arm(&fail);
    expect_you_lose(|| q.put(Touchy { key: 2, fail: Arc::clone(&fail) }));
    assert_eq!((q.qsize(), q.unfinished_tasks()), (1, 1));
    // The lock was released: another thread can use the queue at once.
    thread::scope(|s| {
        s.spawn(|| q.put(Touchy { key: 0, fail: Arc::clone(&fail) }).unwrap());
    });
    assert_eq!((q.qsize(), q.unfinished_tasks()), (2, 2));
    assert_eq!(q.get().unwrap().key, 0);
}

/// A panic in `Ord::cmp` with a putter waiting on the full queue: the panicking get changed
/// nothing (so the queue is still full and the putter rightly still waits), and the next get
/// wakes the putter as usual.
#[test]
fn priority_panic_does_not_strand_waiters() {
    let fail = Switch::default();
    let item = |key| Touchy { key, fail: Arc::clone(&fail) };
    let q = Arc::new(PriorityQueue::new(3));
    for k in [1, 2, 3] {
        q.put(item(k)).unwrap();
    }
    let putter = {
        let (q, x) = (Arc::clone(&q), item(0));
        thread::spawn(move || q.put(x))
    };
    assert_stays("the putter to block", BLOCKED_FOR, || !putter.is_finished());
    arm(&fail);
    expect_you_lose(|| q.get());
    assert_eq!(q.qsize(), 3);
    assert_stays("the putter to stay blocked", BLOCKED_FOR, || !putter.is_finished());
    assert_eq!(q.get().unwrap().key, 1);
    putter.join().unwrap().unwrap();
    let keys: Vec<_> = (0..3).map(|_| q.get().unwrap().key).collect();
    assert_eq!(keys, [0, 2, 3]);
}

/// Items are dropped outside the internal lock: an item whose `Drop` uses the same queue
/// does not deadlock an immediate shutdown (or the queue's own drop).
#[test]
fn items_dropped_outside_the_lock() {
    struct Noisy {
        q: Weak<Queue<Noisy>>,
        drops: Arc<AtomicUsize>,
    }
    impl Drop for Noisy {
        fn drop(&mut self) {
            if let Some(q) = self.q.upgrade() {
                let _ = q.qsize(); // takes the queue's lock
            }
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let q = Arc::new(Queue::new(0));
    for _ in 0..3 {
        q.put(Noisy { q: Arc::downgrade(&q), drops: Arc::clone(&drops) }).unwrap();
    }
    q.shutdown_immediate();
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    assert_eq!(q.unfinished_tasks(), 0);
    // A put refused by the shutdown hands the item back: it is dropped by the caller.
    let back = q.put(Noisy { q: Arc::downgrade(&q), drops: Arc::clone(&drops) }).unwrap_err();
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn dropping_a_queue_drops_its_items() {
    let item = Arc::new(());
    {
        let q = PriorityQueue::new(0);
        let l = LifoQueue::new(0);
        let f = Queue::new(0);
        for _ in 0..3 {
            q.put(ByAddr(Arc::clone(&item))).unwrap();
            l.put(Arc::clone(&item)).unwrap();
            f.put(Arc::clone(&item)).unwrap();
        }
        assert_eq!(Arc::strong_count(&item), 10);
    }
    assert_eq!(Arc::strong_count(&item), 1);

    /// `Arc<()>` with a trivial order, for the heap.
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct ByAddr(Arc<()>);
}

/// The queue is usable across `catch_unwind` without `AssertUnwindSafe` (no poisoning), and a
/// panic in a consumer between `get` and `task_done` leaves a consistent count.
#[test]
fn no_poisoning_after_a_caller_panics() {
    let q = Queue::new(0);
    q.put(1).unwrap();
    let r = panic::catch_unwind(|| {
        let _x = q.get().unwrap();
        panic!("consumer failed");
    });
    assert!(r.is_err());
    assert_eq!((q.qsize(), q.unfinished_tasks()), (0, 1));
    q.put(2).unwrap();
    assert_eq!(q.get(), Ok(2));
}

#[test]
fn queue_of_non_sync_items_is_shared_between_threads() {
    // `Queue<T>` is `Sync` for `T: Send` (like `Mutex<T>`): `Cell` items move through it.
    let q = Arc::new(Queue::new(0));
    let q2 = Arc::clone(&q);
    thread::spawn(move || q2.put(std::cell::Cell::new(5)).unwrap()).join().unwrap();
    assert_eq!(q.get().unwrap().get(), 5);
}

#[test]
fn get_returns_every_item_put_before_a_normal_shutdown_to_many_getters() {
    let q = Arc::new(Queue::new(0));
    for i in 0..100 {
        q.put(i).unwrap();
    }
    q.shutdown();
    let getters: Vec<_> = (0..4)
        .map(|_| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Ok(x) = q.get() {
                    got.push(x);
                }
                got
            })
        })
        .collect();
    let all: HashSet<i32> = getters.into_iter().flat_map(|g| g.join().unwrap()).collect();
    assert_eq!(all.len(), 100);
}

/// Each queue wakes its own waiters: with a getter asleep on one queue and then another getter
/// asleep on a second queue, a put on the second reaches its getter at once, not the first
/// queue's sleeper (which would just go back to sleep and leave the item waiting); for the
/// locked engine and the ring, and for putters on two full bounded queues. Run in a child
/// process (`daemon_child queue-own-wake`), where no other test's wake-ups can hide it.
#[cfg(not(miri))] // Miri cannot spawn a process.
#[test]
fn a_put_wakes_the_getter_of_its_own_queue() {
    let out = crate::thread::child(&["queue-own-wake"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        crate::thread::text(&out.stdout),
        "locked second: Ok(\"for second\") at once\nlocked first: Ok(\"for first\")\n\
         ring second: Ok(\"for second\") at once\nring first: Ok(\"for first\")\n\
         putters: second at once\nputters: first\n"
    );
}

/// `shutdown(immediate=True)` discards the last unfinished items and so releases a thread
/// already blocked in `join()` (CPython's `test_shutdown_immediate_join` does not wait for
/// its joiners to block, so it rarely gets here).
#[test]
fn shutdown_immediate_releases_a_joiner_blocked_in_join() {
    for queue in [Queue::new(0), Queue::new(1)] {
        let q = Arc::new(queue);
        q.put(1).unwrap();
        let joined = Arc::new(AtomicBool::new(false));
        let (q2, j2) = (Arc::clone(&q), Arc::clone(&joined));
        let tid = Arc::new(AtomicU64::new(0));
        let t = Arc::clone(&tid);
        let b = Bunch::new(1, false, move |_| {
            t.store(threading::get_native_id(), Ordering::SeqCst);
            q2.join();
            j2.store(true, Ordering::SeqCst);
        });
        wait_until("the joiner has started", || tid.load(Ordering::SeqCst) != 0);
        wait_until_asleep(tid.load(Ordering::SeqCst));
        assert!(!joined.load(Ordering::SeqCst), "join returned with a task unfinished");
        q.shutdown_immediate();
        wait_until("the joiner is released", || joined.load(Ordering::SeqCst));
        b.wait_for_finished();
        assert_eq!(q.unfinished_tasks(), 0);
    }
}

#[test]
fn errors_tell_their_kind_and_display_like_python() {
    let q = Queue::new(1);
    q.put(1).unwrap();
    let full = q.put_nowait(2).unwrap_err();
    assert!(!full.is_shutdown());
    assert_eq!(full.to_string(), "queue is full");
    assert_eq!(q.get_nowait(), Ok(1));
    let empty = q.get_nowait().unwrap_err();
    assert!(!empty.is_shutdown());
    assert_eq!(empty.to_string(), "queue is empty");
    q.shutdown();
    let put = q.put_nowait(3).unwrap_err();
    assert!(put.is_shutdown());
    assert_eq!(put.to_string(), "queue is shut down");
    let get = q.get_nowait().unwrap_err();
    assert!(get.is_shutdown());
    assert_eq!(get.to_string(), "queue is shut down");
}

/// Busy-waits `micros` µs: moves a racing call across the window between a waiter registering
/// and parking (a sleep is far too coarse for that).
fn spin_for(micros: u64) {
    let end = Instant::now() + Duration::from_micros(micros);
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

/// The wake-ups of `shutdown_immediate` (putters and joiners) and of a raised `maxsize`
/// (putters) reach a waiter at any point of its wait, also between registering and parking,
/// where only the epoch bump (not the unpark) can reach it. Hundreds of rounds, each with the
/// waker delayed by a different few microseconds, so some land in that window.
#[test]
fn wakes_reach_waiters_caught_between_registering_and_parking() {
    const ROUNDS: u64 = if cfg!(miri) { 10 } else { 300 };
    const PATIENT: Duration = Duration::from_secs(5);
    for i in 0..ROUNDS {
        // A shutdown: the putter is refused, the joiner released (the discard ends the task).
        let q = Arc::new(Queue::new(1));
        q.put(0).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (qp, tp) = (Arc::clone(&q), tx.clone());
        let putter = thread::spawn(move || tp.send(("put", qp.put(1).is_err())).unwrap());
        let (qj, tj) = (Arc::clone(&q), tx);
        let joiner = thread::spawn(move || {
            qj.join();
            tj.send(("join", true)).unwrap();
        });
        spin_for(i % 60);
        q.shutdown_immediate();
        for _ in 0..2 {
            let (who, ok) = rx.recv_timeout(PATIENT).expect("a waiter missed the shutdown");
            assert!(ok, "{who} after shutdown");
        }
        putter.join().unwrap();
        joiner.join().unwrap();

        // A raised maxsize lets the putter in.
        let q = Arc::new(Queue::new(1));
        q.put(0).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let qp = Arc::clone(&q);
        let putter = thread::spawn(move || tx.send(qp.put(1).is_ok()).unwrap());
        spin_for(i % 60);
        q.set_maxsize(2);
        assert_eq!(rx.recv_timeout(PATIENT), Ok(true), "the putter missed the raised maxsize");
        putter.join().unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// The bounded `Queue`'s lock-free ring and its overflow (a `maxsize` beyond the ring, or one
// raised at run time).

/// The item a put refused as `Full` gave back (fails on anything else).
fn full_item<T>(r: Result<(), PutError<T>>) -> T {
    match r {
        Err(PutError::Full(full)) => full.into_inner(),
        _ => panic!("expected Full"),
    }
}

/// An item that counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn ring_a_maxsize_beyond_the_ring_holds_every_item_in_order() {
    // 10,000 is more than the ring's 4,096 slots: the rest goes to the overflow.
    const N: usize = 10_000;
    let q = Queue::new(N);
    for i in 0..N {
        q.put_nowait(i).unwrap();
    }
    assert!(q.full());
    assert_eq!(q.qsize(), N);
    assert_eq!(full_item(q.put_nowait(N)), N);
    for i in 0..N {
        assert_eq!(q.get_nowait(), Ok(i));
    }
    assert!(q.empty());
    assert_eq!(q.unfinished_tasks(), N);
}

#[test]
fn ring_a_raised_maxsize_overflows_first_in_first_out() {
    let q = Queue::new(3);
    // Move the head off 0 first, so that the length counts depend on it.
    for i in 0..2 {
        q.put_nowait(i).unwrap();
        assert_eq!(q.get_nowait(), Ok(i));
    }
    for i in 0..3 {
        q.put_nowait(i).unwrap();
    }
    q.set_maxsize(6);
    for i in 3..6 {
        q.put_nowait(i).unwrap();
    }
    assert!(q.full());
    assert_eq!(full_item(q.put_nowait(6)), 6);
    assert_eq!(q.get_nowait(), Ok(0));
    // The ring has room now, but the overflow is not empty: 6 queues behind 5.
    q.put_nowait(6).unwrap();
    assert_eq!(q.qsize(), 6);
    for i in 1..=6 {
        assert_eq!(q.get_nowait(), Ok(i));
    }
    // Empty again: puts use the ring, and a lowered maxsize holds again.
    q.set_maxsize(2);
    q.put_nowait(7).unwrap();
    q.put_nowait(8).unwrap();
    assert_eq!(full_item(q.put_nowait(9)), 9);
    q.set_maxsize(0);
    for i in 9..100 {
        q.put_nowait(i).unwrap();
    }
    for i in 7..100 {
        assert_eq!(q.get_nowait(), Ok(i));
    }
    assert_eq!(q.unfinished_tasks(), 102);
    for _ in 0..102 {
        q.task_done().unwrap();
    }
    assert_eq!(q.task_done().map_err(|e| e.kind()), Err(ValueErrorKind::TaskDoneTooManyTimes));
}

#[test]
fn ring_and_overflow_drop_each_item_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let q = Queue::new(2);
    // Go round the ring a few laps first, so that the items left are not at slot 0.
    for _ in 0..5 {
        q.put(Counted(Arc::clone(&drops))).unwrap();
        drop(q.get().unwrap());
    }
    assert_eq!(drops.load(Ordering::SeqCst), 5);
    q.put(Counted(Arc::clone(&drops))).unwrap();
    q.put(Counted(Arc::clone(&drops))).unwrap();
    q.set_maxsize(0);
    q.put(Counted(Arc::clone(&drops))).unwrap();
    q.put(Counted(Arc::clone(&drops))).unwrap();
    assert_eq!(q.qsize(), 4);
    drop(q.get().unwrap());
    assert_eq!(drops.load(Ordering::SeqCst), 6);
    drop(q);
    assert_eq!(drops.load(Ordering::SeqCst), 9);

    // An immediate shutdown discards the ring's and the overflow's items.
    let q = Queue::new(1);
    q.put(Counted(Arc::clone(&drops))).unwrap();
    q.set_maxsize(0);
    q.put(Counted(Arc::clone(&drops))).unwrap();
    q.shutdown_immediate();
    assert_eq!(drops.load(Ordering::SeqCst), 11);
    assert_eq!(q.unfinished_tasks(), 0);
    assert!(q.put(Counted(Arc::clone(&drops))).is_err());
    assert_eq!(drops.load(Ordering::SeqCst), 12, "the refused item comes back and is dropped");
}

#[test]
fn ring_a_shutdown_hands_out_the_overflow_before_failing() {
    let q = Queue::new(1);
    q.put(1).unwrap();
    q.set_maxsize(0);
    q.put(2).unwrap();
    q.shutdown();
    assert!(q.put(3).is_err());
    assert_eq!(q.get(), Ok(1));
    assert_eq!(q.get(), Ok(2));
    assert_eq!(q.get(), Err(ShutDown::new()));
}

/// Producers and consumers run through a queue of capacity 4 while another thread keeps
/// moving `maxsize` between 2, 4 (the ring), 16 and unbounded, so items go through the ring
/// and the overflow and `set_maxsize` wakes putters: every item arrives exactly once.
#[test]
fn ring_stress_with_a_moving_maxsize_every_item_exactly_once() {
    const CONSUMERS: usize = 4;
    let stop = Arc::new(AtomicBool::new(false));
    // `stress_mpmc` asks for capacity 4; the ring is made with it here.
    let queue = Arc::new(Queue::new(4));
    let mover = {
        let (stop, q) = (Arc::clone(&stop), Arc::clone(&queue));
        thread::spawn(move || {
            let mut moves = 0u64;
            while !stop.load(Ordering::SeqCst) {
                q.set_maxsize([2, 4, 16, 0][(moves % 4) as usize]);
                moves += 1;
                thread::yield_now();
            }
            moves
        })
    };
    stress_mpmc(
        |cap| {
            assert_eq!(cap, 4);
            queue
        },
        |q, x| q.put(Some(x)).unwrap(),
        |q| q.get().unwrap(),
        |q| {
            for _ in 0..CONSUMERS {
                q.put(None).unwrap();
            }
        },
    );
    stop.store(true, Ordering::SeqCst);
    assert!(mover.join().unwrap() > 0, "maxsize never moved");
}

#[test]
fn ring_is_shutdown_reports_the_mark() {
    let q = Queue::new(2);
    q.put(1).unwrap();
    assert!(!q.is_shutdown());
    assert!(format!("{q:?}").contains("is_shutdown: false"));
    q.shutdown();
    assert!(q.is_shutdown());
    assert!(format!("{q:?}").contains("is_shutdown: true"));
    assert_eq!(q.qsize(), 1);
}

/// A fresh bounded queue (its ring not allocated yet) reports `Empty`, not `ShutDown`, and two
/// getters that wait on it before anything was put both get an item.
#[test]
fn ring_a_fresh_queue_is_empty_and_its_getters_wait() {
    let q = Arc::new(Queue::new(2));
    assert_eq!(q.get_nowait(), Err(GetError::Empty(Empty)));
    assert_eq!(q.get_timeout(Duration::from_millis(1)), Err(GetError::Empty(Empty)));
    let (tx, rx) = std::sync::mpsc::channel();
    let getters: Vec<_> = (0..2)
        .map(|_| {
            let (q, tx) = (Arc::clone(&q), tx.clone());
            thread::spawn(move || {
                tx.send(threading::get_native_id()).unwrap();
                q.get()
            })
        })
        .collect();
    // Both asleep on the fresh queue (the second registers after the first set its flag).
    for _ in 0..2 {
        wait_until_asleep(rx.recv().unwrap());
    }
    q.put(1).unwrap();
    q.put(2).unwrap();
    let mut got: Vec<i32> = getters.into_iter().map(|g| g.join().unwrap().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, [1, 2]);
}
