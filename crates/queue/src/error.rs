//! The queue errors, named after Python's exceptions: [`Full`], [`Empty`], [`ShutDown`], and the
//! two "one of these" enums [`PutError`] and [`GetError`].
//!
//! No data is ever lost in an error: a put that fails hands the item back inside the error
//! (`into_inner()`), as crossbeam's channel errors do.

use std::fmt;

/// The queue was full: Python's `queue.Full`. Holds the item that could not be put.
///
/// Returned (inside [`PutError::Full`]) by `put_nowait`, `put_timeout` and `put_deadline` of a
/// bounded queue. Take the item back with [`into_inner`](Full::into_inner).
///
/// # Examples
///
/// ```
/// use threading::queue::{PutError, Queue};
///
/// let q = Queue::new(1);
/// q.put("first").unwrap();
/// match q.put_nowait("second") {
///     Err(PutError::Full(full)) => assert_eq!(full.into_inner(), "second"),
///     other => panic!("expected Full, got {other:?}"),
/// }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Full<T>(pub(crate) T);

impl<T> Full<T> {
    /// The item that could not be put.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::queue::Queue;
    ///
    /// let q = Queue::new(1);
    /// q.put(1).unwrap();
    /// assert_eq!(q.put_nowait(2).unwrap_err().into_inner(), 2);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No `T: Debug` bound, so `unwrap()` works for any item type (as crossbeam's errors).
        f.write_str("Full(..)")
    }
}

impl<T> fmt::Display for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is full")
    }
}

impl<T> std::error::Error for Full<T> {}

/// The queue was empty: Python's `queue.Empty`.
///
/// Returned (inside [`GetError::Empty`]) by `get_nowait`, `get_timeout` and `get_deadline`, and
/// on its own by [`SimpleQueue`](crate::SimpleQueue)'s, which cannot be shut down.
///
/// # Examples
///
/// ```
/// use threading::queue::{Empty, SimpleQueue};
///
/// let q = SimpleQueue::<u8>::new();
/// assert_eq!(q.get_nowait(), Err(Empty));
/// assert_eq!(Empty.to_string(), "queue is empty");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Empty;

impl fmt::Display for Empty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is empty")
    }
}

impl std::error::Error for Empty {}

/// The queue was shut down: Python's `queue.ShutDown` (3.13).
///
/// A put on a shut-down queue fails with `ShutDown<T>`, which holds the item
/// ([`into_inner`](ShutDown::into_inner)); a get fails with `ShutDown` (that is, `ShutDown<()>`)
/// once the queue is shut down **and** empty: items put before the shutdown are still handed
/// out, unless it was an immediate shutdown, which discards them.
///
/// # Examples
///
/// ```
/// use threading::queue::{Queue, ShutDown};
///
/// let q = Queue::new(0);
/// q.put(1).unwrap();
/// q.shutdown();
/// assert_eq!(q.put(2).unwrap_err().into_inner(), 2); // nothing new goes in
/// assert_eq!(q.get(), Ok(1)); // what is left comes out
/// assert_eq!(q.get(), Err(ShutDown::new()));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ShutDown<T = ()>(pub(crate) T);

impl ShutDown {
    /// The error of a get from a shut-down, empty queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::queue::ShutDown;
    ///
    /// assert_eq!(ShutDown::new().to_string(), "queue is shut down");
    /// ```
    #[must_use]
    pub const fn new() -> ShutDown {
        ShutDown(())
    }
}

impl<T> ShutDown<T> {
    /// The item that could not be put (`()` for a get).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::queue::Queue;
    ///
    /// let q = Queue::new(0);
    /// q.shutdown();
    /// assert_eq!(q.put(String::from("late")).unwrap_err().into_inner(), "late");
    /// ```
    #[must_use]
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for ShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShutDown(..)")
    }
}

impl<T> fmt::Display for ShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down")
    }
}

impl<T> std::error::Error for ShutDown<T> {}

/// Why a non-blocking or timed put failed: the queue was [`Full`] or [`ShutDown`].
///
/// Either way the error holds the item ([`into_inner`](PutError::into_inner)).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threading::queue::{PutError, Queue};
///
/// let q = Queue::new(1);
/// q.put('a').unwrap();
/// let err = q.put_timeout('b', Duration::from_millis(10)).unwrap_err();
/// assert!(err.is_full());
/// assert_eq!(err.into_inner(), 'b');
///
/// q.shutdown();
/// let err = q.put_nowait('c').unwrap_err();
/// assert!(matches!(err, PutError::ShutDown(_)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum PutError<T> {
    /// The queue had no room (within the time allowed).
    Full(Full<T>),
    /// The queue was shut down.
    ShutDown(ShutDown<T>),
}

impl<T> PutError<T> {
    /// The item that could not be put.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::queue::Queue;
    ///
    /// let q = Queue::new(1);
    /// q.put(1).unwrap();
    /// assert_eq!(q.put_nowait(2).unwrap_err().into_inner(), 2);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(e) => e.into_inner(),
            PutError::ShutDown(e) => e.into_inner(),
        }
    }

    /// Whether the queue was full.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::queue::Queue;
    ///
    /// let q = Queue::new(1);
    /// q.put(1).unwrap();
    /// assert!(q.put_nowait(2).unwrap_err().is_full());
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        matches!(self, PutError::Full(_))
    }

    /// Whether the queue was shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::queue::Queue;
    ///
    /// let q = Queue::new(0);
    /// q.shutdown();
    /// assert!(q.put_nowait(1).unwrap_err().is_shutdown());
    /// ```
    #[must_use]
    pub fn is_shutdown(&self) -> bool {
        matches!(self, PutError::ShutDown(_))
    }
}

impl<T> From<Full<T>> for PutError<T> {
    fn from(e: Full<T>) -> PutError<T> {
        PutError::Full(e)
    }
}

impl<T> From<ShutDown<T>> for PutError<T> {
    fn from(e: ShutDown<T>) -> PutError<T> {
        PutError::ShutDown(e)
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(e) => fmt::Debug::fmt(e, f),
            PutError::ShutDown(e) => fmt::Debug::fmt(e, f),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(e) => fmt::Display::fmt(e, f),
            PutError::ShutDown(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<T> std::error::Error for PutError<T> {}

/// Why a non-blocking or timed get failed: the queue was [`Empty`] or [`ShutDown`] (and
/// empty).
///
/// # Examples
///
/// ```
/// use threading::queue::{Empty, GetError, Queue, ShutDown};
///
/// let q = Queue::<u8>::new(0);
/// assert_eq!(q.get_nowait(), Err(GetError::Empty(Empty)));
/// q.shutdown();
/// assert_eq!(q.get_nowait(), Err(GetError::ShutDown(ShutDown::new())));
/// assert!(q.get_nowait().unwrap_err().is_shutdown());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GetError {
    /// The queue had no item (within the time allowed).
    Empty(Empty),
    /// The queue was shut down and had no item left.
    ShutDown(ShutDown),
}

impl GetError {
    /// Whether the queue was empty (and not shut down).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::queue::Queue;
    ///
    /// assert!(Queue::<u8>::new(0).get_nowait().unwrap_err().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        matches!(self, GetError::Empty(_))
    }

    /// Whether the queue was shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::queue::Queue;
    ///
    /// let q = Queue::<u8>::new(0);
    /// q.shutdown_immediate();
    /// assert!(q.get_nowait().unwrap_err().is_shutdown());
    /// ```
    #[must_use]
    pub fn is_shutdown(&self) -> bool {
        matches!(self, GetError::ShutDown(_))
    }
}

impl From<Empty> for GetError {
    fn from(e: Empty) -> GetError {
        GetError::Empty(e)
    }
}

impl From<ShutDown> for GetError {
    fn from(e: ShutDown) -> GetError {
        GetError::ShutDown(e)
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Empty(e) => fmt::Display::fmt(e, f),
            GetError::ShutDown(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for GetError {}
