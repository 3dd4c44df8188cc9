//! The five targets. Each takes any bytes, must not panic, and checks the invariants its
//! code promises; it returns a coarse [`Signature`] of what the input did (which rules fired,
//! what the outcome was), which the loop uses as feedback: an input with a signature not seen
//! before joins the corpus.
//!
//! A target reports a broken invariant by panicking, so that a crash and a wrong answer are
//! caught, saved and replayed the same way.

use crate::mutate::{Format, find};
use crate::seeds;
use collaudo_nodo::{BackOffice, CheckPolicy, Exchange, HttpReply, NodoOutcome, VirtualTime};
use collaudo_station::{FixtureRole, StationConfig, StationState, positions::DEMAND_SERVICE};
use collaudo_wire::aca::{parse_and_validate, parse_request_with_unknown};
use collaudo_wire::{
    DEFAULT_MAX_VIOLATIONS, Direction, Kind, Message, ParseOptions, Parsed, Primitive, parse,
    parse_with,
};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::mem::discriminant;
use std::sync::OnceLock;

/// What an input did, hashed: equal for inputs that took the same coarse path.
pub type Signature = u64;

/// One fuzz target: its function, the corpus it starts from and the inputs its time budget is
/// calibrated on.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Its name: `soap`, `typed`, `aca_json`, `judge` or `station`.
    pub name: &'static str,
    /// What its inputs are.
    pub format: Format,
    /// The target itself: panics on a broken invariant.
    pub run: fn(&[u8]) -> Signature,
    /// The starting corpus.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Large inputs, of about the given size, that the target handles in time linear in their
    /// size (known-good shapes): the per-byte budget is measured on them.
    pub calibration: fn(usize) -> Vec<Vec<u8>>,
    /// Recognises inputs that hit a known, reported and not yet fixed bug, with the reason: the
    /// loop skips and counts them rather than fail every run on the same bug. Each has a
    /// regression file replayed by an ignored test in `fuzz/tests/fuzz.rs`.
    pub known_bug: fn(&[u8]) -> Option<&'static str>,
}

/// Every target, in the order the tests run them.
pub const ALL: [Target; 5] = [SOAP, TYPED, ACA_JSON, JUDGE, STATION];

/// `collaudo_wire::parse` and `parse_with`.
pub const SOAP: Target = Target {
    name: "soap",
    format: Format::Xml,
    run: soap,
    seeds: seeds::xml_seeds,
    calibration: xml_calibration,
    known_bug: no_known_bug,
};

/// `Message::from_xml` and the round trip through `to_xml`.
pub const TYPED: Target = Target {
    name: "typed",
    format: Format::Xml,
    run: typed,
    seeds: seeds::xml_seeds,
    calibration: xml_calibration,
    known_bug: no_known_bug,
};

/// `collaudo_wire::aca::parse_and_validate`.
pub const ACA_JSON: Target = Target {
    name: "aca_json",
    format: Format::Json,
    run: aca_json,
    seeds: seeds::json_seeds,
    calibration: json_calibration,
    known_bug: no_known_bug,
};

/// `collaudo_nodo::checks::judge` on the bytes as the station's reply.
pub const JUDGE: Target = Target {
    name: "judge",
    format: Format::Xml,
    run: judge,
    seeds: seeds::xml_seeds,
    calibration: xml_calibration,
    known_bug: no_known_bug,
};

/// `collaudo_station::handle` on the bytes as the Nodo's request.
pub const STATION: Target = Target {
    name: "station",
    format: Format::Xml,
    run: station,
    seeds: station_seeds,
    calibration: xml_calibration,
    known_bug: no_known_bug,
};

/// No known bug.
pub fn no_known_bug(_: &[u8]) -> Option<&'static str> {
    None
}

/// The target called `name`.
pub fn by_name(name: &str) -> Option<Target> {
    ALL.into_iter().find(|t| t.name == name)
}

fn hash_of(value: impl Hash) -> Signature {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// The signature of a parse: which rules fired (not where, nor how often), what was found.
fn parsed_signature(p: &Parsed) -> Signature {
    let mut rules: Vec<_> = p
        .violations
        .iter()
        .map(|v| (format!("{:?}", discriminant(&v.rule)), v.kind, v.severity))
        .collect();
    rules.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    rules.dedup();
    hash_of((
        p.kind,
        p.enveloped,
        p.message.is_some(),
        p.soap_fault.is_some(),
        p.omitted.is_empty(),
        rules,
    ))
}

/// Most bytes of text (path, message, value) one violation may carry, whatever the input:
/// everything a violation quotes from the station is clipped (`collaudo_wire::violation::clip`),
/// so a 5 MB name is never copied into a report (`wire/tests/hostile.rs`).
pub const VIOLATION_TEXT_MAX: usize = 8 * 1024;

/// Most bytes of the judge's explanation and reason, and of the station's answer, whatever
/// the input: both quote the input only through clipped texts.
pub const OUTPUT_MAX: usize = 32 * 1024;

/// The first 300 characters of a long text, for a failure message.
pub fn excerpt(text: &str) -> String {
    let cut: String = text.chars().take(300).collect();
    if cut.len() < text.len() {
        format!("{cut}… ({} bytes)", text.len())
    } else {
        cut
    }
}

/// A primitive and direction picked from the input's length, so that every call of a target
/// on the same bytes makes the same choice.
fn kind_for(len: usize) -> (Primitive, Direction) {
    let p = Primitive::ALL[len % Primitive::ALL.len()];
    let d = if (len / 6) % 2 == 0 {
        Direction::Response
    } else {
        Direction::Request
    };
    (p, d)
}

/// Parse with the defaults, again keeping only a few violations, and once more expecting a
/// given primitive. What is kept may change with the limit; what is decided may not.
pub fn soap(bytes: &[u8]) -> Signature {
    let full = parse(bytes);
    let keep = bytes.len() % 5;
    let capped = parse_with(
        bytes,
        &ParseOptions {
            expected: None,
            max_violations: keep,
        },
    );
    assert!(
        full.violations.len() <= DEFAULT_MAX_VIOLATIONS,
        "{} violations kept, limit {DEFAULT_MAX_VIOLATIONS}",
        full.violations.len()
    );
    // A document that cannot be read at all (not UTF-8, not markup, malformed, over a limit)
    // is reported by its one violation whatever the limit, even 0: that is what the code
    // does (wire/src/soap.rs, `Parsed::only`), though `ParseOptions::max_violations` reads as
    // if 0 kept none.
    let unreadable =
        full.kind.is_none() && full.violations.len() == 1 && full.violations[0].kind == Kind::Xml;
    assert!(
        capped.violations.len() <= keep || (unreadable && capped.violations.len() == 1),
        "{} violations kept, limit {keep}",
        capped.violations.len()
    );
    let total = |p: &Parsed| p.violations.len() + p.omitted.total();
    assert_eq!(
        total(&full),
        total(&capped),
        "violation count depends on the limit"
    );
    assert_eq!(full.error_count(), capped.error_count(), "error count");
    assert_eq!(
        full.is_valid(),
        capped.is_valid(),
        "is_valid depends on the limit"
    );
    assert_eq!(
        full.is_schema_valid(),
        capped.is_schema_valid(),
        "is_schema_valid depends on the limit"
    );
    assert_eq!(full.kind, capped.kind, "kind depends on the limit");
    assert_eq!(
        full.message, capped.message,
        "the message depends on the limit"
    );
    for v in &full.violations {
        if let Some(offset) = v.offset {
            assert!(offset <= bytes.len(), "offset {offset} past the end: {v}");
        }
        let text = v.path.len() + v.message.len() + v.value.as_ref().map_or(0, String::len);
        assert!(
            text <= VIOLATION_TEXT_MAX,
            "a violation of {text} bytes: station text is not clipped: {}",
            crate::targets::excerpt(&v.to_string())
        );
    }
    let expected = parse_with(
        bytes,
        &ParseOptions {
            expected: Some(kind_for(bytes.len())),
            ..ParseOptions::default()
        },
    );
    if expected.is_valid() {
        assert!(
            full.is_valid(),
            "valid when expected, invalid when detected"
        );
    }
    parsed_signature(&full)
}

/// `Message::from_xml`; a message read must be written and read back identical (SOAP form and
/// bare payload), the invariant `wire/tests/roundtrip.rs` states for built messages.
pub fn typed(bytes: &[u8]) -> Signature {
    match Message::from_xml(bytes) {
        Err(violations) => {
            let mut rules: Vec<_> = violations
                .iter()
                .map(|v| format!("{:?}", discriminant(&v.rule)))
                .collect();
            rules.sort_unstable();
            rules.dedup();
            hash_of((false, rules))
        }
        Ok(m) => {
            let xml = m.to_xml();
            match Message::from_xml(xml.as_bytes()) {
                Ok(again) => assert!(
                    again == m,
                    "read back differently:\nfirst:  {m:?}\nsecond: {again:?}\nwritten:\n{xml}"
                ),
                Err(v) => panic!("the message written is not valid: {v:#?}\nwritten:\n{xml}"),
            }
            let payload = m.to_payload_xml();
            let p = parse(payload.as_bytes());
            assert!(
                p.message.as_ref() == Some(&m),
                "bare payload read back differently: {:#?}\nwritten:\n{payload}",
                p.violations
            );
            hash_of((true, m.kind()))
        }
    }
}

/// `parse_and_validate`: an accepted body is valid, re-serialises to a body accepted as the
/// same request, and agrees with `parse_request_with_unknown` + `validate`.
pub fn aca_json(bytes: &[u8]) -> Signature {
    let result = parse_and_validate(bytes);
    let split = parse_request_with_unknown(bytes);
    match (&result, &split) {
        (Ok(request), Ok((same, _))) => {
            assert_eq!(
                request, same,
                "parse_request and parse_and_validate disagree"
            );
            assert!(request.validate().is_empty(), "accepted yet invalid");
            let written = serde_json::to_vec(request).expect("a request serialises");
            match parse_and_validate(&written) {
                Ok(again) => assert_eq!(&again, request, "read back differently"),
                Err(v) => panic!(
                    "the request written is refused: {v:?}\n{}",
                    String::from_utf8_lossy(&written)
                ),
            }
        }
        (Err(violations), Ok((request, _))) => {
            assert!(!violations.is_empty(), "refused without a violation");
            assert_eq!(
                violations,
                &request.validate(),
                "parsed, yet the violations are not validate()'s"
            );
        }
        (Err(violations), Err(err)) => {
            assert_eq!(
                violations,
                &vec![err.violation()],
                "parse error not passed on"
            );
        }
        (Ok(_), Err(err)) => panic!("accepted, yet parse_request fails: {err}"),
    }
    match result {
        Ok(r) => hash_of((0u8, r.nav.is_some(), r.iban.is_some(), r.amount == 0)),
        Err(v) => hash_of((
            1u8,
            v.iter()
                .map(|v| (v.field.clone(), v.rule.clone()))
                .collect::<Vec<_>>(),
        )),
    }
}

struct JudgeWorld {
    requests: Vec<Message>,
    backoffice: BackOffice,
    policy: CheckPolicy,
}

fn judge_world() -> &'static JudgeWorld {
    static WORLD: OnceLock<JudgeWorld> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut backoffice = BackOffice::default()
            .with_ec(seeds::EC, Some("Comune di Prova"))
            .with_iban(seeds::EC, seeds::IBAN, false)
            // the official samples' ECs and IBANs
            .with_ec("77777777778", None)
            .with_iban(seeds::EC, "IT0000000000000000000000000", false)
            .with_iban("77777777778", "IT0000000000000000000000001", false);
        // the secondary ECs of `collaudo_wire::samples::transfers`
        for i in 2..=5 {
            let fc = format!("0123456789{i}");
            backoffice = backoffice
                .with_ec(&fc, None)
                .with_iban(&fc, seeds::IBAN, false);
        }
        JudgeWorld {
            requests: seeds::requests(),
            backoffice,
            policy: CheckPolicy::default(),
        }
    })
}

/// The primitive whose element (of `dir`) occurs in the bytes, if any.
fn sniff(bytes: &[u8], dir: Direction) -> Option<Primitive> {
    Primitive::ALL
        .into_iter()
        .find(|p| find(bytes, p.element(dir).as_bytes()).is_some())
}

/// The bytes as the station's reply to the Nodo's call of the primitive they name (or one
/// picked from their length), with HTTP 200 or 500 and `text/xml` or not.
pub fn judge(bytes: &[u8]) -> Signature {
    let world = judge_world();
    let prim = sniff(bytes, Direction::Response).unwrap_or(kind_for(bytes.len()).0);
    let request = world
        .requests
        .iter()
        .find(|m| m.kind().0 == prim)
        .expect("a request of every primitive");
    let status = if bytes.len() % 11 == 0 { 500 } else { 200 };
    let content_type = if bytes.len() % 13 == 0 {
        "application/soap+xml"
    } else {
        "text/xml; charset=utf-8"
    };
    let ex = Exchange {
        seq: 1,
        primitive: prim,
        url: "http://127.0.0.1:1/pa".into(),
        request_headers: Vec::new(),
        request_body: String::new(),
        response: Some(HttpReply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: bytes.to_vec(),
        }),
        transport_error: None,
        injected_fault: None,
        real_started_at: String::new(),
        latency_ms: 0.0,
        virtual_at: VirtualTime::EPOCH,
        classification: None,
        scenario: None,
        step: None,
    };
    let j = collaudo_nodo::judge(&ex, request, &world.backoffice, &world.policy);
    assert!(!j.explanation.is_empty(), "no explanation: {j:?}");
    let reason = match &j.outcome {
        NodoOutcome::Nodo { reason, .. } => reason.len(),
        NodoOutcome::EcKo { fault_string, .. } => fault_string.len(),
        NodoOutcome::Ok => 0,
    };
    assert!(
        j.explanation.len() <= OUTPUT_MAX && reason <= OUTPUT_MAX,
        "explanation of {} bytes, reason of {reason}: {}",
        j.explanation.len(),
        excerpt(&j.outcome.to_string())
    );
    if j.outcome.is_ok() {
        assert!(
            j.violations.is_empty() && j.checks.is_empty(),
            "OK with violations or failed checks: {j:#?}"
        );
        assert!(j.message.is_some(), "OK without a message");
    }
    let outcome = match &j.outcome {
        NodoOutcome::Ok => "OK".to_string(),
        NodoOutcome::EcKo { code, .. } => format!("KO {}", code.is_paa()),
        NodoOutcome::Nodo { code, .. } => code.to_string(),
    };
    let mut rules: Vec<String> = j
        .violations
        .iter()
        .map(|v| format!("{:?}", discriminant(&v.rule)))
        .chain(j.checks.iter().map(|c| c.code.to_string()))
        .collect();
    rules.sort_unstable();
    rules.dedup();
    hash_of((prim, outcome, rules, j.hygiene.len()))
}

/// The reference station every `station` call goes to: default configuration, conformant.
fn station_state() -> &'static StationState {
    static STATE: OnceLock<StationState> = OnceLock::new();
    STATE.get_or_init(|| {
        StationState::new(StationConfig::default()).expect("the default station seeds")
    })
}

/// The SOAPAction sent with the bytes: usually the one the payload names, quoted as the Nodo
/// quotes it; sometimes absent, empty or not an operation (picked from the length).
fn soap_action(bytes: &[u8]) -> Option<String> {
    match bytes.len() % 7 {
        0 => None,
        1 => Some("\"\"".into()),
        2 => Some("urn:not-an-operation".into()),
        _ => sniff(bytes, Direction::Request).map(|p| format!("\"{}\"", p.name())),
    }
}

/// The bytes as the Nodo's request to the reference station. A conformant station answers
/// every request: HTTP 200 with a valid response, or a well-formed SOAP Fault.
pub fn station(bytes: &[u8]) -> Signature {
    let state = station_state();
    let action = soap_action(bytes);
    let reply = collaudo_station::handle(state, action.as_deref(), bytes);
    assert!(
        reply.body.len() <= OUTPUT_MAX,
        "an answer of {} bytes: {}",
        reply.body.len(),
        excerpt(&reply.body_text())
    );
    let answer = parse(&reply.body);
    assert!(
        !answer
            .violations
            .iter()
            .any(|v| v.is_error() && v.kind == Kind::Xml),
        "the station's answer is not well-formed: {:#?}\n{}",
        answer.violations,
        reply.body_text()
    );
    if reply.status == 200 {
        assert!(
            answer.is_valid() && answer.message.is_some(),
            "the station's HTTP 200 answer is not a valid response: {:#?}\n{}",
            answer.violations,
            reply.body_text()
        );
        assert_eq!(
            answer.kind.map(|k| k.1),
            Some(Direction::Response),
            "the station answered with a request"
        );
    } else {
        assert!(
            answer.soap_fault.is_some(),
            "HTTP {} without a SOAP Fault: {}",
            reply.status,
            reply.body_text()
        );
    }
    let outcome = answer
        .message
        .as_ref()
        .and_then(|m| m.outcome())
        .map(|(o, f)| (o, f.map(|f| f.fault_code.to_string())));
    hash_of((reply.status, answer.kind, outcome))
}

/// The XML seeds plus requests for the station's own fixtures: every role verified and
/// activated (V1 and V2), a receipt for the receipt target, a demand for its service.
pub fn station_seeds() -> Vec<Vec<u8>> {
    let state = station_state();
    let config = state.config();
    let caller = collaudo_wire::Caller {
        id_pa: config.id_pa.clone(),
        id_broker_pa: config.id_broker_pa.clone(),
        id_station: config.id_station.clone(),
    };
    let mut out = Vec::new();
    for fixture in state.fixtures().iter() {
        let qr = collaudo_wire::QrCode {
            fiscal_code: config.id_pa.clone(),
            notice_number: fixture.notice_number.as_str().to_string(),
        };
        out.push(
            Message::VerifyPaymentNoticeReq(collaudo_wire::VerifyPaymentNoticeReq {
                caller: caller.clone(),
                qr_code: qr.clone(),
            })
            .to_xml()
            .into_bytes(),
        );
        let get = collaudo_wire::GetPaymentReq {
            caller: caller.clone(),
            qr_code: qr,
            amount: Some(fixture.amount),
            payment_note: None,
            transfer_type: None,
            due_date: None,
        };
        out.push(Message::GetPaymentReq(get.clone()).to_xml().into_bytes());
        out.push(Message::GetPaymentV2Req(get).to_xml().into_bytes());
        if fixture.role == FixtureRole::ReceiptTarget {
            for v2 in [false, true] {
                out.push(receipt_for(state, fixture, v2).to_xml().into_bytes());
            }
        }
    }
    out.push(
        Message::DemandPaymentNoticeReq(collaudo_wire::DemandPaymentNoticeReq {
            caller,
            id_servizio: DEMAND_SERVICE.into(),
            id_soggetto_servizio: "00042".into(),
            dati_specifici_servizio: "PHNlcnZpemlvLz4=".into(),
        })
        .to_xml()
        .into_bytes(),
    );
    out.extend(seeds::xml_seeds());
    out
}

/// A paSendRT(V2) request paying `fixture` in full.
fn receipt_for(state: &StationState, fixture: &collaudo_station::Fixture, v2: bool) -> Message {
    let mut req = match seeds::requests()
        .into_iter()
        .find(|m| matches!(m, Message::SendRtV2Req(_)))
    {
        Some(Message::SendRtV2Req(r)) => r,
        _ => unreachable!("seeds::requests has a paSendRTV2Request"),
    };
    let config = state.config();
    req.caller.id_pa = config.id_pa.clone();
    req.caller.id_broker_pa = config.id_broker_pa.clone();
    req.caller.id_station = config.id_station.clone();
    let r = &mut req.receipt;
    r.notice_number = fixture.notice_number.as_str().to_string();
    r.fiscal_code = fixture.fiscal_code.clone();
    r.creditor_reference_id = fixture.iuv.clone();
    r.payment_amount = fixture.amount;
    r.company_name = fixture.company_name.clone();
    r.transfers = fixture
        .transfers
        .iter()
        .map(|t| collaudo_wire::Transfer {
            id_transfer: t.id_transfer,
            transfer_amount: t.amount,
            fiscal_code_pa: t.fiscal_code_pa.clone(),
            company_name: v2.then(|| fixture.company_name.clone()),
            beneficiary: collaudo_wire::Beneficiary::Iban(
                t.iban.clone().unwrap_or_else(|| seeds::IBAN.to_string()),
            ),
            remittance_information: "/RFB/collaudo".into(),
            transfer_category: "0101101IM".into(),
            metadata: Vec::new(),
        })
        .collect();
    if v2 {
        Message::SendRtV2Req(req)
    } else {
        r.primary_ci_incurred_fee = None;
        r.id_bundle = None;
        r.id_ci_bundle = None;
        r.payment_note = None;
        Message::SendRtReq(req)
    }
}

/// Known-linear XML shapes of about `size` bytes: a valid message behind a Header of filler
/// elements, the misplaced-elements reply of `wire/tests/hostile.rs` (one violation each),
/// namespace declarations spread over elements, and one long text value.
pub fn xml_calibration(size: usize) -> Vec<Vec<u8>> {
    let base = seeds::responses()[0].to_xml();
    let header = |filler: &str| {
        let n = size / filler.len().max(1);
        base.replacen(
            "<soapenv:Header/>",
            &format!("<soapenv:Header>{}</soapenv:Header>", filler.repeat(n)),
            1,
        )
    };
    let misplaced = base.replacen(
        "<outcome>OK</outcome>",
        &format!(
            "<outcome>OK</outcome>{}",
            "\n<officeName/>".repeat(size / 14)
        ),
        1,
    );
    let spread: String = (0..size / 30)
        .map(|i| format!("<d xmlns:a{i}=\"urn:d:{i}\"/>"))
        .collect();
    let long_value = base.replacen("TARI 2026", &"x".repeat(size), 1);
    [
        header("<f><g>filler</g></f>\n"),
        misplaced,
        header(&spread),
        long_value,
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect()
}

/// Known-linear JSON shapes of about `size` bytes: a valid request carrying one unknown key
/// whose value is a long array of small objects, and one with a long description.
pub fn json_calibration(size: usize) -> Vec<Vec<u8>> {
    let base = String::from_utf8(seeds::json_seeds()[0].clone()).expect("JSON is UTF-8");
    let items = vec!["{\"a\":[1,true,null]}"; size / 21].join(",");
    let array = base.replacen('{', &format!("{{\"unknown\":[{items}],"), 1);
    let long = base.replacen("TARI 2025", &"x".repeat(size), 1);
    vec![array.into_bytes(), long.into_bytes()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_inputs_have_about_the_size_asked() {
        for t in ALL {
            for input in (t.calibration)(64 * 1024) {
                assert!(
                    (48 * 1024..100 * 1024).contains(&input.len()),
                    "{}: {} bytes",
                    t.name,
                    input.len()
                );
            }
        }
    }

    #[test]
    fn the_station_answers_its_own_fixtures() {
        let seeds = station_seeds();
        let fixtures = state_fixture_count();
        assert!(seeds.len() > 3 * fixtures, "{} seeds", seeds.len());
        for seed in &seeds[..3 * fixtures] {
            station(seed);
        }
    }

    fn state_fixture_count() -> usize {
        station_state().fixtures().iter().count()
    }
}
