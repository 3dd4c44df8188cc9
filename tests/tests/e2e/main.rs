//! End-to-end tests of collaudo: one binary, one module per concern (STYLE.md §9).
//!
//! * `profiles`: the whole built-in suite, in-process, against every fault profile of the
//!   embedded reference station, judged against the expected-verdict table in `expected`.
//! * `hostile`: wiremock servers as the *external* station, answering bytes no station should
//!   send; the run must still finish, fail the case and write every report.
//! * `external`: the rest of the external-station path (unmapped fixture roles, EC hooks).
//! * `long_lived`: the whole suite twice against one reference station that is not restarted
//!   between cases, as a real EC's station is.
//! * `verdicts`: which station was tested, what is skipped (and that a skip sends nothing),
//!   exit codes, what only warns.
//! * `reports`: snapshots of junit.xml, report.json and summary.md, redacted.
//!
//! No test sleeps to wait for a server: every server is bound to 127.0.0.1 port 0 before its
//! address is used.

mod expected;
mod external;
mod hostile;
mod long_lived;
mod profiles;
mod reports;
mod support;
mod verdicts;
