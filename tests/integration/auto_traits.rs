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
    Barrier, BarrierBuilder, BoundedSemaphore, BrokenBarrierError, Condition, ConditionGuard,
    Empty, Event, ExceptHookArgs, Full, GetError, JoinError, LifoQueue, Local, Lock, LockGuard,
    PanicLocation, PriorityQueue, PutError, Queue, RLock, RLockGuard, RLockState, RuntimeError,
    RuntimeErrorKind, Semaphore, SemaphoreGuard, ShutDown, SimpleQueue, StartError, Thread,
    ThreadBuilder, Timer, TimerBuilder, ValueError, ValueErrorKind,
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

/// Asserts at compile time that each type is `Send`.
macro_rules! assert_send {
    ($($t:ty),+ $(,)?) => {
        const _: () = {
            const fn check<T: ?Sized + Send>() {}
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

// Condition: `Send + Sync` over either lock (and over `Arc<Lock>`, `Arc<RLock>` or `&Lock`, a
// shared lock). Its guard stays on the thread that took it, whatever the lock (as RLock's
// guard), and is unwind safe like the other guards (no poisoning).
assert_send_sync!(Condition<Lock>, Condition<RLock>, Condition<std::sync::Arc<Lock>>);
assert_send_sync!(Condition<std::sync::Arc<RLock>>, Condition<&'static Lock>);
assert_unpin!(Condition<Lock>, Condition<RLock>, ConditionGuard<'static, Lock>);
assert_unwind_safe!(Condition<Lock>, Condition<RLock>);
assert_unwind_safe!(ConditionGuard<'static, Lock>, ConditionGuard<'static, RLock>);
assert_not_send!(ConditionGuard<'static, Lock>, ConditionGuard<'static, RLock>);
assert_not_sync!(ConditionGuard<'static, Lock>, ConditionGuard<'static, RLock>);

// Barrier: shared by `Arc` between its parties; its builder may be built on another thread;
// its error is plain data.
assert_send_sync!(Barrier, BarrierBuilder, BrokenBarrierError);
assert_unpin!(Barrier, BarrierBuilder, BrokenBarrierError);
assert_unwind_safe!(Barrier, BrokenBarrierError);

// Event: shared by reference, `Arc` or `static` between the setter and the waiters; no
// poisoning, so unwind safe.
assert_send_sync!(Event);
assert_unpin!(Event);
assert_unwind_safe!(Event);
// Semaphore, BoundedSemaphore: shared by reference or `Arc`, unwind safe (no poisoning). Their
// shared guard is `Send` (a semaphore has no owner: the permit may be given back on any thread)
// and `Sync` (`&SemaphoreGuard` exposes nothing but `Debug`).
assert_send_sync!(Semaphore, BoundedSemaphore, SemaphoreGuard<'static>);
assert_unpin!(Semaphore, BoundedSemaphore, SemaphoreGuard<'static>);
assert_unwind_safe!(Semaphore, BoundedSemaphore, SemaphoreGuard<'static>);

// Thread: a handle shared and sent freely, whatever its output type (the output only moves
// through `join_output`, and it is `Send` by construction); no poisoning, so unwind safe. Its
// errors: `JoinError` is plain data; `StartError` carries the OS's `io::Error`.
assert_send_sync!(Thread, Thread<u8>, ThreadBuilder, JoinError);
assert_send_sync!(StartError, PanicLocation);
assert_unpin!(Thread, ThreadBuilder, JoinError, StartError, PanicLocation, ExceptHookArgs);
assert_unwind_safe!(Thread, Thread<u8>, ThreadBuilder, JoinError, PanicLocation);
// The excepthook's arguments hold the panic payload, which is only `Send`: the hook gets them
// by reference on the dying thread, and could move them elsewhere, not share them.
assert_send!(ExceptHookArgs);
assert_not_sync!(ExceptHookArgs);

// Timer: a Thread plus an `Arc<Event>`.
assert_send_sync!(Timer, TimerBuilder);
assert_unpin!(Timer, TimerBuilder);
assert_unwind_safe!(Timer, TimerBuilder);
// Queues: `Send + Sync` for `T: Send` (shared by `Arc`, items move between threads), even
// when `T` is not `Sync` (like `Mutex<T>`: an item is only ever reached by one thread), and
// unwind safe (no poisoning). A queue of `!Send` items is neither `Send` nor `Sync`. The
// errors are plain data holding the item (if any).
assert_send_sync!(Queue<u8>, LifoQueue<u8>, PriorityQueue<u8>, SimpleQueue<u8>);
assert_send_sync!(Queue<std::cell::Cell<u8>>, SimpleQueue<std::cell::Cell<u8>>);
assert_send_sync!(Full<u8>, Empty, ShutDown, ShutDown<u8>, PutError<u8>, GetError);
assert_unpin!(Queue<u8>, LifoQueue<u8>, PriorityQueue<u8>, SimpleQueue<u8>, Full<u8>, ShutDown);
assert_unwind_safe!(Queue<u8>, LifoQueue<u8>, PriorityQueue<u8>, SimpleQueue<u8>);
assert_unwind_safe!(Full<u8>, Empty, ShutDown, PutError<u8>, GetError);
assert_copy!(Empty, ShutDown, GetError, Full<u8>, PutError<u8>);
assert_not_send!(
    Queue<std::rc::Rc<u8>>,
    SimpleQueue<std::rc::Rc<u8>>,
    PriorityQueue<std::rc::Rc<u8>>
);
assert_not_sync!(Queue<std::rc::Rc<u8>>, LifoQueue<std::rc::Rc<u8>>, SimpleQueue<std::rc::Rc<u8>>);
// Local: shared by `&`/`Arc`/`static` whenever `T: Send`, even if `T` is not `Sync` (a thread
// only ever reaches its own value); not shareable or sendable for a `T` that cannot be dropped
// on another thread.
assert_send_sync!(Local<u32>, Local<std::cell::Cell<u32>>, Local<std::cell::RefCell<Vec<u8>>>);
assert_unpin!(Local<std::cell::Cell<u32>>);
assert_unwind_safe!(Local<u32>, Local<std::sync::atomic::AtomicU32>);
assert_not_send!(Local<std::rc::Rc<u8>>);
assert_not_sync!(Local<std::rc::Rc<u8>>);

// Pool: a `Future<T>` is shared by every thread holding a handle (`result() -> &T`), so it is
// `Send + Sync` exactly when `T` is; the executor and its builder are shared by `Arc`; the
// errors are plain data (`FutureError` holds `Arc<str>` texts).
use threading::futures::{
    AsCompleted, DoneAndNotDoneFutures, InitializerResult, Map, Unretrieved, Waitable,
};
use threading::{
    BrokenThreadPool, CancelledError, Future, FutureError, InvalidStateError, ReturnWhen,
    SubmitError, TaskPanic, ThreadPoolExecutor, ThreadPoolExecutorBuilder, TimeoutError,
};
assert_send_sync!(Future<u8>, Future<String>, ThreadPoolExecutor, ThreadPoolExecutorBuilder);
assert_send_sync!(Map<u8>, AsCompleted<Future<u8>>, AsCompleted<&'static Future<u8>>);
assert_send_sync!(DoneAndNotDoneFutures<Future<u8>>, Unretrieved<'static>);
assert_send_sync!(FutureError, CancelledError, TimeoutError, BrokenThreadPool, TaskPanic);
assert_send_sync!(InvalidStateError, SubmitError, ReturnWhen);
assert_unpin!(Future<u8>, ThreadPoolExecutor, ThreadPoolExecutorBuilder, Map<u8>, FutureError);
assert_unwind_safe!(Future<u8>, ThreadPoolExecutor, FutureError, SubmitError, TaskPanic);
assert_copy!(CancelledError, TimeoutError, BrokenThreadPool, SubmitError, ReturnWhen);
assert_not_send!(Future<std::cell::Cell<u8>>, Future<std::rc::Rc<u8>>);
assert_not_sync!(Future<std::cell::Cell<u8>>, Map<std::cell::Cell<u8>>);
// `Waitable` is object safe (futures of different types in one `wait`), and the initializer
// result trait covers `()` and `Result<(), E: Display>`.
const _: fn(&dyn Waitable) = |_| {};
const _: fn() = || {
    fn init<R: InitializerResult>() {}
    init::<()>();
    init::<Result<(), std::io::Error>>();
};

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
