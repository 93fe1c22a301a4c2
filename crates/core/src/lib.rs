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
//! | [`process`] | C `atexit`, a chained panic hook | no-ops |
//! | [`stats`] | a `std` atomic counter | the same (not modelled) |
//! | [`hint`] | `spin_loop`, a bounded spin-then-yield backoff, [`CachePadded`](hint::CachePadded) | loom `yield_now`; the same padding |
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
pub mod process;
pub mod stats;
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

/// Declares a `static` whose initialiser is a constant expression in production; under loom it
/// becomes a lazily initialised value that is created afresh in every model execution (loom
/// objects cannot live in a plain `static`).
///
/// Use it for process-wide state that algorithm code owns, such as a registry guarded by a
/// `Lock`. Reach the value through `&*NAME` or auto-deref (`NAME.method()`).
///
/// # Examples
///
/// ```
/// use threading_core::{atomic::{AtomicUsize, Ordering}, global};
///
/// global! {
///     /// How many widgets exist.
///     static WIDGETS: AtomicUsize = AtomicUsize::new(0);
/// }
/// WIDGETS.fetch_add(1, Ordering::Relaxed);
/// assert_eq!(WIDGETS.load(Ordering::Relaxed), 1);
/// ```
#[macro_export]
macro_rules! global {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(threading_loom))]
        $(#[$attr])*
        $vis static $name: $t = $init;

        #[cfg(threading_loom)]
        #[allow(non_camel_case_types, missing_debug_implementations, unreachable_pub)]
        $(#[$attr])*
        $vis struct $name {
            __private: (),
        }

        #[cfg(threading_loom)]
        $(#[$attr])*
        $vis static $name: $name = $name { __private: () };

        #[cfg(threading_loom)]
        impl ::core::ops::Deref for $name {
            type Target = $t;
            fn deref(&self) -> &$t {
                fn init() -> $t {
                    $init
                }
                static LAZY: $crate::model::loom::lazy_static::Lazy<$t> =
                    $crate::model::loom::lazy_static::Lazy {
                        init,
                        _p: ::core::marker::PhantomData,
                    };
                LAZY.get()
            }
        }
    };
}

/// Declares a thread-local: `std::thread_local!` in production, `loom::thread_local!` (one value
/// per model thread, dropped when that thread ends) under loom.
///
/// Only [`LocalKey::with`](std::thread::LocalKey::with) and
/// [`LocalKey::try_with`](std::thread::LocalKey::try_with) may be used on the key (with
/// `try_with(..).ok()`, since the two error types differ), as that is all loom's keys offer. `= const { … }` initialisers are accepted and become plain initialisers
/// under loom, which has no `const` form.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
///
/// threading_core::thread_local! {
///     static DEPTH: Cell<usize> = const { Cell::new(0) };
/// }
/// DEPTH.with(|d| d.set(d.get() + 1));
/// assert_eq!(DEPTH.with(Cell::get), 1);
/// ```
#[macro_export]
macro_rules! thread_local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const $init:block;) => {
        #[cfg(not(threading_loom))]
        ::std::thread_local! {
            $(#[$attr])* $vis static $name: $t = const $init;
        }
        #[cfg(threading_loom)]
        $crate::model::loom::thread_local! {
            $(#[$attr])* $vis static $name: $t = $init;
        }
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(threading_loom))]
        ::std::thread_local! {
            $(#[$attr])* $vis static $name: $t = $init;
        }
        #[cfg(threading_loom)]
        $crate::model::loom::thread_local! {
            $(#[$attr])* $vis static $name: $t = $init;
        }
    };
}
