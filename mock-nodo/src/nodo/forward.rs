//! The Nodo driven by a scenario: calls shaped exactly as the scenario asks (its own request
//! body, SOAPAction, injected fault), what the Nodo learns from them (the last verify of a
//! notice, its activation), its monitor observed and evaluated on demand, and time passing with
//! the Nodo's own probes.
//!
//! A PSP's [`Nodo::verify`] and [`Nodo::activate`] build their requests from the registry; a
//! conformance scenario also needs to send a station what no PSP would (a corrupted body, a
//! wrong SOAPAction, another caller) and to see what the Nodo concludes. Both go through the
//! same routing, judging, monitor and memory, so a scenario observes the Nodo, it does not
//! imitate it.

use super::{Nodo, NodoError, Route};
use crate::checks::Judgement;
use crate::journal::Exchange;
use crate::standin::{PROBE_NOTICE_NUMBER, StationMonitor, TrafficModel, Transition};
use crate::transport::Fault;
use collaudo_wire::{Amount, Message, PaymentData, Primitive, QrCode, VerifyPaymentNoticeRes};
use std::time::Duration;

/// What the Nodo learnt of one notice from the answers it routed.
#[derive(Debug, Clone, Default)]
pub(super) struct Seen {
    /// The last verify answer with a payment option.
    verify: Option<VerifyPaymentNoticeRes>,
    /// The last activation's payment data.
    activation: Option<PaymentData>,
    /// Who answered that activation.
    activated_by: Option<Route>,
}

pub(super) type NoticeKey = (String, String);

fn key(qr: &QrCode) -> NoticeKey {
    (qr.fiscal_code.clone(), qr.notice_number.clone())
}

/// A call to an EC's station exactly as the caller shaped it.
#[derive(Debug, Clone)]
pub struct Forward<'a> {
    /// The EC whose station is called (the Nodo routes by it).
    pub ec: &'a str,
    /// The notice the call is about, if any (what the Nodo remembers is keyed by it).
    pub notice: Option<&'a str>,
    /// The typed request the body stands for: the answer is judged against it.
    pub message: &'a Message,
    /// The bytes sent.
    pub body: String,
    /// The `SOAPAction` header value (`None` leaves it out).
    pub soap_action: Option<String>,
    /// A fault injected on the way (latency, timeout, refused connection, corrupted answer).
    pub fault: Option<Fault>,
    /// Whether it is a PSP's verify or activation, which the Stand-In monitor counts (a
    /// technical probe or a receipt is not).
    pub psp_traffic: bool,
    /// The scenario and step, for the journal.
    pub scenario: Option<&'a str>,
    /// See `scenario`.
    pub step: Option<usize>,
}

impl<'a> Forward<'a> {
    /// `message` as the Nodo writes it (canonical prefixes, the quoted SOAPAction), with no
    /// fault.
    pub fn as_written(ec: &'a str, notice: Option<&'a str>, message: &'a Message) -> Self {
        let (primitive, _) = message.kind();
        Forward {
            ec,
            notice,
            message,
            body: message.to_xml(),
            soap_action: Some(collaudo_wire::soap_action(primitive)),
            fault: None,
            psp_traffic: matches!(
                primitive,
                Primitive::VerifyPaymentNotice | Primitive::GetPayment | Primitive::GetPaymentV2
            ),
            scenario: None,
            step: None,
        }
    }
}

/// What a forwarded call gave.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// The exchange with the station.
    pub exchange: Exchange,
    /// The Nodo's judgement of it.
    pub judgement: Judgement,
    /// Stand-In transitions the call caused.
    pub transitions: Vec<Transition>,
}

/// How time passes for [`Nodo::advance_observed`].
#[derive(Debug, Clone, Default)]
pub struct Passing<'a> {
    /// A fault on every probe sent meanwhile (the station is still down), after any planned
    /// with [`Nodo::inject`].
    pub probe_fault: Option<Fault>,
    /// The scenario and step, for the journal.
    pub scenario: Option<&'a str>,
    /// See `scenario`.
    pub step: Option<usize>,
}

/// What happened while time passed.
#[derive(Debug, Clone, Default)]
pub struct Passed {
    /// Every probe the Nodo sent, with whether it was positive.
    pub probes: Vec<(Exchange, bool)>,
    /// Stand-In transitions, in order.
    pub transitions: Vec<Transition>,
}

impl Nodo {
    /// Sends `call` to the station of `call.ec` as given, judges the answer, and lets the
    /// monitor see a verify or an activation; remembers a verify's payment option and an
    /// activation's data for the notice. No payment is opened: a scenario that sends its own
    /// bytes closes nothing through [`Nodo::close`].
    ///
    /// # Errors
    /// The EC is unknown or has no station ([`NodoError`]).
    pub async fn forward(&self, call: Forward<'_>) -> Result<Forwarded, NodoError> {
        let link = match self.route_of(call.ec)? {
            (_, Some(link)) => link,
            (_, None) => {
                return Err(NodoError::UnknownStation(format!(
                    "(the EC {} is asynchronous: GPD-Payments answers for it)",
                    call.ec
                )));
            }
        };
        let (primitive, _) = call.message.kind();
        let ex = link
            .client
            .send_raw(
                primitive,
                call.body,
                call.soap_action,
                call.fault,
                call.scenario,
                call.step,
            )
            .await;
        let j =
            crate::checks::judge_bounded(&ex, call.message, &self.backoffice, &self.policy).await;
        self.journal
            .update_classification(ex.seq, j.outcome.label());
        let station = link.id().to_string();
        let routed = call.psp_traffic;
        let transitions = if routed {
            self.observe(&station, ex.virtual_at, &j.outcome)
        } else {
            Vec::new()
        };
        if let (Some(notice), Some(msg)) = (call.notice, &j.message) {
            let qr = QrCode {
                fiscal_code: call.ec.to_string(),
                notice_number: notice.to_string(),
            };
            self.remember(&qr, msg, &Route::Station(station.clone()));
        }
        if routed {
            self.record(
                if primitive == Primitive::VerifyPaymentNotice {
                    "verify"
                } else {
                    "activate"
                },
                call.notice.unwrap_or(PROBE_NOTICE_NUMBER),
                Route::Station(station.clone()),
                format!(
                    "station {station} is not in Stand-In: the Nodo calls it ({})",
                    j.outcome.label()
                ),
            );
        }
        Ok(Forwarded {
            exchange: ex,
            judgement: j,
            transitions,
        })
    }

    /// Keeps what a PSP would carry from one answer to the next call about the notice.
    pub(super) fn remember(&self, qr: &QrCode, msg: &Message, route: &Route) {
        let (verify, activation) = match msg {
            Message::VerifyPaymentNoticeRes(v) if v.payment_option.is_some() => {
                (Some(v.clone()), None)
            }
            Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r) => match &r.data {
                Some(data) => (None, Some(data.clone())),
                None => return,
            },
            _ => return,
        };
        let mut st = self.state();
        let k = key(qr);
        if !st.notices.contains_key(&k) {
            // Bounded for a Nodo that runs for days: the oldest notice is forgotten first.
            while st.notices.len() >= super::MAX_REMEMBERED_NOTICES {
                let Some(old) = st.notice_order.pop_front() else {
                    break;
                };
                st.notices.remove(&old);
            }
            st.notice_order.push_back(k.clone());
        }
        let seen = st.notices.entry(k).or_default();
        if let Some(v) = verify {
            seen.verify = Some(v);
        }
        if let Some(data) = activation {
            seen.activation = Some(data);
            seen.activated_by = Some(route.clone());
        }
    }

    /// The last verify answer for the notice that carried a payment option.
    pub fn verified(&self, qr: &QrCode) -> Option<VerifyPaymentNoticeRes> {
        self.state()
            .notices
            .get(&key(qr))
            .and_then(|s| s.verify.clone())
    }

    /// The amount of that verify answer: what a PSP puts in its activation.
    pub fn verified_amount(&self, qr: &QrCode) -> Option<Amount> {
        self.verified(qr)
            .and_then(|v| v.payment_option.map(|o| o.amount))
    }

    /// The payment data of the notice's last activation.
    pub fn activation(&self, qr: &QrCode) -> Option<PaymentData> {
        self.state()
            .notices
            .get(&key(qr))
            .and_then(|s| s.activation.clone())
    }

    /// Whether the notice's last activation was answered from ACA (its receipt carries
    /// `standIn=true`).
    pub fn activated_in_stand_in(&self, qr: &QrCode) -> bool {
        self.state()
            .notices
            .get(&key(qr))
            .is_some_and(|s| matches!(s.activated_by, Some(Route::Aca(_))))
    }

    /// The EC changed the notice (a new amount, a cancellation): its last verify no longer
    /// describes it, so the next activation is compared with the next verify, if any.
    pub fn notice_changed(&self, qr: &QrCode) {
        if let Some(s) = self.state().notices.get_mut(&key(qr)) {
            s.verify = None;
        }
    }

    /// A fresh payment token (`receiptId`), from the same sequence as activations.
    pub fn mint_token(&self) -> String {
        let mut st = self.state();
        st.tokens += 1;
        super::receipt::token(self.seed, st.tokens)
    }

    /// The traffic model in force, or `default` from now on when none was set yet.
    pub fn traffic_or(&self, default: TrafficModel) -> TrafficModel {
        self.state().traffic.get_or_insert(default).clone()
    }

    /// A copy of the station's monitor (for "why is it (not) in Stand-In" in reports).
    pub fn monitor(&self, station: &str) -> Option<StationMonitor> {
        self.state().monitors.get(station).cloned()
    }

    /// Starts watching the station now, if the monitor is not already watching it.
    ///
    /// # Errors
    /// The Stand-In rules are invalid.
    pub fn watch(&self, station: &str) -> Result<(), NodoError> {
        let now = self.clock.now();
        let mut st = self.state();
        if !st.monitors.contains_key(station) {
            let m = StationMonitor::new(self.standin.clone(), now)
                .map_err(|e| NodoError::Rules(e.to_string()))?;
            st.monitors.insert(station.to_string(), m);
        }
        Ok(())
    }

    /// Lets every monitor evaluate the slot boundaries up to now; returns the station's
    /// transitions.
    pub fn evaluate(&self, station: &str) -> Vec<Transition> {
        let now = self.clock.now();
        let mut st = self.state();
        let traffic = st.traffic.clone().unwrap_or(super::DEFAULT_TRAFFIC);
        let mut mine = Vec::new();
        for (id, m) in &mut st.monitors {
            let ts = m.evaluate_until(now, &traffic);
            if id == station {
                mine = ts;
            }
        }
        mine
    }

    /// Time passes by `d`: in probe-interval steps, the Nodo probes each station in Stand-In
    /// whose probe is due and lets its monitors decide (as [`Nodo::advance`]), with the
    /// options of `how`.
    pub async fn advance_observed(&self, d: Duration, how: &Passing<'_>) -> Passed {
        let end = self.clock.now().plus(d);
        let step = Duration::from_secs(u64::from(self.standin.probe_interval_minutes.max(1)) * 60);
        let mut passed = Passed::default();
        loop {
            let now = self.clock.now();
            let due: Vec<String> = self
                .state()
                .monitors
                .iter()
                .filter(|(_, m)| m.in_stand_in() && m.probe_due(now))
                .map(|(id, _)| id.clone())
                .collect();
            for id in due {
                let Some(link) = self.registry.station(&id) else {
                    continue;
                };
                let fault = self.next_fault(&id).or_else(|| how.probe_fault.clone());
                let (ex, positive) =
                    super::probe(&link.client, fault, how.scenario, how.step).await;
                if let Some(m) = self.state().monitors.get_mut(&id) {
                    m.probe(ex.virtual_at, positive);
                }
                self.record(
                    "probe",
                    PROBE_NOTICE_NUMBER,
                    Route::Station(id.clone()),
                    format!(
                        "station {id} is in Stand-In: technical probe, {}",
                        if positive { "positive" } else { "negative" }
                    ),
                );
                passed.probes.push((ex, positive));
            }
            {
                let mut st = self.state();
                let traffic = st.traffic.clone().unwrap_or(super::DEFAULT_TRAFFIC);
                let now = self.clock.now();
                for m in st.monitors.values_mut() {
                    passed.transitions.extend(m.evaluate_until(now, &traffic));
                }
            }
            let now = self.clock.now();
            if now >= end {
                break;
            }
            self.clock.advance_to(now.plus(step).min(end));
        }
        passed
    }
}

/// What a receipt the Nodo builds for a notice is made from.
#[derive(Debug, Clone, Copy)]
pub enum ReceiptBasis<'a> {
    /// The notice's last activation (the usual case).
    Activation,
    /// The notice's last verify, with one transfer of the total to the EC's account `iban`
    /// (as the Nodo does for a payment made without the station's activation data).
    Verify {
        /// The EC's account credited.
        iban: &'a str,
    },
}

/// Why the Nodo cannot build the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptProblem {
    /// No activation of the notice went through the Nodo.
    NoActivation,
    /// No verify of the notice with a payment option went through the Nodo.
    NoVerify,
    /// The data cannot make a valid receipt.
    Invalid(String),
}

impl Nodo {
    /// The receipt of the notice's payment, under a fresh token: from its activation (marked
    /// `standIn` when that activation was answered from ACA, or when `stand_in` says so), or
    /// from its verify. A payment answered from ACA is closed there: ACA holds the position
    /// as paid from now on.
    ///
    /// # Errors
    /// What the receipt would be built from is missing or unusable.
    pub fn receipt_for(
        &self,
        qr: &QrCode,
        basis: ReceiptBasis<'_>,
        v2: bool,
        stand_in: bool,
    ) -> Result<collaudo_wire::Receipt, ReceiptProblem> {
        let token = self.mint_token();
        let now = self.clock.now().to_string();
        match basis {
            ReceiptBasis::Verify { iban } => {
                let v = self.verified(qr).ok_or(ReceiptProblem::NoVerify)?;
                super::receipt::from_verify(
                    &v,
                    &qr.notice_number,
                    &qr.fiscal_code,
                    &token,
                    v2,
                    &now,
                    iban,
                    stand_in,
                )
                .map_err(ReceiptProblem::Invalid)
            }
            ReceiptBasis::Activation => {
                let data = self.activation(qr).ok_or(ReceiptProblem::NoActivation)?;
                let mut r = super::receipt::from_activation(
                    &data,
                    &qr.notice_number,
                    &qr.fiscal_code,
                    &token,
                    v2,
                    &now,
                    &self.company_of(&qr.fiscal_code),
                );
                let from_aca = self.activated_in_stand_in(qr);
                r.stand_in = Some(stand_in || from_aca);
                if from_aca {
                    if let Some(aca) = &self.aca {
                        let _ = aca
                            .store()
                            .mark_paid(&qr.fiscal_code, &data.creditor_reference_id);
                    }
                }
                Ok(r)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodo::Registry;
    use collaudo_wire::{AmountOption, Outcome, PaymentOption};

    fn nodo() -> Nodo {
        crate::nodo::test_nodo(Registry::default())
    }

    fn verify_answer(cents: u64) -> Message {
        Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
            outcome: Outcome::Ok,
            fault: None,
            payment_option: Some(PaymentOption {
                amount: Amount::from_cents(cents),
                options: AmountOption::Eq,
                due_date: None,
                detail_description: None,
                all_ccp: false,
            }),
            payment_description: None,
            fiscal_code_pa: None,
            company_name: None,
            office_name: None,
        })
    }

    fn qr(n: usize) -> QrCode {
        QrCode {
            fiscal_code: "77777777777".into(),
            notice_number: format!("3{n:017}"),
        }
    }

    // `collaudo serve` runs for days: what the Nodo remembers of notices is bounded, and the
    // oldest notice is the one forgotten.
    #[test]
    fn the_memory_of_notices_is_bounded_oldest_first() {
        let nodo = nodo();
        let route = Route::Station("s".into());
        for n in 0..=MAX {
            nodo.remember(&qr(n), &verify_answer(100), &route);
        }
        assert_eq!(
            nodo.verified_amount(&qr(0)),
            None,
            "the oldest is forgotten"
        );
        assert_eq!(
            nodo.verified_amount(&qr(MAX)),
            Some(Amount::from_cents(100))
        );
        assert_eq!(nodo.state().notices.len(), MAX);
        // A KO verify (no payment option) is not remembered and takes no room.
        let ko = Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
            payment_option: None,
            ..match verify_answer(1) {
                Message::VerifyPaymentNoticeRes(v) => v,
                _ => unreachable!(),
            }
        });
        nodo.remember(&qr(MAX + 1), &ko, &route);
        assert_eq!(nodo.state().notice_order.len(), MAX);
    }

    const MAX: usize = crate::nodo::MAX_REMEMBERED_NOTICES;

    #[test]
    fn the_decision_log_is_bounded_oldest_first() {
        let nodo = nodo();
        let max = crate::nodo::MAX_DECISIONS;
        for n in 0..=max {
            nodo.record("verify", &n.to_string(), Route::Refused, String::new());
        }
        let d = nodo.decisions();
        assert_eq!(d.len(), max);
        assert_eq!(d[0].notice, "1");
    }
}
