//! The mutations: byte-level havoc plus the structural shapes that break XML and JSON readers
//! (sibling blow-up, deep nesting, huge names, many namespace declarations, forbidden
//! characters, invalid UTF-8).
//!
//! A mutation never grows an input beyond [`Mutator::max_len`]; the blow-up mutations size
//! their repetition to fit.

use rand::Rng;
use rand::rngs::SmallRng;

/// What the bytes are meant to be, which decides the structural mutations and the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A SOAP message.
    Xml,
    /// An ACA `paCreatePosition` JSON body.
    Json,
}

/// Default bound on a mutated input: 1 MiB, the body limit of the mock ACA and the order of
/// what the Nodo accepts from a station.
pub const DEFAULT_MAX_LEN: usize = 1 << 20;

/// Tokens for any XML input: element names of `paForNode.xsd`, markup the reader must refuse
/// or tolerate, namespace URIs and values at the edges of the facets.
const XML_TOKENS: &[&str] = &[
    // wrappers
    "paVerifyPaymentNoticeReq",
    "paVerifyPaymentNoticeRes",
    "paGetPaymentReq",
    "paGetPaymentRes",
    "paGetPaymentV2Request",
    "paGetPaymentV2Response",
    "paSendRTReq",
    "paSendRTRes",
    "paSendRTV2Request",
    "paSendRTV2Response",
    "paDemandPaymentNoticeRequest",
    "paDemandPaymentNoticeResponse",
    "Envelope",
    "Header",
    "Body",
    "Fault",
    "faultcode",
    "faultstring",
    // elements
    "outcome",
    "fault",
    "faultCode",
    "faultString",
    "id",
    "description",
    "serial",
    "originalFaultCode",
    "paymentList",
    "paymentOptionDescription",
    "amount",
    "options",
    "dueDate",
    "detailDescription",
    "allCCP",
    "paymentDescription",
    "fiscalCodePA",
    "companyName",
    "officeName",
    "data",
    "creditorReferenceId",
    "paymentAmount",
    "retentionDate",
    "lastPayment",
    "debtor",
    "payer",
    "uniqueIdentifier",
    "entityUniqueIdentifierType",
    "entityUniqueIdentifierValue",
    "fullName",
    "streetName",
    "civicNumber",
    "postalCode",
    "city",
    "stateProvinceRegion",
    "country",
    "e-mail",
    "transferList",
    "transfer",
    "idTransfer",
    "transferAmount",
    "IBAN",
    "richiestaMarcaDaBollo",
    "hashDocumento",
    "tipoBollo",
    "provinciaResidenza",
    "MBDAttachment",
    "remittanceInformation",
    "transferCategory",
    "metadata",
    "mapEntry",
    "key",
    "value",
    "receipt",
    "receiptId",
    "noticeNumber",
    "fiscalCode",
    "idPSP",
    "pspFiscalCode",
    "pspCompanyName",
    "idChannel",
    "channelDescription",
    "paymentMethod",
    "fee",
    "paymentDateTime",
    "applicationDate",
    "transferDate",
    "standIn",
    "qrCode",
    "idPA",
    "idBrokerPA",
    "idStation",
    "transferType",
    "idServizio",
    "idSoggettoServizio",
    "datiSpecificiServizioRequest",
    // markup
    "<![CDATA[x]]>",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE a [<!ENTITY e \"x\">]>",
    "&e;",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
    "<!-- c -->",
    "<!--",
    "<?pi x?>",
    "<x/>",
    "</x>",
    "/>",
    " a=\"1\"",
    " a='1' a='2'",
    " xmlns=\"\"",
    " xmlns:p=\"\"",
    " xsi:nil=\"true\"",
    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"",
    " xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"",
    " xmlns:pafn=\"http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd\"",
    "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.w3.org/2003/05/soap-envelope",
    "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd",
    "soapenv:",
    "pafn:",
    "xml:",
    "xmlns:",
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&apos;",
    "&#65;",
    "&#x10FFFF;",
    "&#x110000;",
    "&#xD800;",
    "&#0;",
    "&#;",
    "&#x;",
    "&#99999999999999999999;",
    "&unknown;",
    // values
    "OK",
    "KO",
    "EQ",
    "LS",
    "GT",
    "F",
    "G",
    "true",
    "false",
    "0",
    "1",
    "6",
    "-1",
    "30.00",
    "0.00",
    "0.01",
    "-0.01",
    "11,34",
    "999999999.99",
    "1000000000.00",
    "99999999999999999999999999.99",
    "1e3",
    "NaN",
    " 30.00 ",
    "2026-12-31",
    "2026-02-30",
    "2026-12-31T23:59:59",
    "2026-12-31T23:59:59.999+01:00",
    "9999-99-99",
    "PAA_PAGAMENTO_SCONOSCIUTO",
    "PAA_SYSTEM_ERROR",
    "PAA_SINTASSI_XSD",
    "PPT_ERRORE_EMESSO_DA_PAA",
    "77777777777",
    "777777777777",
    "01234567891",
    "301000000000000144",
    "01000000000000144",
    "IT60X0542811101000000123456",
    "IT60X0542811101000000123457",
    "RSSMRA85T10A562S",
    "0101101IM",
    "9/0101101IM/",
    "PAGOPA",
    "POSTAL",
    "00001",
    "PG1hcmNhPjwvbWFyY2E+",
    "====",
    "\u{e8}",
    "\u{1F600}",
    "\u{FEFF}",
];

/// Tokens for a JSON body: the request's keys, values of every type at the edges of the
/// schema, and JSON punctuation.
const JSON_TOKENS: &[&str] = &[
    "\"paFiscalCode\"",
    "\"entityType\"",
    "\"entityFiscalCode\"",
    "\"entityFullName\"",
    "\"iuv\"",
    "\"nav\"",
    "\"amount\"",
    "\"description\"",
    "\"expirationDate\"",
    "\"iban\"",
    "\"postalIban\"",
    "\"switchToExpired\"",
    "\"payStandIn\"",
    "\"unknownKey\"",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "-1",
    "1.5",
    "1e2",
    "1e309",
    "-1e309",
    "99999999999",
    "100000000000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "\"\"",
    "\"F\"",
    "\"G\"",
    "\"H\"",
    "\"77777777777\"",
    "\"IT60X0542811101000000123456\"",
    "\"2025-12-31T23:59:59Z\"",
    "\"2025-12-31T23:59:59.000+01:00\"",
    "\"2025-02-30T00:00:00+01:00\"",
    "\"2025-12-31T24:00:00Z\"",
    "\"2025-12-31\"",
    "\"\\ud800\"",
    "\"\\udc00\\ud800\"",
    "\"\\u0000\"",
    "\"\\\"\"",
    "\"\\x\"",
    "[]",
    "{}",
    "[null]",
    "{\"a\":{}}",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\u{e8}",
    "\u{FEFF}",
];

/// Characters and references XML forbids, or that only a careless reader lets through.
const FORBIDDEN_XML: &[&[u8]] = &[
    b"\0",
    b"\x1b",
    b"\x08",
    b"\x7f",
    b"&",
    b"<",
    b">",
    b"]]>",
    b"&#0;",
    b"&#27;",
    b"&#xFFFE;",
    b"&#xFFFF;",
    "\u{FFFE}".as_bytes(),
    "\u{FFFF}".as_bytes(),
    "\u{85}".as_bytes(),
    "\u{2028}".as_bytes(),
    b"\r",
    b"\r\n",
    b"\t",
];

/// Byte sequences that are not UTF-8, or are UTF-8 a reader may mishandle.
const BAD_UTF8: &[&[u8]] = &[
    b"\xff",
    b"\xfe",
    b"\xc3",
    b"\xc3\x28",
    b"\xc0\x80",
    b"\xe0\x80\x80",
    b"\xed\xa0\x80",
    b"\xed\xbf\xbf",
    b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\x80",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xff\xfe\x00\x00",
];

/// Single bytes worth setting anywhere.
const INTERESTING_BYTES: &[u8] = &[
    0, 0x09, 0x0a, 0x0d, b' ', b'"', b'\'', b'&', b'/', b':', b'<', b'=', b'>', b'?', b'!', b'[',
    b']', b'{', b'}', b',', b'\\', b'-', b'.', b'0', b'9', b'a', b'Z', 0x7f, 0x80, 0xc3, 0xff,
];

/// The mutation operators, chosen by weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    FlipBit,
    SetByte,
    InsertRandom,
    DeleteRange,
    DuplicateRange,
    Splice,
    InsertForbidden,
    InsertToken,
    ReplaceToken,
    ReplaceValue,
    Repeat,
    DeepNesting,
    HugeName,
    ManyDeclarations,
    Truncate,
    InvalidUtf8,
}

/// (operator, weight) of the stacked, small mutations.
const OPS: &[(Op, u32)] = &[
    (Op::FlipBit, 4),
    (Op::SetByte, 4),
    (Op::InsertRandom, 2),
    (Op::DeleteRange, 4),
    (Op::DuplicateRange, 3),
    (Op::Splice, 3),
    (Op::InsertForbidden, 3),
    (Op::InsertToken, 6),
    (Op::ReplaceToken, 6),
    (Op::ReplaceValue, 6),
    (Op::Truncate, 2),
    (Op::InvalidUtf8, 2),
];

/// (operator, weight) of the blow-ups, at most one per input.
const BLOW_UPS: &[(Op, u32)] = &[
    (Op::Repeat, 3),
    (Op::DeepNesting, 1),
    (Op::HugeName, 1),
    (Op::ManyDeclarations, 2),
];

/// One input in this many gets a blow-up. A blow-up makes an input of tens or hundreds of
/// kilobytes, slow to judge in a debug build: more often and they would take most of the
/// time budget.
const BLOW_UP_ONE_IN: u32 = 20;

/// Mutates inputs of one [`Format`].
#[derive(Debug, Clone)]
pub struct Mutator {
    format: Format,
    max_len: usize,
}

impl Mutator {
    /// A mutator for `format` whose outputs never exceed `max_len` bytes.
    pub fn new(format: Format, max_len: usize) -> Self {
        Mutator {
            format,
            max_len: max_len.max(1),
        }
    }

    /// The largest input this mutator makes.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    fn tokens(&self) -> &'static [&'static str] {
        match self.format {
            Format::Xml => XML_TOKENS,
            Format::Json => JSON_TOKENS,
        }
    }

    /// Apply one to eight stacked mutations to `input`, then, one time in 20, a blow-up
    /// (repetition, nesting, huge name, many declarations or keys); `other` is a second corpus
    /// entry for splicing.
    pub fn mutate(&self, rng: &mut SmallRng, input: &mut Vec<u8>, other: &[u8]) {
        let stack = 1usize << rng.random_range(0..4u32);
        for _ in 0..stack {
            let op = pick(rng, OPS);
            self.apply(op, rng, input, other);
            input.truncate(self.max_len);
        }
        if rng.random_ratio(1, BLOW_UP_ONE_IN) {
            let op = pick(rng, BLOW_UPS);
            self.apply(op, rng, input, other);
            input.truncate(self.max_len);
        }
    }

    fn apply(&self, op: Op, rng: &mut SmallRng, input: &mut Vec<u8>, other: &[u8]) {
        match op {
            Op::FlipBit => {
                if !input.is_empty() {
                    let i = rng.random_range(0..input.len());
                    input[i] ^= 1 << rng.random_range(0..8u32);
                }
            }
            Op::SetByte => {
                if !input.is_empty() {
                    let i = rng.random_range(0..input.len());
                    input[i] = INTERESTING_BYTES[rng.random_range(0..INTERESTING_BYTES.len())];
                }
            }
            Op::InsertRandom => {
                let n = rng.random_range(1..=16usize);
                let bytes: Vec<u8> = (0..n).map(|_| rng.random::<u8>()).collect();
                let at = position(rng, input);
                self.insert(input, at, &bytes);
            }
            Op::DeleteRange => {
                if !input.is_empty() {
                    let (start, end) = range(rng, input.len());
                    input.drain(start..end);
                }
            }
            Op::DuplicateRange => {
                if !input.is_empty() {
                    let (start, end) = range(rng, input.len());
                    let copy = input[start..end].to_vec();
                    let at = position(rng, input);
                    self.insert(input, at, &copy);
                }
            }
            Op::Splice => splice(rng, input, other, self.max_len),
            Op::InsertForbidden => {
                let token = match self.format {
                    Format::Xml => FORBIDDEN_XML[rng.random_range(0..FORBIDDEN_XML.len())],
                    Format::Json => &b"\0\x1b\"\\\n\t"[rng.random_range(0..6usize)..][..1],
                };
                let at = self.text_position(rng, input);
                self.insert(input, at, token);
            }
            Op::InsertToken => {
                let tokens = self.tokens();
                let token = tokens[rng.random_range(0..tokens.len())];
                let at = self.text_position(rng, input);
                self.insert(input, at, token.as_bytes());
            }
            Op::ReplaceToken => self.replace_token(rng, input),
            Op::ReplaceValue => self.replace_value(rng, input),
            Op::Repeat => match self.format {
                Format::Xml => self.repeat_element(rng, input),
                Format::Json => self.repeat_member(rng, input),
            },
            Op::DeepNesting => self.deep_nesting(rng, input),
            Op::HugeName => self.huge_name(rng, input),
            Op::ManyDeclarations => match self.format {
                Format::Xml => self.many_declarations(rng, input),
                Format::Json => self.many_keys(rng, input),
            },
            Op::Truncate => {
                if !input.is_empty() {
                    let at = rng.random_range(0..input.len());
                    input.truncate(at);
                }
            }
            Op::InvalidUtf8 => {
                let token = BAD_UTF8[rng.random_range(0..BAD_UTF8.len())];
                if rng.random_bool(0.2) {
                    self.insert(input, 0, token);
                } else {
                    let at = position(rng, input);
                    self.insert(input, at, token);
                }
            }
        }
    }

    /// Insert `bytes` at `at` if the result fits, otherwise as much of it as fits.
    fn insert(&self, input: &mut Vec<u8>, at: usize, bytes: &[u8]) {
        let room = self.max_len.saturating_sub(input.len());
        let bytes = &bytes[..bytes.len().min(room)];
        let at = at.min(input.len());
        input.splice(at..at, bytes.iter().copied());
    }

    /// A position where inserted text lands inside markup or a value rather than at random:
    /// right after a `>` or a `<` (XML) or after a `:`, `,`, `{` or `[` (JSON), half the time.
    fn text_position(&self, rng: &mut SmallRng, input: &[u8]) -> usize {
        let at = position(rng, input);
        if rng.random_bool(0.5) {
            return at;
        }
        let marks: &[u8] = match self.format {
            Format::Xml => b"<>",
            Format::Json => b":,{[",
        };
        input[at..]
            .iter()
            .position(|b| marks.contains(b))
            .map_or(at, |i| at + i + 1)
    }

    /// Replace one occurrence of a token with another token (an element name with another, a
    /// value with another, a namespace URI with another).
    fn replace_token(&self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let tokens = self.tokens();
        let start = position(rng, input);
        // Look for any token from a random start; a handful of tries is enough.
        for _ in 0..8 {
            let from = tokens[rng.random_range(0..tokens.len())].as_bytes();
            if let Some(i) = find(&input[start..], from) {
                let to = tokens[rng.random_range(0..tokens.len())].as_bytes();
                let at = start + i;
                input.splice(at..at + from.len(), to.iter().copied());
                return;
            }
        }
    }

    /// Replace a text value (XML: between `>` and `<`; JSON: after a `:` up to `,` or `}`)
    /// with a value at the edge of some facet, a long run or an empty string.
    fn replace_value(&self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let start = position(rng, input);
        let (open, close): (&[u8], &[u8]) = match self.format {
            Format::Xml => (b">", b"<"),
            Format::Json => (b":", b",}]"),
        };
        let Some(i) = input[start..].iter().position(|b| open.contains(b)) else {
            return;
        };
        let from = start + i + 1;
        let to = input[from..]
            .iter()
            .position(|b| close.contains(b))
            .map_or(input.len(), |j| from + j);
        let value = self.value(rng);
        let keep = self.max_len.saturating_sub(input.len() - (to - from));
        input.splice(from..to, value.into_iter().take(keep));
    }

    fn value(&self, rng: &mut SmallRng) -> Vec<u8> {
        let tokens = self.tokens();
        match rng.random_range(0..6u32) {
            0 => Vec::new(),
            1 => {
                // A long run: past every length facet, sometimes far past.
                let n = count(rng, 4, 16);
                let unit: &[u8] = match rng.random_range(0..3u32) {
                    0 => b"x",
                    1 => "\u{e8}".as_bytes(),
                    _ => b"9",
                };
                let run = unit.repeat(n);
                match self.format {
                    Format::Json => [&b"\""[..], &run, b"\""].concat(),
                    Format::Xml => run,
                }
            }
            2 => {
                // Digits of every length, with or without a decimal point.
                let n = rng.random_range(1..=40usize);
                let mut v: Vec<u8> = (0..n).map(|_| b'0' + rng.random_range(0..10u8)).collect();
                if rng.random_bool(0.5) && n > 2 {
                    v.insert(n - 2, b'.');
                }
                v
            }
            _ => tokens[rng.random_range(0..tokens.len())]
                .as_bytes()
                .to_vec(),
        }
    }

    /// Repeat one whole element (from its start tag to its end tag) many times in place:
    /// the sibling blow-up.
    fn repeat_element(&self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let Some((start, end)) = element_span(rng, input) else {
            return;
        };
        self.repeat_span(rng, input, start, end, b"");
    }

    /// Repeat one `"key": value` member of an object (or an array item) many times.
    fn repeat_member(&self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let start = position(rng, input);
        let Some(i) = input[start..].iter().position(|&b| b == b'"') else {
            return;
        };
        let from = start + i;
        let Some(j) = input[from..].iter().position(|&b| b == b',') else {
            return;
        };
        let to = from + j + 1;
        self.repeat_span(rng, input, from, to, b"");
    }

    fn repeat_span(
        &self,
        rng: &mut SmallRng,
        input: &mut Vec<u8>,
        start: usize,
        end: usize,
        sep: &[u8],
    ) {
        let unit = [&input[start..end], sep].concat();
        if unit.is_empty() {
            return;
        }
        let room = self.max_len.saturating_sub(input.len()) / unit.len();
        let wanted = count(rng, 1, 17);
        let n = wanted.min(room);
        if n == 0 {
            return;
        }
        let mut blob = Vec::with_capacity(unit.len() * n);
        for _ in 0..n {
            blob.extend_from_slice(&unit);
        }
        input.splice(end..end, blob);
    }

    /// Nest many levels at one place: balanced (`<a>`…`</a>`, `[`…`]`) or only opened.
    fn deep_nesting(&self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let depth = count(rng, 2, 16);
        let (open, close): (&[u8], &[u8]) = match self.format {
            Format::Xml => match rng.random_range(0..3u32) {
                0 => (b"<a>", b"</a>"),
                1 => (b"<outcome>", b"</outcome>"),
                _ => (b"<p:a xmlns:p=\"urn:x\">", b"</p:a>"),
            },
            Format::Json => match rng.random_range(0..2u32) {
                0 => (b"[", b"]"),
                _ => (b"{\"a\":", b"}"),
            },
        };
        let per = open.len() + close.len();
        let depth = depth.min(self.max_len.saturating_sub(input.len()) / per);
        if depth == 0 {
            return;
        }
        let at = self.text_position(rng, input);
        let balanced = rng.random_bool(0.7);
        let mut blob = open.repeat(depth);
        if balanced {
            blob.extend(close.repeat(depth));
        }
        input.splice(at..at, blob);
    }

    /// Make an element name (XML) or a key or string (JSON) huge.
    fn huge_name(&self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let n = count(rng, 8, 19);
        let n = n.min(self.max_len.saturating_sub(input.len()));
        if n == 0 {
            return;
        }
        let name = vec![b'n'; n];
        match self.format {
            Format::Xml => {
                let Some((start, end)) = element_span(rng, input) else {
                    let at = position(rng, input);
                    self.insert(input, at, &[&b"<"[..], &name, b"/>"].concat());
                    return;
                };
                let name_len = name_at(input, start + 1).len();
                // A self-closing element has no end tag; otherwise rename the end tag too (most
                // of the time), first, so that the start tag's offsets stay valid.
                let self_closing = input[..end].ends_with(b"/>");
                if !self_closing && rng.random_bool(0.7) {
                    let close_start = end - name_len - 1;
                    input.splice(close_start..close_start + name_len, name.iter().copied());
                }
                input.splice(start + 1..start + 1 + name_len, name);
            }
            Format::Json => {
                let start = position(rng, input);
                if let Some(i) = input[start..].iter().position(|&b| b == b'"') {
                    let at = start + i + 1;
                    input.splice(at..at, name);
                }
            }
        }
        input.truncate(self.max_len);
    }

    /// Many namespace declarations: on one start tag, or spread over empty elements.
    fn many_declarations(&self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let n = count(rng, 3, 16);
        let on_one = rng.random_bool(0.5);
        let mut blob = Vec::new();
        let budget = self.max_len.saturating_sub(input.len());
        for i in 0..n {
            let decl = if on_one {
                format!(" xmlns:a{i}=\"urn:d:{i}\"")
            } else {
                format!("<d xmlns:a{i}=\"urn:d:{i}\"/>")
            };
            if blob.len() + decl.len() > budget {
                break;
            }
            blob.extend_from_slice(decl.as_bytes());
        }
        let at = if on_one {
            // Inside a start tag: right after its name.
            element_span(rng, input)
                .map_or(0, |(start, _)| start + 1 + name_at(input, start + 1).len())
        } else {
            self.text_position(rng, input)
        };
        input.splice(at..at, blob);
    }

    /// Many distinct unknown keys in the top-level object.
    fn many_keys(&self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let n = count(rng, 3, 16);
        let mut blob = Vec::new();
        let budget = self.max_len.saturating_sub(input.len());
        for i in 0..n {
            let member = format!("\"k{i}\":{i},");
            if blob.len() + member.len() > budget {
                break;
            }
            blob.extend_from_slice(member.as_bytes());
        }
        let at = input.iter().position(|&b| b == b'{').map_or(0, |i| i + 1);
        input.splice(at..at, blob);
    }
}

fn pick(rng: &mut SmallRng, ops: &[(Op, u32)]) -> Op {
    let total: u32 = ops.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for &(op, w) in ops {
        if roll < w {
            return op;
        }
        roll -= w;
    }
    ops[0].0
}

/// A power of two from 2^`min_exp` to 2^`max_exp`: half the time with a uniform exponent,
/// half the time with the smaller of two, so small blow-ups are common and the largest still
/// happen.
fn count(rng: &mut SmallRng, min_exp: u32, max_exp: u32) -> usize {
    let a = rng.random_range(min_exp..=max_exp);
    let b = rng.random_range(min_exp..=max_exp);
    let exp = if rng.random_bool(0.5) { a } else { a.min(b) };
    1usize << exp
}

/// A position in `0..=input.len()`.
fn position(rng: &mut SmallRng, input: &[u8]) -> usize {
    rng.random_range(0..=input.len())
}

/// A non-empty range of `0..len` (len > 0), short more often than long.
fn range(rng: &mut SmallRng, len: usize) -> (usize, usize) {
    let start = rng.random_range(0..len);
    let max = (len - start).min(1 << rng.random_range(0..16u32));
    let n = rng.random_range(1..=max.max(1));
    (start, start + n)
}

/// The head of `a` up to a random point followed by the tail of `b` from another; half the
/// time the cut points are both just before a `<`, so the result stays close to well-formed.
fn splice(rng: &mut SmallRng, a: &mut Vec<u8>, b: &[u8], max_len: usize) {
    if b.is_empty() {
        return;
    }
    let (cut_a, cut_b) = if rng.random_bool(0.5) {
        (
            near(rng, a, b'<').unwrap_or(a.len()),
            near(rng, b, b'<').unwrap_or(0),
        )
    } else {
        (position(rng, a), rng.random_range(0..b.len()))
    };
    a.truncate(cut_a);
    let room = max_len.saturating_sub(a.len());
    a.extend_from_slice(&b[cut_b..][..(b.len() - cut_b).min(room)]);
}

/// The first `byte` at or after a random position.
fn near(rng: &mut SmallRng, input: &[u8], byte: u8) -> Option<usize> {
    let at = rng.random_range(0..=input.len());
    input[at..].iter().position(|&b| b == byte).map(|i| at + i)
}

/// The name (with prefix) starting at `at`.
fn name_at(input: &[u8], at: usize) -> &[u8] {
    let rest = &input[at.min(input.len())..];
    let n = rest
        .iter()
        .position(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/'))
        .unwrap_or(rest.len());
    &rest[..n]
}

/// `[start, end)` of an element from a random start tag to its end tag (`</name>`), found
/// textually; `None` when no start tag with a matching end tag is found after the position.
fn element_span(rng: &mut SmallRng, input: &[u8]) -> Option<(usize, usize)> {
    let mut at = position(rng, input);
    for _ in 0..16 {
        let i = at + input[at..].iter().position(|&b| b == b'<')?;
        at = i + 1;
        let name = name_at(input, i + 1);
        if name.is_empty() || matches!(name[0], b'/' | b'?' | b'!') {
            continue;
        }
        // Self-closing element.
        let tag_end = i + input[i..].iter().position(|&b| b == b'>')?;
        if tag_end > 0 && input[tag_end - 1] == b'/' {
            return Some((i, tag_end + 1));
        }
        let close = [&b"</"[..], name, b">"].concat();
        if let Some(j) = find(&input[tag_end..], &close) {
            return Some((i, tag_end + j + close.len()));
        }
    }
    None
}

/// First occurrence of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    let first = needle[0];
    let mut from = 0;
    while let Some(i) = hay[from..=hay.len() - needle.len()]
        .iter()
        .position(|&b| b == first)
    {
        let at = from + i;
        if &hay[at..at + needle.len()] == needle {
            return Some(at);
        }
        from = at + 1;
        if from > hay.len() - needle.len() {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn find_finds_the_first_occurrence() {
        assert_eq!(find(b"abcabc", b"bc"), Some(1));
        assert_eq!(find(b"abc", b"abcd"), None);
        assert_eq!(find(b"abc", b"c"), Some(2));
        assert_eq!(find(b"aab", b"ab"), Some(1));
        assert_eq!(find(b"", b"a"), None);
    }

    #[test]
    fn element_spans_cover_start_to_end_tag() {
        let xml = b"<a><b>x</b><c/></a>";
        let mut rng = SmallRng::seed_from_u64(1);
        for _ in 0..100 {
            if let Some((s, e)) = element_span(&mut rng, xml) {
                let span = &xml[s..e];
                assert!(
                    span == b"<a><b>x</b><c/></a>" || span == b"<b>x</b>" || span == b"<c/>",
                    "{}",
                    String::from_utf8_lossy(span)
                );
            }
        }
    }

    #[test]
    fn a_huge_name_on_a_self_closing_element_renames_the_start_tag_only() {
        let long = "n".repeat(1_000);
        let xml = format!("<a><{long}/></a>");
        let m = Mutator::new(Format::Xml, 1 << 20);
        for s in 0..200 {
            let mut rng = SmallRng::seed_from_u64(s);
            let mut x = xml.clone().into_bytes();
            m.huge_name(&mut rng, &mut x);
            assert!(x.ends_with(b"/></a>") || x.ends_with(b"</a>"), "seed {s}");
        }
    }

    #[test]
    fn mutations_stay_within_the_bound_and_are_deterministic() {
        let seed = b"<a xmlns=\"urn:x\"><b>30.00</b><c/></a>".to_vec();
        for format in [Format::Xml, Format::Json] {
            let m = Mutator::new(format, 4096);
            let run = |s: u64| {
                let mut rng = SmallRng::seed_from_u64(s);
                let mut out = Vec::new();
                for _ in 0..500 {
                    let mut x = seed.clone();
                    m.mutate(&mut rng, &mut x, b"<z>{\"k\":1,\"j\":2}</z>");
                    assert!(x.len() <= 4096, "{}", x.len());
                    out.push(x);
                }
                out
            };
            assert_eq!(run(7), run(7));
            assert_ne!(run(7), run(8));
        }
    }
}
