//! The whole built-in suite, in-process, against the embedded reference station with every
//! fault profile, judged against the expected-verdict table (`expected.rs`).

use crate::expected::{self, EXPECTED, Expectation, Failing, Failure};
use crate::support::{self, Scratch, first_failure};
use collaudo_reports::{CaseResult, Verdict};
use collaudo_station::Profile;
use std::collections::{BTreeMap, BTreeSet};

/// One test per profile, so they run in parallel and fail separately.
macro_rules! profile_tests {
    ($($test:ident => $profile:literal),* $(,)?) => {
        /// The profiles that have a test below.
        const TESTED: &[&str] = &[$($profile),*];
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                check_profile($profile).await;
            }
        )*
    };
}

profile_tests! {
    conformant => "conformant",
    slow => "slow",
    dead => "dead",
    wrong_sum => "wrong-sum",
    bad_iban => "bad-iban",
    malformed_xml => "malformed-xml",
    http_500_faults => "http-500-faults",
    qualified_children => "qualified-children",
    no_payment_list => "no-payment-list",
    ko_without_fault => "ko-without-fault",
    wrong_probe_answer => "wrong-probe-answer",
    duplicate_booking => "duplicate-booking",
    unquoted_soapaction_only => "unquoted-soapaction-only",
    flaky_receipts => "flaky-receipts",
    rejects_duplicates_wrongly => "rejects-duplicates-wrongly",
    no_aca => "no-aca",
    stale_aca => "stale-aca",
}

#[test]
fn every_profile_has_an_expectation_and_a_test() {
    let all: BTreeSet<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
    let table: BTreeSet<&str> = EXPECTED.iter().map(|e| e.profile).collect();
    let tested: BTreeSet<&str> = TESTED.iter().copied().collect();
    assert_eq!(table, all, "expected.rs must cover exactly Profile::ALL");
    assert_eq!(tested, all, "profile_tests! must list exactly Profile::ALL");
    assert_eq!(EXPECTED.len(), all.len(), "one expectation per profile");
}

#[test]
fn the_table_names_only_builtin_cases() {
    let ids: BTreeSet<String> = support::builtin_ids().into_iter().collect();
    for e in EXPECTED {
        for id in e.exclude {
            assert!(
                ids.contains(*id),
                "{}: {id} is not a built-in case",
                e.profile
            );
        }
        // Every case the table says something about must also run.
        let named = failing_ids(e)
            .into_iter()
            .chain(passing_ids(e))
            .chain(e.errors.iter().copied())
            .chain(e.skipped.iter().copied());
        for id in named {
            assert!(
                ids.contains(id),
                "{}: {id} is not a built-in case",
                e.profile
            );
            assert!(
                !e.exclude.contains(&id),
                "{}: {id} is both excluded and expected to run",
                e.profile
            );
        }
    }
}

#[test]
fn related_profiles_break_related_cases() {
    // Both profiles bend only a successful activation, so they must hit the same cases.
    let of = |p| {
        failing_ids(expected::of(p))
            .into_iter()
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(of("wrong-sum"), of("bad-iban"));
    assert_eq!(of("http-500-faults"), of("ko-without-fault"));
    // Both receipt-duplicate profiles can only show where a receipt reaches a station twice.
    assert_eq!(of("duplicate-booking"), of("rejects-duplicates-wrongly"));
    // A station that never calls ACA breaks at least what a station that stops updating it
    // breaks, but SIN-009: a position missing from ACA is not payable in Stand-In, which is
    // what SIN-009 checks, so only the stale copy of a cancelled position breaks it.
    let mut stale = of("stale-aca");
    assert!(stale.remove("SIN-009"));
    assert!(stale.is_subset(&of("no-aca")));
}

/// The cases named in `failing`: all of `Only`, the exceptions of `All`.
fn failing_ids(e: &Expectation) -> Vec<&'static str> {
    match e.failing {
        Failing::All { except, .. } => except.iter().map(|(id, _)| *id).collect(),
        Failing::Only(list) => list.iter().map(|(id, _)| *id).collect(),
    }
}

/// The cases `All` names as passing.
fn passing_ids(e: &Expectation) -> Vec<&'static str> {
    match e.failing {
        Failing::All { passing, .. } => passing.to_vec(),
        Failing::Only(_) => Vec::new(),
    }
}

/// Run the suite against `profile` and compare every case with the table. All differences are
/// reported together, so a table update shows everything that moved at once.
async fn check_profile(profile: &str) {
    let e = expected::of(profile);
    let all = support::builtin_ids();
    let selected: Vec<String> = all
        .iter()
        .filter(|id| !e.exclude.contains(&id.as_str()))
        .cloned()
        .collect();
    let scratch = Scratch::new();
    let mut args = scratch.args();
    args.profile = Some(profile.to_string());
    args.timeout_ms = e.timeout_ms;
    if !e.exclude.is_empty() {
        args.only = selected.clone();
    }
    let run = support::run(args).await;
    run.assert_reports_complete();
    let report = run.report();

    let mut problems = Vec::new();
    if run.code != e.exit {
        problems.push(format!("exit code {} instead of {}", run.code, e.exit));
    }
    let ran: Vec<&str> = report.cases.iter().map(|c| c.meta.id.as_str()).collect();
    if ran != selected.iter().map(String::as_str).collect::<Vec<_>>() {
        problems.push(format!("ran {ran:?}, selected {selected:?}"));
    }
    let failing: BTreeMap<&str, Failure> = match e.failing {
        Failing::All {
            failure,
            except,
            passing,
        } => selected
            .iter()
            .map(String::as_str)
            .filter(|id| !passing.contains(id))
            .map(|id| (id, failure))
            .chain(except.iter().copied())
            .collect(),
        Failing::Only(list) => list.iter().copied().collect(),
    };
    for case in &report.cases {
        let id = case.meta.id.as_str();
        let want = if e.errors.contains(&id) {
            Verdict::Error
        } else if e.skipped.contains(&id) {
            Verdict::Skipped
        } else if failing.contains_key(id) {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        if case.verdict != want {
            problems.push(format!(
                "{id}: {} instead of {want} ({})",
                case.verdict,
                case.reason.as_deref().unwrap_or("no reason")
            ));
            continue;
        }
        if let Some(f) = failing.get(id) {
            problems.extend(failure_problems(case, f));
        }
    }
    assert!(
        problems.is_empty(),
        "profile {profile} does not match expected.rs:\n  {}\n\nrun output:\n{}",
        problems.join("\n  "),
        run.log
    );
}

fn failure_problems(case: &CaseResult, want: &Failure) -> Vec<String> {
    let id = &case.meta.id;
    let Some(first) = first_failure(case) else {
        return vec![format!("{id}: failed without a failing check")];
    };
    let mut out = Vec::new();
    if first.name != want.check {
        out.push(format!(
            "{id}: first failing check `{}` instead of `{}` ({})",
            first.name, want.check, first.message
        ));
    }
    if first.nodo_outcome.as_deref() != want.nodo {
        out.push(format!(
            "{id}: Nodo outcome {:?} instead of {:?}",
            first.nodo_outcome, want.nodo
        ));
    }
    let reason = case.reason.as_deref().unwrap_or_default();
    if !reason.contains(want.reason) {
        out.push(format!(
            "{id}: reason {reason:?} does not mention {:?}",
            want.reason
        ));
    }
    out
}

/// A plain `send-rt` (no `[step.delivery]`) repeated, with the named check
/// `receipt-booked-once` (TEST-PLAN RT-003: "no double booking").
const RECEIPT_TWICE: &str = r#"
id = "RT-903"
title = "the same receipt sent twice with `repeat` is booked once"
requires = ["receipt-target"]

[[step]]
call = "activate"
notice = "receipt-target"
[step.expect]
nodo = "OK"

[[step]]
call = "send-rt"
notice = "receipt-target"
repeat = 2
[step.expect]
nodo = "OK"
checks = ["receipt-booked-once"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_booked_once_is_rejected_or_judged_outside_delivery() {
    // Either fix is fine: `check` refuses the scenario, or the engine judges the check.
    let (_, problems) = collaudo::scenario::load_str("rt-903.toml", RECEIPT_TWICE);
    if problems
        .iter()
        .any(|p| p.severity == collaudo::scenario::Severity::Error)
    {
        return;
    }
    for (profile, want) in [
        ("conformant", Verdict::Pass),
        ("duplicate-booking", Verdict::Fail),
    ] {
        let scratch = Scratch::new();
        let dir = scratch.path().join("scenarios");
        std::fs::create_dir(&dir).expect("create the scenario folder");
        std::fs::write(dir.join("rt-903.toml"), RECEIPT_TWICE).expect("write the scenario");
        let mut args = scratch.args();
        args.profile = Some(profile.into());
        args.scenarios = vec![dir];
        args.only = vec!["RT-903".into()];
        let run = support::run(args).await;
        let report = run.report();
        let case = &report.cases[0];
        assert_eq!(case.verdict, want, "{profile}: {:?}", case.reason);
        if want == Verdict::Fail {
            assert_eq!(
                first_failure(case).map(|c| c.name.as_str()),
                Some("receipt-booked-once")
            );
        }
    }
}
