//! The Stand-In state machine on virtual time only (DOMAIN.md §7, TEST-PLAN.md §4.7
//! SIN-002/002N/003/007): activation and exit thresholds at their exact boundaries, the
//! Rome day/night switch in winter and summer, skipping ahead, determinism.

use collaudo_nodo::standin::{
    ExitRule, PROBE_NOTICE_NUMBER, StandInRules, StandInState, StationMonitor, TrafficModel,
    TrafficShare, Transition, probe_is_positive,
};
use collaudo_nodo::{NodoOutcome, VirtualTime};
use collaudo_wire::FaultCode;
use std::collections::BTreeMap;
use std::time::Duration;

fn t(s: &str) -> VirtualTime {
    s.parse().unwrap()
}

fn plus_min(at: VirtualTime, minutes: u64) -> VirtualTime {
    at.plus(Duration::from_secs(minutes * 60))
}

fn minus_min(at: VirtualTime, minutes: i64) -> VirtualTime {
    VirtualTime::from_millis(at.millis() - minutes * 60_000)
}

/// A monitor that starts one range (30 min) before `boundary`, with `slots[i]` =
/// (requests, monitored faults) observed one minute into the i-th slot of the range, then
/// evaluated at `boundary`.
fn evaluate_range(
    boundary: VirtualTime,
    slots: [(u64, u64); 6],
    traffic: &TrafficModel,
) -> (StationMonitor, Option<Transition>) {
    evaluate_with(StandInRules::default(), boundary, &slots, traffic)
}

/// [`evaluate_range`] under any rules: `slots` fills the range before `boundary` from its
/// first slot on (fewer slots than the range leaves the last ones empty).
fn evaluate_with(
    rules: StandInRules,
    boundary: VirtualTime,
    slots: &[(u64, u64)],
    traffic: &TrafficModel,
) -> (StationMonitor, Option<Transition>) {
    let start = minus_min(boundary, i64::from(rules.range_minutes));
    let slot = u64::from(rules.slot_minutes);
    let mut m = StationMonitor::new(rules, start).unwrap();
    for (i, (requests, faults)) in slots.iter().enumerate() {
        m.observe_counts(plus_min(start, slot * i as u64 + 1), *requests, *faults);
    }
    let tr = m.evaluate(boundary, traffic);
    (m, tr)
}

fn rules(traffic_share: TrafficShare) -> StandInRules {
    StandInRules {
        traffic_share,
        ..StandInRules::default()
    }
}

fn uniform(requests: u64, faults: u64) -> [(u64, u64); 6] {
    [(requests, faults); 6]
}

/// Day in winter: 10:30 UTC is 11:30 in Rome.
const DAY: &str = "2026-11-25T10:30:00Z";
/// Night in winter: 23:00 UTC is 00:00 in Rome.
const NIGHT: &str = "2026-11-25T23:00:00Z";

#[test]
fn activation_thresholds_by_day_and_night() {
    let failing = (100, 100);
    let clean = (100, 0);
    // (what, boundary, slots, total Nodo traffic per slot, enters Stand-In)
    type Case = (&'static str, &'static str, [(u64, u64); 6], u64, bool);
    let cases: Vec<Case> = vec![
        // Failed-slot share (traffic share 10 %, above both thresholds).
        (
            "3 of 6 slots failed = 50 %",
            DAY,
            [failing, failing, failing, clean, clean, clean],
            1000,
            false,
        ),
        (
            "4 of 6 slots failed = 67 %",
            DAY,
            [failing, clean, failing, clean, failing, failing],
            1000,
            true,
        ),
        ("0 of 6 slots failed", DAY, uniform(100, 0), 1000, false),
        // Slot failure: 50 faults of 100 is not a failed slot, 51 is.
        (
            "4th slot at exactly 50 % faults",
            DAY,
            [failing, failing, failing, (100, 50), clean, clean],
            1000,
            false,
        ),
        (
            "4th slot at 51 % faults",
            DAY,
            [failing, failing, failing, (100, 51), clean, clean],
            1000,
            true,
        ),
        // Traffic share by day: 60 of 1200 is exactly 5 %.
        ("day, exactly 5 %", DAY, uniform(10, 10), 200, false),
        (
            "day, just above 5 % (61 of 1200)",
            DAY,
            [(11, 11), (10, 10), (10, 10), (10, 10), (10, 10), (10, 10)],
            200,
            true,
        ),
        (
            "day, just below 5 % (59 of 1200)",
            DAY,
            [(9, 9), (10, 10), (10, 10), (10, 10), (10, 10), (10, 10)],
            200,
            false,
        ),
        ("day, 7 %", DAY, uniform(14, 14), 200, true),
        // Traffic share by night: 120 of 1200 is exactly 10 %.
        ("night, exactly 10 %", NIGHT, uniform(20, 20), 200, false),
        (
            "night, just above 10 % (121 of 1200)",
            NIGHT,
            [(21, 21), (20, 20), (20, 20), (20, 20), (20, 20), (20, 20)],
            200,
            true,
        ),
        (
            "night, 7 % (enough by day)",
            NIGHT,
            uniform(14, 14),
            200,
            false,
        ),
        // SIN-003: failures but no traffic share at all.
        ("no Nodo share", DAY, uniform(1, 1), 1_000_000, false),
    ];
    // Every slot carries the same Nodo total here, so the two traffic rules agree: a share
    // above the threshold over the range needs a slot above it, and one such slot is more
    // than 10 % of 6 slots. `per_slot_and_range_rules_disagree` has the cases where not.
    let both = [TrafficShare::PerSlot, TrafficShare::Range].into_iter();
    for (rule, (what, boundary, slots, per_slot, enters)) in
        both.flat_map(|r| cases.iter().map(move |c| (r, *c)))
    {
        let what = format!("{what} ({rule:?})");
        let boundary = t(boundary);
        let traffic = TrafficModel::PerSlot(per_slot);
        let (m, tr) = evaluate_with(rules(rule), boundary, &slots, &traffic);
        assert_eq!(tr.is_some(), enters, "{what}: {tr:?}");
        assert_eq!(m.transitions().len(), usize::from(enters), "{what}");
        if let Some(tr) = tr {
            assert_eq!(tr.at, boundary, "{what}");
            assert_eq!(tr.from, StandInState::Normal, "{what}");
            assert_eq!(tr.to, StandInState::StandIn { since: boundary }, "{what}");
            assert_eq!(m.state(), tr.to, "{what}");
            assert_eq!(
                m.next_probe_at(),
                Some(boundary),
                "{what}: first probe at once"
            );
        } else {
            assert_eq!(m.state(), StandInState::Normal, "{what}");
        }
    }
}

#[test]
fn transition_carries_numbers_and_one_sentence() {
    let boundary = t("2026-11-25T10:30:00Z");
    let (clean, failing) = ((100, 0), (100, 100));
    let (_, tr) = evaluate_range(
        boundary,
        [failing, clean, failing, failing, clean, failing],
        &TrafficModel::PerSlot(1100),
    );
    let tr = tr.unwrap();
    let n = &tr.numbers;
    assert_eq!((n.failed_slots, n.slots), (4, 6));
    assert_eq!((n.station_requests, n.total_requests), (600, 6600));
    assert!((n.failed_share - 200.0 / 3.0).abs() < 1e-9);
    assert!((n.traffic_share - 100.0 / 11.0).abs() < 1e-9);
    assert_eq!((n.high_traffic_slots, n.high_traffic_share), (6, 100.0));
    assert_eq!(n.traffic_rule, TrafficShare::PerSlot);
    assert_eq!(n.threshold, 5.0);
    assert!(!n.night);
    assert_eq!(
        tr.to_string(),
        "enters Stand-In at 2026-11-25T10:30:00.000Z: 4 of 6 slots failed (67 % > 50 %) \
         and 6 of 6 slots had more than 5 % of the slot's Nodo traffic (100 % > 5 %, day)"
    );
    assert!(tr.to_string().ends_with(&tr.reason));
    let json = serde_json::to_value(&tr).unwrap();
    assert_eq!(json["to"]["state"], "stand-in");
    assert_eq!(json["numbers"]["failed_slots"], 4);
    assert_eq!(json["numbers"]["traffic_rule"], "per-slot");

    // The same observations under the range rule: the sentence names the range's share.
    let (_, tr) = evaluate_with(
        rules(TrafficShare::Range),
        boundary,
        &[failing, clean, failing, failing, clean, failing],
        &TrafficModel::PerSlot(1100),
    );
    assert_eq!(
        tr.unwrap().to_string(),
        "enters Stand-In at 2026-11-25T10:30:00.000Z: 4 of 6 slots failed (67 % > 50 %) \
         and the station had 9.1 % of Nodo traffic (> 5 %, day)"
    );
}

/// The observations where reading the station's share slot by slot (stand-in-manager) and
/// over the whole range (the documentation) give different answers, and the boundaries of the
/// per-slot reading: a slot at exactly the threshold is not high-traffic, and the share of
/// high-traffic slots must exceed the same threshold.
#[test]
fn per_slot_and_range_rules_disagree() {
    let range = |minutes: u32, share: TrafficShare| StandInRules {
        range_minutes: minutes,
        traffic_share: share,
        ..StandInRules::default()
    };
    // (what, range minutes, boundary, slots (requests, faults) from the first of the range,
    //  Nodo total per slot, enters per slot, enters over the range)
    type Case = (
        &'static str,
        u32,
        &'static str,
        Vec<(u64, u64)>,
        u64,
        bool,
        bool,
    );
    let quiet_failing = (1, 1);
    let cases: Vec<Case> = vec![
        (
            // 20 of 200 = 10 % in the first slot; 25 of 1200 ≈ 2.1 % over the range.
            "day: one busy slot among quiet failing ones",
            30,
            DAY,
            vec![
                (20, 20),
                quiet_failing,
                quiet_failing,
                quiet_failing,
                (1, 0),
                (1, 0),
            ],
            200,
            true,
            false,
        ),
        (
            "night: one busy slot (15 %) among quiet failing ones",
            30,
            NIGHT,
            vec![(30, 30), quiet_failing, quiet_failing, quiet_failing],
            200,
            true,
            false,
        ),
        (
            // 24 slots: one high-traffic slot is 4.2 % of them, not more than 5 %; over the
            // range the station has (200 + 12) of (200 + 23 × 100) = 8.5 %.
            "day, 2-hour range: one slot carries all the Nodo's traffic",
            120,
            DAY,
            [(200, 200)]
                .into_iter()
                .chain([quiet_failing; 12])
                .collect(),
            100,
            false,
            true,
        ),
        (
            "day, 2-hour range: two high-traffic slots are 8.3 % of 24",
            120,
            DAY,
            [(200, 200), (6, 6)]
                .into_iter()
                .chain([quiet_failing; 11])
                .collect(),
            100,
            true,
            true,
        ),
        (
            // 20 slots: one high-traffic slot is exactly 5 % of them.
            "day, 100-minute range: high-traffic slots exactly 5 % of the range",
            100,
            DAY,
            [(6, 6)].into_iter().chain([quiet_failing; 10]).collect(),
            100,
            false,
            false,
        ),
        (
            "night, 100-minute range: high-traffic slots exactly 10 % of the range",
            100,
            NIGHT,
            [(11, 11), (11, 11)]
                .into_iter()
                .chain([quiet_failing; 9])
                .collect(),
            100,
            false,
            false,
        ),
        (
            "night, 100-minute range: 3 high-traffic slots, 15 % of the range",
            100,
            NIGHT,
            [(11, 11), (11, 11), (11, 11)]
                .into_iter()
                .chain([quiet_failing; 8])
                .collect(),
            100,
            true,
            false,
        ),
        (
            "day: one slot at exactly 5 %, the others quiet",
            30,
            DAY,
            vec![(10, 10), quiet_failing, quiet_failing, quiet_failing],
            200,
            false,
            false,
        ),
        (
            "day: one slot just above 5 % (11 of 200), the others quiet",
            30,
            DAY,
            vec![(11, 11), quiet_failing, quiet_failing, quiet_failing],
            200,
            true,
            false,
        ),
        (
            "night: one slot at exactly 10 %, the others quiet",
            30,
            NIGHT,
            vec![(20, 20), quiet_failing, quiet_failing, quiet_failing],
            200,
            false,
            false,
        ),
        (
            "night: one slot just above 10 % (21 of 200), the others quiet",
            30,
            NIGHT,
            vec![(21, 21), quiet_failing, quiet_failing, quiet_failing],
            200,
            true,
            false,
        ),
        (
            // The high-traffic slot does not have to be a failed one.
            "day: the busy slot is clean, four quiet ones fail",
            30,
            DAY,
            vec![
                (20, 0),
                quiet_failing,
                quiet_failing,
                quiet_failing,
                quiet_failing,
            ],
            200,
            true,
            false,
        ),
    ];
    for (what, minutes, boundary, slots, per_slot, by_slot, by_range) in cases {
        let boundary = t(boundary);
        let traffic = TrafficModel::PerSlot(per_slot);
        for (share, enters) in [
            (TrafficShare::PerSlot, by_slot),
            (TrafficShare::Range, by_range),
        ] {
            let (m, tr) = evaluate_with(range(minutes, share), boundary, &slots, &traffic);
            assert_eq!(tr.is_some(), enters, "{what} ({share:?}): {tr:?}");
            let n = tr.map_or_else(|| m.assess(boundary, &traffic), |tr| tr.numbers);
            assert_eq!(n.traffic_rule, share, "{what}");
            assert!(
                n.failed_share > 50.0,
                "{what}: the slots alone would activate"
            );
        }
    }
}

/// A range that straddles 22:00 is judged with the threshold of the instant it is evaluated,
/// for every slot in it, as stand-in-manager does (one threshold per run of its job).
#[test]
fn the_threshold_is_the_boundarys_for_every_slot_of_the_range() {
    // Winter: 20:30–21:00 UTC is 21:30–22:00 in Rome, day slots; the boundary is 22:00.
    let boundary = t("2026-01-15T21:00:00Z");
    // 14 of 200 = 7 %: above the day threshold in every slot, below the night one.
    let slots = [(14, 14); 6];
    for share in [TrafficShare::PerSlot, TrafficShare::Range] {
        let (m, tr) = evaluate_with(rules(share), boundary, &slots, &TrafficModel::PerSlot(200));
        assert!(tr.is_none(), "{share:?}: {tr:?}");
        let n = m.assess(boundary, &TrafficModel::PerSlot(200));
        assert!(n.night);
        assert_eq!((n.threshold, n.high_traffic_slots), (10.0, 0), "{share:?}");
        // Five minutes earlier the same slots, shifted, are judged by day.
        let (_, tr) = evaluate_with(
            rules(share),
            minus_min(boundary, 5),
            &slots,
            &TrafficModel::PerSlot(200),
        );
        assert!(tr.is_some(), "{share:?}");
    }
}

#[test]
fn night_switches_at_22_and_06_rome_time_winter_and_summer() {
    // 7 % of Nodo traffic and every slot failed: enough by day, not by night.
    let slots = uniform(14, 14);
    let traffic = TrafficModel::PerSlot(200);
    // (boundary UTC, Rome local time, night)
    let cases = [
        // Winter, UTC+1.
        ("2026-01-15T20:55:00Z", "21:55", false),
        ("2026-01-15T21:00:00Z", "22:00", true),
        ("2026-01-16T04:55:00Z", "05:55", true),
        ("2026-01-16T05:00:00Z", "06:00", false),
        // Summer, UTC+2.
        ("2026-07-15T19:55:00Z", "21:55", false),
        ("2026-07-15T20:00:00Z", "22:00", true),
        ("2026-07-16T03:55:00Z", "05:55", true),
        ("2026-07-16T04:00:00Z", "06:00", false),
        // The UTC hours that would be 22:00 / 06:00 if the offset were ignored.
        ("2026-01-15T22:00:00Z", "23:00", true),
        ("2026-07-16T06:00:00Z", "08:00", false),
    ];
    for (utc, local, night) in cases {
        let boundary = t(utc);
        let (m, tr) = evaluate_range(boundary, slots, &traffic);
        assert_eq!(tr.is_some(), !night, "{utc} ({local} in Rome)");
        assert_eq!(
            m.rules().is_night(boundary),
            night,
            "{utc} ({local} in Rome)"
        );
        let n = match &tr {
            Some(tr) => tr.numbers.clone(),
            None => m.assess(boundary, &traffic),
        };
        assert_eq!(n.night, night, "{utc}");
        assert_eq!(n.threshold, if night { 10.0 } else { 5.0 }, "{utc}");
        assert!((n.traffic_share - 7.0).abs() < 1e-9, "{utc}");
    }
}

/// A monitor in Stand-In since 10:30 (day), with the default rules except `exit_rule`.
fn in_stand_in(exit_rule: ExitRule) -> (StationMonitor, VirtualTime) {
    let since = t("2026-11-25T10:30:00Z");
    let start = minus_min(since, 30);
    let rules = StandInRules {
        exit_rule,
        ..StandInRules::default()
    };
    let mut m = StationMonitor::new(rules, start).unwrap();
    for i in 0..6 {
        m.observe_counts(plus_min(start, 5 * i), 100, 100);
    }
    let tr = m.evaluate(since, &TrafficModel::PerSlot(1000));
    assert!(tr.is_some_and(|tr| tr.is_activation()));
    (m, since)
}

#[test]
fn exit_by_the_implementation_rule() {
    let traffic = TrafficModel::PerSlot(1000);
    // (what, probes as (minutes after activation, positive), evaluated at minutes, leaves)
    let every_5 = |positive: usize| -> Vec<(u64, bool)> {
        (0..12).map(|i| (5 * i as u64, i < positive)).collect()
    };
    type Case = (&'static str, Vec<(u64, bool)>, u64, bool);
    let cases: Vec<Case> = vec![
        ("60 min, 6 of 12 positive", every_5(6), 60, false),
        ("60 min, 7 of 12 positive", every_5(7), 60, true),
        ("60 min, 12 of 12 positive", every_5(12), 60, true),
        (
            "55 min, 12 positive probes",
            (0..12).map(|i| (4 * i, true)).collect(),
            55,
            false,
        ),
        (
            "60 min, 12 positive probes in the first 44 min",
            (0..12).map(|i| (4 * i, true)).collect(),
            60,
            true,
        ),
        (
            // At 70 min the window is [10, 70): the two positives at 0 and 5 min fell out.
            "70 min, 7 positive but only 5 in the last 60 min",
            every_5(7),
            70,
            false,
        ),
    ];
    for (what, probes, at_minutes, leaves) in cases {
        let (mut m, since) = in_stand_in(ExitRule::Implementation);
        for (after, positive) in &probes {
            m.probe(plus_min(since, *after), *positive);
        }
        let at = plus_min(since, at_minutes);
        let tr = m.evaluate(at, &traffic);
        assert_eq!(tr.is_some(), leaves, "{what}: {tr:?}");
        if let Some(tr) = tr {
            assert_eq!(tr.to, StandInState::Normal, "{what}");
            assert_eq!(tr.from, StandInState::StandIn { since }, "{what}");
            assert_eq!(tr.numbers.minutes_in_standin, at_minutes, "{what}");
            assert_eq!(tr.numbers.threshold, 6.0, "{what}");
            assert!(tr.numbers.positive_probes > 6, "{what}");
            assert!(tr.to_string().starts_with("leaves Stand-In at "), "{what}");
            assert_eq!(m.next_probe_at(), None, "{what}");
        } else {
            assert_eq!(m.state(), StandInState::StandIn { since }, "{what}");
        }
    }
}

#[test]
fn exit_sentence_names_the_numbers() {
    let (mut m, since) = in_stand_in(ExitRule::Implementation);
    for i in 0..12 {
        m.probe(plus_min(since, 5 * i), i >= 5);
    }
    let tr = m
        .evaluate(plus_min(since, 60), &TrafficModel::PerSlot(1000))
        .unwrap();
    assert_eq!(
        tr.to_string(),
        "leaves Stand-In at 2026-11-25T11:30:00.000Z: 7 of 12 probes positive in the last \
         60 min (> 6) after 60 min in Stand-In (≥ 60)"
    );
}

#[test]
fn exit_by_the_documented_rule() {
    let traffic = TrafficModel::PerSlot(1000);
    // (what, probe outcomes every 5 min from activation, evaluated at minutes, leaves)
    let cases: Vec<(&str, Vec<bool>, u64, bool)> = vec![
        ("1 of 2 = 50 %", vec![false, true], 10, true),
        ("1 of 3 = 33 %", vec![false, false, true], 15, false),
        ("0 of 1", vec![false], 5, false),
        ("no probe yet", vec![], 5, false),
        (
            "6 of 12 = 50 % (the implementation would stay)",
            (0..12).map(|i| i % 2 == 0).collect(),
            60,
            true,
        ),
        (
            "5 of 11 = 45 %",
            (0..11).map(|i| i % 2 == 1).collect(),
            55,
            false,
        ),
    ];
    for (what, outcomes, at_minutes, leaves) in cases {
        let (mut m, since) = in_stand_in(ExitRule::Documented);
        for (i, positive) in outcomes.iter().enumerate() {
            m.probe(plus_min(since, 5 * i as u64), *positive);
        }
        let tr = m.evaluate(plus_min(since, at_minutes), &traffic);
        assert_eq!(tr.is_some(), leaves, "{what}: {tr:?}");
        if let Some(tr) = tr {
            assert_eq!(tr.numbers.threshold, 50.0, "{what}");
            assert!(tr.reason.contains("documented rule"), "{what}: {tr}");
        }
    }
    // The same 6 of 12 under the implementation rule: not more than 6.
    let (mut m, since) = in_stand_in(ExitRule::Implementation);
    for i in 0..12 {
        m.probe(plus_min(since, 5 * i), i % 2 == 0);
    }
    assert!(m.evaluate(plus_min(since, 60), &traffic).is_none());
}

#[test]
fn stations_in_stand_in_are_not_reactivated() {
    let traffic = TrafficModel::PerSlot(1000);
    let (mut m, since) = in_stand_in(ExitRule::Implementation);
    // The station keeps failing (e.g. the caller kept calling it): no second activation.
    for i in 0..24 {
        m.observe_counts(plus_min(since, 5 * i), 100, 100);
    }
    assert!(m.evaluate_until(plus_min(since, 120), &traffic).is_empty());
    assert_eq!(m.transitions().len(), 1);
    assert_eq!(m.state(), StandInState::StandIn { since });
}

#[test]
fn probe_schedule() {
    let (mut m, since) = in_stand_in(ExitRule::Implementation);
    assert_eq!(m.next_probe_at(), Some(since));
    assert!(m.probe_due(since));
    m.probe(since, true);
    assert_eq!(m.next_probe_at(), Some(plus_min(since, 5)));
    assert!(!m.probe_due(plus_min(since, 4)));
    assert!(m.probe_due(plus_min(since, 5)));
    // A late probe (12 min): the next is the following 5-minute tick, no backlog.
    m.probe(plus_min(since, 12), false);
    assert_eq!(m.next_probe_at(), Some(plus_min(since, 15)));
    // Not in Stand-In: nothing due.
    let normal = StationMonitor::new(StandInRules::default(), since).unwrap();
    assert_eq!(normal.next_probe_at(), None);
    assert!(!normal.probe_due(plus_min(since, 600)));

    assert_eq!(PROBE_NOTICE_NUMBER, "000000000000000000");
    let ko = "<outcome>KO</outcome><faultCode>PAA_PAGAMENTO_SCONOSCIUTO</faultCode>";
    for (status, body, positive) in [
        (200, ko, true),
        (299, ko, true),
        (300, ko, false),
        (500, ko, false),
        (200, "<faultCode>PAA_SYSTEM_ERROR</faultCode>", false),
        (200, "", false),
    ] {
        assert_eq!(probe_is_positive(status, body), positive, "{status} {body}");
    }
}

#[test]
fn observed_outcomes_count_only_the_three_monitored_faults() {
    let boundary = t(DAY);
    let start = minus_min(boundary, 30);
    let mut m = StationMonitor::new(StandInRules::default(), start).unwrap();
    let nodo = |code| NodoOutcome::Nodo {
        code,
        reason: String::new(),
    };
    let at = plus_min(start, 1);
    m.observe_outcome(at, &nodo(FaultCode::PptStazioneIntPaTimeout));
    m.observe_outcome(at, &nodo(FaultCode::PptStazioneIntPaIrraggiungibile));
    m.observe_outcome(at, &nodo(FaultCode::PptStazioneIntPaServizioNonAttivo));
    m.observe_outcome(at, &nodo(FaultCode::PptStazioneIntPaErroreResponse));
    m.observe_outcome(at, &NodoOutcome::Ok);
    // 3 of 5 = 60 % faults: the first slot failed; 5 requests out of 5 in the range.
    let n = m.assess(boundary, &TrafficModel::PerSlot(0));
    assert_eq!(
        (n.failed_slots, n.station_requests, n.total_requests),
        (1, 5, 5)
    );
}

/// A three-hour script: failures from 10:00 (4 of 6 slots failed, activation at 10:20),
/// probes every 5 minutes from 10:30 that turn positive at 10:50 (the 7th positive is at
/// 11:20, exit at 11:25), failures again from 12:00 (activation at 12:20). Events are
/// (instant, kind).
#[derive(Clone, Copy, Debug)]
enum Event {
    Call { unavailable: bool },
    Probe { positive: bool },
}

fn script() -> Vec<(VirtualTime, Event)> {
    let mut ev = Vec::new();
    let base = t("2026-11-25T10:00:00Z");
    for minute in 0..180u64 {
        let at = plus_min(base, minute);
        let failing = !(30..120).contains(&minute);
        // Calls only while not in Stand-In (the Nodo does not call a station in Stand-In).
        if !(30..90).contains(&minute) {
            // 40 calls a minute: 200 a slot, 10 % of the Nodo's 2000.
            for k in 0..40 {
                ev.push((
                    at.plus(Duration::from_secs(k)),
                    Event::Call {
                        unavailable: failing,
                    },
                ));
            }
        }
        if (30..90).contains(&minute) && minute % 5 == 0 {
            ev.push((
                at,
                Event::Probe {
                    positive: minute >= 50,
                },
            ));
        }
    }
    ev
}

fn feed(m: &mut StationMonitor, ev: &[(VirtualTime, Event)]) {
    for (at, e) in ev {
        match e {
            Event::Call { unavailable } => m.observe(*at, *unavailable),
            Event::Probe { positive } => m.probe(*at, *positive),
        }
    }
}

#[test]
fn evaluate_until_over_three_hours_equals_evaluating_every_slot() {
    let traffic = TrafficModel::PerSlot(2000);
    let start = t("2026-11-25T10:00:00Z");
    let end = plus_min(start, 180);
    let ev = script();

    // Everything fed first, one jump of three hours.
    let mut jump = StationMonitor::new(StandInRules::default(), start).unwrap();
    feed(&mut jump, &ev);
    let jumped = jump.evaluate_until(end, &traffic);

    // Time goes slot by slot: feed what happened before each boundary, then evaluate it.
    let mut step = StationMonitor::new(StandInRules::default(), start).unwrap();
    let mut stepped = Vec::new();
    let mut fed = 0;
    for k in 1..=36u64 {
        let b = plus_min(start, 5 * k);
        let upto = ev.iter().take_while(|(at, _)| *at < b).count();
        feed(&mut step, &ev[fed..upto]);
        fed = upto;
        stepped.extend(step.evaluate(b, &traffic));
    }

    // Evaluated at every event as it happens (the harness's loop), then to the end.
    let mut live = StationMonitor::new(StandInRules::default(), start).unwrap();
    for (at, e) in &ev {
        live.evaluate_until(*at, &traffic);
        feed(&mut live, &[(*at, *e)]);
    }
    live.evaluate_until(end, &traffic);

    assert_eq!(jumped, stepped);
    assert_eq!(jump.transitions(), step.transitions());
    assert_eq!(live.transitions(), jump.transitions());
    let at: Vec<String> = jumped
        .iter()
        .map(|tr| format!("{} {}", tr.at, tr.is_activation()))
        .collect();
    assert_eq!(
        at,
        [
            "2026-11-25T10:20:00.000Z true",
            "2026-11-25T11:25:00.000Z false",
            "2026-11-25T12:20:00.000Z true",
        ],
        "{jumped:#?}"
    );
    assert_eq!(jump.state(), step.state());
    assert_eq!(jump.last_evaluated(), end);
}

#[test]
fn evaluate_until_skips_quiet_years_without_missing_anything() {
    let traffic = TrafficModel::PerSlot(2000);
    // Watching since 2000: a quarter of a century of boundaries, almost all empty.
    let start = t("2000-01-01T00:00:00Z");
    let end = t("2026-11-25T13:00:00Z");
    let mut m = StationMonitor::new(StandInRules::default(), start).unwrap();
    feed(&mut m, &script());
    let began = std::time::Instant::now();
    let transitions = m.evaluate_until(end, &traffic);
    assert!(
        began.elapsed() < Duration::from_secs(1),
        "{:?}",
        began.elapsed()
    );
    let at: Vec<String> = transitions.iter().map(|tr| tr.at.to_string()).collect();
    assert_eq!(
        at,
        [
            "2026-11-25T10:20:00.000Z",
            "2026-11-25T11:25:00.000Z",
            "2026-11-25T12:20:00.000Z",
        ]
    );
    assert_eq!(m.last_evaluated(), end);
    // In Stand-In with no probe for a year: still in Stand-In, and quickly so.
    let later = t("2027-11-25T13:00:00Z");
    assert!(m.evaluate_until(later, &traffic).is_empty());
    assert!(m.in_stand_in());
    assert_eq!(m.last_evaluated(), later);
    // One late positive burst: the exit comes at the first boundary after the 7th probe.
    let burst = t("2027-11-25T13:01:00Z");
    for _ in 0..7 {
        m.probe(burst, true);
    }
    let tr = m.evaluate_until(t("2027-11-25T14:00:00Z"), &traffic);
    assert_eq!(tr.len(), 1);
    assert_eq!(tr[0].at, t("2027-11-25T13:05:00Z"));
    assert_eq!(tr[0].numbers.positive_probes, 7);
}

#[test]
fn same_inputs_same_transitions() {
    let run = |traffic: &TrafficModel| {
        let start = t("2026-11-25T10:00:00Z");
        let mut m = StationMonitor::new(StandInRules::default(), start).unwrap();
        feed(&mut m, &script());
        m.evaluate_until(plus_min(start, 180), traffic);
        m.transitions()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    let first = run(&TrafficModel::PerSlot(2000));
    assert_eq!(first.len(), 3);
    assert_eq!(first, run(&TrafficModel::PerSlot(2000)));
    assert_eq!(first, run(&TrafficModel::from_fn(|_| 2000)));
    assert_eq!(
        first,
        run(&TrafficModel::Steps {
            initial: 2000,
            from: BTreeMap::new()
        })
    );
}

#[test]
fn traffic_models() {
    let steps = TrafficModel::Steps {
        initial: 100,
        from: BTreeMap::from([
            (t("2026-11-25T10:15:00Z"), 50),
            (t("2026-11-25T10:25:00Z"), 7),
        ]),
    };
    for (slot, total) in [
        ("2026-11-25T10:10:00Z", 100),
        ("2026-11-25T10:15:00Z", 50),
        ("2026-11-25T10:20:00Z", 50),
        ("2026-11-25T10:25:00Z", 7),
        ("2026-11-26T00:00:00Z", 7),
    ] {
        assert_eq!(steps.total_in_slot(t(slot)), total, "{slot}");
    }
    let by_hour = TrafficModel::from_fn(|slot| if slot.hour_utc() < 12 { 10 } else { 20 });
    assert_eq!(by_hour.total_in_slot(t("2026-11-25T13:00:00Z")), 20);
    assert_eq!(format!("{by_hour:?}"), "Function(..)");
}

/// A change of traffic from a slot on leaves the slots before it as they were, whatever the
/// model it changes.
#[test]
fn a_traffic_change_applies_from_its_slot_on() {
    let change = t("2026-11-25T10:15:00Z");
    let before = t("2026-11-25T10:10:00Z");
    let after = t("2026-11-25T10:20:00Z");
    let models = [
        ("per-slot", TrafficModel::PerSlot(100)),
        (
            // A step planned after the change is replaced by it.
            "steps",
            TrafficModel::Steps {
                initial: 100,
                from: BTreeMap::from([(t("2026-11-25T10:30:00Z"), 7)]),
            },
        ),
        ("function", TrafficModel::from_fn(|_| 100)),
    ];
    for (what, model) in models {
        for next in [TrafficModel::PerSlot(5), TrafficModel::from_fn(|_| 5)] {
            let m = model.clone().then_from(change, next);
            assert_eq!(m.total_in_slot(before), 100, "{what}");
            assert_eq!(m.total_in_slot(change), 5, "{what}");
            assert_eq!(m.total_in_slot(after), 5, "{what}");
            assert_eq!(m.total_in_slot(t("2026-11-25T11:00:00Z")), 5, "{what}");
        }
    }
    // Per-slot figures stay data (serialisable, printable) through a change.
    let m = TrafficModel::PerSlot(100)
        .then_from(change, TrafficModel::PerSlot(5))
        .then_from(after, TrafficModel::PerSlot(9));
    assert!(format!("{m:?}").starts_with("Steps"), "{m:?}");
    assert_eq!(m.total_in_slot(change), 5);
    assert_eq!(m.total_in_slot(after), 9);
    assert_eq!(
        StandInRules::default().slot_start(t("2026-11-25T10:17:30Z")),
        change
    );
}

#[test]
fn rules_and_traffic_from_configuration() {
    let rules: StandInRules = serde_json::from_str(
        r#"{"exit_rule": "documented", "night_traffic_percent": 12.5, "range_minutes": 60}"#,
    )
    .unwrap();
    assert_eq!(rules.exit_rule, ExitRule::Documented);
    assert_eq!(rules.night_traffic_percent, 12.5);
    assert_eq!(rules.range_minutes, 60);
    assert_eq!(rules.slot_minutes, 5, "unset fields keep their defaults");
    assert!(rules.validate().is_ok());
    let defaults: StandInRules = serde_json::from_str("{}").unwrap();
    assert_eq!(defaults, StandInRules::default());
    assert_eq!(defaults.exit_rule, ExitRule::Implementation);
    assert_eq!(defaults.traffic_share, TrafficShare::PerSlot);
    assert!(serde_json::from_str::<StandInRules>(r#"{"slot_minute": 5}"#).is_err());
    for (text, share) in [
        (r#"{"traffic_share": "per-slot"}"#, TrafficShare::PerSlot),
        (r#"{"traffic_share": "range"}"#, TrafficShare::Range),
    ] {
        let r: StandInRules = serde_json::from_str(text).unwrap();
        assert_eq!(r.traffic_share, share, "{text}");
    }
    assert!(serde_json::from_str::<StandInRules>(r#"{"traffic_share": "aggregate"}"#).is_err());

    let per_slot: TrafficModel = serde_json::from_str(r#"{"per-slot": 1000}"#).unwrap();
    assert_eq!(per_slot.total_in_slot(t(DAY)), 1000);
    let steps: TrafficModel = serde_json::from_str(
        r#"{"steps": {"initial": 100, "from": {"2026-11-25T10:15:00Z": 50}}}"#,
    )
    .unwrap();
    assert_eq!(steps.total_in_slot(t("2026-11-25T10:20:00Z")), 50);
    assert_eq!(steps.total_in_slot(t("2026-11-25T10:10:00Z")), 100);

    // A range of 60 min is 12 slots: 7 failed is more than half.
    let boundary = t(DAY);
    let start = minus_min(boundary, 60);
    let mut m = StationMonitor::new(rules, start).unwrap();
    for i in 0..7 {
        m.observe_counts(plus_min(start, 5 * i), 10, 10);
    }
    let tr = m.evaluate(boundary, &TrafficModel::PerSlot(100)).unwrap();
    assert_eq!((tr.numbers.failed_slots, tr.numbers.slots), (7, 12));
}
