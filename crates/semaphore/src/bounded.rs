//! [`BoundedSemaphore`]: Python's `threading.BoundedSemaphore`, a semaphore whose value may
//! never exceed its initial value.

use std::fmt;
use std::time::Duration;

use threading_core::error::{ValueError, ValueErrorKind};
use threading_core::time::{self, Instant};

use crate::SemaphoreGuard;
use crate::raw::{self, RawSemaphore};

/// A semaphore that refuses to be released above its initial value: Python's
/// [`threading.BoundedSemaphore`].
///
/// It works like [`Semaphore`] — same acquire family, same guard, same fairness — except that
/// [`release`](BoundedSemaphore::release) and [`release_n`](BoundedSemaphore::release_n)
/// return `Err(ValueError)` ("Semaphore released too many times") instead of raising the value
/// past [`initial_value`](BoundedSemaphore::initial_value). Semaphores usually guard a
/// resource of limited capacity, so releasing more often than acquiring is a bug this type
/// catches.
///
/// A refused release changes nothing: the bound is checked atomically with the increment, so
/// `release_n(n)` either adds all `n` permits or none (BSEM-02), even while other threads
/// acquire and release.
///
/// # Examples
///
/// ```
/// use threading::{BoundedSemaphore, ValueErrorKind};
///
/// let pool = BoundedSemaphore::new(2);
/// pool.acquire();
/// pool.release().unwrap();
/// let err = pool.release().unwrap_err(); // one release too many
/// assert_eq!(err.kind(), ValueErrorKind::SemaphoreReleasedTooManyTimes);
/// assert_eq!(err.to_string(), "Semaphore released too many times");
/// assert_eq!(pool.value(), 2); // unchanged
///
/// {
///     let _permit = pool.permit(); // with pool:
///     assert_eq!(pool.value(), 1);
/// }
/// assert_eq!(pool.value(), 2);
/// ```
///
/// # Differences from Python
///
/// As for [`Semaphore`], plus:
///
/// * In Python, `BoundedSemaphore` is a subclass of `Semaphore`. Here it is a separate type
///   with the same methods (it does not dereference to a `Semaphore`, whose `release` would
///   bypass the bound). Write generic code over both with a small trait of your own if needed.
/// * `release()` returns `Result<(), ValueError>` where Python raises `ValueError`.
/// * `repr()` is the `Debug` output `BoundedSemaphore { value: 2, initial_value: 3 }`
///   (Python: `<threading.BoundedSemaphore at 0x…: value=2/3>`), and Python's private
///   `_initial_value` is [`initial_value`](BoundedSemaphore::initial_value).
///
/// # Fairness
///
/// As for [`Semaphore`]: FIFO wake-ups, no hand-off.
///
/// [`threading.BoundedSemaphore`]: https://docs.python.org/3/library/threading.html#threading.BoundedSemaphore
/// [`Semaphore`]: crate::Semaphore
pub struct BoundedSemaphore {
    raw: RawSemaphore,
    /// The value given to `new`, which releases may not exceed.
    initial: usize,
}

impl BoundedSemaphore {
    /// The largest initial value: [`Semaphore::MAX_VALUE`](crate::Semaphore::MAX_VALUE).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{BoundedSemaphore, Semaphore};
    ///
    /// assert_eq!(BoundedSemaphore::MAX_VALUE, Semaphore::MAX_VALUE);
    /// ```
    pub const MAX_VALUE: usize = raw::MAX_VALUE;

    threading_core::const_fn! {
        /// Creates a bounded semaphore holding `value` permits, which is also its upper
        /// bound: Python's `BoundedSemaphore(value)`.
        ///
        /// `const`, so it can live in a `static`. [`BoundedSemaphore::default`] is Python's
        /// `BoundedSemaphore()`, with one permit. With `value == 0` every release fails
        /// (BSEM-05).
        ///
        /// # Panics
        ///
        /// If `value` is above [`MAX_VALUE`](BoundedSemaphore::MAX_VALUE).
        ///
        /// # Examples
        ///
        /// ```
        /// use threading::BoundedSemaphore;
        ///
        /// static CONNECTIONS: BoundedSemaphore = BoundedSemaphore::new(8);
        /// assert_eq!(CONNECTIONS.initial_value(), 8);
        /// ```
        #[track_caller]
        pub fn new(value: usize) -> BoundedSemaphore {
            assert!(value <= raw::MAX_VALUE, "semaphore value would exceed Semaphore::MAX_VALUE");
            BoundedSemaphore { raw: RawSemaphore::new(value), initial: value }
        }
    }

    /// Takes a permit, blocking while the value is zero: Python's `acquire()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// sem.acquire();
    /// assert_eq!(sem.value(), 0);
    /// sem.release().unwrap();
    /// ```
    #[inline]
    pub fn acquire(&self) {
        self.raw.acquire_until(None);
    }

    /// Takes a permit if one is available right now: Python's `acquire(blocking=False)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// assert!(sem.try_acquire());
    /// assert!(!sem.try_acquire());
    /// ```
    #[inline]
    #[must_use = "if a permit was taken it must be released"]
    pub fn try_acquire(&self) -> bool {
        self.raw.try_acquire()
    }

    /// Takes a permit, waiting at most `timeout`: Python's `acquire(timeout=t)`.
    ///
    /// As [`Semaphore::acquire_timeout`](crate::Semaphore::acquire_timeout): an available
    /// permit is taken at once, zero is a single try, a huge timeout waits forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// assert!(sem.acquire_timeout(Duration::from_millis(10)));
    /// assert!(!sem.acquire_timeout(Duration::from_millis(10)));
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
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// assert!(sem.acquire_deadline(Instant::now() + Duration::from_millis(10)));
    /// ```
    #[inline]
    #[must_use = "if a permit was taken it must be released"]
    pub fn acquire_deadline(&self, deadline: Instant) -> bool {
        self.raw.acquire_until(Some(deadline))
    }

    /// Gives one permit back, waking one waiting thread if there is one: Python's `release()`.
    ///
    /// # Errors
    ///
    /// [`ValueError`] of kind
    /// [`SemaphoreReleasedTooManyTimes`](ValueErrorKind::SemaphoreReleasedTooManyTimes)
    /// ("Semaphore released too many times") if the value is already at
    /// [`initial_value`](BoundedSemaphore::initial_value). The value is left unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// assert!(sem.release().is_err()); // nothing was acquired
    /// sem.acquire();
    /// assert!(sem.release().is_ok());
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), ValueError> {
        self.raw.release(1, self.initial).map_err(|_| too_many())
    }

    /// Gives `n` permits back, waking up to `n` waiting threads: Python's `release(n)`.
    ///
    /// All or nothing: if the value would exceed the initial value, no permit is added.
    ///
    /// # Errors
    ///
    /// * [`ValueError`] of kind [`ReleaseCountZero`](ValueErrorKind::ReleaseCountZero) ("n
    ///   must be one or more") if `n` is 0 (checked first, as in Python);
    /// * [`ValueError`] of kind
    ///   [`SemaphoreReleasedTooManyTimes`](ValueErrorKind::SemaphoreReleasedTooManyTimes) if
    ///   the value plus `n` would exceed [`initial_value`](BoundedSemaphore::initial_value).
    ///
    /// Nothing changes in either case.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{BoundedSemaphore, ValueErrorKind};
    ///
    /// let sem = BoundedSemaphore::new(3);
    /// assert!(sem.try_acquire() && sem.try_acquire()); // value 1
    /// let err = sem.release_n(3).unwrap_err(); // 1 + 3 > 3: refused as a whole
    /// assert_eq!(err.kind(), ValueErrorKind::SemaphoreReleasedTooManyTimes);
    /// assert_eq!(sem.value(), 1);
    /// sem.release_n(2).unwrap();
    /// assert_eq!(sem.value(), 3);
    /// ```
    #[inline]
    pub fn release_n(&self, n: usize) -> Result<(), ValueError> {
        if n == 0 {
            return Err(ValueError::new(ValueErrorKind::ReleaseCountZero));
        }
        self.raw.release(n, self.initial).map_err(|_| too_many())
    }

    /// The value right now: Python's `_value`.
    ///
    /// A snapshot for tests and diagnostics, out of date as soon as other threads acquire or
    /// release.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(3);
    /// let _p = sem.permit();
    /// assert_eq!(sem.value(), 2);
    /// ```
    #[inline]
    #[must_use]
    pub fn value(&self) -> usize {
        self.raw.value()
    }

    /// The initial value, which is also the bound: Python's `_initial_value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(3);
    /// sem.acquire();
    /// assert_eq!((sem.value(), sem.initial_value()), (2, 3));
    /// ```
    #[inline]
    #[must_use]
    pub fn initial_value(&self) -> usize {
        self.initial
    }

    /// Takes a permit, blocking, and returns a guard that gives it back when dropped:
    /// `with sem:`.
    ///
    /// The guard's release is bounded like [`release`](BoundedSemaphore::release); see
    /// [`SemaphoreGuard`] for what happens if it is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// {
    ///     let _permit = sem.permit();
    ///     assert_eq!(sem.value(), 0);
    /// }
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
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// let p = sem.try_permit();
    /// assert!(p.is_some());
    /// assert!(sem.try_permit().is_none());
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
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
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
    /// use threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// assert!(sem.permit_deadline(Instant::now() + Duration::from_millis(5)).is_some());
    /// ```
    #[inline]
    pub fn permit_deadline(&self, deadline: Instant) -> Option<SemaphoreGuard<'_>> {
        self.acquire_deadline(deadline).then(|| self.guard())
    }

    /// The guard for a permit this thread has just taken.
    #[inline]
    fn guard(&self) -> SemaphoreGuard<'_> {
        SemaphoreGuard::new(&self.raw, self.initial)
    }
}

/// Python's `ValueError("Semaphore released too many times")`.
#[cold]
fn too_many() -> ValueError {
    ValueError::new(ValueErrorKind::SemaphoreReleasedTooManyTimes)
}

impl Default for BoundedSemaphore {
    /// A bounded semaphore with one permit: Python's `BoundedSemaphore()`.
    fn default() -> BoundedSemaphore {
        BoundedSemaphore::new(1)
    }
}

impl fmt::Debug for BoundedSemaphore {
    /// `BoundedSemaphore { value: 2, initial_value: 3 }`: Python's
    /// `<threading.BoundedSemaphore at 0x…: value=2/3>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("value", &self.value())
            .field("initial_value", &self.initial)
            .finish()
    }
}
