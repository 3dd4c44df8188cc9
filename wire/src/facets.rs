//! Lexical rules of the simple types used by `paForNode.xsd` and `sac-common-types-1.0.xsd`.
//!
//! Each function follows XML Schema semantics closely enough to agree with libxml2:
//! string-derived types keep whitespace as is, while decimal, date, boolean, int and base64
//! types collapse surrounding whitespace before their facets apply.

use crate::amount::Amount;
use crate::violation::Rule;

/// Length of a string in characters, as XSD length facets count them.
pub fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// `minLength`/`maxLength` check.
pub fn text(s: &str, min: usize, max: usize) -> Result<(), Rule> {
    let n = char_len(s);
    if n < min || n > max {
        Err(Rule::Length { min, max, found: n })
    } else {
        Ok(())
    }
}

/// Whether `s` is exactly `n` ASCII digits. Eight bytes at a time: fiscal codes and notice
/// numbers (11 and 18 digits) are checked in every message, and a byte loop over them cost
/// as much as the rest of their checks.
fn all_digits(s: &str, n: usize) -> bool {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    if s.len() != n {
        return false;
    }
    let mut words = s.as_bytes().chunks_exact(8);
    for chunk in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        // Every byte 0x30..=0x3F, and still so with 6 added (no carry can cross bytes
        // then): 0x30..=0x39.
        if w & HIGH_NIBBLES != THREES || (w + 0x0606_0606_0606_0606) & HIGH_NIBBLES != THREES {
            return false;
        }
    }
    words.remainder().iter().all(u8::is_ascii_digit)
}

/// `stFiscalCodePA`: exactly 11 digits.
pub fn fiscal_code_pa(s: &str) -> Result<(), Rule> {
    if char_len(s) != 11 {
        return Err(Rule::Length {
            min: 11,
            max: 11,
            found: char_len(s),
        });
    }
    if !all_digits(s, 11) {
        return Err(Rule::Pattern {
            pattern: "[0-9]{11}",
        });
    }
    Ok(())
}

/// `stNoticeNumber`: exactly 18 digits.
pub fn notice_number(s: &str) -> Result<(), Rule> {
    if all_digits(s, 18) {
        Ok(())
    } else {
        Err(Rule::Pattern {
            pattern: "[0-9]{18}",
        })
    }
}

/// An enumeration over a string type (whitespace preserved).
pub fn enumeration(s: &str, allowed: &'static [&'static str]) -> Result<(), Rule> {
    if allowed.contains(&s) {
        Ok(())
    } else {
        Err(Rule::Enumeration { allowed })
    }
}

/// Trim XML whitespace (space, tab, CR, LF) as the `collapse` facet does at the ends.
pub fn collapse(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// `stAmount` / `stAmountNotZero`: `\d+\.\d{2}`, at most 999999999.99, optionally at least 0.01.
pub fn amount(s: &str, not_zero: bool) -> Result<Amount, Rule> {
    let v = collapse(s);
    let amount = Amount::parse(v).ok_or(Rule::AmountFormat)?;
    if amount.cents() > Amount::MAX_CENTS || (not_zero && amount.cents() == 0) {
        return Err(Rule::AmountRange {
            min: if not_zero { "0.01" } else { "0.00" },
            max: "999999999.99",
        });
    }
    Ok(amount)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn digits_value(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 12 {
        return None;
    }
    s.parse().ok()
}

/// Parse `YYYY-MM-DD` at the start of `s`; returns the rest.
fn date_part(s: &str) -> Option<&str> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let dash = s.find('-')?;
    let year_str = &s[..dash];
    // Years have at least four digits and no superfluous leading zero beyond that.
    if year_str.len() < 4 || (year_str.len() > 4 && year_str.starts_with('0')) {
        return None;
    }
    let year = digits_value(year_str)?;
    if year == 0 {
        return None;
    }
    let year = if neg { 1 - year } else { year };
    let rest = &s[dash + 1..];
    let month = digits_value(rest.get(..2)?)?;
    if rest.as_bytes().get(2) != Some(&b'-') {
        return None;
    }
    let day = digits_value(rest.get(3..5)?)?;
    let max_day = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > max_day {
        return None;
    }
    rest.get(5..)
}

fn timezone(s: &str) -> bool {
    if s.is_empty() || s == "Z" {
        return true;
    }
    let b = s.as_bytes();
    if s.len() != 6 || !(b[0] == b'+' || b[0] == b'-') || b[3] != b':' {
        return false;
    }
    match (digits_value(&s[1..3]), digits_value(&s[4..6])) {
        (Some(h), Some(m)) => (h < 14 && m < 60) || (h == 14 && m == 0),
        _ => false,
    }
}

/// `xs:date`, e.g. `2026-12-31` or `2026-12-31+01:00`.
pub fn date(s: &str) -> Result<(), Rule> {
    let v = collapse(s);
    match date_part(v) {
        Some(rest) if timezone(rest) => Ok(()),
        _ => Err(Rule::Date),
    }
}

/// `xs:dateTime`, e.g. `2026-12-31T23:59:59`, `2026-12-31T23:59:59.123+01:00`.
pub fn date_time(s: &str) -> Result<(), Rule> {
    let v = collapse(s);
    let ok = (|| {
        let rest = date_part(v)?;
        let rest = rest.strip_prefix('T')?;
        let h = digits_value(rest.get(..2)?)?;
        if rest.as_bytes().get(2) != Some(&b':') {
            return None;
        }
        let m = digits_value(rest.get(3..5)?)?;
        if rest.as_bytes().get(5) != Some(&b':') {
            return None;
        }
        let sec = digits_value(rest.get(6..8)?)?;
        let mut tail = rest.get(8..)?;
        let mut frac_zero = true;
        if let Some(f) = tail.strip_prefix('.') {
            let n = f.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return None;
            }
            frac_zero = f[..n].bytes().all(|b| b == b'0');
            tail = &f[n..];
        }
        let time_ok =
            (h < 24 && m < 60 && sec < 60) || (h == 24 && m == 0 && sec == 0 && frac_zero);
        (time_ok && timezone(tail)).then_some(())
    })();
    ok.ok_or(Rule::DateTime)
}

/// `xs:boolean`.
pub fn boolean(s: &str) -> Result<bool, Rule> {
    match collapse(s) {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Rule::Boolean),
    }
}

/// `xs:int`.
pub fn int(s: &str) -> Result<i32, Rule> {
    let v = collapse(s);
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Rule::Integer);
    }
    v.strip_prefix('+')
        .unwrap_or(v)
        .parse::<i32>()
        .map_err(|_| Rule::Integer)
}

/// `xs:base64Binary` (whitespace inside is tolerated, as the XSD lexical space allows).
/// As in XSD 1.0, the character before the padding must leave its unused bits at zero
/// (`QQ==` is valid, `QR==` is not).
pub fn base64(s: &str) -> Result<(), Rule> {
    let mut n = 0usize;
    let mut pad = 0usize;
    let mut last = 0u8;
    for c in s.bytes() {
        let v = match c {
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            b'=' => {
                pad += 1;
                n += 1;
                continue;
            }
            _ if pad > 0 => return Err(Rule::Base64),
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(Rule::Base64),
        };
        last = v;
        n += 1;
    }
    let unused_bits_clear = match pad {
        0 => true,
        1 => last & 0b11 == 0,
        2 => last & 0b1111 == 0,
        _ => false,
    };
    if n % 4 != 0 || !unused_bits_clear {
        return Err(Rule::Base64);
    }
    Ok(())
}

/// `stEMail`: `[a-zA-Z0-9_\.\+\-]+@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*`, at most 256 characters.
pub fn email(s: &str) -> Result<(), Rule> {
    const PATTERN: &str = r"[a-zA-Z0-9_\.\+\-]+@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*";
    if char_len(s) > 256 {
        return Err(Rule::Length {
            min: 0,
            max: 256,
            found: char_len(s),
        });
    }
    let bad = Rule::Pattern { pattern: PATTERN };
    let (local, domain) = s.split_once('@').ok_or(bad.clone())?;
    let local_ok = !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'));
    let domain_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if local_ok && domain_ok {
        Ok(())
    } else {
        Err(bad)
    }
}

/// `stNazioneProvincia`: `[A-Z]{2}`.
pub fn nation_province(s: &str) -> Result<(), Rule> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Rule::Pattern {
            pattern: "[A-Z]{2,2}",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_digits_agrees_with_a_byte_loop() {
        let slow = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        // Every byte value at every position of strings of 0 to 20 digits.
        for len in 0..=20 {
            for at in 0..len {
                for b in 0..=0x7Fu8 {
                    let mut bytes = vec![b'7'; len];
                    bytes[at] = b;
                    let s = std::str::from_utf8(&bytes).unwrap();
                    for n in [len, 11, 18] {
                        assert_eq!(all_digits(s, n), slow(s, n), "{s:?} {n}");
                    }
                }
            }
            let s = "0123456789".repeat(3);
            assert!(all_digits(&s[..len], len));
            assert!(!all_digits("é", 2));
        }
    }

    #[test]
    fn amounts_follow_the_pattern() {
        assert_eq!(amount("11.34", true).unwrap().cents(), 1134);
        assert_eq!(amount(" 1.00\n", true).unwrap().cents(), 100);
        for bad in [
            "11,34", "11.342", "11.3", ".10", "11", "-1.00", "1e3", "", "1.00.00",
        ] {
            assert_eq!(amount(bad, false), Err(Rule::AmountFormat), "{bad}");
        }
        assert!(matches!(
            amount("0.00", true),
            Err(Rule::AmountRange { .. })
        ));
        assert!(amount("0.00", false).is_ok());
        assert!(amount("999999999.99", true).is_ok());
        assert!(matches!(
            amount("1000000000.00", true),
            Err(Rule::AmountRange { .. })
        ));
        assert!(matches!(
            amount("99999999999999999999999.00", true),
            Err(Rule::AmountRange { .. })
        ));
    }

    #[test]
    fn dates() {
        for ok in [
            "2026-12-31",
            "2024-02-29",
            "2026-01-01Z",
            "2026-01-01+01:00",
            "12026-01-01",
        ] {
            assert!(date(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-01T00:00:00",
            "",
            "0000-01-01",
            "2026-01-32",
        ] {
            assert!(date(bad).is_err(), "{bad}");
        }
        for ok in [
            "2026-12-31T23:59:59",
            "2026-12-31T23:59:59.5Z",
            "2026-12-31T24:00:00",
            "2026-12-31T10:00:00-05:00",
        ] {
            assert!(date_time(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2026-12-31",
            "2026-12-31T23:59",
            "2026-12-31T25:00:00",
            "2026-12-31 23:59:59",
            "2026-12-31T23:59:59.",
        ] {
            assert!(date_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(boolean("1"), Ok(true));
        assert_eq!(boolean(" false "), Ok(false));
        assert!(boolean("2").is_err());
        assert_eq!(int("+05"), Ok(5));
        assert!(int("a").is_err());
        assert!(int("99999999999").is_err());
        assert!(base64("SGVsbG8=").is_ok());
        assert!(base64("SGVsbG8").is_err());
        assert!(base64("SGV=bG8=").is_err());
        assert!(base64("QQ==").is_ok());
        assert!(base64("QR==").is_err());
        assert!(base64("QUI=").is_ok());
        assert!(base64("QUJ=").is_err());
        assert!(email("john.doe@test.it").is_ok());
        assert!(email("john@").is_err());
        assert!(email("a@b..c").is_err());
        assert!(nation_province("IT").is_ok());
        assert!(nation_province("ITA").is_err());
        assert!(nation_province("it").is_err());
        assert!(fiscal_code_pa("777777777777").is_err());
        assert!(fiscal_code_pa("7777777777A").is_err());
        assert!(text("è", 1, 1).is_ok());
    }
}
