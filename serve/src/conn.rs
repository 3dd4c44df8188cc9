//! One connection: hyper's HTTP/1.1 state machine, watched for idleness, eviction and server
//! shutdown.

use crate::Limits;
use crate::cut::{Cut, CuttableStream};
use crate::registry::{Registry, Slot};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::ServiceExt;

/// How long a connection asked to close may take to finish the answer it is writing before it
/// is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Marks a request finished when dropped, so a handler that is cancelled (client gone) still
/// leaves its connection idle.
struct InFlight(Arc<Slot>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end_request();
    }
}

pub(crate) async fn run(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    slot: Arc<Slot>,
    registry: Arc<Registry>,
    mut stop: watch::Receiver<bool>,
) {
    let cut = Cut::default();
    let io = TokioIo::new(CuttableStream {
        inner: stream,
        cut: cut.clone(),
    });
    let service_slot = Arc::clone(&slot);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(cut.clone());
        service_slot.begin_request();
        let guard = InFlight(Arc::clone(&service_slot));
        let router = router.clone();
        async move {
            let response = router.oneshot(request.map(axum::body::Body::new)).await;
            drop(guard);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    let idle = tokio::time::sleep(limits.idle_timeout);
    let mut idle = std::pin::pin!(idle);
    let mut closing: Option<tokio::time::Instant> = None;
    loop {
        let deadline = closing.map(|at| at + CLOSE_GRACE);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    // A client that breaks off, times out or sends garbage ends here: normal.
                    tracing::debug!(error = %e, "connection ended");
                }
                break;
            }
            () = slot.evicted(), if closing.is_none() => {
                connection.as_mut().graceful_shutdown();
                closing = Some(tokio::time::Instant::now());
            }
            changed = stop.changed(), if closing.is_none() => {
                if changed.is_err() || *stop.borrow() {
                    connection.as_mut().graceful_shutdown();
                    closing = Some(tokio::time::Instant::now());
                }
            }
            () = &mut idle, if closing.is_none() => {
                let due = slot.last_active() + limits.idle_timeout;
                if slot.is_idle() && tokio::time::Instant::now() >= due {
                    connection.as_mut().graceful_shutdown();
                    closing = Some(tokio::time::Instant::now());
                } else {
                    let now = tokio::time::Instant::now();
                    idle.as_mut().reset(if due > now { due } else { now + limits.idle_timeout });
                }
            }
            () = sleep_until_opt(deadline) => {
                // Asked to close and still busy past the grace: drop it.
                break;
            }
        }
    }
    registry.close(&slot);
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
