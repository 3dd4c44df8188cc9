//! Lexical check of the OpenAPI `date-time` format (RFC 3339 §5.6), without a calendar crate.

/// Whether `s` is an RFC 3339 `date-time`, e.g. `2024-12-31T23:59:59.123+01:00`.
///
/// Accepted: `YYYY-MM-DD`, `T` (or `t`), `hh:mm:ss`, an optional `.` followed by 1 to 9
/// digits, then `Z` (or `z`) or `+hh:mm` / `-hh:mm`. The day must exist in that month (leap
/// years included), hours are 00–23, minutes 00–59 and offsets at most ±23:59.
///
/// Stricter than RFC 3339 in two places, because ACA reads the field as a Java
/// `OffsetDateTime`, which refuses what these would allow: a leap second (`:60`) is rejected,
/// and the fraction is capped at nanoseconds (9 digits). A value without an offset
/// (`2024-12-31T23:59:59`) is rejected, as `OffsetDateTime` does.
pub fn is_rfc3339_date_time(s: &str) -> bool {
    let mut cur = Cursor {
        bytes: s.as_bytes(),
        pos: 0,
    };
    date(&mut cur).is_some()
        && cur.eat(|b| b == b'T' || b == b't')
        && time(&mut cur).is_some()
        && cur.at_end()
}

/// A forward-only reader over the ASCII bytes of the value; every read is bounds-checked so that
/// arbitrary input, including multi-byte UTF-8, simply fails the match.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, accept: impl Fn(u8) -> bool) -> bool {
        match self.bytes.get(self.pos) {
            Some(&b) if accept(b) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn literal(&mut self, expected: u8) -> Option<()> {
        self.eat(|b| b == expected).then_some(())
    }

    /// Exactly `n` ASCII digits as a number (n ≤ 9, so `u32` cannot overflow).
    fn digits(&mut self, n: usize) -> Option<u32> {
        let mut value = 0u32;
        for _ in 0..n {
            let b = *self.bytes.get(self.pos).filter(|b| b.is_ascii_digit())?;
            value = value * 10 + u32::from(b - b'0');
            self.pos += 1;
        }
        Some(value)
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

fn date(cur: &mut Cursor<'_>) -> Option<()> {
    let year = cur.digits(4)?;
    cur.literal(b'-')?;
    let month = cur.digits(2)?;
    cur.literal(b'-')?;
    let day = cur.digits(2)?;
    (day >= 1 && day <= days_in_month(year, month)?).then_some(())
}

fn time(cur: &mut Cursor<'_>) -> Option<()> {
    hour_minute(cur)?;
    cur.literal(b':')?;
    (cur.digits(2)? <= 59).then_some(())?;
    if cur.eat(|b| b == b'.') {
        let mut fraction_digits = 0;
        while cur.eat(|b| b.is_ascii_digit()) {
            fraction_digits += 1;
        }
        (1..=9).contains(&fraction_digits).then_some(())?;
    }
    if cur.eat(|b| b == b'Z' || b == b'z') {
        return Some(());
    }
    cur.literal(b'+').or_else(|| cur.literal(b'-'))?;
    hour_minute(cur)
}

/// `hh:mm`, shared by the time of day and the offset, which have the same ranges.
fn hour_minute(cur: &mut Cursor<'_>) -> Option<()> {
    let hour = cur.digits(2)?;
    cur.literal(b':')?;
    let minute = cur.digits(2)?;
    (hour <= 23 && minute <= 59).then_some(())
}

fn days_in_month(year: u32, month: u32) -> Option<u32> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if leap => Some(29),
        2 => Some(28),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::is_rfc3339_date_time;

    #[test]
    fn accepts_rfc3339_forms() {
        for ok in [
            "2024-12-31T23:59:59Z",
            "2024-12-31T23:59:59+01:00",
            "2024-12-31T23:59:59-00:00",
            "2023-06-07T07:19:58.600Z",
            "2023-06-07T07:19:58.123456789+23:59",
            "2024-02-29T00:00:00Z",
            "2000-02-29T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "2024-01-01t00:00:00z",
        ] {
            assert!(is_rfc3339_date_time(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "string",
            "2024-12-31",
            "2024-12-31T23:59:59",
            "2024-12-31 23:59:59Z",
            "2024-12-31T23:59Z",
            "2024-12-31T23:59:60Z",
            "2024-12-31T24:00:00Z",
            "2024-12-31T23:60:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00.1234567890Z",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00+01:60",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00+01",
            "2024-01-01T00:00:00ZZ",
            "2024-01-01T00:00:00Z ",
            " 2024-01-01T00:00:00Z",
            "+2024-01-01T00:00:00Z",
            "24-01-01T00:00:00Z",
            "2024-1-01T00:00:00Z",
            "２０２４-01-01T00:00:00Z",
            "2024-01-01T00:00:00Zé",
        ] {
            assert!(!is_rfc3339_date_time(bad), "{bad:?}");
        }
    }
}
