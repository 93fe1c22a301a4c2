//! The queue engines' parking: sleep on the address of an atomic while a `validate` holds,
//! wake one or all sleepers, and reset the engine's "a thread may be parked" flag (`clear`)
//! with the parking queue locked when its last sleeper leaves. [`crate::engine`] (its
//! epochs' `PARKED` bit) and [`crate::fifo`] (the ring's flags) both park through these.

use threading_core::atomic::AtomicUsize;
use threading_core::park::{self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN};
use threading_core::time::Instant;

/// The parking key of an atomic: its address.
#[inline]
pub(crate) fn key(word: &AtomicUsize) -> usize {
    std::ptr::from_ref(word).addr()
}

/// Sleeps on `key` if `validate` (run with the parking queue locked) still holds, until woken,
/// a spurious wake-up or `deadline`; the last sleeper to leave on a timeout runs `clear` (its
/// flag's reset). The caller then looks at the state again: the result carries no meaning.
pub(crate) fn sleep(
    key: usize,
    validate: impl FnOnce() -> bool,
    clear: impl FnOnce(),
    deadline: Option<Instant>,
) {
    let timed_out = |_, was_last_thread: bool| {
        if was_last_thread {
            clear();
        }
    };
    // SAFETY: callers pass the address of an atomic their engine owns, which no other
    // primitive parks on; the callbacks only touch that engine's atomics and cannot panic.
    unsafe {
        park::park(key, validate, || {}, timed_out, DEFAULT_PARK_TOKEN, deadline);
    }
}

/// Wakes one sleeper on `key` (Python's `notify()`); runs `clear`, with the parking queue
/// locked, if nobody is left asleep there.
#[inline]
pub(crate) fn wake_one(key: usize, clear: impl FnOnce()) {
    let callback = |result: park::UnparkResult| {
        if !result.have_more_threads {
            clear();
        }
        DEFAULT_UNPARK_TOKEN
    };
    // SAFETY: our own key (see `sleep`); the callback only touches our atomics.
    unsafe {
        park::unpark_one(key, callback);
    }
}

/// Wakes every sleeper on `key` (Python's `notify_all()`) and runs `clear`, with the parking
/// queue locked.
pub(crate) fn wake_all(key: usize, clear: impl FnOnce()) {
    let callback = |_: park::UnparkResult| {
        clear();
        DEFAULT_UNPARK_TOKEN
    };
    // SAFETY: our own key (see `sleep`); the filter and callback only touch our atomics.
    unsafe {
        park::unpark_filter(key, |_| park::FilterOp::Unpark, callback);
    }
}
