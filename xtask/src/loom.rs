//! `cargo xtask loom`: runs the loom models in `tests/loom` and summarises their size.
//!
//! Each model is run by `tests/loom/common.rs::check`, which prints
//! `loom-model NAME: E executions, bound Some(B), T` to stderr; this module streams cargo's
//! output through, collects those lines and prints one table at the end.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util;

/// The preemption bound CI uses.
pub(crate) const CI_BOUND: u32 = 2;
/// The preemption bound of `--deep`.
pub(crate) const DEEP_BOUND: u32 = 3;

/// The command line of `cargo xtask loom`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// `LOOM_MAX_PREEMPTIONS`.
    pub(crate) bound: u32,
    /// Test-name filter passed to the test harness (e.g. `lock::`).
    pub(crate) filter: Option<String>,
    /// Extra arguments for the test harness (after `--`).
    pub(crate) extra: Vec<String>,
}

impl Default for Options {
    /// What CI runs: every model at bound 2.
    fn default() -> Self {
        Options { bound: CI_BOUND, filter: None, extra: Vec::new() }
    }
}

impl Options {
    /// Parses `[--deep] [--bound N] [FILTER] [-- extra test args]`.
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut bound = CI_BOUND;
        let rest = util::parse_test_args("loom", args, |name, value| {
            match name {
                "--deep" => bound = DEEP_BOUND,
                "--bound" => bound = parse_bound(&value()?)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(Options { bound, filter: rest.filter, extra: rest.extra })
    }
}

/// Parses a preemption bound.
fn parse_bound(s: &str) -> Result<u32, String> {
    s.parse().map_err(|_| format!("`--bound` needs a non-negative number, got `{s}`"))
}

/// One `loom-model` line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelRun {
    /// The model's name, e.g. `lock::two_threads`.
    pub(crate) name: String,
    /// Executions loom explored.
    pub(crate) executions: u64,
    /// The preemption bound as printed (`Some(2)`).
    pub(crate) bound: String,
    /// Time as printed (`1.23s`).
    pub(crate) time: String,
    /// `time` parsed, if it parsed.
    pub(crate) duration: Option<Duration>,
}

/// Parses a line printed by `common::check`; `None` for any other line.
///
/// The name may itself contain `": "`, so the split is at the `": "` followed by
/// `<number> executions`.
pub(crate) fn parse_model_line(line: &str) -> Option<ModelRun> {
    let start = line.find("loom-model ")? + "loom-model ".len();
    let rest = line[start..].trim_end();
    for (i, _) in rest.match_indices(": ") {
        let (name, tail) = (&rest[..i], &rest[i + 2..]);
        let Some((count, tail)) = tail.split_once(" executions, bound ") else { continue };
        let Ok(executions) = count.trim().parse::<u64>() else { continue };
        let (bound, time) = tail.rsplit_once(", ").unwrap_or((tail, ""));
        return Some(ModelRun {
            name: name.to_owned(),
            executions,
            bound: bound.to_owned(),
            time: time.to_owned(),
            duration: parse_debug_duration(time),
        });
    }
    None
}

/// Parses a `Duration` printed with `{:?}` / `{:.2?}` (`1.23s`, `4.5ms`, `6µs`, `7ns`).
pub(crate) fn parse_debug_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().ok()?;
    let scale = match unit {
        "s" => 1.0,
        "ms" => 1e-3,
        "µs" | "us" => 1e-6,
        "ns" => 1e-9,
        _ => return None,
    };
    Duration::try_from_secs_f64(value * scale).ok()
}

/// The summary table (markdown) of the collected runs, with totals.
pub(crate) fn summary(runs: &[ModelRun], bound: u32, wall: Duration) -> String {
    let mut out = String::new();
    let total: u64 = runs.iter().map(|r| r.executions).sum();
    let model_time: Duration = runs.iter().filter_map(|r| r.duration).sum();
    let noun = if runs.len() == 1 { "model" } else { "models" };
    let _ = writeln!(out, "loom models at preemption bound {bound}:\n");
    if !runs.is_empty() {
        let _ = writeln!(out, "| model | executions | time |");
        let _ = writeln!(out, "|---|---:|---:|");
        for r in runs {
            let _ = writeln!(out, "| `{}` | {} | {} |", r.name, r.executions, r.time);
        }
        let _ = writeln!(out, "| **total** | **{total}** | **{model_time:.2?}** |\n");
    }
    let _ = writeln!(
        out,
        "{} {noun}, {total} executions, {model_time:.2?} in models, {wall:.2?} wall time (including the build)",
        runs.len()
    );
    out
}

/// `RUSTFLAGS` with `--cfg threading_loom` appended to `existing`.
pub(crate) fn loom_rustflags(existing: Option<&str>) -> String {
    match existing.map(str::trim) {
        Some(flags) if !flags.is_empty() => format!("{flags} --cfg threading_loom"),
        _ => "--cfg threading_loom".to_owned(),
    }
}

/// Runs the loom suite, streaming cargo's output, then prints (and writes to
/// `<target>/loom-report.md`) the summary. An error if the tests fail.
pub(crate) fn run(o: &Options) -> Result<(), String> {
    let root = util::workspace_root();
    let target = util::target_dir().join("loom");
    let mut cmd = Command::new(util::cargo());
    cmd.current_dir(&root).args([
        "test",
        "-p",
        "threading-tests",
        "--test",
        "loom",
        "--profile",
        "loom",
        "--",
    ]);
    cmd.args(&o.filter).args(["--nocapture", "--test-threads=2"]).args(&o.extra);
    cmd.env("RUSTFLAGS", loom_rustflags(std::env::var("RUSTFLAGS").ok().as_deref()));
    if let Ok(encoded) = std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        // Cargo prefers CARGO_ENCODED_RUSTFLAGS over RUSTFLAGS when it is set.
        let sep = if encoded.is_empty() { "" } else { "\u{1f}" };
        cmd.env("CARGO_ENCODED_RUSTFLAGS", format!("{encoded}{sep}--cfg\u{1f}threading_loom"));
    }
    cmd.env("CARGO_TARGET_DIR", &target)
        .env("LOOM_MAX_PREEMPTIONS", o.bound.to_string())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    eprintln!(
        "xtask: loom at preemption bound {} (CARGO_TARGET_DIR={})",
        o.bound,
        target.display()
    );
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let mut runs = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        util::tee_lines(stderr, &mut std::io::stderr(), |line| {
            if let Some(run) = parse_model_line(line) {
                runs.push(run);
            }
        })?;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let table = summary(&runs, o.bound, started.elapsed());
    println!("\n{table}");
    let report = util::target_dir().join("loom-report.md");
    match std::fs::write(&report, &table) {
        Ok(()) => println!("(written to {})", report.display()),
        Err(e) => eprintln!("xtask: cannot write {}: {e}", report.display()),
    }
    if status.success() { Ok(()) } else { Err(format!("loom tests failed: {status}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Turns a list of string literals into owned arguments.
    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_default_to_the_ci_bound() {
        assert_eq!(Options::parse(&[]).unwrap(), Options::default());
        assert_eq!(Options::default().bound, 2);
    }

    #[test]
    fn options_deep_bound_filter_and_extra() {
        let o = Options::parse(&args(&["--deep", "lock::", "--", "--exact", "x"])).unwrap();
        assert_eq!(o.bound, 3);
        assert_eq!(o.filter.as_deref(), Some("lock::"));
        assert_eq!(o.extra, args(&["--exact", "x"]));
        assert_eq!(Options::parse(&args(&["--bound", "4"])).unwrap().bound, 4);
        assert_eq!(Options::parse(&args(&["--bound=5"])).unwrap().bound, 5);
    }

    #[test]
    fn options_reject_bad_input() {
        assert!(Options::parse(&args(&["--bound"])).is_err());
        assert!(Options::parse(&args(&["--bound", "x"])).is_err());
        assert!(Options::parse(&args(&["--frobnicate"])).is_err());
        assert!(Options::parse(&args(&["a", "b"])).is_err());
    }

    #[test]
    fn parses_a_model_line_whose_name_has_colons() {
        let r = parse_model_line("loom-model lock::a: b: 1234 executions, bound Some(2), 1.50s\n")
            .unwrap();
        assert_eq!(r.name, "lock::a: b");
        assert_eq!(r.executions, 1234);
        assert_eq!(r.bound, "Some(2)");
        assert_eq!(r.time, "1.50s");
        assert_eq!(r.duration, Some(Duration::from_millis(1500)));
    }

    #[test]
    fn ignores_other_lines() {
        assert_eq!(parse_model_line("test lock::a ... ok"), None);
        assert_eq!(parse_model_line("loom-model x: many executions, bound None, 1s"), None);
    }

    #[test]
    fn parses_debug_durations() {
        assert_eq!(parse_debug_duration("12.00ms"), Some(Duration::from_millis(12)));
        assert_eq!(parse_debug_duration("7µs"), Some(Duration::from_micros(7)));
        assert_eq!(parse_debug_duration("3ns"), Some(Duration::from_nanos(3)));
        assert_eq!(parse_debug_duration("3 parsecs"), None);
    }

    #[test]
    fn summary_handles_zero_models() {
        let s = summary(&[], 2, Duration::from_secs(1));
        assert!(s.contains("0 models, 0 executions"), "{s}");
    }

    #[test]
    fn summary_totals() {
        let a = parse_model_line("loom-model a: 10 executions, bound Some(2), 1.00s").unwrap();
        let b = parse_model_line("loom-model b: 5 executions, bound Some(2), 500.00ms").unwrap();
        let s = summary(&[a, b], 2, Duration::from_secs(3));
        assert!(s.contains("| `a` | 10 | 1.00s |"), "{s}");
        assert!(s.contains("| **total** | **15** | **1.50s** |"), "{s}");
        assert!(s.contains("2 models, 15 executions"), "{s}");
    }

    #[test]
    fn rustflags_are_appended() {
        assert_eq!(loom_rustflags(None), "--cfg threading_loom");
        assert_eq!(loom_rustflags(Some("  ")), "--cfg threading_loom");
        assert_eq!(loom_rustflags(Some("-C opt-level=3")), "-C opt-level=3 --cfg threading_loom");
    }
}
