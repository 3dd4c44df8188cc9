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
  collaudo run                                the suite against the embedded reference station
  collaudo run --station http://ec.example:8080/pagopa --config collaudo.toml
  collaudo run --only EC-PSP-02 --report junit
  collaudo list                               the catalogue, with PagoPA's official ids apart
  collaudo init                               write a commented collaudo.toml
  collaudo station --listen 127.0.0.1:8080    the reference station, standalone
  collaudo station --listen 127.0.0.1:8080 --print-config > collaudo.toml
  collaudo plan                               what each case needs, notices per role
  collaudo validate reply.xml                 check one saved SOAP message
  collaudo validate --format json captures/*.xml
  collaudo run --evidence --out out           evidence.zip: every exchange, reports, SHA256SUMS
  collaudo show out ACT-001/2 --response --raw > reply.xml
  collaudo verify-bundle out/evidence.zip

Exit codes:
  0  everything passed / valid
  1  a scenario failed / a file is invalid (the station does not conform)
  2  usage error, unreadable input, invalid configuration or scenario file
  3  collaudo or its environment failed
  4  the selection matched no scenario
  130  `run` stopped by Ctrl-C; the reports were written (SIGTERM: 1 or 3)";

const SERVE_LONG_ABOUT: &str = "\
Serve the mock Nodo dei Pagamenti and the mock ACA as long-running servers on loopback, for \
driving a station by hand or from your own test scripts.

The station is the one --config names ([station] url, with its TLS, headers and identities), \
or collaudo's embedded reference station (the default without --config, or with --embedded), \
with a second embedded station for the secondary EC that receives broadcast receipts. The mock \
ACA accepts paCreatePosition from your EC (the embedded station loads its payable notices at \
start). Time is the wall clock; POST /clock/advance moves it forward for receipt retries and \
Stand-In probes.

State lives in an SQLite file (--db, WAL mode): ACA positions, payments (open and closed), \
receipts and every delivery attempt, Stand-In transitions, the journal and the clock offset. \
Every accepted write is committed before its answer is sent; restart on the same file and \
positions loaded today can be paid tomorrow (open payments can still be closed, due receipt \
retries still run, a station in Stand-In goes back into it). SIGINT or SIGTERM stops \
gracefully: no new request, those in flight finish and commit.

The last line printed at start, `collaudo serve ready: control=URL aca=URL`, says every server \
is listening.";

const SERVE_AFTER_HELP: &str = r#"Endpoints (control API, JSON bodies; errors are {"error": "...", "status": N}: 400 malformed, 404 unknown, 409 conflicting):
  GET  /                          the web page: stations and Stand-In, positions, payments,
                                  receipts with their attempt timelines, the journal (reload it)
  GET  /state[?limit=N]           the same as JSON
  POST /psp/verify                {"fiscal_code": "77777777777", "notice_number": "3..."}
                                  the Nodo asks the station (or answers from ACA in Stand-In)
  POST /psp/activate              {"fiscal_code", "notice_number", "amount"?: "12.34",
                                  "transfer_type"?: "PAGOPA"|"POSTAL"}
                                  -> {"token", "outcome", "route", ...}
  POST /psp/close                 {"token"} -> the receipt and its delivery to every recipient;
                                  failed deliveries are retried on the [receipts] schedule
  POST /psp/pay                   {"fiscal_code", "notice_number", "amount"?}:
                                  verify, activate and close in one call
  POST /psp/cart                  {"id_cart"?, "notices": [{"fiscal_code", "notice_number"}, ...]}:
                                  a Checkout cart of 1 to 5 notices: every verify, then every
                                  activation with paymentNote = id_cart, then every close
  POST /stations/ID/stand-in      "enter" or "exit" (or {"action": "enter"}): enter = verifies
                                  refused on the way, one a minute of serve time, until the
                                  Nodo's monitor decides (the clock moves 15-35 min); exit = time
                                  passes in probe intervals until enough probes are positive
  POST /stations/ID/faults        {"fault": F, "count": N}: the next N calls the Nodo makes
                                  to the station (verify, activate, probe) suffer F: "refuse",
                                  "timeout", "answer-timeout", {"latency": MS},
                                  {"http-status": 503}, {"corrupt": "truncate"},
                                  {"unavailable": "ko"}
  POST /aca/faults                {"status": 502, "count": N}: the mock ACA answers the next N
                                  paCreatePosition calls with that status, without applying them
  POST /clock/advance             {"minutes": 60}: serve time moves forward; due Stand-In probes
                                  and receipt retries are sent on the way

Examples:
  collaudo serve                                    embedded station, ./collaudo-serve.db
  collaudo serve --config collaudo.toml --db ec.db  your station; your EC posts to the mock ACA
  collaudo serve --gpd-listen 127.0.0.1:8093 --async-ec 80000000001   + a mock GPD for an async EC
  curl -s localhost:8090/psp/pay -d '{"fiscal_code":"77777777777","notice_number":"3..."}'
  curl -s localhost:8090/stations/77777777777_01/stand-in -d '"enter"'
  curl -s localhost:8090/clock/advance -d '{"minutes": 60}'
  curl -s localhost:8091/aca/v1/paCreatePosition -H 'Ocp-Apim-Subscription-Key: collaudo-serve' \
       -H 'Content-Type: application/json' -d @position.json
  The embedded station's notices: GET http://127.0.0.1:8092/_collaudo/fixtures/notices

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage or configuration error, 3 cannot start (an
address in use, an unusable --db file)."#;

/// Top-level arguments.
#[derive(Debug, Parser)]
#[command(name = "collaudo", version, long_version = long_version(), about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// collaudo's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the conformance suite: the mock Nodo calls the station and judges every answer.
    #[command(
        long_about = "Run the conformance suite against a station.\n\n\
With no configuration at all, collaudo starts its embedded reference station on 127.0.0.1, \
fresh for every scenario, so the suite runs with no setup; --embedded asks for it where a \
collaudo.toml is present. A configuration that names no station ([station] url, \
COLLAUDO_STATION_URL or --station) is refused, so that a CI gate whose station URL went missing \
never tests the embedded station by mistake. Before the suite, collaudo opens one connection to \
an external station and stops with one clear line if nothing answers (--no-preflight). Each scenario gets a verdict: pass, fail (the station does not conform: the report says \
what the real Nodo would have answered the PSP and why), error (collaudo or the environment \
failed) or skipped (a fixture role, EC action or optional section is not configured; the reason \
is given, and a skipped case sends nothing).\n\n\
Reports go to a new folder ./collaudo-report/<timestamp>-<n>, or to --out DIR: junit.xml, \
report.json, summary.md, events.jsonl and journal.jsonl (every exchange, raw bytes both ways). \
--out takes an empty or new folder, or a previous run's folder, which is replaced as a whole \
when the run ends (no stale file survives); any other non-empty folder is refused.",
        after_help = "Examples:\n  collaudo run\n  collaudo run --profile wrong-sum            see what a broken station looks like\n  collaudo run --station http://127.0.0.1:8080/pagopa/station --config collaudo.toml\n  collaudo run --only VRF,ACT-002M --report junit --out ci-report\n\nExit codes: 0 all passed (or skipped), 1 a scenario failed (even if collaudo also hit errors),\n2 usage/config/scenario error, 3 harness or environment error and no failure, 4 nothing selected, 130 stopped by Ctrl-C.\nOn Ctrl-C or SIGTERM the case in flight is abandoned and every report is still written, with\nthe unfinished cases as errors (SIGTERM exits 1 if a case had failed, else 3)."
    )]
    Run {
        /// The station's service URL (overrides collaudo.toml and COLLAUDO_STATION_URL).
        #[arg(long, value_name = "URL")]
        station: Option<String>,
        /// Configuration file (default: ./collaudo.toml when present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Fault profile of the embedded reference station (see `collaudo station --help`).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// Select by id (VRF-001), id prefix (VRF-*), area (VRF), PagoPA official id (EC-PSP-02) or tag.
        #[arg(long, value_name = "ID|TAG", value_delimiter = ',')]
        only: Vec<String>,
        /// Extra scenario folders.
        #[command(flatten)]
        scenarios: ScenarioArgs,
        /// Report folder: new, empty, or a previous run's (replaced as a whole at the end).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Seed for generated data (printed and stored in every report).
        #[arg(long)]
        seed: Option<u64>,
        /// Report formats to write (repeatable; default: all).
        #[arg(long = "report", value_name = "FORMAT", value_parser = ["junit", "json", "markdown", "html"])]
        reports: Vec<String>,
        /// No progress bar (one line per scenario instead).
        #[arg(long)]
        no_progress: bool,
        /// One real timeout for every primitive, in milliseconds (default: the Nodo's 7 s / 15 s).
        #[arg(long, value_name = "MS")]
        timeout_ms: Option<u64>,
        /// Never ask at the terminal for an EC action without an [ec.actions] hook: skip the
        /// case with the reason (the default when stdin is not a terminal).
        #[arg(long)]
        non_interactive: bool,
        /// Run against the embedded reference station even where a collaudo.toml is present
        /// (without one, the embedded station is the default).
        #[arg(long)]
        embedded: bool,
        /// Skip the check that the station accepts a connection before the suite starts.
        #[arg(long)]
        no_preflight: bool,
        /// Write junit.xml without collaudo's extensions (per-case properties, the skipped
        /// count on the root), so it validates against the Jenkins xUnit plugin's junit-10.xsd.
        #[arg(long)]
        junit_strict: bool,
        /// Cases run at once. Cases never share a notice, so they are independent; output and
        /// reports stay in catalogue order. Default: 4 against an external station (gentle on
        /// a real one), the number of cores against the embedded one.
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Stop starting cases after the first failure or error; the rest are reported as not
        /// run.
        #[arg(long)]
        fail_fast: bool,
        /// Stop starting cases once this much wall time is spent (e.g. 90s, 10m, 1h); the
        /// cases in flight finish, the rest are reported as not run.
        #[arg(long, value_name = "DURATION")]
        budget: Option<String>,
        /// Also write evidence.zip into the report folder: every exchange's raw request and
        /// response per PagoPA official case, the reports, the configuration without its
        /// secrets and SHA256SUMS (check it with `collaudo verify-bundle`).
        #[arg(long)]
        evidence: bool,
        /// Print every exchange as it happens on stderr: request line, status, latency and
        /// the bodies, shortened (`collaudo show` prints one in full afterwards).
        #[arg(short, long)]
        verbose: bool,
    },
    /// Run the reference EC station standalone (an example for EC teams, a target for trials).
    #[command(after_help = station_help())]
    Station {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Fault profile: make the station wrong on purpose.
        #[arg(long, default_value = "conformant")]
        profile: String,
        /// Seed for notice numbers and debtors.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Notices per fixture role (default: as many as a full run of the built-in suite
        /// pays, see `collaudo plan`).
        #[arg(long, value_name = "N")]
        copies: Option<usize>,
        /// Print the collaudo.toml that tests a station started with the same arguments, and
        /// exit without starting it.
        #[arg(long)]
        print_config: bool,
        /// Delay every answer by this many milliseconds, whatever the profile: a station as
        /// slow as a real back end, to rehearse `collaudo run --jobs` or a timeout budget.
        #[arg(long, value_name = "MS", default_value_t = 0)]
        latency_ms: u64,
        /// Threads that answer. One by default: on one machine with the load generator (or
        /// collaudo run) beside it, a second thread costs more in wake-ups between threads
        /// than it gives (BENCHMARKS.md); give more on a larger machine under heavy load.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
        /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Require mutual TLS: a client certificate issued by a CA in this PEM file.
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        client_ca: Option<PathBuf>,
    },
    /// Serve the mock Nodo and the mock ACA for manual testing: a JSON control API (what a
    /// PSP would ask), a read-only web page, state kept in an SQLite file across restarts.
    #[command(long_about = SERVE_LONG_ABOUT, after_help = SERVE_AFTER_HELP)]
    Serve {
        /// Configuration file naming an external station ([station] url, TLS, [aca],
        /// [backoffice], [receipts], [standin]); without it, the embedded reference station.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Serve against the embedded reference station (the default without --config; with
        /// it, the file's identities, [aca], [receipts] and [standin] still apply).
        #[arg(long)]
        embedded: bool,
        /// The SQLite file holding positions, payments, receipts, transitions, the journal and
        /// the clock offset (created if missing; reopen it to carry on).
        #[arg(long, value_name = "FILE", default_value = "collaudo-serve.db")]
        db: PathBuf,
        /// Where the control API and the web page listen (port 0: any free port).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
        /// Where the mock ACA listens (default: [aca] listen, else 127.0.0.1:8091).
        #[arg(long, value_name = "ADDR")]
        aca_listen: Option<std::net::SocketAddr>,
        /// The subscription key the mock ACA accepts (default: [aca] subscription_key, else
        /// collaudo-serve; the embedded station sends it).
        #[arg(long, value_name = "KEY")]
        aca_key: Option<String>,
        /// Where the embedded station listens.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8092")]
        station_listen: std::net::SocketAddr,
        /// Fault profile of the embedded station (see `collaudo station --help`).
        #[arg(long, value_name = "NAME", default_value = "conformant")]
        profile: String,
        /// Seed of the embedded station's notices: keep it to find the same notices after a
        /// restart.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Notices per fixture role of the embedded station (default: what a full suite pays).
        #[arg(long, value_name = "N")]
        copies: Option<usize>,
        /// SQLite's synchronous setting: normal (a committed write survives the process being
        /// killed) or full (it survives a power loss too, one fsync per commit).
        #[arg(long, value_name = "MODE", default_value = "normal", value_parser = ["normal", "full"])]
        sync: String,
        /// Also stream every exchange with the stations (raw bytes both ways) to FILE as JSON
        /// lines (truncated at start).
        #[arg(long, value_name = "FILE")]
        journal: Option<PathBuf>,
        /// Also serve a mock GPD here (port 0: any free port), for ECs on the asynchronous
        /// integration: their debt positions are created there, and the Nodo answers their
        /// notices from it (GPD-Payments). Its positions and receipts are kept in --db.
        #[arg(long, value_name = "ADDR")]
        gpd_listen: Option<std::net::SocketAddr>,
        /// The subscription key the mock GPD accepts.
        #[arg(
            long,
            value_name = "KEY",
            default_value = "collaudo-serve",
            requires = "gpd_listen"
        )]
        gpd_key: String,
        /// An EC on the asynchronous integration (repeatable): the Nodo answers its notices
        /// from the mock GPD instead of calling a station.
        #[arg(long = "async-ec", value_name = "FISCAL_CODE", requires = "gpd_listen")]
        async_ecs: Vec<String>,
    },
    /// Print the catalogue as a test plan: what each case needs and how many notices each
    /// fixture role must have for a full run against a long-lived station.
    #[command(
        after_help = "Examples:\n  collaudo plan\n  collaudo plan --only RT --scenarios my-scenarios/\n  collaudo plan --markdown test-plan.md"
    )]
    Plan {
        /// Select by id (VRF-001), id prefix (VRF-*), area (VRF), PagoPA official id (EC-PSP-02) or tag.
        #[arg(long, value_name = "ID|TAG", value_delimiter = ',')]
        only: Vec<String>,
        /// Write the plan as a Markdown document (PagoPA's official cases in a table of their
        /// own, then every case, then the notices to prepare) to FILE, or to stdout without FILE.
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
        markdown: Option<PathBuf>,
        /// Extra scenario folders.
        #[command(flatten)]
        scenarios: ScenarioArgs,
    },
    /// Write a commented collaudo.toml template.
    Init {
        /// Where to write it.
        #[arg(default_value = "collaudo.toml")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
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
    /// Print an exchange of a finished run from its journal, or list the exchanges.
    #[command(
        long_about = "Print an exchange of a finished run, read from RUN_DIR/journal.jsonl.\n\n\
Without --raw: the request line or HTTP status, the headers and the body indented, every control \
character the station sent shown as an escape. With --raw: the exact bytes of one body, nothing \
else. When the selection matches several exchanges (a whole case, a step with receipt retries) \
they are listed instead: seq, case, step, primitive, status, outcome.",
        after_help = "Examples:\n  collaudo show collaudo-report/20261125-101530\n  collaudo show out ACT-001            the case's exchanges (or the one it made)\n  collaudo show out ACT-001/2          its second step (or: ACT-001/activate, by name)\n  collaudo show out ACT-001/2 --response --raw > reply.xml\n  collaudo show out EC-PSP-02          the exchanges of every case of that official id\n  collaudo show out RT-003/2 --seq 14\n\nExit codes: 0 shown, 2 no journal, unknown case or step, or --raw matching several."
    )]
    Show {
        /// A run's report folder (--out), or its journal.jsonl.
        #[arg(value_name = "RUN_DIR")]
        run_dir: PathBuf,
        /// CASE, CASE/STEP (STEP: its number from 1, or its name) or a PagoPA official id.
        #[arg(value_name = "CASE[/STEP]")]
        selector: Option<String>,
        /// Only the request.
        #[arg(long, conflicts_with = "response")]
        request: bool,
        /// Only the response.
        #[arg(long)]
        response: bool,
        /// The body's exact bytes (with --request or --response).
        #[arg(long)]
        raw: bool,
        /// The exchange with this journal sequence number (as the list shows it).
        #[arg(long, value_name = "N")]
        seq: Option<u64>,
        /// Write to FILE instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Make the evidence bundle (evidence.zip) of a finished run folder, as `run --evidence` does.
    #[command(
        after_help = "Examples:\n  collaudo bundle collaudo-report/20261125-101530 --config collaudo.toml\n  collaudo bundle out -o evidence-2026-11-25.zip\n\nExit codes: 0 written, 2 not a run folder or unreadable configuration, 3 the zip could not be written."
    )]
    Bundle {
        /// A run's report folder (--out).
        #[arg(value_name = "RUN_DIR")]
        run_dir: PathBuf,
        /// The configuration the run used: bundled with its secrets redacted.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Where to write the bundle (default: RUN_DIR/evidence.zip).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check an evidence bundle: every file matches SHA256SUMS, none added, and the exchange
    /// files match the bundled journal.
    #[command(
        after_help = "Examples:\n  collaudo verify-bundle out/evidence.zip\n  unzip -d ev out/evidence.zip && (cd ev && sha256sum -c SHA256SUMS)   the same hashes, by hand\n\nExit codes: 0 intact, 1 tampered (each file and why), 2 unreadable or not an evidence bundle."
    )]
    VerifyBundle {
        /// The bundle (evidence.zip).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print a shell completion script on stdout (bash, zsh, fish, powershell).
    #[command(after_help = crate::completions::AFTER_HELP)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: crate::completions::Shell,
    },
}

/// `collaudo --version`: the version and the built-in catalogue it carries, e.g.
/// `0.1.0 (catalogue sha256:3f2a…, 58 scenarios)`, so two binaries that would run different
/// built-in scenarios can be told apart (the digest is `collaudo_scenarios::DIGEST`).
pub fn long_version() -> &'static str {
    static LONG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LONG.get_or_init(|| {
        format!(
            "{} (catalogue sha256:{}, {} scenarios)",
            env!("CARGO_PKG_VERSION"),
            collaudo_scenarios::DIGEST,
            collaudo_scenarios::COUNT
        )
    })
}

/// Arguments shared by the commands that read scenarios.
#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {
    /// Also load every *.toml scenario under DIR (repeatable).
    #[arg(long = "scenarios", value_name = "DIR")]
    pub scenarios: Vec<PathBuf>,
}

fn station_help() -> String {
    let mut s = String::from("Profiles:\n");
    for p in collaudo_station::Profile::ALL {
        s.push_str(&format!("  {:<24} {}\n", p.name(), p.description()));
    }
    s.push_str(
        "\nExamples:\n  collaudo station --listen 127.0.0.1:8080 --profile slow\n  \
         collaudo station --listen 127.0.0.1:8443 --tls-cert station.crt --tls-key station.key \
         --client-ca nodo-ca.crt\n\n\
         With --tls-cert and --tls-key the station speaks HTTPS (TLS 1.2 and 1.3 only); with\n\
         --client-ca it also requires a client certificate issued by that CA (mutual TLS), as a\n\
         station behind the pagoPA forwarder does.",
    );
    s
}

/// The runtime a command runs on.
///
/// `run` is a conversation: the mock Nodo sends one request and waits for
/// the station's reply, so worker threads add only cross-thread wake-ups
/// (futex + epoll, 35 % of a default run's time in strace) and no
/// parallelism; judging large replies already moves to the blocking pool.
/// `station` serves clients it does not control, so it keeps one worker per
/// core.
#[derive(Clone, Copy)]
enum Flavour {
    SingleThread,
    PerCore,
}

fn runtime(flavour: Flavour) -> Result<tokio::runtime::Runtime, i32> {
    let mut builder = match flavour {
        Flavour::SingleThread => tokio::runtime::Builder::new_current_thread(),
        Flavour::PerCore => tokio::runtime::Builder::new_multi_thread(),
    };
    builder.enable_all().build().map_err(|e| {
        eprintln!("error: cannot start the async runtime: {e}");
        crate::exit::HARNESS
    })
}

/// The flags of `collaudo serve`.
#[derive(Debug)]
struct ServeArgs {
    config: Option<PathBuf>,
    embedded: bool,
    db: PathBuf,
    listen: std::net::SocketAddr,
    aca_listen: Option<std::net::SocketAddr>,
    aca_key: Option<String>,
    station_listen: std::net::SocketAddr,
    profile: String,
    seed: u64,
    copies: Option<usize>,
    sync: String,
    journal: Option<PathBuf>,
    gpd_listen: Option<std::net::SocketAddr>,
    gpd_key: String,
    async_ecs: Vec<String>,
}

/// `collaudo serve`'s flags and configuration file as a [`collaudo_control::ServeConfig`]; the
/// error is the message to print.
fn serve_config(
    args: ServeArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<collaudo_control::ServeConfig, String> {
    use collaudo_control::{
        AcaSettings, BroadcastStation, EmbeddedStation, ExternalStation, StationChoice,
    };
    let mut cfg = match &args.config {
        Some(p) => crate::config::load(p).map_err(|problem| problem.render())?,
        None => crate::config::ConfigFile::default(),
    };
    crate::config::apply_env(&mut cfg, &env).map_err(|e| format!("error: {e}"))?;
    let mut out = collaudo_control::ServeConfig::embedded(args.db);
    out.listen = args.listen;
    out.durability = match args.sync.as_str() {
        "full" => collaudo_control::SyncMode::Full,
        _ => collaudo_control::SyncMode::Normal,
    };
    out.journal = args.journal;
    out.gpd = args.gpd_listen.map(|listen| collaudo_control::GpdSettings {
        listen,
        subscription_key: args.gpd_key.clone(),
        async_ecs: args.async_ecs.clone(),
    });
    out.aca = AcaSettings {
        listen: args
            .aca_listen
            .or(cfg.aca.as_ref().map(|a| a.listen))
            .unwrap_or_else(|| ([127, 0, 0, 1], 8091).into()),
        subscription_key: args
            .aca_key
            .or(cfg.aca.as_ref().map(|a| a.subscription_key.clone()))
            .unwrap_or_else(|| collaudo_control::DEFAULT_ACA_KEY.to_string()),
        standin_ibans: cfg
            .aca
            .as_ref()
            .map(|a| a.standin_ibans.clone())
            .unwrap_or_default(),
    };
    out.retry = collaudo_nodo::RetryPolicy {
        max_attempts: cfg
            .receipts
            .max_attempts
            .unwrap_or(collaudo_nodo::RetryPolicy::default().max_attempts)
            .max(1),
        interval: match &cfg.receipts.interval {
            None => std::time::Duration::from_secs(3600),
            Some(i) => crate::scenario::parse_duration(i.get_ref())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    format!(
                        "error: [receipts] interval {:?}: expected a duration such as 1h or 30m",
                        i.get_ref()
                    )
                })?,
        },
        duplicate_is_final: cfg.receipts.duplicate_is_final.unwrap_or(true),
    };
    out.standin = cfg.standin.clone().unwrap_or_default();
    out.standin
        .validate()
        .map_err(|e| format!("error: [standin]: {e}"))?;
    if let Some(code) = &cfg.checks.unknown_iban_code {
        out.policy.unknown_iban_code = collaudo_wire::FaultCode::parse(code.get_ref());
    }
    let Some(url) = cfg.station.url.clone().filter(|_| !args.embedded) else {
        let profile = args
            .profile
            .parse::<collaudo_station::Profile>()
            .map_err(|e| format!("error: {e}"))?;
        let copies = crate::station_cmd::copies(args.copies).map_err(|e| format!("error: {e}"))?;
        let defaults = collaudo_station::StationConfig::default();
        out.station = StationChoice::Embedded(EmbeddedStation {
            config: collaudo_station::StationConfig {
                id_pa: cfg.station.id_pa.clone().unwrap_or(defaults.id_pa.clone()),
                id_broker_pa: cfg
                    .station
                    .id_broker_pa
                    .clone()
                    .unwrap_or(defaults.id_broker_pa.clone()),
                id_station: cfg
                    .station
                    .id_station
                    .clone()
                    .unwrap_or(defaults.id_station.clone()),
                profile,
                seed: args.seed,
                copies,
                ..defaults
            },
            listen: args.station_listen,
            register_in_aca: true,
        });
        if args.config.is_some() && !args.embedded {
            return Err(format!(
                "error: {} names no station: set [station] url, or pass --embedded",
                args.config
                    .as_ref()
                    .map_or(String::new(), |p| p.display().to_string())
            ));
        }
        return Ok(out);
    };
    let source = crate::config::Source {
        file: args
            .config
            .as_ref()
            .map_or(String::new(), |p| p.display().to_string()),
        text: args
            .config
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default(),
        dir: args
            .config
            .as_ref()
            .and_then(|p| p.parent())
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default(),
    };
    let connection = crate::config::connection(&cfg, &source, &env).map_err(|p| p.render())?;
    let defaults = collaudo_station::StationConfig::default();
    let caller = collaudo_wire::Caller {
        id_pa: cfg.station.id_pa.clone().unwrap_or(defaults.id_pa),
        id_broker_pa: cfg
            .station
            .id_broker_pa
            .clone()
            .unwrap_or(defaults.id_broker_pa),
        id_station: cfg
            .station
            .id_station
            .clone()
            .unwrap_or(defaults.id_station),
    };
    let mut timeouts = collaudo_nodo::Timeouts::nodo();
    if let Some(ms) = cfg.timeouts.sync_ms.filter(|ms| *ms > 0) {
        for p in [
            collaudo_wire::Primitive::VerifyPaymentNotice,
            collaudo_wire::Primitive::GetPayment,
            collaudo_wire::Primitive::GetPaymentV2,
        ] {
            timeouts = timeouts.with(p, std::time::Duration::from_millis(ms));
        }
    }
    if let Some(ms) = cfg.timeouts.receipt_ms.filter(|ms| *ms > 0) {
        for p in [
            collaudo_wire::Primitive::SendRt,
            collaudo_wire::Primitive::SendRtV2,
        ] {
            timeouts = timeouts.with(p, std::time::Duration::from_millis(ms));
        }
    }
    out.station = StationChoice::External(ExternalStation {
        backoffice: cfg
            .backoffice
            .clone()
            .unwrap_or_else(|| collaudo_nodo::BackOffice::default().with_ec(&caller.id_pa, None)),
        url,
        caller,
        connection: std::sync::Arc::new(connection),
        timeouts,
        get_payment_v2: cfg
            .station
            .get_payment_version
            .as_ref()
            .is_none_or(|v| *v.get_ref() == 2),
        send_rt_v2: cfg
            .station
            .send_rt_version
            .as_ref()
            .is_none_or(|v| *v.get_ref() == 2),
        broadcast: cfg
            .broadcast
            .iter()
            .map(|b| BroadcastStation {
                fiscal_code: b.fiscal_code.clone(),
                url: b.url.clone(),
                caller: collaudo_wire::Caller {
                    id_pa: b.fiscal_code.clone(),
                    id_broker_pa: b
                        .id_broker_pa
                        .clone()
                        .unwrap_or_else(|| b.fiscal_code.clone()),
                    id_station: b.id_station.clone(),
                },
                send_rt_v2: b.send_rt_version.unwrap_or(2) == 2,
            })
            .collect(),
    });
    // Without [backoffice], IBANs of an external station cannot be judged as registered.
    out.policy.check_ibans = cfg.checks.check_ibans.unwrap_or(cfg.backoffice.is_some());
    out.policy.check_secondary_ecs = cfg.backoffice.is_some();
    Ok(out)
}

/// Run a parsed command line and return the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Run {
            station,
            config,
            profile,
            only,
            scenarios,
            out,
            seed,
            reports,
            no_progress,
            timeout_ms,
            non_interactive,
            embedded,
            no_preflight,
            junit_strict,
            jobs,
            fail_fast,
            budget,
            evidence,
            verbose,
        } => {
            let mut args = crate::run::RunArgs {
                junit_strict,
                jobs,
                fail_fast,
                budget,
                config,
                station,
                profile,
                embedded,
                no_preflight,
                only,
                scenarios: scenarios.scenarios,
                out,
                seed,
                reports: reports.iter().filter_map(|r| r.parse().ok()).collect(),
                no_progress,
                timeout_ms,
                live_console: true,
                non_interactive,
                interrupt: Default::default(),
                evidence,
                verbose,
            };
            match runtime(Flavour::SingleThread) {
                Ok(rt) => rt.block_on(async move {
                    args.interrupt = crate::interrupt::Interrupt::listen();
                    crate::run::run(args, |k| std::env::var(k).ok(), &mut std::io::stderr()).await
                }),
                Err(code) => code,
            }
        }
        Command::Station {
            listen,
            profile,
            seed,
            copies,
            print_config,
            latency_ms,
            threads,
            tls_cert,
            tls_key,
            client_ca,
        } => {
            // clap's `requires` guarantees the pair.
            let tls = tls_cert
                .zip(tls_key)
                .map(|(cert, key)| crate::station_cmd::TlsFiles {
                    cert,
                    key,
                    client_ca,
                });
            let profile = match profile.parse::<collaudo_station::Profile>() {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error: {e}");
                    return crate::exit::USAGE;
                }
            };
            let copies = match crate::station_cmd::copies(copies) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return crate::exit::USAGE;
                }
            };
            if print_config {
                return crate::station_cmd::print_config(
                    listen,
                    profile,
                    seed,
                    copies,
                    tls.as_ref(),
                    &mut std::io::stdout().lock(),
                );
            }
            let rt = if threads == 1 {
                runtime(Flavour::SingleThread)
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(usize::from(threads))
                    .enable_all()
                    .build()
                    .map_err(|e| {
                        eprintln!("error: cannot start the async runtime: {e}");
                        crate::exit::HARNESS
                    })
            };
            match rt {
                Ok(rt) => rt.block_on(crate::station_cmd::serve(
                    listen,
                    profile,
                    seed,
                    copies,
                    std::time::Duration::from_millis(latency_ms),
                    tls.as_ref(),
                    &mut std::io::stdout(),
                )),
                Err(code) => code,
            }
        }
        Command::Init { path, force } => {
            if path.exists() && !force {
                eprintln!(
                    "error: {} exists (use --force to overwrite)",
                    path.display()
                );
                return crate::exit::USAGE;
            }
            match std::fs::write(&path, crate::config::template()) {
                Ok(()) => {
                    println!(
                        "wrote {}: set [station] url and the notices of [fixtures], then `collaudo run`",
                        path.display()
                    );
                    crate::exit::OK
                }
                Err(e) => {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    crate::exit::USAGE
                }
            }
        }
        Command::Validate { files, format } => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            validate::run(&files, format, &mut lock)
        }
        Command::Check { dirs } => {
            crate::catalogue_cmd::check(&dirs, &mut std::io::stdout().lock())
        }
        Command::Plan {
            only,
            markdown,
            scenarios,
        } => match markdown {
            None => crate::catalogue_cmd::plan(
                &scenarios.scenarios,
                &only,
                &mut std::io::stdout().lock(),
            ),
            Some(path) if path.as_os_str() == "-" => crate::catalogue_cmd::plan_markdown(
                &scenarios.scenarios,
                &only,
                &mut std::io::stdout().lock(),
            ),
            Some(path) => {
                let mut buf = Vec::new();
                let code =
                    crate::catalogue_cmd::plan_markdown(&scenarios.scenarios, &only, &mut buf);
                if code != crate::exit::OK {
                    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), &buf);
                    return code;
                }
                match std::fs::write(&path, &buf) {
                    Ok(()) => {
                        eprintln!("test plan written to {}", path.display());
                        crate::exit::OK
                    }
                    Err(e) => {
                        eprintln!("error: cannot write {}: {e}", path.display());
                        crate::exit::USAGE
                    }
                }
            }
        },
        Command::List { only, scenarios } => {
            crate::catalogue_cmd::list(&scenarios.scenarios, &only, &mut std::io::stdout().lock())
        }
        Command::Show {
            run_dir,
            selector,
            request,
            response,
            raw,
            seq,
            output,
        } => {
            use crate::evidence::show::{ShowArgs, Side, command};
            let side = match (request, response) {
                (true, _) => Side::Request,
                (_, true) => Side::Response,
                _ => Side::Both,
            };
            let args = ShowArgs {
                run_dir,
                selector,
                seq,
                side,
                raw,
                output,
            };
            command(
                &args,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            )
        }
        Command::Bundle {
            run_dir,
            config,
            output,
        } => crate::evidence::bundle::command(
            &run_dir,
            config.as_deref(),
            output.as_deref(),
            &mut std::io::stderr().lock(),
        ),
        Command::VerifyBundle { file } => crate::evidence::verify::command(
            &file,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ),
        Command::Serve {
            config,
            embedded,
            db,
            listen,
            aca_listen,
            aca_key,
            station_listen,
            profile,
            seed,
            copies,
            sync,
            journal,
            gpd_listen,
            gpd_key,
            async_ecs,
        } => {
            let args = ServeArgs {
                config,
                embedded,
                db,
                listen,
                aca_listen,
                aca_key,
                station_listen,
                profile,
                seed,
                copies,
                sync,
                journal,
                gpd_listen,
                gpd_key,
                async_ecs,
            };
            let cfg = match serve_config(args, |k| std::env::var(k).ok()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return crate::exit::USAGE;
                }
            };
            match runtime(Flavour::PerCore) {
                Ok(rt) => rt.block_on(async move {
                    let mut out = std::io::stdout();
                    match collaudo_control::serve(
                        cfg,
                        &mut out,
                        collaudo_control::shutdown_signal(),
                    )
                    .await
                    {
                        Ok(()) => crate::exit::OK,
                        Err(e) => {
                            eprintln!("error: {}", crate::diagnostic::chain(&e));
                            crate::exit::HARNESS
                        }
                    }
                }),
                Err(code) => code,
            }
        }
        Command::Completions { shell } => {
            crate::completions::write(shell, &mut std::io::stdout().lock())
        }
    }
}
