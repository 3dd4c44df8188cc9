//! The Nodo's side of the wire: builds requests exactly as the Nodo does, posts them to the
//! station with real timeouts, applies injected faults and journals every exchange.
//!
//! Real network I/O keeps real time: each call is bounded by the primitive's Nodo timeout on
//! real tokio time (never paused time), covering connection, headers and the whole body. An
//! injected fault costs virtual time instead (see [`crate::transport`]). Real calls do not move
//! the scenario clock; the engine decides how scenario time advances between steps.

use crate::checks::{BackOffice, CheckPolicy, Judgement};
use crate::clock::{Clock, SystemClock};
use crate::connection::{Connection, ProxyChoice, REDACTED};
use crate::journal::{Exchange, HttpReply, Journal, TransportError, TransportErrorKind};
use crate::tls::TlsSettings;
use crate::transport::{Corruption, Fault, UnavailableAnswer};
use collaudo_wire::{
    Amount, Caller, DemandPaymentNoticeReq, GetPaymentReq, Message, Primitive, QrCode, Receipt,
    SendRtReq, TransferType, VerifyPaymentNoticeReq,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The `Content-Type` the Nodo sends.
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// How much of a too-large body is kept in the journal as evidence.
const EVIDENCE_PREFIX: usize = 64 * 1024;

/// How the `SOAPAction` header is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SoapActionStyle {
    /// `"paVerifyPaymentNotice"`, the SOAP 1.1 form the Nodo components send (DOMAIN.md §1).
    #[default]
    Quoted,
    /// `paVerifyPaymentNotice`, to check that a station also accepts it.
    Unquoted,
}

impl SoapActionStyle {
    /// The header value for `primitive`.
    pub fn header_value(self, primitive: Primitive) -> String {
        match self {
            SoapActionStyle::Quoted => collaudo_wire::soap_action(primitive),
            SoapActionStyle::Unquoted => primitive.name().to_string(),
        }
    }
}

/// The station under test and the identities the Nodo uses toward it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationTarget {
    /// The station's service URL (`http://host:port/path`).
    pub url: String,
    /// idPA, idBrokerPA, idStation put at the top of every request.
    pub caller: Caller,
    /// How `SOAPAction` is written.
    #[serde(default)]
    pub soap_action_style: SoapActionStyle,
}

/// Real per-primitive timeouts of the Nodo toward the station.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeouts {
    overrides: BTreeMap<Primitive, Duration>,
}

impl Timeouts {
    /// The Nodo's own timeouts: 7 s, 15 s for paSendRT(V2) (DOMAIN.md §11).
    pub fn nodo() -> Self {
        Timeouts::default()
    }

    /// The same timeout for every primitive (tests use e.g. 300 ms).
    pub fn uniform(d: Duration) -> Self {
        Timeouts {
            overrides: Primitive::ALL.into_iter().map(|p| (p, d)).collect(),
        }
    }

    /// Override the timeout of one primitive.
    pub fn with(mut self, primitive: Primitive, d: Duration) -> Self {
        self.overrides.insert(primitive, d);
        self
    }

    /// The timeout of `primitive`.
    pub fn get(&self, primitive: Primitive) -> Duration {
        self.overrides
            .get(&primitive)
            .copied()
            .unwrap_or_else(|| primitive.nodo_timeout())
    }
}

/// Why a client could not be built. These are harness/configuration errors, never a verdict on
/// the station.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The station URL does not parse.
    #[error("invalid station url {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as configured.
        url: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The scheme is neither `http` nor `https`.
    #[error("unsupported scheme in station url {url:?}: only http:// and https:// are supported")]
    UnsupportedScheme {
        /// The URL as configured.
        url: String,
    },
    /// No TLS configuration could be made for an `https://` station.
    #[error("no TLS configuration for station url {url:?}: {reason}")]
    Tls {
        /// The URL as configured.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be initialised.
    #[error("cannot initialise the http client: {0}")]
    Http(String),
}

/// The mock Nodo's client toward one station.
///
/// Holds one `reqwest::Client`, so connections are pooled and reused across calls as the
/// Nodo's forwarder would.
#[derive(Debug, Clone)]
pub struct NodoClient {
    target: StationTarget,
    connection: Arc<Connection>,
    timeouts: Timeouts,
    clock: Arc<dyn Clock>,
    journal: Arc<Journal>,
    http: reqwest::Client,
    body_limit: usize,
}

impl NodoClient {
    /// Largest response body read (10 MiB); beyond it the exchange ends as
    /// [`TransportErrorKind::BodyTooLarge`] and the rest is not read.
    pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;
    /// Time allowed to open the TCP connection.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

    /// A client for `target`, reached as `connection` says (TLS, gateway headers, proxy).
    ///
    /// Redirects are never followed: a 3xx is the station's answer and is judged as such.
    pub fn new(
        target: StationTarget,
        connection: Arc<Connection>,
        timeouts: Timeouts,
        clock: Arc<dyn Clock>,
        journal: Arc<Journal>,
    ) -> Result<Self, ClientError> {
        let url = reqwest::Url::parse(&target.url).map_err(|e| ClientError::InvalidUrl {
            url: target.url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ClientError::UnsupportedScheme {
                url: target.url.clone(),
            });
        }
        // reqwest has no crypto provider of its own in this build: the mock Nodo always hands
        // it a finished rustls configuration. A plain-http station never uses it, so it gets
        // one without roots rather than paying for the system store.
        let tls = match (&connection.tls, url.scheme()) {
            (Some(t), _) => t.client_config().clone(),
            (None, "https") => TlsSettings::system_default()
                .map_err(|reason| ClientError::Tls {
                    url: target.url.clone(),
                    reason,
                })?
                .client_config()
                .clone(),
            (None, _) => plain_http_tls_config(),
        };
        let builder = reqwest::Client::builder()
            .connect_timeout(Self::CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured((*tls).clone())
            .user_agent(concat!("collaudo/", env!("CARGO_PKG_VERSION")));
        let builder = match &connection.proxy {
            // The Nodo calls the station directly; an environment proxy would answer in the
            // station's place (e.g. a 502 page) and distort the classification.
            ProxyChoice::Direct => builder.no_proxy(),
            ProxyChoice::Environment => builder,
            ProxyChoice::Url(p) => builder.proxy(
                reqwest::Proxy::all(p.clone()).map_err(|e| ClientError::Http(error_chain(&e)))?,
            ),
        };
        let http = builder
            .build()
            .map_err(|e| ClientError::Http(error_chain(&e)))?;
        Ok(NodoClient {
            target,
            connection,
            timeouts,
            clock,
            journal,
            http,
            body_limit: Self::DEFAULT_BODY_LIMIT,
        })
    }

    /// Change the body size cap (tests).
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The station.
    pub fn target(&self) -> &StationTarget {
        &self.target
    }

    /// How the station is reached.
    pub fn connection(&self) -> &Arc<Connection> {
        &self.connection
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    /// The scenario clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The journal every exchange goes to.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    fn caller(&self) -> Caller {
        self.target.caller.clone()
    }

    /// `paVerifyPaymentNoticeReq` for a notice.
    pub fn verify(&self, qr: QrCode) -> Message {
        Message::VerifyPaymentNoticeReq(VerifyPaymentNoticeReq {
            caller: self.caller(),
            qr_code: qr,
        })
    }

    /// `paGetPaymentReq` (or `paGetPaymentV2Request` with `v2`) for a notice.
    pub fn get_payment(
        &self,
        qr: QrCode,
        amount: Option<Amount>,
        v2: bool,
        transfer_type: Option<TransferType>,
    ) -> Message {
        let req = GetPaymentReq {
            caller: self.caller(),
            qr_code: qr,
            amount,
            payment_note: None,
            transfer_type,
            due_date: None,
        };
        if v2 {
            Message::GetPaymentV2Req(req)
        } else {
            Message::GetPaymentReq(req)
        }
    }

    /// `paSendRTReq` (or `paSendRTV2Request` with `v2`) carrying a receipt.
    pub fn send_rt(&self, receipt: Receipt, v2: bool) -> Message {
        let req = SendRtReq {
            caller: self.caller(),
            receipt,
        };
        Message::send_rt_req(req, v2)
    }

    /// `paDemandPaymentNoticeRequest` for a spontaneous payment.
    pub fn demand(
        &self,
        id_servizio: impl Into<String>,
        id_soggetto_servizio: impl Into<String>,
        dati_specifici_servizio_b64: impl Into<String>,
    ) -> Message {
        Message::DemandPaymentNoticeReq(DemandPaymentNoticeReq {
            caller: self.caller(),
            id_servizio: id_servizio.into(),
            id_soggetto_servizio: id_soggetto_servizio.into(),
            dati_specifici_servizio: dati_specifici_servizio_b64.into(),
        })
    }

    /// Send `msg` to the station, with `fault` injected, and return the journalled exchange.
    ///
    /// Never fails: every outcome, including transport failures, is an [`Exchange`] for the
    /// checks to judge. The exchange is on disk in the journal before this returns.
    ///
    /// * `virtual_at` is the scenario time when the call was issued, before any injected cost.
    /// * When a transport error happens after the headers arrived, `response` still holds the
    ///   status, the headers and the bytes received so far (at most 64 KiB for an over-large
    ///   body) as evidence; the checks look at `transport_error` first.
    pub async fn send(
        &self,
        msg: &Message,
        fault: Option<Fault>,
        scenario: Option<&str>,
        step: Option<usize>,
    ) -> Exchange {
        let (primitive, _) = msg.kind();
        let soap_action = self.target.soap_action_style.header_value(primitive);
        self.send_raw(
            primitive,
            msg.to_xml(),
            Some(soap_action),
            fault,
            scenario,
            step,
        )
        .await
    }

    /// Send an arbitrary body as a call of `primitive`, with the given `SOAPAction` header
    /// value (`None` leaves the header out). This is how scenarios probe a station with
    /// malformed requests or SOAPAction variants; otherwise it behaves as [`NodoClient::send`].
    pub async fn send_raw(
        &self,
        primitive: Primitive,
        body: String,
        soap_action: Option<String>,
        fault: Option<Fault>,
        scenario: Option<&str>,
        step: Option<usize>,
    ) -> Exchange {
        let mut request_headers = vec![("Content-Type".to_string(), CONTENT_TYPE.to_string())];
        if let Some(a) = &soap_action {
            request_headers.push(("SOAPAction".to_string(), a.clone()));
        }
        // Gateway headers are secrets: the journal shows that they were sent, not their value.
        for h in &self.connection.headers {
            request_headers.push((h.name.as_str().to_string(), REDACTED.to_string()));
        }
        let virtual_at = self.clock.now();
        let real_started_at = SystemClock.now().to_string();
        let started = Instant::now();
        let timeout = self.timeouts.get(primitive);
        let mut injected_fault = fault.as_ref().map(ToString::to_string);
        // Injected time the Nodo waited, added to the real time in `latency_ms` so that SLA
        // checks see it whether or not the scenario clock is virtual.
        let mut injected_wait = Duration::ZERO;
        let injected_timeout = |message: String| TransportError {
            kind: TransportErrorKind::InjectedTimeout,
            message,
            tls: None,
        };

        // On disk before anything leaves: a run killed during the call still shows what it sent.
        let sending = self.journal.begin(&Exchange {
            seq: 0,
            primitive,
            url: self.target.url.clone(),
            request_headers: request_headers.clone(),
            request_body: body.clone(),
            response: None,
            transport_error: None,
            injected_fault: injected_fault.clone(),
            real_started_at: real_started_at.clone(),
            latency_ms: 0.0,
            virtual_at,
            classification: None,
            scenario: scenario.map(str::to_string),
            step,
        });
        let (response, transport_error) = match fault {
            Some(Fault::Timeout) => {
                self.clock.advance(timeout);
                injected_wait = timeout;
                let err = injected_timeout(format!(
                    "injected: no answer within the {} ms timeout (virtual time)",
                    timeout.as_millis()
                ));
                (None, Some(err))
            }
            // An answer that would come at or after the timeout is never read: the Nodo hangs
            // up at its timeout. The request is not sent either, so a late answer cannot
            // change the station behind the Nodo's back (the lost-answer faults do that, by
            // name); and the verdict cannot depend on the clock, which on the wall clock
            // does not move on `advance`.
            Some(Fault::Latency(d)) if d >= timeout => {
                self.clock.advance(timeout);
                injected_wait = d;
                injected_fault = Some(format!(
                    "latency {} ms, not within the {} ms timeout: the Nodo stopped waiting at its \
                     timeout and the request was not sent",
                    d.as_millis(),
                    timeout.as_millis()
                ));
                let err = injected_timeout(format!(
                    "injected: the answer would take {} ms, beyond the {} ms timeout (virtual time)",
                    d.as_millis(),
                    timeout.as_millis()
                ));
                (None, Some(err))
            }
            Some(Fault::Refuse) => {
                let err = TransportError {
                    kind: TransportErrorKind::InjectedRefused,
                    message: "injected: connection refused".to_string(),
                    tls: None,
                };
                (None, Some(err))
            }
            Some(Fault::Unavailable(answer)) => {
                injected_fault = Some(format!(
                    "unavailable {answer}: answered by collaudo in the station's place, the \
                     station was not contacted"
                ));
                (Some(unavailable_reply(answer, primitive)), None)
            }
            Some(Fault::AnswerTimeout) => {
                let (response, error) = self
                    .post(body.clone(), soap_action.as_deref(), timeout)
                    .await;
                match (response, error) {
                    (Some(reply), None) => {
                        self.clock.advance(timeout);
                        // The Nodo waited its whole timeout, the real call included.
                        injected_wait = timeout.saturating_sub(started.elapsed());
                        injected_fault = Some(format!(
                            "answer-timeout: the station answered HTTP {} ({} bytes), the answer \
                             was discarded as late",
                            reply.status,
                            reply.body.len()
                        ));
                        let err = injected_timeout(format!(
                            "injected: the station's answer was discarded, as if it came after \
                             the {} ms timeout (virtual time)",
                            timeout.as_millis()
                        ));
                        (None, Some(err))
                    }
                    (response, error) => {
                        injected_fault =
                            Some("answer-timeout (not applied: the real call failed)".into());
                        (response, error)
                    }
                }
            }
            other => {
                let mut budget = timeout;
                if let Some(Fault::Latency(d)) = &other {
                    self.clock.advance(*d);
                    injected_wait = *d;
                    // The Nodo's timeout runs from the request, so the delay uses up part of it.
                    budget = timeout.saturating_sub(*d);
                }
                let (mut response, mut error) = self
                    .post(body.clone(), soap_action.as_deref(), budget)
                    .await;
                if let (Some(Fault::Latency(d)), Some(e)) = (&other, error.as_mut()) {
                    if e.kind == TransportErrorKind::Timeout {
                        e.message = format!(
                            "{} (after an injected delay of {} ms, {} ms were left of the {} ms \
                             timeout)",
                            e.message,
                            d.as_millis(),
                            budget.as_millis(),
                            timeout.as_millis()
                        );
                    }
                }
                match (&other, response.as_mut(), &error) {
                    (Some(Fault::Corrupt(c)), Some(reply), None) => {
                        let original = reply.body.len();
                        reply.body = c.apply(&reply.body);
                        injected_fault = Some(format!(
                            "corrupt {c} (original body {original} bytes, now {})",
                            reply.body.len()
                        ));
                    }
                    (Some(Fault::HttpStatus(s)), Some(reply), None) => {
                        injected_fault =
                            Some(format!("http-status {s} (station sent {})", reply.status));
                        reply.status = *s;
                    }
                    (Some(f @ (Fault::Corrupt(_) | Fault::HttpStatus(_))), _, _) => {
                        injected_fault = Some(format!("{f} (not applied: the real call failed)"));
                    }
                    _ => {}
                }
                (response, error)
            }
        };

        let exchange = Exchange {
            seq: 0,
            primitive,
            url: self.target.url.clone(),
            request_headers,
            request_body: body,
            response,
            transport_error,
            injected_fault,
            real_started_at,
            // Microsecond precision is plenty and keeps journal lines short.
            latency_ms: ((started.elapsed() + injected_wait).as_secs_f64() * 1e6).round() / 1e3,
            virtual_at,
            classification: None,
            scenario: scenario.map(str::to_string),
            step,
        };
        let seq = self.journal.record_sent(sending, exchange.clone());
        tracing::debug!(
            seq,
            %primitive,
            url = %exchange.url,
            latency_ms = exchange.latency_ms,
            status = exchange.response.as_ref().map(|r| r.status),
            error = exchange.transport_error.as_ref().map(|e| e.to_string()),
            "exchange"
        );
        Exchange { seq, ..exchange }
    }

    /// [`NodoClient::send`], then [`judge`] the exchange and record the classification
    /// ([`NodoOutcome::label`](crate::NodoOutcome::label)) in the journal.
    pub async fn send_and_judge(
        &self,
        msg: &Message,
        fault: Option<Fault>,
        scenario: Option<&str>,
        step: Option<usize>,
        backoffice: &BackOffice,
        policy: &CheckPolicy,
    ) -> (Exchange, Judgement) {
        let mut exchange = self.send(msg, fault, scenario, step).await;
        let judgement = crate::checks::judge_bounded(&exchange, msg, backoffice, policy).await;
        let label = judgement.outcome.label();
        self.journal
            .update_classification(exchange.seq, label.clone());
        exchange.classification = Some(label);
        (exchange, judgement)
    }

    /// The real HTTP call, bounded by `timeout` from connect to the last body byte.
    async fn post(
        &self,
        body: String,
        soap_action: Option<&str>,
        timeout: Duration,
    ) -> (Option<HttpReply>, Option<TransportError>) {
        // Filled as the response arrives, so a timeout mid-body still leaves the evidence.
        let mut partial: Option<HttpReply> = None;
        let limit = self.body_limit;
        let https = self.target.url.starts_with("https://");
        let exchange = async {
            let mut req = self
                .http
                .post(&self.target.url)
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE);
            if let Some(action) = soap_action {
                req = req.header("SOAPAction", action);
            }
            for h in &self.connection.headers {
                req = req.header(h.name.clone(), h.value.expose().clone());
            }
            let mut resp = req
                .body(body)
                .send()
                .await
                .map_err(|e| transport_error(e, https))?;
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let reply = partial.insert(HttpReply {
                status: resp.status().as_u16(),
                headers,
                body: Vec::new(),
            });
            let too_large = |read: u64| TransportError {
                kind: TransportErrorKind::BodyTooLarge,
                message: format!(
                    "response body larger than {limit} bytes ({read} announced or read); the rest was not read"
                ),
                tls: None,
            };
            if let Some(len) = resp.content_length() {
                if len > limit as u64 {
                    return Err(too_large(len));
                }
            }
            while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(e, https))? {
                if reply.body.len() + chunk.len() > limit {
                    let read = (reply.body.len() + chunk.len()) as u64;
                    let keep = EVIDENCE_PREFIX.saturating_sub(reply.body.len());
                    reply.body.truncate(EVIDENCE_PREFIX);
                    reply
                        .body
                        .extend_from_slice(&chunk[..keep.min(chunk.len())]);
                    // Dropping `resp` here closes the connection instead of draining it.
                    return Err(too_large(read));
                }
                reply.body.extend_from_slice(&chunk);
            }
            Ok(())
        };
        let result = tokio::time::timeout(timeout, exchange).await;
        match result {
            Ok(Ok(())) => (partial, None),
            Ok(Err(e)) => (partial, Some(e)),
            Err(_) => {
                let what = if partial.is_some() {
                    "the body was not complete"
                } else {
                    "no response headers"
                };
                let err = TransportError {
                    kind: TransportErrorKind::Timeout,
                    message: format!("{what} within the {} ms timeout", timeout.as_millis()),
                    tls: None,
                };
                (partial, Some(err))
            }
        }
    }
}

/// Map a reqwest error to the transport vocabulary.
fn transport_error(e: reqwest::Error, https: bool) -> TransportError {
    use std::error::Error as _;
    // TLS first: a refused handshake also looks like a failed connect or a closed connection,
    // and the reason is what the station's operator needs.
    if let Some((reason, text)) = crate::tls::classify(&e) {
        return TransportError {
            kind: TransportErrorKind::Tls,
            message: format!("TLS: {text} ({})", error_chain(&e)),
            tls: Some(reason),
        };
    }
    let io_kind = {
        let mut src: Option<&(dyn std::error::Error + 'static)> = e.source();
        let mut found = None;
        while let Some(s) = src {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                found = Some(io.kind());
                break;
            }
            src = s.source();
        }
        found
    };
    // hyper's parse errors: the bytes that came back are not an HTTP response (or its head is
    // over the size limit). Found before the generic "request failed" cases below.
    let not_http = {
        let mut src: Option<&(dyn std::error::Error + 'static)> = e.source();
        let mut found = false;
        while let Some(s) = src {
            if let Some(h) = s.downcast_ref::<hyper::Error>() {
                found = h.is_parse() || h.is_parse_too_large() || h.is_parse_status();
                break;
            }
            src = s.source();
        }
        found
    };
    // The station closed the connection in the middle of the handshake, without an alert:
    // what a server that does not speak TLS, or refuses this client, typically does.
    if https && e.is_connect() && io_kind == Some(std::io::ErrorKind::UnexpectedEof) {
        return TransportError {
            kind: TransportErrorKind::Tls,
            message: format!(
                "TLS: the station closed the connection during the handshake ({})",
                error_chain(&e)
            ),
            tls: Some(crate::tls::TlsReason::HandshakeRefused),
        };
    }
    let kind = if not_http {
        TransportErrorKind::NotHttp
    } else if e.is_connect() {
        // A refused, unreachable or timed-out TCP connect is what the Nodo reports as
        // IRRAGGIUNGIBILE (DOMAIN.md §4.2: "TCP/TLS connection failure").
        TransportErrorKind::Refused
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if matches!(
        io_kind,
        Some(
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof
        )
    ) || e.is_body()
        || e.is_decode()
        || e.is_request()
    {
        // The connection was made but broke before a complete response: hyper reports a
        // closed connection as an incomplete message on the request or body.
        TransportErrorKind::Reset
    } else {
        TransportErrorKind::Other
    };
    TransportError {
        kind,
        message: error_chain(&e),
        tls: None,
    }
}

/// The rustls configuration of clients toward plain-http stations: never used for a
/// handshake, only there because reqwest needs one.
fn plain_http_tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: std::sync::OnceLock<Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let config = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
                .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
                .expect("the ring provider supports TLS 1.2 and 1.3")
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// The error and its sources, joined, since reqwest's top-level message alone is vague.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        src = s.source();
    }
    out
}

/// The header that marks an answer synthesized by collaudo ([`Fault::Unavailable`]) in the
/// journal, so nobody mistakes it for the station's.
pub const INJECTED_HEADER: &str = "x-collaudo-injected";

/// What answers in the station's place under [`Fault::Unavailable`].
fn unavailable_reply(answer: UnavailableAnswer, primitive: Primitive) -> HttpReply {
    let (status, content_type, body) = match answer {
        UnavailableAnswer::HttpStatus(s) => (
            s,
            "text/html",
            format!("<html><body><h1>{s}</h1><p>The service is unavailable.</p></body></html>")
                .into_bytes(),
        ),
        UnavailableAnswer::Garbage => (200, CONTENT_TYPE, Corruption::Garbage.apply(&[])),
        UnavailableAnswer::Ko => (200, CONTENT_TYPE, ko_answer(primitive).into_bytes()),
    };
    HttpReply {
        status,
        headers: vec![
            ("content-type".into(), content_type.into()),
            (INJECTED_HEADER.into(), format!("unavailable {answer}")),
        ],
        body,
    }
}

/// A valid KO answer for `primitive` with `PAA_SYSTEM_ERROR`, for [`UnavailableAnswer::Ko`].
fn ko_answer(primitive: Primitive) -> String {
    use collaudo_wire::{
        DemandPaymentNoticeRes, FaultBean, FaultCode, GetPaymentRes, Outcome, SimpleRes,
        VerifyPaymentNoticeRes,
    };
    let fault = Some(FaultBean::new(
        FaultCode::PaaSystemError,
        "Errore generico (injected by collaudo)",
        "collaudo",
    ));
    let msg = match primitive {
        Primitive::VerifyPaymentNotice => Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
            outcome: Outcome::Ko,
            fault,
            payment_option: None,
            payment_description: None,
            fiscal_code_pa: None,
            company_name: None,
            office_name: None,
        }),
        Primitive::GetPayment | Primitive::GetPaymentV2 => {
            let r = GetPaymentRes {
                outcome: Outcome::Ko,
                fault,
                data: None,
            };
            Message::get_payment_res(r, primitive == Primitive::GetPaymentV2)
        }
        Primitive::SendRt => Message::SendRtRes(SimpleRes {
            outcome: Outcome::Ko,
            fault,
        }),
        Primitive::SendRtV2 => Message::SendRtV2Res(SimpleRes {
            outcome: Outcome::Ko,
            fault,
        }),
        Primitive::DemandPaymentNotice => Message::DemandPaymentNoticeRes(DemandPaymentNoticeRes {
            outcome: Outcome::Ko,
            fault,
            qr_code: None,
            payment_option: None,
            payment_description: None,
            fiscal_code_pa: None,
            company_name: None,
            office_name: None,
        }),
    };
    msg.to_xml()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{VirtualClock, VirtualTime};

    fn target(url: &str) -> StationTarget {
        StationTarget {
            url: url.to_string(),
            caller: Caller {
                id_pa: "77777777777".into(),
                id_broker_pa: "77777777777".into(),
                id_station: "77777777777_01".into(),
            },
            soap_action_style: SoapActionStyle::Quoted,
        }
    }

    fn client(url: &str) -> Result<NodoClient, ClientError> {
        NodoClient::new(
            target(url),
            Default::default(),
            Timeouts::nodo(),
            Arc::new(VirtualClock::new(VirtualTime::EPOCH)),
            Arc::new(Journal::in_memory()),
        )
    }

    #[test]
    fn timeouts_default_to_the_nodo_and_can_be_overridden() {
        let t = Timeouts::nodo();
        assert_eq!(
            t.get(Primitive::VerifyPaymentNotice),
            Duration::from_secs(7)
        );
        assert_eq!(t.get(Primitive::SendRtV2), Duration::from_secs(15));
        let t = t.with(Primitive::SendRt, Duration::from_millis(500));
        assert_eq!(t.get(Primitive::SendRt), Duration::from_millis(500));
        let u = Timeouts::uniform(Duration::from_millis(300));
        assert!(
            Primitive::ALL
                .iter()
                .all(|&p| u.get(p) == Duration::from_millis(300))
        );
    }

    #[test]
    fn soap_action_styles() {
        let p = Primitive::GetPaymentV2;
        assert_eq!(
            SoapActionStyle::Quoted.header_value(p),
            "\"paGetPaymentV2\""
        );
        assert_eq!(SoapActionStyle::Unquoted.header_value(p), "paGetPaymentV2");
    }

    #[test]
    fn bad_urls_are_harness_errors() {
        assert!(matches!(
            client("not a url"),
            Err(ClientError::InvalidUrl { .. })
        ));
        assert!(matches!(
            client("ftp://station.example/pa"),
            Err(ClientError::UnsupportedScheme { .. })
        ));
    }

    #[test]
    fn builders_use_the_target_identities() {
        let c = client("http://127.0.0.1:9/pa").unwrap();
        let qr = QrCode {
            fiscal_code: "77777777777".into(),
            notice_number: "301000000000000144".into(),
        };
        match c.get_payment(qr.clone(), None, true, Some(TransferType::Postal)) {
            Message::GetPaymentV2Req(r) => {
                assert_eq!(r.caller.id_station, "77777777777_01");
                assert_eq!(r.transfer_type, Some(TransferType::Postal));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            c.get_payment(qr.clone(), None, false, None),
            Message::GetPaymentReq(_)
        ));
        assert!(matches!(c.verify(qr), Message::VerifyPaymentNoticeReq(_)));
        match c.demand("00001", "00002", "PGEvPg==") {
            Message::DemandPaymentNoticeReq(r) => assert_eq!(r.id_servizio, "00001"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
