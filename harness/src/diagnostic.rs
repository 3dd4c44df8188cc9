//! One renderer for every diagnostic that points into a file: title, `--> file:line:col`, the
//! source line and a caret, then notes. Used on the terminal and, without colour, in reports.

use std::fmt::Write as _;

/// An error and every cause under it, `outer: inner: os error`: a lifecycle error such as
/// "cannot bind the station on 0.0.0.0:80" is useless without the OS's reason under it.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let _ = write!(text, ": {e}");
        cause = e.source();
    }
    text
}

/// A problem located in a source file.
#[derive(Debug, Clone)]
pub struct Diagnostic<'a> {
    /// `error` or `warning`.
    pub level: &'a str,
    /// Short title (the rule broken).
    pub title: &'a str,
    /// File name as the user gave it.
    pub file: &'a str,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// Extra lines (`path: ...`, `found: ...`, `help: ...`).
    pub notes: Vec<String>,
}

impl Diagnostic<'_> {
    /// Render against the file's text (`src` may be empty when unknown).
    pub fn render(&self, src: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}", self.level, self.title);
        match self.position {
            Some((line, col)) => {
                let gutter = line.to_string().len();
                let pad = " ".repeat(gutter);
                let _ = writeln!(out, "{pad}--> {}:{line}:{col}", self.file);
                if let Some(text) = src.lines().nth(line.saturating_sub(1)) {
                    // Long single-line messages would flood the terminal: show a window.
                    let chars: Vec<char> = text.chars().collect();
                    let start = col.saturating_sub(1).saturating_sub(60);
                    let end = (start + 120).min(chars.len());
                    // A station's bytes never reach the terminal raw: a control character
                    // (an ANSI escape, a NUL) is shown as U+FFFD, one column, so the caret
                    // still points at the right place.
                    let shown: String = chars[start.min(end)..end]
                        .iter()
                        .map(|c| {
                            if c.is_control() && *c != '\t' {
                                '\u{FFFD}'
                            } else {
                                *c
                            }
                        })
                        .collect();
                    let caret_at = col.saturating_sub(1) - start;
                    let _ = writeln!(out, "{pad} |");
                    let _ = writeln!(out, "{line} | {}", shown.trim_end());
                    let _ = writeln!(out, "{pad} | {}^", " ".repeat(caret_at));
                }
                for n in &self.notes {
                    let _ = writeln!(out, "{pad} = {n}");
                }
            }
            None => {
                let _ = writeln!(out, "  --> {}", self.file);
                for n in &self.notes {
                    let _ = writeln!(out, "   = {n}");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_a_control_character_from_the_source() {
        let d = Diagnostic {
            level: "error",
            title: "t",
            file: "a.xml",
            position: Some((1, 5)),
            notes: vec![],
        };
        let s = d.render("<a>\u{1b}[31m<b/>\u{0}</a>");
        assert!(!s.contains('\u{1b}') && !s.contains('\u{0}'), "{s:?}");
        assert!(s.contains("<a>\u{FFFD}[31m<b/>\u{FFFD}</a>"), "{s}");
    }

    #[test]
    fn renders_caret_under_column() {
        let d = Diagnostic {
            level: "error",
            title: "required element is missing",
            file: "a.xml",
            position: Some((2, 3)),
            notes: vec!["path: /a/b".into()],
        };
        let s = d.render("<a>\n  <c/>\n</a>");
        assert_eq!(
            s,
            "error: required element is missing\n --> a.xml:2:3\n  |\n2 |   <c/>\n  |   ^\n  = path: /a/b\n"
        );
    }
}
