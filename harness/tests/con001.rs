//! CON-001 against stations configured the way real ones go wrong, each built from what the
//! connectivity rules say (TLS 1.2 or later, a certificate for the station's host from a
//! trusted CA, mutual TLS), not from the reference station's code: the reference station is
//! only the HTTP layer under a TLS setup chosen here. Each deviant station must fail exactly
//! the check about its deviation, and the conformant one must pass them all, so the case
//! cannot pass whatever the station does.
//!
//! The stations run in this process; `collaudo run --only CON-001` runs as a child process
//! with a `[station.tls]` pointing at throw-away certificates written by the test.

use collaudo_certs::throwaway::{Issued, Throwaway};
use collaudo_station::{StationConfig, StationHandle};
use std::collections::BTreeMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Check name → verdicts in the order the steps recorded them.
type Verdicts = BTreeMap<String, Vec<String>>;

struct Outcome {
    code: Option<i32>,
    case_verdict: String,
    checks: Verdicts,
    messages: Vec<String>,
    text: String,
}

async fn tls_station(cert: &Issued, client_ca: Option<&Issued>) -> Res<StationHandle> {
    let tls = collaudo_certs::server_config_from_pem(
        &cert.cert_pem,
        &cert.key_pem,
        client_ca.map(|c| c.cert_pem.as_str()),
    )?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    Ok(collaudo_station::start_tls(StationConfig::default(), listener, tls).await?)
}

/// `collaudo run --only CON-001` against `url`, trusting `t.ca`, presenting `t.client`, with
/// `extra` appended to `[station.tls]`.
async fn run_con001(url: &str, t: &Throwaway, extra: &str) -> Res<Outcome> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("ca.crt"), &t.ca.cert_pem)?;
    t.client.write(dir.path(), "nodo")?;
    let cfg = StationConfig::default();
    let config = format!(
        "[station]\nurl = \"{url}\"\nid_pa = \"{}\"\nid_broker_pa = \"{}\"\nid_station = \"{}\"\n\n[station.tls]\nca = \"ca.crt\"\nca_only = true\nclient_cert = \"nodo.crt\"\nclient_key = \"nodo.key\"\n{extra}",
        cfg.id_pa, cfg.id_broker_pa, cfg.id_station
    );
    std::fs::write(dir.path().join("collaudo.toml"), config)?;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_collaudo"))
        .current_dir(dir.path())
        .env_remove("COLLAUDO_STATION_URL")
        .args([
            "run",
            "--config",
            "collaudo.toml",
            "--only",
            "CON-001",
            "--no-progress",
            "--non-interactive",
            "--out",
            "report",
        ])
        .output()
        .await?;
    let text = format!(
        "exit {:?}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report/report.json"))
            .map_err(|e| format!("no report.json ({e}):\n{text}"))?,
    )?;
    let case = &report["cases"][0];
    let mut checks = Verdicts::new();
    let mut messages = Vec::new();
    for step in case["steps"].as_array().into_iter().flatten() {
        for c in step["checks"].as_array().into_iter().flatten() {
            checks
                .entry(c["name"].as_str().unwrap_or_default().to_string())
                .or_default()
                .push(c["verdict"].as_str().unwrap_or_default().to_string());
            messages.push(c["message"].as_str().unwrap_or_default().to_string());
        }
    }
    Ok(Outcome {
        code: out.status.code(),
        case_verdict: case["verdict"].as_str().unwrap_or_default().to_string(),
        checks,
        messages,
        text,
    })
}

fn verdicts(o: &Outcome, name: &str) -> Vec<String> {
    o.checks.get(name).cloned().unwrap_or_default()
}

fn all(v: &str, n: usize) -> Vec<String> {
    vec![v.to_string(); n]
}

fn debug(o: &Outcome) -> String {
    format!("{:?}\n{:?}\n{}", o.checks, o.messages, o.text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_with_tls_1_2_a_right_certificate_and_mutual_tls_passes() -> Res<()> {
    let t = Throwaway::generate()?;
    let station = tls_station(&t.station, Some(&t.client_ca)).await?;
    let o = run_con001(&station.url, &t, "").await?;
    assert_eq!(o.code, Some(0), "{}", debug(&o));
    assert_eq!(o.case_verdict, "pass", "{}", debug(&o));
    assert_eq!(verdicts(&o, "tls-handshake"), all("pass", 1));
    assert_eq!(verdicts(&o, "tls-certificate"), all("pass", 1));
    assert_eq!(verdicts(&o, "tls-legacy-refused"), all("pass", 2));
    assert_eq!(verdicts(&o, "mtls-required"), all("pass", 1));
    station.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_that_does_not_require_a_client_certificate_fails_mtls_only() -> Res<()> {
    let t = Throwaway::generate()?;
    let station = tls_station(&t.station, None).await?;
    let o = run_con001(&station.url, &t, "").await?;
    assert_eq!(o.code, Some(1), "{}", debug(&o));
    assert_eq!(
        verdicts(&o, "mtls-required"),
        all("fail", 1),
        "{}",
        debug(&o)
    );
    assert_eq!(verdicts(&o, "tls-handshake"), all("pass", 1));
    assert_eq!(verdicts(&o, "tls-certificate"), all("pass", 1));
    assert_eq!(verdicts(&o, "tls-legacy-refused"), all("pass", 2));
    assert!(
        o.messages
            .iter()
            .any(|m| m.contains("mutual TLS is not enforced")),
        "{}",
        debug(&o)
    );
    station.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_fails_the_certificate_check() -> Res<()> {
    let t = Throwaway::generate()?;
    let station = tls_station(&t.wrong_name, Some(&t.client_ca)).await?;
    let o = run_con001(&station.url, &t, "").await?;
    assert_eq!(o.code, Some(1), "{}", debug(&o));
    assert_eq!(
        verdicts(&o, "tls-certificate"),
        all("fail", 1),
        "{}",
        debug(&o)
    );
    assert_eq!(verdicts(&o, "tls-handshake"), all("fail", 1));
    // What the station does about old versions does not depend on its certificate.
    assert_eq!(verdicts(&o, "tls-legacy-refused"), all("pass", 2));
    assert!(
        o.messages
            .iter()
            .any(|m| m.contains("not valid for name") || m.contains("name")),
        "{}",
        debug(&o)
    );
    station.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_fails_the_certificate_check() -> Res<()> {
    let t = Throwaway::generate()?;
    let station = tls_station(&t.expired, Some(&t.client_ca)).await?;
    let o = run_con001(&station.url, &t, "").await?;
    assert_eq!(o.code, Some(1), "{}", debug(&o));
    assert_eq!(
        verdicts(&o, "tls-certificate"),
        all("fail", 1),
        "{}",
        debug(&o)
    );
    assert!(
        o.messages.iter().any(|m| m.contains("expired")),
        "{}",
        debug(&o)
    );
    station.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_name_does_not_excuse_a_certificate_for_another_host() -> Res<()> {
    // With `server_name` the Nodo's own calls verify (the run can go on), but the station
    // URL's host is what the real Nodo checks: CON-001 still fails the certificate.
    let t = Throwaway::generate()?;
    let station = tls_station(&t.wrong_name, Some(&t.client_ca)).await?;
    let extra = format!(
        "server_name = \"{}\"\n",
        collaudo_certs::throwaway::WRONG_NAME
    );
    let o = run_con001(&station.url, &t, &extra).await?;
    assert_eq!(
        verdicts(&o, "tls-handshake"),
        all("pass", 1),
        "{}",
        debug(&o)
    );
    assert_eq!(
        verdicts(&o, "tls-certificate"),
        all("fail", 1),
        "{}",
        debug(&o)
    );
    assert_eq!(verdicts(&o, "mtls-required"), all("pass", 1));
    station.shutdown().await?;
    Ok(())
}

/// A ServerHello choosing TLS 1.0 (RFC 2246 §7.4.1.3) with TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
/// in a TLS 1.0 handshake record: what a server that still speaks TLS 1.0 sends first.
fn tls10_server_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x01];
    body.extend([0x5a; 32]); // random
    body.push(0); // no session id
    body.extend([0xc0, 0x13]); // cipher suite
    body.push(0); // null compression
    let mut hs = vec![0x02, 0, 0, u8::try_from(body.len()).unwrap_or(0)];
    hs.extend(body);
    let mut rec = vec![0x16, 0x03, 0x01, 0, u8::try_from(hs.len()).unwrap_or(0)];
    rec.extend(hs);
    rec
}

/// Answers every connection's first bytes with [`tls10_server_hello`], then holds it open a
/// moment: an endpoint that accepts a TLS 1.0 hello.
async fn legacy_acceptor() -> Res<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                if s.read(&mut buf).await.unwrap_or(0) > 0 {
                    let _ = s.write_all(&tls10_server_hello()).await;
                    let _ = s.read(&mut buf).await;
                }
            });
        }
    });
    Ok((format!("https://{addr}/pagopa/station"), task))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_answers_a_tls_1_0_hello_fails_the_legacy_check() -> Res<()> {
    let t = Throwaway::generate()?;
    let (url, task) = legacy_acceptor().await?;
    let o = run_con001(&url, &t, "").await?;
    assert_eq!(o.code, Some(1), "{}", debug(&o));
    assert_eq!(
        verdicts(&o, "tls-legacy-refused"),
        all("fail", 2),
        "{}",
        debug(&o)
    );
    assert!(
        o.messages.iter().any(|m| m.contains("TLS 1.0")),
        "{}",
        debug(&o)
    );
    task.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_station_skips_con001_with_the_reason() -> Res<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let station = collaudo_station::start(StationConfig::default(), listener).await?;
    let dir = tempfile::tempdir()?;
    let cfg = StationConfig::default();
    std::fs::write(
        dir.path().join("collaudo.toml"),
        format!(
            "[station]\nurl = \"{}\"\nid_pa = \"{}\"\nid_broker_pa = \"{}\"\nid_station = \"{}\"\n",
            station.url, cfg.id_pa, cfg.id_broker_pa, cfg.id_station
        ),
    )?;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_collaudo"))
        .current_dir(dir.path())
        .args([
            "run",
            "--config",
            "collaudo.toml",
            "--only",
            "CON-001",
            "--no-progress",
            "--non-interactive",
            "--out",
            "report",
        ])
        .output()
        .await?;
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        dir.path().join("report/report.json"),
    )?)?;
    let case = &report["cases"][0];
    assert_eq!(case["verdict"], "skipped", "{report}");
    let reason = case["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("https://") && reason.contains("plain http"),
        "{reason}"
    );
    assert_ne!(out.status.code(), Some(1));
    station.shutdown().await?;
    Ok(())
}

#[test]
fn the_hand_built_server_hello_is_what_the_probe_reads_as_tls_1_0() {
    use collaudo_nodo::tls_probe::{LegacyVersion, ProbeOutcome, classify};
    let outcome = classify(LegacyVersion::Tls10, &tls10_server_hello(), true);
    assert!(
        matches!(outcome, Some(ProbeOutcome::Accepted { version: 0x0301 })),
        "{outcome:?}"
    );
}
