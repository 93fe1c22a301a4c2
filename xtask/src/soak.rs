//! `cargo xtask soak`: builds the soak binary (`tests/examples/soak.rs`, the engine is
//! `threading_tests::soak`) with `--release` and runs it; fails if the soak reports a failure.

use std::process::Command;

use crate::util;

/// The command line of `cargo xtask soak`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// How long the workloads run.
    pub(crate) seconds: u64,
    /// The seed of the soak's random choices.
    pub(crate) seed: u64,
    /// Threads per workload (`None`: the soak's default).
    pub(crate) threads: Option<u64>,
    /// Milliseconds between quiesces, 0 for none (`None`: the soak's default).
    pub(crate) quiesce_ms: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options { seconds: 60, seed: 1, threads: None, quiesce_ms: None }
    }
}

impl Options {
    /// Parses `[--seconds N] [--seed S] [--threads T] [--quiesce-ms Q]` (also `--flag=value`).
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
                _ => (a.as_str(), None),
            };
            let mut value = || -> Result<u64, String> {
                let v = match inline.clone() {
                    Some(v) => v,
                    None => it.next().cloned().ok_or(format!("`{flag}` needs a number"))?,
                };
                v.parse().map_err(|_| format!("`{flag}` needs a non-negative number, got `{v}`"))
            };
            match flag {
                "--seconds" => o.seconds = value()?,
                "--seed" => o.seed = value()?,
                "--threads" => o.threads = Some(value()?),
                "--quiesce-ms" => o.quiesce_ms = Some(value()?),
                _ => {
                    return Err(format!(
                        "unknown argument `{a}` for `soak` (see `cargo xtask help`)"
                    ));
                }
            }
        }
        Ok(o)
    }
}

/// Builds the soak binary (release) and runs it with the options; an error if it fails.
pub(crate) fn run(o: &Options) -> Result<(), String> {
    let root = util::workspace_root();
    let mut build = Command::new(util::cargo());
    build.current_dir(&root).args([
        "build",
        "--release",
        "--package",
        "threading-tests",
        "--example",
        "soak",
    ]);
    util::run_status(&mut build)?;
    let bin = util::target_dir()
        .join("release")
        .join("examples")
        .join(format!("soak{}", std::env::consts::EXE_SUFFIX));
    let mut soak = Command::new(&bin);
    soak.current_dir(&root).args([
        "--seconds".to_owned(),
        o.seconds.to_string(),
        "--seed".to_owned(),
        o.seed.to_string(),
    ]);
    if let Some(t) = o.threads {
        soak.args(["--threads".to_owned(), t.to_string()]);
    }
    if let Some(q) = o.quiesce_ms {
        soak.args(["--quiesce-ms".to_owned(), q.to_string()]);
    }
    util::run_status(&mut soak).map_err(|e| format!("the soak failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parse_options() {
        assert_eq!(Options::parse(&[]), Ok(Options::default()));
        assert_eq!(
            Options::parse(&args("--seconds 300 --seed=9 --threads 6")),
            Ok(Options { seconds: 300, seed: 9, threads: Some(6), quiesce_ms: None })
        );
        assert_eq!(Options::parse(&args("--quiesce-ms 0")).map(|o| o.quiesce_ms), Ok(Some(0)));
        assert!(Options::parse(&args("--seconds")).is_err());
        assert!(Options::parse(&args("--seconds ten")).is_err());
        assert!(Options::parse(&args("--fast")).is_err());
    }
}
