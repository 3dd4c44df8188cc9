//! CON-001: the station's HTTPS endpoint itself. Three calls, each judged on what a TLS peer
//! of the station sees, never on SOAP:
//!
//! * `tls-handshake`: the Nodo's own settings complete a handshake (TLS 1.2 or 1.3), and the
//!   certificate chains to a trusted CA and names the host of the station URL;
//! * `tls-legacy`: a ClientHello offering only TLS 1.0 (or 1.1) is refused. rustls cannot
//!   offer those versions, so the hello is hand-built (`collaudo_nodo::tls_probe`);
//! * `tls-without-client-cert`: a verify sent without a client certificate is refused, by
//!   the handshake or by HTTP 401/403 (mutual TLS is how the station knows the caller is the
//!   Nodo).

use super::step::{ScenarioCtx, StepOutcome, check, error_outcome, exchange_record, verdict_of};
use crate::scenario::StepKind;
use collaudo_certs::rustls;
use collaudo_nodo::tls_probe::{LegacyVersion, ProbeOutcome, probe_legacy};
use collaudo_nodo::{Clock, Connection, NodoClient, SoapActionStyle, StationTarget, TlsReason};
use collaudo_reports::{CheckRecord, CheckVerdict, StepRecord};
use collaudo_wire::{Primitive, QrCode, ident::STAND_IN_PROBE};
use std::sync::Arc;
use std::time::Instant;

/// HTTP statuses with which a gateway or a web server refuses a caller without a (valid)
/// client certificate: 401/403, and nginx's 495 (certificate error) and 496 (no certificate).
const REFUSAL_STATUSES: &[u16] = &[401, 403, 495, 496];

fn record(
    index: usize,
    name: String,
    started: Instant,
    checks: Vec<CheckRecord>,
    exchanges: Vec<collaudo_reports::ExchangeRecord>,
    transcript: Vec<String>,
) -> StepOutcome {
    StepOutcome::Done(StepRecord {
        index,
        name,
        verdict: verdict_of(&checks),
        message: None,
        duration_ms: started.elapsed().as_secs_f64() * 1e3,
        checks,
        exchanges,
        transcript,
    })
}

fn error(index: usize, name: String, started: Instant, message: String) -> StepOutcome {
    error_outcome(index, name, message, started)
}

/// Host and port of an `https://` URL (IPv6 literals keep no brackets).
pub(crate) fn host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.strip_prefix("https://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 443,
    };
    (!host.is_empty()).then(|| (host.to_string(), port))
}

/// Run one of the CON-001 calls.
pub(crate) async fn run(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    kind: &StepKind,
    name: String,
    started: Instant,
) -> StepOutcome {
    let url = cx.station.url.clone();
    let Some((host, port)) = host_port(&url) else {
        // prereq skips the case on an http station; anything else is a URL the client
        // refused before the first case.
        return error(
            index,
            name,
            started,
            format!("CON-001 needs an https:// station URL, not {url}"),
        );
    };
    let timeout = cx.cfg.timeouts.get(Primitive::VerifyPaymentNotice);
    let connection = cx.station.connection(cx.cfg).clone();
    match kind {
        StepKind::TlsHandshake => {
            handshake(&connection, &host, port, timeout, index, name, started).await
        }
        StepKind::TlsLegacy(l) => {
            let version = match l.tls_version.get_ref().as_str() {
                "1.1" => LegacyVersion::Tls11,
                _ => LegacyVersion::Tls10,
            };
            legacy(&host, port, version, timeout, index, name, started).await
        }
        _ => without_client_cert(cx, connection, index, name, started).await,
    }
}

async fn handshake(
    connection: &Connection,
    host: &str,
    port: u16,
    timeout: std::time::Duration,
    index: usize,
    name: String,
    started: Instant,
) -> StepOutcome {
    let settings = match &connection.tls {
        Some(s) => s.clone(),
        None => match collaudo_nodo::TlsSettings::system_default() {
            Ok(s) => s,
            Err(e) => return error(index, name, started, format!("no TLS settings: {e}")),
        },
    };
    let mut transcript = vec![format!(
        "→ TLS handshake with {host}:{port}, as the Nodo: {}",
        settings.description()
    )];
    let server_name = match rustls::pki_types::ServerName::try_from(host.to_string()) {
        Ok(n) => n,
        Err(_) => {
            return error(
                index,
                name,
                started,
                format!("{host:?} is not a valid TLS server name"),
            );
        }
    };
    let connector = tokio_rustls::TlsConnector::from(settings.client_config().clone());
    let attempt = tokio::time::timeout(timeout, async {
        let tcp = tokio::net::TcpStream::connect((host, port)).await?;
        connector.connect(server_name, tcp).await
    })
    .await;
    let mut checks = Vec::new();
    match attempt {
        Err(_) => {
            checks.push(check(
                "tls-handshake",
                CheckVerdict::Fail,
                format!(
                    "no TLS handshake within {} ms: the Nodo would answer PPT_STAZIONE_INT_PA_TIMEOUT",
                    timeout.as_millis()
                ),
            ));
        }
        Ok(Err(e)) => {
            let (reason, why) = collaudo_nodo::tls::classify(&e).unwrap_or_else(|| {
                (
                    TlsReason::Other,
                    format!("the connection failed before TLS: {e}"),
                )
            });
            transcript.push(format!("← {why}"));
            checks.push(check(
                "tls-handshake",
                CheckVerdict::Fail,
                format!("{why}: the Nodo would answer PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"),
            ));
            let certificate = matches!(
                reason,
                TlsReason::Expired
                    | TlsReason::NotYetValid
                    | TlsReason::UnknownIssuer
                    | TlsReason::NameMismatch
            );
            checks.push(if certificate {
                check("tls-certificate", CheckVerdict::Fail, why)
            } else {
                check(
                    "tls-certificate",
                    CheckVerdict::Skip,
                    "not evaluated: the handshake did not get as far as the certificate",
                )
            });
        }
        Ok(Ok(stream)) => {
            let (_, session) = stream.get_ref();
            let version = session
                .protocol_version()
                .map_or_else(|| "unknown".to_string(), |v| format!("{v:?}"));
            let suite = session
                .negotiated_cipher_suite()
                .map_or_else(|| "unknown".to_string(), |s| format!("{:?}", s.suite()));
            let modern = matches!(
                session.protocol_version(),
                Some(rustls::ProtocolVersion::TLSv1_2 | rustls::ProtocolVersion::TLSv1_3)
            );
            transcript.push(format!("← handshake complete: {version}, {suite}"));
            checks.push(check(
                "tls-handshake",
                if modern {
                    CheckVerdict::Pass
                } else {
                    CheckVerdict::Fail
                },
                format!(
                    "{version} with {suite}{}",
                    if settings.has_client_cert() {
                        ", the Nodo's client certificate presented"
                    } else {
                        ", no client certificate configured"
                    }
                ),
            ));
            let chain: Vec<_> = session
                .peer_certificates()
                .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
                .unwrap_or_default();
            checks.push(match settings.verify_for_host(&chain, host) {
                Ok(true) => check(
                    "tls-certificate",
                    CheckVerdict::Pass,
                    format!(
                        "a chain of {} certificate{} to a trusted CA, valid today, naming {host}",
                        chain.len(),
                        if chain.len() == 1 { "" } else { "s" }
                    ),
                ),
                Ok(false) => check(
                    "tls-certificate",
                    CheckVerdict::Skip,
                    "not evaluated: insecure_skip_verify is set, so no certificate is verified",
                ),
                Err(e) => check(
                    "tls-certificate",
                    CheckVerdict::Fail,
                    format!(
                        "the certificate is not valid for {host}, the host of the station URL: {e}"
                    ),
                ),
            });
        }
    }
    record(index, name, started, checks, Vec::new(), transcript)
}

async fn legacy(
    host: &str,
    port: u16,
    version: LegacyVersion,
    timeout: std::time::Duration,
    index: usize,
    name: String,
    started: Instant,
) -> StepOutcome {
    let outcome = probe_legacy(host, port, version, timeout).await;
    let transcript = vec![
        format!("→ ClientHello offering only {version} to {host}:{port}"),
        format!("← {outcome}"),
    ];
    let verdict = match &outcome {
        o if o.is_refused() => CheckVerdict::Pass,
        ProbeOutcome::Unreachable { .. } | ProbeOutcome::Timeout { .. } => {
            // Says nothing about the versions the station accepts.
            return error(
                index,
                name,
                started,
                format!("the legacy-TLS probe could not reach the station: {outcome}"),
            );
        }
        _ => CheckVerdict::Fail,
    };
    let message = if verdict == CheckVerdict::Pass {
        format!("{version}: {outcome}")
    } else {
        format!("{version} was not refused: {outcome}")
    };
    record(
        index,
        name,
        started,
        vec![check("tls-legacy-refused", verdict, message)],
        Vec::new(),
        transcript,
    )
}

async fn without_client_cert(
    cx: &mut ScenarioCtx<'_>,
    connection: Arc<Connection>,
    index: usize,
    name: String,
    started: Instant,
) -> StepOutcome {
    let anonymous = Connection {
        tls: match &connection.tls {
            Some(s) => Some(s.without_client_cert()),
            None => match collaudo_nodo::TlsSettings::system_default() {
                Ok(s) => Some(s),
                Err(e) => return error(index, name, started, format!("no TLS settings: {e}")),
            },
        },
        headers: connection.headers.clone(),
        proxy: connection.proxy.clone(),
    };
    let client = match NodoClient::new(
        StationTarget {
            url: cx.station.url.clone(),
            caller: cx.cfg.caller.clone(),
            soap_action_style: SoapActionStyle::Quoted,
        },
        Arc::new(anonymous),
        cx.cfg.timeouts.clone(),
        cx.clock.clone() as Arc<dyn Clock>,
        cx.journal.clone(),
    ) {
        Ok(c) => c,
        Err(e) => return error(index, name, started, e.to_string()),
    };
    // The Stand-In probe notice: harmless whoever answers it.
    let msg = client.verify(QrCode {
        fiscal_code: cx.cfg.caller.id_pa.clone(),
        notice_number: STAND_IN_PROBE.to_string(),
    });
    let ex = client
        .send(&msg, None, Some(&cx.scenario_id), Some(index))
        .await;
    let (verdict, message, label) = match (&ex.response, &ex.transport_error) {
        (Some(r), _) if REFUSAL_STATUSES.contains(&r.status) => (
            CheckVerdict::Pass,
            format!(
                "refused with HTTP {}: the station (or its gateway) wants a client certificate",
                r.status
            ),
            format!("refused (HTTP {})", r.status),
        ),
        (Some(r), _) => (
            CheckVerdict::Fail,
            format!(
                "answered HTTP {} to a call that presented no client certificate: mutual TLS is not enforced",
                r.status
            ),
            format!("answered (HTTP {})", r.status),
        ),
        (None, Some(e)) if e.tls == Some(TlsReason::ClientCertRejected) => (
            CheckVerdict::Pass,
            format!("refused by the TLS handshake, which asks for a client certificate: {e}"),
            "refused".to_string(),
        ),
        (None, Some(e)) => (
            CheckVerdict::Pass,
            format!("refused: {e}"),
            "refused".to_string(),
        ),
        (None, None) => (
            CheckVerdict::Fail,
            "no answer and no error recorded".to_string(),
            "unknown".to_string(),
        ),
    };
    cx.journal.update_classification(ex.seq, label.clone());
    let transcript = vec![
        format!(
            "→ {} notice {STAND_IN_PROBE} without a client certificate",
            Primitive::VerifyPaymentNotice
        ),
        format!("← {message}"),
    ];
    record(
        index,
        name,
        started,
        vec![check("mtls-required", verdict, message)],
        vec![exchange_record(&ex, &label)],
        transcript,
    )
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn host_and_port_of_https_urls() {
        assert_eq!(
            host_port("https://station.example.it/pagopa"),
            Some(("station.example.it".into(), 443))
        );
        assert_eq!(
            host_port("https://127.0.0.1:8443/x?y#z"),
            Some(("127.0.0.1".into(), 8443))
        );
        assert_eq!(host_port("https://[::1]:9443/"), Some(("::1".into(), 9443)));
        assert_eq!(host_port("https://user@h:1"), Some(("h".into(), 1)));
        assert_eq!(host_port("http://h/"), None);
        assert_eq!(host_port("https://:443/"), None);
        assert_eq!(host_port("https://h:notaport/"), None);
    }
}
