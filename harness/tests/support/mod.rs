//! What the tests that run the `collaudo` binary share: the binary with a pinned environment,
//! so the user's `COLLAUDO_*` settings, proxies and terminal width never change a result.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::process::Command;

/// Variables that would change what collaudo does: the station and identities it tests, the
/// seed, and the proxies the Nodo's client would otherwise be told about.
const PINNED: &[&str] = &[
    "COLLAUDO_STATION_URL",
    "COLLAUDO_ID_PA",
    "COLLAUDO_ID_BROKER_PA",
    "COLLAUDO_ID_STATION",
    "COLLAUDO_SEED",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
];

/// `collaudo`, run in `dir`, with none of [`PINNED`] and a 100-column terminal (clap wraps
/// help at the terminal width; without a terminal it reads `COLUMNS`).
pub fn collaudo_in(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_collaudo"));
    cmd.current_dir(dir)
        .env("COLUMNS", "100")
        .env("LINES", "50");
    for var in PINNED {
        cmd.env_remove(var);
    }
    cmd
}
