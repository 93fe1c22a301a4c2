//! Internal core of the `threading` workspace: the only crate that touches the OS layer.
//!
//! Every primitive crate (`threading-lock`, `threading-rlock`, …) imports atomics, parking,
//! time and thread identity **only** from here. In a normal build each item is a zero-cost
//! re-export or `#[inline]` wrapper over `std` / [`parking_lot_core`]. Under
//! `RUSTFLAGS="--cfg threading_loom"` the same paths resolve to [loom] primitives, a loom-backed
//! parking lot with the same signatures, and a virtual clock, so the loom models in `tests/loom`
//! run **the algorithm code that ships**, not a twin of it.
//!
//! | module | production | under `threading_loom` |
//! |---|---|---|
//! | [`atomic`] | `std::sync::atomic` | `loom::sync::atomic` |
//! | [`cell`] | `UnsafeCell` wrapper with `with`/`with_mut` | `loom::cell::UnsafeCell` |
//! | [`park`] | `parking_lot_core::{park, unpark_*}` | a registry guarded by a loom `Mutex` |
//! | [`time`] | `std::time::Instant` | a virtual clock moved only by `clock::expire`/`advance` |
//! | [`thread`] | a per-thread id from a global counter | the loom thread's index |
//! | [`hint`] | `spin_loop` and a bounded spin-then-yield backoff | loom `yield_now` |
//!
//! `cargo xtask tidy` fails if algorithm code names `std::sync`, `parking_lot`,
//! `std::time::Instant` or loom directly.
//!
//! This crate is an implementation detail: its API may change in any release. Its error types
//! are re-exported by the primitive crates and by the `threading` facade, which is where users
//! should name them.
//!
//! [loom]: https://docs.rs/loom
//! [`parking_lot_core`]: https://docs.rs/parking_lot_core
#![warn(missing_docs)]

pub mod atomic;
pub mod cell;
pub mod error;
pub mod hint;
pub mod park;
pub mod thread;
pub mod time;

#[cfg(threading_loom)]
pub mod model;

/// Declares a constructor that is `const fn` in production and a plain `fn` under loom (whose
/// atomics cannot be created in a constant context).
///
/// # Examples
///
/// ```
/// use threading_core::{atomic::AtomicUsize, const_fn};
///
/// struct Counter(AtomicUsize);
/// impl Counter {
///     const_fn! {
///         /// A new counter at zero.
///         pub fn new() -> Counter { Counter(AtomicUsize::new(0)) }
///     }
/// }
/// assert_eq!(Counter::new().0.into_inner(), 0);
/// ```
#[macro_export]
macro_rules! const_fn {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($args:tt)*) -> $ret:ty $body:block) => {
        #[cfg(not(threading_loom))]
        $(#[$attr])*
        #[inline]
        $vis const fn $name($($args)*) -> $ret $body

        #[cfg(threading_loom)]
        $(#[$attr])*
        $vis fn $name($($args)*) -> $ret $body
    };
}
