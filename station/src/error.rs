//! Why a station could not start or stop.

use collaudo_wire::ident::IdentError;
use std::net::SocketAddr;
use thiserror::Error;

/// A failure of the station's lifecycle; requests never produce one (they get a pagoPA fault).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StationError {
    /// The listening socket could not be bound.
    #[error("cannot bind the station on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The bound listener could not tell its address.
    #[error("cannot read the station's local address")]
    LocalAddr(#[source] std::io::Error),
    /// A fixture identifier could not be generated from the seed.
    #[error("cannot seed the fixture positions")]
    Seed(#[source] IdentError),
    /// The HTTP server stopped with an I/O error.
    #[error("station server failed")]
    Serve(#[source] std::io::Error),
    /// The server task panicked or was cancelled.
    #[error("station server task ended abnormally: {0}")]
    Task(String),
}
