//! What `cargo xtask miri` and `cargo xtask tsan` share: the check that the nightly toolchain
//! and its components are installed, a nightly `cargo` command, and running a libtest binary
//! through cargo while counting its `test result:` lines.
//!
//! Neither task is part of `.ci/run`: the nightly components may be missing on a fresh machine.
//! When they are, the task says what is missing and how to install it, and exits with
//! [`CANNOT_RUN`] (2) rather than 1, so "could not run" is never mistaken for "failed" (or for a
//! pass).

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util;

/// The exit status of a task that cannot run because nightly components are missing.
pub(crate) const CANNOT_RUN: i32 = 2;

/// The install command printed when something is missing.
const INSTALL: &str = "rustup component add --toolchain nightly miri rust-src";

/// Checks that rustup knows a nightly toolchain with every one of `components` (`miri`,
/// `rust-src`) and, with `miri`, that `cargo +nightly miri --version` runs. Otherwise prints
/// what is missing and how to install it, and exits the process with [`CANNOT_RUN`].
pub(crate) fn require(task: &str, components: &[&str]) {
    if let Err(why) = check(components) {
        eprintln!("xtask {task}: cannot run: {why}");
        eprintln!(
            "  install the toolchain:  rustup toolchain install nightly --component miri,rust-src"
        );
        eprintln!("  or just the components: {INSTALL}");
        eprintln!("  (`cargo xtask {task}` is not part of .ci/run; nothing was tested)");
        std::process::exit(CANNOT_RUN);
    }
}

/// [`require`]'s test: `Err` says what is missing.
fn check(components: &[&str]) -> Result<(), String> {
    let out = Command::new("rustup")
        .args(["component", "list", "--toolchain", "nightly", "--installed"])
        .output()
        .map_err(|e| {
            format!("`rustup` not found ({e}); the nightly toolchain comes through rustup")
        })?;
    if !out.status.success() {
        return Err(format!(
            "no nightly toolchain (`rustup component list --toolchain nightly` failed: {})",
            String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("").trim()
        ));
    }
    let listed = String::from_utf8_lossy(&out.stdout);
    let missing = missing_components(&listed, components);
    if !missing.is_empty() {
        return Err(format!("nightly component(s) not installed: {}", missing.join(", ")));
    }
    if components.contains(&"miri") {
        let ok = nightly_cargo()
            .args(["miri", "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("`cargo +nightly miri --version` does not run".to_owned());
        }
    }
    Ok(())
}

/// The entries of `components` that `listed` (the output of `rustup component list
/// --installed`, one `name-target` or `name` a line) does not have.
pub(crate) fn missing_components<'a>(listed: &str, components: &[&'a str]) -> Vec<&'a str> {
    components
        .iter()
        .copied()
        .filter(|c| {
            !listed
                .lines()
                .map(str::trim)
                .any(|l| l == *c || l.strip_prefix(c).is_some_and(|rest| rest.starts_with('-')))
        })
        .collect()
}

/// `cargo` of the nightly toolchain, through `rustup run` (`$CARGO`, the stable cargo that runs
/// xtask, does not understand `+nightly`), without the variables that would point it back at
/// the stable toolchain.
pub(crate) fn nightly_cargo() -> Command {
    let mut cmd = Command::new("rustup");
    cmd.args(["run", "nightly", "cargo"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("CARGO");
    cmd
}

/// The counts of one libtest `test result:` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Tests that passed.
    pub(crate) passed: u64,
    /// Tests that failed.
    pub(crate) failed: u64,
    /// Tests that were ignored.
    pub(crate) ignored: u64,
}

impl Counts {
    /// Both counts added up.
    pub(crate) fn add(self, other: Counts) -> Counts {
        Counts {
            passed: self.passed + other.passed,
            failed: self.failed + other.failed,
            ignored: self.ignored + other.ignored,
        }
    }
}

/// Parses `test result: ok. 20 passed; 0 failed; 0 ignored; ...`; `None` for any other line.
pub(crate) fn parse_result_line(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let mut counts = Counts::default();
    let mut seen = false;
    for part in rest.split(';') {
        let mut words = part.split_whitespace().rev();
        let (Some(what), Some(n)) = (words.next(), words.next()) else { continue };
        let Ok(n) = n.parse::<u64>() else { continue };
        match what {
            "passed" => (counts.passed, seen) = (n, true),
            "failed" => counts.failed = n,
            "ignored" => counts.ignored = n,
            _ => {}
        }
    }
    seen.then_some(counts)
}

/// One run of a test command.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// What the run was (`seed 3`, `run 2`).
    pub(crate) label: String,
    /// Every `test result:` line added up (one per test binary).
    pub(crate) counts: Counts,
    /// Whether the command exited successfully.
    pub(crate) ok: bool,
    /// Wall time of the run.
    pub(crate) time: Duration,
}

/// Runs `cmd`, passing its stdout and stderr through, and counts its `test result:` lines.
pub(crate) fn run_tests(label: String, cmd: &mut Command) -> Result<Run, String> {
    let started = Instant::now();
    let mut child =
        cmd.stdout(Stdio::piped()).spawn().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let mut counts = Counts::default();
    if let Some(stdout) = child.stdout.take() {
        util::tee_lines(stdout, &mut std::io::stdout(), |line| {
            if let Some(c) = parse_result_line(line) {
                counts = counts.add(c);
            }
        })?;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok(Run { label, counts, ok: status.success(), time: started.elapsed() })
}

/// The summary table (markdown) of `runs`, headed by `title`, with a total line.
pub(crate) fn summary(title: &str, runs: &[Run], wall: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{title}\n");
    let _ = writeln!(out, "| run | result | passed | failed | ignored | time |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
    let mut total = Counts::default();
    for r in runs {
        total = total.add(r.counts);
        let result = if r.ok { "ok" } else { "FAILED" };
        let c = r.counts;
        let _ = writeln!(
            out,
            "| {} | {result} | {} | {} | {} | {:.1?} |",
            r.label, c.passed, c.failed, c.ignored, r.time
        );
    }
    let failing: Vec<&str> = runs.iter().filter(|r| !r.ok).map(|r| r.label.as_str()).collect();
    let _ = writeln!(
        out,
        "\n{} run(s), {} test executions passed, {} failed; {wall:.1?} wall time (including the build){}",
        runs.len(),
        total.passed,
        total.failed,
        if failing.is_empty() {
            String::new()
        } else {
            format!("; failing: {}", failing.join(", "))
        }
    );
    out
}

/// Prints `table` and writes it to `<target>/<file>`.
pub(crate) fn report(table: &str, file: &str) {
    println!("\n{table}");
    let path = crate::util::target_dir().join(file);
    match std::fs::write(&path, table) {
        Ok(()) => println!("(written to {})", path.display()),
        Err(e) => eprintln!("xtask: cannot write {}: {e}", path.display()),
    }
}

/// `existing` flags (from the environment) after `ours`, so the caller can add to or override
/// them.
pub(crate) fn join_flags(ours: &str, existing: Option<&str>) -> String {
    match existing.map(str::trim) {
        Some(flags) if !flags.is_empty() => format!("{ours} {flags}"),
        _ => ours.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_result_lines() {
        let c = parse_result_line(
            "test result: ok. 20 passed; 0 failed; 2 ignored; 0 measured; 557 filtered out; finished in 41.14s",
        );
        assert_eq!(c, Some(Counts { passed: 20, failed: 0, ignored: 2 }));
        let c = parse_result_line("test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured");
        assert_eq!(c, Some(Counts { passed: 3, failed: 1, ignored: 0 }));
        assert_eq!(parse_result_line("test lock::a ... ok"), None);
        assert_eq!(parse_result_line("test result: garbled"), None);
    }

    #[test]
    fn finds_missing_components() {
        let listed = "cargo-x86_64-unknown-linux-gnu\nmiri-x86_64-unknown-linux-gnu\nrust-src\n";
        assert!(missing_components(listed, &["miri", "rust-src"]).is_empty());
        assert_eq!(
            missing_components("cargo-x86_64-unknown-linux-gnu\n", &["miri", "rust-src"]),
            ["miri", "rust-src"]
        );
        // `rust-std-…` is not `rust-src`.
        assert_eq!(
            missing_components("rust-std-x86_64-unknown-linux-gnu\n", &["rust-src"]),
            ["rust-src"]
        );
        assert_eq!(missing_components("miri-preview\n", &["miri"]), Vec::<&str>::new());
    }

    #[test]
    fn summary_names_failing_runs() {
        let ok = Run {
            label: "seed 0".into(),
            counts: Counts { passed: 5, failed: 0, ignored: 0 },
            ok: true,
            time: Duration::from_secs(2),
        };
        let bad = Run { label: "seed 1".into(), ok: false, ..ok.clone() };
        let s = summary("miri", &[ok, bad], Duration::from_secs(5));
        assert!(s.contains("| seed 0 | ok | 5 | 0 | 0 |"), "{s}");
        assert!(s.contains("2 run(s), 10 test executions passed, 0 failed"), "{s}");
        assert!(s.contains("failing: seed 1"), "{s}");
    }

    #[test]
    fn flags_are_joined() {
        assert_eq!(join_flags("-Za", None), "-Za");
        assert_eq!(join_flags("-Za", Some(" ")), "-Za");
        assert_eq!(join_flags("-Za", Some("-Zb")), "-Za -Zb");
    }
}
