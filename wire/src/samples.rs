//! Realistic sample messages, shared by benchmarks, examples and documentation: a
//! paSendRTV2 request with five transfers (one stamp) and a paGetPaymentV2 response with five
//! transfers, both valid.

use crate::*;

/// A natural-person debtor with every optional field.
pub fn subject() -> Subject {
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

/// Five transfers of 20.00; with `receipt`, the fifth carries an MBDAttachment.
pub fn transfers(receipt: bool) -> Vec<Transfer> {
    (1..=5u8)
        .map(|i| Transfer {
            id_transfer: i,
            transfer_amount: Amount::from_cents(2_000),
            fiscal_code_pa: if i == 1 {
                "77777777777".into()
            } else {
                format!("0123456789{i}")
            },
            company_name: Some(format!("Ente beneficiario {i}")),
            beneficiary: if i == 5 && receipt {
                Beneficiary::MbdAttachment("PG1hcmNhRGFCb2xsbz48L21hcmNhRGFCb2xsbz4=".into())
            } else {
                Beneficiary::Iban("IT60X0542811101000000123456".into())
            },
            remittance_information: format!("/RFB/01000000000000144/20.00/TXT/quota {i}"),
            transfer_category: "0101101IM".into(),
            metadata: vec![MapEntry {
                key: "DatiSpecificiRiscossione".into(),
                value: "9/0101101IM/".into(),
            }],
        })
        .collect()
}

/// A paSendRTV2 request with five transfers, the largest message collaudo sends.
pub fn send_rt_v2_request() -> Message {
    Message::SendRtV2Req(Box::new(SendRtReq {
        caller: Caller {
            id_pa: "77777777777".into(),
            id_broker_pa: "77777777777".into(),
            id_station: "77777777777_01".into(),
        },
        receipt: Receipt {
            receipt_id: "c110729d258c4ab1b765fe902aae41d6".into(),
            notice_number: "301000000000000144".into(),
            fiscal_code: "77777777777".into(),
            outcome: Outcome::Ok,
            creditor_reference_id: "01000000000000144".into(),
            payment_amount: Amount::from_cents(10_000),
            description: "TARI 2026".into(),
            company_name: "Comune di Prova".into(),
            office_name: Some("Ufficio Tributi".into()),
            debtor: subject(),
            transfers: transfers(true),
            id_psp: "BNLIITRR".into(),
            psp_fiscal_code: Some("09339391006".into()),
            psp_partita_iva: Some("09339391006".into()),
            psp_company_name: "PSP di collaudo".into(),
            id_channel: "09339391006_01".into(),
            channel_description: "app".into(),
            payer: Some(subject()),
            payment_method: Some("creditCard".into()),
            payment_note: Some("idCart-1".into()),
            fee: Some(Amount::from_cents(150)),
            primary_ci_incurred_fee: Some(Amount::from_cents(50)),
            id_bundle: Some("bundle-1".into()),
            id_ci_bundle: Some("ci-bundle-1".into()),
            payment_date_time: Some("2026-11-25T10:15:30".into()),
            application_date: Some("2026-11-25".into()),
            transfer_date: Some("2026-11-26".into()),
            metadata: vec![MapEntry {
                key: "k".into(),
                value: "v".into(),
            }],
            stand_in: Some(false),
        },
    }))
}

/// A paGetPaymentV2 response with five transfers, the largest message collaudo reads.
pub fn get_payment_v2_response() -> Message {
    Message::GetPaymentV2Res(Box::new(GetPaymentRes {
        outcome: Outcome::Ok,
        fault: None,
        data: Some(PaymentData {
            creditor_reference_id: "01000000000000144".into(),
            payment_amount: Amount::from_cents(10_000),
            due_date: "2026-12-31".into(),
            retention_date: None,
            last_payment: None,
            description: "TARI 2026".into(),
            company_name: Some("Comune di Prova".into()),
            office_name: Some("Ufficio Tributi".into()),
            debtor: subject(),
            transfers: transfers(false),
            metadata: vec![MapEntry {
                key: "k".into(),
                value: "v".into(),
            }],
        }),
    }))
}
