//! The axum transport, and [`GpdState`]: the configuration and store shared by the HTTP
//! server and the Nodo's programmatic calls.
//!
//! Every path and method goes through one fallback handler, so a call to a wrong route is
//! logged like any other and answered with a ProblemJson rather than axum's empty 404/405.

use super::config::GpdConfig;
use super::handler::{Body, GpdReply, GpdRequest, KEY_PARAM, handle_request};
use super::model::{Position, PositionStatus};
use super::nodo::{PayableOption, Receipt, ReceiptData, Refusal};
use super::problem::Problem;
use super::routes::Api;
use super::store::{GpdCall, GpdStore, logged};
use super::wire::{self, Ctx};
use crate::body::ReadOutcome;
use crate::clock::VirtualTime;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the server and the Nodo share: configuration and store.
#[derive(Debug)]
pub struct GpdState {
    config: GpdConfig,
    store: GpdStore,
    request_ids: AtomicU64,
}

impl GpdState {
    /// A state with a new, empty store.
    pub fn new(config: GpdConfig) -> Self {
        let store = GpdStore::new(config.retain_calls);
        GpdState::with_store(config, store)
    }

    /// A state over an existing store.
    pub fn with_store(config: GpdConfig, store: GpdStore) -> Self {
        GpdState {
            config,
            store,
            request_ids: AtomicU64::new(0),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GpdConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &GpdStore {
        &self.store
    }

    /// Scenario time now.
    pub fn now(&self) -> VirtualTime {
        self.config.clock.now()
    }

    /// Create a position without HTTP (seeding a scenario, a benchmark): `body` is a
    /// `PaymentPositionModel` (v1) or `PaymentPositionModelV3` (v3, any other `api`), validated
    /// and stored exactly as `POST …/debtpositions?toPublish={publish}` would. Not logged as a
    /// call.
    ///
    /// # Errors
    /// The [`Problem`] the HTTP call would answer (400, 409).
    pub fn create(
        &self,
        api: Api,
        org: &str,
        body: &[u8],
        publish: bool,
    ) -> Result<String, Problem> {
        let now = self.now();
        let ctx = Ctx {
            now,
            org,
            backoffice: &self.config.backoffice,
            check_iban: self.config.check_iban,
            aux_digit: self.config.aux_digit,
            update: false,
        };
        let position = if api == Api::DebtPositionsV1 {
            wire::parse_v1(body, &ctx)?
        } else {
            wire::parse_v3(body, &ctx)?
        };
        let iupd = position.iupd.clone();
        self.store
            .create(position, publish, self.config.publish_timing, |_, _| {
                Vec::new()
            })?;
        Ok(iupd)
    }

    /// Whether notice `notice` (IUV, NAV, or 18-digit notice number) of organisation `org`
    /// may be paid now: what GPD-Payments checks for paVerifyPaymentNotice, paGetPayment(V2)
    /// and paDemandPaymentNotice. Only VALID and PARTIALLY_PAID positions are payable.
    ///
    /// # Errors
    /// A [`Refusal`]; [`Refusal::fault_code`] is the PAA fault to answer with.
    pub fn payable(&self, org: &str, notice: &str) -> Result<PayableOption, Refusal> {
        self.store.payable(org, notice, self.now())
    }

    /// Close notice `notice` with a receipt (paSendRT): the installment becomes paid, the
    /// position PAID (its plan wholly paid) or PARTIALLY_PAID, and the receipt is served by
    /// the receipts API.
    ///
    /// # Errors
    /// A [`Refusal`]; [`Refusal::receipt_fault_code`] is the PAA fault to answer with.
    pub fn pay(&self, org: &str, notice: &str, receipt: ReceiptData) -> Result<Receipt, Refusal> {
        self.store.pay(org, notice, receipt, self.now())
    }

    /// Mark paid notice `notice` reported by an FdR (PAID → REPORTED once all are).
    ///
    /// # Errors
    /// [`Refusal::Unknown`] or [`Refusal::NotPaid`].
    pub fn report(&self, org: &str, notice: &str) -> Result<PositionStatus, Refusal> {
        self.store.report(org, notice, self.now())
    }

    /// Position `iupd` of `org` and its status now.
    pub fn position(&self, org: &str, iupd: &str) -> Option<(Position, PositionStatus)> {
        self.store.position(org, iupd, self.now())
    }

    /// Every position and its status now.
    pub fn positions(&self) -> Vec<(Position, PositionStatus)> {
        self.store.positions(self.now())
    }

    /// Every HTTP call received, in order.
    pub fn calls(&self) -> Vec<GpdCall> {
        self.store.calls()
    }

    /// Receipts of `org`, in payment order.
    pub fn receipts(&self, org: &str) -> Vec<Receipt> {
        self.store.receipts(org)
    }

    fn request_id(&self, headers: &HeaderMap) -> HeaderValue {
        headers.get(&REQUEST_ID).cloned().unwrap_or_else(|| {
            let n = self.request_ids.fetch_add(1, Ordering::Relaxed) + 1;
            HeaderValue::from_str(&format!("gpd-mock-{n}"))
                .unwrap_or_else(|_| HeaderValue::from_static("gpd-mock"))
        })
    }
}

/// The mock GPD's router (tests may drive it with `oneshot`).
pub fn app(state: Arc<GpdState>) -> Router {
    Router::new().fallback(serve_call).with_state(state)
}

async fn serve_call(State(state): State<Arc<GpdState>>, request: Request) -> Response {
    let at = state.now();
    let (parts, body) = request.into_parts();
    let limit = state.config.body_limit;
    let read = crate::body::read_within(body, &parts.headers, limit).await;
    let body = match read.outcome {
        ReadOutcome::Complete => Body::Complete(&read.kept),
        ReadOutcome::TooLarge => Body::TooLarge,
        ReadOutcome::TimedOut => Body::TimedOut,
        ReadOutcome::Broken => Body::Broken,
    };
    let request = GpdRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body,
    };
    let reply = catch_unwind(AssertUnwindSafe(|| handle_request(&state, &request, at)))
        .unwrap_or_else(|_| {
            tracing::error!(path = request.path, "mock GPD handler panicked");
            GpdReply::problem(&Problem::internal())
        });
    state.store.record_call(GpdCall {
        seq: 0,
        virtual_at: at,
        method: request.method.to_string(),
        path: request.path.to_string(),
        query: request.query.map(redact_query),
        operation: reply.operation.map(str::to_string),
        organization: reply.organization.clone(),
        iupd: reply.iupd.clone(),
        body: logged(&read.kept),
        body_len: read.len,
        status: reply.status,
        response: logged(&reply.body),
    });
    let request_id = state.request_id(&parts.headers);
    let incomplete = !matches!(read.outcome, ReadOutcome::Complete);
    let mut response = Response::new(axum::body::Body::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    headers.insert(REQUEST_ID, request_id);
    if let Some(allow) = reply.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
        headers.insert(header::ALLOW, allow);
    }
    if incomplete {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The query as logged: the subscription key masked.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k == KEY_PARAM => format!("{k}=<redacted>"),
            _ => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_in_query_is_masked() {
        assert_eq!(
            redact_query("a=1&subscription-key=secret&b=2"),
            "a=1&subscription-key=<redacted>&b=2"
        );
    }
}
