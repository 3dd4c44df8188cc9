//! One scenario step: build the request, send it through the mock Nodo (with any fault), have
//! the Nodo judge the reply, and check the step's expectations.

use super::actions::{ActionArgs, ActionResult};
use super::{EngineConfig, StationInstance, expect, receipt};
use crate::scenario::{
    EcAction, FaultSpec, ReceiptSpec, SoapExpect, SoapOptions, Step, StepKind, parse_duration,
};
use collaudo_nodo::{
    Clock, Corruption, Exchange, Fault, Journal, Judgement, NodoClient, SoapActionStyle,
    StationTarget, VirtualClock, judge_bounded,
};
use collaudo_reports::{CheckRecord, CheckVerdict, ExchangeRecord, StepRecord, Verdict};
use collaudo_wire::ident::STAND_IN_PROBE;
use collaudo_wire::{Amount, Message, PaymentData, QrCode, TransferType, base64};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// State carried across the steps of one scenario.
pub(crate) struct ScenarioCtx<'a> {
    pub(crate) cfg: &'a EngineConfig,
    pub(crate) station: &'a StationInstance,
    pub(crate) clock: Arc<VirtualClock>,
    pub(crate) journal: Arc<Journal>,
    pub(crate) scenario_id: String,
    pub(crate) captures: BTreeMap<String, String>,
    /// Notice → (activation data, version used), to build receipts.
    pub(crate) activations: BTreeMap<String, PaymentData>,
    /// Notice → amount answered by the last verify (the Nodo passes it on at activation).
    pub(crate) verified_amounts: BTreeMap<String, Amount>,
    /// Notice → the last valid verify answer (for receipts built without an activation).
    pub(crate) verifies: BTreeMap<String, collaudo_wire::VerifyPaymentNoticeRes>,
    pub(crate) token_counter: &'a mut u64,
    /// The Nodo's health monitor of the station, once a Stand-In step started it.
    pub(crate) monitor: Option<collaudo_nodo::standin::StationMonitor>,
    /// Notices paid in Stand-In (their receipts carry `standIn=true`).
    pub(crate) standin_notices: std::collections::BTreeSet<String>,
    /// The Nodo's total traffic model in force (set by outage/recover steps).
    pub(crate) traffic: Option<collaudo_nodo::standin::TrafficModel>,
    /// The Nodo's client toward the station, made by the case's first call and shared by the
    /// rest: its connection pool is kept between steps, as the Nodo's forwarder keeps its
    /// connections, and a TLS client is not set up again for every step (about 60 µs each,
    /// 40 ms over a default run).
    pub(crate) client: Option<NodoClient>,
}

impl ScenarioCtx<'_> {
    /// The Nodo's client toward the station under test.
    pub(crate) fn client(&mut self) -> Result<NodoClient, String> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let c = NodoClient::new(
            StationTarget {
                url: self.station.url.clone(),
                caller: self.cfg.caller.clone(),
                soap_action_style: SoapActionStyle::Quoted,
            },
            self.station.connection(self.cfg).clone(),
            self.cfg.timeouts.clone(),
            self.clock.clone() as Arc<dyn Clock>,
            self.journal.clone(),
        )
        .map_err(|e| e.to_string())?;
        self.client = Some(c.clone());
        Ok(c)
    }
}

/// What a step produced.
pub(crate) enum StepOutcome {
    /// A record (pass, fail or error).
    Done(StepRecord),
    /// The whole scenario cannot run here (e.g. an EC action without a hook).
    Skip(String),
}

pub(crate) fn check(name: &str, verdict: CheckVerdict, message: impl Into<String>) -> CheckRecord {
    CheckRecord {
        name: name.into(),
        verdict,
        message: message.into(),
        expected: None,
        actual: None,
        nodo_outcome: None,
    }
}

pub(crate) fn verdict_of(checks: &[CheckRecord]) -> Verdict {
    if checks.iter().any(|c| c.verdict == CheckVerdict::Fail) {
        Verdict::Fail
    } else {
        Verdict::Pass
    }
}

pub(crate) fn error_outcome(
    index: usize,
    name: String,
    message: String,
    started: Instant,
) -> StepOutcome {
    error_record(index, name, message, started)
}

/// A step that cannot run here (its notice's role is not mapped): recorded, sends nothing, and
/// the case goes on with the steps it can run.
fn skip_record(index: usize, name: String, message: String, started: Instant) -> StepOutcome {
    StepOutcome::Done(StepRecord {
        index,
        name,
        verdict: Verdict::Skipped,
        message: Some(format!("not run: {message}")),
        duration_ms: started.elapsed().as_secs_f64() * 1e3,
        checks: Vec::new(),
        exchanges: Vec::new(),
        transcript: Vec::new(),
    })
}

fn error_record(index: usize, name: String, message: String, started: Instant) -> StepOutcome {
    StepOutcome::Done(StepRecord {
        index,
        name,
        verdict: Verdict::Error,
        message: Some(message),
        duration_ms: started.elapsed().as_secs_f64() * 1e3,
        checks: Vec::new(),
        exchanges: Vec::new(),
        transcript: Vec::new(),
    })
}

pub(crate) fn fault_of(fault: Option<&FaultSpec>) -> Option<Fault> {
    let f = fault?;
    Some(match f.kind.get_ref().as_str() {
        "latency" => Fault::Latency(
            f.duration
                .as_ref()
                .and_then(|d| parse_duration(d.get_ref()))
                .unwrap_or_default(),
        ),
        "timeout" => Fault::Timeout,
        "refuse" => Fault::Refuse,
        "corrupt" => Fault::Corrupt(match f.how.as_ref().map(|h| h.get_ref().as_str()) {
            Some("truncate") => Corruption::Truncate,
            Some("empty") => Corruption::Empty,
            Some("invalid-utf8") => Corruption::InvalidUtf8,
            _ => Corruption::Garbage,
        }),
        _ => Fault::HttpStatus(f.status.as_ref().map_or(500, |s| *s.get_ref())),
    })
}

/// Corrupt a request body as the step asks (the station must answer with a KO, not crash).
fn corrupt_request(body: String, how: &str) -> String {
    match how {
        "truncate" => body.chars().take(body.chars().count() / 2).collect(),
        "garbage" => "this is not XML \u{1} <<<".into(),
        // The payload bound to the PSP-side namespace, as in an old official sample.
        _ => body.replace(
            collaudo_wire::xml::NS_PAFORNODE,
            "http://pagopa-api.pagopa.gov.it/node/nodeForPsp.xsd",
        ),
    }
}

pub(crate) fn exchange_record(ex: &Exchange, outcome: &str) -> ExchangeRecord {
    ExchangeRecord {
        seq: ex.seq,
        primitive: ex.primitive.name().to_string(),
        url: ex.url.clone(),
        request_bytes: ex.request_body.len(),
        response_status: ex.response.as_ref().map(|r| r.status),
        latency_ms: ex.latency_ms,
        virtual_time: Some(ex.virtual_at.to_string()),
        outcome: outcome.to_string(),
        attempt: None,
    }
}

pub(crate) async fn run_step(cx: &mut ScenarioCtx<'_>, index: usize, st: &Step) -> StepOutcome {
    let started = Instant::now();
    let name = st.name.clone().unwrap_or_else(|| {
        st.kind
            .call_name()
            .map_or_else(|| format!("step {}", index + 1), str::to_string)
    });
    let mut transcript = Vec::new();
    if let Some(adv) = &st.advance {
        if let Some(d) = parse_duration(adv.get_ref()) {
            let until = cx.clock.now().plus(d);
            super::standin::settle_monitor(cx, until, &mut transcript);
            cx.clock.advance(d);
            transcript.push(format!(
                "virtual clock advanced by {} to {}",
                adv.get_ref(),
                cx.clock.now()
            ));
        }
    }
    super::standin::apply_local_time(cx, st.at_local_time.as_ref(), &mut transcript);
    let notice = match resolve_notice(cx, st.kind.notice()) {
        Ok(n) => n,
        Err(e) => return skip_record(index, name, e, started),
    };
    match &st.kind {
        StepKind::Wait => {
            return StepOutcome::Done(StepRecord {
                index,
                name,
                verdict: Verdict::Pass,
                message: None,
                duration_ms: started.elapsed().as_secs_f64() * 1e3,
                checks: Vec::new(),
                exchanges: Vec::new(),
                transcript,
            });
        }
        StepKind::Outage(o) => {
            return super::standin::outage(cx, index, o, name, notice, started, transcript).await;
        }
        StepKind::Recover(r) => {
            return super::standin::recover(cx, index, r, name, started, transcript).await;
        }
        StepKind::Aca(a) => {
            let n = notice.unwrap_or_default();
            return super::standin::aca_step(cx, index, &a.expect, name, &n, started, transcript);
        }
        StepKind::AcaFault(f) => {
            return super::standin::aca_fault(cx, index, f, name, started, transcript);
        }
        StepKind::AcaConsistency => {
            return super::standin::aca_consistency(cx, index, name, started, transcript).await;
        }
        kind @ (StepKind::TlsHandshake
        | StepKind::TlsLegacy(_)
        | StepKind::TlsWithoutClientCert) => {
            return super::tls::run(cx, index, kind, name, started).await;
        }
        StepKind::Verify(crate::scenario::Verify { expect, .. })
        | StepKind::Activate(crate::scenario::Activate { expect, .. })
            if super::standin::in_stand_in(cx) =>
        {
            let n = notice.unwrap_or_default();
            let call = st.kind.call_name().unwrap_or_default();
            return super::standin::answer_from_aca(
                cx, index, expect, name, call, &n, started, transcript,
            );
        }
        StepKind::Action(a) => {
            return run_action(cx, index, a, name, notice, started, transcript).await;
        }
        kind @ (StepKind::Gpd(_) | StepKind::Checkout(_) | StepKind::GpdAction(_)) => {
            return super::gpd::run(cx, index, kind, name, started, transcript).await;
        }
        StepKind::Verify(_)
        | StepKind::Activate(_)
        | StepKind::SendRt(_)
        | StepKind::Deliver(_)
        | StepKind::Demand(_)
        | StepKind::Probe(_) => {}
    }

    let client = match cx.client() {
        Ok(c) => c,
        Err(e) => return error_record(index, name, e, started),
    };
    let qr = |n: &str| QrCode {
        fiscal_code: cx.cfg.caller.id_pa.clone(),
        notice_number: n.to_string(),
    };
    let (soap, expect, mut msg): (&SoapOptions, &SoapExpect, Message) = match &st.kind {
        StepKind::Verify(v) => (
            &v.soap,
            &v.expect,
            client.verify(qr(notice.as_deref().unwrap_or_default())),
        ),
        StepKind::Probe(p) => (&p.soap, &p.expect, client.verify(qr(STAND_IN_PROBE))),
        StepKind::Activate(a) => {
            let v2 = a
                .version
                .as_ref()
                .map_or(cx.cfg.get_payment_version, |v| *v.get_ref())
                == 2;
            let n = notice.clone().unwrap_or_default();
            let tt = a.transfer_type.as_ref().map(|t| {
                if t.get_ref() == "POSTAL" {
                    TransferType::Postal
                } else {
                    TransferType::Pagopa
                }
            });
            let msg = client.get_payment(qr(&n), cx.verified_amounts.get(&n).copied(), v2, tt);
            (&a.soap, &a.expect, msg)
        }
        StepKind::SendRt(crate::scenario::SendRt { receipt, .. })
        | StepKind::Deliver(crate::scenario::Deliver { receipt, .. }) => {
            let v2 = receipt
                .version
                .as_ref()
                .map_or(cx.cfg.send_rt_version, |v| *v.get_ref())
                == 2;
            let n = notice.clone().unwrap_or_default();
            let r = match build_receipt(cx, receipt, &n, v2) {
                Ok(r) => r,
                Err(ReceiptSource::Missing(why)) => {
                    // What this receipt needs did not happen earlier (a failed activation, or
                    // one judged on something else that gave no data): a consequence, not a
                    // new finding about the station nor a harness error.
                    return StepOutcome::Done(StepRecord {
                        index,
                        name,
                        verdict: Verdict::Skipped,
                        message: Some(format!("not run: {why}")),
                        duration_ms: started.elapsed().as_secs_f64() * 1e3,
                        checks: Vec::new(),
                        exchanges: Vec::new(),
                        transcript,
                    });
                }
                Err(ReceiptSource::Invalid(why)) => {
                    return error_record(index, name, why, started);
                }
            };
            match &st.kind {
                StepKind::Deliver(d) => {
                    return super::delivery::run(
                        cx, index, d, name, &n, r, v2, &client, started, transcript,
                    )
                    .await;
                }
                StepKind::SendRt(s) => (&s.soap, &s.expect, client.send_rt(r, v2)),
                _ => return error_record(index, name, "not a receipt".into(), started),
            }
        }
        StepKind::Demand(dm) => {
            let d = dm.demand.as_ref();
            let id_servizio = d
                .and_then(|d| d.id_servizio.as_ref())
                .map_or_else(|| cx.cfg.demand.0.clone(), |s| s.get_ref().clone());
            let id_soggetto = d
                .and_then(|d| d.id_soggetto_servizio.as_ref())
                .map_or_else(|| cx.cfg.demand.1.clone(), |s| s.get_ref().clone());
            let data = match d.and_then(|d| d.raw_service_data.clone()) {
                Some(raw) => raw,
                None => base64::encode(
                    d.and_then(|d| d.service_data.clone())
                        .unwrap_or_else(|| cx.cfg.demand.2.clone())
                        .as_bytes(),
                ),
            };
            (
                &dm.soap,
                &dm.expect,
                client.demand(id_servizio, id_soggetto, data),
            )
        }
        other => {
            return error_record(
                index,
                name,
                format!("{other:?} sends no request of its own"),
                started,
            );
        }
    };
    if let Some(o) = &soap.caller {
        apply_caller(&mut msg, o);
    }
    let (primitive, _) = msg.kind();
    let fault = fault_of(soap.fault.as_ref());
    let repeat = soap.repeat.as_ref().map_or(1, |r| *r.get_ref());
    let style = soap
        .soap_action
        .as_ref()
        .map_or("quoted", |s| s.get_ref().as_str());
    let soap_action = match style {
        "unquoted" => Some(primitive.name().to_string()),
        "none" => None,
        _ => Some(collaudo_wire::soap_action(primitive)),
    };
    let prefixes = match soap.prefixes.as_ref().map(|p| p.get_ref().as_str()) {
        Some("jax-ws") => collaudo_wire::Prefixes::JAX_WS,
        Some("default-ns") => collaudo_wire::Prefixes::DEFAULT_NS,
        _ => collaudo_wire::Prefixes::CANONICAL,
    };
    let mut body = match msg.to_xml_with(prefixes) {
        Ok(b) => b,
        Err(e) => {
            return error_record(
                index,
                name,
                format!("cannot write the request: {e}"),
                started,
            );
        }
    };
    if let Some(c) = &soap.corrupt_request {
        body = corrupt_request(body, c.get_ref());
    }

    let mut checks: Vec<CheckRecord> = Vec::new();
    let mut exchanges = Vec::new();
    let mut latencies = Vec::new();
    let mut last: Option<(Exchange, Judgement)> = None;
    for _ in 0..repeat {
        let ex = client
            .send_raw(
                primitive,
                body.clone(),
                soap_action.clone(),
                fault.clone(),
                Some(&cx.scenario_id),
                Some(index),
            )
            .await;
        let j = judge_bounded(&ex, &msg, &cx.station.backoffice, &cx.cfg.policy).await;
        if matches!(st.kind, StepKind::Verify(_) | StepKind::Activate(_)) {
            if let Some(m) = cx.monitor.as_mut() {
                m.observe_outcome(ex.virtual_at, &j.outcome);
            }
        }
        let label = j.outcome.label();
        cx.journal.update_classification(ex.seq, label.clone());
        transcript.push(format!(
            "→ {} {}{} [SOAPAction {}]",
            primitive,
            notice
                .as_deref()
                .map_or(String::new(), |n| format!("notice {n} ")),
            fault
                .as_ref()
                .map_or(String::new(), |f| format!("with injected fault {f} ")),
            soap_action.as_deref().unwrap_or("absent"),
        ));
        transcript.push(format!(
            "← {} in {:.1} ms: the Nodo concludes {}",
            ex.response.as_ref().map_or_else(
                || ex
                    .transport_error
                    .as_ref()
                    .map_or("no answer".to_string(), |e| e.to_string()),
                |r| format!("HTTP {} ({} bytes)", r.status, r.body.len())
            ),
            ex.latency_ms,
            j.outcome
        ));
        latencies.push(ex.latency_ms);
        exchanges.push(exchange_record(&ex, &label));
        // Every repetition is judged; a repeated step fails if any answer fails.
        let mut these = vec![expect::nodo_outcome(&j, expect)];
        these.extend(expect::fault_codes(&j, expect));
        let measuring = expect.nodo.as_ref().is_some_and(|n| n.get_ref() == "any");
        these.extend(expect::findings(&j).into_iter().map(|mut c| {
            // A measurement step judges time only: what is wrong with the answer is reported,
            // and judged by the cases about that answer.
            if measuring && c.verdict == CheckVerdict::Fail {
                c.verdict = CheckVerdict::Warn;
            }
            c
        }));
        these.extend(expect::hygiene(&j, expect.require_http_200));
        // One repetition's passes stand for all; every failure and warning is kept (the
        // dedup below keeps each distinct message once).
        if repeat == 1
            || these
                .iter()
                .any(|c| matches!(c.verdict, CheckVerdict::Fail | CheckVerdict::Warn))
        {
            for c in these {
                if !checks
                    .iter()
                    .any(|o: &CheckRecord| o.name == c.name && o.message == c.message)
                {
                    checks.push(c);
                }
            }
        }
        last = Some((ex, j));
    }
    let Some((ex, j)) = last else {
        return error_record(index, name, "no call was made".into(), started);
    };
    // Remember what later steps need.
    if let Some(Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r)) = &j.message {
        if let (Some(d), Some(n)) = (&r.data, &notice) {
            if j.outcome.is_ok() {
                if let Some(v) = cx.verifies.get(n) {
                    checks.extend(expect::verify_activate_consistent(v, d));
                }
            }
            cx.activations.insert(n.clone(), d.clone());
        }
    }
    if matches!(st.kind, StepKind::Activate(_))
        && !cx.cfg.features.backoffice
        && j.message.is_some()
    {
        checks.push(check(
            "backoffice-checks",
            CheckVerdict::Skip,
            "IBANs registered for their EC and secondary ECs enabled on the Nodo were not checked: add [backoffice] to collaudo.toml with the ECs and IBANs registered in the pagoPA Back Office",
        ));
    }
    if let Some(Message::VerifyPaymentNoticeRes(r)) = &j.message {
        if let (Some(o), Some(n)) = (&r.payment_option, &notice) {
            cx.verified_amounts.insert(n.clone(), o.amount);
            cx.verifies.insert(n.clone(), r.clone());
        }
    }
    checks.extend(expect::fields(&ex, expect, &cx.captures));
    let named_cx = expect::NamedCtx {
        notice: notice.as_deref(),
        segregation_codes: &cx.cfg.segregation_codes,
        captures: &cx.captures,
        backoffice: &cx.station.backoffice,
        ec_fiscal_code: &cx.cfg.caller.id_pa,
    };
    checks.extend(expect::named(&j, expect, &named_cx));
    checks.extend(expect::latency(&latencies, expect));
    let body = ex
        .response
        .as_ref()
        .map(|r| r.body.as_slice())
        .unwrap_or(&[]);
    for (cap, path) in &soap.capture {
        match expect::field(body, path.get_ref()) {
            Some(v) => {
                transcript.push(format!("captured {cap} = {v:?} from {}", path.get_ref()));
                cx.captures.insert(cap.clone(), v);
            }
            None => checks.push(check(
                &format!("capture {cap}"),
                CheckVerdict::Fail,
                format!("{} is absent from the answer", path.get_ref()),
            )),
        }
    }
    finish(index, name, started, checks, exchanges, transcript)
}

/// An EC back-office action on the notice, by the embedded station, a hook or the person at
/// the terminal.
async fn run_action(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    a: &EcAction,
    name: String,
    notice: Option<String>,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    let action = a.action.as_str();
    let delta = a.action.delta_cents();
    let args = ActionArgs {
        notice: notice.clone().unwrap_or_default(),
        delta_cents: delta,
        amount_cents: notice
            .as_ref()
            .and_then(|n| cx.verified_amounts.get(n))
            .and_then(|a| i64::try_from(a.cents()).ok())
            .map(|a| a + delta),
        gpd: None,
    };
    let outcome = cx.station.actions.perform(action, &args).await;
    if let Some(n) = &notice {
        // The EC changed the notice: the last verify no longer describes it, so the next
        // activation is compared with the next verify, if any.
        cx.verifies.remove(n);
        cx.verified_amounts.remove(n);
    }
    match outcome {
        ActionResult::Done(msg) => {
            transcript.push(format!("EC action {action}: {msg}"));
            StepOutcome::Done(StepRecord {
                index,
                name,
                verdict: Verdict::Pass,
                message: Some(msg),
                duration_ms: started.elapsed().as_secs_f64() * 1e3,
                checks: Vec::new(),
                exchanges: Vec::new(),
                transcript,
            })
        }
        ActionResult::NotAvailable(why) => StepOutcome::Skip(why),
        ActionResult::Failed(why) => error_record(
            index,
            name,
            format!("EC action {action} failed: {why}"),
            started,
        ),
    }
}

/// The record of a step that ran: failed if any check failed, with the first failure as its
/// message. Every kind of step ends here, so verdicts are derived one way.
pub(crate) fn finish(
    index: usize,
    name: String,
    started: Instant,
    checks: Vec<CheckRecord>,
    exchanges: Vec<ExchangeRecord>,
    transcript: Vec<String>,
) -> StepOutcome {
    let verdict = verdict_of(&checks);
    let message = checks
        .iter()
        .find(|c| c.verdict == CheckVerdict::Fail)
        .map(|c| format!("{}: {}", c.name, c.message));
    StepOutcome::Done(StepRecord {
        index,
        name,
        verdict,
        message,
        duration_ms: started.elapsed().as_secs_f64() * 1e3,
        checks,
        exchanges,
        transcript,
    })
}

/// Why a receipt could not be built.
pub(crate) enum ReceiptSource {
    /// The data it is built from is missing (no earlier activation / verify).
    Missing(String),
    /// The configuration cannot supply it (e.g. no IBAN for the EC).
    Invalid(String),
}

/// The receipt a `send-rt` step delivers: from the scenario's earlier activation of the notice
/// or, with `receipt_from = "verify"`, from its verify (as the Nodo does after Stand-In, with one
/// transfer of the total to the EC).
pub(crate) fn build_receipt(
    cx: &mut ScenarioCtx<'_>,
    st: &ReceiptSpec,
    notice: &str,
    v2: bool,
) -> Result<collaudo_wire::Receipt, ReceiptSource> {
    *cx.token_counter += 1;
    let token = receipt::token(cx.cfg.seed, *cx.token_counter);
    let now = cx.clock.now().to_string();
    let stand_in = st.stand_in.unwrap_or(false);
    let mut r = match st
        .receipt_from
        .as_ref()
        .map_or("activation", |s| s.get_ref().as_str())
    {
        "verify" => {
            let Some(v) = cx.verifies.get(notice) else {
                return Err(ReceiptSource::Missing(format!(
                    "no successful verify of {notice} earlier in this scenario to build the receipt from"
                )));
            };
            let ec = &cx.cfg.caller.id_pa;
            let iban = cx
                .station
                .backoffice
                .ibans
                .get(ec)
                .and_then(|l| l.iter().find(|i| !i.postal).or_else(|| l.first()))
                .map(|i| i.iban.clone())
                .ok_or_else(|| {
                    ReceiptSource::Invalid(format!(
                        "no IBAN registered for EC {ec} in [backoffice] to credit the receipt to"
                    ))
                })?;
            receipt::from_verify(v, notice, ec, &token, v2, &now, &iban, stand_in)
                .map_err(ReceiptSource::Invalid)?
        }
        _ => {
            let Some(data) = cx.activations.get(notice) else {
                return Err(ReceiptSource::Missing(format!(
                    "no successful activation of {notice} earlier in this scenario to build the receipt from"
                )));
            };
            let mut r = receipt::from_activation(
                data,
                notice,
                &cx.cfg.caller.id_pa,
                &token,
                v2,
                &now,
                "Ente creditore",
            );
            let paid_in_stand_in = cx.standin_notices.contains(notice);
            r.stand_in = Some(stand_in || paid_in_stand_in);
            if paid_in_stand_in {
                // The PSP's outcome closes the payment: ACA now holds the position as paid.
                if let Some(store) = cx.station.aca.as_ref().map(|a| a.store()) {
                    let _ = store.mark_paid(&cx.cfg.caller.id_pa, &data.creditor_reference_id);
                }
            }
            r
        }
    };
    if let Some(delta) = st.amount_delta_cents {
        receipt::shift_amount(&mut r, delta).map_err(ReceiptSource::Invalid)?;
    }
    Ok(r)
}

fn resolve_notice(
    cx: &ScenarioCtx<'_>,
    notice: Option<&toml::Spanned<String>>,
) -> Result<Option<String>, String> {
    let Some(n) = notice else { return Ok(None) };
    let n = n.get_ref();
    if n.len() == 18 && n.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Some(n.clone()));
    }
    cx.station
        .fixtures
        .get(n)
        .cloned()
        .map(Some)
        .ok_or_else(|| {
            format!("fixture role `{n}` is not configured (or has no notice left): map it in [fixtures] to run this step")
        })
}

fn apply_caller(msg: &mut Message, o: &crate::scenario::CallerOverride) {
    let caller = match msg {
        Message::VerifyPaymentNoticeReq(r) => &mut r.caller,
        Message::GetPaymentReq(r) | Message::GetPaymentV2Req(r) => &mut r.caller,
        Message::SendRtReq(r) | Message::SendRtV2Req(r) => &mut r.caller,
        Message::DemandPaymentNoticeReq(r) => &mut r.caller,
        _ => return,
    };
    if let Some(v) = &o.id_pa {
        caller.id_pa = v.clone();
    }
    if let Some(v) = &o.id_broker_pa {
        caller.id_broker_pa = v.clone();
    }
    if let Some(v) = &o.id_station {
        caller.id_station = v.clone();
    }
}
