//! The registry of live threads and Python's module-level functions over it:
//! [`current_thread`], [`main_thread`], [`active_count`], [`enumerate`], [`get_ident`],
//! [`get_native_id`], [`stack_size`] / [`set_stack_size`] and [`TIMEOUT_MAX`].
//!
//! # Implementation details
//!
//! One process-wide map, ident → record, behind a lock (CPython's `_active` dict behind
//! `_active_limbo_lock`). A record is in it exactly while its thread is alive:
//!
//! * a thread started by this crate is inserted by `start` and by its own bootstrap
//!   (whichever comes first; the insert is skipped for a record already `FINISHED`), and
//!   removed by the bootstrap when the target is over, with its phase set to `FINISHED` under
//!   the same lock;
//! * the main thread's record (`MainThread`, ident [`MAIN_ID`]) is created on first use, from
//!   any thread, and removed only when the program ends (see `shutdown`);
//! * a thread this crate did not start gets a `Dummy-N` record the first time it calls
//!   [`current_thread`] (directly or through `Thread::new`), and a thread-local guard removes
//!   it when that thread exits (CPython 3.13 does the same; 3.12 and older leaked them).
//!
//! A map keyed by ident gives [`enumerate`] its order (by ident, the main thread first) for
//! free. Nothing in the map outlives its thread, so 10,000 short threads leave it as it was;
//! `live_records` counts the records in existence, for the tests that check memory is freed.
//!
//! [`current_thread`] is called often (every `Thread::new` asks it for the daemon flag), so
//! each thread caches its record in a thread-local: after the first call it is a thread-local
//! read and an `Arc` clone.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use threading_core::atomic::{AtomicUsize, Ordering};
use threading_core::error::{ValueError, ValueErrorKind};
use threading_core::stats::Counter;
use threading_core::thread::{self as core_thread, MAIN_ID};

use crate::guarded::Guarded;
use crate::thread::{DAEMON, FINISHED, Inner, Kind, RUNNING, Thread};

/// The largest timeout the timed waits accept: Python's `threading.TIMEOUT_MAX`.
///
/// Every `Duration` is accepted; one too large to add to the clock, like this one, means "wait
/// forever".
///
/// # Examples
///
/// ```
/// use threading::{TIMEOUT_MAX, Thread};
///
/// let t = Thread::new(|| ());
/// t.start().unwrap();
/// assert_eq!(t.join_timeout(TIMEOUT_MAX), Ok(true)); // waits as long as it takes
/// ```
///
/// # Differences from Python
///
/// CPython's is a float, about 9223372036.0 seconds on 64-bit Linux, and a larger timeout
/// raises `OverflowError`. Here it is [`Duration::MAX`] and nothing overflows: a timeout past
/// the end of the clock waits forever.
pub const TIMEOUT_MAX: Duration = Duration::MAX;

/// The smallest stack size [`set_stack_size`] accepts, besides 0: CPython's `THREAD_STACK_MIN`
/// (32 KiB).
pub const MIN_STACK_SIZE: usize = 0x8000;

/// Every live thread, and the main thread's record.
pub(crate) struct Registry {
    /// Live threads by ident.
    threads: BTreeMap<usize, Arc<Inner>>,
    /// `MainThread`, once created.
    main: Option<Arc<Inner>>,
}

impl Registry {
    threading_core::const_fn! {
        /// An empty registry.
        fn new() -> Registry {
            Registry { threads: BTreeMap::new(), main: None }
        }
    }

    /// The main thread's record, created (and listed) on first use.
    fn main(&mut self) -> Arc<Inner> {
        if let Some(main) = &self.main {
            return Arc::clone(main);
        }
        let inner = Inner::new(Kind::Main, String::from("MainThread"), RUNNING, None, None);
        inner.ident.store(MAIN_ID, Ordering::Release);
        let native = if core_thread::is_main_thread() {
            Some(core_thread::native_id())
        } else {
            core_thread::main_native_id()
        };
        // Elsewhere than Linux another thread cannot know it: the main thread fills it in
        // when it first asks for its own record.
        inner.native_id.store(native.unwrap_or(0), Ordering::Release);
        inner.started.set();
        let inner = Arc::new(inner);
        self.threads.insert(MAIN_ID, Arc::clone(&inner));
        self.main = Some(Arc::clone(&inner));
        inner
    }
}

threading_core::global! {
    /// The registry.
    static REGISTRY: Guarded<Registry> = Guarded::new(Registry::new());
}

threading_core::global! {
    /// CPython's `_counter`: the N of `Thread-N` and `Dummy-N`, shared by both (and by Timer).
    static NAMES: AtomicUsize = AtomicUsize::new(1);
}

/// Thread records in existence: a statistic, not modelled by loom (records are freed by
/// destructors that may run after a model's globals are gone).
pub(crate) static LIVE: Counter = Counter::new();

threading_core::global! {
    /// `threading.stack_size()`; 0 is the platform default.
    pub(crate) static STACK_SIZE: AtomicUsize = AtomicUsize::new(0);
}

/// The record cached for the calling thread, and whether to unregister it at thread exit.
struct Current(Arc<Inner>);

impl Drop for Current {
    fn drop(&mut self) {
        // A dummy record's thread is exiting: it is not alive any more.
        if self.0.kind == Kind::Dummy {
            finish(&self.0);
            self.0.finished.set();
        }
    }
}

threading_core::thread_local! {
    /// The calling thread's record.
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// `"<prefix>-N"` with the next N: CPython's `_newname`.
pub(crate) fn new_name(prefix: &str) -> String {
    let n = NAMES.fetch_add(1, Ordering::Relaxed);
    alloc::format!("{prefix}-{n}")
}

/// Lists `inner` as alive, unless it has finished already; sets `RUNNING` if it is starting.
pub(crate) fn insert(inner: &Arc<Inner>) {
    REGISTRY.with(|r| {
        if inner.phase() == FINISHED {
            return;
        }
        inner.set_phase(RUNNING);
        let ident = inner.ident.load(Ordering::Acquire);
        r.threads.entry(ident).or_insert_with(|| Arc::clone(inner));
    });
}

/// Unlists `inner` and sets `FINISHED`, with the registry locked (the caller sets `finished`
/// afterwards). Does nothing to a record already finished.
pub(crate) fn finish(inner: &Arc<Inner>) -> bool {
    REGISTRY.with(|r| {
        if inner.phase() == FINISHED {
            return false;
        }
        let ident = inner.ident.load(Ordering::Acquire);
        if r.threads.get(&ident).is_some_and(|t| Arc::ptr_eq(t, inner)) {
            r.threads.remove(&ident);
        }
        inner.set_phase(FINISHED);
        true
    })
}

/// The live records, by ident.
pub(crate) fn live() -> Vec<Arc<Inner>> {
    REGISTRY.with(|r| r.threads.values().cloned().collect())
}

/// The live record with this ident.
pub(crate) fn lookup(ident: usize) -> Option<Arc<Inner>> {
    REGISTRY.with(|r| r.threads.get(&ident).cloned())
}

/// The main thread's record, if it exists.
pub(crate) fn existing_main() -> Option<Arc<Inner>> {
    REGISTRY.with(|r| r.main.clone())
}

/// Caches `inner` as the calling thread's record (the bootstrap of a started thread).
pub(crate) fn set_current(inner: &Arc<Inner>) {
    let _ = CURRENT.try_with(|c| *c.borrow_mut() = Some(Current(Arc::clone(inner))));
}

/// Forgets the calling thread's cached record (the end of a started thread's bootstrap).
pub(crate) fn clear_current() {
    let old = CURRENT.try_with(|c| c.borrow_mut().take()).ok().flatten();
    drop(old);
}

/// The thread object of the calling thread: Python's `threading.current_thread()`.
///
/// * In a thread started by [`Thread::start`]: that thread's object (`==` to its handle).
/// * In the main thread: the [`main_thread`] record, `MainThread`.
/// * In any other thread (`std::thread::spawn`, a thread pool of another library, a test
///   harness's thread): a record named `Dummy-N`, created on the first call, which is a
///   daemon, alive, listed by [`enumerate`], cannot be joined, and is removed from the
///   registry when that thread exits (THR-22).
///
/// After the first call in a thread it costs a thread-local read and an `Arc` clone.
///
/// # Examples
///
/// ```
/// use threading::{Thread, current_thread, main_thread};
///
/// assert!(current_thread() == main_thread());
/// let t = Thread::new(|| current_thread());
/// t.start().unwrap();
/// let seen = t.clone().join_output().unwrap();
/// assert!(seen == t);
///
/// let dummy = std::thread::spawn(|| current_thread()).join().unwrap();
/// assert!(dummy.name().starts_with("Dummy-"));
/// assert!(dummy.daemon());
/// ```
#[must_use]
pub fn current_thread() -> Thread {
    let cached = CURRENT.try_with(|c| c.borrow().as_ref().map(|c| Arc::clone(&c.0)));
    match cached {
        Ok(Some(inner)) => Thread::from_inner(inner),
        _ => current_slow(),
    }
}

/// `current_thread` the first time in a thread.
#[cold]
fn current_slow() -> Thread {
    let ident = core_thread::current_id();
    let inner = if core_thread::is_main_thread() {
        let main = REGISTRY.with(Registry::main);
        if main.native_id.load(Ordering::Acquire) == 0 {
            main.native_id.store(core_thread::native_id(), Ordering::Release);
        }
        main
    } else if let Some(ours) = lookup(ident).filter(|t| t.kind == Kind::Thread) {
        // A thread of ours whose cache is gone (its thread-locals are being destroyed).
        return Thread::from_inner(ours);
    } else {
        let dummy = Inner::new(Kind::Dummy, new_name("Dummy"), RUNNING | DAEMON, None, None);
        dummy.ident.store(ident, Ordering::Release);
        dummy.native_id.store(core_thread::native_id(), Ordering::Release);
        dummy.started.set();
        let dummy = Arc::new(dummy);
        // Listed only if the guard that unlists it at thread exit can be stored.
        let stored = CURRENT.try_with(|c| *c.borrow_mut() = Some(Current(Arc::clone(&dummy))));
        if stored.is_ok() {
            REGISTRY.with(|r| r.threads.insert(ident, Arc::clone(&dummy)));
        }
        return Thread::from_inner(dummy);
    };
    let _ = CURRENT.try_with(|c| *c.borrow_mut() = Some(Current(Arc::clone(&inner))));
    Thread::from_inner(inner)
}

/// The main thread's object: Python's `threading.main_thread()`.
///
/// Named `MainThread`, ident [`MAIN_ID`], not a daemon, alive until the program's end (when
/// `main` has returned; a thread joining it then returns, as in Python). Works from any thread,
/// also before the main thread itself has used this crate.
///
/// # Examples
///
/// ```
/// use threading::{get_ident, main_thread};
///
/// let main = main_thread();
/// assert_eq!(main.name(), "MainThread");
/// assert_eq!(main.ident(), Some(get_ident()));
/// let from_elsewhere = std::thread::spawn(|| main_thread()).join().unwrap();
/// assert!(from_elsewhere == main);
/// ```
#[must_use]
pub fn main_thread() -> Thread {
    Thread::from_inner(REGISTRY.with(Registry::main))
}

/// How many threads are alive: Python's `threading.active_count()`, the length of
/// [`enumerate`]'s list.
///
/// # Examples
///
/// ```
/// use threading::{active_count, enumerate};
///
/// assert!(active_count() >= 1); // at least the main thread
/// assert_eq!(active_count(), enumerate().len());
/// ```
#[must_use]
pub fn active_count() -> usize {
    REGISTRY.with(|r| {
        r.main();
        r.threads.len()
    })
}

/// Every thread alive right now, by ident: Python's `threading.enumerate()`.
///
/// Lists the main thread (until the program's end), the threads started by [`Thread::start`]
/// that have not finished, and the `Dummy-N` records of other threads that have called
/// [`current_thread`] and not exited. It never lists a thread that is not started yet, or one
/// whose join has returned.
///
/// # Examples
///
/// ```
/// use threading::{Thread, enumerate, main_thread};
///
/// let t = Thread::new(|| ());
/// assert!(!enumerate().contains(&t.untyped()));
/// assert!(enumerate().contains(&main_thread()));
/// t.start().unwrap();
/// t.join().unwrap();
/// assert!(!enumerate().contains(&t.untyped()));
/// ```
#[must_use]
pub fn enumerate() -> Vec<Thread> {
    REGISTRY.with(|r| {
        r.main();
        r.threads.values().map(|t| Thread::from_inner(Arc::clone(t))).collect()
    })
}

/// The calling thread's identifier: Python's `threading.get_ident()`.
///
/// Nonzero, never reused within the process; [`MAIN_ID`] in the main thread; what
/// [`Thread::ident`] returns for a started thread.
///
/// # Examples
///
/// ```
/// use threading::{current_thread, get_ident};
///
/// assert_eq!(current_thread().ident(), Some(get_ident()));
/// ```
#[must_use]
pub fn get_ident() -> usize {
    core_thread::current_id()
}

/// The operating system's id of the calling thread: Python's `threading.get_native_id()`.
///
/// # Examples
///
/// ```
/// use threading::{current_thread, get_native_id};
///
/// assert_eq!(current_thread().native_id(), Some(get_native_id()));
/// ```
#[must_use]
pub fn get_native_id() -> u64 {
    core_thread::native_id()
}

/// The stack size used for threads started from now on, in bytes; 0 means the platform's
/// default: Python's `threading.stack_size()`.
///
/// # Examples
///
/// ```
/// assert_eq!(threading::stack_size(), 0);
/// ```
///
/// # Differences from Python
///
/// Python's `stack_size()` without an argument *also sets* the size back to 0 (the argument
/// defaults to 0). Here reading and setting are two functions.
#[must_use]
pub fn stack_size() -> usize {
    STACK_SIZE.load(Ordering::Relaxed)
}

/// Sets the stack size for threads started from now on and returns the previous one: Python's
/// `threading.stack_size(size)`.
///
/// `0` goes back to the platform's default; otherwise the size must be at least
/// [`MIN_STACK_SIZE`] (32 KiB). A size the OS cannot provide makes the next
/// [`start`](Thread::start) fail with "can't start new thread". A thread built with
/// [`ThreadBuilder::stack_size`](crate::ThreadBuilder::stack_size) uses its own size instead.
///
/// # Errors
///
/// [`ValueErrorKind::StackSize`] for `0 < size < 32768`; the setting is unchanged.
///
/// # Examples
///
/// ```
/// use threading::{ValueErrorKind, set_stack_size, stack_size};
///
/// assert_eq!(set_stack_size(100).unwrap_err().kind(), ValueErrorKind::StackSize);
/// let old = set_stack_size(1 << 20).unwrap();
/// assert_eq!(stack_size(), 1 << 20);
/// set_stack_size(old).unwrap();
/// ```
pub fn set_stack_size(size: usize) -> Result<usize, ValueError> {
    if size != 0 && size < MIN_STACK_SIZE {
        return Err(ValueError::new(ValueErrorKind::StackSize));
    }
    Ok(STACK_SIZE.swap(size, Ordering::Relaxed))
}

/// How many thread records exist (started or not, alive or finished, including the main and
/// dummy records): the registry's leak check for the tests. Not part of the API; not meaningful
/// in a loom model (it counts every model of the process).
#[doc(hidden)]
#[must_use]
pub fn live_records() -> usize {
    LIVE.get()
}
