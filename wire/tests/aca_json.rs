//! ACA `paCreatePosition` JSON: round trip over generated valid requests, one expected
//! violation per invalid body, and the 400 body the mock ACA answers.

use collaudo_wire::aca::{
    EntityType, FieldViolation, NewDebtPositionRequest, ProblemJson, is_rfc3339_date_time,
    parse_and_validate, parse_request, parse_request_with_unknown,
};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Value, json};

const AMOUNT: &str = "must be an integer between 0 and 99999999999";
const LEN_1_255: &str = "length must be between 1 and 255";
const LEN_11: &str = "length must be exactly 11";
const LEN_27: &str = "length must be exactly 27";
const DATE_TIME: &str = "must be an rfc 3339 date-time with offset";

fn base() -> Value {
    json!({
        "paFiscalCode": "77777777777",
        "entityType": "F",
        "entityFiscalCode": "RSSMRA80A01H501U",
        "entityFullName": "Mario Rossi",
        "iuv": "01000000000000144",
        "nav": "301000000000000144",
        "amount": 10050,
        "description": "TARI 2025 - rata unica",
        "expirationDate": "2025-12-31T23:59:59.000+01:00",
        "iban": "IT60X0542811101000000123456",
        "postalIban": "IT60X0542811101000000123456",
        "switchToExpired": false,
        "payStandIn": true
    })
}

fn body(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a Value always serializes")
}

/// `base()` with `key` set to `value`, or removed when `value` is `None`.
fn mutated(key: &str, value: Option<Value>) -> Vec<u8> {
    let mut v = base();
    let object = v.as_object_mut().expect("base is an object");
    match value {
        Some(value) => object.insert(key.to_owned(), value),
        None => object.remove(key),
    };
    body(&v)
}

fn violations(body: &[u8]) -> Vec<(String, String)> {
    match parse_and_validate(body) {
        Ok(_) => Vec::new(),
        Err(found) => found.into_iter().map(|v| (v.field, v.rule)).collect(),
    }
}

#[test]
fn base_body_is_valid() {
    assert_eq!(violations(&body(&base())), vec![]);
}

#[test]
fn boundary_values_are_valid() {
    for (key, value) in [
        ("amount", json!(0)),
        ("amount", json!(99_999_999_999_i64)),
        ("description", json!("é".repeat(255))),
        ("entityFullName", json!("x")),
        ("entityFiscalCode", json!("AB")),
        ("entityType", json!("G")),
        ("nav", Value::Null),
        ("iban", Value::Null),
        ("expirationDate", json!("2024-02-29T00:00:00Z")),
    ] {
        assert_eq!(
            violations(&mutated(key, Some(value.clone()))),
            vec![],
            "{key}={value}"
        );
    }
    for optional in ["nav", "iban", "postalIban", "switchToExpired", "payStandIn"] {
        assert_eq!(
            violations(&mutated(optional, None)),
            vec![],
            "without {optional}"
        );
    }
}

#[test]
fn each_invalid_body_names_its_field_and_rule() {
    let s = |n: usize| json!("1".repeat(n));
    let cases: Vec<(&str, Option<Value>, &str, &str)> = vec![
        ("paFiscalCode", None, "/paFiscalCode", "is required"),
        (
            "paFiscalCode",
            Some(Value::Null),
            "/paFiscalCode",
            "must not be null",
        ),
        ("paFiscalCode", Some(s(10)), "/paFiscalCode", LEN_11),
        ("paFiscalCode", Some(s(12)), "/paFiscalCode", LEN_11),
        (
            "paFiscalCode",
            Some(json!(77_777_777_777_i64)),
            "/paFiscalCode",
            "must be a string",
        ),
        ("entityType", None, "/entityType", "is required"),
        (
            "entityType",
            Some(json!("X")),
            "/entityType",
            r#"must be one of "F", "G""#,
        ),
        (
            "entityType",
            Some(json!("f")),
            "/entityType",
            r#"must be one of "F", "G""#,
        ),
        ("entityFiscalCode", None, "/entityFiscalCode", "is required"),
        (
            "entityFiscalCode",
            Some(s(1)),
            "/entityFiscalCode",
            "length must be at least 2",
        ),
        ("entityFullName", Some(s(0)), "/entityFullName", LEN_1_255),
        ("entityFullName", Some(s(256)), "/entityFullName", LEN_1_255),
        ("iuv", None, "/iuv", "is required"),
        ("iuv", Some(s(0)), "/iuv", LEN_1_255),
        ("iuv", Some(s(256)), "/iuv", LEN_1_255),
        ("nav", Some(s(0)), "/nav", LEN_1_255),
        ("nav", Some(s(256)), "/nav", LEN_1_255),
        ("nav", Some(json!(301)), "/nav", "must be a string"),
        ("amount", None, "/amount", "is required"),
        ("amount", Some(json!(-1)), "/amount", AMOUNT),
        (
            "amount",
            Some(json!(100_000_000_000_i64)),
            "/amount",
            AMOUNT,
        ),
        ("amount", Some(json!(i64::MIN)), "/amount", AMOUNT),
        ("amount", Some(json!(u64::MAX)), "/amount", AMOUNT),
        ("amount", Some(json!(100.5)), "/amount", AMOUNT),
        ("amount", Some(json!("100")), "/amount", AMOUNT),
        ("description", None, "/description", "is required"),
        ("description", Some(s(0)), "/description", LEN_1_255),
        ("description", Some(s(256)), "/description", LEN_1_255),
        ("expirationDate", None, "/expirationDate", "is required"),
        (
            "expirationDate",
            Some(json!("string")),
            "/expirationDate",
            DATE_TIME,
        ),
        (
            "expirationDate",
            Some(json!("2025-12-31")),
            "/expirationDate",
            DATE_TIME,
        ),
        (
            "expirationDate",
            Some(json!("2025-12-31T23:59:59")),
            "/expirationDate",
            DATE_TIME,
        ),
        (
            "expirationDate",
            Some(json!("2025-02-29T00:00:00Z")),
            "/expirationDate",
            DATE_TIME,
        ),
        (
            "expirationDate",
            Some(json!(1_767_225_599)),
            "/expirationDate",
            "must be a string",
        ),
        ("iban", Some(s(26)), "/iban", LEN_27),
        ("iban", Some(s(28)), "/iban", LEN_27),
        ("postalIban", Some(s(26)), "/postalIban", LEN_27),
        (
            "switchToExpired",
            Some(json!("yes")),
            "/switchToExpired",
            "must be a boolean",
        ),
        (
            "payStandIn",
            Some(json!(1)),
            "/payStandIn",
            "must be a boolean",
        ),
    ];
    for (key, value, field, rule) in cases {
        let shown = format!("{key}={value:?}");
        assert_eq!(
            violations(&mutated(key, value)),
            vec![(field.to_owned(), rule.to_owned())],
            "{shown}"
        );
    }
}

#[test]
fn invalid_documents_name_the_body_or_the_repeated_field() {
    let duplicate = br#"{"iuv": "1", "iuv": "2"}"#;
    for (body, field, rule) in [
        (&b""[..], "", "must be well-formed json"),
        (
            b"{\"paFiscalCode\": \"77777777777\",",
            "",
            "must be well-formed json",
        ),
        (b"\xef\xbb\xbf{}", "", "must be well-formed json"),
        (b"[]", "", "must be a json object"),
        (duplicate, "/iuv", "must appear only once"),
    ] {
        assert_eq!(
            violations(body),
            vec![(field.to_owned(), rule.to_owned())],
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn every_broken_field_is_reported_once_parsing_succeeds() {
    let mut v = base();
    v["paFiscalCode"] = json!("123");
    v["amount"] = json!(-5);
    v["iban"] = json!("IT00");
    assert_eq!(
        violations(&body(&v)),
        vec![
            ("/paFiscalCode".to_owned(), LEN_11.to_owned()),
            ("/amount".to_owned(), AMOUNT.to_owned()),
            ("/iban".to_owned(), LEN_27.to_owned()),
        ]
    );
}

#[test]
fn parse_error_message_keeps_serde_json_text_and_position() {
    let text =
        "{\n  \"paFiscalCode\": \"77777777777\",\n  \"entityType\": \"X\",\n  \"iuv\": \"1\"\n}";
    let err = parse_request(text.as_bytes()).expect_err("entityType X is refused");
    assert_eq!(err.field.as_deref(), Some("/entityType"));
    assert_eq!((err.line, err.column), (3, 19));
    let message = err.to_string();
    assert!(
        message.starts_with("field `entityType`: unknown variant `X`, expected `F` or `G`"),
        "{message}"
    );
    assert!(message.ends_with("at line 3 column 19"), "{message}");
}

#[test]
fn unknown_keys_warn_but_do_not_fail() {
    let mut v = base();
    v["companyName"] = json!("Comune di Roma");
    v["payStandin"] = json!(false);
    let (request, unknown) =
        parse_request_with_unknown(&body(&v)).expect("unknown keys are tolerated");
    assert!(
        request.pay_stand_in,
        "the misspelt flag must not be applied"
    );
    let mut unknown = unknown;
    unknown.sort();
    assert_eq!(unknown, vec!["companyName", "payStandin"]);
}

#[test]
fn problem_json_400_for_a_bad_iban() {
    let found = parse_and_validate(&mutated("iban", Some(json!("IT60X054281110100000012345"))))
        .expect_err("26-char iban is refused");
    insta::assert_json_snapshot!(ProblemJson::invalid_input(&found));
}

#[test]
fn problem_json_400_for_a_missing_field() {
    let err = parse_request(&mutated("paFiscalCode", None)).expect_err("required");
    insta::assert_json_snapshot!(ProblemJson::invalid_input(&[err.violation()]));
}

fn text(len: impl Into<proptest::collection::SizeRange>) -> impl Strategy<Value = String> {
    vec(any::<char>(), len).prop_map(String::from_iter)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn date_time() -> impl Strategy<Value = String> {
    let offset = prop_oneof![
        Just("Z".to_owned()),
        Just("z".to_owned()),
        (any::<bool>(), 0u32..=23, 0u32..=59)
            .prop_map(|(neg, h, m)| format!("{}{h:02}:{m:02}", if neg { '-' } else { '+' })),
    ];
    (
        (0u32..=9999, 1u32..=12, 1u32..=31),
        (0u32..=23, 0u32..=59, 0u32..=59),
        proptest::option::of("[0-9]{1,9}"),
        offset,
        prop_oneof![Just('T'), Just('t')],
    )
        .prop_map(|((y, mo, d), (h, mi, s), fraction, offset, t)| {
            let d = d.min(days_in_month(y, mo));
            let fraction = fraction.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{fraction}{offset}")
        })
}

prop_compose! {
    fn valid_request()(
        (pa_fiscal_code, entity_type, entity_fiscal_code, entity_full_name) in (
            text(11),
            prop_oneof![Just(EntityType::F), Just(EntityType::G)],
            text(2..40),
            text(1..=255),
        ),
        (iuv, nav, amount, description) in (
            text(1..=255),
            proptest::option::of(text(1..=255)),
            0i64..=99_999_999_999,
            text(1..=255),
        ),
        (expiration_date, iban, postal_iban, switch_to_expired, pay_stand_in) in (
            date_time(),
            proptest::option::of(text(27)),
            proptest::option::of(text(27)),
            any::<bool>(),
            any::<bool>(),
        ),
    ) -> NewDebtPositionRequest {
        NewDebtPositionRequest {
            pa_fiscal_code,
            entity_type,
            entity_fiscal_code,
            entity_full_name,
            iuv,
            nav,
            amount,
            description,
            expiration_date,
            iban,
            postal_iban,
            switch_to_expired,
            pay_stand_in,
        }
    }
}

proptest! {
    #[test]
    fn valid_requests_round_trip(request in valid_request()) {
        prop_assert_eq!(request.validate(), Vec::<FieldViolation>::new());
        let bytes = serde_json::to_vec(&request).expect("serializes");
        let (parsed, unknown) = parse_request_with_unknown(&bytes).expect("parses back");
        prop_assert!(unknown.is_empty());
        prop_assert_eq!(&parsed, &request);
        let pretty = serde_json::to_vec_pretty(&request).expect("serializes");
        prop_assert_eq!(parse_and_validate(&pretty).ok(), Some(request));
    }

    #[test]
    fn generated_date_times_are_accepted(value in date_time()) {
        prop_assert!(is_rfc3339_date_time(&value), "{}", value);
    }

    #[test]
    fn nav_defaults_to_three_and_iuv(mut request in valid_request()) {
        request.nav = None;
        prop_assert_eq!(request.nav_or_default(), format!("3{}", request.iuv));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        let _ = parse_and_validate(&bytes);
    }

    #[test]
    fn truncated_or_corrupted_bodies_never_panic(
        request in valid_request(),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = serde_json::to_vec(&request).expect("serializes");
        let at = flip.index(bytes.len());
        bytes[at] = byte;
        let end = cut.index(bytes.len() + 1);
        let _ = parse_and_validate(&bytes[..end]);
    }
}
