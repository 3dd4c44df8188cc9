//! The one clock of the project: scenario time, either the wall clock or a virtual clock that
//! moves only when told to.
//!
//! Retry schedules, Stand-In windows and due dates are computed on [`VirtualTime`], so that 48
//! hourly receipt retries run in milliseconds. Real network I/O never reads this clock: its
//! timeouts stay on real tokio time (ARCHITECTURE.md, "Time"; paused tokio time would fire every
//! timeout at once while the harness waits on a real socket).
//!
//! Calendar arithmetic is done here by hand (days-from-civil and back, proleptic Gregorian, UTC)
//! so the crate needs no date library for the few things it prints.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MS_PER_DAY: i64 = 86_400_000;

/// An instant of scenario time: milliseconds since the Unix epoch, UTC.
///
/// Serialized as an RFC 3339 string with milliseconds, e.g. `2026-11-25T10:00:00.000Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VirtualTime(i64);

impl VirtualTime {
    /// The Unix epoch.
    pub const EPOCH: VirtualTime = VirtualTime(0);

    /// The instant `ms` milliseconds after the Unix epoch (negative: before it).
    pub const fn from_millis(ms: i64) -> Self {
        VirtualTime(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Midnight UTC of a civil date; `None` when month or day is out of range.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        days_from_civil(year, month, day)
            .checked_mul(MS_PER_DAY)
            .map(VirtualTime)
    }

    /// The instant `d` later, saturating at the end of the representable range.
    pub fn plus(self, d: Duration) -> Self {
        VirtualTime(self.0.saturating_add(duration_ms(d)))
    }

    /// The time elapsed since `earlier`, zero when `earlier` is later.
    pub fn since(self, earlier: VirtualTime) -> Duration {
        let ms = self.0.saturating_sub(earlier.0);
        Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }

    /// The civil date, UTC, as `YYYY-MM-DD` (the lexical form of `xs:date`).
    pub fn date(self) -> String {
        let (y, m, d) = civil_from_days(self.0.div_euclid(MS_PER_DAY));
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// The hour of day, UTC (0..=23).
    pub fn hour_utc(self) -> u8 {
        // rem_euclid keeps pre-epoch instants on the right side of midnight.
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        u8::try_from(ms_of_day / 3_600_000).unwrap_or(0)
    }

    /// Read an RFC 3339 timestamp: `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`.
    /// Fractions beyond milliseconds are truncated.
    pub fn parse_rfc3339(s: &str) -> Result<Self, TimeParseError> {
        let err = || TimeParseError(s.to_string());
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return Err(err());
        }
        if b[13] != b':' || b[16] != b':' {
            return Err(err());
        }
        let num = |from: usize, to: usize| -> Result<i64, TimeParseError> {
            let part = s.get(from..to).ok_or_else(err)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            part.parse::<i64>().map_err(|_| err())
        };
        let year = num(0, 4)?;
        let month = u32::try_from(num(5, 7)?).map_err(|_| err())?;
        let day = u32::try_from(num(8, 10)?).map_err(|_| err())?;
        let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        if hour > 23 || minute > 59 || second > 59 {
            return Err(err());
        }
        let mut rest = s.get(19..).ok_or_else(err)?;
        let mut millis = 0i64;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(err());
            }
            for (i, c) in frac.bytes().take(3).enumerate().take(digits) {
                millis += i64::from(c - b'0') * [100, 10, 1][i];
            }
            rest = frac.get(digits..).ok_or_else(err)?;
        }
        let offset_ms = match rest {
            "Z" | "z" => 0,
            _ => {
                let ob = rest.as_bytes();
                if ob.len() != 6 || !matches!(ob[0], b'+' | b'-') || ob[3] != b':' {
                    return Err(err());
                }
                let oh = rest
                    .get(1..3)
                    .and_then(|x| x.parse::<i64>().ok())
                    .ok_or_else(err)?;
                let om = rest
                    .get(4..6)
                    .and_then(|x| x.parse::<i64>().ok())
                    .ok_or_else(err)?;
                let sign = if ob[0] == b'-' { -1 } else { 1 };
                sign * (oh * 3_600_000 + om * 60_000)
            }
        };
        let midnight = VirtualTime::from_ymd(year, month, day).ok_or_else(err)?;
        Ok(VirtualTime(
            midnight.0 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis - offset_ms,
        ))
    }
}

/// A string that is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 timestamp (YYYY-MM-DDThh:mm:ss[.sss]Z): {0:?}")]
pub struct TimeParseError(String);

impl fmt::Display for VirtualTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms = self.0.rem_euclid(MS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    }
}

impl FromStr for VirtualTime {
    type Err = TimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VirtualTime::parse_rfc3339(s)
    }
}

impl Serialize for VirtualTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VirtualTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        VirtualTime::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm: eras of
/// 400 years, years starting in March so the leap day is the last day of the year).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // Both values are small by construction (1..=31, 1..=12).
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// Scenario time.
///
/// Everything that schedules in scenario time (retries, Stand-In windows, expiry) asks this
/// clock and never the OS, so a whole run can be replayed in virtual time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current scenario time.
    fn now(&self) -> VirtualTime;
    /// Move scenario time forward by `d` (a no-op on the wall clock).
    fn advance(&self, d: Duration);
    /// True when time moves only through [`Clock::advance`].
    fn is_virtual(&self) -> bool;
    /// Move scenario time forward to `t` unless it is already later. The default reads then
    /// advances; clocks shared between tasks override it with one atomic step, so two callers
    /// never add up their moves.
    fn advance_to(&self, t: VirtualTime) {
        let now = self.now();
        if t > now {
            self.advance(t.since(now));
        }
    }
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> VirtualTime {
        let ms = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => duration_ms(d),
            // A system clock set before 1970: report the (negative) distance rather than fail.
            Err(e) => -duration_ms(e.duration()),
        };
        VirtualTime(ms)
    }

    /// Does nothing: real time cannot be moved. Code that wants to "wait" in scenario time
    /// calls `advance` and must therefore not assume time has moved afterwards; with the wall
    /// clock, the caller that needs a real wait sleeps itself.
    fn advance(&self, _d: Duration) {}

    fn is_virtual(&self) -> bool {
        false
    }
}

/// A clock that starts at a given instant and moves only on [`Clock::advance`].
///
/// Cloning gives another handle on the same time, so the engine, the client and the servers
/// can share one clock.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    ms: Arc<AtomicI64>,
}

impl VirtualClock {
    /// A clock standing at `start`.
    pub fn new(start: VirtualTime) -> Self {
        VirtualClock {
            ms: Arc::new(AtomicI64::new(start.0)),
        }
    }

    /// Move to `t` if it is later than now (scenario time never goes backwards).
    pub fn advance_to(&self, t: VirtualTime) {
        self.ms.fetch_max(t.0, Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> VirtualTime {
        VirtualTime(self.ms.load(Ordering::SeqCst))
    }

    fn advance(&self, d: Duration) {
        let step = duration_ms(d);
        // fetch_update with saturation so a huge advance cannot wrap into the past.
        let _ = self
            .ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
                Some(v.saturating_add(step))
            });
    }

    fn is_virtual(&self) -> bool {
        true
    }

    fn advance_to(&self, t: VirtualTime) {
        VirtualClock::advance_to(self, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_with_millis() {
        let t = VirtualTime::from_ymd(2026, 11, 25)
            .unwrap()
            .plus(Duration::from_secs(10 * 3600));
        assert_eq!(t.to_string(), "2026-11-25T10:00:00.000Z");
        assert_eq!(t.date(), "2026-11-25");
        assert_eq!(t.hour_utc(), 10);
        assert_eq!(VirtualTime::EPOCH.to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            VirtualTime::from_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(VirtualTime::from_millis(-1).hour_utc(), 23);
    }

    #[test]
    fn known_dates() {
        // 2000-02-29 is a leap day (divisible by 400); 1900 is not leap.
        assert_eq!(
            VirtualTime::from_ymd(2000, 2, 29).unwrap().millis(),
            951_782_400_000
        );
        assert!(VirtualTime::from_ymd(1900, 2, 29).is_none());
        assert!(VirtualTime::from_ymd(2026, 13, 1).is_none());
        assert_eq!(
            VirtualTime::from_ymd(2024, 12, 31)
                .unwrap()
                .plus(Duration::from_secs(86_400))
                .date(),
            "2025-01-01"
        );
    }

    #[test]
    fn civil_round_trip_over_many_years() {
        for days in (-800_000..800_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn parse_round_trips_and_accepts_offsets() {
        let t: VirtualTime = "2026-11-25T10:00:00.123Z".parse().unwrap();
        assert_eq!(t.to_string(), "2026-11-25T10:00:00.123Z");
        let u: VirtualTime = "2026-11-25T11:00:00+01:00".parse().unwrap();
        assert_eq!(u.to_string(), "2026-11-25T10:00:00.000Z");
        let v: VirtualTime = "2026-11-25T10:00:00.5Z".parse().unwrap();
        assert_eq!(v.millis() % 1000, 500);
        for bad in [
            "",
            "2026-11-25",
            "2026-11-25T25:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-11-25T10:00:00",
            "2026-11-25T10:00:00.Z",
        ] {
            assert!(bad.parse::<VirtualTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_as_string() {
        let t = VirtualTime::from_millis(1_795_600_800_000);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-25T10:00:00.000Z\"");
        assert_eq!(serde_json::from_str::<VirtualTime>(&json).unwrap(), t);
    }

    #[test]
    fn virtual_clock_moves_only_on_advance_and_is_shared() {
        let start = VirtualTime::from_millis(1_000);
        let c = VirtualClock::new(start);
        let other = c.clone();
        assert_eq!(c.now(), start);
        c.advance(Duration::from_secs(7));
        assert_eq!(other.now().millis(), 8_000);
        other.advance_to(VirtualTime::from_millis(5));
        assert_eq!(c.now().millis(), 8_000, "never backwards");
        assert!(c.is_virtual());
        assert!(!SystemClock.is_virtual());
    }

    #[test]
    fn system_clock_is_recent() {
        assert!(SystemClock.now() > VirtualTime::from_ymd(2024, 1, 1).unwrap());
    }
}
