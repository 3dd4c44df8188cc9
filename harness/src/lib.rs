//! collaudo: prove that a pagoPA EC station conforms, before go-live and in CI.
//!
//! The binary is a thin shell over this library, so every command can be driven in-process
//! by the tests.

pub mod catalogue_cmd;
pub mod cli;
pub mod completions;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod evidence;
pub mod exit;
pub mod fixtures;
pub mod interrupt;
pub mod outdir;
pub mod run;
pub mod scenario;
pub mod station_cmd;
pub mod validate;
