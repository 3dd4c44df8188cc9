//! Fuzz targets for collaudo's readers, run as a bounded mutational loop under `cargo test`
//! (GitHub issue 9): the SOAP reader ([`targets::soap`]), the typed decode and its round trip
//! ([`targets::typed`]), the ACA JSON reader ([`targets::aca_json`]), the Nodo's judge
//! ([`targets::judge`]) and the reference station's request handler ([`targets::station`]).
//!
//! * [`mutate`]: the mutations, byte-level and structural (XML and JSON);
//! * [`seeds`]: the starting corpora;
//! * [`targets`]: the five targets and their invariants;
//! * [`runner`]: the loop, its time budgets, panic capture and the saving of failing inputs.
//!
//! No nightly toolchain and no `cargo fuzz`: CI runs `cargo test --workspace --locked` on a
//! machine that can fetch only crates, so the loop is plain Rust driven by a seeded
//! generator. See `fuzz/README.md` for how to run it longer or replay a failure.

pub mod mutate;
pub mod runner;
pub mod seeds;
pub mod targets;

pub use mutate::{Format, Mutator};
pub use runner::{Budget, Config, Failure, Problem, Stats, check, fuzz};
pub use targets::{ALL, Signature, Target};
