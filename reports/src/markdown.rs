//! Markdown summary report, for pull-request comments and CI job summaries.
//!
//! A header with the counts, verdict, seed and station; a table of cases that keeps
//! collaudo's ids and PagoPA's official ids in separate, labelled columns; then the failed
//! checks with expected value, actual value and the Nodo's outcome, and the harness errors.
//! Station text is escaped so it renders literally and cannot break the table.
//!
//! Simulator demonstrations (class `DEMO`) get a section of their own after all the evidence:
//! they are left out of the counts, the case table, the failures and the errors above it.

use std::fmt::Write as _;

use crate::json::{Tally, is_demonstration, verdict};
use crate::model::{CaseResult, CheckRecord, CheckVerdict, RunResult, StepRecord, Verdict};
use crate::text::{duration, md_cell, md_code, md_fence};

/// The note that opens the section of simulator demonstrations.
pub const DEMO_NOTE: &str = "> **Not evidence.** These cases exercise collaudo's simulator of the \
Nodo (the Stand-In rules, its own bookkeeping) and no station, right or wrong, can change their \
verdict. They show what the simulator does and are not counted above. One that fails or errors \
means the simulator misbehaved, which makes the run an error.";

/// The note printed above the case table.
pub const ID_NOTE: &str = "> **About the ids.** Ids such as `VRF-001` belong to collaudo's own \
test catalogue; they are not PagoPA ids. Only the *PagoPA official id* column (`EC-PSP-*`) \
refers to PagoPA's go-live test plan: a case listed there collects evidence towards that \
official case, against a simulated Nodo, and does not replace it.";

fn verdict_cell(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "**FAIL**",
        Verdict::Error => "**ERROR**",
        Verdict::Skipped => "skipped",
    }
}

/// Renders the Markdown report of `run`.
#[must_use]
pub fn render(run: &RunResult) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail, so the results of write! are ignored throughout.
    let (demos, evidence): (Vec<&CaseResult>, Vec<&CaseResult>) =
        run.cases.iter().partition(|c| is_demonstration(c));
    header(&mut out, run);
    official_rollup(&mut out, run);
    cases_table(&mut out, &evidence);
    failures(&mut out, &evidence);
    errors(&mut out, &evidence);
    noted(&mut out, &evidence, CheckVerdict::Warn);
    noted(&mut out, &evidence, CheckVerdict::Skip);
    demonstrations(&mut out, &demos);
    out
}

/// The warnings (and, separately, the checks that could not be evaluated) of every case,
/// passing ones included: neither changes a verdict, and both are worth a team's attention.
fn noted(out: &mut String, cases: &[&CaseResult], verdict: CheckVerdict) {
    let with: Vec<(&CaseResult, Vec<(&StepRecord, &CheckRecord)>)> = cases
        .iter()
        .map(|c| (*c, c.checks_with(verdict).collect::<Vec<_>>()))
        .filter(|(c, checks)| {
            !checks.is_empty() || (verdict == CheckVerdict::Warn && !c.warnings.is_empty())
        })
        .collect();
    if with.is_empty() {
        return;
    }
    out.push_str(match verdict {
        CheckVerdict::Skip => {
            "\n## Checks not evaluated\n\nThese checks need configuration this run did not have; \
             the reason says what to add. They never fail a case.\n"
        }
        _ => {
            "\n## Warnings\n\nTolerated deviations: they do not fail a case, but a careful station \
             does not have them (see docs/checks.md for why each one only warns).\n"
        }
    });
    for (case, checks) in with {
        case_heading(out, case);
        for (step, check) in &checks {
            check_line(out, step, check);
        }
        if verdict == CheckVerdict::Warn {
            let listed: Vec<&str> = checks.iter().map(|(_, c)| c.message.as_str()).collect();
            for warning in case
                .warnings
                .iter()
                .filter(|w| !listed.contains(&w.as_str()))
            {
                let _ = writeln!(out, "- {}", md_cell(warning));
            }
        }
    }
}

/// `- Step 2 `name`, check `name`: message`, one line per check listed.
fn check_line(out: &mut String, step: &StepRecord, check: &CheckRecord) {
    let _ = writeln!(
        out,
        "- Step {} {}, check {}: {}",
        step.index + 1,
        md_code(&step.name),
        md_code(&check.name),
        md_cell(&check.message)
    );
}

/// `- Step 2 `name`: message`, for a step whose own message says what happened.
fn step_line(out: &mut String, step: &StepRecord) {
    let _ = writeln!(
        out,
        "- Step {} {}: {}",
        step.index + 1,
        md_code(&step.name),
        step.message.as_deref().map(md_cell).unwrap_or_default()
    );
}

fn header(out: &mut String, run: &RunResult) {
    let info = &run.info;
    let tally = Tally::of(&run.cases);
    let s = &tally.evidence;
    let verdict = verdict(run);
    let _ = writeln!(
        out,
        "# collaudo report: {}\n",
        verdict.as_str().to_uppercase()
    );
    for warning in &info.warnings {
        let _ = writeln!(out, "> **Warning:** {}\n", md_cell(warning));
    }
    let _ = writeln!(
        out,
        "- Verdict: {} ({s}; {} case{})",
        verdict_cell(verdict),
        s.total,
        if s.total == 1 { "" } else { "s" }
    );
    let d = &tally.demonstrations;
    if d.total > 0 {
        let _ = writeln!(
            out,
            "- Simulator demonstrations — not evidence: {} ({d})",
            d.total
        );
    }
    let _ = writeln!(
        out,
        "- Station: {} ({})",
        md_cell(&info.station_url),
        md_cell(&info.station_kind)
    );
    if !info.id_pa.is_empty() {
        let _ = writeln!(
            out,
            "- EC (idPA) {}, intermediary (idBrokerPA) {}, station (idStation) {}",
            md_code(&info.id_pa),
            md_code(&info.id_broker_pa),
            md_code(&info.id_station)
        );
    }
    if let Some(tls) = &info.tls_mode {
        let _ = writeln!(out, "- TLS: {}", md_cell(tls));
    }
    let _ = writeln!(out, "- Seed: `{}`", info.seed);
    let _ = writeln!(out, "- Run id: `{}`", info.run_id.replace('`', "'"));
    let _ = writeln!(
        out,
        "- Tool: collaudo {}, {} clock, config digest `{}`, catalogue digest `{}`",
        md_cell(&info.tool_version),
        md_cell(&info.clock),
        info.config_digest.replace('`', "'"),
        info.catalogue_digest.replace('`', "'")
    );
    let _ = writeln!(
        out,
        "- Started {}, finished {}, took {}",
        md_cell(&info.started_at),
        md_cell(&run.finished_at),
        duration(run.duration_ms)
    );
    out.push('\n');
}

/// PagoPA's official cases, each with collaudo's cases for it and the worst of their verdicts.
fn official_rollup(out: &mut String, run: &RunResult) {
    let rows = crate::official::rollup(run);
    out.push_str(
        "## PagoPA official cases

",
    );
    if rows.is_empty() {
        out.push_str(
            "No case of this run collects evidence towards a PagoPA official case.

",
        );
        return;
    }
    out.push_str(
        "Each PagoPA official case passes only when every collaudo case for it passed. \
         The evidence comes from a simulated Nodo: it prepares the official test, it does not \
         replace it.\n\n",
    );
    out.push_str("| PagoPA official id | verdict | collaudo cases |\n|---|---|---|\n");
    for row in &rows {
        let cases: Vec<String> = row
            .cases
            .iter()
            .map(|c| format!("{} ({})", md_cell(&c.meta.id), c.verdict))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            md_cell(row.official_id),
            match row.verdict {
                Verdict::Fail | Verdict::Error =>
                    format!("**{}**", crate::official::verdict_text(row).to_uppercase()),
                _ => crate::official::verdict_text(row).to_owned(),
            },
            cases.join(", ")
        );
    }
    out.push('\n');
}

fn cases_table(out: &mut String, cases: &[&CaseResult]) {
    out.push_str("## Cases\n\n");
    out.push_str(ID_NOTE);
    out.push_str("\n\n");
    if cases.is_empty() {
        out.push_str("No case ran.\n");
        return;
    }
    case_rows(out, cases, false);
}

/// The case table; `demos` marks every non-pass as the simulator's, not the station's.
fn case_rows(out: &mut String, cases: &[&CaseResult], demos: bool) {
    out.push_str("| collaudo id | PagoPA official id | title | verdict | reason |\n");
    out.push_str("|---|---|---|---|---|\n");
    for case in cases {
        let meta = &case.meta;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md_cell(&meta.id),
            meta.official_id
                .as_deref()
                .map_or_else(|| "—".to_owned(), md_cell),
            md_cell(&meta.title),
            if demos && matches!(case.verdict, Verdict::Fail | Verdict::Error) {
                format!("{} (simulator)", verdict_cell(case.verdict))
            } else {
                verdict_cell(case.verdict).to_owned()
            },
            case.reason.as_deref().map(md_cell).unwrap_or_default()
        );
    }
}

fn case_heading(out: &mut String, case: &CaseResult) {
    let meta = &case.meta;
    let _ = writeln!(
        out,
        "\n### {}: {}\n",
        md_cell(&meta.id),
        md_cell(&meta.title)
    );
    if let Some(official) = &meta.official_id {
        let _ = writeln!(out, "- PagoPA official id: {}", md_cell(official));
    }
    if let Some(source) = &meta.source_file {
        let _ = writeln!(out, "- Scenario: {}", md_code(source));
    }
    if let Some(reason) = &case.reason {
        let _ = writeln!(out, "- Reason: {}", md_cell(reason));
    }
}

fn failures(out: &mut String, cases: &[&CaseResult]) {
    let failed: Vec<&CaseResult> = cases
        .iter()
        .copied()
        .filter(|c| c.verdict == Verdict::Fail)
        .collect();
    if failed.is_empty() {
        return;
    }
    out.push_str("\n## Failures\n\nThe station did not conform in these cases.\n");
    for case in failed {
        case_heading(out, case);
        for (step, check) in case.failed_checks() {
            check_line(out, step, check);
            if let Some(expected) = &check.expected {
                out.push_str("  - Expected:\n\n");
                out.push_str(&md_fence(expected, "    "));
                out.push('\n');
            }
            if let Some(actual) = &check.actual {
                out.push_str("  - Actual:\n\n");
                out.push_str(&md_fence(actual, "    "));
                out.push('\n');
            }
            if let Some(nodo) = &check.nodo_outcome {
                let _ = writeln!(
                    out,
                    "  - What the real Nodo would answer the PSP: {}",
                    md_code(nodo)
                );
            }
        }
    }
}

fn errors(out: &mut String, cases: &[&CaseResult]) {
    let errored: Vec<&CaseResult> = cases
        .iter()
        .copied()
        .filter(|c| c.verdict == Verdict::Error)
        .collect();
    if errored.is_empty() {
        return;
    }
    out.push_str(
        "\n## Errors\n\nThe harness or the environment failed in these cases, so the station \
         could not be judged.\n",
    );
    for case in errored {
        case_heading(out, case);
        for step in case.steps.iter().filter(|s| s.verdict == Verdict::Error) {
            step_line(out, step);
        }
    }
}

/// The demonstrations, after all the evidence: a table, then what went wrong in those that did
/// not pass (the simulator's failures, so they are told apart from the station's).
fn demonstrations(out: &mut String, demos: &[&CaseResult]) {
    if demos.is_empty() {
        return;
    }
    out.push_str("\n## Simulator demonstrations — not evidence\n\n");
    out.push_str(DEMO_NOTE);
    out.push_str("\n\n");
    case_rows(out, demos, true);
    for case in demos
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Error))
    {
        case_heading(out, case);
        for (step, check) in case.failed_checks() {
            check_line(out, step, check);
        }
        for step in case.steps.iter().filter(|s| s.verdict == Verdict::Error) {
            step_line(out, step);
        }
    }
}
