//! The 18-digit notice number (NAV, `noticeNumber`) and its IUV (DOMAIN §10).
//!
//! Layouts by aux digit:
//!
//! | aux | layout | IUV (`creditorReferenceId`) | check-digit input |
//! |---|---|---|---|
//! | 0 | `0` appCode(2) base(13) cd(2) | base+cd (15) | `0`+appCode+base |
//! | 1 | `1` base(17) | base (17), no check digit | – |
//! | 2 | `2` base(15) cd(2) | base+cd (17) | `2`+base |
//! | 3 | `3` segregation(2) base(13) cd(2) | segregation+base+cd (17) | `3`+segregation+base |
//!
//! In every layout with check digits they are the last two digits and their
//! input is the first sixteen, which is what [`NoticeNumber::check_digit_ok`]
//! relies on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::{IdentError, excerpt};
use super::iuv;

/// The notice number the Nodo uses to probe a station for Stand-In (aux 0,
/// application code 00); it happens to be check-digit-valid.
pub const STAND_IN_PROBE: &str = "000000000000000000";

/// Centralised segregation codes reserved by PagoPA (99 CIE, 98 ANPR, 97 SUAP,
/// 96 ACI car tax, 85 TARI/TEFA, 81 PagoPA, 47 Canone Unico).
///
/// ECs using aux digit 2 must not start their IUV bases with these codes,
/// because the Nodo would route such notices to the centralised station.
pub const RESERVED_SEGREGATION_CODES: [u8; 7] = [99, 98, 97, 96, 85, 81, 47];

const LEN: usize = 18;
const TEN_POW_13: u64 = 10_000_000_000_000;
const TEN_POW_15: u64 = 1_000_000_000_000_000;

/// An 18-digit pagoPA notice number with aux digit 0, 1, 2 or 3.
///
/// Parsing checks the shape only; a wrong check digit is reported by
/// [`NoticeNumber::check_digit_ok`], not rejected, because the Nodo does
/// not document rejecting it and conformance tests must be able to send one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoticeNumber([u8; LEN]);

impl NoticeNumber {
    /// Parses an 18-ASCII-digit notice number whose aux digit is 0..=3.
    ///
    /// # Errors
    /// [`IdentError::NoticeLength`], [`IdentError::NoticeNotDigits`] or
    /// [`IdentError::UnknownAuxDigit`].
    pub fn parse(value: &str) -> Result<Self, IdentError> {
        let len = value.chars().count();
        if len != LEN {
            return Err(IdentError::NoticeLength {
                value: excerpt(value),
                len,
            });
        }
        let not_digits = || IdentError::NoticeNotDigits {
            value: excerpt(value),
        };
        // 18 characters but not 18 bytes means some are non-ASCII.
        let bytes: [u8; LEN] = value.as_bytes().try_into().map_err(|_| not_digits())?;
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(not_digits());
        }
        let aux = bytes[0] - b'0';
        if aux > 3 {
            return Err(IdentError::UnknownAuxDigit {
                aux,
                value: value.to_owned(),
            });
        }
        Ok(Self(bytes))
    }

    /// [`Self::parse`] for `digits` already known to be 18 ASCII digits (`stNoticeNumber`, as
    /// the decoder has checked): only the aux digit is left to look at. Counting characters
    /// and checking digits again cost more than the check digits themselves.
    pub(crate) fn from_digits(digits: [u8; LEN]) -> Option<Self> {
        debug_assert!(digits.iter().all(u8::is_ascii_digit), "{digits:?}");
        (digits[0].wrapping_sub(b'0') <= 3).then_some(Self(digits))
    }

    /// Builds an aux-3 notice number (`3` + segregation + base + check digits).
    ///
    /// # Errors
    /// [`IdentError::CodeOutOfRange`] if `segregation > 99`,
    /// [`IdentError::BaseOutOfRange`] if `base13` has more than 13 digits.
    pub fn aux3(segregation: u8, base13: u64) -> Result<Self, IdentError> {
        let segregation = two_digit_code("segregation code", segregation)?;
        let base = bounded_base(base13, 13, TEN_POW_13)?;
        Ok(Self::with_check_digits(&format!(
            "3{segregation:02}{base:013}"
        )))
    }

    /// Builds an aux-0 notice number (`0` + application code + base + check digits).
    ///
    /// # Errors
    /// [`IdentError::CodeOutOfRange`] if `application_code > 99`,
    /// [`IdentError::BaseOutOfRange`] if `base13` has more than 13 digits.
    pub fn aux0(application_code: u8, base13: u64) -> Result<Self, IdentError> {
        let application_code = two_digit_code("application code", application_code)?;
        let base = bounded_base(base13, 13, TEN_POW_13)?;
        Ok(Self::with_check_digits(&format!(
            "0{application_code:02}{base:013}"
        )))
    }

    /// Builds an aux-2 notice number (`2` + base + check digits).
    ///
    /// Callers should avoid bases whose first two digits are in
    /// [`RESERVED_SEGREGATION_CODES`]; this is not enforced so that tests can
    /// build such notices on purpose.
    ///
    /// # Errors
    /// [`IdentError::BaseOutOfRange`] if `base15` has more than 15 digits.
    pub fn aux2(base15: u64) -> Result<Self, IdentError> {
        let base = bounded_base(base15, 15, TEN_POW_15)?;
        Ok(Self::with_check_digits(&format!("2{base:015}")))
    }

    /// `prefix` is always 16 ASCII digits built by the generators above.
    fn with_check_digits(prefix: &str) -> Self {
        let cd = iuv::check_digits(prefix).unwrap_or(0);
        let mut bytes = [b'0'; LEN];
        for (slot, b) in bytes.iter_mut().zip(prefix.bytes()) {
            *slot = b;
        }
        bytes[16] = b'0' + cd / 10;
        bytes[17] = b'0' + cd % 10;
        Self(bytes)
    }

    /// The 18 digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The aux digit (0..=3).
    pub fn aux_digit(&self) -> u8 {
        self.0[0] - b'0'
    }

    /// The application code, present only for aux digit 0.
    pub fn application_code(&self) -> Option<&str> {
        (self.aux_digit() == 0).then(|| self.slice(1, 3))
    }

    /// The segregation code, present only for aux digit 3.
    pub fn segregation_code(&self) -> Option<&str> {
        (self.aux_digit() == 3).then(|| self.slice(1, 3))
    }

    /// The IUV (`creditorReferenceId`): 15 digits after the application code
    /// for aux 0, otherwise the 17 digits after the aux digit.
    pub fn iuv(&self) -> &str {
        match self.aux_digit() {
            0 => self.slice(3, LEN),
            _ => self.slice(1, LEN),
        }
    }

    /// The check digits the last two digits should hold (mod 93 of the first
    /// sixteen); `None` for aux 1, which has no check digits.
    pub fn expected_check_digits(&self) -> Option<u8> {
        if self.aux_digit() == 1 {
            return None;
        }
        // The stored bytes are ASCII digits (see the constructors): no need to check them
        // again as `iuv::check_digits` would, once per notice number the station reads.
        Some(iuv::mod93(&self.0[..16]))
    }

    /// Whether the last two digits equal [`Self::expected_check_digits`];
    /// `None` for aux 1, which has no check digits.
    pub fn check_digit_ok(&self) -> Option<bool> {
        let expected = self.expected_check_digits()?;
        let actual = (self.0[16] - b'0') * 10 + (self.0[17] - b'0');
        Some(expected == actual)
    }

    /// Ranges used here are always within the 18 stored ASCII bytes.
    fn slice(&self, start: usize, end: usize) -> &str {
        self.as_str().get(start..end).unwrap_or("")
    }
}

fn two_digit_code(what: &'static str, value: u8) -> Result<u8, IdentError> {
    if value > 99 {
        Err(IdentError::CodeOutOfRange { what, value })
    } else {
        Ok(value)
    }
}

fn bounded_base(value: u64, digits: u8, limit: u64) -> Result<u64, IdentError> {
    if value >= limit {
        Err(IdentError::BaseOutOfRange { digits, value })
    } else {
        Ok(value)
    }
}

impl fmt::Display for NoticeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NoticeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NoticeNumber").field(&self.as_str()).finish()
    }
}

impl FromStr for NoticeNumber {
    type Err = IdentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for NoticeNumber {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Serialize for NoticeNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NoticeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::parse(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn from_digits_agrees_with_parse_on_18_digits(digits in "[0-9]{18}") {
            let bytes: [u8; LEN] = digits.as_bytes().try_into().unwrap();
            proptest::prop_assert_eq!(NoticeNumber::from_digits(bytes), NoticeNumber::parse(&digits).ok());
        }
    }

    #[test]
    fn parses_aux3_and_splits_it() {
        let n = NoticeNumber::parse("301000000000000144").unwrap();
        assert_eq!(n.aux_digit(), 3);
        assert_eq!(n.segregation_code(), Some("01"));
        assert_eq!(n.application_code(), None);
        assert_eq!(n.iuv(), "01000000000000144");
        assert_eq!(n.check_digit_ok(), Some(true));
        assert_eq!(NoticeNumber::aux3(1, 1).unwrap(), n);
    }

    #[test]
    fn aux2_example() {
        let n = NoticeNumber::aux2(1).unwrap();
        assert_eq!(n.as_str(), "200000000000000103");
        assert_eq!(n.iuv(), "00000000000000103");
        assert_eq!(n.segregation_code(), None);
        assert_eq!(n.application_code(), None);
        assert_eq!(n.check_digit_ok(), Some(true));
    }

    #[test]
    fn aux0_layout() {
        let n = NoticeNumber::aux0(12, 42).unwrap();
        assert_eq!(&n.as_str()[..16], "0120000000000042");
        assert_eq!(n.application_code(), Some("12"));
        assert_eq!(n.iuv().len(), 15);
        assert_eq!(n.iuv(), &n.as_str()[3..]);
        assert_eq!(n.check_digit_ok(), Some(true));
    }

    #[test]
    fn aux1_has_no_check_digit() {
        let n = NoticeNumber::parse("112345678901234567").unwrap();
        assert_eq!(n.iuv(), "12345678901234567");
        assert_eq!(n.check_digit_ok(), None);
        assert_eq!(n.expected_check_digits(), None);
        assert_eq!(n.application_code(), None);
        assert_eq!(n.segregation_code(), None);
    }

    #[test]
    fn stand_in_probe_is_aux0_app_00() {
        let n = NoticeNumber::parse(STAND_IN_PROBE).unwrap();
        assert_eq!(n.aux_digit(), 0);
        assert_eq!(n.application_code(), Some("00"));
        assert_eq!(n.iuv(), "000000000000000");
        assert_eq!(n.check_digit_ok(), Some(true));
    }

    #[test]
    fn sanp_example_parses_but_fails_check() {
        let n = NoticeNumber::parse("311111111112222222").unwrap();
        assert_eq!(n.segregation_code(), Some("11"));
        assert_eq!(n.check_digit_ok(), Some(false));
        assert_eq!(n.expected_check_digits(), Some(47));
    }

    #[test]
    fn generator_bounds() {
        assert!(NoticeNumber::aux3(99, TEN_POW_13 - 1).is_ok());
        assert_eq!(
            NoticeNumber::aux3(100, 0),
            Err(IdentError::CodeOutOfRange {
                what: "segregation code",
                value: 100
            })
        );
        assert_eq!(
            NoticeNumber::aux3(0, TEN_POW_13),
            Err(IdentError::BaseOutOfRange {
                digits: 13,
                value: TEN_POW_13
            })
        );
        assert!(matches!(
            NoticeNumber::aux0(100, 0),
            Err(IdentError::CodeOutOfRange {
                what: "application code",
                ..
            })
        ));
        assert!(NoticeNumber::aux0(0, u64::MAX).is_err());
        assert!(NoticeNumber::aux2(TEN_POW_15 - 1).is_ok());
        assert!(NoticeNumber::aux2(TEN_POW_15).is_err());
        assert!(NoticeNumber::aux2(u64::MAX).is_err());
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "",
            "30100000000000014",
            "3010000000000001444",
            "30100000000000014a",
            " 01000000000000144",
        ] {
            assert!(NoticeNumber::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            NoticeNumber::parse("401000000000000144"),
            Err(IdentError::UnknownAuxDigit { aux: 4, .. })
        ));
        assert!(matches!(
            NoticeNumber::parse(""),
            Err(IdentError::NoticeLength { len: 0, .. })
        ));
    }

    #[test]
    fn non_ascii_never_panics() {
        // 18 characters, 19 bytes.
        assert!(matches!(
            NoticeNumber::parse("30100000000000014é"),
            Err(IdentError::NoticeNotDigits { .. })
        ));
        // 9 two-byte characters = 18 bytes.
        assert!(matches!(
            NoticeNumber::parse("ééééééééé"),
            Err(IdentError::NoticeLength { len: 9, .. })
        ));
        // Full-width digits are not ASCII digits.
        assert!(NoticeNumber::parse(&"３".repeat(18)).is_err());
        let huge = "9".repeat(1 << 20);
        let err = NoticeNumber::parse(&huge).unwrap_err();
        assert!(err.to_string().len() < 200);
    }

    #[test]
    fn error_messages_name_the_value() {
        let err = NoticeNumber::parse("12x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "notice number must be 18 ascii digits, got 3 characters: \"12x\""
        );
        let err = NoticeNumber::parse("30100000000000014x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "notice number must contain only ascii digits, got \"30100000000000014x\""
        );
        let err = NoticeNumber::parse("901000000000000144").unwrap_err();
        assert_eq!(
            err.to_string(),
            "notice number aux digit must be 0, 1, 2 or 3, got 9 in \"901000000000000144\""
        );
        assert_eq!(
            NoticeNumber::aux2(TEN_POW_15).unwrap_err().to_string(),
            "iuv base must fit in 15 digits, got 1000000000000000"
        );
    }

    #[test]
    fn string_traits_and_serde() {
        let n: NoticeNumber = "301000000000000144".parse().unwrap();
        assert_eq!(n.to_string(), "301000000000000144");
        assert_eq!(format!("{n:?}"), "NoticeNumber(\"301000000000000144\")");
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"301000000000000144\"");
        assert_eq!(serde_json::from_str::<NoticeNumber>(&json).unwrap(), n);
        let err = serde_json::from_str::<NoticeNumber>("\"123\"").unwrap_err();
        assert!(err.to_string().contains("18 ascii digits"), "{err}");
        assert!(serde_json::from_str::<NoticeNumber>("301000000000000144").is_err());
    }

    #[test]
    fn orders_numerically() {
        let a = NoticeNumber::aux3(1, 1).unwrap();
        let b = NoticeNumber::aux3(1, 2).unwrap();
        assert!(a < b);
    }
}
