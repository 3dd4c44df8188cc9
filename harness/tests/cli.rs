//! Golden tests of the `collaudo` binary: help texts, `check` diagnostics for every file under
//! `fixtures/bad-scenarios/`, `list`, `validate`, `run` and `init`, with their exit codes
//! (src/exit.rs).
//!
//! Every command runs with a fixed terminal width, without the `COLLAUDO_*` environment, and in
//! a known working directory (the workspace root, or a temporary folder for commands that
//! write), so the snapshots hold on any machine.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root: scenario and fixture paths in the output are relative to it.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the harness crate sits in the workspace")
        .to_path_buf()
}

/// `collaudo` with a pinned environment, run from the workspace root.
fn collaudo() -> Command {
    support::collaudo_in(&workspace_root())
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run the collaudo binary")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("collaudo exits with a code")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit code, stdout and stderr in one text, for snapshots.
fn transcript(out: &Output) -> String {
    format!(
        "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        code(out),
        stdout(out),
        stderr(out)
    )
}

// ---- help ----

#[test]
fn help() {
    let out = run(collaudo().arg("--help"));
    assert_eq!(code(&out), 0);
    insta::assert_snapshot!("help", transcript(&out));
}

#[test]
fn run_help() {
    let out = run(collaudo().args(["run", "--help"]));
    assert_eq!(code(&out), 0);
    insta::assert_snapshot!("run_help", transcript(&out));
}

#[test]
fn validate_help() {
    let out = run(collaudo().args(["validate", "--help"]));
    assert_eq!(code(&out), 0);
    insta::assert_snapshot!("validate_help", transcript(&out));
}

// ---- check ----

#[test]
fn check_passes_on_the_builtin_suite() {
    let out = run(collaudo().arg("check"));
    assert_eq!(code(&out), 0, "{}", transcript(&out));
    assert!(
        stdout(&out).contains(" ok, 0 errors, 0 warnings"),
        "{}",
        transcript(&out)
    );
}

/// One test per folder of `fixtures/bad-scenarios/`: `collaudo check <folder>` exits 2 and
/// prints the diagnostic snapshotted as `check_<folder>`. (`check` takes folders, so each bad
/// case is a folder; `duplicate-id` needs two files.)
macro_rules! bad_scenarios {
    ($($test:ident => $folder:literal),* $(,)?) => {
        /// The folders that have a test.
        const BAD_SCENARIOS: &[&str] = &[$($folder),*];
        $(
            #[test]
            fn $test() {
                check_bad_scenario($folder);
            }
        )*
    };
}

bad_scenarios! {
    check_toml_syntax => "toml-syntax",
    check_unknown_key => "unknown-key",
    check_unknown_call => "unknown-call",
    check_unknown_fixture_role => "unknown-fixture-role",
    check_bad_duration => "bad-duration",
    check_unknown_fault_kind => "unknown-fault-kind",
    check_unknown_fault_code => "unknown-fault-code",
    check_bad_id => "bad-id",
    check_duplicate_id => "duplicate-id",
    check_option_not_for_call => "option-not-for-call",
    check_expectation_not_for_call => "expectation-not-for-call",
    check_required_option_missing => "required-option-missing",
}

fn check_bad_scenario(folder: &str) {
    let out = run(collaudo()
        .arg("check")
        .arg(format!("fixtures/bad-scenarios/{folder}")));
    assert_eq!(code(&out), 2, "{}", transcript(&out));
    assert!(
        stdout(&out).starts_with("error: "),
        "a diagnostic comes first:\n{}",
        transcript(&out)
    );
    insta::assert_snapshot!(
        format!("check_{}", folder.replace('-', "_")),
        transcript(&out)
    );
}

#[test]
fn every_bad_scenario_folder_has_a_test() {
    let dir = workspace_root().join("fixtures/bad-scenarios");
    let mut folders: Vec<String> = std::fs::read_dir(&dir)
        .expect("read fixtures/bad-scenarios")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut tested: Vec<String> = BAD_SCENARIOS.iter().map(|s| (*s).to_string()).collect();
    tested.sort();
    assert_eq!(folders, tested, "add the new folder to bad_scenarios!");
}

// ---- list ----

#[test]
fn list_by_official_id() {
    let out = run(collaudo().args(["list", "--only", "EC-PSP-02"]));
    assert_eq!(code(&out), 0);
    insta::assert_snapshot!("list_ec_psp_02", transcript(&out));
}

#[test]
fn list_with_nothing_selected_exits_4() {
    let out = run(collaudo().args(["list", "--only", "NOPE"]));
    assert_eq!(code(&out), 4, "{}", transcript(&out));
    assert!(stdout(&out).contains("no scenario matches NOPE"));
}

// ---- plan ----

#[test]
fn plan_markdown_keeps_pagopa_official_cases_apart() {
    let out = run(collaudo().args(["plan", "--only", "EC-PSP-02", "--markdown"]));
    assert_eq!(code(&out), 0, "{}", transcript(&out));
    insta::assert_snapshot!("plan_markdown_ec_psp_02", stdout(&out));
}

/// Cells split on unescaped pipes: every row of a table has as many as its header.
fn cells(row: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    n
}

#[test]
fn plan_markdown_of_the_whole_catalogue_is_a_well_formed_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.md");
    let out = run(collaudo().args(["plan", "--markdown"]).arg(&file));
    assert_eq!(code(&out), 0, "{}", transcript(&out));
    assert!(
        stderr(&out).contains("test plan written to"),
        "{}",
        transcript(&out)
    );
    let md = std::fs::read_to_string(&file).unwrap();
    let printed = stdout(&run(collaudo().args(["plan", "--markdown"])));
    assert_eq!(md, printed, "the file and stdout differ");
    // Every table keeps its column count on every row.
    let mut header = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            let h = *header.get_or_insert(n);
            assert_eq!(n, h, "row with {n} cells under a header of {h}: {line}");
        } else {
            header = None;
        }
    }
    // Every case of the catalogue is a row, and the demonstrations say what they are.
    let listed = stdout(&run(collaudo().arg("list")));
    for id in listed
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
    {
        if id.contains('-') {
            assert!(
                md.contains(&format!("| {id} |")),
                "{id} missing from the plan"
            );
        }
    }
    assert!(md.contains("| DEMO |"));
}

#[test]
fn plan_markdown_into_a_missing_folder_exits_2() {
    let out = run(collaudo().args(["plan", "--markdown", "/nonexistent-dir/plan.md"]));
    assert_eq!(code(&out), 2, "{}", transcript(&out));
    assert!(stderr(&out).contains("/nonexistent-dir/plan.md"));
}

// ---- validate ----

const VALID_VERIFY_RES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd">
  <soapenv:Body>
    <pafn:paVerifyPaymentNoticeRes>
      <outcome>OK</outcome>
      <paymentList>
        <paymentOptionDescription>
          <amount>150.00</amount>
          <options>EQ</options>
          <dueDate>2099-12-31</dueDate>
          <allCCP>false</allCCP>
        </paymentOptionDescription>
      </paymentList>
      <paymentDescription>TARI 2025</paymentDescription>
      <fiscalCodePA>77777777777</fiscalCodePA>
      <companyName>Comune di Collaudo</companyName>
    </pafn:paVerifyPaymentNoticeRes>
  </soapenv:Body>
</soapenv:Envelope>
"#;

/// A folder with `valid.xml` and `invalid.xml` (amount with a comma, options `KK`: SIN_PVPNR
/// 20 and 24 in the Nodo's tests).
fn messages() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    std::fs::write(dir.path().join("valid.xml"), VALID_VERIFY_RES).expect("write valid.xml");
    let invalid = VALID_VERIFY_RES
        .replace("<amount>150.00</amount>", "<amount>150,0</amount>")
        .replace("<options>EQ</options>", "<options>KK</options>");
    std::fs::write(dir.path().join("invalid.xml"), invalid).expect("write invalid.xml");
    dir
}

#[test]
fn validate_a_valid_message_exits_0() {
    let dir = messages();
    let out = run(collaudo()
        .current_dir(dir.path())
        .args(["validate", "valid.xml"]));
    assert_eq!(code(&out), 0, "{}", transcript(&out));
    assert!(stdout(&out).starts_with("valid    valid.xml: paVerifyPaymentNoticeRes"));
}

#[test]
fn validate_an_invalid_message_exits_1() {
    let dir = messages();
    let out =
        run(collaudo()
            .current_dir(dir.path())
            .args(["validate", "valid.xml", "invalid.xml"]));
    assert_eq!(code(&out), 1, "{}", transcript(&out));
    insta::assert_snapshot!("validate_invalid", transcript(&out));
}

#[test]
fn validate_counts_what_it_does_not_show() {
    // 150 elements the schema does not allow: 150 errors, the first 100 shown.
    let dir = tempfile::tempdir().expect("create a temporary folder");
    let junk = "<junk/>".repeat(150);
    let hostile = VALID_VERIFY_RES.replace(
        "<outcome>OK</outcome>",
        &format!("<outcome>OK</outcome>{junk}"),
    );
    std::fs::write(dir.path().join("many.xml"), hostile).expect("write many.xml");
    let out = run(collaudo()
        .current_dir(dir.path())
        .args(["validate", "many.xml"]));
    assert_eq!(code(&out), 1, "{}", transcript(&out));
    let text = stdout(&out);
    assert!(text.contains(": 150 errors"), "{text:.400}");
    assert!(
        text.contains("… and 50 more violations not shown"),
        "{}",
        &text[text.len().saturating_sub(400)..]
    );
}

#[test]
fn validate_an_unreadable_file_exits_2() {
    let dir = messages();
    let out =
        run(collaudo()
            .current_dir(dir.path())
            .args(["validate", "invalid.xml", "missing.xml"]));
    assert_eq!(
        code(&out),
        2,
        "unreadable beats invalid\n{}",
        transcript(&out)
    );
    assert!(stdout(&out).contains("error: cannot read missing.xml"));
}

// ---- run ----

#[test]
fn run_one_case_against_the_embedded_station() {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    let out = run(collaudo().current_dir(dir.path()).args([
        "run",
        "--only",
        "VRF-001",
        "--no-progress",
        "--out",
        "report",
    ]));
    assert_eq!(code(&out), 0, "{}", transcript(&out));
    assert!(stdout(&out).is_empty(), "run writes nothing on stdout");
    for f in [
        "junit.xml",
        "report.json",
        "summary.md",
        "events.jsonl",
        "journal.jsonl",
    ] {
        assert!(dir.path().join("report").join(f).is_file(), "{f} missing");
    }
}

#[test]
fn run_with_an_unknown_profile_exits_2_and_lists_the_profiles() {
    let out = run(collaudo().args(["run", "--profile", "nope"]));
    assert_eq!(code(&out), 2, "{}", transcript(&out));
    let err = stderr(&out);
    assert!(err.contains("unknown station profile \"nope\""), "{err}");
    for p in collaudo_station::Profile::ALL {
        assert!(err.contains(p.name()), "{} is not listed: {err}", p.name());
    }
}

// ---- init ----

#[test]
fn init_writes_a_config_that_run_accepts() {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    let config = dir.path().join("collaudo.toml");
    let out = run(collaudo().current_dir(dir.path()).arg("init").arg(&config));
    assert_eq!(code(&out), 0, "{}", transcript(&out));
    let written = std::fs::read_to_string(&config).expect("init wrote the file");
    assert_eq!(written, collaudo::config::template());
    assert!(written.contains("# payable: ") && written.contains("mod-93"));

    let again = run(collaudo().current_dir(dir.path()).arg("init").arg(&config));
    assert_eq!(code(&again), 2, "no overwrite without --force");
    assert!(stderr(&again).contains("--force"));

    // The template names no station: run refuses it rather than test the embedded one…
    let run_it = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--config",
            "collaudo.toml",
            "--only",
            "VRF-001",
            "--no-progress",
            "--out",
            "report",
        ];
        args.extend_from_slice(extra);
        run(collaudo().current_dir(dir.path()).args(&args))
    };
    let out = run_it(&[]);
    assert_eq!(code(&out), 2, "{}", transcript(&out));
    assert!(
        stderr(&out).contains("names no station"),
        "{}",
        transcript(&out)
    );
    // …unless asked to.
    let out = run_it(&["--embedded"]);
    assert_eq!(code(&out), 0, "{}", transcript(&out));
    assert!(dir.path().join("report/report.json").is_file());
}

// ---- station ----

#[test]
fn station_threads_must_be_at_least_one() {
    let out = run(collaudo().args(["station", "--threads", "0"]));
    assert_eq!(code(&out), 2, "{}", transcript(&out));
    assert!(stderr(&out).contains("--threads"), "{}", transcript(&out));
}
