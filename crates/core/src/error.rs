//! Error types named after the Python exceptions they stand for.
//!
//! The primitive crates and the `threading` facade re-export these; name them from there
//! (`threading::RuntimeError`).

use std::fmt;

/// Misuse of a synchronisation primitive: Python's `RuntimeError`.
///
/// [`Display`](fmt::Display) prints exactly the message CPython puts in the exception, so a
/// program being ported can match on the same text; [`RuntimeError::kind`] tells the cases apart
/// without string matching.
///
/// # Examples
///
/// ```
/// use threading::{Lock, RuntimeErrorKind};
///
/// let lock = Lock::new();
/// let err = lock.release().unwrap_err();
/// assert_eq!(err.kind(), RuntimeErrorKind::ReleaseUnlocked);
/// assert_eq!(err.to_string(), "release unlocked lock");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuntimeError {
    kind: RuntimeErrorKind,
}

/// Which misuse a [`RuntimeError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuntimeErrorKind {
    /// `Lock.release()` on an unlocked lock: "release unlocked lock".
    ReleaseUnlocked,
    /// `RLock.release()` (or `_release_save`) by a thread that does not own it:
    /// "cannot release un-acquired lock".
    ReleaseUnowned,
    /// `Condition.wait()` without holding the lock: "cannot wait on un-acquired lock".
    WaitUnacquired,
    /// `Condition.notify()` without holding the lock: "cannot notify on un-acquired lock".
    NotifyUnacquired,
    /// `Thread.start()` called a second time: "threads can only be started once".
    ThreadStartedTwice,
    /// `Thread.start()` could not create the OS thread: "can't start new thread".
    CantStartThread,
    /// `Thread.join()` on the calling thread itself: "cannot join current thread".
    JoinCurrentThread,
    /// `Thread.join()` before `start()`: "cannot join thread before it is started".
    JoinNotStarted,
    /// `join()` of the record of a thread not started by this library:
    /// "cannot join a dummy thread".
    JoinDummyThread,
    /// `Thread.daemon = …` after `start()`: "cannot set daemon status of active thread".
    DaemonOfActiveThread,
    /// `Executor.submit()` after `shutdown()`: "cannot schedule new futures after shutdown".
    ScheduleAfterShutdown,
    /// `Future.set_running_or_notify_cancel()` on a future that is already running or done:
    /// "Future in unexpected state".
    FutureUnexpectedState,
    /// `Executor.submit()` once the program is exiting (after `main` returned):
    /// "cannot schedule new futures after interpreter shutdown".
    ScheduleAfterInterpreterShutdown,
}

impl RuntimeError {
    /// An error of the given kind.
    #[must_use]
    pub const fn new(kind: RuntimeErrorKind) -> RuntimeError {
        RuntimeError { kind }
    }

    /// Which misuse this is.
    #[must_use]
    pub const fn kind(&self) -> RuntimeErrorKind {
        self.kind
    }

    /// CPython's message for this error, e.g. `"release unlocked lock"`.
    #[must_use]
    pub const fn message(&self) -> &'static str {
        match self.kind {
            RuntimeErrorKind::ReleaseUnlocked => "release unlocked lock",
            RuntimeErrorKind::ReleaseUnowned => "cannot release un-acquired lock",
            RuntimeErrorKind::WaitUnacquired => "cannot wait on un-acquired lock",
            RuntimeErrorKind::NotifyUnacquired => "cannot notify on un-acquired lock",
            RuntimeErrorKind::ThreadStartedTwice => "threads can only be started once",
            RuntimeErrorKind::CantStartThread => "can't start new thread",
            RuntimeErrorKind::JoinCurrentThread => "cannot join current thread",
            RuntimeErrorKind::JoinNotStarted => "cannot join thread before it is started",
            RuntimeErrorKind::JoinDummyThread => "cannot join a dummy thread",
            RuntimeErrorKind::DaemonOfActiveThread => "cannot set daemon status of active thread",
            RuntimeErrorKind::ScheduleAfterShutdown => "cannot schedule new futures after shutdown",
            RuntimeErrorKind::FutureUnexpectedState => "Future in unexpected state",
            RuntimeErrorKind::ScheduleAfterInterpreterShutdown => {
                "cannot schedule new futures after interpreter shutdown"
            }
        }
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for RuntimeError {}

/// A bad argument: Python's `ValueError`.
///
/// [`Display`](fmt::Display) prints CPython's message; [`ValueError::kind`] tells the cases
/// apart.
///
/// # Examples
///
/// ```
/// use threading_core::error::{ValueError, ValueErrorKind};
///
/// let err = ValueError::new(ValueErrorKind::SemaphoreReleasedTooManyTimes);
/// assert_eq!(err.to_string(), "Semaphore released too many times");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValueError {
    kind: ValueErrorKind,
}

/// Which bad argument a [`ValueError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueErrorKind {
    /// `BoundedSemaphore.release()` above the initial value:
    /// "Semaphore released too many times".
    SemaphoreReleasedTooManyTimes,
    /// `Semaphore.release(n)` with `n < 1`: "n must be one or more".
    ReleaseCountZero,
    /// `Barrier(parties)` with `parties < 1`: "parties must be > 0".
    BarrierParties,
    /// `threading.stack_size(size)` with `0 < size < 32768`. CPython's message includes the
    /// size ("size not valid: 100 bytes"); this one states the rule instead:
    /// "size not valid: must be 0 or at least 32768 bytes".
    StackSize,
    /// `Queue.task_done()` called more times than items were put:
    /// "task_done() called too many times".
    TaskDoneTooManyTimes,
    /// `ThreadPoolExecutor(max_workers)` with `max_workers < 1`:
    /// "max_workers must be greater than 0".
    MaxWorkers,
}

impl ValueError {
    /// An error of the given kind.
    #[must_use]
    pub const fn new(kind: ValueErrorKind) -> ValueError {
        ValueError { kind }
    }

    /// Which bad argument this is.
    #[must_use]
    pub const fn kind(&self) -> ValueErrorKind {
        self.kind
    }

    /// CPython's message for this error.
    #[must_use]
    pub const fn message(&self) -> &'static str {
        match self.kind {
            ValueErrorKind::SemaphoreReleasedTooManyTimes => "Semaphore released too many times",
            ValueErrorKind::ReleaseCountZero => "n must be one or more",
            ValueErrorKind::BarrierParties => "parties must be > 0",
            ValueErrorKind::StackSize => "size not valid: must be 0 or at least 32768 bytes",
            ValueErrorKind::TaskDoneTooManyTimes => "task_done() called too many times",
            ValueErrorKind::MaxWorkers => "max_workers must be greater than 0",
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ValueError {}
