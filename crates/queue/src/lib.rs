//! Python's [`queue`] module for Rust: multi-producer, multi-consumer queues for threads.
//!
//! * [`Queue`]: first in, first out. [`LifoQueue`]: last in, first out. [`PriorityQueue`]:
//!   smallest first. All three take a `maxsize` (`0`: unbounded), have the `put` and `get`
//!   families (blocking, `_nowait`, `_timeout`, `_deadline`), `task_done`/`join` accounting and
//!   Python 3.13's `shutdown`.
//! * [`SimpleQueue`]: unbounded first in, first out, without task accounting or shutdown.
//! * The errors, named after Python's exceptions: [`Full`], [`Empty`], [`ShutDown`], and the
//!   enums [`PutError`] (`Full` or `ShutDown`) and [`GetError`] (`Empty` or `ShutDown`). A put
//!   that fails hands the item back: no data is ever lost.
//!
//! Most users depend on the `threading` facade and write `threading::Queue` or
//! `threading::queue::Queue`.
//!
//! # Examples
//!
//! A pipeline: producers put, consumers get and mark each item done, `join` waits for the
//! work, `shutdown` ends the consumers.
//!
//! ```
//! use std::sync::Arc;
//! use std::thread;
//! use threading::queue::Queue;
//!
//! let q = Arc::new(Queue::new(4));
//! let consumers: Vec<_> = (0..2)
//!     .map(|_| {
//!         let q = Arc::clone(&q);
//!         thread::spawn(move || {
//!             let mut seen = 0;
//!             while let Ok(_msg) = q.get() {
//!                 seen += 1;
//!                 q.task_done().unwrap();
//!             }
//!             seen
//!         })
//!     })
//!     .collect();
//! for i in 0..20 {
//!     q.put(format!("message {i}")).unwrap();
//! }
//! q.join();
//! q.shutdown();
//! let seen: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
//! assert_eq!(seen, 20);
//! ```
//!
//! # Semantics
//!
//! The behaviour is CPython 3.13's `queue.py` (with its 3.14 documentation of `shutdown`), row
//! by row of the project's checklist (`Q-xx`): `maxsize == 0` is unbounded, not a rendezvous;
//! a changed `maxsize` applies to the next put; `shutdown(immediate)` refuses puts, lets gets
//! drain (or discards the items and their tasks if `immediate`) and wakes every blocked thread;
//! `task_done` more often than items were put is a `ValueError`. Where Rust and Python differ
//! (timeouts are `Duration`s, errors are values, `maxsize` is a setter), each type's
//! `# Differences from Python` section says so.
//!
//! # Implementation
//!
//! Two engines, both written on the workspace's core crate, own `Lock` and parking lot, so
//! the loom models check the code that ships:
//!
//! - A bounded `Queue` (`maxsize > 0`) runs lock-free on a ring of stamped slots (Vyukov's
//!   bounded queue, the design of crossbeam's `array` channel), with the waiter flags in the
//!   ring's head and tail words and a locked overflow for a `maxsize` beyond the ring's 4,096
//!   slots or raised at run time; the `fifo` and `array` modules explain it.
//! - Every other queue (an unbounded `Queue`, `LifoQueue`, `PriorityQueue`, `SimpleQueue`)
//!   is a lock-protected state machine with three parking keys for CPython's three
//!   conditions; only the storage differs (a `VecDeque`, a `Vec`, a panic-safe binary heap).
//!   Uncontended, the lock measured faster than a lock-free list.
//!
//! The engines' module documentation explains the algorithms, why they cannot lose a
//! wake-up, and why they do not wrap `crossbeam_channel`.
//!
//! [`queue`]: https://docs.python.org/3/library/queue.html
#![warn(missing_docs)]
#![deny(unused_must_use)]

mod array;
mod engine;
mod error;
mod fifo;
mod queue;
mod simple;
mod storage;
mod wake;

pub use error::{Empty, Full, GetError, PutError, ShutDown};
pub use queue::{LifoQueue, PriorityQueue, Queue};
pub use simple::SimpleQueue;
pub use threading_core::error::{ValueError, ValueErrorKind};
