//! Self-contained HTML evidence report (`report.html`).
//!
//! One file with no external fonts, scripts, styles or images, readable offline in any
//! browser and fully readable with JavaScript disabled: the verdict first; the station and EC
//! tested; PagoPA's official go-live cases (`EC-PSP-*`) in a table of their own, kept visibly
//! apart from collaudo's catalogue ids; then every case with its steps, checks and exchanges
//! (pretty-printed, highlighted request and response, headers, latency, real and virtual
//! time). Receipt retries are drawn as an inline SVG timeline over virtual hours, Stand-In
//! cases as slots with their fault and traffic shares, activation, probes and exit. A small
//! inline script adds filters by verdict and area; without it every case is shown.
//!
//! The page is produced by a minijinja template that escapes every value by default. The only
//! values inserted unescaped are the `*_html` fields, built in this module by code that
//! escapes as it emits (the body highlighter and the SVG drawings), plus the crate's own CSS
//! and script. Station text is untrusted: besides escaping, every body is cut to
//! [`BODY_MAX`] bytes and the whole report to a body budget, with a note pointing to
//! `journal.jsonl` where the raw bytes are.
//!
//! Simulator demonstrations (class `DEMO`) are shown after the evidence in a section of their
//! own and left out of the counts and of the official-case table, as in every report.

mod body;
mod svg;

use std::collections::{BTreeMap, BTreeSet};

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use crate::error::ReportError;
use crate::json::{Tally, is_demonstration, verdict};
use crate::model::{
    CaseMeta, CaseResult, CheckRecord, CheckVerdict, ExchangeRecord, RunInfo, RunResult,
    StepRecord, Summary, Verdict, bound_text,
};
use crate::text::duration;

/// Most bytes of one body the report embeds; the journal keeps the rest.
pub const BODY_MAX: usize = body::BODY_MAX;

/// Raw bytes of one exchange, from the run journal, keyed by [`ExchangeRecord::seq`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExchangeDetail {
    /// Request headers, in the order sent.
    pub request_headers: Vec<(String, String)>,
    /// The request body (the Nodo's SOAP or JSON message).
    pub request_body: String,
    /// HTTP status of the response; `None` when no response arrived.
    pub response_status: Option<u16>,
    /// Response headers, in the order received.
    pub response_headers: Vec<(String, String)>,
    /// The raw response body; may be anything, including non-UTF-8 bytes.
    pub response_body: Option<Vec<u8>>,
    /// Why no usable response came back, when none did.
    pub transport_error: Option<String>,
    /// The fault the plan injected into this exchange, if any.
    pub injected_fault: Option<String>,
    /// Wall-clock time the request was sent, RFC 3339.
    pub real_started_at: String,
}

/// Exchange details by journal sequence number.
pub type ExchangeDetails = BTreeMap<u64, ExchangeDetail>;

/// The note above the case tables: whose ids are whose.
pub const ID_NOTE: &str = "Ids such as VRF-001 belong to collaudo's own test catalogue; they \
are not PagoPA ids. Only the ids marked PagoPA (EC-PSP-…) refer to PagoPA's go-live test plan: a \
collaudo case listed under one collects evidence towards that official case, against a simulated \
Nodo, and does not replace it.";

/// The note that opens the section of simulator demonstrations.
pub const DEMO_NOTE: &str = "Not evidence. These cases exercise collaudo's simulator of the Nodo \
(the Stand-In rules, its own bookkeeping) and no station, right or wrong, can change their \
verdict. They show what the simulator does and are not counted above. One that fails or errors \
means the simulator misbehaved, which makes the run an error.";

const TEMPLATE: &str = include_str!("html/report.html.j2");
const CSS: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/filter.js");

/// A step's first exchanges whose headers and bodies are embedded; with [`EMBED_LAST`], the
/// rest of a long step (an outage sends the same verify a hundred times) is listed by its
/// summary only and left to the journal, which keeps the report small and fast to open.
const EMBED_FIRST: usize = 8;
/// A step's last exchanges whose headers and bodies are embedded (see [`EMBED_FIRST`]).
const EMBED_LAST: usize = 4;

/// Most headers shown per message; a station sending thousands gets a note instead.
const HEADERS_MAX: usize = 64;

/// Renders the HTML report of `run`; `details` gives the raw bytes of the exchanges it has
/// (an exchange without details shows its summary only).
pub fn render(run: &RunResult, details: &ExchangeDetails) -> Result<String, ReportError> {
    let page = Page::build(run, details);
    let mut env = Environment::new();
    // Escaping is on for every value, whatever the template is called.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| ReportError::Html(e.to_string()))?;
    let template = env
        .get_template("report.html")
        .map_err(|e| ReportError::Html(e.to_string()))?;
    template
        .render(Serde(&page))
        .map_err(|e| ReportError::Html(format!("{e:#}")))
}

/// Everything the template shows.
#[derive(Serialize)]
struct Page<'a> {
    verdict: &'static str,
    verdict_text: String,
    evidence: Summary,
    demonstrations: Summary,
    info: &'a RunInfo,
    finished_at: &'a str,
    duration: String,
    official: Vec<Official<'a>>,
    areas: Vec<&'a str>,
    cases: Vec<CaseView<'a>>,
    demos: Vec<CaseView<'a>>,
    id_note: &'static str,
    demo_note: &'static str,
    css: &'static str,
    script: &'static str,
}

/// One row of the official-case table.
#[derive(Serialize)]
struct Official<'a> {
    id: &'a str,
    verdict: &'static str,
    verdict_text: &'static str,
    cases: Vec<OfficialCase<'a>>,
}

#[derive(Serialize)]
struct OfficialCase<'a> {
    id: &'a str,
    anchor: String,
    title: &'a str,
    verdict: &'static str,
}

#[derive(Serialize)]
struct CaseView<'a> {
    meta: &'a CaseMeta,
    anchor: String,
    verdict: &'static str,
    reason: Option<&'a str>,
    duration: String,
    warnings: &'a [String],
    open: bool,
    demo: bool,
    checks: CheckCounts,
    steps: Vec<StepView<'a>>,
    receipt_svg_html: Option<String>,
    standin_svg_html: Option<String>,
}

#[derive(Serialize, Default)]
struct CheckCounts {
    pass: usize,
    fail: usize,
    warn: usize,
    skip: usize,
}

#[derive(Serialize)]
struct StepView<'a> {
    number: usize,
    name: &'a str,
    verdict: &'static str,
    message: Option<&'a str>,
    duration: String,
    checks: &'a [CheckRecord],
    transcript: &'a [String],
    exchanges: Vec<ExchangeView<'a>>,
}

#[derive(Serialize)]
struct ExchangeView<'a> {
    record: &'a ExchangeRecord,
    outcome_class: &'static str,
    latency: String,
    /// Details exist but are left to the journal (a long step's middle exchanges).
    left_out: bool,
    detail: Option<DetailView<'a>>,
}

#[derive(Serialize)]
struct DetailView<'a> {
    real_started_at: &'a str,
    request_headers: Headers,
    request: body::BodyView,
    response_status: Option<u16>,
    response_headers: Headers,
    response: Option<body::BodyView>,
    transport_error: Option<String>,
    injected_fault: Option<String>,
}

#[derive(Serialize)]
struct Headers {
    list: Vec<(String, String)>,
    more: usize,
}

fn headers(all: &[(String, String)]) -> Headers {
    let list = all
        .iter()
        .take(HEADERS_MAX)
        .map(|(k, v)| (bounded(k), bounded(v)))
        .collect();
    Headers {
        list,
        more: all.len().saturating_sub(HEADERS_MAX),
    }
}

fn bounded(s: &str) -> String {
    let mut s = s.to_owned();
    bound_text(&mut s);
    s
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Error => "ERROR",
        Verdict::Skipped => "SKIPPED",
    }
}

impl<'a> Page<'a> {
    fn build(run: &'a RunResult, details: &'a ExchangeDetails) -> Page<'a> {
        let tally = Tally::of(&run.cases);
        let v = verdict(run);
        let mut budget = body::Budget(body::REPORT_BODY_BUDGET);
        let (demos, evidence): (Vec<&CaseResult>, Vec<&CaseResult>) =
            run.cases.iter().partition(|c| is_demonstration(c));
        let areas: BTreeSet<&str> = run.cases.iter().map(|c| c.meta.area.as_str()).collect();
        let mut cases = Vec::with_capacity(evidence.len());
        for c in &evidence {
            cases.push(case_view(c, false, details, &mut budget));
        }
        let mut demo_views = Vec::with_capacity(demos.len());
        for c in &demos {
            demo_views.push(case_view(c, true, details, &mut budget));
        }
        Page {
            verdict: v.as_str(),
            verdict_text: verdict_word(v).to_owned(),
            evidence: tally.evidence,
            demonstrations: tally.demonstrations,
            info: &run.info,
            finished_at: &run.finished_at,
            duration: duration(run.duration_ms),
            official: official(run),
            areas: areas.into_iter().collect(),
            cases,
            demos: demo_views,
            id_note: ID_NOTE,
            demo_note: DEMO_NOTE,
            css: CSS,
            script: SCRIPT,
        }
    }
}

/// The official-case table: the roll-up every report shares (`crate::official`), with the
/// badge text in capitals like the page's other verdicts.
fn official(run: &RunResult) -> Vec<Official<'_>> {
    crate::official::rollup(run)
        .into_iter()
        .map(|row| Official {
            id: row.official_id,
            verdict: row.verdict.as_str(),
            verdict_text: match crate::official::OfficialVerdict::of(&row) {
                crate::official::OfficialVerdict::PassWithSkips => "PASS (some cases skipped)",
                crate::official::OfficialVerdict::NotRun => "NOT RUN",
                _ => verdict_word(row.verdict),
            },
            cases: row
                .cases
                .iter()
                .map(|c| OfficialCase {
                    id: &c.meta.id,
                    anchor: anchor(&c.meta.id),
                    title: &c.meta.title,
                    verdict: c.verdict.as_str(),
                })
                .collect(),
        })
        .collect()
}

/// An HTML id for a case: `case-` and its id with anything but `[A-Za-z0-9_-]` replaced.
fn anchor(id: &str) -> String {
    let mut a = String::from("case-");
    a.extend(id.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            c
        } else {
            '_'
        }
    }));
    a
}

fn case_view<'a>(
    case: &'a CaseResult,
    demo: bool,
    details: &'a ExchangeDetails,
    budget: &mut body::Budget,
) -> CaseView<'a> {
    let mut checks = CheckCounts::default();
    for c in case.steps.iter().flat_map(|s| s.checks.iter()) {
        match c.verdict {
            CheckVerdict::Pass => checks.pass += 1,
            CheckVerdict::Fail => checks.fail += 1,
            CheckVerdict::Warn => checks.warn += 1,
            CheckVerdict::Skip => checks.skip += 1,
        }
    }
    let steps = case
        .steps
        .iter()
        .map(|s| step_view(s, details, budget))
        .collect();
    CaseView {
        meta: &case.meta,
        anchor: anchor(&case.meta.id),
        verdict: case.verdict.as_str(),
        reason: case.reason.as_deref(),
        duration: duration(case.duration_ms),
        warnings: &case.warnings,
        open: matches!(case.verdict, Verdict::Fail | Verdict::Error),
        demo,
        checks,
        steps,
        receipt_svg_html: svg::receipt_timeline(case),
        standin_svg_html: if svg::is_standin(case) {
            svg::standin_timeline(case)
        } else {
            None
        },
    }
}

fn step_view<'a>(
    step: &'a StepRecord,
    details: &'a ExchangeDetails,
    budget: &mut body::Budget,
) -> StepView<'a> {
    StepView {
        number: step.index + 1,
        name: &step.name,
        verdict: step.verdict.as_str(),
        message: step.message.as_deref(),
        duration: duration(step.duration_ms),
        checks: &step.checks,
        transcript: &step.transcript,
        exchanges: {
            let n = step.exchanges.len();
            step.exchanges
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let embed = i < EMBED_FIRST || i + EMBED_LAST >= n;
                    let detail = details.get(&e.seq);
                    ExchangeView {
                        record: e,
                        outcome_class: svg::outcome_class(&e.outcome),
                        latency: duration(e.latency_ms),
                        left_out: !embed && detail.is_some(),
                        detail: detail.filter(|_| embed).map(|d| detail_view(d, budget)),
                    }
                })
                .collect()
        },
    }
}

fn detail_view<'d>(d: &'d ExchangeDetail, budget: &mut body::Budget) -> DetailView<'d> {
    DetailView {
        real_started_at: &d.real_started_at,
        request_headers: headers(&d.request_headers),
        request: body::view(d.request_body.as_bytes(), budget),
        response_status: d.response_status,
        response_headers: headers(&d.response_headers),
        response: d.response_body.as_deref().map(|b| body::view(b, budget)),
        transport_error: d.transport_error.as_deref().map(bounded),
        injected_fault: d.injected_fault.as_deref().map(bounded),
    }
}
