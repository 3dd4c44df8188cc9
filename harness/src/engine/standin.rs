//! The Stand-In simulation (DOMAIN.md §7): an outage of PSP traffic toward the station feeds
//! the Nodo's health monitor; once the station is in Stand-In, verify and activate are answered
//! from the ACA copy without calling the station; technical probes bring it back; and the ACA
//! archive can be inspected and compared with what the station answers (ACA-008).

use super::step::{ScenarioCtx, StepOutcome, exchange_record, fault_of, finish as done};
use crate::scenario::{
    AcaExpect, AcaFault, Outage, Recover, SoapExpect, StandInExpect, parse_duration,
    parse_local_time,
};
use collaudo_nodo::aca::{AcaPosition, PositionStatus};
use collaudo_nodo::nodo::{Forward, Nodo, Passing, probe_label, standin_answer};
use collaudo_nodo::standin::{TrafficModel, TrafficShare, Transition, rome_utc_offset_hours};
use collaudo_nodo::{Clock, Judgement, NodoOutcome, VirtualTime};
use collaudo_reports::{CheckRecord, CheckVerdict, ExchangeRecord};
use collaudo_wire::{Amount, Message};
use std::sync::Arc;
use std::time::{Duration, Instant};
use toml::Spanned;

fn check(name: &str, verdict: CheckVerdict, message: impl Into<String>) -> CheckRecord {
    CheckRecord {
        name: name.into(),
        verdict,
        message: message.into(),
        expected: None,
        actual: None,
        nodo_outcome: None,
    }
}

fn pass_fail(
    name: &str,
    ok: bool,
    message: String,
    expected: String,
    actual: String,
) -> CheckRecord {
    CheckRecord {
        expected: Some(expected),
        actual: Some(actual),
        ..check(
            name,
            if ok {
                CheckVerdict::Pass
            } else {
                CheckVerdict::Fail
            },
            message,
        )
    }
}

fn advance_to(clock: &dyn Clock, at: VirtualTime) {
    let now = clock.now();
    if at > now {
        clock.advance(at.since(now));
    }
}

/// The case's Nodo, watching the station under test from now on if it was not already.
fn watching(cx: &mut ScenarioCtx<'_>) -> Result<Arc<Nodo>, String> {
    let nodo = cx.nodo()?;
    nodo.watch(cx.station_id())
        .map_err(|e| format!("invalid [standin] rules: {e}"))?;
    Ok(nodo)
}

/// The step's traffic model; a step that does not give one keeps the scenario's current one.
///
/// A step's `nodo_traffic_per_slot` holds from the slot the step starts in: the Nodo counts a
/// slot's total when the slot closes, so the slot in progress takes the new figure, while the
/// slots that closed before the step keep the traffic they had (they are still in the range
/// of the next evaluations, and rewriting them would judge past slots by present traffic).
fn traffic(nodo: &Nodo, per_slot: Option<&Spanned<u64>>, default: u64) -> TrafficModel {
    if let Some(t) = per_slot {
        nodo.set_traffic(TrafficModel::PerSlot(*t.get_ref()));
    }
    nodo.traffic_or(TrafficModel::PerSlot(default))
}

fn transition_records(
    ts: &[Transition],
    transcript: &mut Vec<String>,
    checks: &mut Vec<CheckRecord>,
) {
    for t in ts {
        transcript.push(format!("Stand-In monitor: station {t}"));
        checks.push(CheckRecord {
            expected: None,
            actual: Some(format!("{} → {}", t.from, t.to)),
            ..check("stand-in-transition", CheckVerdict::Pass, t.to_string())
        });
    }
}

fn expect_standin(
    cx: &ScenarioCtx<'_>,
    nodo: &Nodo,
    expect: &StandInExpect,
    traffic: &TrafficModel,
    checks: &mut Vec<CheckRecord>,
) {
    let Some(want) = expect.standin else {
        return;
    };
    let Some(m) = nodo.monitor(cx.station_id()) else {
        return;
    };
    let got = m.in_stand_in();
    let numbers = m.assess(cx.clock.now(), traffic);
    let detail = if got {
        format!(
            "station in Stand-In for {} min, {} of {} probes positive in the exit window",
            numbers.minutes_in_standin, numbers.positive_probes, numbers.probes
        )
    } else {
        let last = m
            .transitions()
            .last()
            .map_or(String::new(), |t| format!("; last transition: {t}"));
        let traffic = match numbers.traffic_rule {
            TrafficShare::PerSlot => format!(
                "{} of {} slots above {} % of their slot's Nodo traffic",
                numbers.high_traffic_slots, numbers.slots, numbers.threshold
            ),
            TrafficShare::Range => format!(
                "station share of Nodo traffic {:.1} % vs threshold {} %",
                numbers.traffic_share, numbers.threshold
            ),
        };
        format!(
            "station not in Stand-In ({} of {} slots failed in the last range, {traffic}{}){last}",
            numbers.failed_slots,
            numbers.slots,
            if numbers.night { ", night" } else { ", day" },
        )
    };
    checks.push(pass_fail(
        "stand-in-state",
        got == want,
        detail,
        if want {
            "in Stand-In"
        } else {
            "not in Stand-In"
        }
        .into(),
        if got {
            "in Stand-In"
        } else {
            "not in Stand-In"
        }
        .into(),
    ));
}

/// `call = "outage"`: PSP traffic toward the station for `duration`, `requests_per_slot`
/// verifies per slot, the first `failing_percent` % of each slot failing with `fault`; the
/// monitor is evaluated at every slot boundary. Once the station is in Stand-In the Nodo stops
/// calling it for verify/activate, so the simulated traffic stops reaching it.
pub(crate) async fn outage(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    st: &Outage,
    name: String,
    notice: Option<String>,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    let err = |msg: String| super::step::error_outcome(index, name.clone(), msg, started);
    let Some(duration) = parse_duration(st.duration.get_ref()) else {
        return err("outage needs a duration".into());
    };
    let per_slot = st
        .requests_per_slot
        .as_ref()
        .map_or(10, |r| *r.get_ref())
        .max(1);
    let fault = fault_of(st.fault.as_ref());
    let failing = st
        .failing_percent
        .as_ref()
        .map_or(if fault.is_some() { 100 } else { 0 }, |p| *p.get_ref());
    let nodo = match cx.nodo() {
        Ok(n) => n,
        Err(e) => return err(e),
    };
    let traffic = traffic(
        &nodo,
        st.nodo_traffic_per_slot.as_ref(),
        u64::from(per_slot) * 10,
    );
    let notice = match notice.or_else(|| cx.station.fixtures.get("payable").cloned()) {
        Some(n) => n,
        None => return StepOutcome::Skip("the `payable` fixture role is not configured".into()),
    };
    let client = match cx.client() {
        Ok(c) => c,
        Err(e) => return err(e),
    };
    if let Err(e) = watching(cx) {
        return err(e);
    }
    let station = cx.station_id().to_string();
    let slot = Duration::from_secs(u64::from(cx.cfg.standin_rules.slot_minutes) * 60);
    let start = cx.clock.now();
    let end = start.plus(duration);
    transcript.push(format!(
        "outage from {start} to {end}: {per_slot} verifies per {}-minute slot, {failing} % failing with {}, Nodo traffic {} per slot",
        slot.as_secs() / 60,
        fault.as_ref().map_or("nothing".to_string(), ToString::to_string),
        traffic.total_in_slot(start)
    ));
    let mut checks = Vec::new();
    let mut exchanges = Vec::new();
    let (mut sent, mut failed) = (0u32, 0u32);
    let request = client.verify(cx.qr(&notice));
    let mut slot_start = start;
    'slots: while slot_start < end {
        for i in 0..per_slot {
            let at = slot_start.plus(slot.mul_f64(f64::from(i) / f64::from(per_slot)));
            if at >= end {
                break;
            }
            advance_to(cx.clock.as_ref(), at);
            if nodo.in_stand_in(&station) {
                break 'slots;
            }
            let faulty = i * 100 < failing * per_slot;
            let mut call = Forward::as_written(&cx.cfg.caller.id_pa, Some(&notice), &request);
            call.fault = if faulty { fault.clone() } else { None };
            call.scenario = Some(&cx.scenario_id);
            call.step = Some(index);
            let f = match nodo.forward(call).await {
                Ok(f) => f,
                Err(e) => return err(e.to_string()),
            };
            transition_records(&f.transitions, &mut transcript, &mut checks);
            sent += 1;
            failed += u32::from(f.judgement.outcome.is_station_unavailable());
            if exchanges.len() < 200 {
                exchanges.push(exchange_record(&f.exchange, &f.judgement.outcome.label()));
            }
        }
        slot_start = slot_start.plus(slot);
        advance_to(cx.clock.as_ref(), slot_start.min(end));
        let ts = nodo.evaluate(&station);
        transition_records(&ts, &mut transcript, &mut checks);
    }
    if cx.clock.now() < end {
        // In Stand-In the PSPs' traffic no longer reaches the station; the rest of the outage
        // passes with the Nodo's own probes, which the station, still down, fails.
        let passed = nodo
            .advance_observed(
                end.since(cx.clock.now()),
                &Passing {
                    probe_fault: fault.clone(),
                    scenario: Some(&cx.scenario_id),
                    step: Some(index),
                },
            )
            .await;
        for (ex, ok) in &passed.probes {
            exchanges.push(exchange_record(ex, probe_label(*ok)));
        }
        transition_records(&passed.transitions, &mut transcript, &mut checks);
    }
    transcript.push(format!(
        "{sent} verifies reached the Nodo's monitor, {failed} of them counted as the station unavailable"
    ));
    expect_standin(cx, &nodo, &st.expect, &traffic, &mut checks);
    done(index, name, started, checks, exchanges, transcript)
}

/// `call = "recover"`: `duration` of virtual time during which the Nodo probes the station in
/// Stand-In every probe interval with notice `000000000000000000`; exits per the rules.
pub(crate) async fn recover(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    st: &Recover,
    name: String,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    let err = |msg: String| super::step::error_outcome(index, name.clone(), msg, started);
    let Some(duration) = parse_duration(st.duration.get_ref()) else {
        return err("recover needs a duration".into());
    };
    let nodo = match watching(cx) {
        Ok(n) => n,
        Err(e) => return err(e),
    };
    let traffic = traffic(&nodo, st.nodo_traffic_per_slot.as_ref(), 1000);
    let mut checks = Vec::new();
    let mut exchanges = Vec::new();
    // The probes are the Nodo's, sent on its own as time passes (the same a Nodo in serve
    // sends); the step only lets the time pass and says what came of it.
    let passed = nodo
        .advance_observed(
            duration,
            &Passing {
                probe_fault: fault_of(st.fault.as_ref()),
                scenario: Some(&cx.scenario_id),
                step: Some(index),
            },
        )
        .await;
    let probes = passed.probes.len();
    let positive = passed.probes.iter().filter(|(_, ok)| *ok).count();
    for (ex, ok) in &passed.probes {
        exchanges.push(exchange_record(ex, probe_label(*ok)));
    }
    transition_records(&passed.transitions, &mut transcript, &mut checks);
    transcript.push(format!(
        "{probes} technical probes, {positive} positive (HTTP 2xx with SCONOSCIUTO in the body)"
    ));
    expect_standin(cx, &nodo, &st.expect, &traffic, &mut checks);
    done(index, name, started, checks, exchanges, transcript)
}

/// Whether the Nodo answers this step itself (the station is in Stand-In).
pub(crate) fn in_stand_in(cx: &ScenarioCtx<'_>) -> bool {
    cx.nodo
        .as_ref()
        .is_some_and(|n| n.in_stand_in(cx.station_id()))
}

fn aca_position(cx: &ScenarioCtx<'_>, notice: &str) -> Option<AcaPosition> {
    let store = cx.station.aca.as_ref()?.store();
    standin_answer::position(store, &cx.cfg.caller.id_pa, notice)
}

/// A verify or activate while the station is in Stand-In: the Nodo answers from ACA without
/// calling the station; the step judges the Nodo's answer.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn answer_from_aca(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    expect: &SoapExpect,
    name: String,
    call: &str,
    notice: &str,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    if cx.station.aca.is_none() {
        return StepOutcome::Skip("no mock ACA in this run: Stand-In answers come from ACA".into());
    }
    let nodo = match cx.nodo() {
        Ok(n) => n,
        Err(e) => return super::step::error_outcome(index, name, e, started),
    };
    let since = nodo
        .monitor(cx.station_id())
        .map_or(String::new(), |m| m.state().to_string());
    transcript.push(format!(
        "station {since}: the Nodo answers {call} for {notice} from ACA; the station is not called"
    ));
    let qr = cx.qr(notice);
    let answer = if call == "verify" {
        nodo.verify(&qr).await
    } else {
        nodo.activate(&qr, nodo.verified_amount(&qr), None).await
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return super::step::error_outcome(index, name, e.to_string(), started),
    };
    if let Some(Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r)) = &answer.message {
        if let (Some(data), Some(p)) = (&r.data, aca_position(cx, notice)) {
            // DOMAIN.md §7.5: one transfer of the total to the creating EC, category STAND-IN.
            transcript.push(format!(
                "Stand-In activation: one transfer of {} to {} (IBAN {}), category STAND-IN",
                data.payment_amount,
                p.request.pa_fiscal_code,
                p.iban.iban.as_deref().unwrap_or("none")
            ));
        }
    }
    let explanation = match &answer.outcome {
        NodoOutcome::Ok => {
            format!("The Nodo answers the PSP OK from ACA (standin=true) for {notice}.")
        }
        other => format!("The Nodo answers the PSP {other}."),
    };
    let j = Judgement {
        outcome: answer.outcome,
        message: answer.message,
        violations: Vec::new(),
        checks: Vec::new(),
        hygiene: Vec::new(),
        explanation,
    };
    // Only the answer is judged: that the station was not called is the simulator's own doing
    // (the transcript says so), and a check that cannot fail would read as evidence.
    let checks = vec![super::expect::nodo_outcome(&j, expect)];
    done(index, name, started, checks, Vec::new(), transcript)
}

/// `call = "aca"`: what ACA holds for the notice, against `aca_*` expectations.
pub(crate) fn aca_step(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    expect: &AcaExpect,
    name: String,
    notice: &str,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    if cx.station.aca.is_none() {
        return StepOutcome::Skip("no mock ACA in this run".into());
    }
    let p = aca_position(cx, notice);
    let mut checks = Vec::new();
    match &p {
        Some(p) => transcript.push(format!(
            "ACA holds {} for {}: {} cents, {:?}, payStandIn={}, history {}",
            p.iupd,
            p.nav,
            p.amount_cents(),
            p.status,
            p.request.pay_stand_in,
            p.history
                .iter()
                .map(|h| format!("{:?}@{}", h.action, h.at))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => transcript.push(format!("ACA holds no position for {notice}")),
    }
    if let Some(want) = &expect.aca_status {
        let got = p
            .as_ref()
            .map_or("absent".to_string(), |p| p.status.as_str().to_string());
        checks.push(pass_fail(
            "aca-status",
            &got == want.get_ref(),
            format!("ACA position for {notice}: {got}"),
            want.get_ref().clone(),
            got,
        ));
    }
    if let Some(want) = &expect.aca_amount {
        let got = p
            .as_ref()
            .map(|p| Amount::from_cents(u64::try_from(p.amount_cents()).unwrap_or(0)).to_string());
        match super::expect::expand(want.get_ref(), &cx.captures) {
            Ok(want) => checks.push(pass_fail(
                "aca-amount",
                got.as_deref() == Some(want.as_str()),
                format!(
                    "ACA amount for {notice}: {}",
                    got.clone().unwrap_or_else(|| "absent".into())
                ),
                want,
                got.unwrap_or_else(|| "absent".into()),
            )),
            Err(e) => checks.push(check("aca-amount", CheckVerdict::Fail, e)),
        }
    }
    if !expect.aca_history.is_empty() {
        let want: Vec<String> = expect
            .aca_history
            .iter()
            .map(|h| h.get_ref().clone())
            .collect();
        let got: Vec<String> = p
            .as_ref()
            .map(|p| {
                p.history
                    .iter()
                    .map(|h| format!("{:?}", h.action).to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        checks.push(pass_fail(
            "aca-history",
            got == want,
            format!("ACA history of {notice}: {}", got.join(", ")),
            want.join(", "),
            got.join(", "),
        ));
    }
    if let Some(want) = expect.aca_pay_stand_in {
        let got = p.as_ref().map(|p| p.request.pay_stand_in);
        checks.push(pass_fail(
            "aca-pay-stand-in",
            got == Some(want),
            format!(
                "payStandIn of {notice}: {}",
                got.map_or("absent".into(), |g| g.to_string())
            ),
            want.to_string(),
            got.map_or("absent".into(), |g| g.to_string()),
        ));
    }
    if let Some(want) = &expect.aca_pa_fiscal_code {
        // `${id_pa}` and the other configured identities: a scenario never names an EC.
        let want = &super::expect::expand(want, &cx.captures).unwrap_or_else(|e| e);
        let got = p.as_ref().map(|p| p.request.pa_fiscal_code.clone());
        checks.push(pass_fail(
            "aca-pa-fiscal-code",
            got.as_deref() == Some(want.as_str()),
            format!(
                "paFiscalCode of {notice}: {}",
                got.clone().unwrap_or_else(|| "absent".into())
            ),
            want.clone(),
            got.unwrap_or_else(|| "absent".into()),
        ));
    }
    done(index, name, started, checks, Vec::new(), transcript)
}

/// `call = "aca-consistency"` (ACA-008): for every payable fixture, what the station answers to
/// a verify must match what the EC registered in ACA: same amount, same due date, same
/// creditor.
pub(crate) async fn aca_consistency(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    name: String,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    if cx.station.aca.is_none() {
        return StepOutcome::Skip("no mock ACA in this run".into());
    }
    let client = match cx.client() {
        Ok(c) => c,
        Err(e) => return super::step::error_outcome(index, name, e, started),
    };
    let nodo = match cx.nodo() {
        Ok(n) => n,
        Err(e) => return super::step::error_outcome(index, name, e, started),
    };
    let mut checks = Vec::new();
    let mut exchanges = Vec::new();
    let roles: Vec<(String, String)> = cx
        .station
        .fixtures
        .iter()
        .filter(|(role, _)| !matches!(role.as_str(), "unknown" | "paid" | "cancelled" | "expired"))
        .map(|(r, n)| (r.clone(), n.clone()))
        .collect();
    for (role, notice) in roles {
        let request = client.verify(cx.qr(&notice));
        let mut call = Forward::as_written(&cx.cfg.caller.id_pa, Some(&notice), &request);
        call.scenario = Some(&cx.scenario_id);
        call.step = Some(index);
        let j = match nodo.forward(call).await {
            Ok(f) => {
                exchanges.push(exchange_record(&f.exchange, &f.judgement.outcome.label()));
                f.judgement
            }
            Err(e) => return super::step::error_outcome(index, name, e.to_string(), started),
        };
        let name = format!("aca-consistency {role}");
        // A payable notice the station cannot verify cannot be compared: that is a failure of
        // the comparison, not a silent pass.
        let usable = match &j.message {
            Some(Message::VerifyPaymentNoticeRes(v)) if j.outcome.is_ok() => {
                v.payment_option.as_ref().map(|o| (v, o))
            }
            _ => None,
        };
        let Some((v, option)) = usable else {
            checks.push(pass_fail(
                &name,
                false,
                format!(
                    "{role} ({notice}): the station's verify gave no amount to compare with ACA: {}",
                    j.outcome
                ),
                "an OK verify with the current amount".into(),
                j.outcome.label(),
            ));
            continue;
        };
        match aca_position(cx, &notice) {
            None => checks.push(pass_fail(
                &name,
                false,
                format!(
                    "{role} ({notice}): the station answers {} but ACA has no position",
                    option.amount
                ),
                format!("an ACA position of {}", option.amount),
                "absent".into(),
            )),
            Some(p) => {
                let aca_amount = Amount::from_cents(u64::try_from(p.amount_cents()).unwrap_or(0));
                let mut diffs = Vec::new();
                if aca_amount != option.amount {
                    diffs.push(format!(
                        "amount: station {} vs ACA {aca_amount}",
                        option.amount
                    ));
                }
                if let (Some(due), Some(exp)) =
                    (&option.due_date, p.request.expiration_date.get(..10))
                {
                    if due != exp {
                        diffs.push(format!("due date: station {due} vs ACA {exp}"));
                    }
                }
                if let Some(fc) = &v.fiscal_code_pa {
                    if fc != &p.request.pa_fiscal_code {
                        diffs.push(format!(
                            "creditor: station {fc} vs ACA {}",
                            p.request.pa_fiscal_code
                        ));
                    }
                }
                if p.status != PositionStatus::Valid {
                    diffs.push(format!(
                        "ACA status {} for a payable notice",
                        p.status.as_str()
                    ));
                }
                checks.push(pass_fail(
                    &name,
                    diffs.is_empty(),
                    if diffs.is_empty() {
                        format!(
                            "{role} ({notice}): station and ACA agree on {}",
                            option.amount
                        )
                    } else {
                        format!("{role} ({notice}): {}", diffs.join("; "))
                    },
                    format!("{} in ACA", option.amount),
                    format!("{aca_amount} in ACA"),
                ));
            }
        }
    }
    transcript.push(format!(
        "{} payable fixtures compared with ACA",
        checks.len()
    ));
    done(index, name, started, checks, exchanges, transcript)
}

/// Virtual time passes by `d`: through the Nodo when the case has one (its monitor evaluates
/// every boundary on the way, with the traffic model in force, and it probes a station in
/// Stand-In as the probes fall due), else the clock alone (nothing watches it yet).
pub(crate) async fn let_time_pass(
    cx: &mut ScenarioCtx<'_>,
    d: Duration,
    index: usize,
    transcript: &mut Vec<String>,
    exchanges: &mut Vec<ExchangeRecord>,
) {
    let Some(nodo) = cx.nodo.clone() else {
        cx.clock.advance(d);
        return;
    };
    let passed = nodo
        .advance_observed(
            d,
            &Passing {
                probe_fault: None,
                scenario: Some(&cx.scenario_id),
                step: Some(index),
            },
        )
        .await;
    for (ex, ok) in &passed.probes {
        exchanges.push(exchange_record(ex, probe_label(*ok)));
    }
    for t in &passed.transitions {
        transcript.push(format!("Stand-In monitor: station {t}"));
    }
}

/// Move the clock to a local time if the step asks.
pub(crate) async fn apply_local_time(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    at_local_time: Option<&Spanned<String>>,
    transcript: &mut Vec<String>,
    exchanges: &mut Vec<ExchangeRecord>,
) {
    if let Some((h, m)) = at_local_time.and_then(|t| parse_local_time(t.get_ref())) {
        let target = target_local(cx.clock.now(), h, m);
        let d = target.since(cx.clock.now());
        let_time_pass(cx, d, index, transcript, exchanges).await;
        transcript.push(format!(
            "virtual clock moved to {h:02}:{m:02} Italian time ({target})"
        ));
    }
}

/// The next instant after `now` whose Italian local time is `hh:mm`.
fn target_local(now: VirtualTime, hh: u8, mm: u8) -> VirtualTime {
    let offset_ms = rome_utc_offset_hours(now) * 3_600_000;
    let local = VirtualTime::from_millis(now.millis() + offset_ms);
    let date = local.date();
    let mut parts = date.split('-').map(|p| p.parse::<i64>().unwrap_or(1));
    let (y, m, d) = (
        parts.next().unwrap_or(2026),
        parts.next().unwrap_or(1),
        parts.next().unwrap_or(1),
    );
    let midnight = VirtualTime::from_ymd(
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
    .unwrap_or(now);
    let mut target = VirtualTime::from_millis(
        midnight.millis() + (i64::from(hh) * 60 + i64::from(mm)) * 60_000 - offset_ms,
    );
    if target <= now {
        target = target.plus(Duration::from_secs(86_400));
    }
    target
}

/// `call = "aca-fault"`: the mock ACA answers the EC's next calls with an error, to see that
/// the EC retries (or alerts) instead of silently dropping the update (ACA-007).
pub(crate) fn aca_fault(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    st: &AcaFault,
    name: String,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    let Some(aca) = cx.station.aca.as_ref() else {
        return StepOutcome::Skip("no mock ACA in this run".into());
    };
    let status = st.aca_fault_status.as_ref().map_or(502, |s| *s.get_ref());
    let count = st.aca_fault_count.as_ref().map_or(1, |c| *c.get_ref());
    aca.inject(status, count);
    transcript.push(format!(
        "the mock ACA will answer the EC's next {count} paCreatePosition call{} with HTTP {status}",
        if count == 1 { "" } else { "s" }
    ));
    done(index, name, started, Vec::new(), Vec::new(), transcript)
}
