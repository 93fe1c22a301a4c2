//! `cargo xtask bench`: runs the criterion benches of every primitive and the matching CPython
//! scripts, then prints one Markdown table of medians and ratios.
//!
//! Steps:
//! 1. find the benches: every `crates/<dir>/benches/<name>.rs` (the package is
//!    `threading-<dir>`); FILTER (comma-separated) keeps those whose `<dir>` or `<name>` is
//!    listed;
//! 2. run `cargo bench -p threading-<dir> --bench <name> -- <criterion args>` for each, with
//!    `CRITERION_HOME` pinned to `<target>/criterion` so we know where the results go, and
//!    built with [`ALIGN_LOOPS`] in `<target>/bench-aligned` (see there why), then
//!    `python3 benches/cpython/bench_<dir>.py` (one JSON line `{"group","case","ns"}` per case);
//! 3. read criterion's results: every `…/new/benchmark.json` written by this run names its
//!    benchmark (`group_id`, `function_id`, `value_str` — the directory names are sanitised
//!    copies, `/` becomes `_` and long names are cut at 64 bytes, so they are not parsed), and
//!    the `estimates.json` next to it has the median (`median.point_estimate`, ns per
//!    iteration);
//! 4. build the table: per `(group, case)` one row for each of our implementations (`threading`,
//!    and variants named `threading_*`), against the fastest other implementation (the "best
//!    Rust peer") and CPython, with the [`TARGETS`] checked in a last column.
//!
//! `--runs N` repeats steps 2–3 N times and reports, per measurement, the median of the passes:
//! on a shared machine the load changes between the seconds-long windows in which criterion
//! measures each implementation, and one pass can be off by tens of percent.
//!
//! The table is also written to `<target>/bench-report.md`, and the ratios are drawn as a chart
//! in `<target>/bench-ratios.svg` ([`crate::chart`]). With `--publish` both also go to `docs/`
//! (`docs/bench-report.md`, `docs/bench-ratios.svg`), which the README links.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::chart;
use crate::json::{self, Value};
use crate::util;

/// Criterion arguments used when none are given after `--`: short, for a shared machine.
pub(crate) const DEFAULT_CRITERION_ARGS: &[&str] =
    &["--warm-up-time", "1", "--measurement-time", "3"];

/// The name of our implementation in benchmark ids; variants start with it (`threading_lock`).
pub(crate) const OURS: &str = "threading";

/// The command line of `cargo xtask bench`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// Crate directories or bench names to run; empty means all.
    pub(crate) filter: Vec<String>,
    /// Arguments for criterion (after `--`), or [`DEFAULT_CRITERION_ARGS`].
    pub(crate) criterion_args: Vec<String>,
    /// Passes over all benches (`--runs N`); the table shows the median of the passes.
    pub(crate) runs: u32,
    /// `--publish`: also write the report and the chart to `docs/`.
    pub(crate) publish: bool,
}

impl Options {
    /// Parses `[--runs N] [FILTER] [-- CRITERION-ARGS]`; FILTER may list several names:
    /// `lock,rlock`.
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut filter = Vec::new();
        let mut criterion_args = None;
        let mut seen_filter = false;
        let mut runs = 1;
        let mut publish = false;
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--publish" {
                publish = true;
            } else if a == "--" {
                criterion_args = Some(it.by_ref().cloned().collect());
            } else if a == "--runs" || a.starts_with("--runs=") {
                let n = match a.strip_prefix("--runs=") {
                    Some(n) => n,
                    None => it.next().ok_or("`--runs` needs a number")?,
                };
                runs = n
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("`--runs` needs a positive number, got `{n}`"))?;
            } else if a.starts_with('-') {
                return Err(format!(
                    "unknown option `{a}` for `bench` (criterion options go after `--`; see `cargo xtask help`)"
                ));
            } else if seen_filter {
                return Err(format!(
                    "`bench` takes one FILTER (use commas: `lock,rlock`), got a second: `{a}`"
                ));
            } else {
                seen_filter = true;
                filter = a
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
            }
        }
        let criterion_args = criterion_args
            .unwrap_or_else(|| DEFAULT_CRITERION_ARGS.iter().map(|s| (*s).to_owned()).collect());
        Ok(Options { filter, criterion_args, runs, publish })
    }
}

// ---------------------------------------------------------------------------------------------
// Finding the benches

/// One criterion bench target: `crates/<dir>/benches/<name>.rs`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct BenchTarget {
    /// The crate directory under `crates/` (the package is `threading-<dir>`).
    pub(crate) dir: String,
    /// The bench name (the file stem).
    pub(crate) name: String,
}

impl BenchTarget {
    /// The cargo package.
    pub(crate) fn package(&self) -> String {
        format!("threading-{}", self.dir)
    }
}

/// Every `crates/*/benches/*.rs` under `root`, sorted.
fn discover(root: &Path) -> Vec<BenchTarget> {
    let mut out = Vec::new();
    let Ok(crates) = std::fs::read_dir(root.join("crates")) else { return out };
    for krate in crates.flatten() {
        let dir = krate.file_name().to_string_lossy().into_owned();
        let Ok(benches) = std::fs::read_dir(krate.path().join("benches")) else { continue };
        for bench in benches.flatten() {
            let file = bench.file_name().to_string_lossy().into_owned();
            if let Some(name) = file.strip_suffix(".rs")
                && bench.file_type().is_ok_and(|t| t.is_file())
            {
                out.push(BenchTarget { dir: dir.clone(), name: name.to_owned() });
            }
        }
    }
    out.sort();
    out
}

/// The benches FILTER selects (all for an empty filter); an error names a filter word that
/// matches nothing, with the choices.
pub(crate) fn select(all: &[BenchTarget], filter: &[String]) -> Result<Vec<BenchTarget>, String> {
    if filter.is_empty() {
        return Ok(all.to_vec());
    }
    if let Some(unknown) =
        filter.iter().find(|f| !all.iter().any(|b| &b.dir == *f || &b.name == *f))
    {
        let mut names: Vec<&str> = all.iter().map(|b| b.dir.as_str()).collect();
        names.dedup();
        return Err(format!("no bench matches `{unknown}`; benches: {}", names.join(", ")));
    }
    Ok(all.iter().filter(|b| filter.iter().any(|f| *f == b.dir || *f == b.name)).cloned().collect())
}

// ---------------------------------------------------------------------------------------------
// Results

/// One measured median: criterion's for a Rust implementation, or a CPython script's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Measurement {
    /// The benchmark group, e.g. `lock`.
    pub(crate) group: String,
    /// The case, e.g. `uncontended`.
    pub(crate) case: String,
    /// The implementation: `threading`, `std`, `parking_lot`, … (`cpython` for the scripts).
    pub(crate) imp: String,
    /// Median nanoseconds per operation.
    pub(crate) ns: f64,
}

/// Reads one criterion result from the texts of its `benchmark.json` and `estimates.json`.
///
/// The id is `<group>/<case>/<impl>`: `BenchmarkId::new(case, impl)` in group `group` gives
/// `function_id = case`, `value_str = impl`; an id given as one string with slashes
/// (`bench_function("case/impl", …)`) is split at its last `/`.
pub(crate) fn parse_criterion(benchmark: &str, estimates: &str) -> Result<Measurement, String> {
    let id = json::parse(benchmark).map_err(|e| format!("benchmark.json: {e}"))?;
    let field = |k: &str| id.get(k).and_then(Value::as_str).map(str::to_owned);
    let group = field("group_id").ok_or("benchmark.json has no `group_id`")?;
    let (case, imp) = match (field("function_id"), field("value_str")) {
        (Some(case), Some(imp)) => (case, imp),
        (Some(one), None) | (None, Some(one)) => match one.rsplit_once('/') {
            Some((case, imp)) => (case.to_owned(), imp.to_owned()),
            None => return Err(format!("id `{group}/{one}` is not `<group>/<case>/<impl>`")),
        },
        (None, None) => return Err(format!("id `{group}` is not `<group>/<case>/<impl>`")),
    };
    let est = json::parse(estimates).map_err(|e| format!("estimates.json: {e}"))?;
    let ns = est
        .pointer(&["median", "point_estimate"])
        .and_then(Value::as_f64)
        .ok_or("estimates.json has no `median.point_estimate` number")?;
    Ok(Measurement { group, case, imp, ns })
}

/// Every criterion result under `dir` written at or after `since`, in the order criterion
/// wrote them (so cases keep the order of the bench); unreadable results become notes.
fn collect_criterion(dir: &Path, since: SystemTime) -> (Vec<Measurement>, Vec<String>) {
    let mut found = Vec::new();
    let mut notes = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
                continue;
            }
            let in_new = d.file_name().is_some_and(|n| n == "new");
            if !in_new || entry.file_name() != "benchmark.json" {
                continue;
            }
            let Some(modified) = entry.metadata().and_then(|m| m.modified()).ok() else { continue };
            if modified < since {
                continue; // an older run
            }
            let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
            let result = read(&path).and_then(|b| {
                let e = read(&d.join("estimates.json"))?;
                parse_criterion(&b, &e)
            });
            match result {
                Ok(m) => found.push((modified, m)),
                Err(e) => notes.push(format!("skipped {}: {e}", path.display())),
            }
        }
    }
    found.sort_by_key(|a| a.0);
    (found.into_iter().map(|(_, m)| m).collect(), notes)
}

/// Parses one line printed by a CPython script: `{"group": …, "case": …, "ns": …}`. `None`
/// for a blank line.
pub(crate) fn parse_cpython_line(line: &str) -> Option<Result<Measurement, String>> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let parsed = json::parse(line).map_err(|e| e.to_string()).and_then(|v| {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        match (text("group"), text("case"), v.get("ns").and_then(Value::as_f64)) {
            (Some(group), Some(case), Some(ns)) => {
                Ok(Measurement { group, case, imp: "cpython".to_owned(), ns })
            }
            _ => Err("expected {\"group\": str, \"case\": str, \"ns\": number}".to_owned()),
        }
    });
    Some(parsed.map_err(|e| format!("`{line}`: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Targets

/// What a target compares our time with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Against {
    /// The Rust implementation with this name in the same case.
    Rust(&'static str),
    /// The CPython script's time for the same case.
    CPython,
    /// A fixed time: `max_ratio` is then a number of nanoseconds (`is_set ≤ 1 ns`).
    Nanos,
}

/// A performance goal: in `group`/`case` (`"*"`: every case), `threading` takes at most
/// `max_ratio` times the time of `against`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Target {
    pub(crate) group: &'static str,
    pub(crate) case: &'static str,
    pub(crate) against: Against,
    pub(crate) max_ratio: f64,
}

/// The project's targets, from the issues (2: Lock, RLock; 3: Condition, Semaphore, Event,
/// Barrier; 4: Thread, Local; 5: the pool; 6: the queues). `Against::Rust` may name a peer or
/// one of our own variants (`threading_lock`: our Lock as the baseline of a Semaphore).
pub(crate) const TARGETS: &[Target] = &[
    t("lock", "uncontended", Against::Rust("std"), 1.05),
    t("lock", "uncontended", Against::CPython, 0.1),
    t("lock", "uncontended_guard", Against::CPython, 0.1),
    t("rlock", "depth1", Against::Rust("parking_lot"), 1.1),
    t("rlock", "depth3", Against::Rust("parking_lot"), 1.1),
    t("condition", "ping_pong", Against::Rust("std"), 1.0),
    t("condition", "ping_pong", Against::Rust("parking_lot"), 1.0),
    t("semaphore", "uncontended", Against::Rust("threading_lock"), 1.1),
    t("semaphore", "uncontended", Against::CPython, 0.01),
    t("event", "is_set", Against::Nanos, 1.0),
    t("event", "set_no_waiters", Against::Rust("threading_lock"), 1.1),
    t("barrier", "*", Against::Rust("std"), 1.0),
    t("thread", "start_join", Against::Rust("std"), 1.1),
    t("thread", "current_thread", Against::Nanos, 20.0),
    t("local", "get", Against::Rust("thread_local"), 1.5),
    t("local", "get", Against::Nanos, 3.0),
    t("pool", "round_trip", Against::Rust("crossbeam"), 1.0),
    t("pool", "many_tasks", Against::Rust("rayon"), 1.0),
    t("pool", "many_tasks", Against::Rust("threadpool"), 1.0),
    t("queue", "uncontended_bounded", Against::Rust("crossbeam"), 1.2),
    t("queue", "uncontended_bounded", Against::Rust("std"), 1.2),
    t("queue", "uncontended_unbounded", Against::Rust("crossbeam"), 1.2),
    t("queue", "uncontended_unbounded", Against::Rust("std"), 1.2),
    t("queue", "spsc", Against::Rust("crossbeam"), 1.2),
    t("queue", "mpmc_2x2", Against::Rust("crossbeam"), 1.2),
    t("queue", "uncontended_unbounded", Against::CPython, 0.05),
];

/// A [`Target`] (keeps the table above one line per goal).
const fn t(group: &'static str, case: &'static str, against: Against, max_ratio: f64) -> Target {
    Target { group, case, against, max_ratio }
}

// ---------------------------------------------------------------------------------------------
// The table

/// Formats nanoseconds with a unit and 3 significant digits: `1.94 ns`, `279 ns`, `23.2 µs`.
pub(crate) fn fmt_ns(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", sig3(value))
}

/// A positive number with 3 significant digits (whole numbers from 100 on).
fn sig3(x: f64) -> String {
    let decimals = if x >= 100.0 || x == 0.0 {
        0
    } else {
        // 1 ≤ x < 10 → 2 decimals, 0.01 ≤ x < 0.1 → 3 decimals, …
        (2 - x.log10().floor() as i32).clamp(0, 9) as usize
    };
    format!("{x:.decimals$}")
}

/// A ratio `ours / theirs`: `0.98×`, `0.0124×`.
pub(crate) fn fmt_ratio(r: f64) -> String {
    if r >= 0.1 { format!("{r:.2}×") } else { format!("{}×", sig3(r)) }
}

/// The check of one target on one row: `✓ 0.98× std (≤ 1.05×)` or `**✗ 1.12× std (≤ 1.05×)**`.
fn check_target(
    t: &Target,
    ours: f64,
    peers: &[(&str, f64)],
    cpython: Option<f64>,
) -> Option<String> {
    let (name, theirs) = match t.against {
        Against::Rust(name) => (name, peers.iter().find(|(p, _)| *p == name)?.1),
        Against::CPython => ("CPython", cpython?),
        Against::Nanos => {
            let text = format!("{} (≤ {})", fmt_ns(ours), fmt_ns(t.max_ratio));
            let ok = ours <= t.max_ratio;
            return Some(if ok { format!("✓ {text}") } else { format!("**✗ {text}**") });
        }
    };
    let ratio = ours / theirs;
    let text = format!("{} {name} (≤ {}×)", fmt_ratio(ratio), t.max_ratio);
    Some(if ratio <= t.max_ratio { format!("✓ {text}") } else { format!("**✗ {text}**") })
}

/// The Markdown table of `rust` (criterion medians) and `cpython` (script medians), rows in
/// the order the groups and cases first appear, checked against `targets`.
pub(crate) fn build_table(
    rust: &[Measurement],
    cpython: &[Measurement],
    targets: &[Target],
) -> String {
    // (group, case) → implementation → ns; the order of first appearance.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut by_case: BTreeMap<(String, String), Vec<(String, f64)>> = BTreeMap::new();
    let mut cpy: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut note_case = |key: &(String, String)| {
        if !by_case.contains_key(key) {
            order.push(key.clone());
            by_case.insert(key.clone(), Vec::new());
        }
    };
    for m in rust.iter().chain(cpython) {
        note_case(&(m.group.clone(), m.case.clone()));
    }
    for m in rust {
        let imps = by_case.get_mut(&(m.group.clone(), m.case.clone())).expect("noted above");
        match imps.iter_mut().find(|(i, _)| *i == m.imp) {
            Some(slot) => slot.1 = m.ns, // a later result for the same id wins
            None => imps.push((m.imp.clone(), m.ns)),
        }
    }
    for m in cpython {
        cpy.insert((m.group.clone(), m.case.clone()), m.ns);
    }
    // Groups stay together, in the order each group first appeared.
    let mut groups: Vec<&str> = Vec::new();
    for (g, _) in &order {
        if !groups.contains(&g.as_str()) {
            groups.push(g);
        }
    }

    let mut out = String::new();
    out.push_str("| group | case | ours | ours ns | best Rust peer | peer ns | ours/peer | CPython ns | ours/CPython | targets |\n");
    out.push_str("|---|---|---|---:|---|---:|---:|---:|---:|---|\n");
    for group in groups {
        for key in order.iter().filter(|(g, _)| g == group) {
            let imps = &by_case[key];
            let is_ours = |i: &str| i == OURS || i.starts_with(&format!("{OURS}_"));
            let peers: Vec<(&str, f64)> =
                imps.iter().filter(|(i, _)| !is_ours(i)).map(|(i, ns)| (i.as_str(), *ns)).collect();
            let best = peers.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1));
            // Targets may name our own variants too (a Semaphore against our Lock).
            let all: Vec<(&str, f64)> = imps.iter().map(|(i, ns)| (i.as_str(), *ns)).collect();
            let cpython_ns = cpy.get(key).copied();
            let mut ours: Vec<(&str, f64)> =
                imps.iter().filter(|(i, _)| is_ours(i)).map(|(i, ns)| (i.as_str(), *ns)).collect();
            // `threading` first, then the variants in their order.
            ours.sort_by_key(|(i, _)| *i != OURS);
            let rows: Vec<Option<(&str, f64)>> =
                if ours.is_empty() { vec![None] } else { ours.into_iter().map(Some).collect() };
            for row in rows {
                let dash = || "—".to_owned();
                let (imp, ours_ns) = match row {
                    Some((i, ns)) => (format!("`{i}`"), fmt_ns(ns)),
                    None => (dash(), dash()),
                };
                let (peer, peer_ns, vs_peer) = match (best, row) {
                    (Some((p, pns)), Some((_, ns))) => {
                        (format!("`{p}`"), fmt_ns(pns), fmt_ratio(ns / pns))
                    }
                    (Some((p, pns)), None) => (format!("`{p}`"), fmt_ns(pns), dash()),
                    (None, _) => (dash(), dash(), dash()),
                };
                let (cpython_col, vs_cpython) = match (cpython_ns, row) {
                    (Some(c), Some((_, ns))) => (fmt_ns(c), fmt_ratio(ns / c)),
                    (Some(c), None) => (fmt_ns(c), dash()),
                    (None, _) => (dash(), dash()),
                };
                let notes: Vec<String> = match row {
                    Some((i, ns)) if i == OURS => targets
                        .iter()
                        .filter(|t| t.group == key.0 && (t.case == "*" || t.case == key.1))
                        .filter_map(|t| check_target(t, ns, &all, cpython_ns))
                        .collect(),
                    _ => Vec::new(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {imp} | {ours_ns} | {peer} | {peer_ns} | {vs_peer} | {cpython_col} | {vs_cpython} | {} |",
                    key.0,
                    key.1,
                    notes.join("; ")
                );
            }
        }
    }
    out
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the system clock.
fn today() -> String {
    let days = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() / 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date of day `z` since 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The LLVM flag every bench is built with: loops start on a 64-byte boundary.
///
/// Without it, where a bench's hot loop happens to land decides nanoseconds: the same
/// compare-exchange + swap loop measured 12.2 ns or 13.9 ns on this repository's 2-core VM
/// depending only on its address, so which of two equal locks "won" was a coin flip of code
/// layout. With every loop aligned, ours and the peers' are placed alike.
pub(crate) const ALIGN_LOOPS: &str = "-C llvm-args=-align-loops=64";

/// `$RUSTFLAGS` (if any) plus [`ALIGN_LOOPS`]. The build goes to its own target directory, so
/// the changed flags do not rebuild the normal one.
fn bench_rustflags() -> String {
    match std::env::var("RUSTFLAGS") {
        Ok(f) if !f.trim().is_empty() => format!("{f} {ALIGN_LOOPS}"),
        _ => ALIGN_LOOPS.to_owned(),
    }
}

/// The whole report: a heading line, the table, a legend and the notes.
pub(crate) fn report(table: &str, date: &str, o: &Options, notes: &[String]) -> String {
    let passes =
        if o.runs > 1 { format!(", the median of {} passes", o.runs) } else { String::new() };
    let mut out = format!(
        "`cargo xtask bench` on {date} (criterion args: `{}`{passes}): medians per operation.\n\n",
        o.criterion_args.join(" ")
    );
    out.push_str(table);
    out.push_str(&format!(
        "\nRust: criterion's median (`median.point_estimate`); CPython: the median of the \
         script's repeats. Ratios are ours / theirs: ≤ 1.00 means we are at least as fast. \
         \"best Rust peer\" is the fastest non-`threading` implementation of the case. \
         Built with `{ALIGN_LOOPS}` added to `$RUSTFLAGS`, in `<target>/bench-aligned`: every \
         loop, ours and the peers', starts on a 64-byte boundary.\n"
    ));
    if !notes.is_empty() {
        out.push_str("\nNotes:\n\n");
        for n in notes {
            let _ = writeln!(out, "* {n}");
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Running

/// The Python interpreter: `$PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".to_owned())
}

/// Runs one CPython script, echoing and parsing its output. `Err(None)` if the interpreter
/// is missing.
fn run_cpython(
    script: &Path,
    out: &mut Vec<Measurement>,
    notes: &mut Vec<String>,
) -> Result<(), Option<String>> {
    let py = python();
    let mut cmd = Command::new(&py);
    cmd.arg(script).stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(None),
        Err(e) => return Err(Some(format!("cannot run {py}: {e}"))),
    };
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| Some(e.to_string()))?;
            println!("{line}");
            match parse_cpython_line(&line) {
                Some(Ok(m)) => out.push(m),
                Some(Err(e)) => notes.push(format!("{}: ignored {e}", script.display())),
                None => {}
            }
        }
    }
    let status = child.wait().map_err(|e| Some(e.to_string()))?;
    if !status.success() {
        notes.push(format!("{} failed: {status}", script.display()));
    }
    Ok(())
}

/// What one pass over the selected benches measured.
#[derive(Debug, Default)]
struct Pass {
    rust: Vec<Measurement>,
    cpython: Vec<Measurement>,
}

/// Everything `run` keeps track of across passes.
#[derive(Debug, Default)]
struct Log {
    notes: Vec<String>,
    failed: Vec<String>,
    python_missing: bool,
}

impl Log {
    /// Adds a note unless an earlier pass already made it.
    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// One pass: every selected bench, then its crate's CPython script; the results read back.
fn run_pass(
    root: &Path,
    selected: &[BenchTarget],
    o: &Options,
    criterion_home: &Path,
    log: &mut Log,
) -> Pass {
    // Whole seconds, so a file system with coarse timestamps still counts this pass's files.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let since = UNIX_EPOCH + Duration::from_secs(now.as_secs());
    let mut pass = Pass::default();
    let mut scripts_run: Vec<&str> = Vec::new();
    let mut script_notes = Vec::new();
    let (rustflags, target_dir) = (bench_rustflags(), util::target_dir().join("bench-aligned"));
    for b in selected {
        eprintln!(
            "xtask: cargo bench -p {} --bench {} -- {}",
            b.package(),
            b.name,
            o.criterion_args.join(" ")
        );
        let mut cmd = Command::new(util::cargo());
        cmd.current_dir(root)
            .args(["bench", "-p", &b.package(), "--bench", &b.name, "--"])
            .args(&o.criterion_args)
            .env("CRITERION_HOME", criterion_home)
            .env("RUSTFLAGS", &rustflags)
            .env("CARGO_TARGET_DIR", &target_dir);
        if let Err(e) = util::run_status(&mut cmd) {
            log.note(format!("bench `{}` of {} failed: {e}", b.name, b.package()));
            if !log.failed.contains(&b.name) {
                log.failed.push(b.name.clone());
            }
        }
        if log.python_missing || scripts_run.contains(&b.dir.as_str()) {
            continue;
        }
        scripts_run.push(&b.dir);
        let script = root.join("benches/cpython").join(format!("bench_{}.py", b.dir));
        if !script.is_file() {
            log.note(format!("no CPython script benches/cpython/bench_{}.py", b.dir));
            continue;
        }
        eprintln!("xtask: {} {}", python(), script.display());
        match run_cpython(&script, &mut pass.cpython, &mut script_notes) {
            Ok(()) => {}
            Err(None) => {
                log.python_missing = true;
                log.note(format!("`{}` not found: the CPython columns are empty", python()));
            }
            Err(Some(e)) => script_notes.push(format!("{}: {e}", script.display())),
        }
    }
    let (rust, read_notes) = collect_criterion(criterion_home, since);
    pass.rust = rust;
    for n in script_notes.into_iter().chain(read_notes) {
        log.note(n);
    }
    for b in selected {
        if !pass.rust.iter().any(|m| m.group == b.dir) && !log.failed.contains(&b.name) {
            log.note(format!(
                "no criterion results in group `{}` from bench `{}` (a placeholder, or other group names)",
                b.dir, b.name
            ));
        }
    }
    pass
}

/// The median over several passes of each `(group, case, impl)`, in the order of first
/// appearance (a measurement missing from some passes uses the ones it has).
pub(crate) fn merge_passes(passes: &[Vec<Measurement>]) -> Vec<Measurement> {
    let mut merged: Vec<(Measurement, Vec<f64>)> = Vec::new();
    for m in passes.iter().flatten() {
        match merged
            .iter_mut()
            .find(|(k, _)| k.group == m.group && k.case == m.case && k.imp == m.imp)
        {
            Some((_, values)) => values.push(m.ns),
            None => merged.push((m.clone(), vec![m.ns])),
        }
    }
    merged
        .into_iter()
        .map(|(mut m, mut values)| {
            values.sort_by(f64::total_cmp);
            let mid = values.len() / 2;
            m.ns = if values.len() % 2 == 1 {
                values[mid]
            } else {
                (values[mid - 1] + values[mid]) / 2.0
            };
            m
        })
        .collect()
}

/// Runs the selected benches and scripts (`--runs` times), prints the table and writes it to
/// `<target>/bench-report.md`. An error if a bench failed (after the table is printed).
pub(crate) fn run(o: &Options) -> Result<(), String> {
    let root = util::workspace_root();
    let selected = select(&discover(&root), &o.filter)?;
    if selected.is_empty() {
        return Err("no benches found (crates/*/benches/*.rs)".to_owned());
    }
    let criterion_home = match std::env::var_os("CRITERION_HOME") {
        Some(h) if !h.is_empty() => root.join(PathBuf::from(h)),
        _ => util::target_dir().join("criterion"),
    };
    let mut log = Log::default();
    let (mut rust, mut cpython) = (Vec::new(), Vec::new());
    for pass in 1..=o.runs {
        if o.runs > 1 {
            eprintln!("xtask: bench pass {pass} of {}", o.runs);
        }
        let p = run_pass(&root, &selected, o, &criterion_home, &mut log);
        rust.push(p.rust);
        cpython.push(p.cpython);
    }
    let (rust, cpython) = (merge_passes(&rust), merge_passes(&cpython));
    let table = build_table(&rust, &cpython, TARGETS);
    let date = today();
    let text = report(&table, &date, o, &log.notes);
    println!("\n{text}");
    let rows = chart::rows(&rust, &cpython);
    let title = format!("threading vs its peers: time ratios (cargo xtask bench, {date})");
    let mut dirs = vec![util::target_dir()];
    if o.publish {
        dirs.push(root.join("docs"));
    }
    for dir in dirs {
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("bench-report.md");
        match std::fs::write(&path, &text) {
            Ok(()) => println!("(written to {})", path.display()),
            Err(e) => eprintln!("xtask: cannot write {}: {e}", path.display()),
        }
        let svg = dir.join("bench-ratios.svg");
        match chart::draw(&rows, &title, &svg) {
            Ok(()) => println!("(chart written to {})", svg.display()),
            Err(e) => eprintln!("xtask: no chart: {e}"),
        }
    }
    if log.failed.is_empty() {
        Ok(())
    } else {
        Err(format!("benches failed: {}", log.failed.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Turns a list of string literals into owned arguments.
    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn m(group: &str, case: &str, imp: &str, ns: f64) -> Measurement {
        Measurement { group: group.into(), case: case.into(), imp: imp.into(), ns }
    }

    fn bench(dir: &str, name: &str) -> BenchTarget {
        BenchTarget { dir: dir.into(), name: name.into() }
    }

    #[test]
    fn options_default_criterion_args() {
        let o = Options::parse(&[]).unwrap();
        assert!(o.filter.is_empty());
        assert_eq!(o.criterion_args, args(DEFAULT_CRITERION_ARGS));
    }

    #[test]
    fn options_filter_and_override() {
        let o =
            Options::parse(&args(&["lock,rlock", "--", "--measurement-time", "1", "x"])).unwrap();
        assert_eq!(o.filter, args(&["lock", "rlock"]));
        assert_eq!(o.criterion_args, args(&["--measurement-time", "1", "x"]));
        // `--` with nothing after it: criterion's own defaults.
        assert!(Options::parse(&args(&["--"])).unwrap().criterion_args.is_empty());
    }

    #[test]
    fn options_reject_bad_input() {
        assert!(Options::parse(&args(&["--measurement-time", "1"])).is_err());
        assert!(Options::parse(&args(&["lock", "rlock"])).is_err());
        assert!(Options::parse(&args(&["--runs"])).is_err());
        assert!(Options::parse(&args(&["--runs", "0"])).is_err());
        assert!(Options::parse(&args(&["--runs=x"])).is_err());
    }

    #[test]
    fn options_runs() {
        assert_eq!(Options::parse(&[]).unwrap().runs, 1);
        let o = Options::parse(&args(&["--runs", "3", "lock"])).unwrap();
        assert_eq!((o.runs, o.filter.clone()), (3, args(&["lock"])));
        assert_eq!(Options::parse(&args(&["lock", "--runs=2"])).unwrap().runs, 2);
        // After `--` it is criterion's.
        let o = Options::parse(&args(&["--", "--runs", "3"])).unwrap();
        assert_eq!((o.runs, o.criterion_args), (1, args(&["--runs", "3"])));
    }

    #[test]
    fn selection() {
        let all = [bench("barrier", "barrier"), bench("lock", "lock"), bench("lock", "lock_extra")];
        assert_eq!(select(&all, &[]).unwrap(), all);
        assert_eq!(select(&all, &args(&["lock"])).unwrap(), &all[1..]);
        assert_eq!(
            select(&all, &args(&["lock_extra", "barrier"])).unwrap(),
            [all[0].clone(), all[2].clone()]
        );
        let e = select(&all, &args(&["lok"])).unwrap_err();
        assert!(e.contains("`lok`") && e.contains("barrier, lock"), "{e}");
        assert_eq!(all[0].package(), "threading-barrier");
    }

    #[test]
    fn discovers_the_workspace_benches() {
        let found = discover(&util::workspace_root());
        assert!(found.contains(&bench("lock", "lock")), "{found:?}");
        assert!(found.contains(&bench("barrier", "barrier")), "{found:?}");
    }

    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.0,"standard_error":0.1},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":17.0,"upper_bound":19.0},"point_estimate":18.25,"standard_error":0.2},"median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.1,"upper_bound":0.3},"point_estimate":0.2,"standard_error":0.01},"slope":null,"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.1,"upper_bound":0.3},"point_estimate":0.2,"standard_error":0.01}}"#;

    #[test]
    fn parses_criterion_results() {
        let id = r#"{"group_id":"lock","function_id":"uncontended","value_str":"threading","throughput":null,"full_id":"lock/uncontended/threading","directory_name":"lock/uncontended/threading","title":"lock/uncontended/threading"}"#;
        assert_eq!(
            parse_criterion(id, ESTIMATES).unwrap(),
            m("lock", "uncontended", "threading", 18.25)
        );
        // A case with a slash: criterion's directory is `a_b`, the id keeps the slash.
        let slash = r#"{"group_id":"g","function_id":"a/b","value_str":"std","directory_name":"g/a_b/std"}"#;
        assert_eq!(parse_criterion(slash, ESTIMATES).unwrap(), m("g", "a/b", "std", 18.25));
        // `bench_function("case/impl")`: one string, split at the last slash.
        let one = r#"{"group_id":"g","function_id":"x/y/threading_lock","value_str":null}"#;
        assert_eq!(
            parse_criterion(one, ESTIMATES).unwrap(),
            m("g", "x/y", "threading_lock", 18.25)
        );
    }

    #[test]
    fn criterion_errors_are_explained() {
        let no_impl = r#"{"group_id":"g","function_id":"plain","value_str":null}"#;
        assert!(parse_criterion(no_impl, ESTIMATES).unwrap_err().contains("g/plain"));
        assert!(
            parse_criterion(r#"{"function_id":"a"}"#, ESTIMATES).unwrap_err().contains("group_id")
        );
        let id = r#"{"group_id":"g","function_id":"a","value_str":"b"}"#;
        assert!(
            parse_criterion(id, r#"{"median":{}}"#).unwrap_err().contains("median.point_estimate")
        );
        assert!(parse_criterion("{", ESTIMATES).unwrap_err().contains("benchmark.json"));
    }

    #[test]
    fn reads_a_criterion_directory() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        let new = dir.join("lock/uncontended/threading/new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::create_dir_all(dir.join("lock/uncontended/threading/base")).unwrap();
        let id = r#"{"group_id":"lock","function_id":"uncontended","value_str":"threading"}"#;
        std::fs::write(new.join("benchmark.json"), id).unwrap();
        std::fs::write(new.join("estimates.json"), ESTIMATES).unwrap();
        // The baseline copy is not a result.
        std::fs::write(dir.join("lock/uncontended/threading/base/benchmark.json"), id).unwrap();
        let (found, notes) = collect_criterion(&dir, UNIX_EPOCH);
        assert_eq!(found, [m("lock", "uncontended", "threading", 18.25)]);
        assert!(notes.is_empty(), "{notes:?}");
        // Results older than the run are left out.
        let later = SystemTime::now() + Duration::from_secs(3600);
        assert!(collect_criterion(&dir, later).0.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parses_cpython_lines() {
        let line = r#"{"group": "lock", "case": "uncontended", "ns": 96.5}"#;
        assert_eq!(parse_cpython_line(line), Some(Ok(m("lock", "uncontended", "cpython", 96.5))));
        assert_eq!(parse_cpython_line("  \n"), None);
        assert!(parse_cpython_line("hello").unwrap().is_err());
        assert!(
            parse_cpython_line(r#"{"group": "lock", "case": "x", "ns": "fast"}"#).unwrap().is_err()
        );
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(fmt_ns(1.944), "1.94 ns");
        assert_eq!(fmt_ns(19.36), "19.4 ns");
        assert_eq!(fmt_ns(279.43), "279 ns");
        assert_eq!(fmt_ns(23_231.0), "23.2 µs");
        assert_eq!(fmt_ns(2_500_000.0), "2.50 ms");
        assert_eq!(fmt_ns(0.0), "0 ns");
        assert_eq!(fmt_ratio(0.98), "0.98×");
        assert_eq!(fmt_ratio(12.345), "12.35×");
        assert_eq!(fmt_ratio(0.01237), "0.0124×");
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(today().len(), 10);
    }

    /// The row of `table` for `group`, `case` and our implementation `imp`, as cells.
    #[test]
    fn targets_against_our_own_variant_and_absolute_times() {
        let rust = [
            m("semaphore", "uncontended", "threading", 5.0),
            m("semaphore", "uncontended", "threading_lock", 5.0),
            m("event", "is_set", "threading", 1.5),
        ];
        let table = build_table(&rust, &[], TARGETS);
        let sem = row(&table, "semaphore", "uncontended", "`threading`");
        assert!(sem[10].contains("✓ 1.00× threading_lock (≤ 1.1×)"), "{sem:?}");
        let ev = row(&table, "event", "is_set", "`threading`");
        assert!(ev[10].contains("**✗ 1.50 ns (≤ 1.00 ns)**"), "{ev:?}");
    }

    fn row(table: &str, group: &str, case: &str, imp: &str) -> Vec<String> {
        table
            .lines()
            .map(|l| l.split('|').map(|c| c.trim().to_owned()).collect::<Vec<_>>())
            .find(|c| c.len() > 3 && c[1] == group && c[2] == case && c[3] == imp)
            .unwrap_or_else(|| panic!("no row {group}/{case}/{imp} in\n{table}"))
    }

    #[test]
    fn table_rows_ratios_and_targets() {
        let rust = [
            m("lock", "uncontended", "threading", 20.0),
            m("lock", "uncontended", "std", 19.0),
            m("lock", "uncontended", "parking_lot", 16.0),
            m("rlock", "depth1", "threading", 30.0),
            m("rlock", "depth1", "threading_lock", 20.0),
            m("rlock", "depth1", "parking_lot", 25.0),
            m("lock", "contended_2t", "threading", 50.0),
            m("lock", "contended_2t", "std", 100.0),
            m("rlock", "depth1_calls", "threading", 40.0),
        ];
        let cpython =
            [m("lock", "uncontended", "cpython", 100.0), m("lock", "only_python", "cpython", 7.0)];
        let table = build_table(&rust, &cpython, TARGETS);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[0].starts_with("| group | case | ours | ours ns | best Rust peer |"),
            "{table}"
        );
        assert_eq!(lines.len(), 2 + 6, "{table}");
        // Groups stay together, cases in order of appearance (the CPython-only case last).
        let cases: Vec<&str> =
            lines[2..].iter().map(|l| l.split('|').nth(2).unwrap().trim()).collect();
        assert_eq!(
            cases,
            ["uncontended", "contended_2t", "only_python", "depth1", "depth1", "depth1_calls"]
        );
        // Best peer is the fastest one; the target names its own peer.
        let r = row(&table, "lock", "uncontended", "`threading`");
        assert_eq!(r[4], "20.0 ns");
        assert_eq!(r[5], "`parking_lot`");
        assert_eq!(r[6], "16.0 ns");
        assert_eq!(r[7], "1.25×");
        assert_eq!(r[8], "100 ns");
        assert_eq!(r[9], "0.20×");
        assert!(r[10].contains("**✗ 1.05× std (≤ 1.05×)**"), "{}", r[10]);
        assert!(r[10].contains("**✗ 0.20× CPython (≤ 0.1×)**"), "{}", r[10]);
        // A met target, and our variant in its own row without target notes.
        let r = row(&table, "rlock", "depth1", "`threading`");
        assert_eq!(r[7], "1.20×");
        assert!(r[10].contains("**✗ 1.20× parking_lot (≤ 1.1×)**"), "{}", r[10]);
        let v = row(&table, "rlock", "depth1", "`threading_lock`");
        assert_eq!((v[4].as_str(), v[7].as_str(), v[10].as_str()), ("20.0 ns", "0.80×", ""));
        let r = row(&table, "lock", "contended_2t", "`threading`");
        assert_eq!(
            (r[5].as_str(), r[7].as_str(), r[8].as_str(), r[10].as_str()),
            ("`std`", "0.50×", "—", "")
        );
        // No peer, no CPython: dashes.
        let r = row(&table, "rlock", "depth1_calls", "`threading`");
        assert_eq!((r[5].as_str(), r[7].as_str(), r[9].as_str()), ("—", "—", "—"));
        // Only CPython: no implementation of ours.
        let r = row(&table, "lock", "only_python", "—");
        assert_eq!((r[8].as_str(), r[9].as_str()), ("7.00 ns", "—"));
    }

    #[test]
    fn met_targets_are_ticked() {
        let rust = [
            m("barrier", "rounds_2t", "threading", 300.0),
            m("barrier", "rounds_2t", "std", 20_000.0),
        ];
        let table = build_table(&rust, &[], TARGETS);
        let r = row(&table, "barrier", "rounds_2t", "`threading`");
        assert_eq!(r[10], "✓ 0.0150× std (≤ 1×)");
        assert_eq!(r[8], "—");
    }

    #[test]
    fn empty_table_has_a_header() {
        let table = build_table(&[], &[], TARGETS);
        assert_eq!(table.lines().count(), 2);
    }

    #[test]
    fn report_has_the_table_legend_and_notes() {
        let o = Options::parse(&args(&["--", "--warm-up-time", "1"])).unwrap();
        let text = report("| t |\n", "2026-01-01", &o, &["python3 missing".into()]);
        assert!(
            text.starts_with(
                "`cargo xtask bench` on 2026-01-01 (criterion args: `--warm-up-time 1`): medians"
            ),
            "{text}"
        );
        assert!(text.contains("| t |\n"), "{text}");
        assert!(text.contains("≤ 1.00 means we are at least as fast"), "{text}");
        assert!(text.contains("* python3 missing"), "{text}");
        let o = Options::parse(&args(&["--runs", "3"])).unwrap();
        let text = report("| t |\n", "2026-01-01", &o, &[]);
        assert!(text.contains("the median of 3 passes"), "{text}");
        assert!(!text.contains("Notes"), "{text}");
    }

    #[test]
    fn passes_merge_to_medians() {
        let passes = [
            vec![m("g", "a", "threading", 3.0), m("g", "a", "std", 10.0)],
            vec![m("g", "a", "std", 30.0), m("g", "a", "threading", 1.0), m("g", "b", "std", 5.0)],
            vec![m("g", "a", "threading", 2.0), m("g", "a", "std", 20.0)],
        ];
        assert_eq!(
            merge_passes(&passes),
            [m("g", "a", "threading", 2.0), m("g", "a", "std", 20.0), m("g", "b", "std", 5.0)]
        );
        // An even count: the mean of the middle two.
        assert_eq!(merge_passes(&passes[..2])[0], m("g", "a", "threading", 2.0));
        assert!(merge_passes(&[]).is_empty());
    }
}
