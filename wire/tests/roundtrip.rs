//! Writer and reader agree: every valid message of every (primitive × direction) shape reads
//! back identical, with no violation at all, from both the SOAP form (`to_xml`) and the bare
//! payload (`to_payload_xml`, which only earns the `NoEnvelope` warning). And the reader never
//! panics, whatever bytes it is given.

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use collaudo_wire::{Message, Prefixes, Rule, Severity, parse};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};

fn check_round_trip(m: &Message) -> Result<(), TestCaseError> {
    let xml = m.to_xml();
    let p = parse(xml.as_bytes());
    prop_assert!(
        p.violations.is_empty(),
        "violations in the SOAP form: {:#?}\n{xml}",
        p.violations
    );
    prop_assert!(p.is_valid() && p.is_schema_valid());
    prop_assert!(p.enveloped);
    prop_assert!(p.soap_fault.is_none());
    prop_assert_eq!(p.kind, Some(m.kind()));
    prop_assert_eq!(
        p.message.as_ref(),
        Some(m),
        "SOAP form read back differently:\n{}",
        xml
    );
    let strict = Message::from_xml(xml.as_bytes());
    prop_assert_eq!(strict.as_ref(), Ok(m));

    let payload = m.to_payload_xml();
    let p = parse(payload.as_bytes());
    prop_assert!(
        p.violations.len() == 1
            && p.violations[0].rule == Rule::NoEnvelope
            && p.violations[0].severity == Severity::Warning,
        "the bare payload should only earn the NoEnvelope warning: {:#?}\n{payload}",
        p.violations
    );
    prop_assert!(p.is_valid() && p.is_schema_valid());
    prop_assert!(!p.enveloped);
    prop_assert_eq!(p.kind, Some(m.kind()));
    prop_assert_eq!(
        p.message.as_ref(),
        Some(m),
        "payload form read back differently:\n{}",
        payload
    );
    Ok(())
}

proptest! {
    #[test]
    fn verify_payment_notice_req_round_trips(m in common::verify_payment_notice_req()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn verify_payment_notice_res_round_trips(m in common::verify_payment_notice_res()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn get_payment_req_round_trips(m in common::get_payment_req()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn get_payment_res_round_trips(m in common::get_payment_res()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn get_payment_v2_req_round_trips(m in common::get_payment_v2_req()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn get_payment_v2_res_round_trips(m in common::get_payment_v2_res()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn send_rt_req_round_trips(m in common::send_rt_req()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn send_rt_res_round_trips(m in common::send_rt_res()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn send_rt_v2_req_round_trips(m in common::send_rt_v2_req()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn send_rt_v2_res_round_trips(m in common::send_rt_v2_res()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn demand_payment_notice_req_round_trips(m in common::demand_payment_notice_req()) {
        check_round_trip(&m)?;
    }

    #[test]
    fn demand_payment_notice_res_round_trips(m in common::demand_payment_notice_res()) {
        check_round_trip(&m)?;
    }
}

/// Prefix forms other SOAP stacks write. Whatever the prefixes, a namespace-aware reader sees
/// the same message: the SOAP form reads back with no violation at all, the bare payload with
/// only the `NoEnvelope` warning.
const PREFIX_FORMS: &[Prefixes<'static>] = &[
    Prefixes::CANONICAL,
    Prefixes::JAX_WS,
    Prefixes::DEFAULT_NS,
    // Envelope in the default namespace: the wrapper's children must undeclare it.
    Prefixes {
        envelope: "",
        payload: "ns2",
    },
    // Both default: the wrapper re-declares the default, its children undeclare it.
    Prefixes {
        envelope: "",
        payload: "",
    },
    // One prefix for both namespaces: the wrapper rebinds it.
    Prefixes {
        envelope: "x",
        payload: "x",
    },
];

fn check_prefix_form(m: &Message, prefixes: Prefixes<'_>) -> Result<(), TestCaseError> {
    let xml = m.to_xml_with(prefixes).unwrap();
    let p = parse(xml.as_bytes());
    prop_assert!(
        p.violations.is_empty(),
        "violations with {prefixes:?}: {:#?}\n{xml}",
        p.violations
    );
    prop_assert!(p.enveloped);
    prop_assert_eq!(
        p.message.as_ref(),
        Some(m),
        "{:?} read back differently:\n{}",
        prefixes,
        xml
    );

    let payload = m.to_payload_xml_with(prefixes).unwrap();
    let p = parse(payload.as_bytes());
    prop_assert!(
        p.violations.len() == 1 && p.violations[0].rule == Rule::NoEnvelope,
        "bare payload with {prefixes:?}: {:#?}\n{payload}",
        p.violations
    );
    prop_assert_eq!(
        p.message.as_ref(),
        Some(m),
        "{:?} payload read back differently:\n{}",
        prefixes,
        payload
    );
    Ok(())
}

proptest! {
    #[test]
    fn every_prefix_form_reads_back_as_the_same_message(
        m in common::any_message(),
        form in select(PREFIX_FORMS),
    ) {
        check_prefix_form(&m, form)?;
    }
}

/// Invariants that hold for any input: a typed message only comes with a schema-valid verdict,
/// and every reported position lies inside the input.
fn check_parse_is_sane(bytes: &[u8]) -> Result<(), TestCaseError> {
    let p = parse(bytes);
    if p.message.is_some() {
        prop_assert!(
            p.is_schema_valid(),
            "a message came with structural errors: {:#?}",
            p.violations
        );
    }
    for v in &p.violations {
        if let Some(off) = v.offset {
            prop_assert!(off <= bytes.len(), "offset {off} beyond input: {v}");
        }
    }
    Ok(())
}

/// Fragments that make random inputs look enough like pagoPA SOAP to get past the XML layer.
const TOKENS: &[&str] = &[
    "<",
    ">",
    "/>",
    "</",
    "=\"",
    "\"",
    " ",
    "\n",
    "&amp;",
    "&#xE8;",
    "&bogus;",
    "<![CDATA[x]]>",
    "<!-- c -->",
    "<?pi x?>",
    "soapenv:",
    "pafn:",
    "Envelope",
    "Body",
    "Header",
    "Fault",
    "faultcode",
    " xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"",
    " xmlns:soapenv=\"http://www.w3.org/2003/05/soap-envelope\"",
    " xmlns:pafn=\"http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd\"",
    " xmlns=\"http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd\"",
    "paVerifyPaymentNoticeRes",
    "paGetPaymentV2Response",
    "paSendRTReq",
    "outcome",
    "OK",
    "KO",
    "fault",
    "data",
    "transferList",
    "transfer",
    "idTransfer",
    "transferAmount",
    "1.00",
    "0.00",
    "77777777777",
    "302000100000009424",
    "è",
    "\u{a0}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..400)) {
        check_parse_is_sane(&bytes)?;
    }

    #[test]
    fn parse_never_panics_on_token_soup(tokens in vec(select(TOKENS), 0..80)) {
        check_parse_is_sane(tokens.concat().as_bytes())?;
    }

    #[test]
    fn parse_never_panics_on_damaged_messages(
        m in common::any_message(),
        payload in any::<bool>(),
        at in any::<Index>(),
        byte in any::<u8>(),
        how in 0u8..4,
    ) {
        let mut bytes = if payload { m.to_payload_xml() } else { m.to_xml() }.into_bytes();
        let i = at.index(bytes.len());
        match how {
            0 => bytes[i] = byte,
            1 => { bytes.remove(i); }
            2 => bytes.insert(i, byte),
            _ => bytes.truncate(i),
        }
        check_parse_is_sane(&bytes)?;
    }
}
