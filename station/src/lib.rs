//! The reference EC station: a correct implementation of the creditor side of pagoPA
//! (DOMAIN.md §1, §3–§7, §10–§11), served over HTTP with axum.
//!
//! It has three uses:
//!
//! * the embedded default that `collaudo run` tests when no station URL is given;
//! * a small, readable example for EC teams of what a conforming station answers;
//! * with a [`Profile`] other than [`Profile::Conformant`], a station that is wrong on
//!   purpose, so the harness can test its own checks.
//!
//! Layers, from data to network: [`positions`] (debt positions, fixture roles, back-office
//! registry), [`handler`] (one SOAP request in, one [`StationReply`] out, no I/O),
//! [`profiles`] (the deliberate deviations), [`server`] (axum transport and admin API).
//! [`aca`] keeps the ACA archive up to date with the positions (DOMAIN.md §8), when the
//! configuration names an ACA ([`AcaTarget`]).

pub mod aca;
mod config;
mod date;
mod error;
pub mod gpd;
pub mod handler;
pub mod positions;
pub mod profiles;
pub mod server;
mod state;
#[cfg(test)]
mod test_support;

pub use config::{AcaTarget, DEFAULT_SLOW_DELAY, GpdTarget, StationConfig};
pub use error::StationError;
pub use handler::{CONTENT_TYPE_XML, StationReply, handle};
pub use positions::{
    AdminError, BackOffice, Booking, EcEntry, Fixture, FixtureRole, Fixtures, IbanEntry, Payee,
    Position, PositionState, PositionStore, PositionView, SECONDARY_EC_FISCAL_CODE, TransferSpec,
    TransferSummary, UnknownFixtureRole,
};
pub use profiles::{Profile, UnknownProfile};
pub use server::{
    ADMIN_PREFIX, STATION_PATH, StationHandle, app, bind, bind_tls, start, start_tls,
};
pub use state::StationState;
