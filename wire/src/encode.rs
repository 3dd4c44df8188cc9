//! Typed messages to XML, the way the Nodo and a careful EC write them: SOAP 1.1 envelope with
//! the customary `soapenv`/`pafn` prefixes, wrapper qualified, children unqualified, elements in
//! XSD sequence order.
//!
//! Other SOAP stacks pick other prefixes (JAX-WS writes `S:` and `ns2:`, .NET often a default
//! namespace on the wrapper), and a station must read them all, since namespaces are compared
//! by URI. [`Message::to_xml_with`] writes any of them, so the Nodo side can send them too.

use crate::fault::FaultBean;
use crate::message::{Message, Primitive};
use crate::model::*;
use crate::xml::{NS_PAFORNODE, NS_SOAP11};
use std::borrow::Cow;

/// The namespace prefixes a message is written with.
///
/// Where the paForNode namespace is declared follows the stacks that use the prefixes: with the
/// canonical ones, once on the Envelope (collaudo's canonical form, the shape SoapUI writes);
/// with any others, on the wrapper element itself, as JAX-WS, CXF and .NET write it. A station
/// that looks for a declaration in one place only is caught either way.
///
/// The empty prefix means a default namespace. `payload: ""` declares the paForNode namespace
/// as the default on the wrapper element (`<paVerifyPaymentNoticeReq xmlns="…paForNode.xsd">`).
/// paForNode.xsd has no `elementFormDefault`, so the wrapper's children must be in *no*
/// namespace: whenever a default namespace would be in scope on them (payload or envelope
/// prefix empty), each child of the wrapper undeclares it with `xmlns=""`, which its own
/// descendants inherit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefixes<'p> {
    /// Prefix of the SOAP 1.1 `Envelope`, `Header` and `Body`.
    pub envelope: &'p str,
    /// Prefix of the paForNode wrapper element.
    pub payload: &'p str,
}

impl Prefixes<'static> {
    /// `soapenv:` and `pafn:`, what [`Message::to_xml`] writes.
    pub const CANONICAL: Prefixes<'static> = Prefixes {
        envelope: "soapenv",
        payload: "pafn",
    };
    /// `S:` and `ns2:`, the JAX-WS (Metro) habit (`ns2` declared on the wrapper).
    pub const JAX_WS: Prefixes<'static> = Prefixes {
        envelope: "S",
        payload: "ns2",
    };
    /// `soapenv:` and the paForNode namespace as the wrapper's default namespace.
    pub const DEFAULT_NS: Prefixes<'static> = Prefixes {
        envelope: "soapenv",
        payload: "",
    };
}

impl Default for Prefixes<'static> {
    fn default() -> Self {
        Prefixes::CANONICAL
    }
}

/// Why a prefix cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// Not an XML NCName (a name without a colon): e.g. `1a`, `a:b`, `a b`.
    #[error("`{0}` is not a valid namespace prefix (an XML name without colon)")]
    NotAName(String),
    /// Prefixes starting with `xml`, in any case, are reserved by Namespaces in XML 1.0.
    #[error("`{0}` is a reserved prefix (prefixes starting with `xml` are reserved)")]
    Reserved(String),
}

fn check_prefix(p: &str) -> Result<(), PrefixError> {
    if p.is_empty() {
        return Ok(());
    }
    let start = |c: char| c == '_' || c.is_alphabetic();
    let rest = |c: char| start(c) || c.is_alphanumeric() || matches!(c, '-' | '.');
    let mut chars = p.chars();
    if !chars.next().is_some_and(start) || !chars.all(rest) {
        return Err(PrefixError::NotAName(p.to_string()));
    }
    if p.get(..3).is_some_and(|x| x.eq_ignore_ascii_case("xml")) {
        return Err(PrefixError::Reserved(p.to_string()));
    }
    Ok(())
}

impl Prefixes<'_> {
    /// Both prefixes are empty or XML names outside the reserved `xml…` ones.
    pub fn check(&self) -> Result<(), PrefixError> {
        check_prefix(self.envelope)?;
        check_prefix(self.payload)
    }
}

// The canonical names are spelled out so that writing the canonical form allocates no more
// than it did before prefixes could be chosen (every exchange writes one).

fn qualified<'n>(prefix: &str, local: &'n str) -> Cow<'n, str> {
    match (prefix, local) {
        ("", _) => Cow::Borrowed(local),
        ("soapenv", "Envelope") => Cow::Borrowed("soapenv:Envelope"),
        ("soapenv", "Header") => Cow::Borrowed("soapenv:Header"),
        ("soapenv", "Body") => Cow::Borrowed("soapenv:Body"),
        _ => Cow::Owned(format!("{prefix}:{local}")),
    }
}

/// A message's wrapper element with `prefix`: the canonical `pafn:` one is spelled out.
fn wrapper(m: &Message, prefix: &str) -> Cow<'static, str> {
    let (p, d) = m.kind();
    match prefix {
        "pafn" => Cow::Borrowed(p.canonical_element(d)),
        _ => qualified(prefix, p.element(d)),
    }
}

fn declaration(prefix: &str) -> Cow<'static, str> {
    match prefix {
        "" => Cow::Borrowed("xmlns"),
        "soapenv" => Cow::Borrowed("xmlns:soapenv"),
        "pafn" => Cow::Borrowed("xmlns:pafn"),
        _ => Cow::Owned(format!("xmlns:{prefix}")),
    }
}

/// The XML writer of every message collaudo sends. It writes straight into one buffer: the
/// reference station writes one answer per request, and quick-xml's event writer cost a
/// fifth of the station's time per verify (issue 9, "Performance"). The output is what
/// quick-xml's `Writer::new_with_indent(_, b' ', 2)` wrote, byte for byte (the snapshots and
/// `tests::same_bytes_as_quick_xml` hold it to that): a line break and two spaces per level
/// before every tag, except an end tag right after text.
struct Xw {
    out: String,
    /// Nesting depth of the next element opened.
    depth: usize,
    /// Whether the next tag starts on a new line (false at the start and right after text).
    line_break: bool,
    /// Elements opened at this depth undeclare the default namespace (`xmlns=""`).
    unqualify_at: Option<usize>,
}

/// A line break and the indentation for up to 32 levels, written with one copy; deeper levels
/// repeat the spaces.
const LINE: &str = "\n                                                                ";

/// An element name known at compile time, with its start and end tags spelled out, so that a
/// tag is one copy into the buffer rather than three. Made by `tag!`.
#[derive(Clone, Copy)]
struct Tag {
    name: &'static str,
    open: &'static str,
    close: &'static str,
}

macro_rules! tag {
    ($name:literal) => {
        Tag {
            name: $name,
            open: concat!("<", $name, ">"),
            close: concat!("</", $name, ">"),
        }
    };
}

impl Xw {
    fn new() -> Self {
        Self::with_capacity(2048)
    }

    fn with_capacity(bytes: usize) -> Self {
        Xw {
            out: String::with_capacity(bytes),
            depth: 0,
            line_break: false,
            unqualify_at: None,
        }
    }

    /// `<?xml version="1.0" encoding="UTF-8"?>`, first in every document.
    fn declaration(&mut self) {
        self.tag_start();
        self.out
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        self.line_break = true;
    }

    /// The line break and indentation due before a tag.
    fn tag_start(&mut self) {
        if self.line_break {
            let mut width = self.depth * 2;
            let first = width.min(LINE.len() - 1);
            self.out.push_str(&LINE[..1 + first]);
            width -= first;
            while width > 0 {
                let n = width.min(LINE.len() - 1);
                self.out.push_str(&LINE[1..1 + n]);
                width -= n;
            }
        }
    }

    /// `<name>` at the next depth, spelled out unless it must undeclare the default namespace.
    fn open_tag(&mut self, tag: Tag) {
        if self.unqualify_at == Some(self.depth) {
            return self.open(tag.name);
        }
        self.tag_start();
        self.out.push_str(tag.open);
        self.depth += 1;
        self.line_break = true;
    }

    fn close_tag(&mut self, tag: Tag) {
        self.depth = self.depth.saturating_sub(1);
        self.tag_start();
        self.out.push_str(tag.close);
        self.line_break = true;
    }

    fn leaf_tag(&mut self, tag: Tag, text: &str) {
        self.open_tag(tag);
        escape_into(&mut self.out, text, false);
        self.line_break = false;
        self.close_tag(tag);
    }

    fn opt_tag(&mut self, tag: Tag, text: Option<&str>) {
        if let Some(t) = text {
            self.leaf_tag(tag, t);
        }
    }

    fn open(&mut self, name: &str) {
        self.open_with(name, &[]);
    }

    fn open_with(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push('>');
        self.depth += 1;
        self.line_break = true;
    }

    /// `<name/>`.
    fn empty(&mut self, name: &str) {
        self.start_tag(name, &[]);
        self.out.push_str("/>");
        self.line_break = true;
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.tag_start();
        self.out.push('<');
        self.out.push_str(name);
        if self.unqualify_at == Some(self.depth) {
            self.out.push_str(" xmlns=\"\"");
        }
        for (key, value) in attrs {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            if matches!(*value, NS_SOAP11 | NS_PAFORNODE) {
                // The namespaces every envelope declares have nothing to escape; scanning
                // their hundred bytes was a tenth of writing an answer.
                self.out.push_str(value);
            } else {
                escape_into(&mut self.out, value, true);
            }
            self.out.push('"');
        }
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.tag_start();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self.line_break = true;
    }

    /// A leaf with a name known only at run time (tests; messages use [`Xw::leaf_tag`]).
    #[cfg(test)]
    fn leaf(&mut self, name: &str, text: &str) {
        self.open(name);
        escape_into(&mut self.out, text, false);
        self.line_break = false;
        self.close(name);
    }

    #[cfg(test)]
    fn opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.leaf(name, t);
        }
    }

    fn into_string(self) -> String {
        self.out
    }
}

/// Bytes escaped in text (`< > & ' "` and CR: a raw CR would come back as LF after XML
/// end-of-line normalisation).
const IN_TEXT: u8 = 1;
/// Bytes escaped in an attribute value: those of text, plus LF and TAB (attribute-value
/// normalisation would turn them into spaces).
const IN_ATTRIBUTE: u8 = 2;

/// Which bytes are escaped where, looked up once per byte: most values have nothing to
/// escape, and the scan is the whole cost of writing them.
const ESCAPED: [u8; 256] = {
    let mut table = [0u8; 256];
    let both = IN_TEXT | IN_ATTRIBUTE;
    table[b'<' as usize] = both;
    table[b'>' as usize] = both;
    table[b'&' as usize] = both;
    table[b'\'' as usize] = both;
    table[b'"' as usize] = both;
    table[b'\r' as usize] = both;
    table[b'\n' as usize] = IN_ATTRIBUTE;
    table[b'\t' as usize] = IN_ATTRIBUTE;
    table
};

/// Append `text` with the bytes [`ESCAPED`] marks for text or, when `attribute`, for an
/// attribute value, written as references.
fn escape_into(out: &mut String, text: &str, attribute: bool) {
    let mask = if attribute { IN_ATTRIBUTE } else { IN_TEXT };
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = first_escaped(&bytes[from..], mask) {
        let i = from + at;
        // Every escaped byte is ASCII, so `i` is on a char boundary.
        out.push_str(&text[from..i]);
        out.push_str(match bytes[i] {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'\'' => "&apos;",
            b'"' => "&quot;",
            b'\r' => "&#13;",
            b'\n' => "&#10;",
            _ => "&#9;",
        });
        from = i + 1;
    }
    out.push_str(&text[from..]);
}

/// The first byte of `bytes` that [`ESCAPED`] marks with `mask`. Eight bytes are looked up
/// before one test, since most values have nothing to escape.
fn first_escaped(bytes: &[u8], mask: u8) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut clean = 0;
    for chunk in &mut chunks {
        let marks = chunk
            .iter()
            .fold(0u8, |marks, &b| marks | ESCAPED[usize::from(b)]);
        if marks & mask != 0 {
            break;
        }
        clean += 8;
    }
    bytes[clean..]
        .iter()
        .position(|&b| ESCAPED[usize::from(b)] & mask != 0)
        .map(|at| clean + at)
}

fn caller(w: &mut Xw, c: &Caller) {
    w.leaf_tag(tag!("idPA"), &c.id_pa);
    w.leaf_tag(tag!("idBrokerPA"), &c.id_broker_pa);
    w.leaf_tag(tag!("idStation"), &c.id_station);
}

fn qr_code(w: &mut Xw, q: &QrCode) {
    w.open_tag(tag!("qrCode"));
    w.leaf_tag(tag!("fiscalCode"), &q.fiscal_code);
    w.leaf_tag(tag!("noticeNumber"), &q.notice_number);
    w.close_tag(tag!("qrCode"));
}

fn fault(w: &mut Xw, f: &FaultBean) {
    w.open_tag(tag!("fault"));
    w.leaf_tag(tag!("faultCode"), f.fault_code.as_str());
    w.leaf_tag(tag!("faultString"), &f.fault_string);
    w.leaf_tag(tag!("id"), &f.id);
    w.opt_tag(tag!("description"), f.description.as_deref());
    w.opt_tag(tag!("serial"), f.serial.map(|s| s.to_string()).as_deref());
    w.opt_tag(tag!("originalFaultCode"), f.original_fault_code.as_deref());
    w.opt_tag(
        tag!("originalFaultString"),
        f.original_fault_string.as_deref(),
    );
    w.opt_tag(
        tag!("originalDescription"),
        f.original_description.as_deref(),
    );
    w.close_tag(tag!("fault"));
}

fn head(w: &mut Xw, outcome: Outcome, f: Option<&FaultBean>) {
    w.leaf_tag(tag!("outcome"), outcome.as_str());
    if let Some(f) = f {
        fault(w, f);
    }
}

fn metadata(w: &mut Xw, entries: &[MapEntry]) {
    if entries.is_empty() {
        return;
    }
    w.open_tag(tag!("metadata"));
    for e in entries {
        w.open_tag(tag!("mapEntry"));
        w.leaf_tag(tag!("key"), &e.key);
        w.leaf_tag(tag!("value"), &e.value);
        w.close_tag(tag!("mapEntry"));
    }
    w.close_tag(tag!("metadata"));
}

fn payment_option(w: &mut Xw, o: &PaymentOption) {
    w.open_tag(tag!("paymentList"));
    w.open_tag(tag!("paymentOptionDescription"));
    w.leaf_tag(tag!("amount"), &o.amount.text());
    w.leaf_tag(tag!("options"), o.options.as_str());
    w.opt_tag(tag!("dueDate"), o.due_date.as_deref());
    w.opt_tag(tag!("detailDescription"), o.detail_description.as_deref());
    w.leaf_tag(tag!("allCCP"), if o.all_ccp { "true" } else { "false" });
    w.close_tag(tag!("paymentOptionDescription"));
    w.close_tag(tag!("paymentList"));
}

fn subject(w: &mut Xw, name: &str, s: &Subject) {
    w.open(name);
    w.open_tag(tag!("uniqueIdentifier"));
    w.leaf_tag(tag!("entityUniqueIdentifierType"), s.entity_type.as_str());
    w.leaf_tag(tag!("entityUniqueIdentifierValue"), &s.entity_value);
    w.close_tag(tag!("uniqueIdentifier"));
    w.leaf_tag(tag!("fullName"), &s.full_name);
    w.opt_tag(tag!("streetName"), s.street_name.as_deref());
    w.opt_tag(tag!("civicNumber"), s.civic_number.as_deref());
    w.opt_tag(tag!("postalCode"), s.postal_code.as_deref());
    w.opt_tag(tag!("city"), s.city.as_deref());
    w.opt_tag(
        tag!("stateProvinceRegion"),
        s.state_province_region.as_deref(),
    );
    w.opt_tag(tag!("country"), s.country.as_deref());
    w.opt_tag(tag!("e-mail"), s.email.as_deref());
    w.close(name);
}

fn transfers(w: &mut Xw, list: &[Transfer], v2: bool) {
    w.open_tag(tag!("transferList"));
    for t in list {
        w.open_tag(tag!("transfer"));
        w.leaf_tag(tag!("idTransfer"), &t.id_transfer.to_string());
        w.leaf_tag(tag!("transferAmount"), &t.transfer_amount.text());
        w.leaf_tag(tag!("fiscalCodePA"), &t.fiscal_code_pa);
        if v2 {
            w.opt_tag(tag!("companyName"), t.company_name.as_deref());
        }
        match &t.beneficiary {
            Beneficiary::Iban(iban) => w.leaf_tag(tag!("IBAN"), iban),
            Beneficiary::MarcaDaBollo(m) => {
                w.open_tag(tag!("richiestaMarcaDaBollo"));
                w.leaf_tag(tag!("hashDocumento"), &m.hash_documento);
                w.leaf_tag(tag!("tipoBollo"), &m.tipo_bollo);
                w.leaf_tag(tag!("provinciaResidenza"), &m.provincia_residenza);
                w.close_tag(tag!("richiestaMarcaDaBollo"));
            }
            Beneficiary::MbdAttachment(b64) => w.leaf_tag(tag!("MBDAttachment"), b64),
        }
        w.leaf_tag(tag!("remittanceInformation"), &t.remittance_information);
        w.leaf_tag(tag!("transferCategory"), &t.transfer_category);
        metadata(w, &t.metadata);
        w.close_tag(tag!("transfer"));
    }
    w.close_tag(tag!("transferList"));
}

fn payment_data(w: &mut Xw, d: &PaymentData, v2: bool) {
    w.open_tag(tag!("data"));
    w.leaf_tag(tag!("creditorReferenceId"), &d.creditor_reference_id);
    w.leaf_tag(tag!("paymentAmount"), &d.payment_amount.text());
    w.leaf_tag(tag!("dueDate"), &d.due_date);
    w.opt_tag(tag!("retentionDate"), d.retention_date.as_deref());
    w.opt_tag(
        tag!("lastPayment"),
        d.last_payment.map(|b| if b { "true" } else { "false" }),
    );
    w.leaf_tag(tag!("description"), &d.description);
    w.opt_tag(tag!("companyName"), d.company_name.as_deref());
    w.opt_tag(tag!("officeName"), d.office_name.as_deref());
    subject(w, "debtor", &d.debtor);
    transfers(w, &d.transfers, v2);
    metadata(w, &d.metadata);
    w.close_tag(tag!("data"));
}

fn receipt(w: &mut Xw, r: &Receipt, v2: bool) {
    let amount = |a: Option<crate::Amount>| a.map(|a| a.to_string());
    w.open_tag(tag!("receipt"));
    w.leaf_tag(tag!("receiptId"), &r.receipt_id);
    w.leaf_tag(tag!("noticeNumber"), &r.notice_number);
    w.leaf_tag(tag!("fiscalCode"), &r.fiscal_code);
    w.leaf_tag(tag!("outcome"), r.outcome.as_str());
    w.leaf_tag(tag!("creditorReferenceId"), &r.creditor_reference_id);
    w.leaf_tag(tag!("paymentAmount"), &r.payment_amount.text());
    w.leaf_tag(tag!("description"), &r.description);
    w.leaf_tag(tag!("companyName"), &r.company_name);
    w.opt_tag(tag!("officeName"), r.office_name.as_deref());
    subject(w, "debtor", &r.debtor);
    transfers(w, &r.transfers, v2);
    w.leaf_tag(tag!("idPSP"), &r.id_psp);
    w.opt_tag(tag!("pspFiscalCode"), r.psp_fiscal_code.as_deref());
    w.opt_tag(tag!("pspPartitaIVA"), r.psp_partita_iva.as_deref());
    w.leaf_tag(tag!("PSPCompanyName"), &r.psp_company_name);
    w.leaf_tag(tag!("idChannel"), &r.id_channel);
    w.leaf_tag(tag!("channelDescription"), &r.channel_description);
    if let Some(p) = &r.payer {
        subject(w, "payer", p);
    }
    w.opt_tag(tag!("paymentMethod"), r.payment_method.as_deref());
    if v2 {
        w.opt_tag(tag!("paymentNote"), r.payment_note.as_deref());
    }
    w.opt_tag(tag!("fee"), amount(r.fee).as_deref());
    if v2 {
        w.opt_tag(
            tag!("primaryCiIncurredFee"),
            amount(r.primary_ci_incurred_fee).as_deref(),
        );
        w.opt_tag(tag!("idBundle"), r.id_bundle.as_deref());
        w.opt_tag(tag!("idCiBundle"), r.id_ci_bundle.as_deref());
    }
    w.opt_tag(tag!("paymentDateTime"), r.payment_date_time.as_deref());
    w.opt_tag(tag!("applicationDate"), r.application_date.as_deref());
    w.opt_tag(tag!("transferDate"), r.transfer_date.as_deref());
    metadata(w, &r.metadata);
    w.opt_tag(
        tag!("standIn"),
        r.stand_in.map(|b| if b { "true" } else { "false" }),
    );
    w.close_tag(tag!("receipt"));
}

fn body(w: &mut Xw, m: &Message) {
    match m {
        Message::VerifyPaymentNoticeReq(r) => {
            caller(w, &r.caller);
            qr_code(w, &r.qr_code);
        }
        Message::GetPaymentReq(r) | Message::GetPaymentV2Req(r) => {
            caller(w, &r.caller);
            qr_code(w, &r.qr_code);
            w.opt_tag(tag!("amount"), r.amount.map(|a| a.to_string()).as_deref());
            w.opt_tag(tag!("paymentNote"), r.payment_note.as_deref());
            w.opt_tag(
                tag!("transferType"),
                r.transfer_type.map(TransferType::as_str),
            );
            w.opt_tag(tag!("dueDate"), r.due_date.as_deref());
        }
        Message::SendRtReq(r) => {
            caller(w, &r.caller);
            receipt(w, &r.receipt, false);
        }
        Message::SendRtV2Req(r) => {
            caller(w, &r.caller);
            receipt(w, &r.receipt, true);
        }
        Message::DemandPaymentNoticeReq(r) => {
            caller(w, &r.caller);
            w.leaf_tag(tag!("idServizio"), &r.id_servizio);
            w.leaf_tag(tag!("idSoggettoServizio"), &r.id_soggetto_servizio);
            w.leaf_tag(
                tag!("datiSpecificiServizioRequest"),
                &r.dati_specifici_servizio,
            );
        }
        Message::VerifyPaymentNoticeRes(r) => {
            head(w, r.outcome, r.fault.as_ref());
            if let Some(o) = &r.payment_option {
                payment_option(w, o);
            }
            w.opt_tag(tag!("paymentDescription"), r.payment_description.as_deref());
            w.opt_tag(tag!("fiscalCodePA"), r.fiscal_code_pa.as_deref());
            w.opt_tag(tag!("companyName"), r.company_name.as_deref());
            w.opt_tag(tag!("officeName"), r.office_name.as_deref());
        }
        Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r) => {
            head(w, r.outcome, r.fault.as_ref());
            if let Some(d) = &r.data {
                payment_data(w, d, matches!(m, Message::GetPaymentV2Res(_)));
            }
        }
        Message::SendRtRes(r) | Message::SendRtV2Res(r) => head(w, r.outcome, r.fault.as_ref()),
        Message::DemandPaymentNoticeRes(r) => {
            head(w, r.outcome, r.fault.as_ref());
            if let Some(q) = &r.qr_code {
                qr_code(w, q);
            }
            if let Some(o) = &r.payment_option {
                payment_option(w, o);
            }
            w.opt_tag(tag!("paymentDescription"), r.payment_description.as_deref());
            w.opt_tag(tag!("fiscalCodePA"), r.fiscal_code_pa.as_deref());
            w.opt_tag(tag!("companyName"), r.company_name.as_deref());
            w.opt_tag(tag!("officeName"), r.office_name.as_deref());
        }
    }
}

impl Message {
    /// The message in a SOAP 1.1 envelope, as sent on the wire, with the canonical prefixes
    /// ([`Prefixes::CANONICAL`]).
    pub fn to_xml(&self) -> String {
        self.envelope_xml(Prefixes::CANONICAL)
    }

    /// The message in a SOAP 1.1 envelope written with `prefixes`; the same message, as a
    /// namespace-aware reader sees it, as [`Message::to_xml`].
    pub fn to_xml_with(&self, prefixes: Prefixes<'_>) -> Result<String, PrefixError> {
        prefixes.check()?;
        Ok(self.envelope_xml(prefixes))
    }

    fn envelope_xml(&self, p: Prefixes<'_>) -> String {
        let mut w = Xw::with_capacity(self.capacity_hint());
        w.declaration();
        let envelope = qualified(p.envelope, "Envelope");
        let soap_body = qualified(p.envelope, "Body");
        let env_decl = declaration(p.envelope);
        let payload_on_wrapper = p != Prefixes::CANONICAL;
        let payload_decl = declaration(p.payload);
        let attrs = [
            (env_decl.as_ref(), NS_SOAP11),
            (payload_decl.as_ref(), NS_PAFORNODE),
        ];
        w.open_with(&envelope, &attrs[..if payload_on_wrapper { 1 } else { 2 }]);
        w.empty(&qualified(p.envelope, "Header"));
        w.open(&soap_body);
        let wrapper = wrapper(self, p.payload);
        let wrapper_attrs: &[(&str, &str)] = if payload_on_wrapper {
            &[(payload_decl.as_ref(), NS_PAFORNODE)]
        } else {
            &[]
        };
        w.open_with(&wrapper, wrapper_attrs);
        if p.payload.is_empty() || p.envelope.is_empty() {
            w.unqualify_at = Some(w.depth);
        }
        body(&mut w, self);
        w.unqualify_at = None;
        w.close(&wrapper);
        w.close(&soap_body);
        w.close(&envelope);
        w.into_string()
    }

    /// Room for the envelope written in one piece. Verify answers and every message without
    /// payment data are under 1 000 bytes, and a buffer that small is served from the
    /// allocator's per-thread cache; larger ones take glibc's slower path, worth it only when
    /// the message needs the room. (The reference station writes a verify answer per request,
    /// issue 9, "Performance".)
    fn capacity_hint(&self) -> usize {
        match self {
            Message::GetPaymentRes(_)
            | Message::GetPaymentV2Res(_)
            | Message::SendRtReq(_)
            | Message::SendRtV2Req(_)
            | Message::DemandPaymentNoticeRes(_) => 4096,
            _ => 1000,
        }
    }

    /// Only the wrapper element, with its own namespace declaration: what `xmllint --schema
    /// paForNode.xsd` can validate (the XSD does not cover the SOAP envelope).
    pub fn to_payload_xml(&self) -> String {
        self.payload_xml(Prefixes::CANONICAL.payload)
    }

    /// As [`Message::to_payload_xml`], with the wrapper's prefix taken from
    /// `prefixes.payload` (the envelope prefix is not used).
    pub fn to_payload_xml_with(&self, prefixes: Prefixes<'_>) -> Result<String, PrefixError> {
        check_prefix(prefixes.payload)?;
        Ok(self.payload_xml(prefixes.payload))
    }

    fn payload_xml(&self, prefix: &str) -> String {
        let mut w = Xw::new();
        w.declaration();
        let wrapper = wrapper(self, prefix);
        w.open_with(&wrapper, &[(declaration(prefix).as_ref(), NS_PAFORNODE)]);
        if prefix.is_empty() {
            w.unqualify_at = Some(w.depth);
        }
        body(&mut w, self);
        w.unqualify_at = None;
        w.close(&wrapper);
        w.into_string()
    }
}

/// A SOAP 1.1 Fault envelope (what a badly behaved station sends; also what the mock Nodo sends
/// for a request it cannot even route).
pub fn soap_fault_xml(faultcode: &str, faultstring: &str) -> String {
    let mut w = Xw::new();
    w.declaration();
    w.open_with("soapenv:Envelope", &[("xmlns:soapenv", NS_SOAP11)]);
    w.open_tag(tag!("soapenv:Body"));
    w.open_tag(tag!("soapenv:Fault"));
    w.leaf_tag(tag!("faultcode"), faultcode);
    w.leaf_tag(tag!("faultstring"), faultstring);
    w.close_tag(tag!("soapenv:Fault"));
    w.close_tag(tag!("soapenv:Body"));
    w.close_tag(tag!("soapenv:Envelope"));
    w.into_string()
}

/// The SOAPAction header value the Nodo sends: the operation name in quotes.
pub fn soap_action(p: Primitive) -> String {
    format!("\"{}\"", p.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use quick_xml::Writer;
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

    /// What `Xw` replaced: quick-xml's indenting writer, driven with the same calls.
    fn reference(leaves: &[(String, String)], attr: &str) -> String {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        let mut ev = |e: Event<'_>| w.write_event(e).unwrap();
        ev(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        let mut root = BytesStart::new("soapenv:Envelope");
        root.push_attribute(("xmlns:x", attr));
        ev(Event::Start(root));
        ev(Event::Empty(BytesStart::new("soapenv:Header")));
        ev(Event::Start(BytesStart::new("outer")));
        for (name, text) in leaves {
            let mut start = BytesStart::new(name.as_str());
            start.push_attribute(("xmlns", ""));
            ev(Event::Start(start));
            let escaped = quick_xml::escape::escape(text.as_str());
            ev(Event::Text(BytesText::from_escaped(escaped)));
            ev(Event::End(BytesEnd::new(name.as_str())));
        }
        ev(Event::End(BytesEnd::new("outer")));
        ev(Event::End(BytesEnd::new("soapenv:Envelope")));
        String::from_utf8(w.into_inner()).unwrap()
    }

    fn ours(leaves: &[(String, String)], attr: &str) -> String {
        let mut w = Xw::new();
        w.declaration();
        w.open_with("soapenv:Envelope", &[("xmlns:x", attr)]);
        w.empty("soapenv:Header");
        w.open("outer");
        w.unqualify_at = Some(w.depth);
        for (name, text) in leaves {
            w.leaf(name, text);
        }
        w.unqualify_at = None;
        w.close("outer");
        w.close("soapenv:Envelope");
        w.into_string()
    }

    proptest! {
        #[test]
        fn same_bytes_as_quick_xml(
            leaves in proptest::collection::vec(("[a-zA-Z][a-zA-Z0-9]{0,8}", any::<String>()), 0..6),
            attr in "[ -~\t\r\n]{0,20}",
        ) {
            prop_assert_eq!(ours(&leaves, &attr), reference(&leaves, &attr));
        }
    }

    /// The spelled-out tags write what the name-based calls write, also where the default
    /// namespace is undeclared and at depths past the indentation table.
    #[test]
    fn spelled_out_tags_write_what_names_write() {
        let by_tag = |depth: usize, unqualify: bool| {
            let mut w = Xw::new();
            w.depth = depth;
            w.line_break = true;
            w.unqualify_at = unqualify.then_some(depth);
            w.open_tag(tag!("qrCode"));
            w.leaf_tag(tag!("noticeNumber"), "3<0&1");
            w.opt_tag(tag!("absent"), None);
            w.close_tag(tag!("qrCode"));
            w.into_string()
        };
        let by_name = |depth: usize, unqualify: bool| {
            let mut w = Xw::new();
            w.depth = depth;
            w.line_break = true;
            w.unqualify_at = unqualify.then_some(depth);
            w.open("qrCode");
            w.leaf("noticeNumber", "3<0&1");
            w.opt("absent", None);
            w.close("qrCode");
            w.into_string()
        };
        for depth in [0, 1, 5, 31, 32, 33, 70] {
            for unqualify in [false, true] {
                assert_eq!(by_tag(depth, unqualify), by_name(depth, unqualify));
            }
        }
        assert!(by_tag(2, true).contains("<qrCode xmlns=\"\">"));
    }

    #[test]
    fn every_wrapper_has_its_canonical_name_spelled_out() {
        for p in crate::Primitive::ALL {
            for d in [crate::Direction::Request, crate::Direction::Response] {
                let local = p.element(d);
                assert_eq!(p.canonical_element(d), format!("pafn:{local}"));
            }
        }
        assert_eq!(qualified("pafn", "other"), "pafn:other");
    }

    proptest! {
        #[test]
        fn the_chunked_search_finds_the_first_escaped_byte(
            text in "[a-z0-9 <>&'\"\r\n\t]{0,40}",
            attribute in any::<bool>(),
        ) {
            let mask = if attribute { IN_ATTRIBUTE } else { IN_TEXT };
            let naive = text.bytes().position(|b| ESCAPED[usize::from(b)] & mask != 0);
            prop_assert_eq!(first_escaped(text.as_bytes(), mask), naive);
        }
    }

    #[test]
    fn every_special_character_is_escaped() {
        let mut out = String::new();
        escape_into(&mut out, "a<b>&'\"\r\n\tz", false);
        assert_eq!(out, "a&lt;b&gt;&amp;&apos;&quot;&#13;\n\tz");
        out.clear();
        escape_into(&mut out, "\r\n\t€", true);
        assert_eq!(out, "&#13;&#10;&#9;€");
    }

    #[test]
    fn deep_nesting_is_indented_past_the_spaces_table() {
        let mut w = Xw::new();
        for _ in 0..40 {
            w.open("a");
        }
        w.leaf("b", "x");
        let out = w.into_string();
        assert!(
            out.ends_with(&format!("\n{}<b>x</b>", " ".repeat(80))),
            "{out}"
        );
    }
}
