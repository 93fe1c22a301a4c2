//! Python's [`threading.Event`] for Rust: [`Event`], a flag that threads can set, clear and
//! wait for.
//!
//! One thread signals an event and other threads wait for it: a start signal, a "done" flag, a
//! stop request. [`Event::set`] wakes every waiter, [`Event::clear`] makes later waits block
//! again, and the timed waits return whether the flag was set, as in Python.
//!
//! Most users depend on the `threading` facade and write `threading::Event`.
//!
//! [`threading.Event`]: https://docs.python.org/3/library/threading.html#event-objects
#![warn(missing_docs)]
#![deny(unused_must_use)]

mod event;

pub use event::Event;
