//! Python's [`threading.Thread`] and the module functions around it, for Rust: [`Thread`] (with
//! its [`ThreadBuilder`] and the [`Run`] trait for its work), [`current_thread`], [`main_thread`],
//! [`enumerate`], [`active_count`], [`get_ident`], [`get_native_id`], [`stack_size`] /
//! [`set_stack_size`], [`TIMEOUT_MAX`], and the [`excepthook`] machinery ([`ExceptHookArgs`],
//! [`set_excepthook`], [`default_excepthook`]).
//!
//! Unlike [`std::thread`], a thread is an object first and a running thread second: it is
//! created, started once, joined by anyone any number of times (with timeouts), named,
//! listed in a registry while it runs, and a daemon or not; a program waits for its non-daemon
//! threads before it ends; a panic that ends a thread goes to the excepthook, once.
//!
//! Most users depend on the `threading` facade and write `threading::Thread`.
//!
//! [`threading.Thread`]: https://docs.python.org/3/library/threading.html#thread-objects
#![warn(missing_docs)]
#![deny(unused_must_use)]

extern crate alloc;

mod error;
mod excepthook;
mod guarded;
mod registry;
mod shutdown;
mod thread;

pub use error::{JoinError, StartError};
pub use excepthook::{
    ExceptHookArgs, PanicLocation, default_excepthook, excepthook, set_excepthook,
};
pub use registry::{
    MIN_STACK_SIZE, TIMEOUT_MAX, active_count, current_thread, enumerate, get_ident, get_native_id,
    live_records, main_thread, set_stack_size, stack_size,
};
pub use thread::{Run, Thread, ThreadBuilder};
pub use threading_core::error::{RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind};
pub use threading_core::thread::MAIN_ID;
