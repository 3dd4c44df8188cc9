//! The pagoPA vocabulary spoken between the Nodo dei Pagamenti and an EC station, with no I/O.
//!
//! * [`parse`] reads any byte sequence into a [`Parsed`]: the typed [`Message`] when the
//!   structure allows one, and every [`Violation`] with its element path and line:column.
//! * [`Message::to_xml`] writes the canonical SOAP 1.1 form, [`Message::to_xml_with`] the same
//!   message with other namespace prefixes ([`Prefixes`]).
//! * [`ident`] checks and generates notice numbers, IUVs, fiscal codes and IBANs.
//! * [`aca`] is the JSON model of the ACA `paCreatePosition` call.

pub mod aca;
pub mod amount;
pub mod base64;
mod decode;
pub mod encode;
pub mod facets;
pub mod fault;
pub mod ident;
pub mod message;
pub mod model;
pub mod samples;
pub mod soap;
pub mod violation;
pub mod xml;

pub use amount::{Amount, AmountText};
pub use encode::{PrefixError, Prefixes, soap_action, soap_fault_xml};
pub use fault::{FaultBean, FaultCode};
pub use message::{Direction, Message, Primitive};
pub use model::*;
pub use soap::{
    DEFAULT_MAX_VIOLATIONS, Omitted, ParseOptions, Parsed, SoapFault, parse, parse_expecting,
    parse_with,
};
pub use violation::{Kind, Position, Rule, Severity, Violation};
