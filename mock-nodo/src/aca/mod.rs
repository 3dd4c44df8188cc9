//! The mock ACA (Archivio Centralizzato Avvisi): what pagoPA does when an EC station calls
//! `POST /aca/v1/paCreatePosition` (DOMAIN.md §8, §7.5; TEST-PLAN.md §4.6).
//!
//! * [`AcaConfig`]: subscription keys, the back office (ECs, IBANs), default Stand-In IBANs,
//!   body limit, clock and journal file.
//! * [`AcaStore`]: the positions ACA holds, keyed by (`paFiscalCode`, `iuv`), with status,
//!   resolved IBAN and history, plus the log of every call ([`AcaCall`]). The Stand-In
//!   simulator reads it and marks positions paid or expired.
//! * [`AcaState::inject`] / [`AcaHandle::inject`]: fault injection ([`AcaFault`]), answering
//!   the next calls with an error without applying them (TEST-PLAN.md ACA-007).
//! * [`app`] / [`start`]: the axum transport; the decisions are taken by a plain function over
//!   the request, so every answer can be tested without a socket.

mod calls;
mod config;
mod faults;
mod handle;
mod handler;
mod iban;
mod query;
mod record;
mod server;
mod store;

pub use calls::{AcaCall, REDACTED};
pub use config::AcaConfig;
pub use faults::AcaFault;
pub use handle::{AcaError, AcaHandle, bind, start, start_with_state};
pub use handler::ACA_PATH;
pub use iban::{IbanSource, ResolvedIban};
pub use server::{AcaState, app};
pub use store::{
    AcaPosition, AcaStore, Applied, ApplyRejection, HistoryAction, HistoryEntry, PositionStatus,
    TransitionError, iupd,
};
