//! Mock ACA: memory of a large archive and HTTP ingest throughput.
//!
//! Run: `cargo bench -p collaudo-nodo --bench aca` (both phases), or with
//! `-- [mem|ingest] [--positions N] [--secs S] [--conns C] [--no-retain]`.
//!
//! * `mem`: inserts N (default 1 000 000) distinct positions straight into an `AcaStore`, no
//!   HTTP, and prints the process RSS (`VmRSS`) before and after. Target: < 500 MB.
//! * `ingest`: C (default 32) keep-alive connections POST valid, distinct positions to a mock
//!   ACA on loopback for S (default 5) seconds, client and server in this process on one
//!   tokio runtime. Target: ≥ 30 000 positions/s on 2 cores. `--no-retain` keeps no call in
//!   memory (the call log still counts them).
//!
//! The memory phase runs first, on a fresh process, so its RSS is not inflated by the
//! connections and call log of the ingest phase.

use collaudo_nodo::aca::{AcaConfig, AcaStore, IbanSource, ResolvedIban, start};
use collaudo_nodo::{BackOffice, Clock, VirtualClock, VirtualTime};
use collaudo_wire::aca::{EntityType, NewDebtPositionRequest};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const EC: &str = "77777777777";
const KEY: &str = "bench-key";
const EC_IBAN: &str = "IT60X0542811101000000000001";
const EC_SENT_IBAN: &str = "IT60X0542811101000000123456";

struct Args {
    mem: bool,
    ingest: bool,
    positions: u64,
    secs: u64,
    conns: usize,
    retain: bool,
}

fn args() -> Args {
    let mut args = Args {
        mem: true,
        ingest: true,
        positions: 1_000_000,
        secs: 5,
        conns: 32,
        retain: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = || it.next().and_then(|v| v.parse::<u64>().ok());
        match arg.as_str() {
            "mem" => args.ingest = false,
            "ingest" => args.mem = false,
            "--positions" => args.positions = number().unwrap_or(args.positions),
            "--secs" => args.secs = number().unwrap_or(args.secs),
            "--conns" => args.conns = number().map_or(args.conns, |n| n as usize),
            "--no-retain" => args.retain = false,
            // `cargo bench` passes `--bench`; anything else unknown is ignored too.
            _ => {}
        }
    }
    args
}

/// Resident set size of this process in MiB, from `/proc/self/status`.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// A realistic position: field lengths as in a municipal archive, every other one with its
/// own IBAN, the others resolved from the back office.
fn request(i: u64) -> NewDebtPositionRequest {
    NewDebtPositionRequest {
        pa_fiscal_code: EC.into(),
        entity_type: if i % 3 == 0 {
            EntityType::G
        } else {
            EntityType::F
        },
        entity_fiscal_code: format!("RSSMRA80A01H{:04}U", i % 10_000),
        entity_full_name: format!("Mario Rossi {i}"),
        iuv: format!("{:02}{:015}", i % 50, i),
        nav: None,
        amount: 100 + (i % 100_000) as i64,
        description: format!("TARI 2025 rata unica avviso {i}"),
        expiration_date: "2025-12-31T23:59:59+01:00".into(),
        iban: (i % 2 == 0).then(|| EC_SENT_IBAN.to_string()),
        postal_iban: None,
        switch_to_expired: false,
        pay_stand_in: true,
    }
}

fn memory(positions: u64) {
    let clock = VirtualClock::new(VirtualTime::from_millis(1_795_600_800_000));
    let before = rss_mib();
    let store = AcaStore::new();
    let started = Instant::now();
    for i in 0..positions {
        let request = request(i);
        let iban = match &request.iban {
            Some(iban) => ResolvedIban {
                iban: Some(iban.clone()),
                postal: false,
                source: IbanSource::Request,
            },
            None => ResolvedIban {
                iban: Some(EC_IBAN.into()),
                postal: false,
                source: IbanSource::BackOfficeLatest,
            },
        };
        store
            .apply(&request, &iban, clock.now())
            .expect("valid distinct position");
    }
    let elapsed = started.elapsed();
    let after = rss_mib();
    assert_eq!(store.len() as u64, positions);
    assert!(store.get(EC, &request(positions / 2).iuv).is_some());
    println!(
        "aca/mem: {positions} positions inserted in {:.2} s ({:.0}/s); RSS {before:.1} MiB -> \
         {after:.1} MiB (+{:.1} MiB, {:.0} B/position)",
        elapsed.as_secs_f64(),
        positions as f64 / elapsed.as_secs_f64(),
        after - before,
        (after - before) * 1024.0 * 1024.0 / positions as f64,
    );
}

fn body(i: u64) -> String {
    let request = request(i);
    serde_json::to_string(&request).expect("serializable")
}

fn ingest(secs: u64, conns: usize, retain: bool) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut config =
            AcaConfig::new(Arc::new(VirtualClock::new(VirtualTime::EPOCH))).with_key(KEY);
        config.backoffice = BackOffice::default()
            .with_ec(EC, Some("Comune di Prova"))
            .with_iban(EC, EC_IBAN, false);
        config.retain_calls = retain;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let aca = start(config, listener).await.expect("mock ACA");
        collaudo_nodo::tls::install_default_provider();
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(conns)
            .build()
            .expect("client");
        let endpoint = aca.endpoint();
        let next = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (client, endpoint) = (client.clone(), endpoint.clone());
            let (next, done, failures) =
                (Arc::clone(&next), Arc::clone(&done), Arc::clone(&failures));
            let stop = Arc::clone(&stop);
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let sent = client
                        .post(&endpoint)
                        .header("Ocp-Apim-Subscription-Key", KEY)
                        .header("Content-Type", "application/json")
                        .body(body(i))
                        .send()
                        .await;
                    let ok = match sent {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            response.bytes().await.is_ok() && status == 200
                        }
                        Err(_) => false,
                    };
                    let counter = if ok { &done } else { &failures };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        // Warm-up: connections opened, allocator and tables grown past their first sizes.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (done_before, started) = (done.load(Ordering::Relaxed), Instant::now());
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let (done_after, window) = (done.load(Ordering::Relaxed), started.elapsed());
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            task.await.expect("client task");
        }
        let measured = done_after - done_before;
        println!(
            "aca/ingest: {conns} connections, {:.2} s: {measured} positions ({:.0}/s), {} failed; \
             store {} positions, {} calls logged (retained: {retain}); RSS {:.1} MiB",
            window.as_secs_f64(),
            measured as f64 / window.as_secs_f64(),
            failures.load(Ordering::Relaxed),
            aca.store().len(),
            aca.store().call_count(),
            rss_mib(),
        );
        aca.shutdown().await.expect("shutdown");
    });
}

fn main() {
    let args = args();
    if args.mem {
        memory(args.positions);
    }
    if args.ingest {
        ingest(args.secs, args.conns, args.retain);
    }
}
