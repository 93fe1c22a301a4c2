//! [`SimpleQueue`]: Python's unbounded FIFO queue without task accounting or shutdown, on the
//! same engine as the other queues.

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::time::Duration;

use threading_core::time::Instant;

use crate::engine::{Inner, Wait};
use crate::error::{Empty, GetError};
use crate::storage::Fifo;

/// An unbounded first-in, first-out queue for any number of threads: Python's
/// [`queue.SimpleQueue`].
///
/// The simple sibling of [`Queue`](crate::Queue): [`put`](SimpleQueue::put) never blocks and
/// never fails, and there is no `maxsize`, no task accounting (`task_done`/`join`) and no
/// shutdown. Use it to hand values from threads to threads when nothing else is needed.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use threading::SimpleQueue;
///
/// let results = Arc::new(SimpleQueue::new());
/// let handles: Vec<_> = (0..4)
///     .map(|i| {
///         let results = Arc::clone(&results);
///         thread::spawn(move || results.put(i * i))
///     })
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// let mut squares: Vec<i32> = (0..4).map(|_| results.get()).collect();
/// squares.sort();
/// assert_eq!(squares, [0, 1, 4, 9]);
/// ```
///
/// # Differences from Python
///
/// * `put(item, block=True, timeout=None)` ignores its arguments in Python; here
///   [`put`](SimpleQueue::put) has none. [`put_nowait`](SimpleQueue::put_nowait) is kept for
///   symmetry and does the same.
/// * `get(block, timeout)` is the family [`get`](SimpleQueue::get) (which cannot fail: there is
///   no shutdown, so it returns `T`), [`get_nowait`](SimpleQueue::get_nowait),
///   [`get_timeout`](SimpleQueue::get_timeout) and [`get_deadline`](SimpleQueue::get_deadline),
///   which return `Result<T, Empty>`. A negative timeout (Python's `ValueError`, Q-25) cannot
///   be expressed; a timeout too large to represent waits forever.
/// * CPython's C `SimpleQueue` is reentrant (a `put` from a destructor or signal handler
///   works); this one takes an internal lock for a few instructions, like the other queues.
///
/// [`queue.SimpleQueue`]: https://docs.python.org/3/library/queue.html#queue.SimpleQueue
pub struct SimpleQueue<T> {
    inner: Inner<Fifo<T>>,
}

impl<T> SimpleQueue<T> {
    threading_core::const_fn! {
        /// Creates an empty queue: Python's `SimpleQueue()`.
        ///
        /// `const`, so a `SimpleQueue` can live in a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use threading::SimpleQueue;
        ///
        /// static LOG: SimpleQueue<&str> = SimpleQueue::new();
        /// LOG.put("started");
        /// assert_eq!(LOG.get(), "started");
        /// ```
        pub fn new() -> SimpleQueue<T> {
            SimpleQueue { inner: Inner::new(Fifo::new(), 0) }
        }
    }

    /// Adds `item` at the end of the queue: Python's `put(item)`. Never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::SimpleQueue;
    ///
    /// let q = SimpleQueue::new();
    /// q.put(1);
    /// q.put(2);
    /// assert_eq!(q.qsize(), 2);
    /// ```
    #[inline]
    pub fn put(&self, item: T) {
        // maxsize is 0 and the queue is never shut down, so this never waits and never fails
        // (`Wait::Until(None)` rather than `Wait::No` only because it compiles to the same
        // fast path as `Queue::put`, measurably faster here).
        match self.inner.put(item, Wait::Until(None), false) {
            Ok(()) => {}
            Err(_) => unreachable!("a SimpleQueue always has room"),
        }
    }

    /// The same as [`put`](SimpleQueue::put): Python's `put_nowait(item)`, kept for
    /// compatibility with [`Queue`](crate::Queue).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::SimpleQueue;
    ///
    /// let q = SimpleQueue::new();
    /// q.put_nowait("x");
    /// assert_eq!(q.get(), "x");
    /// ```
    #[inline]
    pub fn put_nowait(&self, item: T) {
        self.put(item);
    }

    /// Removes and returns the first item, waiting as long as it takes for one: Python's
    /// `get()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::thread;
    /// use threading::SimpleQueue;
    ///
    /// let q = Arc::new(SimpleQueue::new());
    /// let q2 = Arc::clone(&q);
    /// let consumer = thread::spawn(move || q2.get()); // waits for the put
    /// q.put("hello");
    /// assert_eq!(consumer.join().unwrap(), "hello");
    /// ```
    #[inline]
    pub fn get(&self) -> T {
        match self.inner.get(Wait::Until(None)) {
            Ok(item) => item,
            Err(_) => unreachable!(
                "a SimpleQueue is never shut down and a get without deadline cannot time out"
            ),
        }
    }

    /// Removes and returns the first item if there is one right now: Python's
    /// `get_nowait()` (or `get(block=False)`).
    ///
    /// # Errors
    ///
    /// [`Empty`] if the queue is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Empty, SimpleQueue};
    ///
    /// let q = SimpleQueue::new();
    /// assert_eq!(q.get_nowait(), Err(Empty));
    /// q.put(3);
    /// assert_eq!(q.get_nowait(), Ok(3));
    /// ```
    #[inline]
    pub fn get_nowait(&self) -> Result<T, Empty> {
        self.get_with(Wait::No)
    }

    /// Removes and returns the first item, waiting at most `timeout` for one: Python's
    /// `get(timeout=t)`.
    ///
    /// A zero timeout is a single try; a timeout too large to represent waits forever.
    ///
    /// # Errors
    ///
    /// [`Empty`] if no item came in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::{Empty, SimpleQueue};
    ///
    /// let q = SimpleQueue::<u8>::new();
    /// assert_eq!(q.get_timeout(Duration::from_millis(10)), Err(Empty));
    /// ```
    #[inline]
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, Empty> {
        self.get_with(Wait::timeout(timeout))
    }

    /// Removes and returns the first item, waiting until `deadline` at the latest.
    ///
    /// A deadline in the past is a single try.
    ///
    /// # Errors
    ///
    /// [`Empty`] if no item came in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::SimpleQueue;
    ///
    /// let q = SimpleQueue::new();
    /// q.put('a');
    /// assert_eq!(q.get_deadline(Instant::now() + Duration::from_millis(10)), Ok('a'));
    /// ```
    #[inline]
    pub fn get_deadline(&self, deadline: Instant) -> Result<T, Empty> {
        self.get_with(Wait::Until(Some(deadline)))
    }

    /// The number of items in the queue: Python's `qsize()`.
    ///
    /// The answer may be out of date as soon as it is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::SimpleQueue;
    ///
    /// let q = SimpleQueue::new();
    /// q.put(());
    /// assert_eq!(q.qsize(), 1);
    /// ```
    #[must_use]
    pub fn qsize(&self) -> usize {
        self.inner.len()
    }

    /// Whether the queue holds no item: Python's `empty()`.
    ///
    /// The answer may be out of date as soon as it is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::SimpleQueue;
    ///
    /// let q = SimpleQueue::new();
    /// assert!(q.empty());
    /// q.put(1);
    /// assert!(!q.empty());
    /// ```
    #[must_use]
    pub fn empty(&self) -> bool {
        self.inner.len() == 0
    }

    #[inline]
    fn get_with(&self, wait: Wait) -> Result<T, Empty> {
        self.inner.get(wait).map_err(|e| match e {
            GetError::Empty(e) => e,
            GetError::ShutDown(_) => unreachable!("a SimpleQueue is never shut down"),
        })
    }
}

impl<T> Default for SimpleQueue<T> {
    /// An empty queue.
    fn default() -> SimpleQueue<T> {
        SimpleQueue::new()
    }
}

impl<T> fmt::Debug for SimpleQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleQueue").field("qsize", &self.qsize()).finish_non_exhaustive()
    }
}

// No poisoning: nothing user-defined runs under the internal lock.
impl<T: UnwindSafe> UnwindSafe for SimpleQueue<T> {}
impl<T: UnwindSafe> RefUnwindSafe for SimpleQueue<T> {}
