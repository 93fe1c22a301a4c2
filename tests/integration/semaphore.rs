//! Behaviour tests for [`threading::Semaphore`] and [`threading::BoundedSemaphore`]: CPython's
//! `Lib/test/lock_tests.py` (`BaseSemaphoreTests`, run for both types, then `SemaphoreTests`
//! and `BoundedSemaphoreTests`), `test_threading.py`'s `test_BoundedSemaphore_limit`, and the
//! SEM-xx / BSEM-xx rows of `python-semantics.md` §4 and §5.
//!
//! The shared tests are generic over a small [`Sem`] trait and instantiated for both types by
//! `base_tests!` (modules `semaphore_base` and `bounded_base`). Test names carry the row ID
//! (`sem_11_...`) or the CPython test name (`test_...`).
//!
//! Rows with no Rust counterpart: SEM-04 (`acquire(False, timeout=t)`: the method family
//! cannot express it) and the negative initial values of BSEM-06 / `test_constructor` (the
//! value is a `usize`). SEM-08 (`OverflowError` for a huge timeout) becomes "waits forever".

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use threading::{BoundedSemaphore, Semaphore, SemaphoreGuard, ValueError, ValueErrorKind};
use threading_tests::{Bunch, assert_stays, assert_timeout, timed, wait_until};

/// How long the negative checks ("nobody got through yet") watch.
const SETTLE: Duration = Duration::from_millis(50);

/// A timeout that is expected to expire: long enough to measure, short enough for a fast suite.
const SHORT: Duration = Duration::from_millis(100);

/// Far longer than any test needs; "is it still waiting?" is asserted well before.
const LONG: Duration = Duration::from_secs(20);

/// The API both semaphores share, so that `BaseSemaphoreTests` runs for each (as CPython runs
/// it for `Semaphore` and `BoundedSemaphore`). Releases that a test expects to succeed unwrap.
trait Sem: Send + Sync + Sized + 'static {
    fn make(value: usize) -> Self;
    fn make_default() -> Self;
    fn acquire(&self);
    fn try_acquire(&self) -> bool;
    fn acquire_timeout(&self, timeout: Duration) -> bool;
    fn acquire_deadline(&self, deadline: Instant) -> bool;
    /// `release()`, which must succeed.
    fn release(&self);
    /// `release_n(n)` as returned (both types give `Err` for `n == 0`).
    fn release_n(&self, n: usize) -> Result<(), ValueError>;
    fn value(&self) -> usize;
    fn permit(&self) -> SemaphoreGuard<'_>;
    fn try_permit(&self) -> Option<SemaphoreGuard<'_>>;
    fn permit_timeout(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>>;
    fn permit_deadline(&self, deadline: Instant) -> Option<SemaphoreGuard<'_>>;

    /// A semaphore at value 0 that may be released `n` times: `Semaphore(0)` for the unbounded
    /// one, `BoundedSemaphore(n)` drained for the bounded one.
    fn at_zero(n: usize) -> Self {
        let s = Self::make(n);
        for _ in 0..n {
            assert!(s.try_acquire());
        }
        assert_eq!(s.value(), 0);
        s
    }
}

macro_rules! impl_sem {
    ($t:ty, |$s:ident| $release:expr) => {
        impl Sem for $t {
            fn make(value: usize) -> Self {
                <$t>::new(value)
            }
            fn make_default() -> Self {
                <$t>::default()
            }
            fn acquire(&self) {
                <$t>::acquire(self)
            }
            fn try_acquire(&self) -> bool {
                <$t>::try_acquire(self)
            }
            fn acquire_timeout(&self, timeout: Duration) -> bool {
                <$t>::acquire_timeout(self, timeout)
            }
            fn acquire_deadline(&self, deadline: Instant) -> bool {
                <$t>::acquire_deadline(self, deadline)
            }
            fn release(&self) {
                let $s = self;
                $release
            }
            fn release_n(&self, n: usize) -> Result<(), ValueError> {
                <$t>::release_n(self, n)
            }
            fn value(&self) -> usize {
                <$t>::value(self)
            }
            fn permit(&self) -> SemaphoreGuard<'_> {
                <$t>::permit(self)
            }
            fn try_permit(&self) -> Option<SemaphoreGuard<'_>> {
                <$t>::try_permit(self)
            }
            fn permit_timeout(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>> {
                <$t>::permit_timeout(self, timeout)
            }
            fn permit_deadline(&self, deadline: Instant) -> Option<SemaphoreGuard<'_>> {
                <$t>::permit_deadline(self, deadline)
            }
        }
    };
}

impl_sem!(Semaphore, |s| Semaphore::release(s));
impl_sem!(BoundedSemaphore, |s| BoundedSemaphore::release(s).expect("release within the bound"));

/// Instantiates each generic test below once per semaphore type.
macro_rules! base_tests {
    ($($name:ident),+ $(,)?) => {
        mod semaphore_base {
            $(#[test] fn $name() { super::$name::<threading::Semaphore>() })+
        }
        mod bounded_base {
            $(#[test] fn $name() { super::$name::<threading::BoundedSemaphore>() })+
        }
    };
}

base_tests!(
    test_constructor,
    test_acquire,
    test_acquire_destroy,
    test_acquire_contended,
    test_multirelease,
    sem_03_test_try_acquire,
    sem_15_test_try_acquire_contended,
    sem_05_test_acquire_timeout,
    test_default_value,
    sem_13_test_with,
    sem_06_zero_timeout_at_zero_is_one_try,
    sem_07_timeout_not_looked_at_when_available,
    sem_08_huge_timeout_waits_until_released,
    sem_09_blocking_acquire_returns_once_released,
    sem_11_release_n_wakes_up_to_n_waiters,
    sem_16_any_thread_may_release,
    sem_18_waiters_are_served_in_arrival_order,
    timed_acquire_succeeds_when_released_in_time,
    deadline_in_the_future_times_out,
    guard_released_on_panic_in_another_thread,
    guard_is_send,
    stress_never_more_holders_than_permits,
);

// ---------------------------------------------------------------------------------------------
// BaseSemaphoreTests (both types)

fn test_constructor<S: Sem>() {
    // Python: negative values are a ValueError; a `usize` cannot be negative. What is left:
    // the value given is the value held, and `default()` is Python's `Semaphore()` (value 1).
    for v in [0, 1, 2, 7, 1000] {
        assert_eq!(S::make(v).value(), v);
    }
    assert_eq!(S::make_default().value(), 1);
    let max = S::make(Semaphore::MAX_VALUE);
    assert_eq!(max.value(), Semaphore::MAX_VALUE);
    assert!(max.try_acquire());
    assert_eq!(max.value(), Semaphore::MAX_VALUE - 1);
    max.release();
    assert_eq!(max.value(), Semaphore::MAX_VALUE);
}

fn test_acquire<S: Sem>() {
    let sem = S::make(1);
    sem.acquire();
    sem.release();
    let sem = S::make(2);
    sem.acquire();
    sem.acquire();
    assert_eq!(sem.value(), 0);
    sem.release();
    sem.release();
    assert_eq!(sem.value(), 2);
}

fn test_acquire_destroy<S: Sem>() {
    // Dropping a semaphore with permits out is fine (no owner, no poisoning).
    let sem = S::make_default();
    sem.acquire();
    drop(sem);
}

/// Shared state of `test_acquire_contended` / `test_multirelease`: the phase number and the
/// phase each acquire happened in.
struct Phases<S> {
    sem: S,
    phase: AtomicUsize,
    results: Mutex<Vec<usize>>,
}

impl<S: Sem> Phases<S> {
    fn count(&self) -> usize {
        self.results.lock().unwrap().len()
    }

    fn sorted(&self) -> Vec<usize> {
        let mut r = self.results.lock().unwrap().clone();
        r.sort_unstable();
        r
    }
}

/// CPython's `test_acquire_contended` (`multi == false`) and `test_multirelease` (`true`):
/// 10 threads each acquire twice from a `Semaphore(7)` with one permit taken; releases in two
/// phases let exactly as many acquires through as permits are added.
fn phased_release<S: Sem>(multi: bool) {
    const N: usize = 10;
    const SEM_VALUE: usize = 7;
    let p = Arc::new(Phases {
        sem: S::make(SEM_VALUE),
        phase: AtomicUsize::new(0),
        results: Mutex::default(),
    });
    p.sem.acquire();
    let q = Arc::clone(&p);
    let bunch = Bunch::new(N, false, move |_| {
        for _ in 0..2 {
            q.sem.acquire();
            q.results.lock().unwrap().push(q.phase.load(SeqCst));
        }
    });
    let release = |n: usize| {
        if multi {
            p.sem.release_n(n).unwrap();
        } else {
            for _ in 0..n {
                p.sem.release();
            }
        }
    };

    // Phase 0: the six free permits.
    let count1 = SEM_VALUE - 1;
    wait_until("phase 0 acquires", || p.count() >= count1);
    assert_stays("no acquire beyond the permits", SETTLE, || p.count() == count1);
    assert_eq!(p.sorted(), vec![0; count1]);

    // Phase 1.
    p.phase.store(1, SeqCst);
    release(SEM_VALUE);
    let count2 = SEM_VALUE;
    wait_until("phase 1 acquires", || p.count() >= count1 + count2);
    assert_stays("no acquire beyond the permits", SETTLE, || p.count() == count1 + count2);
    let mut expected = [vec![0; count1], vec![1; count2]].concat();
    assert_eq!(p.sorted(), expected);

    // Phase 2.
    p.phase.store(2, SeqCst);
    let count3 = SEM_VALUE - 1;
    release(count3);
    wait_until("phase 2 acquires", || p.count() >= count1 + count2 + count3);
    expected.extend([2; SEM_VALUE - 1]);
    assert_eq!(p.sorted(), expected);
    // The semaphore is still locked.
    assert!(!p.sem.try_acquire());
    assert_eq!(p.sem.value(), 0);

    // Final release, to let the last thread finish.
    release(1);
    bunch.wait_for_finished();
    assert_eq!(p.count(), 2 * N);
    assert_eq!(p.sem.value(), 0);
}

fn test_acquire_contended<S: Sem>() {
    phased_release::<S>(false);
}

fn test_multirelease<S: Sem>() {
    phased_release::<S>(true);
}

fn sem_03_test_try_acquire<S: Sem>() {
    let sem = S::make(2);
    assert!(sem.try_acquire());
    assert!(sem.try_acquire());
    assert!(!sem.try_acquire());
    sem.release();
    assert!(sem.try_acquire());
    assert!(sem.try_permit().is_none());
    sem.release();
    let p = sem.try_permit().expect("one permit back");
    assert_eq!(sem.value(), 0);
    drop(p);
    assert_eq!(sem.value(), 1);
}

fn sem_15_test_try_acquire_contended<S: Sem>() {
    let sem = Arc::new(S::make(4));
    sem.acquire();
    let results = Arc::new(Mutex::new(Vec::new()));
    let (s, r) = (Arc::clone(&sem), Arc::clone(&results));
    Bunch::new(5, false, move |_| {
        for _ in 0..2 {
            let got = s.try_acquire();
            r.lock().unwrap().push(got);
        }
    })
    .wait_for_finished();
    let mut results = results.lock().unwrap().clone();
    results.sort_unstable();
    assert_eq!(results, [[false; 7].as_slice(), &[true; 3]].concat());
    assert_eq!(sem.value(), 0);
}

fn sem_05_test_acquire_timeout<S: Sem>() {
    let sem = S::make(2);
    let tiny = Duration::from_millis(5);
    assert!(sem.acquire_timeout(tiny));
    assert!(sem.acquire_timeout(tiny));
    assert!(!sem.acquire_timeout(tiny));
    sem.release();
    assert!(sem.acquire_timeout(tiny));
    let (elapsed, got) = timed(|| sem.acquire_timeout(SHORT));
    assert!(!got);
    assert_timeout(elapsed, SHORT);
    let (elapsed, guard) = timed(|| sem.permit_timeout(SHORT));
    assert!(guard.is_none());
    assert_timeout(elapsed, SHORT);
    assert_eq!(sem.value(), 0, "timed-out acquires leave no trace");
}

fn test_default_value<S: Sem>() {
    // The default initial value is 1.
    let sem = Arc::new(S::make_default());
    sem.acquire();
    let s = Arc::clone(&sem);
    let bunch = Bunch::new(1, false, move |_| {
        s.acquire();
        s.release();
    });
    bunch.wait_for_started();
    assert_stays("the thread is blocked on acquire()", SETTLE, || bunch.finished() == 0);
    sem.release();
    bunch.wait_for_finished();
    assert_eq!(sem.value(), 1);
}

fn sem_13_test_with<S: Sem>() {
    let sem = S::make(2);
    let with = |fail: bool| {
        let _outer = sem.permit(); // with sem:
        assert!(sem.try_acquire());
        sem.release();
        let _inner = sem.permit(); // with sem:
        assert!(!sem.try_acquire());
        if fail {
            panic!("TypeError");
        }
    };
    with(false);
    assert!(sem.try_acquire());
    sem.release();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| with(true)));
    assert!(caught.is_err(), "the panic propagates");
    // Both permits were given back by the unwinding guards.
    assert_eq!(sem.value(), 2);
    assert!(sem.try_acquire());
    sem.release();
}

fn sem_06_zero_timeout_at_zero_is_one_try<S: Sem>() {
    // Python: `timeout=0` (or negative) at value 0 returns False at once, no ValueError.
    let sem = S::at_zero(1);
    let (elapsed, got) = timed(|| sem.acquire_timeout(Duration::ZERO));
    assert!(!got);
    assert!(elapsed < Duration::from_millis(50), "a zero timeout took {elapsed:?}");
    let past = Instant::now();
    let (elapsed, got) = timed(|| sem.acquire_deadline(past));
    assert!(!got);
    assert!(elapsed < Duration::from_millis(50), "a past deadline took {elapsed:?}");
    assert!(sem.permit_timeout(Duration::ZERO).is_none());
    assert!(sem.permit_deadline(past).is_none());
    assert_eq!(sem.value(), 0);
}

fn sem_07_timeout_not_looked_at_when_available<S: Sem>() {
    // Python: `s.acquire(timeout=-1); s.acquire(timeout=1e100)` on Semaphore(2): True, True.
    let sem = S::make(4);
    assert!(sem.acquire_timeout(Duration::ZERO));
    assert!(sem.acquire_timeout(Duration::MAX));
    assert!(sem.acquire_deadline(Instant::now() - Duration::from_millis(1)));
    let p = sem.permit_timeout(Duration::MAX);
    assert!(p.is_some());
    assert_eq!(sem.value(), 0);
}

fn sem_08_huge_timeout_waits_until_released<S: Sem>() {
    // Python raises OverflowError for a huge timeout at value 0; here it waits forever, and
    // returns true once another thread releases.
    let sem = Arc::new(S::at_zero(2));
    let results = Arc::new(Mutex::new(Vec::new()));
    let (s, r) = (Arc::clone(&sem), Arc::clone(&results));
    let waiters = Bunch::new(2, false, move |i| {
        let got = if i == 0 {
            s.acquire_timeout(Duration::MAX)
        } else {
            s.permit_timeout(Duration::from_secs(u64::MAX)).map(std::mem::forget).is_some()
        };
        r.lock().unwrap().push(got);
    });
    waiters.wait_for_started();
    assert_stays("the huge-timeout waiters are still waiting", SETTLE, || waiters.finished() == 0);
    sem.release();
    sem.release();
    waiters.wait_for_finished();
    assert_eq!(*results.lock().unwrap(), [true, true]);
    assert_eq!(sem.value(), 0);
}

fn sem_09_blocking_acquire_returns_once_released<S: Sem>() {
    let sem = Arc::new(S::at_zero(1));
    let done = Arc::new(AtomicBool::new(false));
    let (s, d) = (Arc::clone(&sem), Arc::clone(&done));
    let t = thread::spawn(move || {
        s.acquire();
        d.store(true, SeqCst);
    });
    assert_stays("acquire blocks at zero", SETTLE, || !done.load(SeqCst));
    sem.release();
    t.join().unwrap();
    assert!(done.load(SeqCst));
    assert_eq!(sem.value(), 0);
}

fn sem_11_release_n_wakes_up_to_n_waiters<S: Sem>() {
    // 5 waiters at 0; release(3) wakes 3; release(2) the rest; the value ends at 0.
    let sem = Arc::new(S::at_zero(5));
    let s = Arc::clone(&sem);
    let waiters = Bunch::new(5, false, move |_| s.acquire());
    waiters.wait_for_started();
    assert_stays("nobody gets through at zero", SETTLE, || waiters.finished() == 0);
    sem.release_n(3).unwrap();
    wait_until("three waiters through", || waiters.finished() >= 3);
    assert_stays("exactly three through", SETTLE, || waiters.finished() == 3);
    assert_eq!(sem.value(), 0);
    sem.release_n(2).unwrap();
    waiters.wait_for_finished();
    assert_eq!(sem.value(), 0);
    // n == 0 is Python's ValueError and changes nothing.
    let err = sem.release_n(0).unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::ReleaseCountZero);
    assert_eq!(err.to_string(), "n must be one or more");
    assert_eq!(sem.value(), 0);
}

fn sem_16_any_thread_may_release<S: Sem>() {
    let sem = Arc::new(S::at_zero(1));
    let s = Arc::clone(&sem);
    thread::spawn(move || s.release()).join().unwrap();
    assert!(sem.try_acquire());
    // A permit taken here, given back from another thread through its guard.
    sem.release();
    let s = Arc::clone(&sem);
    thread::scope(|scope| {
        let permit = s.permit();
        scope.spawn(move || drop(permit));
    });
    assert_eq!(sem.value(), 1);
}

fn sem_18_waiters_are_served_in_arrival_order<S: Sem>() {
    // 5 waiters arrive in order 0–4; 5 releases, one at a time: wake order [0, 1, 2, 3, 4].
    const N: usize = 5;
    let sem = Arc::new(S::at_zero(N));
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for i in 0..N {
        let (s, o) = (Arc::clone(&sem), Arc::clone(&order));
        let started = Arc::new(AtomicBool::new(false));
        let st = Arc::clone(&started);
        handles.push(thread::spawn(move || {
            st.store(true, SeqCst);
            s.acquire();
            o.lock().unwrap().push(i);
        }));
        wait_until("the waiter started", || started.load(SeqCst));
        // A parked thread is not observable, so this also gives waiter `i` the time to go to
        // sleep before `i + 1` arrives (CPython's `wait_threads_blocked` sleeps likewise).
        assert_stays("the waiter is blocked", SETTLE, || order.lock().unwrap().is_empty());
    }
    for i in 0..N {
        sem.release();
        wait_until("one more waiter through", || order.lock().unwrap().len() == i + 1);
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    assert_eq!(sem.value(), 0);
}

fn timed_acquire_succeeds_when_released_in_time<S: Sem>() {
    let sem = Arc::new(S::at_zero(1));
    let started = Arc::new(AtomicBool::new(false));
    let (s, st) = (Arc::clone(&sem), Arc::clone(&started));
    let t = thread::spawn(move || {
        st.store(true, SeqCst);
        timed(|| s.acquire_timeout(LONG))
    });
    wait_until("the waiter started", || started.load(SeqCst));
    sem.release();
    let (elapsed, got) = t.join().unwrap();
    assert!(got, "released long before the timeout");
    assert!(elapsed < LONG);
    assert_eq!(sem.value(), 0);
    // And with a deadline.
    let s = Arc::clone(&sem);
    let t = thread::spawn(move || s.acquire_deadline(Instant::now() + LONG));
    sem.release();
    assert!(t.join().unwrap());
}

fn deadline_in_the_future_times_out<S: Sem>() {
    let sem = S::at_zero(1);
    let (elapsed, got) = timed(|| sem.acquire_deadline(Instant::now() + SHORT));
    assert!(!got);
    assert_timeout(elapsed, SHORT);
    let (elapsed, guard) = timed(|| sem.permit_deadline(Instant::now() + SHORT));
    assert!(guard.is_none());
    assert_timeout(elapsed, SHORT);
    assert_eq!(sem.value(), 0);
}

fn guard_released_on_panic_in_another_thread<S: Sem>() {
    // No poisoning: a thread that panics while holding permits gives them back, and the
    // semaphore works normally afterwards.
    let sem = Arc::new(S::make(2));
    let s = Arc::clone(&sem);
    let result = thread::spawn(move || {
        let _a = s.permit();
        let _b = s.try_permit().expect("second permit");
        panic!("boom");
    })
    .join();
    assert!(result.is_err());
    assert_eq!(sem.value(), 2);
    let _p = sem.permit();
    assert!(sem.try_acquire());
}

fn guard_is_send<S: Sem>() {
    // A semaphore has no owner: its permit may be given back on any thread.
    let sem = S::make(1);
    let permit = sem.permit();
    thread::scope(|scope| {
        scope.spawn(move || {
            let _moved = permit;
        });
    });
    assert_eq!(sem.value(), 1);
}

fn stress_never_more_holders_than_permits<S: Sem>() {
    // Many threads, four ways to take a permit, batched releases: never more holders than
    // permits, every permit back at the end.
    const PERMITS: usize = 3;
    const THREADS: usize = if cfg!(miri) { 4 } else { 8 };
    const ROUNDS: usize = if cfg!(miri) { 60 } else { 2_000 };
    let sem = Arc::new(S::make(PERMITS));
    let holders = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let (s, h, m) = (Arc::clone(&sem), Arc::clone(&holders), Arc::clone(&max_seen));
    let hold = move |count: usize| {
        let now = h.fetch_add(count, SeqCst) + count;
        m.fetch_max(now, SeqCst);
        assert!(now <= PERMITS, "{now} holders of {PERMITS} permits");
        h.fetch_sub(count, SeqCst);
    };
    Bunch::new(THREADS, false, move |i| {
        for round in 0..ROUNDS {
            match (i + round) % 5 {
                0 => {
                    let _p = s.permit();
                    hold(1);
                }
                1 => {
                    if let Some(_p) = s.try_permit() {
                        hold(1);
                    }
                }
                2 => {
                    if let Some(_p) = s.permit_timeout(Duration::from_micros(50)) {
                        hold(1);
                    }
                }
                3 => {
                    // Two permits, given back with one release_n(2). The second is timed:
                    // threads each holding one permit and blocking on a second would deadlock
                    // (hold and wait), whatever the semaphore does.
                    s.acquire();
                    if s.acquire_timeout(Duration::from_micros(200)) {
                        hold(2);
                        s.release_n(2).unwrap();
                    } else {
                        hold(1);
                        s.release_n(1).unwrap();
                    }
                }
                _ => {
                    if s.acquire_timeout(Duration::from_millis(1)) {
                        hold(1);
                        s.release();
                    }
                }
            }
        }
    })
    .wait_for_finished();
    assert_eq!(sem.value(), PERMITS);
    assert_eq!(holders.load(SeqCst), 0);
    assert!(max_seen.load(SeqCst) >= 1);
}

// ---------------------------------------------------------------------------------------------
// SemaphoreTests

#[test]
fn sem_10_test_release_unacquired() {
    // Unbounded releases are allowed and increment the semaphore's value.
    let sem = Semaphore::new(1);
    sem.release();
    assert_eq!(sem.value(), 2);
    sem.acquire();
    sem.acquire();
    assert_eq!(sem.value(), 0);
    sem.release();
    sem.release_n(5).unwrap();
    assert_eq!(sem.value(), 6);
}

#[test]
fn semaphore_test_repr() {
    let sem = Semaphore::new(3);
    assert_eq!(format!("{sem:?}"), "Semaphore { value: 3 }");
    sem.acquire();
    assert_eq!(format!("{sem:?}"), "Semaphore { value: 2 }");
    sem.release();
    sem.release();
    assert_eq!(format!("{sem:?}"), "Semaphore { value: 4 }");
    let permit = sem.permit();
    assert_eq!(format!("{permit:?}"), "SemaphoreGuard { value: 3 }");
    assert!(format!("{sem:#?}").contains("value: 3"));
}

#[test]
fn semaphore_in_a_static() {
    static SEM: Semaphore = Semaphore::new(2);
    let a = SEM.permit();
    let b = SEM.permit();
    assert!(SEM.try_permit().is_none());
    drop((a, b));
    assert_eq!(SEM.value(), 2);
}

#[test]
#[should_panic(expected = "semaphore value would exceed Semaphore::MAX_VALUE")]
fn semaphore_new_above_max_value_panics() {
    let _ = Semaphore::new(Semaphore::MAX_VALUE + 1);
}

#[test]
fn semaphore_release_past_max_value_panics_and_changes_nothing() {
    let sem = Semaphore::new(Semaphore::MAX_VALUE);
    let err = panic::catch_unwind(|| sem.release()).unwrap_err();
    assert_eq!(err.downcast_ref::<String>().map(String::as_str), Some(OVERFLOW_MESSAGE));
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);

    let sem = Semaphore::new(1);
    assert!(panic::catch_unwind(|| sem.release_n(usize::MAX)).is_err());
    assert!(panic::catch_unwind(|| sem.release_n(Semaphore::MAX_VALUE)).is_err());
    assert_eq!(sem.value(), 1, "a refused release_n adds nothing");
    sem.release_n(Semaphore::MAX_VALUE - 1).unwrap();
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);
    // n == 0 is checked first: a ValueError, not the overflow panic.
    assert_eq!(sem.release_n(0).unwrap_err().kind(), ValueErrorKind::ReleaseCountZero);
    // The semaphore still works.
    assert!(sem.try_acquire());
    sem.release();
}

#[test]
fn semaphore_racing_releases_near_max_value_add_exactly_the_room_left() {
    // `release()` adds its permit first and takes it back when it went past the bound: of
    // eight releases racing for four free places, exactly four succeed.
    const ROOM: usize = 4;
    let sem = Semaphore::new(Semaphore::MAX_VALUE - ROOM);
    let start = std::sync::Barrier::new(8);
    let succeeded = std::thread::scope(|s| {
        let releasers: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    panic::catch_unwind(|| sem.release()).is_ok()
                })
            })
            .collect();
        releasers.into_iter().map(|r| r.join().unwrap()).filter(|&ok| ok).count()
    });
    assert_eq!(succeeded, ROOM);
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);
    assert!(sem.try_acquire(), "still usable");
}

/// The overflow panic's message, as documented on `Semaphore::release`.
const OVERFLOW_MESSAGE: &str = "semaphore value would exceed Semaphore::MAX_VALUE";

#[test]
fn semaphore_guard_drop_at_max_value_does_not_panic() {
    // A permit out, then releases up to MAX_VALUE behind the guard's back: the guard's drop
    // cannot add its permit, and leaves the value at the maximum rather than panicking.
    let sem = Semaphore::new(1);
    let permit = sem.permit();
    sem.release_n(Semaphore::MAX_VALUE).unwrap();
    drop(permit);
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);
}

// ---------------------------------------------------------------------------------------------
// BoundedSemaphoreTests

#[test]
fn bounded_test_release_unacquired() {
    // Cannot go past the initial value.
    let sem = BoundedSemaphore::default();
    let err = sem.release().unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::SemaphoreReleasedTooManyTimes);
    assert_eq!(err.to_string(), "Semaphore released too many times");
    assert_eq!(sem.value(), 1);
    sem.acquire();
    sem.release().unwrap();
    assert_eq!(sem.release().unwrap_err().kind(), ValueErrorKind::SemaphoreReleasedTooManyTimes);
    assert_eq!(sem.value(), 1);
}

#[test]
fn bsem_04_test_repr() {
    let sem = BoundedSemaphore::new(3);
    assert_eq!(format!("{sem:?}"), "BoundedSemaphore { value: 3, initial_value: 3 }");
    sem.acquire();
    assert_eq!(format!("{sem:?}"), "BoundedSemaphore { value: 2, initial_value: 3 }");
    assert_eq!((sem.value(), sem.initial_value()), (2, 3));
    let permit = sem.permit();
    assert_eq!(format!("{permit:?}"), "SemaphoreGuard { value: 1 }");
}

#[test]
fn bsem_02_release_n_is_all_or_nothing() {
    let sem = BoundedSemaphore::new(3);
    sem.acquire();
    sem.acquire();
    assert_eq!(sem.value(), 1);
    // 1 + 3 > 3: refused as a whole, not clamped to 2.
    let err = sem.release_n(3).unwrap_err();
    assert_eq!(err.kind(), ValueErrorKind::SemaphoreReleasedTooManyTimes);
    assert_eq!(sem.value(), 1);
    assert_eq!(sem.release_n(usize::MAX).unwrap_err(), err, "no overflow: still too many");
    assert_eq!(sem.value(), 1);
    // n == 0 is checked first (Python: "n must be one or more" before the bound).
    assert_eq!(sem.release_n(0).unwrap_err().kind(), ValueErrorKind::ReleaseCountZero);
    sem.release_n(2).unwrap();
    assert_eq!(sem.value(), 3);
    assert!(sem.release_n(1).is_err());
}

#[test]
fn bsem_03_test_bounded_semaphore_limit() {
    // test_threading.ThreadTests.test_BoundedSemaphore_limit: acquires from `limit` threads,
    // releases from `limit` other threads, then one more release fails.
    for limit in 1..10 {
        let sem = Arc::new(BoundedSemaphore::new(limit));
        let s = Arc::clone(&sem);
        Bunch::new(limit, false, move |_| s.acquire()).wait_for_finished();
        assert_eq!(sem.value(), 0);
        let s = Arc::clone(&sem);
        Bunch::new(limit, false, move |_| s.release().unwrap()).wait_for_finished();
        assert_eq!(sem.value(), limit);
        assert_eq!(
            sem.release().unwrap_err().kind(),
            ValueErrorKind::SemaphoreReleasedTooManyTimes
        );
    }
}

#[test]
fn bsem_05_initial_value_zero_refuses_every_release() {
    let sem = BoundedSemaphore::new(0);
    assert!(sem.release().is_err());
    assert!(sem.release_n(1).is_err());
    assert!(!sem.try_acquire());
    assert_eq!(sem.value(), 0);
}

#[test]
fn bsem_06_same_api_as_semaphore() {
    // Python: BoundedSemaphore is a subclass of Semaphore, and the other Semaphore rules apply
    // (the base tests above run for both). Here they are two types with the same methods and
    // one guard type; generic code goes through a trait like this file's `Sem`.
    fn take<S: Sem>(s: &S) -> SemaphoreGuard<'_> {
        s.permit()
    }
    let (a, b) = (Semaphore::new(1), BoundedSemaphore::new(1));
    let permits: Vec<SemaphoreGuard<'_>> = vec![take(&a), take(&b)];
    assert_eq!((a.value(), b.value()), (0, 0));
    drop(permits);
    assert_eq!((a.value(), b.value()), (1, 1));
    static BOUNDED: BoundedSemaphore = BoundedSemaphore::new(1);
    assert!(BOUNDED.release().is_err());
}

#[test]
#[should_panic(expected = "semaphore value would exceed Semaphore::MAX_VALUE")]
fn bounded_new_above_max_value_panics() {
    let _ = BoundedSemaphore::new(usize::MAX);
}

#[test]
fn bounded_guard_drop_after_release_behind_its_back() {
    // Python's `__exit__` would raise ValueError here; a destructor cannot, so the guard's
    // refused release leaves the value at the bound, and nothing panics.
    let sem = BoundedSemaphore::new(1);
    let permit = sem.permit();
    sem.release().unwrap(); // the guard's permit, given back early by hand
    assert_eq!(sem.value(), 1);
    drop(permit);
    assert_eq!(sem.value(), 1, "never above the initial value");
}

#[test]
fn bounded_value_never_exceeds_initial_under_rogue_releases() {
    // Well-behaved threads take and give back permits while rogue threads release without
    // acquiring: every rogue release that would go past the bound is refused, whatever the
    // interleaving, so the value never exceeds the initial value.
    const INITIAL: usize = 3;
    let sem = Arc::new(BoundedSemaphore::new(INITIAL));
    let stop = Arc::new(AtomicBool::new(false));
    let (s, st) = (Arc::clone(&sem), Arc::clone(&stop));
    let bunch = Bunch::new(6, false, move |i| {
        if i < 2 {
            while !st.load(SeqCst) {
                let _ = s.release(); // mostly refused
                assert!(s.value() <= INITIAL);
            }
        } else {
            for _ in 0..if cfg!(miri) { 50 } else { 2_000 } {
                if s.try_acquire() {
                    assert!(s.value() <= INITIAL);
                    // Given back by hand: the rogues may have refilled it, then this is refused.
                    let _ = s.release();
                }
            }
        }
    });
    wait_until("the workers are done", || bunch.finished() >= 4);
    stop.store(true, SeqCst);
    bunch.wait_for_finished();
    assert!(sem.value() <= INITIAL);
}
