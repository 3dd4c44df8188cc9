//! The whole Stand-In story (outage → activation → payment from ACA → recovery via probes →
//! receipt delivered), and the multi-beneficiary variant, against the embedded reference
//! station: they must pass and run in well under a second of real time, because the slow
//! parts of the protocol (30-minute windows, 60 minutes of probes, hourly retries) run on the
//! virtual clock.

use collaudo::run::{RunArgs, run};
use std::time::Instant;

async fn story(only: &[&str]) -> (i32, String, f64, serde_json::Value) {
    let out = tempfile::tempdir().expect("temp dir");
    let args = RunArgs {
        only: only.iter().map(|s| (*s).to_string()).collect(),
        out: Some(out.path().join("report")),
        no_progress: true,
        non_interactive: true,
        ..RunArgs::default()
    };
    let mut log = Vec::new();
    let started = Instant::now();
    let code = run(args, |_| None, &mut log).await;
    let secs = started.elapsed().as_secs_f64();
    let report =
        std::fs::read_to_string(out.path().join("report/report.json")).expect("report.json");
    (
        code,
        String::from_utf8_lossy(&log).into_owned(),
        secs,
        serde_json::from_str(&report).expect("valid JSON"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_stand_in_story_runs_in_under_a_second() {
    let (code, log, secs, report) = story(&["SIN-004", "SIN-005M"]).await;
    assert_eq!(code, 0, "{log}");
    assert!(secs < 1.0, "took {secs:.3} s of real time");
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 2);
    for case in cases {
        assert_eq!(case["verdict"], "pass", "{case:#}");
    }
    // The story is really there: a transition in, a payment from ACA, a transition out, and a
    // receipt accepted at the first attempt after recovery.
    let text = serde_json::to_string(&report).expect("serialise");
    assert!(text.contains("enters Stand-In"), "{text}");
    assert!(text.contains("leaves Stand-In"), "{text}");
    assert!(text.contains("answers activate"), "{text}");
    assert!(text.contains("category STAND-IN"), "{text}");
    assert!(text.contains("delivered at attempt 1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_answering_the_probe_wrongly_stays_in_stand_in() {
    let out = tempfile::tempdir().expect("temp dir");
    let args = RunArgs {
        only: vec!["SIN-007".into()],
        profile: Some("wrong-probe-answer".into()),
        out: Some(out.path().join("report")),
        no_progress: true,
        non_interactive: true,
        ..RunArgs::default()
    };
    let mut log = Vec::new();
    let code = run(args, |_| None, &mut log).await;
    assert_eq!(code, 1, "{}", String::from_utf8_lossy(&log));
    let report = std::fs::read_to_string(out.path().join("report/report.json")).expect("report");
    assert!(report.contains("stand-in-state"), "{report}");
}
