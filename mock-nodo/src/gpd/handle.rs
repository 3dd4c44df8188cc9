//! Starting, inspecting and stopping a mock GPD.

use super::config::GpdConfig;
use super::routes::Api;
use super::server::{GpdState, app};
use crate::serving::{ServerTask, StopError, client_url};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

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
    server: ServerTask,
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
        self.server.shutdown().await.map_err(|e| match e {
            StopError::Serve(e) => GpdError::Serve(e),
            StopError::Task(e) => GpdError::Task(e),
        })
    }
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
    let limits = state.config().limits;
    let server = ServerTask::spawn(listener, app(Arc::clone(&state)), limits);
    tracing::info!(%addr, "mock GPD listening");
    Ok(GpdHandle {
        addr,
        url: client_url(addr),
        state,
        server,
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
