//! The positions a mock ACA holds, and the log of the calls it received.
//!
//! Positions are keyed by (`paFiscalCode`, `iuv`) and indexed a second time by (EC, notice
//! number) for the Stand-In simulator, which is asked for a notice. Both indexes are hash
//! tables of record numbers (4 bytes a slot) over one `Vec` of compact records, so a million
//! positions fit in a few hundred MB; see [`record`](super::record).
//!
//! Every change is made under one write lock: concurrent upserts of the same key are applied
//! one after the other, each sees the previous one, and the history lists them in that order.

use super::calls::{AcaCall, CallLog};
use super::iban::ResolvedIban;
use super::record::{FIRST_MARKER, IbanRef, Nav, Record, TextTooLong};
use crate::clock::VirtualTime;
use collaudo_wire::aca::NewDebtPositionRequest;
use hashbrown::HashTable;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Status of a position, as ACA (GPD behind it) reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionStatus {
    /// Payable.
    Valid,
    /// Cancelled or closed by the EC (`amount` 0); no longer modifiable.
    Invalid,
    /// Paid (in Stand-In); no longer modifiable.
    Paid,
    /// Past its due date with `switchToExpired`; still modifiable, not payable.
    Expired,
}

impl PositionStatus {
    /// The status string ACA puts in `DebtPositionResponse.status`, e.g. `VALID`.
    pub fn as_str(self) -> &'static str {
        match self {
            PositionStatus::Valid => "VALID",
            PositionStatus::Invalid => "INVALID",
            PositionStatus::Paid => "PAID",
            PositionStatus::Expired => "EXPIRED",
        }
    }

    /// Whether ACA accepts an upsert or cancellation of a position in this status (DOMAIN.md
    /// §8: only DRAFT, PUBLISHED, VALID or EXPIRED; ACA never holds the first two).
    pub fn is_modifiable(self) -> bool {
        matches!(self, PositionStatus::Valid | PositionStatus::Expired)
    }
}

impl fmt::Display for PositionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one accepted call did to a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryAction {
    /// The first call for the key.
    Created,
    /// A later call with a non-zero amount.
    Updated,
    /// A call with amount 0: cancelled, or closed because paid outside pagoPA.
    Cancelled,
}

/// One accepted call in a position's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Scenario time of the call.
    pub at: VirtualTime,
    /// What it did.
    pub action: HistoryAction,
    /// The amount it carried, in euro cents (0 for a cancellation).
    pub amount_cents: i64,
}

/// A position as ACA holds it (a copy; the store is not borrowed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcaPosition {
    /// Internal id, `ACA_<paFiscalCode>_<iuv>`.
    pub iupd: String,
    /// The data of the last call that created or updated it (a cancellation leaves the data
    /// as it was and only changes the status, as GPD's invalidation does).
    pub request: NewDebtPositionRequest,
    /// The notice number: the request's `nav`, or `"3" + iuv`.
    pub nav: String,
    /// Current status.
    pub status: PositionStatus,
    /// The IBAN a Stand-In payment would credit.
    pub iban: ResolvedIban,
    /// Every accepted call, oldest first.
    pub history: Vec<HistoryEntry>,
}

impl AcaPosition {
    /// The stored amount in euro cents.
    pub fn amount_cents(&self) -> i64 {
        self.request.amount
    }

    /// Whether the Stand-In simulator may collect a payment for it: valid and not excluded by
    /// `payStandIn=false` (DOMAIN.md §7.4).
    pub fn payable_in_stand_in(&self) -> bool {
        self.status == PositionStatus::Valid && self.request.pay_stand_in
    }
}

/// The internal id ACA gives the position (`paFiscalCode`, `iuv`): `ACA_<paFiscalCode>_<iuv>`.
pub fn iupd(pa_fiscal_code: &str, iuv: &str) -> String {
    format!("ACA_{pa_fiscal_code}_{iuv}")
}

/// What an accepted call did, and the position afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Created, updated or cancelled.
    pub action: HistoryAction,
    /// The position after the call.
    pub position: AcaPosition,
}

/// Why the store refused a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyRejection {
    /// Amount 0 for a position ACA does not hold (422).
    #[error("amount 0 for a position that does not exist")]
    CancelUnknown,
    /// The position exists in a status that cannot be modified (409 "Unauthorized action").
    #[error("position is {status}, it can no longer be modified")]
    Unmodifiable {
        /// Its status.
        status: PositionStatus,
    },
    /// The request's text exceeds 4 GiB or the store holds 2³² positions; a body limit makes
    /// this unreachable over HTTP.
    #[error("position too large for the store")]
    TooLarge,
}

/// Why a status change asked by the simulator was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// No position for that key.
    #[error("no position {iupd}")]
    NotFound {
        /// The key, as an IUPD.
        iupd: String,
    },
    /// The position's status does not allow it.
    #[error("position {iupd} is {from}, it cannot become {to}")]
    NotAllowed {
        /// The key, as an IUPD.
        iupd: String,
        /// Current status.
        from: PositionStatus,
        /// Requested status.
        to: PositionStatus,
    },
}

/// The positions and the call log of one mock ACA. Cloning gives another handle on the same
/// store, so the server, the Stand-In simulator and the checks can share it.
#[derive(Debug, Clone, Default)]
pub struct AcaStore {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    positions: RwLock<Positions>,
    calls: Mutex<CallLog>,
}

impl AcaStore {
    /// An empty store that keeps its call log in memory only.
    pub fn new() -> Self {
        AcaStore::default()
    }

    /// An empty store whose call log is also streamed to `path` (created or truncated), one
    /// JSON line per call; `retain_calls` false keeps no call in memory.
    ///
    /// # Errors
    /// Creating the file.
    pub fn with_journal(path: impl AsRef<Path>, retain_calls: bool) -> io::Result<Self> {
        let log = CallLog::create(path.as_ref(), retain_calls)?;
        Ok(AcaStore::with_call_log(log))
    }

    /// An empty store that keeps no call in memory and writes none: it only counts them.
    pub fn counting_calls() -> Self {
        AcaStore::with_call_log(CallLog::counting())
    }

    fn with_call_log(log: CallLog) -> Self {
        AcaStore {
            inner: Arc::new(Inner {
                positions: RwLock::default(),
                calls: Mutex::new(log),
            }),
        }
    }

    /// Create, update or cancel the position of `request`, as a `paCreatePosition` call does
    /// once authenticated and validated; `iban` is what ACA resolved for it (see
    /// [`ResolvedIban::resolve`]) and `at` the scenario time of the call.
    ///
    /// * unknown key, amount > 0: created, status VALID;
    /// * unknown key, amount 0: [`ApplyRejection::CancelUnknown`];
    /// * VALID or EXPIRED, amount > 0: data and IBAN replaced, status VALID;
    /// * VALID or EXPIRED, amount 0: status INVALID, data kept;
    /// * INVALID or PAID: [`ApplyRejection::Unmodifiable`].
    ///
    /// The request is expected to be valid (see `NewDebtPositionRequest::validate`); the
    /// store checks nothing but the key.
    ///
    /// # Errors
    /// As listed above, plus [`ApplyRejection::TooLarge`].
    pub fn apply(
        &self,
        request: &NewDebtPositionRequest,
        iban: &ResolvedIban,
        at: VirtualTime,
    ) -> Result<Applied, ApplyRejection> {
        let mut positions = self.write();
        let found = positions.find(&request.pa_fiscal_code, &request.iuv);
        let (action, index) = match found {
            None if request.is_cancellation() => return Err(ApplyRejection::CancelUnknown),
            None => (HistoryAction::Created, positions.insert(request, iban, at)?),
            Some(index) => {
                let status = positions.record(index).status();
                if !status.is_modifiable() {
                    return Err(ApplyRejection::Unmodifiable { status });
                }
                if request.is_cancellation() {
                    positions.cancel(index, at);
                    (HistoryAction::Cancelled, index)
                } else {
                    positions.update(index, request, iban, at)?;
                    (HistoryAction::Updated, index)
                }
            }
        };
        Ok(Applied {
            action,
            position: positions.snapshot(index),
        })
    }

    /// The position (`pa_fiscal_code`, `iuv`).
    pub fn get(&self, pa_fiscal_code: &str, iuv: &str) -> Option<AcaPosition> {
        let positions = self.read();
        positions
            .find(pa_fiscal_code, iuv)
            .map(|index| positions.snapshot(index))
    }

    /// The position of EC `pa_fiscal_code` whose notice number is `nav`. When two positions
    /// of the EC share a notice number (an EC bug), the one written last.
    pub fn get_by_notice(&self, pa_fiscal_code: &str, nav: &str) -> Option<AcaPosition> {
        let positions = self.read();
        let ec = positions.ecs.get(pa_fiscal_code)?;
        positions
            .find_nav(ec, nav)
            .map(|index| positions.snapshot(index))
    }

    /// A position whose notice number is `nav`, whatever its EC. Notice numbers are unique
    /// only within an EC: when several ECs hold `nav`, the one whose first position was
    /// stored earliest wins. Use [`get_by_notice`](Self::get_by_notice) when the EC is known.
    pub fn get_by_nav(&self, nav: &str) -> Option<AcaPosition> {
        let positions = self.read();
        (0..positions.ecs.len())
            .find_map(|ec| positions.find_nav(ec, nav))
            .map(|index| positions.snapshot(index))
    }

    /// Every position, in creation order. A full copy: meant for reports and checks, not for
    /// hot paths over a million positions.
    pub fn positions(&self) -> Vec<AcaPosition> {
        let positions = self.read();
        (0..positions.len())
            .map(|index| positions.snapshot(index))
            .collect()
    }

    /// Number of positions held, whatever their status.
    pub fn len(&self) -> usize {
        self.read().records.len()
    }

    /// Whether no position is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The position was paid (in Stand-In): VALID → PAID. Later calls for it get 409.
    ///
    /// # Errors
    /// [`TransitionError::NotFound`], or [`TransitionError::NotAllowed`] unless VALID.
    pub fn mark_paid(
        &self,
        pa_fiscal_code: &str,
        iuv: &str,
    ) -> Result<AcaPosition, TransitionError> {
        self.transition(pa_fiscal_code, iuv, PositionStatus::Paid)
    }

    /// The position is past its due date: VALID → EXPIRED (for `switchToExpired` scenarios;
    /// the flag itself is not checked, so a scenario can also expire a position that does not
    /// ask for it and see the EC's reaction). An EXPIRED position can still be updated (back
    /// to VALID) or cancelled.
    ///
    /// # Errors
    /// [`TransitionError::NotFound`], or [`TransitionError::NotAllowed`] unless VALID.
    pub fn expire(&self, pa_fiscal_code: &str, iuv: &str) -> Result<AcaPosition, TransitionError> {
        self.transition(pa_fiscal_code, iuv, PositionStatus::Expired)
    }

    /// Expire every VALID position with `switchToExpired` whose `expirationDate` is before
    /// `now`; returns how many. Positions whose date does not parse are left alone.
    pub fn expire_due(&self, now: VirtualTime) -> usize {
        let mut positions = self.write();
        let mut expired = 0;
        for record in &mut positions.records {
            let due = record.status() == PositionStatus::Valid
                && record.switch_to_expired()
                && VirtualTime::parse_rfc3339(record.expiration_date()).is_ok_and(|d| d < now);
            if due {
                record.set_status(PositionStatus::Expired);
                expired += 1;
            }
        }
        expired
    }

    fn transition(
        &self,
        pa_fiscal_code: &str,
        iuv: &str,
        to: PositionStatus,
    ) -> Result<AcaPosition, TransitionError> {
        let mut positions = self.write();
        let Some(index) = positions.find(pa_fiscal_code, iuv) else {
            return Err(TransitionError::NotFound {
                iupd: iupd(pa_fiscal_code, iuv),
            });
        };
        let from = positions.record(index).status();
        if from != PositionStatus::Valid {
            return Err(TransitionError::NotAllowed {
                iupd: iupd(pa_fiscal_code, iuv),
                from,
                to,
            });
        }
        positions.record_mut(index).set_status(to);
        Ok(positions.snapshot(index))
    }

    /// Every call received so far, oldest first (empty when calls are not retained).
    pub fn calls(&self) -> Vec<AcaCall> {
        self.calls_lock().entries().to_vec()
    }

    /// Number of calls received so far (retained or not).
    pub fn call_count(&self) -> u64 {
        self.calls_lock().count()
    }

    /// The file calls are streamed to, if any.
    pub fn journal_path(&self) -> Option<PathBuf> {
        self.calls_lock().path().map(Path::to_path_buf)
    }

    /// The first failure to write the journal file since the last call, if any. A failed write
    /// does not stop the server; the harness collects the error and reports it.
    pub fn take_journal_error(&self) -> Option<io::Error> {
        self.calls_lock().take_write_error()
    }

    /// Append a call to the log (and the journal file), assigning its sequence number.
    pub(super) fn record_call(&self, call: AcaCall) -> u64 {
        self.calls_lock().record(call)
    }

    // A panic while a lock is held (there is none in this module, but a caller's closure could
    // come later) must not take the whole mock down: every mutation leaves the data
    // consistent before the next one starts, so the poisoned data is still good.
    fn read(&self) -> RwLockReadGuard<'_, Positions> {
        self.inner
            .positions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Positions> {
        self.inner
            .positions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn calls_lock(&self) -> MutexGuard<'_, CallLog> {
        self.inner
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Interned strings (EC fiscal codes, back-office IBANs): few distinct values shared by many
/// positions.
#[derive(Debug, Default)]
struct Interner {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    fn intern(&mut self, name: &str) -> Option<u32> {
        if let Some(id) = self.get(name) {
            return Some(id);
        }
        let id = u32::try_from(self.names.len())
            .ok()
            .filter(|&id| id < FIRST_MARKER)?;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        Some(id)
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |name| name)
    }

    fn len(&self) -> u32 {
        // Ids are u32 by construction, so the count fits.
        u32::try_from(self.names.len()).unwrap_or(u32::MAX)
    }
}

/// The records and their two indexes.
#[derive(Default)]
struct Positions {
    records: Vec<Record>,
    /// (EC, IUV) → record number.
    by_key: HashTable<u32>,
    /// (EC, notice number) → record number.
    by_nav: HashTable<u32>,
    ecs: Interner,
    ibans: Interner,
    hasher: RandomState,
}

impl fmt::Debug for Positions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Positions")
            .field("len", &self.records.len())
            .field("ecs", &self.ecs.names)
            .finish_non_exhaustive()
    }
}

fn key_hash(hasher: &RandomState, ec: u32, iuv: &str) -> u64 {
    let mut h = hasher.build_hasher();
    h.write_u32(ec);
    h.write(iuv.as_bytes());
    h.finish()
}

fn nav_hash(hasher: &RandomState, ec: u32, nav: Nav<'_>) -> u64 {
    let mut h = hasher.build_hasher();
    h.write_u32(ec);
    // Hashing the default nav in two writes gives the hash of "3" + iuv written at once (SipHash
    // consumes a byte stream), so a lookup by the full string finds it without an allocation
    // per record.
    match nav {
        Nav::Explicit(nav) => h.write(nav.as_bytes()),
        Nav::Default(iuv) => {
            h.write(b"3");
            h.write(iuv.as_bytes());
        }
    }
    h.finish()
}

impl Positions {
    /// Number of records, as a record number bound (`insert` refuses past `u32::MAX`).
    fn len(&self) -> u32 {
        u32::try_from(self.records.len()).unwrap_or(u32::MAX)
    }

    fn record(&self, index: u32) -> &Record {
        &self.records[index as usize]
    }

    fn record_mut(&mut self, index: u32) -> &mut Record {
        &mut self.records[index as usize]
    }

    fn find(&self, pa_fiscal_code: &str, iuv: &str) -> Option<u32> {
        let ec = self.ecs.get(pa_fiscal_code)?;
        let hash = key_hash(&self.hasher, ec, iuv);
        self.by_key
            .find(hash, |&i| {
                let r = self.record(i);
                r.ec() == ec && r.iuv() == iuv
            })
            .copied()
    }

    fn find_nav(&self, ec: u32, nav: &str) -> Option<u32> {
        let hash = nav_hash(&self.hasher, ec, Nav::Explicit(nav));
        self.by_nav
            .find(hash, |&i| {
                let r = self.record(i);
                r.ec() == ec && r.nav().matches(nav)
            })
            .copied()
    }

    fn insert(
        &mut self,
        request: &NewDebtPositionRequest,
        iban: &ResolvedIban,
        at: VirtualTime,
    ) -> Result<u32, ApplyRejection> {
        let index = u32::try_from(self.records.len()).map_err(|_| ApplyRejection::TooLarge)?;
        let ec = self
            .ecs
            .intern(&request.pa_fiscal_code)
            .ok_or(ApplyRejection::TooLarge)?;
        let iban_ref = self.iban_ref(request, iban)?;
        let record = Record::new(request, ec, iban_ref, iban.postal, iban.source, at)
            .map_err(|TextTooLong| ApplyRejection::TooLarge)?;
        self.records.push(record);
        let Positions {
            records,
            by_key,
            hasher,
            ..
        } = self;
        let hash = key_hash(hasher, ec, &request.iuv);
        by_key.insert_unique(hash, index, |&i| {
            let r = &records[i as usize];
            key_hash(hasher, r.ec(), r.iuv())
        });
        self.index_nav(index);
        Ok(index)
    }

    fn update(
        &mut self,
        index: u32,
        request: &NewDebtPositionRequest,
        iban: &ResolvedIban,
        at: VirtualTime,
    ) -> Result<(), ApplyRejection> {
        let iban_ref = self.iban_ref(request, iban)?;
        self.unindex_nav(index);
        let replaced = self.records[index as usize]
            .replace(request, iban_ref, iban.postal, iban.source)
            .map_err(|TextTooLong| ApplyRejection::TooLarge);
        // Re-index whatever the outcome: on failure the record kept its old data.
        self.index_nav(index);
        replaced?;
        let record = self.record_mut(index);
        record.set_status(PositionStatus::Valid);
        record.push_history(HistoryEntry {
            at,
            action: HistoryAction::Updated,
            amount_cents: request.amount,
        });
        Ok(())
    }

    fn cancel(&mut self, index: u32, at: VirtualTime) {
        let record = self.record_mut(index);
        record.set_status(PositionStatus::Invalid);
        record.push_history(HistoryEntry {
            at,
            action: HistoryAction::Cancelled,
            amount_cents: 0,
        });
    }

    /// Where the record will find its resolved IBAN: in its own text when it is one of the
    /// request's, otherwise interned.
    fn iban_ref(
        &mut self,
        request: &NewDebtPositionRequest,
        iban: &ResolvedIban,
    ) -> Result<IbanRef, ApplyRejection> {
        let Some(value) = iban.iban.as_deref() else {
            return Ok(IbanRef::None);
        };
        if request.iban.as_deref() == Some(value) {
            return Ok(IbanRef::IbanSlot);
        }
        if request.postal_iban.as_deref() == Some(value) {
            return Ok(IbanRef::PostalSlot);
        }
        self.ibans
            .intern(value)
            .map(IbanRef::Interned)
            .ok_or(ApplyRejection::TooLarge)
    }

    /// Point the record's notice number at it (the last writer of a notice number wins).
    fn index_nav(&mut self, index: u32) {
        let Positions {
            records,
            by_nav,
            hasher,
            ..
        } = self;
        let record = &records[index as usize];
        let (ec, nav) = (record.ec(), record.nav());
        let hash = nav_hash(hasher, ec, nav);
        let same_nav = |&i: &u32| {
            let r = &records[i as usize];
            r.ec() == ec && r.nav().same(nav)
        };
        match by_nav.find_mut(hash, same_nav) {
            Some(slot) => *slot = index,
            None => {
                by_nav.insert_unique(hash, index, |&i| {
                    let r = &records[i as usize];
                    nav_hash(hasher, r.ec(), r.nav())
                });
            }
        }
    }

    /// Drop the record's notice-number entry if it still points at it.
    fn unindex_nav(&mut self, index: u32) {
        let record = self.record(index);
        let hash = nav_hash(&self.hasher, record.ec(), record.nav());
        if let Ok(entry) = self.by_nav.find_entry(hash, |&i| i == index) {
            entry.remove();
        }
    }

    fn snapshot(&self, index: u32) -> AcaPosition {
        let record = self.record(index);
        let pa = self.ecs.name(record.ec());
        let iban = match record.iban_ref() {
            IbanRef::None => None,
            IbanRef::IbanSlot => Some(record.request_iban(false).to_string()),
            IbanRef::PostalSlot => Some(record.request_iban(true).to_string()),
            IbanRef::Interned(id) => Some(self.ibans.name(id).to_string()),
        };
        AcaPosition {
            iupd: iupd(pa, record.iuv()),
            request: record.request(pa),
            nav: record.nav().to_owned_string(),
            status: record.status(),
            iban: ResolvedIban {
                iban,
                postal: record.iban_postal(),
                source: record.iban_source(),
            },
            history: record.history().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests;
