//! Reading a SOAP 1.1 message: envelope, Body, SOAP Fault, and the paForNode payload inside.
//!
//! Any byte sequence gives a [`Parsed`]: a message when the structure allowed one, and every
//! violation found, each with its element path and position.

use crate::decode::Decoder;
use crate::message::{Direction, Message, Primitive};
use crate::violation::{Kind, Rule, Severity, Violation};
use crate::xml::{self, Element, NS_PAFORNODE, NS_SOAP11, NS_SOAP12};
use serde::Serialize;

/// A SOAP 1.1 Fault found in the Body.
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
    /// Every violation found, in document order.
    pub violations: Vec<Violation>,
}

impl Parsed {
    /// No error-severity violation (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self.violations.iter().any(Violation::is_error)
    }

    /// Valid against the XSD (semantic pagoPA rules ignored): what `xmllint --schema` decides.
    pub fn is_schema_valid(&self) -> bool {
        !self
            .violations
            .iter()
            .any(|v| v.is_error() && v.kind != Kind::Semantic)
    }

    /// The error-severity violations.
    pub fn errors(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.is_error())
    }

    fn only(kind: Kind, v: Violation) -> Parsed {
        debug_assert_eq!(v.kind, kind);
        Parsed {
            kind: None,
            message: None,
            soap_fault: None,
            enveloped: false,
            violations: vec![v],
        }
    }
}

fn envelope_error(bytes: &[u8], path: &str, el: &Element<'_>, rule: Rule) -> Violation {
    Violation::new(path, rule, Kind::Envelope, Severity::Error).at(bytes, el.offset)
}

/// Read any EC-side message; the primitive is detected from the payload element.
pub fn parse(bytes: &[u8]) -> Parsed {
    parse_impl(bytes, None)
}

/// Read a message that must be `expected` (e.g. the response to a request the Nodo sent).
/// A different payload is reported as a violation at the payload element.
pub fn parse_expecting(bytes: &[u8], expected: (Primitive, Direction)) -> Parsed {
    parse_impl(bytes, Some(expected))
}

fn parse_impl(bytes: &[u8], expected: Option<(Primitive, Direction)>) -> Parsed {
    let (src, base) = match xml::as_utf8(bytes) {
        Ok(ok) => ok,
        Err(e) => {
            return Parsed::only(
                Kind::Xml,
                Violation::new("/", Rule::NotUtf8, Kind::Xml, Severity::Error).at(bytes, e.offset),
            );
        }
    };
    let doc = match xml::parse(src, base) {
        Ok(doc) => doc,
        Err(e) => {
            return Parsed::only(
                Kind::Xml,
                Violation::new(
                    "/",
                    Rule::MalformedXml { reason: e.reason },
                    Kind::Xml,
                    Severity::Error,
                )
                .at(bytes, e.offset),
            );
        }
    };
    let mut parsed = Parsed {
        kind: None,
        message: None,
        soap_fault: None,
        enveloped: false,
        violations: Vec::new(),
    };
    let mut dec = Decoder::new(&doc, bytes);
    let root = doc.root();
    let root_ns = doc.ns_of(root);

    let payload: &Element<'_> =
        if root.local == "Envelope" && (root_ns == NS_SOAP11 || root_ns == NS_SOAP12) {
            parsed.enveloped = true;
            if root_ns == NS_SOAP12 {
                parsed.violations.push(envelope_error(
                    bytes,
                    "/Envelope",
                    root,
                    Rule::Soap12Envelope,
                ));
            }
            let in_env = |e: &&Element<'_>| doc.ns_of(e) == root_ns;
            let body = doc
                .children(root)
                .filter(in_env)
                .find(|e| e.local == "Body");
            let Some(body) = body else {
                parsed.violations.push(envelope_error(
                    bytes,
                    "/Envelope/Body",
                    root,
                    Rule::MissingBody,
                ));
                return parsed;
            };
            let mut items = doc.children(body);
            let Some(first) = items.next() else {
                parsed.violations.push(envelope_error(
                    bytes,
                    "/Envelope/Body",
                    body,
                    Rule::EmptyBody,
                ));
                return parsed;
            };
            if let Some(extra) = items.next() {
                parsed.violations.push(envelope_error(
                    bytes,
                    &format!("/Envelope/Body/{}", extra.local),
                    extra,
                    Rule::ExtraBodyElement,
                ));
            }
            if first.local == "Fault" && doc.ns_of(first) == root_ns {
                let child = |name: &str| {
                    doc.children(first)
                        .find(|c| c.local == name)
                        .map(|c| c.text.trim().to_string())
                        .unwrap_or_default()
                };
                let fault = SoapFault {
                    faultcode: child("faultcode"),
                    faultstring: child("faultstring"),
                };
                parsed.violations.push(envelope_error(
                    bytes,
                    "/Envelope/Body/Fault",
                    first,
                    Rule::SoapFault {
                        faultcode: fault.faultcode.clone(),
                        faultstring: fault.faultstring.clone(),
                    },
                ));
                parsed.soap_fault = Some(fault);
                return parsed;
            }
            dec.enter("Envelope", None);
            dec.enter("Body", None);
            first
        } else if Primitive::from_element(root.local).is_some() {
            parsed.violations.push(
                Violation::new(
                    format!("/{}", root.local),
                    Rule::NoEnvelope,
                    Kind::Envelope,
                    Severity::Warning,
                )
                .at(bytes, root.offset),
            );
            root
        } else {
            parsed.violations.push(
                Violation::new(
                    format!("/{}", root.local),
                    Rule::NotSoapEnvelope {
                        found: if root_ns.is_empty() {
                            root.local.to_string()
                        } else {
                            format!("{} in {root_ns}", root.local)
                        },
                    },
                    Kind::Envelope,
                    Severity::Error,
                )
                .at(bytes, root.offset),
            );
            return parsed;
        };

    let Some((prim, dir)) = Primitive::from_element(payload.local) else {
        dec.enter(payload.local, None);
        dec.error(
            payload.offset,
            Rule::UnknownPrimitive {
                element: payload.local.to_string(),
            },
            Kind::Xsd,
            None,
        );
        parsed.violations.append(&mut dec.out);
        return parsed;
    };
    parsed.kind = Some((prim, dir));
    dec.enter(payload.local, None);
    if let Some(exp) = expected {
        if exp != (prim, dir) {
            dec.error(
                payload.offset,
                Rule::UnknownPrimitive {
                    element: format!("{} (expected {})", payload.local, exp.0.element(exp.1)),
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
                found: ns.to_string(),
            },
            Kind::Xsd,
            None,
        );
    }
    let message = dec.message(payload, prim, dir);
    let structural = dec.has_structural_errors();
    parsed.violations.append(&mut dec.out);
    parsed.violations.sort_by_key(|v| v.offset.unwrap_or(0));
    if !structural && parsed.is_schema_valid() {
        parsed.message = message;
    }
    parsed
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
