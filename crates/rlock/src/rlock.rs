//! [`RLock`]: a reentrant lock with an owner, like Python's `threading.RLock`.
//!
//! # Implementation details
//!
//! An `RLock` is a [`Lock`] plus the owner's thread id and a recursion count, the layout of
//! `parking_lot`'s `ReentrantMutex` and of CPython's `_thread.RLock`:
//!
//! * `owner` is the id ([`threading_core::thread::current_id`], never reused) of the thread
//!   holding the inner lock, or `0`. Only the owner writes its own id there, and it clears it
//!   before releasing the inner lock, so a `Relaxed` load that returns the caller's own id is
//!   proof of ownership, and any other value proves it is not the owner.
//! * `extra` counts the levels above the first: the recursion depth minus one while the lock is
//!   owned, and always `0` while it is not. It is touched only by the owner while it holds the
//!   inner lock; the inner lock's acquire/release orders it between successive owners. It lives
//!   in a core `UnsafeCell`, so loom checks that claim on every access.
//!
//! Re-entry is a thread-local read, a relaxed load and an increment; a first acquire adds one
//! compare-exchange on the inner lock and the owner's id, but no write of the count: counting
//! only the extra levels means it is already right (`0`) when the lock is taken, and a last
//! release leaves it that way. The common `with rlock:` at depth one thus stores nothing but
//! the owner.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use threading_core::atomic::{AtomicUsize, Ordering};
use threading_core::cell::UnsafeCell;
use threading_core::error::{RuntimeError, RuntimeErrorKind};
use threading_core::thread::current_id;
use threading_core::time::Instant;
use threading_lock::{Lock, Lockable};

/// A reentrant lock: Python's [`threading.RLock`].
///
/// The thread that acquires an `RLock` owns it and may acquire it again without blocking; each
/// [`acquire`](RLock::acquire) must be matched by a [`release`](RLock::release) from the same
/// thread, and other threads can take the lock only once the count is back to zero. Only the
/// owner may release it.
///
/// Like [`Lock`], it holds no data and has a Python-style API (`acquire`/`release`) next to a
/// guard-returning one ([`lock`](RLock::lock)). A `Condition` can wait on an `RLock` held at any
/// depth through [`Lockable`]: [`release_save`](Lockable::release_save) gives the lock up
/// completely and [`acquire_restore`](Lockable::acquire_restore) restores the same depth.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use threading::RLock;
///
/// let rlock = Arc::new(RLock::new());
/// rlock.acquire();
/// rlock.acquire(); // re-entry by the owner does not block
/// assert_eq!(rlock.recursion_count(), 2);
///
/// let r = Arc::clone(&rlock);
/// thread::spawn(move || {
///     assert!(!r.try_acquire()); // held by the main thread
///     assert!(r.release().is_err()); // RuntimeError: cannot release un-acquired lock
/// })
/// .join()
/// .unwrap();
///
/// rlock.release().unwrap();
/// rlock.release().unwrap();
/// assert!(!rlock.locked());
/// ```
///
/// # Differences from Python
///
/// * `acquire(blocking=False)` is [`try_acquire`](RLock::try_acquire) and `acquire(timeout=t)`
///   is [`acquire_timeout`](RLock::acquire_timeout). A timeout too large to represent waits
///   forever instead of raising `OverflowError`.
/// * The private helpers `_is_owned()`, `_recursion_count()`, `_release_save()` and
///   `_acquire_restore()` are public here: [`is_owned`](RLock::is_owned),
///   [`recursion_count`](RLock::recursion_count) and the [`Lockable`] methods.
/// * [`locked`](RLock::locked) is the `RLock.locked()` of Python 3.14.
/// * The guard from [`lock`](RLock::lock) is not `Send`: only the owner may release an `RLock`.
///
/// # Panics and poisoning
///
/// No poisoning: a panic that unwinds through an [`RLockGuard`] releases that level. A thread
/// that exits while holding an `RLock` through [`acquire`](RLock::acquire) leaves it locked for
/// good, and no other thread can release it (as in CPython). Thread ids are never reused, so a
/// later thread can never be mistaken for the dead owner.
///
/// # Fairness
///
/// None, as in CPython and as with [`Lock`] (an `RLock` is a `Lock` plus an owner and a
/// count): a thread that releases and at once re-acquires may get there before a woken waiter,
/// so under heavy contention one waiter can be overtaken many times. Hand work over with a
/// [`Condition`](https://docs.rs/threading-condition) or a queue when order matters.
///
/// [`threading.RLock`]: https://docs.python.org/3/library/threading.html#rlock-objects
pub struct RLock {
    lock: Lock,
    /// The owner's thread id, or 0. See the module documentation.
    owner: AtomicUsize,
    /// Recursion depth minus one while owned, 0 while not; accessed only by the owner.
    extra: UnsafeCell<usize>,
}

// SAFETY: `extra` is the only field that is not `Sync` by itself. It is read and written only
// by the thread whose id is in `owner`, i.e. the thread holding `lock`, and the inner lock's
// release/acquire orders those accesses between successive owners.
unsafe impl Sync for RLock {}
// SAFETY: moving the lock to another thread moves plain data; see `Sync` above.
unsafe impl Send for RLock {}
// Like every lock here, an RLock does not poison: a panic under it leaves it in a consistent
// state (the guard's drop gives the level back), so it may be used across `catch_unwind`.
impl std::panic::RefUnwindSafe for RLock {}
impl std::panic::UnwindSafe for RLock {}

/// What [`Lockable::release_save`] returns for an [`RLock`]: its recursion depth and owner,
/// Python's `(count, owner)` tuple.
///
/// # Examples
///
/// ```
/// use threading::{Lockable, RLock};
///
/// let r = RLock::new();
/// r.acquire();
/// r.acquire();
/// let state = r.release_save().unwrap();
/// assert_eq!(state.count(), 2);
/// r.acquire_restore(state);
/// assert_eq!(r.recursion_count(), 2);
/// # r.release().unwrap(); r.release().unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "the saved state is needed to restore the lock"]
pub struct RLockState {
    count: usize,
    owner: usize,
}

impl RLockState {
    /// The recursion depth the lock was held at.
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// The id of the thread that held it (the value of `get_ident()` in that thread).
    #[must_use]
    pub fn owner(&self) -> usize {
        self.owner
    }
}

impl RLock {
    threading_core::const_fn! {
        /// Creates an unlocked `RLock`.
        ///
        /// `const`, so an `RLock` can live in a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use threading::RLock;
        ///
        /// static R: RLock = RLock::new();
        /// assert!(!R.locked());
        /// ```
        pub fn new() -> RLock {
            RLock { lock: Lock::new(), owner: AtomicUsize::new(0), extra: UnsafeCell::new(0) }
        }
    }

    /// Acquires the lock, blocking until it is available, or adds a level if the calling thread
    /// already owns it: Python's `acquire()`.
    ///
    /// # Panics
    ///
    /// If the recursion count would overflow `usize` (Python's `OverflowError`).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// r.acquire();
    /// r.acquire();
    /// assert_eq!(r.recursion_count(), 2);
    /// r.release().unwrap();
    /// r.release().unwrap();
    /// ```
    #[inline]
    pub fn acquire(&self) {
        self.acquire_as(current_id());
    }

    /// Acquires the lock if that is possible without blocking: Python's
    /// `acquire(blocking=False)`. Re-entry by the owner always succeeds.
    ///
    /// # Panics
    ///
    /// If the recursion count would overflow `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert!(r.try_acquire());
    /// assert!(r.try_acquire()); // the owner never blocks
    /// # r.release().unwrap(); r.release().unwrap();
    /// ```
    #[inline]
    #[must_use = "if the lock was acquired it must be released"]
    pub fn try_acquire(&self) -> bool {
        self.acquire_with(|lock| lock.try_acquire())
    }

    /// Acquires the lock, waiting at most `timeout`: Python's `acquire(timeout=t)`. Re-entry by
    /// the owner always succeeds at once; a huge timeout waits forever.
    ///
    /// # Panics
    ///
    /// If the recursion count would overflow `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert!(r.acquire_timeout(Duration::from_millis(10)));
    /// # r.release().unwrap();
    /// ```
    #[inline]
    #[must_use = "if the lock was acquired it must be released"]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.acquire_with(|lock| lock.acquire_timeout(timeout))
    }

    /// Acquires the lock, waiting until `deadline` at the latest. Re-entry by the owner always
    /// succeeds at once.
    ///
    /// # Panics
    ///
    /// If the recursion count would overflow `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert!(r.acquire_deadline(Instant::now() + Duration::from_millis(10)));
    /// # r.release().unwrap();
    /// ```
    #[inline]
    #[must_use = "if the lock was acquired it must be released"]
    pub fn acquire_deadline(&self, deadline: Instant) -> bool {
        self.acquire_with(|lock| lock.acquire_deadline(deadline))
    }

    /// Releases one level; the lock becomes free when the count reaches zero: Python's
    /// `release()`.
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] of kind [`ReleaseUnowned`](RuntimeErrorKind::ReleaseUnowned)
    /// ("cannot release un-acquired lock") if the calling thread does not own the lock,
    /// whether it is free or held by another thread. Nothing changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert!(r.release().is_err());
    /// r.acquire();
    /// assert!(r.release().is_ok());
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), RuntimeError> {
        self.release_as(current_id())
    }

    /// [`release`](Self::release) for a caller that already knows its thread id `me`.
    #[inline]
    fn release_as(&self, me: usize) -> Result<(), RuntimeError> {
        if self.owner.load(Ordering::Relaxed) != me {
            return Err(RuntimeError::new(RuntimeErrorKind::ReleaseUnowned));
        }
        // SAFETY: we own the lock, so we are the only thread touching `extra`.
        let last = self.extra.with_mut(|e| unsafe {
            if *e == 0 {
                true
            } else {
                *e -= 1;
                false
            }
        });
        if last {
            // `extra` is already 0, as an unowned lock needs it.
            self.give_up_ownership();
        }
        Ok(())
    }

    /// Whether any thread holds the lock: Python 3.14's `RLock.locked()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert!(!r.locked());
    /// let _g = r.lock();
    /// assert!(r.locked());
    /// ```
    #[inline]
    #[must_use]
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Whether the calling thread owns the lock: Python's `_is_owned()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert!(!r.is_owned());
    /// let _g = r.lock();
    /// assert!(r.is_owned());
    /// assert!(!std::thread::scope(|s| s.spawn(|| r.is_owned()).join().unwrap()));
    /// ```
    #[inline]
    #[must_use]
    pub fn is_owned(&self) -> bool {
        self.owner.load(Ordering::Relaxed) == current_id()
    }

    /// The calling thread's recursion depth: Python's `_recursion_count()`. Zero for a thread
    /// that does not own the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert_eq!(r.recursion_count(), 0);
    /// let _a = r.lock();
    /// let _b = r.lock();
    /// assert_eq!(r.recursion_count(), 2);
    /// ```
    #[inline]
    #[must_use]
    pub fn recursion_count(&self) -> usize {
        if self.is_owned() {
            // SAFETY: we own the lock, so we are the only thread touching `extra`.
            self.extra.with(|e| unsafe { *e }) + 1
        } else {
            0
        }
    }

    /// Acquires one level and returns a guard that releases it when dropped: `with rlock:`.
    ///
    /// # Panics
    ///
    /// If the recursion count would overflow `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// {
    ///     let _outer = r.lock();
    ///     let _inner = r.lock(); // reentrant
    ///     assert_eq!(r.recursion_count(), 2);
    /// }
    /// assert!(!r.locked());
    /// ```
    #[inline]
    pub fn lock(&self) -> RLockGuard<'_> {
        let me = current_id();
        self.acquire_as(me);
        RLockGuard { rlock: self, me, _not_send: PhantomData }
    }

    /// Takes one level if that is possible without blocking and returns its guard.
    ///
    /// # Panics
    ///
    /// If the recursion count would overflow `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert!(r.try_lock().is_some());
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<RLockGuard<'_>> {
        let me = current_id();
        self.acquire_with_as(me, |l| l.try_acquire()).then(|| RLockGuard {
            rlock: self,
            me,
            _not_send: PhantomData,
        })
    }

    /// Takes one level, waiting at most `timeout`, and returns its guard.
    ///
    /// # Panics
    ///
    /// If the recursion count would overflow `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert!(r.lock_timeout(Duration::from_millis(5)).is_some());
    /// ```
    #[inline]
    pub fn lock_timeout(&self, timeout: Duration) -> Option<RLockGuard<'_>> {
        let me = current_id();
        self.acquire_with_as(me, |l| l.acquire_timeout(timeout)).then(|| RLockGuard {
            rlock: self,
            me,
            _not_send: PhantomData,
        })
    }

    /// Takes one level, waiting until `deadline` at the latest, and returns its guard.
    ///
    /// # Panics
    ///
    /// If the recursion count would overflow `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// assert!(r.lock_deadline(Instant::now() + Duration::from_millis(5)).is_some());
    /// ```
    #[inline]
    pub fn lock_deadline(&self, deadline: Instant) -> Option<RLockGuard<'_>> {
        let me = current_id();
        self.acquire_with_as(me, |l| l.acquire_deadline(deadline)).then(|| RLockGuard {
            rlock: self,
            me,
            _not_send: PhantomData,
        })
    }

    /// Shared shape of the non-blocking and timed acquires: re-entry, or `first` on the inner
    /// lock followed by taking ownership.
    #[inline]
    fn acquire_with(&self, first: impl FnOnce(&Lock) -> bool) -> bool {
        self.acquire_with_as(current_id(), first)
    }

    /// [`acquire`](Self::acquire) for a caller that already knows its thread id `me`.
    #[inline]
    fn acquire_as(&self, me: usize) {
        if self.owner.load(Ordering::Relaxed) == me {
            self.reenter();
            return;
        }
        self.lock.acquire();
        self.take_ownership(me);
    }

    #[inline]
    fn acquire_with_as(&self, me: usize, first: impl FnOnce(&Lock) -> bool) -> bool {
        if self.owner.load(Ordering::Relaxed) == me {
            self.reenter();
            return true;
        }
        if first(&self.lock) {
            self.take_ownership(me);
            true
        } else {
            false
        }
    }

    #[inline]
    fn reenter(&self) {
        // SAFETY: the caller checked that we own the lock, so no other thread touches `extra`.
        self.extra.with_mut(|e| unsafe {
            // The depth, `extra + 1`, must stay representable.
            assert!(*e < usize::MAX - 1, "RLock recursion count overflowed");
            *e += 1;
        });
    }

    /// Records `me` as owner at depth one; the inner lock must be held. `extra` is already 0:
    /// every way of giving the lock up leaves it so.
    #[inline]
    fn take_ownership(&self, me: usize) {
        self.owner.store(me, Ordering::Relaxed);
    }

    /// Clears ownership and releases the inner lock; the caller owns the lock.
    #[inline]
    fn give_up_ownership(&self) {
        self.owner.store(0, Ordering::Relaxed);
        let released = self.lock.release();
        debug_assert!(released.is_ok(), "RLock's inner lock was not held by its owner");
    }
}

impl Lockable for RLock {
    type Saved = RLockState;

    #[inline]
    fn acquire(&self) {
        RLock::acquire(self);
    }

    #[inline]
    fn try_acquire(&self) -> bool {
        RLock::try_acquire(self)
    }

    #[inline]
    fn acquire_until(&self, deadline: Option<Instant>) -> bool {
        match deadline {
            Some(d) => RLock::acquire_deadline(self, d),
            None => {
                RLock::acquire(self);
                true
            }
        }
    }

    #[inline]
    fn release(&self) -> Result<(), RuntimeError> {
        RLock::release(self)
    }

    #[inline]
    fn is_owned(&self) -> bool {
        RLock::is_owned(self)
    }

    /// Releases every level and returns the depth and owner (Python's `_release_save`).
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] "cannot release un-acquired lock" if the caller does not own it.
    fn release_save(&self) -> Result<RLockState, RuntimeError> {
        let owner = current_id();
        if self.owner.load(Ordering::Relaxed) != owner {
            return Err(RuntimeError::new(RuntimeErrorKind::ReleaseUnowned));
        }
        // SAFETY: we own the lock, so we are the only thread touching `extra`.
        let extra = self.extra.with_mut(|e| unsafe { std::mem::replace(&mut *e, 0) });
        self.give_up_ownership();
        Ok(RLockState { count: extra + 1, owner })
    }

    /// Blocks until the lock is free, then takes it at the saved depth for the saved owner
    /// (Python's `_acquire_restore`).
    fn acquire_restore(&self, saved: RLockState) {
        self.lock.acquire();
        // SAFETY: we hold the inner lock; the previous owner's accesses to `extra` happened
        // before its release of it, which our acquire synchronised with. `saved.count` is at
        // least 1: it comes from `release_save` (the fields are private).
        self.extra.with_mut(|e| unsafe { *e = saved.count - 1 });
        self.owner.store(saved.owner, Ordering::Relaxed);
    }
}

impl Default for RLock {
    /// An unlocked `RLock`.
    fn default() -> RLock {
        RLock::new()
    }
}

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `count` is readable only by the owner; others see the owner id alone (like Python's
        // repr, which shows `owner=` and `count=`).
        let owner = self.owner.load(Ordering::Relaxed);
        let mut d = f.debug_struct("RLock");
        d.field("locked", &self.locked()).field("owner", &owner);
        if owner == current_id() {
            d.field("count", &self.recursion_count());
        }
        d.finish()
    }
}

/// Releases one level of an [`RLock`] when dropped: the body of a `with rlock:` block.
///
/// Not `Send`: an `RLock` may only be released by its owner, so the guard must be dropped on
/// the thread that created it.
///
/// # Panics and poisoning
///
/// No poisoning: unwinding drops the guard and releases the level it holds.
///
/// # Examples
///
/// ```
/// use threading::RLock;
///
/// let r = RLock::new();
/// let caught = std::panic::catch_unwind(|| {
///     let _g = r.lock();
///     panic!("boom");
/// });
/// assert!(caught.is_err());
/// assert!(!r.locked());
/// ```
#[must_use = "if unused the RLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RLockGuard<'a> {
    rlock: &'a RLock,
    /// The owner's thread id, read once at acquisition; the guard never leaves that thread.
    me: usize,
    _not_send: PhantomData<*const ()>,
}

impl RLockGuard<'_> {
    /// The lock this guard holds a level of.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::RLock;
    ///
    /// let r = RLock::new();
    /// let g = r.lock();
    /// assert!(std::ptr::eq(g.rlock(), &r));
    /// ```
    #[must_use]
    pub fn rlock(&self) -> &RLock {
        self.rlock
    }
}

impl Drop for RLockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Only fails if the level was already given up through `release`/`release_save`
        // behind the guard's back; a destructor has nobody to report that to.
        let _ = self.rlock.release_as(self.me);
    }
}

impl fmt::Debug for RLockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard").field("rlock", self.rlock).finish()
    }
}
