//! Thread identity and yielding, correct under loom.
//!
//! [`current_id`] gives the calling thread a nonzero `usize` that no other thread of the process
//! ever gets, not even after this one exits (a global counter, cached in a thread-local). That is
//! stronger than the address-of-a-thread-local trick (`parking_lot`'s `RawThreadId`), whose
//! addresses are reused by later threads: an `RLock` left held by a dead thread would then look
//! owned by a new thread. Under loom each model thread gets its own id (its loom index + 1).

/// The calling thread's identifier: nonzero, never reused within the process.
///
/// # Examples
///
/// ```
/// let me = threading_core::thread::current_id();
/// assert_ne!(me, 0);
/// assert_eq!(me, threading_core::thread::current_id());
/// let other = std::thread::spawn(threading_core::thread::current_id).join().unwrap();
/// assert_ne!(me, other);
/// ```
#[inline]
#[must_use]
pub fn current_id() -> usize {
    imp::current_id()
}

/// Gives up the rest of this time slice (lets another model thread run under loom).
#[inline]
pub fn yield_now() {
    #[cfg(not(threading_loom))]
    std::thread::yield_now();
    #[cfg(threading_loom)]
    loom::thread::yield_now();
}

#[cfg(not(threading_loom))]
mod imp {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

    std::thread_local! {
        // A `const` initialiser and no destructor: the fastest kind of thread-local, valid
        // even while other thread-locals are being destroyed.
        static ID: Cell<usize> = const { Cell::new(0) };
    }

    #[inline]
    pub(super) fn current_id() -> usize {
        ID.with(|id| {
            let v = id.get();
            if v != 0 { v } else { assign(id) }
        })
    }

    #[cold]
    fn assign(id: &Cell<usize>) -> usize {
        // Relaxed is enough: uniqueness comes from the atomicity of the increment alone.
        let v = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        assert!(v != 0 && v != usize::MAX, "thread id counter overflowed");
        id.set(v);
        v
    }
}

#[cfg(threading_loom)]
mod imp {
    pub(super) fn current_id() -> usize {
        // loom's ThreadId has no numeric accessor, but its Debug form is `ThreadId(<index>)`,
        // which is deterministic within an execution and needs no extra loom operation.
        let text = format!("{:?}", loom::thread::current().id());
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        digits.parse::<usize>().expect("unexpected loom ThreadId format") + 1
    }
}
