//! Fault injection: make the mock ACA answer the next calls with an error instead of applying
//! them, so a scenario can check that the EC retries or alerts rather than silently dropping a
//! position update (TEST-PLAN.md ACA-007: 401, 409, 422, 5xx).
//!
//! Faults are queued: [`AcaState::inject`](super::AcaState::inject)`(502, 2)` then
//! `inject(401, 1)` answers the next two calls 502 and the one after 401. A fault is consumed
//! only by a call that reaches the ACA service: a POST to
//! [`ACA_PATH`](super::ACA_PATH) whose body was read whole. A wrong route or method, an
//! oversized body or one not received in time is answered as usual and consumes nothing.

use collaudo_wire::aca::{ConflictOp, NewDebtPositionRequest, ProblemJson};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Status an out-of-range injected status is replaced with.
const FALLBACK_STATUS: u16 = 500;

/// One injected failure: the next [`remaining`](Self::remaining) calls are answered
/// [`status`](Self::status) with a ProblemJson body, and not applied to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AcaFault {
    /// HTTP status answered. 401, 409, 422, 500 and 502 get the ProblemJson ACA sends for
    /// them, 503 one titled "Service unavailable"; any other 4xx or 5xx a ProblemJson titled
    /// with the status's reason phrase.
    pub status: u16,
    /// How many more calls it applies to.
    pub remaining: u32,
}

/// The queue of pending faults, shared by every request of one server.
#[derive(Debug, Default)]
pub(super) struct Faults {
    queue: Mutex<VecDeque<AcaFault>>,
    /// Whether the queue is non-empty (written under the lock), so that calls need not take
    /// the lock when nothing is injected: the normal case, even over millions of calls.
    armed: AtomicBool,
}

impl Faults {
    /// Queue `count` answers with `status`; a status outside 400–599 becomes 500 (a fault is
    /// meant to fail the call), a count of 0 queues nothing.
    pub(super) fn push(&self, status: u16, count: u32) {
        if count == 0 {
            return;
        }
        let status = if (400..=599).contains(&status) {
            status
        } else {
            tracing::warn!(
                status,
                "mock ACA: injected status is not an error, answering {FALLBACK_STATUS} instead"
            );
            FALLBACK_STATUS
        };
        let mut queue = self.lock();
        queue.push_back(AcaFault {
            status,
            remaining: count,
        });
        self.armed.store(true, Ordering::Release);
    }

    /// Drop every pending fault.
    pub(super) fn clear(&self) {
        let mut queue = self.lock();
        queue.clear();
        self.armed.store(false, Ordering::Release);
    }

    /// How many calls pending faults still apply to (saturating at `u32::MAX`).
    pub(super) fn pending(&self) -> u32 {
        self.lock()
            .iter()
            .fold(0u32, |sum, fault| sum.saturating_add(fault.remaining))
    }

    /// The pending faults, next first.
    pub(super) fn list(&self) -> Vec<AcaFault> {
        self.lock().iter().copied().collect()
    }

    /// Consume one answer of the next fault: its status, or `None` when nothing is pending.
    pub(super) fn take(&self) -> Option<u16> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut queue = self.lock();
        let front = queue.front_mut()?;
        let status = front.status;
        front.remaining = front.remaining.saturating_sub(1);
        if front.remaining == 0 {
            queue.pop_front();
        }
        self.armed.store(!queue.is_empty(), Ordering::Release);
        Some(status)
    }

    // Nothing panics while the lock is held, and the queue is consistent after every
    // operation anyway: a poisoned lock is still good.
    fn lock(&self) -> MutexGuard<'_, VecDeque<AcaFault>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The body of an injected `status`. `request` is the call's position when its body is a
/// valid one, `exists` whether the store holds it: they choose the wording of a 409, as GPD's
/// refusal names the operation (create, update or invalidate).
pub(super) fn problem(
    status: u16,
    request: Option<&NewDebtPositionRequest>,
    exists: bool,
) -> ProblemJson {
    match status {
        401 => ProblemJson::unauthorized(),
        409 => {
            let op = match request {
                Some(request) if request.is_cancellation() => ConflictOp::Invalidate,
                Some(_) if exists => ConflictOp::Update,
                _ => ConflictOp::Create,
            };
            ProblemJson::conflict(op)
        }
        422 => ProblemJson::unprocessable(),
        500 => ProblemJson::internal_error(),
        502 => ProblemJson::bad_gateway(),
        503 => ProblemJson::new(
            503,
            "Service unavailable",
            "The service is temporarily unavailable, retry later",
        ),
        other => {
            let title = axum::http::StatusCode::from_u16(other)
                .ok()
                .and_then(|code| code.canonical_reason())
                .unwrap_or("Error");
            ProblemJson::new(other, title, "Error processing the request")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{AcaFault, Faults, problem};
    use collaudo_wire::aca::{ConflictOp, ProblemJson, parse_and_validate};

    #[test]
    fn faults_are_consumed_in_order() {
        let faults = Faults::default();
        assert_eq!((faults.take(), faults.pending()), (None, 0));
        faults.push(502, 2);
        faults.push(401, 1);
        faults.push(409, 0);
        assert_eq!(faults.pending(), 3);
        assert_eq!(
            faults.list(),
            vec![
                AcaFault {
                    status: 502,
                    remaining: 2
                },
                AcaFault {
                    status: 401,
                    remaining: 1
                }
            ]
        );
        let taken: Vec<_> = std::iter::from_fn(|| faults.take()).collect();
        assert_eq!(taken, vec![502, 502, 401]);
        assert_eq!(faults.pending(), 0);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn clear_drops_everything_and_odd_statuses_become_500() {
        let faults = Faults::default();
        faults.push(503, 5);
        faults.clear();
        assert_eq!((faults.take(), faults.pending()), (None, 0));
        faults.push(200, 1);
        faults.push(700, 1);
        faults.push(u16::MAX, u32::MAX);
        assert_eq!(faults.pending(), u32::MAX, "saturates");
        assert_eq!((faults.take(), faults.take()), (Some(500), Some(500)));
    }

    #[test]
    fn bodies_use_aca_wording() {
        let cases = [
            (401, ProblemJson::unauthorized()),
            (409, ProblemJson::conflict(ConflictOp::Create)),
            (422, ProblemJson::unprocessable()),
            (500, ProblemJson::internal_error()),
            (502, ProblemJson::bad_gateway()),
        ];
        for (status, expected) in cases {
            assert_eq!(problem(status, None, false), expected);
        }
        let unavailable = problem(503, None, false);
        assert_eq!(
            (unavailable.status, unavailable.title.as_str()),
            (503, "Service unavailable")
        );
        let teapot = problem(418, None, false);
        assert_eq!(
            (teapot.status, teapot.title.as_str()),
            (418, "I'm a teapot")
        );
        assert_eq!(problem(599, None, false).title, "Error");
    }

    #[test]
    fn conflict_names_the_operation() {
        let body = |amount: i64| {
            format!(
                r#"{{"paFiscalCode":"77777777777","entityType":"F",
                "entityFiscalCode":"RSSMRA80A01H501U","entityFullName":"Mario Rossi",
                "iuv":"01","amount":{amount},"description":"d",
                "expirationDate":"2030-01-01T00:00:00Z"}}"#
            )
        };
        let (Ok(upsert), Ok(cancel)) = (
            parse_and_validate(body(100).as_bytes()),
            parse_and_validate(body(0).as_bytes()),
        ) else {
            panic!("valid bodies");
        };
        let op = |request, exists| problem(409, Some(request), exists).detail;
        assert_eq!(
            op(&upsert, false),
            ProblemJson::conflict(ConflictOp::Create).detail
        );
        assert_eq!(
            op(&upsert, true),
            ProblemJson::conflict(ConflictOp::Update).detail
        );
        assert_eq!(
            op(&cancel, true),
            ProblemJson::conflict(ConflictOp::Invalidate).detail
        );
    }
}
