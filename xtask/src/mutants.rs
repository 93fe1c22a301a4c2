//! `cargo xtask mutants`: cargo-mutants over the primitive crates, with the integration tests
//! (and, with `--loom`, the loom models) as the killers, and one score table at the end.
//!
//! For each selected crate `<c>` (package `threading-<c>`) the first pass is
//!
//! ```text
//! cargo mutants -p threading-<c> --test-package threading-tests[,threading-<c>] -j 1 \
//!     --baseline skip --timeout <5 x baseline, at least 10 s> -o target/mutants/<c> \
//!     -- --test integration [--lib] -- <c>:: stress_<c>_ [<module>:: ...] [--skip r<c>:: ...]
//! ```
//!
//! that is: mutate only that crate; per mutant rebuild, then run the one integration binary
//! filtered to the crate's module (`lock::`), its stress tests (`stress_lock_`) and, for a crate
//! with `#[cfg(test)]` unit tests, its lib tests (`--lib`, filtered by the module names of the
//! files that hold them). Doctests are not run (one rustc per example per mutant is too slow).
//! libtest filters are substrings, so a primitive whose name ends with another's (`rlock`,
//! `lock`) is excluded with `--skip`.
//!
//! `--retest` re-tests only the first pass's survivors with the integration tests as they are
//! now (after tests were added for them), output in `target/mutants/<c>-retest`; a kill there
//! moves the mutant from missed to caught.
//!
//! `--loom` then re-tests only the remaining survivors (`--re '^<exact name>$'` per missed
//! mutant; the whole crate if there was no first pass) with the loom binary as the killer:
//! `RUSTFLAGS=--cfg threading_loom`, `--profile loom`, `LOOM_MAX_PREEMPTIONS` (default 2, the
//! CI bound), tests `-- --test loom -- <c>::`, output in `target/mutants/<c>-loom`, builds in
//! `target/mutants/loom-build` (the scratch copies only; the baseline builds in `target/loom`,
//! as `cargo xtask loom` does) with `CARGO_PROFILE_LOOM_INCREMENTAL=true` (a release rebuild of
//! every crate above the mutated one per mutant would dominate the run).
//!
//! Results are read back from `mutants.out/{caught,missed,timeout,unviable}.txt`. The score is
//! caught / (caught + missed), where a timeout counts as caught (the mutant made the tests hang,
//! which the suite notices) and a survivor of the first pass that a loom model kills counts as
//! caught. A loom-pass timeout does not count: a model that hangs fails on loom's branch limit,
//! so a timeout there only says the model got slower. Settings that every run shares (which
//! mutants are not viable to test) live in `.cargo/mutants.toml`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{loom, util};

/// The primitive crates, in the order a full run takes them (smallest and most depended-on
/// first, so an interrupted run has scored the important ones).
pub(crate) const PRIMITIVES: &[&str] = &[
    "lock",
    "rlock",
    "event",
    "semaphore",
    "barrier",
    "condition",
    "queue",
    "local",
    "timer",
    "thread",
    "pool",
];

/// The default lower bound of cargo-mutants' automatic per-mutant test timeout, in seconds.
pub(crate) const MIN_TEST_TIMEOUT: u64 = 10;

/// The command line of `cargo xtask mutants`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// Crate directory names (`lock`); empty means every primitive.
    pub(crate) crates: Vec<String>,
    /// Re-test the survivors with the loom models.
    pub(crate) loom: bool,
    /// Only the loom pass (on the survivors of an earlier first pass, else the whole crate).
    pub(crate) loom_only: bool,
    /// Instead of a first pass, re-test the survivors of the earlier one with the current tests
    /// (after adding tests that should kill them).
    pub(crate) retest: bool,
    /// Only list the mutants (`cargo mutants --list`), run nothing.
    pub(crate) list: bool,
    /// Only print the table of earlier runs' results.
    pub(crate) report_only: bool,
    /// `LOOM_MAX_PREEMPTIONS` of the loom pass.
    pub(crate) bound: u32,
    /// `--timeout` for cargo-mutants (every cargo command, in seconds); `None`: automatic.
    pub(crate) timeout: Option<u64>,
    /// The lower bound of the automatic per-mutant test timeout, in seconds.
    pub(crate) min_timeout: u64,
    /// `cargo mutants -j`: mutants built and tested at once (each in its own scratch copy).
    pub(crate) jobs: u64,
}

impl Default for Options {
    /// Every primitive, no loom pass, automatic timeouts of at least 10 s, loom at bound 2.
    fn default() -> Self {
        Options {
            crates: Vec::new(),
            loom: false,
            loom_only: false,
            retest: false,
            list: false,
            report_only: false,
            bound: loom::CI_BOUND,
            timeout: None,
            min_timeout: MIN_TEST_TIMEOUT,
            jobs: 1,
        }
    }
}

impl Options {
    /// Parses `[CRATE...] [--retest] [--loom | --loom-only] [--list] [--report] [--bound N]
    /// [--timeout SECS] [--min-timeout SECS] [--jobs N]`.
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut number = |name: &str| -> Result<u64, String> {
                let v = it.next().ok_or(format!("`{name}` needs a number"))?;
                v.parse().map_err(|_| format!("`{name}` needs a non-negative number, got `{v}`"))
            };
            match a.as_str() {
                "--loom" => o.loom = true,
                "--loom-only" => o.loom_only = true,
                "--retest" => o.retest = true,
                "--list" => o.list = true,
                "--report" => o.report_only = true,
                "--bound" => {
                    o.bound = u32::try_from(number("--bound")?).map_err(|e| e.to_string())?
                }
                "--timeout" => o.timeout = Some(number("--timeout")?),
                "--min-timeout" => o.min_timeout = number("--min-timeout")?,
                "--jobs" | "-j" => o.jobs = number("--jobs")?.max(1),
                _ if a.starts_with('-') => {
                    return Err(format!(
                        "unknown option `{a}` for `mutants` (see `cargo xtask help`)"
                    ));
                }
                name => {
                    let name = name.strip_prefix("threading-").unwrap_or(name);
                    if !PRIMITIVES.contains(&name) {
                        return Err(format!(
                            "`{name}` is not a primitive crate (one of: {})",
                            PRIMITIVES.join(", ")
                        ));
                    }
                    if !o.crates.iter().any(|c| c == name) {
                        o.crates.push(name.to_owned());
                    }
                }
            }
        }
        if o.crates.is_empty() {
            o.crates = PRIMITIVES.iter().map(|s| (*s).to_owned()).collect();
        }
        Ok(o)
    }
}

/// libtest arguments that select crate `c`'s tests in the integration binary (and its unit
/// tests, whose modules are `unit_modules`): its module, its stress tests, and `--skip` for
/// every other primitive whose module name the filter would also match as a substring.
pub(crate) fn integration_filters(c: &str, unit_modules: &[String]) -> Vec<String> {
    let mut f = vec![format!("{c}::"), format!("stress_{c}_")];
    f.extend(unit_modules.iter().map(|m| format!("{m}::")));
    for p in PRIMITIVES.iter().filter(|p| **p != c && p.ends_with(c)) {
        f.push("--skip".to_owned());
        f.push(format!("{p}::"));
    }
    f
}

/// libtest arguments that select crate `c`'s loom models.
pub(crate) fn loom_filters(c: &str) -> Vec<String> {
    let mut f = vec![format!("{c}::")];
    for p in PRIMITIVES.iter().filter(|p| **p != c && p.ends_with(c)) {
        f.push("--skip".to_owned());
        f.push(format!("{p}::"));
    }
    f
}

/// The module names (file stems; `tests` for `lib.rs`/`main.rs`) of the files under `src`
/// that contain `#[cfg(test)]`, sorted.
pub(crate) fn unit_test_modules(src: &Path) -> Vec<String> {
    let mut mods = Vec::new();
    let Ok(entries) = std::fs::read_dir(src) else { return mods };
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if !text.contains("#[cfg(test)]") {
            continue;
        }
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        mods.push(if stem == "lib" || stem == "main" { "tests".to_owned() } else { stem });
    }
    mods.sort();
    mods
}

/// Escapes `s` for a regex (the syntax of the `regex` crate cargo-mutants uses).
pub(crate) fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(ch) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// The outcome of one cargo-mutants run, read from its `mutants.out`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Mutants the tests failed on.
    pub(crate) caught: Vec<String>,
    /// Mutants the tests passed on.
    pub(crate) missed: Vec<String>,
    /// Mutants that made the tests run past the timeout.
    pub(crate) timeout: Vec<String>,
    /// Mutants that did not build.
    pub(crate) unviable: Vec<String>,
}

impl Outcome {
    /// Reads `<dir>/mutants.out/*.txt`; `None` if there is no `mutants.out` there.
    pub(crate) fn read(dir: &Path) -> Option<Outcome> {
        let out = dir.join("mutants.out");
        if !out.is_dir() {
            return None;
        }
        let lines = |name: &str| -> Vec<String> {
            std::fs::read_to_string(out.join(name))
                .map(|t| t.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        Some(Outcome {
            caught: lines("caught.txt"),
            missed: lines("missed.txt"),
            timeout: lines("timeout.txt"),
            unviable: lines("unviable.txt"),
        })
    }

    /// Every mutant the run tested.
    pub(crate) fn total(&self) -> usize {
        self.caught.len() + self.missed.len() + self.timeout.len() + self.unviable.len()
    }
}

/// One crate's line of the final table: the first pass, with the loom pass folded in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Score {
    /// The crate directory name.
    pub(crate) krate: String,
    /// Mutants tested.
    pub(crate) mutants: usize,
    /// Caught by the integration tests, plus survivors the loom models caught.
    pub(crate) caught: usize,
    /// Of `caught`, how many survivors of the first pass a `--retest` caught (new tests).
    pub(crate) retest_caught: usize,
    /// Of `caught`, how many only the loom models caught.
    pub(crate) loom_caught: usize,
    /// Survivors of both passes.
    pub(crate) missed: Vec<String>,
    /// Did not build.
    pub(crate) unviable: usize,
    /// Timed out (counted as caught in the score).
    pub(crate) timeout: usize,
    /// Wall time of the passes run now (`None` when only reporting).
    pub(crate) wall: Option<Duration>,
}

impl Score {
    /// Combines the first pass with the optional re-test and loom passes over its survivors
    /// (or, with no first pass, takes the loom pass alone).
    pub(crate) fn combine(
        krate: &str,
        first: Option<&Outcome>,
        retest: Option<&Outcome>,
        loom: Option<&Outcome>,
    ) -> Score {
        let mut s = Score { krate: krate.to_owned(), ..Score::default() };
        let Some(f) = first.or(loom) else { return s };
        s.mutants = f.total();
        s.caught = f.caught.len();
        s.unviable = f.unviable.len();
        s.timeout = f.timeout.len();
        s.missed = f.missed.clone();
        if first.is_none() {
            // Loom alone: its timeouts are survivors, by the same rule as the loom pass below.
            s.missed.extend(f.timeout.iter().cloned());
            s.timeout = 0;
            s.loom_caught = s.caught;
            return s;
        }
        s.retest_caught = s.kill(retest, true);
        // A loom model that hangs or livelocks fails (loom's branch limit), so a loom-pass
        // timeout means the model only got slower under the mutant (more interleavings, or a
        // busy machine against a quiet baseline): not a kill.
        s.loom_caught = s.kill(loom, false);
        s
    }

    /// Moves the survivors that `later` caught (or, with `timeouts`, timed out on) to `caught`;
    /// how many.
    fn kill(&mut self, later: Option<&Outcome>, timeouts: bool) -> usize {
        let Some(l) = later else { return 0 };
        let before = self.missed.len();
        self.missed.retain(|m| !(l.caught.contains(m) || (timeouts && l.timeout.contains(m))));
        let killed = before - self.missed.len();
        self.caught += killed;
        killed
    }

    /// caught / (caught + missed), timeouts counted as caught; `None` with no viable mutant.
    pub(crate) fn score(&self) -> Option<f64> {
        let killed = self.caught + self.timeout;
        let viable = killed + self.missed.len();
        (viable > 0).then(|| killed as f64 / viable as f64)
    }
}

/// The file of survivors judged equivalent (no observable behaviour change), with reasons.
pub(crate) const EQUIVALENT_FILE: &str = ".cargo/mutants-equivalent.txt";

/// A mutant name without its `:line:col` (`crates/lock/src/lock.rs: replace | with ^ in f`),
/// so the list of equivalent mutants survives edits elsewhere in the file.
pub(crate) fn without_line_col(name: &str) -> String {
    let Some((head, tail)) = name.split_once(": ") else { return name.to_owned() };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|ch| ch.is_ascii_digit());
    let mut parts = head.rsplitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(col), Some(line), Some(path)) if digits(col) && digits(line) => {
            format!("{path}: {tail}")
        }
        _ => name.to_owned(),
    }
}

/// Parses the equivalent-mutant list: `NAME-WITHOUT-LINE-COL -- reason` per line; `#` starts
/// a comment line. Returns (name, reason) pairs.
pub(crate) fn parse_equivalents(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(" -- ") {
            Some((name, reason)) => (name.trim().to_owned(), reason.trim().to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect()
}

/// The reason `m` is listed as equivalent, if it is.
fn equivalent_reason<'a>(m: &str, equivalents: &'a [(String, String)]) -> Option<&'a str> {
    let key = without_line_col(m);
    equivalents.iter().find(|(n, _)| *n == key).map(|(_, r)| r.as_str())
}

/// The markdown report: one table, then the survivors per crate, the ones listed in
/// `equivalents` (see [`EQUIVALENT_FILE`]) apart with their reasons. The last score leaves
/// the equivalent survivors out of the viable mutants.
pub(crate) fn report(scores: &[Score], equivalents: &[(String, String)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "cargo-mutants results (score = caught / (caught + missed); a timeout counts as caught; \
         \"retest\" = survivors caught by tests added since (`--retest`), \"loom\" = survivors \
         caught by the loom models; \"equiv.\" = survivors listed in {EQUIVALENT_FILE}, left \
         out of the last score):\n"
    );
    let _ = writeln!(
        out,
        "| crate | mutants | caught | (retest) | (loom) | missed | (equiv.) | unviable | timeout \
         | score | wall | score w/o equiv. |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0));
    for s in scores {
        let equiv = s.missed.iter().filter(|m| equivalent_reason(m, equivalents).is_some()).count();
        let killed = s.caught + s.timeout;
        let real = killed + s.missed.len() - equiv;
        let without = (real > 0).then(|| killed as f64 / real as f64);
        let wall = s.wall.map_or("-".to_owned(), |w| format!("{:.0}s", w.as_secs_f64()));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {equiv} | {} | {} | {} | {wall} | {} |",
            s.krate,
            s.mutants,
            s.caught,
            s.retest_caught,
            s.loom_caught,
            s.missed.len(),
            s.unviable,
            s.timeout,
            pct(s.score()),
            pct(without),
        );
    }
    for s in scores.iter().filter(|s| !s.missed.is_empty()) {
        let (equiv, real): (Vec<&String>, Vec<&String>) =
            s.missed.iter().partition(|m| equivalent_reason(m, equivalents).is_some());
        if !real.is_empty() {
            let _ = writeln!(out, "\nmissed in {}:", s.krate);
            for m in real {
                let _ = writeln!(out, "- {m}");
            }
        }
        if !equiv.is_empty() {
            let _ = writeln!(out, "\nmissed in {}, equivalent:", s.krate);
            for m in equiv {
                let reason = equivalent_reason(m, equivalents).unwrap_or_default();
                let _ = writeln!(out, "- {m}: {reason}");
            }
        }
    }
    out
}

/// Where crate `c`'s `pass` (`""` for the first, `"retest"`, `"loom"`) writes its
/// `mutants.out`: `target/mutants/<c>[-<pass>]`.
pub(crate) fn out_dir(target: &Path, c: &str, pass: &str) -> PathBuf {
    let name = if pass.is_empty() { c.to_owned() } else { format!("{c}-{pass}") };
    target.join("mutants").join(name)
}

/// What one pass tests: the packages, the `cargo test` arguments and the libtest arguments,
/// and, for a loom pass, its preemption bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Killers {
    /// `--test-package` / `cargo test -p`.
    pub(crate) packages: Vec<String>,
    /// Arguments for `cargo test` (target selection).
    pub(crate) cargo_test: Vec<String>,
    /// Arguments for the test binaries (filters).
    pub(crate) libtest: Vec<String>,
    /// A loom pass: `--cfg threading_loom`, `--profile loom`, this `LOOM_MAX_PREEMPTIONS`.
    pub(crate) loom: Option<u32>,
}

impl Killers {
    /// The integration tests (and unit tests, when `units` is not empty) of crate `c`.
    pub(crate) fn integration(c: &str, units: &[String]) -> Killers {
        let mut packages = vec!["threading-tests".to_owned()];
        let mut cargo_test = args_of(&["--test", "integration"]);
        if !units.is_empty() {
            packages.push(format!("threading-{c}"));
            cargo_test.push("--lib".to_owned());
        }
        Killers { packages, cargo_test, libtest: integration_filters(c, units), loom: None }
    }

    /// The loom models of crate `c` at preemption bound `bound`.
    pub(crate) fn loom(c: &str, bound: u32) -> Killers {
        Killers {
            packages: vec!["threading-tests".to_owned()],
            cargo_test: args_of(&["--test", "loom"]),
            libtest: loom_filters(c),
            loom: Some(bound),
        }
    }

    /// Sets the loom environment on `cmd` (nothing for an integration pass).
    fn env(&self, cmd: &mut Command) {
        if let Some(bound) = self.loom {
            cmd.env("RUSTFLAGS", loom::loom_rustflags(std::env::var("RUSTFLAGS").ok().as_deref()));
            // cargo-mutants derives CARGO_ENCODED_RUSTFLAGS from RUSTFLAGS itself.
            cmd.env_remove("CARGO_ENCODED_RUSTFLAGS");
            cmd.env("LOOM_MAX_PREEMPTIONS", bound.to_string());
            // Incremental, so a mutant rebuilds only what the mutation touched, not every crate
            // above it from scratch at release speed.
            cmd.env("CARGO_PROFILE_LOOM_INCREMENTAL", "true");
        }
    }

    /// The unmutated `cargo test` in the real tree with the same selection (`--no-run`: build
    /// only). A loom pass builds in `target/loom`, as `cargo xtask loom` does.
    fn baseline(&self, root: &Path, no_run: bool) -> Command {
        let mut cmd = Command::new(util::cargo());
        cmd.current_dir(root).arg("test");
        for p in &self.packages {
            cmd.args(["-p", p]);
        }
        self.env(&mut cmd);
        if self.loom.is_some() {
            // The real tree builds where `cargo xtask loom` does. Never in `loom_build_dir`:
            // cargo's freshness check is by mtime, and the artifacts a scratch copy left there
            // (of its last mutant, with the same relative paths) are newer than the real
            // sources, so cargo would run the baseline on a mutated crate.
            cmd.args(["--profile", "loom"])
                .env("CARGO_TARGET_DIR", util::target_dir().join("loom"));
        }
        cmd.args(&self.cargo_test);
        if no_run {
            cmd.arg("--no-run");
        } else {
            cmd.arg("--").args(&self.libtest);
        }
        cmd
    }

    /// The cargo-mutants command for crate `c`: `examine` lists exact mutant names to restrict
    /// it to (empty: every mutant), `timeout` is the per-mutant test timeout in seconds.
    fn mutants(
        &self,
        o: &Options,
        c: &str,
        out: &Path,
        examine: &[String],
        timeout: u64,
    ) -> Command {
        let mut cmd = Command::new(util::cargo());
        cmd.current_dir(util::workspace_root());
        cmd.args(["mutants", "--package", &format!("threading-{c}"), "-j", &o.jobs.to_string()]);
        cmd.arg("--test-package").arg(self.packages.join(","));
        for m in examine {
            cmd.arg("--re").arg(format!("^{}$", regex_escape(m)));
        }
        if o.list {
            cmd.arg("--list");
        } else {
            // cargo-mutants 27 runs its baseline with the mutated package's tests, not with
            // `--test-package`'s, so it would fail on `--test integration`: xtask runs the
            // baseline itself and passes the timeout it derives from it.
            cmd.args(["--baseline", "skip", "--timeout", &timeout.to_string()]);
            cmd.arg("--output").arg(out);
        }
        self.env(&mut cmd);
        if self.loom.is_some() {
            // One target directory for every scratch copy, so the registry dependencies
            // (loom, tracing, ...) are built once, not once per run. Only scratch copies build
            // here: each is copied fresh, so its sources are newer than any artifact there.
            cmd.args(["--profile", "loom"]).env("CARGO_TARGET_DIR", loom_build_dir());
        }
        cmd.arg("--").args(&self.cargo_test).arg("--").args(&self.libtest);
        cmd
    }
}

/// The target directory of the loom pass (not `target/loom`: the scratch copies' builds would
/// replace the artifacts `cargo xtask loom` keeps there).
fn loom_build_dir() -> PathBuf {
    util::target_dir().join("mutants").join("loom-build")
}

/// Owned arguments from literals.
fn args_of(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

/// The per-mutant test timeout in seconds: `--timeout` if given, else five times the
/// baseline's test time (cargo-mutants' own rule), at least `--min-timeout`.
pub(crate) fn test_timeout(o: &Options, baseline: Duration) -> u64 {
    o.timeout.unwrap_or_else(|| o.min_timeout.max((baseline.as_secs_f64() * 5.0).ceil() as u64))
}

/// Builds and runs the unmutated tests of `k`; returns how long the tests (not the build) took.
fn run_baseline(k: &Killers, root: &Path) -> Result<Duration, String> {
    let mut build = k.baseline(root, true);
    eprintln!("xtask: baseline build: {build:?}");
    util::run_status(&mut build)?;
    let mut test = k.baseline(root, false);
    eprintln!("xtask: baseline tests: {test:?}");
    let started = Instant::now();
    util::run_status(&mut test).map_err(|e| format!("the unmutated tree fails its tests: {e}"))?;
    Ok(started.elapsed())
}

/// Runs one cargo-mutants command. Its exit codes 2 (mutants missed) and 3 (timeouts) are
/// results, not failures.
fn run_mutants(mut cmd: Command) -> Result<(), String> {
    eprintln!("xtask: {cmd:?}");
    let status = cmd.status().map_err(|e| format!("cannot run {cmd:?}: {e} (is cargo-mutants installed? `cargo install cargo-mutants --locked`)"))?;
    match status.code() {
        Some(0 | 2 | 3) => Ok(()),
        _ => Err(format!("cargo mutants failed ({status}): {cmd:?}")),
    }
}

/// `cargo xtask mutants`: the passes for every selected crate, then the table (also written to
/// `target/mutants/report.md`).
pub(crate) fn run(o: &Options) -> Result<(), String> {
    let root = util::workspace_root();
    let target = util::target_dir();
    let mut scores = Vec::new();
    for c in &o.crates {
        let first_dir = out_dir(&target, c, "");
        let (retest_dir, loom_dir) = (out_dir(&target, c, "retest"), out_dir(&target, c, "loom"));
        let units = unit_test_modules(&root.join("crates").join(c).join("src"));
        let (first, lk) = (Killers::integration(c, &units), Killers::loom(c, o.bound));
        let started = Instant::now();
        if o.list {
            run_mutants(first.mutants(o, c, &first_dir, &[], 0))?;
            continue;
        }
        if !o.report_only {
            if o.retest {
                // The survivors of the first pass, against the tests as they are now.
                let survivors = Outcome::read(&first_dir).map(|f| f.missed).unwrap_or_default();
                let _ = std::fs::remove_dir_all(retest_dir.join("mutants.out"));
                if !survivors.is_empty() {
                    let timeout = test_timeout(o, run_baseline(&first, &root)?);
                    std::fs::create_dir_all(&retest_dir).map_err(|e| e.to_string())?;
                    run_mutants(first.mutants(o, c, &retest_dir, &survivors, timeout))?;
                }
            } else if !o.loom_only {
                let timeout = test_timeout(o, run_baseline(&first, &root)?);
                std::fs::create_dir_all(&first_dir).map_err(|e| e.to_string())?;
                run_mutants(first.mutants(o, c, &first_dir, &[], timeout))?;
                // A fresh first pass makes earlier follow-up passes meaningless.
                let _ = std::fs::remove_dir_all(retest_dir.join("mutants.out"));
            }
            if o.loom || o.loom_only {
                let first_out = Outcome::read(&first_dir);
                let retest_out = Outcome::read(&retest_dir);
                // Survivors judged equivalent are not worth a loom build each.
                let equivalents = std::fs::read_to_string(root.join(EQUIVALENT_FILE))
                    .map(|t| parse_equivalents(&t))
                    .unwrap_or_default();
                let survivors = first_out.as_ref().map(|f| {
                    let mut missed = Score::combine(c, Some(f), retest_out.as_ref(), None).missed;
                    missed.retain(|m| equivalent_reason(m, &equivalents).is_none());
                    missed
                });
                let _ = std::fs::remove_dir_all(loom_dir.join("mutants.out"));
                if survivors.as_ref().is_none_or(|s| !s.is_empty()) {
                    let timeout = test_timeout(o, run_baseline(&lk, &root)?);
                    std::fs::create_dir_all(&loom_dir).map_err(|e| e.to_string())?;
                    let examine = survivors.unwrap_or_default();
                    run_mutants(lk.mutants(o, c, &loom_dir, &examine, timeout))?;
                }
            } else if !o.retest {
                let _ = std::fs::remove_dir_all(loom_dir.join("mutants.out"));
            }
        }
        let (f, r, l) =
            (Outcome::read(&first_dir), Outcome::read(&retest_dir), Outcome::read(&loom_dir));
        let mut s = Score::combine(c, f.as_ref(), r.as_ref(), l.as_ref());
        if !o.report_only {
            s.wall = Some(started.elapsed());
        }
        scores.push(s);
    }
    if o.list {
        return Ok(());
    }
    let equivalents = std::fs::read_to_string(root.join(EQUIVALENT_FILE))
        .map(|t| parse_equivalents(&t))
        .unwrap_or_default();
    let table = report(&scores, &equivalents);
    println!("\n{table}");
    let path = target.join("mutants").join("report.md");
    match std::fs::write(&path, &table) {
        Ok(()) => println!("(written to {})", path.display()),
        Err(e) => eprintln!("xtask: cannot write {}: {e}", path.display()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Turns a list of string literals into owned arguments.
    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_default_to_every_primitive() {
        let o = Options::parse(&[]).unwrap();
        assert_eq!(o.crates.len(), PRIMITIVES.len());
        assert!(!o.loom && !o.list && o.timeout.is_none());
        assert_eq!((o.bound, o.min_timeout), (2, MIN_TEST_TIMEOUT));
    }

    #[test]
    fn options_crates_and_flags() {
        let o = Options::parse(&args(&[
            "threading-lock",
            "event",
            "lock",
            "--loom",
            "--bound",
            "1",
            "--timeout",
            "90",
            "--min-timeout",
            "5",
            "--list",
            "-j",
            "2",
            "--retest",
        ]))
        .unwrap();
        assert_eq!(o.crates, args(&["lock", "event"]));
        assert!(o.loom && o.list && o.retest);
        assert_eq!((o.bound, o.timeout, o.min_timeout, o.jobs), (1, Some(90), 5, 2));
    }

    #[test]
    fn options_reject_bad_input() {
        assert!(Options::parse(&args(&["core"])).is_err());
        assert!(Options::parse(&args(&["--bound"])).is_err());
        assert!(Options::parse(&args(&["--timeout", "x"])).is_err());
        assert!(Options::parse(&args(&["--frobnicate"])).is_err());
    }

    #[test]
    fn filters_skip_primitives_that_contain_the_name() {
        assert_eq!(
            integration_filters("lock", &[]),
            args(&["lock::", "stress_lock_", "--skip", "rlock::"])
        );
        assert_eq!(
            integration_filters("queue", &args(&["storage"])),
            args(&["queue::", "stress_queue_", "storage::"])
        );
        assert_eq!(loom_filters("lock"), args(&["lock::", "--skip", "rlock::"]));
        assert_eq!(loom_filters("event"), args(&["event::"]));
    }

    #[test]
    fn queue_has_unit_tests_and_lock_has_none() {
        let root = util::workspace_root();
        assert_eq!(unit_test_modules(&root.join("crates/queue/src")), args(&["storage"]));
        assert!(unit_test_modules(&root.join("crates/lock/src")).is_empty());
    }

    #[test]
    fn regex_escape_escapes_a_mutant_name() {
        assert_eq!(
            regex_escape("a.rs:1:2: replace Lock::f -> Option<G<'_>> with Some(x) | y"),
            r"a\.rs:1:2: replace Lock::f \-> Option<G<'_>> with Some\(x\) \| y"
        );
    }

    /// An outcome from literal name lists.
    fn outcome(caught: &[&str], missed: &[&str], timeout: &[&str], unviable: &[&str]) -> Outcome {
        Outcome {
            caught: args(caught),
            missed: args(missed),
            timeout: args(timeout),
            unviable: args(unviable),
        }
    }

    #[test]
    fn score_counts_timeouts_and_loom_kills_as_caught() {
        let first = outcome(&["a", "b"], &["m1", "m2", "m3"], &["t"], &["u"]);
        // m2 only made the loom models slower: still a survivor.
        let loom = outcome(&["m1"], &["m3"], &["m2"], &[]);
        let s = Score::combine("lock", Some(&first), None, Some(&loom));
        assert_eq!((s.mutants, s.caught, s.loom_caught, s.timeout, s.unviable), (7, 3, 1, 1, 1));
        assert_eq!(s.missed, args(&["m2", "m3"]));
        assert_eq!(s.score(), Some(4.0 / 6.0));
        let alone = Score::combine("lock", Some(&first), None, None);
        assert_eq!((alone.caught, alone.missed.len()), (2, 3));
        assert_eq!(Score::combine("x", None, None, None).score(), None);
        // Loom alone: its timeout (m2) is a survivor too, not a kill.
        let only_loom = Score::combine("x", None, None, Some(&loom));
        assert_eq!((only_loom.mutants, only_loom.loom_caught, only_loom.timeout), (3, 1, 0));
        assert_eq!(only_loom.missed, args(&["m3", "m2"]));
    }

    #[test]
    fn retest_kills_before_loom() {
        let first = outcome(&["a"], &["m1", "m2", "m3"], &[], &[]);
        let retest = outcome(&["m1"], &["m2", "m3"], &[], &[]);
        let loom = outcome(&["m2", "m1"], &["m3"], &[], &[]);
        let s = Score::combine("lock", Some(&first), Some(&retest), Some(&loom));
        assert_eq!((s.caught, s.retest_caught, s.loom_caught), (3, 1, 1));
        assert_eq!(s.missed, args(&["m3"]));
    }

    #[test]
    fn report_lists_survivors() {
        let first = outcome(&["a"], &["crates/lock/src/lock.rs:1:2: replace f with ()"], &[], &[]);
        let mut s = Score::combine("lock", Some(&first), None, None);
        s.wall = Some(Duration::from_secs(61));
        let r = report(std::slice::from_ref(&s), &[]);
        assert!(
            r.contains("| lock | 2 | 1 | 0 | 0 | 1 | 0 | 0 | 0 | 50.0% | 61s | 50.0% |"),
            "{r}"
        );
        assert!(
            r.contains("missed in lock:\n- crates/lock/src/lock.rs:1:2: replace f with ()"),
            "{r}"
        );
        let equiv = parse_equivalents("# c\n\ncrates/lock/src/lock.rs: replace f with () -- why\n");
        let r = report(&[s], &equiv);
        assert!(
            r.contains("| lock | 2 | 1 | 0 | 0 | 1 | 1 | 0 | 0 | 50.0% | 61s | 100.0% |"),
            "{r}"
        );
        assert!(
            r.contains("equivalent:\n- crates/lock/src/lock.rs:1:2: replace f with (): why"),
            "{r}"
        );
    }

    #[test]
    fn line_and_column_are_stripped() {
        assert_eq!(
            without_line_col("crates/a/src/b.rs:12:3: replace | with ^ in F::g"),
            "crates/a/src/b.rs: replace | with ^ in F::g"
        );
        assert_eq!(without_line_col("no location here"), "no location here");
        assert_eq!(without_line_col("a.rs:x:1: y"), "a.rs:x:1: y");
    }

    #[test]
    fn reads_mutants_out() {
        let dir = std::env::temp_dir().join(format!("xtask-mutants-{}", std::process::id()));
        let out = dir.join("mutants.out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("caught.txt"), "x\ny\n").unwrap();
        std::fs::write(out.join("missed.txt"), "z\n\n").unwrap();
        let o = Outcome::read(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(o, outcome(&["x", "y"], &["z"], &[], &[]));
        assert_eq!(o.total(), 3);
        assert_eq!(Outcome::read(&dir), None);
    }
}
