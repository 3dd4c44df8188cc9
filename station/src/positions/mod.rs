//! Debt positions: the store the station answers from, the fixture roles it is seeded with, and
//! the back-office registry (ECs and IBANs) the Nodo would check its answers against.

mod back_office;
mod fixtures;
mod store;

pub use back_office::{
    BackOffice, EcEntry, IbanEntry, SECONDARY_EC_COMPANY, SECONDARY_EC_FISCAL_CODE,
};
pub use fixtures::{
    DEMAND_SERVICE, Fixture, FixtureRole, Fixtures, MAX_COPIES, TransferSummary, UnknownFixtureRole,
};
pub use store::{
    AdminError, Booking, Payee, Position, PositionState, PositionStore, PositionView, TransferSpec,
};

pub(crate) use fixtures::{
    Issuer, back_office_position, block_span, demand_position, seed, seed_block,
};
pub(crate) use store::StoreInner;
