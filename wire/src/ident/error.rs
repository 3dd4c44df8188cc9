//! Errors raised when parsing or generating pagoPA identifiers.

use thiserror::Error;

/// Longest excerpt of an offending input kept in an error, so that a
/// multi-megabyte bogus value cannot blow up logs and reports.
const EXCERPT_CHARS: usize = 40;

/// Why an identifier could not be parsed or generated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdentError {
    /// The notice number does not have exactly 18 characters.
    #[error("notice number must be 18 ascii digits, got {len} characters: {value:?}")]
    NoticeLength {
        /// The offending value (truncated if very long).
        value: String,
        /// Its length in characters.
        len: usize,
    },
    /// The notice number contains something other than ASCII digits.
    #[error("notice number must contain only ascii digits, got {value:?}")]
    NoticeNotDigits {
        /// The offending value (truncated if very long).
        value: String,
    },
    /// The notice number starts with an aux digit other than 0, 1, 2 or 3.
    #[error("notice number aux digit must be 0, 1, 2 or 3, got {aux} in {value:?}")]
    UnknownAuxDigit {
        /// The aux digit found.
        aux: u8,
        /// The offending value.
        value: String,
    },
    /// A two-digit code (segregation or application code) is above 99.
    #[error("{what} must be between 0 and 99, got {value}")]
    CodeOutOfRange {
        /// Which code was wrong ("segregation code" or "application code").
        what: &'static str,
        /// The offending value.
        value: u8,
    },
    /// An IUV base number does not fit in its fixed number of digits.
    #[error("iuv base must fit in {digits} digits, got {value}")]
    BaseOutOfRange {
        /// How many digits the base has in this layout.
        digits: u8,
        /// The offending value.
        value: u64,
    },
}

/// A bounded, char-boundary-safe copy of an offending input for error messages.
pub(super) fn excerpt(value: &str) -> String {
    let mut chars = value.chars();
    let mut out: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_keeps_short_values_and_truncates_long_ones() {
        assert_eq!(excerpt(""), "");
        assert_eq!(excerpt("abc"), "abc");
        let long = "é".repeat(1000);
        let short = excerpt(&long);
        assert_eq!(short.chars().count(), EXCERPT_CHARS + 1);
        assert!(short.ends_with('…'));
    }
}
