//! Command-line interface: the raw clap layer and the dispatch to library commands.

use crate::validate;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const ABOUT: &str = "Prove that a pagoPA creditor (EC) station conforms, before go-live and in CI.";

const LONG_ABOUT: &str = "\
collaudo plays the pagoPA side of the integration: a mock Nodo dei Pagamenti that calls your
station (paVerifyPaymentNotice, paGetPayment/V2, paSendRT/V2, paDemandPaymentNotice), and checks
every answer the way the real Nodo would.

Scenario ids such as VRF-001 belong to collaudo's own catalogue; PagoPA's official test ids
(EC-PSP-01, EC-PSP-02, EC-PSP-02M, EC-PSP-04) are always shown separately.";

const AFTER_HELP: &str = "\
Examples:
  collaudo validate reply.xml                 check one saved SOAP message
  collaudo validate --format json captures/*.xml

Exit codes:
  0  everything passed / valid
  1  a scenario failed / a file is invalid (the station does not conform)
  2  usage error, unreadable input, invalid configuration or scenario file
  3  collaudo or its environment failed
  4  the selection matched no scenario";

/// Top-level arguments.
#[derive(Debug, Parser)]
#[command(name = "collaudo", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// collaudo's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate saved pagoPA SOAP messages (requests or responses) against the XSD and the Nodo's rules.
    #[command(
        long_about = "Validate saved pagoPA SOAP messages.\n\n\
Each file may hold any paForNode request or response, with or without its SOAP envelope; the \
primitive is detected from the payload element. Every violation is printed with its line:column \
and element path (e.g. /Envelope/Body/paGetPaymentV2Response/data/transferList/transfer[2]/IBAN), \
tagged [xml], [soap], [xsd] (the official schema) or [pagopa] (a Nodo rule beyond the schema, such \
as paymentAmount = sum of transfers). Warnings (e.g. a wrong IUV check digit) do not make a file \
invalid.",
        after_help = "Examples:\n  collaudo validate paGetPaymentV2Response.xml\n  collaudo validate --format json *.xml > verdicts.json\n  curl -s ... | collaudo validate -\n\nExit codes: 0 all valid, 1 some file invalid, 2 some file unreadable."
    )]
    Validate {
        /// Files to validate (`-` reads standard input).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = validate::Format::Human)]
        format: validate::Format,
    },
    /// Check scenario files (syntax, ids, roles, fault kinds...) without sending anything.
    #[command(
        after_help = "Examples:\n  collaudo check                 check the built-in suite\n  collaudo check my-scenarios/   check your own folder\n\nExit codes: 0 all valid, 2 some file has errors."
    )]
    Check {
        /// Folders of scenario files; without one, the built-in suite is checked.
        #[arg(value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
    /// List the scenario catalogue with collaudo ids, PagoPA official ids, class and tags.
    #[command(
        after_help = "Examples:\n  collaudo list\n  collaudo list --only EC-PSP-02\n  collaudo list --only receipt --scenarios my-scenarios/"
    )]
    List {
        /// Select by id (VRF-001), id prefix (VRF-*), area (VRF), PagoPA official id (EC-PSP-02) or tag.
        #[arg(long, value_name = "ID|TAG", value_delimiter = ',')]
        only: Vec<String>,
        /// Extra scenario folders.
        #[command(flatten)]
        scenarios: ScenarioArgs,
    },
}

/// Arguments shared by the commands that read scenarios.
#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {
    /// Also load every *.toml scenario under DIR (repeatable).
    #[arg(long = "scenarios", value_name = "DIR")]
    pub scenarios: Vec<PathBuf>,
}

/// Run a parsed command line and return the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Validate { files, format } => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            validate::run(&files, format, &mut lock)
        }
        Command::Check { dirs } => {
            crate::catalogue_cmd::check(&dirs, &mut std::io::stdout().lock())
        }
        Command::List { only, scenarios } => {
            crate::catalogue_cmd::list(&scenarios.scenarios, &only, &mut std::io::stdout().lock())
        }
    }
}
