//! The journal: every Nodo → station exchange, streamed to disk as it happens.
//!
//! Reports are built from the journal and the verdicts, so the journal is written first and
//! rewritten never: each exchange is one JSON line appended and flushed before the caller sees
//! the result, and a later classification is a small extra line, not an edit. A crash mid-run
//! therefore still leaves every exchange made so far on disk (ARCHITECTURE.md, "Journal").
//!
//! Response bodies are raw bytes (a station may send anything): they are written as UTF-8 text
//! when they are valid UTF-8, else as base64 with `"body_encoding": "base64"`.
//!
//! A call's request is journalled *before* it is sent, as a `{"sending":N,"request":{..}}`
//! line, and its exchange line then starts with `{"sending":N,`: a run killed mid-call (SIGKILL,
//! a CI runner's hard stop) leaves the request it was making on disk, and [`Journal::load`]
//! gives it back as an exchange with no answer.
//!
//! By default a journal also keeps every exchange in memory, for the checks and reports of the
//! run. Long runs (a benchmark delivering hundreds of thousands of receipt attempts) use
//! [`Journal::create_streaming`], which writes the same file but keeps nothing in memory, or
//! [`Journal::counting`], which only counts; [`Journal::entries`] is then empty.

use crate::clock::VirtualTime;
use collaudo_wire::Primitive;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The HTTP response a station gave (status, headers and raw body bytes).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WireReply", try_from = "WireReply")]
pub struct HttpReply {
    /// HTTP status code.
    pub status: u16,
    /// Response headers, in the order received (names lowercase, as HTTP/1 libraries give them).
    pub headers: Vec<(String, String)>,
    /// The raw body bytes, exactly as received (or as mangled by an injected fault).
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for HttpReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies can be megabytes of bytes; show them as (shortened) text so test failures and
        // logs stay readable.
        const SHOWN: usize = 512;
        let text = String::from_utf8_lossy(&self.body[..self.body.len().min(SHOWN)]);
        let more = if self.body.len() > SHOWN { "…" } else { "" };
        f.debug_struct("HttpReply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field(
                "body",
                &format_args!("{:?}{more} ({} bytes)", text, self.body.len()),
            )
            .finish()
    }
}

/// How a body is written in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum BodyEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    Base64,
}

/// The journal form of [`HttpReply`].
#[derive(Serialize, Deserialize)]
struct WireReply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    body_encoding: BodyEncoding,
}

impl From<HttpReply> for WireReply {
    fn from(r: HttpReply) -> Self {
        let (body, body_encoding) = match String::from_utf8(r.body) {
            Ok(text) => (text, BodyEncoding::Utf8),
            Err(e) => (b64::encode(e.as_bytes()), BodyEncoding::Base64),
        };
        WireReply {
            status: r.status,
            headers: r.headers,
            body,
            body_encoding,
        }
    }
}

impl TryFrom<WireReply> for HttpReply {
    type Error = String;

    fn try_from(w: WireReply) -> Result<Self, Self::Error> {
        let body = match w.body_encoding {
            BodyEncoding::Utf8 => w.body.into_bytes(),
            BodyEncoding::Base64 => b64::decode(&w.body).ok_or("invalid base64 body")?,
        };
        Ok(HttpReply {
            status: w.status,
            headers: w.headers,
            body,
        })
    }
}

/// Why no usable HTTP response came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransportErrorKind {
    /// No complete response within the primitive's timeout (headers or body).
    Timeout,
    /// The TCP connection could not be made (refused, unreachable, or connect timeout).
    Refused,
    /// The connection broke after it was made (reset, closed before a complete response).
    Reset,
    /// The body exceeded the size cap; the rest was not read.
    BodyTooLarge,
    /// Something came back, but not an HTTP response the Nodo can read: not HTTP at all, a
    /// malformed status line or header, or a response head over the client's size limit.
    NotHttp,
    /// A timeout injected by the fault plan: no real call was made, or (for
    /// `Fault::AnswerTimeout`) the station's answer was discarded as late.
    InjectedTimeout,
    /// A refused connection injected by the fault plan (no real call was made).
    InjectedRefused,
    /// The TLS connection could not be established (the reason is in
    /// [`TransportError::tls`]).
    Tls,
    /// Anything else the HTTP stack reported.
    Other,
}

impl TransportErrorKind {
    /// True for the kinds produced by the fault plan rather than by the network.
    pub fn is_injected(self) -> bool {
        matches!(
            self,
            TransportErrorKind::InjectedTimeout | TransportErrorKind::InjectedRefused
        )
    }
}

/// A transport failure of one exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportError {
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// The underlying error, for humans.
    pub message: String,
    /// Why the TLS connection failed, for [`TransportErrorKind::Tls`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::tls::TlsReason>,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A TLS message already starts with "TLS:".
        if self.kind == TransportErrorKind::Tls {
            return f.write_str(&self.message);
        }
        let kind = serde_json::to_value(self.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        write!(f, "{kind}: {}", self.message)
    }
}

/// One Nodo → station call, with everything needed to judge and report it later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// Position in the journal, from 1 (0 until recorded).
    pub seq: u64,
    /// The primitive called.
    pub primitive: Primitive,
    /// The station URL.
    pub url: String,
    /// Request headers as sent.
    pub request_headers: Vec<(String, String)>,
    /// The request body as sent (the mock builds it, so it is always UTF-8).
    pub request_body: String,
    /// The response, when one (even a broken one) came back.
    pub response: Option<HttpReply>,
    /// The transport failure, when no usable response came back.
    pub transport_error: Option<TransportError>,
    /// The fault the fault plan injected into this exchange, if any (human form).
    pub injected_fault: Option<String>,
    /// When the call started, real wall-clock time, RFC 3339.
    pub real_started_at: String,
    /// Duration of the exchange, milliseconds: the real time plus any injected delay (an
    /// injected latency in full, the Nodo's timeout for an injected timeout), so that SLA
    /// checks see injected slowness on any clock.
    pub latency_ms: f64,
    /// Scenario time when the call was issued (before any injected cost).
    pub virtual_at: VirtualTime,
    /// The Nodo's classification, filled in later by the checks.
    pub classification: Option<String>,
    /// The scenario that made the call.
    pub scenario: Option<String>,
    /// The step of that scenario (0-based).
    pub step: Option<usize>,
}

/// A line of the journal file that is not an exchange: a later classification.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClassificationLine {
    seq: u64,
    classification: String,
}

/// A request journalled before it is sent.
#[derive(Debug, Serialize, Deserialize)]
struct SendingLine<E> {
    sending: u64,
    request: E,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Exchange(Box<Exchange>),
    Classification(ClassificationLine),
    Sending(Box<SendingLine<Exchange>>),
}

/// A request journalled by [`Journal::begin`], to hand to [`Journal::record_sent`] with its
/// exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "hand it to Journal::record_sent, or the request stays pending in the file"]
pub struct Sending(u64);

/// The message of an exchange whose request was sent but whose answer never reached the
/// journal (see [`Journal::load`]).
pub const UNFINISHED: &str = "the run ended during this exchange (killed or interrupted): the request was sent and no \
     answer was recorded";

#[derive(Debug)]
struct Inner {
    file: Option<File>,
    /// Every exchange, when the journal retains them.
    entries: Vec<Exchange>,
    /// Whether exchanges are kept in `entries`.
    retain: bool,
    /// Requests journalled by `begin` so far.
    sending: u64,
    /// Exchanges recorded so far (the last sequence number given).
    recorded: u64,
    write_error: Option<io::Error>,
}

impl Inner {
    fn new(file: Option<File>, retain: bool) -> Inner {
        Inner {
            file,
            entries: Vec::new(),
            retain,
            sending: 0,
            recorded: 0,
            write_error: None,
        }
    }
}

/// The journal of one run. Shared between tasks behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct Journal {
    path: Option<PathBuf>,
    inner: Mutex<Inner>,
}

impl Journal {
    /// A journal streamed to `path` (created or truncated), one JSON line per record, that also
    /// keeps every exchange in memory ([`Journal::entries`]).
    pub fn create(path: impl AsRef<Path>) -> io::Result<Journal> {
        Journal::open(path.as_ref(), true)
    }

    /// A journal streamed to `path` (created or truncated) exactly as [`Journal::create`] does,
    /// line for line, but that keeps nothing in memory: for runs too long to hold every
    /// exchange. [`Journal::entries`] returns an empty `Vec`; read the file back with
    /// [`Journal::load`]. Sequence numbers, [`Journal::len`] and classification lines work as
    /// usual.
    pub fn create_streaming(path: impl AsRef<Path>) -> io::Result<Journal> {
        Journal::open(path.as_ref(), false)
    }

    fn open(path: &Path, retain: bool) -> io::Result<Journal> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)?;
        Ok(Journal {
            path: Some(path.to_path_buf()),
            inner: Mutex::new(Inner::new(Some(file), retain)),
        })
    }

    /// A journal kept in memory only (tests, `check` runs).
    pub fn in_memory() -> Journal {
        Journal {
            path: None,
            inner: Mutex::new(Inner::new(None, true)),
        }
    }

    /// A journal that writes nothing and keeps nothing: it only assigns sequence numbers and
    /// counts exchanges ([`Journal::len`]). [`Journal::entries`] returns an empty `Vec` and
    /// classifications are dropped. For benchmarks, where the journal must not be what is
    /// measured.
    pub fn counting() -> Journal {
        Journal {
            path: None,
            inner: Mutex::new(Inner::new(None, false)),
        }
    }

    /// Whether exchanges are kept in memory ([`Journal::in_memory`], [`Journal::create`]);
    /// false for [`Journal::create_streaming`] and [`Journal::counting`].
    pub fn retains_entries(&self) -> bool {
        self.lock().retain
    }

    /// The file the journal streams to, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic in another thread while holding the lock leaves the data intact (every
        // mutation is a push or a field write), so keep journalling rather than lose evidence.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Record an exchange, assigning its sequence number (from 1), and return that number.
    ///
    /// The line is on disk (written and flushed) when this returns. A write failure does not
    /// stop the run — the exchange is still kept in memory — but is remembered and can be
    /// collected with [`Journal::take_write_error`], so the harness can report it as an error.
    pub fn record(&self, exchange: Exchange) -> u64 {
        self.record_line(None, exchange)
    }

    fn record_line(&self, sending: Option<Sending>, mut exchange: Exchange) -> u64 {
        let mut inner = self.lock();
        inner.recorded += 1;
        let seq = inner.recorded;
        exchange.seq = seq;
        if inner.file.is_some() {
            let result = match serde_json::to_string(&exchange) {
                // `{"sending":N,` + the exchange's own fields: one line, read back by `load`.
                Ok(line) => match (sending, line.strip_prefix('{')) {
                    (Some(Sending(id)), Some(fields)) => {
                        inner.append_line(&format!("{{\"sending\":{id},{fields}"))
                    }
                    _ => inner.append_line(&line),
                },
                Err(e) => Err(io::Error::other(e)),
            };
            inner.note(result);
        }
        if inner.retain {
            inner.entries.push(exchange);
        }
        seq
    }

    /// Journal the request of `exchange` (its request fields; the response fields are not
    /// written) before it is sent: if the process dies before [`Journal::record_sent`], the
    /// file still shows what was being sent. A no-op for journals without a file.
    pub fn begin(&self, exchange: &Exchange) -> Sending {
        let mut inner = self.lock();
        inner.sending += 1;
        let id = inner.sending;
        if inner.file.is_some() {
            let line = serde_json::to_string(&SendingLine {
                sending: id,
                request: exchange,
            });
            let result = match line {
                Ok(line) => inner.append_line(&line),
                Err(e) => Err(io::Error::other(e)),
            };
            inner.note(result);
        }
        Sending(id)
    }

    /// [`Journal::record`] the exchange whose request [`Journal::begin`] journalled: its line
    /// names the request it completes.
    pub fn record_sent(&self, sending: Sending, exchange: Exchange) -> u64 {
        self.record_line(Some(sending), exchange)
    }

    /// Attach the Nodo's classification to exchange `seq`; appended as a
    /// `{"seq":..,"classification":..}` line. Unknown sequence numbers are ignored.
    pub fn update_classification(&self, seq: u64, classification: impl Into<String>) {
        let mut inner = self.lock();
        if seq == 0 || seq > inner.recorded {
            return;
        }
        let classification = classification.into();
        if inner.retain {
            let Some(entry) = usize::try_from(seq - 1)
                .ok()
                .and_then(|idx| inner.entries.get_mut(idx))
            else {
                return;
            };
            entry.classification = Some(classification.clone());
        }
        if inner.file.is_none() {
            return;
        }
        let line = serde_json::to_string(&ClassificationLine {
            seq,
            classification,
        });
        let result = match line {
            Ok(line) => inner.append_line(&line),
            Err(e) => Err(io::Error::other(e)),
        };
        inner.note(result);
    }

    /// A copy of every exchange recorded so far, with classifications applied; always empty
    /// for a journal that does not retain them ([`Journal::create_streaming`],
    /// [`Journal::counting`]).
    pub fn entries(&self) -> Vec<Exchange> {
        self.lock().entries.clone()
    }

    /// How many exchanges were recorded (retained or not).
    pub fn len(&self) -> usize {
        usize::try_from(self.lock().recorded).unwrap_or(usize::MAX)
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first write error since the last call, if the file could not be written.
    pub fn take_write_error(&self) -> Option<io::Error> {
        self.lock().write_error.take()
    }

    /// Read a journal file back: exchanges in order, with later classification lines applied.
    /// A truncated last line (a crash mid-write) is skipped; any other bad line is an error.
    /// A request journalled by [`Journal::begin`] with no exchange after it (the run died
    /// during the call) comes back last, as an exchange with no response and a transport
    /// error of kind [`TransportErrorKind::Other`] saying so ([`UNFINISHED`]).
    pub fn load(path: impl AsRef<Path>) -> io::Result<Vec<Exchange>> {
        let reader = BufReader::new(File::open(path)?);
        let lines: Vec<String> = reader.lines().collect::<io::Result<_>>()?;
        let mut out: Vec<Exchange> = Vec::new();
        let mut pending: std::collections::BTreeMap<u64, Exchange> = Default::default();
        let last = lines.len().saturating_sub(1);
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Line>(line) {
                Ok(Line::Exchange(ex)) => {
                    if let Some(id) = completes(line) {
                        pending.remove(&id);
                    }
                    out.push(*ex);
                }
                Ok(Line::Sending(s)) => {
                    pending.insert(s.sending, s.request);
                }
                Ok(Line::Classification(c)) => {
                    if let Some(ex) = out.iter_mut().rev().find(|e| e.seq == c.seq) {
                        ex.classification = Some(c.classification);
                    }
                }
                Err(_) if i == last => break,
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("journal line {}: {e}", i + 1),
                    ));
                }
            }
        }
        let mut seq = out.iter().map(|e| e.seq).max().unwrap_or(0);
        for (_, mut ex) in pending {
            seq += 1;
            ex.seq = seq;
            ex.response = None;
            ex.transport_error = Some(TransportError {
                kind: TransportErrorKind::Other,
                message: UNFINISHED.to_string(),
                tls: None,
            });
            out.push(ex);
        }
        Ok(out)
    }
}

/// The request id an exchange line completes (`{"sending":N,...`), if it names one.
fn completes(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("{\"sending\":")?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}

impl Inner {
    fn append_line(&mut self, line: &str) -> io::Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        // One write_all of the whole line plus newline, then flush: lines never interleave
        // (we hold the lock) and each is on disk before the caller goes on.
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        file.write_all(&buf)?;
        file.flush()
    }

    fn note(&mut self, result: io::Result<()>) {
        if let Err(e) = result {
            tracing::error!(error = %e, "journal write failed");
            if self.write_error.is_none() {
                self.write_error = Some(e);
            }
        }
    }
}

/// Standard base64 (RFC 4648, with padding), enough for journal bodies.
pub(crate) mod b64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// Encode bytes.
    pub(crate) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    let idx = (n >> (18 - 6 * i)) & 63;
                    out.push(char::from(ALPHABET[idx as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// Decode padded base64; `None` on any invalid input.
    pub(crate) fn decode(s: &str) -> Option<Vec<u8>> {
        let s = s.as_bytes();
        if s.len() % 4 != 0 {
            return None;
        }
        let val = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|p| p as u32);
        let mut out = Vec::with_capacity(s.len() / 4 * 3);
        let quads = s.len() / 4;
        for (qi, q) in s.chunks(4).enumerate() {
            let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 || (pad > 0 && qi + 1 != quads) {
                return None;
            }
            let mut n = 0u32;
            for &c in &q[..4 - pad] {
                n = (n << 6) | val(c)?;
            }
            n <<= 6 * pad as u32;
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - pad]);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(body: Vec<u8>) -> Exchange {
        Exchange {
            seq: 0,
            primitive: Primitive::VerifyPaymentNotice,
            url: "http://127.0.0.1:1/".into(),
            request_headers: vec![("SOAPAction".into(), "\"paVerifyPaymentNotice\"".into())],
            request_body: "<x/>".into(),
            response: Some(HttpReply {
                status: 200,
                headers: vec![("content-type".into(), "text/xml".into())],
                body,
            }),
            transport_error: None,
            injected_fault: None,
            real_started_at: "2026-01-01T00:00:00.000Z".into(),
            latency_ms: 1.5,
            virtual_at: VirtualTime::from_millis(0),
            classification: None,
            scenario: Some("s".into()),
            step: Some(0),
        }
    }

    #[test]
    fn base64_round_trip() {
        for len in 0..20 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            let enc = b64::encode(&bytes);
            assert_eq!(b64::decode(&enc).unwrap(), bytes);
        }
        assert_eq!(b64::encode(b"Man"), "TWFu");
        assert_eq!(b64::encode(b"Ma"), "TWE=");
        assert_eq!(b64::decode("TQ=="), Some(b"M".to_vec()));
        assert_eq!(b64::decode("T==="), None);
        assert_eq!(b64::decode("TQ==TQ=="), None);
        assert_eq!(b64::decode("T!=="), None);
    }

    #[test]
    fn bodies_are_text_or_base64() {
        let text = serde_json::to_value(exchange(b"<ok/>".to_vec())).unwrap();
        assert_eq!(text["response"]["body"], "<ok/>");
        assert_eq!(text["response"]["body_encoding"], "utf-8");
        let bin = exchange(vec![0xff, 0xfe, b'a']);
        let v = serde_json::to_value(&bin).unwrap();
        assert_eq!(v["response"]["body_encoding"], "base64");
        let back: Exchange = serde_json::from_value(v).unwrap();
        assert_eq!(back, bin);
    }

    #[test]
    fn file_journal_streams_lines_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let j = Journal::create(&path).unwrap();
        assert_eq!(j.record(exchange(b"<a/>".to_vec())), 1);
        // On disk before anything else happens.
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert_eq!(j.record(exchange(vec![0x80])), 2);
        j.update_classification(2, "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
        j.update_classification(99, "ignored");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[2],
            r#"{"seq":2,"classification":"PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"}"#
        );
        let loaded = Journal::load(&path).unwrap();
        assert_eq!(loaded, j.entries());
        assert_eq!(
            loaded[1].classification.as_deref(),
            Some("PPT_STAZIONE_INT_PA_ERRORE_RESPONSE")
        );
        assert!(j.take_write_error().is_none());
    }

    #[test]
    fn a_request_is_on_disk_before_its_answer_and_a_missing_answer_loads_as_unfinished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let j = Journal::create(&path).unwrap();
        let first = j.begin(&exchange(Vec::new()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\"sending\":1,\"request\":{"), "{text}");
        assert_eq!(j.record_sent(first, exchange(b"<ok/>".to_vec())), 1);
        // The second call never gets its answer: the process dies here.
        let _second = j.begin(&exchange(Vec::new()));
        drop(j);
        let loaded = Journal::load(&path).unwrap();
        assert_eq!(loaded.len(), 2, "{loaded:?}");
        assert_eq!(loaded[0].response.as_ref().unwrap().body, b"<ok/>");
        assert!(loaded[0].transport_error.is_none());
        assert_eq!(loaded[1].seq, 2);
        assert!(loaded[1].response.is_none());
        let err = loaded[1].transport_error.as_ref().unwrap();
        assert_eq!(err.kind, TransportErrorKind::Other);
        assert_eq!(err.message, UNFINISHED);
        assert_eq!(loaded[1].request_body, exchange(Vec::new()).request_body);
    }

    #[test]
    fn load_skips_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let j = Journal::create(&path).unwrap();
        j.record(exchange(b"<a/>".to_vec()));
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"seq\":2,\"primi").unwrap();
        assert_eq!(Journal::load(&path).unwrap().len(), 1);
    }

    #[test]
    fn streaming_journal_writes_the_same_file_but_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let full_path = dir.path().join("full.jsonl");
        let lean_path = dir.path().join("lean.jsonl");
        let full = Journal::create(&full_path).unwrap();
        let lean = Journal::create_streaming(&lean_path).unwrap();
        assert!(full.retains_entries() && !lean.retains_entries());
        for j in [&full, &lean] {
            assert_eq!(j.record(exchange(b"<a/>".to_vec())), 1);
            assert_eq!(j.record(exchange(vec![0x80])), 2);
            j.update_classification(2, "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
            j.update_classification(3, "ignored: not recorded yet");
            j.update_classification(0, "ignored");
        }
        assert_eq!(
            std::fs::read_to_string(&lean_path).unwrap(),
            std::fs::read_to_string(&full_path).unwrap()
        );
        assert!(lean.entries().is_empty());
        assert_eq!(lean.len(), 2);
        assert!(!lean.is_empty());
        assert_eq!(lean.path(), Some(lean_path.as_path()));
        assert_eq!(Journal::load(&lean_path).unwrap(), full.entries());
        assert!(lean.take_write_error().is_none());
    }

    #[test]
    fn counting_journal_only_counts() {
        let j = Journal::counting();
        assert!(j.is_empty() && !j.retains_entries());
        for n in 1..=5 {
            assert_eq!(j.record(exchange(Vec::new())), n);
        }
        j.update_classification(3, "OK");
        assert_eq!(j.len(), 5);
        assert!(j.entries().is_empty());
        assert!(j.path().is_none());
        assert!(j.take_write_error().is_none());
    }

    #[test]
    fn in_memory_assigns_sequence_numbers() {
        let j = Journal::in_memory();
        assert!(j.is_empty());
        j.record(exchange(Vec::new()));
        j.record(exchange(Vec::new()));
        let seqs: Vec<u64> = j.entries().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2]);
        assert!(j.path().is_none());
    }
}
