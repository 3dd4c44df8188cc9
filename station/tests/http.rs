//! The reference station over real HTTP: started on 127.0.0.1 port 0, driven with reqwest and
//! SOAP built by `collaudo_wire`, every conformant answer read back with `collaudo_wire::parse`.

use collaudo_station::{
    Fixture, FixtureRole, Fixtures, PositionView, Profile, StationConfig, StationHandle, bind,
    start,
};
use collaudo_wire::{
    Amount, Beneficiary, Caller, EntityType, GetPaymentReq, Message, Outcome, Parsed, QrCode,
    Receipt, SendRtReq, Subject, Transfer, VerifyPaymentNoticeReq, soap_action,
};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

async fn station(config: StationConfig) -> Res<StationHandle> {
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    Ok(bind(config, addr).await?)
}

fn client() -> Res<reqwest::Client> {
    // reqwest has no TLS provider of its own here (see AcaLink::new).
    collaudo_nodo::tls::install_default_provider();
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?)
}

fn caller(h: &StationHandle) -> Caller {
    let c = h.state().config();
    Caller {
        id_pa: c.id_pa.clone(),
        id_broker_pa: c.id_broker_pa.clone(),
        id_station: c.id_station.clone(),
    }
}

fn fixture(h: &StationHandle, role: FixtureRole) -> Res<Fixture> {
    h.fixtures()
        .get(role)
        .cloned()
        .ok_or_else(|| format!("no fixture {role}").into())
}

fn qr(h: &StationHandle, f: &Fixture) -> QrCode {
    QrCode {
        fiscal_code: h.state().config().id_pa.clone(),
        notice_number: f.notice_number.as_str().to_string(),
    }
}

fn verify(h: &StationHandle, f: &Fixture) -> Message {
    Message::VerifyPaymentNoticeReq(VerifyPaymentNoticeReq {
        caller: caller(h),
        qr_code: qr(h, f),
    })
}

fn get_payment_v2(h: &StationHandle, f: &Fixture) -> Message {
    Message::GetPaymentV2Req(GetPaymentReq {
        caller: caller(h),
        qr_code: qr(h, f),
        amount: Some(f.amount),
        payment_note: None,
        transfer_type: None,
        due_date: None,
    })
}

fn receipt(f: &Fixture, id: &str) -> Receipt {
    Receipt {
        receipt_id: id.to_string(),
        notice_number: f.notice_number.as_str().to_string(),
        fiscal_code: f.fiscal_code.clone(),
        outcome: Outcome::Ok,
        creditor_reference_id: f.iuv.clone(),
        payment_amount: f.amount,
        description: "pagamento di collaudo".to_string(),
        company_name: f.company_name.clone(),
        office_name: None,
        debtor: Subject {
            entity_type: EntityType::F,
            entity_value: "ANONIMO".to_string(),
            full_name: "Mario Rossi".to_string(),
            street_name: None,
            civic_number: None,
            postal_code: None,
            city: None,
            state_province_region: None,
            country: None,
            email: None,
        },
        transfers: f
            .transfers
            .iter()
            .map(|t| Transfer {
                id_transfer: t.id_transfer,
                transfer_amount: t.amount,
                fiscal_code_pa: t.fiscal_code_pa.clone(),
                company_name: None,
                beneficiary: Beneficiary::Iban(t.iban.clone().unwrap_or_default()),
                remittance_information: "/RFB/test".to_string(),
                transfer_category: "0101002IM".to_string(),
                metadata: Vec::new(),
            })
            .collect(),
        id_psp: "BCITITMM".to_string(),
        psp_fiscal_code: None,
        psp_partita_iva: None,
        psp_company_name: "Banca di Collaudo".to_string(),
        id_channel: "BCITITMM_01".to_string(),
        channel_description: "app".to_string(),
        payer: None,
        payment_method: None,
        payment_note: None,
        fee: None,
        primary_ci_incurred_fee: None,
        id_bundle: None,
        id_ci_bundle: None,
        payment_date_time: None,
        application_date: None,
        transfer_date: None,
        metadata: Vec::new(),
        stand_in: None,
    }
}

struct Answer {
    status: u16,
    content_type: String,
    text: String,
    parsed: Parsed,
}

async fn post(h: &StationHandle, c: &reqwest::Client, msg: &Message) -> Res<Answer> {
    post_raw(
        h,
        c,
        Some(&soap_action(msg.kind().0)),
        msg.to_xml().into_bytes(),
    )
    .await
}

async fn post_raw(
    h: &StationHandle,
    c: &reqwest::Client,
    action: Option<&str>,
    body: Vec<u8>,
) -> Res<Answer> {
    let mut req = c
        .post(&h.url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(body);
    if let Some(a) = action {
        req = req.header("SOAPAction", a);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = resp.bytes().await?;
    Ok(Answer {
        status,
        content_type,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        parsed: collaudo_wire::parse(&bytes),
    })
}

/// A conformant answer: HTTP 200, text/xml, valid; returns outcome and fault code.
fn conformant(a: &Answer) -> (Outcome, Option<String>) {
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.content_type.starts_with("text/xml"), "{}", a.content_type);
    assert!(
        a.parsed.is_valid(),
        "{:#?}\n{}",
        a.parsed.violations,
        a.text
    );
    let Some((o, f)) = a.parsed.message.as_ref().and_then(Message::outcome) else {
        panic!("no response message in {}", a.text)
    };
    (o, f.map(|f| f.fault_code.as_str().to_string()))
}

async fn admin_get(h: &StationHandle, c: &reqwest::Client, path: &str) -> Res<(u16, String)> {
    let resp = c.get(format!("{}{path}", h.base_url())).send().await?;
    Ok((resp.status().as_u16(), resp.text().await?))
}

async fn admin_post(
    h: &StationHandle,
    c: &reqwest::Client,
    path: &str,
    body: &str,
) -> Res<(u16, String)> {
    let resp = c
        .post(format!("{}{path}", h.base_url()))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    Ok((resp.status().as_u16(), resp.text().await?))
}

#[tokio::test]
async fn verify_and_activation_v2_answers_are_valid_and_stable() -> Res {
    let h = station(StationConfig::default()).await?;
    let c = client()?;
    assert!(h.url.starts_with("http://127.0.0.1:") && h.url.ends_with("/pagopa/station"));
    let payable = fixture(&h, FixtureRole::Payable)?;
    let a = post(&h, &c, &verify(&h, &payable)).await?;
    assert_eq!(conformant(&a), (Outcome::Ok, None));
    assert_eq!(a.content_type, "text/xml; charset=utf-8");
    insta::assert_snapshot!("verify_ok", a.text);

    let v2 = fixture(&h, FixtureRole::PayableV2)?;
    let a = post(&h, &c, &get_payment_v2(&h, &v2)).await?;
    assert_eq!(conformant(&a), (Outcome::Ok, None));
    insta::assert_snapshot!("activation_v2_ok", a.text);
    h.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn every_primitive_answers_validly_over_http() -> Res {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let h = start(StationConfig::default(), listener).await?;
    let c = client()?;
    let target = fixture(&h, FixtureRole::ReceiptTarget)?;
    let unknown = fixture(&h, FixtureRole::Unknown)?;
    let cases: Vec<(Message, Option<&str>)> = vec![
        (verify(&h, &target), None),
        (verify(&h, &unknown), Some("PAA_PAGAMENTO_SCONOSCIUTO")),
        (get_payment_v2(&h, &target), None),
        (
            match get_payment_v2(&h, &target) {
                Message::GetPaymentV2Req(r) => Message::GetPaymentReq(r),
                other => other,
            },
            None,
        ),
        (
            Message::SendRtReq(Box::new(SendRtReq {
                caller: caller(&h),
                receipt: receipt(&target, "tok-http-1"),
            })),
            None,
        ),
        (verify(&h, &target), Some("PAA_PAGAMENTO_DUPLICATO")),
        (
            Message::DemandPaymentNoticeReq(collaudo_wire::DemandPaymentNoticeReq {
                caller: caller(&h),
                id_servizio: "00001".to_string(),
                id_soggetto_servizio: "00001".to_string(),
                dati_specifici_servizio: "PGEvPg==".to_string(),
            }),
            None,
        ),
    ];
    for (msg, code) in cases {
        let a = post(&h, &c, &msg).await?;
        let expected = (
            if code.is_some() {
                Outcome::Ko
            } else {
                Outcome::Ok
            },
            code.map(str::to_string),
        );
        assert_eq!(conformant(&a), expected, "{}", msg.element());
    }
    // The Stand-In probe, as the stand-in manager sends it.
    let mut probe = unknown.clone();
    probe.notice_number = collaudo_wire::ident::NoticeNumber::parse("000000000000000000")?;
    let a = post(&h, &c, &verify(&h, &probe)).await?;
    assert_eq!(
        conformant(&a).1.as_deref(),
        Some("PAA_PAGAMENTO_SCONOSCIUTO")
    );
    assert!(a.text.contains("SCONOSCIUTO"));
    h.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn receipts_are_booked_once_and_visible_through_the_admin_api() -> Res {
    let h = station(StationConfig::default()).await?;
    let c = client()?;
    let f = fixture(&h, FixtureRole::ReceiptTarget)?;
    let rt = Message::SendRtReq(Box::new(SendRtReq {
        caller: caller(&h),
        receipt: receipt(&f, "tok-twice"),
    }));
    for _ in 0..2 {
        assert_eq!(conformant(&post(&h, &c, &rt).await?), (Outcome::Ok, None));
    }
    let (status, body) =
        admin_get(&h, &c, &format!("/_collaudo/positions/{}", f.notice_number)).await?;
    assert_eq!(status, 200);
    let view: PositionView = serde_json::from_str(&body)?;
    assert_eq!(view.booking_count, 1);
    assert_eq!(view.state, "paid");
    assert_eq!(view.receipt_id.as_deref(), Some("tok-twice"));
    assert_eq!(h.booking_count(f.notice_number.as_str()), 1);
    h.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn admin_api_changes_amounts_and_cancels() -> Res {
    let h = station(StationConfig::default()).await?;
    let c = client()?;
    let f = fixture(&h, FixtureRole::AmountChange)?;
    let base = format!("/_collaudo/positions/{}", f.notice_number);

    let (status, body) = admin_post(
        &h,
        &c,
        &format!("{base}/amount"),
        r#"{"amount_cents": 9150}"#,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let view: PositionView = serde_json::from_str(&body)?;
    assert_eq!((view.amount_cents, view.amount.as_str()), (9150, "91.50"));
    let a = post(&h, &c, &verify(&h, &f)).await?;
    assert_eq!(conformant(&a), (Outcome::Ok, None));
    let Some(Message::VerifyPaymentNoticeRes(r)) = &a.parsed.message else {
        panic!("element")
    };
    assert_eq!(
        r.payment_option.as_ref().map(|o| o.amount),
        Some(Amount::from_cents(9150))
    );

    for (path, body, status) in [
        (format!("{base}/amount"), "{\"amount\": 1}", 400),
        (format!("{base}/amount"), "{\"amount_cents\": 0}", 422),
        (
            "/_collaudo/positions/301000000000000144/amount".to_string(),
            "{\"amount_cents\": 5}",
            404,
        ),
        (
            "/_collaudo/positions/301000000000000144/cancel".to_string(),
            "",
            404,
        ),
    ] {
        let (got, text) = admin_post(&h, &c, &path, body).await?;
        assert_eq!(got, status, "{path} {body}: {text}");
        assert!(text.contains("\"error\""), "{text}");
    }

    let (status, _) = admin_post(&h, &c, &format!("{base}/cancel"), "").await?;
    assert_eq!(status, 200);
    let a = post(&h, &c, &verify(&h, &f)).await?;
    assert_eq!(conformant(&a).1.as_deref(), Some("PAA_PAGAMENTO_ANNULLATO"));

    let paid = fixture(&h, FixtureRole::Paid)?;
    let (status, _) = admin_post(
        &h,
        &c,
        &format!("/_collaudo/positions/{}/cancel", paid.notice_number),
        "",
    )
    .await?;
    assert_eq!(status, 409);

    let (status, body) = admin_get(&h, &c, "/_collaudo/fixtures").await?;
    assert_eq!(status, 200);
    assert_eq!(&serde_json::from_str::<Fixtures>(&body)?, h.fixtures());
    let (status, body) = admin_get(&h, &c, "/_collaudo/back-office").await?;
    assert_eq!(status, 200);
    assert!(body.contains("01234567890"));
    let (status, body) = admin_get(&h, &c, "/health").await?;
    assert_eq!(status, 200);
    assert!(body.contains("\"UP\""), "{body}");
    h.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn oversized_requests_are_refused_without_crashing() -> Res {
    let h = station(StationConfig::default()).await?;
    let c = client()?;
    let big = vec![b' '; collaudo_station::server::MAX_BODY_BYTES + 1];
    let a = post_raw(&h, &c, Some("\"paVerifyPaymentNotice\""), big.clone()).await?;
    assert_eq!(
        conformant(&a),
        (Outcome::Ko, Some("PAA_SINTASSI_EXTRAXSD".to_string()))
    );
    let a = post_raw(&h, &c, None, big).await?;
    assert_eq!(a.status, 413);
    // And the station is still there.
    let (status, _) = admin_get(&h, &c, "/health").await?;
    assert_eq!(status, 200);
    h.shutdown().await?;
    Ok(())
}

/// Large hostile requests under the size limit are read off the async workers (issue 9, item
/// 1): two at once with 40 000 misplaced siblings each, and each gets its syntax fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_hostile_requests_get_their_fault() -> Res {
    let h = station(StationConfig::default()).await?;
    let c = client()?;
    let f = fixture(&h, FixtureRole::Payable)?;
    let xml = verify(&h, &f).to_xml();
    let junk = "<junk>x</junk>".repeat(40_000);
    let hostile = xml.replacen("<idPA>", &format!("{junk}<idPA>"), 1);
    assert!(hostile.len() > 400_000 && hostile.len() < collaudo_station::server::MAX_BODY_BYTES);
    let action = Some("\"paVerifyPaymentNotice\"");
    let (a, b) = tokio::join!(
        post_raw(&h, &c, action, hostile.clone().into_bytes()),
        post_raw(&h, &c, action, hostile.into_bytes())
    );
    for answer in [a?, b?] {
        assert_eq!(
            conformant(&answer),
            (Outcome::Ko, Some("PAA_SINTASSI_EXTRAXSD".to_string()))
        );
    }
    h.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn dead_station_closes_the_connection_without_a_reply() -> Res {
    let h = station(StationConfig::with_profile(Profile::Dead)).await?;
    let c = client()?;
    let f = fixture(&h, FixtureRole::Payable)?;
    let msg = verify(&h, &f);
    let result = c
        .post(&h.url)
        .header("SOAPAction", soap_action(msg.kind().0))
        .body(msg.to_xml())
        .send()
        .await;
    let Err(e) = result else {
        panic!("a dead station answered: {:?}", result.map(|r| r.status()))
    };
    assert!(!e.is_timeout(), "{e}");
    // Only the SOAP endpoint is dead: the admin API still works.
    let (status, _) = admin_get(&h, &client()?, "/health").await?;
    assert_eq!(status, 200);
    h.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn slow_station_answers_late_but_correctly() -> Res {
    let delay = Duration::from_millis(300);
    let h = station(StationConfig {
        slow_delay: delay,
        ..StationConfig::with_profile(Profile::Slow)
    })
    .await?;
    let c = client()?;
    let f = fixture(&h, FixtureRole::Payable)?;
    let started = Instant::now();
    let a = post(&h, &c, &verify(&h, &f)).await?;
    assert!(started.elapsed() >= delay);
    assert_eq!(conformant(&a), (Outcome::Ok, None));
    h.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn http_500_profile_answers_kos_with_a_soap_fault() -> Res {
    let h = station(StationConfig::with_profile(Profile::Http500Faults)).await?;
    let c = client()?;
    let a = post(&h, &c, &verify(&h, &fixture(&h, FixtureRole::Paid)?)).await?;
    assert_eq!(a.status, 500);
    assert!(a.parsed.soap_fault.is_some(), "{}", a.text);
    h.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn shutdown_stops_the_listener() -> Res {
    let h = station(StationConfig::default()).await?;
    let c = client()?;
    let url = h.url.clone();
    let (status, _) = admin_get(&h, &c, "/health").await?;
    assert_eq!(status, 200);
    h.shutdown().await?;
    // reqwest has no TLS provider of its own here (see AcaLink::new).
    collaudo_nodo::tls::install_default_provider();
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    assert!(fresh.post(&url).body("x").send().await.is_err());
    Ok(())
}
