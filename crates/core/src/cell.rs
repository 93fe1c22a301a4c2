//! An `UnsafeCell` with loom's closure-based API, so loom can check every access for data races.
//!
//! In production [`UnsafeCell::with`] and [`UnsafeCell::with_mut`] compile to a plain pointer
//! access; under loom they are `loom::cell::UnsafeCell`, which panics on an access that is not
//! ordered by a happens-before edge with a conflicting one.

#[cfg(threading_loom)]
pub use loom::cell::UnsafeCell;

/// Interior mutability without synchronisation; the caller provides the ordering.
#[cfg(not(threading_loom))]
#[derive(Debug, Default)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(threading_loom))]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    #[inline]
    pub const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared pointer to the value.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with an exclusive pointer to the value.
    #[inline]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }

    /// Consumes the cell and returns the value.
    #[inline]
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}
