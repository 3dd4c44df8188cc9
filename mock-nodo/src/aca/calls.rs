//! The log of every call a mock ACA received, kept in memory and/or streamed to a JSON-lines
//! file as it happens (the ACA counterpart of the Nodo's [`Journal`](crate::Journal)).
//!
//! The checks of TEST-PLAN.md §4.6 judge the EC by what it sent: whether it called at all,
//! with which key, amount and due date, and how it reacted to a refusal. So the log keeps the
//! request as received (subscription key masked), the answer, and both clocks.

use super::store::HistoryAction;
use crate::clock::VirtualTime;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What replaces a subscription key in the log: the log says a key was sent and where, never
/// which.
pub const REDACTED: &str = "<redacted>";

/// One HTTP call to the mock ACA and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcaCall {
    /// Sequence number, from 1, in the order the answers were logged (for concurrent calls
    /// on one key this may differ from the order of the position's history).
    pub seq: u64,
    /// Scenario time when the call arrived.
    pub virtual_at: VirtualTime,
    /// Wall-clock time when the call arrived, RFC 3339 (as in the Nodo's journal).
    pub real_at: String,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Raw query string (without `?`), `subscription-key` value masked; `None` when absent.
    pub query: Option<String>,
    /// Request headers in arrival order, names lowercase; the `ocp-apim-subscription-key`
    /// value is masked.
    pub headers: Vec<(String, String)>,
    /// Request body as text (invalid UTF-8 replaced), cut at 64 KiB.
    pub body: String,
    /// Size of the body as sent, in bytes (as far as it was read: an oversized body is read
    /// up to a cap, then the connection is dropped).
    pub body_len: usize,
    /// Whether [`body`](Self::body) was cut.
    pub body_truncated: bool,
    /// HTTP status answered.
    pub status: u16,
    /// Response body (JSON).
    pub response: String,
    /// What the call did to a position, when it was accepted.
    pub action: Option<HistoryAction>,
    /// The position's IUPD, when the body named one.
    pub iupd: Option<String>,
    /// Whether the answer was an injected fault ([`AcaState::inject`](super::AcaState::inject))
    /// rather than the outcome of the call: the call was not applied. Absent (false) in
    /// journals written before faults existed.
    #[serde(default)]
    pub injected: bool,
}

/// Longest request body kept in the log; a station that sends megabytes is judged on the fact
/// (and the length), not on every byte.
pub(super) const BODY_LOG_LIMIT: usize = 64 * 1024;

/// The request body as logged: text, cut at [`BODY_LOG_LIMIT`], and whether it was cut.
pub(super) fn logged_body(body: &[u8], body_len: usize) -> (String, bool) {
    let kept = body.get(..BODY_LOG_LIMIT).unwrap_or(body);
    let truncated = body_len > kept.len();
    (String::from_utf8_lossy(kept).into_owned(), truncated)
}

/// Calls kept and/or written.
#[derive(Debug)]
pub(super) struct CallLog {
    entries: Vec<AcaCall>,
    retain: bool,
    count: u64,
    file: Option<File>,
    path: Option<PathBuf>,
    write_error: Option<io::Error>,
}

impl Default for CallLog {
    /// In memory only.
    fn default() -> Self {
        CallLog {
            entries: Vec::new(),
            retain: true,
            count: 0,
            file: None,
            path: None,
            write_error: None,
        }
    }
}

impl CallLog {
    /// Streamed to `path` (created or truncated), kept in memory too when `retain`.
    pub(super) fn create(path: &Path, retain: bool) -> io::Result<CallLog> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)?;
        Ok(CallLog {
            retain,
            file: Some(file),
            path: Some(path.to_path_buf()),
            ..CallLog::default()
        })
    }

    /// Neither kept nor written: counted only.
    pub(super) fn counting() -> CallLog {
        CallLog {
            retain: false,
            ..CallLog::default()
        }
    }

    /// Append `call`, numbering it; the line is written (unbuffered, so a crash loses nothing
    /// already answered) before this returns.
    pub(super) fn record(&mut self, mut call: AcaCall) -> u64 {
        self.count += 1;
        call.seq = self.count;
        if let Some(file) = &mut self.file {
            let written = serde_json::to_vec(&call)
                .map_err(io::Error::other)
                .and_then(|mut line| {
                    line.push(b'\n');
                    file.write_all(&line)
                });
            if let Err(e) = written {
                // Keep the first error: later ones are usually the same full disk.
                self.write_error.get_or_insert(e);
            }
        }
        if self.retain {
            self.entries.push(call);
        }
        self.count
    }

    pub(super) fn entries(&self) -> &[AcaCall] {
        &self.entries
    }

    pub(super) fn count(&self) -> u64 {
        self.count
    }

    pub(super) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub(super) fn take_write_error(&mut self) -> Option<io::Error> {
        self.write_error.take()
    }
}

#[cfg(test)]
mod tests {
    use super::{AcaCall, BODY_LOG_LIMIT, CallLog, logged_body};
    use crate::clock::VirtualTime;
    use std::io::{BufRead, BufReader};

    fn call(status: u16) -> AcaCall {
        AcaCall {
            seq: 0,
            virtual_at: VirtualTime::from_millis(1),
            real_at: "2026-01-01T00:00:00.000Z".into(),
            method: "POST".into(),
            path: "/aca/v1/paCreatePosition".into(),
            query: None,
            headers: vec![("content-type".into(), "application/json".into())],
            body: "{}".into(),
            body_len: 2,
            body_truncated: false,
            status,
            response: "{}".into(),
            action: None,
            iupd: None,
            injected: false,
        }
    }

    #[test]
    fn streams_lines_and_numbers_calls() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("aca.jsonl");
        let mut log = CallLog::create(&path, false)?;
        assert_eq!(log.record(call(200)), 1);
        assert_eq!(log.record(call(401)), 2);
        assert!(log.entries().is_empty(), "not retained");
        assert_eq!(log.count(), 2);
        assert!(log.take_write_error().is_none());
        let lines: Vec<AcaCall> = BufReader::new(std::fs::File::open(&path)?)
            .lines()
            .map(|line| serde_json::from_str(&line?).map_err(std::io::Error::other))
            .collect::<Result<_, _>>()?;
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[1].seq, lines[1].status), (2, 401));
        assert_eq!(lines[0].virtual_at.to_string(), "1970-01-01T00:00:00.001Z");
        Ok(())
    }

    #[test]
    fn injected_defaults_to_false_in_old_lines() -> serde_json::Result<()> {
        let mut line = serde_json::to_value(call(200))?;
        assert_eq!(line["injected"], false);
        if let Some(object) = line.as_object_mut() {
            object.remove("injected");
        }
        let parsed: AcaCall = serde_json::from_value(line)?;
        assert_eq!(parsed, call(200));
        let mut injected = call(502);
        injected.injected = true;
        let round: AcaCall = serde_json::from_str(&serde_json::to_string(&injected)?)?;
        assert!(round.injected);
        Ok(())
    }

    #[test]
    fn counting_log_keeps_nothing() {
        let mut log = CallLog::counting();
        log.record(call(200));
        assert_eq!((log.count(), log.entries().len()), (1, 0));
        let mut log = CallLog::default();
        log.record(call(200));
        assert_eq!(log.entries()[0].seq, 1);
    }

    #[test]
    fn bodies_are_cut_at_the_log_limit() {
        let big = vec![b'a'; BODY_LOG_LIMIT + 10];
        let (text, cut) = logged_body(&big, big.len());
        assert_eq!((text.len(), cut), (BODY_LOG_LIMIT, true));
        let (text, cut) = logged_body(b"{\xff}", 3);
        assert_eq!((text.as_str(), cut), ("{\u{fffd}}", false));
        // Read only in part (oversized body): the length sent says it was cut.
        let (_, cut) = logged_body(b"{}", 5_000_000);
        assert!(cut);
    }
}
