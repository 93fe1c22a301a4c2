//! [`Condition`]: Python's `threading.Condition`, a lock plus a FIFO queue of waiting threads.
//!
//! # Implementation details
//!
//! Each waiting thread owns a [`Node`] on its own stack and links it into an intrusive, doubly
//! linked FIFO queue (`head`, `tail`, and the nodes' `prev`/`next`). The links are guarded by
//! an internal [`Lock`] (`queue`), never by the user's lock: over a plain `Lock`, "owning" the
//! lock only means "it is locked", so two threads may both pass the ownership check.
//!
//! A node's `state` goes `WAITING → NOTIFIED` (a notifier popped it) or
//! `WAITING → CANCELLED` (its waiter timed out and unlinked it). Both transitions happen with
//! `queue` held, so a node in the queue is always `WAITING`, and exactly one of "notified" and
//! "timed out" wins for each waiter.
//!
//! **Wait.** Check ownership, push the node (under `queue`), *then* release the user's lock
//! completely ([`Lockable::release_save`]). A notify that happens between the release and the
//! sleep therefore still finds the node. The waiter spins for a moment watching the node's
//! state ([`AdaptiveSpin`]: a few rounds of `spin_loop` and `yield_now`, then more yields for
//! as long as the condition's learned budget allows), then parks on the node's address, with
//! `validate` checking that the node is still `WAITING`, so the notifier's state change either
//! happens before `validate` (no sleep) or finds the thread parked (it is unparked). A wake-up
//! of any other kind (`ParkResult::Invalid`, a spurious wake-up) just re-checks the state and
//! parks again; only `NOTIFIED` or the deadline ends the loop. On the deadline the waiter takes
//! `queue`: if its node was notified meanwhile it reports `true`, otherwise it unlinks the node
//! and reports `false`. Finally it restores the user's lock ([`Lockable::acquire_restore`]).
//!
//! The spin is for hand-offs between threads that are both running, such as a ping-pong. A
//! fixed spin of a few microseconds is shorter than a virtual machine's wake-up latency (about
//! 10 µs on a 2-core VM): once one side parks, the other's spin runs out before the wake-up
//! arrives, so both sides park on every round, and a round trip costs two wake-ups (16–24 µs,
//! as `parking_lot`'s condition, which never spins, pays on every round). So the budget
//! adapts: a park that a notify ended soon (within 50 µs) raises it to 1.5× that wait, and a
//! long or timed-out wait halves it. A ping-pong then parks once and spins from then on
//! (about 1 µs a round trip, against `parking_lot`'s 17 µs in the same run), and a consumer
//! whose waits last milliseconds is back to the short spin after a few waits. The spin only
//! reads the state, so it changes no outcome: a node seen `NOTIFIED` while spinning is
//! settled exactly like one seen `NOTIFIED` after an `Invalid` park.
//!
//! **Notify.** Check ownership, then read `head`: no waiters means no further work (one load,
//! no lock). Otherwise, with `queue` held, pop up to `n` nodes; for each, read what is needed
//! (its address) first, then store `NOTIFIED` (after which the waiter may return and free the
//! node, so the notifier never touches it again) and unpark the node's address.
//!
//! **Node lifetime.** A waiter returns only when no notifier can still use its node: a node
//! that was unlinked by its own waiter is unreachable; a notified waiter either got the
//! notifier's unpark (so that unpark is done), or it takes and releases `queue` once before
//! returning, which waits for the notifier's critical section, unpark included, to finish.
//! So no unpark ever targets a node address after its waiter has returned, and a later park on
//! the same stack address cannot receive a stale wake-up. A guard unlinks the node and restores
//! the lock if anything unwinds in between.
//!
//! `head` is an atomic so that the no-waiter check of `notify` needs no lock. It is written
//! only under `queue`; a notifier that really holds the user's lock sees every node pushed
//! before the waiter released that lock (the lock's release/acquire orders them).

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr;
use std::time::Duration;

use threading_core::atomic::{AtomicPtr, AtomicU8, Ordering};
use threading_core::cell::UnsafeCell;
use threading_core::error::{RuntimeError, RuntimeErrorKind};
use threading_core::hint::AdaptiveSpin;
use threading_core::park::{self, DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, ParkResult};
use threading_core::time::{self, Instant};
use threading_lock::{Lock, Lockable};
use threading_rlock::RLock;

/// The node is in the queue; its thread is waiting (or about to).
const WAITING: u8 = 0;
/// A notifier took the node out of the queue: its wait returns `true`.
const NOTIFIED: u8 = 1;
/// The waiter gave up (deadline, or unwinding) and took its node out of the queue itself.
const CANCELLED: u8 = 2;

/// One waiting thread's entry in the queue; lives on that thread's stack.
struct Node {
    /// Previous node (towards `head`); guarded by `Condition::queue`.
    prev: UnsafeCell<*mut Node>,
    /// Next node (towards `tail`); guarded by `Condition::queue`.
    next: UnsafeCell<*mut Node>,
    /// `WAITING`, `NOTIFIED` or `CANCELLED`; changed only with `Condition::queue` held.
    state: AtomicU8,
}

impl Node {
    fn new() -> Node {
        Node {
            prev: UnsafeCell::new(ptr::null_mut()),
            next: UnsafeCell::new(ptr::null_mut()),
            state: AtomicU8::new(WAITING),
        }
    }

    /// The parking key: the node's address.
    #[inline]
    fn key(&self) -> usize {
        ptr::from_ref(self).addr()
    }
}

/// A condition variable: Python's [`threading.Condition`].
///
/// A `Condition` lets threads wait until some state, protected by its lock, becomes true, and
/// lets the thread that changes the state wake them. It owns (or borrows, or shares) a lock `L`:
/// an [`RLock`] by default ([`Condition::new`]), or any [`Lockable`] given to
/// [`Condition::with_lock`]: a [`Lock`], an `Arc<RLock>` or a `&Lock` shared by several
/// conditions.
///
/// * The lock: [`acquire`](Condition::acquire), [`release`](Condition::release) and their
///   variants act on the underlying lock, and [`lock`](Condition::lock) returns a
///   [`ConditionGuard`] (`with cond:`).
/// * Waiting: [`wait`](Condition::wait), [`wait_timeout`](Condition::wait_timeout),
///   [`wait_deadline`](Condition::wait_deadline) release the lock completely (every level of an
///   `RLock`), sleep until notified or out of time, and re-acquire it exactly as it was.
///   [`wait_for`](Condition::wait_for) and its timed forms loop until a predicate holds.
/// * Waking: [`notify`](Condition::notify), [`notify_n`](Condition::notify_n) and
///   [`notify_all`](Condition::notify_all) wake waiters in the order they started waiting.
///
/// All waiting and notifying methods require the calling thread to hold the lock, and return
/// [`RuntimeError`] otherwise. The guard dereferences to the `Condition`, so inside a
/// `let guard = cond.lock();` block both `guard.wait()` and `cond.wait()` work.
///
/// # Examples
///
/// A producer and a consumer:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// use std::thread;
/// use threading::Condition;
///
/// let cond = Arc::new(Condition::new());
/// let items = Arc::new(AtomicUsize::new(0)); // protected by the condition's lock
///
/// let (c, i) = (Arc::clone(&cond), Arc::clone(&items));
/// let consumer = thread::spawn(move || {
///     let guard = c.lock(); // with cond:
///     guard.wait_for(|| i.load(Relaxed) > 0).unwrap(); // while not an_item_is_available(): wait()
///     i.fetch_sub(1, Relaxed)
/// });
///
/// {
///     let guard = cond.lock();
///     items.fetch_add(1, Relaxed); // make_an_item_available()
///     guard.notify().unwrap();
/// }
/// assert_eq!(consumer.join().unwrap(), 1);
/// ```
///
/// # Differences from Python
///
/// * `wait(timeout)` is [`wait_timeout`](Condition::wait_timeout) (plus
///   [`wait_deadline`](Condition::wait_deadline)); `wait_for(pred, timeout)` is
///   [`wait_for_timeout`](Condition::wait_for_timeout). A timeout too large to represent waits
///   forever instead of raising `OverflowError`; negative and NaN timeouts cannot be expressed.
/// * `notify(n)` is [`notify_n`](Condition::notify_n); `notify()` stays
///   [`notify`](Condition::notify).
/// * [`wait_for`](Condition::wait_for) takes a `FnMut() -> bool` and returns its last value,
///   where Python returns the predicate's own (truthy or falsy) object. Capture a value in the
///   closure to get more than a `bool` out.
/// * A timed waiter that is notified at the moment its time runs out reports `true`, and the
///   notification is not lost. In CPython such a waiter can consume the notification and still
///   report `False`.
/// * The deprecated `notifyAll` alias is not provided. `_is_owned()` is
///   [`Lockable::is_owned`] on [`lock_ref`](Condition::lock_ref).
///
/// # Fairness
///
/// Waiters are notified in FIFO order, as in CPython. Once notified they compete for the lock
/// with every other thread, so the order in which they *return* is up to the lock.
///
/// [`threading.Condition`]: https://docs.python.org/3/library/threading.html#condition-objects
pub struct Condition<L: Lockable = RLock> {
    /// The user's lock.
    lock: L,
    /// Guards the waiter queue: `tail`, every write to `head`, and the nodes' links and states.
    queue: Lock,
    /// First (longest-waiting) node, or null. Written only with `queue` held.
    head: AtomicPtr<Node>,
    /// Last node, or null; guarded by `queue`.
    tail: UnsafeCell<*mut Node>,
    /// How long a waiter spins before it parks, adapted to how soon notifies come.
    spin: AdaptiveSpin,
}

// SAFETY: the raw node pointers are only dereferenced with `queue` held, and a node stays alive
// while it is linked (see the module documentation), so sharing a `Condition` only needs `L` to
// be shareable.
unsafe impl<L: Lockable + Sync> Sync for Condition<L> {}
// SAFETY: moving a `Condition` moves the lock and an empty queue (a non-empty queue means some
// thread borrows the condition, so it cannot be moved).
unsafe impl<L: Lockable + Send> Send for Condition<L> {}
// No poisoning: a panic never leaves the queue half-updated (guards unlink nodes on unwind).
impl<L: Lockable + std::panic::RefUnwindSafe> std::panic::RefUnwindSafe for Condition<L> {}
impl<L: Lockable + std::panic::UnwindSafe> std::panic::UnwindSafe for Condition<L> {}

impl Condition<RLock> {
    threading_core::const_fn! {
        /// Creates a condition over a new [`RLock`]: Python's `Condition()`.
        ///
        /// `const`, so a `Condition` can live in a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use threading::Condition;
        ///
        /// static COND: Condition = Condition::new();
        /// COND.acquire();
        /// COND.acquire(); // the default lock is reentrant
        /// COND.release().unwrap();
        /// COND.release().unwrap();
        /// ```
        pub fn new() -> Condition<RLock> {
            Condition::with_lock(RLock::new())
        }
    }
}

impl Default for Condition<RLock> {
    /// A condition over a new [`RLock`].
    fn default() -> Condition<RLock> {
        Condition::new()
    }
}

impl<L: Lockable> Condition<L> {
    threading_core::const_fn! {
        /// Creates a condition over `lock`: Python's `Condition(lock)`.
        ///
        /// Pass a reference or an `Arc` to share one lock between several conditions (both
        /// implement [`Lockable`]).
        ///
        /// # Examples
        ///
        /// ```
        /// use threading::{Condition, Lock};
        ///
        /// let lock = Lock::new();
        /// let not_empty = Condition::with_lock(&lock);
        /// let not_full = Condition::with_lock(&lock);
        /// not_empty.acquire();
        /// assert!(lock.locked());
        /// assert!(!not_full.try_acquire()); // same lock
        /// not_empty.release().unwrap();
        /// ```
        pub fn with_lock(lock: L) -> Condition<L> {
            Condition {
                lock,
                queue: Lock::new(),
                head: AtomicPtr::new(ptr::null_mut()),
                spin: AdaptiveSpin::new(),
                tail: UnsafeCell::new(ptr::null_mut()),
            }
        }
    }

    /// The underlying lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Condition, Lock};
    ///
    /// let cond = Condition::with_lock(Lock::new());
    /// let _g = cond.lock();
    /// assert!(cond.lock_ref().locked());
    /// ```
    #[inline]
    #[must_use]
    pub fn lock_ref(&self) -> &L {
        &self.lock
    }

    /// Consumes the condition and returns its lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Condition, Lock};
    ///
    /// let lock: Lock = Condition::with_lock(Lock::new()).into_lock();
    /// assert!(!lock.locked());
    /// ```
    #[inline]
    #[must_use]
    pub fn into_lock(self) -> L {
        self.lock
    }

    /// Acquires the underlying lock, blocking: Python's `acquire()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// cond.acquire();
    /// assert!(cond.lock_ref().is_owned());
    /// cond.release().unwrap();
    /// ```
    #[inline]
    pub fn acquire(&self) {
        self.lock.acquire();
    }

    /// Acquires the underlying lock if that is possible without blocking: Python's
    /// `acquire(False)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Condition, Lock};
    ///
    /// let cond = Condition::with_lock(Lock::new());
    /// assert!(cond.try_acquire());
    /// assert!(!cond.try_acquire()); // a Lock is not reentrant
    /// cond.release().unwrap();
    /// ```
    #[inline]
    #[must_use = "if the lock was acquired it must be released"]
    pub fn try_acquire(&self) -> bool {
        self.lock.try_acquire()
    }

    /// Acquires the underlying lock, waiting at most `timeout`: Python's
    /// `acquire(timeout=t)`. A zero timeout is a single try; a timeout too large to represent
    /// waits forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// assert!(cond.acquire_timeout(Duration::from_millis(10)));
    /// cond.release().unwrap();
    /// ```
    #[inline]
    #[must_use = "if the lock was acquired it must be released"]
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        if timeout.is_zero() {
            return self.lock.try_acquire();
        }
        self.lock.acquire_until(time::deadline_after(timeout))
    }

    /// Acquires the underlying lock, waiting until `deadline` at the latest.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// assert!(cond.acquire_deadline(Instant::now() + Duration::from_millis(10)));
    /// cond.release().unwrap();
    /// ```
    #[inline]
    #[must_use = "if the lock was acquired it must be released"]
    pub fn acquire_deadline(&self, deadline: Instant) -> bool {
        self.lock.acquire_until(Some(deadline))
    }

    /// Releases the underlying lock (one level of an `RLock`): Python's `release()`.
    ///
    /// # Errors
    ///
    /// The lock's own [`RuntimeError`]: "release unlocked lock" for a `Lock`,
    /// "cannot release un-acquired lock" for an `RLock` the caller does not own.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// assert!(cond.release().is_err());
    /// cond.acquire();
    /// assert!(cond.release().is_ok());
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), RuntimeError> {
        self.lock.release()
    }

    /// Acquires the underlying lock and returns a guard that releases it when dropped:
    /// `with cond:`.
    ///
    /// The guard dereferences to the condition, so `guard.wait()` and `guard.notify()` work.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// {
    ///     let guard = cond.lock();
    ///     guard.notify_all().unwrap(); // nobody waits: nothing happens
    /// } // released here, also on panic
    /// assert!(cond.release().is_err());
    /// ```
    #[inline]
    pub fn lock(&self) -> ConditionGuard<'_, L> {
        self.acquire();
        ConditionGuard::new(self)
    }

    /// Takes the underlying lock if it is free right now and returns its guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Condition, Lock};
    ///
    /// let cond = Condition::with_lock(Lock::new());
    /// let g = cond.try_lock().expect("free");
    /// assert!(cond.try_lock().is_none());
    /// drop(g);
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<ConditionGuard<'_, L>> {
        if self.try_acquire() { Some(ConditionGuard::new(self)) } else { None }
    }

    /// Takes the underlying lock, waiting at most `timeout`, and returns its guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::{Condition, Lock};
    ///
    /// let cond = Condition::with_lock(Lock::new());
    /// let _g = cond.lock_timeout(Duration::from_millis(5)).expect("free");
    /// assert!(cond.lock_timeout(Duration::from_millis(5)).is_none());
    /// ```
    #[inline]
    pub fn lock_timeout(&self, timeout: Duration) -> Option<ConditionGuard<'_, L>> {
        if self.acquire_timeout(timeout) { Some(ConditionGuard::new(self)) } else { None }
    }

    /// Takes the underlying lock, waiting until `deadline` at the latest, and returns its
    /// guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// assert!(cond.lock_deadline(Instant::now() + Duration::from_millis(5)).is_some());
    /// ```
    #[inline]
    pub fn lock_deadline(&self, deadline: Instant) -> Option<ConditionGuard<'_, L>> {
        if self.acquire_deadline(deadline) { Some(ConditionGuard::new(self)) } else { None }
    }

    /// Waits until notified: Python's `wait()`.
    ///
    /// Releases the lock completely (all recursion levels of an `RLock`), sleeps until another
    /// thread calls [`notify`](Condition::notify) or [`notify_all`](Condition::notify_all)
    /// and this thread is among the woken, then re-acquires the lock as it was held before.
    /// There are no spurious wake-ups: `wait` returns only after a notification.
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] of kind [`WaitUnacquired`](RuntimeErrorKind::WaitUnacquired)
    /// ("cannot wait on un-acquired lock") if the calling thread does not hold the lock (for a
    /// `Lock`: if it is not locked). Nothing is changed then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::thread;
    /// use threading::Condition;
    ///
    /// let cond = Arc::new(Condition::new());
    /// assert!(cond.wait().is_err()); // not holding the lock
    ///
    /// let guard = cond.lock();
    /// let c = Arc::clone(&cond);
    /// let notifier = thread::spawn(move || c.lock().notify().unwrap());
    /// guard.wait().unwrap(); // releases the lock, so the notifier can take it
    /// drop(guard);
    /// notifier.join().unwrap();
    /// ```
    #[inline]
    pub fn wait(&self) -> Result<(), RuntimeError> {
        self.wait_until(None).map(|notified| debug_assert!(notified))
    }

    /// Waits until notified or until `timeout` has passed: Python's `wait(timeout)`.
    ///
    /// Returns `true` if notified, `false` on timeout. A zero timeout still releases and
    /// re-acquires the lock. A timeout too large to represent waits forever.
    ///
    /// # Errors
    ///
    /// As [`wait`](Condition::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// let guard = cond.lock();
    /// assert_eq!(guard.wait_timeout(Duration::from_millis(10)), Ok(false)); // nobody notified
    /// ```
    #[inline]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool, RuntimeError> {
        self.wait_until(time::deadline_after(timeout))
    }

    /// Waits until notified or until `deadline`.
    ///
    /// Returns `true` if notified, `false` if the deadline passed first.
    ///
    /// # Errors
    ///
    /// As [`wait`](Condition::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// let guard = cond.lock();
    /// let deadline = Instant::now() + Duration::from_millis(10);
    /// assert_eq!(guard.wait_deadline(deadline), Ok(false));
    /// ```
    #[inline]
    pub fn wait_deadline(&self, deadline: Instant) -> Result<bool, RuntimeError> {
        self.wait_until(Some(deadline))
    }

    /// Waits until `predicate` returns `true`: Python's `wait_for(predicate)`.
    ///
    /// Evaluates `predicate` (with the lock held) and, while it is `false`, waits for a
    /// notification and evaluates it again. Returns its last value, which is always `true`.
    ///
    /// # Errors
    ///
    /// As [`wait`](Condition::wait), but only if it has to wait: if `predicate` is already true
    /// the lock is not checked (as in CPython).
    ///
    /// # Panics
    ///
    /// If `predicate` panics, the panic propagates with the lock held as it was when
    /// `wait_for` was called (a guard releases it as it unwinds).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    /// use std::thread;
    /// use threading::Condition;
    ///
    /// let cond = Arc::new(Condition::new());
    /// let ready = Arc::new(AtomicBool::new(false));
    /// let (c, r) = (Arc::clone(&cond), Arc::clone(&ready));
    /// let t = thread::spawn(move || {
    ///     let guard = c.lock();
    ///     r.store(true, Relaxed);
    ///     guard.notify_all().unwrap();
    /// });
    /// let guard = cond.lock();
    /// assert_eq!(guard.wait_for(|| ready.load(Relaxed)), Ok(true));
    /// # drop(guard); t.join().unwrap();
    /// ```
    #[inline]
    pub fn wait_for(&self, predicate: impl FnMut() -> bool) -> Result<bool, RuntimeError> {
        self.wait_for_until(predicate, None)
    }

    /// Waits until `predicate` returns `true` or `timeout` has passed: Python's
    /// `wait_for(predicate, timeout)`.
    ///
    /// `timeout` is one budget for the whole call, not restarted after each wake-up. Returns
    /// the predicate's last value: `false` means time ran out. With a zero timeout the
    /// predicate is evaluated, the lock is released and re-acquired once, and the predicate is
    /// evaluated again (as in CPython).
    ///
    /// # Errors
    ///
    /// As [`wait_for`](Condition::wait_for).
    ///
    /// # Panics
    ///
    /// As [`wait_for`](Condition::wait_for).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// let guard = cond.lock();
    /// let mut calls = 0;
    /// let r = guard.wait_for_timeout(|| { calls += 1; false }, Duration::from_millis(10));
    /// assert_eq!(r, Ok(false));
    /// assert!(calls >= 2);
    /// ```
    #[inline]
    pub fn wait_for_timeout(
        &self,
        predicate: impl FnMut() -> bool,
        timeout: Duration,
    ) -> Result<bool, RuntimeError> {
        self.wait_for_until(predicate, time::deadline_after(timeout))
    }

    /// Waits until `predicate` returns `true` or `deadline` has passed.
    ///
    /// As [`wait_for_timeout`](Condition::wait_for_timeout); a deadline already in the past
    /// behaves like a zero timeout.
    ///
    /// # Errors
    ///
    /// As [`wait_for`](Condition::wait_for).
    ///
    /// # Panics
    ///
    /// As [`wait_for`](Condition::wait_for).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// let guard = cond.lock();
    /// let deadline = Instant::now() + Duration::from_millis(10);
    /// assert_eq!(guard.wait_for_deadline(|| false, deadline), Ok(false));
    /// ```
    #[inline]
    pub fn wait_for_deadline(
        &self,
        predicate: impl FnMut() -> bool,
        deadline: Instant,
    ) -> Result<bool, RuntimeError> {
        self.wait_for_until(predicate, Some(deadline))
    }

    /// Wakes the longest-waiting thread, if any: Python's `notify()`.
    ///
    /// The woken thread returns from its wait only once it has re-acquired the lock, so
    /// usually after the caller releases it.
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] of kind [`NotifyUnacquired`](RuntimeErrorKind::NotifyUnacquired)
    /// ("cannot notify on un-acquired lock") if the calling thread does not hold the lock (for
    /// a `Lock`: if it is not locked). Nobody is woken then.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::{Condition, RuntimeErrorKind};
    ///
    /// let cond = Condition::new();
    /// let err = cond.notify().unwrap_err();
    /// assert_eq!(err.kind(), RuntimeErrorKind::NotifyUnacquired);
    /// assert_eq!(err.to_string(), "cannot notify on un-acquired lock");
    /// let guard = cond.lock();
    /// assert!(guard.notify().is_ok()); // nobody waits: nothing happens
    /// ```
    #[inline]
    pub fn notify(&self) -> Result<(), RuntimeError> {
        self.notify_n(1)
    }

    /// Wakes up to `n` waiting threads, longest-waiting first: Python's `notify(n)`.
    ///
    /// With fewer than `n` waiters, all of them are woken; `n = 0` wakes nobody (but still
    /// checks the lock).
    ///
    /// # Errors
    ///
    /// As [`notify`](Condition::notify).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// let guard = cond.lock();
    /// guard.notify_n(3).unwrap();
    /// ```
    #[inline]
    pub fn notify_n(&self, n: usize) -> Result<(), RuntimeError> {
        if !self.lock.is_owned() {
            return Err(RuntimeError::new(RuntimeErrorKind::NotifyUnacquired));
        }
        // Relaxed suffices: a waiter pushes its node before releasing the lock we hold.
        if n != 0 && !self.head.load(Ordering::Relaxed).is_null() {
            self.notify_slow(n);
        }
        Ok(())
    }

    /// Wakes every thread waiting right now: Python's `notify_all()`.
    ///
    /// Threads that start waiting afterwards are not affected.
    ///
    /// # Errors
    ///
    /// As [`notify`](Condition::notify).
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// assert!(cond.notify_all().is_err());
    /// let guard = cond.lock();
    /// assert!(guard.notify_all().is_ok());
    /// ```
    #[inline]
    pub fn notify_all(&self) -> Result<(), RuntimeError> {
        self.notify_n(usize::MAX)
    }

    /// The loop of every `wait_for*`: Python's `wait_for` with a deadline fixed up front.
    fn wait_for_until(
        &self,
        mut predicate: impl FnMut() -> bool,
        deadline: Option<Instant>,
    ) -> Result<bool, RuntimeError> {
        let mut result = predicate();
        let mut first = true;
        while !result {
            // As CPython: one wait even when the budget is zero, then stop once it is spent.
            if !first && deadline.is_some_and(|d| time::now() >= d) {
                break;
            }
            first = false;
            self.wait_until(deadline)?;
            result = predicate();
        }
        Ok(result)
    }

    /// Every `wait*`: enqueue, release the lock completely, sleep, settle, restore.
    fn wait_until(&self, deadline: Option<Instant>) -> Result<bool, RuntimeError> {
        if !self.lock.is_owned() {
            return Err(RuntimeError::new(RuntimeErrorKind::WaitUnacquired));
        }
        let node = Node::new();
        {
            let _q = self.queue.lock();
            // SAFETY: `queue` is held; `node` outlives its time in the queue because `waiting`
            // (below) takes it out before `node` goes out of scope, also on unwind.
            unsafe { self.push_back(&node) };
        }
        let mut waiting = Enqueued { cond: self, node: &node, done: false };
        let Ok(saved) = self.lock.release_save() else {
            // Lost the lock since the check (only possible with a `Lock` someone else
            // released): undo, as if the check had failed.
            waiting.settle();
            return Err(RuntimeError::new(RuntimeErrorKind::WaitUnacquired));
        };
        let restore = Restore { lock: &self.lock, saved: Some(saved) };
        let notified = if self.park_node(&node, deadline) {
            // The notifier's unpark reached us, so it is done with the node.
            waiting.done = true;
            true
        } else {
            waiting.settle()
        };
        drop(restore);
        Ok(notified)
    }

    /// Sleeps until `node` is notified or `deadline` passes. Returns `true` only if a
    /// notifier's unpark woke us (then the node is `NOTIFIED` and the notifier is done with
    /// it); `false` if the deadline passed or the state was seen `NOTIFIED` without an unpark.
    fn park_node(&self, node: &Node, deadline: Option<Instant>) -> bool {
        let key = node.key();
        // Spin before the first sleep (not when the deadline has already passed): a notify
        // that comes soon, as in a hand-off between two running threads, then costs neither a
        // sleep nor a wake-up. How long is `self.spin`'s business: it learns from the parks
        // below how soon their notifies came. Seeing NOTIFIED here means no unpark of ours was
        // consumed, so the caller settles through `queue` as after any other "NOTIFIED
        // without an unpark".
        let waiting = || node.state.load(Ordering::Relaxed) == WAITING;
        let spun = if deadline.is_none_or(|d| time::now() < d) {
            match self.spin.spin(deadline, waiting) {
                Some(spun) => Some(spun),
                None => return false,
            }
        } else {
            None
        };
        let mut notified = false;
        while waiting() {
            // Sleep only if still WAITING, checked with the parking lot's queue locked: a
            // notifier stores NOTIFIED before it unparks the key, so it cannot be missed.
            // SAFETY: the key is the address of our own live node; the callbacks only load an
            // atomic and neither panic nor call into the parking lot.
            let result =
                unsafe { park::park(key, waiting, || {}, |_, _| {}, DEFAULT_PARK_TOKEN, deadline) };
            match result {
                ParkResult::Unparked(_) => {
                    debug_assert_eq!(node.state.load(Ordering::Relaxed), NOTIFIED);
                    notified = true;
                    break;
                }
                ParkResult::TimedOut => break,
                // The state changed before we slept, or a spurious wake-up: look again.
                ParkResult::Invalid => {}
            }
        }
        if let Some(spun) = spun {
            // A notify that landed just before the sleep (`Invalid`) came as soon as one that
            // woke us: both say a longer spin would have caught it.
            self.spin.parked(spun, node.state.load(Ordering::Relaxed) == NOTIFIED);
        }
        notified
    }

    /// Pops up to `n` waiters, marks them notified and unparks them, in FIFO order.
    #[inline(never)]
    fn notify_slow(&self, n: usize) {
        let _q = self.queue.lock();
        for _ in 0..n {
            // SAFETY: `queue` is held.
            let Some(node) = (unsafe { self.pop_front() }) else { break };
            // SAFETY: a node is alive until its waiter has seen NOTIFIED or CANCELLED; it is
            // WAITING (it was in the queue) until the store below.
            let key = unsafe { (*node).key() };
            // SAFETY: as above. After this store the waiter may free the node: only its
            // address (as a parking key) is used from here on.
            unsafe { (*node).state.store(NOTIFIED, Ordering::Release) };
            // Unparked with `queue` still held, so a waiter that saw NOTIFIED without this
            // unpark can wait for it by taking `queue` (see `Enqueued::settle`).
            // SAFETY: the key belongs to a node whose waiter cannot return before `queue` is
            // released; the callback does nothing.
            unsafe { park::unpark_one(key, |_| DEFAULT_UNPARK_TOKEN) };
        }
    }

    /// Appends `node` to the queue.
    ///
    /// # Safety
    ///
    /// `queue` is held and `node` is not linked; it must stay alive until it is unlinked.
    unsafe fn push_back(&self, node: &Node) {
        let node_ptr = ptr::from_ref(node).cast_mut();
        // SAFETY: guarded by `queue` (caller); linked nodes are alive.
        unsafe {
            let tail = self.tail.with(|t| *t);
            node.prev.with_mut(|p| *p = tail);
            node.next.with_mut(|n| *n = ptr::null_mut());
            if tail.is_null() {
                self.head.store(node_ptr, Ordering::Relaxed);
            } else {
                (*tail).next.with_mut(|n| *n = node_ptr);
            }
            self.tail.with_mut(|t| *t = node_ptr);
        }
    }

    /// Removes and returns the first node, if any.
    ///
    /// # Safety
    ///
    /// `queue` is held.
    unsafe fn pop_front(&self) -> Option<*mut Node> {
        let head = self.head.load(Ordering::Relaxed);
        if head.is_null() {
            return None;
        }
        // SAFETY: guarded by `queue` (caller); linked nodes are alive.
        unsafe {
            let next = (*head).next.with(|n| *n);
            self.head.store(next, Ordering::Relaxed);
            if next.is_null() {
                self.tail.with_mut(|t| *t = ptr::null_mut());
            } else {
                (*next).prev.with_mut(|p| *p = ptr::null_mut());
            }
        }
        Some(head)
    }

    /// Unlinks `node` from wherever it is in the queue.
    ///
    /// # Safety
    ///
    /// `queue` is held and `node` is linked.
    unsafe fn unlink(&self, node: &Node) {
        // SAFETY: guarded by `queue` (caller); linked nodes are alive.
        unsafe {
            let prev = node.prev.with(|p| *p);
            let next = node.next.with(|n| *n);
            if prev.is_null() {
                self.head.store(next, Ordering::Relaxed);
            } else {
                (*prev).next.with_mut(|n| *n = next);
            }
            if next.is_null() {
                self.tail.with_mut(|t| *t = prev);
            } else {
                (*next).prev.with_mut(|p| *p = prev);
            }
        }
    }

    /// How many threads are in the queue (for `Debug`).
    fn waiters(&self) -> usize {
        let _q = self.queue.lock();
        let mut count = 0;
        let mut node = self.head.load(Ordering::Relaxed);
        while !node.is_null() {
            count += 1;
            // SAFETY: `queue` is held; linked nodes are alive.
            node = unsafe { (*node).next.with(|n| *n) };
        }
        count
    }
}

/// A waiter's node while it may be in the queue; takes it out on drop (also on unwind).
struct Enqueued<'a, L: Lockable> {
    cond: &'a Condition<L>,
    node: &'a Node,
    /// The node is settled: out of the queue and no notifier will touch it again.
    done: bool,
}

impl<L: Lockable> Enqueued<'_, L> {
    /// Decides the outcome with `queue` held: `true` if a notifier got to the node first,
    /// otherwise unlinks it (`CANCELLED`) and returns `false`. Taking `queue` also waits for
    /// a notifier that marked the node to finish unparking it.
    fn settle(&mut self) -> bool {
        let _q = self.cond.queue.lock();
        self.done = true;
        match self.node.state.load(Ordering::Acquire) {
            WAITING => {
                // SAFETY: `queue` is held, and a WAITING node is linked.
                unsafe { self.cond.unlink(self.node) };
                self.node.state.store(CANCELLED, Ordering::Relaxed);
                false
            }
            state => state == NOTIFIED,
        }
    }
}

impl<L: Lockable> Drop for Enqueued<'_, L> {
    fn drop(&mut self) {
        if !self.done {
            self.settle();
        }
    }
}

/// Re-acquires the user's lock on drop (also on unwind): the `finally` of Python's `wait`.
struct Restore<'a, L: Lockable> {
    lock: &'a L,
    saved: Option<L::Saved>,
}

impl<L: Lockable> Drop for Restore<'_, L> {
    fn drop(&mut self) {
        if let Some(saved) = self.saved.take() {
            self.lock.acquire_restore(saved);
        }
    }
}

impl<L: Lockable + fmt::Debug> fmt::Debug for Condition<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Python's repr: `<Condition(<lock>, n_waiters)>`.
        f.debug_struct("Condition")
            .field("lock", &self.lock)
            .field("waiters", &self.waiters())
            .finish()
    }
}

/// Releases a [`Condition`]'s lock when dropped: the body of a `with cond:` block.
///
/// Created by [`Condition::lock`], [`Condition::try_lock`], [`Condition::lock_timeout`] and
/// [`Condition::lock_deadline`]. It dereferences to the [`Condition`], so the guard itself can
/// wait and notify: `guard.wait()`, `guard.wait_for(…)`, `guard.notify()`. Those calls still
/// return `Result`, since the lock can be released behind the guard's back (through
/// [`Condition::release`], or by another thread for a plain `Lock`).
///
/// Not `Send`: the lock may be an `RLock`, which only its owner may release.
///
/// # Panics and poisoning
///
/// No poisoning: unwinding drops the guard and releases the lock (one level of an `RLock`).
/// A wait in progress re-acquires the lock before it returns or unwinds, so the guard always
/// releases a lock that is held.
///
/// # Examples
///
/// ```
/// use threading::Condition;
///
/// let cond = Condition::new();
/// let caught = std::panic::catch_unwind(|| {
///     let guard = cond.lock();
///     guard.notify().unwrap();
///     panic!("boom");
/// });
/// assert!(caught.is_err());
/// assert!(!cond.lock_ref().locked()); // released by the unwinding guard
/// ```
#[must_use = "if unused the Condition's lock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct ConditionGuard<'a, L: Lockable = RLock> {
    cond: &'a Condition<L>,
    _not_send: PhantomData<*const ()>,
}

impl<'a, L: Lockable> ConditionGuard<'a, L> {
    #[inline]
    fn new(cond: &'a Condition<L>) -> ConditionGuard<'a, L> {
        ConditionGuard { cond, _not_send: PhantomData }
    }

    /// The condition whose lock this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use threading::Condition;
    ///
    /// let cond = Condition::new();
    /// let g = cond.lock();
    /// assert!(std::ptr::eq(g.condition(), &cond));
    /// ```
    #[must_use]
    pub fn condition(&self) -> &'a Condition<L> {
        self.cond
    }
}

impl<L: Lockable> Deref for ConditionGuard<'_, L> {
    type Target = Condition<L>;

    #[inline]
    fn deref(&self) -> &Condition<L> {
        self.cond
    }
}

impl<L: Lockable> Drop for ConditionGuard<'_, L> {
    #[inline]
    fn drop(&mut self) {
        // Fails only if the lock was released behind the guard's back; a destructor has nobody
        // to report that to.
        let _ = self.cond.release();
    }
}

impl<L: Lockable + fmt::Debug> fmt::Debug for ConditionGuard<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionGuard").field("condition", self.cond).finish()
    }
}
