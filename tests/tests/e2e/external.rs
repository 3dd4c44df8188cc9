//! The external-station path beyond hostile bytes: fixture roles that are not mapped, and the
//! EC back-office hooks of `[ec.actions]`.

use crate::hostile::CONFIG;
use crate::support::{self, Finished, REPORT_FILES, Scratch};
use collaudo_reports::Verdict;

/// No server is needed where no call is made; nothing listens on the discard port.
const UNUSED_STATION: &str = "http://127.0.0.1:9/pagopa/station";

#[tokio::test]
async fn an_unmapped_fixture_role_skips_the_case_with_the_reason() {
    let scratch = Scratch::new();
    scratch.write_config(CONFIG);
    let mut args = scratch.args();
    args.station = Some(UNUSED_STATION.into());
    // VRF-004 needs the `expired` role, which CONFIG does not map.
    args.only = vec!["VRF-004".into()];
    let run = support::run(args).await;
    assert_eq!(run.code, 0, "skipped is not a failure\n{}", run.log);
    run.assert_reports_complete();
    let report = run.report();
    let case = &report.cases[0];
    assert_eq!(case.verdict, Verdict::Skipped);
    let reason = case.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("expired") && reason.contains("[fixtures]"),
        "{reason}"
    );
    assert!(run.journal_exchanges().is_empty(), "nothing may be sent");
}

/// A scenario with one EC action on the `payable` notice (no call to the station).
const ACTION_ONLY: &str = r#"
id = "VRF-908"
title = "an EC action through a hook"
requires = ["payable"]

[[step]]
name = "raise the amount by 1.00"
action = "change-amount"
notice = "payable"
amount_delta_cents = 100
"#;

/// Run ACTION_ONLY against an external station whose `change-amount` hook is `hook`.
async fn run_hook(hook: &str) -> (Scratch, Finished) {
    let scratch = Scratch::new();
    let config = format!(
        "{CONFIG}\n[ec.actions]\nchange-amount = {}\n",
        serde_json::to_string(hook).expect("a TOML basic string is a JSON string")
    );
    scratch.write_config(&config);
    let dir = scratch.path().join("scenarios");
    std::fs::create_dir(&dir).expect("create the scenario folder");
    std::fs::write(dir.join("vrf-908.toml"), ACTION_ONLY).expect("write the scenario");
    let mut args = scratch.args();
    args.station = Some(UNUSED_STATION.into());
    args.scenarios = vec![dir];
    args.only = vec!["VRF-908".into()];
    let run = support::run(args).await;
    for f in REPORT_FILES {
        assert!(run.out.join(f).is_file(), "{f} missing");
    }
    (scratch, run)
}

#[tokio::test]
async fn hooks_get_notice_iuv_and_delta() {
    let (_scratch, run) = run_hook(
        "test '{notice}' = 301000000000000144 && test '{iuv}' = 01000000000000144 \
         && test '{delta_cents}' = 100",
    )
    .await;
    let report = run.report();
    assert_eq!(
        report.cases[0].verdict,
        Verdict::Pass,
        "{:?}",
        report.cases[0].reason
    );
    assert_eq!(run.code, 0);
}

#[tokio::test]
async fn a_failing_hook_is_a_harness_error_not_a_station_failure() {
    let (_scratch, run) = run_hook("echo 'back office down' >&2; exit 3").await;
    let report = run.report();
    let case = &report.cases[0];
    assert_eq!(case.verdict, Verdict::Error, "{:?}", case.reason);
    assert!(
        case.reason
            .as_deref()
            .unwrap_or_default()
            .contains("back office down")
    );
    assert_eq!(run.code, 3, "harness errors exit 3 (exit.rs)");
}

#[tokio::test]
async fn hooks_get_amount_cents_as_documented() {
    // {amount_cents} is the amount the action leaves on the position: the last verify's amount
    // plus the delta. This scenario has no verify before the action, so collaudo cannot know
    // it and must skip the case with the reason rather than pass a literal placeholder.
    let (_scratch, run) =
        run_hook("case '{amount_cents}' in *amount_cents*) exit 1;; *) exit 0;; esac").await;
    let report = run.report();
    assert_eq!(
        report.cases[0].verdict,
        Verdict::Skipped,
        "{:?}",
        report.cases[0].reason
    );
    assert!(
        report.cases[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("{amount_cents}"),
        "{:?}",
        report.cases[0].reason
    );
}
