//! [`Timer`]: call a function after an interval, on its own thread, unless cancelled first.
//!
//! # Implementation details
//!
//! Exactly CPython's: a [`Thread`] whose target is
//!
//! ```text
//! finished.wait_timeout(interval);
//! if !finished.is_set() { function() }
//! finished.set();
//! ```
//!
//! with `finished` an [`Event`] shared with the handle, and [`cancel`](Timer::cancel) is
//! `finished.set()`. The timer thread sleeps *on the event*, so a cancel wakes it at once; it
//! never sleeps out the interval. The function runs at most once (the target runs once), and
//! never after a cancel that happened before the interval ran out (happened-before in the
//! memory-model sense: the expiry was observed by the timer thread after the cancel's `set`,
//! so the wait returns `true` or the `is_set` check after it sees the flag). A cancel that
//! comes after the check is too late and has no effect, as in Python. The loom model in
//! `tests/loom/timer.rs` checks this on the code below, with the interval's expiry placed at
//! every point.
//!
//! Unlike CPython, `finished` is set even when the function panics (a drop guard), so
//! `finished().is_set()` always means "the timer is done".

use core::ops::Deref;
use std::fmt;
use std::time::Duration;

use alloc::sync::Arc;
use threading_event::Event;
use threading_thread::{StartError, Thread, ThreadBuilder};

/// A thread that calls a function after an interval, unless cancelled: Python's
/// [`threading.Timer`].
///
/// Create it with [`Timer::new`] (or [`Timer::builder`] for a name or daemon flag),
/// [`start`](Timer::start) it, and, while the interval runs, [`cancel`](Timer::cancel) it if
/// the function should not run after all. A `Timer` dereferences to its [`Thread`]:
/// [`join`](Thread::join), [`is_alive`](Thread::is_alive), [`name`](Thread::name),
/// [`daemon`](Thread::daemon) and the rest come from there. Clones are handles to the same
/// timer.
///
/// A panic in the function goes to the [excepthook](threading_thread::excepthook), like any
/// panic that ends a thread, and the timer's joins return `JoinError::Panicked`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::time::Duration;
/// use threading::Timer;
///
/// let fired = Arc::new(AtomicBool::new(false));
/// let f = Arc::clone(&fired);
/// let late = Timer::new(Duration::from_secs(3600), move || f.store(true, Ordering::SeqCst));
/// late.start().unwrap();
/// late.cancel(); // wakes the timer thread at once: no hour-long wait
/// late.join().unwrap();
/// assert!(!fired.load(Ordering::SeqCst));
///
/// let f = Arc::clone(&fired);
/// let soon = Timer::new(Duration::from_millis(1), move || f.store(true, Ordering::SeqCst));
/// soon.start().unwrap();
/// soon.join().unwrap();
/// assert!(fired.load(Ordering::SeqCst));
/// ```
///
/// # Differences from Python
///
/// * The function takes no arguments: what Python passes as `args` and `kwargs`, the closure
///   captures. Its return value is ignored, as in Python.
/// * `finished` is the method [`finished`](Timer::finished), and it is set when the function
///   panics too (in CPython it stays unset then).
/// * A huge interval (beyond what an `Instant` can hold, such as `Duration::MAX`) waits until
///   cancelled, where CPython's timer thread fails with `OverflowError` (TMR-08).
/// * A `Timer` is not a subtype of `Thread` but dereferences to one; [`thread`](Timer::thread)
///   gives the handle itself (to store it with other threads, or compare it with
///   `current_thread()`).
///
/// [`threading.Timer`]: https://docs.python.org/3/library/threading.html#timer-objects
#[derive(Clone)]
pub struct Timer {
    thread: Thread,
    finished: Arc<Event>,
    interval: Duration,
}

/// Sets the event when dropped: when the timer's target ends, also by a panic.
struct SetOnDrop(Arc<Event>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set();
    }
}

impl Timer {
    /// A timer that will call `function` once `interval` has passed after
    /// [`start`](Timer::start): Python's `Timer(interval, function)`.
    ///
    /// Not started yet. Its name is `Thread-N` (from the same counter as threads, without the
    /// target part, as in CPython), its daemon flag the calling thread's. A zero interval fires
    /// at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Timer;
    ///
    /// let t = Timer::new(Duration::from_millis(5), || println!("five milliseconds later"));
    /// assert!(t.name().starts_with("Thread-"));
    /// assert!(!t.is_alive());
    /// ```
    pub fn new(interval: Duration, function: impl FnOnce() + Send + 'static) -> Timer {
        TimerBuilder::new().build(interval, function)
    }

    /// A [`TimerBuilder`], for a timer with a name or a daemon flag.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Timer;
    ///
    /// let t = Timer::builder().name("reminder").daemon(true).build(Duration::ZERO, || ());
    /// assert_eq!((t.name().as_str(), t.daemon()), ("reminder", true));
    /// ```
    pub fn builder() -> TimerBuilder {
        TimerBuilder::new()
    }

    /// Starts the timer's thread; the interval runs from now: Python's `start()`.
    ///
    /// # Errors
    ///
    /// As [`Thread::start`]: a timer can be started once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::{RuntimeErrorKind, Timer};
    ///
    /// let t = Timer::new(Duration::ZERO, || ());
    /// t.start().unwrap();
    /// assert_eq!(t.start().unwrap_err().kind(), RuntimeErrorKind::ThreadStartedTwice);
    /// t.join().unwrap();
    /// ```
    pub fn start(&self) -> Result<(), StartError> {
        self.thread.start()
    }

    /// Stops the timer if it has not fired yet: Python's `cancel()`.
    ///
    /// If the interval is still running, the function will not be called and the timer's
    /// thread ends at once (also before [`start`](Timer::start): the timer will then end as
    /// soon as it starts). After the function has been called it has no effect. It can be
    /// called any number of times.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Timer;
    ///
    /// let t = Timer::new(Duration::from_secs(60), || unreachable!("cancelled"));
    /// t.start().unwrap();
    /// t.cancel();
    /// t.cancel();
    /// assert_eq!(t.join_timeout(Duration::from_secs(30)), Ok(true));
    /// ```
    pub fn cancel(&self) {
        self.finished.set();
    }

    /// The interval the timer waits before calling its function: Python's `interval`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Timer;
    ///
    /// assert_eq!(Timer::new(Duration::from_secs(2), || ()).interval(), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The event that is set when the timer is done, cancelled or fired: Python's `finished`.
    ///
    /// `finished().set()` is [`cancel`](Timer::cancel). Waiting on it waits until the timer
    /// has fired (the function has returned) or been cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Timer;
    ///
    /// let t = Timer::new(Duration::ZERO, || ());
    /// assert!(!t.finished().is_set());
    /// t.start().unwrap();
    /// t.finished().wait();
    /// t.join().unwrap();
    /// ```
    #[must_use]
    pub fn finished(&self) -> &Event {
        &self.finished
    }

    /// The timer's thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::{Thread, Timer};
    ///
    /// let t = Timer::new(Duration::ZERO, || ());
    /// let thread: &Thread = t.thread();
    /// assert_eq!(thread.name(), t.name());
    /// ```
    #[must_use]
    pub fn thread(&self) -> &Thread {
        &self.thread
    }
}

impl Deref for Timer {
    type Target = Thread;

    fn deref(&self) -> &Thread {
        &self.thread
    }
}

impl fmt::Debug for Timer {
    /// Python's `repr`, with the class name: `<Timer(Thread-3, started 9)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let thread = alloc::format!("{:?}", self.thread);
        let rest = thread.strip_prefix("<Thread").unwrap_or(&thread);
        write!(f, "<Timer{rest}")
    }
}

/// How to create a [`Timer`] with a name or a daemon flag.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use threading::Timer;
///
/// let t = Timer::builder().name("tick").build(Duration::from_millis(1), || ());
/// t.start().unwrap();
/// t.join().unwrap();
/// assert_eq!(t.name(), "tick");
/// ```
#[derive(Debug, Clone)]
#[must_use = "a TimerBuilder does nothing until `build`"]
pub struct TimerBuilder {
    thread: ThreadBuilder,
}

impl Default for TimerBuilder {
    fn default() -> TimerBuilder {
        TimerBuilder::new()
    }
}

impl TimerBuilder {
    /// A builder with Python's defaults: name `Thread-N`, the calling thread's daemon flag.
    pub fn new() -> TimerBuilder {
        TimerBuilder { thread: ThreadBuilder::new().no_target_in_name() }
    }

    /// The timer thread's name.
    pub fn name(self, name: impl Into<String>) -> TimerBuilder {
        TimerBuilder { thread: self.thread.name(name) }
    }

    /// Whether the timer thread is a daemon thread.
    pub fn daemon(self, daemon: bool) -> TimerBuilder {
        TimerBuilder { thread: self.thread.daemon(daemon) }
    }

    /// Creates the timer, not started.
    pub fn build(self, interval: Duration, function: impl FnOnce() + Send + 'static) -> Timer {
        let finished = Arc::new(Event::new());
        let done = SetOnDrop(Arc::clone(&finished));
        let thread = self.thread.build(move || {
            // Set when this closure ends, by returning or by a panic in `function`.
            let done = done;
            // The flag is read again below: `wait_timeout`'s result says the same, but CPython
            // checks `is_set()`, and so does the reasoning in the module documentation.
            let _ = done.0.wait_timeout(interval);
            if !done.0.is_set() {
                function();
            }
        });
        Timer { thread: thread.untyped(), finished, interval }
    }
}
