//! Bytes to [`NewDebtPositionRequest`], with errors that name the field and its position.
//!
//! serde_json's own messages name a field only when it is missing or repeated; for a value of
//! the wrong type they give a position and nothing else. The request is therefore read by a
//! hand-written map visitor that records which key it is reading, so the error can name it
//! without a second pass and without guessing from positions.

use super::request::{EntityType, Field, NewDebtPositionRequest};
use super::violation::FieldViolation;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Unexpected, Visitor};
use serde_json::error::Category;
use std::cell::{Cell, RefCell};
use std::fmt;

/// What kind of problem stopped the parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestErrorKind {
    /// Not well-formed JSON: bad syntax, invalid UTF-8, empty or truncated body, trailing data.
    Syntax,
    /// Well-formed JSON, but the top-level value is not an object.
    NotAnObject,
    /// A required field is absent.
    MissingField,
    /// A required field is `null`.
    NullField,
    /// A field appears twice in the object.
    DuplicateField,
    /// A field has a value of the wrong type, an `entityType` outside `F`/`G`, or an `amount`
    /// that does not fit an `i64`.
    InvalidField,
}

/// Why a body could not be read as a [`NewDebtPositionRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    /// The kind of problem.
    pub kind: RequestErrorKind,
    /// JSON pointer to the field at fault (e.g. `/amount`), `None` when the body as a whole is.
    pub field: Option<String>,
    /// The rule broken, worded as in [`FieldViolation::rule`].
    pub rule: String,
    /// 1-based line where serde_json stopped; 0 when it gave no position.
    pub line: usize,
    /// 1-based column where serde_json stopped; 0 when it gave no position.
    pub column: usize,
    /// serde_json's message (which ends with the line and column), prefixed with the field when
    /// serde_json does not name it itself.
    pub message: String,
}

impl RequestError {
    /// The error as a violation, for a 400 answer or a report next to [`validate`] results.
    ///
    /// [`validate`]: NewDebtPositionRequest::validate
    pub fn violation(&self) -> FieldViolation {
        FieldViolation::new(
            self.field.clone().unwrap_or_default(),
            self.rule.clone(),
            None,
        )
    }

    fn from_json(err: &serde_json::Error, trace: &Trace) -> Self {
        let culprit = match err.classify() {
            Category::Io | Category::Syntax | Category::Eof => None,
            Category::Data => trace.culprit.get(),
        };
        let (kind, field, rule, message) = match culprit {
            None if err.is_data() => (
                RequestErrorKind::NotAnObject,
                None,
                "must be a json object",
                err.to_string(),
            ),
            None => (
                RequestErrorKind::Syntax,
                None,
                "must be well-formed json",
                err.to_string(),
            ),
            Some((field, failure)) => {
                let (kind, rule) = match failure {
                    Failure::Missing => (RequestErrorKind::MissingField, "is required"),
                    Failure::Null => (RequestErrorKind::NullField, "must not be null"),
                    Failure::Duplicate => {
                        (RequestErrorKind::DuplicateField, "must appear only once")
                    }
                    Failure::Value => (RequestErrorKind::InvalidField, field.type_rule()),
                };
                let message = match failure {
                    Failure::Missing | Failure::Duplicate => err.to_string(),
                    Failure::Null | Failure::Value => format!("field `{}`: {err}", field.name()),
                };
                (kind, Some(field.pointer()), rule, message)
            }
        };
        RequestError {
            kind,
            field,
            rule: rule.to_owned(),
            line: err.line(),
            column: err.column(),
            message,
        }
    }
}

/// Read a `paCreatePosition` body. Never panics, whatever the bytes.
///
/// Unknown keys are skipped, as APIM and ACA skip them; use [`parse_request_with_unknown`] to
/// see them. The result is typed but not validated: call
/// [`NewDebtPositionRequest::validate`], or use [`parse_and_validate`].
pub fn parse_request(body: &[u8]) -> Result<NewDebtPositionRequest, RequestError> {
    parse(body, 0).map(|(request, _)| request)
}

/// How many unknown keys [`parse_request_with_unknown`] lists: enough for every misspelling a
/// real body has, few enough that a hostile body of a million keys costs no memory for them.
pub const MAX_UNKNOWN_KEYS: usize = 100;

/// Like [`parse_request`], also returning the unknown top-level keys in body order (each once,
/// the first [`MAX_UNKNOWN_KEYS`] of them).
///
/// Unknown keys are a warning, not a failure: ACA accepts the body, but a key that is unknown
/// here is usually a misspelt optional field (`postalIBAN`, `payStandin`) whose value ACA then
/// silently ignores.
pub fn parse_request_with_unknown(
    body: &[u8],
) -> Result<(NewDebtPositionRequest, Vec<String>), RequestError> {
    parse(body, MAX_UNKNOWN_KEYS)
}

/// The parse, listing at most `keep_unknown` unknown keys (none for [`parse_request`], which
/// drops them: listing them was a hash set and a copy of every key, for nothing).
fn parse(
    body: &[u8],
    keep_unknown: usize,
) -> Result<(NewDebtPositionRequest, Vec<String>), RequestError> {
    let trace = Trace {
        keep_unknown,
        ..Trace::default()
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = (&mut de)
        .deserialize_map(RequestVisitor { trace: &trace })
        .and_then(|request| de.end().map(|()| request));
    match parsed {
        Ok(request) => Ok((request, trace.unknown.into_inner())),
        Err(err) => Err(RequestError::from_json(&err, &trace)),
    }
}

/// Parse then validate: the request when it is valid, otherwise every problem found.
///
/// A body that cannot be parsed yields the single violation of its [`RequestError`]; a parsed
/// body yields all of [`NewDebtPositionRequest::validate`].
pub fn parse_and_validate(body: &[u8]) -> Result<NewDebtPositionRequest, Vec<FieldViolation>> {
    let request = parse_request(body).map_err(|err| vec![err.violation()])?;
    let violations = request.validate();
    if violations.is_empty() {
        Ok(request)
    } else {
        Err(violations)
    }
}

impl<'de> Deserialize<'de> for NewDebtPositionRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let trace = Trace::default();
        deserializer.deserialize_map(RequestVisitor { trace: &trace })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Missing,
    Null,
    Duplicate,
    Value,
}

/// What the visitor was doing when it failed, read back after serde_json hands the error over.
#[derive(Default)]
struct Trace {
    culprit: Cell<Option<(Field, Failure)>>,
    unknown: RefCell<Vec<String>>,
    /// How many unknown keys to list.
    keep_unknown: usize,
    /// The keys already in `unknown`, looked up in O(1): a body that repeats its first keys a
    /// million times must not cost a search of the list each (the fuzz target `aca_json` found
    /// that quadratic).
    unknown_seen: RefCell<std::collections::HashSet<String>>,
}

impl Trace {
    fn blame(&self, field: Field, failure: Failure) {
        self.culprit.set(Some((field, failure)));
    }

    fn missing<T, E: de::Error>(&self, slot: Option<T>, field: Field) -> Result<T, E> {
        slot.ok_or_else(|| {
            self.blame(field, Failure::Missing);
            E::missing_field(field.name())
        })
    }

    /// Read the value of a required field; `null` is refused rather than treated as absent
    /// because ACA's model declares these fields non-nullable.
    fn required<'de, A, T>(
        &self,
        map: &mut A,
        field: Field,
        slot: &mut Option<T>,
    ) -> Result<(), A::Error>
    where
        A: MapAccess<'de>,
        T: Deserialize<'de>,
    {
        self.check_duplicate::<A::Error>(field, slot.is_some())?;
        self.blame(field, Failure::Value);
        let Some(value) = map.next_value::<Option<T>>()? else {
            self.blame(field, Failure::Null);
            return Err(de::Error::invalid_type(
                Unexpected::Unit,
                &"a non-null value",
            ));
        };
        *slot = Some(value);
        Ok(())
    }

    /// Read the value of an optional field; `null` means absent (outer `Some` = key seen).
    fn optional<'de, A, T>(
        &self,
        map: &mut A,
        field: Field,
        slot: &mut Option<Option<T>>,
    ) -> Result<(), A::Error>
    where
        A: MapAccess<'de>,
        T: Deserialize<'de>,
    {
        self.check_duplicate::<A::Error>(field, slot.is_some())?;
        self.blame(field, Failure::Value);
        *slot = Some(map.next_value::<Option<T>>()?);
        Ok(())
    }

    fn check_duplicate<E: de::Error>(&self, field: Field, seen: bool) -> Result<(), E> {
        if seen {
            self.blame(field, Failure::Duplicate);
            return Err(E::duplicate_field(field.name()));
        }
        Ok(())
    }
}

struct RequestVisitor<'t> {
    trace: &'t Trace,
}

#[derive(Default)]
struct Slots {
    pa_fiscal_code: Option<String>,
    entity_type: Option<EntityType>,
    entity_fiscal_code: Option<String>,
    entity_full_name: Option<String>,
    iuv: Option<String>,
    nav: Option<Option<String>>,
    amount: Option<i64>,
    description: Option<String>,
    expiration_date: Option<String>,
    iban: Option<Option<String>>,
    postal_iban: Option<Option<String>>,
    switch_to_expired: Option<Option<bool>>,
    pay_stand_in: Option<Option<bool>>,
}

impl<'de> Visitor<'de> for RequestVisitor<'_> {
    type Value = NewDebtPositionRequest;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a NewDebtPositionRequest JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let t = self.trace;
        let mut s = Slots::default();
        while let Some(key) = map.next_key::<String>()? {
            let Some(field) = Field::from_name(&key) else {
                map.next_value::<IgnoredAny>()?;
                let mut unknown = t.unknown.borrow_mut();
                let mut seen = t.unknown_seen.borrow_mut();
                if unknown.len() < t.keep_unknown && !seen.contains(&key) {
                    seen.insert(key.clone());
                    unknown.push(key);
                }
                continue;
            };
            let m = &mut map;
            match field {
                Field::PaFiscalCode => t.required(m, field, &mut s.pa_fiscal_code)?,
                Field::EntityType => t.required(m, field, &mut s.entity_type)?,
                Field::EntityFiscalCode => t.required(m, field, &mut s.entity_fiscal_code)?,
                Field::EntityFullName => t.required(m, field, &mut s.entity_full_name)?,
                Field::Iuv => t.required(m, field, &mut s.iuv)?,
                Field::Nav => t.optional(m, field, &mut s.nav)?,
                Field::Amount => t.required(m, field, &mut s.amount)?,
                Field::Description => t.required(m, field, &mut s.description)?,
                Field::ExpirationDate => t.required(m, field, &mut s.expiration_date)?,
                Field::Iban => t.optional(m, field, &mut s.iban)?,
                Field::PostalIban => t.optional(m, field, &mut s.postal_iban)?,
                Field::SwitchToExpired => t.optional(m, field, &mut s.switch_to_expired)?,
                Field::PayStandIn => t.optional(m, field, &mut s.pay_stand_in)?,
            }
            // A later syntax error must not be pinned on the field just read.
            t.culprit.set(None);
        }
        Ok(NewDebtPositionRequest {
            pa_fiscal_code: t.missing(s.pa_fiscal_code, Field::PaFiscalCode)?,
            entity_type: t.missing(s.entity_type, Field::EntityType)?,
            entity_fiscal_code: t.missing(s.entity_fiscal_code, Field::EntityFiscalCode)?,
            entity_full_name: t.missing(s.entity_full_name, Field::EntityFullName)?,
            iuv: t.missing(s.iuv, Field::Iuv)?,
            nav: s.nav.flatten(),
            amount: t.missing(s.amount, Field::Amount)?,
            description: t.missing(s.description, Field::Description)?,
            expiration_date: t.missing(s.expiration_date, Field::ExpirationDate)?,
            iban: s.iban.flatten(),
            postal_iban: s.postal_iban.flatten(),
            switch_to_expired: s.switch_to_expired.flatten().unwrap_or(false),
            pay_stand_in: s.pay_stand_in.flatten().unwrap_or(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{
        RequestErrorKind as Kind, parse_and_validate, parse_request, parse_request_with_unknown,
    };
    use crate::aca::EntityType;

    const VALID: &str = r#"{
  "paFiscalCode": "77777777777",
  "entityType": "G",
  "entityFiscalCode": "12345678901",
  "entityFullName": "ACME S.p.A.",
  "iuv": "01000000000000144",
  "amount": 100,
  "description": "Canone 2025",
  "expirationDate": "2025-12-31T23:59:59Z"
}"#;

    fn with(key: &str, raw_value: &str) -> String {
        VALID.replacen('}', &format!(",\n  \"{key}\": {raw_value}\n}}"), 1)
    }

    #[test]
    fn parses_minimal_body_with_defaults() {
        let req = parse_request(VALID.as_bytes());
        let req = req.as_ref().ok();
        assert_eq!(req.map(|r| r.entity_type), Some(EntityType::G));
        assert_eq!(
            req.map(|r| (r.switch_to_expired, r.pay_stand_in)),
            Some((false, true))
        );
        assert_eq!(req.map(|r| r.nav.is_none() && r.iban.is_none()), Some(true));
    }

    #[test]
    fn null_optionals_are_absent_and_null_flags_take_defaults() {
        let body = with("nav", "null").replacen(
            '}',
            ",\"iban\":null,\"switchToExpired\":null,\"payStandIn\":null}",
            1,
        );
        let req = parse_request(body.as_bytes()).ok();
        assert_eq!(
            req.as_ref().map(|r| (r.nav.clone(), r.iban.clone())),
            Some((None, None))
        );
        assert_eq!(
            req.map(|r| (r.switch_to_expired, r.pay_stand_in)),
            Some((false, true))
        );
    }

    #[test]
    fn missing_field_is_named_with_position() {
        let body = VALID.replace("\"iuv\": \"01000000000000144\",", "");
        let err = parse_request(body.as_bytes()).err();
        let err = err.as_ref();
        assert_eq!(err.map(|e| e.kind), Some(Kind::MissingField));
        assert_eq!(err.and_then(|e| e.field.as_deref()), Some("/iuv"));
        assert_eq!(err.map(|e| e.rule.as_str()), Some("is required"));
        // serde_json reports a missing field at the closing brace.
        assert_eq!(err.map(|e| e.line), Some(10));
        let message = err.map(ToString::to_string).unwrap_or_default();
        assert!(
            message.contains("missing field `iuv`") && message.contains("line 10"),
            "{message}"
        );
    }

    #[test]
    fn wrong_type_names_the_field_serde_json_does_not() {
        let body = VALID.replace("\"amount\": 100", "\"amount\": \"100\"");
        let err = parse_request(body.as_bytes()).err();
        let err = err.as_ref();
        assert_eq!(err.map(|e| e.kind), Some(Kind::InvalidField));
        assert_eq!(err.and_then(|e| e.field.as_deref()), Some("/amount"));
        assert_eq!(
            (err.map(|e| e.line), err.map(|e| e.column)),
            (Some(7), Some(17))
        );
        let message = err.map(|e| e.message.as_str()).unwrap_or_default();
        assert!(
            message.starts_with("field `amount`: invalid type: string"),
            "{message}"
        );
    }

    #[test]
    fn bad_enum_float_and_overflow() {
        const AMOUNT: &str = "must be an integer between 0 and 99999999999";
        for (from, to, field, rule) in [
            (
                "\"G\"",
                "\"X\"",
                "/entityType",
                r#"must be one of "F", "G""#,
            ),
            (
                "\"G\"",
                "\"g\"",
                "/entityType",
                r#"must be one of "F", "G""#,
            ),
            ("\"amount\": 100", "\"amount\": 1.5", "/amount", AMOUNT),
            (
                "\"amount\": 100",
                "\"amount\": 9223372036854775808",
                "/amount",
                AMOUNT,
            ),
            ("\"amount\": 100", "\"amount\": -1e30", "/amount", AMOUNT),
            ("\"Canone 2025\"", "42", "/description", "must be a string"),
        ] {
            let err = parse_request(VALID.replacen(from, to, 1).as_bytes()).err();
            assert_eq!(
                err.as_ref().map(|e| e.kind),
                Some(Kind::InvalidField),
                "{to}"
            );
            assert_eq!(
                err.as_ref().and_then(|e| e.field.as_deref()),
                Some(field),
                "{to}"
            );
            assert_eq!(err.as_ref().map(|e| e.rule.as_str()), Some(rule), "{to}");
        }
        let err = parse_request(with("payStandIn", "\"true\"").as_bytes()).err();
        assert_eq!(err.map(|e| e.rule), Some("must be a boolean".to_owned()));
    }

    #[test]
    fn null_required_and_duplicate() {
        let err = parse_request(VALID.replace("\"G\"", "null").as_bytes()).err();
        assert_eq!(err.as_ref().map(|e| e.kind), Some(Kind::NullField));
        assert_eq!(err.and_then(|e| e.field), Some("/entityType".to_owned()));

        let err = parse_request(with("iuv", "\"1\"").as_bytes()).err();
        assert_eq!(err.as_ref().map(|e| e.kind), Some(Kind::DuplicateField));
        assert!(err.is_some_and(|e| e.message.contains("duplicate field `iuv`")));
    }

    #[test]
    fn unknown_keys_are_listed_once_in_order_and_ignored() {
        let body = with("postalIBAN", "\"IT60X0542811101000000123456\"").replacen(
            '}',
            ",\"extra\":{\"deep\":[1,{\"a\":null}]},\"postalIBAN\":1}",
            1,
        );
        let parsed = parse_request_with_unknown(body.as_bytes()).ok();
        assert_eq!(
            parsed.as_ref().map(|(_, unknown)| unknown.clone()),
            Some(vec!["postalIBAN".to_owned(), "extra".to_owned()])
        );
        assert_eq!(parsed.and_then(|(r, _)| r.postal_iban), None);
    }

    #[test]
    fn only_the_first_unknown_keys_are_listed() {
        let extra: String = (0..3 * super::MAX_UNKNOWN_KEYS)
            .map(|i| format!(",\"k{i}\":{i},\"k0\":0"))
            .collect();
        let body = VALID.replacen('}', &format!("{extra}}}"), 1);
        let (request, unknown) = parse_request_with_unknown(body.as_bytes()).unwrap();
        let first: Vec<String> = (0..super::MAX_UNKNOWN_KEYS)
            .map(|i| format!("k{i}"))
            .collect();
        assert_eq!(unknown, first);
        assert_eq!(parse_request(body.as_bytes()).ok(), Some(request));
    }

    #[test]
    fn not_json_and_not_an_object() {
        for (body, kind) in [
            (&b""[..], Kind::Syntax),
            (b"{", Kind::Syntax),
            (b"{\"iuv\": tru}", Kind::Syntax),
            (b"\xff\xfe", Kind::Syntax),
            (b"{\"iuv\": \"\xff\"}", Kind::Syntax),
            (VALID.replacen('}', "}}", 1).as_bytes(), Kind::Syntax),
            (b"[]", Kind::NotAnObject),
            (b"null", Kind::NotAnObject),
            (b"\"paFiscalCode\"", Kind::NotAnObject),
        ] {
            let err = parse_request(body).err();
            assert_eq!(err.as_ref().map(|e| e.kind), Some(kind), "{body:?}");
            assert_eq!(err.and_then(|e| e.field), None, "{body:?}");
        }
    }

    #[test]
    fn syntax_error_after_a_good_field_is_not_blamed_on_it() {
        let err = parse_request(b"{\"iuv\": \"1\" \"amount\": 1}").err();
        assert_eq!(err.as_ref().map(|e| e.kind), Some(Kind::Syntax));
        assert_eq!(err.map(|e| e.violation().field), Some(String::new()));
    }

    #[test]
    fn parse_and_validate_reports_either_stage() {
        assert!(parse_and_validate(VALID.as_bytes()).is_ok());
        let errs = parse_and_validate(
            VALID
                .replace("\"amount\": 100", "\"amount\": -1")
                .as_bytes(),
        );
        assert_eq!(
            errs.err().map(|v| v[0].field.clone()),
            Some("/amount".to_owned())
        );
        let errs = parse_and_validate(b"{}");
        assert_eq!(
            errs.err().map(|v| v[0].field.clone()),
            Some("/paFiscalCode".to_owned())
        );
    }

    #[test]
    fn plain_serde_json_uses_the_same_rules() {
        let req: Result<crate::aca::NewDebtPositionRequest, _> =
            serde_json::from_str(&with("x", "1"));
        assert!(req.is_ok());
        let err = serde_json::from_str::<crate::aca::NewDebtPositionRequest>("{}").err();
        assert!(err.is_some_and(|e| e.to_string().contains("missing field `paFiscalCode`")));
    }
}
