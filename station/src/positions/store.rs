//! The position store: debt positions keyed by notice number, their state machine
//! (`Open → Activated → Paid`, plus `Cancelled` and `Expired`), and the ledger of booked
//! receipts.
//!
//! One mutex guards positions and ledger together, so "is this receipt already booked?" and
//! "book it" happen atomically even when the Nodo delivers the same receipt twice at once.

use super::fixtures::FixtureRole;
use collaudo_wire::ident::NoticeNumber;
use collaudo_wire::{Amount, MapEntry, MarcaDaBollo, Primitive, Subject};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use thiserror::Error;

/// Where the money of a transfer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payee {
    /// A bank account, with the postal account usable instead when the EC has one for this
    /// transfer (what `allCCP` and `transferType=POSTAL` are about).
    Iban {
        /// The account credited by default.
        iban: String,
        /// A postal account that may be credited instead.
        postal_iban: Option<String>,
    },
    /// A digital stamp (@e.bollo), only expressible in paGetPaymentV2.
    Stamp(MarcaDaBollo),
}

/// One transfer (1..5) of a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSpec {
    /// `idTransfer`, 1..5.
    pub id_transfer: u8,
    /// `transferAmount`.
    pub amount: Amount,
    /// The beneficiary EC.
    pub fiscal_code_pa: String,
    /// The beneficiary's company name (sent in V2 transfers).
    pub company_name: String,
    /// IBAN or stamp.
    pub payee: Payee,
    /// `remittanceInformation`.
    pub remittance_information: String,
    /// `transferCategory` (taxonomy code).
    pub transfer_category: String,
    /// Transfer metadata.
    pub metadata: Vec<MapEntry>,
}

/// Where a position is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PositionState {
    /// Payable, never activated.
    Open,
    /// Activated by a paGetPayment(V2); still payable (DOMAIN.md §3.7: the EC keeps the
    /// position open until the receipt).
    Activated {
        /// The payment token, when known (the Nodo only reveals it in the receipt).
        token: Option<String>,
    },
    /// Paid: a receipt was booked, or the EC closed the position because the debtor paid
    /// outside pagoPA.
    Paid {
        /// `receiptId` of the first pagoPA receipt booked; `None` when the position was closed
        /// as paid elsewhere (a receipt booked later does not change it).
        receipt_id: Option<String>,
    },
    /// Cancelled by the EC.
    Cancelled,
    /// Past a binding due date.
    Expired,
}

impl PositionState {
    /// Short lowercase name, as in the admin API.
    pub fn name(&self) -> &'static str {
        match self {
            PositionState::Open => "open",
            PositionState::Activated { .. } => "activated",
            PositionState::Paid { .. } => "paid",
            PositionState::Cancelled => "cancelled",
            PositionState::Expired => "expired",
        }
    }
}

/// A debt position held by the station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The notice number (aux digit 3, segregation code 01).
    pub notice_number: NoticeNumber,
    /// The creditor EC's fiscal code.
    pub fiscal_code: String,
    /// The IUV (`creditorReferenceId`), embedded in the notice number.
    pub iuv: String,
    /// The current amount; kept equal to the sum of the transfers.
    pub amount: Amount,
    /// `dueDate` (`YYYY-MM-DD`).
    pub due_date: String,
    /// Whether payment after the due date is refused (`PAA_PAGAMENTO_SCADUTO`).
    pub due_date_binding: bool,
    /// Payment description.
    pub description: String,
    /// The creditor EC's company name.
    pub company_name: String,
    /// Office name.
    pub office_name: Option<String>,
    /// The debtor.
    pub debtor: Subject,
    /// Transfers, 1..5.
    pub transfers: Vec<TransferSpec>,
    /// Position metadata.
    pub metadata: Vec<MapEntry>,
    /// State.
    pub state: PositionState,
    /// The fixture role it was seeded for, if any.
    pub role: Option<FixtureRole>,
}

impl Position {
    /// Σ transferAmount.
    pub fn transfers_sum(&self) -> Amount {
        Amount::sum(self.transfers.iter().map(|t| t.amount))
    }

    /// `allCCP`: every transfer can be credited to a postal account.
    pub fn all_ccp(&self) -> bool {
        self.transfers.iter().all(|t| match &t.payee {
            Payee::Iban { postal_iban, .. } => postal_iban.is_some(),
            Payee::Stamp(_) => false,
        })
    }

    /// Whether some transfer is a digital stamp.
    pub fn has_stamp(&self) -> bool {
        self.transfers
            .iter()
            .any(|t| matches!(t.payee, Payee::Stamp(_)))
    }
}

/// A receipt booked by the station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// `receiptId`.
    pub receipt_id: String,
    /// `noticeNumber`.
    pub notice_number: String,
    /// `fiscalCode` of the receipt (the creditor EC).
    pub fiscal_code: String,
    /// `idPA` the receipt was addressed to.
    pub id_pa: String,
    /// `paymentAmount` as received.
    pub amount_cents: u64,
    /// paSendRT or paSendRTV2.
    pub primitive: Primitive,
    /// `standIn` of the receipt.
    pub stand_in: bool,
    /// Whether the station held a position for the notice when the receipt arrived.
    pub known_position: bool,
}

/// What the admin API shows of a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    /// The notice number.
    pub notice_number: String,
    /// The creditor EC.
    pub fiscal_code: String,
    /// The IUV.
    pub iuv: String,
    /// The fixture role, if seeded for one.
    pub role: Option<FixtureRole>,
    /// The current amount in cents.
    pub amount_cents: u64,
    /// The current amount, `\d+\.\d{2}`.
    pub amount: String,
    /// The due date.
    pub due_date: String,
    /// Whether the due date is binding.
    pub due_date_binding: bool,
    /// `open`, `activated`, `paid`, `cancelled` or `expired`.
    pub state: String,
    /// The payment token of an activated position, when known.
    pub token: Option<String>,
    /// The receipt that paid the position (`None` when it was closed as paid outside pagoPA).
    pub receipt_id: Option<String>,
    /// How many receipts were booked for the notice (a correct station books each once).
    pub booking_count: usize,
    /// The `receiptId`s booked, in order.
    pub receipt_ids: Vec<String>,
}

/// Why an admin action on a position was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AdminError {
    /// No position with that notice number.
    #[error("no position with notice number {0}")]
    UnknownNotice(String),
    /// The amount cannot be applied.
    #[error("invalid amount of {cents} cents: {reason}")]
    InvalidAmount {
        /// The amount asked for.
        cents: u64,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The position is in a state the action does not apply to.
    #[error("position {notice} is {state}")]
    NotModifiable {
        /// The notice number.
        notice: String,
        /// Its state.
        state: &'static str,
    },
    /// No notice number could be issued for a new position (the IUV range is exhausted).
    #[error("cannot issue a notice number: {0}")]
    NoticeUnavailable(String),
}

/// Positions and booked receipts behind one lock.
#[derive(Debug)]
pub(crate) struct StoreInner {
    pub(crate) positions: BTreeMap<String, Position>,
    /// Every booked receipt, in arrival order (append only: [`StoreInner::book`]).
    bookings: Vec<Booking>,
    /// Notice number → indexes into `bookings`: a station that lives for days (serve) books
    /// tens of thousands of receipts, and every paSendRT asks whether its receipt is a
    /// duplicate.
    bookings_by_notice: HashMap<String, Vec<usize>>,
    /// Next IUV base for positions created by paDemandPaymentNotice.
    pub(crate) next_demand_base: u64,
}

impl StoreInner {
    pub(crate) fn booking_count(&self, notice: &str) -> usize {
        self.bookings_by_notice.get(notice).map_or(0, Vec::len)
    }

    /// The receipts booked for the notice, in arrival order.
    pub(crate) fn bookings_of<'s>(&'s self, notice: &str) -> impl Iterator<Item = &'s Booking> {
        self.bookings_by_notice
            .get(notice)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.bookings.get(i))
    }

    /// Book a receipt.
    pub(crate) fn book(&mut self, booking: Booking) {
        self.bookings_by_notice
            .entry(booking.notice_number.clone())
            .or_default()
            .push(self.bookings.len());
        self.bookings.push(booking);
    }

    fn view(&self, p: &Position) -> PositionView {
        let notice = p.notice_number.as_str();
        let (token, receipt_id) = match &p.state {
            PositionState::Activated { token } => (token.clone(), None),
            PositionState::Paid { receipt_id } => (None, receipt_id.clone()),
            _ => (None, None),
        };
        PositionView {
            notice_number: notice.to_string(),
            fiscal_code: p.fiscal_code.clone(),
            iuv: p.iuv.clone(),
            role: p.role,
            amount_cents: p.amount.cents(),
            amount: p.amount.to_string(),
            due_date: p.due_date.clone(),
            due_date_binding: p.due_date_binding,
            state: p.state.name().to_string(),
            token,
            receipt_id,
            booking_count: self.booking_count(notice),
            receipt_ids: self
                .bookings_of(notice)
                .map(|b| b.receipt_id.clone())
                .collect(),
        }
    }
}

/// The shared store of positions; cloning shares it.
#[derive(Debug, Clone)]
pub struct PositionStore {
    inner: Arc<Mutex<StoreInner>>,
}

impl PositionStore {
    pub(crate) fn new(positions: Vec<Position>, next_demand_base: u64) -> Self {
        let positions = positions
            .into_iter()
            .map(|p| (p.notice_number.as_str().to_string(), p))
            .collect();
        PositionStore {
            inner: Arc::new(Mutex::new(StoreInner {
                positions,
                bookings: Vec::new(),
                bookings_by_notice: HashMap::new(),
                next_demand_base,
            })),
        }
    }

    /// Run `f` under the lock. A panic elsewhere while holding the lock cannot leave the data
    /// half-updated in a way that matters more than refusing service, so poisoning is ignored.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut StoreInner) -> R) -> R {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// A copy of the position with this notice number.
    pub fn get(&self, notice: &str) -> Option<Position> {
        self.with(|s| s.positions.get(notice).cloned())
    }

    /// A copy of every position, ordered by notice number.
    pub fn all(&self) -> Vec<Position> {
        self.with(|s| s.positions.values().cloned().collect())
    }

    /// Add or replace a position (for tests that need one the fixtures do not have).
    pub fn insert(&self, position: Position) {
        self.with(|s| {
            s.positions
                .insert(position.notice_number.as_str().to_string(), position);
        });
    }

    /// How many receipts were booked for the notice.
    pub fn booking_count(&self, notice: &str) -> usize {
        self.with(|s| s.booking_count(notice))
    }

    /// Every booked receipt, in arrival order.
    pub fn bookings(&self) -> Vec<Booking> {
        self.with(|s| s.bookings.clone())
    }

    /// The admin view of a position.
    pub fn view(&self, notice: &str) -> Option<PositionView> {
        self.with(|s| s.positions.get(notice).map(|p| s.view(p)))
    }

    /// The admin view of every position.
    pub fn views(&self) -> Vec<PositionView> {
        self.with(|s| s.positions.values().map(|p| s.view(p)).collect())
    }

    /// EC back-office action: change the amount of a payable position (VRF-008). The first
    /// IBAN transfer absorbs the difference so that the amount stays Σ transferAmount.
    ///
    /// # Errors
    /// Unknown notice, a position that is not payable, or an amount that is zero, above
    /// 999 999 999.99 or would leave the adjusted transfer at zero or below.
    pub fn set_amount(&self, notice: &str, amount: Amount) -> Result<PositionView, AdminError> {
        self.change_amount(notice, amount)?;
        self.view(notice)
            .ok_or_else(|| AdminError::UnknownNotice(notice.to_string()))
    }

    /// [`set_amount`](Self::set_amount), returning the position as it is right after the
    /// change (copied under the same lock, so a receipt arriving meanwhile cannot slip in).
    pub(crate) fn change_amount(
        &self,
        notice: &str,
        amount: Amount,
    ) -> Result<Position, AdminError> {
        let cents = amount.cents();
        if cents == 0 || cents > Amount::MAX_CENTS {
            return Err(AdminError::InvalidAmount {
                cents,
                reason: "must be between 0.01 and 999999999.99",
            });
        }
        self.with(|s| {
            let p = s
                .positions
                .get_mut(notice)
                .ok_or_else(|| AdminError::UnknownNotice(notice.to_string()))?;
            if !matches!(
                p.state,
                PositionState::Open | PositionState::Activated { .. }
            ) {
                return Err(AdminError::NotModifiable {
                    notice: notice.to_string(),
                    state: p.state.name(),
                });
            }
            let first_iban = p
                .transfers
                .iter()
                .position(|t| matches!(t.payee, Payee::Iban { .. }));
            let Some(idx) = first_iban else {
                return Err(AdminError::InvalidAmount {
                    cents,
                    reason: "the position has no IBAN transfer to adjust",
                });
            };
            let rest = Amount::sum(
                p.transfers
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != idx)
                    .map(|(_, t)| t.amount),
            )
            .cents();
            let Some(adjusted) = cents.checked_sub(rest).filter(|c| *c > 0) else {
                return Err(AdminError::InvalidAmount {
                    cents,
                    reason: "the other transfers already add up to more",
                });
            };
            if let Some(t) = p.transfers.get_mut(idx) {
                t.amount = Amount::from_cents(adjusted);
            }
            p.amount = amount;
            Ok(p.clone())
        })
    }

    /// EC back-office action: cancel a position (VRF-005). Cancelling twice is harmless; a
    /// paid position cannot be cancelled.
    ///
    /// # Errors
    /// Unknown notice, or a paid position.
    pub fn cancel(&self, notice: &str) -> Result<PositionView, AdminError> {
        self.cancel_position(notice)?;
        self.view(notice)
            .ok_or_else(|| AdminError::UnknownNotice(notice.to_string()))
    }

    /// [`cancel`](Self::cancel), returning the state the position had before and the position
    /// after, both read under the same lock.
    pub(crate) fn cancel_position(
        &self,
        notice: &str,
    ) -> Result<(PositionState, Position), AdminError> {
        self.with(|s| {
            let p = s
                .positions
                .get_mut(notice)
                .ok_or_else(|| AdminError::UnknownNotice(notice.to_string()))?;
            if let PositionState::Paid { .. } = p.state {
                return Err(AdminError::NotModifiable {
                    notice: notice.to_string(),
                    state: p.state.name(),
                });
            }
            let before = std::mem::replace(&mut p.state, PositionState::Cancelled);
            Ok((before, p.clone()))
        })
    }

    /// EC back-office action: close a payable position because the debtor paid outside
    /// pagoPA (at the counter, by bank transfer). It becomes `paid` with no receipt, so the
    /// station answers `PAA_PAGAMENTO_DUPLICATO` from then on. The store alone: ACA is told by
    /// [`StationState::close_paid_elsewhere`](crate::StationState::close_paid_elsewhere).
    ///
    /// # Errors
    /// Unknown notice, or a position that is not payable (paid, cancelled, expired).
    pub fn close_paid_elsewhere(&self, notice: &str) -> Result<PositionView, AdminError> {
        self.close_position(notice)?;
        self.view(notice)
            .ok_or_else(|| AdminError::UnknownNotice(notice.to_string()))
    }

    /// [`close_paid_elsewhere`](Self::close_paid_elsewhere), returning the closed position.
    pub(crate) fn close_position(&self, notice: &str) -> Result<Position, AdminError> {
        self.with(|s| {
            let p = s
                .positions
                .get_mut(notice)
                .ok_or_else(|| AdminError::UnknownNotice(notice.to_string()))?;
            if !matches!(
                p.state,
                PositionState::Open | PositionState::Activated { .. }
            ) {
                return Err(AdminError::NotModifiable {
                    notice: notice.to_string(),
                    state: p.state.name(),
                });
            }
            p.state = PositionState::Paid { receipt_id: None };
            Ok(p.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booking(receipt: &str, notice: &str) -> Booking {
        Booking {
            receipt_id: receipt.into(),
            notice_number: notice.into(),
            fiscal_code: "77777777777".into(),
            id_pa: "77777777777".into(),
            amount_cents: 100,
            primitive: Primitive::SendRtV2,
            stand_in: false,
            known_position: true,
        }
    }

    // The index answers what the scan of every booking answered: per notice, in arrival order.
    #[test]
    fn bookings_are_found_by_notice_in_arrival_order() {
        let store = PositionStore::new(Vec::new(), 0);
        store.with(|s| {
            s.book(booking("r1", "301"));
            s.book(booking("r2", "302"));
            s.book(booking("r3", "301"));
        });
        assert_eq!(store.booking_count("301"), 2);
        assert_eq!(store.booking_count("302"), 1);
        assert_eq!(store.booking_count("303"), 0);
        let ids: Vec<String> =
            store.with(|s| s.bookings_of("301").map(|b| b.receipt_id.clone()).collect());
        assert_eq!(ids, ["r1", "r3"]);
        let all: Vec<String> = store.bookings().into_iter().map(|b| b.receipt_id).collect();
        assert_eq!(all, ["r1", "r2", "r3"]);
    }
}
