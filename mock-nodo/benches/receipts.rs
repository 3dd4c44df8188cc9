//! Receipt delivery throughput: many receipts, each refused 48 times for real by the embedded
//! reference station (profile `flaky-receipts`, `flaky_receipt_failures = 48`) and accepted at
//! attempt 49, the last one the default retry policy allows (the first send and 48 hourly
//! retries, DOMAIN.md §6). Every attempt is a
//! real paSendRTV2 exchange over loopback: request built and sent by the mock Nodo, parsed and
//! answered (KO `PAA_SYSTEM_ERROR`) by the station, judged by the Nodo.
//!
//! Receipts are delivered concurrently (`IN_FLIGHT` at a time) on one multi-thread runtime,
//! through one shared `NodoClient` and one `VirtualClock`; the retry schedule costs virtual
//! time only. Variants:
//!
//! * `counting`: 10 000 receipts, `Journal::counting()` (nothing written, nothing kept), so
//!   the figure is the exchange itself;
//! * 500 receipts with `Journal::counting()`, `Journal::create_streaming()` (a JSON line per
//!   exchange and per classification, written and flushed, in a temporary directory) and
//!   `Journal::create()` (the same file plus every exchange kept in memory): the cost of
//!   journalling.
//!
//! Run: `cargo bench -p collaudo-nodo --bench receipts` (optionally `-- --receipts N` to change
//! the size of the first variant).

use collaudo_nodo::{
    BackOffice, CheckPolicy, Clock, DeliveryResult, Journal, NodoClient, Outage, Recipient,
    RetryPolicy, SoapActionStyle, StationTarget, Timeouts, VirtualClock, VirtualTime, deliver,
};
use collaudo_station::{Fixture, FixtureRole, Profile, StationConfig};
use collaudo_wire::{Amount, Beneficiary, Caller, EntityType, Outcome, Receipt, Subject, Transfer};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Refusals before the station accepts a receipt: every retry of the default policy, so the
/// last attempt (49) is the first accepted.
const FAILURES: u32 = RetryPolicy::NODO_RETRIES;
/// Receipts being delivered at any moment.
const IN_FLIGHT: usize = 48;

fn receipt(f: &Fixture, receipt_id: String) -> Receipt {
    Receipt {
        receipt_id,
        notice_number: f.notice_number.as_str().to_string(),
        fiscal_code: f.fiscal_code.clone(),
        outcome: Outcome::Ok,
        creditor_reference_id: f.iuv.clone(),
        payment_amount: f.amount,
        description: "pagamento di collaudo".into(),
        company_name: f.company_name.clone(),
        office_name: None,
        debtor: Subject {
            entity_type: EntityType::F,
            entity_value: "RSSMRA80A01H501U".into(),
            full_name: "Mario Rossi".into(),
            street_name: None,
            civic_number: None,
            postal_code: None,
            city: None,
            state_province_region: None,
            country: None,
            email: None,
        },
        transfers: f
            .transfers
            .iter()
            .map(|t| Transfer {
                id_transfer: t.id_transfer,
                transfer_amount: t.amount,
                fiscal_code_pa: t.fiscal_code_pa.clone(),
                company_name: Some(f.company_name.clone()),
                beneficiary: Beneficiary::Iban(t.iban.clone().expect("an IBAN transfer")),
                remittance_information: "/RFB/collaudo".into(),
                transfer_category: "0101002IM".into(),
                metadata: Vec::new(),
            })
            .collect(),
        id_psp: "COLLAUDOPSP".into(),
        psp_fiscal_code: None,
        psp_partita_iva: None,
        psp_company_name: "PSP di collaudo".into(),
        id_channel: "COLLAUDOPSP_01".into(),
        channel_description: "app".into(),
        payer: None,
        payment_method: Some("creditCard".into()),
        payment_note: Some("collaudo".into()),
        fee: Some(Amount::from_cents(100)),
        primary_ci_incurred_fee: Some(Amount::from_cents(50)),
        id_bundle: None,
        id_ci_bundle: None,
        payment_date_time: Some("2026-11-25T10:00:00".into()),
        application_date: Some("2026-11-25".into()),
        transfer_date: Some("2026-11-26".into()),
        metadata: Vec::new(),
        stand_in: Some(false),
    }
}

struct Run {
    receipts: usize,
    attempts: usize,
    elapsed: Duration,
    journal_bytes: Option<u64>,
}

impl Run {
    fn attempts_per_s(&self) -> f64 {
        self.attempts as f64 / self.elapsed.as_secs_f64()
    }
}

/// Deliver `receipts` receipts to a fresh flaky station, `IN_FLIGHT` at a time.
async fn run(receipts: usize, journal: Journal, label: &str) -> Run {
    let config = StationConfig {
        flaky_receipt_failures: FAILURES,
        ..StationConfig::with_profile(Profile::FlakyReceipts)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let station = collaudo_station::start(config.clone(), listener)
        .await
        .expect("station");
    let fixture = station
        .fixtures()
        .get(FixtureRole::ReceiptTarget)
        .expect("receipt-target")
        .clone();
    let start: VirtualTime = "2026-11-25T10:00:00.000Z".parse().expect("time");
    let clock = VirtualClock::new(start);
    let journal = Arc::new(journal);
    let client = Arc::new(
        NodoClient::new(
            StationTarget {
                url: station.url.clone(),
                caller: Caller {
                    id_pa: config.id_pa.clone(),
                    id_broker_pa: config.id_broker_pa.clone(),
                    id_station: config.id_station.clone(),
                },
                soap_action_style: SoapActionStyle::Quoted,
            },
            Default::default(),
            Timeouts::nodo(),
            Arc::new(clock.clone()),
            journal.clone(),
        )
        .expect("client"),
    );
    let fixture = Arc::new(fixture);
    let next = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT.min(receipts) {
        let (client, fixture, next) = (client.clone(), fixture.clone(), next.clone());
        let label = label.to_string();
        workers.spawn(async move {
            let policy = RetryPolicy::default();
            let backoffice = BackOffice::default();
            let checks = CheckPolicy {
                check_ibans: false,
                ..CheckPolicy::default()
            };
            let mut attempts = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= receipts {
                    return attempts;
                }
                let rc = receipt(&fixture, format!("{label}-{i:06}"));
                let recipients = [Recipient {
                    label: "primary station".into(),
                    client: &client,
                    message: client.send_rt(rc, true),
                    outage: Outage::None,
                }];
                let out = deliver(
                    &recipients,
                    &policy,
                    start,
                    &backoffice,
                    &checks,
                    None,
                    None,
                )
                .await;
                let d = &out[0];
                assert_eq!(d.result, DeliveryResult::Delivered, "{:#?}", d.timeline());
                assert_eq!(d.attempts.len(), FAILURES as usize + 1);
                attempts += d.attempts.len();
            }
        });
    }
    let mut attempts = 0;
    while let Some(done) = workers.join_next().await {
        attempts += done.expect("worker");
    }
    let elapsed = began.elapsed();
    assert_eq!(attempts, receipts * (FAILURES as usize + 1));
    assert_eq!(journal.len(), attempts);
    let booked = station.state().positions().bookings();
    assert_eq!(booked.len(), receipts, "each receipt booked exactly once");
    assert!(journal.take_write_error().is_none());
    let journal_bytes = journal
        .path()
        .map(|p| std::fs::metadata(p).expect("journal file").len());
    let expected_end = start.plus(Duration::from_secs(3600) * FAILURES);
    if clock.now() != expected_end {
        println!(
            "  note: shared clock ended at {} instead of {expected_end} \
             (receipts::advance_to is not atomic under concurrent deliveries)",
            clock.now()
        );
    }
    station.shutdown().await.expect("shutdown");
    Run {
        receipts,
        attempts,
        elapsed,
        journal_bytes,
    }
}

fn report(name: &str, r: &Run) {
    println!(
        "{name:<34} {:>6} receipts {:>7} attempts {:>8.3} s {:>9.0} attempts/s {:>7.1} µs/attempt{}",
        r.receipts,
        r.attempts,
        r.elapsed.as_secs_f64(),
        r.attempts_per_s(),
        r.elapsed.as_secs_f64() * 1e6 / r.attempts as f64,
        r.journal_bytes.map_or(String::new(), |b| format!(
            "  journal {:.1} MiB",
            b as f64 / (1024.0 * 1024.0)
        )),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let receipts = args
        .iter()
        .position(|a| a == "--receipts")
        .and_then(|i| args.get(i + 1))
        .map_or(10_000, |n| n.parse().expect("--receipts N"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let threads = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "receipt delivery: profile flaky-receipts, {FAILURES} refusals then OK at attempt {}, \
         paSendRTV2, {IN_FLIGHT} receipts in flight, {threads} worker threads",
        FAILURES + 1
    );

    // Warm-up: connections, allocator, page cache.
    rt.block_on(run(200, Journal::counting(), "warmup"));

    let main = rt.block_on(run(receipts, Journal::counting(), "counting"));
    report("journal counting()", &main);

    let dir = tempfile::tempdir().expect("tempdir");
    let small = 500;
    let counting = rt.block_on(run(small, Journal::counting(), "small-counting"));
    report("journal counting()", &counting);
    let streaming = rt.block_on(run(
        small,
        Journal::create_streaming(dir.path().join("streaming.jsonl")).expect("journal"),
        "small-streaming",
    ));
    report("journal create_streaming(file)", &streaming);
    let retaining = rt.block_on(run(
        small,
        Journal::create(dir.path().join("retaining.jsonl")).expect("journal"),
        "small-retaining",
    ));
    report("journal create(file) + in memory", &retaining);
    println!(
        "journalling cost per attempt: streaming file {:+.1} µs, file + memory {:+.1} µs",
        (streaming.elapsed.as_secs_f64() / streaming.attempts as f64
            - counting.elapsed.as_secs_f64() / counting.attempts as f64)
            * 1e6,
        (retaining.elapsed.as_secs_f64() / retaining.attempts as f64
            - counting.elapsed.as_secs_f64() / counting.attempts as f64)
            * 1e6,
    );
}
