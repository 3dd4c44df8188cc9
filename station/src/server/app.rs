//! The router: `POST /pagopa/station` for the Nodo, `GET /health`, and the admin API under
//! `/_collaudo/`. Every station answer comes from [`crate::handle`]; this file only moves bytes
//! and applies the reply's delay and cut.

use super::admin;
use crate::handler::{handle, oversized};
use crate::state::StationState;
use axum::BoxError;
use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tower::ServiceExt;

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

/// The station as its server runs it: the Nodo's `POST /pagopa/station` is answered directly,
/// everything else goes through [`app`]'s router.
///
/// axum's routing, extractors and response mapping cost about half a microsecond per request,
/// a tenth of the station's whole answer to a verify (issue 9, "Performance"); the Nodo's POST
/// is the one request worth sparing them. Both paths end in the same handler, so the answer
/// does not depend on which one a request took.
#[derive(Clone)]
pub(crate) struct StationService {
    state: Arc<StationState>,
    router: Router,
}

impl StationService {
    pub(crate) fn new(state: Arc<StationState>) -> Self {
        StationService {
            router: app(Arc::clone(&state)),
            state,
        }
    }
}

type Answering = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<B> tower::Service<axum::http::Request<B>> for StationService
where
    B: HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answering;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Answering {
        if request.method() == Method::POST && request.uri().path() == STATION_PATH {
            Box::pin(answer(Arc::clone(&self.state), request))
        } else {
            Box::pin(self.router.clone().oneshot(request))
        }
    }
}

async fn station(State(state): State<Arc<StationState>>, request: Request) -> Response {
    let Ok(response) = answer(state, request).await;
    response
}

/// The station's answer to one request on its SOAP path.
///
/// The request is taken apart before the future is made, so that the future holds only the
/// body and the SOAPAction: it is allocated for every request, and the whole request in it
/// made it too large for the allocator's fast path (issue 9, "Performance").
fn answer<B>(
    state: Arc<StationState>,
    request: axum::http::Request<B>,
) -> impl Future<Output = Result<Response, Infallible>> + Send
where
    B: HttpBody<Data = axum::body::Bytes> + Send,
    B::Error: Into<BoxError>,
{
    let (head, body) = request.into_parts();
    // A look along the few headers a request carries: `HeaderMap::get` hashes the name first,
    // which cost more than this whole scan. The first value, as `get` gives.
    let soap_action = head
        .headers
        .iter()
        .find(|(name, _)| name.as_str() == "soapaction")
        .map(|(_, value)| value.clone());
    drop(head);
    answer_body(state, soap_action, body)
}

async fn answer_body<B>(
    state: Arc<StationState>,
    soap_action: Option<HeaderValue>,
    body: B,
) -> Result<Response, Infallible>
where
    B: HttpBody<Data = axum::body::Bytes>,
    B::Error: Into<BoxError>,
{
    let state = &state;
    // UTF-8 checked first: the lossy reading scans in chunks, several times slower on the
    // ASCII operation name every Nodo sends.
    let soap_action = soap_action
        .as_ref()
        .map(|v| match std::str::from_utf8(v.as_bytes()) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(v.as_bytes()),
        });
    let read = std::pin::pin!(read_body(body, MAX_BODY_BYTES));
    let reply = match read_within(BODY_READ_TIMEOUT, read).await {
        Ok(Ok(bytes)) => {
            let reply = if bytes.len() <= HANDLE_INLINE_BYTES {
                handle(state, soap_action.as_deref(), &bytes)
            } else {
                // Reading a large request takes milliseconds: on a blocking thread, so that
                // a client sending many of them does not stall the other connections.
                let shared = Arc::clone(state);
                let action = soap_action.as_deref().map(str::to_owned);
                match tokio::task::spawn_blocking(move || {
                    handle(&shared, action.as_deref(), &bytes)
                })
                .await
                {
                    Ok(reply) => reply,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    // Only a runtime shutting down cancels a blocking task.
                    Err(_) => {
                        return Ok(
                            (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
                        );
                    }
                }
            };
            // A position created by this request is in ACA before the Nodo hears of it.
            if let Some(registering) = state.register_deferred() {
                registering.await;
            }
            reply
        }
        // Over the limit, or the client broke off: either way the body is unusable.
        Ok(Err(_)) => oversized(state, soap_action.as_deref(), MAX_BODY_BYTES),
        Err(_) => {
            return Ok((
                StatusCode::REQUEST_TIMEOUT,
                "request body not received in time\n",
            )
                .into_response());
        }
    };
    let latency = state.config().latency;
    let delay = reply.delay.map_or(latency, |d| d + latency);
    if !delay.is_zero() {
        // Boxed, as every rare wait here: the answer's future is allocated for every request,
        // and over 1 KiB the allocator leaves its fast path (issue 9, "Performance").
        Box::pin(tokio::time::sleep(delay)).await;
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    if reply.close_without_reply {
        response.extensions_mut().insert(collaudo_serve::Cut);
    }
    Ok(response)
}

/// Why a request body could not be read.
#[derive(Debug, PartialEq, Eq)]
enum BodyError {
    /// More than the limit.
    TooLarge,
    /// The client broke off, or sent a broken chunked encoding.
    Broken,
}

/// The whole body, up to `limit` bytes, as `axum::body::to_bytes` reads it, without boxing the
/// body or collecting its chunks in a list: a Nodo request is one chunk, taken as it is.
async fn read_body<B>(body: B, limit: usize) -> Result<axum::body::Bytes, BodyError>
where
    B: HttpBody<Data = axum::body::Bytes>,
{
    let mut body = std::pin::pin!(body);
    let mut first: Option<axum::body::Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let Ok(data) = frame.map_err(|_| BodyError::Broken)?.into_data() else {
            // Trailers carry nothing the station reads.
            continue;
        };
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        match &first {
            None => first = Some(data),
            Some(head) => {
                if joined.is_empty() {
                    joined.extend_from_slice(head);
                }
                joined.extend_from_slice(&data);
            }
        }
        // A body of known length ends with its last byte. Polling on for the end of the
        // stream would wait until hyper's connection task next runs and closes the stream,
        // which cost every request a second wake-up of that task.
        if body.is_end_stream() {
            break;
        }
    }
    Ok(if joined.is_empty() {
        first.unwrap_or_default()
    } else {
        joined.into()
    })
}

/// `read` within `limit`. A body that has already arrived (nearly every request: the Nodo
/// sends a few KiB at once) is taken without arming a timer.
async fn read_within<F: Future>(
    limit: Duration,
    mut read: Pin<&mut F>,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
    match first {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Box::pin(tokio::time::timeout(limit, read)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{station, verify};
    use crate::{FixtureRole, Profile};
    use axum::http::Request as HttpRequest;

    async fn send(
        service: impl tower::Service<
            HttpRequest<Body>,
            Response = Response,
            Error = Infallible,
            Future: Send,
        >,
        method: Method,
        path: &str,
        body: &str,
    ) -> (StatusCode, Vec<u8>) {
        let request = HttpRequest::builder()
            .method(method)
            .uri(path)
            .header("soapaction", "\"paVerifyPaymentNotice\"")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, bytes.to_vec())
    }

    /// The direct path and the router give the same answers, and everything but the Nodo's
    /// POST still reaches the router.
    #[tokio::test]
    async fn the_direct_path_answers_as_the_router_does() {
        for profile in [Profile::Conformant, Profile::Dead] {
            let state = Arc::new(station(profile));
            let notice = state
                .fixtures()
                .notice(FixtureRole::Payable)
                .unwrap()
                .to_string();
            let request = verify(&state, &notice).to_xml();
            let service = StationService::new(Arc::clone(&state));
            for (method, path, body) in [
                (Method::POST, STATION_PATH, request.as_str()),
                (Method::POST, STATION_PATH, "<not-xml"),
                (Method::GET, STATION_PATH, ""),
                (Method::GET, "/health", ""),
                (Method::POST, "/pagopa/station/extra", ""),
            ] {
                let direct = send(service.clone(), method.clone(), path, body).await;
                let routed = send(app(Arc::clone(&state)), method.clone(), path, body).await;
                assert_eq!(direct, routed, "{profile:?} {method} {path}");
            }
        }
    }

    /// A body arriving in the given chunks (an `Err` breaks it off there). With `known_length`
    /// it says it has ended once its last chunk is taken and never ends the stream itself, as
    /// hyper's body of known length does until its connection runs again.
    struct Chunks {
        chunks: std::collections::VecDeque<Result<&'static [u8], ()>>,
        known_length: bool,
    }

    impl HttpBody for Chunks {
        type Data = axum::body::Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
            match self.chunks.pop_front() {
                Some(Ok(bytes)) => Poll::Ready(Some(Ok(http_body::Frame::data(
                    axum::body::Bytes::from_static(bytes),
                )))),
                Some(Err(())) => Poll::Ready(Some(Err(std::io::Error::other("broken off")))),
                None if self.known_length => Poll::Pending,
                None => Poll::Ready(None),
            }
        }

        fn is_end_stream(&self) -> bool {
            self.known_length && self.chunks.is_empty()
        }
    }

    #[tokio::test]
    async fn bodies_are_read_whole_within_the_limit() {
        let read = |chunks: Vec<Result<&'static [u8], ()>>, limit| {
            read_body(
                Chunks {
                    chunks: chunks.into(),
                    known_length: false,
                },
                limit,
            )
        };
        assert_eq!(read(vec![Ok(b"abc")], 3).await.unwrap(), &b"abc"[..]);
        assert_eq!(
            read(vec![Ok(b"ab"), Ok(b""), Ok(b"cd"), Ok(b"e")], 5)
                .await
                .unwrap(),
            &b"abcde"[..]
        );
        assert_eq!(read(vec![], 5).await.unwrap(), &b""[..]);
        assert_eq!(
            read(vec![Ok(b"ab"), Ok(b"cd")], 3).await,
            Err(BodyError::TooLarge)
        );
        assert_eq!(
            read(vec![Ok(b"ab"), Err(())], 9).await,
            Err(BodyError::Broken)
        );
    }

    #[tokio::test]
    async fn a_body_of_known_length_is_done_at_its_last_byte() {
        let body = Chunks {
            chunks: [Ok(&b"ab"[..]), Ok(&b"c"[..])].into(),
            known_length: true,
        };
        let read = read_body(body, 9);
        let read = tokio::time::timeout(Duration::from_secs(5), read).await;
        assert_eq!(
            read.expect("waited for the end of the stream"),
            Ok(axum::body::Bytes::from_static(b"abc"))
        );
    }

    #[tokio::test]
    async fn a_dead_station_answer_carries_the_cut() {
        let state = Arc::new(station(Profile::Dead));
        let notice = state
            .fixtures()
            .notice(FixtureRole::Payable)
            .unwrap()
            .to_string();
        let request = HttpRequest::builder()
            .method(Method::POST)
            .uri(STATION_PATH)
            .body(Body::from(verify(&state, &notice).to_xml()))
            .unwrap();
        let response = StationService::new(state).oneshot(request).await.unwrap();
        assert!(response.extensions().get::<collaudo_serve::Cut>().is_some());
    }
}
