//! Fuzz targets for collaudo's readers, run as a bounded mutational loop under `cargo test`
//! (GitHub issue 9).
//!
//! * [`mutate`]: the mutations, byte-level and structural (XML and JSON);
//! * [`seeds`]: the starting corpora.

pub mod mutate;
pub mod seeds;

pub use mutate::{Format, Mutator};
