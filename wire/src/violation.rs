//! What is wrong with a message, where, and how serious it is.
//!
//! A violation always names the element path (`/Envelope/Body/paGetPaymentV2Response/data/...`)
//! so that a user can find the offending element without a line number, and carries the byte
//! offset when the message was parsed from bytes so that `line:column` can be shown too.
//!
//! Everything a violation quotes from the station (element and attribute names, namespace
//! URIs, values, SOAP fault texts) is cut by [`clip`]: a hostile reply with a 5 MB element name
//! must not have that name copied into every violation and every report line.

use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// A station string longer than this many bytes is shown cut (see [`clip`]).
pub const CLIP_ABOVE_BYTES: usize = 256;

/// How many characters of a cut station string are kept.
pub const CLIP_KEEP_CHARS: usize = 64;

/// A station string as a violation may quote it: unchanged up to [`CLIP_ABOVE_BYTES`] bytes,
/// otherwise its first [`CLIP_KEEP_CHARS`] characters followed by `…(N bytes)`, N being the
/// full length. Cheap on short strings (no allocation).
pub fn clip(s: &str) -> Cow<'_, str> {
    clip_to(s, CLIP_ABOVE_BYTES, CLIP_KEEP_CHARS)
}

fn clip_to(s: &str, above: usize, keep: usize) -> Cow<'_, str> {
    if s.len() <= above {
        return Cow::Borrowed(s);
    }
    let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
    Cow::Owned(format!("{}…({} bytes)", &s[..end], s.len()))
}

/// As [`clip`], for prose (a parser's explanation, a SOAP faultstring), which keeps more: cut
/// above 4 × [`CLIP_ABOVE_BYTES`] bytes to 4 × [`CLIP_KEEP_CHARS`] characters.
pub fn clip_prose(s: &str) -> Cow<'_, str> {
    clip_to(s, 4 * CLIP_ABOVE_BYTES, 4 * CLIP_KEEP_CHARS)
}

fn clip_owned(s: &mut String, clipper: fn(&str) -> Cow<'_, str>) {
    if let Cow::Owned(c) = clipper(s) {
        *s = c;
    }
}

/// Which layer of the protocol a rule comes from.
///
/// The split matters for the schema cross-check: only [`Kind::Xml`], [`Kind::Envelope`] and
/// [`Kind::Xsd`] violations make a payload invalid for `xmllint --schema`; [`Kind::Semantic`]
/// rules are the Nodo's checks on top of the XSD (DOMAIN.md §3, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Not well-formed XML, or not UTF-8.
    Xml,
    /// SOAP 1.1 envelope structure (Envelope/Body, SOAP Fault).
    Envelope,
    /// A rule of `paForNode.xsd` / `sac-common-types-1.0.xsd`.
    Xsd,
    /// A pagoPA rule beyond the XSD (mandatory-on-OK fields, sums, fault presence...).
    Semantic,
}

/// Whether a violation makes the message non-conforming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The Nodo would reject the message (or the schema does).
    Error,
    /// Tolerated by the Nodo, but a sign of trouble (e.g. a bad IUV check digit).
    Warning,
}

/// The rule a value broke. `Display` gives the human sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// Input is not well-formed XML.
    MalformedXml {
        /// The parser's explanation.
        reason: String,
    },
    /// Input is not XML at all (plain text, a stack trace...).
    NotXml {
        /// The first characters of the input, escaped (control characters as `\u{..}`).
        start: String,
    },
    /// Input is not valid UTF-8.
    NotUtf8,
    /// The input goes beyond a limit collaudo sets to stay linear in time and bounded in
    /// memory (nesting depth, namespace declarations per element...), far above what any
    /// pagoPA message needs.
    OverLimit {
        /// Which limit, and its value.
        reason: String,
    },
    /// The document is not a SOAP 1.1 envelope.
    NotSoapEnvelope {
        /// What was found instead.
        found: String,
    },
    /// A SOAP 1.2 envelope was sent to a SOAP 1.1 service.
    Soap12Envelope,
    /// The envelope has no Body.
    MissingBody,
    /// The Body holds no element.
    EmptyBody,
    /// The Body holds more than one element.
    ExtraBodyElement,
    /// The Body holds a SOAP Fault instead of the business response.
    SoapFault {
        /// The SOAP faultcode.
        faultcode: String,
        /// The SOAP faultstring.
        faultstring: String,
    },
    /// The payload element is not one of the pagoPA EC-side wrappers.
    UnknownPrimitive {
        /// The element found.
        element: String,
    },
    /// The payload was not wrapped in a SOAP envelope.
    NoEnvelope,
    /// An element is in the wrong namespace.
    WrongNamespace {
        /// Expected namespace URI (empty for "no namespace").
        expected: String,
        /// Namespace found (empty for "no namespace").
        found: String,
    },
    /// A required element is absent.
    Missing,
    /// An element is not allowed here.
    Unexpected,
    /// An element is allowed, but not at this position of the sequence.
    OutOfOrder {
        /// The element the sequence expected at this point, if any.
        expected: Option<String>,
    },
    /// More occurrences than `maxOccurs`.
    TooMany {
        /// The limit.
        max: usize,
        /// How many were found.
        found: usize,
    },
    /// Text where only elements may appear.
    UnexpectedText,
    /// An attribute the schema does not declare.
    UnexpectedAttribute {
        /// The attribute name as written.
        name: String,
    },
    /// Child elements inside a simple-typed element.
    UnexpectedChildren,
    /// A string outside its length facets.
    Length {
        /// Minimum length (characters).
        min: usize,
        /// Maximum length (characters).
        max: usize,
        /// Actual length.
        found: usize,
    },
    /// A string not matching its pattern facet.
    Pattern {
        /// The XSD pattern.
        pattern: &'static str,
    },
    /// A value not in its enumeration.
    Enumeration {
        /// Allowed values.
        allowed: &'static [&'static str],
    },
    /// Not an `xs:decimal` with exactly two decimals.
    AmountFormat,
    /// Amount out of its range.
    AmountRange {
        /// Minimum (lexical form).
        min: &'static str,
        /// Maximum (lexical form).
        max: &'static str,
    },
    /// Not an `xs:date`.
    Date,
    /// Not an `xs:dateTime`.
    DateTime,
    /// Not an `xs:boolean`.
    Boolean,
    /// Not an `xs:int`.
    Integer,
    /// Not `xs:base64Binary`.
    Base64,
    /// Element nesting deeper than the parser accepts.
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// `outcome=KO` without a `fault` bean.
    KoWithoutFault,
    /// `outcome=OK` with a `fault` bean.
    OkWithFault,
    /// An element the XSD makes optional but pagoPA requires when `outcome=OK`.
    RequiredOnOk,
    /// `paymentAmount` differs from the sum of the transfers.
    SumMismatch {
        /// paymentAmount as sent.
        payment_amount: String,
        /// Sum of transferAmount.
        transfers_sum: String,
    },
    /// Two transfers share one `idTransfer`.
    DuplicateIdTransfer {
        /// The repeated id.
        id: u8,
    },
    /// `options` other than `EQ`.
    OptionsNotEq,
    /// A fault code that does not carry the EC prefix `PAA_`.
    FaultCodeNotPaa,
    /// A notice number whose IUV check digit is wrong.
    CheckDigit {
        /// The check digit the notice should carry.
        expected: String,
    },
    /// Debtor or payer identifier inconsistent with its type (F = 16-char CF or ANONIMO, G = 11 digits).
    SubjectIdentifier,
    /// A fault text (`faultString`, `description`) with leading or trailing blanks.
    SurroundingBlanks,
}

impl Rule {
    /// The rule with every string that may come from the station cut by [`clip`].
    pub fn clipped(mut self) -> Rule {
        match &mut self {
            Rule::MalformedXml { reason } | Rule::OverLimit { reason } => {
                clip_owned(reason, clip_prose);
            }
            Rule::NotSoapEnvelope { found } => clip_owned(found, clip),
            Rule::SoapFault {
                faultcode,
                faultstring,
            } => {
                clip_owned(faultcode, clip);
                clip_owned(faultstring, clip_prose);
            }
            Rule::UnknownPrimitive { element } => clip_owned(element, clip),
            Rule::WrongNamespace { expected, found } => {
                clip_owned(expected, clip);
                clip_owned(found, clip);
            }
            Rule::OutOfOrder {
                expected: Some(name),
            } => clip_owned(name, clip),
            Rule::UnexpectedAttribute { name } => clip_owned(name, clip),
            Rule::SumMismatch {
                payment_amount,
                transfers_sum,
            } => {
                clip_owned(payment_amount, clip);
                clip_owned(transfers_sum, clip);
            }
            Rule::CheckDigit { expected } => clip_owned(expected, clip),
            Rule::NotXml { start } => clip_owned(start, clip),
            _ => {}
        }
        self
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::MalformedXml { reason } => write!(f, "not well-formed XML: {reason}"),
            Rule::NotXml { start } => write!(f, "not XML (starts with '{start}')"),
            Rule::NotUtf8 => f.write_str("not valid UTF-8 (pagoPA messages are UTF-8)"),
            Rule::OverLimit { reason } => write!(
                f,
                "refused: {reason} (a limit of collaudo, far above what a pagoPA message needs)"
            ),
            Rule::NotSoapEnvelope { found } => {
                write!(f, "expected a SOAP 1.1 Envelope, found <{found}>")
            }
            Rule::Soap12Envelope => f.write_str(
                "SOAP 1.2 envelope: the pagoPA paForNode binding is SOAP 1.1 (http://schemas.xmlsoap.org/soap/envelope/)",
            ),
            Rule::MissingBody => f.write_str("the envelope has no Body"),
            Rule::EmptyBody => f.write_str("the SOAP Body is empty"),
            Rule::ExtraBodyElement => f.write_str("the SOAP Body must hold exactly one element"),
            Rule::SoapFault { faultcode, faultstring } => write!(
                f,
                "SOAP Fault ({faultcode}: {faultstring}): pagoPA application errors must be HTTP 200 with outcome=KO and a fault bean, never a SOAP Fault"
            ),
            Rule::UnknownPrimitive { element } => write!(
                f,
                "<{element}> is not a paForNode request or response (paVerifyPaymentNotice, paGetPayment, paGetPaymentV2, paSendRT, paSendRTV2, paDemandPaymentNotice)"
            ),
            Rule::NoEnvelope => f.write_str("payload without SOAP envelope"),
            Rule::WrongNamespace { expected, found } => {
                let shown = |s: &str| {
                    if s.is_empty() {
                        "no namespace".to_string()
                    } else {
                        s.to_string()
                    }
                };
                if expected.is_empty() {
                    write!(
                        f,
                        "element must be unqualified (no namespace: paForNode.xsd has no elementFormDefault), found namespace {}",
                        shown(found)
                    )
                } else {
                    write!(
                        f,
                        "element must be in namespace {}, found {}",
                        shown(expected),
                        shown(found)
                    )
                }
            }
            Rule::Missing => f.write_str("required element is missing"),
            Rule::Unexpected => f.write_str("element is not allowed here"),
            Rule::OutOfOrder { expected: Some(e) } => {
                write!(f, "element is out of sequence order (expected <{e}> here)")
            }
            Rule::OutOfOrder { expected: None } => f.write_str("element is out of sequence order"),
            Rule::TooMany { max, found } => {
                write!(f, "at most {max} allowed, found {found}")
            }
            Rule::UnexpectedText => f.write_str("text is not allowed inside this element"),
            Rule::UnexpectedAttribute { name } => {
                write!(f, "attribute `{name}` is not allowed (paForNode.xsd declares no attributes)")
            }
            Rule::UnexpectedChildren => f.write_str("simple-typed element must not contain elements"),
            Rule::Length { min, max, found } => {
                if min == max {
                    write!(f, "length must be exactly {min} characters, found {found}")
                } else {
                    write!(f, "length must be {min}..{max} characters, found {found}")
                }
            }
            Rule::Pattern { pattern } => write!(f, "does not match pattern {pattern}"),
            Rule::Enumeration { allowed } => write!(f, "must be one of {}", allowed.join(", ")),
            Rule::AmountFormat => f.write_str(
                "amount must be a decimal with a dot and exactly two decimals (pattern \\d+\\.\\d{2})",
            ),
            Rule::AmountRange { min, max } => write!(f, "amount must be between {min} and {max}"),
            Rule::Date => f.write_str("not a valid xs:date (YYYY-MM-DD)"),
            Rule::DateTime => f.write_str("not a valid xs:dateTime (YYYY-MM-DDThh:mm:ss)"),
            Rule::Boolean => f.write_str("not a valid xs:boolean (true, false, 1, 0)"),
            Rule::Integer => f.write_str("not a valid xs:int"),
            Rule::Base64 => f.write_str("not valid base64"),
            Rule::TooDeep { max } => write!(f, "elements nested deeper than {max} levels"),
            Rule::KoWithoutFault => f.write_str("outcome=KO requires a fault bean"),
            Rule::OkWithFault => f.write_str("outcome=OK must not carry a fault bean"),
            Rule::RequiredOnOk => {
                f.write_str("optional in the XSD but required by pagoPA when outcome=OK")
            }
            Rule::SumMismatch { payment_amount, transfers_sum } => write!(
                f,
                "paymentAmount {payment_amount} differs from the sum of transferAmount {transfers_sum}"
            ),
            Rule::DuplicateIdTransfer { id } => write!(f, "idTransfer {id} is used twice"),
            Rule::OptionsNotEq => f.write_str("options must be EQ (the only value pagoPA uses)"),
            Rule::FaultCodeNotPaa => f.write_str("an EC fault code should start with PAA_"),
            Rule::CheckDigit { expected } => {
                write!(f, "IUV check digit (mod 93) should be {expected}")
            }
            Rule::SubjectIdentifier => f.write_str(
                "identifier does not fit its type (F: 16-character fiscal code or ANONIMO, G: 11 digits)",
            ),
            Rule::SurroundingBlanks => f.write_str(
                "leading or trailing blanks: the Nodo relays the text as is, blanks included",
            ),
        }
    }
}

/// One broken rule at one place.
///
/// **Size.** The path, the rule's strings (hence the message) and the value never hold more
/// than a short excerpt of what the station sent: any station string (an element name, a
/// namespace URI, a fault text) longer than [`CLIP_ABOVE_BYTES`] bytes is shown as its first
/// [`CLIP_KEEP_CHARS`] characters followed by `…(N bytes)`, and a value longer than 200
/// characters as its first 200 followed by `… (N characters)`. A violation therefore stays
/// under a few kilobytes whatever the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Element path, e.g. `/Envelope/Body/paGetPaymentRes/data/transferList/transfer[2]/IBAN`.
    pub path: String,
    /// The rule.
    #[serde(flatten)]
    pub rule: Rule,
    /// Human message (the rule's sentence).
    pub message: String,
    /// The offending value, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Layer the rule comes from.
    pub kind: Kind,
    /// Error or warning.
    pub severity: Severity,
    /// Byte offset in the parsed input, when known.
    #[serde(skip)]
    pub offset: Option<usize>,
    /// 1-based line and column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl Position {
    /// The line and column of a byte offset in `src`.
    pub fn of(src: &[u8], offset: usize) -> Position {
        let offset = offset.min(src.len());
        let before = &src[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        // Count characters, not bytes: continuation bytes of UTF-8 are 0b10xxxxxx.
        let column = before[line_start..]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count()
            + 1;
        Position { line, column }
    }
}

impl Violation {
    /// A violation with its message derived from the rule. Station strings in the path and
    /// the rule are cut (see [`clip`]).
    pub fn new(path: impl Into<String>, rule: Rule, kind: Kind, severity: Severity) -> Self {
        let rule = rule.clipped();
        let message = rule.to_string();
        let mut path = path.into();
        if path.len() > CLIP_ABOVE_BYTES {
            path = clip_path(&path);
        }
        Violation {
            path,
            rule,
            message,
            value: None,
            kind,
            severity,
            offset: None,
            position: None,
        }
    }

    /// Attach the offending value (shortened if huge, so reports stay readable).
    pub fn with_value(mut self, value: &str) -> Self {
        const MAX: usize = 200;
        self.value = Some(match value.char_indices().nth(MAX) {
            Some((cut, _)) => format!("{}… ({} characters)", &value[..cut], value.chars().count()),
            None => value.to_string(),
        });
        self
    }

    /// Attach a byte offset and compute line:column against `src`. This scans `src` up to the
    /// offset: fine for one violation; the parser itself gives all of its violations their
    /// positions in one forward pass instead.
    pub fn at(mut self, src: &[u8], offset: usize) -> Self {
        self.offset = Some(offset);
        self.position = Some(Position::of(src, offset));
        self
    }

    /// True for errors (warnings do not make a message invalid).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A path with every over-long segment cut by [`clip`], so the structure stays readable.
fn clip_path(path: &str) -> String {
    let mut out = String::with_capacity(CLIP_ABOVE_BYTES);
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&clip(seg));
    }
    out
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.position {
            write!(f, "{p}: ")?;
        }
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        write!(f, "{}: {}", self.path, self.message)?;
        if let Some(v) = &self.value {
            write!(f, " (found {v:?})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_counts_lines_and_characters() {
        let src = "ab\ncè<x/>".as_bytes();
        let off = src.iter().position(|&b| b == b'<').unwrap();
        assert_eq!(Position::of(src, off), Position { line: 2, column: 3 });
        assert_eq!(Position::of(src, 0), Position { line: 1, column: 1 });
        assert_eq!(Position::of(src, 10_000).line, 2);
    }

    #[test]
    fn station_strings_are_cut() {
        let name = "n".repeat(5_000_000);
        let v = Violation::new(
            format!("/Envelope/Body/{name}/x"),
            Rule::UnknownPrimitive {
                element: name.clone(),
            },
            Kind::Xsd,
            Severity::Error,
        )
        .with_value(&name);
        let total = v.path.len() + v.message.len() + v.value.as_ref().map_or(0, String::len);
        assert!(total < 2_000, "{total} bytes: {v}");
        assert!(v.path.starts_with("/Envelope/Body/nnnn"), "{}", v.path);
        assert!(v.path.ends_with("…(5000000 bytes)/x"), "{}", v.path);
        assert!(v.message.contains("…(5000000 bytes)"), "{}", v.message);
        // Short strings are left alone, multi-byte characters are never split.
        assert_eq!(clip("paGetPaymentRes"), "paGetPaymentRes");
        let accented = "è".repeat(300);
        assert!(clip(&accented).starts_with(&"è".repeat(CLIP_KEEP_CHARS)));
    }

    #[test]
    fn long_values_are_shortened() {
        let v = Violation::new("/a", Rule::Missing, Kind::Xsd, Severity::Error)
            .with_value(&"x".repeat(1000));
        assert!(v.value.unwrap().ends_with("(1000 characters)"));
    }
}
