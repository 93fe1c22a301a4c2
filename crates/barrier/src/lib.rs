//! Python's [`threading.Barrier`] for Rust: [`Barrier`], its [`BarrierBuilder`], and
//! [`BrokenBarrierError`].
//!
//! A barrier makes a fixed number of threads wait for each other, then releases them all
//! together, round after round. Unlike `std::sync::Barrier` it has timeouts, `abort` and
//! `reset`, a broken state, an action run by the last thread to arrive, and per-thread arrival
//! indices.
//!
//! Most users depend on the `threading` facade and write `threading::Barrier`.
//!
//! [`threading.Barrier`]: https://docs.python.org/3/library/threading.html#barrier-objects
#![warn(missing_docs)]
#![deny(unused_must_use)]

mod barrier;
mod error;

pub use barrier::{Barrier, BarrierBuilder};
pub use error::BrokenBarrierError;
pub use threading_core::error::{ValueError, ValueErrorKind};
