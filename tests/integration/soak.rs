//! The soak engine (`threading_tests::soak`, run at length by `cargo xtask soak`) for two
//! seconds: every primitive at once, and the report must be clean.

use std::time::Duration;

use threading_tests::soak::{Config, Rng, run};

// Not under miri: the soak is about wall-clock behaviour (timeouts, a stall monitor) of some
// 70 threads, which miri would interpret for hours; the primitives' memory safety is miri's
// job in the other tests.
#[cfg(not(miri))]
#[test]
fn soak_two_seconds_is_clean() {
    threading_tests::arm_watchdog();
    let mut config = Config::new(Duration::from_secs(2));
    config.threads = 3;
    config.seed = 7;
    let report = run(config);
    println!("{report}");
    assert!(report.is_clean(), "{report}");
    for w in &report.workloads {
        assert!(w.ops > 0, "workload {} made no progress:\n{report}", w.name);
    }
}

#[test]
fn rng_is_deterministic_and_spread() {
    let (mut a, mut b) = (Rng::new(42), Rng::new(42));
    let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
    let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
    assert_eq!(xs, ys);
    let mut r = Rng::new(1);
    let mut buckets = [0u32; 10];
    for _ in 0..10_000 {
        buckets[r.below(10) as usize] += 1;
    }
    assert!(buckets.iter().all(|&n| (800..1200).contains(&n)), "{buckets:?}");
    let zeros = (0..1000).filter(|_| r.timeout(false).is_zero()).count();
    assert!((100..200).contains(&zeros), "{zeros} zero timeouts of 1000");
    assert!((0..1000).all(|_| r.timeout(false) < Duration::MAX));
}
