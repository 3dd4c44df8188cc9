//! Error bodies: the contracts' `ProblemJson` (`title`, `status`, `detail`).
//!
//! The 401 and 403 answers come from APIM in front of GPD, whose body in the contracts' 403
//! example is `{"statusCode": 403, "message": …}`; the mock sends those two keys *and* the
//! ProblemJson ones, so a client reading either shape finds what it expects (docs/gpd.md).

use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What exactly went wrong; for a validation error it names the field.
    pub detail: String,
    /// APIM's `statusCode` (401 and 403 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// APIM's `message` (401 and 403 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Problem {
    /// A ProblemJson.
    pub fn new(status: u16, title: impl Into<String>, detail: impl Into<String>) -> Self {
        Problem {
            title: title.into(),
            status,
            detail: detail.into(),
            status_code: None,
            message: None,
        }
    }

    /// 400 naming the offending field, e.g. `paymentOption[0].transfer[1].amount`.
    pub fn field(field: &str, what: impl std::fmt::Display) -> Self {
        Problem::new(
            400,
            "Bad Request",
            format!("Error in the debt position request data: {field}: {what}"),
        )
    }

    /// 400 for a body that is not JSON, with line and column.
    pub fn malformed(line: usize, column: usize, what: impl std::fmt::Display) -> Self {
        Problem::new(
            400,
            "Bad Request",
            format!("Malformed JSON at line {line} column {column}: {what}"),
        )
    }

    /// 401 from APIM.
    pub fn unauthorized(missing: bool) -> Self {
        let message = if missing {
            "Access denied due to missing subscription key. Make sure to include subscription \
             key when making requests to an API."
        } else {
            "Access denied due to invalid subscription key. Make sure to provide a valid key \
             for an active subscription."
        };
        Problem {
            status_code: Some(401),
            message: Some(message.to_string()),
            ..Problem::new(401, "Unauthorized", message)
        }
    }

    /// 403 from APIM: the key is not enabled for this organisation.
    pub fn forbidden(organization: &str) -> Self {
        let message = "You are not allowed to access this resource.";
        Problem {
            status_code: Some(403),
            message: Some(message.to_string()),
            ..Problem::new(
                403,
                "Forbidden",
                format!(
                    "{message} The subscription key is not enabled for organization {organization}"
                ),
            )
        }
    }

    /// 404 for an unknown position.
    pub fn position_not_found(org: &str, iupd: &str) -> Self {
        Problem::new(
            404,
            "Not found the debt position",
            format!("Not found a debt position for Organization Fiscal Code {org} and IUPD {iupd}"),
        )
    }

    /// 409 for a duplicate IUPD, IUV or NAV.
    pub fn duplicate(org: &str, what: &str) -> Self {
        Problem::new(
            409,
            "The debt position violated constraints of uniqueness",
            format!(
                "Already exists a debt position for the Organization Fiscal Code {org} or one of \
                 its payment options is not unique: {what}"
            ),
        )
    }

    /// 409 for a refused transition.
    pub fn conflict(title: &str, detail: String) -> Self {
        Problem::new(409, title, detail)
    }

    /// 413.
    pub fn too_large(limit: usize) -> Self {
        Problem::new(
            413,
            "Payload Too Large",
            format!("Request body larger than {limit} bytes"),
        )
    }

    /// 500, for a handler that panicked.
    pub fn internal() -> Self {
        Problem::new(
            500,
            "Internal Server Error",
            "Unexpected error in the mock GPD",
        )
    }

    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}
