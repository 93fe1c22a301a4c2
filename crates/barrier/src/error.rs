//! [`BrokenBarrierError`]: Python's `threading.BrokenBarrierError`.

use std::fmt;

/// The barrier was broken while a thread waited on it, or was already broken when the thread
/// arrived: Python's [`threading.BrokenBarrierError`].
///
/// [`Barrier::wait`](crate::Barrier::wait) and its timed variants return it when:
///
/// * some waiter of the same round timed out (the timeout breaks the barrier for everyone);
/// * [`Barrier::abort`](crate::Barrier::abort) was called, now or earlier (the barrier stays
///   broken until [`Barrier::reset`](crate::Barrier::reset));
/// * [`Barrier::reset`](crate::Barrier::reset) was called while the thread waited;
/// * the barrier's action panicked (the thread that ran it gets the panic instead).
///
/// # Examples
///
/// ```
/// use threading::{Barrier, BrokenBarrierError};
///
/// let barrier = Barrier::new(2);
/// barrier.abort();
/// assert_eq!(barrier.wait(), Err(BrokenBarrierError));
/// assert_eq!(BrokenBarrierError.to_string(), "barrier is broken");
/// ```
///
/// # Differences from Python
///
/// * CPython's exception has an empty message (`str(e) == ''`); the [`Display`](fmt::Display)
///   text here is `"barrier is broken"`, which reads better in a log or an `unwrap` panic.
/// * In Python it subclasses `RuntimeError`; here it is a separate type (there is nothing to
///   tell apart: it carries no data).
///
/// [`threading.BrokenBarrierError`]: https://docs.python.org/3/library/threading.html#threading.BrokenBarrierError
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BrokenBarrierError;

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("barrier is broken")
    }
}

impl std::error::Error for BrokenBarrierError {}
