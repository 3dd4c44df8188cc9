//! The axum transport of the mock ACA: reads the request, hands it to
//! [`handle_request`](super::handler::handle_request), logs the call, writes the answer.
//!
//! Every path and method goes through the one fallback handler, so that a call to a wrong
//! route or with a wrong method is logged like any other (an EC posting to the wrong URL is
//! exactly what the checks must see) and answered with a ProblemJson instead of axum's empty
//! 404/405.

use super::calls::{AcaCall, REDACTED, logged_body};
use super::config::AcaConfig;
use super::faults::{AcaFault, Faults};
use super::handle::AcaError;
use super::handler::{AcaReply, AcaRequest, Body, KEY_HEADER, handle_request, injected_reply};
use super::query;
use super::store::AcaStore;
use crate::body::ReadOutcome;
use crate::clock::{Clock, SystemClock};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// What the server shares between requests: the configuration, the store and the injected
/// faults.
#[derive(Debug)]
pub struct AcaState {
    config: AcaConfig,
    store: AcaStore,
    faults: Faults,
}

impl AcaState {
    /// A state with a new, empty store whose call log follows the configuration
    /// ([`AcaConfig::journal_path`], [`AcaConfig::retain_calls`]).
    ///
    /// # Errors
    /// [`AcaError::Journal`] when the journal file cannot be created.
    pub fn new(config: AcaConfig) -> Result<Self, AcaError> {
        let store = match &config.journal_path {
            Some(path) => AcaStore::with_journal(path, config.retain_calls).map_err(|source| {
                AcaError::Journal {
                    path: path.clone(),
                    source,
                }
            })?,
            None if config.retain_calls => AcaStore::new(),
            None => AcaStore::counting_calls(),
        };
        Ok(AcaState::with_store(config, store))
    }

    /// A state over an existing store (e.g. one the Stand-In simulator already holds). The
    /// store keeps its own call log: `journal_path` and `retain_calls` of `config` are not
    /// used.
    pub fn with_store(config: AcaConfig, store: AcaStore) -> Self {
        AcaState {
            config,
            store,
            faults: Faults::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AcaConfig {
        &self.config
    }

    /// The store (a cheap handle: clone it to keep it).
    pub fn store(&self) -> &AcaStore {
        &self.store
    }

    /// Answer the next `count` calls with `status` and its ProblemJson body, without applying
    /// them to the store (TEST-PLAN.md ACA-007: does the EC retry or alert?).
    ///
    /// Only calls that reach the ACA service count: POSTs to [`ACA_PATH`](super::ACA_PATH)
    /// whose body was read whole, whatever their key or body; a wrong route or method, an
    /// oversized or stalled body is answered as usual and consumes nothing. Faults queue up:
    /// `inject(502, 2)` then `inject(401, 1)` answers 502, 502, then 401. Statuses 401, 409,
    /// 422, 500 and 502 get ACA's own ProblemJson, 503 one titled "Service unavailable", other
    /// 4xx/5xx a generic one; a status outside 400–599 is answered 500. A `count` of 0 injects
    /// nothing. Every injected answer is logged with [`AcaCall::injected`] set.
    pub fn inject(&self, status: u16, count: u32) {
        self.faults.push(status, count);
    }

    /// Drop every pending fault: the next calls are handled normally.
    pub fn clear_faults(&self) {
        self.faults.clear();
    }

    /// How many calls pending faults will still answer (saturating at `u32::MAX`).
    pub fn pending_faults(&self) -> u32 {
        self.faults.pending()
    }

    /// The pending faults, next first.
    pub fn faults(&self) -> Vec<AcaFault> {
        self.faults.list()
    }
}

/// The mock ACA's router over shared state (tests may drive it with `oneshot`, no socket).
pub fn app(state: Arc<AcaState>) -> Router {
    Router::new().fallback(serve_call).with_state(state)
}

async fn serve_call(State(state): State<Arc<AcaState>>, request: Request) -> Response {
    let at = state.config.clock.now();
    let real_at = SystemClock.now().to_string();
    let (parts, body) = request.into_parts();
    let limit = state.config.body_limit;
    let read = crate::body::read_within(body, &parts.headers, limit).await;
    let body = match read.outcome {
        ReadOutcome::Complete => Body::Complete(&read.kept),
        ReadOutcome::TooLarge => Body::TooLarge,
        ReadOutcome::TimedOut => Body::TimedOut,
        ReadOutcome::Broken => Body::Broken,
    };
    let request = AcaRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body,
    };
    // The handler is not expected to panic; if it ever does, the EC under test still gets an
    // answer and the call is still logged, rather than a reset connection and no evidence.
    let reply = catch_unwind(AssertUnwindSafe(|| {
        injected_reply(&state.faults, &state.store, &request)
            .unwrap_or_else(|| handle_request(&state.config, &state.store, &request, at))
    }))
    .unwrap_or_else(|_| {
        tracing::error!(path = request.path, "mock ACA handler panicked");
        AcaReply::internal_error()
    });
    let (logged, body_truncated) = logged_body(&read.kept, read.len);
    state.store.record_call(AcaCall {
        seq: 0,
        virtual_at: at,
        real_at,
        method: request.method.to_string(),
        path: request.path.to_string(),
        query: request.query.map(query::redact),
        headers: logged_headers(&parts.headers),
        body: logged,
        body_len: read.len,
        body_truncated,
        status: reply.status,
        response: String::from_utf8_lossy(&reply.body).into_owned(),
        action: reply.action,
        iupd: reply.iupd,
        injected: reply.injected,
    });
    let incomplete = !matches!(read.outcome, ReadOutcome::Complete);
    let mut response = Response::new(axum::body::Body::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if reply.allow_post {
        headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if incomplete {
        // The rest of the body was not read, so the connection cannot carry another request.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Headers for the log, in order, names lowercase, the subscription key masked.
fn logged_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if name.as_str() == KEY_HEADER {
                REDACTED.to_string()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_string(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests;
