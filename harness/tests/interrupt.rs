//! Evidence at a kill or an interrupt (issue 9, item 6), with real signals to the real binary.
//!
//! The "station" here accepts the Nodo's call, reads it, and never answers, so the run is
//! certainly in the middle of an exchange when the signal comes. Readiness is the request
//! arriving on the socket, never a sleep.

#![cfg(unix)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

mod support;

/// A station that reads every request and never answers. The receiver gets each request's
/// first bytes once a SOAP envelope has arrived.
fn silent_station() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let reader = stream.try_clone().unwrap();
            held.push(reader);
            let tx = tx.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    // The opening and the closing tag: the whole envelope is here.
                    if String::from_utf8_lossy(&got).matches("Envelope").count() >= 2 {
                        let _ = tx.send(String::from_utf8_lossy(&got).into_owned());
                        // Keep the connection open, silent.
                        let _ = stream.read(&mut buf);
                        return;
                    }
                }
            });
        }
    });
    (port, rx)
}

/// Start `collaudo run` against the silent station on `port`, two cases, and wait until its
/// first call has reached the station.
fn run_until_in_flight(dir: &Path) -> (Child, mpsc::Receiver<String>) {
    let (port, requests) = silent_station();
    let config = support::collaudo_in(dir)
        .args([
            "station",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--print-config",
        ])
        .output()
        .unwrap();
    assert!(config.status.success(), "{config:?}");
    std::fs::write(dir.join("collaudo.toml"), &config.stdout).unwrap();
    let child = support::collaudo_in(dir)
        .args([
            "run",
            "--only",
            "VRF-001,VRF-002",
            "--out",
            "out",
            "--timeout-ms",
            "120000",
            "--no-progress",
            // One case in flight, so "the exchange in flight" is one exchange.
            "--jobs",
            "1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let request = requests
        .recv_timeout(Duration::from_secs(60))
        .expect("the run's first call reaches the station");
    assert!(request.contains("paVerifyPaymentNoticeReq"), "{request}");
    (child, requests)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Wait for the process, failing the test (and killing it) after a minute.
fn finish(mut child: Child) -> (i32, String) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                stderr.read_to_string(&mut err).unwrap();
            }
            return (status.code().unwrap_or(-1), err);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("collaudo did not stop within a minute of the signal");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn assert_reports_mark_interruption(out: &Path, signal: &str) {
    for f in ["junit.xml", "report.json", "summary.md", "journal.jsonl"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "both selected cases are reported");
    for case in cases {
        assert_eq!(case["verdict"], "error", "{case}");
        let reason = case["reason"].as_str().unwrap();
        assert!(
            reason.starts_with(&format!("interrupted ({signal})")),
            "{reason}"
        );
    }
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("interrupted"), "{junit}");
    // The call in flight is in the journal: its request, written before it was sent.
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).unwrap();
    let first = journal.lines().next().unwrap_or_default();
    assert!(first.starts_with("{\"sending\":1,"), "{first:.200}");
    assert!(first.contains("paVerifyPaymentNoticeReq"));
}

#[test]
fn sigterm_mid_exchange_writes_every_report_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _requests) = run_until_in_flight(dir.path());
    signal(&child, "TERM");
    let (code, err) = finish(child);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("interrupted by SIGTERM: 2 cases not finished"),
        "{err}"
    );
    assert_reports_mark_interruption(&dir.path().join("out"), "SIGTERM");
}

/// `collaudo run 2>&1 | head` in a CI step: the reader is gone when the timeout's SIGTERM comes,
/// so nothing can be printed, and the run must still stop and write its reports.
#[test]
fn sigterm_with_stdout_and_stderr_closed_still_writes_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _requests) = run_until_in_flight(dir.path());
    drop(child.stdout.take());
    drop(child.stderr.take());
    signal(&child, "TERM");
    let (code, _) = finish(child);
    assert_eq!(code, 3);
    assert_reports_mark_interruption(&dir.path().join("out"), "SIGTERM");
}

#[test]
fn ctrl_c_mid_exchange_writes_every_report_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _requests) = run_until_in_flight(dir.path());
    signal(&child, "INT");
    let (code, err) = finish(child);
    assert_eq!(code, 130, "{err}");
    assert_reports_mark_interruption(&dir.path().join("out"), "SIGINT");
}

#[test]
fn sigkill_mid_exchange_leaves_the_request_in_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _requests) = run_until_in_flight(dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    let loaded = collaudo_nodo::Journal::load(dir.path().join("out/journal.jsonl")).unwrap();
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert!(loaded[0].request_body.contains("paVerifyPaymentNoticeReq"));
    assert!(loaded[0].response.is_none());
    assert_eq!(
        loaded[0].transport_error.as_ref().unwrap().message,
        collaudo_nodo::journal::UNFINISHED
    );
}

/// `collaudo station | head -1` under a service manager: its output is gone when SIGTERM comes,
/// and it must still stop (before the fix the signal was swallowed and the station ran on).
#[test]
fn the_station_stops_on_sigterm_with_its_output_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut station = support::collaudo_in(dir.path())
        .args(["station", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    support::station_address(&mut station);
    drop(station.stderr.take());
    signal(&station, "TERM");
    let (code, _) = finish(station);
    assert_eq!(code, 0);
}
