//! One scenario step: build the request, send it through the mock Nodo (with any fault), have
//! the Nodo judge the reply, and check the step's expectations.

use super::actions::{ActionArgs, ActionResult};
use super::{EngineConfig, StationInstance, expect, receipt};
use crate::scenario::{
    EcAction, FaultSpec, ReceiptSpec, SoapExpect, SoapOptions, Step, StepKind, parse_duration,
};
use collaudo_nodo::nodo::{
    EcEntry, Forward, Integration, Nodo, NodoConfig, ReceiptBasis, ReceiptProblem, Registry,
    StationLink,
};
use collaudo_nodo::{
    Clock, Corruption, Exchange, Fault, Journal, Judgement, NodoClient, SoapActionStyle,
    StationTarget, VirtualClock,
};
use collaudo_reports::{CheckRecord, CheckVerdict, ExchangeRecord, StepRecord, Verdict};
use collaudo_wire::ident::STAND_IN_PROBE;
use collaudo_wire::{Message, QrCode, TransferType, base64};
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
    /// Payment tokens of this case's Nodo start after this many (each case has its own range,
    /// so tokens are unique in the run whatever order the cases run in).
    pub(crate) token_base: u64,
    /// The case's mock Nodo, made by the first step that needs it: it routes the calls, holds
    /// the Stand-In monitor and what it learnt of each notice (the last verify, the
    /// activation), answers from ACA in Stand-In and builds the receipts.
    pub(crate) nodo: Option<Arc<Nodo>>,
    /// The Nodo's client toward the station, made by the case's first call and shared by the
    /// rest: its connection pool is kept between steps, as the Nodo's forwarder keeps its
    /// connections, and a TLS client is not set up again for every step (about 60 µs each,
    /// 40 ms over a default run).
    pub(crate) client: Option<NodoClient>,
}

impl ScenarioCtx<'_> {
    /// The case's Nodo: the EC under test served by the station under test.
    pub(crate) fn nodo(&mut self) -> Result<Arc<Nodo>, String> {
        if let Some(n) = &self.nodo {
            return Ok(n.clone());
        }
        let client = self.client()?;
        let mut registry = Registry::default().with_station(StationLink {
            client,
            get_payment_v2: self.cfg.get_payment_version == 2,
            send_rt_v2: self.cfg.send_rt_version == 2,
        });
        let mut ecs: BTreeMap<String, EcEntry> = BTreeMap::new();
        ecs.insert(
            self.cfg.caller.id_pa.clone(),
            EcEntry {
                fiscal_code: self.cfg.caller.id_pa.clone(),
                integration: Integration::Sync,
                station: Some(self.cfg.caller.id_station.clone()),
                broadcast: Vec::new(),
            },
        );
        // The Nodo presents the same client certificate, trusts the same CAs and crosses the
        // same proxy toward every station; gateway headers belong to the gateway of the
        // station under test only.
        let own = self.station.connection(self.cfg);
        let broadcast_connection = Arc::new(collaudo_nodo::Connection {
            tls: own.tls.clone(),
            headers: Vec::new(),
            proxy: own.proxy.clone(),
        });
        for b in &self.station.broadcast {
            if b.caller.id_station == self.cfg.caller.id_station {
                // The serving station flagged broadcast too: it gets each receipt once. (The
                // Nodo knows a station by its idStation, as its configuration database does.)
                continue;
            }
            let client = NodoClient::new(
                StationTarget {
                    url: b.url.clone(),
                    caller: b.caller.clone(),
                    soap_action_style: SoapActionStyle::Quoted,
                },
                broadcast_connection.clone(),
                self.cfg.timeouts.clone(),
                self.clock.clone() as Arc<dyn Clock>,
                self.journal.clone(),
            )
            .map_err(|e| format!("broadcast station {}: {e}", b.url))?;
            registry = registry.with_station(StationLink {
                client,
                get_payment_v2: false,
                send_rt_v2: b.v2,
            });
            let entry = ecs.entry(b.fiscal_code.clone()).or_insert_with(|| EcEntry {
                fiscal_code: b.fiscal_code.clone(),
                integration: Integration::Sync,
                station: None,
                broadcast: Vec::new(),
            });
            if !entry.broadcast.contains(&b.caller.id_station) {
                entry.broadcast.push(b.caller.id_station.clone());
            }
        }
        for ec in ecs.into_values() {
            registry = registry.with_ec(ec);
        }
        let nodo = Nodo::new(NodoConfig {
            registry,
            backoffice: self.station.backoffice.clone(),
            policy: self.cfg.policy.clone(),
            retry: self.cfg.retry,
            standin: self.cfg.standin_rules.clone(),
            aca: self.station.aca.clone(),
            gpd: None,
            clock: self.clock.clone() as Arc<dyn Clock>,
            journal: self.journal.clone(),
            seed: self.cfg.seed,
        })
        .map_err(|e| e.to_string())?
        .with_tokens_after(self.token_base);
        let nodo = Arc::new(nodo);
        self.nodo = Some(nodo.clone());
        Ok(nodo)
    }

    /// The station under test's id in the Nodo's registry.
    pub(crate) fn station_id(&self) -> &str {
        &self.cfg.caller.id_station
    }

    /// A notice of the EC under test.
    pub(crate) fn qr(&self, notice: &str) -> QrCode {
        QrCode {
            fiscal_code: self.cfg.caller.id_pa.clone(),
            notice_number: notice.to_string(),
        }
    }

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
    record(
        index,
        name,
        started,
        Verdict::Skipped,
        format!("not run: {message}"),
        Vec::new(),
    )
}

fn error_record(index: usize, name: String, message: String, started: Instant) -> StepOutcome {
    record(index, name, started, Verdict::Error, message, Vec::new())
}

/// The record of a step with no checks or exchanges of its own (an EC action, an error before
/// any call): its verdict and message as given.
pub(crate) fn record(
    index: usize,
    name: String,
    started: Instant,
    verdict: Verdict,
    message: String,
    transcript: Vec<String>,
) -> StepOutcome {
    StepOutcome::Done(StepRecord {
        index,
        name,
        verdict,
        message: Some(message),
        duration_ms: started.elapsed().as_secs_f64() * 1e3,
        checks: Vec::new(),
        exchanges: Vec::new(),
        transcript,
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

/// The report's record of one receipt delivery attempt (its exchange is in the journal under
/// `seq`).
pub(crate) fn attempt_record(
    a: &collaudo_nodo::Attempt,
    primitive: &str,
    url: &str,
) -> ExchangeRecord {
    ExchangeRecord {
        seq: a.seq,
        primitive: primitive.into(),
        url: url.into(),
        request_bytes: 0,
        response_status: a.status,
        latency_ms: a.latency_ms,
        virtual_time: Some(a.virtual_at.to_string()),
        outcome: a.outcome.to_string(),
        attempt: Some(a.n),
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
    // Time the step lets pass before it acts: the Nodo's own probes meanwhile belong to it.
    let mut passed = Vec::new();
    if let Some(adv) = &st.advance {
        if let Some(d) = parse_duration(adv.get_ref()) {
            super::standin::let_time_pass(cx, d, index, &mut transcript, &mut passed).await;
            transcript.push(format!(
                "virtual clock advanced by {} to {}",
                adv.get_ref(),
                cx.clock.now()
            ));
        }
    }
    super::standin::apply_local_time(
        cx,
        index,
        st.at_local_time.as_ref(),
        &mut transcript,
        &mut passed,
    )
    .await;
    let outcome = act(cx, index, st, name, started, transcript).await;
    match outcome {
        StepOutcome::Done(mut record) if !passed.is_empty() => {
            passed.append(&mut record.exchanges);
            record.exchanges = passed;
            StepOutcome::Done(record)
        }
        other => other,
    }
}

/// What the step does once its time has come.
async fn act(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    st: &Step,
    name: String,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
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
            )
            .await;
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
    let nodo = match cx.nodo() {
        Ok(n) => n,
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
            // The PSP activates with the amount the verify gave it.
            let msg = client.get_payment(qr(&n), nodo.verified_amount(&qr(&n)), v2, tt);
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
                    return record(
                        index,
                        name,
                        started,
                        Verdict::Skipped,
                        format!("not run: {why}"),
                        transcript,
                    );
                }
                Err(ReceiptSource::Invalid(why)) => {
                    return error_record(index, name, why, started);
                }
            };
            match &st.kind {
                StepKind::Deliver(d) => {
                    return super::delivery::run(
                        cx, index, d, name, &n, r, v2, started, transcript,
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
    let psp_traffic = matches!(st.kind, StepKind::Verify(_) | StepKind::Activate(_));
    for _ in 0..repeat {
        let forwarded = nodo
            .forward(Forward {
                ec: &cx.cfg.caller.id_pa,
                notice: notice.as_deref(),
                message: &msg,
                body: body.clone(),
                soap_action: soap_action.clone(),
                fault: fault.clone(),
                psp_traffic,
                scenario: Some(&cx.scenario_id),
                step: Some(index),
            })
            .await;
        let (ex, j) = match forwarded {
            Ok(f) => {
                for t in &f.transitions {
                    transcript.push(format!("Stand-In monitor: station {t}"));
                }
                (f.exchange, f.judgement)
            }
            Err(e) => return error_record(index, name, e.to_string(), started),
        };
        let label = j.outcome.label();
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
    // The Nodo remembered the verify and the activation; an activation is compared with the
    // verify before it.
    if let Some(Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r)) = &j.message {
        if let (Some(d), Some(n)) = (&r.data, &notice) {
            if j.outcome.is_ok() {
                if let Some(v) = nodo.verified(&qr(n)) {
                    checks.extend(expect::verify_activate_consistent(&v, d));
                }
            }
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
            .and_then(|n| cx.nodo.as_ref()?.verified_amount(&cx.qr(n)))
            .and_then(|a| i64::try_from(a.cents()).ok())
            .map(|a| a + delta),
        gpd: None,
    };
    let outcome = cx.station.actions.perform(action, &args).await;
    if let (Some(n), Some(nodo)) = (&notice, &cx.nodo) {
        nodo.notice_changed(&cx.qr(n));
    }
    match outcome {
        ActionResult::Done(msg) => {
            transcript.push(format!("EC action {action}: {msg}"));
            record(index, name, started, Verdict::Pass, msg, transcript)
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
    let nodo = cx.nodo().map_err(ReceiptSource::Invalid)?;
    let stand_in = st.stand_in.unwrap_or(false);
    let ec = &cx.cfg.caller.id_pa;
    let from_verify = st
        .receipt_from
        .as_ref()
        .is_some_and(|s| s.get_ref() == "verify");
    let iban;
    let basis = if from_verify {
        iban = cx
            .station
            .backoffice
            .ibans
            .get(ec)
            .and_then(|l| l.iter().find(|i| !i.postal).or_else(|| l.first()))
            .map(|i| i.iban.clone());
        match &iban {
            Some(iban) => ReceiptBasis::Verify { iban },
            None if nodo.verified(&cx.qr(notice)).is_none() => {
                return Err(no_verify(notice));
            }
            None => {
                return Err(ReceiptSource::Invalid(format!(
                    "no IBAN registered for EC {ec} in [backoffice] to credit the receipt to"
                )));
            }
        }
    } else {
        ReceiptBasis::Activation
    };
    let mut r = nodo
        .receipt_for(&cx.qr(notice), basis, v2, stand_in)
        .map_err(|p| match p {
            ReceiptProblem::NoVerify => no_verify(notice),
            ReceiptProblem::NoActivation => ReceiptSource::Missing(format!(
                "no successful activation of {notice} earlier in this scenario to build the receipt from"
            )),
            ReceiptProblem::Invalid(why) => ReceiptSource::Invalid(why),
        })?;
    if let Some(delta) = st.amount_delta_cents {
        receipt::shift_amount(&mut r, delta).map_err(ReceiptSource::Invalid)?;
    }
    Ok(r)
}

fn no_verify(notice: &str) -> ReceiptSource {
    ReceiptSource::Missing(format!(
        "no successful verify of {notice} earlier in this scenario to build the receipt from"
    ))
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
