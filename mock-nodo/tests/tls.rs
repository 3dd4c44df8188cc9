//! The Nodo's client toward an `https://` station: certificates made at test time with rcgen,
//! a small TLS responder on 127.0.0.1, and every way the connection can fail, each with its
//! [`TlsReason`] and the Nodo's verdict. Also the connection settings that are not TLS:
//! gateway headers (sent, never journalled), redirects (judged, never followed), proxies.

use collaudo_nodo::{
    BackOffice, CheckPolicy, Connection, Exchange, GatewayHeader, Journal, NodoClient, NodoOutcome,
    ProxyChoice, SoapActionStyle, StationTarget, Timeouts, TlsOptions, TlsReason, TlsSettings,
    TransportErrorKind, VirtualClock, VirtualTime, judge,
};
use collaudo_wire::{Caller, FaultCode, QrCode};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const BODY: &str = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body/></soapenv:Envelope>";

/// A CA that signs certificates for the tests.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Res<Ca> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Ok(Ca {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate()?)?,
        })
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A leaf for `names`, valid from `from` to `until` (years).
    fn leaf(&self, names: &[&str], from: i32, until: i32) -> Res<Leaf> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(until, 1, 1);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Leaf {
            cert_pem: cert.pem(),
            cert: cert.der().clone(),
            key_pem: key.serialize_pem(),
            key: key.serialize_der(),
        })
    }

    fn valid_leaf(&self, names: &[&str]) -> Res<Leaf> {
        self.leaf(names, 2020, 2099)
    }
}

struct Leaf {
    cert: CertificateDer<'static>,
    cert_pem: String,
    key: Vec<u8>,
    key_pem: String,
}

impl Leaf {
    fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()))
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server config presenting `leaf`; with `clients`, client certificates issued by it are
/// required.
fn server_config(leaf: &Leaf, clients: Option<&Ca>) -> Res<rustls::ServerConfig> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
    let builder = match clients {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.der())?;
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            )
            .build()?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    Ok(builder.with_single_cert(vec![leaf.cert.clone()], leaf.key_der())?)
}

/// Read one HTTP/1.1 request (head and `Content-Length` body) and answer 200 with [`BODY`].
async fn respond<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    s.write_all(reply.as_bytes()).await?;
    s.shutdown().await
}

/// A TLS responder on 127.0.0.1; the socket is bound before this returns.
async fn tls_station(config: rustls::ServerConfig) -> Res<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = respond(&mut tls).await;
                }
            });
        }
    });
    Ok(addr)
}

/// A plain-HTTP server that answers anything with 400, as web servers do to a ClientHello.
async fn plain_station() -> Res<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut chunk = [0u8; 1024];
                if tcp.read(&mut chunk).await.is_ok() {
                    let _ = tcp
                        .write_all(
                            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        )
                        .await;
                    let _ = tcp.shutdown().await;
                }
            });
        }
    });
    Ok(addr)
}

/// Files written for one test; removed with the folder.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Res<Files> {
        Ok(Files {
            dir: tempfile::tempdir()?,
        })
    }

    fn write(&self, name: &str, text: &str) -> Res<PathBuf> {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text)?;
        Ok(p)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn target(url: String) -> StationTarget {
    StationTarget {
        url,
        caller: Caller {
            id_pa: "77777777777".into(),
            id_broker_pa: "77777777777".into(),
            id_station: "77777777777_01".into(),
        },
        soap_action_style: SoapActionStyle::Quoted,
    }
}

/// One paVerifyPaymentNotice through `connection`, and the Nodo's verdict.
async fn call(url: String, connection: Connection) -> Res<(Exchange, NodoOutcome)> {
    call_journalled(url, connection, Arc::new(Journal::in_memory())).await
}

async fn call_journalled(
    url: String,
    connection: Connection,
    journal: Arc<Journal>,
) -> Res<(Exchange, NodoOutcome)> {
    let client = NodoClient::new(
        target(url),
        Arc::new(connection),
        Timeouts::uniform(Duration::from_secs(5)),
        Arc::new(VirtualClock::new(VirtualTime::EPOCH)),
        journal,
    )?;
    let msg = client.verify(QrCode {
        fiscal_code: "77777777777".into(),
        notice_number: "301000000000000144".into(),
    });
    let ex = client.send(&msg, None, None, None).await;
    let j = judge(&ex, &msg, &BackOffice::default(), &CheckPolicy::default());
    Ok((ex, j.outcome))
}

fn tls(opts: TlsOptions) -> Res<Connection> {
    Ok(Connection {
        tls: Some(TlsSettings::load(&opts)?),
        ..Connection::plain()
    })
}

/// Trust only `ca` (written to a file in `files`).
fn trusting(files: &Files, ca: &Ca) -> Res<TlsOptions> {
    Ok(TlsOptions {
        ca: Some(files.write("ca.pem", &ca.pem())?),
        ca_only: true,
        ..TlsOptions::default()
    })
}

/// The exchange reached the station and got its 200.
fn assert_ok(ex: &Exchange) {
    assert!(
        ex.transport_error.is_none(),
        "unexpected transport error: {:?}",
        ex.transport_error
    );
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200));
}

/// The exchange failed on TLS for `reason`, and the Nodo answers IRRAGGIUNGIBILE.
fn assert_tls(ex: &Exchange, outcome: &NodoOutcome, reason: TlsReason) {
    let err = ex
        .transport_error
        .as_ref()
        .unwrap_or_else(|| panic!("expected a TLS failure, got {:?}", ex.response));
    assert_eq!(err.kind, TransportErrorKind::Tls, "{err}");
    assert_eq!(err.tls, Some(reason), "{err}");
    assert!(err.message.starts_with("TLS: "), "{err}");
    match outcome {
        NodoOutcome::Nodo { code, reason } => {
            assert_eq!(*code, FaultCode::PptStazioneIntPaIrraggiungibile);
            assert!(reason.starts_with("TLS: "), "{reason}");
        }
        other => panic!("expected the Nodo's IRRAGGIUNGIBILE, got {other:?}"),
    }
}

#[tokio::test]
async fn the_right_ca_connects() -> Res<()> {
    let files = Files::new()?;
    let ca = Ca::new("Station CA")?;
    let addr = tls_station(server_config(
        &ca.valid_leaf(&["localhost", "127.0.0.1"])?,
        None,
    )?)
    .await?;
    let conn = tls(trusting(&files, &ca)?)?;
    let (ex, outcome) = call(
        format!("https://localhost:{}/pa", addr.port()),
        conn.clone(),
    )
    .await?;
    assert_ok(&ex);
    assert!(!matches!(
        outcome,
        NodoOutcome::Nodo {
            code: FaultCode::PptStazioneIntPaIrraggiungibile,
            ..
        }
    ));
    // An IP address in the URL is checked against the certificate's IP names.
    let (ex, _) = call(format!("https://127.0.0.1:{}/pa", addr.port()), conn).await?;
    assert_ok(&ex);
    Ok(())
}

#[tokio::test]
async fn an_expired_certificate_is_named_with_its_date() -> Res<()> {
    let files = Files::new()?;
    let ca = Ca::new("Station CA")?;
    let addr = tls_station(server_config(&ca.leaf(&["localhost"], 2019, 2021)?, None)?).await?;
    let (ex, outcome) = call(
        format!("https://localhost:{}/pa", addr.port()),
        tls(trusting(&files, &ca)?)?,
    )
    .await?;
    assert_tls(&ex, &outcome, TlsReason::Expired);
    let msg = &ex
        .transport_error
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    assert!(msg.contains("expired on 2021-01-01"), "{msg}");
    Ok(())
}

#[tokio::test]
async fn a_certificate_not_yet_valid_is_told_apart() -> Res<()> {
    let files = Files::new()?;
    let ca = Ca::new("Station CA")?;
    let addr = tls_station(server_config(&ca.leaf(&["localhost"], 2090, 2099)?, None)?).await?;
    let (ex, outcome) = call(
        format!("https://localhost:{}/pa", addr.port()),
        tls(trusting(&files, &ca)?)?,
    )
    .await?;
    assert_tls(&ex, &outcome, TlsReason::NotYetValid);
    Ok(())
}

#[tokio::test]
async fn a_certificate_for_another_name_is_a_name_mismatch() -> Res<()> {
    let files = Files::new()?;
    let ca = Ca::new("Station CA")?;
    let addr = tls_station(server_config(&ca.valid_leaf(&["other.example"])?, None)?).await?;
    let (ex, outcome) = call(
        format!("https://localhost:{}/pa", addr.port()),
        tls(trusting(&files, &ca)?)?,
    )
    .await?;
    assert_tls(&ex, &outcome, TlsReason::NameMismatch);
    let msg = ex.transport_error.map(|e| e.message).unwrap_or_default();
    assert!(
        msg.contains("certificate not valid for name localhost"),
        "{msg}"
    );
    assert!(msg.contains("other.example"), "{msg}");
    Ok(())
}

#[tokio::test]
async fn server_name_verifies_a_certificate_for_another_host() -> Res<()> {
    let files = Files::new()?;
    let ca = Ca::new("Station CA")?;
    let addr = tls_station(server_config(
        &ca.valid_leaf(&["station.example.it"])?,
        None,
    )?)
    .await?;
    let opts = TlsOptions {
        server_name: Some("station.example.it".into()),
        ..trusting(&files, &ca)?
    };
    let (ex, _) = call(format!("https://127.0.0.1:{}/pa", addr.port()), tls(opts)?).await?;
    assert_ok(&ex);
    Ok(())
}

#[tokio::test]
async fn an_unknown_ca_is_an_unknown_issuer() -> Res<()> {
    let files = Files::new()?;
    let ca = Ca::new("Station CA")?;
    let other = Ca::new("Someone else")?;
    let addr = tls_station(server_config(&ca.valid_leaf(&["localhost"])?, None)?).await?;
    let (ex, outcome) = call(
        format!("https://localhost:{}/pa", addr.port()),
        tls(trusting(&files, &other)?)?,
    )
    .await?;
    assert_tls(&ex, &outcome, TlsReason::UnknownIssuer);
    Ok(())
}

#[tokio::test]
async fn a_ca_certificate_served_as_the_station_s_is_named_as_such() -> Res<()> {
    // What `openssl req -x509` makes by default: self-signed and marked CA:TRUE. Trusted as
    // `ca`, it is still refused as a server's certificate, and the reason says how to fix it.
    let files = Files::new()?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let leaf = Leaf {
        cert: cert.der().clone(),
        cert_pem: cert.pem(),
        key: key.serialize_der(),
        key_pem: key.serialize_pem(),
    };
    let addr = tls_station(server_config(&leaf, None)?).await?;
    let (ex, outcome) = call(
        format!("https://localhost:{}/pa", addr.port()),
        tls(TlsOptions {
            ca: Some(files.write("station.pem", &leaf.cert_pem)?),
            ca_only: true,
            ..TlsOptions::default()
        })?,
    )
    .await?;
    assert_tls(&ex, &outcome, TlsReason::Other);
    let msg = ex
        .transport_error
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    assert!(msg.contains("CA:TRUE") && msg.contains("CA:FALSE"), "{msg}");
    Ok(())
}

#[tokio::test]
async fn plain_http_on_an_https_url_is_not_tls() -> Res<()> {
    let files = Files::new()?;
    let ca = Ca::new("Station CA")?;
    let addr = plain_station().await?;
    let (ex, outcome) = call(
        format!("https://localhost:{}/pa", addr.port()),
        tls(trusting(&files, &ca)?)?,
    )
    .await?;
    let reason = ex.transport_error.as_ref().and_then(|e| e.tls);
    assert!(
        matches!(
            reason,
            Some(TlsReason::NotTls | TlsReason::HandshakeRefused)
        ),
        "{:?}",
        ex.transport_error
    );
    assert_tls(&ex, &outcome, reason.unwrap_or(TlsReason::Other));
    Ok(())
}

/// A CA for the Nodo's client certificates, the station's leaf and a station requiring them.
async fn mutual_station(clients: &Ca) -> Res<(Ca, SocketAddr)> {
    let ca = Ca::new("Station CA")?;
    let addr = tls_station(server_config(
        &ca.valid_leaf(&["localhost"])?,
        Some(clients),
    )?)
    .await?;
    Ok((ca, addr))
}

fn with_client(files: &Files, opts: TlsOptions, leaf: &Leaf) -> Res<TlsOptions> {
    Ok(TlsOptions {
        client_cert: Some(files.write("nodo.pem", &leaf.cert_pem)?),
        client_key: Some(files.write("nodo-key.pem", &leaf.key_pem)?),
        ..opts
    })
}

#[tokio::test]
async fn mutual_tls_with_the_right_client_certificate_connects() -> Res<()> {
    let files = Files::new()?;
    let clients = Ca::new("Nodo client CA")?;
    let (ca, addr) = mutual_station(&clients).await?;
    let nodo = clients.valid_leaf(&["nodo.example"])?;
    let opts = with_client(&files, trusting(&files, &ca)?, &nodo)?;
    let conn = tls(opts)?;
    assert!(
        conn.tls_mode()
            .is_some_and(|m| m.contains("client certificate"))
    );
    let (ex, _) = call(format!("https://localhost:{}/pa", addr.port()), conn).await?;
    assert_ok(&ex);
    Ok(())
}

#[tokio::test]
async fn mutual_tls_without_a_client_certificate_is_rejected() -> Res<()> {
    let files = Files::new()?;
    let clients = Ca::new("Nodo client CA")?;
    let (ca, addr) = mutual_station(&clients).await?;
    let (ex, outcome) = call(
        format!("https://localhost:{}/pa", addr.port()),
        tls(trusting(&files, &ca)?)?,
    )
    .await?;
    assert_tls(&ex, &outcome, TlsReason::ClientCertRejected);
    Ok(())
}

#[tokio::test]
async fn mutual_tls_with_an_untrusted_client_certificate_is_rejected() -> Res<()> {
    let files = Files::new()?;
    let clients = Ca::new("Nodo client CA")?;
    let (ca, addr) = mutual_station(&clients).await?;
    let stranger = Ca::new("Not the Nodo")?.valid_leaf(&["nodo.example"])?;
    let opts = with_client(&files, trusting(&files, &ca)?, &stranger)?;
    let (ex, outcome) = call(format!("https://localhost:{}/pa", addr.port()), tls(opts)?).await?;
    assert_tls(&ex, &outcome, TlsReason::ClientCertRejected);
    Ok(())
}

#[tokio::test]
async fn insecure_skip_verify_accepts_an_expired_certificate_and_says_so() -> Res<()> {
    let ca = Ca::new("Station CA")?;
    let addr = tls_station(server_config(&ca.leaf(&["localhost"], 2019, 2021)?, None)?).await?;
    let conn = tls(TlsOptions {
        insecure_skip_verify: true,
        ca_only: false,
        ..TlsOptions::default()
    })?;
    assert!(conn.is_insecure());
    assert!(conn.tls_mode().is_some_and(|m| m.starts_with("INSECURE")));
    let (ex, _) = call(format!("https://localhost:{}/pa", addr.port()), conn).await?;
    assert_ok(&ex);
    Ok(())
}

#[tokio::test]
async fn a_client_key_that_does_not_match_the_certificate_is_a_setup_error() -> Res<()> {
    let files = Files::new()?;
    let clients = Ca::new("Nodo client CA")?;
    let a = clients.valid_leaf(&["a.example"])?;
    let b = clients.valid_leaf(&["b.example"])?;
    let opts = TlsOptions {
        client_cert: Some(files.write("a.pem", &a.cert_pem)?),
        client_key: Some(files.write("b-key.pem", &b.key_pem)?),
        insecure_skip_verify: true,
        ..TlsOptions::default()
    };
    let e = TlsSettings::load(&opts).map(|_| ()).unwrap_err();
    assert!(e.to_string().contains("key does not match"), "{e}");
    let opts = TlsOptions {
        client_key: Some(files.write("not-a-key.pem", &a.cert_pem)?),
        ..opts
    };
    let e = TlsSettings::load(&opts).map(|_| ()).unwrap_err();
    assert!(e.to_string().contains("no private key found"), "{e}");
    assert!(
        e.to_string().contains(&files.path().display().to_string()),
        "{e}"
    );
    Ok(())
}

// ---- not TLS: headers, redirects, proxies ----

#[tokio::test]
async fn gateway_headers_reach_the_station_and_never_the_journal() -> Res<()> {
    use wiremock::matchers::{header, method};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(header("ocp-apim-subscription-key", "s3cret-value"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string(BODY))
        .expect(1)
        .mount(&server)
        .await;
    let files = Files::new()?;
    let path = files.path().join("journal.jsonl");
    let journal = Arc::new(Journal::create_streaming(&path)?);
    let conn = Connection {
        headers: vec![GatewayHeader::new(
            "Ocp-Apim-Subscription-Key",
            "s3cret-value",
        )?],
        ..Connection::plain()
    };
    let (ex, _) = call_journalled(format!("{}/pa", server.uri()), conn, journal.clone()).await?;
    assert_ok(&ex);
    assert!(
        ex.request_headers
            .iter()
            .any(|(k, v)| k == "ocp-apim-subscription-key" && v == "[redacted]")
    );
    drop(journal);
    let text = std::fs::read_to_string(&path)?;
    assert!(text.contains("[redacted]"), "{text}");
    assert!(!text.contains("s3cret-value"), "{text}");
    server.verify().await;
    Ok(())
}

#[tokio::test]
async fn a_redirect_is_the_answer_and_is_never_followed() -> Res<()> {
    use wiremock::matchers::path;
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(path("/pa"))
        .respond_with(
            wiremock::ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri()).as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    wiremock::Mock::given(path("/elsewhere"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string(BODY))
        .expect(0)
        .mount(&server)
        .await;
    let (ex, outcome) = call(format!("{}/pa", server.uri()), Connection::plain()).await?;
    assert!(ex.transport_error.is_none(), "{:?}", ex.transport_error);
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(302));
    assert!(
        matches!(
            outcome,
            NodoOutcome::Nodo {
                code: FaultCode::PptStazioneIntPaErroreResponse,
                ..
            }
        ),
        "{outcome:?}"
    );
    server.verify().await;
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(requests.iter().all(|r| r.url.path() == "/pa"));
    Ok(())
}

#[tokio::test]
async fn an_explicit_proxy_carries_the_call() -> Res<()> {
    let proxy = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string(BODY))
        .expect(1)
        .mount(&proxy)
        .await;
    let conn = Connection {
        proxy: ProxyChoice::parse(&proxy.uri())?,
        ..Connection::plain()
    };
    // A host that does not resolve: only the proxy can have answered.
    let (ex, _) = call("http://station.invalid:8080/pa".to_string(), conn).await?;
    assert_ok(&ex);
    let requests = proxy.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    // The absolute-form request line names the station, not the proxy.
    assert_eq!(requests[0].url.host_str(), Some("station.invalid"));
    assert_eq!(requests[0].url.path(), "/pa");
    Ok(())
}
