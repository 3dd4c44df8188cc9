//! The router: `POST /pagopa/station` for the Nodo, `GET /health`, and the admin API under
//! `/_collaudo/`. Every station answer comes from [`crate::handle`]; this file only moves bytes
//! and applies the reply's delay and cut.

use super::admin;
use crate::handler::{handle, oversized};
use crate::state::StationState;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;

/// Path of the SOAP endpoint (the station URL is `http://HOST:PORT/pagopa/station`).
pub const STATION_PATH: &str = "/pagopa/station";

/// Prefix of the admin API that simulates EC back-office actions.
pub const ADMIN_PREFIX: &str = "/_collaudo";

/// Largest SOAP request accepted: pagoPA messages are a few KiB, 1 MiB is generous.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Requests up to this size are handled on the async worker (well under a millisecond).
const HANDLE_INLINE_BYTES: usize = 64 * 1024;

/// How long a client may take to send its body; a stalled upload must not hold a task forever.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The station's router over shared state (tests may drive it without a socket).
pub fn app(state: Arc<StationState>) -> Router {
    Router::new()
        .route(STATION_PATH, post(station))
        .route("/health", get(admin::health))
        .route("/_collaudo/positions", get(admin::list).post(admin::create))
        .route("/_collaudo/positions/{notice}", get(admin::show))
        .route(
            "/_collaudo/positions/{notice}/amount",
            post(admin::set_amount),
        )
        .route("/_collaudo/positions/{notice}/cancel", post(admin::cancel))
        .route("/_collaudo/positions/{notice}/close", post(admin::close))
        .route("/_collaudo/fixtures", get(admin::fixtures))
        .route("/_collaudo/fixtures/notices", get(admin::fixture_notices))
        .route("/_collaudo/fixtures/fresh", post(admin::fresh_fixtures))
        .route("/_collaudo/back-office", get(admin::back_office))
        .with_state(state)
}

async fn station(State(state): State<Arc<StationState>>, request: Request) -> Response {
    let cut = request.extensions().get::<collaudo_serve::Cut>().cloned();
    let soap_action = request
        .headers()
        .get("soapaction")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let read = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES);
    let reply = match tokio::time::timeout(BODY_READ_TIMEOUT, read).await {
        Ok(Ok(bytes)) => {
            let reply = if bytes.len() <= HANDLE_INLINE_BYTES {
                handle(&state, soap_action.as_deref(), &bytes)
            } else {
                // Reading a large request takes milliseconds: on a blocking thread, so that
                // a client sending many of them does not stall the other connections.
                let shared = Arc::clone(&state);
                let action = soap_action.clone();
                match tokio::task::spawn_blocking(move || {
                    handle(&shared, action.as_deref(), &bytes)
                })
                .await
                {
                    Ok(reply) => reply,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    // Only a runtime shutting down cancels a blocking task.
                    Err(_) => {
                        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
                            .into_response();
                    }
                }
            };
            // A position created by this request is in ACA before the Nodo hears of it.
            state.register_deferred().await;
            reply
        }
        // Over the limit, or the client broke off: either way the body is unusable.
        Ok(Err(_)) => oversized(&state, soap_action.as_deref(), MAX_BODY_BYTES),
        Err(_) => {
            return (
                StatusCode::REQUEST_TIMEOUT,
                "request body not received in time\n",
            )
                .into_response();
        }
    };
    let latency = state.config().latency;
    let delay = reply.delay.map_or(latency, |d| d + latency);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if reply.close_without_reply {
        if let Some(cut) = cut {
            cut.now();
        }
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    response
}
