//! Python's [`threading.local`] for Rust: [`Local<T>`](Local), an object with one value per
//! thread.
//!
//! Unlike `std::thread_local!`, whose keys are statics fixed at compile time, a `Local` is an
//! ordinary value: create as many as you like at run time, keep them in structs, share them
//! by `Arc`, and drop them, which drops every thread's value. A thread's value is dropped when
//! that thread exits. A new thread always starts from the initialiser, never from a value an
//! earlier thread left behind.
//!
//! Most users depend on the `threading` facade and write `threading::Local`.
//!
//! [`threading.local`]: https://docs.python.org/3/library/threading.html#thread-local-data
#![warn(missing_docs)]
#![deny(unused_must_use)]

extern crate alloc;

mod local;
mod table;

pub use local::Local;

/// Counters for the workspace's tests (not part of the API; may change at any time).
#[doc(hidden)]
pub mod __stats {
    /// How many threads currently have a table (threads that used a `Local` and have not
    /// exited).
    #[must_use]
    pub fn live_tables() -> usize {
        crate::table::REGISTRY.stats().0
    }

    /// How many `Local` ids are in use (`Local`s that some thread used and that are not
    /// dropped yet).
    #[must_use]
    pub fn ids_in_use() -> usize {
        crate::table::REGISTRY.stats().1
    }

    /// The highest `Local` id ever handed out (ids are reused, smallest first).
    #[must_use]
    pub fn id_high_water() -> usize {
        crate::table::REGISTRY.stats().2
    }
}
