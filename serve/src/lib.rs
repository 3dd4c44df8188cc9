//! The HTTP/1.1 server loop of collaudo's own servers: the reference station and the mock ACA.
//!
//! Both are reached by code collaudo does not control (an EC's back end calls the mock ACA; a
//! curious user or a port scanner can call the station), so a client that connects and says
//! nothing, or keeps thousands of connections open, must not starve the Nodo's own requests
//! (issue 9, item 5). `axum::serve` has neither timeouts nor a connection cap, so this crate
//! drives hyper directly:
//!
//! * a **header-read timeout** ([`Limits::header_read_timeout`]): a client must send a whole
//!   request head this soon after connecting, or after its previous answer;
//! * an **idle timeout** ([`Limits::idle_timeout`]): a kept-alive connection with no request
//!   in flight is closed after this long;
//! * a **connection cap** ([`Limits::max_connections`]): at the cap, a new connection closes
//!   the oldest *idle* one, so held-open connections cannot lock out a live client; when the
//!   process runs out of descriptors, accepting does the same;
//! * [`Cut`]: a response that carries it in its extensions is not written, and its connection
//!   is dropped (a crashed station's behaviour, which axum handlers cannot express);
//! * **half-close**: a client that shuts its side down once its request is sent still gets its
//!   answer (HTTP/1.1 allows it); one that shuts down between requests is closed at once;
//! * optionally **TLS** ([`serve_tls`]): HTTPS and mutual TLS for the reference station
//!   (DOMAIN.md §1, CON-001). rustls speaks TLS 1.2 and 1.3 only, so TLS 1.0/1.1 are refused
//!   as a pagoPA station must. The handshake runs in the connection's own task and shares the
//!   header-read timeout with the first request head; a failed handshake is logged at debug
//!   level and closes only its connection.

mod conn;
mod cut;
mod registry;
mod timer;

pub use cut::Cut;
/// The rustls this crate is built with, so callers name the same [`rustls::ServerConfig`].
pub use rustls;

use axum::body::Body;
use hyper::body::Incoming;
use hyper::{Request, Response};
use registry::Registry;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Pause after a failed accept that freed nothing, so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What a server answers requests with: an axum [`Router`](axum::Router), or a service of the
/// same shape that answers some requests itself and hands the rest to one (the reference
/// station answers the Nodo's POSTs without axum's routing, issue 9, "Performance").
pub trait App:
    tower::Service<
        Request<Incoming>,
        Response = Response<Body>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<T> App for T where
    T: tower::Service<
            Request<Incoming>,
            Response = Response<Body>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// The resource limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request head, from connecting or from its previous
    /// answer. Default 10 s: a pagoPA client sends its head at once.
    pub header_read_timeout: Duration,
    /// How long a kept-alive connection may stay with no request in flight. Default 60 s,
    /// longer than any client pool here keeps a connection unused.
    pub idle_timeout: Duration,
    /// Most connections open at once. Default 256: far above what a Nodo or an EC back end
    /// needs, far below the usual 1 024 descriptors per process.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 256,
        }
    }
}

/// Serve `router` on `listener` within `limits` until `shutdown` resolves; then stop accepting,
/// let in-flight requests finish, close idle connections, and return once every connection has
/// ended.
///
/// # Errors
/// None today (accept failures are logged and retried); the `io::Result` keeps the door open
/// for listener errors that must stop the server.
pub async fn serve(
    listener: TcpListener,
    router: impl App,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    serve_with(listener, router, limits, None, shutdown).await
}

/// [`serve`] over TLS: every connection first completes a handshake with `tls` (its
/// certificate, and its client verifier for mutual TLS), within the header-read timeout.
///
/// # Errors
/// As [`serve`].
pub async fn serve_tls(
    listener: TcpListener,
    router: impl App,
    limits: Limits,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    serve_with(
        listener,
        router,
        limits,
        Some(TlsAcceptor::from(tls)),
        shutdown,
    )
    .await
}

async fn serve_with(
    listener: TcpListener,
    router: impl App,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let registry = Arc::new(Registry::default());
    // Connections run in their own tasks: if this future is dropped rather than finishing (its
    // task aborted), they are still asked to close.
    let _close_on_drop = CloseAllOnDrop(Arc::clone(&registry));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    if registry.len() >= limits.max_connections && !registry.evict_oldest_idle() {
                        // Every connection is busy: this one would only wait. Closing it at
                        // once tells the client so.
                        tracing::warn!(%peer, cap = limits.max_connections, "connection cap reached with no idle connection; refused");
                        drop(stream);
                        continue;
                    }
                    let slot = registry.open();
                    tokio::spawn(conn::run(
                        stream,
                        tls.clone(),
                        router.clone(),
                        limits,
                        slot,
                        Arc::clone(&registry),
                    ));
                }
                Err(e) => {
                    // Out of descriptors (or a transient error): free one if an idle
                    // connection holds it, otherwise wait a little.
                    if !registry.evict_oldest_idle() {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                }
            },
        }
    }
    drop(listener);
    registry.close_all();
    registry.wait_empty().await;
    Ok(())
}

/// Asks every open connection to close when dropped.
struct CloseAllOnDrop(Arc<Registry>);

impl Drop for CloseAllOnDrop {
    fn drop(&mut self) {
        self.0.close_all();
    }
}
