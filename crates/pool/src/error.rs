//! Error types named after the exceptions of Python's `concurrent.futures`.
//!
//! [`FutureError`] is what a [`Future`](crate::Future) hands back instead of its value: the
//! task was cancelled ([`CancelledError`]), the wait ran out of time ([`TimeoutError`]), the
//! pool broke before the task could run ([`BrokenThreadPool`]), or the task itself failed
//! ([`TaskPanic`]: its panic, as text). [`InvalidStateError`] is what the executor-author API
//! ([`Future::set_result`](crate::Future::set_result), …) returns on a future that is already
//! done, and [`SubmitError`] is why [`submit`](crate::ThreadPoolExecutor::submit) refused a task.

use alloc::sync::Arc;
use std::any::Any;
use std::fmt;

use threading_core::error::RuntimeError;

/// The future was cancelled: Python's `concurrent.futures.CancelledError`.
///
/// # Examples
///
/// ```
/// use threading::futures::{CancelledError, Future, FutureError};
///
/// let f = Future::<i32>::new();
/// assert!(f.cancel());
/// assert_eq!(f.result().unwrap_err(), FutureError::Cancelled(CancelledError));
/// ```
///
/// # Differences from Python
///
/// CPython's exception has an empty message; [`Display`](fmt::Display) here says
/// `"the future was cancelled"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CancelledError;

impl fmt::Display for CancelledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the future was cancelled")
    }
}

impl std::error::Error for CancelledError {}

/// A wait ran out of time: Python's built-in `TimeoutError` (which `concurrent.futures`
/// re-exports since 3.11).
///
/// Returned by the timed forms of [`Future::result`](crate::Future::result) and
/// [`Future::exception`](crate::Future::exception), by
/// [`ThreadPoolExecutor::map_timeout`](crate::ThreadPoolExecutor::map_timeout), and by
/// [`as_completed_timeout`](crate::as_completed_timeout), which also says how many futures were
/// still unfinished (`"2 (of 4) futures unfinished"`, CPython's message).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threading::futures::{Future, FutureError};
///
/// let f = Future::<i32>::new();
/// let err = f.result_timeout(Duration::ZERO).unwrap_err();
/// assert!(err.is_timeout());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeoutError {
    /// For `as_completed`: how many futures were unfinished, of how many (`total > 0`); both 0
    /// for a single future. Two `u32`s keep `FutureError`, and so every future, small.
    unfinished: u32,
    total: u32,
}

impl TimeoutError {
    /// A timeout waiting for one future.
    pub(crate) const fn new() -> TimeoutError {
        TimeoutError { unfinished: 0, total: 0 }
    }

    /// A timeout of `as_completed` with `unfinished` of `total` futures not done.
    pub(crate) fn unfinished(unfinished: usize, total: usize) -> TimeoutError {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        TimeoutError { unfinished: clamp(unfinished), total: clamp(total) }
    }

    /// For a timeout of `as_completed`: how many futures were unfinished, and of how many.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::futures::{as_completed_timeout, Future};
    ///
    /// let (done, pending) = (Future::new(), Future::new());
    /// done.set_result(1).unwrap();
    /// let mut it = as_completed_timeout([&done, &pending], Duration::ZERO);
    /// assert!(it.next().unwrap().is_ok());
    /// let err = it.next().unwrap().unwrap_err();
    /// assert_eq!(err.futures_unfinished(), Some((1, 2)));
    /// assert_eq!(err.to_string(), "1 (of 2) futures unfinished");
    /// ```
    #[must_use]
    pub const fn futures_unfinished(&self) -> Option<(usize, usize)> {
        if self.total == 0 { None } else { Some((self.unfinished as usize, self.total as usize)) }
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.futures_unfinished() {
            Some((n, total)) => write!(f, "{n} (of {total}) futures unfinished"),
            None => f.write_str("timed out waiting for the future"),
        }
    }
}

impl std::error::Error for TimeoutError {}

/// A thread initializer failed and the pool is not usable anymore: Python's
/// `concurrent.futures.thread.BrokenThreadPool`.
///
/// Every future that was still queued when the pool broke fails with it, and so does every
/// later [`submit`](crate::ThreadPoolExecutor::submit).
///
/// # Examples
///
/// ```
/// use threading::futures::BrokenThreadPool;
///
/// assert_eq!(
///     BrokenThreadPool.to_string(),
///     "A thread initializer failed, the thread pool is not usable anymore"
/// );
/// ```
///
/// # Differences from Python
///
/// Python's `BrokenThreadPool` subclasses `BrokenExecutor` and `RuntimeError`; here it is a
/// type of its own, found inside [`FutureError::BrokenThreadPool`] and
/// [`SubmitError::BrokenThreadPool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BrokenThreadPool;

impl fmt::Display for BrokenThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("A thread initializer failed, the thread pool is not usable anymore")
    }
}

impl std::error::Error for BrokenThreadPool {}

/// The operation is not allowed in the future's state: Python's
/// `concurrent.futures.InvalidStateError`.
///
/// [`Future::set_result`](crate::Future::set_result) and
/// [`Future::set_exception`](crate::Future::set_exception) return it on a future that is
/// already finished or cancelled (the first outcome is kept), with CPython's message:
/// the state, then the future's repr. [`Future::into_result`](crate::Future::into_result)
/// returns it (inside [`FutureError::InvalidState`]) when the value cannot be moved out because
/// other handles to the future still exist.
///
/// # Examples
///
/// ```
/// use threading::futures::Future;
///
/// let f = Future::new();
/// f.set_result(1).unwrap();
/// let err = f.set_result(2).unwrap_err();
/// assert!(err.to_string().starts_with("FINISHED: <Future at 0x"));
/// assert!(err.to_string().ends_with(" state=finished returned i32>"));
/// assert_eq!(f.result(), Ok(&1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvalidStateError {
    message: Arc<str>,
}

impl InvalidStateError {
    /// An error with the given message.
    pub(crate) fn new(message: String) -> InvalidStateError {
        InvalidStateError { message: message.into() }
    }
}

impl fmt::Display for InvalidStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InvalidStateError {}

/// The task panicked: the failure a future stores in place of Python's exception object.
///
/// It keeps the panic's message as text (a `&str` or `String` payload; any other payload type
/// reads `"Box<dyn Any>"`, as in Rust's own panic message).
///
/// # Examples
///
/// ```
/// use threading::futures::{FutureError, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(1).unwrap();
/// let f = pool.submit(|| -> i32 { panic!("boom") }).unwrap();
/// match f.result() {
///     Err(FutureError::Panicked(p)) => assert_eq!(p.message(), "boom"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskPanic {
    message: Arc<str>,
}

impl TaskPanic {
    /// A failure with the given message (for executors and tests that use
    /// [`Future::set_exception`](crate::Future::set_exception)).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::TaskPanic;
    ///
    /// assert_eq!(TaskPanic::new("doh!").message(), "doh!");
    /// ```
    #[must_use]
    pub fn new(message: impl Into<String>) -> TaskPanic {
        TaskPanic { message: message.into().into() }
    }

    /// The text of a panic payload, as `catch_unwind` or `JoinHandle::join` returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::futures::TaskPanic;
    ///
    /// let payload = std::panic::catch_unwind(|| panic!("at {}", 42)).unwrap_err();
    /// assert_eq!(TaskPanic::from_payload(&*payload).message(), "at 42");
    /// ```
    #[must_use]
    pub fn from_payload(payload: &(dyn Any + Send)) -> TaskPanic {
        TaskPanic::new(payload_text(payload))
    }

    /// The panic message.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TaskPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task panicked: {}", self.message)
    }
}

impl std::error::Error for TaskPanic {}

/// The text of a panic payload.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// Why a [`Future`](crate::Future) has no value to give: cancelled, out of time, broken pool,
/// or the task's own failure.
///
/// This is what [`Future::result`](crate::Future::result) returns where Python's
/// `Future.result()` raises. Each variant wraps the type named after the Python exception, and
/// the predicates ([`is_cancelled`](FutureError::is_cancelled), …) spare a `match`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threading::futures::{Future, FutureError, TaskPanic};
///
/// let f = Future::<i32>::new();
/// assert!(f.result_timeout(Duration::ZERO).unwrap_err().is_timeout());
/// f.set_exception(TaskPanic::new("doh!")).unwrap();
/// let err = f.result().unwrap_err();
/// assert_eq!(err.panic_message(), Some("doh!"));
/// assert_eq!(err.to_string(), "task panicked: doh!");
/// assert_eq!(err.python_name(), "TaskPanic");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FutureError {
    /// The future was cancelled: `CancelledError`.
    Cancelled(CancelledError),
    /// The future was not done in time: `TimeoutError`.
    Timeout(TimeoutError),
    /// The pool broke before the task ran: `BrokenThreadPool`.
    BrokenThreadPool(BrokenThreadPool),
    /// The operation is not allowed in the future's state: `InvalidStateError`.
    InvalidState(InvalidStateError),
    /// The task panicked (the future's "exception").
    Panicked(TaskPanic),
}

impl FutureError {
    /// Whether this is [`FutureError::Cancelled`].
    #[must_use]
    pub const fn is_cancelled(&self) -> bool {
        matches!(self, FutureError::Cancelled(_))
    }

    /// Whether this is [`FutureError::Timeout`].
    #[must_use]
    pub const fn is_timeout(&self) -> bool {
        matches!(self, FutureError::Timeout(_))
    }

    /// Whether this is [`FutureError::BrokenThreadPool`].
    #[must_use]
    pub const fn is_broken(&self) -> bool {
        matches!(self, FutureError::BrokenThreadPool(_))
    }

    /// Whether this is [`FutureError::Panicked`].
    #[must_use]
    pub const fn is_panic(&self) -> bool {
        matches!(self, FutureError::Panicked(_))
    }

    /// The panic message, if the task panicked.
    #[must_use]
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            FutureError::Panicked(p) => Some(p.message()),
            _ => None,
        }
    }

    /// The name of the Python exception this stands for (`"CancelledError"`, `"TimeoutError"`,
    /// `"BrokenThreadPool"`, `"InvalidStateError"`), or `"TaskPanic"` for a panic: what a
    /// future's [`Debug`](fmt::Debug) shows after `raised`.
    #[must_use]
    pub const fn python_name(&self) -> &'static str {
        match self {
            FutureError::Cancelled(_) => "CancelledError",
            FutureError::Timeout(_) => "TimeoutError",
            FutureError::BrokenThreadPool(_) => "BrokenThreadPool",
            FutureError::InvalidState(_) => "InvalidStateError",
            FutureError::Panicked(_) => "TaskPanic",
        }
    }
}

impl fmt::Display for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Cancelled(e) => e.fmt(f),
            FutureError::Timeout(e) => e.fmt(f),
            FutureError::BrokenThreadPool(e) => e.fmt(f),
            FutureError::InvalidState(e) => e.fmt(f),
            FutureError::Panicked(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for FutureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FutureError::Cancelled(e) => Some(e),
            FutureError::Timeout(e) => Some(e),
            FutureError::BrokenThreadPool(e) => Some(e),
            FutureError::InvalidState(e) => Some(e),
            FutureError::Panicked(e) => Some(e),
        }
    }
}

impl From<CancelledError> for FutureError {
    fn from(e: CancelledError) -> FutureError {
        FutureError::Cancelled(e)
    }
}

impl From<TimeoutError> for FutureError {
    fn from(e: TimeoutError) -> FutureError {
        FutureError::Timeout(e)
    }
}

impl From<BrokenThreadPool> for FutureError {
    fn from(e: BrokenThreadPool) -> FutureError {
        FutureError::BrokenThreadPool(e)
    }
}

impl From<InvalidStateError> for FutureError {
    fn from(e: InvalidStateError) -> FutureError {
        FutureError::InvalidState(e)
    }
}

impl From<TaskPanic> for FutureError {
    fn from(e: TaskPanic) -> FutureError {
        FutureError::Panicked(e)
    }
}

/// Why [`ThreadPoolExecutor::submit`](crate::ThreadPoolExecutor::submit) (or `map`) refused
/// a task.
///
/// # Examples
///
/// ```
/// use threading::futures::{SubmitError, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(1).unwrap();
/// pool.shutdown();
/// let err = pool.submit(|| 1).unwrap_err();
/// assert!(matches!(err, SubmitError::Shutdown(_)));
/// assert_eq!(err.to_string(), "cannot schedule new futures after shutdown");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SubmitError {
    /// The executor was shut down: Python's `RuntimeError('cannot schedule new futures after
    /// shutdown')` (kind `ScheduleAfterShutdown`).
    Shutdown(RuntimeError),
    /// A thread initializer failed: Python's `BrokenThreadPool`.
    BrokenThreadPool(BrokenThreadPool),
    /// The pool has no worker and could not start one: Python's `RuntimeError("can't start
    /// new thread")` (kind `CantStartThread`). The task was not queued.
    Spawn(RuntimeError),
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Shutdown(e) | SubmitError::Spawn(e) => e.fmt(f),
            SubmitError::BrokenThreadPool(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SubmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SubmitError::Shutdown(e) | SubmitError::Spawn(e) => Some(e),
            SubmitError::BrokenThreadPool(e) => Some(e),
        }
    }
}
