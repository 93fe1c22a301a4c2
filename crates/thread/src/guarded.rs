//! [`Guarded`]: a value that is only reached with a [`Lock`] held, the crate's small mutex.
//!
//! The crate keeps a few pieces of mutable state behind a lock: a thread's name, its target
//! before it runs and its outcome after, and the process-wide registry and excepthook. A
//! `Lock` plus a [`threading_core::cell::UnsafeCell`] is all that takes, and both are loom-aware,
//! so the loom models see every access.

use std::panic::RefUnwindSafe;

use threading_core::cell::UnsafeCell;
use threading_lock::Lock;

/// A `T` behind a [`Lock`]: [`Guarded::with`] is the only way in.
pub(crate) struct Guarded<T> {
    lock: Lock,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through `with`, which holds the lock, so at most one thread
// touches it at a time; moving a `T` between threads that way needs `T: Send`, nothing more.
unsafe impl<T: Send> Sync for Guarded<T> {}

// No poisoning and no torn state: the closures this crate passes to `with` do not panic, and the
// lock is released by a guard even if one did.
impl<T> RefUnwindSafe for Guarded<T> {}

impl<T> Guarded<T> {
    threading_core::const_fn! {
        /// `value` behind a new lock.
        pub(crate) fn new(value: T) -> Guarded<T> {
            Guarded { lock: Lock::new(), value: UnsafeCell::new(value) }
        }
    }

    /// Runs `f` on the value with the lock held.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let _held = self.lock.lock();
        // SAFETY: the lock is held until `_held` drops, after `f` returns: no other `with` runs
        // now, so this is the only reference to the value.
        self.value.with_mut(|p| f(unsafe { &mut *p }))
    }
}
