//! JUnit XML report.
//!
//! One `<testsuite>` per catalogue area (`collaudo.VRF`, `collaudo.ACT`, …), in the order the
//! areas first ran; one `<testcase>` per case, named with collaudo's own id and the case's
//! title (`ACT-001 paGetPayment of …`) so a CI dashboard is readable by people, classname the
//! area. A PagoPA official id, when the case has one, is carried separately (a
//! `pagopa_official_id` property and a labelled line in `<system-out>`) so CI dashboards never
//! show it as if it were the case name.
//!
//! [`Dialect::Strict`] (`--junit-strict`) drops what the common Jenkins `junit-10.xsd` does not
//! allow — testcase `<properties>` and the `skipped`/`timestamp` attributes of `<testsuites>` —
//! so the file validates against it; the official id then lives in `<system-out>` only.
//!
//! `<failure>` means the station did not conform; `<error>` means the harness or the
//! environment failed. The XML is produced with quick-xml's writer, which escapes every text
//! and attribute; characters XML cannot carry at all are made visible first.
//!
//! Simulator demonstrations (class `DEMO`, property `class=DEMO`) stay testcases, in a last
//! suite of their own, [`DEMO_SUITE`], with that name as the prefix of their classname:
//! dashboards that group by suite (GitLab) and those that group by classname package
//! (Jenkins) both show them apart from the evidence, and the area suites count evidence only.
//! A demonstration that fails is written as an `<error>`: no station can have caused it.

#[cfg(test)]
mod reader;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::error::ReportError;
use crate::json::is_demonstration;
use crate::model::{CaseResult, CheckVerdict, RunResult, Summary, Verdict};
use crate::text::{duration, seconds, visible_text, xml_safe};

/// `type` attribute of `<failure>`: the station did not conform.
pub const FAILURE_TYPE: &str = "nonconformance";
/// `type` attribute of `<error>`: the harness or the environment failed.
pub const ERROR_TYPE: &str = "harness-error";
/// Name of the suite of simulator demonstrations, and prefix of their classname.
pub const DEMO_SUITE: &str = "collaudo.demonstrations";
/// Why the demonstrations' suite is there, as its `note` property.
const DEMO_NOTE: &str = "simulator demonstrations: they exercise collaudo's simulated Nodo \
only, no station can change their verdict, and they are not evidence about the station";

/// Which JUnit the file is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// Everything collaudo knows, in the attributes and properties most CI servers read
    /// (GitLab, GitHub actions, Jenkins' JUnit plugin): per-case properties, the skipped count.
    #[default]
    Extended,
    /// Only what the Jenkins xUnit plugin's `junit-10.xsd` allows.
    Strict,
}

/// Renders the JUnit XML report of `run`.
pub fn render(run: &RunResult) -> Result<String, ReportError> {
    render_in(run, Dialect::Extended)
}

/// Renders the JUnit XML report of `run` in `dialect`.
pub fn render_in(run: &RunResult, dialect: Dialect) -> Result<String, ReportError> {
    let mut buf = Vec::new();
    write_in(run, dialect, &mut buf)?;
    String::from_utf8(buf)
        .map_err(|e| ReportError::Xml(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// Writes the JUnit XML report of `run` to `out`.
pub fn write<W: io::Write>(run: &RunResult, out: W) -> Result<(), ReportError> {
    write_in(run, Dialect::Extended, out)
}

/// Writes the JUnit XML report of `run` to `out` in `dialect`.
pub fn write_in<W: io::Write>(
    run: &RunResult,
    dialect: Dialect,
    out: W,
) -> Result<(), ReportError> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    write_document(&mut w, run, dialect).map_err(ReportError::Xml)?;
    // The indenting writer does not end the last line.
    w.get_mut().write_all(b"\n").map_err(ReportError::Xml)
}

fn write_document<W: io::Write>(
    w: &mut Writer<W>,
    run: &RunResult,
    dialect: Dialect,
) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let (demos, evidence): (Vec<&CaseResult>, Vec<&CaseResult>) =
        run.cases.iter().partition(|c| is_demonstration(c));
    // The totals are those of the testcases in the file, demonstrations included, as JUnit
    // readers check; what counts as evidence is in the area suites.
    let s = written_summary(&run.cases.iter().collect::<Vec<_>>());
    let mut root = w
        .create_element("testsuites")
        .with_attribute(("name", "collaudo"));
    root = match dialect {
        Dialect::Extended => root
            .with_attributes(counts(&s))
            .with_attribute(("time", seconds(run.duration_ms).as_str()))
            .with_attribute(("timestamp", xml_safe(&run.info.started_at))),
        // junit-10.xsd's <testsuites> has no `skipped` nor `timestamp`.
        Dialect::Strict => root
            .with_attributes(counts(&s).into_iter().take(3))
            .with_attribute(("time", seconds(run.duration_ms).as_str())),
    };
    root.write_inner_content(|w| {
        for (area, cases) in by_area(&evidence) {
            write_suite(w, run, &classname(area), &cases, &[], dialect)?;
        }
        if !demos.is_empty() {
            write_suite(w, run, DEMO_SUITE, &demos, &[("note", DEMO_NOTE)], dialect)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The verdict a case is written with: a demonstration cannot fail the station, so its
/// failure is the harness's error.
pub(crate) fn written_verdict(case: &CaseResult) -> Verdict {
    match case.verdict {
        Verdict::Fail if is_demonstration(case) => Verdict::Error,
        v => v,
    }
}

/// Counts of the verdicts as written.
fn written_summary(cases: &[&CaseResult]) -> Summary {
    let mut s = Summary::default();
    for case in cases {
        s.total += 1;
        match written_verdict(case) {
            Verdict::Pass => s.passed += 1,
            Verdict::Fail => s.failed += 1,
            Verdict::Error => s.errors += 1,
            Verdict::Skipped => s.skipped += 1,
        }
    }
    s
}

fn counts(s: &Summary) -> [(&'static str, Cow<'static, str>); 4] {
    [
        ("tests", s.total.to_string().into()),
        ("failures", s.failed.to_string().into()),
        ("errors", s.errors.to_string().into()),
        ("skipped", s.skipped.to_string().into()),
    ]
}

/// Groups cases by area, keeping the order in which areas first appear in the run.
fn by_area<'a>(cases: &[&'a CaseResult]) -> Vec<(&'a str, Vec<&'a CaseResult>)> {
    let mut groups: Vec<(&str, Vec<&CaseResult>)> = Vec::new();
    for &case in cases {
        let area = case.meta.area.as_str();
        match groups.iter_mut().find(|(a, _)| *a == area) {
            Some((_, list)) => list.push(case),
            None => groups.push((area, vec![case])),
        }
    }
    groups
}

fn classname(area: &str) -> String {
    format!("collaudo.{area}")
}

/// The classname of a testcase: its area's suite, under [`DEMO_SUITE`] for a demonstration.
fn case_classname(case: &CaseResult) -> String {
    if is_demonstration(case) {
        format!("{DEMO_SUITE}.{}", case.meta.area)
    } else {
        classname(&case.meta.area)
    }
}

fn write_suite<W: io::Write>(
    w: &mut Writer<W>,
    run: &RunResult,
    name: &str,
    cases: &[&CaseResult],
    extra: &[(&str, &str)],
    dialect: Dialect,
) -> io::Result<()> {
    let summary = written_summary(cases);
    let time: f64 = cases.iter().map(|c| c.duration_ms).sum();
    let info = &run.info;
    w.create_element("testsuite")
        .with_attribute(("name", xml_safe(name)))
        .with_attributes(counts(&summary))
        .with_attribute(("time", seconds(time).as_str()))
        .with_attribute(("timestamp", xml_safe(&info.started_at)))
        .write_inner_content(|w| {
            let seed = info.seed.to_string();
            let mut props = vec![
                ("seed", seed.as_str()),
                ("tool_version", &info.tool_version),
                ("run_id", &info.run_id),
                ("station_url", &info.station_url),
                ("station_kind", &info.station_kind),
                ("clock", &info.clock),
                ("config_digest", &info.config_digest),
                ("catalogue_digest", &info.catalogue_digest),
                ("id_pa", &info.id_pa),
                ("id_broker_pa", &info.id_broker_pa),
                ("id_station", &info.id_station),
            ];
            if let Some(tls) = &info.tls_mode {
                props.push(("tls_mode", tls));
            }
            for warning in &info.warnings {
                props.push(("warning", warning));
            }
            props.extend_from_slice(extra);
            write_properties(w, &props)?;
            for case in cases {
                write_case(w, case, dialect)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_properties<W: io::Write>(w: &mut Writer<W>, props: &[(&str, &str)]) -> io::Result<()> {
    if props.is_empty() {
        return Ok(());
    }
    w.create_element("properties").write_inner_content(|w| {
        for (name, value) in props {
            w.create_element("property")
                .with_attribute(("name", *name))
                .with_attribute(("value", xml_safe(value)))
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

/// A testcase's name: collaudo's id, then the title, so people read what was tested.
pub(crate) fn case_name(case: &CaseResult) -> String {
    format!("{} {}", case.meta.id, case.meta.title)
}

fn write_case<W: io::Write>(
    w: &mut Writer<W>,
    case: &CaseResult,
    dialect: Dialect,
) -> io::Result<()> {
    let meta = &case.meta;
    w.create_element("testcase")
        .with_attribute(("name", xml_safe(&case_name(case))))
        .with_attribute(("classname", xml_safe(&case_classname(case))))
        .with_attribute(("time", seconds(case.duration_ms).as_str()))
        .write_inner_content(|w| {
            let tags = meta.tags.join(",");
            let optional = [
                ("pagopa_official_id", meta.official_id.as_deref()),
                ("title", Some(meta.title.as_str())),
                ("class", meta.class.as_deref()),
                ("phase", meta.phase.as_deref()),
                ("tags", (!tags.is_empty()).then_some(tags.as_str())),
                ("source_file", meta.source_file.as_deref()),
            ];
            let props: Vec<(&str, &str)> = optional
                .iter()
                .filter_map(|(k, v)| v.map(|v| (*k, v)))
                .collect();
            // junit-10.xsd allows no <properties> in a testcase: strict files carry the same
            // facts in <system-out>, which starts with them.
            if dialect == Dialect::Extended {
                write_properties(w, &props)?;
            }
            match written_verdict(case) {
                Verdict::Pass => {}
                Verdict::Error if case.verdict == Verdict::Fail => {
                    // A failed demonstration: the failed checks are the simulator's.
                    w.create_element("error")
                        .with_attribute(("message", xml_safe(&message(case))))
                        .with_attribute(("type", ERROR_TYPE))
                        .write_text_content(BytesText::new(&xml_safe(&failure_details(case))))?;
                }
                Verdict::Fail => {
                    w.create_element("failure")
                        .with_attribute(("message", xml_safe(&message(case))))
                        .with_attribute(("type", FAILURE_TYPE))
                        .write_text_content(BytesText::new(&xml_safe(&failure_details(case))))?;
                }
                Verdict::Error => {
                    w.create_element("error")
                        .with_attribute(("message", xml_safe(&message(case))))
                        .with_attribute(("type", ERROR_TYPE))
                        .write_text_content(BytesText::new(&xml_safe(&error_details(case))))?;
                }
                Verdict::Skipped => {
                    w.create_element("skipped")
                        .with_attribute(("message", xml_safe(&message(case))))
                        .write_empty()?;
                }
            }
            w.create_element("system-out")
                .write_text_content(BytesText::new(&xml_safe(&transcript(case))))?;
            Ok(())
        })?;
    Ok(())
}

/// The `message` attribute: the case's reason, or a generic phrase for its verdict; for a
/// demonstration that failed, said to be the simulator's.
pub(crate) fn message(case: &CaseResult) -> String {
    if is_demonstration(case) && case.verdict == Verdict::Fail {
        let why = case.reason.as_deref().unwrap_or("a check did not hold");
        return format!("simulator demonstration failed, not the station: {why}");
    }
    if let Some(reason) = &case.reason {
        return reason.clone();
    }
    match case.verdict {
        Verdict::Pass => "passed",
        Verdict::Fail => "the station did not conform",
        Verdict::Error => "the harness could not judge the station",
        Verdict::Skipped => "not run",
    }
    .to_owned()
}

/// Body of `<failure>`: every failed check with what was expected, what the station did and
/// what the real Nodo would have answered the PSP.
fn failure_details(case: &CaseResult) -> String {
    let mut out = String::new();
    for (step, check) in case.failed_checks() {
        let _ = writeln!(
            out,
            "step {} `{}`, check `{}`: {}",
            step.index + 1,
            step.name,
            check.name,
            check.message
        );
        push_check_values(&mut out, check, "  ");
    }
    if out.is_empty() {
        out = message(case);
        out.push('\n');
    }
    visible_text(&out)
}

/// Body of `<error>`: the messages of the steps that errored.
fn error_details(case: &CaseResult) -> String {
    let mut out = String::new();
    for step in case.steps.iter().filter(|s| s.verdict == Verdict::Error) {
        let _ = writeln!(
            out,
            "step {} `{}`: {}",
            step.index + 1,
            step.name,
            step.message.as_deref().unwrap_or("error")
        );
    }
    if out.is_empty() {
        out = message(case);
        out.push('\n');
    }
    visible_text(&out)
}

fn push_check_values(out: &mut String, check: &crate::model::CheckRecord, indent: &str) {
    let rows = [
        ("expected", &check.expected),
        ("actual", &check.actual),
        ("nodo outcome", &check.nodo_outcome),
    ];
    for (label, value) in rows {
        if let Some(value) = value {
            // Continuation lines are indented under the label so multi-line XML stays readable.
            let continuation = format!("\n{indent}  ");
            let value = value.replace("\r\n", "\n").replace('\n', &continuation);
            let _ = writeln!(out, "{indent}{label}: {value}");
        }
    }
}

/// Plain-text account of a case for `<system-out>`: header (ids kept apart), then every
/// step with its checks, exchanges and transcript lines.
pub(crate) fn transcript(case: &CaseResult) -> String {
    let meta = &case.meta;
    let mut out = String::new();
    let _ = writeln!(out, "collaudo case {}: {}", meta.id, meta.title);
    if let Some(official) = &meta.official_id {
        let _ = writeln!(out, "PagoPA official id: {official}");
    }
    let mut facts = vec![format!("area {}", meta.area)];
    facts.extend(meta.class.as_ref().map(|c| format!("class {c}")));
    facts.extend(meta.phase.as_ref().map(|p| format!("phase {p}")));
    if !meta.tags.is_empty() {
        facts.push(format!("tags {}", meta.tags.join(", ")));
    }
    let _ = writeln!(out, "{}", facts.join(", "));
    if let Some(source) = &meta.source_file {
        let _ = writeln!(out, "source: {source}");
    }
    let _ = write!(out, "verdict: {}", case.verdict);
    if let Some(reason) = &case.reason {
        let _ = write!(out, " ({reason})");
    }
    if case.verdict == Verdict::Skipped {
        out.push('\n');
    } else {
        let _ = writeln!(out, " in {}", duration(case.duration_ms));
    }
    for step in &case.steps {
        let _ = writeln!(
            out,
            "\nstep {} `{}`: {} in {}",
            step.index + 1,
            step.name,
            step.verdict,
            duration(step.duration_ms)
        );
        if let Some(message) = &step.message {
            let _ = writeln!(out, "  {message}");
        }
        for check in &step.checks {
            let _ = writeln!(
                out,
                "  check `{}`: {}: {}",
                check.name, check.verdict, check.message
            );
            if check.verdict != CheckVerdict::Pass {
                push_check_values(&mut out, check, "    ");
            }
        }
        for ex in &step.exchanges {
            let status = ex
                .response_status
                .map_or_else(|| "no response".to_owned(), |s| format!("HTTP {s}"));
            let _ = write!(
                out,
                "  exchange #{} {} to {}: {status}, {} request bytes, {}, outcome {}",
                ex.seq,
                ex.primitive,
                ex.url,
                ex.request_bytes,
                duration(ex.latency_ms),
                ex.outcome
            );
            if let Some(attempt) = ex.attempt {
                let _ = write!(out, ", attempt {attempt}");
            }
            if let Some(at) = &ex.virtual_time {
                let _ = write!(out, ", virtual time {at}");
            }
            out.push('\n');
        }
        for line in &step.transcript {
            let _ = writeln!(out, "  | {line}");
        }
    }
    if !case.warnings.is_empty() {
        out.push_str("\nwarnings:\n");
        for warning in &case.warnings {
            let _ = writeln!(out, "  - {warning}");
        }
    }
    visible_text(&out)
}
