//! Behaviour tests for [`threading::Timer`]: CPython's `TimerTests` and the TMR-xx rows of
//! `python-semantics.md` §10.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use threading::{Event, JoinError, RuntimeErrorKind, Thread, Timer, current_thread};
use threading_tests::{PATIENCE, assert_timeout, timed};

use crate::thread::capture_reports;

/// A timer whose function counts its calls (and sets `called` each time).
fn spy(interval: Duration) -> (Timer, Arc<AtomicUsize>, Arc<Event>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let called = Arc::new(Event::new());
    let (c, e) = (Arc::clone(&calls), Arc::clone(&called));
    let timer = Timer::new(interval, move || {
        c.fetch_add(1, Ordering::SeqCst);
        e.set();
    });
    (timer, calls, called)
}

#[test]
fn test_init_immutable_default_args_two_timers_each_call_once() {
    // CPython's test checks that one timer's `args`/`kwargs` cannot leak into another's; here a
    // timer's arguments are its closure's captures, so the shape that remains is: two timers,
    // each calls its own function once.
    let (t1, c1, e1) = spy(Duration::from_millis(10));
    t1.start().unwrap();
    assert!(e1.wait_timeout(PATIENCE));
    let (t2, c2, e2) = spy(Duration::from_millis(10));
    t2.start().unwrap();
    assert!(e2.wait_timeout(PATIENCE));
    t1.join().unwrap();
    t2.join().unwrap();
    assert_eq!((c1.load(Ordering::SeqCst), c2.load(Ordering::SeqCst)), (1, 1));
}

#[test]
fn timer_fires_after_its_interval() {
    let interval = Duration::from_millis(100);
    let (timer, calls, called) = spy(interval);
    let (elapsed, fired) = timed(|| {
        timer.start().unwrap();
        called.wait_timeout(PATIENCE)
    });
    assert!(fired);
    assert_timeout(elapsed, interval);
    timer.join().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(timer.finished().is_set());
    assert!(!timer.is_alive());
}

#[test]
fn tmr_03_cancel_before_expiry_is_prompt() {
    let (timer, calls, _) = spy(Duration::from_secs(10));
    timer.start().unwrap();
    assert!(timer.is_alive());
    let (elapsed, joined) = timed(|| {
        timer.cancel();
        timer.join_timeout(PATIENCE)
    });
    assert_eq!(joined, Ok(true));
    assert!(elapsed < Duration::from_millis(500), "the interval was slept out: {elapsed:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn tmr_03_cancel_before_start() {
    let (timer, calls, _) = spy(Duration::from_secs(10));
    timer.cancel();
    let (elapsed, ()) = timed(|| {
        timer.start().unwrap();
        timer.join().unwrap();
    });
    assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn tmr_04_cancel_after_firing_is_a_no_op() {
    let (timer, calls, _) = spy(Duration::ZERO);
    timer.start().unwrap();
    timer.join().unwrap();
    timer.cancel();
    timer.cancel();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(timer.finished().is_set());
}

#[test]
fn tmr_06_zero_interval_fires_at_once() {
    let (timer, calls, called) = spy(Duration::ZERO);
    let (elapsed, fired) = timed(|| {
        timer.start().unwrap();
        called.wait_timeout(PATIENCE)
    });
    assert!(fired);
    assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
    timer.join().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn tmr_07_a_timer_is_a_thread() {
    let timer = Timer::new(Duration::ZERO, || ());
    let thread: &Thread = &timer; // Deref
    assert!(thread.name().starts_with("Thread-"));
    assert!(!timer.name().contains('('), "no target part: {}", timer.name());
    assert_eq!(timer.ident(), None);
    // The daemon flag is inherited: a test thread is a daemon (Dummy-N), a non-daemon thread's
    // timers are not daemons.
    assert!(timer.daemon());
    let inner =
        Thread::builder().daemon(false).build(|| Timer::new(Duration::ZERO, || ()).daemon());
    inner.start().unwrap();
    assert!(!inner.join_output().unwrap());
    timer.start().unwrap();
    assert!(timer.ident().is_some());
    let err = timer.start().unwrap_err();
    assert_eq!(err.kind(), RuntimeErrorKind::ThreadStartedTwice);
    assert_eq!(err.to_string(), "threads can only be started once");
    timer.join().unwrap();
    assert!(timer.thread() == thread);
}

#[test]
fn tmr_07_the_function_runs_on_the_timer_thread() {
    let seen = Arc::new(std::sync::Mutex::new(None));
    let s = Arc::clone(&seen);
    let timer = Timer::new(Duration::ZERO, move || *s.lock().unwrap() = Some(current_thread()));
    timer.start().unwrap();
    timer.join().unwrap();
    assert!(seen.lock().unwrap().as_ref().is_some_and(|t| t == timer.thread()));
}

#[test]
fn tmr_08_huge_interval_waits_until_cancelled() {
    let (timer, calls, _) = spy(Duration::MAX);
    timer.start().unwrap();
    assert_eq!(timer.join_timeout(Duration::from_millis(50)), Ok(false));
    timer.cancel();
    assert_eq!(timer.join_timeout(PATIENCE), Ok(true));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn a_panicking_function_goes_to_the_excepthook() {
    let (_hook, reports) = capture_reports("timer-");
    let timer =
        Timer::builder().name("timer-panics").build(Duration::ZERO, || panic!("timer failed"));
    timer.start().unwrap();
    assert_eq!(timer.join(), Err(JoinError::Panicked("timer failed".into())));
    let r = reports.lock().unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "timer failed");
    assert_eq!(r[0].2.as_deref(), Some("timer-panics"));
    // Unlike CPython (TMR-09), `finished` is set although the function raised.
    assert!(timer.finished().is_set());
}

#[test]
fn finished_event_and_interval() {
    let (timer, _, _) = spy(Duration::from_millis(20));
    assert_eq!(timer.interval(), Duration::from_millis(20));
    assert!(!timer.finished().is_set());
    timer.start().unwrap();
    assert!(timer.finished().wait_timeout(PATIENCE));
    timer.join().unwrap();
    // `finished().set()` is `cancel()`.
    let (other, calls, _) = spy(Duration::from_secs(10));
    other.start().unwrap();
    other.finished().set();
    other.join().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn builder_debug_and_clones() {
    let timer = Timer::builder().name("tick").daemon(false).build(Duration::ZERO, || ());
    assert_eq!(format!("{timer:?}"), "<Timer(tick, initial)>");
    let clone = timer.clone();
    clone.start().unwrap();
    let ident = timer.ident().unwrap();
    timer.join().unwrap();
    assert_eq!(format!("{timer:?}"), format!("<Timer(tick, stopped {ident})>"));
    assert!(clone.thread() == timer.thread());
}
