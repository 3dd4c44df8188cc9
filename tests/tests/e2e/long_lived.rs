//! The whole suite against ONE reference station that lives through the run, as a real EC's
//! station does: the embedded run restarts its station for every case, which would hide a
//! suite that consumes its own fixtures (a case paying the notice a later case needs).

use crate::support::{self, Scratch};
use collaudo_reports::Verdict;
use collaudo_station::StationHandle;
use std::collections::BTreeMap;

/// A long-lived reference station with as many notices per role as a full run needs, and
/// the collaudo.toml `collaudo station --print-config` would print for it.
async fn station() -> (StationHandle, String) {
    let copies = collaudo::station_cmd::copies(None).expect("count the notices a run needs");
    support::long_lived_station(copies).await
}

/// The same configuration with other notices in [fixtures].
fn with_fixtures(text: &str, fixtures: &BTreeMap<String, Vec<String>>) -> String {
    let mut doc: toml::Table = toml::from_str(text).expect("the printed config is TOML");
    let table: toml::Table = fixtures
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                toml::Value::Array(v.iter().cloned().map(toml::Value::String).collect()),
            )
        })
        .collect();
    doc.insert("fixtures".into(), toml::Value::Table(table));
    toml::to_string(&doc).expect("write TOML")
}

fn summary(run: &support::Finished) -> String {
    let report = run.report();
    report
        .cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Error))
        .map(|c| {
            format!(
                "{} {}: {}",
                c.meta.id,
                c.verdict,
                c.reason.clone().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_passes_twice_against_one_long_lived_station() {
    let (handle, text) = station().await;

    // First run: the printed configuration, as `collaudo station --print-config` gives it.
    let scratch = Scratch::new();
    scratch.write_config(&text);
    let first = support::run(scratch.args()).await;
    assert_eq!(
        first.code,
        0,
        "false failures:\n{}\n{}",
        summary(&first),
        first.log
    );
    first.assert_reports_complete();
    let report = first.report();
    let passed = report.summary.passed;
    assert!(
        passed >= 30,
        "too few cases ran: {}\n{}",
        report.summary,
        first.log
    );

    // The same notices again: the cases that pay now find them paid. This is what the
    // allocation protects against, so it must show (a suite that cannot fail proves nothing).
    let again = Scratch::new();
    again.write_config(&text);
    let reused = support::run(again.args()).await;
    assert_eq!(
        reused.code, 1,
        "re-using paid notices must fail:\n{}",
        reused.log
    );
    assert!(
        summary(&reused).contains("PAA_PAGAMENTO_DUPLICATO"),
        "{}",
        summary(&reused)
    );

    // Fresh notices prepared on the same station: a second full run passes again.
    let copies = collaudo::station_cmd::copies(None).expect("copies");
    let fresh = handle
        .state()
        .prepare_fresh(copies)
        .await
        .expect("fresh notices");
    let fresh: BTreeMap<String, Vec<String>> = fresh
        .into_iter()
        .map(|(role, n)| (role.name().to_string(), n))
        .collect();
    let second = Scratch::new();
    second.write_config(&with_fixtures(&text, &fresh));
    let run = support::run(second.args()).await;
    assert_eq!(
        run.code,
        0,
        "false failures after fresh notices:\n{}\n{}",
        summary(&run),
        run.log
    );
    assert_eq!(
        run.report().summary.passed,
        passed,
        "the same cases pass the second time"
    );
    let _ = handle.shutdown().await;
}

#[tokio::test]
async fn a_role_with_too_few_notices_skips_the_cases_that_would_pay_a_used_one() {
    let (handle, text) = station().await;
    let fixtures: BTreeMap<String, Vec<String>> = handle
        .fixtures()
        .all_notices()
        .into_iter()
        .map(|(role, n)| (role.name().to_string(), n.into_iter().take(1).collect()))
        .collect();
    let scratch = Scratch::new();
    scratch.write_config(&with_fixtures(&text, &fixtures));
    let mut args = scratch.args();
    args.only = vec![
        "VRF-001".into(),
        "ACT-001".into(),
        "RT-001".into(),
        "RT-003".into(),
    ];
    let run = support::run(args).await;
    assert_eq!(run.code, 0, "{}\n{}", summary(&run), run.log);
    let report = run.report();
    let by_id = |id: &str| report.cases.iter().find(|c| c.meta.id == id).expect(id);
    // VRF-001 reads `payable`: its one notice is kept for readers, so ACT-001, which activates
    // it, has none. RT-001 and RT-003 both pay `receipt-target`, which nobody only reads: the
    // first takes its one notice, the second has none left.
    assert_eq!(by_id("VRF-001").verdict, Verdict::Pass);
    assert_eq!(by_id("RT-001").verdict, Verdict::Pass);
    for id in ["ACT-001", "RT-003"] {
        let case = by_id(id);
        assert_eq!(case.verdict, Verdict::Skipped, "{id}");
        assert!(
            case.reason
                .as_deref()
                .unwrap_or_default()
                .contains("collaudo plan"),
            "{id}: {:?}",
            case.reason
        );
        assert!(case.steps.is_empty(), "{id} skipped must send nothing");
    }
    let _ = handle.shutdown().await;
}
