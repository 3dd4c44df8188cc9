//! A small JUnit reader, for the round-trip tests only: it reads back what [`super::write`]
//! produces, the way a CI server would (entities resolved, attribute values normalised).

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// What the tests compare after a round trip.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Report {
    pub(super) counts: Counts,
    pub(super) suites: Vec<Suite>,
}

#[derive(Debug, Default, PartialEq)]
pub(super) struct Counts {
    pub(super) tests: usize,
    pub(super) failures: usize,
    pub(super) errors: usize,
    pub(super) skipped: usize,
}

#[derive(Debug, Default, PartialEq)]
pub(super) struct Suite {
    pub(super) name: String,
    pub(super) counts: Counts,
    pub(super) properties: Vec<(String, String)>,
    pub(super) cases: Vec<Case>,
}

#[derive(Debug, Default, PartialEq)]
pub(super) struct Case {
    pub(super) name: String,
    pub(super) classname: String,
    pub(super) properties: Vec<(String, String)>,
    /// `failure`, `error` or `skipped`; `None` for a pass.
    pub(super) kind: Option<String>,
    pub(super) message: Option<String>,
    pub(super) kind_type: Option<String>,
    pub(super) body: String,
    pub(super) system_out: String,
}

type Error = Box<dyn std::error::Error>;

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, Error> {
    for a in e.attributes() {
        let a = a?;
        if a.key.as_ref() == name {
            return Ok(Some(
                a.normalized_value(XmlVersion::Explicit1_0)?.into_owned(),
            ));
        }
    }
    Ok(None)
}

fn count(e: &BytesStart<'_>, name: &str) -> Result<usize, Error> {
    Ok(attr(e, name)?
        .ok_or_else(|| format!("missing {name}"))?
        .parse()?)
}

fn counts(e: &BytesStart<'_>) -> Result<Counts, Error> {
    Ok(Counts {
        tests: count(e, "tests")?,
        failures: count(e, "failures")?,
        errors: count(e, "errors")?,
        skipped: count(e, "skipped")?,
    })
}

/// Where text content currently goes.
#[derive(Clone, Copy, PartialEq)]
enum Sink {
    None,
    Body,
    SystemOut,
}

pub(super) fn parse(xml: &str) -> Result<Report, Error> {
    let mut reader = Reader::from_str(xml);
    let mut report = Report::default();
    let mut case: Option<Case> = None;
    let mut sink = Sink::None;
    loop {
        let event = reader.read_event()?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.name().as_ref() {
                    "testsuites" => report.counts = counts(e)?,
                    "testsuite" => report.suites.push(Suite {
                        name: attr(e, "name")?.unwrap_or_default(),
                        counts: counts(e)?,
                        ..Suite::default()
                    }),
                    "testcase" => {
                        case = Some(Case {
                            name: attr(e, "name")?.unwrap_or_default(),
                            classname: attr(e, "classname")?.unwrap_or_default(),
                            ..Case::default()
                        });
                        if empty {
                            finish_case(&mut report, &mut case)?;
                        }
                    }
                    "property" => {
                        let pair = (
                            attr(e, "name")?.unwrap_or_default(),
                            attr(e, "value")?.unwrap_or_default(),
                        );
                        match (&mut case, report.suites.last_mut()) {
                            (Some(c), _) => c.properties.push(pair),
                            (None, Some(s)) => s.properties.push(pair),
                            (None, None) => return Err("property outside a suite".into()),
                        }
                    }
                    kind @ ("failure" | "error" | "skipped") => {
                        let c = case.as_mut().ok_or("verdict outside a testcase")?;
                        if c.kind.is_some() {
                            return Err("two verdict elements in one testcase".into());
                        }
                        c.kind = Some(kind.to_owned());
                        c.message = attr(e, "message")?;
                        c.kind_type = attr(e, "type")?;
                        if !empty {
                            sink = Sink::Body;
                        }
                    }
                    "system-out" if !empty => sink = Sink::SystemOut,
                    _ => {}
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "testcase" => finish_case(&mut report, &mut case)?,
                "failure" | "error" | "skipped" | "system-out" => sink = Sink::None,
                _ => {}
            },
            Event::Text(t) => push(&mut case, sink, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref()? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_xml_entity(&r.xml10_content())
                        .ok_or("unknown entity")?
                        .to_owned(),
                };
                push(&mut case, sink, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(report)
}

fn push(case: &mut Option<Case>, sink: Sink, text: &str) {
    if let Some(c) = case {
        match sink {
            Sink::Body => c.body.push_str(text),
            Sink::SystemOut => c.system_out.push_str(text),
            Sink::None => {}
        }
    }
}

fn finish_case(report: &mut Report, case: &mut Option<Case>) -> Result<(), Error> {
    let c = case.take().ok_or("testcase end without start")?;
    report
        .suites
        .last_mut()
        .ok_or("testcase outside a suite")?
        .cases
        .push(c);
    Ok(())
}
