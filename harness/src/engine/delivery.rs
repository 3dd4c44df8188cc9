//! A `send-rt` step with `[step.delivery]`: the receipt goes through the Nodo's delivery engine
//! (retries on the virtual clock, outages, broadcast fan-out, repeated deliveries), and the
//! step checks where each delivery ended, with the attempt timeline in the transcript and in
//! the report's exchanges.

use super::BroadcastStation;
use super::actions::Actions;
use super::step::{ScenarioCtx, StepOutcome, record};
use crate::scenario::{Deliver, DeliverySpec, parse_duration};
use collaudo_nodo::nodo::ReceiptDelivery;
use collaudo_nodo::transport::UnavailableAnswer;
use collaudo_nodo::{Delivery, DeliveryResult, Fault, Outage, RetryPolicy};
use collaudo_reports::{CheckRecord, CheckVerdict, Verdict};
use collaudo_wire::{Primitive, Receipt};
use std::time::Instant;

fn check(
    name: &str,
    ok: bool,
    message: String,
    expected: Option<String>,
    actual: Option<String>,
) -> CheckRecord {
    CheckRecord {
        name: name.into(),
        verdict: if ok {
            CheckVerdict::Pass
        } else {
            CheckVerdict::Fail
        },
        message,
        expected,
        actual,
        nodo_outcome: None,
    }
}

/// The delivery fault a scenario names (`[step.delivery] fault`). The outages (`refuse`,
/// `timeout`, `http-500`, `garbage`, `ko`) never deliver the receipt: a station that is down
/// books nothing, and the answer, if any, is made up in its place. The `answer-lost-*` kinds
/// deliver it and spoil only the answer, so the retry is a duplicate for the station.
fn fault_named(name: &str) -> Fault {
    match name {
        "timeout" => Fault::Timeout,
        "http-500" => Fault::Unavailable(UnavailableAnswer::HttpStatus(500)),
        "garbage" => Fault::Unavailable(UnavailableAnswer::Garbage),
        "ko" => Fault::Unavailable(UnavailableAnswer::Ko),
        "answer-lost-500" => Fault::HttpStatus(500),
        "answer-lost-timeout" => Fault::AnswerTimeout,
        _ => Fault::Refuse,
    }
}

fn primary_outage(spec: &DeliverySpec) -> Outage {
    let fault = fault_named(
        spec.fault
            .as_ref()
            .map_or("refuse", |f| f.get_ref().as_str()),
    );
    if let Some(n) = &spec.down_attempts {
        Outage::FirstAttempts {
            count: *n.get_ref(),
            fault,
        }
    } else if let Some(span) = spec
        .down_for
        .as_ref()
        .and_then(|s| parse_duration(s.get_ref()))
    {
        Outage::For { span, fault }
    } else if spec.down_always {
        Outage::Always { fault }
    } else {
        Outage::None
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn run(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    st: &Deliver,
    name: String,
    notice: &str,
    receipt: Receipt,
    v2: bool,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    let spec = &st.delivery;
    let policy = RetryPolicy {
        max_attempts: spec
            .max_attempts
            .as_ref()
            .map_or(cx.cfg.retry.max_attempts, |m| *m.get_ref()),
        ..cx.cfg.retry
    };
    let nodo = match cx.nodo() {
        Ok(n) => n,
        Err(e) => {
            return record(index, name, started, Verdict::Error, e, transcript);
        }
    };
    let ec = cx.cfg.caller.id_pa.clone();
    // Who gets the receipt is the Nodo's decision; the step only looks at the stations it can
    // observe (an embedded broadcast station's bookings).
    let broadcast: Vec<(String, String)> = if spec.broadcast {
        nodo.broadcast_recipients(&ec, &receipt)
            .into_iter()
            .map(|(_, l)| (l.client.target().url.clone(), l.id().to_string()))
            .collect()
    } else {
        Vec::new()
    };
    if spec.broadcast && broadcast.is_empty() {
        return StepOutcome::Skip(format!(
            "no broadcast station other than the serving one is configured for the ECs of {notice}: add [[broadcast]] entries to collaudo.toml"
        ));
    }
    let observed: Vec<&BroadcastStation> = broadcast
        .iter()
        .filter_map(|(url, id)| {
            cx.station
                .broadcast
                .iter()
                .find(|b| &b.url == url && &b.caller.id_station == id)
        })
        .collect();
    let fault = fault_named(
        spec.fault
            .as_ref()
            .map_or("refuse", |f| f.get_ref().as_str()),
    );
    let plan = ReceiptDelivery {
        ec: &ec,
        receipt: &receipt,
        v2,
        retry: Some(policy),
        station_outage: primary_outage(spec),
        broadcast: spec.broadcast,
        broadcast_outage: spec.broadcast_down_attempts.map_or(Outage::None, |count| {
            Outage::FirstAttempts {
                count,
                fault: fault.clone(),
            }
        }),
        scenario: Some(&cx.scenario_id),
        step: Some(index),
    };
    let recipients = 1 + broadcast.len();

    let times = spec.times.as_ref().map_or(1, |t| *t.get_ref());
    let mut checks = Vec::new();
    let mut exchanges = Vec::new();
    let mut primaries: Vec<Delivery> = Vec::new();
    transcript.push(format!(
        "receipt {} for notice {notice} ({}), {} recipient{}, up to {} attempts {} s apart",
        receipt.receipt_id,
        if v2 {
            Primitive::SendRtV2
        } else {
            Primitive::SendRt
        },
        recipients,
        if recipients == 1 { "" } else { "s" },
        policy.max_attempts,
        policy.interval.as_secs()
    ));
    for round in 1..=times {
        let deliveries = match nodo.deliver(&plan).await {
            Ok(d) => d,
            Err(e) => {
                return super::step::error_outcome(index, name, e.to_string(), started);
            }
        };
        for d in &deliveries {
            if times > 1 {
                transcript.push(format!("delivery {round} of {times}:"));
            }
            transcript.extend(d.timeline());
            let primitive = if v2 { "paSendRTV2" } else { "paSendRT" };
            exchanges.extend(
                d.attempts
                    .iter()
                    .map(|a| super::step::attempt_record(a, primitive, "")),
            );
            let want = st.expect.delivered.unwrap_or(true);
            let got = d.result == DeliveryResult::Delivered;
            let summary = match d.result {
                DeliveryResult::Delivered => format!(
                    "{}: delivered at attempt {} of {}",
                    d.recipient,
                    d.attempts.len(),
                    policy.max_attempts
                ),
                DeliveryResult::Stuck => format!(
                    "{}: stuck after {} attempts; last: {}",
                    d.recipient,
                    d.attempts.len(),
                    d.attempts
                        .last()
                        .map_or(String::new(), |a| a.outcome.to_string())
                ),
            };
            checks.push(check(
                "delivery",
                want == got,
                summary,
                Some(if want { "delivered" } else { "stuck" }.into()),
                Some(if got { "delivered" } else { "stuck" }.into()),
            ));
        }
        if let Some(primary) = deliveries.into_iter().next() {
            primaries.push(primary);
        }
    }
    // `attempts` holds for every delivery round: a duplicate delivery must be accepted as
    // promptly as the first.
    if let Some(want) = st.expect.attempts {
        for (round, primary) in primaries.iter().enumerate() {
            let got = u32::try_from(primary.attempts.len()).unwrap_or(u32::MAX);
            checks.push(check(
                "attempts",
                got == want,
                if times > 1 {
                    format!(
                        "delivery {} of {times}: {}: {got} attempts",
                        round + 1,
                        primary.recipient
                    )
                } else {
                    format!("{}: {got} attempts", primary.recipient)
                },
                Some(want.to_string()),
                Some(got.to_string()),
            ));
        }
    }
    for c in &st.expect.checks {
        let record = match c.get_ref().as_str() {
            name @ ("receipt-booked-once" | "receipt-not-booked") => {
                let want = usize::from(name == "receipt-booked-once");
                let mut stations = Vec::new();
                if let Actions::Embedded(state) = &cx.station.actions {
                    stations.push((
                        format!("station {}", cx.cfg.caller.id_station),
                        state.clone(),
                    ));
                }
                for b in &observed {
                    if let Some(state) = &b.state {
                        stations.push((
                            format!("broadcast station {}", b.caller.id_station),
                            state.clone(),
                        ));
                    }
                }
                if stations.is_empty() {
                    CheckRecord {
                        name: name.into(),
                        verdict: CheckVerdict::Warn,
                        message: "bookings are not observable on an external station: a follow-up verify answering PAA_PAGAMENTO_DUPLICATO is the evidence".into(),
                        expected: None,
                        actual: None,
                        nodo_outcome: None,
                    }
                } else {
                    let counts: Vec<(String, usize)> = stations
                        .iter()
                        .map(|(label, s)| (label.clone(), s.booking_count(notice)))
                        .collect();
                    let ok = counts.iter().all(|(_, n)| *n == want);
                    check(
                        name,
                        ok,
                        counts
                            .iter()
                            .map(|(l, n)| {
                                format!("{l} booked {n} time{}", if *n == 1 { "" } else { "s" })
                            })
                            .collect::<Vec<_>>()
                            .join("; "),
                        Some(format!("{want} booking per station")),
                        Some(
                            counts
                                .iter()
                                .map(|(_, n)| n.to_string())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    )
                }
            }
            "receipt-stand-in" => {
                let stand_in = receipt.stand_in == Some(true);
                check(
                    "receipt-stand-in",
                    stand_in,
                    if stand_in {
                        format!(
                            "receipt {} carries standIn=true: the reporting flow lists this payment with codiceEsitoSingoloPagamento 4 (paid in Stand-In, FlussoRiversamento 1.0.5), one transfer of {} to {}",
                            receipt.receipt_id,
                            receipt.payment_amount,
                            receipt
                                .transfers
                                .first()
                                .map_or("?", |t| t.fiscal_code_pa.as_str())
                        )
                    } else {
                        format!("receipt {} is not marked standIn=true", receipt.receipt_id)
                    },
                    Some("standIn=true".into()),
                    Some(format!("standIn={:?}", receipt.stand_in)),
                )
            }
            other => check(
                other,
                false,
                format!("check `{other}` does not apply to a delivery"),
                None,
                None,
            ),
        };
        checks.push(record);
    }
    super::step::finish(index, name, started, checks, exchanges, transcript)
}

#[cfg(test)]
mod tests {
    use super::*;
    use collaudo_wire::Primitive;

    #[test]
    fn outages_never_deliver_and_lost_answers_do() {
        let t = Primitive::SendRtV2.nodo_timeout();
        for name in ["refuse", "timeout", "http-500", "garbage", "ko"] {
            assert!(!fault_named(name).reaches_station(t), "{name}");
        }
        for name in ["answer-lost-500", "answer-lost-timeout"] {
            assert!(fault_named(name).reaches_station(t), "{name}");
        }
    }

    // A name the scenario checker accepts but this engine does not know would silently become
    // `refuse`.
    #[test]
    fn every_delivery_fault_of_the_vocabulary_is_known() {
        for name in crate::scenario::DELIVERY_FAULTS {
            assert!(
                *name == "refuse" || fault_named(name) != Fault::Refuse,
                "delivery fault `{name}` is not mapped"
            );
        }
    }
}
