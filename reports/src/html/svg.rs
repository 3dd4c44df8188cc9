//! Inline SVG drawings of virtual time: receipt delivery attempts, and the Stand-In story
//! (slots with their fault and traffic shares, activation, probes, exit).
//!
//! Drawn from what the result model records: exchanges with their virtual time, attempt and
//! outcome, and the transcript lines the engine writes for the Stand-In monitor. Every text
//! that reaches the SVG is escaped; numbers are formatted by this module.

use std::fmt::Write as _;

use super::body::escape;
use crate::model::{CaseResult, ExchangeRecord};

/// Milliseconds since the Unix epoch of an RFC 3339 time (`2026-01-05T10:00:00.000Z`,
/// `…+01:00`), or `None`.
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())
            .flatten()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = s.get(start..i)?;
        let mut digits = frac.bytes().take(3).map(|c| i64::from(c - b'0'));
        ms = (0..3).fold(0, |acc, _| acc * 10 + digits.next().unwrap_or(0));
    }
    let offset_min = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'+' { m } else { -m }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + sec * 1000 + ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `HH:MM` UTC of epoch milliseconds.
fn clock(ms: i64) -> String {
    let m = ms.div_euclid(60_000).rem_euclid(24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Colour class of an exchange outcome: `ok`, `ko` (a business answer of the station),
/// `down` (the Nodo counts the station unavailable), `other`.
pub(crate) fn outcome_class(outcome: &str) -> &'static str {
    let o = outcome.trim();
    if o.starts_with("OK") || o.starts_with("accepted") || o == "probe positive" {
        "ok"
    } else if o == "probe negative"
        || o.contains("PPT_STAZIONE_INT_PA_TIMEOUT")
        || o.contains("PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE")
        || o.contains("PPT_STAZIONE_INT_PA_SERVIZIO_NON")
        || o.contains("timeout")
        || o.contains("refused")
    {
        "down"
    } else if o.contains("PAA_") || o.contains("PPT_ERRORE_EMESSO_DA_PAA") {
        "ko"
    } else {
        "other"
    }
}

const W: f64 = 760.0;
const LEFT: f64 = 120.0;
const RIGHT: f64 = 20.0;

/// X coordinate of `t` on an axis from `t0` spanning `span` ms.
fn x_of(t: i64, t0: i64, span: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let f = (t - t0) as f64 / span.max(1) as f64;
    LEFT + f * (W - LEFT - RIGHT)
}

/// A tick step (ms) giving at most about 12 ticks over `span`.
fn tick_step(span: i64, units: &[i64]) -> i64 {
    units
        .iter()
        .copied()
        .find(|u| span / u <= 12)
        .unwrap_or_else(|| units.last().copied().unwrap_or(3_600_000) * (span / 12 / 3_600_000 + 1))
}

fn axis(out: &mut String, t0: i64, span: i64, y: f64, hours_label: bool) {
    const HOUR: i64 = 3_600_000;
    let hours = [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR];
    let step = if hours_label && span >= 2 * HOUR {
        tick_step(span, &hours)
    } else {
        tick_step(
            span,
            &[
                60_000,
                5 * 60_000,
                10 * 60_000,
                30 * 60_000,
                3_600_000,
                2 * 3_600_000,
                6 * 3_600_000,
                12 * 3_600_000,
                86_400_000,
            ],
        )
    };
    let _ = write!(
        out,
        "<line class=\"ax\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\"/>",
        W - RIGHT
    );
    let mut k = 0;
    while k * step <= span {
        let t = t0 + k * step;
        let x = x_of(t, t0, span);
        #[allow(clippy::cast_precision_loss)]
        let label = if hours_label {
            let h = (k * step) as f64 / 3_600_000.0;
            if step % 3_600_000 == 0 {
                format!("+{h:.0} h")
            } else {
                format!("+{h:.2} h")
            }
        } else {
            clock(t)
        };
        let _ = write!(
            out,
            "<line class=\"tk\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\"/><text class=\"tl\" x=\"{x:.1}\" y=\"{}\">{label}</text>",
            y,
            y + 4.0,
            y + 16.0
        );
        k += 1;
    }
}

fn legend(out: &mut String, y: f64, items: &[(&str, &str)]) {
    let mut x = LEFT;
    for (class, label) in items {
        let _ = write!(
            out,
            "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y}\" r=\"5\"/><text class=\"lg\" x=\"{:.1}\" y=\"{}\">{}</text>",
            x + 9.0,
            y + 4.0,
            escape(label)
        );
        #[allow(clippy::cast_precision_loss)]
        let width = label.chars().count() as f64;
        x += 22.0 + width * 5.6;
    }
}

/// One receipt attempt on the timeline.
struct Attempt<'a> {
    at: i64,
    ex: &'a ExchangeRecord,
}

/// The receipt retry timeline of `case`: every paSendRT / paSendRTV2 attempt on an axis of
/// virtual hours from the first attempt, one lane per delivery (a lane ends where the attempt
/// number starts again), coloured by outcome. `None` when the case has fewer than two.
pub(crate) fn receipt_timeline(case: &CaseResult) -> Option<String> {
    let mut lanes: Vec<(String, Vec<Attempt<'_>>)> = Vec::new();
    let mut labels = case
        .steps
        .iter()
        .flat_map(|s| s.transcript.iter())
        .filter_map(|l| lane_label(l));
    for step in &case.steps {
        let mut prev = 0u32;
        for ex in &step.exchanges {
            let (Some(n), true) = (ex.attempt, ex.primitive.starts_with("paSendRT")) else {
                continue;
            };
            let Some(at) = ex.virtual_time.as_deref().and_then(parse_rfc3339) else {
                continue;
            };
            if n <= prev || lanes.is_empty() {
                let label = labels
                    .next()
                    .unwrap_or_else(|| format!("delivery {}", lanes.len() + 1));
                lanes.push((label, Vec::new()));
            }
            prev = n;
            if let Some(lane) = lanes.last_mut() {
                lane.1.push(Attempt { at, ex });
            }
        }
    }
    let count: usize = lanes.iter().map(|l| l.1.len()).sum();
    if count < 2 {
        return None;
    }
    let times = lanes.iter().flat_map(|l| l.1.iter().map(|a| a.at));
    let t0 = times.clone().min()?;
    let t1 = times.max()?;
    let span = (t1 - t0).max(3_600_000);
    let lane_h = 26.0;
    #[allow(clippy::cast_precision_loss)]
    let axis_y = 20.0 + lanes.len() as f64 * lane_h;
    let height = axis_y + 48.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"tl\" role=\"img\" viewBox=\"0 0 {W} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title>Receipt delivery attempts over virtual hours</title>"
    );
    for (i, (label, attempts)) in lanes.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = 20.0 + i as f64 * lane_h;
        let shown: String = label.chars().take(20).collect();
        let _ = write!(
            out,
            "<text class=\"ln\" x=\"4\" y=\"{:.1}\">{}</text><line class=\"lane\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\"/>",
            y + 4.0,
            escape(&shown),
            W - RIGHT
        );
        for a in attempts {
            let x = x_of(a.at, t0, span);
            let class = outcome_class(&a.ex.outcome);
            let _ = write!(
                out,
                "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y}\" r=\"6\"><title>{}</title></circle>",
                escape(&format!(
                    "attempt {} at {} (+{}): {}",
                    a.ex.attempt.unwrap_or(0),
                    a.ex.virtual_time.as_deref().unwrap_or(""),
                    hours(a.at - t0),
                    a.ex.outcome
                ))
            );
            if attempts.len() <= 24 {
                let _ = write!(
                    out,
                    "<text class=\"an\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
                    y - 9.0,
                    a.ex.attempt.unwrap_or(0)
                );
            }
        }
    }
    axis(&mut out, t0, span, axis_y, true);
    legend(
        &mut out,
        axis_y + 36.0,
        &[
            ("ok", "accepted"),
            ("ko", "refused by the station (PAA_…)"),
            ("down", "timeout / unreachable"),
            ("other", "other failure"),
        ],
    );
    out.push_str("</svg>");
    Some(out)
}

fn hours(ms: i64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let h = ms as f64 / 3_600_000.0;
    format!("{h:.2} h")
}

/// The recipient a receipt timeline line names: `LABEL attempt  1 at …`.
fn lane_label(line: &str) -> Option<String> {
    let (label, rest) = line.split_once(" attempt ")?;
    let rest = rest.trim_start();
    rest.strip_prefix("1 at ")?;
    Some(label.to_owned())
}

/// A Stand-In transition read from the transcript.
#[derive(Debug, PartialEq)]
struct Transition {
    at: i64,
    enters: bool,
    reason: String,
}

/// An outage step's parameters, from its `outage from … to …` transcript line.
#[derive(Debug, PartialEq)]
struct Outage {
    start: i64,
    end: i64,
    slot_minutes: i64,
    nodo_traffic: u64,
}

fn parse_transition(line: &str) -> Option<Transition> {
    let rest = line.strip_prefix("Stand-In monitor: station ")?;
    let (enters, rest) = if let Some(r) = rest.strip_prefix("enters Stand-In at ") {
        (true, r)
    } else {
        (false, rest.strip_prefix("leaves Stand-In at ")?)
    };
    let (at, reason) = rest.split_once(": ").unwrap_or((rest, ""));
    Some(Transition {
        at: parse_rfc3339(at)?,
        enters,
        reason: reason.to_owned(),
    })
}

fn parse_outage(line: &str) -> Option<Outage> {
    let rest = line.strip_prefix("outage from ")?;
    let (start, rest) = rest.split_once(" to ")?;
    let (end, rest) = rest.split_once(": ")?;
    let slot = rest.split_once("-minute slot")?.0;
    let slot_minutes = slot.rsplit(' ').next()?.parse().ok()?;
    let traffic = rest.rsplit_once("Nodo traffic ")?.1;
    let nodo_traffic = traffic.split(' ').next()?.parse().ok()?;
    Some(Outage {
        start: parse_rfc3339(start)?,
        end: parse_rfc3339(end)?,
        slot_minutes,
        nodo_traffic,
    })
}

/// Whether `case` looks like a Stand-In case: area `STI`/`SIN`, a `standin` tag, or a
/// transcript written by the Stand-In monitor.
pub(crate) fn is_standin(case: &CaseResult) -> bool {
    matches!(case.meta.area.as_str(), "STI" | "SIN")
        || case.meta.tags.iter().any(|t| t == "standin")
        || case.steps.iter().any(|s| {
            s.transcript
                .iter()
                .any(|l| l.starts_with("Stand-In monitor:") || l.starts_with("outage from "))
        })
}

/// Counts of one slot.
#[derive(Default, Clone, Copy)]
struct Slot {
    requests: u32,
    down: u32,
    traffic: u64,
}

/// The Stand-In drawing of `case`: per slot of each outage, the share of the station's calls
/// that failed (red bar) and the station's share of the Nodo's traffic (blue tick); the
/// Stand-In period shaded from activation to exit; probes as diamonds. `None` when there is
/// nothing on a time axis to draw.
pub(crate) fn standin_timeline(case: &CaseResult) -> Option<String> {
    let lines = || case.steps.iter().flat_map(|s| s.transcript.iter());
    let transitions: Vec<Transition> = lines().filter_map(|l| parse_transition(l)).collect();
    let outages: Vec<Outage> = lines().filter_map(|l| parse_outage(l)).collect();
    let mut calls = Vec::new();
    let mut probes = Vec::new();
    for ex in case.steps.iter().flat_map(|s| s.exchanges.iter()) {
        let Some(at) = ex.virtual_time.as_deref().and_then(parse_rfc3339) else {
            continue;
        };
        if ex.outcome.starts_with("probe ") {
            probes.push((at, ex));
        } else {
            calls.push((at, ex));
        }
    }
    if transitions.is_empty() && outages.is_empty() && probes.is_empty() {
        return None;
    }
    let all = transitions
        .iter()
        .map(|t| t.at)
        .chain(outages.iter().flat_map(|o| [o.start, o.end]))
        .chain(probes.iter().map(|p| p.0))
        .chain(calls.iter().map(|c| c.0));
    let t0 = all.clone().min()?;
    let t1 = all.max()?;
    let span = (t1 - t0).max(5 * 60_000);
    // Slots of every outage, keyed by their start.
    let mut slots: std::collections::BTreeMap<i64, Slot> = std::collections::BTreeMap::new();
    for o in &outages {
        let len = o.slot_minutes.max(1) * 60_000;
        let mut s = o.start.div_euclid(len) * len;
        while s < o.end {
            slots.entry(s).or_default().traffic = o.nodo_traffic;
            s += len;
        }
    }
    let slot_len = outages
        .first()
        .map_or(5 * 60_000, |o| o.slot_minutes.max(1) * 60_000);
    for (at, ex) in &calls {
        let key = at.div_euclid(slot_len) * slot_len;
        let slot = slots.entry(key).or_default();
        slot.requests += 1;
        slot.down += u32::from(outcome_class(&ex.outcome) == "down");
    }
    let (top, bar_h) = (18.0, 90.0);
    let base = top + bar_h;
    let probe_y = base + 22.0;
    let axis_y = probe_y + 18.0;
    let height = axis_y + 52.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"tl\" role=\"img\" viewBox=\"0 0 {W} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title>Stand-In over virtual time</title>"
    );
    // The Stand-In period(s), shaded.
    let mut open: Option<i64> = None;
    let mut periods = Vec::new();
    for t in &transitions {
        match (t.enters, open) {
            (true, None) => open = Some(t.at),
            (false, Some(s)) => {
                periods.push((s, t.at));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(s) = open {
        periods.push((s, t0 + span));
    }
    for (s, e) in &periods {
        let (xs, xe) = (x_of(*s, t0, span), x_of(*e, t0, span));
        let _ = write!(
            out,
            "<rect class=\"sti\" x=\"{xs:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\"><title>in Stand-In</title></rect>",
            (xe - xs).max(1.0),
            probe_y + 8.0 - top
        );
    }
    let _ = write!(
        out,
        "<text class=\"ln\" x=\"4\" y=\"{:.1}\">slots</text><text class=\"ln\" x=\"4\" y=\"{:.1}\">probes</text><line class=\"lane\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\"/>",
        top + bar_h / 2.0,
        probe_y + 4.0,
        W - RIGHT
    );
    let _ = write!(
        out,
        "<text class=\"pc\" x=\"{:.1}\" y=\"{:.1}\">100 %</text><text class=\"pc\" x=\"{:.1}\" y=\"{base}\">0 %</text>",
        LEFT - 4.0,
        top + 8.0,
        LEFT - 4.0
    );
    for (start, slot) in &slots {
        let xs = x_of(*start, t0, span);
        let xe = x_of(start + slot_len, t0, span).min(W - RIGHT);
        let w = (xe - xs - 1.0).max(1.0);
        let fault = if slot.requests == 0 {
            0.0
        } else {
            f64::from(slot.down) / f64::from(slot.requests)
        };
        #[allow(clippy::cast_precision_loss)]
        let share = if slot.traffic == 0 {
            None
        } else {
            Some(f64::from(slot.requests) / slot.traffic as f64)
        };
        let title = format!(
            "slot from {}: {} of {} calls failed ({:.0} %){}",
            clock(*start),
            slot.down,
            slot.requests,
            fault * 100.0,
            share.map_or(String::new(), |s| format!(
                "; station share of the Nodo's traffic {:.1} % ({} of {})",
                s * 100.0,
                slot.requests,
                slot.traffic
            ))
        );
        let _ = write!(
            out,
            "<g><title>{}</title><rect class=\"slot\" x=\"{xs:.1}\" y=\"{top}\" width=\"{w:.1}\" height=\"{bar_h}\"/><rect class=\"fault\" x=\"{xs:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\"/>",
            escape(&title),
            base - bar_h * fault,
            bar_h * fault
        );
        if let Some(s) = share.filter(|_| slot.requests > 0) {
            let y = base - bar_h * s.min(1.0);
            let _ = write!(
                out,
                "<line class=\"share\" x1=\"{xs:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>",
                xs + w
            );
        }
        out.push_str("</g>");
    }
    for (at, ex) in &probes {
        let x = x_of(*at, t0, span);
        let class = outcome_class(&ex.outcome);
        let _ = write!(
            out,
            "<path class=\"{class}\" d=\"M{x:.1} {:.1}l5 6l-5 6l-5 -6z\"><title>{}</title></path>",
            probe_y - 6.0,
            escape(&format!(
                "{} at {}",
                ex.outcome,
                ex.virtual_time.as_deref().unwrap_or("")
            ))
        );
    }
    for t in &transitions {
        let x = x_of(t.at, t0, span);
        let (class, word) = if t.enters {
            ("act", "activation")
        } else {
            ("exit", "exit")
        };
        let _ = write!(
            out,
            "<g><title>{}</title><line class=\"{class}\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{:.1}\"/><text class=\"tr\" x=\"{:.1}\" y=\"{}\">{word} {}</text></g>",
            escape(&format!(
                "{} Stand-In at {}: {}",
                if t.enters { "enters" } else { "leaves" },
                clock(t.at),
                t.reason
            )),
            top - 6.0,
            probe_y + 8.0,
            x + 3.0,
            top - 8.0,
            clock(t.at)
        );
    }
    axis(&mut out, t0, span, axis_y, false);
    legend(
        &mut out,
        axis_y + 34.0,
        &[
            ("down", "calls failed / negative probe"),
            ("shr", "station share of Nodo traffic"),
            ("sti", "in Stand-In"),
            ("ok", "positive probe"),
        ],
    );
    out.push_str("</svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-01-05T10:00:00.250Z"),
            Some(1_767_607_200_250)
        );
        assert_eq!(
            parse_rfc3339("2026-01-05T11:00:00+01:00"),
            parse_rfc3339("2026-01-05T10:00:00Z")
        );
        assert_eq!(parse_rfc3339("2026-01-05"), None);
        assert_eq!(parse_rfc3339("2026-13-05T10:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-01-05T10:00:00Zjunk"), None);
        assert_eq!(parse_rfc3339("2026-01-05T1é:00:00Z"), None);
    }

    #[test]
    fn transcript_lines_are_read() {
        assert_eq!(
            parse_transition(
                "Stand-In monitor: station enters Stand-In at 2026-01-05T09:35:00.000Z: 6 of 6 slots failed"
            ),
            Some(Transition {
                at: 1_767_605_700_000,
                enters: true,
                reason: "6 of 6 slots failed".into()
            })
        );
        assert_eq!(
            parse_outage(
                "outage from 2026-01-05T09:00:00.000Z to 2026-01-05T09:35:00.000Z: 20 verifies per 5-minute slot, 100 % failing with timeout, Nodo traffic 200 per slot"
            ),
            Some(Outage {
                start: 1_767_603_600_000,
                end: 1_767_605_700_000,
                slot_minutes: 5,
                nodo_traffic: 200
            })
        );
        assert_eq!(
            lane_label("ec-main attempt  1 at 2026-01-05T09:00:00.000Z (1.0 ms): accepted"),
            Some("ec-main".into())
        );
        assert_eq!(lane_label("ec-main attempt  2 at x"), None);
    }

    #[test]
    fn outcome_colours() {
        assert_eq!(outcome_class("OK"), "ok");
        assert_eq!(outcome_class("accepted as duplicate"), "ok");
        assert_eq!(
            outcome_class("failed: PPT_STAZIONE_INT_PA_TIMEOUT (no answer)"),
            "down"
        );
        assert_eq!(
            outcome_class("PPT_ERRORE_EMESSO_DA_PAA/PAA_PAGAMENTO_SCONOSCIUTO"),
            "ko"
        );
        assert_eq!(outcome_class("probe negative"), "down");
        assert_eq!(
            outcome_class("PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"),
            "other"
        );
    }
}
