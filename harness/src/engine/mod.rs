//! The scenario engine: runs each selected scenario's steps through the mock Nodo against the
//! station, turns the Nodo's judgements into check records and verdicts, and emits one typed
//! event stream to the reporters. It never formats text for a terminal.

mod actions;
mod delivery;
mod expect;
mod prereq;
pub use prereq::Needs;
mod receipt;
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
use collaudo_wire::{Amount, Caller};
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
    /// The station for the next scenario.
    /// `clock` is the scenario's virtual clock: servers started for the scenario (the mock
    /// ACA) stamp their records with it.
    /// `needs` says what the case uses of the servers around the station: a provider that
    /// starts them per case may leave out the others.
    fn instance(
        &mut self,
        clock: Arc<VirtualClock>,
        needs: Needs,
    ) -> impl std::future::Future<Output = Result<StationInstance, String>> + Send;
    /// Release it after the scenario.
    fn release(&mut self) -> impl std::future::Future<Output = ()> + Send;
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
    /// Where the journal goes (`None` = memory only).
    pub journal_path: Option<std::path::PathBuf>,
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

/// Run `scenarios` in order, sending every event to `reporter`.
pub async fn run<P: StationProvider>(
    cfg: &EngineConfig,
    scenarios: &[&(Scenario, SourceFile)],
    provider: &mut P,
    reporter: &mut dyn Reporter,
) -> RunOutcome {
    let started = Instant::now();
    let mut harness_errors = Vec::new();
    let emit = |reporter: &mut dyn Reporter, errors: &mut Vec<String>, event: Event| {
        let env = EventEnvelope::new(wall_now(), started.elapsed().as_secs_f64() * 1e3, event);
        if let Err(e) = reporter.write_event(&env) {
            errors.push(format!("report: {e}"));
        }
    };
    emit(
        reporter,
        &mut harness_errors,
        Event::RunStarted {
            info: cfg.info.clone(),
            total_cases: scenarios.len(),
        },
    );
    let journal = match &cfg.journal_path {
        Some(p) => match Journal::create(p) {
            Ok(j) => Arc::new(j),
            Err(e) => {
                harness_errors.push(format!("cannot create the journal {}: {e}", p.display()));
                Arc::new(Journal::in_memory())
            }
        },
        None => Arc::new(Journal::in_memory()),
    };
    let start = VirtualTime::parse_rfc3339(VIRTUAL_START).unwrap_or(VirtualTime::EPOCH);
    let mut cases = Vec::new();
    let mut token_counter = 0u64;
    // Decided for the whole selection before anything is sent, so that which notice a case
    // gets does not depend on the order the cases run in.
    let allocation = provider.pool().map(|pool| {
        let list: Vec<&Scenario> = scenarios.iter().map(|(s, _)| s).collect();
        crate::fixtures::allocate(&list, &pool)
    });
    for (case_index, (scenario, file)) in scenarios.iter().enumerate() {
        let meta = meta(scenario, file);
        emit(
            reporter,
            &mut harness_errors,
            Event::ScenarioStarted { meta: meta.clone() },
        );
        let case_started = Instant::now();
        let interrupted = cfg.interrupt.signal();
        // Each scenario starts at the same virtual instant: scenarios are independent.
        let clock = Arc::new(VirtualClock::new(start));
        let result = if let Some(signal) = interrupted {
            interrupted_case(meta.clone(), Vec::new(), signal, case_started, false)
        } else {
            match provider
                .instance(clock.clone(), prereq::needs(scenario))
                .await
            {
                Err(e) => CaseResult::from_steps(
                    meta.clone(),
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
                ),
                Ok(mut station) => {
                    let notices = match &allocation {
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
                    if let Err(reason) = ready {
                        CaseResult::skipped(meta.clone(), reason)
                    } else {
                        let mut ctx = step::ScenarioCtx {
                            cfg,
                            station: &station,
                            clock: clock.clone(),
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
                            activations: BTreeMap::new(),
                            verified_amounts: BTreeMap::<String, Amount>::new(),
                            verifies: BTreeMap::new(),
                            token_counter: &mut token_counter,
                            monitor: None,
                            standin_notices: std::collections::BTreeSet::new(),
                            traffic: None,
                            client: None,
                        };
                        let mut steps = Vec::new();
                        let mut skip_reason = None;
                        let mut stopped_by = None;
                        for (i, st) in scenario.steps.iter().enumerate() {
                            // A step can wait a long time (a station that does not answer, an EC
                            // action at the terminal): an interrupt abandons it at once.
                            let outcome = tokio::select! {
                                biased;
                                signal = cfg.interrupt.wait() => Err(signal),
                                outcome = step::run_step(&mut ctx, i, st) => Ok(outcome),
                            };
                            let outcome = match outcome {
                                Ok(outcome) => outcome,
                                Err(signal) => {
                                    stopped_by = Some(signal);
                                    break;
                                }
                            };
                            match outcome {
                                step::StepOutcome::Done(record) => {
                                    let record = record.bounded();
                                    emit(
                                        reporter,
                                        &mut harness_errors,
                                        Event::StepFinished {
                                            case_id: meta.id.clone(),
                                            step: record.clone(),
                                        },
                                    );
                                    let stop = record.verdict == Verdict::Error;
                                    steps.push(record);
                                    if stop {
                                        // Later steps depend on this one; judging them would
                                        // report consequences, not causes.
                                        break;
                                    }
                                }
                                step::StepOutcome::Skip(reason) => {
                                    skip_reason = Some(reason);
                                    break;
                                }
                            }
                        }
                        match (stopped_by, skip_reason) {
                            (Some(signal), _) => {
                                interrupted_case(meta.clone(), steps, signal, case_started, true)
                            }
                            (None, skip_reason) => match skip_reason {
                                // Decided before the first exchange when it can be (prereq); a skip
                                // found later keeps the steps that ran, so every exchange in the
                                // journal belongs to a step in the report.
                                Some(reason) if steps.is_empty() => {
                                    CaseResult::skipped(meta.clone(), reason)
                                }
                                Some(reason) => {
                                    let mut r = CaseResult::from_steps(
                                        meta.clone(),
                                        steps,
                                        case_started.elapsed().as_secs_f64() * 1e3,
                                        Vec::new(),
                                    );
                                    if r.verdict == Verdict::Pass {
                                        r.verdict = Verdict::Skipped;
                                        r.reason = Some(format!(
                                            "stopped after step {}: {reason}",
                                            r.steps.len()
                                        ));
                                    }
                                    r
                                }
                                None => CaseResult::from_steps(
                                    meta.clone(),
                                    steps,
                                    case_started.elapsed().as_secs_f64() * 1e3,
                                    Vec::new(),
                                ),
                            },
                        }
                    }
                }
            }
        };
        if interrupted.is_none() {
            provider.release().await;
        }
        emit(
            reporter,
            &mut harness_errors,
            Event::ScenarioFinished {
                result: result.clone(),
            },
        );
        cases.push(result);
    }
    if let Some(e) = journal.take_write_error() {
        harness_errors.push(format!("journal write failed: {e}"));
    }
    let result = RunResult::new(
        cfg.info.clone(),
        cases,
        wall_now(),
        started.elapsed().as_secs_f64() * 1e3,
    );
    emit(
        reporter,
        &mut harness_errors,
        Event::RunFinished {
            result: result.clone(),
        },
    );
    RunOutcome {
        result,
        harness_errors,
        interrupted: cfg.interrupt.signal(),
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
