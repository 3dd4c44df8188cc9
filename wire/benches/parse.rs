//! Parse + validate throughput of the two largest messages collaudo reads on its hot path:
//! a paSendRTV2 request with five transfers and a paGetPaymentV2 response.
//! Run: `cargo bench -p collaudo-wire --bench parse`.

use collaudo_wire::{parse, samples};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse+validate");
    for (name, msg) in [
        (
            "paSendRTV2Request-5-transfers",
            samples::send_rt_v2_request(),
        ),
        (
            "paGetPaymentV2Response-5-transfers",
            samples::get_payment_v2_response(),
        ),
    ] {
        let xml = msg.to_xml();
        let parsed = parse(xml.as_bytes());
        assert!(parsed.violations.is_empty(), "{:?}", parsed.violations);
        g.throughput(Throughput::Bytes(xml.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(parse(black_box(xml.as_bytes()))))
        });
    }
    g.finish();
    let mut w = c.benchmark_group("write");
    let msg = samples::send_rt_v2_request();
    w.throughput(Throughput::Bytes(msg.to_xml().len() as u64));
    w.bench_function("paSendRTV2Request-5-transfers", |b| {
        b.iter(|| black_box(msg.to_xml()))
    });
    w.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
