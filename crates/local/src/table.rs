//! The machinery behind [`Local`](crate::Local): per-thread slot tables, the registry of live
//! tables and of `Local` ids, and the thread-exit hook. The module documentation of
//! `local.rs` explains the design and why it is correct; this file documents each piece.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::Cell;
use core::cmp::Reverse;
use core::mem::ManuallyDrop;
use core::ptr;
use std::collections::BinaryHeap;

use threading_core::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use threading_core::cell::UnsafeCell;
use threading_lock::Lock;

// ---------------------------------------------------------------------------------------------
// Ids and buckets

/// How many buckets a table has. Bucket 0 is never allocated (id 0 means "no id yet", so a
/// lookup with it always misses); bucket `b >= 1` holds the `2^(b-1)` ids `2^(b-1) .. 2^b`.
const BUCKETS: usize = usize::BITS as usize + 1;

/// The bucket of `id`: one plus the index of its highest set bit (0 for id 0).
#[inline]
fn bucket_of(id: usize) -> usize {
    (usize::BITS - id.leading_zeros()) as usize
}

/// How many slots bucket `bucket` (>= 1) has; also the first id it holds.
#[inline]
fn bucket_len(bucket: usize) -> usize {
    1 << (bucket - 1)
}

// ---------------------------------------------------------------------------------------------
// Entries

/// The type-erased head of every [`Entry`]: how to drop and free it.
#[repr(C)]
pub(crate) struct Header {
    /// `Entry::<T>::drop_raw` for the entry's `T`.
    drop: unsafe fn(*mut Header),
}

/// One thread's value for one `Local<T>`, on the heap; a slot points to its [`Header`].
#[repr(C)]
pub(crate) struct Entry<T> {
    /// First, so that a `*mut Entry<T>` is a `*mut Header`.
    header: Header,
    /// The value. A loom-checked cell: the owner's reads (`with`) and the final drop
    /// (`with_mut`), which may happen on another thread, must be ordered by happens-before.
    value: UnsafeCell<ManuallyDrop<T>>,
}

impl<T> Entry<T> {
    /// Moves `value` to the heap; the caller owns the returned entry.
    pub(crate) fn new_raw(value: T) -> *mut Header {
        let entry = Box::new(Entry {
            header: Header { drop: Self::drop_raw },
            value: UnsafeCell::new(ManuallyDrop::new(value)),
        });
        Box::into_raw(entry).cast::<Header>()
    }

    /// Drops the value and frees the entry.
    ///
    /// # Safety
    ///
    /// `header` came from `Entry::<T>::new_raw`, is owned by the caller (no slot points to it
    /// any more) and nobody holds a reference to its value.
    unsafe fn drop_raw(header: *mut Header) {
        // SAFETY: the caller's contract: an owned `Entry<T>` from `Box::into_raw`.
        let entry = unsafe { Box::from_raw(header.cast::<Entry<T>>()) };
        // SAFETY: the value was initialised by `new_raw` and is dropped only here, once.
        entry.value.with_mut(|v| unsafe { ManuallyDrop::drop(&mut *v) });
    }

    /// The value of the entry at `header`.
    ///
    /// # Safety
    ///
    /// `header` came from `Entry::<T>::new_raw` and stays alive (and its value undropped) for
    /// `'a`.
    #[inline]
    pub(crate) unsafe fn value<'a>(header: *const Header) -> &'a T {
        // SAFETY: the caller's contract; nothing writes the value while it is alive.
        unsafe { (*header.cast::<Entry<T>>()).value.with(|v| &**v) }
    }
}

/// An entry taken out of its slot: dropping it drops the value. Kept in a `Vec` so that a
/// value whose `Drop` panics does not leak the others (slice drop glue goes on dropping).
pub(crate) struct Owned(*mut Header);

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: `Owned` is only built from an entry swapped out of its slot, so we own it,
        // and no reference to its value can be alive (see `Table::take` and `teardown`).
        unsafe { ((*self.0).drop)(self.0) }
    }
}

// ---------------------------------------------------------------------------------------------
// Tables

/// One thread's slots: `buckets[b]` points to `bucket_len(b)` slots, each null or an entry.
///
/// Only the owner thread allocates buckets and stores entries. Other threads touch a table only
/// while holding the registry lock: to swap out the slot of a `Local` being dropped, and, once
/// the owner has exited and handed the table over ([`Registry::retire`]), to free it.
pub(crate) struct Table {
    /// Bucket pointers; never moved or freed before the table is.
    buckets: [AtomicPtr<AtomicPtr<Header>>; BUCKETS],
    /// One past the highest allocated bucket. Written by the owner; read by the thread that
    /// frees the table, after the hand-over.
    top: UnsafeCell<usize>,
    /// Index in the registry's `tables`; read and written only under the registry lock.
    pos: UnsafeCell<usize>,
    /// The next table on the registry's `retired` stack; written by the owner just before it
    /// pushes the table, read under the lock by the thread that frees it.
    next_retired: UnsafeCell<*const Table>,
    /// Set when the registry itself is dropped while this table is still listed. That happens
    /// only under loom, where a global lives for one model execution and the model's main
    /// thread drops its thread-locals after the globals; a real `static` is never dropped.
    detached: AtomicBool,
}

impl Table {
    /// A new empty table, registered, owned by the calling thread.
    fn create() -> *const Table {
        let table = Box::into_raw(Box::new(Table {
            buckets: core::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            top: UnsafeCell::new(0),
            pos: UnsafeCell::new(0),
            next_retired: UnsafeCell::new(ptr::null()),
            detached: AtomicBool::new(false),
        }));
        REGISTRY.register(table);
        table
    }

    /// The entry for `id` on the owner thread, or null. Owner only.
    #[inline]
    pub(crate) fn get(&self, id: usize) -> *const Header {
        let b = bucket_of(id);
        // SAFETY: `bucket_of` is at most `usize::BITS`, and there are `usize::BITS + 1` buckets.
        // Relaxed: only this (the owner) thread stores bucket pointers.
        let bucket = unsafe { self.buckets.get_unchecked(b) }.load(Ordering::Relaxed);
        if bucket.is_null() {
            return ptr::null();
        }
        // SAFETY: a non-null bucket `b` (so `b >= 1`; bucket 0 is never allocated) has
        // `bucket_len(b)` slots and `id - bucket_len(b)` is below that.
        let slot = unsafe { &*bucket.add(id - bucket_len(b)) };
        // Relaxed: only the owner stores non-null entries, and a slot emptied by another thread
        // (`take`) happens-before any access that could reuse its id (see the module essay).
        slot.load(Ordering::Relaxed)
    }

    /// The slot for `id`, allocating its bucket if needed. Owner only.
    pub(crate) fn slot(&self, id: usize) -> &AtomicPtr<Header> {
        let b = bucket_of(id);
        assert!(b >= 1, "a Local without an id");
        let mut bucket = self.buckets[b].load(Ordering::Relaxed);
        if bucket.is_null() {
            let slots: Box<[AtomicPtr<Header>]> =
                (0..bucket_len(b)).map(|_| AtomicPtr::new(ptr::null_mut())).collect();
            bucket = Box::into_raw(slots).cast::<AtomicPtr<Header>>();
            // Release: a thread dropping a `Local` loads this with Acquire before it touches
            // the (just initialised) slots.
            self.buckets[b].store(bucket, Ordering::Release);
            // SAFETY: `top` is written only by the owner (this thread), before the hand-over.
            self.top.with_mut(|top| unsafe { *top = (*top).max(b + 1) });
        }
        // SAFETY: bucket `b` has `bucket_len(b)` slots and lives as long as the table.
        unsafe { &*bucket.add(id - bucket_len(b)) }
    }

    /// Empties the slot of `id`, for a `Local` being dropped. Any thread, with the registry
    /// lock held (so the table cannot be freed meanwhile).
    fn take(&self, id: usize) -> Option<Owned> {
        let b = bucket_of(id);
        // Acquire: pairs with the owner's Release store of the bucket (initialised slots).
        let bucket = self.buckets[b].load(Ordering::Acquire);
        if bucket.is_null() {
            return None;
        }
        // SAFETY: as in `get`.
        let slot = unsafe { &*bucket.add(id - bucket_len(b)) };
        // Acquire: pairs with the owner's Release store of the entry, so its value is
        // initialised here and may be dropped on this thread. The swap makes this thread the
        // only one that ever sees the entry again.
        let entry = slot.swap(ptr::null_mut(), Ordering::Acquire);
        (!entry.is_null()).then(|| Owned(entry))
    }

    /// Empties every slot: the owner, at its exit. An entry may be taken concurrently by a
    /// `Local` being dropped (`take`); the swaps give each entry to exactly one of them.
    fn take_all(&self) -> Vec<Owned> {
        let mut owned = Vec::new();
        // SAFETY: `top` is the owner's (this thread's).
        let top = self.top.with(|top| unsafe { *top });
        for (b, bucket) in self.buckets.iter().enumerate().take(top).skip(1) {
            // Relaxed: the owner's own stores.
            let bucket = bucket.load(Ordering::Relaxed);
            if bucket.is_null() {
                continue;
            }
            // SAFETY: bucket `b` has `bucket_len(b)` slots, alive as long as the table.
            let slots = unsafe { core::slice::from_raw_parts(bucket, bucket_len(b)) };
            for slot in slots {
                // Relaxed: a non-null entry is this thread's own store; a racing `take` only
                // ever stores null.
                let entry = slot.swap(ptr::null_mut(), Ordering::Relaxed);
                if !entry.is_null() {
                    owned.push(Owned(entry));
                }
            }
        }
        owned
    }

    /// Frees the table and its buckets (their slots are all empty).
    ///
    /// # Safety
    ///
    /// `table` came from `Table::create` and nobody else can reach it any more: it is unlisted
    /// and its owner has handed it over (or, under loom, the registry is gone and the caller
    /// is the owner).
    unsafe fn free(table: *const Table) {
        // SAFETY: the caller's contract; we take ownership back from `Box::into_raw`.
        let table = unsafe { Box::from_raw(table.cast_mut()) };
        // SAFETY: the owner's last write of `top` happened-before the hand-over.
        let top = table.top.with(|top| unsafe { *top });
        for (b, bucket) in table.buckets.iter().enumerate().take(top).skip(1) {
            let bucket = bucket.load(Ordering::Relaxed);
            if !bucket.is_null() {
                // SAFETY: an allocated bucket `b` came from a boxed slice of `bucket_len(b)`
                // slots; the table is ours alone.
                drop(unsafe {
                    Box::from_raw(ptr::slice_from_raw_parts_mut(bucket, bucket_len(b)))
                });
            }
        }
    }
}

/// Runs at the exit of the thread that owns `table` (from its exit hook): empties the table,
/// hands it over to the registry, then drops the values. Takes no lock, so a thread-local
/// destructor never waits for another thread here.
///
/// # Safety
///
/// `table` came from `Table::create`, belongs to the calling thread, and is no longer
/// reachable from this thread's `THREAD` (so no `Local` access can find it).
unsafe fn teardown(table: *const Table) {
    // SAFETY: the caller's contract: the table is alive, and this is its owner.
    let owned = unsafe { (*table).take_all() };
    // Acquire: pairs with the registry's Release store when it is dropped (loom only).
    // SAFETY: still alive: only the hand-over below lets another thread free it.
    if unsafe { (*table).detached.load(Ordering::Acquire) } {
        // SAFETY: the registry is gone, so nobody else can reach the table.
        unsafe { Table::free(table) };
    } else {
        // From here on the table belongs to the registry.
        REGISTRY.retire(table);
    }
    // User code runs here (the values' `Drop`), with nothing of the table left to reach.
    drop(owned);
}

// ---------------------------------------------------------------------------------------------
// The registry

/// Every live table and every `Local` id, behind one [`Lock`]. The lock is taken only on cold
/// paths: a thread's first use of any `Local`, a `Local`'s first use anywhere and a `Local`'s
/// drop. A thread's exit takes no lock: it pushes its emptied table onto `retired`, and the
/// next holder of the lock unlists and frees it.
pub(crate) struct Registry {
    lock: Lock,
    state: UnsafeCell<State>,
    /// A stack (linked through `Table::next_retired`) of tables whose owners have exited.
    retired: AtomicPtr<Table>,
}

/// The registry's data, accessed only with its lock held.
struct State {
    /// Every registered table (each knows its index, `Table::pos`), including retired ones
    /// not yet freed.
    tables: Vec<*const Table>,
    /// Ids freed by dropped `Local`s, smallest first, so ids (and tables) stay small.
    free_ids: BinaryHeap<Reverse<usize>>,
    /// The next never-used id.
    next_id: usize,
}

// SAFETY: `state` is only accessed with `lock` held (`Registry::with`), `retired` is atomic,
// and the table pointers are only dereferenced following the protocol in the module essay.
unsafe impl Sync for Registry {}

impl Registry {
    threading_core::const_fn! {
        /// An empty registry (`const`, for the `static`).
        fn new() -> Registry {
            Registry {
                lock: Lock::new(),
                state: UnsafeCell::new(State {
                    tables: Vec::new(),
                    free_ids: BinaryHeap::new(),
                    next_id: 1,
                }),
                retired: AtomicPtr::new(ptr::null_mut()),
            }
        }
    }

    /// Runs `f` on the state with the lock held, after freeing the retired tables. `f` must
    /// not run user code.
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let _guard = self.lock.lock();
        self.state.with_mut(|state| {
            // SAFETY: the lock is held, so this is the only access to the state.
            let state = unsafe { &mut *state };
            free_retired(&self.retired, state);
            f(state)
        })
    }

    /// Lists `table`.
    fn register(&self, table: *const Table) {
        self.with(|st| {
            // SAFETY: `table` is alive (just created); `pos` is only touched under the lock.
            unsafe { (*table).pos.with_mut(|p| *p = st.tables.len()) };
            st.tables.push(table);
        });
    }

    /// Hands `table` over: its owner has exited and emptied it, and never touches it again.
    /// A lock-free push onto `retired`.
    fn retire(&self, table: *const Table) {
        let mut head = self.retired.load(Ordering::Relaxed);
        loop {
            // SAFETY: the table is not published yet: only its owner (this thread) reaches
            // `next_retired`.
            unsafe { (*table).next_retired.with_mut(|n| *n = head) };
            // Release: publishes the table, with everything the owner wrote to it, to the lock
            // holder that frees it.
            match self.retired.compare_exchange_weak(
                head,
                table.cast_mut(),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// The id of the `Local` whose id cell is `cell`, allocating one if it has none yet.
    pub(crate) fn assign_id(&self, cell: &AtomicUsize) -> usize {
        self.with(|st| {
            // Relaxed: any earlier assignment was stored under this lock.
            let id = cell.load(Ordering::Relaxed);
            if id != 0 {
                return id;
            }
            let id = match st.free_ids.pop() {
                Some(Reverse(id)) => id,
                None => {
                    let id = st.next_id;
                    st.next_id = id.checked_add(1).expect("more than usize::MAX Locals");
                    id
                }
            };
            // Release: a thread that loads this id (Acquire) without taking the lock must see
            // every slot that a previous owner of the id had emptied (see `release_id`).
            cell.store(id, Ordering::Release);
            id
        })
    }

    /// Empties the slot of `id` in every live table and frees `id`: the drop of a `Local`.
    /// Returns the entries taken; the caller drops them after the lock is released.
    pub(crate) fn release_id(&self, id: usize) -> Vec<Owned> {
        self.with(|st| {
            let mut taken = Vec::new();
            for &table in &st.tables {
                // SAFETY: a listed table is alive until freed under this lock.
                if let Some(entry) = unsafe { (*table).take(id) } {
                    taken.push(entry);
                }
            }
            st.free_ids.push(Reverse(id));
            taken
        })
    }

    /// `(live tables, ids in use, highest id ever handed out)`; tables of exited threads are
    /// freed first, so they do not count.
    pub(crate) fn stats(&self) -> (usize, usize, usize) {
        self.with(|st| {
            let high = st.next_id - 1;
            (st.tables.len(), high - st.free_ids.len(), high)
        })
    }
}

/// Unlists and frees every table on the `retired` stack. With the registry lock held (or, in
/// the registry's drop, with `&mut` access).
fn free_retired(retired: &AtomicPtr<Table>, st: &mut State) {
    // Acquire: pairs with the owners' Release pushes, so their last writes to the tables
    // (`top`, `next_retired`, the emptied slots) happened-before the frees.
    let mut table = retired.swap(ptr::null_mut(), Ordering::Acquire).cast_const();
    while !table.is_null() {
        // SAFETY: a retired table is alive until freed here, and only the lock holder
        // reads its `pos` and `next_retired` now.
        let (pos, next) =
            unsafe { ((*table).pos.with(|p| *p), (*table).next_retired.with(|n| *n)) };
        debug_assert!(ptr::eq(st.tables[pos], table));
        st.tables.swap_remove(pos);
        if let Some(&moved) = st.tables.get(pos) {
            // SAFETY: a listed table is alive until freed under this lock.
            unsafe { (*moved).pos.with_mut(|p| *p = pos) };
        }
        // SAFETY: unlisted, and its owner handed it over: nobody else can reach it.
        unsafe { Table::free(table) };
        table = next;
    }
}

impl Drop for Registry {
    /// Only under loom, where the registry lives for one model execution (a `static` is never
    /// dropped): frees the retired tables and marks the ones still listed, which belong to
    /// threads whose thread-locals have not been dropped yet (the model's main thread), so that
    /// their exit frees them instead of handing them to a registry that is gone.
    fn drop(&mut self) {
        let retired = &self.retired;
        self.state.with_mut(|st| {
            // SAFETY: `&mut self`: nobody else can reach the state.
            let st = unsafe { &mut *st };
            free_retired(retired, st);
            for &table in &st.tables {
                // SAFETY: listed, hence alive; `detached` is atomic.
                unsafe { (*table).detached.store(true, Ordering::Release) };
            }
        });
    }
}

threading_core::global! {
    /// The one registry of the process.
    pub(crate) static REGISTRY: Registry = Registry::new();
}

// ---------------------------------------------------------------------------------------------
// The calling thread's table

/// Where the calling thread is in its life, as far as `Local` is concerned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// No table yet.
    Fresh,
    /// A table, registered; [`Guard`] tears it down at thread exit.
    Live,
    /// [`Guard`]'s destructor is running: a value's `Drop` may still use a `Local`, which gets
    /// a new table that the same destructor tears down before it returns.
    TearingDown,
    /// [`Guard`] is gone: a new value could never be dropped, so none is created.
    Dead,
}

/// The fast-path thread-local: `const`-initialised and without a destructor, so reading it is
/// one TLS access with no state check, and it stays readable while other thread-locals are
/// destroyed.
struct ThreadState {
    /// This thread's table, or null (none yet, or detached for teardown).
    table: Cell<*const Table>,
    phase: Cell<Phase>,
}

/// The thread-exit hook: its destructor tears down this thread's table (drops the values and
/// hands the emptied table to the registry). It holds its own copy of the table pointer
/// because loom makes all of a thread's thread-locals unreachable before it drops any of them.
struct Guard {
    table: Cell<*const Table>,
}

threading_core::thread_local! {
    static THREAD: ThreadState = const {
        ThreadState { table: Cell::new(ptr::null()), phase: Cell::new(Phase::Fresh) }
    };
}

threading_core::thread_local! {
    static GUARD: Guard = const { Guard { table: Cell::new(ptr::null()) } };
}

/// The calling thread's table, or null if it has none (yet).
#[inline]
pub(crate) fn current() -> *const Table {
    THREAD.with(|t| t.table.get())
}

/// The calling thread's table, creating and registering one if needed; `None` once the
/// thread's thread-local storage is being destroyed past the point where a new value could
/// still be dropped.
#[cold]
pub(crate) fn current_or_create() -> Option<*const Table> {
    THREAD.with(|t| {
        let table = t.table.get();
        if !table.is_null() {
            return Some(table);
        }
        match t.phase.get() {
            // `Live` with no table cannot happen; treat it as `Fresh`.
            Phase::Fresh | Phase::Live => {
                // Register the exit hook first: if it cannot run, create nothing.
                if GUARD.try_with(|_| ()).is_err() {
                    t.phase.set(Phase::Dead);
                    return None;
                }
                let table = Table::create();
                GUARD.with(|g| g.table.set(table));
                t.table.set(table);
                t.phase.set(Phase::Live);
                Some(table)
            }
            Phase::TearingDown => {
                // `Guard::drop` is running and picks this table up when the current value's
                // `Drop` returns.
                let table = Table::create();
                t.table.set(table);
                Some(table)
            }
            Phase::Dead => None,
        }
    })
}

impl Drop for Guard {
    fn drop(&mut self) {
        let mut table = self.table.replace(ptr::null());
        // In production `THREAD` is always reachable (no destructor); under loom it is not, and
        // nothing can use a `Local` from a thread-local destructor there anyway.
        let _ = THREAD.try_with(|t| {
            t.table.set(ptr::null());
            t.phase.set(Phase::TearingDown);
        });
        while !table.is_null() {
            // SAFETY: the table is this thread's and `THREAD` no longer points to it.
            unsafe { teardown(table) };
            // A value's `Drop` may have used a `Local` and so built a new table: tear it down
            // too.
            table = THREAD.try_with(|t| t.table.replace(ptr::null())).unwrap_or(ptr::null());
        }
        let _ = THREAD.try_with(|t| t.phase.set(Phase::Dead));
    }
}

#[cfg(test)]
mod tests {
    //! Unit tests of the id bookkeeping on a private registry (deliberate exception to
    //! "behaviour is tested through the facade"): the process-wide registry is shared by every
    //! test running in parallel, so only a registry of its own gives exact counts.

    use super::*;

    #[test]
    fn stats_count_ids_exactly_and_reuse_the_smallest() {
        let reg = Registry::new();
        assert_eq!(reg.stats(), (0, 0, 0));
        let cells: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
        let ids: Vec<usize> = cells.iter().map(|c| reg.assign_id(c)).collect();
        assert_eq!(ids, [1, 2, 3]);
        // A cell that already has an id keeps it.
        assert_eq!(reg.assign_id(&cells[1]), 2);
        assert_eq!(reg.stats(), (0, 3, 3));
        assert!(reg.release_id(2).is_empty(), "no table, so no entry to take");
        assert!(reg.release_id(1).is_empty());
        assert_eq!(reg.stats(), (0, 1, 3), "(tables, ids in use, high-water mark)");
        // Freed ids come back smallest first, before any new one.
        let more: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
        let reused: Vec<usize> = more.iter().map(|c| reg.assign_id(c)).collect();
        assert_eq!(reused, [1, 2, 4]);
        assert_eq!(reg.stats(), (0, 4, 4));
    }
}
