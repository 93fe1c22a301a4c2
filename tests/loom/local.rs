//! loom models of [`threading::Local`], run on the shipped code with loom's atomics, lock and
//! thread-locals: two threads initialising and using their own values at once (the first use
//! races the id assignment and both table registrations), values dropped exactly once at thread
//! exit (also with two threads exiting at once), a `Local` dropped while a thread that used it
//! is exiting, a `Local` dropped on another thread while the owner of a value is still alive,
//! and a reused id starting empty.
//!
//! Every value sets its own bit in a shared mask when dropped and fails if the bit was already
//! set, so a double drop fails the model; a value never dropped shows as a wait that never
//! ends (loom's branch limit). loom wakes a joiner before it drops the ended thread's
//! thread-locals (where a thread drops its values and hands its table to the registry), so the
//! models wait for those drops, and for the thread's table to be freed (`live_tables`, which
//! frees handed-over tables first), before the model ends: a loom global (the registry) is
//! dropped with the model, and must not be used after that. The model's main thread drops its
//! thread-locals after the globals; its table is then freed by its own exit hook.
//!
//! A thread's exit takes no lock (loom cannot park a thread whose thread-locals are being
//! dropped: `loom::thread::current()` is gone by then), which `--deep` (bound 3) would find.

use std::cell::Cell;

use threading::Local;
use threading_local::__stats;

use crate::common::{check, loom};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

/// A per-thread value that records its drop in `drops` (one bit per value).
struct Value {
    n: Cell<u32>,
    bit: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Value {
    fn drop(&mut self) {
        let before = self.drops.fetch_or(self.bit, SeqCst);
        assert_eq!(before & self.bit, 0, "a value was dropped twice");
    }
}

/// The drop bit of the value that `local_no`'s initialiser builds on the calling thread.
fn bit(local_no: usize, thread: usize) -> usize {
    1 << (local_no * 8 + thread)
}

/// A `Local` whose values start at `start` and report their drops in `drops`.
fn counted(local_no: usize, start: u32, drops: &Arc<AtomicUsize>) -> Arc<Local<Value>> {
    let drops = Arc::clone(drops);
    Arc::new(Local::new(move || Value {
        n: Cell::new(start),
        bit: bit(local_no, threading_core::thread::current_id()),
        drops: Arc::clone(&drops),
    }))
}

/// Yields until `cond` holds.
fn wait_for(mut cond: impl FnMut() -> bool) {
    while !cond() {
        loom::thread::yield_now();
    }
}

/// Waits until the values in `mask` are dropped and only `tables` threads still have a table
/// (the others finished their exit, so none of them touches the registry any more).
fn wait_dropped(drops: &AtomicUsize, mask: usize, tables: usize) {
    wait_for(|| drops.load(SeqCst) & mask == mask);
    wait_for(|| __stats::live_tables() == tables);
}

/// Two threads use a fresh `Local` at once: each builds and sees only its own value (the
/// first uses race the id assignment and both tables' registration); the child's value is
/// dropped when it exits, the main thread's when the `Local` is dropped.
#[test]
fn two_threads_own_values() {
    check("local::two_threads_own_values", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = counted(0, 0, &drops);
        let l = Arc::clone(&local);
        let child = loom::thread::spawn(move || {
            let me = threading_core::thread::current_id();
            l.with(|v| {
                assert_eq!(v.n.get(), 0, "a new thread saw another thread's value");
                v.n.set(2);
            });
            assert_eq!(l.with(|v| v.n.get()), 2);
            me
        });
        let main = threading_core::thread::current_id();
        local.with(|v| {
            assert_eq!(v.n.get(), 0, "the main thread saw another thread's value");
            v.n.set(1);
        });
        assert_eq!(local.with(|v| v.n.get()), 1);
        let child = child.join().unwrap();
        wait_dropped(&drops, bit(0, child), 1);
        assert_eq!(local.with(|v| v.n.get()), 1);
        assert_eq!(drops.load(SeqCst), bit(0, child), "a value dropped too early");
        drop(local);
        assert_eq!(drops.load(SeqCst), bit(0, child) | bit(0, main));
    });
}

/// Two children exit at once while the main thread's table stays listed: each exit unlists
/// its table (a swap-remove that may move the other's entry in the registry and rewrite its
/// index, under the lock) and drops its own value, exactly once.
#[test]
fn two_threads_exit_at_once() {
    check("local::two_threads_exit_at_once", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = counted(0, 0, &drops);
        local.with(|v| v.n.set(1));
        let spawn = |n: u32| {
            let l = Arc::clone(&local);
            loom::thread::spawn(move || {
                l.with(|v| v.n.set(n));
                threading_core::thread::current_id()
            })
        };
        let (a, b) = (spawn(2), spawn(3));
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        wait_dropped(&drops, bit(0, a) | bit(0, b), 1);
        assert_eq!(local.with(|v| v.n.get()), 1);
        let main = threading_core::thread::current_id();
        drop(local);
        assert_eq!(drops.load(SeqCst), bit(0, a) | bit(0, b) | bit(0, main));
    });
}

/// The `Local` is dropped on the main thread while the child that used it is exiting: the
/// drop's sweep of the tables races the child's exit hook (both under the registry lock), and
/// the child's value is dropped exactly once by whichever gets there first; loom checks that
/// the value's accesses are ordered.
#[test]
fn drop_local_while_thread_exits() {
    check("local::drop_local_while_thread_exits", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = counted(0, 0, &drops);
        let released = Arc::new(AtomicBool::new(false));
        let (l, r) = (Arc::clone(&local), Arc::clone(&released));
        let child = loom::thread::spawn(move || {
            l.with(|v| v.n.set(5));
            drop(l);
            r.store(true, SeqCst);
            threading_core::thread::current_id()
        });
        wait_for(|| released.load(SeqCst));
        // The last reference: this is `Local::drop`, concurrent with the child's exit.
        drop(local);
        let child = child.join().unwrap();
        wait_dropped(&drops, bit(0, child), 0);
        assert_eq!(drops.load(SeqCst), bit(0, child));
    });
}

/// A `Local` dropped on the main thread while the owner of a value is alive (LOCAL-08): the
/// drop takes the value out of the owner's table and drops it on the main thread; the owner's
/// exit later finds nothing to drop. The main thread's own table is listed too, with the
/// dropped `Local`'s slot allocated but empty (ids 2 and 3 share a bucket), which the drop
/// must skip.
#[test]
fn dropped_on_another_thread_while_owner_lives() {
    check("local::dropped_on_another_thread_while_owner_lives", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let first = counted(1, 0, &drops);
        first.with(|_| ()); // id 1
        let local = counted(0, 0, &drops); // id 2, in the child
        let third = counted(2, 0, &drops); // id 3, in the main thread
        let used = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicBool::new(false));
        let (l, u, d) = (Arc::clone(&local), Arc::clone(&used), Arc::clone(&dropped));
        let child = loom::thread::spawn(move || {
            l.with(|v| v.n.set(5));
            drop(l);
            u.store(true, SeqCst);
            // Stay alive (table listed) until the main thread has dropped the `Local`.
            wait_for(|| d.load(SeqCst));
            threading_core::thread::current_id()
        });
        wait_for(|| used.load(SeqCst));
        third.with(|_| ());
        drop(local);
        let taken = drops.load(SeqCst);
        dropped.store(true, SeqCst);
        let child = child.join().unwrap();
        assert_eq!(taken, bit(0, child), "the drop did not take the live thread's value");
        wait_dropped(&drops, bit(0, child), 1);
        assert_eq!(drops.load(SeqCst), bit(0, child));
        drop((first, third));
        let main = threading_core::thread::current_id();
        assert_eq!(drops.load(SeqCst), bit(0, child) | bit(1, main) | bit(2, main));
    });
}

/// Id reuse: the child used `l0` (so its table has a value in `l0`'s slot) and waits; the main
/// thread drops `l0` and then uses `l1`, which gets the freed id; only then (told through a
/// `Relaxed` flag, which orders nothing) does the child use `l1`. It must see a fresh value:
/// the `Acquire` load of the id orders the sweep that emptied the slot before the child's
/// look-up (with a `Relaxed` id load, loom reports the child reading the dropped value). A new
/// thread started afterwards also starts fresh.
#[test]
fn reused_id_starts_empty() {
    use loom::sync::atomic::Ordering::Relaxed;
    check("local::reused_id_starts_empty", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let l0 = counted(0, 100, &drops);
        let l1 = counted(1, 1, &drops);
        let released = Arc::new(AtomicBool::new(false));
        let reused = Arc::new(AtomicBool::new(false));
        let (a0, a1) = (Arc::clone(&l0), Arc::clone(&l1));
        let (r, u) = (Arc::clone(&released), Arc::clone(&reused));
        let child = loom::thread::spawn(move || {
            a0.with(|v| v.n.set(7));
            drop(a0);
            r.store(true, SeqCst);
            wait_for(|| u.load(Relaxed));
            assert_eq!(a1.with(|v| v.n.get()), 1, "a reused id showed the old Local's value");
            threading_core::thread::current_id()
        });
        wait_for(|| released.load(SeqCst));
        drop(l0);
        let main = threading_core::thread::current_id();
        assert_eq!(l1.with(|v| v.n.replace(2)), 1);
        reused.store(true, Relaxed);
        let child = child.join().unwrap();
        wait_dropped(&drops, bit(0, child) | bit(1, child), 1);

        let a1 = Arc::clone(&l1);
        let late = loom::thread::spawn(move || {
            assert_eq!(a1.with(|v| v.n.get()), 1, "a new thread saw an old value");
            threading_core::thread::current_id()
        });
        let late = late.join().unwrap();
        wait_dropped(&drops, bit(1, late), 1);
        assert_eq!(l1.with(|v| v.n.get()), 2);
        drop(l1);
        let all = bit(0, child) | bit(1, child) | bit(1, late) | bit(1, main);
        assert_eq!(drops.load(SeqCst), all);
    });
}
