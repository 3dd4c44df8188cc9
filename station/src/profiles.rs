//! Fault profiles: named, deliberate deviations from the correct answer, so the harness can
//! prove that each of its checks catches the mistake it is about.
//!
//! Every deviation lives in this file: the handler computes the correct answer, and
//! `Profile::apply` bends it (typed changes first, then the wire form, then timing). Four
//! profiles act before the answer exists and have a hook each:
//! [`Profile::rejects_soap_action`], [`Profile::books_duplicate_receipts`],
//! [`Profile::duplicate_receipt_fault`] and `Profile::refuses_receipt_delivery` (which counts
//! deliveries in the station's `ProfileMemory`). Two more only decide whether the station
//! talks to ACA at all, outside the SOAP answers: [`Profile::registers_in_aca`] and
//! [`Profile::updates_aca`].

use crate::config::StationConfig;
use crate::handler::{Answer, StationReply, fault_bean, ko_message};
use crate::positions::BackOffice;
use collaudo_wire::xml::NS_PAFORNODE;
use collaudo_wire::{Amount, Beneficiary, FaultCode, Message, Outcome, Primitive, soap_fault_xml};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

/// How a reference station misbehaves, if at all.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// A correct EC station.
    #[default]
    Conformant,
    /// Every answer delayed by `slow_delay`.
    Slow,
    /// Closes every connection without answering.
    Dead,
    /// Activation paymentAmount differs from the sum of the transfers.
    WrongSum,
    /// Activation names an IBAN not registered for the EC.
    BadIban,
    /// Every answer is truncated XML.
    MalformedXml,
    /// Business KOs answered with HTTP 500 and a SOAP Fault.
    #[serde(rename = "http-500-faults")]
    Http500Faults,
    /// Children of the wrapper element put in the paForNode namespace.
    QualifiedChildren,
    /// Verify OK without paymentList.
    NoPaymentList,
    /// KO answers without the fault bean.
    KoWithoutFault,
    /// The Stand-In probe answered with PAA_SYSTEM_ERROR.
    WrongProbeAnswer,
    /// The same receipt booked again on every delivery.
    DuplicateBooking,
    /// Quoted SOAPAction rejected.
    UnquotedSoapactionOnly,
    /// The first `flaky_receipt_failures` deliveries of each receipt refused with
    /// `PAA_SYSTEM_ERROR`, later ones handled correctly (RT-004 with a real station).
    FlakyReceipts,
    /// A receipt already booked answered `PAA_SEMANTICA` when delivered again (RT-003 wants OK
    /// or `PAA_RECEIPT_DUPLICATA`); nothing is booked twice.
    RejectsDuplicatesWrongly,
    /// Never calls ACA: positions are neither loaded at start-up nor updated (ACA-001,
    /// ACA-008), so none is payable in Stand-In.
    NoAca,
    /// Loads the payable positions into ACA at start-up, then never tells ACA about a change:
    /// new amounts, cancellations, closures and new positions stay unknown to it (ACA-002..004).
    StaleAca,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 17] = [
        Profile::Conformant,
        Profile::Slow,
        Profile::Dead,
        Profile::WrongSum,
        Profile::BadIban,
        Profile::MalformedXml,
        Profile::Http500Faults,
        Profile::QualifiedChildren,
        Profile::NoPaymentList,
        Profile::KoWithoutFault,
        Profile::WrongProbeAnswer,
        Profile::DuplicateBooking,
        Profile::UnquotedSoapactionOnly,
        Profile::FlakyReceipts,
        Profile::RejectsDuplicatesWrongly,
        Profile::NoAca,
        Profile::StaleAca,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Conformant => "conformant",
            Profile::Slow => "slow",
            Profile::Dead => "dead",
            Profile::WrongSum => "wrong-sum",
            Profile::BadIban => "bad-iban",
            Profile::MalformedXml => "malformed-xml",
            Profile::Http500Faults => "http-500-faults",
            Profile::QualifiedChildren => "qualified-children",
            Profile::NoPaymentList => "no-payment-list",
            Profile::KoWithoutFault => "ko-without-fault",
            Profile::WrongProbeAnswer => "wrong-probe-answer",
            Profile::DuplicateBooking => "duplicate-booking",
            Profile::UnquotedSoapactionOnly => "unquoted-soapaction-only",
            Profile::FlakyReceipts => "flaky-receipts",
            Profile::RejectsDuplicatesWrongly => "rejects-duplicates-wrongly",
            Profile::NoAca => "no-aca",
            Profile::StaleAca => "stale-aca",
        }
    }

    /// One line for `--help`.
    pub fn description(self) -> &'static str {
        match self {
            Profile::Conformant => "a correct EC station (default)",
            Profile::Slow => "answers correctly but late (3 s unless configured)",
            Profile::Dead => "closes every connection without answering",
            Profile::WrongSum => "activation paymentAmount differs from the sum of the transfers",
            Profile::BadIban => "activation names an IBAN not registered for the EC",
            Profile::MalformedXml => "answers with truncated, not well-formed XML",
            Profile::Http500Faults => "business KOs as HTTP 500 with a SOAP Fault",
            Profile::QualifiedChildren => {
                "children of the response element in the paForNode namespace"
            }
            Profile::NoPaymentList => "verify OK without paymentList",
            Profile::KoWithoutFault => "outcome KO without a fault bean",
            Profile::WrongProbeAnswer => "Stand-In probe answered with PAA_SYSTEM_ERROR",
            Profile::DuplicateBooking => "books the same receipt again on every delivery",
            Profile::UnquotedSoapactionOnly => "rejects a quoted SOAPAction",
            Profile::FlakyReceipts => {
                "refuses the first k deliveries of each receipt with PAA_SYSTEM_ERROR \
                 (k = 3 unless configured)"
            }
            Profile::RejectsDuplicatesWrongly => {
                "answers PAA_SEMANTICA to a receipt it already booked"
            }
            Profile::NoAca => "never calls ACA paCreatePosition",
            Profile::StaleAca => {
                "loads ACA at start-up, then never sends changes, cancellations or closures"
            }
        }
    }

    /// Why the SOAPAction header is refused, when this profile refuses it (the
    /// `unquoted-soapaction-only` station mishandles the quoted form the Nodo sends, CON-002).
    pub fn rejects_soap_action(self, soap_action: Option<&str>) -> Option<String> {
        match (self, soap_action) {
            (Profile::UnquotedSoapactionOnly, Some(a)) if a.trim().starts_with('"') => {
                Some(format!("SOAPAction {a} must not be quoted"))
            }
            _ => None,
        }
    }

    /// Whether the station loads its payable positions into ACA at start-up (when it has an
    /// ACA at all): every profile but `no-aca`.
    pub fn registers_in_aca(self) -> bool {
        self != Profile::NoAca
    }

    /// Whether the station tells ACA about what happens after start-up (new amounts,
    /// cancellations, closures, new positions): every profile but `no-aca` and `stale-aca`.
    pub fn updates_aca(self) -> bool {
        !matches!(self, Profile::NoAca | Profile::StaleAca)
    }

    /// Whether a receipt already booked is booked again when delivered again.
    pub fn books_duplicate_receipts(self) -> bool {
        self == Profile::DuplicateBooking
    }

    /// The fault a new delivery of an already booked receipt gets instead of `OK`:
    /// `PAA_SEMANTICA` under `rejects-duplicates-wrongly`. A correct station answers OK (or
    /// `PAA_RECEIPT_DUPLICATA`), since a receipt cannot be refused (DOMAIN.md §6, RT-003).
    pub fn duplicate_receipt_fault(self) -> Option<FaultCode> {
        (self == Profile::RejectsDuplicatesWrongly).then_some(FaultCode::PaaSemantica)
    }

    /// Under `flaky-receipts`, count this delivery of `receipt_id` and, while it is among the
    /// first `config.flaky_receipt_failures` deliveries of that receipt, say why it is refused
    /// (the station then answers `PAA_SYSTEM_ERROR` and books nothing). `None` means: handle
    /// the receipt normally. Other profiles neither count nor refuse.
    pub(crate) fn refuses_receipt_delivery(
        self,
        config: &StationConfig,
        memory: &ProfileMemory,
        receipt_id: &str,
    ) -> Option<String> {
        if self != Profile::FlakyReceipts {
            return None;
        }
        let failures = config.flaky_receipt_failures;
        let n = memory.count_receipt_delivery(receipt_id);
        (n <= failures).then(|| {
            format!(
                "receipt {receipt_id} not booked: temporary failure on delivery {n} \
                 (the first {failures} deliveries of each receipt fail)"
            )
        })
    }

    /// Turn the correct answer into what this profile sends.
    pub(crate) fn apply(self, config: &StationConfig, answer: Answer) -> StationReply {
        let mut reply = match answer {
            Answer::Message { mut message, probe } => {
                self.bend(config, &mut message, probe);
                self.render(&message)
            }
            Answer::SoapFault {
                faultcode,
                faultstring,
            } => StationReply::xml(500, soap_fault_xml(&faultcode, &faultstring).into_bytes()),
        };
        match self {
            Profile::Slow => reply.delay = Some(config.slow_delay),
            Profile::Dead => {
                reply.close_without_reply = true;
                reply.body.clear();
            }
            _ => {}
        }
        reply
    }

    /// Deviations on the typed message.
    fn bend(self, config: &StationConfig, message: &mut Message, probe: bool) {
        match (self, message) {
            (Profile::WrongSum, Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r)) => {
                if let Some(d) = &mut r.data {
                    d.payment_amount = Amount::from_cents(d.payment_amount.cents() + 100);
                }
            }
            (Profile::BadIban, Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r)) => {
                let first_iban = r
                    .data
                    .iter_mut()
                    .flat_map(|d| d.transfers.iter_mut())
                    .find(|t| matches!(t.beneficiary, Beneficiary::Iban(_)));
                if let Some(t) = first_iban {
                    t.beneficiary = Beneficiary::Iban(BackOffice::unregistered_iban());
                }
            }
            (Profile::NoPaymentList, Message::VerifyPaymentNoticeRes(r)) => {
                r.payment_option = None;
            }
            (Profile::KoWithoutFault, m) => clear_ko_fault(m),
            (Profile::WrongProbeAnswer, m) if probe => {
                *m = ko_message(
                    Primitive::VerifyPaymentNotice,
                    fault_bean(
                        config,
                        FaultCode::PaaSystemError,
                        Some("probe not handled".to_string()),
                    ),
                );
            }
            _ => {}
        }
    }

    /// The wire form, with the deviations that only exist there.
    fn render(self, message: &Message) -> StationReply {
        let ko = message
            .outcome()
            .and_then(|(o, f)| (o == Outcome::Ko).then_some(f));
        if let (Profile::Http500Faults, Some(fault)) = (self, ko) {
            let text = fault.map_or_else(
                || "KO".to_string(),
                |f| format!("{}: {}", f.fault_code, f.fault_string),
            );
            return StationReply::xml(500, soap_fault_xml("soapenv:Server", &text).into_bytes());
        }
        let mut xml = message.to_xml();
        if self == Profile::QualifiedChildren {
            // A default namespace on the wrapper puts every unprefixed descendant in it.
            let open = format!("<pafn:{}>", message.element());
            let qualified = format!("<pafn:{} xmlns=\"{NS_PAFORNODE}\">", message.element());
            xml = xml.replacen(&open, &qualified, 1);
        }
        let mut body = xml.into_bytes();
        if self == Profile::MalformedXml {
            body.truncate(body.len() / 2);
        }
        StationReply::xml(200, body)
    }
}

/// What the profiles remember between requests, one per station: how many times each receipt
/// was delivered (`flaky-receipts`). Entries are never dropped; a reference station sees at
/// most a few hundred thousand receipts in a run.
#[derive(Debug, Default)]
pub(crate) struct ProfileMemory {
    receipt_deliveries: Mutex<HashMap<String, u32>>,
}

impl ProfileMemory {
    /// Count one more delivery of `receipt_id` and return how many there have been, this one
    /// included.
    pub(crate) fn count_receipt_delivery(&self, receipt_id: &str) -> u32 {
        // A poisoned lock still holds valid counts (each update is one integer write).
        let mut map = self
            .receipt_deliveries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = match map.get_mut(receipt_id) {
            Some(n) => n,
            None => map.entry(receipt_id.to_string()).or_insert(0),
        };
        *n = n.saturating_add(1);
        *n
    }
}

fn clear_ko_fault(message: &mut Message) {
    let fault = match message {
        Message::VerifyPaymentNoticeRes(r) if r.outcome == Outcome::Ko => &mut r.fault,
        Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r) if r.outcome == Outcome::Ko => {
            &mut r.fault
        }
        Message::SendRtRes(r) | Message::SendRtV2Res(r) if r.outcome == Outcome::Ko => &mut r.fault,
        Message::DemandPaymentNoticeRes(r) if r.outcome == Outcome::Ko => &mut r.fault,
        _ => return,
    };
    *fault = None;
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A profile name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown station profile {name:?}, expected one of: {expected}")]
pub struct UnknownProfile {
    /// The name given.
    pub name: String,
    /// The valid names, comma-separated.
    pub expected: String,
}

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownProfile {
                name: s.to_string(),
                expected: Profile::ALL.map(Profile::name).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::positions::FixtureRole;
    use crate::state::StationState;
    use crate::test_support::*;
    use collaudo_wire::ident::{STAND_IN_PROBE, iban};
    use collaudo_wire::{Kind, Parsed, Rule};

    fn notice(st: &StationState, role: FixtureRole) -> String {
        fixture(st, role).notice_number.as_str().to_string()
    }

    fn has_rule(parsed: &Parsed, pred: impl Fn(&Rule) -> bool) -> bool {
        parsed.errors().any(|v| pred(&v.rule))
    }

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for p in Profile::ALL {
            assert_eq!(p.to_string().parse::<Profile>(), Ok(p));
            let json = serde_json::to_string(&p).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", p.name()));
            assert!(!p.description().is_empty());
        }
        assert_eq!(Profile::default(), Profile::Conformant);
        let err = "nope".parse::<Profile>().map_err(|e| e.to_string());
        let Err(err) = err else { panic!("parsed") };
        assert!(err.contains("conformant, slow, dead"), "{err}");
        assert!(err.contains("http-500-faults"), "{err}");
    }

    #[test]
    fn conformant_answers_are_all_valid() {
        let st = station(Profile::Conformant);
        let n = notice(&st, FixtureRole::Payable);
        for msg in [
            verify(&st, &n),
            verify(&st, STAND_IN_PROBE),
            get_payment(&st, &n, false, None),
            get_payment(&st, &n, true, None),
        ] {
            let (reply, parsed) = call(&st, &msg);
            valid(&reply, &parsed);
        }
    }

    #[test]
    fn slow_delays_the_correct_answer() {
        let st = station(Profile::Slow);
        let reference = station(Profile::Conformant);
        let n = notice(&st, FixtureRole::Payable);
        let (reply, _) = call(&st, &verify(&st, &n));
        assert_eq!(reply.delay, Some(st.config().slow_delay));
        let (expected, _) = call(&reference, &verify(&reference, &n));
        assert_eq!(reply.body, expected.body);
    }

    #[test]
    fn dead_closes_without_reply() {
        let st = station(Profile::Dead);
        let (reply, _) = call(&st, &verify(&st, &notice(&st, FixtureRole::Payable)));
        assert!(reply.close_without_reply);
        assert!(reply.body.is_empty());
    }

    #[test]
    fn wrong_sum_breaks_paymentamount_only_in_activation() {
        let st = station(Profile::WrongSum);
        let n = notice(&st, FixtureRole::Payable);
        for v2 in [false, true] {
            let (_, parsed) = call(&st, &get_payment(&st, &n, v2, None));
            assert!(has_rule(&parsed, |r| matches!(r, Rule::SumMismatch { .. })));
        }
        let (reply, parsed) = call(&st, &verify(&st, &n));
        valid(&reply, &parsed);
    }

    #[test]
    fn bad_iban_names_a_valid_but_unregistered_iban() {
        let st = station(Profile::BadIban);
        let (reply, parsed) = call(
            &st,
            &get_payment(&st, &notice(&st, FixtureRole::Payable), true, None),
        );
        let msg = valid(&reply, &parsed);
        let Message::GetPaymentV2Res(r) = msg else {
            panic!("element")
        };
        let transfers = r.data.map(|d| d.transfers).unwrap_or_default();
        let first = transfers
            .first()
            .and_then(|t| t.beneficiary.iban())
            .unwrap_or_default()
            .to_string();
        assert!(iban::is_valid_italian(&first));
        assert!(!st.back_office().is_registered(&st.config().id_pa, &first));
    }

    #[test]
    fn malformed_xml_is_not_well_formed() {
        let st = station(Profile::MalformedXml);
        let (reply, parsed) = call(&st, &verify(&st, &notice(&st, FixtureRole::Payable)));
        assert_eq!(reply.status, 200);
        assert!(parsed.errors().any(|v| v.kind == Kind::Xml), "{parsed:?}");
    }

    #[test]
    fn http_500_faults_turn_kos_into_soap_faults_and_leave_oks() {
        let st = station(Profile::Http500Faults);
        let (reply, parsed) = call(&st, &verify(&st, &notice(&st, FixtureRole::Unknown)));
        assert_eq!(reply.status, 500);
        let fault = parsed.soap_fault.map(|f| f.faultstring).unwrap_or_default();
        assert!(fault.contains("PAA_PAGAMENTO_SCONOSCIUTO"), "{fault}");
        let (reply, parsed) = call(&st, &verify(&st, &notice(&st, FixtureRole::Payable)));
        valid(&reply, &parsed);
    }

    #[test]
    fn qualified_children_put_children_in_the_payload_namespace() {
        let st = station(Profile::QualifiedChildren);
        let (_, parsed) = call(&st, &verify(&st, &notice(&st, FixtureRole::Payable)));
        assert!(has_rule(&parsed, |r| matches!(
            r,
            Rule::WrongNamespace { .. }
        )));
    }

    #[test]
    fn no_payment_list_drops_it_from_verify_ok() {
        let st = station(Profile::NoPaymentList);
        let (_, parsed) = call(&st, &verify(&st, &notice(&st, FixtureRole::Payable)));
        assert!(has_rule(&parsed, |r| matches!(r, Rule::RequiredOnOk)));
        assert!(!parsed.is_valid());
    }

    #[test]
    fn ko_without_fault_drops_the_bean() {
        let st = station(Profile::KoWithoutFault);
        let f = fixture(&st, FixtureRole::ReceiptTarget);
        let wrong = collaudo_wire::Caller {
            id_station: "nope".into(),
            ..caller(&st)
        };
        let requests = [
            verify(&st, &notice(&st, FixtureRole::Unknown)),
            get_payment(&st, &notice(&st, FixtureRole::Paid), true, None),
            demand(&st, "00009", "PGEvPg=="),
            Message::SendRtReq(Box::new(collaudo_wire::SendRtReq {
                caller: wrong,
                receipt: receipt_for(&f, "t", None, false),
            })),
        ];
        for req in requests {
            let (_, parsed) = call(&st, &req);
            assert!(
                has_rule(&parsed, |r| matches!(r, Rule::KoWithoutFault)),
                "{req:?}"
            );
        }
    }

    #[test]
    fn wrong_probe_answer_only_changes_the_probe() {
        let st = station(Profile::WrongProbeAnswer);
        let (reply, parsed) = call(&st, &verify(&st, STAND_IN_PROBE));
        assert_eq!(ko_code(&st, &valid(&reply, &parsed)), "PAA_SYSTEM_ERROR");
        assert!(!reply.body_text().contains("SCONOSCIUTO"));
        let (reply, parsed) = call(&st, &verify(&st, &notice(&st, FixtureRole::Unknown)));
        assert_eq!(
            ko_code(&st, &valid(&reply, &parsed)),
            "PAA_PAGAMENTO_SCONOSCIUTO"
        );
    }

    #[test]
    fn duplicate_booking_books_every_delivery() {
        let st = station(Profile::DuplicateBooking);
        let f = fixture(&st, FixtureRole::ReceiptTarget);
        let rt = send_rt(&st, receipt_for(&f, "tok-dup", None, false), false);
        for _ in 0..2 {
            let (reply, parsed) = call(&st, &rt);
            assert_ok(&valid(&reply, &parsed));
        }
        assert_eq!(st.booking_count(f.notice_number.as_str()), 2);
    }

    fn receipt_station(profile: Profile, flaky_receipt_failures: u32) -> StationState {
        let config = StationConfig {
            flaky_receipt_failures,
            ..StationConfig::with_profile(profile)
        };
        match StationState::new(config) {
            Ok(s) => s,
            Err(e) => panic!("station: {e}"),
        }
    }

    #[test]
    fn flaky_receipts_refuse_the_first_k_deliveries_of_each_receipt() {
        for (k, v2) in [(3, false), (5, true)] {
            let st = receipt_station(Profile::FlakyReceipts, k);
            let f = fixture(&st, FixtureRole::ReceiptTarget);
            let notice = f.notice_number.as_str();
            let first = send_rt(&st, receipt_for(&f, "tok-flaky-1", None, v2), v2);
            for _ in 0..k {
                let (reply, parsed) = call(&st, &first);
                assert_eq!(ko_code(&st, &valid(&reply, &parsed)), "PAA_SYSTEM_ERROR");
                assert_eq!(
                    st.booking_count(notice),
                    0,
                    "a refused receipt is not booked"
                );
            }
            let view = st.positions().view(notice).map(|v| v.state);
            assert_ne!(view.as_deref(), Some("paid"));
            let (reply, parsed) = call(&st, &first);
            assert_ok(&valid(&reply, &parsed));
            assert_eq!(st.booking_count(notice), 1);
            // Later deliveries are handled correctly: OK, not booked again.
            let (reply, parsed) = call(&st, &first);
            assert_ok(&valid(&reply, &parsed));
            assert_eq!(st.booking_count(notice), 1);
            // Another receipt has its own count.
            let other = send_rt(&st, receipt_for(&f, "tok-flaky-2", None, v2), v2);
            let (reply, parsed) = call(&st, &other);
            assert_eq!(ko_code(&st, &valid(&reply, &parsed)), "PAA_SYSTEM_ERROR");
        }
    }

    #[test]
    fn flaky_receipts_leave_the_other_primitives_and_zero_failures_is_conformant() {
        let st = receipt_station(Profile::FlakyReceipts, 3);
        let n = notice(&st, FixtureRole::Payable);
        for msg in [verify(&st, &n), get_payment(&st, &n, true, None)] {
            let (reply, parsed) = call(&st, &msg);
            assert_ok(&valid(&reply, &parsed));
        }
        let st = receipt_station(Profile::FlakyReceipts, 0);
        let f = fixture(&st, FixtureRole::ReceiptTarget);
        let (reply, parsed) = call(
            &st,
            &send_rt(&st, receipt_for(&f, "t0", None, false), false),
        );
        assert_ok(&valid(&reply, &parsed));
        assert_eq!(st.booking_count(f.notice_number.as_str()), 1);
        assert_eq!(StationConfig::default().flaky_receipt_failures, 3);
    }

    #[test]
    fn flaky_receipts_check_the_caller_first() {
        let st = receipt_station(Profile::FlakyReceipts, 1);
        let f = fixture(&st, FixtureRole::ReceiptTarget);
        let wrong = collaudo_wire::Caller {
            id_station: "nope".into(),
            ..caller(&st)
        };
        let misaddressed = Message::SendRtReq(Box::new(collaudo_wire::SendRtReq {
            caller: wrong,
            receipt: receipt_for(&f, "tok-x", None, false),
        }));
        let (reply, parsed) = call(&st, &misaddressed);
        assert_eq!(
            ko_code(&st, &valid(&reply, &parsed)),
            "PAA_STAZIONE_INT_ERRATA"
        );
        // The misaddressed call did not use up the one refused delivery.
        let rt = send_rt(&st, receipt_for(&f, "tok-x", None, false), false);
        let (reply, parsed) = call(&st, &rt);
        assert_eq!(ko_code(&st, &valid(&reply, &parsed)), "PAA_SYSTEM_ERROR");
        let (reply, parsed) = call(&st, &rt);
        assert_ok(&valid(&reply, &parsed));
    }

    #[test]
    fn rejects_duplicates_wrongly_answers_semantica_and_books_once() {
        let st = station(Profile::RejectsDuplicatesWrongly);
        let f = fixture(&st, FixtureRole::ReceiptTarget);
        let notice = f.notice_number.as_str();
        for v2 in [false, true] {
            let rt = send_rt(&st, receipt_for(&f, "tok-dup", None, v2), v2);
            let (reply, parsed) = call(&st, &rt);
            let first = valid(&reply, &parsed);
            if v2 {
                // Already booked by the V1 delivery: the same receipt, delivered again.
                assert_eq!(ko_code(&st, &first), "PAA_SEMANTICA");
            } else {
                assert_ok(&first);
            }
            for _ in 0..2 {
                let (reply, parsed) = call(&st, &rt);
                assert_eq!(ko_code(&st, &valid(&reply, &parsed)), "PAA_SEMANTICA");
            }
        }
        assert_eq!(st.booking_count(notice), 1, "nothing double-booked");
        // A different receipt for the same notice is not a duplicate.
        let other = send_rt(&st, receipt_for(&f, "tok-other", None, false), false);
        let (reply, parsed) = call(&st, &other);
        assert_ok(&valid(&reply, &parsed));
        assert_eq!(st.booking_count(notice), 2);
    }

    #[test]
    fn conformant_acknowledges_a_duplicate_receipt() {
        let st = station(Profile::Conformant);
        let f = fixture(&st, FixtureRole::ReceiptTarget);
        let rt = send_rt(&st, receipt_for(&f, "tok-dup", None, true), true);
        for _ in 0..3 {
            let (reply, parsed) = call(&st, &rt);
            assert_ok(&valid(&reply, &parsed));
        }
        assert_eq!(st.booking_count(f.notice_number.as_str()), 1);
        assert_eq!(Profile::Conformant.duplicate_receipt_fault(), None);
    }

    #[test]
    fn unquoted_soapaction_only_rejects_the_quoted_form() {
        let st = station(Profile::UnquotedSoapactionOnly);
        let body = verify(&st, &notice(&st, FixtureRole::Payable)).to_xml();
        let (reply, parsed) = call_with(&st, Some("\"paVerifyPaymentNotice\""), body.as_bytes());
        assert_eq!(
            ko_code(&st, &valid(&reply, &parsed)),
            "PAA_SINTASSI_EXTRAXSD"
        );
        for action in [Some("paVerifyPaymentNotice"), None] {
            let (reply, parsed) = call_with(&st, action, body.as_bytes());
            assert_ok(&valid(&reply, &parsed));
        }
    }
}
