//! Per-exchange overhead of collaudo's client + judgement against a bare reqwest loop posting
//! the same bytes to the same reference station (loopback, keep-alive).
//! Run: `cargo bench -p collaudo-nodo --bench exchange`.

use collaudo_nodo::{
    BackOffice, CheckPolicy, Clock, Journal, NodoClient, StationTarget, Timeouts, VirtualClock,
    VirtualTime, judge,
};
use collaudo_station::{FixtureRole, StationConfig};
use collaudo_wire::{Caller, Primitive, QrCode, soap_action};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let station = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        collaudo_station::start(StationConfig::default(), listener)
            .await
            .expect("station")
    });
    let notice = station
        .fixtures()
        .notice(FixtureRole::Payable)
        .expect("payable")
        .to_string();
    let config = StationConfig::default();
    let caller = Caller {
        id_pa: config.id_pa.clone(),
        id_broker_pa: config.id_broker_pa.clone(),
        id_station: config.id_station.clone(),
    };
    let journal = Arc::new(Journal::in_memory());
    let clock: Arc<dyn Clock> = Arc::new(VirtualClock::new(VirtualTime::EPOCH));
    let client = NodoClient::new(
        StationTarget {
            url: station.url.clone(),
            caller: caller.clone(),
            soap_action_style: Default::default(),
        },
        Default::default(),
        Timeouts::nodo(),
        clock,
        journal.clone(),
    )
    .expect("client");
    let msg = client.verify(QrCode {
        fiscal_code: caller.id_pa.clone(),
        notice_number: notice,
    });
    let body = msg.to_xml();
    let backoffice = BackOffice::default();
    let policy = CheckPolicy {
        check_ibans: false,
        ..CheckPolicy::default()
    };

    collaudo_nodo::tls::install_default_provider();
    let bare = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest");
    let mut g = c.benchmark_group("verify-exchange");
    g.bench_function("bare-reqwest", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = bare
                    .post(&station.url)
                    .header("Content-Type", "text/xml; charset=utf-8")
                    .header("SOAPAction", soap_action(Primitive::VerifyPaymentNotice))
                    .body(body.clone())
                    .send()
                    .await
                    .expect("send");
                black_box(r.bytes().await.expect("body"))
            })
        })
    });
    g.bench_function("collaudo-send+judge", |b| {
        b.iter(|| {
            rt.block_on(async {
                let ex = client.send(&msg, None, None, None).await;
                black_box(judge(&ex, &msg, &backoffice, &policy))
            })
        })
    });
    g.finish();
    eprintln!("journal entries: {}", journal.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
