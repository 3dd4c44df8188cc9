//! The debt position as the mock GPD keeps it, whichever API version created it.
//!
//! v1 (`gpd.json`) has one debtor, one `validityDate` and one `switchToExpired` per position
//! and a flat list of payment options, the ones with `isPartialPayment` being installments of
//! one plan; v3 (`gpd_v3.json`) has payment options each with its own debtor, dates and
//! installments. Both map onto [`Position`] → [`Plan`] → [`Installment`]: a v1 single option is
//! a plan of one installment, the v1 partial options together are one plan; a v3 payment
//! option is a plan. Answers are rendered back in the caller's version (see `wire`).

use crate::clock::VirtualTime;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Status of a debt position (DOMAIN.md §9.4), as v1 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionStatus {
    /// Created, not published: invisible to the Nodo.
    Draft,
    /// Published, `validityDate` still in the future.
    Published,
    /// Payable.
    Valid,
    /// Cancelled by the EC (`invalidate`).
    Invalid,
    /// Every due date passed with `switchToExpired`, nothing paid.
    Expired,
    /// Some installments of a plan paid.
    PartiallyPaid,
    /// Paid.
    Paid,
    /// Paid and every transfer reported (FdR).
    Reported,
}

impl PositionStatus {
    /// Every status, in the order of the contract's enum.
    pub const ALL: [PositionStatus; 8] = [
        PositionStatus::Draft,
        PositionStatus::Published,
        PositionStatus::Valid,
        PositionStatus::Invalid,
        PositionStatus::Expired,
        PositionStatus::PartiallyPaid,
        PositionStatus::Paid,
        PositionStatus::Reported,
    ];

    /// The v1 name, e.g. `PARTIALLY_PAID`.
    pub fn as_str(self) -> &'static str {
        match self {
            PositionStatus::Draft => "DRAFT",
            PositionStatus::Published => "PUBLISHED",
            PositionStatus::Valid => "VALID",
            PositionStatus::Invalid => "INVALID",
            PositionStatus::Expired => "EXPIRED",
            PositionStatus::PartiallyPaid => "PARTIALLY_PAID",
            PositionStatus::Paid => "PAID",
            PositionStatus::Reported => "REPORTED",
        }
    }

    /// The v3 name: INVALID and EXPIRED are `UNPAYABLE`, REPORTED is `PAID` (DOMAIN.md §9.1).
    pub fn as_v3_str(self) -> &'static str {
        match self {
            PositionStatus::Invalid | PositionStatus::Expired => "UNPAYABLE",
            PositionStatus::Reported => "PAID",
            other => other.as_str(),
        }
    }

    /// The status named `s` in v1 (exact, upper case).
    pub fn parse(s: &str) -> Option<Self> {
        PositionStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the Nodo may be offered a payment: VALID and PARTIALLY_PAID.
    pub fn is_payable(self) -> bool {
        matches!(self, PositionStatus::Valid | PositionStatus::PartiallyPaid)
    }

    /// Whether `PUT` is accepted: not INVALID, PARTIALLY_PAID, PAID, REPORTED.
    pub fn is_updatable(self) -> bool {
        matches!(
            self,
            PositionStatus::Draft
                | PositionStatus::Published
                | PositionStatus::Valid
                | PositionStatus::Expired
        )
    }

    /// Whether `DELETE` is accepted: the not-yet-paid set DRAFT, PUBLISHED, VALID, INVALID,
    /// EXPIRED.
    pub fn is_deletable(self) -> bool {
        matches!(
            self,
            PositionStatus::Draft
                | PositionStatus::Published
                | PositionStatus::Valid
                | PositionStatus::Invalid
                | PositionStatus::Expired
        )
    }

    /// Whether `publish` is accepted: DRAFT only.
    pub fn is_publishable(self) -> bool {
        self == PositionStatus::Draft
    }

    /// Whether `invalidate` is accepted: PUBLISHED and VALID.
    pub fn is_invalidatable(self) -> bool {
        matches!(self, PositionStatus::Published | PositionStatus::Valid)
    }
}

impl fmt::Display for PositionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status of one payment option (v1 `PaymentOptionModelResponse.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OptionStatus {
    /// Not paid.
    PoUnpaid,
    /// Paid.
    PoPaid,
    /// Paid, some transfers reported.
    PoPartiallyReported,
    /// Paid, every transfer reported.
    PoReported,
}

impl OptionStatus {
    /// The v1 name, e.g. `PO_PAID`.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionStatus::PoUnpaid => "PO_UNPAID",
            OptionStatus::PoPaid => "PO_PAID",
            OptionStatus::PoPartiallyReported => "PO_PARTIALLY_REPORTED",
            OptionStatus::PoReported => "PO_REPORTED",
        }
    }

    /// Whether a receipt closed it.
    pub fn is_paid(self) -> bool {
        self != OptionStatus::PoUnpaid
    }
}

/// Natural (`F`) or legal (`G`) person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SubjectType {
    /// Natural person.
    F,
    /// Legal person.
    G,
}

impl SubjectType {
    /// `"F"` or `"G"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::F => "F",
            SubjectType::G => "G",
        }
    }
}

/// The debtor of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Debtor {
    /// `F` or `G`.
    #[serde(rename = "type")]
    pub subject_type: SubjectType,
    /// Fiscal code or VAT number.
    pub fiscal_code: String,
    /// Name.
    pub full_name: String,
    /// Street.
    pub street_name: Option<String>,
    /// Civic number.
    pub civic_number: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Province.
    pub province: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Country, two capital letters.
    pub country: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// A revenue stamp (marca da bollo digitale), in place of an IBAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stamp {
    /// Document hash, at most 72 characters.
    pub hash_document: String,
    /// Stamp type, 2 characters.
    pub stamp_type: String,
    /// Province of residence, two capital letters.
    pub provincial_residence: String,
}

/// A key/value metadata pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Key.
    pub key: String,
    /// Value.
    pub value: Option<String>,
}

/// One transfer of an installment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    /// `1`..=`5`.
    pub id_transfer: u8,
    /// Euro cents.
    pub amount: i64,
    /// Beneficiary EC; the position's organisation when the request named none.
    pub organization_fiscal_code: String,
    /// Whether the request named the beneficiary (it is echoed only then).
    pub organization_explicit: bool,
    /// Remittance information.
    pub remittance_information: String,
    /// Taxonomy code.
    pub category: String,
    /// IBAN (exclusive with `stamp`).
    pub iban: Option<String>,
    /// Postal IBAN (combinable with `iban`, not with `stamp`).
    pub postal_iban: Option<String>,
    /// Revenue stamp.
    pub stamp: Option<Stamp>,
    /// Beneficiary name.
    pub company_name: Option<String>,
    /// Metadata.
    pub metadata: Vec<Metadata>,
    /// Whether an FdR reported it.
    pub reported: bool,
}

/// Payment details of a paid installment, from its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInfo {
    /// When it was paid.
    pub payment_date: VirtualTime,
    /// The receipt id.
    pub receipt_id: String,
    /// PSP name.
    pub psp_company: Option<String>,
    /// Payment method.
    pub payment_method: Option<String>,
    /// When it was reported, if it was.
    pub reporting_date: Option<VirtualTime>,
}

/// One payable notice: a v1 payment option, a v3 installment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Installment {
    /// IUV.
    pub iuv: String,
    /// Notice number (NAV): as sent, or the configured aux digit followed by the IUV.
    pub nav: String,
    /// Euro cents, ≥ 1, = Σ transfers.
    pub amount: i64,
    /// Description.
    pub description: String,
    /// v1 `isPartialPayment` (v3: more than one installment in the plan).
    pub is_partial_payment: bool,
    /// Due date.
    pub due_date: VirtualTime,
    /// Retention date (v1 per option; v3 per plan, copied here).
    pub retention_date: Option<VirtualTime>,
    /// Fee, euro cents.
    pub fee: Option<i64>,
    /// Transfers, 1..=5.
    pub transfers: Vec<Transfer>,
    /// Metadata.
    pub metadata: Vec<Metadata>,
    /// Paid or not, reported or not.
    pub status: OptionStatus,
    /// Set when paid.
    pub payment: Option<PaymentInfo>,
}

/// A set of installments paid together: a v1 single option, all v1 partial options, or a v3
/// payment option. Paying every installment of one plan pays the position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The debtor.
    pub debtor: Debtor,
    /// From when it is payable (`None`: from publication).
    pub validity_date: Option<VirtualTime>,
    /// Retention date (v3).
    pub retention_date: Option<VirtualTime>,
    /// Whether it expires after its due dates.
    pub switch_to_expired: bool,
    /// v3 description.
    pub description: Option<String>,
    /// Installments.
    pub installments: Vec<Installment>,
}

impl Plan {
    /// The latest due date of its installments.
    pub fn max_due_date(&self) -> Option<VirtualTime> {
        self.installments.iter().map(|i| i.due_date).max()
    }
}

/// Which API version created or last replaced a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// `debt-positions-service/v1`.
    V1,
    /// `debt-positions-service/v3`.
    V3,
}

/// A debt position as stored. Its [`status`](Self::status) is the stored one: time-driven
/// transitions are applied on read (see [`Position::effective_status`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    /// The creditor organisation (path `{organizationfiscalcode}`).
    pub organization_fiscal_code: String,
    /// Unique per organisation.
    pub iupd: String,
    /// Creditor name.
    pub company_name: String,
    /// Office name.
    pub office_name: Option<String>,
    /// Whether it may be paid in Stand-In.
    pub pay_stand_in: bool,
    /// Stored status.
    pub status: PositionStatus,
    /// When it was created.
    pub inserted_date: VirtualTime,
    /// When it was last published.
    pub publish_date: Option<VirtualTime>,
    /// When it was last changed by a call.
    pub last_updated_date: VirtualTime,
    /// When it became PAID.
    pub payment_date: Option<VirtualTime>,
    /// Version of the last create/update.
    pub version: ApiVersion,
    /// Plans.
    pub plans: Vec<Plan>,
}

impl Position {
    /// The status at `now`: PUBLISHED becomes VALID once every plan's `validityDate` is
    /// reached; VALID becomes EXPIRED once every plan has `switchToExpired` and its due dates
    /// passed, with nothing paid (DOMAIN.md §9.4, the scheduler's transitions, evaluated
    /// lazily so that moving the virtual clock is enough).
    pub fn effective_status(&self, now: VirtualTime) -> PositionStatus {
        Summary::of(self).status_at(now)
    }

    /// Store the effective status at `now` (a write path calls this before deciding).
    pub(super) fn materialize(&mut self, now: VirtualTime) {
        self.status = self.effective_status(now);
    }

    /// Every installment, plan by plan.
    pub fn installments(&self) -> impl Iterator<Item = &Installment> {
        self.plans.iter().flat_map(|p| p.installments.iter())
    }

    /// The earliest `validityDate` of its plans (v1: the position's).
    pub fn validity_date(&self) -> Option<VirtualTime> {
        self.plans.iter().filter_map(|p| p.validity_date).min()
    }

    /// The installment with this IUV, with its plan index.
    pub fn find_iuv(&self, iuv: &str) -> Option<(usize, usize)> {
        self.plans.iter().enumerate().find_map(|(p, plan)| {
            plan.installments
                .iter()
                .position(|i| i.iuv == iuv)
                .map(|i| (p, i))
        })
    }
}

/// What a position's status at any instant and the list filters depend on, in 56 bytes: lists
/// scan these rather than chase every position's plans through memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Summary {
    status: PositionStatus,
    /// PUBLISHED becomes VALID at this instant (the latest plan validity date).
    valid_from: VirtualTime,
    /// VALID becomes EXPIRED after this instant, if it ever does.
    expires_after: Option<VirtualTime>,
    pub(super) payment_date: Option<VirtualTime>,
    pub(super) min_due: VirtualTime,
    pub(super) max_due: VirtualTime,
}

impl Summary {
    pub(super) fn of(p: &Position) -> Self {
        let valid_from = p
            .plans
            .iter()
            .filter_map(|plan| plan.validity_date)
            .max()
            .unwrap_or(VirtualTime::from_millis(i64::MIN));
        let dues = || p.installments().map(|i| i.due_date);
        let max_due = dues().max();
        let expirable = !p.plans.is_empty()
            && p.plans.iter().all(|plan| plan.switch_to_expired)
            && p.installments().all(|i| !i.status.is_paid());
        Summary {
            status: p.status,
            valid_from,
            expires_after: max_due.filter(|_| expirable),
            payment_date: p.payment_date,
            min_due: dues().min().unwrap_or_default(),
            max_due: max_due.unwrap_or_default(),
        }
    }

    /// See [`Position::effective_status`].
    pub(super) fn status_at(&self, now: VirtualTime) -> PositionStatus {
        let mut status = self.status;
        if status == PositionStatus::Published && self.valid_from <= now {
            status = PositionStatus::Valid;
        }
        if status == PositionStatus::Valid && self.expires_after.is_some_and(|due| due < now) {
            status = PositionStatus::Expired;
        }
        status
    }
}
