//! Running built-in cases against fresh deviant stations, in-process, and judging each verdict
//! against the row.
//!
//! Cases that change nothing on a station (`table::READ_ONLY`: verifies, KO activations) share
//! one run per row; every other case gets its own run against its own pair of stations (the
//! EC's and the secondary EC's broadcast station), so a case that activates or pays a notice
//! (RT-*, or any activation on a station that closes positions) never changes what another case
//! sees.

use crate::station::{self, Deviation, PRIMARY, SECONDARY};
use crate::table::{Expect, READ_ONLY, Row};
use collaudo::run::RunArgs;
use collaudo_reports::{CheckVerdict, ReportFormat, RunResult, Verdict};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What one case did.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) case: &'static str,
    pub(crate) verdict: Verdict,
    pub(crate) reason: Option<String>,
    pub(crate) warnings: Vec<String>,
    pub(crate) millis: u128,
}

fn config(primary_url: &str, broadcast_url: &str, sync_ms: Option<u64>) -> String {
    let acc = station::accounts();
    let mut c = String::new();
    let _ = writeln!(
        c,
        r#"[station]
url = "{primary_url}"
id_pa = "{ec}"
id_broker_pa = "{broker}"
id_station = "{st}"
segregation_codes = ["{seg:02}"]
"#,
        ec = station::EC,
        broker = station::BROKER,
        st = station::STATION,
        seg = station::SEGREGATION,
    );
    if let Some(ms) = sync_ms {
        let _ = writeln!(c, "[timeouts]\nsync_ms = {ms}\n");
    }
    c.push_str("[fixtures]\n");
    for (role, _) in station::FIXTURES {
        let _ = writeln!(c, "{role} = \"{}\"", station::fixture_notice(role));
    }
    let _ = writeln!(
        c,
        r#"
[backoffice.ecs."{ec}"]
enabled = true
company_name = "Comune di Verifica Indipendente"
[backoffice.ecs."{sec}"]
enabled = true
company_name = "Provincia Seconda"
[[backoffice.ibans."{ec}"]]
iban = "{ec_iban}"
postal = false
[[backoffice.ibans."{ec}"]]
iban = "{ec_postal}"
postal = true
[[backoffice.ibans."{sec}"]]
iban = "{sec_iban}"
postal = false
[[backoffice.ibans."{sec}"]]
iban = "{sec_postal}"
postal = true

[[broadcast]]
fiscal_code = "{sec}"
url = "{broadcast_url}"
id_station = "{sec_station}"
send_rt_version = 1
"#,
        ec = station::EC,
        sec = station::SECONDARY_EC,
        sec_station = station::SECONDARY_STATION,
        ec_iban = acc.ec_iban,
        ec_postal = acc.ec_postal,
        sec_iban = acc.secondary_iban,
        sec_postal = acc.secondary_postal,
    );
    c
}

/// Run `cases` in one run against a fresh pair of stations with `dev`.
pub(crate) async fn run_cases(
    dev: Deviation,
    cases: &[&'static str],
    sync_ms: Option<u64>,
) -> Vec<Outcome> {
    let primary = station::start(PRIMARY, dev).await;
    let broadcast = station::start(SECONDARY, dev).await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let cfg = dir.path().join("collaudo.toml");
    std::fs::write(&cfg, config(&primary.url, &broadcast.url, sync_ms)).expect("write config");
    let (report, code) = run_report(cfg, &dir.path().join("out"), cases, false).await;
    cases
        .iter()
        .map(|case| {
            let Some(result) = report.cases.iter().find(|c| c.meta.id == *case) else {
                // The catalogue moved under the table: judged as a harness error, so the row
                // reports it instead of hiding the other cases.
                return Outcome {
                    case,
                    verdict: Verdict::Error,
                    reason: Some(format!(
                        "{case} is not in the built-in catalogue (exit {code})"
                    )),
                    warnings: Vec::new(),
                    millis: 0,
                };
            };
            let mut warnings = result.warnings.clone();
            for s in &result.steps {
                for c in &s.checks {
                    // An external station's bookings are never observable: that warning says
                    // nothing about the station.
                    let unobservable = matches!(
                        c.name.as_str(),
                        "receipt-booked-once" | "receipt-not-booked"
                    );
                    if c.verdict == CheckVerdict::Warn && !unobservable {
                        warnings.push(format!("{}: {}: {}", s.name, c.name, c.message));
                    }
                }
            }
            Outcome {
                case,
                verdict: result.verdict,
                reason: result.reason.clone(),
                warnings,
                millis: result.duration_ms.round() as u128,
            }
        })
        .collect()
}

/// Run `cases` with the configuration file `cfg` in one run (seed 42, JSON report in `out`),
/// without the station preflight when `no_preflight`: the parsed report and the exit code.
pub(crate) async fn run_report(
    cfg: PathBuf,
    out: &Path,
    cases: &[&str],
    no_preflight: bool,
) -> (RunResult, i32) {
    let args = RunArgs {
        config: Some(cfg),
        out: Some(out.to_path_buf()),
        only: cases.iter().map(|c| (*c).to_string()).collect(),
        seed: Some(42),
        no_progress: true,
        non_interactive: true,
        no_preflight,
        reports: vec![ReportFormat::Json],
        ..RunArgs::default()
    };
    let mut log = Vec::new();
    let code = collaudo::run::run(args, |_| None, &mut log).await;
    let log = String::from_utf8_lossy(&log);
    let text = std::fs::read_to_string(out.join("report.json"))
        .unwrap_or_else(|e| panic!("{cases:?}: no report.json ({e}), exit {code}\n{log}"));
    let report = collaudo_reports::json::parse(&text)
        .unwrap_or_else(|e| panic!("{cases:?}: report.json does not parse: {e}\n{log}"));
    (report, code)
}

/// Whether `o` is what `e` asks for.
fn meets(e: Expect, o: &Outcome) -> bool {
    match e {
        Expect::Fail => o.verdict == Verdict::Fail,
        Expect::Pass => o.verdict == Verdict::Pass,
        Expect::Warn => o.verdict == Verdict::Pass && !o.warnings.is_empty(),
        Expect::Skip => o.verdict == Verdict::Skipped,
        Expect::Undecided => true,
    }
}

fn describe(o: &Outcome) -> String {
    let mut s = format!("{:?}", o.verdict);
    if !o.warnings.is_empty() {
        let _ = write!(s, " with {} warning(s)", o.warnings.len());
    }
    s
}

/// Run a whole row and panic with every unexpected verdict (each with the case's reason).
pub(crate) async fn check_row(row: &Row) {
    let started = std::time::Instant::now();
    let mut report = format!("== {} ({:?})\n   {}\n", row.name, row.deviation, row.what);
    if let Some(g) = row.gap {
        let _ = writeln!(report, "   GAP: {g}");
    }
    let mut problems = Vec::new();
    // Cases that change nothing on the station share one run; every other case gets its own
    // run against fresh stations.
    let cases = row.cases();
    let (shared, alone): (Vec<&'static str>, Vec<&'static str>) = cases
        .iter()
        .partition(|c| row.only.is_none() && READ_ONLY.contains(c));
    let mut outcomes = Vec::new();
    if !shared.is_empty() {
        outcomes.extend(run_cases(row.deviation, &shared, row.sync_ms).await);
    }
    for case in alone {
        outcomes.extend(run_cases(row.deviation, &[case], row.sync_ms).await);
    }
    outcomes.sort_by_key(|o| cases.iter().position(|c| *c == o.case));
    for o in outcomes {
        let case = o.case;
        let e = row.expect(case);
        let known = row
            .known_harness_defects
            .iter()
            .find(|(c, _)| *c == case)
            .map(|(_, why)| *why);
        let ok = meets(e, &o);
        let reason = o.reason.clone().unwrap_or_default();
        let mark = match (ok, known) {
            (true, None) => "ok",
            (false, Some(_)) => "KNOWN-DEFECT",
            (false, None) => "MISMATCH",
            (true, Some(_)) => "STALE-DEFECT",
        };
        let _ = writeln!(
            report,
            "   {mark:<12} {case:<10} expected {e:?}, got {} ({:.0} ms){}",
            describe(&o),
            o.millis,
            if reason.is_empty() || (ok && !matches!(e, Expect::Undecided | Expect::Fail)) {
                String::new()
            } else {
                let short: String = reason.chars().take(400).collect();
                format!("\n                reason: {short}")
            }
        );
        if e == Expect::Undecided {
            if let Some((_, why)) = row.undecided.iter().find(|(c, _)| *c == case) {
                let _ = writeln!(report, "                undecided: {why}");
            }
        }
        if !o.warnings.is_empty()
            && (!ok || matches!(e, Expect::Warn | Expect::Pass | Expect::Undecided))
        {
            for w in &o.warnings {
                let _ = writeln!(report, "                warning: {w}");
            }
        }
        match (ok, known) {
            (false, None) => problems.push(format!(
                "{} / {case}: expected {e:?}, harness said {}: {reason}",
                row.name,
                describe(&o)
            )),
            (false, Some(why)) => {
                let _ = writeln!(report, "                known harness defect: {why}");
            }
            (true, Some(_)) => problems.push(format!(
                "{} / {case}: listed as a known harness defect, but the harness now agrees with \
                 the table ({}): remove it from known_harness_defects",
                row.name,
                describe(&o)
            )),
            (true, None) => {}
        }
    }
    let _ = writeln!(report, "   ({} ms)", started.elapsed().as_millis());
    println!("{report}");
    assert!(
        problems.is_empty(),
        "{} disagreement(s) with the table:\n{}\n\n{report}",
        problems.len(),
        problems.join("\n")
    );
}
