//! The `collaudo` binary: parse arguments, call the library, map the outcome to an exit code.

use clap::Parser;

fn main() {
    let cli = collaudo::cli::Cli::parse();
    std::process::exit(collaudo::cli::dispatch(cli));
}
