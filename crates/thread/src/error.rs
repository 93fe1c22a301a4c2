//! [`StartError`] and [`JoinError`]: why `start` or `join` failed.

use std::fmt;
use std::io;

use alloc::sync::Arc;
use threading_core::error::{RuntimeError, RuntimeErrorKind};

/// [`Thread::start`](crate::Thread::start) failed: Python's `RuntimeError` from `start()`.
///
/// Two cases, told apart by [`kind`](StartError::kind):
///
/// * [`RuntimeErrorKind::ThreadStartedTwice`], "threads can only be started once": the thread
///   was started before (it may have finished since);
/// * [`RuntimeErrorKind::CantStartThread`], "can't start new thread": the operating system
///   refused to create the thread (too many threads, not enough memory for the stack, …). The
///   OS error is kept: [`io_error`](StartError::io_error), and
///   [`source`](std::error::Error::source). The thread is left unstarted, so `start` may be
///   tried again.
///
/// [`Display`](fmt::Display) prints CPython's message.
///
/// # Examples
///
/// ```
/// use threading::{RuntimeErrorKind, Thread};
///
/// let t = Thread::new(|| ());
/// t.start().unwrap();
/// let err = t.start().unwrap_err();
/// assert_eq!(err.kind(), RuntimeErrorKind::ThreadStartedTwice);
/// assert_eq!(err.to_string(), "threads can only be started once");
/// assert!(err.io_error().is_none());
/// t.join().unwrap();
/// ```
#[derive(Debug)]
pub struct StartError {
    kind: RuntimeErrorKind,
    io: Option<io::Error>,
}

impl StartError {
    /// "threads can only be started once".
    pub(crate) fn started_twice() -> StartError {
        StartError { kind: RuntimeErrorKind::ThreadStartedTwice, io: None }
    }

    /// "can't start new thread", because of `io`.
    pub(crate) fn spawn(io: io::Error) -> StartError {
        StartError { kind: RuntimeErrorKind::CantStartThread, io: Some(io) }
    }

    /// Which failure this is: [`RuntimeErrorKind::ThreadStartedTwice`] or
    /// [`RuntimeErrorKind::CantStartThread`].
    #[must_use]
    pub fn kind(&self) -> RuntimeErrorKind {
        self.kind
    }

    /// The Python exception this stands for, as the shared [`RuntimeError`].
    #[must_use]
    pub fn runtime_error(&self) -> RuntimeError {
        RuntimeError::new(self.kind)
    }

    /// The operating system's error, for [`RuntimeErrorKind::CantStartThread`].
    #[must_use]
    pub fn io_error(&self) -> Option<&io::Error> {
        self.io.as_ref()
    }

    /// The kind of the operating system's error, for [`RuntimeErrorKind::CantStartThread`].
    #[must_use]
    pub fn io_error_kind(&self) -> Option<io::ErrorKind> {
        self.io.as_ref().map(io::Error::kind)
    }

    /// The operating system's error, by value.
    #[must_use]
    pub fn into_io_error(self) -> Option<io::Error> {
        self.io
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.runtime_error().message())
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.io.as_ref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<StartError> for RuntimeError {
    fn from(e: StartError) -> RuntimeError {
        e.runtime_error()
    }
}

/// [`Thread::join`](crate::Thread::join) (or a timed join, or
/// [`join_output`](crate::Thread::join_output)) failed.
///
/// # Examples
///
/// ```
/// use threading::{JoinError, RuntimeErrorKind, Thread, current_thread};
///
/// let err = current_thread().join().unwrap_err();
/// assert_eq!(err.runtime_error().unwrap().kind(), RuntimeErrorKind::JoinCurrentThread);
/// assert_eq!(err.to_string(), "cannot join current thread");
///
/// let t = Thread::builder().name("boom").build(|| panic!("no luck"));
/// # threading::set_excepthook(|_| {}); // keep the doctest's stderr quiet
/// t.start().unwrap();
/// assert_eq!(t.join(), Err(JoinError::Panicked("no luck".into())));
/// assert_eq!(t.join().unwrap_err().panic_message(), Some("no luck"));
/// ```
///
/// # Differences from Python
///
/// Python's `join()` returns normally after the thread's exception went to
/// `threading.excepthook`. Here the exception (the panic) still goes to the
/// [`excepthook`](crate::excepthook) first, and then *every* join of that thread returns
/// [`JoinError::Panicked`], so a joiner cannot mistake a failed thread for a finished one.
/// Use `let _ = t.join();` for Python's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    /// Python's `RuntimeError`: the thread was never started
    /// ([`RuntimeErrorKind::JoinNotStarted`]), it is the calling thread
    /// ([`RuntimeErrorKind::JoinCurrentThread`]), or it is the record of a thread this library
    /// did not start ([`RuntimeErrorKind::JoinDummyThread`]).
    Runtime(RuntimeError),
    /// The target panicked, with this message (the panic payload as text). The thread has
    /// finished.
    Panicked(Arc<str>),
    /// [`join_output`](crate::Thread::join_output) only: the thread finished, but its output is
    /// not available to this handle. Another handle took it already, or this handle is a
    /// `Thread<()>` for a thread whose target returns something else (as
    /// [`current_thread`](crate::current_thread) and [`enumerate`](crate::enumerate) return),
    /// or the thread ended the process from its target (`std::process::exit`).
    NoOutput,
}

impl JoinError {
    /// The `RuntimeError`, for [`JoinError::Runtime`].
    #[must_use]
    pub fn runtime_error(&self) -> Option<RuntimeError> {
        match self {
            JoinError::Runtime(e) => Some(*e),
            _ => None,
        }
    }

    /// The panic message, for [`JoinError::Panicked`].
    #[must_use]
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            JoinError::Panicked(m) => Some(m),
            _ => None,
        }
    }

    /// Whether the target panicked.
    #[must_use]
    pub fn is_panicked(&self) -> bool {
        matches!(self, JoinError::Panicked(_))
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Runtime(e) => fmt::Display::fmt(e, f),
            JoinError::Panicked(m) => write!(f, "the thread panicked: {m}"),
            JoinError::NoOutput => {
                f.write_str("the thread's output is not available to this handle")
            }
        }
    }
}

impl std::error::Error for JoinError {}

impl From<RuntimeError> for JoinError {
    fn from(e: RuntimeError) -> JoinError {
        JoinError::Runtime(e)
    }
}
