//! `cargo xtask miri`: the integration tests (`tests/integration`) under Miri, once per seed.
//!
//! Each seed is one `cargo +nightly miri test -p threading-tests --test integration` with
//! `-Zmiri-seed=S`, in its own target directory (`target/miri`, so the normal build is kept).
//! The seed changes Miri's schedule (where it preempts a thread), the addresses it hands out and
//! which older value a weak-memory load returns, so every seed is another set of interleavings.
//! The seeds run one after the other rather than through `-Zmiri-many-seeds`: that runs the
//! instances in parallel and interleaves their output, so the summary could not say which seed
//! failed, and on this 2-core machine (shared with other builds) parallel seeds are not faster.
//!
//! Flags (verification.md §5.2), always passed; `$MIRIFLAGS` is appended, so it can add to them
//! (e.g. `-Zmiri-tree-borrows`):
//!
//! * `-Zmiri-strict-provenance`: no integer-to-pointer casts. The workspace uses
//!   parking_lot 0.13 / parking_lot_core 0.10, which are clean under it (0.9's `word_lock` cast
//!   would need `-Zmiri-permissive-provenance`; verification.md §5.1).
//! * Isolation stays on (no `-Zmiri-disable-isolation`): the primitives only need the monotonic
//!   clock, which Miri makes virtual and deterministic, so a failing seed reproduces exactly.
//!   The tests that need the host (child processes) are `#[cfg(not(miri))]`, each with its
//!   reason.
//! * No `-Zmiri-ignore-leaks`: every test joins what it starts, and the test watchdog thread is
//!   not started under Miri (`tests/src/lib.rs`), so a leak is a real report.
//!
//! Only the integration tests. The primitive crates have three unit tests between them
//! (`crates/queue`'s storage), and their doctests are usage examples of what the integration
//! tests check in depth; some cannot hold under Miri (`threading_core::process::at_exit`
//! registers nothing there, as Miri has no `atexit`). Measured: `cargo +nightly miri test -p
//! threading-event --doc` ran its 8 doctests (merged into one binary, edition 2024) in 3.2 s of
//! Miri's virtual time but took 2 minutes of wall time with the doc build, on the loaded 2-core
//! machine; the workspace has about 290.
//!
//! The child-process tests (`tests/bin/*`) are `#[cfg(not(miri))]`: Miri cannot spawn a
//! process. Tests whose timing budget must cover work done in between use a longer budget under
//! Miri, whose virtual clock advances 5 µs per interpreted basic block.

use std::process::Command;
use std::time::Instant;

use crate::nightly;
use crate::util;

/// Seeds run by default: `0..DEFAULT_SEEDS`.
pub(crate) const DEFAULT_SEEDS: u64 = 4;

/// The flags every run gets, before `$MIRIFLAGS`.
pub(crate) const BASE_FLAGS: &str = "-Zmiri-strict-provenance";

/// The command line of `cargo xtask miri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// The seeds, `first..end`.
    pub(crate) seeds: std::ops::Range<u64>,
    /// Test-name filter passed to the test harness (e.g. `lock::`).
    pub(crate) filter: Option<String>,
    /// Extra arguments for the test harness (after `--`).
    pub(crate) extra: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options { seeds: 0..DEFAULT_SEEDS, filter: None, extra: Vec::new() }
    }
}

impl Options {
    /// Parses `[--seeds N | --seeds A..B] [FILTER] [-- extra test args]`.
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut seeds = Options::default().seeds;
        let rest = util::parse_test_args("miri", args, |name, value| {
            if name != "--seeds" {
                return Ok(false);
            }
            seeds = parse_seeds(&value()?)?;
            Ok(true)
        })?;
        Ok(Options { seeds, filter: rest.filter, extra: rest.extra })
    }
}

/// Parses `N` (seeds `0..N`) or `A..B`; the range may not be empty.
fn parse_seeds(s: &str) -> Result<std::ops::Range<u64>, String> {
    let bad = || format!("`--seeds` needs N (seeds 0..N) or A..B with A < B, got `{s}`");
    let range = match s.split_once("..") {
        Some((a, b)) => a.parse().map_err(|_| bad())?..b.parse().map_err(|_| bad())?,
        None => 0..s.parse().map_err(|_| bad())?,
    };
    if range.is_empty() { Err(bad()) } else { Ok(range) }
}

/// The `MIRIFLAGS` of one seed: [`BASE_FLAGS`], the seed, then `existing`.
pub(crate) fn miriflags(seed: u64, existing: Option<&str>) -> String {
    nightly::join_flags(&format!("{BASE_FLAGS} -Zmiri-seed={seed}"), existing)
}

/// Runs the suite once per seed (all of them, even after a failure), then prints (and writes to
/// `<target>/miri-report.md`) the summary. An error if any seed failed.
pub(crate) fn run(o: &Options) -> Result<(), String> {
    nightly::require("miri", &["miri", "rust-src"]);
    let root = util::workspace_root();
    let target = util::target_dir().join("miri");
    let existing = std::env::var("MIRIFLAGS").ok();
    eprintln!(
        "xtask: miri, seeds {}..{} (CARGO_TARGET_DIR={}, MIRIFLAGS={})",
        o.seeds.start,
        o.seeds.end,
        target.display(),
        miriflags(o.seeds.start, existing.as_deref())
    );
    let started = Instant::now();
    let mut runs = Vec::new();
    for seed in o.seeds.clone() {
        let mut cmd: Command = nightly::nightly_cargo();
        cmd.current_dir(&root)
            .args(["miri", "test", "-p", "threading-tests", "--test", "integration", "--"])
            .args(&o.filter)
            .args(&o.extra)
            .env("CARGO_TARGET_DIR", &target)
            .env("MIRIFLAGS", miriflags(seed, existing.as_deref()));
        eprintln!("xtask: miri seed {seed}");
        runs.push(nightly::run_tests(format!("seed {seed}"), &mut cmd)?);
    }
    let title = format!(
        "Miri: `threading-tests --test integration`{}, seeds {}..{}, MIRIFLAGS `{}`",
        o.filter.as_deref().map(|f| format!(" `{f}`")).unwrap_or_default(),
        o.seeds.start,
        o.seeds.end,
        miriflags(o.seeds.start, existing.as_deref())
            .replace(&format!("-Zmiri-seed={}", o.seeds.start), "-Zmiri-seed=S"),
    );
    nightly::report(&nightly::summary(&title, &runs, started.elapsed()), "miri-report.md");
    let failed: Vec<&str> = runs.iter().filter(|r| !r.ok).map(|r| r.label.as_str()).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Miri failed for {} (reproduce one with `cargo xtask miri --seeds S..S+1`)",
            failed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Turns a list of string literals into owned arguments.
    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults() {
        assert_eq!(Options::parse(&[]).unwrap(), Options::default());
        assert_eq!(Options::default().seeds, 0..4);
    }

    #[test]
    fn seeds_filter_and_extra() {
        let o = Options::parse(&args(&["--seeds", "8", "lock::", "--", "--exact"])).unwrap();
        assert_eq!(o.seeds, 0..8);
        assert_eq!(o.filter.as_deref(), Some("lock::"));
        assert_eq!(o.extra, args(&["--exact"]));
        assert_eq!(Options::parse(&args(&["--seeds=3..5"])).unwrap().seeds, 3..5);
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [&["--seeds"][..], &["--seeds", "0"], &["--seeds", "5..5"], &["--seeds", "x"]] {
            assert!(Options::parse(&args(bad)).is_err(), "{bad:?}");
        }
        assert!(Options::parse(&args(&["--frobnicate"])).is_err());
        assert!(Options::parse(&args(&["a", "b"])).is_err());
    }

    #[test]
    fn flags_have_the_seed_then_the_callers() {
        assert_eq!(miriflags(3, None), "-Zmiri-strict-provenance -Zmiri-seed=3");
        assert_eq!(
            miriflags(0, Some("-Zmiri-tree-borrows")),
            "-Zmiri-strict-provenance -Zmiri-seed=0 -Zmiri-tree-borrows"
        );
    }
}
