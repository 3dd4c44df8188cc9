//! Redaction of run-specific values, so report snapshots are stable across runs.
//!
//! Used by this crate's snapshot tests and by the end-to-end tests of the other crates.
//! It recognises the shapes collaudo's own reports use (JSON keys, JUnit attributes and
//! properties, `seed 42` / `run id: x` labels, `12 ms` durations); it is not a general-purpose
//! anonymiser.

/// Replaces run-specific values with stable placeholders:
///
/// | value | example | becomes |
/// |---|---|---|
/// | RFC 3339 timestamps | `2025-03-01T10:00:00.123+01:00` | `[TIMESTAMP]` |
/// | loopback ports | `127.0.0.1:41234`, `localhost:8080`, `[::1]:80` | `127.0.0.1:[PORT]` |
/// | JSON `*_ms` numbers | `"duration_ms": 12.3`, `"latency_ms": 4` | `"duration_ms": "[DURATION]"` |
/// | JUnit `time` attributes | `time="0.012"` | `time="[DURATION]"` |
/// | human durations | `12 ms`, `3.4 ms`, `1.23 s` | `[DURATION]` |
/// | seeds | `"seed": 42`, `name="seed" value="42"`, `seed 42`, ``Seed: `42` `` | `[SEED]` in place of `42` |
/// | run ids | `"run_id": "x"`, `name="run_id" value="x"`, `run id x`, ``Run id: `x` `` | `[RUN_ID]` in place of `x` |
/// | SHA-256 digests | `sha256:` and 64 hex digits (the catalogue changes with every scenario edit) | `sha256:[DIGEST]` |
///
/// Redacting twice gives the same text as redacting once.
#[must_use]
pub fn redact(s: &str) -> String {
    let passes: [Matcher; 8] = [
        sha256_digest,
        timestamp,
        loopback_port,
        json_ms,
        json_seed_or_run_id,
        xml_values,
        human_duration,
        labels,
    ];
    let mut text = s.to_owned();
    for pass in passes {
        text = replace_all(&text, pass);
    }
    text
}

/// `sha256:` and 64 lowercase hex digits.
fn sha256_digest(b: &[u8], i: usize) -> Option<(usize, String)> {
    const PREFIX: &[u8] = b"sha256:";
    let rest = b.get(i..)?;
    if !rest.starts_with(PREFIX) {
        return None;
    }
    let hex = rest.get(PREFIX.len()..PREFIX.len() + 64)?;
    if !hex
        .iter()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        return None;
    }
    Some((i + PREFIX.len() + 64, "sha256:[DIGEST]".to_owned()))
}

/// A pattern tried at byte offset `i` of the text: on a match, the end of the match and its
/// replacement.
type Matcher = fn(&[u8], usize) -> Option<(usize, String)>;

/// Runs `matcher` at every char boundary; a match `(end, replacement)` replaces `start..end`.
/// Every matcher only matches ASCII, so `end` is always a char boundary.
fn replace_all(s: &str, matcher: Matcher) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if let Some((end, replacement)) = matcher(bytes, i) {
            out.push_str(&replacement);
            i = end;
        } else if let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) {
            out.push(c);
            i += c.len_utf8();
        } else {
            break;
        }
    }
    out
}

/// A byte cursor for the small patterns below.
struct Cur<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, pred: impl Fn(u8) -> bool) -> bool {
        match self.peek() {
            Some(b) if pred(b) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }

    fn lit(&mut self, lit: &str) -> bool {
        let end = self.i + lit.len();
        if self.s.get(self.i..end) == Some(lit.as_bytes()) {
            self.i = end;
            true
        } else {
            false
        }
    }

    /// Case-insensitive literal.
    fn lit_ci(&mut self, lit: &str) -> bool {
        let end = self.i + lit.len();
        match self.s.get(self.i..end) {
            Some(got) if got.eq_ignore_ascii_case(lit.as_bytes()) => {
                self.i = end;
                true
            }
            _ => false,
        }
    }

    fn digits(&mut self, n: usize) -> bool {
        (0..n).all(|_| self.eat(|b| b.is_ascii_digit()))
    }

    fn many(&mut self, pred: impl Fn(u8) -> bool + Copy) -> usize {
        let start = self.i;
        while self.eat(pred) {}
        self.i - start
    }

    fn spaces(&mut self) -> usize {
        self.many(|b| b == b' ')
    }

    /// JSON-ish number: `-?\d+(\.\d+)?([eE][+-]?\d+)?`.
    fn number(&mut self) -> bool {
        self.eat(|b| b == b'-');
        if self.many(|b| b.is_ascii_digit()) == 0 {
            return false;
        }
        let save = self.i;
        if !(self.lit(".") && self.many(|b| b.is_ascii_digit()) > 0) {
            self.i = save;
        }
        let save = self.i;
        if !(self.eat(|b| b == b'e' || b == b'E') && {
            self.eat(|b| b == b'+' || b == b'-');
            self.many(|b| b.is_ascii_digit()) > 0
        }) {
            self.i = save;
        }
        true
    }
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether the byte before `i` cannot be part of a word or number.
fn boundary_before(s: &[u8], i: usize) -> bool {
    i == 0 || s.get(i - 1).is_none_or(|&b| !(word_byte(b) || b == b'.'))
}

fn timestamp(s: &[u8], i: usize) -> Option<(usize, String)> {
    if !boundary_before(s, i) {
        return None;
    }
    let mut c = Cur { s, i };
    let ok = c.digits(4)
        && c.lit("-")
        && c.digits(2)
        && c.lit("-")
        && c.digits(2)
        && c.eat(|b| matches!(b, b'T' | b't' | b' '))
        && c.digits(2)
        && c.lit(":")
        && c.digits(2)
        && c.lit(":")
        && c.digits(2);
    if !ok {
        return None;
    }
    let save = c.i;
    if !(c.lit(".") && c.many(|b| b.is_ascii_digit()) > 0) {
        c.i = save;
    }
    let zone = c.eat(|b| b == b'Z' || b == b'z')
        || (c.eat(|b| b == b'+' || b == b'-') && c.digits(2) && c.lit(":") && c.digits(2));
    zone.then(|| (c.i, "[TIMESTAMP]".to_owned()))
}

fn loopback_port(s: &[u8], i: usize) -> Option<(usize, String)> {
    for host in ["127.0.0.1:", "localhost:", "[::1]:"] {
        let mut c = Cur { s, i };
        if c.lit(host) && c.many(|b| b.is_ascii_digit()) > 0 && !c.peek().is_some_and(word_byte) {
            return Some((c.i, format!("{host}[PORT]")));
        }
    }
    None
}

/// `"<key>_ms": <number>`.
fn json_ms(s: &[u8], i: usize) -> Option<(usize, String)> {
    let mut c = Cur { s, i };
    if !c.lit("\"") {
        return None;
    }
    let key_start = c.i;
    c.many(word_byte);
    let key = s.get(key_start..c.i)?;
    if !key.ends_with(b"_ms") {
        return None;
    }
    let key_end = c.i;
    if !(c.lit("\"") && c.lit(":")) {
        return None;
    }
    let sep = c.spaces();
    if !c.number() {
        return None;
    }
    let key = std::str::from_utf8(s.get(key_start..key_end)?).ok()?;
    Some((c.i, format!("\"{key}\":{}\"[DURATION]\"", " ".repeat(sep))))
}

/// Skips a JSON string body up to and including the closing quote.
fn skip_json_string(c: &mut Cur<'_>) -> bool {
    while let Some(b) = c.peek() {
        c.i += 1;
        match b {
            b'\\' => c.i += 1,
            b'"' => return true,
            _ => {}
        }
    }
    false
}

/// `"seed": <number>` and `"run_id": "<string>"`.
fn json_seed_or_run_id(s: &[u8], i: usize) -> Option<(usize, String)> {
    let mut c = Cur { s, i };
    if c.lit("\"seed\":") {
        let sep = c.spaces();
        return (c.many(|b| b.is_ascii_digit()) > 0)
            .then(|| (c.i, format!("\"seed\":{}\"[SEED]\"", " ".repeat(sep))));
    }
    if c.lit("\"run_id\":") {
        let sep = c.spaces();
        return (c.lit("\"") && skip_json_string(&mut c))
            .then(|| (c.i, format!("\"run_id\":{}\"[RUN_ID]\"", " ".repeat(sep))));
    }
    None
}

/// JUnit: `name="seed" value="…"`, `name="run_id" value="…"` and ` time="…"`.
fn xml_values(s: &[u8], i: usize) -> Option<(usize, String)> {
    for (name, placeholder) in [("seed", "[SEED]"), ("run_id", "[RUN_ID]")] {
        let mut c = Cur { s, i };
        let head = format!("name=\"{name}\" value=\"");
        if c.lit(&head) {
            c.many(|b| b != b'"');
            if c.lit("\"") {
                return Some((c.i, format!("{head}{placeholder}\"")));
            }
        }
    }
    let mut c = Cur { s, i };
    if c.lit(" time=\"") && c.number() && c.lit("\"") {
        return Some((c.i, " time=\"[DURATION]\"".to_owned()));
    }
    None
}

/// `12 ms`, `3.4 ms`, `1.23 s` as a whole word.
fn human_duration(s: &[u8], i: usize) -> Option<(usize, String)> {
    if !boundary_before(s, i) {
        return None;
    }
    let mut c = Cur { s, i };
    if c.many(|b| b.is_ascii_digit()) == 0 {
        return None;
    }
    let save = c.i;
    if !(c.lit(".") && c.many(|b| b.is_ascii_digit()) > 0) {
        c.i = save;
    }
    if !(c.lit(" ms") || c.lit(" s")) {
        return None;
    }
    (!c.peek().is_some_and(word_byte)).then(|| (c.i, "[DURATION]".to_owned()))
}

/// `seed 42`, ``Seed: `42` ``, `seed=42`, `run id abc`, ``Run id: `abc` ``.
fn labels(s: &[u8], i: usize) -> Option<(usize, String)> {
    if !boundary_before(s, i) {
        return None;
    }
    let mut c = Cur { s, i };
    let (placeholder, digits_only) = if c.lit_ci("seed") {
        ("[SEED]", true)
    } else if c.lit_ci("run id") || c.lit_ci("run_id") || c.lit_ci("run-id") {
        ("[RUN_ID]", false)
    } else {
        return None;
    };
    let sep_start = c.i;
    c.eat(|b| b == b':' || b == b'=');
    c.spaces();
    c.eat(|b| b == b'`');
    if c.i == sep_start {
        return None;
    }
    let prefix = std::str::from_utf8(s.get(i..c.i)?).ok()?.to_owned();
    let token = if digits_only {
        c.many(|b| b.is_ascii_digit())
    } else {
        c.many(|b| !(b.is_ascii_whitespace() || b"`,|)\"'<".contains(&b)))
    };
    if token == 0 || (digits_only && c.peek().is_some_and(word_byte)) {
        return None;
    }
    Some((c.i, format!("{prefix}{placeholder}")))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn sha256_digests() {
        let d = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            redact(&format!("digest `sha256:{d}` and sha256:abc")),
            "digest `sha256:[DIGEST]` and sha256:abc"
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            redact("at 2025-03-01T10:00:00.123+01:00 and 2025-03-01 10:00:00Z."),
            "at [TIMESTAMP] and [TIMESTAMP]."
        );
        assert_eq!(redact("date 2025-03-01 only"), "date 2025-03-01 only");
    }

    #[test]
    fn ports() {
        assert_eq!(
            redact("http://127.0.0.1:41234/x localhost:80 [::1]:9 10.0.0.1:5"),
            "http://127.0.0.1:[PORT]/x localhost:[PORT] [::1]:[PORT] 10.0.0.1:5"
        );
    }

    #[test]
    fn json_values() {
        let json = r#"{"seed": 42, "run_id": "r-\"1", "duration_ms": 12.5, "latency_ms":3, "elapsed_ms": 1e3, "count": 4}"#;
        assert_eq!(
            redact(json),
            r#"{"seed": "[SEED]", "run_id": "[RUN_ID]", "duration_ms": "[DURATION]", "latency_ms":"[DURATION]", "elapsed_ms": "[DURATION]", "count": 4}"#
        );
    }

    #[test]
    fn junit_values() {
        let xml = r#"<testcase name="A" time="0.012"><property name="seed" value="42"/><property name="run_id" value="abc"/>"#;
        assert_eq!(
            redact(xml),
            r#"<testcase name="A" time="[DURATION]"><property name="seed" value="[SEED]"/><property name="run_id" value="[RUN_ID]"/>"#
        );
    }

    #[test]
    fn text_values() {
        assert_eq!(
            redact(
                "seed 42, run id r-7, took 1.23 s; step (3.4 ms) 12 ms\n- Seed: `9`\n- Run id: `x`"
            ),
            "seed [SEED], run id [RUN_ID], took [DURATION]; step ([DURATION]) [DURATION]\n- Seed: `[SEED]`\n- Run id: `[RUN_ID]`"
        );
        assert_eq!(
            redact("seeded 3 positions, 2 steps, seed the 4"),
            "seeded 3 positions, 2 steps, seed the 4"
        );
    }

    #[test]
    fn idempotent_and_unicode_safe() {
        let text = "é 2025-01-01T00:00:00Z — seed 1 — 127.0.0.1:1 — 5 ms ✓";
        let once = redact(text);
        assert_eq!(
            once,
            "é [TIMESTAMP] — seed [SEED] — 127.0.0.1:[PORT] — [DURATION] ✓"
        );
        assert_eq!(redact(&once), once);
    }
}
