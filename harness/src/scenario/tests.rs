//! The typed conversion against the model's description of it ([`KINDS`]), the built-in
//! scenarios, and docs/scenarios.md.

use super::load::load_str;
use super::model::*;

/// A valid value of every option and expectation, as a scenario would write it.
const SAMPLES: &[(&str, &str)] = &[
    ("advance", r#""1h""#),
    ("at_local_time", r#""10:00""#),
    ("version", "2"),
    ("notice", r#""payable""#),
    ("caller", r#"{ id_pa = "00000000000" }"#),
    ("transfer_type", r#""POSTAL""#),
    ("soap_action", r#""none""#),
    ("prefixes", r#""jax-ws""#),
    ("corrupt_request", r#""garbage""#),
    ("fault", r#"{ kind = "timeout" }"#),
    ("repeat", "2"),
    ("amount_delta_cents", "100"),
    ("demand", r#"{ id_servizio = "00001" }"#),
    ("delivery", "{ times = 2 }"),
    ("receipt_from", r#""verify""#),
    ("stand_in", "true"),
    ("duration", r#""5m""#),
    ("requests_per_slot", "5"),
    ("failing_percent", "50"),
    ("nodo_traffic_per_slot", "100"),
    ("aca_fault_status", "503"),
    ("aca_fault_count", "2"),
    ("tls_version", r#""1.1""#),
    ("capture", r#"{ amount = "paymentOption/amount" }"#),
    ("expect.nodo", r#""OK""#),
    ("expect.fault_code", r#"["PAA_PAGAMENTO_SCONOSCIUTO"]"#),
    ("expect.not_fault_code", r#"["PAA_SYSTEM_ERROR"]"#),
    ("expect.fields", r#"{ "paymentOption/amount" = "10.00" }"#),
    ("expect.checks", "CHECKS"),
    ("expect.require_http_200", "true"),
    ("expect.p98_ms", "100"),
    ("expect.max_ms", "200"),
    ("expect.delivered", "true"),
    ("expect.attempts", "1"),
    ("expect.standin", "true"),
    ("expect.aca_status", r#""VALID""#),
    ("expect.aca_amount", r#""10.00""#),
    ("expect.aca_history", r#"["created"]"#),
    ("expect.aca_pay_stand_in", "true"),
    ("expect.aca_pa_fiscal_code", r#""${id_pa}""#),
    ("position", r#""b""#),
    ("positions", r#"["1", "b"]"#),
    ("amount_cents", "12000"),
    ("expect.gpd_status", r#""VALID""#),
    ("expect.gpd_operation", r#""createPosition""#),
    ("expect.gpd_http_status", "201"),
    ("expect.gpd_positions", "1"),
    ("expect.paid", "true"),
    ("expect.pulled", "true"),
];

fn sample(key: &str, kind: &KindInfo) -> String {
    let value = SAMPLES
        .iter()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("add a sample value of `{key}`"))
        .1;
    if value == "CHECKS" {
        // A check the kind could take, if it takes checks at all.
        return if kind.with.is_some() {
            r#"["receipt-booked-once"]"#
        } else {
            r#"["fault-bean-complete"]"#
        }
        .into();
    }
    value.into()
}

/// A scenario with one step of `kind`, its required options, and `extra` (a key of SAMPLES).
/// Returns the text and the line `extra` is on.
fn one_step(kind: &KindInfo, leave_out: Option<&str>, extra: Option<&str>) -> (String, usize) {
    let mut step = vec!["[[step]]".to_string()];
    if !kind.selector.is_empty() {
        step.push(kind.selector.to_string());
    }
    if kind.with.is_some() {
        step.push(format!("delivery = {}", sample("delivery", kind)));
    }
    let mut keys: Vec<&str> = kind.options[..kind.required].to_vec();
    if kind.selector.is_empty() {
        keys.push("advance");
    }
    keys.retain(|k| Some(*k) != leave_out && *k != "delivery");
    for k in keys {
        step.push(format!("{k} = {}", sample(k, kind)));
    }
    let mut expect = Vec::new();
    match extra {
        Some(e) if e.starts_with("expect.") => expect.push(e),
        Some(o) => step.push(format!("{o} = {}", sample(o, kind))),
        None => {}
    }
    let mut text = format!("id = \"VRF-990\"\ntitle = \"t\"\n{}\n", step.join("\n"));
    let mut line = text.lines().count();
    if let Some(e) = expect.first() {
        text.push_str(&format!(
            "[step.expect]\n{} = {}\n",
            &e["expect.".len()..],
            sample(e, kind)
        ));
        line = text.lines().count();
    }
    (text, line)
}

fn every_key() -> impl Iterator<Item = &'static str> {
    SAMPLES.iter().map(|(k, _)| *k)
}

#[test]
fn every_kind_loads_from_its_required_options_into_its_variant() {
    for kind in KINDS {
        let (text, _) = one_step(kind, None, None);
        let (s, problems) = load_str("k.toml", &text);
        let s = s.unwrap_or_else(|| panic!("{text}\n{problems:#?}"));
        assert!(
            std::ptr::eq(s.steps[0].kind.info(), kind),
            "{text} loads as {:?}",
            s.steps[0].kind
        );
    }
}

#[test]
fn a_required_option_left_out_is_an_error_naming_it() {
    for kind in KINDS {
        for req in &kind.options[..kind.required] {
            if *req == "delivery" {
                continue; // without it the step is a plain send-rt: nothing is missing
            }
            let (text, _) = one_step(kind, Some(req), None);
            let (s, problems) = load_str("k.toml", &text);
            assert!(s.is_none(), "{text} loads without `{req}`");
            assert!(
                problems
                    .iter()
                    .any(|p| p.title.contains(&format!("`{req}`")) && p.position.is_some()),
                "{text}: {problems:#?}"
            );
        }
    }
}

/// The conversion takes exactly the keys [`KINDS`] lists: every other key is one error, at
/// the line where it is written, naming the key; the listed ones load.
#[test]
fn kinds_describe_exactly_what_the_conversion_takes() {
    for kind in KINDS {
        for key in every_key() {
            let in_base = kind.options[..kind.required].contains(&key)
                || (key == "advance" && kind.selector.is_empty());
            if in_base || (key == "delivery" && kind.selector == r#"call = "send-rt""#) {
                continue; // already there, or it selects the other form of send-rt
            }
            let (text, line) = one_step(kind, None, Some(key));
            let (s, problems) = load_str("k.toml", &text);
            if kind.takes(key) {
                assert!(s.is_some(), "{text}\n{problems:#?}");
            } else {
                assert!(s.is_none(), "{} takes `{key}`?\n{text}", kind.noun());
                assert_eq!(problems.len(), 1, "{text}\n{problems:#?}");
                let p = &problems[0];
                assert!(p.title.starts_with(&format!("`{key}` ")), "{:?}", p.title);
                assert_eq!(p.position.map(|(l, _)| l), Some(line), "{text}");
            }
        }
    }
}

#[test]
fn an_inapplicable_option_is_reported_at_its_value_with_what_applies() {
    let src = "id = \"VRF-990\"\ntitle = \"t\"\n[[step]]\ncall = \"tls-handshake\"\ntls_version = \"1.0\"\n";
    let (s, problems) = load_str("x.toml", src);
    assert!(s.is_none());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(
        problems[0].title,
        "`tls_version` applies to `call = \"tls-legacy\"` only"
    );
    assert_eq!(problems[0].position, Some((5, 15)));
    assert_eq!(
        problems[0].help.as_deref(),
        Some(
            "a `call = \"tls-handshake\"` step takes no options beyond `name`, `advance`, `at_local_time`, and no [step.expect]"
        )
    );

    let src = "id = \"VRF-990\"\ntitle = \"t\"\n[[step]]\ncall = \"verify\"\nnotice = \"payable\"\n[step.delivery]\ntimes = 2\n";
    let (_, problems) = load_str("x.toml", src);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(
        problems[0].title,
        "`delivery` applies to `call = \"send-rt\"` only"
    );
    assert_eq!(problems[0].position, Some((6, 1)), "the table's header");
}

#[test]
fn a_fault_option_of_another_fault_kind_is_an_error() {
    let src = "id = \"VRF-990\"\ntitle = \"t\"\n[[step]]\ncall = \"verify\"\nnotice = \"payable\"\nfault = { kind = \"timeout\", how = \"garbage\" }\n";
    let (s, problems) = load_str("x.toml", src);
    assert!(s.is_none());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(
        problems[0].title,
        "`how` applies to a `corrupt` fault only, not to `timeout`"
    );
    assert_eq!(problems[0].position, Some((6, 35)));
}

#[test]
fn an_unknown_call_reports_no_inapplicable_options() {
    let src = "id = \"VRF-990\"\ntitle = \"t\"\n[[step]]\ncall = \"veriffy\"\nnotice = \"payable\"\nrepeat = 2\n";
    let (_, problems) = load_str("x.toml", src);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].title, "unknown call `veriffy`");
}

#[test]
fn checks_go_with_the_kind_of_step_that_can_judge_them() {
    let answer = "id = \"RT-990\"\ntitle = \"t\"\n[[step]]\ncall = \"send-rt\"\nnotice = \"payable\"\n[step.expect]\nchecks = [\"receipt-booked-once\"]\n";
    let (s, problems) = load_str("x.toml", answer);
    assert!(s.is_none());
    assert_eq!(
        problems[0].title,
        "`receipt-booked-once` judges a receipt delivery"
    );
    assert_eq!(problems[0].position, Some((7, 11)));
    let delivery = "id = \"RT-990\"\ntitle = \"t\"\n[[step]]\ncall = \"send-rt\"\nnotice = \"payable\"\ndelivery = {}\n[step.expect]\nchecks = [\"iuv-matches-notice\"]\n";
    let (s, problems) = load_str("x.toml", delivery);
    assert!(s.is_none());
    assert_eq!(problems[0].position, Some((8, 11)), "{problems:#?}");
}

/// Each variant as the built-in scenarios write it, field by field.
#[test]
fn built_in_forms_round_trip() {
    let src = r#"
id = "SIN-990"
title = "t"
[[step]]
name = "verify it"
call = "verify"
notice = "payable"
caller = { id_station = "x" }
fault = { kind = "latency", duration = "2s" }
capture = { amount = "paymentOption/amount" }
[step.expect]
nodo = "KO"
fault_code = ["PAA_PAGAMENTO_SCONOSCIUTO"]
require_http_200 = true
[[step]]
call = "activate"
notice = "payable"
version = 2
transfer_type = "POSTAL"
[step.expect]
checks = ["iuv-matches-notice"]
[[step]]
call = "send-rt"
notice = "payable"
receipt_from = "verify"
stand_in = true
[step.delivery]
down_attempts = 2
[step.expect]
delivered = true
attempts = 3
checks = ["receipt-booked-once"]
[[step]]
call = "outage"
at_local_time = "10:00"
duration = "35m"
requests_per_slot = 20
nodo_traffic_per_slot = 200
fault = { kind = "timeout" }
[step.expect]
standin = true
[[step]]
call = "aca"
notice = "payable"
[step.expect]
aca_status = "PAID"
aca_history = ["created", "updated"]
aca_pay_stand_in = true
[[step]]
call = "aca-fault"
aca_fault_status = 503
aca_fault_count = 2
[[step]]
call = "tls-legacy"
tls_version = "1.1"
[[step]]
action = "change-amount"
notice = "payable"
amount_delta_cents = -100
[[step]]
advance = "1h"
"#;
    let (s, problems) = load_str("x.toml", src);
    let s = s.unwrap_or_else(|| panic!("{problems:#?}"));
    let kinds: Vec<&StepKind> = s.steps.iter().map(|s| &s.kind).collect();
    let StepKind::Verify(v) = kinds[0] else {
        panic!("{:?}", kinds[0])
    };
    assert_eq!(s.steps[0].name.as_deref(), Some("verify it"));
    assert_eq!(v.notice.get_ref(), "payable");
    assert_eq!(
        v.soap.caller.as_ref().and_then(|c| c.id_station.as_deref()),
        Some("x")
    );
    assert_eq!(
        v.soap.fault.as_ref().map(|f| f.kind.get_ref().as_str()),
        Some("latency")
    );
    assert_eq!(v.soap.capture["amount"].get_ref(), "paymentOption/amount");
    assert_eq!(
        v.expect.nodo.as_ref().map(|n| n.get_ref().as_str()),
        Some("KO")
    );
    assert_eq!(v.expect.fault_code.len(), 1);
    assert!(v.expect.require_http_200);
    let StepKind::Activate(a) = kinds[1] else {
        panic!("{:?}", kinds[1])
    };
    assert_eq!(a.version.as_ref().map(|v| *v.get_ref()), Some(2));
    assert_eq!(
        a.transfer_type.as_ref().map(|t| t.get_ref().as_str()),
        Some("POSTAL")
    );
    assert_eq!(a.expect.checks.len(), 1);
    let StepKind::Deliver(d) = kinds[2] else {
        panic!("{:?}", kinds[2])
    };
    assert_eq!(
        d.receipt
            .receipt_from
            .as_ref()
            .map(|r| r.get_ref().as_str()),
        Some("verify")
    );
    assert_eq!(d.receipt.stand_in, Some(true));
    assert_eq!(
        d.delivery.down_attempts.as_ref().map(|n| *n.get_ref()),
        Some(2)
    );
    assert_eq!(
        (d.expect.delivered, d.expect.attempts),
        (Some(true), Some(3))
    );
    assert_eq!(d.expect.checks.len(), 1);
    let StepKind::Outage(o) = kinds[3] else {
        panic!("{:?}", kinds[3])
    };
    assert_eq!(
        s.steps[3]
            .at_local_time
            .as_ref()
            .map(|t| t.get_ref().as_str()),
        Some("10:00")
    );
    assert_eq!(o.duration.get_ref(), "35m");
    assert_eq!(o.requests_per_slot.as_ref().map(|r| *r.get_ref()), Some(20));
    assert_eq!(
        o.nodo_traffic_per_slot.as_ref().map(|r| *r.get_ref()),
        Some(200)
    );
    assert!(o.fault.is_some());
    assert_eq!(o.expect.standin, Some(true));
    let StepKind::Aca(aca) = kinds[4] else {
        panic!("{:?}", kinds[4])
    };
    assert_eq!(
        aca.expect.aca_status.as_ref().map(|s| s.get_ref().as_str()),
        Some("PAID")
    );
    assert_eq!(aca.expect.aca_history.len(), 2);
    assert_eq!(aca.expect.aca_pay_stand_in, Some(true));
    let StepKind::AcaFault(f) = kinds[5] else {
        panic!("{:?}", kinds[5])
    };
    assert_eq!(f.aca_fault_status.as_ref().map(|s| *s.get_ref()), Some(503));
    assert_eq!(f.aca_fault_count.as_ref().map(|s| *s.get_ref()), Some(2));
    let StepKind::TlsLegacy(t) = kinds[6] else {
        panic!("{:?}", kinds[6])
    };
    assert_eq!(t.tls_version.get_ref(), "1.1");
    let StepKind::Action(e) = kinds[7] else {
        panic!("{:?}", kinds[7])
    };
    assert_eq!(
        e.action,
        ActionKind::ChangeAmount {
            amount_delta_cents: -100
        }
    );
    assert!(matches!(kinds[8], StepKind::Wait));
    assert_eq!(
        s.steps[8].advance.as_ref().map(|a| a.get_ref().as_str()),
        Some("1h")
    );
}

/// The built-in suite uses every kind of step but the pure wait, so each variant runs in the
/// e2e tests.
#[test]
fn the_built_in_suite_uses_every_kind() {
    let cat = super::Catalogue::load(super::embedded());
    assert!(cat.problems.is_empty(), "{:#?}", cat.problems);
    for kind in KINDS.iter().filter(|k| !k.selector.is_empty()) {
        assert!(
            cat.scenarios
                .iter()
                .flat_map(|(s, _)| &s.steps)
                .any(|st| std::ptr::eq(st.kind.info(), kind)),
            "no built-in scenario has {}",
            kind.noun()
        );
    }
}

// ---- docs/scenarios.md ----

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scenarios.md");
const BEGIN: &str = "<!-- step-kinds: generated from KINDS in harness/src/scenario/model.rs; `UPDATE_DOCS=1 cargo test -p collaudo --lib scenario` rewrites it -->";
const END: &str = "<!-- end step-kinds -->";

/// The table of docs/scenarios.md that says which options each kind of step takes.
fn kinds_table() -> String {
    let list = |keys: &[&str], required: usize| {
        if keys.is_empty() {
            return "—".to_string();
        }
        keys.iter()
            .enumerate()
            .map(|(i, k)| {
                if i < required {
                    format!("**`{k}`**")
                } else {
                    format!("`{k}`")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::from(
        "| step | what it does | options (**required**) | `[step.expect]` |\n|---|---|---|---|\n",
    );
    for k in KINDS {
        let (step, options) = if k.selector.is_empty() {
            (
                "without `call` or `action`".to_string(),
                "**`advance`**".to_string(),
            )
        } else {
            (k.short(), list(k.options, k.required))
        };
        out.push_str(&format!(
            "| {step} | {} | {options} | {} |\n",
            k.what,
            list(k.expect, 0)
        ));
    }
    out
}

#[test]
fn docs_scenarios_md_has_the_kinds_table_of_the_model() {
    let doc = std::fs::read_to_string(DOC).expect("read docs/scenarios.md");
    let start = doc
        .find(BEGIN)
        .expect("docs/scenarios.md marks the step-kinds table")
        + BEGIN.len();
    let end = doc[start..].find(END).expect("the table ends") + start;
    let want = format!("\n{}", kinds_table());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!("{}{want}{}", &doc[..start], &doc[end..]);
        std::fs::write(DOC, updated).expect("write docs/scenarios.md");
        return;
    }
    assert!(
        doc[start..end] == want,
        "docs/scenarios.md's table of step kinds is out of date: regenerate it with \
         `UPDATE_DOCS=1 cargo test -p collaudo --lib scenario` and commit the result"
    );
}

/// The backticked keys in the first column of the table under `heading`.
fn first_column_keys(doc: &str, heading: &str) -> Vec<String> {
    let at = doc.find(heading).unwrap_or_else(|| panic!("no {heading}")) + heading.len();
    let mut keys = Vec::new();
    for line in doc[at..].lines() {
        if line.starts_with('#') {
            break;
        }
        let Some(row) = line.strip_prefix("| `") else {
            continue;
        };
        let cell = format!("`{}", row.split(" |").next().unwrap_or_default());
        for (i, k) in cell.split('`').enumerate() {
            if i % 2 == 1 && !k.starts_with('[') {
                keys.push(k.to_string());
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

#[test]
fn docs_scenarios_md_explains_every_key_of_the_model_and_no_other() {
    let doc = std::fs::read_to_string(DOC).expect("read docs/scenarios.md");
    let mut options: Vec<String> = ["call", "action"]
        .iter()
        .chain(COMMON_KEYS)
        .chain(KINDS.iter().flat_map(|k| k.options))
        .map(|k| (*k).to_string())
        .collect();
    options.sort();
    options.dedup();
    assert_eq!(first_column_keys(&doc, "\n## Steps\n"), options);
    let mut expect: Vec<String> = KINDS
        .iter()
        .flat_map(|k| k.expect)
        .map(|k| (*k).to_string())
        .collect();
    expect.sort();
    expect.dedup();
    assert_eq!(first_column_keys(&doc, "\n## Expectations\n"), expect);
    // Every sample of this file is a key of the model, and every key has a sample.
    let mut sampled: Vec<String> = every_key()
        .filter(|k| !COMMON_KEYS.contains(k))
        .map(|k| k.strip_prefix("expect.").unwrap_or(k).to_string())
        .collect();
    sampled.sort();
    let mut all: Vec<String> = options
        .iter()
        .filter(|k| !["call", "action", "name", "advance", "at_local_time"].contains(&k.as_str()))
        .chain(&expect)
        .cloned()
        .collect();
    all.sort();
    assert_eq!(sampled, all);
}
