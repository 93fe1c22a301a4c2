//! [`Queue`], [`LifoQueue`] and [`PriorityQueue`]: Python's three bounded queues, each a thin
//! typed front of the one engine in [`crate::engine`] over its own
//! [`Storage`](crate::storage::Storage).
//!
//! The three types have exactly the same methods, so they are written once, by
//! `queue_methods!` below; only the storage (and `T: Ord` for the priority queue) differs.

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::time::Duration;

use threading_core::error::ValueError;
use threading_core::time::Instant;

use crate::engine::{Inner, Wait};
use crate::error::{GetError, PutError, ShutDown};
use crate::fifo::FifoEngine;
use crate::storage::{Fifo, Lifo, Priority};

/// Writes the public type `$name` over the storage `$storage` with every queue method.
///
/// `$bound` is the bound on `T` for the methods (`: Ord` for the heap), `$order` says in
/// which order items come out, and `$a`/`$b`/`$c` are three items in put order and `$out` the
/// order they come out in, for the examples.
macro_rules! queue_methods {
    (
        $name:ident, $engine:ident, $storage:ident, [$($bound:tt)*], $order:literal,
        [$a:literal, $b:literal, $c:literal], $out:literal
    ) => {
        impl<T $($bound)*> $name<T> {
            threading_core::const_fn! {
                #[doc = concat!(
                    "Creates an empty queue that holds at most `maxsize` items, `0` meaning ",
                    "unbounded: Python's `", stringify!($name), "(maxsize=0)`.")]
                ///
                /// With `maxsize == 0` a put never waits for room. This is **not** a
                /// rendezvous channel like `crossbeam_channel::bounded(0)` or
                /// `std::sync::mpsc::sync_channel(0)` (Q-02). `const`, so a queue can live in a
                /// `static`.
                ///
                /// # Examples
                ///
                /// ```
                #[doc = concat!("use threading::", stringify!($name), ";")]
                ///
                #[doc = concat!("let bounded = ", stringify!($name), "::new(2);")]
                /// bounded.put(1).unwrap();
                /// bounded.put(2).unwrap();
                /// assert!(bounded.full());
                /// assert!(bounded.put_nowait(3).unwrap_err().is_full());
                ///
                #[doc = concat!("let unbounded = ", stringify!($name), "::new(0);")]
                /// for i in 0..1000 {
                ///     unbounded.put_nowait(i).unwrap();
                /// }
                /// assert!(!unbounded.full());
                ///
                #[doc = concat!("static JOBS: ", stringify!($name), "<u32> = ",
                    stringify!($name), "::new(0);")]
                /// JOBS.put(7).unwrap();
                /// assert_eq!(JOBS.get(), Ok(7));
                /// ```
                pub fn new(maxsize: usize) -> $name<T> {
                    $name { inner: $engine::new($storage::new(), maxsize) }
                }
            }

            /// Puts `item` into the queue, waiting as long as it takes for a free slot:
            /// Python's `put(item)`.
            ///
            /// On an unbounded queue this never waits. The item counts as an unfinished task
            /// until a [`task_done`](Self::task_done) call for it.
            ///
            /// # Errors
            ///
            /// [`ShutDown`] (holding the item) if the queue is shut down, before or while this
            /// call waits.
            ///
            /// # Panics
            ///
            /// Only for a [`PriorityQueue`], if the items' `Ord::cmp` panics: the panic
            /// propagates, the queue is left exactly as it was and the item is dropped (the
            /// put did not happen; CPython's Q-27).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::sync::Arc;
            /// use std::thread;
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = Arc::new(", stringify!($name), "::new(1));")]
            /// q.put(1).unwrap();
            /// let q2 = Arc::clone(&q);
            /// let producer = thread::spawn(move || q2.put(2)); // waits for room
            /// assert_eq!(q.get(), Ok(1));
            /// producer.join().unwrap().unwrap();
            /// assert_eq!(q.get(), Ok(2));
            /// ```
            #[inline]
            pub fn put(&self, item: T) -> Result<(), ShutDown<T>> {
                match self.inner.put(item, Wait::Until(None), true) {
                    Ok(()) => Ok(()),
                    Err(PutError::ShutDown(e)) => Err(e),
                    Err(PutError::Full(_)) => unreachable!("a put without a deadline cannot time out"),
                }
            }

            /// Puts `item` into the queue if there is a free slot right now: Python's
            /// `put_nowait(item)` (or `put(item, block=False)`).
            ///
            /// # Errors
            ///
            /// [`PutError::Full`] if the queue is full, [`PutError::ShutDown`] if it is shut
            /// down; both hold the item.
            ///
            /// # Panics
            ///
            /// As [`put`](Self::put).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(1);")]
            /// q.put_nowait("a").unwrap();
            /// let err = q.put_nowait("b").unwrap_err();
            /// assert!(err.is_full());
            /// assert_eq!(err.into_inner(), "b");
            /// ```
            #[inline]
            pub fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
                self.inner.put(item, Wait::No, true)
            }

            /// Puts `item` into the queue, waiting at most `timeout` for a free slot:
            /// Python's `put(item, timeout=t)`.
            ///
            /// A zero timeout is a single try, as [`put_nowait`](Self::put_nowait); a timeout
            /// too large to represent (such as `Duration::MAX`) waits forever.
            ///
            /// # Errors
            ///
            /// [`PutError::Full`] if there was no room in time, [`PutError::ShutDown`] if the
            /// queue is or gets shut down; both hold the item.
            ///
            /// # Panics
            ///
            /// As [`put`](Self::put).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(1);")]
            /// q.put(1).unwrap();
            /// let err = q.put_timeout(2, Duration::from_millis(10)).unwrap_err();
            /// assert!(err.is_full());
            /// ```
            #[inline]
            pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
                self.inner.put(item, Wait::timeout(timeout), true)
            }

            /// Puts `item` into the queue, waiting until `deadline` at the latest for a free
            /// slot.
            ///
            /// A deadline in the past is a single try.
            ///
            /// # Errors
            ///
            /// As [`put_timeout`](Self::put_timeout).
            ///
            /// # Panics
            ///
            /// As [`put`](Self::put).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::{Duration, Instant};
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(1);")]
            /// let deadline = Instant::now() + Duration::from_millis(10);
            /// q.put_deadline(1, deadline).unwrap();
            /// assert!(q.put_deadline(2, deadline).unwrap_err().is_full());
            /// ```
            #[inline]
            pub fn put_deadline(&self, item: T, deadline: Instant) -> Result<(), PutError<T>> {
                self.inner.put(item, Wait::Until(Some(deadline)), true)
            }

            /// Removes and returns the next item, waiting as long as it takes for one:
            /// Python's `get()`.
            ///
            #[doc = concat!("Items come out ", $order, ".")]
            ///
            /// # Errors
            ///
            /// [`ShutDown`] once the queue is shut down **and** empty: after a
            /// [`shutdown()`](Self::shutdown) the items already queued are still handed
            /// out; a thread waiting on an empty queue is woken with the error.
            ///
            /// # Panics
            ///
            /// Only for a [`PriorityQueue`], if the items' `Ord::cmp` panics: the panic
            /// propagates and the queue is left exactly as it was, the item included.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            #[doc = concat!("for x in [", $a, ", ", $b, ", ", $c, "] {")]
            ///     q.put(x).unwrap();
            /// }
            /// let out: Vec<_> = (0..3).map(|_| q.get().unwrap()).collect();
            #[doc = concat!("assert_eq!(out, ", $out, "); // ", $out)]
            /// ```
            #[inline]
            pub fn get(&self) -> Result<T, ShutDown> {
                match self.inner.get(Wait::Until(None)) {
                    Ok(item) => Ok(item),
                    Err(GetError::ShutDown(e)) => Err(e),
                    Err(GetError::Empty(_)) => unreachable!("a get without a deadline cannot time out"),
                }
            }

            /// Removes and returns the next item if there is one right now: Python's
            /// `get_nowait()` (or `get(block=False)`).
            ///
            /// # Errors
            ///
            /// [`GetError::Empty`] if the queue is empty, [`GetError::ShutDown`] if it is
            /// empty and shut down.
            ///
            /// # Panics
            ///
            /// As [`get`](Self::get).
            ///
            /// # Examples
            ///
            /// ```
            /// use threading::queue::{Empty, GetError};
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put(1).unwrap();
            /// assert_eq!(q.get_nowait(), Ok(1));
            /// assert_eq!(q.get_nowait(), Err(GetError::Empty(Empty)));
            /// ```
            #[inline]
            pub fn get_nowait(&self) -> Result<T, GetError> {
                self.inner.get(Wait::No)
            }

            /// Removes and returns the next item, waiting at most `timeout` for one: Python's
            /// `get(timeout=t)`.
            ///
            /// A zero timeout is a single try; a timeout too large to represent waits forever.
            ///
            /// # Errors
            ///
            /// [`GetError::Empty`] if no item came in time, [`GetError::ShutDown`] if the
            /// queue is (or gets) shut down and is empty.
            ///
            /// # Panics
            ///
            /// As [`get`](Self::get).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::<u8>::new(0);")]
            /// let err = q.get_timeout(Duration::from_millis(10)).unwrap_err();
            /// assert!(err.is_empty());
            /// ```
            #[inline]
            pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
                self.inner.get(Wait::timeout(timeout))
            }

            /// Removes and returns the next item, waiting until `deadline` at the latest.
            ///
            /// A deadline in the past is a single try.
            ///
            /// # Errors
            ///
            /// As [`get_timeout`](Self::get_timeout).
            ///
            /// # Panics
            ///
            /// As [`get`](Self::get).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::{Duration, Instant};
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put(5).unwrap();
            /// let deadline = Instant::now() + Duration::from_millis(10);
            /// assert_eq!(q.get_deadline(deadline), Ok(5));
            /// assert!(q.get_deadline(deadline).unwrap_err().is_empty());
            /// ```
            #[inline]
            pub fn get_deadline(&self, deadline: Instant) -> Result<T, GetError> {
                self.inner.get(Wait::Until(Some(deadline)))
            }

            /// Marks one task (an item got earlier) as done: Python's `task_done()`.
            ///
            /// Every put counts one unfinished task; each `task_done` call takes one off. When
            /// the count reaches zero, every thread blocked in [`join`](Self::join) returns.
            ///
            /// # Errors
            ///
            /// [`ValueError`] of kind
            /// [`TaskDoneTooManyTimes`](threading_core::error::ValueErrorKind::TaskDoneTooManyTimes)
            /// ("task_done() called too many times") if no task is unfinished (Q-11). The
            /// count is left at zero.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::{", stringify!($name), ", ValueErrorKind};")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put("job").unwrap();
            /// let job = q.get().unwrap();
            /// // ... work on `job` ...
            /// q.task_done().unwrap();
            /// let err = q.task_done().unwrap_err();
            /// assert_eq!(err.kind(), ValueErrorKind::TaskDoneTooManyTimes);
            /// assert_eq!(err.to_string(), "task_done() called too many times");
            /// ```
            pub fn task_done(&self) -> Result<(), ValueError> {
                self.inner.task_done()
            }

            /// Waits until every item ever put has been marked done with
            /// [`task_done`](Self::task_done): Python's `join()`.
            ///
            /// Returns at once if no task is unfinished; can be called any number of times
            /// and from any number of threads (Q-12). An immediate
            /// [`shutdown`](Self::shutdown) discards the queued items' tasks, which releases
            /// `join` unless items already taken are still being worked on (Q-17).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::sync::Arc;
            /// use std::thread;
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = Arc::new(", stringify!($name), "::new(0));")]
            /// let q2 = Arc::clone(&q);
            /// let worker = thread::spawn(move || {
            ///     while let Ok(n) = q2.get() {
            ///         let _ = n * 2; // work
            ///         q2.task_done().unwrap();
            ///     }
            /// });
            /// for n in 0..10 {
            ///     q.put(n).unwrap();
            /// }
            /// q.join(); // every item has been processed
            /// assert_eq!(q.unfinished_tasks(), 0);
            /// q.shutdown(); // the worker's get fails: it exits
            /// worker.join().unwrap();
            /// ```
            pub fn join(&self) {
                self.inner.join(Wait::Until(None));
            }

            /// Like [`join`](Self::join), but waits at most `timeout`; returns whether every
            /// task was done.
            ///
            /// Python's `join()` has no timeout; this is an extension.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put(1).unwrap();
            /// assert!(!q.join_timeout(Duration::from_millis(10))); // still unfinished
            /// q.get().unwrap();
            /// q.task_done().unwrap();
            /// assert!(q.join_timeout(Duration::from_millis(10)));
            /// ```
            #[must_use = "the result says whether every task was done"]
            pub fn join_timeout(&self, timeout: Duration) -> bool {
                self.inner.join(Wait::timeout(timeout))
            }

            /// Like [`join`](Self::join), but waits until `deadline` at the latest; returns
            /// whether every task was done.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::{Duration, Instant};
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::<u8>::new(0);")]
            /// assert!(q.join_deadline(Instant::now() + Duration::from_millis(10)));
            /// ```
            #[must_use = "the result says whether every task was done"]
            pub fn join_deadline(&self, deadline: Instant) -> bool {
                self.inner.join(Wait::Until(Some(deadline)))
            }

            /// The number of tasks put and not yet marked done: Python's
            /// `unfinished_tasks`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put(1).unwrap();
            /// q.put(2).unwrap();
            /// q.get().unwrap();
            /// assert_eq!((q.qsize(), q.unfinished_tasks()), (1, 2)); // one got, not done
            /// ```
            #[must_use]
            pub fn unfinished_tasks(&self) -> usize {
                self.inner.unfinished()
            }

            /// The number of items in the queue: Python's `qsize()`.
            ///
            /// The answer may be out of date as soon as it is returned.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put(()).unwrap();
            /// assert_eq!(q.qsize(), 1);
            /// ```
            #[must_use]
            pub fn qsize(&self) -> usize {
                self.inner.len()
            }

            /// Whether the queue holds no item: Python's `empty()`.
            ///
            /// The answer may be out of date as soon as it is returned.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// assert!(q.empty());
            /// q.put(1).unwrap();
            /// assert!(!q.empty());
            /// ```
            #[must_use]
            pub fn empty(&self) -> bool {
                self.inner.len() == 0
            }

            /// Whether the queue is bounded and holds `maxsize` items or more: Python's
            /// `full()`.
            ///
            /// Never true for an unbounded queue (Q-02). After
            /// [`set_maxsize`](Self::set_maxsize) shrinks the queue, it may hold more than
            /// `maxsize`. The answer may be out of date as soon as it is returned.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(1);")]
            /// assert!(!q.full());
            /// q.put(1).unwrap();
            /// assert!(q.full());
            /// ```
            #[must_use]
            pub fn full(&self) -> bool {
                {
                    let maxsize = self.inner.maxsize();
                    0 < maxsize && maxsize <= self.inner.len()
                }
            }

            /// The maximum number of items (`0`: unbounded): Python's `maxsize`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::<u8>::new(3).maxsize(), 3);")]
            /// ```
            #[must_use]
            pub fn maxsize(&self) -> usize {
                self.inner.maxsize()
            }

            /// Changes the maximum number of items (`0`: unbounded): Python's
            /// `q.maxsize = n`.
            ///
            /// The next put respects the new size (Q-14). Items already queued stay, even
            /// beyond a smaller `maxsize`. If the change makes room, threads waiting in a put
            /// are woken (in Python they are not, until the next get).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(3);")]
            /// for i in 0..3 {
            ///     q.put(i).unwrap();
            /// }
            /// q.set_maxsize(2); // shrink: still 3 items, but full
            /// assert!(q.put_nowait(3).unwrap_err().is_full());
            /// q.set_maxsize(0); // unbounded
            /// q.put_nowait(3).unwrap();
            /// assert_eq!(q.qsize(), 4);
            /// ```
            pub fn set_maxsize(&self, maxsize: usize) {
                self.inner.set_maxsize(maxsize);
            }

            /// Shuts the queue down: Python's `shutdown()` (3.13).
            ///
            /// Afterwards every put fails with [`ShutDown`], and gets fail with `ShutDown`
            /// once the queue is empty: the items already queued are still handed out (use
            /// [`shutdown_immediate`](Self::shutdown_immediate) to discard them).
            ///
            /// Every thread blocked in a put, and every thread blocked in a get on an empty
            /// queue, wakes up with `ShutDown`. Calling it again is allowed. There is no way
            /// back: a shut-down queue stays shut down.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put(1).unwrap();
            /// q.shutdown();
            /// assert!(q.put(2).is_err()); // no new items
            /// assert_eq!(q.get().unwrap(), 1); // what was queued is drained
            /// assert!(q.get().is_err()); // then ShutDown
            /// ```
            pub fn shutdown(&self) {
                drop(self.inner.shutdown(false));
            }

            /// Shuts the queue down and discards what is left: Python's
            /// `shutdown(immediate=True)` (3.13).
            ///
            /// As [`shutdown`](Self::shutdown), and the queued items are dropped (after the
            /// internal lock is released); `unfinished_tasks` goes down by the number
            /// discarded (Q-16), which releases [`join`](Self::join) unless items already
            /// taken are still unfinished (Q-17). It may follow a plain `shutdown`, to
            /// discard what that one left.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put(1).unwrap();
            /// q.put(2).unwrap();
            /// q.shutdown_immediate();
            /// assert!(q.is_shutdown());
            /// assert_eq!((q.qsize(), q.unfinished_tasks()), (0, 0));
            /// assert!(q.get().is_err());
            /// q.join(); // nothing left to wait for
            /// ```
            pub fn shutdown_immediate(&self) {
                // Dropped here, with the lock released.
                drop(self.inner.shutdown(true));
            }

            /// Whether [`shutdown`](Self::shutdown) was called: Python's `is_shutdown`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use threading::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::<u8>::new(0);")]
            /// assert!(!q.is_shutdown());
            /// q.shutdown();
            /// assert!(q.is_shutdown());
            /// ```
            #[must_use]
            pub fn is_shutdown(&self) -> bool {
                self.inner.is_shutdown()
            }
        }

        impl<T $($bound)*> Default for $name<T> {
            /// An unbounded queue: Python's default `maxsize=0`.
            fn default() -> $name<T> {
                $name::new(0)
            }
        }

        impl<T $($bound)*> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("qsize", &self.inner.len())
                    .field("maxsize", &self.inner.maxsize())
                    .field("unfinished_tasks", &self.inner.unfinished())
                    .field("is_shutdown", &self.inner.is_shutdown())
                    .finish_non_exhaustive()
            }
        }

        // No poisoning: a panic (in `Ord::cmp`, or in a caller) leaves the queue consistent,
        // see the engine's documentation. `T: UnwindSafe` because items come out by value.
        impl<T: UnwindSafe> UnwindSafe for $name<T> {}
        impl<T: UnwindSafe> RefUnwindSafe for $name<T> {}
    };
}

/// A first-in, first-out queue for any number of producer and consumer threads: Python's
/// [`queue.Queue`].
///
/// * **Bounded or not.** [`Queue::new(maxsize)`](Queue::new) holds at most `maxsize` items;
///   `0` means unbounded (Python's default), never a rendezvous. [`set_maxsize`](Queue::set_maxsize)
///   changes the bound at run time.
/// * **Put and get families.** [`put`](Queue::put) waits for room, [`put_nowait`](Queue::put_nowait)
///   does not, [`put_timeout`](Queue::put_timeout) / [`put_deadline`](Queue::put_deadline)
///   wait a while; the same for [`get`](Queue::get), [`get_nowait`](Queue::get_nowait),
///   [`get_timeout`](Queue::get_timeout) and [`get_deadline`](Queue::get_deadline). Failures
///   are the errors [`Full`](crate::Full), [`Empty`](crate::Empty) and [`ShutDown`], named after
///   Python's exceptions; a failed put hands the item back.
/// * **Task accounting.** Each put counts an unfinished task; consumers call
///   [`task_done`](Queue::task_done) when they have processed an item, and
///   [`join`](Queue::join) waits until every task is done.
/// * **Shutdown** (Python 3.13). [`shutdown()`](Queue::shutdown) stops new puts and lets
///   the consumers drain what is left, after which their gets fail with [`ShutDown`];
///   `shutdown_immediate()` also discards what is left. Blocked threads wake up.
///
/// The queue is used through `&self`: share it with an `Arc` (or a `static`, or scoped
/// threads). It is `Send + Sync` whenever `T: Send`.
///
/// # Examples
///
/// A worker pool fed by a queue, Python's classic pattern:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::thread;
/// use threading::Queue;
///
/// let q = Arc::new(Queue::new(8)); // at most 8 jobs waiting
/// let total = Arc::new(AtomicU64::new(0));
/// let workers: Vec<_> = (0..3)
///     .map(|_| {
///         let (q, total) = (Arc::clone(&q), Arc::clone(&total));
///         thread::spawn(move || {
///             // `get` fails with ShutDown once the queue is shut down and drained.
///             while let Ok(job) = q.get() {
///                 total.fetch_add(job, Ordering::Relaxed);
///                 q.task_done().unwrap();
///             }
///         })
///     })
///     .collect();
/// for job in 1..=100 {
///     q.put(job).unwrap(); // waits while 8 jobs are queued
/// }
/// q.join(); // every job has been processed
/// assert_eq!(total.load(Ordering::Relaxed), 5050);
/// q.shutdown();
/// for w in workers {
///     w.join().unwrap();
/// }
/// ```
///
/// # Differences from Python
///
/// * `Queue(maxsize)` takes a `usize`, so Python's "negative means unbounded" is spelled `0`.
///   `maxsize` is read with [`maxsize`](Queue::maxsize) and written with
///   [`set_maxsize`](Queue::set_maxsize), which also wakes waiting putters if it makes room.
/// * `put(item, block, timeout)` and `get(block, timeout)` are method families (see above).
///   Timeouts are [`Duration`]s: Python's `ValueError` for a negative timeout (Q-08) cannot
///   happen, and a timeout too large to represent waits forever instead of raising
///   `OverflowError` (Q-10).
/// * The exceptions are values: `put` returns `Result<(), ShutDown<T>>`, the non-blocking and
///   timed puts `Result<(), PutError<T>>` ([`Full`](crate::Full) or [`ShutDown`]), `get`
///   returns `Result<T, ShutDown>` and the others `Result<T, GetError>`. A failed put gives
///   the item back.
/// * `task_done()` returns `Err(ValueError)` where Python raises `ValueError` (Q-11).
/// * `join` has timed forms [`join_timeout`](Queue::join_timeout) and
///   [`join_deadline`](Queue::join_deadline), which Python lacks.
/// * `unfinished_tasks`, `maxsize` and `is_shutdown` are methods; `queue` (the underlying
///   `deque`), `mutex` and the three `Condition` attributes are not exposed.
///
/// [`queue.Queue`]: https://docs.python.org/3/library/queue.html#queue.Queue
pub struct Queue<T> {
    inner: FifoEngine<T>,
}

queue_methods!(
    Queue,
    FifoEngine,
    Fifo,
    [],
    "in the order they were put (first in, first out)",
    ["1", "2", "3"],
    "[1, 2, 3]"
);

/// A last-in, first-out queue (a stack) for any number of threads: Python's
/// [`queue.LifoQueue`].
///
/// Exactly like [`Queue`] — bounded or not, put and get families, task accounting and
/// shutdown — except that [`get`](LifoQueue::get) returns the item put **most recently**.
///
/// # Examples
///
/// ```
/// use threading::LifoQueue;
///
/// let stack = LifoQueue::new(0);
/// for page in ["home", "docs", "api"] {
///     stack.put(page).unwrap();
/// }
/// assert_eq!(stack.get(), Ok("api"));
/// assert_eq!(stack.get(), Ok("docs"));
/// assert_eq!(stack.get(), Ok("home"));
/// ```
///
/// # Differences from Python
///
/// As for [`Queue`](Queue#differences-from-python).
///
/// [`queue.LifoQueue`]: https://docs.python.org/3/library/queue.html#queue.LifoQueue
pub struct LifoQueue<T> {
    inner: Inner<Lifo<T>>,
}

queue_methods!(
    LifoQueue,
    Inner,
    Lifo,
    [],
    "most recent first (last in, first out)",
    ["1", "2", "3"],
    "[3, 2, 1]"
);

/// A queue that hands out the smallest item first, for any number of threads: Python's
/// [`queue.PriorityQueue`].
///
/// Exactly like [`Queue`] — bounded or not, put and get families, task accounting and
/// shutdown — except that [`get`](PriorityQueue::get) returns the smallest item by `Ord`, as
/// Python's `heapq` does. Items that compare equal come out in the order they were put
/// (a sequence number breaks ties), so `(priority, data)` tuples work as in Python, and so
/// does a priority alone when the data does not implement `Ord` (wrap it in a type whose
/// `Ord` looks only at the priority). Use [`std::cmp::Reverse`] for largest first.
///
/// # Examples
///
/// ```
/// use threading::PriorityQueue;
///
/// let q = PriorityQueue::new(0);
/// q.put((2, "write docs")).unwrap();
/// q.put((1, "fix the bug")).unwrap();
/// q.put((3, "lunch")).unwrap();
/// assert_eq!(q.get(), Ok((1, "fix the bug")));
/// assert_eq!(q.get(), Ok((2, "write docs")));
/// assert_eq!(q.get(), Ok((3, "lunch")));
/// ```
///
/// # Panics
///
/// `Ord::cmp` of the items runs inside `put` and `get`, with the queue's internal lock held.
/// If it panics, the panic propagates to the caller and the queue is left **exactly as it
/// was**: a put that panicked did not happen (its item is dropped), a get that panicked left
/// its item in the queue, and `qsize` and `unfinished_tasks` agree. (CPython's `PriorityQueue`
/// leaves an item whose comparison raised in the heap but does not count it as a task.)
/// `Ord::cmp` must not use the same queue: the lock is not reentrant, so it would deadlock.
///
/// # Differences from Python
///
/// As for [`Queue`](Queue#differences-from-python), plus the panic behaviour above. Python
/// compares any two objects at run time (and raises `TypeError` for incomparable ones); here
/// the item type must implement `Ord`.
///
/// [`queue.PriorityQueue`]: https://docs.python.org/3/library/queue.html#queue.PriorityQueue
pub struct PriorityQueue<T> {
    inner: Inner<Priority<T>>,
}

queue_methods!(
    PriorityQueue,
    Inner,
    Priority,
    [: Ord],
    "smallest first by `Ord`; equal items in the order they were put",
    ["3", "1", "2"],
    "[1, 2, 3]"
);
