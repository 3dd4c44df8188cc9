//! ACA `paCreatePosition`: the JSON an EC station POSTs to keep the Archivio Centralizzato
//! Avvisi up to date, and what ACA answers (DOMAIN.md §8, §7.5).
//!
//! The model follows the published `paCreatePosition.json` OpenAPI: field names, optionality,
//! defaults and the `NewDebtPositionRequest` constraints. Parsing is split from validation so
//! that a mock ACA can answer a malformed body and a well-formed but out-of-schema body with the
//! same 400 [`ProblemJson`], naming the field either way:
//!
//! * [`parse_request`] / [`parse_request_with_unknown`] turn bytes into a typed request or a
//!   [`RequestError`] with line, column and field;
//! * [`NewDebtPositionRequest::validate`] lists every schema violation of a typed request;
//! * [`parse_and_validate`] does both and yields [`FieldViolation`]s only.

mod datetime;
mod parse;
mod problem;
mod request;
mod response;
mod violation;

pub use datetime::is_rfc3339_date_time;
pub use parse::{
    MAX_UNKNOWN_KEYS, RequestError, RequestErrorKind, parse_and_validate, parse_request,
    parse_request_with_unknown,
};
pub use problem::{ConflictOp, ProblemJson};
pub use request::{EntityType, NewDebtPositionRequest};
pub use response::DebtPositionResponse;
pub use violation::FieldViolation;
