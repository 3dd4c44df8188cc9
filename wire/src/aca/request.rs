//! The `NewDebtPositionRequest` body and the constraints of its OpenAPI schema.

use super::datetime::is_rfc3339_date_time;
use super::violation::FieldViolation;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `AmountEuroCents.maximum`: 999 999 999.99 EUR.
const MAX_AMOUNT_CENTS: i64 = 99_999_999_999;

/// Rule of `amount`, both for an out-of-range integer and for a value that is not an integer
/// at all, so that every amount problem reads the same.
const AMOUNT_RULE: &str = "must be an integer between 0 and 99999999999";
/// Rule of `entityType`, for any value that is not one of the two letters.
const ENTITY_TYPE_RULE: &str = r#"must be one of "F", "G""#;
/// Rule of `expirationDate` when it is a string but not a date-time.
const DATE_TIME_RULE: &str = "must be an rfc 3339 date-time with offset";

/// Kind of debtor (`entityType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityType {
    /// Natural person (persona fisica): `entityFiscalCode` is a personal codice fiscale.
    F,
    /// Legal person (persona giuridica): `entityFiscalCode` is a fiscal code / VAT number.
    G,
}

impl EntityType {
    /// The wire letter, `"F"` or `"G"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::F => "F",
            EntityType::G => "G",
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Body of `POST /aca/v1/paCreatePosition`: create, update or (with `amount` 0) cancel the
/// position keyed by (`paFiscalCode`, `iuv`).
///
/// `Deserialize` is implemented by hand (see [`parse_request`](super::parse_request)) so that a
/// failure names the field; unknown keys are ignored, `null` on an optional field counts as
/// absent, and a repeated key is an error. `Serialize` omits absent optional fields and always
/// writes both flags.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewDebtPositionRequest {
    /// Fiscal code of the creating EC; exactly 11 characters.
    pub pa_fiscal_code: String,
    /// Kind of debtor.
    pub entity_type: EntityType,
    /// Debtor's fiscal code or VAT number; at least 2 characters.
    pub entity_fiscal_code: String,
    /// Debtor's name; 1 to 255 characters.
    pub entity_full_name: String,
    /// The position's IUV; 1 to 255 characters.
    pub iuv: String,
    /// Notice number; 1 to 255 characters when present, `"3" + iuv` when absent
    /// (see [`nav_or_default`](Self::nav_or_default)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nav: Option<String>,
    /// Amount in euro cents, 0 to 99 999 999 999; 0 cancels or closes the position.
    pub amount: i64,
    /// Payment reason shown to the payer; 1 to 255 characters.
    pub description: String,
    /// Due date, an RFC 3339 date-time with offset. Kept as text so that a bad value reaches
    /// [`validate`](Self::validate) instead of failing the parse.
    pub expiration_date: String,
    /// IBAN credited in Stand-In; exactly 27 characters. When neither IBAN is sent ACA uses the
    /// EC's back-office IBAN labelled `ACA` (DOMAIN.md §7.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// Postal IBAN credited in Stand-In; exactly 27 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_iban: Option<String>,
    /// Whether the position expires at `expirationDate` (becomes unpayable); default `false`.
    pub switch_to_expired: bool,
    /// Whether the position may be paid in Stand-In; default `true`.
    pub pay_stand_in: bool,
}

impl NewDebtPositionRequest {
    /// Every schema violation, in field order; empty when the request is valid.
    ///
    /// Lengths are counted in Unicode scalar values, as JSON Schema's `minLength`/`maxLength`
    /// do. Types, presence and `entityType` are already guaranteed by the Rust types; a body
    /// that breaks them is reported by [`parse_request`](super::parse_request) instead.
    pub fn validate(&self) -> Vec<FieldViolation> {
        let mut out = Vec::new();
        let strings = [
            (Field::PaFiscalCode, Some(&self.pa_fiscal_code)),
            (Field::EntityFiscalCode, Some(&self.entity_fiscal_code)),
            (Field::EntityFullName, Some(&self.entity_full_name)),
            (Field::Iuv, Some(&self.iuv)),
            (Field::Nav, self.nav.as_ref()),
        ];
        check_lengths(&mut out, strings);
        if !(0..=MAX_AMOUNT_CENTS).contains(&self.amount) {
            out.push(Field::Amount.violation(AMOUNT_RULE, Some(self.amount.to_string())));
        }
        check_lengths(&mut out, [(Field::Description, Some(&self.description))]);
        if !is_rfc3339_date_time(&self.expiration_date) {
            out.push(
                Field::ExpirationDate.violation(DATE_TIME_RULE, Some(self.expiration_date.clone())),
            );
        }
        check_lengths(
            &mut out,
            [
                (Field::Iban, self.iban.as_ref()),
                (Field::PostalIban, self.postal_iban.as_ref()),
            ],
        );
        out
    }

    /// The notice number: `nav` when sent, otherwise `"3" + iuv` as ACA derives it.
    pub fn nav_or_default(&self) -> String {
        match &self.nav {
            Some(nav) => nav.clone(),
            None => format!("3{}", self.iuv),
        }
    }

    /// Whether this call cancels or closes the position (`amount == 0`), the only way to do so
    /// through ACA; on a position ACA does not hold it is refused.
    pub fn is_cancellation(&self) -> bool {
        self.amount == 0
    }
}

fn check_lengths<const N: usize>(
    out: &mut Vec<FieldViolation>,
    fields: [(Field, Option<&String>); N],
) {
    for (field, value) in fields {
        let (Some(value), Some((min, max))) = (value, field.length_bounds()) else {
            continue;
        };
        let len = value.chars().count();
        if len < min || max.is_some_and(|max| len > max) {
            out.push(field.violation(length_rule(min, max), Some(value.clone())));
        }
    }
}

fn length_rule(min: usize, max: Option<usize>) -> String {
    match max {
        Some(max) if max == min => format!("length must be exactly {min}"),
        Some(max) => format!("length must be between {min} and {max}"),
        None => format!("length must be at least {min}"),
    }
}

/// The top-level properties of `NewDebtPositionRequest`, in schema order, which is also the
/// order violations and missing fields are reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    PaFiscalCode,
    EntityType,
    EntityFiscalCode,
    EntityFullName,
    Iuv,
    Nav,
    Amount,
    Description,
    ExpirationDate,
    Iban,
    PostalIban,
    SwitchToExpired,
    PayStandIn,
}

impl Field {
    const ALL: [Field; 13] = [
        Field::PaFiscalCode,
        Field::EntityType,
        Field::EntityFiscalCode,
        Field::EntityFullName,
        Field::Iuv,
        Field::Nav,
        Field::Amount,
        Field::Description,
        Field::ExpirationDate,
        Field::Iban,
        Field::PostalIban,
        Field::SwitchToExpired,
        Field::PayStandIn,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Field::PaFiscalCode => "paFiscalCode",
            Field::EntityType => "entityType",
            Field::EntityFiscalCode => "entityFiscalCode",
            Field::EntityFullName => "entityFullName",
            Field::Iuv => "iuv",
            Field::Nav => "nav",
            Field::Amount => "amount",
            Field::Description => "description",
            Field::ExpirationDate => "expirationDate",
            Field::Iban => "iban",
            Field::PostalIban => "postalIban",
            Field::SwitchToExpired => "switchToExpired",
            Field::PayStandIn => "payStandIn",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }

    pub(super) fn pointer(self) -> String {
        format!("/{}", self.name())
    }

    pub(super) fn violation(
        self,
        rule: impl Into<String>,
        value: Option<String>,
    ) -> FieldViolation {
        FieldViolation::new(self.pointer(), rule, value)
    }

    /// The rule broken by a JSON value of the wrong type (or, for the enum, any wrong value).
    pub(super) fn type_rule(self) -> &'static str {
        match self {
            Field::EntityType => ENTITY_TYPE_RULE,
            Field::Amount => AMOUNT_RULE,
            Field::SwitchToExpired | Field::PayStandIn => "must be a boolean",
            _ => "must be a string",
        }
    }

    /// `minLength` and `maxLength` from the schema (plus the exact IBAN length from the spec).
    fn length_bounds(self) -> Option<(usize, Option<usize>)> {
        match self {
            Field::PaFiscalCode => Some((11, Some(11))),
            Field::EntityFiscalCode => Some((2, None)),
            Field::EntityFullName | Field::Iuv | Field::Nav | Field::Description => {
                Some((1, Some(255)))
            }
            Field::Iban | Field::PostalIban => Some((27, Some(27))),
            Field::EntityType
            | Field::Amount
            | Field::ExpirationDate
            | Field::SwitchToExpired
            | Field::PayStandIn => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{EntityType, Field, NewDebtPositionRequest};

    fn valid() -> NewDebtPositionRequest {
        NewDebtPositionRequest {
            pa_fiscal_code: "77777777777".into(),
            entity_type: EntityType::F,
            entity_fiscal_code: "RSSMRA80A01H501U".into(),
            entity_full_name: "Mario Rossi".into(),
            iuv: "01000000000000144".into(),
            nav: None,
            amount: 10_050,
            description: "TARI 2025".into(),
            expiration_date: "2025-12-31T23:59:59+01:00".into(),
            iban: Some("IT60X0542811101000000123456".into()),
            postal_iban: None,
            switch_to_expired: false,
            pay_stand_in: true,
        }
    }

    fn rules(req: &NewDebtPositionRequest) -> Vec<(String, String)> {
        req.validate()
            .into_iter()
            .map(|v| (v.field, v.rule))
            .collect()
    }

    #[test]
    fn valid_request_has_no_violations() {
        assert_eq!(rules(&valid()), vec![]);
    }

    #[test]
    fn field_names_round_trip() {
        for field in Field::ALL {
            assert_eq!(Field::from_name(field.name()), Some(field));
        }
        assert_eq!(Field::from_name("PaFiscalCode"), None);
    }

    #[test]
    fn length_bounds_are_inclusive_and_count_characters() {
        let mut req = valid();
        req.description = "è".repeat(255);
        req.entity_full_name = "x".into();
        req.entity_fiscal_code = "AB".into();
        req.nav = Some("3".repeat(255));
        assert_eq!(rules(&req), vec![]);

        req.description = "è".repeat(256);
        req.entity_full_name = String::new();
        req.entity_fiscal_code = "A".into();
        req.nav = Some(String::new());
        assert_eq!(
            rules(&req),
            vec![
                (
                    "/entityFiscalCode".into(),
                    "length must be at least 2".into()
                ),
                (
                    "/entityFullName".into(),
                    "length must be between 1 and 255".into()
                ),
                ("/nav".into(), "length must be between 1 and 255".into()),
                (
                    "/description".into(),
                    "length must be between 1 and 255".into()
                ),
            ]
        );
    }

    #[test]
    fn exact_lengths_and_amount_range() {
        let mut req = valid();
        req.pa_fiscal_code = "7777777777".into();
        req.amount = -1;
        req.iban = Some("IT60X054281110100000012345".into());
        req.postal_iban = Some("IT60X05428111010000001234567".into());
        req.expiration_date = "2025-12-31".into();
        let found = req.validate();
        assert_eq!(
            found
                .iter()
                .map(|v| (v.field.as_str(), v.rule.as_str()))
                .collect::<Vec<_>>(),
            vec![
                ("/paFiscalCode", "length must be exactly 11"),
                ("/amount", "must be an integer between 0 and 99999999999"),
                (
                    "/expirationDate",
                    "must be an rfc 3339 date-time with offset"
                ),
                ("/iban", "length must be exactly 27"),
                ("/postalIban", "length must be exactly 27"),
            ]
        );
        assert_eq!(found[1].value.as_deref(), Some("-1"));

        let mut req = valid();
        req.amount = 99_999_999_999;
        assert_eq!(rules(&req), vec![]);
        req.amount = 100_000_000_000;
        assert_eq!(rules(&req).len(), 1);
        req.amount = 0;
        assert_eq!(rules(&req), vec![]);
    }

    #[test]
    fn nav_defaults_to_aux_digit_3_and_iuv() {
        let mut req = valid();
        assert_eq!(req.nav_or_default(), "301000000000000144");
        req.nav = Some("301000000000000199".into());
        assert_eq!(req.nav_or_default(), "301000000000000199");
    }

    #[test]
    fn cancellation_is_amount_zero() {
        let mut req = valid();
        assert!(!req.is_cancellation());
        req.amount = 0;
        assert!(req.is_cancellation());
    }

    #[test]
    fn serialization_skips_absent_options_and_keeps_flags() {
        let json = serde_json::to_value(valid()).unwrap_or_default();
        let keys: Vec<&str> = json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert!(keys.contains(&"paFiscalCode") && keys.contains(&"iban"));
        assert!(keys.contains(&"switchToExpired") && keys.contains(&"payStandIn"));
        assert!(!keys.contains(&"nav") && !keys.contains(&"postalIban"));
        assert_eq!(json["entityType"], "F");
        assert_eq!(json["amount"], 10_050);
    }
}
