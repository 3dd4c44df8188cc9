//! What the mock ACA answers, as a plain function over a request value: no socket, no axum.
//!
//! The order of the checks follows the path of a real call: the gateway first (route, method,
//! subscription key, body size), then the ACA service (schema, segregation codes, EC in the
//! back office), then GPD behind it (state of the stored position).

use super::config::AcaConfig;
use super::faults::{self, Faults};
use super::iban::ResolvedIban;
use super::query::{self, KEY_PARAM, SEGREGATION_PARAM};
use super::store::{AcaPosition, AcaStore, ApplyRejection, HistoryAction, iupd};
use crate::clock::VirtualTime;
use axum::http::HeaderMap;
use collaudo_wire::aca::{DebtPositionResponse, ProblemJson, parse_and_validate};

/// Path of the one operation (`https://api.platform.pagopa.it/aca/v1/paCreatePosition`).
pub const ACA_PATH: &str = "/aca/v1/paCreatePosition";

/// Header carrying the subscription key (APIM's `apiKeyHeader` scheme).
pub(super) const KEY_HEADER: &str = "ocp-apim-subscription-key";

/// The request body as far as the transport could read it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Body<'a> {
    /// Read whole, within the limit.
    Complete(&'a [u8]),
    /// Larger than the configured limit.
    TooLarge,
    /// Not received in time.
    TimedOut,
    /// The client broke off or sent a malformed chunked body.
    Broken,
}

/// One HTTP request to the mock ACA.
#[derive(Debug, Clone, Copy)]
pub(super) struct AcaRequest<'a> {
    pub(super) method: &'a str,
    pub(super) path: &'a str,
    pub(super) query: Option<&'a str>,
    pub(super) headers: &'a HeaderMap,
    pub(super) body: Body<'a>,
}

/// The answer, with what the log needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AcaReply {
    pub(super) status: u16,
    /// JSON: a `DebtPositionResponse` or a `ProblemJson`.
    pub(super) body: Vec<u8>,
    /// Whether to send `Allow: POST` (a 405).
    pub(super) allow_post: bool,
    pub(super) action: Option<HistoryAction>,
    pub(super) iupd: Option<String>,
    /// Whether the answer is an injected fault rather than the outcome of the call.
    pub(super) injected: bool,
}

impl AcaReply {
    fn problem(problem: &ProblemJson) -> AcaReply {
        AcaReply {
            status: problem.status,
            body: to_json(problem),
            allow_post: false,
            action: None,
            iupd: None,
            injected: false,
        }
    }

    fn with_iupd(mut self, iupd: String) -> AcaReply {
        self.iupd = Some(iupd);
        self
    }

    /// 500, for a handler that panicked: the caller sees a ProblemJson, never a dropped
    /// connection.
    pub(super) fn internal_error() -> AcaReply {
        AcaReply::problem(&ProblemJson::internal_error())
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // These types serialize to JSON objects with string keys, which cannot fail; the fallback
    // keeps the answer well-formed if that ever changed.
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

/// Answer `request`, arrived at scenario time `at`, updating `store` when it is accepted.
pub(super) fn handle_request(
    config: &AcaConfig,
    store: &AcaStore,
    request: &AcaRequest<'_>,
    at: VirtualTime,
) -> AcaReply {
    if request.path != ACA_PATH {
        return AcaReply::problem(&ProblemJson::new(
            404,
            "Not Found",
            format!("No route for {} {}", request.method, request.path),
        ));
    }
    if request.method != "POST" {
        let mut reply = AcaReply::problem(&ProblemJson::new(
            405,
            "Method Not Allowed",
            format!("{} is not allowed on {ACA_PATH}, only POST", request.method),
        ));
        reply.allow_post = true;
        return reply;
    }
    if !authorised(config, request) {
        return AcaReply::problem(&ProblemJson::unauthorized());
    }
    let body = match request.body {
        Body::Complete(body) => body,
        Body::TooLarge => {
            return AcaReply::problem(&ProblemJson::payload_too_large(config.body_limit));
        }
        Body::TimedOut => {
            return AcaReply::problem(&ProblemJson::new(
                408,
                "Request Timeout",
                "Request body not received in time",
            ));
        }
        Body::Broken => {
            return AcaReply::problem(&ProblemJson::new(
                400,
                "Bad request",
                "Request body could not be read",
            ));
        }
    };
    let position = match parse_and_validate(body) {
        Ok(position) => position,
        Err(violations) => return AcaReply::problem(&ProblemJson::invalid_input(&violations)),
    };
    let key = iupd(&position.pa_fiscal_code, &position.iuv);
    if !segregation_allowed(request.query, &position.iuv) {
        return AcaReply::problem(&ProblemJson::forbidden(&position.iuv)).with_iupd(key);
    }
    let company_name = match config.backoffice.ec(&position.pa_fiscal_code) {
        Some(ec) if ec.enabled => ec.company_name.clone(),
        // A disabled EC is as unknown to ACA as a missing one: the registry lookup fails.
        _ => {
            let problem =
                ProblemJson::not_found_creditor_institution(&position.pa_fiscal_code, &key);
            return AcaReply::problem(&problem).with_iupd(key);
        }
    };
    let iban = ResolvedIban::resolve(&position, &config.backoffice, &config.standin_ibans);
    match store.apply(&position, &iban, at) {
        Ok(applied) => AcaReply {
            status: 200,
            body: to_json(&response(&applied.position, company_name)),
            allow_post: false,
            action: Some(applied.action),
            iupd: Some(key),
            injected: false,
        },
        Err(rejection) => {
            let problem = match rejection {
                ApplyRejection::CancelUnknown => ProblemJson::unprocessable(),
                ApplyRejection::Unmodifiable { .. } => {
                    ProblemJson::unauthorized_action(&position.iuv)
                }
                ApplyRejection::TooLarge => ProblemJson::internal_error(),
            };
            AcaReply::problem(&problem).with_iupd(key)
        }
    }
}

/// The answer of the next pending fault, if one is pending and `request` is a call faults
/// apply to: a POST to [`ACA_PATH`] whose body was read whole (see [`faults`](super::faults)).
/// Nothing is applied: the store is only read, to word a 409 as GPD would. The call's IUPD is
/// kept for the log when its body is a valid position.
pub(super) fn injected_reply(
    faults: &Faults,
    store: &AcaStore,
    request: &AcaRequest<'_>,
) -> Option<AcaReply> {
    if request.path != ACA_PATH || request.method != "POST" {
        return None;
    }
    let Body::Complete(body) = request.body else {
        return None;
    };
    let status = faults.take()?;
    let position = parse_and_validate(body).ok();
    let exists = status == 409
        && position
            .as_ref()
            .is_some_and(|p| store.get(&p.pa_fiscal_code, &p.iuv).is_some());
    let mut reply = AcaReply::problem(&faults::problem(status, position.as_ref(), exists));
    reply.injected = true;
    reply.iupd = position.map(|p| iupd(&p.pa_fiscal_code, &p.iuv));
    Some(reply)
}

/// The key from the header, else from the query; APIM reads the header first, so a wrong key
/// there is not rescued by a right one in the query.
fn authorised(config: &AcaConfig, request: &AcaRequest<'_>) -> bool {
    let key = match request.headers.get(KEY_HEADER) {
        Some(header) => Some(header.as_bytes().to_vec()),
        None => query::values(request.query, KEY_PARAM)
            .into_iter()
            .next()
            .map(String::into_bytes),
    };
    key.is_some_and(|key| {
        config
            .subscription_keys
            .iter()
            .any(|accepted| accepted.as_bytes() == key)
    })
}

/// Whether the IUV's first two digits are among the `segregationCodes` of the query; true when
/// the parameter is absent. Every occurrence counts, each a comma-separated list.
fn segregation_allowed(query: Option<&str>, iuv: &str) -> bool {
    let lists = query::values(query, SEGREGATION_PARAM);
    if lists.is_empty() {
        return true;
    }
    let Some(code) = iuv.get(..2) else {
        return false;
    };
    lists
        .iter()
        .flat_map(|list| list.split(','))
        .any(|allowed| allowed.trim() == code)
}

/// The 200 body: the stored position, the EC's name, and the resolved IBAN in place of an
/// absent one (ACA answers with the GPD position, whose transfer carries the IBAN it chose).
fn response(position: &AcaPosition, company_name: Option<String>) -> DebtPositionResponse {
    let mut body = DebtPositionResponse::from_request(
        &position.request,
        company_name,
        position.status.as_str(),
    );
    if body.iban.is_none() && body.postal_iban.is_none() {
        if position.iban.postal {
            body.postal_iban = position.iban.iban.clone();
        } else {
            body.iban = position.iban.iban.clone();
        }
    }
    body
}

#[cfg(test)]
mod tests;
