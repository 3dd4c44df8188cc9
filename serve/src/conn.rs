//! One connection: the TLS handshake when the server speaks HTTPS, then hyper's HTTP/1.1 state
//! machine, watched for idleness, eviction and server shutdown.

use crate::App;
use crate::Limits;
use crate::cut::{Cut, CutFlag, CuttableStream};
use crate::registry::{Registry, Slot};
use crate::timer::{LazyTimer, TaskSleep};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
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

/// Serve one accepted connection until it ends, then take it out of the registry.
pub(crate) async fn run(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    router: impl App,
    limits: Limits,
    slot: Arc<Slot>,
    registry: Arc<Registry>,
) {
    match tls {
        None => drive(stream, router, limits, &slot, None).await,
        Some(acceptor) => {
            // The handshake and the first request head share one header-read timeout, so a
            // TLS client gets no longer than a plain one to say what it wants.
            let first_head_by = Instant::now() + limits.header_read_timeout;
            if let Some(stream) = handshake(acceptor, stream, limits, &slot).await {
                drive(stream, router, limits, &slot, Some(first_head_by)).await;
            }
        }
    }
    registry.close(&slot);
}

/// The TLS handshake, within the header-read timeout, abandoned if the connection is evicted
/// or the server stops meanwhile. `None` when it did not complete: a port scanner, a client
/// speaking plain HTTP or TLS 1.0, a client that refuses our certificate, or one that refuses
/// to present its own. Normal traffic on a public port, so it is logged at debug level only.
async fn handshake(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    limits: Limits,
    slot: &Slot,
) -> Option<TlsStream<TcpStream>> {
    let peer = stream.peer_addr().ok();
    let accept = tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream));
    tokio::select! {
        accepted = accept => match accepted {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(e)) => {
                tracing::debug!(?peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(?peer, timeout = ?limits.header_read_timeout, "TLS handshake not finished within the header-read timeout");
                None
            }
        },
        () = slot.close_requested() => None,
    }
}

/// hyper's HTTP/1.1 loop over `stream`. `first_head_by`: when the first request head must have
/// arrived (set for TLS, whose handshake already used part of the header-read timeout).
async fn drive<S>(
    stream: S,
    router: impl App,
    limits: Limits,
    slot: &Arc<Slot>,
    mut first_head_by: Option<Instant>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let cut = CutFlag::default();
    let io = TokioIo::new(CuttableStream {
        inner: stream,
        cut: cut.clone(),
    });
    let service_slot = Arc::clone(slot);
    // One copy of the app per connection, called in place: a copy per request cost the
    // station two reference-count round trips and tower's `Oneshot` on every request.
    let app = RefCell::new(router);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        service_slot.begin_request();
        let guard = InFlight(Arc::clone(&service_slot));
        let cut = cut.clone();
        let call = call(&app, request);
        async move {
            let response = match call {
                Call::Now(answering) => answering.await,
                Call::Later(waiting) => waiting.await,
            };
            drop(guard);
            if let Ok(response) = &response {
                if response.extensions().get::<Cut>().is_some() {
                    cut.now();
                }
            }
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(LazyTimer::default())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        // Without half-close, hyper probes the socket for an early EOF while every request is
        // being answered; that probe reserves read space while the request still holds the
        // read buffer, so each request cost a fresh 8 KiB buffer. With it, a client that
        // shuts its side down after sending still gets its answer (HTTP/1.1 allows that),
        // and a client that vanishes mid-answer is noticed at the write, as it is anyway
        // when it vanishes after the probe.
        .half_close(true)
        // Head and body copied into one buffer and sent with one write: our answers are a few
        // KiB, and hyper's queue of separate buffers for writev cost more than the copy
        // (+1.5–2 % requests/s for the station's verify, alternating wrk rounds).
        .writev(false);
    let connection = builder.serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    // Polled at every wake-up of this task, so a `TaskSleep`: it skips tokio's poll while
    // its entry already holds this task's waker.
    let mut idle = TaskSleep::until(Instant::now() + limits.idle_timeout);
    let mut closing: Option<tokio::time::Instant> = None;
    loop {
        let deadline = closing.map(|at| at + CLOSE_GRACE);
        // Biased: the connection is what wakes this task almost every time, so it is polled
        // first and no random branch order is drawn per wake-up.
        tokio::select! {
            biased;
            result = connection.as_mut() => {
                if let Err(e) = result {
                    // A client that breaks off, times out or sends garbage ends here: normal.
                    tracing::debug!(error = %e, "connection ended");
                }
                break;
            }
            () = slot.close_requested(), if closing.is_none() => {
                connection.as_mut().graceful_shutdown();
                closing = Some(Instant::now());
            }
            () = &mut idle, if closing.is_none() => {
                let due = slot.last_active() + limits.idle_timeout;
                if slot.is_idle() && Instant::now() >= due {
                    connection.as_mut().graceful_shutdown();
                    closing = Some(Instant::now());
                } else {
                    let now = Instant::now();
                    idle.reset(if due > now { due } else { now + limits.idle_timeout });
                }
            }
            () = sleep_until_opt(deadline) => {
                // Asked to close and still busy past the grace: drop it.
                break;
            }
            () = sleep_until_opt(first_head_by), if closing.is_none() => {
                if !slot.has_begun() {
                    tracing::debug!("no request head within the header-read timeout after the TLS handshake");
                    break;
                }
                first_head_by = None;
            }
        }
    }
}

/// A request handed to the app.
enum Call<A: App> {
    /// The app was ready: its answer.
    Now(A::Future),
    /// It was not (no app here is ever so): a copy of it, waiting to be ready; boxed, as the
    /// copy and the request would otherwise size every call's future.
    Later(std::pin::Pin<Box<tower::util::Oneshot<A, hyper::Request<Incoming>>>>),
}

/// `request` handed to the connection's copy of the app, or to a copy of that copy when it
/// cannot take it at once.
fn call<A: App>(app: &RefCell<A>, request: hyper::Request<Incoming>) -> Call<A> {
    if let Ok(mut app) = app.try_borrow_mut() {
        if let Poll::Ready(Ok(())) = app.poll_ready(&mut Context::from_waker(Waker::noop())) {
            return Call::Now(app.call(request));
        }
    }
    Call::Later(Box::pin(app.borrow().clone().oneshot(request)))
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
