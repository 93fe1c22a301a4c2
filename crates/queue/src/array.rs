//! [`Array`]: the lock-free bounded FIFO behind a bounded [`Queue`](crate::Queue), a ring of
//! stamped slots with a locked overflow for a `maxsize` beyond the ring.
//!
//! # Implementation details
//!
//! The ring is Vyukov's bounded MPMC queue as crossbeam's `array` channel flavour and
//! `ArrayQueue` write it, on the core crate's atomics so that the loom models check this code as
//! shipped. What it adds for Python's semantics: a shutdown mark and a "getter may be parked"
//! flag in the tail word, a "putter may be parked" flag in the head word (see
//! [`crate::fifo`] for how the engine sleeps on them), and an overflow for a `maxsize` larger
//! than the ring (Python lets `maxsize` change at any time, Q-14, and a huge bound should not
//! allocate a huge ring).
//!
//! **Positions.** `head` and `tail` each hold a position shifted left by `SHIFT`, with flags in
//! the low bits, on cache lines of their own: producers only write `tail`, consumers only
//! `head`. A position is `lap * one_lap + index`, where `one_lap` is the power of two above the
//! capacity, so the index is the low bits. Each slot has a stamp: `pos` when it is free for the
//! put at position `pos`, `pos + 1` when it holds that put's item, and `pos + one_lap` once the
//! get at `pos` has moved the item out (free for the put one lap later).
//!
//! **Put.** If the slot under the tail has the tail's stamp, claim the position with a
//! compare-exchange on the tail (refused if `SHUT` is set), write the item and store the stamp
//! `pos + 1`. If the stamp is one lap behind, the ring may be full: a `SeqCst` fence and a look
//! at the head tell. A put never reads the head otherwise: the stamp says whether its slot is
//! free. **Get** is the mirror image.
//!
//! **Overflow.** When the ring is full and `maxsize` allows more (it was raised above the
//! ring's capacity, or to 0), the item goes to a `VecDeque` behind a [`Lock`], and while that
//! holds anything every put goes there too, so the order stays first in, first out: a get
//! takes from the ring, and from the overflow only when the ring is empty. The overflow's
//! length is an atomic that puts and gets read without the lock; in the usual case (nothing
//! ever overflowed) it is a read-only word. A put into the overflow changes neither the head
//! nor the tail, so it reads the tail's `GETTERS` flag with an RMW afterwards (and bumps
//! `pushed`, which a sleeping getter's `validate` checks); a get from it bumps `room` and reads
//! `PUTTERS` the same way (as `set_maxsize` and a shutdown do).
//!
//! **Shutdown.** `SHUT` in the tail refuses every later claim (a claim's compare-exchange
//! fails when the mark appears). A put into the overflow checks the mark with the overflow's
//! lock held, and a get that finds the ring empty after a shutdown always looks at the
//! overflow with the lock held, so a put either lands before the shutdown and is handed out,
//! or is refused.
//!
//! Positions are never wrapped: at one put per nanosecond a 64-bit position lasts centuries.
//! On 32-bit targets the engine uses the locked FIFO instead (see [`crate::fifo`]).

use std::collections::VecDeque;
use std::mem::MaybeUninit;
use std::ptr;

use threading_core::atomic::{AtomicPtr, AtomicUsize, Ordering, fence};
use threading_core::cell::UnsafeCell;
use threading_core::hint::{CachePadded, Progress, spin_loop};
use threading_lock::Lock;

/// The largest ring: a larger `maxsize` uses the overflow for the rest.
#[cfg(not(threading_loom))]
pub(crate) const MAX_CAP: usize = 1 << 12;
/// Under loom the ring has at most two slots, so models with three items reach the overflow.
#[cfg(threading_loom)]
pub(crate) const MAX_CAP: usize = 2;

/// Position bits below the position (flags).
const SHIFT: usize = 2;
/// The flag bits.
const FLAGS: usize = (1 << SHIFT) - 1;
/// Head flag: a putter may be parked waiting for room (on the head's address).
const PUTTERS: usize = 2;
/// Tail flag: shut down, no more puts.
const SHUT: usize = 1;
/// Tail flag: a getter may be parked waiting for an item (on the tail's address).
const GETTERS: usize = 2;

/// One place in the ring.
struct Slot<T> {
    /// See the module documentation.
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// Why a put was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue is shut down.
    Shut,
    /// As many items as the bound allows are in.
    Full,
}

/// What a get found.
pub(crate) enum Pop<T> {
    /// An item, and whether a putter may be parked (the head's `PUTTERS` flag when the item
    /// was claimed): then the caller must wake one.
    Item(T, bool),
    /// Nothing to take; `shut`: and nothing will come.
    Empty {
        /// The queue is shut down.
        shut: bool,
    },
}

/// Items that did not fit the ring (see the module documentation).
struct Overflow<T> {
    /// How many items `items` holds; written with `lock` held, read without it.
    len: AtomicUsize,
    /// How many items were ever put here; written with `lock` held.
    pushed: AtomicUsize,
    lock: Lock,
    items: UnsafeCell<VecDeque<T>>,
}

/// A lock-free multi-producer multi-consumer bounded FIFO with a shutdown mark and an
/// overflow (see the module documentation).
pub(crate) struct Array<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    /// The ring, `cap` slots, allocated by the first put (null until then).
    buffer: AtomicPtr<Slot<T>>,
    cap: usize,
    /// The power of two above `cap`.
    one_lap: usize,
    /// Bumped by whatever makes room without moving the head (a get from the overflow, a new
    /// `maxsize`, a shutdown); a sleeping putter's `validate` checks it.
    room: AtomicUsize,
    overflow: Overflow<T>,
    /// Where a put or get waits for another one's next step (see [`Progress`]).
    progress: Progress,
}

// SAFETY: the array owns its items and hands each out exactly once (a claimed slot belongs to
// its claimer until it stores the next stamp); sharing it only moves items between threads.
unsafe impl<T: Send> Send for Array<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Array<T> {}

impl<T> Array<T> {
    threading_core::const_fn! {
        /// An empty array whose ring holds `cap` items (`1..=MAX_CAP`); the ring is allocated
        /// by the first put.
        pub(crate) fn new(cap: usize) -> Array<T> {
            assert!(0 < cap && cap <= MAX_CAP);
            Array {
                head: CachePadded(AtomicUsize::new(0)),
                tail: CachePadded(AtomicUsize::new(0)),
                buffer: AtomicPtr::new(ptr::null_mut()),
                cap,
                one_lap: (cap + 1).next_power_of_two(),
                room: AtomicUsize::new(0),
                overflow: Overflow {
                    len: AtomicUsize::new(0),
                    pushed: AtomicUsize::new(0),
                    lock: Lock::new(),
                    items: UnsafeCell::new(VecDeque::new()),
                },
                progress: Progress::new(),
            }
        }
    }

    /// The ring, allocated if need be.
    #[inline]
    fn ring(&self) -> *const Slot<T> {
        let buffer = self.buffer.load(Ordering::Acquire);
        if buffer.is_null() { self.allocate() } else { buffer }
    }

    /// Allocates the ring, unless another put did first.
    #[cold]
    fn allocate(&self) -> *const Slot<T> {
        let slots: Box<[Slot<T>]> = (0..self.cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        let new = Box::into_raw(slots).cast::<Slot<T>>();
        match self.buffer.compare_exchange(
            ptr::null_mut(),
            new,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => new,
            Err(installed) => {
                // SAFETY: `new` came from the box above and was never shared.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(new, self.cap)) });
                installed
            }
        }
    }

    /// The slot of position `pos`.
    ///
    /// # Safety
    ///
    /// `ring` must be this array's ring.
    #[inline]
    unsafe fn slot(&self, ring: *const Slot<T>, pos: usize) -> &Slot<T> {
        // SAFETY: the index is below `cap` (positions never have an index at or above it) and
        // the ring lives as long as `self`.
        unsafe { &*ring.add(pos & (self.one_lap - 1)) }
    }

    /// The position after `pos`.
    #[inline]
    fn next(&self, pos: usize) -> usize {
        if (pos & (self.one_lap - 1)) + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)) + self.one_lap
        }
    }

    /// How many positions lie before `pos`.
    #[inline]
    fn ordinal(&self, pos: usize) -> usize {
        (pos / self.one_lap) * self.cap + (pos & (self.one_lap - 1))
    }

    /// How many items the ring holds between the positions `head` and `tail` (0 if a stale
    /// `tail` is behind `head`).
    #[inline]
    fn in_ring(&self, tail: usize, head: usize) -> usize {
        self.ordinal(tail).saturating_sub(self.ordinal(head))
    }

    /// Appends `item` unless the queue is shut down or holds `maxsize` items (`0`: no bound).
    ///
    /// Returns whether a getter may be parked: then the caller must wake one.
    ///
    /// # Errors
    ///
    /// The item back, with the reason.
    #[inline]
    pub(crate) fn push(&self, item: T, maxsize: &AtomicUsize) -> Result<bool, (T, Refused)> {
        let item = if self.overflow.len.load(Ordering::Acquire) == 0 {
            item
        } else {
            match self.push_overflow(item, maxsize, false) {
                Ok(done) => return done,
                // The overflow emptied meanwhile: back to the ring.
                Err(item) => item,
            }
        };
        match self.push_ring(item, maxsize) {
            Ok(getters) => Ok(getters),
            // The ring is full and `maxsize` allows more (`push_overflow` never hands an item
            // back when called `from_full`).
            Err((back, None)) => self
                .push_overflow(back, maxsize, true)
                .unwrap_or_else(|back| Err((back, Refused::Full))),
            Err((back, Some(refused))) => Err((back, refused)),
        }
    }

    /// The ring part of [`push`](Self::push): `Err((item, None))` when the ring is full but
    /// `maxsize` allows more.
    #[inline]
    fn push_ring(&self, item: T, maxsize: &AtomicUsize) -> Result<bool, (T, Option<Refused>)> {
        let ring = self.ring();
        let mut tail = self.tail.load(Ordering::Relaxed);
        let mut lost = 0;
        loop {
            if tail & SHUT != 0 {
                return Err((item, Some(Refused::Shut)));
            }
            let pos = tail >> SHIFT;
            let max = maxsize.load(Ordering::Acquire);
            if max != 0 && max < self.cap {
                // `maxsize` was lowered below the ring: count. The head only moves on, so the
                // length is at least the real one when the claim below succeeds.
                let head = self.head.load(Ordering::SeqCst) >> SHIFT;
                if self.in_ring(pos, head) >= max {
                    return Err((item, Some(Refused::Full)));
                }
            }
            // SAFETY: `ring` is ours.
            let slot = unsafe { self.slot(ring, pos) };
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == pos {
                let new_tail = (self.next(pos) << SHIFT) | (tail & FLAGS);
                match self.tail.compare_exchange_weak(
                    tail,
                    new_tail,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the claim makes the slot ours until we store the stamp;
                        // its get waits for that stamp.
                        slot.value.with_mut(|v| unsafe { v.write(MaybeUninit::new(item)) });
                        slot.stamp.store(pos + 1, Ordering::Release);
                        self.progress.notify();
                        return Ok(tail & GETTERS != 0);
                    }
                    Err(now) => {
                        tail = now;
                        back_off(&mut lost);
                    }
                }
                continue;
            }
            if stamp + self.one_lap == pos + 1 {
                // The slot still holds the item put one lap ago: the ring may be full.
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::Relaxed) >> SHIFT;
                if head + self.one_lap == pos {
                    return if max == 0 || max > self.cap {
                        Err((item, None))
                    } else {
                        Err((item, Some(Refused::Full)))
                    };
                }
            }
            // Either the tail moved on (another put won this slot: back off, as after a lost
            // claim), or the get of this slot's last item has claimed it and is moving it
            // out: wait for one of the two.
            back_off(&mut lost);
            self.progress.wait_until(|| {
                slot.stamp.load(Ordering::Acquire) != stamp
                    || self.tail.load(Ordering::Relaxed) != tail
            });
            tail = self.tail.load(Ordering::Relaxed);
        }
    }

    /// Appends `item` to the overflow, or refuses it. `from_full`: the ring was just seen full
    /// (else the overflow was seen non-empty, and `Err(item)` means it is empty now: use the
    /// ring).
    #[cold]
    fn push_overflow(
        &self,
        item: T,
        maxsize: &AtomicUsize,
        from_full: bool,
    ) -> Result<Result<bool, (T, Refused)>, T> {
        let guard = self.overflow.lock.lock();
        // With the lock held: a shutdown that set the mark before a get looked here is seen.
        let tail = self.tail.load(Ordering::Acquire);
        if tail & SHUT != 0 {
            return Ok(Err((item, Refused::Shut)));
        }
        // SAFETY: `items` is only touched with the lock held, and nothing here calls out.
        let len = self.overflow.items.with(|items| unsafe { (*items).len() });
        if len == 0 && !from_full {
            return Err(item);
        }
        let max = maxsize.load(Ordering::Acquire);
        let in_ring = self.in_ring(tail >> SHIFT, self.head.load(Ordering::Acquire) >> SHIFT);
        if max != 0 && in_ring + len >= max {
            return Ok(Err((item, Refused::Full)));
        }
        // SAFETY: as above.
        self.overflow.items.with_mut(|items| unsafe { (*items).push_back(item) });
        self.overflow.len.store(len + 1, Ordering::Release);
        let pushed = self.overflow.pushed.load(Ordering::Relaxed);
        self.overflow.pushed.store(pushed + 1, Ordering::Release);
        drop(guard);
        // Neither the head nor the tail moved: read the getters' flag with an RMW (a getter
        // registering later sees this put; one registered earlier is seen here).
        Ok(Ok(self.tail.fetch_or(0, Ordering::AcqRel) & GETTERS != 0))
    }

    /// Takes the first item, if any.
    #[inline]
    pub(crate) fn pop(&self) -> Pop<T> {
        let ring = self.buffer.load(Ordering::Acquire);
        if ring.is_null() {
            // Nothing was ever put (the overflow only fills after the ring).
            return Pop::Empty { shut: self.tail.load(Ordering::Acquire) & SHUT != 0 };
        }
        let mut head = self.head.load(Ordering::Relaxed);
        let mut lost = 0;
        loop {
            let pos = head >> SHIFT;
            // SAFETY: `ring` is ours.
            let slot = unsafe { self.slot(ring, pos) };
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == pos + 1 {
                let new_head = (self.next(pos) << SHIFT) | (head & PUTTERS);
                match self.head.compare_exchange_weak(
                    head,
                    new_head,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the stamp (acquired) says the item is there; the claim
                        // makes the slot ours until we store the next stamp.
                        let item = slot.value.with(|v| unsafe { v.read().assume_init() });
                        slot.stamp.store(pos + self.one_lap, Ordering::Release);
                        self.progress.notify();
                        return Pop::Item(item, head & PUTTERS != 0);
                    }
                    Err(now) => {
                        head = now;
                        back_off(&mut lost);
                    }
                }
                continue;
            }
            if stamp == pos {
                // Ordered with the puts' claims (`SeqCst`): a claim before this fence is seen.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Acquire);
                if tail >> SHIFT == pos {
                    // The ring is empty. After a shutdown, look at the overflow with its lock
                    // held even if it reads empty (see the module documentation).
                    if (tail & SHUT != 0 || self.overflow.len.load(Ordering::Acquire) != 0)
                        && let Some(item) = self.pop_overflow()
                    {
                        return item;
                    }
                    return Pop::Empty { shut: tail & SHUT != 0 };
                }
            }
            // Either the head moved on (another get won this slot: back off, as after a lost
            // claim), or a put claimed this slot and is writing it: wait for one of the two.
            back_off(&mut lost);
            self.progress.wait_until(|| {
                slot.stamp.load(Ordering::Acquire) != stamp
                    || self.head.load(Ordering::Relaxed) != head
            });
            head = self.head.load(Ordering::Relaxed);
        }
    }

    /// Takes the overflow's first item, if any.
    #[cold]
    fn pop_overflow(&self) -> Option<Pop<T>> {
        let guard = self.overflow.lock.lock();
        // SAFETY: `items` is only touched with the lock held, and nothing here calls out.
        let item = self.overflow.items.with_mut(|items| unsafe { (*items).pop_front() })?;
        let len = self.overflow.len.load(Ordering::Relaxed);
        self.overflow.len.store(len - 1, Ordering::Release);
        drop(guard);
        Some(Pop::Item(item, self.make_room()))
    }

    /// After a change that makes room without moving the head: bumps `room` and reads the
    /// head's `PUTTERS` flag with an RMW (adding nothing). A putter registering later sees the
    /// change; one registered earlier is seen here, and its `validate` sees `room` move.
    /// Returns whether a putter may be parked.
    pub(crate) fn make_room(&self) -> bool {
        self.room.fetch_add(1, Ordering::Release);
        self.head.fetch_or(0, Ordering::AcqRel) & PUTTERS != 0
    }

    /// The `room` counter, for a putter's `validate` (load it before
    /// [`register_putter`](Self::register_putter)).
    pub(crate) fn room(&self) -> usize {
        self.room.load(Ordering::Acquire)
    }

    /// Marks the queue shut down: every later put is refused. Returns whether a getter may be
    /// parked (then the caller must wake them all).
    pub(crate) fn shut(&self) -> bool {
        self.tail.fetch_or(SHUT, Ordering::AcqRel) & GETTERS != 0
    }

    /// Whether the queue is shut down.
    pub(crate) fn is_shut(&self) -> bool {
        self.tail.load(Ordering::Acquire) & SHUT != 0
    }

    /// The parking key of getters waiting for an item: the tail's address.
    pub(crate) fn getters_key(&self) -> usize {
        ptr::from_ref(&*self.tail).addr()
    }

    /// The parking key of putters waiting for room: the head's address.
    pub(crate) fn putters_key(&self) -> usize {
        ptr::from_ref(&*self.head).addr()
    }

    /// A getter that found the queue empty announces itself (sets `GETTERS` in the tail, an
    /// RMW that also reads the latest tail) and looks again. `None`: not empty or shut down
    /// now, look again; `Some(seen)`: sleep on [`getters_key`](Self::getters_key) while
    /// [`getter_may_sleep`](Self::getter_may_sleep)`(seen)` holds (any put or shutdown changes
    /// what it checks, and sees the flag).
    pub(crate) fn register_getter(&self) -> Option<(usize, usize)> {
        let tail = self.tail.fetch_or(GETTERS, Ordering::AcqRel) | GETTERS;
        let pushed = self.overflow.pushed.load(Ordering::Acquire);
        let head = self.head.load(Ordering::Acquire);
        let empty =
            head >> SHIFT == tail >> SHIFT && self.overflow.len.load(Ordering::Acquire) == 0;
        (tail & SHUT == 0 && empty).then_some((tail, pushed))
    }

    /// Whether nothing was put since [`register_getter`](Self::register_getter) returned
    /// `seen` (a getter's `validate`).
    pub(crate) fn getter_may_sleep(&self, seen: (usize, usize)) -> bool {
        self.tail.load(Ordering::Acquire) == seen.0
            && self.overflow.pushed.load(Ordering::Acquire) == seen.1
    }

    /// Clears `GETTERS` (with the parking queue locked, when no getter is left in it).
    pub(crate) fn clear_getters(&self) {
        self.tail.fetch_and(!GETTERS, Ordering::Relaxed);
    }

    /// A putter that found the queue full announces itself (sets `PUTTERS` in the head, an RMW
    /// that also reads the latest head) and looks again, as
    /// [`register_getter`](Self::register_getter). `Some(seen)`: sleep on
    /// [`putters_key`](Self::putters_key) while the head reads `seen` and
    /// [`room`](Self::room) is unchanged.
    pub(crate) fn register_putter(&self, maxsize: &AtomicUsize) -> Option<usize> {
        let head = self.head.fetch_or(PUTTERS, Ordering::AcqRel) | PUTTERS;
        let tail = self.tail.load(Ordering::Acquire);
        let max = maxsize.load(Ordering::Acquire);
        let len =
            self.in_ring(tail >> SHIFT, head >> SHIFT) + self.overflow.len.load(Ordering::Acquire);
        (tail & SHUT == 0 && max != 0 && len >= max).then_some(head)
    }

    /// Whether the head still reads `seen` (part of a putter's `validate`).
    pub(crate) fn head_is(&self, seen: usize) -> bool {
        self.head.load(Ordering::Acquire) == seen
    }

    /// Clears `PUTTERS` (with the parking queue locked, when no putter is left in it).
    pub(crate) fn clear_putters(&self) {
        self.head.fetch_and(!PUTTERS, Ordering::Relaxed);
    }

    /// How many puts ever got in (those under way included).
    pub(crate) fn pushed(&self) -> usize {
        self.ordinal(self.tail.load(Ordering::Acquire) >> SHIFT)
            + self.overflow.pushed.load(Ordering::Acquire)
    }

    /// Items put and not yet got (puts and gets under way included).
    pub(crate) fn len(&self) -> usize {
        let tail = self.tail.load(Ordering::SeqCst) >> SHIFT;
        let head = self.head.load(Ordering::SeqCst) >> SHIFT;
        self.in_ring(tail, head) + self.overflow.len.load(Ordering::Acquire)
    }
}

/// After a lost compare-exchange: backs off exponentially (1, 2, 4, … 64 pauses), so that the
/// threads racing for one index stop bouncing its cache line; `lost` counts the losses so far.
/// Under loom, one pause (a yield).
#[inline]
fn back_off(lost: &mut u32) {
    #[cfg(not(threading_loom))]
    for _ in 0..1u32 << (*lost).min(6) {
        spin_loop();
    }
    #[cfg(threading_loom)]
    spin_loop();
    *lost += 1;
}

impl<T> Drop for Array<T> {
    fn drop(&mut self) {
        let ring = self.buffer.load(Ordering::Relaxed);
        if ring.is_null() {
            return;
        }
        // `&mut self`: no other thread can touch the array, so relaxed loads see everything.
        let mut pos = self.head.load(Ordering::Relaxed) >> SHIFT;
        let tail = self.tail.load(Ordering::Relaxed) >> SHIFT;
        while pos != tail {
            // SAFETY: `ring` is ours; every position between head and tail holds an item.
            let slot = unsafe { self.slot(ring, pos) };
            // SAFETY: as above; each is dropped once.
            slot.value.with_mut(|v| unsafe { (*v).assume_init_drop() });
            pos = self.next(pos);
        }
        // SAFETY: the ring came from `allocate`'s box of `cap` slots.
        drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(ring, self.cap)) });
    }
}
