//! A small Rust lexer for the tidy checks: strips comments and literals, then splits the rest
//! into identifiers, `::` and single punctuation characters, each with its line number.
//!
//! It is not a full lexer; it is exactly good enough that a path in code is found, and a path
//! in a comment, doc comment, string or char literal is not.

/// One token of code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// An identifier or keyword (`use`, `std`, `r#type` as `type`).
    Ident(String),
    /// `::`.
    PathSep,
    /// Any other single character that is not whitespace (numbers are skipped).
    Punct(char),
}

/// A token and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// The token.
    pub(crate) tok: Tok,
    /// 1-based line number.
    pub(crate) line: usize,
}

/// Returns `src` with every comment, string literal and char literal replaced by spaces
/// (newlines are kept, so line numbers stay right).
pub(crate) fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if is_ident_start(ch) {
            let start = i;
            while i < c.len() && is_ident_continue(c[i]) {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            let raw = matches!(word.as_str(), "r" | "br" | "cr");
            if raw && matches!(c.get(i), Some('"') | Some('#')) {
                // Raw string: r"..." or r#"..."#; r#ident is a raw identifier.
                let mut hashes = 0;
                while c.get(i + hashes) == Some(&'#') {
                    hashes += 1;
                }
                if c.get(i + hashes) == Some(&'"') {
                    out.push_str(&" ".repeat(word.len() + hashes + 1));
                    i += hashes + 1;
                    while i < c.len() {
                        if c[i] == '"' && (0..hashes).all(|k| c.get(i + 1 + k) == Some(&'#')) {
                            out.push_str(&" ".repeat(hashes + 1));
                            i += hashes + 1;
                            break;
                        }
                        blank(&mut out, c[i]);
                        i += 1;
                    }
                } else {
                    // r#ident: keep the identifier, drop the `r#`.
                    out.push_str(&" ".repeat(word.len() + hashes));
                    i += hashes;
                }
            } else {
                out.push_str(&word);
            }
        } else if ch == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' && i + 1 < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                blank(&mut out, c[i]);
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if ch == '\'' {
            // A char literal ('a', '\n', '\u{1F600}') or a lifetime / label ('a).
            let end = if next == Some('\\') {
                (i + 3..c.len()).find(|&k| c[k] == '\'' || c[k] == '\n')
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) if c[end] == '\'' => {
                    for &k in &c[i..=end] {
                        blank(&mut out, k);
                    }
                    i = end + 1;
                }
                _ => {
                    out.push(ch);
                    i += 1;
                }
            }
        } else {
            out.push(ch);
            i += 1;
        }
    }
    out
}

/// Whether `c` can start an identifier.
fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

/// Whether `c` can continue an identifier.
fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Tokenizes `src` after [`strip`]ping it.
pub(crate) fn tokens(src: &str) -> Vec<Token> {
    let code = strip(src);
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if is_ident_start(ch) {
            let start = i;
            while i < c.len() && is_ident_continue(c[i]) {
                i += 1;
            }
            out.push(Token { tok: Tok::Ident(c[start..i].iter().collect()), line });
        } else if ch.is_ascii_digit() {
            while i < c.len() && (is_ident_continue(c[i]) || c[i] == '.') {
                i += 1;
            }
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token { tok: Tok::PathSep, line });
            i += 2;
        } else {
            out.push(Token { tok: Tok::Punct(ch), line });
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The identifiers of `src`, in order.
    fn idents(src: &str) -> Vec<String> {
        tokens(src)
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Ident(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn comments_and_literals_are_stripped() {
        let src =
            "a // b\n/* c /* d */ e */ f \"g \\\" h\" i r#\"j \" k\"# l 'm' '\\'' '\\\\' n b\"o\"";
        assert_eq!(idents(src), ["a", "f", "i", "l", "n", "b"]);
    }

    #[test]
    fn lifetimes_and_raw_idents_are_kept() {
        assert_eq!(
            idents("fn f<'a>(x: &'a u8) -> r#type {}"),
            ["fn", "f", "a", "x", "a", "u8", "type"]
        );
    }

    #[test]
    fn line_numbers_survive_stripping() {
        let t = tokens("/* a\nb */\n\"x\ny\"\nz");
        assert_eq!(t, [Token { tok: Tok::Ident("z".into()), line: 5 }]);
    }

    #[test]
    fn path_separators() {
        let t: Vec<Tok> = tokens("std::sync").into_iter().map(|t| t.tok).collect();
        assert_eq!(t, [Tok::Ident("std".into()), Tok::PathSep, Tok::Ident("sync".into())]);
    }
}
