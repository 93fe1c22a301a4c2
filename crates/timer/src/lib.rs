//! Python's [`threading.Timer`] for Rust: [`Timer`], a thread that calls a function once an
//! interval has passed, unless it is [cancelled](Timer::cancel) first, and its
//! [`TimerBuilder`].
//!
//! A `Timer` is a [`Thread`](threading_thread::Thread) (it dereferences to one), so it has a
//! name, an ident, a daemon flag, `is_alive` and the joins.
//!
//! Most users depend on the `threading` facade and write `threading::Timer`.
//!
//! [`threading.Timer`]: https://docs.python.org/3/library/threading.html#timer-objects
#![warn(missing_docs)]
#![deny(unused_must_use)]

extern crate alloc;

mod timer;

pub use timer::{Timer, TimerBuilder};
