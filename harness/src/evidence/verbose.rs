//! `collaudo run -v`: every exchange printed as it happens.
//!
//! A [`Reporter`] among the run's reporters: when a step finishes, it reads what the journal
//! gained since the last time (the journal is appended and flushed per exchange before the
//! step ends; a byte offset is kept, the file is never read again from the start) and prints
//! those exchanges by seq: request line, status, latency, and both bodies shortened to one
//! terminal line each.
//!
//! Cases may run concurrently (`--jobs`) while their events arrive in catalogue order, so the
//! journal interleaves cases: an exchange read early waits until its own case's step is
//! reported, and is printed under it.

use super::{shorten, visible_line};
use collaudo_nodo::Exchange;
use collaudo_reports::{Event, EventEnvelope, ReportError, Reporter};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Characters of a body shown per exchange.
pub const BODY_CHARS: usize = 300;

/// Prints the journal's new exchanges after every step.
pub struct VerboseReporter {
    journal: PathBuf,
    /// Bytes of the journal already read (always at a line start).
    offset: u64,
    /// Exchanges read from the journal whose step has not been reported yet, by seq.
    pending: std::collections::BTreeMap<u64, Exchange>,
    out: Box<dyn Write + Send>,
}

impl std::fmt::Debug for VerboseReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerboseReporter")
            .field("journal", &self.journal)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

/// The reporter for a run writing into `out_dir`, printing to `out` (stderr for the CLI).
pub fn reporter(out_dir: &Path, out: Box<dyn Write + Send>) -> Box<dyn Reporter> {
    Box::new(VerboseReporter {
        journal: out_dir.join(super::JOURNAL_FILE),
        offset: 0,
        pending: std::collections::BTreeMap::new(),
        out,
    })
}

impl VerboseReporter {
    /// The complete lines appended since the last call.
    fn new_lines(&mut self) -> std::io::Result<Vec<u8>> {
        let mut file = match std::fs::File::open(&self.journal) {
            Ok(f) => f,
            // No exchange yet (a skipped case): nothing to show.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)?;
        // A line still being written stays for next time.
        let complete = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        buf.truncate(complete);
        self.offset += complete as u64;
        Ok(buf)
    }

    /// Reads the journal's new exchanges, then prints (by seq) the pending ones `which`
    /// selects.
    fn print_new(&mut self, which: impl Fn(&Exchange) -> bool) -> Result<(), ReportError> {
        let lines = self.new_lines().map_err(ReportError::Console)?;
        // Exchange lines only: the `{"sending":..,"request":..}` and classification lines are
        // not exchanges and do not parse as one.
        for e in lines
            .split(|&b| b == b'\n')
            .filter_map(|l| serde_json::from_slice::<Exchange>(l).ok())
        {
            self.pending.insert(e.seq, e);
        }
        let due: Vec<u64> = self
            .pending
            .values()
            .filter(|e| which(e))
            .map(|e| e.seq)
            .collect();
        let mut text = String::new();
        for seq in due {
            if let Some(e) = self.pending.remove(&seq) {
                text.push_str(&render(&e));
            }
        }
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(ReportError::Console)
    }
}

impl Reporter for VerboseReporter {
    fn write_event(&mut self, ev: &EventEnvelope) -> Result<(), ReportError> {
        match &ev.event {
            Event::StepFinished { case_id, step } => self.print_new(|e| {
                e.scenario.as_deref() == Some(case_id.as_str()) && e.step == Some(step.index)
            }),
            // What a case made outside its reported steps (an abandoned one) closes it.
            Event::ScenarioFinished { result } => {
                self.print_new(|e| e.scenario.as_deref() == Some(result.meta.id.as_str()))
            }
            Event::RunFinished { .. } => self.print_new(|_| true),
            _ => Ok(()),
        }
    }
}

/// One exchange, four lines.
fn render(e: &Exchange) -> String {
    let case = match (&e.scenario, e.step) {
        (Some(c), Some(s)) => format!("{c}/{}", s + 1),
        (Some(c), None) => c.clone(),
        _ => "-".into(),
    };
    let outcome = match (&e.response, &e.transport_error) {
        (Some(r), _) => format!("{} · {} bytes", r.status, r.body.len()),
        (None, Some(t)) => format!("no response: {t}"),
        (None, None) => "no response".into(),
    };
    let fault = e
        .injected_fault
        .as_deref()
        .map_or(String::new(), |f| format!(" · fault: {f}"));
    let mut s = visible_line(&format!(
        "  #{} {case} → {} POST {}{fault}",
        e.seq,
        e.primitive.name(),
        super::redact_userinfo(&e.url)
    ));
    s.push('\n');
    s.push_str(&visible_line(&format!(
        "  #{} ← {outcome} · {:.1} ms",
        e.seq, e.latency_ms
    )));
    s.push('\n');
    s.push_str(&format!(
        "      > {}\n",
        one_line(e.request_body.as_bytes())
    ));
    if let Some(r) = &e.response {
        s.push_str(&format!("      < {}\n", one_line(&r.body)));
    }
    s
}

/// A body as one shortened terminal line: whitespace between tags dropped, control
/// characters escaped.
fn one_line(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty)".into();
    }
    let text = String::from_utf8_lossy(body);
    let mut squeezed = String::with_capacity(text.len());
    for line in text.lines() {
        squeezed.push_str(line.trim());
    }
    // The envelope's prolog is the same in every message: start at the payload.
    let payload = squeezed
        .find(":Body>")
        .or_else(|| squeezed.find("<Body>"))
        .map(|i| &squeezed[i..])
        .and_then(|rest| rest.find('>').map(|j| &rest[j + 1..]))
        .filter(|rest| !rest.is_empty());
    match payload {
        Some(p) => format!("…{}", visible_line(&shorten(p, BODY_CHARS))),
        None => visible_line(&shorten(&squeezed, BODY_CHARS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_become_one_short_line() {
        assert_eq!(one_line(b"<a>\n  <b>x</b>\n</a>\n"), "<a><b>x</b></a>");
        assert_eq!(one_line(b""), "(empty)");
        let long = "x".repeat(BODY_CHARS + 10);
        assert!(one_line(long.as_bytes()).ends_with(&format!("({} bytes in all)", long.len())));
        assert_eq!(one_line(b"a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(
            one_line(b"<?xml?><s:Envelope><s:Header/><s:Body><p:x>1</p:x></s:Body></s:Envelope>"),
            "…<p:x>1</p:x></s:Body></s:Envelope>"
        );
    }
}
