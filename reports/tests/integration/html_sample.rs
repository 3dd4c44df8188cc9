//! A fixed run for the HTML report: a pass with an official id, a failure with checks, a skip
//! with its reason, a receipt delivered after retries, a Stand-In demonstration, and an
//! exchange whose bodies and headers are hostile; plus the journal details of its exchanges.

use collaudo_reports::html::{ExchangeDetail, ExchangeDetails};
use collaudo_reports::{
    CaseMeta, CaseResult, CheckRecord, CheckVerdict, ExchangeRecord, RunInfo, RunResult,
    StepRecord, Verdict,
};

/// Station text that would run script or load an image if it were not escaped.
pub(crate) const SCRIPT: &str = "<script>alert(1)</script>";
pub(crate) const IMG: &str = "\"><img src=x onerror=alert(2)>";

fn meta(id: &str, official: Option<&str>, title: &str, area: &str) -> CaseMeta {
    CaseMeta {
        id: id.into(),
        official_id: official.map(Into::into),
        title: title.into(),
        area: area.into(),
        tags: vec![],
        class: Some("OBB".into()),
        phase: Some("COL".into()),
        source_file: Some(format!("scenarios/{}.toml", id.to_lowercase())),
    }
}

fn check(name: &str, verdict: CheckVerdict, message: &str) -> CheckRecord {
    CheckRecord {
        name: name.into(),
        verdict,
        message: message.into(),
        expected: None,
        actual: None,
        nodo_outcome: None,
    }
}

fn exchange(seq: u64, primitive: &str, at: &str, outcome: &str) -> ExchangeRecord {
    ExchangeRecord {
        seq,
        primitive: primitive.into(),
        url: "http://127.0.0.1:41234/ec".into(),
        request_bytes: 300,
        response_status: Some(200),
        latency_ms: 3.5,
        virtual_time: Some(at.into()),
        outcome: outcome.into(),
        attempt: None,
    }
}

fn step(index: usize, name: &str, verdict: Verdict) -> StepRecord {
    StepRecord {
        index,
        name: name.into(),
        verdict,
        message: None,
        duration_ms: 2.0,
        checks: vec![],
        exchanges: vec![],
        transcript: vec![],
    }
}

const VERIFY_REQ: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><paVerifyPaymentNoticeReq><idPA>77777777777</idPA><qrCode><noticeNumber>302000100000009424</noticeNumber></qrCode></paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>";

const VERIFY_RES: &str = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><paVerifyPaymentNoticeRes><outcome>OK</outcome><companyName>Comune di Prova  </companyName></paVerifyPaymentNoticeRes></soapenv:Body></soapenv:Envelope>";

/// The sample run.
pub(crate) fn run() -> RunResult {
    let pass = {
        let mut s = step(0, "verify the seeded notice", Verdict::Pass);
        s.checks = vec![
            check(
                "nodo-outcome",
                CheckVerdict::Pass,
                "the Nodo would conclude OK",
            ),
            check(
                "companyName",
                CheckVerdict::Warn,
                "companyName has trailing spaces",
            ),
        ];
        s.exchanges = vec![exchange(
            1,
            "paVerifyPaymentNotice",
            "2026-01-05T09:00:00.000Z",
            "OK",
        )];
        s.transcript = vec!["notice 302000100000009424 seeded as payable".into()];
        CaseResult::from_steps(
            meta(
                "VRF-001",
                Some("EC-PSP-01"),
                "Verify of a payable notice",
                "VRF",
            ),
            vec![s],
            5.0,
            vec![],
        )
    };

    let fail = {
        let mut s = step(0, "verify an unknown notice", Verdict::Fail);
        s.checks = vec![
            check("http-status", CheckVerdict::Pass, "HTTP 200"),
            CheckRecord {
                expected: Some("PAA_PAGAMENTO_SCONOSCIUTO".into()),
                actual: Some(format!("<faultCode>{SCRIPT}</faultCode>")),
                nodo_outcome: Some("PPT_STAZIONE_INT_PA_ERRORE_RESPONSE".into()),
                ..check(
                    "nodo-outcome",
                    CheckVerdict::Fail,
                    &format!("unknown fault code {SCRIPT}{IMG}"),
                )
            },
            check(
                "backoffice-amount",
                CheckVerdict::Skip,
                "needs [backoffice] data the configuration does not give",
            ),
        ];
        s.exchanges = vec![exchange(
            2,
            "paVerifyPaymentNotice",
            "2026-01-05T09:01:00.000Z",
            "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE",
        )];
        CaseResult::from_steps(
            meta(
                "VRF-004",
                None,
                "Unknown notice gets PAA_PAGAMENTO_SCONOSCIUTO",
                "VRF",
            ),
            vec![s],
            7.0,
            vec![],
        )
    };

    let skipped = CaseResult::skipped(
        meta("DEM-001", None, "Spontaneous payment demand", "DEM"),
        "station offers no spontaneous services",
    );

    let receipt = {
        let mut s = step(0, "deliver the receipt", Verdict::Pass);
        let outcomes = [
            "failed: PPT_STAZIONE_INT_PA_TIMEOUT (no answer in time)",
            "failed: PPT_STAZIONE_INT_PA_TIMEOUT (no answer in time)",
            "failed: PPT_ERRORE_EMESSO_DA_PAA/PAA_SYSTEM_ERROR (station error)",
            "accepted",
        ];
        s.exchanges = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| ExchangeRecord {
                attempt: Some(u32::try_from(i).unwrap_or(0) + 1),
                url: String::new(),
                ..exchange(
                    10 + i as u64,
                    "paSendRTV2",
                    &format!("2026-01-05T{:02}:00:00.000Z", 10 + i),
                    o,
                )
            })
            .collect();
        s.transcript = vec![
            "receipt r-1 for notice 302000100000009424 (paSendRTV2), 1 recipient, up to 5 attempts 3600 s apart".into(),
            "station 77777777777_01 attempt  1 at 2026-01-05T10:00:00.000Z (1.0 ms): failed".into(),
        ];
        s.checks = vec![check(
            "delivery",
            CheckVerdict::Pass,
            "station 77777777777_01: delivered at attempt 4 of 5",
        )];
        CaseResult::from_steps(
            meta(
                "RT-003",
                Some("EC-PSP-02"),
                "A receipt refused three times is delivered at the fourth attempt",
                "RT",
            ),
            vec![s],
            9.0,
            vec![],
        )
    };

    let standin = {
        let mut outage = step(0, "35 minutes of timeouts by day", Verdict::Pass);
        outage.transcript = vec![
            "outage from 2026-01-05T09:00:00.000Z to 2026-01-05T09:15:00.000Z: 2 verifies per 5-minute slot, 100 % failing with timeout, Nodo traffic 20 per slot".into(),
            "Stand-In monitor: station enters Stand-In at 2026-01-05T09:10:00.000Z: 2 of 2 slots failed (100 % > 50 %)".into(),
        ];
        outage.exchanges = (0..4)
            .map(|i| ExchangeRecord {
                response_status: None,
                ..exchange(
                    20 + i,
                    "paVerifyPaymentNotice",
                    &format!("2026-01-05T09:{:02}:30.000Z", i * 2 + i / 2),
                    "PPT_STAZIONE_INT_PA_TIMEOUT",
                )
            })
            .collect();
        outage.checks = vec![check(
            "stand-in-state",
            CheckVerdict::Pass,
            "station in Stand-In for 5 min",
        )];
        let mut recover = step(1, "probes bring it back", Verdict::Pass);
        recover.exchanges = vec![
            exchange(
                30,
                "paVerifyPaymentNotice",
                "2026-01-05T09:15:00.000Z",
                "probe negative",
            ),
            exchange(
                31,
                "paVerifyPaymentNotice",
                "2026-01-05T09:20:00.000Z",
                "probe positive",
            ),
        ];
        recover.transcript = vec![
            "Stand-In monitor: station leaves Stand-In at 2026-01-05T09:25:00.000Z: 1 of 2 probes positive".into(),
            "2 technical probes, 1 positive (HTTP 2xx with SCONOSCIUTO in the body)".into(),
        ];
        CaseResult::from_steps(
            CaseMeta {
                class: Some("DEMO".into()),
                tags: vec!["standin".into()],
                ..meta(
                    "SIN-002",
                    None,
                    "A failing station with a large share of traffic enters Stand-In",
                    "SIN",
                )
            },
            vec![outage, recover],
            4.0,
            vec![],
        )
    };

    RunResult::new(
        RunInfo {
            tool_version: "0.1.0".into(),
            run_id: "run-html-0001".into(),
            seed: 42,
            started_at: "2026-01-05T08:59:00Z".into(),
            station_url: "http://127.0.0.1:41234/ec".into(),
            station_kind: "external".into(),
            config_digest: "sha256:0f1e2d".into(),
            catalogue_digest: "sha256:c47a".into(),
            extra_scenarios: vec!["ec-own-scenarios".into()],
            clock: "virtual".into(),
            id_pa: "77777777777".into(),
            id_broker_pa: "77777777777".into(),
            id_station: "77777777777_01".into(),
            tls_mode: Some("server verified against the system roots".into()),
            warnings: vec!["certificate verification is off".into()],
        },
        vec![pass, fail, skipped, receipt, standin],
        "2026-01-05T08:59:01Z",
        1000.0,
    )
}

/// Journal details: the verify of the pass, and a hostile answer to the failing verify.
pub(crate) fn details() -> ExchangeDetails {
    let mut d = ExchangeDetails::new();
    let headers = vec![
        (
            "Content-Type".to_owned(),
            "text/xml; charset=utf-8".to_owned(),
        ),
        (
            "SOAPAction".to_owned(),
            "\"paVerifyPaymentNotice\"".to_owned(),
        ),
    ];
    d.insert(
        1,
        ExchangeDetail {
            request_headers: headers.clone(),
            request_body: VERIFY_REQ.into(),
            response_status: Some(200),
            response_headers: vec![("content-type".into(), "text/xml".into())],
            response_body: Some(VERIFY_RES.as_bytes().to_vec()),
            transport_error: None,
            injected_fault: None,
            real_started_at: "2026-01-05T08:59:00.100Z".into(),
        },
    );
    d.insert(
        2,
        ExchangeDetail {
            request_headers: headers,
            request_body: VERIFY_REQ.into(),
            response_status: Some(200),
            response_headers: vec![(format!("x-evil{IMG}"), SCRIPT.into())],
            response_body: Some(
                format!(
                    "<soapenv:Envelope><faultCode>{SCRIPT}</faultCode><faultString>{IMG}</faultString>"
                )
                .into_bytes(),
            ),
            transport_error: None,
            injected_fault: Some(format!("mangle body {SCRIPT}")),
            real_started_at: "2026-01-05T08:59:00.200Z".into(),
        },
    );
    d.insert(
        20,
        ExchangeDetail {
            request_body: VERIFY_REQ.into(),
            transport_error: Some("timeout: injected".into()),
            injected_fault: Some("timeout".into()),
            real_started_at: "2026-01-05T08:59:00.300Z".into(),
            ..ExchangeDetail::default()
        },
    );
    d
}
