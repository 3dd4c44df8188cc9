//! The result model every report is built from.
//!
//! The engine fills these types; every writer (console, JUnit, JSON, Markdown) only reads them.
//! They are plain data so that a finished run can be stored as JSON and rendered again later,
//! and the JSON Schema in `reports/schema/report.schema.json` is generated from them.
//!
//! Identifiers: [`CaseMeta::id`] is collaudo's own catalogue id (`VRF-001`);
//! [`CaseMeta::official_id`] is PagoPA's official go-live id (`EC-PSP-01`) the case provides
//! evidence for. The two are never merged so that nobody mistakes our catalogue for PagoPA's.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Facts about one run, known before the first case starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunInfo {
    /// Version of the collaudo tool that produced the run.
    pub tool_version: String,
    /// Identifier of this run, unique per invocation.
    pub run_id: String,
    /// Seed of every random choice (fault plans, generated data); replaying it replays the run.
    pub seed: u64,
    /// Wall-clock start of the run, RFC 3339.
    pub started_at: String,
    /// Base URL of the station under test.
    pub station_url: String,
    /// `"embedded reference station"` or `"external"`.
    pub station_kind: String,
    /// `sha256:` and the SHA-256, in lowercase hex, of the configuration file as read (of no
    /// bytes when the run had none), to tell runs with different settings apart.
    pub config_digest: String,
    /// `sha256:` and the digest of the built-in scenario catalogue the tool was built with
    /// (`collaudo --version` prints the same), so a reviewer knows which cases "VRF-001" meant.
    #[serde(default)]
    pub catalogue_digest: String,
    /// Scenario folders added to the built-in catalogue (`--scenarios`, `[run] scenarios`):
    /// their cases are not covered by [`Self::catalogue_digest`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_scenarios: Vec<String>,
    /// Scenario clock: `"virtual"` or `"system"`.
    pub clock: String,
    /// The EC the Nodo called the station for (`idPA`).
    #[serde(default)]
    pub id_pa: String,
    /// The station's intermediary (`idBrokerPA`).
    #[serde(default)]
    pub id_broker_pa: String,
    /// The station tested (`idStation`).
    #[serde(default)]
    pub id_station: String,
    /// How the Nodo's TLS toward the station was set up (what is trusted, the client
    /// certificate), when `[station.tls]` is configured or the station is `https://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_mode: Option<String>,
    /// Settings that weaken the evidence, such as certificate verification turned off; every
    /// report shows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Static description of one test-plan case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CaseMeta {
    /// collaudo's own catalogue id, e.g. `VRF-001`. Not a PagoPA id.
    pub id: String,
    /// PagoPA's official go-live test id this case provides evidence for, e.g. `EC-PSP-01`.
    pub official_id: Option<String>,
    /// One-line title of the case.
    pub title: String,
    /// Catalogue area, e.g. `VRF`, `ACT`, `RT`.
    pub area: String,
    /// Free-form tags used for selection.
    pub tags: Vec<String>,
    /// Mandatoriness class: `OBB` (mandatory) or `OSP` (mandatory if the feature is offered).
    pub class: Option<String>,
    /// Go-live phase: `COL`, `PRE` or `BOTH`.
    pub phase: Option<String>,
    /// Scenario file the case was loaded from.
    pub source_file: Option<String>,
}

/// Outcome of a step, a case or a run.
///
/// A *failure* is the station not conforming; an *error* is the harness or the environment
/// failing, so the station could not be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The station behaved as the specification requires.
    Pass,
    /// The station did not conform.
    Fail,
    /// The harness or the environment failed; the station could not be judged.
    Error,
    /// Not run (not selected, not applicable, or a prerequisite did not hold).
    Skipped,
}

impl Verdict {
    /// Combines two verdicts, keeping the worse: `Error` > `Fail` > `Pass` > `Skipped`.
    ///
    /// `Error` wins over `Fail` because a run the harness could not judge must not be read as
    /// a plain station failure; `Skipped` is the neutral element so that folding from it works.
    #[must_use]
    pub const fn worst(a: Verdict, b: Verdict) -> Verdict {
        if a.rank() >= b.rank() { a } else { b }
    }

    /// Lowercase name, as serialised: `pass`, `fail`, `error`, `skipped`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
        }
    }

    const fn rank(self) -> u8 {
        match self {
            Verdict::Skipped => 0,
            Verdict::Pass => 1,
            Verdict::Fail => 2,
            Verdict::Error => 3,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outcome of a single check inside a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckVerdict {
    /// The check held.
    Pass,
    /// The check did not hold: the station did not conform.
    Fail,
    /// Tolerated deviation worth reporting; does not fail the step.
    Warn,
    /// Not evaluated, with the reason in the message (e.g. it needs `[backoffice]` data the
    /// configuration does not give).
    Skip,
}

impl CheckVerdict {
    /// Lowercase name, as serialised: `pass`, `fail`, `warn`, `skip`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckVerdict::Pass => "pass",
            CheckVerdict::Fail => "fail",
            CheckVerdict::Warn => "warn",
            CheckVerdict::Skip => "skip",
        }
    }
}

impl fmt::Display for CheckVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check (expectation) evaluated within a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckRecord {
    /// Short name of the check.
    pub name: String,
    /// Whether it held.
    pub verdict: CheckVerdict,
    /// Human explanation of the result.
    pub message: String,
    /// What the specification requires, when it can be shown.
    pub expected: Option<String>,
    /// What the station did, when it can be shown.
    pub actual: Option<String>,
    /// What the real Nodo would have answered the PSP, e.g. `PPT_STAZIONE_INT_PA_ERRORE_RESPONSE`.
    pub nodo_outcome: Option<String>,
}

/// Names of the checks whose failures are about form rather than substance, so a case's
/// headline prefers any other failure: the XSD (`response-valid`) ranks below the Nodo's
/// outcome and business rules, and HTTP hygiene below the XSD.
pub mod check_names {
    /// The response breaks the official schema (one record per violation).
    pub const RESPONSE_VALID: &str = "response-valid";
    /// The HTTP status of an answer (pagoPA answers, OK or KO, are HTTP 200).
    pub const HTTP_STATUS: &str = "http-status";
    /// The Content-Type of an answer (SOAP 1.1: text/xml).
    pub const CONTENT_TYPE: &str = "content-type";
    /// A tolerated irregularity the wire parser noticed (IUV check digit, blanks…).
    pub const WIRE_WARNING: &str = "wire-warning";
}

/// 0 for the Nodo's outcome and business rules, 1 for the XSD, 2 for HTTP hygiene.
#[must_use]
pub fn substance_rank(check: &str) -> u8 {
    match check {
        check_names::RESPONSE_VALID => 1,
        check_names::HTTP_STATUS | check_names::CONTENT_TYPE | check_names::WIRE_WARNING => 2,
        _ => 0,
    }
}

/// Summary of one HTTP exchange; the raw bytes live in the journal file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExchangeRecord {
    /// Position of the exchange in the run journal.
    pub seq: u64,
    /// pagoPA primitive, e.g. `paVerifyPaymentNotice`.
    pub primitive: String,
    /// URL the request was sent to.
    pub url: String,
    /// Size of the request body in bytes.
    pub request_bytes: usize,
    /// HTTP status of the response; `None` when no response arrived.
    pub response_status: Option<u16>,
    /// Real time between request and response.
    pub latency_ms: f64,
    /// Scenario (virtual) time of the exchange, RFC 3339.
    pub virtual_time: Option<String>,
    /// Classified outcome, e.g. `OK`, `PAA_PAGAMENTO_SCONOSCIUTO`, `timeout`.
    pub outcome: String,
    /// Delivery attempt number, for retried primitives.
    pub attempt: Option<u32>,
}

/// Longest text, in bytes, a report keeps in a field that can quote the station: a check's
/// message, expected and actual values and Nodo outcome, a step's message and transcript
/// lines, an exchange's outcome, a case's reason and warnings. Longer text is cut at a
/// character boundary and ends with `…(N bytes)`, N its full size: a station sending megabyte
/// names or fault strings must not multiply them into every report. The journal keeps the raw
/// bytes, once.
pub const REPORT_TEXT_MAX: usize = 2048;

/// Cut `text` to [`REPORT_TEXT_MAX`] bytes, saying how long it was.
pub fn bound_text(text: &mut String) {
    if text.len() <= REPORT_TEXT_MAX {
        return;
    }
    let full = text.len();
    let mut cut = REPORT_TEXT_MAX - 32;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(&format!("…({full} bytes)"));
}

fn bound_opt(text: &mut Option<String>) {
    if let Some(t) = text.as_mut() {
        bound_text(t);
    }
}

/// One finished step of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepRecord {
    /// Position of the step in its case, from 0.
    pub index: usize,
    /// Name of the step as written in the scenario.
    pub name: String,
    /// Outcome of the step.
    pub verdict: Verdict,
    /// Explanation, mainly for non-pass verdicts.
    pub message: Option<String>,
    /// Real time spent in the step.
    pub duration_ms: f64,
    /// Checks evaluated in the step, in order.
    pub checks: Vec<CheckRecord>,
    /// Exchanges made in the step, in order.
    pub exchanges: Vec<ExchangeRecord>,
    /// Free-form transcript lines (what the harness did and saw).
    pub transcript: Vec<String>,
}

/// Outcome of one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CaseResult {
    /// The case that ran.
    pub meta: CaseMeta,
    /// Combined verdict of the case.
    pub verdict: Verdict,
    /// Why the case was skipped, why it errored, or its first failure.
    pub reason: Option<String>,
    /// Steps, in the order they ran.
    pub steps: Vec<StepRecord>,
    /// Real time spent in the case.
    pub duration_ms: f64,
    /// Warnings that do not change the verdict.
    pub warnings: Vec<String>,
}

impl CaseResult {
    /// Builds a result from finished steps: the verdict is the [`Verdict::worst`] of the steps
    /// (`Pass` when there are none) and the reason is the first explanation of that verdict.
    #[must_use]
    pub fn from_steps(
        meta: CaseMeta,
        steps: Vec<StepRecord>,
        duration_ms: f64,
        warnings: Vec<String>,
    ) -> CaseResult {
        let verdict = steps
            .iter()
            .map(|s| s.verdict)
            .fold(Verdict::Pass, Verdict::worst);
        // The headline is the most substantive failure of the case, wherever it happened: a
        // receipt header warning-turned-failure must not hide a later step showing the notice
        // still payable after its receipt.
        let reason = if verdict == Verdict::Fail {
            steps
                .iter()
                .flat_map(|s| s.checks.iter())
                .filter(|c| c.verdict == CheckVerdict::Fail)
                .min_by_key(|c| substance_rank(&c.name))
                .map(|c| format!("{}: {}", c.name, c.message))
                .or_else(|| {
                    steps
                        .iter()
                        .filter(|s| s.verdict == verdict)
                        .find_map(StepRecord::explanation)
                })
        } else {
            steps
                .iter()
                .filter(|s| s.verdict == verdict && verdict != Verdict::Pass)
                .find_map(StepRecord::explanation)
        };
        let mut reason = reason;
        bound_opt(&mut reason);
        let steps = steps.into_iter().map(StepRecord::bounded).collect();
        let mut warnings = warnings;
        warnings.iter_mut().for_each(bound_text);
        CaseResult {
            meta,
            verdict,
            reason,
            steps,
            duration_ms,
            warnings,
        }
    }

    /// A case that did not run, with the reason.
    #[must_use]
    pub fn skipped(meta: CaseMeta, reason: impl Into<String>) -> CaseResult {
        let mut reason = reason.into();
        bound_text(&mut reason);
        CaseResult {
            meta,
            verdict: Verdict::Skipped,
            reason: Some(reason),
            steps: Vec::new(),
            duration_ms: 0.0,
            warnings: Vec::new(),
        }
    }

    /// Checks with the given verdict, with their step, in order, each distinct message once
    /// (a repeated step warns the same way on every repetition).
    pub fn checks_with(
        &self,
        verdict: CheckVerdict,
    ) -> impl Iterator<Item = (&StepRecord, &CheckRecord)> {
        let mut seen = std::collections::BTreeSet::new();
        self.steps
            .iter()
            .flat_map(move |step| {
                step.checks
                    .iter()
                    .filter(move |c| c.verdict == verdict)
                    .map(move |c| (step, c))
            })
            .filter(move |(_, c)| seen.insert((c.name.clone(), c.message.clone())))
    }

    /// Checks that failed, with the step they belong to, in order.
    pub fn failed_checks(&self) -> impl Iterator<Item = (&StepRecord, &CheckRecord)> {
        self.steps.iter().flat_map(|step| {
            step.checks
                .iter()
                .filter(|c| c.verdict == CheckVerdict::Fail)
                .map(move |c| (step, c))
        })
    }
}

impl StepRecord {
    /// The same step with every text that can quote the station cut to [`REPORT_TEXT_MAX`]
    /// bytes (see there).
    #[must_use]
    pub fn bounded(mut self) -> StepRecord {
        bound_opt(&mut self.message);
        self.transcript.iter_mut().for_each(bound_text);
        for c in &mut self.checks {
            bound_text(&mut c.message);
            bound_opt(&mut c.expected);
            bound_opt(&mut c.actual);
            bound_opt(&mut c.nodo_outcome);
        }
        for e in &mut self.exchanges {
            bound_text(&mut e.outcome);
        }
        self
    }

    /// The step's message, or else its first failed check's message.
    fn explanation(&self) -> Option<String> {
        self.message.clone().or_else(|| {
            self.checks
                .iter()
                .find(|c| c.verdict == CheckVerdict::Fail)
                .map(|c| format!("{}: {}", c.name, c.message))
        })
    }
}

/// Counts of case verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Number of cases.
    pub total: usize,
    /// Cases that passed.
    pub passed: usize,
    /// Cases where the station did not conform.
    pub failed: usize,
    /// Cases the harness could not judge.
    pub errors: usize,
    /// Cases not run.
    pub skipped: usize,
}

impl Summary {
    /// Counts the verdicts of `cases`.
    #[must_use]
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a CaseResult>) -> Summary {
        let mut s = Summary::default();
        for case in cases {
            s.total += 1;
            match case.verdict {
                Verdict::Pass => s.passed += 1,
                Verdict::Fail => s.failed += 1,
                Verdict::Error => s.errors += 1,
                Verdict::Skipped => s.skipped += 1,
            }
        }
        s
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} errors, {} skipped",
            self.passed, self.failed, self.errors, self.skipped
        )
    }
}

/// A finished run: what every report format renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunResult {
    /// Facts about the run.
    pub info: RunInfo,
    /// Every case, in the order it ran.
    pub cases: Vec<CaseResult>,
    /// Verdict counts over `cases`.
    pub summary: Summary,
    /// Wall-clock end of the run, RFC 3339.
    pub finished_at: String,
    /// Real time spent in the run.
    pub duration_ms: f64,
}

impl RunResult {
    /// Builds a run result, computing the summary from `cases`.
    #[must_use]
    pub fn new(
        info: RunInfo,
        cases: Vec<CaseResult>,
        finished_at: impl Into<String>,
        duration_ms: f64,
    ) -> RunResult {
        RunResult {
            summary: Summary::of(&cases),
            info,
            cases,
            finished_at: finished_at.into(),
            duration_ms,
        }
    }

    /// The [`Verdict::worst`] of all cases; `Skipped` when nothing ran.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        self.cases
            .iter()
            .map(|c| c.verdict)
            .fold(Verdict::Skipped, Verdict::worst)
    }
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    #[test]
    fn long_station_text_is_cut_at_a_char_boundary_with_its_size() {
        let mut short = "x".repeat(REPORT_TEXT_MAX);
        bound_text(&mut short);
        assert_eq!(short.len(), REPORT_TEXT_MAX);
        let mut long = "é".repeat(5 * 1024 * 1024);
        bound_text(&mut long);
        assert!(long.len() <= REPORT_TEXT_MAX, "{}", long.len());
        assert!(long.ends_with(&format!("…({} bytes)", 10 * 1024 * 1024)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Verdict; 4] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Error,
        Verdict::Skipped,
    ];

    #[test]
    fn error_beats_fail_beats_pass_beats_skipped() {
        assert_eq!(
            Verdict::worst(Verdict::Fail, Verdict::Error),
            Verdict::Error
        );
        assert_eq!(
            Verdict::worst(Verdict::Error, Verdict::Fail),
            Verdict::Error
        );
        assert_eq!(Verdict::worst(Verdict::Pass, Verdict::Fail), Verdict::Fail);
        assert_eq!(
            Verdict::worst(Verdict::Skipped, Verdict::Pass),
            Verdict::Pass
        );
    }

    #[test]
    fn worst_is_commutative_and_idempotent() {
        for a in ALL {
            assert_eq!(Verdict::worst(a, a), a);
            for b in ALL {
                assert_eq!(Verdict::worst(a, b), Verdict::worst(b, a));
            }
        }
    }

    #[test]
    fn verdicts_serialise_lowercase() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&Verdict::Skipped)?, "\"skipped\"");
        assert_eq!(serde_json::to_string(&CheckVerdict::Warn)?, "\"warn\"");
        for v in ALL {
            assert_eq!(serde_json::to_string(&v)?, format!("\"{v}\""));
        }
        Ok(())
    }

    fn meta() -> CaseMeta {
        CaseMeta {
            id: "VRF-001".into(),
            official_id: None,
            title: "t".into(),
            area: "VRF".into(),
            tags: vec![],
            class: None,
            phase: None,
            source_file: None,
        }
    }

    fn step(verdict: Verdict, message: Option<&str>, checks: Vec<CheckRecord>) -> StepRecord {
        StepRecord {
            index: 0,
            name: "s".into(),
            verdict,
            message: message.map(str::to_owned),
            duration_ms: 1.0,
            checks,
            exchanges: vec![],
            transcript: vec![],
        }
    }

    #[test]
    fn case_from_steps_takes_worst_and_first_explanation() {
        let failed = CheckRecord {
            name: "outcome".into(),
            verdict: CheckVerdict::Fail,
            message: "expected OK".into(),
            expected: None,
            actual: None,
            nodo_outcome: None,
        };
        let case = CaseResult::from_steps(
            meta(),
            vec![
                step(Verdict::Pass, None, vec![]),
                step(Verdict::Fail, None, vec![failed]),
                step(Verdict::Fail, Some("second"), vec![]),
            ],
            3.0,
            vec![],
        );
        assert_eq!(case.verdict, Verdict::Fail);
        assert_eq!(case.reason.as_deref(), Some("outcome: expected OK"));
        assert_eq!(case.failed_checks().count(), 1);

        let empty = CaseResult::from_steps(meta(), vec![], 0.0, vec![]);
        assert_eq!(empty.verdict, Verdict::Pass);
        assert_eq!(empty.reason, None);
    }

    #[test]
    fn the_headline_is_the_most_substantive_failure_not_the_first() {
        let fail = |name: &str, message: &str| CheckRecord {
            name: name.into(),
            verdict: CheckVerdict::Fail,
            message: message.into(),
            expected: None,
            actual: None,
            nodo_outcome: None,
        };
        let case = CaseResult::from_steps(
            meta(),
            vec![
                step(
                    Verdict::Fail,
                    Some("http-status: HTTP 500"),
                    vec![fail("http-status", "HTTP 500")],
                ),
                step(
                    Verdict::Fail,
                    None,
                    vec![
                        fail("response-valid", "missing companyName"),
                        fail(
                            "nodo-outcome",
                            "expected KO PAA_PAGAMENTO_DUPLICATO, the station answered OK",
                        ),
                    ],
                ),
            ],
            2.0,
            vec![],
        );
        assert_eq!(
            case.reason.as_deref(),
            Some("nodo-outcome: expected KO PAA_PAGAMENTO_DUPLICATO, the station answered OK")
        );
        assert!(substance_rank("nodo-outcome") < substance_rank("response-valid"));
        assert!(substance_rank("response-valid") < substance_rank("content-type"));
    }

    #[test]
    fn run_verdict_and_summary() {
        let mut cases = vec![CaseResult::skipped(meta(), "not selected")];
        let run = |cases: Vec<CaseResult>| RunResult {
            info: RunInfo {
                tool_version: String::new(),
                run_id: String::new(),
                seed: 0,
                started_at: String::new(),
                station_url: String::new(),
                station_kind: String::new(),
                config_digest: String::new(),
                catalogue_digest: "sha256:c47a".into(),
                extra_scenarios: Vec::new(),
                clock: String::new(),
                id_pa: String::new(),
                id_broker_pa: String::new(),
                id_station: String::new(),
                tls_mode: None,
                warnings: Vec::new(),
            },
            summary: Summary::of(&cases),
            cases,
            finished_at: String::new(),
            duration_ms: 0.0,
        };
        assert_eq!(run(vec![]).verdict(), Verdict::Skipped);
        assert_eq!(run(cases.clone()).verdict(), Verdict::Skipped);
        cases.push(CaseResult::from_steps(meta(), vec![], 0.0, vec![]));
        assert_eq!(run(cases.clone()).verdict(), Verdict::Pass);
        let mut errored = CaseResult::from_steps(meta(), vec![], 0.0, vec![]);
        errored.verdict = Verdict::Error;
        cases.push(errored);
        let r = run(cases);
        assert_eq!(r.verdict(), Verdict::Error);
        assert_eq!(
            r.summary.to_string(),
            "1 passed, 0 failed, 1 errors, 1 skipped"
        );
        assert_eq!(r.summary.total, 3);
    }
}
