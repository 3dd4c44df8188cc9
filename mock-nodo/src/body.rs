//! Reading a request body within a limit, for the mock REST servers (ACA, GPD): the bytes kept
//! are capped, an oversized body is drained up to a bound so the client reads the 413 rather
//! than a reset, and a client that stalls gets a timeout, not a task held forever.

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt;
use std::time::Duration;

/// How long a client may take to send its body.
pub(crate) const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// An oversized body is still read (and discarded) up to this many times the limit, so that
/// the client, still sending, reads the 413 instead of a connection reset. Beyond that the
/// connection is dropped after the answer.
const DRAIN_FACTOR: usize = 8;
/// Lower bound of the drain cap, for small configured limits.
const DRAIN_MIN: usize = 8 * 1024 * 1024;

/// How far the body was read.
pub(crate) enum ReadOutcome {
    Complete,
    TooLarge,
    TimedOut,
    Broken,
}

/// The body bytes kept (at most the limit) and the size sent.
pub(crate) struct ReadBody {
    pub(crate) kept: Vec<u8>,
    pub(crate) len: usize,
    pub(crate) outcome: ReadOutcome,
}

/// Reads `body`, keeping at most `limit` bytes, within [`BODY_READ_TIMEOUT`].
pub(crate) async fn read_within(
    body: axum::body::Body,
    headers: &HeaderMap,
    limit: usize,
) -> ReadBody {
    tokio::time::timeout(BODY_READ_TIMEOUT, read_body(body, headers, limit))
        .await
        .unwrap_or(ReadBody {
            kept: Vec::new(),
            len: 0,
            outcome: ReadOutcome::TimedOut,
        })
}

/// Read the body, keeping at most `limit` bytes; past the limit, discard up to the drain cap.
async fn read_body(mut body: axum::body::Body, headers: &HeaderMap, limit: usize) -> ReadBody {
    let drain_cap = limit.saturating_mul(DRAIN_FACTOR).max(DRAIN_MIN);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(declared) = declared.filter(|&d| d > drain_cap) {
        // Not worth reading at all: answer now, the connection closes after the answer.
        return ReadBody {
            kept: Vec::new(),
            len: declared,
            outcome: ReadOutcome::TooLarge,
        };
    }
    let mut kept = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        let data: Bytes = match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => data,
                // Trailers carry no body bytes.
                Err(_) => continue,
            },
            Err(_) => {
                return ReadBody {
                    kept,
                    len,
                    outcome: ReadOutcome::Broken,
                };
            }
        };
        len = len.saturating_add(data.len());
        let room = limit.saturating_sub(kept.len());
        kept.extend_from_slice(data.get(..room).unwrap_or(&data));
        if len > drain_cap {
            break;
        }
    }
    let outcome = if len > limit {
        ReadOutcome::TooLarge
    } else {
        ReadOutcome::Complete
    };
    ReadBody { kept, len, outcome }
}
