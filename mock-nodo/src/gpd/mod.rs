//! The mock GPD (Gestione Posizioni Debitorie): pagoPA's asynchronous debt-position REST
//! service, which an async EC calls to create, publish, update, invalidate and delete debt
//! positions, and from which it pulls receipts (DOMAIN.md §9; TEST-PLAN.md §4.8, GPD-001..007).
//!
//! * REST, as the shared contracts define it: `gpd.json` (v1) under
//!   `/gpd/debt-positions-service/v1`, `gpd_v3.json` (v3: several payment options with
//!   installments) under `/gpd/debt-positions-service/v3`, `gpd_payments.json` (pull
//!   receipts) under `/gpd/payments-receipts-service/v1`; every operation is in [`ROUTES`],
//!   and the mock's own OpenAPI document is served at [`OPENAPI_PATH`].
//! * States (DRAFT … REPORTED) on the scenario [`Clock`](crate::Clock): the scheduler's
//!   transitions (PUBLISHED → VALID at `validityDate`, VALID → EXPIRED after the due dates
//!   with `switchToExpired`) are evaluated on every read and write, so advancing a
//!   [`VirtualClock`](crate::VirtualClock) is enough.
//! * The Nodo's side, for GPD-Payments: [`GpdState::payable`] → [`PayableOption`] or a
//!   [`Refusal`] with its PAA fault code; [`GpdState::pay`] closes a notice with a
//!   [`Receipt`]; [`GpdState::calls`] lists what reached the mock, in order.
//!
//! Choices where sources disagree are in [`GpdConfig`] and docs/gpd.md.

mod config;
mod handle;
mod handler;
mod model;
mod nodo;
mod openapi;
mod problem;
mod routes;
mod server;
mod store;
mod wire;

pub use config::{GpdConfig, PublishTiming, SubscriptionKey};
pub use handle::{GpdError, GpdHandle, bind, start, start_with_state};
pub use handler::OPENAPI_PATH;
pub use model::{
    ApiVersion, Debtor, Installment, Metadata, OptionStatus, PaymentInfo, Plan, Position,
    PositionStatus, Stamp, SubjectType, Transfer,
};
pub use nodo::{PayableOption, Receipt, ReceiptData, Refusal};
pub use openapi::document as openapi_document;
pub use problem::Problem;
pub use routes::{Api, ROUTES, Route};
pub use server::{GpdState, app};
pub use store::{GpdCall, GpdStore};
pub use wire::MAX_TRANSFERS;
