//! The server over TLS (CON-001): server and mutual authentication with rustls clients, and the
//! limits of plain HTTP kept for handshakes (a silent client, a garbage ClientHello).

use axum::Router;
use axum::routing::post;
use collaudo_certs::server_config_from_pem;
use collaudo_certs::throwaway::{Issued, Throwaway};
use collaudo_serve::{Limits, serve_tls};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsConnector;

const REQUEST: &[u8] =
    b"POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello";

fn certs() -> &'static Throwaway {
    static CERTS: OnceLock<Throwaway> = OnceLock::new();
    CERTS.get_or_init(|| Throwaway::generate().unwrap())
}

async fn start(client_ca: Option<&str>, limits: Limits) -> (SocketAddr, oneshot::Sender<()>) {
    let t = certs();
    let tls = server_config_from_pem(&t.station.cert_pem, &t.station.key_pem, client_ca).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/echo", post(|body: String| async move { body }));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_tls(listener, router, limits, tls, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

fn client(identity: Option<&Issued>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(certs().ca.cert_der()).unwrap();
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    Arc::new(match identity {
        None => builder.with_no_client_auth(),
        Some(id) => builder
            .with_client_auth_cert(vec![id.cert_der()], id.key_der())
            .unwrap(),
    })
}

/// One request over TLS; the whole answer, or why there was none.
async fn exchange(addr: SocketAddr, config: Arc<ClientConfig>) -> Result<String, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").unwrap();
    let attempt = async {
        let mut tls = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tls.write_all(REQUEST).await.map_err(|e| e.to_string())?;
        let mut got = Vec::new();
        tls.read_to_end(&mut got)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if got.is_empty() {
            return Err("closed with no answer".to_string());
        }
        Ok(String::from_utf8_lossy(&got).into_owned())
    };
    tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .map_err(|_| "no answer in 10 s".to_string())?
}

/// Wait until the server closes `stream` (EOF or reset), failing after `limit`. What it sends
/// first (an alert, an HTTP 400) is read and ignored.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 256];
    let drained = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, drained).await.is_ok()
}

#[tokio::test]
async fn a_client_trusting_the_ca_gets_its_answer() {
    let (addr, _stop) = start(None, Limits::default()).await;
    let answer = exchange(addr, client(None)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("hello"), "{answer}");
}

#[tokio::test]
async fn a_client_not_trusting_the_ca_refuses_the_server() {
    let (addr, _stop) = start(None, Limits::default()).await;
    let config = Arc::new(
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(RootCertStore::empty())
            .with_no_client_auth(),
    );
    let e = exchange(addr, config).await.unwrap_err();
    assert!(e.starts_with("handshake"), "{e}");
    // And the server is still there.
    exchange(addr, client(None)).await.unwrap();
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_client_ca() {
    let t = certs();
    let (addr, _stop) = start(Some(&t.client_ca.cert_pem), Limits::default()).await;
    let e = exchange(addr, client(None)).await.unwrap_err();
    assert!(!e.contains("200"), "no client certificate: {e}");
    let e = exchange(addr, client(Some(&t.untrusted_client)))
        .await
        .unwrap_err();
    assert!(!e.contains("200"), "untrusted client certificate: {e}");
    let answer = exchange(addr, client(Some(&t.client))).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_client_that_never_sends_a_client_hello_is_closed_after_the_header_read_timeout() {
    let (addr, _stop) = start(
        None,
        Limits {
            header_read_timeout: Duration::from_millis(200),
            ..Limits::default()
        },
    )
    .await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let since = std::time::Instant::now();
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);
    assert!(
        since.elapsed() >= Duration::from_millis(150),
        "closed too early: {:?}",
        since.elapsed()
    );
}

#[tokio::test]
async fn at_the_cap_a_connection_still_in_its_handshake_makes_room() {
    let (addr, _stop) = start(
        None,
        Limits {
            max_connections: 2,
            ..Limits::default()
        },
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    // Let the server accept both before the third arrives.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let answer = exchange(addr, client(None)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        closed_within(&mut held[0], Duration::from_secs(5)).await,
        "the oldest connection, silent in its handshake, made room"
    );
}

#[tokio::test]
async fn a_client_that_handshakes_and_sends_no_head_is_closed_within_the_same_timeout() {
    let (addr, _stop) = start(
        None,
        Limits {
            header_read_timeout: Duration::from_millis(300),
            ..Limits::default()
        },
    )
    .await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = TlsConnector::from(client(None))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "still open: {read:?}");
}

#[tokio::test]
async fn a_garbage_client_hello_does_not_stop_the_next_client() {
    let (addr, _stop) = start(None, Limits::default()).await;
    let mut garbage = TcpStream::connect(addr).await.unwrap();
    // A handshake record header announcing a ClientHello, then nonsense.
    garbage
        .write_all(b"\x16\x03\x01\x00\x10\x01\x00\x00\x0cgarbage garbage")
        .await
        .unwrap();
    let mut plain_http = TcpStream::connect(addr).await.unwrap();
    plain_http
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_within(&mut garbage, Duration::from_secs(5)).await);
    assert!(closed_within(&mut plain_http, Duration::from_secs(5)).await);
    let answer = exchange(addr, client(None)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn tls_1_2_and_1_3_both_handshake() {
    let (addr, _stop) = start(None, Limits::default()).await;
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let mut roots = RootCertStore::empty();
        roots.add(certs().ca.cert_der()).unwrap();
        let config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_protocol_versions(&[version])
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        let answer = exchange(addr, Arc::new(config)).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{version:?}: {answer}");
    }
}
