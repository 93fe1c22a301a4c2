//! Smoke test of the `threading` facade: every re-export is reachable under its Python name and
//! does its basic job through the facade path.
//!
//! One section per primitive. To add one (Condition, Semaphore, BoundedSemaphore, Event,
//! Barrier): add its row(s) to `REEXPORTS` and a `facade_<name>` test using each of its public
//! types once. Detailed behaviour lives in `tests/integration/<name>.rs`.

use std::any::type_name;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use threading::{
    Barrier, BarrierBuilder, BoundedSemaphore, BrokenBarrierError, Condition, ConditionGuard,
    Empty, Event, ExceptHookArgs, Full, GetError, JoinError, LifoQueue, Local, Lock, LockGuard,
    Lockable, MAIN_ID, MIN_STACK_SIZE, PanicLocation, PriorityQueue, PutError, Queue, RLock,
    RLockGuard, RLockState, Run, RuntimeError, RuntimeErrorKind, Semaphore, SemaphoreGuard,
    ShutDown, SimpleQueue, StartError, TIMEOUT_MAX, Thread, ThreadBuilder, Timer, TimerBuilder,
    ValueError, ValueErrorKind, active_count, current_thread, default_excepthook, enumerate,
    excepthook, get_ident, get_native_id, main_thread, set_excepthook, set_stack_size, stack_size,
};

/// A function returning a type's name: `std::any::type_name::<T>`.
type NameOf = fn() -> &'static str;

/// `(type_name::<threading::X>(), "X")`: each facade name resolves to a type of that name (a
/// re-export, not an alias to something else).
const REEXPORTS: &[(NameOf, &str)] = &[
    (type_name::<Lock>, "Lock"),
    (type_name::<LockGuard<'static>>, "LockGuard"),
    (type_name::<RLock>, "RLock"),
    (type_name::<RLockGuard<'static>>, "RLockGuard"),
    (type_name::<RLockState>, "RLockState"),
    (type_name::<RuntimeError>, "RuntimeError"),
    (type_name::<RuntimeErrorKind>, "RuntimeErrorKind"),
    (type_name::<ValueError>, "ValueError"),
    (type_name::<ValueErrorKind>, "ValueErrorKind"),
    (type_name::<Condition>, "Condition"),
    (type_name::<ConditionGuard<'static>>, "ConditionGuard"),
    (type_name::<Barrier>, "Barrier"),
    (type_name::<BarrierBuilder>, "BarrierBuilder"),
    (type_name::<BrokenBarrierError>, "BrokenBarrierError"),
    (type_name::<Event>, "Event"),
    (type_name::<Semaphore>, "Semaphore"),
    (type_name::<BoundedSemaphore>, "BoundedSemaphore"),
    (type_name::<SemaphoreGuard<'static>>, "SemaphoreGuard"),
    (type_name::<Thread>, "Thread"),
    (type_name::<ThreadBuilder>, "ThreadBuilder"),
    (type_name::<StartError>, "StartError"),
    (type_name::<JoinError>, "JoinError"),
    (type_name::<ExceptHookArgs>, "ExceptHookArgs"),
    (type_name::<PanicLocation>, "PanicLocation"),
    (type_name::<Timer>, "Timer"),
    (type_name::<TimerBuilder>, "TimerBuilder"),
    (type_name::<Queue<u8>>, "Queue"),
    (type_name::<LifoQueue<u8>>, "LifoQueue"),
    (type_name::<PriorityQueue<u8>>, "PriorityQueue"),
    (type_name::<SimpleQueue<u8>>, "SimpleQueue"),
    (type_name::<Full<u8>>, "Full"),
    (type_name::<Empty>, "Empty"),
    (type_name::<ShutDown>, "ShutDown"),
    (type_name::<PutError<u8>>, "PutError"),
    (type_name::<GetError>, "GetError"),
    (type_name::<Local<u8>>, "Local"),
    (type_name::<threading::ThreadPoolExecutor>, "ThreadPoolExecutor"),
    (type_name::<threading::ThreadPoolExecutorBuilder>, "ThreadPoolExecutorBuilder"),
    (type_name::<threading::Future<u8>>, "Future"),
    (type_name::<threading::FutureError>, "FutureError"),
    (type_name::<threading::CancelledError>, "CancelledError"),
    (type_name::<threading::TimeoutError>, "TimeoutError"),
    (type_name::<threading::BrokenThreadPool>, "BrokenThreadPool"),
    (type_name::<threading::InvalidStateError>, "InvalidStateError"),
    (type_name::<threading::TaskPanic>, "TaskPanic"),
    (type_name::<threading::SubmitError>, "SubmitError"),
    (type_name::<threading::ReturnWhen>, "ReturnWhen"),
    (type_name::<threading::futures::Future<u8>>, "Future"),
    (type_name::<threading::futures::Map<u8>>, "Map"),
    (type_name::<threading::futures::AsCompleted<threading::Future<u8>>>, "AsCompleted"),
    (type_name::<threading::futures::DoneAndNotDoneFutures<u8>>, "DoneAndNotDoneFutures"),
    (type_name::<threading::futures::Unretrieved<'static>>, "Unretrieved"),
    // Semaphore, BoundedSemaphore, SemaphoreGuard, Event: one row each.
];

#[test]
fn facade_reexports_have_their_python_names() {
    for (name_of, expected) in REEXPORTS {
        let full = name_of();
        let base = full.split('<').next().unwrap();
        assert!(base.rsplit("::").next() == Some(*expected), "threading::{expected} is {full}");
    }
}

#[test]
fn facade_errors_are_the_core_types() {
    // The facade re-exports the one error type every primitive returns, so errors from
    // different primitives compare and match alike.
    let from_facade: RuntimeError = RuntimeError::new(RuntimeErrorKind::ReleaseUnowned);
    let from_core: threading_core::error::RuntimeError = from_facade;
    assert_eq!(from_core, RLock::new().release().unwrap_err());
    let v: threading_core::error::ValueError = ValueError::new(ValueErrorKind::BarrierParties);
    assert_eq!(v.to_string(), "parties must be > 0");
}

#[test]
fn facade_lock() {
    let lock = Arc::new(Lock::new());
    {
        let guard: LockGuard<'_> = lock.lock();
        assert!(guard.lock().locked());
        assert!(!lock.try_acquire());
    }
    assert!(!lock.locked());
    // Acquired here, released by another thread: a Lock has no owner.
    lock.acquire();
    let l = Arc::clone(&lock);
    thread::spawn(move || l.release().unwrap()).join().unwrap();
    assert!(lock.acquire_timeout(Duration::from_secs(5)));
    lock.release().unwrap();
}

#[test]
fn facade_rlock() {
    let r = RLock::new();
    let outer: RLockGuard<'_> = r.lock();
    let inner = r.lock();
    assert_eq!(r.recursion_count(), 2);
    let saved: RLockState = r.release_save().unwrap();
    assert_eq!(saved.count(), 2);
    assert!(!r.locked());
    r.acquire_restore(saved);
    drop(inner);
    drop(outer);
    assert!(!r.locked());
}

#[test]
fn facade_lockable() {
    // Generic code over both locks, as Condition is.
    fn depth_saved<L: Lockable>(lock: &L) -> L::Saved {
        lock.acquire();
        assert!(lock.is_owned());
        lock.release_save().unwrap()
    }
    let lock = Lock::new();
    depth_saved(&lock);
    assert!(!lock.locked());
    let r = RLock::new();
    r.acquire();
    assert_eq!(depth_saved(&r).count(), 2);
    assert!(!r.locked());
}

#[test]
fn facade_runtime_error() {
    let err: RuntimeError = Lock::new().release().unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::ReleaseUnlocked);
    assert_eq!(err.to_string(), "release unlocked lock");
    let err = RLock::new().release().unwrap_err();
    assert!(matches!(err.kind(), RuntimeErrorKind::ReleaseUnowned));
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
    // It is a std error, usable with `?` into `Box<dyn Error>`.
    fn fails() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Lock::new().release()?;
        Ok(())
    }
    assert_eq!(fails().unwrap_err().to_string(), "release unlocked lock");
}

#[test]
fn facade_value_error() {
    // The type and its kinds are reachable and carry CPython's messages (the semaphores return
    // the first two, see `facade_semaphore` and `facade_bounded_semaphore`).
    let cases = [
        (ValueErrorKind::SemaphoreReleasedTooManyTimes, "Semaphore released too many times"),
        (ValueErrorKind::ReleaseCountZero, "n must be one or more"),
        (ValueErrorKind::BarrierParties, "parties must be > 0"),
        (ValueErrorKind::TaskDoneTooManyTimes, "task_done() called too many times"),
    ];
    for (kind, message) in cases {
        let err: ValueError = ValueError::new(kind);
        assert_eq!(err.kind(), kind);
        assert_eq!(err.to_string(), message);
        assert_eq!(err.message(), message);
    }
}

// Condition, Semaphore, BoundedSemaphore, Event, Barrier, Thread, Timer: a `facade_<name>` test
// each.

#[test]
fn facade_condition() {
    // Default: over a new RLock, as in Python; the guard is the `with cond:` block.
    let cond = Arc::new(Condition::new());
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiter = {
        let (cond, ready) = (Arc::clone(&cond), Arc::clone(&ready));
        thread::spawn(move || {
            let guard: ConditionGuard<'_> = cond.lock();
            guard.wait_for(|| ready.load(std::sync::atomic::Ordering::SeqCst)).unwrap()
        })
    };
    {
        let guard = cond.lock();
        ready.store(true, std::sync::atomic::Ordering::SeqCst);
        guard.notify_all().unwrap();
    }
    assert!(waiter.join().unwrap());
    // Over a plain Lock; notifying without the lock is Python's RuntimeError.
    let over_lock = Condition::with_lock(Lock::new());
    assert_eq!(over_lock.notify().unwrap_err().kind(), RuntimeErrorKind::NotifyUnacquired);
    let g = over_lock.lock();
    assert_eq!(g.wait_timeout(Duration::from_millis(1)), Ok(false));
    assert!(over_lock.lock_ref().locked());
}

#[test]
fn facade_semaphore() {
    // Semaphore(0) as a signal, released by another thread; `with sem:` is the guard.
    let sem = Arc::new(Semaphore::new(0));
    let s = Arc::clone(&sem);
    let t = thread::spawn(move || s.release_n(2).unwrap());
    sem.acquire();
    assert!(sem.acquire_timeout(Duration::from_secs(5)));
    t.join().unwrap();
    sem.release();
    {
        let permit: SemaphoreGuard<'_> = sem.permit();
        assert!(sem.try_permit().is_none());
        drop(permit);
    }
    assert_eq!(sem.value(), 1);
    let err: ValueError = sem.release_n(0).unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::ReleaseCountZero);
}

#[test]
fn facade_bounded_semaphore() {
    let sem = BoundedSemaphore::new(1);
    let permit: SemaphoreGuard<'_> = sem.permit();
    assert_eq!(sem.value(), 0);
    drop(permit);
    let err: ValueError = sem.release().unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::SemaphoreReleasedTooManyTimes);
    assert_eq!(err.to_string(), "Semaphore released too many times");
    assert_eq!((sem.value(), sem.initial_value()), (1, 1));
}

#[test]
fn facade_barrier() {
    let builder: BarrierBuilder = Barrier::builder(2).timeout(Duration::from_secs(60));
    let barrier = Arc::new(builder.build());
    let other = {
        let b = Arc::clone(&barrier);
        thread::spawn(move || b.wait())
    };
    let mine = barrier.wait().unwrap();
    let theirs = other.join().unwrap().unwrap();
    assert_eq!(mine + theirs, 1, "arrival indices 0 and 1");
    barrier.abort();
    let err: BrokenBarrierError = barrier.wait().unwrap_err();
    assert_eq!(err.to_string(), "barrier is broken");
    assert!(Barrier::try_new(0).is_err());
}

#[test]
fn facade_event() {
    static START: Event = Event::new();
    let ev = Arc::new(Event::default());
    let waiter = {
        let ev = Arc::clone(&ev);
        thread::spawn(move || {
            START.wait();
            ev.wait_timeout(Duration::from_secs(60))
        })
    };
    START.set();
    ev.set();
    assert!(waiter.join().unwrap());
    ev.clear();
    assert!(!ev.is_set());
    assert!(!ev.wait_deadline(std::time::Instant::now()));
    assert_eq!(format!("{ev:?}"), "Event { is_set: false }");
}

#[test]
fn facade_thread() {
    /// A `Run` type through the facade path.
    struct Answer;
    impl Run for Answer {
        type Output = u32;
        fn run(self) -> u32 {
            42
        }
    }
    let builder: ThreadBuilder = Thread::builder().name("facade").daemon(true);
    let t: Thread<u32> = builder.build(Answer);
    assert_eq!(t.name(), "facade");
    t.start().unwrap();
    let err: StartError = t.start().unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::ThreadStartedTwice);
    assert!(enumerate().len() <= active_count() + 1);
    assert_eq!(t.join_timeout(TIMEOUT_MAX), Ok(true));
    assert_eq!(t.clone().join_output(), Ok(42));
    let join_err: JoinError = t.join_output().unwrap_err();
    assert_eq!(join_err, JoinError::NoOutput);
    assert_eq!(main_thread().ident(), Some(MAIN_ID));
    assert_eq!(current_thread().ident(), Some(get_ident()));
    assert_eq!(current_thread().native_id(), Some(get_native_id()));
    assert_eq!(stack_size(), 0);
    assert!(set_stack_size(MIN_STACK_SIZE - 1).is_err());
}

#[test]
fn facade_excepthook() {
    let (_turn, _) = crate::thread::capture_reports("unused-");
    let seen = Arc::new(std::sync::Mutex::new(None));
    let s = Arc::clone(&seen);
    set_excepthook(move |args: &ExceptHookArgs| {
        if args.message() == "facade report" {
            *s.lock().unwrap() = args.location().cloned();
        } else {
            default_excepthook(args);
        }
    });
    excepthook(&ExceptHookArgs::new("facade report", None));
    assert_eq!(*seen.lock().unwrap(), None);
    let here: PanicLocation = PanicLocation::new("f.rs", 1, 2);
    assert_eq!(here.to_string(), "f.rs:1:2");
}

#[test]
fn facade_timer() {
    let builder: TimerBuilder = Timer::builder().name("facade-timer");
    let timer: Timer = builder.build(Duration::from_secs(60), || unreachable!("cancelled"));
    timer.start().unwrap();
    timer.cancel();
    assert_eq!(timer.join_timeout(Duration::from_secs(30)), Ok(true));
    assert!(timer.finished().is_set());
}

#[test]
fn facade_queue() {
    // The root names and the `threading::queue` module are the same types.
    let q: Arc<Queue<u32>> = Arc::new(threading::queue::Queue::new(1));
    let producer = {
        let q = Arc::clone(&q);
        thread::spawn(move || {
            for i in 0..3 {
                q.put(i).unwrap();
            }
        })
    };
    let mut sum = 0;
    for _ in 0..3 {
        sum += q.get().unwrap();
        q.task_done().unwrap();
    }
    producer.join().unwrap();
    q.join();
    assert_eq!(sum, 3);
    let err: ValueError = q.task_done().unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::TaskDoneTooManyTimes);
    q.put(9).unwrap();
    let full: PutError<u32> = q.put_nowait(10).unwrap_err();
    assert!(matches!(full, PutError::Full(ref f) if f.to_string() == "queue is full"));
    let _: Full<u32> = match full {
        PutError::Full(f) => f,
        PutError::ShutDown(_) => unreachable!(),
    };
    q.shutdown_immediate();
    let shut: ShutDown = q.get().unwrap_err();
    assert_eq!(shut, ShutDown::new());
    let get_err: GetError = q.get_nowait().unwrap_err();
    assert!(get_err.is_shutdown());

    let lifo = LifoQueue::new(0);
    lifo.put(1).unwrap();
    lifo.put(2).unwrap();
    assert_eq!(lifo.get(), Ok(2));
    let prio = PriorityQueue::new(0);
    prio.put((2, "b")).unwrap();
    prio.put((1, "a")).unwrap();
    assert_eq!(prio.get(), Ok((1, "a")));
    let simple: SimpleQueue<&str> = SimpleQueue::new();
    simple.put("x");
    assert_eq!(simple.get(), "x");
    assert_eq!(simple.get_timeout(Duration::from_millis(1)), Err(Empty));
}

#[test]
fn facade_local() {
    // Python's doctest: a thread sets its own value; the main thread's is unchanged.
    let mydata = Arc::new(Local::new(|| std::cell::Cell::new(0)));
    mydata.set(42);
    let d = Arc::clone(&mydata);
    let seen = thread::spawn(move || {
        let fresh = d.get();
        d.set(11);
        (fresh, d.get())
    })
    .join()
    .unwrap();
    assert_eq!(seen, (0, 11));
    assert_eq!(mydata.get(), 42);
    assert_eq!(mydata.with(std::cell::Cell::get), 42);
}

#[test]
fn facade_pool() {
    use threading::futures::{
        self, AsCompleted, DoneAndNotDoneFutures, Map, Unretrieved, Waitable,
    };
    use threading::{
        BrokenThreadPool, CancelledError, Future, FutureError, InvalidStateError, ReturnWhen,
        SubmitError, TaskPanic, ThreadPoolExecutor, ThreadPoolExecutorBuilder, TimeoutError,
    };
    // The root names and the `futures` module are the same types.
    let builder: ThreadPoolExecutorBuilder = futures::ThreadPoolExecutor::builder();
    let reports = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = Arc::clone(&reports);
    let pool: ThreadPoolExecutor = builder
        .max_workers(2)
        .on_unretrieved(move |u: &Unretrieved<'_>| {
            assert!(u.error().is_panic());
            r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let f: Future<i32> = pool.submit(|| 6 * 7).unwrap();
    let split: DoneAndNotDoneFutures<&Future<i32>> = futures::wait([&f], ReturnWhen::AllCompleted);
    assert_eq!(split.done, [&f]);
    let mut it: AsCompleted<&dyn Waitable> = futures::as_completed([&f as &dyn Waitable]);
    assert!(it.next().unwrap().is_ok());
    assert_eq!(f.result(), Ok(&42));
    let map: Map<i32> = pool.map(|x: i32| x + 1, [1, 2]).unwrap();
    assert_eq!(map.collect::<Result<Vec<_>, FutureError>>(), Ok(vec![2, 3]));
    drop(pool.submit(|| -> () { std::panic::resume_unwind(Box::new("unseen")) }).unwrap());
    pool.shutdown();
    assert_eq!(reports.load(std::sync::atomic::Ordering::SeqCst), 1);
    let err: SubmitError = pool.submit(|| 0).unwrap_err();
    assert_eq!(err.to_string(), "cannot schedule new futures after shutdown");

    let pending = Future::<i32>::new();
    let timeout: TimeoutError = match pending.result_timeout(Duration::ZERO) {
        Err(FutureError::Timeout(t)) => t,
        other => panic!("{other:?}"),
    };
    assert_eq!(timeout.futures_unfinished(), None);
    pending.cancel();
    assert_eq!(pending.result(), Err(FutureError::Cancelled(CancelledError)));
    let invalid: InvalidStateError = pending.set_result(1).unwrap_err();
    assert!(invalid.to_string().starts_with("CANCELLED: "));
    let broken: FutureError = BrokenThreadPool.into();
    assert!(broken.is_broken());
    let panicked: FutureError = TaskPanic::new("x").into();
    assert_eq!(panicked.panic_message(), Some("x"));
}
