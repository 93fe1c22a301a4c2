//! Reporting what would otherwise be lost: a failed future that nobody looked at, and a done
//! callback that panicked.
//!
//! Python logs both through the `concurrent.futures` logger (a callback's exception) or, in
//! asyncio, "Future exception was never retrieved". Here both go through the thread excepthook
//! (`threading::excepthook`, which writes to standard error unless replaced);
//! an executor can send the first kind to its own hook or switch it off
//! ([`ThreadPoolExecutorBuilder::on_unretrieved`](crate::ThreadPoolExecutorBuilder::on_unretrieved),
//! [`report_unretrieved`](crate::ThreadPoolExecutorBuilder::report_unretrieved)).

use alloc::sync::Arc;
use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use threading_thread::ExceptHookArgs;

use crate::error::{FutureError, payload_text};

/// A user hook for failed futures that were dropped unobserved (boxed twice so that the
/// `Arc` is a thin pointer and every future's `Report` stays two words).
pub(crate) type Hook = Arc<Box<dyn Fn(&Unretrieved<'_>) + Send + Sync>>;

/// A failed future that was dropped without anyone looking at its failure, as handed to an
/// executor's [`on_unretrieved`](crate::ThreadPoolExecutorBuilder::on_unretrieved) hook.
///
/// "Looking" is any of [`Future::result`](crate::Future::result) (and its timed forms),
/// [`Future::exception`](crate::Future::exception), [`Future::into_result`](crate::Future::into_result)
/// or the [`map`](crate::ThreadPoolExecutor::map) iterator yielding the item, on any handle
/// of the future.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use threading::futures::ThreadPoolExecutor;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = Arc::clone(&seen);
/// let pool = ThreadPoolExecutor::builder()
///     .max_workers(1)
///     .on_unretrieved(move |u| s.lock().unwrap().push(u.error().to_string()))
///     .build()
///     .unwrap();
/// drop(pool.submit(|| -> () { panic!("lost") }).unwrap()); // nobody will look at it
/// drop(pool); // waits for the task; the future is gone once it has run
/// assert_eq!(*seen.lock().unwrap(), ["task panicked: lost"]);
/// ```
pub struct Unretrieved<'a> {
    pub(crate) error: &'a FutureError,
    pub(crate) future: &'a str,
}

impl Unretrieved<'_> {
    /// The failure nobody looked at.
    #[must_use]
    pub fn error(&self) -> &FutureError {
        self.error
    }

    /// The future's `Debug` text (Python's repr), e.g.
    /// `<Future at 0x55d0c3a0 state=finished raised TaskPanic>`.
    #[must_use]
    pub fn future(&self) -> &str {
        self.future
    }
}

impl fmt::Debug for Unretrieved<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unretrieved")
            .field("error", self.error)
            .field("future", &self.future)
            .finish()
    }
}

/// What a future does with a failure nobody looked at.
#[derive(Clone, Default)]
pub(crate) enum Report {
    /// Nothing (bare futures; executors built with `report_unretrieved(false)`).
    #[default]
    Off,
    /// Report it through the thread excepthook.
    Stderr,
    /// Call the executor's hook.
    Hook(Hook),
}

impl Report {
    /// Whether a report would go anywhere.
    pub(crate) fn is_on(&self) -> bool {
        !matches!(self, Report::Off)
    }

    /// Reports `error` of the future described by `future`. Never panics: a panicking hook is
    /// itself reported through the excepthook.
    pub(crate) fn unretrieved(&self, error: &FutureError, future: &str) {
        match self {
            Report::Off => {}
            Report::Stderr => excepthook(&format!(
                "Future exception was never retrieved\nfuture: {future}\n{}: {error}",
                error.python_name()
            )),
            Report::Hook(hook) => {
                let report = Unretrieved { error, future };
                if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| hook(&report))) {
                    excepthook(&format!(
                        "exception in the unretrieved-failure hook\n{}",
                        payload_text(&*payload)
                    ));
                }
            }
        }
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Report::Off => "Off",
            Report::Stderr => "Stderr",
            Report::Hook(_) => "Hook",
        })
    }
}

/// Reports a done callback of `future` that panicked with `payload` (Python logs
/// `'exception calling callback for <Future …>'`); the remaining callbacks still run.
pub(crate) fn callback_panicked(future: &str, payload: &(dyn Any + Send)) {
    excepthook(&format!("exception calling callback for {future}\n{}", payload_text(payload)));
}

/// Reports `message` through the thread excepthook (`threading::excepthook`), naming the
/// calling thread. A panicking excepthook is caught (the report is then lost: there is nowhere
/// left to send it) so that a report never unwinds into the pool.
fn excepthook(message: &str) {
    let args = ExceptHookArgs::new(message, Some(threading_thread::current_thread()));
    let _ = panic::catch_unwind(AssertUnwindSafe(|| threading_thread::excepthook(&args)));
}

/// Reports a worker's failed initializer (Python logs CRITICAL `'Exception in initializer:'`).
pub(crate) fn initializer_failed(message: &str) {
    excepthook(&format!("Exception in initializer:\n{message}"));
}
