//! The one error type of the report writers.
//!
//! Errors name the file they concern, so a failing `--report` target is obvious in the
//! harness output; a reporter error never aborts the run, the engine decides what to do.

use std::io;
use std::path::PathBuf;

/// Something a reporter could not do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The output directory could not be created.
    #[error("cannot create report directory {}: {source}", path.display())]
    CreateDir {
        /// Directory that could not be created.
        path: PathBuf,
        /// Underlying I/O error.
        source: io::Error,
    },
    /// A report file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// File that could not be written.
        path: PathBuf,
        /// Underlying I/O error.
        source: io::Error,
    },
    /// The console (or the writer injected in its place) refused output.
    #[error("cannot write console output: {0}")]
    Console(#[source] io::Error),
    /// A value could not be turned into JSON.
    #[error("cannot serialise {what} as json: {source}")]
    Json {
        /// What was being serialised.
        what: &'static str,
        /// Underlying serde error.
        source: serde_json::Error,
    },
    /// The JUnit XML could not be produced.
    #[error("cannot build junit xml: {0}")]
    Xml(#[source] io::Error),
    /// A JSON report could not be read back.
    #[error("invalid json report: {0}")]
    Parse(#[source] serde_json::Error),
    /// A JSON report carries a schema version this build does not read.
    #[error("unsupported report schema_version {found} (this build reads {supported})")]
    SchemaVersion {
        /// Version found in the report.
        found: u32,
        /// Version this build writes and reads.
        supported: u32,
    },
    /// A report format name was not recognised.
    #[error("unknown report format `{0}` (expected junit, json, markdown or html)")]
    UnknownFormat(String),
    /// The HTML report's template could not be rendered (a bug in collaudo, not the station).
    #[error("cannot render the html report: {0}")]
    Html(String),
    /// Rendering one report panicked (a bug in collaudo); the other reports were written.
    #[error("writing {} failed inside collaudo (a bug); the other reports were written", .0.display())]
    Panicked(std::path::PathBuf),
    /// Several reporters failed on the same event.
    #[error("{} reporters failed: {}", .0.len(), join(.0))]
    Several(Vec<ReportError>),
}

fn join(errors: &[ReportError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
