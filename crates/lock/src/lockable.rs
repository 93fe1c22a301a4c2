//! [`Lockable`]: the lock protocol Python's `Condition` relies on, for both `Lock` and `RLock`.

use alloc::sync::Arc;

use threading_core::error::RuntimeError;
use threading_core::time::Instant;

use crate::Lock;

/// A lock that a `Condition` can wait on.
///
/// This is the protocol Python's `threading.Condition` uses on its lock: `acquire`, `release`,
/// `_is_owned`, and the `_release_save`/`_acquire_restore` pair that lets `wait()` release a
/// lock completely (all recursion levels of an `RLock`) and put it back exactly as it was.
/// It is implemented by [`Lock`], by `RLock`, and by `&L` and `Arc<L>` for any `L: Lockable`,
/// so several conditions can share one lock.
///
/// # Examples
///
/// ```
/// use threading::{Lock, Lockable, RLock};
///
/// fn release_fully<L: Lockable>(lock: &L) -> L::Saved {
///     assert!(lock.is_owned());
///     lock.release_save().unwrap()
/// }
///
/// let rlock = RLock::new();
/// rlock.acquire();
/// rlock.acquire();
/// let saved = release_fully(&rlock);
/// assert!(!rlock.locked());
/// rlock.acquire_restore(saved);
/// assert_eq!(rlock.recursion_count(), 2);
/// # rlock.release().unwrap(); rlock.release().unwrap();
///
/// let lock = Lock::new();
/// lock.acquire();
/// let saved = release_fully(&lock);
/// assert!(!lock.locked());
/// lock.acquire_restore(saved);
/// assert!(lock.locked());
/// ```
pub trait Lockable {
    /// What [`release_save`](Lockable::release_save) hands to
    /// [`acquire_restore`](Lockable::acquire_restore): `()` for a `Lock`, the recursion depth
    /// and owner for an `RLock`.
    type Saved;

    /// Blocks until the lock is acquired (one more level for a reentrant lock).
    fn acquire(&self);

    /// Acquires the lock if that is possible without blocking.
    #[must_use = "if the lock was acquired it must be released"]
    fn try_acquire(&self) -> bool;

    /// Acquires the lock, waiting until `deadline` at the latest (`None`: forever).
    #[must_use = "if the lock was acquired it must be released"]
    fn acquire_until(&self, deadline: Option<Instant>) -> bool;

    /// Releases the lock (one level for a reentrant lock).
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] when the calling thread may not release it.
    fn release(&self) -> Result<(), RuntimeError>;

    /// Whether the calling thread holds the lock: Python's `_is_owned()`. For a `Lock`, which
    /// has no owner, this is "is it locked by anyone" (as in CPython).
    #[must_use]
    fn is_owned(&self) -> bool;

    /// Releases the lock completely and returns what is needed to restore it: Python's
    /// `_release_save()`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] if the calling thread does not hold the lock (for a `Lock`: if it is
    /// not locked). Nothing is changed then.
    fn release_save(&self) -> Result<Self::Saved, RuntimeError>;

    /// Re-acquires the lock, blocking, and restores the state saved by
    /// [`release_save`](Lockable::release_save): Python's `_acquire_restore()`.
    fn acquire_restore(&self, saved: Self::Saved);
}

impl Lockable for Lock {
    type Saved = ();

    #[inline]
    fn acquire(&self) {
        Lock::acquire(self);
    }

    #[inline]
    fn try_acquire(&self) -> bool {
        Lock::try_acquire(self)
    }

    #[inline]
    fn acquire_until(&self, deadline: Option<Instant>) -> bool {
        match deadline {
            Some(d) => Lock::acquire_deadline(self, d),
            None => {
                Lock::acquire(self);
                true
            }
        }
    }

    #[inline]
    fn release(&self) -> Result<(), RuntimeError> {
        Lock::release(self)
    }

    #[inline]
    fn is_owned(&self) -> bool {
        self.locked()
    }

    #[inline]
    fn release_save(&self) -> Result<(), RuntimeError> {
        Lock::release(self)
    }

    #[inline]
    fn acquire_restore(&self, (): ()) {
        Lock::acquire(self);
    }
}

macro_rules! forward_lockable {
    ($($ty:ty),*) => {$(
        impl<L: Lockable + ?Sized> Lockable for $ty {
            type Saved = L::Saved;

            #[inline]
            fn acquire(&self) {
                (**self).acquire()
            }

            #[inline]
            fn try_acquire(&self) -> bool {
                (**self).try_acquire()
            }

            #[inline]
            fn acquire_until(&self, deadline: Option<Instant>) -> bool {
                (**self).acquire_until(deadline)
            }

            #[inline]
            fn release(&self) -> Result<(), RuntimeError> {
                (**self).release()
            }

            #[inline]
            fn is_owned(&self) -> bool {
                (**self).is_owned()
            }

            #[inline]
            fn release_save(&self) -> Result<L::Saved, RuntimeError> {
                (**self).release_save()
            }

            #[inline]
            fn acquire_restore(&self, saved: L::Saved) {
                (**self).acquire_restore(saved)
            }
        }
    )*};
}

forward_lockable!(&L, Arc<L>);
