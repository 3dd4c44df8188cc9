//! The steps of an EC on the asynchronous integration (DOMAIN.md §9; TEST-PLAN.md §4.8): the
//! EC's back office acts on its debt positions in the mock GPD (`action = "gpd-..."`), the
//! mock GPD is asked what reached it (`call = "gpd"`), and Checkout pays positions through a
//! mock Nodo in which GPD-Payments answers for the EC (`call = "checkout"`).
//!
//! A case names its positions by short labels (`"1"`, `"b"`); the harness turns each into an
//! IUPD and an IUV unique to the case ([`position_ids`]), which the EC is asked to use (the
//! hooks get them as `{iupd}` and `{iuv}`), so the mock GPD can be asked about them after.

use super::actions::{ActionArgs, ActionResult, GpdArgs};
use super::step::{ScenarioCtx, StepOutcome, check, finish, record};
use crate::scenario::{Checkout, GpdActionKind, GpdCheck, StepKind};
use collaudo_nodo::Clock;
use collaudo_nodo::checks::NodoOutcome;
use collaudo_nodo::gpd::GpdCall;
use collaudo_nodo::nodo::{EcEntry, Integration, Nodo, NodoConfig, Registry, StationLink};
use collaudo_nodo::receipts::DeliveryResult;
use collaudo_reports::{CheckRecord, CheckVerdict, Verdict};
use collaudo_wire::QrCode;
use std::sync::Arc;
use std::time::Instant;

/// The label of a position when a step names none.
const DEFAULT_LABEL: &str = "1";

/// Amount of a position created without `amount_cents`, in cents.
pub(crate) const DEFAULT_CREATE_CENTS: i64 = 10_000;

/// Amount a `gpd-update` without `amount_cents` sets, in cents: not the created one, so the
/// update is a change.
pub(crate) const DEFAULT_UPDATE_CENTS: i64 = 15_000;

/// The prefix of every IUPD of the case `scenario`.
fn iupd_prefix(scenario: &str) -> String {
    format!("COLLAUDO-{scenario}-")
}

/// The IUPD and IUV of the position `label` of the case `scenario`: the same in every run
/// (reproducible), different between cases and labels. The IUV has 17 digits, segregation
/// code `01`; the notice number is `3` + IUV.
pub(crate) fn position_ids(scenario: &str, label: &str) -> (String, String) {
    let h = fnv(scenario, label);
    (
        format!("{}{label}", iupd_prefix(scenario)),
        format!("01{:015}", h % 1_000_000_000_000_000),
    )
}

/// FNV-1a of `a/b`: small, stable across platforms and Rust versions.
fn fnv(a: &str, b: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in a.bytes().chain([b'/']).chain(b.bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The GPD calls about the position `iupd` / `iuv` of organisation `ec`.
fn calls_about<'c>(calls: &'c [GpdCall], ec: &str, iupd: &str, iuv: &str) -> Vec<&'c GpdCall> {
    calls
        .iter()
        .filter(|c| c.organization.as_deref() == Some(ec))
        .filter(|c| {
            c.iupd.as_deref() == Some(iupd)
                || c.body.contains(&format!("\"{iupd}\""))
                || c.path.ends_with(&format!("/{iuv}"))
        })
        .collect()
}

fn describe(c: &GpdCall) -> String {
    format!(
        "GPD ← {} {}{} ({}) → HTTP {} at {}",
        c.method,
        c.path,
        c.query
            .as_deref()
            .map_or(String::new(), |q| format!("?{q}")),
        c.operation.as_deref().unwrap_or("unknown operation"),
        c.status,
        c.virtual_at
    )
}

/// One of the three GPD steps.
pub(crate) async fn run(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    kind: &StepKind,
    name: String,
    started: Instant,
    transcript: Vec<String>,
) -> StepOutcome {
    match kind {
        StepKind::GpdAction(a) => {
            action(
                cx,
                index,
                a.action,
                a.position.as_ref().map(|p| p.get_ref().as_str()),
                a.amount_cents.as_ref().map(|a| *a.get_ref()),
                name,
                started,
                transcript,
            )
            .await
        }
        StepKind::Gpd(g) => gpd_check(cx, index, g, name, started, transcript),
        StepKind::Checkout(c) => checkout(cx, index, c, name, started, transcript).await,
        other => finish(
            index,
            name,
            started,
            vec![check(
                "gpd",
                CheckVerdict::Fail,
                format!("{other:?} is not a GPD step"),
            )],
            Vec::new(),
            transcript,
        ),
    }
}

/// `action = "gpd-..."`: the EC's back office acts on the position, through the embedded
/// station's GPD client or the user's hook; what reached the mock GPD goes to the transcript.
#[allow(clippy::too_many_arguments)]
async fn action(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    action: GpdActionKind,
    label: Option<&str>,
    amount: Option<i64>,
    name: String,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    let label = label.unwrap_or(DEFAULT_LABEL);
    let (iupd, iuv) = position_ids(&cx.scenario_id, label);
    let amount_cents = match action {
        GpdActionKind::Create | GpdActionKind::CreatePublished => {
            Some(amount.unwrap_or(DEFAULT_CREATE_CENTS))
        }
        GpdActionKind::Update => Some(amount.unwrap_or(DEFAULT_UPDATE_CENTS)),
        _ => None,
    };
    let args = ActionArgs {
        notice: format!("3{iuv}"),
        delta_cents: 0,
        amount_cents,
        gpd: Some(GpdArgs {
            iupd: iupd.clone(),
            iuv: iuv.clone(),
            url: cx.station.gpd.as_ref().map_or(String::new(), |g| {
                g.url
                    .strip_suffix(collaudo_nodo::gpd::Api::DebtPositionsV1.base())
                    .unwrap_or(&g.url)
                    .to_string()
            }),
        }),
    };
    let before = cx
        .station
        .gpd
        .as_ref()
        .map_or(0, |g| g.state.store().call_count());
    let outcome = cx.station.actions.perform(action.as_str(), &args).await;
    if let Some(g) = &cx.station.gpd {
        let calls = g.state.calls();
        for c in calls.iter().filter(|c| c.seq > before) {
            transcript.push(describe(c));
        }
    }
    match outcome {
        ActionResult::Done(msg) => {
            transcript.insert(0, format!("EC action {}: {msg}", action.as_str()));
            record(index, name, started, Verdict::Pass, msg, transcript)
        }
        ActionResult::NotAvailable(why) => StepOutcome::Skip(why),
        ActionResult::Failed(why) => record(
            index,
            name,
            started,
            Verdict::Error,
            format!("EC action {} failed: {why}", action.as_str()),
            transcript,
        ),
    }
}

fn expected_actual(mut c: CheckRecord, expected: String, actual: String) -> CheckRecord {
    c.expected = Some(expected);
    c.actual = Some(actual);
    c
}

/// `call = "gpd"`: the position's status, the last answer to one operation about it, and how
/// many of the case's positions the EC holds.
fn gpd_check(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    g: &GpdCheck,
    name: String,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    let Some(link) = &cx.station.gpd else {
        return StepOutcome::Skip("this case needs the mock GPD".into());
    };
    let ec = cx.cfg.caller.id_pa.as_str();
    let label = g
        .position
        .as_ref()
        .map_or(DEFAULT_LABEL, |p| p.get_ref().as_str());
    let (iupd, iuv) = position_ids(&cx.scenario_id, label);
    let calls = link.state.calls();
    let about = calls_about(&calls, ec, &iupd, &iuv);
    transcript.push(format!(
        "the mock GPD saw {} call{} about position {iupd} (IUV {iuv})",
        about.len(),
        if about.len() == 1 { "" } else { "s" }
    ));
    transcript.extend(about.iter().map(|c| describe(c)));
    let status = link
        .state
        .position(ec, &iupd)
        .map_or_else(|| "absent".to_string(), |(_, s)| s.as_str().to_string());
    transcript.push(format!("position {iupd} is {status} now"));
    let mut checks = Vec::new();
    if let Some(want) = &g.expect.gpd_status {
        let want = want.get_ref();
        let ok = *want == status;
        checks.push(expected_actual(
            check(
                "gpd-status",
                if ok {
                    CheckVerdict::Pass
                } else {
                    CheckVerdict::Fail
                },
                if ok {
                    format!("position {iupd} is {status}")
                } else {
                    format!("position {iupd} is {status}, not {want}")
                },
            ),
            want.clone(),
            status.clone(),
        ));
    }
    if g.expect.gpd_operation.is_some() || g.expect.gpd_http_status.is_some() {
        let op = g
            .expect
            .gpd_operation
            .as_ref()
            .map_or("any operation", |o| o.get_ref().as_str());
        let last = about
            .iter()
            .rev()
            .find(|c| g.expect.gpd_operation.is_none() || c.operation.as_deref() == Some(op));
        match (last, &g.expect.gpd_http_status) {
            (None, _) => checks.push(check(
                "gpd-call",
                CheckVerdict::Fail,
                format!("the EC never called {op} about position {iupd}"),
            )),
            (Some(c), None) => checks.push(check(
                "gpd-call",
                CheckVerdict::Pass,
                format!("the EC called {op} about {iupd} (HTTP {})", c.status),
            )),
            (Some(c), Some(want)) => {
                let want = *want.get_ref();
                let ok = c.status == want;
                let excerpt: String = c.response.chars().take(200).collect();
                checks.push(expected_actual(
                    check(
                        "gpd-call",
                        if ok {
                            CheckVerdict::Pass
                        } else {
                            CheckVerdict::Fail
                        },
                        if ok {
                            format!("GPD answered the last {op} about {iupd} with HTTP {want}")
                        } else {
                            format!(
                                "GPD answered the last {op} about {iupd} with HTTP {}, not {want}: {excerpt}",
                                c.status
                            )
                        },
                    ),
                    want.to_string(),
                    c.status.to_string(),
                ));
            }
        }
    }
    if let Some(want) = g.expect.gpd_positions {
        let prefix = iupd_prefix(&cx.scenario_id);
        let held = link
            .state
            .positions()
            .iter()
            .filter(|(p, _)| p.organization_fiscal_code == ec && p.iupd.starts_with(&prefix))
            .count();
        let ok = u32::try_from(held).is_ok_and(|h| h == want);
        checks.push(expected_actual(
            check(
                "gpd-positions",
                if ok {
                    CheckVerdict::Pass
                } else {
                    CheckVerdict::Fail
                },
                format!("the EC holds {held} of this case's positions in GPD (expected {want})"),
            ),
            want.to_string(),
            held.to_string(),
        ));
    }
    finish(index, name, started, checks, Vec::new(), transcript)
}

/// `call = "checkout"`: Checkout pays a cart of the case's positions: every notice verified,
/// then activated with the cart id as `paymentNote`, then closed; the Nodo routes each call to
/// GPD-Payments, since the EC is on the asynchronous integration.
async fn checkout(
    cx: &mut ScenarioCtx<'_>,
    index: usize,
    c: &Checkout,
    name: String,
    started: Instant,
    mut transcript: Vec<String>,
) -> StepOutcome {
    let Some(link) = cx.station.gpd.clone() else {
        return StepOutcome::Skip("this case needs the mock GPD".into());
    };
    let ec = cx.cfg.caller.id_pa.clone();
    let labels: Vec<String> = if c.positions.is_empty() {
        vec![DEFAULT_LABEL.to_string()]
    } else {
        c.positions.iter().map(|p| p.get_ref().clone()).collect()
    };
    let cart_id = format!("collaudo-cart-{}-{}", cx.scenario_id, index + 1);
    // The station under test receives the EC's receipts (push) when the case expects it.
    let mut registry = Registry::default();
    let mut broadcast = Vec::new();
    if c.expect.delivered.is_some() {
        // The case's client toward the station under test (its connection pool is shared).
        let station_client = match cx.client() {
            Ok(cl) => cl,
            Err(e) => return super::step::error_outcome(index, name, e, started),
        };
        broadcast.push(cx.cfg.caller.id_station.clone());
        registry = registry.with_station(StationLink {
            client: station_client,
            get_payment_v2: true,
            send_rt_v2: true,
        });
    }
    registry = registry.with_ec(EcEntry {
        fiscal_code: ec.clone(),
        integration: Integration::Async,
        station: None,
        broadcast,
    });
    let nodo = match Nodo::new(NodoConfig {
        registry,
        backoffice: cx.station.backoffice.clone(),
        policy: cx.cfg.policy.clone(),
        retry: cx.cfg.retry,
        standin: cx.cfg.standin_rules.clone(),
        aca: None,
        gpd: Some(link.state.clone()),
        clock: cx.clock.clone() as Arc<dyn Clock>,
        journal: cx.journal.clone(),
        // Payment tokens (receipt ids) unique in the run: the run's seed, mixed with the case
        // and the step, so two carts never mint the same receiptId for an EC that lives
        // through the run.
        seed: cx.cfg.seed ^ fnv(&cx.scenario_id, &format!("checkout-{index}")),
    }) {
        Ok(n) => n,
        Err(e) => return super::step::error_outcome(index, name, e.to_string(), started),
    };
    let notices: Vec<(String, String)> = labels
        .iter()
        .map(|l| {
            let (_, iuv) = position_ids(&cx.scenario_id, l);
            (format!("3{iuv}"), iuv)
        })
        .collect();
    transcript.push(format!(
        "Checkout cart {cart_id}: {} notice{} of EC {ec} (asynchronous: GPD-Payments answers)",
        notices.len(),
        if notices.len() == 1 { "" } else { "s" }
    ));
    let qr = |n: &str| QrCode {
        fiscal_code: ec.clone(),
        notice_number: n.to_string(),
    };
    let mut refusal: Option<(String, String)> = None;
    for (n, _) in &notices {
        match nodo.verify(&qr(n)).await {
            Ok(a) => {
                transcript.push(format!("verify {n}: {} answers {}", a.route, a.outcome));
                if a.outcome != NodoOutcome::Ok {
                    refusal = Some((format!("verify of {n}"), fault_of(&a.outcome)));
                    break;
                }
            }
            Err(e) => return super::step::error_outcome(index, name, e.to_string(), started),
        }
    }
    let mut tokens = Vec::new();
    if refusal.is_none() {
        for (n, _) in &notices {
            match nodo
                .activate_with(&qr(n), None, None, Some(cart_id.clone()))
                .await
            {
                Ok(a) => {
                    transcript.push(format!(
                        "activate {n} (paymentNote {cart_id}): {} answers {}",
                        a.route, a.outcome
                    ));
                    match a.token {
                        Some(t) => tokens.push(t),
                        None => {
                            refusal = Some((format!("activation of {n}"), fault_of(&a.outcome)));
                            break;
                        }
                    }
                }
                Err(e) => return super::step::error_outcome(index, name, e.to_string(), started),
            }
        }
    }
    let mut exchanges = Vec::new();
    let mut pushed_ok = true;
    let mut pushed_any = false;
    if refusal.is_none() {
        for t in &tokens {
            match nodo.close(t).await {
                Ok(closed) => {
                    transcript.push(format!(
                        "close {}: receipt {} ({})",
                        closed.receipt.notice_number,
                        closed.receipt.receipt_id,
                        closed.receipt.payment_amount
                    ));
                    for d in &closed.deliveries {
                        pushed_any = true;
                        pushed_ok &= d.result == DeliveryResult::Delivered;
                        transcript.extend(d.timeline());
                        exchanges.extend(d.attempts.iter().map(|a| {
                            super::step::attempt_record(a, "paSendRTV2", &cx.station.url)
                        }));
                    }
                }
                Err(e) => return super::step::error_outcome(index, name, e.to_string(), started),
            }
        }
    }
    for d in nodo.decisions() {
        transcript.push(format!(
            "Nodo {} {} → {}: {}",
            d.operation, d.notice, d.route, d.why
        ));
    }
    let mut checks = Vec::new();
    let want_paid = c.expect.paid.unwrap_or(true);
    let paid = refusal.is_none();
    let paid_check = match (&refusal, want_paid) {
        (None, true) => check(
            "checkout-paid",
            CheckVerdict::Pass,
            format!("every notice of cart {cart_id} paid"),
        ),
        (None, false) => check(
            "checkout-paid",
            CheckVerdict::Fail,
            format!("cart {cart_id} was paid, and the case expects it refused"),
        ),
        (Some((at, code)), true) => check(
            "checkout-paid",
            CheckVerdict::Fail,
            format!("cart {cart_id} refused at the {at}: {code}"),
        ),
        (Some((at, code)), false) => check(
            "checkout-paid",
            CheckVerdict::Pass,
            format!("cart {cart_id} refused at the {at}: {code}"),
        ),
    };
    checks.push(expected_actual(
        paid_check,
        if want_paid { "paid" } else { "refused" }.into(),
        if paid { "paid" } else { "refused" }.into(),
    ));
    if !c.expect.fault_code.is_empty() {
        let got = refusal.as_ref().map_or("none", |(_, code)| code.as_str());
        let wanted: Vec<&str> = c
            .expect
            .fault_code
            .iter()
            .map(|f| f.get_ref().as_str())
            .collect();
        let verdict = match wanted.iter().position(|w| *w == got) {
            Some(0) => CheckVerdict::Pass,
            Some(_) => CheckVerdict::Warn,
            None => CheckVerdict::Fail,
        };
        checks.push(expected_actual(
            check(
                "checkout-fault-code",
                verdict,
                format!("the PSP got fault code {got}"),
            ),
            wanted.join(" | "),
            got.to_string(),
        ));
    }
    if let Some(want) = c.expect.delivered {
        if paid {
            let delivered = pushed_any && pushed_ok;
            checks.push(check(
                "receipt-pushed",
                if delivered == want {
                    CheckVerdict::Pass
                } else {
                    CheckVerdict::Fail
                },
                if delivered {
                    format!(
                        "every paSendRTV2 was accepted by the EC's station {}",
                        cx.station.url
                    )
                } else {
                    format!(
                        "the EC's station {} did not accept every paSendRTV2",
                        cx.station.url
                    )
                },
            ));
        } else {
            checks.push(check(
                "receipt-pushed",
                CheckVerdict::Skip,
                "nothing was paid, so no receipt was pushed",
            ));
        }
    }
    if let Some(want) = c.expect.pulled {
        let client = match collaudo_station::gpd::GpdClient::new(&collaudo_station::GpdTarget::new(
            link.url.clone(),
            link.key.clone(),
        )) {
            Ok(cl) => cl,
            Err(e) => return super::step::error_outcome(index, name, e, started),
        };
        let mut served = 0;
        for (n, iuv) in &notices {
            match client.receipt(&ec, iuv).await {
                Ok(a) => {
                    transcript.push(format!(
                        "GET receipts/{iuv} (notice {n}) from the receipts API → HTTP {}",
                        a.status
                    ));
                    if a.is_success() {
                        served += 1;
                    }
                }
                Err(e) => transcript.push(format!("GET receipts/{iuv}: {e}")),
            }
        }
        let all = served == notices.len();
        checks.push(check(
            "receipt-pulled",
            if all == want {
                CheckVerdict::Pass
            } else {
                CheckVerdict::Fail
            },
            format!(
                "GPD's receipts API serves {served} of the cart's {} receipt{}",
                notices.len(),
                if notices.len() == 1 { "" } else { "s" }
            ),
        ));
    }
    finish(index, name, started, checks, exchanges, transcript)
}

/// The fault code the PSP gets for a refusal: the EC's (GPD-Payments') code relayed, or the
/// Nodo's own.
fn fault_of(outcome: &NodoOutcome) -> String {
    match outcome {
        NodoOutcome::Ok => "none".into(),
        NodoOutcome::EcKo { code, .. } | NodoOutcome::Nodo { code, .. } => {
            code.as_str().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_ids_are_stable_and_distinct() {
        let (iupd, iuv) = position_ids("GPD-001", "1");
        assert_eq!(iupd, "COLLAUDO-GPD-001-1");
        assert_eq!(iuv.len(), 17);
        assert!(iuv.starts_with("01") && iuv.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(position_ids("GPD-001", "1"), (iupd.clone(), iuv.clone()));
        let others = [
            position_ids("GPD-001", "2").1,
            position_ids("GPD-002", "1").1,
            position_ids("GPD-0011", "").1,
        ];
        for o in others {
            assert_ne!(o, iuv);
        }
    }

    #[test]
    fn calls_about_a_position_match_its_iupd_body_or_iuv() {
        let call = |iupd: Option<&str>, body: &str, path: &str| GpdCall {
            seq: 1,
            virtual_at: collaudo_nodo::VirtualTime::EPOCH,
            method: "POST".into(),
            path: path.into(),
            query: None,
            operation: Some("createPosition".into()),
            organization: Some("77777777777".into()),
            iupd: iupd.map(Into::into),
            body: body.into(),
            body_len: body.len(),
            status: 400,
            response: String::new(),
        };
        let calls = vec![
            call(Some("A"), "", "/x"),
            call(None, r#"{"iupd":"A"}"#, "/x"),
            call(None, "", "/payments/77777777777/receipts/0123"),
            call(Some("B"), "", "/x"),
            call(None, r#"{"iupd":"AB"}"#, "/x"),
        ];
        assert_eq!(calls_about(&calls, "77777777777", "A", "0123").len(), 3);
        assert_eq!(calls_about(&calls, "88888888888", "A", "0123").len(), 0);
    }
}
