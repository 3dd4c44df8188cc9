//! Console reporter: progress while the run goes, a table and the summary line at the end.
//!
//! On a terminal (stderr) it shows a progress bar with the current case id and prints only
//! the cases that did not pass above it; otherwise (CI logs, pipes, `no_progress`) it prints
//! one line per finished case. Either way it ends with a table of every case and the line
//! `N passed, N failed, N errors, N skipped`. Station text is printed with control characters
//! made visible, so a response cannot inject terminal escapes.
//!
//! Simulator demonstrations (class `DEMO`) are marked on their line, listed after the other
//! cases under their own heading, and counted on a line of their own: the summary line counts
//! only the evidence about the station.

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::ReportError;
use crate::event::{Event, EventEnvelope, Reporter};
use crate::json::{Tally, is_demonstration, verdict};
use crate::model::{CaseResult, CheckVerdict, RunInfo, RunResult, Verdict};
use crate::text::{duration, visible_line};

/// Human-facing progress and summary.
pub struct ConsoleReporter {
    out: Box<dyn Write + Send>,
    no_progress: bool,
    bar: Option<ProgressBar>,
    /// The output refused a write (a closed pipe: `collaudo run 2>&1 | head`). That is one
    /// harness error, said once; the rest of the run's lines are dropped, not each an error.
    gone: bool,
}

impl ConsoleReporter {
    /// Writes to `out`. A progress bar is drawn on stderr only when stderr is a terminal and
    /// `no_progress` is false; tests pass `no_progress = true` to get stable line output.
    #[must_use]
    pub fn new(out: Box<dyn Write + Send>, no_progress: bool) -> ConsoleReporter {
        ConsoleReporter {
            out,
            no_progress,
            bar: None,
            gone: false,
        }
    }

    /// Writes to stderr, the usual setup of the command-line tool.
    #[must_use]
    pub fn stderr(no_progress: bool) -> ConsoleReporter {
        ConsoleReporter::new(Box::new(io::stderr()), no_progress)
    }

    /// Writes `text` to the output, keeping the progress bar (if any) out of its way.
    fn emit(&mut self, text: &str) -> Result<(), ReportError> {
        if self.gone {
            return Ok(());
        }
        let out = &mut self.out;
        let mut write = || -> io::Result<()> {
            out.write_all(text.as_bytes())?;
            out.flush()
        };
        let written = match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        };
        self.gone = written.is_err();
        written.map_err(ReportError::Console)
    }

    fn run_started(&mut self, info: &RunInfo, total: usize) -> Result<(), ReportError> {
        if !self.no_progress && io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(
                Some(u64::try_from(total).unwrap_or(u64::MAX)),
                ProgressDrawTarget::stderr(),
            );
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} cases  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            self.bar = Some(bar);
        }
        let mut text = format!(
            "collaudo {}: {total} cases against {} ({}), seed {}, run id {}, {} clock\n",
            visible_line(&info.tool_version),
            visible_line(&info.station_url),
            visible_line(&info.station_kind),
            info.seed,
            visible_line(&info.run_id),
            visible_line(&info.clock),
        );
        for warning in &info.warnings {
            text.push_str(&format!("WARNING: {}\n", visible_line(warning)));
        }
        self.emit(&text)
    }

    fn scenario_finished(&mut self, case: &CaseResult) -> Result<(), ReportError> {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if case.verdict == Verdict::Pass || case.verdict == Verdict::Skipped {
                return Ok(());
            }
        }
        self.emit(&case_line(case))
    }

    fn run_finished(&mut self, run: &RunResult) -> Result<(), ReportError> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.emit(&final_table(run))
    }
}

impl std::fmt::Debug for ConsoleReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleReporter")
            .field("no_progress", &self.no_progress)
            .field("progress_bar", &self.bar.is_some())
            .finish_non_exhaustive()
    }
}

impl Reporter for ConsoleReporter {
    fn write_event(&mut self, ev: &EventEnvelope) -> Result<(), ReportError> {
        match &ev.event {
            Event::RunStarted { info, total_cases } => self.run_started(info, *total_cases),
            Event::ScenarioStarted { meta } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(visible_line(&meta.id));
                }
                Ok(())
            }
            Event::StepFinished { .. } => Ok(()),
            Event::ScenarioFinished { result } => self.scenario_finished(result),
            Event::RunFinished { result } => self.run_finished(result),
        }
    }
}

fn label(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Error => "ERROR",
        Verdict::Skipped => "SKIP",
    }
}

/// What marks a simulator demonstration on its line.
const DEMO_MARK: &str = " [simulator demonstration — not evidence]";

/// The heading of the demonstrations in the final table and of their counts.
const DEMO_HEADING: &str = "simulator demonstrations — not evidence";

/// `PASS    VRF-001 [PagoPA EC-PSP-01] title (12 ms)`, then the reason for non-passes.
fn case_line(case: &CaseResult) -> String {
    let meta = &case.meta;
    let mut official = meta
        .official_id
        .as_deref()
        .map(|o| format!(" [PagoPA {}]", visible_line(o)))
        .unwrap_or_default();
    if is_demonstration(case) {
        official.push_str(DEMO_MARK);
    }
    let took = if case.verdict == Verdict::Skipped {
        String::new()
    } else {
        format!(" ({})", duration(case.duration_ms))
    };
    let mut line = format!(
        "{:<7} {}{official} {}{took}\n",
        label(case.verdict),
        visible_line(&meta.id),
        visible_line(&meta.title),
    );
    if case.verdict != Verdict::Pass {
        if let Some(reason) = &case.reason {
            line.push_str(&format!("        {}\n", visible_line(reason)));
        }
    }
    // Warnings show on every case, passing ones included: they do not fail the case, and a
    // team should still see them (docs/checks.md says which checks only warn).
    let warnings: Vec<_> = case.checks_with(CheckVerdict::Warn).collect();
    for (_, check) in warnings.iter().take(WARNINGS_PER_CASE) {
        line.push_str(&format!(
            "        warning: {}: {}\n",
            visible_line(&check.name),
            visible_line(&check.message)
        ));
    }
    if warnings.len() > WARNINGS_PER_CASE {
        line.push_str(&format!(
            "        … and {} more warning(s) in summary.md\n",
            warnings.len() - WARNINGS_PER_CASE
        ));
    }
    line
}

/// Warnings printed under a case line; the rest are in summary.md.
const WARNINGS_PER_CASE: usize = 3;

fn table_row(out: &mut String, cells: [&str; 4], widths: [usize; 4]) {
    let line = cells
        .iter()
        .zip(widths)
        .map(|(cell, w)| format!("{cell:<w$}"))
        .collect::<Vec<_>>()
        .join("  ");
    out.push_str(line.trim_end());
    out.push('\n');
}

fn final_table(run: &RunResult) -> String {
    let header = ["collaudo id", "PagoPA official id", "verdict", "duration"];
    let row = |c: &CaseResult| {
        [
            visible_line(&c.meta.id),
            c.meta
                .official_id
                .as_deref()
                .map_or_else(|| "-".to_owned(), visible_line),
            c.verdict.as_str().to_owned(),
            if c.verdict == Verdict::Skipped {
                "-".to_owned()
            } else {
                duration(c.duration_ms)
            },
        ]
    };
    let (demos, evidence): (Vec<&CaseResult>, Vec<&CaseResult>) =
        run.cases.iter().partition(|c| is_demonstration(c));
    let rows: Vec<[String; 4]> = evidence.into_iter().map(row).collect();
    let demo_rows: Vec<[String; 4]> = demos.into_iter().map(row).collect();
    // One set of widths for both lists, so their columns line up.
    let mut widths = header.map(|h| h.chars().count());
    for row in rows.iter().chain(&demo_rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::from("\n");
    table_row(&mut out, header, widths);
    for row in &rows {
        table_row(&mut out, [&row[0], &row[1], &row[2], &row[3]], widths);
    }
    if !demo_rows.is_empty() {
        out.push_str(&format!("\n{DEMO_HEADING}:\n"));
        for row in &demo_rows {
            table_row(&mut out, [&row[0], &row[1], &row[2], &row[3]], widths);
        }
    }
    let tally = Tally::of(&run.cases);
    out.push_str(&format!(
        "\nverdict {} in {}, seed {}\n{}\n",
        verdict(run).as_str().to_uppercase(),
        duration(run.duration_ms),
        run.info.seed,
        tally.evidence
    ));
    if tally.demonstrations.total > 0 {
        out.push_str(&format!("{DEMO_HEADING}: {}\n", tally.demonstrations));
    }
    out
}
