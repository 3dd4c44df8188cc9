//! `collaudo station`: run the reference EC station standalone, as an example for EC teams and
//! as a target for manual tests.

use crate::exit;
use collaudo_station::{Profile, StationConfig};
use std::io::Write;
use std::net::SocketAddr;

/// Start the station on `listen` and serve until Ctrl-C.
pub async fn serve(listen: SocketAddr, profile: Profile, seed: u64, out: &mut dyn Write) -> i32 {
    let config = StationConfig {
        profile,
        seed,
        ..StationConfig::default()
    };
    let handle = match collaudo_station::bind(config, listen).await {
        Ok(h) => h,
        Err(e) => {
            let _ = writeln!(out, "error: cannot start the station on {listen}: {e}");
            return exit::HARNESS;
        }
    };
    let _ = writeln!(
        out,
        "reference station ({profile}) listening on {}",
        handle.url
    );
    let _ = writeln!(
        out,
        "admin API: {}/_collaudo/positions, fixtures: {}/_collaudo/fixtures",
        handle.base_url(),
        handle.base_url()
    );
    let _ = writeln!(out, "fixture roles:");
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
    let _ = writeln!(out, "press Ctrl-C to stop");
    let _ = out.flush();
    if let Err(e) = tokio::signal::ctrl_c().await {
        let _ = writeln!(out, "error: cannot wait for Ctrl-C: {e}");
    }
    match handle.shutdown().await {
        Ok(()) => exit::OK,
        Err(e) => {
            let _ = writeln!(out, "error: {e}");
            exit::HARNESS
        }
    }
}
