//! Helpers shared by the subcommands: where the workspace and its target directory are, and
//! running a child process.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::Command;

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The cargo target directory: `$CARGO_TARGET_DIR` if set (relative to the workspace root),
/// else `<workspace>/target`.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// The cargo binary that invoked us (`$CARGO`), or `cargo` from `PATH`.
pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Runs `cmd` with inherited stdio; an error if it cannot start or exits unsuccessfully.
pub(crate) fn run_status(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{cmd:?} failed: {status}")) }
}

/// Copies `from` to `to` as it arrives (a child's output, so the user sees it live), line by
/// line, and hands each line, decoded lossily, to `line`.
pub(crate) fn tee_lines(
    from: impl Read,
    to: &mut impl Write,
    mut line: impl FnMut(&str),
) -> Result<(), String> {
    let mut reader = BufReader::new(from);
    let mut buf = Vec::new();
    while reader.read_until(b'\n', &mut buf).map_err(|e| e.to_string())? > 0 {
        let _ = to.write_all(&buf);
        let _ = to.flush();
        line(&String::from_utf8_lossy(&buf));
        buf.clear();
    }
    Ok(())
}

/// The command line of a subcommand that runs a test binary: at most one FILTER and, after
/// `--`, arguments for the test binary. The options before them are the subcommand's own.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct TestArgs {
    /// The one positional argument, passed to the test binary as its name filter.
    pub(crate) filter: Option<String>,
    /// Everything after `--`.
    pub(crate) extra: Vec<String>,
}

/// Parses `[OPTIONS] [FILTER] [-- EXTRA]` for the subcommand `cmd`. Each `--name` or
/// `--name=value` goes to `option(name, value)`, where `value()` yields the option's argument
/// (after `=`, else the next word); `option` returns `Ok(false)` for a name it does not know,
/// which is an error here, as are a second FILTER and a missing value.
pub(crate) fn parse_test_args(
    cmd: &str,
    args: &[String],
    mut option: impl FnMut(&str, &mut dyn FnMut() -> Result<String, String>) -> Result<bool, String>,
) -> Result<TestArgs, String> {
    let mut parsed = TestArgs::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            parsed.extra = it.by_ref().cloned().collect();
        } else if a.starts_with('-') {
            let (name, mut inline) = match a.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (a.as_str(), None),
            };
            let mut value = || match inline.take() {
                Some(v) => Ok(v),
                None => it.next().cloned().ok_or_else(|| format!("`{name}` needs a value")),
            };
            if !option(name, &mut value)? {
                return Err(format!(
                    "unknown option `{a}` for `{cmd}` (test options go after `--`; see `cargo xtask help`)"
                ));
            }
        } else if parsed.filter.is_none() {
            parsed.filter = Some(a.clone());
        } else {
            return Err(format!("`{cmd}` takes one FILTER, got a second: `{a}`"));
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// Collects the options it is given, knowing only `--n` (with a value) and `--flag`.
    fn parse(a: &[&str]) -> Result<(Vec<String>, TestArgs), String> {
        let mut seen = Vec::new();
        let rest = parse_test_args("t", &args(a), |name, value| {
            match name {
                "--n" => seen.push(format!("n={}", value()?)),
                "--flag" => seen.push("flag".to_owned()),
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok((seen, rest))
    }

    #[test]
    fn options_filter_and_extra() {
        let (seen, rest) = parse(&["--n", "1", "--flag", "f", "--n=2", "--", "--n", "x"]).unwrap();
        assert_eq!(seen, ["n=1", "flag", "n=2"]);
        assert_eq!(rest.filter.as_deref(), Some("f"));
        assert_eq!(rest.extra, args(&["--n", "x"]));
    }

    #[test]
    fn errors() {
        assert!(parse(&["--n"]).unwrap_err().contains("`--n` needs a value"));
        assert!(parse(&["--what"]).unwrap_err().contains("unknown option `--what` for `t`"));
        assert!(parse(&["a", "b"]).unwrap_err().contains("one FILTER"));
    }
}
