//! `collaudo station`: run the reference EC station standalone, as an example for EC teams and
//! as a target for manual tests; `--print-config` writes the collaudo.toml that tests it.

use crate::exit;
use collaudo_station::{Profile, StationConfig, StationState};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;

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

/// Start the station on `listen` and serve until Ctrl-C.
pub async fn serve(
    listen: SocketAddr,
    profile: Profile,
    seed: u64,
    copies: usize,
    out: &mut dyn Write,
) -> i32 {
    let handle = match collaudo_station::bind(config(profile, seed, copies), listen).await {
        Ok(h) => h,
        Err(e) => {
            let _ = writeln!(out, "error: {}", crate::diagnostic::chain(&e));
            return exit::HARNESS;
        }
    };
    // The address actually bound: the port the OS chose for port 0, the wildcard as asked.
    let _ = writeln!(
        out,
        "reference station ({profile}) listening on {} (station URL: {})",
        handle.addr, handle.url
    );
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
        "a collaudo.toml for it: collaudo station --listen {} --print-config (same --seed, --profile, --copies)",
        handle.addr
    );
    let _ = writeln!(out, "press Ctrl-C (or send SIGTERM) to stop");
    let _ = out.flush();
    // Ctrl-C or SIGTERM (a container or service manager stopping it): in-flight answers finish.
    let _ = crate::interrupt::Interrupt::listen().wait().await;
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
    out: &mut dyn Write,
) -> i32 {
    let cfg = config(profile, seed, copies);
    let state = match StationState::new(cfg.clone()) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(out, "error: cannot seed the station: {e}");
            return exit::HARNESS;
        }
    };
    match render_config(listen, &cfg, &state) {
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
    let file = File {
        station: Station {
            url: format!("http://{host}{}", collaudo_station::STATION_PATH),
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
                        "curl -fsS -X POST -d '{{\"amount_cents\": {{amount_cents}}}}' http://{host}/_collaudo/positions/{{notice}}/amount"
                    ),
                ),
                (
                    "cancel-position",
                    format!("curl -fsS -X POST http://{host}/_collaudo/positions/{{notice}}/cancel"),
                ),
                (
                    "close-position",
                    format!("curl -fsS -X POST http://{host}/_collaudo/positions/{{notice}}/close"),
                ),
            ]
            .into(),
        },
    };
    let body =
        toml::to_string(&file).map_err(|e| format!("cannot write the configuration: {e}"))?;
    Ok(format!(
        "# collaudo.toml for `collaudo station --listen {listen} --profile {} --seed {} --copies {}`\n\
         # (written by --print-config). Each role lists {} notice(s): the cases that pay a role\n\
         # take one each, so after a full run prepare fresh ones (POST /_collaudo/fixtures/fresh\n\
         # on the station) or restart it. The [ec.actions] hooks call the station's admin API\n\
         # with curl. No [aca] section: the ACA and Stand-In cases are skipped with the reason.\n\n{body}",
        cfg.profile, cfg.seed, cfg.copies, cfg.copies
    ))
}
