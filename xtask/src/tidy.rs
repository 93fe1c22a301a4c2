//! `cargo xtask tidy`: the workspace rules, as pure checks over file contents plus a walker
//! that feeds them the real files.
//!
//! Rules (each a `check_*` function, each unit-tested on small fixtures):
//! * naming: `crates/<dir>` is the package `threading-<dir>`, `threading-facade/` is `threading`;
//! * algorithm code (`crates/*/src` except `crates/core/src`) names no `std::sync`,
//!   `std::thread`, `std::time::Instant`, `core::sync`, `parking_lot` or `loom` (comments and
//!   strings do not count; grouped `use` trees are expanded);
//! * every workspace member's Cargo.toml has `[lints] workspace = true`;
//! * every `.rs` file starts with a `//!` line;
//! * no `#[ignore]`;
//! * the README mapping block equals the table in `threading-facade/src/mapping.md`
//!   (`--fix` rewrites it);
//! * every primitive crate past the stub stage (≥ 50 lines of src) has a loom model file that
//!   calls `check(` and a criterion bench; every primitive with a criterion bench (one that
//!   calls `criterion_main!`, so placeholders are skipped) has its CPython side,
//!   `benches/cpython/bench_<dir>.py`, for the ratio column of `cargo xtask bench`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::rust_lex::{Tok, Token, tokens};
use crate::util;

/// One rule violation: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Path relative to the workspace root, `/`-separated.
    pub(crate) path: String,
    /// 1-based line, or 0 when the problem is the file as a whole.
    pub(crate) line: usize,
    /// What is wrong and how to fix it.
    pub(crate) message: String,
}

impl Finding {
    /// A finding at `path:line`.
    fn new(path: &str, line: usize, message: impl Into<String>) -> Self {
        Finding { path: path.to_owned(), line, message: message.into() }
    }
}

impl fmt::Display for Finding {
    /// `path:line: message` (just `path: message` for line 0).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(f, "{}:{}: {}", self.path, self.line, self.message)
        }
    }
}

/// The README line that opens the generated mapping block.
pub(crate) const MAPPING_START: &str =
    "<!-- mapping: generated from threading-facade/src/mapping.md -->";
/// The README line that closes the generated mapping block.
pub(crate) const MAPPING_END: &str = "<!-- /mapping -->";
/// Below this many lines of `src`, a primitive crate is a stub and rule (g) skips it.
pub(crate) const STUB_LINES: usize = 50;
/// Primitives whose loom models are being written right now (they are not on main yet): a
/// missing model is a warning for them, not a failure. Remove a name once its models land.
pub(crate) const PENDING_LOOM_MODELS: &[&str] = &[];

/// What [`tidy`] found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Rule violations: `cargo xtask tidy` fails if there is any.
    pub(crate) findings: Vec<Finding>,
    /// Known, temporary gaps ([`PENDING_LOOM_MODELS`]): printed, not failed.
    pub(crate) warnings: Vec<Finding>,
    /// How many files were looked at.
    pub(crate) files: usize,
}

// ---------------------------------------------------------------------------------------------
// Cargo.toml helpers

/// The `key = value` pairs of section `[section]` of a TOML file (comments dropped, values
/// trimmed, quotes kept), with their 1-based line numbers.
fn toml_section<'a>(toml: &'a str, section: &str) -> Option<Vec<(usize, &'a str, &'a str)>> {
    let mut found = None;
    let mut current = false;
    for (n, raw) in toml.lines().enumerate() {
        let line = strip_toml_comment(raw).trim();
        if line.starts_with('[') {
            current = line == format!("[{section}]");
            if current && found.is_none() {
                found = Some(Vec::new());
            }
        } else if current && let Some((k, v)) = line.split_once('=') {
            found.get_or_insert_with(Vec::new).push((n + 1, k.trim(), v.trim()));
        }
    }
    found
}

/// `line` without a trailing `# comment` (a `#` inside a string is kept).
fn strip_toml_comment(line: &str) -> &str {
    let mut in_str = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '#' if !in_str => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The `[package] name` of a Cargo.toml.
pub(crate) fn package_name(cargo_toml: &str) -> Option<String> {
    let package = toml_section(cargo_toml, "package")?;
    let (_, _, v) = package.into_iter().find(|(_, k, _)| *k == "name")?;
    Some(v.trim_matches('"').to_owned())
}

/// The `members` globs of the root Cargo.toml's `[workspace]` (the array may span lines).
pub(crate) fn workspace_members(root_toml: &str) -> Vec<String> {
    let mut in_workspace = false;
    let mut collecting = false;
    let mut array = String::new();
    for raw in root_toml.lines() {
        let line = strip_toml_comment(raw).trim();
        if collecting {
            array.push_str(line);
            if line.contains(']') {
                break;
            }
            continue;
        }
        if line.starts_with('[') {
            in_workspace = line == "[workspace]";
        } else if in_workspace
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == "members"
        {
            array.push_str(v);
            if v.contains(']') {
                break;
            }
            collecting = true;
        }
    }
    array
        .trim()
        .trim_start_matches('[')
        .split([',', ']'])
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// (a) naming

/// Rule (a): the package in `manifest_path` (e.g. `crates/lock/Cargo.toml`) is named `expected`.
pub(crate) fn check_package_name(
    manifest_path: &str,
    expected: &str,
    cargo_toml: &str,
) -> Vec<Finding> {
    match package_name(cargo_toml) {
        Some(name) if name == expected => Vec::new(),
        Some(name) => vec![Finding::new(
            manifest_path,
            0,
            format!("package is named `{name}`; the naming rule wants `{expected}`"),
        )],
        None => vec![Finding::new(
            manifest_path,
            0,
            format!("no [package] name (expected `{expected}`)"),
        )],
    }
}

/// The package name the naming rule expects for workspace directory `dir`
/// (`crates/lock` → `threading-lock`, `threading-facade` → `threading`), if it has a rule.
pub(crate) fn expected_package(dir: &str) -> Option<String> {
    if dir == "threading-facade" {
        return Some("threading".to_owned());
    }
    let name = dir.strip_prefix("crates/")?;
    (!name.contains('/')).then(|| format!("threading-{name}"))
}

// ---------------------------------------------------------------------------------------------
// (b) algorithm code

/// Paths algorithm code must not name, and what to use instead.
const FORBIDDEN: &[(&[&str], &str)] = &[
    (&["std", "sync"], "use threading_core::atomic, or alloc::sync::Arc via `extern crate alloc`"),
    (&["std", "thread"], "use threading_core::thread"),
    (&["std", "thread_local"], "use threading_core::thread_local!"),
    (&["std", "time", "Instant"], "use threading_core::time::Instant"),
    (&["core", "sync"], "use threading_core::atomic"),
    (&["parking_lot"], "use threading_core::park"),
    (&["parking_lot_core"], "use threading_core::park"),
    (&["loom"], "only threading_core names loom"),
];

/// The rule `path` breaks, if any: it starts with a forbidden path.
fn forbidden(path: &[String]) -> Option<(String, &'static str)> {
    FORBIDDEN.iter().find_map(|(prefix, fix)| {
        let hit = path.len() >= prefix.len() && prefix.iter().zip(path).all(|(a, b)| a == b);
        hit.then(|| (prefix.join("::"), *fix))
    })
}

/// A leaf of a `use` tree: the full path, and whether it ends in `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsePath {
    /// Segments, without a leading `::` or a trailing `self`.
    pub(crate) path: Vec<String>,
    /// `use a::b::*`.
    pub(crate) glob: bool,
    /// Line of the `use` keyword.
    pub(crate) line: usize,
}

/// Parses one use tree starting at `toks[*i]`, pushing its leaves onto `out`; stops after the
/// tree (before a `,`, `}` or `;`). Gives up quietly on anything unexpected.
fn parse_use_tree(
    toks: &[Token],
    i: &mut usize,
    prefix: &[String],
    line: usize,
    out: &mut Vec<UsePath>,
) {
    let mut path = prefix.to_vec();
    if toks.get(*i).map(|t| &t.tok) == Some(&Tok::PathSep) {
        *i += 1;
    }
    loop {
        match toks.get(*i).map(|t| &t.tok) {
            Some(Tok::Ident(name)) => {
                *i += 1;
                if name != "self" {
                    path.push(name.clone());
                }
                if toks.get(*i).map(|t| &t.tok) == Some(&Tok::PathSep) {
                    *i += 1;
                    continue;
                }
                if matches!(toks.get(*i).map(|t| &t.tok), Some(Tok::Ident(a)) if a == "as") {
                    *i += 2;
                }
                out.push(UsePath { path, glob: false, line });
                return;
            }
            Some(Tok::Punct('*')) => {
                *i += 1;
                out.push(UsePath { path, glob: true, line });
                return;
            }
            Some(Tok::Punct('{')) => {
                *i += 1;
                loop {
                    match toks.get(*i).map(|t| &t.tok) {
                        Some(Tok::Punct('}')) => {
                            *i += 1;
                            return;
                        }
                        Some(Tok::Punct(',')) => *i += 1,
                        None | Some(Tok::Punct(';')) => return,
                        Some(_) => {
                            let before = *i;
                            parse_use_tree(toks, i, &path, line, out);
                            if *i == before {
                                *i += 1; // unexpected token: skip it rather than loop
                            }
                        }
                    }
                }
            }
            _ => return,
        }
    }
}

/// Every leaf of every `use` declaration in `src`.
pub(crate) fn use_paths(src: &str) -> Vec<UsePath> {
    let toks = tokens(src);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i].tok == Tok::Ident("use".into()) {
            let line = toks[i].line;
            i += 1;
            parse_use_tree(&toks, &mut i, &[], line, &mut out);
        } else {
            i += 1;
        }
    }
    out
}

/// Rule (b): `src` (algorithm code at `path`) names a forbidden path — in a `use` tree (grouped
/// forms expanded; a glob or module import that would bring the item in counts too), in a path
/// expression, or as a bare `loom` / `parking_lot` identifier. Comments and strings are ignored.
pub(crate) fn check_algorithm_code(path: &str, src: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let report = |findings: &mut Vec<Finding>, line: usize, named: &str, rule: &str, fix: &str| {
        findings.push(Finding::new(
            path,
            line,
            format!("names `{named}` ({rule} is not allowed in algorithm code: {fix})"),
        ));
    };
    for u in use_paths(src) {
        if let Some((rule, fix)) = forbidden(&u.path) {
            let named = u.path.join("::") + if u.glob { "::*" } else { "" };
            report(&mut findings, u.line, &named, &rule, fix);
            continue;
        }
        // `use std::time;` or `use std::time::*` would bring `std::time::Instant` into scope.
        for (prefix, fix) in FORBIDDEN {
            let covers = u.path.len() >= 2
                && u.path.len() < prefix.len()
                && u.path.iter().zip(prefix.iter()).all(|(a, b)| a == b);
            if covers
                || (u.glob
                    && u.path.len() < prefix.len()
                    && u.path.iter().zip(prefix.iter()).all(|(a, b)| a == b))
            {
                let named = u.path.join("::") + if u.glob { "::*" } else { "" };
                report(
                    &mut findings,
                    u.line,
                    &named,
                    &format!("importing what contains `{}`", prefix.join("::")),
                    fix,
                );
                break;
            }
        }
    }
    // Paths and identifiers outside `use` declarations.
    let toks = tokens(src);
    let mut i = 0;
    while i < toks.len() {
        let Tok::Ident(word) = &toks[i].tok else {
            i += 1;
            continue;
        };
        if word == "use" {
            while i < toks.len() && toks[i].tok != Tok::Punct(';') {
                i += 1;
            }
            continue;
        }
        let continues_path = i >= 2
            && toks[i - 1].tok == Tok::PathSep
            && matches!(toks[i - 2].tok, Tok::Ident(_) | Tok::Punct('>'));
        let line = toks[i].line;
        let mut path = vec![word.clone()];
        let mut j = i + 1;
        while j + 1 < toks.len() && toks[j].tok == Tok::PathSep {
            let Tok::Ident(next) = &toks[j + 1].tok else { break };
            path.push(next.clone());
            j += 2;
        }
        if !continues_path && let Some((rule, fix)) = forbidden(&path) {
            report(&mut findings, line, &path.join("::"), &rule, fix);
        } else if matches!(word.as_str(), "loom" | "parking_lot" | "parking_lot_core") {
            report(&mut findings, line, word, word, "only threading_core may name it");
        }
        i = if continues_path { i + 1 } else { j };
    }
    findings
}

// ---------------------------------------------------------------------------------------------
// (c) lints

/// Rule (c): a member's Cargo.toml has `[lints]` with `workspace = true`.
pub(crate) fn check_lints(manifest_path: &str, cargo_toml: &str) -> Vec<Finding> {
    let ok = toml_section(cargo_toml, "lints")
        .is_some_and(|kv| kv.iter().any(|(_, k, v)| *k == "workspace" && *v == "true"));
    if ok {
        Vec::new()
    } else {
        vec![Finding::new(
            manifest_path,
            0,
            "missing `[lints]` / `workspace = true` (the workspace lints)",
        )]
    }
}

// ---------------------------------------------------------------------------------------------
// (d) headers

/// Rule (d): a `.rs` file starts with a `//!` line.
pub(crate) fn check_header(path: &str, src: &str) -> Vec<Finding> {
    if src.lines().next().is_some_and(|l| l.starts_with("//!")) {
        Vec::new()
    } else {
        vec![Finding::new(path, 1, "the file does not start with a `//!` header saying what it is")]
    }
}

// ---------------------------------------------------------------------------------------------
// (e) #[ignore]

/// Rule (e): no attribute mentions `ignore` (`#[ignore]`, `#[ignore = "…"]`,
/// `#[cfg_attr(…, ignore)]`).
pub(crate) fn check_no_ignore(path: &str, src: &str) -> Vec<Finding> {
    let toks = tokens(src);
    let mut findings = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let attr_start = toks[i].tok == Tok::Punct('#') && {
            let k = if toks.get(i + 1).map(|t| &t.tok) == Some(&Tok::Punct('!')) {
                i + 2
            } else {
                i + 1
            };
            toks.get(k).map(|t| &t.tok) == Some(&Tok::Punct('['))
        };
        if !attr_start {
            i += 1;
            continue;
        }
        let mut depth = 0usize;
        let mut j = i + 1;
        while j < toks.len() {
            match &toks[j].tok {
                Tok::Punct('[') => depth += 1,
                Tok::Punct(']') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Tok::Ident(w) if w == "ignore" => {
                    findings.push(Finding::new(
                        path,
                        toks[j].line,
                        "`#[ignore]`d test: a test must run (fix it or delete it)",
                    ));
                }
                _ => {}
            }
            j += 1;
        }
        i = j + 1;
    }
    findings
}

// ---------------------------------------------------------------------------------------------
// (f) README mapping block

/// The table of mapping.md: its lines that start with `|`.
pub(crate) fn mapping_table(mapping_md: &str) -> Vec<&str> {
    mapping_md.lines().filter(|l| l.starts_with('|')).collect()
}

/// The 0-based line indices of the README's mapping markers (start, end).
fn mapping_markers(readme: &str) -> Result<(usize, usize), Finding> {
    let lines: Vec<&str> = readme.lines().collect();
    let start = lines.iter().position(|l| l.trim() == MAPPING_START);
    let end =
        start.and_then(|s| lines[s..].iter().position(|l| l.trim() == MAPPING_END).map(|e| s + e));
    match (start, end) {
        (Some(s), Some(e)) => Ok((s, e)),
        _ => Err(Finding::new(
            "README.md",
            0,
            format!("no `{MAPPING_START}` … `{MAPPING_END}` block"),
        )),
    }
}

/// Rule (f): the README block between the mapping markers is exactly mapping.md's table.
pub(crate) fn check_mapping(readme: &str, mapping_md: &str) -> Vec<Finding> {
    let (start, end) = match mapping_markers(readme) {
        Ok(m) => m,
        Err(f) => return vec![f],
    };
    let block: Vec<&str> = readme.lines().skip(start + 1).take(end - start - 1).collect();
    let table = mapping_table(mapping_md);
    if block == table {
        return Vec::new();
    }
    let first =
        block.iter().zip(&table).position(|(a, b)| a != b).unwrap_or(block.len().min(table.len()));
    vec![Finding::new(
        "README.md",
        start + 2 + first,
        format!(
            "mapping block differs from threading-facade/src/mapping.md (README {} lines, table {} lines; first difference here): run `cargo xtask tidy --fix`",
            block.len(),
            table.len()
        ),
    )]
}

/// `readme` with its mapping block replaced by mapping.md's table (nothing else changes).
pub(crate) fn fix_mapping(readme: &str, mapping_md: &str) -> Result<String, Finding> {
    let (start, end) = mapping_markers(readme)?;
    let lines: Vec<&str> = readme.lines().collect();
    let mut out: Vec<&str> = lines[..=start].to_vec();
    out.extend(mapping_table(mapping_md));
    out.extend(&lines[end..]);
    let mut text = out.join("\n");
    if readme.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

// ---------------------------------------------------------------------------------------------
// (g) loom model and bench per primitive

/// Rule (g) for primitive crate `crates/<dir>`: given its total src line count, the contents of
/// `tests/loom/<dir>.rs` (if it exists) and its bench file names, it has a loom model that calls
/// `check(` and at least one bench. Skipped for stubs (fewer than [`STUB_LINES`] lines).
pub(crate) fn check_primitive(
    dir: &str,
    src_lines: usize,
    loom_model: Option<&str>,
    benches: &[String],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if src_lines < STUB_LINES {
        return findings;
    }
    let model_path = format!("tests/loom/{dir}.rs");
    let has_check = loom_model.is_some_and(|src| {
        let t = tokens(src);
        t.windows(2).any(|w| w[0].tok == Tok::Ident("check".into()) && w[1].tok == Tok::Punct('('))
    });
    if !has_check {
        findings.push(Finding::new(
            &model_path,
            0,
            format!("crates/{dir} has no loom model (a `check(` call in {model_path})"),
        ));
    }
    if benches.is_empty() {
        findings.push(Finding::new(
            &format!("crates/{dir}"),
            0,
            format!("no criterion bench (crates/{dir}/benches/*.rs)"),
        ));
    }
    findings
}

/// Rule (g), CPython side, for primitive crate `crates/<dir>`: given the sources of its bench
/// files, if one of them is a criterion bench (calls `criterion_main!`), the CPython script
/// `benches/cpython/bench_<dir>.py` exists. A bench that is still a placeholder needs no script yet.
pub(crate) fn check_cpython_script(
    dir: &str,
    bench_sources: &[String],
    script_exists: bool,
) -> Vec<Finding> {
    let is_criterion = bench_sources.iter().any(|src| {
        let t = tokens(src);
        t.windows(2)
            .any(|w| w[0].tok == Tok::Ident("criterion_main".into()) && w[1].tok == Tok::Punct('!'))
    });
    if !is_criterion || script_exists {
        return Vec::new();
    }
    let script = format!("benches/cpython/bench_{dir}.py");
    vec![Finding::new(
        &script,
        0,
        format!(
            "crates/{dir} has a criterion bench but no CPython script {script} (the same cases, one JSON line {{\"group\", \"case\", \"ns\"}} per case; see benches/cpython/bench_lock.py and benchlib.py)"
        ),
    )]
}

// ---------------------------------------------------------------------------------------------
// The walker

/// Reads a file as text.
fn read(root: &Path, rel: &str) -> Result<String, String> {
    std::fs::read_to_string(root.join(rel)).map_err(|e| format!("cannot read {rel}: {e}"))
}

/// Every `.rs` file under `root/rel` (recursively; `target*` and hidden directories skipped),
/// as sorted `/`-separated paths relative to `root`.
fn rust_files(root: &Path, rel: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(rel)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&dir)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = dir.join(&name);
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if !name.starts_with('.') && !name.starts_with("target") {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                out.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// The subdirectories of `root/rel`, sorted by name.
fn subdirs(root: &Path, rel: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root.join(rel))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

/// The workspace member directories: `members` of the root Cargo.toml, `dir/*` expanded to
/// the subdirectories that hold a Cargo.toml.
fn member_dirs(root: &Path, root_toml: &str) -> Vec<String> {
    let mut dirs = Vec::new();
    for m in workspace_members(root_toml) {
        if let Some(parent) = m.strip_suffix("/*") {
            for d in subdirs(root, parent) {
                if root.join(parent).join(&d).join("Cargo.toml").is_file() {
                    dirs.push(format!("{parent}/{d}"));
                }
            }
        } else {
            dirs.push(m);
        }
    }
    dirs
}

/// Runs every rule over the workspace at `root`.
pub(crate) fn tidy(root: &Path) -> Result<Report, String> {
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    let mut files = 0;
    let root_toml = read(root, "Cargo.toml")?;

    // (a) naming, (c) lints.
    let mut named: Vec<String> =
        subdirs(root, "crates").into_iter().map(|d| format!("crates/{d}")).collect();
    named.push("threading-facade".to_owned());
    for dir in &named {
        let manifest = format!("{dir}/Cargo.toml");
        match read(root, &manifest) {
            Ok(toml) => {
                files += 1;
                if let Some(expected) = expected_package(dir) {
                    findings.extend(check_package_name(&manifest, &expected, &toml));
                }
            }
            Err(e) => findings.push(Finding::new(dir, 0, format!("not a package: {e}"))),
        }
    }
    for dir in member_dirs(root, &root_toml) {
        let manifest = format!("{dir}/Cargo.toml");
        files += 1;
        findings.extend(check_lints(&manifest, &read(root, &manifest)?));
    }

    // (b) algorithm code.
    for dir in subdirs(root, "crates").into_iter().filter(|d| d != "core") {
        for file in rust_files(root, &format!("crates/{dir}/src")) {
            findings.extend(check_algorithm_code(&file, &read(root, &file)?));
        }
    }

    // (d) headers, (e) #[ignore].
    for top in ["crates", "threading-facade", "tests", "xtask"] {
        for file in rust_files(root, top) {
            let src = read(root, &file)?;
            files += 1;
            findings.extend(check_header(&file, &src));
            findings.extend(check_no_ignore(&file, &src));
        }
    }

    // (f) README mapping.
    let readme = read(root, "README.md")?;
    let mapping = read(root, "threading-facade/src/mapping.md")?;
    files += 2;
    findings.extend(check_mapping(&readme, &mapping));

    // (g) a loom model and a bench per primitive past the stub stage.
    for dir in subdirs(root, "crates").into_iter().filter(|d| d != "core") {
        let mut src_lines = 0;
        for file in rust_files(root, &format!("crates/{dir}/src")) {
            src_lines += read(root, &file)?.lines().count();
        }
        let model = std::fs::read_to_string(root.join(format!("tests/loom/{dir}.rs"))).ok();
        let benches = rust_files(root, &format!("crates/{dir}/benches"));
        for f in check_primitive(&dir, src_lines, model.as_deref(), &benches) {
            let pending =
                PENDING_LOOM_MODELS.contains(&dir.as_str()) && f.path.starts_with("tests/loom/");
            if pending { warnings.push(f) } else { findings.push(f) }
        }
        let bench_sources = benches.iter().map(|b| read(root, b)).collect::<Result<Vec<_>, _>>()?;
        let script = root.join(format!("benches/cpython/bench_{dir}.py")).is_file();
        findings.extend(check_cpython_script(&dir, &bench_sources, script));
    }
    Ok(Report { findings, warnings, files })
}

/// `cargo xtask tidy [--fix]`: prints every finding as `path:line: message`; an error if any.
pub(crate) fn main(args: &[String]) -> Result<(), String> {
    let fix = match args {
        [] => false,
        [a] if a == "--fix" => true,
        _ => return Err("usage: cargo xtask tidy [--fix]".to_owned()),
    };
    let root = util::workspace_root();
    if fix {
        let readme = read(&root, "README.md")?;
        let mapping = read(&root, "threading-facade/src/mapping.md")?;
        let fixed = fix_mapping(&readme, &mapping).map_err(|f| f.to_string())?;
        if fixed != readme {
            std::fs::write(root.join("README.md"), fixed)
                .map_err(|e| format!("cannot write README.md: {e}"))?;
            println!("tidy: rewrote the README mapping block from threading-facade/src/mapping.md");
        }
    }
    let report = tidy(&root)?;
    for w in &report.warnings {
        println!("warning (pending, see PENDING_LOOM_MODELS in xtask/src/tidy.rs): {w}");
    }
    for f in &report.findings {
        println!("{f}");
    }
    if report.findings.is_empty() {
        println!("tidy: ok ({} files checked)", report.files);
        Ok(())
    } else {
        Err(format!("tidy: {} problem(s)", report.findings.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages of `findings`, for readable assertion failures.
    fn lines(findings: &[Finding]) -> Vec<String> {
        findings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn workspace_is_tidy() {
        let report = tidy(&util::workspace_root()).unwrap();
        assert!(report.files > 10, "looked at only {} files", report.files);
        assert!(
            report.findings.is_empty(),
            "cargo xtask tidy:\n{}",
            lines(&report.findings).join("\n")
        );
    }

    // (a)
    #[test]
    fn naming_rule() {
        let good = "[package]\nname = \"threading-lock\" # the lock\nversion = \"0.1.0\"\n";
        assert!(check_package_name("crates/lock/Cargo.toml", "threading-lock", good).is_empty());
        let bad = "[package]\nname = \"lock\"\n";
        let f = check_package_name("crates/lock/Cargo.toml", "threading-lock", bad);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("`lock`"), "{f:?}");
        assert_eq!(
            check_package_name("x/Cargo.toml", "threading", "[lib]\nname = \"threading\"").len(),
            1
        );
        assert_eq!(expected_package("crates/lock").as_deref(), Some("threading-lock"));
        assert_eq!(expected_package("threading-facade").as_deref(), Some("threading"));
        assert_eq!(expected_package("tests"), None);
    }

    #[test]
    fn workspace_members_parse() {
        let toml = "[workspace]\nresolver = \"3\"\nmembers = [\n  \"crates/*\", # primitives\n  \"xtask\",\n]\n[workspace.package]\n";
        assert_eq!(workspace_members(toml), ["crates/*", "xtask"]);
        assert_eq!(workspace_members("[workspace]\nmembers = [\"a\", \"b\"]"), ["a", "b"]);
    }

    // (b)
    #[test]
    fn algorithm_code_passes_with_threading_core() {
        let good = "//! x\n// use std::sync::Mutex;\n/// ```\n/// use std::sync::Arc;\n/// ```\n\
            extern crate alloc;\nuse alloc::sync::Arc;\nuse std::time::Duration;\nuse std::{fmt, marker::PhantomData};\n\
            use threading_core::{atomic::AtomicU8, time::{self, Instant}};\n#[cfg(threading_loom)]\nfn f() { let s = \"std::sync::Mutex\"; time::now(); }\n";
        assert_eq!(lines(&check_algorithm_code("a.rs", good)), Vec::<String>::new());
    }

    #[test]
    fn algorithm_code_fails_on_forbidden_paths() {
        let cases = [
            ("use std::sync::Arc;", "std::sync::Arc"),
            ("use std::sync;", "std::sync"),
            ("use std::{fmt, sync::{Arc, Mutex}};", "std::sync::Arc"),
            ("use std::{fmt, sync::{Arc, Mutex}};", "std::sync::Mutex"),
            ("use ::std::time::{Duration, Instant as I};", "std::time::Instant"),
            ("use std::time::*;", "std::time::*"),
            ("use std::time;", "std::time"),
            ("use std::thread;", "std::thread"),
            ("pub(crate) use parking_lot::Mutex;", "parking_lot::Mutex"),
            ("use core::sync::atomic::AtomicU8;", "core::sync::atomic::AtomicU8"),
            ("fn f() { let t = std::time::Instant::now(); }", "std::time::Instant::now"),
            ("static X: std::sync::atomic::AtomicU8 = todo!();", "std::sync::atomic::AtomicU8"),
            ("fn f() { loom::thread::yield_now(); }", "loom::thread::yield_now"),
            ("std::thread_local! { static X: u8 = 0; }", "std::thread_local"),
            ("#[cfg(loom)]\nfn f() {}", "`loom`"),
            ("extern crate parking_lot_core;", "`parking_lot_core`"),
        ];
        for (src, named) in cases {
            let f = check_algorithm_code("a.rs", &format!("//! x\n\n{src}\n"));
            assert!(!f.is_empty(), "{src}: {f:?}");
            assert!(f.iter().all(|f| f.line == 3), "{src}: {f:?}");
            assert!(f.iter().any(|f| f.message.contains(named)), "{src}: {f:?}");
        }
    }

    #[test]
    fn use_trees_are_expanded() {
        let paths: Vec<String> = use_paths("use a::{b, c::{self, d as e}, f::*};\npub use g;")
            .into_iter()
            .map(|u| u.path.join("::") + if u.glob { "::*" } else { "" })
            .collect();
        assert_eq!(paths, ["a::b", "a::c", "a::c::d", "a::f::*", "g"]);
    }

    // (c)
    #[test]
    fn lints_rule() {
        assert!(
            check_lints("a/Cargo.toml", "[package]\nname = \"a\"\n\n[lints]\nworkspace = true\n")
                .is_empty()
        );
        assert_eq!(check_lints("a/Cargo.toml", "[package]\nname = \"a\"\n").len(), 1);
        assert_eq!(check_lints("a/Cargo.toml", "[lints]\nworkspace = false\n").len(), 1);
        assert_eq!(check_lints("a/Cargo.toml", "[lints.rust]\nworkspace = true\n").len(), 1);
    }

    // (d)
    #[test]
    fn header_rule() {
        assert!(check_header("a.rs", "//! What this is.\nfn f() {}\n").is_empty());
        assert_eq!(check_header("a.rs", "/// f\nfn f() {}\n").len(), 1);
        assert_eq!(check_header("a.rs", "\n//! late\n").len(), 1);
        assert_eq!(check_header("a.rs", "").len(), 1);
    }

    // (e)
    #[test]
    fn ignore_rule() {
        let good = "//! x\n// #[ignore]\n#[test]\n#[should_panic(expected = \"#[ignore]\")]\nfn ignore() { let ignore = 1; }\n";
        assert!(check_no_ignore("a.rs", good).is_empty());
        for bad in
            ["#[ignore]", "#[ignore = \"slow\"]", "# [ ignore ]", "#[cfg_attr(miri, ignore)]"]
        {
            let f = check_no_ignore("a.rs", &format!("//! x\n#[test]\n{bad}\nfn t() {{}}\n"));
            assert_eq!(f.len(), 1, "{bad}");
            assert_eq!(f[0].line, 3, "{bad}");
        }
    }

    // (f)
    /// A mapping.md fixture.
    const MAPPING: &str = "# Mapping\n\nIntro.\n\n| Python | Rust |\n|---|---|\n| `Lock()` | `Lock::new()` |\n\nAfter.\n";

    #[test]
    fn mapping_rule() {
        let good = format!(
            "# R\n{MAPPING_START}\n| Python | Rust |\n|---|---|\n| `Lock()` | `Lock::new()` |\n{MAPPING_END}\nmore\n"
        );
        assert!(check_mapping(&good, MAPPING).is_empty());
        let stale = good.replace("`Lock::new()`", "`Lock::create()`");
        let f = check_mapping(&stale, MAPPING);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].line, 5, "{f:?}");
        let short = good.replace("| `Lock()` | `Lock::new()` |\n", "");
        assert_eq!(check_mapping(&short, MAPPING).len(), 1);
        assert_eq!(check_mapping("# R\nno block\n", MAPPING).len(), 1);
    }

    #[test]
    fn mapping_fix_rewrites_only_the_block() {
        let good = format!(
            "# R\n{MAPPING_START}\n| Python | Rust |\n|---|---|\n| `Lock()` | `Lock::new()` |\n{MAPPING_END}\nmore\n"
        );
        let stale = format!("# R\n{MAPPING_START}\n| old |\n\n{MAPPING_END}\nmore\n");
        let fixed = fix_mapping(&stale, MAPPING).unwrap();
        assert_eq!(fixed, good);
        assert!(check_mapping(&fixed, MAPPING).is_empty());
        assert_eq!(fix_mapping(&good, MAPPING).unwrap(), good);
        assert!(fix_mapping("no block\n", MAPPING).is_err());
    }

    // (g)
    #[test]
    fn primitive_rule() {
        let model =
            "//! m\nuse crate::common::check;\n#[test]\nfn m() { check(\"x::m\", || {}); }\n";
        let benches = vec!["crates/x/benches/x.rs".to_owned()];
        assert!(check_primitive("x", 500, Some(model), &benches).is_empty());
        assert_eq!(
            check_primitive("x", 500, Some("//! loom models: x. TODO check("), &benches).len(),
            1
        );
        assert_eq!(check_primitive("x", 500, None, &benches).len(), 1);
        assert_eq!(check_primitive("x", 500, Some(model), &[]).len(), 1);
        assert_eq!(check_primitive("x", 500, None, &[]).len(), 2);
        assert!(check_primitive("x", STUB_LINES - 1, None, &[]).is_empty(), "stubs are skipped");
    }

    #[test]
    fn cpython_script_rule() {
        let bench = "//! b\nuse criterion::criterion_main;\ncriterion_main!(benches);\n".to_owned();
        let placeholder = "//! placeholder: criterion_main! comes later\nfn main() {}\n".to_owned();
        assert!(check_cpython_script("x", std::slice::from_ref(&bench), true).is_empty());
        let f = check_cpython_script("x", &[placeholder.clone(), bench], false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, "benches/cpython/bench_x.py");
        assert!(f[0].message.contains("crates/x has a criterion bench"), "{f:?}");
        assert!(check_cpython_script("x", &[placeholder], false).is_empty(), "placeholders wait");
        assert!(check_cpython_script("x", &[], false).is_empty(), "no bench, no script needed");
    }
}
