//! The harness against hostile *external* stations: wiremock servers (and one address where
//! nothing listens) answering what no station should. Whatever comes back, the run must
//! finish, judge the case as a station failure (never a harness error), give the PPT code the
//! real Nodo would answer the PSP (DOMAIN.md §4.2) and write every report file.

use crate::support::{self, ERRORE_RESPONSE, Finished, IRRAGGIUNGIBILE, Scratch, TIMEOUT};
use collaudo_reports::Verdict;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A `collaudo.toml` mapping a few fixture roles to check-digit-valid notice numbers
/// (aux digit 3, segregation code 01, mod-93 check digits).
pub(crate) const CONFIG: &str = r#"
[fixtures]
payable = "301000000000000144"
unknown = "301000000000000245"
paid = "301000000000000346"
"#;

/// The mock Nodo's cap on a response body (mock-nodo `NodoClient::DEFAULT_BODY_LIMIT`).
const BODY_LIMIT: usize = 10 * 1024 * 1024;

/// The first lines of a paVerifyPaymentNoticeRes, cut in the middle of an element.
const TRUNCATED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd">
  <soapenv:Body>
    <pafn:paVerifyPaymentNoticeRes>
      <outcome>OK</outcome>
      <paymentList>
        <paymentOptionDescription>
          <amount>150.0"#;

/// Run VRF-001 against `url` as an external station. The scratch folder holds the reports:
/// keep it alive while they are read.
async fn run_vrf_001(url: String, timeout_ms: u64) -> (Scratch, Finished) {
    let scratch = Scratch::new();
    scratch.write_config(CONFIG);
    let mut args = scratch.args();
    args.station = Some(url);
    args.only = vec!["VRF-001".into()];
    args.timeout_ms = Some(timeout_ms);
    let run = support::run(args).await;
    (scratch, run)
}

/// A wiremock station answering every POST with `template`, and its station URL.
async fn station(template: ResponseTemplate) -> (MockServer, String) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(&server)
        .await;
    let url = format!("{}/pagopa/station", server.uri());
    (server, url)
}

/// The case failed (not errored) on the Nodo outcome, with `code`, and every report exists.
fn assert_station_failure(run: &Finished, code: &str, reason: &str) {
    assert_eq!(run.code, 1, "exit code\n{}", run.log);
    run.assert_reports_complete();
    let report = run.report();
    assert_eq!(report.cases.len(), 1);
    let case = &report.cases[0];
    assert_eq!(case.meta.id, "VRF-001");
    assert_eq!(
        case.verdict,
        Verdict::Fail,
        "a hostile station is a failure, not a harness error: {:?}",
        case.reason
    );
    let first = support::first_failure(case).expect("a failing check");
    assert_eq!(first.name, "nodo-outcome");
    assert_eq!(first.nodo_outcome.as_deref(), Some(code), "{first:?}");
    let why = case.reason.as_deref().unwrap_or_default();
    assert!(
        why.contains(reason),
        "reason {why:?} should mention {reason:?}"
    );
    assert_eq!(
        run.journal_exchanges().len(),
        1,
        "one call, one journal line"
    );
}

#[tokio::test]
async fn empty_body() {
    let (_server, url) =
        station(ResponseTemplate::new(200).insert_header("content-type", "text/xml")).await;
    let (_scratch, run) = run_vrf_001(url, 5_000).await;
    assert_station_failure(&run, ERRORE_RESPONSE, "sent an empty body");
}

#[tokio::test]
async fn html_page() {
    let html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>\
                <body><h1>Bad Gateway</h1><p>nginx</p></body></html>";
    let (_server, url) =
        station(ResponseTemplate::new(200).set_body_raw(html, "text/html; charset=utf-8")).await;
    let (_scratch, run) = run_vrf_001(url, 5_000).await;
    assert_station_failure(&run, ERRORE_RESPONSE, "invalid response");
    // The HTML is in the journal, verbatim, as evidence.
    let journal = run.journal_exchanges();
    assert_eq!(journal[0]["response"]["body"].as_str(), Some(html));
}

#[tokio::test]
async fn truncated_xml() {
    let (_server, url) =
        station(ResponseTemplate::new(200).set_body_raw(TRUNCATED, "text/xml")).await;
    let (_scratch, run) = run_vrf_001(url, 5_000).await;
    assert_station_failure(&run, ERRORE_RESPONSE, "not well-formed XML");
}

#[tokio::test]
async fn body_larger_than_the_cap() {
    // Just over the mock Nodo's 10 MiB cap: the rest is not read, and the reports stay small.
    let body = vec![b'A'; BODY_LIMIT + 1];
    let (_server, url) = station(ResponseTemplate::new(200).set_body_raw(body, "text/xml")).await;
    let (_scratch, run) = run_vrf_001(url, 10_000).await;
    assert_station_failure(&run, ERRORE_RESPONSE, "too large");
    for f in ["report.json", "junit.xml", "summary.md"] {
        let len = std::fs::metadata(run.out.join(f)).map_or(0, |m| m.len());
        assert!(
            len < 1024 * 1024,
            "{f} is {len} bytes: the body must not be copied in"
        );
    }
}

#[tokio::test]
async fn body_of_ten_megabytes_under_the_cap() {
    // 10 MB (decimal), under the 10 MiB cap: read in full, parsed, rejected as not XML.
    let body = vec![b'A'; 10_000_000];
    let (_server, url) = station(ResponseTemplate::new(200).set_body_raw(body, "text/xml")).await;
    let (_scratch, run) = run_vrf_001(url, 10_000).await;
    assert_station_failure(&run, ERRORE_RESPONSE, "invalid response");
    let len = std::fs::metadata(run.out.join("report.json")).map_or(0, |m| m.len());
    assert!(len < 1024 * 1024, "report.json is {len} bytes");
}

#[tokio::test]
async fn invalid_utf8() {
    let mut body = TRUNCATED.as_bytes().to_vec();
    body.extend_from_slice(b"0</amount>\xff\xfe\xc3\x28 </paymentOptionDescription>");
    let (_server, url) = station(ResponseTemplate::new(200).set_body_raw(body, "text/xml")).await;
    let (_scratch, run) = run_vrf_001(url, 5_000).await;
    assert_station_failure(&run, ERRORE_RESPONSE, "invalid response");
    // Bytes that are not UTF-8 are kept in the journal, base64-encoded.
    let journal = run.journal_exchanges();
    assert_eq!(
        journal[0]["response"]["body_encoding"].as_str(),
        Some("base64")
    );
}

#[tokio::test]
async fn never_ending_answer() {
    // The answer would come after a minute; the Nodo gives up after 300 ms.
    let template = ResponseTemplate::new(200)
        .set_body_raw(TRUNCATED, "text/xml")
        .set_delay(Duration::from_secs(60));
    let (_server, url) = station(template).await;
    let started = std::time::Instant::now();
    let (_scratch, run) = run_vrf_001(url, 300).await;
    assert_station_failure(&run, TIMEOUT, "did not answer within the Nodo's timeout");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the run must not wait for the station: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn nothing_listening() {
    // Bind a port, then free it: connecting to it is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/pagopa/station");
    let (_scratch, run) = run_vrf_001(url, 5_000).await;
    assert_station_failure(&run, IRRAGGIUNGIBILE, "could not be made");
}

/// Report amplification (issue 9, item 2): megabyte element names, fault strings, fault codes
/// and header values, in every answer of several cases. The raw bytes are in the journal
/// once; each report stays bounded by the number of checks, not by what the station sent.
#[tokio::test]
async fn megabyte_station_strings_do_not_amplify_into_the_reports() {
    const MIB: usize = 1024 * 1024;
    let name = "n".repeat(MIB);
    let body = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paVerifyPaymentNoticeRes><outcome>KO</outcome><{name}>x</{name}><fault><faultCode>PAA_{code}</faultCode><faultString>{text}</faultString><id>77777777777</id><description>{text}</description></fault></pafn:paVerifyPaymentNoticeRes></soapenv:Body></soapenv:Envelope>"#,
        code = "X".repeat(MIB),
        text = "s".repeat(MIB),
    );
    assert!(body.len() > 5 * MIB);
    let (_server, url) = station(
        ResponseTemplate::new(200)
            .set_body_raw(body.clone(), "text/xml")
            .insert_header("content-type", format!("text/{}", "h".repeat(300 * 1024)))
            .insert_header("x-station", "v".repeat(64 * 1024)),
    )
    .await;
    let scratch = Scratch::new();
    scratch.write_config(CONFIG);
    let mut args = scratch.args();
    args.station = Some(url);
    args.only = vec!["VRF-001".into(), "VRF-002".into(), "ACT-001".into()];
    args.timeout_ms = Some(20_000);
    let run = support::run(args).await;
    assert_eq!(run.code, 1, "{}", run.log);
    run.assert_reports_complete();
    let report = run.report();
    let exchanges: usize = report
        .cases
        .iter()
        .flat_map(|c| &c.steps)
        .map(|s| s.exchanges.len())
        .sum();
    let checks: usize = report
        .cases
        .iter()
        .flat_map(|c| &c.steps)
        .map(|s| s.checks.len())
        .sum();
    assert!(exchanges >= 2, "{exchanges}");
    // Bounded by the checks (each field at most REPORT_TEXT_MAX bytes) plus a fixed part.
    let bound = 64 * 1024 + checks * 8 * collaudo_reports::model::REPORT_TEXT_MAX;
    for f in ["report.json", "junit.xml", "summary.md", "events.jsonl"] {
        let len = std::fs::metadata(run.out.join(f)).map_or(0, |m| m.len()) as usize;
        assert!(
            len < bound.min(MIB),
            "{f} is {len} bytes for {checks} checks: station strings were copied in whole"
        );
    }
    // The journal holds each answer once, whole.
    let journal = std::fs::metadata(run.out.join("journal.jsonl")).map_or(0, |m| m.len()) as usize;
    assert!(journal >= exchanges * body.len(), "{journal}");
    assert!(
        journal < (exchanges + 1) * (body.len() + 256 * 1024),
        "{journal}"
    );
}
