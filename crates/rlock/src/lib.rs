//! Python's [`threading.RLock`] for Rust: [`RLock`], its guard [`RLockGuard`], and
//! [`RLockState`], the saved state a `Condition` uses to wait on an `RLock` held several
//! levels deep.
//!
//! Most users depend on the `threading` facade and write `threading::RLock`.
//!
//! [`threading.RLock`]: https://docs.python.org/3/library/threading.html#rlock-objects
#![warn(missing_docs)]
#![deny(unused_must_use)]

mod rlock;

pub use rlock::{RLock, RLockGuard, RLockState};
pub use threading_core::error::{RuntimeError, RuntimeErrorKind};
pub use threading_lock::Lockable;
