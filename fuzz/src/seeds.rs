//! Starting corpora: the official samples, the messages `collaudo_wire::samples` builds, one
//! typed message of every (primitive × direction) encoded in several forms, the hostile shapes
//! of `wire/tests/invalid_replies.rs` and `wire/tests/hostile.rs` rebuilt here in small, and
//! for ACA valid `paCreatePosition` bodies plus hand-written broken ones.

use collaudo_wire::aca::{EntityType as AcaEntityType, NewDebtPositionRequest};
use collaudo_wire::xml::NS_PAFORNODE;
use collaudo_wire::{
    Amount, AmountOption, Beneficiary, Caller, DemandPaymentNoticeReq, DemandPaymentNoticeRes,
    EntityType, FaultBean, FaultCode, GetPaymentReq, GetPaymentRes, MapEntry, MarcaDaBollo,
    Message, Outcome, PaymentData, PaymentOption, Prefixes, QrCode, SendRtReq, SimpleRes, Subject,
    Transfer, TransferType, VerifyPaymentNoticeReq, VerifyPaymentNoticeRes, samples,
    soap_fault_xml,
};
use std::path::PathBuf;

/// The EC of every built message (and of the official samples).
pub const EC: &str = "77777777777";
/// The notice number of every built message: the one `collaudo_wire::samples` pays.
pub const NOTICE: &str = "301000000000000144";
/// Its IUV.
pub const IUV: &str = "01000000000000144";
/// The IBAN of every built transfer (and of `collaudo_wire::samples`).
pub const IBAN: &str = "IT60X0542811101000000123456";

const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// Where the official samples are: `shared/pagopa-api/samples` beside the workspace.
pub fn official_samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/pagopa-api/samples")
}

/// The official sample messages, by file name; `Err` says why there are none.
pub fn official_samples() -> Result<Vec<(String, Vec<u8>)>, String> {
    let dir = official_samples_dir();
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "xml") {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            out.push((entry.file_name().to_string_lossy().into_owned(), bytes));
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(format!("{}: no .xml file", dir.display()));
    }
    Ok(out)
}

/// The Nodo's identities toward the EC.
pub fn caller() -> Caller {
    Caller {
        id_pa: EC.into(),
        id_broker_pa: EC.into(),
        id_station: format!("{EC}_01"),
    }
}

/// The QR code of [`NOTICE`].
pub fn qr() -> QrCode {
    QrCode {
        fiscal_code: EC.into(),
        notice_number: NOTICE.into(),
    }
}

fn payment_option() -> PaymentOption {
    PaymentOption {
        amount: Amount::from_cents(10_000),
        options: AmountOption::Eq,
        due_date: Some("2026-12-31".into()),
        detail_description: Some("TARI 2026".into()),
        all_ccp: false,
    }
}

fn ko(code: FaultCode) -> FaultBean {
    let mut bean = FaultBean::new(code, "pagamento sconosciuto", EC);
    bean.description = Some("nessuna posizione per il numero avviso".into());
    bean.serial = Some(1);
    bean
}

fn legal_person() -> Subject {
    Subject {
        entity_type: EntityType::G,
        entity_value: "12345678901".into(),
        full_name: "Ditta Srl".into(),
        street_name: None,
        civic_number: None,
        postal_code: None,
        city: None,
        state_province_region: None,
        country: None,
        email: None,
    }
}

fn single_transfer(v2: bool) -> Vec<Transfer> {
    vec![Transfer {
        id_transfer: 1,
        transfer_amount: Amount::from_cents(10_000),
        fiscal_code_pa: EC.into(),
        company_name: v2.then(|| "Comune di Prova".to_string()),
        beneficiary: Beneficiary::Iban(IBAN.into()),
        remittance_information: "/RFB/01000000000000144/100.00/TXT/TARI".into(),
        transfer_category: "0101101IM".into(),
        metadata: Vec::new(),
    }]
}

fn stamp_transfers() -> Vec<Transfer> {
    let mut t = single_transfer(true);
    t[0].transfer_amount = Amount::from_cents(9_800);
    t.push(Transfer {
        id_transfer: 2,
        transfer_amount: Amount::from_cents(200),
        fiscal_code_pa: EC.into(),
        company_name: Some("Comune di Prova".into()),
        beneficiary: Beneficiary::MarcaDaBollo(MarcaDaBollo {
            hash_documento: "PG1hcmNhPjwvbWFyY2E+".into(),
            tipo_bollo: "01".into(),
            provincia_residenza: "RM".into(),
        }),
        remittance_information: "bollo".into(),
        transfer_category: "9/0101101IM/".into(),
        metadata: vec![MapEntry {
            key: "k".into(),
            value: "v".into(),
        }],
    });
    t
}

fn payment_data(transfers: Vec<Transfer>, v2: bool) -> PaymentData {
    PaymentData {
        creditor_reference_id: IUV.into(),
        payment_amount: Amount::sum(transfers.iter().map(|t| t.transfer_amount)),
        due_date: "2026-12-31".into(),
        retention_date: Some("2027-01-31T23:59:59".into()),
        last_payment: Some(false),
        description: "TARI 2026".into(),
        company_name: v2.then(|| "Comune di Prova".to_string()),
        office_name: None,
        debtor: legal_person(),
        transfers,
        metadata: Vec::new(),
    }
}

/// The requests the Nodo sends, one of each primitive, all for [`NOTICE`].
pub fn requests() -> Vec<Message> {
    let get = |transfer_type| GetPaymentReq {
        caller: caller(),
        qr_code: qr(),
        amount: Some(Amount::from_cents(10_000)),
        payment_note: None,
        transfer_type,
        due_date: None,
    };
    let mut v1_receipt = match samples::send_rt_v2_request() {
        Message::SendRtV2Req(r) => r.receipt,
        _ => unreachable!("samples::send_rt_v2_request is a paSendRTV2Request"),
    };
    // A V1 receipt has no stamp and none of the V2-only fields.
    v1_receipt.transfers = samples::transfers(false);
    for t in &mut v1_receipt.transfers {
        t.company_name = None;
    }
    v1_receipt.primary_ci_incurred_fee = None;
    v1_receipt.id_bundle = None;
    v1_receipt.id_ci_bundle = None;
    v1_receipt.payment_note = None;
    vec![
        Message::VerifyPaymentNoticeReq(VerifyPaymentNoticeReq {
            caller: caller(),
            qr_code: qr(),
        }),
        Message::GetPaymentReq(get(None)),
        Message::GetPaymentV2Req(get(Some(TransferType::Pagopa))),
        Message::SendRtReq(Box::new(SendRtReq {
            caller: caller(),
            receipt: v1_receipt,
        })),
        samples::send_rt_v2_request(),
        Message::DemandPaymentNoticeReq(DemandPaymentNoticeReq {
            caller: caller(),
            id_servizio: "00001".into(),
            id_soggetto_servizio: "00042".into(),
            dati_specifici_servizio: "PHNlcnZpemlvLz4=".into(),
        }),
    ]
}

/// The answers a station gives, OK and KO of each primitive, consistent with [`requests`].
pub fn responses() -> Vec<Message> {
    let verify_ok = VerifyPaymentNoticeRes {
        outcome: Outcome::Ok,
        fault: None,
        payment_option: Some(payment_option()),
        payment_description: Some("TARI 2026".into()),
        fiscal_code_pa: Some(EC.into()),
        company_name: Some("Comune di Prova".into()),
        office_name: Some("Ufficio Tributi".into()),
    };
    let verify_ko = VerifyPaymentNoticeRes {
        outcome: Outcome::Ko,
        fault: Some(ko(FaultCode::PaaPagamentoSconosciuto)),
        payment_option: None,
        payment_description: None,
        fiscal_code_pa: None,
        company_name: None,
        office_name: None,
    };
    let get_ok = |transfers, v2| GetPaymentRes {
        outcome: Outcome::Ok,
        fault: None,
        data: Some(payment_data(transfers, v2)),
    };
    let get_ko = GetPaymentRes {
        outcome: Outcome::Ko,
        fault: Some(ko(FaultCode::PaaPagamentoScaduto)),
        data: None,
    };
    let simple = |outcome| SimpleRes {
        outcome,
        fault: (outcome == Outcome::Ko).then(|| ko(FaultCode::PaaReceiptDuplicata)),
    };
    vec![
        Message::VerifyPaymentNoticeRes(verify_ok),
        Message::VerifyPaymentNoticeRes(verify_ko),
        Message::GetPaymentRes(Box::new(get_ok(single_transfer(false), false))),
        Message::GetPaymentRes(Box::new(get_ko.clone())),
        Message::GetPaymentV2Res(Box::new(get_ok(stamp_transfers(), true))),
        Message::GetPaymentV2Res(Box::new(get_ko)),
        samples::get_payment_v2_response(),
        Message::SendRtRes(simple(Outcome::Ok)),
        Message::SendRtRes(simple(Outcome::Ko)),
        Message::SendRtV2Res(simple(Outcome::Ok)),
        Message::SendRtV2Res(simple(Outcome::Ko)),
        Message::DemandPaymentNoticeRes(DemandPaymentNoticeRes {
            outcome: Outcome::Ok,
            fault: None,
            qr_code: Some(qr()),
            payment_option: Some(payment_option()),
            payment_description: Some("Servizio spontaneo".into()),
            fiscal_code_pa: Some(EC.into()),
            company_name: Some("Comune di Prova".into()),
            office_name: None,
        }),
    ]
}

/// A message written in every form the encoder has: canonical SOAP, the JAX-WS and
/// default-namespace prefixes, and the bare payload.
fn encodings(m: &Message) -> Vec<Vec<u8>> {
    let mut out = vec![m.to_xml().into_bytes(), m.to_payload_xml().into_bytes()];
    for prefixes in [Prefixes::JAX_WS, Prefixes::DEFAULT_NS] {
        if let Ok(xml) = m.to_xml_with(prefixes) {
            out.push(xml.into_bytes());
        }
    }
    out
}

fn envelope(payload: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="{SOAP11}"><soapenv:Header/><soapenv:Body>{payload}</soapenv:Body></soapenv:Envelope>"#
    )
}

/// The valid paVerifyPaymentNoticeRes the invalid-reply table starts from, bare.
fn verify_payload() -> String {
    format!(
        r#"<pafn:paVerifyPaymentNoticeRes xmlns:pafn="{NS_PAFORNODE}">
  <outcome>OK</outcome>
  <paymentList>
    <paymentOptionDescription>
      <amount>30.00</amount>
      <options>EQ</options>
      <dueDate>2026-12-31</dueDate>
      <detailDescription>TARI 2026</detailDescription>
      <allCCP>false</allCCP>
    </paymentOptionDescription>
  </paymentList>
  <paymentDescription>TARI 2026 - rata unica</paymentDescription>
  <fiscalCodePA>77777777777</fiscalCodePA>
  <companyName>Comune di Prova</companyName>
</pafn:paVerifyPaymentNoticeRes>"#
    )
}

fn transfer_xml(id: u32, amount: &str) -> String {
    format!(
        "<transfer><idTransfer>{id}</idTransfer><transferAmount>{amount}</transferAmount>\
         <fiscalCodePA>77777777777</fiscalCodePA><IBAN>{IBAN}</IBAN>\
         <remittanceInformation>TARI 2026</remittanceInformation>\
         <transferCategory>0101101IM</transferCategory></transfer>"
    )
}

/// A paGetPaymentRes with the given transfers and metadata.
fn get_payment_payload(transfers: &str, metadata: &str) -> String {
    format!(
        r#"<pafn:paGetPaymentRes xmlns:pafn="{NS_PAFORNODE}"><outcome>OK</outcome><data>
<creditorReferenceId>{IUV}</creditorReferenceId><paymentAmount>30.00</paymentAmount>
<dueDate>2026-12-31</dueDate><description>TARI 2026</description>
<debtor><uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType>
<entityUniqueIdentifierValue>RSSMRA85T10A562S</entityUniqueIdentifierValue></uniqueIdentifier>
<fullName>Mario Rossi</fullName><country>IT</country><e-mail>mario.rossi@example.it</e-mail></debtor>
<transferList>{transfers}</transferList>{metadata}</data></pafn:paGetPaymentRes>"#
    )
}

/// Small equivalents of the hostile replies of `wire/tests/invalid_replies.rs` and
/// `wire/tests/hostile.rs`: every one breaks one rule (or several) in a way a station did.
pub fn hostile_replies() -> Vec<Vec<u8>> {
    let v = verify_payload();
    let g = get_payment_payload(&transfer_xml(1, "30.00"), "");
    let six: String = (1..=6).map(|i| transfer_xml(i, "5.00")).collect();
    let sixteen: String = (0..16)
        .map(|i| format!("<mapEntry><key>k{i}</key><value>v{i}</value></mapEntry>"))
        .collect();
    let misplaced = v.replace(
        "<outcome>OK</outcome>",
        &format!("<outcome>OK</outcome>{}", "\n<officeName/>".repeat(50)),
    );
    let declarations: String = (0..200)
        .map(|i| format!("<d xmlns:a{i}=\"urn:dummy:{i}\"/>"))
        .collect();
    let one_element: String = (0..70)
        .map(|i| format!(" xmlns:a{i}=\"urn:dummy:{i}\""))
        .collect();
    let payloads = [
        v.replace("30.00", "11,34"),
        v.replace("30.00", "11.342"),
        v.replace("30.00", "1000000000.00"),
        v.replace("<options>EQ", "<options>KK"),
        v.replace("<allCCP>false", "<allCCP>3"),
        v.replace("2026-12-31", "2026-02-30"),
        v.replace("<outcome>OK", "<outcome>KO"),
        v.replace("Comune di Prova", &"x".repeat(141)),
        v.replace("<outcome>OK</outcome>", "<pafn:outcome>OK</pafn:outcome>"),
        v.replace(
            "<outcome>OK</outcome>",
            "<outcome>OK</outcome><fault><faultCode>PAA_SEMANTICA</faultCode>\
             <faultString>x</faultString><id>77777777777</id></fault>",
        ),
        v.replace("<companyName>", "<colour>blue</colour><companyName>"),
        misplaced,
        v.replace(NS_PAFORNODE, "urn:evil"),
        v.replace("<allCCP>false</allCCP>", "<allCCP xsi:nil=\"true\"/>"),
        v.replace("<fiscalCodePA>", "<fiscalCodePA a=\"1\">"),
        v.replace("TARI 2026 - rata unica", "<![CDATA[TARI & co]]>"),
        v.replace("TARI 2026 - rata unica", "TARI &amp; &#233; &#x1F600;"),
        v.replace("TARI 2026 - rata unica", "a\u{1b}b"),
        v.replace("TARI 2026 - rata unica", "ab&#27;"),
        g.clone(),
        g.replace("<paymentAmount>30.00", "<paymentAmount>0.00"),
        g.replace("<country>IT", "<country>ITA"),
        g.replace("mario.rossi@example.it", "mario.rossi@"),
        g.replace("<idTransfer>1", "<idTransfer>a"),
        g.replace(IBAN, &IBAN.repeat(2)),
        get_payment_payload(&six, ""),
        get_payment_payload(
            &transfer_xml(1, "30.00"),
            &format!("<metadata>{sixteen}</metadata>"),
        ),
        get_payment_payload(&transfer_xml(1, "20.00"), ""),
    ];
    let mut out: Vec<Vec<u8>> = payloads.iter().map(|p| envelope(p).into_bytes()).collect();
    out.extend([
        // bare payload, SOAP 1.2, SOAP Fault, no Body, empty Body, two payloads
        v.clone().into_bytes(),
        envelope(&v)
            .replace(SOAP11, "http://www.w3.org/2003/05/soap-envelope")
            .into_bytes(),
        soap_fault_xml("soapenv:Server", "java.lang.NullPointerException").into_bytes(),
        format!(
            r#"<soapenv:Envelope xmlns:soapenv="{SOAP11}"><soapenv:Header/></soapenv:Envelope>"#
        )
        .into_bytes(),
        envelope("").into_bytes(),
        envelope(&format!("{v}{v}")).into_bytes(),
        // namespace declarations spread, and over the per-element limit
        envelope(&v)
            .replace(
                "<soapenv:Header/>",
                &format!("<soapenv:Header>{declarations}</soapenv:Header>"),
            )
            .into_bytes(),
        envelope(&v)
            .replace(
                "<soapenv:Header/>",
                &format!("<soapenv:Header><d{one_element}/></soapenv:Header>"),
            )
            .into_bytes(),
        // nesting past the depth limit
        envelope(&format!("{}{}", "<a>".repeat(70), "</a>".repeat(70))).into_bytes(),
        // not XML, not UTF-8, nothing
        b"Internal Server Error".to_vec(),
        b"\n\n  java.lang.NullPointerException\n\tat it.ec.Service.verify(Service.java:42)"
            .to_vec(),
        b"<html><body>502 Bad Gateway</body></html>".to_vec(),
        [&b"\xef\xbb\xbf"[..], envelope(&v).as_bytes()].concat(),
        [envelope(&v).as_bytes(), b"\xff\xfe"].concat(),
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe8</a>".to_vec(),
        Vec::new(),
        b" ".to_vec(),
        b"<".to_vec(),
        b"<a".to_vec(),
        b"<a></b>".to_vec(),
    ]);
    out
}

/// Every XML seed: official samples (when present), the wire crate's samples, every typed
/// message in every encoding, and the hostile replies.
pub fn xml_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    match official_samples() {
        Ok(samples) => out.extend(samples.into_iter().map(|(_, bytes)| bytes)),
        Err(why) => eprintln!("collaudo-fuzz: no official samples ({why}); built-in seeds only"),
    }
    for m in requests().iter().chain(responses().iter()) {
        out.extend(encodings(m));
    }
    out.extend(hostile_replies());
    out
}

/// A valid `paCreatePosition` body as the reference station sends it.
pub fn aca_request() -> NewDebtPositionRequest {
    NewDebtPositionRequest {
        pa_fiscal_code: EC.into(),
        entity_type: AcaEntityType::F,
        entity_fiscal_code: "RSSMRA80A01H501U".into(),
        entity_full_name: "Mario Rossi".into(),
        iuv: IUV.into(),
        nav: Some(NOTICE.into()),
        amount: 10_050,
        description: "TARI 2025 - rata unica".into(),
        expiration_date: "2025-12-31T23:59:59.000+01:00".into(),
        iban: Some(IBAN.into()),
        postal_iban: None,
        switch_to_expired: false,
        pay_stand_in: true,
    }
}

/// ACA seeds: valid requests from the model (full, minimal, cancellation, legal person) and
/// hand-written bodies that break one thing each.
pub fn json_seeds() -> Vec<Vec<u8>> {
    let full = aca_request();
    let minimal = NewDebtPositionRequest {
        nav: None,
        iban: None,
        postal_iban: None,
        ..full.clone()
    };
    let cancel = NewDebtPositionRequest {
        amount: 0,
        ..full.clone()
    };
    let legal = NewDebtPositionRequest {
        entity_type: AcaEntityType::G,
        entity_fiscal_code: "12345678901".into(),
        postal_iban: Some(IBAN.into()),
        switch_to_expired: true,
        pay_stand_in: false,
        ..full.clone()
    };
    let mut out: Vec<Vec<u8>> = [&full, &minimal, &cancel, &legal]
        .into_iter()
        .filter_map(|r| serde_json::to_vec(r).ok())
        .collect();
    if let Ok(pretty) = serde_json::to_vec_pretty(&full) {
        out.push(pretty);
    }
    let base = r#"{"paFiscalCode":"77777777777","entityType":"F","entityFiscalCode":"RSSMRA80A01H501U","entityFullName":"Mario Rossi","iuv":"01000000000000144","amount":10050,"description":"TARI","expirationDate":"2025-12-31T23:59:59Z""#;
    for body in [
        format!("{base}}}"),
        format!("{base},\"nav\":null,\"iban\":null,\"switchToExpired\":null}}"),
        format!("{base},\"amount\":1}}"),
        format!("{base},\"colour\":\"blue\",\"extra\":{{\"a\":[1,2,{{}}]}}}}"),
        base.replace("10050", "-1") + "}",
        base.replace("10050", "100000000000") + "}",
        base.replace("10050", "1.5") + "}",
        base.replace("10050", "\"10050\"") + "}",
        base.replace("\"F\"", "\"H\"") + "}",
        base.replace("\"77777777777\"", "null") + "}",
        base.replace("2025-12-31T23:59:59Z", "2025-02-30T00:00:00Z") + "}",
        base.replace("Mario Rossi", "") + "}",
        base.replace("Mario Rossi", "\\ud800") + "}",
        base.to_string(),
        format!("{base}}} trailing"),
        "[]".into(),
        "null".into(),
        "\"string\"".into(),
        "{}".into(),
        String::new(),
    ] {
        out.push(body.into_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_messages_are_valid() {
        for m in requests().iter().chain(responses().iter()) {
            let xml = m.to_xml();
            let parsed = collaudo_wire::parse(xml.as_bytes());
            assert!(parsed.is_valid(), "{:#?}\n{xml}", parsed.violations);
            assert_eq!(parsed.message.as_ref(), Some(m));
        }
    }

    #[test]
    fn the_aca_seeds_start_valid() {
        let seeds = json_seeds();
        for body in &seeds[..5] {
            assert!(
                collaudo_wire::aca::parse_and_validate(body).is_ok(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn hostile_replies_are_mostly_invalid() {
        let invalid = hostile_replies()
            .iter()
            .filter(|r| !collaudo_wire::parse(r).is_valid())
            .count();
        assert!(invalid * 4 >= hostile_replies().len() * 3, "{invalid}");
    }
}
