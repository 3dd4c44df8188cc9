//! Snapshots of the canonical XML collaudo writes for every request and response: the exact
//! bytes the mock Nodo sends and the reference station answers. Each sample is also read back
//! and must be valid, so a snapshot can never freeze an invalid message.

use collaudo_wire::*;

fn caller() -> Caller {
    Caller {
        id_pa: "77777777777".into(),
        id_broker_pa: "77777777777".into(),
        id_station: "77777777777_01".into(),
    }
}

fn qr() -> QrCode {
    QrCode {
        fiscal_code: "77777777777".into(),
        notice_number: "301000000000000144".into(),
    }
}

fn debtor() -> Subject {
    Subject {
        entity_type: EntityType::F,
        entity_value: "RSSMRA85T10A562S".into(),
        full_name: "Mario Rossi".into(),
        street_name: Some("Via Roma".into()),
        civic_number: Some("1".into()),
        postal_code: Some("00100".into()),
        city: Some("Roma".into()),
        state_province_region: Some("RM".into()),
        country: Some("IT".into()),
        email: Some("mario.rossi@example.it".into()),
    }
}

fn option() -> PaymentOption {
    PaymentOption {
        amount: Amount::from_cents(15_000),
        options: AmountOption::Eq,
        due_date: Some("2026-12-31".into()),
        detail_description: Some("TARI 2026 & servizi".into()),
        all_ccp: false,
    }
}

fn transfer(
    id: u8,
    cents: u64,
    fiscal: &str,
    beneficiary: Beneficiary,
    company: Option<&str>,
) -> Transfer {
    Transfer {
        id_transfer: id,
        transfer_amount: Amount::from_cents(cents),
        fiscal_code_pa: fiscal.into(),
        company_name: company.map(Into::into),
        beneficiary,
        remittance_information: format!("TARI 2026 quota {id}"),
        transfer_category: "0101101IM".into(),
        metadata: if id == 1 {
            vec![MapEntry {
                key: "DatiSpecificiRiscossione".into(),
                value: "9/0101101IM/".into(),
            }]
        } else {
            Vec::new()
        },
    }
}

fn iban(s: &str) -> Beneficiary {
    Beneficiary::Iban(s.into())
}

fn fault(code: FaultCode, text: &str) -> FaultBean {
    FaultBean {
        description: Some("the notice is unknown to the creditor".into()),
        ..FaultBean::new(code, text, "77777777777")
    }
}

fn payment_data(v2: bool) -> PaymentData {
    let company = v2.then_some("Comune di Prova");
    PaymentData {
        creditor_reference_id: "01000000000000144".into(),
        payment_amount: Amount::from_cents(15_000),
        due_date: "2026-12-31".into(),
        retention_date: Some("2027-01-31T23:59:59".into()),
        last_payment: Some(false),
        description: "TARI 2026".into(),
        company_name: Some("Comune di Prova".into()),
        office_name: Some("Ufficio Tributi".into()),
        debtor: debtor(),
        transfers: vec![
            transfer(
                1,
                10_000,
                "77777777777",
                iban("IT60X0542811101000000123456"),
                company,
            ),
            if v2 {
                transfer(
                    2,
                    5_000,
                    "01234567890",
                    Beneficiary::MarcaDaBollo(MarcaDaBollo {
                        hash_documento: "wHpFSLCGZjIvNSXxqtGbxg7275t446DRTk5ZrsdUQ6E=".into(),
                        tipo_bollo: "01".into(),
                        provincia_residenza: "RM".into(),
                    }),
                    Some("Provincia di Prova"),
                )
            } else {
                transfer(
                    2,
                    5_000,
                    "01234567890",
                    iban("IT21Q0760101600000000123456"),
                    None,
                )
            },
        ],
        metadata: vec![MapEntry {
            key: "inputType".into(),
            value: "spontaneous".into(),
        }],
    }
}

fn receipt(v2: bool) -> Receipt {
    let company = v2.then_some("Comune di Prova");
    Receipt {
        receipt_id: "c110729d258c4ab1b765fe902aae41d6".into(),
        notice_number: "301000000000000144".into(),
        fiscal_code: "77777777777".into(),
        outcome: Outcome::Ok,
        creditor_reference_id: "01000000000000144".into(),
        payment_amount: Amount::from_cents(15_000),
        description: "TARI 2026".into(),
        company_name: "Comune di Prova".into(),
        office_name: None,
        debtor: debtor(),
        transfers: vec![
            transfer(
                1,
                10_000,
                "77777777777",
                iban("IT60X0542811101000000123456"),
                company,
            ),
            if v2 {
                transfer(
                    2,
                    5_000,
                    "01234567890",
                    Beneficiary::MbdAttachment("PG1hcmNhRGFCb2xsbz48L21hcmNhRGFCb2xsbz4=".into()),
                    Some("Provincia di Prova"),
                )
            } else {
                transfer(
                    2,
                    5_000,
                    "01234567890",
                    iban("IT21Q0760101600000000123456"),
                    None,
                )
            },
        ],
        id_psp: "BNLIITRR".into(),
        psp_fiscal_code: Some("09339391006".into()),
        psp_partita_iva: Some("09339391006".into()),
        psp_company_name: "PSP di collaudo".into(),
        id_channel: "09339391006_01".into(),
        channel_description: "app".into(),
        payer: None,
        payment_method: Some("creditCard".into()),
        payment_note: v2.then(|| "idCart-1".into()),
        fee: Some(Amount::from_cents(150)),
        primary_ci_incurred_fee: v2.then_some(Amount::from_cents(50)),
        id_bundle: v2.then(|| "bundle-1".into()),
        id_ci_bundle: v2.then(|| "ci-bundle-1".into()),
        payment_date_time: Some("2026-11-25T10:15:30".into()),
        application_date: Some("2026-11-25".into()),
        transfer_date: Some("2026-11-26".into()),
        metadata: Vec::new(),
        stand_in: Some(false),
    }
}

fn samples() -> Vec<(&'static str, Message)> {
    let get_req = GetPaymentReq {
        caller: caller(),
        qr_code: qr(),
        amount: Some(Amount::from_cents(15_000)),
        payment_note: Some("idCart-1".into()),
        transfer_type: Some(TransferType::Postal),
        due_date: Some("2026-12-31".into()),
    };
    vec![
        (
            "verify_request",
            Message::VerifyPaymentNoticeReq(VerifyPaymentNoticeReq {
                caller: caller(),
                qr_code: qr(),
            }),
        ),
        (
            "verify_response_ok",
            Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
                outcome: Outcome::Ok,
                fault: None,
                payment_option: Some(option()),
                payment_description: Some("TARI 2026 <rata unica>".into()),
                fiscal_code_pa: Some("77777777777".into()),
                company_name: Some("Comune di Prova".into()),
                office_name: Some("Ufficio Tributi".into()),
            }),
        ),
        (
            "verify_response_ko",
            Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
                outcome: Outcome::Ko,
                fault: Some(fault(
                    FaultCode::PaaPagamentoSconosciuto,
                    "Pagamento sconosciuto",
                )),
                payment_option: None,
                payment_description: None,
                fiscal_code_pa: None,
                company_name: None,
                office_name: None,
            }),
        ),
        (
            "get_payment_request",
            Message::GetPaymentReq(get_req.clone()),
        ),
        (
            "get_payment_response",
            Message::GetPaymentRes(Box::new(GetPaymentRes {
                outcome: Outcome::Ok,
                fault: None,
                data: Some(payment_data(false)),
            })),
        ),
        (
            "get_payment_v2_request",
            Message::GetPaymentV2Req(GetPaymentReq {
                transfer_type: Some(TransferType::Pagopa),
                ..get_req
            }),
        ),
        (
            "get_payment_v2_response",
            Message::GetPaymentV2Res(Box::new(GetPaymentRes {
                outcome: Outcome::Ok,
                fault: None,
                data: Some(payment_data(true)),
            })),
        ),
        (
            "send_rt_request",
            Message::SendRtReq(Box::new(SendRtReq {
                caller: caller(),
                receipt: receipt(false),
            })),
        ),
        (
            "send_rt_response",
            Message::SendRtRes(SimpleRes {
                outcome: Outcome::Ok,
                fault: None,
            }),
        ),
        (
            "send_rt_v2_request",
            Message::SendRtV2Req(Box::new(SendRtReq {
                caller: caller(),
                receipt: receipt(true),
            })),
        ),
        (
            "send_rt_v2_response_duplicate",
            Message::SendRtV2Res(SimpleRes {
                outcome: Outcome::Ko,
                fault: Some(fault(FaultCode::PaaReceiptDuplicata, "Receipt duplicata")),
            }),
        ),
        (
            "demand_request",
            Message::DemandPaymentNoticeReq(DemandPaymentNoticeReq {
                caller: caller(),
                id_servizio: "00001".into(),
                id_soggetto_servizio: "00042".into(),
                dati_specifici_servizio:
                    "PHNlcnZpemlvPjx0YXJnYT5BQjEyM0NEPC90YXJnYT48L3NlcnZpemlvPg==".into(),
            }),
        ),
        (
            "demand_response",
            Message::DemandPaymentNoticeRes(DemandPaymentNoticeRes {
                outcome: Outcome::Ok,
                fault: None,
                qr_code: Some(qr()),
                payment_option: Some(option()),
                payment_description: Some("Permesso ZTL".into()),
                fiscal_code_pa: Some("77777777777".into()),
                company_name: Some("Comune di Prova".into()),
                office_name: None,
            }),
        ),
    ]
}

#[test]
fn canonical_xml_snapshots() {
    for (name, msg) in samples() {
        let xml = msg.to_xml();
        let parsed = parse(xml.as_bytes());
        assert!(
            parsed.violations.is_empty(),
            "{name}: {:#?}",
            parsed.violations
        );
        assert_eq!(parsed.message.as_ref(), Some(&msg), "{name} round trip");
        insta::assert_snapshot!(name, xml);
    }
}

#[test]
fn every_shape_is_covered() {
    let mut kinds: Vec<_> = samples().iter().map(|(_, m)| m.kind()).collect();
    kinds.sort_by_key(|(p, d)| (*p, *d == Direction::Response));
    kinds.dedup();
    assert_eq!(kinds.len(), 12);
}

/// The three prefix forms of one verify request: canonical (`soapenv:`/`pafn:`), JAX-WS
/// (`S:`/`ns2:`) and the paForNode namespace as the wrapper's default, whose children then
/// undeclare it (`xmlns=""`) because paForNode.xsd keeps them unqualified. Each form reads back
/// as the same message with no violation.
#[test]
fn prefix_forms_of_a_verify_request() {
    let msg = Message::VerifyPaymentNoticeReq(VerifyPaymentNoticeReq {
        caller: caller(),
        qr_code: qr(),
    });
    for (name, prefixes) in [
        ("verify_request_soapenv_pafn", Prefixes::CANONICAL),
        ("verify_request_s_ns2", Prefixes::JAX_WS),
        ("verify_request_default_ns", Prefixes::DEFAULT_NS),
    ] {
        let xml = msg.to_xml_with(prefixes).unwrap();
        let parsed = parse(xml.as_bytes());
        assert!(
            parsed.violations.is_empty(),
            "{name}: {:#?}",
            parsed.violations
        );
        assert_eq!(parsed.message.as_ref(), Some(&msg), "{name} round trip");
        insta::assert_snapshot!(name, xml);
    }
    assert_eq!(
        msg.to_xml_with(Prefixes::CANONICAL).unwrap(),
        msg.to_xml(),
        "the canonical prefixes are what to_xml writes"
    );
}

#[test]
fn invalid_prefixes_are_refused() {
    let msg = Message::SendRtRes(SimpleRes {
        outcome: Outcome::Ok,
        fault: None,
    });
    for (envelope, payload) in [
        ("1a", "p"),
        ("s", "a:b"),
        ("s", "a b"),
        ("xml", "p"),
        ("s", "XMLns"),
    ] {
        assert!(
            msg.to_xml_with(Prefixes { envelope, payload }).is_err(),
            "{envelope:?}/{payload:?}"
        );
    }
    assert!(
        msg.to_xml_with(Prefixes {
            envelope: "",
            payload: ""
        })
        .is_ok()
    );
    assert!(
        msg.to_xml_with(Prefixes {
            envelope: "è_1",
            payload: "p-2.x"
        })
        .is_ok()
    );
}
