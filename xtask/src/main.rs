//! `cargo xtask`: workspace automation (loom suite, Miri, ThreadSanitizer, tidy checks, benchmark
//! report, soak, CI).
//!
//! Run `cargo xtask help` for the subcommands. Its one dependency is `plotters` (SVG backend
//! only) for the bench chart, so it still builds in seconds.

mod bench;
mod chart;
mod json;
mod loom;
mod miri;
mod mutants;
mod nightly;
mod rust_lex;
mod soak;
mod tidy;
mod tsan;
mod util;

use std::process::ExitCode;

/// The usage text printed by `cargo xtask help` and on a bad command line.
const USAGE: &str = "\
cargo xtask <command>

Commands:
  loom [--deep] [--bound N] [FILTER] [-- TEST-ARGS]
        Run every loom model (tests/loom) at preemption bound 2 (--deep: 3, --bound N: N) and
        print executions and time per model. FILTER selects models by name (e.g. `lock::`).
  miri [--seeds N | --seeds A..B] [FILTER] [-- TEST-ARGS]
        Run the integration tests under Miri (nightly, with the miri and rust-src components)
        once per seed, seeds 0..4 by default (`-Zmiri-seed=S -Zmiri-strict-provenance`, then
        $MIRIFLAGS), in target/miri, and print passed/failed and time per seed. FILTER selects
        tests by name (e.g. `lock::`). Exits 2 if the nightly components are missing.
  tsan [--runs N] [FILTER] [-- TEST-ARGS]
        Run the integration tests under ThreadSanitizer (nightly with rust-src: -Zbuild-std,
        --release, target/tsan) N times (default 1), with TSAN_OPTIONS halt_on_error=1,
        second_deadlock_stack=1 and xtask/tsan.supp, then $TSAN_OPTIONS. Exits 2 if the
        nightly components are missing. Neither miri nor tsan is part of `.ci/run`.
  tidy [--fix]
        Check the workspace rules (naming, no std::sync/parking_lot/loom/std::time::Instant in
        algorithm code, [lints] workspace = true, //! headers, no #[ignore], README mapping
        table, a loom model and a bench per primitive). --fix rewrites the README mapping block
        from threading-facade/src/mapping.md.
  bench [--runs N] [--publish] [FILTER] [-- CRITERION-ARGS]
        Run every criterion bench (default args: --warm-up-time 1 --measurement-time 3) and the
        CPython scripts in benches/cpython, then print a table of medians and ratios
        (also written to <target>/bench-report.md) and draw the ratios as a chart
        (<target>/bench-ratios.svg). FILTER selects crates or benches by name (`lock,rlock`);
        --runs N repeats everything N times and reports the median of the passes (for a noisy
        machine); --publish also writes both files to docs/, which the README links.
  soak [--seconds N] [--seed S] [--threads T] [--quiesce-ms Q]
        Build the soak binary (tests/examples/soak.rs) with --release and run it: every
        primitive at once on T threads per workload (default 4) for N seconds (default 60),
        random timeouts and cancellations from seed S (default 1), invariants checked
        throughout, lost wake-ups and deadlocks detected by a monitor, which also quiesces
        the run every Q ms (default 1000; 0: never) to tell a lost wake-up from starvation.
        Prints a report per workload; fails on any failure.
  mutants [CRATE...] [--retest] [--loom | --loom-only] [--list] [--report] [--bound N]
          [--timeout SECS] [--min-timeout SECS] [--jobs N]
        cargo-mutants over the primitive crates (default: all, smallest first), one crate at a
        time (-j 1, or --jobs N; output in target/mutants/<crate>), with the integration tests
        of that crate's module (plus its stress and unit tests) as the killers. --retest
        re-tests the survivors with the current tests (after adding tests for them); --loom
        re-tests the remaining survivors not listed as equivalent with the crate's loom models
        (--cfg threading_loom, --profile loom, LOOM_MAX_PREEMPTIONS=N, default 2); --loom-only
        runs just that pass.
        Prints per crate mutants, caught, missed (listed; the ones in
        .cargo/mutants-equivalent.txt apart, with their reasons), unviable, timeouts and the
        score caught/(caught+missed), timeouts counted as caught, also without the equivalent
        survivors (written to target/mutants/report.md). --list only lists the mutants;
        --report only re-reads earlier results. Needs `cargo install cargo-mutants --locked`.
  ci    What .ci/run does: `cargo test --workspace`, then `cargo xtask loom`.
  help  This text.
";

/// Parses the command line and runs the subcommand; a failure prints its reason and exits 1.
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((cmd, rest)) => (cmd.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match cmd {
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        "loom" => loom::Options::parse(rest).and_then(|o| loom::run(&o)),
        "miri" => miri::Options::parse(rest).and_then(|o| miri::run(&o)),
        "tsan" => tsan::Options::parse(rest).and_then(|o| tsan::run(&o)),
        "tidy" => tidy::main(rest),
        "bench" => bench::Options::parse(rest).and_then(|o| bench::run(&o)),
        "soak" => soak::Options::parse(rest).and_then(|o| soak::run(&o)),
        "mutants" => mutants::Options::parse(rest).and_then(|o| mutants::run(&o)),
        "ci" => ci(rest),
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask ci`: exactly what `.ci/run` does — the README's test command, then the loom
/// suite at the CI bound.
fn ci(args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err(format!("`ci` takes no arguments\n\n{USAGE}"));
    }
    let root = util::workspace_root();
    let mut test = std::process::Command::new(util::cargo());
    test.current_dir(&root).args(["test", "--workspace"]);
    util::run_status(&mut test)?;
    loom::run(&loom::Options::default())
}
