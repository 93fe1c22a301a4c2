//! Python's [`threading.Lock`] for Rust: [`Lock`], its guard [`LockGuard`], and the
//! [`Lockable`] protocol through which a `Condition` waits on a `Lock` or an `RLock`.
//!
//! Most users depend on the `threading` facade and write `threading::Lock`.
//!
//! [`threading.Lock`]: https://docs.python.org/3/library/threading.html#lock-objects
#![warn(missing_docs)]
#![deny(unused_must_use)]

extern crate alloc;

mod lock;
mod lockable;

pub use lock::{Lock, LockGuard};
pub use lockable::Lockable;
pub use threading_core::error::{RuntimeError, RuntimeErrorKind};
