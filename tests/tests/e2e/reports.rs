//! Snapshots of the report files of two small runs of the embedded station, through
//! `collaudo_reports::redact`: a conformant run of four evidence cases and a `wrong-sum` run of
//! ACT-001.
//!
//! What stays after redaction is deterministic for a fixed seed: notice numbers, IUVs, debtors
//! and payment tokens come from the seed, amounts and IBANs are fixed, scenario time is the
//! virtual clock. `redacted_reports_are_reproducible` checks that by running twice.

use crate::support::{self, Scratch};

/// The fixed seed of the snapshots.
const SEED: u64 = 7;
/// Conformant selection: EC-PSP-01 and EC-PSP-02 evidence, one KO case.
const CONFORMANT: [&str; 4] = ["VRF-001", "VRF-002", "ACT-001", "RT-001"];
const SNAPSHOTTED: [&str; 3] = ["junit.xml", "report.json", "summary.md"];

/// Run `only` against `profile` and return the redacted text of each snapshotted file.
async fn redacted_reports(profile: &str, only: &[&str]) -> Vec<(&'static str, String)> {
    let scratch = Scratch::new();
    let mut args = scratch.args();
    args.profile = Some(profile.into());
    args.only = only.iter().map(|s| (*s).to_string()).collect();
    args.seed = Some(SEED);
    // One case at a time: with cases overlapping, the journal numbers exchanges in the order
    // they happen, which the snapshots would then depend on.
    args.jobs = Some(1);
    let run = support::run(args).await;
    run.assert_reports_complete();
    SNAPSHOTTED
        .iter()
        .map(|f| (*f, collaudo_reports::redact(&run.read(f))))
        .collect()
}

fn snapshot_all(prefix: &str, files: &[(&str, String)]) {
    for (file, text) in files {
        if file.ends_with(".json") {
            // Redacted JSON stays JSON.
            let _: serde_json::Value = serde_json::from_str(text).expect("redacted JSON parses");
        }
        insta::assert_snapshot!(format!("{prefix}__{file}"), text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformant_reports() {
    let files = redacted_reports("conformant", &CONFORMANT).await;
    snapshot_all("conformant", &files);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_sum_reports() {
    let files = redacted_reports("wrong-sum", &["ACT-001"]).await;
    snapshot_all("wrong_sum", &files);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_summary_goes_to_the_err_writer() {
    let scratch = Scratch::new();
    let mut args = scratch.args();
    args.only = vec!["VRF-001".into()];
    let run = support::run(args).await;
    assert_eq!(run.code, 0);
    assert!(
        run.log.contains("VRF-001") && run.log.contains("1 passed"),
        "the case line and the summary should be in `err`:\n{}",
        run.log
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redacted_reports_are_reproducible() {
    // Two runs, seconds (and ports, run ids, durations) apart, redact to the same text...
    let first = redacted_reports("conformant", &CONFORMANT).await;
    let second = redacted_reports("conformant", &CONFORMANT).await;
    for ((file, a), (_, b)) in first.iter().zip(&second) {
        assert_eq!(a, b, "{file} differs between two runs after redaction");
    }
    // ...and the seed does matter: another seed gives other notice numbers.
    let scratch = Scratch::new();
    let mut args = scratch.args();
    args.only = vec!["VRF-001".into()];
    args.seed = Some(SEED + 1);
    let other = support::run(args).await;
    let notice = |text: &str| {
        text.split("paVerifyPaymentNotice notice ")
            .nth(1)
            .and_then(|rest| rest.get(..18))
            .map(str::to_string)
    };
    let json = &first
        .iter()
        .find(|(f, _)| *f == "report.json")
        .expect("report.json")
        .1;
    assert!(notice(json).is_some(), "the transcript names the notice");
    assert_ne!(notice(json), notice(&other.read("report.json")));
}
