//! The three orders a queue can hand items out in: [`Fifo`], [`Lifo`] and [`Priority`].
//!
//! These are Python's `_init`/`_qsize`/`_put`/`_get` hooks as a trait. They are plain
//! single-threaded containers: the engine ([`crate::engine`]) only calls them with its lock
//! held.
//!
//! # Panic safety of the heap
//!
//! [`Priority`] calls the user's `Ord::cmp`, which may panic. CPython's `PriorityQueue` leaves
//! an item whose comparison raised inside the heap while `unfinished_tasks` does not count it
//! (python-semantics.md §18, "do not replicate" #4). Here a push or pop that panics leaves the
//! heap **exactly** as it was before the call: the heap is rearranged with swaps only, each
//! swap is recorded implicitly by the position of the moving entry, and an unwind guard plays
//! the swaps back in reverse. A panicking push then drops the new item (it never entered the
//! queue, like a failing `_put` in CPython's Q-27); a panicking pop leaves its item in the
//! queue. Either way the counts the engine keeps stay right, because it updates them only
//! after the storage call returns.

use std::cmp::Ordering;
use std::collections::VecDeque;

/// A container the queue engine stores its items in; called only with the engine's lock held.
pub(crate) trait Storage {
    /// What the queue holds.
    type Item;

    /// Number of items.
    fn len(&self) -> usize;

    /// Adds an item. If this panics, the storage must be unchanged.
    fn push(&mut self, item: Self::Item);

    /// Removes the next item in this storage's order. If this panics, the storage must be
    /// unchanged.
    fn pop(&mut self) -> Option<Self::Item>;

    /// Removes every item (for an immediate shutdown), leaving an empty storage.
    fn take_all(&mut self) -> Self;
}

/// First in, first out: Python's `Queue` (a `deque`).
#[derive(Debug)]
pub(crate) struct Fifo<T>(VecDeque<T>);

impl<T> Fifo<T> {
    pub(crate) const fn new() -> Fifo<T> {
        Fifo(VecDeque::new())
    }
}

impl<T> Storage for Fifo<T> {
    type Item = T;

    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }

    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }

    fn take_all(&mut self) -> Fifo<T> {
        Fifo(std::mem::take(&mut self.0))
    }
}

/// Last in, first out: Python's `LifoQueue` (a `list` used as a stack).
#[derive(Debug)]
pub(crate) struct Lifo<T>(Vec<T>);

impl<T> Lifo<T> {
    pub(crate) const fn new() -> Lifo<T> {
        Lifo(Vec::new())
    }
}

impl<T> Storage for Lifo<T> {
    type Item = T;

    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn push(&mut self, item: T) {
        self.0.push(item);
    }

    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }

    fn take_all(&mut self) -> Lifo<T> {
        Lifo(std::mem::take(&mut self.0))
    }
}

/// One heap entry: the item and its arrival number, which breaks ties so that equal items
/// come out in the order they were put (Python's heap would compare the next tuple field).
#[derive(Debug)]
struct Entry<T> {
    item: T,
    seq: u64,
}

impl<T: Ord> Entry<T> {
    /// Whether `self` comes out before `other`: the smaller item, then the earlier arrival.
    #[inline]
    fn before(&self, other: &Entry<T>) -> bool {
        match self.item.cmp(&other.item) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.seq < other.seq,
        }
    }
}

/// Smallest item first, equal items first in, first out: Python's `PriorityQueue` (`heapq`).
///
/// A binary min-heap in a `Vec`, rearranged with swaps only so that a panicking comparison can
/// be undone (see the module documentation).
#[derive(Debug)]
pub(crate) struct Priority<T> {
    heap: Vec<Entry<T>>,
    /// The arrival number of the next push. A `u64` does not wrap in any real program (2^64
    /// pushes); if it did, only the order of equal items would suffer.
    next_seq: u64,
}

impl<T> Priority<T> {
    pub(crate) const fn new() -> Priority<T> {
        Priority { heap: Vec::new(), next_seq: 0 }
    }
}

#[inline]
const fn parent(i: usize) -> usize {
    (i - 1) / 2
}

/// Undoes a sift-up that unwinds: the new entry went up from `start` to `pos` by swaps with
/// its parents; swap it back down the same path, then remove it (dropping the item).
struct UndoPush<'a, T> {
    heap: &'a mut Vec<Entry<T>>,
    start: usize,
    pos: usize,
}

impl<T> Drop for UndoPush<'_, T> {
    fn drop(&mut self) {
        while self.pos != self.start {
            // The child of `pos` on the path to `start`: the ancestor of `start` one level
            // below `pos`.
            let mut child = self.start;
            while parent(child) != self.pos {
                child = parent(child);
            }
            self.heap.swap(self.pos, child);
            self.pos = child;
        }
        self.heap.pop();
    }
}

/// Undoes a sift-down that unwinds: the entry that was moved to the root went down from 0 to
/// `pos` by swaps with a child; swap it back up, then undo the initial root/last swap.
struct UndoPop<'a, T> {
    heap: &'a mut Vec<Entry<T>>,
    pos: usize,
}

impl<T> Drop for UndoPop<'_, T> {
    fn drop(&mut self) {
        while self.pos > 0 {
            let p = parent(self.pos);
            self.heap.swap(self.pos, p);
            self.pos = p;
        }
        let last = self.heap.len() - 1;
        self.heap.swap(0, last);
    }
}

impl<T: Ord> Storage for Priority<T> {
    type Item = T;

    #[inline]
    fn len(&self) -> usize {
        self.heap.len()
    }

    fn push(&mut self, item: T) {
        let start = self.heap.len();
        self.heap.push(Entry { item, seq: self.next_seq });
        let mut undo = UndoPush { heap: &mut self.heap, start, pos: start };
        while undo.pos > 0 {
            let p = parent(undo.pos);
            // May panic (user `Ord`); `undo` then restores the heap.
            if !undo.heap[undo.pos].before(&undo.heap[p]) {
                break;
            }
            undo.heap.swap(undo.pos, p);
            undo.pos = p;
        }
        std::mem::forget(undo);
        self.next_seq = self.next_seq.wrapping_add(1);
    }

    fn pop(&mut self) -> Option<T> {
        let len = self.heap.len();
        if len == 0 {
            return None;
        }
        // Move the root (the entry to return) to the end, then sift the former last entry
        // down from the root within `0..end`.
        let end = len - 1;
        self.heap.swap(0, end);
        let mut undo = UndoPop { heap: &mut self.heap, pos: 0 };
        loop {
            let left = 2 * undo.pos + 1;
            if left >= end {
                break;
            }
            let right = left + 1;
            // Both comparisons may panic (user `Ord`); `undo` then restores the heap.
            let child =
                if right < end && undo.heap[right].before(&undo.heap[left]) { right } else { left };
            if !undo.heap[child].before(&undo.heap[undo.pos]) {
                break;
            }
            undo.heap.swap(undo.pos, child);
            undo.pos = child;
        }
        std::mem::forget(undo);
        self.heap.pop().map(|e| e.item)
    }

    fn take_all(&mut self) -> Priority<T> {
        Priority { heap: std::mem::take(&mut self.heap), next_seq: self.next_seq }
    }
}

#[cfg(test)]
mod tests {
    //! Unit tests of the private heap (deliberate exception to "behaviour is tested through the
    //! facade"): the undo paths are internal and need a comparison that panics on cue.

    use super::*;
    use std::cell::Cell;
    use std::panic::{self, AssertUnwindSafe};
    use std::rc::Rc;

    /// Comparisons left before one panics (`usize::MAX`: never), shared by a test's items.
    type Budget = Rc<Cell<usize>>;

    /// An `Ord` that panics when its budget of comparisons runs out.
    #[derive(Debug)]
    struct Touchy(u32, Budget);

    impl PartialEq for Touchy {
        fn eq(&self, other: &Touchy) -> bool {
            self.0 == other.0
        }
    }

    impl Eq for Touchy {}

    impl PartialOrd for Touchy {
        fn partial_cmp(&self, other: &Touchy) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    impl Ord for Touchy {
        fn cmp(&self, other: &Touchy) -> Ordering {
            let left = self.1.get();
            if left == 0 {
                self.1.set(usize::MAX);
                panic!("comparison failed");
            }
            self.1.set(left.saturating_sub(1));
            self.0.cmp(&other.0)
        }
    }

    fn snapshot(p: &Priority<Touchy>) -> Vec<(u32, u64)> {
        p.heap.iter().map(|e| (e.item.0, e.seq)).collect()
    }

    fn drain(p: &mut Priority<Touchy>) -> Vec<u32> {
        std::iter::from_fn(|| p.pop().map(|t| t.0)).collect()
    }

    #[test]
    fn heap_orders_smallest_first_and_equal_items_fifo() {
        let mut p = Priority::new();
        for (i, k) in [5u32, 1, 4, 1, 3, 9, 2, 6, 5, 3].into_iter().enumerate() {
            p.push((k, i));
        }
        let out: Vec<_> = std::iter::from_fn(|| p.pop()).collect();
        assert_eq!(
            out,
            [(1, 1), (1, 3), (2, 6), (3, 4), (3, 9), (4, 2), (5, 0), (5, 8), (6, 7), (9, 5)]
        );
    }

    #[test]
    fn panicking_push_leaves_heap_unchanged_at_every_step() {
        let mut panicked = 0;
        for fail_at in 0..6 {
            let budget = Budget::new(Cell::new(usize::MAX));
            let mut p = Priority::new();
            for k in [50, 40, 30, 20, 10, 45, 35, 25, 15] {
                p.push(Touchy(k, Rc::clone(&budget)));
            }
            let before = snapshot(&p);
            budget.set(fail_at);
            let r = panic::catch_unwind(AssertUnwindSafe(|| p.push(Touchy(1, Rc::clone(&budget)))));
            budget.set(usize::MAX);
            if r.is_err() {
                panicked += 1;
                assert_eq!(snapshot(&p), before, "fail_at {fail_at}");
            } else {
                assert_eq!(p.len(), before.len() + 1);
            }
            let out = drain(&mut p);
            let mut sorted = out.clone();
            sorted.sort_unstable();
            assert_eq!(out, sorted, "fail_at {fail_at}: still a heap");
        }
        assert!(panicked >= 3, "the comparisons panicked at {panicked} steps only");
    }

    #[test]
    fn panicking_pop_leaves_heap_unchanged_at_every_step() {
        let mut panicked = 0;
        for fail_at in 0..8 {
            let budget = Budget::new(Cell::new(usize::MAX));
            let mut p = Priority::new();
            for k in [50, 40, 30, 20, 10, 45, 35, 25, 15, 5] {
                p.push(Touchy(k, Rc::clone(&budget)));
            }
            let before = snapshot(&p);
            budget.set(fail_at);
            let r = panic::catch_unwind(AssertUnwindSafe(|| p.pop()));
            budget.set(usize::MAX);
            match r {
                Err(_) => {
                    panicked += 1;
                    assert_eq!(snapshot(&p), before, "fail_at {fail_at}");
                }
                Ok(item) => assert_eq!(item.map(|t| t.0), Some(5)),
            }
            let out = drain(&mut p);
            let mut sorted = out.clone();
            sorted.sort_unstable();
            assert_eq!(out, sorted, "fail_at {fail_at}: still a heap");
        }
        assert!(panicked >= 3, "the comparisons panicked at {panicked} steps only");
    }
}
