//! Thread identity, spawning and yielding, correct under loom.
//!
//! [`current_id`] gives the calling thread a nonzero `usize` that no other thread of the process
//! ever gets, not even after this one exits (a global counter, cached in a thread-local). That is
//! stronger than the address-of-a-thread-local trick (`parking_lot`'s `RawThreadId`), whose
//! addresses are reused by later threads: an `RLock` left held by a dead thread would then look
//! owned by a new thread. The main thread always gets [`MAIN_ID`], so any thread can name it
//! before the main thread has asked for its own id. Under loom each model thread gets its own id
//! (its loom index + 1; the model's main thread is index 0, so it is `MAIN_ID` there too).
//!
//! [`spawn`] starts an OS thread (`std::thread::Builder`) in production and a model thread under
//! loom, so code that starts threads (the `Thread` type, pools) runs inside loom models as is.
//! The new thread's [`current_id`] is known to the spawner as soon as `spawn` returns
//! ([`JoinHandle::id`]): in production `spawn` draws it from the counter and the new thread
//! adopts it before running anything else.

/// The identifier [`current_id`] returns on the process's main thread.
pub const MAIN_ID: usize = 1;

/// The calling thread's identifier: nonzero, never reused within the process; [`MAIN_ID`] on
/// the main thread.
///
/// # Examples
///
/// ```
/// let me = threading_core::thread::current_id();
/// assert_ne!(me, 0);
/// assert_eq!(me, threading_core::thread::current_id());
/// let other = std::thread::spawn(threading_core::thread::current_id).join().unwrap();
/// assert_ne!(me, other);
/// ```
#[inline]
#[must_use]
pub fn current_id() -> usize {
    imp::current_id()
}

/// Gives up the rest of this time slice (lets another model thread run under loom).
#[inline]
pub fn yield_now() {
    #[cfg(not(threading_loom))]
    std::thread::yield_now();
    #[cfg(threading_loom)]
    loom::thread::yield_now();
}

/// Whether the calling thread is the process's main thread (the one that ran `main`).
///
/// On Linux and Android this compares the OS thread id with the process id; elsewhere it relies
/// on the name `"main"` that Rust's runtime gives the main thread. Under loom: the model's first
/// thread.
#[must_use]
pub fn is_main_thread() -> bool {
    imp::is_main_thread()
}

/// The operating system's id for the calling thread (`gettid` on Linux, `pthread_threadid_np`
/// on macOS; elsewhere, and under loom, [`current_id`]): Python's `threading.get_native_id()`.
#[must_use]
pub fn native_id() -> u64 {
    imp::native_id()
}

/// The operating system's id for the process's main thread, if it can be told from any thread:
/// on Linux and Android the main thread's id is the process id; under loom it is [`MAIN_ID`];
/// elsewhere `None` (only the main thread itself knows it, through [`native_id`]).
#[must_use]
pub fn main_native_id() -> Option<u64> {
    imp::main_native_id()
}

/// How many threads can usefully run at once (`std::thread::available_parallelism`, 1 if
/// unknown; 2 under loom).
#[must_use]
pub fn available_parallelism() -> usize {
    #[cfg(not(threading_loom))]
    {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    }
    #[cfg(threading_loom)]
    {
        2
    }
}

/// How to start a thread with [`spawn`]: an optional name and stack size.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    /// The thread's name as the OS (and panic messages) see it.
    pub name: Option<String>,
    /// The stack size in bytes; `None`: the platform default.
    pub stack_size: Option<usize>,
}

/// A started thread: wait for it to finish with [`JoinHandle::join`]; dropping it detaches the
/// thread.
#[derive(Debug)]
pub struct JoinHandle<T> {
    #[cfg(not(threading_loom))]
    inner: std::thread::JoinHandle<T>,
    /// The new thread's `current_id`, drawn by `spawn`.
    #[cfg(not(threading_loom))]
    id: usize,
    #[cfg(threading_loom)]
    inner: loom::thread::JoinHandle<T>,
}

impl<T> JoinHandle<T> {
    /// The started thread's [`current_id`], known without waiting for it to run.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading_core::thread::{Builder, current_id, spawn};
    ///
    /// let h = spawn(Builder::default(), current_id).unwrap();
    /// let id = h.id();
    /// assert_eq!(h.join().unwrap(), id);
    /// ```
    #[must_use]
    pub fn id(&self) -> usize {
        #[cfg(not(threading_loom))]
        {
            self.id
        }
        #[cfg(threading_loom)]
        {
            imp::loom_id(self.inner.thread().id())
        }
    }

    /// Waits for the thread to finish; `Err` carries the payload if it panicked.
    ///
    /// # Errors
    ///
    /// The panic payload, if the thread panicked.
    pub fn join(self) -> std::thread::Result<T> {
        self.inner.join()
    }
}

/// Starts a thread running `f`, as `builder` says.
///
/// # Errors
///
/// The OS error if the thread cannot be created (too many threads, stack too large, …).
///
/// # Examples
///
/// ```
/// use threading_core::thread::{Builder, spawn};
///
/// let b = Builder { name: Some("worker".into()), stack_size: None };
/// let h = spawn(b, || 6 * 7).unwrap();
/// assert_eq!(h.join().unwrap(), 42);
/// ```
pub fn spawn<F, T>(builder: Builder, f: F) -> std::io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    #[cfg(not(threading_loom))]
    let mut b = std::thread::Builder::new();
    #[cfg(threading_loom)]
    let mut b = loom::thread::Builder::new();
    if let Some(name) = builder.name {
        b = b.name(name);
    }
    if let Some(size) = builder.stack_size {
        b = b.stack_size(size);
    }
    #[cfg(not(threading_loom))]
    {
        // Drawn here so the spawner knows it at once; an id lost to a failed spawn is simply
        // never used (ids only have to be unique, not dense).
        let id = imp::reserve_id();
        b.spawn(move || {
            imp::adopt_id(id);
            f()
        })
        .map(|inner| JoinHandle { inner, id })
    }
    #[cfg(threading_loom)]
    {
        b.spawn(f).map(|inner| JoinHandle { inner })
    }
}

#[cfg(not(threading_loom))]
mod imp {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The next id for a thread that is not the main thread.
    static NEXT_ID: AtomicUsize = AtomicUsize::new(super::MAIN_ID + 1);

    std::thread_local! {
        // A `const` initialiser and no destructor: the fastest kind of thread-local, valid
        // even while other thread-locals are being destroyed.
        static ID: Cell<usize> = const { Cell::new(0) };
    }

    #[inline]
    pub(super) fn current_id() -> usize {
        ID.with(|id| {
            let v = id.get();
            if v != 0 { v } else { assign(id) }
        })
    }

    #[cold]
    fn assign(id: &Cell<usize>) -> usize {
        let v = if is_main_thread() { super::MAIN_ID } else { reserve_id() };
        id.set(v);
        v
    }

    /// A fresh id for a thread that is not the main thread.
    pub(super) fn reserve_id() -> usize {
        // Relaxed is enough: uniqueness comes from the atomicity of the increment alone.
        let v = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        assert!(v != 0 && v != usize::MAX, "thread id counter overflowed");
        v
    }

    /// Makes `v` the calling thread's id: the first thing a thread started by `spawn` does.
    pub(super) fn adopt_id(v: usize) {
        ID.with(|id| id.set(v));
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn main_native_id() -> Option<u64> {
        // SAFETY: `getpid` has no preconditions.
        u64::try_from(unsafe { libc::getpid() }).ok()
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(super) fn main_native_id() -> Option<u64> {
        None
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn is_main_thread() -> bool {
        // SAFETY: both calls only read the calling thread's and process's ids.
        unsafe { libc::gettid() == libc::getpid() }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(super) fn is_main_thread() -> bool {
        std::thread::current().name() == Some("main")
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn native_id() -> u64 {
        // SAFETY: `gettid` has no preconditions.
        let tid = unsafe { libc::gettid() };
        u64::try_from(tid).unwrap_or_default()
    }

    #[cfg(target_vendor = "apple")]
    pub(super) fn native_id() -> u64 {
        let mut tid = 0u64;
        // SAFETY: `pthread_self` is the calling thread; `tid` is a valid out-pointer.
        unsafe { libc::pthread_threadid_np(libc::pthread_self(), &mut tid) };
        tid
    }

    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    pub(super) fn native_id() -> u64 {
        current_id() as u64
    }
}

#[cfg(threading_loom)]
mod imp {
    pub(super) fn current_id() -> usize {
        loom_id(loom::thread::current().id())
    }

    /// The id of the model thread `id`: its loom index + 1.
    pub(super) fn loom_id(id: loom::thread::ThreadId) -> usize {
        // loom's ThreadId has no numeric accessor, but its Debug form is `ThreadId(<index>)`,
        // which is deterministic within an execution and needs no extra loom operation.
        let text = format!("{id:?}");
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        digits.parse::<usize>().expect("unexpected loom ThreadId format") + 1
    }

    pub(super) fn main_native_id() -> Option<u64> {
        Some(super::MAIN_ID as u64)
    }

    pub(super) fn is_main_thread() -> bool {
        current_id() == super::MAIN_ID
    }

    pub(super) fn native_id() -> u64 {
        current_id() as u64
    }
}
