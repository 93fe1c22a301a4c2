//! [`Thread`]: Python's `threading.Thread`, a handle to a thread object that is created, then
//! started, then joined any number of times.
//!
//! # Implementation details
//!
//! A [`Thread`] is an `Arc` of one record ([`Inner`]) shared by every clone of the handle, by
//! the running thread itself (its bootstrap holds a reference until the target has returned),
//! by the registry while the thread is alive, and by the thread-local that makes
//! [`current_thread`](crate::current_thread) cheap. The record holds:
//!
//! | field | written by | read by |
//! |---|---|---|
//! | `state`: phase (2 bits) + `DAEMON` | `start`, the bootstrap, `set_daemon`, the registry | `start`, `join`, the registry |
//! | `ident`, `native_id` | `start` (ident, from the spawn handle), the bootstrap (both) | getters |
//! | `started`, `finished`: two [`Event`]s | the bootstrap | `native_id`, the joins |
//! | `data`: name, target, outcome, behind a lock | `set_name`, `start`, the bootstrap | getters, joins |
//!
//! The phases are `INITIAL → STARTING → RUNNING → FINISHED`, one atomic byte with the daemon
//! flag next to them, so `set_daemon` and `start` cannot interleave: `set_daemon` changes the
//! flag with a compare-exchange that requires `INITIAL`, and `start` leaves `INITIAL` with a
//! compare-exchange too, so of the two racing calls exactly one sees the other's result, and a
//! second `start` sees a phase other than `INITIAL` and fails with "threads can only be started
//! once". A failed OS spawn puts the phase back to `INITIAL` (the target is still in `data`, not
//! moved into the spawn closure), so `start` can be tried again, as in Python.
//!
//! `start` does **not** wait for the new thread to run, unlike CPython (which waits on an
//! `Event` for the new thread to publish its ident). The spawn already tells the parent the
//! child's ident ([`threading_core::thread::JoinHandle::id`]), so `start` stores it, puts the
//! thread in the registry and sets `RUNNING` itself; the child does the same things when it
//! starts, and whichever comes second changes nothing. That saves a wake-up round trip per
//! thread (a start + join costs about what `std::thread::spawn` + `join` costs). Only the OS
//! thread id must come from the child; [`Thread::native_id`] waits for the `started` event in
//! the rare case it is asked before the child has stored it.
//!
//! The end of a thread is ordered so that a join never sees a half-finished thread: the
//! bootstrap stores the outcome (under the `data` lock), then, with the registry locked,
//! removes the thread from the registry and sets `FINISHED`, and only then sets `finished`.
//! `is_alive()` is "started, and `finished` not set": not the phase, which changes a moment
//! earlier, since a thread that is not alive must be one whose joins all return at once (the
//! `join_timeout` loom model found that gap). Once `finished` is seen set (by a join or by
//! `is_alive`; `Event` gives acquire semantics to both), the removal from the registry and the
//! outcome are visible too, so `enumerate()` no longer lists the thread. The registry insert
//! checks the phase under the registry lock, so a late insert by `start` (racing a child that
//! has already finished) never resurrects a finished thread. The loom models in
//! `tests/loom/thread.rs` check these orderings on this code.
//!
//! The target runs inside `catch_unwind`. A panic is reported to the
//! [excepthook](crate::excepthook) on the dying thread, before the thread counts as finished
//! (Python calls `threading.excepthook` from the thread too), and recorded as the outcome, so
//! each join returns [`JoinError::Panicked`].

use std::any::{Any, type_name};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use threading_core::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use threading_core::error::{RuntimeError, RuntimeErrorKind};
use threading_core::thread as core_thread;
use threading_core::time::{self, Instant};
use threading_event::Event;

use crate::error::{JoinError, StartError};
use crate::excepthook::{self, ExceptHookArgs};
use crate::guarded::Guarded;
use crate::{registry, shutdown};

/// Phase: created, not started.
pub(crate) const INITIAL: u8 = 0;
/// Phase: `start` is creating the OS thread.
pub(crate) const STARTING: u8 = 1;
/// Phase: started and not finished (`is_alive()`).
pub(crate) const RUNNING: u8 = 2;
/// Phase: the target has returned or panicked, or the thread exited the process.
pub(crate) const FINISHED: u8 = 3;
/// The phase bits of `Inner::state`.
pub(crate) const PHASE: u8 = 0b011;
/// The daemon flag in `Inner::state`.
pub(crate) const DAEMON: u8 = 0b100;

/// The work a [`Thread`] runs: Python's `Thread.run()`.
///
/// Python has two ways to give a thread its work: pass `target=` to the constructor, or
/// subclass `Thread` and override `run()`. Here both are this trait. Every
/// `FnOnce() -> T + Send + 'static` closure or function is a `Run` (the `target=` form), and a
/// type of yours can implement it (the subclass form): its fields are the subclass's
/// attributes, `run` consumes them.
///
/// `run` is called once, on the new thread. Calling it directly, as Python's `t.run()` allows,
/// runs it on the calling thread; it consumes `self`, so a second call is a compile error where
/// Python raises `AttributeError` (THR-17).
///
/// # Examples
///
/// ```
/// use threading::{Run, Thread};
///
/// /// A worker with state, like a `Thread` subclass.
/// struct Summer {
///     numbers: Vec<u64>,
/// }
///
/// impl Run for Summer {
///     type Output = u64;
///     fn run(self) -> u64 {
///         self.numbers.iter().sum()
///     }
/// }
///
/// let t = Thread::new(Summer { numbers: vec![1, 2, 3] });
/// assert!(t.name().ends_with("(Summer)"));
/// t.start().unwrap();
/// assert_eq!(t.join_output().unwrap(), 6);
///
/// let f = Thread::new(|| "a closure");
/// f.start().unwrap();
/// assert_eq!(f.join_output().unwrap(), "a closure");
/// ```
pub trait Run: Send + 'static {
    /// What the thread returns: [`Thread::join_output`] gives it back.
    type Output: Send + 'static;

    /// The thread's work.
    fn run(self) -> Self::Output;
}

impl<F, T> Run for F
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    type Output = T;

    fn run(self) -> T {
        self()
    }
}

/// A target, boxed and type-erased: returns its output as `Box<dyn Any>`.
pub(crate) type Target = Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>;

/// What kind of thread a record stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Created by [`Thread::new`] / [`ThreadBuilder`].
    Thread,
    /// The process's main thread (`MainThread`).
    Main,
    /// A thread this library did not start, seen by `current_thread()` (`Dummy-N`).
    Dummy,
}

/// How a started thread ended.
pub(crate) enum Outcome {
    /// Not finished (or never started).
    Pending,
    /// The target returned this (`None` once taken by `join_output`).
    Returned(Option<Box<dyn Any + Send>>),
    /// The target panicked with this message.
    Panicked(Arc<str>),
    /// The thread called `std::process::exit`; its target never returned.
    Exited,
}

/// The mutable parts of a record, behind its lock.
pub(crate) struct Data {
    /// `Thread.name`.
    pub(crate) name: String,
    /// The target until the bootstrap takes it.
    target: Option<Target>,
    /// Set by the bootstrap before `finished`.
    pub(crate) outcome: Outcome,
}

/// The record behind a [`Thread`] handle: Python's `Thread` object.
pub(crate) struct Inner {
    pub(crate) kind: Kind,
    /// Phase (`PHASE` bits) and `DAEMON`.
    pub(crate) state: AtomicU8,
    /// `Thread.ident`; 0 until known.
    pub(crate) ident: AtomicUsize,
    /// `Thread.native_id`; 0 until known.
    pub(crate) native_id: AtomicU64,
    /// Set by the thread itself once `native_id` is stored.
    pub(crate) started: Event,
    /// Set once the thread has finished (after the phase is `FINISHED`).
    pub(crate) finished: Event,
    /// The stack size asked for in the builder.
    stack_size: Option<usize>,
    pub(crate) data: Guarded<Data>,
}

impl Inner {
    /// A record of `kind` with the given name and state, counted in `registry::LIVE`.
    pub(crate) fn new(
        kind: Kind,
        name: String,
        state: u8,
        target: Option<Target>,
        stack_size: Option<usize>,
    ) -> Inner {
        registry::LIVE.increment();
        Inner {
            kind,
            state: AtomicU8::new(state),
            ident: AtomicUsize::new(0),
            native_id: AtomicU64::new(0),
            started: Event::new(),
            finished: Event::new(),
            stack_size,
            data: Guarded::new(Data { name, target, outcome: Outcome::Pending }),
        }
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> u8 {
        self.state.load(Ordering::Acquire) & PHASE
    }

    /// Started and `finished` not set yet. (Not "phase is `RUNNING`": the phase becomes
    /// `FINISHED` a moment before `finished` is set, and a thread that is not alive must be one
    /// that every join returns for at once.)
    pub(crate) fn is_alive(&self) -> bool {
        matches!(self.phase(), RUNNING | FINISHED) && !self.finished.is_set()
    }

    /// Whether the daemon flag is set.
    pub(crate) fn daemon(&self) -> bool {
        self.state.load(Ordering::Acquire) & DAEMON != 0
    }

    /// Changes the phase to `to` (keeping the daemon flag); call with the registry locked when
    /// `to` is `RUNNING` or `FINISHED`.
    pub(crate) fn set_phase(&self, to: u8) {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            match self.state.compare_exchange_weak(
                s,
                (s & !PHASE) | to,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => s = now,
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        registry::LIVE.decrement();
    }
}

/// A thread object: Python's [`threading.Thread`].
///
/// A `Thread` is a cheap, cloneable handle (an `Arc` inside) to one thread object, which goes
/// through Python's life cycle:
///
/// 1. **created** by [`Thread::new`] or [`Thread::builder`], with its target (see [`Run`]), a
///    name, a daemon flag and optionally a stack size; nothing runs yet;
/// 2. **started** once by [`start`](Thread::start); [`is_alive`](Thread::is_alive) is true until
///    the target returns or panics;
/// 3. **joined**, by any number of threads, any number of times, with
///    [`join`](Thread::join), [`join_timeout`](Thread::join_timeout) or
///    [`join_deadline`](Thread::join_deadline); [`join_output`](Thread::join_output) also takes the
///    target's return value.
///
/// The type parameter `T` is what the target returns (`()` by default).
/// [`current_thread`](crate::current_thread) and [`enumerate`](crate::enumerate) return plain
/// `Thread`s (`Thread<()>`); [`untyped`](Thread::untyped) turns any handle into one. Equality is
/// identity, like Python's `is`: two handles are equal when they are the same thread object,
/// whatever their `T`.
///
/// # Examples
///
/// ```
/// use threading::{Thread, current_thread};
///
/// let t = Thread::builder().name("worker").build(|| current_thread().name());
/// assert!(!t.is_alive());
/// assert!(t.ident().is_none());
/// t.start().unwrap();
/// assert!(t.ident().is_some());
/// assert_eq!(t.join_output().unwrap(), "worker");
/// ```
///
/// # Daemon threads and the end of the program
///
/// As in Python, a program does not end while a non-daemon thread it started through this
/// crate is alive: when `main` returns (or `std::process::exit` is called), an at-exit hook
/// registered by the first non-daemon [`start`](Thread::start) joins every such thread first.
/// Daemon threads are not waited for; they die with the process. The daemon flag defaults to
/// the creating thread's: `false` for threads created by the main thread, `true` for threads
/// created by a daemon thread, or by a thread this crate did not start (such as a test
/// harness's threads, or `std::thread::spawn`), as in Python.
///
/// The hook does not run when the process ends without running `atexit` handlers:
/// `std::process::abort`, a fatal signal, `libc::_exit`, an abort on panic. If a non-daemon
/// thread itself calls `std::process::exit`, the hook runs on that thread: it counts that
/// thread as finished (its joins return `Ok`, [`join_output`](Thread::join_output) gives
/// [`JoinError::NoOutput`]) so that a thread joining it does not deadlock the exit, and waits
/// for the other non-daemon threads.
///
/// # Differences from Python
///
/// * Flag arguments are methods: `join(timeout)` is [`join_timeout`](Thread::join_timeout),
///   returning whether the thread has finished (Python returns `None` and leaves the question
///   to `is_alive()`). A huge timeout (beyond what an `Instant` can hold, e.g.
///   [`TIMEOUT_MAX`](crate::TIMEOUT_MAX)) waits forever, where Python raises `OverflowError`.
/// * A panicking target makes every join return [`JoinError::Panicked`] (after the
///   [excepthook](crate::excepthook) has reported it), where Python's `join()` returns normally.
/// * `start()` returns once the OS thread exists, not once it runs; everything Python
///   guarantees after `start()` still holds (`ident`, `is_alive()`, `enumerate()`), and
///   [`native_id`](Thread::native_id) waits briefly if the thread has not stored it yet.
/// * `name`, `daemon` and `ident` are methods; the deprecated camelCase aliases (`getName`,
///   `setDaemon`, …) are not provided. `args`/`kwargs` are whatever the closure captures.
/// * `group` does not exist; [`ThreadBuilder::stack_size`] sets one thread's stack size (Python only
///   has the process-wide [`stack_size`](crate::stack_size), which is honoured too).
///
/// [`threading.Thread`]: https://docs.python.org/3/library/threading.html#thread-objects
pub struct Thread<T = ()> {
    inner: Arc<Inner>,
    _output: PhantomData<fn() -> T>,
}

impl Thread {
    /// A [`ThreadBuilder`] for a thread with a name, daemon flag or stack size.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Thread;
    ///
    /// let t = Thread::builder().name("io").daemon(true).build(|| 1 + 1);
    /// assert_eq!(t.name(), "io");
    /// assert!(t.daemon());
    /// t.start().unwrap();
    /// assert_eq!(t.join_output().unwrap(), 2);
    /// ```
    pub fn builder() -> ThreadBuilder {
        ThreadBuilder::new()
    }

    /// A handle to an existing record.
    pub(crate) fn from_inner(inner: Arc<Inner>) -> Thread {
        Thread { inner, _output: PhantomData }
    }
}

impl<T: Send + 'static> Thread<T> {
    /// Creates a thread object that will run `target`; it is not started: Python's
    /// `Thread(target=f)`.
    ///
    /// The name is `Thread-N (target)`, with N from the process-wide counter that Python uses
    /// (THR-01) and the target's name taken from its type: a function's name, `<closure>` for a
    /// closure, the type's name for a [`Run`] type of yours. The daemon flag is the calling
    /// thread's.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Thread;
    ///
    /// fn work() -> u32 {
    ///     7
    /// }
    /// let t = Thread::new(work);
    /// assert!(t.name().starts_with("Thread-") && t.name().ends_with(" (work)"));
    /// t.start().unwrap();
    /// assert_eq!(t.join_output().unwrap(), 7);
    /// ```
    pub fn new<R: Run<Output = T>>(target: R) -> Thread<T> {
        ThreadBuilder::new().build(target)
    }
}

impl<T> Thread<T> {
    /// Starts the thread: Python's `start()`.
    ///
    /// Creates the OS thread, which runs the target. Call it once: a thread cannot be started
    /// twice, even after it has finished. When it returns `Ok`, the thread has an
    /// [`ident`](Thread::ident), counts as [alive](Thread::is_alive) until its target ends, and
    /// is listed by [`enumerate`](crate::enumerate).
    ///
    /// # Errors
    ///
    /// [`StartError`] with kind [`ThreadStartedTwice`](RuntimeErrorKind::ThreadStartedTwice)
    /// ("threads can only be started once") if it was started before, or
    /// [`CantStartThread`](RuntimeErrorKind::CantStartThread) ("can't start new thread", with
    /// the OS error) if the OS could not create it; the thread can then be started again.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{RuntimeErrorKind, Thread};
    ///
    /// let t = Thread::new(|| ());
    /// t.start().unwrap();
    /// assert_eq!(t.start().unwrap_err().kind(), RuntimeErrorKind::ThreadStartedTwice);
    /// t.join().unwrap();
    /// ```
    pub fn start(&self) -> Result<(), StartError> {
        let inner = &self.inner;
        let mut s = inner.state.load(Ordering::Relaxed);
        loop {
            if s & PHASE != INITIAL || inner.kind != Kind::Thread {
                return Err(StartError::started_twice());
            }
            match inner.state.compare_exchange_weak(
                s,
                (s & !PHASE) | STARTING,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        threading_core::process::install_panic_filter(excepthook::panic_filter);
        if s & DAEMON == 0 {
            shutdown::register();
        }
        let builder = core_thread::Builder {
            name: Some(inner.data.with(|d| os_thread_name(&d.name))),
            stack_size: inner.stack_size.or_else(|| {
                match registry::STACK_SIZE.load(Ordering::Relaxed) {
                    0 => None,
                    n => Some(n),
                }
            }),
        };
        let child = Arc::clone(inner);
        match core_thread::spawn(builder, move || bootstrap(child)) {
            Ok(handle) => {
                inner.ident.store(handle.id(), Ordering::Release);
                registry::insert(inner);
                // Dropping the handle detaches the OS thread: joins wait for `finished`.
                drop(handle);
                Ok(())
            }
            Err(e) => {
                // Nothing ran: the target is still in `data`; the thread may be started again.
                inner.state.store(s & !PHASE, Ordering::Release);
                Err(StartError::spawn(e))
            }
        }
    }

    /// Waits until the thread has finished: Python's `join()`.
    ///
    /// Any number of threads may join the same thread, any number of times; once the thread
    /// has finished, `join` returns at once. After `join` has returned `Ok` or
    /// [`JoinError::Panicked`], [`is_alive`](Thread::is_alive) is false and
    /// [`enumerate`](crate::enumerate) no longer lists the thread.
    ///
    /// # Errors
    ///
    /// * [`JoinError::Runtime`] with [`JoinNotStarted`](RuntimeErrorKind::JoinNotStarted) if the
    ///   thread has not been started, [`JoinCurrentThread`](RuntimeErrorKind::JoinCurrentThread)
    ///   if it is the calling thread, [`JoinDummyThread`](RuntimeErrorKind::JoinDummyThread) if
    ///   it stands for a thread this library did not start (Python's `RuntimeError`s);
    /// * [`JoinError::Panicked`] if the target panicked (beyond Python).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use threading::{Event, Thread};
    ///
    /// let go = Arc::new(Event::new());
    /// let g = Arc::clone(&go);
    /// let t = Thread::new(move || g.wait());
    /// t.start().unwrap();
    /// let joiners: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let t = t.clone();
    ///         Thread::new(move || t.join().unwrap())
    ///     })
    ///     .collect();
    /// for j in &joiners {
    ///     j.start().unwrap();
    /// }
    /// go.set();
    /// for j in &joiners {
    ///     j.join().unwrap();
    /// }
    /// t.join().unwrap(); // again: returns at once
    /// assert!(!t.is_alive());
    /// ```
    pub fn join(&self) -> Result<(), JoinError> {
        self.check_joinable()?;
        self.inner.finished.wait();
        self.finished_outcome()
    }

    /// Waits at most `timeout` for the thread to finish: Python's `join(timeout)`.
    ///
    /// Returns `Ok(true)` if the thread has finished, `Ok(false)` if it is still running when
    /// the time is up. A zero timeout only looks; a timeout too large to represent as a deadline
    /// (such as [`TIMEOUT_MAX`](crate::TIMEOUT_MAX)) waits forever.
    ///
    /// # Errors
    ///
    /// As [`join`](Thread::join).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use threading::{Event, Thread};
    ///
    /// let go = Arc::new(Event::new());
    /// let g = Arc::clone(&go);
    /// let t = Thread::new(move || g.wait());
    /// t.start().unwrap();
    /// assert_eq!(t.join_timeout(Duration::from_millis(10)), Ok(false));
    /// assert!(t.is_alive());
    /// go.set();
    /// assert_eq!(t.join_timeout(Duration::from_secs(60)), Ok(true));
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> Result<bool, JoinError> {
        match time::deadline_after(timeout) {
            Some(deadline) => self.join_deadline(deadline),
            None => self.join().map(|()| true),
        }
    }

    /// Waits until `deadline` at most for the thread to finish; like
    /// [`join_timeout`](Thread::join_timeout) with a deadline, for loops that share one time
    /// budget.
    ///
    /// # Errors
    ///
    /// As [`join`](Thread::join).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Thread;
    ///
    /// let t = Thread::new(|| ());
    /// t.start().unwrap();
    /// assert_eq!(t.join_deadline(Instant::now() + Duration::from_secs(60)), Ok(true));
    /// ```
    pub fn join_deadline(&self, deadline: Instant) -> Result<bool, JoinError> {
        self.check_joinable()?;
        if !self.inner.finished.wait_deadline(deadline) {
            return Ok(false);
        }
        self.finished_outcome().map(|()| true)
    }

    /// Joins the thread and takes what its target returned (beyond Python).
    ///
    /// The output can be taken once: the handle is consumed, and a second `join_output` through
    /// another clone returns [`JoinError::NoOutput`].
    ///
    /// # Errors
    ///
    /// As [`join`](Thread::join), plus [`JoinError::NoOutput`] when the output is not available
    /// to this handle (see there).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{JoinError, Thread};
    ///
    /// let t = Thread::new(|| vec![1, 2, 3]);
    /// let other = t.clone();
    /// t.start().unwrap();
    /// assert_eq!(t.join_output().unwrap(), [1, 2, 3]);
    /// assert_eq!(other.join_output(), Err(JoinError::NoOutput));
    /// ```
    pub fn join_output(self) -> Result<T, JoinError>
    where
        T: 'static,
    {
        self.join()?;
        let output = self.inner.data.with(|d| match &mut d.outcome {
            Outcome::Returned(slot) if slot.as_ref().is_some_and(|b| b.is::<T>()) => slot.take(),
            _ => None,
        });
        match output.map(|b| b.downcast::<T>()) {
            Some(Ok(value)) => Ok(*value),
            _ => Err(JoinError::NoOutput),
        }
    }

    /// Whether the thread is running: Python's `is_alive()`.
    ///
    /// `false` before [`start`](Thread::start), `true` from `start` until the target returns
    /// or panics, `false` afterwards. The main thread counts as alive until the program's end;
    /// the record of a thread this library did not start, until that thread exits.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Thread, current_thread};
    ///
    /// let t = Thread::new(|| ());
    /// assert!(!t.is_alive());
    /// t.start().unwrap();
    /// t.join().unwrap();
    /// assert!(!t.is_alive());
    /// assert!(current_thread().is_alive());
    /// ```
    #[must_use]
    pub fn is_alive(&self) -> bool {
        self.inner.is_alive()
    }

    /// The thread's name: Python's `name`.
    ///
    /// Names identify threads in messages only; several threads may have the same name.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Thread, main_thread};
    ///
    /// assert_eq!(Thread::builder().name("x").build(|| ()).name(), "x");
    /// assert_eq!(main_thread().name(), "MainThread");
    /// ```
    #[must_use]
    pub fn name(&self) -> String {
        self.inner.data.with(|d| d.name.clone())
    }

    /// Renames the thread: Python's `name = …`.
    ///
    /// Allowed at any time; the name the operating system shows (given at
    /// [`start`](Thread::start)) does not change.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Thread;
    ///
    /// let t = Thread::new(|| ());
    /// t.set_name("renamed");
    /// assert_eq!(t.name(), "renamed");
    /// ```
    pub fn set_name(&self, name: impl Into<String>) {
        let name = name.into();
        self.inner.data.with(|d| d.name = name);
    }

    /// The thread's identifier: Python's `ident`.
    ///
    /// `None` before [`start`](Thread::start); afterwards a nonzero number no other thread of
    /// the process has (not even after this one ends; Python only promises uniqueness among
    /// live threads), kept after the thread has finished. It is
    /// [`get_ident`](crate::get_ident) as seen from the thread itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Thread, get_ident};
    ///
    /// let t = Thread::new(get_ident);
    /// assert_eq!(t.ident(), None);
    /// t.start().unwrap();
    /// let ident = t.ident().unwrap();
    /// assert_eq!(t.join_output().unwrap(), ident);
    /// ```
    #[must_use]
    pub fn ident(&self) -> Option<usize> {
        match self.inner.ident.load(Ordering::Acquire) {
            0 => None,
            n => Some(n),
        }
    }

    /// The operating system's id of the thread: Python's `native_id` (`gettid()` on Linux).
    ///
    /// `None` before [`start`](Thread::start); kept after the thread has finished (the OS may
    /// reuse the number for a later thread).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Thread, get_native_id};
    ///
    /// let t = Thread::new(get_native_id);
    /// t.start().unwrap();
    /// let id = t.native_id().unwrap();
    /// assert_eq!(t.join_output().unwrap(), id);
    /// ```
    #[must_use]
    pub fn native_id(&self) -> Option<u64> {
        let n = self.inner.native_id.load(Ordering::Acquire);
        if n != 0 {
            return Some(n);
        }
        if self.inner.kind != Kind::Thread || self.ident().is_none() {
            return None;
        }
        // Started, but the new thread has not stored it yet: it does so before anything else.
        self.inner.started.wait();
        Some(self.inner.native_id.load(Ordering::Acquire))
    }

    /// Whether this is a daemon thread: Python's `daemon`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Thread, main_thread};
    ///
    /// assert!(!main_thread().daemon());
    /// assert!(Thread::builder().daemon(true).build(|| ()).daemon());
    /// ```
    #[must_use]
    pub fn daemon(&self) -> bool {
        self.inner.daemon()
    }

    /// Makes the thread a daemon thread or not, before it starts: Python's `daemon = …`.
    ///
    /// # Errors
    ///
    /// [`RuntimeErrorKind::DaemonOfActiveThread`] ("cannot set daemon status of active thread")
    /// once [`start`](Thread::start) has been called (also for the main thread and for threads
    /// this library did not start).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{RuntimeErrorKind, Thread};
    ///
    /// let t = Thread::new(|| ());
    /// t.set_daemon(true).unwrap();
    /// t.start().unwrap();
    /// let err = t.set_daemon(false).unwrap_err();
    /// assert_eq!(err.kind(), RuntimeErrorKind::DaemonOfActiveThread);
    /// t.join().unwrap();
    /// ```
    pub fn set_daemon(&self, daemon: bool) -> Result<(), RuntimeError> {
        let mut s = self.inner.state.load(Ordering::Relaxed);
        loop {
            if s & PHASE != INITIAL || self.inner.kind != Kind::Thread {
                return Err(RuntimeError::new(RuntimeErrorKind::DaemonOfActiveThread));
            }
            let new = if daemon { s | DAEMON } else { s & !DAEMON };
            match self.inner.state.compare_exchange_weak(
                s,
                new,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => s = now,
            }
        }
    }

    /// This thread as a plain [`Thread`] (`Thread<()>`), the type that
    /// [`current_thread`](crate::current_thread) and [`enumerate`](crate::enumerate) return.
    ///
    /// It is the same thread object (`==` holds); only
    /// [`join_output`](Thread::join_output) differs, since the plain handle does not know the
    /// output's type.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Thread, enumerate};
    ///
    /// let t = Thread::new(|| 5);
    /// t.start().unwrap();
    /// let plain: Thread = t.untyped();
    /// assert!(plain == t);
    /// t.join().unwrap();
    /// assert!(!enumerate().contains(&plain));
    /// ```
    #[must_use]
    pub fn untyped(&self) -> Thread {
        Thread::from_inner(Arc::clone(&self.inner))
    }

    /// The `RuntimeError`s of `join`, in CPython's order of checks.
    fn check_joinable(&self) -> Result<(), JoinError> {
        let inner = &self.inner;
        let kind = if inner.kind == Kind::Dummy {
            RuntimeErrorKind::JoinDummyThread
        } else if matches!(inner.phase(), INITIAL | STARTING) {
            RuntimeErrorKind::JoinNotStarted
        } else if inner.ident.load(Ordering::Acquire) == core_thread::current_id() {
            RuntimeErrorKind::JoinCurrentThread
        } else {
            return Ok(());
        };
        Err(JoinError::Runtime(RuntimeError::new(kind)))
    }

    /// The result of a join of a finished thread.
    fn finished_outcome(&self) -> Result<(), JoinError> {
        self.inner.data.with(|d| match &d.outcome {
            Outcome::Panicked(message) => Err(JoinError::Panicked(Arc::clone(message))),
            _ => Ok(()),
        })
    }
}

impl<T> Clone for Thread<T> {
    fn clone(&self) -> Self {
        Thread { inner: Arc::clone(&self.inner), _output: PhantomData }
    }
}

impl<T, U> PartialEq<Thread<U>> for Thread<T> {
    /// Identity, like Python's `is`: the same thread object.
    fn eq(&self, other: &Thread<U>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl<T> Eq for Thread<T> {}

impl<T> Hash for Thread<T> {
    /// Hashes the identity of the thread object (consistent with `==`).
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.inner).hash(state);
    }
}

impl<T> fmt::Debug for Thread<T> {
    /// Python's `repr`: `<Thread(name, started 12)>`, `<Thread(name, initial daemon)>`,
    /// `<_MainThread(MainThread, started 1)>`, `<_DummyThread(Dummy-1, started daemon 7)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let class = match inner.kind {
            Kind::Thread => "Thread",
            Kind::Main => "_MainThread",
            Kind::Dummy => "_DummyThread",
        };
        let status = match inner.phase() {
            INITIAL | STARTING => "initial",
            _ if inner.finished.is_set() => "stopped",
            _ => "started",
        };
        let name = self.name();
        write!(f, "<{class}({name}, {status}")?;
        if inner.daemon() {
            f.write_str(" daemon")?;
        }
        if let Some(ident) = self.ident() {
            write!(f, " {ident}")?;
        }
        f.write_str(")>")
    }
}

/// How to create a [`Thread`]: name, daemon flag, stack size; Python's `Thread(name=…,
/// daemon=…)` keyword arguments.
///
/// # Examples
///
/// ```
/// use threading::Thread;
///
/// let t = Thread::builder()
///     .name("deep")
///     .daemon(false)
///     .stack_size(8 << 20)
///     .spawn(|| "started already")
///     .unwrap();
/// assert_eq!(t.join_output().unwrap(), "started already");
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a ThreadBuilder does nothing until `build` or `spawn`"]
pub struct ThreadBuilder {
    name: Option<String>,
    daemon: Option<bool>,
    stack_size: Option<usize>,
    no_target_in_name: bool,
}

impl ThreadBuilder {
    /// A builder with Python's defaults: name `Thread-N (target)`, the calling thread's daemon
    /// flag, the process-wide [`stack_size`](crate::stack_size).
    pub fn new() -> ThreadBuilder {
        ThreadBuilder::default()
    }

    /// The thread's name; an empty name means the default, as in Python (THR-01).
    pub fn name(mut self, name: impl Into<String>) -> ThreadBuilder {
        let name = name.into();
        self.name = if name.is_empty() { None } else { Some(name) };
        self
    }

    /// Whether the thread is a daemon thread (not waited for at the program's end).
    pub fn daemon(mut self, daemon: bool) -> ThreadBuilder {
        self.daemon = Some(daemon);
        self
    }

    /// The stack size of this thread, in bytes (beyond Python, whose only setting is the
    /// process-wide [`stack_size`](crate::stack_size)). The OS may round it up; a size it
    /// cannot provide makes [`start`](Thread::start) fail with "can't start new thread".
    pub fn stack_size(mut self, bytes: usize) -> ThreadBuilder {
        self.stack_size = Some(bytes);
        self
    }

    /// The default name without the target part (`Thread-N`), for `Timer`, as in CPython.
    #[doc(hidden)]
    pub fn no_target_in_name(mut self) -> ThreadBuilder {
        self.no_target_in_name = true;
        self
    }

    /// Creates the thread object, not started.
    pub fn build<R: Run>(self, target: R) -> Thread<R::Output> {
        let name = match self.name {
            Some(name) => name,
            None if self.no_target_in_name => registry::new_name("Thread"),
            None => {
                let mut name = registry::new_name("Thread");
                name.push_str(" (");
                name.push_str(&target_name(type_name::<R>()));
                name.push(')');
                name
            }
        };
        let daemon = self.daemon.unwrap_or_else(|| crate::current_thread().daemon());
        let target: Target = Box::new(move || Box::new(target.run()) as Box<dyn Any + Send>);
        let state = if daemon { INITIAL | DAEMON } else { INITIAL };
        let inner = Inner::new(Kind::Thread, name, state, Some(target), self.stack_size);
        Thread { inner: Arc::new(inner), _output: PhantomData }
    }

    /// Creates the thread object and [starts](Thread::start) it.
    ///
    /// # Errors
    ///
    /// As [`Thread::start`]: "can't start new thread" if the OS refuses.
    pub fn spawn<R: Run>(self, target: R) -> Result<Thread<R::Output>, StartError> {
        let thread = self.build(target);
        thread.start()?;
        Ok(thread)
    }
}

/// The name of a target for `Thread-N (name)`, from its type name: the last path segment
/// without generic arguments (`app::work` → `work`, `app::Worker<u8>` → `Worker`), `<closure>`
/// for a closure. Best effort: `type_name` is not guaranteed stable.
pub(crate) fn target_name(full: &str) -> String {
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = full.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' | b'(' | b'[' => depth += 1,
            b'>' | b')' | b']' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => {
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    let last = &full[start..];
    let base = last.split('<').next().unwrap_or(last);
    if base.starts_with("{{closure") { String::from("<closure>") } else { String::from(base) }
}

/// The name to give the OS thread: ours up to any NUL byte (which the OS cannot take).
fn os_thread_name(name: &str) -> String {
    String::from(name.split('\0').next().unwrap_or(""))
}

/// The first code of every started thread: publish the ids, run the target, report a panic,
/// then finish in the order the module documentation explains.
fn bootstrap(inner: Arc<Inner>) {
    inner.ident.store(core_thread::current_id(), Ordering::Release);
    inner.native_id.store(core_thread::native_id(), Ordering::Release);
    registry::set_current(&inner);
    registry::insert(&inner);
    inner.started.set();

    let target = inner.data.with(|d| d.target.take());
    let outcome = match target {
        Some(target) => run_target(&inner, target),
        None => Outcome::Returned(None),
    };
    inner.data.with(|d| d.outcome = outcome);
    registry::finish(&inner);
    inner.finished.set();
    registry::clear_current();
}

/// Runs `target` with panics routed to the excepthook; returns the outcome.
fn run_target(inner: &Arc<Inner>, target: Target) -> Outcome {
    let delivery = excepthook::Delivery::begin();
    let outcome = match panic::catch_unwind(AssertUnwindSafe(target)) {
        Ok(value) => Outcome::Returned(Some(value)),
        Err(payload) => {
            let thread = Thread::from_inner(Arc::clone(inner));
            let args = ExceptHookArgs::from_panic(payload, Some(thread));
            let message: Arc<str> = Arc::from(args.message());
            excepthook::invoke(&args);
            excepthook::drop_quietly(args);
            Outcome::Panicked(message)
        }
    };
    drop(delivery);
    outcome
}
