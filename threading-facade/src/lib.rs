//! Python's `threading`, its thread pool (`concurrent.futures.ThreadPoolExecutor`) and its
//! `queue` module for Rust, under the names a Python programmer looks for, every algorithm
//! model-checked with [loom](https://docs.rs/loom) as shipped.
//!
//! This crate is the facade: it re-exports the primitive crates (`threading-lock`,
//! `threading-rlock`, …) as one Python-shaped API. Depend on it, or on a single primitive crate.
//!
//! ## Locks
//!
//! * [`Lock`]: a non-reentrant lock that any thread may release (Python's `Lock`).
//! * [`RLock`]: a reentrant lock owned by the thread that holds it.
//! * [`Lockable`]: the protocol a [`Condition`] waits through, for both.
//!
//! ## Signalling
//!
//! * [`Condition`]: wait/notify over a `Lock` or an `RLock`, FIFO, no spurious wake-ups.
//! * [`Semaphore`] and [`BoundedSemaphore`]: counted permits.
//! * [`Event`]: a flag threads wait for.
//! * [`Barrier`]: a reusable rendezvous with timeout, abort and reset.
//!
//! ## Threads
//!
//! * [`Thread`]: Python's thread object (start once, join many times, with timeouts), the
//!   registry ([`current_thread`], [`main_thread`], [`enumerate`], [`active_count`]) and the
//!   [`excepthook`].
//! * [`Timer`]: run a function after a delay, unless cancelled.
//! * [`Local`]: a value per thread (Python's `threading.local`).
//!
//! ## The thread pool
//!
//! * [`ThreadPoolExecutor`] and [`Future`]: Python's `concurrent.futures` thread pool, with
//!   [`wait`](futures::wait) and [`as_completed`](futures::as_completed) in the module
//!   [`futures`].
//!
//! ## Queues
//!
//! * [`Queue`], [`LifoQueue`], [`PriorityQueue`], [`SimpleQueue`]: Python's `queue` module
//!   (also as the module [`queue`]), with `task_done`/`join` and `shutdown`.
//!
//! # Python → Rust
//!
//! Flag arguments become method families (`acquire(timeout=t)` is
//! [`acquire_timeout`](Lock::acquire_timeout)), `with` becomes an RAII guard, exceptions become
//! error types named after them, and nothing poisons: a panic under a guard releases it.
//!
#![doc = include_str!("mapping.md")]
//!
//! # Example
//!
//! The classic: several threads print whole lines because they hold a [`Lock`] while printing.
//!
//! ```
//! use std::sync::Arc;
//! use threading::Lock;
//!
//! let lock = Arc::new(Lock::new());
//! let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
//! let handles: Vec<_> = (0..3)
//!     .map(|i| {
//!         let (lock, lines) = (lock.clone(), lines.clone());
//!         std::thread::spawn(move || {
//!             let _guard = lock.lock(); // `with lock:`
//!             let line: String = (b'a'..=b'z').map(|c| c as char).collect();
//!             lines.lock().unwrap().push(format!("{i}: {line}"));
//!         })
//!     })
//!     .collect();
//! for h in handles {
//!     h.join().unwrap();
//! }
//! assert_eq!(lines.lock().unwrap().len(), 3);
//! assert!(!lock.locked());
//! ```
//!
//! # Where Python and Rust differ
//!
//! * **Timeouts** are [`Duration`](std::time::Duration)s, so Python's `ValueError` for a
//!   negative or NaN timeout cannot happen. A `Duration` too large to add to the clock means
//!   "wait forever" instead of Python's `OverflowError`. Every `*_timeout` method has a
//!   `*_deadline` twin taking an [`Instant`](std::time::Instant), for loops that share one time
//!   budget.
//! * **Errors** are values: `release()` returns `Result<(), RuntimeError>` and the caller decides
//!   whether to `?`, `unwrap` or ignore it. [`RuntimeError`] and [`ValueError`] carry a `kind()`
//!   to match on and Python's exact message as their `Display`.
//! * **Guards never poison.** A panic while a guard is alive releases the lock, as Python's
//!   `with` does when an exception escapes.
//! * **RLock guards are `!Send`**: an RLock belongs to the thread that acquired it. A plain
//!   [`Lock`] (and its guard) may be released by any thread, as in Python.
//! * **Threads are objects**: a [`Thread`] is created, started once and joined by anyone, any
//!   number of times. A panic that ends one goes to the [`excepthook`] (printed once), and then
//!   every join returns [`JoinError::Panicked`] (Python's `join` returns normally). As in
//!   Python, the program waits for its non-daemon threads when `main` returns.
//! * **Futures hand out references**: [`Future::result`] returns `&T` (the value never changes
//!   once set, and every handle may look), [`Future::into_result`] moves it out of the last
//!   handle. A task's panic is its failure ([`FutureError::Panicked`]) and never kills a worker;
//!   a failure nobody looked at is reported through the [`excepthook`] when the future goes.
#![warn(missing_docs)]

#[doc(inline)]
pub use threading_core::error::{RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind};

// Locks.
#[doc(inline)]
pub use threading_lock::{Lock, LockGuard, Lockable};
#[doc(inline)]
pub use threading_rlock::{RLock, RLockGuard, RLockState};

// Signalling.
#[doc(inline)]
pub use threading_barrier::{Barrier, BarrierBuilder, BrokenBarrierError};
#[doc(inline)]
pub use threading_condition::{Condition, ConditionGuard};
#[doc(inline)]
pub use threading_event::Event;
#[doc(inline)]
pub use threading_semaphore::{BoundedSemaphore, Semaphore, SemaphoreGuard};

// Threads.
#[doc(inline)]
pub use threading_local::Local;
#[doc(hidden)]
pub use threading_thread::live_records;
#[doc(inline)]
pub use threading_thread::{
    ExceptHookArgs, JoinError, MAIN_ID, MIN_STACK_SIZE, PanicLocation, Run, StartError,
    TIMEOUT_MAX, Thread, ThreadBuilder, active_count, current_thread, default_excepthook,
    enumerate, excepthook, get_ident, get_native_id, main_thread, set_excepthook, set_stack_size,
    stack_size,
};
#[doc(inline)]
pub use threading_timer::{Timer, TimerBuilder};

// The thread pool.
#[doc(inline)]
pub use threading_pool::{
    BrokenThreadPool, CancelledError, Future, FutureError, InvalidStateError, ReturnWhen,
    SubmitError, TaskPanic, ThreadPoolExecutor, ThreadPoolExecutorBuilder, TimeoutError,
};

/// Python's `concurrent.futures` (the thread pool part): [`ThreadPoolExecutor`], [`Future`],
/// [`wait`](futures::wait) and [`as_completed`](futures::as_completed).
///
/// The types are also at the crate root (`threading::ThreadPoolExecutor`); the functions live
/// only here, as in Python, where they are `concurrent.futures.wait` and
/// `concurrent.futures.as_completed`.
///
/// ```
/// use threading::futures::{as_completed, wait, ReturnWhen, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(2).unwrap();
/// let fs: Vec<_> = (0..3).map(|i| pool.submit(move || i).unwrap()).collect();
/// assert_eq!(wait(&fs, ReturnWhen::AllCompleted).done.len(), 3);
/// assert_eq!(as_completed(&fs).count(), 3);
/// ```
pub mod futures {
    #[doc(inline)]
    pub use threading_pool::{
        AsCompleted, BrokenThreadPool, CancelledError, DoneAndNotDoneFutures, Future, FutureError,
        InitializerResult, InvalidStateError, Map, ReturnWhen, SubmitError, TaskPanic,
        ThreadPoolExecutor, ThreadPoolExecutorBuilder, TimeoutError, Unretrieved, Waitable,
        as_completed, as_completed_deadline, as_completed_timeout, wait, wait_deadline,
        wait_timeout,
    };
}

// Queues.
#[doc(inline)]
pub use threading_queue::{
    Empty, Full, GetError, LifoQueue, PriorityQueue, PutError, Queue, ShutDown, SimpleQueue,
};

/// Python's `queue` module: [`Queue`], [`LifoQueue`], [`PriorityQueue`], [`SimpleQueue`] and
/// the errors [`Full`], [`Empty`], [`ShutDown`] (also at the crate root).
#[doc(inline)]
pub use threading_queue as queue;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
