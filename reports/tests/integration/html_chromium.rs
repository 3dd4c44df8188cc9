//! The HTML report in a real browser: headless Chromium opens it from a `file://` URL with
//! the network cut off, and the test checks what it shows (the dumped DOM), that the page
//! asked for nothing outside the file (Chromium's net log), and saves a screenshot under the
//! test output directory.
//!
//! Without a `chromium` (or `chromium-browser`, `google-chrome`) on the PATH the test says why
//! and passes, unless `COLLAUDO_REQUIRE_CHROMIUM=1` (as CI sets), which makes it fail.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use collaudo_reports::html;

use crate::html_sample;

/// Hard limit for one Chromium run.
const TIMEOUT: Duration = Duration::from_secs(60);

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

fn required() -> bool {
    std::env::var("COLLAUDO_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1")
}

/// Runs Chromium headless on `url` with `extra` arguments, stdout to `stdout`, killed after
/// [`TIMEOUT`]. The network is cut off: every host name fails to resolve and every connection
/// goes to a proxy on a closed port.
fn run_chromium(
    bin: &Path,
    work: &Path,
    name: &str,
    url: &str,
    extra: &[String],
) -> Result<PathBuf, String> {
    let profile = work.join(format!("profile-{name}"));
    let _ = fs::remove_dir_all(&profile);
    let stdout = work.join(format!("{name}.stdout"));
    let stderr = work.join(format!("{name}.stderr"));
    let out = File::create(&stdout).map_err(|e| e.to_string())?;
    let err = File::create(&stderr).map_err(|e| e.to_string())?;
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=socks5://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(stdout),
            Ok(Some(status)) => {
                return Err(format!(
                    "{name}: chromium exited with {status}; stderr: {}",
                    fs::read_to_string(&stderr).unwrap_or_default()
                ));
            }
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name}: chromium did not finish in {TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The URLs the page itself asked for (requests whose initiator is a page, not the browser's
/// own background services), from a Chromium net log.
fn page_requests(net_log: &Path) -> Result<Vec<String>, String> {
    let text = fs::read_to_string(net_log).map_err(|e| format!("net log: {e}"))?;
    // A log whose writer was cut short lacks its closing brackets.
    let log: serde_json::Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .map_err(|e| format!("net log is not JSON: {e}"))?;
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .ok_or("net log without URL_REQUEST_START_JOB")?;
    let events = log["events"].as_array().ok_or("net log without events")?;
    Ok(events
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_owned))
        .collect())
}

fn external(urls: &[String]) -> Vec<&String> {
    urls.iter()
        .filter(|u| {
            !["file:", "data:", "about:", "blob:"]
                .iter()
                .any(|s| u.starts_with(s))
        })
        .collect()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn the_report_opens_offline_in_headless_chromium() -> Result<(), String> {
    let Some(bin) = chromium() else {
        let why = "chromium is not installed (apt-get install chromium)";
        assert!(!required(), "COLLAUDO_REQUIRE_CHROMIUM=1 but {why}");
        eprintln!("skipped: {why}");
        return Ok(());
    };
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-chromium");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let page =
        html::render(&html_sample::run(), &html_sample::details()).map_err(|e| e.to_string())?;
    let report = work.join("report.html");
    fs::write(&report, &page).map_err(|e| e.to_string())?;
    let url = file_url(&report);

    // The detector must see a page that does reach out, or its silence proves nothing.
    let leaky = work.join("leaky.html");
    fs::write(
        &leaky,
        "<!DOCTYPE html><html><body><img src=\"http://leak.invalid/x.png\"></body></html>",
    )
    .map_err(|e| e.to_string())?;
    let leaky_log = work.join("leaky-netlog.json");
    run_chromium(
        &bin,
        &work,
        "leaky",
        &file_url(&leaky),
        &[
            format!("--log-net-log={}", leaky_log.display()),
            "--dump-dom".into(),
        ],
    )?;
    let leaks = page_requests(&leaky_log)?;
    assert!(
        external(&leaks)
            .iter()
            .any(|u| u.starts_with("http://leak.invalid/")),
        "the net-log check does not see a page's request: {leaks:?}"
    );

    let net_log = work.join("netlog.json");
    let dom = run_chromium(
        &bin,
        &work,
        "dom",
        &url,
        &[
            format!("--log-net-log={}", net_log.display()),
            "--dump-dom".into(),
        ],
    )?;
    let dom = fs::read_to_string(dom).map_err(|e| e.to_string())?;
    let text = crate::html::text_content(&dom);
    assert!(
        text.contains("collaudo report: FAIL"),
        "the verdict is shown: {}",
        &text[..text.len().min(500)]
    );
    assert!(text.contains("PagoPA official go-live cases"));
    assert!(text.contains("PagoPA EC-PSP-01"));
    assert!(text.contains("PagoPA EC-PSP-02"));
    // The filter script ran: the form is shown and counts the cases.
    assert!(
        dom.contains("5 of 5 cases shown"),
        "the filter script did not run"
    );
    assert!(!dom.contains("<img"), "no image element came to life");
    let requests = page_requests(&net_log)?;
    let outside = external(&requests);
    assert!(
        outside.is_empty(),
        "the report asked for something outside the file: {outside:?}"
    );

    let shot = work.join("html-screenshot.png");
    run_chromium(
        &bin,
        &work,
        "screenshot",
        &url,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".into(),
            "--hide-scrollbars".into(),
        ],
    )?;
    let png = fs::read(&shot).map_err(|e| format!("no screenshot at {}: {e}", shot.display()))?;
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    eprintln!("screenshot: {}", shot.display());
    Ok(())
}
