//! The parking lot: block a thread on an address-sized key until another thread wakes it.
//!
//! Same signatures and semantics as [`parking_lot_core`]; in production every function here is
//! an `#[inline]` call straight into it. Under loom the same functions are backed by a registry
//! guarded by a loom `Mutex` (`threading_core::model`, compiled only under loom), which keeps `parking_lot_core`'s contract:
//!
//! * `validate` runs with the queue locked; if it returns `false` the thread does not sleep and
//!   gets [`ParkResult::Invalid`];
//! * `before_sleep` runs after the queue is unlocked, before sleeping;
//! * `timed_out(key, was_last_thread)` runs with the queue locked when the deadline passes;
//! * unpark callbacks run with the queue locked, and the woken threads are woken after it is
//!   unlocked; queues are FIFO.
//!
//! One addition: under loom, `model::clock::spurious_wake_all` makes parked threads return
//! [`ParkResult::Invalid`] without anyone unparking them. Algorithm code must treat `Invalid`
//! as "look at the state again", never as a wake-up with meaning.
//!
//! [`parking_lot_core`]: https://docs.rs/parking_lot_core
//!
//! # Safety
//!
//! The functions are `unsafe` for the same reasons as in `parking_lot_core`: only park on an
//! address you own, and the callbacks must not panic or call back into this module.

use crate::time::Instant;

#[cfg(not(threading_loom))]
pub use parking_lot_core::{
    DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, FilterOp, ParkResult, ParkToken, RequeueOp,
    UnparkResult, UnparkToken,
};

#[cfg(threading_loom)]
pub use crate::model::park_types::{
    DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, FilterOp, ParkResult, ParkToken, RequeueOp,
    UnparkResult, UnparkToken,
};

#[cfg(not(threading_loom))]
use parking_lot_core as imp;

#[cfg(threading_loom)]
use crate::model::park as imp;

/// Parks the current thread in the queue for `key` until unparked or until `deadline`.
///
/// # Safety
///
/// See the [module documentation](self).
#[inline]
pub unsafe fn park(
    key: usize,
    validate: impl FnOnce() -> bool,
    before_sleep: impl FnOnce(),
    timed_out: impl FnOnce(usize, bool),
    park_token: ParkToken,
    deadline: Option<Instant>,
) -> ParkResult {
    // SAFETY: forwarded contract, see the module documentation.
    unsafe { imp::park(key, validate, before_sleep, timed_out, park_token, deadline) }
}

/// Unparks the longest-parked thread in the queue for `key`, calling `callback` (queue locked)
/// with what was found.
///
/// # Safety
///
/// See the [module documentation](self).
#[inline]
pub unsafe fn unpark_one(
    key: usize,
    callback: impl FnOnce(UnparkResult) -> UnparkToken,
) -> UnparkResult {
    // SAFETY: forwarded contract, see the module documentation.
    unsafe { imp::unpark_one(key, callback) }
}

/// Unparks every thread in the queue for `key`; returns how many.
///
/// # Safety
///
/// See the [module documentation](self).
#[inline]
pub unsafe fn unpark_all(key: usize, unpark_token: UnparkToken) -> usize {
    // SAFETY: forwarded contract, see the module documentation.
    unsafe { imp::unpark_all(key, unpark_token) }
}

/// Unparks the threads in the queue for `key` that `filter` selects, in FIFO order.
///
/// # Safety
///
/// See the [module documentation](self).
#[inline]
pub unsafe fn unpark_filter(
    key: usize,
    filter: impl FnMut(ParkToken) -> FilterOp,
    callback: impl FnOnce(UnparkResult) -> UnparkToken,
) -> UnparkResult {
    // SAFETY: forwarded contract, see the module documentation.
    unsafe { imp::unpark_filter(key, filter, callback) }
}

/// Moves threads from the queue for `key_from` to the queue for `key_to`, optionally unparking
/// one of them first.
///
/// # Safety
///
/// See the [module documentation](self).
#[inline]
pub unsafe fn unpark_requeue(
    key_from: usize,
    key_to: usize,
    validate: impl FnOnce() -> RequeueOp,
    callback: impl FnOnce(RequeueOp, UnparkResult) -> UnparkToken,
) -> UnparkResult {
    // SAFETY: forwarded contract, see the module documentation.
    unsafe { imp::unpark_requeue(key_from, key_to, validate, callback) }
}
