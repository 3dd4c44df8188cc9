//! The positions and receipts a mock GPD holds, per organisation, and the log of its calls.
//!
//! One read/write lock over everything: a create checks IUPD, IUV and NAV uniqueness and
//! inserts under the same write lock, so concurrent creates of one IUPD leave exactly one
//! position. Time-driven transitions are not stored by a scheduler: every read computes the
//! status at the clock's now ([`Position::effective_status`]), every write stores it first.

use super::config::PublishTiming;
use super::model::{OptionStatus, PaymentInfo, Position, PositionStatus, Summary};
use super::nodo::{PayableOption, Receipt, ReceiptData, Refusal, render_receipt};
use super::problem::Problem;
use super::wire::Page;
use crate::clock::VirtualTime;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One HTTP call to the mock GPD and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GpdCall {
    /// From 1, in the order answers were logged.
    pub seq: u64,
    /// Scenario time of arrival.
    pub virtual_at: VirtualTime,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string, `subscription-key` masked.
    pub query: Option<String>,
    /// The contract's operationId, when the route is one the mock serves.
    pub operation: Option<String>,
    /// `{organizationfiscalcode}` of the path.
    pub organization: Option<String>,
    /// `{iupd}` of the path, or the created position's.
    pub iupd: Option<String>,
    /// Request body as text, cut at 64 KiB.
    pub body: String,
    /// Body size as sent.
    pub body_len: usize,
    /// Status answered.
    pub status: u16,
    /// Response body, cut at 64 KiB.
    pub response: String,
}

/// Longest body kept in a [`GpdCall`].
pub(super) const LOG_LIMIT: usize = 64 * 1024;

/// A body as logged.
pub(super) fn logged(body: &[u8]) -> String {
    String::from_utf8_lossy(body.get(..LOG_LIMIT).unwrap_or(body)).into_owned()
}

/// Which positions a list returns, in which order.
#[derive(Debug, Clone)]
pub(super) struct ListQuery {
    pub(super) page: u32,
    pub(super) limit: u32,
    /// Some installment's due date in `[from, to)`.
    pub(super) due: Option<(VirtualTime, VirtualTime)>,
    /// Payment date in `[from, to)`.
    pub(super) paid: Option<(VirtualTime, VirtualTime)>,
    /// Any of these statuses (v3 `UNPAYABLE` is two).
    pub(super) statuses: Option<Vec<PositionStatus>>,
    pub(super) order: OrderBy,
    pub(super) ascending: bool,
}

/// `orderby`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrderBy {
    InsertedDate,
    Iupd,
    Status,
    CompanyName,
}

/// Filters of the receipts list (gpd_payments.json).
#[derive(Debug, Clone, Default)]
pub(super) struct ReceiptQuery {
    pub(super) page: usize,
    pub(super) size: usize,
    pub(super) debtor: Option<String>,
    /// IUV prefix.
    pub(super) service: Option<String>,
    pub(super) from_to: Option<(VirtualTime, VirtualTime)>,
    pub(super) segregation_codes: Option<Vec<String>>,
    pub(super) debtor_or_iuv: Option<String>,
}

#[derive(Debug, Default)]
struct Org {
    /// Insertion order; `None` once deleted.
    slots: Vec<Option<Position>>,
    /// Beside each slot: what its status and the list filters depend on.
    summaries: Vec<Summary>,
    live: usize,
    /// Ordered, for `orderby=IUPD`.
    by_iupd: BTreeMap<String, u32>,
    by_iuv: HashMap<String, u32>,
    by_nav: HashMap<String, u32>,
    receipts: Vec<Receipt>,
    receipt_by_iuv: HashMap<String, usize>,
}

impl Org {
    fn position(&self, slot: u32) -> Option<&Position> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    fn position_mut(&mut self, slot: u32) -> Option<&mut Position> {
        self.slots.get_mut(slot as usize).and_then(Option::as_mut)
    }

    fn refresh(&mut self, slot: u32) {
        let summary = self.position(slot).map(Summary::of);
        if let (Some(summary), Some(entry)) = (summary, self.summaries.get_mut(slot as usize)) {
            *entry = summary;
        }
    }

    fn slot_of_iupd(&self, iupd: &str) -> Option<u32> {
        self.by_iupd.get(iupd).copied()
    }

    /// The first IUV or NAV of `p` held by a position other than `except`.
    fn clash(&self, p: &Position, except: Option<u32>) -> Option<String> {
        p.installments().find_map(|i| {
            let taken = |index: &HashMap<String, u32>, key: &str| {
                index.get(key).is_some_and(|&s| Some(s) != except)
            };
            if taken(&self.by_iuv, &i.iuv) {
                Some(format!("IUV {}", i.iuv))
            } else if taken(&self.by_nav, &i.nav) {
                Some(format!("NAV {}", i.nav))
            } else {
                None
            }
        })
    }

    fn index(&mut self, p: &Position, slot: u32) {
        for i in p.installments() {
            self.by_iuv.insert(i.iuv.clone(), slot);
            self.by_nav.insert(i.nav.clone(), slot);
        }
    }

    fn unindex(&mut self, p: &Position) {
        for i in p.installments() {
            self.by_iuv.remove(&i.iuv);
            self.by_nav.remove(&i.nav);
        }
    }

    /// The slot and IUV of a notice given as IUV, NAV, or an 18-digit notice number with aux
    /// digit 3 (`3` + IUV) or 0 (`0` + application code + IUV).
    fn find_notice(&self, notice: &str) -> Option<(u32, String)> {
        let by_iuv = |iuv: &str| self.by_iuv.get(iuv).map(|&s| (s, iuv.to_string()));
        if let Some(found) = by_iuv(notice) {
            return Some(found);
        }
        if let Some(&slot) = self.by_nav.get(notice) {
            let iuv = self
                .position(slot)?
                .installments()
                .find(|i| i.nav == notice)?
                .iuv
                .clone();
            return Some((slot, iuv));
        }
        if notice.len() == 18 && notice.bytes().all(|b| b.is_ascii_digit()) {
            let skip = if notice.starts_with('0') { 3 } else { 1 };
            return notice.get(skip..).and_then(by_iuv);
        }
        None
    }
}

#[derive(Debug, Default)]
struct Data {
    orgs: HashMap<String, Org>,
}

#[derive(Debug)]
struct CallLog {
    retain: bool,
    count: u64,
    entries: Vec<GpdCall>,
}

#[derive(Debug)]
struct Shared {
    data: RwLock<Data>,
    calls: Mutex<CallLog>,
}

/// The mock GPD's memory. Cheap to clone: clones share the same positions.
#[derive(Debug, Clone)]
pub struct GpdStore {
    shared: Arc<Shared>,
}

impl Default for GpdStore {
    fn default() -> Self {
        GpdStore::new(true)
    }
}

fn conflict_status(p: &Position, title: &str, what: &str, status: PositionStatus) -> Problem {
    Problem::conflict(
        title,
        format!(
            "A payment transaction has already been carried out or, the debt position with \
             Organization Fiscal Code {} and IUPD {}, is not in {what} state (status {status})",
            p.organization_fiscal_code, p.iupd
        ),
    )
}

/// Publish `p` at `now` (DOMAIN.md §9.4; see [`PublishTiming`]).
fn publish_at(p: &mut Position, now: VirtualTime, timing: PublishTiming) -> Result<(), Problem> {
    if timing == PublishTiming::Implementation {
        if p.validity_date().is_some_and(|v| v < now) {
            return Err(Problem::conflict(
                "Publish request occurred after the validity date began",
                format!(
                    "A publish request has been made after the validity date began for the debt \
                     position with Organization Fiscal Code {} and IUPD {}",
                    p.organization_fiscal_code, p.iupd
                ),
            ));
        }
        if p.installments().any(|i| i.due_date < now) {
            return Err(Problem::conflict(
                "Publish request occurred after the due date of a payment options has expired",
                format!(
                    "A publish request occurred after the due date of a payment options has \
                     expired for the debt position with Organization Fiscal Code {} and IUPD {}",
                    p.organization_fiscal_code, p.iupd
                ),
            ));
        }
    }
    for plan in &mut p.plans {
        plan.validity_date.get_or_insert(now);
    }
    p.publish_date = Some(now);
    p.status = PositionStatus::Published;
    p.materialize(now);
    Ok(())
}

impl GpdStore {
    /// An empty store; `retain_calls` keeps every call in memory for [`GpdStore::calls`].
    pub fn new(retain_calls: bool) -> Self {
        GpdStore {
            shared: Arc::new(Shared {
                data: RwLock::default(),
                calls: Mutex::new(CallLog {
                    retain: retain_calls,
                    count: 0,
                    entries: Vec::new(),
                }),
            }),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Data> {
        self.shared
            .data
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Data> {
        self.shared
            .data
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn calls_lock(&self) -> MutexGuard<'_, CallLog> {
        self.shared
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Store a new position, published at once when `publish`; `render` makes the answer
    /// body under the lock. 409 when its IUPD, an IUV or a NAV exists for the organisation.
    pub(super) fn create(
        &self,
        mut p: Position,
        publish: bool,
        timing: PublishTiming,
        render: impl FnOnce(&Position, PositionStatus) -> Vec<u8>,
    ) -> Result<Vec<u8>, Problem> {
        let now = p.inserted_date;
        if publish {
            publish_at(&mut p, now, timing)?;
        }
        let mut data = self.write();
        let org = data
            .orgs
            .entry(p.organization_fiscal_code.clone())
            .or_default();
        if org.by_iupd.contains_key(&p.iupd) {
            return Err(Problem::duplicate(
                &p.organization_fiscal_code,
                &format!("IUPD {}", p.iupd),
            ));
        }
        if let Some(what) = org.clash(&p, None) {
            return Err(Problem::duplicate(&p.organization_fiscal_code, &what));
        }
        let slot = u32::try_from(org.slots.len())
            .map_err(|_| Problem::new(500, "Internal Server Error", "store full"))?;
        let body = render(&p, p.status);
        org.by_iupd.insert(p.iupd.clone(), slot);
        org.index(&p, slot);
        org.summaries.push(Summary::of(&p));
        org.slots.push(Some(p));
        org.live += 1;
        Ok(body)
    }

    /// Replace position `iupd` with `p` (DRAFT, or published when `publish`).
    pub(super) fn update(
        &self,
        mut p: Position,
        publish: bool,
        timing: PublishTiming,
        render: impl FnOnce(&Position, PositionStatus) -> Vec<u8>,
    ) -> Result<Vec<u8>, Problem> {
        let now = p.last_updated_date;
        let mut data = self.write();
        let org_code = p.organization_fiscal_code.clone();
        let not_found = || Problem::position_not_found(&org_code, &p.iupd);
        let Some(org) = data.orgs.get_mut(&org_code) else {
            return Err(not_found());
        };
        let Some(slot) = org.slot_of_iupd(&p.iupd) else {
            return Err(not_found());
        };
        let Some(old) = org.position_mut(slot) else {
            return Err(not_found());
        };
        old.materialize(now);
        if !old.status.is_updatable() {
            let status = old.status;
            return Err(conflict_status(
                old,
                "Existing related payment found or not in updatable state",
                "updatable",
                status,
            ));
        }
        p.inserted_date = old.inserted_date;
        if let Some(what) = org.clash(&p, Some(slot)) {
            return Err(Problem::duplicate(&org_code, &what));
        }
        if publish {
            publish_at(&mut p, now, timing)?;
        }
        let body = render(&p, p.status);
        let old = org.slots.get_mut(slot as usize).and_then(Option::take);
        if let Some(old) = old {
            org.unindex(&old);
        }
        org.index(&p, slot);
        if let Some(entry) = org.slots.get_mut(slot as usize) {
            *entry = Some(p);
        }
        org.refresh(slot);
        Ok(body)
    }

    /// Apply `change` to position `iupd` after storing its status at `now`.
    fn modify<T>(
        &self,
        org_code: &str,
        iupd: &str,
        now: VirtualTime,
        change: impl FnOnce(&mut Position) -> Result<T, Problem>,
    ) -> Result<T, Problem> {
        let mut data = self.write();
        let not_found = || Problem::position_not_found(org_code, iupd);
        let org = data.orgs.get_mut(org_code).ok_or_else(not_found)?;
        let slot = org.slot_of_iupd(iupd).ok_or_else(not_found)?;
        let p = org.position_mut(slot).ok_or_else(not_found)?;
        p.materialize(now);
        let out = change(p);
        org.refresh(slot);
        out
    }

    /// `POST …/publish`.
    pub(super) fn publish(
        &self,
        org: &str,
        iupd: &str,
        now: VirtualTime,
        timing: PublishTiming,
        render: impl FnOnce(&Position, PositionStatus) -> Vec<u8>,
    ) -> Result<Vec<u8>, Problem> {
        self.modify(org, iupd, now, |p| {
            if !p.status.is_publishable() {
                let status = p.status;
                return Err(conflict_status(
                    p,
                    "Existing related payment found or not in publishable state",
                    "publishable",
                    status,
                ));
            }
            publish_at(p, now, timing)?;
            p.last_updated_date = now;
            Ok(render(p, p.status))
        })
    }

    /// `POST …/invalidate`.
    pub(super) fn invalidate(
        &self,
        org: &str,
        iupd: &str,
        now: VirtualTime,
        render: impl FnOnce(&Position, PositionStatus) -> Vec<u8>,
    ) -> Result<Vec<u8>, Problem> {
        self.modify(org, iupd, now, |p| {
            if !p.status.is_invalidatable() {
                let status = p.status;
                return Err(conflict_status(
                    p,
                    "Existing related payment found or not in invalidable state",
                    "invalidable",
                    status,
                ));
            }
            p.status = PositionStatus::Invalid;
            p.last_updated_date = now;
            Ok(render(p, p.status))
        })
    }

    /// `DELETE`.
    pub(super) fn delete(
        &self,
        org_code: &str,
        iupd: &str,
        now: VirtualTime,
    ) -> Result<(), Problem> {
        let mut data = self.write();
        let not_found = || Problem::position_not_found(org_code, iupd);
        let org = data.orgs.get_mut(org_code).ok_or_else(not_found)?;
        let slot = org.slot_of_iupd(iupd).ok_or_else(not_found)?;
        let p = org.position_mut(slot).ok_or_else(not_found)?;
        p.materialize(now);
        if !p.status.is_deletable() {
            let status = p.status;
            return Err(Problem::conflict(
                "Existing related payment found",
                format!(
                    "A payment transaction has already been carried out on the debt position \
                     with Organization Fiscal Code {org_code} and IUPD {iupd} (status {status})"
                ),
            ));
        }
        if let Some(p) = org.slots.get_mut(slot as usize).and_then(Option::take) {
            org.unindex(&p);
        }
        org.by_iupd.remove(iupd);
        org.live = org.live.saturating_sub(1);
        Ok(())
    }

    /// `GET …/{iupd}`, rendered at `now`.
    pub(super) fn get_rendered(
        &self,
        org: &str,
        iupd: &str,
        now: VirtualTime,
        render: impl FnOnce(&Position, PositionStatus) -> Vec<u8>,
    ) -> Result<Vec<u8>, Problem> {
        let data = self.read();
        let p = data
            .orgs
            .get(org)
            .and_then(|o| o.slot_of_iupd(iupd).and_then(|s| o.position(s)))
            .ok_or_else(|| Problem::position_not_found(org, iupd))?;
        Ok(render(p, p.effective_status(now)))
    }

    /// `GET …/debtpositions`: one page, rendered at `now`. Filters read the slots'
    /// summaries (no pointer chasing through positions); creation and IUPD orders walk an
    /// existing order and stop at the page when nothing is filtered.
    pub(super) fn list_rendered(
        &self,
        org_code: &str,
        q: &ListQuery,
        now: VirtualTime,
        render: impl FnOnce(&Page<'_>) -> Vec<u8>,
    ) -> Vec<u8> {
        let data = self.read();
        let limit = q.limit.max(1) as usize;
        let start = (q.page as usize).saturating_mul(limit);
        let Some(org) = data.orgs.get(org_code) else {
            return render(&Page {
                items: Vec::new(),
                page: q.page,
                limit: q.limit,
                total: 0,
            });
        };
        // The position in `slot` and its status now, if it is live and passes the filters.
        let matches = |slot: u32| -> Option<(&Position, PositionStatus)> {
            let summary = org.summaries.get(slot as usize)?;
            let status = summary.status_at(now);
            if q.statuses.as_ref().is_some_and(|s| !s.contains(&status)) {
                return None;
            }
            if let Some((from, to)) = q.paid {
                if !summary.payment_date.is_some_and(|d| d >= from && d < to) {
                    return None;
                }
            }
            if let Some((from, to)) = q.due {
                if summary.max_due < from || summary.min_due >= to {
                    return None;
                }
            }
            let p = org.position(slot)?;
            if let Some((from, to)) = q.due {
                if !p
                    .installments()
                    .any(|i| i.due_date >= from && i.due_date < to)
                {
                    return None;
                }
            }
            Some((p, status))
        };
        let known =
            (q.statuses.is_none() && q.due.is_none() && q.paid.is_none()).then_some(org.live);
        let mut items = Vec::new();
        let slots = || 0..u32::try_from(org.slots.len()).unwrap_or(u32::MAX);
        // Nothing filtered and nothing deleted: the page's slots are known without walking.
        let direct = known.is_some() && org.live == org.slots.len();
        let total = match (q.order, q.ascending) {
            (OrderBy::InsertedDate, ascending) if direct => {
                let n = org.slots.len();
                let pick = |i: usize| if ascending { i } else { n - 1 - i };
                items.extend(
                    (start.min(n)..start.saturating_add(limit).min(n))
                        .filter_map(|i| u32::try_from(pick(i)).ok())
                        .filter_map(matches),
                );
                n
            }
            (OrderBy::InsertedDate, true) => window(
                slots().filter(|&s| org.position(s).is_some()),
                known,
                start,
                limit,
                &matches,
                &mut items,
            ),
            (OrderBy::InsertedDate, false) => window(
                slots().rev().filter(|&s| org.position(s).is_some()),
                known,
                start,
                limit,
                &matches,
                &mut items,
            ),
            (OrderBy::Iupd, true) => window(
                org.by_iupd.values().copied(),
                known,
                start,
                limit,
                &matches,
                &mut items,
            ),
            (OrderBy::Iupd, false) => window(
                org.by_iupd.values().rev().copied(),
                known,
                start,
                limit,
                &matches,
                &mut items,
            ),
            (order @ (OrderBy::Status | OrderBy::CompanyName), ascending) => {
                let mut found: Vec<(&Position, PositionStatus)> =
                    slots().filter_map(matches).collect();
                let total = found.len();
                let cmp = |a: &(&Position, PositionStatus), b: &(&Position, PositionStatus)| {
                    let ord = match order {
                        OrderBy::CompanyName => a.0.company_name.cmp(&b.0.company_name),
                        _ => a.1.as_str().cmp(b.1.as_str()),
                    };
                    let ord = ord.then_with(|| a.0.inserted_date.cmp(&b.0.inserted_date));
                    if ascending { ord } else { ord.reverse() }
                };
                let end = start.saturating_add(limit).min(found.len());
                if start < found.len() {
                    // Select the window's end in linear time, then sort only what precedes it.
                    if end < found.len() {
                        found.select_nth_unstable_by(end, cmp);
                        found.truncate(end);
                    }
                    found.sort_by(cmp);
                    items = found.split_off(start);
                }
                total
            }
        };
        render(&Page {
            items,
            page: q.page,
            limit: q.limit,
            total,
        })
    }

    /// Change the IBAN `old` to `new` in up to `limit` transfers of unpaid positions of `org`
    /// (`PATCH …/debtpositions/transfers`); returns how many changed.
    pub(super) fn update_ibans(
        &self,
        org_code: &str,
        old: &str,
        new: &str,
        limit: usize,
        now: VirtualTime,
    ) -> usize {
        let mut data = self.write();
        let Some(org) = data.orgs.get_mut(org_code) else {
            return 0;
        };
        let mut changed = 0;
        for (slot, p) in org.slots.iter_mut().enumerate() {
            let Some(p) = p.as_mut() else { continue };
            p.materialize(now);
            if let Some(summary) = org.summaries.get_mut(slot) {
                *summary = Summary::of(p);
            }
            if !p.status.is_updatable() {
                continue;
            }
            let mut touched = false;
            for plan in &mut p.plans {
                for i in &mut plan.installments {
                    for t in &mut i.transfers {
                        if changed < limit && t.iban.as_deref() == Some(old) {
                            t.iban = Some(new.to_string());
                            changed += 1;
                            touched = true;
                        }
                    }
                }
            }
            if touched {
                p.last_updated_date = now;
            }
        }
        changed
    }

    /// Whether notice `notice` (IUV, NAV or notice number) of `org` may be paid at `now`.
    ///
    /// # Errors
    /// The [`Refusal`] GPD-Payments would answer with.
    pub fn payable(
        &self,
        org: &str,
        notice: &str,
        now: VirtualTime,
    ) -> Result<PayableOption, Refusal> {
        let data = self.read();
        let unknown = || Refusal::Unknown {
            organization: org.to_string(),
            notice: notice.to_string(),
        };
        let o = data.orgs.get(org).ok_or_else(unknown)?;
        let (slot, iuv) = o.find_notice(notice).ok_or_else(unknown)?;
        let p = o.position(slot).ok_or_else(unknown)?;
        let status = p.effective_status(now);
        let (plan, k) = check_payable(p, status, &iuv)?;
        let the_plan = p.plans.get(plan).ok_or_else(unknown)?;
        let installment = the_plan.installments.get(k).ok_or_else(unknown)?.clone();
        Ok(PayableOption {
            organization_fiscal_code: org.to_string(),
            iupd: p.iupd.clone(),
            status,
            company_name: p.company_name.clone(),
            office_name: p.office_name.clone(),
            pay_stand_in: p.pay_stand_in,
            debtor: the_plan.debtor.clone(),
            plan,
            installments_in_plan: the_plan.installments.len(),
            installment,
        })
    }

    /// Close notice `notice` of `org` with a receipt at `now`: the installment becomes PO_PAID,
    /// the position PAID when its plan is wholly paid, else PARTIALLY_PAID; the receipt is
    /// stored for the receipts API.
    ///
    /// # Errors
    /// The [`Refusal`]: not payable, already paid, or a receipt amount that differs.
    pub fn pay(
        &self,
        org: &str,
        notice: &str,
        data_in: ReceiptData,
        now: VirtualTime,
    ) -> Result<Receipt, Refusal> {
        let mut data = self.write();
        let unknown = || Refusal::Unknown {
            organization: org.to_string(),
            notice: notice.to_string(),
        };
        let o = data.orgs.get_mut(org).ok_or_else(unknown)?;
        let (slot, iuv) = o.find_notice(notice).ok_or_else(unknown)?;
        let p = o.position_mut(slot).ok_or_else(unknown)?;
        p.materialize(now);
        let (plan_idx, k) = check_payable(p, p.status, &iuv)?;
        let paid_at = data_in.payment_date.unwrap_or(now);
        let company_name = p.company_name.clone();
        let iupd = p.iupd.clone();
        let plan = p.plans.get_mut(plan_idx).ok_or_else(unknown)?;
        let debtor = plan.debtor.clone();
        let inst = plan.installments.get_mut(k).ok_or_else(unknown)?;
        if let Some(got) = data_in.amount {
            if got != inst.amount {
                return Err(Refusal::AmountMismatch {
                    expected: inst.amount,
                    got,
                });
            }
        }
        inst.status = OptionStatus::PoPaid;
        inst.payment = Some(PaymentInfo {
            payment_date: paid_at,
            receipt_id: data_in.receipt_id.clone(),
            psp_company: data_in.psp_company.clone(),
            payment_method: data_in.payment_method.clone(),
            reporting_date: None,
        });
        let option = inst.clone();
        let plan_paid = plan.installments.iter().all(|i| i.status.is_paid());
        p.status = if plan_paid {
            p.payment_date = Some(paid_at);
            PositionStatus::Paid
        } else {
            PositionStatus::PartiallyPaid
        };
        p.last_updated_date = now;
        let xml = data_in.xml.clone().unwrap_or_else(|| {
            render_receipt(org, &company_name, &option, &debtor, &data_in, paid_at)
        });
        let receipt = Receipt {
            organization_fiscal_code: org.to_string(),
            iupd,
            iuv: option.iuv.clone(),
            nav: option.nav.clone(),
            receipt_id: data_in.receipt_id,
            debtor: debtor.fiscal_code,
            amount: option.amount,
            payment_date: paid_at,
            psp_company: data_in.psp_company,
            payment_method: data_in.payment_method,
            fee: data_in.fee,
            payer: data_in.payer,
            position_status: p.status,
            xml,
        };
        o.receipt_by_iuv
            .insert(receipt.iuv.clone(), o.receipts.len());
        o.receipts.push(receipt.clone());
        Ok(receipt)
    }

    /// Mark every transfer of paid notice `notice` reported (an FdR arrived): the option
    /// becomes PO_REPORTED, and the position REPORTED once every paid option is.
    ///
    /// # Errors
    /// [`Refusal::Unknown`], or [`Refusal::NotPaid`] for an unpaid notice.
    pub fn report(
        &self,
        org: &str,
        notice: &str,
        now: VirtualTime,
    ) -> Result<PositionStatus, Refusal> {
        let mut data = self.write();
        let unknown = || Refusal::Unknown {
            organization: org.to_string(),
            notice: notice.to_string(),
        };
        let o = data.orgs.get_mut(org).ok_or_else(unknown)?;
        let (slot, iuv) = o.find_notice(notice).ok_or_else(unknown)?;
        let p = o.position_mut(slot).ok_or_else(unknown)?;
        p.materialize(now);
        let (plan, k) = p.find_iuv(&iuv).ok_or_else(unknown)?;
        let iupd = p.iupd.clone();
        let inst = p
            .plans
            .get_mut(plan)
            .and_then(|pl| pl.installments.get_mut(k))
            .ok_or_else(unknown)?;
        if !inst.status.is_paid() {
            return Err(Refusal::NotPaid { iupd, iuv });
        }
        inst.status = OptionStatus::PoReported;
        for t in &mut inst.transfers {
            t.reported = true;
        }
        if let Some(payment) = &mut inst.payment {
            payment.reporting_date = Some(now);
        }
        let all_reported = p
            .installments()
            .filter(|i| i.status.is_paid())
            .all(|i| i.status == OptionStatus::PoReported);
        if p.status == PositionStatus::Paid && all_reported {
            p.status = PositionStatus::Reported;
        }
        p.last_updated_date = now;
        let status = p.status;
        o.refresh(slot);
        Ok(status)
    }

    /// The position `iupd` of `org` exactly as stored (its stored status, not the one at a
    /// given time): what a file that keeps the store across restarts saves.
    pub fn stored(&self, org: &str, iupd: &str) -> Option<Position> {
        let data = self.read();
        data.orgs
            .get(org)
            .and_then(|o| o.slot_of_iupd(iupd).and_then(|s| o.position(s)))
            .cloned()
    }

    /// The IUPD and the IUV of the position notice `notice` (IUV, NAV or notice number) of
    /// `org` belongs to.
    pub fn locate(&self, org: &str, notice: &str) -> Option<(String, String)> {
        let data = self.read();
        let o = data.orgs.get(org)?;
        let (slot, iuv) = o.find_notice(notice)?;
        Some((o.position(slot)?.iupd.clone(), iuv))
    }

    /// Put back a position saved with [`GpdStore::stored`], indexed as at its creation.
    ///
    /// # Errors
    /// Its IUPD, an IUV or a NAV is already held for the organisation.
    pub fn restore(&self, p: Position) -> Result<(), String> {
        let key = format!("{}/{}", p.organization_fiscal_code, p.iupd);
        // A creation without publishing stores the position as given, with its indexes.
        self.create(p, false, PublishTiming::default(), |_, _| Vec::new())
            .map(drop)
            .map_err(|problem| format!("position {key}: {}", problem.detail))
    }

    /// Put back a receipt saved from [`GpdStore::receipt`].
    pub fn restore_receipt(&self, r: Receipt) {
        let mut data = self.write();
        let org = data
            .orgs
            .entry(r.organization_fiscal_code.clone())
            .or_default();
        org.receipt_by_iuv.insert(r.iuv.clone(), org.receipts.len());
        org.receipts.push(r);
    }

    /// The position `iupd` of `org` and its status at `now`.
    pub fn position(
        &self,
        org: &str,
        iupd: &str,
        now: VirtualTime,
    ) -> Option<(Position, PositionStatus)> {
        let data = self.read();
        let p = data
            .orgs
            .get(org)
            .and_then(|o| o.slot_of_iupd(iupd).and_then(|s| o.position(s)))?;
        Some((p.clone(), p.effective_status(now)))
    }

    /// Every position with its status at `now`, organisation by organisation (in code order),
    /// each in creation order.
    pub fn positions(&self, now: VirtualTime) -> Vec<(Position, PositionStatus)> {
        let data = self.read();
        let mut orgs: Vec<_> = data.orgs.iter().collect();
        orgs.sort_by(|a, b| a.0.cmp(b.0));
        orgs.into_iter()
            .flat_map(|(_, o)| o.slots.iter().filter_map(Option::as_ref))
            .map(|p| (p.clone(), p.effective_status(now)))
            .collect()
    }

    /// How many positions are stored.
    pub fn len(&self) -> usize {
        self.read().orgs.values().map(|o| o.live).sum()
    }

    /// Whether no position is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Receipts of `org`, in payment order.
    pub fn receipts(&self, org: &str) -> Vec<Receipt> {
        self.read()
            .orgs
            .get(org)
            .map(|o| o.receipts.clone())
            .unwrap_or_default()
    }

    /// The receipt of notice `iuv` of `org`.
    pub fn receipt(&self, org: &str, iuv: &str) -> Option<Receipt> {
        let data = self.read();
        let o = data.orgs.get(org)?;
        o.receipt_by_iuv
            .get(iuv)
            .and_then(|&i| o.receipts.get(i))
            .cloned()
    }

    /// One page of receipts and the page count.
    pub(super) fn query_receipts(&self, org: &str, q: &ReceiptQuery) -> (Vec<Receipt>, usize) {
        let data = self.read();
        let Some(o) = data.orgs.get(org) else {
            return (Vec::new(), 0);
        };
        let keep = |r: &&Receipt| {
            q.debtor.as_ref().is_none_or(|d| &r.debtor == d)
                && q.service
                    .as_ref()
                    .is_none_or(|s| r.iuv.starts_with(s.as_str()))
                && q.from_to
                    .is_none_or(|(from, to)| r.payment_date >= from && r.payment_date < to)
                && q.segregation_codes
                    .as_ref()
                    .is_none_or(|codes| codes.iter().any(|c| r.iuv.starts_with(c.as_str())))
                && q.debtor_or_iuv.as_ref().is_none_or(|x| {
                    r.iuv.starts_with(x.as_str()) || r.debtor.starts_with(x.as_str())
                })
        };
        let size = q.size.max(1);
        let matching: Vec<&Receipt> = o.receipts.iter().filter(keep).collect();
        let pages = matching.len().div_ceil(size);
        let page = matching
            .into_iter()
            .skip(q.page.saturating_mul(size))
            .take(size)
            .cloned()
            .collect();
        (page, pages)
    }

    /// Every call, in order (empty when calls are not retained).
    pub fn calls(&self) -> Vec<GpdCall> {
        self.calls_lock().entries.clone()
    }

    /// How many calls were logged.
    pub fn call_count(&self) -> u64 {
        self.calls_lock().count
    }

    pub(super) fn record_call(&self, mut call: GpdCall) {
        let mut log = self.calls_lock();
        log.count += 1;
        call.seq = log.count;
        if log.retain {
            log.entries.push(call);
        }
    }
}

/// Collect the matching positions `start..start + limit` of the slots `it` walks, and count
/// every match; with `known` (no filter) the count is known and the walk stops at the page.
fn window<'a>(
    it: impl Iterator<Item = u32>,
    known: Option<usize>,
    start: usize,
    limit: usize,
    matches: &dyn Fn(u32) -> Option<(&'a Position, PositionStatus)>,
    items: &mut Vec<(&'a Position, PositionStatus)>,
) -> usize {
    if let Some(total) = known {
        items.extend(it.skip(start).take(limit).filter_map(matches));
        return total;
    }
    let mut n = 0usize;
    for found in it.filter_map(matches) {
        if n >= start && n < start.saturating_add(limit) {
            items.push(found);
        }
        n += 1;
    }
    n
}

/// Where `iuv` sits in `p` if it may be paid with the position at `status`.
fn check_payable(
    p: &Position,
    status: PositionStatus,
    iuv: &str,
) -> Result<(usize, usize), Refusal> {
    let iupd = || p.iupd.clone();
    match status {
        PositionStatus::Draft | PositionStatus::Published => {
            return Err(Refusal::NotYetPayable {
                iupd: iupd(),
                status,
            });
        }
        PositionStatus::Expired => return Err(Refusal::Expired { iupd: iupd() }),
        PositionStatus::Invalid => return Err(Refusal::Cancelled { iupd: iupd() }),
        PositionStatus::Paid | PositionStatus::Reported => {
            return Err(Refusal::AlreadyPaid {
                iupd: iupd(),
                iuv: iuv.to_string(),
                status,
            });
        }
        PositionStatus::Valid | PositionStatus::PartiallyPaid => {}
    }
    let (plan, k) = p.find_iuv(iuv).ok_or_else(|| Refusal::Unknown {
        organization: p.organization_fiscal_code.clone(),
        notice: iuv.to_string(),
    })?;
    let the_plan = p.plans.get(plan).ok_or_else(|| Refusal::Unknown {
        organization: p.organization_fiscal_code.clone(),
        notice: iuv.to_string(),
    })?;
    if the_plan
        .installments
        .get(k)
        .is_some_and(|i| i.status.is_paid())
    {
        return Err(Refusal::AlreadyPaid {
            iupd: iupd(),
            iuv: iuv.to_string(),
            status,
        });
    }
    if status == PositionStatus::PartiallyPaid
        && !the_plan.installments.iter().any(|i| i.status.is_paid())
    {
        return Err(Refusal::OtherPlanInProgress {
            iupd: iupd(),
            iuv: iuv.to_string(),
        });
    }
    Ok((plan, k))
}
