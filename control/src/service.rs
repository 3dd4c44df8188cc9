//! What the control API does: the PSP's operations on the [`Nodo`], Stand-In on demand, fault
//! plans, time, and the receipt retries that the wall clock (or an advance) makes due. Every
//! operation persists what it changed before it returns.
//!
//! The Nodo delivers each receipt once when a payment closes (its retry policy here has one
//! attempt): in a scenario it would run all 49 attempts at once on a virtual clock, but in
//! `collaudo serve` time is the wall clock, so the retries are scheduled here, at `first
//! attempt + (n-1) × interval` of serve time, persisted, and sent when that time comes (the
//! background tick) or when `POST /clock/advance` makes it come.

use crate::clock::OffsetClock;
use crate::db::{
    AttemptRow, DbError, DeliveryRow, JournalRow, PaymentRow, TransitionRow, Write, Writer,
};
use collaudo_nodo::aca::AcaState;
use collaudo_nodo::nodo::{Answer, Nodo, NodoError, Route, probe_label};
use collaudo_nodo::receipts::{Attempt, DeliveryResult};
use collaudo_nodo::standin::{PROBE_NOTICE_NUMBER, StandInState, probe_is_positive};
use collaudo_nodo::{
    BackOffice, CheckPolicy, Clock, Exchange, Fault, NodoOutcome, Outage, Recipient, RetryPolicy,
    StandInRules,
};
use collaudo_wire::{Amount, Message, PaymentData, QrCode, Receipt, TransferType};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);

/// A station the Nodo calls, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationInfo {
    /// `idStation`.
    pub id: String,
    /// Its URL.
    pub url: String,
    /// The ECs it answers for (its own EC first).
    pub ecs: Vec<String>,
    /// Whether it is collaudo's embedded reference station.
    pub embedded: bool,
}

/// Why a request cannot be served: the answer's status and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request is malformed.
    BadRequest(String),
    /// 404: it names something that does not exist.
    NotFound(String),
    /// 409: it conflicts with the current state.
    Conflict(String),
    /// 500: the change was made but could not be persisted, or the server is stopping.
    Persist(String),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::NotFound(_) => 404,
            ApiError::Conflict(_) => 409,
            ApiError::Persist(_) => 500,
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            ApiError::BadRequest(m)
            | ApiError::NotFound(m)
            | ApiError::Conflict(m)
            | ApiError::Persist(m) => m,
        }
    }
}

impl From<NodoError> for ApiError {
    fn from(e: NodoError) -> Self {
        match e {
            NodoError::UnknownEc(_) | NodoError::UnknownStation(_) | NodoError::UnknownToken(_) => {
                ApiError::NotFound(e.to_string())
            }
            NodoError::Rules(_) => ApiError::Conflict(e.to_string()),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Persist(format!("not persisted: {e}"))
    }
}

/// What the Nodo answered a verify or an activate.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerView {
    /// `verify` or `activate`.
    pub operation: &'static str,
    /// Who answered, in words: `station X`, `ACA (station X in Stand-In)`.
    pub route: String,
    /// `station`, `aca` or `nodo` (refused before routing).
    pub answered_by: &'static str,
    /// The station concerned.
    pub station: Option<String>,
    /// `OK`, `PPT_ERRORE_EMESSO_DA_PAA/PAA_…` or the Nodo's PPT code.
    pub outcome: String,
    /// The fault code the PSP gets, none for OK.
    pub psp_fault_code: Option<String>,
    /// One sentence: what the Nodo concluded and why, when it judged a station's answer.
    pub explanation: Option<String>,
    /// The payment token of a successful activation: close it with `POST /psp/close`.
    pub token: Option<String>,
    /// The amount to pay, of a successful activation (`12.34`).
    pub amount: Option<String>,
    /// The typed answer (the station's, or the one the Nodo built from ACA).
    pub message: Option<Message>,
    /// Stand-In transitions the call caused.
    pub transitions: Vec<String>,
}

/// One receipt's delivery, as `POST /psp/close` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryOut {
    /// `station <id>`.
    pub recipient: String,
    /// `delivered`, `pending` (a retry is due at `next_attempt_at`) or `stuck`.
    pub result: String,
    /// When the next retry is due (serve time), while pending.
    pub next_attempt_at: Option<String>,
    /// The attempts so far.
    pub attempts: Vec<AttemptRow>,
}

/// What closing a payment did.
#[derive(Debug, Clone, Serialize)]
pub struct ClosedView {
    /// The token (the receipt id).
    pub token: String,
    /// Whether the receipt says Stand-In (the payment was answered from ACA).
    pub stand_in: bool,
    /// The receipt.
    pub receipt: Receipt,
    /// Its delivery to every recipient.
    pub deliveries: Vec<DeliveryOut>,
}

/// What `POST /psp/pay` did.
#[derive(Debug, Clone, Serialize)]
pub struct PayView {
    /// Whether the notice was paid and its receipt issued.
    pub paid: bool,
    /// The step that stopped the payment, when not paid.
    pub stopped_at: Option<&'static str>,
    /// The verify.
    pub verify: AnswerView,
    /// The activation, if the verify was OK.
    pub activate: Option<AnswerView>,
    /// The close, if the activation gave a token.
    pub close: Option<ClosedView>,
}

/// Most notices in one Checkout cart (SANP: "un array degli avvisi da pagare, con un numero
/// massimo di 5").
pub const CART_MAX: usize = 5;

/// One notice of a cart and what each step answered.
#[derive(Debug, Clone, Serialize)]
pub struct CartLine {
    /// The notice.
    pub notice_number: String,
    /// Its verify.
    pub verify: AnswerView,
    /// Its activation, once every notice verified.
    pub activate: Option<AnswerView>,
    /// Its close, once every notice activated.
    pub close: Option<ClosedView>,
}

/// Where a cart stopped.
#[derive(Debug, Clone, Serialize)]
pub struct CartStop {
    /// Index of the notice in the cart, from 0.
    pub notice: usize,
    /// `verify` or `activate`.
    pub step: &'static str,
}

/// A Checkout cart's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CartView {
    /// The EC's cart id, sent as `paymentNote` in every activation.
    pub id_cart: String,
    /// Whether every notice was paid and its receipt issued.
    pub paid: bool,
    /// The notice and step that stopped the cart, when not paid.
    pub stopped_at: Option<CartStop>,
    /// Every notice, in the cart's order.
    pub notices: Vec<CartLine>,
}

/// A station's Stand-In state after an enter or exit.
#[derive(Debug, Clone, Serialize)]
pub struct StandInView {
    /// The station.
    pub station: String,
    /// Whether it is in Stand-In now.
    pub in_stand_in: bool,
    /// How many minutes of serve time the change took (the clock moved that far).
    pub minutes: u32,
    /// Serve time now.
    pub now: String,
    /// Its transitions in this process.
    pub transitions: Vec<String>,
}

/// What advancing the clock did.
#[derive(Debug, Clone, Serialize)]
pub struct AdvanceView {
    /// Serve time now.
    pub now: String,
    /// How far serve time is ahead of the wall clock, in minutes.
    pub offset_minutes: i64,
    /// Stand-In probes the Nodo sent meanwhile.
    pub probes: usize,
    /// Receipt retries sent meanwhile.
    pub retries: usize,
}

/// A receipt delivery with retries still due.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) row: DeliveryRow,
    pub(crate) receipt: Receipt,
}

/// The operations, shared by the handlers and the background tick.
#[derive(Debug)]
pub struct Service {
    pub(crate) nodo: Nodo,
    pub(crate) clock: OffsetClock,
    pub(crate) writer: Arc<Writer>,
    pub(crate) aca: Arc<AcaState>,
    pub(crate) stations: Vec<StationInfo>,
    /// The retry schedule receipts follow (the Nodo itself sends only the first attempt).
    pub(crate) retry: RetryPolicy,
    pub(crate) standin: StandInRules,
    pub(crate) backoffice: BackOffice,
    pub(crate) policy: CheckPolicy,
    pub(crate) pending: tokio::sync::Mutex<Vec<Pending>>,
    /// Held by whatever moves time on purpose (advance, Stand-In enter/exit, the tick's
    /// probes), so two of them never interleave their steps.
    pub(crate) time: tokio::sync::Mutex<()>,
    /// Per station, how many of the Nodo's transitions are already persisted.
    pub(crate) seen_transitions: Mutex<BTreeMap<String, usize>>,
    pub(crate) persisted_offset: AtomicI64,
}

fn route_parts(route: &Route) -> (&'static str, Option<String>) {
    match route {
        Route::Station(s) => ("station", Some(s.clone())),
        Route::Aca(s) => ("aca", Some(s.clone())),
        Route::Gpd => ("gpd", None),
        Route::Refused => ("nodo", None),
    }
}

fn payment_data(message: Option<&Message>) -> Option<&PaymentData> {
    match message {
        Some(Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r)) => r.data.as_ref(),
        _ => None,
    }
}

fn state_name(s: StandInState) -> &'static str {
    match s {
        StandInState::Normal => "normal",
        StandInState::StandIn { .. } => "stand-in",
    }
}

fn attempt_row(token: &str, recipient: &str, n: u32, a: &Attempt) -> AttemptRow {
    AttemptRow {
        token: token.to_string(),
        recipient: recipient.to_string(),
        n,
        at: a.virtual_at.to_string(),
        latency_ms: a.latency_ms,
        status: a.status,
        injected: a.injected.clone(),
        outcome: a.outcome.to_string(),
    }
}

impl Service {
    /// The station with this id.
    ///
    /// # Errors
    /// [`ApiError::NotFound`], naming the stations there are.
    pub fn station(&self, id: &str) -> Result<&StationInfo, ApiError> {
        self.stations.iter().find(|s| s.id == id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "no station {id:?}; stations: {}",
                self.stations
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    /// The stations.
    pub fn stations(&self) -> &[StationInfo] {
        &self.stations
    }

    /// The Nodo.
    pub fn nodo(&self) -> &Nodo {
        &self.nodo
    }

    /// The mock ACA's state.
    pub fn aca(&self) -> &Arc<AcaState> {
        &self.aca
    }

    /// The serve clock.
    pub fn clock(&self) -> &OffsetClock {
        &self.clock
    }

    /// Transitions and clock offset not yet persisted.
    fn bookkeeping(&self) -> Vec<Write> {
        let mut writes = Vec::new();
        {
            let mut seen = self
                .seen_transitions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for s in &self.stations {
                let all = self.nodo.transitions(&s.id);
                let from = seen.get(&s.id).copied().unwrap_or(0);
                for t in all.iter().skip(from) {
                    writes.push(Write::Transition(TransitionRow {
                        station: s.id.clone(),
                        at: t.at.to_string(),
                        from: state_name(t.from).into(),
                        to: state_name(t.to).into(),
                        reason: t.reason.clone(),
                    }));
                }
                seen.insert(s.id.clone(), all.len().max(from));
            }
        }
        let offset = self.clock.offset_ms();
        if self.persisted_offset.swap(offset, Ordering::SeqCst) != offset {
            writes.push(Write::ClockOffset(offset));
        }
        writes
    }

    async fn commit(&self, mut writes: Vec<Write>) -> Result<(), ApiError> {
        writes.extend(self.bookkeeping());
        self.writer.commit(writes).await.map_err(ApiError::from)
    }

    fn journal_row(&self, operation: &str, qr: &QrCode, answer: &Answer) -> JournalRow {
        let (kind, station) = route_parts(&answer.route);
        let ex = answer.exchange.as_ref();
        JournalRow {
            at: ex
                .map_or_else(|| self.clock.now(), |e| e.virtual_at)
                .to_string(),
            operation: operation.to_string(),
            station: station.unwrap_or_default(),
            notice: qr.notice_number.clone(),
            route: kind.to_string(),
            status: ex.and_then(|e| e.response.as_ref()).map(|r| r.status),
            latency_ms: ex.map(|e| e.latency_ms),
            outcome: match &answer.judgement {
                Some(j) => format!("{}: {}", answer.outcome.label(), j.explanation),
                None => answer.outcome.to_string(),
            },
        }
    }

    fn view(operation: &'static str, answer: &Answer) -> AnswerView {
        let (kind, station) = route_parts(&answer.route);
        AnswerView {
            operation,
            route: answer.route.to_string(),
            answered_by: kind,
            station,
            outcome: answer.outcome.label(),
            psp_fault_code: answer.outcome.psp_fault_code(),
            explanation: answer
                .judgement
                .as_ref()
                .map(|j| j.explanation.clone())
                .or_else(|| match &answer.outcome {
                    NodoOutcome::Nodo { reason, .. } => Some(reason.clone()),
                    _ => None,
                }),
            token: answer.token.clone(),
            amount: payment_data(answer.message.as_ref())
                .filter(|_| answer.token.is_some())
                .map(|d| d.payment_amount.to_string()),
            message: answer.message.clone(),
            transitions: answer.transitions.iter().map(ToString::to_string).collect(),
        }
    }

    /// A PSP's verify.
    ///
    /// # Errors
    /// [`ApiError::NotFound`] for an EC the Nodo does not know; [`ApiError::Persist`].
    pub async fn verify(&self, qr: &QrCode) -> Result<AnswerView, ApiError> {
        let answer = self.nodo.verify(qr).await?;
        self.commit(vec![Write::Journal(
            self.journal_row("verify", qr, &answer),
        )])
        .await?;
        Ok(Self::view("verify", &answer))
    }

    /// A PSP's activate; a token opens a payment, persisted as open.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub async fn activate(
        &self,
        qr: &QrCode,
        amount: Option<Amount>,
        transfer_type: Option<TransferType>,
    ) -> Result<AnswerView, ApiError> {
        self.activate_with(qr, amount, transfer_type, None).await
    }

    /// [`Service::activate`] with the request's `paymentNote` (a cart's `idCart`).
    async fn activate_with(
        &self,
        qr: &QrCode,
        amount: Option<Amount>,
        transfer_type: Option<TransferType>,
        payment_note: Option<String>,
    ) -> Result<AnswerView, ApiError> {
        let answer = self
            .nodo
            .activate_with(qr, amount, transfer_type, payment_note)
            .await?;
        let mut writes = vec![Write::Journal(self.journal_row("activate", qr, &answer))];
        if let (Some(token), Some(data)) = (&answer.token, payment_data(answer.message.as_ref())) {
            let (kind, station) = route_parts(&answer.route);
            let json = serde_json::to_string(data)
                .map_err(|e| ApiError::Persist(format!("payment data: {e}")))?;
            writes.push(Write::PaymentOpened(PaymentRow {
                token: token.clone(),
                fiscal_code: qr.fiscal_code.clone(),
                notice_number: qr.notice_number.clone(),
                route: kind.to_string(),
                station: station.unwrap_or_default(),
                amount_cents: i64::try_from(data.payment_amount.cents()).unwrap_or(i64::MAX),
                activated_at: self.clock.now().to_string(),
                data: json,
            }));
        }
        self.commit(writes).await?;
        Ok(Self::view("activate", &answer))
    }

    /// The PSP's outcome OK: the Nodo builds the receipt and makes the first attempt to every
    /// recipient; failed deliveries are scheduled for retry.
    ///
    /// # Errors
    /// [`ApiError::NotFound`] for a token that is not open; [`ApiError::Persist`].
    pub async fn close(&self, token: &str) -> Result<ClosedView, ApiError> {
        let closed = self.nodo.close(token).await?;
        let stand_in = closed.receipt.stand_in == Some(true);
        let receipt_json = serde_json::to_string(&closed.receipt)
            .map_err(|e| ApiError::Persist(format!("receipt: {e}")))?;
        let mut writes = vec![Write::PaymentClosed {
            token: token.to_string(),
            at: self.clock.now().to_string(),
            receipt: receipt_json,
        }];
        if stand_in {
            // Nodo::close marked the ACA position paid.
            writes.push(Write::Position {
                pa_fiscal_code: closed.receipt.fiscal_code.clone(),
                iuv: closed.receipt.creditor_reference_id.clone(),
            });
        }
        if let Some(gpd) = self.nodo.gpd() {
            // GPD-Payments closed the installment in the mock GPD: the position's new status
            // and the receipt the receipts API serves go to the file too.
            let org = &closed.receipt.fiscal_code;
            if let Some((iupd, iuv)) = gpd.store().locate(org, &closed.receipt.notice_number) {
                writes.push(Write::GpdPosition {
                    store: gpd.store().clone(),
                    org: org.clone(),
                    iupd,
                });
                writes.push(Write::GpdReceipt {
                    store: gpd.store().clone(),
                    org: org.clone(),
                    iuv,
                });
            }
        }
        let mut out = Vec::new();
        let mut pending = Vec::new();
        for d in &closed.deliveries {
            let station = d
                .recipient
                .strip_prefix("station ")
                .unwrap_or(&d.recipient)
                .to_string();
            let rows: Vec<AttemptRow> = d
                .attempts
                .iter()
                .map(|a| attempt_row(token, &d.recipient, a.n, a))
                .collect();
            let first_at = d
                .attempts
                .first()
                .map_or_else(|| self.clock.now(), |a| a.virtual_at);
            let made = u32::try_from(d.attempts.len()).unwrap_or(u32::MAX);
            let (result, next_at) = match d.result {
                DeliveryResult::Delivered => ("delivered", None),
                DeliveryResult::Stuck if made < self.retry.max_attempts => (
                    "pending",
                    Some(first_at.plus(self.retry.interval.saturating_mul(made))),
                ),
                DeliveryResult::Stuck => ("stuck", None),
            };
            let row = DeliveryRow {
                token: token.to_string(),
                recipient: d.recipient.clone(),
                station,
                result: result.to_string(),
                first_at: first_at.millis(),
                next_n: made + 1,
                next_at: next_at.map(|t| t.millis()),
            };
            writes.extend(rows.iter().cloned().map(Write::Attempt));
            writes.push(Write::Delivery(row.clone()));
            if next_at.is_some() {
                pending.push(Pending {
                    row,
                    receipt: closed.receipt.clone(),
                });
            }
            out.push(DeliveryOut {
                recipient: d.recipient.clone(),
                result: result.to_string(),
                next_attempt_at: next_at.map(|t| t.to_string()),
                attempts: rows,
            });
        }
        self.commit(writes).await?;
        if !pending.is_empty() {
            self.pending.lock().await.extend(pending);
        }
        Ok(ClosedView {
            token: token.to_string(),
            stand_in,
            receipt: closed.receipt,
            deliveries: out,
        })
    }

    /// Verify, activate and close, stopping at the first step that does not go on.
    ///
    /// # Errors
    /// As the three steps.
    pub async fn pay(&self, qr: &QrCode, amount: Option<Amount>) -> Result<PayView, ApiError> {
        let verify = self.verify(qr).await?;
        if verify.outcome != "OK" {
            return Ok(PayView {
                paid: false,
                stopped_at: Some("verify"),
                verify,
                activate: None,
                close: None,
            });
        }
        let activate = self.activate(qr, amount, None).await?;
        let Some(token) = activate.token.clone() else {
            return Ok(PayView {
                paid: false,
                stopped_at: Some("activate"),
                verify,
                activate: Some(activate),
                close: None,
            });
        };
        let close = self.close(&token).await?;
        Ok(PayView {
            paid: true,
            stopped_at: None,
            verify,
            activate: Some(activate),
            close: Some(close),
        })
    }

    /// A Checkout cart (SANP, "Integrazione touch point dell'EC con Checkout"): at most
    /// [`CART_MAX`] notices, each verified, then each activated with the cart's id as
    /// `paymentNote`, then, when every activation gave a token, each closed OK. The first
    /// notice that does not verify or activate stops the cart before any payment is closed.
    ///
    /// # Errors
    /// [`ApiError::BadRequest`] for an empty or too long cart; those of the steps.
    pub async fn cart(
        &self,
        id_cart: &str,
        notices: &[(QrCode, Option<Amount>)],
    ) -> Result<CartView, ApiError> {
        if notices.is_empty() || notices.len() > CART_MAX {
            return Err(ApiError::BadRequest(format!(
                "a Checkout cart holds 1 to {CART_MAX} notices, not {}",
                notices.len()
            )));
        }
        let mut lines: Vec<CartLine> = Vec::with_capacity(notices.len());
        let stopped = |lines: Vec<CartLine>, at: usize, step: &'static str| CartView {
            id_cart: id_cart.to_string(),
            paid: false,
            stopped_at: Some(CartStop { notice: at, step }),
            notices: lines,
        };
        for (i, (qr, _)) in notices.iter().enumerate() {
            let verify = self.verify(qr).await?;
            let ok = verify.outcome == "OK";
            lines.push(CartLine {
                notice_number: qr.notice_number.clone(),
                verify,
                activate: None,
                close: None,
            });
            if !ok {
                return Ok(stopped(lines, i, "verify"));
            }
        }
        let mut tokens = Vec::with_capacity(notices.len());
        for (i, (qr, amount)) in notices.iter().enumerate() {
            let activate = self
                .activate_with(qr, *amount, None, Some(id_cart.to_string()))
                .await?;
            let token = activate.token.clone();
            lines[i].activate = Some(activate);
            match token {
                Some(t) => tokens.push(t),
                None => return Ok(stopped(lines, i, "activate")),
            }
        }
        for (i, token) in tokens.iter().enumerate() {
            lines[i].close = Some(self.close(token).await?);
        }
        Ok(CartView {
            id_cart: id_cart.to_string(),
            paid: true,
            stopped_at: None,
            notices: lines,
        })
    }

    /// Plan `fault` for the next `count` calls the Nodo makes to `station`.
    ///
    /// # Errors
    /// [`ApiError::NotFound`] for an unknown station.
    pub fn inject(&self, station: &str, fault: Fault, count: u32) -> Result<(), ApiError> {
        self.station(station)?;
        self.nodo.inject(station, fault, count);
        Ok(())
    }

    fn transitions_of(&self, station: &str) -> Vec<String> {
        self.nodo
            .transitions(station)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Put `station` into Stand-In the way a real outage does: every minute of serve time a
    /// verify to it is refused on the way (an injected [`Fault::Refuse`], no call is made),
    /// until the Nodo's monitor decides. The clock moves forward by the minutes it takes
    /// (15 to 35 with the default rules).
    ///
    /// # Errors
    /// [`ApiError::NotFound`], [`ApiError::Conflict`] when already in Stand-In or the monitor
    /// does not decide within four ranges, [`ApiError::Persist`].
    pub async fn enter_stand_in(&self, station: &str) -> Result<StandInView, ApiError> {
        let info = self.station(station)?.clone();
        let _time = self.time.lock().await;
        if self.nodo.in_stand_in(station) {
            return Err(ApiError::Conflict(format!(
                "station {station} is already in Stand-In"
            )));
        }
        let Some(ec) = info.ecs.first() else {
            return Err(ApiError::Conflict(format!(
                "station {station} answers for no EC: the Nodo routes nothing to it"
            )));
        };
        let qr = QrCode {
            fiscal_code: ec.clone(),
            notice_number: PROBE_NOTICE_NUMBER.to_string(),
        };
        let limit = (self.standin.range_minutes.max(30)) * 4;
        let mut minutes = 0;
        while !self.nodo.in_stand_in(station) && minutes < limit {
            self.nodo.inject(station, Fault::Refuse, 1);
            self.nodo.verify(&qr).await?;
            self.clock.advance(MINUTE);
            minutes += 1;
        }
        let entered = self.nodo.in_stand_in(station);
        self.commit(vec![Write::Journal(JournalRow {
            at: self.clock.now().to_string(),
            operation: "stand-in enter".into(),
            station: station.to_string(),
            notice: PROBE_NOTICE_NUMBER.into(),
            route: "station".into(),
            status: None,
            latency_ms: None,
            outcome: format!(
                "{minutes} verify refused on the way, one a minute: {}",
                if entered {
                    "the monitor put the station in Stand-In"
                } else {
                    "the monitor did not decide"
                }
            ),
        })])
        .await?;
        if !entered {
            return Err(ApiError::Conflict(format!(
                "station {station}: the Stand-In monitor did not decide after {minutes} minutes of refused calls (check [standin] rules)"
            )));
        }
        Ok(StandInView {
            station: station.to_string(),
            in_stand_in: true,
            minutes,
            now: self.clock.now().to_string(),
            transitions: self.transitions_of(station),
        })
    }

    /// Let `station` out of Stand-In the way the Nodo does: time passes in probe intervals and
    /// the Nodo probes the station, until enough probes are positive. The station must answer
    /// its probes; the clock moves forward by the minutes it takes (about an hour with the
    /// default rules).
    ///
    /// # Errors
    /// [`ApiError::NotFound`], [`ApiError::Conflict`] when not in Stand-In or still in it
    /// after a day of probes, [`ApiError::Persist`].
    pub async fn exit_stand_in(&self, station: &str) -> Result<StandInView, ApiError> {
        self.station(station)?;
        let _time = self.time.lock().await;
        if !self.nodo.in_stand_in(station) {
            return Err(ApiError::Conflict(format!(
                "station {station} is not in Stand-In"
            )));
        }
        let step = MINUTE * self.standin.probe_interval_minutes.max(1);
        let limit = 24 * 60 / self.standin.probe_interval_minutes.max(1);
        let mut minutes = 0;
        let mut writes = Vec::new();
        for _ in 0..limit {
            if !self.nodo.in_stand_in(station) {
                break;
            }
            let probes = self.nodo.advance(step).await;
            writes.extend(probes.iter().map(|p| Write::Journal(self.probe_row(p))));
            minutes += self.standin.probe_interval_minutes.max(1);
        }
        let left = !self.nodo.in_stand_in(station);
        self.commit(writes).await?;
        if !left {
            return Err(ApiError::Conflict(format!(
                "station {station} is still in Stand-In after {minutes} minutes of probes: is it answering? (see the journal)"
            )));
        }
        Ok(StandInView {
            station: station.to_string(),
            in_stand_in: false,
            minutes,
            now: self.clock.now().to_string(),
            transitions: self.transitions_of(station),
        })
    }

    fn probe_row(&self, ex: &Exchange) -> JournalRow {
        let station = self
            .stations
            .iter()
            .find(|s| s.url == ex.url)
            .map_or_else(|| ex.url.clone(), |s| s.id.clone());
        let status = ex.response.as_ref().map(|r| r.status);
        let positive = ex.transport_error.is_none()
            && ex
                .response
                .as_ref()
                .is_some_and(|r| probe_is_positive(r.status, &String::from_utf8_lossy(&r.body)));
        JournalRow {
            at: ex.virtual_at.to_string(),
            operation: "probe".into(),
            station,
            notice: PROBE_NOTICE_NUMBER.into(),
            route: "station".into(),
            status,
            latency_ms: Some(ex.latency_ms),
            outcome: match &ex.transport_error {
                Some(e) => format!("{}: {}", probe_label(false), e.message),
                None => probe_label(positive).into(),
            },
        }
    }

    /// Time passes: `d` of serve time in probe-interval steps, the Nodo probing stations in
    /// Stand-In, and the receipt retries that come due sent at each step.
    ///
    /// # Errors
    /// [`ApiError::Persist`].
    pub async fn advance(&self, d: Duration) -> Result<AdvanceView, ApiError> {
        let _time = self.time.lock().await;
        let step = MINUTE * self.standin.probe_interval_minutes.max(1);
        let end = self.clock.now().plus(d);
        let (mut probes, mut retries) = (0, 0);
        loop {
            let now = self.clock.now();
            let left = end.since(now);
            let probe_list = self.nodo.advance(left.min(step)).await;
            probes += probe_list.len();
            self.commit(
                probe_list
                    .iter()
                    .map(|p| Write::Journal(self.probe_row(p)))
                    .collect(),
            )
            .await?;
            retries += self.retry_due().await?;
            if self.clock.now() >= end {
                break;
            }
        }
        self.commit(Vec::new()).await?;
        Ok(AdvanceView {
            now: self.clock.now().to_string(),
            offset_minutes: self.clock.offset_ms() / 60_000,
            probes,
            retries,
        })
    }

    /// The background tick: probes due now, retries due now, transitions and clock offset.
    ///
    /// # Errors
    /// [`ApiError::Persist`].
    pub async fn tick(&self) -> Result<(), ApiError> {
        if let Ok(_time) = self.time.try_lock() {
            let probes = self.nodo.advance(Duration::ZERO).await;
            self.commit(
                probes
                    .iter()
                    .map(|p| Write::Journal(self.probe_row(p)))
                    .collect(),
            )
            .await?;
        }
        self.retry_due().await?;
        Ok(())
    }

    /// Send every receipt retry that is due, one attempt each; returns how many were sent.
    ///
    /// # Errors
    /// [`ApiError::Persist`].
    pub async fn retry_due(&self) -> Result<usize, ApiError> {
        let mut pending = self.pending.lock().await;
        let now = self.clock.now();
        let mut sent = 0;
        let mut writes = Vec::new();
        let mut keep = Vec::with_capacity(pending.len());
        for mut p in std::mem::take(&mut *pending) {
            if p.row.next_at.is_none_or(|t| t > now.millis()) {
                keep.push(p);
                continue;
            }
            let Some(link) = self.nodo.registry().station(&p.row.station) else {
                // A station no longer configured: the delivery stays stuck.
                p.row.result = "stuck".into();
                p.row.next_at = None;
                writes.push(Write::Delivery(p.row));
                continue;
            };
            let recipients = [Recipient {
                label: p.row.recipient.clone(),
                client: &link.client,
                message: link.client.send_rt(p.receipt.clone(), link.send_rt_v2),
                outage: Outage::None,
            }];
            let one = RetryPolicy {
                max_attempts: 1,
                ..self.retry
            };
            let done = collaudo_nodo::deliver(
                &recipients,
                &one,
                self.clock.now(),
                &self.backoffice,
                &self.policy,
                None,
                None,
            )
            .await;
            sent += 1;
            let Some(attempt) = done.first().and_then(|d| d.attempts.first()) else {
                keep.push(p);
                continue;
            };
            writes.push(Write::Attempt(attempt_row(
                &p.row.token,
                &p.row.recipient,
                p.row.next_n,
                attempt,
            )));
            if attempt.outcome.is_success() {
                p.row.result = "delivered".into();
                p.row.next_at = None;
            } else if p.row.next_n >= self.retry.max_attempts {
                p.row.result = "stuck".into();
                p.row.next_at = None;
            } else {
                let first = collaudo_nodo::VirtualTime::from_millis(p.row.first_at);
                p.row.next_at = Some(
                    first
                        .plus(self.retry.interval.saturating_mul(p.row.next_n))
                        .millis(),
                );
            }
            p.row.next_n += 1;
            writes.push(Write::Delivery(p.row.clone()));
            if p.row.next_at.is_some() {
                keep.push(p);
            }
        }
        *pending = keep;
        // Committed with the lock held: the next retry pass sees the state the file holds.
        self.commit(writes).await?;
        Ok(sent)
    }

    /// Deliveries with retries still due: (recipient, token, next attempt, due at).
    pub async fn pending(&self) -> Vec<(String, String, u32, String)> {
        self.pending
            .lock()
            .await
            .iter()
            .map(|p| {
                (
                    p.row.recipient.clone(),
                    p.row.token.clone(),
                    p.row.next_n,
                    p.row
                        .next_at
                        .map(|t| collaudo_nodo::VirtualTime::from_millis(t).to_string())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }
}
