//! Euro amounts in integer cents.
//!
//! pagoPA compares amounts exactly (Σ transferAmount must equal paymentAmount), so amounts are
//! never floats: the lexical form `\d+\.\d{2}` is read straight into cents.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in euro cents.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Amount(u64);

impl Amount {
    /// 999999999.99, the XSD maximum, in cents.
    pub const MAX_CENTS: u64 = 99_999_999_999;

    /// An amount of `cents` euro cents.
    pub const fn from_cents(cents: u64) -> Self {
        Amount(cents)
    }

    /// The amount in cents.
    pub const fn cents(self) -> u64 {
        self.0
    }

    /// Parse the XSD lexical form `\d+\.\d{2}` (no sign, no exponent, dot separator).
    /// Values too large for `u64` saturate, so range checks still see them as too large.
    pub fn parse(s: &str) -> Option<Amount> {
        let (int, frac) = s.split_once('.')?;
        if int.is_empty()
            || frac.len() != 2
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut euros: u64 = 0;
        for b in int.bytes() {
            euros = euros.saturating_mul(10).saturating_add(u64::from(b - b'0'));
        }
        let cents =
            u64::from(frac.as_bytes()[0] - b'0') * 10 + u64::from(frac.as_bytes()[1] - b'0');
        Some(Amount(euros.saturating_mul(100).saturating_add(cents)))
    }

    /// Sum of amounts, saturating instead of overflowing.
    pub fn sum<I: IntoIterator<Item = Amount>>(items: I) -> Amount {
        Amount(
            items
                .into_iter()
                .fold(0u64, |acc, a| acc.saturating_add(a.0)),
        )
    }
}

impl Amount {
    /// The XSD lexical form (`150.00`) on the stack. Every answer the station writes has an
    /// amount or several, and going through `fmt` for each cost an allocation (issue 9,
    /// "Performance").
    pub fn text(self) -> AmountText {
        // u64::MAX cents is 184467440737095516.15: 21 characters.
        let mut buf = [0u8; 24];
        let mut at = buf.len();
        let mut put = |b: u8| {
            at -= 1;
            buf[at] = b;
        };
        let digit = |n: u64| b'0' + u8::try_from(n % 10).unwrap_or(0);
        put(digit(self.0));
        put(digit(self.0 / 10));
        put(b'.');
        let mut euros = self.0 / 100;
        loop {
            put(digit(euros));
            euros /= 10;
            if euros == 0 {
                break;
            }
        }
        AmountText { buf, start: at }
    }
}

/// [`Amount::text`]: an amount written out, as a `&str`.
#[derive(Debug, Clone, Copy)]
pub struct AmountText {
    buf: [u8; 24],
    start: usize,
}

impl std::ops::Deref for AmountText {
    type Target = str;

    fn deref(&self) -> &str {
        // Only ASCII digits and '.' are ever written.
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or("0.00")
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_the_xsd_form_at_every_magnitude() {
        for (cents, text) in [
            (0, "0.00"),
            (7, "0.07"),
            (10, "0.10"),
            (100, "1.00"),
            (15_000, "150.00"),
            (99_999_999_999, "999999999.99"),
            (u64::MAX, "184467440737095516.15"),
        ] {
            assert_eq!(&*Amount::from_cents(cents).text(), text);
            assert_eq!(Amount::from_cents(cents).to_string(), text);
        }
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(Amount::parse("30.00"), Some(Amount::from_cents(3000)));
        assert_eq!(
            Amount::parse("0.07").map(|a| a.to_string()),
            Some("0.07".into())
        );
        assert_eq!(Amount::parse("007.10").map(Amount::cents), Some(710));
        assert_eq!(Amount::parse("1."), None);
        assert_eq!(Amount::parse("+1.00"), None);
        assert_eq!(
            Amount::from_cents(99_999_999_999).to_string(),
            "999999999.99"
        );
        assert_eq!(
            Amount::parse(&"9".repeat(40).to_string().replace("99", "9.99")),
            None
        );
    }
}
