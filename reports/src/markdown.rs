//! Markdown summary report, for pull-request comments and CI job summaries.
//!
//! A header with the counts, verdict, seed and station; a table of cases that keeps
//! collaudo's ids and PagoPA's official ids in separate, labelled columns; then the failed
//! checks with expected value, actual value and the Nodo's outcome, and the harness errors.
//! Station text is escaped so it renders literally and cannot break the table.

use std::fmt::Write as _;

use crate::model::{CaseResult, RunResult, Verdict};
use crate::text::{duration, md_cell, md_code, md_fence};

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
    header(&mut out, run);
    cases_table(&mut out, run);
    failures(&mut out, run);
    errors(&mut out, run);
    out
}

fn header(out: &mut String, run: &RunResult) {
    let info = &run.info;
    let s = &run.summary;
    let verdict = run.verdict();
    let _ = writeln!(
        out,
        "# collaudo report: {}\n",
        verdict.as_str().to_uppercase()
    );
    let _ = writeln!(
        out,
        "- Verdict: {} ({s}; {} case{})",
        verdict_cell(verdict),
        s.total,
        if s.total == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "- Station: {} ({})",
        md_cell(&info.station_url),
        md_cell(&info.station_kind)
    );
    let _ = writeln!(out, "- Seed: `{}`", info.seed);
    let _ = writeln!(out, "- Run id: `{}`", info.run_id.replace('`', "'"));
    let _ = writeln!(
        out,
        "- Tool: collaudo {}, {} clock, config digest `{}`",
        md_cell(&info.tool_version),
        md_cell(&info.clock),
        info.config_digest.replace('`', "'")
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

fn cases_table(out: &mut String, run: &RunResult) {
    out.push_str("## Cases\n\n");
    out.push_str(ID_NOTE);
    out.push_str("\n\n");
    if run.cases.is_empty() {
        out.push_str("No case ran.\n");
        return;
    }
    out.push_str("| collaudo id | PagoPA official id | title | verdict | reason |\n");
    out.push_str("|---|---|---|---|---|\n");
    for case in &run.cases {
        let meta = &case.meta;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md_cell(&meta.id),
            meta.official_id
                .as_deref()
                .map_or_else(|| "—".to_owned(), md_cell),
            md_cell(&meta.title),
            verdict_cell(case.verdict),
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

fn failures(out: &mut String, run: &RunResult) {
    let failed: Vec<&CaseResult> = run
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .collect();
    if failed.is_empty() {
        return;
    }
    out.push_str("\n## Failures\n\nThe station did not conform in these cases.\n");
    for case in failed {
        case_heading(out, case);
        for (step, check) in case.failed_checks() {
            let _ = writeln!(
                out,
                "- Step {} {}, check {}: {}",
                step.index + 1,
                md_code(&step.name),
                md_code(&check.name),
                md_cell(&check.message)
            );
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

fn errors(out: &mut String, run: &RunResult) {
    let errored: Vec<&CaseResult> = run
        .cases
        .iter()
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
            let _ = writeln!(
                out,
                "- Step {} {}: {}",
                step.index + 1,
                md_code(&step.name),
                step.message.as_deref().map(md_cell).unwrap_or_default()
            );
        }
    }
}
