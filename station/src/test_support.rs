//! Request builders and answer readers shared by the unit tests.

use crate::config::StationConfig;
use crate::handler::{StationReply, handle};
use crate::positions::{Fixture, FixtureRole};
use crate::profiles::Profile;
use crate::state::StationState;
use collaudo_wire::{
    Amount, Beneficiary, Caller, DemandPaymentNoticeReq, EntityType, FaultBean, GetPaymentReq,
    Message, Outcome, Parsed, QrCode, Receipt, SendRtReq, Subject, Transfer, TransferType,
    VerifyPaymentNoticeReq,
};

pub(crate) fn station(profile: Profile) -> StationState {
    match StationState::new(StationConfig::with_profile(profile)) {
        Ok(s) => s,
        Err(e) => panic!("station: {e}"),
    }
}

pub(crate) fn fixture(st: &StationState, role: FixtureRole) -> Fixture {
    match st.fixtures().get(role) {
        Some(f) => f.clone(),
        None => panic!("no fixture for {role}"),
    }
}

pub(crate) fn caller(st: &StationState) -> Caller {
    let c = st.config();
    Caller {
        id_pa: c.id_pa.clone(),
        id_broker_pa: c.id_broker_pa.clone(),
        id_station: c.id_station.clone(),
    }
}

pub(crate) fn qr(st: &StationState, notice: &str) -> QrCode {
    QrCode {
        fiscal_code: st.config().id_pa.clone(),
        notice_number: notice.to_string(),
    }
}

pub(crate) fn verify(st: &StationState, notice: &str) -> Message {
    Message::VerifyPaymentNoticeReq(VerifyPaymentNoticeReq {
        caller: caller(st),
        qr_code: qr(st, notice),
    })
}

pub(crate) fn get_payment(
    st: &StationState,
    notice: &str,
    v2: bool,
    transfer_type: Option<TransferType>,
) -> Message {
    let req = GetPaymentReq {
        caller: caller(st),
        qr_code: qr(st, notice),
        amount: None,
        payment_note: None,
        transfer_type,
        due_date: None,
    };
    if v2 {
        Message::GetPaymentV2Req(req)
    } else {
        Message::GetPaymentReq(req)
    }
}

pub(crate) fn subject() -> Subject {
    Subject {
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
    }
}

/// A receipt for a fixture, paying `amount` (the fixture's own amount unless told otherwise).
pub(crate) fn receipt_for(
    f: &Fixture,
    receipt_id: &str,
    amount: Option<Amount>,
    v2: bool,
) -> Receipt {
    let transfers = f
        .transfers
        .iter()
        .map(|t| Transfer {
            id_transfer: t.id_transfer,
            transfer_amount: t.amount,
            fiscal_code_pa: t.fiscal_code_pa.clone(),
            company_name: v2.then(|| "Comune di Collaudo".to_string()),
            beneficiary: match &t.iban {
                Some(iban) => Beneficiary::Iban(iban.clone()),
                None if v2 => Beneficiary::MbdAttachment("PG1hcmNhPjwvbWFyY2E+".to_string()),
                None => Beneficiary::Iban("IT60X0542811101000000123456".to_string()),
            },
            remittance_information: "/RFB/test".to_string(),
            transfer_category: "0101002IM".to_string(),
            metadata: Vec::new(),
        })
        .collect();
    Receipt {
        receipt_id: receipt_id.to_string(),
        notice_number: f.notice_number.as_str().to_string(),
        fiscal_code: f.fiscal_code.clone(),
        outcome: Outcome::Ok,
        creditor_reference_id: f.iuv.clone(),
        payment_amount: amount.unwrap_or(f.amount),
        description: "pagamento di collaudo".to_string(),
        company_name: f.company_name.clone(),
        office_name: None,
        debtor: subject(),
        transfers,
        id_psp: "BCITITMM".to_string(),
        psp_fiscal_code: None,
        psp_partita_iva: None,
        psp_company_name: "Banca di Collaudo".to_string(),
        id_channel: "BCITITMM_01".to_string(),
        channel_description: "app".to_string(),
        payer: None,
        payment_method: Some("creditCard".to_string()),
        payment_note: v2.then(|| "idCart-1".to_string()),
        fee: Some(Amount::from_cents(150)),
        primary_ci_incurred_fee: v2.then(|| Amount::from_cents(50)),
        id_bundle: v2.then(|| "bundle-1".to_string()),
        id_ci_bundle: None,
        payment_date_time: Some("2025-03-01T10:00:00".to_string()),
        application_date: Some("2025-03-01".to_string()),
        transfer_date: Some("2025-03-02".to_string()),
        metadata: Vec::new(),
        stand_in: Some(false),
    }
}

pub(crate) fn send_rt(st: &StationState, receipt: Receipt, v2: bool) -> Message {
    let req = SendRtReq {
        caller: caller(st),
        receipt,
    };
    Message::send_rt_req(req, v2)
}

pub(crate) fn demand(st: &StationState, service: &str, data: &str) -> Message {
    Message::DemandPaymentNoticeReq(DemandPaymentNoticeReq {
        caller: caller(st),
        id_servizio: service.to_string(),
        id_soggetto_servizio: "00042".to_string(),
        dati_specifici_servizio: data.to_string(),
    })
}

/// Post a message as the Nodo does (quoted SOAPAction) and read the answer.
pub(crate) fn call(st: &StationState, msg: &Message) -> (StationReply, Parsed) {
    let action = format!("\"{}\"", msg.kind().0.name());
    call_with(st, Some(&action), msg.to_xml().as_bytes())
}

pub(crate) fn call_with(
    st: &StationState,
    action: Option<&str>,
    body: &[u8],
) -> (StationReply, Parsed) {
    let reply = handle(st, action, body);
    let parsed = collaudo_wire::parse(&reply.body);
    (reply, parsed)
}

/// The answer of a conformant station: HTTP 200, text/xml, a valid response.
pub(crate) fn valid(reply: &StationReply, parsed: &Parsed) -> Message {
    assert_eq!(reply.status, 200, "{}", reply.body_text());
    assert_eq!(reply.content_type, "text/xml; charset=utf-8");
    assert!(reply.delay.is_none() && !reply.close_without_reply);
    assert!(
        parsed.is_valid(),
        "{:#?}\n{}",
        parsed.violations,
        reply.body_text()
    );
    match &parsed.message {
        Some(m) => m.clone(),
        None => panic!("no message in {}", reply.body_text()),
    }
}

pub(crate) fn outcome(msg: &Message) -> (Outcome, Option<FaultBean>) {
    match msg.outcome() {
        Some((o, f)) => (o, f.cloned()),
        None => panic!("not a response: {msg:?}"),
    }
}

/// The fault code of a valid KO.
pub(crate) fn ko_code(st: &StationState, msg: &Message) -> String {
    let (o, f) = outcome(msg);
    assert_eq!(o, Outcome::Ko, "{msg:?}");
    let Some(f) = f else {
        panic!("KO without fault: {msg:?}")
    };
    assert_eq!(f.id, st.config().id_broker_pa);
    assert!(!f.fault_string.is_empty());
    f.fault_code.as_str().to_string()
}

pub(crate) fn assert_ok(msg: &Message) {
    let (o, f) = outcome(msg);
    assert_eq!(o, Outcome::Ok, "{msg:?}");
    assert!(f.is_none());
}
