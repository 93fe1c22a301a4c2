//! Python's `threading` for Rust: `Lock`, `RLock`, `Condition`, `Semaphore`,
//! `BoundedSemaphore`, `Event`, `Barrier` and `local` (as `Local`) under the names a Python
//! programmer looks for, every algorithm model-checked with [loom](https://docs.rs/loom) as
//! shipped.
//!
//! This crate is the facade: it re-exports the primitive crates (`threading-lock`,
//! `threading-rlock`, …) as one Python-shaped API. Depend on it, or on a single primitive crate.
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
#![warn(missing_docs)]

#[doc(inline)]
pub use threading_core::error::{RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind};
#[doc(inline)]
pub use threading_lock::{Lock, LockGuard, Lockable};
#[doc(inline)]
pub use threading_rlock::{RLock, RLockGuard, RLockState};

#[doc(inline)]
pub use threading_barrier::{Barrier, BarrierBuilder, BrokenBarrierError};
#[doc(inline)]
pub use threading_condition::{Condition, ConditionGuard};
#[doc(inline)]
pub use threading_local::Local;

// Work in progress (issue 3): replaced by explicit lists once the crates settle.
#[doc(inline)]
pub use threading_event::*;
#[doc(inline)]
pub use threading_semaphore::*;
