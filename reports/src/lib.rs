//! collaudo reports: the result model, the typed event stream from the engine, and one writer
//! per report format (console, JUnit XML, JSON with a schema, Markdown, self-contained HTML), plus
//! a redactor for snapshot tests.
//!
//! The engine emits [`EventEnvelope`]s to a [`Reporter`] (usually a [`Reporters`] fan-out of a
//! [`ConsoleReporter`] and a [`FileReporters`]); every writer can also render a finished
//! [`RunResult`] directly.

pub mod console;
pub mod error;
pub mod event;
pub mod files;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod official;
pub mod redact;
mod text;

pub use console::ConsoleReporter;
pub use error::ReportError;
pub use event::{Event, EventEnvelope, Reporter, Reporters};
pub use files::{FileReporters, ReportFormat};
pub use model::{
    CaseMeta, CaseResult, CheckRecord, CheckVerdict, ExchangeRecord, RunInfo, RunResult,
    StepRecord, Summary, Verdict, check_names, substance_rank,
};
pub use redact::redact;
