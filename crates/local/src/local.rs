//! [`Local`]: Python's `threading.local`, one value per thread for each `Local` object.
//!
//! # Implementation details
//!
//! `std::thread_local!` gives every *static key* one slot per thread. A `Local` is an object
//! created and dropped at run time, so the layout is turned inside out:
//!
//! * Every `Local` gets a small integer **id** the first time any thread uses it (0 means "none
//!   yet", so `Local::const_new` can be `const`). Ids come from a registry; a dropped `Local`'s
//!   id goes back to a free list and the smallest free id is handed out first, so ids stay as
//!   small as the number of `Local`s alive at once.
//! * Every thread that uses a `Local` gets a **table** of slots, one per id, reached from a
//!   `const`-initialised thread-local pointer. The slots sit in buckets that never move: bucket
//!   `b >= 1` holds ids `2^(b-1) .. 2^b`, is allocated on first use and freed only with the
//!   table. So another thread can empty a slot without racing a reallocation.
//! * A slot is null or points to a heap **entry**: a header with the entry's (type-erased)
//!   drop function, then the value.
//!
//! The **fast path** of [`Local::with`] is: one TLS load (the table pointer), one `Acquire`
//! load of the `Local`'s id, a leading-zeros count, a load of the bucket pointer and one of the
//! slot, and null checks. No lock, no read-modify-write, no branch on the thread's state.
//!
//! **Registry.** One global (`threading_core::global!`) [`Lock`](threading_lock::Lock) guards
//! the list of live tables and the id allocator. It is taken only on cold paths: a thread's
//! first use of any `Local` (registering its table), a `Local`'s first use anywhere (its id)
//! and a `Local`'s drop.
//!
//! **Thread exit.** Creating a table also touches a second thread-local whose destructor runs
//! when the thread exits. It swaps every slot of the table to null, keeping the entries, then
//! hands the emptied table to the registry with a lock-free push onto a "retired" stack, and
//! only then drops the values. The next thread that takes the registry lock unlists and frees
//! the retired tables. So a thread-local destructor never blocks on the lock (no waiting for
//! another thread during thread exit, and nothing for loom's thread-local teardown to trip on).
//! A value's `Drop` may itself use a `Local`: the first thread-local was cleared before the
//! teardown, so such a use builds a new table (with fresh values) and the destructor loops
//! until no table is left. A use after that destructor has finished (from a thread-local
//! destructor that happens to run later) cannot create a value that would ever be dropped, so
//! [`Local::with`] panics there and [`Local::try_with`] returns `None`, as `std`'s
//! `LocalKey::with` does for a destroyed key.
//!
//! **`Local` drop.** With the lock held, for every listed table, swap the slot of this id to
//! null and keep what was there; free the id; release the lock; drop the values taken (on the
//! dropping thread, hence `T: Send` for `Local<T>: Sync`). User code never runs under the lock,
//! so a value whose `Drop` uses or drops other `Local`s cannot deadlock.
//!
//! # Why it is correct
//!
//! *Each value is dropped exactly once.* An entry leaves its slot only through a swap to
//! null, done either by its thread's exit or by the `Local`'s drop, and exactly one swap sees
//! it. Whoever gets it drops it; the other finds null. (So when a `Local` is dropped while a
//! thread that used it is exiting, that thread's value may be dropped by the exiting thread,
//! just after `drop` returned.)
//!
//! *No table is freed while another thread reads it.* Other threads read a table only while
//! holding the registry lock and only if it is listed. A table is unlisted and freed only by a
//! holder of that lock, and only after its owner handed it over: the owner's push (`Release`)
//! is its last access, and the freeing thread's `Acquire` swap of the stack orders every
//! earlier access of the owner before the free. Buckets live exactly as long as their table.
//!
//! *A new thread never sees an old value.* Each thread allocates its own table, starting with
//! every slot null; a table is never handed to another thread (unlike the `thread_local`
//! crate, which gives a dead thread's slots, values included, to the next thread). So there is
//! no need to compare thread ids: [`threading_core::thread::current_id`]'s guarantee of
//! never-reused ids holds by construction.
//!
//! *A reused id starts empty.* An id is freed only after the slot of that id in every listed
//! table was emptied, under the lock. A later owner of the id gets it under the lock and
//! publishes it with a `Release` store; a thread that reads it with the fast path's `Acquire`
//! load therefore sees those slots emptied (the swap happens-before its slot load). Tables
//! created after the free start empty; a table being torn down is emptied by its owner and is
//! unreachable from any `Local` access (its thread cleared its pointer first).
//!
//! *The owner's slot loads can be `Relaxed`.* Only the owner stores non-null entries and
//! bucket pointers, so a non-null load is its own store; null loads take the slow path.
//! Another thread's stores are `Release` (bucket, entry) and its loads `Acquire`, so a value
//! dropped on another thread is seen fully initialised.
//!
//! *The `&T` given to `with` is valid for the whole call.* The entry can only be freed by the
//! thread's exit (it is running this call) or by the `Local`'s drop (which needs `&mut`, while
//! `with` borrows `&self`). The reference is handed to a closure that is generic over its
//! lifetime, so it cannot escape the call. That is why there is no `get(&self) -> &T`: a
//! reference tied to `&self` could outlive its thread's value, which is dropped at thread exit.
//! For example a scoped thread could send `&AtomicU32` (which is `Send`) to its parent, then
//! exit; or a `static Local`'s `&'static T` could be kept in another thread-local whose
//! destructor runs after this one. `std::thread_local!` hands out references through `with`
//! for the same reason. Only this thread ever gets a reference to its value, so `T` need not
//! be `Sync`.
//!
//! *Memory stays bounded.* A thread's values are dropped when it exits and its table is freed
//! by the next registry operation (every thread's first use of a `Local` is one); ids are
//! reused smallest-first, so a table never grows past the number of `Local`s alive at once
//! (rounded up to a power of two); the registry's lists shrink as tables are freed and ids
//! reused.
//!
//! The loom models in `tests/loom/local.rs` run this code with loom's atomics, lock and
//! thread-locals: two threads initialising and using their own values at once, drops at thread
//! exit (also two threads at once), a `Local` dropped while its thread exits or while its owner
//! lives, and id reuse.

use core::cell::{Cell, RefCell};
use core::fmt;
use core::marker::PhantomData;
use core::panic::{RefUnwindSafe, UnwindSafe};

use alloc::boxed::Box;

use threading_core::atomic::{AtomicUsize, Ordering};

use crate::table::{self, Entry, Header, REGISTRY};

/// Python's [`threading.local`]: an object with one value per thread.
///
/// Each thread that touches a `Local<T>` gets its own `T`, built by the `init` closure given to
/// [`Local::new`] the first time that thread uses it, and reached with
/// [`with`](Local::with). Other threads never see it. A thread's value is dropped when that
/// thread exits, and every remaining value when the `Local` itself is dropped.
///
/// Share a `Local` by reference, [`Arc`](std::sync::Arc) or `static`
/// ([`const_new`](Local::const_new)). Mutate the value through interior mutability, as with
/// `std::thread_local!`: a `Local<Cell<T>>` has [`get`](Local::get)/[`set`](Local::set), a
/// `Local<RefCell<T>>` has [`with_borrow_mut`](Local::with_borrow_mut) and friends.
///
/// # Examples
///
/// Python's doctest: a thread sets its own value, the main thread's is unchanged.
///
/// ```
/// use std::cell::Cell;
/// use std::sync::Arc;
/// use std::thread;
/// use threading::Local;
///
/// let mydata = Arc::new(Local::new(|| Cell::new(0)));
/// mydata.set(42);
///
/// let d = Arc::clone(&mydata);
/// let seen = thread::spawn(move || {
///     let fresh = d.get(); // this thread starts from `init`: 0
///     d.set(11);
///     (fresh, d.get())
/// })
/// .join()
/// .unwrap();
///
/// assert_eq!(seen, (0, 11));
/// assert_eq!(mydata.get(), 42);
/// ```
///
/// Python's `local` subclass with an `__init__` taking arguments: the closure captures the
/// arguments and runs once in every thread that uses the object.
///
/// ```
/// use std::cell::RefCell;
/// use std::collections::HashMap;
/// use threading::Local;
///
/// // class MyLocal(local):
/// //     def __init__(self, /, **kw): self.__dict__.update(kw)
/// // mydata = MyLocal(color='red')
/// let color = String::from("red");
/// let mydata = Local::new(move || RefCell::new(HashMap::from([("color", color.clone())])));
///
/// assert_eq!(mydata.with_borrow(|d| d["color"].clone()), "red");
/// mydata.with_borrow_mut(|d| d.remove("color"));
/// std::thread::scope(|s| {
///     // Another thread gets its own, freshly initialised dictionary.
///     s.spawn(|| assert_eq!(mydata.with_borrow(|d| d["color"].clone()), "red"));
/// });
/// assert!(mydata.with_borrow(|d| d.is_empty()));
/// ```
///
/// # Differences from Python
///
/// * A Python `local` holds a per-thread attribute dictionary; a `Local<T>` holds one `T` per
///   thread. Model "attribute not set yet" (`AttributeError` in another thread, LOCAL-01) with
///   the value `init` returns: an `Option`, an empty map, a default.
/// * Constructor arguments (LOCAL-04/05) are whatever the `init` closure captures; Python's
///   `TypeError` for arguments to a bare `local()` cannot happen.
/// * Class attributes, methods (LOCAL-06) and `__slots__` (LOCAL-09), which Python shares
///   between threads, are methods of `T` and state kept outside the `Local` (next to it, or
///   captured by `init` in an `Arc`).
/// * `__dict__` is read-only in Python (LOCAL-03); the `Cell`/`RefCell` helpers
///   ([`set`](Local::set), [`replace`](Local::replace), [`take`](Local::take)) replace the
///   whole value.
/// * Values are released when their thread ends (LOCAL-07) and when the `Local` is dropped
///   (LOCAL-08), but Rust has no cycle collector: a value holding an `Arc` to its own `Local`
///   keeps it alive until that thread exits, as any `Arc` cycle would.
/// * The main thread's value, like any thread-local of the main thread, lives until the
///   process exits (LOCAL-12) and is dropped then only if the platform runs the main thread's
///   thread-local destructors.
/// * Values are reached inside a closure ([`with`](Local::with)), not through a `get() -> &T`:
///   a thread's value is dropped when the thread exits, and a reference tied only to the
///   `Local` could outlive it (see [`with`](Local::with)).
///
/// [`threading.local`]: https://docs.python.org/3/library/threading.html#thread-local-data
pub struct Local<T> {
    /// The id of this `Local` in every thread's table; 0 until a thread first uses it.
    id: AtomicUsize,
    /// Builds a thread's value on its first use.
    init: Init<T>,
    /// The `T`s in the tables belong to this `Local` (for drop check). `Init<T>` makes
    /// `Local<T>` invariant in `T`.
    _owns: PhantomData<T>,
}

/// The initialiser: a plain function (for [`Local::const_new`]) or any closure.
enum Init<T> {
    Fn(fn() -> T),
    Boxed(Box<dyn Fn() -> T + Send + Sync>),
}

impl<T> Init<T> {
    fn call(&self) -> T {
        match self {
            Init::Fn(f) => f(),
            Init::Boxed(f) => f(),
        }
    }
}

// SAFETY: through a shared `Local` a thread reaches only its own value (`with` looks in the
// calling thread's table), so `T: Sync` is not needed. Values of other threads are dropped by
// whichever thread drops the `Local`, hence `T: Send`. The initialiser is `Send + Sync`.
unsafe impl<T: Send> Sync for Local<T> {}

// `Local` itself is never left half-updated by a panic (a panicking `init` stores nothing), so
// unwind safety only depends on what `&T` exposes.
impl<T: RefUnwindSafe> UnwindSafe for Local<T> {}
impl<T: RefUnwindSafe> RefUnwindSafe for Local<T> {}

impl<T: 'static> Local<T> {
    /// Creates a `Local` whose value in each thread is built by `init` on that thread's first
    /// use: Python's `local()`, or a `local` subclass whose `__init__` runs in every thread
    /// (with the arguments `init` captures).
    ///
    /// Nothing is allocated until a thread uses the `Local`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use threading::Local;
    ///
    /// let base = 10;
    /// let counter = Local::new(move || Cell::new(base));
    /// counter.set(counter.get() + 1);
    /// assert_eq!(counter.get(), 11);
    /// assert_eq!(std::thread::scope(|s| s.spawn(|| counter.get()).join().unwrap()), 10);
    /// ```
    pub fn new<F>(init: F) -> Local<T>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        Local { id: AtomicUsize::new(0), init: Init::Boxed(Box::new(init)), _owns: PhantomData }
    }

    threading_core::const_fn! {
        /// Creates a `Local` whose initialiser is a plain function (or a closure that captures
        /// nothing). `const`, so the `Local` can be a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::cell::Cell;
        /// use threading::Local;
        ///
        /// static DEPTH: Local<Cell<u32>> = Local::const_new(|| Cell::new(0));
        ///
        /// DEPTH.set(DEPTH.get() + 1);
        /// assert_eq!(DEPTH.get(), 1);
        /// assert_eq!(std::thread::spawn(|| DEPTH.get()).join().unwrap(), 0);
        /// ```
        pub fn const_new(init: fn() -> T) -> Local<T> {
            Local { id: AtomicUsize::new(0), init: Init::Fn(init), _owns: PhantomData }
        }
    }
}

impl<T: Default + 'static> Default for Local<T> {
    /// A `Local` whose value in each thread starts as `T::default()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use threading::Local;
    ///
    /// let log: Local<RefCell<Vec<&str>>> = Local::default();
    /// log.with_borrow_mut(|v| v.push("main"));
    /// assert_eq!(log.with_borrow(Vec::len), 1);
    /// ```
    fn default() -> Local<T> {
        Local::const_new(T::default)
    }
}

impl<T> Local<T> {
    /// Runs `f` with the calling thread's value, building it with `init` first if this thread
    /// has none yet: reading or writing an attribute of a Python `local`.
    ///
    /// The reference cannot leave `f`. A thread's value is dropped when the thread exits, so a
    /// reference that outlived the call could outlive the value: a scoped thread could send a
    /// `&AtomicU32` (which is `Send`) to its parent and exit, or a `static` `Local`'s reference
    /// could be kept in a thread-local whose destructor runs after this one. That is why there
    /// is no `get(&self) -> &T`, and why `std::thread_local!` has only `with` too.
    ///
    /// # Panics
    ///
    /// If `init` panics (nothing is stored; the next call runs `init` again). If called from a
    /// thread-local destructor that runs after this thread's `Local` storage was destroyed
    /// (a value created then could never be dropped), like `LocalKey::with`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use threading::Local;
    ///
    /// let names = Local::new(|| RefCell::new(Vec::new()));
    /// names.with(|v| v.borrow_mut().push("a"));
    /// assert_eq!(names.with(|v| v.borrow().len()), 1);
    /// ```
    ///
    /// The reference does not outlive the call:
    ///
    /// ```compile_fail
    /// use threading::Local;
    ///
    /// let local = Local::new(|| 5u32);
    /// let escaped: &u32 = local.with(|v| v); // error: lifetime may not live long enough
    /// ```
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let mut entry = self.entry();
        if entry.is_null() {
            entry = self.insert_with(|| self.init.call());
        }
        // SAFETY: `entry` is this thread's entry for this `Local`: it lives until this thread
        // exits or `self` is dropped, and neither can happen during this call (the module
        // essay, "The `&T` given to `with`"). Only this thread reads its value.
        f(unsafe { Entry::<T>::value(entry) })
    }

    /// Runs `f` with the calling thread's value if it has one, without running `init`:
    /// `None` if this thread has not used the `Local` yet (Python: `hasattr` is false for
    /// everything the thread has not set).
    ///
    /// Also `None` where [`with`](Local::with) would panic (a late thread-local destructor).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use threading::Local;
    ///
    /// let x = Local::new(|| Cell::new(1));
    /// assert_eq!(x.try_with(Cell::get), None);
    /// x.set(5);
    /// assert_eq!(x.try_with(Cell::get), Some(5));
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert_eq!(x.try_with(Cell::get), None));
    /// });
    /// ```
    #[inline]
    pub fn try_with<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        let entry = self.entry();
        // SAFETY: as in `with`.
        (!entry.is_null()).then(|| f(unsafe { Entry::<T>::value(entry) }))
    }

    /// The calling thread's entry for this `Local`, or null: the fast path.
    #[inline]
    fn entry(&self) -> *const Header {
        let table = table::current();
        if table.is_null() {
            return core::ptr::null();
        }
        // Acquire: pairs with the Release store that published the id, so that if the id was
        // used by a dropped `Local` before, its slot's emptying is visible (module essay).
        let id = self.id.load(Ordering::Acquire);
        // SAFETY: `table` is this thread's table, alive until the thread exits.
        unsafe { (*table).get(id) }
    }

    /// The slow path: stores the value `make` returns as this thread's value and returns its
    /// entry. If `make` itself stored a value for this `Local` (it used the `Local`
    /// recursively), that one is kept and `make`'s result is dropped.
    #[cold]
    #[inline(never)]
    fn insert_with(&self, make: impl FnOnce() -> T) -> *const Header {
        let Some(table) = table::current_or_create() else {
            panic!(
                "cannot use a threading::Local from a thread-local destructor that runs after \
                 this thread's Local storage was destroyed"
            );
        };
        let mut id = self.id.load(Ordering::Acquire);
        if id == 0 {
            id = REGISTRY.assign_id(&self.id);
        }
        let value = make();
        // SAFETY: the table is this thread's; user code in `make` cannot free it (only this
        // thread's exit hook does, and not while it runs a value's `Drop`, see `table.rs`).
        let table = unsafe { &*table };
        let slot = table.slot(id);
        // Relaxed: only this thread stores non-null into its slots.
        let existing = slot.load(Ordering::Relaxed);
        if !existing.is_null() {
            drop(value);
            return existing;
        }
        let entry = Entry::new_raw(value);
        // Release: a thread that drops the `Local` swaps the entry out with Acquire and drops
        // the value; it must see the value initialised.
        slot.store(entry, Ordering::Release);
        entry
    }
}

impl<T> Drop for Local<T> {
    /// Drops every thread's value (the calling thread drops them all, except those of threads
    /// that are exiting at this very moment, which drop their own).
    fn drop(&mut self) {
        // Relaxed: `&mut self`, so every use of this `Local` happened-before this.
        let id = self.id.load(Ordering::Relaxed);
        if id == 0 {
            return;
        }
        // The values are dropped here, after the registry lock was released.
        drop(REGISTRY.release_id(id));
    }
}

impl<T: fmt::Debug> fmt::Debug for Local<T> {
    /// Shows the calling thread's value, if it has one; never another thread's (they may be in
    /// use), and never runs `init`.
    ///
    /// ```
    /// use threading::Local;
    ///
    /// let x = Local::new(|| 5);
    /// assert_eq!(format!("{x:?}"), "Local { this_thread: None, .. }");
    /// x.with(|_| ());
    /// assert_eq!(format!("{x:?}"), "Local { this_thread: Some(5), .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Local");
        let shown = self.try_with(|v| {
            d.field("this_thread", &Some(v));
        });
        if shown.is_none() {
            d.field("this_thread", &None::<()>);
        }
        d.finish_non_exhaustive()
    }
}

impl<T: 'static> Local<Cell<T>> {
    /// The calling thread's value (a copy), initialising it first if needed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use threading::Local;
    ///
    /// let x = Local::new(|| Cell::new(7));
    /// assert_eq!(x.get(), 7);
    /// ```
    #[inline]
    pub fn get(&self) -> T
    where
        T: Copy,
    {
        self.with(Cell::get)
    }

    /// Sets the calling thread's value. If this thread has none yet, it starts as `value`
    /// **without running `init`**, as `LocalKey::set` does.
    ///
    /// # Panics
    ///
    /// From a late thread-local destructor, as [`with`](Local::with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use threading::Local;
    ///
    /// let x = Local::new(|| -> Cell<u32> { panic!("not called by set") });
    /// x.set(3);
    /// assert_eq!(x.get(), 3);
    /// ```
    #[inline]
    pub fn set(&self, value: T) {
        let entry = self.entry();
        if entry.is_null() {
            self.insert_with(move || Cell::new(value));
        } else {
            // SAFETY: as in `with`.
            unsafe { Entry::<Cell<T>>::value(entry) }.set(value);
        }
    }

    /// Replaces the calling thread's value, returning the old one (initialising first if
    /// needed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use threading::Local;
    ///
    /// let x = Local::new(|| Cell::new(1));
    /// assert_eq!(x.replace(2), 1);
    /// assert_eq!(x.get(), 2);
    /// ```
    pub fn replace(&self, value: T) -> T {
        self.with(|c| c.replace(value))
    }

    /// Takes the calling thread's value, leaving `T::default()` (initialising first if
    /// needed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use threading::Local;
    ///
    /// let x = Local::new(|| Cell::new(Some("init")));
    /// assert_eq!(x.take(), Some("init"));
    /// assert_eq!(x.take(), None);
    /// ```
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.with(Cell::take)
    }
}

impl<T: 'static> Local<RefCell<T>> {
    /// Runs `f` with a shared borrow of the calling thread's value (initialising it first if
    /// needed).
    ///
    /// # Panics
    ///
    /// If the value is mutably borrowed (by an enclosing `with_borrow_mut` on this thread).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use threading::Local;
    ///
    /// let v = Local::new(|| RefCell::new(vec![1, 2]));
    /// assert_eq!(v.with_borrow(|v| v.len()), 2);
    /// ```
    pub fn with_borrow<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.with(|c| f(&c.borrow()))
    }

    /// Runs `f` with a mutable borrow of the calling thread's value (initialising it first if
    /// needed).
    ///
    /// # Panics
    ///
    /// If the value is already borrowed (by an enclosing `with_borrow*` on this thread).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use threading::Local;
    ///
    /// let v = Local::new(|| RefCell::new(Vec::new()));
    /// v.with_borrow_mut(|v| v.push(1));
    /// assert_eq!(v.with_borrow(|v| v.clone()), [1]);
    /// ```
    pub fn with_borrow_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        self.with(|c| f(&mut c.borrow_mut()))
    }

    /// Sets the calling thread's value. If this thread has none yet, it starts as `value`
    /// **without running `init`**, as `LocalKey::set` does.
    ///
    /// # Panics
    ///
    /// If the value is borrowed; from a late thread-local destructor, as
    /// [`with`](Local::with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use threading::Local;
    ///
    /// let v = Local::new(|| RefCell::new(vec![0]));
    /// v.set(vec![1, 2, 3]);
    /// assert_eq!(v.with_borrow(|v| v.len()), 3);
    /// ```
    pub fn set(&self, value: T) {
        let entry = self.entry();
        if entry.is_null() {
            self.insert_with(move || RefCell::new(value));
        } else {
            // SAFETY: as in `with`.
            *unsafe { Entry::<RefCell<T>>::value(entry) }.borrow_mut() = value;
        }
    }

    /// Replaces the calling thread's value, returning the old one (initialising first if
    /// needed).
    ///
    /// # Panics
    ///
    /// If the value is borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use threading::Local;
    ///
    /// let v = Local::new(|| RefCell::new(String::from("a")));
    /// assert_eq!(v.replace(String::from("b")), "a");
    /// ```
    pub fn replace(&self, value: T) -> T {
        self.with(|c| c.replace(value))
    }

    /// Takes the calling thread's value, leaving `T::default()` (initialising first if
    /// needed).
    ///
    /// # Panics
    ///
    /// If the value is borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use threading::Local;
    ///
    /// let v = Local::new(|| RefCell::new(vec![1]));
    /// assert_eq!(v.take(), [1]);
    /// assert!(v.with_borrow(Vec::is_empty));
    /// ```
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.with(RefCell::take)
    }
}
