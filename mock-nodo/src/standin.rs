//! The station health monitor and the Stand-In state machine (DOMAIN.md §7.1–§7.3, §14).
//!
//! A [`StationMonitor`] is a pure function of what it was told and of virtual time: it never
//! reads a clock, sends a request or sleeps. The caller feeds it every verify/activate
//! exchange toward the station ([`StationMonitor::observe`]), every technical probe while the
//! station is in Stand-In ([`StationMonitor::probe`]), and asks it to evaluate at slot
//! boundaries ([`StationMonitor::evaluate`], [`StationMonitor::evaluate_until`]). Every
//! change of state is a [`Transition`] that carries its reason and the numbers behind it.
//!
//! # The rules, as implemented
//!
//! * **Slots** are aligned to wall-clock multiples of the slot length (…:00, …:05, …:10 for
//!   5-minute slots), as a cron-like scheduler would run them and as stand-in-manager buckets
//!   its counts (`floor(epoch / slot) × slot`). Because Rome is a whole number of hours away
//!   from UTC, the same slots are aligned in Italian local time too.
//! * An evaluation happens at a **boundary** `B` and looks at the range `[B − range, B)`:
//!   the 6 complete slots before it (default rules). Anything observed at or after `B`
//!   belongs to the next evaluation, so the order in which the caller observes and evaluates
//!   at the same instant does not matter.
//! * A slot **fails** when its monitored faults are more than `slot_fault_percent` of the
//!   station's requests in it; a slot without requests does not fail.
//! * The failed-slot share is over all the slots of the range (6), not only those with
//!   traffic, as stand-in-manager divides by `range / slot`.
//! * The **traffic threshold** `T` is `day_traffic_percent` by day and `night_traffic_percent`
//!   by night, night being decided once per evaluation, on the boundary's Italian local time
//!   (Europe/Rome, [`rome_utc_offset_hours`]): stand-in-manager picks it from the instant its
//!   job runs and applies it to every slot of the range.
//! * The station **enters Stand-In** when failed slots are more than `failed_slots_percent`
//!   of the range **and** the traffic condition holds. With [`TrafficShare::PerSlot`] (the
//!   default, stand-in-manager's `NodoCalcService`) a slot is *high-traffic* when the
//!   station's requests in it are more than `T` % of that slot's total Nodo traffic, and the
//!   condition is that high-traffic slots are more than `T` % of the range's slots: the same
//!   `T` twice, as in the implementation (with 6 slots, one high-traffic slot is enough,
//!   1/6 ≈ 17 % > 10 %). With [`TrafficShare::Range`] the condition is the station's
//!   requests being more than `T` % of the Nodo's traffic over the whole range (the
//!   documentation's wording, §7.1).
//! * While in Stand-In, a **probe** (verify of notice [`PROBE_NOTICE_NUMBER`]) is due at every
//!   multiple of `probe_interval_minutes`, the first at the activation instant; a probe is
//!   positive iff [`probe_is_positive`].
//! * The station **leaves Stand-In** by [`ExitRule::Implementation`] (default: at least
//!   `exit_min_minutes` since activation and more than `exit_min_positive_probes` positive
//!   probes in the last `exit_window_minutes`) or [`ExitRule::Documented`] (at least
//!   `exit_positive_percent` of the probes in the window positive), DOMAIN.md §15 item 4.
//!
//! All percentage comparisons are done by cross-multiplication (`a × 100 > t × b`) rather
//! than by dividing, so that "exactly 50 %" is exactly 50 % and never 49.999…

use crate::checks::NodoOutcome;
use crate::clock::VirtualTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The notice number of the technical probe the Nodo sends while a station is in Stand-In.
pub const PROBE_NOTICE_NUMBER: &str = "000000000000000000";

/// The substring a probe reply must contain to be positive (the EC answers
/// `PAA_PAGAMENTO_SCONOSCIUTO`; stand-in-manager only looks for this word).
pub const PROBE_POSITIVE_MARKER: &str = "SCONOSCIUTO";

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_HOUR: i64 = 3_600_000;
const MS_PER_DAY: i64 = 86_400_000;

/// Whether a probe reply counts as positive: HTTP 2xx **and** the body contains
/// [`PROBE_POSITIVE_MARKER`] (DOMAIN.md §7.3, implementation). The body is not parsed: a
/// SOAP Fault mentioning the word would count, exactly as it does for stand-in-manager.
pub fn probe_is_positive(http_status: u16, body: &str) -> bool {
    (200..300).contains(&http_status) && body.contains(PROBE_POSITIVE_MARKER)
}

/// How a station leaves Stand-In; the sources disagree (DOMAIN.md §15 item 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExitRule {
    /// stand-in-manager: at least `exit_min_minutes` in Stand-In and more than
    /// `exit_min_positive_probes` positive probes in the last `exit_window_minutes`.
    #[default]
    Implementation,
    /// The documentation: at least `exit_positive_percent` of the probes positive. The
    /// documentation names no window and no minimum stay; the probes counted are those of
    /// the last `exit_window_minutes` since activation, and at least one is needed.
    Documented,
}

/// How the traffic condition of activation reads the station's share of Nodo traffic
/// (DOMAIN.md §7.1 against §7.2): `traffic_share = "per-slot" | "range"` in `[standin]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrafficShare {
    /// stand-in-manager: the share is taken slot by slot, against that slot's own Nodo total;
    /// a slot above the threshold `T` is high-traffic, and activation needs more than `T` %
    /// of the range's slots high-traffic.
    ///
    /// The published `NodoCalcService` merges a slot's records without carrying the slot's
    /// Nodo total over, which as written makes every slot with traffic high-traffic (a
    /// division by zero); the simulator follows the evident intent instead, since copying
    /// that slip would make the threshold meaningless.
    #[default]
    PerSlot,
    /// The documentation: the station's requests over the whole range against the Nodo's
    /// total over the range, above `T`. Busy slots can then make up for quiet ones, and one
    /// busy slot among quiet ones may not be enough where it is for [`TrafficShare::PerSlot`].
    Range,
}

/// The thresholds of Stand-In, as `[standin]` in collaudo.toml sets them.
///
/// Defaults are stand-in-manager's production values (DOMAIN.md §7.2–§7.3). Percentages are
/// in percent (`50.0` is half). Check them with [`StandInRules::validate`]; a
/// [`StationMonitor`] refuses invalid rules.
///
/// ```toml
/// [standin]
/// traffic_share = "per-slot"    # default; "range" = the share over the whole 30 minutes
/// day_traffic_percent = 5.0
/// night_traffic_percent = 10.0
/// exit_rule = "implementation"  # or "documented"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StandInRules {
    /// Length of a slot, in minutes (5).
    pub slot_minutes: u32,
    /// Length of the range evaluated at each boundary, in minutes; a multiple of the slot (30).
    pub range_minutes: u32,
    /// A slot fails when monitored faults are **more than** this percentage of the
    /// station's requests in it (50).
    pub slot_fault_percent: f64,
    /// Activation needs **more than** this percentage of the range's slots failed (50).
    pub failed_slots_percent: f64,
    /// How the station's share of Nodo traffic is judged: per slot (default) or over the
    /// range; see [`TrafficShare`].
    pub traffic_share: TrafficShare,
    /// The traffic threshold by day (5): a share of Nodo traffic **above** it makes a slot
    /// high-traffic ([`TrafficShare::PerSlot`], where activation also needs high-traffic slots
    /// above this percentage of the range) or the range heavy enough ([`TrafficShare::Range`]).
    pub day_traffic_percent: f64,
    /// The traffic threshold by night (10), used as `day_traffic_percent` is by day.
    pub night_traffic_percent: f64,
    /// Night starts at this hour, Italian local time, inclusive (22).
    pub night_start_hour: u8,
    /// Night ends at this hour, Italian local time, exclusive (6).
    pub night_end_hour: u8,
    /// Minutes between two technical probes while in Stand-In (5).
    pub probe_interval_minutes: u32,
    /// Which exit rule applies.
    pub exit_rule: ExitRule,
    /// [`ExitRule::Implementation`]: minimum minutes in Stand-In before leaving (60).
    pub exit_min_minutes: u32,
    /// Both rules: the probes counted are those of the last this-many minutes (60).
    pub exit_window_minutes: u32,
    /// [`ExitRule::Implementation`]: leaving needs **more than** this many positive probes
    /// in the window (6).
    pub exit_min_positive_probes: u32,
    /// [`ExitRule::Documented`]: leaving needs **at least** this percentage of positive
    /// probes in the window (50).
    pub exit_positive_percent: f64,
}

impl Default for StandInRules {
    fn default() -> Self {
        StandInRules {
            slot_minutes: 5,
            range_minutes: 30,
            slot_fault_percent: 50.0,
            failed_slots_percent: 50.0,
            traffic_share: TrafficShare::PerSlot,
            day_traffic_percent: 5.0,
            night_traffic_percent: 10.0,
            night_start_hour: 22,
            night_end_hour: 6,
            probe_interval_minutes: 5,
            exit_rule: ExitRule::Implementation,
            exit_min_minutes: 60,
            exit_window_minutes: 60,
            exit_min_positive_probes: 6,
            exit_positive_percent: 50.0,
        }
    }
}

/// Rules a monitor cannot run with (a zero slot, a range that is not whole slots, a
/// percentage outside 0–100, an hour past 23).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Stand-In rules: {0}")]
pub struct InvalidStandInRules(String);

impl StandInRules {
    /// Check that the rules can drive a monitor.
    pub fn validate(&self) -> Result<(), InvalidStandInRules> {
        let bad = |m: String| Err(InvalidStandInRules(m));
        if self.slot_minutes == 0 {
            return bad("slot_minutes must be at least 1".into());
        }
        if self.range_minutes == 0 || self.range_minutes % self.slot_minutes != 0 {
            return bad(format!(
                "range_minutes ({}) must be a positive multiple of slot_minutes ({})",
                self.range_minutes, self.slot_minutes
            ));
        }
        if self.probe_interval_minutes == 0 {
            return bad("probe_interval_minutes must be at least 1".into());
        }
        if self.exit_window_minutes == 0 {
            return bad("exit_window_minutes must be at least 1".into());
        }
        for (name, v) in [
            ("slot_fault_percent", self.slot_fault_percent),
            ("failed_slots_percent", self.failed_slots_percent),
            ("day_traffic_percent", self.day_traffic_percent),
            ("night_traffic_percent", self.night_traffic_percent),
            ("exit_positive_percent", self.exit_positive_percent),
        ] {
            if !(0.0..=100.0).contains(&v) {
                return bad(format!("{name} ({v}) must be between 0 and 100"));
            }
        }
        for (name, h) in [
            ("night_start_hour", self.night_start_hour),
            ("night_end_hour", self.night_end_hour),
        ] {
            if h > 23 {
                return bad(format!("{name} ({h}) must be between 0 and 23"));
            }
        }
        Ok(())
    }

    /// Whether `t` is night in Italian local time: from `night_start_hour` (inclusive) to
    /// `night_end_hour` (exclusive), across midnight when start > end; never when equal.
    pub fn is_night(&self, t: VirtualTime) -> bool {
        let (h, _) = rome_local_hour_minute(t);
        let (start, end) = (self.night_start_hour, self.night_end_hour);
        if start > end {
            h >= start || h < end
        } else {
            (start..end).contains(&h)
        }
    }

    /// The traffic-share threshold, in percent, that applies at `t`.
    pub fn traffic_percent_at(&self, t: VirtualTime) -> f64 {
        if self.is_night(t) {
            self.night_traffic_percent
        } else {
            self.day_traffic_percent
        }
    }

    /// The start of the slot `t` falls in (slots are aligned to multiples of the slot length
    /// since the epoch, so to wall-clock minutes).
    pub fn slot_start(&self, t: VirtualTime) -> VirtualTime {
        floor_to(t, self.slot_ms())
    }

    fn slot_ms(&self) -> i64 {
        i64::from(self.slot_minutes) * MS_PER_MINUTE
    }

    fn range_slots(&self) -> i64 {
        // validate() guarantees a non-zero slot; max(1) keeps this total anyway.
        i64::from(self.range_minutes / self.slot_minutes.max(1))
    }
}

/// Italy's offset from UTC at `t`, in hours: 2 (CEST) from the last Sunday of March 01:00
/// UTC to the last Sunday of October 01:00 UTC, otherwise 1 (CET).
///
/// This is the EU rule in force since 1996, computed here rather than read from a time-zone
/// database so the crate needs none; instants before 1996 follow the same rule, which is
/// wrong for them but never matters to a simulation of today's Nodo.
pub fn rome_utc_offset_hours(t: VirtualTime) -> i64 {
    let year = year_of(t);
    let (Some(start), Some(end)) = (
        last_sunday_of(year, 3).map(|d| d + MS_PER_HOUR),
        last_sunday_of(year, 10).map(|d| d + MS_PER_HOUR),
    ) else {
        // Only for years beyond VirtualTime's calendar range: winter time is as good a
        // guess as any.
        return 1;
    };
    if (start..end).contains(&t.millis()) {
        2
    } else {
        1
    }
}

/// Hour (0–23) and minute (0–59) of `t` in Italian local time (Europe/Rome).
pub fn rome_local_hour_minute(t: VirtualTime) -> (u8, u8) {
    let local = t
        .millis()
        .saturating_add(rome_utc_offset_hours(t) * MS_PER_HOUR);
    let ms_of_day = local.rem_euclid(MS_PER_DAY);
    // Both quotients are small by construction (< 24 and < 60).
    (
        u8::try_from(ms_of_day / MS_PER_HOUR).unwrap_or(0),
        u8::try_from(ms_of_day / MS_PER_MINUTE % 60).unwrap_or(0),
    )
}

/// The UTC year of `t`, found by stepping from an estimate with [`VirtualTime::from_ymd`]
/// (the clock module keeps its calendar arithmetic private).
fn year_of(t: VirtualTime) -> i64 {
    // 365.2425 days: the mean Gregorian year, so the estimate is off by at most one.
    const MEAN_YEAR_MS: i64 = 31_556_952_000;
    let mut y = 1970 + t.millis().div_euclid(MEAN_YEAR_MS);
    for _ in 0..4 {
        match VirtualTime::from_ymd(y, 1, 1) {
            Some(jan1) if jan1 > t => y -= 1,
            _ => break,
        }
    }
    for _ in 0..4 {
        match VirtualTime::from_ymd(y + 1, 1, 1) {
            Some(next) if next <= t => y += 1,
            _ => break,
        }
    }
    y
}

/// Midnight UTC (in ms) of the last Sunday of `month` (March or October: both have 31 days).
fn last_sunday_of(year: i64, month: u32) -> Option<i64> {
    let last = VirtualTime::from_ymd(year, month, 31)?.millis();
    let days = last.div_euclid(MS_PER_DAY);
    // 1970-01-01 was a Thursday: +4 makes Sunday 0.
    let weekday = (days + 4).rem_euclid(7);
    Some(last - weekday * MS_PER_DAY)
}

/// Total Nodo payment traffic (all stations, this one included) per slot: a scenario
/// parameter, since the mock Nodo only sees the station under test.
///
/// When the model says less than the station itself sent in a slot, the station's own count
/// is used as the total (a share above 100 % means nothing).
#[derive(Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrafficModel {
    /// The same number of requests in every slot.
    PerSlot(u64),
    /// A step function: `initial` per slot until the first key of `from`, then each value
    /// for the slots starting at or after its instant.
    Steps {
        /// Requests per slot before the first step.
        initial: u64,
        /// From each instant on, this many requests per slot.
        #[serde(default)]
        from: BTreeMap<VirtualTime, u64>,
    },
    /// Any function of the slot's start (tests, generated scenarios). Not deserializable.
    #[serde(skip)]
    Function(Arc<dyn Fn(VirtualTime) -> u64 + Send + Sync>),
}

impl TrafficModel {
    /// A model from a function of the slot's start.
    pub fn from_fn(f: impl Fn(VirtualTime) -> u64 + Send + Sync + 'static) -> Self {
        TrafficModel::Function(Arc::new(f))
    }

    /// Requests of total Nodo traffic in the slot starting at `slot_start`.
    pub fn total_in_slot(&self, slot_start: VirtualTime) -> u64 {
        match self {
            TrafficModel::PerSlot(n) => *n,
            TrafficModel::Steps { initial, from } => from
                .range(..=slot_start)
                .next_back()
                .map_or(*initial, |(_, n)| *n),
            TrafficModel::Function(f) => f(slot_start),
        }
    }

    /// This model for the slots starting before `from`, `next` for those starting at or after
    /// it: a change of traffic in the middle of a scenario, which must not rewrite the traffic
    /// of slots already observed. `from` should be a slot start
    /// ([`StandInRules::slot_start`]).
    #[must_use]
    pub fn then_from(self, from: VirtualTime, next: TrafficModel) -> TrafficModel {
        match (self, next) {
            (TrafficModel::PerSlot(initial), TrafficModel::PerSlot(n)) => TrafficModel::Steps {
                initial,
                from: BTreeMap::from([(from, n)]),
            },
            (
                TrafficModel::Steps {
                    initial,
                    from: mut steps,
                },
                TrafficModel::PerSlot(n),
            ) => {
                // Steps at or after `from` belonged to a future the new model replaces.
                let _ = steps.split_off(&from);
                steps.insert(from, n);
                TrafficModel::Steps {
                    initial,
                    from: steps,
                }
            }
            (before, next) => TrafficModel::from_fn(move |slot| {
                if slot >= from {
                    next.total_in_slot(slot)
                } else {
                    before.total_in_slot(slot)
                }
            }),
        }
    }
}

impl fmt::Debug for TrafficModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrafficModel::PerSlot(n) => f.debug_tuple("PerSlot").field(n).finish(),
            TrafficModel::Steps { initial, from } => f
                .debug_struct("Steps")
                .field("initial", initial)
                .field("from", from)
                .finish(),
            // A closure has nothing printable.
            TrafficModel::Function(_) => f.write_str("Function(..)"),
        }
    }
}

/// Whether the Nodo answers for the station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum StandInState {
    /// The EC station is called.
    #[default]
    Normal,
    /// The Nodo answers verify/activate from ACA.
    StandIn {
        /// When the station entered Stand-In.
        since: VirtualTime,
    },
}

impl fmt::Display for StandInState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StandInState::Normal => f.write_str("normal"),
            StandInState::StandIn { since } => write!(f, "Stand-In since {since}"),
        }
    }
}

/// The numbers an evaluation looked at.
///
/// Slot and traffic figures are always those of the range before the boundary; probe
/// figures are zero unless the station was in Stand-In. `threshold` is the one the decisive
/// comparison used: the traffic percentage for an activation (or a check in normal state),
/// the positive-probe count ([`ExitRule::Implementation`]) or percentage
/// ([`ExitRule::Documented`]) for an exit (or a check in Stand-In).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionNumbers {
    /// Slots of the range in which faults were above the slot threshold.
    pub failed_slots: u32,
    /// Slots in the range.
    pub slots: u32,
    /// `failed_slots / slots`, in percent.
    pub failed_share: f64,
    /// The station's verify/activate requests in the range.
    pub station_requests: u64,
    /// Total Nodo payment traffic in the range (the station's included).
    pub total_requests: u64,
    /// `station_requests / total_requests`, in percent (0 with no traffic).
    pub traffic_share: f64,
    /// Slots of the range in which the station's requests were more than the traffic
    /// threshold of that slot's Nodo total.
    pub high_traffic_slots: u32,
    /// `high_traffic_slots / slots`, in percent.
    pub high_traffic_share: f64,
    /// Which traffic condition the rules apply; the other one's figures are reported too.
    pub traffic_rule: TrafficShare,
    /// See the type's documentation.
    pub threshold: f64,
    /// Whether the boundary fell at night, Italian local time.
    pub night: bool,
    /// Positive probes in the exit window since activation.
    pub positive_probes: u32,
    /// Probes in the exit window since activation.
    pub probes: u32,
    /// Whole minutes from activation to the boundary.
    pub minutes_in_standin: u64,
}

impl TransitionNumbers {
    /// Whether these numbers, taken in normal state, put the station in Stand-In.
    fn activation_holds(&self, r: &StandInRules) -> bool {
        let slots = f64::from(self.slots);
        let slots_fail = f64::from(self.failed_slots) * 100.0 > r.failed_slots_percent * slots;
        let heavy = match self.traffic_rule {
            // The implementation compares the share of high-traffic slots with the very
            // threshold that made them high-traffic (DOMAIN.md §7.2).
            TrafficShare::PerSlot => {
                f64::from(self.high_traffic_slots) * 100.0 > self.threshold * slots
            }
            TrafficShare::Range => {
                self.station_requests as f64 * 100.0 > self.threshold * self.total_requests as f64
            }
        };
        slots_fail && heavy
    }

    /// The sentence of an activation: the failed slots, then the traffic condition as the
    /// rules read it.
    fn activation_reason(&self, r: &StandInRules) -> String {
        let when = if self.night { "night" } else { "day" };
        let traffic = match self.traffic_rule {
            TrafficShare::PerSlot => format!(
                "{} of {} slots had more than {} % of the slot's Nodo traffic ({} % > {} %, {when})",
                self.high_traffic_slots,
                self.slots,
                self.threshold,
                share(self.high_traffic_share, self.threshold, 0),
                self.threshold,
            ),
            TrafficShare::Range => format!(
                "the station had {} % of Nodo traffic (> {} %, {when})",
                share(self.traffic_share, self.threshold, 1),
                self.threshold,
            ),
        };
        format!(
            "{} of {} slots failed ({} % > {} %) and {traffic}",
            self.failed_slots,
            self.slots,
            share(self.failed_share, r.failed_slots_percent, 0),
            r.failed_slots_percent,
        )
    }
}

/// One change of [`StandInState`], with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// The boundary at which it happened.
    pub at: VirtualTime,
    /// The state before.
    pub from: StandInState,
    /// The state after.
    pub to: StandInState,
    /// Why, in words (the part of the [`Display`](fmt::Display) sentence after the colon).
    pub reason: String,
    /// The numbers behind it.
    pub numbers: TransitionNumbers,
}

impl Transition {
    /// Whether this transition puts the station in Stand-In.
    pub fn is_activation(&self) -> bool {
        matches!(self.to, StandInState::StandIn { .. })
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.is_activation() {
            "enters Stand-In"
        } else {
            "leaves Stand-In"
        };
        write!(f, "{verb} at {}: {}", self.at, self.reason)
    }
}

/// Counts of one slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct SlotCounts {
    requests: u64,
    unavailable: u64,
}

/// Counts of probes at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ProbeCounts {
    total: u32,
    positive: u32,
}

/// Health and Stand-In state of one station, driven by observations and virtual time.
#[derive(Debug, Clone)]
pub struct StationMonitor {
    rules: StandInRules,
    state: StandInState,
    /// The last boundary evaluated (or the boundary at or before the start).
    last_evaluated: VirtualTime,
    /// Requests and faults by slot index (`floor(ms / slot_ms)`).
    slots: BTreeMap<i64, SlotCounts>,
    /// Probes by instant (ms); kept whatever the state, so that feeding everything first and
    /// evaluating afterwards gives the same answer as evaluating as time goes.
    probes: BTreeMap<i64, ProbeCounts>,
    last_probe: Option<VirtualTime>,
    transitions: Vec<Transition>,
}

impl StationMonitor {
    /// A monitor in normal state, watching from `start`: the first boundary evaluated is the
    /// first one after `start`.
    pub fn new(rules: StandInRules, start: VirtualTime) -> Result<Self, InvalidStandInRules> {
        rules.validate()?;
        let last_evaluated = floor_to(start, rules.slot_ms());
        Ok(StationMonitor {
            rules,
            state: StandInState::Normal,
            last_evaluated,
            slots: BTreeMap::new(),
            probes: BTreeMap::new(),
            last_probe: None,
            transitions: Vec::new(),
        })
    }

    /// The rules in force.
    pub fn rules(&self) -> &StandInRules {
        &self.rules
    }

    /// The current state.
    pub fn state(&self) -> StandInState {
        self.state
    }

    /// Whether the station is in Stand-In now.
    pub fn in_stand_in(&self) -> bool {
        matches!(self.state, StandInState::StandIn { .. })
    }

    /// Every transition so far, oldest first.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// The last boundary evaluated.
    pub fn last_evaluated(&self) -> VirtualTime {
        self.last_evaluated
    }

    /// One verify/activate exchange toward the station at `at`; `unavailable` when the Nodo's
    /// outcome was one of the monitored faults (IRRAGGIUNGIBILE, TIMEOUT, SERVIZIO_NON_ATTIVO).
    pub fn observe(&mut self, at: VirtualTime, unavailable: bool) {
        self.observe_counts(at, 1, u64::from(unavailable));
    }

    /// [`StationMonitor::observe`] with the Nodo's outcome
    /// ([`NodoOutcome::is_station_unavailable`] decides).
    pub fn observe_outcome(&mut self, at: VirtualTime, outcome: &NodoOutcome) {
        self.observe(at, outcome.is_station_unavailable());
    }

    /// `requests` exchanges at `at`, `unavailable` of them with a monitored fault (capped at
    /// `requests`): the bulk form of [`StationMonitor::observe`].
    pub fn observe_counts(&mut self, at: VirtualTime, requests: u64, unavailable: u64) {
        let slot = at.millis().div_euclid(self.rules.slot_ms());
        let c = self.slots.entry(slot).or_default();
        c.requests = c.requests.saturating_add(requests);
        c.unavailable = c.unavailable.saturating_add(unavailable.min(requests));
    }

    /// One technical probe at `at` ([`probe_is_positive`] decides `positive`). Probes are
    /// recorded whatever the state; only those at or after the activation count for exit.
    pub fn probe(&mut self, at: VirtualTime, positive: bool) {
        let c = self.probes.entry(at.millis()).or_default();
        c.total = c.total.saturating_add(1);
        c.positive = c.positive.saturating_add(u32::from(positive));
        self.last_probe = self.last_probe.max(Some(at));
    }

    /// When the next probe is due: `None` in normal state. In Stand-In, the first probe is
    /// due at activation, then at each multiple of the probe interval after the last probe.
    /// A late caller owes one probe, not a backlog, as with a cron job.
    pub fn next_probe_at(&self) -> Option<VirtualTime> {
        let StandInState::StandIn { since } = self.state else {
            return None;
        };
        let step = i64::from(self.rules.probe_interval_minutes) * MS_PER_MINUTE;
        let first = ceil_to(since, step);
        Some(match self.last_probe {
            Some(last) if last >= since => first.max(add_ms(floor_to(last, step), step)),
            _ => first,
        })
    }

    /// Whether a probe is due at `now`.
    pub fn probe_due(&self, now: VirtualTime) -> bool {
        self.next_probe_at().is_some_and(|t| now >= t)
    }

    /// Evaluate the boundary at or before `now`, unless it was already evaluated; boundaries
    /// in between are skipped (use [`StationMonitor::evaluate_until`] not to skip them).
    pub fn evaluate(&mut self, now: VirtualTime, traffic: &TrafficModel) -> Option<Transition> {
        let boundary = floor_to(now, self.rules.slot_ms());
        if boundary <= self.last_evaluated {
            return None;
        }
        let t = self.evaluate_boundary(boundary, traffic);
        self.prune();
        t
    }

    /// Evaluate every boundary after the last evaluation up to `now`, in order, and return
    /// the transitions that happened: jumping ahead in virtual time gives the same result as
    /// evaluating at each boundary, provided the observations were already fed.
    ///
    /// Boundaries where no transition is possible are skipped without work (in normal state,
    /// those whose range holds no request of the station; in Stand-In, those whose window
    /// holds no probe), so even a jump of years costs only the boundaries near the data.
    pub fn evaluate_until(&mut self, now: VirtualTime, traffic: &TrafficModel) -> Vec<Transition> {
        let slot = self.rules.slot_ms();
        let end = floor_to(now, slot);
        let mut out = Vec::new();
        let mut b = add_ms(self.last_evaluated, slot);
        while b <= end {
            let candidate = self.first_candidate_from(b);
            if candidate > b {
                b = candidate;
                continue;
            }
            out.extend(self.evaluate_boundary(b, traffic));
            if b.millis() == i64::MAX {
                // Saturated at the end of time: stepping again would not move.
                break;
            }
            b = add_ms(b, slot);
        }
        // The skipped boundaries count as evaluated: nothing could happen at them.
        self.last_evaluated = self.last_evaluated.max(end);
        self.prune();
        out
    }

    /// The first boundary at or after `b` at which the current state could change, given
    /// what has been observed so far: activation needs at least one request of the station
    /// in the range (the traffic share is 0 otherwise), exit needs at least one probe in the
    /// window (both exit rules need a positive count or share of probes).
    fn first_candidate_from(&self, b: VirtualTime) -> VirtualTime {
        let slot = self.rules.slot_ms();
        let next_data_end = match self.state {
            StandInState::Normal => {
                let first = b
                    .millis()
                    .div_euclid(slot)
                    .saturating_sub(self.rules.range_slots());
                self.slots
                    .range(first..)
                    .find(|(_, c)| c.requests > 0)
                    .map(|(i, _)| i.saturating_add(1).saturating_mul(slot))
            }
            StandInState::StandIn { since } => {
                let window = i64::from(self.rules.exit_window_minutes) * MS_PER_MINUTE;
                let from = b.millis().saturating_sub(window).max(since.millis());
                self.probes.range(from..).next().map(|(at, _)| {
                    floor_to(VirtualTime::from_millis(*at), slot)
                        .millis()
                        .saturating_add(slot)
                })
            }
        };
        // Without data ahead nothing can happen any more: past every boundary.
        VirtualTime::from_millis(next_data_end.unwrap_or(i64::MAX)).max(b)
    }

    /// The numbers an evaluation at `boundary` would look at in the current state, without
    /// changing anything: "why did it not enter Stand-In" for reports. `boundary` is rounded
    /// down to a slot boundary. Data older than the range of the last evaluation may have been
    /// discarded, so ask about [`StationMonitor::last_evaluated`] or later boundaries.
    pub fn assess(&self, boundary: VirtualTime, traffic: &TrafficModel) -> TransitionNumbers {
        let slot = self.rules.slot_ms();
        let boundary = floor_to(boundary, slot);
        let end_slot = boundary.millis().div_euclid(slot);
        let range_slots = self.rules.range_slots();
        let night = self.rules.is_night(boundary);
        let threshold = self.rules.traffic_percent_at(boundary);
        let (mut failed, mut high, mut station, mut total) = (0u32, 0u32, 0u64, 0u64);
        for i in end_slot.saturating_sub(range_slots)..end_slot {
            let c = self.slots.get(&i).copied().unwrap_or_default();
            // "More than p %" as faults × 100 > p × requests: an empty slot never fails.
            if c.unavailable as f64 * 100.0 > self.rules.slot_fault_percent * c.requests as f64 {
                failed += 1;
            }
            let model = traffic.total_in_slot(VirtualTime::from_millis(i.saturating_mul(slot)));
            let slot_total = model.max(c.requests);
            // The same comparison per slot: a slot without requests is never high-traffic.
            if c.requests as f64 * 100.0 > threshold * slot_total as f64 {
                high += 1;
            }
            station = station.saturating_add(c.requests);
            total = total.saturating_add(slot_total);
        }
        let slots = u32::try_from(range_slots).unwrap_or(u32::MAX);
        let mut n = TransitionNumbers {
            failed_slots: failed,
            slots,
            failed_share: percent(u64::from(failed), u64::from(slots)),
            station_requests: station,
            total_requests: total,
            traffic_share: percent(station, total),
            high_traffic_slots: high,
            high_traffic_share: percent(u64::from(high), u64::from(slots)),
            traffic_rule: self.rules.traffic_share,
            threshold,
            night,
            positive_probes: 0,
            probes: 0,
            minutes_in_standin: 0,
        };
        if let StandInState::StandIn { since } = self.state {
            let window = i64::from(self.rules.exit_window_minutes) * MS_PER_MINUTE;
            let from = boundary.millis().saturating_sub(window).max(since.millis());
            for c in self.probes.range(from..boundary.millis()).map(|(_, c)| c) {
                n.probes = n.probes.saturating_add(c.total);
                n.positive_probes = n.positive_probes.saturating_add(c.positive);
            }
            n.minutes_in_standin = minutes(boundary.since(since).as_millis());
            n.threshold = match self.rules.exit_rule {
                ExitRule::Implementation => f64::from(self.rules.exit_min_positive_probes),
                ExitRule::Documented => self.rules.exit_positive_percent,
            };
        }
        n
    }

    fn evaluate_boundary(
        &mut self,
        boundary: VirtualTime,
        traffic: &TrafficModel,
    ) -> Option<Transition> {
        self.last_evaluated = boundary;
        let n = self.assess(boundary, traffic);
        let r = &self.rules;
        let (to, reason) = match self.state {
            StandInState::Normal => {
                if !n.activation_holds(r) {
                    return None;
                }
                (
                    StandInState::StandIn { since: boundary },
                    n.activation_reason(r),
                )
            }
            StandInState::StandIn { since } => {
                let window = r.exit_window_minutes;
                let reason = match r.exit_rule {
                    ExitRule::Implementation => {
                        let long_enough = boundary.since(since).as_millis()
                            >= u128::from(r.exit_min_minutes) * 60_000;
                        if !(long_enough && n.positive_probes > r.exit_min_positive_probes) {
                            return None;
                        }
                        format!(
                            "{} of {} probes positive in the last {window} min (> {}) after \
                             {} min in Stand-In (≥ {})",
                            n.positive_probes,
                            n.probes,
                            r.exit_min_positive_probes,
                            n.minutes_in_standin,
                            r.exit_min_minutes,
                        )
                    }
                    ExitRule::Documented => {
                        let enough = n.probes > 0
                            && f64::from(n.positive_probes) * 100.0
                                >= r.exit_positive_percent * f64::from(n.probes);
                        if !enough {
                            return None;
                        }
                        let pos = percent(u64::from(n.positive_probes), u64::from(n.probes));
                        format!(
                            "{} of {} probes positive in the last {window} min ({} % ≥ {} %, \
                             documented rule) after {} min in Stand-In",
                            n.positive_probes,
                            n.probes,
                            share(pos, r.exit_positive_percent, 0),
                            r.exit_positive_percent,
                            n.minutes_in_standin,
                        )
                    }
                };
                (StandInState::Normal, reason)
            }
        };
        let t = Transition {
            at: boundary,
            from: self.state,
            to,
            reason,
            numbers: n,
        };
        self.state = to;
        self.transitions.push(t.clone());
        Some(t)
    }

    /// Drop what no evaluation from the last boundary on can look at. The last boundary's
    /// own range is kept so that [`StationMonitor::assess`] can still explain it.
    fn prune(&mut self) {
        let last = self.last_evaluated.millis();
        let slot = self.rules.slot_ms();
        let first_slot = last
            .div_euclid(slot)
            .saturating_sub(self.rules.range_slots());
        self.slots = self.slots.split_off(&first_slot);
        let window = i64::from(self.rules.exit_window_minutes) * MS_PER_MINUTE;
        self.probes = self.probes.split_off(&last.saturating_sub(window));
    }
}

/// `t` plus `ms` milliseconds, saturating at the end of the representable range.
fn add_ms(t: VirtualTime, ms: i64) -> VirtualTime {
    VirtualTime::from_millis(t.millis().saturating_add(ms))
}

/// The latest multiple of `step` ms at or before `t` (epoch-aligned, so wall-clock aligned).
fn floor_to(t: VirtualTime, step: i64) -> VirtualTime {
    let step = step.max(1);
    VirtualTime::from_millis(t.millis().div_euclid(step).saturating_mul(step))
}

/// The earliest multiple of `step` ms at or after `t`.
fn ceil_to(t: VirtualTime, step: i64) -> VirtualTime {
    let f = floor_to(t, step);
    if f == t { f } else { add_ms(f, step.max(1)) }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn minutes(ms: u128) -> u64 {
    u64::try_from(ms / 60_000).unwrap_or(u64::MAX)
}

/// `value` with `decimals` decimals, or more (up to 4) when that many would print it equal
/// to a different `threshold` ("5.0 % > 5 %" would read as a contradiction).
fn share(value: f64, threshold: f64, decimals: usize) -> String {
    let mut d = decimals;
    loop {
        let s = format!("{value:.d$}");
        let looks_equal = s.parse::<f64>().is_ok_and(|r| r == threshold);
        if !looks_equal || value == threshold || d >= 4 {
            return s;
        }
        d += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> VirtualTime {
        s.parse().unwrap()
    }

    #[test]
    fn rome_offset_switches_on_last_sundays_at_one_utc() {
        // (last Sunday of March, last Sunday of October) for a few years.
        for (march, october) in [
            ("2024-03-31", "2024-10-27"),
            ("2025-03-30", "2025-10-26"),
            ("2026-03-29", "2026-10-25"),
            ("2027-03-28", "2027-10-31"),
            ("2028-03-26", "2028-10-29"),
        ] {
            let on = t(&format!("{march}T01:00:00Z"));
            let off = t(&format!("{october}T01:00:00Z"));
            let ms = |x: VirtualTime, d: i64| VirtualTime::from_millis(x.millis() + d);
            assert_eq!(rome_utc_offset_hours(ms(on, -1)), 1, "{march} just before");
            assert_eq!(rome_utc_offset_hours(on), 2, "{march} at the switch");
            assert_eq!(
                rome_utc_offset_hours(ms(off, -1)),
                2,
                "{october} just before"
            );
            assert_eq!(rome_utc_offset_hours(off), 1, "{october} at the switch");
        }
        assert_eq!(rome_utc_offset_hours(t("2026-01-01T00:00:00Z")), 1);
        assert_eq!(rome_utc_offset_hours(t("2026-07-15T12:00:00Z")), 2);
        assert_eq!(rome_utc_offset_hours(t("2026-12-31T23:59:59Z")), 1);
    }

    #[test]
    fn rome_local_clock_around_the_switches() {
        // Spring: 01:59:59 CET is followed by 03:00:00 CEST.
        assert_eq!(rome_local_hour_minute(t("2026-03-29T00:59:00Z")), (1, 59));
        assert_eq!(rome_local_hour_minute(t("2026-03-29T01:00:00Z")), (3, 0));
        // Autumn: 02:59 CEST is followed by 02:00 CET.
        assert_eq!(rome_local_hour_minute(t("2026-10-25T00:59:00Z")), (2, 59));
        assert_eq!(rome_local_hour_minute(t("2026-10-25T01:00:00Z")), (2, 0));
        // Local midnight wraps the day.
        assert_eq!(rome_local_hour_minute(t("2026-01-15T23:30:00Z")), (0, 30));
        assert_eq!(rome_local_hour_minute(t("2026-07-15T22:30:00Z")), (0, 30));
    }

    #[test]
    fn year_of_is_exact_at_year_edges() {
        for y in [1969, 1970, 2000, 2024, 2025, 2100, 2400] {
            let jan1 = VirtualTime::from_ymd(y, 1, 1).unwrap();
            assert_eq!(year_of(jan1), y);
            assert_eq!(year_of(VirtualTime::from_millis(jan1.millis() - 1)), y - 1);
        }
    }

    #[test]
    fn night_window_in_local_time() {
        let r = StandInRules::default();
        // Winter: 22:00 local = 21:00 UTC; summer: 20:00 UTC.
        assert!(!r.is_night(t("2026-01-15T20:59:59Z")));
        assert!(r.is_night(t("2026-01-15T21:00:00Z")));
        assert!(r.is_night(t("2026-01-16T04:59:59Z")));
        assert!(!r.is_night(t("2026-01-16T05:00:00Z")));
        assert!(!r.is_night(t("2026-07-15T19:59:59Z")));
        assert!(r.is_night(t("2026-07-15T20:00:00Z")));
        assert!(r.is_night(t("2026-07-16T03:59:59Z")));
        assert!(!r.is_night(t("2026-07-16T04:00:00Z")));
        let day_only = StandInRules {
            night_start_hour: 6,
            night_end_hour: 6,
            ..StandInRules::default()
        };
        assert!(!day_only.is_night(t("2026-01-16T01:00:00Z")));
    }

    #[test]
    fn slot_arithmetic_is_wall_clock_aligned() {
        let five = 5 * MS_PER_MINUTE;
        assert_eq!(
            floor_to(t("2026-11-25T10:34:59.999Z"), five),
            t("2026-11-25T10:30:00Z")
        );
        assert_eq!(
            floor_to(t("2026-11-25T10:35:00Z"), five),
            t("2026-11-25T10:35:00Z")
        );
        assert_eq!(
            ceil_to(t("2026-11-25T10:30:00.001Z"), five),
            t("2026-11-25T10:35:00Z")
        );
        assert_eq!(
            ceil_to(t("2026-11-25T10:30:00Z"), five),
            t("2026-11-25T10:30:00Z")
        );
        // Before the epoch the floor still goes down, not toward zero.
        assert_eq!(floor_to(VirtualTime::from_millis(-1), five).millis(), -five);
        let r = StandInRules::default();
        assert_eq!(r.range_slots(), 6);
        assert_eq!(r.slot_ms(), five);
    }

    #[test]
    fn assess_counts_the_six_slots_before_the_boundary() {
        let b = t("2026-11-25T10:30:00Z");
        let mut m =
            StationMonitor::new(StandInRules::default(), t("2026-11-25T09:00:00Z")).unwrap();
        m.observe(t("2026-11-25T09:59:59.999Z"), true); // before the range
        m.observe(t("2026-11-25T10:00:00Z"), true); // first slot of the range
        m.observe(t("2026-11-25T10:29:59.999Z"), false); // last slot
        m.observe(b, true); // the next range
        let n = m.assess(b, &TrafficModel::PerSlot(0));
        assert_eq!((n.station_requests, n.failed_slots, n.slots), (2, 1, 6));
        // The model is raised to the station's own count where it is lower.
        assert_eq!(n.total_requests, 2);
    }

    #[test]
    fn rules_validation() {
        assert!(StandInRules::default().validate().is_ok());
        for bad in [
            StandInRules {
                slot_minutes: 0,
                ..StandInRules::default()
            },
            StandInRules {
                range_minutes: 32,
                ..StandInRules::default()
            },
            StandInRules {
                day_traffic_percent: 101.0,
                ..StandInRules::default()
            },
            StandInRules {
                slot_fault_percent: f64::NAN,
                ..StandInRules::default()
            },
            StandInRules {
                night_start_hour: 24,
                ..StandInRules::default()
            },
        ] {
            assert!(StationMonitor::new(bad, VirtualTime::EPOCH).is_err());
        }
    }

    #[test]
    fn share_adds_decimals_only_when_rounding_would_mislead() {
        assert_eq!(share(200.0 / 3.0, 50.0, 0), "67");
        assert_eq!(share(9.0909, 5.0, 1), "9.1");
        assert_eq!(share(4.96, 5.0, 1), "4.96");
        assert_eq!(share(5.0, 5.0, 1), "5.0");
    }
}
