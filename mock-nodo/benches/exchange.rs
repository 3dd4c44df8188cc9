//! Per-exchange overhead of collaudo's client + judgement against a bare reqwest loop posting
//! the same bytes to the same reference station (loopback, keep-alive); the same exchange over
//! HTTPS with mutual TLS (keep-alive), and the cost of one new TLS connection (TCP connect +
//! handshake with the client certificate).
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
    // The same station over HTTPS with mutual TLS, from throw-away certificates.
    let certs = collaudo_certs::throwaway::Throwaway::generate().expect("certificates");
    let tls_station = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let tls = collaudo_certs::server_config_from_pem(
            &certs.station.cert_pem,
            &certs.station.key_pem,
            Some(&certs.client_ca.cert_pem),
        )
        .expect("server config");
        collaudo_station::start_tls(StationConfig::default(), listener, tls)
            .await
            .expect("tls station")
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, &certs.ca.cert_pem).expect("ca");
    let (cert, key) = certs.client.write(dir.path(), "nodo").expect("client");
    let settings = collaudo_nodo::TlsSettings::load(&collaudo_nodo::TlsOptions {
        ca: Some(ca),
        ca_only: true,
        client_cert: Some(cert),
        client_key: Some(key),
        ..Default::default()
    })
    .expect("tls settings");
    let tls_client = NodoClient::new(
        StationTarget {
            url: tls_station.url.clone(),
            caller: caller.clone(),
            soap_action_style: Default::default(),
        },
        Arc::new(collaudo_nodo::Connection {
            tls: Some(settings.clone()),
            ..Default::default()
        }),
        Timeouts::nodo(),
        Arc::new(VirtualClock::new(VirtualTime::EPOCH)),
        journal.clone(),
    )
    .expect("tls client");
    let tls_addr = tls_station.addr;

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
    g.bench_function("collaudo-send+judge-https-mtls", |b| {
        b.iter(|| {
            rt.block_on(async {
                let ex = tls_client.send(&msg, None, None, None).await;
                assert!(ex.response.is_some(), "{:?}", ex.transport_error);
                black_box(judge(&ex, &msg, &backoffice, &policy))
            })
        })
    });
    g.finish();
    let mut g = c.benchmark_group("tls-connection");
    let connector = tokio_rustls::TlsConnector::from(settings.client_config().clone());
    g.bench_function("tcp-connect+mtls-handshake", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tcp = tokio::net::TcpStream::connect(tls_addr)
                    .await
                    .expect("connect");
                let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
                black_box(connector.connect(name, tcp).await.expect("handshake"))
            })
        })
    });
    g.finish();
    eprintln!("journal entries: {}", journal.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
