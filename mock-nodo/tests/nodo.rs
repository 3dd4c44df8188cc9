//! The mock Nodo at the PSP level, without the harness: a PSP verifies, activates and closes
//! payments, and the Nodo decides who answers — the EC's station, or ACA while the station is
//! in Stand-In — probes a station in Stand-In on time, and delivers each receipt to every
//! recipient. Real reference stations and a real mock ACA on 127.0.0.1:0, virtual time.

use collaudo_nodo::aca::{AcaConfig, AcaHandle};
use collaudo_nodo::nodo::{EcEntry, Integration, Nodo, NodoConfig, Registry, Route, StationLink};
use collaudo_nodo::{
    BackOffice, CheckPolicy, Clock, DeliveryResult, Fault, Journal, NodoClient, NodoOutcome,
    RetryPolicy, SoapActionStyle, StandInRules, StationTarget, Timeouts, TrafficModel,
    VirtualClock, VirtualTime,
};
use collaudo_station::{AcaTarget, FixtureRole, StationConfig, StationHandle};
use collaudo_wire::{Beneficiary, Caller, Message, QrCode};
use std::sync::Arc;
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);
const ACA_KEY: &str = "nodo-test";

fn t0() -> VirtualTime {
    "2026-11-25T10:00:00.000Z".parse().expect("time")
}

fn secondary() -> StationConfig {
    let ec = collaudo_station::SECONDARY_EC_FISCAL_CODE;
    StationConfig {
        id_pa: ec.to_string(),
        id_broker_pa: ec.to_string(),
        id_station: format!("{ec}_01"),
        company_name: "Provincia di Collaudo".to_string(),
        ..StationConfig::default()
    }
}

async fn start(config: StationConfig) -> StationHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    collaudo_station::start(config, listener)
        .await
        .expect("station")
}

fn link(station: &StationHandle, clock: &VirtualClock, journal: &Arc<Journal>) -> StationLink {
    let c = station.state().config();
    StationLink {
        client: NodoClient::new(
            StationTarget {
                url: station.url.clone(),
                caller: Caller {
                    id_pa: c.id_pa.clone(),
                    id_broker_pa: c.id_broker_pa.clone(),
                    id_station: c.id_station.clone(),
                },
                soap_action_style: SoapActionStyle::Quoted,
            },
            Default::default(),
            Timeouts::nodo(),
            Arc::new(clock.clone()),
            journal.clone(),
        )
        .expect("client"),
        get_payment_v2: true,
        send_rt_v2: true,
    }
}

fn backoffice(stations: &[&StationHandle]) -> BackOffice {
    let mut bo = BackOffice::default();
    for s in stations {
        for ec in &s.back_office().ecs {
            bo = bo.with_ec(&ec.fiscal_code, Some(&ec.company_name));
            for i in &ec.ibans {
                bo = bo.with_iban(&ec.fiscal_code, &i.iban, i.postal);
            }
        }
    }
    bo
}

/// A primary EC station (optionally registering its positions in a mock ACA) and the
/// secondary EC's station as the secondary EC's broadcast station, behind one Nodo.
struct World {
    nodo: Nodo,
    primary: StationHandle,
    secondary: StationHandle,
    clock: VirtualClock,
    _aca: Option<AcaHandle>,
}

async fn world(with_aca: bool, rules: StandInRules) -> World {
    let clock = VirtualClock::new(t0());
    let journal = Arc::new(Journal::in_memory());
    let probe_bo = backoffice(&[&start(StationConfig::default()).await]);
    let aca = if with_aca {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let config = AcaConfig {
            backoffice: probe_bo,
            ..AcaConfig::new(Arc::new(clock.clone()) as Arc<dyn Clock>).with_key(ACA_KEY)
        };
        Some(
            collaudo_nodo::aca::start(config, listener)
                .await
                .expect("aca"),
        )
    } else {
        None
    };
    let primary = start(StationConfig {
        aca: aca.as_ref().map(|a| AcaTarget::new(a.endpoint(), ACA_KEY)),
        ..StationConfig::default()
    })
    .await;
    let secondary = start(secondary()).await;
    let p = link(&primary, &clock, &journal);
    let s = link(&secondary, &clock, &journal);
    let (p_id, s_id) = (p.id().to_string(), s.id().to_string());
    let p_ec = primary.state().config().id_pa.clone();
    let s_ec = secondary.state().config().id_pa.clone();
    let registry = Registry::default()
        .with_station(p)
        .with_station(s)
        .with_ec(EcEntry {
            fiscal_code: p_ec,
            integration: Integration::Sync,
            station: Some(p_id),
            broadcast: Vec::new(),
        })
        .with_ec(EcEntry {
            fiscal_code: s_ec,
            integration: Integration::Sync,
            station: Some(s_id.clone()),
            broadcast: vec![s_id],
        });
    let nodo = Nodo::new(NodoConfig {
        registry,
        backoffice: backoffice(&[&primary, &secondary]),
        policy: CheckPolicy::default(),
        retry: RetryPolicy::default(),
        standin: rules,
        aca: aca.as_ref().map(|a| a.state().clone()),
        gpd: None,
        clock: Arc::new(clock.clone()),
        journal,
        seed: 7,
    })
    .expect("nodo");
    World {
        nodo,
        primary,
        secondary,
        clock,
        _aca: aca,
    }
}

fn qr(station: &StationHandle, role: FixtureRole) -> QrCode {
    let f = station.fixtures().get(role).expect("fixture");
    QrCode {
        fiscal_code: f.fiscal_code.clone(),
        notice_number: f.notice_number.as_str().to_string(),
    }
}

fn station_id(s: &StationHandle) -> String {
    s.state().config().id_station.clone()
}

#[tokio::test]
async fn a_payment_goes_to_the_station_and_its_receipt_to_every_recipient() {
    let w = world(false, StandInRules::default()).await;
    let qr = qr(&w.primary, FixtureRole::MultiBeneficiary);
    let id = station_id(&w.primary);

    let verify = w.nodo.verify(&qr).await.expect("verify");
    assert_eq!(verify.route, Route::Station(id.clone()));
    assert_eq!(verify.outcome, NodoOutcome::Ok);
    assert!(verify.exchange.is_some(), "the station was called");

    let activate = w.nodo.activate(&qr, None, None).await.expect("activate");
    assert_eq!(
        activate.outcome,
        NodoOutcome::Ok,
        "{:?}",
        activate.judgement
    );
    let token = activate.token.expect("a payment token");

    let closed = w.nodo.close(&token).await.expect("close");
    // The EC's station, then the secondary EC's broadcast station (a transfer is for it).
    let recipients: Vec<&str> = closed
        .deliveries
        .iter()
        .map(|d| d.recipient.as_str())
        .collect();
    assert_eq!(
        recipients,
        vec![
            format!("station {id}"),
            format!("station {}", station_id(&w.secondary))
        ]
    );
    assert!(
        closed
            .deliveries
            .iter()
            .all(|d| d.result == DeliveryResult::Delivered),
        "{:?}",
        closed.deliveries
    );
    assert_eq!(closed.receipt.receipt_id, token);
    assert_eq!(closed.receipt.stand_in, Some(false));
    // A closed payment cannot be closed twice.
    assert!(w.nodo.close(&token).await.is_err());

    let ops: Vec<(&str, Route)> = w
        .nodo
        .decisions()
        .iter()
        .map(|d| (d.operation, d.route.clone()))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("verify", Route::Station(id.clone())),
            ("activate", Route::Station(id.clone())),
            ("close", Route::Station(id)),
        ]
    );
}

#[tokio::test]
async fn an_unknown_ec_is_the_nodos_refusal_not_a_station_call() {
    let w = world(false, StandInRules::default()).await;
    let err = w
        .nodo
        .verify(&QrCode {
            fiscal_code: "12345678901".into(),
            notice_number: "301000000000000000".into(),
        })
        .await
        .expect_err("unknown EC");
    assert!(err.to_string().contains("12345678901"), "{err}");
    assert!(w.nodo.journal().is_empty());
}

/// Drives the primary station into Stand-In: one verify a minute, each refused on the way (the
/// station is unreachable), with a Nodo traffic small enough that the station's share counts,
/// until the monitor decides (at most `minutes`). Returns the minutes it took.
async fn into_stand_in(w: &World, minutes: u32) -> u32 {
    let id = station_id(&w.primary);
    w.nodo.set_traffic(TrafficModel::PerSlot(10));
    let payable = qr(&w.primary, FixtureRole::Payable);
    for m in 0..minutes {
        if w.nodo.in_stand_in(&id) {
            return m;
        }
        w.nodo.inject(&id, Fault::Refuse, 1);
        let a = w.nodo.verify(&payable).await.expect("verify");
        assert_eq!(a.route, Route::Station(id.clone()), "not yet in Stand-In");
        assert!(
            matches!(&a.outcome, NodoOutcome::Nodo { .. }),
            "{:?}",
            a.outcome
        );
        w.clock.advance(MINUTE);
    }
    minutes
}

#[tokio::test]
async fn in_stand_in_the_nodo_answers_from_aca_probes_on_time_and_pays_in_stand_in() {
    let w = world(true, StandInRules::default()).await;
    let id = station_id(&w.primary);
    let took = into_stand_in(&w, 60).await;
    // Default rules: a 30-minute range of 5-minute slots, half of them failed.
    assert!((15..=35).contains(&took), "entered after {took} minutes");
    assert!(
        w.nodo.in_stand_in(&id),
        "transitions: {:?}",
        w.nodo.transitions(&id)
    );
    let calls_before = w.nodo.journal().len();

    // Verify and activate are answered from ACA: the station is not called.
    let payable = qr(&w.primary, FixtureRole::Payable);
    let v = w.nodo.verify(&payable).await.expect("verify");
    assert_eq!(v.route, Route::Aca(id.clone()));
    assert_eq!(v.outcome, NodoOutcome::Ok);
    assert!(v.exchange.is_none());
    let a = w
        .nodo
        .activate(&payable, None, None)
        .await
        .expect("activate");
    assert_eq!(a.route, Route::Aca(id.clone()));
    let Some(Message::GetPaymentV2Res(res)) = &a.message else {
        panic!("an activation answer: {:?}", a.message);
    };
    let data = res.data.as_ref().expect("payment data");
    assert_eq!(data.transfers.len(), 1, "one transfer of the total");
    assert_eq!(data.transfers[0].transfer_category, "STAND-IN");
    assert!(matches!(
        data.transfers[0].beneficiary,
        Beneficiary::Iban(_)
    ));
    assert_eq!(
        w.nodo.journal().len(),
        calls_before,
        "no call to the station"
    );

    // A notice ACA must not pay in Stand-In is refused by the Nodo.
    let no = w
        .nodo
        .verify(&qr(&w.primary, FixtureRole::NoStandIn))
        .await
        .expect("verify");
    assert!(
        matches!(&no.outcome, NodoOutcome::Nodo { reason, .. } if reason.contains("payStandIn=false")),
        "{:?}",
        no.outcome
    );

    // Time passes: the Nodo probes the station every 5 minutes, on its own.
    let start = w.clock.now();
    let probes = w.nodo.advance(Duration::from_secs(16 * 60)).await;
    assert!(probes.len() >= 3, "{} probes", probes.len());
    for pair in probes.windows(2) {
        assert_eq!(
            pair[1].virtual_at.since(pair[0].virtual_at),
            5 * MINUTE,
            "probes 5 minutes apart"
        );
    }
    assert!(probes[0].virtual_at.since(start) <= 5 * MINUTE);
    // The station answers again: every probe is positive (HTTP 200, PAA_PAGAMENTO_SCONOSCIUTO
    // for the probe notice), as the journal records.
    let journal = w.nodo.journal().entries();
    for p in &probes {
        let recorded = journal.iter().find(|e| e.seq == p.seq).expect("journalled");
        assert_eq!(recorded.classification.as_deref(), Some("probe positive"));
    }
    assert!(
        w.nodo
            .decisions()
            .iter()
            .any(|d| d.operation == "probe" && d.route == Route::Station(id.clone()))
    );

    // The payment closes in Stand-In: the receipt says so, and ACA holds the position paid.
    let token = a.token.expect("token");
    let closed = w.nodo.close(&token).await.expect("close");
    assert_eq!(closed.receipt.stand_in, Some(true));
    assert_eq!(closed.deliveries[0].result, DeliveryResult::Delivered);
    let again = w.nodo.verify(&payable).await.expect("verify");
    assert!(
        matches!(&again.outcome, NodoOutcome::Nodo { reason, .. } if reason.contains("already paid")),
        "{:?}",
        again.outcome
    );

    // Positive probes for long enough: the Nodo lets the station out, and calls it again.
    w.nodo.advance(Duration::from_secs(70 * 60)).await;
    assert!(!w.nodo.in_stand_in(&id), "{:?}", w.nodo.transitions(&id));
    let back = w
        .nodo
        .verify(&qr(&w.primary, FixtureRole::PayableV2))
        .await
        .expect("verify");
    assert_eq!(back.route, Route::Station(id));
    assert_eq!(back.outcome, NodoOutcome::Ok);
}

/// An EC on the asynchronous integration: its position is in GPD, GPD-Payments answers the
/// Nodo for it, the receipt is pushed to its broadcast station and pulled from GPD.
#[tokio::test]
async fn an_asynchronous_ec_is_answered_by_gpd_and_its_receipt_pushed_and_pulled() {
    use collaudo_nodo::gpd::{Api, GpdConfig, GpdState, PositionStatus};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const EC: &str = "80000000001";
    const IBAN: &str = "IT60X0542811101000000123456";
    let clock = VirtualClock::new(t0());
    let journal = Arc::new(Journal::in_memory());
    let backoffice = BackOffice::default()
        .with_ec(EC, Some("Comune Asincrono"))
        .with_iban(EC, IBAN, false);
    let gpd = Arc::new(GpdState::new(
        GpdConfig::new(Arc::new(clock.clone()) as Arc<dyn Clock>)
            .with_key("k")
            .with_backoffice(backoffice.clone()),
    ));
    let due = VirtualTime::from_millis(t0().millis() + 30 * 86_400_000).to_string();
    let position = |iupd: &str, iuv: &str| {
        serde_json::json!({
            "iupd": iupd, "type": "F", "fiscalCode": "RSSMRA80A01H501U", "fullName": "Mario Rossi",
            "companyName": "Comune Asincrono", "switchToExpired": false,
            "paymentOption": [{
                "iuv": iuv, "amount": 10_000, "description": "TARI 2026", "isPartialPayment": false,
                "dueDate": due,
                "transfer": [{"idTransfer": "1", "amount": 10_000, "remittanceInformation": "TARI",
                              "category": "9/0101108TS/", "iban": IBAN}],
            }],
        })
        .to_string()
    };
    // Created with toPublish=true and no validityDate: VALID at once. A draft is not payable.
    gpd.create(
        Api::DebtPositionsV1,
        EC,
        position("IUPD-1", "01000000000000001").as_bytes(),
        true,
    )
    .expect("create");
    gpd.create(
        Api::DebtPositionsV1,
        EC,
        position("IUPD-2", "01000000000000002").as_bytes(),
        false,
    )
    .expect("create draft");

    // The EC's broadcast station: any paSendRTV2 is accepted.
    let broadcast = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).insert_header("Content-Type", "text/xml").set_body_string(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paSendRTV2Response><outcome>OK</outcome></pafn:paSendRTV2Response></soapenv:Body></soapenv:Envelope>"#,
        ))
        .mount(&broadcast)
        .await;
    let link = StationLink {
        client: NodoClient::new(
            StationTarget {
                url: broadcast.uri(),
                caller: Caller {
                    id_pa: EC.into(),
                    id_broker_pa: EC.into(),
                    id_station: format!("{EC}_01"),
                },
                soap_action_style: SoapActionStyle::Quoted,
            },
            Default::default(),
            Timeouts::nodo(),
            Arc::new(clock.clone()),
            journal.clone(),
        )
        .expect("client"),
        get_payment_v2: true,
        send_rt_v2: true,
    };
    let nodo = Nodo::new(NodoConfig {
        registry: Registry::default().with_station(link).with_ec(EcEntry {
            fiscal_code: EC.into(),
            integration: Integration::Async,
            station: None,
            broadcast: vec![format!("{EC}_01")],
        }),
        backoffice,
        policy: CheckPolicy::default(),
        retry: RetryPolicy::default(),
        standin: StandInRules::default(),
        aca: None,
        gpd: Some(gpd.clone()),
        clock: Arc::new(clock.clone()),
        journal,
        seed: 7,
    })
    .expect("nodo");
    let qr = |iuv: &str| QrCode {
        fiscal_code: EC.into(),
        notice_number: format!("3{iuv}"),
    };

    let draft = nodo.verify(&qr("01000000000000002")).await.expect("verify");
    assert_eq!(draft.route, Route::Gpd);
    assert!(
        matches!(&draft.outcome, NodoOutcome::EcKo { code, .. } if code.as_str() == "PAA_PAGAMENTO_SCONOSCIUTO"),
        "{:?}",
        draft.outcome
    );

    let v = nodo.verify(&qr("01000000000000001")).await.expect("verify");
    assert_eq!(v.route, Route::Gpd);
    assert_eq!(v.outcome, NodoOutcome::Ok);
    let Some(Message::VerifyPaymentNoticeRes(res)) = &v.message else {
        panic!("{:?}", v.message)
    };
    assert_eq!(
        res.payment_option.as_ref().map(|o| o.amount.cents()),
        Some(10_000)
    );
    assert!(
        nodo.journal().is_empty(),
        "no station is called for an async EC"
    );

    let a = nodo
        .activate(&qr("01000000000000001"), None, None)
        .await
        .expect("activate");
    assert_eq!(a.route, Route::Gpd);
    let token = a.token.expect("token");
    let closed = nodo.close(&token).await.expect("close");
    assert_eq!(
        closed.deliveries.len(),
        1,
        "pushed to the broadcast station"
    );
    assert_eq!(closed.deliveries[0].result, DeliveryResult::Delivered);

    // GPD holds the position PAID and serves the receipt (pull).
    let (_, status) = gpd.position(EC, "IUPD-1").expect("position");
    assert_eq!(status, PositionStatus::Paid);
    let receipts = gpd.receipts(EC);
    assert_eq!(receipts.len(), 1);
    let again = nodo.verify(&qr("01000000000000001")).await.expect("verify");
    assert!(
        matches!(&again.outcome, NodoOutcome::EcKo { code, .. } if code.as_str() == "PAA_PAGAMENTO_DUPLICATO"),
        "{:?}",
        again.outcome
    );
}

// ---- a scenario driving the Nodo: its own bytes, the Nodo's memory, time passing ----

#[tokio::test]
async fn a_forwarded_call_is_judged_remembered_and_seen_by_the_monitor() {
    use collaudo_nodo::nodo::{Forward, ReceiptBasis, ReceiptProblem};
    let w = world(false, StandInRules::default()).await;
    let id = station_id(&w.primary);
    let qr = qr(&w.primary, FixtureRole::Payable);
    let ec = qr.fiscal_code.clone();
    let client = &w.nodo.registry().station(&id).expect("station").client;

    // Nothing is known of the notice yet: no receipt can be built.
    assert_eq!(
        w.nodo
            .receipt_for(&qr, ReceiptBasis::Activation, true, false)
            .expect_err("no activation"),
        ReceiptProblem::NoActivation
    );

    // A verify the scenario shaped (no SOAPAction header at all): sent as given, judged, and
    // its amount remembered for the activation a PSP would send next.
    let verify = client.verify(qr.clone());
    let mut call = Forward::as_written(&ec, Some(&qr.notice_number), &verify);
    call.soap_action = None;
    let f = w.nodo.forward(call).await.expect("forward");
    assert!(
        !f.exchange
            .request_headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("SOAPAction")),
        "sent as shaped: {:?}",
        f.exchange.request_headers
    );
    let amount = w.nodo.verified_amount(&qr).expect("the verify's amount");
    assert!(w.nodo.monitor(&id).is_some(), "the monitor saw the verify");

    // The EC changes the notice: what the verify said no longer holds.
    w.nodo.notice_changed(&qr);
    assert_eq!(w.nodo.verified_amount(&qr), None);

    let activate = client.get_payment(qr.clone(), Some(amount), true, None);
    let f = w
        .nodo
        .forward(Forward::as_written(&ec, Some(&qr.notice_number), &activate))
        .await
        .expect("forward");
    assert_eq!(f.judgement.outcome, NodoOutcome::Ok, "{:?}", f.judgement);
    let data = w.nodo.activation(&qr).expect("the activation remembered");
    assert!(!w.nodo.activated_in_stand_in(&qr));

    // The receipt is the Nodo's: from the activation, under a fresh token each time.
    let r1 = w
        .nodo
        .receipt_for(&qr, ReceiptBasis::Activation, true, false)
        .expect("receipt");
    let r2 = w
        .nodo
        .receipt_for(&qr, ReceiptBasis::Activation, true, false)
        .expect("receipt");
    assert_eq!(r1.payment_amount, data.payment_amount);
    assert_eq!(r1.stand_in, Some(false));
    assert_ne!(r1.receipt_id, r2.receipt_id);
    assert_eq!(
        w.nodo
            .receipt_for(
                &qr,
                ReceiptBasis::Verify {
                    iban: "IT60X0542811101000000123456"
                },
                true,
                false
            )
            .expect_err("the verify was forgotten"),
        ReceiptProblem::NoVerify
    );

    // An unknown EC is the Nodo's refusal, not a call.
    let before = w.nodo.journal().len();
    assert!(
        w.nodo
            .forward(Forward::as_written("12345678901", None, &verify))
            .await
            .is_err()
    );
    assert_eq!(w.nodo.journal().len(), before);
}

#[tokio::test]
async fn probes_sent_while_time_passes_carry_the_fault_of_a_station_still_down() {
    use collaudo_nodo::nodo::Passing;
    let w = world(true, StandInRules::default()).await;
    let id = station_id(&w.primary);
    into_stand_in(&w, 60).await;
    assert!(w.nodo.in_stand_in(&id));

    // Still down: every probe the Nodo sends fails, and the station stays in Stand-In.
    let down = w
        .nodo
        .advance_observed(
            Duration::from_secs(40 * 60),
            &Passing {
                probe_fault: Some(Fault::Refuse),
                ..Passing::default()
            },
        )
        .await;
    assert!(down.probes.len() >= 7, "{} probes", down.probes.len());
    assert!(down.probes.iter().all(|(_, ok)| !ok));
    assert!(down.transitions.is_empty(), "{:?}", down.transitions);
    assert!(w.nodo.in_stand_in(&id));

    // Back up: positive probes, and the Nodo lets it out, saying when.
    let up = w
        .nodo
        .advance_observed(Duration::from_secs(70 * 60), &Passing::default())
        .await;
    assert!(up.probes.iter().all(|(_, ok)| *ok));
    assert!(!w.nodo.in_stand_in(&id));
    assert_eq!(up.transitions.len(), 1, "{:?}", up.transitions);
}
