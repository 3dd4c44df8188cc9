//! The admin API: EC back-office actions the harness triggers between steps (change an amount,
//! cancel a position) and read-only views of positions, fixtures and the back office.
//!
//! | method | path | body | answer |
//! |---|---|---|---|
//! | GET | `/health` | | `{"status":"UP",...}` |
//! | GET | `/_collaudo/positions` | | every [`PositionView`] |
//! | GET | `/_collaudo/positions/{notice}` | | [`PositionView`], 404 if unknown |
//! | POST | `/_collaudo/positions/{notice}/amount` | `{"amount_cents": n}` | [`PositionView`]; 400 bad JSON, 404, 409 not payable, 422 bad amount |
//! | POST | `/_collaudo/positions/{notice}/cancel` | | [`PositionView`]; 404, 409 if paid |
//! | GET | `/_collaudo/fixtures` | | role → [`crate::Fixture`] |
//! | GET | `/_collaudo/back-office` | | [`crate::BackOffice`] |
//!
//! [`PositionView`]: crate::PositionView

use crate::positions::AdminError;
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

pub(super) async fn set_amount(
    State(state): State<Arc<StationState>>,
    Path(notice): Path<String>,
    body: Bytes,
) -> Response {
    let parsed: AmountBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"amount_cents\": <integer>}}: {e}"),
            );
        }
    };
    match state
        .positions()
        .set_amount(&notice, Amount::from_cents(parsed.amount_cents))
    {
        Ok(view) => json(StatusCode::OK, &view),
        Err(e) => admin_error(&e),
    }
}

pub(super) async fn cancel(
    State(state): State<Arc<StationState>>,
    Path(notice): Path<String>,
) -> Response {
    match state.positions().cancel(&notice) {
        Ok(view) => json(StatusCode::OK, &view),
        Err(e) => admin_error(&e),
    }
}

pub(super) async fn fixtures(State(state): State<Arc<StationState>>) -> Response {
    json(StatusCode::OK, state.fixtures())
}

pub(super) async fn back_office(State(state): State<Arc<StationState>>) -> Response {
    json(StatusCode::OK, state.back_office())
}
