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

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
