//! Starting, inspecting and stopping a mock ACA.

use super::config::AcaConfig;
use super::faults::AcaFault;
use super::handler::ACA_PATH;
use super::server::{AcaState, app};
use super::store::AcaStore;
use crate::serving::{ServerTask, StopError, client_url};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Why a mock ACA could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum AcaError {
    /// The journal file could not be created.
    #[error("cannot create the aca journal {path}: {source}")]
    Journal {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
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
    #[error("aca server failed: {0}")]
    Serve(io::Error),
    /// The server task panicked or had to be aborted.
    #[error("aca server task: {0}")]
    Task(String),
}

/// A running mock ACA. Dropping it stops the server too (gracefully, in the background).
#[derive(Debug)]
pub struct AcaHandle {
    /// The bound address.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` (the loopback address when bound to an unspecified one); the
    /// operation is at [`endpoint`](Self::endpoint).
    pub url: String,
    state: Arc<AcaState>,
    server: ServerTask,
}

impl AcaHandle {
    /// The store: positions and call log.
    pub fn store(&self) -> &AcaStore {
        self.state.store()
    }

    /// The shared state (configuration and store).
    pub fn state(&self) -> &Arc<AcaState> {
        &self.state
    }

    /// See [`AcaState::inject`]: answer the next `count` calls with `status`, unapplied.
    pub fn inject(&self, status: u16, count: u32) {
        self.state.inject(status, count);
    }

    /// See [`AcaState::clear_faults`].
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// See [`AcaState::pending_faults`].
    pub fn pending_faults(&self) -> u32 {
        self.state.pending_faults()
    }

    /// See [`AcaState::faults`].
    pub fn faults(&self) -> Vec<AcaFault> {
        self.state.faults()
    }

    /// The full URL of `paCreatePosition`: `http://127.0.0.1:PORT/aca/v1/paCreatePosition`.
    pub fn endpoint(&self) -> String {
        format!("{}{ACA_PATH}", self.url)
    }

    /// Stop accepting connections, let in-flight requests finish, and wait for the server.
    ///
    /// # Errors
    /// [`AcaError::Serve`] if the server failed, [`AcaError::Task`] if its task panicked or
    /// had to be aborted.
    pub async fn shutdown(mut self) -> Result<(), AcaError> {
        self.server.shutdown().await.map_err(|e| match e {
            StopError::Serve(e) => AcaError::Serve(e),
            StopError::Task(e) => AcaError::Task(e),
        })
    }
}

/// Serve a mock ACA on an already bound listener. The listener accepts as soon as it is
/// bound, so the server is reachable when this returns: no need to wait or retry.
///
/// # Errors
/// [`AcaError::Journal`] or [`AcaError::LocalAddr`].
pub async fn start(config: AcaConfig, listener: TcpListener) -> Result<AcaHandle, AcaError> {
    start_with_state(Arc::new(AcaState::new(config)?), listener).await
}

/// [`start`] over an existing state, e.g. [`AcaState::with_store`] to serve a store that the
/// Stand-In simulator already holds.
///
/// # Errors
/// [`AcaError::LocalAddr`].
pub async fn start_with_state(
    state: Arc<AcaState>,
    listener: TcpListener,
) -> Result<AcaHandle, AcaError> {
    let addr = listener.local_addr().map_err(AcaError::LocalAddr)?;
    // The server sets TCP_NODELAY: small JSON answers on kept-alive connections must not wait
    // for the client's delayed ACK.
    let limits = state.config().limits;
    let server = ServerTask::spawn(listener, app(Arc::clone(&state)), limits);
    tracing::info!(%addr, "mock ACA listening");
    Ok(AcaHandle {
        addr,
        url: client_url(addr),
        state,
        server,
    })
}

/// Bind `addr` (port 0 for any free port) and [`start`] a mock ACA on it.
///
/// # Errors
/// [`AcaError::Bind`], or those of [`start`].
pub async fn bind(config: AcaConfig, addr: SocketAddr) -> Result<AcaHandle, AcaError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| AcaError::Bind { addr, source })?;
    start(config, listener).await
}
