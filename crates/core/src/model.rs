//! The loom backend: a parking lot built from loom primitives and a virtual clock.
//!
//! Compiled only under `--cfg threading_loom`. Everything here is OS-layer substitution; no
//! algorithm of a primitive is duplicated. Loom tests reach loom itself through
//! [`model::loom`](loom) so that this crate stays the only one that names it.
//!
//! # Time in a model
//!
//! The clock starts at zero and moves only when a test calls [`clock::expire`] (jump to the end
//! of time: every timed wait, current or future, times out) or [`clock::advance`]. Spawn one
//! "clock thread" that calls `expire()` and loom places the timeout at every interleaving point.
//!
//! # Spurious wake-ups
//!
//! loom never wakes a parked thread spuriously. [`clock::spurious_wake_all`] does: every thread
//! parked at that moment returns [`ParkResult::Invalid`](park_types::ParkResult::Invalid)
//! without an unpark, and the algorithm must cope.

pub use loom;

use crate::time::Instant;
use loom::sync::Mutex;
use loom::sync::atomic::{AtomicU64, Ordering};

/// Mirrors of `parking_lot_core`'s token and result types.
pub mod park_types {
    /// Result of [`park`](crate::park::park).
    #[derive(Copy, Clone, Eq, PartialEq, Debug)]
    pub enum ParkResult {
        /// Unparked by another thread with the given token.
        Unparked(UnparkToken),
        /// `validate` returned false (or, in a model, a spurious wake-up).
        Invalid,
        /// The deadline passed.
        TimedOut,
    }

    impl ParkResult {
        /// Whether another thread unparked us.
        pub const fn is_unparked(self) -> bool {
            matches!(self, ParkResult::Unparked(_))
        }
    }

    /// Result of an unpark operation.
    #[derive(Copy, Clone, Default, Eq, PartialEq, Debug)]
    #[non_exhaustive]
    pub struct UnparkResult {
        /// Number of threads unparked.
        pub unparked_threads: usize,
        /// Number of threads requeued.
        pub requeued_threads: usize,
        /// Whether threads remain parked with the original key.
        pub have_more_threads: bool,
    }

    /// What `unpark_requeue` should do.
    #[derive(Copy, Clone, Eq, PartialEq, Debug)]
    pub enum RequeueOp {
        /// Do nothing.
        Abort,
        /// Unpark one thread and requeue the rest.
        UnparkOneRequeueRest,
        /// Requeue every thread.
        RequeueAll,
        /// Unpark one thread, leave the rest.
        UnparkOne,
        /// Requeue one thread, leave the rest.
        RequeueOne,
    }

    /// What `unpark_filter` should do with one thread.
    #[derive(Copy, Clone, Eq, PartialEq, Debug)]
    pub enum FilterOp {
        /// Unpark it and go on.
        Unpark,
        /// Leave it and go on.
        Skip,
        /// Leave it and stop.
        Stop,
    }

    /// A value passed from an unparker to the unparked thread.
    #[derive(Copy, Clone, Eq, PartialEq, Debug)]
    pub struct UnparkToken(pub usize);

    /// A value attached to a parked thread, seen by `unpark_filter`.
    #[derive(Copy, Clone, Eq, PartialEq, Debug)]
    pub struct ParkToken(pub usize);

    /// The default unpark token.
    pub const DEFAULT_UNPARK_TOKEN: UnparkToken = UnparkToken(0);
    /// The default park token.
    pub const DEFAULT_PARK_TOKEN: ParkToken = ParkToken(0);
}

use park_types::{FilterOp, ParkResult, ParkToken, RequeueOp, UnparkResult, UnparkToken};

struct Waiter {
    key: usize,
    id: u64,
    thread: loom::thread::Thread,
    token: ParkToken,
    deadline: Option<Instant>,
}

enum Outcome {
    Unparked(UnparkToken),
    Spurious,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    /// Parked threads in FIFO order.
    queue: Vec<Waiter>,
    /// Wake-ups decided by an unparker but not yet seen by the woken thread.
    outcomes: Vec<(u64, Outcome)>,
}

loom::lazy_static! {
    static ref REGISTRY: Mutex<Registry> = Mutex::new(Registry::default());
    static ref NOW: AtomicU64 = AtomicU64::new(0);
}

fn registry() -> loom::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn wake(threads: Vec<loom::thread::Thread>) {
    // Woken after the registry lock is released, as parking_lot_core does.
    for t in threads {
        t.unpark();
    }
}

/// The loom implementation of [`crate::park`].
pub(crate) mod park {
    use super::*;

    pub(crate) unsafe fn park(
        key: usize,
        validate: impl FnOnce() -> bool,
        before_sleep: impl FnOnce(),
        timed_out: impl FnOnce(usize, bool),
        park_token: ParkToken,
        deadline: Option<Instant>,
    ) -> ParkResult {
        let id = {
            let mut reg = registry();
            if !validate() {
                return ParkResult::Invalid;
            }
            let id = reg.next_id;
            reg.next_id += 1;
            reg.queue.push(Waiter {
                key,
                id,
                thread: loom::thread::current(),
                token: park_token,
                deadline,
            });
            id
        };
        before_sleep();
        let mut timed_out = Some(timed_out);
        loop {
            {
                let mut reg = registry();
                if let Some(pos) = reg.outcomes.iter().position(|(i, _)| *i == id) {
                    let (_, outcome) = reg.outcomes.remove(pos);
                    return match outcome {
                        Outcome::Unparked(token) => ParkResult::Unparked(token),
                        Outcome::Spurious => ParkResult::Invalid,
                    };
                }
                if let Some(d) = deadline
                    && clock::now_nanos() >= d.nanos
                {
                    let pos = reg
                        .queue
                        .iter()
                        .position(|w| w.id == id)
                        .expect("a parked thread is either queued or has an outcome");
                    reg.queue.remove(pos);
                    let was_last = !reg.queue.iter().any(|w| w.key == key);
                    (timed_out.take().expect("timed_out runs once"))(key, was_last);
                    return ParkResult::TimedOut;
                }
            }
            loom::thread::park();
        }
    }

    pub(crate) unsafe fn unpark_one(
        key: usize,
        callback: impl FnOnce(UnparkResult) -> UnparkToken,
    ) -> UnparkResult {
        let mut result = UnparkResult::default();
        let woken = {
            let mut reg = registry();
            match reg.queue.iter().position(|w| w.key == key) {
                Some(pos) => {
                    let w = reg.queue.remove(pos);
                    result.unparked_threads = 1;
                    result.have_more_threads = reg.queue.iter().any(|x| x.key == key);
                    let token = callback(result);
                    reg.outcomes.push((w.id, Outcome::Unparked(token)));
                    vec![w.thread]
                }
                None => {
                    callback(result);
                    Vec::new()
                }
            }
        };
        wake(woken);
        result
    }

    pub(crate) unsafe fn unpark_all(key: usize, unpark_token: UnparkToken) -> usize {
        let woken = {
            let mut reg = registry();
            let (matching, rest): (Vec<Waiter>, Vec<Waiter>) =
                std::mem::take(&mut reg.queue).into_iter().partition(|w| w.key == key);
            reg.queue = rest;
            let mut threads = Vec::with_capacity(matching.len());
            for w in matching {
                reg.outcomes.push((w.id, Outcome::Unparked(unpark_token)));
                threads.push(w.thread);
            }
            threads
        };
        let n = woken.len();
        wake(woken);
        n
    }

    pub(crate) unsafe fn unpark_filter(
        key: usize,
        mut filter: impl FnMut(ParkToken) -> FilterOp,
        callback: impl FnOnce(UnparkResult) -> UnparkToken,
    ) -> UnparkResult {
        let mut result = UnparkResult::default();
        let woken = {
            let mut reg = registry();
            let mut selected = Vec::new();
            let mut i = 0;
            while i < reg.queue.len() {
                if reg.queue[i].key != key {
                    i += 1;
                    continue;
                }
                match filter(reg.queue[i].token) {
                    FilterOp::Unpark => selected.push(reg.queue.remove(i)),
                    FilterOp::Skip => i += 1,
                    FilterOp::Stop => break,
                }
            }
            result.unparked_threads = selected.len();
            result.have_more_threads = reg.queue.iter().any(|w| w.key == key);
            let token = callback(result);
            let mut threads = Vec::with_capacity(selected.len());
            for w in selected {
                reg.outcomes.push((w.id, Outcome::Unparked(token)));
                threads.push(w.thread);
            }
            threads
        };
        wake(woken);
        result
    }

    pub(crate) unsafe fn unpark_requeue(
        key_from: usize,
        key_to: usize,
        validate: impl FnOnce() -> RequeueOp,
        callback: impl FnOnce(RequeueOp, UnparkResult) -> UnparkToken,
    ) -> UnparkResult {
        let mut result = UnparkResult::default();
        let woken = {
            let mut reg = registry();
            let op = validate();
            if op == RequeueOp::Abort {
                return result;
            }
            let mut wake_one = None;
            let mut requeued = Vec::new();
            let mut i = 0;
            while i < reg.queue.len() {
                if reg.queue[i].key != key_from {
                    i += 1;
                    continue;
                }
                let w = reg.queue.remove(i);
                let unpark_this =
                    matches!(op, RequeueOp::UnparkOneRequeueRest | RequeueOp::UnparkOne)
                        && wake_one.is_none();
                if unpark_this {
                    result.unparked_threads = 1;
                    wake_one = Some(w);
                } else {
                    result.requeued_threads += 1;
                    requeued.push(w);
                }
                if matches!(op, RequeueOp::UnparkOne | RequeueOp::RequeueOne) {
                    result.have_more_threads = reg.queue.iter().any(|w| w.key == key_from);
                    break;
                }
            }
            // Requeued threads join the back of the target queue, in their original order.
            for mut w in requeued {
                w.key = key_to;
                reg.queue.push(w);
            }
            let token = callback(op, result);
            match wake_one {
                Some(w) => {
                    reg.outcomes.push((w.id, Outcome::Unparked(token)));
                    vec![w.thread]
                }
                None => Vec::new(),
            }
        };
        wake(woken);
        result
    }
}

/// Test hooks that move the virtual clock or wake threads spuriously.
pub mod clock {
    use super::*;
    use std::time::Duration;

    pub(crate) fn now_nanos() -> u64 {
        NOW.load(Ordering::SeqCst)
    }

    /// Time runs out: every timed wait, current or later, times out.
    ///
    /// Call it from one "clock thread" so loom explores the timeout at every interleaving point.
    pub fn expire() {
        NOW.store(u64::MAX, Ordering::SeqCst);
        wake_timed(u64::MAX);
    }

    /// Moves the virtual clock forward by `d` and wakes the waiters whose deadline has passed.
    ///
    /// A deadline computed after the advance is relative to the new time.
    pub fn advance(d: Duration) {
        let add = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let now = NOW.load(Ordering::SeqCst).saturating_add(add);
        NOW.store(now, Ordering::SeqCst);
        wake_timed(now);
    }

    /// Wakes every parked thread without an unpark: each returns `ParkResult::Invalid`.
    pub fn spurious_wake_all() {
        let woken = {
            let mut reg = registry();
            let waiters = std::mem::take(&mut reg.queue);
            let mut threads = Vec::with_capacity(waiters.len());
            for w in waiters {
                reg.outcomes.push((w.id, Outcome::Spurious));
                threads.push(w.thread);
            }
            threads
        };
        wake(woken);
    }

    /// How many threads are parked right now (on any key).
    pub fn parked() -> usize {
        registry().queue.len()
    }

    fn wake_timed(now: u64) {
        let woken = {
            let reg = registry();
            reg.queue
                .iter()
                .filter(|w| w.deadline.is_some_and(|d| d.nanos <= now))
                .map(|w| w.thread.clone())
                .collect::<Vec<_>>()
        };
        wake(woken);
    }
}
