//! `collaudo run`: raw arguments + `collaudo.toml` + environment → a validated plan, then the
//! engine against the embedded reference station or the user's station, then the reports.

use crate::config::{self, ConfigFile};
use crate::engine::{
    self, Actions, BroadcastStation, EngineConfig, StationInstance, StationProvider,
};
use crate::exit;
use crate::scenario::Catalogue;
use collaudo_nodo::{BackOffice, CheckPolicy, Timeouts};
use collaudo_reports::{ConsoleReporter, FileReporters, ReportFormat, Reporters, RunInfo};
use collaudo_station::{Profile, StationConfig, StationHandle};
use collaudo_wire::{Caller, FaultCode, Primitive};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    /// `--config FILE` (default `./collaudo.toml` when present).
    pub config: Option<PathBuf>,
    /// `--station URL`.
    pub station: Option<String>,
    /// `--profile NAME` for the embedded station.
    pub profile: Option<String>,
    /// `--embedded`: run against the embedded reference station even with a configuration.
    pub embedded: bool,
    /// `--no-preflight`: do not check that an external station accepts connections first.
    pub no_preflight: bool,
    /// `--only`.
    pub only: Vec<String>,
    /// `--scenarios DIR`.
    pub scenarios: Vec<PathBuf>,
    /// `--out DIR`.
    pub out: Option<PathBuf>,
    /// `--seed N`.
    pub seed: Option<u64>,
    /// `--report FORMAT` (repeatable); default all.
    pub reports: Vec<ReportFormat>,
    /// `--no-progress`.
    pub no_progress: bool,
    /// `--junit-strict`: junit.xml without collaudo's extensions (validates against the Jenkins
    /// `junit-10.xsd`).
    pub junit_strict: bool,
    /// `--jobs N`: cases run at once (default: 4 against an external station, the cores
    /// against the embedded one).
    pub jobs: Option<usize>,
    /// `--fail-fast`: no case starts after one failed or errored.
    pub fail_fast: bool,
    /// `--budget DURATION`: no case starts once this much wall time is spent.
    pub budget: Option<String>,
    /// `--timeout-ms N`: one real timeout for every primitive.
    pub timeout_ms: Option<u64>,
    /// Never ask the person at the terminal to perform an EC action without a hook.
    pub non_interactive: bool,
    /// Show progress and case lines live on the process's stderr (the CLI). Otherwise they are
    /// collected and written to the `err` writer given to [`run`] when the run ends, so
    /// in-process callers capture everything.
    pub live_console: bool,
    /// Stops the run early, reporting unfinished cases as errors (the CLI wires it to SIGINT
    /// and SIGTERM; the default never fires).
    pub interrupt: crate::interrupt::Interrupt,
    /// `--evidence`: also write `evidence.zip` into the report folder (see `crate::evidence`).
    pub evidence: bool,
    /// `-v`: print every exchange as it happens (on stderr, or with the console output).
    pub verbose: bool,
}

/// A `Write` shared between the console reporter and the caller.
#[derive(Clone, Default)]
struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut v = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        v.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `sha256:<hex>` of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn timestamp_dir() -> String {
    // 2026-11-25T10:15:30.123Z → 20261125-101530
    let now = engine_now();
    let digits: String = now.chars().filter(char::is_ascii_digit).take(14).collect();
    format!(
        "{}-{}",
        digits.get(..8).unwrap_or(""),
        digits.get(8..).unwrap_or("")
    )
}

fn engine_now() -> String {
    use collaudo_nodo::Clock;
    collaudo_nodo::SystemClock.now().to_string()
}

/// The embedded reference station, restarted for every scenario, with a second instance as
/// the broadcast station of the secondary EC.
struct Embedded {
    config: StationConfig,
    /// Made on the first case that checks the station's HTTPS endpoint, then reused.
    tls: tokio::sync::OnceCell<EmbeddedTls>,
}

/// What the embedded run started for one case: its stations and its mock ACA.
struct EmbeddedLease {
    stations: Vec<StationHandle>,
    aca: Option<collaudo_nodo::aca::AcaHandle>,
    gpd: Option<collaudo_nodo::gpd::GpdHandle>,
}

/// Throw-away certificates with which the embedded station serves CON-001 over HTTPS with
/// mutual TLS: a station CA and certificate for 127.0.0.1, a client CA the station requires,
/// and the Nodo's client certificate. Only this run trusts them.
struct EmbeddedTls {
    server: std::sync::Arc<collaudo_certs::rustls::ServerConfig>,
    connection: std::sync::Arc<collaudo_nodo::Connection>,
}

impl EmbeddedTls {
    fn generate() -> Result<EmbeddedTls, String> {
        let t = collaudo_certs::throwaway::Throwaway::generate()
            .map_err(|e| format!("cannot make the embedded station's certificates: {e}"))?;
        let server = collaudo_certs::server_config_from_pem(
            &t.station.cert_pem,
            &t.station.key_pem,
            Some(&t.client_ca.cert_pem),
        )
        .map_err(|e| format!("cannot set up the embedded station's TLS: {e}"))?;
        // The Nodo's side reads PEM files, as a user's [station.tls] does: write them to a
        // private folder, load them, and remove them at once.
        let dir = std::env::temp_dir().join(format!(
            "collaudo-tls-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let loaded = (|| {
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let ca = dir.join("ca.crt");
            std::fs::write(&ca, &t.ca.cert_pem).map_err(|e| e.to_string())?;
            let (cert, key) = t.client.write(&dir, "nodo").map_err(|e| e.to_string())?;
            collaudo_nodo::TlsSettings::load(&collaudo_nodo::TlsOptions {
                ca: Some(ca),
                ca_only: true,
                client_cert: Some(cert),
                client_key: Some(key),
                server_name: None,
                insecure_skip_verify: false,
            })
            .map_err(|e| e.to_string())
        })();
        let _ = std::fs::remove_dir_all(&dir);
        let tls = loaded.map_err(|e| {
            format!("cannot set up the Nodo's TLS toward the embedded station: {e}")
        })?;
        Ok(EmbeddedTls {
            server,
            connection: std::sync::Arc::new(collaudo_nodo::Connection {
                tls: Some(tls.described_as(
                    "verified against the embedded run's throw-away CA; the Nodo's throw-away client certificate",
                )),
                ..collaudo_nodo::Connection::default()
            }),
        })
    }
}

async fn start_station(
    config: StationConfig,
    tls: Option<std::sync::Arc<collaudo_certs::rustls::ServerConfig>>,
) -> Result<StationHandle, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1 for the embedded station: {e}"))?;
    let started = match tls {
        Some(tls) => collaudo_station::start_tls(config, listener, tls).await,
        None => collaudo_station::start(config, listener).await,
    };
    started.map_err(|e| {
        format!(
            "cannot start the embedded station: {}",
            crate::diagnostic::chain(&e)
        )
    })
}

/// Cases in flight against a station the user runs: enough that a station answering in
/// seconds does not make the suite last the sum of its cases, few enough not to look like a
/// load test to a real EC back end.
const DEFAULT_JOBS_EXTERNAL: usize = 4;

/// Cases in flight against the embedded station: fresh stations on loopback, so as many as
/// keep the cores busy while others wait on I/O.
fn default_jobs_embedded() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

/// The key the embedded station uses toward the mock ACA.
const EMBEDDED_ACA_KEY: &str = "collaudo-embedded-station";

/// The key the embedded station uses toward the mock GPD (scoped to its EC, as a real EC's
/// subscription key is).
const EMBEDDED_GPD_KEY: &str = "collaudo-embedded-gpd";

/// The Nodo's view of a reference station's back office (ECs and IBANs).
pub(crate) fn backoffice_of(bo: &collaudo_station::BackOffice) -> BackOffice {
    let mut out = BackOffice::default();
    for ec in &bo.ecs {
        out = out.with_ec(&ec.fiscal_code, Some(&ec.company_name));
        if let Some(info) = out.ecs.get_mut(&ec.fiscal_code) {
            info.enabled = ec.enabled;
        }
        for i in &ec.ibans {
            out = out.with_iban(&ec.fiscal_code, &i.iban, i.postal);
        }
    }
    out
}

impl Embedded {
    /// The mock ACA of one case, knowing the station's ECs and IBANs, stamping calls with the
    /// case's clock. Started before the station, so the station can register its positions
    /// at start-up (DOMAIN.md §8).
    async fn start_aca(
        &self,
        clock: std::sync::Arc<collaudo_nodo::VirtualClock>,
    ) -> Result<collaudo_nodo::aca::AcaHandle, String> {
        let probe_state = collaudo_station::StationState::new(self.config.clone())
            .map_err(|e| format!("cannot seed the embedded station: {e}"))?;
        let aca_config = collaudo_nodo::aca::AcaConfig {
            backoffice: backoffice_of(probe_state.back_office()),
            ..collaudo_nodo::aca::AcaConfig::new(clock as std::sync::Arc<dyn collaudo_nodo::Clock>)
                .with_key(EMBEDDED_ACA_KEY)
        };
        let aca_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot bind 127.0.0.1 for the mock ACA: {e}"))?;
        collaudo_nodo::aca::start(aca_config, aca_listener)
            .await
            .map_err(|e| {
                format!(
                    "cannot start the mock ACA: {}",
                    crate::diagnostic::chain(&e)
                )
            })
    }
}

impl Embedded {
    /// The mock GPD of one case, on the case's clock, accepting the embedded station's key for
    /// its EC only and the IBANs of its back office. Started before the station, which is
    /// pointed at it.
    async fn start_gpd(
        &self,
        clock: std::sync::Arc<collaudo_nodo::VirtualClock>,
    ) -> Result<collaudo_nodo::gpd::GpdHandle, String> {
        let probe_state = collaudo_station::StationState::new(self.config.clone())
            .map_err(|e| format!("cannot seed the embedded station: {e}"))?;
        let config =
            collaudo_nodo::gpd::GpdConfig::new(clock as std::sync::Arc<dyn collaudo_nodo::Clock>)
                .with_scoped_key(EMBEDDED_GPD_KEY, [self.config.id_pa.clone()])
                .with_backoffice(backoffice_of(probe_state.back_office()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot bind 127.0.0.1 for the mock GPD: {e}"))?;
        collaudo_nodo::gpd::start(config, listener)
            .await
            .map_err(|e| {
                format!(
                    "cannot start the mock GPD: {}",
                    crate::diagnostic::chain(&e)
                )
            })
    }
}

impl StationProvider for Embedded {
    type Lease = EmbeddedLease;

    async fn instance(
        &self,
        clock: std::sync::Arc<collaudo_nodo::VirtualClock>,
        needs: engine::Needs,
    ) -> Result<(StationInstance, EmbeddedLease), String> {
        // Only what the case uses is started: a case that never looks at ACA does not pay for
        // the mock ACA and the station's start-up registrations, nor one without broadcast
        // receipts for the second station.
        let gpd = if needs.gpd {
            Some(self.start_gpd(clock.clone()).await?)
        } else {
            None
        };
        let gpd_link = gpd.as_ref().map(|g| engine::GpdLink {
            state: g.state().clone(),
            url: g.base_url(collaudo_nodo::gpd::Api::DebtPositionsV1),
            key: EMBEDDED_GPD_KEY.to_string(),
        });
        let aca = if needs.aca {
            Some(self.start_aca(clock).await?)
        } else {
            None
        };
        let tls = if needs.tls {
            Some(
                self.tls
                    .get_or_try_init(|| async { EmbeddedTls::generate() })
                    .await?,
            )
        } else {
            None
        };
        let connection = tls.map(|t| t.connection.clone());
        let handle = start_station(
            StationConfig {
                aca: aca.as_ref().map(|aca| collaudo_station::AcaTarget {
                    // ACA-007 checks that a failed update is retried, not how long the station
                    // waits before retrying.
                    retry_backoff: Duration::from_millis(1),
                    ..collaudo_station::AcaTarget::new(aca.endpoint(), EMBEDDED_ACA_KEY)
                }),
                gpd: gpd_link
                    .as_ref()
                    .map(|g| collaudo_station::GpdTarget::new(g.url.clone(), g.key.clone())),
                ..self.config.clone()
            },
            tls.map(|t| t.server.clone()),
        )
        .await?;
        let mut current = vec![handle];
        let mut broadcast = Vec::new();
        if needs.broadcast {
            let secondary = collaudo_station::SECONDARY_EC_FISCAL_CODE;
            let broadcast_handle = start_station(
                StationConfig {
                    id_pa: secondary.to_string(),
                    id_broker_pa: secondary.to_string(),
                    id_station: format!("{secondary}_01"),
                    company_name: "Provincia di Collaudo".into(),
                    // The secondary EC's station only receives broadcast receipts here; its own
                    // fixtures are not part of the run, so it does not register them in ACA.
                    aca: None,
                    ..self.config.clone()
                },
                None,
            )
            .await?;
            broadcast.push(BroadcastStation {
                fiscal_code: secondary.to_string(),
                url: broadcast_handle.url.clone(),
                caller: Caller {
                    id_pa: secondary.to_string(),
                    id_broker_pa: secondary.to_string(),
                    id_station: format!("{secondary}_01"),
                },
                // The secondary EC's station is configured for paSendRT V1, so fan-out
                // exercises both versions.
                v2: false,
                state: Some(broadcast_handle.state().clone()),
            });
            current.push(broadcast_handle);
        }
        let handle = &current[0];
        let pool = handle
            .fixtures()
            .all_notices()
            .into_iter()
            .map(|(role, notices)| (role.name().to_string(), notices))
            .collect();
        let bo = backoffice_of(handle.back_office());
        let inst = StationInstance {
            url: handle.url.clone(),
            pool,
            fixtures: BTreeMap::new(),
            long_lived: false,
            backoffice: bo,
            actions: Actions::Embedded(handle.state().clone()),
            broadcast,
            aca: aca.as_ref().map(|a| a.state().clone()),
            connection,
            gpd: gpd_link,
        };
        Ok((
            inst,
            EmbeddedLease {
                stations: current,
                aca,
                gpd,
            },
        ))
    }

    async fn release(&self, lease: EmbeddedLease) {
        for h in lease.stations {
            let _ = h.shutdown().await;
        }
        if let Some(a) = lease.aca {
            let _ = a.shutdown().await;
        }
        if let Some(g) = lease.gpd {
            let _ = g.shutdown().await;
        }
    }

    fn pool(&self) -> Option<BTreeMap<String, Vec<String>>> {
        None
    }
}

/// A station the user runs (and, when `[aca]` is configured, the mock ACA its EC calls).
struct External {
    instance: StationInstance,
    _aca: Option<collaudo_nodo::aca::AcaHandle>,
    _gpd: Option<collaudo_nodo::gpd::GpdHandle>,
}

impl StationProvider for External {
    type Lease = ();

    async fn instance(
        &self,
        _clock: std::sync::Arc<collaudo_nodo::VirtualClock>,
        _needs: engine::Needs,
    ) -> Result<(StationInstance, ()), String> {
        Ok((self.instance.clone(), ()))
    }

    async fn release(&self, _lease: ()) {}

    fn pool(&self) -> Option<BTreeMap<String, Vec<String>>> {
        Some(self.instance.pool.clone())
    }
}

/// The raw bytes of every exchange of the run, for the HTML report, from the journal's memory
/// when the run has finished: exactly what `journal.jsonl` holds, without parsing it back.
fn exchange_details(journal: &collaudo_nodo::Journal) -> collaudo_reports::html::ExchangeDetails {
    journal
        .entries()
        .into_iter()
        .map(|e| {
            let (status, headers, body) = match e.response {
                Some(r) => (Some(r.status), r.headers, Some(r.body)),
                None => (None, Vec::new(), None),
            };
            (
                e.seq,
                collaudo_reports::html::ExchangeDetail {
                    request_headers: e.request_headers,
                    request_body: e.request_body,
                    response_status: status,
                    response_headers: headers,
                    response_body: body,
                    transport_error: e.transport_error.map(|t| t.to_string()),
                    injected_fault: e.injected_fault,
                    real_started_at: e.real_started_at,
                },
            )
        })
        .collect()
}

/// `host:port` of an `http://` or `https://` URL, for the preflight connection.
fn authority(url: &str) -> Result<String, String> {
    let (rest, default_port) = if let Some(r) = url.strip_prefix("http://") {
        (r, 80)
    } else if let Some(r) = url.strip_prefix("https://") {
        (r, 443)
    } else {
        return Err(format!(
            "station URL `{url}` must start with http:// or https://"
        ));
    };
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = host_port.rsplit('@').next().unwrap_or(host_port);
    if host_port.is_empty() {
        return Err(format!("station URL `{url}` has no host"));
    }
    let has_port = match host_port.rfind(':') {
        Some(i) => !host_port[i..].contains(']'),
        None => false,
    };
    Ok(if has_port {
        host_port.to_string()
    } else {
        format!("{host_port}:{default_port}")
    })
}

/// One connection to the station before the suite: a station that is not there would
/// otherwise show up as a failure of every case.
async fn preflight(url: &str) -> Result<(), String> {
    let addr = authority(url)?;
    match tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(&addr),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "could not connect to {url} ({addr}: {e}): is the station running? (--no-preflight runs the suite anyway)"
        )),
        Err(_) => Err(format!(
            "could not connect to {url} ({addr}: no answer in 5 s): is the station running? (--no-preflight runs the suite anyway)"
        )),
    }
}

fn usage(err: &mut dyn Write, msg: impl std::fmt::Display) -> i32 {
    let _ = writeln!(err, "error: {msg}");
    exit::USAGE
}

/// Run the suite. Output: progress and summary on `err` (stderr), nothing on stdout.
pub async fn run(args: RunArgs, env: impl Fn(&str) -> Option<String>, err: &mut dyn Write) -> i32 {
    collaudo_nodo::tls::install_default_provider();
    // ---- configuration: file, then environment, then flags ----
    let default_path = PathBuf::from("collaudo.toml");
    let config_path = args
        .config
        .clone()
        .or_else(|| default_path.is_file().then(|| default_path.clone()));
    let (mut cfg, cfg_text) = match &config_path {
        Some(p) => match config::load(p) {
            Ok(c) => (c, std::fs::read(p).unwrap_or_default()),
            Err(problem) => {
                let _ = write!(err, "{}", problem.render());
                return exit::USAGE;
            }
        },
        None => (ConfigFile::default(), Vec::new()),
    };
    if let Err(e) = config::apply_env(&mut cfg, &env) {
        return usage(err, e);
    }
    if let Some(url) = &args.station {
        cfg.station.url = Some(url.clone());
    }
    // The embedded station runs only when asked for: a CI gate whose station URL went missing
    // (an empty secret, a config without [station] url) must not go green against it.
    let wants_embedded = args.embedded || args.profile.is_some();
    match (&cfg.station.url, wants_embedded) {
        (Some(_), true) => {
            return usage(
                err,
                "--embedded and --profile run the embedded reference station: drop them, or drop --station / [station] url / COLLAUDO_STATION_URL",
            );
        }
        (None, false) if env("COLLAUDO_STATION_URL").is_some() => {
            return usage(
                err,
                "COLLAUDO_STATION_URL is set but empty (a missing CI secret?): set it to your station's URL, or pass --embedded to run the embedded reference station",
            );
        }
        (None, false) if config_path.is_some() => {
            return usage(
                err,
                format!(
                    "{} names no station: set [station] url (or COLLAUDO_STATION_URL, or --station URL), or pass --embedded to run the embedded reference station",
                    config_path
                        .as_ref()
                        .map_or(String::new(), |p| p.display().to_string())
                ),
            );
        }
        _ => {}
    }
    if let Some(url) = &cfg.station.url {
        if let Err(e) = authority(url) {
            return usage(err, e);
        }
    }
    if args.timeout_ms == Some(0) {
        return usage(err, "--timeout-ms must be at least 1");
    }
    if args.jobs == Some(0) {
        return usage(err, "--jobs must be at least 1");
    }
    let budget = match &args.budget {
        None => None,
        Some(text) => match crate::scenario::parse_duration(text) {
            Some(d) if !d.is_zero() => Some((d, text.clone())),
            _ => {
                return usage(
                    err,
                    format!("--budget {text}: expected a duration such as 90s, 10m or 1h"),
                );
            }
        },
    };
    for (key, ms) in [
        ("sync_ms", cfg.timeouts.sync_ms),
        ("receipt_ms", cfg.timeouts.receipt_ms),
    ] {
        if ms == Some(0) {
            return usage(err, format!("[timeouts] {key} must be at least 1"));
        }
    }
    // TLS files, gateway headers and the proxy are read and checked now: a mistake there is
    // the user's configuration, not something to discover in every case.
    let source = config::Source {
        file: config_path
            .as_ref()
            .map_or(String::new(), |p| p.display().to_string()),
        text: String::from_utf8_lossy(&cfg_text).into_owned(),
        dir: config_path
            .as_ref()
            .and_then(|p| p.parent())
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default(),
    };
    let connection = match config::connection(&cfg, &source, &env) {
        Ok(c) => std::sync::Arc::new(c),
        Err(problem) => {
            let _ = write!(err, "{}", problem.render());
            return exit::USAGE;
        }
    };
    let seed = args.seed.or(cfg.run.seed).unwrap_or(42);
    let profile: Profile = match args.profile.as_deref().map(str::parse) {
        None => Profile::Conformant,
        Some(Ok(p)) => p,
        Some(Err(e)) => return usage(err, e),
    };
    let station_defaults = StationConfig::default();
    let caller = Caller {
        id_pa: cfg
            .station
            .id_pa
            .clone()
            .unwrap_or(station_defaults.id_pa.clone()),
        id_broker_pa: cfg
            .station
            .id_broker_pa
            .clone()
            .unwrap_or(station_defaults.id_broker_pa.clone()),
        id_station: cfg
            .station
            .id_station
            .clone()
            .unwrap_or(station_defaults.id_station.clone()),
    };
    let mut timeouts = Timeouts::nodo();
    if let Some(ms) = cfg.timeouts.sync_ms {
        for p in [
            Primitive::VerifyPaymentNotice,
            Primitive::GetPayment,
            Primitive::GetPaymentV2,
            Primitive::DemandPaymentNotice,
        ] {
            timeouts = timeouts.with(p, Duration::from_millis(ms));
        }
    }
    if let Some(ms) = cfg.timeouts.receipt_ms {
        for p in [Primitive::SendRt, Primitive::SendRtV2] {
            timeouts = timeouts.with(p, Duration::from_millis(ms));
        }
    }
    if let Some(ms) = args.timeout_ms {
        timeouts = Timeouts::uniform(Duration::from_millis(ms));
    }
    // The same client every case builds, built once now: a URL the HTTP stack refuses is a
    // usage error here instead of an error in every case.
    if let Some(url) = &cfg.station.url {
        let probe = collaudo_nodo::NodoClient::new(
            collaudo_nodo::StationTarget {
                url: url.clone(),
                caller: caller.clone(),
                soap_action_style: collaudo_nodo::SoapActionStyle::Quoted,
            },
            connection.clone(),
            timeouts.clone(),
            std::sync::Arc::new(collaudo_nodo::SystemClock),
            std::sync::Arc::new(collaudo_nodo::Journal::in_memory()),
        );
        if let Err(e) = probe {
            return usage(err, e);
        }
    }
    let mut tls_warnings = Vec::new();
    if connection.is_insecure() {
        let warning = "TLS certificate verification is OFF ([station.tls] insecure_skip_verify = true): the station's certificate was not checked, so this run is no evidence that the Nodo could connect to it".to_string();
        let _ = writeln!(err, "WARNING: {warning}");
        tls_warnings.push(warning);
    }
    let mut policy = CheckPolicy::default();
    if let Some(code) = &cfg.checks.unknown_iban_code {
        policy.unknown_iban_code = FaultCode::parse(code.get_ref());
    }
    // Without back-office data every IBAN of an external station would look unregistered.
    policy.check_ibans = cfg
        .checks
        .check_ibans
        .unwrap_or(cfg.station.url.is_none() || cfg.backoffice.is_some());
    policy.check_secondary_ecs = cfg.station.url.is_none() || cfg.backoffice.is_some();

    // ---- scenarios ----
    let mut dirs = cfg.run.scenarios.clone();
    dirs.extend(args.scenarios.iter().cloned());
    let catalogue = match Catalogue::with_dirs(&dirs, true) {
        Ok(c) => c,
        Err(e) => return usage(err, e),
    };
    if catalogue.has_errors() {
        for p in &catalogue.problems {
            let _ = write!(err, "{}", p.render());
        }
        let _ = writeln!(
            err,
            "error: fix the scenario files above (`collaudo check` shows the same without running)"
        );
        return exit::USAGE;
    }
    let selected = catalogue.select(&args.only);
    if selected.is_empty() {
        let _ = writeln!(
            err,
            "no scenario matches --only {} (see `collaudo list`)",
            args.only.join(",")
        );
        return exit::NOTHING_SELECTED;
    }

    let external = cfg.station.url.clone();
    if let (Some(url), false) = (&external, args.no_preflight) {
        if let Err(e) = preflight(url).await {
            let _ = writeln!(err, "error: {e}");
            return exit::HARNESS;
        }
    }

    // ---- reports ----
    // Chosen so that two runs never mix (see outdir.rs): a fresh default folder, an empty or
    // new --out, or a previous run's folder replaced as a whole at the end.
    let out = match args.out.clone().or_else(|| cfg.run.out.clone()) {
        Some(dir) => crate::outdir::OutDir::named(&dir),
        None => crate::outdir::OutDir::unique_under(
            std::path::Path::new("collaudo-report"),
            &timestamp_dir(),
        ),
    };
    let out = match out {
        Ok(o) => o,
        Err(e) => return usage(err, e),
    };
    let out_dir = out.work().to_path_buf();
    let formats = if args.reports.is_empty() {
        ReportFormat::ALL.to_vec()
    } else {
        args.reports.clone()
    };
    let journal_file = out_dir.join("journal.jsonl");
    let mut journal_error = None;
    let journal = std::sync::Arc::new(match collaudo_nodo::Journal::create(&journal_file) {
        Ok(j) => j,
        Err(e) => {
            // The run still judges the station, and every report says what went wrong.
            journal_error = Some(format!(
                "cannot create the journal {}: {e}",
                journal_file.display()
            ));
            collaudo_nodo::Journal::in_memory()
        }
    });
    let journal_for_html = journal.clone();
    let files = match FileReporters::new(&out_dir, &formats) {
        Ok(f) => f
            .with_exchange_details(Box::new(move || exchange_details(&journal_for_html)))
            .with_junit_dialect(if args.junit_strict {
                collaudo_reports::junit::Dialect::Strict
            } else {
                collaudo_reports::junit::Dialect::Extended
            }),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            out.abandon();
            return exit::HARNESS;
        }
    };
    let mut reporters = Reporters::new();
    let captured = SharedBuf::default();
    if args.live_console {
        // -v prints between the case lines: no progress bar to draw over them.
        reporters.push(Box::new(ConsoleReporter::stderr(
            args.no_progress || args.verbose,
        )));
    } else {
        reporters.push(Box::new(ConsoleReporter::new(
            Box::new(captured.clone()),
            true,
        )));
    }
    reporters.push(Box::new(files));
    if args.verbose {
        reporters.push(crate::evidence::verbose::reporter(
            &out_dir,
            if args.live_console {
                Box::new(std::io::stderr())
            } else {
                Box::new(captured.clone())
            },
        ));
    }

    let info = RunInfo {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id: format!("run-{}-{:x}", timestamp_dir(), std::process::id()),
        seed,
        started_at: engine_now(),
        station_url: external
            .clone()
            .unwrap_or_else(|| "embedded reference station (fresh per scenario, 127.0.0.1)".into()),
        station_kind: if external.is_some() {
            "external".into()
        } else {
            format!("embedded reference station, profile {profile}")
        },
        config_digest: sha256(&cfg_text),
        catalogue_digest: format!("sha256:{}", collaudo_scenarios::DIGEST),
        extra_scenarios: dirs.iter().map(|d| d.display().to_string()).collect(),
        clock: "virtual".into(),
        id_pa: caller.id_pa.clone(),
        id_broker_pa: caller.id_broker_pa.clone(),
        id_station: caller.id_station.clone(),
        tls_mode: connection.tls_mode().map(str::to_string),
        warnings: tls_warnings,
    };
    // A version in [station] is the one the Nodo is configured to call the station with: cases
    // pinned to the other one are skipped. Unset: the station answers both, V2 by default.
    let get_payment_only = cfg
        .station
        .get_payment_version
        .as_ref()
        .map(|v| *v.get_ref());
    let send_rt_only = cfg.station.send_rt_version.as_ref().map(|v| *v.get_ref());
    let get_payment_version = get_payment_only.unwrap_or(2);
    let send_rt_version = send_rt_only.unwrap_or(2);
    let engine_cfg = EngineConfig {
        caller: caller.clone(),
        get_payment_version,
        send_rt_version,
        timeouts,
        connection,
        policy,
        segregation_codes: if cfg.station.segregation_codes.is_empty() && external.is_none() {
            vec!["01".into()]
        } else {
            cfg.station.segregation_codes.clone()
        },
        demand: (
            cfg.demand
                .id_servizio
                .clone()
                .unwrap_or_else(|| "00001".into()),
            cfg.demand
                .id_soggetto_servizio
                .clone()
                .unwrap_or_else(|| "00042".into()),
            cfg.demand.service_data.clone().unwrap_or_else(|| {
                "<servizio><targa>AB123CD</targa><importo>25.00</importo></servizio>".into()
            }),
        ),
        seed,
        retry: collaudo_nodo::RetryPolicy {
            max_attempts: cfg
                .receipts
                .max_attempts
                .unwrap_or(collaudo_nodo::RetryPolicy::default().max_attempts),
            interval: cfg
                .receipts
                .interval
                .as_ref()
                .and_then(|i| crate::scenario::parse_duration(i.get_ref()))
                .unwrap_or(Duration::from_secs(3600)),
            duplicate_is_final: cfg.receipts.duplicate_is_final.unwrap_or(true),
        },
        journal,
        interrupt: args.interrupt.clone(),
        features: engine::Features {
            // The embedded reference station offers every feature.
            demand: external.is_none()
                || cfg.demand.id_servizio.is_some()
                || cfg.demand.service_data.is_some(),
            backoffice: external.is_none() || cfg.backoffice.is_some(),
            get_payment_only,
            send_rt_only,
        },
        standin_rules: cfg.standin.clone().unwrap_or_default(),
        info,
    };
    let schedule = engine::Schedule {
        jobs: args.jobs.unwrap_or(if external.is_some() {
            DEFAULT_JOBS_EXTERNAL
        } else {
            default_jobs_embedded()
        }),
        fail_fast: args.fail_fast,
        budget,
    };
    if let Err(e) = out.mark(&engine_cfg.info.run_id) {
        let _ = writeln!(err, "error: {e}");
        out.abandon();
        return exit::HARNESS;
    }
    let _ = writeln!(
        err,
        "collaudo {} · seed {seed} · {} scenario{} · station: {} · reports: {}{}",
        env!("CARGO_PKG_VERSION"),
        selected.len(),
        if selected.len() == 1 { "" } else { "s" },
        engine_cfg.info.station_kind,
        out.target().display(),
        if out.is_staged() {
            format!(
                " (replacing the previous run there at the end; written to {} until then)",
                out_dir.display()
            )
        } else {
            String::new()
        }
    );
    let mut outcome = match external {
        None => {
            let provider = Embedded {
                config: StationConfig {
                    id_pa: caller.id_pa.clone(),
                    id_broker_pa: caller.id_broker_pa.clone(),
                    id_station: caller.id_station.clone(),
                    profile,
                    seed,
                    ..StationConfig::default()
                },
                tls: tokio::sync::OnceCell::new(),
            };
            engine::run(&engine_cfg, &selected, &provider, &schedule, &mut reporters).await
        }
        Some(url) => {
            let aca = match &cfg.aca {
                None => None,
                Some(a) => {
                    let mut config = collaudo_nodo::aca::AcaConfig {
                        // Without [backoffice] the mock ACA still knows the EC under test, so
                        // its own paCreatePosition calls are accepted.
                        backoffice: cfg
                            .backoffice
                            .clone()
                            .unwrap_or_else(|| BackOffice::default().with_ec(&caller.id_pa, None)),
                        standin_ibans: a.standin_ibans.clone(),
                        journal_path: Some(out_dir.join("aca.jsonl")),
                        ..collaudo_nodo::aca::AcaConfig::default()
                    };
                    config = config.with_key(a.subscription_key.clone());
                    match collaudo_nodo::aca::bind(config, a.listen).await {
                        Ok(h) => {
                            let _ = writeln!(err, "mock ACA listening on {}", h.endpoint());
                            Some(h)
                        }
                        Err(e) => {
                            let _ = writeln!(
                                err,
                                "error: cannot serve the mock ACA: {}",
                                crate::diagnostic::chain(&e)
                            );
                            return exit::HARNESS;
                        }
                    }
                }
            };
            let gpd = match &cfg.gpd {
                None => None,
                Some(g) => {
                    // The run's one mock GPD, on the wall clock as the EC's own is, for the EC
                    // under test only, knowing the IBANs of [backoffice] when given.
                    let mut config = collaudo_nodo::gpd::GpdConfig::default()
                        .with_scoped_key(g.subscription_key.clone(), [caller.id_pa.clone()]);
                    match &cfg.backoffice {
                        Some(bo) => config = config.with_backoffice(bo.clone()),
                        None => config.check_iban = false,
                    }
                    match collaudo_nodo::gpd::bind(config, g.listen).await {
                        Ok(h) => {
                            let _ = writeln!(
                                err,
                                "mock GPD listening on {}",
                                h.base_url(collaudo_nodo::gpd::Api::DebtPositionsV1)
                            );
                            Some(h)
                        }
                        Err(e) => {
                            let _ = writeln!(
                                err,
                                "error: cannot serve the mock GPD: {}",
                                crate::diagnostic::chain(&e)
                            );
                            return exit::HARNESS;
                        }
                    }
                }
            };
            let pool: BTreeMap<String, Vec<String>> = cfg
                .fixtures
                .iter()
                .map(|(k, v)| (k.clone(), v.get_ref().0.clone()))
                .collect();
            let provider = External {
                instance: StationInstance {
                    url,
                    pool,
                    fixtures: BTreeMap::new(),
                    long_lived: true,
                    backoffice: cfg.backoffice.clone().unwrap_or_default(),
                    actions: Actions::Hooks {
                        hooks: cfg.ec.actions.clone(),
                        interactive: args.live_console
                            && !args.non_interactive
                            && std::io::IsTerminal::is_terminal(&std::io::stdin())
                            && std::io::IsTerminal::is_terminal(&std::io::stderr()),
                    },
                    broadcast: cfg
                        .broadcast
                        .iter()
                        .map(|b| BroadcastStation {
                            fiscal_code: b.fiscal_code.clone(),
                            url: b.url.clone(),
                            caller: Caller {
                                id_pa: b.fiscal_code.clone(),
                                id_broker_pa: b
                                    .id_broker_pa
                                    .clone()
                                    .unwrap_or_else(|| b.fiscal_code.clone()),
                                id_station: b.id_station.clone(),
                            },
                            v2: b.send_rt_version.unwrap_or(2) == 2,
                            state: None,
                        })
                        .collect(),
                    aca: aca.as_ref().map(|h| h.state().clone()),
                    connection: None,
                    gpd: gpd.as_ref().map(|h| engine::GpdLink {
                        state: h.state().clone(),
                        url: h.base_url(collaudo_nodo::gpd::Api::DebtPositionsV1),
                        key: cfg
                            .gpd
                            .as_ref()
                            .map(|g| g.subscription_key.clone())
                            .unwrap_or_default(),
                    }),
                },
                _aca: aca,
                _gpd: gpd,
            };
            engine::run(&engine_cfg, &selected, &provider, &schedule, &mut reporters).await
        }
    };
    drop(reporters);
    {
        let buf = captured
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = err.write_all(&buf);
    }
    outcome.harness_errors.extend(journal_error);
    for e in &outcome.harness_errors {
        let _ = writeln!(err, "error: {e}");
    }
    // Evidence asked for and not written: the run is not the proof it should be (exit 3
    // unless the station failed, which still decides). Made in the run's own folder, before it
    // is swapped into place, so the bundle is part of the run.
    let evidence_ok =
        !args.evidence || crate::evidence::after_run(&out_dir, config_path.as_deref(), err);
    match out.finish() {
        Ok(dir) => {
            let _ = writeln!(err, "reports written to {}", dir.display());
            match exit_code(&outcome, err) {
                exit::OK if !evidence_ok => exit::HARNESS,
                code => code,
            }
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            // The evidence is not where the user looks: never a green gate, but a station
            // failure found stays a failure.
            match exit_code(&outcome, err) {
                exit::OK => exit::HARNESS,
                code => code,
            }
        }
    }
}

/// A station failure is never hidden by a harness error: 1 when any case failed, 3 only when
/// nothing failed and something could not be judged.
fn exit_code(outcome: &engine::RunOutcome, err: &mut dyn Write) -> i32 {
    if let Some(signal) = outcome.interrupted {
        let unfinished = outcome
            .result
            .cases
            .iter()
            .filter(|c| {
                c.reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("interrupted"))
            })
            .count();
        let failed = collaudo_reports::json::Tally::of(&outcome.result.cases)
            .evidence
            .failed;
        let _ = writeln!(
            err,
            "interrupted by {signal}: {unfinished} case{} not finished (errors in the reports); {failed} failed before",
            if unfinished == 1 { "" } else { "s" }
        );
        // Ctrl-C: the shell convention. SIGTERM (a CI timeout): a station failure found
        // before the stop still fails the gate as a failure; otherwise the run is an error.
        return match signal {
            crate::interrupt::Signal::Int => exit::INTERRUPTED,
            crate::interrupt::Signal::Term if failed > 0 => exit::FAILED,
            crate::interrupt::Signal::Term => exit::HARNESS,
        };
    }
    // Simulator demonstrations are not evidence about the station: one that fails means the
    // simulator misbehaved, which is collaudo's error, never the station's failure.
    let tally = collaudo_reports::json::Tally::of(&outcome.result.cases);
    let s = &tally.evidence;
    let errored = s.errors
        + tally.demonstrations.failed
        + tally.demonstrations.errors
        + outcome.harness_errors.len();
    // A run cut short by --budget judged only part of the selection: never a green gate.
    let budget_cut = match &outcome.cut_short {
        Some(engine::CutShort::Budget(budget)) => {
            let not_run = outcome
                .result
                .cases
                .iter()
                .filter(|c| {
                    c.reason
                        .as_deref()
                        .is_some_and(|r| r.starts_with("not run:"))
                })
                .count();
            let _ = writeln!(
                err,
                "the --budget of {budget} was spent: {not_run} case{} not run (skipped in the reports)",
                if not_run == 1 { "" } else { "s" }
            );
            true
        }
        Some(engine::CutShort::FailFast(after)) => {
            let _ = writeln!(
                err,
                "--fail-fast: no case started after {after} did not pass"
            );
            false
        }
        None => false,
    };
    if s.failed > 0 {
        if errored > 0 {
            let _ = writeln!(
                err,
                "exit 1: the station failed {} case{}; collaudo also could not judge {} case{} or report{} (errors above)",
                s.failed,
                if s.failed == 1 { "" } else { "s" },
                errored,
                if errored == 1 { "" } else { "s" },
                if errored == 1 { "" } else { "s" },
            );
        }
        exit::FAILED
    } else if errored > 0 || budget_cut {
        exit::HARNESS
    } else {
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_urls_give_the_address_to_connect_to() {
        assert_eq!(authority("http://h:81/p").unwrap(), "h:81");
        assert_eq!(authority("http://h/p").unwrap(), "h:80");
        assert_eq!(authority("https://u:p@h/p?q").unwrap(), "h:443");
        assert_eq!(authority("http://[::1]:8080/x").unwrap(), "[::1]:8080");
        assert_eq!(authority("http://[::1]/x").unwrap(), "[::1]:80");
        assert!(authority("ftp://h/").is_err());
        assert!(authority("http:///p").is_err());
    }
}
