//! Parses one of the two benchmark messages many times, for instruction-count profiling
//! (`valgrind --tool=cachegrind --cache-sim=no`), where Criterion's own code would blur the
//! figures. Usage: `parse_loop send|get|verify [iterations]` (default 20 000), or
//! `parse_loop hostile [iterations]`: a verify reply with 500 000 misplaced `officeName`
//! elements (7 MB, issue 9's hostile case), parsed once per iteration (default 1).

use collaudo_wire::{parse, samples};
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "send".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    if which == "hostile" {
        let xml = hostile();
        let n = if n == 20_000 { 1 } else { n };
        for _ in 0..n {
            black_box(parse(black_box(xml.as_bytes())));
        }
        println!("{} bytes, {n} parses", xml.len());
        return;
    }
    let xml = match which.as_str() {
        "send" => samples::send_rt_v2_request().to_xml(),
        "get" => samples::get_payment_v2_response().to_xml(),
        "verify" => VERIFY.to_string(),
        other => {
            eprintln!("unknown message {other:?}: send, get, verify or hostile");
            std::process::exit(2);
        }
    };
    let first = parse(xml.as_bytes());
    assert!(first.violations.is_empty(), "{:?}", first.violations);
    for _ in 0..n {
        black_box(parse(black_box(xml.as_bytes())));
    }
    println!("{} bytes, {n} parses", xml.len());
}

/// A paVerifyPaymentNoticeReq as the Nodo sends it (one line, no XML declaration, no Header):
/// the request the reference station answers most, 480 bytes.
const VERIFY: &str = concat!(
    r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" "#,
    r#"xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body>"#,
    r#"<pafn:paVerifyPaymentNoticeReq><idPA>77777777777</idPA><idBrokerPA>77777777777</idBrokerPA>"#,
    r#"<idStation>77777777777_01</idStation><qrCode><fiscalCode>77777777777</fiscalCode>"#,
    r#"<noticeNumber>301653275527541323</noticeNumber></qrCode></pafn:paVerifyPaymentNoticeReq>"#,
    r#"</soapenv:Body></soapenv:Envelope>"#
);

/// A valid paVerifyPaymentNoticeRes with 500 000 `<officeName/>` between `outcome` and
/// `paymentList`, each on its own line (as in `wire/tests/hostile.rs`).
fn hostile() -> String {
    let inner = "\n<officeName/>".repeat(500_000);
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header></soapenv:Header><soapenv:Body>
<w:paVerifyPaymentNoticeRes xmlns:w="{}">
<outcome>OK</outcome>{inner}
<paymentList><paymentOptionDescription><amount>30.00</amount><options>EQ</options><allCCP>false</allCCP></paymentOptionDescription></paymentList>
<paymentDescription>TARI 2026</paymentDescription>
<fiscalCodePA>77777777777</fiscalCodePA>
<companyName>Comune di Prova</companyName>
</w:paVerifyPaymentNoticeRes></soapenv:Body></soapenv:Envelope>"#,
        collaudo_wire::xml::NS_PAFORNODE
    )
}
