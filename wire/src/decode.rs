//! From an element tree to typed messages, collecting every violation on the way.
//!
//! The decoder walks each complex type as the XSD sequence it is, so a missing, misplaced,
//! repeated or foreign element is reported where it happens, and decoding goes on: one bad
//! transfer does not hide a bad debtor. A model is returned only when no XSD-level error was
//! found; Nodo semantic rules (DOMAIN.md §3, §5) are reported beside it.

use crate::amount::Amount;
use crate::facets;
use crate::fault::{FaultBean, FaultCode};
use crate::message::{Direction, Message, Primitive};
use crate::model::*;
use crate::soap::Omitted;
use crate::violation::{Kind, Position, Rule, Severity, Violation, clip};
use crate::xml::{Children, Document, Element, same_bytes};
use std::borrow::Cow;

/// How transfers look in each message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransferFlavor {
    /// `ctTransferPA`: no companyName, IBAN only.
    V1,
    /// `ctTransferPAV2`: companyName, IBAN | richiestaMarcaDaBollo.
    V2,
    /// `ctTransferPAReceiptV2`: companyName, IBAN | MBDAttachment.
    ReceiptV2,
}

/// What a transfer yielded, even when it broke the XSD.
struct TransferRead {
    /// The transfer, when every element of it was valid.
    transfer: Option<Transfer>,
    id: Option<u8>,
    amount: Option<Amount>,
    offset: usize,
}

/// A transfer list as read.
struct TransferList {
    /// Every transfer, when all were valid.
    transfers: Option<Vec<Transfer>>,
    /// Σ transferAmount over every transfer; `None` when there is none or an amount is
    /// unreadable.
    sum: Option<Amount>,
}

// The element names of each complex type's xs:sequence, in schema order (paForNode.xsd and
// sac-common-types-1.0.xsd). The two branches of a choice sit side by side.

const FAULT: &[&str] = &[
    "faultCode",
    "faultString",
    "id",
    "description",
    "serial",
    "originalFaultCode",
    "originalFaultString",
    "originalDescription",
];

const SUBJECT: &[&str] = &[
    "uniqueIdentifier",
    "fullName",
    "streetName",
    "civicNumber",
    "postalCode",
    "city",
    "stateProvinceRegion",
    "country",
    "e-mail",
];

const TRANSFER_V1: &[&str] = &[
    "idTransfer",
    "transferAmount",
    "fiscalCodePA",
    "IBAN",
    "remittanceInformation",
    "transferCategory",
    "metadata",
];

const TRANSFER_V2: &[&str] = &[
    "idTransfer",
    "transferAmount",
    "fiscalCodePA",
    "companyName",
    "IBAN",
    "richiestaMarcaDaBollo",
    "remittanceInformation",
    "transferCategory",
    "metadata",
];

const TRANSFER_RECEIPT_V2: &[&str] = &[
    "idTransfer",
    "transferAmount",
    "fiscalCodePA",
    "companyName",
    "IBAN",
    "MBDAttachment",
    "remittanceInformation",
    "transferCategory",
    "metadata",
];

const PAYMENT_DATA: &[&str] = &[
    "creditorReferenceId",
    "paymentAmount",
    "dueDate",
    "retentionDate",
    "lastPayment",
    "description",
    "companyName",
    "officeName",
    "debtor",
    "transferList",
    "metadata",
];

const RECEIPT_V1: &[&str] = &[
    "receiptId",
    "noticeNumber",
    "fiscalCode",
    "outcome",
    "creditorReferenceId",
    "paymentAmount",
    "description",
    "companyName",
    "officeName",
    "debtor",
    "transferList",
    "idPSP",
    "pspFiscalCode",
    "pspPartitaIVA",
    "PSPCompanyName",
    "idChannel",
    "channelDescription",
    "payer",
    "paymentMethod",
    "fee",
    "paymentDateTime",
    "applicationDate",
    "transferDate",
    "metadata",
    "standIn",
];

const RECEIPT_V2: &[&str] = &[
    "receiptId",
    "noticeNumber",
    "fiscalCode",
    "outcome",
    "creditorReferenceId",
    "paymentAmount",
    "description",
    "companyName",
    "officeName",
    "debtor",
    "transferList",
    "idPSP",
    "pspFiscalCode",
    "pspPartitaIVA",
    "PSPCompanyName",
    "idChannel",
    "channelDescription",
    "payer",
    "paymentMethod",
    "paymentNote",
    "fee",
    "primaryCiIncurredFee",
    "idBundle",
    "idCiBundle",
    "paymentDateTime",
    "applicationDate",
    "transferDate",
    "metadata",
    "standIn",
];

fn wrapper_names(prim: Primitive, dir: Direction) -> &'static [&'static str] {
    match (prim, dir) {
        (Primitive::VerifyPaymentNotice, Direction::Request) => {
            &["idPA", "idBrokerPA", "idStation", "qrCode"]
        }
        (Primitive::GetPayment | Primitive::GetPaymentV2, Direction::Request) => &[
            "idPA",
            "idBrokerPA",
            "idStation",
            "qrCode",
            "amount",
            "paymentNote",
            "transferType",
            "dueDate",
        ],
        (Primitive::SendRt | Primitive::SendRtV2, Direction::Request) => {
            &["idPA", "idBrokerPA", "idStation", "receipt"]
        }
        (Primitive::DemandPaymentNotice, Direction::Request) => &[
            "idPA",
            "idBrokerPA",
            "idStation",
            "idServizio",
            "idSoggettoServizio",
            "datiSpecificiServizioRequest",
        ],
        (Primitive::VerifyPaymentNotice, Direction::Response) => &[
            "outcome",
            "fault",
            "paymentList",
            "paymentDescription",
            "fiscalCodePA",
            "companyName",
            "officeName",
        ],
        (Primitive::GetPayment | Primitive::GetPaymentV2, Direction::Response) => {
            &["outcome", "fault", "data"]
        }
        (Primitive::SendRt | Primitive::SendRtV2, Direction::Response) => &["outcome", "fault"],
        (Primitive::DemandPaymentNotice, Direction::Response) => &[
            "outcome",
            "fault",
            "qrCode",
            "paymentList",
            "paymentDescription",
            "fiscalCodePA",
            "companyName",
            "officeName",
        ],
    }
}

pub(crate) struct Decoder<'d, 'a> {
    doc: &'d Document<'a>,
    path: Vec<(&'a str, Option<usize>)>,
    pub(crate) sink: Sink,
}

/// Where violations go: the first `limit` in document order are kept, the rest only counted.
///
/// A hostile reply can break a rule half a million times; building (and later sorting and
/// printing) half a million violations would cost more than the parse. A violation that
/// cannot be among the first `limit` is counted before anything is built for it.
pub(crate) struct Sink {
    kept: Vec<Violation>,
    limit: usize,
    /// Kept violations all sit at or before this offset once `limit` of them are known:
    /// anything later is counted, not built.
    threshold: usize,
    pub(crate) omitted: Omitted,
    /// Error-severity violations of a layer below the Nodo's semantic rules, kept or not.
    structural: usize,
}

impl Sink {
    pub(crate) fn new(limit: usize) -> Self {
        Sink {
            kept: Vec::new(),
            limit,
            threshold: usize::MAX,
            omitted: Omitted::default(),
            structural: 0,
        }
    }

    /// Count a violation about to be reported; false when it need not be built.
    pub(crate) fn admits(&mut self, offset: usize, kind: Kind, severity: Severity) -> bool {
        if severity == Severity::Error && kind != Kind::Semantic {
            self.structural += 1;
        }
        if offset > self.threshold || self.limit == 0 {
            self.omitted.count(kind, severity);
            return false;
        }
        true
    }

    /// Keep a violation [`Sink::admits`] let through.
    pub(crate) fn keep(&mut self, v: Violation) {
        self.kept.push(v);
        if self.kept.len() >= self.limit.saturating_mul(2) {
            self.trim();
        }
    }

    /// Both steps, for a violation that is already built.
    pub(crate) fn push(&mut self, v: Violation) {
        if self.admits(v.offset.unwrap_or(0), v.kind, v.severity) {
            self.keep(v);
        }
    }

    fn trim(&mut self) {
        self.kept.sort_by_key(|v| v.offset.unwrap_or(0));
        for v in self.kept.drain(self.limit.min(self.kept.len())..) {
            self.omitted.count(v.kind, v.severity);
        }
        if let Some(last) = self.kept.last() {
            self.threshold = self.threshold.min(last.offset.unwrap_or(0));
        }
    }

    pub(crate) fn has_structural_errors(&self) -> bool {
        self.structural > 0
    }

    /// The kept violations in document order, with their line:column, and the count of the
    /// others.
    pub(crate) fn into_parts(mut self, bytes: &[u8]) -> (Vec<Violation>, Omitted) {
        // A valid message keeps nothing, and trimming nothing still cost a sort's set-up.
        if !self.kept.is_empty() {
            self.trim();
        }
        fill_positions(bytes, &mut self.kept);
        (self.kept, self.omitted)
    }
}

/// Give every violation (sorted by offset) its line:column in one forward pass over `bytes`:
/// computing each position from byte 0 would be quadratic in the number of violations.
fn fill_positions(bytes: &[u8], sorted: &mut [Violation]) {
    let mut at = 0;
    let mut line = 1;
    let mut column = 1;
    for v in sorted {
        let Some(offset) = v.offset else { continue };
        let offset = offset.clamp(at, bytes.len());
        let seg = &bytes[at..offset];
        let chars = |s: &[u8]| s.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
        match seg.iter().rposition(|&b| b == b'\n') {
            Some(nl) => {
                line += seg.iter().filter(|&&b| b == b'\n').count();
                column = 1 + chars(&seg[nl + 1..]);
            }
            None => column += chars(seg),
        }
        at = offset;
        v.position = Some(Position { line, column });
    }
}

/// The children of one complex element, read as the XSD sequence `names` they should follow.
///
/// The decoder asks for the names in schema order; each request either takes the next child
/// or finds it absent. When the children are not in schema order (an unknown element, one
/// out of place), a longest in-order subsequence of them is computed first and the others are
/// set aside: each of them is then reported once, by [`Decoder::finish`], instead of making
/// every following sibling look missing or misplaced.
struct Seq<'d, 'a> {
    nodes: &'d [Element<'a>],
    /// The element names of the type's sequence, in schema order (choices side by side).
    names: &'static [&'static str],
    /// First child of the sequence's element.
    first: u32,
    /// Next child not yet consumed (`NONE` at the end).
    next: u32,
    parent_offset: usize,
    /// Index in `names` of the last name asked for.
    slot: usize,
    /// Which of `names` the sequence asked for so far (bit i for `names[i]`; the longest
    /// type, ctReceiptV2, has 29). A mask, not a list of names: a 40-name array was set up
    /// and moved for every complex element, and cost more than the rest of the sequence.
    asked: u64,
    /// Index in `names` after the last name asked for: requests come in schema order, so the
    /// next one is looked for there first.
    asked_at: usize,
    /// Names asked for that the mask cannot hold (not among `names`, or past bit 63): none
    /// in this decoder, kept so that `finish` never depends on it.
    asked_other: Vec<&'static str>,
    /// Children set aside (before `next`), reported by `finish`.
    skipped: Vec<u32>,
    /// Children the alignment put out of order, ascending; those before `misplaced_at` are
    /// already in `skipped`.
    misplaced: Vec<u32>,
    misplaced_at: usize,
    /// Which of `names` occur among the children (bit i for `names[i]`), found by one pass
    /// on the first question: a decoder asks for each missing required element, and with
    /// 500 000 siblings one pass per question was most of a hostile reply's cost.
    present: std::cell::Cell<Option<u64>>,
}

impl<'d, 'a> Seq<'d, 'a> {
    fn peek(&self) -> Option<&'d Element<'a>> {
        self.nodes.get(usize::try_from(self.next).ok()?)
    }

    fn advance(&mut self) {
        if let Some(el) = self.peek() {
            self.next = el.next_sibling;
        }
    }

    /// Set the next child aside.
    fn skip(&mut self) {
        self.skipped.push(self.next);
        self.advance();
    }

    /// The next child the alignment kept in order, setting the others aside.
    fn peek_in_order(&mut self) -> Option<&'d Element<'a>> {
        while self.misplaced.get(self.misplaced_at) == Some(&self.next) {
            self.misplaced_at += 1;
            self.skip();
        }
        self.peek()
    }

    /// The children not consumed: those set aside, then those not reached, in document order.
    fn rest(&self) -> impl Iterator<Item = &'d Element<'a>> + use<'_, 'd, 'a> {
        let nodes = self.nodes;
        self.skipped
            .iter()
            .filter_map(move |&i| nodes.get(usize::try_from(i).ok()?))
            .chain(Children::new(nodes, self.next))
    }

    /// Every child.
    fn all(&self) -> Children<'d, 'a> {
        Children::new(self.nodes, self.first)
    }

    fn here(&self) -> usize {
        self.peek().map_or(self.parent_offset, |e| e.offset)
    }

    /// Record that `name` was asked for.
    // Inlined for the usual case (the name after the last one asked for); the search for
    // any other stays out of line.
    #[inline(always)]
    fn note_asked(&mut self, name: &'static str) {
        match self.names.get(self.asked_at) {
            Some(n) if self.asked_at < 64 && same_bytes(n.as_bytes(), name.as_bytes()) => {
                self.asked |= 1 << self.asked_at;
                self.asked_at += 1;
            }
            _ => self.note_asked_anywhere(name),
        }
    }

    #[inline(never)]
    fn note_asked_anywhere(&mut self, name: &'static str) {
        let names = self.names;
        let same = |n: &&str| same_bytes(n.as_bytes(), name.as_bytes());
        // In schema order, the name asked for is nearly always the one after the last.
        let found = match names.get(self.asked_at) {
            Some(n) if same(n) => Some(self.asked_at),
            _ => names.iter().position(same),
        };
        match found {
            Some(i) if i < 64 => {
                self.asked |= 1 << i;
                self.asked_at = i + 1;
            }
            _ => self.asked_other.push(name),
        }
    }

    /// Whether a name equal to `local` was asked for.
    fn was_asked(&self, local: &str) -> bool {
        self.names
            .iter()
            .take(64)
            .enumerate()
            .any(|(i, n)| self.asked & (1 << i) != 0 && *n == local)
            || self.asked_other.contains(&local)
    }

    /// Whether a child named `other` belongs after `name` in the sequence, i.e. `name` is
    /// absent. Requests come in schema order, so `name` is looked for from the last one on.
    fn comes_after(&mut self, name: &str, other: &str) -> bool {
        match self.names[self.slot..].iter().position(|n| *n == name) {
            Some(i) => self.slot += i,
            None => {
                debug_assert!(false, "<{name}> asked out of schema order");
                return false;
            }
        }
        self.names[self.slot + 1..].contains(&other)
    }
}

/// Whether the children starting at `first` follow `names` (repeats allowed, every name known).
fn in_order(nodes: &[Element<'_>], first: u32, names: &[&str]) -> bool {
    let mut j = 0;
    for el in Children::new(nodes, first) {
        while names
            .get(j)
            .is_some_and(|n| !same_bytes(n.as_bytes(), el.local.as_bytes()))
        {
            j += 1;
        }
        if j == names.len() {
            return false;
        }
    }
    true
}

/// The children (arena indices) outside a longest subsequence that follows `names`, in
/// document order; unknown names are always outside.
///
/// Patience sorting, O(n log n). Run from the last child backwards so that, among
/// subsequences of equal length, the one keeping earlier children wins: the element reported
/// is then the one that comes too late, as a reader (and libxml2) would name it.
fn misplaced(nodes: &[Element<'_>], first: u32, names: &[&str]) -> Vec<u32> {
    let mut kids: Vec<(u32, Option<usize>)> = Vec::new();
    let mut cursor = first;
    let mut last: Option<(&str, Option<usize>)> = None;
    while let Some(el) = usize::try_from(cursor).ok().and_then(|i| nodes.get(i)) {
        let slot = match last {
            Some((name, slot)) if name == el.local => slot,
            _ => names.iter().position(|n| *n == el.local),
        };
        last = Some((el.local, slot));
        kids.push((cursor, slot));
        cursor = el.next_sibling;
    }
    const NO: usize = usize::MAX;
    let mut prev = vec![NO; kids.len()];
    // tails[k]: the child ending the best non-increasing run (read backwards) of length k+1.
    let mut tails: Vec<usize> = Vec::new();
    for i in (0..kids.len()).rev() {
        let Some(v) = kids[i].1 else { continue };
        // Runs of one repeated name (the hostile case: 500 000 siblings) extend the longest
        // subsequence each time: check the last tail before searching.
        let k = match tails.last() {
            Some(&t) if kids[t].1.unwrap_or(0) >= v => tails.len(),
            _ => tails.partition_point(|&t| kids[t].1.unwrap_or(0) >= v),
        };
        prev[i] = if k > 0 { tails[k - 1] } else { NO };
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut keep = vec![false; kids.len()];
    let mut i = tails.last().copied().unwrap_or(NO);
    while i != NO {
        keep[i] = true;
        i = prev[i];
    }
    kids.iter()
        .zip(keep)
        .filter(|(_, k)| !k)
        .map(|((index, _), _)| *index)
        .collect()
}

impl<'d, 'a> Decoder<'d, 'a> {
    pub(crate) fn new(doc: &'d Document<'a>, limit: usize) -> Self {
        Decoder {
            doc,
            // Deep enough for every pagoPA message without regrowing.
            path: Vec::with_capacity(16),
            sink: Sink::new(limit),
        }
    }

    pub(crate) fn enter(&mut self, name: &'a str, index: Option<usize>) {
        self.path.push((name, index));
    }

    pub(crate) fn leave(&mut self) {
        self.path.pop();
    }

    fn path_string(&self, extra: Option<&str>) -> String {
        let mut s = String::new();
        for (name, idx) in &self.path {
            s.push('/');
            s.push_str(&clip(name));
            if let Some(i) = idx {
                s.push_str(&format!("[{i}]"));
            }
        }
        if let Some(x) = extra {
            s.push('/');
            s.push_str(&clip(x));
        }
        s
    }

    // Reporting is rare on the hot path (a valid message reports nothing): kept out of line so
    // that the checks calling it stay small and cheap to call.
    #[cold]
    #[inline(never)]
    fn push(
        &mut self,
        extra: Option<&str>,
        offset: usize,
        rule: Rule,
        kind: Kind,
        sev: Severity,
        value: Option<&str>,
    ) {
        if !self.sink.admits(offset, kind, sev) {
            return;
        }
        let mut v = Violation::new(self.path_string(extra), rule, kind, sev);
        v.offset = Some(offset);
        if let Some(val) = value {
            v = v.with_value(val);
        }
        self.sink.keep(v);
    }

    pub(crate) fn error(&mut self, offset: usize, rule: Rule, kind: Kind, value: Option<&str>) {
        self.push(None, offset, rule, kind, Severity::Error, value);
    }

    fn warn(&mut self, offset: usize, rule: Rule, value: Option<&str>) {
        self.push(None, offset, rule, Kind::Semantic, Severity::Warning, value);
    }

    fn semantic_child(&mut self, child: &str, offset: usize, rule: Rule) {
        self.push(
            Some(child),
            offset,
            rule,
            Kind::Semantic,
            Severity::Error,
            None,
        );
    }

    // ---- sequences -------------------------------------------------------------------------

    #[inline]
    fn attributes(&mut self, el: &Element<'a>) {
        if let Some(name) = el.stray_attribute {
            self.unexpected_attribute(el.offset, name);
        }
    }

    #[cold]
    #[inline(never)]
    fn unexpected_attribute(&mut self, offset: usize, name: &str) {
        self.error(
            offset,
            Rule::UnexpectedAttribute {
                name: clip(name).into_owned(),
            },
            Kind::Xsd,
            None,
        );
    }

    fn seq(&mut self, el: &'d Element<'a>, names: &'static [&'static str]) -> Seq<'d, 'a> {
        self.attributes(el);
        if let Some(off) = el.stray_text {
            self.error(off, Rule::UnexpectedText, Kind::Xsd, None);
        } else if !el.has_children() && !el.text.trim().is_empty() {
            self.error(el.offset, Rule::UnexpectedText, Kind::Xsd, Some(&el.text));
        }
        let nodes = &self.doc.nodes;
        let misplaced = if in_order(nodes, el.first_child, names) {
            Vec::new()
        } else {
            misplaced(nodes, el.first_child, names)
        };
        Seq {
            nodes,
            names,
            first: el.first_child,
            next: el.first_child,
            parent_offset: el.offset,
            slot: 0,
            asked: 0,
            asked_at: 0,
            asked_other: Vec::new(),
            skipped: Vec::new(),
            misplaced,
            misplaced_at: 0,
            present: std::cell::Cell::new(None),
        }
    }

    // Always inlined into `req`, `opt` and `many`: once per element of every message.
    #[inline(always)]
    fn take(&mut self, s: &mut Seq<'d, 'a>, name: &'static str) -> Option<&'d Element<'a>> {
        s.note_asked(name);
        let el = loop {
            let el = s.peek_in_order()?;
            // Names are a few bytes long: `==` called memcmp for each.
            if same_bytes(el.local.as_bytes(), name.as_bytes()) {
                break el;
            }
            if s.comes_after(name, el.local) {
                return None;
            }
            // In order, yet before the name asked for: a choice the decoder did not take, or a
            // repeat of a single element. `finish` reports it.
            s.skip();
        };
        s.advance();
        if el.ns != 0 {
            let found = self.doc.ns_of(el).to_string();
            self.push(
                Some(name),
                el.offset,
                Rule::WrongNamespace {
                    expected: String::new(),
                    found,
                },
                Kind::Xsd,
                Severity::Error,
                None,
            );
        }
        Some(el)
    }

    /// The name of the next child in order, if any (to decide a choice).
    fn peek_name(s: &mut Seq<'d, 'a>) -> Option<&'a str> {
        s.peek_in_order().map(|e| e.local)
    }

    fn opt<T>(
        &mut self,
        s: &mut Seq<'d, 'a>,
        name: &'static str,
        f: impl FnOnce(&mut Self, &'d Element<'a>) -> Option<T>,
    ) -> Option<T> {
        let el = self.take(s, name)?;
        self.enter(name, None);
        let r = f(self, el);
        self.leave();
        r
    }

    /// A required element: absent, it is reported missing, unless an element of that name is
    /// there out of order (then `finish` reports that one, and once is enough).
    fn req<T>(
        &mut self,
        s: &mut Seq<'d, 'a>,
        name: &'static str,
        f: impl FnOnce(&mut Self, &'d Element<'a>) -> Option<T>,
    ) -> Option<T> {
        match self.take(s, name) {
            Some(el) => {
                self.enter(name, None);
                let r = f(self, el);
                self.leave();
                r
            }
            None => {
                if !Self::present(s, name) {
                    let at = s.here();
                    self.push(
                        Some(name),
                        at,
                        Rule::Missing,
                        Kind::Xsd,
                        Severity::Error,
                        None,
                    );
                }
                None
            }
        }
    }

    fn many<T>(
        &mut self,
        s: &mut Seq<'d, 'a>,
        name: &'static str,
        min: usize,
        max: usize,
        mut f: impl FnMut(&mut Self, &'d Element<'a>) -> Option<T>,
    ) -> Vec<T> {
        let mut items = Vec::new();
        let mut count = 0;
        while let Some(el) = self.take(s, name) {
            count += 1;
            // A single-occurrence element keeps a plain path; repeated ones are numbered.
            self.enter(name, (max > 1 || count > 1).then_some(count));
            if count == max + 1 {
                let total = count
                    + Children::new(s.nodes, s.next)
                        .filter(|e| e.local == name)
                        .count();
                self.error(
                    el.offset,
                    Rule::TooMany { max, found: total },
                    Kind::Xsd,
                    None,
                );
            }
            if let Some(v) = f(self, el) {
                items.push(v);
            }
            self.leave();
        }
        if count < min && !Self::present(s, name) {
            let at = s.here();
            self.push(
                Some(name),
                at,
                Rule::Missing,
                Kind::Xsd,
                Severity::Error,
                None,
            );
        }
        items
    }

    fn finish(&mut self, s: &Seq<'_, 'a>) {
        for el in s.rest() {
            // A name the sequence asked for is an ordering mistake, anything else a stranger.
            let rule = if s.was_asked(el.local) {
                Rule::OutOfOrder { expected: None }
            } else {
                Rule::Unexpected
            };
            self.push(
                Some(el.local),
                el.offset,
                rule,
                Kind::Xsd,
                Severity::Error,
                None,
            );
        }
    }

    // ---- simple types ----------------------------------------------------------------------

    fn leaf<'x>(&mut self, el: &'x Element<'a>) -> Option<&'x Cow<'a, str>> {
        self.attributes(el);
        if !el.has_children() {
            Some(&el.text)
        } else {
            self.error(el.offset, Rule::UnexpectedChildren, Kind::Xsd, None);
            None
        }
    }

    fn check<T>(&mut self, el: &'d Element<'a>, r: Result<T, Rule>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(rule) => {
                self.error(el.offset, rule, Kind::Xsd, Some(&el.text));
                None
            }
        }
    }

    // Inlined into the text16..text140 readers: the call was a tenth of their cost.
    #[inline(always)]
    fn string(&mut self, el: &'d Element<'a>, min: usize, max: usize) -> Option<String> {
        let t = self.leaf(el)?;
        let r = facets::text(t, min, max).map(|()| t.to_string());
        self.check(el, r)
    }

    fn any_string(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.leaf(el).map(|t| t.to_string())
    }

    /// Free text the Nodo relays to the PSP as is (`faultString`, `description`): blanks at
    /// either end are legal but end up in front of a citizen, hence a warning.
    fn relayed_text(&mut self, el: &'d Element<'a>) -> Option<String> {
        let t = self.any_string(el)?;
        let blank = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
        if t.starts_with(blank) || t.ends_with(blank) {
            self.warn(el.offset, Rule::SurroundingBlanks, Some(&t));
        }
        Some(t)
    }

    fn text16(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.string(el, 1, 16)
    }
    fn text35(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.string(el, 1, 35)
    }
    fn text70(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.string(el, 1, 70)
    }
    fn text140(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.string(el, 1, 140)
    }

    /// A simple-typed leaf: its text through one lexical rule, a violation when it breaks it.
    fn lexical<T>(
        &mut self,
        el: &'d Element<'a>,
        rule: impl FnOnce(&str) -> Result<T, Rule>,
    ) -> Option<T> {
        let t = self.leaf(el)?;
        let r = rule(t);
        self.check(el, r)
    }

    /// As [`Self::lexical`] for rules that only accept or refuse: the text is the value.
    fn lexical_text(
        &mut self,
        el: &'d Element<'a>,
        rule: impl FnOnce(&str) -> Result<(), Rule>,
    ) -> Option<String> {
        self.lexical(el, |t| rule(t).map(|()| t.to_string()))
    }

    fn fiscal_code_pa(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.lexical_text(el, facets::fiscal_code_pa)
    }

    fn notice_number(&mut self, el: &'d Element<'a>) -> Option<String> {
        let t = self.leaf(el)?;
        let r = facets::notice_number(t).map(|()| t.to_string());
        let n = self.check(el, r)?;
        // `n` is 18 ASCII digits (the facet above): `NoticeNumber::parse` would only add the
        // aux digit check.
        let digits = <[u8; 18]>::try_from(n.as_bytes()).ok();
        if let Some(notice) = digits.and_then(crate::ident::NoticeNumber::from_digits) {
            if notice.check_digit_ok() == Some(false) {
                // For aux digits 0, 2 and 3 the check digits cover the first 16 digits.
                let expected = crate::ident::iuv::check_digits(&n[..16])
                    .map_or_else(String::new, |d| format!("{d:02}"));
                self.warn(el.offset, Rule::CheckDigit { expected }, Some(&n));
            }
        }
        Some(n)
    }

    fn amount(&mut self, el: &'d Element<'a>, not_zero: bool) -> Option<Amount> {
        self.lexical(el, |t| facets::amount(t, not_zero))
    }

    fn date(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.lexical_text(el, facets::date)
    }

    fn date_time(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.lexical_text(el, facets::date_time)
    }

    fn boolean(&mut self, el: &'d Element<'a>) -> Option<bool> {
        self.lexical(el, facets::boolean)
    }

    fn int(&mut self, el: &'d Element<'a>) -> Option<i32> {
        self.lexical(el, facets::int)
    }

    fn enumeration(
        &mut self,
        el: &'d Element<'a>,
        allowed: &'static [&'static str],
    ) -> Option<usize> {
        let t = self.leaf(el)?;
        let r = facets::enumeration(t, allowed)
            .map(|()| allowed.iter().position(|a| *a == t.as_ref()).unwrap_or(0));
        self.check(el, r)
    }

    fn base64(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.lexical_text(el, facets::base64)
    }

    fn nation_province(&mut self, el: &'d Element<'a>) -> Option<String> {
        self.lexical_text(el, facets::nation_province)
    }

    fn outcome(&mut self, el: &'d Element<'a>) -> Option<Outcome> {
        self.enumeration(el, &["OK", "KO"])
            .map(|i| if i == 0 { Outcome::Ok } else { Outcome::Ko })
    }

    fn id_transfer(&mut self, el: &'d Element<'a>) -> Option<u8> {
        let t = self.leaf(el)?;
        let r = facets::int(t).and_then(|v| {
            u8::try_from(v)
                .ok()
                .filter(|v| (1..=5).contains(v))
                .ok_or(Rule::Enumeration {
                    allowed: &["1", "2", "3", "4", "5"],
                })
        });
        self.check(el, r)
    }

    // ---- complex types ---------------------------------------------------------------------

    fn caller(&mut self, s: &mut Seq<'d, 'a>) -> Option<Caller> {
        let id_pa = self.req(s, "idPA", Self::text35);
        let id_broker_pa = self.req(s, "idBrokerPA", Self::text35);
        let id_station = self.req(s, "idStation", Self::text35);
        Some(Caller {
            id_pa: id_pa?,
            id_broker_pa: id_broker_pa?,
            id_station: id_station?,
        })
    }

    fn qr_code(&mut self, el: &'d Element<'a>) -> Option<QrCode> {
        let mut s = self.seq(el, &["fiscalCode", "noticeNumber"]);
        let fiscal_code = self.req(&mut s, "fiscalCode", Self::fiscal_code_pa);
        let notice_number = self.req(&mut s, "noticeNumber", Self::notice_number);
        self.finish(&s);
        Some(QrCode {
            fiscal_code: fiscal_code?,
            notice_number: notice_number?,
        })
    }

    fn fault(&mut self, el: &'d Element<'a>) -> Option<FaultBean> {
        let mut s = self.seq(el, FAULT);
        let code = self.req(&mut s, "faultCode", Self::any_string);
        let fault_string = self.req(&mut s, "faultString", Self::relayed_text);
        let id = self.req(&mut s, "id", Self::any_string);
        let description = self.opt(&mut s, "description", Self::relayed_text);
        let serial = self.opt(&mut s, "serial", Self::int);
        let original_fault_code = self.opt(&mut s, "originalFaultCode", Self::any_string);
        let original_fault_string = self.opt(&mut s, "originalFaultString", Self::any_string);
        let original_description = self.opt(&mut s, "originalDescription", Self::any_string);
        self.finish(&s);
        Some(FaultBean {
            fault_code: FaultCode::parse(&code?),
            fault_string: fault_string?,
            id: id?,
            description,
            serial,
            original_fault_code,
            original_fault_string,
            original_description,
        })
    }

    fn metadata(&mut self, el: &'d Element<'a>) -> Option<Vec<MapEntry>> {
        let mut s = self.seq(el, &["mapEntry"]);
        let entries = self.many(&mut s, "mapEntry", 1, 15, |d, e| {
            let mut s = d.seq(e, &["key", "value"]);
            let key = d.req(&mut s, "key", Self::text140);
            let value = d.req(&mut s, "value", Self::text140);
            d.finish(&s);
            Some(MapEntry {
                key: key?,
                value: value?,
            })
        });
        self.finish(&s);
        Some(entries)
    }

    fn payment_option_list(&mut self, el: &'d Element<'a>) -> Option<PaymentOption> {
        let mut s = self.seq(el, &["paymentOptionDescription"]);
        let opts = self.many(&mut s, "paymentOptionDescription", 1, 1, |d, e| {
            let mut s = d.seq(
                e,
                &[
                    "amount",
                    "options",
                    "dueDate",
                    "detailDescription",
                    "allCCP",
                ],
            );
            let amount = d.req(&mut s, "amount", |d, e| d.amount(e, true));
            let options = d.req(&mut s, "options", |d, e| {
                let i = d.enumeration(e, AmountOption::VALUES)?;
                let o = [
                    AmountOption::Eq,
                    AmountOption::Ls,
                    AmountOption::Gt,
                    AmountOption::Any,
                ][i];
                if o != AmountOption::Eq {
                    d.push(
                        None,
                        e.offset,
                        Rule::OptionsNotEq,
                        Kind::Semantic,
                        Severity::Error,
                        Some(o.as_str()),
                    );
                }
                Some(o)
            });
            let due_date = d.opt(&mut s, "dueDate", Self::date);
            let detail_description = d.opt(&mut s, "detailDescription", Self::text140);
            let all_ccp = d.req(&mut s, "allCCP", Self::boolean);
            d.finish(&s);
            Some(PaymentOption {
                amount: amount?,
                options: options?,
                due_date,
                detail_description,
                all_ccp: all_ccp?,
            })
        });
        self.finish(&s);
        opts.into_iter().next()
    }

    fn subject(&mut self, el: &'d Element<'a>) -> Option<Subject> {
        let mut s = self.seq(el, SUBJECT);
        let id = self.req(&mut s, "uniqueIdentifier", |d, e| {
            let mut s = d.seq(
                e,
                &["entityUniqueIdentifierType", "entityUniqueIdentifierValue"],
            );
            let t = d.req(&mut s, "entityUniqueIdentifierType", |d, e| {
                d.enumeration(e, EntityType::VALUES)
                    .map(|i| if i == 0 { EntityType::F } else { EntityType::G })
            });
            let v = d.req(&mut s, "entityUniqueIdentifierValue", |d, e| {
                d.string(e, 2, 16)
            });
            d.finish(&s);
            let (t, v) = (t?, v?);
            let plausible = match t {
                EntityType::F => v == "ANONIMO" || v.len() == 16,
                EntityType::G => v.len() == 11 && v.bytes().all(|b| b.is_ascii_digit()),
            };
            if !plausible {
                // Not from pagoPA sources (DOMAIN.md §10): a warning, never a failure.
                d.warn(
                    e.offset,
                    Rule::SubjectIdentifier,
                    Some(&format!("{}:{v}", t.as_str())),
                );
            }
            Some((t, v))
        });
        let full_name = self.req(&mut s, "fullName", Self::text70);
        let street_name = self.opt(&mut s, "streetName", Self::text70);
        let civic_number = self.opt(&mut s, "civicNumber", Self::text16);
        let postal_code = self.opt(&mut s, "postalCode", Self::text16);
        let city = self.opt(&mut s, "city", Self::text35);
        let state_province_region = self.opt(&mut s, "stateProvinceRegion", Self::text35);
        let country = self.opt(&mut s, "country", Self::nation_province);
        let email = self.opt(&mut s, "e-mail", |d, e| {
            let t = d.leaf(e)?;
            let r = facets::email(t).map(|()| t.to_string());
            d.check(e, r)
        });
        self.finish(&s);
        let (entity_type, entity_value) = id?;
        Some(Subject {
            entity_type,
            entity_value,
            full_name: full_name?,
            street_name,
            civic_number,
            postal_code,
            city,
            state_province_region,
            country,
            email,
        })
    }

    fn marca_da_bollo(&mut self, el: &'d Element<'a>) -> Option<MarcaDaBollo> {
        let mut s = self.seq(el, &["hashDocumento", "tipoBollo", "provinciaResidenza"]);
        let hash = self.req(&mut s, "hashDocumento", |d, e| {
            let t = d.leaf(e)?;
            let v = facets::collapse(t);
            let r = if !(4..=72).contains(&facets::char_len(v)) {
                Err(Rule::Pattern { pattern: ".{4,72}" })
            } else {
                facets::base64(v).map(|()| t.to_string())
            };
            d.check(e, r)
        });
        let tipo = self.req(&mut s, "tipoBollo", |d, e| {
            d.enumeration(e, &["01"]).map(|_| "01".to_string())
        });
        let prov = self.req(&mut s, "provinciaResidenza", Self::nation_province);
        self.finish(&s);
        Some(MarcaDaBollo {
            hash_documento: hash?,
            tipo_bollo: tipo?,
            provincia_residenza: prov?,
        })
    }

    fn transfer(&mut self, el: &'d Element<'a>, flavor: TransferFlavor) -> TransferRead {
        let names = match flavor {
            TransferFlavor::V1 => TRANSFER_V1,
            TransferFlavor::V2 => TRANSFER_V2,
            TransferFlavor::ReceiptV2 => TRANSFER_RECEIPT_V2,
        };
        let mut s = self.seq(el, names);
        let id = self.req(&mut s, "idTransfer", Self::id_transfer);
        let amount = self.req(&mut s, "transferAmount", |d, e| d.amount(e, true));
        let fiscal_code_pa = self.req(&mut s, "fiscalCodePA", Self::fiscal_code_pa);
        let company_name = if flavor == TransferFlavor::V1 {
            None
        } else {
            self.opt(&mut s, "companyName", Self::text140)
        };
        let beneficiary = match flavor {
            TransferFlavor::V1 => self
                .req(&mut s, "IBAN", |d, e| d.string(e, 1, 35))
                .map(Beneficiary::Iban),
            TransferFlavor::V2 | TransferFlavor::ReceiptV2 => {
                let alt = if flavor == TransferFlavor::V2 {
                    "richiestaMarcaDaBollo"
                } else {
                    "MBDAttachment"
                };
                // The branch of the choice: the one in place, else the one present at all (so a
                // misplaced stamp is reported once, as misplaced, not also as a missing IBAN).
                let use_alt = match Self::peek_name(&mut s) {
                    Some(n) if n == alt => true,
                    Some("IBAN") => false,
                    _ => !Self::present(&s, "IBAN") && Self::present(&s, alt),
                };
                if use_alt {
                    if flavor == TransferFlavor::V2 {
                        self.req(&mut s, "richiestaMarcaDaBollo", Self::marca_da_bollo)
                            .map(Beneficiary::MarcaDaBollo)
                    } else {
                        self.req(&mut s, "MBDAttachment", Self::base64)
                            .map(Beneficiary::MbdAttachment)
                    }
                } else {
                    self.req(&mut s, "IBAN", |d, e| d.string(e, 1, 35))
                        .map(Beneficiary::Iban)
                }
            }
        };
        let remittance_information = self.req(&mut s, "remittanceInformation", Self::text140);
        let transfer_category = self.req(&mut s, "transferCategory", Self::text140);
        let metadata = self.opt(&mut s, "metadata", Self::metadata);
        self.finish(&s);
        let transfer = (|| {
            Some(Transfer {
                id_transfer: id?,
                transfer_amount: amount?,
                fiscal_code_pa: fiscal_code_pa?,
                company_name,
                beneficiary: beneficiary?,
                remittance_information: remittance_information?,
                transfer_category: transfer_category?,
                metadata: metadata.unwrap_or_default(),
            })
        })();
        TransferRead {
            transfer,
            id,
            amount,
            offset: el.offset,
        }
    }

    fn transfer_list(
        &mut self,
        el: &'d Element<'a>,
        flavor: TransferFlavor,
    ) -> Option<TransferList> {
        let mut s = self.seq(el, &["transfer"]);
        let items = self.many(&mut s, "transfer", 1, 5, |d, e| Some(d.transfer(e, flavor)));
        self.finish(&s);
        // Semantic: idTransfer unique (the Nodo expects ids 1..n).
        let mut seen = [false; 6];
        for (i, t) in items.iter().enumerate() {
            let Some(id) = t.id else { continue };
            if seen[usize::from(id)] {
                self.enter("transfer", Some(i + 1));
                self.semantic_child("idTransfer", t.offset, Rule::DuplicateIdTransfer { id });
                self.leave();
            }
            seen[usize::from(id)] = true;
        }
        // Σ runs over every transfer there is, broken or not: dropping a transfer that lacks,
        // say, its transferCategory would invent a mismatch or hide one.
        let sum = if items.is_empty() {
            None
        } else {
            items
                .iter()
                .map(|t| t.amount)
                .collect::<Option<Vec<Amount>>>()
                .map(Amount::sum)
        };
        let transfers = items.into_iter().map(|t| t.transfer).collect();
        Some(TransferList { transfers, sum })
    }

    fn check_sum(&mut self, amount: Option<Amount>, list: Option<&TransferList>, offset: usize) {
        if let (Some(amount), Some(sum)) = (amount, list.and_then(|l| l.sum)) {
            if sum != amount {
                self.semantic_child(
                    "paymentAmount",
                    offset,
                    Rule::SumMismatch {
                        payment_amount: amount.to_string(),
                        transfers_sum: sum.to_string(),
                    },
                );
            }
        }
    }

    fn payment_data(&mut self, el: &'d Element<'a>, v2: bool) -> Option<PaymentData> {
        let mut s = self.seq(el, PAYMENT_DATA);
        let creditor_reference_id = self.req(&mut s, "creditorReferenceId", Self::text35);
        let amount_offset = s.here();
        let payment_amount = self.req(&mut s, "paymentAmount", |d, e| d.amount(e, true));
        let due_date = self.req(&mut s, "dueDate", Self::date);
        let retention_date = self.opt(&mut s, "retentionDate", Self::date_time);
        let last_payment = self.opt(&mut s, "lastPayment", Self::boolean);
        let description = self.req(&mut s, "description", Self::text140);
        let company_name = if v2 {
            self.req(&mut s, "companyName", Self::text140)
        } else {
            self.opt(&mut s, "companyName", Self::text140)
        };
        let office_name = self.opt(&mut s, "officeName", Self::text140);
        let debtor = self.req(&mut s, "debtor", Self::subject);
        let flavor = if v2 {
            TransferFlavor::V2
        } else {
            TransferFlavor::V1
        };
        let transfers = self.req(&mut s, "transferList", |d, e| d.transfer_list(e, flavor));
        let metadata = self.opt(&mut s, "metadata", Self::metadata);
        self.finish(&s);
        self.check_sum(payment_amount, transfers.as_ref(), amount_offset);
        let transfers = transfers.and_then(|l| l.transfers);
        Some(PaymentData {
            creditor_reference_id: creditor_reference_id?,
            payment_amount: payment_amount?,
            due_date: due_date?,
            retention_date,
            last_payment,
            description: description?,
            company_name,
            office_name,
            debtor: debtor?,
            transfers: transfers?,
            metadata: metadata.unwrap_or_default(),
        })
    }

    fn receipt(&mut self, el: &'d Element<'a>, v2: bool) -> Option<Receipt> {
        let mut s = self.seq(el, if v2 { RECEIPT_V2 } else { RECEIPT_V1 });
        let receipt_id = self.req(&mut s, "receiptId", Self::any_string);
        let notice_number = self.req(&mut s, "noticeNumber", Self::notice_number);
        let fiscal_code = self.req(&mut s, "fiscalCode", Self::fiscal_code_pa);
        let outcome = self.req(&mut s, "outcome", Self::outcome);
        let creditor_reference_id = self.req(&mut s, "creditorReferenceId", Self::text35);
        let amount_offset = s.here();
        let payment_amount = self.req(&mut s, "paymentAmount", |d, e| d.amount(e, false));
        let description = self.req(&mut s, "description", Self::text140);
        let company_name = self.req(&mut s, "companyName", Self::text140);
        let office_name = self.opt(&mut s, "officeName", Self::text140);
        let debtor = self.req(&mut s, "debtor", Self::subject);
        let flavor = if v2 {
            TransferFlavor::ReceiptV2
        } else {
            TransferFlavor::V1
        };
        let transfers = self.req(&mut s, "transferList", |d, e| d.transfer_list(e, flavor));
        let id_psp = self.req(&mut s, "idPSP", Self::text35);
        let psp_fiscal_code = self.opt(&mut s, "pspFiscalCode", Self::text70);
        let psp_partita_iva = self.opt(&mut s, "pspPartitaIVA", |d, e| d.string(e, 1, 20));
        let psp_company_name = self.req(&mut s, "PSPCompanyName", Self::text70);
        let id_channel = self.req(&mut s, "idChannel", Self::text35);
        let channel_description = self.req(&mut s, "channelDescription", Self::text35);
        let payer = self.opt(&mut s, "payer", Self::subject);
        let payment_method = self.opt(&mut s, "paymentMethod", Self::text35);
        let payment_note = if v2 {
            self.opt(&mut s, "paymentNote", |d, e| d.string(e, 1, 210))
        } else {
            None
        };
        let fee = self.opt(&mut s, "fee", |d, e| d.amount(e, false));
        let (primary_ci_incurred_fee, id_bundle, id_ci_bundle) = if v2 {
            (
                self.opt(&mut s, "primaryCiIncurredFee", |d, e| d.amount(e, false)),
                self.opt(&mut s, "idBundle", Self::text70),
                self.opt(&mut s, "idCiBundle", Self::text70),
            )
        } else {
            (None, None, None)
        };
        let payment_date_time = self.opt(&mut s, "paymentDateTime", Self::date_time);
        let application_date = self.opt(&mut s, "applicationDate", Self::date);
        let transfer_date = self.opt(&mut s, "transferDate", Self::date);
        let metadata = self.opt(&mut s, "metadata", Self::metadata);
        let stand_in = self.opt(&mut s, "standIn", Self::boolean);
        self.finish(&s);
        self.check_sum(payment_amount, transfers.as_ref(), amount_offset);
        let transfers = transfers.and_then(|l| l.transfers);
        Some(Receipt {
            receipt_id: receipt_id?,
            notice_number: notice_number?,
            fiscal_code: fiscal_code?,
            outcome: outcome?,
            creditor_reference_id: creditor_reference_id?,
            payment_amount: payment_amount?,
            description: description?,
            company_name: company_name?,
            office_name,
            debtor: debtor?,
            transfers: transfers?,
            id_psp: id_psp?,
            psp_fiscal_code,
            psp_partita_iva,
            psp_company_name: psp_company_name?,
            id_channel: id_channel?,
            channel_description: channel_description?,
            payer,
            payment_method,
            payment_note,
            fee,
            primary_ci_incurred_fee,
            id_bundle,
            id_ci_bundle,
            payment_date_time,
            application_date,
            transfer_date,
            metadata: metadata.unwrap_or_default(),
            stand_in,
        })
    }

    /// `outcome` + `fault` of ctResponse, with the KO/OK rules of DOMAIN.md §4.
    fn response_head(
        &mut self,
        s: &mut Seq<'d, 'a>,
        wrapper_offset: usize,
    ) -> (Option<Outcome>, Option<FaultBean>) {
        let outcome = self.req(s, "outcome", Self::outcome);
        let fault_offset = s.here();
        let fault = self.opt(s, "fault", Self::fault);
        match (outcome, &fault) {
            (Some(Outcome::Ko), None) if !Self::present(s, "fault") => {
                self.semantic_child("fault", wrapper_offset, Rule::KoWithoutFault);
            }
            (Some(Outcome::Ok), Some(_)) => {
                self.semantic_child("fault", fault_offset, Rule::OkWithFault);
            }
            _ => {}
        }
        if let Some(f) = &fault {
            if !f.fault_code.is_paa() {
                self.enter("fault", None);
                self.push(
                    Some("faultCode"),
                    fault_offset,
                    Rule::FaultCodeNotPaa,
                    Kind::Semantic,
                    Severity::Warning,
                    Some(f.fault_code.as_str()),
                );
                self.leave();
            }
        }
        (outcome, fault)
    }

    fn require_on_ok<T>(
        &mut self,
        outcome: Option<Outcome>,
        value: &Option<T>,
        name: &str,
        offset: usize,
        present: bool,
    ) {
        if outcome == Some(Outcome::Ok) && value.is_none() && !present {
            self.semantic_child(name, offset, Rule::RequiredOnOk);
        }
    }

    /// Whether any child (in place or not) is named `name`.
    fn present(s: &Seq<'d, 'a>, name: &str) -> bool {
        let Some(slot) = s.names.iter().position(|n| *n == name).filter(|&i| i < 64) else {
            // Not a name of this sequence (or past the mask): look, as before.
            return s.all().any(|e| e.local == name);
        };
        let mask = match s.present.get() {
            Some(m) => m,
            None => {
                let mut m = 0u64;
                let mut last: Option<(&str, Option<usize>)> = None;
                for e in s.all() {
                    // Runs of one repeated name cost one comparison each.
                    let at = match last {
                        Some((n, at)) if n == e.local => at,
                        _ => s.names.iter().position(|n| *n == e.local),
                    };
                    last = Some((e.local, at));
                    if let Some(i) = at.filter(|&i| i < 64) {
                        m |= 1 << i;
                    }
                }
                s.present.set(Some(m));
                m
            }
        };
        mask & (1 << slot) != 0
    }

    // ---- wrappers --------------------------------------------------------------------------

    /// Decode the payload element for `prim`/`dir` into `out` (left as it was when the
    /// message is not valid); `el` is the wrapper element.
    ///
    /// Each variant is written straight into `out`: a `Message` is over a kilobyte whatever
    /// the variant, and returning one took two copies of all of it, then a third into
    /// [`crate::Parsed`].
    pub(crate) fn message(
        &mut self,
        out: &mut Option<Message>,
        el: &'d Element<'a>,
        prim: Primitive,
        dir: Direction,
    ) -> Option<()> {
        let mut s = self.seq(el, wrapper_names(prim, dir));
        let off = el.offset;
        match (prim, dir) {
            (Primitive::VerifyPaymentNotice, Direction::Request) => {
                let caller = self.caller(&mut s);
                let qr = self.req(&mut s, "qrCode", Self::qr_code);
                self.finish(&s);
                *out = Some(Message::VerifyPaymentNoticeReq(VerifyPaymentNoticeReq {
                    caller: caller?,
                    qr_code: qr?,
                }));
            }
            (Primitive::GetPayment | Primitive::GetPaymentV2, Direction::Request) => {
                let caller = self.caller(&mut s);
                let qr = self.req(&mut s, "qrCode", Self::qr_code);
                let amount = self.opt(&mut s, "amount", |d, e| d.amount(e, false));
                let payment_note = self.opt(&mut s, "paymentNote", |d, e| d.string(e, 1, 210));
                let transfer_type = self.opt(&mut s, "transferType", |d, e| {
                    d.enumeration(e, TransferType::VALUES).map(|i| {
                        if i == 0 {
                            TransferType::Postal
                        } else {
                            TransferType::Pagopa
                        }
                    })
                });
                let due_date = self.opt(&mut s, "dueDate", Self::date);
                self.finish(&s);
                let req = GetPaymentReq {
                    caller: caller?,
                    qr_code: qr?,
                    amount,
                    payment_note,
                    transfer_type,
                    due_date,
                };
                if prim == Primitive::GetPayment {
                    *out = Some(Message::GetPaymentReq(req));
                } else {
                    *out = Some(Message::GetPaymentV2Req(req));
                }
            }
            (Primitive::SendRt | Primitive::SendRtV2, Direction::Request) => {
                let caller = self.caller(&mut s);
                let v2 = prim == Primitive::SendRtV2;
                let receipt = self.req(&mut s, "receipt", |d, e| d.receipt(e, v2));
                self.finish(&s);
                let req = SendRtReq {
                    caller: caller?,
                    receipt: receipt?,
                };
                *out = Some(Message::send_rt_req(req, v2));
            }
            (Primitive::DemandPaymentNotice, Direction::Request) => {
                let caller = self.caller(&mut s);
                let id_servizio = self.req(&mut s, "idServizio", |d, e| d.string(e, 5, 5));
                let id_soggetto = self.req(&mut s, "idSoggettoServizio", |d, e| d.string(e, 5, 5));
                let dati = self.req(&mut s, "datiSpecificiServizioRequest", Self::base64);
                self.finish(&s);
                *out = Some(Message::DemandPaymentNoticeReq(DemandPaymentNoticeReq {
                    caller: caller?,
                    id_servizio: id_servizio?,
                    id_soggetto_servizio: id_soggetto?,
                    dati_specifici_servizio: dati?,
                }));
            }
            (Primitive::VerifyPaymentNotice, Direction::Response) => {
                let (outcome, fault) = self.response_head(&mut s, off);
                let pl_off = s.here();
                let payment_option = self.opt(&mut s, "paymentList", Self::payment_option_list);
                let payment_description = self.opt(&mut s, "paymentDescription", Self::text140);
                let fiscal_code_pa = self.opt(&mut s, "fiscalCodePA", Self::fiscal_code_pa);
                let company_name = self.opt(&mut s, "companyName", Self::text140);
                let office_name = self.opt(&mut s, "officeName", Self::text140);
                for (name, missing) in [
                    ("paymentList", !Self::present(&s, "paymentList")),
                    (
                        "paymentDescription",
                        !Self::present(&s, "paymentDescription"),
                    ),
                    ("fiscalCodePA", !Self::present(&s, "fiscalCodePA")),
                    ("companyName", !Self::present(&s, "companyName")),
                ] {
                    self.require_on_ok::<()>(outcome, &None, name, pl_off, !missing);
                }
                self.finish(&s);
                *out = Some(Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
                    outcome: outcome?,
                    fault,
                    payment_option,
                    payment_description,
                    fiscal_code_pa,
                    company_name,
                    office_name,
                }));
            }
            (Primitive::GetPayment | Primitive::GetPaymentV2, Direction::Response) => {
                let (outcome, fault) = self.response_head(&mut s, off);
                let data_off = s.here();
                let v2 = prim == Primitive::GetPaymentV2;
                let data = self.opt(&mut s, "data", |d, e| d.payment_data(e, v2));
                let present = Self::present(&s, "data");
                self.require_on_ok(outcome, &data, "data", data_off, present);
                self.finish(&s);
                let res = GetPaymentRes {
                    outcome: outcome?,
                    fault,
                    data,
                };
                *out = Some(Message::get_payment_res(res, v2));
            }
            (Primitive::SendRt | Primitive::SendRtV2, Direction::Response) => {
                let (outcome, fault) = self.response_head(&mut s, off);
                self.finish(&s);
                let res = SimpleRes {
                    outcome: outcome?,
                    fault,
                };
                if prim == Primitive::SendRtV2 {
                    *out = Some(Message::SendRtV2Res(res));
                } else {
                    *out = Some(Message::SendRtRes(res));
                }
            }
            (Primitive::DemandPaymentNotice, Direction::Response) => {
                let (outcome, fault) = self.response_head(&mut s, off);
                let here = s.here();
                let qr_code = self.opt(&mut s, "qrCode", Self::qr_code);
                let payment_option = self.opt(&mut s, "paymentList", Self::payment_option_list);
                let payment_description = self.opt(&mut s, "paymentDescription", Self::text140);
                let fiscal_code_pa = self.opt(&mut s, "fiscalCodePA", Self::fiscal_code_pa);
                let company_name = self.opt(&mut s, "companyName", Self::text140);
                let office_name = self.opt(&mut s, "officeName", Self::text140);
                for name in ["qrCode", "paymentList", "fiscalCodePA", "companyName"] {
                    let present = Self::present(&s, name);
                    self.require_on_ok::<()>(outcome, &None, name, here, present);
                }
                self.finish(&s);
                *out = Some(Message::DemandPaymentNoticeRes(DemandPaymentNoticeRes {
                    outcome: outcome?,
                    fault,
                    qr_code,
                    payment_option,
                    payment_description,
                    fiscal_code_pa,
                    company_name,
                    office_name,
                }));
            }
        }
        Some(())
    }
}
