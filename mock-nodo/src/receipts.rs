//! Receipt delivery (paSendRT / paSendRTV2): every recipient, every attempt, on the scenario
//! clock (DOMAIN.md §6).
//!
//! The Nodo sends a receipt to the station that served the notice and to every *broadcast*
//! station of each beneficiary EC. A delivery succeeds only on HTTP 200 with `outcome=OK`, or
//! with `PAA_RECEIPT_DUPLICATA` for a receipt the station already holds; anything else
//! (timeout, refused connection, HTTP error, invalid XML, any other KO) schedules a retry: 48
//! retries an hour apart after the failed first send by default, so 49 sends over 48 hours.
//! Attempts are placed on the virtual clock (`start + (n-1) × interval`), so a station down for
//! 47 hours costs milliseconds of real time; each attempt still has its real network timeout.

use crate::checks::{BackOffice, CheckPolicy, NodoOutcome};
use crate::client::NodoClient;
use crate::clock::VirtualTime;
use crate::transport::Fault;
use collaudo_wire::{FaultCode, Message};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// The retry schedule. Where the sources disagree (48 × 1 h in SANP 3, 5 in SANP 2.5.1,
/// "configurable" in the best-practice page; DOMAIN.md §15 item 3) the default is SANP 3's.
///
/// The official table counts *retries*: 48 of them, an hour apart, after the first send has
/// failed. The policy counts *attempts* (every send, the first included), since that is what a
/// report shows and a scenario pins: the default is therefore
/// `1 +` [`RetryPolicy::NODO_RETRIES`] `= 49`, the last one 48 hours after the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Sends in all, the first included: `1 + retries` (default 49).
    pub max_attempts: u32,
    /// Virtual time between two attempts.
    #[serde(with = "duration_secs")]
    pub interval: Duration,
    /// Whether `PAA_RECEIPT_DUPLICATA` ends the delivery as success (the reference EC GPD
    /// answers it for a receipt it holds; how the real Nodo treats it is undocumented, §6).
    pub duplicate_is_final: bool,
}

impl RetryPolicy {
    /// The Nodo's retries after a failed first send (SANP 3, DOMAIN.md §6).
    pub const NODO_RETRIES: u32 = 48;

    /// The retries after the first send: `max_attempts - 1`.
    pub fn retries(&self) -> u32 {
        self.max_attempts.saturating_sub(1)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 1 + Self::NODO_RETRIES,
            interval: Duration::from_secs(3600),
            duplicate_is_final: true,
        }
    }
}

mod duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_secs(u64::deserialize(d)?))
    }
}

/// When a recipient is made to fail, and how.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outage {
    /// No injected failure: only the station's own behaviour counts.
    #[default]
    None,
    /// The first `count` attempts fail with `fault`.
    FirstAttempts {
        /// How many attempts fail.
        count: u32,
        /// How they fail.
        fault: Fault,
    },
    /// Attempts issued before `start + span` (virtual time) fail with `fault`.
    For {
        /// How long the station is down, from the first attempt.
        #[serde(with = "duration_secs")]
        span: Duration,
        /// How it fails.
        fault: Fault,
    },
    /// Every attempt fails.
    Always {
        /// How they fail.
        fault: Fault,
    },
}

impl Outage {
    /// The fault for attempt `n` (1-based) issued `elapsed` after the first attempt.
    pub fn fault_at(&self, n: u32, elapsed: Duration) -> Option<Fault> {
        match self {
            Outage::None => None,
            Outage::FirstAttempts { count, fault } => (n <= *count).then(|| fault.clone()),
            Outage::For { span, fault } => (elapsed < *span).then(|| fault.clone()),
            Outage::Always { fault } => Some(fault.clone()),
        }
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum AttemptOutcome {
    /// HTTP 200 and `outcome=OK`.
    Accepted,
    /// `PAA_RECEIPT_DUPLICATA`: the station already holds the receipt.
    Duplicate,
    /// Anything else: a retry is due.
    Failed {
        /// What the Nodo concluded (`PPT_STAZIONE_INT_PA_TIMEOUT`, `PPT_ERRORE_EMESSO_DA_PAA/PAA_…`).
        nodo: String,
        /// Why, in one sentence.
        reason: String,
    },
}

impl AttemptOutcome {
    /// Whether the delivery ends here successfully.
    pub fn is_success(&self) -> bool {
        !matches!(self, AttemptOutcome::Failed { .. })
    }
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptOutcome::Accepted => f.write_str("accepted"),
            AttemptOutcome::Duplicate => {
                f.write_str("accepted as duplicate (PAA_RECEIPT_DUPLICATA)")
            }
            AttemptOutcome::Failed { nodo, reason } => write!(f, "failed: {nodo} ({reason})"),
        }
    }
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// 1-based.
    pub n: u32,
    /// The exchange in the journal.
    pub seq: u64,
    /// Scenario time the attempt was issued.
    pub virtual_at: VirtualTime,
    /// Real duration.
    pub latency_ms: f64,
    /// HTTP status, when an answer came.
    pub status: Option<u16>,
    /// The injected fault, if any.
    pub injected: Option<String>,
    /// How it ended.
    pub outcome: AttemptOutcome,
}

/// Where a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryResult {
    /// Accepted (or known as duplicate) at some attempt.
    Delivered,
    /// Every attempt failed: the receipt stays in the Nodo's resend queue (`NOTICE_PENDING`)
    /// until PagoPA support restarts it; the EC can only recover it with
    /// getOrganizationReceipt after the FdR (DOMAIN.md §6, §16.11).
    Stuck,
}

/// A receipt's journey to one recipient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// Who: `primary station`, `broadcast station of 01234567890`...
    pub recipient: String,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Where it ended.
    pub result: DeliveryResult,
}

impl Delivery {
    /// The timeline, one line per attempt, for transcripts.
    pub fn timeline(&self) -> Vec<String> {
        self.attempts
            .iter()
            .map(|a| {
                format!(
                    "{} attempt {:>2} at {} ({:.1} ms{}): {}",
                    self.recipient,
                    a.n,
                    a.virtual_at,
                    a.latency_ms,
                    a.injected
                        .as_ref()
                        .map_or(String::new(), |f| format!(", injected {f}")),
                    a.outcome
                )
            })
            .collect()
    }
}

/// One recipient: its client (URL and identities), the receipt message for it (V1 or V2 per
/// its configuration, its own idPA/idStation), and its outage.
#[derive(Debug)]
pub struct Recipient<'a> {
    /// Label for reports.
    pub label: String,
    /// The client toward this station.
    pub client: &'a NodoClient,
    /// The paSendRT / paSendRTV2 request for this station.
    pub message: Message,
    /// Injected failures for this recipient.
    pub outage: Outage,
}

/// The Nodo's view of one attempt's exchange.
fn classify(status: Option<u16>, outcome: &NodoOutcome, policy: &RetryPolicy) -> AttemptOutcome {
    match outcome {
        NodoOutcome::Ok if status == Some(200) => AttemptOutcome::Accepted,
        NodoOutcome::Ok => AttemptOutcome::Failed {
            nodo: format!(
                "HTTP {}",
                status.map_or_else(|| "?".into(), |s| s.to_string())
            ),
            reason: format!(
                "outcome OK but HTTP {}: a delivery counts only with HTTP 200",
                status.map_or_else(|| "none".into(), |s| s.to_string())
            ),
        },
        NodoOutcome::EcKo { code, .. }
            if *code == FaultCode::PaaReceiptDuplicata && policy.duplicate_is_final =>
        {
            AttemptOutcome::Duplicate
        }
        other => AttemptOutcome::Failed {
            nodo: other.label(),
            reason: match other {
                NodoOutcome::EcKo { code, fault_string } => {
                    format!("the station answered KO {code}: {fault_string}")
                }
                NodoOutcome::Nodo { reason, .. } => reason.clone(),
                NodoOutcome::Ok => String::new(),
            },
        },
    }
}

/// Deliver one receipt to every recipient, interleaving their attempts on the shared scenario
/// clock: attempt `n` of every pending recipient is issued at `start + (n-1) × interval`.
/// Stops a recipient at its first success; at most `policy.max_attempts` attempts each.
#[allow(clippy::too_many_arguments)]
pub async fn deliver(
    recipients: &[Recipient<'_>],
    policy: &RetryPolicy,
    start: VirtualTime,
    backoffice: &BackOffice,
    check_policy: &CheckPolicy,
    scenario: Option<&str>,
    step: Option<usize>,
) -> Vec<Delivery> {
    let mut deliveries: Vec<Delivery> = recipients
        .iter()
        .map(|r| Delivery {
            recipient: r.label.clone(),
            attempts: Vec::new(),
            result: DeliveryResult::Stuck,
        })
        .collect();
    let mut pending: Vec<bool> = vec![true; recipients.len()];
    for n in 1..=policy.max_attempts.max(1) {
        if !pending.iter().any(|p| *p) {
            break;
        }
        let at = start.plus(policy.interval.saturating_mul(n - 1));
        for (i, r) in recipients.iter().enumerate() {
            if !pending[i] {
                continue;
            }
            // A recipient's earlier injected timeouts may have pushed the clock past `at`;
            // advance_to never goes backwards (and is one atomic step on a shared clock), so
            // attempt times stay increasing.
            r.client.clock().advance_to(at);
            // Outages are spans of virtual time: judge by when the attempt is really issued.
            let elapsed = r.client.clock().now().since(start);
            let fault = r.outage.fault_at(n, elapsed);
            let ex = r.client.send(&r.message, fault, scenario, step).await;
            let j = crate::checks::judge_bounded(&ex, &r.message, backoffice, check_policy).await;
            let status = ex.response.as_ref().map(|x| x.status);
            let outcome = classify(status, &j.outcome, policy);
            r.client
                .journal()
                .update_classification(ex.seq, j.outcome.label());
            let success = outcome.is_success();
            deliveries[i].attempts.push(Attempt {
                n,
                seq: ex.seq,
                virtual_at: ex.virtual_at,
                latency_ms: ex.latency_ms,
                status,
                injected: ex.injected_fault.clone(),
                outcome,
            });
            if success {
                pending[i] = false;
                deliveries[i].result = DeliveryResult::Delivered;
            }
        }
    }
    deliveries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages() {
        let h = Duration::from_secs(3600);
        let first3 = Outage::FirstAttempts {
            count: 3,
            fault: Fault::Refuse,
        };
        assert_eq!(first3.fault_at(3, h * 2), Some(Fault::Refuse));
        assert_eq!(first3.fault_at(4, h * 3), None);
        let ten_hours = Outage::For {
            span: h * 10,
            fault: Fault::Timeout,
        };
        assert_eq!(ten_hours.fault_at(10, h * 9), Some(Fault::Timeout));
        assert_eq!(ten_hours.fault_at(11, h * 10), None);
        assert!(
            Outage::Always {
                fault: Fault::Unavailable(crate::transport::UnavailableAnswer::Ko)
            }
            .fault_at(48, h * 47)
            .is_some()
        );
        assert_eq!(Outage::None.fault_at(1, Duration::ZERO), None);
    }

    // The official table: the first send, then 48 retries an hour apart (t0+1h … t0+48h).
    #[test]
    fn default_schedule_is_the_first_send_and_48_hourly_retries() {
        let p = RetryPolicy::default();
        assert_eq!(p.retries(), 48);
        assert_eq!(p.max_attempts, 49);
        assert_eq!(p.interval, Duration::from_secs(3600));
        let last = p.interval.saturating_mul(p.max_attempts - 1);
        assert_eq!(last, Duration::from_secs(48 * 3600));
    }

    #[test]
    fn classification() {
        let p = RetryPolicy::default();
        assert_eq!(
            classify(Some(200), &NodoOutcome::Ok, &p),
            AttemptOutcome::Accepted
        );
        assert!(!classify(Some(500), &NodoOutcome::Ok, &p).is_success());
        let dup = NodoOutcome::EcKo {
            code: FaultCode::PaaReceiptDuplicata,
            fault_string: "dup".into(),
        };
        assert_eq!(classify(Some(200), &dup, &p), AttemptOutcome::Duplicate);
        let strict = RetryPolicy {
            duplicate_is_final: false,
            ..p
        };
        assert!(!classify(Some(200), &dup, &strict).is_success());
        let ko = NodoOutcome::EcKo {
            code: FaultCode::PaaSystemError,
            fault_string: "down".into(),
        };
        assert!(!classify(Some(200), &ko, &p).is_success());
    }
}
