//! Receipt delivery (paSendRT / paSendRTV2) against real reference stations: hourly retries on
//! the virtual clock, stations that never recover, broadcast fan-out, duplicates, and a
//! property over outages and retry policies (DOMAIN.md §6, TEST-PLAN.md §4.3 RT-001..RT-005).
//!
//! Every station is a `collaudo-station` served on 127.0.0.1:0; every attempt is a real HTTP
//! exchange. Injected faults and the retry schedule cost virtual time only, so 48 hourly
//! attempts take milliseconds of real time.

use collaudo_nodo::client::INJECTED_HEADER;
use collaudo_nodo::transport::UnavailableAnswer;
use collaudo_nodo::{
    AttemptOutcome, BackOffice, CheckPolicy, Clock, Corruption, Delivery, DeliveryResult, Fault,
    Journal, NodoClient, NodoOutcome, Outage, Recipient, RetryPolicy, SoapActionStyle,
    StationTarget, Timeouts, VirtualClock, VirtualTime, deliver, judge,
};
use collaudo_station::{Fixture, FixtureRole, Profile, StationConfig, StationHandle};
use collaudo_wire::{
    Amount, Beneficiary, Caller, EntityType, Message, Outcome, Primitive, QrCode, Receipt, Subject,
    Transfer,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

fn t0() -> VirtualTime {
    "2026-11-25T10:00:00.000Z".parse().unwrap()
}

fn checks() -> (BackOffice, CheckPolicy) {
    (
        BackOffice::default(),
        CheckPolicy {
            check_ibans: false,
            ..CheckPolicy::default()
        },
    )
}

/// The Nodo's configuration for a station's ECs and IBANs, to judge its activations.
fn backoffice_of(station: &StationHandle) -> BackOffice {
    let mut bo = BackOffice::default();
    for ec in &station.back_office().ecs {
        bo = bo.with_ec(&ec.fiscal_code, Some(&ec.company_name));
        for i in &ec.ibans {
            bo = bo.with_iban(&ec.fiscal_code, &i.iban, i.postal);
        }
    }
    bo
}

fn caller_of(config: &StationConfig) -> Caller {
    Caller {
        id_pa: config.id_pa.clone(),
        id_broker_pa: config.id_broker_pa.clone(),
        id_station: config.id_station.clone(),
    }
}

/// The station an EC of its own: the secondary EC of the multi-beneficiary fixtures, served
/// by its own broker and station (the station serves the EC named in `idPA` and checks that
/// `idBrokerPA` and `idStation` are its own).
fn secondary_config() -> StationConfig {
    StationConfig {
        id_pa: collaudo_station::SECONDARY_EC_FISCAL_CODE.to_string(),
        id_broker_pa: collaudo_station::SECONDARY_EC_FISCAL_CODE.to_string(),
        id_station: format!("{}_01", collaudo_station::SECONDARY_EC_FISCAL_CODE),
        company_name: "Provincia di Collaudo".to_string(),
        ..StationConfig::default()
    }
}

async fn start(config: StationConfig) -> StationHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    collaudo_station::start(config, listener).await.unwrap()
}

fn client(
    station: &StationHandle,
    timeouts: Timeouts,
    clock: &VirtualClock,
    journal: &Arc<Journal>,
) -> NodoClient {
    NodoClient::new(
        StationTarget {
            url: station.url.clone(),
            caller: caller_of(station.state().config()),
            soap_action_style: SoapActionStyle::Quoted,
        },
        Default::default(),
        timeouts,
        Arc::new(clock.clone()),
        journal.clone(),
    )
    .unwrap()
}

/// One station, one client, one clock, one journal.
struct Env {
    station: StationHandle,
    clock: VirtualClock,
    journal: Arc<Journal>,
    client: NodoClient,
}

async fn env(config: StationConfig, timeouts: Timeouts) -> Env {
    let station = start(config).await;
    let clock = VirtualClock::new(t0());
    let journal = Arc::new(Journal::in_memory());
    let client = client(&station, timeouts, &clock, &journal);
    Env {
        station,
        clock,
        journal,
        client,
    }
}

fn fixture(station: &StationHandle, role: FixtureRole) -> Fixture {
    station.fixtures().get(role).unwrap().clone()
}

fn debtor() -> Subject {
    Subject {
        entity_type: EntityType::F,
        entity_value: "RSSMRA80A01H501U".into(),
        full_name: "Mario Rossi".into(),
        street_name: None,
        civic_number: None,
        postal_code: None,
        city: None,
        state_province_region: None,
        country: None,
        email: None,
    }
}

/// The receipt the Nodo builds after a payment of `amount` on the notice of `f`. The same value
/// serves paSendRT and paSendRTV2: the encoder leaves out the V2-only fields in V1.
fn receipt(
    receipt_id: &str,
    f: &Fixture,
    amount: Amount,
    iuv: &str,
    debtor: Subject,
    transfers: Vec<Transfer>,
) -> Receipt {
    Receipt {
        receipt_id: receipt_id.into(),
        notice_number: f.notice_number.as_str().into(),
        fiscal_code: f.fiscal_code.clone(),
        outcome: Outcome::Ok,
        creditor_reference_id: iuv.into(),
        payment_amount: amount,
        description: "pagamento di collaudo".into(),
        company_name: "Comune di Collaudo".into(),
        office_name: None,
        debtor,
        transfers,
        id_psp: "COLLAUDOPSP".into(),
        psp_fiscal_code: None,
        psp_partita_iva: None,
        psp_company_name: "PSP di collaudo".into(),
        id_channel: "COLLAUDOPSP_01".into(),
        channel_description: "app".into(),
        payer: None,
        payment_method: Some("creditCard".into()),
        payment_note: Some("collaudo".into()),
        fee: Some(Amount::from_cents(100)),
        primary_ci_incurred_fee: Some(Amount::from_cents(50)),
        id_bundle: None,
        id_ci_bundle: None,
        payment_date_time: Some("2026-11-25T10:00:00".into()),
        application_date: Some("2026-11-25".into()),
        transfer_date: Some("2026-11-26".into()),
        metadata: Vec::new(),
        stand_in: Some(false),
    }
}

/// A receipt for a fixture, straight from the fixture table (no activation: the `dead`
/// station cannot be activated).
fn receipt_from_fixture(f: &Fixture, receipt_id: &str) -> Receipt {
    let transfers = f
        .transfers
        .iter()
        .map(|t| Transfer {
            id_transfer: t.id_transfer,
            transfer_amount: t.amount,
            fiscal_code_pa: t.fiscal_code_pa.clone(),
            company_name: Some(f.company_name.clone()),
            beneficiary: Beneficiary::Iban(t.iban.clone().unwrap()),
            remittance_information: "/RFB/collaudo".into(),
            transfer_category: "0101002IM".into(),
            metadata: Vec::new(),
        })
        .collect();
    receipt(receipt_id, f, f.amount, &f.iuv, debtor(), transfers)
}

/// Activate `role` on the station with paGetPaymentV2 and build the receipt of that payment
/// from the activation data, as the Nodo does.
async fn activated_receipt(
    c: &NodoClient,
    station: &StationHandle,
    role: FixtureRole,
    receipt_id: &str,
) -> Receipt {
    let f = fixture(station, role);
    let qr = QrCode {
        fiscal_code: f.fiscal_code.clone(),
        notice_number: f.notice_number.as_str().to_string(),
    };
    let req = c.get_payment(qr, None, true, None);
    let ex = c.send(&req, None, Some("receipts"), Some(0)).await;
    let j = judge(&ex, &req, &backoffice_of(station), &CheckPolicy::default());
    assert_eq!(j.outcome, NodoOutcome::Ok, "{}", j.explanation);
    let Some(Message::GetPaymentV2Res(res)) = j.message else {
        panic!("no activation data: {:?}", j.message)
    };
    let data = res.data.unwrap();
    receipt(
        receipt_id,
        &f,
        data.payment_amount,
        &data.creditor_reference_id,
        data.debtor,
        data.transfers,
    )
}

/// Deliver `receipt` to one station through `c`.
async fn deliver_one(
    c: &NodoClient,
    receipt: &Receipt,
    v2: bool,
    outage: Outage,
    policy: &RetryPolicy,
    start: VirtualTime,
) -> Delivery {
    let recipients = [Recipient {
        label: "primary station".into(),
        client: c,
        message: c.send_rt(receipt.clone(), v2),
        outage,
    }];
    let (backoffice, check_policy) = checks();
    let mut out = deliver(
        &recipients,
        policy,
        start,
        &backoffice,
        &check_policy,
        Some("receipts"),
        Some(1),
    )
    .await;
    assert_eq!(out.len(), 1);
    out.remove(0)
}

/// Attempt numbers are 1..=k, every attempt but the last failed, and the result matches the
/// last attempt.
fn assert_well_formed(d: &Delivery) {
    let ns: Vec<u32> = d.attempts.iter().map(|a| a.n).collect();
    let expected: Vec<u32> = (1..=u32::try_from(ns.len()).unwrap()).collect();
    assert_eq!(ns, expected, "attempt numbers of {}", d.recipient);
    let (last, before) = d.attempts.split_last().expect("at least one attempt");
    assert!(
        before.iter().all(|a| !a.outcome.is_success()),
        "{:#?}",
        d.timeline()
    );
    let delivered = d.result == DeliveryResult::Delivered;
    assert_eq!(last.outcome.is_success(), delivered, "{:#?}", d.timeline());
}

/// Virtual time between consecutive attempts, in whole seconds.
fn gaps_s(d: &Delivery) -> Vec<i64> {
    d.attempts
        .windows(2)
        .map(|w| (w[1].virtual_at.millis() - w[0].virtual_at.millis()) / 1000)
        .collect()
}

fn failed_label(outcome: &AttemptOutcome) -> &str {
    match outcome {
        AttemptOutcome::Failed { nodo, .. } => nodo,
        other => panic!("expected a failed attempt, got {other}"),
    }
}

// RT-004: the station is unreachable for 10 hours, then healthy.
#[tokio::test]
async fn station_down_ten_hours_gets_the_receipt_at_attempt_11() {
    let started = Instant::now();
    let e = env(StationConfig::default(), Timeouts::nodo()).await;
    let rc = activated_receipt(
        &e.client,
        &e.station,
        FixtureRole::ReceiptTarget,
        "rt004-down-10h",
    )
    .await;
    let start = e.clock.now();
    let d = deliver_one(
        &e.client,
        &rc,
        true,
        Outage::For {
            span: 10 * HOUR,
            fault: Fault::Refuse,
        },
        &RetryPolicy::default(),
        start,
    )
    .await;
    assert_well_formed(&d);
    assert_eq!(d.result, DeliveryResult::Delivered, "{:#?}", d.timeline());
    assert_eq!(d.attempts.len(), 11);
    assert_eq!(d.attempts[0].virtual_at, start);
    assert_eq!(gaps_s(&d), vec![3600; 10]);
    assert_eq!(d.attempts[10].virtual_at, start.plus(10 * HOUR));
    for a in &d.attempts[..10] {
        assert_eq!(
            failed_label(&a.outcome),
            "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"
        );
        assert_eq!(a.status, None);
    }
    assert_eq!(d.attempts[10].outcome, AttemptOutcome::Accepted);
    assert_eq!(d.attempts[10].injected, None);
    assert_eq!(
        e.station.booking_count(&rc.notice_number),
        1,
        "booked exactly once"
    );
    // The activation plus 11 deliveries, each classified in the journal.
    let sends: Vec<_> = e
        .journal
        .entries()
        .into_iter()
        .filter(|x| x.primitive == Primitive::SendRtV2)
        .collect();
    assert_eq!(sends.len(), 11);
    assert_eq!(sends[10].classification.as_deref(), Some("OK"));
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

// RT-004 with a real flaky station: the station itself refuses the first 10 deliveries.
#[tokio::test]
async fn real_flaky_station_accepts_after_ten_hours() {
    let started = Instant::now();
    let config = StationConfig {
        flaky_receipt_failures: 10,
        ..StationConfig::with_profile(Profile::FlakyReceipts)
    };
    let e = env(config, Timeouts::nodo()).await;
    let rc = activated_receipt(
        &e.client,
        &e.station,
        FixtureRole::ReceiptTarget,
        "rt004-flaky-10",
    )
    .await;
    let start = e.clock.now();
    let d = deliver_one(
        &e.client,
        &rc,
        false,
        Outage::None,
        &RetryPolicy::default(),
        start,
    )
    .await;
    assert_well_formed(&d);
    assert_eq!(d.result, DeliveryResult::Delivered);
    assert_eq!(d.attempts.len(), 11);
    assert_eq!(gaps_s(&d), vec![3600; 10]);
    for a in &d.attempts[..10] {
        assert_eq!(
            failed_label(&a.outcome),
            "PPT_ERRORE_EMESSO_DA_PAA/PAA_SYSTEM_ERROR"
        );
        assert_eq!(a.status, Some(200));
    }
    assert_eq!(e.station.booking_count(&rc.notice_number), 1);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

// RT-005: the station never recovers, whatever the failure: 49 sends (the first and 48
// hourly retries), the last 48 hours after the first.
#[tokio::test]
async fn station_that_never_recovers_leaves_the_receipt_stuck_after_49_attempts() {
    let faults = [
        Fault::Refuse,
        Fault::Timeout,
        Fault::Latency(Duration::from_secs(20)),
        Fault::Unavailable(UnavailableAnswer::HttpStatus(500)),
        Fault::Unavailable(UnavailableAnswer::Garbage),
        Fault::Unavailable(UnavailableAnswer::Ko),
        // The station processes every send and every answer is lost.
        Fault::HttpStatus(500),
        Fault::AnswerTimeout,
    ];
    for fault in faults {
        let started = Instant::now();
        let e = env(StationConfig::default(), Timeouts::nodo()).await;
        let rc = activated_receipt(
            &e.client,
            &e.station,
            FixtureRole::ReceiptTarget,
            "rt005-never",
        )
        .await;
        let start = e.clock.now();
        let d = deliver_one(
            &e.client,
            &rc,
            true,
            Outage::Always {
                fault: fault.clone(),
            },
            &RetryPolicy::default(),
            start,
        )
        .await;
        assert_well_formed(&d);
        assert_eq!(d.result, DeliveryResult::Stuck, "{fault}");
        assert_eq!(d.attempts.len(), 49, "{fault}");
        // An injected timeout costs 15 s of virtual time, well inside the hour.
        assert_eq!(gaps_s(&d), vec![3600; 48], "{fault}");
        assert_eq!(d.attempts[48].virtual_at, start.plus(48 * HOUR));
        assert!(d.attempts.iter().all(|a| a.injected.is_some()), "{fault}");
        let expected_label = match fault {
            Fault::Refuse => "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE",
            Fault::Timeout | Fault::Latency(_) | Fault::AnswerTimeout => {
                "PPT_STAZIONE_INT_PA_TIMEOUT"
            }
            // The body (a valid OK) decides for the Nodo's judgement; the delivery still
            // fails because it counts only with HTTP 200.
            Fault::HttpStatus(_) => "HTTP 500",
            Fault::Unavailable(UnavailableAnswer::HttpStatus(_) | UnavailableAnswer::Garbage)
            | Fault::Corrupt(_) => "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE",
            Fault::Unavailable(UnavailableAnswer::Ko) => {
                "PPT_ERRORE_EMESSO_DA_PAA/PAA_SYSTEM_ERROR"
            }
        };
        for a in &d.attempts {
            assert_eq!(failed_label(&a.outcome), expected_label, "{fault}");
        }
        let sends: Vec<_> = e
            .journal
            .entries()
            .into_iter()
            .filter(|x| x.primitive == Primitive::SendRtV2)
            .collect();
        assert_eq!(sends.len(), 49, "{fault}");
        let seqs: Vec<u64> = sends.iter().map(|x| x.seq).collect();
        let attempt_seqs: Vec<u64> = d.attempts.iter().map(|a| a.seq).collect();
        assert_eq!(seqs, attempt_seqs, "{fault}");
        // The journal holds the judge's label; for a valid OK under HTTP 500 that is "OK"
        // although the attempt failed (the attempt outcome says "HTTP 500").
        let journal_label = match fault {
            Fault::HttpStatus(_) => "OK",
            _ => expected_label,
        };
        assert!(
            sends
                .iter()
                .all(|x| x.classification.as_deref() == Some(journal_label)),
            "{fault}"
        );
        // An outage never delivers; a lost answer does, and the station books the receipt
        // once (later deliveries are duplicates).
        let booked = usize::from(fault.reaches_station(Primitive::SendRtV2.nodo_timeout()));
        assert_eq!(
            e.station.booking_count(&rc.notice_number),
            booked,
            "{fault}"
        );
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(2),
            "{fault}: took {elapsed:?}"
        );
    }
}

// RT-004: an outage answered "HTTP 500" (or garbage, or KO) used to be applied to the
// station's real answer, so the station booked the receipt at the first "failed" attempt and a
// station answering PAA_RECEIPT_DUPLICATA ended the delivery early. A simulated outage never
// delivers: the synthesized answer is journalled as injected and the station sees nothing.
#[tokio::test]
async fn an_outage_never_delivers_the_receipt() {
    let outages = [
        Fault::Refuse,
        Fault::Timeout,
        Fault::Latency(Duration::from_secs(15)),
        Fault::Unavailable(UnavailableAnswer::HttpStatus(500)),
        Fault::Unavailable(UnavailableAnswer::Garbage),
        Fault::Unavailable(UnavailableAnswer::Ko),
    ];
    for fault in outages {
        let e = env(StationConfig::default(), Timeouts::nodo()).await;
        let rc = activated_receipt(
            &e.client,
            &e.station,
            FixtureRole::ReceiptTarget,
            "rt004-outage",
        )
        .await;
        let start = e.clock.now();
        let two = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        let outage = Outage::FirstAttempts {
            count: 2,
            fault: fault.clone(),
        };
        let down = deliver_one(&e.client, &rc, true, outage.clone(), &two, start).await;
        assert_eq!(down.result, DeliveryResult::Stuck, "{fault}");
        assert_eq!(
            e.station.booking_count(&rc.notice_number),
            0,
            "{fault}: the station saw the receipt during the outage"
        );
        let sends: Vec<_> = e
            .journal
            .entries()
            .into_iter()
            .filter(|x| x.primitive == Primitive::SendRtV2)
            .collect();
        for x in &sends {
            let marked = x.injected_fault.as_deref().unwrap_or_default();
            assert!(!marked.is_empty(), "{fault}: not marked as injected");
            if let Some(reply) = &x.response {
                assert!(
                    reply.header(INJECTED_HEADER).is_some(),
                    "{fault}: a synthesized answer carries the marker"
                );
                assert!(marked.contains("not contacted"), "{fault}: {marked}");
            }
        }
        // The same outage over three attempts: the third reaches the station and is booked.
        let d = deliver_one(
            &e.client,
            &rc,
            true,
            outage,
            &RetryPolicy::default(),
            e.clock.now(),
        )
        .await;
        assert_eq!(d.attempts.len(), 3, "{fault}: {:#?}", d.timeline());
        assert_eq!(d.attempts[2].outcome, AttemptOutcome::Accepted, "{fault}");
        assert_eq!(e.station.booking_count(&rc.notice_number), 1, "{fault}");
    }
}

// RT-008: the station processed the receipt and its answer was lost (replaced by HTTP 500, or
// late). The retry is a duplicate for the station: a conformant one accepts it, the delivery
// ends at attempt 2, and the receipt is booked once; a station that books duplicates books it
// twice.
#[tokio::test]
async fn a_lost_answer_is_retried_once_and_booked_once() {
    for fault in [Fault::HttpStatus(500), Fault::AnswerTimeout] {
        for (profile, booked) in [(Profile::Conformant, 1), (Profile::DuplicateBooking, 2)] {
            let e = env(StationConfig::with_profile(profile), Timeouts::nodo()).await;
            let rc = activated_receipt(
                &e.client,
                &e.station,
                FixtureRole::ReceiptTarget,
                "rt008-lost",
            )
            .await;
            let d = deliver_one(
                &e.client,
                &rc,
                true,
                Outage::FirstAttempts {
                    count: 1,
                    fault: fault.clone(),
                },
                &RetryPolicy::default(),
                e.clock.now(),
            )
            .await;
            assert_well_formed(&d);
            assert_eq!(d.result, DeliveryResult::Delivered, "{fault}");
            assert_eq!(d.attempts.len(), 2, "{fault}: {:#?}", d.timeline());
            assert!(d.attempts[1].outcome.is_success());
            assert_eq!(
                e.station.booking_count(&rc.notice_number),
                booked,
                "{fault} {profile:?}"
            );
        }
    }
}

// RT-005 with a really dead station: every connection is closed without an answer.
#[tokio::test]
async fn dead_station_leaves_the_receipt_stuck_after_49_real_failures() {
    let started = Instant::now();
    // The dead station closes every connection at once, so the timeout is never reached; a
    // short one would turn a slow moment of a loaded machine into a TIMEOUT attempt.
    let e = env(
        StationConfig::with_profile(Profile::Dead),
        Timeouts::uniform(Duration::from_secs(10)),
    )
    .await;
    let f = fixture(&e.station, FixtureRole::ReceiptTarget);
    let rc = receipt_from_fixture(&f, "rt005-dead");
    let start = e.clock.now();
    let d = deliver_one(
        &e.client,
        &rc,
        false,
        Outage::None,
        &RetryPolicy::default(),
        start,
    )
    .await;
    assert_well_formed(&d);
    assert_eq!(d.result, DeliveryResult::Stuck);
    assert_eq!(d.attempts.len(), 49);
    assert_eq!(gaps_s(&d), vec![3600; 48]);
    for a in &d.attempts {
        assert_eq!(a.injected, None);
        // A connection closed before any response: IRRAGGIUNGIBILE since the mock Nodo's
        // choice of commit 020fb9b (ERRORE_RESPONSE before it); either way a failed attempt.
        let label = failed_label(&a.outcome);
        assert!(
            [
                "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE",
                "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"
            ]
            .contains(&label),
            "{label}: {:#?}",
            d.timeline()
        );
    }
    assert_eq!(e.journal.len(), 49);
    // The station's handler runs before the `dead` profile cuts the connection, so the first
    // delivery is booked although no answer ever leaves; it is never booked twice.
    assert!(e.station.booking_count(&rc.notice_number) <= 1);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

// RT-002M: the primary station (paSendRT) and the secondary EC's broadcast station
// (paSendRTV2, down for its first 3 attempts) on one scenario clock.
#[tokio::test]
async fn broadcast_fans_out_to_both_stations_on_one_clock() {
    let primary = start(StationConfig::default()).await;
    let secondary = start(secondary_config()).await;
    let clock = VirtualClock::new(t0());
    let journal = Arc::new(Journal::in_memory());
    let c1 = client(&primary, Timeouts::nodo(), &clock, &journal);
    let c2 = client(&secondary, Timeouts::nodo(), &clock, &journal);
    let rc_v1 = activated_receipt(
        &c1,
        &primary,
        FixtureRole::MultiBeneficiary,
        "rt002m-broadcast",
    )
    .await;
    assert!(
        rc_v1
            .transfers
            .iter()
            .any(|t| t.fiscal_code_pa == collaudo_station::SECONDARY_EC_FISCAL_CODE),
        "a transfer goes to the secondary EC"
    );
    let recipients = [
        Recipient {
            label: "primary station".into(),
            client: &c1,
            message: c1.send_rt(rc_v1.clone(), false),
            outage: Outage::None,
        },
        Recipient {
            label: format!(
                "broadcast station of {}",
                collaudo_station::SECONDARY_EC_FISCAL_CODE
            ),
            client: &c2,
            message: c2.send_rt(rc_v1.clone(), true),
            outage: Outage::FirstAttempts {
                count: 3,
                fault: Fault::Timeout,
            },
        },
    ];
    let (backoffice, check_policy) = checks();
    let start_at = clock.now();
    let out = deliver(
        &recipients,
        &RetryPolicy::default(),
        start_at,
        &backoffice,
        &check_policy,
        Some("rt002m"),
        Some(1),
    )
    .await;
    assert_eq!(out.len(), 2);
    for d in &out {
        assert_well_formed(d);
        assert_eq!(d.result, DeliveryResult::Delivered, "{:#?}", d.timeline());
    }
    assert_eq!(out[0].attempts.len(), 1, "primary delivered at attempt 1");
    assert_eq!(out[1].attempts.len(), 4, "broadcast delivered at attempt 4");
    assert_eq!(gaps_s(&out[1]), vec![3600; 3]);
    assert_eq!(out[0].attempts[0].virtual_at, start_at);
    assert_eq!(out[1].attempts[0].virtual_at, start_at);
    for a in &out[1].attempts[..3] {
        assert_eq!(failed_label(&a.outcome), "PPT_STAZIONE_INT_PA_TIMEOUT");
    }
    // Interleaved on the shared clock: in journal order, scenario time never goes back.
    let mut all: Vec<_> = out.iter().flat_map(|d| d.attempts.iter()).collect();
    all.sort_by_key(|a| a.seq);
    assert_eq!(
        all.iter().map(|a| a.seq).collect::<Vec<_>>(),
        vec![
            out[0].attempts[0].seq,
            out[1].attempts[0].seq,
            out[1].attempts[1].seq,
            out[1].attempts[2].seq,
            out[1].attempts[3].seq,
        ],
        "primary attempt 1 first, then the broadcast station's"
    );
    assert!(all.windows(2).all(|w| w[0].virtual_at <= w[1].virtual_at));
    let sent: Vec<Primitive> = journal
        .entries()
        .iter()
        .filter(|x| x.seq >= all[0].seq)
        .map(|x| x.primitive)
        .collect();
    assert_eq!(
        sent,
        [
            Primitive::SendRt,
            Primitive::SendRtV2,
            Primitive::SendRtV2,
            Primitive::SendRtV2,
            Primitive::SendRtV2
        ]
    );
    let notice = rc_v1.notice_number.as_str();
    assert_eq!(primary.booking_count(notice), 1);
    assert_eq!(secondary.booking_count(notice), 1);
    let booked = secondary.state().positions().bookings();
    assert_eq!(booked[0].id_pa, collaudo_station::SECONDARY_EC_FISCAL_CODE);
    assert_eq!(booked[0].primitive, Primitive::SendRtV2);
    assert!(
        !booked[0].known_position,
        "the secondary EC did not issue the notice and still accepts the receipt"
    );
}

// RT-003: the same receipt delivered twice to a conformant station.
#[tokio::test]
async fn duplicate_delivery_to_a_conformant_station_is_booked_once() {
    let e = env(StationConfig::default(), Timeouts::nodo()).await;
    let rc = activated_receipt(
        &e.client,
        &e.station,
        FixtureRole::ReceiptTarget,
        "rt003-dup",
    )
    .await;
    let policy = RetryPolicy::default();
    for _ in 0..2 {
        let d = deliver_one(&e.client, &rc, true, Outage::None, &policy, e.clock.now()).await;
        assert_well_formed(&d);
        assert_eq!(d.result, DeliveryResult::Delivered);
        assert_eq!(d.attempts.len(), 1);
        assert_eq!(d.attempts[0].outcome, AttemptOutcome::Accepted);
    }
    assert_eq!(e.station.booking_count(&rc.notice_number), 1);
}

// RT-003 failed: a station that refuses a receipt it already holds never accepts it again.
#[tokio::test]
async fn duplicate_delivery_to_a_station_rejecting_duplicates_is_never_accepted() {
    let e = env(
        StationConfig::with_profile(Profile::RejectsDuplicatesWrongly),
        Timeouts::nodo(),
    )
    .await;
    let rc = activated_receipt(
        &e.client,
        &e.station,
        FixtureRole::ReceiptTarget,
        "rt003-dup-wrong",
    )
    .await;
    let first = deliver_one(
        &e.client,
        &rc,
        false,
        Outage::None,
        &RetryPolicy::default(),
        e.clock.now(),
    )
    .await;
    assert_eq!(first.result, DeliveryResult::Delivered);
    let three = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let second = deliver_one(&e.client, &rc, false, Outage::None, &three, e.clock.now()).await;
    assert_well_formed(&second);
    assert_eq!(
        second.result,
        DeliveryResult::Stuck,
        "{:#?}",
        second.timeline()
    );
    assert_eq!(second.attempts.len(), 3);
    for a in &second.attempts {
        assert_eq!(
            failed_label(&a.outcome),
            "PPT_ERRORE_EMESSO_DA_PAA/PAA_SEMANTICA"
        );
        assert!(a.outcome.to_string().contains("PAA_SEMANTICA"));
    }
    assert_eq!(e.station.booking_count(&rc.notice_number), 1);
}

// RT-004 with a real flaky station, k = 5.
#[tokio::test]
async fn flaky_station_with_five_failures_accepts_attempt_6() {
    let config = StationConfig {
        flaky_receipt_failures: 5,
        ..StationConfig::with_profile(Profile::FlakyReceipts)
    };
    let e = env(config, Timeouts::nodo()).await;
    let rc = activated_receipt(
        &e.client,
        &e.station,
        FixtureRole::ReceiptTarget,
        "rt004-flaky-5",
    )
    .await;
    let d = deliver_one(
        &e.client,
        &rc,
        true,
        Outage::None,
        &RetryPolicy::default(),
        e.clock.now(),
    )
    .await;
    assert_well_formed(&d);
    assert_eq!(d.result, DeliveryResult::Delivered);
    assert_eq!(d.attempts.len(), 6);
    assert_eq!(d.attempts[5].outcome, AttemptOutcome::Accepted);
    assert_eq!(e.station.booking_count(&rc.notice_number), 1);
}

/// The outages the property draws: faults that cost no virtual time, so the schedule is exact.
fn outage_strategy() -> impl Strategy<Value = Outage> {
    let fault = prop_oneof![
        Just(Fault::Refuse),
        Just(Fault::HttpStatus(500)),
        Just(Fault::HttpStatus(503)),
        Just(Fault::Unavailable(UnavailableAnswer::HttpStatus(503))),
        Just(Fault::Unavailable(UnavailableAnswer::Ko)),
        Just(Fault::Corrupt(Corruption::Truncate)),
    ];
    prop_oneof![
        Just(Outage::None),
        (0u32..=64, fault.clone())
            .prop_map(|(count, fault)| Outage::FirstAttempts { count, fault }),
        (0u64..=(60 * 2 * 3600), fault.clone()).prop_map(|(s, fault)| Outage::For {
            span: Duration::from_secs(s),
            fault
        }),
        fault.prop_map(|fault| Outage::Always { fault }),
    ]
}

#[test]
fn retry_schedule_property() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let e = rt.block_on(env(StationConfig::default(), Timeouts::nodo()));
    let f = fixture(&e.station, FixtureRole::ReceiptTarget);
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 32,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let case = std::cell::Cell::new(0u32);
    let strategy = (outage_strategy(), 1u32..=60, 1u64..=7200, any::<bool>());
    runner
        .run(&strategy, |(outage, max_attempts, interval_s, v2)| {
            case.set(case.get() + 1);
            let interval = Duration::from_secs(interval_s);
            let policy = RetryPolicy {
                max_attempts,
                interval,
                duplicate_is_final: true,
            };
            let id = format!("prop-{}", case.get());
            let rc = receipt_from_fixture(&f, &id);
            let start = e.clock.now().plus(Duration::from_secs(1));
            let d = rt.block_on(deliver_one(
                &e.client,
                &rc,
                v2,
                outage.clone(),
                &policy,
                start,
            ));
            // The model: the first attempt without an injected fault succeeds (the station is
            // conformant), else every attempt is made.
            let first_clean =
                (1..=max_attempts).find(|&n| outage.fault_at(n, interval * (n - 1)).is_none());
            let expected = first_clean.unwrap_or(max_attempts);
            let k = u32::try_from(d.attempts.len()).unwrap();
            prop_assert!(k >= 1 && k <= max_attempts);
            prop_assert_eq!(k, expected, "{:#?}", d.timeline());
            prop_assert_eq!(
                d.attempts.iter().map(|a| a.n).collect::<Vec<_>>(),
                (1..=k).collect::<Vec<_>>()
            );
            let (last, before) = d.attempts.split_last().unwrap();
            prop_assert!(before.iter().all(|a| !a.outcome.is_success()));
            prop_assert_eq!(
                last.outcome.is_success(),
                first_clean.is_some(),
                "{:#?}",
                d.timeline()
            );
            prop_assert_eq!(d.result == DeliveryResult::Delivered, first_clean.is_some());
            prop_assert_eq!(d.attempts[0].virtual_at, start);
            for (i, a) in d.attempts.iter().enumerate() {
                let n = u32::try_from(i).unwrap();
                prop_assert_eq!(a.virtual_at, start.plus(interval * n));
            }
            // Never booked twice; booked once whenever the station saw a delivery, which an
            // outage never lets happen.
            let booked = e
                .station
                .state()
                .positions()
                .bookings()
                .iter()
                .filter(|b| b.receipt_id == id)
                .count();
            let timeout = Primitive::SendRtV2.nodo_timeout();
            let reached = (1..=k).any(|n| {
                outage
                    .fault_at(n, interval * (n - 1))
                    .is_none_or(|f| f.reaches_station(timeout))
            });
            prop_assert_eq!(booked, usize::from(reached));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A virtual clock on which "another task" moves time to `to` right after the next `now()`
/// read, the interleaving two `deliver` calls sharing one scenario clock can hit on a
/// multi-thread runtime.
#[derive(Debug)]
struct InterleavedClock {
    inner: VirtualClock,
    to: std::sync::Mutex<Option<VirtualTime>>,
}

impl Clock for InterleavedClock {
    fn now(&self) -> VirtualTime {
        let now = self.inner.now();
        if let Some(t) = self.to.lock().unwrap().take() {
            self.inner.advance_to(t);
        }
        now
    }

    fn advance(&self, d: Duration) {
        self.inner.advance(d);
    }

    fn is_virtual(&self) -> bool {
        true
    }

    // A shared clock moves in one atomic step, as VirtualClock does.
    fn advance_to(&self, t: VirtualTime) {
        self.inner.advance_to(t);
    }
}

// receipts.rs used to read the clock, then advances it by the difference: two steps, so
// a concurrent delivery that moved the clock in between is counted twice. Seen for real with
// 64 concurrent `deliver` calls on one VirtualClock, 2 worker threads, every attempt an
// injected refusal: the clock ended one hour past the last attempt in 1 of 50 runs.
#[tokio::test]
async fn concurrent_deliveries_do_not_push_the_shared_clock_past_the_schedule() {
    let station = start(StationConfig::default()).await;
    let rc = receipt_from_fixture(&fixture(&station, FixtureRole::ReceiptTarget), "race");
    let at = t0().plus(HOUR);
    let clock = Arc::new(InterleavedClock {
        inner: VirtualClock::new(t0()),
        // Another delivery due at the same hour gets there first.
        to: std::sync::Mutex::new(Some(at)),
    });
    let c = NodoClient::new(
        StationTarget {
            url: station.url.clone(),
            caller: caller_of(station.state().config()),
            soap_action_style: SoapActionStyle::Quoted,
        },
        Default::default(),
        Timeouts::nodo(),
        clock.clone(),
        Arc::new(Journal::in_memory()),
    )
    .unwrap();
    let one = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let d = deliver_one(&c, &rc, true, Outage::None, &one, at).await;
    assert_eq!(d.result, DeliveryResult::Delivered);
    // Was issued at 12:00, one hour late, when the move was two steps (10:00 → 11:00 twice).
    assert_eq!(d.attempts[0].virtual_at, at, "{:#?}", d.timeline());
}

// `Outage::For` is documented as "attempts issued before start + span (virtual time) fail",
// but `deliver` passes the *scheduled* elapsed time `(n-1) × interval`, not the time the
// attempt is issued. They differ once injected timeouts push the clock (interval shorter than
// the 15 s paSendRT timeout, or several recipients timing out in one round).
#[tokio::test]
async fn outage_for_ends_at_start_plus_span_in_virtual_time() {
    let e = env(StationConfig::default(), Timeouts::nodo()).await;
    let rc = receipt_from_fixture(&fixture(&e.station, FixtureRole::ReceiptTarget), "span");
    let span = Duration::from_secs(60);
    let policy = RetryPolicy {
        max_attempts: 10,
        interval: Duration::from_secs(10),
        duplicate_is_final: true,
    };
    let start = e.clock.now();
    let outage = Outage::For {
        span,
        fault: Fault::Timeout,
    };
    let d = deliver_one(&e.client, &rc, true, outage, &policy, start).await;
    assert_eq!(d.result, DeliveryResult::Delivered);
    for a in &d.attempts {
        let before_end = a.virtual_at < start.plus(span);
        // Fails at attempt 5: issued at start + 60 s (four 15 s timeouts), still injected
        // because its scheduled elapsed time is 40 s; delivery only at attempt 7, at + 90 s.
        assert_eq!(a.injected.is_some(), before_end, "{:#?}", d.timeline());
    }
}
