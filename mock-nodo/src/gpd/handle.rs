//! Starting, inspecting and stopping a mock GPD.

use super::config::GpdConfig;
use super::routes::Api;
use super::server::{GpdState, app};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Why a mock GPD could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum GpdError {
    /// The address could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: io::Error,
    },
    /// The listener has no local address.
    #[error("cannot read the listener address: {0}")]
    LocalAddr(io::Error),
    /// The server failed.
    #[error("gpd server failed: {0}")]
    Serve(io::Error),
    /// The server task panicked or had to be aborted.
    #[error("gpd server task: {0}")]
    Task(String),
}

/// A running mock GPD. Dropping it stops the server too.
#[derive(Debug)]
pub struct GpdHandle {
    /// The bound address.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<GpdState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl GpdHandle {
    /// The shared state: store, configuration, and the Nodo's API
    /// ([`GpdState::payable`], [`GpdState::pay`]).
    pub fn state(&self) -> &Arc<GpdState> {
        &self.state
    }

    /// The base URL of `api`, e.g. `http://127.0.0.1:PORT/gpd/debt-positions-service/v1`.
    pub fn base_url(&self, api: Api) -> String {
        format!("{}{}", self.url, api.base())
    }

    /// Stop accepting connections, let in-flight requests finish, and wait for the server.
    ///
    /// # Errors
    /// [`GpdError::Serve`] or [`GpdError::Task`].
    pub async fn shutdown(mut self) -> Result<(), GpdError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        let abort = task.abort_handle();
        match tokio::time::timeout(SHUTDOWN_GRACE, task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(GpdError::Serve(e)),
            Ok(Err(e)) => Err(GpdError::Task(e.to_string())),
            Err(_) => {
                abort.abort();
                Err(GpdError::Task(format!(
                    "still busy after {SHUTDOWN_GRACE:?}, aborted"
                )))
            }
        }
    }
}

fn client_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Serve a mock GPD on an already bound listener: reachable as soon as this returns.
///
/// # Errors
/// [`GpdError::LocalAddr`].
pub async fn start(config: GpdConfig, listener: TcpListener) -> Result<GpdHandle, GpdError> {
    start_with_state(Arc::new(GpdState::new(config)), listener).await
}

/// [`start`] over an existing state (e.g. one the Nodo side already holds).
///
/// # Errors
/// [`GpdError::LocalAddr`].
pub async fn start_with_state(
    state: Arc<GpdState>,
    listener: TcpListener,
) -> Result<GpdHandle, GpdError> {
    let addr = listener.local_addr().map_err(GpdError::LocalAddr)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let limits = state.config().limits;
    let server = collaudo_serve::serve(listener, app(Arc::clone(&state)), limits, async move {
        let _ = stopped.await;
    });
    let task = tokio::spawn(server);
    tracing::info!(%addr, "mock GPD listening");
    Ok(GpdHandle {
        addr,
        url: client_url(addr),
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Bind `addr` (port 0 for any free port) and [`start`] a mock GPD on it.
///
/// # Errors
/// [`GpdError::Bind`], or those of [`start`].
pub async fn bind(config: GpdConfig, addr: SocketAddr) -> Result<GpdHandle, GpdError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| GpdError::Bind { addr, source })?;
    start(config, listener).await
}
