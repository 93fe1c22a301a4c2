//! Python's [`threading.Condition`] for Rust: [`Condition`] and its guard [`ConditionGuard`].
//!
//! A `Condition` pairs a lock (an [`RLock`] by default, or any [`Lockable`]: a `Lock`, an
//! `Arc<RLock>` shared with other conditions, a `&Lock`, …) with a FIFO queue of waiting
//! threads. It keeps Python's guarantees that a raw `Condvar` does not give: waiting or
//! notifying without the lock is an error, `notify(n)` wakes exactly up to `n` waiters in the
//! order they started waiting, and a wait reports `true` only when it was really notified.
//!
//! Most users depend on the `threading` facade and write `threading::Condition`.
//!
//! [`threading.Condition`]: https://docs.python.org/3/library/threading.html#condition-objects
//! [`RLock`]: threading_rlock::RLock
#![warn(missing_docs)]
#![deny(unused_must_use)]

mod condition;

pub use condition::{Condition, ConditionGuard};
pub use threading_core::error::{RuntimeError, RuntimeErrorKind};
pub use threading_lock::Lockable;
