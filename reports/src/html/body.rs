//! Message bodies for the HTML report: capped, decoded safely, pretty-printed when they parse,
//! and highlighted.
//!
//! Everything here turns untrusted bytes into HTML, so every function escapes as it emits:
//! the output of [`BodyView::html`] is markup made only of `<span class="…">` and escaped
//! text, and is the one place the template inserts station text without escaping it again.
//!
//! Pretty-printing never fails: a body that does not parse (or was cut) is shown as it came.
//! XML is re-indented by replacing only the whitespace-only text between tags; every tag,
//! attribute and non-blank text is copied byte for byte, so a trailing blank in a
//! `companyName` still shows.

use std::fmt::Write as _;

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::Serialize;

/// Most bytes of one body the report embeds; the journal keeps the rest.
pub(crate) const BODY_MAX: usize = 64 * 1024;

/// Most body bytes the whole report embeds; past it, bodies are left to the journal, so a
/// station answering megabytes to every call cannot make the report unopenable.
pub(crate) const REPORT_BODY_BUDGET: usize = 16 * 1024 * 1024;

/// How a body was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Xml,
    Json,
    Text,
    Empty,
}

/// A body ready for the template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct BodyView {
    /// What it was recognised as.
    pub(crate) kind: Kind,
    /// Whether it was re-indented (it parsed and was not cut).
    pub(crate) pretty: bool,
    /// Escaped, highlighted markup (only `<span class>` tags).
    pub(crate) html: String,
    /// Full size in bytes.
    pub(crate) bytes: usize,
    /// Notes for the reader: cut, not UTF-8, not parsed, left out.
    pub(crate) notes: Vec<String>,
}

/// The body budget left for the rest of the report.
#[derive(Debug)]
pub(crate) struct Budget(pub(crate) usize);

/// Prepares `bytes` for display, charging what is embedded to `budget`.
pub(crate) fn view(bytes: &[u8], budget: &mut Budget) -> BodyView {
    let full = bytes.len();
    let mut notes = Vec::new();
    if full == 0 {
        return BodyView {
            kind: Kind::Empty,
            pretty: false,
            html: String::new(),
            bytes: 0,
            notes,
        };
    }
    let room = BODY_MAX.min(budget.0);
    if room == 0 {
        notes.push(format!(
            "not embedded: {full} bytes; the report's body budget is spent, full bytes in journal.jsonl"
        ));
        return BodyView {
            kind: Kind::Text,
            pretty: false,
            html: String::new(),
            bytes: full,
            notes,
        };
    }
    let cut = full > room;
    let shown = if cut { &bytes[..room] } else { bytes };
    budget.0 -= shown.len();
    let (text, lossy) = decode(shown, cut);
    if cut {
        notes.push(format!(
            "…cut, {full} bytes, full bytes in journal.jsonl (the first {} shown)",
            shown.len()
        ));
    }
    if lossy {
        notes.push("not valid UTF-8: invalid bytes are shown as \\xNN".into());
    }
    let kind = sniff(&text);
    let pretty = if cut || lossy {
        None
    } else {
        match kind {
            Kind::Xml => pretty_xml(&text),
            Kind::Json => pretty_json(&text),
            Kind::Text | Kind::Empty => None,
        }
    };
    if pretty.is_none() && !cut && !lossy && matches!(kind, Kind::Xml | Kind::Json) {
        notes.push(format!(
            "not well-formed {}: shown as received",
            if kind == Kind::Xml { "XML" } else { "JSON" }
        ));
    }
    let is_pretty = pretty.is_some();
    let source = pretty.unwrap_or(text);
    let html = match kind {
        Kind::Xml => highlight_xml(&source),
        Kind::Json => highlight_json(&source),
        Kind::Text | Kind::Empty => escape(&source),
    };
    BodyView {
        kind,
        pretty: is_pretty,
        html,
        bytes: full,
        notes,
    }
}

/// Text of `bytes`: valid UTF-8 kept, each invalid byte written `\xNN`, control characters
/// other than newline and tab written `\u{..}`. A sequence cut at the end of a `cut` body is
/// dropped rather than shown as invalid. Returns whether any byte was invalid.
fn decode(bytes: &[u8], cut: bool) -> (String, bool) {
    let mut bytes = bytes;
    if cut {
        if let Err(e) = std::str::from_utf8(&bytes[bytes.len().saturating_sub(4)..]) {
            if e.error_len().is_none() {
                let tail = bytes.len().saturating_sub(4) + e.valid_up_to();
                bytes = &bytes[..tail];
            }
        }
    }
    let mut out = String::with_capacity(bytes.len());
    let mut lossy = false;
    for chunk in bytes.utf8_chunks() {
        push_visible(&mut out, chunk.valid());
        for b in chunk.invalid() {
            lossy = true;
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    (out, lossy)
}

fn push_visible(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| c.is_control() && c != '\n' && c != '\t') {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or('\0');
        if c == '\r' && rest[i + 1..].starts_with('\n') {
            // CRLF line ends read as plain line ends.
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
}

fn sniff(text: &str) -> Kind {
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\n', '\r']);
    match t.as_bytes().first() {
        None => Kind::Empty,
        Some(b'<') => Kind::Xml,
        Some(b'{' | b'[') => Kind::Json,
        Some(_) => Kind::Text,
    }
}

/// Appends `s` HTML-escaped.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// `s` HTML-escaped.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    escape_into(&mut out, s);
    out
}

fn span(out: &mut String, class: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    escape_into(out, text);
    out.push_str("</span>");
}

/// Re-indents well-formed XML, or `None`. Only whitespace-only text between tags changes.
pub(crate) fn pretty_xml(text: &str) -> Option<String> {
    #[derive(PartialEq, Clone, Copy)]
    enum Last {
        Nothing,
        Open,
        Close,
        Text,
    }
    let mut reader = Reader::from_str(text);
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut pos = 0usize;
    let mut depth = 0usize;
    let mut last = Last::Nothing;
    let newline = |out: &mut String, depth: usize| {
        if !out.is_empty() {
            out.push('\n');
        }
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    loop {
        let ev = reader.read_event().ok()?;
        let end = usize::try_from(reader.buffer_position()).ok()?;
        let raw = text.get(pos..end)?;
        pos = end;
        match ev {
            Event::Eof => break,
            Event::Start(_) => {
                if last != Last::Text {
                    newline(&mut out, depth);
                }
                out.push_str(raw);
                depth += 1;
                last = Last::Open;
            }
            Event::End(_) => {
                depth = depth.checked_sub(1)?;
                if last == Last::Close {
                    newline(&mut out, depth);
                }
                out.push_str(raw);
                last = Last::Close;
            }
            Event::Text(_) if raw.trim().is_empty() => {
                // Blank text between tags: replaced by the indentation, unless it sits next to
                // real text (mixed content), where it is kept as it came.
                if last == Last::Text {
                    out.push_str(raw);
                }
            }
            Event::Text(_) | Event::GeneralRef(_) => {
                out.push_str(raw);
                last = Last::Text;
            }
            Event::CData(_) if last == Last::Text || last == Last::Open => {
                out.push_str(raw);
                last = Last::Text;
            }
            Event::Empty(_)
            | Event::CData(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::DocType(_) => {
                if last != Last::Text {
                    newline(&mut out, depth);
                }
                out.push_str(raw);
                last = Last::Close;
            }
        }
    }
    (depth == 0 && pos == text.len()).then_some(out)
}

/// Re-indents valid JSON, or `None`. Tokens are copied as they came (numbers keep their
/// spelling, objects their key order).
pub(crate) fn pretty_json(text: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    let indent = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let mut end = text.len();
                let mut escaped = false;
                for (j, d) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        end = j + 1;
                        break;
                    }
                }
                out.push_str(&text[i..end]);
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(|(_, d)| d.is_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|(_, d)| *d == close) {
                    chars.next();
                    out.push(c);
                    out.push(close);
                } else {
                    out.push(c);
                    depth += 1;
                    indent(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                indent(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                indent(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// Highlights XML-looking text. Never fails: unterminated constructs run to the end.
pub(crate) fn highlight_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            escape_into(&mut out, rest);
            break;
        };
        escape_into(&mut out, &rest[..lt]);
        rest = &rest[lt..];
        let (class, close) = if rest.starts_with("<!--") {
            ("c", "-->")
        } else if rest.starts_with("<![CDATA[") {
            ("d", "]]>")
        } else if rest.starts_with("<?") {
            ("p", "?>")
        } else {
            ("", ">")
        };
        if !class.is_empty() {
            let end = rest.find(close).map_or(rest.len(), |i| i + close.len());
            span(&mut out, class, &rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let end = tag_end(rest);
        tag(&mut out, &rest[..end]);
        rest = &rest[end..];
    }
    out
}

/// Length of the tag at the start of `s` (which starts with `<`), quotes respected.
fn tag_end(s: &str) -> usize {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return i + 1,
            (None, '<') => return i,
            _ => {}
        }
    }
    s.len()
}

/// One tag: name, attribute names and quoted values in their own spans.
fn tag(out: &mut String, t: &str) {
    // The name runs from `<` (or `</`) to the first blank, `>` or `/`.
    let start = if t.starts_with("</") { 2 } else { 1 };
    let name_end = t
        .get(start..)
        .and_then(|r| r.find(|c: char| c.is_whitespace() || c == '>' || c == '/'))
        .map_or(t.len(), |i| i + start);
    span(out, "t", &t[..name_end]);
    let mut rest = &t[name_end..];
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap_or(' ');
        if c == '"' || c == '\'' {
            let end = rest[1..].find(c).map_or(rest.len(), |i| i + 2);
            span(out, "v", &rest[..end]);
            rest = &rest[end..];
        } else if c.is_whitespace() || c == '=' {
            let end = rest
                .find(|d: char| !(d.is_whitespace() || d == '='))
                .unwrap_or(rest.len());
            escape_into(out, &rest[..end]);
            rest = &rest[end..];
        } else if c == '/' || c == '>' || c == '?' {
            let end = rest
                .find(|d: char| !(d == '/' || d == '>' || d == '?'))
                .unwrap_or(rest.len());
            span(out, "t", &rest[..end]);
            rest = &rest[end..];
        } else {
            let end = rest
                .find(|d: char| d.is_whitespace() || matches!(d, '=' | '>' | '/' | '"' | '\''))
                .unwrap_or(rest.len());
            let end = end.max(c.len_utf8());
            span(out, "a", &rest[..end]);
            rest = &rest[end..];
        }
    }
}

/// Highlights JSON-looking text: keys, strings, numbers and literals. Never fails.
pub(crate) fn highlight_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let b = bytes[i];
        if b == b'"' {
            let mut j = i + 1;
            while j < bytes.len() {
                match bytes[j] {
                    b'\\' => j += 2,
                    b'"' => {
                        j += 1;
                        break;
                    }
                    _ => j += 1,
                }
            }
            let j = j.min(text.len());
            let after = text[j..].trim_start();
            let class = if after.starts_with(':') { "k" } else { "s" };
            span(&mut out, class, &text[i..j]);
            i = j;
        } else if b == b'-' || b.is_ascii_digit() {
            let j = text[i..]
                .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
                .map_or(text.len(), |k| i + k);
            span(&mut out, "n", &text[i..j]);
            i = j;
        } else if b.is_ascii_alphabetic() {
            let j = text[i..]
                .find(|c: char| !c.is_ascii_alphabetic())
                .map_or(text.len(), |k| i + k);
            span(&mut out, "l", &text[i..j]);
            i = j;
        } else {
            let j = text[i..]
                .find(|c: char| c == '"' || c == '-' || c.is_ascii_alphanumeric())
                .map_or(text.len(), |k| i + k)
                .max(i + text[i..].chars().next().map_or(1, char::len_utf8));
            escape_into(&mut out, &text[i..j]);
            i = j;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big() -> Budget {
        Budget(REPORT_BODY_BUDGET)
    }

    #[test]
    fn xml_is_reindented_keeping_text_exactly() {
        let raw = "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"x\"><s:Body><a>  spaced  </a><b/>\r\n<c>x&amp;y</c></s:Body></s:Envelope>";
        let pretty = pretty_xml(raw).unwrap_or_default();
        assert_eq!(
            pretty,
            "<?xml version=\"1.0\"?>\n<s:Envelope xmlns:s=\"x\">\n  <s:Body>\n    <a>  spaced  </a>\n    <b/>\n    <c>x&amp;y</c>\n  </s:Body>\n</s:Envelope>"
        );
    }

    #[test]
    fn malformed_xml_is_shown_raw_and_never_fails() {
        for raw in [
            "<a><b></a>",
            "<a>",
            "<a attr=\"x>",
            "</a>",
            "<<<>>>",
            "<!-- open",
            "<![CDATA[ x",
            "<a b='1' c=\"2\"",
        ] {
            assert_eq!(pretty_xml(raw), None, "{raw}");
            let v = view(raw.as_bytes(), &mut big());
            assert!(!v.pretty);
            assert!(
                v.notes.iter().any(|n| n.contains("not well-formed")),
                "{raw}"
            );
            assert!(!v.html.contains("<a"), "{}", v.html);
        }
    }

    #[test]
    fn highlighting_escapes_everything() {
        let hostile = "<a x=\"\"><script>alert(1)</script></a>\"><img src=x onerror=alert(1)>";
        for html in [
            highlight_xml(hostile),
            highlight_json(hostile),
            escape(hostile),
        ] {
            let stripped = html
                .replace("<span class=\"t\">", "")
                .replace("<span class=\"a\">", "")
                .replace("<span class=\"v\">", "")
                .replace("<span class=\"s\">", "")
                .replace("<span class=\"l\">", "")
                .replace("<span class=\"n\">", "")
                .replace("<span class=\"k\">", "")
                .replace("</span>", "");
            assert!(!stripped.contains('<'), "{html}");
            assert!(!stripped.contains('>'), "{html}");
            assert!(!stripped.contains('"'), "{html}");
        }
        assert_eq!(
            highlight_xml("<a b=\"1\">x</a>"),
            "<span class=\"t\">&lt;a</span> <span class=\"a\">b</span>=<span class=\"v\">&quot;1&quot;</span><span class=\"t\">&gt;</span>x<span class=\"t\">&lt;/a</span><span class=\"t\">&gt;</span>"
        );
    }

    #[test]
    fn json_is_reindented_and_highlighted() {
        let raw = r#"{"a":[1,2.50,{}],"b":"x\"y","c":null}"#;
        let pretty = pretty_json(raw).unwrap_or_default();
        assert_eq!(
            pretty,
            "{\n  \"a\": [\n    1,\n    2.50,\n    {}\n  ],\n  \"b\": \"x\\\"y\",\n  \"c\": null\n}"
        );
        let v = view(raw.as_bytes(), &mut big());
        assert_eq!((v.kind, v.pretty), (Kind::Json, true));
        assert!(v.html.contains("<span class=\"k\">&quot;a&quot;</span>"));
        assert_eq!(pretty_json("{\"a\":"), None);
    }

    #[test]
    fn a_ten_mebibyte_body_is_cut_with_its_size() {
        let mut body = b"<a>".to_vec();
        body.resize(10 * 1024 * 1024, b'x');
        let mut budget = big();
        let v = view(&body, &mut budget);
        assert!(v.html.len() < BODY_MAX + 64, "{}", v.html.len());
        assert_eq!(v.bytes, 10 * 1024 * 1024);
        assert!(
            v.notes
                .iter()
                .any(|n| n.contains("…cut, 10485760 bytes, full bytes in journal.jsonl")),
            "{:?}",
            v.notes
        );
        assert_eq!(budget.0, REPORT_BODY_BUDGET - BODY_MAX);
    }

    #[test]
    fn a_spent_budget_leaves_bodies_to_the_journal() {
        let mut budget = Budget(10);
        let first = view(b"<a>0123456789abc</a>", &mut budget);
        assert!(first.notes[0].contains("…cut"));
        let second = view(b"<a/>", &mut budget);
        assert!(second.html.is_empty());
        assert!(second.notes[0].contains("budget"));
    }

    #[test]
    fn non_utf8_is_shown_safely() {
        let v = view(b"<a>caf\xE9 \xFF\x00<b/></a>", &mut big());
        assert!(v.html.contains("caf\\xE9 \\xFF\\u{0}"), "{}", v.html);
        assert!(v.notes.iter().any(|n| n.contains("not valid UTF-8")));
        assert!(!v.pretty);
        // A multi-byte character split by the cut is dropped, not called invalid.
        let mut body = "é".repeat(BODY_MAX).into_bytes();
        body.push(b'!');
        let v = view(&body, &mut big());
        assert!(
            !v.notes.iter().any(|n| n.contains("UTF-8")),
            "{:?}",
            v.notes
        );
    }
}
