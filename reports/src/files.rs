//! Report files in an output directory.
//!
//! [`FileReporters`] streams every event to `events.jsonl` as it arrives, one JSON object per
//! line, flushed at once, so a run that crashes still leaves evidence; on `RunFinished` it
//! writes the chosen formats (`junit.xml`, `report.json`, `summary.md`, `report.html`), each
//! through a temporary file and a rename.
//!
//! The HTML report shows the raw bytes of each exchange, which the run result does not hold:
//! [`FileReporters::with_exchange_details`] gives it a source (the harness loads the run's
//! journal), called once when the run finishes.

use std::fmt;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::ReportError;
use crate::event::{Event, EventEnvelope, Reporter};
use crate::html::{self, ExchangeDetails};
use crate::model::RunResult;
use crate::{json, junit, markdown};

/// Name of the event log written in the output directory.
pub const EVENTS_FILE: &str = "events.jsonl";

/// A report format that can be written to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// JUnit XML (`junit.xml`).
    Junit,
    /// JSON with a schema (`report.json`).
    Json,
    /// Markdown summary (`summary.md`).
    Markdown,
    /// Self-contained HTML evidence report (`report.html`).
    Html,
}

impl ReportFormat {
    /// Every format, in a stable order.
    pub const ALL: [ReportFormat; 4] = [
        ReportFormat::Junit,
        ReportFormat::Json,
        ReportFormat::Markdown,
        ReportFormat::Html,
    ];

    /// The name used on the command line: `junit`, `json`, `markdown`, `html`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            ReportFormat::Junit => "junit",
            ReportFormat::Json => "json",
            ReportFormat::Markdown => "markdown",
            ReportFormat::Html => "html",
        }
    }

    /// File name inside the output directory.
    #[must_use]
    pub const fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Junit => "junit.xml",
            ReportFormat::Json => "report.json",
            ReportFormat::Markdown => "summary.md",
            ReportFormat::Html => "report.html",
        }
    }

    /// Renders `run` in this format. The HTML report gets no exchange details here, so it
    /// shows each exchange's summary only; see [`ReportFormat::render_with_details`].
    pub fn render(self, run: &RunResult) -> Result<String, ReportError> {
        self.render_with_details(run, &ExchangeDetails::new(), junit::Dialect::default())
    }

    /// Renders `run` in this format; only the HTML report uses `details`, only JUnit
    /// `dialect`.
    pub fn render_with_details(
        self,
        run: &RunResult,
        details: &ExchangeDetails,
        dialect: junit::Dialect,
    ) -> Result<String, ReportError> {
        match self {
            ReportFormat::Junit => junit::render_in(run, dialect),
            ReportFormat::Json => json::render(run),
            ReportFormat::Markdown => Ok(markdown::render(run)),
            ReportFormat::Html => html::render(run, details),
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReportFormat {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<ReportFormat, ReportError> {
        ReportFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| ReportError::UnknownFormat(s.to_owned()))
    }
}

/// Writes `run` in each of `formats` into `dir` (created if missing) and returns the paths
/// written. Every format is attempted even if one fails.
pub fn write_reports(
    dir: &Path,
    formats: &[ReportFormat],
    run: &RunResult,
) -> Result<Vec<PathBuf>, ReportError> {
    write_reports_with(dir, formats, run, None, junit::Dialect::default())
}

/// Where the HTML report gets the raw bytes of the exchanges.
pub type DetailsSource = Box<dyn Fn() -> ExchangeDetails + Send>;

/// [`write_reports`], with the exchange details for the HTML report loaded from `details`
/// (called once, and only when `formats` has [`ReportFormat::Html`]) and JUnit in `dialect`.
pub fn write_reports_with(
    dir: &Path,
    formats: &[ReportFormat],
    run: &RunResult,
    details: Option<&DetailsSource>,
    dialect: junit::Dialect,
) -> Result<Vec<PathBuf>, ReportError> {
    create_dir(dir)?;
    let formats = dedup(formats);
    let loaded = match details {
        Some(source) if formats.contains(&ReportFormat::Html) => source(),
        _ => ExchangeDetails::new(),
    };
    // Each format on its own thread: the reports are independent, and the run's end waits for
    // the slowest (the HTML page) rather than their sum. Results are kept in `formats` order.
    let loaded = &loaded;
    let results: Vec<(PathBuf, Result<(), ReportError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = formats
            .iter()
            .map(|&format| {
                let path = dir.join(format.file_name());
                let handle = scope.spawn(move || {
                    format
                        .render_with_details(run, loaded, dialect)
                        .and_then(|text| write_atomically(&path, &text))
                });
                (dir.join(format.file_name()), handle)
            })
            .collect();
        handles
            .into_iter()
            .map(|(path, h)| {
                let result = h
                    .join()
                    .unwrap_or_else(|_| Err(ReportError::Panicked(path.clone())));
                (path, result)
            })
            .collect()
    });
    let mut written = Vec::new();
    let mut errors = Vec::new();
    for (path, result) in results {
        match result {
            Ok(()) => written.push(path),
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => Ok(written),
        1 => Err(errors.remove(0)),
        _ => Err(ReportError::Several(errors)),
    }
}

fn dedup(formats: &[ReportFormat]) -> Vec<ReportFormat> {
    let mut out: Vec<ReportFormat> = Vec::new();
    for f in formats {
        if !out.contains(f) {
            out.push(*f);
        }
    }
    out
}

fn create_dir(dir: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_owned(),
        source,
    })
}

/// Writes through a temporary sibling and a rename, so a reader never sees half a report.
fn write_atomically(path: &Path, text: &str) -> Result<(), ReportError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, text).map_err(|source| ReportError::Write {
        path: tmp.clone(),
        source,
    })?;
    fs::rename(&tmp, path).map_err(|source| ReportError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Reporter writing the event log and, at the end of the run, the report files.
pub struct FileReporters {
    dir: PathBuf,
    formats: Vec<ReportFormat>,
    events_path: PathBuf,
    events: File,
    details: Option<DetailsSource>,
    junit: junit::Dialect,
}

impl fmt::Debug for FileReporters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileReporters")
            .field("dir", &self.dir)
            .field("formats", &self.formats)
            .field("events_path", &self.events_path)
            .field("events", &self.events)
            .field("details", &self.details.as_ref().map(|_| "source"))
            .field("junit", &self.junit)
            .finish()
    }
}

impl FileReporters {
    /// Creates `dir` if missing and opens (truncating) `dir/events.jsonl` right away, so a
    /// bad output directory is reported before the run starts.
    pub fn new(
        dir: impl Into<PathBuf>,
        formats: &[ReportFormat],
    ) -> Result<FileReporters, ReportError> {
        let dir = dir.into();
        create_dir(&dir)?;
        let events_path = dir.join(EVENTS_FILE);
        let events = File::create(&events_path).map_err(|source| ReportError::Write {
            path: events_path.clone(),
            source,
        })?;
        Ok(FileReporters {
            dir,
            formats: dedup(formats),
            events_path,
            events,
            details: None,
            junit: junit::Dialect::default(),
        })
    }

    /// Writes `junit.xml` in `dialect` (`--junit-strict`).
    #[must_use]
    pub fn with_junit_dialect(mut self, dialect: junit::Dialect) -> FileReporters {
        self.junit = dialect;
        self
    }

    /// Gives the HTML report the raw bytes of the exchanges: `source` is called once, when the
    /// run finishes and only if the HTML format was chosen (typically it loads the run's
    /// `journal.jsonl`). Without it the HTML report shows each exchange's summary only.
    #[must_use]
    pub fn with_exchange_details(mut self, source: DetailsSource) -> Self {
        self.details = Some(source);
        self
    }

    /// The output directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the event log.
    #[must_use]
    pub fn events_path(&self) -> &Path {
        &self.events_path
    }

    /// Where each chosen format will be written.
    #[must_use]
    pub fn report_paths(&self) -> Vec<(ReportFormat, PathBuf)> {
        self.formats
            .iter()
            .map(|f| (*f, self.dir.join(f.file_name())))
            .collect()
    }

    fn append_event(&mut self, ev: &EventEnvelope) -> Result<(), ReportError> {
        let mut line = serde_json::to_string(ev).map_err(|source| ReportError::Json {
            what: "event",
            source,
        })?;
        line.push('\n');
        // One write per event, flushed, so the log is complete up to the last event even if
        // the process dies right after.
        self.events
            .write_all(line.as_bytes())
            .and_then(|()| self.events.flush())
            .map_err(|source| ReportError::Write {
                path: self.events_path.clone(),
                source,
            })
    }
}

impl Reporter for FileReporters {
    fn write_event(&mut self, ev: &EventEnvelope) -> Result<(), ReportError> {
        let logged = self.append_event(ev);
        if let Event::RunFinished { result } = &ev.event {
            let written = write_reports_with(
                &self.dir,
                &self.formats,
                result,
                self.details.as_ref(),
                self.junit,
            )
            .map(drop);
            return match (logged, written) {
                (Ok(()), Ok(())) => Ok(()),
                (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
                (Err(a), Err(b)) => Err(ReportError::Several(vec![a, b])),
            };
        }
        logged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() -> Result<(), ReportError> {
        for f in ReportFormat::ALL {
            assert_eq!(f.to_string().parse::<ReportFormat>()?, f);
        }
        assert_eq!("html".parse::<ReportFormat>()?, ReportFormat::Html);
        assert_eq!(ReportFormat::Html.file_name(), "report.html");
        let err = "pdf".parse::<ReportFormat>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unknown report format `pdf` (expected junit, json, markdown or html)")
        );
        Ok(())
    }

    #[test]
    fn duplicate_formats_are_written_once() {
        assert_eq!(
            dedup(&[ReportFormat::Json, ReportFormat::Junit, ReportFormat::Json]),
            vec![ReportFormat::Json, ReportFormat::Junit]
        );
    }
}
