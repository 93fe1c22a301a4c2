//! Time for algorithm code: `std::time::Instant` in production, a virtual clock under loom.
//!
//! Deadlines are `Option<Instant>`, where `None` means "wait forever". [`deadline_after`] is the
//! one place a timeout becomes a deadline, and it maps a `Duration` too large to represent (for
//! example `Duration::MAX`) to `None` instead of panicking on `Instant` overflow.
//!
//! Under loom, time stands still until a test calls `model::clock::expire` (every timed
//! wait, now or later, times out) or `model::clock::advance`. A model without a clock
//! thread therefore means "time never runs out", and a missing wake-up shows as a loom deadlock.

use std::time::Duration;

#[cfg(not(threading_loom))]
pub use std::time::Instant;

/// The current time on the monotonic clock (virtual under loom).
#[inline]
#[must_use]
pub fn now() -> Instant {
    #[cfg(not(threading_loom))]
    {
        Instant::now()
    }
    #[cfg(threading_loom)]
    {
        Instant { nanos: crate::model::clock::now_nanos() }
    }
}

/// The deadline `timeout` from now, or `None` ("no deadline") when the sum does not fit in an
/// `Instant`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threading_core::time::deadline_after;
///
/// assert!(deadline_after(Duration::from_millis(10)).is_some());
/// assert!(deadline_after(Duration::MAX).is_none()); // a huge timeout waits forever
/// ```
#[inline]
#[must_use]
pub fn deadline_after(timeout: Duration) -> Option<Instant> {
    now().checked_add(timeout)
}

/// How long until `deadline` (zero once it has passed).
#[inline]
#[must_use]
pub fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(now())
}

/// A point on the virtual clock of a loom model (nanoseconds since the model started).
///
/// Mirrors the part of `std::time::Instant` that algorithm code uses. Additions saturate, so a
/// huge timeout is still a (far) deadline under loom rather than `None`.
#[cfg(threading_loom)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    pub(crate) nanos: u64,
}

#[cfg(threading_loom)]
impl Instant {
    /// The current virtual time.
    #[must_use]
    pub fn now() -> Instant {
        now()
    }

    /// `self + d`, saturating at the end of virtual time (never `None`).
    #[must_use]
    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        let add = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Some(Instant { nanos: self.nanos.saturating_add(add) })
    }

    /// `self - earlier`, or zero if `earlier` is later.
    #[must_use]
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }

    /// `self - earlier`, or zero if `earlier` is later.
    #[must_use]
    pub fn duration_since(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// Virtual time elapsed since `self`.
    #[must_use]
    pub fn elapsed(self) -> Duration {
        now().saturating_duration_since(self)
    }
}

#[cfg(threading_loom)]
impl std::ops::Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.checked_add(d).unwrap_or(self)
    }
}

#[cfg(threading_loom)]
impl std::ops::Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}
