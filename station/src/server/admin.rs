//! The admin API: EC back-office actions the harness triggers between steps (change an amount,
//! cancel, close as paid elsewhere, create a position) and read-only views of positions,
//! fixtures and the back office.
//!
//! Every action goes through the [`StationState`] method of the same name, which also tells
//! ACA when the station has one; an ACA failure does not fail the action (it is logged and
//! listed by `StationState::aca_errors`).
//!
//! | method | path | body | answer |
//! |---|---|---|---|
//! | GET | `/health` | | `{"status":"UP",...}` |
//! | GET | `/_collaudo/positions` | | every [`PositionView`] |
//! | POST | `/_collaudo/positions` | `{"amount_cents": n}` | 201 + the new [`PositionView`]; 400 bad JSON, 422 bad amount |
//! | GET | `/_collaudo/positions/{notice}` | | [`PositionView`], 404 if unknown |
//! | POST | `/_collaudo/positions/{notice}/amount` | `{"amount_cents": n}` | [`PositionView`]; 400 bad JSON, 404, 409 not payable, 422 bad amount |
//! | POST | `/_collaudo/positions/{notice}/cancel` | | [`PositionView`]; 404, 409 if paid |
//! | POST | `/_collaudo/positions/{notice}/close` | | [`PositionView`] (paid, no receipt); 404, 409 if not payable |
//! | GET | `/_collaudo/fixtures` | | role → [`crate::Fixture`] (the first notice of each role) |
//! | GET | `/_collaudo/fixtures/notices` | | role → every notice number seeded for it |
//! | POST | `/_collaudo/fixtures/fresh` | `{"copies": n}` (optional, default 1) | 201 + role → fresh notice numbers; 400 bad JSON or n outside 1..=MAX_COPIES |
//! | GET | `/_collaudo/back-office` | | [`crate::BackOffice`] |
//!
//! [`PositionView`]: crate::PositionView

use crate::positions::{AdminError, PositionView};
use crate::state::StationState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use collaudo_wire::Amount;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let (status, body) = match serde_json::to_vec_pretty(value) {
        Ok(body) => (status, body),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{{\"error\":\"cannot serialise: {e}\"}}").into_bytes(),
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json(
        status,
        &ErrorBody {
            error: message.into(),
        },
    )
}

fn admin_error(e: &AdminError) -> Response {
    let status = match e {
        AdminError::UnknownNotice(_) => StatusCode::NOT_FOUND,
        AdminError::InvalidAmount { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AdminError::NotModifiable { .. } => StatusCode::CONFLICT,
        AdminError::NoticeUnavailable(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, e.to_string())
}

#[derive(Serialize)]
struct Health<'a> {
    status: &'static str,
    id_station: &'a str,
    profile: &'static str,
}

pub(super) async fn health(State(state): State<Arc<StationState>>) -> Response {
    json(
        StatusCode::OK,
        &Health {
            status: "UP",
            id_station: &state.config().id_station,
            profile: state.config().profile.name(),
        },
    )
}

pub(super) async fn list(State(state): State<Arc<StationState>>) -> Response {
    json(StatusCode::OK, &state.positions().views())
}

pub(super) async fn show(
    State(state): State<Arc<StationState>>,
    Path(notice): Path<String>,
) -> Response {
    match state.positions().view(&notice) {
        Some(view) => json(StatusCode::OK, &view),
        None => admin_error(&AdminError::UnknownNotice(notice)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AmountBody {
    amount_cents: u64,
}

/// The amount of an `{"amount_cents": n}` body, or why the body is not one (a 400).
fn amount_body(body: &[u8]) -> Result<Amount, String> {
    serde_json::from_slice::<AmountBody>(body)
        .map(|b| Amount::from_cents(b.amount_cents))
        .map_err(|e| format!("expected {{\"amount_cents\": <integer>}}: {e}"))
}

fn answer(status: StatusCode, result: Result<PositionView, AdminError>) -> Response {
    match result {
        Ok(view) => json(status, &view),
        Err(e) => admin_error(&e),
    }
}

pub(super) async fn set_amount(
    State(state): State<Arc<StationState>>,
    Path(notice): Path<String>,
    body: Bytes,
) -> Response {
    match amount_body(&body) {
        Ok(amount) => answer(StatusCode::OK, state.set_amount(&notice, amount).await),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
}

pub(super) async fn cancel(
    State(state): State<Arc<StationState>>,
    Path(notice): Path<String>,
) -> Response {
    answer(StatusCode::OK, state.cancel(&notice).await)
}

pub(super) async fn close(
    State(state): State<Arc<StationState>>,
    Path(notice): Path<String>,
) -> Response {
    answer(StatusCode::OK, state.close_paid_elsewhere(&notice).await)
}

pub(super) async fn create(State(state): State<Arc<StationState>>, body: Bytes) -> Response {
    match amount_body(&body) {
        Ok(amount) => answer(StatusCode::CREATED, state.create_position(amount).await),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
}

pub(super) async fn fixtures(State(state): State<Arc<StationState>>) -> Response {
    json(StatusCode::OK, state.fixtures())
}

pub(super) async fn fixture_notices(State(state): State<Arc<StationState>>) -> Response {
    json(StatusCode::OK, &state.fixtures().all_notices())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FreshBody {
    #[serde(default = "one")]
    copies: usize,
}

fn one() -> usize {
    1
}

pub(super) async fn fresh_fixtures(
    State(state): State<Arc<StationState>>,
    body: Bytes,
) -> Response {
    let copies = if body.iter().all(u8::is_ascii_whitespace) {
        1
    } else {
        match serde_json::from_slice::<FreshBody>(&body) {
            Ok(b) => b.copies,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("bad JSON: {e}")),
        }
    };
    if !(1..=crate::positions::MAX_COPIES).contains(&copies) {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "copies must be between 1 and {}",
                crate::positions::MAX_COPIES
            ),
        );
    }
    match state.prepare_fresh(copies).await {
        Ok(notices) => json(StatusCode::CREATED, &notices),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub(super) async fn back_office(State(state): State<Arc<StationState>>) -> Response {
    json(StatusCode::OK, state.back_office())
}
