//! The read-only web page (`GET /`) and the JSON state (`GET /state`): one view model, read
//! from the SQLite file and the live Nodo and ACA, rendered on the server as plain HTML with
//! inline CSS. No script, no framework, no external asset: the page is complete as it
//! arrives, and a reload shows the state now.

use crate::db::{JournalRow, PaymentView, Snapshot, TransitionRow};
use crate::service::{Service, StationInfo};
use collaudo_nodo::Clock;
use collaudo_nodo::aca::AcaPosition;
use serde::Serialize;
use std::fmt::Write as _;

/// A station and its Stand-In state.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StationView {
    #[serde(flatten)]
    info: StationInfo,
    in_stand_in: bool,
    transitions: Vec<TransitionRow>,
}

/// A position of the mock ACA.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PositionView {
    iupd: String,
    pa_fiscal_code: String,
    iuv: String,
    nav: String,
    status: String,
    amount: String,
    iban: Option<String>,
    pay_stand_in: bool,
    history: Vec<String>,
}

impl From<AcaPosition> for PositionView {
    fn from(p: AcaPosition) -> Self {
        PositionView {
            pa_fiscal_code: p.request.pa_fiscal_code.clone(),
            iuv: p.request.iuv.clone(),
            amount: euros(p.amount_cents()),
            iban: p.iban.iban.clone(),
            pay_stand_in: p.request.pay_stand_in,
            history: p
                .history
                .iter()
                .map(|h| {
                    let action = format!("{:?}", h.action).to_lowercase();
                    format!("{} {action} {}", h.at, euros(h.amount_cents))
                })
                .collect(),
            status: p.status.as_str().to_string(),
            nav: p.nav,
            iupd: p.iupd,
        }
    }
}

/// A receipt retry still due.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PendingView {
    recipient: String,
    token: String,
    next_attempt: u32,
    due_at: String,
}

/// Everything the page and `GET /state` show.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct View {
    now: String,
    clock_offset_minutes: i64,
    stations: Vec<StationView>,
    aca_calls: u64,
    aca_pending_faults: u32,
    positions_total: usize,
    positions: Vec<PositionView>,
    payments_total: i64,
    payments_open: i64,
    payments: Vec<PaymentView>,
    pending_retries: Vec<PendingView>,
    journal_total: i64,
    journal: Vec<JournalRow>,
}

fn euros(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

impl View {
    pub(crate) async fn new(service: &Service, snap: Snapshot, limit: usize) -> View {
        let stations = service
            .stations()
            .iter()
            .map(|s| StationView {
                in_stand_in: service.nodo().in_stand_in(&s.id),
                transitions: snap
                    .transitions
                    .iter()
                    .filter(|t| t.station == s.id)
                    .cloned()
                    .collect(),
                info: s.clone(),
            })
            .collect();
        let store = service.aca().store();
        let all = store.positions();
        let positions_total = all.len();
        let positions = all
            .into_iter()
            .rev()
            .take(limit)
            .map(PositionView::from)
            .collect();
        View {
            now: service.clock().now().to_string(),
            clock_offset_minutes: service.clock().offset_ms() / 60_000,
            stations,
            aca_calls: store.call_count(),
            aca_pending_faults: service.aca().pending_faults(),
            positions_total,
            positions,
            payments_total: snap.payments_total,
            payments_open: snap.payments_open,
            payments: snap.payments,
            pending_retries: service
                .pending()
                .await
                .into_iter()
                .map(|(recipient, token, next_attempt, due_at)| PendingView {
                    recipient,
                    token,
                    next_attempt,
                    due_at,
                })
                .collect(),
            journal_total: snap.journal_total,
            journal: snap.journal,
        }
    }
}

/// `s` with the five characters HTML gives meaning to escaped.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.6em 0 .4em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.3em 0}
th,td{border:1px solid #ddd;padding:.25em .45em;text-align:left;vertical-align:top}
th{background:#f3f3f3}code,.mono{font-family:ui-monospace,monospace;font-size:.92em}
.ok{color:#116611}.ko{color:#a31515}.warn{color:#8a5a00}.muted{color:#666}
.badge{display:inline-block;padding:0 .4em;border-radius:.3em;background:#eee}
.badge.si{background:#ffe1a8}.badge.n{background:#d8f5d8}
ol{margin:.1em 0 .1em 1.2em;padding:0}
";

fn outcome_class(o: &str) -> &'static str {
    if o == "OK" || o.starts_with("OK:") || o.starts_with("accepted") || o == "probe positive" {
        "ok"
    } else {
        "ko"
    }
}

/// The page.
pub(crate) fn render(v: &View) -> String {
    let mut h = String::with_capacity(32 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>collaudo serve</title><style>{STYLE}</style></head><body>\
         <h1>collaudo serve</h1>\
         <p class=\"muted\">Serve time <span class=\"mono\" id=\"now\">{}</span> \
         (wall clock + {} min). Read-only: reload for the state now; drive it with the JSON \
         control API (<code>collaudo serve --help</code>).</p>",
        esc(&v.now),
        v.clock_offset_minutes
    );
    stations(&mut h, v);
    positions(&mut h, v);
    payments(&mut h, v);
    journal(&mut h, v);
    h.push_str("</body></html>\n");
    h
}

fn stations(h: &mut String, v: &View) {
    let _ = write!(
        h,
        "<h2 id=\"stations\">Stations ({})</h2><table><tr><th>station</th><th>URL</th>\
         <th>ECs</th><th>state</th><th>Stand-In transitions</th></tr>",
        v.stations.len()
    );
    for s in &v.stations {
        let state = if s.in_stand_in {
            "<span class=\"badge si\">Stand-In</span>"
        } else {
            "<span class=\"badge n\">normal</span>"
        };
        let mut tr = String::new();
        if s.transitions.is_empty() {
            tr.push_str("<span class=\"muted\">none</span>");
        } else {
            tr.push_str("<ol>");
            for t in &s.transitions {
                let _ = write!(
                    tr,
                    "<li><span class=\"mono\">{}</span> {} → {}: {}</li>",
                    esc(&t.at),
                    esc(&t.from),
                    esc(&t.to),
                    esc(&t.reason)
                );
            }
            tr.push_str("</ol>");
        }
        let _ = write!(
            h,
            "<tr><td class=\"mono\">{}{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
             <td>{state}</td><td>{tr}</td></tr>",
            esc(&s.info.id),
            if s.info.embedded {
                " <span class=\"muted\">(embedded)</span>"
            } else {
                ""
            },
            esc(&s.info.url),
            esc(&s.info.ecs.join(", ")),
        );
    }
    h.push_str("</table>");
}

fn positions(h: &mut String, v: &View) {
    let _ = write!(
        h,
        "<h2 id=\"positions\">ACA positions ({} held, newest {} shown; {} paCreatePosition calls \
         since start{})</h2>",
        v.positions_total,
        v.positions.len(),
        v.aca_calls,
        if v.aca_pending_faults > 0 {
            format!(", {} injected faults pending", v.aca_pending_faults)
        } else {
            String::new()
        }
    );
    if v.positions.is_empty() {
        h.push_str(
            "<p class=\"muted\">No position yet: an EC loads them with paCreatePosition.</p>",
        );
        return;
    }
    h.push_str(
        "<table><tr><th>EC</th><th>notice (nav)</th><th>IUV</th><th>amount</th><th>status</th>\
         <th>Stand-In IBAN</th><th>history</th></tr>",
    );
    for p in &v.positions {
        let _ = write!(
            h,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
             <td>{}</td><td>{}{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
            esc(&p.pa_fiscal_code),
            esc(&p.nav),
            esc(&p.iuv),
            esc(&p.amount),
            esc(&p.status),
            if p.pay_stand_in {
                ""
            } else {
                " <span class=\"muted\">(payStandIn=false)</span>"
            },
            esc(p.iban.as_deref().unwrap_or("-")),
            esc(&p.history.join("; ")),
        );
    }
    h.push_str("</table>");
}

fn payments(h: &mut String, v: &View) {
    let _ = write!(
        h,
        "<h2 id=\"payments\">Payments and receipts ({} in all, {} open, newest {} shown)</h2>",
        v.payments_total,
        v.payments_open,
        v.payments.len()
    );
    if !v.pending_retries.is_empty() {
        h.push_str("<p class=\"warn\">Receipt retries due:</p><ul>");
        for p in &v.pending_retries {
            let _ = write!(
                h,
                "<li>{} · token <span class=\"mono\">{}</span> · attempt {} at <span class=\"mono\">{}</span></li>",
                esc(&p.recipient),
                esc(&p.token),
                p.next_attempt,
                esc(&p.due_at)
            );
        }
        h.push_str("</ul>");
    }
    if v.payments.is_empty() {
        h.push_str("<p class=\"muted\">No payment yet: POST /psp/pay.</p>");
        return;
    }
    h.push_str(
        "<table><tr><th>token / receipt id</th><th>notice</th><th>amount</th><th>answered by</th>\
         <th>activated</th><th>closed</th><th>receipt deliveries (attempt timeline)</th></tr>",
    );
    for p in &v.payments {
        let mut d = String::new();
        if p.closed_at.is_none() {
            d.push_str("<span class=\"warn\">open: not closed yet</span>");
        }
        for del in &p.deliveries {
            let cls = if del.result == "delivered" {
                "ok"
            } else {
                "ko"
            };
            let _ = write!(
                d,
                "<div><b>{}</b>: <span class=\"{cls}\">{}</span>{}<ol>",
                esc(&del.recipient),
                esc(&del.result),
                del.next_at
                    .as_ref()
                    .map(|t| format!(", next attempt at <span class=\"mono\">{}</span>", esc(t)))
                    .unwrap_or_default()
            );
            for a in &del.attempts {
                let _ = write!(
                    d,
                    "<li value=\"{}\"><span class=\"mono\">{}</span> {} · {:.1} ms{} · <span class=\"{}\">{}</span></li>",
                    a.n,
                    esc(&a.at),
                    a.status
                        .map_or_else(|| "no answer".to_string(), |s| format!("HTTP {s}")),
                    a.latency_ms,
                    a.injected
                        .as_ref()
                        .map(|f| format!(" · injected {}", esc(f)))
                        .unwrap_or_default(),
                    outcome_class(&a.outcome),
                    esc(&a.outcome)
                );
            }
            d.push_str("</ol></div>");
        }
        let _ = write!(
            h,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}<br>{}</td><td>{}</td><td>{}{}</td>\
             <td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{d}</td></tr>",
            esc(&p.token),
            esc(&p.fiscal_code),
            esc(&p.notice_number),
            euros(p.amount_cents),
            if p.route == "aca" {
                "ACA (Stand-In) for "
            } else {
                "station "
            },
            esc(&p.station),
            esc(&p.activated_at),
            esc(p.closed_at.as_deref().unwrap_or("-")),
        );
    }
    h.push_str("</table>");
}

fn journal(h: &mut String, v: &View) {
    let _ = write!(
        h,
        "<h2 id=\"journal\">Journal ({} lines, newest {} shown)</h2>",
        v.journal_total,
        v.journal.len()
    );
    if v.journal.is_empty() {
        h.push_str("<p class=\"muted\">Nothing yet.</p>");
        return;
    }
    h.push_str(
        "<table><tr><th>at</th><th>operation</th><th>notice</th><th>station</th><th>answered by</th>\
         <th>HTTP</th><th>ms</th><th>outcome</th></tr>",
    );
    for j in &v.journal {
        let _ = write!(
            h,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            esc(&j.at),
            esc(&j.operation),
            esc(&j.notice),
            esc(&j.station),
            esc(&j.route),
            j.status.map_or_else(|| "-".to_string(), |s| s.to_string()),
            j.latency_ms
                .map_or_else(|| "-".to_string(), |l| format!("{l:.1}")),
            outcome_class(&j.outcome),
            esc(&j.outcome)
        );
    }
    h.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_html_gives_meaning_to() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(euros(1234), "12.34");
        assert_eq!(euros(5), "0.05");
    }
}
