//! From the Nodo's judgement of an exchange and a step's expectations to check records.
//! Pure functions: no I/O, so every rule is unit-tested.

use crate::scenario::SoapExpect;
use collaudo_nodo::{Exchange, HygieneWarning, Judgement, NodoOutcome};
use collaudo_reports::{CheckRecord, CheckVerdict, check_names};
use collaudo_wire::{Amount, Message, xml};
use std::collections::BTreeMap;

fn record(name: &str, verdict: CheckVerdict, message: impl Into<String>) -> CheckRecord {
    CheckRecord {
        name: name.to_string(),
        verdict,
        message: message.into(),
        expected: None,
        actual: None,
        nodo_outcome: None,
    }
}

fn with(
    mut r: CheckRecord,
    expected: Option<String>,
    actual: Option<String>,
    nodo: Option<String>,
) -> CheckRecord {
    r.expected = expected;
    r.actual = actual;
    r.nodo_outcome = nodo;
    r
}

/// The Nodo outcome check: what the scenario expects the Nodo to conclude.
pub(crate) fn nodo_outcome(j: &Judgement, expect: &SoapExpect) -> CheckRecord {
    let label = j.outcome.label();
    let psp = j.outcome.psp_fault_code().unwrap_or_else(|| "OK".into());
    let (ok, expected) = match expect.nodo.as_ref().map(|s| s.get_ref().as_str()) {
        Some("OK") => (j.outcome.is_ok(), "OK".to_string()),
        Some("KO") => (
            matches!(j.outcome, NodoOutcome::EcKo { .. }),
            "a valid KO with a fault bean (relayed as PPT_ERRORE_EMESSO_DA_PAA)".to_string(),
        ),
        // A measurement step (SLA-001): whatever the answer says, only its time is judged.
        Some("any") => (true, "any answer (only its time is judged)".to_string()),
        Some(code) => (
            matches!(&j.outcome, NodoOutcome::Nodo { code: c, .. } if c.as_str() == code),
            code.to_string(),
        ),
        None => (
            !matches!(j.outcome, NodoOutcome::Nodo { .. }),
            "OK or a valid KO (never a PPT_* error about the station)".to_string(),
        ),
    };
    // What the case wanted, in the station's terms: a KO names the fault code it expects.
    let wanted = match expect.nodo.as_ref().map(|s| s.get_ref().as_str()) {
        Some("KO") => match expect.fault_code.first() {
            Some(code) => format!("KO {}", code.get_ref()),
            None => "a valid KO with a fault bean".to_string(),
        },
        Some("OK") => "OK".to_string(),
        Some("any") => "any answer".to_string(),
        Some(code) => format!("the Nodo to conclude {code}"),
        None => "OK or a valid KO".to_string(),
    };
    let answered = match &j.outcome {
        NodoOutcome::Ok => Some("OK".to_string()),
        NodoOutcome::EcKo { code, .. } => Some(format!("KO {code}")),
        // The explanation already says what the Nodo makes of it.
        NodoOutcome::Nodo { .. } => None,
    };
    let r = record(
        "nodo-outcome",
        if ok {
            CheckVerdict::Pass
        } else {
            CheckVerdict::Fail
        },
        if ok {
            format!("the Nodo would conclude {label}")
        } else {
            match answered {
                Some(answered) => format!(
                    "expected {wanted}, the station answered {answered}. {}",
                    j.explanation
                ),
                None => {
                    let mut why = j.explanation.clone();
                    if let Some(first) = why.get(..1) {
                        why.replace_range(..1, &first.to_lowercase());
                    }
                    format!("expected {wanted}, but {why}")
                }
            }
        },
    );
    with(r, Some(expected), Some(j.outcome.to_string()), Some(psp))
}

/// Fault-code expectations on a KO: accepted codes (first preferred) and refused codes.
pub(crate) fn fault_codes(j: &Judgement, expect: &SoapExpect) -> Vec<CheckRecord> {
    let mut out = Vec::new();
    let code = match &j.outcome {
        NodoOutcome::EcKo { code, .. } => Some(code.as_str().to_string()),
        _ => None,
    };
    if let Some(code) = &code {
        let accepted: Vec<&str> = expect
            .fault_code
            .iter()
            .map(|c| c.get_ref().as_str())
            .collect();
        if !accepted.is_empty() {
            let r = if accepted.first() == Some(&code.as_str()) {
                record(
                    "fault-code",
                    CheckVerdict::Pass,
                    format!("faultCode {code}"),
                )
            } else if accepted.contains(&code.as_str()) {
                record(
                    "fault-code",
                    CheckVerdict::Warn,
                    format!(
                        "faultCode {code} is accepted, but {} is the expected one",
                        accepted[0]
                    ),
                )
            } else {
                record(
                    "fault-code",
                    CheckVerdict::Fail,
                    format!(
                        "expected {}, the station answered {code}",
                        accepted.join(" or ")
                    ),
                )
            };
            out.push(with(
                r,
                Some(accepted.join(" | ")),
                Some(code.clone()),
                None,
            ));
        }
        let refused: Vec<&str> = expect
            .not_fault_code
            .iter()
            .map(|c| c.get_ref().as_str())
            .collect();
        if refused.contains(&code.as_str()) {
            out.push(with(
                record(
                    "not-fault-code",
                    CheckVerdict::Fail,
                    format!("faultCode {code} must not be answered here"),
                ),
                Some(format!("not {}", refused.join(", "))),
                Some(code.clone()),
                None,
            ));
        }
    }
    out
}

/// Protocol hygiene, with the severity docs/checks.md gives it: the HTTP status fails only
/// where the test plan requires HTTP 200 (`require_http_200`), everything else warns.
pub(crate) fn hygiene(j: &Judgement, require_http_200: bool) -> Vec<CheckRecord> {
    j.hygiene
        .iter()
        .map(|h| {
            let (name, fails) = match h {
                HygieneWarning::HttpStatus { .. } => (check_names::HTTP_STATUS, require_http_200),
                HygieneWarning::ContentType { .. } => (check_names::CONTENT_TYPE, false),
                HygieneWarning::Wire { .. } => (check_names::WIRE_WARNING, false),
            };
            let verdict = if fails {
                CheckVerdict::Fail
            } else {
                super::severity::warn_or_fail(name)
            };
            record(name, verdict, h.to_string())
        })
        .collect()
}

/// The Nodo's own findings (violations and back-office checks), one record each, so the
/// report shows every element path, not just the first.
pub(crate) fn findings(j: &Judgement) -> Vec<CheckRecord> {
    let mut out: Vec<CheckRecord> = j
        .violations
        .iter()
        .map(|v| {
            with(
                record("response-valid", CheckVerdict::Fail, v.to_string()),
                None,
                v.value.clone(),
                Some(j.outcome.label()),
            )
        })
        .collect();
    out.extend(j.checks.iter().map(|c| {
        with(
            record("nodo-check", CheckVerdict::Fail, c.to_string()),
            c.expected.clone(),
            c.found.clone(),
            Some(c.code.as_str().to_string()),
        )
    }));
    out
}

/// The activation describes the notice the preceding verify described (DOMAIN.md §3.7: the
/// EC returns the current amount both times and the Nodo passes the verified amount on).
pub(crate) fn verify_activate_consistent(
    verify: &collaudo_wire::VerifyPaymentNoticeRes,
    data: &collaudo_wire::PaymentData,
) -> Option<CheckRecord> {
    let option = verify.payment_option.as_ref()?;
    let mut wrong = Vec::new();
    if option.amount != data.payment_amount {
        wrong.push(format!(
            "paymentAmount {} differs from the verified amount {}",
            data.payment_amount, option.amount
        ));
    }
    if let Some(due) = &option.due_date {
        if *due != data.due_date {
            wrong.push(format!(
                "dueDate {} differs from the verified dueDate {due}",
                data.due_date
            ));
        }
    }
    if let Some(fc) = &verify.fiscal_code_pa {
        if !data.transfers.iter().any(|t| &t.fiscal_code_pa == fc) {
            wrong.push(format!(
                "no transfer goes to fiscalCodePA {fc}, the creditor the verify named"
            ));
        }
    }
    Some(if wrong.is_empty() {
        record(
            "verify-activate-consistent",
            CheckVerdict::Pass,
            format!("amount {} and due date as verified", data.payment_amount),
        )
    } else {
        record(
            "verify-activate-consistent",
            CheckVerdict::Fail,
            format!(
                "the activation does not match the verify before it, and no change was made in between: {}",
                wrong.join("; ")
            ),
        )
    })
}

/// The text of the element at `path` (slash-separated local names, relative to the response
/// element), e.g. `paymentList/paymentOptionDescription/amount`.
pub(crate) fn field(body: &[u8], path: &str) -> Option<String> {
    let (src, base) = xml::as_utf8(body).ok()?;
    let doc = xml::parse(src, base).ok()?;
    let mut el = doc.root();
    if el.local == "Envelope" {
        el = doc.children(el).find(|c| c.local == "Body")?;
        el = doc.children(el).next()?;
    }
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let (name, index) = match seg.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()?),
            None => (seg, 1),
        };
        el = doc
            .children(el)
            .filter(|c| c.local == name)
            .nth(index.checked_sub(1)?)?;
    }
    Some(el.text.to_string())
}

/// Expand `${name}` from captures, and `A+B` / `A-B` when both sides are amounts.
pub(crate) fn expand(
    expected: &str,
    captures: &BTreeMap<String, String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = expected;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in {expected:?}"))?;
        let name = &after[..end];
        let value = captures
            .get(name)
            .ok_or_else(|| format!("no value captured as `{name}` before this step"))?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    for op in ['+', '-'] {
        if let Some((a, b)) = out.split_once(op) {
            if let (Some(a), Some(b)) = (Amount::parse(a.trim()), Amount::parse(b.trim())) {
                let cents = if op == '+' {
                    a.cents().saturating_add(b.cents())
                } else {
                    a.cents().saturating_sub(b.cents())
                };
                return Ok(Amount::from_cents(cents).to_string());
            }
        }
    }
    Ok(out)
}

/// Field expectations.
pub(crate) fn fields(
    ex: &Exchange,
    expect: &SoapExpect,
    captures: &BTreeMap<String, String>,
) -> Vec<CheckRecord> {
    let body = ex
        .response
        .as_ref()
        .map(|r| r.body.as_slice())
        .unwrap_or(&[]);
    expect
        .fields
        .iter()
        .map(|(path, want)| {
            let name = format!("field {path}");
            match expand(want.get_ref(), captures) {
                Err(e) => record(&name, CheckVerdict::Fail, e),
                Ok(want) => {
                    let got = field(body, path);
                    let ok = got.as_deref().map(str::trim) == Some(want.as_str());
                    with(
                        record(
                            &name,
                            if ok {
                                CheckVerdict::Pass
                            } else {
                                CheckVerdict::Fail
                            },
                            if ok {
                                format!("{path} = {want}")
                            } else if got.is_none() {
                                format!("{path} is absent")
                            } else {
                                format!("{path} differs")
                            },
                        ),
                        Some(want),
                        got,
                        None,
                    )
                }
            }
        })
        .collect()
}

/// Context the named checks may need beyond the exchange.
pub(crate) struct NamedCtx<'a> {
    /// The notice number used by the step.
    pub notice: Option<&'a str>,
    /// Segregation codes the station is associated with (empty = not checked).
    pub segregation_codes: &'a [String],
    /// Captured values so far.
    pub captures: &'a BTreeMap<String, String>,
    /// The back office, to tell postal IBANs.
    pub backoffice: &'a collaudo_nodo::BackOffice,
    /// The primary EC fiscal code.
    pub ec_fiscal_code: &'a str,
}

fn notice_check(notice: &str, segregation_codes: &[String]) -> Result<String, String> {
    let n = collaudo_wire::ident::NoticeNumber::parse(notice).map_err(|e| e.to_string())?;
    if n.check_digit_ok() == Some(false) {
        return Err(format!(
            "check digits of {notice} are wrong: mod 93 of the first 16 digits is {:02}",
            n.expected_check_digits().unwrap_or(0)
        ));
    }
    if n.aux_digit() == 3 && !segregation_codes.is_empty() {
        let seg = n.segregation_code().unwrap_or("");
        if !segregation_codes.iter().any(|s| s == seg) {
            return Err(format!(
                "segregation code {seg} of {notice} is not one associated with the station ({})",
                segregation_codes.join(", ")
            ));
        }
    }
    Ok(format!(
        "{notice}: aux digit {}, IUV {}, check digits valid",
        n.aux_digit(),
        n.iuv()
    ))
}

/// The named checks of `expect.checks`.
pub(crate) fn named(j: &Judgement, expect: &SoapExpect, cx: &NamedCtx<'_>) -> Vec<CheckRecord> {
    expect
        .checks
        .iter()
        .map(|c| {
            let name = c.get_ref().as_str();
            let result: Result<String, String> = match (name, &j.message) {
                ("fault-bean-complete", Some(m)) => match m.outcome() {
                    Some((_, Some(f))) => {
                        let mut missing = Vec::new();
                        if !f.fault_code.is_paa() {
                            missing.push(format!("faultCode {} does not start with PAA_", f.fault_code));
                        }
                        if f.fault_string.trim().is_empty() {
                            missing.push("faultString is empty".into());
                        }
                        if f.id.trim().is_empty() {
                            missing.push("id is empty".into());
                        }
                        if missing.is_empty() {
                            Ok(format!("fault bean {} / {:?} / id {}", f.fault_code, f.fault_string, f.id))
                        } else {
                            Err(missing.join("; "))
                        }
                    }
                    _ => Err("the answer has no fault bean".into()),
                },
                ("iuv-matches-notice", Some(Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r))) => {
                    match (r.data.as_ref(), cx.notice.map(collaudo_wire::ident::NoticeNumber::parse)) {
                        (Some(d), Some(Ok(n))) if d.creditor_reference_id == n.iuv() => {
                            Ok(format!("creditorReferenceId {} = IUV of {}", d.creditor_reference_id, n.as_str()))
                        }
                        (Some(d), Some(Ok(n))) => Err(format!(
                            "creditorReferenceId {} differs from the IUV {} in notice {}",
                            d.creditor_reference_id,
                            n.iuv(),
                            n.as_str()
                        )),
                        (None, _) => Err("the activation answer has no data".into()),
                        (_, _) => Err("the notice number is not valid".into()),
                    }
                }
                ("notice-number-valid", m) => {
                    let from_demand = match m {
                        Some(Message::DemandPaymentNoticeRes(r)) => r.qr_code.as_ref().map(|q| q.notice_number.as_str()),
                        _ => None,
                    };
                    match from_demand.or(cx.notice) {
                        Some(n) => notice_check(n, cx.segregation_codes),
                        None => Err("no notice number to check".into()),
                    }
                }
                ("allccp-consistent", Some(Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r))) => {
                    let promised = cx.captures.get("all_ccp").map(|v| v.trim() == "true" || v.trim() == "1");
                    match (promised, r.data.as_ref()) {
                        (None, _) => Err("allCCP was not captured by a previous verify (capture = { all_ccp = ... })".into()),
                        (Some(false), _) => Ok("allCCP=false promises nothing".into()),
                        (Some(true), Some(d)) => {
                            // allCCP=true promises that every transfer *can* go to a postal
                            // account: each beneficiary EC must have one registered (or the
                            // transfer already carries a postal IBAN).
                            let not_postal: Vec<String> = d
                                .transfers
                                .iter()
                                .filter(|t| match t.beneficiary.iban() {
                                    Some(iban) => {
                                        let postal_here = cx.backoffice.iban_info(&t.fiscal_code_pa, iban).is_some_and(|i| i.postal)
                                            || collaudo_wire::ident::iban::is_postal(iban);
                                        let postal_registered = cx
                                            .backoffice
                                            .ibans
                                            .get(&t.fiscal_code_pa)
                                            .is_some_and(|l| l.iter().any(|i| i.postal));
                                        !postal_here && !postal_registered
                                    }
                                    None => false,
                                })
                                .map(|t| format!("transfer {} (EC {})", t.id_transfer, t.fiscal_code_pa))
                                .collect();
                            if not_postal.is_empty() {
                                Ok("allCCP=true and every transfer's EC has a postal account".into())
                            } else {
                                Err(format!("allCCP=true in verify, but no postal account for: {}", not_postal.join(", ")))
                            }
                        }
                        (Some(true), None) => Err("the activation answer has no data".into()),
                    }
                }
                ("stamp-present", Some(Message::GetPaymentV2Res(r))) => {
                    let stamps = r
                        .data
                        .iter()
                        .flat_map(|d| &d.transfers)
                        .filter(|t| matches!(t.beneficiary, collaudo_wire::Beneficiary::MarcaDaBollo(_)))
                        .count();
                    if stamps > 0 {
                        Ok(format!("{stamps} transfer(s) with richiestaMarcaDaBollo"))
                    } else {
                        Err("no transfer carries richiestaMarcaDaBollo".into())
                    }
                }
                ("multi-beneficiary", Some(Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r))) => {
                    match r.data.as_ref() {
                        Some(d) => {
                            let secondary = d.transfers.iter().filter(|t| t.fiscal_code_pa != cx.ec_fiscal_code).count();
                            if d.transfers.len() >= 2 && secondary >= 1 {
                                Ok(format!("{} transfers, {secondary} to secondary ECs", d.transfers.len()))
                            } else {
                                Err(format!(
                                    "a multi-beneficiary notice needs 2..5 transfers with a secondary EC; found {} transfers, {secondary} secondary",
                                    d.transfers.len()
                                ))
                            }
                        }
                        None => Err("the activation answer has no data".into()),
                    }
                }
                (_, None) => Err("no valid answer to check".into()),
                (other, Some(m)) => Err(format!("check `{other}` does not apply to {}", m.element())),
            };
            match result {
                Ok(msg) => record(name, CheckVerdict::Pass, msg),
                Err(msg) => record(name, CheckVerdict::Fail, msg),
            }
        })
        .collect()
}

/// Latency expectations over the step's exchanges (real time).
pub(crate) fn latency(latencies_ms: &[f64], expect: &SoapExpect) -> Vec<CheckRecord> {
    let mut out = Vec::new();
    if latencies_ms.is_empty() {
        return out;
    }
    let mut sorted = latencies_ms.to_vec();
    sorted.sort_by(f64::total_cmp);
    if let Some(limit) = expect.p98_ms {
        // Nearest-rank 98th percentile.
        let rank = ((0.98 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        let p98 = sorted[rank - 1];
        let ok = p98 <= limit as f64;
        out.push(with(
            record(
                "sla-p98",
                if ok {
                    CheckVerdict::Pass
                } else {
                    CheckVerdict::Fail
                },
                format!("98th percentile {p98:.1} ms over {} calls", sorted.len()),
            ),
            Some(format!("≤ {limit} ms")),
            Some(format!("{p98:.1} ms")),
            None,
        ));
    }
    if let Some(limit) = expect.max_ms {
        let max = sorted.last().copied().unwrap_or(0.0);
        let ok = max <= limit as f64;
        out.push(with(
            record(
                "sla-max",
                if ok {
                    CheckVerdict::Pass
                } else {
                    CheckVerdict::Fail
                },
                format!("slowest answer {max:.1} ms"),
            ),
            Some(format!("≤ {limit} ms")),
            Some(format!("{max:.1} ms")),
            None,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judgement(outcome: NodoOutcome, explanation: &str) -> Judgement {
        Judgement {
            outcome,
            message: None,
            violations: Vec::new(),
            checks: Vec::new(),
            hygiene: Vec::new(),
            explanation: explanation.into(),
        }
    }

    fn expect_ko(code: &str) -> SoapExpect {
        SoapExpect {
            nodo: Some(toml::Spanned::new(0..0, "KO".into())),
            fault_code: vec![toml::Spanned::new(0..0, code.into())],
            ..SoapExpect::default()
        }
    }

    #[test]
    fn a_failed_outcome_names_what_was_expected_and_what_came() {
        let j = judgement(
            NodoOutcome::Ok,
            "The Nodo would go on: the station sent a valid OK.",
        );
        let r = nodo_outcome(&j, &expect_ko("PAA_ID_DOMINIO_ERRATO"));
        assert_eq!(r.verdict, CheckVerdict::Fail);
        assert!(
            r.message
                .starts_with("expected KO PAA_ID_DOMINIO_ERRATO, the station answered OK."),
            "{}",
            r.message
        );
        let j = judgement(
            NodoOutcome::EcKo {
                code: collaudo_wire::FaultCode::parse("PAA_PAGAMENTO_SCONOSCIUTO"),
                fault_string: "x".into(),
            },
            "",
        );
        let r = fault_codes(&j, &expect_ko("PAA_ID_DOMINIO_ERRATO"));
        assert_eq!(
            r[0].message,
            "expected PAA_ID_DOMINIO_ERRATO, the station answered PAA_PAGAMENTO_SCONOSCIUTO"
        );
    }

    #[test]
    fn hygiene_fails_only_the_status_and_only_where_required() {
        let mut j = judgement(NodoOutcome::Ok, "");
        j.hygiene = vec![
            HygieneWarning::HttpStatus { status: 500 },
            HygieneWarning::ContentType {
                found: Some("text/html".into()),
            },
        ];
        let relaxed = hygiene(&j, false);
        assert!(relaxed.iter().all(|c| c.verdict == CheckVerdict::Warn));
        let strict = hygiene(&j, true);
        assert_eq!(
            strict[0].verdict,
            CheckVerdict::Fail,
            "the status, where required"
        );
        assert_eq!(
            strict[1].verdict,
            CheckVerdict::Warn,
            "the Content-Type never fails"
        );
    }

    #[test]
    fn expansion() {
        let caps: BTreeMap<String, String> = [("before".to_string(), "30.00".to_string())].into();
        assert_eq!(expand("${before}+10.00", &caps).unwrap(), "40.00");
        assert_eq!(expand("${before}", &caps).unwrap(), "30.00");
        assert_eq!(expand("EQ", &caps).unwrap(), "EQ");
        assert!(expand("${nope}", &caps).is_err());
        assert!(expand("${before", &caps).is_err());
    }

    #[test]
    fn field_paths() {
        let body = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><p:x xmlns:p="urn:p"><a><b>1</b><b>2</b></a></p:x></s:Body></s:Envelope>"#;
        assert_eq!(field(body, "a/b").as_deref(), Some("1"));
        assert_eq!(field(body, "a/b[2]").as_deref(), Some("2"));
        assert_eq!(field(body, "a/c"), None);
        assert_eq!(field(b"garbage", "a"), None);
    }

    #[test]
    fn percentile() {
        let e = SoapExpect {
            p98_ms: Some(10),
            max_ms: Some(100),
            ..SoapExpect::default()
        };
        let mut l = vec![1.0; 49];
        l.push(50.0);
        let r = latency(&l, &e);
        assert_eq!(
            r[0].verdict,
            CheckVerdict::Pass,
            "49 of 50 fast: p98 is the 49th"
        );
        l.push(60.0);
        let r = latency(&l, &e);
        assert_eq!(r[0].verdict, CheckVerdict::Fail);
        assert_eq!(r[1].verdict, CheckVerdict::Pass);
    }
}
