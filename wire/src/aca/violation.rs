//! One broken rule of a `paCreatePosition` body, named by JSON pointer.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest value echoed by `Display`: a 10 MB description must not end up whole in a log line
/// or a 400 `detail`. The [`FieldViolation::value`] field itself is never cut.
const DISPLAY_VALUE_CHARS: usize = 64;

/// A field of the request body that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldViolation {
    /// JSON pointer (RFC 6901) to the field, e.g. `/iban`; empty for the body as a whole.
    pub field: String,
    /// The rule, as a lowercase sentence fragment that reads after the field name, e.g.
    /// `length must be exactly 27`.
    pub rule: String,
    /// The offending value as text, when there is one (absent for a missing field or a body
    /// that is not JSON).
    pub value: Option<String>,
}

impl FieldViolation {
    /// A violation of `rule` by `field`, with the offending `value` if any.
    pub fn new(field: impl Into<String>, rule: impl Into<String>, value: Option<String>) -> Self {
        FieldViolation {
            field: field.into(),
            rule: rule.into(),
            value,
        }
    }
}

impl fmt::Display for FieldViolation {
    /// `/iban length must be exactly 27 (got "IT00")`; the body as a whole shows as `body`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = if self.field.is_empty() {
            "body"
        } else {
            &self.field
        };
        write!(f, "{field} {}", self.rule)?;
        if let Some(value) = &self.value {
            let mut shown: String = value.chars().take(DISPLAY_VALUE_CHARS).collect();
            if shown.len() < value.len() {
                shown.push('…');
            }
            write!(f, " (got {shown:?})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::FieldViolation;

    #[test]
    fn display_names_field_rule_and_value() {
        let v = FieldViolation::new("/iban", "length must be exactly 27", Some("IT00".into()));
        assert_eq!(
            v.to_string(),
            r#"/iban length must be exactly 27 (got "IT00")"#
        );
        let v = FieldViolation::new("", "must be well-formed json", None);
        assert_eq!(v.to_string(), "body must be well-formed json");
    }

    #[test]
    fn display_cuts_long_values_but_field_keeps_them() {
        let long = "é".repeat(300);
        let v = FieldViolation::new(
            "/description",
            "length must be between 1 and 255",
            Some(long),
        );
        let shown = v.to_string();
        assert!(shown.ends_with("…\")"), "{shown}");
        assert_eq!(shown.matches('é').count(), 64);
        assert_eq!(v.value.map(|s| s.chars().count()), Some(300));
    }
}
