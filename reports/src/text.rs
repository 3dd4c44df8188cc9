//! Text helpers shared by the writers: making station data safe for each output medium.
//!
//! Station responses can contain anything (control characters, markup, terminal escapes);
//! each writer passes every such string through one of these before emitting it.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether XML 1.0 allows `c` in a document at all, escaped or not.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Replaces characters XML 1.0 cannot carry (even as references) with a visible `\u{..}`,
/// so a station sending a stray control byte cannot make the JUnit file unreadable.
pub(crate) fn xml_safe(s: &str) -> Cow<'_, str> {
    if s.chars().all(xml_allowed) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if xml_allowed(c) {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// One terminal line: newlines, tabs and every other control character (ANSI escapes
/// included) become visible escapes, so station data cannot redraw or recolour the terminal.
pub(crate) fn visible_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Multi-line text for plain-text transcripts: keeps newlines and tabs, escapes other
/// control characters.
pub(crate) fn visible_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.replace("\r\n", "\n").chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Human duration: `3.2 ms`, `45 ms`, `1.23 s`.
pub(crate) fn duration(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        "? ms".to_owned()
    } else if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// Seconds with millisecond precision, the unit of JUnit `time` attributes.
pub(crate) fn seconds(ms: f64) -> String {
    let ms = if ms.is_finite() && ms > 0.0 { ms } else { 0.0 };
    format!("{:.3}", ms / 1000.0)
}

/// Inline Markdown text: backslash-escapes the characters that could start formatting,
/// links, HTML or math, so station text renders literally.
pub(crate) fn md_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in visible_text(s).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table cell: inline-escaped, with newlines turned into `<br>` because a raw
/// newline would end the table row.
pub(crate) fn md_cell(s: &str) -> String {
    md_inline(s).replace('\n', "<br>").replace('\t', " ")
}

/// An inline code span that `s` cannot close early: the backtick run around it is longer
/// than any inside, and newlines become spaces. Not for table cells, where `|` still splits.
pub(crate) fn md_code(s: &str) -> String {
    let text = visible_line(&s.replace("\r\n", " ").replace(['\r', '\n'], " "));
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    let pad = if text.is_empty() || text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A fenced code block whose fence is longer than any backtick run inside `s`, so the
/// content cannot close it early.
pub(crate) fn md_fence(s: &str, indent: &str) -> String {
    let text = visible_text(s);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut out = format!("{indent}{fence}text\n");
    for line in text.lines() {
        out.push_str(indent);
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(indent);
    out.push_str(&fence);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_safe_keeps_legal_text_and_marks_illegal_chars() {
        assert!(matches!(xml_safe("a<b>&\"é\t\n"), Cow::Borrowed(_)));
        assert_eq!(
            xml_safe("a\u{0}b\u{1b}c\u{FFFF}"),
            "a\\u{0}b\\u{1b}c\\u{ffff}"
        );
    }

    #[test]
    fn visible_line_neutralises_terminal_escapes() {
        assert_eq!(visible_line("\u{1b}[31mred\nx\t"), "\\u{1b}[31mred\\nx\\t");
        assert_eq!(visible_text("a\r\nb\u{7}"), "a\nb\\u{7}");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(3.24), "3.2 ms");
        assert_eq!(duration(45.4), "45 ms");
        assert_eq!(duration(1234.0), "1.23 s");
        assert_eq!(duration(f64::NAN), "? ms");
        assert_eq!(seconds(1234.5), "1.234");
        assert_eq!(seconds(-1.0), "0.000");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md_cell("a|b\nc"), "a\\|b<br>c");
        assert_eq!(md_cell("<script>&\"|"), "\\<script\\>\\&\"\\|");
        assert_eq!(md_cell("x_y*z`"), "x\\_y\\*z\\`");
    }

    #[test]
    fn code_spans_outgrow_the_content() {
        assert_eq!(md_code("PPT_X"), "`PPT_X`");
        assert_eq!(md_code("a``b"), "```a``b```");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code("<b>\r\n|\n"), "`<b> | `");
    }

    #[test]
    fn fences_outgrow_the_content() {
        assert_eq!(md_fence("a", ""), "```text\na\n```\n");
        assert_eq!(
            md_fence("x ```` y", "  "),
            "  `````text\n  x ```` y\n  `````\n"
        );
    }
}
