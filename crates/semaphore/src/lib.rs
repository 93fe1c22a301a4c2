//! Python's [`threading.Semaphore`] and [`threading.BoundedSemaphore`] for Rust:
//! [`Semaphore`], [`BoundedSemaphore`] and the permit guard [`SemaphoreGuard`] they share.
//!
//! A semaphore counts permits: [`acquire`](Semaphore::acquire) takes one, blocking while there
//! are none, and [`release`](Semaphore::release) gives one back (any thread may). The
//! uncontended paths are one atomic compare-exchange each, like `threading::Lock`; a thread
//! sleeps in the parking lot only when it has to wait, and waiting threads are woken in FIFO
//! order.
//!
//! Most users depend on the `threading` facade and write `threading::Semaphore`.
//!
//! [`threading.Semaphore`]: https://docs.python.org/3/library/threading.html#semaphore-objects
//! [`threading.BoundedSemaphore`]: https://docs.python.org/3/library/threading.html#threading.BoundedSemaphore
#![warn(missing_docs)]
#![deny(unused_must_use)]

mod bounded;
mod raw;
mod semaphore;

pub use bounded::BoundedSemaphore;
pub use semaphore::{Semaphore, SemaphoreGuard};
pub use threading_core::error::{ValueError, ValueErrorKind};
