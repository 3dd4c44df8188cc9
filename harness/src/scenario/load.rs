//! Loading scenario files: TOML parsing, then a semantic pass that collects every problem in
//! the file with its line:column and, when a close name exists, a "did you mean".

use super::model::*;
use super::raw::{RawExpect, RawScenario, RawStep};
use crate::diagnostic::Diagnostic;
use crate::fixtures::KNOWN_ROLES;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The file cannot be run.
    Error,
    /// The file runs, but something looks wrong.
    Warning,
}

/// A problem in a scenario file.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The file, as shown to the user.
    pub file: String,
    /// 1-based line and column.
    pub position: Option<(usize, usize)>,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub title: String,
    /// How to fix it (e.g. "did you mean `fault_code`?").
    pub help: Option<String>,
    /// The source text, to render the offending line.
    pub src: String,
}

impl Problem {
    /// Render as `error: ...\n --> file:line:col` with the source line and a caret.
    pub fn render(&self) -> String {
        Diagnostic {
            level: match self.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            title: &self.title,
            file: &self.file,
            position: self.position,
            notes: self.help.iter().map(|h| format!("help: {h}")).collect(),
        }
        .render(&self.src)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Line and column (1-based, columns in characters) of a byte offset.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let p = collaudo_wire::Position::of(src.as_bytes(), offset);
    (p.line, p.column)
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate within a small edit distance.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

struct Ctx<'s> {
    file: &'s str,
    src: &'s str,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        span: Option<Range<usize>>,
        severity: Severity,
        title: String,
        help: Option<String>,
    ) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            position: span.map(|s| line_col(self.src, s.start)),
            severity,
            title,
            help,
            src: self.src.to_string(),
        });
    }

    fn error<T>(&mut self, at: &Spanned<T>, title: String, help: Option<String>) {
        self.push(Some(at.span()), Severity::Error, title, help);
    }

    fn one_of(&mut self, what: &str, v: &Spanned<String>, allowed: &[&str]) -> bool {
        if allowed.contains(&v.get_ref().as_str()) {
            return true;
        }
        let help = match did_you_mean(v.get_ref(), allowed.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("expected one of: {}", allowed.join(", ")),
        };
        self.error(v, format!("unknown {what} `{}`", v.get_ref()), Some(help));
        false
    }
}

/// Parse a duration such as `500ms`, `7s`, `30m`, `1h`, `2d`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (n, unit) = s.split_at(digits);
    let n: u64 = n.parse().ok()?;
    let ms = match unit.trim() {
        "ms" => n,
        "s" => n.checked_mul(1_000)?,
        "m" | "min" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        "d" => n.checked_mul(86_400_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

/// Parse `HH:MM` into (hour, minute).
pub fn parse_local_time(s: &str) -> Option<(u8, u8)> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

/// A label naming one of a case's GPD positions: 1 to 8 ASCII letters or digits.
pub(crate) fn is_position_label(s: &str) -> bool {
    (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_notice_literal(s: &str) -> bool {
    s.len() == 18 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The TOML error, with the offending key and a "did you mean" for unknown fields.
fn toml_problem(file: &str, src: &str, e: &toml::de::Error) -> Problem {
    let message = e.message().trim().to_string();
    let mut help = None;
    // serde's message for deny_unknown_fields: "unknown field `x`, expected one of `a`, `b`".
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((field, expected)) = rest.split_once('`') {
            let candidates: Vec<&str> = expected
                .split('`')
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, s)| s)
                .collect();
            help = did_you_mean(field, candidates.iter().copied())
                .map(|c| format!("did you mean `{c}`?"))
                .or_else(|| Some(format!("allowed keys here: {}", candidates.join(", "))));
        }
    }
    Problem {
        file: file.to_string(),
        position: e.span().map(|s| line_col(src, s.start)),
        severity: Severity::Error,
        title: message,
        help,
        src: src.to_string(),
    }
}

/// Parse and check one scenario file's text. Returns the scenario when it has no error, and
/// every problem found (errors and warnings).
pub fn load_str(file: &str, src: &str) -> (Option<Scenario>, Vec<Problem>) {
    let raw: RawScenario = match toml::from_str(src) {
        Ok(s) => s,
        Err(e) => return (None, vec![toml_problem(file, src, &e)]),
    };
    let mut cx = Ctx {
        file,
        src,
        problems: Vec::new(),
    };
    let scenario = check(&mut cx, raw);
    let ok = !cx.problems.iter().any(|p| p.severity == Severity::Error);
    (scenario.filter(|_| ok), cx.problems)
}

fn check(cx: &mut Ctx<'_>, s: RawScenario) -> Option<Scenario> {
    let id = s.id.get_ref();
    let mut parts = id.splitn(2, '-');
    let area = parts.next().unwrap_or("");
    let number = parts.next().unwrap_or("");
    let digits = number.bytes().take_while(u8::is_ascii_digit).count();
    if !AREAS.contains(&area)
        || digits != 3
        || !matches!(&number[digits..], "" | "M" | "V2" | "N" | "a" | "b" | "c")
    {
        let help = did_you_mean(area, AREAS.iter().copied())
            .filter(|a| *a != area)
            .map(|a| format!("did you mean area `{a}`?"))
            .unwrap_or_else(|| {
                format!(
                    "ids are <AREA>-<NNN>[M|V2|N] with AREA one of {}",
                    AREAS.join(", ")
                )
            });
        cx.error(
            &s.id,
            format!("`{id}` is not a collaudo test id"),
            Some(help),
        );
    }
    if let Some(official) = &s.official {
        if !OFFICIAL_IDS.contains(&official.get_ref().as_str()) {
            cx.error(
                official,
                format!(
                    "`{}` is not a known PagoPA official test id",
                    official.get_ref()
                ),
                Some(format!(
                    "the public ones are {}; leave `official` out for collaudo-only cases",
                    OFFICIAL_IDS.join(", ")
                )),
            );
        }
    }
    if let Some(c) = &s.class {
        cx.one_of("class", c, &["OBB", "OSP", "DEMO"]);
    }
    if let Some(p) = &s.phase {
        cx.one_of("phase", p, &["COL", "PRE", "BOTH"]);
    }
    for r in &s.requires {
        cx.one_of("fixture role", r, KNOWN_ROLES);
    }
    if s.steps.is_empty() {
        cx.push(
            Some(s.id.span()),
            Severity::Error,
            "a scenario needs at least one [[step]]".into(),
            None,
        );
    }
    let mut steps = Vec::new();
    let mut complete = true;
    for raw in s.steps {
        check_values(cx, &raw);
        match typed(cx, raw) {
            Some(st) => steps.push(st),
            None => complete = false,
        }
    }
    complete.then_some(Scenario {
        id: s.id,
        official: s.official,
        title: s.title,
        description: s.description,
        class: s.class,
        phase: s.phase,
        tags: s.tags,
        sources: s.sources,
        requires: s.requires,
        steps,
    })
}

const DURATION_HELP: &str = "write e.g. \"500ms\", \"7s\", \"30m\", \"1h\", \"2d\"";

/// The values of a step, each on its own: known names, durations, ranges. Whether an option
/// applies to the step's call at all is the typed conversion's business (`typed`).
fn check_values(cx: &mut Ctx<'_>, st: &RawStep) {
    if let Some(call) = &st.call {
        cx.one_of("call", call, CALLS);
    }
    if let Some(v) = &st.tls_version {
        cx.one_of("tls_version", v, LEGACY_TLS_VERSIONS);
    }
    if let Some(action) = &st.action {
        cx.one_of("action", action, ACTIONS);
    }
    if let Some(v) = &st.version {
        if !matches!(v.get_ref(), 1 | 2) {
            cx.error(
                v,
                format!("version must be 1 or 2, not {}", v.get_ref()),
                None,
            );
        }
    }
    if let Some(n) = &st.notice {
        let s = n.get_ref();
        if !is_notice_literal(s) && !KNOWN_ROLES.contains(&s.as_str()) {
            let help = did_you_mean(s, KNOWN_ROLES.iter().copied())
                .map(|r| format!("did you mean the fixture role `{r}`?"))
                .unwrap_or_else(|| {
                    format!(
                        "use a fixture role ({}) or an 18-digit notice number",
                        KNOWN_ROLES.join(", ")
                    )
                });
            cx.error(
                n,
                format!("`{s}` is neither a fixture role nor an 18-digit notice number"),
                Some(help),
            );
        }
    }
    if let Some(t) = &st.transfer_type {
        cx.one_of("transferType", t, &["POSTAL", "PAGOPA"]);
    }
    if let Some(p) = &st.prefixes {
        cx.one_of("prefix style", p, PREFIXES);
    }
    if let Some(a) = &st.soap_action {
        cx.one_of("SOAPAction style", a, SOAP_ACTIONS);
    }
    if let Some(c) = &st.corrupt_request {
        cx.one_of("request corruption", c, REQUEST_CORRUPTIONS);
    }
    for d in [&st.advance, &st.duration].into_iter().flatten() {
        if parse_duration(d.get_ref()).is_none() {
            cx.error(
                d,
                format!("`{}` is not a duration", d.get_ref()),
                Some(DURATION_HELP.into()),
            );
        }
    }
    if let Some(t) = &st.at_local_time {
        if parse_local_time(t.get_ref()).is_none() {
            cx.error(
                t,
                format!("`{}` is not a local time", t.get_ref()),
                Some("write the Italian local time as \"HH:MM\", e.g. \"23:30\"".into()),
            );
        }
    }
    if let Some(f) = &st.fault {
        check_fault(cx, f.get_ref());
    }
    let no_expect = RawExpect::default();
    let expect = st.expect.as_ref().map_or(&no_expect, |e| e.get_ref());
    if let Some(nodo) = &expect.nodo {
        let v = nodo.get_ref();
        let known = v == "OK"
            || v == "KO"
            || v == "any"
            || collaudo_wire::FaultCode::ALL
                .iter()
                .any(|c| c.as_str() == v && v.starts_with("PPT_"));
        if !known {
            let ppt: Vec<&str> = collaudo_wire::FaultCode::ALL
                .iter()
                .map(|c| c.as_str())
                .filter(|c| c.starts_with("PPT_"))
                .chain(["OK", "KO", "any"])
                .collect();
            let help = did_you_mean(v, ppt.iter().copied()).map(|c| format!("did you mean `{c}`?"));
            cx.error(
                nodo,
                format!("`{v}` is not a Nodo outcome (OK, KO, any or a PPT_* code)"),
                help,
            );
        }
    }
    let codes = [&expect.fault_code, &expect.not_fault_code];
    for code in codes.into_iter().flatten().flat_map(|l| l.get_ref()) {
        let v = code.get_ref();
        if !collaudo_wire::FaultCode::ALL
            .iter()
            .any(|c| c.as_str() == v)
        {
            let all = collaudo_wire::FaultCode::ALL.iter().map(|c| c.as_str());
            let help = did_you_mean(v, all).map(|c| format!("did you mean `{c}`?"));
            cx.error(code, format!("`{v}` is not a pagoPA fault code"), help);
        }
    }
    for c in expect.checks.iter().flat_map(|l| l.get_ref()) {
        cx.one_of("check", c, CHECKS);
    }
    if let Some(src) = &st.receipt_from {
        cx.one_of("receipt source", src, RECEIPT_SOURCES);
    }
    if let Some(d) = &st.delivery {
        check_delivery(cx, d);
    }
    for p in st
        .position
        .iter()
        .chain(st.positions.iter().flat_map(|l| l.get_ref()))
    {
        if !is_position_label(p.get_ref()) {
            cx.error(
                p,
                format!("`{}` is not a GPD position label", p.get_ref()),
                Some("use 1 to 8 letters or digits, e.g. \"1\" or \"b\"".into()),
            );
        }
    }
    if let Some(l) = &st.positions {
        if !(1..=5).contains(&l.get_ref().len()) {
            cx.error(
                l,
                format!(
                    "a Checkout cart holds 1 to 5 notices, not {}",
                    l.get_ref().len()
                ),
                None,
            );
        }
    }
    if let Some(a) = &st.amount_cents {
        if !(1..=99_999_999_999).contains(a.get_ref()) {
            cx.error(
                a,
                format!("amount_cents must be at least 1, not {}", a.get_ref()),
                None,
            );
        }
    }
    if let Some(v) = &expect.gpd_status {
        cx.one_of("GPD status", v, GPD_STATUSES);
    }
    if let Some(v) = &expect.gpd_operation {
        cx.one_of("GPD operation", v, GPD_OPERATIONS);
    }
    if let Some(r) = &st.repeat {
        if *r.get_ref() == 0 || *r.get_ref() > 10_000 {
            cx.error(r, "repeat must be between 1 and 10000".into(), None);
        }
    }
}

fn check_fault(cx: &mut Ctx<'_>, f: &FaultSpec) {
    if !cx.one_of("fault kind", &f.kind, FAULT_KINDS) {
        return;
    }
    // Each fault kind has its one option; another kind's would be silently ignored.
    let kind = f.kind.get_ref().as_str();
    let options = [
        (
            "duration",
            f.duration.as_ref().map(Spanned::span),
            "latency",
        ),
        ("how", f.how.as_ref().map(Spanned::span), "corrupt"),
        (
            "status",
            f.status.as_ref().map(Spanned::span),
            "http-status",
        ),
    ];
    for (key, span, owner) in options {
        if let Some(span) = span.filter(|_| kind != owner) {
            cx.push(
                Some(span),
                Severity::Error,
                format!("`{key}` applies to a `{owner}` fault only, not to `{kind}`"),
                None,
            );
        }
    }
    match f.kind.get_ref().as_str() {
        "latency" => match &f.duration {
            Some(d) if parse_duration(d.get_ref()).is_some() => {}
            Some(d) => cx.error(
                d,
                format!("`{}` is not a duration", d.get_ref()),
                Some(DURATION_HELP.into()),
            ),
            None => cx.error(&f.kind, "a `latency` fault needs a `duration`".into(), None),
        },
        "corrupt" => match &f.how {
            Some(h) => {
                cx.one_of("corruption", h, CORRUPTIONS);
            }
            None => cx.error(
                &f.kind,
                "a `corrupt` fault needs `how`".into(),
                Some(format!("one of {}", CORRUPTIONS.join(", "))),
            ),
        },
        "http-status" => match &f.status {
            Some(s) if (100..=599).contains(s.get_ref()) => {}
            Some(s) => cx.error(s, format!("{} is not an HTTP status", s.get_ref()), None),
            None => cx.error(
                &f.kind,
                "an `http-status` fault needs `status`".into(),
                None,
            ),
        },
        _ => {}
    }
}

fn check_delivery(cx: &mut Ctx<'_>, spanned: &Spanned<DeliverySpec>) {
    let d = spanned.get_ref();
    if let Some(f) = &d.fault {
        cx.one_of("delivery fault", f, DELIVERY_FAULTS);
    }
    if let Some(span) = &d.down_for {
        if parse_duration(span.get_ref()).is_none() {
            cx.error(
                span,
                format!("`{}` is not a duration", span.get_ref()),
                None,
            );
        }
    }
    let outages = usize::from(d.down_attempts.is_some())
        + usize::from(d.down_for.is_some())
        + usize::from(d.down_always);
    if outages > 1 {
        cx.error(
            spanned,
            "give at most one of `down_attempts`, `down_for`, `down_always`".into(),
            None,
        );
    }
    if let Some(m) = &d.max_attempts {
        if *m.get_ref() == 0 || *m.get_ref() > 1000 {
            cx.error(m, "max_attempts must be between 1 and 1000".into(), None);
        }
    }
    if let Some(t) = &d.times {
        if !(1..=10).contains(t.get_ref()) {
            cx.error(t, "times must be between 1 and 10".into(), None);
        }
    }
}

/// The entry of [`KINDS`] a raw step selects, if its `call` / `action` is known.
fn kind_of(st: &RawStep) -> Option<&'static KindInfo> {
    let (selector, delivery) = match (&st.call, &st.action) {
        (Some(c), _) => (
            format!("call = \"{}\"", c.get_ref()),
            c.get_ref() == "send-rt" && st.delivery.is_some(),
        ),
        (None, Some(a)) => (format!("action = \"{}\"", a.get_ref()), false),
        (None, None) => (String::new(), false),
    };
    KINDS
        .iter()
        .find(|k| k.selector == selector && k.with.is_some() == delivery)
}

/// The kinds of step that take `key`, both forms of `send-rt` as one when both do.
fn applies_to(key: &str) -> Vec<String> {
    let takers: Vec<&KindInfo> = KINDS.iter().filter(|k| k.takes(key)).collect();
    let send_rt = |k: &KindInfo| k.selector == r#"call = "send-rt""#;
    let both = takers.iter().filter(|k| send_rt(k)).count() == 2;
    let mut out = Vec::new();
    for k in takers {
        if both && send_rt(k) {
            if k.with.is_none() {
                out.push(format!("`{}`", k.selector));
            }
        } else {
            out.push(k.short());
        }
    }
    out
}

/// `a`, `a or b`, `a, b or c`.
fn either(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// What a kind of step takes, for the help of an option it does not.
fn takes_help(k: &KindInfo) -> String {
    let list = |keys: &[&str]| {
        keys.iter()
            .map(|o| format!("`{o}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let options = if k.options.is_empty() {
        format!("no options beyond {}", list(COMMON_KEYS))
    } else {
        list(k.options)
    };
    let expect = if k.expect.is_empty() {
        "no [step.expect]".to_string()
    } else {
        format!("[step.expect] {}", list(k.expect))
    };
    format!("{} takes {options}, and {expect}", k.noun())
}

/// Convert a checked raw step into its typed kind. Each kind takes its own options out of the
/// raw step; whatever is left does not apply to it and is reported where it was written.
/// `None` when the kind is unknown (already reported) or a required option is missing.
fn typed(cx: &mut Ctx<'_>, mut raw: RawStep) -> Option<Step> {
    let info = kind_of(&raw);
    let name = raw.name.take();
    let advance = raw.advance.take();
    let at_local_time = raw.at_local_time.take();
    let call = raw.call.take();
    let action = raw.action.take();
    if let (Some(_), Some(a)) = (&call, &action) {
        if ACTIONS.contains(&a.get_ref().as_str()) {
            cx.error(
                a,
                "a step has either a `call` or an `action`, not both".into(),
                Some("split it into two [[step]]s".into()),
            );
        }
    }
    let kind = match (&call, &action) {
        (Some(c), _) => call_kind(cx, c, &mut raw),
        (None, Some(a)) => action_kind(cx, a, &mut raw),
        (None, None) if advance.is_some() => Some(StepKind::Wait),
        (None, None) => {
            cx.push(
                None,
                Severity::Error,
                format!(
                    "step {:?} does nothing: give it a `call`, an `action` or `advance`",
                    name.as_deref().unwrap_or("(unnamed)")
                ),
                None,
            );
            return None;
        }
    };
    // An unknown call or action was reported with its "did you mean"; which options would
    // apply is unknown.
    let info = info?;
    for (key, span) in raw.leftovers() {
        let title = match applies_to(key).as_slice() {
            // `delivery` selects the delivering form of send-rt: it applies to the call.
            _ if key == "delivery" => "`delivery` applies to `call = \"send-rt\"` only".into(),
            few @ [_, ..] if few.len() <= 3 => format!("`{key}` applies to {} only", either(few)),
            _ => format!("`{key}` does not apply to {}", info.noun()),
        };
        cx.push(Some(span), Severity::Error, title, Some(takes_help(info)));
    }
    Some(Step {
        name,
        advance,
        at_local_time,
        kind: kind?,
    })
}

/// A required option of the step's kind, reported at the call when absent.
fn required<T>(
    cx: &mut Ctx<'_>,
    value: Option<Spanned<T>>,
    at: &Spanned<String>,
    title: &str,
    help: Option<&str>,
) -> Option<Spanned<T>> {
    if value.is_none() {
        cx.error(at, title.into(), help.map(Into::into));
    }
    value
}

fn call_kind(cx: &mut Ctx<'_>, call: &Spanned<String>, raw: &mut RawStep) -> Option<StepKind> {
    let notice_needed = "`verify` and `activate` need a `notice`";
    Some(match call.get_ref().as_str() {
        "verify" => {
            let (soap, expect) = (take_soap(raw), take_soap_expect(cx, raw));
            let notice = required(cx, raw.notice.take(), call, notice_needed, None)?;
            StepKind::Verify(Verify {
                notice,
                soap,
                expect,
            })
        }
        "activate" => {
            let (version, transfer_type) = (raw.version.take(), raw.transfer_type.take());
            let (soap, expect) = (take_soap(raw), take_soap_expect(cx, raw));
            let notice = required(cx, raw.notice.take(), call, notice_needed, None)?;
            StepKind::Activate(Activate {
                notice,
                version,
                transfer_type,
                soap,
                expect,
            })
        }
        "send-rt" => {
            let receipt = ReceiptSpec {
                notice: raw.notice.take(),
                version: raw.version.take(),
                receipt_from: raw.receipt_from.take(),
                stand_in: raw.stand_in.take().map(Spanned::into_inner),
                amount_delta_cents: raw.amount_delta_cents.take().map(Spanned::into_inner),
            };
            match raw.delivery.take() {
                Some(delivery) => StepKind::Deliver(Deliver {
                    receipt,
                    delivery: delivery.into_inner(),
                    expect: take_delivery_expect(cx, raw),
                }),
                None => StepKind::SendRt(SendRt {
                    receipt,
                    soap: take_soap(raw),
                    expect: take_soap_expect(cx, raw),
                }),
            }
        }
        "demand" => StepKind::Demand(Demand {
            demand: raw.demand.take().map(Spanned::into_inner),
            soap: take_soap(raw),
            expect: take_soap_expect(cx, raw),
        }),
        "probe" => StepKind::Probe(Probe {
            soap: take_soap(raw),
            expect: take_soap_expect(cx, raw),
        }),
        "outage" => {
            let o = (
                raw.notice.take(),
                raw.requests_per_slot.take(),
                raw.failing_percent.take(),
                raw.nodo_traffic_per_slot.take(),
                raw.fault.take().map(Spanned::into_inner),
                take_standin_expect(raw),
            );
            let duration = required(
                cx,
                raw.duration.take(),
                call,
                "`outage` needs a `duration`",
                Some("e.g. duration = \"35m\" of virtual time"),
            )?;
            StepKind::Outage(Outage {
                notice: o.0,
                duration,
                requests_per_slot: o.1,
                failing_percent: o.2,
                nodo_traffic_per_slot: o.3,
                fault: o.4,
                expect: o.5,
            })
        }
        "recover" => {
            let r = (
                raw.nodo_traffic_per_slot.take(),
                raw.fault.take().map(Spanned::into_inner),
                take_standin_expect(raw),
            );
            let duration = required(
                cx,
                raw.duration.take(),
                call,
                "`recover` needs a `duration`",
                Some("e.g. duration = \"30m\" of virtual time"),
            )?;
            StepKind::Recover(Recover {
                duration,
                nodo_traffic_per_slot: r.0,
                fault: r.1,
                expect: r.2,
            })
        }
        "aca" => {
            let e = raw.expect_mut();
            let expect = AcaExpect {
                aca_status: e.aca_status.take(),
                aca_amount: e.aca_amount.take(),
                aca_history: e
                    .aca_history
                    .take()
                    .map(Spanned::into_inner)
                    .unwrap_or_default(),
                aca_pay_stand_in: e.aca_pay_stand_in.take().map(Spanned::into_inner),
                aca_pa_fiscal_code: e.aca_pa_fiscal_code.take().map(Spanned::into_inner),
            };
            StepKind::Aca(Aca {
                notice: raw.notice.take(),
                expect,
            })
        }
        "aca-consistency" => StepKind::AcaConsistency,
        "aca-fault" => StepKind::AcaFault(AcaFault {
            aca_fault_status: raw.aca_fault_status.take(),
            aca_fault_count: raw.aca_fault_count.take(),
        }),
        "tls-handshake" => StepKind::TlsHandshake,
        "tls-legacy" => {
            let tls_version = required(
                cx,
                raw.tls_version.take(),
                call,
                "`tls-legacy` needs `tls_version`: the one version its ClientHello offers",
                Some("tls_version = \"1.0\" or tls_version = \"1.1\""),
            )?;
            StepKind::TlsLegacy(TlsLegacy { tls_version })
        }
        "tls-without-client-cert" => StepKind::TlsWithoutClientCert,
        "gpd" => {
            let e = raw.expect_mut();
            let expect = GpdExpect {
                gpd_status: e.gpd_status.take(),
                gpd_operation: e.gpd_operation.take(),
                gpd_http_status: e.gpd_http_status.take(),
                gpd_positions: e.gpd_positions.take().map(Spanned::into_inner),
            };
            StepKind::Gpd(GpdCheck {
                position: raw.position.take(),
                expect,
            })
        }
        "checkout" => {
            let e = raw.expect_mut();
            let expect = CheckoutExpect {
                paid: e.paid.take().map(Spanned::into_inner),
                fault_code: e
                    .fault_code
                    .take()
                    .map(Spanned::into_inner)
                    .unwrap_or_default(),
                delivered: e.delivered.take().map(Spanned::into_inner),
                pulled: e.pulled.take().map(Spanned::into_inner),
            };
            StepKind::Checkout(Checkout {
                positions: raw
                    .positions
                    .take()
                    .map(Spanned::into_inner)
                    .unwrap_or_default(),
                expect,
            })
        }
        _ => return None,
    })
}

fn action_kind(cx: &mut Ctx<'_>, a: &Spanned<String>, raw: &mut RawStep) -> Option<StepKind> {
    let name = a.get_ref().as_str();
    if let Some(action) = GpdActionKind::parse(name) {
        let amount_cents = if action.takes_amount() {
            raw.amount_cents.take()
        } else {
            None
        };
        return Some(StepKind::GpdAction(GpdAction {
            action,
            position: raw.position.take(),
            amount_cents,
        }));
    }
    let action = match name {
        "change-amount" => {
            let delta = required(
                cx,
                raw.amount_delta_cents.take(),
                a,
                "`change-amount` needs `amount_delta_cents`",
                None,
            );
            delta.map(|d| ActionKind::ChangeAmount {
                amount_delta_cents: d.into_inner(),
            })
        }
        "cancel-position" => Some(ActionKind::CancelPosition),
        "close-position" => Some(ActionKind::ClosePosition),
        _ => return None,
    };
    let notice = required(
        cx,
        raw.notice.take(),
        a,
        &format!("the action `{name}` needs a `notice`"),
        None,
    );
    Some(StepKind::Action(EcAction {
        action: action?,
        notice: notice?,
    }))
}

fn take_soap(raw: &mut RawStep) -> SoapOptions {
    SoapOptions {
        caller: raw.caller.take().map(Spanned::into_inner),
        soap_action: raw.soap_action.take(),
        prefixes: raw.prefixes.take(),
        corrupt_request: raw.corrupt_request.take(),
        fault: raw.fault.take().map(Spanned::into_inner),
        repeat: raw.repeat.take(),
        capture: raw
            .capture
            .take()
            .map(Spanned::into_inner)
            .unwrap_or_default(),
    }
}

fn take_soap_expect(cx: &mut Ctx<'_>, raw: &mut RawStep) -> SoapExpect {
    let e = raw.expect_mut();
    let expect = SoapExpect {
        nodo: e.nodo.take(),
        fault_code: e
            .fault_code
            .take()
            .map(Spanned::into_inner)
            .unwrap_or_default(),
        not_fault_code: e
            .not_fault_code
            .take()
            .map(Spanned::into_inner)
            .unwrap_or_default(),
        fields: e.fields.take().map(Spanned::into_inner).unwrap_or_default(),
        checks: e.checks.take().map(Spanned::into_inner).unwrap_or_default(),
        require_http_200: e.require_http_200.take().is_some_and(Spanned::into_inner),
        p98_ms: e.p98_ms.take().map(Spanned::into_inner),
        max_ms: e.max_ms.take().map(Spanned::into_inner),
    };
    for c in &expect.checks {
        if DELIVERY_CHECKS.contains(&c.get_ref().as_str()) {
            cx.error(
                c,
                format!("`{}` judges a receipt delivery", c.get_ref()),
                Some("use it on a `call = \"send-rt\"` step with a [step.delivery] table".into()),
            );
        }
    }
    expect
}

fn take_delivery_expect(cx: &mut Ctx<'_>, raw: &mut RawStep) -> DeliveryExpect {
    let e = raw.expect_mut();
    let expect = DeliveryExpect {
        delivered: e.delivered.take().map(Spanned::into_inner),
        attempts: e.attempts.take().map(Spanned::into_inner),
        checks: e.checks.take().map(Spanned::into_inner).unwrap_or_default(),
    };
    for c in &expect.checks {
        let name = c.get_ref().as_str();
        if CHECKS.contains(&name) && !DELIVERY_CHECKS.contains(&name) {
            cx.error(
                c,
                format!(
                    "`{name}` judges an answer, and a delivery is judged by where the receipt ended"
                ),
                Some(format!(
                    "a step with [step.delivery] takes the checks {}",
                    DELIVERY_CHECKS.join(", ")
                )),
            );
        }
    }
    expect
}

fn take_standin_expect(raw: &mut RawStep) -> StandInExpect {
    StandInExpect {
        standin: raw.expect_mut().standin.take().map(Spanned::into_inner),
    }
}

/// Load every `*.toml` under `dir` (recursively), sorted by path, except Cargo manifests: the
/// built-in `scenarios/` folder is also the `collaudo-scenarios` crate, and
/// `collaudo check scenarios/` must check its scenarios, not its `Cargo.toml`.
pub fn load_dir(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", d.display()))?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml")
                && path.file_name().is_none_or(|n| n != "Cargo.toml")
            {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                out.push((path.display().to_string(), text));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_dir_skips_cargo_manifests() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("Cargo.toml"), "[package]").expect("write");
        std::fs::create_dir(dir.path().join("area")).expect("mkdir");
        std::fs::write(dir.path().join("area/a.toml"), "id = \"A\"").expect("write");
        let files = load_dir(dir.path()).expect("load");
        assert_eq!(files.len(), 1);
        assert!(files[0].0.ends_with("a.toml"), "{files:?}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("5 parsecs"), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("veriffy", CALLS.iter().copied()),
            Some("verify")
        );
        assert_eq!(did_you_mean("zzzzzzzz", CALLS.iter().copied()), None);
    }

    #[test]
    fn unknown_key_points_at_it_with_a_suggestion() {
        let src = "id = \"VRF-001\"\ntitle = \"t\"\n[[step]]\ncall = \"verify\"\nnotice = \"payable\"\n[step.expect]\nfault_cod = [\"PAA_PAGAMENTO_SCONOSCIUTO\"]\n";
        let (s, problems) = load_str("x.toml", src);
        assert!(s.is_none());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].position, Some((7, 1)));
        assert_eq!(
            problems[0].help.as_deref(),
            Some("did you mean `fault_code`?")
        );
    }

    #[test]
    fn semantic_problems_are_all_collected() {
        let src = "id = \"VRX-1\"\ntitle = \"t\"\nofficial = \"EC-PSP-09\"\n[[step]]\ncall = \"veriffy\"\nnotice = \"payabel\"\n[step.expect]\nfault_code = [\"PAA_PAGAMENTO_SCONOSCUTO\"]\n";
        let (s, problems) = load_str("x.toml", src);
        assert!(s.is_none());
        let titles: Vec<_> = problems.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles.len(), 5, "{titles:#?}");
        assert!(
            problems
                .iter()
                .any(|p| p.help.as_deref() == Some("did you mean `verify`?"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.help.as_deref() == Some("did you mean the fixture role `payable`?"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.help.as_deref() == Some("did you mean `PAA_PAGAMENTO_SCONOSCIUTO`?"))
        );
    }
}
