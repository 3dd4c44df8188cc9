//! Regression tests for verdicts a CI gate must be able to trust: which station was tested,
//! what is skipped (and that a skip sends nothing), exit codes, and what only warns.

use crate::support::{self, Scratch};
use collaudo_reports::{CheckVerdict, Verdict};
use collaudo_station::StationHandle;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn reference(copies: usize) -> (StationHandle, String) {
    support::long_lived_station(copies).await
}

/// Run `only` against `config` with `env` as the process environment.
async fn run_with(
    config: &str,
    only: &[&str],
    env: &'static [(&'static str, &'static str)],
    tweak: impl FnOnce(&mut collaudo::run::RunArgs),
) -> (Scratch, support::Finished) {
    let scratch = Scratch::new();
    scratch.write_config(config);
    let mut args = scratch.args();
    args.only = only.iter().map(|s| s.to_string()).collect();
    tweak(&mut args);
    let out = args.out.clone().expect("out");
    let mut log = Vec::new();
    let code = collaudo::run::run(
        args,
        |k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        },
        &mut log,
    )
    .await;
    let run = support::Finished {
        code,
        log: String::from_utf8_lossy(&log).into_owned(),
        out,
    };
    (scratch, run)
}

/// Drop the lines of `section` (a `[name]` table and its keys) from a configuration.
fn without(config: &str, section: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in config.lines() {
        if line.starts_with('[') {
            skipping = line.trim_start_matches('[').starts_with(section);
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[tokio::test]
async fn a_configuration_without_a_station_is_refused_not_run_against_the_embedded_one() {
    // An empty CI secret.
    let (_s, run) = run_with("", &["VRF-001"], &[("COLLAUDO_STATION_URL", "")], |_| {}).await;
    assert_eq!(run.code, 2, "{}", run.log);
    assert!(
        run.log.contains("COLLAUDO_STATION_URL is set but empty"),
        "{}",
        run.log
    );
    assert!(!run.out.join("report.json").exists(), "nothing may run");
    // A configuration file that names no station.
    let (_s, run) = run_with("[fixtures]\n", &["VRF-001"], &[], |_| {}).await;
    assert_eq!(run.code, 2, "{}", run.log);
    assert!(run.log.contains("names no station"), "{}", run.log);
    // --embedded asks for it explicitly, and the report says which station ran.
    let (_s, run) = run_with("", &["VRF-001"], &[], |a| a.embedded = true).await;
    assert_eq!(run.code, 0, "{}", run.log);
    let info = run.report().info;
    assert!(info.station_kind.contains("embedded"), "{info:?}");
    assert_eq!(info.id_pa, "77777777777");
    assert_eq!(info.id_station, "77777777777_01");
    // A station and --embedded contradict each other.
    let (_s, run) = run_with(
        "[station]\nurl = \"http://127.0.0.1:9/x\"\n",
        &["VRF-001"],
        &[],
        |a| a.embedded = true,
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.log);
}

#[tokio::test]
async fn a_station_that_is_not_there_is_one_clear_line_not_a_failure_per_case() {
    // Bind, learn the port, close: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let config = format!(
        "[station]\nurl = \"http://127.0.0.1:{port}/pagopa/station\"\n[fixtures]\npayable = \"301000000000000144\"\n"
    );
    let (_s, run) = run_with(&config, &[], &[], |a| a.no_preflight = false).await;
    assert_eq!(run.code, 3, "{}", run.log);
    assert!(run.log.contains("could not connect to"), "{}", run.log);
    assert!(run.log.contains("is the station running?"), "{}", run.log);
    assert!(!run.log.contains("FAIL"), "no case may run: {}", run.log);
}

#[tokio::test]
async fn a_skipped_case_sends_nothing() {
    let (handle, config) = reference(3).await;
    // No [[broadcast]]: RT-002M cannot deliver to the secondary EC's station. It used to
    // activate first and skip later; now it is skipped before its first exchange.
    let (_s, run) = run_with(&config, &["RT-002M", "DEM-001"], &[], |_| {}).await;
    let (_s2, run2) = run_with(&without(&config, "demand"), &["DEM-001"], &[], |_| {}).await;
    assert_eq!(run.code, 0, "{}", run.log);
    let report = run.report();
    let case = |id: &str| report.cases.iter().find(|c| c.meta.id == id).expect(id);
    let rt = case("RT-002M");
    assert_eq!(rt.verdict, Verdict::Skipped, "{:?}", rt.reason);
    assert!(
        rt.reason
            .as_deref()
            .unwrap_or_default()
            .contains("[[broadcast]]")
    );
    assert!(rt.steps.is_empty());
    assert_eq!(
        case("DEM-001").verdict,
        Verdict::Pass,
        "DEM-001 runs with [demand]"
    );
    // Every exchange belongs to a step of a case that ran: DEM-001's only.
    run.assert_reports_complete();
    // Without [demand] the spontaneous-payment cases (OSP) are skipped, untouched.
    let report = run2.report();
    assert_eq!(report.cases[0].verdict, Verdict::Skipped);
    assert!(
        report.cases[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("[demand]")
    );
    assert!(
        run2.journal_exchanges().is_empty(),
        "a skipped case sends nothing"
    );
    let _ = handle.shutdown().await;
}

#[tokio::test]
async fn a_v1_case_is_skipped_for_a_station_the_nodo_calls_with_v2_only() {
    let (handle, config) = reference(3).await;
    let config = config.replace(
        "[station]\n",
        "[station]\nget_payment_version = 2\nsend_rt_version = 2\n",
    );
    let (_s, run) = run_with(&config, &["ACT-001", "ACT-001V2", "RT-001"], &[], |_| {}).await;
    assert_eq!(run.code, 0, "{}", run.log);
    let report = run.report();
    let verdict = |id: &str| {
        report
            .cases
            .iter()
            .find(|c| c.meta.id == id)
            .map(|c| (c.verdict, c.reason.clone().unwrap_or_default()))
            .expect(id)
    };
    let (v, why) = verdict("ACT-001");
    assert_eq!(v, Verdict::Skipped);
    assert!(why.contains("paGetPaymentV2 only"), "{why}");
    assert_eq!(verdict("ACT-001V2").0, Verdict::Pass);
    assert_eq!(verdict("RT-001").0, Verdict::Skipped);
    let _ = handle.shutdown().await;
}

#[tokio::test]
async fn scenarios_use_the_configured_identities_not_literal_ones() {
    // ACA-001 and ACA-005M compared paFiscalCode with 77777777777 literally: any other EC failed.
    let (_s, run) = run_with(
        "",
        &["ACA-001", "ACA-005M"],
        &[
            ("COLLAUDO_ID_PA", "80012345678"),
            ("COLLAUDO_ID_BROKER_PA", "80012345678"),
        ],
        |a| a.embedded = true,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.log);
    assert!(
        run.report()
            .cases
            .iter()
            .all(|c| c.verdict == Verdict::Pass)
    );
}

/// A station that answers every call with a correct KO (PAA_PAGAMENTO_SCONOSCIUTO, in the
/// response element of the primitive named by SOAPAction) under HTTP 500 and text/html.
struct KoStation;

impl wiremock::Respond for KoStation {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let action = request
            .headers
            .get("soapaction")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim_matches('"')
            .to_string();
        let element = match action.as_str() {
            "paGetPayment" => "paGetPaymentRes",
            "paGetPaymentV2" => "paGetPaymentV2Response",
            "paSendRT" => "paSendRTRes",
            "paSendRTV2" => "paSendRTV2Response",
            "paDemandPaymentNotice" => "paDemandPaymentNoticeResponse",
            _ => "paVerifyPaymentNoticeRes",
        };
        let body = format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:{element}><outcome>KO</outcome><fault><faultCode>PAA_PAGAMENTO_SCONOSCIUTO</faultCode><faultString>unknown notice</faultString><id>77777777777</id></fault></pafn:{element}></soapenv:Body></soapenv:Envelope>"#
        );
        ResponseTemplate::new(500)
            .insert_header("content-type", "text/html")
            .set_body_string(body)
    }
}

async fn ko_station() -> (MockServer, String) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(KoStation)
        .mount(&server)
        .await;
    let url = format!("{}/pagopa/station", server.uri());
    (server, url)
}

#[tokio::test]
async fn http_hygiene_warns_except_where_the_test_plan_requires_http_200() {
    let (_server, url) = ko_station().await;
    let config = format!(
        "[station]\nurl = \"{url}\"\n[fixtures]\nunknown = \"301000000000000245\"\npaid = \"301000000000000346\"\n"
    );
    // VRF-002 expects this KO: the status and Content-Type only warn.
    let (_s, run) = run_with(&config, &["VRF-002"], &[], |_| {}).await;
    assert_eq!(run.code, 0, "{}", run.log);
    let report = run.report();
    let case = &report.cases[0];
    assert_eq!(case.verdict, Verdict::Pass, "{:?}", case.reason);
    let warned: Vec<&str> = case
        .steps
        .iter()
        .flat_map(|s| &s.checks)
        .filter(|c| c.verdict == CheckVerdict::Warn)
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        warned.contains(&"http-status") && warned.contains(&"content-type"),
        "{warned:?}"
    );
    // FLT-001's row requires HTTP 200 for every KO: there the status fails.
    let (_s, run) = run_with(&config, &["FLT-001"], &[], |_| {}).await;
    let report = run.report();
    let case = &report.cases[0];
    assert_eq!(case.verdict, Verdict::Fail, "{:?}", case.reason);
    assert!(
        case.reason
            .as_deref()
            .unwrap_or_default()
            .starts_with("http-status"),
        "{:?}",
        case.reason
    );
}

#[tokio::test]
async fn a_failing_outcome_names_the_code_it_expected() {
    let (_server, url) = ko_station().await;
    let config =
        format!("[station]\nurl = \"{url}\"\n[fixtures]\npayable = \"301000000000000144\"\n");
    // VRF-006a expects KO PAA_ID_DOMINIO_ERRATO; this station says SCONOSCIUTO to everything.
    let (_s, run) = run_with(&config, &["VRF-006a"], &[], |_| {}).await;
    let report = run.report();
    let reason = report.cases[0].reason.clone().unwrap_or_default();
    assert_eq!(report.cases[0].verdict, Verdict::Fail);
    assert!(
        reason.contains(
            "expected PAA_ID_DOMINIO_ERRATO, the station answered PAA_PAGAMENTO_SCONOSCIUTO"
        ),
        "{reason}"
    );
}

#[tokio::test]
async fn a_harness_error_never_hides_a_station_failure() {
    // VRF-001 fails (the station answers KO to a payable notice); VRF-908's EC hook errors.
    let (_server, url) = ko_station().await;
    let scratch = Scratch::new();
    let dir = scratch.path().join("scenarios");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(
        dir.join("vrf-908.toml"),
        "id = \"VRF-908\"\ntitle = \"hook\"\nrequires = [\"payable\"]\n[[step]]\naction = \"change-amount\"\nnotice = \"payable\"\namount_delta_cents = 100\n",
    )
    .expect("write scenario");
    scratch.write_config(&format!(
        "[station]\nurl = \"{url}\"\n[fixtures]\npayable = [\"301000000000000144\", \"301000000000001558\"]\n[ec.actions]\nchange-amount = \"exit 7\"\n"
    ));
    let mut args = scratch.args();
    args.scenarios = vec![dir];
    args.only = vec!["VRF-001".into(), "VRF-908".into()];
    let run = support::run(args).await;
    let s = run.report().summary;
    assert_eq!((s.failed, s.errors), (1, 1), "{}", run.log);
    assert_eq!(run.code, 1, "a failure wins over an error: {}", run.log);
    assert!(run.log.contains("also could not judge"), "{}", run.log);
}

#[tokio::test]
async fn without_a_backoffice_its_checks_are_skipped_never_failed() {
    let (handle, config) = reference(3).await;
    // [backoffice] gone: which IBANs and secondary ECs are registered is unknown.
    let (_s, run) = run_with(&without(&config, "backoffice"), &["ACT-002M"], &[], |_| {}).await;
    assert_eq!(run.code, 0, "{}", run.log);
    let report = run.report();
    let case = &report.cases[0];
    assert_eq!(case.verdict, Verdict::Pass, "{:?}", case.reason);
    let skipped: Vec<&str> = case
        .steps
        .iter()
        .flat_map(|s| &s.checks)
        .filter(|c| c.verdict == CheckVerdict::Skip)
        .map(|c| c.message.as_str())
        .collect();
    assert!(
        skipped.iter().any(|m| m.contains("[backoffice]")),
        "the skipped back-office checks say what to add: {skipped:?}"
    );
    let _ = handle.shutdown().await;
}
