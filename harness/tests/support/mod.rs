//! What the tests that run the `collaudo` binary share: the binary with a pinned environment,
//! so the user's `COLLAUDO_*` settings, proxies and terminal width never change a result.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::process::Command;

/// Variables that would change what collaudo does: the station and identities it tests, the
/// seed, and the proxies the Nodo's client would otherwise be told about.
const PINNED: &[&str] = &[
    "COLLAUDO_STATION_URL",
    "COLLAUDO_ID_PA",
    "COLLAUDO_ID_BROKER_PA",
    "COLLAUDO_ID_STATION",
    "COLLAUDO_SEED",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
];

/// `collaudo`, run in `dir`, with none of [`PINNED`] and a 100-column terminal (clap wraps
/// help at the terminal width; without a terminal it reads `COLUMNS`).
pub fn collaudo_in(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_collaudo"));
    cmd.current_dir(dir)
        .env("COLUMNS", "100")
        .env("LINES", "50");
    for var in PINNED {
        cmd.env_remove(var);
    }
    cmd
}

/// Run `args` in this process with its report written to a temporary folder (any `out` given
/// is replaced): exit code, console log, seconds of real time, and report.json (empty when the
/// run wrote none).
pub async fn run_in_process(mut args: collaudo::run::RunArgs) -> (i32, String, f64, String) {
    let out = tempfile::tempdir().expect("temp dir");
    args.out = Some(out.path().join("report"));
    args.no_progress = true;
    args.non_interactive = true;
    let mut log = Vec::new();
    let started = std::time::Instant::now();
    let code = collaudo::run::run(args, |_| None, &mut log).await;
    let secs = started.elapsed().as_secs_f64();
    let report = std::fs::read_to_string(out.path().join("report/report.json")).unwrap_or_default();
    (
        code,
        String::from_utf8_lossy(&log).into_owned(),
        secs,
        report,
    )
}

/// The built-in cases `only` against the embedded reference station, with the report parsed.
pub async fn run_embedded(only: &[&str]) -> (i32, String, f64, serde_json::Value) {
    let (code, log, secs, report) = run_in_process(collaudo::run::RunArgs {
        only: only.iter().map(|s| (*s).to_string()).collect(),
        ..collaudo::run::RunArgs::default()
    })
    .await;
    let report =
        serde_json::from_str(&report).unwrap_or_else(|e| panic!("report.json: {e}\n{log}"));
    (code, log, secs, report)
}

/// The address a started `collaudo station` (stdout piped) bound, read from its first line. The
/// rest of its output is left unread: the pipe is closed, as `collaudo station | head -1` does.
pub fn station_address(station: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut banner = String::new();
    std::io::BufReader::new(station.stdout.take().expect("stdout piped"))
        .read_line(&mut banner)
        .expect("the station's first line");
    banner_address(&banner)
}

/// The address in `collaudo station`'s first line, "reference station (PROFILE) listening on
/// ADDR (station URL: ...)", the port the OS chose for port 0.
pub fn banner_address(banner: &str) -> String {
    banner
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in the banner: {banner}"))
        .to_string()
}
