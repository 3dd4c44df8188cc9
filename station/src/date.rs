//! Today's date as `YYYY-MM-DD`, without a calendar dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Today's date (UTC) in the `xs:date` lexical form, which orders like the dates it names so
/// due dates can be compared as strings.
///
/// UTC rather than Europe/Rome: the difference only matters in the first hours of the day a
/// binding due date passes, and fixtures keep their due dates far from today.
pub(crate) fn today() -> Today {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    Today::new(y, m, d)
}

/// `YYYY-MM-DD` on the stack: every verify and activation asks for today, and formatting a
/// `String` for it was a twentieth of the station's work per verify (issue 9, "Performance").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Today([u8; 10]);

impl Today {
    /// Years outside 0..=9999 (a clock decades off) are clamped: `xs:date` needs four digits.
    fn new(y: i64, m: u32, d: u32) -> Today {
        let y = u32::try_from(y.clamp(0, 9999)).unwrap_or(0);
        let digit = |n: u32| b'0' + u8::try_from(n % 10).unwrap_or(0);
        Today([
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ])
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits and '-' are ever written.
        std::str::from_utf8(&self.0).unwrap_or("0000-00-00")
    }
}

impl std::ops::Deref for Today {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }

    #[test]
    fn dates_are_written_with_four_digit_years_and_two_digit_days() {
        assert_eq!(Today::new(2026, 1, 5).as_str(), "2026-01-05");
        assert_eq!(Today::new(999, 12, 31).as_str(), "0999-12-31");
        assert_eq!(Today::new(-5, 1, 1).as_str(), "0000-01-01");
        assert_eq!(Today::new(12_345, 1, 1).as_str(), "9999-01-01");
        let (y, m, d) = civil_from_days(20_454);
        assert_eq!(Today::new(y, m, d).as_str(), "2026-01-01");
    }

    #[test]
    fn today_has_the_xs_date_shape() {
        let t = today();
        assert_eq!(t.len(), 10);
        assert!(t.as_str() > "2024-01-01", "{}", t.as_str());
        assert_eq!(&t[4..5], "-");
    }
}
