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
