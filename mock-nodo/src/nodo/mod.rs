//! The mock Nodo as one component: what a PSP (or Checkout) asks of the Nodo, and the Nodo's
//! own decisions about who answers.
//!
//! A [`Nodo`] owns the registry (ECs, the station each one is served by, the broadcast
//! stations that also receive its receipts), the Stand-In monitor of every station, the ACA
//! archive, the receipt retry policy, the journal and the clock. Its operations are the PSP's:
//! [`Nodo::verify`], [`Nodo::activate`] (which mints the payment token) and [`Nodo::close`]
//! (which builds the receipt and delivers it, with retries, to every recipient). For each call
//! the Nodo decides who answers — the EC's station, or ACA while that station is in Stand-In —
//! and records the decision and why ([`Nodo::decisions`]). The monitor sees every verify and
//! activate the Nodo routes to a station; while a station is in Stand-In, the Nodo sends its
//! own exit probes every probe interval whenever time passes ([`Nodo::advance`]).
//!
//! Nothing here knows about scenarios: a scenario engine drives a `Nodo` the way PSPs, the EC
//! and time would, and observes what the Nodo and the station did.

mod delivery;
mod forward;
pub mod gpd_answer;
pub mod receipt;
mod restore;
pub mod standin_answer;

use crate::aca::AcaState;
use crate::checks::{BackOffice, CheckPolicy, Judgement, NodoOutcome};
use crate::client::NodoClient;
use crate::clock::{Clock, VirtualTime};
use crate::gpd::{GpdState, ReceiptData};
use crate::journal::{Exchange, Journal};
use crate::receipts::{Delivery, Outage, Recipient, RetryPolicy};
use crate::standin::{
    PROBE_NOTICE_NUMBER, StandInRules, StationMonitor, TrafficModel, Transition, probe_is_positive,
};
use crate::transport::Fault;
use collaudo_wire::{Amount, FaultCode, Message, PaymentData, QrCode, TransferType};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub use delivery::ReceiptDelivery;
pub use forward::{Forward, Forwarded, Passed, Passing, ReceiptBasis, ReceiptProblem};

/// Decisions a Nodo keeps (the oldest go first): `collaudo serve` runs for days.
pub const MAX_DECISIONS: usize = 10_000;

/// Notices a Nodo remembers the last verify and activation of (the oldest go first).
pub const MAX_REMEMBERED_NOTICES: usize = 100_000;

/// The Nodo's total traffic per Stand-In slot when nobody said otherwise.
const DEFAULT_TRAFFIC: TrafficModel = TrafficModel::PerSlot(1000);

/// One technical probe of a station in Stand-In (DOMAIN.md §7): a verify of
/// [`PROBE_NOTICE_NUMBER`] for the station's EC, positive when the station answers HTTP 2xx
/// with `PAA_PAGAMENTO_SCONOSCIUTO` in the body. The exchange is journalled and classified
/// `probe positive` / `probe negative`.
pub async fn probe(
    client: &NodoClient,
    fault: Option<Fault>,
    scenario: Option<&str>,
    step: Option<usize>,
) -> (Exchange, bool) {
    let msg = client.verify(QrCode {
        fiscal_code: client.target().caller.id_pa.clone(),
        notice_number: PROBE_NOTICE_NUMBER.into(),
    });
    let ex = client.send(&msg, fault, scenario, step).await;
    let positive = ex.transport_error.is_none()
        && ex
            .response
            .as_ref()
            .is_some_and(|r| probe_is_positive(r.status, &String::from_utf8_lossy(&r.body)));
    client
        .journal()
        .update_classification(ex.seq, probe_label(positive));
    (ex, positive)
}

/// How the journal and the reports classify a probe.
pub fn probe_label(positive: bool) -> &'static str {
    if positive {
        "probe positive"
    } else {
        "probe negative"
    }
}

/// How an EC is integrated with pagoPA.
///
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// The EC's station answers verify and activate; ACA while it is in Stand-In.
    Sync,
    /// The EC has no station answering the Nodo: its debt positions are in GPD and
    /// GPD-Payments answers verify and activate for it (DOMAIN.md §9). Its receipts go to its
    /// broadcast stations (push) and to GPD's receipts API (pull).
    Async,
}

/// A station the Nodo calls: its client (URL, TLS, identities, timeouts, the Nodo's clock and
/// journal) and the primitive versions it is configured for.
#[derive(Debug, Clone)]
pub struct StationLink {
    /// The Nodo's client toward the station.
    pub client: NodoClient,
    /// `paGetPaymentV2` (true) or `paGetPayment`.
    pub get_payment_v2: bool,
    /// `paSendRTV2` (true) or `paSendRT`.
    pub send_rt_v2: bool,
}

impl StationLink {
    /// The station's id (`idStation`).
    pub fn id(&self) -> &str {
        &self.client.target().caller.id_station
    }
}

/// One EC the Nodo knows.
#[derive(Debug, Clone)]
pub struct EcEntry {
    /// The EC's fiscal code (`idPA`).
    pub fiscal_code: String,
    /// How it is integrated.
    pub integration: Integration,
    /// The station that answers for it (an `idStation` in the registry's stations); `None`
    /// for an [`Integration::Async`] EC.
    pub station: Option<String>,
    /// Stations that receive every receipt with a transfer to this EC, besides `station`
    /// (DOMAIN.md §6).
    pub broadcast: Vec<String>,
}

/// ECs and stations, as the Nodo's configuration database holds them.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    ecs: BTreeMap<String, EcEntry>,
    stations: BTreeMap<String, StationLink>,
}

impl Registry {
    /// Adds (or replaces) a station.
    #[must_use]
    pub fn with_station(mut self, link: StationLink) -> Registry {
        self.stations.insert(link.id().to_string(), link);
        self
    }

    /// Adds (or replaces) an EC.
    #[must_use]
    pub fn with_ec(mut self, ec: EcEntry) -> Registry {
        self.ecs.insert(ec.fiscal_code.clone(), ec);
        self
    }

    /// The EC with this fiscal code.
    pub fn ec(&self, fiscal_code: &str) -> Option<&EcEntry> {
        self.ecs.get(fiscal_code)
    }

    /// The station with this id.
    pub fn station(&self, id: &str) -> Option<&StationLink> {
        self.stations.get(id)
    }
}

/// Who answered the PSP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The EC's station, by id.
    Station(String),
    /// The Nodo itself, from ACA, while the station (by id) is in Stand-In.
    Aca(String),
    /// GPD-Payments, for an EC on the asynchronous integration.
    Gpd,
    /// Nobody: the Nodo refused before routing (unknown EC, unknown token…).
    Refused,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Station(s) => write!(f, "station {s}"),
            Route::Aca(s) => write!(f, "ACA (station {s} in Stand-In)"),
            Route::Gpd => f.write_str("GPD-Payments"),
            Route::Refused => f.write_str("the Nodo (refused)"),
        }
    }
}

/// A decision the Nodo took, with its reason, for the record.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Scenario time of the decision.
    pub at: VirtualTime,
    /// `verify`, `activate`, `close`, `probe`.
    pub operation: &'static str,
    /// The notice concerned.
    pub notice: String,
    /// Who answered.
    pub route: Route,
    /// Why.
    pub why: String,
}

/// What the Nodo answered a PSP's verify or activate.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Who answered.
    pub route: Route,
    /// What the Nodo tells the PSP.
    pub outcome: NodoOutcome,
    /// The answer's typed message (the station's, or the one the Nodo built from ACA).
    pub message: Option<Message>,
    /// The exchange with the station, when the station was called.
    pub exchange: Option<Exchange>,
    /// The Nodo's judgement of the station's answer, when the station was called.
    pub judgement: Option<Judgement>,
    /// The payment token, for a successful activation.
    pub token: Option<String>,
    /// Stand-In transitions the call caused (the monitor saw it).
    pub transitions: Vec<Transition>,
}

/// What closing a payment did.
#[derive(Debug, Clone)]
pub struct Closed {
    /// The receipt the Nodo built.
    pub receipt: collaudo_wire::Receipt,
    /// Its delivery to each recipient (the EC's station first, then broadcast stations).
    pub deliveries: Vec<Delivery>,
}

/// Why the Nodo could not do what was asked (not a station's failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodoError {
    /// No EC with this fiscal code in the registry.
    #[error("EC {0} is not in the Nodo's registry")]
    UnknownEc(String),
    /// The EC's station is not in the registry.
    #[error("station {0} is not in the Nodo's registry")]
    UnknownStation(String),
    /// No open payment with this token.
    #[error("no open payment with token {0}")]
    UnknownToken(String),
    /// The Stand-In rules are invalid.
    #[error("invalid Stand-In rules: {0}")]
    Rules(String),
}

/// An open (activated, not closed) payment.
#[derive(Debug, Clone)]
struct Payment {
    qr: QrCode,
    route: Route,
    data: PaymentData,
}

#[derive(Default)]
struct State {
    monitors: BTreeMap<String, StationMonitor>,
    traffic: Option<TrafficModel>,
    payments: BTreeMap<String, Payment>,
    tokens: u64,
    decisions: std::collections::VecDeque<Decision>,
    /// Station id → faults for its next calls, consumed one per call (verify, activate,
    /// probe; receipts have their own outages).
    faults: BTreeMap<String, std::collections::VecDeque<Fault>>,
    /// What the Nodo learnt of each notice (EC, notice number) from the answers it routed.
    notices: BTreeMap<forward::NoticeKey, forward::Seen>,
    /// The order notices were first remembered in, to forget the oldest first.
    notice_order: std::collections::VecDeque<forward::NoticeKey>,
}

/// Everything a [`Nodo`] is made of.
pub struct NodoConfig {
    /// ECs and stations.
    pub registry: Registry,
    /// ECs and IBANs registered on the platform (the Nodo's semantic checks use them).
    pub backoffice: BackOffice,
    /// Nodo choices where sources disagree.
    pub policy: CheckPolicy,
    /// Receipt retry schedule.
    pub retry: RetryPolicy,
    /// Stand-In rules.
    pub standin: StandInRules,
    /// The ACA archive Stand-In answers come from, if the Nodo has one.
    pub aca: Option<Arc<AcaState>>,
    /// The GPD that GPD-Payments answers from for asynchronous ECs, if the Nodo has one.
    pub gpd: Option<Arc<GpdState>>,
    /// The Nodo's clock (virtual in scenarios): every station client must share it.
    pub clock: Arc<dyn Clock>,
    /// Where every exchange goes: every station client must share it.
    pub journal: Arc<Journal>,
    /// Seed of payment tokens.
    pub seed: u64,
}

/// The mock Nodo dei Pagamenti.
pub struct Nodo {
    registry: Registry,
    backoffice: BackOffice,
    policy: CheckPolicy,
    retry: RetryPolicy,
    standin: StandInRules,
    aca: Option<Arc<AcaState>>,
    gpd: Option<Arc<GpdState>>,
    clock: Arc<dyn Clock>,
    journal: Arc<Journal>,
    seed: u64,
    state: Mutex<State>,
}

impl fmt::Debug for Nodo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nodo")
            .field("registry", &self.registry)
            .field("now", &self.clock.now())
            .finish_non_exhaustive()
    }
}

/// A Nodo on `registry` with every other part at its default, on a virtual clock at the epoch
/// and an in-memory journal: what this module's unit tests start from.
#[cfg(test)]
fn test_nodo(registry: Registry) -> Nodo {
    Nodo::new(NodoConfig {
        registry,
        backoffice: BackOffice::default(),
        policy: CheckPolicy::default(),
        retry: RetryPolicy::default(),
        standin: StandInRules::default(),
        aca: None,
        gpd: None,
        clock: Arc::new(crate::clock::VirtualClock::new(VirtualTime::EPOCH)),
        journal: Arc::new(Journal::in_memory()),
        seed: 1,
    })
    .expect("nodo")
}

impl Nodo {
    /// A Nodo with this configuration.
    pub fn new(config: NodoConfig) -> Result<Nodo, NodoError> {
        config
            .standin
            .validate()
            .map_err(|e| NodoError::Rules(e.to_string()))?;
        Ok(Nodo {
            registry: config.registry,
            backoffice: config.backoffice,
            policy: config.policy,
            retry: config.retry,
            standin: config.standin,
            aca: config.aca,
            gpd: config.gpd,
            clock: config.clock,
            journal: config.journal,
            seed: config.seed,
            state: Mutex::new(State::default()),
        })
    }

    /// Payment tokens continue after `n` tokens already made: several Nodi with one seed
    /// (one per scenario) keep their tokens apart with distinct ranges.
    #[must_use]
    pub fn with_tokens_after(self, n: u64) -> Nodo {
        self.state().tokens = n;
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The GPD GPD-Payments answers from for asynchronous ECs, if the Nodo has one.
    pub fn gpd(&self) -> Option<&Arc<GpdState>> {
        self.gpd.as_ref()
    }

    /// The Nodo's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The journal of every exchange.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// Every decision so far, in order.
    /// A long-running Nodo keeps the last [`MAX_DECISIONS`].
    pub fn decisions(&self) -> Vec<Decision> {
        self.state().decisions.iter().cloned().collect()
    }

    /// The Nodo's total payment traffic per Stand-In slot (all stations), from now on.
    pub fn set_traffic(&self, traffic: TrafficModel) {
        let from = self.standin.slot_start(self.clock.now());
        let mut st = self.state();
        st.traffic = Some(match st.traffic.take() {
            Some(before) => before.then_from(from, traffic),
            None => traffic,
        });
    }

    /// The next `count` calls the Nodo makes to `station` (verify, activate, probe) suffer
    /// `fault` on the way (a refused connection, a timeout, a corrupted answer…), after any
    /// faults already planned.
    pub fn inject(&self, station: &str, fault: Fault, count: u32) {
        let mut st = self.state();
        let queue = st.faults.entry(station.to_string()).or_default();
        queue.extend(std::iter::repeat_n(fault, count as usize));
    }

    fn next_fault(&self, station: &str) -> Option<Fault> {
        self.state()
            .faults
            .get_mut(station)
            .and_then(|q| q.pop_front())
    }

    /// Whether the station is in Stand-In now.
    pub fn in_stand_in(&self, station: &str) -> bool {
        self.state()
            .monitors
            .get(station)
            .is_some_and(StationMonitor::in_stand_in)
    }

    /// The Stand-In transitions of the station so far.
    pub fn transitions(&self, station: &str) -> Vec<Transition> {
        self.state()
            .monitors
            .get(station)
            .map(|m| m.transitions().to_vec())
            .unwrap_or_default()
    }

    fn record(&self, operation: &'static str, notice: &str, route: Route, why: String) {
        let at = self.clock.now();
        let mut st = self.state();
        if st.decisions.len() >= MAX_DECISIONS {
            st.decisions.pop_front();
        }
        st.decisions.push_back(Decision {
            at,
            operation,
            notice: notice.to_string(),
            route,
            why,
        });
    }

    /// The EC and the station that answers for it: none for an asynchronous EC, whose calls
    /// GPD-Payments answers.
    fn route_of(&self, ec: &str) -> Result<(&EcEntry, Option<&StationLink>), NodoError> {
        let entry = self
            .registry
            .ec(ec)
            .ok_or_else(|| NodoError::UnknownEc(ec.to_string()))?;
        match (&entry.station, entry.integration) {
            // GPD-Payments answers for an asynchronous EC, whatever station it may list.
            (_, Integration::Async) => Ok((entry, None)),
            (None, Integration::Sync) => Err(NodoError::UnknownStation(format!(
                "(none configured for the synchronous EC {ec})"
            ))),
            (Some(id), _) => {
                let link = self
                    .registry
                    .station(id)
                    .ok_or_else(|| NodoError::UnknownStation(id.clone()))?;
                Ok((entry, Some(link)))
            }
        }
    }

    /// GPD-Payments' answer for an asynchronous EC: from the payable installment, or the PAA
    /// code GPD answers with (relayed to the PSP as an EC's KO).
    fn answer_from_gpd(&self, qr: &QrCode, activate: bool) -> Answer {
        let op = if activate { "activate" } else { "verify" };
        let Some(gpd) = &self.gpd else {
            self.record(
                op,
                &qr.notice_number,
                Route::Gpd,
                "the EC is asynchronous and the Nodo has no GPD".into(),
            );
            return Answer {
                route: Route::Gpd,
                outcome: NodoOutcome::Nodo {
                    code: FaultCode::PptSystemError,
                    reason: "the EC is asynchronous and this Nodo has no GPD to answer for it"
                        .into(),
                },
                message: None,
                exchange: None,
                judgement: None,
                token: None,
                transitions: Vec::new(),
            };
        };
        match gpd.payable(&qr.fiscal_code, &qr.notice_number) {
            Ok(opt) => {
                let (message, token) = if activate {
                    let res = gpd_answer::activation(&opt);
                    let token = res
                        .data
                        .clone()
                        .map(|data| self.open_payment(qr, Route::Gpd, data));
                    (Message::GetPaymentV2Res(Box::new(res)), token)
                } else {
                    (
                        Message::VerifyPaymentNoticeRes(gpd_answer::verify(&opt)),
                        None,
                    )
                };
                self.remember(qr, &message, &Route::Gpd);
                self.record(
                    op,
                    &qr.notice_number,
                    Route::Gpd,
                    format!(
                        "EC {} is asynchronous: GPD-Payments answers from position {} ({})",
                        qr.fiscal_code, opt.iupd, opt.status
                    ),
                );
                Answer {
                    route: Route::Gpd,
                    outcome: NodoOutcome::Ok,
                    message: Some(message),
                    exchange: None,
                    judgement: None,
                    token,
                    transitions: Vec::new(),
                }
            }
            Err(refusal) => {
                self.record(
                    op,
                    &qr.notice_number,
                    Route::Gpd,
                    format!(
                        "EC {} is asynchronous: GPD-Payments refuses: {refusal}",
                        qr.fiscal_code
                    ),
                );
                Answer {
                    route: Route::Gpd,
                    outcome: NodoOutcome::EcKo {
                        code: FaultCode::parse(refusal.fault_code()),
                        fault_string: refusal.to_string(),
                    },
                    message: None,
                    exchange: None,
                    judgement: None,
                    token: None,
                    transitions: Vec::new(),
                }
            }
        }
    }

    /// The monitor's view of a call the Nodo routed to `station`: evaluated up to now, with the
    /// transitions it caused.
    fn observe(&self, station: &str, at: VirtualTime, outcome: &NodoOutcome) -> Vec<Transition> {
        let now = self.clock.now();
        let mut st = self.state();
        // The default is not stored: a scenario that sets the traffic later (an outage) sets
        // it for the whole range, as if it had been said first.
        let traffic = st.traffic.clone().unwrap_or(DEFAULT_TRAFFIC);
        let rules = self.standin.clone();
        let monitor = match st.monitors.entry(station.to_string()) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                // The rules were validated in `new`.
                match StationMonitor::new(rules, at) {
                    Ok(m) => v.insert(m),
                    Err(_) => return Vec::new(),
                }
            }
        };
        monitor.observe_outcome(at, outcome);
        monitor.evaluate_until(now, &traffic)
    }

    fn company_of(&self, ec: &str) -> String {
        self.backoffice
            .ec(ec)
            .and_then(|e| e.company_name.clone())
            .unwrap_or_else(|| "Ente creditore".into())
    }

    /// The answer from ACA for a station in Stand-In.
    fn answer_from_aca(&self, station: &str, qr: &QrCode, activate: bool) -> Answer {
        let position = self
            .aca
            .as_ref()
            .and_then(|a| standin_answer::position(a.store(), &qr.fiscal_code, &qr.notice_number));
        let refusal = if self.aca.is_none() {
            Some("the Nodo has no ACA archive".to_string())
        } else {
            standin_answer::not_payable(position.as_ref(), self.clock.now())
        };
        let route = Route::Aca(station.to_string());
        let op = if activate { "activate" } else { "verify" };
        match (refusal, position) {
            (None, Some(p)) => {
                let company = self.company_of(&qr.fiscal_code);
                let (message, token) = if activate {
                    let res = standin_answer::activation(&p, &company);
                    let token = res
                        .data
                        .clone()
                        .map(|data| self.open_payment(qr, route.clone(), data));
                    (Message::GetPaymentV2Res(Box::new(res)), token)
                } else {
                    (
                        Message::VerifyPaymentNoticeRes(standin_answer::verify(&p, &company)),
                        None,
                    )
                };
                self.remember(qr, &message, &route);
                self.record(
                    op,
                    &qr.notice_number,
                    route.clone(),
                    format!("station {station} is in Stand-In: answered from ACA"),
                );
                Answer {
                    route,
                    outcome: NodoOutcome::Ok,
                    message: Some(message),
                    exchange: None,
                    judgement: None,
                    token,
                    transitions: Vec::new(),
                }
            }
            (why, _) => {
                let why = why.unwrap_or_else(|| "the notice is not in ACA".into());
                self.record(
                    op,
                    &qr.notice_number,
                    route.clone(),
                    format!("station {station} is in Stand-In and ACA cannot pay it: {why}"),
                );
                Answer {
                    route,
                    outcome: NodoOutcome::Nodo {
                        code: FaultCode::PptPagamentoSconosciuto,
                        reason: format!("not payable in Stand-In: {why}"),
                    },
                    message: None,
                    exchange: None,
                    judgement: None,
                    token: None,
                    transitions: Vec::new(),
                }
            }
        }
    }

    fn open_payment(&self, qr: &QrCode, route: Route, data: PaymentData) -> String {
        let mut st = self.state();
        st.tokens += 1;
        let token = receipt::token(self.seed, st.tokens);
        st.payments.insert(
            token.clone(),
            Payment {
                qr: qr.clone(),
                route,
                data,
            },
        );
        token
    }

    /// Calls the station with `msg` and judges the answer; the monitor sees the outcome.
    async fn call_station(
        &self,
        link: &StationLink,
        qr: &QrCode,
        msg: &Message,
    ) -> Result<Answer, NodoError> {
        let (primitive, _) = msg.kind();
        let Forwarded {
            exchange,
            judgement: j,
            transitions,
        } = self
            .forward(Forward {
                ec: &qr.fiscal_code,
                notice: Some(&qr.notice_number),
                message: msg,
                body: msg.to_xml(),
                soap_action: Some(
                    link.client
                        .target()
                        .soap_action_style
                        .header_value(primitive),
                ),
                fault: self.next_fault(link.id()),
                psp_traffic: true,
                scenario: None,
                step: None,
            })
            .await?;
        let route = Route::Station(link.id().to_string());
        let token = match (&j.outcome, &j.message) {
            (NodoOutcome::Ok, Some(Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r))) => r
                .data
                .clone()
                .map(|data| self.open_payment(qr, route.clone(), data)),
            _ => None,
        };
        Ok(Answer {
            route,
            outcome: j.outcome.clone(),
            message: j.message.clone(),
            exchange: Some(exchange),
            judgement: Some(j),
            token,
            transitions,
        })
    }

    /// A PSP's `verifyPaymentNotice`: the Nodo asks the EC's station, or answers from ACA while
    /// the station is in Stand-In, or from GPD for an asynchronous EC.
    pub async fn verify(&self, qr: &QrCode) -> Result<Answer, NodoError> {
        match self.route_of(&qr.fiscal_code)? {
            (_, None) => Ok(self.answer_from_gpd(qr, false)),
            (_, Some(link)) if self.in_stand_in(link.id()) => {
                Ok(self.answer_from_aca(link.id(), qr, false))
            }
            (_, Some(link)) => {
                let msg = link.client.verify(qr.clone());
                self.call_station(link, qr, &msg).await
            }
        }
    }

    /// A PSP's `activatePaymentNotice`: on success the Nodo holds the payment under a new
    /// token, to close later.
    pub async fn activate(
        &self,
        qr: &QrCode,
        amount: Option<Amount>,
        transfer_type: Option<TransferType>,
    ) -> Result<Answer, NodoError> {
        self.activate_with(qr, amount, transfer_type, None).await
    }

    /// [`Nodo::activate`] with the request's `paymentNote`: Checkout puts the EC's `idCart`
    /// there for every notice of a cart (SANP, "Integrazione touch point dell'EC con
    /// Checkout").
    pub async fn activate_with(
        &self,
        qr: &QrCode,
        amount: Option<Amount>,
        transfer_type: Option<TransferType>,
        payment_note: Option<String>,
    ) -> Result<Answer, NodoError> {
        match self.route_of(&qr.fiscal_code)? {
            (_, None) => Ok(self.answer_from_gpd(qr, true)),
            (_, Some(link)) if self.in_stand_in(link.id()) => {
                Ok(self.answer_from_aca(link.id(), qr, true))
            }
            (_, Some(link)) => {
                let mut msg =
                    link.client
                        .get_payment(qr.clone(), amount, link.get_payment_v2, transfer_type);
                if let Message::GetPaymentReq(r) | Message::GetPaymentV2Req(r) = &mut msg {
                    r.payment_note = payment_note;
                }
                self.call_station(link, qr, &msg).await
            }
        }
    }

    /// The PSP's outcome of the payment (`sendPaymentOutcome` OK): the Nodo builds the receipt
    /// and delivers it, with its retry schedule, to the EC's station and to the broadcast
    /// stations of every EC with a transfer in it. A payment answered from ACA marks the ACA
    /// position paid and its receipt `standIn=true`.
    pub async fn close(&self, token: &str) -> Result<Closed, NodoError> {
        let payment = self
            .state()
            .payments
            .remove(token)
            .ok_or_else(|| NodoError::UnknownToken(token.to_string()))?;
        let (ec, link) = self.route_of(&payment.qr.fiscal_code)?;
        let now = self.clock.now().to_string();
        let mut receipt = receipt::from_activation(
            &payment.data,
            &payment.qr.notice_number,
            &ec.fiscal_code,
            token,
            // An asynchronous EC's receipts are paSendRTV2 (its broadcast stations get each in
            // their own version below).
            link.is_none_or(|l| l.send_rt_v2),
            &now,
            &self.company_of(&ec.fiscal_code),
        );
        if payment.route == Route::Gpd {
            // GPD-Payments closes the installment: the position is PAID (or PARTIALLY_PAID),
            // and the receipt is served by the receipts API (pull).
            let mut data = ReceiptData::new(token);
            data.amount = i64::try_from(payment.data.payment_amount.cents()).ok();
            data.payment_date = Some(self.clock.now());
            data.psp_company = Some(receipt.psp_company_name.clone());
            if let Some(gpd) = &self.gpd {
                if let Err(refusal) = gpd.pay(&ec.fiscal_code, &payment.qr.notice_number, data) {
                    self.record(
                        "close",
                        &payment.qr.notice_number,
                        Route::Gpd,
                        format!("GPD did not take the receipt: {refusal}"),
                    );
                }
            }
        }
        let stand_in = matches!(payment.route, Route::Aca(_));
        receipt.stand_in = Some(stand_in);
        if stand_in {
            if let Some(aca) = &self.aca {
                let _ = aca
                    .store()
                    .mark_paid(&ec.fiscal_code, &payment.data.creditor_reference_id);
            }
        }
        // The EC's station, then the broadcast stations of every EC the receipt pays.
        let mut stations: Vec<&StationLink> = link.into_iter().collect();
        stations.extend(
            self.broadcast_recipients(&ec.fiscal_code, &receipt)
                .into_iter()
                .map(|(_, l)| l),
        );
        let recipients: Vec<Recipient<'_>> = stations
            .iter()
            // Each station gets the receipt in its own version, under its own identities.
            .map(|l| Recipient {
                label: format!("station {}", l.id()),
                client: &l.client,
                message: l.client.send_rt(receipt.clone(), l.send_rt_v2),
                outage: Outage::None,
            })
            .collect();
        let start = self.clock.now();
        let deliveries = crate::receipts::deliver(
            &recipients,
            &self.retry,
            start,
            &self.backoffice,
            &self.policy,
            None,
            None,
        )
        .await;
        self.record(
            "close",
            &payment.qr.notice_number,
            link.map_or(Route::Gpd, |l| Route::Station(l.id().to_string())),
            format!(
                "payment closed OK: the receipt goes to {} recipient{}",
                recipients.len(),
                if recipients.len() == 1 { "" } else { "s" }
            ),
        );
        Ok(Closed {
            receipt,
            deliveries,
        })
    }

    /// Time passes: the clock moves `d` forward in probe-interval steps, and at every step the
    /// Nodo probes each station in Stand-In whose probe is due (a verify of
    /// [`PROBE_NOTICE_NUMBER`]), then lets its monitor decide. Returns the probe exchanges.
    pub async fn advance(&self, d: Duration) -> Vec<Exchange> {
        self.advance_observed(d, &Passing::default())
            .await
            .probes
            .into_iter()
            .map(|(ex, _)| ex)
            .collect()
    }
}
