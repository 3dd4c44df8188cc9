//! Scenario files: the TOML model, loading with source positions, and the built-in catalogue.

mod catalogue;
mod load;
mod model;
mod raw;

pub use catalogue::{Catalogue, SourceFile, embedded};
pub use load::{
    Problem, Severity, did_you_mean, load_dir, load_str, parse_duration, parse_local_time,
};
pub use model::*;

#[cfg(test)]
mod tests;
