//! From raw request to typed answer: parse, tell the primitive, check SOAPAction, route.
//!
//! The primitive is told, in order, from the payload element, the SOAPAction header and, for a
//! body too broken to parse, the request element name found in the bytes; whenever it can be
//! told, even a bad request gets the pagoPA answer (HTTP 200, that primitive's response element,
//! `outcome=KO`). A SOAP Fault is the last resort.

use super::business;
use super::faults::{fault_bean, ko_message};
use super::reply::{Answer, StationReply};
use crate::state::StationState;
use collaudo_wire::{Direction, FaultCode, Kind, Parsed, Primitive};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What the SOAPAction header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Absent or empty (`""`): dispatch on the payload alone.
    Absent,
    /// An operation name, quoted or not.
    Names(Primitive),
    /// Something that is not an operation of paForNode.
    Unknown,
}

impl Action {
    fn of(raw: Option<&str>) -> Action {
        let Some(raw) = raw else {
            return Action::Absent;
        };
        // The form the Nodo sends, the operation name in quotes, looked up as it is; every
        // other form is read below, with the same result for this one.
        if let Some(p) = raw
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .and_then(|name| Primitive::ALL.into_iter().find(|p| p.name() == name))
        {
            return Action::Names(p);
        }
        Action::read(raw)
    }

    /// Any form of the header: blanks and quotes around, a URI before the name.
    fn read(raw: &str) -> Action {
        if raw.trim().trim_matches('"').trim().is_empty() {
            return Action::Absent;
        }
        Primitive::from_soap_action(raw).map_or(Action::Unknown, Action::Names)
    }

    fn primitive(self) -> Option<Primitive> {
        match self {
            Action::Names(p) => Some(p),
            Action::Absent | Action::Unknown => None,
        }
    }
}

/// The request element of a primitive, looked for in bytes that did not parse.
fn sniff(body: &[u8]) -> Option<Primitive> {
    Primitive::ALL.into_iter().find(|p| {
        let name = p.element(Direction::Request).as_bytes();
        body.windows(name.len()).any(|w| w == name)
    })
}

/// Answer one request to the station: `soap_action` is the raw `SOAPAction` header, `body` the
/// raw HTTP body. Never panics; an internal failure is answered with `PAA_SYSTEM_ERROR`.
pub fn handle(state: &StationState, soap_action: Option<&str>, body: &[u8]) -> StationReply {
    let answer = catch_unwind(AssertUnwindSafe(|| answer(state, soap_action, body)))
        .unwrap_or_else(|_| {
            tracing::error!("station handler panicked; answering PAA_SYSTEM_ERROR");
            let primitive = Action::of(soap_action).primitive().or_else(|| sniff(body));
            ko_or_fault(state, primitive, FaultCode::PaaSystemError, None)
        });
    state.config().profile.apply(state.config(), answer)
}

/// Answer a request whose body exceeded the size limit: a KO for the primitive the SOAPAction
/// names, or HTTP 413 when it names none.
pub fn oversized(state: &StationState, soap_action: Option<&str>, limit: usize) -> StationReply {
    match Action::of(soap_action).primitive() {
        Some(p) => state.config().profile.apply(
            state.config(),
            ko(
                state,
                p,
                FaultCode::PaaSintassiExtraxsd,
                Some(format!("request body larger than {limit} bytes")),
            ),
        ),
        None => StationReply {
            status: 413,
            content_type: "text/plain; charset=utf-8",
            body: format!("request body larger than {limit} bytes\n").into_bytes(),
            delay: None,
            close_without_reply: false,
        },
    }
}

fn answer(state: &StationState, soap_action: Option<&str>, body: &[u8]) -> Answer {
    let parsed = collaudo_wire::parse(body);
    let action = Action::of(soap_action);
    let detected = parsed
        .kind
        .map(|(p, _)| p)
        .or(action.primitive())
        .or_else(|| sniff(body));
    let Some(primitive) = detected else {
        let why = first_error(&parsed).unwrap_or_else(|| "empty request".to_string());
        return Answer::SoapFault {
            faultcode: "soapenv:Client".to_string(),
            faultstring: format!("Richiesta non riconosciuta / unrecognised request: {why}"),
        };
    };
    // Borrowed, not taken: a `Message` is 400 bytes, and every move of it a copy.
    let request = match (parsed.kind, parsed.message.as_ref()) {
        (Some((_, Direction::Request)), Some(message)) => message,
        (Some((_, Direction::Response)), _) => {
            return ko(
                state,
                primitive,
                FaultCode::PaaSintassiExtraxsd,
                Some(format!(
                    "<{}> is a response, not a request",
                    primitive.element(Direction::Response)
                )),
            );
        }
        _ => return syntax_ko(state, primitive, &parsed),
    };
    match action {
        Action::Names(named) if named != primitive => {
            return ko(
                state,
                primitive,
                FaultCode::PaaSintassiExtraxsd,
                Some(format!(
                    "SOAPAction {named} does not match the payload {}",
                    primitive.element(Direction::Request)
                )),
            );
        }
        Action::Unknown => {
            return ko(
                state,
                primitive,
                FaultCode::PaaSintassiExtraxsd,
                Some(format!(
                    "SOAPAction {:?} is not a paForNode operation",
                    soap_action.unwrap_or_default()
                )),
            );
        }
        _ => {}
    }
    if let Some(why) = state.config().profile.rejects_soap_action(soap_action) {
        return ko(state, primitive, FaultCode::PaaSintassiExtraxsd, Some(why));
    }
    business::dispatch(state, request)
}

fn first_error(parsed: &Parsed) -> Option<String> {
    parsed.errors().next().map(ToString::to_string)
}

/// A request that could not be read. PAA_SINTASSI_XSD is in the catalogue only for
/// paDemandPaymentNotice (DOMAIN.md §4.1), so the other primitives get PAA_SINTASSI_EXTRAXSD.
fn syntax_ko(state: &StationState, primitive: Primitive, parsed: &Parsed) -> Answer {
    let xsd = parsed.errors().any(|v| v.kind == Kind::Xsd);
    let code = if primitive == Primitive::DemandPaymentNotice && xsd {
        FaultCode::PaaSintassiXsd
    } else {
        FaultCode::PaaSintassiExtraxsd
    };
    ko(state, primitive, code, first_error(parsed))
}

pub(super) fn ko(
    state: &StationState,
    primitive: Primitive,
    code: FaultCode,
    description: Option<String>,
) -> Answer {
    Answer::Message {
        message: ko_message(primitive, fault_bean(state.config(), code, description)),
        probe: false,
    }
}

fn ko_or_fault(
    state: &StationState,
    primitive: Option<Primitive>,
    code: FaultCode,
    description: Option<String>,
) -> Answer {
    match primitive {
        Some(p) => ko(state, p, code, description),
        None => Answer::SoapFault {
            faultcode: "soapenv:Server".to_string(),
            faultstring: "Errore di sistema / system error".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_name_shortcut_reads_what_the_general_reading_does() {
        let mut forms: Vec<String> = vec![
            String::new(),
            "\"\"".into(),
            "\"".into(),
            " \" \" ".into(),
            "nope".into(),
            "\"nope\"".into(),
            "\"urn:x#paSendRT\"".into(),
        ];
        for p in Primitive::ALL {
            let n = p.name();
            forms.extend([
                n.to_string(),
                format!("\"{n}\""),
                format!(" \"{n}\" "),
                format!("\"{n} \""),
                format!("\"\"{n}\"\""),
                format!("\"http://x/{n}\""),
                format!("\"{n}x\""),
            ]);
        }
        for form in &forms {
            assert_eq!(Action::of(Some(form)), Action::read(form), "{form:?}");
        }
        assert_eq!(Action::of(None), Action::Absent);
    }
}
