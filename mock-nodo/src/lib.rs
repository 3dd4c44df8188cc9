//! The mock Nodo dei Pagamenti: everything pagoPA does toward an EC station under test.
//!
//! * [`clock`]: the one scenario clock of the project (wall clock or virtual).
//! * [`journal`]: every exchange, streamed to disk as it happens.
//! * [`transport`]: fault injection as data (a seeded [`FaultPlan`]).
//! * [`client`]: builds the Nodo's requests and sends them with real timeouts.
//! * [`connection`], [`tls`]: how the station is reached (TLS, gateway headers, proxy).
//! * [`checks`]: the Nodo's judgement of a reply ([`judge`] → [`NodoOutcome`]).
//! * [`receipts`]: paSendRT delivery to every recipient with the retry schedule.
//! * [`gpd`]: the mock GPD, the asynchronous debt-position REST service an async EC calls.

pub mod aca;
mod body;
pub mod checks;
pub mod client;
pub mod clock;
pub mod connection;
pub mod gpd;
pub mod journal;
pub mod nodo;
pub mod receipts;
mod serving;
pub mod standin;
pub mod tls;
pub mod tls_probe;
pub mod transport;

pub use checks::{
    BackOffice, CheckFailure, CheckPolicy, EcInfo, HygieneWarning, IbanInfo, Judgement,
    NodoOutcome, judge, judge_bounded, judge_budget,
};
pub use client::{ClientError, NodoClient, SoapActionStyle, StationTarget, Timeouts};
pub use clock::{Clock, SystemClock, VirtualClock, VirtualTime};
pub use connection::{Connection, GatewayHeader, HeaderError, ProxyChoice, ProxyError};
pub use journal::{Exchange, HttpReply, Journal, TransportError, TransportErrorKind};
pub use receipts::{
    Attempt, AttemptOutcome, Delivery, DeliveryResult, Outage, Recipient, RetryPolicy, deliver,
};
pub use standin::{ExitRule, StandInRules, StandInState, StationMonitor, TrafficModel, Transition};
pub use tls::{TlsOptions, TlsReason, TlsSettings, TlsSetupError};
pub use transport::{CallRange, Corruption, Fault, FaultPlan, FaultRule};
