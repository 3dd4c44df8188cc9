//! Integration tests of collaudo-reports: one binary, one module per concern.

mod console;
mod files;
mod formats;
mod html;
mod html_chromium;
mod html_sample;
mod sample;
mod schema;
