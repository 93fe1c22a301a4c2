//! `cargo xtask tsan`: the integration tests (`tests/integration`) under ThreadSanitizer.
//!
//! `RUSTFLAGS="-Zsanitizer=thread --cfg threading_tsan" cargo +nightly test -Zbuild-std --target
//! x86_64-unknown-linux-gnu -p threading-tests --test integration --release`, in its own target
//! directory (`target/tsan`). std is rebuilt instrumented (`-Zbuild-std`, hence `rust-src`), so
//! its own synchronisation is visible to TSan and does not cause false reports; the explicit
//! `--target` keeps the sanitizer flag away from build scripts and proc-macros
//! (verification.md §6).
//!
//! TSan only sees the interleavings that happen, so `--runs N` repeats the suite (one build) to
//! give it more. `TSAN_OPTIONS` gets `halt_on_error=1` (a report fails the run: the test binary
//! exits 66), `second_deadlock_stack=1`, and `suppressions=xtask/tsan.supp` (each entry there is
//! justified); `$TSAN_OPTIONS` is appended, so it can add to or override them.
//!
//! The primitives use no standalone `fence` (TSan does not model fences; checked by
//! `grep -rn fence crates/*/src`), so there is no `cfg(sanitize = "thread")` twin in the code.

use std::process::Command;
use std::time::Instant;

use crate::nightly;
use crate::util;

/// The target triple the suite is built for (an explicit `--target` is what keeps
/// `RUSTFLAGS` off build scripts and proc-macros).
pub(crate) const TARGET: &str = "x86_64-unknown-linux-gnu";

/// The flags of the instrumented build, before `$RUSTFLAGS`. `threading_tsan` lets a test
/// allow for what the TSan runtime changes (it handles SIGSEGV itself, so a stack overflow in a
/// child process dies without Rust's message); it is declared in the workspace's check-cfg.
pub(crate) const RUSTFLAGS: &str = "-Zsanitizer=thread --cfg threading_tsan";

/// The command line of `cargo xtask tsan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// How many times to run the suite.
    pub(crate) runs: u32,
    /// Test-name filter passed to the test harness (e.g. `lock::`).
    pub(crate) filter: Option<String>,
    /// Extra arguments for the test harness (after `--`).
    pub(crate) extra: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options { runs: 1, filter: None, extra: Vec::new() }
    }
}

impl Options {
    /// Parses `[--runs N] [FILTER] [-- extra test args]`.
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut runs = Options::default().runs;
        let rest = util::parse_test_args("tsan", args, |name, value| {
            if name != "--runs" {
                return Ok(false);
            }
            runs = parse_runs(&value()?)?;
            Ok(true)
        })?;
        Ok(Options { runs, filter: rest.filter, extra: rest.extra })
    }
}

/// Parses a positive run count.
fn parse_runs(s: &str) -> Result<u32, String> {
    s.parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`--runs` needs a positive number, got `{s}`"))
}

/// `TSAN_OPTIONS`: ours, with the suppressions file at `supp`, then `existing`.
pub(crate) fn tsan_options(supp: &std::path::Path, existing: Option<&str>) -> String {
    nightly::join_flags(
        &format!("halt_on_error=1 second_deadlock_stack=1 suppressions={}", supp.display()),
        existing,
    )
}

/// Runs the suite `o.runs` times (all of them, even after a failure), then prints (and writes
/// to `<target>/tsan-report.md`) the summary. An error if any run failed.
pub(crate) fn run(o: &Options) -> Result<(), String> {
    nightly::require("tsan", &["rust-src"]);
    let root = util::workspace_root();
    let target = util::target_dir().join("tsan");
    let supp = root.join("xtask").join("tsan.supp");
    let rustflags = nightly::join_flags(RUSTFLAGS, std::env::var("RUSTFLAGS").ok().as_deref());
    let options = tsan_options(&supp, std::env::var("TSAN_OPTIONS").ok().as_deref());
    eprintln!(
        "xtask: tsan, {} run(s) (CARGO_TARGET_DIR={}, RUSTFLAGS={rustflags}, TSAN_OPTIONS={options})",
        o.runs,
        target.display()
    );
    let started = Instant::now();
    let mut runs = Vec::new();
    for run in 1..=o.runs {
        let mut cmd: Command = nightly::nightly_cargo();
        cmd.current_dir(&root)
            .args(["test", "-Zbuild-std", "--target", TARGET, "--release"])
            .args(["-p", "threading-tests", "--test", "integration", "--"])
            .args(&o.filter)
            .args(&o.extra)
            // Cargo prefers CARGO_ENCODED_RUSTFLAGS over RUSTFLAGS when it is set.
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env("RUSTFLAGS", &rustflags)
            .env("CARGO_TARGET_DIR", &target)
            .env("TSAN_OPTIONS", &options);
        eprintln!("xtask: tsan run {run} of {}", o.runs);
        runs.push(nightly::run_tests(format!("run {run}"), &mut cmd)?);
    }
    let title = format!(
        "ThreadSanitizer: `threading-tests --test integration --release`{}, {} run(s), TSAN_OPTIONS `{options}`",
        o.filter.as_deref().map(|f| format!(" `{f}`")).unwrap_or_default(),
        o.runs,
    );
    nightly::report(&nightly::summary(&title, &runs, started.elapsed()), "tsan-report.md");
    let failed: Vec<&str> = runs.iter().filter(|r| !r.ok).map(|r| r.label.as_str()).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("ThreadSanitizer failed in {}", failed.join(", ")))
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
    fn defaults_runs_filter_and_extra() {
        assert_eq!(Options::parse(&[]).unwrap(), Options::default());
        let o = Options::parse(&args(&["--runs", "3", "queue::", "--", "--exact"])).unwrap();
        assert_eq!(o.runs, 3);
        assert_eq!(o.filter.as_deref(), Some("queue::"));
        assert_eq!(o.extra, args(&["--exact"]));
        assert_eq!(Options::parse(&args(&["--runs=2"])).unwrap().runs, 2);
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [&["--runs"][..], &["--runs", "0"], &["--runs", "x"], &["--x"], &["a", "b"]] {
            assert!(Options::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn options_put_the_callers_last() {
        let supp = std::path::Path::new("/w/xtask/tsan.supp");
        assert_eq!(
            tsan_options(supp, Some("verbosity=1")),
            "halt_on_error=1 second_deadlock_stack=1 suppressions=/w/xtask/tsan.supp verbosity=1"
        );
    }
}
