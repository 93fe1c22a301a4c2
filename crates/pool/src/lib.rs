//! Python's [`concurrent.futures`] thread pool for Rust: [`ThreadPoolExecutor`], [`Future`],
//! [`wait`] and [`as_completed`].
//!
//! * [`ThreadPoolExecutor`] runs closures on a pool of worker threads that start lazily and
//!   are reused; [`submit`](ThreadPoolExecutor::submit) returns a [`Future`],
//!   [`map`](ThreadPoolExecutor::map) yields results in input order.
//! * [`Future`] is the eventual outcome of one task: wait for it
//!   ([`result`](Future::result)), cancel it while it is pending, or react to it with
//!   [`add_done_callback`](Future::add_done_callback). A task that panics does not take its
//!   worker down: the panic becomes the future's [`FutureError::Panicked`].
//! * [`wait`] splits futures into done and not done once the first completes, the first
//!   fails, or all complete ([`ReturnWhen`]); [`as_completed`] yields them as they finish.
//!
//! Most users depend on the `threading` facade and write `threading::futures::…`.
//!
//! ```
//! use threading::futures::{as_completed, ThreadPoolExecutor};
//!
//! let pool = ThreadPoolExecutor::new(4).unwrap();
//! let downloads: Vec<_> = ["a", "bb", "ccc"]
//!     .into_iter()
//!     .map(|url| pool.submit(move || url.len()).unwrap())
//!     .collect();
//! let total: usize = as_completed(&downloads).map(|f| *f.unwrap().result().unwrap()).sum();
//! assert_eq!(total, 6);
//! ```
//!
//! [`concurrent.futures`]: https://docs.python.org/3/library/concurrent.futures.html
#![warn(missing_docs)]
#![deny(unused_must_use)]

extern crate alloc;

mod error;
mod executor;
mod future;
mod report;
mod wait;

pub use error::{
    BrokenThreadPool, CancelledError, FutureError, InvalidStateError, SubmitError, TaskPanic,
    TimeoutError,
};
pub use executor::{InitializerResult, Map, ThreadPoolExecutor, ThreadPoolExecutorBuilder};
pub use future::Future;
pub use report::Unretrieved;
pub use threading_core::error::{RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind};
pub use wait::{
    AsCompleted, DoneAndNotDoneFutures, ReturnWhen, Waitable, as_completed, as_completed_deadline,
    as_completed_timeout, wait, wait_deadline, wait_timeout,
};
