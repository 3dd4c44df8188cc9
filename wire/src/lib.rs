//! The pagoPA vocabulary spoken between the Nodo dei Pagamenti and an EC station, with no I/O.

pub mod aca;
pub mod ident;
