//! The end of the program: wait for the non-daemon threads, as Python's `threading._shutdown`
//! does when the interpreter exits.
//!
//! # Implementation details
//!
//! The first [`Thread::start`](crate::Thread::start) of a non-daemon thread registers
//! [`at_exit`] with the C runtime's `atexit` (through `threading_core::process`), once per
//! process. It runs on the thread that ends the process (the main thread returning from
//! `main`, or any thread calling `std::process::exit`), after Rust's runtime has flushed
//! stdout. It:
//!
//! 1. marks the exiting thread as finished, so a thread that joins it stops waiting: the main
//!    record (Python's `_shutdown` releases the main thread's lock for the same reason), or,
//!    when a thread of ours called `std::process::exit`, that thread (its outcome `Exited`; its
//!    target will never return, and a joiner of it must not deadlock the exit);
//! 2. joins every live non-daemon thread started through this crate (not the exiting thread
//!    itself), then looks again, until none is left: those threads may have started more
//!    (Python loops the same way).
//!
//! Daemon threads and dummy records are not waited for. Nothing in it can unwind into the C
//! runtime: the body runs under `catch_unwind`.

use std::panic::{self, AssertUnwindSafe};

use alloc::sync::Arc;
use alloc::vec::Vec;
use threading_core::atomic::{AtomicBool, Ordering};
use threading_core::thread as core_thread;

use crate::registry;
use crate::thread::{FINISHED, Inner, Kind, Outcome};

threading_core::global! {
    /// Whether `at_exit` has been registered.
    static REGISTERED: AtomicBool = AtomicBool::new(false);
}

/// Registers the at-exit join, once per process.
pub(crate) fn register() {
    if !REGISTERED.load(Ordering::Relaxed) && !REGISTERED.swap(true, Ordering::AcqRel) {
        // If `atexit` fails (it may only fail for lack of memory), threads are not waited for,
        // as with daemon threads.
        let _ = threading_core::process::at_exit(at_exit);
    }
}

/// The `atexit` handler.
extern "C" fn at_exit() {
    let _ = panic::catch_unwind(AssertUnwindSafe(join_non_daemon));
}

/// Finishes the exiting thread's record, then joins the non-daemon threads (see the module
/// documentation).
fn join_non_daemon() {
    let me = core_thread::current_id();
    let exiting = if core_thread::is_main_thread() {
        registry::existing_main()
    } else {
        registry::lookup(me).filter(|t| t.kind == Kind::Thread)
    };
    // Only this thread can finish its own record, so the phase cannot change under us.
    if let Some(inner) = exiting.filter(|t| t.phase() != FINISHED) {
        let outcome =
            if inner.kind == Kind::Main { Outcome::Returned(None) } else { Outcome::Exited };
        inner.data.with(|d| d.outcome = outcome);
        registry::finish(&inner);
        inner.finished.set();
    }
    loop {
        let waiting: Vec<Arc<Inner>> = registry::live()
            .into_iter()
            .filter(|t| t.kind == Kind::Thread && !t.daemon())
            .filter(|t| t.ident.load(Ordering::Acquire) != me)
            .collect();
        if waiting.is_empty() {
            return;
        }
        for t in waiting {
            t.finished.wait();
        }
    }
}
