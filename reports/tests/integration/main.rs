//! Integration tests of collaudo-reports: one binary, one module per concern.

mod console;
mod files;
mod formats;
mod sample;
mod schema;
