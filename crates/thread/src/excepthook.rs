//! Python's `threading.excepthook`: what happens to a panic that ends a thread's target.
//!
//! # Implementation details
//!
//! A panic that escapes a target is caught by the thread's bootstrap (`catch_unwind`) and
//! handed, as [`ExceptHookArgs`], to the installed hook ([`set_excepthook`]; by default
//! [`default_excepthook`], which prints it). Rust's own panic hook would print the same panic
//! a moment earlier, when it is raised, so the report would appear twice. To report it once,
//! the first [`Thread::start`](crate::Thread::start) installs (once per process, chained in
//! front of whatever hook was there) a panic *filter*:
//!
//! * on a thread that is running one of our targets (a thread-local flag set by the bootstrap
//!   around the target and the excepthook call), it records the panic's message, location and
//!   backtrace (captured if `RUST_BACKTRACE` asks for one) in that thread-local, and tells the
//!   chained hook to stay quiet;
//! * anywhere else it lets the previous hook run, as if the filter were not there.
//!
//! When the panic reaches the bootstrap, the record whose message matches the payload is
//! taken: that is the panic that ended the target (earlier records are panics that the target
//! caught itself; the list is capped). Without a record (the program replaced the panic hook
//! after the filter was installed), the message comes from the payload and the location is
//! unknown.
//!
//! Limits, on purpose:
//!
//! * A panic the target catches itself (`catch_unwind` inside the target) is not printed by
//!   Rust's hook either, like an exception a Python thread catches. It is printed if the
//!   program installs its own panic hook after the filter.
//! * A panic that cannot unwind (a panic in a destructor during unwinding, a panic out of an
//!   `extern "C"` function, a failed `unsafe` precondition check, and the like) aborts the
//!   process. The filter recognises core's messages for these and lets the previous hook print
//!   them, after printing the panics it had recorded on that thread, so nothing is lost.
//! * With `panic = "abort"` nothing can be caught, and the filter always defers.
//! * Under loom the filter is not installed (see `threading_core::process`).
//!
//! A hook that panics does not take the process down or lose the thread's join: the panic is
//! caught, reported on stderr as `Exception in threading.excepthook:` followed by its message
//! (CPython prints that line and hands the hook's exception to `sys.excepthook`), and the
//! thread finishes normally, its joins returning [`JoinError::Panicked`] with the *target's*
//! message.
//!
//! [`JoinError::Panicked`]: crate::JoinError::Panicked

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::RefCell;
use std::fmt;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe, Location, PanicHookInfo};

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::guarded::Guarded;
use crate::registry;
use crate::thread::Thread;

/// An installed excepthook.
type Hook = Arc<dyn Fn(&ExceptHookArgs) + Send + Sync>;

threading_core::global! {
    /// The hook set by `set_excepthook`; `None` is the default.
    static HOOK: Guarded<Option<Hook>> = Guarded::new(None);
}

/// How many panics a thread remembers until its target ends.
const MAX_RECORDS: usize = 8;

/// The beginnings of core's messages for panics that cannot unwind (the process aborts).
const NON_UNWINDING: &[&str] = &[
    "panic in a function that cannot unwind",
    "panic in a destructor during cleanup",
    "unsafe precondition(s) violated",
    "misaligned pointer dereference",
    "null pointer dereference",
    "trying to construct an enum from an invalid value",
];

/// Where a panic happened: file, line and column, as Rust's panic messages show them.
///
/// # Examples
///
/// ```
/// use threading::PanicLocation;
///
/// let here = PanicLocation::new("src/main.rs", 3, 5);
/// assert_eq!(here.to_string(), "src/main.rs:3:5");
/// assert_eq!((here.file(), here.line(), here.column()), ("src/main.rs", 3, 5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PanicLocation {
    file: String,
    line: u32,
    column: u32,
}

impl PanicLocation {
    /// A location.
    #[must_use]
    pub fn new(file: impl Into<String>, line: u32, column: u32) -> PanicLocation {
        PanicLocation { file: file.into(), line, column }
    }

    /// The source file.
    #[must_use]
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line, from 1.
    #[must_use]
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column, from 1.
    #[must_use]
    pub fn column(&self) -> u32 {
        self.column
    }
}

impl From<&Location<'_>> for PanicLocation {
    fn from(l: &Location<'_>) -> PanicLocation {
        PanicLocation::new(l.file(), l.line(), l.column())
    }
}

impl fmt::Display for PanicLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// What the excepthook is told about a panic that ended a thread: Python's
/// `threading.ExceptHookArgs`.
///
/// Python's `exc_type`, `exc_value` and `exc_traceback` become the panic's
/// [`message`](ExceptHookArgs::message) (the payload as text), its
/// [`payload`](ExceptHookArgs::payload) (for `std::panic::panic_any` values), its
/// [`location`](ExceptHookArgs::location) and, when `RUST_BACKTRACE` asked for one, its
/// [`backtrace`](ExceptHookArgs::backtrace). [`thread`](ExceptHookArgs::thread) is the thread
/// object (its name and ident are there).
///
/// # Examples
///
/// ```
/// use threading::{ExceptHookArgs, current_thread};
///
/// let args = ExceptHookArgs::new("by hand", Some(current_thread()));
/// assert_eq!(args.message(), "by hand");
/// assert!(args.location().is_none());
/// assert!(args.thread().is_some());
/// ```
pub struct ExceptHookArgs {
    message: String,
    location: Option<PanicLocation>,
    backtrace: Option<Backtrace>,
    payload: Option<Box<dyn Any + Send>>,
    thread: Option<Thread>,
}

impl ExceptHookArgs {
    /// Arguments for a report made by hand: a message, and the thread it is about (`None`:
    /// the default hook then names the calling thread's ident, as CPython does).
    #[must_use]
    pub fn new(message: impl Into<String>, thread: Option<Thread>) -> ExceptHookArgs {
        ExceptHookArgs {
            message: message.into(),
            location: None,
            backtrace: None,
            payload: None,
            thread,
        }
    }

    /// The arguments for a caught panic: the record the filter kept for it, if any.
    pub(crate) fn from_panic(payload: Box<dyn Any + Send>, thread: Option<Thread>) -> Self {
        let message = payload_text(&*payload);
        let record = DELIVERY.try_with(|d| d.borrow_mut().take_matching(&message)).ok().flatten();
        let (location, backtrace) = match record {
            Some(r) => (r.location, r.backtrace),
            None => (None, None),
        };
        ExceptHookArgs { message, location, backtrace, payload: Some(payload), thread }
    }

    /// The panic message: the payload as text (`Box<dyn Any>` for a payload that is neither
    /// a `&str` nor a `String`, as Rust's panic hook prints it).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the panic happened, if known.
    #[must_use]
    pub fn location(&self) -> Option<&PanicLocation> {
        self.location.as_ref()
    }

    /// The backtrace, if one was captured (`RUST_BACKTRACE=1`).
    #[must_use]
    pub fn backtrace(&self) -> Option<&Backtrace> {
        self.backtrace.as_ref()
    }

    /// The panic payload, for downcasting a value raised with `std::panic::panic_any`
    /// (`None` for arguments made with [`new`](ExceptHookArgs::new)).
    #[must_use]
    pub fn payload(&self) -> Option<&(dyn Any + Send)> {
        self.payload.as_deref()
    }

    /// The thread whose target panicked, if known.
    #[must_use]
    pub fn thread(&self) -> Option<&Thread> {
        self.thread.as_ref()
    }
}

impl fmt::Debug for ExceptHookArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExceptHookArgs")
            .field("message", &self.message)
            .field("location", &self.location)
            .field("backtrace", &self.backtrace.is_some())
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}

/// Reports a panic that ended a thread to the installed hook: Python's
/// `threading.excepthook(args)`.
///
/// The bootstrap of every thread calls it for a panicking target; call it yourself to report
/// something the same way. The hook is [`default_excepthook`] unless [`set_excepthook`]
/// installed another.
///
/// # Examples
///
/// ```
/// use threading::{ExceptHookArgs, excepthook};
///
/// excepthook(&ExceptHookArgs::new("reported by hand", None)); // prints it to stderr
/// ```
///
/// # Rust's panic hook
///
/// A panic is reported once: the first [`Thread::start`](crate::Thread::start) puts a filter in
/// front of Rust's panic hook (`std::panic::set_hook`), which keeps the hook quiet about panics
/// raised inside the targets of threads started here (their report comes from this
/// excepthook), and lets it print every other panic as before. Consequences:
///
/// * a panic that a target catches itself (`catch_unwind` inside the target) is not printed,
///   like an exception a Python thread handles;
/// * if the program calls `std::panic::set_hook` *after* the first `start`, its hook replaces
///   the filter: panics in targets are then printed by that hook **and** reported by the
///   excepthook (with the message, but no location). A hook installed with
///   `take_hook`-chaining (calling the previous hook) keeps the filter working;
/// * a panic that cannot unwind (a panic while unwinding, out of an `extern "C"` function, …)
///   aborts the process as usual, and is printed by Rust's hook;
/// * with `panic = "abort"` every panic goes to Rust's hook and aborts; the excepthook is
///   never called.
pub fn excepthook(args: &ExceptHookArgs) {
    match HOOK.with(|h| h.clone()) {
        Some(hook) => hook(args),
        None => default_excepthook(args),
    }
}

/// Installs `hook` as the excepthook: Python's `threading.excepthook = hook`.
///
/// It is called on the dying thread, after its target panicked and before the thread counts as
/// finished. If it panics, the panic is reported on stderr (`Exception in
/// threading.excepthook:` and its message) and the thread finishes normally. Put the default
/// back with `set_excepthook(default_excepthook)`.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use threading::{ExceptHookArgs, Thread, default_excepthook, set_excepthook};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = Arc::clone(&seen);
/// set_excepthook(move |args: &ExceptHookArgs| {
///     let name = args.thread().map(|t| t.name()).unwrap_or_default();
///     s.lock().unwrap().push(format!("{name}: {}", args.message()));
/// });
/// let t = Thread::builder().name("worker").build(|| panic!("oops"));
/// t.start().unwrap();
/// assert!(t.join().unwrap_err().is_panicked());
/// assert_eq!(*seen.lock().unwrap(), ["worker: oops"]);
/// set_excepthook(default_excepthook);
/// ```
pub fn set_excepthook(hook: impl Fn(&ExceptHookArgs) + Send + Sync + 'static) {
    let hook: Hook = Arc::new(hook);
    // The old hook is dropped after the lock is released (its drop may do anything).
    let old = HOOK.with(|h| h.replace(hook));
    drop(old);
}

/// The excepthook installed at the start: Python's `threading.__excepthook__`.
///
/// Writes `Exception in thread NAME:` and then, as Rust's panic hook does, `panicked at
/// LOCATION:`, the message, and the backtrace if one was captured, to stderr, in one write.
/// Without a thread it names the calling thread's ident instead.
///
/// # Examples
///
/// ```
/// use threading::{ExceptHookArgs, default_excepthook, main_thread};
///
/// // Prints "Exception in thread MainThread:\nsomething went wrong\n" to stderr.
/// default_excepthook(&ExceptHookArgs::new("something went wrong", Some(main_thread())));
/// ```
///
/// # Differences from Python
///
/// Python prints a traceback; Rust has a backtrace only when `RUST_BACKTRACE` is set, so the
/// report shows the panic's location and message, like Rust's own panic message.
pub fn default_excepthook(args: &ExceptHookArgs) {
    let who = match &args.thread {
        Some(t) => t.name(),
        None => alloc::format!("{}", registry::get_ident()),
    };
    let mut text = alloc::format!("Exception in thread {who}:\n");
    describe(&mut text, &args.message, args.location.as_ref(), args.backtrace.as_ref());
    // `eprint!`, not a raw stderr handle, so a test harness captures it like a panic message.
    eprint!("{text}");
}

/// Appends `panicked at LOCATION:` (if known), the message and the backtrace to `text`.
fn describe(
    text: &mut String,
    message: &str,
    location: Option<&PanicLocation>,
    backtrace: Option<&Backtrace>,
) {
    use fmt::Write as _;
    if let Some(location) = location {
        let _ = writeln!(text, "panicked at {location}:");
    }
    let _ = writeln!(text, "{message}");
    if let Some(backtrace) = backtrace {
        let _ = writeln!(text, "stack backtrace:\n{}", backtrace_text(backtrace));
    }
}

/// A backtrace as Rust's panic hook prints it: in full with `RUST_BACKTRACE=full`, else only
/// the frames between the panic machinery (up to `__rust_end_short_backtrace`) and the thread's
/// start (`__rust_begin_short_backtrace`).
fn backtrace_text(backtrace: &Backtrace) -> String {
    if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v == "full") {
        return alloc::format!("{backtrace:#}");
    }
    let full = alloc::format!("{backtrace}");
    let lines: Vec<&str> = full.lines().collect();
    // A frame is its numbered line plus the `at file:line` lines after it.
    let is_frame =
        |l: &str| l.trim_start().split_once(": ").is_some_and(|(n, _)| n.parse::<usize>().is_ok());
    let start = lines
        .iter()
        .position(|l| l.contains("__rust_end_short_backtrace"))
        .and_then(|i| lines[i + 1..].iter().position(|l| is_frame(l)).map(|j| i + 1 + j))
        .unwrap_or(0);
    let end = lines
        .iter()
        .position(|l| l.contains("__rust_begin_short_backtrace"))
        .filter(|&e| e > start)
        .unwrap_or(lines.len());
    let mut text = lines[start..end].join("\n");
    text.push_str(
        "\nnote: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.",
    );
    text
}

/// Calls the excepthook for a thread's panic; reports a panic of the hook itself.
pub(crate) fn invoke(args: &ExceptHookArgs) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| excepthook(args))) {
        let failure = ExceptHookArgs::from_panic(payload, None);
        let mut text = String::from("Exception in threading.excepthook:\n");
        describe(&mut text, &failure.message, failure.location(), failure.backtrace());
        let _ = std::io::stderr().write_all(text.as_bytes());
        drop_quietly(failure);
    }
}

/// Drops `value`; a panic from its destructor (a payload's `Drop` may panic) is swallowed.
pub(crate) fn drop_quietly<T>(value: T) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(value))) {
        // Dropping this payload could panic again: leak it instead.
        core::mem::forget(payload);
    }
}

/// The payload of a panic as text, as Rust's panic hook shows it.
fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("Box<dyn Any>")
    }
}

/// A panic seen by the filter on a thread that runs one of our targets.
struct Record {
    message: String,
    location: Option<PanicLocation>,
    backtrace: Option<Backtrace>,
}

/// Per thread: whether panics here go to the excepthook, and the ones seen so far.
struct Deliveries {
    active: bool,
    records: Vec<Record>,
}

impl Deliveries {
    /// The latest record with this message; forgets every record.
    fn take_matching(&mut self, message: &str) -> Option<Record> {
        let i = self.records.iter().rposition(|r| r.message == message);
        let found = i.map(|i| self.records.swap_remove(i));
        self.records.clear();
        found
    }
}

threading_core::thread_local! {
    /// This thread's deliveries.
    static DELIVERY: RefCell<Deliveries> =
        const { RefCell::new(Deliveries { active: false, records: Vec::new() }) };
}

/// Panics on this thread go to the excepthook while this guard lives.
pub(crate) struct Delivery(());

impl Delivery {
    /// Starts routing this thread's panics to the excepthook.
    pub(crate) fn begin() -> Delivery {
        let _ = DELIVERY.try_with(|d| {
            let mut d = d.borrow_mut();
            d.active = true;
            d.records.clear();
        });
        Delivery(())
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        let _ = DELIVERY.try_with(|d| {
            let mut d = d.borrow_mut();
            d.active = false;
            d.records = Vec::new();
        });
    }
}

/// The panic filter (see the module documentation): `true` when the panic is recorded for
/// the excepthook instead of being printed now. Must not panic: it runs inside the panic hook.
pub(crate) fn panic_filter(info: &PanicHookInfo<'_>) -> bool {
    if cfg!(panic = "abort") {
        return false;
    }
    DELIVERY
        .try_with(|d| {
            let Ok(mut d) = d.try_borrow_mut() else { return false };
            if !d.active {
                return false;
            }
            let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
            if NON_UNWINDING.iter().any(|m| message.starts_with(m)) {
                // The process is about to abort: show what was kept back, then let the
                // previous hook print this one.
                let mut text = String::new();
                for r in d.records.drain(..) {
                    text.push_str("thread panicked (reported before aborting):\n");
                    describe(&mut text, &r.message, r.location.as_ref(), r.backtrace.as_ref());
                }
                let _ = std::io::stderr().write_all(text.as_bytes());
                return false;
            }
            if d.records.len() == MAX_RECORDS {
                d.records.remove(0);
            }
            let backtrace = Backtrace::capture();
            let backtrace = (backtrace.status() == BacktraceStatus::Captured).then_some(backtrace);
            d.records.push(Record {
                message: message.to_owned(),
                location: info.location().map(PanicLocation::from),
                backtrace,
            });
            true
        })
        .unwrap_or(false)
}
