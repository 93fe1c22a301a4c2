//! Compile-time checks of the auto traits (`Send`, `Sync`, `Unpin`, `UnwindSafe`,
//! `RefUnwindSafe`) of every public type of the `threading` facade.
//!
//! Both directions are checked: a positive assertion fails to compile when a type loses a trait
//! (say a raw pointer field makes `Lock` `!Sync`), and a negative one fails to compile when a
//! type gains one it must not have (an `RLockGuard` that became `Send` could be dropped, and so
//! release an RLock, on a thread that does not own it).
//!
//! Adding a primitive is one line per type: `assert_send_sync!(Semaphore, ...)`, and
//! `assert_not_send!(SomeGuard<'static>)` for guards that must stay on their thread.
//!
//! The negative check uses the "ambiguous impl" trick: a trait implemented for every `T` with
//! one marker type, and for every `T: Send` with a second one. Naming the trait method with the
//! marker left to inference compiles only if exactly one impl applies, i.e. if `T` is not
//! `Send`.

use std::panic::{RefUnwindSafe, UnwindSafe};

use threading::{
    Barrier, BarrierBuilder, BrokenBarrierError, Condition, ConditionGuard, Local, Lock, LockGuard,
    RLock, RLockGuard, RLockState, RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind,
};

/// Asserts at compile time that each type is `Send + Sync`.
macro_rules! assert_send_sync {
    ($($t:ty),+ $(,)?) => {
        const _: () = {
            const fn check<T: ?Sized + Send + Sync>() {}
            $(check::<$t>();)+
        };
    };
}

/// Asserts at compile time that each type is `Unpin`.
macro_rules! assert_unpin {
    ($($t:ty),+ $(,)?) => {
        const _: () = {
            const fn check<T: ?Sized + Unpin>() {}
            $(check::<$t>();)+
        };
    };
}

/// Asserts at compile time that each type is `UnwindSafe + RefUnwindSafe`: usable across
/// `catch_unwind` without `AssertUnwindSafe`, as befits types that never poison.
macro_rules! assert_unwind_safe {
    ($($t:ty),+ $(,)?) => {
        const _: () = {
            const fn check<T: ?Sized + UnwindSafe + RefUnwindSafe>() {}
            $(check::<$t>();)+
        };
    };
}

/// Asserts at compile time that each type is `Copy` plain data (error kinds, saved states).
macro_rules! assert_copy {
    ($($t:ty),+ $(,)?) => {
        const _: () = {
            const fn check<T: Copy + 'static>() {}
            $(check::<$t>();)+
        };
    };
}

/// Asserts at compile time that a type is NOT `Send` (ambiguous-impl trick, see the module
/// docs).
macro_rules! assert_not_send {
    ($($t:ty),+ $(,)?) => {$(
        const _: fn() = || {
            trait AmbiguousIfSend<A> {
                fn some_item() {}
            }
            impl<T: ?Sized> AmbiguousIfSend<()> for T {}
            #[allow(dead_code)]
            struct Invalid;
            impl<T: ?Sized + Send> AmbiguousIfSend<Invalid> for T {}
            let _ = <$t as AmbiguousIfSend<_>>::some_item;
        };
    )+};
}

/// Asserts at compile time that a type is NOT `Sync` (ambiguous-impl trick).
macro_rules! assert_not_sync {
    ($($t:ty),+ $(,)?) => {$(
        const _: fn() = || {
            trait AmbiguousIfSync<A> {
                fn some_item() {}
            }
            impl<T: ?Sized> AmbiguousIfSync<()> for T {}
            #[allow(dead_code)]
            struct Invalid;
            impl<T: ?Sized + Sync> AmbiguousIfSync<Invalid> for T {}
            let _ = <$t as AmbiguousIfSync<_>>::some_item;
        };
    )+};
}

// Errors: plain data, shareable and sendable (they implement `std::error::Error`, which
// `Box<dyn Error + Send + Sync>` needs).
assert_send_sync!(RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind);
assert_copy!(RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind, RLockState);
assert_unwind_safe!(RuntimeError, RuntimeErrorKind, ValueError, ValueErrorKind);

// Lock: shared between threads by reference or `Arc`. Its guard is `Send` (a Lock has no
// owner, any thread may release it) and `Sync` (`&LockGuard` only exposes `&Lock`).
assert_send_sync!(Lock, LockGuard<'static>);
assert_unpin!(Lock, LockGuard<'static>);
assert_unwind_safe!(Lock, LockGuard<'static>);

// RLock: `Send + Sync` like Lock, and unwind safe (no poisoning). Its guard must stay on the
// owner's thread: not `Send`, and not `Sync` either (`&RLockGuard` on another thread could
// not do anything useful, and the marker makes it `!Sync`).
assert_send_sync!(RLock, RLockState);
assert_unpin!(RLock, RLockState, RLockGuard<'static>);
assert_unwind_safe!(RLock, RLockState, RLockGuard<'static>);
assert_not_send!(RLockGuard<'static>);
assert_not_sync!(RLockGuard<'static>);

// Condition: `Send + Sync` over either lock (and over `Arc<Lock>`, a shared lock). Its guard
// stays on the thread that took it, whatever the lock (as RLock's guard).
assert_send_sync!(Condition<Lock>, Condition<RLock>, Condition<std::sync::Arc<Lock>>);
assert_unpin!(Condition<Lock>, Condition<RLock>, ConditionGuard<'static, Lock>);
assert_unwind_safe!(Condition<Lock>, Condition<RLock>);
assert_not_send!(ConditionGuard<'static, Lock>, ConditionGuard<'static, RLock>);

// Barrier: shared by `Arc` between its parties; its builder may be built on another thread;
// its error is plain data.
assert_send_sync!(Barrier, BarrierBuilder, BrokenBarrierError);
assert_unpin!(Barrier, BarrierBuilder, BrokenBarrierError);
assert_unwind_safe!(Barrier, BrokenBarrierError);

// Local: shared by `&`/`Arc`/`static` whenever `T: Send`, even if `T` is not `Sync` (a thread
// only ever reaches its own value); not shareable or sendable for a `T` that cannot be dropped
// on another thread.
assert_send_sync!(Local<u32>, Local<std::cell::Cell<u32>>, Local<std::cell::RefCell<Vec<u8>>>);
assert_unpin!(Local<std::cell::Cell<u32>>);
assert_unwind_safe!(Local<u32>, Local<std::sync::atomic::AtomicU32>);
assert_not_send!(Local<std::rc::Rc<u8>>);
assert_not_sync!(Local<std::rc::Rc<u8>>);

// Sanity of the negative helpers on std types whose auto traits are certain. (That they reject
// a `Send`/`Sync` type was checked by hand: `assert_not_send!(Lock)` does not compile, E0283
// "type annotations needed"; a trybuild-style compile-fail test would need a new dependency.)
assert_not_send!(std::rc::Rc<u8>);
assert_not_sync!(std::cell::Cell<u8>);

#[test]
fn auto_traits_compile_time_checks_are_in_this_module() {
    // The checks above run at compile time; this test exists so the module shows up in the
    // test list, and exercises the runtime consequences of the traits checked above.
    let lock = std::sync::Arc::new(Lock::new());
    let l = std::sync::Arc::clone(&lock);
    std::thread::spawn(move || drop(l.lock())).join().unwrap();
    let err: Box<dyn std::error::Error + Send + Sync> =
        Box::new(RLock::new().release().unwrap_err());
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
}
