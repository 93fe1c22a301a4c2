//! Atomic types: `std::sync::atomic` in production, `loom::sync::atomic` in a model.
//!
//! Algorithm code must take its atomics from here; `cargo xtask tidy` rejects a direct
//! `std::sync::atomic` import anywhere else.

#[cfg(not(threading_loom))]
pub use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicIsize, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, AtomicUsize,
    Ordering, fence,
};

#[cfg(threading_loom)]
pub use loom::sync::atomic::{
    AtomicBool, AtomicI64, AtomicIsize, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, AtomicUsize,
    Ordering, fence,
};
