//! Shared loom support: [`check`] runs a model with the CI preemption bound and reports its size.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

pub(crate) use threading_core::model::clock;
pub(crate) use threading_core::model::loom;

/// Runs `f` as a loom model.
///
/// The preemption bound comes from `LOOM_MAX_PREEMPTIONS` (set by `cargo xtask loom`: 2 in CI,
/// 3 with `--deep`); without it the bound is 2, so a model is never silently exhaustive. Prints
/// the number of executions and the time taken, which `cargo xtask loom` collects.
pub(crate) fn check(name: &str, f: impl Fn() + Sync + Send + 'static) {
    static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    let bound = builder.preemption_bound;
    let start = std::time::Instant::now();
    let counter = std::sync::Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    builder.check(move || {
        c.fetch_add(1, Relaxed);
        f();
    });
    EXECUTIONS.fetch_add(counter.load(Relaxed), Relaxed);
    eprintln!(
        "loom-model {name}: {} executions, bound {:?}, {:.2?}",
        counter.load(Relaxed),
        bound,
        start.elapsed()
    );
}

/// Observes a critical section in a model.
///
/// [`enter`](Exclusive::enter) panics if another thread is inside (an overlap seen through a
/// `Relaxed` counter, which adds no happens-before edge of its own), and both ends of every
/// section write a loom `UnsafeCell`, so loom also reports a section that is not ordered after
/// the previous one (a lock whose acquire/release orderings are too weak).
#[derive(Debug)]
pub(crate) struct Exclusive {
    inside: loom::sync::atomic::AtomicUsize,
    /// Sections entered and left.
    counts: loom::cell::UnsafeCell<(usize, usize)>,
}

impl Exclusive {
    pub(crate) fn new() -> Exclusive {
        Exclusive {
            inside: loom::sync::atomic::AtomicUsize::new(0),
            counts: loom::cell::UnsafeCell::new((0, 0)),
        }
    }

    /// Marks the calling thread as inside until the returned guard is dropped.
    #[track_caller]
    pub(crate) fn enter(&self) -> Inside<'_> {
        let before = self.inside.fetch_add(1, Relaxed);
        assert_eq!(before, 0, "two threads inside the critical section");
        // SAFETY: loom checks this access; a race is the bug the model looks for.
        self.counts.with_mut(|c| unsafe { (*c).0 += 1 });
        Inside { of: self }
    }

    /// How many sections have been entered (and left); call it after joining every thread.
    #[track_caller]
    pub(crate) fn entries(&self) -> usize {
        // SAFETY: loom checks this access against every section.
        let (entered, left) = self.counts.with(|c| unsafe { *c });
        assert_eq!(entered, left, "a thread is still inside the critical section");
        entered
    }
}

/// A thread's stay in an [`Exclusive`] section.
#[derive(Debug)]
pub(crate) struct Inside<'a> {
    of: &'a Exclusive,
}

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        // SAFETY: loom checks this access, as in `enter`.
        self.of.counts.with_mut(|c| unsafe { (*c).1 += 1 });
        self.of.inside.fetch_sub(1, Relaxed);
    }
}

/// Spins (with loom yields) until `n` threads are parked, so a model can start a step only
/// once its waiters are asleep.
pub(crate) fn wait_parked(n: usize) {
    while clock::parked() < n {
        loom::thread::yield_now();
    }
}
