//! [`Counter`]: a statistic that no algorithm depends on, such as "records alive", for tests
//! that check memory is freed.
//!
//! It is a plain `std` atomic in both builds. Under loom that means it is not modelled, which
//! is the point: destructors that run after a model's statics have been dropped (a record freed
//! by the end of an execution) can still count, and loom explores nothing on its behalf. It is
//! shared by every model of the process, so a loom model must not assert on it. Algorithm code
//! must never branch on a `Counter`.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A process-wide statistic (see the [module documentation](self)).
///
/// # Examples
///
/// ```
/// use threading_core::stats::Counter;
///
/// static ALIVE: Counter = Counter::new();
/// ALIVE.increment();
/// ALIVE.increment();
/// ALIVE.decrement();
/// assert_eq!(ALIVE.get(), 1);
/// ```
#[derive(Debug, Default)]
pub struct Counter(AtomicUsize);

impl Counter {
    /// A counter at zero (`const`, for a `static`, also under loom).
    #[must_use]
    pub const fn new() -> Counter {
        Counter(AtomicUsize::new(0))
    }

    /// Adds one.
    #[inline]
    pub fn increment(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes one away.
    #[inline]
    pub fn decrement(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    /// The current value.
    #[must_use]
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}
