//! The scenario engine: runs each selected scenario's steps through the mock Nodo against the
//! station, turns the Nodo's judgements into check records and verdicts, and emits one typed
//! event stream to the reporters. It never formats text for a terminal.

mod actions;
mod delivery;
mod expect;
mod gpd;
mod prereq;
pub use prereq::Needs;
// The receipt is the Nodo's: it builds it from what the station answered (mock-nodo).
use collaudo_nodo::nodo::receipt;
pub mod severity;
mod standin;
mod step;
mod tls;

pub use actions::Actions;

use crate::scenario::{Scenario, SourceFile};
use collaudo_nodo::{BackOffice, CheckPolicy, Clock, Journal, Timeouts, VirtualClock, VirtualTime};
use collaudo_reports::{
    CaseMeta, CaseResult, Event, EventEnvelope, Reporter, RunInfo, RunResult, StepRecord, Verdict,
};
use collaudo_wire::Caller;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// Where the station under test comes from, per scenario.
#[derive(Debug, Clone)]
pub struct StationInstance {
    /// The URL the Nodo calls.
    pub url: String,
    /// Role → every notice number prepared for it (the pool the run allocates from).
    pub pool: BTreeMap<String, Vec<String>>,
    /// Role → the notice number the current case uses: filled by the engine per case from
    /// [`Self::pool`] (the shared readers' notice of every role, then the case's own notices).
    pub fixtures: BTreeMap<String, String>,
    /// ECs and IBANs the Nodo knows.
    pub backoffice: BackOffice,
    /// How EC back-office actions are performed.
    pub actions: Actions,
    /// Broadcast stations of other ECs that also receive receipts (DOMAIN.md §6).
    pub broadcast: Vec<BroadcastStation>,
    /// The mock ACA's archive, when the run has one (Stand-In answers come from it).
    pub aca: Option<std::sync::Arc<collaudo_nodo::aca::AcaState>>,
    /// Whether the station lives through the whole run (an external station) rather than
    /// being started fresh for each case: notices a case consumes are then gone for later ones.
    pub long_lived: bool,
    /// How the Nodo reaches this instance when it differs from the run's
    /// [`EngineConfig::connection`]: the embedded station serves CON-001 over TLS with
    /// throw-away certificates that only this instance's clients trust.
    pub connection: Option<std::sync::Arc<collaudo_nodo::Connection>>,
    /// The mock GPD the EC's back office calls when it is on the asynchronous integration,
    /// when the run has one (GPD-001..007).
    pub gpd: Option<GpdLink>,
}

/// A mock GPD and how the EC reaches it.
#[derive(Debug, Clone)]
pub struct GpdLink {
    /// Its state: positions, calls, receipts; GPD-Payments answers the Nodo from it.
    pub state: Arc<collaudo_nodo::gpd::GpdState>,
    /// Its v1 debt-positions base URL (`http://ADDRESS/gpd/debt-positions-service/v1`).
    pub url: String,
    /// The subscription key the EC sends (the receipts API is pulled with it too).
    pub key: String,
}

impl StationInstance {
    /// The connection settings toward this instance.
    pub(crate) fn connection<'a>(
        &'a self,
        cfg: &'a EngineConfig,
    ) -> &'a std::sync::Arc<collaudo_nodo::Connection> {
        self.connection.as_ref().unwrap_or(&cfg.connection)
    }
}

/// A broadcast station of a beneficiary EC: receives every receipt with a transfer to that EC.
#[derive(Debug, Clone)]
pub struct BroadcastStation {
    /// The EC's fiscal code.
    pub fiscal_code: String,
    /// The station URL.
    pub url: String,
    /// idPA (the EC), idBrokerPA, idStation as the Nodo sends them to this station.
    pub caller: Caller,
    /// paSendRTV2 (true) or paSendRT.
    pub v2: bool,
    /// The station's state when it is an embedded reference station (to observe bookings).
    pub state: Option<std::sync::Arc<collaudo_station::StationState>>,
}

/// Gives each scenario its station: the embedded reference station is started fresh for each
/// scenario (so no scenario sees another's payments); an external station is the same one.
pub trait StationProvider {
    /// What the provider started for one case, to stop after it.
    type Lease: Send;
    /// The station for a case, and what to release after it.
    /// `clock` is the scenario's virtual clock: servers started for the scenario (the mock
    /// ACA) stamp their records with it.
    /// `needs` says what the case uses of the servers around the station: a provider that
    /// starts them per case may leave out the others.
    fn instance(
        &self,
        clock: Arc<VirtualClock>,
        needs: Needs,
    ) -> impl std::future::Future<Output = Result<(StationInstance, Self::Lease), String>>;
    /// Release what [`Self::instance`] started for a case.
    fn release(&self, lease: Self::Lease) -> impl std::future::Future<Output = ()>;
    /// The notices of a station that lives through the whole run, allocated to the cases once
    /// before the first one starts; `None` when every case gets a fresh station (each case then
    /// takes the first notice of each role of its own station).
    fn pool(&self) -> Option<BTreeMap<String, Vec<String>>>;
}

/// Everything the engine needs, already validated.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The Nodo's identities toward the station.
    pub caller: Caller,
    /// paGetPayment version (1 or 2) when a step does not say.
    pub get_payment_version: u8,
    /// paSendRT version (1 or 2) when a step does not say.
    pub send_rt_version: u8,
    /// Per-primitive real timeouts.
    pub timeouts: Timeouts,
    /// How the station under test is reached (TLS, gateway headers, proxy); every client
    /// toward it uses this one.
    pub connection: std::sync::Arc<collaudo_nodo::Connection>,
    /// Nodo choices where sources disagree.
    pub policy: CheckPolicy,
    /// Segregation codes of the station (IUV-001); empty = not checked.
    pub segregation_codes: Vec<String>,
    /// Demand defaults: idServizio, idSoggettoServizio, service XML.
    pub demand: (String, String, String),
    /// Seed for tokens and fault plans.
    pub seed: u64,
    /// The receipt retry schedule.
    pub retry: collaudo_nodo::RetryPolicy,
    /// The Stand-In monitor's rules.
    pub standin_rules: collaudo_nodo::standin::StandInRules,
    /// Every exchange of the run goes here (the run's `journal.jsonl`, or memory only).
    pub journal: Arc<Journal>,
    /// What the user configured that optional cases depend on.
    pub features: Features,
    /// Run metadata for reports.
    pub info: RunInfo,
    /// Stops the run early (Ctrl-C, SIGTERM): unfinished cases are reported as errors.
    pub interrupt: crate::interrupt::Interrupt,
}

/// Optional parts of the configuration some cases need: without them the case is skipped,
/// with the reason, before it sends anything.
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// `[demand]` is configured: the EC offers spontaneous payments (DEM-*, class OSP).
    pub demand: bool,
    /// `[backoffice]` is configured: the ECs and IBANs registered on the Nodo are known.
    pub backoffice: bool,
    /// The paGetPayment version the Nodo is configured to call the station with, when only one
    /// (`[station] get_payment_version`); `None`: the station answers both.
    pub get_payment_only: Option<u8>,
    /// Likewise for paSendRT (`[station] send_rt_version`).
    pub send_rt_only: Option<u8>,
}

/// Wall-clock RFC 3339 (reports stamp events with real time; scenario time is separate).
pub(crate) fn wall_now() -> String {
    collaudo_nodo::SystemClock.now().to_string()
}

/// Where scenario time starts: a fixed instant, so runs are reproducible.
pub const VIRTUAL_START: &str = "2026-11-25T09:00:00.000Z";

/// The outcome of a run, for the exit code.
#[derive(Debug)]
pub struct RunOutcome {
    /// The aggregated result.
    pub result: RunResult,
    /// Harness problems outside any scenario (journal write failures...).
    pub harness_errors: Vec<String>,
    /// The signal that stopped the run before every case finished, if one did.
    pub interrupted: Option<crate::interrupt::Signal>,
    /// Why the run stopped starting cases (`--fail-fast`, `--budget`), if it did.
    pub cut_short: Option<CutShort>,
}

fn meta(s: &Scenario, file: &SourceFile) -> CaseMeta {
    CaseMeta {
        id: s.id.get_ref().clone(),
        official_id: s.official.as_ref().map(|o| o.get_ref().clone()),
        title: s.title.clone(),
        area: s.area().to_string(),
        tags: s.tags.clone(),
        class: s.class.as_ref().map(|c| c.get_ref().clone()),
        phase: s.phase.as_ref().map(|p| p.get_ref().clone()).or_else(|| {
            // TEST-PLAN.md §4: cases carrying an official id are BOTH, others COL.
            Some(if s.official.is_some() { "BOTH" } else { "COL" }.into())
        }),
        source_file: Some(file.path.clone()),
    }
}

/// Each role's first notice only: what a station started fresh for one case offers it.
fn first_notices(pool: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, Vec<String>> {
    pool.iter()
        .filter_map(|(r, n)| n.first().map(|n| (r.clone(), vec![n.clone()])))
        .collect()
}

/// How many cases run at once, and when to stop starting them.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// Cases in flight at most (at least 1).
    pub jobs: usize,
    /// No case starts after one failed or errored (`--fail-fast`).
    pub fail_fast: bool,
    /// No case starts once this much wall time is spent (`--budget`), with the text the user
    /// wrote, for the reason.
    pub budget: Option<(std::time::Duration, String)>,
}

/// Why the run stopped starting cases before the end of the selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CutShort {
    /// `--fail-fast`, after this case failed or errored.
    FailFast(String),
    /// `--budget`, with the duration as written.
    Budget(String),
}

/// Events of one case, held until every earlier case has been reported, so that output and
/// reports keep catalogue order whatever order the cases finish in.
#[derive(Default)]
struct Slot {
    events: Vec<EventEnvelope>,
    finished: bool,
}

/// Where a case's events go: its slot, stamped when they happen.
#[derive(Clone)]
struct Sink {
    slots: Arc<std::sync::Mutex<Vec<Slot>>>,
    index: usize,
    started: Instant,
}

impl Sink {
    fn push(&self, event: Event) {
        let env = EventEnvelope::new(
            wall_now(),
            self.started.elapsed().as_secs_f64() * 1e3,
            event,
        );
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(self.index) {
            slot.events.push(env);
        }
    }
}

/// Run `scenarios`, up to `schedule.jobs` at once, sending every event to `reporter` in
/// catalogue order.
///
/// Cases are independent by construction: an embedded station is started fresh for each, and
/// an external station's notices are allocated to cases before the first one starts, so no
/// two cases share one they change. What cannot be shared runs alone: against an external
/// station a case that asks the EC for an action (a hook or the person at the terminal), uses
/// the run's one mock ACA (Stand-In) or fans receipts out to the broadcast stations waits for
/// the cases in flight, and no other starts until it is done.
pub async fn run<P: StationProvider>(
    cfg: &EngineConfig,
    scenarios: &[&(Scenario, SourceFile)],
    provider: &P,
    schedule: &Schedule,
    reporter: &mut dyn Reporter,
) -> RunOutcome {
    let started = Instant::now();
    let mut harness_errors = Vec::new();
    let emit = |reporter: &mut dyn Reporter, errors: &mut Vec<String>, env: &EventEnvelope| {
        if let Err(e) = reporter.write_event(env) {
            errors.push(format!("report: {e}"));
        }
    };
    let stamp =
        |event: Event| EventEnvelope::new(wall_now(), started.elapsed().as_secs_f64() * 1e3, event);
    emit(
        reporter,
        &mut harness_errors,
        &stamp(Event::RunStarted {
            info: cfg.info.clone(),
            total_cases: scenarios.len(),
        }),
    );
    let journal = cfg.journal.clone();
    // Decided for the whole selection before anything is sent, so that which notice a case
    // gets does not depend on the order the cases run in.
    let allocation = provider.pool().map(|pool| {
        let list: Vec<&Scenario> = scenarios.iter().map(|(s, _)| s).collect();
        crate::fixtures::allocate(&list, &pool)
    });
    let shared = provider.pool().is_some();
    let env = CaseEnv {
        cfg,
        provider,
        journal: &journal,
        allocation: allocation.as_ref(),
    };
    let slots = Arc::new(std::sync::Mutex::new(
        (0..scenarios.len())
            .map(|_| Slot::default())
            .collect::<Vec<_>>(),
    ));
    let mut results: Vec<Option<CaseResult>> = vec![None; scenarios.len()];
    let jobs = schedule.jobs.max(1);
    // When cases overlap: those that must run alone first, one by one (behind a long case they
    // would wait for it, and hold up every case after them), then the longest first, so the
    // suite lasts about as long as its longest case instead of that case starting last.
    // Reports keep catalogue order whatever the start order.
    let mut order: Vec<usize> = (0..scenarios.len()).collect();
    if jobs > 1 {
        order.sort_by_key(|&i| {
            let s = &scenarios[i].0;
            (
                !(shared && prereq::needs(s).exclusive()),
                std::cmp::Reverse(prereq::cost(s)),
            )
        });
    }
    let mut next = 0;
    let mut head = 0;
    let mut cut_short: Option<CutShort> = None;
    type Running<'f> = Vec<(
        usize,
        bool,
        std::pin::Pin<Box<dyn std::future::Future<Output = CaseResult> + 'f>>,
    )>;
    let mut running: Running<'_> = Vec::new();
    loop {
        // Stop starting cases? Those never started are reported at once, in their slots, so the
        // catalogue-order report below does not wait for them.
        if next < order.len() {
            if cut_short.is_none() {
                if let Some((limit, written)) = &schedule.budget {
                    if started.elapsed() >= *limit {
                        cut_short = Some(CutShort::Budget(written.clone()));
                    }
                }
            }
            let signal = cfg.interrupt.signal();
            if signal.is_some() || cut_short.is_some() {
                let mut slots = slots
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for &index in &order[next..] {
                    let (scenario, file) = scenarios[index];
                    let meta = meta(scenario, file);
                    let result = match (signal, &cut_short) {
                        (Some(signal), _) => interrupted_case(
                            meta.clone(),
                            Vec::new(),
                            signal,
                            Instant::now(),
                            false,
                        ),
                        (None, Some(CutShort::FailFast(after))) => CaseResult::skipped(
                            meta.clone(),
                            format!(
                                "not run: --fail-fast stopped starting cases after {after} did not pass"
                            ),
                        ),
                        (None, Some(CutShort::Budget(budget))) => CaseResult::skipped(
                            meta.clone(),
                            format!(
                                "not run: the --budget of {budget} was spent before this case could start"
                            ),
                        ),
                        (None, None) => CaseResult::skipped(meta.clone(), "not run"),
                    };
                    if let Some(slot) = slots.get_mut(index) {
                        slot.events.push(stamp(Event::ScenarioStarted { meta }));
                        slot.events.push(stamp(Event::ScenarioFinished {
                            result: result.clone(),
                        }));
                        slot.finished = true;
                    }
                    results[index] = Some(result);
                }
                next = order.len();
            }
        }
        // Start what may start.
        while next < order.len() {
            let index = order[next];
            let (scenario, file) = scenarios[index];
            let alone = shared && prereq::needs(scenario).exclusive();
            let blocked = running.iter().any(|(_, alone, _)| *alone);
            if blocked || running.len() >= jobs || (alone && !running.is_empty()) {
                break;
            }
            let sink = Sink {
                slots: slots.clone(),
                index,
                started,
            };
            running.push((
                index,
                alone,
                Box::pin(run_case(env, index, scenario, file, sink)),
            ));
            next += 1;
        }
        // Report, in catalogue order, what the earliest unreported cases have done so far.
        loop {
            let (events, finished) = {
                let mut slots = slots
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match slots.get_mut(head) {
                    Some(slot) => (std::mem::take(&mut slot.events), slot.finished),
                    None => (Vec::new(), false),
                }
            };
            for e in &events {
                emit(reporter, &mut harness_errors, e);
            }
            if !finished {
                break;
            }
            head += 1;
        }
        if running.is_empty() {
            break;
        }
        let finished = std::future::poll_fn(|cx| {
            for i in 0..running.len() {
                if let std::task::Poll::Ready(result) = running[i].2.as_mut().poll(cx) {
                    let (index, _, _) = running.swap_remove(i);
                    return std::task::Poll::Ready(Some((index, result)));
                }
            }
            let head_has_news = slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(head)
                .is_some_and(|s| !s.events.is_empty());
            if head_has_news {
                std::task::Poll::Ready(None)
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        if let Some((index, result)) = finished {
            if schedule.fail_fast
                && cut_short.is_none()
                && matches!(result.verdict, Verdict::Fail | Verdict::Error)
            {
                cut_short = Some(CutShort::FailFast(result.meta.id.clone()));
            }
            let mut slots = slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(slot) = slots.get_mut(index) {
                slot.events.push(stamp(Event::ScenarioFinished {
                    result: result.clone(),
                }));
                slot.finished = true;
            }
            results[index] = Some(result);
        }
    }
    let signal = cfg.interrupt.signal();
    if let Some(e) = journal.take_write_error() {
        harness_errors.push(format!("journal write failed: {e}"));
    }
    let result = RunResult::new(
        cfg.info.clone(),
        results.into_iter().flatten().collect(),
        wall_now(),
        started.elapsed().as_secs_f64() * 1e3,
    );
    emit(
        reporter,
        &mut harness_errors,
        &stamp(Event::RunFinished {
            result: result.clone(),
        }),
    );
    RunOutcome {
        result,
        harness_errors,
        interrupted: cfg.interrupt.signal(),
        cut_short: if signal.is_some() { None } else { cut_short },
    }
}

/// What every case of a run shares.
struct CaseEnv<'r, P> {
    cfg: &'r EngineConfig,
    provider: &'r P,
    journal: &'r Arc<Journal>,
    allocation: Option<&'r Vec<Result<BTreeMap<String, String>, String>>>,
}

impl<P> Clone for CaseEnv<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for CaseEnv<'_, P> {}

/// Receipt tokens a case may make before its range would meet the next case's.
const TOKENS_PER_CASE: u64 = 100_000;

/// One case, from its station to its verdict; its events go to `sink`.
async fn run_case<P: StationProvider>(
    env: CaseEnv<'_, P>,
    case_index: usize,
    scenario: &Scenario,
    file: &SourceFile,
    sink: Sink,
) -> CaseResult {
    let cfg = env.cfg;
    let meta = meta(scenario, file);
    sink.push(Event::ScenarioStarted { meta: meta.clone() });
    let case_started = Instant::now();
    // Each scenario starts at the same virtual instant: scenarios are independent.
    let start = VirtualTime::parse_rfc3339(VIRTUAL_START).unwrap_or(VirtualTime::EPOCH);
    let clock = Arc::new(VirtualClock::new(start));
    // Tokens unique in the run and the same whatever order the cases run in.
    let token_base = case_index as u64 * TOKENS_PER_CASE;
    let (mut station, lease) = match env
        .provider
        .instance(clock.clone(), prereq::needs(scenario))
        .await
    {
        Err(e) => {
            return CaseResult::from_steps(
                meta,
                vec![StepRecord {
                    index: 0,
                    name: "start the station".into(),
                    verdict: Verdict::Error,
                    message: Some(e),
                    duration_ms: case_started.elapsed().as_secs_f64() * 1e3,
                    checks: Vec::new(),
                    exchanges: Vec::new(),
                    transcript: Vec::new(),
                }],
                case_started.elapsed().as_secs_f64() * 1e3,
                Vec::new(),
            );
        }
        Ok(instance) => instance,
    };
    let notices = match env.allocation {
        Some(per_case) => per_case
            .get(case_index)
            .cloned()
            .unwrap_or_else(|| Err("no allocation for this case".into())),
        None => {
            let list: [&Scenario; 1] = [scenario];
            crate::fixtures::allocate(&list, &first_notices(&station.pool))
                .pop()
                .unwrap_or_else(|| Err("no allocation for this case".into()))
        }
    };
    let ready = notices.and_then(|own| {
        // Every role's shared notice, then the case's own: checks that look at all
        // fixtures (ACA-008) see notices no earlier case consumed.
        let mut view: BTreeMap<String, String> = station
            .pool
            .iter()
            .filter_map(|(r, n)| n.first().map(|n| (r.clone(), n.clone())))
            .collect();
        view.extend(own);
        station.fixtures = view;
        prereq::check(scenario, &station, cfg)
    });
    let result = match ready {
        Err(reason) => CaseResult::skipped(meta, reason),
        Ok(()) => {
            run_steps(
                cfg,
                &station,
                env.journal,
                scenario,
                meta,
                clock,
                token_base,
                &sink,
                case_started,
            )
            .await
        }
    };
    env.provider.release(lease).await;
    result
}

/// The steps of a case that may run, in order, each reported as it finishes.
#[allow(clippy::too_many_arguments)]
async fn run_steps(
    cfg: &EngineConfig,
    station: &StationInstance,
    journal: &Arc<Journal>,
    scenario: &Scenario,
    meta: CaseMeta,
    clock: Arc<VirtualClock>,
    token_base: u64,
    sink: &Sink,
    case_started: Instant,
) -> CaseResult {
    let mut ctx = step::ScenarioCtx {
        cfg,
        station,
        clock,
        journal: journal.clone(),
        scenario_id: scenario.id.get_ref().clone(),
        captures: [
            ("id_pa", &cfg.caller.id_pa),
            ("id_broker_pa", &cfg.caller.id_broker_pa),
            ("id_station", &cfg.caller.id_station),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect(),
        token_base,
        nodo: None,
        client: None,
    };
    let mut steps = Vec::new();
    let mut skip_reason = None;
    for (i, st) in scenario.steps.iter().enumerate() {
        // A step can wait a long time (a station that does not answer, an EC action at the
        // terminal): an interrupt abandons it at once.
        let outcome = tokio::select! {
            biased;
            signal = cfg.interrupt.wait() => Err(signal),
            outcome = step::run_step(&mut ctx, i, st) => Ok(outcome),
        };
        match outcome {
            Err(signal) => return interrupted_case(meta, steps, signal, case_started, true),
            Ok(step::StepOutcome::Done(record)) => {
                let record = record.bounded();
                sink.push(Event::StepFinished {
                    case_id: meta.id.clone(),
                    step: record.clone(),
                });
                let stop = record.verdict == Verdict::Error;
                steps.push(record);
                if stop {
                    // Later steps depend on this one; judging them would report
                    // consequences, not causes.
                    break;
                }
            }
            Ok(step::StepOutcome::Skip(reason)) => {
                skip_reason = Some(reason);
                break;
            }
        }
    }
    match skip_reason {
        // Decided before the first exchange when it can be (prereq); a skip found later keeps
        // the steps that ran, so every exchange in the journal belongs to a step in the report.
        Some(reason) if steps.is_empty() => CaseResult::skipped(meta, reason),
        Some(reason) => {
            let mut r = CaseResult::from_steps(
                meta,
                steps,
                case_started.elapsed().as_secs_f64() * 1e3,
                Vec::new(),
            );
            if r.verdict == Verdict::Pass {
                r.verdict = Verdict::Skipped;
                r.reason = Some(format!("stopped after step {}: {reason}", r.steps.len()));
            }
            r
        }
        None => CaseResult::from_steps(
            meta,
            steps,
            case_started.elapsed().as_secs_f64() * 1e3,
            Vec::new(),
        ),
    }
}

/// A case the run was stopped in or before: an error (the station was not fully judged), with
/// the steps that did finish.
fn interrupted_case(
    meta: CaseMeta,
    mut steps: Vec<StepRecord>,
    signal: crate::interrupt::Signal,
    started: Instant,
    in_flight: bool,
) -> CaseResult {
    let message = if !in_flight {
        format!("interrupted ({signal}) before this case started: it was not run")
    } else {
        format!(
            "interrupted ({signal}) during step {}: abandoned; the exchanges it made are in the journal",
            steps.len() + 1
        )
    };
    steps.push(StepRecord {
        index: steps.len(),
        name: "interrupted".into(),
        verdict: Verdict::Error,
        message: Some(message.clone()),
        duration_ms: 0.0,
        checks: Vec::new(),
        exchanges: Vec::new(),
        transcript: Vec::new(),
    });
    let mut r = CaseResult::from_steps(
        meta,
        steps,
        started.elapsed().as_secs_f64() * 1e3,
        Vec::new(),
    );
    r.verdict = Verdict::Error;
    r.reason = Some(message);
    r
}
