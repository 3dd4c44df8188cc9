//! Every process exit code collaudo uses, in one place (documented in the README).
//!
//! A *failure* is the station (or a validated file) not conforming; an *error* is collaudo or
//! its environment failing. They get different codes so a CI gate can tell them apart.

/// Everything passed / every file is valid.
pub const OK: i32 = 0;
/// Some scenario failed, or some validated file is invalid: the station does not conform.
pub const FAILED: i32 = 1;
/// Bad usage: wrong arguments, unreadable input, invalid configuration or scenario file.
pub const USAGE: i32 = 2;
/// collaudo or its environment failed (could not bind a port, write a report...).
pub const HARNESS: i32 = 3;
/// The selection matched no scenario.
pub const NOTHING_SELECTED: i32 = 4;
/// The run was stopped by Ctrl-C (SIGINT): 128 + 2, the shell's convention. The reports were
/// written, with the unfinished cases as errors. (SIGTERM gives 1 or 3, see `run`.)
pub const INTERRUPTED: i32 = 130;
