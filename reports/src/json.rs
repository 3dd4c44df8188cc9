//! JSON report: the [`RunResult`] plus a `schema_version` and the overall `verdict`.
//!
//! The contract is published as a JSON Schema generated from these types into
//! `reports/schema/report.schema.json`; a test fails when the committed file drifts from the
//! code (`UPDATE_SCHEMA=1 cargo test -p collaudo-reports` rewrites it).
//!
//! This module also says which cases are evidence about the station, for every writer: a case
//! of class [`DEMO_CLASS`] only exercises the simulator (no station can change its verdict),
//! so the writers show it apart and never count it ([`Tally`], [`verdict`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::model::{CaseResult, RunInfo, RunResult, Summary, Verdict};

/// Version of the JSON report layout. Raised only for incompatible changes; new optional
/// fields keep the version.
pub const SCHEMA_VERSION: u32 = 1;

/// The `class` of a simulator demonstration: a case that exercises the mock Nodo only, so that
/// no station, right or wrong, can change its verdict. It shows what the simulator does; it is
/// not evidence about the station.
pub const DEMO_CLASS: &str = "DEMO";

/// Whether `case` is a simulator demonstration ([`DEMO_CLASS`]).
#[must_use]
pub fn is_demonstration(case: &CaseResult) -> bool {
    case.meta.class.as_deref() == Some(DEMO_CLASS)
}

/// Verdict counts kept apart: the cases that are evidence about the station, and the
/// simulator demonstrations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Every case but the demonstrations.
    pub evidence: Summary,
    /// The demonstrations only.
    pub demonstrations: Summary,
}

impl Tally {
    /// Counts `cases`, each on its side.
    #[must_use]
    pub fn of(cases: &[CaseResult]) -> Tally {
        let (demos, evidence): (Vec<&CaseResult>, Vec<&CaseResult>) =
            cases.iter().partition(|c| is_demonstration(c));
        Tally {
            evidence: Summary::of(evidence),
            demonstrations: Summary::of(demos),
        }
    }
}

/// The verdict of a run about the station: the worst verdict of the evidence cases
/// (error > fail > pass > skipped).
///
/// A demonstration that fails or errors makes it `error`, never `fail`: the station cannot
/// have caused it, the simulator misbehaved, and the Stand-In evidence relies on that same
/// simulator, so the run cannot be trusted as it stands.
#[must_use]
pub fn verdict(run: &RunResult) -> Verdict {
    run.cases
        .iter()
        .map(|c| match (is_demonstration(c), c.verdict) {
            (true, Verdict::Fail | Verdict::Error) => Verdict::Error,
            // A demonstration that passed (or did not run) says nothing about the station.
            (true, _) => Verdict::Skipped,
            (false, v) => v,
        })
        .fold(Verdict::Skipped, Verdict::worst)
}

/// The collaudo JSON report.
///
/// The run result with `schema_version` first and the overall `verdict`, so consumers need
/// not fold the case verdicts themselves. Simulator demonstrations (`meta.class` = `"DEMO"`)
/// are in `cases` but counted apart: `summary.total + demonstrations.total` is the number of
/// cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "collaudo report")]
pub struct JsonReport {
    /// Layout version of this document, raised only for incompatible changes.
    pub schema_version: u32,
    /// Overall verdict about the station: the worst verdict of the cases that are evidence
    /// (error > fail > pass > skipped); `error` as well when a simulator demonstration failed
    /// or errored, since the simulator then misbehaved.
    pub verdict: Verdict,
    /// Facts about the run.
    pub info: RunInfo,
    /// Verdict counts over the cases that are evidence: every case but the simulator
    /// demonstrations.
    pub summary: Summary,
    /// Verdict counts over the simulator demonstrations (class `DEMO`): cases no station can
    /// change, shown apart and never counted as evidence.
    #[serde(default)]
    pub demonstrations: Summary,
    /// Every case, in the order it ran, demonstrations included.
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
        let tally = Tally::of(&run.cases);
        JsonReport {
            schema_version: SCHEMA_VERSION,
            verdict: verdict(run),
            info: run.info.clone(),
            summary: tally.evidence,
            demonstrations: tally.demonstrations,
            cases: run.cases.clone(),
            finished_at: run.finished_at.clone(),
            duration_ms: run.duration_ms,
        }
    }

    /// Back to the model; `verdict` is dropped since [`verdict`] derives it, and the model's
    /// summary (over every case) is counted again from the cases.
    #[must_use]
    pub fn into_run(self) -> RunResult {
        RunResult {
            info: self.info,
            summary: Summary::of(&self.cases),
            cases: self.cases,
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
                catalogue_digest: "sha256:c47a".into(),
                extra_scenarios: Vec::new(),
                clock: "virtual".into(),
                id_pa: "77777777777".into(),
                id_broker_pa: "77777777777".into(),
                id_station: "77777777777_01".into(),
                tls_mode: None,
                warnings: Vec::new(),
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

    fn case(id: &str, class: Option<&str>, verdict: Verdict) -> CaseResult {
        let mut c = CaseResult::skipped(
            crate::model::CaseMeta {
                id: id.into(),
                official_id: None,
                title: id.into(),
                area: "SIN".into(),
                tags: vec![],
                class: class.map(Into::into),
                phase: None,
                source_file: None,
            },
            "r",
        );
        c.verdict = verdict;
        c
    }

    fn with(cases: Vec<CaseResult>) -> RunResult {
        let mut r = run();
        r.summary = Summary::of(&cases);
        r.cases = cases;
        r
    }

    #[test]
    fn demonstrations_are_never_evidence() -> Result<(), ReportError> {
        use Verdict::{Error, Fail, Pass, Skipped};
        // (evidence verdicts, demonstration verdicts, run verdict)
        let cases: &[(&[Verdict], &[Verdict], Verdict)] = &[
            (&[Pass], &[Pass], Pass),
            // Demonstrations alone say nothing about the station.
            (&[], &[Pass, Pass], Skipped),
            (&[Skipped], &[Pass], Skipped),
            (&[Fail], &[Pass], Fail),
            // A demonstration that fails is the simulator's doing: an error, never a failure.
            (&[Pass], &[Fail], Error),
            (&[Pass], &[Error], Error),
            (&[Fail], &[Fail], Error),
            (&[Pass], &[Skipped], Pass),
        ];
        for (evidence, demos, want) in cases {
            let mut all: Vec<CaseResult> = evidence
                .iter()
                .map(|v| case("SIN-001", Some("OBB"), *v))
                .collect();
            all.extend(demos.iter().map(|v| case("SIN-002", Some(DEMO_CLASS), *v)));
            let r = with(all);
            assert_eq!(verdict(&r), *want, "{evidence:?} + demos {demos:?}");
            let tally = Tally::of(&r.cases);
            assert_eq!(tally.evidence.total, evidence.len());
            assert_eq!(tally.demonstrations.total, demos.len());
            assert_eq!(
                tally.evidence.passed,
                evidence.iter().filter(|v| **v == Pass).count(),
                "a passing demonstration is not a pass"
            );
            let doc = JsonReport::from_run(&r);
            assert_eq!(
                (doc.summary, doc.demonstrations),
                (tally.evidence, tally.demonstrations)
            );
            assert_eq!(doc.verdict, *want);
            assert_eq!(parse(&render(&r)?)?, r, "the model comes back whole");
        }
        // A class that only looks alike is evidence: the loader accepts `DEMO` exactly.
        assert!(!is_demonstration(&case("SIN-002", Some("demo"), Pass)));
        assert!(!is_demonstration(&case("SIN-002", None, Pass)));
        Ok(())
    }

    #[test]
    fn a_report_without_demonstrations_still_parses() -> Result<(), ReportError> {
        // Reports written before demonstrations existed have no `demonstrations` field.
        let text = render(&with(vec![case("SIN-001", Some("OBB"), Verdict::Pass)]))?;
        let mut doc: serde_json::Value = serde_json::from_str(&text).map_err(ReportError::Parse)?;
        if let Some(o) = doc.as_object_mut() {
            o.remove("demonstrations");
        }
        let old = serde_json::to_string(&doc).map_err(ReportError::Parse)?;
        assert_eq!(parse(&old)?.cases.len(), 1);
        Ok(())
    }
}
