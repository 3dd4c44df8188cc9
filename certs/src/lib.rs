//! TLS material for collaudo's own servers (the reference station, DOMAIN.md §1, CON-001).
//!
//! * [`server_config`]: a [`rustls::ServerConfig`] from PEM files, a certificate chain, its
//!   private key and, for mutual TLS, the CA whose client certificates are required. Every
//!   error names the file at fault, since a user typing `--tls-key` paths gets them wrong.
//! * [`throwaway`]: certificates generated in memory (a CA, a good station certificate, an
//!   expired one, one for the wrong name, client certificates from a trusted and an untrusted
//!   CA) for tests and for the embedded run, so that no key is ever committed.

mod load;
pub mod throwaway;

pub use load::{CertError, server_config, server_config_from_pem};
/// The rustls this crate is built with.
pub use rustls;
