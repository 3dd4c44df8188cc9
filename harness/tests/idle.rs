//! The reference station under 2 000 idle connections and a 1 024-descriptor limit still
//! serves the Nodo (issue 9, item 5): before the connection cap, 1 100 idle connections made
//! most scenarios blame the station as unreachable.

#![cfg(unix)]

use std::net::TcpStream;
use std::process::{Command, Stdio};

mod support;

#[test]
fn two_thousand_idle_connections_leave_the_suite_green() {
    let bin = env!("CARGO_BIN_EXE_collaudo");
    // The station in its own process, with the descriptor limit most systems default to.
    let mut station = Command::new("sh")
        .args([
            "-c",
            &format!("ulimit -n 1024 && exec '{bin}' station --listen 127.0.0.1:0 --copies 2"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = support::station_address(&mut station);
    let held: Vec<TcpStream> = (0..2000)
        .map(|i| TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connection {i}: {e}")))
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let config = Command::new(bin)
        .args([
            "station",
            "--listen",
            &addr,
            "--copies",
            "2",
            "--print-config",
        ])
        .output()
        .unwrap();
    assert!(config.status.success());
    std::fs::write(dir.path().join("collaudo.toml"), &config.stdout).unwrap();
    let run = Command::new(bin)
        .current_dir(dir.path())
        .env_remove("COLLAUDO_STATION_URL")
        .args([
            "run",
            "--only",
            "VRF-001,VRF-002,ACT-001,RT-001",
            "--out",
            "out",
            "--no-progress",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = station.kill();
    let _ = station.wait();
    drop(held);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert!(err.contains("4 passed, 0 failed"), "{err}");
}
