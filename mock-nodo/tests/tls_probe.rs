//! The TLS-version probe (CON-001) against real sockets: collaudo's own rustls server refuses
//! TLS 1.0 and 1.1, a stub that answers a TLS 1.0 ServerHello is caught, a plain-HTTP server
//! is not TLS, and a closed port is unreachable.

use axum::Router;
use axum::routing::get;
use collaudo_certs::server_config_from_pem;
use collaudo_certs::throwaway::Throwaway;
use collaudo_nodo::tls_probe::{LegacyVersion, ProbeOutcome, Refusal, probe_legacy};
use collaudo_serve::{Limits, serve_tls};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(5);

async fn tls_server() -> SocketAddr {
    let t = Throwaway::generate().unwrap();
    let tls = server_config_from_pem(&t.station.cert_pem, &t.station.key_pem, None).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/", get(|| async { "ok" }));
    tokio::spawn(serve_tls(
        listener,
        router,
        Limits::default(),
        tls,
        std::future::pending(),
    ));
    addr
}

/// A server that reads whatever comes (the ClientHello) and writes `answer`.
async fn stub(answer: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&answer).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn the_rustls_server_refuses_tls_1_0_and_1_1() {
    let addr = tls_server().await;
    for version in LegacyVersion::ALL {
        for host in ["localhost", "127.0.0.1"] {
            let outcome = probe_legacy(host, addr.port(), version, TIMEOUT).await;
            // rustls 0.23 answers a fatal handshake_failure (40): it finds none of its TLS 1.2
            // suites in a TLS 1.0/1.1 hello before it looks at the version. Any alert, close or
            // reset is a refusal.
            match &outcome {
                ProbeOutcome::Refused {
                    how: Refusal::Alert { .. } | Refusal::Closed | Refusal::Reset,
                } => {}
                other => panic!("{version} via {host}: {other}"),
            }
            eprintln!("{version} via {host}: {outcome}");
        }
    }
}

#[tokio::test]
async fn a_tls_1_0_server_hello_is_acceptance() {
    let mut body = 0x0301u16.to_be_bytes().to_vec();
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // session id
    body.extend_from_slice(&[0xc0, 0x13, 0]); // suite, compression
    let mut handshake = vec![2, 0, 0, body.len() as u8];
    handshake.extend_from_slice(&body);
    let mut record = vec![22, 3, 1, 0, handshake.len() as u8];
    record.extend_from_slice(&handshake);
    let addr = stub(record).await;
    let outcome = probe_legacy("localhost", addr.port(), LegacyVersion::Tls10, TIMEOUT).await;
    assert_eq!(outcome, ProbeOutcome::Accepted { version: 0x0301 });
    assert_eq!(
        outcome.to_string(),
        "accepted: the station answered with a ServerHello for TLS 1.0 (0x0301)"
    );
}

#[tokio::test]
async fn a_plain_http_server_is_not_tls() {
    let addr = stub(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".to_vec()).await;
    let outcome = probe_legacy("127.0.0.1", addr.port(), LegacyVersion::Tls11, TIMEOUT).await;
    match &outcome {
        ProbeOutcome::NotTls { start } => {
            assert!(start.starts_with("HTTP/1.1 400 Bad Request"), "{start}");
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let outcome = probe_legacy("127.0.0.1", port, LegacyVersion::Tls10, TIMEOUT).await;
    assert!(
        matches!(outcome, ProbeOutcome::Unreachable { .. }),
        "{outcome}"
    );
}
