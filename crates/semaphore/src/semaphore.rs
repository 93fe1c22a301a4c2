//! [`Semaphore`]: Python's `threading.Semaphore`, and [`SemaphoreGuard`], the permit of a
//! `with sem:` block (shared with `BoundedSemaphore`).

use std::fmt;
use std::time::Duration;

use threading_core::error::{ValueError, ValueErrorKind};
use threading_core::time::{self, Instant};

use crate::raw::{self, RawSemaphore};

/// The message of every panic for a value past [`Semaphore::MAX_VALUE`].
pub(crate) const OVERFLOW: &str = "semaphore value would exceed Semaphore::MAX_VALUE";

/// A counting semaphore: Python's [`threading.Semaphore`].
///
/// A semaphore manages a counter, its *value*: the number of [`release`](Semaphore::release)
/// calls minus the number of [`acquire`](Semaphore::acquire) calls, plus the initial value.
/// Acquiring takes one permit, blocking while the value is zero; releasing adds one (or `n`)
/// and wakes as many waiting threads. The value never goes negative. Typical uses: limit how
/// many threads use a resource at once, or signal between threads (`Semaphore::new(0)`, one
/// thread releases, another acquires).
///
/// A semaphore has **no owner**: any thread may release it, and releasing more often than
/// acquiring is allowed and raises the value (use [`BoundedSemaphore`] to catch that as a
/// bug). There are two ways to use it:
///
/// * Python style: [`acquire`](Semaphore::acquire) / [`release`](Semaphore::release), with
///   [`try_acquire`](Semaphore::try_acquire), [`acquire_timeout`](Semaphore::acquire_timeout),
///   [`acquire_deadline`](Semaphore::acquire_deadline) and
///   [`release_n`](Semaphore::release_n);
/// * `with sem:` style: [`permit`](Semaphore::permit) and its variants return a
///   [`SemaphoreGuard`] that gives the permit back when dropped, also when the thread panics.
///
/// # Examples
///
/// At most two threads inside at once:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
/// use std::thread;
/// use threading::Semaphore;
///
/// let sem = Arc::new(Semaphore::new(2));
/// let inside = Arc::new(AtomicUsize::new(0));
/// let handles: Vec<_> = (0..6)
///     .map(|_| {
///         let (sem, inside) = (Arc::clone(&sem), Arc::clone(&inside));
///         thread::spawn(move || {
///             let _permit = sem.permit(); // with sem:
///             let now = inside.fetch_add(1, SeqCst) + 1;
///             assert!(now <= 2);
///             inside.fetch_sub(1, SeqCst);
///         })
///     })
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert_eq!(sem.value(), 2);
/// ```
///
/// A signal from one thread to another:
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use threading::Semaphore;
///
/// let ready = Arc::new(Semaphore::new(0));
/// let r = Arc::clone(&ready);
/// let t = thread::spawn(move || r.release());
/// ready.acquire(); // returns once the other thread has released
/// t.join().unwrap();
/// ```
///
/// # Differences from Python
///
/// * The value is a `usize`, so Python's `ValueError` for a negative initial value cannot
///   happen; the value is capped at [`MAX_VALUE`](Semaphore::MAX_VALUE) (`usize::MAX / 4`),
///   and going past it **panics** (in [`new`](Semaphore::new), [`release`](Semaphore::release)
///   or [`release_n`](Semaphore::release_n), with the value left unchanged). Python's integers
///   never overflow; a Rust program that reaches 2⁶² permits has a bug, and making every
///   `release` return a `Result` for it would burden every correct caller (as `Vec::push`
///   panics on capacity overflow rather than returning an error).
/// * `acquire(blocking=False)` is [`try_acquire`](Semaphore::try_acquire) and
///   `acquire(timeout=t)` is [`acquire_timeout`](Semaphore::acquire_timeout) (plus
///   [`acquire_deadline`](Semaphore::acquire_deadline)); both return `bool`. Python's
///   `ValueError` for `acquire(False, timeout=t)` cannot be expressed. A zero timeout is a
///   single try (Python: `timeout=0` or negative). A timeout too large to represent (such as
///   `Duration::MAX`) waits forever where Python raises `OverflowError`; negative and NaN
///   timeouts (on which CPython busy-loops) cannot be expressed. As in Python (SEM-07), the
///   timeout is not looked at when a permit is available.
/// * `acquire()` returns `()`: it can only return once it has a permit (Python returns
///   `True`).
/// * `release(n)` is [`release_n`](Semaphore::release_n), which returns
///   `Err(ValueError)` for `n == 0` where Python raises `ValueError`.
/// * Python's private `_value` is [`value`](Semaphore::value); `repr()` is the `Debug` output
///   `Semaphore { value: 3 }`.
///
/// # Fairness
///
/// Waiting threads are woken in the order they started waiting (FIFO), as in CPython (SEM-18),
/// and `release_n(n)` wakes up to `n` of them. There is no hand-off: a woken thread competes
/// for the permit with threads that are just arriving, and if one of those takes it first, the
/// woken thread waits again at the back of the queue. CPython behaves the same way (a notified
/// waiter must re-acquire the condition's lock, and a newcomer may take the permit first).
/// This keeps the semaphore fast when it is busy; what is guaranteed in every case is that no
/// waiter stays asleep while a permit is free.
///
/// [`threading.Semaphore`]: https://docs.python.org/3/library/threading.html#semaphore-objects
/// [`BoundedSemaphore`]: crate::BoundedSemaphore
pub struct Semaphore {
    raw: RawSemaphore,
}

impl Semaphore {
    /// The largest value a semaphore can hold: `usize::MAX / 4` (2⁶² − 1).
    ///
    /// A release that would take the value past it panics (see
    /// [`release`](Semaphore::release)).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Semaphore;
    ///
    /// assert_eq!(Semaphore::MAX_VALUE, usize::MAX / 4);
    /// let sem = Semaphore::new(Semaphore::MAX_VALUE);
    /// assert!(sem.try_acquire());
    /// ```
    pub const MAX_VALUE: usize = raw::MAX_VALUE;

    threading_core::const_fn! {
        /// Creates a semaphore holding `value` permits: Python's `Semaphore(value)`.
        ///
        /// `const`, so a `Semaphore` can live in a `static`. [`Semaphore::default`] is
        /// Python's `Semaphore()`, with one permit.
        ///
        /// # Panics
        ///
        /// If `value` is above [`MAX_VALUE`](Semaphore::MAX_VALUE).
        ///
        /// # Examples
        ///
        /// ```
        /// use threading::Semaphore;
        ///
        /// static DOWNLOADS: Semaphore = Semaphore::new(4);
        /// assert_eq!(DOWNLOADS.value(), 4);
        /// ```
        #[track_caller]
        pub fn new(value: usize) -> Semaphore {
            assert!(value <= raw::MAX_VALUE, "semaphore value would exceed Semaphore::MAX_VALUE");
            Semaphore { raw: RawSemaphore::new(value) }
        }
    }

    /// Takes a permit, blocking while the value is zero: Python's `acquire()`.
    ///
    /// The permit is returned by a [`release`](Semaphore::release), from any thread. Prefer
    /// [`permit`](Semaphore::permit) when the same scope gives it back.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(2);
    /// sem.acquire();
    /// sem.acquire();
    /// assert_eq!(sem.value(), 0);
    /// sem.release();
    /// ```
    #[inline]
    pub fn acquire(&self) {
        self.raw.acquire_until(None);
    }

    /// Takes a permit if one is available right now: Python's `acquire(blocking=False)`.
    ///
    /// Returns whether it did. Never blocks; fails only when the value is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// assert!(sem.try_acquire());
    /// assert!(!sem.try_acquire());
    /// sem.release();
    /// ```
    #[inline]
    #[must_use = "if a permit was taken it must be released"]
    pub fn try_acquire(&self) -> bool {
        self.raw.try_acquire()
    }

    /// Takes a permit, waiting at most `timeout`: Python's `acquire(timeout=t)`.
    ///
    /// Returns whether it did. A permit that is available is taken at once, whatever the
    /// timeout; a zero timeout is a single try; a timeout too large to represent as a deadline
    /// (such as `Duration::MAX`) waits forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// assert!(sem.acquire_timeout(Duration::from_millis(10)));
    /// assert!(!sem.acquire_timeout(Duration::from_millis(10))); // value 0: times out
    /// ```
    #[inline]
    #[must_use = "if a permit was taken it must be released"]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        if self.raw.try_acquire() {
            return true;
        }
        !timeout.is_zero() && self.raw.acquire_until(time::deadline_after(timeout))
    }

    /// Takes a permit, waiting until `deadline` at the latest.
    ///
    /// Returns whether it did. A deadline in the past is a single try. Use it for loops that
    /// share one time budget.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// let deadline = Instant::now() + Duration::from_millis(10);
    /// assert!(sem.acquire_deadline(deadline));
    /// assert!(!sem.acquire_deadline(deadline));
    /// ```
    #[inline]
    #[must_use = "if a permit was taken it must be released"]
    pub fn acquire_deadline(&self, deadline: Instant) -> bool {
        self.raw.acquire_until(Some(deadline))
    }

    /// Gives one permit back, waking one waiting thread if there is one: Python's `release()`.
    ///
    /// Any thread may release, and releasing more often than acquiring raises the value (an
    /// unbounded semaphore has no upper limit but [`MAX_VALUE`](Semaphore::MAX_VALUE)).
    ///
    /// # Panics
    ///
    /// If the value is already [`MAX_VALUE`](Semaphore::MAX_VALUE); it is left unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// sem.release(); // more releases than acquires: fine for an unbounded semaphore
    /// assert_eq!(sem.value(), 2);
    /// ```
    #[inline]
    #[track_caller]
    pub fn release(&self) {
        if self.raw.release(1, raw::MAX_VALUE).is_err() {
            overflow();
        }
    }

    /// Gives `n` permits back, waking up to `n` waiting threads: Python's `release(n)`.
    ///
    /// # Errors
    ///
    /// [`ValueError`] of kind [`ReleaseCountZero`](ValueErrorKind::ReleaseCountZero) ("n must
    /// be one or more") if `n` is 0. Nothing changes then.
    ///
    /// # Panics
    ///
    /// If the value would exceed [`MAX_VALUE`](Semaphore::MAX_VALUE); it is left unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Semaphore, ValueErrorKind};
    ///
    /// let sem = Semaphore::new(0);
    /// sem.release_n(3).unwrap();
    /// assert_eq!(sem.value(), 3);
    /// let err = sem.release_n(0).unwrap_err();
    /// assert_eq!(err.kind(), ValueErrorKind::ReleaseCountZero);
    /// assert_eq!(err.to_string(), "n must be one or more");
    /// ```
    #[inline]
    #[track_caller]
    pub fn release_n(&self, n: usize) -> Result<(), ValueError> {
        if n == 0 {
            return Err(ValueError::new(ValueErrorKind::ReleaseCountZero));
        }
        if self.raw.release(n, raw::MAX_VALUE).is_err() {
            overflow();
        }
        Ok(())
    }

    /// The value right now: Python's `_value`.
    ///
    /// A snapshot for tests and diagnostics: other threads may change it before it is even
    /// returned, so never decide to acquire or release from it (use
    /// [`try_acquire`](Semaphore::try_acquire)).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(3);
    /// let _p = sem.permit();
    /// assert_eq!(sem.value(), 2);
    /// ```
    #[inline]
    #[must_use]
    pub fn value(&self) -> usize {
        self.raw.value()
    }

    /// Takes a permit, blocking, and returns a guard that gives it back when dropped:
    /// `with sem:`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// {
    ///     let _permit = sem.permit();
    ///     assert_eq!(sem.value(), 0);
    /// } // given back here, also if the block panics
    /// assert_eq!(sem.value(), 1);
    /// ```
    #[inline]
    pub fn permit(&self) -> SemaphoreGuard<'_> {
        self.acquire();
        self.guard()
    }

    /// Takes a permit if one is available right now, and returns its guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// let permit = sem.try_permit().expect("one permit");
    /// assert!(sem.try_permit().is_none());
    /// drop(permit);
    /// assert!(sem.try_permit().is_some());
    /// ```
    #[inline]
    pub fn try_permit(&self) -> Option<SemaphoreGuard<'_>> {
        self.try_acquire().then(|| self.guard())
    }

    /// Takes a permit, waiting at most `timeout`, and returns its guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// let _p = sem.permit_timeout(Duration::from_millis(5)).expect("free");
    /// assert!(sem.permit_timeout(Duration::from_millis(5)).is_none());
    /// ```
    #[inline]
    pub fn permit_timeout(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>> {
        self.acquire_timeout(timeout).then(|| self.guard())
    }

    /// Takes a permit, waiting until `deadline` at the latest, and returns its guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// let p = sem.permit_deadline(Instant::now() + Duration::from_millis(5));
    /// assert!(p.is_some());
    /// ```
    #[inline]
    pub fn permit_deadline(&self, deadline: Instant) -> Option<SemaphoreGuard<'_>> {
        self.acquire_deadline(deadline).then(|| self.guard())
    }

    /// The guard for a permit this thread has just taken.
    #[inline]
    fn guard(&self) -> SemaphoreGuard<'_> {
        SemaphoreGuard::new(&self.raw, raw::MAX_VALUE)
    }
}

/// The overflow panic of [`Semaphore::release`] and [`Semaphore::release_n`], reported at the
/// caller.
#[cold]
#[inline(never)]
#[track_caller]
fn overflow() -> ! {
    panic!("{OVERFLOW}")
}

impl Default for Semaphore {
    /// A semaphore with one permit: Python's `Semaphore()`.
    fn default() -> Semaphore {
        Semaphore::new(1)
    }
}

impl fmt::Debug for Semaphore {
    /// `Semaphore { value: 3 }`: Python's `<threading.Semaphore at 0x…: value=3>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore").field("value", &self.value()).finish()
    }
}

/// Gives a permit back when dropped: the body of a `with sem:` block.
///
/// Created by [`Semaphore::permit`] and [`BoundedSemaphore::permit`] and their `try_`,
/// `_timeout` and `_deadline` variants: one guard type serves both semaphores, and dropping it
/// is a `release()` of the semaphore it came from (with the bounded check for a
/// `BoundedSemaphore`). The guard is `Send`: a semaphore has no owner, so the permit may be
/// given back on another thread.
///
/// # Panics and poisoning
///
/// There is no poisoning. If the thread panics while holding the guard, unwinding drops the
/// guard and gives the permit back, as Python's `with` releases on an exception.
///
/// Dropping the guard never panics. If the release it does is refused — a `BoundedSemaphore`
/// that was already released back to its initial value behind the guard's back (Python's
/// `__exit__` would raise `ValueError`), or a `Semaphore` released up to
/// [`Semaphore::MAX_VALUE`] meanwhile — the drop leaves the value as it is, since a destructor
/// has nobody to report the error to.
///
/// # Examples
///
/// ```
/// use std::panic;
/// use threading::Semaphore;
///
/// let sem = Semaphore::new(1);
/// let result = panic::catch_unwind(|| {
///     let _permit = sem.permit();
///     panic!("boom");
/// });
/// assert!(result.is_err());
/// assert_eq!(sem.value(), 1); // given back by the unwinding guard
/// ```
///
/// [`BoundedSemaphore::permit`]: crate::BoundedSemaphore::permit
#[must_use = "if unused the permit is given back at once"]
#[clippy::has_significant_drop]
pub struct SemaphoreGuard<'a> {
    raw: &'a RawSemaphore,
    /// The bound of the release on drop: `MAX_VALUE` or a `BoundedSemaphore`'s initial value.
    limit: usize,
}

impl<'a> SemaphoreGuard<'a> {
    /// A guard for a permit taken from `raw`, given back within `limit`.
    #[inline]
    pub(crate) fn new(raw: &'a RawSemaphore, limit: usize) -> SemaphoreGuard<'a> {
        SemaphoreGuard { raw, limit }
    }
}

impl Drop for SemaphoreGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Refused only after a release behind the guard's back; see the type docs.
        let _ = self.raw.release(1, self.limit);
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    /// `SemaphoreGuard { value: 1 }`: the value of the semaphore the permit came from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard").field("value", &self.raw.value()).finish()
    }
}
