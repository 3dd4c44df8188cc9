//! A `send-rt` step with `[step.delivery]`: the receipt goes through the Nodo's delivery engine
//! (retries on the virtual clock, outages, broadcast fan-out, repeated deliveries), and the
//! step checks where each delivery ended, with the attempt timeline in the transcript and in
//! the report's exchanges.

use super::BroadcastStation;
use super::actions::Actions;
use super::step::{ScenarioCtx, StepOutcome};
use crate::scenario::{Deliver, DeliverySpec, parse_duration};
use collaudo_nodo::transport::UnavailableAnswer;
use collaudo_nodo::{
    Clock, Delivery, DeliveryResult, Fault, NodoClient, Outage, Recipient, RetryPolicy,
    SoapActionStyle, StationTarget, deliver,
};
use collaudo_reports::{CheckRecord, CheckVerdict, ExchangeRecord, StepRecord, Verdict};
use collaudo_wire::{Primitive, Receipt};
use std::sync::Arc;
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

/// The broadcast stations that get the receipt besides the station that served the notice:
/// every station flagged broadcast of every EC involved in the payment, the creditor itself
/// included ("alle stazioni di tutti gli Enti Creditori configurate come broadcast", DOMAIN.md
/// §6), each station (URL and idStation) once, and never the serving station a second time.
fn broadcast_targets<'s>(
    stations: &'s [BroadcastStation],
    receipt: &Receipt,
    serving: &StationTarget,
) -> Vec<&'s BroadcastStation> {
    let involved = |ec: &str| {
        ec == receipt.fiscal_code || receipt.transfers.iter().any(|t| t.fiscal_code_pa == ec)
    };
    let mut reached = vec![(serving.url.as_str(), serving.caller.id_station.as_str())];
    let mut out = Vec::new();
    for b in stations {
        let key = (b.url.as_str(), b.caller.id_station.as_str());
        if involved(&b.fiscal_code) && !reached.contains(&key) {
            reached.push(key);
            out.push(b);
        }
    }
    out
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
    primary: &NodoClient,
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
    let mut broadcast_clients = Vec::new();
    // The Nodo presents the same client certificate, trusts the same CAs and crosses the same
    // proxy toward every station; gateway headers belong to the gateway of the station under
    // test only.
    let own = cx.station.connection(cx.cfg);
    let broadcast_connection = Arc::new(collaudo_nodo::Connection {
        tls: own.tls.clone(),
        headers: Vec::new(),
        proxy: own.proxy.clone(),
    });
    if spec.broadcast {
        for b in broadcast_targets(&cx.station.broadcast, &receipt, primary.target()) {
            match NodoClient::new(
                StationTarget {
                    url: b.url.clone(),
                    caller: b.caller.clone(),
                    soap_action_style: SoapActionStyle::Quoted,
                },
                broadcast_connection.clone(),
                cx.cfg.timeouts.clone(),
                cx.clock.clone() as Arc<dyn Clock>,
                cx.journal.clone(),
            ) {
                Ok(c) => broadcast_clients.push((b, c)),
                Err(e) => {
                    return StepOutcome::Done(StepRecord {
                        index,
                        name,
                        verdict: Verdict::Error,
                        message: Some(format!("broadcast station {}: {e}", b.url)),
                        duration_ms: started.elapsed().as_secs_f64() * 1e3,
                        checks: Vec::new(),
                        exchanges: Vec::new(),
                        transcript,
                    });
                }
            }
        }
        if broadcast_clients.is_empty() {
            return StepOutcome::Skip(format!(
                "no broadcast station other than the serving one is configured for the ECs of {notice}: add [[broadcast]] entries to collaudo.toml"
            ));
        }
    }
    let mut recipients = vec![Recipient {
        label: format!("station {}", cx.cfg.caller.id_station),
        client: primary,
        message: primary.send_rt(receipt.clone(), v2),
        outage: primary_outage(spec),
    }];
    for (b, client) in &broadcast_clients {
        recipients.push(Recipient {
            label: format!(
                "broadcast station {} of EC {}",
                b.caller.id_station, b.fiscal_code
            ),
            client,
            message: client.send_rt(receipt.clone(), b.v2),
            outage: spec.broadcast_down_attempts.map_or(Outage::None, |count| {
                Outage::FirstAttempts {
                    count,
                    fault: fault_named(
                        spec.fault
                            .as_ref()
                            .map_or("refuse", |f| f.get_ref().as_str()),
                    ),
                }
            }),
        });
    }

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
        recipients.len(),
        if recipients.len() == 1 { "" } else { "s" },
        policy.max_attempts,
        policy.interval.as_secs()
    ));
    for round in 1..=times {
        let start = cx.clock.now();
        let deliveries = deliver(
            &recipients,
            &policy,
            start,
            &cx.station.backoffice,
            &cx.cfg.policy,
            Some(&cx.scenario_id),
            Some(index),
        )
        .await;
        for d in &deliveries {
            if times > 1 {
                transcript.push(format!("delivery {round} of {times}:"));
            }
            transcript.extend(d.timeline());
            for a in &d.attempts {
                exchanges.push(ExchangeRecord {
                    seq: a.seq,
                    primitive: if v2 { "paSendRTV2" } else { "paSendRT" }.into(),
                    url: String::new(),
                    request_bytes: 0,
                    response_status: a.status,
                    latency_ms: a.latency_ms,
                    virtual_time: Some(a.virtual_at.to_string()),
                    outcome: a.outcome.to_string(),
                    attempt: Some(a.n),
                });
            }
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
                for (b, _) in &broadcast_clients {
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
    use collaudo_wire::{Caller, Message, Primitive, samples};

    const CREDITOR: &str = "77777777777";

    fn station(ec: &str, url: &str, id_station: &str) -> BroadcastStation {
        BroadcastStation {
            fiscal_code: ec.into(),
            url: url.into(),
            caller: Caller {
                id_pa: ec.into(),
                id_broker_pa: ec.into(),
                id_station: id_station.into(),
            },
            v2: true,
            state: None,
        }
    }

    fn serving() -> StationTarget {
        StationTarget {
            url: "http://ec.example/pa".into(),
            caller: Caller {
                id_pa: CREDITOR.into(),
                id_broker_pa: CREDITOR.into(),
                id_station: format!("{CREDITOR}_01"),
            },
            soap_action_style: SoapActionStyle::Quoted,
        }
    }

    /// A receipt of the creditor with transfers to it and to 01234567892..5.
    fn receipt() -> Receipt {
        match samples::send_rt_v2_request() {
            Message::SendRtV2Req(r) => r.receipt,
            other => panic!("unexpected sample {other:?}"),
        }
    }

    fn keys(got: &[&BroadcastStation]) -> Vec<(String, String)> {
        got.iter()
            .map(|b| (b.url.clone(), b.caller.id_station.clone()))
            .collect()
    }

    // The creditor's own broadcast stations used to be skipped: only secondary ECs' got the
    // receipt. Every involved EC's broadcast stations get it, each station once, and the
    // serving station (flagged broadcast too, or listed twice) not a second time.
    #[test]
    fn broadcast_reaches_every_involved_ec_the_creditor_included_once_per_station() {
        let stations = [
            station(CREDITOR, "http://ec.example/pa", "77777777777_01"),
            station(CREDITOR, "http://ec.example/archive", "77777777777_02"),
            station("01234567892", "http://prov.example/pa", "01234567892_01"),
            station("01234567892", "http://prov.example/pa", "01234567892_01"),
            // Another station behind the serving URL: a different station, by idStation.
            station("01234567893", "http://ec.example/pa", "01234567893_01"),
            station("99999999999", "http://other.example/pa", "99999999999_01"),
        ];
        let got = broadcast_targets(&stations, &receipt(), &serving());
        let want = [
            ("http://ec.example/archive", "77777777777_02"),
            ("http://prov.example/pa", "01234567892_01"),
            ("http://ec.example/pa", "01234567893_01"),
        ]
        .map(|(u, s)| (u.to_string(), s.to_string()));
        assert_eq!(keys(&got), want);
    }

    // The creditor is involved even when no transfer is its own.
    #[test]
    fn the_creditor_is_involved_without_a_transfer_of_its_own() {
        let mut r = receipt();
        r.transfers.retain(|t| t.fiscal_code_pa != CREDITOR);
        let stations = [station(
            CREDITOR,
            "http://ec.example/archive",
            "77777777777_02",
        )];
        assert_eq!(broadcast_targets(&stations, &r, &serving()).len(), 1);
    }

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
