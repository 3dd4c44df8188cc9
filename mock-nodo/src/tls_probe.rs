//! The TLS-version probe of CON-001: does the station refuse TLS 1.0 and 1.1?
//!
//! rustls cannot offer TLS 1.0/1.1 at all (and OpenSSL is not used here), so the probe writes
//! one ClientHello by hand from RFC 2246 (TLS 1.0), RFC 4346 (TLS 1.1) and RFC 5246 §7.4.1.2
//! (the extensions block), sends it in a single handshake record, and reads the first record of
//! the answer:
//!
//! * a ServerHello (handshake type 2) naming TLS 1.0 or 1.1 (or SSL 3.0) — the station
//!   **accepted** a legacy version: CON-001 fails;
//! * an alert record (`protocol_version` is what a TLS ≥ 1.2 server sends), the connection
//!   closed or reset, or a ServerHello naming a version above the offered one — **refused**;
//! * bytes that are not a TLS record (`HTTP/1.1 400 …` from a plain-HTTP port) — **not TLS**;
//! * no TCP connection, or no answer in time.
//!
//! The handshake never goes past the ServerHello: nothing is encrypted, nothing is verified.
//! Every length in the answer is checked before use; no server bytes can make it panic.

use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest answer read before giving up on finding a ServerHello in it: a TLS record holds
/// at most 2¹⁴ bytes plus 2 048 of expansion, and the ServerHello comes first.
const MAX_ANSWER: usize = 20 * 1024;

/// Record content types (RFC 5246 §6.2.1).
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
/// Handshake message types (RFC 5246 §7.4).
const CLIENT_HELLO: u8 = 1;
const SERVER_HELLO: u8 = 2;

/// The cipher suites a TLS 1.0/1.1 server picks from: ECDHE with RSA or ECDSA certificates,
/// plain RSA key exchange, and 3DES for the oldest.
const SUITES: [u16; 6] = [
    0xc013, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    0xc009, // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
    0xc014, // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
    0x002f, // TLS_RSA_WITH_AES_128_CBC_SHA
    0x0035, // TLS_RSA_WITH_AES_256_CBC_SHA
    0x000a, // TLS_RSA_WITH_3DES_EDE_CBC_SHA
];

/// A protocol version a station must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyVersion {
    /// TLS 1.0 (RFC 2246), `0x0301`.
    Tls10,
    /// TLS 1.1 (RFC 4346), `0x0302`.
    Tls11,
}

impl LegacyVersion {
    /// Both, oldest first.
    pub const ALL: [LegacyVersion; 2] = [LegacyVersion::Tls10, LegacyVersion::Tls11];

    /// The `ProtocolVersion` on the wire.
    pub fn wire(self) -> u16 {
        match self {
            LegacyVersion::Tls10 => 0x0301,
            LegacyVersion::Tls11 => 0x0302,
        }
    }
}

impl fmt::Display for LegacyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(version_name(self.wire()))
    }
}

/// The name of a `ProtocolVersion`, `"unknown version"` for anything not SSL 3.0 to TLS 1.3.
pub fn version_name(version: u16) -> &'static str {
    match version {
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        _ => "unknown version",
    }
}

/// The name of an alert description (RFC 5246 §7.2, RFC 8446 §6).
pub fn alert_name(description: u8) -> &'static str {
    match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        47 => "illegal_parameter",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown alert",
    }
}

/// How a station refused the legacy ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// It sent an alert (`protocol_version`, 70, from a TLS ≥ 1.2 server).
    Alert {
        /// 1 warning, 2 fatal.
        level: u8,
        /// The alert description.
        description: u8,
    },
    /// It closed the connection without a full answer.
    Closed,
    /// It reset the connection.
    Reset,
    /// Its ServerHello names a version above the one offered: it will not go that low.
    HigherVersion {
        /// The version in the ServerHello.
        version: u16,
    },
}

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The station answered with a ServerHello for a legacy version: it speaks it.
    Accepted {
        /// The version in the ServerHello (the offered one, or an even older one).
        version: u16,
    },
    /// The station would not speak the offered version.
    Refused {
        /// How.
        how: Refusal,
    },
    /// The answer is not a TLS record (a plain-HTTP port answers `HTTP/1.1 400`).
    NotTls {
        /// The first bytes of the answer, printable characters only.
        start: String,
    },
    /// TLS records, but not a ServerHello or an alert first.
    Unexpected {
        /// What came.
        detail: String,
    },
    /// No TCP connection.
    Unreachable {
        /// The connect error.
        error: String,
    },
    /// No connection or no answer within the timeout.
    Timeout {
        /// The timeout.
        after: Duration,
    },
}

impl ProbeOutcome {
    /// Whether the station proved it refuses the version: [`ProbeOutcome::Refused`] only.
    pub fn is_refused(&self) -> bool {
        matches!(self, ProbeOutcome::Refused { .. })
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Alert { level, description } => write!(
                f,
                "{} alert {} ({description})",
                if *level == 1 { "warning" } else { "fatal" },
                alert_name(*description)
            ),
            Refusal::Closed => f.write_str("connection closed without an answer"),
            Refusal::Reset => f.write_str("connection reset"),
            Refusal::HigherVersion { version } => write!(
                f,
                "the ServerHello names {} ({version:#06x}), above the offered version",
                version_name(*version)
            ),
        }
    }
}

impl fmt::Display for ProbeOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeOutcome::Accepted { version } => write!(
                f,
                "accepted: the station answered with a ServerHello for {} ({version:#06x})",
                version_name(*version)
            ),
            ProbeOutcome::Refused { how } => write!(f, "refused: {how}"),
            ProbeOutcome::NotTls { start } => {
                write!(f, "not TLS: the station answered {start:?}")
            }
            ProbeOutcome::Unexpected { detail } => write!(f, "unexpected TLS answer: {detail}"),
            ProbeOutcome::Unreachable { error } => write!(f, "unreachable: {error}"),
            ProbeOutcome::Timeout { after } => write!(f, "no answer within {after:?}"),
        }
    }
}

/// Offer `version` only to `host:port` and report how the server answers. `host` is a DNS
/// name (sent as SNI) or an IP address. `timeout` bounds the connection and, separately, the
/// wait for the answer.
pub async fn probe_legacy(
    host: &str,
    port: u16,
    version: LegacyVersion,
    timeout: Duration,
) -> ProbeOutcome {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let mut stream = match tokio::time::timeout(timeout, TcpStream::connect((bare, port))).await {
        Err(_) => return ProbeOutcome::Timeout { after: timeout },
        Ok(Err(e)) => {
            return ProbeOutcome::Unreachable {
                error: e.to_string(),
            };
        }
        Ok(Ok(s)) => s,
    };
    let sni = if bare.parse::<IpAddr>().is_ok() {
        None
    } else {
        Some(bare)
    };
    let hello = client_hello(version, hello_random(), sni);
    match tokio::time::timeout(timeout, exchange(&mut stream, &hello, version)).await {
        Ok(outcome) => outcome,
        Err(_) => ProbeOutcome::Timeout { after: timeout },
    }
}

/// The hello's random. rand is built without its OS generator here, and this only has to
/// differ between probes, not be secret: nothing past the ServerHello is ever negotiated.
fn hello_random() -> [u8; 32] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut random = [0u8; 32];
    SmallRng::seed_from_u64(nanos ^ u64::from(std::process::id())).fill_bytes(&mut random);
    random
}

async fn exchange(stream: &mut TcpStream, hello: &[u8], offered: LegacyVersion) -> ProbeOutcome {
    if let Err(e) = stream.write_all(hello).await {
        return refused_by_io(&e);
    }
    let mut answer = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return classify(offered, &answer, true).unwrap_or(closed()),
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if let Some(outcome) = classify(offered, &answer, answer.len() >= MAX_ANSWER) {
                    return outcome;
                }
            }
            Err(e) => {
                return match classify(offered, &answer, true) {
                    // A reset after nothing, or after half a record, is the refusal itself.
                    Some(ProbeOutcome::Refused {
                        how: Refusal::Closed,
                    })
                    | None => refused_by_io(&e),
                    Some(outcome) => outcome,
                };
            }
        }
    }
}

fn closed() -> ProbeOutcome {
    ProbeOutcome::Refused {
        how: Refusal::Closed,
    }
}

fn refused_by_io(e: &std::io::Error) -> ProbeOutcome {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    ProbeOutcome::Refused {
        how: if matches!(e.kind(), ConnectionReset | ConnectionAborted | BrokenPipe) {
            Refusal::Reset
        } else {
            Refusal::Closed
        },
    }
}

/// The ClientHello record offering `version` only, with the given random and SNI.
pub fn client_hello(version: LegacyVersion, random: [u8; 32], sni: Option<&str>) -> Vec<u8> {
    let mut extensions = Vec::new();
    if let Some(name) = sni.filter(|n| !n.is_empty() && n.len() <= 255 && n.is_ascii()) {
        // server_name (RFC 6066 §3): list of one host_name entry.
        let name = name.as_bytes();
        let mut list = vec![0u8]; // name_type host_name
        push_u16(&mut list, name.len());
        list.extend_from_slice(name);
        let mut data = Vec::new();
        push_u16(&mut data, list.len());
        data.extend_from_slice(&list);
        push_extension(&mut extensions, 0x0000, &data);
    }
    // supported_groups (RFC 8422 §5.1.1): x25519, secp256r1, secp384r1.
    push_extension(
        &mut extensions,
        0x000a,
        &[0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18],
    );
    // ec_point_formats: uncompressed.
    push_extension(&mut extensions, 0x000b, &[0x01, 0x00]);
    // renegotiation_info (RFC 5746 §3.2): empty renegotiated_connection.
    push_extension(&mut extensions, 0xff01, &[0x00]);

    let mut body = Vec::with_capacity(128);
    body.extend_from_slice(&version.wire().to_be_bytes());
    body.extend_from_slice(&random);
    body.push(0); // session_id: empty
    push_u16(&mut body, SUITES.len() * 2);
    for suite in SUITES {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // compression_methods: null
    push_u16(&mut body, extensions.len());
    body.extend_from_slice(&extensions);

    let mut handshake = Vec::with_capacity(body.len() + 4);
    handshake.push(CLIENT_HELLO);
    let len = body.len();
    handshake.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
    handshake.extend_from_slice(&body);

    let mut record = Vec::with_capacity(handshake.len() + 5);
    record.push(HANDSHAKE);
    // The record layer says TLS 1.0, as clients of that era did, whatever the hello offers.
    record.extend_from_slice(&0x0301u16.to_be_bytes());
    push_u16(&mut record, handshake.len());
    record.extend_from_slice(&handshake);
    record
}

fn push_u16(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u16).to_be_bytes());
}

fn push_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    push_u16(out, data.len());
    out.extend_from_slice(data);
}

/// Judge the answer so far. `None`: more bytes are needed (never when `complete`, i.e. the
/// stream ended or enough was read). Never panics, whatever the bytes.
pub fn classify(offered: LegacyVersion, answer: &[u8], complete: bool) -> Option<ProbeOutcome> {
    let need_more = || if complete { Some(closed()) } else { None };
    let Some(&first) = answer.first() else {
        return need_more();
    };
    if (first != ALERT && first != HANDSHAKE) || answer.get(1).is_some_and(|&major| major != 3) {
        return Some(not_tls(answer));
    }
    // The handshake bytes gathered from consecutive handshake records: a server may split the
    // ServerHello's first six bytes over several records.
    let mut handshake = Vec::new();
    let mut rest = answer;
    loop {
        let Some(header) = rest.get(..5) else {
            return need_more();
        };
        let kind = header[0];
        let length = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if header[1] != 3 || length == 0 || length > (1 << 14) + 2048 {
            return Some(not_tls(answer));
        }
        let fragment = &rest[5..];
        match kind {
            ALERT if handshake.is_empty() => {
                return match fragment.get(..2) {
                    Some(&[level, description]) => Some(ProbeOutcome::Refused {
                        how: Refusal::Alert { level, description },
                    }),
                    _ => need_more(),
                };
            }
            HANDSHAKE => {
                let take = length.min(fragment.len());
                handshake.extend_from_slice(&fragment[..take]);
                if let Some(outcome) = server_hello(offered, &handshake) {
                    return Some(outcome);
                }
                if take < length {
                    return need_more();
                }
                rest = &fragment[length..];
            }
            other => {
                return Some(ProbeOutcome::Unexpected {
                    detail: format!(
                        "a record of content type {other} before the ServerHello was complete"
                    ),
                });
            }
        }
    }
}

/// The verdict from the start of the handshake messages, once there is enough of it.
fn server_hello(offered: LegacyVersion, handshake: &[u8]) -> Option<ProbeOutcome> {
    let &message = handshake.first()?;
    if message != SERVER_HELLO {
        return Some(ProbeOutcome::Unexpected {
            detail: format!("handshake message type {message} first, not a ServerHello (2)"),
        });
    }
    // type (1), length (3), server_version (2).
    let version = handshake.get(4..6)?;
    let version = u16::from_be_bytes([version[0], version[1]]);
    Some(if version < 0x0300 {
        ProbeOutcome::Unexpected {
            detail: format!("a ServerHello naming version {version:#06x}"),
        }
    } else if version > offered.wire() {
        ProbeOutcome::Refused {
            how: Refusal::HigherVersion { version },
        }
    } else {
        ProbeOutcome::Accepted { version }
    })
}

fn not_tls(answer: &[u8]) -> ProbeOutcome {
    let start: String = String::from_utf8_lossy(&answer[..answer.len().min(40)])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    ProbeOutcome::NotTls {
        start: start.trim_end().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn server_hello_record(version: u16) -> Vec<u8> {
        let mut body = version.to_be_bytes().to_vec();
        body.extend_from_slice(&[7u8; 32]);
        body.extend_from_slice(&[0, 0xc0, 0x13, 0]);
        let mut hs = vec![SERVER_HELLO, 0, 0, body.len() as u8];
        hs.extend_from_slice(&body);
        let mut rec = vec![HANDSHAKE, 3, 1, 0, hs.len() as u8];
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn the_client_hello_is_well_formed() {
        let hello = client_hello(LegacyVersion::Tls11, [9; 32], Some("station.example"));
        assert_eq!(hello[0], HANDSHAKE);
        assert_eq!(
            usize::from(u16::from_be_bytes([hello[3], hello[4]])),
            hello.len() - 5
        );
        assert_eq!(hello[5], CLIENT_HELLO);
        let len = usize::from(hello[6]) << 16 | usize::from(hello[7]) << 8 | usize::from(hello[8]);
        assert_eq!(len, hello.len() - 9);
        assert_eq!(&hello[9..11], &[3, 2]);
        // No supported_versions (43) extension: a TLS 1.3 server must not see one.
        assert!(!hello.windows(2).any(|w| w == [0x00, 0x2b]));
        assert!(hello.windows(15).any(|w| w == b"station.example"));
        let no_sni = client_hello(LegacyVersion::Tls10, [9; 32], None);
        assert_eq!(hello.len() - no_sni.len(), 4 + 5 + "station.example".len());
    }

    #[test]
    fn a_legacy_server_hello_is_acceptance() {
        let rec = server_hello_record(0x0301);
        assert_eq!(
            classify(LegacyVersion::Tls10, &rec, false),
            Some(ProbeOutcome::Accepted { version: 0x0301 })
        );
        // Six bytes of the message are enough, split over two records.
        let mut split = vec![HANDSHAKE, 3, 1, 0, 3];
        split.extend_from_slice(&rec[5..8]);
        split.extend_from_slice(&[HANDSHAKE, 3, 1, 0, 3]);
        split.extend_from_slice(&rec[8..11]);
        assert_eq!(
            classify(LegacyVersion::Tls10, &split, false),
            Some(ProbeOutcome::Accepted { version: 0x0301 })
        );
        assert_eq!(classify(LegacyVersion::Tls10, &rec[..9], false), None);
    }

    #[test]
    fn refusals() {
        assert_eq!(
            classify(LegacyVersion::Tls10, &[ALERT, 3, 3, 0, 2, 2, 70], false),
            Some(ProbeOutcome::Refused {
                how: Refusal::Alert {
                    level: 2,
                    description: 70
                }
            })
        );
        assert_eq!(
            classify(LegacyVersion::Tls11, &server_hello_record(0x0303), false),
            Some(ProbeOutcome::Refused {
                how: Refusal::HigherVersion { version: 0x0303 }
            })
        );
        assert_eq!(classify(LegacyVersion::Tls11, &[], true), Some(closed()));
        assert_eq!(
            classify(LegacyVersion::Tls11, &[ALERT, 3], true),
            Some(closed())
        );
        let text = ProbeOutcome::Refused {
            how: Refusal::Alert {
                level: 2,
                description: 70,
            },
        }
        .to_string();
        assert_eq!(text, "refused: fatal alert protocol_version (70)");
    }

    #[test]
    fn http_is_not_tls() {
        let outcome = classify(
            LegacyVersion::Tls10,
            b"HTTP/1.1 400 Bad Request\r\n\r\n",
            false,
        )
        .unwrap();
        assert_eq!(
            outcome,
            ProbeOutcome::NotTls {
                start: "HTTP/1.1 400 Bad Request".to_string()
            }
        );
    }

    proptest! {
        #[test]
        fn any_answer_is_classified_without_panicking(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            complete: bool,
            tls11: bool,
        ) {
            let offered = if tls11 { LegacyVersion::Tls11 } else { LegacyVersion::Tls10 };
            let outcome = classify(offered, &bytes, complete);
            if complete {
                prop_assert!(outcome.is_some());
            }
            if let Some(o) = outcome {
                let _ = o.to_string();
            }
        }

        #[test]
        fn any_answer_behind_a_plausible_record_header_is_classified_without_panicking(
            kind in prop_oneof![Just(ALERT), Just(HANDSHAKE), any::<u8>()],
            minor in 0u8..5,
            len in any::<u16>(),
            tail in proptest::collection::vec(any::<u8>(), 0..300),
            complete: bool,
        ) {
            let mut bytes = vec![kind, 3, minor];
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend_from_slice(&tail);
            let _ = classify(LegacyVersion::Tls10, &bytes, complete);
        }
    }
}
