//! `collaudo station --tls-cert --tls-key [--client-ca]` as a process (CON-001): the reference
//! station answers a verify over HTTPS with mutual TLS, refuses a client without a certificate,
//! names the bad file when it cannot start, and prints an https configuration.

use collaudo_certs::rustls::pki_types::ServerName;
use collaudo_certs::rustls::{self, ClientConfig, RootCertStore};
use collaudo_certs::throwaway::{Issued, Throwaway};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

mod support;

struct Files {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    client_ca: PathBuf,
}

fn files(t: &Throwaway) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = t.station.write(dir.path(), "station").unwrap();
    let client_ca = dir.path().join("client-ca.crt");
    std::fs::write(&client_ca, &t.client_ca.cert_pem).unwrap();
    Files {
        _dir: dir,
        cert,
        key,
        client_ca,
    }
}

fn collaudo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_collaudo"))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Kills the station when the test ends, however it ends.
struct Station(Child);

impl Drop for Station {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start the station with `args` after `station --listen 127.0.0.1:0 --copies 1`; its banner
/// line and address.
fn start(args: &[&str]) -> (Station, String, String) {
    let mut child = collaudo()
        .args(["station", "--listen", "127.0.0.1:0", "--copies", "1"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let station = Station(child);
    let mut banner = String::new();
    let mut fixtures = String::new();
    // Everything up to the stop hint: the banner, the TLS line and the fixture roles.
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "station exited: {banner}{fixtures}"
        );
        if line.contains("press Ctrl-C") {
            break;
        }
        if banner.is_empty() {
            banner = line;
        } else {
            fixtures.push_str(&line);
        }
    }
    let addr = support::banner_address(&banner);
    (station, format!("{banner}{fixtures}"), addr)
}

fn client(t: &Throwaway, identity: Option<&Issued>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(t.ca.cert_der()).unwrap();
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    Arc::new(match identity {
        Some(id) => builder
            .with_client_auth_cert(vec![id.cert_der()], id.key_der())
            .unwrap(),
        None => builder.with_no_client_auth(),
    })
}

/// POST `body` to the station path over TLS; the raw answer (empty when refused).
fn post(addr: &str, config: Arc<ClientConfig>, body: &str) -> String {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let conn =
        rustls::ClientConnection::new(config, ServerName::try_from("localhost").unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let request = format!(
        "POST /pagopa/station HTTP/1.1\r\nhost: localhost\r\ncontent-type: text/xml\r\n\
         soapaction: \"paVerifyPaymentNotice\"\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    if tls.write_all(request.as_bytes()).is_err() {
        return String::new();
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    // Until the end, an error (a refusal alert) or a missing close_notify.
    while let Ok(n) = tls.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn verify_body(notice: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paVerifyPaymentNoticeReq><idPA>77777777777</idPA><idBrokerPA>77777777777</idBrokerPA><idStation>77777777777_01</idStation><qrCode><fiscalCode>77777777777</fiscalCode><noticeNumber>{notice}</noticeNumber></qrCode></pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>"#
    )
}

#[test]
fn the_station_answers_a_verify_over_mutual_tls() {
    let t = Throwaway::generate().unwrap();
    let f = files(&t);
    let (_station, banner, addr) = start(&[
        "--tls-cert",
        p(&f.cert),
        "--tls-key",
        p(&f.key),
        "--client-ca",
        p(&f.client_ca),
    ]);
    assert!(
        banner.contains("(station URL: https://127.0.0.1:"),
        "{banner}"
    );
    assert!(banner.contains("mutual TLS"), "{banner}");
    // "  <role>  <notice> (<amount>, <state>)": the first fixture's notice.
    let notice = banner
        .lines()
        .skip_while(|l| !l.starts_with("fixture roles"))
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no fixture in the banner: {banner}"))
        .to_string();

    let answer = post(&addr, client(&t, Some(&t.client)), &verify_body(&notice));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("paVerifyPaymentNoticeRes"), "{answer}");

    let refused = post(&addr, client(&t, None), &verify_body(&notice));
    assert!(
        !refused.contains("HTTP/1.1"),
        "no client certificate: {refused}"
    );
    let refused = post(
        &addr,
        client(&t, Some(&t.untrusted_client)),
        &verify_body(&notice),
    );
    assert!(
        !refused.contains("HTTP/1.1"),
        "untrusted client certificate: {refused}"
    );
}

#[test]
fn bad_tls_files_exit_2_naming_the_file() {
    let t = Throwaway::generate().unwrap();
    let f = files(&t);
    // The certificate given as the key.
    for extra in [&[][..], &["--print-config"][..]] {
        let out = collaudo()
            .args(["station", "--listen", "127.0.0.1:0", "--copies", "1"])
            .args(["--tls-cert", p(&f.cert), "--tls-key", p(&f.cert)])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("no private key found in {}", f.cert.display())),
            "{text}"
        );
    }
    // --tls-cert alone is a usage error (clap).
    let out = collaudo()
        .args(["station", "--tls-cert", p(&f.cert), "--print-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
}

#[test]
fn print_config_with_tls_writes_an_https_url_and_a_tls_hint() {
    let t = Throwaway::generate().unwrap();
    let f = files(&t);
    let out = collaudo()
        .args(["station", "--listen", "127.0.0.1:8443", "--copies", "1"])
        .args(["--tls-cert", p(&f.cert), "--tls-key", p(&f.key)])
        .args(["--client-ca", p(&f.client_ca), "--print-config"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("url = \"https://127.0.0.1:8443/pagopa/station\""),
        "{text}"
    );
    assert!(text.contains("# [station.tls]\n# ca = \""), "{text}");
    assert!(text.contains("# client_cert = "), "{text}");
    assert!(text.contains("--cacert "), "{text}");
    // Still a valid TOML file, [station] first.
    let parsed: toml::Table = text.parse().unwrap();
    assert!(
        parsed["station"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
}
