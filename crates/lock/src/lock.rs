//! [`Lock`]: a non-reentrant lock without an owner, like Python's `threading.Lock`.
//!
//! # Implementation details
//!
//! The whole lock is one byte. Acquiring an uncontended lock is one compare-exchange
//! (`0 → LOCKED`), releasing it one swap (`→ 0`; on x86 an `xchg`, measurably cheaper than a
//! second `lock cmpxchg`, and what `std::sync::Mutex` does too). Only when a thread has to
//! wait does it set `PARKED` and sleep in the parking lot ([`threading_core::park`]) keyed on
//! the address of the byte; a release that sees `PARKED` takes the slow path and wakes one
//! sleeper.
//!
//! | `state` | meaning |
//! |---|---|
//! | `0` | unlocked, nobody parked |
//! | `LOCKED` | locked, nobody parked |
//! | `LOCKED \| PARKED` | locked, some thread may be parked |
//! | `PARKED` | unlocked, some thread may be parked (a release is waking it) |
//!
//! A thread only sleeps after `validate` saw `LOCKED | PARKED` with the queue locked. Every
//! release is one swap of the state to 0, so of two racing releases exactly one sees `LOCKED`,
//! and the other reports "release unlocked lock" (it found the lock free and left it free).
//! The swap also wipes `PARKED`, even if threads still sleep; so a release whose swap returned
//! `PARKED` — successful or not — always calls `unpark_one`, whose callback, with the queue
//! locked, sets `PARKED` again if sleepers remain and clears it if none do. Invariant: while a
//! thread sleeps, `PARKED` is set, or a release is between its swap and that callback (and
//! will wake a sleeper). Releases inside such a window take the fast path without waking
//! anyone, which is fine: a wake-up is already on its way, and the callback restores the hint
//! for the others. Otherwise `PARKED` is cleared only with the queue locked and empty (by that
//! callback or by the last sleeper timing out): a thread that had set it but not yet slept
//! then fails `validate` and looks again. Hence no lost wake-up; the loom models in
//! `tests/loom/lock.rs` check this on the code below.
//!
//! There is no hand-off: a woken thread competes with newcomers (Python's `Lock` promises no
//! fairness either), which keeps the lock fast under contention.

use std::fmt;
use std::time::Duration;

use threading_core::atomic::{AtomicU8, Ordering};
use threading_core::error::{RuntimeError, RuntimeErrorKind};
use threading_core::hint::SpinWait;
use threading_core::park::{self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, ParkResult};
use threading_core::time::{self, Instant};

/// The lock is held.
const LOCKED: u8 = 0b01;
/// A thread may be parked waiting for the lock.
const PARKED: u8 = 0b10;

/// A primitive lock: Python's [`threading.Lock`].
///
/// A `Lock` is either locked or unlocked. It has **no owner**: any thread may release it, not
/// only the thread that acquired it, so it can be used as a binary semaphore or a hand-off
/// between threads. It is not reentrant: a thread that acquires it twice waits for somebody to
/// release it (use [`RLock`] for reentrancy).
///
/// There are two ways to use it:
///
/// * Python style: [`acquire`](Lock::acquire) / [`release`](Lock::release), and the
///   non-blocking and timed forms [`try_acquire`](Lock::try_acquire),
///   [`acquire_timeout`](Lock::acquire_timeout) and [`acquire_deadline`](Lock::acquire_deadline);
/// * `with lock:` style: [`lock`](Lock::lock) and its variants return a [`LockGuard`] that
///   releases the lock when dropped, including when the thread panics.
///
/// The lock holds no data. To protect data, keep it next to the lock and only touch it while
/// the lock is held, or use a `Mutex<T>`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use threading::Lock;
///
/// let lock = Arc::new(Lock::new());
/// lock.acquire();
/// assert!(lock.locked());
///
/// // Any thread may release it: this is what sets a Lock apart from a Mutex.
/// let l = Arc::clone(&lock);
/// thread::spawn(move || l.release().unwrap()).join().unwrap();
/// assert!(!lock.locked());
///
/// {
///     let _guard = lock.lock(); // `with lock:`
///     assert!(lock.locked());
/// }
/// assert!(!lock.locked());
/// ```
///
/// # Differences from Python
///
/// * `acquire(blocking=False)` is [`try_acquire`](Lock::try_acquire) and
///   `acquire(timeout=t)` is [`acquire_timeout`](Lock::acquire_timeout); both return `bool`
///   as in Python, since running out of time is not an error.
/// * A timeout too large to represent (Python raises `OverflowError` above
///   `threading.TIMEOUT_MAX`) waits forever. Negative and NaN timeouts cannot be expressed with
///   `Duration`.
/// * `release()` returns `Err(RuntimeError)` where Python raises `RuntimeError`.
/// * The legacy aliases `acquire_lock`/`release_lock`/`locked_lock` are not provided.
///
/// # Fairness
///
/// None, as in CPython: a releasing thread may re-acquire before a woken waiter gets there.
///
/// [`threading.Lock`]: https://docs.python.org/3/library/threading.html#lock-objects
/// [`RLock`]: https://docs.rs/threading-rlock
pub struct Lock {
    /// See the state table in the module documentation.
    state: AtomicU8,
}

impl Lock {
    threading_core::const_fn! {
        /// Creates an unlocked lock.
        ///
        /// `const`, so a `Lock` can live in a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use threading::Lock;
        ///
        /// static LOCK: Lock = Lock::new();
        /// assert!(!LOCK.locked());
        /// ```
        pub fn new() -> Lock {
            Lock { state: AtomicU8::new(0) }
        }
    }

    /// Acquires the lock, blocking until it is available: Python's `acquire()`.
    ///
    /// The lock stays held until some thread calls [`release`](Lock::release). Prefer
    /// [`lock`](Lock::lock) when the same scope releases it.
    ///
    /// A thread that already holds the lock and calls `acquire` again blocks until another
    /// thread releases it (the lock is not reentrant).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// lock.acquire();
    /// assert!(lock.locked());
    /// lock.release().unwrap();
    /// ```
    #[inline]
    pub fn acquire(&self) {
        if self
            .state
            .compare_exchange_weak(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.acquire_slow(None);
        }
    }

    /// Acquires the lock if it is free right now: Python's `acquire(blocking=False)`.
    ///
    /// Returns whether the lock was acquired. Never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// assert!(lock.try_acquire());
    /// assert!(!lock.try_acquire()); // not reentrant
    /// lock.release().unwrap();
    /// ```
    #[inline]
    #[must_use = "if the lock was acquired it must be released"]
    pub fn try_acquire(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & LOCKED != 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                state,
                state | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(s) => state = s,
            }
        }
    }

    /// Acquires the lock, waiting at most `timeout`: Python's `acquire(timeout=t)`.
    ///
    /// Returns whether the lock was acquired. A zero timeout is a single try; a timeout too
    /// large to represent as a deadline (such as `Duration::MAX`) waits forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// assert!(lock.acquire_timeout(Duration::from_millis(10)));
    /// assert!(!lock.acquire_timeout(Duration::from_millis(10))); // held: times out
    /// lock.release().unwrap();
    /// ```
    #[inline]
    #[must_use = "if the lock was acquired it must be released"]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        if self.try_acquire() {
            return true;
        }
        if timeout.is_zero() {
            return false;
        }
        self.acquire_slow(time::deadline_after(timeout))
    }

    /// Acquires the lock, waiting until `deadline` at the latest.
    ///
    /// Returns whether the lock was acquired. A deadline in the past is a single try.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// assert!(lock.acquire_deadline(Instant::now() + Duration::from_millis(10)));
    /// lock.release().unwrap();
    /// ```
    #[inline]
    #[must_use = "if the lock was acquired it must be released"]
    pub fn acquire_deadline(&self, deadline: Instant) -> bool {
        self.try_acquire() || self.acquire_slow(Some(deadline))
    }

    /// Releases the lock: Python's `release()`.
    ///
    /// Any thread may release a locked lock, not only the one that acquired it. If threads are
    /// waiting, one of them is woken and may take the lock.
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] of kind [`ReleaseUnlocked`](RuntimeErrorKind::ReleaseUnlocked)
    /// ("release unlocked lock") if the lock is not locked. The lock is left unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// assert!(lock.release().is_err()); // RuntimeError: release unlocked lock
    /// lock.acquire();
    /// assert!(lock.release().is_ok());
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), RuntimeError> {
        // One unconditional swap (x86 `xchg`, cheaper than `lock cmpxchg`): of two racing
        // releases exactly one sees `LOCKED`. Anything but a plain `LOCKED` goes to the slow
        // path, which repairs the `PARKED` hint the swap may have wiped.
        let old = self.state.swap(0, Ordering::Release);
        if old == LOCKED {
            return Ok(());
        }
        self.release_slow(old)
    }

    /// Whether the lock is held by some thread right now: Python's `locked()`.
    ///
    /// The answer may be out of date as soon as it is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// assert!(!lock.locked());
    /// let _g = lock.lock();
    /// assert!(lock.locked());
    /// ```
    #[inline]
    #[must_use]
    pub fn locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & LOCKED != 0
    }

    /// Acquires the lock and returns a guard that releases it when dropped: `with lock:`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// {
    ///     let _guard = lock.lock();
    ///     assert!(lock.locked());
    /// } // released here, also if the block panics
    /// assert!(!lock.locked());
    /// ```
    #[inline]
    pub fn lock(&self) -> LockGuard<'_> {
        self.acquire();
        LockGuard { lock: self }
    }

    /// Takes the lock if it is free right now and returns its guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// let guard = lock.try_lock().expect("free");
    /// assert!(lock.try_lock().is_none());
    /// drop(guard);
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<LockGuard<'_>> {
        self.try_acquire().then(|| LockGuard { lock: self })
    }

    /// Takes the lock, waiting at most `timeout`, and returns its guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// let _g = lock.lock_timeout(Duration::from_millis(5)).expect("free");
    /// assert!(lock.lock_timeout(Duration::from_millis(5)).is_none());
    /// ```
    #[inline]
    pub fn lock_timeout(&self, timeout: Duration) -> Option<LockGuard<'_>> {
        self.acquire_timeout(timeout).then(|| LockGuard { lock: self })
    }

    /// Takes the lock, waiting until `deadline` at the latest, and returns its guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// let g = lock.lock_deadline(Instant::now() + Duration::from_millis(5));
    /// assert!(g.is_some());
    /// ```
    #[inline]
    pub fn lock_deadline(&self, deadline: Instant) -> Option<LockGuard<'_>> {
        self.acquire_deadline(deadline).then(|| LockGuard { lock: self })
    }

    /// The contended path of every acquire: spin a little, then park until woken or until
    /// `deadline` (`None`: no deadline). Returns whether the lock was acquired.
    #[cold]
    fn acquire_slow(&self, deadline: Option<Instant>) -> bool {
        let mut spin = SpinWait::new();
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            // Free (possibly with sleepers): take it, keeping PARKED for their sake.
            if state & LOCKED == 0 {
                match self.state.compare_exchange_weak(
                    state,
                    state | LOCKED,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return true,
                    Err(s) => state = s,
                }
                continue;
            }

            // Held and nobody sleeping yet: spin briefly, the holder may be about to release.
            if state & PARKED == 0 && spin.spin() {
                state = self.state.load(Ordering::Relaxed);
                continue;
            }

            // Announce a sleeper, so the releasing thread takes the slow path.
            if state & PARKED == 0
                && let Err(s) = self.state.compare_exchange_weak(
                    state,
                    state | PARKED,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
            {
                state = s;
                continue;
            }

            let addr = self.key();
            // Sleep only if the lock is still held with PARKED set, checked with the queue
            // locked, so a release between our CAS and the sleep cannot be missed.
            let validate = || self.state.load(Ordering::Relaxed) == LOCKED | PARKED;
            let before_sleep = || {};
            // The last sleeper to give up clears PARKED, so releases go back to the fast path.
            let timed_out = |_, was_last_thread| {
                if was_last_thread {
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
            };
            // SAFETY: the key is the address of our own state byte; the callbacks only touch
            // that atomic and neither panic nor call into the parking lot.
            let result = unsafe {
                park::park(addr, validate, before_sleep, timed_out, DEFAULT_PARK_TOKEN, deadline)
            };
            if result == ParkResult::TimedOut {
                return false;
            }
            // Unparked (a release woke us) or Invalid (the state changed, or a spurious
            // wake-up): look again.
            spin.reset();
            state = self.state.load(Ordering::Relaxed);
        }
    }

    /// The release path when the swap found anything but a plain `LOCKED`: `old`, which the
    /// swap replaced with 0. Without `LOCKED` it is an error ("release unlocked lock"); with
    /// `PARKED` the swap also wiped the sleepers' hint, so wake one of them and, with the queue
    /// locked, put the hint back if others still sleep.
    #[cold]
    fn release_slow(&self, old: u8) -> Result<(), RuntimeError> {
        if old & PARKED != 0 {
            let addr = self.key();
            let callback = |result: park::UnparkResult| {
                // Runs with the queue locked. Others still asleep: restore the hint, so their
                // wake-up does not depend on this one. Nobody left: drop it (a thread that set
                // it but has not slept yet fails `validate` and looks again).
                if result.have_more_threads {
                    self.state.fetch_or(PARKED, Ordering::Relaxed);
                } else {
                    self.state.fetch_and(!PARKED, Ordering::Relaxed);
                }
                DEFAULT_UNPARK_TOKEN
            };
            // SAFETY: our own key; the callback only touches our atomic and cannot panic.
            unsafe {
                park::unpark_one(addr, callback);
            }
        }
        if old & LOCKED == 0 {
            return Err(RuntimeError::new(RuntimeErrorKind::ReleaseUnlocked));
        }
        Ok(())
    }

    #[inline]
    fn key(&self) -> usize {
        std::ptr::from_ref(&self.state).addr()
    }
}

impl Default for Lock {
    /// An unlocked lock.
    fn default() -> Lock {
        Lock::new()
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").field("locked", &self.locked()).finish()
    }
}

/// Releases a [`Lock`] when dropped: the body of a `with lock:` block.
///
/// Created by [`Lock::lock`], [`Lock::try_lock`], [`Lock::lock_timeout`] and
/// [`Lock::lock_deadline`]. The guard is `Send`: since a `Lock` has no owner, the guard may be
/// dropped on another thread.
///
/// # Panics and poisoning
///
/// There is no poisoning. If the thread panics while holding the guard, unwinding drops the
/// guard and releases the lock, exactly as Python's `with` releases on an exception.
///
/// If some thread calls [`Lock::release`] while a guard is alive, the guard's drop does
/// nothing when it finds the lock already unlocked (Python's `__exit__` would raise
/// `RuntimeError`; a destructor cannot report an error). If in the meantime another thread
/// re-acquired the lock, the drop releases it, as `__exit__` would.
///
/// # Examples
///
/// ```
/// use std::panic;
/// use threading::Lock;
///
/// let lock = Lock::new();
/// let result = panic::catch_unwind(|| {
///     let _guard = lock.lock();
///     panic!("boom");
/// });
/// assert!(result.is_err());
/// assert!(!lock.locked()); // released by the unwinding guard
/// ```
#[must_use = "if unused the Lock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl LockGuard<'_> {
    /// The lock this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Lock;
    ///
    /// let lock = Lock::new();
    /// let guard = lock.lock();
    /// assert!(std::ptr::eq(guard.lock(), &lock));
    /// ```
    #[must_use]
    pub fn lock(&self) -> &Lock {
        self.lock
    }
}

impl Drop for LockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // An error means somebody released the lock behind the guard's back; see the type docs.
        let _ = self.lock.release();
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").field("lock", self.lock).finish()
    }
}
