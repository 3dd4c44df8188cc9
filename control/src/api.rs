//! The control API: JSON in, JSON out, a JSON error with a clear message for every bad
//! request (400 malformed, 404 unknown, 409 conflicting with the state).
//!
//! Every operation that changes something runs on a task of its own, so a client that hangs
//! up mid-request cannot cancel it halfway (after the Nodo acted, before the change is
//! persisted); the answer leaves once the change is committed.

use crate::db;
use crate::page;
use crate::service::{ApiError, Service};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use collaudo_nodo::Fault;
use collaudo_wire::{Amount, QrCode, TransferType};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body the control API reads.
const BODY_LIMIT: usize = 64 * 1024;

/// Default number of payments and journal lines `GET /state` and the page list.
const DEFAULT_LIMIT: usize = 200;

/// What the handlers share.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) service: Arc<Service>,
    pub(crate) db_path: Arc<std::path::PathBuf>,
    /// Held (shared) by every operation in flight; shutdown takes it exclusively to wait for
    /// them.
    pub(crate) inflight: Arc<tokio::sync::RwLock<()>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(
            status,
            &serde_json::json!({ "error": self.message(), "status": status.as_u16() }),
        )
    }
}

fn json_response<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec_pretty(value).unwrap_or_else(|e| {
        format!("{{\"error\":\"cannot serialize the answer: {e}\",\"status\":500}}").into_bytes()
    });
    let mut r = Response::new(axum::body::Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Parse a JSON body into `T`, or a 400 that says what is wrong and what is expected.
fn parse<T: DeserializeOwned>(body: &Bytes, expected: &str) -> Result<T, ApiError> {
    if body.len() > BODY_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "body of {} bytes, the limit is {BODY_LIMIT}",
            body.len()
        )));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body ({e}); expected {expected}")))
}

/// Run `op` on a task of its own, within the in-flight guard.
async fn run<T, F>(ctx: &Ctx, op: impl FnOnce(Arc<Service>) -> F) -> Result<T, ApiError>
where
    F: Future<Output = Result<T, ApiError>> + Send + 'static,
    T: Send + 'static,
{
    let guard = ctx.inflight.clone().read_owned().await;
    let fut = op(ctx.service.clone());
    tokio::spawn(async move {
        let out = fut.await;
        drop(guard);
        out
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::Persist(format!("the operation failed: {e}"))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeBody {
    fiscal_code: String,
    notice_number: String,
    #[serde(default)]
    amount: Option<String>,
    #[serde(default)]
    transfer_type: Option<TransferType>,
}

const NOTICE_EXPECTED: &str =
    r#"{"fiscal_code": "77777777777", "notice_number": "3xxxxxxxxxxxxxxxxx"}"#;

fn qr(body: &NoticeBody) -> Result<QrCode, ApiError> {
    if body.fiscal_code.len() != 11 || !body.fiscal_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadRequest(format!(
            "fiscal_code {:?}: an EC fiscal code is 11 digits",
            body.fiscal_code
        )));
    }
    if body.notice_number.len() != 18 || !body.notice_number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadRequest(format!(
            "notice_number {:?}: a notice number is 18 digits",
            body.notice_number
        )));
    }
    Ok(QrCode {
        fiscal_code: body.fiscal_code.clone(),
        notice_number: body.notice_number.clone(),
    })
}

fn amount(body: &NoticeBody) -> Result<Option<Amount>, ApiError> {
    body.amount
        .as_deref()
        .map(|a| {
            Amount::parse(a)
                .filter(|x| x.cents() > 0 && x.cents() <= Amount::MAX_CENTS)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "amount {a:?}: euros with two decimals, e.g. \"12.34\", between 0.01 and 999999999.99"
                    ))
                })
        })
        .transpose()
}

async fn verify(State(ctx): State<Ctx>, body: Bytes) -> Result<Response, ApiError> {
    let b: NoticeBody = parse(&body, NOTICE_EXPECTED)?;
    let qr = qr(&b)?;
    let v = run(&ctx, |s| async move { s.verify(&qr).await }).await?;
    Ok(json_response(StatusCode::OK, &v))
}

async fn activate(State(ctx): State<Ctx>, body: Bytes) -> Result<Response, ApiError> {
    let b: NoticeBody = parse(&body, NOTICE_EXPECTED)?;
    let (qr, amount, tt) = (qr(&b)?, amount(&b)?, b.transfer_type);
    let v = run(&ctx, |s| async move { s.activate(&qr, amount, tt).await }).await?;
    Ok(json_response(StatusCode::OK, &v))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

async fn close(State(ctx): State<Ctx>, body: Bytes) -> Result<Response, ApiError> {
    let b: TokenBody = parse(&body, r#"{"token": "<the token activate returned>"}"#)?;
    if b.token.is_empty() || b.token.len() > 64 {
        return Err(ApiError::BadRequest(
            "token: the payment token activate returned (1 to 64 characters)".into(),
        ));
    }
    let v = run(&ctx, |s| async move { s.close(&b.token).await }).await?;
    Ok(json_response(StatusCode::OK, &v))
}

async fn pay(State(ctx): State<Ctx>, body: Bytes) -> Result<Response, ApiError> {
    let b: NoticeBody = parse(&body, NOTICE_EXPECTED)?;
    let (qr, amount) = (qr(&b)?, amount(&b)?);
    let v = run(&ctx, |s| async move { s.pay(&qr, amount).await }).await?;
    Ok(json_response(StatusCode::OK, &v))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CartBody {
    /// The EC's cart id (Checkout's `idCart`); one is made up when absent.
    #[serde(default)]
    id_cart: Option<String>,
    notices: Vec<NoticeBody>,
}

const CART_EXPECTED: &str = r#"{"id_cart": "CART-1", "notices": [{"fiscal_code": "77777777777", "notice_number": "3xxxxxxxxxxxxxxxxx"}, ...]} (1 to 5 notices)"#;

async fn cart(State(ctx): State<Ctx>, body: Bytes) -> Result<Response, ApiError> {
    let b: CartBody = parse(&body, CART_EXPECTED)?;
    let mut notices = Vec::with_capacity(b.notices.len());
    for n in &b.notices {
        notices.push((qr(n)?, amount(n)?));
    }
    // paymentNote is at most 210 characters (stText210).
    let id_cart = match b.id_cart {
        Some(id) if id.is_empty() || id.chars().count() > 210 => {
            return Err(ApiError::BadRequest(format!(
                "id_cart {id:?}: 1 to 210 characters (it travels as paymentNote)"
            )));
        }
        Some(id) => id,
        None => format!(
            "collaudo-cart-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
        ),
    };
    let v = run(&ctx, |s| async move { s.cart(&id_cart, &notices).await }).await?;
    Ok(json_response(StatusCode::OK, &v))
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StandInBody {
    Bare(String),
    Object { action: String },
}

async fn stand_in(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    const EXPECTED: &str = r#""enter", "exit", or {"action": "enter"|"exit"}"#;
    let action = match parse::<StandInBody>(&body, EXPECTED)? {
        StandInBody::Bare(a) | StandInBody::Object { action: a } => a,
    };
    let v = match action.as_str() {
        "enter" => run(&ctx, |s| async move { s.enter_stand_in(&id).await }).await?,
        "exit" => run(&ctx, |s| async move { s.exit_stand_in(&id).await }).await?,
        other => {
            return Err(ApiError::BadRequest(format!(
                "action {other:?}: expected {EXPECTED}"
            )));
        }
    };
    Ok(json_response(StatusCode::OK, &v))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    fault: Fault,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

async fn faults(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: FaultBody = parse(
        &body,
        r#"{"fault": "refuse" | "timeout" | "answer-timeout" | {"latency": MS} | {"http-status": 503} | {"corrupt": "truncate"|"garbage"|"empty"|"invalid-utf8"} | {"unavailable": {"http-status": 502}|"garbage"|"ko"}, "count": N}"#,
    )?;
    if b.count == 0 || b.count > 10_000 {
        return Err(ApiError::BadRequest(format!(
            "count {}: between 1 and 10000 calls",
            b.count
        )));
    }
    ctx.service.inject(&id, b.fault.clone(), b.count)?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({
            "station": id,
            "planned": b.count,
            "fault": b.fault,
            "applies_to": "the next calls the Nodo makes to the station: verify, activate, Stand-In probes (receipts are not affected)",
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcaFaultBody {
    status: u16,
    #[serde(default = "one")]
    count: u32,
}

async fn aca_faults(State(ctx): State<Ctx>, body: Bytes) -> Result<Response, ApiError> {
    let b: AcaFaultBody = parse(&body, r#"{"status": 502, "count": 1}"#)?;
    if !(400..=599).contains(&b.status) || b.count == 0 || b.count > 10_000 {
        return Err(ApiError::BadRequest(format!(
            "status {} count {}: a status from 400 to 599, a count from 1 to 10000",
            b.status, b.count
        )));
    }
    ctx.service.aca().inject(b.status, b.count);
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "planned": b.count, "status": b.status, "pending": ctx.service.aca().pending_faults() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    minutes: u64,
}

async fn advance(State(ctx): State<Ctx>, body: Bytes) -> Result<Response, ApiError> {
    let b: AdvanceBody = parse(&body, r#"{"minutes": 60}"#)?;
    if b.minutes == 0 || b.minutes > 60 * 24 * 30 {
        return Err(ApiError::BadRequest(format!(
            "minutes {}: between 1 and 43200 (30 days)",
            b.minutes
        )));
    }
    let d = Duration::from_secs(b.minutes * 60);
    let v = run(&ctx, |s| async move { s.advance(d).await }).await?;
    Ok(json_response(StatusCode::OK, &v))
}

#[derive(Debug, Deserialize)]
struct LimitQuery {
    limit: Option<String>,
}

fn limit(q: &LimitQuery) -> Result<usize, ApiError> {
    match q.limit.as_deref() {
        None => Ok(DEFAULT_LIMIT),
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit {l:?}: 1 to 100000"))),
    }
}

async fn read_snapshot(ctx: &Ctx, limit: usize) -> Result<page::View, ApiError> {
    let path = ctx.db_path.clone();
    let snap = tokio::task::spawn_blocking(move || db::snapshot(&path, limit))
        .await
        .map_err(|e| ApiError::Persist(format!("reading the database: {e}")))?
        .map_err(|e| ApiError::Persist(format!("reading the database: {e}")))?;
    Ok(page::View::new(&ctx.service, snap, limit).await)
}

async fn state(State(ctx): State<Ctx>, Query(q): Query<LimitQuery>) -> Result<Response, ApiError> {
    let view = read_snapshot(&ctx, limit(&q)?).await?;
    Ok(json_response(StatusCode::OK, &view))
}

async fn index(State(ctx): State<Ctx>, Query(q): Query<LimitQuery>) -> Result<Response, ApiError> {
    let view = read_snapshot(&ctx, limit(&q)?).await?;
    let mut r = Response::new(axum::body::Body::from(page::render(&view)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The page is the state now; a reload must ask again.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no endpoint {}: see `collaudo serve --help` (GET /, GET /state, POST /psp/verify, /psp/activate, /psp/close, /psp/pay, /psp/cart, /stations/ID/stand-in, /stations/ID/faults, /aca/faults, /clock/advance)",
        uri.path()
    ))
}

async fn method_not_allowed() -> Response {
    json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &serde_json::json!({
            "error": "method not allowed: GET / and GET /state read, every other endpoint is a POST with a JSON body",
            "status": 405
        }),
    )
}

/// The control API's router.
pub(crate) fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/state", get(state))
        .route("/psp/verify", post(verify))
        .route("/psp/activate", post(activate))
        .route("/psp/close", post(close))
        .route("/psp/pay", post(pay))
        .route("/psp/cart", post(cart))
        .route("/stations/{id}/stand-in", post(stand_in))
        .route("/stations/{id}/faults", post(faults))
        .route("/aca/faults", post(aca_faults))
        .route("/clock/advance", post(advance))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(ctx)
}
