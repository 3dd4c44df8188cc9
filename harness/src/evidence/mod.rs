//! Evidence from a finished run folder: the evidence bundle (`run --evidence`, `bundle`), its
//! check (`verify-bundle`), one exchange on demand (`show`) and the exchanges printed as they
//! happen (`run -v`).
//!
//! Everything here reads what a run leaves in its output folder: `journal.jsonl` (every
//! exchange, raw bytes both ways) and `report.json` or `events.jsonl` (the cases, their
//! PagoPA official ids and step names). Nothing is re-run.

pub mod bundle;
pub mod redact;
pub mod show;
pub mod verbose;
pub mod verify;

use collaudo_nodo::journal::Exchange;
use collaudo_reports::{Event, EventEnvelope, RunInfo, RunResult};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use bundle::{BUNDLE_FILE, after_run};

/// The journal's file name in a run folder.
pub const JOURNAL_FILE: &str = "journal.jsonl";

/// What the run folder says about one case.
#[derive(Debug, Clone, Default)]
struct CaseInfo {
    id: String,
    official_id: Option<String>,
    title: String,
    verdict: Option<String>,
    /// Step index (0-based) → step name.
    steps: BTreeMap<usize, String>,
}

/// A run folder read back: its exchanges and what is known of its cases.
#[derive(Debug)]
struct RunFolder {
    journal: PathBuf,
    exchanges: Vec<Exchange>,
    /// Cases in run order.
    cases: Vec<CaseInfo>,
    info: Option<RunInfo>,
    finished_at: Option<String>,
    /// Where the case data came from (`report.json`, `events.jsonl`), if anywhere.
    cases_from: Option<&'static str>,
}

impl RunFolder {
    /// Read `dir` (a run folder, or its `journal.jsonl` itself).
    fn load(dir: &Path) -> Result<RunFolder, String> {
        let (dir, journal) = if dir.is_file() {
            (
                dir.parent().map(Path::to_path_buf).unwrap_or_default(),
                dir.to_path_buf(),
            )
        } else if dir.is_dir() {
            (dir.to_path_buf(), dir.join(JOURNAL_FILE))
        } else {
            return Err(format!("{}: no such run folder", dir.display()));
        };
        if !journal.is_file() {
            return Err(format!(
                "{}: no {JOURNAL_FILE} here (is it the --out folder of a `collaudo run`?)",
                dir.display()
            ));
        }
        let exchanges = collaudo_nodo::Journal::load(&journal)
            .map_err(|e| format!("cannot read {}: {e}", journal.display()))?;
        let mut folder = RunFolder {
            journal,
            exchanges,
            cases: Vec::new(),
            info: None,
            finished_at: None,
            cases_from: None,
        };
        if !folder.read_report(&dir.join("report.json")) {
            folder.read_events(&dir.join(collaudo_reports::files::EVENTS_FILE));
        }
        Ok(folder)
    }

    /// Cases, info and step names from `report.json`; false when it is absent or unreadable.
    fn read_report(&mut self, path: &Path) -> bool {
        let Ok(text) = std::fs::read_to_string(path) else {
            return false;
        };
        let Ok(run) = serde_json::from_str::<RunResult>(&text) else {
            return false;
        };
        self.cases = run
            .cases
            .iter()
            .map(|c| CaseInfo {
                id: c.meta.id.clone(),
                official_id: c.meta.official_id.clone(),
                title: c.meta.title.clone(),
                verdict: Some(c.verdict.to_string()),
                steps: c.steps.iter().map(|s| (s.index, s.name.clone())).collect(),
            })
            .collect();
        self.info = Some(run.info);
        self.finished_at = Some(run.finished_at);
        self.cases_from = Some("report.json");
        true
    }

    /// The same from `events.jsonl` (a run written without the JSON report, or cut short).
    fn read_events(&mut self, path: &Path) {
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for line in text.lines() {
            let Ok(ev) = serde_json::from_str::<EventEnvelope>(line) else {
                continue;
            };
            match ev.event {
                Event::RunStarted { info, .. } => self.info = Some(info),
                Event::ScenarioStarted { meta } => {
                    index.entry(meta.id.clone()).or_insert_with(|| {
                        self.cases.push(CaseInfo {
                            id: meta.id.clone(),
                            official_id: meta.official_id.clone(),
                            title: meta.title.clone(),
                            ..CaseInfo::default()
                        });
                        self.cases.len() - 1
                    });
                }
                Event::StepFinished { case_id, step } => {
                    if let Some(&i) = index.get(&case_id) {
                        self.cases[i].steps.insert(step.index, step.name);
                    }
                }
                Event::ScenarioFinished { result } => {
                    let i = *index.entry(result.meta.id.clone()).or_insert_with(|| {
                        self.cases.push(CaseInfo {
                            id: result.meta.id.clone(),
                            official_id: result.meta.official_id.clone(),
                            title: result.meta.title.clone(),
                            ..CaseInfo::default()
                        });
                        self.cases.len() - 1
                    });
                    self.cases[i].verdict = Some(result.verdict.to_string());
                }
                Event::RunFinished { result } => self.finished_at = Some(result.finished_at),
            }
        }
        self.cases_from = Some(collaudo_reports::files::EVENTS_FILE);
    }

    fn case(&self, id: &str) -> Option<&CaseInfo> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// The name of step `index` of `case`, when the reports give it.
    fn step_name(&self, case: &str, index: usize) -> Option<&str> {
        self.case(case)
            .and_then(|c| c.steps.get(&index))
            .map(String::as_str)
    }
}

/// Text from a station made safe for a terminal or a text file: newlines and tabs kept, every
/// other control character (ANSI escapes included, and a lone `\r` that would overwrite the
/// line) shown as `\u{..}` / `\r`.
fn visible_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.replace("\r\n", "\n").chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// One terminal line: [`visible_text`] with newlines and tabs escaped too.
fn visible_line(s: &str) -> String {
    visible_text(s).replace('\t', "\\t").replace('\n', "\\n")
}

/// Unicode's bidirectional overrides and isolates, which reorder what a terminal shows.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` cut to at most `max` characters, saying how long it was.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes in all)", &s[..cut], s.len()),
    }
}

/// A URL with any `user:password@` replaced, for bundle manifests and terminal lines.
fn redact_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}<redacted>@{}", &url[..scheme_end + 3], &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_text_cannot_drive_the_terminal() {
        assert_eq!(
            visible_text("a\u{1b}[31mred\r\nb\rc\u{0}\u{202e}"),
            "a\\u{1b}[31mred\nb\\rc\\u{0}\\u{202e}"
        );
        assert_eq!(visible_line("a\n\tb"), "a\\n\\tb");
    }

    #[test]
    fn shorten_counts_characters_and_says_the_size() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("àbcdef", 2), "àb… (7 bytes in all)");
    }

    #[test]
    fn userinfo_is_redacted() {
        assert_eq!(
            redact_userinfo("https://u:p@h:1/x@y"),
            "https://<redacted>@h:1/x@y"
        );
        assert_eq!(redact_userinfo("http://h/p"), "http://h/p");
        assert_eq!(redact_userinfo("env"), "env");
    }
}
