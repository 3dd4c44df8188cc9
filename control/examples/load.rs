//! Paid-notice throughput of `collaudo serve`: `POST /psp/pay` (verify + activate + close with
//! its receipt delivered) through the control API, against the embedded reference station,
//! with SQLite persistence on (WAL, synchronous=NORMAL unless `--full`).
//!
//! ```text
//! cargo run --release -p collaudo-control --example load -- [PAYMENTS] [CONCURRENCY] [--full]
//! ```
//!
//! The server and this driver share one process and one 2-worker runtime (on a 2-core machine
//! they share the cores anyway). The station gets one fresh notice per payment (its back-office
//! action `create_position`), made before the clock starts. Prints payments/s, the latency
//! percentiles of one pay request, and checks every payment is in the file afterwards.

use collaudo_control::{ServeConfig, StationChoice, SyncMode, start};
use collaudo_wire::Amount;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let payments = numbers.first().copied().unwrap_or(20_000);
    let concurrency = numbers.get(1).copied().unwrap_or(32).max(1);
    let full = args.iter().any(|a| a == "--full");
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(payments, concurrency, full))
}

async fn run(
    payments: usize,
    concurrency: usize,
    full: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("load.db");
    let mut config = ServeConfig::embedded(&db);
    if full {
        config.durability = SyncMode::Full;
    }
    if let StationChoice::Embedded(e) = &mut config.station {
        // Paid through the station: no need to load its notices into ACA first.
        e.register_in_aca = false;
    }
    let server = start(config).await?;
    let station = server.embedded_stations()[0].state().clone();
    let mut notices = Vec::with_capacity(payments);
    for i in 0..payments {
        let p = station
            .create_position(Amount::from_cents(1_000 + (i as u64 % 9_000)))
            .await?;
        notices.push(
            serde_json::json!({
                "fiscal_code": p.fiscal_code,
                "notice_number": p.notice_number,
            })
            .to_string(),
        );
    }
    collaudo_nodo::tls::install_default_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let url = format!("{}/psp/pay", server.control_url);
    let notices = Arc::new(notices);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, notices, next) =
            (client.clone(), url.clone(), notices.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = notices.get(i) else { break };
                let t = Instant::now();
                let ok = match client.post(&url).body(body.clone()).send().await {
                    Ok(r) if r.status().is_success() => {
                        r.text().await.is_ok_and(|t| t.contains("\"paid\": true"))
                    }
                    _ => false,
                };
                latencies.push(t.elapsed());
                if !ok {
                    failures += 1;
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(payments);
    let mut failures = 0;
    for w in workers {
        let (l, f) = w.await?;
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    let text = client
        .get(format!("{}/state?limit=1", server.control_url))
        .send()
        .await?
        .text()
        .await?;
    let state: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    println!(
        "{payments} payments, {concurrency} in flight, synchronous={}: {:.2} s, {:.0} payments/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; failures {failures}; payments in the file {}",
        if full { "FULL" } else { "NORMAL" },
        elapsed.as_secs_f64(),
        payments as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0),
        state["payments_total"]
    );
    server.shutdown().await;
    Ok(())
}
