//! The `collaudo` binary: parse arguments, call the library, map the outcome to an exit code.

use clap::Parser;

fn main() {
    // reqwest carries no crypto provider of its own here; clients that do not bring a
    // finished TLS configuration (the reference station's ACA client) use this one.
    collaudo_nodo::tls::install_default_provider();
    let cli = collaudo::cli::Cli::parse();
    std::process::exit(collaudo::cli::dispatch(cli));
}
