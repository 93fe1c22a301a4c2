//! [`alone`]: puts a bench's primitive in a heap block of its own, shared by the uncontended
//! benches (`#[path]`-included), so ours and the peers are placed alike.
//!
//! A primitive declared as a local lands in whatever stack slot the compiler picks, next to the
//! others and to criterion's own state; with one or two locked instructions per iteration, what
//! shares its cache line (or its address modulo 4 KiB) moves the result by a nanosecond or two.

/// A value alone in its own 128-byte-aligned block: two cache lines, as crossbeam's
/// `CachePadded` on x86-64.
#[repr(align(128))]
pub(crate) struct Alone<T>(pub(crate) T);

/// `value` in a fresh [`Alone`] on the heap.
pub(crate) fn alone<T>(value: T) -> Box<Alone<T>> {
    Box::new(Alone(value))
}
