//! Python's `threading` for Rust (facade; docs in progress).
#![warn(missing_docs)]

#[doc(inline)]
pub use threading_core::error::{RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind};
#[doc(inline)]
pub use threading_lock::{Lock, LockGuard, Lockable};
#[doc(inline)]
pub use threading_rlock::{RLock, RLockGuard, RLockState};

// Work in progress (issue 3): replaced by explicit lists once the crates settle.
#[doc(inline)]
pub use threading_barrier::*;
#[doc(inline)]
pub use threading_condition::*;
#[doc(inline)]
pub use threading_event::*;
#[doc(inline)]
pub use threading_semaphore::*;
