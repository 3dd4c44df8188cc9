//! Round trip and escaping tests of the JUnit writer.

use proptest::prelude::*;

use super::reader::{self, Counts};
use super::*;
use crate::model::{
    CaseMeta, CheckRecord, CheckVerdict, ExchangeRecord, RunInfo, StepRecord, Summary,
};

fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 <>&\"'|\\]\\n\\r\\t\u{0}\u{1b}\u{fffe}-]{0,24}",
        Just("<script>&\"|".to_owned()),
        Just("]]> &amp; &#10; \r\n".to_owned()),
    ]
}

fn verdict() -> impl Strategy<Value = Verdict> {
    prop_oneof![
        Just(Verdict::Pass),
        Just(Verdict::Fail),
        Just(Verdict::Error),
        Just(Verdict::Skipped),
    ]
}

fn check() -> impl Strategy<Value = CheckRecord> {
    (
        nasty(),
        prop_oneof![
            Just(CheckVerdict::Pass),
            Just(CheckVerdict::Fail),
            Just(CheckVerdict::Warn)
        ],
        nasty(),
        proptest::option::of(nasty()),
        proptest::option::of(nasty()),
        proptest::option::of(nasty()),
    )
        .prop_map(
            |(name, verdict, message, expected, actual, nodo_outcome)| CheckRecord {
                name,
                verdict,
                message,
                expected,
                actual,
                nodo_outcome,
            },
        )
}

fn exchange() -> impl Strategy<Value = ExchangeRecord> {
    (
        any::<u64>(),
        nasty(),
        nasty(),
        proptest::option::of(any::<u16>()),
        nasty(),
    )
        .prop_map(
            |(seq, primitive, url, response_status, outcome)| ExchangeRecord {
                seq,
                primitive,
                url,
                request_bytes: 10,
                response_status,
                latency_ms: 1.5,
                virtual_time: None,
                outcome,
                attempt: Some(1),
            },
        )
}

fn step() -> impl Strategy<Value = StepRecord> {
    (
        nasty(),
        verdict(),
        proptest::option::of(nasty()),
        proptest::collection::vec(check(), 0..3),
        proptest::collection::vec(exchange(), 0..2),
        proptest::collection::vec(nasty(), 0..2),
    )
        .prop_map(
            |(name, verdict, message, checks, exchanges, transcript)| StepRecord {
                index: 0,
                name,
                verdict,
                message,
                duration_ms: 2.0,
                checks,
                exchanges,
                transcript,
            },
        )
}

fn case() -> impl Strategy<Value = CaseResult> {
    (
        (
            nasty(),
            proptest::option::of(nasty()),
            nasty(),
            prop_oneof![Just("VRF".to_owned()), Just("ACT".to_owned()), nasty()],
        ),
        verdict(),
        proptest::option::of(nasty()),
        proptest::collection::vec(step(), 0..3),
        proptest::collection::vec(nasty(), 0..2),
        prop_oneof![Just("OBB"), Just("OSP"), Just(crate::json::DEMO_CLASS)],
    )
        .prop_map(
            |((id, official_id, title, area), verdict, reason, steps, warnings, class)| {
                CaseResult {
                    meta: CaseMeta {
                        id,
                        official_id,
                        title,
                        area,
                        tags: vec!["t".into()],
                        class: Some(class.into()),
                        phase: None,
                        source_file: None,
                    },
                    verdict,
                    reason,
                    steps,
                    duration_ms: 12.0,
                    warnings,
                }
            },
        )
}

fn run() -> impl Strategy<Value = RunResult> {
    (
        proptest::collection::vec(case(), 0..6),
        nasty(),
        any::<u64>(),
    )
        .prop_map(|(cases, station_url, seed)| {
            RunResult::new(
                RunInfo {
                    tool_version: "0.1.0".into(),
                    run_id: "run-1".into(),
                    seed,
                    started_at: "2025-01-01T00:00:00Z".into(),
                    station_url,
                    station_kind: "external".into(),
                    config_digest: "abc".into(),
                    catalogue_digest: "sha256:c47a".into(),
                    extra_scenarios: Vec::new(),
                    clock: "virtual".into(),
                    id_pa: "77777777777".into(),
                    id_broker_pa: "77777777777".into(),
                    id_station: "77777777777_01".into(),
                    tls_mode: None,
                    warnings: Vec::new(),
                },
                cases,
                "2025-01-01T00:00:01Z",
                1000.0,
            )
        })
}

/// The suites a run is written as: one per area of the evidence, then the demonstrations.
fn suites_of(run: &RunResult) -> Vec<(String, Vec<&CaseResult>)> {
    let (demos, evidence): (Vec<&CaseResult>, Vec<&CaseResult>) =
        run.cases.iter().partition(|c| is_demonstration(c));
    let mut out: Vec<(String, Vec<&CaseResult>)> = by_area(&evidence)
        .into_iter()
        .map(|(area, cases)| (classname(area), cases))
        .collect();
    if !demos.is_empty() {
        out.push((DEMO_SUITE.to_owned(), demos));
    }
    out
}

fn counts_of(s: &Summary) -> Counts {
    Counts {
        tests: s.total,
        failures: s.failed,
        errors: s.errors,
        skipped: s.skipped,
    }
}

fn kind(v: Verdict) -> Option<&'static str> {
    match v {
        Verdict::Pass => None,
        Verdict::Fail => Some("failure"),
        Verdict::Error => Some("error"),
        Verdict::Skipped => Some("skipped"),
    }
}

fn legal_xml_chars(s: &str) -> bool {
    xml_safe(s) == s
}

fn safe(s: &str) -> String {
    xml_safe(s).into_owned()
}

proptest! {
    #[test]
    fn junit_round_trip(run in run()) {
        let xml = render(&run).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(legal_xml_chars(&xml), "characters XML 1.0 cannot carry leaked into the output");
        let parsed = reader::parse(&xml).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;

        prop_assert_eq!(&parsed.counts, &counts_of(&written_summary(&run.cases.iter().collect::<Vec<_>>())));
        let groups = suites_of(&run);
        prop_assert_eq!(parsed.suites.len(), groups.len());
        for ((name, cases), suite) in groups.iter().zip(&parsed.suites) {
            prop_assert_eq!(&suite.name, &safe(name));
            prop_assert_eq!(&suite.counts, &counts_of(&written_summary(cases)));
            if name == DEMO_SUITE {
                prop_assert!(suite.properties.iter().any(|(k, _)| k == "note"));
            }
            let seed = run.info.seed.to_string();
            prop_assert!(suite.properties.contains(&("seed".to_owned(), seed)));
            prop_assert!(suite
                .properties
                .contains(&("station_url".to_owned(), safe(&run.info.station_url))));
            prop_assert_eq!(suite.cases.len(), cases.len());
            for (expected, got) in cases.iter().zip(&suite.cases) {
                let demo = is_demonstration(expected);
                prop_assert_eq!(&got.name, &safe(&case_name(expected)));
                prop_assert_eq!(&got.classname, &safe(&case_classname(expected)));
                prop_assert_eq!(got.classname.starts_with(DEMO_SUITE), demo);
                prop_assert_eq!(got.kind.as_deref(), kind(written_verdict(expected)));
                let class = got.properties.iter().find(|(k, _)| k == "class");
                prop_assert_eq!(class.map(|(_, v)| v == crate::json::DEMO_CLASS), Some(demo));
                // A demonstration is never written as the station's failure.
                prop_assert!(!(demo && got.kind.as_deref() == Some("failure")));
                let official = got.properties.iter().find(|(k, _)| k == "pagopa_official_id");
                prop_assert_eq!(
                    official.map(|(_, v)| v.clone()),
                    expected.meta.official_id.as_deref().map(safe)
                );
                prop_assert_eq!(&got.system_out, &safe(&transcript(expected)));
                match expected.verdict {
                    Verdict::Pass => prop_assert_eq!(&got.message, &None),
                    v => {
                        prop_assert_eq!(got.message.clone(), Some(safe(&message(expected))));
                        let body = match v {
                            Verdict::Fail => failure_details(expected),
                            Verdict::Error => error_details(expected),
                            _ => String::new(),
                        };
                        prop_assert_eq!(&got.body, &safe(&body));
                        let ty = match written_verdict(expected) {
                            Verdict::Fail => Some(FAILURE_TYPE),
                            Verdict::Error => Some(ERROR_TYPE),
                            _ => None,
                        };
                        prop_assert_eq!(got.kind_type.as_deref(), ty);
                    }
                }
            }
        }
    }
}

#[test]
fn station_markup_is_escaped_not_interpreted() -> Result<(), Box<dyn std::error::Error>> {
    let mut case = CaseResult::skipped(
        CaseMeta {
            id: "VRF-001".into(),
            official_id: Some("EC-PSP-01".into()),
            title: "t".into(),
            area: "VRF".into(),
            tags: vec![],
            class: None,
            phase: None,
            source_file: None,
        },
        "<script>alert(1)</script>&\"|\u{1b}[31m",
    );
    case.verdict = Verdict::Fail;
    let run = RunResult::new(
        RunInfo {
            tool_version: "0.1.0".into(),
            run_id: "r".into(),
            seed: 7,
            started_at: "2025-01-01T00:00:00Z".into(),
            station_url: "http://127.0.0.1:1/\"><x/>".into(),
            station_kind: "external".into(),
            config_digest: "d".into(),
            catalogue_digest: "sha256:c47a".into(),
            extra_scenarios: Vec::new(),
            clock: "virtual".into(),
            id_pa: "77777777777".into(),
            id_broker_pa: "77777777777".into(),
            id_station: "77777777777_01".into(),
            tls_mode: None,
            warnings: Vec::new(),
        },
        vec![case],
        "2025-01-01T00:00:00Z",
        1.0,
    );
    let xml = render(&run)?;
    assert!(!xml.contains("<script>"), "{xml}");
    assert!(!xml.contains("<x/>"), "{xml}");
    assert!(
        xml.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;|\\u{1b}[31m"),
        "{xml}"
    );
    let parsed = reader::parse(&xml)?;
    let got = &parsed.suites[0].cases[0];
    assert_eq!(
        got.message.as_deref(),
        Some("<script>alert(1)</script>&\"|\\u{1b}[31m")
    );
    assert!(got.system_out.contains("PagoPA official id: EC-PSP-01"));
    assert!(got.name.starts_with("VRF-001 "), "{}", got.name);
    Ok(())
}
