//! Every primitive against every relevant fixture role, through [`handle`] with no HTTP.

use super::handle;
use crate::positions::{FixtureRole, SECONDARY_EC_FISCAL_CODE};
use crate::profiles::Profile;
use crate::state::StationState;
use crate::test_support::*;
use collaudo_wire::ident::{NoticeNumber, STAND_IN_PROBE, iban};
use collaudo_wire::{
    Amount, AmountOption, Beneficiary, Caller, Message, Outcome, PaymentData, Primitive,
    TransferType,
};

const PAYABLE: [FixtureRole; 10] = [
    FixtureRole::Payable,
    FixtureRole::PayableV2,
    FixtureRole::MultiBeneficiary,
    FixtureRole::MultiBeneficiary5,
    FixtureRole::Postal,
    FixtureRole::Stamp,
    FixtureRole::Metadata,
    FixtureRole::AmountChange,
    FixtureRole::ReceiptTarget,
    FixtureRole::InProgress,
];

const NOT_PAYABLE: [(FixtureRole, &str); 4] = [
    (FixtureRole::Unknown, "PAA_PAGAMENTO_SCONOSCIUTO"),
    (FixtureRole::Paid, "PAA_PAGAMENTO_DUPLICATO"),
    (FixtureRole::Expired, "PAA_PAGAMENTO_SCADUTO"),
    (FixtureRole::Cancelled, "PAA_PAGAMENTO_ANNULLATO"),
];

fn notice(st: &StationState, role: FixtureRole) -> String {
    fixture(st, role).notice_number.as_str().to_string()
}

fn activation_data(msg: &Message) -> PaymentData {
    match msg {
        Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r) => match &r.data {
            Some(d) => d.clone(),
            None => panic!("no data: {msg:?}"),
        },
        other => panic!("not an activation response: {other:?}"),
    }
}

fn activate(st: &StationState, role: FixtureRole, v2: bool, tt: Option<TransferType>) -> Message {
    let (reply, parsed) = call(st, &get_payment(st, &notice(st, role), v2, tt));
    valid(&reply, &parsed)
}

// ---- verify ------------------------------------------------------------------------------

#[test]
fn verify_answers_every_payable_role_with_the_current_amount() {
    let st = station(Profile::Conformant);
    for role in PAYABLE {
        let f = fixture(&st, role);
        let (reply, parsed) = call(&st, &verify(&st, f.notice_number.as_str()));
        let msg = valid(&reply, &parsed);
        assert_ok(&msg);
        let Message::VerifyPaymentNoticeRes(r) = msg else {
            panic!("{role}: wrong element")
        };
        let Some(o) = r.payment_option else {
            panic!("{role}: no paymentList")
        };
        assert_eq!(o.amount, f.amount, "{role}");
        assert_eq!(o.options, AmountOption::Eq);
        assert_eq!(o.all_ccp, role == FixtureRole::Postal, "{role}");
        assert_eq!(r.fiscal_code_pa.as_deref(), Some(f.fiscal_code.as_str()));
        assert!(r.payment_description.is_some() && r.company_name.is_some());
        assert!(r.office_name.is_some());
    }
}

#[test]
fn verify_refuses_each_non_payable_role_with_its_code() {
    let st = station(Profile::Conformant);
    for (role, code) in NOT_PAYABLE {
        let (reply, parsed) = call(&st, &verify(&st, &notice(&st, role)));
        let msg = valid(&reply, &parsed);
        assert_eq!(ko_code(&st, &msg), code, "{role}");
    }
    let expired = notice(&st, FixtureRole::Expired);
    assert_eq!(
        st.positions().view(&expired).map(|v| v.state),
        Some("expired".to_string())
    );
}

#[test]
fn verify_with_another_ec_in_the_qr_code_is_unknown() {
    let st = station(Profile::Conformant);
    let Message::VerifyPaymentNoticeReq(mut req) = verify(&st, &notice(&st, FixtureRole::Payable))
    else {
        panic!("builder")
    };
    req.qr_code.fiscal_code = SECONDARY_EC_FISCAL_CODE.to_string();
    let (reply, parsed) = call(&st, &Message::VerifyPaymentNoticeReq(req));
    let msg = valid(&reply, &parsed);
    assert_eq!(ko_code(&st, &msg), "PAA_PAGAMENTO_SCONOSCIUTO");
}

#[test]
fn stand_in_probe_is_unknown() {
    let st = station(Profile::Conformant);
    let (reply, parsed) = call(&st, &verify(&st, STAND_IN_PROBE));
    let msg = valid(&reply, &parsed);
    assert_eq!(ko_code(&st, &msg), "PAA_PAGAMENTO_SCONOSCIUTO");
    // What the Stand-In manager actually looks for (DOMAIN.md §7.3).
    assert!(reply.body_text().contains("SCONOSCIUTO"));
}

#[test]
fn amount_changed_in_the_back_office_shows_in_verify_and_activation() {
    let st = station(Profile::Conformant);
    let n = notice(&st, FixtureRole::AmountChange);
    let view = st.positions().set_amount(&n, Amount::from_cents(12_345));
    assert_eq!(view.map(|v| v.amount), Ok("123.45".to_string()));
    let (reply, parsed) = call(&st, &verify(&st, &n));
    let Message::VerifyPaymentNoticeRes(r) = valid(&reply, &parsed) else {
        panic!("element")
    };
    assert_eq!(
        r.payment_option.map(|o| o.amount),
        Some(Amount::from_cents(12_345))
    );
    let d = activation_data(&activate(&st, FixtureRole::AmountChange, false, None));
    assert_eq!(d.payment_amount, Amount::from_cents(12_345));
}

#[test]
fn cancelled_in_the_back_office_is_annullato() {
    let st = station(Profile::Conformant);
    let n = notice(&st, FixtureRole::Payable);
    assert!(st.positions().cancel(&n).is_ok());
    let (reply, parsed) = call(&st, &verify(&st, &n));
    assert_eq!(
        ko_code(&st, &valid(&reply, &parsed)),
        "PAA_PAGAMENTO_ANNULLATO"
    );
}

// ---- caller identities -------------------------------------------------------------------

fn with_caller(msg: &Message, c: Caller) -> Message {
    let mut m = msg.clone();
    match &mut m {
        Message::VerifyPaymentNoticeReq(r) => r.caller = c,
        Message::GetPaymentReq(r) | Message::GetPaymentV2Req(r) => r.caller = c,
        Message::SendRtReq(r) | Message::SendRtV2Req(r) => r.caller = c,
        Message::DemandPaymentNoticeReq(r) => r.caller = c,
        _ => {}
    }
    m
}

#[test]
fn wrong_identities_get_their_codes_on_every_primitive() {
    let st = station(Profile::Conformant);
    let f = fixture(&st, FixtureRole::ReceiptTarget);
    let n = f.notice_number.as_str();
    let requests = [
        verify(&st, n),
        get_payment(&st, n, false, None),
        get_payment(&st, n, true, None),
        send_rt(&st, receipt_for(&f, "r-1", None, false), false),
        send_rt(&st, receipt_for(&f, "r-1", None, true), true),
        demand(&st, "00001", "PGEvPg=="),
    ];
    for req in &requests {
        let good = caller(&st);
        let cases = [
            (
                Caller {
                    id_pa: "99999999999".into(),
                    ..good.clone()
                },
                "PAA_ID_DOMINIO_ERRATO",
            ),
            (
                Caller {
                    id_broker_pa: "99999999999".into(),
                    ..good.clone()
                },
                "PAA_ID_INTERMEDIARIO_ERRATO",
            ),
            (
                Caller {
                    id_station: "99999999999_01".into(),
                    ..good.clone()
                },
                "PAA_STAZIONE_INT_ERRATA",
            ),
        ];
        for (c, code) in cases {
            let (reply, parsed) = call(&st, &with_caller(req, c));
            let msg = valid(&reply, &parsed);
            assert_eq!(msg.kind().0, req.kind().0);
            assert_eq!(ko_code(&st, &msg), code, "{}", req.kind().0);
        }
    }
    assert_eq!(
        st.booking_count(n),
        0,
        "a refused receipt must not be booked"
    );
}

// ---- SOAPAction and malformed requests ---------------------------------------------------

#[test]
fn soap_action_may_be_quoted_unquoted_uri_style_empty_or_absent() {
    let st = station(Profile::Conformant);
    let body = verify(&st, &notice(&st, FixtureRole::Payable)).to_xml();
    for action in [
        Some("\"paVerifyPaymentNotice\""),
        Some("paVerifyPaymentNotice"),
        Some("http://pagopa-api.pagopa.gov.it/paForNode/paVerifyPaymentNotice"),
        Some("\"\""),
        Some(""),
        None,
    ] {
        let (reply, parsed) = call_with(&st, action, body.as_bytes());
        assert_ok(&valid(&reply, &parsed));
    }
}

#[test]
fn soap_action_of_another_primitive_or_no_primitive_is_extraxsd() {
    let st = station(Profile::Conformant);
    let body = verify(&st, &notice(&st, FixtureRole::Payable)).to_xml();
    for action in ["\"paGetPayment\"", "paSendRT", "\"frobnicate\""] {
        let (reply, parsed) = call_with(&st, Some(action), body.as_bytes());
        let msg = valid(&reply, &parsed);
        assert_eq!(msg.kind().0, Primitive::VerifyPaymentNotice);
        assert_eq!(ko_code(&st, &msg), "PAA_SINTASSI_EXTRAXSD", "{action}");
    }
}

#[test]
fn malformed_requests_get_a_ko_in_the_primitive_element() {
    let st = station(Profile::Conformant);
    let good = get_payment(&st, &notice(&st, FixtureRole::Payable), true, None).to_xml();
    let truncated = &good.as_bytes()[..good.len() / 2];
    let short_notice = verify(&st, "30100000000000014").to_xml();
    let cases: [(Option<&str>, &[u8], Primitive); 5] = [
        // Not XML at all, but the SOAPAction names the primitive.
        (Some("\"paVerifyPaymentNotice\""), b"this is not xml", Primitive::VerifyPaymentNotice),
        // Empty body with a SOAPAction.
        (Some("paSendRTV2"), b"", Primitive::SendRtV2),
        // Truncated, no SOAPAction: the element name is still in the bytes.
        (None, truncated, Primitive::GetPaymentV2),
        // Well-formed but XSD-invalid (17-digit notice number).
        (
            None,
            short_notice.as_bytes(),
            Primitive::VerifyPaymentNotice,
        ),
        // A response sent as if it were a request.
        (
            Some("paSendRT"),
            b"<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:pafn=\"http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd\"><soapenv:Body><pafn:paSendRTRes><outcome>OK</outcome></pafn:paSendRTRes></soapenv:Body></soapenv:Envelope>",
            Primitive::SendRt,
        ),
    ];
    for (action, body, primitive) in cases {
        let (reply, parsed) = call_with(&st, action, body);
        let msg = valid(&reply, &parsed);
        assert_eq!(msg.kind().0, primitive);
        assert_eq!(ko_code(&st, &msg), "PAA_SINTASSI_EXTRAXSD", "{primitive}");
    }
}

#[test]
fn unrecognisable_request_gets_a_soap_fault_as_last_resort() {
    let st = station(Profile::Conformant);
    for body in [&b"garbage"[..], b"<a/>", b"", &[0xff, 0xfe, 0x00]] {
        let reply = handle(&st, None, body);
        assert_eq!(reply.status, 500);
        let parsed = collaudo_wire::parse(&reply.body);
        assert!(parsed.soap_fault.is_some(), "{}", reply.body_text());
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let st = station(Profile::Conformant);
    let good = verify(&st, &notice(&st, FixtureRole::Payable)).to_xml();
    for cut in (0..good.len()).step_by(7) {
        let reply = handle(&st, Some("paVerifyPaymentNotice"), &good.as_bytes()[..cut]);
        assert_eq!(reply.status, 200);
    }
    let deep = "<a>".repeat(10_000);
    let reply = handle(&st, None, deep.as_bytes());
    assert_eq!(reply.status, 500);
}

// ---- activation --------------------------------------------------------------------------

#[test]
fn activation_data_matches_the_fixture_for_every_payable_role() {
    let st = station(Profile::Conformant);
    let bo = st.back_office();
    for role in PAYABLE {
        for v2 in [false, true] {
            let f = fixture(&st, role);
            if role == FixtureRole::Stamp && !v2 {
                continue;
            }
            let msg = activate(&st, role, v2, None);
            assert_ok(&msg);
            assert_eq!(msg.kind().0.is_v2(), v2);
            let d = activation_data(&msg);
            assert_eq!(d.creditor_reference_id, f.iuv, "{role}");
            assert_eq!(d.payment_amount, f.amount, "{role}");
            assert_eq!(
                d.payment_amount,
                Amount::sum(d.transfers.iter().map(|t| t.transfer_amount))
            );
            assert_eq!(d.transfers.len(), f.transfers.len(), "{role}");
            assert!(d.company_name.is_some());
            for (t, s) in d.transfers.iter().zip(&f.transfers) {
                assert_eq!(t.id_transfer, s.id_transfer);
                assert_eq!(t.fiscal_code_pa, s.fiscal_code_pa);
                assert_eq!(t.company_name.is_some(), v2, "{role}");
                match &t.beneficiary {
                    Beneficiary::Iban(i) => {
                        assert!(iban::is_valid_italian(i));
                        assert!(bo.is_registered(&t.fiscal_code_pa, i), "{role}: {i}");
                        assert!(!s.stamp);
                    }
                    Beneficiary::MarcaDaBollo(_) => assert!(s.stamp && v2),
                    Beneficiary::MbdAttachment(_) => panic!("{role}: MBD in activation"),
                }
            }
        }
    }
}

#[test]
fn activation_refuses_each_non_payable_role_with_its_code() {
    let st = station(Profile::Conformant);
    for (role, code) in NOT_PAYABLE {
        for v2 in [false, true] {
            let (reply, parsed) = call(&st, &get_payment(&st, &notice(&st, role), v2, None));
            let msg = valid(&reply, &parsed);
            assert_eq!(ko_code(&st, &msg), code, "{role} v2={v2}");
        }
    }
}

#[test]
fn activation_keeps_the_position_payable() {
    let st = station(Profile::Conformant);
    let n = notice(&st, FixtureRole::Payable);
    assert_ok(&activate(&st, FixtureRole::Payable, false, None));
    assert_eq!(
        st.positions().view(&n).map(|v| v.state),
        Some("activated".to_string())
    );
    // ACT-008: re-verify and re-activate still succeed, never PAA_PAGAMENTO_DUPLICATO.
    let (reply, parsed) = call(&st, &verify(&st, &n));
    assert_ok(&valid(&reply, &parsed));
    assert_ok(&activate(&st, FixtureRole::Payable, true, None));
}

#[test]
fn multi_beneficiary_pays_the_secondary_ec_on_its_own_iban() {
    let st = station(Profile::Conformant);
    let d = activation_data(&activate(&st, FixtureRole::MultiBeneficiary, true, None));
    let secondary: Vec<_> = d
        .transfers
        .iter()
        .filter(|t| t.fiscal_code_pa == SECONDARY_EC_FISCAL_CODE)
        .collect();
    assert_eq!(secondary.len(), 1);
    let iban = secondary[0].beneficiary.iban().unwrap_or_default();
    assert!(
        st.back_office()
            .is_registered(SECONDARY_EC_FISCAL_CODE, iban)
    );
    assert!(!st.back_office().is_registered(&st.config().id_pa, iban));
    let d5 = activation_data(&activate(&st, FixtureRole::MultiBeneficiary5, false, None));
    assert_eq!(d5.transfers.len(), 5);
}

#[test]
fn postal_transfer_type_puts_the_postal_iban_on_transfer_1() {
    let st = station(Profile::Conformant);
    let bo = st.back_office();
    for role in [FixtureRole::Postal, FixtureRole::MultiBeneficiary] {
        for v2 in [false, true] {
            let d = activation_data(&activate(&st, role, v2, Some(TransferType::Postal)));
            let first = d.transfers[0].beneficiary.iban().unwrap_or_default();
            assert!(iban::is_postal(first), "{role}: {first}");
            assert!(bo.is_postal(&d.transfers[0].fiscal_code_pa, first));
        }
    }
    let plain = activation_data(&activate(&st, FixtureRole::Postal, false, None));
    assert!(!iban::is_postal(
        plain.transfers[0].beneficiary.iban().unwrap_or_default()
    ));
}

#[test]
fn pagopa_transfer_type_adds_ibanappoggio_to_every_transfer() {
    let st = station(Profile::Conformant);
    let d = activation_data(&activate(
        &st,
        FixtureRole::MultiBeneficiary5,
        true,
        Some(TransferType::Pagopa),
    ));
    for t in &d.transfers {
        let appoggio = t.metadata.iter().find(|m| m.key == "IBANAPPOGGIO");
        let Some(a) = appoggio else {
            panic!("transfer {} without IBANAPPOGGIO", t.id_transfer)
        };
        assert!(st.back_office().is_postal(&t.fiscal_code_pa, &a.value));
        assert!(t.metadata.len() <= 15);
    }
}

#[test]
fn stamp_is_a_v2_only_richiesta_marca_da_bollo() {
    let st = station(Profile::Conformant);
    let d = activation_data(&activate(&st, FixtureRole::Stamp, true, None));
    assert!(matches!(
        d.transfers[1].beneficiary,
        Beneficiary::MarcaDaBollo(_)
    ));
    let (reply, parsed) = call(
        &st,
        &get_payment(&st, &notice(&st, FixtureRole::Stamp), false, None),
    );
    assert_eq!(ko_code(&st, &valid(&reply, &parsed)), "PAA_SEMANTICA");
}

#[test]
fn metadata_is_returned_on_position_and_transfers() {
    let st = station(Profile::Conformant);
    for v2 in [false, true] {
        let d = activation_data(&activate(&st, FixtureRole::Metadata, v2, None));
        assert!(!d.metadata.is_empty() && d.metadata.len() <= 15);
        assert!(d.transfers.iter().all(|t| !t.metadata.is_empty()));
    }
}

// ---- receipts ----------------------------------------------------------------------------

#[test]
fn receipt_books_once_and_closes_the_position() {
    for v2 in [false, true] {
        let st = station(Profile::Conformant);
        let f = fixture(&st, FixtureRole::ReceiptTarget);
        let n = f.notice_number.as_str();
        assert_ok(&activate(&st, FixtureRole::ReceiptTarget, v2, None));
        let rt = send_rt(&st, receipt_for(&f, "tok-1", None, v2), v2);
        for _ in 0..3 {
            let (reply, parsed) = call(&st, &rt);
            assert_ok(&valid(&reply, &parsed));
        }
        assert_eq!(st.booking_count(n), 1, "RT-003: no double booking");
        let view = st.positions().view(n);
        assert_eq!(view.as_ref().map(|v| v.state.as_str()), Some("paid"));
        assert_eq!(view.and_then(|v| v.receipt_id), Some("tok-1".to_string()));
        let (reply, parsed) = call(&st, &verify(&st, n));
        assert_eq!(
            ko_code(&st, &valid(&reply, &parsed)),
            "PAA_PAGAMENTO_DUPLICATO"
        );
    }
}

#[test]
fn receipts_are_never_refused() {
    let st = station(Profile::Conformant);
    // RT-006: an amount the EC did not expect.
    let f = fixture(&st, FixtureRole::Payable);
    let rt = receipt_for(&f, "tok-amount", Some(Amount::from_cents(1)), false);
    let (reply, parsed) = call(&st, &send_rt(&st, rt, false));
    assert_ok(&valid(&reply, &parsed));
    assert_eq!(st.booking_count(f.notice_number.as_str()), 1);
    // A notice the station never issued.
    let unknown = fixture(&st, FixtureRole::Unknown);
    let (reply, parsed) = call(
        &st,
        &send_rt(&st, receipt_for(&unknown, "tok-unknown", None, true), true),
    );
    assert_ok(&valid(&reply, &parsed));
    let bookings = st.positions().bookings();
    assert!(
        bookings
            .iter()
            .any(|b| b.receipt_id == "tok-unknown" && !b.known_position)
    );
    // Already paid, cancelled or expired at the EC: still acknowledged.
    for role in [
        FixtureRole::Paid,
        FixtureRole::Cancelled,
        FixtureRole::Expired,
    ] {
        let f = fixture(&st, role);
        let (reply, parsed) = call(
            &st,
            &send_rt(
                &st,
                receipt_for(&f, &format!("tok-{role}"), None, false),
                false,
            ),
        );
        assert_ok(&valid(&reply, &parsed));
    }
    // The stamp receipt carries MBDAttachment instead of an IBAN.
    let stamp = fixture(&st, FixtureRole::Stamp);
    let (reply, parsed) = call(
        &st,
        &send_rt(&st, receipt_for(&stamp, "tok-stamp", None, true), true),
    );
    assert_ok(&valid(&reply, &parsed));
}

#[test]
fn receipt_fanned_out_to_the_secondary_ec_is_acknowledged_not_rebooked() {
    let st = station(Profile::Conformant);
    let f = fixture(&st, FixtureRole::MultiBeneficiary);
    let rt = send_rt(&st, receipt_for(&f, "tok-multi", None, true), true);
    let (reply, parsed) = call(&st, &rt);
    assert_ok(&valid(&reply, &parsed));
    let to_secondary = with_caller(
        &rt,
        Caller {
            id_pa: SECONDARY_EC_FISCAL_CODE.to_string(),
            ..caller(&st)
        },
    );
    let (reply, parsed) = call(&st, &to_secondary);
    assert_ok(&valid(&reply, &parsed));
    assert_eq!(st.booking_count(f.notice_number.as_str()), 1);
}

#[test]
fn ko_receipt_is_acknowledged_and_books_nothing() {
    let st = station(Profile::Conformant);
    let f = fixture(&st, FixtureRole::ReceiptTarget);
    let mut rt = receipt_for(&f, "tok-ko", None, false);
    rt.outcome = Outcome::Ko;
    let (reply, parsed) = call(&st, &send_rt(&st, rt, false));
    assert_ok(&valid(&reply, &parsed));
    assert_eq!(st.booking_count(f.notice_number.as_str()), 0);
}

// ---- demand ------------------------------------------------------------------------------

#[test]
fn demand_creates_a_payable_notice() {
    let st = station(Profile::Conformant);
    // <servizio><importo>12.50</importo></servizio>
    let data = "PHNlcnZpemlvPjxpbXBvcnRvPjEyLjUwPC9pbXBvcnRvPjwvc2Vydml6aW8+";
    let (reply, parsed) = call(&st, &demand(&st, "00001", data));
    let Message::DemandPaymentNoticeRes(r) = valid(&reply, &parsed) else {
        panic!("element")
    };
    assert_eq!(r.outcome, Outcome::Ok);
    let Some(qr) = r.qr_code else {
        panic!("no qrCode")
    };
    let n = NoticeNumber::parse(&qr.notice_number);
    assert_eq!(n.as_ref().map(|n| n.check_digit_ok()), Ok(Some(true)));
    assert_eq!(n.as_ref().map(|n| n.segregation_code()), Ok(Some("01")));
    assert_eq!(qr.fiscal_code, st.config().id_pa);
    assert_eq!(
        r.payment_option.map(|o| o.amount),
        Some(Amount::from_cents(1_250))
    );
    assert!(r.fiscal_code_pa.is_some() && r.company_name.is_some());
    let (reply, parsed) = call(&st, &verify(&st, &qr.notice_number));
    assert_ok(&valid(&reply, &parsed));
    // A second demand gets a new notice, never the `unknown` fixture's.
    let (reply, parsed) = call(&st, &demand(&st, "00001", "PGEvPg=="));
    let Message::DemandPaymentNoticeRes(r2) = valid(&reply, &parsed) else {
        panic!("element")
    };
    let n2 = r2.qr_code.map(|q| q.notice_number).unwrap_or_default();
    assert_ne!(n2, qr.notice_number);
    assert_ne!(n2, notice(&st, FixtureRole::Unknown));
}

#[test]
fn demand_refusals() {
    let st = station(Profile::Conformant);
    let cases = [
        ("00002", "PGEvPg==", "PAA_SEMANTICA"),
        // "hello": valid base64, not XML.
        ("00001", "aGVsbG8=", "PAA_SEMANTICA"),
        // <importo>dieci</importo>
        ("00001", "PGltcG9ydG8+ZGllY2k8L2ltcG9ydG8+", "PAA_SEMANTICA"),
        // Not base64: rejected by the XSD type.
        ("00001", "not base64!", "PAA_SINTASSI_XSD"),
    ];
    for (service, data, code) in cases {
        let (reply, parsed) = call(&st, &demand(&st, service, data));
        let msg = valid(&reply, &parsed);
        assert_eq!(msg.kind().0, Primitive::DemandPaymentNotice);
        assert_eq!(ko_code(&st, &msg), code, "{service} {data}");
    }
}
