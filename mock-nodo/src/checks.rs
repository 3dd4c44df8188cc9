//! The Nodo's judgement of one exchange: what the real Nodo would have answered the PSP.
//!
//! The classification follows DOMAIN.md §4.2: a failed connection is
//! `PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE`, no answer in time is `PPT_STAZIONE_INT_PA_TIMEOUT`,
//! anything malformed, XSD-invalid or semantically invalid is
//! `PPT_STAZIONE_INT_PA_ERRORE_RESPONSE`, and a valid `outcome=KO` with a fault bean is relayed
//! as `PPT_ERRORE_EMESSO_DA_PAA` with the EC's code as `originalFaultCode`.
//!
//! **The body decides, not the HTTP status.** A station that answers HTTP 500 with a valid KO
//! business body is relayed as the EC's KO (plus a hygiene warning), and a valid OK under a
//! non-200 status is OK with a warning: what the Nodo reads is the SOAP payload, and the
//! reference EC (GPD) itself uses 500 only for unexpected exceptions (DOMAIN.md §1). A SOAP
//! Fault is never a valid business answer, so it is `ERRORE_RESPONSE` whatever the status.
//!
//! On top of what the wire crate checks (XSD, mandatory-on-OK, sums), the judge runs the
//! checks that need the Nodo's back office (DOMAIN.md §5): IBANs registered for their EC,
//! secondary ECs known and enabled, consistency with the request, postal rules.

use crate::journal::{Exchange, TransportErrorKind};
use collaudo_wire::{
    Beneficiary, Direction, FaultCode, Message, Rule, Severity, Transfer, TransferType, Violation,
    ident::iban, parse_expecting, violation::clip,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How many violations are quoted in an `ERRORE_RESPONSE` reason.
const REASON_VIOLATIONS: usize = 3;

/// An EC as registered on the Nodo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcInfo {
    /// Whether the EC is enabled (disabled ECs fail SEM_PGPR_04).
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The company name on record.
    #[serde(default)]
    pub company_name: Option<String>,
}

fn enabled_by_default() -> bool {
    true
}

/// An IBAN registered for an EC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IbanInfo {
    /// The IBAN.
    pub iban: String,
    /// Whether it is a postal account.
    #[serde(default)]
    pub postal: bool,
}

/// The part of the Nodo's configuration the checks need: ECs and their IBANs, by fiscal code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BackOffice {
    /// ECs by fiscal code.
    #[serde(default)]
    pub ecs: BTreeMap<String, EcInfo>,
    /// Registered IBANs by EC fiscal code.
    #[serde(default)]
    pub ibans: BTreeMap<String, Vec<IbanInfo>>,
}

impl BackOffice {
    /// Register an enabled EC.
    pub fn with_ec(mut self, fiscal_code: &str, company_name: Option<&str>) -> Self {
        self.ecs.insert(
            fiscal_code.to_string(),
            EcInfo {
                enabled: true,
                company_name: company_name.map(str::to_string),
            },
        );
        self
    }

    /// Register an IBAN for an EC.
    pub fn with_iban(mut self, fiscal_code: &str, iban: &str, postal: bool) -> Self {
        self.ibans
            .entry(fiscal_code.to_string())
            .or_default()
            .push(IbanInfo {
                iban: iban.to_string(),
                postal,
            });
        self
    }

    /// The EC with this fiscal code.
    pub fn ec(&self, fiscal_code: &str) -> Option<&EcInfo> {
        self.ecs.get(fiscal_code)
    }

    /// The registration of `iban` for `fiscal_code`.
    pub fn iban_info(&self, fiscal_code: &str, iban: &str) -> Option<&IbanInfo> {
        self.ibans
            .get(fiscal_code)
            .and_then(|list| list.iter().find(|i| i.iban == iban))
    }

    /// Whether `iban` is registered for `fiscal_code` (SEM_PGPR_05/06).
    pub fn iban_registered(&self, fiscal_code: &str, iban: &str) -> bool {
        self.iban_info(fiscal_code, iban).is_some()
    }
}

/// What the Nodo makes of one exchange, i.e. what it tells the PSP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum NodoOutcome {
    /// A valid `outcome=OK`: the Nodo goes on.
    Ok,
    /// A valid `outcome=KO`: the Nodo tells the PSP `PPT_ERRORE_EMESSO_DA_PAA` with the EC's
    /// code as `originalFaultCode`.
    EcKo {
        /// The EC's fault code (any code, even unknown, is relayed).
        code: FaultCode,
        /// The EC's fault string.
        fault_string: String,
    },
    /// The Nodo's own error about the station.
    Nodo {
        /// `PPT_STAZIONE_INT_PA_TIMEOUT`, `…_IRRAGGIUNGIBILE`, `…_ERRORE_RESPONSE`,
        /// `PPT_IBAN_NON_CENSITO`…
        code: FaultCode,
        /// Why, naming element paths and values.
        reason: String,
    },
}

impl NodoOutcome {
    /// The fault code the PSP would get, `None` for OK.
    pub fn psp_fault_code(&self) -> Option<String> {
        match self {
            NodoOutcome::Ok => None,
            NodoOutcome::EcKo { .. } => Some(FaultCode::PptErroreEmessoDaPaa.as_str().to_string()),
            NodoOutcome::Nodo { code, .. } => Some(code.as_str().to_string()),
        }
    }

    /// True for a valid OK.
    pub fn is_ok(&self) -> bool {
        matches!(self, NodoOutcome::Ok)
    }

    /// True when the outcome counts as "station unavailable" for the Stand-In monitor
    /// (DOMAIN.md §7.1).
    pub fn is_station_unavailable(&self) -> bool {
        matches!(self, NodoOutcome::Nodo { code, .. } if code.is_station_unavailable())
    }

    /// A short label for the journal: `OK`, `PPT_ERRORE_EMESSO_DA_PAA/PAA_…`, or the PPT code.
    pub fn label(&self) -> String {
        match self {
            NodoOutcome::Ok => "OK".to_string(),
            NodoOutcome::EcKo { code, .. } => {
                format!("{}/{}", FaultCode::PptErroreEmessoDaPaa, code)
            }
            NodoOutcome::Nodo { code, .. } => code.to_string(),
        }
    }
}

impl fmt::Display for NodoOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodoOutcome::Ok => f.write_str("OK"),
            NodoOutcome::EcKo { code, fault_string } => write!(
                f,
                "{} (originalFaultCode {code}: {fault_string})",
                FaultCode::PptErroreEmessoDaPaa
            ),
            NodoOutcome::Nodo { code, reason } => write!(f, "{code}: {reason}"),
        }
    }
}

/// Longest text of the station's own (its fault string, a fault code outside the catalogue)
/// a judgement repeats. The XSD puts no bound on either, and a judgement's outcome is copied
/// into every report of the case; the whole reply stays in the journal, once.
pub const STATION_TEXT_MAX: usize = 2048;

/// `text` cut to [`STATION_TEXT_MAX`] bytes, saying how long it was.
fn station_text(text: &str) -> String {
    if text.len() <= STATION_TEXT_MAX {
        return text.to_string();
    }
    let mut end = STATION_TEXT_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// Choices where the sources disagree or the harness can be told to look away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckPolicy {
    /// The code for an IBAN not registered for its EC: `PPT_STAZIONE_INT_PA_ERRORE_RESPONSE`
    /// (what the Nodo's own tests expect) or `PPT_IBAN_NON_CENSITO` (what the docs list),
    /// DOMAIN.md §15 item 6.
    pub unknown_iban_code: FaultCode,
    /// Whether IBANs are checked against the back office at all.
    pub check_ibans: bool,
    /// Whether secondary ECs are checked against the back office (known and enabled): only
    /// when the back office is known, or every multi-beneficiary answer would look wrong.
    pub check_secondary_ecs: bool,
}

impl Default for CheckPolicy {
    fn default() -> Self {
        CheckPolicy {
            unknown_iban_code: FaultCode::PptStazioneIntPaErroreResponse,
            check_ibans: true,
            check_secondary_ecs: true,
        }
    }
}

/// Something a careful station would not do but the Nodo tolerates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HygieneWarning {
    /// An HTTP status other than 200 (the body decided the outcome).
    HttpStatus {
        /// The status received.
        status: u16,
    },
    /// A `Content-Type` other than `text/xml`.
    ContentType {
        /// The header received, if any.
        found: Option<String>,
    },
    /// A warning from the wire crate (IUV check digit, fault code without `PAA_`, no envelope…).
    Wire {
        /// The warning.
        violation: Violation,
    },
}

impl fmt::Display for HygieneWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HygieneWarning::HttpStatus { status } => write!(
                f,
                "HTTP status {status}: pagoPA answers, OK or KO, are HTTP 200"
            ),
            HygieneWarning::ContentType { found: Some(ct) } => write!(
                f,
                "Content-Type {ct:?}: a SOAP 1.1 response should be text/xml"
            ),
            HygieneWarning::ContentType { found: None } => {
                f.write_str("no Content-Type: a SOAP 1.1 response should be text/xml")
            }
            HygieneWarning::Wire { violation } => write!(f, "{violation}"),
        }
    }
}

/// A Nodo check beyond the wire crate that the response failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckFailure {
    /// Element path, e.g. `/Envelope/Body/paGetPaymentV2Response/data/transferList/transfer[2]/IBAN`.
    pub path: String,
    /// The code the Nodo would use for this failure.
    pub code: FaultCode,
    /// What is wrong.
    pub message: String,
    /// What the Nodo expected, when there is one value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the station sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        match (&self.expected, &self.found) {
            (Some(e), Some(v)) => write!(f, " (expected {e:?}, found {v:?})"),
            (None, Some(v)) => write!(f, " (found {v:?})"),
            (Some(e), None) => write!(f, " (expected {e:?})"),
            (None, None) => Ok(()),
        }
    }
}

/// The Nodo's judgement of one exchange.
#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    /// What the Nodo tells the PSP.
    pub outcome: NodoOutcome,
    /// The typed response, whenever the wire crate could build one (even when the outcome is
    /// an error, e.g. a sum mismatch), so the engine can still capture values.
    pub message: Option<Message>,
    /// Error-severity violations found by the wire crate.
    pub violations: Vec<Violation>,
    /// Failed back-office and consistency checks.
    pub checks: Vec<CheckFailure>,
    /// Tolerated problems.
    pub hygiene: Vec<HygieneWarning>,
    /// One sentence: what the real Nodo would have answered the PSP, and why.
    pub explanation: String,
}

/// Replies up to this size are judged on the calling task: a few hundred microseconds at most.
const JUDGE_INLINE_BYTES: usize = 64 * 1024;

/// The time [`judge_bounded`] allows for a reply of `len` bytes: 2 s plus 1 s per MiB, some
/// hundred times what the linear judge needs, so only a defect in the judge reaches it.
pub fn judge_budget(len: usize) -> std::time::Duration {
    std::time::Duration::from_secs(2) + std::time::Duration::from_millis((len as u64) / 1024)
}

/// [`judge`] on a blocking thread when the reply is large, within [`judge_budget`]: a station
/// that sends megabytes must not stall the other tasks of the run (the mock servers, the
/// stations of a broadcast), and no reply may hold a run forever. Past the budget the reply is
/// given up on as unreadable (`PPT_STAZIONE_INT_PA_ERRORE_RESPONSE`, saying why); the thread
/// finishes in the background.
pub async fn judge_bounded(
    ex: &Exchange,
    request: &Message,
    backoffice: &BackOffice,
    policy: &CheckPolicy,
) -> Judgement {
    let len = ex.response.as_ref().map_or(0, |r| r.body.len());
    if len <= JUDGE_INLINE_BYTES {
        return judge(ex, request, backoffice, policy);
    }
    let (ex_owned, request, backoffice, policy) = (
        ex.clone(),
        request.clone(),
        backoffice.clone(),
        policy.clone(),
    );
    let task =
        tokio::task::spawn_blocking(move || judge(&ex_owned, &request, &backoffice, &policy));
    let budget = judge_budget(len);
    match tokio::time::timeout(budget, task).await {
        Ok(Ok(judgement)) => judgement,
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(_)) | Err(_) => {
            let code = FaultCode::PptStazioneIntPaErroreResponse;
            let reason = format!(
                "collaudo gave up judging the {len}-byte reply after its {} ms budget",
                budget.as_millis()
            );
            Judgement {
                explanation: format!(
                    "The Nodo would answer the PSP {code}: {}: {reason}; no pagoPA answer is \
                     that hard to read.",
                    ex.primitive
                ),
                outcome: NodoOutcome::Nodo { code, reason },
                message: None,
                violations: Vec::new(),
                checks: Vec::new(),
                hygiene: Vec::new(),
            }
        }
    }
}

/// Judge one exchange as the Nodo would.
///
/// `request` is the message that was sent (for consistency checks); the expected response is
/// taken from `ex.primitive`.
pub fn judge(
    ex: &Exchange,
    request: &Message,
    backoffice: &BackOffice,
    policy: &CheckPolicy,
) -> Judgement {
    let prim = ex.primitive;
    if let Some(err) = &ex.transport_error {
        let (code, why) = match err.kind {
            TransportErrorKind::Timeout | TransportErrorKind::InjectedTimeout => (
                FaultCode::PptStazioneIntPaTimeout,
                "the station did not answer within the Nodo's timeout",
            ),
            TransportErrorKind::Refused | TransportErrorKind::InjectedRefused => (
                FaultCode::PptStazioneIntPaIrraggiungibile,
                "the connection to the station could not be made",
            ),
            // Closed before any response: for the Nodo the station is not there (a crashed
            // process behind a listening balancer looks like this), and the Stand-In monitor
            // counts it as unreachable. Closed after the headers: a broken response.
            TransportErrorKind::Reset if ex.response.is_none() => (
                FaultCode::PptStazioneIntPaIrraggiungibile,
                "the connection was closed before any response",
            ),
            TransportErrorKind::Reset => (
                FaultCode::PptStazioneIntPaErroreResponse,
                "the connection broke before a complete response",
            ),
            TransportErrorKind::BodyTooLarge => (
                FaultCode::PptStazioneIntPaErroreResponse,
                "the response body was too large to be a pagoPA answer",
            ),
            // The station did answer, with bytes that are not a readable HTTP response: that
            // is a wrong answer, not an absent station.
            TransportErrorKind::NotHttp => (
                FaultCode::PptStazioneIntPaErroreResponse,
                "the station's answer was not a readable HTTP response",
            ),
            // The Nodo reports a TCP or TLS connection failure as the station being
            // unreachable; the TLS reason is in the message.
            TransportErrorKind::Tls => (
                FaultCode::PptStazioneIntPaIrraggiungibile,
                "the TLS connection to the station could not be established",
            ),
            // Nothing usable came back and the failure is not one of the above: the Nodo has
            // no response to read, which it reports as the station being unreachable.
            TransportErrorKind::Other => (
                FaultCode::PptStazioneIntPaIrraggiungibile,
                "the call failed before any response",
            ),
        };
        let explanation = format!("The Nodo would answer the PSP {code}: {prim}: {why}.");
        return Judgement {
            outcome: NodoOutcome::Nodo {
                code,
                reason: err.to_string(),
            },
            message: None,
            violations: Vec::new(),
            checks: Vec::new(),
            hygiene: Vec::new(),
            explanation,
        };
    }
    let Some(reply) = &ex.response else {
        let code = FaultCode::PptStazioneIntPaErroreResponse;
        return Judgement {
            explanation: format!(
                "The Nodo would answer the PSP {code}: no response was recorded for {prim}."
            ),
            outcome: NodoOutcome::Nodo {
                code,
                reason: "no response recorded".to_string(),
            },
            message: None,
            violations: Vec::new(),
            checks: Vec::new(),
            hygiene: Vec::new(),
        };
    };

    let mut hygiene = Vec::new();
    if reply.status != 200 {
        hygiene.push(HygieneWarning::HttpStatus {
            status: reply.status,
        });
    }
    let content_type = reply.header("content-type");
    let is_text_xml = content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/xml"))
    });
    if !is_text_xml {
        hygiene.push(HygieneWarning::ContentType {
            found: content_type.map(str::to_string),
        });
    }

    let parsed = parse_expecting(&reply.body, (prim, Direction::Response));
    let (mut violations, mut warnings): (Vec<Violation>, Vec<Violation>) =
        parsed.violations.into_iter().partition(Violation::is_error);
    // The wire crate only warns about a payload without envelope, because `collaudo validate`
    // reads payloads saved on their own; the Nodo reads SOAP 1.1 and nothing else.
    let bare = warnings
        .iter()
        .position(|w| w.rule == Rule::NoEnvelope)
        .map(|i| warnings.remove(i));
    // Violations beyond the wire crate's limit are counted, not kept: they still count here.
    let omitted_errors = parsed.omitted.errors;
    hygiene.extend(
        warnings
            .into_iter()
            .map(|violation| HygieneWarning::Wire { violation }),
    );
    let message = parsed.message;
    let status_note = if reply.status == 200 {
        String::new()
    } else {
        format!(" (HTTP {})", reply.status)
    };

    if let Some(sf) = &parsed.soap_fault {
        let code = FaultCode::PptStazioneIntPaErroreResponse;
        let reason = format!(
            "SOAP Fault {}: {} instead of {}",
            clip(&sf.faultcode),
            clip(&sf.faultstring),
            prim.element(Direction::Response)
        );
        return Judgement {
            explanation: format!(
                "The Nodo would answer the PSP {code}: the station sent a SOAP Fault{status_note} \
                 to {prim}, and pagoPA errors must be outcome=KO with a fault bean."
            ),
            outcome: NodoOutcome::Nodo { code, reason },
            message,
            violations,
            checks: Vec::new(),
            hygiene,
        };
    }

    if let Some(mut bare) = bare {
        let code = FaultCode::PptStazioneIntPaErroreResponse;
        let found = parsed
            .kind
            .map_or_else(|| prim.element(Direction::Response), |(p, d)| p.element(d));
        let headline = format!("no SOAP 1.1 Envelope/Body around {found}");
        let mut reason = headline.clone();
        let others = violations.len() + omitted_errors;
        if others > 0 {
            reason.push_str(&format!(
                "; {others} more violation{}: ",
                if others == 1 { "" } else { "s" }
            ));
            reason.push_str(&summary(&violations, omitted_errors));
        }
        bare.severity = Severity::Error;
        bare.message = format!("{headline}: the Nodo reads SOAP 1.1 messages only");
        violations.insert(0, bare);
        return Judgement {
            explanation: format!(
                "The Nodo would answer the PSP {code}: the station sent a bare payload{status_note} \
                 to {prim}: {headline}."
            ),
            outcome: NodoOutcome::Nodo { code, reason },
            message,
            violations,
            checks: Vec::new(),
            hygiene,
        };
    }

    if !violations.is_empty() || omitted_errors > 0 {
        let code = FaultCode::PptStazioneIntPaErroreResponse;
        let reason = summary(&violations, omitted_errors);
        let total = violations.len() + omitted_errors;
        let what = if reply.body.is_empty() {
            "an empty body".to_string()
        } else if total == 1 {
            "an invalid response".to_string()
        } else {
            format!("an invalid response ({total} violations)")
        };
        return Judgement {
            explanation: format!(
                "The Nodo would answer the PSP {code}: the station sent {what}{status_note} to {prim}; \
                 first: {}.",
                violations.first().map_or_else(
                    || "beyond the violations kept".to_string(),
                    |v| format!("{}: {}", v.path, v.message)
                )
            ),
            outcome: NodoOutcome::Nodo { code, reason },
            message,
            violations,
            checks: Vec::new(),
            hygiene,
        };
    }

    let Some(msg) = message else {
        // The wire crate found no error yet built no message: treat as unreadable rather than
        // guess an outcome.
        let code = FaultCode::PptStazioneIntPaErroreResponse;
        return Judgement {
            explanation: format!(
                "The Nodo would answer the PSP {code}: the response to {prim} could not be read."
            ),
            outcome: NodoOutcome::Nodo {
                code,
                reason: "the response could not be read as a message".to_string(),
            },
            message: None,
            violations,
            checks: Vec::new(),
            hygiene,
        };
    };

    match msg.outcome() {
        Some((collaudo_wire::Outcome::Ko, Some(fault))) => {
            let code = match &fault.fault_code {
                FaultCode::Other(text) => FaultCode::Other(station_text(text)),
                known => known.clone(),
            };
            let explanation = format!(
                "The Nodo would answer the PSP {} with originalFaultCode {code}: the station sent a \
                 valid KO{status_note} to {prim}.",
                FaultCode::PptErroreEmessoDaPaa,
            );
            let outcome = NodoOutcome::EcKo {
                code,
                fault_string: station_text(&fault.fault_string),
            };
            Judgement {
                outcome,
                message: Some(msg),
                violations,
                checks: Vec::new(),
                hygiene,
                explanation,
            }
        }
        Some((collaudo_wire::Outcome::Ok, _)) => {
            let root = if parsed.enveloped {
                format!("/Envelope/Body/{}", prim.element(Direction::Response))
            } else {
                format!("/{}", prim.element(Direction::Response))
            };
            let checks = semantic_checks(&msg, request, &root, backoffice, policy);
            match checks.first() {
                None => Judgement {
                    outcome: NodoOutcome::Ok,
                    explanation: format!(
                        "The Nodo would go on: the station sent a valid OK{status_note} to {prim}."
                    ),
                    message: Some(msg),
                    violations,
                    checks,
                    hygiene,
                },
                Some(first) => {
                    let code = first.code.clone();
                    let reason = checks
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ");
                    Judgement {
                        explanation: format!(
                            "The Nodo would answer the PSP {code}: the OK to {prim} fails the Nodo's \
                             checks; first: {}: {}{}.",
                            first.path,
                            first.message,
                            first
                                .found
                                .as_ref()
                                .map(|f| format!(" (found {f:?})"))
                                .unwrap_or_default()
                        ),
                        outcome: NodoOutcome::Nodo { code, reason },
                        message: Some(msg),
                        violations,
                        checks,
                        hygiene,
                    }
                }
            }
        }
        // KO without fault and request messages are wire errors, so these arms are only
        // reachable if the wire crate changes; stay conservative.
        _ => {
            let code = FaultCode::PptStazioneIntPaErroreResponse;
            Judgement {
                explanation: format!(
                    "The Nodo would answer the PSP {code}: the response to {prim} has no usable outcome."
                ),
                outcome: NodoOutcome::Nodo {
                    code,
                    reason: format!("{} carries no usable outcome", msg.element()),
                },
                message: Some(msg),
                violations,
                checks: Vec::new(),
                hygiene,
            }
        }
    }
}

/// The first violations, then how many more (kept or only counted by the wire crate).
fn summary(violations: &[Violation], omitted: usize) -> String {
    let mut reason = violations
        .iter()
        .take(REASON_VIOLATIONS)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let more = violations.len().saturating_sub(REASON_VIOLATIONS) + omitted;
    if more > 0 {
        if !reason.is_empty() {
            reason.push_str("; ");
        }
        reason.push_str(&format!("and {more} more"));
    }
    reason
}

/// The Nodo's checks on a valid OK that need the request or the back office.
fn semantic_checks(
    msg: &Message,
    request: &Message,
    root: &str,
    backoffice: &BackOffice,
    policy: &CheckPolicy,
) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    let err = FaultCode::PptStazioneIntPaErroreResponse;
    let requested_qr = match request {
        Message::VerifyPaymentNoticeReq(r) => Some(&r.qr_code),
        Message::GetPaymentReq(r) | Message::GetPaymentV2Req(r) => Some(&r.qr_code),
        _ => None,
    };
    match msg {
        Message::VerifyPaymentNoticeRes(res) => {
            if let (Some(qr), Some(fc)) = (requested_qr, &res.fiscal_code_pa) {
                if *fc != qr.fiscal_code {
                    out.push(CheckFailure {
                        path: format!("{root}/fiscalCodePA"),
                        code: err.clone(),
                        message: "fiscalCodePA differs from the qrCode fiscalCode of the request"
                            .to_string(),
                        expected: Some(qr.fiscal_code.clone()),
                        found: Some(fc.clone()),
                    });
                }
            }
        }
        Message::GetPaymentRes(res) | Message::GetPaymentV2Res(res) => {
            let Some(data) = &res.data else {
                return out;
            };
            let primary = requested_qr.map(|q| q.fiscal_code.as_str());
            // creditorReferenceId = the IUV of the notice is the EC's duty (IUV-002 and the
            // `iuv-matches-notice` check judge it), but no public source says the Nodo turns a
            // mismatch into an error for the PSP, so it is not part of the Nodo's outcome.
            let transfer_type = match request {
                Message::GetPaymentReq(r) | Message::GetPaymentV2Req(r) => r.transfer_type,
                _ => None,
            };
            for (i, t) in data.transfers.iter().enumerate() {
                let tpath = format!("{root}/data/transferList/transfer[{}]", i + 1);
                check_transfer(
                    t,
                    &tpath,
                    primary,
                    transfer_type,
                    backoffice,
                    policy,
                    &mut out,
                );
            }
            if transfer_type == Some(TransferType::Postal) {
                check_postal_first(&data.transfers, root, backoffice, &mut out);
            }
        }
        Message::DemandPaymentNoticeRes(res) => {
            if let Message::DemandPaymentNoticeReq(req) = request {
                let id_pa = &req.caller.id_pa;
                if let Some(fc) = &res.fiscal_code_pa {
                    if fc != id_pa {
                        out.push(CheckFailure {
                            path: format!("{root}/fiscalCodePA"),
                            code: err.clone(),
                            message: "fiscalCodePA differs from the idPA of the request"
                                .to_string(),
                            expected: Some(id_pa.clone()),
                            found: Some(fc.clone()),
                        });
                    }
                }
                if let Some(qr) = &res.qr_code {
                    if &qr.fiscal_code != id_pa {
                        out.push(CheckFailure {
                            path: format!("{root}/qrCode/fiscalCode"),
                            code: err.clone(),
                            message: "qrCode fiscalCode differs from the idPA of the request"
                                .to_string(),
                            expected: Some(id_pa.clone()),
                            found: Some(qr.fiscal_code.clone()),
                        });
                    }
                }
            }
        }
        _ => {}
    }
    out
}

fn check_transfer(
    t: &Transfer,
    tpath: &str,
    primary: Option<&str>,
    transfer_type: Option<TransferType>,
    backoffice: &BackOffice,
    policy: &CheckPolicy,
    out: &mut Vec<CheckFailure>,
) {
    let err = FaultCode::PptStazioneIntPaErroreResponse;
    let fc = t.fiscal_code_pa.as_str();
    let secondary = primary.is_some_and(|p| p != fc);
    if secondary && policy.check_secondary_ecs {
        match backoffice.ec(fc) {
            None => out.push(CheckFailure {
                path: format!("{tpath}/fiscalCodePA"),
                code: err.clone(),
                message: "secondary EC is not registered on the Nodo (SEM_PGPR_03)".to_string(),
                expected: Some("a registered EC fiscal code".to_string()),
                found: Some(fc.to_string()),
            }),
            Some(ec) if !ec.enabled => out.push(CheckFailure {
                path: format!("{tpath}/fiscalCodePA"),
                code: err.clone(),
                message: "secondary EC is disabled on the Nodo (SEM_PGPR_04)".to_string(),
                expected: Some("an enabled EC".to_string()),
                found: Some(fc.to_string()),
            }),
            Some(_) => {}
        }
    }
    if let Beneficiary::Iban(iban) = &t.beneficiary {
        if policy.check_ibans && !backoffice.iban_registered(fc, iban) {
            let registered = backoffice
                .ibans
                .get(fc)
                .map(|l| {
                    l.iter()
                        .map(|i| i.iban.as_str())
                        .collect::<Vec<_>>()
                        .join(" | ")
                })
                .filter(|s| !s.is_empty());
            out.push(CheckFailure {
                path: format!("{tpath}/IBAN"),
                code: policy.unknown_iban_code.clone(),
                message: format!("IBAN is not registered for fiscalCodePA {fc} (SEM_PGPR_05/06)"),
                expected: Some(match registered {
                    Some(list) => format!("one of {list}"),
                    None => format!("an IBAN registered for {fc} (none is)"),
                }),
                found: Some(iban.clone()),
            });
        }
    }
    if transfer_type == Some(TransferType::Pagopa)
        && !t.metadata.iter().any(|m| m.key == "IBANAPPOGGIO")
    {
        let keys = t
            .metadata
            .iter()
            .map(|m| m.key.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        out.push(CheckFailure {
            path: format!("{tpath}/metadata"),
            code: err,
            message: "transferType=PAGOPA requires metadata key IBANAPPOGGIO on every transfer"
                .to_string(),
            expected: Some("IBANAPPOGGIO".to_string()),
            found: Some(if keys.is_empty() {
                "no metadata".to_string()
            } else {
                keys
            }),
        });
    }
}

/// `transferType=POSTAL`: the transfer with idTransfer 1 must credit a postal account
/// (DOMAIN.md §3.7). Postal means registered as postal in the back office, or an Italian IBAN
/// with the Poste Italiane ABI.
fn check_postal_first(
    transfers: &[Transfer],
    root: &str,
    backoffice: &BackOffice,
    out: &mut Vec<CheckFailure>,
) {
    let Some((i, t)) = transfers
        .iter()
        .enumerate()
        .find(|(_, t)| t.id_transfer == 1)
    else {
        return;
    };
    let path = format!("{root}/data/transferList/transfer[{}]/IBAN", i + 1);
    let found = match &t.beneficiary {
        Beneficiary::Iban(s) => s.clone(),
        Beneficiary::MarcaDaBollo(_) => "richiestaMarcaDaBollo".to_string(),
        Beneficiary::MbdAttachment(_) => "MBDAttachment".to_string(),
    };
    let postal = t.beneficiary.iban().is_some_and(|s| {
        iban::is_postal(s)
            || backoffice
                .iban_info(&t.fiscal_code_pa, s)
                .is_some_and(|i| i.postal)
    });
    if !postal {
        out.push(CheckFailure {
            path,
            code: FaultCode::PptStazioneIntPaErroreResponse,
            message: "transferType=POSTAL requires a postal IBAN on the transfer with idTransfer 1"
                .to_string(),
            expected: Some("a postal IBAN (ABI 07601)".to_string()),
            found: Some(found),
        });
    }
}

#[cfg(test)]
mod tests;
