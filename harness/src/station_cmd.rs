//! `collaudo station`: run the reference EC station standalone, as an example for EC teams and
//! as a target for manual tests; `--print-config` writes the collaudo.toml that tests it. With
//! `--tls-cert`/`--tls-key` it speaks HTTPS, and with `--client-ca` it requires mutual TLS, as a
//! station behind the pagoPA forwarder does (DOMAIN.md §1, CON-001).

use crate::exit;
use collaudo_station::{Profile, StationConfig, StationState};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The PEM files of `--tls-cert`, `--tls-key` and `--client-ca`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The station's certificate chain, leaf first.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// When set, a client must present a certificate issued by this CA (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

impl TlsFiles {
    /// The server configuration, or an error that names the file at fault.
    ///
    /// # Errors
    /// The file is unreadable, holds no certificate or key, or the key is not the
    /// certificate's.
    pub fn load(&self) -> Result<Arc<collaudo_certs::rustls::ServerConfig>, String> {
        collaudo_certs::server_config(&self.cert, &self.key, self.client_ca.as_deref())
            .map_err(|e| e.to_string())
    }
}

/// The notices per role a station needs: `requested`, or as many as a full run of the built-in
/// suite pays of its busiest role (`collaudo plan` shows the count per role).
pub fn copies(requested: Option<usize>) -> Result<usize, String> {
    let max = collaudo_station::positions::MAX_COPIES;
    match requested {
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(format!("--copies must be between 1 and {max}, not {n}")),
        None => {
            let cat = crate::scenario::Catalogue::with_dirs(&[] as &[std::path::PathBuf], true)
                .map_err(|e| format!("cannot read the built-in suite: {e}"))?;
            let needed = crate::fixtures::needed(cat.scenarios.iter().map(|(s, _)| s));
            Ok(needed.values().copied().max().unwrap_or(1).clamp(1, max))
        }
    }
}

fn config(profile: Profile, seed: u64, copies: usize) -> StationConfig {
    StationConfig {
        profile,
        seed,
        copies,
        ..StationConfig::default()
    }
}

/// Start the station on `listen` (over HTTPS with `tls`) and serve until Ctrl-C.
#[allow(clippy::too_many_arguments)]
pub async fn serve(
    listen: SocketAddr,
    profile: Profile,
    seed: u64,
    copies: usize,
    latency: std::time::Duration,
    tls: Option<&TlsFiles>,
    out: &mut dyn Write,
) -> i32 {
    let station = StationConfig {
        latency,
        ..config(profile, seed, copies)
    };
    let started = match tls.map(TlsFiles::load).transpose() {
        Err(e) => {
            let _ = writeln!(out, "error: {e}");
            return exit::USAGE;
        }
        Ok(None) => collaudo_station::bind(station, listen).await,
        Ok(Some(tls)) => collaudo_station::bind_tls(station, listen, tls).await,
    };
    let handle = match started {
        Ok(h) => h,
        Err(e) => {
            let _ = writeln!(out, "error: {}", crate::diagnostic::chain(&e));
            return exit::HARNESS;
        }
    };
    // Listening before the first line is printed: a supervisor that reads the address and
    // sends SIGTERM at once gets the graceful stop, not the default action of the signal.
    let interrupt = crate::interrupt::Interrupt::listen();
    // The address actually bound: the port the OS chose for port 0, the wildcard as asked.
    let _ = writeln!(
        out,
        "reference station ({profile}) listening on {} (station URL: {})",
        handle.addr, handle.url
    );
    if let Some(tls) = tls {
        let _ = writeln!(
            out,
            "TLS: certificate {}{}",
            tls.cert.display(),
            match &tls.client_ca {
                Some(ca) => format!(
                    ", client certificate required (mutual TLS), issued by {}",
                    ca.display()
                ),
                None => String::new(),
            }
        );
    }
    let _ = writeln!(
        out,
        "admin API: {base}/_collaudo/positions, fixtures: {base}/_collaudo/fixtures/notices, fresh notices: POST {base}/_collaudo/fixtures/fresh",
        base = handle.base_url(),
    );
    let _ = writeln!(
        out,
        "fixture roles ({copies} notice{} each; the first shown):",
        if copies == 1 { "" } else { "s" }
    );
    for f in handle.fixtures().iter() {
        let _ = writeln!(
            out,
            "  {:<20} {} ({}, {})",
            f.role.name(),
            f.notice_number,
            f.amount,
            f.state
        );
    }
    let _ = writeln!(
        out,
        "a collaudo.toml for it: collaudo station --listen {} --print-config (same --seed, --profile, --copies{})",
        handle.addr,
        if tls.is_some() { ", TLS flags" } else { "" }
    );
    let _ = writeln!(out, "press Ctrl-C (or send SIGTERM) to stop");
    let _ = out.flush();
    // Ctrl-C or SIGTERM (a container or service manager stopping it): in-flight answers finish.
    let _ = interrupt.wait().await;
    match handle.shutdown().await {
        Ok(()) => exit::OK,
        Err(e) => {
            let _ = writeln!(out, "error: {}", crate::diagnostic::chain(&e));
            exit::HARNESS
        }
    }
}

/// Print the collaudo.toml that tests a station started with the same arguments, without
/// starting it: the station is seeded deterministically, so the same seed and copies give the
/// same notices.
pub fn print_config(
    listen: SocketAddr,
    profile: Profile,
    seed: u64,
    copies: usize,
    tls: Option<&TlsFiles>,
    out: &mut dyn Write,
) -> i32 {
    // Files that would not start the station would not make a useful configuration either.
    if let Some(Err(e)) = tls.map(TlsFiles::load) {
        let _ = writeln!(out, "error: {e}");
        return exit::USAGE;
    }
    let cfg = config(profile, seed, copies);
    let state = match StationState::new(cfg.clone()) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(out, "error: cannot seed the station: {e}");
            return exit::HARNESS;
        }
    };
    match render_config_with(listen, &cfg, &state, tls) {
        Ok(text) => {
            let _ = out.write_all(text.as_bytes());
            exit::OK
        }
        Err(e) => {
            let _ = writeln!(out, "error: {e}");
            exit::HARNESS
        }
    }
}

/// The configuration text: `[station]`, every fixture role with its notices, `[backoffice]`.
pub fn render_config(
    listen: SocketAddr,
    cfg: &StationConfig,
    state: &StationState,
) -> Result<String, String> {
    render_config_with(listen, cfg, state, None)
}

/// [`render_config`] for a station started with `tls`: an `https://` URL, and a commented
/// `[station.tls]` section saying what the client side needs.
pub fn render_config_with(
    listen: SocketAddr,
    cfg: &StationConfig,
    state: &StationState,
    tls: Option<&TlsFiles>,
) -> Result<String, String> {
    #[derive(serde::Serialize)]
    struct Station<'a> {
        url: String,
        id_pa: &'a str,
        id_broker_pa: &'a str,
        id_station: &'a str,
        segregation_codes: [&'a str; 1],
    }
    #[derive(serde::Serialize)]
    struct Demand {
        id_servizio: &'static str,
    }
    #[derive(serde::Serialize)]
    struct Ec {
        actions: BTreeMap<&'static str, String>,
    }
    #[derive(serde::Serialize)]
    struct File<'a> {
        station: Station<'a>,
        fixtures: BTreeMap<&'static str, Vec<String>>,
        backoffice: collaudo_nodo::BackOffice,
        demand: Demand,
        ec: Ec,
    }
    let host = if listen.ip().is_unspecified() {
        // 0.0.0.0 listens everywhere; the Nodo calls it on loopback here.
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), listen.port())
    } else {
        listen
    };
    let backoffice = crate::run::backoffice_of(state.back_office());
    let scheme = if tls.is_some() { "https" } else { "http" };
    // The admin API is behind the same TLS: curl must trust the station's certificate (curl
    // accepts the leaf itself as a trust anchor) and, for mutual TLS, present a client one.
    let curl = match tls {
        None => "curl -fsS".to_string(),
        Some(t) => {
            let mut c = format!("curl -fsS --cacert {}", absolute(&t.cert).display());
            if t.client_ca.is_some() {
                c.push_str(" --cert CLIENT.crt --key CLIENT.key");
            }
            c
        }
    };
    let file = File {
        station: Station {
            url: format!("{scheme}://{host}{}", collaudo_station::STATION_PATH),
            id_pa: &cfg.id_pa,
            id_broker_pa: &cfg.id_broker_pa,
            id_station: &cfg.id_station,
            segregation_codes: ["01"],
        },
        fixtures: state
            .fixtures()
            .all_notices()
            .into_iter()
            .map(|(role, notices)| (role.name(), notices))
            .collect(),
        backoffice,
        demand: Demand {
            id_servizio: collaudo_station::positions::DEMAND_SERVICE,
        },
        // The EC back-office actions, through the station's admin API (needs curl).
        ec: Ec {
            actions: [
                (
                    "change-amount",
                    format!(
                        "{curl} -X POST -d '{{\"amount_cents\": {{amount_cents}}}}' {scheme}://{host}/_collaudo/positions/{{notice}}/amount"
                    ),
                ),
                (
                    "cancel-position",
                    format!("{curl} -X POST {scheme}://{host}/_collaudo/positions/{{notice}}/cancel"),
                ),
                (
                    "close-position",
                    format!("{curl} -X POST {scheme}://{host}/_collaudo/positions/{{notice}}/close"),
                ),
            ]
            .into(),
        },
    };
    let mut body =
        toml::to_string(&file).map_err(|e| format!("cannot write the configuration: {e}"))?;
    if let Some(tls) = tls {
        // Commented out: which CA signed the station certificate, and which client identity
        // the station trusts, only the user knows. Right after [station], where it belongs.
        let at = body.find("\n[fixtures]").map_or(body.len(), |i| i + 1);
        body.insert_str(at, &tls_hint(tls, &host.ip().to_string()));
    }
    Ok(format!(
        "# collaudo.toml for `collaudo station --listen {listen} --profile {} --seed {} --copies {}`\n\
         # (written by --print-config). Each role lists {} notice(s): the cases that pay a role\n\
         # take one each, so after a full run prepare fresh ones (POST /_collaudo/fixtures/fresh\n\
         # on the station) or restart it. The [ec.actions] hooks call the station's admin API\n\
         # with curl. No [aca] section: the ACA and Stand-In cases are skipped with the reason.\n\n{body}",
        cfg.profile, cfg.seed, cfg.copies, cfg.copies
    ))
}

fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The commented `[station.tls]` section of a TLS station's configuration.
fn tls_hint(tls: &TlsFiles, host: &str) -> String {
    let mut s = format!(
        "# The station speaks HTTPS. Trust its certificate: `ca` is the CA that issued\n\
         # {cert}, or the certificate itself when it is self-signed (and marked CA:FALSE: a\n\
         # CA certificate is refused as a server's); the certificate must name\n\
         # {host}, the host of the url above (CON-001: CN/SAN = the station's FQDN), or set\n\
         # server_name to a name it does carry.\n\
         # [station.tls]\n\
         # ca = \"{ca}\"\n\
         # server_name = \"localhost\"\n",
        cert = tls.cert.display(),
        ca = absolute(&tls.cert).display(),
    );
    if let Some(client_ca) = &tls.client_ca {
        s.push_str(&format!(
            "# Mutual TLS: the station requires a client certificate issued by\n\
             # {}.\n\
             # client_cert = \"/path/to/client.crt\"\n\
             # client_key = \"/path/to/client.key\"\n",
            client_ca.display()
        ));
    }
    s.push('\n');
    s
}
