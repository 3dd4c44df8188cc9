//! A fixed run covering every verdict, an official id and hostile station text.

use collaudo_reports::{
    CaseMeta, CaseResult, CheckRecord, CheckVerdict, Event, EventEnvelope, ExchangeRecord, RunInfo,
    RunResult, StepRecord, Verdict,
};

/// What a misbehaving station might put in a response, to prove every writer escapes it.
pub(crate) const HOSTILE: &str = "<script>alert('x')</script>&\"|";

fn meta(id: &str, official: Option<&str>, title: &str, area: &str) -> CaseMeta {
    CaseMeta {
        id: id.into(),
        official_id: official.map(Into::into),
        title: title.into(),
        area: area.into(),
        tags: vec!["smoke".into()],
        class: Some("OBB".into()),
        phase: Some(if official.is_some() { "BOTH" } else { "COL" }.into()),
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

fn exchange(seq: u64, primitive: &str, status: Option<u16>, outcome: &str) -> ExchangeRecord {
    ExchangeRecord {
        seq,
        primitive: primitive.into(),
        url: "http://127.0.0.1:41234/ec".into(),
        request_bytes: 812,
        response_status: status,
        latency_ms: 4.2,
        virtual_time: Some("2025-03-01T09:00:00Z".into()),
        outcome: outcome.into(),
        attempt: Some(1),
    }
}

fn step(index: usize, name: &str, verdict: Verdict) -> StepRecord {
    StepRecord {
        index,
        name: name.into(),
        verdict,
        message: None,
        duration_ms: 5.5,
        checks: vec![],
        exchanges: vec![],
        transcript: vec![],
    }
}

/// A simulator demonstration (class DEMO) of the Stand-In area.
fn demo(id: &str, title: &str) -> CaseMeta {
    CaseMeta {
        class: Some("DEMO".into()),
        tags: vec!["standin".into()],
        ..meta(id, None, title, "SIN")
    }
}

/// The sample run: pass (with official id), fail, error, skipped, pass (multi-beneficiary),
/// then two simulator demonstrations, one passing and one failing (the simulator's fault).
pub(crate) fn run() -> RunResult {
    let pass = {
        let mut verify = step(0, "verify the seeded notice", Verdict::Pass);
        verify.checks = vec![
            check("outcome", CheckVerdict::Pass, "outcome is OK"),
            check(
                "amount",
                CheckVerdict::Pass,
                "amount 120.00 matches the position",
            ),
            check(
                "companyName",
                CheckVerdict::Warn,
                "companyName has trailing spaces",
            ),
        ];
        verify.exchanges = vec![exchange(1, "paVerifyPaymentNotice", Some(200), "OK")];
        verify.transcript = vec!["notice 302000100000009424 seeded as payable".into()];
        let mut case = CaseResult::from_steps(
            meta(
                "VRF-001",
                Some("EC-PSP-01"),
                "Verify a payable notice",
                "VRF",
            ),
            vec![verify],
            12.0,
            vec!["companyName has trailing spaces".into()],
        );
        case.duration_ms = 12.0;
        case
    };

    let fail = {
        let mut verify = step(0, "verify an unknown notice", Verdict::Fail);
        verify.checks = vec![
            check("http status", CheckVerdict::Pass, "HTTP 200"),
            CheckRecord {
                name: "faultCode".into(),
                verdict: CheckVerdict::Fail,
                message: format!("station answered an unknown fault code: {HOSTILE}"),
                expected: Some("PAA_PAGAMENTO_SCONOSCIUTO".into()),
                actual: Some(format!(
                    "<faultCode>{HOSTILE}</faultCode>\n<faultString>`oops`</faultString>"
                )),
                nodo_outcome: Some("PPT_STAZIONE_INT_PA_ERRORE_RESPONSE".into()),
            },
        ];
        verify.exchanges = vec![exchange(2, "paVerifyPaymentNotice", Some(200), "KO")];
        CaseResult::from_steps(
            meta(
                "VRF-004",
                None,
                "Unknown notice gets PAA_PAGAMENTO_SCONOSCIUTO",
                "VRF",
            ),
            vec![verify],
            31.0,
            vec![],
        )
    };

    let error = {
        let mut get = step(0, "get payment", Verdict::Error);
        get.message = Some("connection refused by 127.0.0.1:41234".into());
        get.exchanges = vec![exchange(3, "paGetPaymentV2", None, "connection refused")];
        CaseResult::from_steps(
            meta("ACT-003", None, "paGetPaymentV2 with two transfers", "ACT"),
            vec![get],
            2.5,
            vec![],
        )
    };

    let skipped = CaseResult::skipped(
        meta("DEM-001", None, "Spontaneous payment demand", "DEM"),
        "station offers no spontaneous services",
    );

    let multi = CaseResult::from_steps(
        meta(
            "ACT-002M",
            Some("EC-PSP-02M"),
            "Multi-beneficiary payment, positive outcome",
            "ACT",
        ),
        vec![
            step(0, "get payment", Verdict::Pass),
            step(1, "send receipt", Verdict::Pass),
        ],
        1250.0,
        vec![],
    );

    let demo_pass = {
        let mut outage = step(0, "35 minutes of timeouts by day", Verdict::Pass);
        outage.checks = vec![check(
            "stand-in-state",
            CheckVerdict::Pass,
            "station in Stand-In for 0 min",
        )];
        CaseResult::from_steps(
            demo(
                "SIN-002",
                "Day: a failing station with a large share of traffic enters Stand-In",
            ),
            vec![outage],
            3.0,
            vec![],
        )
    };

    let demo_fail = {
        let mut outage = step(0, "35 minutes of timeouts, 2 % of traffic", Verdict::Fail);
        outage.checks = vec![CheckRecord {
            expected: Some("not in Stand-In".into()),
            actual: Some("in Stand-In".into()),
            ..check(
                "stand-in-state",
                CheckVerdict::Fail,
                "station in Stand-In for 5 min",
            )
        }];
        CaseResult::from_steps(
            demo(
                "SIN-003",
                "Failures with a small share of the Nodo's traffic do not trigger Stand-In",
            ),
            vec![outage],
            2.0,
            vec![],
        )
    };

    RunResult::new(
        RunInfo {
            tool_version: "0.1.0".into(),
            run_id: "run-20250301-0001".into(),
            seed: 424_242,
            started_at: "2025-03-01T10:00:00Z".into(),
            station_url: "http://127.0.0.1:41234/ec".into(),
            station_kind: "embedded reference station".into(),
            config_digest: "sha256:0f1e2d".into(),
            catalogue_digest: "sha256:c47a".into(),
            extra_scenarios: Vec::new(),
            clock: "virtual".into(),
            id_pa: "77777777777".into(),
            id_broker_pa: "77777777777".into(),
            id_station: "77777777777_01".into(),
            tls_mode: None,
            warnings: Vec::new(),
        },
        vec![pass, fail, error, skipped, multi, demo_pass, demo_fail],
        "2025-03-01T10:00:01.500Z",
        1500.0,
    )
}

/// The events an engine would emit for `run`, with made-up but increasing times.
pub(crate) fn events(run: &RunResult) -> Vec<EventEnvelope> {
    let mut elapsed = 0.0;
    let mut out = Vec::new();
    let mut push = |event: Event, step: f64| {
        elapsed += step;
        out.push(EventEnvelope::new("2025-03-01T10:00:00Z", elapsed, event));
    };
    push(
        Event::RunStarted {
            info: run.info.clone(),
            total_cases: run.cases.len(),
        },
        0.0,
    );
    for case in &run.cases {
        push(
            Event::ScenarioStarted {
                meta: case.meta.clone(),
            },
            1.0,
        );
        for step in &case.steps {
            push(
                Event::StepFinished {
                    case_id: case.meta.id.clone(),
                    step: step.clone(),
                },
                step.duration_ms,
            );
        }
        push(
            Event::ScenarioFinished {
                result: case.clone(),
            },
            1.0,
        );
    }
    push(
        Event::RunFinished {
            result: run.clone(),
        },
        1.0,
    );
    out
}
