//! Mock GPD: create+publish throughput over HTTP, list latency over a large store, memory per
//! stored position.
//!
//! Run: `cargo bench -p collaudo-nodo --bench gpd` (every phase), or with
//! `-- [mem|ingest|list] [--positions N] [--secs S] [--conns C] [--lists L] [--no-retain]`.
//!
//! * `mem`: creates N (default 100 000) distinct v1 positions through [`GpdState::create`]
//!   (validation included, no HTTP) and prints the process RSS before and after.
//! * `ingest`: C (default 32) keep-alive connections `POST …/debtpositions?toPublish=true`
//!   valid, distinct positions to a mock GPD on loopback for S (default 5) seconds, client and
//!   server in this process on one tokio runtime. Target: ≥ 20 000 creates/s on 2 cores.
//! * `list`: N positions stored, then L (default 2 000) `GET …/debtpositions` one after the
//!   other, default order and with a status filter: p50 / p99 / max. Target: p99 < 5 ms with
//!   100 000 positions.

use collaudo_nodo::gpd::{Api, GpdConfig, GpdState, start_with_state};
use collaudo_nodo::{BackOffice, VirtualClock, VirtualTime};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const EC: &str = "77777777777";
const KEY: &str = "bench-key";
const IBAN: &str = "IT60X0542811101000000123456";
const IBAN_2: &str = "IT60X0542811101000000654321";

struct Args {
    mem: bool,
    ingest: bool,
    list: bool,
    positions: u64,
    secs: u64,
    conns: usize,
    lists: usize,
    retain: bool,
}

fn args() -> Args {
    let mut args = Args {
        mem: true,
        ingest: true,
        list: true,
        positions: 100_000,
        secs: 5,
        conns: 32,
        lists: 2_000,
        retain: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = || it.next().and_then(|v| v.parse::<u64>().ok());
        match arg.as_str() {
            "mem" => (args.ingest, args.list) = (false, false),
            "ingest" => (args.mem, args.list) = (false, false),
            "list" => (args.mem, args.ingest) = (false, false),
            "--positions" => args.positions = number().unwrap_or(args.positions),
            "--secs" => args.secs = number().unwrap_or(args.secs),
            "--conns" => args.conns = number().map_or(args.conns, |n| n as usize),
            "--lists" => args.lists = number().map_or(args.lists, |n| n as usize),
            "--no-retain" => args.retain = false,
            _ => {}
        }
    }
    args
}

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

fn config(retain: bool) -> GpdConfig {
    let clock = VirtualClock::new(VirtualTime::from_millis(1_795_600_800_000));
    let mut config = GpdConfig::new(Arc::new(clock))
        .with_key(KEY)
        .with_backoffice(
            BackOffice::default()
                .with_ec(EC, Some("Comune di Prova"))
                .with_iban(EC, IBAN, false)
                .with_iban(EC, IBAN_2, false),
        );
    config.retain_calls = retain;
    config
}

/// A realistic v1 position: one option, two transfers, debtor with address.
fn body(i: u64) -> Vec<u8> {
    format!(
        r#"{{"iupd":"IUPD-{i:010}","type":"F","fiscalCode":"RSSMRA80A01H{:04}U","fullName":"Mario Rossi {i}",
"streetName":"Via Roma","civicNumber":"1","postalCode":"00100","city":"Roma","province":"RM","country":"IT",
"companyName":"Comune di Prova","switchToExpired":{},"paymentOption":[{{"iuv":"{:02}{i:015}","amount":{},
"description":"TARI 2026 rata unica avviso {i}","isPartialPayment":false,"dueDate":"2027-06-30T23:59:59Z",
"transfer":[{{"idTransfer":"1","amount":6000,"remittanceInformation":"TARI 2026 quota comunale","category":"9/0101108TS/","iban":"{IBAN}"}},
{{"idTransfer":"2","amount":{},"remittanceInformation":"TEFA 2026","category":"9/0101108TS/","iban":"{IBAN_2}"}}]}}]}}"#,
        i % 10_000,
        i % 2 == 0,
        i % 50,
        6_000 + 100 + i % 10_000,
        100 + i % 10_000,
    )
    .into_bytes()
}

fn fill(state: &GpdState, n: u64) {
    for i in 0..n {
        state
            .create(Api::DebtPositionsV1, EC, &body(i), i % 3 != 0)
            .expect("valid distinct position");
    }
}

fn memory(positions: u64) {
    let before = rss_mib();
    let state = GpdState::new(config(true));
    let started = Instant::now();
    fill(&state, positions);
    let elapsed = started.elapsed();
    let after = rss_mib();
    assert_eq!(state.store().len() as u64, positions);
    println!(
        "gpd/mem: {positions} positions created in {:.2} s ({:.0}/s, validation included); RSS \
         {before:.1} MiB -> {after:.1} MiB (+{:.1} MiB, {:.0} B/position)",
        elapsed.as_secs_f64(),
        positions as f64 / elapsed.as_secs_f64(),
        after - before,
        (after - before) * 1024.0 * 1024.0 / positions as f64,
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn client(conns: usize) -> reqwest::Client {
    collaudo_nodo::tls::install_default_provider();
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(conns)
        .build()
        .expect("client")
}

fn ingest(secs: u64, conns: usize, retain: bool) {
    runtime().block_on(async {
        let state = Arc::new(GpdState::new(config(retain)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let gpd = start_with_state(Arc::clone(&state), listener)
            .await
            .expect("mock GPD");
        let client = client(conns);
        let endpoint = format!(
            "{}/organizations/{EC}/debtpositions?toPublish=true",
            gpd.base_url(Api::DebtPositionsV1)
        );
        let next = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (client, endpoint) = (client.clone(), endpoint.clone());
            let (next, done, failures, stop) = (
                Arc::clone(&next),
                Arc::clone(&done),
                Arc::clone(&failures),
                Arc::clone(&stop),
            );
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
                        Ok(r) => {
                            let status = r.status().as_u16();
                            r.bytes().await.is_ok() && status == 201
                        }
                        Err(_) => false,
                    };
                    (if ok { &done } else { &failures }).fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (before, started) = (done.load(Ordering::Relaxed), Instant::now());
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let (after, window) = (done.load(Ordering::Relaxed), started.elapsed());
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.expect("client task");
        }
        let n = after - before;
        println!(
            "gpd/ingest: {conns} connections, {:.2} s: {n} create+publish ({:.0}/s), {} failed; \
             store {} positions, {} calls (retained: {retain}); RSS {:.1} MiB",
            window.as_secs_f64(),
            n as f64 / window.as_secs_f64(),
            failures.load(Ordering::Relaxed),
            state.store().len(),
            state.store().call_count(),
            rss_mib(),
        );
        gpd.shutdown().await.expect("shutdown");
    });
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn list(positions: u64, lists: usize) {
    let state = Arc::new(GpdState::new(config(false)));
    fill(&state, positions);
    runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let gpd = start_with_state(Arc::clone(&state), listener).await.expect("mock GPD");
        let client = client(1);
        let base = format!("{}/organizations/{EC}/debtpositions", gpd.base_url(Api::DebtPositionsV1));
        for (name, query) in [
            ("default order, page 0", "limit=50".to_string()),
            ("default order, page 1000", "limit=50&page=1000".to_string()),
            ("status=VALID filter", "limit=50&status=VALID&page=10".to_string()),
            ("orderby=IUPD ASC", "limit=50&orderby=IUPD&ordering=ASC&page=3".to_string()),
        ] {
            let url = format!("{base}?{query}");
            let mut times = Vec::with_capacity(lists);
            for round in 0..lists + 20 {
                let started = Instant::now();
                let r = client
                    .get(&url)
                    .header("Ocp-Apim-Subscription-Key", KEY)
                    .send()
                    .await
                    .expect("list");
                assert_eq!(r.status().as_u16(), 200);
                r.bytes().await.expect("body");
                if round >= 20 {
                    times.push(started.elapsed());
                }
            }
            times.sort();
            println!(
                "gpd/list: {positions} positions, {name}: {lists} lists, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                percentile(&times, 0.5).as_secs_f64() * 1e3,
                percentile(&times, 0.99).as_secs_f64() * 1e3,
                times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
            );
        }
        gpd.shutdown().await.expect("shutdown");
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
    if args.list {
        list(args.positions, args.lists);
    }
}
