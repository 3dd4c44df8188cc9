//! JSON report: the [`RunResult`] plus a `schema_version` and the overall `verdict`.
//!
//! The contract is published as a JSON Schema generated from these types into
//! `reports/schema/report.schema.json`; a test fails when the committed file drifts from the
//! code (`UPDATE_SCHEMA=1 cargo test -p collaudo-reports` rewrites it).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::model::{CaseResult, RunInfo, RunResult, Summary, Verdict};

/// Version of the JSON report layout. Raised only for incompatible changes; new optional
/// fields keep the version.
pub const SCHEMA_VERSION: u32 = 1;

/// The collaudo JSON report.
///
/// The run result with `schema_version` first and the overall `verdict`, so consumers need
/// not fold the case verdicts themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "collaudo report")]
pub struct JsonReport {
    /// Layout version of this document, raised only for incompatible changes.
    pub schema_version: u32,
    /// Overall verdict: the worst case verdict (error > fail > pass > skipped).
    pub verdict: Verdict,
    /// Facts about the run.
    pub info: RunInfo,
    /// Verdict counts over `cases`.
    pub summary: Summary,
    /// Every case, in the order it ran.
    pub cases: Vec<CaseResult>,
    /// Wall-clock end of the run, RFC 3339.
    pub finished_at: String,
    /// Real time spent in the run.
    pub duration_ms: f64,
}

impl JsonReport {
    /// The document for `run`, at the current [`SCHEMA_VERSION`].
    #[must_use]
    pub fn from_run(run: &RunResult) -> JsonReport {
        JsonReport {
            schema_version: SCHEMA_VERSION,
            verdict: run.verdict(),
            info: run.info.clone(),
            summary: run.summary,
            cases: run.cases.clone(),
            finished_at: run.finished_at.clone(),
            duration_ms: run.duration_ms,
        }
    }

    /// Back to the model; `verdict` is dropped since [`RunResult::verdict`] derives it.
    #[must_use]
    pub fn into_run(self) -> RunResult {
        RunResult {
            info: self.info,
            cases: self.cases,
            summary: self.summary,
            finished_at: self.finished_at,
            duration_ms: self.duration_ms,
        }
    }
}

/// Renders the pretty-printed JSON report of `run`, ending with a newline.
pub fn render(run: &RunResult) -> Result<String, ReportError> {
    let mut out = serde_json::to_string_pretty(&JsonReport::from_run(run)).map_err(|source| {
        ReportError::Json {
            what: "report",
            source,
        }
    })?;
    out.push('\n');
    Ok(out)
}

/// Reads a JSON report back, refusing a `schema_version` this build does not know.
pub fn parse(json: &str) -> Result<RunResult, ReportError> {
    let report: JsonReport = serde_json::from_str(json).map_err(ReportError::Parse)?;
    if report.schema_version != SCHEMA_VERSION {
        return Err(ReportError::SchemaVersion {
            found: report.schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(report.into_run())
}

/// The JSON Schema of [`JsonReport`], pretty-printed, ending with a newline: the content of
/// `reports/schema/report.schema.json`.
pub fn schema() -> Result<String, ReportError> {
    let schema = schemars::schema_for!(JsonReport);
    let mut out = serde_json::to_string_pretty(&schema).map_err(|source| ReportError::Json {
        what: "report schema",
        source,
    })?;
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunInfo;

    fn run() -> RunResult {
        RunResult::new(
            RunInfo {
                tool_version: "0.1.0".into(),
                run_id: "r".into(),
                seed: 1,
                started_at: "2025-01-01T00:00:00Z".into(),
                station_url: "http://127.0.0.1:8080".into(),
                station_kind: "external".into(),
                config_digest: "d".into(),
                clock: "virtual".into(),
            },
            vec![],
            "2025-01-01T00:00:01Z",
            1000.0,
        )
    }

    #[test]
    fn round_trip_and_version_check() -> Result<(), ReportError> {
        let text = render(&run())?;
        assert!(
            text.starts_with("{\n  \"schema_version\": 1,\n  \"verdict\": \"skipped\""),
            "{text}"
        );
        assert_eq!(parse(&text)?, run());
        let future = text.replace("\"schema_version\": 1", "\"schema_version\": 99");
        assert!(matches!(
            parse(&future),
            Err(ReportError::SchemaVersion {
                found: 99,
                supported: 1
            })
        ));
        Ok(())
    }
}
