//! The reference station keeps ACA up to date (DOMAIN.md §8, TEST-PLAN.md §4.6): a mock ACA
//! from `collaudo_nodo` on 127.0.0.1 port 0 receives its `paCreatePosition` calls, and its
//! store is read back to see what ACA holds.

use collaudo_nodo::aca::{
    AcaConfig, AcaHandle, AcaPosition, HistoryAction, IbanSource, PositionStatus,
};
use collaudo_nodo::{BackOffice as AcaBackOffice, SystemClock};
use collaudo_station::{
    AcaTarget, BackOffice, Fixture, FixtureRole, Profile, StationConfig, StationHandle, bind,
};
use collaudo_wire::{Amount, Caller, DemandPaymentNoticeReq, Message, Outcome, soap_action};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

const KEY: &str = "k";

/// Roles the station holds as payable at start-up: everything but paid, cancelled and unknown.
fn payable_roles() -> Vec<FixtureRole> {
    FixtureRole::ALL
        .into_iter()
        .filter(|r| {
            !matches!(
                r,
                FixtureRole::Paid | FixtureRole::Cancelled | FixtureRole::Unknown
            )
        })
        .collect()
}

/// The station's back office as the mock ACA reads it: the same ECs, names and IBANs.
fn aca_back_office(bo: &BackOffice) -> AcaBackOffice {
    bo.ecs.iter().fold(AcaBackOffice::default(), |acc, ec| {
        let acc = acc.with_ec(&ec.fiscal_code, Some(&ec.company_name));
        ec.ibans.iter().fold(acc, |acc, i| {
            acc.with_iban(&ec.fiscal_code, &i.iban, i.postal)
        })
    })
}

async fn mock_aca(station: &StationConfig) -> Res<AcaHandle> {
    let bo = BackOffice::for_primary(&station.id_pa, &station.company_name);
    let config = AcaConfig {
        backoffice: aca_back_office(&bo),
        ..AcaConfig::new(Arc::new(SystemClock)).with_key(KEY)
    };
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    Ok(collaudo_nodo::aca::bind(config, addr).await?)
}

/// A mock ACA and a station of `profile` pointed at it with `key`.
async fn pair_with_key(profile: Profile, key: &str) -> Res<(AcaHandle, StationHandle)> {
    let config = StationConfig::with_profile(profile);
    let aca = mock_aca(&config).await?;
    let config = StationConfig {
        aca: Some(AcaTarget::new(aca.endpoint(), key)),
        ..config
    };
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    let station = bind(config, addr).await?;
    Ok((aca, station))
}

async fn pair(profile: Profile) -> Res<(AcaHandle, StationHandle)> {
    pair_with_key(profile, KEY).await
}

fn fixture(h: &StationHandle, role: FixtureRole) -> Res<Fixture> {
    h.fixtures()
        .get(role)
        .cloned()
        .ok_or_else(|| format!("no fixture {role}").into())
}

fn held(aca: &AcaHandle, f: &Fixture) -> Option<AcaPosition> {
    aca.store()
        .get_by_notice(&f.fiscal_code, f.notice_number.as_str())
}

fn actions(p: &AcaPosition) -> Vec<HistoryAction> {
    p.history.iter().map(|h| h.action).collect()
}

fn client() -> Res<reqwest::Client> {
    // reqwest has no TLS provider of its own here (see AcaLink::new).
    collaudo_nodo::tls::install_default_provider();
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?)
}

async fn admin_post(h: &StationHandle, path: &str, body: &str) -> Res<(u16, String)> {
    let resp = client()?
        .post(format!("{}{path}", h.base_url()))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    Ok((resp.status().as_u16(), resp.text().await?))
}

#[tokio::test]
async fn start_up_loads_every_payable_position_and_nothing_else() -> Res {
    let (aca, h) = pair(Profile::Conformant).await?;
    assert_eq!(h.state().aca_errors(), Vec::<String>::new());
    let payable = payable_roles();
    assert_eq!(aca.store().len(), payable.len());
    assert_eq!(aca.store().call_count(), u64::try_from(payable.len())?);
    for role in FixtureRole::ALL {
        let f = fixture(&h, role)?;
        let got = held(&aca, &f);
        if !payable.contains(&role) {
            assert_eq!(got, None, "{role} must not be in ACA");
            continue;
        }
        let Some(p) = got else {
            panic!("{role} is not in ACA")
        };
        let r = &p.request;
        assert_eq!(p.status, PositionStatus::Valid, "{role}");
        assert_eq!(actions(&p), [HistoryAction::Created], "{role}");
        // The station's amount, the total of every transfer (one amount in ACA, §7.5).
        assert_eq!(u64::try_from(p.amount_cents())?, f.amount.cents(), "{role}");
        assert_eq!(r.pa_fiscal_code, h.state().config().id_pa, "{role}");
        assert_eq!(r.iuv, f.iuv, "{role}");
        assert_eq!(p.nav, f.notice_number.as_str(), "{role}");
        assert_eq!(
            r.expiration_date,
            format!("{}T23:59:59Z", f.due_date),
            "{role}"
        );
        assert_eq!(r.switch_to_expired, f.due_date_binding, "{role}");
        assert_eq!(r.pay_stand_in, role != FixtureRole::NoStandIn, "{role}");
        assert_eq!(p.payable_in_stand_in(), role != FixtureRole::NoStandIn);
        // No IBAN sent: ACA took the EC's own from the back office.
        assert!(r.iban.is_none() && r.postal_iban.is_none(), "{role}");
        assert!(!p.iban.source.from_request(), "{role}");
        assert_ne!(p.iban.source, IbanSource::Unresolved, "{role}");
        assert!(
            h.back_office().is_registered(
                &r.pa_fiscal_code,
                p.iban.iban.as_deref().unwrap_or_default()
            ),
            "{role}: {:?}",
            p.iban
        );
    }
    let multi = fixture(&h, FixtureRole::MultiBeneficiary)?;
    assert_eq!(
        held(&aca, &multi).map(|p| p.amount_cents()),
        Some(30_000),
        "the total of the three transfers, one to another EC"
    );
    let expired = held(&aca, &fixture(&h, FixtureRole::Expired)?);
    assert_eq!(
        expired.map(|p| (p.request.expiration_date, p.request.switch_to_expired)),
        Some(("2024-01-31T23:59:59Z".to_string(), true))
    );
    h.shutdown().await?;
    aca.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn every_change_reaches_aca() -> Res {
    let (aca, h) = pair(Profile::Conformant).await?;
    let st = h.state();

    // ACA-002: a new amount is an upsert of the same (paFiscalCode, iuv).
    let f = fixture(&h, FixtureRole::AmountChange)?;
    let view = st
        .set_amount(f.notice_number.as_str(), Amount::from_cents(9_150))
        .await?;
    assert_eq!(view.amount_cents, 9_150);
    let p = held(&aca, &f).ok_or("amount-change not in ACA")?;
    assert_eq!(p.amount_cents(), 9_150);
    assert_eq!(p.status, PositionStatus::Valid);
    assert_eq!(
        actions(&p),
        [HistoryAction::Created, HistoryAction::Updated]
    );
    // The same through the admin API.
    let (status, body) = admin_post(
        &h,
        &format!("/_collaudo/positions/{}/amount", f.notice_number),
        "{\"amount_cents\": 9300}",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(held(&aca, &f).map(|p| p.amount_cents()), Some(9_300));

    // ACA-003: a cancellation is an amount of 0.
    let f = fixture(&h, FixtureRole::Payable)?;
    let view = st.cancel(f.notice_number.as_str()).await?;
    assert_eq!(view.state, "cancelled");
    let p = held(&aca, &f).ok_or("payable not in ACA")?;
    assert_eq!(p.status, PositionStatus::Invalid);
    assert_eq!(
        actions(&p),
        [HistoryAction::Created, HistoryAction::Cancelled]
    );
    // Cancelling again changes nothing, so ACA is not called again.
    let calls = aca.store().call_count();
    st.cancel(f.notice_number.as_str()).await?;
    assert_eq!(aca.store().call_count(), calls);
    // Through the admin API.
    let f = fixture(&h, FixtureRole::PayableV2)?;
    let (status, body) = admin_post(
        &h,
        &format!("/_collaudo/positions/{}/cancel", f.notice_number),
        "",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        held(&aca, &f).map(|p| p.status),
        Some(PositionStatus::Invalid)
    );

    // ACA-004: paid outside pagoPA closes the position, amount 0 too.
    let f = fixture(&h, FixtureRole::ReceiptTarget)?;
    let view = st.close_paid_elsewhere(f.notice_number.as_str()).await?;
    assert_eq!(
        (view.state.as_str(), view.receipt_id, view.booking_count),
        ("paid", None, 0)
    );
    assert_eq!(
        held(&aca, &f).map(|p| p.status),
        Some(PositionStatus::Invalid)
    );
    let f = fixture(&h, FixtureRole::InProgress)?;
    let (status, body) = admin_post(
        &h,
        &format!("/_collaudo/positions/{}/close", f.notice_number),
        "",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"paid\""), "{body}");
    assert_eq!(
        held(&aca, &f).map(|p| p.status),
        Some(PositionStatus::Invalid)
    );
    // A closed position cannot be closed again, nor a cancelled one: nothing is sent.
    let calls = aca.store().call_count();
    let (status, _) = admin_post(
        &h,
        &format!("/_collaudo/positions/{}/close", f.notice_number),
        "",
    )
    .await?;
    assert_eq!(status, 409);
    assert_eq!(aca.store().call_count(), calls);

    // ACA-001: a new position is registered as it is created.
    let view = st.create_position(Amount::from_cents(4_321)).await?;
    assert_eq!((view.state.as_str(), view.amount_cents), ("open", 4_321));
    let p = aca
        .store()
        .get_by_notice(&view.fiscal_code, &view.notice_number)
        .ok_or("created position not in ACA")?;
    assert_eq!((p.amount_cents(), p.status), (4_321, PositionStatus::Valid));
    assert_eq!(p.request.iuv, view.iuv);
    let (status, body) = admin_post(&h, "/_collaudo/positions", "{\"amount_cents\": 777}").await?;
    assert_eq!(status, 201, "{body}");
    let created: collaudo_station::PositionView = serde_json::from_str(&body)?;
    assert_ne!(created.notice_number, view.notice_number);
    assert_eq!(
        aca.store()
            .get_by_notice(&created.fiscal_code, &created.notice_number)
            .map(|p| p.amount_cents()),
        Some(777)
    );
    for body in ["{\"amount_cents\": 0}", "{}"] {
        let (status, text) = admin_post(&h, "/_collaudo/positions", body).await?;
        assert!(status == 422 || status == 400, "{body}: {status} {text}");
    }

    // A position created through paDemandPaymentNotice is in ACA when the answer arrives.
    let c = h.state().config();
    let demand = Message::DemandPaymentNoticeReq(DemandPaymentNoticeReq {
        caller: Caller {
            id_pa: c.id_pa.clone(),
            id_broker_pa: c.id_broker_pa.clone(),
            id_station: c.id_station.clone(),
        },
        id_servizio: collaudo_station::positions::DEMAND_SERVICE.to_string(),
        id_soggetto_servizio: "00042".to_string(),
        // <servizio><importo>12.34</importo></servizio>
        dati_specifici_servizio: "PHNlcnZpemlvPjxpbXBvcnRvPjEyLjM0PC9pbXBvcnRvPjwvc2Vydml6aW8+"
            .to_string(),
    });
    let answer = client()?
        .post(&h.url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", soap_action(demand.kind().0))
        .body(demand.to_xml())
        .send()
        .await?
        .bytes()
        .await?;
    let parsed = collaudo_wire::parse(&answer);
    let Some(Message::DemandPaymentNoticeRes(res)) = parsed.message else {
        panic!("not a demand answer: {}", String::from_utf8_lossy(&answer))
    };
    assert_eq!(res.outcome, Outcome::Ok);
    let qr = res.qr_code.ok_or("no qrCode")?;
    let p = aca
        .store()
        .get_by_notice(&qr.fiscal_code, &qr.notice_number)
        .ok_or("demanded position not in ACA")?;
    assert_eq!(p.amount_cents(), 1_234);
    assert_eq!(p.request.entity_fiscal_code, "ANONIMO");

    assert_eq!(st.aca_errors(), Vec::<String>::new());
    h.shutdown().await?;
    aca.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn no_aca_never_calls_aca() -> Res {
    let (aca, h) = pair(Profile::NoAca).await?;
    assert!(aca.store().is_empty());
    let f = fixture(&h, FixtureRole::AmountChange)?;
    h.state()
        .set_amount(f.notice_number.as_str(), Amount::from_cents(9_150))
        .await?;
    h.state().create_position(Amount::from_cents(100)).await?;
    h.state()
        .cancel(fixture(&h, FixtureRole::Payable)?.notice_number.as_str())
        .await?;
    assert!(aca.store().is_empty());
    assert_eq!(aca.store().call_count(), 0);
    assert!(h.state().aca_errors().is_empty());
    h.shutdown().await?;
    aca.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn stale_aca_loads_at_start_up_then_sends_nothing() -> Res {
    let (aca, h) = pair(Profile::StaleAca).await?;
    assert_eq!(aca.store().len(), payable_roles().len());
    let calls = aca.store().call_count();
    let f = fixture(&h, FixtureRole::AmountChange)?;
    let view = h
        .state()
        .set_amount(f.notice_number.as_str(), Amount::from_cents(9_150))
        .await?;
    assert_eq!(view.amount_cents, 9_150, "the station's archive changes");
    let p = held(&aca, &f).ok_or("amount-change not in ACA")?;
    assert_eq!(u64::try_from(p.amount_cents())?, f.amount.cents());
    assert_eq!(actions(&p), [HistoryAction::Created]);
    let payable = fixture(&h, FixtureRole::Payable)?;
    h.state().cancel(payable.notice_number.as_str()).await?;
    h.state()
        .close_paid_elsewhere(
            fixture(&h, FixtureRole::ReceiptTarget)?
                .notice_number
                .as_str(),
        )
        .await?;
    h.state().create_position(Amount::from_cents(100)).await?;
    assert_eq!(
        held(&aca, &payable).map(|p| p.status),
        Some(PositionStatus::Valid)
    );
    assert_eq!(aca.store().call_count(), calls);
    assert_eq!(aca.store().len(), payable_roles().len());
    h.shutdown().await?;
    aca.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn aca_failures_do_not_stop_the_station_and_are_recorded() -> Res {
    let (aca, h) = pair_with_key(Profile::Conformant, "wrong key").await?;
    assert!(aca.store().is_empty());
    let errors = h.state().aca_errors();
    assert_eq!(errors.len(), payable_roles().len(), "{errors:?}");
    assert!(errors.iter().all(|e| e.contains("HTTP 401")), "{errors:?}");
    let f = fixture(&h, FixtureRole::Payable)?;
    assert!(errors.iter().any(|e| e.contains(f.notice_number.as_str())));
    // The station still serves, and later changes still happen in its archive.
    let view = h
        .state()
        .set_amount(f.notice_number.as_str(), Amount::from_cents(100))
        .await?;
    assert_eq!(view.amount_cents, 100);
    assert_eq!(h.state().aca_errors().len(), errors.len() + 1);
    let (status, _) = admin_post(&h, "/_collaudo/positions", "{\"amount_cents\": 5}").await?;
    assert_eq!(status, 201);
    h.shutdown().await?;
    aca.shutdown().await?;
    Ok(())
}
