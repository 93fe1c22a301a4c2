//! Python's `threading` for Rust (facade; docs in progress).
#![warn(missing_docs)]

#[doc(inline)]
pub use threading_lock::{Lock, LockGuard, Lockable};
#[doc(inline)]
pub use threading_rlock::{RLock, RLockGuard, RLockState};
#[doc(inline)]
pub use threading_core::error::{RuntimeError, RuntimeErrorKind};
