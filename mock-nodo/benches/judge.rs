//! Judge time on hostile replies is linear in their size (issue 9, "Performance"): a
//! paVerifyPaymentNoticeRes carrying N misplaced sibling elements, for N from 1 000 to
//! 1 000 000 (8 bytes each, so up to 8 MB, under the mock Nodo's 10 MiB cap). Time per MB
//! should stay roughly constant. Run: `cargo bench -p collaudo-nodo --bench judge`.

use collaudo_nodo::journal::{Exchange, HttpReply};
use collaudo_nodo::{BackOffice, CheckPolicy, VirtualTime, judge};
use collaudo_wire::{Message, Primitive};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const REQUEST: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paVerifyPaymentNoticeReq><idPA>77777777777</idPA><idBrokerPA>77777777777</idBrokerPA><idStation>77777777777_01</idStation><qrCode><fiscalCode>77777777777</fiscalCode><noticeNumber>301000000000000144</noticeNumber></qrCode></pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>"#;

const REPLY: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paVerifyPaymentNoticeRes><outcome>OK</outcome><paymentList><paymentOptionDescription><amount>30.00</amount><options>EQ</options><dueDate>2026-12-31</dueDate><detailDescription>TARI 2026</detailDescription><allCCP>false</allCCP></paymentOptionDescription></paymentList><paymentDescription>TARI 2026</paymentDescription><fiscalCodePA>77777777777</fiscalCodePA><companyName>Comune di Prova</companyName></pafn:paVerifyPaymentNoticeRes></soapenv:Body></soapenv:Envelope>"#;

fn exchange(body: Vec<u8>) -> Exchange {
    Exchange {
        seq: 1,
        primitive: Primitive::VerifyPaymentNotice,
        url: "http://127.0.0.1:1/pa".into(),
        request_headers: Vec::new(),
        request_body: String::new(),
        response: Some(HttpReply {
            status: 200,
            headers: vec![("content-type".into(), "text/xml".into())],
            body,
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

fn bench(c: &mut Criterion) {
    let request = Message::from_xml(REQUEST.as_bytes()).expect("a valid verify request");
    let reply = REPLY.to_string();
    let backoffice = BackOffice::default();
    let policy = CheckPolicy {
        check_ibans: false,
        ..CheckPolicy::default()
    };
    let mut g = c.benchmark_group("judge-misplaced-siblings");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for n in [1_000usize, 10_000, 100_000, 1_000_000] {
        let body = reply.replacen(
            "<outcome>",
            &format!("{}<outcome>", "<b>x</b>".repeat(n)),
            1,
        );
        let ex = exchange(body.into_bytes());
        let len = ex.response.as_ref().map_or(0, |r| r.body.len());
        let j = judge(&ex, &request, &backoffice, &policy);
        assert!(
            !j.outcome.is_ok(),
            "a reply with {n} misplaced elements must fail"
        );
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &ex, |b, ex| {
            b.iter(|| black_box(judge(black_box(ex), &request, &backoffice, &policy)))
        });
    }
    g.finish();

    // The issue's own case: 500 000 misplaced `<officeName/>`, one per line, between outcome
    // and paymentList (as in wire/tests/hostile.rs): 7 MB. Target: judged in < 100 ms.
    let body = reply.replacen(
        "<paymentList>",
        &format!("{}\n<paymentList>", "\n<officeName/>".repeat(500_000)),
        1,
    );
    let ex = exchange(body.into_bytes());
    let len = ex.response.as_ref().map_or(0, |r| r.body.len());
    assert!(len > 7_000_000, "{len} bytes");
    assert!(!judge(&ex, &request, &backoffice, &policy).outcome.is_ok());
    let mut g = c.benchmark_group("judge-hostile");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Bytes(len as u64));
    g.bench_function("500000-misplaced-officeName-7MB", |b| {
        b.iter(|| black_box(judge(black_box(&ex), &request, &backoffice, &policy)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
