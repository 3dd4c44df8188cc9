//! The compact in-memory form of one position.
//!
//! A mock ACA must hold an EC's whole archive: a million positions in well under 500 MB. A
//! position kept as a `NewDebtPositionRequest` costs eight heap strings (each a 24-byte header
//! plus its own allocation) and a `Vec` of history; here every text field lives in one boxed
//! `str`, cut by offsets, the EC and any back-office IBAN are interned ids, and the flags are
//! bits, which brings a typical position to about 80 bytes inline plus two allocations.

use super::iban::IbanSource;
use super::store::{HistoryAction, HistoryEntry, PositionStatus};
use crate::clock::VirtualTime;
use collaudo_wire::aca::{EntityType, NewDebtPositionRequest};

/// Text slots, in the order they are laid out in [`Record::text`].
#[derive(Debug, Clone, Copy)]
enum Slot {
    Iuv = 0,
    EntityFiscalCode,
    EntityFullName,
    Description,
    ExpirationDate,
    Nav,
    Iban,
    PostalIban,
}

/// Number of text slots; the last one ends at the end of the text, so it needs no offset.
const SLOTS: usize = 8;

const ENTITY_G: u8 = 1;
const SWITCH_TO_EXPIRED: u8 = 1 << 1;
const PAY_STAND_IN: u8 = 1 << 2;
const HAS_NAV: u8 = 1 << 3;
const HAS_IBAN: u8 = 1 << 4;
const HAS_POSTAL_IBAN: u8 = 1 << 5;
const RESOLVED_POSTAL: u8 = 1 << 6;

/// Where the resolved IBAN is kept: one of these markers, or an id in the store's IBAN
/// interner. Request IBANs are not interned, since every position may carry its own and the
/// interner would grow with the archive.
const RESOLVED_NONE: u32 = u32::MAX;
const RESOLVED_IBAN_SLOT: u32 = u32::MAX - 1;
const RESOLVED_POSTAL_SLOT: u32 = u32::MAX - 2;
/// Ids at or above this are markers, never interner ids.
pub(super) const FIRST_MARKER: u32 = RESOLVED_POSTAL_SLOT;

/// A request's text did not fit the 32-bit offsets (more than 4 GiB of text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TextTooLong;

/// Where a record's resolved IBAN points, computed by the store before building the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IbanRef {
    /// No IBAN.
    None,
    /// The request's `iban`.
    IbanSlot,
    /// The request's `postalIban`.
    PostalSlot,
    /// An id in the store's IBAN interner.
    Interned(u32),
}

/// The notice number of a record, without allocating for the default `"3" + iuv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Nav<'a> {
    /// Sent by the EC.
    Explicit(&'a str),
    /// Not sent: `"3"` followed by this IUV.
    Default(&'a str),
}

impl Nav<'_> {
    /// Whether this is the notice number `nav`.
    pub(super) fn matches(self, nav: &str) -> bool {
        match self {
            Nav::Explicit(own) => own == nav,
            Nav::Default(iuv) => nav.strip_prefix('3') == Some(iuv),
        }
    }

    /// Whether both are the same notice number, however each is held.
    pub(super) fn same(self, other: Nav<'_>) -> bool {
        match (self, other) {
            (Nav::Default(a), Nav::Default(b)) => a == b,
            (Nav::Explicit(nav), other) | (other, Nav::Explicit(nav)) => other.matches(nav),
        }
    }

    /// The notice number as a string.
    pub(super) fn to_owned_string(self) -> String {
        match self {
            Nav::Explicit(own) => own.to_string(),
            Nav::Default(iuv) => format!("3{iuv}"),
        }
    }
}

/// One position. Field order puts the 8-byte fields first so the struct packs to 80 bytes.
#[derive(Debug)]
pub(super) struct Record {
    text: Box<str>,
    history: Box<[HistoryEntry]>,
    amount: i64,
    ends: [u32; SLOTS - 1],
    ec: u32,
    iban: u32,
    flags: u8,
    status: PositionStatus,
    source: IbanSource,
}

impl Record {
    /// A new position from `request`, created at `at`.
    pub(super) fn new(
        request: &NewDebtPositionRequest,
        ec: u32,
        iban: IbanRef,
        postal: bool,
        source: IbanSource,
        at: VirtualTime,
    ) -> Result<Record, TextTooLong> {
        let (text, ends) = pack_text(request)?;
        let created = HistoryEntry {
            at,
            action: HistoryAction::Created,
            amount_cents: request.amount,
        };
        Ok(Record {
            text,
            history: Box::new([created]),
            amount: request.amount,
            ends,
            ec,
            iban: iban_marker(iban),
            flags: flags(request, postal),
            status: PositionStatus::Valid,
            source,
        })
    }

    /// Replace the request data and IBAN with `request`'s (history and EC are kept).
    pub(super) fn replace(
        &mut self,
        request: &NewDebtPositionRequest,
        iban: IbanRef,
        postal: bool,
        source: IbanSource,
    ) -> Result<(), TextTooLong> {
        let (text, ends) = pack_text(request)?;
        self.text = text;
        self.ends = ends;
        self.amount = request.amount;
        self.iban = iban_marker(iban);
        self.flags = flags(request, postal);
        self.source = source;
        Ok(())
    }

    /// Append to the history.
    pub(super) fn push_history(&mut self, entry: HistoryEntry) {
        // A boxed slice instead of a Vec saves 8 bytes per position; positions are updated a
        // handful of times, so reallocating on each push costs nothing that matters.
        let mut history = std::mem::take(&mut self.history).into_vec();
        history.push(entry);
        self.history = history.into_boxed_slice();
    }

    pub(super) fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    pub(super) fn ec(&self) -> u32 {
        self.ec
    }

    pub(super) fn status(&self) -> PositionStatus {
        self.status
    }

    pub(super) fn set_status(&mut self, status: PositionStatus) {
        self.status = status;
    }

    pub(super) fn iuv(&self) -> &str {
        self.slot(Slot::Iuv)
    }

    pub(super) fn expiration_date(&self) -> &str {
        self.slot(Slot::ExpirationDate)
    }

    pub(super) fn switch_to_expired(&self) -> bool {
        self.flags & SWITCH_TO_EXPIRED != 0
    }

    pub(super) fn nav(&self) -> Nav<'_> {
        if self.flags & HAS_NAV != 0 {
            Nav::Explicit(self.slot(Slot::Nav))
        } else {
            Nav::Default(self.iuv())
        }
    }

    pub(super) fn iban_source(&self) -> IbanSource {
        self.source
    }

    pub(super) fn iban_postal(&self) -> bool {
        self.flags & RESOLVED_POSTAL != 0
    }

    /// Where the resolved IBAN is.
    pub(super) fn iban_ref(&self) -> IbanRef {
        match self.iban {
            RESOLVED_NONE => IbanRef::None,
            RESOLVED_IBAN_SLOT => IbanRef::IbanSlot,
            RESOLVED_POSTAL_SLOT => IbanRef::PostalSlot,
            id => IbanRef::Interned(id),
        }
    }

    /// The text of the request's `iban` or `postalIban` slot, for [`IbanRef::IbanSlot`] and
    /// [`IbanRef::PostalSlot`].
    pub(super) fn request_iban(&self, postal: bool) -> &str {
        self.slot(if postal { Slot::PostalIban } else { Slot::Iban })
    }

    /// The request as last accepted, rebuilt.
    pub(super) fn request(&self, pa_fiscal_code: &str) -> NewDebtPositionRequest {
        let optional =
            |flag: u8, slot: Slot| (self.flags & flag != 0).then(|| self.slot(slot).to_string());
        NewDebtPositionRequest {
            pa_fiscal_code: pa_fiscal_code.to_string(),
            entity_type: if self.flags & ENTITY_G != 0 {
                EntityType::G
            } else {
                EntityType::F
            },
            entity_fiscal_code: self.slot(Slot::EntityFiscalCode).to_string(),
            entity_full_name: self.slot(Slot::EntityFullName).to_string(),
            iuv: self.iuv().to_string(),
            nav: optional(HAS_NAV, Slot::Nav),
            amount: self.amount,
            description: self.slot(Slot::Description).to_string(),
            expiration_date: self.expiration_date().to_string(),
            iban: optional(HAS_IBAN, Slot::Iban),
            postal_iban: optional(HAS_POSTAL_IBAN, Slot::PostalIban),
            switch_to_expired: self.switch_to_expired(),
            pay_stand_in: self.flags & PAY_STAND_IN != 0,
        }
    }

    fn slot(&self, slot: Slot) -> &str {
        let i = slot as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
        // The offsets were taken at character boundaries of this very text, so `get` cannot
        // fail; an empty string is the harmless answer if it ever did.
        self.text.get(start..end).unwrap_or_default()
    }
}

fn iban_marker(iban: IbanRef) -> u32 {
    match iban {
        IbanRef::None => RESOLVED_NONE,
        IbanRef::IbanSlot => RESOLVED_IBAN_SLOT,
        IbanRef::PostalSlot => RESOLVED_POSTAL_SLOT,
        IbanRef::Interned(id) => id,
    }
}

fn flags(request: &NewDebtPositionRequest, postal: bool) -> u8 {
    let mut flags = 0;
    let mut set = |cond: bool, bit: u8| {
        if cond {
            flags |= bit;
        }
    };
    set(request.entity_type == EntityType::G, ENTITY_G);
    set(request.switch_to_expired, SWITCH_TO_EXPIRED);
    set(request.pay_stand_in, PAY_STAND_IN);
    set(request.nav.is_some(), HAS_NAV);
    set(request.iban.is_some(), HAS_IBAN);
    set(request.postal_iban.is_some(), HAS_POSTAL_IBAN);
    set(postal, RESOLVED_POSTAL);
    flags
}

fn pack_text(
    request: &NewDebtPositionRequest,
) -> Result<(Box<str>, [u32; SLOTS - 1]), TextTooLong> {
    let fields: [&str; SLOTS] = [
        &request.iuv,
        &request.entity_fiscal_code,
        &request.entity_full_name,
        &request.description,
        &request.expiration_date,
        request.nav.as_deref().unwrap_or_default(),
        request.iban.as_deref().unwrap_or_default(),
        request.postal_iban.as_deref().unwrap_or_default(),
    ];
    let total: usize = fields.iter().map(|f| f.len()).sum();
    u32::try_from(total).map_err(|_| TextTooLong)?;
    // Exact capacity, so `into_boxed_str` does not reallocate.
    let mut text = String::with_capacity(total);
    let mut ends = [0u32; SLOTS - 1];
    for (i, field) in fields.iter().enumerate() {
        text.push_str(field);
        if let Some(end) = ends.get_mut(i) {
            // `total` fits in u32, so every prefix does.
            *end = u32::try_from(text.len()).map_err(|_| TextTooLong)?;
        }
    }
    Ok((text.into_boxed_str(), ends))
}

#[cfg(test)]
mod tests {
    use super::{IbanRef, Nav, Record};
    use crate::aca::iban::IbanSource;
    use crate::aca::store::{HistoryAction, HistoryEntry, PositionStatus};
    use crate::clock::VirtualTime;
    use collaudo_wire::aca::{EntityType, NewDebtPositionRequest};

    fn request() -> NewDebtPositionRequest {
        NewDebtPositionRequest {
            pa_fiscal_code: "77777777777".into(),
            entity_type: EntityType::G,
            entity_fiscal_code: "12345678901".into(),
            entity_full_name: "ACME è".into(),
            iuv: "01000000000000144".into(),
            nav: None,
            amount: 12_345,
            description: "TARI 2025 – rata".into(),
            expiration_date: "2030-12-31T23:59:59+01:00".into(),
            iban: None,
            postal_iban: Some("IT60X0542811101000000123456".into()),
            switch_to_expired: true,
            pay_stand_in: false,
        }
    }

    #[test]
    fn record_is_compact() {
        assert_eq!(std::mem::size_of::<Record>(), 80);
        assert_eq!(std::mem::size_of::<HistoryEntry>(), 24);
    }

    #[test]
    fn request_round_trips_through_the_record() {
        let req = request();
        let at = VirtualTime::from_millis(5);
        let rec = Record::new(
            &req,
            0,
            IbanRef::PostalSlot,
            true,
            IbanSource::RequestPostal,
            at,
        );
        let Ok(mut rec) = rec else {
            panic!("record not built");
        };
        assert_eq!(rec.request(&req.pa_fiscal_code), req);
        assert_eq!(rec.nav(), Nav::Default("01000000000000144"));
        assert_eq!(rec.nav().to_owned_string(), "301000000000000144");
        assert!(rec.nav().matches("301000000000000144") && !rec.nav().matches("01000000000000144"));
        assert_eq!(rec.iban_ref(), IbanRef::PostalSlot);
        assert_eq!(rec.request_iban(true), "IT60X0542811101000000123456");
        assert!(rec.iban_postal() && rec.switch_to_expired());
        assert_eq!(rec.status(), PositionStatus::Valid);
        assert_eq!(rec.history()[0].action, HistoryAction::Created);

        let mut other = request();
        other.entity_type = EntityType::F;
        other.nav = Some("399".into());
        other.iban = Some("IT60X0542811101000000654321".into());
        other.postal_iban = None;
        other.amount = 1;
        other.switch_to_expired = false;
        other.pay_stand_in = true;
        assert!(
            rec.replace(
                &other,
                IbanRef::Interned(3),
                false,
                IbanSource::StandInDefault
            )
            .is_ok()
        );
        assert_eq!(rec.request(&other.pa_fiscal_code), other);
        assert_eq!(rec.nav(), Nav::Explicit("399"));
        assert_eq!(rec.iban_ref(), IbanRef::Interned(3));
        assert_eq!(rec.request("x").amount, 1);
        assert_eq!(rec.iban_source(), IbanSource::StandInDefault);
        rec.push_history(HistoryEntry {
            at,
            action: HistoryAction::Updated,
            amount_cents: 1,
        });
        assert_eq!(rec.history().len(), 2);
    }
}
