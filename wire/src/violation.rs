//! What is wrong with a message, where, and how serious it is.
//!
//! A violation always names the element path (`/Envelope/Body/paGetPaymentV2Response/data/...`)
//! so that a user can find the offending element without a line number, and carries the byte
//! offset when the message was parsed from bytes so that `line:column` can be shown too.

use serde::Serialize;
use std::fmt;

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
    /// Input is not valid UTF-8.
    NotUtf8,
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
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::MalformedXml { reason } => write!(f, "not well-formed XML: {reason}"),
            Rule::NotUtf8 => f.write_str("not valid UTF-8 (pagoPA messages are UTF-8)"),
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
        }
    }
}

/// One broken rule at one place.
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
    /// A violation with its message derived from the rule.
    pub fn new(path: impl Into<String>, rule: Rule, kind: Kind, severity: Severity) -> Self {
        let message = rule.to_string();
        Violation {
            path: path.into(),
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
        self.value = Some(if value.chars().count() > MAX {
            let cut: String = value.chars().take(MAX).collect();
            format!("{cut}… ({} characters)", value.chars().count())
        } else {
            value.to_string()
        });
        self
    }

    /// Attach a byte offset and compute line:column against `src`.
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
    fn long_values_are_shortened() {
        let v = Violation::new("/a", Rule::Missing, Kind::Xsd, Severity::Error)
            .with_value(&"x".repeat(1000));
        assert!(v.value.unwrap().ends_with("(1000 characters)"));
    }
}
