//! `ProblemJson` (RFC 7807) error bodies, with the titles and details ACA uses.
//!
//! Titles and details follow the examples of `paCreatePosition.json`. Where the example is the
//! placeholder `"string"` (400, 500, 502), the title is the one the ACA service itself sets;
//! 401, 403 and 413 are not in the OpenAPI at all (they come from APIM or the mock's own limits)
//! and use plain HTTP reason phrases.

use super::violation::FieldViolation;
use serde::{Deserialize, Serialize};

/// The schema default of `type`; ACA never sets another.
const ABOUT_BLANK: &str = "about:blank";

/// Title of the errors ACA relays from GPD (404, 409, 502).
const INVOCATION_EXCEPTION: &str = "Invocation exception";

/// Error body of every non-2xx ACA answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProblemJson {
    /// URI identifying the problem type; `about:blank` when absent.
    #[serde(default = "about_blank")]
    pub r#type: String,
    /// Short summary of the problem type.
    #[serde(default)]
    pub title: String,
    /// HTTP status code (100–599).
    pub status: u16,
    /// Explanation of this occurrence.
    #[serde(default)]
    pub detail: String,
    /// URI of this occurrence, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

fn about_blank() -> String {
    ABOUT_BLANK.to_owned()
}

/// Which GPD operation ran into a conflict (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictOp {
    /// Creating a position that GPD already holds.
    Create,
    /// Updating a position.
    Update,
    /// Invalidating (cancelling) a position.
    Invalidate,
}

impl ProblemJson {
    /// A problem with `type` `about:blank` and no `instance`.
    pub fn new(status: u16, title: impl Into<String>, detail: impl Into<String>) -> Self {
        ProblemJson {
            r#type: about_blank(),
            title: title.into(),
            status,
            detail: detail.into(),
            instance: None,
        }
    }

    /// The same problem with `instance` set.
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// 400: the body is not JSON, not a `NewDebtPositionRequest`, or breaks the schema. The
    /// detail names every violated field, e.g. `Formally invalid input: /iban length must be
    /// exactly 27 (got "IT00")`.
    pub fn invalid_input(violations: &[FieldViolation]) -> Self {
        let mut detail = String::from("Formally invalid input");
        for (i, violation) in violations.iter().enumerate() {
            detail.push_str(if i == 0 { ": " } else { "; " });
            detail.push_str(&violation.to_string());
        }
        ProblemJson::new(400, "Bad request", detail)
    }

    /// 401: no or an unknown subscription key.
    ///
    /// The real gateway (APIM) answers 401 with its own `{statusCode, message}` body, not a
    /// `ProblemJson`; this is the mock's rendering of the same refusal.
    pub fn unauthorized() -> Self {
        ProblemJson::new(
            401,
            "Unauthorized",
            "Access denied due to missing or invalid subscription key",
        )
    }

    /// 403: the IUV's first two digits are not among the caller's `segregationCodes`.
    ///
    /// ACA itself answers this 403 with an empty body.
    pub fn forbidden(iuv: &str) -> Self {
        ProblemJson::new(
            403,
            "Forbidden",
            format!("Segregation code of iuv {iuv} is not among the authorised segregationCodes"),
        )
    }

    /// 404 (OpenAPI example `iupd_not_found`): invalidating a position GPD does not hold.
    pub fn not_found_iupd(iupd: &str) -> Self {
        ProblemJson::new(
            404,
            INVOCATION_EXCEPTION,
            format!("Error while invalidate debit position. Debit position not found with {iupd}"),
        )
    }

    /// 404 (OpenAPI example `pa_fiscal_code_not_found`): no position for that EC and IUPD.
    pub fn not_found_creditor_institution(creditor_institution_code: &str, iupd: &str) -> Self {
        ProblemJson::new(
            404,
            INVOCATION_EXCEPTION,
            format!(
                "No debt position found with Creditor institution code \
                 {creditor_institution_code} and {iupd}"
            ),
        )
    }

    /// 409 (OpenAPI examples `create`, `update`, `invalidate`): GPD refused the operation.
    pub fn conflict(op: ConflictOp) -> Self {
        let verb = match op {
            ConflictOp::Create => "create new",
            ConflictOp::Update => "update",
            ConflictOp::Invalidate => "invalidate",
        };
        ProblemJson::new(
            409,
            INVOCATION_EXCEPTION,
            format!("Error while {verb} debit position conflict into request"),
        )
    }

    /// 409 (OpenAPI example `unauthorized_action`): the stored position is in a state that
    /// cannot be modified (not DRAFT, PUBLISHED, VALID or EXPIRED).
    pub fn unauthorized_action(iuv: &str) -> Self {
        ProblemJson::new(
            409,
            "Unauthorized action",
            format!("Unauthorized action on debt position with iuv {iuv}"),
        )
    }

    /// 413: the body is larger than the mock accepts.
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        ProblemJson::new(
            413,
            "Payload too large",
            format!("Request body larger than {limit_bytes} bytes"),
        )
    }

    /// 422: the action cannot be applied, e.g. `amount` 0 on a position ACA does not hold.
    pub fn unprocessable() -> Self {
        ProblemJson::new(
            422,
            "Unprocessable request",
            "Can not perform the requested action on debit position",
        )
    }

    /// 500: unexpected failure inside ACA.
    pub fn internal_error() -> Self {
        ProblemJson::new(500, "Error processing the request", "Internal server error")
    }

    /// 502: GPD, behind ACA, failed.
    pub fn bad_gateway() -> Self {
        ProblemJson::new(
            502,
            INVOCATION_EXCEPTION,
            "Bad gateway, error while execute request",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{ConflictOp, ProblemJson};
    use crate::aca::FieldViolation;

    #[test]
    fn constructors_carry_their_status() {
        let cases = [
            (ProblemJson::invalid_input(&[]), 400),
            (ProblemJson::unauthorized(), 401),
            (ProblemJson::forbidden("01000000000000144"), 403),
            (ProblemJson::not_found_iupd("ACA_77777777777_01"), 404),
            (
                ProblemJson::not_found_creditor_institution("77777777777", "X"),
                404,
            ),
            (ProblemJson::conflict(ConflictOp::Create), 409),
            (ProblemJson::unauthorized_action("01"), 409),
            (ProblemJson::payload_too_large(1024), 413),
            (ProblemJson::unprocessable(), 422),
            (ProblemJson::internal_error(), 500),
            (ProblemJson::bad_gateway(), 502),
        ];
        for (problem, status) in cases {
            assert_eq!(problem.status, status, "{problem:?}");
            assert_eq!(problem.r#type, "about:blank");
            assert!(!problem.title.is_empty() && !problem.detail.is_empty());
        }
    }

    #[test]
    fn details_follow_the_openapi_examples() {
        assert_eq!(
            ProblemJson::conflict(ConflictOp::Create).detail,
            "Error while create new debit position conflict into request"
        );
        assert_eq!(
            ProblemJson::conflict(ConflictOp::Invalidate).detail,
            "Error while invalidate debit position conflict into request"
        );
        let action = ProblemJson::unauthorized_action("01000000000000144");
        assert_eq!(action.title, "Unauthorized action");
        assert_eq!(
            action.detail,
            "Unauthorized action on debt position with iuv 01000000000000144"
        );
        assert_eq!(
            ProblemJson::invalid_input(&[]).detail,
            "Formally invalid input"
        );
    }

    #[test]
    fn invalid_input_lists_every_field() {
        let problem = ProblemJson::invalid_input(&[
            FieldViolation::new("/paFiscalCode", "is required", None),
            FieldViolation::new(
                "/amount",
                "must be an integer between 0 and 99999999999",
                Some("-1".into()),
            ),
        ]);
        assert_eq!(
            problem.detail,
            "Formally invalid input: /paFiscalCode is required; \
             /amount must be an integer between 0 and 99999999999 (got \"-1\")"
        );
    }

    #[test]
    fn json_shape() {
        let json = serde_json::to_value(ProblemJson::unprocessable().with_instance("/x/1"))
            .unwrap_or_default();
        assert_eq!(json["type"], "about:blank");
        assert_eq!(json["status"], 422);
        assert_eq!(json["instance"], "/x/1");
        let json = serde_json::to_value(ProblemJson::unprocessable()).unwrap_or_default();
        assert!(json.get("instance").is_none());

        let parsed: Result<ProblemJson, _> = serde_json::from_str(r#"{"status":403}"#);
        assert_eq!(parsed.ok(), Some(ProblemJson::new(403, "", "")));
    }
}
