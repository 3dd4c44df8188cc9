//! Reading a SOAP 1.1 message: envelope, Body, SOAP Fault, and the paForNode payload inside.
//!
//! Any byte sequence gives a [`Parsed`]: a message when the structure allowed one, and every
//! violation found, each with its element path and position.

use crate::decode::{Decoder, Sink};
use crate::message::{Direction, Message, Primitive};
use crate::violation::{Kind, Rule, Severity, Violation, clip, clip_prose};
use crate::xml::{self, Element, NS_PAFORNODE, NS_SOAP11, NS_SOAP12};
use serde::Serialize;

/// How many violations a [`Parsed`] keeps by default (the others are counted in
/// [`Parsed::omitted`]).
pub const DEFAULT_MAX_VIOLATIONS: usize = 100;

/// How to read a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// The primitive and direction the message must be (e.g. the response to a request the
    /// Nodo sent); a different payload is a violation. `None` detects it from the payload.
    pub expected: Option<(Primitive, Direction)>,
    /// How many violations to keep, the first ones in document order; the others are only
    /// counted. A hostile reply can break one rule half a million times, and neither memory
    /// nor a report should grow with that.
    pub max_violations: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            expected: None,
            max_violations: DEFAULT_MAX_VIOLATIONS,
        }
    }
}

/// Violations found but not kept in [`Parsed::violations`], by what they would decide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Omitted {
    /// Error-severity violations, of any kind.
    pub errors: usize,
    /// Of those, the ones of kind xml, envelope or xsd (what `xmllint` would also reject).
    pub schema_errors: usize,
    /// Warnings.
    pub warnings: usize,
}

impl Omitted {
    /// How many violations were not kept.
    pub fn total(&self) -> usize {
        self.errors + self.warnings
    }

    /// Nothing was left out.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    pub(crate) fn count(&mut self, kind: Kind, severity: Severity) {
        match severity {
            Severity::Error => {
                self.errors += 1;
                if kind != Kind::Semantic {
                    self.schema_errors += 1;
                }
            }
            Severity::Warning => self.warnings += 1,
        }
    }
}

/// A SOAP 1.1 Fault found in the Body, its texts cut as a violation's are
/// ([`crate::violation::clip`], [`crate::violation::clip_prose`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoapFault {
    /// `faultcode`.
    pub faultcode: String,
    /// `faultstring`.
    pub faultstring: String,
}

/// The result of reading bytes that should hold a pagoPA EC-side message.
#[derive(Debug, Clone, Serialize)]
pub struct Parsed {
    /// The primitive and direction detected from the payload element, when one was found.
    pub kind: Option<(Primitive, Direction)>,
    /// The typed message, when no structural (XML, envelope, XSD) error prevented it.
    #[serde(skip)]
    pub message: Option<Message>,
    /// The SOAP Fault, when the Body held one.
    pub soap_fault: Option<SoapFault>,
    /// Whether the payload came inside a SOAP envelope.
    pub enveloped: bool,
    /// The violations found, in document order: all of them, or the first
    /// [`ParseOptions::max_violations`].
    pub violations: Vec<Violation>,
    /// The violations found beyond [`ParseOptions::max_violations`], counted.
    #[serde(skip_serializing_if = "Omitted::is_empty")]
    pub omitted: Omitted,
}

impl Parsed {
    /// No error-severity violation (warnings allowed), kept or omitted.
    pub fn is_valid(&self) -> bool {
        !self.violations.iter().any(Violation::is_error) && self.omitted.errors == 0
    }

    /// Valid against the XSD (semantic pagoPA rules ignored): what `xmllint --schema` decides.
    pub fn is_schema_valid(&self) -> bool {
        !self
            .violations
            .iter()
            .any(|v| v.is_error() && v.kind != Kind::Semantic)
            && self.omitted.schema_errors == 0
    }

    /// How many error-severity violations were found, kept or omitted.
    pub fn error_count(&self) -> usize {
        self.errors().count() + self.omitted.errors
    }

    /// The error-severity violations.
    pub fn errors(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.is_error())
    }

    /// Nothing but one XML-level violation: the input could not be read as a document.
    fn only(&mut self, bytes: &[u8], rule: Rule, offset: usize) {
        self.violations =
            vec![Violation::new("/", rule, Kind::Xml, Severity::Error).at(bytes, offset)];
    }
}

fn envelope_error(path: &str, el: &Element<'_>, rule: Rule) -> Violation {
    let mut v = Violation::new(path, rule, Kind::Envelope, Severity::Error);
    v.offset = Some(el.offset);
    v
}

/// Read any EC-side message; the primitive is detected from the payload element.
pub fn parse(bytes: &[u8]) -> Parsed {
    parse_with(bytes, &ParseOptions::default())
}

/// Read a message that must be `expected` (e.g. the response to a request the Nodo sent).
/// A different payload is reported as a violation at the payload element.
pub fn parse_expecting(bytes: &[u8], expected: (Primitive, Direction)) -> Parsed {
    parse_with(
        bytes,
        &ParseOptions {
            expected: Some(expected),
            ..ParseOptions::default()
        },
    )
}

/// The first characters of a text that is not XML, for a reason: at most 40 characters,
/// control characters and quotes escaped, so the reason is safe to print anywhere.
fn opening(text: &str) -> String {
    const SHOWN: usize = 40;
    let mut out: String = text
        .chars()
        .take(SHOWN)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(SHOWN).is_some() {
        out.push('…');
    }
    out
}

/// Read any EC-side message with explicit options.
pub fn parse_with(bytes: &[u8], options: &ParseOptions) -> Parsed {
    // Filled in place and returned once: a `Parsed` is over a kilobyte, and each of the
    // moves it took on the way out was a copy of all of it.
    let mut parsed = Parsed {
        kind: None,
        message: None,
        soap_fault: None,
        enveloped: false,
        violations: Vec::new(),
        omitted: Omitted::default(),
    };
    read(bytes, options, &mut parsed);
    parsed
}

/// The body of [`parse_with`], filling `parsed` (as it is created there).
fn read(bytes: &[u8], options: &ParseOptions, parsed: &mut Parsed) {
    let (src, base) = match xml::as_utf8(bytes) {
        Ok(ok) => ok,
        Err(e) => return parsed.only(bytes, Rule::NotUtf8, e.offset),
    };
    // A text that does not even start with markup ("Internal Server Error", a stack trace) is
    // named for what it is rather than by the parser's first complaint.
    let content = src.trim_start_matches([' ', '\t', '\r', '\n']);
    if !content.is_empty() && !content.starts_with('<') {
        let offset = base + src.len() - content.len();
        let start = opening(content);
        return parsed.only(bytes, Rule::NotXml { start }, offset);
    }
    let doc = match xml::parse(src, base) {
        Ok(doc) => doc,
        Err(e) if e.over_limit => {
            return parsed.only(bytes, Rule::OverLimit { reason: e.reason }, e.offset);
        }
        Err(e) => return parsed.only(bytes, Rule::MalformedXml { reason: e.reason }, e.offset),
    };
    let expected = options.expected;
    let mut dec = Decoder::new(&doc, options.max_violations);
    let root = doc.root();
    let root_ns = doc.ns_of(root);

    let payload: &Element<'_> =
        if root.local == "Envelope" && (root_ns == NS_SOAP11 || root_ns == NS_SOAP12) {
            parsed.enveloped = true;
            if root_ns == NS_SOAP12 {
                dec.sink
                    .push(envelope_error("/Envelope", root, Rule::Soap12Envelope));
            }
            let in_env = |e: &&Element<'_>| doc.ns_of(e) == root_ns;
            let body = doc
                .children(root)
                .filter(in_env)
                .find(|e| e.local == "Body");
            let Some(body) = body else {
                dec.sink
                    .push(envelope_error("/Envelope/Body", root, Rule::MissingBody));
                return finish(parsed, dec.sink, bytes);
            };
            let mut items = doc.children(body);
            let Some(first) = items.next() else {
                dec.sink
                    .push(envelope_error("/Envelope/Body", body, Rule::EmptyBody));
                return finish(parsed, dec.sink, bytes);
            };
            if let Some(extra) = items.next() {
                dec.sink.push(envelope_error(
                    &format!("/Envelope/Body/{}", clip(extra.local)),
                    extra,
                    Rule::ExtraBodyElement,
                ));
            }
            if first.local == "Fault" && doc.ns_of(first) == root_ns {
                let child = |name: &str| {
                    doc.children(first)
                        .find(|c| c.local == name)
                        .map(|c| c.text.trim())
                        .unwrap_or_default()
                };
                let fault = SoapFault {
                    faultcode: clip(child("faultcode")).into_owned(),
                    faultstring: clip_prose(child("faultstring")).into_owned(),
                };
                dec.sink.push(envelope_error(
                    "/Envelope/Body/Fault",
                    first,
                    Rule::SoapFault {
                        faultcode: fault.faultcode.clone(),
                        faultstring: fault.faultstring.clone(),
                    },
                ));
                parsed.soap_fault = Some(fault);
                return finish(parsed, dec.sink, bytes);
            }
            dec.enter("Envelope", None);
            dec.enter("Body", None);
            first
        } else if Primitive::from_element(root.local).is_some() {
            // `collaudo validate` reads payloads saved without their envelope, so this is
            // only a warning here; the Nodo's judge makes it an error.
            let mut v = Violation::new(
                format!("/{}", root.local),
                Rule::NoEnvelope,
                Kind::Envelope,
                Severity::Warning,
            );
            v.offset = Some(root.offset);
            dec.sink.push(v);
            root
        } else {
            let found = if root_ns.is_empty() {
                clip(root.local).into_owned()
            } else {
                format!("{} in {}", clip(root.local), clip(root_ns))
            };
            let mut v = Violation::new(
                format!("/{}", clip(root.local)),
                Rule::NotSoapEnvelope { found },
                Kind::Envelope,
                Severity::Error,
            );
            v.offset = Some(root.offset);
            dec.sink.push(v);
            return finish(parsed, dec.sink, bytes);
        };

    let Some((prim, dir)) = Primitive::from_element(payload.local) else {
        dec.enter(payload.local, None);
        dec.error(
            payload.offset,
            Rule::UnknownPrimitive {
                element: clip(payload.local).into_owned(),
            },
            Kind::Xsd,
            None,
        );
        return finish(parsed, dec.sink, bytes);
    };
    parsed.kind = Some((prim, dir));
    dec.enter(payload.local, None);
    if let Some(exp) = expected {
        if exp != (prim, dir) {
            dec.error(
                payload.offset,
                Rule::UnknownPrimitive {
                    element: format!(
                        "{} (expected {})",
                        clip(payload.local),
                        exp.0.element(exp.1)
                    ),
                },
                Kind::Envelope,
                None,
            );
        }
    }
    let ns = doc.ns_of(payload);
    if ns != NS_PAFORNODE {
        dec.error(
            payload.offset,
            Rule::WrongNamespace {
                expected: NS_PAFORNODE.to_string(),
                found: clip(ns).into_owned(),
            },
            Kind::Xsd,
            None,
        );
    }
    // Decoded in place: a message is a large value, and moving it again cost more than
    // some of the checks.
    dec.message(&mut parsed.message, payload, prim, dir);
    if dec.sink.has_structural_errors() {
        parsed.message = None;
    }
    finish(parsed, dec.sink, bytes)
}

#[inline]
fn finish(parsed: &mut Parsed, sink: Sink, bytes: &[u8]) {
    (parsed.violations, parsed.omitted) = sink.into_parts(bytes);
}

impl Message {
    /// Read a message, failing with every violation when it is not valid (warnings allowed).
    pub fn from_xml(bytes: &[u8]) -> Result<Message, Vec<Violation>> {
        let p = parse(bytes);
        match (p.is_valid(), p.message) {
            (true, Some(m)) => Ok(m),
            (_, _) if !p.violations.is_empty() => Err(p
                .violations
                .into_iter()
                .filter(Violation::is_error)
                .collect()),
            _ => Err(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_named_not_xml() {
        let p = parse(b"Internal Server Error");
        assert_eq!(p.violations.len(), 1);
        let v = &p.violations[0];
        assert_eq!(
            v.rule,
            Rule::NotXml {
                start: "Internal Server Error".into()
            }
        );
        assert_eq!(v.message, "not XML (starts with 'Internal Server Error')");
        assert_eq!(v.kind, Kind::Xml);

        // Leading blank lines are skipped, and the position says where the text starts.
        let p = parse(
            b"\n\n  java.lang.NullPointerException\n\tat it.ec.Service.verify(Service.java:42)",
        );
        let v = &p.violations[0];
        assert_eq!(v.position.map(|p| (p.line, p.column)), Some((3, 3)));
        assert_eq!(
            v.message,
            "not XML (starts with 'java.lang.NullPointerException\\n\\tat it.ec…')"
        );

        // Control characters are escaped, never copied raw.
        let p = parse(b"oops \x1b[31mred\x00");
        let m = &p.violations[0].message;
        assert_eq!(m, "not XML (starts with 'oops \\u{1b}[31mred\\0')");
        assert!(!m.chars().any(char::is_control), "{m:?}");
    }
}
