//! Unit tests of the judge: one exchange per case, built from typed messages.

use super::*;
use crate::clock::VirtualTime;
use crate::journal::{HttpReply, TransportError};
use collaudo_wire::ident::{NoticeNumber, iban};
use collaudo_wire::{
    Amount, AmountOption, Caller, EntityType, FaultBean, GetPaymentReq, GetPaymentRes, MapEntry,
    MarcaDaBollo, Outcome, PaymentData, PaymentOption, Primitive, QrCode, Subject,
    VerifyPaymentNoticeReq, VerifyPaymentNoticeRes, soap_fault_xml,
};

const EC: &str = "77777777777";
const SECONDARY: &str = "11111111111";

fn iban_main() -> String {
    iban::italian(3069, 1, 123, false)
}

fn iban_postal() -> String {
    iban::italian(0, 0, 456, true)
}

fn iban_secondary() -> String {
    iban::italian(3069, 2, 789, false)
}

fn backoffice() -> BackOffice {
    BackOffice::default()
        .with_ec(EC, Some("Comune di Prova"))
        .with_ec(SECONDARY, Some("Provincia di Prova"))
        .with_iban(EC, &iban_main(), false)
        .with_iban(EC, &iban_postal(), true)
        .with_iban(SECONDARY, &iban_secondary(), false)
}

fn notice() -> NoticeNumber {
    NoticeNumber::aux3(1, 1).unwrap()
}

fn qr() -> QrCode {
    QrCode {
        fiscal_code: EC.into(),
        notice_number: notice().as_str().to_string(),
    }
}

fn caller() -> Caller {
    Caller {
        id_pa: EC.into(),
        id_broker_pa: EC.into(),
        id_station: format!("{EC}_01"),
    }
}

fn get_payment_req(v2: bool, transfer_type: Option<TransferType>) -> Message {
    let r = GetPaymentReq {
        caller: caller(),
        qr_code: qr(),
        amount: None,
        payment_note: None,
        transfer_type,
        due_date: None,
    };
    if v2 {
        Message::GetPaymentV2Req(r)
    } else {
        Message::GetPaymentReq(r)
    }
}

fn transfer(id: u8, cents: u64, fc: &str, iban: &str) -> Transfer {
    Transfer {
        id_transfer: id,
        transfer_amount: Amount::from_cents(cents),
        fiscal_code_pa: fc.into(),
        company_name: None,
        beneficiary: Beneficiary::Iban(iban.into()),
        remittance_information: "TARI 2026".into(),
        transfer_category: "9/0101100IM/".into(),
        metadata: Vec::new(),
    }
}

fn data(transfers: Vec<Transfer>) -> PaymentData {
    PaymentData {
        creditor_reference_id: notice().iuv().to_string(),
        payment_amount: Amount::sum(transfers.iter().map(|t| t.transfer_amount)),
        due_date: "2026-12-31".into(),
        retention_date: None,
        last_payment: None,
        description: "TARI 2026".into(),
        company_name: Some("Comune di Prova".into()),
        office_name: None,
        debtor: Subject {
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
        },
        transfers,
        metadata: Vec::new(),
    }
}

fn get_payment_ok(v2: bool, transfers: Vec<Transfer>) -> Message {
    let r = GetPaymentRes {
        outcome: Outcome::Ok,
        fault: None,
        data: Some(data(transfers)),
    };
    Message::get_payment_res(r, v2)
}

fn verify_req() -> Message {
    Message::VerifyPaymentNoticeReq(VerifyPaymentNoticeReq {
        caller: caller(),
        qr_code: qr(),
    })
}

fn verify_ok(fiscal_code_pa: &str) -> Message {
    Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
        outcome: Outcome::Ok,
        fault: None,
        payment_option: Some(PaymentOption {
            amount: Amount::from_cents(10_000),
            options: AmountOption::Eq,
            due_date: Some("2026-12-31".into()),
            detail_description: None,
            all_ccp: false,
        }),
        payment_description: Some("TARI 2026".into()),
        fiscal_code_pa: Some(fiscal_code_pa.into()),
        company_name: Some("Comune di Prova".into()),
        office_name: None,
    })
}

fn verify_ko(code: &str) -> Message {
    Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
        outcome: Outcome::Ko,
        fault: Some(FaultBean::new(FaultCode::parse(code), "sconosciuto", EC)),
        payment_option: None,
        payment_description: None,
        fiscal_code_pa: None,
        company_name: None,
        office_name: None,
    })
}

fn exchange(primitive: Primitive, status: u16, content_type: &str, body: &[u8]) -> Exchange {
    Exchange {
        seq: 1,
        primitive,
        url: "http://127.0.0.1:1/pa".into(),
        request_headers: Vec::new(),
        request_body: String::new(),
        response: Some(HttpReply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.to_vec(),
        }),
        transport_error: None,
        injected_fault: None,
        real_started_at: String::new(),
        latency_ms: 0.0,
        virtual_at: VirtualTime::EPOCH,
        classification: None,
        scenario: None,
        step: None,
    }
}

fn ok_xml(primitive: Primitive, msg: &Message) -> Exchange {
    exchange(
        primitive,
        200,
        "text/xml; charset=utf-8",
        msg.to_xml().as_bytes(),
    )
}

fn judge_default(ex: &Exchange, req: &Message) -> Judgement {
    judge(ex, req, &backoffice(), &CheckPolicy::default())
}

fn code_of(j: &Judgement) -> String {
    j.outcome.psp_fault_code().unwrap_or_else(|| "OK".into())
}

#[test]
fn valid_ok_is_ok_without_warnings() {
    let msg = get_payment_ok(false, vec![transfer(1, 10_000, EC, &iban_main())]);
    let j = judge_default(
        &ok_xml(Primitive::GetPayment, &msg),
        &get_payment_req(false, None),
    );
    assert_eq!(j.outcome, NodoOutcome::Ok, "{j:#?}");
    assert!(j.hygiene.is_empty(), "{:?}", j.hygiene);
    assert_eq!(j.message, Some(msg));
    assert_eq!(j.outcome.psp_fault_code(), None);
    assert!(j.explanation.starts_with("The Nodo would go on"));
}

#[test]
fn valid_ko_is_relayed_with_original_code() {
    let ex = ok_xml(
        Primitive::VerifyPaymentNotice,
        &verify_ko("PAA_PAGAMENTO_SCONOSCIUTO"),
    );
    let j = judge_default(&ex, &verify_req());
    assert_eq!(
        j.outcome,
        NodoOutcome::EcKo {
            code: FaultCode::PaaPagamentoSconosciuto,
            fault_string: "sconosciuto".into()
        }
    );
    assert_eq!(code_of(&j), "PPT_ERRORE_EMESSO_DA_PAA");
    assert_eq!(
        j.outcome.label(),
        "PPT_ERRORE_EMESSO_DA_PAA/PAA_PAGAMENTO_SCONOSCIUTO"
    );
}

/// Found by the fuzzer: a KO whose fault string (or unknown fault code) is 32 KiB long was
/// repeated whole in the outcome, hence in every report of the case.
#[test]
fn a_huge_fault_string_or_code_is_cut_in_the_judgement() {
    let long = "9".repeat(40_000);
    let mut ko = verify_ko(&format!("PAA_{long}"));
    if let Message::VerifyPaymentNoticeRes(r) = &mut ko {
        if let Some(f) = r.fault.as_mut() {
            f.fault_string = format!("è{long}");
        }
    }
    let j = judge_default(&ok_xml(Primitive::VerifyPaymentNotice, &ko), &verify_req());
    let NodoOutcome::EcKo { code, fault_string } = &j.outcome else {
        panic!("{:?}", j.outcome);
    };
    let marker = " (40002 bytes)";
    assert!(
        fault_string.len() <= STATION_TEXT_MAX + 32,
        "{}",
        fault_string.len()
    );
    assert!(fault_string.starts_with("è999") && fault_string.ends_with(marker));
    assert!(code.as_str().len() <= STATION_TEXT_MAX + 32);
    assert!(
        code.as_str().ends_with(" (40004 bytes)"),
        "{}",
        &code.as_str()[..40]
    );
    assert!(
        j.explanation.len() < 3 * STATION_TEXT_MAX,
        "{}",
        j.explanation.len()
    );
    assert!(j.outcome.to_string().len() < 3 * STATION_TEXT_MAX);
}

#[test]
fn unknown_ec_codes_are_relayed_too_with_a_warning_when_not_paa() {
    let j = judge_default(
        &ok_xml(Primitive::VerifyPaymentNotice, &verify_ko("PAA_CIAO")),
        &verify_req(),
    );
    assert!(matches!(&j.outcome, NodoOutcome::EcKo { code, .. } if code.as_str() == "PAA_CIAO"));
    let j = judge_default(
        &ok_xml(
            Primitive::VerifyPaymentNotice,
            &verify_ko("PPT_SYSTEM_ERROR"),
        ),
        &verify_req(),
    );
    assert!(matches!(j.outcome, NodoOutcome::EcKo { .. }));
    assert!(
        j.hygiene
            .iter()
            .any(|h| matches!(h, HygieneWarning::Wire { .. })),
        "{:?}",
        j.hygiene
    );
}

#[test]
fn http_500_with_valid_ko_is_still_the_ecs_ko() {
    let mut ex = ok_xml(
        Primitive::VerifyPaymentNotice,
        &verify_ko("PAA_SYSTEM_ERROR"),
    );
    if let Some(r) = ex.response.as_mut() {
        r.status = 500;
    }
    let j = judge_default(&ex, &verify_req());
    assert!(matches!(j.outcome, NodoOutcome::EcKo { .. }));
    assert!(
        j.hygiene
            .contains(&HygieneWarning::HttpStatus { status: 500 })
    );
    assert!(j.explanation.contains("(HTTP 500)"), "{}", j.explanation);
}

#[test]
fn soap_fault_is_errore_response() {
    let body = soap_fault_xml("soapenv:Server", "NullPointerException");
    let ex = exchange(
        Primitive::VerifyPaymentNotice,
        500,
        "text/xml",
        body.as_bytes(),
    );
    let j = judge_default(&ex, &verify_req());
    assert_eq!(code_of(&j), "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
    let NodoOutcome::Nodo { reason, .. } = &j.outcome else {
        panic!("{j:?}")
    };
    assert!(reason.contains("NullPointerException"), "{reason}");
}

#[test]
fn empty_and_html_bodies_are_errore_response() {
    for (ct, body) in [
        ("text/xml", &b""[..]),
        (
            "text/html",
            &b"<html><body><h1>502 Bad Gateway</h1></body></html>"[..],
        ),
        ("text/xml", &b"<soapenv:Envelope"[..]),
        ("text/xml", &[0xff, 0xfe, 0x00][..]),
    ] {
        let ex = exchange(Primitive::VerifyPaymentNotice, 200, ct, body);
        let j = judge_default(&ex, &verify_req());
        assert_eq!(
            code_of(&j),
            "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE",
            "{body:?}"
        );
        assert!(!j.violations.is_empty());
    }
}

#[test]
fn wrong_response_element_is_errore_response() {
    // A verify answer to a getPayment call.
    let ex = ok_xml(Primitive::GetPayment, &verify_ok(EC));
    let j = judge_default(&ex, &get_payment_req(false, None));
    assert_eq!(code_of(&j), "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
}

#[test]
fn sum_mismatch_is_errore_response_but_keeps_the_message() {
    let Message::GetPaymentRes(mut res) =
        get_payment_ok(false, vec![transfer(1, 10_000, EC, &iban_main())])
    else {
        unreachable!()
    };
    if let Some(d) = res.data.as_mut() {
        d.payment_amount = Amount::from_cents(10_001);
    }
    let msg = Message::GetPaymentRes(res);
    let j = judge_default(
        &ok_xml(Primitive::GetPayment, &msg),
        &get_payment_req(false, None),
    );
    assert_eq!(code_of(&j), "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
    assert!(j.message.is_some());
}

#[test]
fn unregistered_iban_follows_the_policy() {
    let other = iban::italian(1005, 3, 42, false);
    let msg = get_payment_ok(false, vec![transfer(1, 10_000, EC, &other)]);
    let ex = ok_xml(Primitive::GetPayment, &msg);
    let req = get_payment_req(false, None);

    let j = judge_default(&ex, &req);
    assert_eq!(code_of(&j), "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
    assert_eq!(
        j.checks[0].path,
        "/Envelope/Body/paGetPaymentRes/data/transferList/transfer[1]/IBAN"
    );
    assert_eq!(j.checks[0].found.as_deref(), Some(other.as_str()));

    let strict = CheckPolicy {
        unknown_iban_code: FaultCode::PptIbanNonCensito,
        ..CheckPolicy::default()
    };
    let j = judge(&ex, &req, &backoffice(), &strict);
    assert_eq!(code_of(&j), "PPT_IBAN_NON_CENSITO");

    let lax = CheckPolicy {
        check_ibans: false,
        ..CheckPolicy::default()
    };
    assert!(judge(&ex, &req, &backoffice(), &lax).outcome.is_ok());
}

#[test]
fn secondary_ecs_must_be_known_and_enabled() {
    let req = get_payment_req(false, None);
    let two = |fc: &str, iban: &str| {
        get_payment_ok(
            false,
            vec![
                transfer(1, 7_000, EC, &iban_main()),
                transfer(2, 3_000, fc, iban),
            ],
        )
    };
    let good = judge_default(
        &ok_xml(Primitive::GetPayment, &two(SECONDARY, &iban_secondary())),
        &req,
    );
    assert!(good.outcome.is_ok(), "{good:#?}");

    let unknown = judge_default(
        &ok_xml(
            Primitive::GetPayment,
            &two("22222222222", &iban_secondary()),
        ),
        &req,
    );
    assert_eq!(code_of(&unknown), "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
    assert!(unknown.checks[0].message.contains("SEM_PGPR_03"));
    assert!(unknown.checks[0].path.ends_with("transfer[2]/fiscalCodePA"));

    let mut bo = backoffice();
    if let Some(ec) = bo.ecs.get_mut(SECONDARY) {
        ec.enabled = false;
    }
    let disabled = judge(
        &ok_xml(Primitive::GetPayment, &two(SECONDARY, &iban_secondary())),
        &req,
        &bo,
        &CheckPolicy::default(),
    );
    assert!(disabled.checks[0].message.contains("SEM_PGPR_04"));
}

#[test]
fn verify_fiscal_code_must_match_the_request() {
    let j = judge_default(
        &ok_xml(Primitive::VerifyPaymentNotice, &verify_ok(SECONDARY)),
        &verify_req(),
    );
    assert_eq!(code_of(&j), "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
    assert_eq!(
        j.checks[0].path,
        "/Envelope/Body/paVerifyPaymentNoticeRes/fiscalCodePA"
    );
    assert_eq!(j.checks[0].expected.as_deref(), Some(EC));
    assert!(
        judge_default(
            &ok_xml(Primitive::VerifyPaymentNotice, &verify_ok(EC)),
            &verify_req()
        )
        .outcome
        .is_ok()
    );
}

/// creditorReferenceId = IUV is the EC's duty, judged by IUV-002 and the
/// `iuv-matches-notice` check, not by the Nodo's outcome: no public source says the Nodo
/// refuses the answer (found by the deviant-station corpus, `crid-is-nav`).
#[test]
fn a_creditor_reference_id_other_than_the_iuv_is_not_the_nodos_business() {
    let Message::GetPaymentRes(mut res) =
        get_payment_ok(false, vec![transfer(1, 10_000, EC, &iban_main())])
    else {
        unreachable!()
    };
    if let Some(d) = res.data.as_mut() {
        d.creditor_reference_id = "01000000000000299".into();
    }
    let j = judge_default(
        &ok_xml(Primitive::GetPayment, &Message::GetPaymentRes(res)),
        &get_payment_req(false, None),
    );
    assert!(j.outcome.is_ok(), "{j:#?}");
    assert!(j.checks.is_empty(), "{j:#?}");
}

#[test]
fn postal_transfer_type_needs_a_postal_iban_on_transfer_1() {
    let req = get_payment_req(true, Some(TransferType::Postal));
    let bad = get_payment_ok(true, vec![transfer(1, 10_000, EC, &iban_main())]);
    let j = judge_default(&ok_xml(Primitive::GetPaymentV2, &bad), &req);
    assert_eq!(code_of(&j), "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
    assert!(j.checks[0].message.contains("POSTAL"));
    let good = get_payment_ok(true, vec![transfer(1, 10_000, EC, &iban_postal())]);
    assert!(
        judge_default(&ok_xml(Primitive::GetPaymentV2, &good), &req)
            .outcome
            .is_ok()
    );
}

#[test]
fn pagopa_transfer_type_needs_ibanappoggio_everywhere() {
    let req = get_payment_req(true, Some(TransferType::Pagopa));
    let mut t = transfer(1, 10_000, EC, &iban_main());
    let j = judge_default(
        &ok_xml(
            Primitive::GetPaymentV2,
            &get_payment_ok(true, vec![t.clone()]),
        ),
        &req,
    );
    assert!(j.checks[0].message.contains("IBANAPPOGGIO"), "{j:#?}");
    t.metadata.push(MapEntry {
        key: "IBANAPPOGGIO".into(),
        value: iban_postal(),
    });
    let j = judge_default(
        &ok_xml(Primitive::GetPaymentV2, &get_payment_ok(true, vec![t])),
        &req,
    );
    assert!(j.outcome.is_ok(), "{j:#?}");
}

#[test]
fn stamp_transfers_skip_the_iban_check() {
    let mut t = transfer(1, 1_600, EC, "unused");
    t.beneficiary = Beneficiary::MarcaDaBollo(MarcaDaBollo {
        hash_documento: "wHpFSLCGZjIvNSXxqtGbxg7275t446DRTk5ZrsdUQ6E=".into(),
        tipo_bollo: "01".into(),
        provincia_residenza: "RM".into(),
    });
    let j = judge_default(
        &ok_xml(Primitive::GetPaymentV2, &get_payment_ok(true, vec![t])),
        &get_payment_req(true, None),
    );
    assert!(j.outcome.is_ok(), "{j:#?}");
}

#[test]
fn hygiene_warnings_for_status_and_content_type() {
    let msg = verify_ok(EC);
    let ex = exchange(
        Primitive::VerifyPaymentNotice,
        202,
        "application/soap+xml",
        msg.to_xml().as_bytes(),
    );
    let j = judge_default(&ex, &verify_req());
    assert!(j.outcome.is_ok());
    assert_eq!(
        j.hygiene,
        vec![
            HygieneWarning::HttpStatus { status: 202 },
            HygieneWarning::ContentType {
                found: Some("application/soap+xml".into())
            }
        ]
    );
}

#[test]
fn transport_errors_map_to_the_nodo_codes() {
    use TransportErrorKind::*;
    for (kind, code) in [
        (Timeout, "PPT_STAZIONE_INT_PA_TIMEOUT"),
        (InjectedTimeout, "PPT_STAZIONE_INT_PA_TIMEOUT"),
        (Refused, "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"),
        (InjectedRefused, "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"),
        (Other, "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"),
        (Tls, "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"),
        (Reset, "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"),
        (BodyTooLarge, "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"),
        (NotHttp, "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"),
    ] {
        let mut ex = exchange(Primitive::SendRt, 200, "text/xml", b"");
        ex.transport_error = Some(TransportError {
            kind,
            message: "x".into(),
            tls: None,
        });
        let j = judge_default(&ex, &verify_req());
        assert_eq!(code_of(&j), code, "{kind:?}");
        assert_eq!(
            j.outcome.is_station_unavailable(),
            matches!(
                kind,
                Timeout | InjectedTimeout | Refused | InjectedRefused | Other | Tls
            )
        );
    }
}

#[test]
fn backoffice_loads_from_toml_like_data() {
    let bo: BackOffice = serde_json::from_value(serde_json::json!({
        "ecs": { "77777777777": { "company_name": "Comune" }, "1": { "enabled": false } },
        "ibans": { "77777777777": [ { "iban": "IT60X0542811101000000123456" } ] }
    }))
    .unwrap();
    assert!(bo.ec(EC).unwrap().enabled);
    assert!(!bo.ec("1").unwrap().enabled);
    assert!(bo.iban_registered(EC, "IT60X0542811101000000123456"));
    assert!(!bo.iban_registered("1", "IT60X0542811101000000123456"));
    let policy: CheckPolicy =
        serde_json::from_value(serde_json::json!({ "unknown_iban_code": "PPT_IBAN_NON_CENSITO" }))
            .unwrap();
    assert_eq!(policy.unknown_iban_code, FaultCode::PptIbanNonCensito);
    assert!(policy.check_ibans);
}

#[test]
fn explanations_read_well() {
    let other = iban::italian(1005, 3, 42, false);
    let cases = [
        judge_default(
            &ok_xml(
                Primitive::VerifyPaymentNotice,
                &verify_ko("PAA_PAGAMENTO_SCADUTO"),
            ),
            &verify_req(),
        ),
        judge_default(
            &ok_xml(
                Primitive::GetPayment,
                &get_payment_ok(false, vec![transfer(1, 10_000, EC, &other)]),
            ),
            &get_payment_req(false, None),
        ),
        judge_default(
            &exchange(Primitive::VerifyPaymentNotice, 200, "text/xml", b""),
            &verify_req(),
        ),
    ];
    let text = cases
        .iter()
        .map(|j| format!("{}\n  {}", j.explanation, j.outcome))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(text);
}

#[test]
fn a_bare_payload_is_errore_response() {
    let body = verify_ok(EC).to_payload_xml();
    let ex = exchange(
        Primitive::VerifyPaymentNotice,
        200,
        "text/xml",
        body.as_bytes(),
    );
    let j = judge_default(&ex, &verify_req());
    assert_eq!(code_of(&j), "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE", "{j:#?}");
    let NodoOutcome::Nodo { reason, .. } = &j.outcome else {
        panic!("{j:?}")
    };
    assert_eq!(
        reason,
        "no SOAP 1.1 Envelope/Body around paVerifyPaymentNoticeRes"
    );
    assert!(j.explanation.contains("bare payload"), "{}", j.explanation);
    assert_eq!(j.violations.len(), 1, "{:#?}", j.violations);
    let v = &j.violations[0];
    assert!(v.is_error());
    assert_eq!(v.rule, Rule::NoEnvelope);
    assert_eq!(v.path, "/paVerifyPaymentNoticeRes");
    assert!(
        !j.hygiene
            .iter()
            .any(|h| matches!(h, HygieneWarning::Wire { violation } if violation.rule == Rule::NoEnvelope)),
        "{:?}",
        j.hygiene
    );
    // `collaudo validate` reads the same bytes with the wire parser: only a warning there.
    let parsed = collaudo_wire::parse(body.as_bytes());
    assert!(parsed.is_valid(), "{:#?}", parsed.violations);
    assert_eq!(parsed.violations[0].severity, Severity::Warning);
}

#[test]
fn a_bare_payload_with_other_violations_names_the_envelope_first() {
    let body = verify_ok(EC)
        .to_payload_xml()
        .replace("<outcome>OK</outcome>", "<outcome>PP</outcome>");
    let ex = exchange(
        Primitive::VerifyPaymentNotice,
        200,
        "text/xml",
        body.as_bytes(),
    );
    let j = judge_default(&ex, &verify_req());
    let NodoOutcome::Nodo { reason, .. } = &j.outcome else {
        panic!("{j:?}")
    };
    assert!(
        reason.starts_with(
            "no SOAP 1.1 Envelope/Body around paVerifyPaymentNoticeRes; 1 more violation: "
        ),
        "{reason}"
    );
    assert!(
        reason.contains("/paVerifyPaymentNoticeRes/outcome"),
        "{reason}"
    );
}

#[test]
fn violations_beyond_the_kept_ones_still_count() {
    // 1 000 unknown elements: the wire crate keeps the first 100 and counts the rest.
    let mut body = verify_ok(EC).to_xml();
    let strays = "<stray/>".repeat(1_000);
    body = body.replacen(
        "<outcome>OK</outcome>",
        &format!("<outcome>OK</outcome>{strays}"),
        1,
    );
    let ex = exchange(
        Primitive::VerifyPaymentNotice,
        200,
        "text/xml",
        body.as_bytes(),
    );
    let j = judge_default(&ex, &verify_req());
    assert_eq!(code_of(&j), "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE");
    assert_eq!(j.violations.len(), collaudo_wire::DEFAULT_MAX_VIOLATIONS);
    let NodoOutcome::Nodo { reason, .. } = &j.outcome else {
        panic!("{j:?}")
    };
    assert!(reason.ends_with("; and 997 more"), "{reason}");
    assert!(
        j.explanation.contains("(1000 violations)"),
        "{}",
        j.explanation
    );
}
