//! End-to-end tests of collaudo, kept out of the shipped crates.
//!
//! Everything lives in the `e2e` test binary (`tests/e2e/main.rs`): the whole suite run
//! in-process against every fault profile of the reference station, the harness against
//! hostile external stations, and snapshots of the report files. This library is empty on
//! purpose; it only gives the test binary a package to belong to.
