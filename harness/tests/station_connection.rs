//! `[station]` connection settings through the `collaudo` binary: every mistake in them is a
//! usage error (exit 2) before the first case, gateway header values never reach a report
//! file, an insecure TLS setting is in every report, and the proxy is used only when asked.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// `collaudo` with a pinned environment: no `COLLAUDO_*`, no proxy variables.
fn collaudo(dir: &Path) -> Command {
    support::collaudo_in(dir)
}

fn transcript(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `collaudo run --config collaudo.toml` with `config` written in a fresh folder.
fn run_with(config: &str, args: &[&str], env: &[(&str, &str)]) -> Res<(Output, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("collaudo.toml"), config)?;
    let mut cmd = collaudo(dir.path());
    cmd.args([
        "run",
        "--config",
        "collaudo.toml",
        "--no-progress",
        "--out",
        "report",
    ])
    .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output()?;
    Ok((out, dir))
}

/// Exit 2 with every piece of `expected` in stderr, and nothing sent or written.
fn assert_usage(config: &str, args: &[&str], env: &[(&str, &str)], expected: &[&str]) -> Res<()> {
    let (out, dir) = run_with(config, args, env)?;
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    for e in expected {
        assert!(text.contains(e), "expected {e:?} in:\n{text}");
    }
    assert!(
        !dir.path().join("report").exists(),
        "a usage error runs no case: {text}"
    );
    Ok(())
}

const STATION: &str = "[station]\nurl = \"http://127.0.0.1:9/pa\"\n";

#[test]
fn malformed_urls_and_timeouts_are_usage_errors() -> Res<()> {
    assert_usage(
        "",
        &["--station", "http://exa mple/pa"],
        &[],
        &["invalid station url"],
    )?;
    assert_usage(
        "",
        &["--station", "ftp://example/pa"],
        &[],
        &["ftp://example/pa"],
    )?;
    assert_usage(STATION, &["--timeout-ms", "0"], &[], &["--timeout-ms"])?;
    assert_usage(
        &format!("{STATION}[timeouts]\nsync_ms = 0\n"),
        &[],
        &[],
        &["sync_ms must be at least 1"],
    )?;
    Ok(())
}

#[test]
fn tls_file_mistakes_are_usage_errors_naming_the_file() -> Res<()> {
    assert_usage(
        &format!("{STATION}[station.tls]\nca = \"certs/missing.pem\"\n"),
        &[],
        &[],
        &["collaudo.toml:4", "ca ", "certs/missing.pem", "cannot read"],
    )?;
    let dir_config = |body: &str| format!("{STATION}[station.tls]\n{body}");
    // The file is relative to the configuration's folder: written next to it by run_with's
    // caller through an absolute path here.
    let files = tempfile::tempdir()?;
    let junk = files.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n")?;
    let junk = junk.display().to_string();
    assert_usage(
        &dir_config(&format!("ca = {junk:?}\n")),
        &[],
        &[],
        &["no certificate found", &junk],
    )?;
    assert_usage(
        &dir_config(&format!(
            "client_cert = {junk:?}\nclient_key = {junk:?}\ninsecure_skip_verify = true\n"
        )),
        &[],
        &[],
        &["client_cert", "no certificate found"],
    )?;
    assert_usage(
        &dir_config("client_key = \"k.pem\"\ninsecure_skip_verify = true\n"),
        &[],
        &[],
        &["client_key is set but client_cert is not"],
    )?;
    assert_usage(
        &dir_config("ca_only = true\n"),
        &[],
        &[],
        &["ca_only = true but no `ca`"],
    )?;
    Ok(())
}

#[test]
fn header_and_proxy_mistakes_are_usage_errors() -> Res<()> {
    assert_usage(
        &format!(
            "{STATION}[station.headers]\nOcp-Apim-Subscription-Key = \"${{APIM_KEY_NOT_SET_ANYWHERE}}\"\n"
        ),
        &[],
        &[],
        &[
            "Ocp-Apim-Subscription-Key",
            "APIM_KEY_NOT_SET_ANYWHERE",
            "is not set",
        ],
    )?;
    assert_usage(
        &format!("{STATION}[station.headers]\nSOAPAction = \"x\"\n"),
        &[],
        &[],
        &["SOAPAction", "cannot be overridden"],
    )?;
    assert_usage(
        &format!("{STATION}[station.headers]\n\"Bad Name\" = \"x\"\n"),
        &[],
        &[],
        &["Bad Name", "not a valid HTTP header name"],
    )?;
    assert_usage(
        &format!("{STATION}[station.headers]\nX-Key = \"a\\nb\"\n"),
        &[],
        &[],
        &["X-Key", "not a valid HTTP header value"],
    )?;
    assert_usage(
        "[station]\nurl = \"http://127.0.0.1:9/pa\"\nproxy = \"proxy.example:3128\"\n",
        &[],
        &[],
        &["proxy", "proxy.example:3128", "collaudo.toml:3"],
    )?;
    Ok(())
}

/// Every file of the report folder, as text.
fn report_files(dir: &Path) -> Res<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("report"))? {
        let p = entry?.path();
        if p.is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(&p)?).into_owned();
            out.push((p, text));
        }
    }
    Ok(out)
}

const SECRET: &str = "s3cret-apim-value-7d1e";

/// A station on wiremock that answers anything (the verdicts do not matter here).
async fn station() -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("<x/>"))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_reach_the_station_but_no_report_and_insecure_tls_is_in_every_report() -> Res<()> {
    let station = station().await;
    // A "proxy" in the environment that must be ignored without `proxy = "env"`.
    let env_proxy = station_proxy().await;
    let config = format!(
        "[station]\nurl = \"{}/pa\"\n[station.tls]\ninsecure_skip_verify = true\n[station.headers]\nOcp-Apim-Subscription-Key = \"${{COLLAUDO_TEST_APIM_KEY}}\"\nX-Literal = \"$${{not-expanded}}\"\n[fixtures]\npayable = \"301000000000000144\"\n",
        station.uri()
    );
    let proxy_uri = env_proxy.uri();
    let (out, dir) = tokio::task::spawn_blocking(move || {
        run_with(
            &config,
            &["--only", "VRF-001"],
            &[
                ("COLLAUDO_TEST_APIM_KEY", SECRET),
                ("HTTP_PROXY", &proxy_uri),
                ("http_proxy", &proxy_uri),
            ],
        )
    })
    .await
    .map_err(|e| e.to_string())??;
    let text = transcript(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{text}");
    assert!(
        text.contains("WARNING: TLS certificate verification is OFF"),
        "{text}"
    );
    let requests = station.received_requests().await.unwrap_or_default();
    assert!(!requests.is_empty(), "the station was never called: {text}");
    for r in &requests {
        assert_eq!(
            r.headers
                .get("ocp-apim-subscription-key")
                .map(|v| v.as_bytes()),
            Some(SECRET.as_bytes())
        );
        assert_eq!(
            r.headers.get("x-literal").map(|v| v.as_bytes()),
            Some(b"${not-expanded}".as_slice())
        );
    }
    assert!(
        env_proxy
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "HTTP_PROXY was used without proxy = \"env\""
    );
    let files = report_files(dir.path())?;
    for name in [
        "junit.xml",
        "report.json",
        "summary.md",
        "events.jsonl",
        "journal.jsonl",
    ] {
        assert!(
            files.iter().any(|(p, _)| p.ends_with(name)),
            "{name} missing"
        );
    }
    for (p, body) in &files {
        assert!(
            !body.contains(SECRET),
            "{} holds the header value",
            p.display()
        );
    }
    assert!(!text.contains(SECRET), "the console shows the header value");
    let file = |name: &str| {
        files
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    assert!(file("journal.jsonl").contains("[redacted]"));
    for name in ["junit.xml", "report.json", "summary.md", "events.jsonl"] {
        assert!(
            // summary.md escapes the underscores of the key, so match the plain words.
            file(name).contains("TLS certificate verification is OFF"),
            "{name} does not carry the insecure TLS warning"
        );
    }
    assert!(file("junit.xml").contains("name=\"warning\""));
    assert!(file("summary.md").contains("**Warning:**"));
    Ok(())
}

/// A wiremock server standing in for an HTTP proxy: answers every request it is given.
async fn station_proxy() -> wiremock::MockServer {
    station().await
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_env_uses_the_environment_proxy() -> Res<()> {
    let proxy = station_proxy().await;
    let config = "[station]\nurl = \"http://station.invalid:8080/pa\"\nproxy = \"env\"\n[fixtures]\npayable = \"301000000000000144\"\n".to_string();
    let proxy_uri = proxy.uri();
    let (out, _dir) = tokio::task::spawn_blocking(move || {
        run_with(
            &config,
            &["--only", "VRF-001", "--no-preflight"],
            &[("HTTP_PROXY", &proxy_uri), ("http_proxy", &proxy_uri)],
        )
    })
    .await
    .map_err(|e| e.to_string())??;
    let text = transcript(&out);
    let requests = proxy.received_requests().await.unwrap_or_default();
    assert!(!requests.is_empty(), "the proxy was not used: {text}");
    assert!(
        requests
            .iter()
            .all(|r| r.url.host_str() == Some("station.invalid")),
        "{text}"
    );
    Ok(())
}
