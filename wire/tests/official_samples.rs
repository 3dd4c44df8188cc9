//! The official historical samples in `../shared/pagopa-api/samples` (PROVENANCE.md says which
//! ones still validate against today's XSD). Skipped, with the reason printed, when the folder
//! is absent.

use collaudo_wire::{Direction, Primitive, Rule, parse};
use std::path::PathBuf;

fn samples_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/pagopa-api/samples");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} not found (the official pagoPA samples live in ../shared beside the repo)",
            dir.display()
        );
        None
    }
}

fn read(name: &str) -> Option<Vec<u8>> {
    let dir = samples_dir()?;
    Some(std::fs::read(dir.join(name)).expect("sample readable"))
}

#[test]
fn valid_samples_are_accepted() {
    for (name, kind) in [
        (
            "200PaVerifyPaymentNotice.xml",
            (Primitive::VerifyPaymentNotice, Direction::Response),
        ),
        (
            "ReqPaGetPayment.xml",
            (Primitive::GetPayment, Direction::Request),
        ),
        ("200PaSendRT.xml", (Primitive::SendRt, Direction::Response)),
    ] {
        let Some(bytes) = read(name) else { return };
        let p = parse(&bytes);
        assert_eq!(p.kind, Some(kind), "{name}");
        assert!(p.is_valid(), "{name}: {:#?}", p.violations);
        assert!(p.message.is_some(), "{name}");
    }
}

#[test]
fn get_payment_sample_lacks_transfer_category() {
    let Some(bytes) = read("200PaGetPayment.xml") else {
        return;
    };
    let p = parse(&bytes);
    assert!(!p.is_valid());
    let paths: Vec<_> = p
        .errors()
        .map(|v| (v.path.as_str(), v.rule.clone()))
        .collect();
    assert_eq!(
        paths,
        vec![
            (
                "/Envelope/Body/paGetPaymentRes/data/transferList/transfer[1]/transferCategory",
                Rule::Missing
            ),
            (
                "/Envelope/Body/paGetPaymentRes/data/transferList/transfer[2]/transferCategory",
                Rule::Missing
            ),
        ]
    );
    let first = p.errors().next().unwrap();
    let pos = first.position.unwrap();
    assert!(pos.line > 1, "{pos}");
}

#[test]
fn send_rt_sample_lacks_transfer_category() {
    let Some(bytes) = read("ReqPaSendRT.xml") else {
        return;
    };
    let p = parse(&bytes);
    assert!(!p.is_valid());
    assert!(
        p.errors()
            .all(|v| v.path.ends_with("/transferCategory") && v.rule == Rule::Missing),
        "{:#?}",
        p.violations
    );
}

#[test]
fn verify_request_sample_uses_the_psp_namespace() {
    let Some(bytes) = read("ReqPaVerifyPayment.xml") else {
        return;
    };
    let p = parse(&bytes);
    let errors: Vec<_> = p.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path, "/Envelope/Body/paVerifyPaymentNoticeReq");
    match &errors[0].rule {
        Rule::WrongNamespace { expected, found } => {
            assert_eq!(expected, "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd");
            assert_eq!(found, "http://pagopa-api.pagopa.gov.it/node/nodeForPsp.xsd");
        }
        other => panic!("unexpected rule {other:?}"),
    }
}
